// The host kernel's DMA API (dma-iommu + iova.c of Linux 7.0) on a device's
// default DMA domain, through shim_dma_map/shim_dma_unmap: IOVAs as the
// kernel's allocator hands them out (top-down from 4 GiB, size-aligned,
// power-of-two rounding below 32 pages, per-CPU caches LIFO, the switch to
// 64-bit IOVAs when the 32-bit space is full), what the SMMU then
// translates, what strict and lazy unmaps invalidate (per page or by range,
// the flush queue's full and timer flushes), and the errors.
#include "fd_rig.h"

#include "smmu/smmu_defs.h"

namespace
{

constexpr uint64_t kIova32Top = 0xfffff000ull;

void Lazy(shim_config *c)
{
	c->iommu_strict = false;
}

void NoRil(smmu_config *c)
{
	c->ril = false;
}

struct DmaApi {
	FdRig m;
	explicit DmaApi(void (*tweak)(shim_config *) = nullptr,
	                void (*smmu_tweak)(smmu_config *) = nullptr)
	    : m(1, 256ull << 20, tweak, smmu_tweak)
	{
		EXPECT_EQ(0, m.AddDev("nic0", 0, 0x10));
		m.Boot();
	}
	uint64_t &now = m.r.now_ns; // one clock for the kernel and the devices
	shim_call c{};
	int Map(uint64_t len, uint64_t *iova, unsigned dir = SHIM_DMA_TO_DEVICE,
	        uint64_t pa = SHIM_PA_ANY, uint32_t cpu = 0)
	{
		c = shim_call{};
		c.size = sizeof(c);
		int rc = shim_dma_map(m.k, 0, pa, len, dir, cpu, now, iova, &c);
		if (c.end_ns > now)
			now = c.end_ns;
		return rc;
	}
	int Unmap(uint64_t iova, uint64_t len, uint32_t cpu = 0)
	{
		c = shim_call{};
		c.size = sizeof(c);
		int rc = shim_dma_unmap(m.k, 0, iova, len, cpu, now, &c);
		if (c.end_ns > now)
			now = c.end_ns;
		return rc;
	}
	uint32_t Count(uint8_t op) const
	{
		uint32_t n = 0;
		for (uint32_t i = 0; i < c.ncmds && i < SHIM_CALL_MAX_OPS; i++)
			n += c.cmds[i] == op;
		return n;
	}
	struct shim_dma_stats Stats()
	{
		struct shim_dma_stats s{};
		EXPECT_EQ(SHIM_OK, shim_dma_stats(m.k, &s));
		return s;
	}
};

TEST(DmaApiIova, TopDownSizeAlignedFrom4G)
{
	DmaApi d;
	uint64_t a, b, c3, e, f;
	ASSERT_EQ(0, d.Map(1500, &a));
	EXPECT_EQ(a, kIova32Top);
	ASSERT_EQ(0, d.Map(64 << 10, &b)); // 16 pages, 16-page aligned below
	EXPECT_EQ(b, 0xfffe0000ull);
	ASSERT_EQ(0, d.Map(0x3000, &c3)); // 3 pages round up to 4
	EXPECT_EQ(c3, 0xfffdc000ull);
	ASSERT_EQ(0, d.Map(128 << 10, &e)); // 32 pages: aligned to 32
	EXPECT_EQ(e, 0xfffa0000ull);
	ASSERT_EQ(0, d.Map(33 * 4096, &f)); // 33 pages: not rounded, 64-page aligned
	EXPECT_EQ(f, 0xfff40000ull);
	struct shim_dma_stats s = d.Stats();
	EXPECT_EQ(s.maps, 5u);
	EXPECT_EQ(s.iova_tree_allocs, 5u);
	EXPECT_EQ(s.iova_cache_allocs, 0u);
	EXPECT_EQ(s.live_maps, 5u);
}

TEST(DmaApiIova, TheDomainTranslatesToTheBufferWithItsOffset)
{
	DmaApi d;
	uint64_t pa = ShimRig::kDramBase + 0x0f00234, iova = 0, out = 0;
	ASSERT_EQ(0, d.Map(100, &iova, SHIM_DMA_BIDIRECTIONAL, pa));
	EXPECT_EQ(iova, kIova32Top + 0x234);
	ASSERT_EQ(0, shim_dma_translate(d.m.k, 0, iova, &out));
	EXPECT_EQ(out, pa);
	// the device reads and writes through the SMMU (bidirectional)
	auto r = d.m.r.Dma(0, 0x10, iova, false);
	ASSERT_EQ(r.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(r.pa, pa);
	EXPECT_EQ(d.m.r.Dma(0, 0x10, iova, true).outcome, SMMU_XLATE_OK);
}

TEST(DmaApiIova, DirectionsGiveThePermissions)
{
	DmaApi d;
	uint64_t to, from;
	ASSERT_EQ(0, d.Map(4096, &to, SHIM_DMA_TO_DEVICE));
	ASSERT_EQ(0, d.Map(4096, &from, SHIM_DMA_FROM_DEVICE));
	EXPECT_EQ(d.m.r.Dma(0, 0x10, to, false).outcome, SMMU_XLATE_OK);
	auto w = d.m.r.Dma(0, 0x10, to, true);
	EXPECT_EQ(w.outcome, SMMU_XLATE_ABORT);
	EXPECT_EQ(w.event, SMMU_EVT_F_PERMISSION);
	EXPECT_EQ(d.m.r.Dma(0, 0x10, from, true).outcome, SMMU_XLATE_OK);
	// stage-1 descriptors cannot say write-only (AP has no "no read"):
	// io-pgtable-arm maps DMA_FROM_DEVICE read-write
	EXPECT_EQ(d.m.r.Dma(0, 0x10, from, false).outcome, SMMU_XLATE_OK);
}

TEST(DmaApiIova, FreedIovasComeBackLifoFromTheCpuCache)
{
	DmaApi d;
	uint64_t a, b, x, y;
	ASSERT_EQ(0, d.Map(1500, &a));
	ASSERT_EQ(0, d.Map(1500, &b));
	EXPECT_EQ(b, kIova32Top - 0x1000);
	ASSERT_EQ(0, d.Unmap(a, 1500));
	ASSERT_EQ(0, d.Unmap(b, 1500));
	ASSERT_EQ(0, d.Map(1500, &x));
	ASSERT_EQ(0, d.Map(1500, &y));
	EXPECT_EQ(x, b);
	EXPECT_EQ(y, a);
	EXPECT_EQ(d.Stats().iova_cache_allocs, 2u);
	// another CPU has its own (empty) cache: a fresh IOVA from the tree
	uint64_t z;
	ASSERT_EQ(0, d.Unmap(x, 1500, 0));
	ASSERT_EQ(0, d.Map(1500, &z, SHIM_DMA_TO_DEVICE, SHIM_PA_ANY, 1));
	EXPECT_NE(z, x);
	EXPECT_EQ(z, kIova32Top - 0x2000);
}

TEST(DmaApiIova, Full32BitSpaceMovesTheDeviceTo64BitIovas)
{
	DmaApi d;
	uint64_t v[4], w;
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, d.Map(1ull << 30, &v[i], SHIM_DMA_TO_DEVICE, ShimRig::kDramBase));
		EXPECT_EQ(v[i], (3ull - i) << 30);
	}
	// PFN 0 is never handed out: the fourth GiB does not fit below 4 GiB
	ASSERT_EQ(0, d.Map(1ull << 30, &v[3], SHIM_DMA_TO_DEVICE, ShimRig::kDramBase));
	EXPECT_EQ(v[3], (1ull << 48) - (1ull << 30));
	EXPECT_EQ(d.Stats().iova_64bit_switches, 1u);
	// and it stays there (pci_32bit_workaround is off for good)
	ASSERT_EQ(0, d.Map(1500, &w));
	EXPECT_EQ(w, (1ull << 48) - (1ull << 30) - 0x1000);
}

