// ste_cd_test.cc - STE / L1STD / CD / L1CD decoding and validation
// (models/smmuv3/src/ste_cd.c) and the public encoders (smmu/build_ste.h).
//
// Every ILLEGAL condition of SteIllegal() (IHI 0070 G.b §5.2.2) and CdIllegal()
// (§5.4.2) that applies to a Non-secure SMMU has one test asserting
// C_BAD_STE / C_BAD_CD, next to the legal neighbour that decodes, so each
// assertion can fail on its own.

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

extern "C" {
#include "ste_cd.h"
}
#include "smmu/build_ste.h"
#include "smmu/smmu_defs.h"

namespace {

constexpr int kBadSte = SMMU_EVT_C_BAD_STE;
constexpr int kBadCd = SMMU_EVT_C_BAD_CD;

// A current server-class SMMUv3.2: both stages, AArch64 tables only, all
// granules, 16-bit IDs, OAS 48, mixed endianness, stall and terminate.
smmu_caps Caps()
{
	smmu_caps c;
	std::memset(&c, 0, sizeof(c));
	c.minor_rev = 2;
	c.s1p = c.s2p = true;
	c.vmid16 = c.asid16 = true;
	c.hyp = true;
	c.cd2l = true;
	c.ats = true;
	c.ns1ats = false;
	c.pri = c.msi = c.sev = true;
	c.ttf = 2;
	c.ttendian = 0;
	c.stall_model = 0;
	c.term_model = false;
	c.httu = 2;
	c.gran4k = c.gran16k = c.gran64k = true;
	c.oas_bits = 48;
	c.ias_bits = 48;
	c.sidsize = 16;
	c.ssidsize = 20;
	c.st_level2 = true;
	c.ril = true;
	c.stt = false;
	c.fwb = true;
	c.xnx = true;
	c.attr_types_ovr = c.attr_perms_ovr = true;
	c.vax = 0;
	c.e2h = false;
	return c;
}

// The same with AArch32 tables too (IAS = MAX(40, OAS)).
smmu_caps CapsAArch32()
{
	smmu_caps c = Caps();
	c.ttf = 3;
	return c;
}

smmu_ste_fields SteFields()
{
	smmu_ste_fields f;
	smmu_ste_fields_init(&f);
	return f;
}

smmu_ste_fields S1Fields()
{
	smmu_ste_fields f = SteFields();
	smmu_ste_fields_s1(&f, 0x100000, 0, 0);
	return f;
}

// Stage 2: VMID 1, 4 KB granule, 40-bit IPA (S2T0SZ 24, SL0 1: level 1 with
// two concatenated tables).
smmu_ste_fields S2Fields()
{
	smmu_ste_fields f = SteFields();
	EXPECT_TRUE(smmu_ste_fields_s2(&f, 1, 0x80000, 12, 40));
	return f;
}

smmu_ste_fields NestedFields()
{
	smmu_ste_fields f = S1Fields();
	EXPECT_TRUE(smmu_ste_fields_s2(&f, 1, 0x80000, 12, 40));
	return f;
}

// AArch32 (VMSAv8-32 LPAE) stage 2: T0SZ -8 (40-bit IPA), SL0 01 (level 1).
smmu_ste_fields S2AArch32Fields()
{
	smmu_ste_fields f = S2Fields();
	f.s2aa64 = false;
	f.s2t0sz = 0x8;
	f.s2sl0 = 1;
	f.s2_granule_shift = 12;
	return f;
}

int Decode(const smmu_ste_fields &f, const smmu_caps &c, smmu_ste *out = nullptr)
{
	uint64_t raw[8];
	smmu_ste tmp;
	smmu_build_ste(&f, raw);
	return smmu_ste_decode(raw, &c, out ? out : &tmp);
}

smmu_cd_fields CdFields()
{
	smmu_cd_fields f;
	smmu_cd_fields_init(&f);
	f.ttb0 = 0x40000;
	return f;
}

// A decoded, legal STE in the given StreamWorld (stage 1 only, or nested).
smmu_ste SteIn(smmu_caps c, int world, smmu_ste_fields f = S1Fields())
{
	f.strw = world == SMMU_WORLD_NS_EL1 ? 0 : 2;
	c.e2h = world == SMMU_WORLD_NS_EL2_E2H;
	smmu_ste ste;
	EXPECT_EQ(Decode(f, c, &ste), 0);
	EXPECT_EQ(ste.world, world);
	return ste;
}

int DecodeCd(const smmu_cd_fields &f, const smmu_ste &ste, const smmu_caps &c,
	     smmu_cd *out = nullptr)
{
	uint64_t raw[8];
	smmu_cd tmp;
	smmu_build_cd_fields(&f, raw);
	return smmu_cd_decode(raw, &ste, &c, out ? out : &tmp);
}

int DecodeCd(const smmu_cd_fields &f, const smmu_caps &c, smmu_cd *out = nullptr)
{
	return DecodeCd(f, SteIn(c, SMMU_WORLD_NS_EL1), c, out);
}

uint64_t Bits(uint64_t w, unsigned hi, unsigned lo)
{
	return (w >> lo) & ((hi - lo == 63) ? ~0ull : ((1ull << (hi - lo + 1)) - 1));
}

// ---------------------------------------------------------------------------
// STE: V and Config

TEST(SmmuSte, VZeroIsBadSte)
{
	smmu_ste_fields f = S1Fields();
	smmu_ste ste;
	EXPECT_EQ(Decode(f, Caps(), &ste), 0);
	EXPECT_TRUE(ste.v);
	f.v = false;
	EXPECT_EQ(Decode(f, Caps(), &ste), kBadSte);
	EXPECT_FALSE(ste.v);
	EXPECT_EQ(ste.config, 0);

	uint64_t raw[8];
	smmu_caps c = Caps();
	smmu_build_ste_invalid(raw);
	EXPECT_EQ(raw[0] & 1, 0u);
	EXPECT_EQ(smmu_ste_decode(raw, &c, &ste), kBadSte);
}

TEST(SmmuSte, AbortConfigsDecodeSilentlyWhateverTheOtherFields)
{
	for (unsigned cfg = 0; cfg < 4; cfg++) {
		// Fields that would be ILLEGAL for a translating Config are IGNORED.
		smmu_ste_fields f = S1Fields();
		f.config = (uint8_t)cfg;
		f.strw = 1;
		f.s1cdmax = 31;
		f.s1stalld = true;
		f.s2_granule_shift = 0;
		f.cont = 3;
		smmu_caps c = Caps();
		c.stall_model = 1;
		c.s1p = false;
		smmu_ste ste;
		EXPECT_EQ(Decode(f, c, &ste), 0) << "Config " << cfg;
		EXPECT_EQ(ste.config, SMMU_STE_CFG_ABORT) << "Config " << cfg;
		EXPECT_EQ(ste.world, SMMU_WORLD_NS_EL1);
		EXPECT_EQ(ste.cont, 3);
	}
	uint64_t raw[8];
	smmu_ste ste;
	smmu_caps c = Caps();
	smmu_build_ste_abort(raw);
	EXPECT_EQ(smmu_ste_decode(raw, &c, &ste), 0);
	EXPECT_EQ(ste.config, SMMU_STE_CFG_ABORT);
	EXPECT_TRUE(ste.v);
}

TEST(SmmuSte, BypassDecodesWithAttributeOverrides)
{
	smmu_ste_fields f = SteFields();
	f.config = SMMU_STE_CONFIG_BYPASS;
	f.mtcfg = true;
	f.memattr = 0xf;
	f.alloccfg = 0xa;
	f.shcfg = 2;
	f.privcfg = 3;
	f.instcfg = 2;
	f.s2vmid = 0x1234; // IGNORED for bypass
	smmu_caps c = Caps();
	c.vmid16 = false;  // ... so its high byte cannot make the STE ILLEGAL
	smmu_ste ste;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_EQ(ste.config, SMMU_STE_CFG_BYPASS);
	EXPECT_EQ(ste.world, SMMU_WORLD_NS_EL1);
	EXPECT_TRUE(ste.mtcfg);
	EXPECT_EQ(ste.memattr, 0xf);
	EXPECT_EQ(ste.alloccfg, 0xa);
	EXPECT_EQ(ste.shcfg, 2);
	EXPECT_EQ(ste.privcfg, 3);
	EXPECT_EQ(ste.instcfg, 2);
	EXPECT_EQ(ste.s2vmid, 0);
	EXPECT_FALSE(ste.s2.stage2);

	uint64_t raw[8];
	smmu_build_ste_bypass(raw);
	EXPECT_EQ(smmu_ste_decode(raw, &c, &ste), 0);
	EXPECT_EQ(ste.config, SMMU_STE_CFG_BYPASS);
	EXPECT_EQ(ste.shcfg, 1); // builder default: incoming
}

TEST(SmmuSte, Stage1ConfigWithoutS1PIsIllegal)
{
	smmu_caps c = Caps();
	EXPECT_EQ(Decode(S1Fields(), c), 0);
	EXPECT_EQ(Decode(NestedFields(), c), 0);
	c.s1p = false;
	EXPECT_EQ(Decode(S1Fields(), c), kBadSte);
	EXPECT_EQ(Decode(NestedFields(), c), kBadSte);
	EXPECT_EQ(Decode(S2Fields(), c), 0);
}

TEST(SmmuSte, Stage2ConfigWithoutS2PIsIllegal)
{
	smmu_caps c = Caps();
	EXPECT_EQ(Decode(S2Fields(), c), 0);
	c.s2p = false;
	c.hyp = false;
	EXPECT_EQ(Decode(S2Fields(), c), kBadSte);
	EXPECT_EQ(Decode(NestedFields(), c), kBadSte);
	EXPECT_EQ(Decode(S1Fields(), c), 0);
}

// ---------------------------------------------------------------------------
// STE: EATS (only with IDR0.ATS and Config != x00)

TEST(SmmuSte, EatsSplitStageWithoutNestingIsIllegal)
{
	smmu_ste_fields f = NestedFields();
	f.eats = 2;
	smmu_ste ste;
	ASSERT_EQ(Decode(f, Caps(), &ste), 0);
	EXPECT_EQ(ste.eats, 2);
	f = S1Fields();
	f.eats = 2;
	EXPECT_EQ(Decode(f, Caps()), kBadSte);
	f = S2Fields();
	f.eats = 2;
	EXPECT_EQ(Decode(f, Caps()), kBadSte);
}

TEST(SmmuSte, EatsSplitStageWithS2SIsIllegal)
{
	smmu_ste_fields f = NestedFields();
	f.eats = 2;
	EXPECT_EQ(Decode(f, Caps()), 0);
	f.s2s = true;
	EXPECT_EQ(Decode(f, Caps()), kBadSte);
}

TEST(SmmuSte, EatsSplitStageWithNs1atsIsIllegal)
{
	smmu_ste_fields f = NestedFields();
	f.eats = 2;
	smmu_caps c = Caps();
	EXPECT_EQ(Decode(f, c), 0);
	c.ns1ats = true; // split-stage ATS not supported
	EXPECT_EQ(Decode(f, c), kBadSte);
}

TEST(SmmuSte, EatsFullAtsWithStage2StallIsIllegal)
{
	smmu_ste_fields f = S2Fields();
	f.eats = 1;
	smmu_ste ste;
	ASSERT_EQ(Decode(f, Caps(), &ste), 0);
	EXPECT_EQ(ste.eats, 1);
	f.s2s = true;
	EXPECT_EQ(Decode(f, Caps()), kBadSte);
	f = NestedFields();
	f.eats = 1;
	f.s2s = true;
	EXPECT_EQ(Decode(f, Caps()), kBadSte);
	// S2S is IGNORED when stage 2 is disabled.
	f = S1Fields();
	f.eats = 1;
	f.s2s = true;
	EXPECT_EQ(Decode(f, Caps()), 0);
}

TEST(SmmuSte, EatsIgnoredWithoutAtsOrForBypass)
{
	smmu_ste_fields f = S1Fields();
	f.eats = 2;
	smmu_caps c = Caps();
	EXPECT_EQ(Decode(f, c), kBadSte);
	c.ats = false;
	smmu_ste ste;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_EQ(ste.eats, 0);

	f = SteFields();
	f.config = SMMU_STE_CONFIG_BYPASS;
	f.eats = 2;
	ASSERT_EQ(Decode(f, Caps(), &ste), 0);
	EXPECT_EQ(ste.eats, 0);
}

TEST(SmmuSte, Eats11WithoutDptActsAs00)
{
	smmu_ste_fields f = S1Fields();
	f.eats = 3;
	f.strw = 2;
	smmu_ste ste;
	ASSERT_EQ(Decode(f, Caps(), &ste), 0);
	EXPECT_EQ(ste.eats, 0);
}

// ---------------------------------------------------------------------------
// STE: STRW and StreamWorld

TEST(SmmuSte, StrwX1IsIllegalWhenUsed)
{
	smmu_ste_fields f = S1Fields();
	for (unsigned strw : {0u, 2u}) {
		f.strw = (uint8_t)strw;
		EXPECT_EQ(Decode(f, Caps()), 0) << "STRW " << strw;
	}
	for (unsigned strw : {1u, 3u}) {
		f.strw = (uint8_t)strw;
		EXPECT_EQ(Decode(f, Caps()), kBadSte) << "STRW " << strw;
	}
}

TEST(SmmuSte, StrwIgnoredWithStage2AndBypass)
{
	smmu_caps c = Caps();
	c.e2h = true;
	for (unsigned strw = 0; strw < 4; strw++) {
		smmu_ste_fields fs[3] = {S2Fields(), NestedFields(), SteFields()};
		fs[2].config = SMMU_STE_CONFIG_BYPASS;
		for (smmu_ste_fields &f : fs) {
			f.strw = (uint8_t)strw;
			smmu_ste ste;
			ASSERT_EQ(Decode(f, c, &ste), 0)
				<< "STRW " << strw << " Config " << +f.config;
			EXPECT_EQ(ste.world, SMMU_WORLD_NS_EL1);
			EXPECT_EQ(ste.strw, 0);
		}
	}
}

TEST(SmmuSte, StrwIgnoredWithoutHyp)
{
	smmu_caps c = Caps();
	c.hyp = false;
	smmu_ste_fields f = S1Fields();
	smmu_ste ste;
	f.strw = 1;
	EXPECT_EQ(Decode(f, c, &ste), 0);
	f.strw = 2;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_EQ(ste.world, SMMU_WORLD_NS_EL1);
	// With Hyp, the same STE selects EL2.
	ASSERT_EQ(Decode(f, Caps(), &ste), 0);
	EXPECT_EQ(ste.world, SMMU_WORLD_NS_EL2);
}

struct WorldCase {
	uint8_t strw;
	bool e2h;
	int world;
};

class SmmuSteWorld : public ::testing::TestWithParam<WorldCase> {};

TEST_P(SmmuSteWorld, StreamWorldFromStrwAndE2H)
{
	const WorldCase &p = GetParam();
	smmu_caps c = Caps();
	c.e2h = p.e2h;
	smmu_ste_fields f = S1Fields();
	f.strw = p.strw;
	smmu_ste ste;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_EQ(ste.world, p.world);
	EXPECT_EQ(ste.strw, p.strw);
}

INSTANTIATE_TEST_SUITE_P(AllStrw, SmmuSteWorld,
			 ::testing::Values(WorldCase{0, false, SMMU_WORLD_NS_EL1},
					   WorldCase{0, true, SMMU_WORLD_NS_EL1},
					   WorldCase{2, false, SMMU_WORLD_NS_EL2},
					   WorldCase{2, true, SMMU_WORLD_NS_EL2_E2H}));

// ---------------------------------------------------------------------------
// STE: stage 1 checks

TEST(SmmuSte, S1StalldWithoutStallSupportIsIllegal)
{
	smmu_ste_fields f = S1Fields();
	f.s1stalld = true;
	smmu_caps c = Caps();
	smmu_ste ste;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_TRUE(ste.s1stalld);
	c.stall_model = 1;
	EXPECT_EQ(Decode(f, c), kBadSte);
	c.stall_model = 2;
	f.s2s = true;
	EXPECT_EQ(Decode(f, c), kBadSte);
	// S1STALLD is IGNORED without stage 1.
	smmu_ste_fields g = S2Fields();
	g.s1stalld = true;
	c.stall_model = 1;
	EXPECT_EQ(Decode(g, c), 0);
}

TEST(SmmuSte, S1CdMaxAboveSsidSizeIsIllegal)
{
	smmu_caps c = Caps();
	c.ssidsize = 10;
	smmu_ste_fields f = S1Fields();
	f.s1cdmax = 10;
	smmu_ste ste;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_EQ(ste.s1cdmax, 10);
	f.s1cdmax = 11;
	EXPECT_EQ(Decode(f, c), kBadSte);
	// Without substreams S1CDMax is not checked and is effectively 0.
	c.ssidsize = 0;
	f.s1cdmax = 31;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_EQ(ste.s1cdmax, 0);
}

TEST(SmmuSte, S1Fmt2LevelWithoutCd2lIsIllegal)
{
	smmu_caps c = Caps();
	for (unsigned fmt = 0; fmt < 4; fmt++) {
		smmu_ste_fields f = S1Fields();
		f.s1cdmax = 8;
		f.s1fmt = (uint8_t)fmt;
		c.cd2l = true;
		EXPECT_EQ(Decode(f, c), 0) << "S1Fmt " << fmt;
		c.cd2l = false;
		bool two_level = fmt == 1 || fmt == 2;
		EXPECT_EQ(Decode(f, c), two_level ? kBadSte : 0) << "S1Fmt " << fmt;
		// S1Fmt only matters with substreams.
		f.s1cdmax = 0;
		EXPECT_EQ(Decode(f, c), 0) << "S1Fmt " << fmt;
	}
}

TEST(SmmuSte, S1ContextPtrOutOfRangeIsIllegal)
{
	// OAS 36 with AArch32 support: IAS = 40 > OAS.
	smmu_caps c = CapsAArch32();
	c.oas_bits = 36;
	c.ias_bits = 40;
	smmu_ste_fields f = S1Fields();
	f.s1ctxptr = (1ull << 36) - 64;
	EXPECT_EQ(Decode(f, c), 0);
	f.s1ctxptr = 1ull << 36; // a PA: checked against OAS
	EXPECT_EQ(Decode(f, c), kBadSte);

	smmu_ste_fields n = NestedFields();
	n.s2ttb = 0x80000;
	n.s1ctxptr = 1ull << 36; // an IPA: checked against IAS
	smmu_ste ste;
	ASSERT_EQ(Decode(n, c, &ste), 0);
	EXPECT_EQ(ste.s1ctxptr, 1ull << 36);
	n.s1ctxptr = (1ull << 40) - 64;
	EXPECT_EQ(Decode(n, c), 0);
	n.s1ctxptr = 1ull << 40;
	EXPECT_EQ(Decode(n, c), kBadSte);
}

TEST(SmmuSte, Stage1FieldsDecode)
{
	smmu_ste_fields f = S1Fields();
	f.s1ctxptr = 0x0000123456789ac0ull;
	f.s1cdmax = 12;
	f.s1fmt = 2;
	f.s1dss = 2;
	f.s1cir = 2;
	f.s1cor = 3;
	f.s1csh = 2;
	smmu_ste ste;
	ASSERT_EQ(Decode(f, Caps(), &ste), 0);
	EXPECT_EQ(ste.config, SMMU_STE_CFG_S1);
	EXPECT_EQ(ste.s1ctxptr, 0x0000123456789ac0ull);
	EXPECT_EQ(ste.s1cdmax, 12);
	EXPECT_EQ(ste.s1fmt, 2);
	EXPECT_EQ(ste.s1dss, 2);
	EXPECT_EQ(ste.s1cir, 2);
	EXPECT_EQ(ste.s1cor, 3);
	EXPECT_EQ(ste.s1csh, 2);
	EXPECT_FALSE(ste.s2.stage2);
	// Reserved encodings: S1Fmt 11 and S1DSS 11 act as 00; S1CSH 01 as 00.
	f.s1fmt = 3;
	f.s1dss = 3;
	f.s1csh = 1;
	ASSERT_EQ(Decode(f, Caps(), &ste), 0);
	EXPECT_EQ(ste.s1fmt, 0);
	EXPECT_EQ(ste.s1dss, 0);
	EXPECT_EQ(ste.s1csh, 0);
}

// ---------------------------------------------------------------------------
// STE: stage 2 checks

TEST(SmmuSte, S2FwbWithAArch32IsIllegal)
{
	smmu_caps c = CapsAArch32();
	smmu_ste_fields f = S2AArch32Fields();
	smmu_ste ste;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	f.s2fwb = true;
	EXPECT_EQ(Decode(f, c), kBadSte);
	c.fwb = false; // S2FWB RES0 and ignored without IDR3.FWB
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_FALSE(ste.s2fwb);
	// AArch64 stage 2 may use FWB.
	smmu_ste_fields g = S2Fields();
	g.s2fwb = true;
	ASSERT_EQ(Decode(g, CapsAArch32(), &ste), 0);
	EXPECT_TRUE(ste.s2fwb);
}

TEST(SmmuSte, S2SWithTerminateOnlyStallModelIsIllegal)
{
	smmu_caps c = Caps();
	c.stall_model = 1;
	smmu_ste_fields f = S2Fields();
	EXPECT_EQ(Decode(f, c), 0);
	f.s2s = true;
	EXPECT_EQ(Decode(f, c), kBadSte);
	c.stall_model = 0;
	smmu_ste ste;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_TRUE(ste.s2s);
}

TEST(SmmuSte, ForcedStallWithoutS2SIsIllegal)
{
	smmu_caps c = Caps();
	c.stall_model = 2;
	smmu_ste_fields f = S2Fields();
	f.s2s = true;
	EXPECT_EQ(Decode(f, c), 0);
	f.s2s = false;
	EXPECT_EQ(Decode(f, c), kBadSte);
	// Only applies when stage 2 is enabled.
	EXPECT_EQ(Decode(S1Fields(), c), 0);
}

TEST(SmmuSte, S2AArch32WithoutTtf0IsIllegal)
{
	smmu_caps c = CapsAArch32();
	EXPECT_EQ(Decode(S2AArch32Fields(), c), 0);
	c.ttf = 2;
	EXPECT_EQ(Decode(S2AArch32Fields(), c), kBadSte);
}

TEST(SmmuSte, S2AArch64WithoutTtf1IsIllegal)
{
	smmu_caps c = CapsAArch32();
	EXPECT_EQ(Decode(S2Fields(), c), 0);
	c.ttf = 1;
	c.ias_bits = 40;
	EXPECT_EQ(Decode(S2Fields(), c), kBadSte);
	EXPECT_EQ(Decode(S2AArch32Fields(), c), 0);
}

TEST(SmmuSte, S2HttuChecks)
{
	smmu_caps c = Caps();
	smmu_ste_fields f = S2Fields();
	smmu_ste ste;

	f.s2ha = true; // AF update
	c.httu = 0;
	EXPECT_EQ(Decode(f, c), kBadSte);
	c.httu = 1;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_TRUE(ste.s2ha);
	EXPECT_FALSE(ste.s2hd);

	f.s2hd = true; // dirty update needs HTTU 1x
	EXPECT_EQ(Decode(f, c), kBadSte);
	c.httu = 2;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_TRUE(ste.s2hd);

	// HD alone: {HA,HD} = 01 is reserved and behaves as 00.
	f.s2ha = false;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_FALSE(ste.s2ha);
	EXPECT_FALSE(ste.s2hd);
	c.httu = 0;
	EXPECT_EQ(Decode(f, c), kBadSte);
}

TEST(SmmuSte, S2HttuWithAArch32IsIllegal)
{
	smmu_caps c = CapsAArch32();
	smmu_ste_fields f = S2AArch32Fields();
	EXPECT_EQ(Decode(f, c), 0);
	f.s2ha = true;
	EXPECT_EQ(Decode(f, c), kBadSte);
	f.s2ha = false;
	f.s2hd = true;
	EXPECT_EQ(Decode(f, c), kBadSte);
}

TEST(SmmuSte, S2HaftWithoutS2HAIsIllegal)
{
	smmu_caps c = Caps();
	c.httu = 3;
	smmu_ste_fields f = S2Fields();
	f.s2ha = true;
	f.s2haft = true;
	smmu_ste ste;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_TRUE(ste.s2haft);
	f.s2ha = false;
	EXPECT_EQ(Decode(f, c), kBadSte);
	// HAFT is RES0 (ignored) unless HTTU == 11.
	c.httu = 2;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_FALSE(ste.s2haft);
}

TEST(SmmuSte, S2TgReservedIsIllegal)
{
	smmu_ste_fields f = S2Fields();
	f.s2_granule_shift = 0; // encodes S2TG = 11
	uint64_t raw[8];
	smmu_build_ste(&f, raw);
	EXPECT_EQ(Bits(raw[2], 47, 46), 3u);
	EXPECT_EQ(Decode(f, Caps()), kBadSte);
	// S2TG is RES0 for an AArch32 stage 2 (the granule is 4 KB).
	smmu_ste_fields g = S2AArch32Fields();
	g.s2_granule_shift = 0;
	smmu_ste ste;
	ASSERT_EQ(Decode(g, CapsAArch32(), &ste), 0);
	EXPECT_EQ(ste.s2.granule_shift, 12);
}

TEST(SmmuSte, S2TgUnsupportedIsIllegal)
{
	struct {
		unsigned shift;
		bool smmu_caps::*gran;
	} cases[] = {{12, &smmu_caps::gran4k},
		     {14, &smmu_caps::gran16k},
		     {16, &smmu_caps::gran64k}};
	for (auto &k : cases) {
		smmu_ste_fields f = SteFields();
		ASSERT_TRUE(smmu_ste_fields_s2(&f, 1, 0x100000, k.shift, 40));
		smmu_caps c = Caps();
		EXPECT_EQ(Decode(f, c), 0) << k.shift;
		c.*k.gran = false;
		EXPECT_EQ(Decode(f, c), kBadSte) << k.shift;
	}
}

TEST(SmmuSte, S2TtbOutsideEffectiveS2PSIsIllegal)
{
	smmu_ste_fields f = S2Fields();
	f.s2ps_bits = 40;
	f.s2ttb = (1ull << 40) - 0x2000;
	smmu_ste ste;
	ASSERT_EQ(Decode(f, Caps(), &ste), 0);
	EXPECT_EQ(ste.s2.ttb, (1ull << 40) - 0x2000);
	f.s2ttb = 1ull << 40;
	EXPECT_EQ(Decode(f, Caps()), kBadSte);

	// eff_S2PS = MIN(S2PS, OAS).
	smmu_caps c = Caps();
	c.oas_bits = 44;
	c.ias_bits = 44;
	f.s2ps_bits = 48;
	f.s2ttb = (1ull << 44) - 0x2000;
	EXPECT_EQ(Decode(f, c), 0);
	f.s2ttb = 1ull << 44;
	EXPECT_EQ(Decode(f, c), kBadSte);
}

TEST(SmmuSte, S2TtbAbove48BitsWithSmallGranuleIsIllegal)
{
	smmu_caps c = Caps();
	c.oas_bits = 52;
	c.ias_bits = 52;
	smmu_ste_fields f = S2Fields();
	f.s2ps_bits = 52;
	f.s2ttb = (1ull << 48) - 0x2000;
	EXPECT_EQ(Decode(f, c), 0);
	f.s2ttb = 1ull << 48;
	EXPECT_EQ(Decode(f, c), kBadSte);
	// The 64 KB granule may place its tables anywhere in 52 bits.
	ASSERT_TRUE(smmu_ste_fields_s2_geometry(&f, 16, 40));
	f.s2ttb = 1ull << 48;
	smmu_ste ste;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_EQ(ste.s2.ttb, 1ull << 48);
	EXPECT_EQ(ste.s2.oa_bits, 52);
}

TEST(SmmuSte, S2T0SZAboveMaximumIsIllegal)
{
	// 16 KB so that T0SZ 39 and 40 are both consistent with SL0 0 (level 3).
	smmu_ste_fields f = S2Fields();
	f.s2_granule_shift = 14;
	f.s2sl0 = 0;
	f.s2t0sz = 39;
	EXPECT_EQ(Decode(f, Caps()), 0);
	f.s2t0sz = 40;
	EXPECT_EQ(Decode(f, Caps()), kBadSte);
}

TEST(SmmuSte, S2T0SZMaximumWithSmallTranslationTables)
{
	smmu_caps c = Caps();
	c.stt = true;
	smmu_ste_fields f = S2Fields();
	f.s2_granule_shift = 14;
	f.s2sl0 = 0;
	f.s2t0sz = 48; // 16-bit IPA, level 3 with 4 entries
	smmu_ste ste;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_EQ(ste.s2.tsz, 48);
	EXPECT_EQ(ste.s2.start_level, 3);
	f.s2t0sz = 49;
	EXPECT_EQ(Decode(f, c), kBadSte);
	c.stt = false;
	f.s2t0sz = 48;
	EXPECT_EQ(Decode(f, c), kBadSte);

	c.stt = true;
	f.s2_granule_shift = 16; // 47 for 64 KB
	f.s2t0sz = 47;
	EXPECT_EQ(Decode(f, c), 0);
	f.s2t0sz = 48;
	EXPECT_EQ(Decode(f, c), kBadSte);
}

TEST(SmmuSte, S2T0SZBelowMinimumIsIllegal)
{
	// IAS 48: minimum MAX(16, 64 - 48) = 16 (64 KB, level 1).
	smmu_ste_fields f = S2Fields();
	f.s2_granule_shift = 16;
	f.s2sl0 = 2;
	f.s2t0sz = 16;
	EXPECT_EQ(Decode(f, Caps()), 0);
	f.s2t0sz = 15;
	EXPECT_EQ(Decode(f, Caps()), kBadSte);

	// IAS 40: minimum 24.
	smmu_caps c = CapsAArch32();
	c.oas_bits = 36;
	c.ias_bits = 40;
	f = S2Fields();
	f.s2t0sz = 24;
	EXPECT_EQ(Decode(f, c), 0);
	f.s2t0sz = 23;
	EXPECT_EQ(Decode(f, c), kBadSte);
}

TEST(SmmuSte, S2T0SZMinimumDependsOnGranuleWith52BitIas)
{
	smmu_caps c = Caps();
	c.oas_bits = 52;
	c.ias_bits = 52;
	smmu_ste_fields f = S2Fields();
	f.s2ps_bits = 52;
	f.s2_granule_shift = 12; // 4 KB: MAX(16, 12)
	f.s2sl0 = 2;
	f.s2t0sz = 16;
	EXPECT_EQ(Decode(f, c), 0);
	f.s2t0sz = 15;
	EXPECT_EQ(Decode(f, c), kBadSte);
	f.s2_granule_shift = 16; // 64 KB: MAX(12, 12)
	f.s2sl0 = 2;
	f.s2t0sz = 12;
	smmu_ste ste;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_EQ(ste.s2.start_level, 1);
	f.s2t0sz = 11;
	EXPECT_EQ(Decode(f, c), kBadSte);
	// SMMUv3.0: the minimum is 64 - IAS whatever the granule.
	c.minor_rev = 0;
	c.oas_bits = 48;
	c.ias_bits = 48;
	f.s2ps_bits = 48;
	f.s2t0sz = 16;
	EXPECT_EQ(Decode(f, c), 0);
	f.s2t0sz = 15;
	EXPECT_EQ(Decode(f, c), kBadSte);
}

TEST(SmmuSte, S2SL0InconsistentWithT0SZAndTgIsIllegal)
{
	// 40-bit IPA with 4 KB: level 2 would need 2^19 entries (too many),
	// level 1 is 2 concatenated tables, level 0 one entry (PA > 42).
	smmu_ste_fields f = S2Fields();
	smmu_ste ste;
	f.s2sl0 = 0;
	EXPECT_EQ(Decode(f, Caps()), kBadSte);
	f.s2sl0 = 1;
	ASSERT_EQ(Decode(f, Caps(), &ste), 0);
	EXPECT_EQ(ste.s2.start_level, 1);
	EXPECT_EQ(ste.s2.concat, 2);
	f.s2sl0 = 2;
	ASSERT_EQ(Decode(f, Caps(), &ste), 0);
	EXPECT_EQ(ste.s2.start_level, 0);
	EXPECT_EQ(ste.s2.concat, 1);
	f.s2sl0 = 3;
	EXPECT_EQ(Decode(f, Caps()), kBadSte);
	// Level 0 with 4 KB needs a PA size above 42 bits.
	f.s2sl0 = 2;
	f.s2ps_bits = 42;
	EXPECT_EQ(Decode(f, Caps()), kBadSte);
	f.s2ps_bits = 44;
	EXPECT_EQ(Decode(f, Caps()), 0);
}

TEST(SmmuSte, S2EndiAgainstTtendianIsIllegal)
{
	smmu_caps c = Caps();
	smmu_ste_fields f = S2Fields();
	smmu_ste ste;
	for (bool endi : {false, true}) {
		f.s2endi = endi;
		c.ttendian = 0;
		ASSERT_EQ(Decode(f, c, &ste), 0);
		EXPECT_EQ(ste.s2endi, endi);
		c.ttendian = 2; // little-endian only
		EXPECT_EQ(Decode(f, c), endi ? kBadSte : 0);
		c.ttendian = 3; // big-endian only
		EXPECT_EQ(Decode(f, c), endi ? 0 : kBadSte);
	}
}

TEST(SmmuSte, S2VmidHighByteWithout16BitVmidsIsIllegal)
{
	smmu_caps c = Caps();
	c.vmid16 = false;
	smmu_ste_fields f = S2Fields();
	smmu_ste ste;
	f.s2vmid = 0xff;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_EQ(ste.s2vmid, 0xff);
	f.s2vmid = 0x100;
	EXPECT_EQ(Decode(f, c), kBadSte);
	c.vmid16 = true;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_EQ(ste.s2vmid, 0x100);
}

TEST(SmmuSte, S2VmidUsedByStage1OnlyNsEl1Streams)
{
	smmu_caps c = Caps();
	c.vmid16 = false;
	smmu_ste_fields f = S1Fields();
	f.s2vmid = 0x105;
	// NS-EL1 stage-1-only STEs are VMID-tagged when stage 2 exists.
	EXPECT_EQ(Decode(f, c), kBadSte);
	c.vmid16 = true;
	smmu_ste ste;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_EQ(ste.s2vmid, 0x105);
	// EL2 streams are not: the field is IGNORED.
	c.vmid16 = false;
	f.strw = 2;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_EQ(ste.s2vmid, 0);
	// Nor is anything when stage 2 is not implemented.
	c.s2p = false;
	c.hyp = false;
	f.strw = 0;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_EQ(ste.s2vmid, 0);
}

TEST(SmmuSte, Stage2RegimeDecodes)
{
	struct {
		unsigned shift, enc;
	} granules[] = {{12, 0}, {16, 1}, {14, 2}};
	for (auto &g : granules) {
		smmu_ste_fields f = SteFields();
		ASSERT_TRUE(smmu_ste_fields_s2(&f, 7, 0x12340000, g.shift, 40));
		f.s2affd = true;
		uint64_t raw[8];
		smmu_build_ste(&f, raw);
		EXPECT_EQ(Bits(raw[2], 47, 46), g.enc);
		smmu_ste ste;
		smmu_caps c = Caps();
		ASSERT_EQ(smmu_ste_decode(raw, &c, &ste), 0) << g.shift;
		EXPECT_EQ(ste.config, SMMU_STE_CFG_S2);
		EXPECT_TRUE(ste.s2.stage2);
		EXPECT_EQ(ste.s2.granule_shift, g.shift);
		EXPECT_EQ(ste.s2.tsz, 24);
		EXPECT_EQ(ste.s2.oa_bits, 48);
		EXPECT_EQ(ste.s2.ttb, 0x12340000u);
		EXPECT_TRUE(ste.s2.affd);
		EXPECT_TRUE(ste.s2.xnx);
		EXPECT_TRUE(ste.s2aa64);
		EXPECT_EQ(ste.s2vmid, 7);
	}
	smmu_caps c = Caps();
	c.xnx = false;
	smmu_ste ste;
	ASSERT_EQ(Decode(S2Fields(), c, &ste), 0);
	EXPECT_FALSE(ste.s2.xnx);
}

TEST(SmmuSte, S2PSEffectiveSize)
{
	struct {
		unsigned minor_rev, oas, ps_bits, expect;
	} cases[] = {
		{2, 48, 32, 32}, {2, 48, 36, 36}, {2, 48, 40, 40}, {2, 48, 42, 42},
		{2, 48, 44, 44}, {2, 48, 48, 48}, {2, 48, 52, 48}, // capped at OAS
		{2, 44, 48, 44},
		{0, 48, 52, 48}, {0, 48, 56, 48},                  // v3.0: 11x act as 101
		{2, 52, 52, 52}, {2, 52, 56, 52},                  // v3.1-3.3: 111 acts as 110
		{4, 56, 56, 56},                                   // v3.4: 56 bits
	};
	for (auto &k : cases) {
		smmu_caps c = Caps();
		c.minor_rev = (uint8_t)k.minor_rev;
		c.oas_bits = (uint8_t)k.oas;
		c.ias_bits = (uint8_t)k.oas;
		smmu_ste_fields f = S2Fields();
		f.s2ps_bits = (uint8_t)k.ps_bits;
		smmu_ste ste;
		ASSERT_EQ(Decode(f, c, &ste), 0) << k.minor_rev << "/" << k.ps_bits;
		EXPECT_EQ(ste.s2.oa_bits, k.expect) << k.minor_rev << "/" << k.ps_bits;
	}
}

TEST(SmmuSte, S2TtbAlignedToConcatenatedStartTable)
{
	// 4 KB, 40-bit IPA at level 1: two concatenated 4 KB tables = 8 KB.
	smmu_ste_fields f = S2Fields();
	f.s2ttb = 0x80000 | 0x1ff0;
	smmu_ste ste;
	ASSERT_EQ(Decode(f, Caps(), &ste), 0);
	EXPECT_EQ(ste.s2.concat, 2);
	EXPECT_EQ(ste.s2.ttb, 0x80000u);
	// Level 0 with one entry: an 8-byte table, but the field starts at bit 4.
	f.s2sl0 = 2;
	ASSERT_EQ(Decode(f, Caps(), &ste), 0);
	EXPECT_EQ(ste.s2.ttb, 0x81ff0u);
}

TEST(SmmuSte, S2TtbSixtyFourByteMinimumAlignmentFor52BitOutput)
{
	// 16 KB, T0SZ 48 (STT): a 4-entry (32-byte) level-3 start table.
	smmu_caps c = Caps();
	c.stt = true;
	smmu_ste_fields f = S2Fields();
	f.s2_granule_shift = 14;
	f.s2sl0 = 0;
	f.s2t0sz = 48;
	f.s2ttb = 0x1030;
	smmu_ste ste;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_EQ(ste.s2.ttb, 0x1020u);
	c.oas_bits = 52;
	c.ias_bits = 52;
	f.s2ps_bits = 52;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_EQ(ste.s2.ttb, 0x1000u);
}

TEST(SmmuSte, AArch32Stage2Decodes)
{
	smmu_caps c = CapsAArch32();
	smmu_ste_fields f = S2AArch32Fields();
	f.s2ps_bits = 32; // IGNORED: AArch32 outputs 40 bits
	f.s2ttb = 0x80000 | 0xff0;
	smmu_ste ste;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_FALSE(ste.s2aa64);
	EXPECT_EQ(ste.s2.granule_shift, 12);
	EXPECT_EQ(ste.s2.tsz, 24); // 32 - (-8) = 40-bit IPA
	EXPECT_EQ(ste.s2.oa_bits, 40);
	EXPECT_EQ(ste.s2.start_level, 1);
	EXPECT_EQ(ste.s2.concat, 2);
	EXPECT_EQ(ste.s2.ttb, 0x80000u);
	EXPECT_FALSE(ste.s2.xnx);
	// T0SZ 7 (25-bit IPA) from level 2.
	f.s2t0sz = 7;
	f.s2sl0 = 0;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_EQ(ste.s2.tsz, 39);
	EXPECT_EQ(ste.s2.start_level, 2);
	// SL0 1x is reserved for VMSAv8-32 (no level 0).
	f.s2t0sz = 0x8;
	f.s2sl0 = 2;
	EXPECT_EQ(Decode(f, c), kBadSte);
	// S2TTB beyond 40 bits is out of range.
	f.s2sl0 = 1;
	f.s2ttb = 1ull << 40;
	EXPECT_EQ(Decode(f, c), kBadSte);
}

TEST(SmmuSte, Stage2FieldsIgnoredWithoutStage2)
{
	smmu_ste_fields f = S1Fields();
	f.s2_granule_shift = 0; // reserved
	f.s2t0sz = 63;
	f.s2ttb = 1ull << 55;
	f.s2ha = f.s2hd = true;
	f.s2endi = true;
	smmu_caps c = Caps();
	c.httu = 0;
	c.ttendian = 2;
	smmu_ste ste;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_FALSE(ste.s2.stage2);
	EXPECT_EQ(ste.s2.ttb, 0u);
}

TEST(SmmuSte, NestedDecodesBothStages)
{
	smmu_ste_fields f = NestedFields();
	f.s2ptw = true;
	f.s1ctxptr = 0x2000;
	smmu_ste ste;
	ASSERT_EQ(Decode(f, Caps(), &ste), 0);
	EXPECT_EQ(ste.config, SMMU_STE_CFG_NESTED);
	EXPECT_EQ(ste.s1ctxptr, 0x2000u);
	EXPECT_TRUE(ste.s2.stage2);
	EXPECT_TRUE(ste.s2ptw);
	EXPECT_EQ(ste.s2vmid, 1);
	// S2PTW is IGNORED unless Config == 111.
	smmu_ste_fields g = S2Fields();
	g.s2ptw = true;
	ASSERT_EQ(Decode(g, Caps(), &ste), 0);
	EXPECT_FALSE(ste.s2ptw);
}

TEST(SmmuSte, ReservedOverrideEncodingsActAsIncoming)
{
	smmu_ste_fields f = S1Fields();
	f.privcfg = 1;
	f.instcfg = 1;
	smmu_ste ste;
	ASSERT_EQ(Decode(f, Caps(), &ste), 0);
	EXPECT_EQ(ste.privcfg, 0);
	EXPECT_EQ(ste.instcfg, 0);
}

TEST(SmmuSte, IllegalDecodeLeavesOutputZeroed)
{
	smmu_ste ste;
	std::memset(&ste, 0xa5, sizeof(ste));
	smmu_ste_fields f = S1Fields();
	f.strw = 1;
	ASSERT_EQ(Decode(f, Caps(), &ste), kBadSte);
	smmu_ste zero;
	std::memset(&zero, 0, sizeof(zero));
	EXPECT_EQ(std::memcmp(&ste, &zero, sizeof(ste)), 0);
}

// ---------------------------------------------------------------------------
// STE: builder round trips and raw bit positions (IHI 0070 §5.2)

TEST(SmmuSteBuild, EveryFieldAtItsArchitectedPosition)
{
	smmu_ste_fields f = SteFields();
	f.v = true;
	f.config = 7;
	f.s1fmt = 2;
	f.s1ctxptr = 0x00ab'cdef'1234'5640ull;
	f.s1cdmax = 0x15;
	f.s1dss = 2;
	f.s1cir = 3;
	f.s1cor = 2;
	f.s1csh = 2;
	f.dre = true;
	f.cont = 0xb;
	f.dcp = true;
	f.ppar = true;
	f.mev = true;
	f.sw_reserved = 0x9;
	f.s2fwb = true;
	f.s1stalld = true;
	f.eats = 2;
	f.strw = 2;
	f.memattr = 0xd;
	f.mtcfg = true;
	f.alloccfg = 0xe;
	f.shcfg = 3;
	f.privcfg = 2;
	f.instcfg = 3;
	f.s2vmid = 0xbeef;
	f.s2t0sz = 0x2a;
	f.s2sl0 = 2;
	f.s2ir0 = 2;
	f.s2or0 = 3;
	f.s2sh0 = 2;
	f.s2_granule_shift = 14;
	f.s2ps_bits = 44;
	f.s2aa64 = true;
	f.s2endi = true;
	f.s2affd = true;
	f.s2ptw = true;
	f.s2hd = true;
	f.s2ha = true;
	f.s2s = true;
	f.s2r = true;
	f.s2haft = true;
	f.s2ttb = 0x00fe'dcba'9876'5430ull;
	uint64_t r[8];
	smmu_build_ste(&f, r);
	EXPECT_EQ(Bits(r[0], 0, 0), 1u);
	EXPECT_EQ(Bits(r[0], 3, 1), 7u);
	EXPECT_EQ(Bits(r[0], 5, 4), 2u);
	EXPECT_EQ(Bits(r[0], 55, 6) << 6, 0x00ab'cdef'1234'5640ull);
	EXPECT_EQ(Bits(r[0], 58, 56), 0u);
	EXPECT_EQ(Bits(r[0], 63, 59), 0x15u);
	EXPECT_EQ(Bits(r[1], 1, 0), 2u);
	EXPECT_EQ(Bits(r[1], 3, 2), 3u);
	EXPECT_EQ(Bits(r[1], 5, 4), 2u);
	EXPECT_EQ(Bits(r[1], 7, 6), 2u);
	EXPECT_EQ(Bits(r[1], 11, 8), 0u);
	EXPECT_EQ(Bits(r[1], 12, 12), 1u);
	EXPECT_EQ(Bits(r[1], 16, 13), 0xbu);
	EXPECT_EQ(Bits(r[1], 17, 17), 1u);
	EXPECT_EQ(Bits(r[1], 18, 18), 1u);
	EXPECT_EQ(Bits(r[1], 19, 19), 1u);
	EXPECT_EQ(Bits(r[1], 23, 20), 0x9u);
	EXPECT_EQ(Bits(r[1], 24, 24), 0u);
	EXPECT_EQ(Bits(r[1], 25, 25), 1u);
	EXPECT_EQ(Bits(r[1], 26, 26), 0u);
	EXPECT_EQ(Bits(r[1], 27, 27), 1u);
	EXPECT_EQ(Bits(r[1], 29, 28), 2u);
	EXPECT_EQ(Bits(r[1], 31, 30), 2u);
	EXPECT_EQ(Bits(r[1], 35, 32), 0xdu);
	EXPECT_EQ(Bits(r[1], 36, 36), 1u);
	EXPECT_EQ(Bits(r[1], 40, 37), 0xeu);
	EXPECT_EQ(Bits(r[1], 43, 41), 0u);
	EXPECT_EQ(Bits(r[1], 45, 44), 3u);
	EXPECT_EQ(Bits(r[1], 47, 46), 0u);
	EXPECT_EQ(Bits(r[1], 49, 48), 2u);
	EXPECT_EQ(Bits(r[1], 51, 50), 3u);
	EXPECT_EQ(Bits(r[1], 63, 52), 0u);
	EXPECT_EQ(Bits(r[2], 15, 0), 0xbeefu);
	EXPECT_EQ(Bits(r[2], 31, 16), 0u);
	EXPECT_EQ(Bits(r[2], 37, 32), 0x2au);
	EXPECT_EQ(Bits(r[2], 39, 38), 2u);
	EXPECT_EQ(Bits(r[2], 41, 40), 2u);
	EXPECT_EQ(Bits(r[2], 43, 42), 3u);
	EXPECT_EQ(Bits(r[2], 45, 44), 2u);
	EXPECT_EQ(Bits(r[2], 47, 46), 2u); // 16 KB
	EXPECT_EQ(Bits(r[2], 50, 48), 4u); // 44 bits
	EXPECT_EQ(Bits(r[2], 51, 51), 1u);
	EXPECT_EQ(Bits(r[2], 52, 52), 1u);
	EXPECT_EQ(Bits(r[2], 53, 53), 1u);
	EXPECT_EQ(Bits(r[2], 54, 54), 1u);
	EXPECT_EQ(Bits(r[2], 55, 55), 1u);
	EXPECT_EQ(Bits(r[2], 56, 56), 1u);
	EXPECT_EQ(Bits(r[2], 57, 57), 1u);
	EXPECT_EQ(Bits(r[2], 58, 58), 1u);
	EXPECT_EQ(Bits(r[2], 59, 59), 1u);
	EXPECT_EQ(Bits(r[2], 63, 60), 0u);
	EXPECT_EQ(Bits(r[3], 3, 0), 0u);
	EXPECT_EQ(Bits(r[3], 55, 4) << 4, 0x00fe'dcba'9876'5430ull);
	EXPECT_EQ(Bits(r[3], 63, 56), 0u);
	for (int i = 4; i < 8; i++)
		EXPECT_EQ(r[i], 0u) << i;
}

TEST(SmmuSteBuild, EveryFieldRoundTripsThroughTheDecoder)
{
	// Caps that let every field be legal and used: HTTU 11, no ATS split
	// restriction, 16-bit VMIDs, mixed endianness.
	smmu_caps c = Caps();
	c.httu = 3;
	smmu_ste_fields f = SteFields();
	f.config = SMMU_STE_CONFIG_NESTED;
	f.s1fmt = 1;
	f.s1ctxptr = 0x0000'7654'3210'0040ull;
	f.s1cdmax = 17;
	f.s1dss = 1;
	f.s1cir = 3;
	f.s1cor = 2;
	f.s1csh = 2;
	f.dre = true;
	f.cont = 5;
	f.dcp = true;
	f.ppar = true;
	f.mev = true;
	f.s2fwb = true;
	f.s1stalld = true;
	f.eats = 2;
	f.memattr = 0x5;
	f.mtcfg = true;
	f.alloccfg = 0xb;
	f.shcfg = 2;
	f.privcfg = 3;
	f.instcfg = 2;
	f.s2vmid = 0xcafe;
	ASSERT_TRUE(smmu_ste_fields_s2_geometry(&f, 16, 44)); // level 2, 4 tables
	f.s2ir0 = 2;
	f.s2or0 = 0;
	f.s2sh0 = 2;
	f.s2ps_bits = 44;
	f.s2endi = true;
	f.s2affd = true;
	f.s2ptw = true;
	f.s2hd = true;
	f.s2ha = true;
	f.s2s = false;
	f.s2r = false;
	f.s2haft = true;
	f.s2ttb = 0x0000'0abc'0000'0000ull;
	smmu_ste ste;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_TRUE(ste.v);
	EXPECT_EQ(ste.config, SMMU_STE_CFG_NESTED);
	EXPECT_EQ(ste.world, SMMU_WORLD_NS_EL1);
	EXPECT_EQ(ste.s1fmt, 1);
	EXPECT_EQ(ste.s1ctxptr, 0x0000'7654'3210'0040ull);
	EXPECT_EQ(ste.s1cdmax, 17);
	EXPECT_EQ(ste.s1dss, 1);
	EXPECT_EQ(ste.s1cir, 3);
	EXPECT_EQ(ste.s1cor, 2);
	EXPECT_EQ(ste.s1csh, 2);
	EXPECT_TRUE(ste.dre);
	EXPECT_EQ(ste.cont, 5);
	EXPECT_TRUE(ste.dcp);
	EXPECT_TRUE(ste.ppar);
	EXPECT_TRUE(ste.mev);
	EXPECT_TRUE(ste.s2fwb);
	EXPECT_TRUE(ste.s1stalld);
	EXPECT_EQ(ste.eats, 2);
	EXPECT_EQ(ste.memattr, 0x5);
	EXPECT_TRUE(ste.mtcfg);
	EXPECT_EQ(ste.alloccfg, 0xb);
	EXPECT_EQ(ste.shcfg, 2);
	EXPECT_EQ(ste.privcfg, 3);
	EXPECT_EQ(ste.instcfg, 2);
	EXPECT_EQ(ste.s2vmid, 0xcafe);
	EXPECT_TRUE(ste.s2.stage2);
	EXPECT_EQ(ste.s2.granule_shift, 16);
	EXPECT_EQ(ste.s2.tsz, 20);
	EXPECT_EQ(ste.s2.start_level, 2);
	EXPECT_EQ(ste.s2.concat, 4);
	EXPECT_EQ(ste.s2.oa_bits, 44);
	EXPECT_EQ(ste.s2.ttb, 0x0000'0abc'0000'0000ull);
	EXPECT_TRUE(ste.s2.affd);
	EXPECT_TRUE(ste.s2.xnx);
	EXPECT_EQ(ste.s2ir0, 2);
	EXPECT_EQ(ste.s2or0, 0);
	EXPECT_EQ(ste.s2sh0, 2);
	EXPECT_TRUE(ste.s2aa64);
	EXPECT_TRUE(ste.s2endi);
	EXPECT_TRUE(ste.s2ptw);
	EXPECT_TRUE(ste.s2hd);
	EXPECT_TRUE(ste.s2ha);
	EXPECT_TRUE(ste.s2haft);
	EXPECT_FALSE(ste.s2s);
	EXPECT_FALSE(ste.s2r);
	// The remaining booleans the other way round.
	f.s2s = true;
	f.s2r = true;
	f.eats = 0;
	f.strw = 0;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_TRUE(ste.s2s);
	EXPECT_TRUE(ste.s2r);
}

TEST(SmmuSteBuild, PsBitsEncodeToLargestNotAbove)
{
	struct {
		unsigned bits, enc;
	} cases[] = {{0, 0}, {32, 0}, {35, 0}, {36, 1}, {40, 2}, {42, 3}, {44, 4},
		     {47, 4}, {48, 5}, {52, 6}, {56, 7}, {64, 7}};
	for (auto &k : cases) {
		smmu_ste_fields f = S2Fields();
		f.s2ps_bits = (uint8_t)k.bits;
		uint64_t r[8];
		smmu_build_ste(&f, r);
		EXPECT_EQ(Bits(r[2], 50, 48), k.enc) << k.bits;
		smmu_cd_fields g = CdFields();
		g.ips_bits = (uint8_t)k.bits;
		smmu_build_cd_fields(&g, r);
		EXPECT_EQ(Bits(r[0], 34, 32), k.enc) << k.bits;
	}
}

TEST(SmmuSteBuild, FieldsWiderThanTheirEncodingAreTruncated)
{
	smmu_ste_fields f = SteFields();
	f.config = 0xff;
	f.s1cdmax = 0xff;
	f.cont = 0xff;
	uint64_t r[8];
	smmu_build_ste(&f, r);
	EXPECT_EQ(Bits(r[0], 3, 1), 7u);
	EXPECT_EQ(Bits(r[0], 63, 59), 0x1fu);
	EXPECT_EQ(Bits(r[1], 16, 13), 0xfu);
	EXPECT_EQ(Bits(r[1], 19, 17), 0u); // neighbours untouched
	EXPECT_EQ(Bits(r[0], 58, 4), 0u);
}

TEST(SmmuSteBuild, OneShotBuildersDecode)
{
	smmu_caps c = Caps();
	uint64_t r[8];
	smmu_ste ste;

	smmu_build_ste_s1(r, 0x4000, 6, 1);
	ASSERT_EQ(smmu_ste_decode(r, &c, &ste), 0);
	EXPECT_EQ(ste.config, SMMU_STE_CFG_S1);
	EXPECT_EQ(ste.s1ctxptr, 0x4000u);
	EXPECT_EQ(ste.s1cdmax, 6);
	EXPECT_EQ(ste.s1fmt, 1);

	ASSERT_TRUE(smmu_build_ste_s2(r, 9, 0x200000, 16, 48));
	ASSERT_EQ(smmu_ste_decode(r, &c, &ste), 0);
	EXPECT_EQ(ste.config, SMMU_STE_CFG_S2);
	EXPECT_EQ(ste.s2vmid, 9);
	EXPECT_EQ(ste.s2.granule_shift, 16);
	EXPECT_EQ(ste.s2.tsz, 16);
	EXPECT_EQ(ste.s2.start_level, 1);
	EXPECT_EQ(ste.s2.ttb, 0x200000u);
	EXPECT_TRUE(ste.s2r);

	ASSERT_TRUE(smmu_build_ste_nested(r, 0x8000, 0, 0, 3, 0x300000, 12, 40));
	ASSERT_EQ(smmu_ste_decode(r, &c, &ste), 0);
	EXPECT_EQ(ste.config, SMMU_STE_CFG_NESTED);
	EXPECT_EQ(ste.s1ctxptr, 0x8000u);
	EXPECT_EQ(ste.s2vmid, 3);
	EXPECT_EQ(ste.s2.concat, 2);

	EXPECT_FALSE(smmu_build_ste_s2(r, 1, 0, 12, 52)); // 4 KB: no 52-bit IPA without LPA2
	EXPECT_FALSE(smmu_build_ste_s2(r, 1, 0, 13, 40));
}

struct GeomCase {
	unsigned shift, ipa;
	int level;
	unsigned concat;
	unsigned sl0;
};

class SmmuSteGeometry : public ::testing::TestWithParam<GeomCase> {};

TEST_P(SmmuSteGeometry, BuilderPicksAConsistentStartLevel)
{
	const GeomCase &p = GetParam();
	smmu_caps c = Caps();
	c.oas_bits = 52;
	c.ias_bits = 52;
	c.stt = true;
	smmu_ste_fields f = SteFields();
	ASSERT_TRUE(smmu_ste_fields_s2(&f, 1, 0x100000, p.shift, p.ipa));
	f.s2ps_bits = 52;
	EXPECT_EQ(f.s2sl0, p.sl0);
	EXPECT_EQ(f.s2t0sz, 64 - p.ipa);
	smmu_ste ste;
	ASSERT_EQ(Decode(f, c, &ste), 0);
	EXPECT_EQ(ste.s2.start_level, p.level);
	EXPECT_EQ(ste.s2.concat, p.concat);
}

INSTANTIATE_TEST_SUITE_P(
	GranuleByIpa, SmmuSteGeometry,
	::testing::Values(GeomCase{12, 32, 2, 4, 0}, GeomCase{12, 39, 1, 1, 1},
			  GeomCase{12, 40, 1, 2, 1}, GeomCase{12, 42, 1, 8, 1},
			  GeomCase{12, 44, 0, 1, 2}, GeomCase{12, 48, 0, 1, 2},
			  GeomCase{12, 30, 2, 1, 0}, GeomCase{14, 36, 2, 1, 1},
			  GeomCase{14, 40, 2, 16, 1}, GeomCase{14, 47, 1, 1, 2},
			  GeomCase{14, 25, 3, 1, 0}, GeomCase{16, 42, 2, 1, 1},
			  GeomCase{16, 44, 2, 4, 1}, GeomCase{16, 48, 1, 1, 2},
			  GeomCase{16, 52, 1, 1, 2}, GeomCase{16, 29, 3, 1, 0},
			  GeomCase{16, 28, 3, 1, 0}));

// ---------------------------------------------------------------------------
// L1STD (§5.1)

smmu_strtab_cfg Tab(unsigned split, unsigned log2size = 16)
{
	smmu_strtab_cfg t;
	std::memset(&t, 0, sizeof(t));
	t.base = 0x100000;
	t.two_level = true;
	t.log2size = (uint8_t)log2size;
	t.split = (uint8_t)split;
	return t;
}

TEST(SmmuL1std, SpanZeroIsInvalid)
{
	smmu_strtab_cfg t = Tab(8);
	uint64_t pa = 0;
	EXPECT_TRUE(smmu_l1std_decode(smmu_build_l1std(0x40000, 1), &t, 0x300, &pa));
	EXPECT_EQ(pa, 0x40000u);
	EXPECT_FALSE(smmu_l1std_decode(smmu_build_l1std(0x40000, 0), &t, 0x300, &pa));
}

TEST(SmmuL1std, ReservedSpansAreInvalid)
{
	smmu_strtab_cfg t = Tab(10);
	uint64_t pa;
	EXPECT_TRUE(smmu_l1std_decode(smmu_build_l1std(0x400000, 11), &t, 0x7ff, &pa));
	EXPECT_EQ(pa, 0x400000u + 0x3ffu * 64);
	for (unsigned span : {12u, 20u, 31u})
		EXPECT_FALSE(smmu_l1std_decode(smmu_build_l1std(0x400000, span), &t, 0x400, &pa))
			<< span;
}

TEST(SmmuL1std, SpanAboveSplitPlusOneIsInvalid)
{
	for (unsigned split : {6u, 8u, 10u}) {
		smmu_strtab_cfg t = Tab(split);
		uint64_t pa;
		EXPECT_TRUE(smmu_l1std_decode(smmu_build_l1std(0x400000, split + 1), &t, 0, &pa))
			<< split;
		EXPECT_FALSE(smmu_l1std_decode(smmu_build_l1std(0x400000, split + 2), &t, 0, &pa))
			<< split;
	}
}

TEST(SmmuL1std, SidBeyondSpanIsInvalid)
{
	// SPLIT 8, Span 3: the L2 array holds 4 STEs (SID[7:0] 0..3).
	smmu_strtab_cfg t = Tab(8);
	uint64_t l1 = smmu_build_l1std(0x40000, 3);
	uint64_t pa;
	ASSERT_TRUE(smmu_l1std_decode(l1, &t, 0x503, &pa));
	EXPECT_EQ(pa, 0x40000u + 3 * 64);
	EXPECT_FALSE(smmu_l1std_decode(l1, &t, 0x504, &pa));
	EXPECT_FALSE(smmu_l1std_decode(l1, &t, 0x5ff, &pa));
	// Span 9 covers all 256.
	l1 = smmu_build_l1std(0x40000, 9);
	ASSERT_TRUE(smmu_l1std_decode(l1, &t, 0x5ff, &pa));
	EXPECT_EQ(pa, 0x40000u + 255 * 64);
}

TEST(SmmuL1std, L2PtrAlignedToArraySize)
{
	smmu_strtab_cfg t = Tab(8);
	uint64_t pa;
	// Span 3: 4 STEs = 256 bytes, so L2Ptr[7:0] are treated as zero.
	ASSERT_TRUE(smmu_l1std_decode(smmu_build_l1std(0x40000 | 0xc0, 3), &t, 1, &pa));
	EXPECT_EQ(pa, 0x40000u + 64);
	ASSERT_TRUE(smmu_l1std_decode(smmu_build_l1std(0x40000 | 0x1c0, 3), &t, 1, &pa));
	EXPECT_EQ(pa, 0x40100u + 64);
	// Span 1: a single 64-byte STE.
	ASSERT_TRUE(smmu_l1std_decode(smmu_build_l1std(0x40000 | 0x40, 1), &t, 0x100, &pa));
	EXPECT_EQ(pa, 0x40040u);
}

TEST(SmmuL1std, SidAboveLog2SizeIsInvalid)
{
	smmu_strtab_cfg t = Tab(6, 12);
	uint64_t pa;
	uint64_t l1 = smmu_build_l1std(0x40000, 7);
	EXPECT_TRUE(smmu_l1std_decode(l1, &t, 0xfff, &pa));
	EXPECT_FALSE(smmu_l1std_decode(l1, &t, 0x1000, &pa));
}

TEST(SmmuL1std, BuilderBitPositions)
{
	uint64_t d = smmu_build_l1std(0x00ff'ffff'ffff'ffc0ull | 0x3f, 0x3f);
	EXPECT_EQ(Bits(d, 4, 0), 0x1fu);
	EXPECT_EQ(Bits(d, 5, 5), 0u);
	EXPECT_EQ(Bits(d, 55, 6) << 6, 0x00ff'ffff'ffff'ffc0ull);
	EXPECT_EQ(Bits(d, 63, 56), 0u);
}

// ---------------------------------------------------------------------------
// L1CD (§5.3)

TEST(SmmuL1cd, InvalidDescriptorIsRejected)
{
	uint64_t l2 = 0;
	EXPECT_TRUE(smmu_l1cd_decode(smmu_build_l1cd(0x123000, true), 48, &l2));
	EXPECT_EQ(l2, 0x123000u);
	EXPECT_FALSE(smmu_l1cd_decode(smmu_build_l1cd(0x123000, false), 48, &l2));
}

TEST(SmmuL1cd, PointerOutOfRangeIsRejected)
{
	uint64_t l2;
	EXPECT_TRUE(smmu_l1cd_decode(smmu_build_l1cd((1ull << 40) - 0x1000, true), 40, &l2));
	EXPECT_EQ(l2, (1ull << 40) - 0x1000);
	EXPECT_FALSE(smmu_l1cd_decode(smmu_build_l1cd(1ull << 40, true), 40, &l2));
	EXPECT_TRUE(smmu_l1cd_decode(smmu_build_l1cd(1ull << 40, true), 48, &l2));
}

TEST(SmmuL1cd, LowBitsAndRes0AreNotPartOfThePointer)
{
	uint64_t d = smmu_build_l1cd(0x00ff'ffff'ffff'ffffull, true);
	EXPECT_EQ(Bits(d, 0, 0), 1u);
	EXPECT_EQ(Bits(d, 11, 1), 0u);
	EXPECT_EQ(Bits(d, 55, 12) << 12, 0x00ff'ffff'ffff'f000ull);
	EXPECT_EQ(Bits(d, 63, 56), 0u);
	uint64_t l2;
	ASSERT_TRUE(smmu_l1cd_decode(d | 0xffe, 56, &l2));
	EXPECT_EQ(l2, 0x00ff'ffff'ffff'f000ull);
}

// ---------------------------------------------------------------------------
// CD: CdIllegal() checks in order

TEST(SmmuCd, VZeroIsBadCd)
{
	smmu_cd_fields f = CdFields();
	smmu_cd cd;
	ASSERT_EQ(DecodeCd(f, Caps(), &cd), 0);
	EXPECT_TRUE(cd.v);
	f.v = false;
	EXPECT_EQ(DecodeCd(f, Caps(), &cd), kBadCd);
	EXPECT_FALSE(cd.v);
}

TEST(SmmuCd, StallWithS1StalldIsIllegal)
{
	smmu_caps c = Caps();
	smmu_ste_fields sf = S1Fields();
	sf.s1stalld = true;
	smmu_ste ste;
	ASSERT_EQ(Decode(sf, c, &ste), 0);
	smmu_cd_fields f = CdFields();
	EXPECT_EQ(DecodeCd(f, ste, c), 0);
	f.s = true;
	EXPECT_EQ(DecodeCd(f, ste, c), kBadCd);
	EXPECT_EQ(DecodeCd(f, SteIn(c, SMMU_WORLD_NS_EL1), c), 0);
}

TEST(SmmuCd, TermModelWithoutAIsIllegal)
{
	smmu_caps c = Caps();
	smmu_cd_fields f = CdFields();
	f.a = false;
	smmu_cd cd;
	ASSERT_EQ(DecodeCd(f, c, &cd), 0);
	EXPECT_FALSE(cd.a);
	c.term_model = true;
	EXPECT_EQ(DecodeCd(f, c), kBadCd);
	f.a = true;
	EXPECT_EQ(DecodeCd(f, c), 0);
}

TEST(SmmuCd, StallWithTerminateOnlyStallModelIsIllegal)
{
	smmu_caps c = Caps();
	c.stall_model = 1;
	smmu_cd_fields f = CdFields();
	EXPECT_EQ(DecodeCd(f, c), 0);
	f.s = true;
	EXPECT_EQ(DecodeCd(f, c), kBadCd);
}

TEST(SmmuCd, NoStallWithForcedStallModelIsIllegal)
{
	smmu_caps c = Caps();
	c.stall_model = 2;
	smmu_cd_fields f = CdFields();
	f.s = true;
	smmu_cd cd;
	ASSERT_EQ(DecodeCd(f, c, &cd), 0);
	EXPECT_TRUE(cd.s);
	f.s = false;
	EXPECT_EQ(DecodeCd(f, c), kBadCd);
}

TEST(SmmuCd, EndiAgainstTtendianIsIllegal)
{
	smmu_caps c = Caps();
	smmu_cd_fields f = CdFields();
	for (bool endi : {false, true}) {
		f.endi = endi;
		c.ttendian = 0;
		smmu_cd cd;
		ASSERT_EQ(DecodeCd(f, c, &cd), 0);
		EXPECT_EQ(cd.endi, endi);
		c.ttendian = 2;
		EXPECT_EQ(DecodeCd(f, c), endi ? kBadCd : 0);
		c.ttendian = 3;
		EXPECT_EQ(DecodeCd(f, c), endi ? 0 : kBadCd);
	}
}

TEST(SmmuCd, EndiIgnoredWhenBothTtbsDisabled)
{
	smmu_caps c = Caps();
	c.ttendian = 2;
	smmu_cd_fields f = CdFields();
	f.endi = true;
	f.epd0 = true;
	f.epd1 = true;
	EXPECT_EQ(DecodeCd(f, c), 0);
	f.epd1 = false;
	EXPECT_EQ(DecodeCd(f, c), kBadCd);
	// Any-EL2: EPD0 is effectively 0, so ENDI is always checked.
	f.epd1 = true;
	EXPECT_EQ(DecodeCd(f, SteIn(c, SMMU_WORLD_NS_EL2), c), kBadCd);
}

TEST(SmmuCd, AArch32WithoutTtf0IsIllegal)
{
	smmu_caps c = CapsAArch32();
	smmu_cd_fields f = CdFields();
	f.aa64 = false;
	f.t0sz = 0;
	EXPECT_EQ(DecodeCd(f, c), 0);
	c.ttf = 2;
	EXPECT_EQ(DecodeCd(f, c), kBadCd);
}

TEST(SmmuCd, AArch32InEl2E2HIsIllegal)
{
	smmu_caps c = CapsAArch32();
	smmu_cd_fields f = CdFields();
	f.aa64 = false;
	f.t0sz = 0;
	EXPECT_EQ(DecodeCd(f, SteIn(c, SMMU_WORLD_NS_EL1), c), 0);
	EXPECT_EQ(DecodeCd(f, SteIn(c, SMMU_WORLD_NS_EL2), c), 0);
	EXPECT_EQ(DecodeCd(f, SteIn(c, SMMU_WORLD_NS_EL2_E2H), c), kBadCd);
	f.aa64 = true;
	f.t0sz = 16;
	EXPECT_EQ(DecodeCd(f, SteIn(c, SMMU_WORLD_NS_EL2_E2H), c), 0);
}

TEST(SmmuCd, AArch64WithoutTtf1IsIllegal)
{
	smmu_caps c = CapsAArch32();
	smmu_cd_fields f = CdFields();
	smmu_ste ste = SteIn(c, SMMU_WORLD_NS_EL1);
	EXPECT_EQ(DecodeCd(f, ste, c), 0);
	c.ttf = 1;
	EXPECT_EQ(DecodeCd(f, ste, c), kBadCd);
}

TEST(SmmuCd, AArch64OverAArch32Stage2IsIllegal)
{
	smmu_caps c = CapsAArch32();
	smmu_ste_fields sf = S2AArch32Fields();
	smmu_ste_fields_s1(&sf, 0x1000, 0, 0);
	ASSERT_EQ(sf.config, SMMU_STE_CONFIG_NESTED);
	smmu_ste ste;
	ASSERT_EQ(Decode(sf, c, &ste), 0);
	smmu_cd_fields f = CdFields();
	EXPECT_EQ(DecodeCd(f, ste, c), kBadCd);
	f.aa64 = false;
	f.t0sz = 0;
	EXPECT_EQ(DecodeCd(f, ste, c), 0);
	// The same CD over an AArch64 stage 2 is fine.
	f.aa64 = true;
	f.t0sz = 16;
	EXPECT_EQ(DecodeCd(f, ste, c), kBadCd);
	EXPECT_EQ(DecodeCd(f, SteIn(c, SMMU_WORLD_NS_EL1, NestedFields()), c), 0);
}

TEST(SmmuCd, HaWithoutHttuIsIllegal)
{
	smmu_caps c = Caps();
	smmu_cd_fields f = CdFields();
	f.ha = true;
	c.httu = 1;
	smmu_cd cd;
	ASSERT_EQ(DecodeCd(f, c, &cd), 0);
	EXPECT_TRUE(cd.ha);
	EXPECT_FALSE(cd.hd);
	c.httu = 0;
	EXPECT_EQ(DecodeCd(f, c), kBadCd);
}

TEST(SmmuCd, HdWithoutDirtyHttuIsIllegal)
{
	smmu_caps c = Caps();
	smmu_cd_fields f = CdFields();
	f.ha = true;
	f.hd = true;
	c.httu = 2;
	smmu_cd cd;
	ASSERT_EQ(DecodeCd(f, c, &cd), 0);
	EXPECT_TRUE(cd.hd);
	c.httu = 1;
	EXPECT_EQ(DecodeCd(f, c), kBadCd);
	c.httu = 0;
	f.ha = false;
	EXPECT_EQ(DecodeCd(f, c), kBadCd);
	// {HD,HA} = 10 is reserved and behaves as 00.
	c.httu = 2;
	ASSERT_EQ(DecodeCd(f, c, &cd), 0);
	EXPECT_FALSE(cd.ha);
	EXPECT_FALSE(cd.hd);
}

TEST(SmmuCd, HaftWithoutHaIsIllegal)
{
	smmu_caps c = Caps();
	c.httu = 3;
	smmu_cd_fields f = CdFields();
	f.ha = true;
	f.haft = true;
	smmu_cd cd;
	ASSERT_EQ(DecodeCd(f, c, &cd), 0);
	EXPECT_TRUE(cd.haft);
	f.ha = false;
	EXPECT_EQ(DecodeCd(f, c), kBadCd);
	c.httu = 2; // HAFT RES0
	ASSERT_EQ(DecodeCd(f, c, &cd), 0);
	EXPECT_FALSE(cd.haft);
}

TEST(SmmuCd, HttuIgnoredForAArch32)
{
	smmu_caps c = CapsAArch32();
	c.httu = 0;
	smmu_cd_fields f = CdFields();
	f.aa64 = false;
	f.t0sz = 0;
	f.ha = f.hd = f.haft = true;
	smmu_cd cd;
	ASSERT_EQ(DecodeCd(f, c, &cd), 0);
	EXPECT_FALSE(cd.ha);
	EXPECT_FALSE(cd.hd);
	EXPECT_FALSE(cd.haft);
}

TEST(SmmuCd, AsidHighByteWithout16BitAsidsIsIllegal)
{
	smmu_caps c = Caps();
	c.asid16 = false;
	smmu_cd_fields f = CdFields();
	f.asid = 0xff;
	smmu_cd cd;
	ASSERT_EQ(DecodeCd(f, c, &cd), 0);
	EXPECT_EQ(cd.asid, 0xff);
	f.asid = 0x100;
	EXPECT_EQ(DecodeCd(f, SteIn(c, SMMU_WORLD_NS_EL1), c), kBadCd);
	EXPECT_EQ(DecodeCd(f, SteIn(c, SMMU_WORLD_NS_EL2_E2H), c), kBadCd);
	// IGNORED for any-EL2 (no ASIDs).
	ASSERT_EQ(DecodeCd(f, SteIn(c, SMMU_WORLD_NS_EL2), c, &cd), 0);
	EXPECT_EQ(cd.asid, 0);
	c.asid16 = true;
	ASSERT_EQ(DecodeCd(f, c, &cd), 0);
	EXPECT_EQ(cd.asid, 0x100);
}

TEST(SmmuCd, T0SZAboveMaximumIsIllegal)
{
	smmu_cd_fields f = CdFields();
	f.t0sz = 39;
	EXPECT_EQ(DecodeCd(f, Caps()), 0);
	f.t0sz = 40;
	EXPECT_EQ(DecodeCd(f, Caps()), kBadCd);
}

TEST(SmmuCd, T0SZBelowMinimumIsIllegal)
{
	smmu_cd_fields f = CdFields();
	f.t0sz = 16;
	EXPECT_EQ(DecodeCd(f, Caps()), 0);
	f.t0sz = 15;
	EXPECT_EQ(DecodeCd(f, Caps()), kBadCd);
}

TEST(SmmuCd, TxSZMaximumWithSmallTranslationTables)
{
	smmu_caps c = Caps();
	c.stt = true;
	smmu_cd_fields f = CdFields();
	for (unsigned shift : {12u, 14u}) {
		f.tg0_shift = (uint8_t)shift;
		f.t0sz = 48;
		EXPECT_EQ(DecodeCd(f, c), 0) << shift;
		f.t0sz = 49;
		EXPECT_EQ(DecodeCd(f, c), kBadCd) << shift;
	}
	f.tg0_shift = 16;
	f.t0sz = 47;
	smmu_cd cd;
	ASSERT_EQ(DecodeCd(f, c, &cd), 0);
	EXPECT_EQ(cd.tt[0].start_level, 3);
	f.t0sz = 48;
	EXPECT_EQ(DecodeCd(f, c), kBadCd);
}

TEST(SmmuCd, TxSZ52BitVaNeedsVaxAnd64K)
{
	smmu_caps c = Caps();
	c.oas_bits = 52;
	c.ias_bits = 52;
	smmu_cd_fields f = CdFields();
	f.tg0_shift = 16;
	f.t0sz = 12;
	EXPECT_EQ(DecodeCd(f, c), kBadCd); // VAX 00: 48-bit VAs
	c.vax = 1;
	smmu_cd cd;
	ASSERT_EQ(DecodeCd(f, c, &cd), 0);
	EXPECT_EQ(cd.tt[0].tsz, 12);
	EXPECT_EQ(cd.tt[0].start_level, 1);
	f.t0sz = 11;
	EXPECT_EQ(DecodeCd(f, c), kBadCd);
	f.t0sz = 12;
	f.tg0_shift = 12; // 4 KB without DS stays at 48 bits
	EXPECT_EQ(DecodeCd(f, c), kBadCd);
	c.vax = 2;
	f.tg0_shift = 16;
	EXPECT_EQ(DecodeCd(f, c), 0);
}

TEST(SmmuCd, T1SZOutOfRangeIsIllegalWhenTtb1Enabled)
{
	smmu_cd_fields f = CdFields();
	f.t1sz = 40;
	EXPECT_EQ(DecodeCd(f, Caps()), 0); // EPD1 = 1: IGNORED
	f.epd1 = false;
	f.ttb1 = 0x50000;
	EXPECT_EQ(DecodeCd(f, Caps()), kBadCd);
	f.t1sz = 25;
	smmu_cd cd;
	ASSERT_EQ(DecodeCd(f, Caps(), &cd), 0);
	EXPECT_EQ(cd.tt[1].tsz, 25);
	// An invalid TTB0 regime makes the CD ILLEGAL even for TTB1 traffic.
	f.t0sz = 0;
	EXPECT_EQ(DecodeCd(f, Caps()), kBadCd);
	f.epd0 = true;
	EXPECT_EQ(DecodeCd(f, Caps()), 0);
}

TEST(SmmuCd, Tg0ReservedIsIllegal)
{
	smmu_cd_fields f = CdFields();
	f.tg0_shift = 0; // TG0 = 11
	uint64_t r[8];
	smmu_build_cd_fields(&f, r);
	EXPECT_EQ(Bits(r[0], 7, 6), 3u);
	EXPECT_EQ(DecodeCd(f, Caps()), kBadCd);
	f.epd0 = true; // IGNORED when TTB0 is disabled
	EXPECT_EQ(DecodeCd(f, Caps()), 0);
}

TEST(SmmuCd, Tg1ReservedIsIllegal)
{
	smmu_cd_fields f = CdFields();
	f.epd1 = false;
	f.ttb1 = 0x50000;
	EXPECT_EQ(DecodeCd(f, Caps()), 0);
	f.tg1_shift = 0; // TG1 = 00
	uint64_t r[8];
	smmu_build_cd_fields(&f, r);
	EXPECT_EQ(Bits(r[0], 23, 22), 0u);
	EXPECT_EQ(DecodeCd(f, Caps()), kBadCd);
	f.epd1 = true;
	EXPECT_EQ(DecodeCd(f, Caps()), 0);
}

TEST(SmmuCd, UnsupportedGranuleIsIllegal)
{
	struct {
		unsigned shift;
		bool smmu_caps::*gran;
	} cases[] = {{12, &smmu_caps::gran4k},
		     {14, &smmu_caps::gran16k},
		     {16, &smmu_caps::gran64k}};
	for (auto &k : cases) {
		for (int ttb = 0; ttb < 2; ttb++) {
			smmu_cd_fields f = CdFields();
			f.epd1 = false;
			f.ttb1 = 0x50000;
			f.t0sz = f.t1sz = 25;
			(ttb == 0 ? f.tg0_shift : f.tg1_shift) = (uint8_t)k.shift;
			(ttb == 0 ? f.tg1_shift : f.tg0_shift) = k.shift == 12 ? 16 : 12;
			smmu_caps c = Caps();
			smmu_cd cd;
			ASSERT_EQ(DecodeCd(f, c, &cd), 0) << k.shift << " TTB" << ttb;
			EXPECT_EQ(cd.tt[ttb].granule_shift, k.shift);
			c.*k.gran = false;
			EXPECT_EQ(DecodeCd(f, c), kBadCd) << k.shift << " TTB" << ttb;
		}
	}
}

TEST(SmmuCd, TgEncodingsDifferBetweenTtb0AndTtb1)
{
	struct {
		unsigned shift, tg0, tg1;
	} cases[] = {{12, 0, 2}, {14, 2, 1}, {16, 1, 3}};
	for (auto &k : cases) {
		smmu_cd_fields f = CdFields();
		f.epd1 = false;
		f.ttb1 = 0x50000;
		f.tg0_shift = f.tg1_shift = (uint8_t)k.shift;
		f.t0sz = f.t1sz = 25;
		uint64_t r[8];
		smmu_build_cd_fields(&f, r);
		EXPECT_EQ(Bits(r[0], 7, 6), k.tg0) << k.shift;
		EXPECT_EQ(Bits(r[0], 23, 22), k.tg1) << k.shift;
		smmu_cd cd;
		smmu_caps c = Caps();
		smmu_ste ste = SteIn(c, SMMU_WORLD_NS_EL1);
		ASSERT_EQ(smmu_cd_decode(r, &ste, &c, &cd), 0);
		EXPECT_EQ(cd.tt[0].granule_shift, k.shift);
		EXPECT_EQ(cd.tt[1].granule_shift, k.shift);
		// Written with the other field's encoding, the granule differs.
		uint64_t swapped[8];
		std::memcpy(swapped, r, sizeof(r));
		swapped[0] = (swapped[0] & ~(3ull << 22)) | (uint64_t)k.tg0 << 22;
		int rc = smmu_cd_decode(swapped, &ste, &c, &cd);
		if (k.tg0 == 0)
			EXPECT_EQ(rc, kBadCd) << k.shift; // TG1 00 is reserved
		else
			EXPECT_NE(cd.tt[1].granule_shift, k.shift) << k.shift;
	}
}

TEST(SmmuCd, Ttb0OutsideEffectiveIpsIsIllegal)
{
	smmu_cd_fields f = CdFields();
	f.ips_bits = 40;
	f.ttb0 = (1ull << 40) - 0x1000;
	smmu_cd cd;
	ASSERT_EQ(DecodeCd(f, Caps(), &cd), 0);
	EXPECT_EQ(cd.ips_bits, 40);
	EXPECT_EQ(cd.tt[0].oa_bits, 40);
	f.ttb0 = 1ull << 40;
	EXPECT_EQ(DecodeCd(f, Caps()), kBadCd);
	f.epd0 = true;
	EXPECT_EQ(DecodeCd(f, Caps()), 0);
	// eff_IPS = MIN(IPS, OAS).
	smmu_caps c = Caps();
	c.oas_bits = 44;
	c.ias_bits = 44;
	f = CdFields();
	f.ips_bits = 48;
	f.ttb0 = 1ull << 44;
	EXPECT_EQ(DecodeCd(f, c), kBadCd);
	f.ttb0 = (1ull << 44) - 0x1000;
	ASSERT_EQ(DecodeCd(f, c, &cd), 0);
	EXPECT_EQ(cd.ips_bits, 44);
}

TEST(SmmuCd, Ttb1OutsideEffectiveIpsIsIllegal)
{
	smmu_cd_fields f = CdFields();
	f.epd1 = false;
	f.ips_bits = 40;
	f.ttb1 = (1ull << 40) - 0x1000;
	EXPECT_EQ(DecodeCd(f, Caps()), 0);
	f.ttb1 = 1ull << 40;
	EXPECT_EQ(DecodeCd(f, Caps()), kBadCd);
}

TEST(SmmuCd, TtbAbove48BitsWithSmallGranuleIsIllegal)
{
	smmu_caps c = Caps();
	c.oas_bits = 52;
	c.ias_bits = 52;
	smmu_cd_fields f = CdFields();
	f.ips_bits = 52;
	f.ttb0 = (1ull << 48) - 0x1000;
	EXPECT_EQ(DecodeCd(f, c), 0);
	f.ttb0 = 1ull << 48;
	EXPECT_EQ(DecodeCd(f, c), kBadCd);
	f.tg0_shift = 16;
	smmu_cd cd;
	ASSERT_EQ(DecodeCd(f, c, &cd), 0);
	EXPECT_EQ(cd.tt[0].ttb, 1ull << 48);
	EXPECT_EQ(cd.tt[0].oa_bits, 52);
}

TEST(SmmuCd, IpsReservedEncodings)
{
	struct {
		unsigned minor_rev, oas, ips_bits, expect;
	} cases[] = {{0, 48, 52, 48}, {0, 48, 56, 48}, {2, 52, 52, 52},
		     {2, 52, 56, 52}, {4, 56, 56, 56}, {2, 48, 32, 32}};
	for (auto &k : cases) {
		smmu_caps c = Caps();
		c.minor_rev = (uint8_t)k.minor_rev;
		c.oas_bits = c.ias_bits = (uint8_t)k.oas;
		smmu_cd_fields f = CdFields();
		f.ips_bits = (uint8_t)k.ips_bits;
		smmu_cd cd;
		ASSERT_EQ(DecodeCd(f, c, &cd), 0);
		EXPECT_EQ(cd.ips_bits, k.expect) << k.minor_rev << "/" << k.ips_bits;
	}
}

// ---------------------------------------------------------------------------
// CD: decoded regimes

TEST(SmmuCd, StartLevelsAndAlignment)
{
	struct {
		unsigned shift, va;
		int level;
		uint64_t ttb_in, ttb_out;
	} cases[] = {
		{12, 48, 0, 0x40ff0, 0x40000},  // 512 entries: 4 KB
		{12, 39, 1, 0x40ff0, 0x40000},
		{12, 44, 0, 0x401f0, 0x40100},  // 32 entries: 256 bytes
		{12, 30, 2, 0x40ff0, 0x40000},
		{16, 48, 1, 0x40ff0, 0x40e00},  // 64 entries: 512 bytes
		{16, 42, 2, 0x4fff0, 0x40000},  // 8192 entries: 64 KB
		{14, 47, 1, 0x40ff0, 0x40000},  // 2048 entries: 16 KB
		{14, 36, 2, 0x40ff0, 0x40000},
	};
	for (auto &k : cases) {
		smmu_cd_fields f = CdFields();
		f.tg0_shift = (uint8_t)k.shift;
		f.t0sz = (uint8_t)(64 - k.va);
		f.ttb0 = k.ttb_in;
		smmu_cd cd;
		ASSERT_EQ(DecodeCd(f, Caps(), &cd), 0) << k.shift << "/" << k.va;
		EXPECT_FALSE(cd.tt[0].stage2);
		EXPECT_EQ(cd.tt[0].granule_shift, k.shift);
		EXPECT_EQ(cd.tt[0].tsz, 64 - k.va);
		EXPECT_EQ(cd.tt[0].start_level, k.level) << k.shift << "/" << k.va;
		EXPECT_EQ(cd.tt[0].ttb, k.ttb_out) << k.shift << "/" << k.va;
	}
}

TEST(SmmuCd, RegimeFlagsDecode)
{
	smmu_cd_fields f = CdFields();
	f.epd1 = false;
	f.ttb1 = 0x70000;
	f.affd = true;
	f.wxn = true;
	f.pan = true;
	f.tbi0 = true;
	f.tbi1 = true;
	smmu_cd cd;
	ASSERT_EQ(DecodeCd(f, Caps(), &cd), 0);
	for (int i = 0; i < 2; i++) {
		EXPECT_FALSE(cd.epd[i]);
		EXPECT_TRUE(cd.tbi[i]);
		EXPECT_TRUE(cd.tt[i].affd);
		EXPECT_TRUE(cd.tt[i].wxn);
		EXPECT_TRUE(cd.tt[i].pan);
		EXPECT_FALSE(cd.tt[i].el2);
		EXPECT_EQ(cd.tt[i].oa_bits, 48);
	}
	EXPECT_EQ(cd.tt[0].ttb, 0x40000u);
	EXPECT_EQ(cd.tt[1].ttb, 0x70000u);
	EXPECT_TRUE(cd.affd);
	EXPECT_TRUE(cd.wxn);
	EXPECT_TRUE(cd.pan);
	EXPECT_TRUE(cd.aa64);
}

TEST(SmmuCd, DisabledTtbRegimeIsLeftEmpty)
{
	smmu_cd_fields f = CdFields();
	f.t1sz = 63; // IGNORED
	smmu_cd cd;
	ASSERT_EQ(DecodeCd(f, Caps(), &cd), 0);
	EXPECT_FALSE(cd.epd[0]);
	EXPECT_TRUE(cd.epd[1]);
	EXPECT_EQ(cd.tt[1].granule_shift, 0);
	EXPECT_EQ(cd.tt[1].ttb, 0u);
	EXPECT_EQ(cd.tt[0].granule_shift, 12);
}

TEST(SmmuCd, AnyEl2WorldUsesTtb0Only)
{
	smmu_caps c = Caps();
	c.asid16 = false;
	smmu_cd_fields f = CdFields();
	f.epd0 = true;          // IGNORED: effective 0
	f.epd1 = false;         // TTB1 unreachable whatever EPD1 says
	f.tg1_shift = 0;        // RES0 fields, not checked
	f.t1sz = 63;
	f.ttb1 = 1ull << 55;
	f.tbi0 = f.tbi1 = true;
	f.pan = true;           // effectively 0
	f.asid = 0x1234;        // IGNORED
	f.had1 = true;
	f.ir1 = 2;
	smmu_cd cd;
	ASSERT_EQ(DecodeCd(f, SteIn(c, SMMU_WORLD_NS_EL2), c, &cd), 0);
	EXPECT_FALSE(cd.epd[0]);
	EXPECT_TRUE(cd.epd[1]);
	EXPECT_EQ(cd.asid, 0);
	EXPECT_TRUE(cd.tbi[0]);
	EXPECT_FALSE(cd.tbi[1]);
	EXPECT_FALSE(cd.pan);
	EXPECT_TRUE(cd.tt[0].el2);
	EXPECT_FALSE(cd.tt[0].pan);
	EXPECT_EQ(cd.tt[0].granule_shift, 12);
	EXPECT_EQ(cd.tt[0].ttb, 0x40000u);
	EXPECT_FALSE(cd.had[1]);
	EXPECT_EQ(cd.walk_ir[1], 0);
	// EL2-E2H has both halves and ASIDs, like EL1.
	c.asid16 = true;
	ASSERT_EQ(DecodeCd(f, SteIn(c, SMMU_WORLD_NS_EL2_E2H), c, &cd), kBadCd); // TG1 reserved
	f.tg1_shift = 12;
	f.t1sz = 16;
	f.ttb1 = 0x70000;
	ASSERT_EQ(DecodeCd(f, SteIn(c, SMMU_WORLD_NS_EL2_E2H), c, &cd), 0);
	EXPECT_TRUE(cd.epd[0]);
	EXPECT_FALSE(cd.epd[1]);
	EXPECT_EQ(cd.asid, 0x1234);
	EXPECT_FALSE(cd.tt[1].el2);
	EXPECT_TRUE(cd.tt[1].pan);
}

TEST(SmmuCd, AArch32CdDecodes)
{
	smmu_caps c = CapsAArch32();
	smmu_cd_fields f = CdFields();
	f.aa64 = false;
	f.t0sz = 0x3a;      // only [2:0] = 2 counts: 30-bit input, level 2
	f.ips_bits = 32;    // IGNORED: 40 bits
	f.tg0_shift = 0;    // IGNORED
	f.ttb0 = 0x40ff0;
	f.tbi0 = true;
	f.uwxn = true;
	smmu_cd cd;
	ASSERT_EQ(DecodeCd(f, c, &cd), 0);
	EXPECT_FALSE(cd.aa64);
	EXPECT_EQ(cd.ips_bits, 40);
	EXPECT_EQ(cd.tt[0].granule_shift, 12);
	EXPECT_EQ(cd.tt[0].tsz, 34);
	EXPECT_EQ(cd.tt[0].start_level, 2);
	EXPECT_EQ(cd.tt[0].oa_bits, 40);
	EXPECT_EQ(cd.tt[0].ttb, 0x40000u); // 2^(11-2) entries = 4 KB
	EXPECT_FALSE(cd.tbi[0]);
	EXPECT_TRUE(cd.uwxn);
	f.t0sz = 0;  // 32-bit input, level 1 with 4 entries: 32 bytes
	ASSERT_EQ(DecodeCd(f, c, &cd), 0);
	EXPECT_EQ(cd.tt[0].start_level, 1);
	EXPECT_EQ(cd.tt[0].ttb, 0x40fe0u);
	f.ttb0 = 1ull << 40;
	EXPECT_EQ(DecodeCd(f, c), kBadCd);
}

TEST(SmmuCd, IllegalDecodeLeavesOutputZeroed)
{
	smmu_cd cd;
	std::memset(&cd, 0x5a, sizeof(cd));
	smmu_cd_fields f = CdFields();
	f.t0sz = 63;
	ASSERT_EQ(DecodeCd(f, Caps(), &cd), kBadCd);
	smmu_cd zero;
	std::memset(&zero, 0, sizeof(zero));
	EXPECT_EQ(std::memcmp(&cd, &zero, sizeof(cd)), 0);
}

// ---------------------------------------------------------------------------
// CD: builder round trips and raw bit positions (IHI 0070 §5.4)

smmu_cd_fields FullCdFields()
{
	smmu_cd_fields f = CdFields();
	f.aa64 = true;
	f.ttb0 = 0x0000'0234'5678'9ff0ull;
	f.t0sz = 20;
	f.tg0_shift = 14;
	f.ir0 = 2;
	f.or0 = 3;
	f.sh0 = 2;
	f.epd0 = false;
	f.tbi0 = true;
	f.had0 = true;
	f.ttb1 = 0x0000'0fed'cba9'0000ull;
	f.t1sz = 25;
	f.tg1_shift = 16;
	f.ir1 = 3;
	f.or1 = 2;
	f.sh1 = 3;
	f.epd1 = false;
	f.tbi1 = true;
	f.had1 = true;
	f.ips_bits = 44;
	f.endi = true;
	f.affd = true;
	f.wxn = true;
	f.uwxn = true;
	f.pan = true;
	f.ha = true;
	f.hd = true;
	f.haft = true;
	f.a = false;
	f.r = false;
	f.s = true;
	f.aset = true;
	f.asid = 0xa5c3;
	f.mair = 0x0123'4567'89ab'cdefull;
	f.amair = 0xfedc'ba98'7654'3210ull;
	return f;
}

TEST(SmmuCdBuild, EveryFieldAtItsArchitectedPosition)
{
	smmu_cd_fields f = FullCdFields();
	uint64_t r[8];
	smmu_build_cd_fields(&f, r);
	EXPECT_EQ(Bits(r[0], 5, 0), 20u);
	EXPECT_EQ(Bits(r[0], 7, 6), 2u); // TG0 16 KB
	EXPECT_EQ(Bits(r[0], 9, 8), 2u);
	EXPECT_EQ(Bits(r[0], 11, 10), 3u);
	EXPECT_EQ(Bits(r[0], 13, 12), 2u);
	EXPECT_EQ(Bits(r[0], 14, 14), 0u);
	EXPECT_EQ(Bits(r[0], 15, 15), 1u);
	EXPECT_EQ(Bits(r[0], 21, 16), 25u);
	EXPECT_EQ(Bits(r[0], 23, 22), 3u); // TG1 64 KB
	EXPECT_EQ(Bits(r[0], 25, 24), 3u);
	EXPECT_EQ(Bits(r[0], 27, 26), 2u);
	EXPECT_EQ(Bits(r[0], 29, 28), 3u);
	EXPECT_EQ(Bits(r[0], 30, 30), 0u);
	EXPECT_EQ(Bits(r[0], 31, 31), 1u);
	EXPECT_EQ(Bits(r[0], 34, 32), 4u); // 44 bits
	EXPECT_EQ(Bits(r[0], 35, 35), 1u);
	EXPECT_EQ(Bits(r[0], 36, 36), 1u);
	EXPECT_EQ(Bits(r[0], 37, 37), 1u);
	EXPECT_EQ(Bits(r[0], 38, 38), 1u);
	EXPECT_EQ(Bits(r[0], 39, 39), 1u);
	EXPECT_EQ(Bits(r[0], 40, 40), 1u);
	EXPECT_EQ(Bits(r[0], 41, 41), 1u);
	EXPECT_EQ(Bits(r[0], 42, 42), 1u);
	EXPECT_EQ(Bits(r[0], 43, 43), 1u);
	EXPECT_EQ(Bits(r[0], 44, 44), 1u);
	EXPECT_EQ(Bits(r[0], 45, 45), 0u);
	EXPECT_EQ(Bits(r[0], 46, 46), 0u);
	EXPECT_EQ(Bits(r[0], 47, 47), 1u);
	EXPECT_EQ(Bits(r[0], 63, 48), 0xa5c3u);
	EXPECT_EQ(Bits(r[1], 0, 0), 0u);
	EXPECT_EQ(Bits(r[1], 1, 1), 1u);
	EXPECT_EQ(Bits(r[1], 2, 2), 0u);
	EXPECT_EQ(Bits(r[1], 3, 3), 1u);
	EXPECT_EQ(Bits(r[1], 55, 4) << 4, 0x0000'0234'5678'9ff0ull);
	EXPECT_EQ(Bits(r[1], 63, 56), 0u);
	EXPECT_EQ(Bits(r[2], 0, 0), 0u);
	EXPECT_EQ(Bits(r[2], 1, 1), 1u);
	EXPECT_EQ(Bits(r[2], 3, 2), 0u);
	EXPECT_EQ(Bits(r[2], 55, 4) << 4, 0x0000'0fed'cba9'0000ull);
	EXPECT_EQ(Bits(r[2], 63, 56), 0u);
	EXPECT_EQ(r[3], 0x0123'4567'89ab'cdefull);
	EXPECT_EQ(r[4], 0xfedc'ba98'7654'3210ull);
	for (int i = 5; i < 8; i++)
		EXPECT_EQ(r[i], 0u) << i;
}

TEST(SmmuCdBuild, EveryFieldRoundTripsThroughTheDecoder)
{
	smmu_caps c = Caps();
	c.httu = 3;
	smmu_cd_fields f = FullCdFields();
	smmu_cd cd;
	ASSERT_EQ(DecodeCd(f, c, &cd), 0);
	EXPECT_TRUE(cd.v);
	EXPECT_TRUE(cd.aa64);
	EXPECT_EQ(cd.tt[0].ttb, 0x0000'0234'5678'9800ull); // 16 KB, 44-bit VA: 256 entries at L1
	EXPECT_EQ(cd.tt[0].tsz, 20);
	EXPECT_EQ(cd.tt[0].granule_shift, 14);
	EXPECT_EQ(cd.tt[0].start_level, 1);
	EXPECT_EQ(cd.walk_ir[0], 2);
	EXPECT_EQ(cd.walk_or[0], 3);
	EXPECT_EQ(cd.walk_sh[0], 2);
	EXPECT_FALSE(cd.epd[0]);
	EXPECT_TRUE(cd.tbi[0]);
	EXPECT_TRUE(cd.had[0]);
	EXPECT_EQ(cd.tt[1].ttb, 0x0000'0fed'cba9'0000ull);
	EXPECT_EQ(cd.tt[1].tsz, 25);
	EXPECT_EQ(cd.tt[1].granule_shift, 16);
	EXPECT_EQ(cd.tt[1].start_level, 2);
	EXPECT_EQ(cd.walk_ir[1], 3);
	EXPECT_EQ(cd.walk_or[1], 2);
	EXPECT_EQ(cd.walk_sh[1], 3);
	EXPECT_FALSE(cd.epd[1]);
	EXPECT_TRUE(cd.tbi[1]);
	EXPECT_TRUE(cd.had[1]);
	EXPECT_EQ(cd.ips_bits, 44);
	EXPECT_EQ(cd.tt[0].oa_bits, 44);
	EXPECT_EQ(cd.tt[1].oa_bits, 44);
	EXPECT_TRUE(cd.endi);
	EXPECT_TRUE(cd.affd);
	EXPECT_TRUE(cd.wxn);
	EXPECT_FALSE(cd.uwxn); // IGNORED for AArch64
	EXPECT_TRUE(cd.pan);
	EXPECT_TRUE(cd.ha);
	EXPECT_TRUE(cd.hd);
	EXPECT_TRUE(cd.haft);
	EXPECT_FALSE(cd.a);
	EXPECT_FALSE(cd.r);
	EXPECT_TRUE(cd.s);
	EXPECT_TRUE(cd.aset);
	EXPECT_EQ(cd.asid, 0xa5c3);
	EXPECT_EQ(cd.mair, 0x0123'4567'89ab'cdefull);
	EXPECT_EQ(cd.amair, 0xfedc'ba98'7654'3210ull);
	// The booleans the other way round.
	f.a = f.r = true;
	f.s = f.aset = f.endi = f.affd = f.wxn = f.pan = f.tbi0 = f.tbi1 = false;
	f.had0 = f.had1 = false;
	f.sh0 = 1; // reserved: behaves as NSH
	ASSERT_EQ(DecodeCd(f, c, &cd), 0);
	EXPECT_TRUE(cd.a);
	EXPECT_TRUE(cd.r);
	EXPECT_FALSE(cd.s);
	EXPECT_FALSE(cd.aset);
	EXPECT_FALSE(cd.endi);
	EXPECT_FALSE(cd.affd);
	EXPECT_FALSE(cd.wxn);
	EXPECT_FALSE(cd.pan);
	EXPECT_FALSE(cd.tbi[0]);
	EXPECT_FALSE(cd.tbi[1]);
	EXPECT_FALSE(cd.had[0]);
	EXPECT_FALSE(cd.had[1]);
	EXPECT_EQ(cd.walk_sh[0], 0);
}

TEST(SmmuCdBuild, OneShotBuilderDecodes)
{
	uint64_t r[8];
	smmu_build_cd(r, 0x80000, 42, 16, 48);
	smmu_caps c = Caps();
	smmu_ste ste = SteIn(c, SMMU_WORLD_NS_EL1);
	smmu_cd cd;
	ASSERT_EQ(smmu_cd_decode(r, &ste, &c, &cd), 0);
	EXPECT_EQ(cd.asid, 42);
	EXPECT_EQ(cd.tt[0].ttb, 0x80000u);
	EXPECT_EQ(cd.tt[0].granule_shift, 16);
	EXPECT_EQ(cd.tt[0].tsz, 16);
	EXPECT_EQ(cd.tt[0].start_level, 1);
	EXPECT_TRUE(cd.epd[1]);
	EXPECT_TRUE(cd.a);
	EXPECT_TRUE(cd.r);
	EXPECT_EQ(cd.mair, 0xf404ff44u);
}

} // namespace
