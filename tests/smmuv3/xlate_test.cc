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

namespace {

TEST_P(SmmuXlateGranule, NestedTranslatesToExpectedPa)
{
	unsigned g = GetParam();
	Rig r;
	r.Init();
	NestedSetup n;
	n.Build(r, g, 3);
	const uint64_t data_ipa = 0x80000000ull, data_pa = 0x1234ull << 20;
	n.MapIpa(data_ipa, data_pa, 1ull << g);
	smmu_pt s1 = r.NewPt(false, g, 16);
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, false);
	a.ng = true;
	const uint64_t iova = 0x12345ull << g;
	ASSERT_EQ(smmu_pt_map(&s1, iova, data_ipa, 1ull << g, g, &a), SMMU_PT_OK);
	uint64_t cd[8], ste[8];
	smmu_build_cd(cd, s1.root, 9, g, 48);
	n.Ste(ste, r.PutCd(cd));
	r.SetSte(4, ste);
	auto x = r.X(4, iova + 0x40);
	ASSERT_EQ(x.outcome, SMMU_XLATE_OK) << "event " << (int)x.event;
	EXPECT_EQ(x.pa, data_pa + 0x40);
	EXPECT_EQ(x.vmid, 3u);
	EXPECT_EQ(x.asid, 9u);
	EXPECT_EQ(x.hit, SMMU_HIT_WALK);
	// The CD fetch went through stage 2 and every S1 table fetch too.
	EXPECT_GT(x.mem_reads, 8u);
}

// --- StreamWorld / VMID / ASID isolation ---------------------------------

// Two streams with the same IOVA in different VMIDs (S2-only) must never
// satisfy each other's lookups, however they interleave.
TEST(SmmuIsolation, TwoVmidsSameIpaNeverShareEntries)
{
	Rig r;
	r.Init();
	uint64_t pa_of[2] = {0x50000000, 0x60000000};
	for (int i = 0; i < 2; i++) {
		smmu_ste_fields f;
		smmu_ste_fields_init(&f);
		ASSERT_TRUE(smmu_ste_fields_s2(&f, (uint16_t)(10 + i), 0, 12, 40));
		smmu_pt pt = r.NewPt(true, 12, f.s2t0sz, 1);
		f.s2ttb = pt.root;
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, true);
		ASSERT_EQ(smmu_pt_map(&pt, 0x40000000, pa_of[i], 0x10000, 12, &a), SMMU_PT_OK);
		uint64_t ste[8];
		smmu_build_ste(&f, ste);
		r.SetSte(20 + i, ste);
	}
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 2; i++) {
			auto x = r.X(20 + i, 0x40003008);
			ASSERT_EQ(x.outcome, SMMU_XLATE_OK);
			EXPECT_EQ(x.pa, pa_of[i] + 0x3008) << "stream " << i << " round " << round;
			EXPECT_EQ(x.vmid, 10u + i);
			if (round > 0)
				EXPECT_EQ(x.hit, SMMU_HIT_UTLB);
		}
	}
}

// EL1 and EL2 StreamWorlds with the same VA and the same ASID value.
TEST(SmmuIsolation, TwoStreamWorldsSameVaNeverShareEntries)
{
	Rig r;
	r.Init();
	uint64_t pa_of[2] = {0x51000000, 0x61000000};
	for (int i = 0; i < 2; i++) {
		smmu_pt pt = r.NewPt(false, 12, 16);
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, false);
		ASSERT_EQ(smmu_pt_map(&pt, 0x7000000, pa_of[i], 0x1000, 12, &a), SMMU_PT_OK);
		uint64_t cd[8], ste[8];
		smmu_build_cd(cd, pt.root, 1, 12, 48);
		smmu_ste_fields f;
		smmu_ste_fields_init(&f);
		smmu_ste_fields_s1(&f, r.PutCd(cd), 0, 0);
		f.strw = i == 0 ? 0 : 2; // NS-EL1, NS-EL2
		smmu_build_ste(&f, ste);
		r.SetSte(30 + i, ste);
	}
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 2; i++) {
			auto x = r.X(30 + i, 0x7000010);
			ASSERT_EQ(x.outcome, SMMU_XLATE_OK) << "event " << (int)x.event;
			EXPECT_EQ(x.pa, pa_of[i] + 0x10);
			EXPECT_EQ(x.world, i == 0 ? 0u : 1u);
		}
}

