/*
 * dma_iommu.c - the host kernel's DMA API on a device's default DMA domain:
 * dma_map_page() / dma_unmap_page() as drivers/iommu/dma-iommu.c and
 * drivers/iommu/iova.c of Linux 7.0 do them, on the arm-smmu-v3 driver model.
 *
 * map:   iommu_dma_alloc_iova (32-bit PCI space first, then the device's
 *        full aperture) -> iommu_map (largest page sizes that fit).
 * unmap: iommu_unmap_fast with a gather; strict (kernel.iommu_strict=on, the
 *        arm64 default iommu.strict=1): iommu_iotlb_sync (TLBI by range or
 *        per page, CMD_SYNC) and the IOVA goes back at once; lazy: nothing is
 *        invalidated (io-pgtable skips add_page on a queued gather), the IOVA
 *        goes into this CPU's flush queue, and it is reused only after a
 *        flush_iotlb_all (TLBI the whole ASID + CMD_SYNC) that started after
 *        it was queued. A flush happens when a queue is full (256 slots, so
 *        255 entries) or when the queue timer fires (10 ms, armed by the
 *        first entry queued while it is off; a kernel timer of
 *        msecs_to_jiffies(10) jiffies at kernel.hz).
 *
 * The IOVA allocator (iova.c): an ordered set of allocated ranges with an
 * anchor at the top; allocation walks down from the cached node for its
 * limit (one for the 32-bit space, one above), size-aligned
 * (alloc_iova_fast rounds sizes below 32 pages up to a power of two), and
 * the per-CPU range caches (orders 0..5: a loaded and a previous magazine of
 * 127 PFNs each, full magazines pushed to a shared depot) hand back freed
 * IOVAs LIFO before the tree is searched. Not modelled: the depot's delayed
 * trimming work (IOVA_DEPOT_DELAY, 100 ms), PCI host-bridge windows (the
 * platform declares none), swiotlb bouncing of untrusted devices, and the
 * MSI doorbell pages iommu-dma maps on demand.
 */
#include "dma_iommu.h"

#include <stdlib.h>
#include <string.h>

#include "arm_smmu_v3.h"
#include "shim_internal.h"

#define IOVA_SHIFT 12u
#define IOVA_GRANULE (1ull << IOVA_SHIFT)
#define IOVA_MAG_SIZE 127u              /* iova.c IOVA_MAG_SIZE */
#define IOVA_RANGE_CACHE_MAX_SIZE 6u    /* orders 0..5 are cached */
#define IOVA_FQ_SIZE 256u               /* IOVA_DEFAULT_FQ_SIZE */
#define IOVA_FQ_TIMEOUT_MS 10u          /* IOVA_DEFAULT_FQ_TIMEOUT */
#define IOVA_ANCHOR (~0ull)
#define DMA_CPUS_MAX 256u

/* ---- the IOVA tree: allocated ranges in ascending order, anchor last ---- */

struct iova_range {
	uint64_t lo, hi; /* PFNs, inclusive */
};

struct iova_mag {
	uint32_t size;
	uint64_t pfns[IOVA_MAG_SIZE];
};

struct iova_cpu_rcache {
	struct iova_mag *loaded, *prev;
};

struct iova_rcache {
	struct iova_cpu_rcache *cpu; /* [ncpus] */
	struct iova_mag **depot;     /* stack: depot[ndepot - 1] is the top */
	size_t ndepot, capdepot;
};

struct iova_domain {
	struct iova_range *r;
	size_t n, cap;
	uint64_t start_pfn, dma_32bit_pfn, max32_alloc_size;
	uint64_t cached_lo, cached32_lo; /* the cached nodes, by pfn_lo */
	struct iova_rcache rc[IOVA_RANGE_CACHE_MAX_SIZE];
};

/* ---- flush queues ---- */

struct fq_entry {
	uint64_t pfn, pages, counter;
};

struct iova_fq {
	struct fq_entry e[IOVA_FQ_SIZE];
	uint32_t head, tail;
};

/* one live mapping, for dma_unmap checks and the buffer it maps */
struct dma_map_ent {
	uint64_t iova, len, pa;
	bool own_buffer; /* pa came from the kernel's page allocator */
};

struct iommu_dma {
	struct shim_dev *dev;
	struct arm_smmu_domain *domain;
	struct iova_domain iovad;
	uint32_t ncpus;
	bool pci_32bit_workaround;
	uint64_t dma_limit; /* last usable IOVA: the DMA mask and the aperture */
	/* lazy mode */
	bool fq;
	struct iova_fq *fqs; /* [ncpus] */
	uint64_t flush_start_cnt, flush_finish_cnt;
	bool timer_on;
	uint64_t timer_due_ns;
	struct dma_map_ent *maps;
	size_t nmaps, capmaps;
	uint32_t inv_line; /* oracle: the record of the last completed invalidation */
};

