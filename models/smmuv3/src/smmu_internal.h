/*
 * smmu_internal.h - the model's private state, shared by the files of
 * models/smmuv3/src. Nothing here is API.
 *
 * Structure (DESIGN.md "The SMMUv3 model"):
 *   TBU[i]: stream-context cache, micro-TLB, main TLB   (per upstream port)
 *   TCU:    config cache, TLB, walk cache, walkers, command processor, queues
 * Every cache is a struct smmu_cache_config; TLB-like structures share the
 * tagged cache of tlb.c, the context caches share cfgcache.c.
 */
#ifndef SMMU_INTERNAL_H
#define SMMU_INTERNAL_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "caps.h"
#include "ptw.h"
#include "smmu/smmu.h"
#include "smmu/smmu_regs.h"
#include "ste_cd.h"

#define SMMU_NIL UINT32_MAX

/* ---------------------------------------------------------------------------
 * Resources with slots: n interchangeable slots, each busy until a cycle.
 * Kept as a min-heap of the free slots' free-at cycles, so taking the
 * earliest-free slot costs O(log n) whatever n is (64 TCU translation slots).
 * A slot taken with smmu_res_begin() leaves the heap until smmu_res_end().
 */
struct smmu_res {
	uint32_t n;        /* slots */
	uint32_t size;     /* slots in the heap (not held) */
	uint64_t *free_at; /* min-heap of free-at cycles */
};
int smmu_res_init(struct smmu *s, struct smmu_res *r, uint32_t slots);
void smmu_res_fini(struct smmu *s, struct smmu_res *r);

static inline void smmu_res_sift_down(struct smmu_res *r, uint32_t i)
{
	uint64_t *h = r->free_at;
	for (;;) {
		uint32_t l = 2 * i + 1, m = i;
		if (l < r->size && h[l] < h[m])
			m = l;
		if (l + 1 < r->size && h[l + 1] < h[m])
			m = l + 1;
		if (m == i)
			return;
		uint64_t tmp = h[i];
		h[i] = h[m];
		h[m] = tmp;
		i = m;
	}
}

/* Take the earliest-free slot at cycle t for `hold` cycles; returns the start. */
static inline uint64_t smmu_res_take(struct smmu_res *r, uint64_t t, uint64_t hold)
{
	assert(r->size > 0);
	uint64_t *h = r->free_at;
	uint64_t start = h[0] > t ? h[0] : t;
	h[0] = start + hold;
	if (r->size == 2) {
		/* The sift down of two slots, without its loop. */
		if (h[1] < h[0]) {
			uint64_t tmp = h[0];
			h[0] = h[1];
			h[1] = tmp;
		}
	} else if (r->size > 2) {
		smmu_res_sift_down(r, 0);
	}
	return start;
}

/* Take the earliest-free slot at cycle t until smmu_res_end(); returns the start. */
static inline uint64_t smmu_res_begin(struct smmu_res *r, uint64_t t)
{
	assert(r->size > 0);
	uint64_t start = r->free_at[0] > t ? r->free_at[0] : t;
	r->free_at[0] = r->free_at[--r->size];
	smmu_res_sift_down(r, 0);
	return start;
}

/* Give back a slot taken with smmu_res_begin(), free from cycle t. */
static inline void smmu_res_end(struct smmu_res *r, uint64_t t)
{
	assert(r->size < r->n);
	uint64_t *h = r->free_at;
	uint32_t i = r->size++;
	h[i] = t;
	while (i > 0 && h[(i - 1) / 2] > h[i]) {
		uint64_t tmp = h[i];
		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = tmp;
		i = (i - 1) / 2;
	}
}

/* ---------------------------------------------------------------------------
 * Tagged TLB / walk cache (tlb.c).
 *
 * Classes: TLB entries tagged for stage 1 (S1-only and combined S1+S2) and
 * for stage 2 only (S2-only configs, keyed by IPA); walk-cache entries for
 * each stage. A walk-cache entry at `level` maps the 2^shift region that the
 * level-`level` table descriptor covers to the PA of the next-level table.
 */
enum tlb_cls {
	TLB_CLS_S1 = 0,
	TLB_CLS_S2 = 1,
	TLB_CLS_WC_S1 = 2,
	TLB_CLS_WC_S2 = 3,
	TLB_CLS_COUNT = 4,
};
/* Stage kind of a class: 0 stage-1 tagged, 1 stage-2 only. */
static inline unsigned tlb_cls_kind(unsigned cls) { return cls & 1u; }

/* The key fields a lookup compares come first (one cache line). */
struct tlb_entry {
	uint64_t page;      /* ia >> shift */
	uint32_t asid;      /* SMMU_ASID_NONE when not ASID-tagged */
	uint16_t vmid;
	uint8_t world, shift, cls, valid, global, level;
	uint32_t hnext;     /* host index chain */
	uint64_t out;       /* TLB: oa >> shift; WC: next table PA */
	uint64_t ipa;       /* combined / S2 entries: IPA of the page base */
	uint64_t stamp;     /* cycle of insertion (provenance) */
	uint32_t sid;       /* stream whose walk inserted it (provenance) */
	uint32_t origin;    /* smmu_set_origin() value when it entered this structure */
	uint32_t walk_origin; /* origin of the walk that made it (kept by TBU copies) */
	uint8_t aset;       /* CD.ASET=1: SMMU-local ASID, not matched by broadcast TLBIs */
	uint8_t s1_perm, s2_perm;
	uint8_t dbm;        /* HTTU writable-clean leaf: 1 stage 1, 2 stage 2 */
};
/* One cache line: a hit reads one line, a refill copies one (the host-side
 * links of large structures live apart, in struct tlb_links). */
