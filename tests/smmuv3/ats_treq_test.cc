// ats_treq_test.cc - ATS Translation Requests (IHI 0070 §3.9.1,
// smmu_ats_translate): a stage-1 stream with EATS=01 answers with the
// translation, its size and R/W; a faulting address gets a completion with
// R = W = 0 and no event; EATS=00 and Config bypass give UR with
// F_BAD_ATS_TREQ recorded; an invalid STE, Config abort and a bad CD give CA
// without an event; SMMUEN=0 gives UR with F_BAD_ATS_TREQ.
#include "rig.h"

namespace {

struct Treq : ::testing::Test {
	Rig r;
	smmu_pt pt;
	void Init(void (*tweak)(smmu_ste_fields *) = nullptr)
	{
		r.Init();
		pt = r.NewPt(false, 12, 16);
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, false);
		a.ng = true;
		ASSERT_EQ(smmu_pt_map(&pt, 0x10000, 0x70000000, 0x1000, 12, &a), SMMU_PT_OK);
		smmu_pt_attr_default(&a, false);
		a.ng = true;
		a.ap = SMMU_PT_AP_RO;
		ASSERT_EQ(smmu_pt_map(&pt, 0x11000, 0x70001000, 0x1000, 12, &a), SMMU_PT_OK);
		smmu_pt_attr_default(&a, false);
		a.ng = true;
		ASSERT_EQ(smmu_pt_map(&pt, 0x200000, 0x70200000, 0x200000, 21, &a), SMMU_PT_OK);
		uint64_t cd[8], ste[8];
		smmu_build_cd(cd, pt.root, 7, 12, 48);
		smmu_ste_fields f;
		smmu_ste_fields_init(&f);
		smmu_ste_fields_s1(&f, r.PutCd(cd), 0, 0);
		f.eats = 1;
		if (tweak)
			tweak(&f);
		smmu_build_ste(&f, ste);
		r.SetSte(3, ste);
	}
	smmu_ats_result T(uint64_t addr, uint32_t sid = 3, bool no_write = false)
	{
		smmu_ats_req q{};
		q.sid = sid;
		q.addr = addr;
		q.no_write = no_write;
		smmu_ats_result out{};
		EXPECT_EQ(smmu_ats_translate(r.s, &q, r.now, &out), SMMU_OK);
		r.now = out.done + 1;
		return out;
	}
};

TEST_F(Treq, FullAtsAnswersWithTheTranslationAndItsPermissions)
{
	Init();
	auto rw = T(0x10abc);
	EXPECT_EQ(rw.status, SMMU_ATS_OK);
	EXPECT_EQ(rw.addr, 0x10000u);
	EXPECT_EQ(rw.size, 0x1000u);
	EXPECT_EQ(rw.pa, 0x70000000u);
	EXPECT_TRUE(rw.read);
	EXPECT_TRUE(rw.write);
	auto ro = T(0x11000);
	EXPECT_EQ(ro.status, SMMU_ATS_OK);
	EXPECT_TRUE(ro.read);
	EXPECT_FALSE(ro.write); // read-only page
	EXPECT_FALSE(T(0x10000, 3, /*no_write=*/true).write);
	auto blk = T(0x3ff000);
	EXPECT_EQ(blk.size, 0x200000u); // a 2 MiB block
	EXPECT_EQ(blk.addr, 0x200000u);
	EXPECT_EQ(blk.pa, 0x70200000u);
	EXPECT_TRUE(r.DrainEvents().empty());
}

TEST_F(Treq, AFaultIsACompletionWithoutPermissionAndNoEvent)
{
	Init();
	auto f = T(0x50000); // unmapped
	EXPECT_EQ(f.status, SMMU_ATS_OK);
	EXPECT_FALSE(f.read);
	EXPECT_FALSE(f.write);
	EXPECT_EQ(f.event, SMMU_EVT_F_TRANSLATION);
	EXPECT_FALSE(f.event_recorded);
	EXPECT_TRUE(r.DrainEvents().empty());
	// the same address as an untranslated transaction records it
	auto x = r.X(3, 0x50000);
	EXPECT_TRUE(x.event_recorded);
}

