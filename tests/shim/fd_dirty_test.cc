// Dirty tracking through iommufd on an SMMU with HTTU dirty state:
// IOMMU_HW_CAP_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_DIRTY_TRACKING (DBM page
// tables, CD.HA/HD), SET_DIRTY_TRACKING clearing every page, device writes
// dirtying pages through HTTU, GET_DIRTY_BITMAP against a hand-computed
// bitmap (with and without NO_CLEAR, bits ORed into the user's words), and
// what clearing costs: descriptor writes, and no invalidation command
// (Linux 7.0 on arm-smmu-v3, see docs/kernel-uapi-compliance.md).
#include "fd_rig.h"

namespace
{

constexpr uint32_t FIXED =
    IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;

void Httu2(smmu_config *c)
{
	c->httu = 2;
}

struct Dirty : ::testing::Test {
	FdRig m{1, 256ull << 20, nullptr, Httu2};
	int ifd = -1, dfd = -1;
	uint32_t dev = 0, ioas = 0, h = 0;
	uint64_t buf = 0;
	void SetUp() override
	{
		ASSERT_EQ(0, m.AddDev("nic0", 0, 0x10));
		m.Boot();
		ifd = m.Open("/dev/iommu");
		dfd = m.Open("/dev/vfio/devices/vfio0");
		ASSERT_EQ(0, m.Bind(dfd, ifd, &dev));
		ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas));
		buf = m.Mmap(0x40000);
		uint64_t iova = 0x100000;
		ASSERT_EQ(0, m.Map(ifd, ioas, buf, 0x40000, &iova));
		ASSERT_EQ(0, m.HwptAlloc(ifd, dev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &h));
		uint32_t pt = h;
		ASSERT_EQ(0, m.Attach(dfd, &pt));
	}
	int64_t SetTracking(uint32_t hwpt, bool on)
	{
		u_hwpt_set_dirty a{};
		a.size = sizeof(a);
		a.flags = on ? 1 : 0;
		a.hwpt_id = hwpt;
		return m.Ioctl(ifd, IOMMU_HWPT_SET_DIRTY_TRACKING, &a);
	}
	int64_t Bitmap(uint64_t *words, uint64_t len, uint64_t page, uint32_t flags = 0,
	               uint64_t iova = 0x100000)
	{
		u_hwpt_get_dirty_bitmap a{};
		a.size = sizeof(a);
		a.hwpt_id = h;
		a.flags = flags;
		a.iova = iova;
		a.length = len;
		a.page_size = page;
		a.data = (uint64_t)(uintptr_t)words;
		return m.Ioctl(ifd, IOMMU_HWPT_GET_DIRTY_BITMAP, &a);
	}
	void Write(uint64_t off)
	{
		auto x = m.r.Dma(0, 0x10, 0x100000 + off, /*write=*/true);
		ASSERT_EQ(x.outcome, SMMU_XLATE_OK);
	}
};

TEST_F(Dirty, HarvestMatchesTheWrites)
{
	// Linux maps writable pages writable-dirty: all 64 pages read dirty.
	uint64_t w[1] = {0};
	ASSERT_EQ(0, Bitmap(w, 0x40000, 0x1000, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR));
	EXPECT_EQ(w[0], ~0ull);
	ASSERT_EQ(0, SetTracking(h, true)); // clears them
	w[0] = 0;
	ASSERT_EQ(0, Bitmap(w, 0x40000, 0x1000));
	EXPECT_EQ(w[0], 0u);
	// Writes to pages 0, 7 and 63 (two to page 7); a read of page 8.
	Write(0x10);
	Write(0x7000);
	Write(0x7800);
	Write(0x3f000);
	ASSERT_EQ(m.r.Dma(0, 0x10, 0x108000, false).outcome, SMMU_XLATE_OK);
	const uint64_t want = 1ull | (1ull << 7) | (1ull << 63);
	ASSERT_EQ(0, Bitmap(w, 0x40000, 0x1000, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR));
	EXPECT_EQ(w[0], want);
	EXPECT_EQ(m.last.ncmds, 0u);
	// Bits are ORed into the user's words: a preset bit stays.
	w[0] = 1ull << 40;
	ASSERT_EQ(0, Bitmap(w, 0x40000, 0x1000));
	EXPECT_EQ(w[0], want | (1ull << 40));
	// Clearing wrote three descriptors and issued no invalidation.
	EXPECT_EQ(m.last.ncmds, 0u);
	w[0] = 0;
	ASSERT_EQ(0, Bitmap(w, 0x40000, 0x1000));
	EXPECT_EQ(w[0], 0u);
	// 16K per bit: pages 0, 7 -> bits 0, 1 ... on the next writes.
	Write(0x20000); // page 32: walks (never written since the clear)
	uint64_t w16[1] = {0};
	ASSERT_EQ(0, Bitmap(w16, 0x40000, 0x4000));
	EXPECT_EQ(w16[0], 1ull << 8);
}

