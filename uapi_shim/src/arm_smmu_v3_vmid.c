/*
 * arm_smmu_v3_vmid.c - where a stage-2 context's VMID comes from: the
 * VMID policies argued about for KVM + SMMUv3 nesting (policy.vmid,
 * policy.viommu_vmid; reference/linux-uapi.md §3.1, §4, §5).
 *
 * A "VMID user" is one context that puts a VMID in STEs of one SMMU: an S2
 * paging domain (nest parent or not), or - with policy.viommu_vmid=own - a
 * vSMMU. Policies:
 *
 *  smmu-ida          the driver's per-SMMU IDA over [1, 2^bits) (mainline).
 *  kvm-pinned        a nest parent (and an own-VMID vSMMU) of a device with a
 *                    KVM takes that VM's KVM VMID, pinned in KVM's allocator
 *                    (RFC v3) and put when the context is freed; anything else
 *                    takes a private VMID from the IDA, which skips numbers
 *                    pinned in KVM. When a pin lands on a number that private
 *                    contexts use, each of them moves to a free number: the
 *                    S2VMID of every STE using it is rewritten with the
 *                    hitless STE writer (CFGI_STE + SYNC), then the old tag
 *                    is flushed (TLBI_S12_VMALL + SYNC), before the pinned
 *                    number is handed out.
 *  shared            one allocator for KVM and the SMMUs: every SMMU VMID is a
 *                    pinned KVM VMID (the device's VM's, or one pinned for
 *                    the context itself), so KVM never gives it to a guest.
 *  split             KVM allocates from [1, 2^(b-1)), the SMMUs' IDA from
 *                    [2^(b-1), 2^b) (b: the narrowest width; shim.c).
 *  kvm-pinned-naive  (unsafe) kvm-pinned without skipping pinned numbers in
 *                    the IDA and without the move: two owners can share a tag.
 *  kvm-unpinned      (unsafe) a nest parent adopts the VM's current KVM VMID
 *                    without pinning; KVM may give it to another VM after a
 *                    rollover, and the STE is never updated.
 *
 * Exhaustion fails the allocation with -ENOSPC (a pinned VMID beyond
 * max_pinned, or beyond the SMMU's VMID width): never a silent VMID 0.
 * Every assignment, move and release is logged for the report
 * (arm_smmu_vmid_log_at).
 */
#include "arm_smmu_v3_internal.h"
#include "kvm_vmid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const source_names[] = {"smmu-ida", "kvm", "kvm-pinned", "shared", "split"};

const char *arm_smmu_vmid_source_name(unsigned src)
{
	return src < sizeof(source_names) / sizeof(source_names[0]) ? source_names[src] : "?";
}

static uint32_t vmid_limit(const struct arm_smmu_device *smmu)
{
	return 1u << smmu->vmid_bits;
}

/* ---- the log (shared by every SMMU of the kernel) ---- */

static struct arm_smmu_vmid_log *ulog(const struct arm_smmu_vmid_user *u)
{
	return u->logi ? &u->smmu->shared->log[u->logi - 1] : NULL;
}

/* A new record; returns its index + 1 (0 when out of memory). The array
 * may move: hold indexes, not pointers. */
static size_t log_new(struct arm_smmu_device *smmu, uint32_t vmid, unsigned src,
                      const char *owner, const char *kind, uint64_t t)
{
	struct arm_smmu_shared *sh = smmu->shared;
	if (sh->nlog == sh->caplog) {
		size_t cap = sh->caplog ? sh->caplog * 2 : 16;
		struct arm_smmu_vmid_log *n = realloc(sh->log, cap * sizeof(*n));
		if (!n)
			return 0;
		sh->log = n;
		sh->caplog = cap;
	}
	struct arm_smmu_vmid_log *l = &sh->log[sh->nlog++];
	memset(l, 0, sizeof(*l));
	l->smmu = smmu->index;
	l->vmid = vmid;
	l->source = (uint8_t)src;
	snprintf(l->owner, sizeof(l->owner), "%s", owner ? owner : "");
	snprintf(l->kind, sizeof(l->kind), "%s", kind);
	l->t_alloc = t;
	l->live = true;
	return sh->nlog;
}

size_t arm_smmu_vmid_log_count(const struct kenv *env)
{
	const struct arm_smmu_shared *sh = env->drv_shared;
	return sh ? sh->nlog : 0;
}

const struct arm_smmu_vmid_log *arm_smmu_vmid_log_at(const struct kenv *env, size_t i)
{
	const struct arm_smmu_shared *sh = env->drv_shared;
	return sh && i < sh->nlog ? &sh->log[i] : NULL;
}

