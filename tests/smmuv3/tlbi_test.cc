// tlbi_test.cc - every invalidation removes exactly what it names
// (IHI 0070 §4.4), at a cost proportional to what it removes; CFGI; BTM.
#include "rig.h"

namespace {

// A bench of streams:
//   sid 1: nested, VMID 1, ASID 1     sid 2: nested, VMID 1, ASID 2 (global leaf at 0x3000)
//   sid 3: nested, VMID 2, ASID 1     sid 4: S2-only, VMID 1
//   sid 5: S1-only EL2 world           sid 6: S2-only, VMID 2
// Every stream maps VA/IPA 0x1000..0x8fff.
class Tlbi : public ::testing::Test {
protected:
	Rig r;
	NestedSetup n[2];
	void SetUp() override {
		r.Init();
		for (int v = 0; v < 2; v++) {
			n[v].Build(r, 12, (uint16_t)(v + 1));
			n[v].MapIpa(0x40000000, 0x70000000 + 0x100000ull * v, 0x10000);
		}
		AddNested(1, 0, 1, false);
		AddNested(2, 0, 2, true);
		AddNested(3, 1, 1, false);
		AddS2(4, 1);
		AddEl2(5);
		AddS2(6, 2);
	}
	void AddNested(uint32_t sid, int v, uint16_t asid, bool global_3000) {
		smmu_pt s1 = r.NewPt(false, 12, 16);
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, false);
		a.ng = true;
		for (uint64_t va = 0x1000; va < 0x9000; va += 0x1000) {
			a.ng = !(global_3000 && va == 0x3000);
			ASSERT_EQ(smmu_pt_map(&s1, va, 0x40000000 + va, 0x1000, 12, &a), SMMU_PT_OK);
		}
		uint64_t cd[8], ste[8];
		smmu_build_cd(cd, s1.root, asid, 12, 48);
		n[v].Ste(ste, r.PutCd(cd));
		r.SetSte(sid, ste);
	}
	void AddS2(uint32_t sid, uint16_t vmid) {
		smmu_ste_fields f;
		smmu_ste_fields_init(&f);
		ASSERT_TRUE(smmu_ste_fields_s2(&f, vmid, 0, 12, 40));
		smmu_pt pt = r.NewPt(true, 12, f.s2t0sz, 1);
		f.s2ttb = pt.root;
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, true);
		ASSERT_EQ(smmu_pt_map(&pt, 0x1000, 0x78000000, 0x8000, 12, &a), SMMU_PT_OK);
		uint64_t ste[8];
		smmu_build_ste(&f, ste);
		r.SetSte(sid, ste);
	}
	void AddEl2(uint32_t sid) {
		smmu_pt pt = r.NewPt(false, 12, 16);
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, false);
		ASSERT_EQ(smmu_pt_map(&pt, 0x1000, 0x79000000, 0x8000, 12, &a), SMMU_PT_OK);
		uint64_t cd[8], ste[8];
		smmu_build_cd(cd, pt.root, 0, 12, 48);
		smmu_ste_fields f;
		smmu_ste_fields_init(&f);
		smmu_ste_fields_s1(&f, r.PutCd(cd), 0, 0);
		f.strw = 2;
		smmu_build_ste(&f, ste);
		r.SetSte(sid, ste);
	}
	// Warm every stream on pages 0x1000..0x8000.
	void Warm() {
		for (uint32_t sid = 1; sid <= 6; sid++)
			for (uint64_t va = 0x1000; va < 0x9000; va += 0x1000) {
				auto x = r.X(sid, va);
				ASSERT_EQ(x.outcome, SMMU_XLATE_OK) << "sid " << sid << " ev " << (int)x.event;
			}
	}
	// Is the translation still cached in some TLB (no walk needed)? The
	// bench warms more pages than the 32-entry uTLB holds.
	bool Cached(uint32_t sid, uint64_t va) {
		auto h = r.X(sid, va).hit;
		return h == SMMU_HIT_UTLB || h == SMMU_HIT_MTLB || h == SMMU_HIT_TLB;
	}
	void Run(const uint64_t c[2]) {
		r.Cmd(c);
		r.Sync();
		ASSERT_EQ(r.R32(SMMU_REG_GERROR) ^ r.R32(SMMU_REG_GERRORN), 0u);
	}
};