TEST_F(Treq, EatsOffIsUnsupportedRequestWithFBadAtsTreq)
{
	Init([](smmu_ste_fields *f) { f->eats = 0; });
	auto u = T(0x10000);
	EXPECT_EQ(u.status, SMMU_ATS_UR);
	EXPECT_EQ(u.event, SMMU_EVT_F_BAD_ATS_TREQ);
	EXPECT_TRUE(u.event_recorded);
	auto ev = r.DrainEvents();
	ASSERT_EQ(ev.size(), 1u);
	EXPECT_EQ(ev[0][0] & 0xff, (uint64_t)SMMU_EVT_F_BAD_ATS_TREQ);
	EXPECT_EQ(ev[0][0] >> 32, 3u); // StreamID
	// §7.3.6: what was requested - R=1, W=!NW, Span 1 - not a transaction's
	// RnW; the input address in dw2
	EXPECT_EQ(ev[0][1], 0xC0000001ull);
	EXPECT_EQ(ev[0][2], 0x10000ull);
	T(0x10000, 3, /*no_write=*/true);
	ev = r.DrainEvents();
	ASSERT_EQ(ev.size(), 1u);
	EXPECT_EQ(ev[0][1], 0x80000001ull);
}

TEST_F(Treq, BypassStreamsAreUnsupportedRequests)
{
	Init();
	uint64_t ste[8];
	smmu_ste_fields f;
	smmu_ste_fields_init(&f);
	f.config = SMMU_STE_CONFIG_BYPASS;
	f.eats = 1; // EATS is effectively 00 for Config 100
	smmu_build_ste(&f, ste);
	r.SetSte(4, ste);
	auto u = T(0x10000, 4);
	EXPECT_EQ(u.status, SMMU_ATS_UR);
	EXPECT_TRUE(u.event_recorded);
}

// IHI 0070 §3.9.1.2: an invalid STE or a bad CD is a Completer Abort, an
// STE with Config 000 (abort) an Unsupported Request, none with an event.
TEST_F(Treq, InvalidAbortAndBadStesAreCompleterAbortsWithoutEvents)
{
	Init();
	uint64_t ste[8];
	smmu_build_ste_invalid(ste);
	r.SetSte(5, ste);
	EXPECT_EQ(T(0x10000, 5).status, SMMU_ATS_CA);
	smmu_ste_fields f;
	smmu_ste_fields_init(&f);
	f.config = SMMU_STE_CONFIG_ABORT;
	smmu_build_ste(&f, ste);
	r.SetSte(6, ste);
	auto a = T(0x10000, 6);
	EXPECT_EQ(a.status, SMMU_ATS_UR);
	EXPECT_FALSE(a.event_recorded);
	EXPECT_TRUE(r.DrainEvents().empty());
	// a CD pointer to nowhere sensible: C_BAD_CD for a transaction, CA here
	smmu_ste_fields_init(&f);
	uint64_t bad_cd[8] = {0};
	smmu_ste_fields_s1(&f, r.PutCd(bad_cd), 0, 0);
	f.eats = 1;
	smmu_build_ste(&f, ste);
	r.SetSte(7, ste);
	auto c = T(0x10000, 7);
	EXPECT_EQ(c.status, SMMU_ATS_CA);
	EXPECT_FALSE(c.event_recorded);
	EXPECT_TRUE(r.DrainEvents().empty());
}

