/*
 * tlb.c - the tagged translation cache used for every TLB-like structure:
 * per-TBU micro-TLB and main TLB, the TCU TLB and the TCU walk cache.
 *
 * Modelled state: sets x ways of entries tagged <StreamWorld, VMID,
 * ASID-or-none, address, page size, global> (IHI 0070 G.b §3.17 "TLB
 * tagging"), with a replacement policy per set. Set index = a hash of
 * <world, VMID, page>, i.e. entries of different ASIDs for one VA compete
 * for one set, as VA-indexed hardware does.
 *
 * Host-side acceleration (not modelled state, invalidated with it):
 *  - a chained hash over valid entries, so a lookup costs one probe per live
 *    page size whatever the associativity;
 *  - intrusive lists per StreamWorld, per <world, VMID, stage kind> and per
 *    <world, VMID, ASID>, so an invalidation by tag visits only the entries it
 *    removes (DESIGN.md: "Invalidation by any tag must cost time proportional
 *    to what it removes, not to the total cache size");
 *  - small structures (struct tlb_compact: the uTLB) keep no lists: their
 *    invalidation scans at most TLB_COMPACT_MAX entries, and derives from the
 *    scan the entries the lists would have visited (the work the model charges)
 *    and the order they would have been removed in (what the inv_removed
 *    observer sees). A list is in insertion order, newest first: an entry is
 *    linked at the head when inserted and never moves. They keep back links
 *    for the hash chains instead, so a removal needs no chain walk;
 *  - a lookup may go straight to the key's set instead of the hash
 *    (smmu_tlb_find_by_set(): the main TLB's fast refill path).
 *
 * Not modelled: TLB conflict aborts (F_TLB_CONFLICT) - overlapping entries
 * are resolved by returning the smallest page size.
 */
#include "smmu_internal.h"

#define LIST_WORLD 0
#define LIST_VMID 1
#define LIST_ASID 2

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

int smmu_tlb_init(struct smmu *s, struct smmu_tlb *t, const struct smmu_cache_config *cfg,
		  uint32_t seed)
{
	memset(t, 0, sizeof(*t));
	t->cfg = *cfg;
	for (unsigned w = 0; w < SMMU_WORLD_COUNT; w++)
		t->world_head[w] = SMMU_NIL;
	t->lfsr = seed ? seed : 1;
	t->gfree = SMMU_NIL;
	if (!cfg->enable || cfg->entries == 0)
		return SMMU_OK;
	t->ways = cfg->ways ? cfg->ways : cfg->entries;
	t->nsets = cfg->entries / t->ways;
	if (t->nsets == 0)
		return SMMU_ERR_INVAL;
	t->setmask = (t->nsets & (t->nsets - 1)) == 0 ? t->nsets - 1 : 0;
	t->nentries = t->nsets * t->ways;
	t->lru_order = cfg->policy != SMMU_POLICY_RR && cfg->policy != SMMU_POLICY_RANDOM;
	/* One spare entry to align the array to a cache line (64 bytes, the
	 * entry size): then no entry straddles two lines. */
	t->e_mem = smmu_alloc(s, t->nentries + 1, sizeof(*t->e));
	t->e = t->e_mem ? (struct tlb_entry *)(((uintptr_t)t->e_mem + 63) & ~(uintptr_t)63) : NULL;
	uint32_t nb = pow2_at_least(t->nentries * 2);
	t->buckets = smmu_alloc(s, nb, sizeof(uint32_t));
	t->bshift = 64u - (uint32_t)__builtin_ctz(nb); /* nb >= 2 */
	t->rr = smmu_alloc(s, t->nsets, sizeof(uint32_t));
	if (t->nentries <= TLB_COMPACT_MAX) {
		t->c = smmu_alloc(s, 1, sizeof(*t->c));
		t->lru = smmu_alloc(s, t->nentries, sizeof(uint64_t));
		if (!t->e || !t->buckets || !t->rr || !t->c || !t->lru) {
			smmu_tlb_fini(s, t);
			return SMMU_ERR_NOMEM;
		}
		memset(t->buckets, 0xff, (size_t)nb * sizeof(uint32_t));
		memset(t->c, 0, sizeof(*t->c));
		uint64_t all = t->ways == 64 ? ~0ull : (1ull << t->ways) - 1;
		for (uint32_t set = 0; set < t->nsets; set++) {
			t->c->free[set] = all;
			t->c->lhead[set] = TLB_COMPACT_NIL;
		}
		for (uint32_t i = 0; i < t->nentries; i++)
			t->c->set[i] = (uint8_t)(i / t->ways);
		return SMMU_OK;
	}
	t->lru = smmu_alloc(s, t->nentries, sizeof(uint64_t));
	t->nvalid = smmu_alloc(s, t->nsets, sizeof(uint32_t));
	t->lk = smmu_alloc(s, t->nentries, sizeof(*t->lk));
	/* Groups: at most one per entry per list, plus slack. */
	t->ng = t->nentries * 2 + 16;
	t->g = smmu_alloc(s, t->ng, sizeof(*t->g));
	uint32_t gb = pow2_at_least(t->ng);
	t->gbuckets = smmu_alloc(s, gb, sizeof(uint32_t));
	t->gbmask = gb - 1;
	if (!t->e || !t->buckets || !t->rr || !t->lru || !t->nvalid || !t->g || !t->gbuckets ||
	    !t->lk) {
		smmu_tlb_fini(s, t);
		return SMMU_ERR_NOMEM;
	}
	memset(t->buckets, 0xff, (size_t)nb * sizeof(uint32_t));
	memset(t->gbuckets, 0xff, (size_t)gb * sizeof(uint32_t));
	for (uint32_t i = 0; i < t->ng; i++) {
		t->g[i].hnext = (i + 1 < t->ng) ? i + 1 : SMMU_NIL;
		t->g[i].head = SMMU_NIL;
	}
	t->gfree = 0;
	return SMMU_OK;
}

