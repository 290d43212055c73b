/*
 * ste_cd.c - decoding and validation of the Non-secure stream table and
 * context descriptor structures: L1STD (IHI 0070 G.b §5.1), STE with the
 * SteIllegal() checks (§5.2, §5.2.2), L1CD (§5.3), CD with the CdIllegal()
 * checks (§5.4, §5.4.2), StreamWorld (§3.3.3) and the effective values of
 * reserved encodings.
 *
 * Every function is pure: it reads raw little-endian 64-bit words and the
 * capabilities, and returns a decoded structure or the event number. Memory
 * fetches, caching and the raising of events belong to the callers.
 *
 * Stage-2 start level / concatenation consistency is delegated to
 * smmu_ptw_s2_setup() (ptw.c) so that the walker and the validator cannot
 * disagree; stage-1 start levels come from smmu_ptw_s1_start_level().
 *
 * Not modelled (their fields are RES0 for the capabilities in caps.h and
 * are ignored): Secure and Realm STEs, VMSAv9-128 (D128), FEAT_LPA2
 * (S2DS / CD.DS / S2SL0_2), DPT (EATS = 11 acts as 00), permission
 * indirection and overlays (S1PIE, S2PIE, S2POE, S2POI, CD.PIE/PIIU/PIIP),
 * MPAM (S1MPAM / VMSPtr / PARTID / PMG), PBHA, E0PD, EPAN, PnCH, AIE.
 * CONSTRAINED UNPREDICTABLE choices: an out-of-range S2T0SZ or TxSZ is
 * ILLEGAL in v3.0 as well (the v3.1+ behaviour); EATS = 01 with S2S = 1 and
 * Config = 101 is legal in v3.0; non-zero RES0 high bits of S2TTB, TTBx and
 * S1ContextPtr are range-checked as address bits (so they make the
 * structure ILLEGAL).
 */
#include "ste_cd.h"

#include <assert.h>
#include <string.h>

#include "smmu/smmu_defs.h"

/* Bits [hi:lo] of a 64-bit word. */
static inline uint64_t field(uint64_t w, unsigned hi, unsigned lo)
{
	unsigned width = hi - lo + 1;

	return (w >> lo) & (width >= 64 ? ~0ull : ((1ull << width) - 1));
}

/* Bits [hi:lo] of w kept in place, other bits cleared. */
static inline uint64_t field_inplace(uint64_t w, unsigned hi, unsigned lo)
{
	return field(w, hi, lo) << lo;
}

