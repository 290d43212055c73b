/*
 * oracle.c - the isolation oracle: ground truth kept beside the kernel model
 * and never fed back into it (shim.h "isolation oracle").
 *
 * Owners are processes and, where a device was given one, the KVM VM; an
 * owner label is the VM's ("vmm1/vm0") or the process's ("vmm0"). What a
 * device may reach is what the kernel mapped for it: the pinned pages of the
 * areas of the IOAS its HWPT sits on (a nested HWPT: its parent's). Checks:
 *
 *  - DMA (shim_oracle_dma): a translated DMA whose output page is not one
 *    the device may reach is `stale` when the page still belongs to the
 *    device's owner (it was unmapped, or the device detached, and the
 *    kernel reported that complete: the ioctl returned) and `cross-domain`
 *    when it belongs to another owner or to nobody (kernel memory).
 *  - after every system call (oracle_after_call): `alias` when one SMMU
 *    holds live, attached contexts of two owners under one VMID; and
 *    `foreign-invalidation` when the call's invalidations (TLBI commands
 *    carrying a VMID) targeted a VMID that a live context of another
 *    process uses.
 *  - broadcast TLBIs (shim_oracle_tlbi): a guest's TLBI that removed SMMU
 *    entries while a live context of another owner carries its VMID is a
 *    `foreign-invalidation`. KVM's own rollover flush is not.
 *
 * Each violation is recorded once per distinct situation (kind, SMMU, VMID,
 * the two owners, and for DMAs the page), with the record that exposed it.
 */
#include "arm_smmu_v3_internal.h"
#include "kvm.h"
#include "dma_iommu.h"
#include "shim_internal.h"

#include <stdarg.h>
#include <stdio.h>

/* Violation texts are cut to their fixed fields on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {"cross-domain", "stale", "alias", "foreign-invalidation"};

const char *shim_violation_kind_name(unsigned kind)
{
	return kind < SHIM_VIOL_KINDS ? kind_names[kind] : "?";
}

int shim_violation_kind_by_name(const char *name)
{
	for (unsigned i = 0; i < SHIM_VIOL_KINDS; i++)
		if (name && !strcmp(name, kind_names[i]))
			return (int)i;
	return -1;
}

void shim_oracle_set_record(struct shim *s, uint32_t line)
{
	if (s) {
		s->oracle_line = line;
		s->nremoved = s->removed_total = 0; /* removals belong to one record */
	}
}

size_t shim_violation_count(const struct shim *s)
{
	return s ? s->nviol : 0;
}

int shim_violation_at(const struct shim *s, size_t i, struct shim_violation *out)
{
	if (!s || !out || i >= s->nviol)
		return -EINVAL;
	*out = s->viol[i];
	return 0;
}

/* The process part of an owner label ("vmm1/vm0" -> "vmm1"). */
static size_t proc_len(const char *owner)
{
	const char *slash = strchr(owner, '/');
	return slash ? (size_t)(slash - owner) : strlen(owner);
}

static bool same_proc(const char *a, const char *b)
{
	size_t n = proc_len(a);
	return n == proc_len(b) && !strncmp(a, b, n);
}

/* Record a violation unless the same situation was recorded before. */
static struct shim_violation *viol_add(struct shim *s, const struct shim_violation *v)
{
	for (size_t i = 0; i < s->nviol; i++) {
		const struct shim_violation *o = &s->viol[i];
		if (o->kind == v->kind && o->smmu == v->smmu && o->vmid == v->vmid &&
		    o->page == v->page && !strcmp(o->owner, v->owner) && !strcmp(o->other, v->other))
			return NULL;
	}
	if (s->nviol == s->capviol) {
		size_t cap = s->capviol ? 2 * s->capviol : 8;
		struct shim_violation *n = realloc(s->viol, cap * sizeof(*n));
		if (!n)
			return NULL;
		s->viol = n;
		s->capviol = cap;
	}
	struct shim_violation *d = &s->viol[s->nviol++];
	*d = *v;
	if (!d->line)
		d->line = s->oracle_line;
	return d;
}

/* ---- who owns what ---- */

/* The owner label of a bound device: its KVM's or its iommufd's process. */
static const char *dev_owner(const struct shim_dev *d)
{
	if (d->kvm)
		return shim_kvm_name(d->kvm);
	if (d->idev && d->idev->obj.ictx && d->idev->obj.ictx->proc)
		return d->idev->obj.ictx->proc->name;
	return NULL;
}

static bool proc_owns(const struct shim_proc *p, uint64_t pa)
{
	for (size_t i = 0; i < p->nvmas; i++) {
		const struct shim_backing *b = p->vmas[i].b;
		if (b && pa >= b->pa && pa - b->pa < b->len)
			return true;
	}
	for (int fd = 0; fd < p->nfds; fd++) {
		const struct shim_file *f = p->fds[fd];
		if (f && f->kind == SF_MEMFD && f->u.memfd && pa >= f->u.memfd->pa &&
		    pa - f->u.memfd->pa < f->u.memfd->len)
			return true;
	}
	for (size_t i = 0; i < p->nxmemfds; i++) {
		const struct shim_backing *b = p->xmemfds[i].b;
		if (b && pa >= b->pa && pa - b->pa < b->len)
			return true;
	}
	return false;
}

/* The VM of process p (one of its open VM fds) whose memslots cover the
 * process VA va, or NULL. */