TEST_F(Tlbi, WarmStreamsAllHit)
{
	Warm();
	for (uint32_t sid = 1; sid <= 6; sid++)
		EXPECT_TRUE(Cached(sid, 0x5000)) << sid;
}

TEST_F(Tlbi, NhAllWithStage2ClearsOnlyThatVmidsStage1Entries)
{
	Warm();
	uint64_t c[2];
	smmu_cmd_tlbi_nh_all(c, 1);
	Run(c);
	EXPECT_FALSE(Cached(1, 0x5000));
	EXPECT_FALSE(Cached(2, 0x6000));
	EXPECT_FALSE(Cached(2, 0x3000)); // global entries of the VMID go too
	EXPECT_TRUE(Cached(3, 0x5000));  // other VMID
	EXPECT_TRUE(Cached(4, 0x5000));  // S2-only entries of VMID 1 stay
	EXPECT_TRUE(Cached(5, 0x5000));  // EL2
	EXPECT_TRUE(Cached(6, 0x5000));
}

TEST_F(Tlbi, NhAsidKeepsGlobalAndOtherAsids)
{
	Warm();
	uint64_t c[2];
	smmu_cmd_tlbi_nh_asid(c, 1, 2);
	Run(c);
	EXPECT_FALSE(Cached(2, 0x5000));
	EXPECT_TRUE(Cached(2, 0x3000)); // global
	EXPECT_TRUE(Cached(1, 0x5000)); // ASID 1 of VMID 1
	EXPECT_TRUE(Cached(3, 0x5000));
}

TEST_F(Tlbi, NhVaRemovesThatAsidsPageAndGlobalEntriesAtIt)
{
	Warm();
	uint64_t c[2];
	smmu_cmd_tlbi_nh_va(c, 1, 1, 0x3000, nullptr);
	Run(c);
	EXPECT_FALSE(Cached(1, 0x3000));
	EXPECT_FALSE(Cached(2, 0x3000)); // global at that VA, same VMID
	EXPECT_TRUE(Cached(1, 0x4000));
	EXPECT_TRUE(Cached(3, 0x3000)); // other VMID
	smmu_cmd_tlbi_nh_va(c, 1, 1, 0x5000, nullptr);
	Run(c);
	EXPECT_FALSE(Cached(1, 0x5000));
	EXPECT_TRUE(Cached(2, 0x5000)); // ASID 2, non-global
}

TEST_F(Tlbi, NhVaaRemovesEveryAsidOfTheVmid)
{
	Warm();
	uint64_t c[2];
	smmu_cmd_tlbi_nh_vaa(c, 1, 0x5000, nullptr);
	Run(c);
	EXPECT_FALSE(Cached(1, 0x5000));
	EXPECT_FALSE(Cached(2, 0x5000));
	EXPECT_TRUE(Cached(3, 0x5000));
	EXPECT_TRUE(Cached(1, 0x6000));
}

TEST_F(Tlbi, S2IpaRemovesStage2EntriesButNotCombinedOnes)
{
	Warm();
	uint64_t c[2];
	smmu_cmd_tlbi_s2_ipa(c, 1, 0x5000, nullptr);
	Run(c);
	EXPECT_FALSE(Cached(4, 0x5000)); // S2-only entry at that IPA
	EXPECT_TRUE(Cached(4, 0x6000));
	EXPECT_TRUE(Cached(6, 0x5000));  // other VMID
	// Combined S1+S2 entries are tagged by VA and need not be removed by
	// S2_IPA (IHI 0070 §4.4.3): software pairs it with NH_ALL.
	EXPECT_TRUE(Cached(1, 0x5000));
	smmu_cmd_tlbi_nh_all(c, 1);
	Run(c);
	EXPECT_FALSE(Cached(1, 0x5000));
}

TEST_F(Tlbi, S12VmallRemovesEveryStageOfTheVmid)
{
	Warm();
	uint64_t c[2];
	smmu_cmd_tlbi_s12_vmall(c, 1);
	Run(c);
	EXPECT_FALSE(Cached(1, 0x5000));
	EXPECT_FALSE(Cached(2, 0x3000));
	EXPECT_FALSE(Cached(4, 0x5000));
	EXPECT_TRUE(Cached(3, 0x5000));
	EXPECT_TRUE(Cached(6, 0x5000));
	EXPECT_TRUE(Cached(5, 0x5000));
}

