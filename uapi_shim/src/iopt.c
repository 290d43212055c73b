/*
 * iopt.c - iommufd's io_pagetable (drivers/iommu/iommufd/io_pagetable.c,
 * pages.c): the IOVA -> user-page map of one IOAS and its mirror in every
 * attached paging domain.
 *
 * Model:
 *  - iopt_pages: a user VA range of one process (or a memfd slice). Pinned
 *    lazily, as iommufd does: only while some area over it is stored in at
 *    least one domain; pinning resolves each page to its DRAM address and
 *    charges the process (RLIMIT_MEMLOCK via locked_vm in the user or mm
 *    mode, and pinned_vm), ENOMEM past the limit, EFAULT for an unmapped VA.
 *  - areas: sorted, non-overlapping [iova, last] slices of pages. IOAS_UNMAP
 *    removes whole areas only (ENOENT otherwise); only VFIO type1 emulation
 *    cuts them (iopt_cut).
 *  - reserved ranges (owner-tagged: a domain's aperture, a device's SW MSI
 *    window) and allowed ranges (IOAS_ALLOW_IOVAS) constrain IOVAs exactly
 *    as iopt_check_iova / iopt_alloc_iova / iopt_reserve_iova do.
 *  - domains: each area is mapped into every domain with the largest page
 *    sizes the domain offers that fit the IOVA/PA alignment (4K only after
 *    IOMMU_OPTION_HUGE_PAGES=0), through arm_smmu_map_pages; unmapping goes
 *    through arm_smmu_unmap_pages + arm_smmu_iotlb_sync.
 * Not modelled: iommufd_access users, dirty tracking, the storage-domain
 * optimisation (pages are re-read from the pinned array, not from a domain).
 */
#include "shim_internal.h"

#include <stdlib.h>
#include <string.h>

#define PG SHIM_PAGE

static uint64_t roundup_pow2(uint64_t x)
{
	uint64_t r = 1;
	while (r < x && r)
		r <<= 1;
	return r;
}

void iopt_init(struct iopt *t, struct shim *s)
{
	memset(t, 0, sizeof(*t));
	t->s = s;
	/* An IOAS with no domain has no alignment restriction. */
	t->iova_alignment = 1;
	t->account_mode = IOPT_ACCOUNT_USER;
}

/* ---- pages ---- */

static struct iopt_pages *pages_new(struct iopt *t, struct shim_proc *p, struct shim_backing *b,
                                    uint64_t uptr, uint64_t length, bool writable)
{
	struct iopt_pages *pg = calloc(1, sizeof(*pg));
	if (!pg)
		return NULL;
	pg->proc = b ? NULL : p;
	pg->memfd = b;
	if (b)
		b->refs++;
	pg->uptr = uptr & ~(PG - 1);
	pg->npages = ((uptr & (PG - 1)) + length + PG - 1) / PG;
	pg->writable = writable;
	pg->refs = 1;
	pg->account = t->account_mode;
	pg->acct_proc = t->proc ? t->proc : p;
	return pg;
}

static void pages_put(struct shim *s, struct iopt_pages *pg)
{
	if (!pg || --pg->refs > 0)
		return;
	if (pg->memfd)
		shim_backing_put(s, pg->memfd);
	free(pg->pa);
	free(pg);
}

static void charge(struct iopt_pages *pg, struct shim_proc *to, int64_t n)
{
	if (!to)
		return;
	if (pg->account == IOPT_ACCOUNT_USER)
		to->locked_user += n;
	else if (pg->account == IOPT_ACCOUNT_MM)
		to->locked_mm += n;
	to->pinned_vm += n;
}

