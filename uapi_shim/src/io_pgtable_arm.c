/*
 * io_pgtable_arm.c - Linux's io-pgtable-arm (ARM_64_LPAE_S1/S2, 4 KB
 * granule) over simulated DRAM. See io_pgtable_arm.h.
 *
 * Geometry follows arm_lpae_alloc_pgtable(): levels = ceil((ias - 12) / 9),
 * the start level takes the remaining bits; a stage-2 table that would
 * start at level 0 with at most 16 entries starts at level 1 with
 * concatenated tables instead (arm_64_lpae_alloc_pgtable_s2). Every table
 * page is a kmem page; every descriptor store is a kmem_write64 charged
 * t.pte_write, every table t.table_alloc.
 *
 * Dirty tracking (IO_PGTABLE_QUIRK_ARM_HD): DBM on writable stage-1 leaves
 * and arm_lpae_read_and_clear_dirty.
 *
 * Not modelled: 16K/64K granules, LPA2/52-bit, contiguous hint, the
 * non-coherent walk cache maintenance, Mali format.
 */
#include "io_pgtable_arm.h"

#include <stdlib.h>

#define PG_SHIFT 12u
#define BITS_PER_LVL 9u
#define PTES_PER_TABLE (1u << BITS_PER_LVL)
#define MAX_LEVELS 4

/* Descriptor fields (VMSAv8-64). */
#define PTE_TYPE_MASK 3ull
#define PTE_TYPE_BLOCK 1ull
#define PTE_TYPE_TABLE 3ull
#define PTE_TYPE_PAGE 3ull
#define PTE_ADDR_MASK 0x0000FFFFFFFFF000ull /* OA[47:12] */
#define PTE_NG (1ull << 11)
#define PTE_AF (1ull << 10)
#define PTE_DBM (1ull << 51)
#define PTE_SH_IS (3ull << 8)
#define PTE_SH_OS (2ull << 8)
#define PTE_AP_UNPRIV (1ull << 6) /* S1 AP[1] */
#define PTE_AP_RDONLY (1ull << 7) /* S1 AP[2] */
#define PTE_HAP_READ (1ull << 6)  /* S2AP[0] */
#define PTE_HAP_WRITE (1ull << 7) /* S2AP[1] */
#define PTE_ATTRINDX_SHIFT 2
#define PTE_MEMATTR_OIWB (0xFull << 2)
#define PTE_MEMATTR_NC (0x5ull << 2)

/* MAIR as io-pgtable-arm programs it: index 0 NC, 1 WBRWA, 2 Device-nGnRE,
 * 3 inner-NC/outer-WB. */
#define MAIR_ATTR_IDX_NC 0
#define MAIR_ATTR_IDX_CACHE 1
#define IO_PGTABLE_MAIR 0xf404ff44ull

struct io_pgtable_arm {
	struct kenv *env;
	bool s2, coherent, split;
	bool hd; /* IO_PGTABLE_QUIRK_ARM_HD */
	unsigned ias, oas;
	int start_level;
	unsigned pgd_bits; /* index bits at the start level (> 9 when concatenated) */
	uint64_t pgd;
	uint64_t pgd_size;
	uint64_t tables; /* table pages allocated, for tests */
	struct io_pgtable_tlb tlb;
};

static unsigned lvl_shift(int lvl)
{
	return PG_SHIFT + BITS_PER_LVL * (unsigned)(3 - lvl);
}

static unsigned lvl_bits(const struct io_pgtable_arm *pt, int lvl)
{
	return lvl == pt->start_level ? pt->pgd_bits : BITS_PER_LVL;
}

static unsigned lvl_idx(const struct io_pgtable_arm *pt, uint64_t iova, int lvl)
{
	return (unsigned)((iova >> lvl_shift(lvl)) & ((1ull << lvl_bits(pt, lvl)) - 1));
}

static bool pte_leaf(uint64_t pte, int lvl)
{
	if (lvl == MAX_LEVELS - 1)
		return (pte & PTE_TYPE_MASK) == PTE_TYPE_PAGE;
	return (pte & PTE_TYPE_MASK) == PTE_TYPE_BLOCK;
}

static bool pte_table(uint64_t pte, int lvl)
{
	return lvl < MAX_LEVELS - 1 && (pte & PTE_TYPE_MASK) == PTE_TYPE_TABLE;
}

