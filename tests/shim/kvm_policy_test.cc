// VMID policies of the driver model (policy.vmid, policy.viommu_vmid;
// reference/linux-uapi.md §3.1, §4): which VMID each stage-2 context gets
// under each policy, the kvm-pinned collision move (hitless, with its
// commands), pinned exhaustion, pinned VMIDs over rollovers, per-vSMMU
// VMIDs, and CR2.PTM with and without BTM. The KVMs here are bare struct
// kvm_vmid (what the iommufd layer hands the driver for a device with a
// KVM); kvm_uapi tests cover the ioctl path.
#include "drv_fixture.h"

extern "C" {
#include "arm_smmu_v3_internal.h"
#include "kvm_vmid.h"
#include "smmu/smmu_regs.h"
}

#include <memory>

namespace
{

constexpr uint32_t kSidA = 0x10, kSidB = 0x20;
constexpr uint64_t kIova = 0x40000000ull;

class Policy : public ::testing::Test
{
      protected:
	DrvRig r;
	arm_smmu_device *d = nullptr;
	kvm_vmid_space *ks = nullptr;

	void ShareATag(uint32_t pol);
	// The devices go before KVM's allocator.
	~Policy() override
	{
		for (auto *dv : r.devs)
			arm_smmu_device_remove(dv);
		r.devs.clear();
		kvm_vmid_space_destroy(ks);
	}

	// Boot one SMMU under `policy` with KVM's allocator as shim_boot makes it.
	void Boot(uint32_t policy, unsigned smmu_bits = 16, unsigned kvm_bits = 16,
	          unsigned cpus = 8, bool own = false, bool btm = false)
	{
		smmu_config cfg = DrvRig::DefaultConfig();
		char err[128];
		ASSERT_EQ(smmu_config_set(&cfg, "vmid_bits", std::to_string(smmu_bits).c_str(), err,
		                          sizeof(err)),
		          SMMU_OK)
		    << err;
		if (btm) {
			ASSERT_EQ(smmu_config_set(&cfg, "btm", "on", err, sizeof(err)), SMMU_OK) << err;
		}
		r.env.vmid_policy = policy;
		r.env.viommu_vmid_own = own;
		d = r.AddProbed(cfg);
		ASSERT_NE(d, nullptr);
		kvm_vmid_config kc{};
		kc.bits = kvm_bits;
		kc.cpus = cpus;
		kc.first = 1;
		kc.limit = 1u << kvm_bits;
		kc.pinning = policy == SHIM_VMID_KVM_PINNED || policy == SHIM_VMID_SHARED ||
		             policy == SHIM_VMID_KVM_PINNED_NAIVE;
		if (policy == SHIM_VMID_SPLIT) {
			unsigned b = std::min(smmu_bits, kvm_bits);
			kc.limit = 1u << (b - 1);
			r.env.vmid_split_base = 1u << (b - 1);
		}
		ASSERT_EQ(kvm_vmid_space_create(&kc, &ks), 0);
		r.env.kvm_vmids = ks;
	}