static int pages_pin(struct shim *s, struct iopt_pages *pg, struct kcall *c)
{
	if (pg->pin_users++ > 0)
		return 0;
	struct shim_proc *ap = pg->acct_proc;
	uint64_t lim = shim_rlimit_pages(s);
	if (ap && pg->account != IOPT_ACCOUNT_NONE) {
		uint64_t cur = pg->account == IOPT_ACCOUNT_USER ? ap->locked_user : ap->locked_mm;
		if (cur + pg->npages > lim) {
			pg->pin_users--;
			return -ENOMEM;
		}
	}
	/* pin_user_pages() fails with EFAULT on a hole: check the whole range
	 * is backed (one VMA at a time) before sizing anything by it, so that
	 * a huge unbacked IOAS_MAP costs neither time nor memory here. */
	if (pg->memfd) {
		if (pg->npages > pg->memfd->len / PG || pg->uptr > pg->memfd->len - pg->npages * PG) {
			pg->pin_users--;
			return -EFAULT;
		}
	} else {
		uint64_t a = pg->uptr, left = pg->npages * PG, pa, contig;
		/* the LD_PRELOAD host: the process's own pages, backed on first pin */
		int brc = shim_user_back_proc(s, pg->proc, pg->uptr, pg->npages * PG);
		if (brc) {
			pg->pin_users--;
			return brc;
		}
		if (pg->npages > (UINT64_MAX / PG))
			left = UINT64_MAX;
		while (left) {
			if (shim_proc_translate(pg->proc, a, &pa, &contig) || contig == 0) {
				pg->pin_users--;
				return -EFAULT;
			}
			uint64_t step = contig < left ? contig : left;
			a += step;
			left -= step;
		}
	}
	if (!pg->pa) {
		pg->pa = calloc(pg->npages ? pg->npages : 1, sizeof(uint64_t));
		if (!pg->pa) {
			pg->pin_users--;
			return -ENOMEM;
		}
	}
	for (uint64_t i = 0; i < pg->npages; i++) {
		uint64_t a = pg->uptr + i * PG;
		if (pg->memfd) {
			if (a >= pg->memfd->len) {
				pg->pin_users--;
				return -EFAULT;
			}
			pg->pa[i] = pg->memfd->pa + a;
		} else if (shim_proc_translate(pg->proc, a, &pg->pa[i], NULL)) {
			pg->pin_users--;
			return -EFAULT;
		}
	}
	ktime_charge(c, (uint64_t)s->env.t.pin_page * pg->npages);
	if (!pg->memfd)
		shim_proc_pin(pg->proc, pg->uptr, pg->npages, true);
	charge(pg, ap, (int64_t)pg->npages);
	s->pinned_in_call += pg->npages;
	return 0;
}

static void pages_unpin(struct shim *s, struct iopt_pages *pg)
{
	if (--pg->pin_users > 0)
		return;
	if (!pg->memfd)
		shim_proc_pin(pg->proc, pg->uptr, pg->npages, false);
	charge(pg, pg->acct_proc, -(int64_t)pg->npages);
	s->unpinned_in_call += pg->npages;
}

/* ---- mapping an area into a domain ---- */

static uint64_t area_len(const struct iopt_area *a)
{
	return a->last - a->iova + 1;
}

typedef int (*run_fn)(struct iopt *t, struct arm_smmu_domain *d, uint64_t iova, uint64_t pa,
                      uint64_t pgsize, uint64_t count, int prot, void *ctx, struct kcall *c);

/* Walk the area's pages as physically contiguous runs split into the
 * largest page sizes the domain takes (iommu_pgsize()). */
static int area_for_each_chunk(struct iopt *t, struct iopt_area *a, struct arm_smmu_domain *d,
                               run_fn fn, void *ctx, struct kcall *c)
{
	struct iopt_pages *pg = a->pages;
	uint64_t bitmap = arm_smmu_domain_pgsize_bitmap(d);
	if (t->disable_large_pages)
		bitmap &= PG | (PG - 1);
	if (!bitmap)
		bitmap = PG;
	uint64_t first = a->start_byte / PG;
	uint64_t lastp = (a->start_byte + area_len(a) - 1) / PG;
	uint64_t iova0 = a->iova & ~(PG - 1);
	uint64_t i = first;
	while (i <= lastp) {
		uint64_t n = 1;
		while (i + n <= lastp && pg->pa[i + n] == pg->pa[i] + n * PG)
			n++;
		uint64_t iova = iova0 + (i - first) * PG, pa = pg->pa[i], len = n * PG;
		while (len) {
			uint64_t pgsize, count;
			arm_smmu_pgsize(bitmap, iova, pa, len, &pgsize, &count);
			int rc = fn(t, d, iova, pa, pgsize, count, a->prot, ctx, c);
			if (rc)
				return rc;
			iova += pgsize * count;
			pa += pgsize * count;
			len -= pgsize * count;
		}
		i += n;
	}
	return 0;
}