_Static_assert(sizeof(struct tlb_entry) == 64, "a TLB entry is one cache line");

/* Intrusive lists of large structures, per entry: 0 = world, 1 = (world,
 * vmid, kind), 2 = (world, vmid, asid). Only insertion, removal and
 * invalidation touch them. */
struct tlb_links {
	uint32_t next[3], prev[3];
	uint32_t grp[2];    /* group ids of lists 1 and 2 (SMMU_NIL if none) */
};

struct tlb_group {
	uint64_t key;
	uint32_t head, count;
	uint32_t hnext;     /* chain in the group hash, or free list */
};

struct tlb_key {
	uint64_t ia;        /* input address (any alignment) */
	uint32_t asid;      /* SMMU_ASID_NONE: match any? no: see tlb_lookup */
	uint16_t vmid;
	uint8_t world, cls;
};

/*
 * Small structures (at most TLB_COMPACT_MAX entries, e.g. the 32-entry uTLB)
 * keep no tag lists or groups: an invalidation scans every entry and
 * reproduces the order and the work count the lists would have given
 * (insertion order, seq). The victim is found without a scan: a mask of the
 * invalid ways per set, and for the LRU and PLRU policies a ring per set
 * ordered by queue stamps (qstamp). A hit only moves the entry's last-use
 * stamp (lru[], as in large structures); the ring catches up when the
 * victim is chosen (tlb.c, lru_victim()).
 */
#define TLB_COMPACT_MAX 64
#define TLB_COMPACT_NIL 0xFFu
struct tlb_compact {
	uint64_t seq[TLB_COMPACT_MAX];    /* insertion order of each entry */
	uint64_t qstamp[TLB_COMPACT_MAX]; /* last-use stamp when (re)queued in its ring */
	uint64_t free[TLB_COMPACT_MAX];   /* per set: bit w = way w invalid */
	uint64_t nseq;
	uint8_t lnext[TLB_COMPACT_MAX];   /* ring per set, towards smaller qstamps */
	uint8_t lprev[TLB_COMPACT_MAX];   /* towards larger; lprev[head] has the smallest */
	uint8_t lhead[TLB_COMPACT_MAX];   /* per set: entry with the largest qstamp, or NIL */
	uint8_t set[TLB_COMPACT_MAX];     /* set of each entry */
	/* Host index, back links: the bucket of each valid entry and the entry
	 * before it in the chain (NIL: first), so a removal neither rehashes
	 * the key nor walks the chain. At most 2 * TLB_COMPACT_MAX buckets. */
	uint8_t bkt[TLB_COMPACT_MAX];
	uint8_t hprev[TLB_COMPACT_MAX];
};
_Static_assert(2 * TLB_COMPACT_MAX <= TLB_COMPACT_NIL, "compact indices and buckets fit a byte");

struct smmu_tlb {
	struct smmu_cache_config cfg;
	uint32_t nsets, ways, nentries;
	uint32_t setmask;      /* nsets - 1 when nsets is a power of two, else 0 */
	struct tlb_entry *e;   /* aligned to a cache line, in e_mem */
	void *e_mem;
	struct tlb_links *lk;  /* large structures: list links per entry */
	uint32_t *buckets;     /* host index: chained hash over valid entries */
	uint32_t bshift;       /* bucket = hash >> bshift */
	bool lru_order;        /* the policy replaces the least recently used way */
	struct tlb_compact *c; /* small structures, else NULL */
	uint32_t *rr;          /* per-set round-robin pointer */
	uint64_t *lru;         /* per-entry last-use stamp, dense per set (victim scans) */
	uint32_t *nvalid;      /* large: valid entries per set */
	uint64_t clock;        /* LRU clock */
	uint32_t lfsr;
	uint32_t valid;
	/* Live page sizes per class: count per shift and a mask, so a lookup probes
	 * only the sizes present (each extra size costs a lookup, as on MMU-600). */
	uint32_t shift_count[TLB_CLS_COUNT][64];
	uint64_t live[TLB_CLS_COUNT];
	uint32_t world_head[SMMU_WORLD_COUNT];
	/* Host-side: bumped whenever an entry leaves the structure, so memos
	 * that point at entries know when to stop trusting them. */
	uint32_t gen;
	/* Groups: lists 1 and 2. */
	struct tlb_group *g;
	uint32_t ng, gfree, *gbuckets, gbmask;
};

int smmu_tlb_init(struct smmu *s, struct smmu_tlb *t, const struct smmu_cache_config *cfg,
		  uint32_t seed);