	arm_smmu_domain *Parent(arm_smmu_master *m, kvm_vmid *kvm, const char *owner,
	                        int *rc_out = nullptr)
	{
		arm_smmu_vmid_req req{kvm, owner, nullptr, nullptr, nullptr};
		arm_smmu_domain *dom = nullptr;
		CallRec c = r.Run([&](kcall *k) {
			return arm_smmu_domain_alloc_paging_req(m, ARM_SMMU_ALLOC_NEST_PARENT, &req, k,
			                                        &dom);
		});
		last = c;
		if (rc_out)
			*rc_out = c.rc;
		else
			EXPECT_EQ(c.rc, 0);
		return dom;
	}
	uint32_t SteVmid(arm_smmu_master *m)
	{
		uint64_t ste[8];
		arm_smmu_master_ste(m, ste);
		return (uint32_t)(ste[2] & 0xffff);
	}
	// A VM that ran once on CPU 0 (its vCPU loaded and put).
	std::unique_ptr<kvm_vmid> RunVm()
	{
		auto v = std::make_unique<kvm_vmid>();
		*v = kvm_vmid{};
		kvm_vmid_update(ks, v.get(), 0, nullptr);
		kvm_vmid_clear_active(ks, 0);
		return v;
	}
	const arm_smmu_vmid_log *Log(size_t i) { return arm_smmu_vmid_log_at(&r.env, i); }
	CallRec last;
};

TEST_F(Policy, SmmuIdaIgnoresKvm)
{
	Boot(SHIM_VMID_SMMU_IDA);
	auto vm = RunVm();
	EXPECT_EQ(kvm_vmid_index(ks, vm.get()), 1u);
	arm_smmu_master *ma = r.Master(d, kSidA), *mb = r.Master(d, kSidB);
	arm_smmu_domain *pa = Parent(ma, nullptr, "vmm0");
	arm_smmu_domain *pb = Parent(mb, vm.get(), "vmm1/vm0");
	EXPECT_EQ(arm_smmu_domain_vmid(pa), 1u);
	EXPECT_EQ(arm_smmu_domain_vmid(pb), 2u);
	EXPECT_EQ(vm->pinned, 0u);
	ASSERT_EQ(arm_smmu_vmid_log_count(&r.env), 2u);
	EXPECT_EQ(Log(1)->source, ARM_SMMU_VMID_SRC_IDA);
	EXPECT_STREQ(Log(1)->owner, "vmm1/vm0");
	EXPECT_STREQ(Log(1)->kind, "nest-parent");
	r.Free(pa);
	r.Free(pb);
	EXPECT_FALSE(Log(0)->live);
}

TEST_F(Policy, KvmPinnedMovesThePrivateVmidHitlessly)
{
	Boot(SHIM_VMID_KVM_PINNED);
	arm_smmu_master *ma = r.Master(d, kSidA), *mb = r.Master(d, kSidB);
	// A: a nested guest without KVM: private VMID 1, attached, DMA warm.
	arm_smmu_domain *pa = Parent(ma, nullptr, "vmm0");
	ASSERT_EQ(arm_smmu_domain_vmid(pa), 1u);
	uint64_t buf = r.Alloc(2ull << 20, 2ull << 20);
	ASSERT_EQ(r.Map(pa, kIova, buf, 2ull << 20).rc, 0);
	ASSERT_EQ(r.Attach(pa, ma).rc, 0);
	auto before = r.Dma(0, kSidA, kIova + 0x1000);
	ASSERT_EQ(before.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(before.vmid, 1);
	// B: its VM runs with KVM VMID 1; pinning it for B's nest parent moves A.
	auto vm = RunVm();
	ASSERT_EQ(kvm_vmid_index(ks, vm.get()), 1u);
	arm_smmu_domain *pb = Parent(mb, vm.get(), "vmm1/vm0");
	EXPECT_EQ(arm_smmu_domain_vmid(pb), 1u);
	EXPECT_EQ(vm->pinned, 1u);
	EXPECT_TRUE(kvm_vmid_is_pinned(ks, 1));
	EXPECT_EQ(arm_smmu_domain_vmid(pa), 2u);
	EXPECT_EQ(SteVmid(ma), 2u);
	// The move: A's STE rewritten in place (no V=0 step), CFGI_STE + SYNC,
	// then the old tag flushed: TLBI_S12_VMALL + SYNC.
	EXPECT_EQ(last.ste_writes, 1u);
	EXPECT_EQ(last.ste_hitless, 1u);
	EXPECT_FALSE(last.ste_breaking);
	std::vector<uint8_t> want = {SMMU_CMD_CFGI_STE, SMMU_CMD_SYNC, SMMU_CMD_PREFETCH_CONFIG,
	                             SMMU_CMD_TLBI_S12_VMALL, SMMU_CMD_SYNC};
	EXPECT_EQ(last.ops, want);
	// DMA goes on with the same output, under the new tag.
	auto after = r.Dma(0, kSidA, kIova + 0x1000);
	ASSERT_EQ(after.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(after.pa, before.pa);
	EXPECT_EQ(after.vmid, 2);
	// The log: A's VMID 1 ended with a move to 2; the new record says why.
	ASSERT_EQ(arm_smmu_vmid_log_count(&r.env), 3u);
	EXPECT_EQ(Log(0)->vmid, 1u);
	EXPECT_EQ(Log(0)->moved_to, 2u);
	EXPECT_FALSE(Log(0)->live);
	EXPECT_EQ(Log(1)->vmid, 2u);
	EXPECT_EQ(Log(1)->moved_from, 1u);
	EXPECT_EQ(Log(1)->moves, 1u);
	EXPECT_EQ(Log(1)->stes, 1u);
	EXPECT_NE(std::string(Log(1)->why).find("vmm1/vm0"), std::string::npos);
	EXPECT_EQ(Log(2)->source, ARM_SMMU_VMID_SRC_KVM_PINNED);
	// A private VMID never takes a pinned number.
	arm_smmu_master *mc = r.Master(d, 0x30);
	arm_smmu_domain *pc = Parent(mc, nullptr, "vmm2");
	EXPECT_EQ(arm_smmu_domain_vmid(pc), 3u);
	// Destroying B's parent puts the pin.
	r.Free(pb);
	EXPECT_EQ(vm->pinned, 0u);
	EXPECT_FALSE(kvm_vmid_is_pinned(ks, 1));
	r.Attach(arm_smmu_blocked_domain(), ma);
	r.Free(pa);
	r.Free(pc);
}

// Two owners, one tag: what the oracle must catch.
void Policy::ShareATag(uint32_t pol)
{
	Boot(pol);
	arm_smmu_master *ma = r.Master(d, kSidA), *mb = r.Master(d, kSidB);
	arm_smmu_domain *pa = Parent(ma, nullptr, "vmm0");
	auto vm = RunVm();
	arm_smmu_domain *pb = Parent(mb, vm.get(), "vmm1/vm0");
	EXPECT_EQ(arm_smmu_domain_vmid(pa), 1u);
	EXPECT_EQ(arm_smmu_domain_vmid(pb), 1u);
	EXPECT_EQ(last.ste_writes, 0u); // no move
	EXPECT_EQ(vm->pinned, pol == SHIM_VMID_KVM_PINNED_NAIVE ? 1u : 0u);
	EXPECT_EQ(Log(1)->source,
	          pol == SHIM_VMID_KVM_UNPINNED ? ARM_SMMU_VMID_SRC_KVM : ARM_SMMU_VMID_SRC_KVM_PINNED);
	r.Free(pa);
	r.Free(pb);
}

// A private nest parent with a vSMMU (7.0: the vSMMU shares the parent's
// VMID) and a nested master: the move carries the vSMMU and rewrites the
// nested STE too.
TEST_F(Policy, KvmPinnedMoveCarriesVsmmuAndNestedStes)
{
	Boot(SHIM_VMID_KVM_PINNED);
	arm_smmu_master *ma = r.Master(d, kSidA), *mn = r.Master(d, 0x30), *mb = r.Master(d, kSidB);
	arm_smmu_domain *pa = Parent(ma, nullptr, "vmm0");
	ASSERT_EQ(r.Attach(pa, ma).rc, 0);
	arm_vsmmu *v = nullptr;
	ASSERT_EQ(r.Run([&](kcall *k) { return arm_vsmmu_alloc(mn, pa, k, &v); }).rc, 0);
	uint64_t vste[2] = {1 | (4ull << 1), 0}; // bypass: S2-only under the vSMMU's VMID
	arm_smmu_domain *nested = nullptr;
	ASSERT_EQ(r.Run([&](kcall *k) {
		           return arm_smmu_domain_alloc_nested(v, 0, vste, k, &nested);
	           }).rc,
	          0);
	ASSERT_EQ(r.Attach(nested, mn).rc, 0);
	ASSERT_EQ(SteVmid(mn), 1u);
	auto vm = RunVm();
	arm_smmu_domain *pb = Parent(mb, vm.get(), "vmm1/vm0");
	EXPECT_EQ(arm_smmu_domain_vmid(pb), 1u);
	EXPECT_EQ(arm_smmu_domain_vmid(pa), 2u);
	EXPECT_EQ(arm_vsmmu_vmid(v), 2u);
	EXPECT_EQ(SteVmid(ma), 2u);
	EXPECT_EQ(SteVmid(mn), 2u);
	EXPECT_EQ(last.ste_writes, 2u);
	EXPECT_EQ(last.ste_hitless, 2u);
	EXPECT_EQ(last.Count(SMMU_CMD_CFGI_STE), 2u);
	EXPECT_EQ(last.Count(SMMU_CMD_TLBI_S12_VMALL), 1u);
	EXPECT_EQ(Log(1)->stes, 2u);
	r.Attach(arm_smmu_blocked_domain(), mn);
	r.Attach(arm_smmu_blocked_domain(), ma);
	r.Free(nested);
	r.Run([&](kcall *k) {
		arm_vsmmu_free(v, k);
		return 0;
	});
	r.Free(pa);
	r.Free(pb);
}

TEST_F(Policy, NaiveSharesATag)
{
	ShareATag(SHIM_VMID_KVM_PINNED_NAIVE);
}

TEST_F(Policy, UnpinnedSharesATag)
{
	ShareATag(SHIM_VMID_KVM_UNPINNED);
}

TEST_F(Policy, UnpinnedVmidIsReusedByKvmAfterRollover)
{
	// 8-bit KVM VMIDs, 2 CPUs: 255 usable. B's parent adopts VM 0's VMID;
	// after a rollover in which VM 0 does not run, another VM gets it.
	Boot(SHIM_VMID_KVM_UNPINNED, 16, 8, 2);
	arm_smmu_master *mb = r.Master(d, kSidB);
	auto vm0 = RunVm();
	arm_smmu_domain *pb = Parent(mb, vm0.get(), "vmm0/vm0");
	ASSERT_EQ(arm_smmu_domain_vmid(pb), 1u);
	std::vector<std::unique_ptr<kvm_vmid>> others;
	bool rolled = false;
	for (int i = 0; i < 300 && !rolled; i++) {
		others.push_back(std::make_unique<kvm_vmid>());
		*others.back() = kvm_vmid{};
		kvm_vmid_update(ks, others.back().get(), 1, &rolled);
	}
	ASSERT_TRUE(rolled);
	// The VM that started the new generation took index 1.
	EXPECT_EQ(kvm_vmid_index(ks, others.back().get()), 1u);
	EXPECT_EQ(arm_smmu_domain_vmid(pb), 1u); // never updated
	r.Free(pb);
}

TEST_F(Policy, SharedPinsEveryVmidInKvmsAllocator)
{
	Boot(SHIM_VMID_SHARED);
	arm_smmu_master *ma = r.Master(d, kSidA), *mb = r.Master(d, kSidB);
	arm_smmu_domain *pa = Parent(ma, nullptr, "vmm0"); // no KVM: pinned for itself
	EXPECT_EQ(arm_smmu_domain_vmid(pa), 1u);
	EXPECT_TRUE(kvm_vmid_is_pinned(ks, 1));
	auto vm = RunVm(); // KVM cannot give it 1
	EXPECT_EQ(kvm_vmid_index(ks, vm.get()), 2u);
	arm_smmu_domain *pb = Parent(mb, vm.get(), "vmm1/vm0");
	EXPECT_EQ(arm_smmu_domain_vmid(pb), 2u);
	EXPECT_EQ(Log(0)->source, ARM_SMMU_VMID_SRC_SHARED);
	EXPECT_EQ(Log(1)->source, ARM_SMMU_VMID_SRC_SHARED);
	EXPECT_EQ(kvm_vmid_nr_pinned(ks), 2u);
	r.Free(pa);
	r.Free(pb);
	EXPECT_EQ(kvm_vmid_nr_pinned(ks), 0u);
}

TEST_F(Policy, SplitGivesTheSmmuTheUpperHalf)
{
	Boot(SHIM_VMID_SPLIT, 8, 16);
	arm_smmu_master *ma = r.Master(d, kSidA), *mb = r.Master(d, kSidB);
	auto vm = RunVm();
	EXPECT_EQ(kvm_vmid_index(ks, vm.get()), 1u);
	arm_smmu_domain *pa = Parent(ma, nullptr, "vmm0");
	arm_smmu_domain *pb = Parent(mb, vm.get(), "vmm1/vm0");
	EXPECT_EQ(arm_smmu_domain_vmid(pa), 128u);
	EXPECT_EQ(arm_smmu_domain_vmid(pb), 129u);
	EXPECT_EQ(Log(1)->source, ARM_SMMU_VMID_SRC_SPLIT);
	// KVM never leaves [1, 128): a full generation and a rollover.
	std::vector<std::unique_ptr<kvm_vmid>> vms;
	for (int i = 0; i < 200; i++) {
		vms.push_back(std::make_unique<kvm_vmid>());
		*vms.back() = kvm_vmid{};
		uint32_t idx = kvm_vmid_update(ks, vms.back().get(), 2, nullptr);
		EXPECT_GE(idx, 1u);
		EXPECT_LT(idx, 128u);
	}
	EXPECT_GE(kvm_vmid_rollovers(ks), 1u);
	r.Free(pa);
	r.Free(pb);
}

TEST_F(Policy, PinnedExhaustionIsEnospcUntilOneIsPut)
{
	// 8-bit, 8 CPUs: max_pinned = 256 - 8 - 2 = 246.
	Boot(SHIM_VMID_KVM_PINNED, 8, 8, 8);
	ASSERT_EQ(kvm_vmid_max_pinned(ks), 246u);
	arm_smmu_master *m = r.Master(d, kSidA);
	std::vector<std::unique_ptr<kvm_vmid>> vms;
	std::vector<arm_smmu_domain *> doms;
	for (int i = 0; i < 246; i++) {
		vms.push_back(std::make_unique<kvm_vmid>());
		*vms.back() = kvm_vmid{};
		doms.push_back(Parent(m, vms.back().get(), "vm"));
		ASSERT_NE(doms.back(), nullptr);
		EXPECT_NE(arm_smmu_domain_vmid(doms.back()), 0u);
	}
	kvm_vmid extra{};
	int rc = 0;
	EXPECT_EQ(Parent(m, &extra, "vm-extra", &rc), nullptr);
	EXPECT_EQ(rc, -ENOSPC);
	EXPECT_EQ(extra.pinned, 0u);
	r.Free(doms[17]);
	arm_smmu_domain *ok = Parent(m, &extra, "vm-extra", &rc);
	ASSERT_EQ(rc, 0);
	EXPECT_NE(arm_smmu_domain_vmid(ok), 0u);
	doms[17] = ok;
	for (auto *dm : doms)
		r.Free(dm);
	EXPECT_EQ(kvm_vmid_nr_pinned(ks), 0u);
}

TEST_F(Policy, PinnedVmidSurvivesRollovers)
{
	Boot(SHIM_VMID_KVM_PINNED, 16, 8, 2);
	arm_smmu_master *m = r.Master(d, kSidA);
	auto vm = RunVm();
	arm_smmu_domain *p = Parent(m, vm.get(), "vmm0/vm0");
	ASSERT_EQ(arm_smmu_domain_vmid(p), 1u);
	std::vector<std::unique_ptr<kvm_vmid>> vms;
	for (int i = 0; i < 1000; i++) {
		vms.push_back(std::make_unique<kvm_vmid>());
		*vms.back() = kvm_vmid{};
		EXPECT_NE(kvm_vmid_update(ks, vms.back().get(), 1, nullptr), 1u);
	}
	EXPECT_GE(kvm_vmid_rollovers(ks), 3u);
	EXPECT_EQ(kvm_vmid_update(ks, vm.get(), 0, nullptr), 1u);
	EXPECT_EQ(arm_smmu_domain_vmid(p), 1u);
	r.Free(p);
}

TEST_F(Policy, OwnVsmmuVmidTagsNestedStes)
{
	Boot(SHIM_VMID_SMMU_IDA, 16, 16, 8, /*own=*/true);
	arm_smmu_master *m = r.Master(d, kSidA);
	arm_smmu_domain *p = Parent(m, nullptr, "vmm0");
	ASSERT_EQ(arm_smmu_domain_vmid(p), 1u);
	arm_vsmmu *v = nullptr;
	arm_smmu_vmid_req req{nullptr, "vmm0", nullptr, nullptr, nullptr};
	ASSERT_EQ(r.Run([&](kcall *k) { return arm_vsmmu_alloc_req(m, p, &req, k, &v); }).rc, 0);
	EXPECT_EQ(arm_vsmmu_vmid(v), 2u);
	// A bypass vSTE: the nested STE is S2-only, tagged with the vSMMU's VMID.
	uint64_t vste[2] = {1 | (4ull << 1), 0};
	arm_smmu_domain *nested = nullptr;
	ASSERT_EQ(r.Run([&](kcall *k) {
		           return arm_smmu_domain_alloc_nested(v, 0, vste, k, &nested);
	           }).rc,
	          0);
	ASSERT_EQ(r.Attach(nested, m).rc, 0);
	EXPECT_EQ(SteVmid(m), 2u);
	r.Attach(arm_smmu_blocked_domain(), m);
	r.Free(nested);
	CallRec fr = r.Run([&](kcall *k) {
		arm_vsmmu_free(v, k);
		return 0;
	});
	EXPECT_EQ(fr.Count(SMMU_CMD_TLBI_S12_VMALL), 1u);
	EXPECT_EQ(d->vmid_users[2], 0u);
	r.Free(p);
}

TEST_F(Policy, Cr2PtmClearOnlyWithBtm)
{
	Boot(SHIM_VMID_SMMU_IDA, 16, 16, 8, false, /*btm=*/false);
	uint64_t cr2 = 0;
	ASSERT_EQ(smmu_mmio_read(r.smmus[0]->s, SMMU_REG_CR2, 4, 0, &cr2), SMMU_OK);
	EXPECT_TRUE(cr2 & SMMU_CR2_PTM);
	DrvRig r2;
	smmu_config cfg = DrvRig::DefaultConfig();
	char err[64];
	ASSERT_EQ(smmu_config_set(&cfg, "btm", "on", err, sizeof(err)), SMMU_OK);
	arm_smmu_device *d2 = r2.AddProbed(cfg);
	ASSERT_NE(d2, nullptr);
	EXPECT_TRUE(arm_smmu_features(d2) & ARM_SMMU_FEAT_BTM);
	ASSERT_EQ(smmu_mmio_read(r2.smmus[0]->s, SMMU_REG_CR2, 4, 0, &cr2), SMMU_OK);
	EXPECT_FALSE(cr2 & SMMU_CR2_PTM);
	EXPECT_TRUE(cr2 & SMMU_CR2_RECINVSID);
}

} // namespace
