// ptw_test.cc - the VMSAv8-64 page-table walker (models/smmuv3/src/ptw.c)
// and the table builder (smmu/build_pt.h), over a sparse test memory.
//
// Layout: geometry (start levels, S2 SL0/concatenation), a matrix of
// granule x start level x {S1, S2, nested} translating one IOVA to the same
// PA, blocks at every level, then one test per fault cause with the
// architected fields, nested fault attribution, hints and read counts, and
// the builder's own error paths.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>

extern "C" {
#include "ptw.h"
}
#include "smmu/build_pt.h"
#include "smmu/smmu_defs.h"
#include "testmem.h"

namespace {

constexpr uint64_t kPa = 0x876543210000ull; // output page, 64 KB aligned, < 2^48
constexpr uint64_t kOff = 0xabc;            // offset inside the page
constexpr uint64_t kIpaOut = 0x1a30000ull;  // stage-1 output IPA (fits a 25-bit IPA space)
constexpr uint64_t kWinIpa = 0x100000ull;   // nested: IPA window holding stage-1 tables
constexpr uint64_t kWinSize = 0x100000ull;

uint64_t lowmask(unsigned bits) { return bits >= 64 ? ~0ull : (1ull << bits) - 1; }

// A page-aligned IOVA with non-zero index bits at every level.
uint64_t iova_for(unsigned insize, unsigned g)
{
	return 0x5a5a5a5a5a5a5a5aull & lowmask(insize) & ~lowmask(g);
}

smmu_ptw_req Req(uint64_t ia, bool write = false, bool priv = false, bool exec = false)
{
	smmu_ptw_req r{};
	r.ia = ia;
	r.write = write;
	r.priv = priv;
	r.exec = exec;
	return r;
}

smmu_ptw_stage S1Stage(unsigned g, unsigned tsz, uint64_t ttb, unsigned oa_bits = 48)
{
	smmu_ptw_stage s{};
	s.stage2 = false;
	s.granule_shift = static_cast<uint8_t>(g);
	s.tsz = static_cast<uint8_t>(tsz);
	s.start_level = static_cast<int8_t>(smmu_ptw_s1_start_level(tsz, g));
	s.concat = 1;
	s.oa_bits = static_cast<uint8_t>(oa_bits);
	s.ttb = ttb;
	return s;
}

smmu_ptw_stage S2Stage(unsigned g, unsigned tsz, uint64_t ttb, unsigned oa_bits = 48)
{
	smmu_ptw_stage s{};
	s.stage2 = true;
	s.granule_shift = static_cast<uint8_t>(g);
	s.tsz = static_cast<uint8_t>(tsz);
	s.oa_bits = static_cast<uint8_t>(oa_bits);
	s.ttb = ttb;
	return s;
}

// Outcome of one walk. res and f are pre-filled with garbage so a field the
// walker forgot to set cannot pass by accident.
struct Walk {
	int rc;
	smmu_ptw_result res;
	smmu_ptw_fault f;
};

Walk DoWalk(TestMem &m, const smmu_ptw_stage &st, const smmu_ptw_req &r,
	    const smmu_ptw_hint *h = nullptr)
{
	Walk w;
	memset(&w, 0xee, sizeof(w));
	w.rc = smmu_ptw_walk(&st, &r, h, TestMem::read_fn, &m, &w.res, &w.f);
	return w;
}

Walk DoNested(TestMem &m, const smmu_ptw_stage &s1, const smmu_ptw_stage &s2,
	      const smmu_ptw_req &r, const smmu_ptw_hint *h = nullptr)
{
	Walk w;
	memset(&w, 0xee, sizeof(w));
	w.rc = smmu_ptw_walk_nested(&s1, &s2, &r, h, TestMem::read_fn, &m, &w.res, &w.f);
	return w;
}

std::string FaultStr(const Walk &w)
{
	char buf[160];
	snprintf(buf, sizeof(buf), "rc=%d event=0x%x s2=%d cls=%d level=%d ipa=0x%llx fetch=0x%llx",
		 w.rc, w.f.event, w.f.s2, w.f.cls, w.f.level, (unsigned long long)w.f.ipa,
		 (unsigned long long)w.f.fetch_addr);
	return buf;
}

// Stage-1 tables of a nested setup live in IPA space: IPAs
// [ipa_base, ipa_base + size) are backed by PAs [pa_base, ...), which stage 2
// maps 1:1 onto the same offsets.
struct IpaWindow {
	TestMem *mem = nullptr;
	uint64_t ipa_base = 0, pa_base = 0, size = 0, next = 0;

	uint64_t pa(uint64_t ipa) const { return ipa - ipa_base + pa_base; }
	static int rd(void *c, uint64_t ipa, uint64_t *v)
	{
		auto *w = static_cast<IpaWindow *>(c);
		return TestMem::read_fn(w->mem, w->pa(ipa), v);
	}
	static int wr(void *c, uint64_t ipa, uint64_t v)
	{
		auto *w = static_cast<IpaWindow *>(c);
		return TestMem::write_fn(w->mem, w->pa(ipa), v);
	}
	static int al(void *c, uint64_t sz, uint64_t *ipa)
	{
		auto *w = static_cast<IpaWindow *>(c);
		uint64_t a = 8;
		while (a < sz)
			a <<= 1;
		uint64_t p = (w->next + a - 1) & ~(a - 1);
		if (p + sz > w->ipa_base + w->size)
			return 1;
		w->next = p + sz;
		*ipa = p;
		return 0;
	}
	static const smmu_pt_ops *ops()
	{
		static const smmu_pt_ops o = {rd, wr, al};
		return &o;
	}
};

int InitPt(smmu_pt *pt, const smmu_pt_ops *ops, void *ctx, bool stage2, unsigned g, unsigned tsz,
	   int start)
{
	smmu_pt_cfg cfg{};
	cfg.stage2 = stage2;
	cfg.granule_shift = static_cast<uint8_t>(g);
	cfg.tsz = static_cast<uint8_t>(tsz);
	cfg.start_level = static_cast<int8_t>(start);
	return smmu_pt_init(pt, &cfg, ops, ctx);
}

smmu_pt_attr S1Attr()
{
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, false);
	return a;
}

smmu_pt_attr S2Attr()
{
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, true);
	return a;
}

uint64_t DescAddr(const smmu_pt &pt, uint64_t ia, int level)
{
	uint64_t addr = 0, desc = 0;
	EXPECT_EQ(SMMU_PT_OK, smmu_pt_lookup(&pt, ia, level, &addr, &desc));
	return addr;
}

// ---------------------------------------------------------------------------
// Geometry

TEST(SmmuPtw, S1StartLevelFromTszAndGranule)
{
	struct {
		unsigned tsz, g;
		int level;
	} cases[] = {
		{16, 12, 0}, {24, 12, 0}, {25, 12, 1}, {33, 12, 1}, {34, 12, 2}, {42, 12, 2},
		{43, 12, 3}, {48, 12, 3}, {16, 14, 0}, {17, 14, 1}, {27, 14, 1}, {28, 14, 2},
		{38, 14, 2}, {39, 14, 3}, {12, 16, 1}, {16, 16, 1}, {21, 16, 1}, {22, 16, 2},
		{34, 16, 2}, {35, 16, 3}, {47, 16, 3},
		// Not translatable with four levels (LPA2) or not larger than a page.
		{11, 12, -1}, {52, 12, -1}, {5, 14, -1}, {20, 10, -1}, {64, 12, -1},
	};
	for (const auto &c : cases)
		EXPECT_EQ(c.level, smmu_ptw_s1_start_level(c.tsz, c.g)) << "tsz " << c.tsz << " g " << c.g;
}

TEST(SmmuPtw, S2SetupStartLevelAndConcatenation)
{
	struct {
		unsigned g, tsz, sl0, oa;
		int level;
		unsigned concat;
	} cases[] = {
		{12, 16, 2, 48, 0, 1},  {12, 24, 1, 48, 1, 2},  {12, 25, 1, 48, 1, 1},
		{12, 21, 1, 48, 1, 16}, {12, 33, 1, 48, 1, 1},  {12, 31, 0, 48, 2, 8},
		{12, 42, 0, 48, 2, 1},  {14, 17, 2, 48, 1, 1},  {14, 16, 2, 48, 1, 2},
		{14, 24, 1, 48, 2, 16}, {14, 39, 0, 48, 3, 1},  {14, 35, 0, 48, 3, 16},
		{16, 16, 2, 48, 1, 1},  {16, 22, 1, 48, 2, 1},  {16, 18, 1, 48, 2, 16},
		{16, 31, 0, 48, 3, 16}, {16, 35, 0, 48, 3, 1},  {12, 16, 2, 44, 0, 1},
		{14, 17, 2, 42, 1, 1},  {14, 40, 0, 48, 3, 1},
	};
	for (const auto &c : cases) {
		smmu_ptw_stage s = S2Stage(c.g, c.tsz, 0, c.oa);
		ASSERT_TRUE(smmu_ptw_s2_setup(&s, c.sl0)) << "g " << c.g << " tsz " << c.tsz << " sl0 " << c.sl0;
		EXPECT_EQ(c.level, s.start_level) << "g " << c.g << " tsz " << c.tsz;
		EXPECT_EQ(c.concat, s.concat) << "g " << c.g << " tsz " << c.tsz;
	}
}

