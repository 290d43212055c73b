/*
 * kvm_vmid.c - see kvm_vmid.h. The algorithm follows arch/arm64/kvm/vmid.c
 * step by step (our own code): flush_context, check_update_reserved_vmid,
 * new_vmid, kvm_arm_vmid_update, and the RFC's pinned get/put. The kernel's
 * locking and lock-free fast path have no observable effect in a sequential
 * simulation and are not modelled; the order of decisions is.
 */
#include "kvm_vmid.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct kvm_vmid_space {
	unsigned bits;
	unsigned cpus;
	uint32_t first, limit;
	uint64_t nidx;              /* 2^bits: NUM_USER_VMIDS = VMID_FIRST_VERSION */
	uint64_t generation;        /* vmid_generation: a multiple of nidx */
	uint64_t rollovers;
	uint32_t cur_idx;           /* where the next search starts */
	uint64_t *map;              /* vmid_map */
	uint64_t *pinned_map;       /* NULL without pinning */
	uint32_t max_pinned, nr_pinned;
	uint64_t *active;           /* per CPU; nidx = VMID_ACTIVE_INVALID */
	uint64_t *reserved;         /* per CPU */
};

static bool test_bit(const uint64_t *m, uint64_t i) { return (m[i / 64] >> (i % 64)) & 1; }
static void set_bit(uint64_t *m, uint64_t i) { m[i / 64] |= 1ull << (i % 64); }
static void clear_bit(uint64_t *m, uint64_t i) { m[i / 64] &= ~(1ull << (i % 64)); }

/* First clear bit in [from, limit), or limit. */
static uint64_t next_zero(const struct kvm_vmid_space *s, uint64_t from)
{
	for (uint64_t i = from; i < s->limit; i++) {
		if ((i % 64) == 0 && s->map[i / 64] == ~0ull && i + 64 <= s->limit) {
			i += 63;
			continue;
		}
		if (!test_bit(s->map, i))
			return i;
	}
	return s->limit;
}

static uint64_t idx_of(const struct kvm_vmid_space *s, uint64_t vmid) { return vmid & (s->nidx - 1); }
static bool gen_match(const struct kvm_vmid_space *s, uint64_t vmid)
{
	return ((vmid ^ s->generation) >> s->bits) == 0;
}

