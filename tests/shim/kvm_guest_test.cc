// A guest's stage-1 tables (shim_guest_s1map / s1unmap) checked against
// hand-computed VMSAv8-64 descriptors for 4K and 64K granules, the
// argument rules, the per-pool bump allocation, and an end-to-end walk by
// the SMMU model: a nested STE (vSTE through IOMMU_HWPT_ALLOC on a vIOMMU)
// whose CD, written by the guest, points at the table s1map built.
#include "fd_rig.h"

extern "C" {
#include "smmu/build_ste.h"
}

namespace
{

constexpr uint64_t kIpa = 0x40000000ull; // guest RAM at IPA 1G
constexpr uint64_t kSize = 4ull << 20;

// Leaf attributes: page, AP[1] EL0, SH inner, AF, nG; XN = PXN | UXN.
constexpr uint64_t kLeaf = 0xF43;
constexpr uint64_t kRo = 1ull << 7;
constexpr uint64_t kXn = (1ull << 53) | (1ull << 54);

struct Guest : ::testing::Test {
	FdRig m{1};
	int kfd = -1, vm = -1;
	uint64_t ram = 0;
	void SetUp() override
	{
		ASSERT_EQ(0, m.AddDev("nic0", 0, 0x10));
		m.Boot();
		kfd = m.Open("/dev/kvm");
		vm = (int)m.IoctlRaw(kfd, KVM_CREATE_VM, 0);
		ASSERT_GE(vm, 3);
		ram = m.Mmap(kSize);
		u_kvm_userspace_memory_region r{};
		r.guest_phys_addr = kIpa;
		r.memory_size = kSize;
		r.userspace_addr = ram;
		ASSERT_EQ(0, m.Ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r));
	}
	uint64_t Desc(uint64_t ipa) { return m.r.Read64(m.Pa(ram) + (ipa - kIpa)); }
	int Map(uint64_t ttb, uint64_t va, uint64_t ipa, uint64_t len, uint32_t perm,
	        uint32_t granule = 0, uint32_t va_bits = 0, uint64_t pool = SHIM_S1_POOL_AFTER_ROOT,
	        uint32_t asid = 1)
	{
		shim_s1map s{};
		s.size = sizeof(s);
		s.ttb = ttb;
		s.asid = asid;
		s.va = va;
		s.ipa = ipa;
		s.len = len;
		s.perm = perm;
		s.granule = granule;
		s.va_bits = va_bits;
		s.pool = pool;
		return shim_guest_s1map(m.k, "vmm0", vm, &s);
	}
};

constexpr uint32_t RW = SHIM_S1_R | SHIM_S1_W;

TEST_F(Guest, FourKTablesMatchHandComputedDescriptors)
{
	// 48-bit VA, 4K: levels 0..3. VA 0x8000_0000: L0[0], L1[2], L2[0], L3[0..1].
	// Tables come from the pool just past the root: 0x4000_1000, 2000, 3000.
	ASSERT_EQ(0, Map(kIpa, 0x80000000, 0x40200000, 0x2000, RW));
	EXPECT_EQ(Desc(kIpa), 0x40001003ull);
	EXPECT_EQ(Desc(0x40001000 + 8 * 2), 0x40002003ull);
	EXPECT_EQ(Desc(0x40002000), 0x40003003ull);
	EXPECT_EQ(Desc(0x40003000), 0x0060000040200F43ull);
	EXPECT_EQ(Desc(0x40003008), 0x0060000040201F43ull);
	EXPECT_EQ(Desc(0x40003010), 0ull);
	// Read-only and executable pages.
	ASSERT_EQ(0, Map(kIpa, 0x80002000, 0x40202000, 0x1000, SHIM_S1_R));
	EXPECT_EQ(Desc(0x40003010), 0x40202000ull | kLeaf | kRo | kXn);
	ASSERT_EQ(0, Map(kIpa, 0x80003000, 0x40203000, 0x1000, RW | SHIM_S1_X));
	EXPECT_EQ(Desc(0x40003018), 0x40203000ull | kLeaf);
	// Extending into a new L2 slot takes the pool's next page.
	ASSERT_EQ(0, Map(kIpa, 0x80200000, 0x40300000, 0x1000, RW));
	EXPECT_EQ(Desc(0x40002008), 0x40004003ull);
	EXPECT_EQ(Desc(0x40004000), 0x40300000ull | kLeaf | kXn);
	// The same mapping again is a no-op; another IPA or other permissions
	// are EEXIST, and nothing of the request is written.
	EXPECT_EQ(0, Map(kIpa, 0x80000000, 0x40200000, 0x2000, RW));
	EXPECT_EQ(-EEXIST, Map(kIpa, 0x80001000, 0x40500000, 0x1000, RW));
	EXPECT_EQ(-EEXIST, Map(kIpa, 0x7ffff000, 0x40100000, 0x3000, SHIM_S1_R));
	EXPECT_EQ(Desc(0x40003008), 0x0060000040201F43ull);
	EXPECT_EQ(Desc(0x40001008), 0ull); // no table for 0x7ffff000 was made
	// s1unmap clears leaves only (tables stay), unmapped pages are skipped.
	ASSERT_EQ(0, shim_guest_s1unmap(m.k, "vmm0", vm, kIpa, 0x80001000, 0x3000, 0, 0));
	EXPECT_EQ(Desc(0x40003000), 0x0060000040200F43ull);
	EXPECT_EQ(Desc(0x40003008), 0ull);
	EXPECT_EQ(Desc(0x40003010), 0ull);
	EXPECT_EQ(Desc(0x40003018), 0ull);
	EXPECT_EQ(Desc(0x40002000), 0x40003003ull);
	ASSERT_EQ(0, shim_guest_s1unmap(m.k, "vmm0", vm, kIpa, 0x1000000000ull, 0x1000, 0, 0));
	// Remapped elsewhere after the unmap.
	EXPECT_EQ(0, Map(kIpa, 0x80001000, 0x40500000, 0x1000, RW));
}

