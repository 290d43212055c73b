// arm-smmu-v3 driver model: STE transitions through real attaches
// (blocked <-> identity <-> S1 <-> S2 <-> nested), hitless vs breaking and
// the number of STE syncs (CFGI_STE + CMD_SYNC), as Linux's
// arm_smmu_write_entry sequences them (KUnit arm-smmu-v3-test.c).
//
// Differences from the KUnit numbers are the hardware's: the model has no
// IDR1.ATTR_TYPES_OVR, so bypass STEs carry no SHCFG and abort<->bypass
// and bypass<->CD-table take one step less; and real S2 domains have a
// VMID != 0, which makes S1<->S2 breaking (KUnit's S2 STE uses VMID 0).
#include "drv_fixture.h"

#include <map>
#include <string>

namespace
{

class Ste : public ::testing::Test
{
      protected:
	DrvRig r;
	arm_smmu_device *d = nullptr;
	arm_smmu_master *m = nullptr;
	std::map<std::string, arm_smmu_domain *> dom;
	arm_vsmmu *vsmmu = nullptr;

	void SetUp() override
	{
		d = r.AddProbed();
		ASSERT_NE(d, nullptr);
		m = r.Master(d, 0x42);
		dom["blocked"] = arm_smmu_blocked_domain();
		dom["identity"] = arm_smmu_identity_domain();
		dom["s1"] = r.Paging(m);
		dom["s1b"] = r.Paging(m);
		dom["s2"] = r.Paging(m, ARM_SMMU_ALLOC_NEST_PARENT);
		dom["s2b"] = r.Paging(m, ARM_SMMU_ALLOC_NEST_PARENT);
		CallRec rv =
		    r.Run([&](kcall *k) { return arm_vsmmu_alloc(m, dom["s2"], k, &vsmmu); });
		ASSERT_EQ(rv.rc, 0);
		ASSERT_EQ(0, arm_vsmmu_vdevice_set(vsmmu, m, 7));
		// vSTE: Cfg S1, a guest CD table at IPA 0x40000000.
		uint64_t vste[2] = {1 | (5ull << 1) | 0x40000000ull, 0};
		dom["nested"] = Nested(vste);
		uint64_t vbypass[2] = {1 | (4ull << 1), 0};
		dom["nested_bypass"] = Nested(vbypass);
		uint64_t vabort[2] = {0, 0};
		dom["nested_abort"] = Nested(vabort);
	}
	void TearDown() override
	{
		r.Attach(arm_smmu_blocked_domain(), m);
		for (auto n : {"nested", "nested_bypass", "nested_abort", "s1", "s1b", "s2b"})
			r.Free(dom[n]);
		r.Run([&](kcall *k) {
			arm_vsmmu_free(vsmmu, k);
			return 0;
		});
		r.Free(dom["s2"]);
		EXPECT_EQ(r.S(0).cerrors(), 0u);
	}
	arm_smmu_domain *Nested(const uint64_t vste[2])
	{
		arm_smmu_domain *n = nullptr;
		CallRec rc = r.Run(
		    [&](kcall *k) { return arm_smmu_domain_alloc_nested(vsmmu, 0, vste, k, &n); });
		EXPECT_EQ(rc.rc, 0);
		return n;
	}
	// Put the master on `from`, then move it to `to`; returns the move.
	CallRec Move(const std::string &from, const std::string &to)
	{
		EXPECT_EQ(r.Attach(dom[from], m).rc, 0);
		CallRec rec = r.Attach(dom[to], m);
		EXPECT_EQ(rec.rc, 0);
		EXPECT_EQ(arm_smmu_master_domain(m), dom[to]);
		return rec;
	}
};

struct Transition {
	const char *from, *to;
	uint32_t ste_syncs;
	bool hitless;
};

TEST_F(Ste, TransitionTable)
{
	const Transition table[] = {
	    {"blocked", "identity", 1, true}, // KUnit abort_to_bypass: 2 with SHCFG
	    {"identity", "blocked", 1, true}, // bypass_to_abort: 2 with SHCFG
	    {"blocked", "s1", 2, true},       // abort_to_cdtable
	    {"s1", "blocked", 2, true},       // cdtable_to_abort
	    {"identity", "s1", 2, true},      // bypass_to_cdtable: 3 with SHCFG
	    {"s1", "identity", 2, true},      // cdtable_to_bypass: 3 with SHCFG
	    {"blocked", "s2", 2, true},       // abort_to_s2
	    {"s2", "blocked", 2, true},       // s2_to_abort
	    {"identity", "s2", 2, true},      // bypass_to_s2
	    {"s2", "identity", 2, true},      // s2_to_bypass
	    {"s1", "s2", 3, false},           // s1_to_s2: hitless (3) only with VMID 0
	    {"s2", "s1", 3, false},           // s2_to_s1: likewise
	    {"s1", "s1b", 0, true},           // same CD table: only the CD changes
	    {"s2", "s2b", 3, false},          // VMID and S2TTB change: two qwords
	    {"s2", "nested", 2, true},        // parent S2 -> nested: qword 0 critical
	    {"nested", "s2", 2, true},        // MEV is safe: cleared with qword 0 staged
	    {"blocked", "nested", 2, true},
	    {"nested", "blocked", 2, true},
	    {"s1", "nested", 3, false},       // CD pointer and VMID both change
	    {"s2", "nested_bypass", 0, true}, // vSTE bypass = the parent's S2 STE
	    {"nested", "nested_abort", 2, true},
	    {"s2", "s2", 0, true}, // re-attach: nothing to write
	};
	for (const auto &t : table) {
		SCOPED_TRACE(std::string(t.from) + " -> " + t.to);
		CallRec rec = Move(t.from, t.to);
		EXPECT_EQ(rec.Count(SMMU_CMD_CFGI_STE), t.ste_syncs);
		EXPECT_EQ(rec.ste_writes, 1u);
		EXPECT_EQ(rec.ste_hitless, t.hitless ? 1u : 0u);
		EXPECT_EQ(rec.ste_breaking, !t.hitless);
		// Every STE step is CFGI_STE + SYNC, then one PREFETCH_CONFIG.
		EXPECT_EQ(rec.Count(SMMU_CMD_PREFETCH_CONFIG), 1u);
		EXPECT_GE(rec.syncs, t.ste_syncs);
	}
}

TEST_F(Ste, TargetStesAreWhatTheModelTranslates)
{
	uint64_t ste[8];
	ASSERT_EQ(r.Attach(dom["s1"], m).rc, 0);
	arm_smmu_master_ste(m, ste);
	EXPECT_EQ((ste[0] >> 1) & 7, 5u);
	EXPECT_EQ(ste[1] & 3, 2u);      // S1DSS = SSID0
	EXPECT_EQ(ste[2] & 0xffff, 0u); // S2VMID 0 for S1 STEs
	ASSERT_EQ(r.Attach(dom["s2"], m).rc, 0);
	arm_smmu_master_ste(m, ste);
	EXPECT_EQ((ste[0] >> 1) & 7, 6u);
	EXPECT_EQ(ste[2] & 0xffff, arm_smmu_domain_vmid(dom["s2"]));
	EXPECT_TRUE(ste[2] & (1ull << 54)); // S2PTW
	EXPECT_TRUE(ste[2] & (1ull << 58)); // S2R
	ASSERT_EQ(r.Attach(dom["nested"], m).rc, 0);
	arm_smmu_master_ste(m, ste);
	EXPECT_EQ((ste[0] >> 1) & 7, 7u);
	EXPECT_EQ(ste[0] & 0x000ffffffffffc0ull, 0x40000000ull);
	EXPECT_TRUE(ste[1] & (1ull << 19)); // MEV
	EXPECT_EQ(ste[2] & 0xffff, arm_smmu_domain_vmid(dom["s2"]));
	ASSERT_EQ(r.Attach(dom["nested_abort"], m).rc, 0);
	arm_smmu_master_ste(m, ste);
	EXPECT_EQ(ste[0], 1u);
}

TEST_F(Ste, ReplacingAnS1DomainRewritesTheCdNotTheSte)
{
	ASSERT_EQ(r.Attach(dom["s1"], m).rc, 0);
	CallRec rec = r.Attach(dom["s1b"], m);
	ASSERT_EQ(rec.rc, 0);
	EXPECT_EQ(rec.Count(SMMU_CMD_CFGI_STE), 0u);
	EXPECT_EQ(rec.cd_writes, 1u);
	// ASID (qword 0) and TTB0 (qword 1) change: V=0, fill, V=1.
	EXPECT_EQ(rec.Count(SMMU_CMD_CFGI_CD), 3u);
	// The old ASID had no user left: its TLB entries are flushed.
	EXPECT_EQ(rec.Count(SMMU_CMD_TLBI_NH_ASID), 1u);
	// The hardware now uses the new domain.
	uint64_t buf = r.Alloc(4096);
	ASSERT_EQ(r.Map(dom["s1b"], 0x5000, buf, 4096).rc, 0);
	auto x = r.Dma(0, 0x42, 0x5008);
	ASSERT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, buf + 8);
	EXPECT_EQ(x.asid, arm_smmu_domain_asid(dom["s1b"]));
}

