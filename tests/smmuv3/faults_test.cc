// faults_test.cc - each fault and configuration error as an event record
// in the event queue with the architected fields (IHI 0070 §7.3), and the
// A/R bits and config cases that terminate without a record.
#include "rig.h"

namespace {

struct S1Stream {
	smmu_pt pt;
	smmu_cd_fields cd;
};

// One S1 stream at sid with a 4K table mapping iova 0x10000 -> pa 0x70000000 (RO page at 0x11000).
static void MakeS1(Rig &r, uint32_t sid, S1Stream &s, void (*tweak)(smmu_cd_fields *) = nullptr)
{
	s.pt = r.NewPt(false, 12, 16);
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, false);
	a.ng = true;
	ASSERT_EQ(smmu_pt_map(&s.pt, 0x10000, 0x70000000, 0x1000, 12, &a), SMMU_PT_OK);
	a.ap = SMMU_PT_AP_RO;
	ASSERT_EQ(smmu_pt_map(&s.pt, 0x11000, 0x70001000, 0x1000, 12, &a), SMMU_PT_OK);
	smmu_cd_fields_init(&s.cd);
	s.cd.ttb0 = s.pt.root;
	s.cd.asid = 4;
	if (tweak)
		tweak(&s.cd);
	uint64_t cd[8], ste[8];
	smmu_build_cd_fields(&s.cd, cd);
	smmu_build_ste_s1(ste, r.PutCd(cd), 0, 0);
	r.SetSte(sid, ste);
}

static unsigned EvId(const std::array<uint64_t, 4> &rec) { return rec[0] & 0xff; }
static uint32_t EvSid(const std::array<uint64_t, 4> &rec) { return rec[0] >> 32; }

TEST(SmmuFaults, UnmappedIovaGivesTranslationFaultRecord)
{
	Rig r;
	r.Init();
	S1Stream s;
	MakeS1(r, 5, s);
	auto x = r.X(5, 0x20000, /*write=*/true);
	EXPECT_EQ(x.outcome, SMMU_XLATE_ABORT);
	EXPECT_EQ(x.event, SMMU_EVT_F_TRANSLATION);
	EXPECT_TRUE(x.event_recorded);
	auto evs = r.DrainEvents();
	ASSERT_EQ(evs.size(), 1u);
	EXPECT_EQ(EvId(evs[0]), (unsigned)SMMU_EVT_F_TRANSLATION);
	EXPECT_EQ(EvSid(evs[0]), 5u);
	EXPECT_EQ(evs[0][2], 0x20000u);                 // InputAddr
	EXPECT_EQ((evs[0][1] >> 35) & 1, 0u);           // RnW = 0 for a write
	EXPECT_EQ((evs[0][1] >> 39) & 1, 0u);           // S2 = 0
	EXPECT_EQ((evs[0][1] >> 40) & 3, (unsigned)SMMU_CLASS_IN);
	// Faults are not cached: the same access faults again.
	auto y = r.X(5, 0x20000, true);
	EXPECT_EQ(y.event, SMMU_EVT_F_TRANSLATION);
}

TEST(SmmuFaults, WriteToReadOnlyPageGivesPermissionFault)
{
	Rig r;
	r.Init();
	S1Stream s;
	MakeS1(r, 5, s);
	EXPECT_EQ(r.X(5, 0x11000).outcome, SMMU_XLATE_OK); // read is fine, and cached
	auto x = r.X(5, 0x11008, true);
	EXPECT_EQ(x.event, SMMU_EVT_F_PERMISSION);
	auto evs = r.DrainEvents();
	ASSERT_EQ(evs.size(), 1u);
	EXPECT_EQ(EvId(evs[0]), (unsigned)SMMU_EVT_F_PERMISSION);
	EXPECT_EQ(evs[0][2], 0x11008u);
}

