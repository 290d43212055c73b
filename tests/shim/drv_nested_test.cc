// arm-smmu-v3 driver model, nesting (arm-smmu-v3-iommufd.c): vSMMU and
// vDEVICE rules, vSTE validation, a guest stage 1 (CD and tables at IPAs in
// guest RAM) over the nest-parent stage 2 translating real DMA, user
// invalidation conversion (digest §3.4, 7.0 entry_num quirk), and event
// forwarding with the vSID.
#include "drv_fixture.h"

extern "C" {
#include "arm_smmu_v3_internal.h"
}

namespace
{

constexpr uint32_t kSid = 0x30, kVsid = 5;
constexpr uint64_t kGuestIpa = 0x10000000ull; // guest RAM at IPA 256 MiB
constexpr uint64_t kGuestSize = 4ull << 20;

// Guest memory seen through IPAs: build_pt callbacks for the guest's own
// stage-1 tables.
struct GuestMem {
	ShimRig *r;
	uint64_t pa, next;
	uint64_t Pa(uint64_t ipa) const { return ipa - kGuestIpa + pa; }
	static int Rd(void *ctx, uint64_t ipa, uint64_t *v)
	{
		auto *g = static_cast<GuestMem *>(ctx);
		*v = g->r->Read64(g->Pa(ipa));
		return 0;
	}
	static int Wr(void *ctx, uint64_t ipa, uint64_t v)
	{
		auto *g = static_cast<GuestMem *>(ctx);
		g->r->Write64(g->Pa(ipa), v);
		return 0;
	}
	static int Al(void *ctx, uint64_t size, uint64_t *ipa)
	{
		auto *g = static_cast<GuestMem *>(ctx);
		uint64_t a = (g->next + size - 1) & ~(size - 1);
		g->next = a + size;
		for (uint64_t o = 0; o < size; o += 8)
			g->r->Write64(g->Pa(a + o), 0);
		*ipa = a;
		return 0;
	}
	uint64_t Alloc(uint64_t size)
	{
		uint64_t a;
		Al(this, size, &a);
		return a;
	}
};

struct VEvent {
	arm_vsmmu *v;
	arm_smmu_master *m;
	uint64_t evt[4];
};

class Nested : public ::testing::Test
{
      protected:
	DrvRig r;
	arm_smmu_device *d = nullptr;
	arm_smmu_master *m = nullptr;
	arm_smmu_domain *parent = nullptr, *nested = nullptr;
	arm_vsmmu *vsmmu = nullptr;
	GuestMem gm{};
	smmu_pt_ops gops{GuestMem::Rd, GuestMem::Wr, GuestMem::Al};
	smmu_pt gpt{};
	uint64_t cd_ipa = 0;
	std::vector<VEvent> vevents;

	static void OnVevent(void *ctx, arm_vsmmu *v, arm_smmu_master *mm, const uint64_t evt[4])
	{
		VEvent e{v, mm, {evt[0], evt[1], evt[2], evt[3]}};
		static_cast<Nested *>(ctx)->vevents.push_back(e);
	}