TEST_F(Dirty, Rules)
{
	uint64_t w[2] = {0, 0};
	EXPECT_EQ(-EINVAL, Bitmap(w, 0x40000, 0x1000, 0, 0x100800)); // unaligned iova
	EXPECT_EQ(-EINVAL, Bitmap(w, 0x40000, 0));
	EXPECT_EQ(-EINVAL, Bitmap(w, 0x4000, 0x8000)); // range not a multiple of it
	EXPECT_EQ(-EOVERFLOW, Bitmap(w, 0, 0x1000));
	EXPECT_EQ(-EOPNOTSUPP, Bitmap(w, 0x40000, 0x1000, 2));
	// Linux 7.0 drops iova_bitmap_for_each's result: past the mapping (a
	// hole), the pages before the hole are reported and the call returns 0;
	// so does a bitmap that is not there (nothing read, nothing cleared),
	// and a range of nothing mapped.
	Write(0x3f000);
	EXPECT_EQ(0, Bitmap(nullptr, 0x40000, 0x1000));
	w[0] = w[1] = 0;
	EXPECT_EQ(0, Bitmap(w, 0x80000, 0x1000)); // 0x100000..0x17ffff, mapped to 0x13ffff
	EXPECT_EQ(w[0] >> 63, 1u);                // page 63 was still dirty: not cleared above
	EXPECT_EQ(w[1], 0u);
	w[0] = 0;
	EXPECT_EQ(0, Bitmap(w, 0x40000, 0x1000, 0, 0x200000)); // nothing mapped there
	EXPECT_EQ(w[0], 0u);
	EXPECT_EQ(0, Bitmap(w, 0x40000, 0x1000)); // cleared by the read past the mapping
	EXPECT_EQ(w[0], 0u);
	uint32_t plain = 0;
	ASSERT_EQ(0, m.HwptAlloc(ifd, dev, ioas, 0, &plain));
	EXPECT_EQ(-EOPNOTSUPP, SetTracking(plain, true));
	EXPECT_EQ(-ENOENT, SetTracking(999, true));
	uint32_t np = 0;
	EXPECT_EQ(-EOPNOTSUPP,
	          m.HwptAlloc(ifd, dev, ioas,
	                      IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_ALLOC_NEST_PARENT, &np));
}

TEST(DirtyCaps, NoHttuNoDirtyTracking)
{
	FdRig m(1);
	ASSERT_EQ(0, m.AddDev("nic0", 0, 0x10));
	m.Boot();
	int ifd = m.Open("/dev/iommu"), dfd = m.Open("/dev/vfio/devices/vfio0");
	uint32_t dev = 0, ioas = 0, h = 0;
	ASSERT_EQ(0, m.Bind(dfd, ifd, &dev));
	ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas));
	EXPECT_EQ(-EOPNOTSUPP, m.HwptAlloc(ifd, dev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &h));
}

} // namespace

// Stalls through the kernel model (STALL_MODEL=10, stall forced): the driver
// makes stage-1 faults stall (CD.S=1) and stage-2 ones (S2S=1); a stalled
// DMA's event reaches the event-queue handler, which has no I/O page fault
// handler for it and aborts it with CMD_RESUME (7.0's "Nobody cared").
namespace
{
void StallForced(smmu_config *c)
{
	c->stall_model = 2;
}
} // namespace

TEST(KernelStall, StalledDmaIsAbortedByTheEventHandler)
{
	FdRig m(1, 256ull << 20, nullptr, StallForced);
	ASSERT_EQ(0, m.AddDev("nic0", 0, 0x10));
	m.Boot();
	int ifd = m.Open("/dev/iommu"), dfd = m.Open("/dev/vfio/devices/vfio0");
	uint32_t dev = 0, ioas = 0;
	ASSERT_EQ(0, m.Bind(dfd, ifd, &dev));
	ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas));
	uint64_t va = m.Mmap(0x4000), iova = 0x100000;
	ASSERT_EQ(0, m.Map(ifd, ioas, va, 0x4000, &iova));
	uint32_t pt = ioas;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	ASSERT_EQ(m.r.Dma(0, 0x10, 0x100040, false).outcome, SMMU_XLATE_OK);
	auto x = m.r.Dma(0, 0x10, 0x900000, true); // unmapped
	ASSERT_EQ(x.outcome, SMMU_XLATE_STALLED);
	smmu *s = m.r.smmus[0]->s;
	EXPECT_EQ(smmu_stalled_count(s), 1u);
	ASSERT_EQ(0, m.Irq(0)); // the event queue interrupt
	bool resumed = false;
	for (uint32_t i = 0; i < m.last.ncmds && i < SHIM_CALL_MAX_OPS; i++)
		resumed |= m.last.cmds[i] == SMMU_CMD_RESUME;
	EXPECT_TRUE(resumed);
	EXPECT_EQ(smmu_stalled_count(s), 0u);
	EXPECT_EQ(smmu_get_stats(s)->stall_resumes, 1u);
}