TEST(SmmuFaults, CdRecordBitOffSuppressesTheRecord)
{
	Rig r;
	r.Init();
	S1Stream s;
	MakeS1(r, 5, s, [](smmu_cd_fields *c) { c->r = false; });
	auto x = r.X(5, 0x20000);
	EXPECT_EQ(x.outcome, SMMU_XLATE_ABORT);
	EXPECT_EQ(x.event, SMMU_EVT_F_TRANSLATION);
	EXPECT_FALSE(x.event_recorded);
	EXPECT_TRUE(r.DrainEvents().empty());
	ASSERT_EQ(r.events.size(), 1u); // the host still sees it, as not recorded
	EXPECT_FALSE(r.events[0].recorded);
}

TEST(SmmuFaults, CdAbortBitOffTerminatesAsRazWi)
{
	Rig r;
	r.Init();
	S1Stream s;
	MakeS1(r, 5, s, [](smmu_cd_fields *c) { c->a = false; });
	auto x = r.X(5, 0x20000);
	EXPECT_EQ(x.outcome, SMMU_XLATE_RAZWI);
	EXPECT_EQ(r.DrainEvents().size(), 1u);
}

TEST(SmmuFaults, Epd0GivesTranslationFaultWithoutAWalk)
{
	Rig r;
	r.Init();
	S1Stream s;
	MakeS1(r, 5, s, [](smmu_cd_fields *c) { c->epd0 = true; });
	auto x = r.X(5, 0x10000);
	EXPECT_EQ(x.event, SMMU_EVT_F_TRANSLATION);
	EXPECT_EQ(x.mem_reads, 2u); // STE and CD, no table read
}

TEST(SmmuFaults, VaOutsideT0szRangeGivesTranslationFault)
{
	Rig r;
	r.Init();
	S1Stream s;
	MakeS1(r, 5, s);
	auto x = r.X(5, 1ull << 50);
	EXPECT_EQ(x.event, SMMU_EVT_F_TRANSLATION);
}

TEST(SmmuFaults, InvalidSteGivesBadSte)
{
	Rig r;
	r.Init();
	uint64_t ste[8];
	smmu_build_ste_invalid(ste);
	r.SetSte(6, ste);
	auto x = r.X(6, 0x1000);
	EXPECT_EQ(x.event, SMMU_EVT_C_BAD_STE);
	auto evs = r.DrainEvents();
	ASSERT_EQ(evs.size(), 1u);
	EXPECT_EQ(EvId(evs[0]), (unsigned)SMMU_EVT_C_BAD_STE);
	EXPECT_EQ(EvSid(evs[0]), 6u);
	EXPECT_EQ(evs[0][1], 0u);
	EXPECT_EQ(evs[0][2], 0u);
}

TEST(SmmuFaults, AbortConfigTerminatesSilently)
{
	Rig r;
	r.Init();
	uint64_t ste[8];
	smmu_build_ste_abort(ste);
	r.SetSte(6, ste);
	auto x = r.X(6, 0x1000);
	EXPECT_EQ(x.outcome, SMMU_XLATE_ABORT);
	EXPECT_EQ(x.event, 0);
	EXPECT_TRUE(r.DrainEvents().empty());
}

TEST(SmmuFaults, BypassSteTranslatesOneToOne)
{
	Rig r;
	r.Init();
	uint64_t ste[8];
	smmu_build_ste_bypass(ste);
	r.SetSte(6, ste);
	auto x = r.X(6, 0x123456789);
	EXPECT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, 0x123456789u);
	EXPECT_EQ(x.hit, SMMU_HIT_BYPASS);
}

// IHI 0070 §7.3.9 / §3.9: a SubstreamID on a stream without stage 1
// (Config 0b1x0, bypass included) aborts with C_BAD_SUBSTREAMID - also after
// the STE was cached by a transaction without one.
TEST(SmmuFaults, SubstreamOnABypassSteGivesBadSubstreamId)
{
	Rig r;
	r.Init();
	uint64_t ste[8];
	smmu_build_ste_bypass(ste);
	r.SetSte(6, ste);
	EXPECT_EQ(r.X(6, 0x1000).outcome, SMMU_XLATE_OK);
	auto x = r.X(6, 0x1000, false, false, false, /*ssv=*/true, 1);
	EXPECT_EQ(x.outcome, SMMU_XLATE_ABORT);
	EXPECT_EQ(x.event, SMMU_EVT_C_BAD_SUBSTREAMID);
	EXPECT_EQ(r.X(6, 0x2000).outcome, SMMU_XLATE_OK);
}