TEST(DmaApiStrict, EachUnmapInvalidatesItsRangeAndSyncs)
{
	DmaApi d;
	uint64_t a, b;
	ASSERT_EQ(0, d.Map(1500, &a));
	ASSERT_EQ(0, d.Map(64 << 10, &b));
	EXPECT_EQ(d.c.ncmds, 0u); // the domain exists: a map issues nothing
	ASSERT_EQ(0, d.Unmap(a, 1500));
	EXPECT_EQ(d.Count(SMMU_CMD_TLBI_NH_VA), 1u);
	EXPECT_EQ(d.Count(SMMU_CMD_SYNC), 1u);
	EXPECT_EQ(d.c.ncmds, 2u);
	// 16 pages with RIL (on by default): one range TLBI
	ASSERT_EQ(0, d.Unmap(b, 64 << 10));
	EXPECT_EQ(d.Count(SMMU_CMD_TLBI_NH_VA), 1u);
	EXPECT_EQ(d.Count(SMMU_CMD_SYNC), 1u);
	// a DMA to the unmapped IOVA faults at once
	auto r = d.m.r.Dma(0, 0x10, a, false);
	EXPECT_EQ(r.outcome, SMMU_XLATE_ABORT);
	EXPECT_EQ(r.event, SMMU_EVT_F_TRANSLATION);
}