// The hazard the simulator exists to expose: two streams whose STEs carry
// the same VMID share stage-2 TLB entries even though their tables differ.
TEST(SmmuIsolation, SameVmidDifferentTablesShareTheTag)
{
	Rig r;
	r.Init();
	uint64_t pa_of[2] = {0x52000000, 0x62000000};
	for (int i = 0; i < 2; i++) {
		smmu_ste_fields f;
		smmu_ste_fields_init(&f);
		ASSERT_TRUE(smmu_ste_fields_s2(&f, 0x8000, 0, 12, 40));
		smmu_pt pt = r.NewPt(true, 12, f.s2t0sz, 1);
		f.s2ttb = pt.root;
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, true);
		ASSERT_EQ(smmu_pt_map(&pt, 0x40000000, pa_of[i], 0x1000, 12, &a), SMMU_PT_OK);
		uint64_t ste[8];
		smmu_build_ste(&f, ste);
		r.SetSte(40 + i, ste);
	}
	auto a = r.X(40, 0x40000000);
	EXPECT_EQ(a.pa, pa_of[0]);
	// The second stream misses its TBU context but finds the TCU TLB entry
	// tagged {NS-EL1, VMID 0x8000} that the first stream's walk inserted.
	auto b = r.X(41, 0x40000000);
	EXPECT_EQ(b.hit, SMMU_HIT_TLB);
	EXPECT_EQ(b.pa, pa_of[0]);
}

} // namespace

namespace {

// The host-side uTLB memo is a simulator speed-up outside the modelled state:
// the same sequence gives identical results and cycles with it on and off,
// including across invalidations, evictions and permission faults.
TEST(SmmuFastPath, SameResultsWithAndWithoutTheHostMemo)
{
	std::vector<smmu_xlate_result> runs[2];
	for (int on = 0; on < 2; on++) {
		Rig r;
		r.cfg.host_fastpath = on;
		r.cfg.utlb.entries = r.cfg.utlb.ways = 8; // force evictions
		r.Init();
		smmu_pt pt = r.NewPt(false, 12, 16);
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, false);
		a.ng = true;
		ASSERT_EQ(smmu_pt_map(&pt, 0x100000, 0x70000000, 0x10000, 12, &a), SMMU_PT_OK);
		a.ap = SMMU_PT_AP_RO;
		ASSERT_EQ(smmu_pt_map(&pt, 0x200000, 0x71000000, 0x1000, 12, &a), SMMU_PT_OK);
		uint64_t cd[8], ste[8];
		smmu_build_cd(cd, pt.root, 3, 12, 48);
		smmu_build_ste_s1(ste, r.PutCd(cd), 0, 0);
		r.SetSte(2, ste);
		uint32_t x = 12345;
		for (int i = 0; i < 3000; i++) {
			x = x * 1103515245u + 12345u;
			uint64_t va = (x >> 8) % 5 == 0 ? 0x200000 + (x & 0xff8)
							: 0x100000 + ((x >> 12) % 16) * 0x1000 + (x & 0xff8);
			bool write = (x >> 20) & 1;
			runs[on].push_back(r.X(2, va, write));
			if (i % 700 == 699) {
				uint64_t c[2];
				smmu_cmd_tlbi_nh_asid(c, 0, 3);
				r.Cmd(c);
				r.Sync();
			}
		}
	}
	ASSERT_EQ(runs[0].size(), runs[1].size());
	unsigned hits = 0;
	for (size_t i = 0; i < runs[0].size(); i++) {
		const auto &p = runs[0][i], &q = runs[1][i];
		ASSERT_EQ(p.outcome, q.outcome) << i;
		ASSERT_EQ(p.pa, q.pa) << i;
		ASSERT_EQ(p.hit, q.hit) << i;
		ASSERT_EQ(p.done, q.done) << i;
		ASSERT_EQ(p.event, q.event) << i;
		hits += p.hit == SMMU_HIT_UTLB;
	}
	EXPECT_GT(hits, 1000u);
}

} // namespace