TEST_F(Guest, SixtyFourKAndExplicitPools)
{
	// 64K, 48-bit: levels 1..3, a 512-byte root. VA 4G: L1[0], L2[8], L3[0].
	const uint64_t ttb = 0x40010000;
	ASSERT_EQ(0, Map(ttb, 0x100000000ull, 0x40200000, 0x10000, RW, 65536));
	EXPECT_EQ(Desc(ttb), 0x40020003ull); // pool: the 64K page after the root
	EXPECT_EQ(Desc(0x40020000 + 8 * 8), 0x40030003ull);
	EXPECT_EQ(Desc(0x40030000), 0x40200000ull | kLeaf | kXn);
	// The table keeps its geometry; s1unmap finds it by ttb.
	EXPECT_EQ(-EINVAL, Map(ttb, 0x100010000ull, 0x40210000, 0x10000, RW, 4096));
	EXPECT_EQ(-EINVAL, Map(ttb, 0x100010000ull, 0x40210000, 0x10000, RW, 65536, 39));
	ASSERT_EQ(0, Map(ttb, 0x100010000ull, 0x40210000, 0x10000, RW)); // granule from the table
	EXPECT_EQ(Desc(0x40030008), 0x40210000ull | kLeaf | kXn);
	ASSERT_EQ(0, shim_guest_s1unmap(m.k, "vmm0", vm, ttb, 0x100000000ull, 0x10000, 0, 0));
	EXPECT_EQ(Desc(0x40030000), 0ull);
	EXPECT_EQ(Desc(0x40030008), 0x40210000ull | kLeaf | kXn);
	// A 39-bit 4K table (levels 1..3) with an explicit pool; a second
	// table on the same pool continues where the first stopped.
	ASSERT_EQ(0, Map(0x40100000, 0x1000, 0x40200000, 0x1000, RW, 4096, 39, 0x40180000));
	EXPECT_EQ(Desc(0x40100000), 0x40180003ull);
	EXPECT_EQ(Desc(0x40180000), 0x40181003ull);
	EXPECT_EQ(Desc(0x40181008), 0x40200000ull | kLeaf | kXn);
	ASSERT_EQ(0, Map(0x40110000, 0x1000, 0x40200000, 0x1000, RW, 4096, 39, 0x40180000));
	EXPECT_EQ(Desc(0x40110000), 0x40182003ull);
}

TEST_F(Guest, ArgumentRules)
{
	EXPECT_EQ(-EINVAL, Map(kIpa, 0x80000800, 0x40200000, 0x1000, RW));  // va misaligned
	EXPECT_EQ(-EINVAL, Map(kIpa, 0x80000000, 0x40200800, 0x1000, RW));  // ipa misaligned
	EXPECT_EQ(-EINVAL, Map(kIpa, 0x80000000, 0x40200000, 0x1800, RW));  // len
	EXPECT_EQ(-EINVAL, Map(kIpa, 0x80000000, 0x40200000, 0, RW));       // len 0
	EXPECT_EQ(-EINVAL, Map(kIpa + 8, 0x80000000, 0x40200000, 0x1000, RW)); // ttb alignment
	EXPECT_EQ(-EINVAL, Map(kIpa, 0x80000000, 0x40200000, 0x1000, SHIM_S1_W)); // no read
	EXPECT_EQ(-EINVAL, Map(kIpa, 0x80000000, 0x40200000, 0x1000, RW, 8192));
	EXPECT_EQ(-EINVAL, Map(kIpa, 0x80000000, 0x40200000, 0x1000, RW, 4096, 52));
	EXPECT_EQ(-EINVAL, Map(kIpa, 1ull << 39, 0x40200000, 0x1000, RW, 4096, 39)); // past va_bits
	EXPECT_EQ(-EINVAL, Map(kIpa, 0, 1ull << 48, 0x1000, RW));            // ipa past 48 bits
	EXPECT_EQ(-EINVAL, Map(kIpa, 0, 0x40200000, 0x1000, RW, 0, 0, 0x40000800)); // pool
	EXPECT_EQ(-EINVAL, Map(kIpa, 0, 0x40200000, 0x1000, RW, 0, 0, SHIM_S1_POOL_AFTER_ROOT,
	                       0x10000)); // asid
	// A root or pool outside guest memory: EFAULT.
	EXPECT_EQ(-EFAULT, Map(0x10000000, 0, 0x40200000, 0x1000, RW));
	EXPECT_EQ(-EFAULT, Map(kIpa, 0, 0x40200000, 0x1000, RW, 0, 0, 0x90000000));
	vm = kfd; // not a VM fd
	EXPECT_EQ(-EBADF, Map(kIpa, 0, 0x40200000, 0x1000, RW));
}