static int map_chunk(struct iopt *t, struct arm_smmu_domain *d, uint64_t iova, uint64_t pa,
                     uint64_t pgsize, uint64_t count, int prot, void *ctx, struct kcall *c)
{
	(void)ctx;
	/* batch_iommu_map_small(): without large pages each page is its own
	 * iommu_map() call, so the domain gets no blocks. */
	uint64_t step = t->disable_large_pages ? pgsize : pgsize * count;
	uint64_t n = t->disable_large_pages ? count : 1;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t mapped = 0;
		int rc = arm_smmu_map_pages(d, iova + i * step, pa + i * step, pgsize,
		                            step / pgsize, prot, c, &mapped);
		if (rc)
			return rc;
		if (mapped != step)
			return -ENOMEM;
	}
	return 0;
}

static int unmap_chunk(struct iopt *t, struct arm_smmu_domain *d, uint64_t iova, uint64_t pa,
                       uint64_t pgsize, uint64_t count, int prot, void *ctx, struct kcall *c)
{
	(void)t, (void)pa, (void)prot;
	arm_smmu_unmap_pages(d, iova, pgsize, count, ctx, c);
	return 0;
}

static void area_unmap_domain(struct iopt *t, struct iopt_area *a, struct arm_smmu_domain *d,
                              struct kcall *c)
{
	struct arm_smmu_gather g;
	arm_smmu_gather_init(&g);
	area_for_each_chunk(t, a, d, unmap_chunk, &g, c);
	arm_smmu_iotlb_sync(d, &g, c);
}

static int area_map_domain(struct iopt *t, struct iopt_area *a, struct arm_smmu_domain *d,
                           struct kcall *c)
{
	int rc = area_for_each_chunk(t, a, d, map_chunk, NULL, c);
	if (rc)
		area_unmap_domain(t, a, d, c);
	return rc;
}

/* Pin the area and map it into every domain (iopt_area_fill_domains). */
static int area_fill(struct iopt *t, struct iopt_area *a, struct kcall *c)
{
	if (!t->ndomains || a->filled)
		return 0;
	int rc = pages_pin(t->s, a->pages, c);
	if (rc)
		return rc;
	for (size_t i = 0; i < t->ndomains; i++) {
		rc = area_map_domain(t, a, t->domains[i], c);
		if (rc) {
			while (i--)
				area_unmap_domain(t, a, t->domains[i], c);
			pages_unpin(t->s, a->pages);
			return rc;
		}
	}
	a->filled = true;
	t->pinned_pages += a->pages->npages;
	return 0;
}

static void area_unfill(struct iopt *t, struct iopt_area *a, struct kcall *c)
{
	if (!a->filled)
		return;
	for (size_t i = 0; i < t->ndomains; i++)
		area_unmap_domain(t, a, t->domains[i], c);
	a->filled = false;
	t->pinned_pages -= a->pages->npages;
	pages_unpin(t->s, a->pages);
}

/* ---- interval helpers ---- */

static bool ranges_overlap(const struct iopt_range *r, size_t n, uint64_t start, uint64_t last)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].start <= last && start <= r[i].last)
			return true;
	return false;
}

/* Index of the first area intersecting [start, last], or nareas. */
static size_t area_first(const struct iopt *t, uint64_t start, uint64_t last)
{
	for (size_t i = 0; i < t->nareas; i++) {
		if (t->areas[i].last < start)
			continue;
		if (t->areas[i].iova > last)
			return t->nareas;
		return i;
	}
	return t->nareas;
}

static int area_insert(struct iopt *t, const struct iopt_area *a)
{
	if (t->nareas == t->capareas) {
		size_t nc = t->capareas ? t->capareas * 2 : 16;
		struct iopt_area *na = realloc(t->areas, nc * sizeof(*na));
		if (!na)
			return -ENOMEM;
		t->areas = na;
		t->capareas = nc;
	}
	size_t i = 0;
	while (i < t->nareas && t->areas[i].iova < a->iova)
		i++;
	memmove(&t->areas[i + 1], &t->areas[i], (t->nareas - i) * sizeof(*a));
	t->areas[i] = *a;
	t->nareas++;
	return 0;
}

static void area_remove_at(struct iopt *t, size_t i)
{
	memmove(&t->areas[i], &t->areas[i + 1], (t->nareas - i - 1) * sizeof(*t->areas));
	t->nareas--;
}

static size_t area_index(const struct iopt *t, uint64_t iova)
{
	for (size_t i = 0; i < t->nareas; i++)
		if (t->areas[i].iova == iova)
			return i;
	return t->nareas;
}