void smmu_tlb_fini(struct smmu *s, struct smmu_tlb *t);
/* Lookup. asid: the translation's ASID (S1 classes match it or a global
 * entry), ignored for S2 classes. `any_asid` matches every ASID (for VAA
 * invalidation probes). Returns the entry or NULL; *probes counts page sizes
 * probed. Walk-cache lookups return the deepest level first. */
struct tlb_entry *smmu_tlb_lookup(struct smmu_tlb *t, unsigned cls, unsigned world, uint16_t vmid,
				  uint32_t asid, uint64_t ia, uint32_t *probes);

/* Bucket of a key in the host index: multiply, xorshift, multiply, top bits
 * (a bare multiply clusters keys that differ in the VMID only). Which bucket
 * a key lands in is not observable: entries with the same key share a bucket
 * whatever the hash, and a chain keeps them newest first. */
static inline uint32_t smmu_tlb_bucket(const struct smmu_tlb *t, unsigned cls, unsigned world,
				       uint16_t vmid, uint64_t page, unsigned shift)
{
	uint64_t x = page ^ ((uint64_t)vmid << 40) ^ ((uint64_t)world << 56) ^
		     ((uint64_t)cls << 60) ^ ((uint64_t)shift << 32);
	x *= 0x9E3779B97F4A7C15ull;
	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ull;
	return (uint32_t)(x >> t->bshift);
}

/* The set of a key: a hash of <world, VMID, page, page size> (entries of
 * different ASIDs or classes for one page compete for one set). */
static inline uint64_t smmu_tlb_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static inline uint32_t smmu_tlb_set(const struct smmu_tlb *t, unsigned world, uint16_t vmid,
				    uint64_t page, unsigned shift)
{
	if (t->nsets == 1)
		return 0;
	uint64_t h = smmu_tlb_mix64(page ^ ((uint64_t)vmid << 48) ^ ((uint64_t)world << 62) ^ shift);
	/* A mask where it equals the modulo: no division on the default sizes. */
	return (uint32_t)(t->setmask ? h & t->setmask : h % t->nsets);
}

/* Entry e holds the key (an S2 or global entry matches any ASID; ASID_NONE
 * matches every entry), whatever its validity. */
static inline bool tlb_key_matches(const struct tlb_entry *e, uint64_t page, unsigned shift,
				   unsigned cls, unsigned world, uint16_t vmid, uint32_t asid,
				   bool s2)
{
	return e->page == page && e->shift == shift && e->cls == cls && e->vmid == vmid &&
	       e->world == world && (s2 || e->global || e->asid == asid || asid == SMMU_ASID_NONE);
}

/* smmu_tlb_find(), and the bucket of the first page size it probes in
 * *first_b (SMMU_NIL when it probes none) for an insertion of that size
 * (smmu_tlb_insert_copy_absent_at()). */
static inline struct tlb_entry *smmu_tlb_find_b(struct smmu_tlb *t, unsigned cls, unsigned world,
						uint16_t vmid, uint32_t asid, uint64_t ia,
						uint32_t *probes, unsigned *first_shift,
						uint32_t *first_b)
{
	uint64_t live = t->live[cls];
	uint32_t n = 0;
	bool s2 = cls == TLB_CLS_S2 || cls == TLB_CLS_WC_S2;
	if (first_b)
		*first_b = SMMU_NIL;
	while (live) {
		unsigned shift = (unsigned)__builtin_ctzll(live);
		live &= live - 1;
		n++;
		uint64_t page = ia >> shift;
		uint32_t b = smmu_tlb_bucket(t, cls, world, vmid, page, shift);
		if (first_b && n == 1) {
			*first_shift = shift;
			*first_b = b;
		}
		uint32_t i = t->buckets[b];
		while (i != SMMU_NIL) {
			struct tlb_entry *e = &t->e[i];
			if (tlb_key_matches(e, page, shift, cls, world, vmid, asid, s2)) {
				if (probes)
					*probes = n;
				return e;
			}
			i = e->hnext;
		}
	}
	if (probes)
		*probes = n ? n : 1;
	return NULL;
}

/* smmu_tlb_lookup() without the use: no replacement state changes. */
static inline struct tlb_entry *smmu_tlb_find(struct smmu_tlb *t, unsigned cls, unsigned world,
					      uint16_t vmid, uint32_t asid, uint64_t ia,
					      uint32_t *probes)
{
	return smmu_tlb_find_b(t, cls, world, vmid, asid, ia, probes, NULL, NULL);
}

/*
 * smmu_tlb_find() by the sets: for each live page size, smallest first, the
 * ways of the key's set are the only places an entry with the key can be
 * (insertion puts it there), so they are compared directly - a few
 * independent loads (one line per way) instead of a bucket load and then the
 * entry it names.
 * When one way matches it is the entry the chain would return; when several
 * match (say a global and an ASID-tagged copy of one page), the chain decides,
 * newest first, as smmu_tlb_find() does. Same result, same *probes. Meant for
 * large set-associative structures (a scan of every way of a fully
 * associative one is slower than the chain).
 */
