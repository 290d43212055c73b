// cache_matrix_test.cc - the same scenario under every cache disabled in
// turn, and with one-entry caches: what a translation returns (outcome, PA,
// event, tag) must not change, only its timing. Under ASan this is also the
// regression test for the stack-use-after-scope that a TCU TLB switched off
// caused in smmu_translate (a walk's result kept in a block-scoped entry).
#include "rig.h"

#include <string>

namespace {

struct Variant {
	const char *name;
	void (*apply)(smmu_config *);
};

void disable(smmu_cache_config &c)
{
	c.enable = false;
	c.entries = 0;
}
void one_entry(smmu_cache_config &c)
{
	c.enable = true;
	c.entries = 1;
	c.ways = 1;
}

const Variant kVariants[] = {
	{"default", [](smmu_config *) {}},
	{"utlb_off", [](smmu_config *c) { disable(c->utlb); }},
	{"mtlb_off", [](smmu_config *c) { disable(c->mtlb); }},
	{"tbu_cfgc_off", [](smmu_config *c) { disable(c->tbu_cfgc); }},
	{"cfgc_off", [](smmu_config *c) { disable(c->cfgc); }},
	{"tlb_off", [](smmu_config *c) { disable(c->tlb); }},
	{"wc_off", [](smmu_config *c) { disable(c->wc); }},
	{"all_off",
	 [](smmu_config *c) {
		 disable(c->utlb);
		 disable(c->mtlb);
		 disable(c->tbu_cfgc);
		 disable(c->cfgc);
		 disable(c->tlb);
		 disable(c->wc);
	 }},
	{"all_one_entry",
	 [](smmu_config *c) {
		 one_entry(c->utlb);
		 one_entry(c->mtlb);
		 one_entry(c->tbu_cfgc);
		 one_entry(c->cfgc);
		 one_entry(c->tlb);
		 one_entry(c->wc);
	 }},
	{"tlb_off_no_fastpath",
	 [](smmu_config *c) {
		 disable(c->tlb);
		 c->host_fastpath = false;
	 }},
};

// The functional part of a result: everything but timing and hit level.
std::string Outcome(const smmu_xlate_result &x)
{
	char b[160];
	snprintf(b, sizeof b, "out=%d pa=%#llx ev=%u world=%u vmid=%u asid=%#x shift=%u",
		 (int)x.outcome, (unsigned long long)(x.outcome == SMMU_XLATE_OK ? x.pa : 0),
		 x.event, x.world, x.vmid, x.asid, x.page_shift);
	return b;
}

// A scenario that goes through every path a cache can short-cut: S1 pages
// (RW and RO, so a permission fault hits a cached and an uncached entry),
// S2, nested with the walk cache, repeated accesses, an invalidation then an
// unmapped page, and a CD change seen only after CFGI.
std::vector<std::string> RunScenario(const Variant &v)
{
	std::vector<std::string> out;
	Rig r;
	v.apply(&r.cfg);
	r.Init();
	if (::testing::Test::HasFatalFailure())
		return out;

	// Stage 1: sid 3, ASID 7, two RW pages and one RO page.
	smmu_pt pt = r.NewPt(false, 12, 16);
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, false);
	a.ng = true;
	EXPECT_EQ(smmu_pt_map(&pt, 0x10000, 0x300000, 0x2000, 12, &a), SMMU_PT_OK);
	a.ap = SMMU_PT_AP_RO;
	EXPECT_EQ(smmu_pt_map(&pt, 0x20000, 0x400000, 0x1000, 12, &a), SMMU_PT_OK);
	uint64_t cd[8], ste[8];
	smmu_build_cd(cd, pt.root, 7, 12, 48);
	uint64_t cd_pa = r.PutCd(cd);
	smmu_build_ste_s1(ste, cd_pa, 0, 0);
	r.SetSte(3, ste);
	for (int rep = 0; rep < 3; rep++) {
		out.push_back(Outcome(r.X(3, 0x10008)));
		out.push_back(Outcome(r.X(3, 0x11ff0, true)));
		out.push_back(Outcome(r.X(3, 0x20010)));
		out.push_back(Outcome(r.X(3, 0x20010, true))); // permission fault
		out.push_back(Outcome(r.X(3, 0x30000)));       // translation fault
	}
	// Unmap a page, invalidate it by VA, then the access faults.
	EXPECT_EQ(smmu_pt_unmap(&pt, 0x10000, 0x1000), SMMU_PT_OK);
	uint64_t c[2];
	smmu_cmd_range rg{};
	smmu_cmd_tlbi_nh_va(c, 0, 7, 0x10000, &rg);
	r.Cmd(c);
	r.Sync();
	out.push_back(Outcome(r.X(3, 0x10008)));
	out.push_back(Outcome(r.X(3, 0x11008)));