/* ---- IOVA allocation (iopt_alloc_iova) ---- */

struct span {
	uint64_t start, last;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Used intervals: reserved + areas, sorted, merged. */
static struct span *used_spans(const struct iopt *t, size_t *n)
{
	size_t cnt = t->nresv + t->nareas;
	struct span *v = calloc(cnt ? cnt : 1, sizeof(*v));
	if (!v)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < t->nresv; i++)
		v[k++] = (struct span){t->resv[i].start, t->resv[i].last};
	for (size_t i = 0; i < t->nareas; i++)
		v[k++] = (struct span){t->areas[i].iova, t->areas[i].last};
	qsort(v, k, sizeof(*v), cmp_span);
	size_t m = 0;
	for (size_t i = 0; i < k; i++) {
		if (m && v[i].start <= v[m - 1].last + 1 && v[m - 1].last != UINT64_MAX) {
			if (v[i].last > v[m - 1].last)
				v[m - 1].last = v[i].last;
		} else if (m && v[m - 1].last == UINT64_MAX) {
			continue;
		} else {
			v[m++] = v[i];
		}
	}
	*n = m;
	return v;
}

static bool fit(uint64_t *start, uint64_t last, uint64_t length, uint64_t align, uint64_t pgoff)
{
	if (last - *start < length - 1)
		return false;
	uint64_t a = ((*start + align - 1) & ~(align - 1)) | pgoff;
	if (a < *start || a > last || last - a < length - 1)
		return false;
	*start = a;
	return true;
}

static int alloc_iova(struct iopt *t, uint64_t *iova, uint64_t uptr, uint64_t length)
{
	uint64_t pgoff = uptr % PG;
	if (length == 0 || length >= UINT64_MAX / 2)
		return -EOVERFLOW;
	uint64_t align = roundup_pow2(length);
	if (uptr) {
		uint64_t low = uptr & -uptr;
		if (low < align)
			align = low;
	}
	if (align < t->iova_alignment)
		return -EINVAL;
	size_t nu;
	struct span *used = used_spans(t, &nu);
	if (!used)
		return -ENOMEM;
	struct span win = {PG, UINT64_MAX - PG};
	size_t nallowed = t->nallowed ? t->nallowed : 1;
	int rc = -ENOSPC;
	for (size_t ai = 0; ai < nallowed && rc; ai++) {
		struct span al = win;
		if (t->nallowed) {
			al.start =
			    t->allowed[ai].start > win.start ? t->allowed[ai].start : win.start;
			al.last = t->allowed[ai].last < win.last ? t->allowed[ai].last : win.last;
			if (al.start > al.last)
				continue;
		}
		if (!fit(&al.start, al.last, length, align, pgoff))
			continue;
		/* Holes of (reserved | areas) inside [al.start, al.last]. */
		uint64_t cur = al.start;
		for (size_t i = 0;; i++) {
			if (i < nu && used[i].last < cur)
				continue;
			if (i < nu && used[i].start <= cur) {
				if (used[i].last >= al.last)
					break;
				cur = used[i].last + 1;
				continue;
			}
			uint64_t hole_last = al.last;
			if (i < nu && used[i].start - 1 < al.last)
				hole_last = used[i].start - 1;
			uint64_t st = cur;
			if (fit(&st, hole_last, length, align, pgoff)) {
				*iova = st;
				rc = 0;
				break;
			}
			if (i >= nu || used[i].start > al.last || used[i].last >= al.last)
				break;
			cur = used[i].last + 1;
		}
	}
	free(used);
	return rc;
}

static int check_iova(const struct iopt *t, uint64_t iova, uint64_t length, struct kcall *c)
{
	if (iova & (t->iova_alignment - 1))
		return -EINVAL;
	uint64_t last;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	for (size_t i = 0; i < t->nresv; i++) {
		const struct iopt_range *r = &t->resv[i];
		if (r->start <= last && iova <= r->last) {
			if (c)
				kcall_why(c,
				          "IOVA 0x%llx-0x%llx overlaps the reserved range 0x%llx-0x%llx (%s)",
				          (unsigned long long)iova, (unsigned long long)last,
				          (unsigned long long)r->start, (unsigned long long)r->last,
				          r->start == ARM_SMMU_MSI_IOVA_BASE
				              ? "an attached device's software MSI window"
				              : "outside an attached domain's aperture, or reserved by the caller");
			return -EINVAL;
		}
	}
	if (area_first(t, iova, last) != t->nareas)
		return -EEXIST;
	return 0;
}