TEST(SmmuPtw, S2SetupRejectsInconsistentSl0T0szAndPa)
{
	struct {
		unsigned g, tsz, sl0, oa;
	} cases[] = {
		{12, 16, 1, 48}, // 48-bit IPA from L1 needs 32 tables
		{12, 35, 1, 48}, // 29-bit IPA cannot start at L1
		{12, 16, 0, 48}, // 48 bits from L2
		{12, 44, 0, 48}, // 20 bits: less than one L2 entry's worth plus one
		{12, 16, 3, 48}, // SL0=3 (L3, FEAT_TTST) not supported
		{12, 16, 2, 42}, // 4 KB level 0 needs PA > 42 bits
		{12, 26, 2, 48}, // 38 bits cannot start at L0
		{14, 16, 3, 48}, // 16 KB level 0 needs DS
		{14, 17, 2, 40}, // 16 KB level 1 needs PA > 40 bits
		{14, 23, 1, 48}, // 41 bits from L2: 32 tables
		{16, 16, 3, 48}, // 64 KB level 0 never
		{16, 16, 2, 42}, // 64 KB level 1 needs PA > 42 bits
		{16, 30, 0, 48}, // 34 bits at L3: 2^18 entries
		{16, 17, 1, 48}, // 47 bits at L2: 2^18 entries
		{13, 24, 1, 48}, // not a granule
	};
	for (const auto &c : cases) {
		smmu_ptw_stage s = S2Stage(c.g, c.tsz, 0, c.oa);
		EXPECT_FALSE(smmu_ptw_s2_setup(&s, c.sl0))
			<< "g " << c.g << " tsz " << c.tsz << " sl0 " << c.sl0 << " oa " << c.oa;
	}
	// n = 0 at the start level (21 bits from L2 with 4 KB) is inconsistent.
	smmu_ptw_stage s = S2Stage(12, 43, 0);
	EXPECT_FALSE(smmu_ptw_s2_setup(&s, 0));
	s = S2Stage(12, 42, 0);
	EXPECT_TRUE(smmu_ptw_s2_setup(&s, 0));
}

// ---------------------------------------------------------------------------
// Matrix: granule x start level x {S1, S2, nested}, one IOVA -> one PA.

struct Geo {
	unsigned g;
	unsigned s1_tsz;
	int s1_start;
	unsigned sl0, s2_tsz;
	int s2_start;
	unsigned concat;
};

std::string GeoName(const ::testing::TestParamInfo<Geo> &i)
{
	const Geo &p = i.param;
	return "G" + std::to_string(1u << (p.g - 10)) + "K_S1L" + std::to_string(p.s1_start) + "_S2L" +
	       std::to_string(p.s2_start) + "x" + std::to_string(p.concat);
}

// Everything for one geometry: stage-1 tables in PA space (S1-only), stage-2
// tables, and stage-1 tables in an IPA window (nested).
class World {
public:
	TestMem mem;
	IpaWindow win;
	smmu_pt s1{}, s2{}, s1n{};
	smmu_ptw_stage st1{}, st2{}, st1n{};
	uint64_t iova = 0;
	Geo geo{};

	void Init(const Geo &p)
	{
		geo = p;
		const unsigned g = p.g;
		const uint64_t gsize = 1ull << g;

		iova = iova_for(64 - p.s1_tsz, g);
		ASSERT_EQ(SMMU_PT_OK, InitPt(&s1, TestMem::pt_ops(), &mem, false, g, p.s1_tsz, -1));
		ASSERT_EQ(p.s1_start, s1.cfg.start_level);
		st1 = S1Stage(g, p.s1_tsz, s1.root);
		ASSERT_EQ(p.s1_start, st1.start_level);

		st2 = S2Stage(g, p.s2_tsz, 0);
		ASSERT_TRUE(smmu_ptw_s2_setup(&st2, p.sl0));
		ASSERT_EQ(p.s2_start, st2.start_level);
		ASSERT_EQ(p.concat, st2.concat);
		ASSERT_EQ(SMMU_PT_OK, InitPt(&s2, TestMem::pt_ops(), &mem, true, g, p.s2_tsz, st2.start_level));
		ASSERT_EQ(p.concat, s2.concat);
		st2.ttb = s2.root;

		win.mem = &mem;
		win.ipa_base = kWinIpa;
		win.pa_base = mem.alloc(kWinSize, kWinSize);
		win.size = kWinSize;
		win.next = kWinIpa;
		ASSERT_EQ(SMMU_PT_OK, InitPt(&s1n, IpaWindow::ops(), &win, false, g, p.s1_tsz, -1));
		st1n = S1Stage(g, p.s1_tsz, s1n.root);

		smmu_pt_attr a1 = S1Attr(), a2 = S2Attr();
		ASSERT_EQ(SMMU_PT_OK, smmu_pt_map(&s1, iova, kPa, gsize, g, &a1));
		ASSERT_EQ(SMMU_PT_OK, smmu_pt_map(&s2, kIpaOut, kPa, gsize, g, &a2));
		ASSERT_EQ(SMMU_PT_OK, smmu_pt_map(&s1n, iova, kIpaOut, gsize, g, &a1));
		// Stage 2 maps the window page by page so every S2 walk ends at L3.
		ASSERT_EQ(SMMU_PT_OK, smmu_pt_map(&s2, kWinIpa, win.pa_base, kWinSize, g, &a2));
	}
};

class SmmuPtwGeo : public ::testing::TestWithParam<Geo> {
protected:
	World w;
	void SetUp() override { ASSERT_NO_FATAL_FAILURE(w.Init(GetParam())); }
};

TEST_P(SmmuPtwGeo, S1OnlyTranslates)
{
	const Geo &p = GetParam();
	Walk r = DoWalk(w.mem, w.st1, Req(w.iova + kOff));
	ASSERT_EQ(0, r.rc) << FaultStr(r);
	EXPECT_EQ(kPa + kOff, r.res.oa);
	EXPECT_EQ(kPa + kOff, r.res.ipa);
	EXPECT_EQ(3, r.res.level);
	EXPECT_EQ(3, r.res.s1_level);
	EXPECT_EQ(p.g, r.res.page_shift);
	EXPECT_EQ(p.g, r.res.s1_page_shift);
	EXPECT_EQ(0u, r.res.s2_page_shift);
	EXPECT_EQ(unsigned(4 - p.s1_start), r.res.nreads);
	EXPECT_EQ(p.s1_start, r.res.first_level);
	EXPECT_TRUE(r.res.global);
	EXPECT_EQ(SMMU_PERM_ALL, r.res.s2_perm);
	// Default S1 leaf: AP=RW for both, executable -> all but PX (EL0-writable).
	EXPECT_EQ(SMMU_PERM_ALL & ~SMMU_PERM_PX, r.res.s1_perm);
	EXPECT_EQ(w.s1.root, r.res.table_pa[p.s1_start]);
	for (int l = p.s1_start; l <= 3; l++) {
		uint64_t d = DescAddr(w.s1, w.iova, l);
		EXPECT_EQ(d, r.res.reads[l - p.s1_start]) << "level " << l;
		if (l > p.s1_start) {
			EXPECT_EQ(d & ~lowmask(p.g), r.res.table_pa[l]) << "level " << l;
		}
	}
}

TEST_P(SmmuPtwGeo, S2OnlyTranslates)
{
	const Geo &p = GetParam();
	Walk r = DoWalk(w.mem, w.st2, Req(kIpaOut + kOff, true));
	ASSERT_EQ(0, r.rc) << FaultStr(r);
	EXPECT_EQ(kPa + kOff, r.res.oa);
	EXPECT_EQ(kIpaOut + kOff, r.res.ipa);
	EXPECT_EQ(3, r.res.level);
	EXPECT_EQ(-1, r.res.s1_level);
	EXPECT_EQ(p.g, r.res.page_shift);
	EXPECT_EQ(p.g, r.res.s2_page_shift);
	EXPECT_EQ(unsigned(4 - p.s2_start), r.res.nreads);
	EXPECT_FALSE(r.res.global);
	EXPECT_EQ(SMMU_PERM_ALL, r.res.s1_perm);
	EXPECT_EQ(SMMU_PERM_ALL, r.res.s2_perm);
	EXPECT_EQ(0xf, r.res.s2_attr);
	EXPECT_EQ(w.s2.root, r.res.table_pa[p.s2_start]);
	EXPECT_EQ(DescAddr(w.s2, kIpaOut, p.s2_start), r.res.reads[0]);
}

TEST_P(SmmuPtwGeo, NestedTranslatesAndCountsEveryRead)
{
	const Geo &p = GetParam();
	const unsigned s1n = 4 - p.s1_start, s2n = 4 - p.s2_start;
	Walk r = DoNested(w.mem, w.st1n, w.st2, Req(w.iova + kOff));
	ASSERT_EQ(0, r.rc) << FaultStr(r);
	EXPECT_EQ(kPa + kOff, r.res.oa);
	EXPECT_EQ(kIpaOut + kOff, r.res.ipa);
	EXPECT_EQ(p.g, r.res.page_shift);
	EXPECT_EQ(3, r.res.level);
	EXPECT_EQ(3, r.res.s1_level);
	// Each S1 level: a whole S2 walk of the descriptor IPA, then the read.
	EXPECT_EQ(s1n * (s2n + 1) + s2n, r.res.nreads);
	for (int l = p.s1_start; l <= 3; l++) {
		unsigned k = (l - p.s1_start) * (s2n + 1);
		uint64_t dipa = DescAddr(w.s1n, w.iova, l);
		EXPECT_EQ(DescAddr(w.s2, dipa, p.s2_start), r.res.reads[k]) << "S2 root read for S1 level " << l;
		EXPECT_EQ(w.win.pa(dipa), r.res.reads[k + s2n]) << "S1 read at level " << l;
		if (l == p.s1_start)
			EXPECT_EQ(w.win.pa(w.s1n.root), r.res.table_pa[l]);
		else
			EXPECT_EQ(w.win.pa(dipa) & ~lowmask(p.g), r.res.table_pa[l]) << "level " << l;
	}
	EXPECT_EQ(DescAddr(w.s2, kIpaOut, p.s2_start), r.res.reads[s1n * (s2n + 1)]);
}