TEST(DmaApiStrict, WithoutRilEveryPageHasItsTlbi)
{
	DmaApi d(nullptr, NoRil);
	uint64_t b;
	ASSERT_EQ(0, d.Map(64 << 10, &b));
	ASSERT_EQ(0, d.Unmap(b, 64 << 10));
	EXPECT_EQ(d.Count(SMMU_CMD_TLBI_NH_VA), 16u);
	EXPECT_EQ(d.Count(SMMU_CMD_SYNC), 1u);
}

TEST(DmaApiLazy, UnmapsQueueAndTheFullQueueFlushesTheAsid)
{
	DmaApi d(Lazy);
	std::vector<uint64_t> v(300);
	for (auto &x : v)
		ASSERT_EQ(0, d.Map(1500, &x));
	// 255 unmaps fill the 256-slot ring without a command
	for (int i = 0; i < 255; i++) {
		ASSERT_EQ(0, d.Unmap(v[i], 1500));
		ASSERT_EQ(d.c.ncmds, 0u) << i;
	}
	struct shim_dma_stats s = d.Stats();
	EXPECT_EQ(s.fq_queued, 255u);
	EXPECT_EQ(s.fq_pending, 255u);
	EXPECT_EQ(s.fq_flush_full, 0u);
	// the 256th flushes the whole ASID once, then queues itself
	ASSERT_EQ(0, d.Unmap(v[255], 1500));
	EXPECT_EQ(d.Count(SMMU_CMD_TLBI_NH_ASID), 1u);
	EXPECT_EQ(d.Count(SMMU_CMD_SYNC), 1u);
	EXPECT_EQ(d.Count(SMMU_CMD_TLBI_NH_VA), 0u);
	s = d.Stats();
	EXPECT_EQ(s.fq_flush_full, 1u);
	EXPECT_EQ(s.fq_pending, 1u);
	// the flushed IOVAs are reusable now (LIFO from the CPU cache)
	uint64_t again;
	ASSERT_EQ(0, d.Map(1500, &again));
	EXPECT_EQ(again, v[254]);
}