TEST(SmmuFaults, StreamIdOutOfRangeRecordedOnlyWithRecinvsid)
{
	Rig r;
	r.Init(4); // 16 STEs
	auto x = r.X(99, 0x1000);
	EXPECT_EQ(x.outcome, SMMU_XLATE_ABORT);
	EXPECT_EQ(x.event, SMMU_EVT_C_BAD_STREAMID);
	EXPECT_FALSE(x.event_recorded);
	// CR2 is writable only with SMMUEN off, and takes effect at enable.
	r.W32(SMMU_REG_CR0, SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN);
	r.W32(SMMU_REG_CR2, SMMU_CR2_RECINVSID);
	r.W32(SMMU_REG_CR0, SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN | SMMU_CR0_SMMUEN);
	auto y = r.X(99, 0x1000);
	EXPECT_TRUE(y.event_recorded);
	auto evs = r.DrainEvents();
	ASSERT_EQ(evs.size(), 1u);
	EXPECT_EQ(EvId(evs[0]), (unsigned)SMMU_EVT_C_BAD_STREAMID);
	EXPECT_EQ(EvSid(evs[0]), 99u);
}

TEST(SmmuFaults, SteFetchAbortGivesFSteFetchWithAddress)
{
	Rig r;
	r.Init();
	uint64_t addr = r.SteAddr(7);
	r.mem.add_abort(addr, 64);
	auto x = r.X(7, 0x1000);
	EXPECT_EQ(x.event, SMMU_EVT_F_STE_FETCH);
	auto evs = r.DrainEvents();
	ASSERT_EQ(evs.size(), 1u);
	EXPECT_EQ(evs[0][3], addr);
}

TEST(SmmuFaults, TwoLevelStreamTableWithMissingL2GivesBadStreamId)
{
	Rig r;
	r.cfg.sidsize = 16;
	r.Init(12, true);
	uint64_t ste[8];
	smmu_build_ste_bypass(ste);
	r.SetSte(70, ste); // allocates the L2 for SIDs 64..127
	EXPECT_EQ(r.X(70, 0x5000).pa, 0x5000u);
	auto x = r.X(200, 0x5000); // L1 descriptor for 192..255 is invalid
	EXPECT_EQ(x.event, SMMU_EVT_C_BAD_STREAMID);
}

TEST(SmmuFaults, InvalidCdGivesBadCd)
{
	Rig r;
	r.Init();
	S1Stream s;
	MakeS1(r, 5, s, [](smmu_cd_fields *c) { c->v = false; });
	auto x = r.X(5, 0x10000);
	EXPECT_EQ(x.event, SMMU_EVT_C_BAD_CD);
}

TEST(SmmuFaults, SubstreamWithoutCdTableGivesBadSubstreamId)
{
	Rig r;
	r.Init();
	S1Stream s;
	MakeS1(r, 5, s);
	auto x = r.X(5, 0x10000, false, false, false, /*ssv=*/true, 3);
	EXPECT_EQ(x.event, SMMU_EVT_C_BAD_SUBSTREAMID);
	auto evs = r.DrainEvents();
	ASSERT_EQ(evs.size(), 1u);
	EXPECT_EQ((evs[0][0] >> 11) & 1, 1u);      // SSV
	EXPECT_EQ((evs[0][0] >> 12) & 0xfffff, 3u); // SubstreamID
}

TEST(SmmuFaults, NoSubstreamWithS1dssTerminateGivesStreamDisabled)
{
	Rig r;
	r.Init();
	smmu_pt pt = r.NewPt(false, 12, 16);
	uint64_t cds = r.mem.alloc(64 * 4);
	uint64_t cd[8];
	smmu_build_cd(cd, pt.root, 1, 12, 48);
	for (int i = 0; i < 8; i++)
		r.mem.write64(cds + 64 + 8 * i, cd[i]); // CD 1
	uint64_t ste[8];
	smmu_build_ste_s1(ste, cds, 2, 0); // 4 CDs, S1DSS default 0 = terminate
	r.SetSte(8, ste);
	EXPECT_EQ(r.X(8, 0x1000).event, SMMU_EVT_F_STREAM_DISABLED);
	// With SSID 1 the CD is found (the address is unmapped: translation fault).
	auto x = r.X(8, 0x1000, false, false, false, true, 1);
	EXPECT_EQ(x.event, SMMU_EVT_F_TRANSLATION);
	EXPECT_EQ(x.asid, 1u);
}