TEST_P(SmmuPtwGeo, LeafHintSkipsUpperLevels)
{
	const Geo &p = GetParam();
	const unsigned s2n = 4 - p.s2_start;
	Walk full = DoWalk(w.mem, w.st1, Req(w.iova + kOff));
	ASSERT_EQ(0, full.rc);
	smmu_ptw_hint h{3, full.res.table_pa[3], full.res.table_attr[3]};
	Walk hinted = DoWalk(w.mem, w.st1, Req(w.iova + kOff), &h);
	ASSERT_EQ(0, hinted.rc) << FaultStr(hinted);
	EXPECT_EQ(full.res.oa, hinted.res.oa);
	EXPECT_EQ(1u, hinted.res.nreads);
	EXPECT_EQ(3, hinted.res.first_level);

	Walk nf = DoNested(w.mem, w.st1n, w.st2, Req(w.iova + kOff));
	ASSERT_EQ(0, nf.rc);
	smmu_ptw_hint hn{3, nf.res.table_pa[3], nf.res.table_attr[3]};
	Walk nh = DoNested(w.mem, w.st1n, w.st2, Req(w.iova + kOff), &hn);
	ASSERT_EQ(0, nh.rc) << FaultStr(nh);
	EXPECT_EQ(kPa + kOff, nh.res.oa);
	// The hinted table is a PA: one S1 read, then the output's S2 walk.
	EXPECT_EQ(1 + s2n, nh.res.nreads);
	EXPECT_EQ(nf.res.table_pa[3], nh.res.table_pa[3]);
}

TEST_P(SmmuPtwGeo, HintAtStartLevelEqualsNoHint)
{
	const Geo &p = GetParam();
	smmu_ptw_hint h{static_cast<int8_t>(p.s2_start), w.s2.root, 0};
	Walk a = DoWalk(w.mem, w.st2, Req(kIpaOut + kOff));
	Walk b = DoWalk(w.mem, w.st2, Req(kIpaOut + kOff), &h);
	ASSERT_EQ(0, a.rc);
	ASSERT_EQ(0, b.rc);
	EXPECT_EQ(a.res.oa, b.res.oa);
	EXPECT_EQ(a.res.nreads, b.res.nreads);
	EXPECT_EQ(0, memcmp(a.res.reads, b.res.reads, a.res.nreads * sizeof(uint64_t)));
}

INSTANTIATE_TEST_SUITE_P(
	AllGranulesAndStartLevels, SmmuPtwGeo,
	::testing::Values(Geo{12, 16, 0, 2, 16, 0, 1}, Geo{12, 25, 1, 1, 24, 1, 2},
			  Geo{12, 34, 2, 0, 32, 2, 4}, Geo{12, 43, 3, 0, 37, 2, 1},
			  Geo{14, 16, 0, 2, 17, 1, 1}, Geo{14, 17, 1, 1, 24, 2, 16},
			  Geo{14, 28, 2, 0, 39, 3, 1}, Geo{14, 39, 3, 1, 28, 2, 1},
			  Geo{16, 16, 1, 2, 16, 1, 1}, Geo{16, 22, 2, 1, 22, 2, 1},
			  Geo{16, 35, 3, 0, 31, 3, 16}),
	GeoName);

// ---------------------------------------------------------------------------
// Blocks: legal levels translate, the others are invalid descriptors.

struct BlockCase {
	unsigned g;
	int level;
	bool stage2;
	bool legal;
};

std::string BlockName(const ::testing::TestParamInfo<BlockCase> &i)
{
	const BlockCase &c = i.param;
	return std::string(c.stage2 ? "S2_" : "S1_") + std::to_string(1u << (c.g - 10)) + "K_L" +
	       std::to_string(c.level) + (c.legal ? "_Translates" : "_Faults");
}

class SmmuPtwBlock : public ::testing::TestWithParam<BlockCase> {};

TEST_P(SmmuPtwBlock, BlockAtLevel)
{
	const BlockCase &c = GetParam();
	TestMem mem;
	smmu_pt pt{};
	smmu_ptw_stage st;
	// 48-bit input (47 for a 16 KB stage 2, which cannot start at L0).
	if (c.stage2) {
		unsigned tsz = c.g == 14 ? 17 : 16;
		st = S2Stage(c.g, tsz, 0);
		ASSERT_TRUE(smmu_ptw_s2_setup(&st, 2));
		ASSERT_EQ(SMMU_PT_OK, InitPt(&pt, TestMem::pt_ops(), &mem, true, c.g, tsz, st.start_level));
	} else {
		ASSERT_EQ(SMMU_PT_OK, InitPt(&pt, TestMem::pt_ops(), &mem, false, c.g, 16, -1));
		st = S1Stage(c.g, 16, 0);
	}
	st.ttb = pt.root;
	ASSERT_LE(st.start_level, c.level);

	const unsigned sh = smmu_pt_level_shift(&pt, c.level);
	const uint64_t ia = 1ull << sh, oa = 1ull << 47;
	smmu_pt_attr a = c.stage2 ? S2Attr() : S1Attr();
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_map(&pt, ia, oa, 1ull << sh, sh, &a));

	const uint64_t off = (1ull << (sh - 1)) + kOff;
	Walk r = DoWalk(mem, st, Req(ia + off));
	EXPECT_EQ(unsigned(c.level - st.start_level + 1), r.res.nreads);
	if (c.legal) {
		ASSERT_EQ(0, r.rc) << FaultStr(r);
		EXPECT_EQ(oa + off, r.res.oa);
		EXPECT_EQ(sh, r.res.page_shift);
		EXPECT_EQ(c.level, r.res.level);
	} else {
		ASSERT_EQ(1, r.rc);
		EXPECT_EQ(SMMU_EVT_F_TRANSLATION, r.f.event);
		EXPECT_EQ(c.level, r.f.level);
		EXPECT_EQ(c.stage2, r.f.s2);
		EXPECT_EQ(SMMU_CLASS_IN, r.f.cls);
		if (c.stage2) {
			EXPECT_EQ(ia + off, r.f.ipa);
		}
	}
}

INSTANTIATE_TEST_SUITE_P(
	AllLevels, SmmuPtwBlock,
	::testing::Values(BlockCase{12, 0, false, false}, BlockCase{12, 1, false, true},
			  BlockCase{12, 2, false, true}, BlockCase{14, 0, false, false},
			  BlockCase{14, 1, false, false}, BlockCase{14, 2, false, true},
			  BlockCase{16, 1, false, false}, BlockCase{16, 2, false, true},
			  BlockCase{12, 0, true, false}, BlockCase{12, 1, true, true},
			  BlockCase{12, 2, true, true}, BlockCase{14, 1, true, false},
			  BlockCase{14, 2, true, true}, BlockCase{16, 1, true, false},
			  BlockCase{16, 2, true, true}),
	BlockName);

// ---------------------------------------------------------------------------
// Stage 1, 4 KB granule, 48-bit VA (walk starts at L0): faults and permissions.

class SmmuPtwS1 : public ::testing::Test {
protected:
	static constexpr uint64_t kVa = 0x0000123456789000ull;
	TestMem mem;
	smmu_pt pt{};
	smmu_ptw_stage st{};

	void SetUp() override
	{
		ASSERT_EQ(SMMU_PT_OK, InitPt(&pt, TestMem::pt_ops(), &mem, false, 12, 16, -1));
		st = S1Stage(12, 16, pt.root);
	}
	void Map(uint64_t va, uint64_t pa, const smmu_pt_attr &a, unsigned shift = 12)
	{
		ASSERT_EQ(SMMU_PT_OK, smmu_pt_map(&pt, va, pa, 1ull << shift, shift, &a));
	}
	Walk W(const smmu_ptw_req &r, const smmu_ptw_hint *h = nullptr) { return DoWalk(mem, st, r, h); }
	void ExpectFault(const Walk &r, uint8_t event, int level)
	{
		ASSERT_EQ(1, r.rc);
		EXPECT_EQ(event, r.f.event) << FaultStr(r);
		EXPECT_EQ(level, r.f.level) << FaultStr(r);
		EXPECT_FALSE(r.f.s2);
		EXPECT_EQ(event == SMMU_EVT_F_WALK_EABT ? SMMU_CLASS_TT : SMMU_CLASS_IN, r.f.cls);
	}
};

TEST_F(SmmuPtwS1, S1_4KGranuleL3PageTranslates)
{
	smmu_pt_attr a = S1Attr();
	a.attr_indx = 5;
	Map(kVa, 0x4000abc000ull, a);
	Walk r = W(Req(kVa + 0x123));
	ASSERT_EQ(0, r.rc) << FaultStr(r);
	EXPECT_EQ(0x4000abc123ull, r.res.oa);
	EXPECT_EQ(12u, r.res.page_shift);
	EXPECT_EQ(4u, r.res.nreads);
	EXPECT_EQ(5, r.res.s1_attr);
}

TEST_F(SmmuPtwS1, InvalidLeafIsTranslationFaultAtL3)
{
	Map(kVa, 0x4000000000ull, S1Attr());
	Walk r = W(Req(kVa + 0x1000)); // next page: same tables, invalid entry
	ExpectFault(r, SMMU_EVT_F_TRANSLATION, 3);
	EXPECT_EQ(4u, r.res.nreads);
}

TEST_F(SmmuPtwS1, InvalidTableIsTranslationFaultAtThatLevel)
{
	Map(kVa, 0x4000000000ull, S1Attr());
	Walk r0 = W(Req(kVa ^ (1ull << 40))); // other L0 entry
	ExpectFault(r0, SMMU_EVT_F_TRANSLATION, 0);
	EXPECT_EQ(1u, r0.res.nreads);
	Walk r1 = W(Req(kVa ^ (1ull << 31))); // other L1 entry
	ExpectFault(r1, SMMU_EVT_F_TRANSLATION, 1);
	EXPECT_EQ(2u, r1.res.nreads);
}

TEST_F(SmmuPtwS1, L3DescriptorOfType01IsTranslationFault)
{
	Map(kVa, 0x4000000000ull, S1Attr());
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_update(&pt, kVa, 3, SMMU_PT_DESC_TABLE, 0));
	ExpectFault(W(Req(kVa)), SMMU_EVT_F_TRANSLATION, 3);
}