TEST_F(Tlbi, El2AllRemovesOnlyEl2)
{
	Warm();
	uint64_t c[2];
	smmu_cmd_tlbi_el2_all(c);
	Run(c);
	EXPECT_FALSE(Cached(5, 0x5000));
	for (uint32_t sid : {1u, 3u, 4u, 6u})
		EXPECT_TRUE(Cached(sid, 0x5000)) << sid;
}

TEST_F(Tlbi, NsnhAllRemovesEveryEl1EntryButNotEl2)
{
	Warm();
	uint64_t c[2];
	smmu_cmd_tlbi_nsnh_all(c);
	Run(c);
	for (uint32_t sid : {1u, 2u, 3u, 4u, 6u})
		EXPECT_FALSE(Cached(sid, 0x5000)) << sid;
	EXPECT_TRUE(Cached(5, 0x5000));
}

TEST_F(Tlbi, RangeInvalidationRemovesExactlyTheRange)
{
	Warm();
	uint64_t c[2];
	smmu_cmd_range rg{};
	rg.tg = 1;    // 4K
	rg.num = 2;   // 3 pages
	rg.scale = 0;
	smmu_cmd_tlbi_nh_va(c, 1, 1, 0x4000, &rg);
	Run(c);
	EXPECT_TRUE(Cached(1, 0x3000));
	EXPECT_FALSE(Cached(1, 0x4000));
	EXPECT_FALSE(Cached(1, 0x5000));
	EXPECT_FALSE(Cached(1, 0x6000));
	EXPECT_TRUE(Cached(1, 0x7000));
	// SCALE: (NUM+1) * 2^SCALE pages: 1 * 2^3 = 8 pages from 0x1000 on S2.
	rg.num = 0;
	rg.scale = 3;
	smmu_cmd_tlbi_s2_ipa(c, 1, 0x1000, &rg);
	Run(c);
	for (uint64_t ipa = 0x1000; ipa < 0x9000; ipa += 0x1000)
		EXPECT_FALSE(Cached(4, ipa)) << std::hex << ipa;
	EXPECT_TRUE(Cached(6, 0x1000));
}

TEST_F(Tlbi, ReservedRangeEncodingIsIllegal)
{
	uint64_t c[2];
	smmu_cmd_range rg{};
	rg.tg = 1; // NUM=0, SCALE=0, TTL=0 with TG != 0 is reserved
	smmu_cmd_tlbi_nh_va(c, 1, 1, 0x4000, &rg);
	r.Cmd(c);
	EXPECT_NE(r.R32(SMMU_REG_GERROR) ^ r.R32(SMMU_REG_GERRORN), 0u);
	EXPECT_EQ((r.R32(SMMU_REG_CMDQ_CONS) >> 24) & 0x7f, (unsigned)SMMU_CERROR_ILL);
}

TEST_F(Tlbi, CfgiSteMakesANewSteVisible)
{
	Warm();
	uint64_t ste[8];
	smmu_build_ste_abort(ste);
	r.SetSte(4, ste);
	// Without CFGI the cached config is still used.
	EXPECT_EQ(r.X(4, 0x5000).outcome, SMMU_XLATE_OK);
	uint64_t c[2];
	smmu_cmd_cfgi_ste(c, 4, true);
	Run(c);
	EXPECT_EQ(r.X(4, 0x5000).outcome, SMMU_XLATE_ABORT);
	EXPECT_EQ(r.X(6, 0x5000).hit, SMMU_HIT_UTLB); // others keep their config
}

TEST_F(Tlbi, CfgiAllDropsEveryContext)
{
	Warm();
	uint64_t c[2];
	smmu_cmd_cfgi_all(c);
	Run(c);
	smmu_occupancy o;
	ASSERT_EQ(smmu_get_occupancy(r.s, 0, &o), SMMU_OK);
	EXPECT_EQ(o.cfgc, 0u);
	EXPECT_GT(o.tlb, 0u); // CFGI never touches TLBs
}

// Cost is proportional to what is removed, not to how full the caches are.
TEST_F(Tlbi, InvalidationCostFollowsWhatItRemoves)
{
	Warm();
	uint64_t c[2];
	smmu_cmd_tlbi_s12_vmall(c, 2); // VMID 2: streams 3 and 6
	r.cmds.clear();
	Run(c);
	ASSERT_GE(r.cmds.size(), 2u);
	auto big = r.cmds[0];
	EXPECT_EQ(big.op, SMMU_CMD_TLBI_S12_VMALL);
	EXPECT_GT(big.removed, 16u);
	smmu_cmd_tlbi_s12_vmall(c, 2); // nothing left to remove
	r.cmds.clear();
	Run(c);
	auto small = r.cmds[0];
	EXPECT_EQ(small.removed, 0u);
	EXPECT_GT(big.done - big.start, small.done - small.start);
}