// IHI 0070 §3.9.1.3, ATSCHK=1: ATS Translated traffic to an STE with Config
// 000 is aborted without an event (Config 100 is F_TRANSL_FORBIDDEN); a
// configuration error - an out-of-range StreamID (RECINVSID set), an ILLEGAL
// STE - is aborted and recorded only with CR2.REC_CFG_ATS, which the model
// does not have: never recorded.
TEST_F(Treq, TranslatedTrafficConfigErrorsAbortWithoutEvents)
{
	Init();
	r.W32(SMMU_REG_CR0, r.R32(SMMU_REG_CR0) | SMMU_CR0_ATSCHK);
	auto tr = [&](uint32_t sid) {
		smmu_txn t{};
		t.sid = sid;
		t.addr = 0x70000000;
		t.len = 64;
		smmu_xlate_result x{};
		EXPECT_EQ(smmu_translated(r.s, &t, r.now, &x), SMMU_OK);
		r.now = x.done + 1;
		return x;
	};
	EXPECT_EQ(tr(3).outcome, SMMU_XLATE_OK); // EATS=01: allowed
	uint64_t ste[8];
	smmu_ste_fields f;
	smmu_ste_fields_init(&f);
	f.config = SMMU_STE_CONFIG_ABORT;
	smmu_build_ste(&f, ste);
	r.SetSte(6, ste);
	auto a = tr(6);
	EXPECT_EQ(a.outcome, SMMU_XLATE_ABORT);
	EXPECT_FALSE(a.event_recorded);
	smmu_build_ste_bypass(ste);
	r.SetSte(7, ste);
	auto b = tr(7);
	EXPECT_EQ(b.outcome, SMMU_XLATE_ABORT);
	EXPECT_EQ(b.event, SMMU_EVT_F_TRANSL_FORBIDDEN);
	EXPECT_TRUE(b.event_recorded);
	auto evs = r.DrainEvents();
	ASSERT_EQ(evs.size(), 1u);
	EXPECT_EQ(evs[0][0] & 0xff, (uint64_t)SMMU_EVT_F_TRANSL_FORBIDDEN);
	// an ILLEGAL STE (S1CDMax beyond SSIDSIZE)
	uint64_t bad[8];
	smmu_build_ste_bypass(bad);
	bad[0] = (bad[0] & ~(0x1full << 59)) | (31ull << 59) | (5ull << 1) | 1;
	r.SetSte(8, bad);
	auto i = tr(8);
	EXPECT_EQ(i.outcome, SMMU_XLATE_ABORT);
	EXPECT_EQ(i.event, SMMU_EVT_C_BAD_STE); // raised, not recorded
	EXPECT_FALSE(i.event_recorded);
	// out of the stream table, with RECINVSID set
	r.W32(SMMU_REG_CR0, 0);
	r.W32(SMMU_REG_CR2, r.R32(SMMU_REG_CR2) | SMMU_CR2_RECINVSID);
	r.W32(SMMU_REG_CR0, SMMU_CR0_SMMUEN | SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN | SMMU_CR0_ATSCHK);
	auto o = tr(1u << 20);
	EXPECT_EQ(o.outcome, SMMU_XLATE_ABORT);
	EXPECT_FALSE(o.event_recorded);
	EXPECT_TRUE(r.DrainEvents().empty());
}

TEST_F(Treq, SmmuDisabledIsUnsupportedRequest)
{
	Init();
	r.W32(SMMU_REG_CR0, 0);
	auto u = T(0x10000);
	EXPECT_EQ(u.status, SMMU_ATS_UR);
	EXPECT_EQ(u.event, SMMU_EVT_F_BAD_ATS_TREQ);
}

} // namespace

namespace {

// Split-stage ATS (STE.EATS=10, Config 111, IDR0.NS1ATS=0 with split_ats):
// the Translation Request is answered with the stage-1 translation (the IPA)
// and stage-1 permissions only; the function's Translated traffic carries
// the IPA and stage 2 translates it; a page stage 2 does not map faults
// there (F_TRANSLATION, S2=1). With ATSCHK=0 EATS=10 behaves as 00 (UR);
// without split_ats (NS1ATS=1) the STE is ILLEGAL.
struct SplitStage : ::testing::Test {
	Rig r;
	NestedSetup n;
	void Init(bool split = true, bool atschk = true)
	{
		r.cfg.ats = true;
		r.cfg.split_ats = split;
		r.Init();
		if (atschk) {
			uint32_t cr0 = r.R32(SMMU_REG_CR0);
			r.W32(SMMU_REG_CR0, cr0 | SMMU_CR0_ATSCHK);
		}
		n.Build(r, 12, 9);
		// stage 1: VA 0x5000 -> IPA 0x4000_0000 (RW), VA 0x6000 -> IPA
		// 0x4000_1000 (read-only at stage 1, RW at stage 2); stage 2 maps
		// 0x4000_0000.. to PA 0x3000_0000 (the second page read-only at S2).
		n.MapIpa(0x40000000, 0x30000000, 0x1000);
		n.MapIpa(0x40001000, 0x30001000, 0x1000);
		n.MapIpa(0x40002000, 0x30002000, 0x1000, SMMU_PT_S2AP_R);
		smmu_pt s1 = r.NewPt(false, 12, 16);
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, false);
		a.ng = true;
		ASSERT_EQ(smmu_pt_map(&s1, 0x5000, 0x40000000, 0x1000, 12, &a), SMMU_PT_OK);
		ASSERT_EQ(smmu_pt_map(&s1, 0x7000, 0x40002000, 0x1000, 12, &a), SMMU_PT_OK);
		a.ap = SMMU_PT_AP_RO;
		ASSERT_EQ(smmu_pt_map(&s1, 0x6000, 0x40001000, 0x1000, 12, &a), SMMU_PT_OK);
		uint64_t cd[8], ste[8];
		smmu_build_cd(cd, s1.root, 3, 12, 48);
		n.f.eats = 2;
		n.Ste(ste, r.PutCd(cd));
		r.SetSte(5, ste);
	}
	smmu_ats_result T(uint64_t addr)
	{
		smmu_ats_req q{};
		q.sid = 5;
		q.addr = addr;
		smmu_ats_result out{};
		EXPECT_EQ(smmu_ats_translate(r.s, &q, r.now, &out), SMMU_OK);
		r.now = out.done + 1;
		return out;
	}
	smmu_xlate_result Translated(uint64_t addr, bool write)
	{
		smmu_txn t{};
		t.sid = 5;
		t.addr = addr;
		t.len = 64;
		t.write = write;
		smmu_xlate_result x{};
		EXPECT_EQ(smmu_translated(r.s, &t, r.now, &x), SMMU_OK);
		r.now = x.done + 1;
		return x;
	}
};

