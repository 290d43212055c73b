// address_size_test.cc - IAS and OAS (IHI 0070 §3.4): when stage 1 is
// bypassed (STE.Config 1x0, or S1DSS=01 for a transaction without a
// substream) the input is checked against IAS, an input at or above 2^IAS
// giving a stage 1 Address Size fault (F_ADDR_SIZE, S2=0, CLASS=IN, always
// aborted and recorded), never a stage 2 fault; when stage 2 is bypassed
// too the address is silently truncated to OAS. IAS = MAX(TTF[0] ? 40 : 0,
// TTF[1] ? OAS : 0), so IAS > OAS with AArch32 tables advertised and
// OAS < 40; each configuration is run at IAS == OAS and IAS > OAS.
#include "rig.h"

namespace {

unsigned EvId(const std::array<uint64_t, 4> &rec) { return rec[0] & 0xff; }
unsigned EvS2(const std::array<uint64_t, 4> &rec) { return (rec[1] >> 39) & 1; }
unsigned EvClass(const std::array<uint64_t, 4> &rec) { return (rec[1] >> 40) & 3; }

struct Sizes {
	unsigned oas, ttf, ias;
};
const Sizes kSizes[] = {{48, 2, 48}, {32, 3, 40}, {36, 3, 40}, {44, 3, 44}};

void ExpectStage1AddrSize(Rig &r, const smmu_xlate_result &x, uint64_t addr)
{
	EXPECT_EQ(x.outcome, SMMU_XLATE_ABORT);
	EXPECT_EQ(x.event, SMMU_EVT_F_ADDR_SIZE);
	auto evs = r.DrainEvents();
	ASSERT_EQ(evs.size(), 1u);
	EXPECT_EQ(EvId(evs[0]), (unsigned)SMMU_EVT_F_ADDR_SIZE);
	EXPECT_EQ(EvS2(evs[0]), 0u);
	EXPECT_EQ(EvClass(evs[0]), (unsigned)SMMU_CLASS_IN);
	EXPECT_EQ(evs[0][2], addr); // InputAddr, unmodified
}

TEST(SmmuAddressSize, IasFollowsTtfAndOas)
{
	for (const Sizes &z : kSizes) {
		Rig r;
		r.cfg.oas_bits = (uint8_t)z.oas;
		r.cfg.ttf = (uint8_t)z.ttf;
		r.Init();
		uint32_t idr5 = r.R32(SMMU_REG_IDR5);
		EXPECT_EQ(idr5 & 7, z.oas == 48 ? 5u : z.oas == 44 ? 4u : z.oas == 36 ? 1u : 0u);
		EXPECT_EQ((r.R32(SMMU_REG_IDR0) >> 2) & 3, z.ttf);
	}
}

TEST(SmmuAddressSize, BypassChecksIasAndTruncatesToOas)
{
	for (const Sizes &z : kSizes) {
		SCOPED_TRACE(z.oas);
		Rig r;
		r.cfg.oas_bits = (uint8_t)z.oas;
		r.cfg.ttf = (uint8_t)z.ttf;
		r.Init();
		uint64_t ste[8];
		smmu_build_ste_bypass(ste);
		r.SetSte(6, ste);
		// The last byte below 2^IAS passes; above OAS it is truncated.
		uint64_t top = (1ull << z.ias) - 8;
		auto x = r.X(6, top);
		ASSERT_EQ(x.outcome, SMMU_XLATE_OK);
		EXPECT_EQ(x.pa, top & ((1ull << z.oas) - 1));
		EXPECT_TRUE(r.DrainEvents().empty());
		// 2^IAS: a stage 1 address size fault, recorded and aborted.
		ExpectStage1AddrSize(r, r.X(6, 1ull << z.ias), 1ull << z.ias);
	}
}

TEST(SmmuAddressSize, Stage2OnlyChecksIasAsAStage1Fault)
{
	for (const Sizes &z : kSizes) {
		SCOPED_TRACE(z.oas);
		Rig r;
		r.cfg.oas_bits = (uint8_t)z.oas;
		r.cfg.ttf = (uint8_t)z.ttf;
		r.Init();
		NestedSetup n;
		n.Build(r, 12, 3); // S2T0SZ for a 40-bit IPA, identity [0, 1G)
		uint64_t ste[8];
		smmu_build_ste(&n.f, ste); // Config 110
		r.SetSte(7, ste);
		auto ok = r.X(7, 0x2000);
		ASSERT_EQ(ok.outcome, SMMU_XLATE_OK);
		EXPECT_EQ(ok.pa, 0x2000u);
		// At or above 2^IAS: stage 1 F_ADDR_SIZE, not a stage 2 fault.
		ExpectStage1AddrSize(r, r.X(7, 1ull << z.ias), 1ull << z.ias);
		ExpectStage1AddrSize(r, r.X(7, 1ull << 63), 1ull << 63);
		// Below IAS but past the stage 2 input range (S2T0SZ, 40 bits at
		// most): a stage 2 translation fault.
		if (z.ias > 40) {
			auto x = r.X(7, 1ull << 40);
			EXPECT_EQ(x.event, SMMU_EVT_F_TRANSLATION);
			auto evs = r.DrainEvents();
			ASSERT_EQ(evs.size(), 1u);
			EXPECT_EQ(EvS2(evs[0]), 1u);
		}
	}
}

TEST(SmmuAddressSize, S1dssBypassWithoutSubstreamChecksIas)
{
	for (const Sizes &z : kSizes) {
		SCOPED_TRACE(z.oas);
		Rig r;
		r.cfg.oas_bits = (uint8_t)z.oas;
		r.cfg.ttf = (uint8_t)z.ttf;
		r.Init();
		// Nested, S1DSS=01: substream-less traffic bypasses stage 1 and is
		// translated by stage 2 alone.
		NestedSetup n;
		n.Build(r, 12, 4);
		smmu_pt s1 = r.NewPt(false, 12, 16);
		uint64_t cds = r.mem.alloc(64 * 2, 64);
		uint64_t cd[8];
		smmu_build_cd(cd, s1.root, 1, 12, 40);
		for (int i = 0; i < 8; i++)
			r.mem.write64(cds + 64 + 8 * i, cd[i]);
		smmu_ste_fields_s1(&n.f, cds, 1, 0);
		n.f.s1dss = 1;
		uint64_t ste[8];
		smmu_build_ste(&n.f, ste);
		r.SetSte(9, ste);
		auto ok = r.X(9, 0x3000);
		ASSERT_EQ(ok.outcome, SMMU_XLATE_OK);
		EXPECT_EQ(ok.pa, 0x3000u);
		ExpectStage1AddrSize(r, r.X(9, 1ull << z.ias), 1ull << z.ias);

		// Stage 1 only (Config 101), S1DSS=01: both stages bypassed, as
		// Config 100: IAS checked, output truncated to OAS.
		uint64_t ste1[8];
		smmu_ste_fields f1;
		smmu_ste_fields_init(&f1);
		smmu_ste_fields_s1(&f1, cds, 1, 0);
		f1.s1dss = 1;
		smmu_build_ste(&f1, ste1);
		r.SetSte(10, ste1);
		uint64_t top = (1ull << z.ias) - 64;
		auto b = r.X(10, top);
		ASSERT_EQ(b.outcome, SMMU_XLATE_OK);
		EXPECT_EQ(b.pa, top & ((1ull << z.oas) - 1));
		ExpectStage1AddrSize(r, r.X(10, 1ull << z.ias), 1ull << z.ias);
	}
}

} // namespace