TEST_F(Tlbi, BtmBroadcastRemovesMatchingEntriesOnlyWhenEnabled)
{
	// BTM is off in the default configuration: a broadcast is ignored.
	Warm();
	struct smmu_btm_tlbi b{};
	b.op = SMMU_BTM_VMALLE1IS;
	b.vmid = 1;
	uint32_t removed = 99;
	ASSERT_EQ(smmu_btm_tlbi(r.s, &b, r.now, &removed), SMMU_OK);
	EXPECT_EQ(removed, 0u);
	EXPECT_TRUE(Cached(1, 0x5000));
}

TEST(TlbiBtm, BroadcastVmalle1RemovesTheVmidWhenBtmOnAndPtmZero)
{
	for (int ptm = 0; ptm < 2; ptm++) {
		Rig r;
		r.cfg.btm = true;
		r.Init();
		NestedSetup n;
		n.Build(r, 12, 7);
		n.MapIpa(0x40000000, 0x70000000, 0x1000);
		smmu_pt s1 = r.NewPt(false, 12, 16);
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, false);
		ASSERT_EQ(smmu_pt_map(&s1, 0x1000, 0x40000000, 0x1000, 12, &a), SMMU_PT_OK);
		uint64_t cd[8], ste[8];
		smmu_build_cd(cd, s1.root, 1, 12, 48);
		n.Ste(ste, r.PutCd(cd));
		r.SetSte(1, ste);
		if (ptm) {
			r.W32(SMMU_REG_CR0, SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN);
			r.W32(SMMU_REG_CR2, SMMU_CR2_PTM);
			r.W32(SMMU_REG_CR0, SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN | SMMU_CR0_SMMUEN);
		}
		EXPECT_EQ(r.X(1, 0x1000).outcome, SMMU_XLATE_OK);
		EXPECT_EQ(r.X(1, 0x1000).hit, SMMU_HIT_UTLB);
		struct smmu_btm_tlbi b{};
		b.op = SMMU_BTM_VMALLE1IS;
		b.vmid = 8; // another VMID: nothing
		uint32_t removed = 0;
		ASSERT_EQ(smmu_btm_tlbi(r.s, &b, r.now, &removed), SMMU_OK);
		EXPECT_EQ(removed, 0u);
		b.vmid = 7;
		ASSERT_EQ(smmu_btm_tlbi(r.s, &b, r.now, &removed), SMMU_OK);
		if (ptm) {
			EXPECT_EQ(removed, 0u);
			EXPECT_EQ(r.X(1, 0x1000).hit, SMMU_HIT_UTLB);
		} else {
			EXPECT_GT(removed, 0u);
			EXPECT_NE(r.X(1, 0x1000).hit, SMMU_HIT_UTLB);
		}
	}
}

} // namespace