TEST(SmmuFaults, NestedStage2FaultOnOutputReportsIpaAndStage)
{
	Rig r;
	r.Init();
	NestedSetup n;
	n.Build(r, 12, 2);
	smmu_pt s1 = r.NewPt(false, 12, 16);
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, false);
	// VA 0x9000 -> IPA 0x90000000, which stage 2 does not map.
	ASSERT_EQ(smmu_pt_map(&s1, 0x9000, 0x90000000, 0x1000, 12, &a), SMMU_PT_OK);
	uint64_t cd[8], ste[8];
	smmu_build_cd(cd, s1.root, 1, 12, 48);
	n.Ste(ste, r.PutCd(cd));
	r.SetSte(9, ste);
	auto x = r.X(9, 0x9010);
	EXPECT_EQ(x.event, SMMU_EVT_F_TRANSLATION);
	auto evs = r.DrainEvents();
	ASSERT_EQ(evs.size(), 1u);
	EXPECT_EQ((evs[0][1] >> 39) & 1, 1u);                       // S2
	EXPECT_EQ((evs[0][1] >> 40) & 3, (unsigned)SMMU_CLASS_IN);  // CLASS IN
	EXPECT_EQ(evs[0][3], 0x90000000u);                          // IPA
	EXPECT_EQ(evs[0][2], 0x9010u);
}

// STE.S2PTW (IHI 0070 5.2, bit 182): in a nested stream, a stage-1 table
// walk or a CD fetch that stage 2 maps as any Device type is terminated as a
// stage-2 Permission fault (S2=1, CLASS=TT or CD, IPA the access's); with
// S2PTW clear both go ahead. Here the stage-1 root table, then the CD, are
// reached through an IPA alias that stage 2 maps Device-nGnRnE.
TEST(SmmuFaults, S2ptwStopsWalksAndCdFetchesInStage2DeviceMemory)
{
	for (int cd_case = 0; cd_case < 2; cd_case++) {
		for (bool ptw : {false, true}) {
			SCOPED_TRACE(std::string(cd_case ? "CD fetch" : "table walk") +
				     (ptw ? ", S2PTW=1" : ", S2PTW=0"));
			Rig r;
			r.Init();
			NestedSetup n;
			n.Build(r, 12, 2);
			n.f.s2ptw = ptw;
			smmu_pt s1 = r.NewPt(false, 12, 16);
			smmu_pt_attr a;
			smmu_pt_attr_default(&a, false);
			ASSERT_EQ(smmu_pt_map(&s1, 0x9000, 0x5000, 0x1000, 12, &a), SMMU_PT_OK);
			smmu_pt_attr dev;
			smmu_pt_attr_default(&dev, true);
			dev.memattr = 0; // Device-nGnRnE
			const uint64_t kAlias = 0x80000000;
			uint64_t cd[8], ste[8];
			uint64_t ttb = s1.root, cd_ipa;
			if (cd_case == 0) {
				ASSERT_EQ(smmu_pt_map(&n.s2, kAlias, s1.root & ~0xfffull, 0x1000, 12, &dev),
					  SMMU_PT_OK);
				ttb = kAlias | (s1.root & 0xfff);
			}
			smmu_build_cd(cd, ttb, 1, 12, 48);
			cd_ipa = r.PutCd(cd);
			if (cd_case == 1) {
				ASSERT_EQ(smmu_pt_map(&n.s2, kAlias, cd_ipa & ~0xfffull, 0x1000, 12, &dev),
					  SMMU_PT_OK);
				cd_ipa = kAlias | (cd_ipa & 0xfff);
			}
			n.Ste(ste, cd_ipa);
			r.SetSte(9, ste);
			auto x = r.X(9, 0x9010);
			if (!ptw) {
				EXPECT_EQ(x.outcome, SMMU_XLATE_OK);
				EXPECT_EQ(x.pa, 0x5010u);
				continue;
			}
			EXPECT_EQ(x.outcome, SMMU_XLATE_ABORT);
			EXPECT_EQ(x.event, SMMU_EVT_F_PERMISSION);
			auto evs = r.DrainEvents();
			ASSERT_EQ(evs.size(), 1u);
			EXPECT_EQ((evs[0][1] >> 39) & 1, 1u); // S2
			EXPECT_EQ((evs[0][1] >> 40) & 3,
				  (unsigned)(cd_case ? SMMU_CLASS_CD : SMMU_CLASS_TT));
			EXPECT_EQ(evs[0][3] & ~0xfffull, kAlias); // the IPA of the access
		}
	}
}

