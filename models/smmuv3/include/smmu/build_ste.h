/*
 * build_ste.h - encoders for the SMMUv3 configuration structures that
 * software writes to memory: STE (IHI 0070 G.b §5.2), L1STD (§5.1), CD
 * (§5.4) and L1CD (§5.3). Used by the tests, the simulator and the kernel
 * driver model, so every field the model's decoder reads can be set.
 *
 * Usage: fill a fields struct with its *_init() defaults, change what the
 * scenario needs, then encode into uint64_t[8] (little-endian words as they
 * sit in memory: word K holds structure bits [64K+63:64K]). The one-shot
 * smmu_build_ste_*() / smmu_build_cd() cover the common configurations.
 *
 * The encoders do not validate: a field value wider than its encoding is
 * truncated to the field, and illegal combinations are encoded as asked (the
 * tests rely on that to build ILLEGAL structures). Secure-only, D128, MPAM,
 * DPT, PBHA and permission-indirection fields are always written as zero.
 *
 * Plain C, usable from C++.
 */
#ifndef SMMU_BUILD_STE_H
#define SMMU_BUILD_STE_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* STE.Config encodings (§5.2) for smmu_ste_fields.config. */
enum smmu_ste_config_enc {
	SMMU_STE_CONFIG_ABORT = 0,  /* 000: abort, no event */
	SMMU_STE_CONFIG_BYPASS = 4, /* 100: both stages bypassed */
	SMMU_STE_CONFIG_S1 = 5,     /* 101: stage 1 only */
	SMMU_STE_CONFIG_S2 = 6,     /* 110: stage 2 only */
	SMMU_STE_CONFIG_NESTED = 7, /* 111: stage 1 then stage 2 */
};

/*
 * Every field of a Non-secure STE, in architectural units unless noted.
 * Granules are given as a shift (12 = 4 KB, 14 = 16 KB, 16 = 64 KB) and the
 * encoder picks the S2TG encoding; any other shift encodes the reserved
 * value 11. Address sizes are given in bits (32, 36, 40, 42, 44, 48, 52 or
 * 56) and the encoder picks the S2PS encoding of the largest size not above
 * the value (below 32 gives 000).
 */
struct smmu_ste_fields {
	uint32_t size;      /* sizeof(struct smmu_ste_fields), set by init */
	bool v;             /* V */
	uint8_t config;     /* enum smmu_ste_config_enc (any 3-bit value) */

	/* Stage 1 (Config 1x1) */
	uint64_t s1ctxptr;  /* CD or CD-table address, bits [55:6] (an IPA when nested) */
	uint8_t s1cdmax;    /* log2 of the number of CDs; 0 = no substreams */
	uint8_t s1fmt;      /* 0 linear, 1 2-level 4K leaves, 2 2-level 64K leaves */
	uint8_t s1dss;      /* 0 terminate, 1 bypass, 2 substream 0 */
	uint8_t s1cir, s1cor; /* CD fetch cacheability: 0 NC, 1 WB RA, 2 WT RA, 3 WB no-RA */
	uint8_t s1csh;      /* CD fetch shareability: 0 NSH, 2 OSH, 3 ISH */
	bool s1stalld;

	/* Stream behaviour */
	uint8_t eats;       /* 0 off, 1 full ATS, 2 split-stage */
	uint8_t strw;       /* 0 EL1, 2 EL2 / EL2-E2H */
	bool mev, dre, dcp, ppar;
	uint8_t cont;       /* 2^cont identical STEs (4 bits) */
	uint8_t sw_reserved; /* SW_RESERVED (4 bits), never interpreted */

	/* Attribute overrides (§13) */
	bool mtcfg;
	uint8_t memattr;    /* S2 MemAttr encoding (4 bits) */
	uint8_t alloccfg;   /* 0xxx incoming, 1RWT override (4 bits) */
	uint8_t shcfg;      /* 0 NSH, 1 incoming, 2 OSH, 3 ISH */
	uint8_t privcfg;    /* 0 incoming, 2 unprivileged, 3 privileged */
	uint8_t instcfg;    /* 0 incoming, 2 data, 3 instruction */

	/* Stage 2 (Config 11x) */
	uint16_t s2vmid;
	uint64_t s2ttb;     /* start table address, bits [55:4] */
	uint8_t s2t0sz;     /* AArch64: 6 bits; AArch32: 4-bit two's complement */
	uint8_t s2sl0;      /* VTCR_EL2.SL0 (AArch32: VTCR.SL0) encoding */
	uint8_t s2_granule_shift; /* S2TG */
	uint8_t s2ps_bits;  /* S2PS */
	bool s2aa64;        /* 1 VMSAv8-64, 0 VMSAv8-32 LPAE */
	uint8_t s2ir0, s2or0, s2sh0; /* walk attributes, encoded as S1CIR/S1CSH */
	bool s2endi, s2affd, s2ptw, s2fwb;
	bool s2ha, s2hd, s2haft;
	bool s2s, s2r;
};

/*
 * Defaults: V=1, Config abort, everything else as a Linux-like driver
 * writes it: write-back inner-shareable walks and CD fetches (IR/OR 01,
 * SH 11), SHCFG "incoming", S2R=1, AArch64 stage 2 with a 4 KB granule,
 * 48-bit S2PS, S2T0SZ 24 with S2SL0 1 (40-bit IPA, two concatenated level-1
 * tables). Addresses and VMID 0.
 */