static const struct shim_kvm *vm_of_va(const struct shim_proc *p, uint64_t va)
{
	for (int fd = 0; fd < p->nfds; fd++) {
		const struct shim_file *f = p->fds[fd];
		if (!f || f->kind != SF_KVM_VM || !f->u.kvm)
			continue;
		const struct shim_kvm *k = f->u.kvm;
		for (size_t i = 0; i < k->nslots; i++)
			if (va >= k->slots[i].uaddr && va - k->slots[i].uaddr < k->slots[i].size)
				return k;
	}
	return NULL;
}

/* The owner of a host page: the VM whose memslots it backs, else the
 * process whose memory it is; NULL for memory no process owns (the
 * kernel's: tables, queues, free pages). */
static const char *page_owner(struct shim *s, uint64_t pa, char *buf, size_t len)
{
	for (uint32_t i = 0; i < s->nprocs; i++) {
		struct shim_proc *p = s->procs[i];
		if (!proc_owns(p, pa))
			continue;
		snprintf(buf, len, "%s", p->name);
		for (size_t v = 0; v < p->nvmas; v++) {
			const struct shim_vma *m = &p->vmas[v];
			if (!m->b || pa < m->b->pa || pa - m->b->pa >= m->b->len)
				continue;
			const struct shim_kvm *k = vm_of_va(p, m->va + (pa - m->b->pa));
			if (k)
				snprintf(buf, len, "%s", shim_kvm_name(k));
			break;
		}
		return buf;
	}
	return NULL;
}

/*
 * Does the IOAS map `pa` (a pinned page of one of its areas)? The pinned
 * pages of an IOAS are kept as sorted, merged PA intervals, rebuilt when a
 * signature of its areas (range, pinned state, page array) changes: a DMA
 * costs a hash over the areas and a binary search.
 */
struct oracle_ival {
	uint64_t start, end; /* [start, end) */
};
struct oracle_idx {
	const struct iopt *t;
	uint64_t sig;
	struct oracle_ival *iv;
	size_t n, cap;
	uint64_t used; /* LRU stamp */
	/* whose memory the pages are: one owner label, or "" when they are of
	 * several owners (or none) */
	char owner[48];
};
#define ORACLE_IDX_SLOTS 16
/* Translations already checked against the tables: the reference walk is
 * repeated for an entry only when an invalidation of its owner completed
 * since (direct-mapped by device, page and origin). */