	void SetUp() override
	{
		d = r.AddProbed();
		ASSERT_NE(d, nullptr);
		arm_smmu_set_vevent_handler(d, OnVevent, this);
		m = r.Master(d, kSid);
		parent = r.Paging(m, ARM_SMMU_ALLOC_NEST_PARENT);
		ASSERT_NE(parent, nullptr);
		ASSERT_EQ(
		    0, r.Run([&](kcall *k) { return arm_vsmmu_alloc(m, parent, k, &vsmmu); }).rc);
		EXPECT_EQ(arm_vsmmu_vmid(vsmmu), arm_smmu_domain_vmid(parent));
		ASSERT_EQ(0, arm_vsmmu_vdevice_set(vsmmu, m, kVsid));
		// Guest RAM: 4 MiB of DRAM at IPA kGuestIpa through the parent S2.
		gm.r = &r;
		gm.pa = r.Alloc(kGuestSize, 2ull << 20);
		gm.next = kGuestIpa;
		ASSERT_EQ(r.Map(parent, kGuestIpa, gm.pa, kGuestSize).rc, 0);
		// Guest stage 1: 48-bit VA, 4K, tables in guest RAM.
		smmu_pt_cfg pc{};
		pc.granule_shift = 12;
		pc.tsz = 16;
		pc.start_level = -1;
		ASSERT_EQ(smmu_pt_init(&gpt, &pc, &gops, &gm), SMMU_PT_OK);
		GuestMap(0x1000, kGuestIpa + 0x100000);
		uint64_t cd[8];
		smmu_build_cd(cd, gpt.root, 9, 12, 48);
		cd_ipa = gm.Alloc(64);
		for (int i = 0; i < 8; i++)
			r.Write64(gm.Pa(cd_ipa) + 8 * i, cd[i]);
	}
	void TearDown() override
	{
		r.Attach(arm_smmu_blocked_domain(), m);
		if (nested)
			r.Free(nested);
		r.Run([&](kcall *k) {
			arm_vsmmu_free(vsmmu, k);
			return 0;
		});
		r.Free(parent);
	}
	void GuestMap(uint64_t va, uint64_t ipa)
	{
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, false);
		a.ng = true;
		ASSERT_EQ(smmu_pt_map(&gpt, va, ipa, 4096, 12, &a), SMMU_PT_OK);
	}
	// vSTE for the guest CD: V, Cfg S1, S1ContextPtr, WB/ISH fetches.
	void Vste(uint64_t v[2])
	{
		v[0] = 1 | (5ull << 1) | (cd_ipa & 0x000FFFFFFFFFFFC0ull);
		v[1] = (1ull << 2) | (1ull << 4) | (3ull << 6);
	}
	int AllocNested(const uint64_t v[2], arm_smmu_domain **out, uint32_t flags = 0)
	{
		return r
		    .Run([&](kcall *k) {
			    return arm_smmu_domain_alloc_nested(vsmmu, flags, v, k, out);
		    })
		    .rc;
	}
	void AttachGuest()
	{
		uint64_t v[2];
		Vste(v);
		ASSERT_EQ(0, AllocNested(v, &nested));
		ASSERT_EQ(r.Attach(nested, m).rc, 0);
	}
	CallRec UserInv(std::vector<std::array<uint64_t, 2>> &cmds, uint32_t *consumed)
	{
		return r.Run([&](kcall *k) {
			return arm_vsmmu_cache_invalidate(
			    vsmmu, reinterpret_cast<uint64_t(*)[2]>(cmds.data()),
			    (uint32_t)cmds.size(), consumed, k);
		});
	}
	std::array<uint64_t, 2> Cmd(void (*fn)(uint64_t *))
	{
		std::array<uint64_t, 2> c{};
		fn(c.data());
		return c;
	}
};

TEST_F(Nested, GuestStage1OverParentStage2TranslatesDma)
{
	AttachGuest();
	auto x = r.Dma(0, kSid, 0x1010, true);
	ASSERT_EQ(x.outcome, SMMU_XLATE_OK) << "event " << (int)x.event;
	EXPECT_EQ(x.pa, gm.pa + 0x100010);
	EXPECT_EQ(x.vmid, arm_smmu_domain_vmid(parent));
	EXPECT_EQ(x.asid, 9u);
	EXPECT_EQ(r.S(0).cerrors(), 0u);
}