void smmu_tlb_fini(struct smmu *s, struct smmu_tlb *t)
{
	smmu_free(s, t->e_mem);
	smmu_free(s, t->lk);
	smmu_free(s, t->buckets);
	smmu_free(s, t->rr);
	smmu_free(s, t->lru);
	smmu_free(s, t->nvalid);
	smmu_free(s, t->g);
	smmu_free(s, t->gbuckets);
	smmu_free(s, t->c);
	memset(t, 0, sizeof(*t));
}

/* ---- groups (lists 1 and 2) ---- */

static inline uint64_t gkey_vmid(unsigned world, uint16_t vmid, unsigned kind)
{
	return (1ull << 62) | ((uint64_t)world << 40) | ((uint64_t)kind << 32) | vmid;
}

static inline uint64_t gkey_asid(unsigned world, uint16_t vmid, uint32_t asid)
{
	return (2ull << 62) | ((uint64_t)world << 56) | ((uint64_t)vmid << 32) | asid;
}

static uint32_t group_find(const struct smmu_tlb *t, uint64_t key)
{
	uint32_t g = t->gbuckets[smmu_tlb_mix64(key) & t->gbmask];
	while (g != SMMU_NIL && t->g[g].key != key)
		g = t->g[g].hnext;
	return g;
}

static uint32_t group_get(struct smmu_tlb *t, uint64_t key)
{
	uint32_t g = group_find(t, key);
	if (g != SMMU_NIL)
		return g;
	g = t->gfree;
	assert(g != SMMU_NIL); /* sized for two groups per entry */
	t->gfree = t->g[g].hnext;
	uint32_t b = (uint32_t)(smmu_tlb_mix64(key) & t->gbmask);
	t->g[g].key = key;
	t->g[g].head = SMMU_NIL;
	t->g[g].count = 0;
	t->g[g].hnext = t->gbuckets[b];
	t->gbuckets[b] = g;
	return g;
}

static void group_put(struct smmu_tlb *t, uint32_t g)
{
	if (t->g[g].count)
		return;
	uint32_t *pp = &t->gbuckets[smmu_tlb_mix64(t->g[g].key) & t->gbmask];
	while (*pp != g) {
		assert(*pp != SMMU_NIL);
		pp = &t->g[*pp].hnext;
	}
	*pp = t->g[g].hnext;
	t->g[g].hnext = t->gfree;
	t->gfree = g;
}

