// The bare-metal stale check (shim_cmdq_oracle): the scope each TLBI
// requires, decoded from hand-encoded commands (IHI 0070 §4.4 layouts:
// dw0 op[7:0] NUM[16:12] SCALE[25:20] VMID[47:32] ASID[63:48]; dw1 Leaf[0]
// TTL[9:8] TG[11:10] Addr[63:12]), completion by CMD_SYNC, and the ordering
// of walks against consumption.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "shim/shim.h"
#include "smmu/smmu.h"
#include "smmu/smmu_defs.h"

namespace {

struct Cmd {
	uint64_t w[2];
};

Cmd tlbi(uint8_t op, uint16_t vmid = 0, uint16_t asid = 0, uint64_t addr = 0, unsigned tg = 0,
	 unsigned num = 0, unsigned scale = 0, unsigned ttl = 0, bool leaf = false)
{
	Cmd c;
	c.w[0] = op | (uint64_t)(num & 0x1F) << 12 | (uint64_t)(scale & 0x3F) << 20 |
		 (uint64_t)vmid << 32 | (uint64_t)asid << 48;
	c.w[1] = (leaf ? 1u : 0u) | (uint64_t)(ttl & 3) << 8 | (uint64_t)(tg & 3) << 10 |
		 (addr & ~0xFFFull);
	return c;
}

Cmd sync_cmd()
{
	return Cmd{{SMMU_CMD_SYNC, 0}};
}

class CmdqOracle : public ::testing::Test {
protected:
	void SetUp() override { o_ = shim_cmdq_oracle_create(2); ASSERT_NE(o_, nullptr); }
	void TearDown() override { shim_cmdq_oracle_destroy(o_); }

