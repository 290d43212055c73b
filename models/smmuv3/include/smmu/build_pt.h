/*
 * build_pt.h - a VMSAv8-64 translation table builder (stage 1 and stage 2).
 *
 * Writes little-endian 64-bit descriptors into a table address space the
 * caller owns, through three callbacks: read a descriptor, write a
 * descriptor, and allocate a zeroed table. Used by tests and by the
 * simulator to lay out page tables in simulated memory; it never touches
 * host memory itself and keeps no state beyond struct smmu_pt.
 *
 * The "table address space" is whatever the callbacks understand: physical
 * addresses for stage-1-only and stage-2 tables, or IPAs for the stage-1
 * tables of a nested configuration (the callbacks then translate).
 *
 * Scope: 4 KB, 16 KB and 64 KB granules, every start level, stage-2
 * concatenated start tables (up to 16), leaves at any level (including
 * block levels the architecture forbids, so tests can provoke faults),
 * 48-bit output addresses (52-bit with the 64 KB granule, OA[51:48] in
 * descriptor bits [15:12]). Not covered: LPA2/DS, contiguous runs (set the
 * bit through `extra`), freeing tables on unmap, break-before-make.
 *
 * Descriptor layout: IHI 0070 G.b §3.3.5 and the Arm ARM VMSAv8-64
 * translation table format (digest §7.2).
 */
#ifndef SMMU_BUILD_PT_H
#define SMMU_BUILD_PT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Descriptor bits, for callers that inspect or corrupt descriptors. */
#define SMMU_PT_DESC_VALID (1ull << 0)
#define SMMU_PT_DESC_TABLE (1ull << 1)      /* type bit: table (L0-2) / page (L3) */
#define SMMU_PT_DESC_AP1 (1ull << 6)        /* S1 AP[1] (EL0 access); S2AP read */
#define SMMU_PT_DESC_AP2 (1ull << 7)        /* S1 AP[2] (read-only); S2AP write */
#define SMMU_PT_DESC_AF (1ull << 10)
#define SMMU_PT_DESC_NG (1ull << 11)
#define SMMU_PT_DESC_CONT (1ull << 52)
#define SMMU_PT_DESC_PXN (1ull << 53)       /* S2: XN[0] */
#define SMMU_PT_DESC_UXN (1ull << 54)       /* S2: XN[1] */
#define SMMU_PT_TABLE_PXN (1ull << 59)      /* PXNTable */
#define SMMU_PT_TABLE_XN (1ull << 60)       /* UXNTable / XNTable */
#define SMMU_PT_TABLE_AP_NOEL0 (1ull << 61) /* APTable[0] */
#define SMMU_PT_TABLE_AP_RO (1ull << 62)    /* APTable[1] */

/* Stage-1 AP[2:1] values. */
enum smmu_pt_ap {
	SMMU_PT_AP_RW_PRIV = 0, /* privileged RW, unprivileged none */
	SMMU_PT_AP_RW = 1,      /* RW at both privileges */
	SMMU_PT_AP_RO_PRIV = 2, /* privileged RO, unprivileged none */
	SMMU_PT_AP_RO = 3,      /* RO at both privileges */
};

/* Stage-2 S2AP bits. */
enum smmu_pt_s2ap {
	SMMU_PT_S2AP_R = 1,
	SMMU_PT_S2AP_W = 2,
	SMMU_PT_S2AP_RW = 3,
};

/* Results. Non-zero values are errors; see smmu_pt_strerror(). */
enum smmu_pt_status {
	SMMU_PT_OK = 0,
	SMMU_PT_ERR_INVAL = 1, /* bad geometry, size, alignment or range */
	SMMU_PT_ERR_NOMEM = 2, /* the alloc callback failed */
	SMMU_PT_ERR_EXIST = 3, /* map: the slot (or a block above it) is already valid */
	SMMU_PT_ERR_NOENT = 4, /* lookup/update: the walk does not reach that level */
	SMMU_PT_ERR_IO = 5,    /* a read or write callback failed */
	SMMU_PT_ERR_PARTIAL = 6, /* unmap: the range cuts through a block */
};

/*
 * Table memory callbacks. Each returns 0 on success and non-zero on error.
 * alloc: a zero-filled table of `size` bytes (a power of two, >= 64),
 * aligned to `size`; its address is stored in *addr.
 */
struct smmu_pt_ops {
	int (*read64)(void *ctx, uint64_t addr, uint64_t *val);
	int (*write64)(void *ctx, uint64_t addr, uint64_t val);
	int (*alloc)(void *ctx, uint64_t size, uint64_t *addr);
};