static inline struct tlb_entry *smmu_tlb_find_by_set(struct smmu_tlb *t, unsigned cls,
						     unsigned world, uint16_t vmid, uint32_t asid,
						     uint64_t ia, uint32_t *probes)
{
	uint64_t live = t->live[cls];
	uint32_t n = 0;
	bool s2 = cls == TLB_CLS_S2 || cls == TLB_CLS_WC_S2;
	while (live) {
		unsigned shift = (unsigned)__builtin_ctzll(live);
		live &= live - 1;
		n++;
		uint64_t page = ia >> shift;
		struct tlb_entry *set = &t->e[(size_t)smmu_tlb_set(t, world, vmid, page, shift) *
					      t->ways];
		struct tlb_entry *hit = NULL;
		uint32_t matches = 0;
		for (uint32_t w = 0; w < t->ways; w++) {
			struct tlb_entry *e = &set[w];
			/* The page first: it rejects nearly every way. */
			if (e->page == page && e->valid &&
			    tlb_key_matches(e, page, shift, cls, world, vmid, asid, s2)) {
				hit = e;
				matches++;
			}
		}
		if (matches > 1) {
			/* The newest of them: the first in the chain. */
			uint32_t i = t->buckets[smmu_tlb_bucket(t, cls, world, vmid, page, shift)];
			for (;; i = t->e[i].hnext) {
				assert(i != SMMU_NIL);
				struct tlb_entry *e = &t->e[i];
				if (tlb_key_matches(e, page, shift, cls, world, vmid, asid, s2)) {
					hit = e;
					break;
				}
			}
		}
		if (hit) {
			if (probes)
				*probes = n;
			return hit;
		}
	}
	if (probes)
		*probes = n ? n : 1;
	return NULL;
}

/* Start loading the ways of the set smmu_tlb_find_by_set() looks at first
 * for this key (the smallest live page size), a line each: a hint, no state
 * changes. */
static inline void smmu_tlb_prefetch_set(const struct smmu_tlb *t, unsigned cls, unsigned world,
					 uint16_t vmid, uint64_t ia)
{
	uint64_t live = t->live[cls];
	if (!live)
		return;
	unsigned shift = (unsigned)__builtin_ctzll(live);
	const struct tlb_entry *set =
		&t->e[(size_t)smmu_tlb_set(t, world, vmid, ia >> shift, shift) * t->ways];
	for (uint32_t w = 0; w < t->ways; w++)
		__builtin_prefetch(&set[w]);
}

struct tlb_entry *smmu_tlb_insert(struct smmu_tlb *t, const struct tlb_entry *tmpl);
/* smmu_tlb_insert() of a copy of src with its origin replaced by `origin`;
 * src is not an entry of t (an entry of another structure, or a template). */
struct tlb_entry *smmu_tlb_insert_copy(struct smmu_tlb *t, const struct tlb_entry *src,
				       uint32_t origin);
/* smmu_tlb_insert_copy() when the caller knows t holds no entry with src's
 * key (same page, size, class, world, VMID, ASID and global): a failed
 * smmu_tlb_find() of src's address with src's VMID and ASID, or with
 * SMMU_ASID_NONE, shows it. Skips the search for the entry to replace. */
struct tlb_entry *smmu_tlb_insert_copy_absent(struct smmu_tlb *t, const struct tlb_entry *src,
					      uint32_t origin);
/* The way an insertion into `set` takes (tlb.c: the first invalid way, else
 * the policy's choice); may update the policy's state (round robin, random). */
uint32_t smmu_tlb_victim(struct smmu_tlb *t, uint32_t set);
/* An entry of t with tmpl's key (what an insertion replaces), or SMMU_NIL;
 * b is the key's bucket. */
uint32_t smmu_tlb_same_key(const struct smmu_tlb *t, uint32_t b, const struct tlb_entry *tmpl);

/* Compact structures: take entry i out of its set's ring. */
static inline void smmu_tlb_ring_unlink(struct tlb_compact *c, uint32_t i)
{
	unsigned set = c->set[i];
	unsigned p = c->lprev[i], n = c->lnext[i];
	if (n == i) {
		c->lhead[set] = TLB_COMPACT_NIL;
		return;
	}
	c->lnext[p] = (uint8_t)n;
	c->lprev[n] = (uint8_t)p;
	if (c->lhead[set] == i)
		c->lhead[set] = (uint8_t)n;
}

/* Compact structures: entry i, just inserted (the largest stamp of all),
 * becomes its set's ring head. */
static inline void smmu_tlb_ring_push(struct tlb_compact *c, uint32_t i)
{
	unsigned set = c->set[i];
	unsigned h = c->lhead[set];
	if (h == TLB_COMPACT_NIL) {
		c->lnext[i] = c->lprev[i] = (uint8_t)i;
	} else {
		unsigned tail = c->lprev[h];
		c->lnext[i] = (uint8_t)h;
		c->lprev[i] = (uint8_t)tail;
		c->lnext[tail] = (uint8_t)i;
		c->lprev[h] = (uint8_t)i;
	}
	c->lhead[set] = (uint8_t)i;
}

/* A valid entry of a small structure out of its hash chain, by its back
 * link: the order of the rest holds. */
