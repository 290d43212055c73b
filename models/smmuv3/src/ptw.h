/*
 * ptw.h - VMSAv8-64 translation table walker (stage 1, stage 2, nested).
 * Internal to models/smmuv3. Pure functions: all memory goes through the
 * read callback, so the walker has no knowledge of caches or timing; the
 * caller (xlate.c) adds walk-cache hints and charges cycles per read.
 *
 * IHI 0070 G.b §3.4 (address sizes), §5.2 (STE S2 fields), §5.4 (CD),
 * §7.3.x (fault records); VMSAv8-64 descriptor formats per the Arm ARM.
 */
#ifndef SMMU_PTW_H
#define SMMU_PTW_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Permission bits as cached in TLB entries. */
enum {
	SMMU_PERM_UR = 1u << 0, /* unprivileged read */
	SMMU_PERM_UW = 1u << 1,
	SMMU_PERM_UX = 1u << 2,
	SMMU_PERM_PR = 1u << 3, /* privileged read */
	SMMU_PERM_PW = 1u << 4,
	SMMU_PERM_PX = 1u << 5,
	SMMU_PERM_ALL = 0x3f,
};

/* One stage's translation regime, already validated by the STE/CD decoder. */
struct smmu_ptw_stage {
	bool stage2;          /* stage-2 regime (S2AP/XN, SL0 start level) */
	uint8_t granule_shift; /* 12, 14 or 16 */
	uint8_t tsz;           /* TxSZ / S2T0SZ: input size is 64 - tsz bits */
	int8_t start_level;    /* 0..3; for S1 computed from tsz and granule */
	uint8_t concat;        /* S2 only: number of concatenated start tables (1..16) */
	uint8_t oa_bits;       /* eff_IPS (S1) / eff_S2PS (S2) */
	uint64_t ttb;          /* start table base: a PA, or an IPA for nested S1 */
	bool affd;             /* AF fault disable: AF=0 treated as 1 */
	bool ha, hd;           /* HTTU: hardware Access flag / dirty state updates (CD.HA/HD, STE.S2HA/S2HD) */
	/* Stage 1 only. */
	bool el2;              /* any-EL2 world: AP[1] treated as 1, no EL0 */
	bool wxn, pan;
	bool xnx;              /* S2: IDR3.XNX, both XN bits meaningful */
	/* S2 of a nested stream: STE.S2PTW (a stage-1 table fetch, or a CD
	 * fetch, from a page stage 2 maps as any Device type is a stage-2
	 * Permission fault) and STE.S2FWB (how MemAttr says Device). */
	bool ptw, fwb;
};

/* Whether a stage-2 MemAttr (descriptor bits [5:2]) makes the page Device
 * memory: MemAttr[3:2] == 0b00, or with S2FWB MemAttr[2] == 0. */
static inline bool smmu_s2_attr_device(uint8_t memattr, bool fwb)
{
	return fwb ? !(memattr & 4) : !(memattr & 0xc);
}

/* Write one 64-bit descriptor back (an HTTU update, done as the atomic
 * read-modify-write of the descriptor just read). Non-zero: external abort. */
typedef int (*smmu_ptw_write_fn)(void *ctx, uint64_t pa, uint64_t desc);

struct smmu_ptw_req {
	uint64_t ia;   /* input address of this stage (VA after TBI/sign handling for S1, IPA for S2) */
	bool write;
	bool priv;
	bool exec;
	/* HTTU: where descriptor updates go (NULL: no updates are made, HA/HD
	 * then act as if clear) and its context. */
	smmu_ptw_write_fn wr;
	void *wctx;
	/* Nested: a cache of stage-2 translations of stage-1 table IPAs (the
	 * walk cache); lookup returns true with the PA, insert stores a
	 * walked one (its stage-2 leaf: output page base and size). NULL: none. */
	bool (*s2tt_lookup)(void *ctx, uint64_t ipa, uint64_t *pa);
	void (*s2tt_insert)(void *ctx, uint64_t ipa, uint64_t pa, unsigned page_shift);
};

/* A fault, as the event record will carry it. */
struct smmu_ptw_fault {
	uint8_t event;     /* SMMU_EVT_F_TRANSLATION / F_ADDR_SIZE / F_ACCESS / F_PERMISSION / F_WALK_EABT */
	bool s2;           /* fault at stage 2 */
	uint8_t cls;       /* SMMU_CLASS_CD / TT / IN (S2 faults: TT when on a S1 table fetch, IN for the final IPA) */
	uint64_t ipa;      /* S2 faults: the IPA being translated (for CLASS=TT the S1 descriptor's IPA) */
	uint64_t fetch_addr; /* F_WALK_EABT: PA whose read aborted */
	int8_t level;      /* level where it was detected (-1 for range checks) */
	bool desc_write;   /* CLASS=TT: the stage-2 access was an HTTU descriptor write (TTRnW=0) */
};

/* Where a walk may start, from a walk-cache hit: the table at `level`
 * that maps `ia` lives at physical address `table_pa`. */
