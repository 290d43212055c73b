// io-pgtable-arm (4K granule, S1/S2) over simulated DRAM: geometry, blocks,
// -EEXIST rules, block over table, split on partial unmap, kernel costs,
// and permissions / concatenated S2 start tables as the SMMU model walks them.
#include "drv_fixture.h"

extern "C" {
#include "io_pgtable_arm.h"
}

namespace
{

struct TlbLog {
	std::vector<std::pair<uint64_t, uint64_t>> walks; // (iova, size)
	std::vector<std::pair<uint64_t, uint64_t>> pages; // (iova, granule)
	static void Walk(void *ck, uint64_t iova, uint64_t size, uint64_t, kcall *)
	{
		static_cast<TlbLog *>(ck)->walks.push_back({iova, size});
	}
	static void Page(void *ck, void *, uint64_t iova, uint64_t granule, kcall *)
	{
		static_cast<TlbLog *>(ck)->pages.push_back({iova, granule});
	}
};

class Pgtable : public ::testing::Test
{
      protected:
	ShimRig r;
	TlbLog log;
	io_pgtable_tlb tlb{TlbLog::Walk, TlbLog::Page, &log};
	std::vector<io_pgtable_arm *> pts;
	int gather_token = 0;

	void TearDown() override
	{
		uint64_t before = kmem_used(r.env.mem);
		for (auto *p : pts) {
			before -= 4096 * io_pgtable_arm_table_pages(p);
			io_pgtable_arm_free(p);
		}
		EXPECT_EQ(kmem_used(r.env.mem), before); // every table page came back
	}
	io_pgtable_arm *New(bool s2, unsigned ias, unsigned oas = 48, bool split = true)
	{
		io_pgtable_arm *p = nullptr;
		ShimRig::Call c(r);
		EXPECT_EQ(
		    0, io_pgtable_arm_alloc(&r.env, s2, ias, oas, true, split, &tlb, c.get(), &p));
		pts.push_back(p);
		return p;
	}
	int Map(io_pgtable_arm *p, uint64_t iova, uint64_t pa, uint64_t pgsize, uint64_t n,
	        uint64_t *ns = nullptr)
	{
		ShimRig::Call c(r);
		uint64_t mapped = 0;
		int rc = io_pgtable_arm_map(p, iova, pa, pgsize, n,
		                            IOPT_PROT_READ | IOPT_PROT_WRITE, c.get(), &mapped);
		if (ns)
			*ns = c.k.t - c.k.start;
		return rc;
	}
	uint64_t Unmap(io_pgtable_arm *p, uint64_t iova, uint64_t pgsize, uint64_t n)
	{
		ShimRig::Call c(r);
		return io_pgtable_arm_unmap(p, iova, pgsize, n, &gather_token, c.get());
	}
	uint64_t Phys(io_pgtable_arm *p, uint64_t iova)
	{
		uint64_t pa = ~0ull;
		if (io_pgtable_arm_iova_to_phys(p, iova, &pa))
			return ~0ull;
		return pa;
	}
};

constexpr uint64_t K4 = 4096, M2 = 2ull << 20, G1 = 1ull << 30;

TEST_F(Pgtable, GeometryAndCosts)
{
	io_pgtable_arm *s1 = New(false, 48);
	io_pgtable_arm_regs rg;
	io_pgtable_arm_get_regs(s1, &rg);
	EXPECT_EQ(rg.tsz, 16);
	EXPECT_EQ(rg.mair, 0xf404ff44ull);
	EXPECT_EQ(io_pgtable_arm_table_pages(s1), 1u);
	uint64_t ns = 0;
	ASSERT_EQ(0, Map(s1, 0x123456000ull, 0x80000000ull, K4, 1, &ns));
	// Levels 0..3: three new tables and four descriptors.
	EXPECT_EQ(io_pgtable_arm_table_pages(s1), 4u);
	EXPECT_EQ(ns, 3u * r.env.t.table_alloc + 4u * r.env.t.pte_write);
	EXPECT_EQ(Phys(s1, 0x123456abcull), 0x80000abcull);

	io_pgtable_arm *s2 = New(true, 48);
	io_pgtable_arm_get_regs(s2, &rg);
	EXPECT_EQ(rg.sl, 2); // start at level 0
	io_pgtable_arm *s2c = New(true, 40, 40);
	io_pgtable_arm_get_regs(s2c, &rg);
	EXPECT_EQ(rg.sl, 1); // level 1, two concatenated tables
	EXPECT_EQ(rg.tsz, 24);
	EXPECT_EQ(rg.ps, 2);
	EXPECT_EQ(io_pgtable_arm_table_pages(s2c), 2u);
	EXPECT_EQ(rg.ttbr % 8192, 0u);
	ASSERT_EQ(0, Map(s2c, 0xFF00000000ull, 0x80000000ull, K4, 1)); // top of 40 bits
	EXPECT_EQ(Phys(s2c, 0xFF00000010ull), 0x80000010ull);
	EXPECT_EQ(-ERANGE, Map(s2c, 1ull << 40, 0x80000000ull, K4, 1));
}

TEST_F(Pgtable, BlocksAndExistRules)
{
	io_pgtable_arm *p = New(false, 48);
	ASSERT_EQ(0, Map(p, G1, 0x80000000ull, G1, 1));
	EXPECT_EQ(io_pgtable_arm_table_pages(p), 2u); // pgd + level 1
	EXPECT_EQ(Phys(p, G1 + 0x12345678), 0x80000000ull + 0x12345678);
	ASSERT_EQ(0, Map(p, 3 * G1, 0x80000000ull, M2, 2));
	EXPECT_EQ(io_pgtable_arm_table_pages(p), 3u);
	EXPECT_EQ(-EEXIST, Map(p, 3 * G1 + M2, 0x90000000ull, M2, 1));
	EXPECT_EQ(-EEXIST, Map(p, G1 + K4, 0x90000000ull, K4, 1)); // inside a block
	EXPECT_EQ(-EINVAL, Map(p, G1 + K4, 0x90000000ull, M2, 1)); // misaligned
	EXPECT_EQ(-EINVAL, Map(p, 0, 0x90000000ull, 8192, 1));     // not a page size
	EXPECT_EQ(0u, Unmap(p, 5 * G1, K4, 1));                    // a hole
}

TEST_F(Pgtable, BlockOverATableFreesTheTable)
{
	io_pgtable_arm *p = New(false, 48);
	ASSERT_EQ(0, Map(p, 4 * M2 + K4, 0x80001000ull, K4, 1));
	EXPECT_EQ(io_pgtable_arm_table_pages(p), 4u);
	ASSERT_EQ(0, Map(p, 4 * M2, 0x80000000ull, M2, 1));
	EXPECT_EQ(io_pgtable_arm_table_pages(p), 3u);
	ASSERT_EQ(log.walks.size(), 1u); // the freed walk is flushed at once
	EXPECT_EQ(log.walks[0].first, 4 * M2);
	EXPECT_EQ(log.walks[0].second, M2);
	EXPECT_EQ(Phys(p, 4 * M2 + 0x3000), 0x80003000ull);
}

TEST_F(Pgtable, PartialUnmapSplitsBlocks)
{
	io_pgtable_arm *p = New(false, 48);
	ASSERT_EQ(0, Map(p, G1, 0x80000000ull, G1, 1));
	// 4K out of a 1G block: 1G -> 512 x 2M -> 512 x 4K.
	EXPECT_EQ(K4, Unmap(p, G1 + M2 + 5 * K4, K4, 1));
	EXPECT_EQ(io_pgtable_arm_table_pages(p), 4u);
	EXPECT_EQ(Phys(p, G1 + M2 + 5 * K4), ~0ull);
	EXPECT_EQ(Phys(p, G1 + M2 + 6 * K4 + 8), 0x80000000ull + M2 + 6 * K4 + 8);
	EXPECT_EQ(Phys(p, G1 + 7 * M2 + 8), 0x80000000ull + 7 * M2 + 8);
	ASSERT_EQ(log.pages.size(), 1u);
	EXPECT_EQ(log.pages[0].first, G1 + M2 + 5 * K4);
	EXPECT_EQ(log.pages[0].second, K4);
	EXPECT_TRUE(log.walks.empty());
	// 6.13+ behaviour (split_on_unmap = false): nothing is unmapped.
	io_pgtable_arm *q = New(false, 48, 48, false);
	ASSERT_EQ(0, Map(q, G1, 0x80000000ull, M2, 1));
	EXPECT_EQ(0u, Unmap(q, G1, K4, 1));
	EXPECT_EQ(Phys(q, G1), 0x80000000ull);
}

TEST_F(Pgtable, UnmapOfATableLevelRangeFreesItAndGathersTheSlot)
{
	io_pgtable_arm *p = New(true, 48);
	ASSERT_EQ(0, Map(p, M2, 0x80001000ull, K4, 512));
	EXPECT_EQ(io_pgtable_arm_table_pages(p), 4u);
	EXPECT_EQ(M2, Unmap(p, M2, M2, 1));
	EXPECT_EQ(io_pgtable_arm_table_pages(p), 3u);
	ASSERT_EQ(log.walks.size(), 1u);
	ASSERT_EQ(log.pages.size(), 1u);
	EXPECT_EQ(log.pages[0].second, M2);
}

// Through the SMMU model: permissions and the concatenated S2 geometry.
TEST(PgtableModel, ReadOnlyMappingsFaultOnWrite)
{
	for (bool s2 : {false, true}) {
		SCOPED_TRACE(s2 ? "S2" : "S1");
		DrvRig r;
		arm_smmu_device *d = r.AddProbed();
		arm_smmu_master *m = r.Master(d, 9);
		arm_smmu_domain *dom = r.Paging(m, s2 ? ARM_SMMU_ALLOC_NEST_PARENT : 0);
		ASSERT_EQ(r.Attach(dom, m).rc, 0);
		uint64_t buf = r.Alloc(4096);
		ASSERT_EQ(r.Map(dom, 0x8000, buf, 4096, ARM_SMMU_PROT_READ).rc, 0);
		auto rd = r.Dma(0, 9, 0x8010, false);
		EXPECT_EQ(rd.outcome, SMMU_XLATE_OK);
		auto wr = r.Dma(0, 9, 0x8010, true);
		EXPECT_EQ(wr.outcome, SMMU_XLATE_ABORT);
		EXPECT_EQ(wr.event, SMMU_EVT_F_PERMISSION);
		r.Attach(arm_smmu_blocked_domain(), m);
		r.Free(dom);
	}
}

TEST(PgtableModel, Oas40UsesConcatenatedS2Tables)
{
	DrvRig r;
	smmu_config c = ShimRig::DefaultConfig();
	c.oas_bits = 40;
	arm_smmu_device *d = r.AddProbed(c);
	ASSERT_NE(d, nullptr);
	arm_smmu_master *m = r.Master(d, 9);
	arm_smmu_domain *dom = r.Paging(m, ARM_SMMU_ALLOC_NEST_PARENT);
	EXPECT_EQ(arm_smmu_domain_aperture_end(dom), (1ull << 40) - 1);
	ASSERT_EQ(r.Attach(dom, m).rc, 0);
	uint64_t ste[8];
	arm_smmu_master_ste(m, ste);
	EXPECT_EQ((ste[2] >> 38) & 3, 1u); // S2SL0: level 1
	uint64_t buf = r.Alloc(4096);
	ASSERT_EQ(r.Map(dom, 0xFFFFFFF000ull, buf, 4096).rc, 0); // last page of 40 bits
	auto x = r.Dma(0, 9, 0xFFFFFFF123ull);
	ASSERT_EQ(x.outcome, SMMU_XLATE_OK) << (int)x.event;
	EXPECT_EQ(x.pa, buf + 0x123);
	EXPECT_EQ(r.S(0).cerrors(), 0u);
	r.Attach(arm_smmu_blocked_domain(), m);
	r.Free(dom);
}

} // namespace