/* ---- the per-SMMU IDA (with user counts: the naive policies share) ---- */

static void users_get(struct arm_smmu_device *smmu, uint32_t vmid)
{
	smmu->vmid_users[vmid]++;
}
static void users_put(struct arm_smmu_device *smmu, uint32_t vmid)
{
	if (smmu->vmid_users[vmid])
		smmu->vmid_users[vmid]--;
}

/* Lowest free private VMID (ida_alloc_range); skip_pinned: also avoid
 * numbers pinned in KVM's allocator (kvm-pinned). 0 when none. */
static uint32_t ida_alloc(struct arm_smmu_device *smmu, bool skip_pinned)
{
	struct kenv *env = smmu->env;
	uint32_t first = 1, limit = vmid_limit(smmu);
	if (env->vmid_policy == SHIM_VMID_SPLIT && env->vmid_split_base) {
		first = env->vmid_split_base;
		if (2 * first < limit)
			limit = 2 * first;
	}
	for (uint32_t i = first; i < limit; i++) {
		if (smmu->vmid_users[i])
			continue;
		if (skip_pinned && env->kvm_vmids && kvm_vmid_is_pinned(env->kvm_vmids, i))
			continue;
		return i;
	}
	return 0;
}

/* ---- moving a private VMID (kvm-pinned) ---- */

/* Every master on the SMMU whose STE carries `vmid` gets its STE rebuilt
 * from its domain (which already holds the new VMID), hitlessly. */
static void restamp_stes(struct arm_smmu_device *smmu, uint32_t old, struct kcall *c)
{
	for (size_t i = 0; i < smmu->nmasters; i++) {
		struct arm_smmu_master *m = smmu->masters[i];
		uint64_t ste[8];
		arm_smmu_read_entry(smmu->env, m->ste_pa, ste);
		uint32_t cfg = (uint32_t)((ste[0] >> 1) & 7);
		bool s2 = (ste[0] & 1) && (cfg == 6 || cfg == 7);
		if (!s2 || (uint32_t)(ste[2] & 0xffff) != old)
			continue;
		arm_smmu_reinstall_ste(m, c);
	}
}

static void move_user(struct arm_smmu_vmid_user *u, uint32_t to, const char *why, struct kcall *c)
{
	struct arm_smmu_device *smmu = u->smmu;
	uint32_t from = u->vmid;
	users_get(smmu, to);
	u->vmid = to;
	if (u->domain) {
		u->domain->vmid = to;
		/* vSMMUs sharing their parent's VMID (7.0) follow it */
		for (size_t i = 0; i < smmu->nvsmmus; i++) {
			struct arm_vsmmu *v = smmu->vsmmus[i];
			if (v->s2_parent == u->domain && !v->vmid_user)
				v->vmid = to;
		}
	} else if (u->vsmmu) {
		u->vsmmu->vmid = to;
	}
	restamp_stes(smmu, from, c);
	/* The old tag may still hold the context's entries: flush it before
	 * the number goes to someone else. */
	uint64_t cmd[2];
	smmu_cmd_tlbi_s12_vmall(cmd, (uint16_t)from);
	arm_smmu_cmdq_issue_cmd(smmu, cmd, true, c);
	users_put(smmu, from);
	char kind[16] = "";
	uint32_t moves = 0;
	struct arm_smmu_vmid_log *l = ulog(u);
	if (l) {
		l->live = false;
		l->t_free = c->t;
		l->moved_to = to;
		snprintf(l->why, sizeof(l->why), "%s", why);
		snprintf(kind, sizeof(kind), "%s", l->kind);
		moves = l->moves;
	}
	u->logi = log_new(smmu, to, u->source, u->owner, kind, c->t);
	if ((l = ulog(u)) != NULL) {
		l->moved_from = from;
		l->moves = moves + 1;
		snprintf(l->why, sizeof(l->why), "%s", why);
	}
	u->moves++;
	smmu->shared->vmid_moves++;
	arm_smmu_vmid_count_stes(smmu);
}