TEST_F(SmmuPtwS1, InputAboveTszIsTranslationFaultBeforeAnyRead)
{
	Map(kVa, 0x4000000000ull, S1Attr());
	mem.reset_counts();
	Walk r = W(Req(kVa | (1ull << 48)));
	ExpectFault(r, SMMU_EVT_F_TRANSLATION, -1);
	EXPECT_EQ(0u, r.res.nreads);
	EXPECT_EQ(0u, mem.reads());
	// A 39-bit regime rejects bit 39.
	smmu_pt small{};
	ASSERT_EQ(SMMU_PT_OK, InitPt(&small, TestMem::pt_ops(), &mem, false, 12, 25, -1));
	smmu_pt_attr a = S1Attr();
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_map(&small, 0x40001000, 0x5000, 0x1000, 12, &a));
	smmu_ptw_stage s39 = S1Stage(12, 25, small.root);
	EXPECT_EQ(0, DoWalk(mem, s39, Req(0x40001000)).rc);
	Walk r39 = DoWalk(mem, s39, Req(0x40001000 | (1ull << 39)));
	ExpectFault(r39, SMMU_EVT_F_TRANSLATION, -1);
}

TEST_F(SmmuPtwS1, SignExtendedVaUsesLowBitsAndMixedTopFaults)
{
	Map(kVa, 0x4000000000ull, S1Attr());
	Walk r = W(Req(0xffff000000000000ull | kVa | 0x10));
	ASSERT_EQ(0, r.rc) << FaultStr(r);
	EXPECT_EQ(0x4000000010ull, r.res.oa);
	ExpectFault(W(Req(0xff00000000000000ull | kVa)), SMMU_EVT_F_TRANSLATION, -1);
}

TEST_F(SmmuPtwS1, LeafAboveOasIsAddressSizeFault)
{
	st.oa_bits = 40;
	Map(kVa, 1ull << 41, S1Attr());
	Map(kVa + 0x1000, (1ull << 40) - 0x1000, S1Attr());
	ExpectFault(W(Req(kVa)), SMMU_EVT_F_ADDR_SIZE, 3);
	EXPECT_EQ(0, W(Req(kVa + 0x1000)).rc);
	// Blocks too.
	Map(0x0000200000000000ull, 1ull << 44, S1Attr(), 21);
	ExpectFault(W(Req(0x0000200000000000ull)), SMMU_EVT_F_ADDR_SIZE, 2);
}

TEST_F(SmmuPtwS1, TableAboveOasIsAddressSizeFaultAtThatLevel)
{
	Map(kVa, 0x4000000000ull, S1Attr());
	// Point the L1 table descriptor at 2^44 (nothing there).
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_update(&pt, kVa, 1, 0x0000fffffffff000ull, 1ull << 44));
	st.oa_bits = 44;
	Walk r = W(Req(kVa));
	ExpectFault(r, SMMU_EVT_F_ADDR_SIZE, 1);
	EXPECT_EQ(2u, r.res.nreads);
	// With a 48-bit OAS the table is in range; the walk reads it (zeros).
	st.oa_bits = 48;
	Walk r48 = W(Req(kVa));
	ExpectFault(r48, SMMU_EVT_F_TRANSLATION, 2);
	EXPECT_EQ(1ull << 44 | ((kVa >> 21) & 0x1ff) * 8, r48.res.reads[2]);
}

TEST_F(SmmuPtwS1, TableAddressMaskedFromBit47ToGranule)
{
	Map(kVa, 0x4000000000ull, S1Attr());
	uint64_t addr, desc;
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_lookup(&pt, kVa, 2, &addr, &desc));
	// Ignored upper attributes and low bits [11:2] must not move the table.
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_update(&pt, kVa, 2, 0, (0xfull << 55) | 0xffcull));
	Walk r = W(Req(kVa));
	ASSERT_EQ(0, r.rc) << FaultStr(r);
	EXPECT_EQ(0x4000000000ull, r.res.oa);
	EXPECT_EQ(desc & 0x0000fffffffff000ull, r.res.table_pa[3]);
}

TEST_F(SmmuPtwS1, AccessFlagZeroFaultsUnlessAffd)
{
	smmu_pt_attr a = S1Attr();
	a.af = false;
	a.ap = SMMU_PT_AP_RO; // a write would also be a permission fault
	Map(kVa, 0x4000000000ull, a);
	ExpectFault(W(Req(kVa)), SMMU_EVT_F_ACCESS, 3);
	// Access flag has priority over permission.
	ExpectFault(W(Req(kVa, true)), SMMU_EVT_F_ACCESS, 3);
	st.affd = true;
	EXPECT_EQ(0, W(Req(kVa)).rc);
	ExpectFault(W(Req(kVa, true)), SMMU_EVT_F_PERMISSION, 3);
}

TEST_F(SmmuPtwS1, WalkExternalAbortReportsFetchAddress)
{
	Map(kVa, 0x4000000000ull, S1Attr());
	uint64_t d2 = DescAddr(pt, kVa, 2);
	mem.add_abort(d2 & ~0xfffull, 0x1000);
	Walk r = W(Req(kVa));
	ExpectFault(r, SMMU_EVT_F_WALK_EABT, 2);
	EXPECT_EQ(d2, r.f.fetch_addr);
	EXPECT_EQ(3u, r.res.nreads);
	mem.clear_aborts();
	const uint64_t d0 = DescAddr(pt, kVa, 0);
	mem.add_abort(pt.root, 0x1000);
	Walk r0 = W(Req(kVa));
	ExpectFault(r0, SMMU_EVT_F_WALK_EABT, 0);
	EXPECT_EQ(d0, r0.f.fetch_addr);
	EXPECT_EQ(1u, r0.res.nreads);
}

// Permission sets granted by one leaf: AP x UXN/PXN x WXN x PAN x EL2.
TEST_F(SmmuPtwS1, GrantedPermissionSets)
{
	enum : uint8_t {
		UR = SMMU_PERM_UR, UW = SMMU_PERM_UW, UX = SMMU_PERM_UX,
		PR = SMMU_PERM_PR, PW = SMMU_PERM_PW, PX = SMMU_PERM_PX,
	};
	struct {
		uint8_t ap;
		bool uxn, pxn, wxn, pan, el2;
		uint8_t perm;
	} cases[] = {
		{0, false, false, false, false, false, PR | PW | PX | UX},
		{1, false, false, false, false, false, UR | UW | UX | PR | PW}, // EL0-writable: PXN
		{2, false, false, false, false, false, PR | PX | UX},
		{3, false, false, false, false, false, UR | UX | PR | PX},
		{2, true, false, false, false, false, PR | PX},
		{2, false, true, false, false, false, PR | UX},
		{0, false, false, true, false, false, PR | PW | UX},      // WXN: PW kills PX
		{1, false, false, true, false, false, UR | UW | PR | PW}, // WXN: UW kills UX
		{3, false, false, true, false, false, UR | UX | PR | PX}, // read-only: WXN moot
		{1, false, false, false, true, false, UR | UW | UX},      // PAN
		{3, false, false, false, true, false, UR | UX | PX},
		{0, false, false, false, true, false, PR | PW | PX | UX}, // PAN: not EL0-accessible
		{0, false, false, false, false, true, UR | UW | UX | PR | PW | PX}, // EL2: AP[1] = 1
		{2, false, false, false, false, true, UR | UX | PR | PX},
		{0, false, true, false, false, true, UR | UW | UX | PR | PW | PX},  // EL2: PXN RES0
		{0, true, false, false, false, true, UR | UW | PR | PW},            // EL2: bit 54 = XN
		{0, false, false, false, true, true, UR | UW | UX | PR | PW | PX},  // EL2: no PAN
		{0, false, false, true, false, true, UR | UW | PR | PW},            // EL2: WXN
	};
	uint64_t va = kVa;
	for (const auto &c : cases) {
		smmu_pt_attr a = S1Attr();
		a.ap = c.ap;
		a.uxn = c.uxn;
		a.pxn = c.pxn;
		Map(va, 0x4000000000ull, a);
		st.wxn = c.wxn;
		st.pan = c.pan;
		st.el2 = c.el2;
		Walk r = W(Req(va, false, true));
		// A privileged read may itself be denied (PAN); then look at the
		// permission fault, otherwise at the granted set.
		if (c.perm & PR) {
			ASSERT_EQ(0, r.rc) << FaultStr(r);
			EXPECT_EQ(c.perm, r.res.s1_perm) << "ap " << int(c.ap) << " uxn " << c.uxn << " pxn "
							 << c.pxn << " wxn " << c.wxn << " pan " << c.pan
							 << " el2 " << c.el2;
		} else {
			ExpectFault(r, SMMU_EVT_F_PERMISSION, 3);
			Walk u = W(Req(va, false, false));
			ASSERT_EQ(0, u.rc) << FaultStr(u);
			EXPECT_EQ(c.perm, u.res.s1_perm) << "ap " << int(c.ap) << " pan " << c.pan;
		}
		va += 0x1000;
	}
}

TEST_F(SmmuPtwS1, WriteToReadOnlyIsPermissionFault)
{
	smmu_pt_attr a = S1Attr();
	a.ap = SMMU_PT_AP_RO;
	Map(kVa, 0x4000000000ull, a);
	EXPECT_EQ(0, W(Req(kVa, false, false)).rc);
	ExpectFault(W(Req(kVa, true, false)), SMMU_EVT_F_PERMISSION, 3);
	ExpectFault(W(Req(kVa, true, true)), SMMU_EVT_F_PERMISSION, 3);
}