static uint32_t *list_head(struct smmu_tlb *t, uint32_t idx, unsigned l)
{
	if (l == LIST_WORLD)
		return &t->world_head[t->e[idx].world];
	return &t->g[t->lk[idx].grp[l - 1]].head;
}

static void list_link(struct smmu_tlb *t, uint32_t idx, unsigned l)
{
	struct tlb_links *k = &t->lk[idx];
	uint32_t *head = list_head(t, idx, l);
	k->prev[l] = SMMU_NIL;
	k->next[l] = *head;
	if (*head != SMMU_NIL)
		t->lk[*head].prev[l] = idx;
	*head = idx;
	if (l != LIST_WORLD)
		t->g[k->grp[l - 1]].count++;
}

static void list_unlink(struct smmu_tlb *t, uint32_t idx, unsigned l)
{
	struct tlb_links *k = &t->lk[idx];
	if (k->prev[l] != SMMU_NIL)
		t->lk[k->prev[l]].next[l] = k->next[l];
	else
		*list_head(t, idx, l) = k->next[l];
	if (k->next[l] != SMMU_NIL)
		t->lk[k->next[l]].prev[l] = k->prev[l];
	if (l != LIST_WORLD) {
		uint32_t g = k->grp[l - 1];
		t->g[g].count--;
		group_put(t, g);
	}
}

/* ---- lookup ---- */

struct tlb_entry *smmu_tlb_lookup(struct smmu_tlb *t, unsigned cls, unsigned world, uint16_t vmid,
				  uint32_t asid, uint64_t ia, uint32_t *probes)
{
	struct tlb_entry *e = smmu_tlb_find(t, cls, world, vmid, asid, ia, probes);
	if (e && t->lru_order)
		smmu_tlb_touch(t, (uint32_t)(e - t->e));
	return e;
}

/* ---- insert / remove ---- */

/*
 * Compact structures, LRU and PLRU: the valid way of a full set with the
 * smallest last-use stamp, as the scan of a large structure finds it.
 * Invariants: a ring is sorted by qstamp (head largest), and every entry's
 * stamp is at least its qstamp (a hit only raises the stamp). So when the
 * tail's stamp still equals its qstamp, every other entry's stamp exceeds it
 * (stamps are unique): the tail is the victim. Otherwise the tail was used
 * since it was queued: it goes back in at its stamp's place and the next
 * tail is tried. Each entry moves at most once per call.
 */
static uint32_t lru_victim(struct smmu_tlb *t, unsigned set)
{
	struct tlb_compact *c = t->c;
	for (;;) {
		unsigned h = c->lhead[set];
		unsigned x = c->lprev[h];
		uint64_t stamp = t->lru[x];
		if (stamp == c->qstamp[x] || x == h)
			return x;
		smmu_tlb_ring_unlink(c, x);
		c->qstamp[x] = stamp;
		h = c->lhead[set];
		/* Before the first entry (from the head) queued earlier than x. */
		unsigned y = h;
		while (c->qstamp[y] > stamp) {
			y = c->lnext[y];
			if (y == h)
				break;
		}
		unsigned p = c->lprev[y];
		c->lnext[p] = (uint8_t)x;
		c->lprev[x] = (uint8_t)p;
		c->lnext[x] = (uint8_t)y;
		c->lprev[y] = (uint8_t)x;
		if (y == h && c->qstamp[h] < stamp)
			c->lhead[set] = (uint8_t)x;
	}
}

static void unlink_entry(struct smmu_tlb *t, uint32_t idx)
{
	struct tlb_entry *e = &t->e[idx];
	assert(e->valid);
	struct tlb_compact *c = t->c;
	if (c) {
		smmu_tlb_compact_unchain(t, c, e, idx);
	} else {
		uint32_t *pp = &t->buckets[smmu_tlb_bucket(t, e->cls, e->world, e->vmid, e->page,
							   e->shift)];
		while (*pp != idx) {
			assert(*pp != SMMU_NIL);
			pp = &t->e[*pp].hnext;
		}
		*pp = e->hnext;
	}
	if (c) {
		unsigned set = c->set[idx];
		c->free[set] |= 1ull << (idx - set * t->ways);
		if (t->lru_order)
			smmu_tlb_ring_unlink(c, idx);
	} else {
		list_unlink(t, idx, LIST_WORLD);
		list_unlink(t, idx, LIST_VMID);
		if (t->lk[idx].grp[1] != SMMU_NIL)
			list_unlink(t, idx, LIST_ASID);
		t->nvalid[idx / t->ways]--;
	}
	if (--t->shift_count[e->cls][e->shift] == 0)
		t->live[e->cls] &= ~(1ull << e->shift);
	e->valid = 0;
	t->valid--;
	t->gen++;
}