TEST_F(Nested, VsteValidation)
{
	arm_smmu_domain *n = nullptr;
	uint64_t v[2];
	// V=0: accepted, becomes an abort STE.
	uint64_t inval[2] = {0x40ull << 1, 0xffff};
	ASSERT_EQ(0, AllocNested(inval, &n));
	ASSERT_EQ(r.Attach(n, m).rc, 0);
	uint64_t ste[8];
	arm_smmu_master_ste(m, ste);
	EXPECT_EQ(ste[0], 1u);
	r.Attach(arm_smmu_blocked_domain(), m);
	r.Free(n);
	// Bits outside STRTAB_STE_{0,1}_NESTING_ALLOWED.
	Vste(v);
	v[0] |= 1ull << 55;
	EXPECT_EQ(-EIO, AllocNested(v, &n));
	Vste(v);
	v[1] |= 1ull << 19; // MEV is the kernel's
	EXPECT_EQ(-EIO, AllocNested(v, &n));
	// Config other than abort / bypass / S1.
	for (uint64_t cfg : {6ull, 7ull, 1ull}) {
		Vste(v);
		v[0] = (v[0] & ~0xEull) | (cfg << 1);
		EXPECT_EQ(-EIO, AllocNested(v, &n)) << "cfg " << cfg;
	}
	// EATS other than 0 / 1.
	Vste(v);
	v[1] |= 2ull << 28;
	EXPECT_EQ(-EIO, AllocNested(v, &n));
	// flags must be 0.
	Vste(v);
	EXPECT_EQ(-EOPNOTSUPP, AllocNested(v, &n, 1));
	// EATS=1 is accepted and stripped.
	Vste(v);
	v[1] |= 1ull << 28;
	ASSERT_EQ(0, AllocNested(v, &n));
	ASSERT_EQ(r.Attach(n, m).rc, 0);
	arm_smmu_master_ste(m, ste);
	EXPECT_EQ((ste[1] >> 28) & 3, 0u); // master not ATS capable
	r.Attach(arm_smmu_blocked_domain(), m);
	r.Free(n);
}

TEST_F(Nested, AttachAndObjectRules)
{
	arm_smmu_master *m2 = r.Master(d, kSid + 1);
	uint64_t v[2];
	Vste(v);
	ASSERT_EQ(0, AllocNested(v, &nested));
	// A Cfg=S1 vSTE needs a vDEVICE; bypass/abort vSTEs do not.
	EXPECT_EQ(r.Attach(nested, m2).rc, -ENOENT);
	arm_smmu_domain *byp = nullptr;
	uint64_t vb[2] = {1 | (4ull << 1), 0};
	ASSERT_EQ(0, AllocNested(vb, &byp));
	EXPECT_EQ(r.Attach(byp, m2).rc, 0);
	auto x = r.Dma(0, kSid + 1, kGuestIpa + 0x2000); // vSTE bypass = parent S2
	EXPECT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, gm.pa + 0x2000);
	// vDEVICE rules.
	EXPECT_EQ(-EEXIST, arm_vsmmu_vdevice_set(vsmmu, m2, kVsid)); // duplicate vSID
	EXPECT_EQ(-EEXIST, arm_vsmmu_vdevice_set(vsmmu, m, 77));     // master has one
	ASSERT_EQ(0, arm_vsmmu_vdevice_set(vsmmu, m2, 6));
	EXPECT_EQ(r.Attach(nested, m2).rc, 0);
	// Another SMMU: no vDEVICE, no nested attach, no vSMMU on this parent.
	arm_smmu_device *d1 = r.AddProbed();
	arm_smmu_master *o = r.Master(d1, kSid);
	EXPECT_EQ(-EINVAL, arm_vsmmu_vdevice_set(vsmmu, o, 9));
	EXPECT_EQ(r.Attach(nested, o).rc, -EINVAL);
	arm_vsmmu *bad = nullptr;
	EXPECT_EQ(-EINVAL, r.Run([&](kcall *k) { return arm_vsmmu_alloc(o, parent, k, &bad); }).rc);
	// Parent must be a nest parent; the device must be CANWBS (no S2FWB).
	arm_smmu_domain *s1 = r.Paging(m);
	EXPECT_EQ(-EINVAL, r.Run([&](kcall *k) { return arm_vsmmu_alloc(m, s1, k, &bad); }).rc);
	arm_smmu_master *nc = r.Master(d, kSid + 2, false, /*canwbs=*/false);
	EXPECT_EQ(-EOPNOTSUPP,
	          r.Run([&](kcall *k) { return arm_vsmmu_alloc(nc, parent, k, &bad); }).rc);
	r.Attach(arm_smmu_blocked_domain(), m2);
	r.Free(byp);
	r.Free(s1);
}