	// Stage 2: sid 9, VMID 5.
	smmu_ste_fields f;
	smmu_ste_fields_init(&f);
	EXPECT_TRUE(smmu_ste_fields_s2(&f, 5, 0, 12, 40));
	smmu_pt_cfg pc{};
	pc.stage2 = true;
	pc.granule_shift = 12;
	pc.tsz = f.s2t0sz;
	pc.start_level = (int8_t)(f.s2sl0 == 0 ? 2 : f.s2sl0 == 1 ? 1 : 0);
	smmu_pt s2{};
	EXPECT_EQ(smmu_pt_init(&s2, &pc, TestMem::pt_ops(), &r.mem), SMMU_PT_OK);
	f.s2ttb = s2.root;
	smmu_build_ste(&f, ste);
	r.SetSte(9, ste);
	smmu_pt_attr a2;
	smmu_pt_attr_default(&a2, true);
	EXPECT_EQ(smmu_pt_map(&s2, 0x40000000, 0x800000, 0x200000, 21, &a2), SMMU_PT_OK);
	for (int rep = 0; rep < 2; rep++)
		for (uint64_t off = 0; off < 0x200000; off += 0x40000)
			out.push_back(Outcome(r.X(9, 0x40000000 + off, rep)));
	out.push_back(Outcome(r.X(9, 0x80000000)));

	// Nested: sid 11, VMID 6; the stage-2 identity-maps the table heap.
	NestedSetup n;
	n.Build(r, 12, 6);
	smmu_pt s1 = r.NewPt(false, 12, 16);
	smmu_pt_attr a3;
	smmu_pt_attr_default(&a3, false);
	a3.ng = true;
	n.MapIpa(0x7000000000ull, 0x600000, 0x4000);
	EXPECT_EQ(smmu_pt_map(&s1, 0x50000, 0x7000000000ull, 0x4000, 12, &a3), SMMU_PT_OK);
	uint64_t ncd[8], nste[8];
	smmu_build_cd(ncd, s1.root, 9, 12, 48);
	n.Ste(nste, r.PutCd(ncd));
	r.SetSte(11, nste);
	for (int rep = 0; rep < 2; rep++)
		for (uint64_t off = 0; off < 0x4000; off += 0x1000)
			out.push_back(Outcome(r.X(11, 0x50000 + off + 0x10, off & 0x1000)));
	out.push_back(Outcome(r.X(11, 0x60000)));

	// Same VA through sid 3 after a CD change made visible by CFGI_CD.
	smmu_build_cd(cd, pt.root, 8, 12, 48);
	for (int i = 0; i < 8; i++)
		r.mem.write64(cd_pa + 8 * i, cd[i]);
	smmu_cmd_cfgi_cd(c, 3, 0, true);
	r.Cmd(c);
	r.Sync();
	out.push_back(Outcome(r.X(3, 0x11008)));
	return out;
}

class SmmuCacheMatrix : public ::testing::TestWithParam<size_t> {};

TEST_P(SmmuCacheMatrix, SameResultsAsTheDefaultConfiguration)
{
	static const std::vector<std::string> ref = RunScenario(kVariants[0]);
	const Variant &v = kVariants[GetParam()];
	std::vector<std::string> got = RunScenario(v);
	ASSERT_EQ(got.size(), ref.size()) << v.name;
	for (size_t i = 0; i < ref.size(); i++)
		EXPECT_EQ(got[i], ref[i]) << v.name << " step " << i;
}

INSTANTIATE_TEST_SUITE_P(Variants, SmmuCacheMatrix,
			 ::testing::Range<size_t>(0, sizeof(kVariants) / sizeof(kVariants[0])),
			 [](const ::testing::TestParamInfo<size_t> &i) {
				 return std::string(kVariants[i.param].name);
			 });

// The defect's own case: TCU TLB off, a plain stage-1 DMA twice (the second
// time through the µTLB fill made from the walk's entry), and a permission
// fault reported from the walk's entry.
TEST(SmmuCacheDisabled, TlbOffStage1DmaUsesTheWalkResult)
{
	Rig r;
	disable(r.cfg.tlb);
	r.Init();
	smmu_pt pt = r.NewPt(false, 12, 16);
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, false);
	a.ng = true;
	a.ap = SMMU_PT_AP_RO;
	ASSERT_EQ(smmu_pt_map(&pt, 0x10000, 0x300000, 0x1000, 12, &a), SMMU_PT_OK);
	uint64_t cd[8], ste[8];
	smmu_build_cd(cd, pt.root, 7, 12, 48);
	smmu_build_ste_s1(ste, r.PutCd(cd), 0, 0);
	r.SetSte(3, ste);
	auto x = r.X(3, 0x10040);
	EXPECT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, 0x300040u);
	EXPECT_EQ(x.hit, SMMU_HIT_WALK);
	auto y = r.X(3, 0x10080);
	EXPECT_EQ(y.pa, 0x300080u);
	EXPECT_EQ(y.hit, SMMU_HIT_UTLB);
	// A write to the RO page, with every TBU cache off too: the permission
	// fault is judged from the walk's own entry.
	Rig q;
	disable(q.cfg.tlb);
	disable(q.cfg.utlb);
	disable(q.cfg.mtlb);
	q.Init();
	smmu_pt qpt = q.NewPt(false, 12, 16);
	ASSERT_EQ(smmu_pt_map(&qpt, 0x10000, 0x300000, 0x1000, 12, &a), SMMU_PT_OK);
	smmu_build_cd(cd, qpt.root, 7, 12, 48);
	smmu_build_ste_s1(ste, q.PutCd(cd), 0, 0);
	q.SetSte(3, ste);
	auto w = q.X(3, 0x10000, true);
	EXPECT_EQ(w.outcome, SMMU_XLATE_ABORT);
	EXPECT_EQ(w.event, SMMU_EVT_F_PERMISSION);
	auto rd = q.X(3, 0x10000);
	EXPECT_EQ(rd.pa, 0x300000u);
	EXPECT_EQ(rd.hit, SMMU_HIT_WALK);
}

} // namespace