/* KVM pinned `idx` for `owner`: move private users of idx on every SMMU. */
static int move_colliding(struct arm_smmu_device *smmu, uint32_t idx, const char *owner,
                          struct kcall *c)
{
	struct arm_smmu_shared *sh = smmu->shared;
	for (size_t k = 0; k < sh->nsmmus; k++) {
		struct arm_smmu_device *o = sh->smmus[k];
		if (idx >= vmid_limit(o) || !o->vmid_users[idx])
			continue;
		for (size_t i = 0; i < o->nvmid_users; i++) {
			struct arm_smmu_vmid_user *u = o->vmid_users_list[i];
			if (u->vmid != idx || u->kvm)
				continue;
			uint32_t to = ida_alloc(o, true);
			if (!to)
				return -ENOSPC;
			char why[96];
			snprintf(why, sizeof(why), "KVM pinned VMID %u for %s", idx, owner ? owner : "?");
			move_user(u, to, why, c);
		}
	}
	return 0;
}

/* ---- get / put ---- */

static int user_add(struct arm_smmu_device *smmu, struct arm_smmu_vmid_user *u)
{
	if (smmu->nvmid_users == smmu->capvmid_users) {
		size_t cap = smmu->capvmid_users ? smmu->capvmid_users * 2 : 8;
		struct arm_smmu_vmid_user **n =
		    realloc(smmu->vmid_users_list, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		smmu->vmid_users_list = n;
		smmu->capvmid_users = cap;
	}
	smmu->vmid_users_list[smmu->nvmid_users++] = u;
	return 0;
}

static void broadcast_if(struct kenv *env, bool rollover, struct kcall *c)
{
	/* kvm_arm_pinned_vmid_get may start a new generation: KVM flushes
	 * every VMID (__kvm_flush_vm_context) */
	if (rollover)
		kbroadcast_tlbi(env, "ALLE1IS", 0, 0, 0, c->t);
}

int arm_smmu_vmid_get(struct arm_smmu_device *smmu, const struct arm_smmu_vmid_req *req,
                      bool nest, const char *kind, struct kcall *c,
                      struct arm_smmu_vmid_user **out)
{
	struct kenv *env = smmu->env;
	struct kvm_vmid_space *ks = env->kvm_vmids;
	struct kvm_vmid *kvm = req && nest && ks ? req->kvm : NULL;
	const char *owner = req && req->owner ? req->owner : "";
	struct arm_smmu_vmid_user *u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->smmu = smmu;
	snprintf(u->owner, sizeof(u->owner), "%s", owner);
	ktime_charge(c, env->t.obj_op);
	uint32_t vmid = 0;
	bool rollover = false;
	int rc = 0;
	switch (env->vmid_policy) {
	case SHIM_VMID_KVM_PINNED:
	case SHIM_VMID_KVM_PINNED_NAIVE:
	case SHIM_VMID_SHARED: {
		bool naive = env->vmid_policy == SHIM_VMID_KVM_PINNED_NAIVE;
		struct kvm_vmid *pin = kvm;
		if (!pin && env->vmid_policy == SHIM_VMID_SHARED && ks) {
			/* one allocator: the context's own VMID, pinned in KVM's */
			u->own_kvm = calloc(1, sizeof(*u->own_kvm));
			if (!u->own_kvm) {
				rc = -ENOMEM;
				break;
			}
			pin = u->own_kvm;
		}
		if (!pin) {
			u->source = ARM_SMMU_VMID_SRC_IDA;
			vmid = ida_alloc(smmu, !naive);
			if (!vmid)
				rc = -ENOSPC;
			break;
		}
		rc = kvm_vmid_pin(ks, pin, &vmid, &rollover);
		broadcast_if(env, rollover, c);
		if (rc) {
			klog(env, 1, "arm-smmu-v3: smmu%u: no VMID for %s: %u pinned VMIDs is KVM's limit",
			     smmu->index, owner, kvm_vmid_max_pinned(ks));
			rc = -ENOSPC;
			break;
		}
		if (vmid >= vmid_limit(smmu)) {
			klog(env, 1, "arm-smmu-v3: smmu%u: KVM VMID %u does not fit %u-bit VMIDs",
			     smmu->index, vmid, smmu->vmid_bits);
			kvm_vmid_unpin(ks, pin);
			rc = -ENOSPC;
			break;
		}
		u->kvm = pin;
		u->source = env->vmid_policy == SHIM_VMID_SHARED ? ARM_SMMU_VMID_SRC_SHARED
		                                                 : ARM_SMMU_VMID_SRC_KVM_PINNED;
		if (!naive && env->vmid_policy == SHIM_VMID_KVM_PINNED)
			rc = move_colliding(smmu, vmid, owner, c);
		if (rc)
			kvm_vmid_unpin(ks, pin);
		break;
	}
	case SHIM_VMID_KVM_UNPINNED:
		if (kvm) {
			vmid = kvm_vmid_current(ks, kvm, &rollover);
			broadcast_if(env, rollover, c);
			if (vmid >= vmid_limit(smmu)) {
				rc = -ENOSPC;
				break;
			}
			u->source = ARM_SMMU_VMID_SRC_KVM;
			break;
		}
		u->source = ARM_SMMU_VMID_SRC_IDA;
		vmid = ida_alloc(smmu, false);
		if (!vmid)
			rc = -ENOSPC;
		break;
	case SHIM_VMID_SPLIT:
		u->source = ARM_SMMU_VMID_SRC_SPLIT;
		vmid = ida_alloc(smmu, false);
		if (!vmid)
			rc = -ENOSPC;
		break;
	default:
		u->source = ARM_SMMU_VMID_SRC_IDA;
		vmid = ida_alloc(smmu, false);
		if (!vmid)
			rc = -ENOSPC;
		break;
	}
	if (!rc)
		rc = user_add(smmu, u);
	if (rc) {
		if (u->kvm && ks)
			kvm_vmid_unpin(ks, u->kvm);
		free(u->own_kvm);
		free(u);
		return rc;
	}
	u->vmid = vmid;
	users_get(smmu, vmid);
	if (u->kvm && u->kvm == kvm && req->kvm_obj && req->kvm_get && req->kvm_put) {
		req->kvm_get(req->kvm_obj);
		u->kvm_obj = req->kvm_obj;
		u->kvm_put = req->kvm_put;
	}
	u->logi = log_new(smmu, vmid, u->source, owner, kind, c->t);
	*out = u;
	return 0;
}

void arm_smmu_vmid_put(struct arm_smmu_vmid_user *u, struct kcall *c)
{
	if (!u)
		return;
	struct arm_smmu_device *smmu = u->smmu;
	users_put(smmu, u->vmid);
	if (u->kvm && smmu->env->kvm_vmids)
		kvm_vmid_unpin(smmu->env->kvm_vmids, u->kvm);
	struct arm_smmu_vmid_log *l = ulog(u);
	if (l) {
		l->live = false;
		l->t_free = c ? c->t : 0;
	}
	for (size_t i = 0; i < smmu->nvmid_users; i++)
		if (smmu->vmid_users_list[i] == u) {
			memmove(&smmu->vmid_users_list[i], &smmu->vmid_users_list[i + 1],
			        (smmu->nvmid_users - i - 1) * sizeof(u));
			smmu->nvmid_users--;
			break;
		}
	free(u->own_kvm);
	if (u->kvm_obj)
		u->kvm_put(u->kvm_obj, c);
	free(u);
}

/* The context whose VMID a master's STE carries: its nested domain's vSMMU
 * with a VMID of its own, else the stage-2 domain (a nested domain's
 * parent). */
static const struct arm_smmu_vmid_user *ste_user(const struct arm_smmu_master *m)
{
	const struct arm_smmu_domain *d = m->domain;
	if (d && d->kind == ARM_SMMU_DOMAIN_NESTED) {
		if (!d->vsmmu)
			return NULL;
		if (d->vsmmu->vmid_user)
			return d->vsmmu->vmid_user;
		d = d->vsmmu->s2_parent;
	}
	return d ? d->vmid_user : NULL;
}

/* STEs per context, for the log (called after every STE install): a valid
 * stage-2 or nested STE carrying the context's VMID and installed for it.
 * Counting by VMID number alone would credit a nest parent whose vSMMUs
 * tag with VMIDs of their own (policy.viommu_vmid=own) with the STEs of
 * whatever else has its number. */
void arm_smmu_vmid_count_stes(struct arm_smmu_device *smmu)
{
	for (size_t i = 0; i < smmu->nvmid_users; i++) {
		struct arm_smmu_vmid_user *u = smmu->vmid_users_list[i];
		uint32_t n = 0;
		for (size_t k = 0; k < smmu->nmasters; k++) {
			struct arm_smmu_master *m = smmu->masters[k];
			if (ste_user(m) != u)
				continue;
			uint64_t ste[8];
			arm_smmu_read_entry(smmu->env, m->ste_pa, ste);
			uint32_t cfg = (uint32_t)((ste[0] >> 1) & 7);
			if ((ste[0] & 1) && (cfg == 6 || cfg == 7) &&
			    (uint32_t)(ste[2] & 0xffff) == u->vmid)
				n++;
		}
		struct arm_smmu_vmid_log *l = ulog(u);
		if (l) {
			l->stes = n;
			if (n > l->stes_max)
				l->stes_max = n;
		}
	}
}