void smmu_ste_fields_init(struct smmu_ste_fields *f);

/*
 * Enable stage 1 (Config 101, or 111 if stage 2 was already enabled) and set
 * the CD pointer and table format.
 */
void smmu_ste_fields_s1(struct smmu_ste_fields *f, uint64_t ctxptr, unsigned s1cdmax,
			unsigned s1fmt);

/*
 * Enable stage 2 (Config 110, or 111 if stage 1 was already enabled): VMID,
 * table base and a consistent {S2TG, S2T0SZ, S2SL0} for an IPA of ipa_bits
 * with the given granule (see smmu_ste_fields_s2_geometry()). Returns false
 * if no geometry exists (the fields are then set as far as possible).
 */
bool smmu_ste_fields_s2(struct smmu_ste_fields *f, uint16_t vmid, uint64_t s2ttb,
			unsigned granule_shift, unsigned ipa_bits);

/*
 * Set S2TG, S2T0SZ = 64 - ipa_bits and an S2SL0 that starts the walk at the
 * shallowest level, concatenating up to 16 start tables one level down when
 * that saves a level from level 0 or 1 (as Linux io-pgtable does). Returns
 * false if granule_shift is not 12/14/16 or ipa_bits is not in 25..48
 * (25..52 for 64 KB), or if the result would need 4 KB SL0 = 11 (FEAT_TTST).
 * Whether the SMMU accepts the result still depends on its caps (granules,
 * STT, PA size); the decoder is the judge.
 */
bool smmu_ste_fields_s2_geometry(struct smmu_ste_fields *f, unsigned granule_shift,
				 unsigned ipa_bits);

/* Encode f into ste[0..7] (all 64 bytes are written). */
void smmu_build_ste(const struct smmu_ste_fields *f, uint64_t ste[8]);

/* One-shot builders, all starting from smmu_ste_fields_init(). */
void smmu_build_ste_invalid(uint64_t ste[8]); /* V=0 */
void smmu_build_ste_abort(uint64_t ste[8]);   /* V=1, Config 000 */
void smmu_build_ste_bypass(uint64_t ste[8]);  /* V=1, Config 100 */
void smmu_build_ste_s1(uint64_t ste[8], uint64_t ctxptr, unsigned s1cdmax, unsigned s1fmt);
bool smmu_build_ste_s2(uint64_t ste[8], uint16_t vmid, uint64_t s2ttb, unsigned granule_shift,
		       unsigned ipa_bits);
bool smmu_build_ste_nested(uint64_t ste[8], uint64_t ctxptr_ipa, unsigned s1cdmax,
			   unsigned s1fmt, uint16_t vmid, uint64_t s2ttb,
			   unsigned granule_shift, unsigned ipa_bits);

/*
 * L1STD (§5.1): span = 1 + log2(number of STEs in the L2 array), 0 for an
 * invalid descriptor; l2ptr is written as bits [55:6].
 */
uint64_t smmu_build_l1std(uint64_t l2ptr, unsigned span);

/*
 * Every field of a CD. TTBx granules are shifts (12/14/16) and the encoder
 * applies the different TG0 and TG1 encodings; any other shift encodes the
 * reserved value (TG0 11, TG1 00). IPS is in bits as for S2PS. For an
 * AArch32 (VMSAv8-32 LPAE) CD only TxSZ[2:0] are meaningful.
 */
struct smmu_cd_fields {
	uint32_t size;      /* sizeof(struct smmu_cd_fields), set by init */
	bool v;
	bool aa64;
	/* TTB0 */
	uint64_t ttb0;      /* bits [55:4] */
	uint8_t t0sz;
	uint8_t tg0_shift;
	uint8_t ir0, or0, sh0;
	bool epd0, tbi0, had0;
	/* TTB1 */
	uint64_t ttb1;
	uint8_t t1sz;
	uint8_t tg1_shift;
	uint8_t ir1, or1, sh1;
	bool epd1, tbi1, had1;
	/* Regime */
	uint8_t ips_bits;
	bool endi;
	bool affd, wxn, uwxn, pan;
	bool ha, hd, haft;
	bool a, r, s;       /* fault behaviour (§5.5) */
	bool aset;
	uint16_t asid;
	uint64_t mair, amair;
};

/*
 * Defaults: V=1, AArch64, TTB0 at 0 with a 4 KB granule and T0SZ 16 (48-bit
 * VA), TTB1 disabled (EPD1=1, TG1 4 KB, T1SZ 16), write-back inner-shareable
 * walks, IPS 48, A=1 R=1 S=0, ASET 0, ASID 0, MAIR as Linux io-pgtable
 * (0xf404ff44: NC, WB, Device-nGnRE, outer-WB/inner-NC), AMAIR 0.
 */
void smmu_cd_fields_init(struct smmu_cd_fields *f);

/* Encode f into cd[0..7] (all 64 bytes are written). */
void smmu_build_cd_fields(const struct smmu_cd_fields *f, uint64_t cd[8]);

/* One-shot: the defaults with TTB0, ASID, granule and a VA size of va_bits
 * (T0SZ = 64 - va_bits). */
void smmu_build_cd(uint64_t cd[8], uint64_t ttb0, uint16_t asid, unsigned granule_shift,
		   unsigned va_bits);

/* L1CD (§5.3): l2ptr is written as bits [55:12]. */
uint64_t smmu_build_l1cd(uint64_t l2ptr, bool valid);

#ifdef __cplusplus
}
#endif
#endif