/* ---- map ---- */

struct pages_elm {
	struct iopt_pages *pages;
	uint64_t start_byte, length;
};

/* iopt_map_pages(): reserve the IOVA, insert the areas, fill the domains. */
static int map_pages(struct iopt *t, struct pages_elm *e, size_t n, uint64_t length,
                     uint64_t *dst_iova, int prot, unsigned flags, struct kcall *c)
{
	if ((length & (t->iova_alignment - 1)) || !length)
		return -EINVAL;
	int rc;
	if (flags & IOPT_ALLOC_IOVA)
		rc = alloc_iova(t, dst_iova, e[0].pages->uptr + e[0].start_byte, length);
	else
		rc = check_iova(t, *dst_iova, length, c);
	if (rc)
		return rc;
	uint64_t iova = *dst_iova;
	size_t inserted = 0;
	for (size_t i = 0; i < n; i++) {
		struct iopt_area a = {0};
		if ((prot & ARM_SMMU_PROT_WRITE) && !e[i].pages->writable) {
			rc = -EPERM;
			break;
		}
		a.prot = prot;
		if ((e[i].start_byte % PG) & (t->iova_alignment - 1)) {
			rc = -EINVAL;
			break;
		}
		a.iova = iova;
		if (__builtin_add_overflow(iova, e[i].length - 1, &a.last)) {
			rc = -EOVERFLOW;
			break;
		}
		a.pages = e[i].pages;
		a.start_byte = e[i].start_byte;
		if ((rc = area_insert(t, &a)))
			break;
		e[i].pages->refs++;
		inserted++;
		iova += e[i].length;
	}
	if (!rc) {
		/* Fill in address order; undo everything on a failure. */
		uint64_t at = *dst_iova;
		for (size_t i = 0; i < inserted && !rc; i++) {
			size_t k = area_index(t, at);
			rc = area_fill(t, &t->areas[k], c);
			at += e[i].length;
		}
	}
	if (rc) {
		uint64_t at = *dst_iova;
		for (size_t i = 0; i < inserted; i++) {
			size_t k = area_index(t, at);
			area_unfill(t, &t->areas[k], c);
			pages_put(t->s, t->areas[k].pages);
			area_remove_at(t, k);
			at += e[i].length;
		}
	}
	return rc;
}

int iopt_map_user(struct iopt *t, struct shim_proc *p, uint64_t *iova, uint64_t uptr,
                  uint64_t length, int prot, unsigned flags, struct kcall *c)
{
	/* iopt_alloc_pages() */
	if (length > UINT64_MAX - PG || length == 0)
		return -EINVAL;
	uint64_t end;
	if (__builtin_add_overflow(uptr, length, &end))
		return -EOVERFLOW;
	struct iopt_pages *pg = pages_new(t, p, NULL, uptr, length, prot & ARM_SMMU_PROT_WRITE);
	if (!pg)
		return -ENOMEM;
	struct pages_elm e = {pg, uptr - pg->uptr, length};
	int rc = map_pages(t, &e, 1, length, iova, prot, flags, c);
	pages_put(t->s, pg);
	return rc;
}

int iopt_map_file(struct iopt *t, struct shim_backing *b, uint64_t size, uint64_t start,
                  uint64_t *iova, uint64_t length, int prot, unsigned flags, struct kcall *c)
{
	if (length > UINT64_MAX - PG || length == 0)
		return -EINVAL;
	uint64_t end;
	if (__builtin_add_overflow(start, length, &end))
		return -EOVERFLOW;
	/* past the file's end (size: its i_size; b holds at least that) */
	if (end > size || !b)
		return -EINVAL;
	struct iopt_pages *pg = pages_new(t, NULL, b, start, length, prot & ARM_SMMU_PROT_WRITE);
	if (!pg)
		return -ENOMEM;
	struct pages_elm e = {pg, start - pg->uptr, length};
	int rc = map_pages(t, &e, 1, length, iova, prot, flags, c);
	pages_put(t->s, pg);
	return rc;
}