#define ORACLE_MEMO 4096
struct oracle_memo {
	uint32_t dev, ssid, origin, inv_line;
	uint64_t page, pa_page;
	bool valid;
};
struct oracle_cache {
	struct oracle_idx slot[ORACLE_IDX_SLOTS];
	uint64_t clock;
	struct oracle_memo memo[ORACLE_MEMO];
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

static uint64_t iopt_sig(const struct iopt *t)
{
	uint64_t h = mix(0, t->nareas);
	for (size_t i = 0; i < t->nareas; i++) {
		const struct iopt_area *a = &t->areas[i];
		h = mix(h, a->iova);
		h = mix(h, a->last);
		h = mix(h, a->start_byte);
		h = mix(h, a->filled);
		h = mix(h, (uint64_t)(uintptr_t)a->pages);
		h = mix(h, a->pages ? (uint64_t)(uintptr_t)a->pages->pa : 0);
	}
	return h;
}

static int ival_cmp(const void *x, const void *y)
{
	const struct oracle_ival *a = x, *b = y;
	return a->start < b->start ? -1 : a->start > b->start;
}

static const char *page_owner(struct shim *s, uint64_t pa, char *buf, size_t len);

static int idx_build(struct shim *s, struct oracle_idx *x, const struct iopt *t)
{
	x->n = 0;
	for (size_t i = 0; i < t->nareas; i++) {
		const struct iopt_area *a = &t->areas[i];
		const struct iopt_pages *pg = a->pages;
		if (!a->filled || !pg || !pg->pa)
			continue;
		uint64_t first = a->start_byte / SHIM_PAGE;
		uint64_t last = (a->start_byte + (a->last - a->iova)) / SHIM_PAGE;
		for (uint64_t k = first; k <= last && k < pg->npages; k++) {
			uint64_t p = pg->pa[k];
			if (x->n && x->iv[x->n - 1].end == p) {
				x->iv[x->n - 1].end += SHIM_PAGE;
				continue;
			}
			if (x->n == x->cap) {
				size_t cap = x->cap ? 2 * x->cap : 16;
				struct oracle_ival *n = realloc(x->iv, cap * sizeof(*n));
				if (!n)
					return -ENOMEM;
				x->iv = n;
				x->cap = cap;
			}
			x->iv[x->n].start = p;
			x->iv[x->n].end = p + SHIM_PAGE;
			x->n++;
		}
	}
	qsort(x->iv, x->n, sizeof(*x->iv), ival_cmp);
	/* an IOAS emptied by unmaps keeps the owner its pages had */
	if (x->n)
		x->owner[0] = 0;
	for (size_t i = 0; i < x->n; i++) {
		char buf[48];
		const char *o = page_owner(s, x->iv[i].start, buf, sizeof(buf));
		if (!o || (i && strcmp(o, x->owner))) {
			x->owner[0] = 0;
			break;
		}
		snprintf(x->owner, sizeof(x->owner), "%s", o);
	}
	return 0;
}

/* The index of t, rebuilt when its areas changed (NULL: no memory). */
static struct oracle_idx *idx_get(struct shim *s, const struct iopt *t)
{
	struct oracle_cache *oc = s->oracle_cache;
	if (!oc) {
		oc = calloc(1, sizeof(*oc));
		if (!oc)
			return NULL;
		s->oracle_cache = oc;
	}
	uint64_t sig = iopt_sig(t);
	struct oracle_idx *x = NULL, *lru = &oc->slot[0];
	for (size_t i = 0; i < ORACLE_IDX_SLOTS; i++) {
		struct oracle_idx *c = &oc->slot[i];
		if (c->t == t) {
			x = c;
			break;
		}
		if (c->used < lru->used)
			lru = c;
	}
	if (!x) {
		x = lru;
		x->t = t;
		x->sig = ~sig;
		x->owner[0] = 0;
	}
	x->used = ++oc->clock;
	if (x->sig != sig) {
		if (idx_build(s, x, t)) {
			x->t = NULL;
			return NULL;
		}
		x->sig = sig;
	}
	return x;
}

static bool iopt_reaches(struct shim *s, const struct iopt *t, uint64_t pa)
{
	struct oracle_idx *x = idx_get(s, t);
	if (!x)
		return true; /* no memory for the index: say nothing */
	size_t lo = 0, hi = x->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (x->iv[mid].end <= pa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < x->n && x->iv[lo].start <= pa;
}

/* ---- the reference walk: the tables as they are now, no cache ---- */

/* A guest stage-1 walk (4K granule, AArch64 descriptors) whose table and
 * output addresses are IPAs translated by the parent's stage 2 (or PAs
 * when parent is NULL). 0 and *out, -ENOENT (unmapped), -EOPNOTSUPP (a
 * format this walk does not read: the oracle then says nothing). */
static int s1_ref_walk(struct shim *s, struct arm_smmu_domain *parent, uint64_t ttb,
                       unsigned t0sz, uint64_t va, uint64_t *out)
{
	unsigned va_bits = 64 - t0sz;
	if (t0sz < 16 || va_bits < 25)
		return -EOPNOTSUPP;
	if (va >> va_bits)
		return -ENOENT;
	const int start = 4 - (int)((va_bits - 12 + 8) / 9); /* 9 bits per level */
	uint64_t table = ttb;
	for (int level = start; level <= 3; level++) {
		unsigned shift = 12 + 9 * (3 - (unsigned)level);
		/* the start level resolves what is left of va_bits */
		unsigned bits = level == start ? va_bits - shift : 9;
		uint64_t idx = (va >> shift) & ((1ull << bits) - 1);
		uint64_t tpa = table;
		if (parent && arm_smmu_iova_to_phys(parent, table, &tpa))
			return -ENOENT;
		uint64_t d;
		if (kmem_read64(&s->env, tpa + 8 * idx, &d))
			return -ENOENT;
		if (!(d & 1))
			return -ENOENT;
		uint64_t oa = d & 0x0000fffffffff000ull;
		if (level == 3 || !(d & 2)) { /* page, or block */
			if (level == 3 && !(d & 2))
				return -ENOENT;
			if (level == 0)
				return -ENOENT;
			uint64_t ipa = (oa & ~((1ull << shift) - 1)) | (va & ((1ull << shift) - 1));
			if (parent)
				return arm_smmu_iova_to_phys(parent, ipa, out) ? -ENOENT : 0;
			*out = ipa;
			return 0;
		}
		table = oa;
	}
	return -ENOENT;
}

/* What the translation of addr through HWPT h (a device's RID or one of
 * its PASIDs) is by the tables now. */
static int ref_translate(struct shim *s, const struct ifd_hwpt *h, uint64_t addr, uint64_t *pa)
{
	struct arm_smmu_domain *dom = h ? h->domain : NULL;
	if (!dom)
		return -EOPNOTSUPP;
	enum arm_smmu_domain_kind k = arm_smmu_domain_kind(dom);
	if (k == ARM_SMMU_DOMAIN_S1 || k == ARM_SMMU_DOMAIN_S2)
		return arm_smmu_iova_to_phys(dom, addr, pa) ? -ENOENT : 0;
	if (k != ARM_SMMU_DOMAIN_NESTED || !h->parent || !h->parent->domain)
		return -EOPNOTSUPP;
	struct arm_smmu_domain *parent = h->parent->domain;
	unsigned cfg = (unsigned)((dom->vste[0] >> 1) & 7);
	if (!(dom->vste[0] & 1))
		return -EOPNOTSUPP;
	if (cfg == 4) /* the guest bypasses its stage 1 */
		return arm_smmu_iova_to_phys(parent, addr, pa) ? -ENOENT : 0;
	if (cfg != 5 || ((dom->vste[0] >> 59) & 0x1f)) /* S1, one CD (S1CDMax 0) */
		return -EOPNOTSUPP;
	uint64_t cd_ipa = dom->vste[0] & 0x000fffffffffffc0ull, cd_pa, cd0, cd1;
	if (arm_smmu_iova_to_phys(parent, cd_ipa, &cd_pa) || kmem_read64(&s->env, cd_pa, &cd0) ||
	    kmem_read64(&s->env, cd_pa + 8, &cd1))
		return -EOPNOTSUPP;
	if (!(cd0 & (1ull << 31)) || ((cd0 >> 6) & 3) != 0) /* CD.V, TG0 = 4K */
		return -EOPNOTSUPP;
	if (cd0 & (1ull << 14)) /* EPD0: no walks */
		return -ENOENT;
	return s1_ref_walk(s, parent, cd1 & 0x000ffffffffffff0ull, (unsigned)(cd0 & 0x3f), addr, pa);
}

/* The last record at which each owner had an invalidation complete (a
 * system call that issued TLBIs returned, or its guest's broadcast TLBI
 * reached an SMMU), kept per owner label: a process's ("vmm1", its system
 * calls) and a VM's ("vmm1/vm0", its guest's TLBIs). An entry of a VM is
 * covered by its own and its process's invalidations; one VM's guest says
 * nothing of another VM's entries. Each invalidation is as wide as its
 * command: one ASID (NH_ASID, NH_VA; a guest's ASIDE1IS, VAE1IS), or every
 * ASID of one VMID (NH_ALL, S12_VMALL, S2_IPA), so a VMM that unmaps from
 * one VM's IOAS has not invalidated for another VM midway through an update
 * of its own tables. */
static size_t inv_slot(struct shim *s, const char *owner)
{
	size_t n = strlen(owner);
	for (size_t i = 0; i < s->ninv_owner; i++)
		if (!strcmp(s->inv_owner[i].name, owner))
			return i;
	if (s->ninv_owner == sizeof(s->inv_owner) / sizeof(s->inv_owner[0]) ||
	    n >= sizeof(s->inv_owner[0].name))
		return SIZE_MAX;
	size_t i = s->ninv_owner++;
	memset(&s->inv_owner[i], 0, sizeof(s->inv_owner[i]));
	memcpy(s->inv_owner[i].name, owner, n + 1);
	return i;
}

static void note_inv(struct shim *s, const char *owner)
{
	size_t i = inv_slot(s, owner);
	if (i != SIZE_MAX)
		s->inv_owner[i].line = s->oracle_line;
}

/* An invalidation of owner's entries of one ASID (smmu, vmid, asid:
 * 0xffffffff for any). With no slot left, the oldest such record is widened
 * to all of the owner's entries (never narrower than what happened). */
static void note_inv_asid(struct shim *s, const char *owner, uint32_t smmu, uint32_t vmid,
                          uint32_t asid)
{
	size_t i = inv_slot(s, owner);
	if (i == SIZE_MAX)
		return;
	struct shim_inv_owner *o = &s->inv_owner[i];
	uint32_t j, cap = (uint32_t)(sizeof(o->asid) / sizeof(o->asid[0]));
	for (j = 0; j < o->nasid; j++)
		if (o->asid[j].smmu == smmu && o->asid[j].vmid == vmid && o->asid[j].asid == asid)
			break;
	if (j == o->nasid) {
		if (o->nasid < cap) {
			o->nasid++;
		} else {
			j = 0;
			for (uint32_t k = 1; k < cap; k++)
				if (o->asid[k].line < o->asid[j].line)
					j = k;
			if (o->asid[j].line > o->line)
				o->line = o->asid[j].line;
		}
	}
	o->asid[j].smmu = smmu;
	o->asid[j].vmid = vmid;
	o->asid[j].asid = asid;
	o->asid[j].line = s->oracle_line;
}

void oracle_kernel_invalidated(struct shim *s)
{
	if (s->cfg.oracle && s->booted)
		note_inv(s, "kernel");
}

/* The last completed invalidation that covers an entry of owner tagged
 * ⟨smmu, vmid, asid⟩ (asid SMMU_ASID_NONE: a stage-2-only entry): owner's
 * own, and its process's when owner is a VM; 0 if none. */
static uint32_t last_inv(const struct shim *s, const char *owner, uint32_t smmu, uint32_t vmid,
                         uint32_t asid)
{
	size_t n = proc_len(owner);
	uint32_t line = 0;
	for (size_t i = 0; i < s->ninv_owner; i++) {
		const struct shim_inv_owner *o = &s->inv_owner[i];
		if (strcmp(o->name, owner) &&
		    (strlen(o->name) != n || strncmp(o->name, owner, n)))
			continue;
		if (o->line > line)
			line = o->line;
		for (uint32_t j = 0; j < o->nasid; j++)
			if (o->asid[j].line > line &&
			    (o->asid[j].asid == 0xffffffffu || o->asid[j].asid == asid) &&
			    (o->asid[j].smmu == 0xffffffffu || o->asid[j].smmu == smmu) &&
			    (o->asid[j].vmid == 0xffffffffu || o->asid[j].vmid == vmid))
				line = o->asid[j].line;
	}
	return line;
}

/* The IOAS whose pages HWPT h lets a device reach (NULL: none, blocked). */
static const struct iopt *hwpt_iopt(const struct ifd_hwpt *h)
{
	if (h && h->parent)
		h = h->parent;
	return h && h->ioas ? &h->ioas->iopt : NULL;
}

/* The fields every DMA violation carries: the DMA, the serving entry and
 * the device (and owner) the entry was made for. */
static void dma_viol_init(struct shim *s, struct shim_violation *v, const struct shim_dev *d,
                          const struct shim_dma_check *c, const char *owner)
{
	memset(v, 0, sizeof(*v));
	v->line = c->line;
	v->origin_line = c->origin;
	v->smmu = d->smmu_index;
	v->sid = d->sid;
	v->ssid = c->ssid;
	v->world = c->world;
	v->vmid = c->vmid;
	v->asid = c->asid;
	v->addr = c->addr;
	v->pa = c->pa;
	v->page = c->pa & ~(SHIM_PAGE - 1);
	v->entry_base = c->entry_base;
	v->entry_size = c->entry_size;
	v->entry_out = c->entry_out;
	snprintf(v->device, sizeof(v->device), "%s", d->name);
	snprintf(v->hit, sizeof(v->hit), "%s", c->hit ? c->hit : "");
	snprintf(v->owner, sizeof(v->owner), "%s", owner);
	for (uint32_t i = 0; i < s->ndevs; i++) {
		const struct shim_dev *e = s->devs[i];
		if (e->smmu_index == d->smmu_index && e->sid == c->entry_sid) {
			const char *eo = dev_owner(e);
			snprintf(v->inserted_for, sizeof(v->inserted_for), "%s (%s)", e->name,
			         eo ? eo : "kernel");
			break;
		}
	}
}

/* A stale violation inside owner's own domain, and in `now` what the
 * reference walk found at the DMA's address (rc, ref). */
static void stale_init(struct shim *s, struct shim_violation *v, const struct shim_dev *d,
                       const struct shim_dma_check *c, const char *owner, int rc, uint64_t ref,
                       char *now, size_t nlen)
{
	dma_viol_init(s, v, d, c, owner);
	v->kind = SHIM_VIOL_STALE;
	snprintf(v->other, sizeof(v->other), "%s", owner);
	if (rc == 0)
		snprintf(now, nlen, "0x%llx", (unsigned long long)ref);
	else
		snprintf(now, nlen, "nothing (unmapped)");
}

/*
 * A device on the kernel's own DMA domain (the host DMA API): the kernel
 * owns what it maps, so only `stale` applies. A translation made before an
 * invalidation of the kernel's domains completed (a strict unmap returned,
 * a flush queue was flushed) that the domain's tables no longer give was
 * kept past it. A lazy unmap not flushed yet is the window lazy mode allows.
 */
static int kernel_dma(struct shim *s, const struct shim_dev *d, const struct shim_dma_check *c)
{
	struct arm_smmu_domain *dd = iommu_dma_domain(d->dma);
	if (!dd || c->ssv || arm_smmu_master_domain(d->master) != dd)
		return 0;
	/* This domain's own last invalidation (another domain's flush says
	 * nothing of this one's entries), and not an IOVA still in its flush
	 * queue: that is the lazy window. */
	uint32_t inv = iommu_dma_inv_line(d->dma);
	if (!c->origin || !inv || c->origin >= inv || iommu_dma_iova_queued(d->dma, c->addr))
		return 0;
	uint64_t ref = 0;
	int rc = arm_smmu_iova_to_phys(dd, c->addr, &ref);
	if (rc == 0 && (ref >> 12) == (c->pa >> 12))
		return 0;
	struct shim_violation v;
	char now[40];
	stale_init(s, &v, d, c, "kernel", rc, ref, now, sizeof(now));
	snprintf(v.detail, sizeof(v.detail),
	         "%s (the kernel's DMA domain) used the %s's translation 0x%llx -> 0x%llx made at "
	         "line %u; the DMA API's tables now say %s, and a DMA-API invalidation completed "
	         "at line %u",
	         d->name, v.hit[0] ? v.hit : "SMMU", (unsigned long long)c->addr,
	         (unsigned long long)c->pa, c->origin, now, inv);
	return viol_add(s, &v) ? 1 : 0;
}

int shim_oracle_dma(struct shim *s, const struct shim_dma_check *c)
{
	if (!s || !c || !s->cfg.oracle || c->dev >= s->ndevs || !c->translated)
		return 0;
	struct shim_dev *d = s->devs[c->dev];
	const char *owner = dev_owner(d);
	if (!owner)
		return kernel_dma(s, d, c);
	/* A PASID is its own domain: its HWPT, and as owner whoever's memory
	 * that HWPT maps (two VMs of one process can each be given a PASID of
	 * one device); the RID's owner is the device's. */
	uint32_t pasid = c->ssv ? c->ssid : 0;
	const struct ifd_hwpt *h = iommufd_device_pt(d->idev, pasid);
	const struct iopt *t = hwpt_iopt(h);
	if (pasid && t) {
		struct oracle_idx *x = idx_get(s, t);
		if (x && x->owner[0])
			owner = x->owner;
	}
	/* heap-free label; the device name is at most 31 characters here */
	char labelbuf[64];
	if (pasid)
		snprintf(labelbuf, sizeof(labelbuf), "%.31s PASID %u", d->name, pasid);
	const char *label = pasid ? labelbuf : d->name;
	if (t && iopt_reaches(s, t, c->pa)) {
		/* A page the device may reach: is it what the tables say now? A
		 * cached translation that differs, made before an invalidation of
		 * this owner completed, is stale inside its own domain. */
		uint32_t inv = last_inv(s, owner, d->smmu_index, c->vmid, c->asid);
		if (!c->origin || !inv || c->origin >= inv)
			return 0; /* no invalidation since the entry was made */
		struct oracle_cache *oc = s->oracle_cache;
		struct oracle_memo *mm = NULL;
		if (oc) {
			uint64_t hh = mix(mix(mix(mix(0, c->dev), pasid), c->addr >> 12), c->origin);
			mm = &oc->memo[hh % ORACLE_MEMO];
			if (mm->valid && mm->dev == c->dev && mm->ssid == pasid &&
			    mm->page == c->addr >> 12 && mm->origin == c->origin &&
			    mm->pa_page == c->pa >> 12 && mm->inv_line == inv)
				return 0; /* checked since the last invalidation */
		}
		uint64_t ref = 0;
		int rc = ref_translate(s, h, c->addr, &ref);
		if (rc == -EOPNOTSUPP || (rc == 0 && (ref >> 12) == (c->pa >> 12))) {
			if (mm) {
				mm->valid = true;
				mm->dev = c->dev;
				mm->ssid = pasid;
				mm->page = c->addr >> 12;
				mm->origin = c->origin;
				mm->pa_page = c->pa >> 12;
				mm->inv_line = inv;
			}
			return 0;
		}
		struct shim_violation v;
		char now[40];
		stale_init(s, &v, d, c, owner, rc, ref, now, sizeof(now));
		snprintf(v.detail, sizeof(v.detail),
		         "%s (owner %s) used the %s's translation 0x%llx -> 0x%llx made at line %u; "
		         "the tables now say %s, and an invalidation of %s completed at line %u "
		         "(stale inside its own domain)",
		         label, owner, v.hit[0] ? v.hit : "SMMU", (unsigned long long)c->addr,
		         (unsigned long long)c->pa, c->origin, now, owner, inv);
		return viol_add(s, &v) ? 1 : 0;
	}
	char buf[48];
	const char *other = page_owner(s, c->pa, buf, sizeof(buf));
	struct shim_violation v;
	dma_viol_init(s, &v, d, c, owner);
	/* Same owner: the same VM when both pages and device belong to VMs,
	 * else the same process. */
	bool same = other && (strchr(other, '/') && strchr(owner, '/') ? !strcmp(other, owner)
	                                                                : same_proc(other, owner));
	if (same) {
		v.kind = SHIM_VIOL_STALE;
		snprintf(v.other, sizeof(v.other), "%s", other);
		snprintf(v.detail, sizeof(v.detail),
		         "%s reached its owner's page 0x%llx that %s no longer maps for it "
		         "(served by the %s)",
		         label, (unsigned long long)v.page, t ? "its IOAS" : "nothing (detached)",
		         v.hit[0] ? v.hit : "SMMU");
	} else {
		v.kind = SHIM_VIOL_CROSS_DOMAIN;
		snprintf(v.other, sizeof(v.other), "%s", other ? other : "kernel");
		char asid[24] = "";
		if (c->asid <= 0xffff)
			snprintf(asid, sizeof(asid), ", ASID %u", c->asid);
		if (c->entry_size && v.inserted_for[0])
			snprintf(v.detail, sizeof(v.detail),
			         "%s (owner %s) reached page 0x%llx of %s: the %s entry <VMID %u%s, "
			         "0x%llx+0x%llx -> 0x%llx> was made for %s at line %u",
			         label, owner, (unsigned long long)v.page, v.other,
			         v.hit[0] ? v.hit : "SMMU", c->vmid, asid,
			         (unsigned long long)c->entry_base, (unsigned long long)c->entry_size,
			         (unsigned long long)c->entry_out, v.inserted_for, c->origin);
		else
			snprintf(v.detail, sizeof(v.detail),
			         "%s (owner %s) reached page 0x%llx of %s (served by the %s, tag VMID %u%s)",
			         label, owner, (unsigned long long)v.page, v.other,
			         v.hit[0] ? v.hit : "SMMU", c->vmid, asid);
	}
	return viol_add(s, &v) ? 1 : 0;
}

/* ---- after every system call ---- */

/* A violation about contexts (alias, foreign-invalidation): no DMA. */
static void ctx_viol(struct shim *s, unsigned kind, uint32_t smmu, uint32_t vmid, const char *owner,
                     const char *other, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
static void ctx_viol(struct shim *s, unsigned kind, uint32_t smmu, uint32_t vmid, const char *owner,
                     const char *other, const char *fmt, ...)
{
	struct shim_violation v;
	memset(&v, 0, sizeof(v));
	v.kind = kind;
	v.smmu = smmu;
	v.vmid = (uint16_t)vmid;
	v.asid = 0x10000; /* any */
	snprintf(v.owner, sizeof(v.owner), "%s", owner);
	snprintf(v.other, sizeof(v.other), "%s", other);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v.detail, sizeof(v.detail), fmt, ap);
	va_end(ap);
	viol_add(s, &v);
}

/* Live, attached contexts of one SMMU sharing a VMID with another owner. */
static void scan_alias(struct shim *s)
{
	size_t n = arm_smmu_vmid_log_count(&s->env);
	for (size_t i = 0; i < n; i++) {
		const struct arm_smmu_vmid_log *a = arm_smmu_vmid_log_at(&s->env, i);
		if (!a->live || !a->stes)
			continue;
		for (size_t j = i + 1; j < n; j++) {
			const struct arm_smmu_vmid_log *b = arm_smmu_vmid_log_at(&s->env, j);
			if (!b->live || !b->stes || b->smmu != a->smmu || b->vmid != a->vmid ||
			    !strcmp(a->owner, b->owner))
				continue;
			ctx_viol(s, SHIM_VIOL_ALIAS, a->smmu, a->vmid, b->owner, a->owner,
			         "smmu%u: %s (%s %s) and %s (%s %s) both tag their entries "
			         "<NS-EL1, VMID %u>",
			         a->smmu, a->owner, a->source == ARM_SMMU_VMID_SRC_IDA ? "private" : "KVM",
			         a->kind, b->owner, b->source == ARM_SMMU_VMID_SRC_IDA ? "private" : "KVM",
			         b->kind, a->vmid);
		}
	}
}

void shim_oracle_removed(struct shim *s, const struct shim_removed_entry *e)
{
	if (!s || !e || !s->cfg.oracle || !s->booted)
		return;
	s->removed_total++;
	if (s->nremoved >= SHIM_ORACLE_MAX_REMOVED)
		return;
	uint32_t i = s->nremoved++;
	s->removed[i] = *e;
	snprintf(s->removed_structure[i], sizeof(s->removed_structure[i]), "%s",
	         e->structure ? e->structure : "?");
	s->removed[i].structure = s->removed_structure[i];
}

/* v->detail from a format, cut to fit (never overrun). */
static void set_detail(struct shim_violation *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_detail(struct shim_violation *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
	va_end(ap);
}

/* The device behind (smmu, sid), or NULL. */
static const struct shim_dev *dev_by_sid(const struct shim *s, uint32_t smmu, uint32_t sid)
{
	for (uint32_t i = 0; i < s->ndevs; i++)
		if (s->devs[i]->smmu_index == smmu && s->devs[i]->sid == sid)
			return s->devs[i];
	return NULL;
}

/* Provenance of a foreign invalidation: the entries of `victim` (an owner)
 * under (smmu, vmid) removed during this call. Fills the entry fields of v
 * with the first and returns how many there were. */
static uint32_t removed_of(const struct shim *s, struct shim_violation *v, uint32_t smmu,
                           uint32_t vmid, const char *victim)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < s->nremoved; i++) {
		const struct shim_removed_entry *e = &s->removed[i];
		if (e->smmu != smmu || e->vmid != vmid)
			continue;
		const struct shim_dev *d = dev_by_sid(s, smmu, e->sid);
		const char *o = d ? dev_owner(d) : NULL;
		if (!o || !same_proc(o, victim))
			continue;
		if (n++)
			continue;
		snprintf(v->hit, sizeof(v->hit), "%s", e->structure);
		snprintf(v->device, sizeof(v->device), "%s", d->name);
		snprintf(v->inserted_for, sizeof(v->inserted_for), "%s (%s)", d->name, o);
		v->sid = e->sid;
		v->world = e->world;
		v->asid = e->asid;
		v->entry_base = e->base;
		v->entry_size = e->size;
		v->entry_out = e->out;
		v->origin_line = e->origin;
	}
	return n;
}

/* A VMID a call's TLBIs targeted on `smmu`: a live context of another
 * process under it lost entries on the caller's behalf. */
static void check_foreign(struct shim *s, const char *caller, uint32_t smmu, uint32_t vmid,
                          const char *how)
{
	size_t n = arm_smmu_vmid_log_count(&s->env);
	for (size_t i = 0; i < n; i++) {
		const struct arm_smmu_vmid_log *l = arm_smmu_vmid_log_at(&s->env, i);
		if (!l->live || !l->stes || l->smmu != smmu || l->vmid != vmid ||
		    same_proc(l->owner, caller))
			continue;
		/* the caller must have a context under this VMID itself, or the
		 * invalidation was the kernel's maintenance of l's own tag */
		bool callers = false;
		for (size_t j = 0; j < n; j++) {
			const struct arm_smmu_vmid_log *m = arm_smmu_vmid_log_at(&s->env, j);
			if (m->live && m->smmu == smmu && m->vmid == vmid && same_proc(m->owner, caller))
				callers = true;
		}
		if (!callers)
			continue;
		struct shim_violation v;
		memset(&v, 0, sizeof(v));
		v.kind = SHIM_VIOL_FOREIGN_INV;
		v.smmu = smmu;
		v.vmid = (uint16_t)vmid;
		v.asid = 0x10000;
		snprintf(v.owner, sizeof(v.owner), "%s", caller);
		snprintf(v.other, sizeof(v.other), "%s", l->owner);
		uint32_t hit = removed_of(s, &v, smmu, vmid, l->owner);
		if (hit)
			set_detail(&v, "smmu%u: %s on behalf of %s invalidated VMID %u, which %s's %s "
			           "also uses: removed %u of its entries (e.g. a %s entry made for %s)",
			           smmu, how, caller, vmid, l->owner, l->kind, hit, v.hit, v.inserted_for);
		else
			set_detail(&v, "smmu%u: %s on behalf of %s invalidated VMID %u, which %s's %s "
			           "also uses (none of its entries was cached this time)",
			           smmu, how, caller, vmid, l->owner, l->kind);
		viol_add(s, &v);
	}
}

void oracle_after_call(struct shim *s, const char *caller, const struct kcall *k)
{
	if (!s->cfg.oracle || !s->booted)
		return;
	scan_alias(s);
	if (caller && k->ntlbi) {
		for (uint32_t i = 0; i < k->ntlbi; i++) {
			if (k->tlbi_lost)
				note_inv(s, caller);
			else /* (KCALL_ASID_ALL: every ASID of the VMID) */
				note_inv_asid(s, caller, k->tlbi[i].smmu, k->tlbi[i].vmid,
				              k->tlbi[i].asid);
			bool seen = false; /* one check per (SMMU, VMID) */
			for (uint32_t j = 0; j < i && !seen; j++)
				seen = k->tlbi[j].smmu == k->tlbi[i].smmu &&
				       k->tlbi[j].vmid == k->tlbi[i].vmid;
			if (!seen)
				check_foreign(s, caller, k->tlbi[i].smmu, k->tlbi[i].vmid,
				              "a TLBI command");
		}
	}
	s->nremoved = s->removed_total = 0;
}

/* A device of `owner` sits behind an SMMU with BTM: that owner's broadcast
 * TLBIs are meant to reach its SMMU entries. */
static bool owner_behind_btm(const struct shim *s, const char *owner)
{
	for (uint32_t i = 0; i < s->ndevs; i++) {
		const struct shim_dev *d = s->devs[i];
		const char *o = dev_owner(d);
		if (o && d->master && !strcmp(o, owner) &&
		    (arm_smmu_features(arm_smmu_master_smmu(d->master)) & ARM_SMMU_FEAT_BTM))
			return true;
	}
	return false;
}

/* This record removed entries on `smmu` (when the record of removals
 * overflowed, assume it did). */
static bool removed_on(const struct shim *s, uint32_t smmu)
{
	if (s->removed_total > s->nremoved)
		return true;
	for (uint32_t i = 0; i < s->nremoved; i++)
		if (s->removed[i].smmu == smmu)
			return true;
	return false;
}

int shim_oracle_tlbi(struct shim *s, const char *proc, int vmfd, uint32_t vmid, uint32_t asid,
                     uint32_t removed)
{
	if (!s || !s->cfg.oracle || !s->booted)
		return 0;
	struct shim_proc *p = shim_proc_get(s, proc);
	struct shim_kvm *k = p ? kvm_from_fd(s, p, vmfd) : NULL;
	if (!k)
		return 0;
	size_t before = s->nviol;
	const char *caller = shim_kvm_name(k);
	/* The guest invalidated: behind a BTM SMMU its broadcast TLBI is its
	 * invalidation of its SMMU entries, whether it removed them or (its
	 * KVM VMID not the one they carry) missed them - then a later hit on
	 * them is stale. */
	if (removed || owner_behind_btm(s, caller)) {
		if (asid <= 0xffff)
			note_inv_asid(s, caller, 0xffffffffu, 0xffffffffu, asid);
		else
			note_inv(s, caller);
	}
	if (!removed)
		return 0;
	size_t n = arm_smmu_vmid_log_count(&s->env);
	for (size_t i = 0; i < n; i++) {
		const struct arm_smmu_vmid_log *l = arm_smmu_vmid_log_at(&s->env, i);
		if (!l->live || !l->stes || l->vmid != vmid || !strcmp(l->owner, caller))
			continue;
		/* Only an SMMU that acted on the TLBI (BTM, PTM clear) removed
		 * anything; one that ignored it invalidated nobody's entries. */
		if (!removed_on(s, l->smmu))
			continue;
		struct shim_violation v;
		memset(&v, 0, sizeof(v));
		v.kind = SHIM_VIOL_FOREIGN_INV;
		v.smmu = l->smmu;
		v.vmid = (uint16_t)vmid;
		v.asid = 0x10000;
		snprintf(v.owner, sizeof(v.owner), "%s", caller);
		snprintf(v.other, sizeof(v.other), "%s", l->owner);
		uint32_t theirs = removed_of(s, &v, l->smmu, vmid, l->owner);
		if (theirs)
			set_detail(&v, "smmu%u: a broadcast TLBI of %s (its KVM VMID %u, by BTM) removed "
			           "%u entries, %u of them %s's (e.g. a %s entry made for %s), while %s's "
			           "%s uses VMID %u",
			           l->smmu, caller, vmid, removed, theirs, l->owner, v.hit, v.inserted_for,
			           l->owner, l->kind, vmid);
		else
			set_detail(&v, "smmu%u: a broadcast TLBI of %s (its KVM VMID %u, by BTM) removed "
			           "%u entries while %s's %s uses VMID %u",
			           l->smmu, caller, vmid, removed, l->owner, l->kind, vmid);
		viol_add(s, &v);
	}
	s->nremoved = s->removed_total = 0;
	return (int)(s->nviol - before);
}

int shim_oracle_report(struct shim *s, const struct shim_violation *v)
{
	if (!s || !v || !s->cfg.oracle || v->kind >= SHIM_VIOL_KINDS)
		return 0;
	return viol_add(s, v) ? 1 : 0;
}

void oracle_destroy(struct shim *s)
{
	struct oracle_cache *oc = s->oracle_cache;
	if (oc) {
		for (size_t i = 0; i < ORACLE_IDX_SLOTS; i++)
			free(oc->slot[i].iv);
		free(oc);
		s->oracle_cache = NULL;
	}
	free(s->viol);
	s->viol = NULL;
	s->nviol = s->capviol = 0;
}
