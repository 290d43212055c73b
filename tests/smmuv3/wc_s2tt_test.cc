// wc_s2tt_test.cc - the walk cache keeping the stage-2 translations made for
// nested stage-1 table fetches (parameter wc_s2tt): a nested walk whose
// stage-1 tables lie in stage-2 memory already translated reads fewer
// descriptors; TLBI_S2_IPA of that IPA and TLBI_S12_VMALL of the VMID
// remove them (the walk reads as much as without the cache again), another
// VMID's TLBI does not.
#include "rig.h"

namespace {

struct S2tt {
	Rig r;
	NestedSetup n;
	smmu_pt s1;
	// TLBs off (every translation walks), walk cache on.
	void Init(bool cache)
	{
		r.cfg.wc_s2tt = cache;
		r.cfg.utlb.enable = r.cfg.mtlb.enable = r.cfg.tlb.enable = false;
		r.Init();
		n.Build(r, 12, 9); // identity [0, 1G) with 2M stage-2 blocks
		s1 = r.NewPt(false, 12, 16);
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, false);
		a.ng = true;
		// Two pages under different level-1 entries: their level-2 and
		// level-3 tables are different pages of the same 2M block.
		ASSERT_EQ(smmu_pt_map(&s1, 0x00001000ull, 0x30000000, 0x1000, 12, &a), SMMU_PT_OK);
		ASSERT_EQ(smmu_pt_map(&s1, 0x80001000ull, 0x30001000, 0x1000, 12, &a), SMMU_PT_OK);
		uint64_t cd[8], ste[8];
		smmu_build_cd(cd, s1.root, 1, 12, 48);
		n.Ste(ste, r.PutCd(cd));
		r.SetSte(2, ste);
	}
	uint32_t Reads(uint64_t va)
	{
		auto x = r.X(2, va);
		EXPECT_EQ(x.outcome, SMMU_XLATE_OK);
		return x.mem_reads;
	}
	void Tlbi(const uint64_t c[2])
	{
		r.Cmd(c);
		r.Sync();
	}
};

TEST(WcS2tt, Stage1TableFetchesReuseStage2Translations)
{
	S2tt off, on;
	off.Init(false);
	on.Init(true);
	for (S2tt *t : {&off, &on})
		t->Reads(0x00001000ull); // the first walk fills the walk cache
	uint32_t without = off.Reads(0x80001000ull), with = on.Reads(0x80001000ull);
	EXPECT_LT(with, without);
	EXPECT_GT(smmu_get_stats(on.r.s)->wc_s2tt_hits, 0u);
	EXPECT_EQ(smmu_get_stats(off.r.s)->wc_s2tt_hits, 0u);
}

TEST(WcS2tt, Stage2TlbisRemoveThem)
{
	// Warm: the second page's walk reuses every cached translation.
	S2tt warm;
	warm.Init(true);
	warm.Reads(0x00001000ull);
	uint32_t hot = warm.Reads(0x80001000ull);

	for (int how = 0; how < 3; how++) {
		SCOPED_TRACE(how);
		S2tt t;
		t.Init(true);
		t.Reads(0x00001000ull);
		uint64_t c[2];
		if (how == 1) {
			// TLBI_S2_IPA over the first GiB (where the stage-1 tables are)
			for (uint64_t ipa = 0; ipa < (1ull << 30); ipa += 0x200000) {
				smmu_cmd_tlbi_s2_ipa(c, 9, ipa, nullptr);
				t.r.Cmd(c);
			}
			t.r.Sync();
		} else {
			// S12_VMALL of our VMID, or of another one
			smmu_cmd_tlbi_s12_vmall(c, how == 0 ? 9 : 10);
			t.Tlbi(c);
		}
		uint64_t hits = smmu_get_stats(t.r.s)->wc_s2tt_hits;
		uint32_t reads = t.Reads(0x80001000ull);
		if (how == 2) {
			EXPECT_EQ(reads, hot); // nothing of VMID 9 went
		} else {
			EXPECT_GT(reads, hot); // the table IPAs are walked at stage 2 again
		}
		EXPECT_GE(smmu_get_stats(t.r.s)->wc_s2tt_hits, hits);
	}
}

} // namespace