static inline void smmu_tlb_compact_unchain(struct smmu_tlb *t, struct tlb_compact *c,
					    const struct tlb_entry *e, uint32_t idx)
{
	assert(c->bkt[idx] == smmu_tlb_bucket(t, e->cls, e->world, e->vmid, e->page, e->shift));
	unsigned p = c->hprev[idx];
	if (p == TLB_COMPACT_NIL)
		t->buckets[c->bkt[idx]] = e->hnext;
	else
		t->e[p].hnext = e->hnext;
	if (e->hnext != SMMU_NIL)
		c->hprev[e->hnext] = (uint8_t)p;
}

/*
 * tlb.c's insert() into a compact structure (the uTLB refill of every
 * main-TLB hit), inline for the fast path:
 * the state unlink_entry() of the victim and then the linking of the new
 * entry leave, with the steps that undo each other left out. The victim's
 * way stays taken (its free bit would be set and cleared), the count of
 * valid entries stays, so does the count of live entries of a class and
 * size when the victim has the new entry's, and when the victim is its set's ring tail - the LRU
 * victim always is - the new entry, whose stamp is the largest, becomes the
 * head without a link moving: in a ring the tail is the head's neighbour,
 * so unlinking it and pushing it back at the head restores every link.
 */
static inline struct tlb_entry *smmu_tlb_insert_compact(struct smmu_tlb *t,
							const struct tlb_entry *tmpl,
							uint32_t origin, uint32_t b,
							uint32_t set)
{
	struct tlb_compact *c = t->c;
	uint32_t idx;
	if (c->free[set]) {
		idx = set * t->ways + (uint32_t)__builtin_ctzll(c->free[set]);
	} else if (t->lru_order) {
		/* lru_victim()'s first test, inline: a tail not used since it was
		 * queued is the victim. */
		unsigned h = c->lhead[set], x = c->lprev[h];
		idx = (t->lru[x] == c->qstamp[x] || x == h) ? x : smmu_tlb_victim(t, set);
	} else {
		idx = smmu_tlb_victim(t, set);
	}
	struct tlb_entry *e = &t->e[idx];
	bool requeue = false;   /* idx stays in its ring and becomes its head */
	bool same_size = false; /* a victim of the new entry's class and size */
	if (e->valid) {
		/* unlink_entry(), as it applies here. */
		smmu_tlb_compact_unchain(t, c, e, idx);
		if (t->lru_order) {
			if (c->lprev[c->lhead[set]] == idx)
				requeue = true;
			else
				smmu_tlb_ring_unlink(c, idx);
		}
		/* Then the count of live entries of that class and size stays. */
		same_size = e->cls == tmpl->cls && e->shift == tmpl->shift;
		if (!same_size && --t->shift_count[e->cls][e->shift] == 0)
			t->live[e->cls] &= ~(1ull << e->shift);
		t->gen++;
	} else {
		uint64_t bit = 1ull << (idx - set * t->ways);
		assert(c->free[set] & bit);
		c->free[set] &= ~bit;
		t->valid++;
	}
	memcpy(e, tmpl, sizeof(*e));
	e->origin = origin;
	e->valid = 1;
	e->hnext = t->buckets[b];
	t->buckets[b] = idx;
	c->bkt[idx] = (uint8_t)b;
	c->hprev[idx] = TLB_COMPACT_NIL;
	if (e->hnext != SMMU_NIL)
		c->hprev[e->hnext] = (uint8_t)idx;
	if (!same_size && t->shift_count[e->cls][e->shift]++ == 0)
		t->live[e->cls] |= 1ull << e->shift;
	uint64_t stamp = ++t->clock;
	t->lru[idx] = stamp;
	c->seq[idx] = ++c->nseq;
	if (t->lru_order) {
		c->qstamp[idx] = stamp;
		if (requeue)
			c->lhead[set] = (uint8_t)idx;
		else
			smmu_tlb_ring_push(c, idx);
	}
	return e;
}

/* smmu_tlb_insert_copy_absent() given b, src's bucket in t's host index
 * (smmu_tlb_bucket(), say from smmu_tlb_find_b()), or SMMU_NIL; inline
 * for a compact structure. */
static inline struct tlb_entry *smmu_tlb_insert_copy_absent_at(struct smmu_tlb *t,
							       const struct tlb_entry *src,
							       uint32_t origin, uint32_t b)
{
	if (!t->c)
		return smmu_tlb_insert_copy_absent(t, src, origin);
	/* insert() of a compact structure, without its generic steps. */
	assert(src->shift < 64 && src->cls < TLB_CLS_COUNT && src->world < SMMU_WORLD_COUNT);
	if (b == SMMU_NIL)
		b = smmu_tlb_bucket(t, src->cls, src->world, src->vmid, src->page, src->shift);
	assert(b == smmu_tlb_bucket(t, src->cls, src->world, src->vmid, src->page, src->shift));
	assert(smmu_tlb_same_key(t, b, src) == SMMU_NIL);
	return smmu_tlb_insert_compact(t, src, origin, b,
				       smmu_tlb_set(t, src->world, src->vmid, src->page, src->shift));
}
void smmu_tlb_remove(struct smmu_tlb *t, struct tlb_entry *e);

/* Entry i was used (a hit): its last-use stamp, for the LRU and PLRU policies. */
static inline void smmu_tlb_touch(struct smmu_tlb *t, uint32_t i)
{
	t->lru[i] = ++t->clock;
}