TEST_F(SplitStage, TreqAnswersWithTheIpaAndStage1Permissions)
{
	Init();
	EXPECT_EQ((r.R32(SMMU_REG_IDR0) >> 11) & 1, 0u); // NS1ATS = 0
	auto a = T(0x5040);
	EXPECT_EQ(a.status, SMMU_ATS_OK);
	EXPECT_EQ(a.pa, 0x40000000u); // the IPA, not the PA
	EXPECT_TRUE(a.read && a.write);
	auto ro = T(0x6000);
	EXPECT_EQ(ro.pa, 0x40001000u);
	EXPECT_TRUE(ro.read);
	EXPECT_FALSE(ro.write); // stage 1 read-only
	// stage 2 read-only does not limit the answer: stage 2 is checked on
	// the Translated traffic
	auto s2ro = T(0x7000);
	EXPECT_EQ(s2ro.pa, 0x40002000u);
	EXPECT_TRUE(s2ro.read && s2ro.write);
	EXPECT_TRUE(r.DrainEvents().empty());
}

TEST_F(SplitStage, TranslatedTrafficGoesThroughStage2)
{
	Init();
	auto x = Translated(0x40000040, true);
	ASSERT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, 0x30000040u);
	EXPECT_NE(x.hit, SMMU_HIT_ATC);
	// stage 2 read-only: a write is a stage-2 permission fault
	auto w = Translated(0x40002000, true);
	EXPECT_EQ(w.event, SMMU_EVT_F_PERMISSION);
	// an IPA stage 2 does not map: F_TRANSLATION at stage 2
	auto f = Translated(0x7f000000, false);
	EXPECT_EQ(f.event, SMMU_EVT_F_TRANSLATION);
	auto evs = r.DrainEvents();
	ASSERT_EQ(evs.size(), 2u);
	EXPECT_EQ((evs[1][1] >> 39) & 1, 1u); // S2
	// the IPA did not become an untranslated shortcut: VA 0x4000_0040 is not
	// mapped by stage 1
	auto u = r.X(5, 0x40000040);
	EXPECT_EQ(u.event, SMMU_EVT_F_TRANSLATION);
}

TEST_F(SplitStage, AtschkOffBehavesAsEatsOff)
{
	Init(true, /*atschk=*/false);
	auto a = T(0x5040);
	EXPECT_EQ(a.status, SMMU_ATS_UR);
	EXPECT_EQ(a.event, SMMU_EVT_F_BAD_ATS_TREQ);
}

TEST_F(SplitStage, WithoutSplitStageSupportTheSteIsIllegal)
{
	Init(/*split=*/false);
	EXPECT_EQ((r.R32(SMMU_REG_IDR0) >> 11) & 1, 1u); // NS1ATS = 1
	auto a = T(0x5040);
	EXPECT_EQ(a.status, SMMU_ATS_CA); // C_BAD_STE: Completer Abort
}

} // namespace