static uint64_t rd(struct io_pgtable_arm *pt, uint64_t pa)
{
	uint64_t v = 0;
	if (kmem_read64(pt->env, pa, &v))
		return 0; /* tables live in kmem: a failed read is a host bug, read as empty */
	return v;
}

static void wr(struct io_pgtable_arm *pt, uint64_t pa, uint64_t v, struct kcall *c)
{
	kmem_write64(pt->env, pa, v);
	if (c)
		ktime_charge(c, pt->env->t.pte_write);
}

static int table_alloc(struct io_pgtable_arm *pt, uint64_t size, struct kcall *c, uint64_t *pa)
{
	uint64_t sz = size < 4096 ? 4096 : size;
	int rc = kmem_alloc(pt->env->mem, sz, sz, pa);
	if (rc)
		return rc;
	pt->tables += sz / 4096;
	if (c)
		ktime_charge(c, pt->env->t.table_alloc * (sz / 4096));
	return 0;
}

static void table_free(struct io_pgtable_arm *pt, uint64_t pa, uint64_t size)
{
	uint64_t sz = size < 4096 ? 4096 : size;
	kmem_free(pt->env->mem, pa, sz);
	pt->tables -= sz / 4096;
}

static void free_pgtable(struct io_pgtable_arm *pt, int lvl, uint64_t table, uint64_t size)
{
	/* Leaf tables hold no pointers; only tables above level 3 are scanned. */
	if (lvl < MAX_LEVELS - 1) {
		uint64_t n = size / 8;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t pte = rd(pt, table + 8 * i);
			if (pte_table(pte, lvl))
				free_pgtable(pt, lvl + 1, pte & PTE_ADDR_MASK, 4096);
		}
	}
	table_free(pt, table, size);
}

/* arm_lpae_prot_to_pte() for IOMMU_CACHE | prot. */
static uint64_t prot_to_pte(const struct io_pgtable_arm *pt, int prot)
{
	uint64_t pte;
	if (!pt->s2) {
		pte = PTE_NG | PTE_AP_UNPRIV;
		if (!(prot & IOPT_PROT_WRITE) && (prot & IOPT_PROT_READ))
			pte |= PTE_AP_RDONLY;
		else if (pt->hd)
			pte |= PTE_DBM; /* writable-dirty: HTTU keeps it so */
		pte |= (uint64_t)MAIR_ATTR_IDX_CACHE << PTE_ATTRINDX_SHIFT;
	} else {
		pte = 0;
		if (prot & IOPT_PROT_READ)
			pte |= PTE_HAP_READ;
		if (prot & IOPT_PROT_WRITE)
			pte |= PTE_HAP_WRITE;
		pte |= PTE_MEMATTR_OIWB;
	}
	return pte | PTE_SH_IS | PTE_AF;
}

