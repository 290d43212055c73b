/*
 * io_pgtable_arm.h - the emulated kernel's IO page tables: Linux's
 * drivers/iommu/io-pgtable-arm.c (ARM_64_LPAE_S1 / ARM_64_LPAE_S2) for the
 * 4 KB granule, with tables in simulated DRAM (kmem) so the SMMU model's
 * walker reads exactly what the kernel wrote. INTERNAL header.
 *
 * Descriptor formats: VMSAv8-64 (Arm ARM D8.3; IHI 0070 §3.3.5 for what the
 * SMMU honours). Leaves are written as io-pgtable-arm writes them for
 * IOMMU_CACHE mappings (iommufd and the coherent DMA API always ask for
 * it): AF=1, SH=inner shareable; stage 1 nG=1, AP[1]=1 (unprivileged
 * access), AP[2] for read-only, AttrIndx 1 (write-back in the MAIR below);
 * stage 2 S2AP from the read/write bits, MemAttr 0xF (outer+inner WB).
 */
#ifndef SHIM_IO_PGTABLE_ARM_H
#define SHIM_IO_PGTABLE_ARM_H

#include "kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IOPT_PROT_READ 1
#define IOPT_PROT_WRITE 2

/* What the SMMU registers need (io_pgtable_cfg.arm_lpae_s{1,2}_cfg). */
struct io_pgtable_arm_regs {
	uint64_t ttbr;          /* S1 TTB0 / S2 VTTBR (start table PA) */
	uint64_t mair;          /* S1 only */
	uint8_t tsz;            /* T0SZ / S2T0SZ = 64 - ias */
	uint8_t sl;             /* S2 only: VTCR.SL0 encoding for the 4K granule */
	uint8_t irgn, orgn, sh; /* walk attributes: WBWA / inner shareable when coherent */
	uint8_t tg;             /* 0: 4K */
	uint8_t ps;             /* IPS / S2PS encoding of oas */
	unsigned oas_bits;      /* the same, in bits */
	bool hd;                /* IO_PGTABLE_QUIRK_ARM_HD: CD.HA/HD wanted */
};

/* Callbacks of io_pgtable_tlb_ops (the driver's invalidation). */
struct io_pgtable_tlb {
	/* A table page was removed: invalidate walks of [iova, iova+size) now. */
	void (*flush_walk)(void *cookie, uint64_t iova, uint64_t size, uint64_t granule,
	                   struct kcall *c);
	/* A leaf was removed: add it to the gather (may sync first). */
	void (*add_page)(void *cookie, void *gather, uint64_t iova, uint64_t granule,
	                 struct kcall *c);
	void *cookie;
};

struct io_pgtable_arm;

/*
 * Allocate the start table(s) for a stage-1 (stage2=false) or stage-2 table
 * of ias input bits and oas output bits (32..48). coherent selects the walk
 * attributes. split_on_unmap: unmapping part of a block replaces the block
 * by a next-level table minus the unmapped part (io-pgtable-arm up to 6.12);
 * false: such an unmap removes nothing (6.13+ "Unmap of a partial large
 * IOPTE is not allowed"). Returns 0, -EINVAL or -ENOMEM.
 */
int io_pgtable_arm_alloc(struct kenv *env, bool stage2, unsigned ias, unsigned oas, bool coherent,
                         bool split_on_unmap, const struct io_pgtable_tlb *tlb, struct kcall *c,
                         struct io_pgtable_arm **out);
/* Free every table page (no invalidation: the domain is unused by then). */
void io_pgtable_arm_free(struct io_pgtable_arm *pt);
void io_pgtable_arm_get_regs(const struct io_pgtable_arm *pt, struct io_pgtable_arm_regs *r);
/* 4K | 2M | 1G */
uint64_t io_pgtable_arm_pgsize_bitmap(const struct io_pgtable_arm *pt);
uint64_t io_pgtable_arm_ias(const struct io_pgtable_arm *pt);
/* Table pages currently allocated (for tests). */
uint64_t io_pgtable_arm_table_pages(const struct io_pgtable_arm *pt);

/*
 * map_pages: pgcount leaves of pgsize (a size in the bitmap) from iova to
 * pa. -EEXIST if a leaf is already there (a block over an existing table
 * frees that table first, as Linux does), -EINVAL for bad sizes/alignment
 * or an iova beyond ias, -ENOMEM. *mapped gets the bytes mapped (also on
 * error). prot without read and write maps nothing and returns 0.
 */
int io_pgtable_arm_map(struct io_pgtable_arm *pt, uint64_t iova, uint64_t pa, uint64_t pgsize,
                       uint64_t pgcount, int prot, struct kcall *c, uint64_t *mapped);
/* unmap_pages: returns bytes unmapped (0 at a hole). `gather` is passed
 * through to tlb->add_page. */
uint64_t io_pgtable_arm_unmap(struct io_pgtable_arm *pt, uint64_t iova, uint64_t pgsize,
                              uint64_t pgcount, void *gather, struct kcall *c);
int io_pgtable_arm_iova_to_phys(struct io_pgtable_arm *pt, uint64_t iova, uint64_t *pa);

/*
 * IO_PGTABLE_QUIRK_ARM_HD (stage 1 only, set before any map): writable
 * leaves carry DBM, so the SMMU's HTTU marks them dirty by clearing AP[2];
 * they start out writable (dirty) as Linux maps them.
 * read_and_clear_dirty (arm_lpae_read_and_clear_dirty): every leaf in
 * [iova, iova + size) that is writable-dirty (DBM set, AP[2] clear) is
 * reported through `record` (its iova and size), then made writable-clean
 * (AP[2] set, one descriptor write) unless no_clear. -EINVAL for a stage-2
 * table, a zero size or a range past ias.
 */
void io_pgtable_arm_set_hd(struct io_pgtable_arm *pt);
typedef void (*io_pgtable_dirty_fn)(void *ctx, uint64_t iova, uint64_t size);
int io_pgtable_arm_read_and_clear_dirty(struct io_pgtable_arm *pt, uint64_t iova, uint64_t size,
                                        bool no_clear, io_pgtable_dirty_fn record, void *ctx,
                                        struct kcall *c);

#ifdef __cplusplus
}
#endif
#endif