void smmu_tlb_remove(struct smmu_tlb *t, struct tlb_entry *e)
{
	unlink_entry(t, (uint32_t)(e - t->e));
}

/* The way an insertion into `set` takes: the first invalid way, else the
 * policy's choice. Compact structures find both without a scan: the first set
 * bit of the free mask is the first invalid way, and the tail of the recency
 * ring is the way with the oldest last-use stamp (stamps are unique, so the
 * two orders agree). */
static uint32_t pick_victim(struct smmu_tlb *t, uint32_t set)
{
	uint32_t base = set * t->ways;
	struct tlb_compact *c = t->c;
	if (c) {
		if (c->free[set])
			return base + (uint32_t)__builtin_ctzll(c->free[set]);
	} else if (t->nvalid[set] < t->ways) {
		for (uint32_t w = 0; w < t->ways; w++)
			if (!t->e[base + w].valid)
				return base + w;
	}
	switch (t->cfg.policy) {
	case SMMU_POLICY_RR: {
		uint32_t w = t->rr[set];
		t->rr[set] = (w + 1) % t->ways;
		return base + w;
	}
	case SMMU_POLICY_RANDOM:
		t->lfsr ^= t->lfsr << 13;
		t->lfsr ^= t->lfsr >> 17;
		t->lfsr ^= t->lfsr << 5;
		return base + t->lfsr % t->ways;
	case SMMU_POLICY_LRU:
	case SMMU_POLICY_PLRU:
	default: {
		if (c)
			return lru_victim(t, set);
		uint32_t best = base;
		for (uint32_t w = 1; w < t->ways; w++)
			if (t->lru[base + w] < t->lru[best])
				best = base + w;
		return best;
	}
	}
}

static struct tlb_entry *insert(struct smmu_tlb *t, const struct tlb_entry *tmpl,
				uint32_t origin, bool absent);

struct tlb_entry *smmu_tlb_insert(struct smmu_tlb *t, const struct tlb_entry *tmpl)
{
	return insert(t, tmpl, tmpl->origin, false);
}

struct tlb_entry *smmu_tlb_insert_copy(struct smmu_tlb *t, const struct tlb_entry *src,
				       uint32_t origin)
{
	return insert(t, src, origin, false);
}

/* An entry of t with tmpl's key (the one an insertion replaces), or SMMU_NIL. */
uint32_t smmu_tlb_same_key(const struct smmu_tlb *t, uint32_t b, const struct tlb_entry *tmpl)
{
	for (uint32_t i = t->buckets[b]; i != SMMU_NIL; i = t->e[i].hnext) {
		const struct tlb_entry *e = &t->e[i];
		if (e->page == tmpl->page && e->shift == tmpl->shift && e->cls == tmpl->cls &&
		    e->vmid == tmpl->vmid && e->world == tmpl->world && e->asid == tmpl->asid &&
		    e->global == tmpl->global)
			return i;
	}
	return SMMU_NIL;
}