int iopt_copy(struct iopt *dst, struct iopt *src, uint64_t src_iova, uint64_t length,
              uint64_t *dst_iova, int prot, unsigned flags, struct kcall *c)
{
	/* iopt_get_pages(): the source range must be covered by contiguous
	 * areas. */
	if (!length)
		return -EINVAL;
	uint64_t last;
	if (__builtin_add_overflow(src_iova, length - 1, &last))
		return -EOVERFLOW;
	size_t i = area_first(src, src_iova, src_iova);
	if (i == src->nareas || src->areas[i].iova > src_iova)
		return -ENOENT;
	struct pages_elm *e = calloc(src->nareas, sizeof(*e));
	if (!e)
		return -ENOMEM;
	size_t n = 0;
	uint64_t cur = src_iova;
	for (; i < src->nareas; i++) {
		struct iopt_area *a = &src->areas[i];
		if (a->iova > cur)
			break;
		uint64_t l = last < a->last ? last : a->last;
		e[n].pages = a->pages;
		e[n].start_byte = a->start_byte + (cur - a->iova);
		e[n].length = l - cur + 1;
		n++;
		if (l == last) {
			cur = last;
			break;
		}
		cur = l + 1;
	}
	int rc;
	if (!n || cur != last)
		rc = -ENOENT;
	else
		rc = map_pages(dst, e, n, length, dst_iova, prot, flags, c);
	free(e);
	return rc;
}

/* ---- unmap ---- */

static void area_destroy(struct iopt *t, size_t i, struct kcall *c)
{
	area_unfill(t, &t->areas[i], c);
	pages_put(t->s, t->areas[i].pages);
	area_remove_at(t, i);
}

static int unmap_range(struct iopt *t, uint64_t start, uint64_t last, uint64_t *unmapped,
                       struct kcall *c)
{
	uint64_t bytes = 0;
	int rc = -ENOENT;
	size_t i;
	while ((i = area_first(t, start, last)) != t->nareas) {
		struct iopt_area *a = &t->areas[i];
		if (a->iova < start || a->last > last) {
			rc = -ENOENT;
			goto out;
		}
		bytes += area_len(a);
		area_destroy(t, i, c);
	}
	if (bytes)
		rc = 0;
out:
	if (unmapped)
		*unmapped = bytes;
	return rc;
}

int iopt_unmap(struct iopt *t, uint64_t iova, uint64_t length, uint64_t *unmapped, struct kcall *c)
{
	if (!length)
		return -EINVAL;
	uint64_t last;
	if (__builtin_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	return unmap_range(t, iova, last, unmapped, c);
}

int iopt_unmap_all(struct iopt *t, uint64_t *unmapped, struct kcall *c)
{
	int rc = unmap_range(t, 0, UINT64_MAX, unmapped, c);
	return rc == -ENOENT ? 0 : rc;
}

int iopt_unmap_type1(struct iopt *t, uint64_t iova, uint64_t size, bool v2, uint64_t *unmapped,
                     struct kcall *c)
{
	/* vfio_dma_do_unmap(): v2 refuses to bisect a mapping; v1 removes the
	 * mappings that start inside the range and stops at one that starts
	 * before it. */
	uint64_t last = iova + size - 1;
	if (v2) {
		size_t i = area_first(t, iova, iova);
		if (i != t->nareas && t->areas[i].iova != iova)
			return -EINVAL;
		i = area_first(t, last, last);
		if (i != t->nareas && t->areas[i].last != last)
			return -EINVAL;
	}
	uint64_t bytes = 0;
	size_t i;
	while ((i = area_first(t, iova, last)) != t->nareas) {
		struct iopt_area *a = &t->areas[i];
		if (!v2 && a->iova < iova)
			break;
		bytes += area_len(a);
		area_destroy(t, i, c);
	}
	*unmapped = bytes;
	return 0;
}

void iopt_destroy(struct iopt *t, struct kcall *c)
{
	iopt_unmap_all(t, NULL, c);
	free(t->areas);
	free(t->allowed);
	free(t->resv);
	free(t->domains);
	memset(t, 0, sizeof(*t));
}

/* iopt_area_split() at iova (the last byte of the left part). */
int iopt_cut(struct iopt *t, uint64_t iova)
{
	size_t i = area_first(t, iova, iova);
	if (i == t->nareas)
		return 0;
	struct iopt_area *a = &t->areas[i];
	if (iova == a->iova || iova == a->last)
		return 0;
	uint64_t ns = iova + 1;
	if ((ns & (t->iova_alignment - 1)) ||
	    ((a->start_byte + (ns - a->iova)) & (t->iova_alignment - 1)))
		return -EINVAL;
	/* A domain may hold huge pages over the area: not splittable. */
	if (a->filled && !t->disable_large_pages)
		return -EINVAL;
	struct iopt_area rhs = *a;
	rhs.iova = ns;
	rhs.start_byte = a->start_byte + (ns - a->iova);
	a->last = iova;
	rhs.pages->refs++;
	if (rhs.filled) {
		rhs.pages->pin_users++;
		t->pinned_pages += 0; /* the pages are pinned once */
	}
	return area_insert(t, &rhs);
}

/* ---- allowed / reserved ---- */

int iopt_set_allowed(struct iopt *t, const struct iopt_range *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ranges_overlap(t->resv, t->nresv, r[i].start, r[i].last))
			return -EADDRINUSE;
	struct iopt_range *na = NULL;
	if (n) {
		na = malloc(n * sizeof(*na));
		if (!na)
			return -ENOMEM;
		memcpy(na, r, n * sizeof(*na));
	}
	free(t->allowed);
	t->allowed = na;
	t->nallowed = n;
	return 0;
}

