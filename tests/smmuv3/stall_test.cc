// stall_test.cc - the stall fault model (IDR0.STALL_MODEL=00, IHI 0070
// §3.12.2, §4.7): a fault under CD.S=1 (stage 1) or STE.S2S=1 (stage 2) is
// held under a STAG with the event recorded (Stall=1, STAG; R treated as
// 1); CMD_RESUME retries it (as if newly arrived) or terminates it (abort,
// or RAZ/WI unless TERM_MODEL), a STAG or SID mismatch being a no-op;
// CMD_STALL_TERM terminates every stalled transaction of a SID; clearing
// SMMUEN aborts them all; STALL_MAX bounds them (beyond it the fault
// terminates); the IMPLEMENTATION DEFINED stall timeout aborts a
// transaction left waiting.
#include "rig.h"

namespace {

unsigned EvId(const std::array<uint64_t, 4> &rec) { return rec[0] & 0xff; }
unsigned EvStall(const std::array<uint64_t, 4> &rec) { return (rec[1] >> 31) & 1; }
unsigned EvStag(const std::array<uint64_t, 4> &rec) { return rec[1] & 0xffff; }
unsigned EvS2(const std::array<uint64_t, 4> &rec) { return (rec[1] >> 39) & 1; }

struct Stall : ::testing::Test {
	Rig r;
	smmu_pt pt;
	void Init(unsigned stall_max = 64, uint32_t timeout = 0, bool term_model = false)
	{
		r.cfg.stall_model = 0;
		r.cfg.stall_max = stall_max;
		r.cfg.stall_timeout = timeout;
		r.cfg.term_model = term_model;
		r.Init();
		pt = r.NewPt(false, 12, 16);
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, false);
		a.ng = true;
		ASSERT_EQ(smmu_pt_map(&pt, 0x10000, 0x70000000, 0x1000, 12, &a), SMMU_PT_OK);
		for (uint32_t sid : {3u, 4u}) {
			smmu_cd_fields cd;
			smmu_cd_fields_init(&cd);
			cd.ttb0 = pt.root;
			cd.asid = (uint16_t)sid;
			cd.s = true;
			cd.r = false; // R is treated as 1 when stalling
			cd.a = !term_model ? false : true;
			uint64_t raw[8], ste[8];
			smmu_build_cd_fields(&cd, raw);
			smmu_build_ste_s1(ste, r.PutCd(raw), 0, 0);
			r.SetSte(sid, ste);
		}
	}
	void Resume(uint32_t sid, uint16_t stag, bool retry, bool abort)
	{
		uint64_t c[2];
		smmu_cmd_resume(c, sid, stag, retry, abort);
		r.Cmd(c);
		r.Sync();
	}
};

TEST_F(Stall, FaultIsHeldAndRecordedThenRetried)
{
	Init();
	EXPECT_EQ((r.R32(SMMU_REG_IDR0) >> 24) & 3, 0u);
	EXPECT_EQ(r.R32(SMMU_REG_IDR5) >> 16, 64u);
	auto x = r.X(3, 0x22040, /*write=*/true);
	ASSERT_EQ(x.outcome, SMMU_XLATE_STALLED);
	EXPECT_EQ(x.event, SMMU_EVT_F_TRANSLATION);
	auto evs = r.DrainEvents();
	ASSERT_EQ(evs.size(), 1u); // recorded although CD.R=0
	EXPECT_EQ(EvId(evs[0]), (unsigned)SMMU_EVT_F_TRANSLATION);
	EXPECT_EQ(EvStall(evs[0]), 1u);
	EXPECT_EQ(EvStag(evs[0]), x.stag);
	EXPECT_EQ(smmu_stalled_count(r.s), 1u);
	// Software maps the page, then retries: the transaction completes.
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, false);
	a.ng = true;
	ASSERT_EQ(smmu_pt_map(&pt, 0x22000, 0x70005000, 0x1000, 12, &a), SMMU_PT_OK);
	Resume(3, x.stag, /*retry=*/true, false);
	ASSERT_EQ(r.stall_done.size(), 1u);
	EXPECT_EQ(r.stall_done[0].stag, x.stag);
	EXPECT_EQ(r.stall_done[0].res.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(r.stall_done[0].res.pa, 0x70005040u);
	EXPECT_TRUE(r.stall_done[0].txn.write);
	EXPECT_EQ(smmu_stalled_count(r.s), 0u);
	EXPECT_EQ(smmu_get_stats(r.s)->stall_resumes, 1u);
}