namespace {

// NS-EL2-E2H streams carry ASIDs; EL2_ASID / EL2_VA / EL2_VAA select by them.
class TlbiE2h : public ::testing::Test {
protected:
	Rig r;
	void SetUp() override {
		r.Init();
		r.W32(SMMU_REG_CR0, SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN);
		r.W32(SMMU_REG_CR2, SMMU_CR2_E2H);
		r.W32(SMMU_REG_CR0, SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN | SMMU_CR0_SMMUEN);
		for (uint16_t asid = 1; asid <= 2; asid++) {
			smmu_pt pt = r.NewPt(false, 12, 16);
			smmu_pt_attr a;
			smmu_pt_attr_default(&a, false);
			a.ng = true;
			ASSERT_EQ(smmu_pt_map(&pt, 0x1000, 0x7A000000 + 0x100000ull * asid, 0x4000, 12, &a),
				  SMMU_PT_OK);
			uint64_t cd[8], ste[8];
			smmu_build_cd(cd, pt.root, asid, 12, 48);
			smmu_ste_fields f;
			smmu_ste_fields_init(&f);
			smmu_ste_fields_s1(&f, r.PutCd(cd), 0, 0);
			f.strw = 2;
			smmu_build_ste(&f, ste);
			r.SetSte(asid, ste);
		}
		for (uint32_t sid = 1; sid <= 2; sid++)
			for (uint64_t va = 0x1000; va < 0x5000; va += 0x1000) {
				auto x = r.X(sid, va);
				ASSERT_EQ(x.outcome, SMMU_XLATE_OK);
				ASSERT_EQ(x.world, 2u); // NS-EL2-E2H
				ASSERT_EQ(x.asid, sid);
			}
	}
	bool Cached(uint32_t sid, uint64_t va) { return r.X(sid, va).hit == SMMU_HIT_UTLB; }
	void Run(const uint64_t c[2]) {
		r.Cmd(c);
		r.Sync();
	}
};

TEST_F(TlbiE2h, El2AsidRemovesOnlyThatAsid)
{
	uint64_t c[2];
	smmu_cmd_tlbi_el2_asid(c, 2);
	Run(c);
	EXPECT_FALSE(Cached(2, 0x1000));
	EXPECT_TRUE(Cached(1, 0x1000));
}

TEST_F(TlbiE2h, El2VaRemovesThatAsidsPageAndVaaEveryAsid)
{
	uint64_t c[2];
	smmu_cmd_tlbi_el2_va(c, 1, 0x2000, nullptr);
	Run(c);
	EXPECT_FALSE(Cached(1, 0x2000));
	EXPECT_TRUE(Cached(2, 0x2000));
	EXPECT_TRUE(Cached(1, 0x3000));
	smmu_cmd_tlbi_el2_vaa(c, 0x3000, nullptr);
	Run(c);
	EXPECT_FALSE(Cached(1, 0x3000));
	EXPECT_FALSE(Cached(2, 0x3000));
	EXPECT_TRUE(Cached(2, 0x4000));
}

TEST_F(TlbiE2h, NhCommandsDoNotTouchEl2Entries)
{
	uint64_t c[2];
	smmu_cmd_tlbi_nsnh_all(c);
	Run(c);
	smmu_cmd_tlbi_nh_asid(c, 0, 1);
	Run(c);
	EXPECT_TRUE(Cached(1, 0x1000));
	EXPECT_TRUE(Cached(2, 0x1000));
}

} // namespace

namespace {

// CD.ASET=1 marks SMMU-local ASIDs: broadcast TLBIs (BTM) leave those entries
// alone, while the SMMU's own TLBI commands still remove them (§4.4: ASID
// matching in commands ignores ASET).
TEST(TlbiBtm, BroadcastsSkipSmmuLocalAsidsButCommandsDoNot)
{
	Rig r;
	r.cfg.btm = true;
	r.Init();
	NestedSetup n;
	n.Build(r, 12, 7);
	n.MapIpa(0x40000000, 0x70000000, 0x2000);
	for (int aset = 0; aset < 2; aset++) {
		smmu_pt s1 = r.NewPt(false, 12, 16);
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, false);
		a.ng = true;
		ASSERT_EQ(smmu_pt_map(&s1, 0x1000, 0x40000000 + 0x1000ull * aset, 0x1000, 12, &a),
			  SMMU_PT_OK);
		smmu_cd_fields cf;
		smmu_cd_fields_init(&cf);
		cf.ttb0 = s1.root;
		cf.asid = (uint16_t)(1 + aset);
		cf.aset = aset;
		uint64_t cd[8], ste[8];
		smmu_build_cd_fields(&cf, cd);
		n.Ste(ste, r.PutCd(cd));
		r.SetSte(1 + aset, ste);
		ASSERT_EQ(r.X(1 + aset, 0x1000).outcome, SMMU_XLATE_OK);
	}
	struct smmu_btm_tlbi b{};
	b.op = SMMU_BTM_VMALLE1IS;
	b.vmid = 7;
	uint32_t removed = 0;
	ASSERT_EQ(smmu_btm_tlbi(r.s, &b, r.now, &removed), SMMU_OK);
	EXPECT_GT(removed, 0u);
	EXPECT_NE(r.X(1, 0x1000).hit, SMMU_HIT_UTLB); // shared ASID: gone
	EXPECT_EQ(r.X(2, 0x1000).hit, SMMU_HIT_UTLB); // SMMU-local ASID: kept
	uint64_t c[2];
	smmu_cmd_tlbi_nh_all(c, 7);
	r.Cmd(c);
	r.Sync();
	EXPECT_NE(r.X(2, 0x1000).hit, SMMU_HIT_UTLB);
}

} // namespace