	// Consume `c` on `smmu` at record `line`, finishing at cycle `done`.
	void cmd(const Cmd &c, uint32_t line, uint64_t done = 100, unsigned smmu = 0,
		 bool cerror = false)
	{
		shim_cmdq_oracle_cmd(o_, smmu, c.w, done - 1, done, cerror, line);
	}
	// An S1 4K page entry <NS-EL1, vmid, asid> at `base`, walked at line 10.
	shim_cmdq_dma entry(uint64_t base, uint16_t vmid = 1, uint32_t asid = 2)
	{
		shim_cmdq_dma d{};
		d.smmu = 0;
		d.device = "nic0";
		d.sid = 0x100;
		d.addr = base;
		d.pa = 0x80000000ull + (base & 0xFFFFF);
		d.cycle = 1000;
		d.hit = "mtlb";
		d.world = 0;
		d.vmid = vmid;
		d.asid = asid;
		d.level = 3;
		d.entry_base = base;
		d.entry_size = 0x1000;
		d.entry_out = d.pa;
		d.walk_origin = 10;
		d.entry_sid = 0x100;
		d.line = 30;
		return d;
	}
	bool stale(const shim_cmdq_dma &d, shim_violation *v = nullptr)
	{
		shim_violation tmp{};
		return shim_cmdq_oracle_dma(o_, &d, v ? v : &tmp) == 1;
	}
	shim_cmdq_oracle *o_ = nullptr;
};

TEST_F(CmdqOracle, VaInvalidationCompletedBySyncMakesTheOldEntryStale)
{
	cmd(tlbi(SMMU_CMD_TLBI_NH_VA, 1, 2, 0x5000), 20, 300);
	cmd(sync_cmd(), 20, 400);
	shim_violation v{};
	ASSERT_TRUE(stale(entry(0x5000), &v));
	EXPECT_EQ(v.kind, (unsigned)SHIM_VIOL_STALE);
	EXPECT_EQ(v.line, 30u);
	EXPECT_EQ(v.origin_line, 10u);
	EXPECT_STREQ(v.device, "nic0");
	EXPECT_STREQ(v.hit, "mtlb");
	EXPECT_EQ(v.entry_base, 0x5000u);
	std::string detail = v.detail;
	EXPECT_NE(detail.find("TLBI_NH_VA"), std::string::npos) << detail;
	EXPECT_NE(detail.find("walked at line 10"), std::string::npos) << detail;
	EXPECT_NE(detail.find("consumed at line 20"), std::string::npos) << detail;
	uint64_t consumed = 0, completed = 0, checked = 0;
	shim_cmdq_oracle_counts(o_, &consumed, &completed, &checked);
	EXPECT_EQ(consumed, 1u);
	EXPECT_EQ(completed, 1u);
	EXPECT_EQ(checked, 1u);
}

TEST_F(CmdqOracle, NotReportedCompleteIsNotStale)
{
	cmd(tlbi(SMMU_CMD_TLBI_NH_VA, 1, 2, 0x5000), 20, 300);
	EXPECT_FALSE(stale(entry(0x5000))) << "no CMD_SYNC yet";
	cmd(sync_cmd(), 21, 2000);
	EXPECT_FALSE(stale(entry(0x5000))) << "the SYNC completes at cycle 2000, the DMA looked up at 1000";
	shim_cmdq_dma later = entry(0x5000);
	later.cycle = 2000;
	EXPECT_TRUE(stale(later));
}

TEST_F(CmdqOracle, ASyncOnAnotherSmmuCompletesNothingHere)
{
	cmd(tlbi(SMMU_CMD_TLBI_NH_VA, 1, 2, 0x5000), 20, 300, 0);
	cmd(sync_cmd(), 20, 400, 1);
	EXPECT_FALSE(stale(entry(0x5000)));
}

// The mark settles what quiet() settles, per SMMU, as a compare.
TEST_F(CmdqOracle, QuietMarkIsTheLatestCompletedInvalidationsRecord)
{
	const uint32_t *m0 = shim_cmdq_oracle_quiet_mark(o_, 0);
	const uint32_t *m1 = shim_cmdq_oracle_quiet_mark(o_, 1);
	ASSERT_NE(m0, nullptr);
	ASSERT_NE(m1, nullptr);
	EXPECT_EQ(*m0, 0u);
	EXPECT_EQ(*shim_cmdq_oracle_quiet_mark(o_, 99), 0u) << "out of range: nothing to check";
	EXPECT_EQ(*shim_cmdq_oracle_quiet_mark(nullptr, 0), 0u);
	cmd(tlbi(SMMU_CMD_TLBI_NH_VA, 1, 2, 0x5000), 20, 300);
	EXPECT_EQ(*m0, 0u) << "consumed, not complete";
	cmd(sync_cmd(), 21, 400);
	EXPECT_EQ(*m0, 20u);
	EXPECT_EQ(*m1, 0u) << "the other SMMU";
	for (uint32_t walk : {0u, 10u, 19u, 20u, 25u})
		EXPECT_EQ(*m0 <= walk, shim_cmdq_oracle_quiet(o_, 0, walk) == 1) << walk;
	cmd(tlbi(SMMU_CMD_TLBI_NH_VA, 1, 2, 0x6000), 40, 500);
	cmd(sync_cmd(), 41, 600);
	EXPECT_EQ(*m0, 40u);
	EXPECT_EQ(shim_cmdq_oracle_quiet_mark(o_, 0), m0) << "the pointer is stable";
}

TEST_F(CmdqOracle, EntriesWalkedAfterTheInvalidationAreFresh)
{
	cmd(tlbi(SMMU_CMD_TLBI_NH_VA, 1, 2, 0x5000), 20, 300);
	cmd(sync_cmd(), 20, 400);
	shim_cmdq_dma d = entry(0x5000);
	d.walk_origin = 25;
	EXPECT_FALSE(stale(d));
	d = entry(0x5000);
	d.hit = "walk";
	EXPECT_FALSE(stale(d)) << "a fresh walk is never stale";
}

TEST_F(CmdqOracle, CommandsThatRaisedCerrorDidNothing)
{
	cmd(tlbi(SMMU_CMD_TLBI_NH_VA, 1, 2, 0x5000), 20, 300, 0, true);
	cmd(sync_cmd(), 20, 400);
	EXPECT_FALSE(stale(entry(0x5000)));
}

TEST_F(CmdqOracle, ScopeByTagAndAddress)
{
	cmd(tlbi(SMMU_CMD_TLBI_NH_VA, 1, 2, 0x5000), 20, 300);
	cmd(sync_cmd(), 20, 400);
	EXPECT_FALSE(stale(entry(0x6000))) << "other page";
	EXPECT_FALSE(stale(entry(0x5000, 1, 3))) << "other ASID, not global";
	EXPECT_FALSE(stale(entry(0x5000, 7, 2))) << "other VMID";
	shim_cmdq_dma g = entry(0x5000, 1, 3);
	g.global = true;
	EXPECT_TRUE(stale(g)) << "NH_VA removes global entries of the VMID at the VA";
	shim_cmdq_dma el2 = entry(0x5000);
	el2.world = 1;
	el2.asid = SMMU_ASID_NONE;
	EXPECT_FALSE(stale(el2)) << "NH_* never touch EL2 entries";
	shim_cmdq_dma block = entry(0x200000);
	block.entry_size = 0x200000;
	block.level = 2;
	cmd(tlbi(SMMU_CMD_TLBI_NH_VA, 1, 2, 0x3FF000), 40, 500);
	cmd(sync_cmd(), 40, 600);
	block.line = 50;
	EXPECT_TRUE(stale(block)) << "a 2 MB block containing the address";
}

TEST_F(CmdqOracle, AsidInvalidationsLeaveGlobalEntriesAlone)
{
	cmd(tlbi(SMMU_CMD_TLBI_NH_ASID, 1, 2), 20, 300);
	cmd(sync_cmd(), 20, 400);
	shim_cmdq_dma g = entry(0x5000);
	g.global = true;
	EXPECT_FALSE(stale(g));
	EXPECT_TRUE(stale(entry(0x7000)));
	cmd(tlbi(SMMU_CMD_TLBI_NH_ALL, 1), 40, 500);
	cmd(sync_cmd(), 40, 600);
	g.line = 50;
	EXPECT_TRUE(stale(g)) << "NH_ALL removes global entries too";
}

TEST_F(CmdqOracle, S2IpaNeedNotRemoveCombinedEntries)
{
	cmd(tlbi(SMMU_CMD_TLBI_S2_IPA, 1, 0, 0x5000), 20, 300);
	cmd(sync_cmd(), 20, 400);
	EXPECT_FALSE(stale(entry(0x5000))) << "combined S1+S2 entry (ASID-tagged)";
	shim_cmdq_dma s2 = entry(0x5000);
	s2.asid = SMMU_ASID_NONE;
	EXPECT_TRUE(stale(s2));
	cmd(tlbi(SMMU_CMD_TLBI_S12_VMALL, 1), 40, 500);
	cmd(sync_cmd(), 40, 600);
	shim_cmdq_dma c = entry(0x9000);
	c.line = 50;
	EXPECT_TRUE(stale(c)) << "S12_VMALL removes every entry of the VMID";
}

TEST_F(CmdqOracle, RangeInvalidationHonoursGranuleAndTtl)
{
	// TG=4K, NUM=1, SCALE=0: [0x10000, 0x12000).
	cmd(tlbi(SMMU_CMD_TLBI_NH_VA, 1, 2, 0x10000, 1, 1, 0, 0), 20, 300);
	cmd(sync_cmd(), 20, 400);
	EXPECT_TRUE(stale(entry(0x11000)));
	EXPECT_FALSE(stale(entry(0x12000))) << "just past the range";
	shim_cmdq_dma big = entry(0x10000);
	big.entry_size = 0x10000; // a 64K-granule page: not named by TG=4K
	EXPECT_FALSE(stale(big));
	shim_cmdq_dma block = entry(0x0);
	block.entry_size = 0x200000;
	block.level = 2; // a 4K-granule 2 MB block overlapping the range
	EXPECT_TRUE(stale(block));
	// TTL=3: only level-3 leaves are named.
	cmd(tlbi(SMMU_CMD_TLBI_NH_VA, 1, 2, 0x400000, 1, 1, 0, 3), 40, 500);
	cmd(sync_cmd(), 40, 600);
	shim_cmdq_dma b2 = entry(0x400000);
	b2.entry_size = 0x200000;
	b2.level = 2;
	b2.line = 50;
	EXPECT_FALSE(stale(b2));
	shim_cmdq_dma p3 = entry(0x401000);
	p3.line = 50;
	EXPECT_TRUE(stale(p3));
}

TEST_F(CmdqOracle, RangeNeverWrapsOffTheTopOfTtb0)
{
	// SCALE=40 from 2^55 - 4K: would run past bit 55 into the TTB1 half.
	uint64_t a = (1ull << 55) - 0x1000;
	cmd(tlbi(SMMU_CMD_TLBI_NH_VAA, 1, 0, a, 1, 0, 40, 0), 20, 300);
	cmd(sync_cmd(), 20, 400);
	EXPECT_TRUE(stale(entry(a)));
	EXPECT_FALSE(stale(entry(0xFF80000000000000ull))) << "TTB1 half need not be touched";
}

TEST_F(CmdqOracle, Ttb1AddressesCompareSignExtended)
{
	// Addr[63:56] zero, bit 55 set: the same VA as the sign-extended tag.
	cmd(tlbi(SMMU_CMD_TLBI_NH_VA, 1, 2, 0x00FF800000003000ull), 20, 300);
	cmd(sync_cmd(), 20, 400);
	EXPECT_TRUE(stale(entry(0xFFFF800000003000ull)));
}

TEST_F(CmdqOracle, El2Scopes)
{
	cmd(tlbi(SMMU_CMD_TLBI_NSNH_ALL), 20, 300);
	cmd(sync_cmd(), 20, 400);
	shim_cmdq_dma el2 = entry(0x5000);
	el2.world = 1;
	el2.vmid = 0;
	el2.asid = SMMU_ASID_NONE;
	EXPECT_FALSE(stale(el2)) << "NSNH_ALL leaves EL2 entries";
	cmd(tlbi(SMMU_CMD_TLBI_EL2_VA, 0, 9, 0x5000), 40, 500);
	cmd(sync_cmd(), 40, 600);
	el2.line = 50;
	EXPECT_TRUE(stale(el2)) << "EL2_VA on an EL2 (E2H=0) entry ignores the ASID";
	shim_cmdq_dma e2h = entry(0x5000);
	e2h.world = 2;
	e2h.vmid = 0;
	e2h.asid = 3;
	e2h.line = 50;
	EXPECT_FALSE(stale(e2h)) << "E2H entries match EL2_VA by ASID";
	cmd(tlbi(SMMU_CMD_TLBI_EL2_ASID, 0, 3), 60, 700);
	cmd(sync_cmd(), 60, 800);
	e2h.line = 70;
	EXPECT_TRUE(stale(e2h));
}

TEST_F(CmdqOracle, EachEntryIsFlaggedOncePerInvalidation)
{
	cmd(tlbi(SMMU_CMD_TLBI_NH_ASID, 1, 2), 20, 300);
	cmd(sync_cmd(), 20, 400);
	EXPECT_TRUE(stale(entry(0x5000)));
	EXPECT_FALSE(stale(entry(0x5000))) << "the same entry, the same invalidation";
	cmd(tlbi(SMMU_CMD_TLBI_NH_ALL, 1), 40, 500);
	cmd(sync_cmd(), 40, 600);
	EXPECT_TRUE(stale(entry(0x5000))) << "a second invalidation that missed it";
	EXPECT_TRUE(stale(entry(0x6000))) << "another entry";
}

TEST_F(CmdqOracle, NonTlbiCommandsRequireNothing)
{
	cmd(Cmd{{SMMU_CMD_CFGI_STE | (0x100ull << 32), 1}}, 20, 300);
	cmd(Cmd{{SMMU_CMD_PREFETCH_CONFIG, 0}}, 20, 310);
	cmd(sync_cmd(), 20, 400);
	EXPECT_FALSE(stale(entry(0x5000)));
	uint64_t consumed = 0;
	shim_cmdq_oracle_counts(o_, &consumed, nullptr, nullptr);
	EXPECT_EQ(consumed, 0u);
}

} // namespace