TEST_F(SmmuPtwS1, UnprivilegedAccessToPrivilegedOnlyIsPermissionFault)
{
	smmu_pt_attr a = S1Attr();
	a.ap = SMMU_PT_AP_RW_PRIV;
	Map(kVa, 0x4000000000ull, a);
	EXPECT_EQ(0, W(Req(kVa, true, true)).rc);
	ExpectFault(W(Req(kVa, false, false)), SMMU_EVT_F_PERMISSION, 3);
	ExpectFault(W(Req(kVa, true, false)), SMMU_EVT_F_PERMISSION, 3);
	// An any-EL2 world treats AP[1] as 1: the same request is allowed.
	st.el2 = true;
	EXPECT_EQ(0, W(Req(kVa, true, false)).rc);
}

TEST_F(SmmuPtwS1, ExecuteNeverBits)
{
	smmu_pt_attr uxn = S1Attr(), pxn = S1Attr();
	uxn.ap = pxn.ap = SMMU_PT_AP_RO;
	uxn.uxn = true;
	pxn.pxn = true;
	Map(kVa, 0x4000000000ull, uxn);
	Map(kVa + 0x1000, 0x4000001000ull, pxn);
	ExpectFault(W(Req(kVa, false, false, true)), SMMU_EVT_F_PERMISSION, 3);
	EXPECT_EQ(0, W(Req(kVa, false, true, true)).rc);
	EXPECT_EQ(0, W(Req(kVa + 0x1000, false, false, true)).rc);
	ExpectFault(W(Req(kVa + 0x1000, false, true, true)), SMMU_EVT_F_PERMISSION, 3);
}

TEST_F(SmmuPtwS1, El0WritableIsPrivilegedExecuteNever)
{
	Map(kVa, 0x4000000000ull, S1Attr()); // AP=01: EL0 RW
	EXPECT_EQ(0, W(Req(kVa, false, false, true)).rc);
	ExpectFault(W(Req(kVa, false, true, true)), SMMU_EVT_F_PERMISSION, 3);
}

TEST_F(SmmuPtwS1, WxnMakesWritableExecuteNever)
{
	smmu_pt_attr a = S1Attr();
	a.ap = SMMU_PT_AP_RW_PRIV;
	Map(kVa, 0x4000000000ull, a);
	EXPECT_EQ(0, W(Req(kVa, false, true, true)).rc);
	st.wxn = true;
	ExpectFault(W(Req(kVa, false, true, true)), SMMU_EVT_F_PERMISSION, 3);
}

TEST_F(SmmuPtwS1, PanDeniesPrivilegedDataAccessToUserPages)
{
	smmu_pt_attr user = S1Attr(), kern = S1Attr();
	user.ap = SMMU_PT_AP_RO;
	kern.ap = SMMU_PT_AP_RO_PRIV;
	Map(kVa, 0x4000000000ull, user);
	Map(kVa + 0x1000, 0x4000001000ull, kern);
	EXPECT_EQ(0, W(Req(kVa, false, true)).rc);
	st.pan = true;
	ExpectFault(W(Req(kVa, false, true)), SMMU_EVT_F_PERMISSION, 3);
	EXPECT_EQ(0, W(Req(kVa, false, false)).rc);             // unprivileged unaffected
	EXPECT_EQ(0, W(Req(kVa, false, true, true)).rc);        // instruction fetch unaffected
	EXPECT_EQ(0, W(Req(kVa + 0x1000, false, true)).rc);     // kernel page unaffected
}

TEST_F(SmmuPtwS1, APTableRestrictsLowerLevels)
{
	Map(kVa, 0x4000000000ull, S1Attr());
	EXPECT_EQ(0, W(Req(kVa, true, false)).rc);
	// APTable[1] at L1: no write anywhere below.
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_update(&pt, kVa, 1, 0, SMMU_PT_TABLE_AP_RO));
	ExpectFault(W(Req(kVa, true, false)), SMMU_EVT_F_PERMISSION, 3);
	ExpectFault(W(Req(kVa, true, true)), SMMU_EVT_F_PERMISSION, 3);
	Walk r = W(Req(kVa, false, false));
	ASSERT_EQ(0, r.rc);
	EXPECT_EQ(0, r.res.s1_perm & (SMMU_PERM_UW | SMMU_PERM_PW));
	// APTable[0] at L2: no EL0 access below.
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_update(&pt, kVa, 2, 0, SMMU_PT_TABLE_AP_NOEL0));
	ExpectFault(W(Req(kVa, false, false)), SMMU_EVT_F_PERMISSION, 3);
	EXPECT_EQ(0, W(Req(kVa, false, true)).rc);
}

TEST_F(SmmuPtwS1, XNTableAndPXNTableRestrictLowerLevels)
{
	smmu_pt_attr a = S1Attr();
	a.ap = SMMU_PT_AP_RO;
	Map(kVa, 0x4000000000ull, a);
	EXPECT_EQ(0, W(Req(kVa, false, false, true)).rc);
	EXPECT_EQ(0, W(Req(kVa, false, true, true)).rc);
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_update(&pt, kVa, 0, 0, SMMU_PT_TABLE_PXN));
	EXPECT_EQ(0, W(Req(kVa, false, false, true)).rc);
	ExpectFault(W(Req(kVa, false, true, true)), SMMU_EVT_F_PERMISSION, 3);
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_update(&pt, kVa, 0, SMMU_PT_TABLE_PXN, 0));
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_update(&pt, kVa, 2, 0, SMMU_PT_TABLE_XN));
	ExpectFault(W(Req(kVa, false, false, true)), SMMU_EVT_F_PERMISSION, 3);
	EXPECT_EQ(0, W(Req(kVa, false, true, true)).rc);
	EXPECT_EQ(0, W(Req(kVa, false, false, false)).rc);
}

TEST_F(SmmuPtwS1, GlobalFollowsNg)
{
	smmu_pt_attr ng = S1Attr();
	ng.ng = true;
	Map(kVa, 0x4000000000ull, S1Attr());
	Map(kVa + 0x1000, 0x4000001000ull, ng);
	Walk g = W(Req(kVa)), n = W(Req(kVa + 0x1000));
	ASSERT_EQ(0, g.rc);
	ASSERT_EQ(0, n.rc);
	EXPECT_TRUE(g.res.global);
	EXPECT_FALSE(n.res.global);
}

TEST_F(SmmuPtwS1, HintSkipsLevelsWithSameResult)
{
	Map(kVa, 0x4000000000ull, S1Attr());
	Walk full = W(Req(kVa + 8));
	ASSERT_EQ(0, full.rc);
	ASSERT_EQ(4u, full.res.nreads);
	for (int l = 1; l <= 3; l++) {
		smmu_ptw_hint h{static_cast<int8_t>(l), full.res.table_pa[l], full.res.table_attr[l]};
		Walk r = W(Req(kVa + 8), &h);
		ASSERT_EQ(0, r.rc) << "hint level " << l;
		EXPECT_EQ(full.res.oa, r.res.oa);
		EXPECT_EQ(unsigned(4 - l), r.res.nreads);
		EXPECT_EQ(l, r.res.first_level);
		EXPECT_EQ(full.res.reads[3], r.res.reads[r.res.nreads - 1]);
	}
	smmu_ptw_hint none{-1, 0, 0};
	EXPECT_EQ(4u, W(Req(kVa + 8), &none).res.nreads);
}

TEST_F(SmmuPtwS1, HintCarriesTableRestrictionsFromAbove)
{
	// A hint skips the tables above it, so their APTable/XNTable bits come
	// from the hint (as reported in table_attr by the walk that filled it).
	Map(kVa, 0x4000000000ull, S1Attr());
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_update(&pt, kVa, 1, 0, SMMU_PT_TABLE_AP_RO));
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_update(&pt, kVa, 2, 0, SMMU_PT_TABLE_XN));
	Walk full = W(Req(kVa));
	ASSERT_EQ(0, full.rc);
	EXPECT_EQ(0, full.res.table_attr[0]);
	EXPECT_EQ(0, full.res.table_attr[1]);
	EXPECT_EQ(SMMU_PTW_TBL_AP_RO, full.res.table_attr[2]);
	EXPECT_EQ(SMMU_PTW_TBL_AP_RO | SMMU_PTW_TBL_XN, full.res.table_attr[3]);
	ExpectFault(W(Req(kVa, true)), SMMU_EVT_F_PERMISSION, 3);

	smmu_ptw_hint h{3, full.res.table_pa[3], full.res.table_attr[3]};
	Walk hw = W(Req(kVa, true), &h);
	ExpectFault(hw, SMMU_EVT_F_PERMISSION, 3);
	EXPECT_EQ(1u, hw.res.nreads);
	ExpectFault(W(Req(kVa, false, false, true), &h), SMMU_EVT_F_PERMISSION, 3);
	EXPECT_EQ(full.res.s1_perm, W(Req(kVa), &h).res.s1_perm);
	// Without the carried bits the restrictions are lost.
	smmu_ptw_hint bare{3, full.res.table_pa[3], 0};
	EXPECT_EQ(0, W(Req(kVa, true), &bare).rc);
	// From L2 only the L1 restriction must be carried; L2's own is re-read.
	smmu_ptw_hint h2{2, full.res.table_pa[2], full.res.table_attr[2]};
	ExpectFault(W(Req(kVa, false, false, true), &h2), SMMU_EVT_F_PERMISSION, 3);
	ExpectFault(W(Req(kVa, true), &h2), SMMU_EVT_F_PERMISSION, 3);
}

