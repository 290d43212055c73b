// priq_test.cc - the PRI queue (IHI 0070 ch.8, smmu_pri_request) and
// CMD_PRI_RESP: records at PRIQ_PROD with every field in place, the
// interrupt on empty -> non-empty (and on Last only with LO), automatic
// Response Failure while PRIQEN is 0, overflow (OVFLG toggled once, a
// discarded Last request answered Success with or without PASID as STE.PPAR
// says, Response Failure when the STE is invalid), Stop Markers dropped,
// and CMD_PRI_RESP's Resp codes reaching the function (11 is ILLEGAL).
#include "rig.h"

namespace {

constexpr unsigned kPriqLog2 = 2; // 4 entries

struct Priq : ::testing::Test {
	Rig r;
	uint64_t priq = 0;
	void Init(bool enable = true, bool ppar = false, bool lo = false)
	{
		r.cfg.ats = true;
		r.cfg.pri = true;
		r.Init();
		priq = r.mem.alloc(16ull << kPriqLog2, 16ull << kPriqLog2);
		uint32_t cr0 = r.R32(SMMU_REG_CR0);
		r.W32(SMMU_REG_CR0, cr0 & ~SMMU_CR0_PRIQEN);
		r.W64(SMMU_REG_PRIQ_BASE, priq | kPriqLog2);
		r.W32(SMMU_REG_PRIQ_PROD, 0);
		r.W32(SMMU_REG_PRIQ_CONS, 0);
		if (lo)
			r.W32(SMMU_REG_PRIQ_IRQ_CFG2, 1u << 31);
		r.W32(SMMU_REG_IRQ_CTRL, SMMU_IRQ_CTRL_PRIQ_IRQEN);
		if (enable)
			r.W32(SMMU_REG_CR0, cr0 | SMMU_CR0_PRIQEN);
		// sid 3: a valid bypass STE (PPAR as asked); sid 4: invalid.
		uint64_t ste[8];
		smmu_ste_fields f;
		smmu_ste_fields_init(&f);
		f.config = 4; // bypass
		f.ppar = ppar;
		smmu_build_ste(&f, ste);
		r.SetSte(3, ste);
	}
	smmu_ppr_result P(uint16_t prgi, uint64_t addr, bool last, bool ssv = false,
			  uint32_t ssid = 0, uint32_t sid = 3, bool read = true, bool write = false)
	{
		smmu_ppr p{};
		p.sid = sid;
		p.ssv = ssv;
		p.ssid = ssid;
		p.read = read;
		p.write = write;
		p.last = last;
		p.prgi = prgi;
		p.addr = addr;
		p.exec = true;  // dropped without a PASID
		p.priv = true;
		smmu_ppr_result out{};
		EXPECT_EQ(smmu_pri_request(r.s, &p, r.now, &out), SMMU_OK);
		r.now = out.done + 1;
		return out;
	}
	std::array<uint64_t, 2> Rec(unsigned i)
	{
		return {r.mem.read64(priq + 16ull * i), r.mem.read64(priq + 16ull * i + 8)};
	}
	size_t PriqIrqs()
	{
		size_t n = 0;
		for (auto &i : r.irqs)
			n += i.first == SMMU_IRQ_PRIQ;
		return n;
	}
};

TEST_F(Priq, RequestsBecomeRecordsWithEveryField)
{
	Init();
	EXPECT_EQ(P(0x1a5, 0x12345678, false).outcome, SMMU_PPR_QUEUED);
	EXPECT_EQ(P(0x1a5, 0x12346000, true, true, 0xabcde, 3, true, true).outcome,
		  SMMU_PPR_QUEUED);
	EXPECT_EQ(r.R32(SMMU_REG_PRIQ_PROD), 2u);
	auto a = Rec(0), b = Rec(1);
	// no PASID: Exec and Priv forced to 0
	EXPECT_EQ(a[0], 3ull | (1ull << 60));
	EXPECT_EQ(a[1], 0x12345000ull | 0x1a5);
	EXPECT_EQ(b[0], 3ull | (0xabcdeull << 32) | (1ull << 58) | (1ull << 59) | (1ull << 60) |
			    (1ull << 61) | (1ull << 62) | (1ull << 63));
	EXPECT_EQ(b[1], 0x12346000ull | 0x1a5);
	// one interrupt: the queue went non-empty once
	EXPECT_EQ(PriqIrqs(), 1u);
	EXPECT_TRUE(r.pri_resps.empty());
	const smmu_stats *st = smmu_get_stats(r.s);
	EXPECT_EQ(st->pri_requests, 2u);
	EXPECT_EQ(st->pri_recorded, 2u);
}

TEST_F(Priq, LoInterruptsOnLastOnly)
{
	Init(true, false, true);
	P(1, 0x1000, false);
	P(1, 0x2000, false);
	EXPECT_EQ(PriqIrqs(), 0u);
	P(1, 0x3000, true);
	EXPECT_EQ(PriqIrqs(), 1u);
}

// IHI 0070 §8.2: with PRIQEN=0 every PPR, Last or not, gets an automatic
// Response Failure (no PASID); a Stop Marker gets nothing; nothing is written.
TEST_F(Priq, DisabledQueueFailsGroupsAndDropsTheRest)
{
	Init(false);
	auto p = P(7, 0x1000, false);
	EXPECT_EQ(p.outcome, SMMU_PPR_AUTO);
	EXPECT_EQ(p.code, SMMU_PRI_CODE_FAILURE);
	auto l = P(7, 0x2000, true, true, 5);
	EXPECT_EQ(l.outcome, SMMU_PPR_AUTO);
	EXPECT_EQ(l.code, SMMU_PRI_CODE_FAILURE);
	EXPECT_FALSE(l.resp_pasid);
	// a Stop Marker gets nothing
	EXPECT_EQ(P(8, 0, true, true, 5, 3, false, false).outcome, SMMU_PPR_DROPPED);
	ASSERT_EQ(r.pri_resps.size(), 2u);
	EXPECT_EQ(r.pri_resps[1].sid, 3u);
	EXPECT_EQ(r.pri_resps[1].prgi, 7u);
	EXPECT_EQ(r.pri_resps[1].code, SMMU_PRI_CODE_FAILURE);
	EXPECT_EQ(r.R32(SMMU_REG_PRIQ_PROD), 0u);
}

// IHI 0070 §8.1: an active overflow condition (OVFLG != OVACKFLG) inhibits
// new entries even after software consumed entries, until it is
// acknowledged: requests are discarded (Last=1 answered) and PROD stays.
TEST_F(Priq, AnUnacknowledgedOverflowInhibitsNewEntries)
{
	Init(true, /*ppar=*/true);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(P(1, 0x1000 * (i + 1), false).outcome, SMMU_PPR_QUEUED);
	EXPECT_EQ(P(1, 0x9000, false).outcome, SMMU_PPR_DROPPED); // overflow
	uint32_t prod = r.R32(SMMU_REG_PRIQ_PROD);
	EXPECT_EQ(prod & SMMU_Q_OVFLG, SMMU_Q_OVFLG);
	// consumed, overflow not acknowledged: still inhibited
	r.W32(SMMU_REG_PRIQ_CONS, 4);
	auto d = P(2, 0xa000, false);
	EXPECT_EQ(d.outcome, SMMU_PPR_DROPPED);
	EXPECT_TRUE(d.overflow);
	auto l = P(2, 0xb000, true);
	EXPECT_EQ(l.outcome, SMMU_PPR_AUTO);
	EXPECT_EQ(l.code, SMMU_PRI_CODE_SUCCESS);
	EXPECT_EQ(r.R32(SMMU_REG_PRIQ_PROD), prod);
	EXPECT_EQ(smmu_get_stats(r.s)->priq_overflows, 1u);
	// acknowledged: recorded again
	r.W32(SMMU_REG_PRIQ_CONS, SMMU_Q_OVFLG | 4);
	EXPECT_EQ(P(3, 0xc000, true).outcome, SMMU_PPR_QUEUED);
}

TEST_F(Priq, OverflowTogglesOnceAndAnswersDiscardedLastRequests)
{
	Init(true, /*ppar=*/true);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(P(1, 0x1000 * (i + 1), false).outcome, SMMU_PPR_QUEUED);
	// full: discarded; Last=0 silently
	auto d = P(1, 0x9000, false);
	EXPECT_EQ(d.outcome, SMMU_PPR_DROPPED);
	EXPECT_TRUE(d.overflow);
	EXPECT_EQ(r.R32(SMMU_REG_PRIQ_PROD) & SMMU_Q_OVFLG, SMMU_Q_OVFLG);
	// Last=1 with a PASID: Success, with the PASID (STE.PPAR=1)
	auto l = P(1, 0xa000, true, true, 9);
	EXPECT_EQ(l.outcome, SMMU_PPR_AUTO);
	EXPECT_EQ(l.code, SMMU_PRI_CODE_SUCCESS);
	EXPECT_TRUE(l.resp_pasid);
	// an invalid STE cannot be checked: Response Failure, no PASID
	auto bad = P(2, 0xb000, true, true, 9, /*sid=*/4);
	EXPECT_EQ(bad.code, SMMU_PRI_CODE_FAILURE);
	EXPECT_FALSE(bad.resp_pasid);
	// no PASID: Success without one
	auto np = P(3, 0xc000, true);
	EXPECT_EQ(np.code, SMMU_PRI_CODE_SUCCESS);
	EXPECT_FALSE(np.resp_pasid);
	// OVFLG toggled once while unacknowledged
	EXPECT_EQ(smmu_get_stats(r.s)->priq_overflows, 1u);
	// software drains and acknowledges: the next request is recorded
	r.W32(SMMU_REG_PRIQ_CONS, SMMU_Q_OVFLG | 4);
	EXPECT_EQ(P(4, 0xd000, true).outcome, SMMU_PPR_QUEUED);
	EXPECT_EQ(r.R32(SMMU_REG_PRIQ_PROD), SMMU_Q_OVFLG | 5u);
	EXPECT_EQ(Rec(0)[1], 0xd000ull | 4);
}

TEST_F(Priq, OverflowWithoutPparAnswersWithoutPasid)
{
	Init(true, /*ppar=*/false);
	for (int i = 0; i < 4; i++)
		P(1, 0x1000, false);
	auto l = P(1, 0xa000, true, true, 9);
	EXPECT_EQ(l.code, SMMU_PRI_CODE_SUCCESS);
	EXPECT_FALSE(l.resp_pasid);
}

TEST_F(Priq, PriRespCarriesTheCodeToTheFunction)
{
	Init();
	uint64_t c[2];
	smmu_cmd_pri_resp(c, 3, true, 0x42, 0x1ff, 2);
	r.Cmd(c);
	smmu_cmd_pri_resp(c, 3, false, 0, 5, 1);
	r.Cmd(c);
	smmu_cmd_pri_resp(c, 3, false, 0, 6, 0);
	r.Cmd(c);
	r.Sync();
	ASSERT_EQ(r.pri_resps.size(), 3u);
	EXPECT_EQ(r.pri_resps[0].code, SMMU_PRI_CODE_SUCCESS);
	EXPECT_TRUE(r.pri_resps[0].ssv);
	EXPECT_EQ(r.pri_resps[0].ssid, 0x42u);
	EXPECT_EQ(r.pri_resps[0].prgi, 0x1ffu);
	EXPECT_EQ(r.pri_resps[1].code, SMMU_PRI_CODE_INVALID);
	EXPECT_EQ(r.pri_resps[2].code, SMMU_PRI_CODE_FAILURE);
	EXPECT_EQ(smmu_get_stats(r.s)->pri_resps, 3u);
	// Resp=11 is ILLEGAL: CERROR_ILL, nothing sent
	smmu_cmd_pri_resp(c, 3, false, 0, 7, 3);
	r.Cmd(c);
	EXPECT_EQ((r.R32(SMMU_REG_CMDQ_CONS) >> 24) & 0x7f, (uint32_t)SMMU_CERROR_ILL);
	EXPECT_EQ(r.pri_resps.size(), 3u);
}

TEST_F(Priq, PriRespIgnoredWhileSmmuDisabled)
{
	Init();
	uint32_t cr0 = r.R32(SMMU_REG_CR0);
	r.W32(SMMU_REG_CR0, cr0 & ~SMMU_CR0_SMMUEN);
	uint64_t c[2];
	smmu_cmd_pri_resp(c, 3, false, 0, 5, 2);
	r.Cmd(c);
	r.Sync();
	EXPECT_TRUE(r.pri_resps.empty());
	// and requests get Response Failure (effective PRIQEN is 0)
	EXPECT_EQ(P(5, 0x1000, true).code, SMMU_PRI_CODE_FAILURE);
}

} // namespace