int io_pgtable_arm_alloc(struct kenv *env, bool stage2, unsigned ias, unsigned oas, bool coherent,
                         bool split_on_unmap, const struct io_pgtable_tlb *tlb, struct kcall *c,
                         struct io_pgtable_arm **out)
{
	if (!env || !out || ias < 32 || ias > 48 || oas < 32 || oas > 48)
		return -EINVAL;
	struct io_pgtable_arm *pt = calloc(1, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	pt->env = env;
	pt->s2 = stage2;
	pt->coherent = coherent;
	pt->split = split_on_unmap;
	pt->ias = ias;
	pt->oas = oas;
	if (tlb)
		pt->tlb = *tlb;
	unsigned levels = (ias - PG_SHIFT + BITS_PER_LVL - 1) / BITS_PER_LVL;
	pt->start_level = MAX_LEVELS - (int)levels;
	pt->pgd_bits = ias - lvl_shift(pt->start_level);
	/* arm_64_lpae_alloc_pgtable_s2: concatenate at level 1 when the level-0
	 * table would have at most ARM_LPAE_S2_MAX_CONCAT_PAGES (16) entries. */
	if (stage2 && pt->start_level == 0 && (1u << pt->pgd_bits) <= 16) {
		pt->pgd_bits += BITS_PER_LVL;
		pt->start_level = 1;
	}
	pt->pgd_size = 8ull << pt->pgd_bits;
	int rc = table_alloc(pt, pt->pgd_size, c, &pt->pgd);
	if (rc) {
		free(pt);
		return rc;
	}
	*out = pt;
	return 0;
}

void io_pgtable_arm_free(struct io_pgtable_arm *pt)
{
	if (!pt)
		return;
	free_pgtable(pt, pt->start_level, pt->pgd, pt->pgd_size);
	free(pt);
}

static unsigned ps_encode(unsigned bits)
{
	switch (bits) {
	case 32:
		return 0;
	case 36:
		return 1;
	case 40:
		return 2;
	case 42:
		return 3;
	case 44:
		return 4;
	default:
		return 5; /* 48 */
	}
}

void io_pgtable_arm_get_regs(const struct io_pgtable_arm *pt, struct io_pgtable_arm_regs *r)
{
	r->ttbr = pt->pgd;
	r->mair = pt->s2 ? 0 : IO_PGTABLE_MAIR;
	r->tsz = (uint8_t)(64 - pt->ias);
	/* VTCR.SL0 for 4K: 2 = start at level 0, 1 = level 1, 0 = level 2
	 * (io-pgtable: sl = ~(start_level + 1) & 3). */
	r->sl = (uint8_t)(~(unsigned)(pt->start_level + 1) & 3u);
	if (pt->coherent) {
		r->irgn = r->orgn = 1; /* WBWA */
		r->sh = 3;             /* inner shareable */
	} else {
		r->irgn = r->orgn = 0;
		r->sh = 2;
	}
	r->tg = 0;
	r->ps = (uint8_t)ps_encode(pt->oas);
	r->oas_bits = pt->oas;
	r->hd = pt->hd;
}

uint64_t io_pgtable_arm_pgsize_bitmap(const struct io_pgtable_arm *pt)
{
	(void)pt;
	return (1ull << 12) | (1ull << 21) | (1ull << 30);
}

uint64_t io_pgtable_arm_ias(const struct io_pgtable_arm *pt)
{
	return pt->ias;
}

uint64_t io_pgtable_arm_table_pages(const struct io_pgtable_arm *pt)
{
	return pt->tables;
}

static uint64_t unmap_lvl(struct io_pgtable_arm *pt, void *gather, uint64_t iova, uint64_t size,
                          uint64_t pgcount, int lvl, uint64_t table, struct kcall *c);

static int map_lvl(struct io_pgtable_arm *pt, uint64_t iova, uint64_t pa, uint64_t size,
                   uint64_t pgcount, uint64_t prot, int lvl, uint64_t table, struct kcall *c,
                   uint64_t *mapped)
{
	unsigned idx = lvl_idx(pt, iova, lvl);
	uint64_t ptep = table + 8ull * idx;
	uint64_t blk = 1ull << lvl_shift(lvl);

	if (size == blk) {
		if (lvl == 0)
			return -EINVAL; /* no level-0 blocks with 4K */
		uint64_t max = (1ull << lvl_bits(pt, lvl)) - idx;
		uint64_t n = pgcount < max ? pgcount : max;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t old = rd(pt, ptep + 8 * i);
			if (pte_leaf(old, lvl))
				return -EEXIST; /* "We require an unmap first" */
			if (pte_table(old, lvl)) {
				/* A block replaces a table: unmap and free the table
				 * first (arm_lpae_init_pte, no gather). */
				if (unmap_lvl(pt, NULL, iova + i * size, size, 1, lvl, table, c) !=
				    size)
					return -EINVAL;
			}
		}
		uint64_t type = lvl == MAX_LEVELS - 1 ? PTE_TYPE_PAGE : PTE_TYPE_BLOCK;
		for (uint64_t i = 0; i < n; i++)
			wr(pt, ptep + 8 * i, ((pa + i * size) & PTE_ADDR_MASK) | prot | type, c);
		*mapped += n * size;
		return 0;
	}
	if (lvl >= MAX_LEVELS - 1)
		return -EINVAL;
	uint64_t pte = rd(pt, ptep);
	if (!pte) {
		uint64_t child;
		int rc = table_alloc(pt, 4096, c, &child);
		if (rc)
			return rc;
		pte = child | PTE_TYPE_TABLE;
		wr(pt, ptep, pte, c);
	} else if (pte_leaf(pte, lvl)) {
		return -EEXIST;
	}
	return map_lvl(pt, iova, pa, size, pgcount, prot, lvl + 1, pte & PTE_ADDR_MASK, c, mapped);
}

static bool pgsize_ok(const struct io_pgtable_arm *pt, uint64_t pgsize)
{
	return (io_pgtable_arm_pgsize_bitmap(pt) & pgsize) && !(pgsize & (pgsize - 1));
}

