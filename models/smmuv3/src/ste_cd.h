/*
 * ste_cd.h - decoding and validation of Stream Table Entries, L1 stream
 * table descriptors, Context Descriptors and L1 CD descriptors.
 * Internal to models/smmuv3. Pure functions over the raw little-endian
 * 64-bit words; the caller fetches memory and raises the events.
 *
 * IHI 0070 G.b §5.1 (L1STD), §5.2 (STE, SteIllegal()), §5.3 (L1CD),
 * §5.4 (CD, CdIllegal()), §3.3.3 (StreamWorld).
 */
#ifndef SMMU_STE_CD_H
#define SMMU_STE_CD_H

#include <stdbool.h>
#include <stdint.h>

#include "caps.h"
#include "ptw.h"

#ifdef __cplusplus
extern "C" {
#endif

/* STE.Config values (§5.2). */
enum smmu_ste_config {
	SMMU_STE_CFG_ABORT = 0,  /* 0xx: abort, no event */
	SMMU_STE_CFG_BYPASS = 4, /* 100 */
	SMMU_STE_CFG_S1 = 5,     /* 101 */
	SMMU_STE_CFG_S2 = 6,     /* 110 */
	SMMU_STE_CFG_NESTED = 7, /* 111 */
};

struct smmu_ste {
	uint8_t config;        /* enum smmu_ste_config; 0..3 are all reported as ABORT */
	uint8_t world;         /* enum smmu_world, from STRW (+ CR2.E2H) */
	/* Stage 1 */
	uint8_t s1fmt;         /* 0 linear, 1 2-level 4K leaves, 2 2-level 64K leaves */
	uint8_t s1cdmax;
	uint8_t s1dss;         /* 0 terminate, 1 bypass, 2 use CD 0 */
	uint64_t s1ctxptr;     /* CD / CD table address: IPA when stage 2 is enabled */
	bool s1stalld;
	/* Stage 2 */
	uint16_t s2vmid;       /* tags NS-EL1 entries when stage 2 enabled or Config nested/s1 with S2P */
	struct smmu_ptw_stage s2; /* decoded, start level and concat computed */
	bool s2r, s2s;         /* record / stall on S2 faults */
	bool s2ptw;
	/* Other */
	uint8_t eats;
	bool mev;
	uint8_t privcfg, instcfg;  /* 0 incoming, 2 unpriv/data, 3 priv/instruction */
	uint8_t strw;
	/* Added by the decoder (ste_cd.c). Zero unless the owning stage is enabled. */
	bool v;                /* STE.V (always 1 when decode returns 0) */
	uint8_t s1cir, s1cor, s1csh; /* CD fetch attributes (S1CSH 01 reported as 00) */
	bool s2aa64;           /* 1: VMSAv8-64 stage 2; 0: VMSAv8-32 LPAE (s2.oa_bits == 40) */
	bool s2endi;           /* stage-2 tables big-endian */
	bool s2ha, s2hd, s2haft; /* stage-2 HTTU ({HA,HD} = 01 reported as 00) */
	bool s2fwb;            /* only when IDR3.FWB */
	uint8_t s2ir0, s2or0, s2sh0; /* stage-2 walk attributes (S2SH0 01 reported as 00) */
	/* Attribute overrides (§13), decoded for every Config >= 100. */
	uint8_t memattr;       /* 4-bit S2 MemAttr encoding */
	bool mtcfg;
	uint8_t alloccfg;      /* 0xxx incoming, 1RWT override (raw) */
	uint8_t shcfg;         /* 00 NSH, 01 incoming, 10 OSH, 11 ISH (raw) */
	bool dre, ppar, dcp;
	uint8_t cont;          /* CONT: 2^cont identical STEs */
};

struct smmu_cd {
	struct smmu_ptw_stage tt[2]; /* TTB0 and TTB1 regimes (start level computed);
				      * tt[i] is all-zero when epd[i] (fields IGNORED) */
	bool epd[2];                 /* effective EPD: any-EL2 gives EPD0 = 0 and EPD1 = 1
				      * (TTB1 unreachable, §5.4.1) */
	bool tbi[2];
	uint16_t asid;
	bool aa64;
	bool affd;
	bool a, r, s;                /* fault behaviour (§5.5) */
	bool aset;
	bool pan, wxn;
	uint8_t ips_bits;            /* eff_IPS */
	uint64_t mair;
	bool ha, hd;
	/* Added by the decoder (ste_cd.c). */
	bool v;                      /* CD.V (always 1 when decode returns 0) */
	bool endi;                   /* tables big-endian */
	bool uwxn;                   /* AArch32 CDs only (IGNORED for AArch64) */
	bool haft;                   /* HTTU == 11 only */
	bool had[2];                 /* hierarchical attribute disable per TTBx */
	uint8_t walk_ir[2], walk_or[2], walk_sh[2]; /* IRx/ORx/SHx (SH 01 reported as 00) */
	uint64_t amair;
};

/* Stream table format, from STRTAB_BASE_CFG.  */
struct smmu_strtab_cfg {
	uint64_t base;      /* effective (aligned) base */
	bool two_level;
	uint8_t log2size;   /* effective: min(LOG2SIZE, SIDSIZE) */
	uint8_t split;      /* effective: 6, 8 or 10 */
};

/*
 * L1STD decode (§5.1). Returns true and the L2 STE address for sid if the
 * descriptor is usable for sid; false means C_BAD_STREAMID.
 */
bool smmu_l1std_decode(uint64_t l1std, const struct smmu_strtab_cfg *tab, uint32_t sid,
		       uint64_t *ste_pa);

/*
 * STE decode and SteIllegal() checks (§5.2.2). Returns 0 if usable (V=1 and
 * legal, any Config), or SMMU_EVT_C_BAD_STE (0x04) if V=0 or ILLEGAL; *out
 * is then all-zero. Fields of a disabled stage, and `strw` when STRW is
 * IGNORED, decode as 0; s2vmid is 0 when IGNORED (not NS-EL1, bypass).
 */
int smmu_ste_decode(const uint64_t raw[8], const struct smmu_caps *caps, struct smmu_ste *out);

/*
 * L1CD decode (§5.3): returns true and the L2 CD table address if V=1 and the
 * pointer is in range (ia_bits: IAS when stage 2 is enabled, else OAS).
 */
bool smmu_l1cd_decode(uint64_t l1cd, unsigned ia_bits, uint64_t *l2ptr);

/*
 * CD decode and CdIllegal() checks (§5.4.2). `ste` gives the world, stalls
 * and stage-2 format. Returns 0 or SMMU_EVT_C_BAD_CD (0x0A); *out is then
 * all-zero. AArch32 CDs decode to 4 KB regimes with tsz = 32 + TxSZ[2:0]
 * and 40-bit output; the TTB0/TTB1 split of VMSAv8-32 is not represented.
 */
int smmu_cd_decode(const uint64_t raw[8], const struct smmu_ste *ste, const struct smmu_caps *caps,
		   struct smmu_cd *out);

#ifdef __cplusplus
}
#endif

#endif