int kvm_vmid_space_create(const struct kvm_vmid_config *cfg, struct kvm_vmid_space **out)
{
	if (!cfg || !out || (cfg->bits != 8 && cfg->bits != 16) || cfg->cpus == 0)
		return -EINVAL;
	uint64_t nidx = 1ull << cfg->bits;
	uint32_t first = cfg->first ? cfg->first : 1;
	uint64_t limit = cfg->limit ? cfg->limit : nidx;
	/* After a rollover every CPU may reserve one index: the window needs
	 * one more than the CPUs (the kernel's WARN_ON), and two more to pin. */
	if (limit > nidx || first >= limit || limit - first <= cfg->cpus ||
	    (cfg->pinning && limit < (uint64_t)cfg->cpus + 3))
		return -EINVAL;
	struct kvm_vmid_space *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->bits = cfg->bits;
	s->cpus = cfg->cpus;
	s->first = first;
	s->limit = (uint32_t)limit;
	s->nidx = nidx;
	s->generation = nidx;
	s->cur_idx = first;
	size_t words = (size_t)(nidx / 64 ? nidx / 64 : 1);
	s->map = calloc(words, sizeof(uint64_t));
	s->active = calloc(cfg->cpus, sizeof(uint64_t));
	s->reserved = calloc(cfg->cpus, sizeof(uint64_t));
	if (cfg->pinning) {
		s->pinned_map = calloc(words, sizeof(uint64_t));
		/* NUM_USER_VMIDS - num_possible_cpus() - 2, over the window. */
		s->max_pinned = (uint32_t)(limit - cfg->cpus - 2);
	}
	if (!s->map || !s->active || !s->reserved || (cfg->pinning && !s->pinned_map)) {
		kvm_vmid_space_destroy(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void kvm_vmid_space_destroy(struct kvm_vmid_space *s)
{
	if (!s)
		return;
	free(s->map);
	free(s->pinned_map);
	free(s->active);
	free(s->reserved);
	free(s);
}

/* A new generation: only pinned indexes and what each CPU runs (or last
 * reserved) stay taken. The caller broadcasts the TLB flush. */
static void flush_context(struct kvm_vmid_space *s)
{
	size_t words = (size_t)(s->nidx / 64 ? s->nidx / 64 : 1);
	if (s->pinned_map)
		memcpy(s->map, s->pinned_map, words * sizeof(uint64_t));
	else
		memset(s->map, 0, words * sizeof(uint64_t));
	for (unsigned c = 0; c < s->cpus; c++) {
		uint64_t vmid = s->active[c];
		s->active[c] = 0;
		if (vmid == 0)
			vmid = s->reserved[c];
		set_bit(s->map, idx_of(s, vmid));
		s->reserved[c] = vmid;
	}
	s->rollovers++;
}

static bool check_update_reserved(struct kvm_vmid_space *s, uint64_t vmid, uint64_t newvmid)
{
	bool hit = false;
	for (unsigned c = 0; c < s->cpus; c++)
		if (s->reserved[c] == vmid) {
			hit = true;
			s->reserved[c] = newvmid;
		}
	return hit;
}

static uint64_t new_vmid(struct kvm_vmid_space *s, struct kvm_vmid *v, bool *rollover)
{
	uint64_t vmid = v->id;
	if (vmid != 0) {
		uint64_t newvmid = s->generation | idx_of(s, vmid);
		if (check_update_reserved(s, vmid, newvmid)) {
			v->id = newvmid;
			return newvmid;
		}
		/* Pinned: keep it (reserved took priority, to update its
		 * generation). As in the RFC, v->id keeps its old generation. */
		if (s->pinned_map && v->pinned)
			return newvmid;
		uint64_t i = idx_of(s, vmid);
		if (i >= s->first && i < s->limit && !test_bit(s->map, i)) {
			set_bit(s->map, i);
			v->id = newvmid;
			return newvmid;
		}
	}
	uint64_t i = next_zero(s, s->cur_idx);
	if (i == s->limit) {
		s->generation += s->nidx;
		flush_context(s);
		if (rollover)
			*rollover = true;
		/* More indexes than CPUs: this always succeeds. */
		i = next_zero(s, s->first);
	}
	set_bit(s->map, i);
	s->cur_idx = (uint32_t)i;
	v->id = i | s->generation;
	return v->id;
}

uint32_t kvm_vmid_update(struct kvm_vmid_space *s, struct kvm_vmid *v, unsigned cpu,
			 bool *rollover)
{
	if (rollover)
		*rollover = false;
	if (cpu >= s->cpus)
		cpu %= s->cpus;
	uint64_t vmid = v->id;
	/* Fast path: a CPU that ran a VMID of this generation keeps going. */
	if (s->active[cpu] != 0 && gen_match(s, vmid)) {
		s->active[cpu] = vmid;
		return (uint32_t)idx_of(s, vmid);
	}
	if (!gen_match(s, vmid))
		vmid = new_vmid(s, v, rollover);
	s->active[cpu] = vmid;
	return (uint32_t)idx_of(s, vmid);
}

uint32_t kvm_vmid_current(struct kvm_vmid_space *s, struct kvm_vmid *v, bool *rollover)
{
	if (rollover)
		*rollover = false;
	if (!gen_match(s, v->id))
		new_vmid(s, v, rollover);
	return (uint32_t)idx_of(s, v->id);
}

void kvm_vmid_clear_active(struct kvm_vmid_space *s, unsigned cpu)
{
	s->active[cpu % s->cpus] = s->nidx; /* VMID_ACTIVE_INVALID */
}

int kvm_vmid_pin(struct kvm_vmid_space *s, struct kvm_vmid *v, uint32_t *idx, bool *rollover)
{
	if (rollover)
		*rollover = false;
	if (!s->pinned_map)
		return -EOPNOTSUPP;
	uint64_t vmid = v->id;
	if (v->pinned) {
		v->pinned++;
		*idx = (uint32_t)idx_of(s, vmid);
		return 0;
	}
	if (s->nr_pinned >= s->max_pinned)
		return -ENOSPC;
	if (!gen_match(s, vmid))
		vmid = new_vmid(s, v, rollover);
	s->nr_pinned++;
	set_bit(s->pinned_map, idx_of(s, vmid));
	v->pinned = 1;
	*idx = (uint32_t)idx_of(s, vmid);
	return 0;
}

void kvm_vmid_unpin(struct kvm_vmid_space *s, struct kvm_vmid *v)
{
	if (!s->pinned_map || v->pinned == 0)
		return;
	if (--v->pinned == 0) {
		clear_bit(s->pinned_map, idx_of(s, v->id));
		s->nr_pinned--;
	}
}

unsigned kvm_vmid_bits(const struct kvm_vmid_space *s) { return s->bits; }
uint32_t kvm_vmid_index(const struct kvm_vmid_space *s, const struct kvm_vmid *v)
{
	return (uint32_t)idx_of(s, v->id);
}
uint64_t kvm_vmid_generation(const struct kvm_vmid_space *s) { return s->generation >> s->bits; }
uint64_t kvm_vmid_rollovers(const struct kvm_vmid_space *s) { return s->rollovers; }
uint32_t kvm_vmid_max_pinned(const struct kvm_vmid_space *s) { return s->max_pinned; }
uint32_t kvm_vmid_nr_pinned(const struct kvm_vmid_space *s) { return s->nr_pinned; }

bool kvm_vmid_is_pinned(const struct kvm_vmid_space *s, uint32_t idx)
{
	return s->pinned_map && idx < s->nidx && test_bit(s->pinned_map, idx);
}

uint32_t kvm_vmid_active(const struct kvm_vmid_space *s, unsigned cpu)
{
	uint64_t a = s->active[cpu % s->cpus];
	return a == s->nidx ? 0 : (uint32_t)idx_of(s, a);
}