TEST_F(Stall, ResumeTerminatesAbortOrRazWiAndMismatchIsANoOp)
{
	Init();
	auto a = r.X(3, 0x30000), b = r.X(3, 0x31000);
	ASSERT_EQ(a.outcome, SMMU_XLATE_STALLED);
	ASSERT_EQ(b.outcome, SMMU_XLATE_STALLED);
	EXPECT_NE(a.stag, b.stag);
	Resume(4, a.stag, false, true); // SID mismatch
	Resume(3, 63, false, true);     // STAG of nothing
	EXPECT_TRUE(r.stall_done.empty());
	EXPECT_EQ(smmu_stalled_count(r.s), 2u);
	Resume(3, a.stag, false, /*abort=*/true);
	Resume(3, b.stag, false, /*abort=*/false);
	ASSERT_EQ(r.stall_done.size(), 2u);
	EXPECT_EQ(r.stall_done[0].res.outcome, SMMU_XLATE_ABORT);
	EXPECT_EQ(r.stall_done[1].res.outcome, SMMU_XLATE_RAZWI);
	// A retry that faults again stalls again, under a new STAG.
	auto c = r.X(3, 0x32000);
	Resume(3, c.stag, true, false);
	ASSERT_EQ(r.stall_done.size(), 3u);
	EXPECT_EQ(r.stall_done[2].res.outcome, SMMU_XLATE_STALLED);
	EXPECT_EQ(smmu_stalled_count(r.s), 1u);
}

// A stall fault record is never discarded and never overflows the queue
// (§7.4): with the Event queue disabled the transaction is held with no
// record, and retried as newly arrived once the queue is writable
// (§3.12.2): it may then succeed (no event ever) or fault and stall again
// (recorded then).
TEST_F(Stall, DisabledQueueHoldsTheStallUntilWritableThenRetries)
{
	Init();
	r.W32(SMMU_REG_CR0, SMMU_CR0_CMDQEN | SMMU_CR0_SMMUEN); // EVENTQEN off
	auto x = r.X(3, 0x22040, /*write=*/true);
	ASSERT_EQ(x.outcome, SMMU_XLATE_STALLED);
	EXPECT_FALSE(x.event_recorded);
	EXPECT_EQ(smmu_stalled_count(r.s), 1u);
	EXPECT_EQ(smmu_get_stats(r.s)->stalls_unrecorded, 1u);
	EXPECT_EQ(smmu_get_stats(r.s)->events_dropped, 0u);
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, false);
	a.ng = true;
	ASSERT_EQ(smmu_pt_map(&pt, 0x22000, 0x70005000, 0x1000, 12, &a), SMMU_PT_OK);
	EXPECT_TRUE(r.stall_done.empty());
	r.W32(SMMU_REG_CR0, SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN | SMMU_CR0_SMMUEN);
	ASSERT_EQ(r.stall_done.size(), 1u); // retried: the page is there now
	EXPECT_EQ(r.stall_done[0].stag, x.stag);
	EXPECT_EQ(r.stall_done[0].res.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(r.stall_done[0].res.pa, 0x70005040u);
	EXPECT_EQ(smmu_stalled_count(r.s), 0u);
	EXPECT_TRUE(r.DrainEvents().empty()); // no event for it, ever
	// Faulting again on the retry: stalled again, and recorded now.
	r.W32(SMMU_REG_CR0, SMMU_CR0_CMDQEN | SMMU_CR0_SMMUEN);
	auto y = r.X(3, 0x40000);
	ASSERT_EQ(y.outcome, SMMU_XLATE_STALLED);
	r.W32(SMMU_REG_CR0, SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN | SMMU_CR0_SMMUEN);
	ASSERT_EQ(r.stall_done.size(), 2u);
	EXPECT_EQ(r.stall_done[1].res.outcome, SMMU_XLATE_STALLED);
	auto evs = r.DrainEvents();
	ASSERT_EQ(evs.size(), 1u);
	EXPECT_EQ(EvId(evs[0]), (unsigned)SMMU_EVT_F_TRANSLATION);
	EXPECT_EQ(EvStall(evs[0]), 1u);
	EXPECT_EQ(EvStag(evs[0]), r.stall_done[1].res.stag);
	EXPECT_EQ(smmu_stalled_count(r.s), 1u);
	EXPECT_EQ(smmu_get_stats(r.s)->stall_retries, 2u);
}