TEST(DmaApiLazy, AQueuedIovaIsNotReusedAndStillTranslatesUntilTheFlush)
{
	DmaApi d(Lazy);
	uint64_t a, b;
	ASSERT_EQ(0, d.Map(1500, &a));
	// warm the TLB, unmap: the page table entry is gone, the TLB entry not
	ASSERT_EQ(d.m.r.Dma(0, 0x10, a, false).outcome, SMMU_XLATE_OK);
	ASSERT_EQ(0, d.Unmap(a, 1500));
	EXPECT_EQ(d.c.ncmds, 0u);
	uint64_t pa;
	EXPECT_EQ(-ENOENT, shim_dma_translate(d.m.k, 0, a, &pa));
	EXPECT_EQ(d.m.r.Dma(0, 0x10, a, false).outcome, SMMU_XLATE_OK); // the lazy window
	ASSERT_EQ(0, d.Map(1500, &b));
	EXPECT_NE(b, a);
	// the timer: msecs_to_jiffies(10) = 3 jiffies at HZ=250, from the
	// jiffy the entry was queued in
	uint64_t due = shim_timer_due(d.m.k);
	const uint64_t jiffy = 4000000;
	EXPECT_EQ(due % jiffy, 0u);
	EXPECT_GT(due, d.now + 8000000 - jiffy);
	EXPECT_LE(due, d.now + 12000000);
	shim_call t{};
	t.size = sizeof(t);
	EXPECT_EQ(0, shim_run_timers(d.m.k, due - 1, &t)); // not yet
	t = shim_call{};
	t.size = sizeof(t);
	EXPECT_EQ(1, shim_run_timers(d.m.k, due, &t));
	EXPECT_STREQ(t.request, "fq_flush_timeout");
	uint32_t asid = 0, sync = 0;
	for (uint32_t i = 0; i < t.ncmds; i++) {
		asid += t.cmds[i] == SMMU_CMD_TLBI_NH_ASID;
		sync += t.cmds[i] == SMMU_CMD_SYNC;
	}
	EXPECT_EQ(asid, 1u);
	EXPECT_EQ(sync, 1u);
	EXPECT_EQ(shim_timer_due(d.m.k), UINT64_MAX);
	EXPECT_EQ(d.Stats().fq_flush_timer, 1u);
	d.now = t.end_ns;
	EXPECT_EQ(d.m.r.Dma(0, 0x10, a, false).outcome, SMMU_XLATE_ABORT);
	uint64_t c2;
	ASSERT_EQ(0, d.Map(1500, &c2));
	EXPECT_EQ(c2, a);
}

TEST(DmaApiErrors, AsTheKernelWouldRefuseThem)
{
	DmaApi d;
	uint64_t a = 0;
	EXPECT_EQ(-EINVAL, d.Map(0, &a));
	EXPECT_EQ(-EINVAL, d.Map(4096, &a, 7));
	EXPECT_EQ(-EINVAL, d.Map(4096, &a, SHIM_DMA_TO_DEVICE, SHIM_PA_ANY, 4096)); // no such CPU
	ASSERT_EQ(0, d.Map(4096, &a));
	EXPECT_EQ(-EINVAL, d.Unmap(a + 0x1000, 4096)); // never mapped
	EXPECT_EQ(-EINVAL, d.Unmap(a, 8192));          // another length
	EXPECT_EQ(0, d.Unmap(a, 4096));
	EXPECT_EQ(-EINVAL, d.Unmap(a, 4096)); // twice
	EXPECT_EQ(d.Stats().failures, 6u);
	EXPECT_EQ(-ENODEV, shim_dma_map(d.m.k, 5, SHIM_PA_ANY, 4096, 0, 0, 0, &a, nullptr));
	// a device user space owns (VFIO cdev bound to iommufd) has no host driver
	int ifd = d.m.Open("/dev/iommu");
	int dfd = d.m.Open("/dev/vfio/devices/vfio0");
	uint32_t dev = 0;
	ASSERT_EQ(0, d.m.Bind(dfd, ifd, &dev));
	EXPECT_EQ(-EBUSY, d.Map(4096, &a));
}

TEST(DmaApiErrors, VfioOwnershipParksTheDmaDomainAndGivesItBack)
{
	DmaApi d;
	uint64_t a = 0;
	ASSERT_EQ(0, d.Map(4096, &a));
	ASSERT_EQ(d.m.r.Dma(0, 0x10, a, false).outcome, SMMU_XLATE_OK);
	int ifd = d.m.Open("/dev/iommu");
	int dfd = d.m.Open("/dev/vfio/devices/vfio0");
	uint32_t dev = 0;
	ASSERT_EQ(0, d.m.Bind(dfd, ifd, &dev));
	// blocked while user space owns it
	EXPECT_NE(d.m.r.Dma(0, 0x10, a, false).outcome, SMMU_XLATE_OK);
	ASSERT_EQ(0, d.m.Close(dfd));
	auto r = d.m.r.Dma(0, 0x10, a, false);
	EXPECT_EQ(r.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(0, d.Unmap(a, 4096));
}

} // namespace
