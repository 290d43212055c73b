// override_test.cc - STE attribute overrides (IHI 0070 §13, IDR1
// ATTR_PERMS_OVR / ATTR_TYPES_OVR): PRIVCFG and INSTCFG change what a
// transaction is checked with, so each one turns a permission outcome
// around; MTCFG/MemAttr, SHCFG and ALLOCCFG replace the incoming
// attributes the transaction carries (reported in smmu_xlate_result);
// without the IDR1 feature every field acts as "incoming".
#include "rig.h"

namespace {

struct Ovr : ::testing::Test {
	Rig r;
	smmu_pt pt;
	// A stage-1 stream at sid 3 with: 0x10000 privileged-only RW (AP[1]=0),
	// 0x11000 executable for nobody (UXN+PXN), STE fields from `tweak`.
	void Init(bool perms, bool types, void (*tweak)(smmu_ste_fields *))
	{
		r.cfg.attr_perms_ovr = perms;
		r.cfg.attr_types_ovr = types;
		r.Init();
		pt = r.NewPt(false, 12, 16);
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, false);
		a.ng = true;
		a.ap = SMMU_PT_AP_RW_PRIV;
		ASSERT_EQ(smmu_pt_map(&pt, 0x10000, 0x70000000, 0x1000, 12, &a), SMMU_PT_OK);
		smmu_pt_attr_default(&a, false);
		a.ng = true;
		a.uxn = a.pxn = true;
		ASSERT_EQ(smmu_pt_map(&pt, 0x11000, 0x70001000, 0x1000, 12, &a), SMMU_PT_OK);
		uint64_t cd[8], ste[8];
		smmu_build_cd(cd, pt.root, 7, 12, 48);
		smmu_ste_fields f;
		smmu_ste_fields_init(&f);
		smmu_ste_fields_s1(&f, r.PutCd(cd), 0, 0);
		tweak(&f);
		smmu_build_ste(&f, ste);
		r.SetSte(3, ste);
	}
};

// X(sid, addr, write, priv, exec)
TEST_F(Ovr, PrivcfgTurnsPrivilegeChecksAround)
{
	Init(true, true, [](smmu_ste_fields *f) { f->privcfg = 2; }); // force unprivileged
	auto x = r.X(3, 0x10000, false, /*priv=*/true);
	EXPECT_EQ(x.event, SMMU_EVT_F_PERMISSION); // checked as unprivileged
	EXPECT_FALSE(x.eff_priv);
}

TEST_F(Ovr, PrivcfgPrivilegedGrantsAnUnprivilegedTransaction)
{
	Init(true, true, [](smmu_ste_fields *f) { f->privcfg = 3; });
	auto x = r.X(3, 0x10000, false, /*priv=*/false);
	EXPECT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_TRUE(x.eff_priv);
}

TEST_F(Ovr, InstcfgTurnsExecuteChecksAround)
{
	Init(true, true, [](smmu_ste_fields *f) { f->instcfg = 3; }); // reads are instruction fetches
	auto x = r.X(3, 0x11000, false, true, false);
	EXPECT_EQ(x.event, SMMU_EVT_F_PERMISSION);
	EXPECT_TRUE(x.eff_inst);
}

TEST_F(Ovr, InstcfgDataLetsAnInstructionReadThrough)
{
	Init(true, true, [](smmu_ste_fields *f) { f->instcfg = 2; });
	auto x = r.X(3, 0x11000, false, true, /*exec=*/true);
	EXPECT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_FALSE(x.eff_inst);
}

TEST_F(Ovr, WithoutAttrPermsOvrTheFieldsAreIncoming)
{
	Init(false, true, [](smmu_ste_fields *f) {
		f->privcfg = 2;
		f->instcfg = 2;
	});
	EXPECT_EQ((r.R32(SMMU_REG_IDR1) >> 26) & 3, 2u); // TYPES on, PERMS off
	EXPECT_EQ(r.X(3, 0x10000, false, true).outcome, SMMU_XLATE_OK);
	EXPECT_EQ(r.X(3, 0x11000, false, true, true).event, SMMU_EVT_F_PERMISSION);
}

TEST(OvrTypes, BypassCarriesTheOverriddenAttributes)
{
	for (bool types : {true, false}) {
		Rig r;
		r.cfg.attr_types_ovr = types;
		r.Init();
		smmu_ste_fields f;
		smmu_ste_fields_init(&f);
		f.config = 4; // bypass
		f.mtcfg = true;
		f.memattr = 0x5; // Normal, outer/inner non-cacheable
		f.shcfg = 3;     // ISH
		f.alloccfg = 0xb; // 1RWT: override, R=0 W=1 T=1
		uint64_t ste[8];
		smmu_build_ste(&f, ste);
		r.SetSte(8, ste);
		auto x = r.X(8, 0x1234);
		ASSERT_EQ(x.outcome, SMMU_XLATE_OK);
		if (types) {
			EXPECT_EQ(x.attr_mt, 0x5u);
			EXPECT_EQ(x.attr_sh, 3u);
			EXPECT_EQ(x.attr_alloc, 0xbu);
		} else {
			EXPECT_EQ(x.attr_mt, SMMU_ATTR_INCOMING);
			EXPECT_EQ(x.attr_sh, SMMU_ATTR_INCOMING);
			EXPECT_EQ(x.attr_alloc, SMMU_ATTR_INCOMING);
		}
		// The same on the fast path (a µTLB hit of the same page).
		auto y = r.X(8, 0x1238);
		EXPECT_EQ(y.attr_sh, x.attr_sh);
	}
}

} // namespace