TEST(SmmuPtw, S1_64KGranule52BitOutputAddress)
{
	TestMem mem;
	smmu_pt pt{};
	ASSERT_EQ(SMMU_PT_OK, InitPt(&pt, TestMem::pt_ops(), &mem, false, 16, 16, -1));
	const uint64_t pa = (1ull << 50) | 0x123450000ull;
	smmu_pt_attr a = S1Attr();
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_map(&pt, 0x10000, pa, 0x10000, 16, &a));
	smmu_ptw_stage st = S1Stage(16, 16, pt.root, 52);
	Walk r = DoWalk(mem, st, Req(0x10000 + kOff));
	ASSERT_EQ(0, r.rc) << FaultStr(r);
	EXPECT_EQ(pa + kOff, r.res.oa);
	// OA[51:48] in bits [15:12] are checked against a 48-bit output size.
	st.oa_bits = 48;
	Walk r48 = DoWalk(mem, st, Req(0x10000));
	ASSERT_EQ(1, r48.rc);
	EXPECT_EQ(SMMU_EVT_F_ADDR_SIZE, r48.f.event);
	EXPECT_EQ(3, r48.f.level);
}

// ---------------------------------------------------------------------------
// Stage 2 only: 4 KB, 40-bit IPA, SL0=1 -> two concatenated L1 tables.

class SmmuPtwS2 : public ::testing::Test {
protected:
	TestMem mem;
	smmu_pt pt{};
	smmu_ptw_stage st{};

	void SetUp() override
	{
		st = S2Stage(12, 24, 0);
		ASSERT_TRUE(smmu_ptw_s2_setup(&st, 1));
		ASSERT_EQ(1, st.start_level);
		ASSERT_EQ(2, st.concat);
		ASSERT_EQ(SMMU_PT_OK, InitPt(&pt, TestMem::pt_ops(), &mem, true, 12, 24, 1));
		st.ttb = pt.root;
	}
	void Map(uint64_t ipa, uint64_t pa, const smmu_pt_attr &a, unsigned shift = 12)
	{
		ASSERT_EQ(SMMU_PT_OK, smmu_pt_map(&pt, ipa, pa, 1ull << shift, shift, &a));
	}
	Walk W(const smmu_ptw_req &r) { return DoWalk(mem, st, r); }
	void ExpectFault(const Walk &r, uint8_t event, int level, uint64_t ipa)
	{
		ASSERT_EQ(1, r.rc);
		EXPECT_EQ(event, r.f.event) << FaultStr(r);
		EXPECT_EQ(level, r.f.level) << FaultStr(r);
		EXPECT_TRUE(r.f.s2);
		EXPECT_EQ(SMMU_CLASS_IN, r.f.cls);
		EXPECT_EQ(ipa, r.f.ipa);
	}
};

TEST_F(SmmuPtwS2, ConcatenatedStartTablesIndexedByTopBit)
{
	const uint64_t lo = 0x0040001000ull, hi = lo | (1ull << 39);
	Map(lo, 0x1111000ull, S2Attr());
	Map(hi, 0x2222000ull, S2Attr());
	Walk a = W(Req(lo + 4)), b = W(Req(hi + 4));
	ASSERT_EQ(0, a.rc) << FaultStr(a);
	ASSERT_EQ(0, b.rc) << FaultStr(b);
	EXPECT_EQ(0x1111004ull, a.res.oa);
	EXPECT_EQ(0x2222004ull, b.res.oa);
	// Index = IPA >> shift(L0) over 10 bits: the second 4 KB table.
	EXPECT_EQ(pt.root + ((lo >> 30) & 0x3ff) * 8, a.res.reads[0]);
	EXPECT_EQ(pt.root + ((hi >> 30) & 0x3ff) * 8, b.res.reads[0]);
	EXPECT_GE(b.res.reads[0], pt.root + 0x1000);
	EXPECT_EQ(3u, b.res.nreads);
	// The base is aligned to the whole 8 KB: TTB bit 12 is ignored.
	st.ttb = pt.root | 0x1000;
	Walk c = W(Req(hi + 4));
	ASSERT_EQ(0, c.rc);
	EXPECT_EQ(b.res.reads[0], c.res.reads[0]);
}

TEST_F(SmmuPtwS2, InputAboveS2T0szIsTranslationFault)
{
	Walk r = W(Req(1ull << 40));
	ExpectFault(r, SMMU_EVT_F_TRANSLATION, -1, 1ull << 40);
	EXPECT_EQ(0u, r.res.nreads);
	// Stage 2 accepts no sign extension.
	ExpectFault(W(Req(~0ull << 40)), SMMU_EVT_F_TRANSLATION, -1, ~0ull << 40);
}

TEST_F(SmmuPtwS2, InvalidDescriptorIsStage2TranslationFault)
{
	Map(0x40001000, 0x5000, S2Attr());
	ExpectFault(W(Req(0x40002008)), SMMU_EVT_F_TRANSLATION, 3, 0x40002008);
}

TEST_F(SmmuPtwS2, LeafAboveS2psIsAddressSizeFault)
{
	st.oa_bits = 40;
	Map(0x40001000, 1ull << 40, S2Attr());
	ExpectFault(W(Req(0x40001010)), SMMU_EVT_F_ADDR_SIZE, 3, 0x40001010);
	st.oa_bits = 44;
	EXPECT_EQ(0, W(Req(0x40001010)).rc);
}

TEST_F(SmmuPtwS2, AccessFlagZeroFaultsUnlessS2Affd)
{
	smmu_pt_attr a = S2Attr();
	a.af = false;
	Map(0x40001000, 0x5000, a);
	ExpectFault(W(Req(0x40001000)), SMMU_EVT_F_ACCESS, 3, 0x40001000);
	st.affd = true;
	EXPECT_EQ(0, W(Req(0x40001000)).rc);
}

TEST_F(SmmuPtwS2, S2apReadAndWriteBits)
{
	smmu_pt_attr ro = S2Attr(), wo = S2Attr();
	ro.s2ap = SMMU_PT_S2AP_R;
	wo.s2ap = SMMU_PT_S2AP_W;
	Map(0x40001000, 0x5000, ro);
	Map(0x40002000, 0x6000, wo);
	EXPECT_EQ(0, W(Req(0x40001000)).rc);
	ExpectFault(W(Req(0x40001000, true)), SMMU_EVT_F_PERMISSION, 3, 0x40001000);
	ExpectFault(W(Req(0x40002000, false, true)), SMMU_EVT_F_PERMISSION, 3, 0x40002000);
	Walk w = W(Req(0x40002000, true));
	ASSERT_EQ(0, w.rc);
	EXPECT_EQ(SMMU_PERM_UW | SMMU_PERM_PW | SMMU_PERM_UX | SMMU_PERM_PX, w.res.s2_perm);
}

TEST_F(SmmuPtwS2, ExecuteNeverWithAndWithoutXnx)
{
	enum : uint8_t { UX = SMMU_PERM_UX, PX = SMMU_PERM_PX };
	const uint8_t with_xnx[4] = {UX | PX, UX, 0, PX};
	const uint8_t without[4] = {UX | PX, UX | PX, 0, 0};
	for (unsigned xn = 0; xn < 4; xn++) {
		smmu_pt_attr a = S2Attr();
		a.xn = static_cast<uint8_t>(xn);
		const uint64_t ipa = 0x40010000 + xn * 0x1000;
		Map(ipa, 0x7000 + xn * 0x1000, a);
		for (bool xnx : {false, true}) {
			st.xnx = xnx;
			const uint8_t want = xnx ? with_xnx[xn] : without[xn];
			Walk r = W(Req(ipa));
			ASSERT_EQ(0, r.rc);
			EXPECT_EQ(want | SMMU_PERM_UR | SMMU_PERM_UW | SMMU_PERM_PR | SMMU_PERM_PW, r.res.s2_perm)
				<< "xn " << xn << " xnx " << xnx;
			for (bool priv : {false, true}) {
				Walk x = W(Req(ipa, false, priv, true));
				bool allowed = want & (priv ? PX : UX);
				EXPECT_EQ(allowed ? 0 : 1, x.rc) << "xn " << xn << " xnx " << xnx << " priv " << priv;
				if (!allowed) {
					EXPECT_EQ(SMMU_EVT_F_PERMISSION, x.f.event);
				}
			}
		}
	}
}

TEST_F(SmmuPtwS2, WalkExternalAbortIsClassIn)
{
	Map(0x40001000, 0x5000, S2Attr());
	uint64_t d = DescAddr(pt, 0x40001000, 2);
	mem.add_abort(d, 8);
	Walk r = W(Req(0x40001000));
	ExpectFault(r, SMMU_EVT_F_WALK_EABT, 2, 0x40001000);
	EXPECT_EQ(d, r.f.fetch_addr);
}

TEST_F(SmmuPtwS2, BlocksAtL1AndL2)
{
	Map(0x8040000000ull, 0x7c0000000ull, S2Attr(), 30);
	Map(0x0000200000ull, 0x000a00000ull, S2Attr(), 21);
	Walk g = W(Req(0x8040000000ull + 0x12345678));
	ASSERT_EQ(0, g.rc);
	EXPECT_EQ(0x7c0000000ull + 0x12345678, g.res.oa);
	EXPECT_EQ(30u, g.res.page_shift);
	EXPECT_EQ(1u, g.res.nreads);
	Walk m = W(Req(0x0000200000ull + 0x1234));
	ASSERT_EQ(0, m.rc);
	EXPECT_EQ(0xa01234ull, m.res.oa);
	EXPECT_EQ(21u, m.res.page_shift);
	EXPECT_EQ(2, m.res.level);
}

// ---------------------------------------------------------------------------
// Nested: 4 KB both stages; S1 48-bit from L0, S2 40-bit from L1 (2 tables).

class SmmuPtwNested : public ::testing::Test {
protected:
	static constexpr uint64_t kVa = 0x0000123456789000ull;
	TestMem mem;
	IpaWindow win;
	smmu_pt s1{}, s2{};
	smmu_ptw_stage st1{}, st2{};

