/*
 * shim_vmids.c - the VMID log and KVM allocator summary for hosts' reports
 * (shim_vmid_count / shim_vmid_at / shim_vmid_stats in shim.h), read from
 * the driver's log (arm_smmu_v3_vmid.c) and KVM's allocator (kvm_vmid.c).
 */
#include "arm_smmu_v3_internal.h"
#include "kvm_vmid.h"
#include "shim_internal.h"

#include <string.h>

size_t shim_vmid_count(const struct shim *s)
{
	return s ? arm_smmu_vmid_log_count(&s->env) : 0;
}

int shim_vmid_at(const struct shim *s, size_t i, struct shim_vmid_info *out)
{
	const struct arm_smmu_vmid_log *l = s && out ? arm_smmu_vmid_log_at(&s->env, i) : NULL;
	if (!l)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->smmu = l->smmu;
	out->vmid = l->vmid;
	out->source = arm_smmu_vmid_source_name(l->source);
	out->owner = l->owner;
	out->kind = l->kind;
	out->live = l->live;
	out->t_alloc_ns = l->t_alloc;
	out->t_free_ns = l->t_free;
	out->stes = l->stes;
	out->stes_max = l->stes_max;
	out->moved_from = l->moved_from;
	out->moved_to = l->moved_to;
	out->moves = l->moves;
	out->why = l->why;
	return 0;
}

int shim_vmid_stats(const struct shim *s, struct shim_vmid_stats *out)
{
	if (!s || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->policy = shim_vmid_policy_name(s->cfg.vmid_policy);
	out->viommu_vmid_own = s->cfg.viommu_vmid_own;
	out->kvm_bits = s->cfg.kvm_vmid_bits;
	out->kvm_cpus = s->cfg.kvm_cpus;
	const struct kvm_vmid_space *k = s->env.kvm_vmids;
	if (k) {
		out->kvm_generation = kvm_vmid_generation(k);
		out->kvm_rollovers = kvm_vmid_rollovers(k);
		out->kvm_pinned = kvm_vmid_nr_pinned(k);
		out->kvm_max_pinned = kvm_vmid_max_pinned(k);
	}
	const struct arm_smmu_shared *sh = s->env.drv_shared;
	out->moves = sh ? sh->vmid_moves : 0;
	out->separates =
	    s->cfg.vmid_policy == SHIM_VMID_SHARED || s->cfg.vmid_policy == SHIM_VMID_SPLIT;
	return 0;
}