TEST_F(Nested, UserTlbiGetsTheVmidAndReallyInvalidates)
{
	AttachGuest();
	ASSERT_EQ(r.Dma(0, kSid, 0x1010).outcome, SMMU_XLATE_OK); // warm
	// The guest unmaps its page: the SMMU still hits the cached entry.
	ASSERT_EQ(smmu_pt_unmap(&gpt, 0x1000, 4096), SMMU_PT_OK);
	EXPECT_EQ(r.Dma(0, kSid, 0x1010).outcome, SMMU_XLATE_OK);
	std::vector<std::array<uint64_t, 2>> cmds(1);
	smmu_cmd_tlbi_nh_va(cmds[0].data(), 0x77, 9, 0x1000, nullptr);
	uint32_t consumed = 0;
	CallRec rec = UserInv(cmds, &consumed);
	ASSERT_EQ(rec.rc, 0);
	EXPECT_EQ(consumed, 1u);
	EXPECT_EQ((cmds[0][0] >> 32) & 0xffff, arm_smmu_domain_vmid(parent)); // VMID forced
	EXPECT_EQ(cmds[0][0] >> 48, 9u);                                      // ASID kept
	std::vector<uint8_t> want = {SMMU_CMD_TLBI_NH_VA, SMMU_CMD_SYNC};
	EXPECT_EQ(rec.ops, want);
	auto x = r.Dma(0, kSid, 0x1010);
	EXPECT_EQ(x.outcome, SMMU_XLATE_ABORT);
	EXPECT_EQ(x.event, SMMU_EVT_F_TRANSLATION);
	EXPECT_EQ(r.S(0).cerrors(), 0u);
}

TEST_F(Nested, UserCommandConversion)
{
	AttachGuest();
	std::vector<std::array<uint64_t, 2>> cmds(4);
	smmu_cmd_cfgi_cd(cmds[0].data(), kVsid, 0, true);
	smmu_cmd_cfgi_cd_all(cmds[1].data(), kVsid);
	smmu_cmd_tlbi_nsnh_all(cmds[2].data());
	cmds[2][1] = 0x1234; // dropped by the conversion
	smmu_cmd_tlbi_nh_asid(cmds[3].data(), 0x55, 9);
	uint32_t consumed = 0;
	CallRec rec = UserInv(cmds, &consumed);
	ASSERT_EQ(rec.rc, 0);
	EXPECT_EQ(consumed, 4u);
	EXPECT_EQ(cmds[0][0] >> 32, kSid); // vSID -> pSID
	EXPECT_EQ(cmds[1][0] >> 32, kSid);
	EXPECT_EQ(cmds[2][0] & 0xff, (uint64_t)SMMU_CMD_TLBI_NH_ALL);
	EXPECT_EQ((cmds[2][0] >> 32) & 0xffff, arm_smmu_domain_vmid(parent));
	EXPECT_EQ(cmds[2][1], 0u);
	EXPECT_EQ((cmds[3][0] >> 32) & 0xffff, arm_smmu_domain_vmid(parent));
	std::vector<uint8_t> want = {SMMU_CMD_CFGI_CD, SMMU_CMD_CFGI_CD_ALL, SMMU_CMD_TLBI_NH_ALL,
	                             SMMU_CMD_TLBI_NH_ASID, SMMU_CMD_SYNC};
	EXPECT_EQ(rec.ops, want);
	EXPECT_EQ(r.S(0).cerrors(), 0u);
}

