/*
 * pcie_ats.c - see pcie_ats.h.
 *
 * The ATC is a set-associative array (fully associative when ways = 0)
 * with LRU by a use counter. An invalidation request takes an ITag: the
 * function holds at most invq_depth outstanding requests, kept as their
 * completion times; when all are in use the request waits until the
 * earliest completes. The device works through requests one at a time
 * (busy_until), each taking flush_ns after it arrived over the link.
 */
#include "pcie_ats/pcie_ats.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ITAGS 32u

struct slot {
	struct pcie_ats_entry e;
	bool valid;
	uint64_t used;
};

struct pcie_ats {
	struct pcie_ats_config cfg;
	struct slot *slots;
	uint32_t nsets, ways;
	uint64_t tick;
	uint64_t sizes; /* bit k: an entry of 2^k bytes was ever cached */
	uint64_t itag_done[MAX_ITAGS];
	uint32_t depth;
	uint64_t busy_until;
	struct pcie_ats_stats st;
};

void pcie_ats_config_default(struct pcie_ats_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->atc_entries = 64;
	cfg->atc_ways = 0;
	cfg->stu = 0;
	cfg->invq_depth = 0;
	cfg->link_ns = 500;
	cfg->flush_ns = 1000;
}

int pcie_ats_create(const struct pcie_ats_config *cfg, struct pcie_ats **out)
{
	if (!cfg || !out || cfg->stu > 31 || cfg->invq_depth > MAX_ITAGS)
		return -1;
	uint32_t ways = cfg->atc_ways ? cfg->atc_ways : (cfg->atc_entries ? cfg->atc_entries : 1);
	if (cfg->atc_entries && cfg->atc_entries % ways)
		return -1;
	struct pcie_ats *a = calloc(1, sizeof(*a));
	if (!a)
		return -1;
	a->cfg = *cfg;
	a->ways = ways;
	a->nsets = cfg->atc_entries ? cfg->atc_entries / ways : 0;
	if (cfg->atc_entries) {
		a->slots = calloc(cfg->atc_entries, sizeof(*a->slots));
		if (!a->slots) {
			free(a);
			return -1;
		}
	}
	a->depth = cfg->invq_depth ? cfg->invq_depth : MAX_ITAGS;
	*out = a;
	return 0;
}

void pcie_ats_destroy(struct pcie_ats *a)
{
	if (!a)
		return;
	free(a->slots);
	free(a);
}

static uint32_t set_of(const struct pcie_ats *a, uint64_t iova)
{
	uint64_t page = iova >> (12 + a->cfg.stu);
	return a->nsets ? (uint32_t)(page % a->nsets) : 0;
}

void pcie_ats_fill(struct pcie_ats *a, const struct pcie_ats_entry *e)
{
	if (!a || !a->nsets || !e)
		return;
	a->st.fills++;
	struct slot *set = &a->slots[(size_t)set_of(a, e->iova) * a->ways];
	struct slot *victim = &set[0];
	for (uint32_t w = 0; w < a->ways; w++) {
		struct slot *s = &set[w];
		if (s->valid && s->e.iova == e->iova && s->e.ssv == e->ssv && s->e.ssid == e->ssid) {
			victim = s;
			break;
		}
		if (!s->valid) {
			if (victim->valid)
				victim = s;
		} else if (victim->valid && s->used < victim->used) {
			victim = s;
		}
	}
	if (victim->valid && !(victim->e.iova == e->iova && victim->e.ssv == e->ssv &&
	                       victim->e.ssid == e->ssid))
		a->st.evictions++;
	victim->e = *e;
	victim->valid = true;
	if (e->size && !(e->size & (e->size - 1)))
		a->sizes |= e->size;
	victim->used = ++a->tick;
}