// A full queue: the stall that finds no room is held without a record and
// without an overflow; consuming a record retries it, and its new fault
// record is written.
TEST_F(Stall, FullQueueNeitherDropsNorOverflowsAStallRecord)
{
	Init(/*stall_max=*/128);
	const unsigned qn = 1u << Rig::kEvtqLog2;
	for (unsigned i = 0; i < qn; i++)
		ASSERT_EQ(r.X(3, 0x100000 + 0x1000ull * i).outcome, SMMU_XLATE_STALLED);
	auto z = r.X(4, 0x40000);
	ASSERT_EQ(z.outcome, SMMU_XLATE_STALLED);
	EXPECT_FALSE(z.event_recorded);
	uint32_t prod = r.R32(SMMU_REG_EVENTQ_PROD), cons = r.R32(SMMU_REG_EVENTQ_CONS);
	EXPECT_EQ(prod & SMMU_Q_OVFLG, cons & SMMU_Q_OVFLG); // no overflow
	EXPECT_EQ(smmu_get_stats(r.s)->eventq_overflows, 0u);
	EXPECT_EQ(smmu_stalled_count(r.s), qn + 1);
	auto evs = r.DrainEvents(); // CONS moves: the held one is retried
	EXPECT_EQ(evs.size(), qn);
	ASSERT_EQ(r.stall_done.size(), 1u);
	EXPECT_EQ(r.stall_done[0].txn.sid, 4u);
	EXPECT_EQ(r.stall_done[0].res.outcome, SMMU_XLATE_STALLED);
	evs = r.DrainEvents();
	ASSERT_EQ(evs.size(), 1u);
	EXPECT_EQ(EvStall(evs[0]), 1u);
	EXPECT_EQ(evs[0][0] >> 32, 4u); // StreamID
	EXPECT_EQ(EvStag(evs[0]), r.stall_done[0].res.stag);
	EXPECT_EQ(smmu_stalled_count(r.s), qn + 1);
}

TEST(StallTermModel, TerminateAlwaysAbortsWithTermModel)
{
	Rig r;
	r.cfg.stall_model = 0;
	r.cfg.term_model = true;
	r.Init();
	smmu_pt pt = r.NewPt(false, 12, 16);
	smmu_cd_fields cd;
	smmu_cd_fields_init(&cd);
	cd.ttb0 = pt.root;
	cd.asid = 1;
	cd.s = true;
	cd.a = true; // A=0 is illegal with TERM_MODEL=1
	uint64_t raw[8], ste[8];
	smmu_build_cd_fields(&cd, raw);
	smmu_build_ste_s1(ste, r.PutCd(raw), 0, 0);
	r.SetSte(2, ste);
	auto x = r.X(2, 0x5000);
	ASSERT_EQ(x.outcome, SMMU_XLATE_STALLED);
	uint64_t c[2];
	smmu_cmd_resume(c, 2, x.stag, false, /*abort=*/false);
	r.Cmd(c);
	r.Sync();
	ASSERT_EQ(r.stall_done.size(), 1u);
	EXPECT_EQ(r.stall_done[0].res.outcome, SMMU_XLATE_ABORT);
}