int io_pgtable_arm_map(struct io_pgtable_arm *pt, uint64_t iova, uint64_t pa, uint64_t pgsize,
                       uint64_t pgcount, int prot, struct kcall *c, uint64_t *mapped)
{
	uint64_t done = 0;
	if (mapped)
		*mapped = 0;
	if (!pgsize_ok(pt, pgsize) || ((iova | pa) & (pgsize - 1)) || pgcount == 0)
		return -EINVAL;
	if (pgcount > (1ull << pt->ias) / pgsize || iova > (1ull << pt->ias) - pgcount * pgsize ||
	    pa >= (1ull << pt->oas))
		return -ERANGE;
	/* "If no access, then nothing to do" */
	if (!(prot & (IOPT_PROT_READ | IOPT_PROT_WRITE)))
		return 0;
	uint64_t pte_prot = prot_to_pte(pt, prot);
	int rc = 0;
	while (pgcount) {
		uint64_t m = 0;
		rc = map_lvl(pt, iova, pa, pgsize, pgcount, pte_prot, pt->start_level, pt->pgd, c,
		             &m);
		done += m;
		if (rc || m == 0)
			break;
		iova += m;
		pa += m;
		pgcount -= m / pgsize;
	}
	if (mapped)
		*mapped = done;
	return rc;
}

/* arm_lpae_split_blk_unmap (io-pgtable-arm <= 6.12): replace the block at
 * ptep (level lvl - 1) by a table at lvl mapping all of it but the part
 * being unmapped. */
static uint64_t split_blk_unmap(struct io_pgtable_arm *pt, void *gather, uint64_t iova,
                                uint64_t size, uint64_t blk_pte, int lvl, uint64_t ptep,
                                uint64_t pgcount, struct kcall *c)
{
	uint64_t split_sz = 1ull << lvl_shift(lvl);
	uint64_t table;
	if (lvl >= MAX_LEVELS || table_alloc(pt, 4096, c, &table))
		return 0;
	int64_t start = -1;
	uint64_t num = 0;
	if (size == split_sz) {
		start = lvl_idx(pt, iova, lvl);
		uint64_t max = PTES_PER_TABLE - (uint64_t)start;
		num = pgcount < max ? pgcount : max;
	}
	uint64_t blk_pa = blk_pte & PTE_ADDR_MASK;
	uint64_t prot = blk_pte & ~(PTE_ADDR_MASK | PTE_TYPE_MASK);
	uint64_t type = lvl == MAX_LEVELS - 1 ? PTE_TYPE_PAGE : PTE_TYPE_BLOCK;
	for (uint64_t i = 0; i < PTES_PER_TABLE; i++, blk_pa += split_sz) {
		if (start >= 0 && i >= (uint64_t)start && i < (uint64_t)start + num)
			continue;
		wr(pt, table + 8 * i, blk_pa | prot | type, c);
	}
	wr(pt, ptep, table | PTE_TYPE_TABLE, c);
	if (start >= 0) {
		for (uint64_t i = 0; i < num; i++)
			if (gather && pt->tlb.add_page)
				pt->tlb.add_page(pt->tlb.cookie, gather, iova + i * size, size, c);
		return num * size;
	}
	return unmap_lvl(pt, gather, iova, size, pgcount, lvl, table, c);
}

static uint64_t unmap_lvl(struct io_pgtable_arm *pt, void *gather, uint64_t iova, uint64_t size,
                          uint64_t pgcount, int lvl, uint64_t table, struct kcall *c)
{
	if (lvl >= MAX_LEVELS)
		return 0;
	unsigned idx = lvl_idx(pt, iova, lvl);
	uint64_t ptep = table + 8ull * idx;
	uint64_t pte = rd(pt, ptep);
	if (!pte)
		return 0;
	if (size == 1ull << lvl_shift(lvl)) {
		uint64_t max = (1ull << lvl_bits(pt, lvl)) - idx;
		uint64_t n = pgcount < max ? pgcount : max;
		uint64_t i;
		for (i = 0; i < n; i++) {
			pte = rd(pt, ptep + 8 * i);
			if (!pte)
				break;
			if (!pte_leaf(pte, lvl)) {
				wr(pt, ptep + 8 * i, 0, c);
				/* Also flush any partial walks (immediately, not gathered). */
				if (pt->tlb.flush_walk)
					pt->tlb.flush_walk(pt->tlb.cookie, iova + i * size, size,
					                   4096, c);
				free_pgtable(pt, lvl + 1, pte & PTE_ADDR_MASK, 4096);
			}
		}
		for (uint64_t j = 0; j < i; j++)
			if (rd(pt, ptep + 8 * j))
				wr(pt, ptep + 8 * j, 0, c);
		if (gather && pt->tlb.add_page)
			for (uint64_t j = 0; j < i; j++)
				pt->tlb.add_page(pt->tlb.cookie, gather, iova + j * size, size, c);
		return i * size;
	}
	if (pte_leaf(pte, lvl)) {
		if (!pt->split)
			return 0; /* "Unmap of a partial large IOPTE is not allowed" */
		return split_blk_unmap(pt, gather, iova, size, pte, lvl + 1, ptep, pgcount, c);
	}
	return unmap_lvl(pt, gather, iova, size, pgcount, lvl + 1, pte & PTE_ADDR_MASK, c);
}