struct arm_smmu_domain *iommu_dma_domain(const struct iommu_dma *dma)
{
	return dma ? dma->domain : NULL;
}

uint32_t iommu_dma_inv_line(const struct iommu_dma *dma)
{
	return dma ? dma->inv_line : 0;
}

bool iommu_dma_iova_queued(const struct iommu_dma *dma, uint64_t iova)
{
	if (!dma || !dma->fq || !dma->fqs)
		return false;
	uint64_t pfn = iova >> IOVA_SHIFT;
	for (uint32_t cpu = 0; cpu < dma->ncpus; cpu++) {
		const struct iova_fq *fq = &dma->fqs[cpu];
		for (uint32_t i = fq->head; i != fq->tail; i = (i + 1) & (IOVA_FQ_SIZE - 1))
			if (pfn >= fq->e[i].pfn && pfn - fq->e[i].pfn < fq->e[i].pages)
				return true;
	}
	return false;
}

static uint32_t fls64u(uint64_t x)
{
	return x ? 64u - (uint32_t)__builtin_clzll(x) : 0;
}

static uint32_t order_base_2(uint64_t n)
{
	return n <= 1 ? 0 : fls64u(n - 1);
}

static uint64_t roundup_pow_of_two(uint64_t n)
{
	return n <= 1 ? 1 : 1ull << fls64u(n - 1);
}