TEST_F(Stall, StallTermEndsOneSidOnly)
{
	Init();
	r.X(3, 0x40000);
	r.X(3, 0x41000);
	r.X(4, 0x42000);
	EXPECT_EQ(smmu_stalled_count(r.s), 3u);
	uint64_t c[2];
	smmu_cmd_stall_term(c, 3);
	r.Cmd(c);
	r.Sync();
	EXPECT_EQ(r.stall_done.size(), 2u);
	for (const auto &d : r.stall_done) {
		EXPECT_EQ(d.txn.sid, 3u);
		EXPECT_EQ(d.res.outcome, SMMU_XLATE_ABORT);
	}
	EXPECT_EQ(smmu_stalled_count(r.s), 1u);
	EXPECT_EQ(smmu_get_stats(r.s)->stall_terms, 2u);
	// Clearing SMMUEN aborts the rest and frees their STAGs.
	r.W32(SMMU_REG_CR0, r.R32(SMMU_REG_CR0) & ~1u);
	EXPECT_EQ(smmu_stalled_count(r.s), 0u);
	EXPECT_EQ(r.stall_done.size(), 3u);
}

TEST_F(Stall, StallMaxAndTimeout)
{
	Init(/*stall_max=*/2, /*timeout=*/1000);
	auto a = r.X(3, 0x50000), b = r.X(3, 0x51000);
	ASSERT_EQ(a.outcome, SMMU_XLATE_STALLED);
	ASSERT_EQ(b.outcome, SMMU_XLATE_STALLED);
	r.DrainEvents();
	// No STAG left: the fault terminates (recorded, Stall=0).
	auto c = r.X(3, 0x52000);
	EXPECT_EQ(c.outcome, SMMU_XLATE_ABORT);
	auto evs = r.DrainEvents();
	ASSERT_EQ(evs.size(), 1u);
	EXPECT_EQ(EvStall(evs[0]), 0u);
	// 1000 cycles later both are aborted by the timeout.
	r.now += 5000;
	auto ok = r.X(3, 0x10000);
	EXPECT_EQ(ok.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(smmu_stalled_count(r.s), 0u);
	ASSERT_EQ(r.stall_done.size(), 2u);
	EXPECT_EQ(r.stall_done[0].res.outcome, SMMU_XLATE_ABORT);
	EXPECT_EQ(smmu_get_stats(r.s)->stall_timeouts, 2u);
}

TEST(StallStage2, S2sStallsAStage2Fault)
{
	Rig r;
	r.cfg.stall_model = 0;
	r.Init();
	NestedSetup n;
	n.Build(r, 12, 5);
	n.f.s2s = true;
	uint64_t ste[8];
	smmu_build_ste(&n.f, ste);
	r.SetSte(6, ste);
	auto x = r.X(6, 0x80000000); // past the identity GiB: unmapped at stage 2
	ASSERT_EQ(x.outcome, SMMU_XLATE_STALLED);
	auto evs = r.DrainEvents();
	ASSERT_EQ(evs.size(), 1u);
	EXPECT_EQ(EvS2(evs[0]), 1u);
	EXPECT_EQ(EvStall(evs[0]), 1u);
	// STALL_MODEL=01 makes RESUME illegal (covered by SmmuCmdq); here it
	// is legal and terminates it.
	uint64_t c[2];
	smmu_cmd_resume(c, 6, x.stag, false, true);
	r.Cmd(c);
	r.Sync();
	EXPECT_EQ(smmu_stalled_count(r.s), 0u);
}

} // namespace