TEST_F(Nested, RejectedCommandsAndThe70EntryNumQuirk)
{
	AttachGuest();
	// CMD_SYNC from the guest: -EIO; the two converted commands before it
	// count in entry_num but were never issued.
	std::vector<std::array<uint64_t, 2>> cmds(4);
	smmu_cmd_tlbi_nh_all(cmds[0].data(), 0);
	smmu_cmd_tlbi_nh_asid(cmds[1].data(), 0, 9);
	smmu_cmd_sync(cmds[2].data(), 0, 0, 0);
	smmu_cmd_tlbi_nh_all(cmds[3].data(), 0);
	uint32_t consumed = 99;
	CallRec rec = UserInv(cmds, &consumed);
	EXPECT_EQ(rec.rc, -EIO);
	EXPECT_EQ(consumed, 2u);
	EXPECT_TRUE(rec.ops.empty());
	// Other rejected opcodes, and an unknown vSID.
	for (auto fn : {+[](uint64_t *c) { smmu_cmd_cfgi_ste(c, kSid, true); },
	                +[](uint64_t *c) { smmu_cmd_tlbi_s12_vmall(c, 1); },
	                +[](uint64_t *c) { smmu_cmd_cfgi_all(c); },
	                +[](uint64_t *c) { smmu_cmd_cfgi_cd(c, 99, 0, true); }}) {
		std::vector<std::array<uint64_t, 2>> one = {Cmd(fn)};
		CallRec bad = UserInv(one, &consumed);
		EXPECT_EQ(bad.rc, -EIO);
		EXPECT_EQ(consumed, 0u);
		EXPECT_TRUE(bad.ops.empty());
	}
	// 70 commands: 63 + SYNC, 7 + SYNC.
	std::vector<std::array<uint64_t, 2>> many(70);
	for (auto &c : many)
		smmu_cmd_tlbi_nh_asid(c.data(), 0, 9);
	CallRec big = UserInv(many, &consumed);
	EXPECT_EQ(big.rc, 0);
	EXPECT_EQ(consumed, 70u);
	EXPECT_EQ(big.ops.size(), 72u);
	EXPECT_EQ(big.syncs, 2u);
	EXPECT_EQ(big.ops[63], SMMU_CMD_SYNC);
	// A bad command at index 64: the first chunk went out, index 63 was
	// converted but not issued, entry_num = 64.
	many.resize(66);
	smmu_cmd_sync(many[64].data(), 0, 0, 0);
	CallRec part = UserInv(many, &consumed);
	EXPECT_EQ(part.rc, -EIO);
	EXPECT_EQ(consumed, 64u);
	EXPECT_EQ(part.ops.size(), 64u);
	EXPECT_EQ(r.S(0).cerrors(), 0u);
}

TEST_F(Nested, IllegalFieldsPassTheConversionAndHitCerror)
{
	// 7.0 validates opcodes only: a reserved range encoding (TG=4K with
	// NUM=SCALE=TTL=0) reaches the SMMU, which stops with CERROR_ILL; the
	// driver skips it (the command becomes a CMD_SYNC) and goes on.
	AttachGuest();
	std::vector<std::array<uint64_t, 2>> cmds(2);
	smmu_cmd_range bad{};
	bad.tg = 1;
	smmu_cmd_tlbi_nh_va(cmds[0].data(), 0, 9, 0x1000, &bad);
	smmu_cmd_tlbi_nh_asid(cmds[1].data(), 0, 9);
	uint32_t consumed = 0;
	CallRec rec = UserInv(cmds, &consumed);
	EXPECT_EQ(rec.rc, 0);
	EXPECT_EQ(consumed, 2u);
	EXPECT_EQ(rec.cmdq_error, SMMU_CERROR_ILL);
	EXPECT_EQ(r.S(0).cerrors(), 1u);
	EXPECT_EQ(r.Reg(0, SMMU_REG_GERROR) & SMMU_GERROR_CMDQ_ERR,
	          r.Reg(0, SMMU_REG_GERRORN) & SMMU_GERROR_CMDQ_ERR); // acknowledged
	// The queue runs again.
	std::vector<std::array<uint64_t, 2>> ok = {cmds[1]};
	CallRec after = UserInv(ok, &consumed);
	EXPECT_EQ(after.rc, 0);
	EXPECT_EQ(after.cmdq_error, 0);
	EXPECT_EQ(r.S(0).cerrors(), 1u);
}