static struct tlb_entry *insert(struct smmu_tlb *t, const struct tlb_entry *tmpl, uint32_t origin,
				bool absent)
{
	if (!t->nentries)
		return NULL;
	assert(tmpl->shift < 64 && tmpl->cls < TLB_CLS_COUNT && tmpl->world < SMMU_WORLD_COUNT);
	/* Replace an entry with the same key rather than duplicate it. */
	uint32_t b =
		smmu_tlb_bucket(t, tmpl->cls, tmpl->world, tmpl->vmid, tmpl->page, tmpl->shift);
	if (!absent) {
		uint32_t i = smmu_tlb_same_key(t, b, tmpl);
		if (i != SMMU_NIL)
			unlink_entry(t, i);
	}
	assert(smmu_tlb_same_key(t, b, tmpl) == SMMU_NIL);
	uint32_t set = smmu_tlb_set(t, tmpl->world, tmpl->vmid, tmpl->page, tmpl->shift);
	if (t->c)
		return smmu_tlb_insert_compact(t, tmpl, origin, b, set);
	uint32_t idx = pick_victim(t, set);
	if (t->e[idx].valid)
		unlink_entry(t, idx);
	struct tlb_entry *e = &t->e[idx];
	memcpy(e, tmpl, sizeof(*e));
	e->origin = origin;
	e->valid = 1;
	e->hnext = t->buckets[b];
	t->buckets[b] = idx;
	if (t->shift_count[e->cls][e->shift]++ == 0)
		t->live[e->cls] |= 1ull << e->shift;
	t->valid++;
	t->lru[idx] = ++t->clock;
	t->nvalid[set]++;
	struct tlb_links *k = &t->lk[idx];
	k->grp[0] = group_get(t, gkey_vmid(e->world, e->vmid, tlb_cls_kind(e->cls)));
	/* Only non-global ASID-tagged entries join the ASID list: TLBI by ASID
	 * never removes global entries. */
	k->grp[1] = (e->asid != SMMU_ASID_NONE && !e->global)
			    ? group_get(t, gkey_asid(e->world, e->vmid, e->asid))
			    : SMMU_NIL;
	list_link(t, idx, LIST_WORLD);
	list_link(t, idx, LIST_VMID);
	if (k->grp[1] != SMMU_NIL)
		list_link(t, idx, LIST_ASID);
	return e;
}

struct tlb_entry *smmu_tlb_insert_copy_absent(struct smmu_tlb *t, const struct tlb_entry *src,
					      uint32_t origin)
{
	if (!t->c)
		return insert(t, src, origin, true);
	return smmu_tlb_insert_copy_absent_at(t, src, origin, SMMU_NIL);
}

uint32_t smmu_tlb_victim(struct smmu_tlb *t, uint32_t set)
{
	return pick_victim(t, set);
}

void smmu_tlb_flush(struct smmu_tlb *t)
{
	if (t->c) {
		for (uint32_t i = 0; i < t->nentries; i++)
			if (t->e[i].valid)
				unlink_entry(t, i);
		return;
	}
	for (unsigned w = 0; w < SMMU_WORLD_COUNT; w++)
		while (t->world_head[w] != SMMU_NIL)
			unlink_entry(t, t->world_head[w]);
}

/* ---- invalidation ---- */

static bool inv_matches(const struct tlb_entry *e, const struct tlb_inv *inv)
{
	bool is_wc = e->cls >= TLB_CLS_WC_S1;
	if (is_wc ? !inv->wc : !inv->tlb)
		return false;
	if (!inv->kinds[tlb_cls_kind(e->cls)])
		return false;
	if (e->world != inv->world)
		return false;
	if (inv->broadcast && e->aset)
		return false;
	if (inv->match_vmid && e->vmid != inv->vmid)
		return false;
	if (inv->by_asid && (e->global || e->asid != inv->asid))
		return false;
	if (inv->by_addr) {
		uint64_t lo = e->page << e->shift;
		uint64_t hi = lo + ((1ull << e->shift) - 1);
		if (hi < inv->lo || lo > inv->hi)
			return false;
		if (!inv->addr_any_asid && e->asid != SMMU_ASID_NONE && !e->global &&
		    e->asid != inv->asid)
			return false;
		if (is_wc && inv->leaf_only)
			return false;
	}
	return true;
}

/* Walk one intrusive list removing matching entries. */
static uint32_t inv_list(struct smmu_tlb *t, unsigned l, uint32_t head, const struct tlb_inv *inv,
			 uint64_t *work)
{
	uint32_t removed = 0;
	uint32_t i = head;
	while (i != SMMU_NIL) {
		uint32_t next = t->lk[i].next[l];
		(*work)++;
		if (inv_matches(&t->e[i], inv)) {
			if (inv->on_remove)
				inv->on_remove(inv->ctx, &t->e[i]);
			unlink_entry(t, i);
			removed++;
		}
		i = next;
	}
	return removed;
}

