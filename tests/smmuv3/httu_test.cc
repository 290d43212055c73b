// httu_test.cc - hardware update of translation table flags (IDR0.HTTU,
// IHI 0070 §3.13): the Access flag set instead of F_ACCESS (CD.HA,
// STE.S2HA), the dirty state (DBM with CD.HD / STE.S2HD) cleared from
// read-only on the first write, each update one descriptor write through
// the host, for every granule; a write to a read-only page without DBM is a
// permission fault and changes nothing; a writable-clean entry cached by a
// read is walked again by a write; the stage-1 update of a nested walk needs
// stage-2 write permission (F_PERMISSION, S2=1, CLASS=TT, TTRnW=0) unless
// stage 2 can dirty its own leaf; an aborted update is F_WALK_EABT.
#include "rig.h"

namespace {

constexpr uint64_t kDbm = 1ull << 51;
constexpr uint64_t kAf = 1ull << 10;
constexpr uint64_t kAp2 = 1ull << 7; // S1 read-only; S2 S2AP[1] write

unsigned EvId(const std::array<uint64_t, 4> &rec) { return rec[0] & 0xff; }

struct S1 {
	smmu_pt pt;
	uint64_t cd_pa = 0;
	unsigned g = 12;
	// va -> pa pages with the given attributes
	void Build(Rig &r, unsigned granule, bool ha, bool hd)
	{
		g = granule;
		pt = r.NewPt(false, g, 16);
		smmu_cd_fields cd;
		smmu_cd_fields_init(&cd);
		cd.ttb0 = pt.root;
		cd.tg0_shift = (uint8_t)g;
		cd.asid = 5;
		cd.ha = ha;
		cd.hd = hd;
		uint64_t raw[8];
		smmu_build_cd_fields(&cd, raw);
		cd_pa = r.PutCd(raw);
		uint64_t ste[8];
		smmu_build_ste_s1(ste, cd_pa, 0, 0);
		r.SetSte(3, ste);
	}
	void Map(uint64_t va, uint64_t pa, bool ro, bool af, bool dbm)
	{
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, false);
		a.ng = true;
		a.af = af;
		if (ro)
			a.ap = SMMU_PT_AP_RO;
		a.extra = dbm ? kDbm : 0;
		ASSERT_EQ(smmu_pt_map(&pt, va, pa, 1ull << g, g, &a), SMMU_PT_OK);
	}
	uint64_t Leaf(uint64_t va, uint64_t *addr = nullptr)
	{
		uint64_t da = 0, d = 0;
		EXPECT_EQ(smmu_pt_lookup(&pt, va, 3, &da, &d), SMMU_PT_OK);
		if (addr)
			*addr = da;
		return d;
	}
};

class Httu : public ::testing::TestWithParam<unsigned> {};

TEST_P(Httu, AccessFlagIsSetInsteadOfAFault)
{
	const unsigned g = GetParam();
	for (bool ha : {false, true}) {
		Rig r;
		r.cfg.httu = 2;
		r.Init();
		S1 s;
		s.Build(r, g, ha, false);
		const uint64_t va = 0x40ull << g, pa = 0x71ull << g;
		s.Map(va, pa, false, /*af=*/false, false);
		auto x = r.X(3, va + 8);
		if (!ha) {
			EXPECT_EQ(x.event, SMMU_EVT_F_ACCESS);
			EXPECT_FALSE(s.Leaf(va) & kAf);
			continue;
		}
		ASSERT_EQ(x.outcome, SMMU_XLATE_OK);
		EXPECT_EQ(x.pa, pa + 8);
		EXPECT_TRUE(s.Leaf(va) & kAf); // written back
		EXPECT_EQ(smmu_get_stats(r.s)->httu_writes, 1u);
		EXPECT_TRUE(r.DrainEvents().empty());
		// Set once: the next walk (after a TLB flush) writes nothing.
		uint64_t c[2];
		smmu_cmd_tlbi_nh_asid(c, 0, 5);
		r.Cmd(c);
		r.Sync();
		EXPECT_EQ(r.X(3, va).outcome, SMMU_XLATE_OK);
		EXPECT_EQ(smmu_get_stats(r.s)->httu_writes, 1u);
	}
}