bool pcie_ats_lookup(struct pcie_ats *a, bool ssv, uint32_t ssid, uint64_t addr, bool write,
                     uint64_t *pa, struct pcie_ats_entry *e)
{
	if (!a || !a->nsets)
		return false;
	/* entries may be larger than the STU: search every set a larger
	 * entry could be in is costly, so look in the set of each size's base */
	for (uint64_t left = a->sizes; left; left &= left - 1) {
		uint32_t sh = (uint32_t)__builtin_ctzll(left);
		uint64_t base = addr & ~((1ull << sh) - 1);
		struct slot *set = &a->slots[(size_t)set_of(a, base) * a->ways];
		for (uint32_t w = 0; w < a->ways; w++) {
			struct slot *s = &set[w];
			if (!s->valid || s->e.ssv != ssv || (ssv && s->e.ssid != ssid) ||
			    s->e.size != (1ull << sh) || s->e.iova != base)
				continue;
			if (write ? !s->e.write : !s->e.read)
				continue;
			s->used = ++a->tick;
			a->st.hits++;
			if (pa)
				*pa = s->e.pa + (addr - base);
			if (e)
				*e = s->e;
			return true;
		}
	}
	a->st.misses++;
	return false;
}

uint64_t pcie_ats_invalidate(struct pcie_ats *a, bool ssv, uint32_t ssid, bool global,
                             uint64_t addr, uint8_t size, uint64_t now_ns, uint32_t *removed)
{
	uint32_t gone = 0;
	if (!a) {
		if (removed)
			*removed = 0;
		return now_ns;
	}
	a->st.invalidations++;
	if (a->cfg.unresponsive) {
		if (removed)
			*removed = 0;
		return UINT64_MAX;
	}
	/* the entries the request covers */
	uint64_t len = size >= 52 ? 0 : 4096ull << size;
	uint64_t start = size >= 52 ? 0 : addr & ~(len - 1);
	for (uint32_t i = 0; a->slots && i < a->cfg.atc_entries; i++) {
		struct slot *s = &a->slots[i];
		if (!s->valid)
			continue;
		if (ssv && !global && (!s->e.ssv || s->e.ssid != ssid))
			continue;
		if (!ssv && s->e.ssv)
			continue; /* a request without a PASID covers non-PASID entries */
		if (len && (s->e.iova + s->e.size <= start || s->e.iova >= start + len))
			continue;
		s->valid = false;
		gone++;
	}
	a->st.removed += gone;
	if (removed)
		*removed = gone;
	/* an ITag: the outstanding requests still in flight at now_ns */
	uint32_t outstanding = 0, earliest = 0;
	uint64_t issue = now_ns;
	for (uint32_t i = 0; i < a->depth; i++)
		if (a->itag_done[i] > now_ns)
			outstanding++;
	if (outstanding >= a->depth) {
		for (uint32_t i = 1; i < a->depth; i++)
			if (a->itag_done[i] < a->itag_done[earliest])
				earliest = i;
		issue = a->itag_done[earliest];
		a->st.itag_waits++;
		a->st.itag_wait_ns += issue - now_ns;
	}
	if (outstanding + 1 > a->st.max_outstanding)
		a->st.max_outstanding = outstanding + 1 > a->depth ? a->depth : outstanding + 1;
	uint64_t arrive = issue + a->cfg.link_ns;
	uint64_t start_work = arrive > a->busy_until ? arrive : a->busy_until;
	a->busy_until = start_work + a->cfg.flush_ns;
	uint64_t done = a->busy_until + a->cfg.link_ns;
	/* the ITag is the free (or earliest) slot */
	uint32_t slot = earliest;
	if (outstanding < a->depth)
		for (uint32_t i = 0; i < a->depth; i++)
			if (a->itag_done[i] <= now_ns) {
				slot = i;
				break;
			}
	a->itag_done[slot] = done;
	return done;
}

void pcie_ats_get_stats(const struct pcie_ats *a, struct pcie_ats_stats *out)
{
	if (a && out)
		*out = a->st;
}

uint32_t pcie_ats_occupancy(const struct pcie_ats *a)
{
	uint32_t n = 0;
	for (uint32_t i = 0; a && a->slots && i < a->cfg.atc_entries; i++)
		n += a->slots[i].valid;
	return n;
}