/* Probe every page of [lo, hi] of every live size of class cls. */
static uint32_t inv_probe(struct smmu_tlb *t, unsigned cls, const struct tlb_inv *inv,
			  uint64_t *work)
{
	uint32_t removed = 0;
	uint64_t live = t->live[cls];
	while (live) {
		unsigned shift = (unsigned)__builtin_ctzll(live);
		live &= live - 1;
		for (uint64_t page = inv->lo >> shift; page <= inv->hi >> shift; page++) {
			uint32_t b = smmu_tlb_bucket(t, cls, inv->world, inv->vmid, page, shift);
			uint32_t i = t->buckets[b];
			(*work)++;
			while (i != SMMU_NIL) {
				uint32_t next = t->e[i].hnext;
				struct tlb_entry *e = &t->e[i];
				if (e->page == page && e->shift == shift && e->cls == cls &&
				    inv_matches(e, inv)) {
					if (inv->on_remove)
						inv->on_remove(inv->ctx, e);
					unlink_entry(t, i);
					removed++;
				}
				i = next;
			}
			if (page == UINT64_MAX >> shift)
				break;
		}
	}
	return removed;
}

/* Page probes an invalidation by address makes: one per page of [lo, hi]
 * per live size of each class it covers. inv_probe_count() is the estimate
 * that picks the route (as the lists' own count did); inv_probe_work() the
 * probes inv_probe() makes, none for a size whose page range is empty. */
static uint64_t inv_probes(const struct smmu_tlb *t, const struct tlb_inv *inv, bool skip_empty)
{
	uint64_t probes = 0;
	for (unsigned c = 0; c < TLB_CLS_COUNT; c++) {
		if (!inv->kinds[tlb_cls_kind(c)] || (c >= TLB_CLS_WC_S1 ? !inv->wc : !inv->tlb))
			continue;
		uint64_t live = t->live[c];
		while (live) {
			unsigned sh = (unsigned)__builtin_ctzll(live);
			live &= live - 1;
			if (!skip_empty || (inv->lo >> sh) <= (inv->hi >> sh))
				probes += ((inv->hi >> sh) - (inv->lo >> sh)) + 1;
		}
	}
	return probes;
}

static inline uint64_t inv_probe_count(const struct smmu_tlb *t, const struct tlb_inv *inv)
{
	return inv_probes(t, inv, false);
}

static inline uint64_t inv_probe_work(const struct smmu_tlb *t, const struct tlb_inv *inv)
{
	return inv_probes(t, inv, true);
}

/* A compact structure's entry to remove, with the position the list walk or
 * the page probes of a large structure would reach it at. */
struct inv_hit {
	uint64_t k0, k1, k2;
	uint32_t idx;
};

static bool inv_hit_before(const struct inv_hit *a, const struct inv_hit *b)
{
	if (a->k0 != b->k0)
		return a->k0 < b->k0;
	if (a->k1 != b->k1)
		return a->k1 < b->k1;
	return a->k2 < b->k2;
}

/*
 * smmu_tlb_invalidate() of a compact structure: the same selection of the
 * way to go (ASID list, VMID lists or page probes, world list), the same
 * entries removed in the same order, the same work. A list holds its
 * entries newest first; the probes go class by class, page size by page
 * size, page by page, each page's chain newest first.
 */