TEST_F(Nested, S1FaultsForwardWithTheVsidS2FaultsDoNot)
{
	AttachGuest();
	// A plain S1 master on the same SMMU: its faults are the host's.
	arm_smmu_master *h = r.Master(d, 0x31);
	arm_smmu_domain *hs1 = r.Paging(h);
	ASSERT_EQ(r.Attach(hs1, h).rc, 0);
	EXPECT_EQ(r.Dma(0, 0x31, 0x9000).event, SMMU_EVT_F_TRANSLATION);
	// Guest S1 fault: VA not mapped by the guest.
	auto s1f = r.Dma(0, kSid, 0x9000);
	ASSERT_EQ(s1f.event, SMMU_EVT_F_TRANSLATION);
	EXPECT_FALSE(s1f.ev.s2);
	// Guest S2 fault: the guest maps VA 0xA000 to an IPA the host never mapped.
	GuestMap(0xA000, 0x70000000);
	auto s2f = r.Dma(0, kSid, 0xA000);
	ASSERT_EQ(s2f.event, SMMU_EVT_F_TRANSLATION);
	EXPECT_TRUE(s2f.ev.s2);
	CallRec irq = r.Run([&](kcall *k) {
		arm_smmu_handle_irq(d, SMMU_IRQ_EVENTQ, k);
		return 0;
	});
	ASSERT_EQ(vevents.size(), 1u);
	EXPECT_EQ(vevents[0].v, vsmmu);
	EXPECT_EQ(vevents[0].m, m);
	EXPECT_EQ(vevents[0].evt[0] >> 32, kVsid);
	EXPECT_EQ(vevents[0].evt[0] & 0xff, (uint64_t)SMMU_EVT_F_TRANSLATION);
	EXPECT_EQ(vevents[0].evt[2], 0x9000u);
	// The queue was drained: CONS caught up with PROD.
	EXPECT_EQ(r.Reg(0, SMMU_REG_EVENTQ_CONS) & 0xff, r.Reg(0, SMMU_REG_EVENTQ_PROD) & 0xff);
	EXPECT_GE(irq.ns, 3u * r.env.t.evt_handle);
	r.Attach(arm_smmu_blocked_domain(), h);
	r.Free(hs1);
}

TEST_F(Nested, ParentUnmapClearsCombinedEntries)
{
	AttachGuest();
	ASSERT_EQ(r.Dma(0, kSid, 0x1010).outcome, SMMU_XLATE_OK); // warm S1+S2
	// The host unmaps the IPA page behind the guest's VA 0x1000 (a 4K
	// piece of a 2M block: split).
	CallRec un = r.Unmap(parent, kGuestIpa + 0x100000, 4096);
	std::vector<uint8_t> want = {SMMU_CMD_TLBI_S2_IPA, SMMU_CMD_SYNC, SMMU_CMD_TLBI_NH_ALL,
	                             SMMU_CMD_SYNC};
	EXPECT_EQ(un.ops, want);
	auto x = r.Dma(0, kSid, 0x1010);
	EXPECT_EQ(x.outcome, SMMU_XLATE_ABORT);
	EXPECT_TRUE(x.ev.s2);
	EXPECT_EQ(r.S(0).cerrors(), 0u);
}

TEST_F(Nested, AtsUnderANestParentIsFlushedWhole)
{
	// An ATS master whose vSTE asks for ATS (EATS=1): the STE gets EATS
	// and every parent invalidation ends with a whole-ATC ATC_INV after
	// the TLBIs completed (INV_TYPE_ATS_FULL).
	arm_smmu_master *a = r.Master(d, 0x40, /*ats=*/true);
	ASSERT_EQ(0, arm_vsmmu_vdevice_set(vsmmu, a, 8));
	uint64_t v[2];
	Vste(v);
	v[1] |= 1ull << 28;
	arm_smmu_domain *n = nullptr;
	ASSERT_EQ(0, AllocNested(v, &n));
	ASSERT_EQ(r.Attach(n, a).rc, 0);
	uint64_t ste[8];
	arm_smmu_master_ste(a, ste);
	EXPECT_EQ((ste[1] >> 28) & 3, 1u);
	size_t before = r.S(0).ats_invs.size();
	CallRec un = r.Unmap(parent, kGuestIpa + 0x200000, 4096);
	std::vector<uint8_t> want = {SMMU_CMD_TLBI_S2_IPA, SMMU_CMD_SYNC,    SMMU_CMD_TLBI_NH_ALL,
	                             SMMU_CMD_SYNC,        SMMU_CMD_ATC_INV, SMMU_CMD_SYNC};
	EXPECT_EQ(un.ops, want);
	ASSERT_EQ(r.S(0).ats_invs.size(), before + 1);
	EXPECT_EQ(r.S(0).ats_invs.back(), 0x40u);
	r.Attach(arm_smmu_blocked_domain(), a);
	r.Free(n);
	EXPECT_EQ(r.S(0).cerrors(), 0u);
}

} // namespace
