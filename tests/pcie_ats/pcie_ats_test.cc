// The ATS function model: ATC fills, hits and misses (permissions, PASIDs,
// sizes above the STU, LRU in a set), invalidation by range, by PASID, of
// every PASID and of everything, the round trip (link + flush + link), the
// device's serial flush work, and ITag back-pressure at the Invalidate Queue
// Depth (0 means 32).
#include <gtest/gtest.h>

extern "C" {
#include "pcie_ats/pcie_ats.h"
}

namespace
{

struct Fn {
	pcie_ats *a = nullptr;
	explicit Fn(void (*tweak)(pcie_ats_config *) = nullptr)
	{
		pcie_ats_config c;
		pcie_ats_config_default(&c);
		if (tweak)
			tweak(&c);
		EXPECT_EQ(0, pcie_ats_create(&c, &a));
	}
	~Fn() { pcie_ats_destroy(a); }
	void Fill(uint64_t iova, uint64_t size, uint64_t pa, bool ssv = false, uint32_t ssid = 0,
	          bool write = true)
	{
		pcie_ats_entry e{iova, size, pa, ssid, ssv, true, write, 0};
		pcie_ats_fill(a, &e);
	}
	bool Has(uint64_t addr, bool ssv = false, uint32_t ssid = 0, bool write = false)
	{
		uint64_t pa;
		return pcie_ats_lookup(a, ssv, ssid, addr, write, &pa, nullptr);
	}
	pcie_ats_stats Stats()
	{
		pcie_ats_stats s{};
		pcie_ats_get_stats(a, &s);
		return s;
	}
};

TEST(PcieAts, BadConfigurationsAreRefused)
{
	pcie_ats_config c;
	pcie_ats_config_default(&c);
	pcie_ats *a = nullptr;
	c.stu = 40;
	EXPECT_EQ(-1, pcie_ats_create(&c, &a));
	pcie_ats_config_default(&c);
	c.atc_ways = 3; // 64 entries do not split into sets of 3
	EXPECT_EQ(-1, pcie_ats_create(&c, &a));
	pcie_ats_config_default(&c);
	c.invq_depth = 33;
	EXPECT_EQ(-1, pcie_ats_create(&c, &a));
}

TEST(PcieAts, HitsMissesPermissionsAndPasids)
{
	Fn f;
	f.Fill(0x10000, 4096, 0x80010000);
	f.Fill(0x200000, 2 << 20, 0x80200000, true, 5, false); // 2 MiB, read-only, PASID 5
	uint64_t pa = 0;
	EXPECT_TRUE(pcie_ats_lookup(f.a, false, 0, 0x10abc, true, &pa, nullptr));
	EXPECT_EQ(pa, 0x80010abcu);
	EXPECT_FALSE(f.Has(0x11000));                // not cached
	EXPECT_TRUE(f.Has(0x3ff000, true, 5));       // inside the 2 MiB entry
	EXPECT_FALSE(f.Has(0x3ff000, true, 5, true)); // read-only
	EXPECT_FALSE(f.Has(0x3ff000, true, 6));       // another PASID
	EXPECT_FALSE(f.Has(0x3ff000));                // no PASID
	pcie_ats_stats s = f.Stats();
	EXPECT_EQ(s.hits, 2u);
	EXPECT_EQ(s.misses, 4u);
}

TEST(PcieAts, LruInASet)
{
	Fn f([](pcie_ats_config *c) {
		c->atc_entries = 4;
		c->atc_ways = 2; // 2 sets
	});
	// pages 0, 2, 4 fall in set 0
	f.Fill(0x0000, 4096, 0x1000);
	f.Fill(0x2000, 4096, 0x2000);
	EXPECT_TRUE(f.Has(0x0000)); // 0 is now the most recent
	f.Fill(0x4000, 4096, 0x3000);
	EXPECT_TRUE(f.Has(0x0000));
	EXPECT_FALSE(f.Has(0x2000)); // the least recent went
	EXPECT_TRUE(f.Has(0x4000));
	EXPECT_EQ(f.Stats().evictions, 1u);
	EXPECT_EQ(pcie_ats_occupancy(f.a), 2u);
}

TEST(PcieAts, InvalidationByRangePasidGlobalAndAll)
{
	Fn f;
	f.Fill(0x10000, 4096, 0x1000);
	f.Fill(0x11000, 4096, 0x2000);
	f.Fill(0x40000, 4096, 0x3000);
	f.Fill(0x10000, 4096, 0x4000, true, 1);
	f.Fill(0x10000, 4096, 0x5000, true, 2);
	uint32_t n = 0;
	// 8 KiB at 0x10000 without a PASID: the two non-PASID pages only
	pcie_ats_invalidate(f.a, false, 0, false, 0x10000, 1, 0, &n);
	EXPECT_EQ(n, 2u);
	EXPECT_FALSE(f.Has(0x11000));
	EXPECT_TRUE(f.Has(0x40000));
	EXPECT_TRUE(f.Has(0x10000, true, 1));
	// PASID 1 only
	pcie_ats_invalidate(f.a, true, 1, false, 0x10000, 0, 0, &n);
	EXPECT_EQ(n, 1u);
	EXPECT_TRUE(f.Has(0x10000, true, 2));
	// every PASID (Global)
	pcie_ats_invalidate(f.a, true, 0, true, 0x10000, 0, 0, &n);
	EXPECT_EQ(n, 1u);
	// everything (size 52)
	pcie_ats_invalidate(f.a, false, 0, false, 0, 52, 0, &n);
	EXPECT_EQ(n, 1u);
	EXPECT_EQ(pcie_ats_occupancy(f.a), 0u);
}

TEST(PcieAts, RoundTripAndSerialFlushes)
{
	Fn f; // link 500 each way, flush 1000
	EXPECT_EQ(pcie_ats_invalidate(f.a, false, 0, false, 0, 0, 1000, nullptr), 1000u + 2000u);
	// a second request at the same time: the device is busy until 2500
	EXPECT_EQ(pcie_ats_invalidate(f.a, false, 0, false, 0, 0, 1000, nullptr), 1000u + 3000u);
	// a later one finds the device idle
	EXPECT_EQ(pcie_ats_invalidate(f.a, false, 0, false, 0, 0, 10000, nullptr), 12000u);
}

TEST(PcieAts, ItagBackPressureAtTheQueueDepth)
{
	Fn f([](pcie_ats_config *c) {
		c->invq_depth = 2;
		c->flush_ns = 0; // the link alone: completions at t + 1000
	});
	uint64_t t = 0;
	EXPECT_EQ(pcie_ats_invalidate(f.a, false, 0, false, 0, 0, t, nullptr), 1000u);
	EXPECT_EQ(pcie_ats_invalidate(f.a, false, 0, false, 0, 0, t, nullptr), 1000u);
	// both ITags in use until 1000: the third is issued then
	EXPECT_EQ(pcie_ats_invalidate(f.a, false, 0, false, 0, 0, t, nullptr), 2000u);
	pcie_ats_stats s = f.Stats();
	EXPECT_EQ(s.itag_waits, 1u);
	EXPECT_EQ(s.itag_wait_ns, 1000u);
	EXPECT_EQ(s.max_outstanding, 2u);
	// depth 0 means 32: 32 requests go out at once, the 33rd waits
	Fn g([](pcie_ats_config *c) { c->flush_ns = 0; });
	for (int i = 0; i < 32; i++)
		EXPECT_EQ(pcie_ats_invalidate(g.a, false, 0, false, 0, 0, 0, nullptr), 1000u);
	EXPECT_EQ(pcie_ats_invalidate(g.a, false, 0, false, 0, 0, 0, nullptr), 2000u);
}

} // namespace