uint64_t io_pgtable_arm_unmap(struct io_pgtable_arm *pt, uint64_t iova, uint64_t pgsize,
                              uint64_t pgcount, void *gather, struct kcall *c)
{
	if (!pgsize_ok(pt, pgsize) || (iova & (pgsize - 1)) || iova >= (1ull << pt->ias))
		return 0;
	uint64_t total = 0;
	while (pgcount) {
		uint64_t r =
		    unmap_lvl(pt, gather, iova, pgsize, pgcount, pt->start_level, pt->pgd, c);
		if (r == 0)
			break;
		total += r;
		iova += r;
		pgcount -= r / pgsize;
		if (iova >= (1ull << pt->ias))
			break;
	}
	return total;
}

int io_pgtable_arm_iova_to_phys(struct io_pgtable_arm *pt, uint64_t iova, uint64_t *pa)
{
	if (iova >= (1ull << pt->ias))
		return -ENOENT;
	uint64_t table = pt->pgd;
	for (int lvl = pt->start_level; lvl < MAX_LEVELS; lvl++) {
		uint64_t pte = rd(pt, table + 8ull * lvl_idx(pt, iova, lvl));
		if (!pte)
			return -ENOENT;
		if (pte_leaf(pte, lvl)) {
			uint64_t mask = (1ull << lvl_shift(lvl)) - 1;
			*pa = (pte & PTE_ADDR_MASK & ~mask) | (iova & mask);
			return 0;
		}
		table = pte & PTE_ADDR_MASK;
	}
	return -ENOENT;
}

void io_pgtable_arm_set_hd(struct io_pgtable_arm *pt)
{
	if (pt && !pt->s2)
		pt->hd = true;
}

static void dirty_lvl(struct io_pgtable_arm *pt, uint64_t iova, uint64_t last, int lvl,
                      uint64_t table, bool no_clear, io_pgtable_dirty_fn record, void *ctx,
                      struct kcall *c)
{
	unsigned sh = lvl_shift(lvl);
	uint64_t blk = 1ull << sh;
	while (iova <= last) {
		uint64_t ptep = table + 8ull * lvl_idx(pt, iova, lvl);
		uint64_t base = iova & ~(blk - 1);
		uint64_t end = base + blk - 1 < last ? base + blk - 1 : last;
		uint64_t pte = rd(pt, ptep);
		if (pte_table(pte, lvl)) {
			dirty_lvl(pt, iova, end, lvl + 1, pte & PTE_ADDR_MASK, no_clear, record, ctx,
			          c);
		} else if (pte_leaf(pte, lvl) && (pte & PTE_DBM) && !(pte & PTE_AP_RDONLY)) {
			/* iopte_writeable_dirty: the whole leaf is reported */
			record(ctx, base, blk);
			if (!no_clear)
				wr(pt, ptep, pte | PTE_AP_RDONLY, c);
		}
		if (end == ~0ull)
			break;
		iova = end + 1;
	}
}

int io_pgtable_arm_read_and_clear_dirty(struct io_pgtable_arm *pt, uint64_t iova, uint64_t size,
                                        bool no_clear, io_pgtable_dirty_fn record, void *ctx,
                                        struct kcall *c)
{
	if (!pt || !record || pt->s2 || !size)
		return -EINVAL;
	uint64_t last = iova + size - 1;
	if (last < iova || (pt->ias < 64 && (last >> pt->ias)))
		return -EINVAL;
	dirty_lvl(pt, iova, last, pt->start_level, pt->pgd, no_clear, record, ctx, c);
	return 0;
}