struct smmu_ptw_hint {
	int8_t level;      /* -1: no hint, start at the regime's start level */
	uint64_t table_pa;
	/* Stage-1 hierarchical restrictions (SMMU_PTW_TBL_*) collected from the
	 * table descriptors above `level`, as reported in
	 * smmu_ptw_result.table_attr[level]; 0 when none. Ignored at stage 2. */
	uint8_t table_attr;
};

/* APTable/XNTable/PXNTable restrictions inherited by lower levels (S1). */
enum {
	SMMU_PTW_TBL_AP_RO = 1u << 0,    /* APTable[1]: no write */
	SMMU_PTW_TBL_AP_NOEL0 = 1u << 1, /* APTable[0]: no EL0 access */
	SMMU_PTW_TBL_XN = 1u << 2,       /* UXNTable / XNTable */
	SMMU_PTW_TBL_PXN = 1u << 3,      /* PXNTable */
};

#define SMMU_PTW_MAX_READS 32

struct smmu_ptw_result {
	uint64_t oa;          /* output address of the input address (not page aligned) */
	uint64_t ipa;         /* nested/S1+S2: the intermediate address; S2-only: == input */
	uint8_t page_shift;   /* size of the leaf mapping (min of the two stages for nested) */
	int8_t level;         /* leaf level of the (last) stage */
	uint8_t s1_perm;      /* SMMU_PERM_* granted by stage 1 (SMMU_PERM_ALL if no S1) */
	uint8_t s2_perm;      /* SMMU_PERM_* granted by stage 2 (SMMU_PERM_ALL if no S2) */
	bool global;          /* S1 leaf had nG == 0 */
	uint8_t s1_attr;      /* S1 AttrIndx, S2 MemAttr: carried, not interpreted */
	uint8_t s2_attr;
	/* Tables the walk read from, per level of the stage-1 walk (for nested:
	 * physical addresses after stage 2) — used to fill the walk cache.
	 * table_pa[l] valid for l in [first_level, s1_level] (S1-only and
	 * nested), or [first_level, level] for S2-only walks (S2 tables). */
	int8_t first_level;
	uint64_t table_pa[4];
	/* Per-stage leaf geometry (added for the walk cache and S2 TLBI by IPA):
	 * s1_level is the stage-1 leaf level and bounds table_pa[] when the
	 * last stage is stage 2 (nested); -1 for S2-only walks. Page shifts
	 * are 0 for a stage that is not walked. */
	int8_t s1_level;
	uint8_t s1_page_shift;
	uint8_t s2_page_shift;
	/* SMMU_PTW_TBL_* in effect for the stage-1 table at each level (what a
	 * walk-cache entry for table_pa[l] must carry into smmu_ptw_hint). */
	uint8_t table_attr[4];
	/* HTTU: descriptor writes made (AF set, dirty state), and whether each
	 * stage's leaf is writable-clean (DBM with HD: a write would dirty it,
	 * so a cached copy must not fault a write but walk again). */
	uint32_t nwrites;
	bool s1_dbm, s2_dbm;
	/* Every descriptor read, in order, for timing. */
	uint32_t nreads;
	uint64_t reads[SMMU_PTW_MAX_READS];
};

/* Read one 64-bit little-endian descriptor at physical address pa.
 * Return 0 on success, non-zero for an external abort. */
typedef int (*smmu_ptw_read_fn)(void *ctx, uint64_t pa, uint64_t *desc);

/*
 * Single-stage walk of `st` for `req`. `hint` may be NULL. Permissions are
 * checked against req. Returns 0 on success (res filled) or 1 on a fault
 * (f filled; res->nreads still counts the reads made).
 */
int smmu_ptw_walk(const struct smmu_ptw_stage *st, const struct smmu_ptw_req *req,
		  const struct smmu_ptw_hint *hint, smmu_ptw_read_fn rd, void *rctx,
		  struct smmu_ptw_result *res, struct smmu_ptw_fault *f);

/*
 * Nested walk: every stage-1 table address (an IPA) and the final IPA are
 * translated through stage 2 `s2` before use. Fault priority follows IHI 0070
 * §7.3.22 / the digest §6.4. `hint` (may be NULL) applies to the stage-1
 * walk and gives a PA. s1_perm / s2_perm in res are reported separately.
 */
int smmu_ptw_walk_nested(const struct smmu_ptw_stage *s1, const struct smmu_ptw_stage *s2,
			 const struct smmu_ptw_req *req, const struct smmu_ptw_hint *hint,
			 smmu_ptw_read_fn rd, void *rctx, struct smmu_ptw_result *res,
			 struct smmu_ptw_fault *f);

/* Stage-2 start level and concatenation from S2SL0/S2TG/S2T0SZ: fills
 * start_level and concat in st; returns false if the combination is not
 * consistent (the STE is then ILLEGAL). granule_shift, tsz, oa_bits must be set. */
bool smmu_ptw_s2_setup(struct smmu_ptw_stage *st, unsigned sl0);

/* Stage-1 start level from tsz and granule_shift. */
int smmu_ptw_s1_start_level(unsigned tsz, unsigned granule_shift);

#ifdef __cplusplus
}
#endif

#endif