static inline unsigned umin(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

static inline unsigned umax(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

/* True if addr has a bit set at or above bit `bits`. */
static inline bool above(uint64_t addr, unsigned bits)
{
	return bits < 64 && (addr >> bits) != 0;
}

/*
 * STE field accessors (§5.2); "STE bit N" is dw[N / 64] bit N % 64.
 */
#define STE_V(r)             field((r)[0], 0, 0)
#define STE_CONFIG(r)        field((r)[0], 3, 1)
#define STE_S1FMT(r)         field((r)[0], 5, 4)
#define STE_S1CTXPTR(r)      field_inplace((r)[0], 55, 6)
#define STE_S1CDMAX(r)       field((r)[0], 63, 59)
#define STE_S1DSS(r)         field((r)[1], 1, 0)
#define STE_S1CIR(r)         field((r)[1], 3, 2)
#define STE_S1COR(r)         field((r)[1], 5, 4)
#define STE_S1CSH(r)         field((r)[1], 7, 6)
#define STE_DRE(r)           field((r)[1], 12, 12)
#define STE_CONT(r)          field((r)[1], 16, 13)
#define STE_DCP(r)           field((r)[1], 17, 17)
#define STE_PPAR(r)          field((r)[1], 18, 18)
#define STE_MEV(r)           field((r)[1], 19, 19)
#define STE_S2FWB(r)         field((r)[1], 25, 25)
#define STE_S1STALLD(r)      field((r)[1], 27, 27)
#define STE_EATS(r)          field((r)[1], 29, 28)
#define STE_STRW(r)          field((r)[1], 31, 30)
#define STE_MEMATTR(r)       field((r)[1], 35, 32)
#define STE_MTCFG(r)         field((r)[1], 36, 36)
#define STE_ALLOCCFG(r)      field((r)[1], 40, 37)
#define STE_SHCFG(r)         field((r)[1], 45, 44)
#define STE_PRIVCFG(r)       field((r)[1], 49, 48)
#define STE_INSTCFG(r)       field((r)[1], 51, 50)
#define STE_S2VMID(r)        field((r)[2], 15, 0)
#define STE_S2T0SZ(r)        field((r)[2], 37, 32)
#define STE_S2SL0(r)         field((r)[2], 39, 38)
#define STE_S2IR0(r)         field((r)[2], 41, 40)
#define STE_S2OR0(r)         field((r)[2], 43, 42)
#define STE_S2SH0(r)         field((r)[2], 45, 44)
#define STE_S2TG(r)          field((r)[2], 47, 46)
#define STE_S2PS(r)          field((r)[2], 50, 48)
#define STE_S2AA64(r)        field((r)[2], 51, 51)
#define STE_S2ENDI(r)        field((r)[2], 52, 52)
#define STE_S2AFFD(r)        field((r)[2], 53, 53)
#define STE_S2PTW(r)         field((r)[2], 54, 54)
#define STE_S2HD(r)          field((r)[2], 55, 55)
#define STE_S2HA(r)          field((r)[2], 56, 56)
#define STE_S2S(r)           field((r)[2], 57, 57)
#define STE_S2R(r)           field((r)[2], 58, 58)
#define STE_S2HAFT(r)        field((r)[2], 59, 59)
#define STE_S2TTB(r)         field_inplace((r)[3], 55, 4)

/*
 * CD field accessors (§5.4).
 */
#define CD_T0SZ(r)           field((r)[0], 5, 0)
#define CD_TG0(r)            field((r)[0], 7, 6)
#define CD_IR0(r)            field((r)[0], 9, 8)
#define CD_OR0(r)            field((r)[0], 11, 10)
#define CD_SH0(r)            field((r)[0], 13, 12)
#define CD_EPD0(r)           field((r)[0], 14, 14)
#define CD_ENDI(r)           field((r)[0], 15, 15)
#define CD_T1SZ(r)           field((r)[0], 21, 16)
#define CD_TG1(r)            field((r)[0], 23, 22)
#define CD_IR1(r)            field((r)[0], 25, 24)
#define CD_OR1(r)            field((r)[0], 27, 26)
#define CD_SH1(r)            field((r)[0], 29, 28)
#define CD_EPD1(r)           field((r)[0], 30, 30)
#define CD_V(r)              field((r)[0], 31, 31)
#define CD_IPS(r)            field((r)[0], 34, 32)
#define CD_AFFD(r)           field((r)[0], 35, 35)
#define CD_WXN(r)            field((r)[0], 36, 36)
#define CD_UWXN(r)           field((r)[0], 37, 37)
#define CD_TBI0(r)           field((r)[0], 38, 38)
#define CD_TBI1(r)           field((r)[0], 39, 39)
#define CD_PAN(r)            field((r)[0], 40, 40)
#define CD_AA64(r)           field((r)[0], 41, 41)
#define CD_HD(r)             field((r)[0], 42, 42)
#define CD_HA(r)             field((r)[0], 43, 43)
#define CD_S(r)              field((r)[0], 44, 44)
#define CD_R(r)              field((r)[0], 45, 45)
#define CD_A(r)              field((r)[0], 46, 46)
#define CD_ASET(r)           field((r)[0], 47, 47)
#define CD_ASID(r)           field((r)[0], 63, 48)
#define CD_HAD0(r)           field((r)[1], 1, 1)
#define CD_HAFT(r)           field((r)[1], 3, 3)
#define CD_TTB0(r)           field_inplace((r)[1], 55, 4)
#define CD_HAD1(r)           field((r)[2], 1, 1)
#define CD_TTB1(r)           field_inplace((r)[2], 55, 4)
#define CD_MAIR(r)           ((r)[3])
#define CD_AMAIR(r)          ((r)[4])

/* L1STD (§5.1) and L1CD (§5.3). */
#define L1STD_SPAN(d)        field((d), 4, 0)
#define L1STD_L2PTR(d)       field_inplace((d), 55, 6)
#define L1CD_V(d)            field((d), 0, 0)
#define L1CD_L2PTR(d)        field_inplace((d), 55, 12)

/*
 * S2PS / IPS encoding to bits (§5.2 S2PS, §5.4 IPS). Reserved values:
 * 110 acts as 101 in v3.0; 111 acts as 101 in v3.0 and as 110 in v3.1-3.3.
 */
static unsigned ps_bits(unsigned enc, unsigned minor_rev)
{
	static const uint8_t bits[8] = {32, 36, 40, 42, 44, 48, 52, 56};

	if (enc >= 6 && minor_rev == 0)
		enc = 5;
	else if (enc == 7 && minor_rev < 4)
		enc = 6;
	return bits[enc];
}

/* TG0 and S2TG: 00 4K, 01 64K, 10 16K, 11 reserved (0). */
static unsigned tg0_shift(unsigned tg)
{
	static const uint8_t shift[4] = {12, 16, 14, 0};

	return shift[tg & 3];
}

/* TG1 has its own encoding: 00 reserved (0), 01 16K, 10 4K, 11 64K. */
static unsigned tg1_shift(unsigned tg)
{
	static const uint8_t shift[4] = {0, 14, 12, 16};

	return shift[tg & 3];
}

/* GranuleSupported(): a reserved encoding (0) is never supported. */
static bool granule_supported(const struct smmu_caps *caps, unsigned shift)
{
	switch (shift) {
	case 12:
		return caps->gran4k;
	case 14:
		return caps->gran16k;
	case 16:
		return caps->gran64k;
	default:
		return false;
	}
}

/* TxSZ / S2T0SZ maximum for VMSAv8-64: 39, or with IDR3.STT 48 (4K/16K)
 * and 47 (64K). A reserved granule counts as "not 4K/16K" as in the
 * pseudocode; it is rejected separately. */
static unsigned txsz_max(const struct smmu_caps *caps, unsigned shift)
{
	if (!caps->stt)
		return 39;
	return (shift == 12 || shift == 14) ? 48 : 47;
}

/*
 * Start table alignment (§5.2 S2TTB, §5.4 TTB0): a start table of 2^n
 * descriptors (n counts concatenation too) is aligned to its size, with a
 * 64-byte minimum when the output size is 52 bits. The TTB fields start at
 * bit 4, so 16 bytes is the floor anyway.
 */
static uint64_t ttb_align(uint64_t ttb, const struct smmu_ptw_stage *st)
{
	unsigned stride = st->granule_shift - 3u;
	unsigned inputsize = 64u - st->tsz;
	unsigned level_shift = st->granule_shift + (unsigned)(3 - st->start_level) * stride;
	unsigned x = 3;

	if (inputsize > level_shift)
		x = inputsize - level_shift + 3u;
	if (st->oa_bits >= 52)
		x = umax(x, 6);
	x = umax(x, 4);
	return x >= 64 ? 0 : ttb & ~((1ull << x) - 1);
}

bool smmu_l1std_decode(uint64_t l1std, const struct smmu_strtab_cfg *tab, uint32_t sid,
		       uint64_t *ste_pa)
{
	unsigned span = (unsigned)L1STD_SPAN(l1std);
	uint32_t l2_index;
	uint64_t l2ptr;

	assert(tab && ste_pa && tab->two_level);
	assert(tab->split == 6 || tab->split == 8 || tab->split == 10);

	/* SID >= 2^LOG2SIZE is C_BAD_STREAMID before any L1STD is read;
	 * checked here too so a caller cannot index past the L1 table. */
	if (tab->log2size < 32 && (sid >> tab->log2size) != 0)
		return false;
	/* Span 0 is invalid, 12..31 are reserved and act as 0, and a span
	 * wider than the L2 index (SPLIT + 1) is also invalid. */
	if (span == 0 || span > 11 || span > tab->split + 1u)
		return false;
	l2_index = sid & ((1u << tab->split) - 1u);
	if (l2_index >= (1u << (span - 1)))
		return false;
	/* L2Ptr[5+Span-1:0] treated as 0: the L2 array is size-aligned. */
	l2ptr = L1STD_L2PTR(l1std) & ~((1ull << (span + 5)) - 1);
	*ste_pa = l2ptr + (uint64_t)l2_index * 64u;
	return true;
}

bool smmu_l1cd_decode(uint64_t l1cd, unsigned ia_bits, uint64_t *l2ptr)
{
	uint64_t ptr = L1CD_L2PTR(l1cd);

	assert(l2ptr);
	if (!L1CD_V(l1cd) || above(ptr, ia_bits))
		return false;
	*l2ptr = ptr;
	return true;
}

static bool cfg_s1(unsigned config)
{
	return config == SMMU_STE_CFG_S1 || config == SMMU_STE_CFG_NESTED;
}

static bool cfg_s2(unsigned config)
{
	return config == SMMU_STE_CFG_S2 || config == SMMU_STE_CFG_NESTED;
}

/* IgnoreSTESTRW() for a Non-secure STE. */
static bool strw_unused(const struct smmu_caps *caps, unsigned config)
{
	return !caps->s1p || !caps->hyp || cfg_s2(config) || config == SMMU_STE_CFG_BYPASS;
}

/*
 * Stage-2 checks of SteIllegal() for Config = 11x, in the pseudocode order,
 * and the decoded stage. Returns false if the STE is ILLEGAL.
 */
static bool ste_decode_s2(const uint64_t raw[8], const struct smmu_caps *caps, struct smmu_ste *ste)
{
	bool aa64 = STE_S2AA64(raw);
	bool ha = STE_S2HA(raw), hd = STE_S2HD(raw), haft = STE_S2HAFT(raw);
	bool s2s = STE_S2S(raw);
	unsigned sl0 = (unsigned)STE_S2SL0(raw);
	uint64_t ttb = STE_S2TTB(raw);
	struct smmu_ptw_stage *s2 = &ste->s2;
	unsigned shift, pa_range;

	if (!aa64 && caps->fwb && STE_S2FWB(raw))
		return false; /* no FWB with VMSAv8-32 LPAE */
	if (s2s && caps->stall_model == 1)
		return false; /* terminate-only SMMU, yet S2S */
	if (caps->stall_model == 2 && !s2s)
		return false; /* stall forced, yet S2S == 0 */
	if (!aa64 && !(caps->ttf & 1))
		return false;
	if (aa64 && !(caps->ttf & 2))
		return false;
	/* HTTU: no flag updates with AArch32 or HTTU == 00, dirty needs 1x,
	 * HAFT needs HA (HAFT is RES0 unless HTTU == 11). */
	if ((ha || hd) && (!aa64 || caps->httu == 0))
		return false;
	if (hd && caps->httu == 1)
		return false;
	if (haft && !ha && caps->httu == 3)
		return false;

	/* S2TG is RES0 for AArch32 and the granule is 4 KB. */
	shift = aa64 ? tg0_shift((unsigned)STE_S2TG(raw)) : 12;
	if (aa64 && !granule_supported(caps, shift))
		return false;

	/* CalcPARange(): 40 bits for AArch32, else eff_S2PS. */
	pa_range = aa64 ? umin(ps_bits((unsigned)STE_S2PS(raw), caps->minor_rev), caps->oas_bits)
			: 40;
	if (above(ttb, pa_range))
		return false;
	if (aa64 && shift < 16 && above(ttb, 48))
		return false; /* 4K/16K without S2DS: 48-bit table addresses */

	s2->stage2 = true;
	s2->granule_shift = (uint8_t)shift;
	s2->oa_bits = (uint8_t)pa_range;
	if (aa64) {
		unsigned tsz = (unsigned)STE_S2T0SZ(raw);
		unsigned floor = caps->ias_bits < 64 ? 64u - caps->ias_bits : 0;
		unsigned min = caps->minor_rev == 0 ? floor : umax(shift == 16 ? 12 : 16, floor);

		if (tsz < min || tsz > txsz_max(caps, shift))
			return false;
		s2->tsz = (uint8_t)tsz;
	} else {
		/* VMSAv8-32 LPAE: S2T0SZ[3:0] is a signed -8..7 and the input
		 * size is 32 - T0SZ; only start levels 2 (SL0 00) and 1 (01). */
		int t0sz = (int)STE_S2T0SZ(raw) & 0xf;

		if (t0sz >= 8)
			t0sz -= 16;
		if (sl0 > 1)
			return false;
		s2->tsz = (uint8_t)(32 + t0sz);
	}
	/* SL0 / T0SZ / TG consistency; also fills start_level and concat. */
	if (!smmu_ptw_s2_setup(s2, sl0))
		return false;
	if ((caps->ttendian == 2 && STE_S2ENDI(raw)) || (caps->ttendian == 3 && !STE_S2ENDI(raw)))
		return false;

	s2->ttb = ttb_align(ttb, s2);
	s2->affd = STE_S2AFFD(raw);
	s2->xnx = aa64 && caps->xnx;
	ste->s2aa64 = aa64;
	ste->s2endi = STE_S2ENDI(raw);
	ste->s2ha = ha;
	ste->s2hd = ha && hd; /* {HA,HD} = 01 is reserved and behaves as 00 */
	s2->ha = ste->s2ha;
	s2->hd = ste->s2hd;
	ste->s2haft = caps->httu == 3 && haft;
	ste->s2fwb = aa64 && caps->fwb && STE_S2FWB(raw);
	ste->s2s = s2s;
	ste->s2r = STE_S2R(raw);
	ste->s2ptw = ste->config == SMMU_STE_CFG_NESTED && STE_S2PTW(raw);
	s2->ptw = ste->s2ptw;
	s2->fwb = ste->s2fwb;
	ste->s2ir0 = (uint8_t)STE_S2IR0(raw);
	ste->s2or0 = (uint8_t)STE_S2OR0(raw);
	ste->s2sh0 = (uint8_t)(STE_S2SH0(raw) == 1 ? 0 : STE_S2SH0(raw));
	return true;
}

static int ste_decode(const uint64_t raw[8], const struct smmu_caps *caps, struct smmu_ste *ste)
{
	unsigned config = (unsigned)STE_CONFIG(raw);
	unsigned strw = (unsigned)STE_STRW(raw);
	unsigned eats = (unsigned)STE_EATS(raw);
	bool strw_ign, s2_en, s2s;

	if (!STE_V(raw))
		return SMMU_EVT_C_BAD_STE;
	ste->v = true;
	ste->world = SMMU_WORLD_NS_EL1;
	if (config < SMMU_STE_CFG_BYPASS) {
		/* 0xx: silent abort, every other field IGNORED. */
		ste->config = SMMU_STE_CFG_ABORT;
		ste->cont = (uint8_t)STE_CONT(raw);
		return 0;
	}
	ste->config = (uint8_t)config;

	if (cfg_s1(config) && !caps->s1p)
		return SMMU_EVT_C_BAD_STE;
	if (cfg_s2(config) && !caps->s2p)
		return SMMU_EVT_C_BAD_STE;

	strw_ign = strw_unused(caps, config);
	s2_en = cfg_s2(config);
	s2s = STE_S2S(raw);

	/* ATS: EATS is IGNORED without IDR0.ATS and for Config x00. */
	if (caps->ats && config != SMMU_STE_CFG_BYPASS) {
		if (eats == 2 && (config != SMMU_STE_CFG_NESTED || s2s || caps->ns1ats))
			return SMMU_EVT_C_BAD_STE; /* split-stage needs nesting and NS1ATS == 0 */
		if (eats == 1 && s2s && s2_en)
			return SMMU_EVT_C_BAD_STE; /* full ATS cannot stall stage 2 */
		/* EATS = 11 needs IDR3.DPT, not modelled: it acts as 00. */
	}

	if (!strw_ign && (strw & 1))
		return SMMU_EVT_C_BAD_STE; /* x1 is reserved in the NS Stream table */

	if (cfg_s1(config)) {
		uint64_t ctx = STE_S1CTXPTR(raw);
		unsigned cdmax = (unsigned)STE_S1CDMAX(raw);
		unsigned fmt = (unsigned)STE_S1FMT(raw);

		if (STE_S1STALLD(raw) && caps->stall_model != 0)
			return SMMU_EVT_C_BAD_STE;
		if (caps->ssidsize != 0 && cdmax > caps->ssidsize)
			return SMMU_EVT_C_BAD_STE;
		if (caps->ssidsize != 0 && cdmax != 0 && !caps->cd2l && (fmt == 1 || fmt == 2))
			return SMMU_EVT_C_BAD_STE;
		/* STES1ContextPtrOutOfRange(): an IPA when stage 2 is enabled. */
		if (above(ctx, s2_en ? caps->ias_bits : caps->oas_bits))
			return SMMU_EVT_C_BAD_STE;

		/* Substreams are disabled when SSIDSIZE == 0 (S1CDMax RES0),
		 * and S1Fmt only matters when S1CDMax != 0; 11 acts as 00. */
		ste->s1cdmax = caps->ssidsize != 0 ? (uint8_t)cdmax : 0;
		ste->s1fmt = (ste->s1cdmax != 0 && fmt != 3) ? (uint8_t)fmt : 0;
		ste->s1dss = STE_S1DSS(raw) == 3 ? 0 : (uint8_t)STE_S1DSS(raw);
		ste->s1ctxptr = ctx;
		ste->s1stalld = STE_S1STALLD(raw);
		ste->s1cir = (uint8_t)STE_S1CIR(raw);
		ste->s1cor = (uint8_t)STE_S1COR(raw);
		ste->s1csh = (uint8_t)(STE_S1CSH(raw) == 1 ? 0 : STE_S1CSH(raw));
	}

	if (s2_en && !ste_decode_s2(raw, caps, ste))
		return SMMU_EVT_C_BAD_STE;

	/* IgnoreSTES2VMID(): S2VMID tags NS-EL1 translations (Config 1x1 or
	 * 11x) when stage 2 is implemented, even if only stage 1 is enabled. */
	if (caps->s2p && config != SMMU_STE_CFG_BYPASS && (strw_ign || strw == 0)) {
		uint16_t vmid = (uint16_t)STE_S2VMID(raw);

		if (!caps->vmid16 && (vmid >> 8) != 0)
			return SMMU_EVT_C_BAD_STE;
		ste->s2vmid = vmid;
	}

	/* StreamWorld (§3.3.3): NS-EL1 unless STRW is used and selects EL2. */
	ste->strw = (uint8_t)(strw_ign ? 0 : strw);
	if (!strw_ign && strw == 2)
		ste->world = caps->e2h ? SMMU_WORLD_NS_EL2_E2H : SMMU_WORLD_NS_EL2;

	ste->eats = (caps->ats && config != SMMU_STE_CFG_BYPASS && eats != 3) ? (uint8_t)eats : 0;
	ste->mev = STE_MEV(raw);
	/* IDR1.ATTR_PERMS_OVR / ATTR_TYPES_OVR = 0: the fields are fixed as
	 * "incoming" (digest §1.3). */
	ste->privcfg = STE_PRIVCFG(raw) == 1 ? 0 : (uint8_t)STE_PRIVCFG(raw);
	ste->instcfg = STE_INSTCFG(raw) == 1 ? 0 : (uint8_t)STE_INSTCFG(raw);
	if (!caps->attr_perms_ovr)
		ste->privcfg = ste->instcfg = 0;
	ste->memattr = (uint8_t)STE_MEMATTR(raw);
	ste->mtcfg = STE_MTCFG(raw);
	ste->alloccfg = (uint8_t)STE_ALLOCCFG(raw);
	ste->shcfg = (uint8_t)STE_SHCFG(raw);
	if (!caps->attr_types_ovr) {
		ste->mtcfg = false;
		ste->alloccfg = 0;
		ste->shcfg = 1; /* incoming */
	}
	ste->dre = STE_DRE(raw);
	ste->ppar = STE_PPAR(raw);
	ste->dcp = STE_DCP(raw);
	ste->cont = (uint8_t)STE_CONT(raw);
	return 0;
}

int smmu_ste_decode(const uint64_t raw[8], const struct smmu_caps *caps, struct smmu_ste *out)
{
	struct smmu_ste ste;
	int ret;

	assert(raw && caps && out);
	memset(&ste, 0, sizeof(ste));
	ret = ste_decode(raw, caps, &ste);
	if (ret != 0)
		memset(&ste, 0, sizeof(ste));
	*out = ste;
	return ret;
}

/*
 * One TTBx translation regime of a CD: CDTxSZInvalid(), GranuleSupported()
 * and the TTB range check for an enabled TTBx, then the decoded stage.
 * Returns false if the CD is ILLEGAL.
 */
static bool cd_decode_tt(const uint64_t raw[8], unsigned i, const struct smmu_caps *caps,
			 bool aa64, bool el2, unsigned ips, struct smmu_ptw_stage *tt)
{
	unsigned txsz = (unsigned)(i == 0 ? CD_T0SZ(raw) : CD_T1SZ(raw));
	unsigned tg = (unsigned)(i == 0 ? CD_TG0(raw) : CD_TG1(raw));
	uint64_t ttb = i == 0 ? CD_TTB0(raw) : CD_TTB1(raw);
	unsigned shift, tsz;

	if (aa64) {
		shift = i == 0 ? tg0_shift(tg) : tg1_shift(tg);
		/* 52-bit VAs (TxSZ 12) need IDR5.VAX and the 64 KB granule
		 * (or DS, not modelled). */
		unsigned min = (caps->vax != 0 && shift == 16) ? 12 : 16;

		if (txsz < min || txsz > txsz_max(caps, shift))
			return false;
		if (!granule_supported(caps, shift))
			return false;
		tsz = txsz;
	} else {
		/* VMSAv8-32 LPAE: TxSZ[2:0], input size 32 - TxSZ, 4 KB. */
		shift = 12;
		tsz = 32u + (txsz & 7u);
	}
	if (above(ttb, ips))
		return false;
	if (aa64 && shift < 16 && above(ttb, 48))
		return false; /* 4K/16K without DS: 48-bit table addresses */

	tt->stage2 = false;
	tt->granule_shift = (uint8_t)shift;
	tt->tsz = (uint8_t)tsz;
	tt->start_level = (int8_t)smmu_ptw_s1_start_level(tsz, shift);
	assert(tt->start_level >= 0); /* TxSZ range already checked */
	tt->concat = 1;
	tt->oa_bits = (uint8_t)ips;
	tt->ttb = ttb_align(ttb, tt);
	tt->affd = CD_AFFD(raw);
	tt->el2 = el2;
	tt->wxn = CD_WXN(raw);
	tt->pan = !el2 && CD_PAN(raw); /* PAN is effectively 0 for any-EL2 */
	tt->xnx = false;
	return true;
}

static int cd_decode(const uint64_t raw[8], const struct smmu_ste *ste,
		     const struct smmu_caps *caps, struct smmu_cd *cd)
{
	bool el2 = ste->world == SMMU_WORLD_NS_EL2;
	bool aa64 = CD_AA64(raw);
	bool s = CD_S(raw), ha = CD_HA(raw), hd = CD_HD(raw), haft = CD_HAFT(raw);
	unsigned ips;

	if (!CD_V(raw))
		return SMMU_EVT_C_BAD_CD;
	if (ste->s1stalld && s)
		return SMMU_EVT_C_BAD_CD;
	if (caps->term_model && !CD_A(raw))
		return SMMU_EVT_C_BAD_CD; /* no RAZ/WI termination */
	if (caps->stall_model == 1 && s)
		return SMMU_EVT_C_BAD_CD;
	if (caps->stall_model == 2 && !s)
		return SMMU_EVT_C_BAD_CD;

	/* EffectiveCDEPDx(): any-EL2 has TTB0 only, EPD0 reads as 0 and
	 * TTB1 is unreachable (its fields are RES0 and not checked). */
	cd->epd[0] = !el2 && CD_EPD0(raw);
	cd->epd[1] = el2 || CD_EPD1(raw);

	if (!(cd->epd[0] && cd->epd[1]) &&
	    ((caps->ttendian == 2 && CD_ENDI(raw)) || (caps->ttendian == 3 && !CD_ENDI(raw))))
		return SMMU_EVT_C_BAD_CD;
	if (!aa64 && (!(caps->ttf & 1) || ste->world == SMMU_WORLD_NS_EL2_E2H))
		return SMMU_EVT_C_BAD_CD;
	/* No VMSAv8-64 stage 1 over a VMSAv8-32 stage 2. */
	if (aa64 && (!(caps->ttf & 2) || (cfg_s2(ste->config) && !ste->s2aa64)))
		return SMMU_EVT_C_BAD_CD;
	if (aa64 && (((ha || hd) && caps->httu == 0) || (hd && caps->httu == 1) ||
		     (caps->httu == 3 && haft && !ha)))
		return SMMU_EVT_C_BAD_CD;
	/* ASID is IGNORED for any-EL2. */
	if (!el2 && !caps->asid16 && (CD_ASID(raw) >> 8) != 0)
		return SMMU_EVT_C_BAD_CD;

	/* CalcPARange(): 40 bits for AArch32, else eff_IPS. */
	ips = aa64 ? umin(ps_bits((unsigned)CD_IPS(raw), caps->minor_rev), caps->oas_bits) : 40;
	/* TxSZ, then granule and TTB, for each enabled TTBx (the pseudocode
	 * checks both TxSZ first; the result is the same event). */
	for (unsigned i = 0; i < 2; i++)
		if (!cd->epd[i] && !cd_decode_tt(raw, i, caps, aa64, el2, ips, &cd->tt[i]))
			return SMMU_EVT_C_BAD_CD;

	cd->v = true;
	cd->aa64 = aa64;
	cd->ips_bits = (uint8_t)ips;
	cd->asid = el2 ? 0 : (uint16_t)CD_ASID(raw);
	cd->tbi[0] = aa64 && CD_TBI0(raw);
	cd->tbi[1] = aa64 && !el2 && CD_TBI1(raw);
	cd->affd = CD_AFFD(raw);
	cd->a = CD_A(raw);
	cd->r = CD_R(raw);
	cd->s = s;
	cd->aset = CD_ASET(raw);
	cd->pan = !el2 && CD_PAN(raw);
	cd->wxn = CD_WXN(raw);
	cd->uwxn = !aa64 && !el2 && CD_UWXN(raw);
	cd->mair = CD_MAIR(raw);
	cd->amair = CD_AMAIR(raw);
	cd->endi = CD_ENDI(raw);
	/* HTTU is IGNORED for AArch32; {HD,HA} = 10 behaves as 00. */
	cd->ha = aa64 && ha;
	cd->hd = aa64 && ha && hd;
	for (int i = 0; i < 2; i++) {
		cd->tt[i].ha = cd->ha;
		cd->tt[i].hd = cd->hd;
	}
	cd->haft = aa64 && caps->httu == 3 && haft;
	/* IDR3.HAD is mandatory from v3.1 (caps has no HAD bit). */
	cd->had[0] = caps->minor_rev >= 1 && CD_HAD0(raw);
	cd->had[1] = caps->minor_rev >= 1 && !el2 && CD_HAD1(raw);
	cd->walk_ir[0] = (uint8_t)CD_IR0(raw);
	cd->walk_or[0] = (uint8_t)CD_OR0(raw);
	cd->walk_sh[0] = (uint8_t)(CD_SH0(raw) == 1 ? 0 : CD_SH0(raw));
	if (!el2) {
		cd->walk_ir[1] = (uint8_t)CD_IR1(raw);
		cd->walk_or[1] = (uint8_t)CD_OR1(raw);
		cd->walk_sh[1] = (uint8_t)(CD_SH1(raw) == 1 ? 0 : CD_SH1(raw));
	}
	return 0;
}

int smmu_cd_decode(const uint64_t raw[8], const struct smmu_ste *ste, const struct smmu_caps *caps,
		   struct smmu_cd *out)
{
	struct smmu_cd cd;
	int ret;

	assert(raw && ste && caps && out);
	memset(&cd, 0, sizeof(cd));
	ret = cd_decode(raw, ste, caps, &cd);
	if (ret != 0)
		memset(&cd, 0, sizeof(cd));
	*out = cd;
	return ret;
}
