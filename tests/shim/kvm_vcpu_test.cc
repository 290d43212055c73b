// vCPU scheduling through shim_kvm_vcpu(): kvm_arch_vcpu_load's VMID update
// (arch/arm64/kvm/vmid.c via kvm_vmid.c) and kvm_arch_vcpu_put's
// clear_active, the rules for CPUs and vCPUs, the VM's current VMID
// (shim_kvm_vm_vmid), and the rollover's TLBI ALLE1IS through the host's
// tlbi_broadcast op (digest §4.1, §5).
#include "fd_rig.h"

#include <string>
#include <vector>

namespace
{

struct Bcast {
	std::string op;
	uint32_t vmid, asid;
	uint64_t addr, t;
};
std::vector<Bcast> g_bcasts;

uint32_t HostTlbi(void *, const char *op, uint32_t vmid, uint32_t asid, uint64_t addr, uint64_t t)
{
	g_bcasts.push_back({op, vmid, asid, addr, t});
	return 3; // "entries removed"
}

void Small(shim_config *c)
{
	c->kvm_vmid_bits = 8;
	c->kvm_cpus = 2;
}

// A machine whose host listens to broadcast TLBIs: FdRig's shim is
// replaced by one created with the op set.
struct Vcpu : ::testing::Test {
	FdRig m{1, 256ull << 20, Small};
	int kfd = -1;
	void SetUp() override
	{
		g_bcasts.clear();
		shim_destroy(m.k);
		m.r.hops.tlbi_broadcast = HostTlbi;
		shim_config cfg;
		shim_config_default(&cfg);
		cfg.dram_base = ShimRig::kDramBase;
		cfg.dram_size = 256ull << 20;
		Small(&cfg);
		ASSERT_EQ(SHIM_OK, shim_create(&cfg, &m.r.hops, &m.r, &m.k));
		ASSERT_EQ(0, shim_add_smmu(m.k));
		m.Boot();
		kfd = m.Open("/dev/kvm");
	}
	int NewVm()
	{
		int vm = (int)m.IoctlRaw(kfd, KVM_CREATE_VM, 0);
		EXPECT_GE(vm, 3);
		return vm;
	}
	int Load(int vm, unsigned cpu, unsigned vcpu = 0, bool load = true)
	{
		m.last = {};
		m.last.size = sizeof(m.last);
		int rc = shim_kvm_vcpu(m.k, m.proc.c_str(), vm, vcpu, cpu, load, m.r.now_ns, &m.last);
		m.Advance();
		return rc;
	}
	int Put(int vm, unsigned cpu, unsigned vcpu = 0) { return Load(vm, cpu, vcpu, false); }
	uint32_t Vmid(int vm)
	{
		uint32_t v = 99;
		EXPECT_EQ(0, shim_kvm_vm_vmid(m.k, m.proc.c_str(), vm, &v));
		return v;
	}
	struct shim_kvm_stats Stats()
	{
		struct shim_kvm_stats st{};
		st.size = sizeof(st);
		EXPECT_EQ(0, shim_kvm_stats(m.k, &st));
		return st;
	}
};

TEST_F(Vcpu, LoadAllocatesPutClears)
{
	int a = NewVm(), b = NewVm();
	EXPECT_EQ(0u, Vmid(a)); // never ran
	EXPECT_EQ(1, Load(a, 0));
	EXPECT_STREQ(m.last.request, "vcpu_load");
	EXPECT_GT(m.last.end_ns, m.last.start_ns);
	EXPECT_EQ(m.last.ret, 1);
	EXPECT_EQ(1u, Vmid(a));
	EXPECT_EQ(2, Load(b, 1));
	EXPECT_EQ(0, Put(a, 0));
	EXPECT_STREQ(m.last.request, "vcpu_put");
	// Same generation: the VM keeps its VMID on any CPU.
	EXPECT_EQ(1, Load(a, 0, 3));
	auto st = Stats();
	EXPECT_EQ(st.vcpu_loads, 3u);
	EXPECT_EQ(st.vcpu_puts, 1u);
	EXPECT_EQ(st.vmid_allocs, 2u);
	EXPECT_EQ(st.rollovers, 0u);
	EXPECT_EQ(st.generation, 1u);
	EXPECT_TRUE(g_bcasts.empty());
}

TEST_F(Vcpu, CpuAndVcpuRules)
{
	int a = NewVm(), b = NewVm();
	EXPECT_EQ(-EINVAL, Load(a, 2)); // kvm.cpus = 2
	EXPECT_EQ(-EBADF, Load(kfd, 0));
	EXPECT_EQ(-EBADF, Load(77, 0));
	EXPECT_EQ(-EINVAL, Load(a, 0, 512)); // beyond KVM_MAX_VCPU_IDS
	ASSERT_GE(Load(a, 0), 1);
	EXPECT_EQ(-EBUSY, Load(a, 0));    // already loaded
	EXPECT_EQ(-EBUSY, Load(a, 1));    // a vCPU runs on one CPU at a time
	EXPECT_EQ(-EBUSY, Load(b, 0));    // the CPU runs another vCPU
	EXPECT_EQ(-EBUSY, Load(a, 0, 1)); // ... even of the same VM
	ASSERT_GE(Load(a, 1, 1), 1);
	EXPECT_EQ(-EINVAL, Put(a, 1));    // vCPU 0 is on CPU 0
	EXPECT_EQ(-EINVAL, Put(b, 0));    // never loaded
	EXPECT_EQ(0, Put(a, 0));
	EXPECT_EQ(-EINVAL, Put(a, 0));
	EXPECT_GE(Load(b, 0), 1);
	// Another process's VM: EIO (kvm->mm).
	int passed = shim_fd_pass(m.k, "vmm0", a, "vmm9");
	ASSERT_GE(passed, 3);
	EXPECT_EQ(-EIO, shim_kvm_vcpu(m.k, "vmm9", passed, 0, 0, true, m.r.now_ns, nullptr));
	uint32_t v;
	EXPECT_EQ(-EIO, shim_kvm_vm_vmid(m.k, "vmm9", passed, &v));
	// A VM that dies with a vCPU loaded frees its CPU.
	ASSERT_EQ(0, m.Close(b));
	EXPECT_GE(Load(a, 0), 1);
}

TEST_F(Vcpu, RolloverBroadcastsAlle1is)
{
	// 8-bit VMIDs: indexes 1..255. VM k gets index k; the 256th rolls over.
	std::vector<int> vms;
	for (int i = 0; i < 255; i++) {
		vms.push_back(NewVm());
		ASSERT_EQ(i + 1, Load(vms.back(), 0));
		ASSERT_EQ(0, Put(vms.back(), 0));
	}
	uint64_t fast = m.last.end_ns - m.last.start_ns;
	EXPECT_TRUE(g_bcasts.empty());
	ASSERT_GE(Load(vms[0], 1), 1); // keeps VMID 1 on CPU 1 over the rollover
	int last = NewVm();
	uint64_t t0 = m.r.now_ns;
	int idx = Load(last, 0);
	ASSERT_GE(idx, 1);
	ASSERT_EQ(g_bcasts.size(), 1u);
	EXPECT_EQ(g_bcasts[0].op, "ALLE1IS");
	EXPECT_EQ(g_bcasts[0].vmid, 0u);
	EXPECT_GE(g_bcasts[0].t, t0);
	EXPECT_LE(g_bcasts[0].t, m.last.end_ns);
	// The rollover load costs more than a fast one: flush_context and the
	// broadcast's completion.
	EXPECT_GT(m.last.end_ns - m.last.start_ns, fast);
	auto st = Stats();
	EXPECT_EQ(st.rollovers, 1u);
	EXPECT_EQ(st.generation, 2u);
	EXPECT_EQ(st.flushes, 1u);
	EXPECT_EQ(st.flush_removed, 3u);
	// The VM running on CPU 1 kept its index (reserved); the new VM took a
	// free one of the new generation.
	EXPECT_EQ(1u, Vmid(vms[0]));
	EXPECT_NE(1, idx);
	EXPECT_EQ((uint32_t)idx, Vmid(last));
	// The next VM of the new generation needs no broadcast.
	ASSERT_EQ(0, Put(last, 0));
	ASSERT_GE(Load(vms[5], 0), 1);
	EXPECT_EQ(g_bcasts.size(), 1u);
}

} // namespace
