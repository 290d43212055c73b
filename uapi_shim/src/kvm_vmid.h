/*
 * kvm_vmid.h - KVM/arm64's VMID allocator (Linux 7.0 arch/arm64/kvm/vmid.c)
 * and the pinned-VMID extension of the RFC "iommu/arm-smmu-v3: Use pinned
 * KVM VMID for stage 2" (v3, 2025-03; digest §4). INTERNAL.
 *
 * A VMID is `generation | index`: the generation grows by 2^bits at every
 * rollover, the index is the 8- or 16-bit tag the hardware sees. Index 0 is
 * the host's. Each physical CPU has an active VMID (the VM running on it;
 * cleared to "invalid" when its vCPU is put) and a reserved VMID (kept over
 * a rollover for the VM that was running there). A VM keeps its index over a
 * rollover if a CPU reserved it, if it is pinned, or if nobody took the
 * index first in the new generation; otherwise it gets the next free one.
 * A rollover flushes every VMID's TLB entries by broadcast (TLBI ALLE1IS):
 * kvm_vmid_update() and kvm_vmid_pin() say when one happened so that the
 * caller can deliver it to SMMUs that listen (BTM).
 *
 * One allocator per simulated machine (the kernel has one): no global state.
 * Allocation can be limited to a window of indexes [first, limit) - the
 * `split` policy gives KVM the lower half - and pinning can be switched off
 * (mainline has no pinned VMIDs).
 */
#ifndef SHIM_KVM_VMID_H
#define SHIM_KVM_VMID_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kvm_vmid_space;

/* Per VM (struct kvm_vmid): zero-initialise. */
struct kvm_vmid {
	uint64_t id;       /* generation | index; 0: never allocated */
	uint32_t pinned;   /* refcount of pins (RFC) */
};

struct kvm_vmid_config {
	unsigned bits;     /* 8 or 16 */
	unsigned cpus;     /* physical CPUs (num_possible_cpus) */
	uint32_t first;    /* lowest index allocated, >= 1 (default 1) */
	uint32_t limit;    /* one past the highest (default 2^bits) */
	bool pinning;      /* the RFC's pinned VMIDs exist */
};

/* -EINVAL for a bad configuration (bits not 8/16, window empty or not larger
 * than the CPUs, as the kernel's WARN_ON says), -ENOMEM. */
int kvm_vmid_space_create(const struct kvm_vmid_config *cfg, struct kvm_vmid_space **out);
void kvm_vmid_space_destroy(struct kvm_vmid_space *s);

/* vCPU load on `cpu` (kvm_arm_vmid_update): returns the index the VM runs
 * with; *rollover (if not NULL) is set when this call started a new
 * generation (the caller broadcasts TLBI ALLE1IS). */
uint32_t kvm_vmid_update(struct kvm_vmid_space *s, struct kvm_vmid *v, unsigned cpu,
			 bool *rollover);
/* The index the VM would run with now: a VM without a VMID of the current
 * generation gets one as at its next vCPU load (new_vmid), without becoming
 * active anywhere. Used by the unsafe kvm-unpinned policy, which adopts it. */
uint32_t kvm_vmid_current(struct kvm_vmid_space *s, struct kvm_vmid *v, bool *rollover);
/* vCPU put on `cpu` (kvm_arm_vmid_clear_active). */
void kvm_vmid_clear_active(struct kvm_vmid_space *s, unsigned cpu);

/* kvm_arm_pinned_vmid_get: 0 and *idx, or -ENOSPC when max_pinned VMIDs are
 * pinned already (the RFC returns 0), -EOPNOTSUPP without pinning. A VM
 * pinned again only takes another reference. */
int kvm_vmid_pin(struct kvm_vmid_space *s, struct kvm_vmid *v, uint32_t *idx, bool *rollover);
/* kvm_arm_pinned_vmid_put. */
void kvm_vmid_unpin(struct kvm_vmid_space *s, struct kvm_vmid *v);

/* The index a VM's VMID has now (0: never allocated). */
uint32_t kvm_vmid_index(const struct kvm_vmid_space *s, const struct kvm_vmid *v);
unsigned kvm_vmid_bits(const struct kvm_vmid_space *s);
uint64_t kvm_vmid_generation(const struct kvm_vmid_space *s);   /* 1, 2, ... */
uint64_t kvm_vmid_rollovers(const struct kvm_vmid_space *s);
uint32_t kvm_vmid_max_pinned(const struct kvm_vmid_space *s);
uint32_t kvm_vmid_nr_pinned(const struct kvm_vmid_space *s);
/* Is index `idx` pinned (by any VM)? */
bool kvm_vmid_is_pinned(const struct kvm_vmid_space *s, uint32_t idx);
/* The index active on `cpu` now (0 when none). */
uint32_t kvm_vmid_active(const struct kvm_vmid_space *s, unsigned cpu);

#ifdef __cplusplus
}
#endif
#endif