TEST_F(Ste, StaleStesAreNeverUsedAfterAnAttach)
{
	// Warm the config cache with the S1 STE, move to S2, DMA sees S2.
	uint64_t b1 = r.Alloc(4096), b2 = r.Alloc(4096);
	ASSERT_EQ(r.Map(dom["s1"], 0x7000, b1, 4096).rc, 0);
	ASSERT_EQ(r.Map(dom["s2"], 0x7000, b2, 4096).rc, 0);
	ASSERT_EQ(r.Attach(dom["s1"], m).rc, 0);
	EXPECT_EQ(r.Dma(0, 0x42, 0x7000).pa, b1);
	ASSERT_EQ(r.Attach(dom["s2"], m).rc, 0);
	auto x = r.Dma(0, 0x42, 0x7000);
	ASSERT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, b2);
	ASSERT_EQ(r.Attach(dom["blocked"], m).rc, 0);
	EXPECT_EQ(r.Dma(0, 0x42, 0x7000).outcome, SMMU_XLATE_ABORT);
	r.Unmap(dom["s1"], 0x7000, 4096);
	r.Unmap(dom["s2"], 0x7000, 4096);
}

TEST(DrvAts, AtsMasterGetsEatsAndAtcFlushes)
{
	DrvRig r;
	arm_smmu_device *d = r.AddProbed();
	arm_smmu_master *m = r.Master(d, 0x50, /*ats=*/true);
	arm_smmu_domain *s1 = r.Paging(m);
	CallRec at = r.Attach(s1, m);
	ASSERT_EQ(at.rc, 0);
	uint64_t ste[8];
	arm_smmu_master_ste(m, ste);
	EXPECT_EQ((ste[1] >> 28) & 3, 1u); // EATS = full ATS
	// ATS turned on: the ATC is flushed first (ATC_INV + SYNC).
	EXPECT_EQ(at.Count(SMMU_CMD_ATC_INV), 1u);
	ASSERT_EQ(r.S(0).ats_invs.size(), 1u);
	EXPECT_EQ(r.S(0).ats_invs[0], 0x50u);
	// An unmap: TLBI, SYNC, then ATC_INV, SYNC (ATC after the TLBI completed).
	uint64_t buf = r.Alloc(4096);
	ASSERT_EQ(r.Map(s1, 0x3000, buf, 4096).rc, 0);
	CallRec un = r.Unmap(s1, 0x3000, 4096);
	std::vector<uint8_t> want = {SMMU_CMD_TLBI_NH_VA, SMMU_CMD_SYNC, SMMU_CMD_ATC_INV,
	                             SMMU_CMD_SYNC};
	EXPECT_EQ(un.ops, want);
	EXPECT_EQ(r.S(0).ats_invs.size(), 2u);
	// Blocked: ATS off, whole ATC invalidated.
	CallRec bl = r.Attach(arm_smmu_blocked_domain(), m);
	EXPECT_EQ(bl.Count(SMMU_CMD_ATC_INV), 1u);
	// ...and in that order: the STE without EATS is installed (CFGI_STE,
	// SYNC) before the whole-ATC flush, which its own SYNC completes
	// (arm_smmu_attach_commit), so the function can only lose ATS after
	// its ATC is empty.
	size_t last_cfgi = 0, atc = 0;
	for (size_t i = 0; i < bl.ops.size(); i++) {
		if (bl.ops[i] == SMMU_CMD_CFGI_STE)
			last_cfgi = i;
		if (bl.ops[i] == SMMU_CMD_ATC_INV)
			atc = i;
	}
	EXPECT_LT(last_cfgi, atc);
	ASSERT_LT(atc + 1, bl.ops.size());
	EXPECT_EQ(bl.ops[atc + 1], SMMU_CMD_SYNC);
	arm_smmu_master_ste(m, ste);
	EXPECT_EQ(ste[0], 1u);
	EXPECT_EQ(r.S(0).cerrors(), 0u);
	r.Free(s1);
}

} // namespace