	void SetUp() override
	{
		win.mem = &mem;
		win.ipa_base = kWinIpa;
		win.pa_base = mem.alloc(kWinSize, kWinSize);
		win.size = kWinSize;
		win.next = kWinIpa;
		ASSERT_EQ(SMMU_PT_OK, InitPt(&s1, IpaWindow::ops(), &win, false, 12, 16, -1));
		st1 = S1Stage(12, 16, s1.root);
		st2 = S2Stage(12, 24, 0);
		ASSERT_TRUE(smmu_ptw_s2_setup(&st2, 1));
		ASSERT_EQ(SMMU_PT_OK, InitPt(&s2, TestMem::pt_ops(), &mem, true, 12, 24, 1));
		st2.ttb = s2.root;
		smmu_pt_attr a2 = S2Attr();
		ASSERT_EQ(SMMU_PT_OK, smmu_pt_map(&s2, kWinIpa, win.pa_base, kWinSize, 12, &a2));
	}
	void MapS1(uint64_t va, uint64_t ipa, const smmu_pt_attr &a, unsigned shift = 12)
	{
		ASSERT_EQ(SMMU_PT_OK, smmu_pt_map(&s1, va, ipa, 1ull << shift, shift, &a));
	}
	void MapS2(uint64_t ipa, uint64_t pa, const smmu_pt_attr &a, unsigned shift = 12)
	{
		ASSERT_EQ(SMMU_PT_OK, smmu_pt_map(&s2, ipa, pa, 1ull << shift, shift, &a));
	}
	void MapBoth()
	{
		MapS1(kVa, kIpaOut, S1Attr());
		MapS2(kIpaOut, kPa, S2Attr());
	}
	Walk W(const smmu_ptw_req &r, const smmu_ptw_hint *h = nullptr)
	{
		return DoNested(mem, st1, st2, r, h);
	}
	void ExpectFault(const Walk &r, uint8_t event, bool s2, uint8_t cls, int level)
	{
		ASSERT_EQ(1, r.rc);
		EXPECT_EQ(event, r.f.event) << FaultStr(r);
		EXPECT_EQ(s2, r.f.s2) << FaultStr(r);
		EXPECT_EQ(cls, r.f.cls) << FaultStr(r);
		EXPECT_EQ(level, r.f.level) << FaultStr(r);
	}
};

TEST_F(SmmuPtwNested, TranslatesThroughBothStages)
{
	MapBoth();
	Walk r = W(Req(kVa + kOff, true));
	ASSERT_EQ(0, r.rc) << FaultStr(r);
	EXPECT_EQ(kPa + kOff, r.res.oa);
	EXPECT_EQ(kIpaOut + kOff, r.res.ipa);
	EXPECT_EQ(4u * (3 + 1) + 3, r.res.nreads);
}

TEST_F(SmmuPtwNested, MaximumWalkIsTwentyFourReads)
{
	smmu_pt s2l0{};
	smmu_ptw_stage st2l0 = S2Stage(12, 16, 0);
	ASSERT_TRUE(smmu_ptw_s2_setup(&st2l0, 2));
	ASSERT_EQ(SMMU_PT_OK, InitPt(&s2l0, TestMem::pt_ops(), &mem, true, 12, 16, 0));
	st2l0.ttb = s2l0.root;
	smmu_pt_attr a2 = S2Attr();
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_map(&s2l0, kWinIpa, win.pa_base, kWinSize, 12, &a2));
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_map(&s2l0, kIpaOut, kPa, 0x1000, 12, &a2));
	MapS1(kVa, kIpaOut, S1Attr());
	Walk r = DoNested(mem, st1, st2l0, Req(kVa));
	ASSERT_EQ(0, r.rc) << FaultStr(r);
	EXPECT_EQ(24u, r.res.nreads);
	EXPECT_LE(r.res.nreads, unsigned(SMMU_PTW_MAX_READS));
	EXPECT_EQ(kPa, r.res.oa);
}

TEST_F(SmmuPtwNested, S2TranslationFaultOnS1TableFetchIsClassTT)
{
	MapBoth();
	uint64_t dipa = DescAddr(s1, kVa, 2); // S1 L2 descriptor IPA
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_unmap(&s2, dipa & ~0xfffull, 0x1000));
	Walk r = W(Req(kVa));
	ExpectFault(r, SMMU_EVT_F_TRANSLATION, true, SMMU_CLASS_TT, 3);
	EXPECT_EQ(dipa, r.f.ipa);
	// L0 and L1 fetched (4 reads each), then the S2 walk for L2 faults.
	EXPECT_EQ(2u * 4 + 3, r.res.nreads);
}

TEST_F(SmmuPtwNested, S2PermissionAndAccessFaultsOnS1TableFetch)
{
	MapBoth();
	uint64_t dipa = DescAddr(s1, kVa, 1);
	// Write-only at stage 2: the table read is denied.
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_update(&s2, dipa, 3, SMMU_PT_DESC_AP1, 0));
	Walk p = W(Req(kVa));
	ExpectFault(p, SMMU_EVT_F_PERMISSION, true, SMMU_CLASS_TT, 3);
	EXPECT_EQ(dipa, p.f.ipa);
	// Read-only is enough for a table walk even for a write transaction.
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_update(&s2, dipa, 3, SMMU_PT_DESC_AP2, SMMU_PT_DESC_AP1));
	EXPECT_EQ(0, W(Req(kVa, true)).rc);
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_update(&s2, dipa, 3, SMMU_PT_DESC_AF, 0));
	Walk a = W(Req(kVa));
	ExpectFault(a, SMMU_EVT_F_ACCESS, true, SMMU_CLASS_TT, 3);
	EXPECT_EQ(dipa, a.f.ipa);
}

TEST_F(SmmuPtwNested, S2AddressSizeAndRangeFaultsOnS1TableFetch)
{
	MapBoth();
	uint64_t dipa = DescAddr(s1, kVa, 3);
	st2.oa_bits = 44;
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_update(&s2, dipa, 3, 0, 1ull << 45));
	Walk r = W(Req(kVa));
	ExpectFault(r, SMMU_EVT_F_ADDR_SIZE, true, SMMU_CLASS_TT, 3);
	EXPECT_EQ(dipa, r.f.ipa);
	// A stage-1 TTB outside the stage-2 input range.
	st1.ttb = 1ull << 41;
	Walk t = W(Req(kVa));
	ExpectFault(t, SMMU_EVT_F_TRANSLATION, true, SMMU_CLASS_TT, -1);
	EXPECT_EQ((1ull << 41) + ((kVa >> 39) & 0x1ff) * 8, t.f.ipa);
	EXPECT_EQ(0u, t.res.nreads);
}

TEST_F(SmmuPtwNested, ExternalAbortOnS2DescriptorDuringTableFetch)
{
	MapBoth();
	uint64_t root_dipa = DescAddr(s1, kVa, 0);
	uint64_t s2d = DescAddr(s2, root_dipa, 3);
	mem.add_abort(s2d, 8);
	Walk r = W(Req(kVa));
	ExpectFault(r, SMMU_EVT_F_WALK_EABT, true, SMMU_CLASS_TT, 3);
	EXPECT_EQ(s2d, r.f.fetch_addr);
	EXPECT_EQ(3u, r.res.nreads);
}

TEST_F(SmmuPtwNested, ExternalAbortOnS1DescriptorPaIsStage1ClassTT)
{
	MapBoth();
	uint64_t dipa = DescAddr(s1, kVa, 1);
	mem.add_abort(win.pa(dipa), 8);
	Walk r = W(Req(kVa));
	ExpectFault(r, SMMU_EVT_F_WALK_EABT, false, SMMU_CLASS_TT, 1);
	EXPECT_EQ(win.pa(dipa), r.f.fetch_addr);
	EXPECT_EQ(2u * 4, r.res.nreads);
}

TEST_F(SmmuPtwNested, S2FaultOnOutputIsClassIn)
{
	MapS1(kVa, kIpaOut, S1Attr());
	Walk r = W(Req(kVa + kOff));
	// The window's S2 L2 table has no entry for kIpaOut's 2 MB region.
	ExpectFault(r, SMMU_EVT_F_TRANSLATION, true, SMMU_CLASS_IN, 2);
	EXPECT_EQ(kIpaOut + kOff, r.f.ipa);

	smmu_pt_attr ro = S2Attr();
	ro.s2ap = SMMU_PT_S2AP_R;
	MapS2(kIpaOut, kPa, ro);
	EXPECT_EQ(0, W(Req(kVa + kOff)).rc);
	Walk w = W(Req(kVa + kOff, true));
	ExpectFault(w, SMMU_EVT_F_PERMISSION, true, SMMU_CLASS_IN, 3);
	EXPECT_EQ(kIpaOut + kOff, w.f.ipa);
}

TEST_F(SmmuPtwNested, S2RangeFaultOnOutputIpa)
{
	MapS1(kVa, 1ull << 41, S1Attr());
	Walk r = W(Req(kVa + kOff));
	ExpectFault(r, SMMU_EVT_F_TRANSLATION, true, SMMU_CLASS_IN, -1);
	EXPECT_EQ((1ull << 41) + kOff, r.f.ipa);
}

TEST_F(SmmuPtwNested, Stage1FaultsAreStage1AndComeBeforeOutputS2)
{
	// S1 AF=0 while the output IPA is unmapped at stage 2: S1 wins.
	smmu_pt_attr a = S1Attr();
	a.af = false;
	MapS1(kVa, kIpaOut, a);
	ExpectFault(W(Req(kVa)), SMMU_EVT_F_ACCESS, false, SMMU_CLASS_IN, 3);
	// S1 permission also before the output's S2 walk.
	st1.affd = true;
	smmu_ptw_req exec = Req(kVa, false, true, true); // EL0-writable -> PXN
	Walk p = W(exec);
	ExpectFault(p, SMMU_EVT_F_PERMISSION, false, SMMU_CLASS_IN, 3);
	EXPECT_EQ(4u * 4, p.res.nreads);
	// S1 invalid descriptor.
	ExpectFault(W(Req(kVa + 0x1000)), SMMU_EVT_F_TRANSLATION, false, SMMU_CLASS_IN, 3);
	// S1 output above IPS.
	st1.oa_bits = 32;
	MapS1(kVa + 0x2000, 1ull << 33, S1Attr());
	ExpectFault(W(Req(kVa + 0x2000)), SMMU_EVT_F_ADDR_SIZE, false, SMMU_CLASS_IN, 3);
}