int iopt_reserve(struct iopt *t, uint64_t start, uint64_t last, const void *owner)
{
	if (area_first(t, start, last) != t->nareas ||
	    ranges_overlap(t->allowed, t->nallowed, start, last))
		return -EADDRINUSE;
	if (t->nresv == t->capresv) {
		size_t nc = t->capresv ? t->capresv * 2 : 8;
		struct iopt_range *nr = realloc(t->resv, nc * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		t->resv = nr;
		t->capresv = nc;
	}
	size_t i = 0;
	while (i < t->nresv && t->resv[i].start < start)
		i++;
	memmove(&t->resv[i + 1], &t->resv[i], (t->nresv - i) * sizeof(*t->resv));
	t->resv[i] = (struct iopt_range){start, last, owner};
	t->nresv++;
	return 0;
}

void iopt_remove_reserved(struct iopt *t, const void *owner)
{
	size_t k = 0;
	for (size_t i = 0; i < t->nresv; i++)
		if (t->resv[i].owner != owner)
			t->resv[k++] = t->resv[i];
	t->nresv = k;
}

size_t iopt_holes(const struct iopt *t, struct iopt_range *out, size_t max)
{
	/* Spans of the reserved tree over [0, ULONG_MAX] that are holes. */
	size_t n = 0;
	uint64_t cur = 0;
	bool done = false;
	struct iopt_range *r = t->resv;
	/* reserved ranges are sorted by start and may overlap */
	for (size_t i = 0; i < t->nresv && !done; i++) {
		if (r[i].start > cur) {
			if (n < max)
				out[n] = (struct iopt_range){cur, r[i].start - 1, NULL};
			n++;
		}
		if (r[i].last + 1 > cur || r[i].last == UINT64_MAX) {
			if (r[i].last == UINT64_MAX)
				done = true;
			else
				cur = r[i].last + 1;
		}
	}
	if (!done) {
		if (n < max)
			out[n] = (struct iopt_range){cur, UINT64_MAX, NULL};
		n++;
	}
	return n;
}

/* ---- domains ---- */

static uint64_t lowest_pgsize(struct arm_smmu_domain *d)
{
	uint64_t b = arm_smmu_domain_pgsize_bitmap(d);
	return b ? (b & -b) : PG;
}

static int check_alignment(const struct iopt *t, uint64_t align)
{
	for (size_t i = 0; i < t->nareas; i++) {
		const struct iopt_area *a = &t->areas[i];
		if ((a->iova & (align - 1)) || (area_len(a) & (align - 1)) ||
		    ((a->start_byte % PG) & (align - 1)))
			return -EADDRINUSE;
	}
	return 0;
}

int iopt_add_domain(struct iopt *t, struct arm_smmu_domain *d, struct kcall *c)
{
	for (size_t i = 0; i < t->ndomains; i++)
		if (t->domains[i] == d)
			return -EEXIST;
	uint64_t na = lowest_pgsize(d);
	if (na < t->iova_alignment)
		na = t->iova_alignment;
	if (na > PG)
		return -EINVAL;
	int rc;
	if (na != t->iova_alignment && (rc = check_alignment(t, na)))
		return rc;
	uint64_t end = arm_smmu_domain_aperture_end(d);
	if (end != UINT64_MAX && (rc = iopt_reserve(t, end + 1, UINT64_MAX, d)))
		return rc;
	if (t->ndomains == t->capdomains) {
		size_t nc = t->capdomains ? t->capdomains * 2 : 4;
		struct arm_smmu_domain **nd = realloc(t->domains, nc * sizeof(*nd));
		if (!nd) {
			iopt_remove_reserved(t, d);
			return -ENOMEM;
		}
		t->domains = nd;
		t->capdomains = nc;
	}
	/* iopt_fill_domain(): pin (first domain) and map every area. */
	bool first = t->ndomains == 0;
	size_t i;
	for (i = 0; i < t->nareas; i++) {
		struct iopt_area *a = &t->areas[i];
		if (first) {
			rc = pages_pin(t->s, a->pages, c);
			if (rc)
				break;
		}
		rc = area_map_domain(t, a, d, c);
		if (rc) {
			if (first)
				pages_unpin(t->s, a->pages);
			break;
		}
		if (first) {
			a->filled = true;
			t->pinned_pages += a->pages->npages;
		}
	}
	if (rc) {
		while (i--) {
			struct iopt_area *a = &t->areas[i];
			area_unmap_domain(t, a, d, c);
			if (first) {
				a->filled = false;
				t->pinned_pages -= a->pages->npages;
				pages_unpin(t->s, a->pages);
			}
		}
		iopt_remove_reserved(t, d);
		return rc;
	}
	t->iova_alignment = na;
	t->domains[t->ndomains++] = d;
	return 0;
}

static void recalc_alignment(struct iopt *t)
{
	uint64_t a = t->disable_large_pages ? PG : 1;
	for (size_t i = 0; i < t->ndomains; i++) {
		uint64_t l = lowest_pgsize(t->domains[i]);
		if (l > a)
			a = l;
	}
	t->iova_alignment = a;
}

void iopt_remove_domain(struct iopt *t, struct arm_smmu_domain *d, struct kcall *c)
{
	size_t i;
	for (i = 0; i < t->ndomains; i++)
		if (t->domains[i] == d)
			break;
	if (i == t->ndomains)
		return;
	t->domains[i] = t->domains[t->ndomains - 1];
	t->ndomains--;
	for (size_t k = 0; k < t->nareas; k++) {
		struct iopt_area *a = &t->areas[k];
		if (!a->filled)
			continue;
		area_unmap_domain(t, a, d, c);
		if (t->ndomains == 0) {
			a->filled = false;
			t->pinned_pages -= a->pages->npages;
			pages_unpin(t->s, a->pages);
		}
	}
	iopt_remove_reserved(t, d);
	recalc_alignment(t);
}

int iopt_disable_large(struct iopt *t)
{
	if (t->disable_large_pages)
		return 0;
	/* Not while domains already hold mappings. */
	if (t->ndomains && t->nareas)
		return -EINVAL;
	t->disable_large_pages = true;
	uint64_t old = t->iova_alignment;
	recalc_alignment(t);
	if (t->iova_alignment > old && check_alignment(t, t->iova_alignment)) {
		t->disable_large_pages = false;
		t->iova_alignment = old;
		return -EADDRINUSE;
	}
	return 0;
}

void iopt_enable_large(struct iopt *t)
{
	t->disable_large_pages = false;
	recalc_alignment(t);
}

bool iopt_has_user_pages(const struct iopt *t)
{
	for (size_t i = 0; i < t->nareas; i++)
		if (!t->areas[i].pages->memfd)
			return true;
	return false;
}

void iopt_change_process(struct iopt *t, struct shim_proc *to)
{
	for (size_t i = 0; i < t->nareas; i++) {
		struct iopt_pages *pg = t->areas[i].pages;
		if (pg->acct_proc == to)
			continue;
		if (pg->pin_users) {
			charge(pg, pg->acct_proc, -(int64_t)pg->npages);
			charge(pg, to, (int64_t)pg->npages);
		}
		pg->acct_proc = to;
	}
	t->proc = to;
}

uint64_t iopt_pgsize_bitmap(const struct iopt *t)
{
	uint64_t b = ~0ull;
	for (size_t i = 0; i < t->ndomains; i++)
		b &= arm_smmu_domain_pgsize_bitmap(t->domains[i]);
	if (!t->ndomains)
		b = ~(PG - 1);
	if (t->disable_large_pages)
		b = PG;
	return b;
}