TEST(SmmuFaults, GbpaAbortWhenDisabled)
{
	Rig r;
	smmu_host_ops o = r.ops();
	ASSERT_EQ(smmu_create(&r.cfg, &o, &r, &r.s), SMMU_OK);
	EXPECT_EQ(r.X(1, 0x4000).outcome, SMMU_XLATE_OK); // reset GBPA: bypass
	r.W32(SMMU_REG_GBPA, SMMU_GBPA_UPDATE | SMMU_GBPA_ABORT);
	EXPECT_EQ(r.R32(SMMU_REG_GBPA) & SMMU_GBPA_UPDATE, 0u);
	auto x = r.X(1, 0x4000);
	EXPECT_EQ(x.outcome, SMMU_XLATE_ABORT);
	EXPECT_EQ(x.event, 0);
}

TEST(SmmuFaults, EventQueueOverflowIsFlaggedAndNothingIsLostSilently)
{
	Rig r;
	r.Init();
	S1Stream s;
	MakeS1(r, 5, s);
	const unsigned qn = 1u << Rig::kEvtqLog2;
	for (unsigned i = 0; i < qn + 5; i++)
		r.X(5, 0x100000 + 0x1000ull * i);
	uint32_t prod = r.R32(SMMU_REG_EVENTQ_PROD);
	EXPECT_NE(prod & SMMU_Q_OVFLG, 0u);
	unsigned dropped = 0;
	for (auto &e : r.events)
		dropped += !e.recorded;
	EXPECT_EQ(dropped, 5u);
	EXPECT_EQ(smmu_get_stats(r.s)->events_dropped, 5u);
	auto evs = r.DrainEvents();
	EXPECT_EQ(evs.size(), qn);
	// Acknowledge the overflow; new events are recorded again.
	uint32_t cons = r.R32(SMMU_REG_EVENTQ_CONS);
	r.W32(SMMU_REG_EVENTQ_CONS, (cons & ~SMMU_Q_OVFLG) | (prod & SMMU_Q_OVFLG));
	EXPECT_TRUE(r.X(5, 0x900000).event_recorded);
}

} // namespace

namespace {

// The event queue wraps: software consuming as it goes sees every record, in
// order, across several wraps of a 64-entry queue.
TEST(SmmuFaults, EventQueueWrapsWithoutLosingRecords)
{
	Rig r;
	r.Init();
	S1Stream s;
	MakeS1(r, 5, s);
	const unsigned n = 3 * (1u << Rig::kEvtqLog2) + 9;
	std::vector<uint64_t> seen;
	for (unsigned i = 0; i < n; i++) {
		auto x = r.X(5, 0x400000 + 0x1000ull * i);
		ASSERT_TRUE(x.event_recorded) << i;
		if (i % 10 == 9 || i == n - 1)
			for (auto &rec : r.DrainEvents())
				seen.push_back(rec[2]);
	}
	ASSERT_EQ(seen.size(), n);
	for (unsigned i = 0; i < n; i++)
		EXPECT_EQ(seen[i], 0x400000 + 0x1000ull * i) << i;
	uint32_t prod = r.R32(SMMU_REG_EVENTQ_PROD);
	EXPECT_EQ(prod & SMMU_Q_OVFLG, 0u);
	EXPECT_EQ(prod & ((2u << Rig::kEvtqLog2) - 1), n & ((2u << Rig::kEvtqLog2) - 1));
}

} // namespace