/* Invalidation selectors. Return the number of entries removed; *work gets
 * the number of entries examined (what the invalidation cost is charged on). */
struct tlb_inv {
	unsigned world;
	uint16_t vmid;
	uint32_t asid;          /* for by-ASID selectors */
	bool match_vmid;        /* false: every VMID of the world */
	bool by_asid;           /* only non-global entries of this ASID */
	bool kinds[2];          /* stage kinds affected: [0] stage-1 tagged, [1] stage-2 only */
	bool tlb, wc;           /* which class families */
	bool by_addr;           /* address range [lo, hi] */
	bool addr_any_asid;     /* by-address: every ASID (VAA) ; else asid or global */
	bool leaf_only;         /* Leaf=1: walk-cache entries may stay */
	bool broadcast;         /* a PE broadcast (BTM): entries with ASET=1 are not affected */
	uint64_t lo, hi;
	/* Provenance observer: when non-NULL, called for each entry removed,
	 * before it is unlinked. NULL on the common path: no cost. */
	void (*on_remove)(void *ctx, const struct tlb_entry *e);
	void *ctx;
};
uint32_t smmu_tlb_invalidate(struct smmu_tlb *t, const struct tlb_inv *inv, uint64_t *work);
void smmu_tlb_flush(struct smmu_tlb *t);

/* ---------------------------------------------------------------------------
 * Decoded stream context (STE + CD), the content of the config caches.
 */
enum smmu_ctx_kind {
	CTX_ABORT = 0,   /* Config 0xx: abort without an event */
	CTX_BYPASS = 1,  /* Config 100, or S1DSS=01 with stage 2 off */
	CTX_S1 = 2,      /* stage 1, with stage 2 if ste.config == NESTED */
	CTX_S2 = 3,      /* stage 2 only (also S1DSS=01 bypass of stage 1 with stage 2) */
};

struct smmu_ctx {
	uint8_t kind;
	bool s2;             /* stage 2 enabled */
	uint8_t world;
	uint16_t vmid;
	uint32_t asid;       /* SMMU_ASID_NONE when no stage 1 or EL2 */
	/* CTX_S1, host-side: the input check of s1_input() (xlate.c) decided
	 * once per context for the fast paths. in_sel: 1 when VA[55] selects
	 * the TTB half (not EL2); per half, the bits of the input address that
	 * must read in_want (in_want 1 with no bits: EPDx set, always a fault). */
	uint8_t in_sel;
	uint64_t in_mask[2], in_want[2];
	/* Any kind, host-side: per <write, priv, exec> of a transaction (index
	 * write << 2 | priv << 1 | exec), the SMMU_PERM_* bit it needs after
	 * STE.PRIVCFG / INSTCFG, with the effective priv in bit 6 and
	 * instruction in bit 7; and the STE's attribute overrides. */
	uint8_t acc[8];
	uint8_t attr_mt, attr_sh, attr_alloc;
	struct smmu_ste ste;
	struct smmu_cd cd;
};

struct cfg_entry {
	uint32_t sid, ssid;
	bool ssv, valid;
	uint32_t origin;     /* smmu_set_origin() value at insertion (fills padding) */
	uint64_t lru;
	struct smmu_ctx ctx;
};

struct smmu_cfgc {
	struct smmu_cache_config cfg;
	uint32_t nsets, ways, n;
	struct cfg_entry *e;
	uint32_t memo[64];    /* host-side: last entry per (sid ^ ssid) & 63 */
	uint64_t clock;
	uint32_t *rr;
	uint32_t lfsr;
	uint32_t valid;
	uint32_t gen;         /* host-side: bumped when an entry is removed or replaced */
};
int smmu_cfgc_init(struct smmu *s, struct smmu_cfgc *c, const struct smmu_cache_config *cfg,
		   uint32_t seed);
void smmu_cfgc_fini(struct smmu *s, struct smmu_cfgc *c);
struct cfg_entry *smmu_cfgc_lookup(struct smmu_cfgc *c, uint32_t sid, bool ssv, uint32_t ssid);

static inline uint32_t cfgc_key_hash(uint32_t sid, bool ssv, uint32_t ssid)
{
	uint64_t x = ((uint64_t)sid << 21) ^ ssid ^ ((uint64_t)ssv << 20);
	x *= 0x9E3779B97F4A7C15ull;
	return (uint32_t)(x >> 32);
}

static inline bool cfgc_key_eq(const struct cfg_entry *e, uint32_t sid, bool ssv, uint32_t ssid)
{
	return e->valid && e->sid == sid && e->ssv == ssv && (!ssv || e->ssid == ssid);
}

/* The entry smmu_cfgc_lookup() would return, without its use (LRU). Inline:
 * the fast paths call it once per translation. */