TEST_P(Httu, DirtyStateOnTheFirstWrite)
{
	const unsigned g = GetParam();
	Rig r;
	r.cfg.httu = 2;
	r.Init();
	S1 s;
	s.Build(r, g, true, true);
	const uint64_t clean = 0x40ull << g, ro = 0x41ull << g;
	s.Map(clean, 0x71ull << g, /*ro=*/true, true, /*dbm=*/true);
	s.Map(ro, 0x72ull << g, true, true, /*dbm=*/false);
	// A read leaves the writable-clean page clean; it is cached.
	ASSERT_EQ(r.X(3, clean).outcome, SMMU_XLATE_OK);
	EXPECT_TRUE(s.Leaf(clean) & kAp2);
	// The write finds the cached read-only entry, walks again and dirties it.
	auto w = r.X(3, clean + 16, /*write=*/true);
	ASSERT_EQ(w.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(w.pa, (0x71ull << g) + 16);
	EXPECT_NE(w.hit, SMMU_HIT_UTLB);
	EXPECT_FALSE(s.Leaf(clean) & kAp2);
	EXPECT_EQ(smmu_get_stats(r.s)->httu_writes, 1u);
	// Dirty now: later writes hit the TLB and write nothing.
	auto w2 = r.X(3, clean + 32, true);
	EXPECT_EQ(w2.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(w2.hit, SMMU_HIT_UTLB);
	EXPECT_EQ(smmu_get_stats(r.s)->httu_writes, 1u);
	// Read-only without DBM: a permission fault, the descriptor unchanged.
	auto f = r.X(3, ro, true);
	EXPECT_EQ(f.event, SMMU_EVT_F_PERMISSION);
	EXPECT_TRUE(s.Leaf(ro) & kAp2);
	EXPECT_EQ(smmu_get_stats(r.s)->httu_writes, 1u);
}

TEST_P(Httu, WithoutHdDbmIsOnlyABit)
{
	const unsigned g = GetParam();
	Rig r;
	r.cfg.httu = 2;
	r.Init();
	S1 s;
	s.Build(r, g, true, /*hd=*/false);
	const uint64_t va = 0x40ull << g;
	s.Map(va, 0x71ull << g, true, true, true);
	EXPECT_EQ(r.X(3, va, true).event, SMMU_EVT_F_PERMISSION);
	EXPECT_TRUE(s.Leaf(va) & kAp2);
}

INSTANTIATE_TEST_SUITE_P(Granules, Httu, ::testing::Values(12u, 14u, 16u));

TEST(HttuCaps, HttuLevelsGateTheCdBits)
{
	// IDR0.HTTU as configured; HD with HTTU=01 and HA with 00 are ILLEGAL CDs.
	for (unsigned httu : {0u, 1u, 2u}) {
		Rig r;
		r.cfg.httu = (uint8_t)httu;
		r.Init();
		EXPECT_EQ((r.R32(SMMU_REG_IDR0) >> 6) & 3, httu);
		S1 s;
		s.Build(r, 12, true, true);
		s.Map(0x40000, 0x71000, false, true, false);
		auto x = r.X(3, 0x40000);
		if (httu == 2)
			EXPECT_EQ(x.outcome, SMMU_XLATE_OK);
		else
			EXPECT_EQ(x.event, SMMU_EVT_C_BAD_CD);
	}
}

TEST(HttuStage2, DirtyAndAccessFlagAtStage2)
{
	Rig r;
	r.cfg.httu = 2;
	r.Init();
	NestedSetup n;
	n.Build(r, 12, 6);
	n.f.s2ha = n.f.s2hd = true;
	// IPA 0x5000_0000 (outside the identity GiB): read-only, DBM, AF=0.
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, true);
	a.s2ap = SMMU_PT_S2AP_R;
	a.af = false;
	a.extra = kDbm;
	ASSERT_EQ(smmu_pt_map(&n.s2, 0x50000000, 0x72000000, 0x1000, 12, &a), SMMU_PT_OK);
	uint64_t ste[8];
	smmu_build_ste(&n.f, ste); // stage 2 only
	r.SetSte(4, ste);
	auto rd = r.X(4, 0x50000010);
	ASSERT_EQ(rd.outcome, SMMU_XLATE_OK);
	uint64_t da, d;
	ASSERT_EQ(smmu_pt_lookup(&n.s2, 0x50000000, 3, &da, &d), SMMU_PT_OK);
	EXPECT_TRUE(d & kAf);
	EXPECT_FALSE(d & kAp2); // S2AP[1] = 0: still clean
	auto wr = r.X(4, 0x50000020, true);
	ASSERT_EQ(wr.outcome, SMMU_XLATE_OK);
	ASSERT_EQ(smmu_pt_lookup(&n.s2, 0x50000000, 3, &da, &d), SMMU_PT_OK);
	EXPECT_TRUE(d & kAp2); // dirtied: S2AP[1] set
	EXPECT_EQ(smmu_get_stats(r.s)->httu_writes, 2u);
}

// A nested stage-1 update is a write to the descriptor's IPA: a stage-2
// read-only page refuses it (TTRnW=0), one with DBM and S2HD is dirtied too.
TEST(HttuNested, Stage1UpdateNeedsStage2WritePermission)
{
	for (bool s2dbm : {false, true}) {
		SCOPED_TRACE(s2dbm);
		Rig r;
		r.cfg.httu = 2;
		r.Init();
		NestedSetup n;
		n.Build(r, 12, 7);
		n.f.s2ha = n.f.s2hd = true;
		smmu_pt s1 = r.NewPt(false, 12, 16);
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, false);
		a.af = false; // the stage-1 leaf needs its Access flag set
		ASSERT_EQ(smmu_pt_map(&s1, 0x9000, 0x30000000, 0x1000, 12, &a), SMMU_PT_OK);
		uint64_t leaf_pa = 0, d = 0;
		ASSERT_EQ(smmu_pt_lookup(&s1, 0x9000, 3, &leaf_pa, &d), SMMU_PT_OK);
		// The page of that leaf table: read-only at stage 2 (DBM or not).
		uint64_t page = leaf_pa & ~0xfffull;
		smmu_pt_attr s2a;
		smmu_pt_attr_default(&s2a, true);
		s2a.s2ap = SMMU_PT_S2AP_R;
		s2a.extra = s2dbm ? kDbm : 0;
		// Split the identity 2M block around it into pages first.
		uint64_t blk = page & ~0x1fffffull;
		smmu_pt_attr rw;
		smmu_pt_attr_default(&rw, true);
		ASSERT_EQ(smmu_pt_unmap(&n.s2, blk, 0x200000), SMMU_PT_OK);
		ASSERT_EQ(smmu_pt_map(&n.s2, blk, blk, 0x200000, 12, &rw), SMMU_PT_OK);
		ASSERT_EQ(smmu_pt_unmap(&n.s2, page, 0x1000), SMMU_PT_OK);
		ASSERT_EQ(smmu_pt_map(&n.s2, page, page, 0x1000, 12, &s2a), SMMU_PT_OK);
		smmu_cd_fields cf;
		smmu_cd_fields_init(&cf);
		cf.ttb0 = s1.root;
		cf.asid = 2;
		cf.ha = true;
		uint64_t cd[8], ste[8];
		smmu_build_cd_fields(&cf, cd);
		n.Ste(ste, r.PutCd(cd));
		r.SetSte(5, ste);
		auto x = r.X(5, 0x9010);
		if (!s2dbm) {
			EXPECT_EQ(x.event, SMMU_EVT_F_PERMISSION);
			auto evs = r.DrainEvents();
			ASSERT_EQ(evs.size(), 1u);
			EXPECT_EQ((evs[0][1] >> 39) & 1, 1u);                      // S2
			EXPECT_EQ((evs[0][1] >> 40) & 3, (unsigned)SMMU_CLASS_TT); // CLASS TT
			EXPECT_EQ((evs[0][1] >> 44) & 1, 0u);                      // TTRnW: write
			EXPECT_EQ(evs[0][3] & ~0xfffull, page);                    // IPA of the descriptor
			EXPECT_FALSE(r.mem.read64(leaf_pa) & kAf);
		} else {
			ASSERT_EQ(x.outcome, SMMU_XLATE_OK);
			EXPECT_EQ(x.pa, 0x30000010u);
			EXPECT_TRUE(r.mem.read64(leaf_pa) & kAf);
			uint64_t sda, sd;
			ASSERT_EQ(smmu_pt_lookup(&n.s2, page, 3, &sda, &sd), SMMU_PT_OK);
			EXPECT_TRUE(sd & kAp2); // the stage-2 leaf was dirtied first
		}
	}
}

TEST(HttuAbort, AnAbortedUpdateIsAWalkAbort)
{
	Rig r;
	r.cfg.httu = 2;
	r.Init();
	S1 s;
	s.Build(r, 12, true, true);
	s.Map(0x40000, 0x71000, false, /*af=*/false, false);
	uint64_t leaf_pa = 0;
	s.Leaf(0x40000, &leaf_pa);
	r.mem.add_write_abort(leaf_pa, 8);
	auto x = r.X(3, 0x40000);
	EXPECT_EQ(x.event, SMMU_EVT_F_WALK_EABT);
	auto evs = r.DrainEvents();
	ASSERT_EQ(evs.size(), 1u);
	EXPECT_EQ(EvId(evs[0]), (unsigned)SMMU_EVT_F_WALK_EABT);
	EXPECT_EQ(evs[0][3], leaf_pa);
}

} // namespace