TEST_F(Guest, BlockWrittenByTheGuestIsEexist)
{
	ASSERT_EQ(0, Map(kIpa, 0x80000000, 0x40200000, 0x1000, RW));
	// The guest puts a 1G block in L1[3] (VA 0xC000_0000) itself.
	uint64_t blk = 0x40000000ull | 1 | (1ull << 10);
	ASSERT_EQ(0, shim_guest_write(m.k, "vmm0", vm, 0x40001000 + 8 * 3, &blk, 8));
	EXPECT_EQ(-EEXIST, Map(kIpa, 0xC0000000, 0x40200000, 0x1000, RW));
	EXPECT_EQ(-EEXIST, shim_guest_s1unmap(m.k, "vmm0", vm, kIpa, 0xC0000000, 0x1000, 0, 0));
}

// The SMMU model walks the guest's table: a nested STE whose CD (in guest
// memory, written by the guest) has TTB0 = the root s1map built.
TEST_F(Guest, SmmuWalksTheGuestTableThroughANestedSte)
{
	int ifd = m.Open("/dev/iommu");
	int dfd = m.Open("/dev/vfio/devices/vfio0");
	uint32_t dev, ioas, s2, viommu, vdev, nested;
	ASSERT_EQ(0, m.Bind(dfd, ifd, &dev));
	ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas));
	uint64_t iova = kIpa;
	ASSERT_EQ(0, m.Map(ifd, ioas, ram, kSize, &iova));
	ASSERT_EQ(0, m.HwptAlloc(ifd, dev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &s2));
	ASSERT_EQ(0, m.ViommuAlloc(ifd, dev, s2, &viommu));
	ASSERT_EQ(0, m.VdevAlloc(ifd, viommu, dev, 0x8, &vdev));
	// The guest: a table at 1G, a CD at 1G + 1M, two pages RW and one RO.
	ASSERT_EQ(0, Map(kIpa, 0x80000000, 0x40200000, 0x2000, RW, 0, 0, SHIM_S1_POOL_AFTER_ROOT, 9));
	ASSERT_EQ(0, Map(kIpa, 0x80002000, 0x40202000, 0x1000, SHIM_S1_R, 0, 0,
	                 SHIM_S1_POOL_AFTER_ROOT, 9));
	uint64_t cd[8];
	smmu_build_cd(cd, kIpa, 9, 12, 48);
	const uint64_t cd_ipa = 0x40100000;
	ASSERT_EQ(0, shim_guest_write(m.k, "vmm0", vm, cd_ipa, cd, sizeof(cd)));
	uint64_t vste[2] = {1 | (5ull << 1) | cd_ipa, (1ull << 2) | (1ull << 4) | (3ull << 6)};
	ASSERT_EQ(0, m.HwptAlloc(ifd, dev, viommu, 0, &nested, IOMMU_HWPT_DATA_ARM_SMMUV3, vste, 16));
	uint32_t pt = nested;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	auto x = m.r.Dma(0, 0x10, 0x80001234, true);
	ASSERT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, m.Pa(ram) + 0x201234);
	EXPECT_EQ(x.asid, 9u);
	auto ro = m.r.Dma(0, 0x10, 0x80002000, false);
	ASSERT_EQ(ro.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(ro.pa, m.Pa(ram) + 0x202000);
	// AP[2]: the read-only page refuses a write; an unmapped VA faults.
	EXPECT_NE(m.r.Dma(0, 0x10, 0x80002000, true).outcome, SMMU_XLATE_OK);
	EXPECT_NE(m.r.Dma(0, 0x10, 0x80003000, false).outcome, SMMU_XLATE_OK);
}

} // namespace