static inline struct cfg_entry *smmu_cfgc_find(struct smmu_cfgc *c, uint32_t sid, bool ssv,
					       uint32_t ssid)
{
	if (!c->n)
		return NULL;
	uint32_t h = cfgc_key_hash(sid, ssv, ssid);
	uint32_t m = c->memo[h & 63];
	if (m != SMMU_NIL && cfgc_key_eq(&c->e[m], sid, ssv, ssid))
		return &c->e[m];
	uint32_t base = (h % c->nsets) * c->ways;
	for (uint32_t w = 0; w < c->ways; w++)
		if (cfgc_key_eq(&c->e[base + w], sid, ssv, ssid))
			return &c->e[base + w];
	return NULL;
}
struct cfg_entry *smmu_cfgc_insert(struct smmu_cfgc *c, uint32_t sid, bool ssv, uint32_t ssid,
				   const struct smmu_ctx *ctx, uint32_t origin);
/* Remove entries with sid in [lo, hi]; ssid_sel: -1 all SSIDs, else only that
 * CD index (entries with ssv and that ssid, or the no-SSID entry using CD 0). */
uint32_t smmu_cfgc_invalidate(struct smmu_cfgc *c, uint32_t lo, uint32_t hi, int64_t ssid_sel,
			      uint64_t *work);

/* ---------------------------------------------------------------------------
 * The instance.
 */
/*
 * Host-side memo of recent uTLB hits, per TBU (not modelled state): maps
 * <StreamID, SubstreamID, 4K page of the input> to the uTLB entry and the
 * stream context that translated it. Valid while neither the uTLB nor the
 * TBU's context cache has lost an entry since (generation numbers). A memo
 * hit does exactly what a uTLB hit does in the model - port, latency, LRU,
 * statistics, permission check - without re-deriving the tag.
 */
#define SMMU_FAST_SLOTS 256
struct smmu_fast {
	uint64_t page;        /* input address >> 12 */
	uint32_t sid, ssk;    /* ssk: SSID | bit 31 when SSV */
	uint32_t tgen, cgen;  /* uTLB and context-cache generations */
	struct tlb_entry *e;
	struct cfg_entry *ce;
	uint8_t privcfg, instcfg;
};

struct smmu_tbu {
	struct smmu_cfgc cfgc;
	struct smmu_tlb utlb, mtlb;
	struct smmu_res utlb_port, mtlb_port;
	struct smmu_fast *fast;   /* SMMU_FAST_SLOTS, or NULL when the uTLB is off */
	/* Host-side: the context entry of the last main-TLB refill and its key
	 * (ssk as in struct smmu_fast), valid while cfgc.gen is last_cgen (an
	 * entry's context changes only when it is replaced). */
	struct cfg_entry *last_ce;
	uint32_t last_sid, last_ssk, last_cgen;
	uint32_t last_asid;       /* last_ce's context's world, VMID and ASID */
	uint16_t last_vmid;
	uint8_t last_world;
};

/* CONS visibility: the command processor runs a batch at once, and CONS
 * reads at cycle `now` show how far it had got by then. */
struct cons_point {
	uint64_t cycle;   /* when CONS moved */
	uint32_t prev;    /* CONS before */
	uint32_t cons;    /* CONS after */
};

/* Invalidation commands since the last SYNC (completion bookkeeping). */
struct smmu_regs {
	uint32_t cr0, cr0ack, cr1, cr2, gbpa, irq_ctrl, irq_ctrlack;
	uint32_t gerror, gerrorn;
	uint64_t gerror_irq_cfg0, eventq_irq_cfg0, priq_irq_cfg0;
	uint32_t gerror_irq_cfg1, gerror_irq_cfg2, eventq_irq_cfg1, eventq_irq_cfg2;
	uint32_t priq_irq_cfg1, priq_irq_cfg2;
	uint64_t strtab_base;
	uint32_t strtab_base_cfg;
	uint64_t cmdq_base;
	uint32_t cmdq_prod, cmdq_cons;   /* cmdq_cons: final value after processing */
	uint64_t eventq_base;
	uint32_t eventq_prod, eventq_cons;
	uint64_t priq_base;
	uint32_t priq_prod, priq_cons;
	uint32_t cr2_latched;            /* CR2 at the last SMMUEN 0->1 */
	uint32_t idr[6];
};

struct smmu {
	struct smmu_config cfg;
	struct smmu_host_ops ops;
	void *host;
	struct smmu_caps caps;
	struct smmu_regs r;
	struct smmu_stats st;

	struct smmu_tbu *tbu;
	struct smmu_cfgc cfgc;       /* TCU config cache */
	struct smmu_tlb tlb;         /* TCU TLB */
	struct smmu_tlb wc;          /* TCU walk cache */
	struct smmu_res tcu_slots, ptw_slots, ctw_slots, inv_msg;

	/* Command processor. */
	uint64_t cmd_t;              /* cycle the processor is free */
	uint64_t pending_done;       /* latest completion among commands since the last SYNC */
	uint64_t atc_pending;        /* latest ATC_INV completion since the last SYNC
	                              * (UINT64_MAX: one never completes) */
	uint64_t last_sync_done;
	uint64_t inv_tcu_done;       /* the running command's TCU pass end (cmd_report.tcu_done) */
	struct cons_point *cons_log;
	uint32_t cons_n, cons_cap;
	bool in_cmdq;                /* re-entrancy guard */
	uint64_t now_hint;           /* cycle of the access being handled */
	uint32_t origin;             /* provenance cookie stored by insertions (smmu_set_origin) */
	const uint32_t *origin_p;    /* where insertions read it: &origin or smmu_bind_origin()'s */
	bool evtq_irq_pending;
	/* Stalled transactions, one slot per STAG (stall_max of them). */
	struct smmu_stalled *stalled;
	uint32_t nstalled;
	/* The ATS Translation Request being answered asks for write access
	 * (!NW): its F_BAD_ATS_TREQ record says so (smmu_ats_translate). */
	bool treq_write;
	uint16_t next_stag;
};