TEST_F(SmmuPtwNested, CombinedPageSizePermissionsAndGlobal)
{
	// S1 2 MB block over S2 4 KB pages.
	smmu_pt_attr a1 = S1Attr();
	a1.ap = SMMU_PT_AP_RO;
	a1.ng = true;
	MapS1(0x40000000, 0x200000, a1, 21);
	smmu_pt_attr a2 = S2Attr();
	a2.s2ap = SMMU_PT_S2AP_R;
	MapS2(0x200000 + 0x5000, 0x9000, a2);
	Walk r = W(Req(0x40005008));
	ASSERT_EQ(0, r.rc) << FaultStr(r);
	EXPECT_EQ(0x9008ull, r.res.oa);
	EXPECT_EQ(0x205008ull, r.res.ipa);
	EXPECT_EQ(12u, r.res.page_shift);
	EXPECT_EQ(21u, r.res.s1_page_shift);
	EXPECT_EQ(12u, r.res.s2_page_shift);
	EXPECT_EQ(2, r.res.s1_level);
	EXPECT_EQ(3, r.res.level);
	EXPECT_FALSE(r.res.global);
	EXPECT_EQ(0, r.res.s1_perm & (SMMU_PERM_PW | SMMU_PERM_UW));
	EXPECT_NE(0, r.res.s1_perm & SMMU_PERM_UR);
	EXPECT_EQ(0, r.res.s2_perm & (SMMU_PERM_PW | SMMU_PERM_UW));
	EXPECT_NE(0, r.res.s2_perm & SMMU_PERM_PR);

	// S1 4 KB page over an S2 2 MB block; and S1 2 MB over S2 1 GB.
	MapS1(kVa, 0x600000 + 0x3000, S1Attr());
	MapS2(0x600000, 0x40000000, S2Attr(), 21);
	Walk q = W(Req(kVa + 4));
	ASSERT_EQ(0, q.rc) << FaultStr(q);
	EXPECT_EQ(0x40003004ull, q.res.oa);
	EXPECT_EQ(12u, q.res.page_shift);
	EXPECT_EQ(21u, q.res.s2_page_shift);
	EXPECT_TRUE(q.res.global);

	MapS1(0x80000000, 0x80000000 + 0x400000, S1Attr(), 21);
	MapS2(0x80000000, 0x100000000ull, S2Attr(), 30);
	Walk b = W(Req(0x80000000 + 0x1234));
	ASSERT_EQ(0, b.rc) << FaultStr(b);
	EXPECT_EQ(0x100401234ull, b.res.oa);
	EXPECT_EQ(21u, b.res.page_shift);
}

TEST_F(SmmuPtwNested, TablePaAreStage1TablesAfterStage2)
{
	MapBoth();
	Walk r = W(Req(kVa));
	ASSERT_EQ(0, r.rc);
	EXPECT_EQ(0, r.res.first_level);
	EXPECT_EQ(win.pa(s1.root), r.res.table_pa[0]);
	for (int l = 1; l <= 3; l++)
		EXPECT_EQ(win.pa(DescAddr(s1, kVa, l)) & ~0xfffull, r.res.table_pa[l]) << "level " << l;
}

TEST_F(SmmuPtwNested, HintSkipsStage1LevelsAndTheirStage2Walks)
{
	MapBoth();
	Walk full = W(Req(kVa));
	ASSERT_EQ(0, full.rc);
	smmu_ptw_hint h{2, full.res.table_pa[2], full.res.table_attr[2]};
	Walk r = W(Req(kVa), &h);
	ASSERT_EQ(0, r.rc) << FaultStr(r);
	EXPECT_EQ(full.res.oa, r.res.oa);
	// L2 read at the hinted PA (no S2), S2 walk + read for L3, final S2.
	EXPECT_EQ(1u + (3 + 1) + 3, r.res.nreads);
	EXPECT_EQ(win.pa(DescAddr(s1, kVa, 2)), r.res.reads[0]);
}

// ---------------------------------------------------------------------------
// The builder's own behaviour.

TEST(SmmuPtBuild, RejectsBadGeometry)
{
	TestMem mem;
	smmu_pt pt{};
	EXPECT_EQ(SMMU_PT_ERR_INVAL, InitPt(&pt, TestMem::pt_ops(), &mem, false, 13, 16, -1));
	EXPECT_EQ(SMMU_PT_ERR_INVAL, InitPt(&pt, TestMem::pt_ops(), &mem, false, 12, 16, 1)); // S1: 18 bits at L1
	EXPECT_EQ(SMMU_PT_ERR_INVAL, InitPt(&pt, TestMem::pt_ops(), &mem, true, 12, 20, 1));  // S2: 32 tables
	EXPECT_EQ(SMMU_PT_OK, InitPt(&pt, TestMem::pt_ops(), &mem, true, 12, 21, 1));
	EXPECT_EQ(16, pt.concat);
	EXPECT_EQ(0u, pt.root & 0xffff); // 64 KB of tables, aligned to 64 KB
}

TEST(SmmuPtBuild, MapErrors)
{
	TestMem mem;
	smmu_pt pt{};
	ASSERT_EQ(SMMU_PT_OK, InitPt(&pt, TestMem::pt_ops(), &mem, false, 12, 25, -1));
	smmu_pt_attr a = S1Attr();
	EXPECT_EQ(SMMU_PT_ERR_INVAL, smmu_pt_map(&pt, 0x1800, 0x2000, 0x1000, 12, &a));
	EXPECT_EQ(SMMU_PT_ERR_INVAL, smmu_pt_map(&pt, 0x1000, 0x2800, 0x1000, 12, &a));
	EXPECT_EQ(SMMU_PT_ERR_INVAL, smmu_pt_map(&pt, 0x1000, 0x2000, 0x1000, 13, &a));
	EXPECT_EQ(SMMU_PT_ERR_INVAL, smmu_pt_map(&pt, 1ull << 39, 0x2000, 0x1000, 12, &a));
	EXPECT_EQ(SMMU_PT_ERR_INVAL, smmu_pt_map(&pt, 0x1000, 1ull << 49, 0x1000, 12, &a));
	EXPECT_EQ(SMMU_PT_ERR_INVAL, smmu_pt_map(&pt, 0x1000, 0x2000, 0x1000, 39, &a)); // L0 not in a 39-bit walk
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_map(&pt, 0x1000, 0x2000, 0x2000, 12, &a));
	EXPECT_EQ(SMMU_PT_ERR_EXIST, smmu_pt_map(&pt, 0x2000, 0x9000, 0x1000, 12, &a));
	EXPECT_EQ(SMMU_PT_ERR_EXIST, smmu_pt_map(&pt, 0, 0x200000, 0x200000, 21, &a)); // table there
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_map(&pt, 0x400000, 0x200000, 0x200000, 21, &a));
	EXPECT_EQ(SMMU_PT_ERR_EXIST, smmu_pt_map(&pt, 0x401000, 0x9000, 0x1000, 12, &a)); // block above
	EXPECT_STRNE(smmu_pt_strerror(SMMU_PT_ERR_EXIST), smmu_pt_strerror(SMMU_PT_ERR_INVAL));
}

TEST(SmmuPtBuild, UnmapAndLookup)
{
	TestMem mem;
	smmu_pt pt{};
	ASSERT_EQ(SMMU_PT_OK, InitPt(&pt, TestMem::pt_ops(), &mem, false, 12, 25, -1));
	smmu_ptw_stage st = S1Stage(12, 25, pt.root);
	smmu_pt_attr a = S1Attr();
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_map(&pt, 0x1000, 0x2000, 0x3000, 12, &a));
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_map(&pt, 0x400000, 0x200000, 0x200000, 21, &a));
	EXPECT_EQ(SMMU_PT_ERR_PARTIAL, smmu_pt_unmap(&pt, 0x400000, 0x1000));
	EXPECT_EQ(0, DoWalk(mem, st, Req(0x400000)).rc);
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_unmap(&pt, 0x2000, 0x1000));
	EXPECT_EQ(0, DoWalk(mem, st, Req(0x1000)).rc);
	EXPECT_EQ(SMMU_EVT_F_TRANSLATION, DoWalk(mem, st, Req(0x2000)).f.event);
	EXPECT_EQ(0, DoWalk(mem, st, Req(0x3000)).rc);
	// A range with holes and a whole block.
	ASSERT_EQ(SMMU_PT_OK, smmu_pt_unmap(&pt, 0, 0x800000));
	EXPECT_EQ(1, DoWalk(mem, st, Req(0x1000)).rc);
	EXPECT_EQ(1, DoWalk(mem, st, Req(0x400000)).rc);
	uint64_t addr, desc;
	EXPECT_EQ(SMMU_PT_OK, smmu_pt_lookup(&pt, 0x1000, 3, &addr, &desc));
	EXPECT_EQ(0u, desc);
	EXPECT_EQ(SMMU_PT_ERR_NOENT, smmu_pt_lookup(&pt, 0x40000000, 3, &addr, &desc));
	EXPECT_EQ(SMMU_PT_ERR_INVAL, smmu_pt_lookup(&pt, 0x1000, 0, &addr, &desc));
}

TEST(SmmuPtBuild, WriteFailureIsReported)
{
	TestMem mem;
	smmu_pt pt{};
	ASSERT_EQ(SMMU_PT_OK, InitPt(&pt, TestMem::pt_ops(), &mem, false, 12, 25, -1));
	mem.add_abort(pt.root, 0x1000);
	smmu_pt_attr a = S1Attr();
	EXPECT_EQ(SMMU_PT_ERR_IO, smmu_pt_map(&pt, 0x1000, 0x2000, 0x1000, 12, &a));
}

} // namespace