namespace {

// Stage 1 translating at IAS > OAS: the output is checked against the
// effective IPS capped to OAS (F_ADDR_SIZE, stage 1), whatever IAS is.
TEST(SmmuAddressSize, Stage1OutputIsCheckedAgainstOasNotIas)
{
	Rig r;
	r.cfg.oas_bits = 32;
	r.cfg.ttf = 3; // IAS 40
	r.Init();
	smmu_pt pt = r.NewPt(false, 12, 16);
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, false);
	a.ng = true;
	ASSERT_EQ(smmu_pt_map(&pt, 0x1000, 0x20000000, 0x1000, 12, &a), SMMU_PT_OK);
	ASSERT_EQ(smmu_pt_map(&pt, 0x2000, 0x120000000ull, 0x1000, 12, &a), SMMU_PT_OK); // 2^32+
	uint64_t cd[8], ste[8];
	smmu_build_cd(cd, pt.root, 1, 12, 40); // CD.IPS 40: capped to OAS 32
	smmu_build_ste_s1(ste, r.PutCd(cd), 0, 0);
	r.SetSte(3, ste);
	auto ok = r.X(3, 0x1010);
	ASSERT_EQ(ok.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(ok.pa, 0x20000010u);
	auto f = r.X(3, 0x2010);
	EXPECT_EQ(f.event, SMMU_EVT_F_ADDR_SIZE);
	auto evs = r.DrainEvents();
	ASSERT_EQ(evs.size(), 1u);
	EXPECT_EQ(EvS2(evs[0]), 0u);
}

// Nested at IAS > OAS: the stage-1 output is an IPA, but its size is the
// CD's IPS capped to OAS (§3.4), not IAS: an IPA above 2^32 with OAS 32 is
// a stage-1 address size fault, though stage 2 would accept 40 bits (it
// does for stage-1-bypassed inputs, SmmuAddressSize.Stage2Only...).
TEST(SmmuAddressSize, NestedStage1OutputIpaIsCappedToOas)
{
	Rig r;
	r.cfg.oas_bits = 32;
	r.cfg.ttf = 3;
	r.Init();
	NestedSetup n;
	n.Build(r, 12, 4); // 40-bit IPA (S2T0SZ 24), identity [0, 1G)
	n.MapIpa(0xF000000000ull, 0x30000000, 0x1000); // IPA at bit 39
	smmu_pt s1 = r.NewPt(false, 12, 16);
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, false);
	a.ng = true;
	ASSERT_EQ(smmu_pt_map(&s1, 0x5000, 0xF000000000ull, 0x1000, 12, &a), SMMU_PT_OK);
	uint64_t cd[8], ste[8];
	smmu_build_cd(cd, s1.root, 1, 12, 40);
	n.Ste(ste, r.PutCd(cd));
	r.SetSte(5, ste);
	auto x = r.X(5, 0x5040);
	EXPECT_EQ(x.event, SMMU_EVT_F_ADDR_SIZE);
	auto evs = r.DrainEvents();
	ASSERT_EQ(evs.size(), 1u);
	EXPECT_EQ(EvS2(evs[0]), 0u);
	// Below 2^32 the same walk goes through stage 2.
	n.MapIpa(0x80000000ull, 0x30001000, 0x1000);
	smmu_pt_attr b;
	smmu_pt_attr_default(&b, false);
	b.ng = true;
	ASSERT_EQ(smmu_pt_map(&s1, 0x6000, 0x80000000ull, 0x1000, 12, &b), SMMU_PT_OK);
	auto ok = r.X(5, 0x6040);
	ASSERT_EQ(ok.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(ok.pa, 0x30001040u);
}

} // namespace