/* The provenance cookie an insertion stores now (smmu_set_origin() or the
 * variable smmu_bind_origin() named). */
static inline uint32_t smmu_origin(const struct smmu *s)
{
	return *s->origin_p;
}

struct smmu_stalled {
	bool valid;
	bool unrecorded; /* its fault record found the Event queue not writable */
	struct smmu_txn txn;
	uint64_t since; /* cycle it stalled */
};
/* The Event queue has become writable (CONS moved, EVENTQEN set, EVENTQ
 * abort acknowledged): stalled transactions whose record could not be
 * written are retried as newly arrived (§3.12.2, §7.2.1), oldest first,
 * while the queue stays writable. */
void smmu_stall_retry_unrecorded(struct smmu *s, uint64_t now);

/* End stalled transactions of `sid` (UINT32_MAX: all) as terminated:
 * why 1 = CMD_STALL_TERM, 2 = SMMUEN cleared, 3 = timeout. */
void smmu_stall_end_all(struct smmu *s, uint32_t sid, uint64_t cycle, int why);
/* CMD_RESUME: Ac retry, else terminate (Ab or TERM_MODEL: abort). */
void smmu_stall_resume(struct smmu *s, uint32_t sid, uint16_t stag, bool retry, bool abort,
		       uint64_t cycle);
/* Abort stalled transactions older than stall_timeout at `cycle`. */
void smmu_stall_expire(struct smmu *s, uint64_t cycle);

/* Allocation through the host ops. */
void *smmu_alloc(struct smmu *s, size_t n, size_t size);
void smmu_free(struct smmu *s, void *p);
void smmu_logf(struct smmu *s, int level, const char *fmt, ...);

/* Memory through the host ops, counted. */
int smmu_mem_read(struct smmu *s, uint64_t pa, void *buf, uint32_t len);
int smmu_mem_write(struct smmu *s, uint64_t pa, const void *buf, uint32_t len);

/* regs.c */
void smmu_regs_reset(struct smmu *s);
void smmu_caps_from_config(const struct smmu_config *cfg, struct smmu_caps *caps);
static inline bool smmu_enabled(const struct smmu *s) { return s->r.cr0ack & SMMU_CR0_SMMUEN; }
/* Raise a global error (GERROR toggle if inactive, interrupt). */
void smmu_gerror_raise(struct smmu *s, uint32_t bit, uint64_t now);
/* Send an interrupt per IRQ_CTRL and the *_IRQ_CFG registers. */
void smmu_irq_signal(struct smmu *s, enum smmu_irq line, uint64_t now);

/* evtq.c: offer an event to the queue; returns true if written. */
bool smmu_evtq_record(struct smmu *s, const struct smmu_event *ev, uint64_t now);
/* Enabled (EVENTQEN acknowledged), no EVENTQ_ABT_ERR active, not full. */
bool smmu_evtq_writable(const struct smmu *s);
/* xlate.c: the effective stream table configuration (STRTAB_BASE[_CFG]), and
 * where sid's STE is: 0 and *ste_pa; SMMU_EVT_C_BAD_STREAMID (out of range, or
 * an invalid L1 descriptor); SMMU_EVT_F_STE_FETCH (the L1 descriptor read at
 * *l1_pa aborted). *reads: descriptor reads made (0 or 1). No event raised. */
struct smmu_strtab_cfg;
void smmu_strtab_cfg(const struct smmu *s, struct smmu_strtab_cfg *tab);
int smmu_ste_locate(struct smmu *s, uint32_t sid, uint64_t *ste_pa, uint64_t *l1_pa,
		    unsigned *reads);
/* priq.c: CMD_PRI_RESP (resp: the command's 2-bit code, not 11). */
void smmu_pri_resp_cmd(struct smmu *s, uint32_t sid, bool ssv, uint32_t ssid, uint16_t prgi,
		       unsigned resp, uint64_t cycle);
void smmu_evtq_encode(const struct smmu_event *ev, uint64_t rec[4]);

/* cmdq.c */
void smmu_cmdq_run(struct smmu *s, uint64_t now);
uint32_t smmu_cmdq_cons_at(struct smmu *s, uint64_t now);
/* Remove entries everywhere (TCU and every TBU); returns cycles the work costs
 * on the TCU side and adds the TBU fan-out; used by commands and BTM. */
uint64_t smmu_inv_tlbs(struct smmu *s, const struct tlb_inv *inv, uint64_t t, uint32_t *removed);
uint64_t smmu_inv_cfg(struct smmu *s, uint32_t lo, uint32_t hi, int64_t ssid_sel, uint64_t t,
		      uint32_t *removed);

/* xlate.c */
void smmu_xlate_flush_all(struct smmu *s);

#endif
