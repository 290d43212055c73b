// The hitless STE/CD writer (arm_smmu_write_entry, digest §3.5) on its own,
// case by case as Linux's KUnit arm-smmu-v3-test.c runs it: the same
// device features (STALLS | ATTR_TYPES_OVR), the same fake CD table
// (0xF0F0F0F0F0F0, S1CDMAX 0xFF, 64K leaves), S2 domain with VMID 0, and
// the same expected sync counts and hitless/breaking verdicts. Every sync
// also checks the KUnit invariant: an entry seen by the SMMU is either
// invalid or equal, in the bits it uses, to the initial or the target one.
#include <gtest/gtest.h>

#include <cstring>

extern "C" {
#include "arm_smmu_v3_internal.h"
}

namespace
{

struct Entry {
	uint64_t q[8] = {};
};

struct Recorder {
	bool cd;
	const uint64_t *init, *target;
	unsigned syncs = 0;
	bool invalid_written = false;
	bool torn = false; // an intermediate entry matched neither side

	static bool Differs(const uint64_t *e, const uint64_t *used, const uint64_t *t)
	{
		for (int i = 0; i < 8; i++)
			if ((e[i] & used[i]) != t[i])
				return true;
		return false;
	}
	static void Sync(void *ctx, const uint64_t entry[8], unsigned changed)
	{
		auto *r = static_cast<Recorder *>(ctx);
		EXPECT_NE(changed, 0u);
		r->syncs++;
		if (!entry[0]) {
			r->invalid_written = true;
			return;
		}
		uint64_t used[8];
		if (r->cd)
			arm_smmu_get_cd_used(entry, used);
		else
			arm_smmu_get_ste_used(entry, used);
		if (Differs(entry, used, r->init) && Differs(entry, used, r->target))
			r->torn = true;
	}
};

class Writer : public ::testing::Test
{
      protected:
	arm_smmu_device smmu{};
	Entry abort_ste, bypass_ste;

	void SetUp() override
	{
		smmu.features = ARM_SMMU_FEAT_STALLS | ARM_SMMU_FEAT_ATTR_TYPES_OVR;
		arm_smmu_make_abort_ste(abort_ste.q);
		arm_smmu_make_bypass_ste(&smmu, bypass_ste.q);
	}
	Entry CdTable(unsigned s1dss, uint64_t cdtab, bool ats)
	{
		arm_smmu_master m{};
		m.smmu = &smmu;
		m.cd.base = cdtab & STE_0_S1CTXPTR;
		m.cd.l2 = true;
		m.cd.s1cdmax = 0xFF;
		Entry e;
		arm_smmu_make_cdtable_ste(e.q, &m, ats, s1dss);
		return e;
	}
	Entry S2(bool ats)
	{
		io_pgtable_arm_regs r{};
		r.ttbr = 0xdaedbeefdeadbeefull & STE_3_S2TTB;
		r.oas_bits = 36; // ps 1
		r.sh = 3;
		r.orgn = 1;
		r.irgn = 2;
		r.sl = 3;
		r.tsz = 4;
		Entry e;
		arm_smmu_make_s2_ste_regs(e.q, &smmu, 0, &r, ats);
		return e;
	}
	Entry S1Cd(unsigned asid)
	{
		io_pgtable_arm_regs r{};
		r.ttbr = 0xdaedbeefdeadbeefull & CD_1_TTB0;
		r.oas_bits = 36;
		r.sh = 3;
		r.orgn = 1;
		r.irgn = 2;
		r.tsz = 4;
		r.mair = 0xabcdef012345678ull;
		Entry e;
		arm_smmu_make_s1_cd_regs(e.q, asid, &r);
		return e;
	}
	void Expect(bool cd, const Entry &cur, const Entry &target, unsigned syncs, bool hitless)
	{
		Entry e = cur;
		Recorder rec{cd, cur.q, target.q};
		bool h = arm_smmu_write_entry(cd, e.q, target.q, Recorder::Sync, &rec);
		EXPECT_EQ(rec.syncs, syncs);
		EXPECT_EQ(rec.invalid_written, !hitless);
		EXPECT_EQ(h, hitless);
		EXPECT_FALSE(rec.torn);
		EXPECT_EQ(0, memcmp(e.q, target.q, sizeof(e.q)));
	}
	void Ste(const Entry &cur, const Entry &target, unsigned syncs, bool hitless = true)
	{
		Expect(false, cur, target, syncs, hitless);
	}
};

constexpr uint64_t kCdTab = 0xF0F0F0F0F0F0ull;

TEST_F(Writer, BypassAbort)
{
	Ste(bypass_ste, abort_ste, 2);
	Ste(abort_ste, bypass_ste, 2);
}

TEST_F(Writer, CdTableAbortBypass)
{
	Entry c = CdTable(STE_1_S1DSS_SSID0, kCdTab, true);
	Ste(c, abort_ste, 2);
	Ste(abort_ste, c, 2);
	Ste(c, bypass_ste, 3);
	Ste(bypass_ste, c, 3);
}

TEST_F(Writer, CdTableS1dssChange)
{
	Entry c = CdTable(STE_1_S1DSS_SSID0, kCdTab, true);
	Entry b = CdTable(STE_1_S1DSS_BYPASS, kCdTab, true);
	Ste(c, b, 1);
	Ste(b, c, 1);
	Ste(b, bypass_ste, 2);
	Ste(bypass_ste, b, 2);
}

TEST_F(Writer, S2AbortBypassAndS1)
{
	Entry s2 = S2(true);
	Entry s1 = CdTable(STE_1_S1DSS_SSID0, kCdTab, true);
	Ste(s2, abort_ste, 2);
	Ste(abort_ste, s2, 2);
	Ste(s2, bypass_ste, 2);
	Ste(bypass_ste, s2, 2);
	Ste(s1, s2, 3);
	Ste(s2, s1, 3);
}

TEST_F(Writer, NonHitless)
{
	Entry a = CdTable(STE_1_S1DSS_SSID0, kCdTab, true);
	Entry b = CdTable(STE_1_S1DSS_BYPASS, 0x4B4B4b4B4Bull, true);
	Ste(a, b, 3, false);
}

TEST_F(Writer, SafeBitsKeepEatsAndMevChangesHitless)
{
	// EATS_TRANS and MEV may change in any order (get_update_safe): an
	// S2 STE gaining ATS and MEV in the same update is still one step.
	Entry a = S2(false), b = S2(true);
	b.q[1] |= STE_1_MEV;
	Ste(a, b, 1);
	Ste(b, a, 1);
}

TEST_F(Writer, CdClearAndAsidChange)
{
	Entry zero;
	Entry cd = S1Cd(1997);
	Expect(true, zero, cd, 2, false);
	Expect(true, cd, zero, 2, false);
	Entry a = S1Cd(778);
	Expect(true, a, cd, 1, true);
	Expect(true, cd, a, 1, true);
}

TEST_F(Writer, NothingToDoIsNoSync)
{
	Entry c = CdTable(STE_1_S1DSS_SSID0, kCdTab, false);
	Ste(c, c, 0);
}

} // namespace