namespace {

// Substreams through a 2-level CD table (S1Fmt=01: 64 CDs per leaf), and
// S1DSS=10 sending non-SSID traffic to CD 0.
TEST(SmmuXlateSubstreams, TwoLevelCdTableSelectsTheCdBySsid)
{
	Rig r;
	r.Init();
	uint64_t l1 = r.mem.alloc(8 * 4, 64); // S1CDMax 8: 256 CDs, 4 L1 descriptors
	uint64_t pa_of[3] = {0x71000000, 0x72000000, 0x73000000};
	uint32_t ssids[3] = {0, 5, 130};
	for (int i = 0; i < 3; i++) {
		smmu_pt pt = r.NewPt(false, 12, 16);
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, false);
		a.ng = true;
		ASSERT_EQ(smmu_pt_map(&pt, 0x10000, pa_of[i], 0x1000, 12, &a), SMMU_PT_OK);
		uint32_t ssid = ssids[i];
		uint64_t l1d = r.mem.read64(l1 + 8 * (ssid >> 6));
		uint64_t l2;
		if (!(l1d & 1)) {
			l2 = r.mem.alloc(64 * 64, 4096);
			r.mem.write64(l1 + 8 * (ssid >> 6), smmu_build_l1cd(l2, true));
		} else {
			l2 = l1d & 0x00FFFFFFFFFFF000ull;
		}
		uint64_t cd[8];
		smmu_build_cd(cd, pt.root, (uint16_t)(10 + i), 12, 48);
		for (int w = 0; w < 8; w++)
			r.mem.write64(l2 + 64 * (ssid & 63) + 8 * w, cd[w]);
	}
	smmu_ste_fields f;
	smmu_ste_fields_init(&f);
	smmu_ste_fields_s1(&f, l1, 8, 1);
	f.s1dss = 2; // no SSID: CD 0; SSID 0 itself is then disabled
	uint64_t ste[8];
	smmu_build_ste(&f, ste);
	r.SetSte(3, ste);
	auto x0 = r.X(3, 0x10010);
	ASSERT_EQ(x0.outcome, SMMU_XLATE_OK) << (int)x0.event;
	EXPECT_EQ(x0.pa, pa_of[0] + 0x10);
	EXPECT_EQ(x0.asid, 10u);
	auto x5 = r.X(3, 0x10010, false, false, false, true, 5);
	ASSERT_EQ(x5.outcome, SMMU_XLATE_OK) << (int)x5.event;
	EXPECT_EQ(x5.pa, pa_of[1] + 0x10);
	EXPECT_EQ(x5.asid, 11u);
	auto x130 = r.X(3, 0x10010, false, false, false, true, 130);
	ASSERT_EQ(x130.outcome, SMMU_XLATE_OK) << (int)x130.event;
	EXPECT_EQ(x130.pa, pa_of[2] + 0x10);
	// SSID 0 with S1DSS=10 is F_STREAM_DISABLED; an SSID whose L1CD is
	// invalid is C_BAD_SUBSTREAMID; beyond S1CDMax too.
	EXPECT_EQ(r.X(3, 0x10010, false, false, false, true, 0).event, SMMU_EVT_F_STREAM_DISABLED);
	EXPECT_EQ(r.X(3, 0x10010, false, false, false, true, 200).event,
		  SMMU_EVT_C_BAD_SUBSTREAMID);
	EXPECT_EQ(r.X(3, 0x10010, false, false, false, true, 256).event,
		  SMMU_EVT_C_BAD_SUBSTREAMID);
}

// A VA in the upper (TTB1) half goes through TTB1's tables.
TEST(SmmuXlateTtb1, UpperHalfVaUsesTtb1)
{
	Rig r;
	r.Init();
	smmu_pt lo = r.NewPt(false, 12, 16), hi = r.NewPt(false, 12, 16);
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, false);
	const uint64_t va_hi = 0xFFFF800000002000ull;
	ASSERT_EQ(smmu_pt_map(&lo, 0x2000, 0x74000000, 0x1000, 12, &a), SMMU_PT_OK);
	// The table builder indexes by the low 48 bits, as the walker does.
	ASSERT_EQ(smmu_pt_map(&hi, va_hi & 0xFFFFFFFFFFFFull, 0x75000000, 0x1000, 12, &a),
		  SMMU_PT_OK);
	smmu_cd_fields cf;
	smmu_cd_fields_init(&cf);
	cf.ttb0 = lo.root;
	cf.ttb1 = hi.root;
	cf.epd1 = false;
	cf.t1sz = 16;
	cf.tg1_shift = 12;
	cf.asid = 3;
	uint64_t cd[8], ste[8];
	smmu_build_cd_fields(&cf, cd);
	smmu_build_ste_s1(ste, r.PutCd(cd), 0, 0);
	r.SetSte(4, ste);
	auto x = r.X(4, 0x2008);
	ASSERT_EQ(x.outcome, SMMU_XLATE_OK) << (int)x.event;
	EXPECT_EQ(x.pa, 0x74000008u);
	auto y = r.X(4, va_hi + 8);
	ASSERT_EQ(y.outcome, SMMU_XLATE_OK) << (int)y.event;
	EXPECT_EQ(y.pa, 0x75000008u);
	// A VA whose top bits are neither all zeros nor all ones is out of range.
	EXPECT_EQ(r.X(4, 0x0001000000002000ull).event, SMMU_EVT_F_TRANSLATION);
	EXPECT_EQ(r.X(4, 0xFFFE800000002000ull).event, SMMU_EVT_F_TRANSLATION);
	// Both stay cached separately.
	EXPECT_EQ(r.X(4, 0x2010).pa, 0x74000010u);
	EXPECT_EQ(r.X(4, va_hi + 0x10).pa, 0x75000010u);
}

} // namespace