static uint32_t inv_compact(struct smmu_tlb *t, const struct tlb_inv *inv, uint64_t *work)
{
	enum { BY_ASID, BY_VMID_LISTS, BY_PROBES, BY_WORLD } how;
	uint64_t w = 0;
	if (inv->by_asid) {
		how = BY_ASID;
	} else if (inv->match_vmid) {
		how = BY_VMID_LISTS;
		if (inv->by_addr) {
			uint64_t list_len = 0;
			for (uint32_t i = 0; i < t->nentries; i++) {
				const struct tlb_entry *e = &t->e[i];
				list_len += e->valid && e->world == inv->world &&
					    e->vmid == inv->vmid &&
					    inv->kinds[tlb_cls_kind(e->cls)];
			}
			if (inv_probe_count(t, inv) <= list_len) {
				how = BY_PROBES;
				w = inv_probe_work(t, inv);
			}
		}
	} else {
		how = BY_WORLD;
	}
	struct inv_hit hit[TLB_COMPACT_MAX];
	uint32_t n = 0;
	for (uint32_t i = 0; i < t->nentries; i++) {
		const struct tlb_entry *e = &t->e[i];
		if (!e->valid)
			continue;
		uint64_t newest_first = ~t->c->seq[i];
		struct inv_hit h = {0, 0, newest_first, i};
		switch (how) {
		case BY_ASID:
			/* The <world, VMID, ASID> list: non-global ASID-tagged entries. */
			if (e->world != inv->world || e->vmid != inv->vmid ||
			    e->asid == SMMU_ASID_NONE || e->global || e->asid != inv->asid)
				continue;
			w++;
			break;
		case BY_VMID_LISTS:
			/* The <world, VMID, kind> lists of the kinds covered, kind 0 first. */
			if (e->world != inv->world || e->vmid != inv->vmid ||
			    !inv->kinds[tlb_cls_kind(e->cls)])
				continue;
			w++;
			h.k0 = tlb_cls_kind(e->cls);
			break;
		case BY_PROBES:
			/* The pages probed (inv_matches() says the same when lo <= hi). */
			if (e->page < (inv->lo >> e->shift) || e->page > (inv->hi >> e->shift))
				continue;
			h.k0 = ((uint64_t)e->cls << 8) | e->shift;
			h.k1 = e->page;
			break;
		case BY_WORLD:
			if (e->world != inv->world)
				continue;
			w++;
			break;
		}
		if (!inv_matches(e, inv))
			continue;
		/* Insertion sort: at most TLB_COMPACT_MAX entries. */
		uint32_t j = n++;
		while (j > 0 && inv_hit_before(&h, &hit[j - 1])) {
			hit[j] = hit[j - 1];
			j--;
		}
		hit[j] = h;
	}
	for (uint32_t k = 0; k < n; k++) {
		if (inv->on_remove)
			inv->on_remove(inv->ctx, &t->e[hit[k].idx]);
		unlink_entry(t, hit[k].idx);
	}
	*work = w;
	return n;
}

uint32_t smmu_tlb_invalidate(struct smmu_tlb *t, const struct tlb_inv *inv, uint64_t *work)
{
	uint64_t w = 0;
	uint32_t removed = 0;
	if (!t->nentries || t->valid == 0) {
		if (work)
			*work = 0;
		return 0;
	}
	if (t->c) {
		removed = inv_compact(t, inv, &w);
		if (work)
			*work = w;
		return removed;
	}
	uint32_t list_len;
	unsigned l;
	uint32_t head;
	if (inv->by_asid) {
		uint32_t g = group_find(t, gkey_asid(inv->world, inv->vmid, inv->asid));
		if (g != SMMU_NIL)
			removed += inv_list(t, LIST_ASID, t->g[g].head, inv, &w);
		goto out;
	}
	if (inv->match_vmid) {
		/* Pages to probe if done by address, versus entries in the tag's lists. */
		list_len = 0;
		for (unsigned k = 0; k < 2; k++) {
			if (!inv->kinds[k])
				continue;
			uint32_t g = group_find(t, gkey_vmid(inv->world, inv->vmid, k));
			if (g != SMMU_NIL)
				list_len += t->g[g].count;
		}
		if (inv->by_addr) {
			uint64_t probes = inv_probe_count(t, inv);
			if (probes <= list_len) {
				for (unsigned c = 0; c < TLB_CLS_COUNT; c++) {
					if (!inv->kinds[tlb_cls_kind(c)] ||
					    (c >= TLB_CLS_WC_S1 ? !inv->wc : !inv->tlb))
						continue;
					removed += inv_probe(t, c, inv, &w);
				}
				goto out;
			}
		}
		for (unsigned k = 0; k < 2; k++) {
			if (!inv->kinds[k])
				continue;
			uint32_t g = group_find(t, gkey_vmid(inv->world, inv->vmid, k));
			if (g != SMMU_NIL)
				removed += inv_list(t, LIST_VMID, t->g[g].head, inv, &w);
		}
		goto out;
	}
	/* Every VMID of the world. */
	l = LIST_WORLD;
	head = t->world_head[inv->world];
	removed += inv_list(t, l, head, inv, &w);
out:
	if (work)
		*work = w;
	return removed;
}
