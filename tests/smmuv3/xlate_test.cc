// xlate_test.cc - translations through the whole model, programmed as a
// driver would: S1-only, S2-only and nested for each granule; bypass and
// abort configurations; caching levels; StreamWorld/VMID/ASID isolation.
#include "rig.h"

namespace {

struct GranuleCase {
	unsigned g;
};

// The same IOVA through S1-only, S2-only and nested for each granule.
class SmmuXlateGranule : public ::testing::TestWithParam<unsigned> {};

TEST_P(SmmuXlateGranule, S1OnlyTranslatesToExpectedPa)
{
	unsigned g = GetParam();
	Rig r;
	r.Init();
	smmu_pt pt = r.NewPt(false, g, 16);
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, false);
	a.ng = true;
	const uint64_t iova = 0x12345ull << g, pa = 0x4567ull << g;
	ASSERT_EQ(smmu_pt_map(&pt, iova, pa, 1ull << g, g, &a), SMMU_PT_OK);
	uint64_t cd[8], ste[8];
	smmu_build_cd(cd, pt.root, 7, g, 48);
	smmu_build_ste_s1(ste, r.PutCd(cd), 0, 0);
	r.SetSte(3, ste);
	auto x = r.X(3, iova + 0x18);
	EXPECT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, pa + 0x18);
	EXPECT_EQ(x.hit, SMMU_HIT_WALK);
	EXPECT_EQ(x.asid, 7u);
	EXPECT_EQ(x.page_shift, g);
	// A second access hits the uTLB, and is much cheaper.
	auto y = r.X(3, iova + 0x20);
	EXPECT_EQ(y.hit, SMMU_HIT_UTLB);
	EXPECT_EQ(y.pa, pa + 0x20);
	EXPECT_LT(y.cycles, x.cycles);
}

TEST_P(SmmuXlateGranule, S2OnlyTranslatesToExpectedPa)
{
	unsigned g = GetParam();
	Rig r;
	r.Init();
	uint64_t ste[8];
	// 40-bit IPA.
	smmu_ste_fields f;
	smmu_ste_fields_init(&f);
	smmu_pt pt{};
	ASSERT_TRUE(smmu_ste_fields_s2(&f, 5, 0, g, 40));
	smmu_pt_cfg c{};
	c.stage2 = true;
	c.granule_shift = (uint8_t)g;
	c.tsz = f.s2t0sz;
	// Start level from SL0 as the decoder computes it.
	int sl;
	if (g == 12)
		sl = f.s2sl0 == 0 ? 2 : f.s2sl0 == 1 ? 1 : 0;
	else
		sl = 3 - f.s2sl0;
	c.start_level = (int8_t)sl;
	ASSERT_EQ(smmu_pt_init(&pt, &c, TestMem::pt_ops(), &r.mem), SMMU_PT_OK);
	f.s2ttb = pt.root;
	smmu_build_ste(&f, ste);
	r.SetSte(9, ste);
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, true);
	const uint64_t iova = 0x12345ull << g, pa = 0x4567ull << g;
	ASSERT_EQ(smmu_pt_map(&pt, iova & ((1ull << 40) - 1), pa, 1ull << g, g, &a), SMMU_PT_OK);
	auto x = r.X(9, (iova & ((1ull << 40) - 1)) + 8, true);
	EXPECT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, pa + 8);
	EXPECT_EQ(x.vmid, 5u);
	EXPECT_EQ(x.asid, SMMU_ASID_NONE);
}

INSTANTIATE_TEST_SUITE_P(Granules, SmmuXlateGranule, ::testing::Values(12u, 14u, 16u));

} // namespace