/* Geometry of one translation regime. */
struct smmu_pt_cfg {
	bool stage2;
	uint8_t granule_shift; /* 12, 14 or 16 */
	uint8_t tsz;           /* input size is 64 - tsz bits (TxSZ / S2T0SZ) */
	int8_t start_level;    /* 0..3, or -1: the fewest levels (stage-1 rule) */
};

/* A table set. Fields are read-only for callers once smmu_pt_init() succeeds. */
struct smmu_pt {
	struct smmu_pt_cfg cfg; /* start_level resolved */
	uint8_t concat;         /* start tables (>1 only for stage-2 concatenation) */
	uint64_t root;          /* start table address: the TTB / S2TTB value */
	const struct smmu_pt_ops *ops;
	void *ctx;
};

/*
 * Leaf attributes. Fields of the other stage are ignored. Start from
 * smmu_pt_attr_default().
 */
struct smmu_pt_attr {
	/* Stage 1 */
	uint8_t ap;        /* enum smmu_pt_ap */
	bool uxn, pxn;     /* bit 54 (XN in single-privilege regimes), bit 53 */
	bool ng;           /* not global (ASID-tagged) */
	uint8_t attr_indx; /* AttrIndx[2:0], bits 4:2 */
	/* Stage 2 */
	uint8_t s2ap;      /* enum smmu_pt_s2ap */
	uint8_t xn;        /* XN[1:0], bits 54:53 */
	uint8_t memattr;   /* MemAttr[3:0], bits 5:2 */
	/* Both */
	bool af;           /* Access flag */
	uint8_t sh;        /* SH[1:0], bits 9:8 */
	uint64_t extra;    /* raw bits ORed into every leaf (contiguous, SW bits, ...) */
};

/*
 * Defaults: AF=1, inner shareable; stage 1 AP=RW at both privileges,
 * executable, global, AttrIndx 0; stage 2 S2AP=RW, executable, MemAttr 0xF
 * (Normal write-back).
 */
void smmu_pt_attr_default(struct smmu_pt_attr *attr, bool stage2);

/*
 * Set up an empty table set and allocate its start table(s): one table of
 * 2^n entries where n is the input bits resolved at the start level; at
 * stage 2, n may exceed the granule's stride by up to 4 (2..16
 * concatenated tables, allocated as one block aligned to its whole size).
 * Stage 1 requires n <= stride. `ops` and `ctx` are kept (not copied) and
 * must outlive pt. Returns SMMU_PT_OK, SMMU_PT_ERR_INVAL or
 * SMMU_PT_ERR_NOMEM.
 */
int smmu_pt_init(struct smmu_pt *pt, const struct smmu_pt_cfg *cfg,
		 const struct smmu_pt_ops *ops, void *ctx);

/* log2 of the bytes mapped by one entry at `level` of pt's granule. */
unsigned smmu_pt_level_shift(const struct smmu_pt *pt, int level);

/*
 * Map [ia, ia + size) to [oa, oa + size) with leaves of 2^leaf_shift bytes;
 * leaf_shift must be the entry size of a level in [start_level, 3] (a page
 * at level 3, a block above; block legality is not checked). ia, oa and
 * size must be multiples of the leaf size, the range must fit in the input
 * size. Missing tables are allocated. Returns SMMU_PT_OK, _INVAL, _NOMEM,
 * _IO, or _EXIST if a target slot is already valid or a block covers the
 * path; on an error, leaves written before it stay mapped.
 */
int smmu_pt_map(struct smmu_pt *pt, uint64_t ia, uint64_t oa, uint64_t size,
		unsigned leaf_shift, const struct smmu_pt_attr *attr);

/*
 * Clear every leaf in [ia, ia + size). Unmapped holes are skipped; tables
 * are kept (and not freed). Returns SMMU_PT_OK, _INVAL, _IO, or _PARTIAL
 * if a block or page is only partly inside the range (nothing after it is
 * cleared).
 */
int smmu_pt_unmap(struct smmu_pt *pt, uint64_t ia, uint64_t size);

/*
 * The descriptor used for `ia` at `level`: its address in the table
 * address space and its value. Returns SMMU_PT_ERR_NOENT if a level above
 * is not a table descriptor (invalid or a block), _INVAL or _IO.
 */
int smmu_pt_lookup(const struct smmu_pt *pt, uint64_t ia, int level, uint64_t *desc_addr,
		   uint64_t *desc);

/*
 * Rewrite the descriptor for `ia` at `level` as (desc & ~clear) | set,
 * e.g. to add APTable bits to a table descriptor or to corrupt a leaf.
 * Same results as smmu_pt_lookup().
 */
int smmu_pt_update(struct smmu_pt *pt, uint64_t ia, int level, uint64_t clear, uint64_t set);

/* "SMMU_PT_ERR_EXIST: ..." style text for a status, never NULL. */
const char *smmu_pt_strerror(int status);

#ifdef __cplusplus
}
#endif
#endif