/* index of the first range with hi >= pfn (n when none) */
static size_t iova_lower_bound(const struct iova_domain *iv, uint64_t pfn)
{
	size_t lo = 0, hi = iv->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (iv->r[mid].hi < pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* the range holding pfn (find_iova), or -1 */
static long iova_find(const struct iova_domain *iv, uint64_t pfn)
{
	size_t i = iova_lower_bound(iv, pfn);
	return i < iv->n && iv->r[i].lo <= pfn ? (long)i : -1;
}

static int iovad_init(struct iova_domain *iv, uint32_t ncpus)
{
	memset(iv, 0, sizeof(*iv));
	iv->cap = 16;
	iv->r = malloc(iv->cap * sizeof(*iv->r));
	if (!iv->r)
		return -ENOMEM;
	iv->r[0].lo = iv->r[0].hi = IOVA_ANCHOR;
	iv->n = 1;
	/* init_iova_domain(granule 4K, base_pfn = max(1, aperture_start >> shift)) */
	iv->start_pfn = 1;
	iv->dma_32bit_pfn = 1ull << (32 - IOVA_SHIFT);
	iv->max32_alloc_size = iv->dma_32bit_pfn;
	iv->cached_lo = iv->cached32_lo = IOVA_ANCHOR;
	for (unsigned o = 0; o < IOVA_RANGE_CACHE_MAX_SIZE; o++) {
		iv->rc[o].cpu = calloc(ncpus, sizeof(*iv->rc[o].cpu));
		if (!iv->rc[o].cpu)
			return -ENOMEM;
	}
	return 0;
}

static void iovad_free(struct iova_domain *iv, uint32_t ncpus)
{
	for (unsigned o = 0; o < IOVA_RANGE_CACHE_MAX_SIZE; o++) {
		struct iova_rcache *rc = &iv->rc[o];
		for (uint32_t c = 0; rc->cpu && c < ncpus; c++) {
			free(rc->cpu[c].loaded);
			free(rc->cpu[c].prev);
		}
		free(rc->cpu);
		for (size_t i = 0; i < rc->ndepot; i++)
			free(rc->depot[i]);
		free(rc->depot);
	}
	free(iv->r);
	memset(iv, 0, sizeof(*iv));
}

static int iova_insert_at(struct iova_domain *iv, size_t at, uint64_t lo, uint64_t hi)
{
	if (iv->n == iv->cap) {
		size_t nc = iv->cap * 2;
		struct iova_range *nr = realloc(iv->r, nc * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		iv->r = nr;
		iv->cap = nc;
	}
	memmove(&iv->r[at + 1], &iv->r[at], (iv->n - at) * sizeof(*iv->r));
	iv->r[at].lo = lo;
	iv->r[at].hi = hi;
	iv->n++;
	return 0;
}

/* iova_find_limit: where a retry above a lower allocation starts (the
 * first range reaching limit_pfn; the anchor above the 32-bit space). */
static size_t iova_find_limit(const struct iova_domain *iv, uint64_t limit_pfn)
{
	if (limit_pfn > iv->dma_32bit_pfn)
		return iv->n - 1;
	return iova_lower_bound(iv, limit_pfn);
}

/* __alloc_and_insert_iova_range(size_aligned = true): 0 and *pfn, or
 * -ENOMEM when nothing below limit_pfn fits. */
static int iova_alloc_range(struct iova_domain *iv, uint64_t size, uint64_t limit_pfn,
                            uint64_t *pfn, uint32_t *visited)
{
	uint64_t align_mask = ~0ull << fls64u(size - 1);
	uint64_t high_pfn = limit_pfn, low_pfn = iv->start_pfn, new_pfn = 0;
	if (limit_pfn <= iv->dma_32bit_pfn && size >= iv->max32_alloc_size)
		return -ENOMEM;
	uint64_t cached = limit_pfn <= iv->dma_32bit_pfn ? iv->cached32_lo : iv->cached_lo;
	long curr = iova_find(iv, cached);
	if (curr < 0)
		curr = (long)iv->n - 1;
	uint64_t retry_pfn = iv->r[curr].hi;
	long prev;
	for (;;) {
		do {
			if (iv->r[curr].lo < high_pfn)
				high_pfn = iv->r[curr].lo;
			new_pfn = (high_pfn - size) & align_mask;
			prev = curr;
			curr--;
			(*visited)++;
		} while (curr >= 0 && new_pfn <= iv->r[curr].hi && new_pfn >= low_pfn);
		if (high_pfn < size || new_pfn < low_pfn) {
			if (low_pfn == iv->start_pfn && retry_pfn < limit_pfn) {
				high_pfn = limit_pfn;
				low_pfn = retry_pfn + 1;
				curr = (long)iova_find_limit(iv, limit_pfn);
				continue;
			}
			iv->max32_alloc_size = size;
			return -ENOMEM;
		}
		break;
	}
	if (iova_insert_at(iv, (size_t)prev, new_pfn, new_pfn + size - 1))
		return -ENOMEM;
	/* __cached_rbnode_insert_update */
	if (new_pfn + size - 1 < iv->dma_32bit_pfn)
		iv->cached32_lo = new_pfn;
	else
		iv->cached_lo = new_pfn;
	*pfn = new_pfn;
	return 0;
}

/* remove_iova with __cached_rbnode_delete_update */
static void iova_remove(struct iova_domain *iv, size_t i)
{
	struct iova_range f = iv->r[i];
	uint64_t next_lo = iv->r[i + 1].lo; /* the anchor is never removed */
	long c32 = iova_find(iv, iv->cached32_lo);
	uint64_t c32_lo = c32 >= 0 ? iv->r[c32].lo : IOVA_ANCHOR;
	if (f.lo == iv->cached32_lo || (f.hi < iv->dma_32bit_pfn && f.lo >= c32_lo))
		iv->cached32_lo = next_lo;
	if (f.lo < iv->dma_32bit_pfn)
		iv->max32_alloc_size = iv->dma_32bit_pfn;
	long cn = iova_find(iv, iv->cached_lo);
	uint64_t cn_lo = cn >= 0 ? iv->r[cn].lo : IOVA_ANCHOR;
	if (f.lo >= cn_lo)
		iv->cached_lo = next_lo;
	memmove(&iv->r[i], &iv->r[i + 1], (iv->n - i - 1) * sizeof(*iv->r));
	iv->n--;
}

/* free_iova: the range starting at pfn back to the tree */
static void iova_free_tree(struct iova_domain *iv, uint64_t pfn)
{
	long i = iova_find(iv, pfn);
	if (i >= 0 && (size_t)i < iv->n - 1)
		iova_remove(iv, (size_t)i);
}

/* ---- per-CPU range caches ---- */

static bool mag_full(const struct iova_mag *m)
{
	return m->size == IOVA_MAG_SIZE;
}

static struct iova_mag *mag_alloc(void)
{
	return calloc(1, sizeof(struct iova_mag));
}

static int cpu_rcache_ready(struct iova_cpu_rcache *cr)
{
	if (!cr->loaded)
		cr->loaded = mag_alloc();
	if (!cr->prev)
		cr->prev = mag_alloc();
	return cr->loaded && cr->prev ? 0 : -ENOMEM;
}

/* __iova_rcache_insert: false when the PFN must go back to the tree */
static bool rcache_insert(struct iova_domain *iv, uint32_t cpu, uint64_t pfn, uint64_t size)
{
	uint32_t log = order_base_2(size);
	if (log >= IOVA_RANGE_CACHE_MAX_SIZE)
		return false;
	struct iova_rcache *rc = &iv->rc[log];
	struct iova_cpu_rcache *cr = &rc->cpu[cpu];
	if (cpu_rcache_ready(cr))
		return false;
	if (mag_full(cr->loaded)) {
		if (!mag_full(cr->prev)) {
			struct iova_mag *t = cr->prev;
			cr->prev = cr->loaded;
			cr->loaded = t;
		} else {
			struct iova_mag *nm = mag_alloc();
			if (!nm)
				return false;
			if (rc->ndepot == rc->capdepot) {
				size_t nc = rc->capdepot ? rc->capdepot * 2 : 4;
				struct iova_mag **nd = realloc(rc->depot, nc * sizeof(*nd));
				if (!nd) {
					free(nm);
					return false;
				}
				rc->depot = nd;
				rc->capdepot = nc;
			}
			rc->depot[rc->ndepot++] = cr->loaded;
			cr->loaded = nm;
		}
	}
	cr->loaded->pfns[cr->loaded->size++] = pfn;
	return true;
}

/* iova_magazine_pop: the last PFN not above limit_pfn, swapped out */
static uint64_t mag_pop(struct iova_mag *m, uint64_t limit_pfn)
{
	if (!m->size)
		return 0;
	uint32_t i = m->size - 1;
	while (m->pfns[i] > limit_pfn) {
		if (i == 0)
			return 0;
		i--;
	}
	uint64_t pfn = m->pfns[i];
	m->pfns[i] = m->pfns[--m->size];
	return pfn;
}

/* iova_rcache_get(size, limit_pfn + 1) */
static uint64_t rcache_get(struct iova_domain *iv, uint32_t cpu, uint64_t size,
                           uint64_t limit_pfn_excl)
{
	uint32_t log = order_base_2(size);
	if (log >= IOVA_RANGE_CACHE_MAX_SIZE)
		return 0;
	struct iova_rcache *rc = &iv->rc[log];
	struct iova_cpu_rcache *cr = &rc->cpu[cpu];
	if (cpu_rcache_ready(cr))
		return 0;
	if (!cr->loaded->size) {
		if (cr->prev->size) {
			struct iova_mag *t = cr->prev;
			cr->prev = cr->loaded;
			cr->loaded = t;
		} else if (rc->ndepot) {
			free(cr->loaded);
			cr->loaded = rc->depot[--rc->ndepot];
		} else {
			return 0;
		}
	}
	return mag_pop(cr->loaded, limit_pfn_excl - size);
}

/* free_cpu_cached_iovas + free_global_cached_iovas: every cached PFN back
 * to the tree (alloc_iova_fast's last resort). */
static void rcache_flush_all(struct iova_domain *iv, uint32_t ncpus)
{
	for (unsigned o = 0; o < IOVA_RANGE_CACHE_MAX_SIZE; o++) {
		struct iova_rcache *rc = &iv->rc[o];
		for (uint32_t c = 0; c < ncpus; c++) {
			struct iova_mag *ms[2] = {rc->cpu[c].loaded, rc->cpu[c].prev};
			for (int k = 0; k < 2; k++)
				for (uint32_t i = 0; ms[k] && i < ms[k]->size; i++)
					iova_free_tree(iv, ms[k]->pfns[i]);
			if (ms[0])
				ms[0]->size = 0;
			if (ms[1])
				ms[1]->size = 0;
		}
		for (size_t d = 0; d < rc->ndepot; d++) {
			for (uint32_t i = 0; i < rc->depot[d]->size; i++)
				iova_free_tree(iv, rc->depot[d]->pfns[i]);
			free(rc->depot[d]);
		}
		rc->ndepot = 0;
	}
}

/* ---- costs and counters ---- */

static void charge_iova(struct shim *s, struct kcall *c, bool cached, uint32_t visited)
{
	const struct ktiming *t = &s->env.t;
	if (cached) {
		ktime_charge(c, t->iova_cache);
		s->dma_stats.iova_cache_allocs++;
	} else {
		ktime_charge(c, t->iova_tree + (uint64_t)visited * t->iova_node);
		s->dma_stats.iova_tree_allocs++;
	}
}

/* alloc_iova_fast: 0 and *pfn, or -ENOMEM */
static int alloc_iova_fast(struct shim *s, struct iommu_dma *dma, uint32_t cpu, uint64_t size,
                           uint64_t limit_pfn, bool flush_rcache, struct kcall *c,
                           uint64_t *pfn)
{
	struct iova_domain *iv = &dma->iovad;
	if (size < (1u << (IOVA_RANGE_CACHE_MAX_SIZE - 1)))
		size = roundup_pow_of_two(size);
	uint64_t p = rcache_get(iv, cpu, size, limit_pfn + 1);
	if (p) {
		charge_iova(s, c, true, 0);
		*pfn = p;
		return 0;
	}
	for (;;) {
		uint32_t visited = 0;
		int rc = iova_alloc_range(iv, size, limit_pfn + 1, &p, &visited);
		charge_iova(s, c, false, visited);
		if (!rc) {
			*pfn = p;
			return 0;
		}
		if (!flush_rcache)
			return -ENOMEM;
		flush_rcache = false;
		rcache_flush_all(iv, dma->ncpus);
	}
}

/* free_iova_fast */
static void free_iova_fast(struct shim *s, struct iommu_dma *dma, uint32_t cpu, uint64_t pfn,
                           uint64_t pages, struct kcall *c)
{
	if (rcache_insert(&dma->iovad, cpu, pfn, pages)) {
		ktime_charge(c, s->env.t.iova_cache);
		return;
	}
	ktime_charge(c, s->env.t.iova_tree);
	iova_free_tree(&dma->iovad, pfn);
}

/* ---- flush queue ---- */

static bool fq_full(const struct iova_fq *fq)
{
	return ((fq->tail + 1) & (IOVA_FQ_SIZE - 1)) == fq->head;
}

/* fq_ring_free_locked: entries a completed flush covered go back */
static void fq_ring_free(struct shim *s, struct iommu_dma *dma, struct iova_fq *fq, uint32_t cpu,
                         struct kcall *c)
{
	while (fq->head != fq->tail) {
		struct fq_entry *e = &fq->e[fq->head];
		if (e->counter >= dma->flush_finish_cnt)
			break;
		free_iova_fast(s, dma, cpu, e->pfn, e->pages, c);
		fq->head = (fq->head + 1) & (IOVA_FQ_SIZE - 1);
	}
}

/* fq_flush_iotlb: flush_iotlb_all on the domain (TLBI the context + SYNC) */
static void fq_flush_iotlb(struct shim *s, struct iommu_dma *dma, bool timer, struct kcall *c)
{
	dma->flush_start_cnt++;
	arm_smmu_flush_iotlb_all(dma->domain, c);
	dma->flush_finish_cnt++;
	dma->inv_line = s->oracle_line;
	oracle_kernel_invalidated(s);
	if (timer)
		s->dma_stats.fq_flush_timer++;
	else
		s->dma_stats.fq_flush_full++;
}

static uint64_t jiffy_ns(const struct shim *s)
{
	return 1000000000ull / s->cfg.kernel_hz;
}

static void queue_iova(struct shim *s, struct iommu_dma *dma, uint32_t cpu, uint64_t pfn,
                       uint64_t pages, struct kcall *c)
{
	struct iova_fq *fq = &dma->fqs[cpu];
	ktime_charge(c, s->env.t.fq_queue);
	fq_ring_free(s, dma, fq, cpu, c);
	if (fq_full(fq)) {
		fq_flush_iotlb(s, dma, false, c);
		fq_ring_free(s, dma, fq, cpu, c);
	}
	struct fq_entry *e = &fq->e[fq->tail];
	fq->tail = (fq->tail + 1) & (IOVA_FQ_SIZE - 1);
	e->pfn = pfn;
	e->pages = pages;
	e->counter = dma->flush_start_cnt;
	s->dma_stats.fq_queued++;
	if (!dma->timer_on) {
		/* mod_timer(jiffies + msecs_to_jiffies(10)): fires at that jiffy's tick */
		uint64_t j = jiffy_ns(s);
		uint64_t nj = (IOVA_FQ_TIMEOUT_MS * 1000000ull + j - 1) / j;
		dma->timer_on = true;
		dma->timer_due_ns = (c->t / j + nj) * j;
	}
}

/* ---- per-device state ---- */

static int dma_find_map(const struct iommu_dma *dma, uint64_t iova, size_t *at)
{
	size_t lo = 0, hi = dma->nmaps;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (dma->maps[mid].iova < iova)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return lo < dma->nmaps && dma->maps[lo].iova == iova;
}

void iommu_dma_destroy(struct iommu_dma *dma, struct kcall *c)
{
	if (!dma)
		return;
	/* buffers still mapped go with the kernel's memory */
	free(dma->maps);
	if (dma->domain)
		arm_smmu_domain_free(dma->domain, c);
	iovad_free(&dma->iovad, dma->ncpus);
	free(dma->fqs);
	free(dma);
}

/*
 * iommu_setup_dma_ops + iommu_dma_init_domain on first use: a paging
 * domain for the device's SMMU (stage 1 where there is one), attached as
 * its default domain; the flush queue when the kernel is lazy.
 */
static int dma_get(struct shim *s, struct shim_dev *d, struct kcall *c, struct iommu_dma **out)
{
	if (d->dma) {
		*out = d->dma;
		return 0;
	}
	struct iommu_dma *dma = calloc(1, sizeof(*dma));
	if (!dma)
		return -ENOMEM;
	dma->dev = d;
	dma->ncpus = s->cfg.kvm_cpus;
	if (iovad_init(&dma->iovad, dma->ncpus)) {
		iovad_free(&dma->iovad, dma->ncpus);
		free(dma);
		return -ENOMEM;
	}
	int rc = arm_smmu_domain_alloc_paging(d->master, 0, c, &dma->domain);
	if (rc) {
		iovad_free(&dma->iovad, dma->ncpus);
		free(dma);
		return rc;
	}
	rc = arm_smmu_attach_dev(dma->domain, d->master, c);
	if (rc) {
		arm_smmu_domain_free(dma->domain, c);
		iovad_free(&dma->iovad, dma->ncpus);
		free(dma);
		return rc;
	}
	/* a PCI device: 32-bit IOVAs first (pci_32bit_workaround); 64-bit DMA
	 * mask, limited by the domain's aperture (force_aperture) */
	dma->pci_32bit_workaround = true;
	dma->dma_limit = arm_smmu_domain_aperture_end(dma->domain);
	if (!s->cfg.iommu_strict) {
		dma->fqs = calloc(dma->ncpus, sizeof(*dma->fqs));
		if (!dma->fqs) {
			arm_smmu_attach_dev(arm_smmu_blocked_domain(), d->master, c);
			arm_smmu_domain_free(dma->domain, c);
			iovad_free(&dma->iovad, dma->ncpus);
			free(dma);
			return -ENOMEM;
		}
		dma->fq = true;
	}
	d->dma = dma;
	*out = dma;
	return 0;
}

/* iommu_dma_alloc_iova: 0 and *iova, or -ENOMEM */
static int dma_alloc_iova(struct shim *s, struct iommu_dma *dma, uint32_t cpu, uint64_t size,
                          struct kcall *c, uint64_t *iova)
{
	uint64_t pages = size >> IOVA_SHIFT, pfn = 0;
	if (dma->dma_limit > 0xffffffffull && dma->pci_32bit_workaround) {
		if (!alloc_iova_fast(s, dma, cpu, pages, 0xffffffffull >> IOVA_SHIFT, false, c, &pfn)) {
			*iova = pfn << IOVA_SHIFT;
			return 0;
		}
		dma->pci_32bit_workaround = false;
		s->dma_stats.iova_64bit_switches++;
		klog(&s->env, 2, "%s: Using %u-bit DMA addresses", dma->dev->name,
		     fls64u(dma->dma_limit));
	}
	if (alloc_iova_fast(s, dma, cpu, pages, dma->dma_limit >> IOVA_SHIFT, true, c, &pfn))
		return -ENOMEM;
	*iova = pfn << IOVA_SHIFT;
	return 0;
}

/* iommu_map: the range in the largest page sizes both addresses allow */
static int dma_iommu_map(struct arm_smmu_domain *dom, uint64_t iova, uint64_t pa, uint64_t len,
                         int prot, struct kcall *c)
{
	uint64_t bitmap = arm_smmu_domain_pgsize_bitmap(dom);
	while (len) {
		uint64_t pgsize, count;
		arm_smmu_pgsize(bitmap, iova, pa, len, &pgsize, &count);
		uint64_t mapped = 0;
		int rc = arm_smmu_map_pages(dom, iova, pa, pgsize, count, prot, c, &mapped);
		if (rc)
			return rc;
		if (mapped != pgsize * count)
			return -ENOMEM;
		iova += mapped;
		pa += mapped;
		len -= mapped;
	}
	return 0;
}

/* __iommu_unmap: the same page-size split as the map made */
static uint64_t dma_iommu_unmap(struct arm_smmu_domain *dom, uint64_t iova, uint64_t pa,
                                uint64_t len, struct arm_smmu_gather *g, struct kcall *c)
{
	uint64_t bitmap = arm_smmu_domain_pgsize_bitmap(dom), done = 0;
	while (len) {
		uint64_t pgsize, count;
		arm_smmu_pgsize(bitmap, iova, pa, len, &pgsize, &count);
		uint64_t n = arm_smmu_unmap_pages(dom, iova, pgsize, count, g, c);
		if (!n)
			break;
		done += n;
		iova += n;
		pa += n;
		len -= n < len ? n : len;
	}
	return done;
}

static int dev_for_dma(struct shim *s, uint32_t dev, uint32_t cpu, struct shim_dev **out)
{
	if (!s)
		return -EINVAL;
	if (!s->booted || dev >= s->ndevs || !s->devs[dev]->master)
		return -ENODEV;
	struct shim_dev *d = s->devs[dev];
	int rc = 0;
	if (cpu >= s->cfg.kvm_cpus || cpu >= DMA_CPUS_MAX)
		rc = -EINVAL;
	/* bound to VFIO (or iommufd): no host driver, and its default domain is
	 * not attached */
	else if (d->owned)
		rc = -EBUSY;
	if (rc) {
		s->dma_stats.failures++;
		return rc;
	}
	*out = d;
	return 0;
}

int shim_dma_map(struct shim *s, uint32_t dev, uint64_t pa, uint64_t len, unsigned dir,
                 uint32_t cpu, uint64_t now_ns, uint64_t *iova, struct shim_call *call)
{
	struct shim_dev *d = NULL;
	int rc = dev_for_dma(s, dev, cpu, &d);
	if (rc)
		return rc;
	struct kcall k;
	kcall_begin(&k, &s->env, now_ns);
	ktime_charge(&k, s->env.t.dma_call);
	struct iommu_dma *dma = NULL;
	uint64_t off = pa == SHIM_PA_ANY ? 0 : pa & (IOVA_GRANULE - 1);
	uint64_t size = (len + off + IOVA_GRANULE - 1) & ~(IOVA_GRANULE - 1);
	uint64_t base = 0, va = 0;
	bool own = false;
	if (dir > SHIM_DMA_FROM_DEVICE || !len || len > (1ull << 40)) {
		rc = -EINVAL;
		goto out;
	}
	rc = dma_get(s, d, &k, &dma);
	if (rc)
		goto out;
	if (pa == SHIM_PA_ANY) {
		/* the driver's buffer: pages of kernel memory */
		uint64_t align = size >= (2ull << 20) ? (2ull << 20) : IOVA_GRANULE;
		if (kmem_alloc(s->env.mem, size, align, &base)) {
			rc = -ENOMEM;
			goto out;
		}
		own = true;
	} else {
		base = pa - off;
	}
	rc = dma_alloc_iova(s, dma, cpu, size, &k, &va);
	if (rc)
		goto out_buf;
	int prot = dir == SHIM_DMA_TO_DEVICE     ? ARM_SMMU_PROT_READ
	           : dir == SHIM_DMA_FROM_DEVICE ? ARM_SMMU_PROT_WRITE
	                                         : ARM_SMMU_PROT_READ | ARM_SMMU_PROT_WRITE;
	rc = dma_iommu_map(dma->domain, va, base, size, prot, &k);
	if (rc) {
		/* iommu_map unwinds what it mapped; the IOVA is freed */
		struct arm_smmu_gather g;
		arm_smmu_gather_init(&g);
		dma_iommu_unmap(dma->domain, va, base, size, &g, &k);
		arm_smmu_iotlb_sync(dma->domain, &g, &k);
		free_iova_fast(s, dma, cpu, va >> IOVA_SHIFT, size >> IOVA_SHIFT, &k);
		rc = -ENOMEM;
		goto out_buf;
	}
	size_t at;
	dma_find_map(dma, va, &at);
	if (dma->nmaps == dma->capmaps) {
		size_t nc = dma->capmaps ? dma->capmaps * 2 : 64;
		struct dma_map_ent *nm = realloc(dma->maps, nc * sizeof(*nm));
		if (!nm) {
			rc = -ENOMEM;
			goto out_buf;
		}
		dma->maps = nm;
		dma->capmaps = nc;
	}
	memmove(&dma->maps[at + 1], &dma->maps[at], (dma->nmaps - at) * sizeof(*dma->maps));
	dma->maps[at] = (struct dma_map_ent){va + off, len, base + off, own};
	dma->nmaps++;
	s->dma_stats.maps++;
	s->dma_stats.live_maps++;
	if (iova)
		*iova = va + off;
	goto out;
out_buf:
	if (own)
		kmem_free(s->env.mem, base, size);
out:
	if (rc)
		s->dma_stats.failures++;
	oracle_after_call(s, "kernel", &k);
	shim_call_done(s, &k, "dma_map", rc, call);
	return rc;
}

int shim_dma_unmap(struct shim *s, uint32_t dev, uint64_t iova, uint64_t len, uint32_t cpu,
                   uint64_t now_ns, struct shim_call *call)
{
	struct shim_dev *d = NULL;
	int rc = dev_for_dma(s, dev, cpu, &d);
	if (rc)
		return rc;
	struct kcall k;
	kcall_begin(&k, &s->env, now_ns);
	ktime_charge(&k, s->env.t.dma_call);
	struct iommu_dma *dma = d->dma;
	size_t at = 0;
	/* an IOVA that no dma_map returned, or another length: Linux WARNs and
	 * corrupts its IOVA caches; here the call fails and changes nothing */
	if (!dma || !dma_find_map(dma, iova, &at) || dma->maps[at].len != len) {
		rc = -EINVAL;
		s->dma_stats.failures++;
		shim_call_done(s, &k, "dma_unmap", rc, call);
		return rc;
	}
	struct dma_map_ent m = dma->maps[at];
	uint64_t off = m.iova & (IOVA_GRANULE - 1);
	uint64_t va = m.iova - off, base = m.pa - off;
	uint64_t size = (m.len + off + IOVA_GRANULE - 1) & ~(IOVA_GRANULE - 1);
	struct arm_smmu_gather g;
	arm_smmu_gather_init(&g);
	g.queued = dma->fq;
	dma_iommu_unmap(dma->domain, va, base, size, &g, &k);
	if (!g.queued) {
		arm_smmu_iotlb_sync(dma->domain, &g, &k);
		dma->inv_line = s->oracle_line;
		oracle_kernel_invalidated(s);
	}
	if (dma->fq)
		queue_iova(s, dma, cpu, va >> IOVA_SHIFT, size >> IOVA_SHIFT, &k);
	else
		free_iova_fast(s, dma, cpu, va >> IOVA_SHIFT, size >> IOVA_SHIFT, &k);
	/* the driver frees its buffer once the unmap returns (in lazy mode
	 * while the IOTLB may still translate to it: the known window) */
	if (m.own_buffer)
		kmem_free(s->env.mem, base, size);
	memmove(&dma->maps[at], &dma->maps[at + 1], (dma->nmaps - at - 1) * sizeof(*dma->maps));
	dma->nmaps--;
	s->dma_stats.unmaps++;
	s->dma_stats.live_maps--;
	oracle_after_call(s, "kernel", &k);
	shim_call_done(s, &k, "dma_unmap", 0, call);
	return 0;
}

uint64_t shim_timer_due(const struct shim *s)
{
	uint64_t due = UINT64_MAX;
	for (uint32_t i = 0; s && i < s->ndevs; i++) {
		const struct iommu_dma *dma = s->devs[i]->dma;
		if (dma && dma->timer_on && dma->timer_due_ns < due)
			due = dma->timer_due_ns;
	}
	return due;
}

int shim_run_timers(struct shim *s, uint64_t now_ns, struct shim_call *call)
{
	if (!s)
		return -EINVAL;
	uint64_t due = shim_timer_due(s);
	if (due > now_ns)
		return 0;
	struct kcall k;
	kcall_begin(&k, &s->env, due > now_ns ? due : now_ns);
	ktime_charge(&k, s->env.t.irq_entry);
	int ran = 0;
	for (uint32_t i = 0; i < s->ndevs; i++) {
		struct iommu_dma *dma = s->devs[i]->dma;
		if (!dma || !dma->timer_on || dma->timer_due_ns > due)
			continue;
		/* fq_flush_timeout: flush, then every CPU's ring */
		dma->timer_on = false;
		fq_flush_iotlb(s, dma, true, &k);
		for (uint32_t cpu = 0; cpu < dma->ncpus; cpu++)
			fq_ring_free(s, dma, &dma->fqs[cpu], cpu, &k);
		ran++;
	}
	oracle_after_call(s, "kernel", &k);
	shim_call_done(s, &k, "fq_flush_timeout", 0, call);
	return ran;
}

int shim_dma_stats(const struct shim *s, struct shim_dma_stats *out)
{
	if (!s || !out)
		return SHIM_ERR_INVAL;
	*out = s->dma_stats;
	out->fq_pending = 0;
	for (uint32_t i = 0; i < s->ndevs; i++) {
		const struct iommu_dma *dma = s->devs[i]->dma;
		for (uint32_t cpu = 0; dma && dma->fq && cpu < dma->ncpus; cpu++)
			out->fq_pending += (dma->fqs[cpu].tail - dma->fqs[cpu].head) & (IOVA_FQ_SIZE - 1);
	}
	return SHIM_OK;
}

int shim_dma_translate(const struct shim *s, uint32_t dev, uint64_t iova, uint64_t *pa)
{
	if (!s || dev >= s->ndevs || !s->devs[dev]->dma)
		return -ENOENT;
	return arm_smmu_iova_to_phys(s->devs[dev]->dma->domain, iova, pa);
}
