/*
 * arm_smmu_v3_domain.c - domains of the arm-smmu-v3 driver model: paging
 * domain allocation with the global ASID allocator and the per-SMMU VMID
 * IDA (digest §3.1), attach/replace (arm_smmu_attach_dev and friends),
 * map/unmap through io-pgtable-arm, and invalidation (Linux 7.0's
 * arm_smmu_domain_inv_range over the domain's invalidation array).
 *
 * The invalidation array. Linux 7.0 keeps per domain an RCU array of
 * {smmu, type, id} with user counts, updated on attach/detach. The emulated
 * kernel runs one call at a time, so the array is derived when needed from
 * the masters of the domain's SMMU (a domain is bound to one SMMU in 7.0):
 * S1 domain: S1_ASID; S2: S2_VMID; nest parent: S2_VMID + S2_VMID_S1_CLEAR
 * (a TLBI_NH_ALL of the VMID, which tags the guests' combined S1+S2
 * entries), also for masters attached to nested domains over it; ATS masters
 * add ATS (ATS_FULL under a nest parent). Entries issue in that type order;
 * a batch ends with a CMD_SYNC on entering S2_VMID_S1_CLEAR and before the
 * first ATS entry (so ATC_INVs follow a completed TLBI), and at the end.
 * When a master leaves, a tag with no users left on that SMMU is flushed
 * (TLBI_NH_ASID / TLBI_S12_VMALL + SYNC) before anything may reuse it.
 *
 * Range vs whole-tag (arm_smmu_inv_size_too_big): with RIL, range commands
 * (TG/NUM/SCALE, TTL for leaves) of any size; without RIL one command per
 * granule until size >= (granule/8) * granule, then one whole-ASID/VMID
 * command. Batches: a full batch of 64 is published without a SYNC (63 +
 * SYNC with MMU-700's ARM_SMMU_OPT_CMDQ_FORCE_SYNC).
 */
#include "arm_smmu_v3_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* The static domains hold no state: shared by every SMMU and by every
 * kernel in the process, so they are const (no global mutable state); the
 * interface hands out non-const pointers that nothing writes through. */
static const struct arm_smmu_domain blocked_domain = {.kind = ARM_SMMU_DOMAIN_BLOCKED,
                                                      .is_static = true};
static const struct arm_smmu_domain identity_domain = {.kind = ARM_SMMU_DOMAIN_IDENTITY,
                                                       .is_static = true};

struct arm_smmu_domain *arm_smmu_blocked_domain(void)
{
	return (struct arm_smmu_domain *)&blocked_domain;
}
struct arm_smmu_domain *arm_smmu_identity_domain(void)
{
	return (struct arm_smmu_domain *)&identity_domain;
}

enum inv_type { INV_S1_ASID, INV_S2_VMID, INV_S2_VMID_S1_CLEAR, INV_ATS, INV_ATS_FULL };

struct inv {
	uint8_t type;
	uint32_t id; /* ASID, VMID or SID */
};

static bool inv_is_ats(const struct inv *v)
{
	return v->type >= INV_ATS;
}

/* Does master m use domain d for translation (directly or as the S2 of
 * its nested domain)? */
static bool master_uses(const struct arm_smmu_master *m, const struct arm_smmu_domain *d)
{
	if (m->domain == d)
		return true;
	for (size_t i = 0; i < m->npasids; i++)
		if (m->pasids[i].domain == d)
			return true;
	return m->domain->kind == ARM_SMMU_DOMAIN_NESTED && m->domain->vsmmu->s2_parent == d;
}

static void invs_add(struct inv *v, size_t *n, size_t cap, uint8_t type, uint32_t id)
{
	for (size_t i = 0; i < *n; i++)
		if (v[i].type == type && v[i].id == id)
			return;
	if (*n < cap) {
		v[*n].type = type;
		v[*n].id = id;
		(*n)++;
	}
}

static int inv_cmp(const void *a, const void *b)
{
	const struct inv *x = a, *y = b;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The invalidation array of d; v must hold 3 + nmasters entries. */
static size_t build_invs(const struct arm_smmu_domain *d, struct inv *v, size_t cap)
{
	size_t n = 0;
	if (!d->smmu || (d->kind != ARM_SMMU_DOMAIN_S1 && d->kind != ARM_SMMU_DOMAIN_S2))
		return 0;
	const struct arm_smmu_device *smmu = d->smmu;
	for (size_t i = 0; i < smmu->nmasters; i++) {
		const struct arm_smmu_master *m = smmu->masters[i];
		if (!master_uses(m, d))
			continue;
		bool via_nested = m->domain != d;
		if (d->kind == ARM_SMMU_DOMAIN_S1) {
			invs_add(v, &n, cap, INV_S1_ASID, d->asid);
		} else {
			/* a vSMMU with its own VMID tags its masters' entries
			 * with it (the per-vSMMU series' S2_VMID_VSMMU) */
			uint32_t vmid = via_nested ? m->domain->vsmmu->vmid : d->vmid;
			invs_add(v, &n, cap, INV_S2_VMID, vmid);
			if (d->nest_parent)
				invs_add(v, &n, cap, INV_S2_VMID_S1_CLEAR, vmid);
		}
		if (m->ats_enabled)
			invs_add(v, &n, cap,
			         (d->nest_parent || via_nested) ? INV_ATS_FULL : INV_ATS,
			         m->desc.sid);
	}
	qsort(v, n, sizeof(*v), inv_cmp);
	return n;
}

static unsigned ilog2_u64(uint64_t v)
{
	unsigned r = 0;
	while (v >>= 1)
		r++;
	return r;
}

static bool inv_size_too_big(const struct arm_smmu_device *smmu, uint64_t size, uint64_t granule)
{
	if (!size || size == UINT64_MAX)
		return true; /* 0 means invalidate all */
	if (smmu->features & ARM_SMMU_FEAT_RANGE_INV)
		return false;
	/* MAX_TLBI_OPS of arch/arm64: granule/8 commands at most */
	uint64_t max_ops = 1ull << (ilog2_u64(granule) - 3);
	return size >= max_ops * granule;
}

/* arm_smmu_cmdq_batch_add_range: TLBI_NH_VA (S1) or TLBI_S2_IPA (S2). */
static void batch_add_range(struct arm_smmu_device *smmu, struct arm_smmu_cmdq_batch *b, bool s2,
                            uint32_t id, uint64_t iova, uint64_t size, uint64_t granule, bool leaf,
                            struct kcall *c)
{
	const unsigned tg = 12; /* log2 of the smallest page of the domain */
	uint64_t end = iova + size, num_pages = 0, inv_range = granule;
	struct smmu_cmd_range r = {.leaf = leaf};
	bool ril = (smmu->features & ARM_SMMU_FEAT_RANGE_INV) != 0;
	if (!size)
		return;
	if (ril) {
		num_pages = size >> tg;
		r.tg = (uint8_t)((tg - 10) / 2);
		/* TTL: the level of the leaves; non-leaf walks leave it 0 and
		 * avoid the reserved NUM=SCALE=TTL=0 encoding. */
		if (leaf)
			r.ttl = (uint8_t)(4 - ((ilog2_u64(granule) - 3) / (tg - 3)));
		else if ((num_pages & 31) == 1)
			num_pages++;
	}
	while (iova < end) {
		if (ril) {
			if (!num_pages)
				break;
			unsigned scale = (unsigned)__builtin_ctzll(num_pages);
			uint64_t num = (num_pages >> scale) & 31;
			r.scale = (uint8_t)scale;
			r.num = (uint8_t)(num - 1);
			inv_range = num << (scale + tg);
			num_pages -= num << scale;
		}
		uint64_t cmd[2];
		if (s2)
			smmu_cmd_tlbi_s2_ipa(cmd, (uint16_t)id, iova, &r);
		else
			smmu_cmd_tlbi_nh_va(cmd, 0, (uint16_t)id, iova, &r);
		arm_smmu_cmdq_batch_add(smmu, b, cmd, c);
		iova += inv_range;
	}
}

/* arm_smmu_atc_inv_to_cmd (SSID 0 / IOMMU_NO_PASID). */
static void atc_inv_cmd(uint64_t cmd[2], uint32_t sid, uint64_t iova, uint64_t size)
{
	if (!size) {
		smmu_cmd_atc_inv(cmd, sid, false, 0, false, 0, 52); /* ATC_INV_SIZE_ALL */
		return;
	}
	uint64_t page_start = iova >> 12, page_end = (iova + size - 1) >> 12;
	unsigned log2_span = page_start == page_end ? 0 : ilog2_u64(page_start ^ page_end) + 1;
	uint64_t span_mask = (1ull << log2_span) - 1;
	page_start &= ~span_mask;
	smmu_cmd_atc_inv(cmd, sid, false, 0, false, page_start << 12, log2_span);
}

void arm_smmu_domain_inv_range(struct arm_smmu_domain *d, uint64_t iova, uint64_t size,
                               uint64_t granule, bool leaf, struct kcall *c)
{
	struct arm_smmu_device *smmu = d->smmu;
	if (!smmu || smmu->env->debug_bug == SHIM_BUG_SKIP_TLBI)
		return;
	size_t cap = 3 + smmu->nmasters;
	struct inv *v = calloc(cap, sizeof(*v));
	if (!v)
		return;
	size_t n = build_invs(d, v, cap);
	if (smmu->env->debug_bug == SHIM_BUG_WRONG_VMID)
		for (size_t i = 0; i < n; i++)
			if (v[i].type == INV_S2_VMID || v[i].type == INV_S2_VMID_S1_CLEAR)
				v[i].id = (v[i].id + 1) & ((1u << smmu->vmid_bits) - 1);
	struct arm_smmu_cmdq_batch *b = calloc(1, sizeof(*b));
	if (!b) {
		free(v);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct inv *cur = &v[i];
		uint64_t cmd[2];
		switch (cur->type) {
		case INV_S1_ASID:
			if (inv_size_too_big(smmu, size, granule)) {
				smmu_cmd_tlbi_nh_asid(cmd, 0, (uint16_t)cur->id);
				arm_smmu_cmdq_batch_add(smmu, b, cmd, c);
			} else {
				batch_add_range(smmu, b, false, cur->id, iova, size, granule, leaf,
				                c);
			}
			break;
		case INV_S2_VMID:
			if (inv_size_too_big(smmu, size, granule)) {
				smmu_cmd_tlbi_s12_vmall(cmd, (uint16_t)cur->id);
				arm_smmu_cmdq_batch_add(smmu, b, cmd, c);
			} else {
				batch_add_range(smmu, b, true, cur->id, iova, size, granule, leaf,
				                c);
			}
			break;
		case INV_S2_VMID_S1_CLEAR:
			/* TLBI_S12_VMALL already flushed the S1 entries */
			if (!inv_size_too_big(smmu, size, granule)) {
				smmu_cmd_tlbi_nh_all(cmd, (uint16_t)cur->id);
				arm_smmu_cmdq_batch_add(smmu, b, cmd, c);
			}
			break;
		case INV_ATS:
			atc_inv_cmd(cmd, cur->id, iova, size);
			arm_smmu_cmdq_batch_add(smmu, b, cmd, c);
			break;
		case INV_ATS_FULL:
			atc_inv_cmd(cmd, cur->id, 0, 0);
			arm_smmu_cmdq_batch_add(smmu, b, cmd, c);
			break;
		}
		const struct inv *next = i + 1 < n ? &v[i + 1] : NULL;
		bool end =
		    !next ||
		    (cur->type != INV_S2_VMID_S1_CLEAR && next->type == INV_S2_VMID_S1_CLEAR) ||
		    (!inv_is_ats(cur) && inv_is_ats(next));
		if (b->num && end)
			arm_smmu_cmdq_batch_submit(smmu, b, c);
	}
	free(b);
	free(v);
}

/* arm_smmu_inv_flush_iotlb_tag for a tag whose last user on the SMMU left. */
static void flush_tag_if_unused(struct arm_smmu_domain *d, struct kcall *c)
{
	if (!d || d->is_static || d->kind == ARM_SMMU_DOMAIN_NESTED || !d->smmu ||
	    d->smmu->env->debug_bug == SHIM_BUG_EARLY_VMID_REUSE)
		return;
	struct arm_smmu_device *smmu = d->smmu;
	for (size_t i = 0; i < smmu->nmasters; i++)
		if (master_uses(smmu->masters[i], d))
			return;
	uint64_t cmd[2];
	if (d->kind == ARM_SMMU_DOMAIN_S1)
		smmu_cmd_tlbi_nh_asid(cmd, 0, (uint16_t)d->asid);
	else
		smmu_cmd_tlbi_s12_vmall(cmd, (uint16_t)d->vmid); /* covers S2_VMID_S1_CLEAR */
	arm_smmu_cmdq_issue_cmd(smmu, cmd, true, c);
}

/* arm_smmu_atc_inv_master: whole ATC of the master, then SYNC. */
static void atc_inv_master(struct arm_smmu_master *m, struct kcall *c)
{
	uint64_t cmd[2];
	atc_inv_cmd(cmd, m->desc.sid, 0, 0);
	arm_smmu_cmdq_issue_cmd(m->smmu, cmd, true, c);
}

/* ---- ID allocators ---- */

static bool bit_test(const uint8_t *map, uint32_t i)
{
	return map[i / 8] & (1u << (i % 8));
}
static void bit_set(uint8_t *map, uint32_t i)
{
	map[i / 8] |= (uint8_t)(1u << (i % 8));
}
static void bit_clear(uint8_t *map, uint32_t i)
{
	map[i / 8] &= (uint8_t) ~(1u << (i % 8));
}

/* Lowest free ID in [1, max]: xa_alloc / ida_alloc_range both hand out the
 * lowest free index. */
static int id_alloc(uint8_t *map, uint32_t max, uint32_t *id)
{
	for (uint32_t i = 1; i <= max; i++) {
		if (!bit_test(map, i)) {
			bit_set(map, i);
			*id = i;
			return 0;
		}
	}
	return -1;
}

/* ---- domains ---- */

static void tlb_flush_walk(void *cookie, uint64_t iova, uint64_t size, uint64_t granule,
                           struct kcall *c)
{
	arm_smmu_domain_inv_range(cookie, iova, size, granule, false, c);
}

/* iommu_iotlb_gather_add_page: a page of another size, or not adjacent to
 * the gathered range, syncs what was gathered first. */
static void tlb_add_page(void *cookie, void *gather, uint64_t iova, uint64_t granule,
                         struct kcall *c)
{
	struct arm_smmu_gather *g = gather;
	if (g->queued)
		return;
	uint64_t end = iova + granule - 1;
	bool disjoint = g->end != 0 && (end + 1 < g->start || iova > g->end + 1);
	if ((g->pgsize && g->pgsize != granule) || disjoint)
		arm_smmu_iotlb_sync(cookie, g, c);
	g->pgsize = granule;
	if (iova < g->start)
		g->start = iova;
	if (end > g->end)
		g->end = end;
}

int arm_smmu_domain_alloc_paging(struct arm_smmu_master *for_master, uint32_t flags,
                                 struct kcall *c, struct arm_smmu_domain **out)
{
	return arm_smmu_domain_alloc_paging_req(for_master, flags, NULL, c, out);
}

int arm_smmu_domain_alloc_paging_req(struct arm_smmu_master *for_master, uint32_t flags,
                                     const struct arm_smmu_vmid_req *req, struct kcall *c,
                                     struct arm_smmu_domain **out)
{
	if (!for_master || !out)
		return -EINVAL;
	struct arm_smmu_device *smmu = for_master->smmu;
	const uint32_t known =
	    ARM_SMMU_ALLOC_NEST_PARENT | ARM_SMMU_ALLOC_DIRTY_TRACKING | ARM_SMMU_ALLOC_PASID;
	if (flags & ~known)
		return -EOPNOTSUPP;
	enum arm_smmu_domain_kind kind;
	bool parent = false;
	switch (flags) {
	case 0:
		kind = (smmu->features & ARM_SMMU_FEAT_TRANS_S1) ? ARM_SMMU_DOMAIN_S1
		                                                 : ARM_SMMU_DOMAIN_S2;
		break;
	case ARM_SMMU_ALLOC_NEST_PARENT:
		if (!(smmu->features & ARM_SMMU_FEAT_NESTING))
			return -EOPNOTSUPP;
		kind = ARM_SMMU_DOMAIN_S2;
		parent = true;
		break;
	case ARM_SMMU_ALLOC_PASID:
	case ARM_SMMU_ALLOC_DIRTY_TRACKING:
	case ARM_SMMU_ALLOC_DIRTY_TRACKING | ARM_SMMU_ALLOC_PASID:
		if (!(smmu->features & ARM_SMMU_FEAT_TRANS_S1))
			return -EOPNOTSUPP;
		kind = ARM_SMMU_DOMAIN_S1;
		break;
	default:
		return -EOPNOTSUPP;
	}
	/* iommufd checked IOMMU_CAP_DIRTY_TRACKING (arm_smmu_dbm_capable) */
	if ((flags & ARM_SMMU_ALLOC_DIRTY_TRACKING) && !arm_smmu_dbm_capable(smmu))
		return -EOPNOTSUPP;
	struct arm_smmu_domain *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->kind = kind;
	d->nest_parent = parent;
	d->smmu = smmu;
	unsigned ias, oas;
	if (kind == ARM_SMMU_DOMAIN_S1) {
		ias = 48; /* min(48 (no VAX), VA_BITS 48) */
		oas = smmu->ias;
	} else {
		ias = smmu->ias;
		oas = smmu->oas;
	}
	const struct io_pgtable_tlb tlb = {tlb_flush_walk, tlb_add_page, d};
	int rc = io_pgtable_arm_alloc(smmu->env, kind == ARM_SMMU_DOMAIN_S2, ias, oas,
	                              (smmu->features & ARM_SMMU_FEAT_COHERENCY) != 0,
	                              !smmu->env->io_pgtable_nosplit, &tlb, c, &d->pgtbl);
	if (rc) {
		free(d);
		return rc;
	}
	if (flags & ARM_SMMU_ALLOC_DIRTY_TRACKING) {
		/* IO_PGTABLE_QUIRK_ARM_HD, and domain->dirty_ops */
		io_pgtable_arm_set_hd(d->pgtbl);
		d->dirty = true;
	}
	if (kind == ARM_SMMU_DOMAIN_S1) {
		/* xa_alloc over the global ASID space: -EBUSY when full */
		if (id_alloc(smmu->shared->asid_map, (1u << smmu->asid_bits) - 1, &d->asid))
			rc = -EBUSY;
	} else {
		/* policy.vmid (arm_smmu_v3_vmid.c); mainline: ida_alloc_range(1,
		 * 2^vmid_bits - 1), VMID 0 being for bypass STEs */
		rc = arm_smmu_vmid_get(smmu, req, parent, parent ? "nest-parent" : "s2", c,
		                       &d->vmid_user);
		if (!rc) {
			d->vmid = d->vmid_user->vmid;
			d->vmid_user->domain = d;
		}
	}
	if (rc) {
		io_pgtable_arm_free(d->pgtbl);
		free(d);
		return rc;
	}
	*out = d;
	return 0;
}

void arm_smmu_domain_free(struct arm_smmu_domain *d, struct kcall *c)
{
	if (!d || d->is_static)
		return;
	if (d->smmu)
		for (size_t i = 0; i < d->smmu->nmasters; i++)
			assert(!master_uses(d->smmu->masters[i], d) && "domain still attached");
	if (d->kind == ARM_SMMU_DOMAIN_S1)
		bit_clear(d->smmu->shared->asid_map, d->asid);
	else if (d->kind == ARM_SMMU_DOMAIN_S2 && d->vmid_user)
		arm_smmu_vmid_put(d->vmid_user, c);
	io_pgtable_arm_free(d->pgtbl);
	free(d);
}

enum arm_smmu_domain_kind arm_smmu_domain_kind(const struct arm_smmu_domain *d)
{
	return d->kind;
}
bool arm_smmu_domain_nest_parent(const struct arm_smmu_domain *d)
{
	return d->nest_parent;
}
uint32_t arm_smmu_domain_asid(const struct arm_smmu_domain *d)
{
	return d->kind == ARM_SMMU_DOMAIN_S1 ? d->asid : 0;
}
uint32_t arm_smmu_domain_vmid(const struct arm_smmu_domain *d)
{
	if (d->kind == ARM_SMMU_DOMAIN_S2)
		return d->vmid;
	if (d->kind == ARM_SMMU_DOMAIN_NESTED)
		return d->vsmmu->vmid;
	return 0;
}
uint64_t arm_smmu_domain_pgsize_bitmap(const struct arm_smmu_domain *d)
{
	if (!d->pgtbl)
		return 0;
	return io_pgtable_arm_pgsize_bitmap(d->pgtbl) & d->smmu->pgsize_bitmap;
}
uint64_t arm_smmu_domain_aperture_end(const struct arm_smmu_domain *d)
{
	if (!d->pgtbl)
		return 0;
	return (1ull << io_pgtable_arm_ias(d->pgtbl)) - 1;
}

bool arm_smmu_domain_enforce_cc(struct arm_smmu_domain *d)
{
	if (!d->smmu)
		return false;
	for (size_t i = 0; i < d->smmu->nmasters; i++) {
		const struct arm_smmu_master *m = d->smmu->masters[i];
		if (master_uses(m, d) && !m->desc.canwbs)
			return false;
	}
	d->enforce_cc = true;
	return true;
}

/* ---- attach ---- */

static bool ats_supported(const struct arm_smmu_master *m)
{
	return m->desc.ats && (m->smmu->features & ARM_SMMU_FEAT_ATS);
}

/* arm_smmu_attach_commit: ATS state change and removal from the old domain. */
static void attach_commit(struct arm_smmu_master *m, struct arm_smmu_domain *old, bool ats,
                          struct kcall *c)
{
	if (ats && !m->ats_enabled)
		atc_inv_master(m, c); /* flush the ATC before enabling ATS */
	else if (ats && m->ats_enabled)
		atc_inv_master(m, c); /* the translation changed */
	else if (!ats && m->ats_enabled)
		atc_inv_master(m, c); /* ATS switched off: whole ATC */
	m->ats_enabled = ats;
	if (old && old != m->domain) {
		if (old->kind == ARM_SMMU_DOMAIN_NESTED)
			flush_tag_if_unused(old->vsmmu->s2_parent, c);
		else
			flush_tag_if_unused(old, c);
	}
}

int arm_smmu_attach_dev(struct arm_smmu_domain *d, struct arm_smmu_master *m, struct kcall *c)
{
	if (!d || !m || !c)
		return -EINVAL;
	struct arm_smmu_device *smmu = m->smmu;
	struct arm_smmu_domain *old = m->domain;
	uint64_t ste[8], cd[8];
	bool ats = false;
	int rc;

	switch (d->kind) {
	case ARM_SMMU_DOMAIN_BLOCKED:
	case ARM_SMMU_DOMAIN_IDENTITY:
		if (m->npasids) {
			/* arm_smmu_attach_dev_ste: the CD table stays for the
			 * PASIDs; substream-less traffic follows S1DSS */
			arm_smmu_make_cdtable_ste(ste, m, m->ats_enabled,
			                          d->kind == ARM_SMMU_DOMAIN_BLOCKED
			                              ? STE_1_S1DSS_TERMINATE
			                              : STE_1_S1DSS_BYPASS);
			ats = m->ats_enabled;
		} else if (d->kind == ARM_SMMU_DOMAIN_BLOCKED) {
			arm_smmu_make_abort_ste(ste);
		} else {
			arm_smmu_make_bypass_ste(smmu, ste);
		}
		arm_smmu_install_ste_for_dev(m, ste, c);
		m->domain = d;
		m->vmaster = NULL;
		attach_commit(m, old, ats, c);
		arm_smmu_clear_cd0(m, c);
		return 0;
	case ARM_SMMU_DOMAIN_S1:
	case ARM_SMMU_DOMAIN_S2:
		if (d->smmu != smmu)
			return -EINVAL;
		if (d->enforce_cc && !m->desc.canwbs)
			return -EINVAL;
		/* a stage-2 STE has no CD table for the PASIDs */
		if (d->kind == ARM_SMMU_DOMAIN_S2 && m->npasids)
			return -EBUSY;
		ats = ats_supported(m);
		if (d->kind == ARM_SMMU_DOMAIN_S1) {
			arm_smmu_make_s1_cd(cd, m, d);
			rc = arm_smmu_write_cd0(m, cd, c);
			if (rc)
				return rc;
			m->domain = d;
			arm_smmu_make_cdtable_ste(ste, m, ats, STE_1_S1DSS_SSID0);
			arm_smmu_install_ste_for_dev(m, ste, c);
		} else {
			m->domain = d;
			arm_smmu_make_s2_domain_ste(ste, m, d, ats);
			arm_smmu_install_ste_for_dev(m, ste, c);
			arm_smmu_clear_cd0(m, c);
		}
		m->vmaster = NULL;
		attach_commit(m, old, ats, c);
		return 0;
	case ARM_SMMU_DOMAIN_NESTED: {
		if (d->vsmmu->smmu != smmu)
			return -EINVAL;
		if (m->npasids)
			return -EBUSY;
		uint64_t vsid = 0;
		bool has_vsid = arm_vsmmu_lookup_vsid(d->vsmmu, m, &vsid);
		unsigned cfg = (unsigned)((d->vste[0] & STE_0_CFG) >> STE_0_CFG_SHIFT);
		if ((d->vste[0] & STE_0_V) && cfg == SMMU_STE_CONFIG_S1 && !has_vsid)
			return -ENOENT;
		/* The VM owns ATS: follow the vSTE's EATS. */
		ats = d->enable_ats && ats_supported(m);
		arm_smmu_make_nested_domain_ste(ste, m, d, ats);
		m->domain = d;
		arm_smmu_install_ste_for_dev(m, ste, c);
		m->vmaster = has_vsid ? d->vsmmu : NULL;
		attach_commit(m, old, ats, c);
		return 0;
	}
	}
	return -EINVAL;
}

/* ---- PASIDs ---- */

static struct arm_smmu_pasid_att *pasid_find(const struct arm_smmu_master *m, uint32_t pasid)
{
	for (size_t i = 0; i < m->npasids; i++)
		if (m->pasids[i].pasid == pasid)
			return &m->pasids[i];
	return NULL;
}

struct arm_smmu_domain *arm_smmu_master_pasid_domain(const struct arm_smmu_master *m,
                                                     uint32_t pasid)
{
	const struct arm_smmu_pasid_att *a = m ? pasid_find(m, pasid) : NULL;
	return a ? a->domain : NULL;
}

size_t arm_smmu_master_npasids(const struct arm_smmu_master *m)
{
	return m ? m->npasids : 0;
}

int arm_smmu_set_dev_pasid(struct arm_smmu_domain *d, struct arm_smmu_master *m, uint32_t pasid,
                           struct kcall *c)
{
	if (!d || !m || !c || !pasid)
		return -EINVAL;
	/* arm_smmu_s1_set_dev_pasid / arm_smmu_set_pasid */
	if (d->kind != ARM_SMMU_DOMAIN_S1 || d->smmu != m->smmu)
		return -EINVAL;
	enum arm_smmu_domain_kind rid = m->domain->kind;
	if (rid != ARM_SMMU_DOMAIN_S1 && rid != ARM_SMMU_DOMAIN_BLOCKED &&
	    rid != ARM_SMMU_DOMAIN_IDENTITY)
		return -EINVAL; /* !cd_table.in_ste under a stage-2 or nested RID */
	struct arm_smmu_pasid_att *a = pasid_find(m, pasid);
	if (!a && m->npasids == m->cappasids) {
		size_t nc = m->cappasids ? 2 * m->cappasids : 4;
		struct arm_smmu_pasid_att *n = realloc(m->pasids, nc * sizeof(*n));
		if (!n)
			return -ENOMEM;
		m->pasids = n;
		m->cappasids = nc;
	}
	uint64_t cd[8], ste[8];
	arm_smmu_make_s1_cd(cd, m, d);
	int rc = arm_smmu_write_cd(m, pasid, cd, c);
	if (rc)
		return rc;
	struct arm_smmu_domain *old = a ? a->domain : NULL;
	bool in_ste = rid == ARM_SMMU_DOMAIN_S1 || m->npasids; /* cd_table.in_ste */
	if (a) {
		a->domain = d;
	} else {
		m->pasids[m->npasids].pasid = pasid;
		m->pasids[m->npasids].domain = d;
		m->npasids++;
	}
	/* arm_smmu_update_ste: nothing to do when the CD table is already in
	 * the STE (a stage-1 RID, or earlier PASIDs) */
	if (!in_ste) {
		arm_smmu_make_cdtable_ste(ste, m, m->ats_enabled,
		                          rid == ARM_SMMU_DOMAIN_BLOCKED ? STE_1_S1DSS_TERMINATE
		                                                         : STE_1_S1DSS_BYPASS);
		arm_smmu_install_ste_for_dev(m, ste, c);
	}
	if (m->ats_enabled)
		atc_inv_master(m, c);
	if (old && old != d)
		flush_tag_if_unused(old, c);
	return 0;
}

void arm_smmu_remove_dev_pasid(struct arm_smmu_master *m, uint32_t pasid, struct kcall *c)
{
	struct arm_smmu_pasid_att *a = m ? pasid_find(m, pasid) : NULL;
	if (!a)
		return;
	struct arm_smmu_domain *old = a->domain;
	arm_smmu_clear_cd(m, pasid, c);
	if (m->ats_enabled)
		atc_inv_master(m, c);
	*a = m->pasids[--m->npasids];
	flush_tag_if_unused(old, c);
	/* the last user of the CD table: a blocked or identity RID gets its
	 * plain STE back (re-attaching the sid_domain) */
	enum arm_smmu_domain_kind rid = m->domain->kind;
	if (!m->npasids && (rid == ARM_SMMU_DOMAIN_BLOCKED || rid == ARM_SMMU_DOMAIN_IDENTITY))
		arm_smmu_attach_dev(m->domain, m, c);
}

void arm_smmu_reinstall_ste(struct arm_smmu_master *m, struct kcall *c)
{
	uint64_t ste[8];
	struct arm_smmu_domain *d = m->domain;
	if (d->kind == ARM_SMMU_DOMAIN_S2)
		arm_smmu_make_s2_domain_ste(ste, m, d, m->ats_enabled);
	else if (d->kind == ARM_SMMU_DOMAIN_NESTED)
		arm_smmu_make_nested_domain_ste(ste, m, d, m->ats_enabled);
	else
		return;
	arm_smmu_install_ste_for_dev(m, ste, c);
}

/* ---- map / unmap ---- */

static int prot_to_iopt(int prot)
{
	return ((prot & ARM_SMMU_PROT_READ) ? IOPT_PROT_READ : 0) |
	       ((prot & ARM_SMMU_PROT_WRITE) ? IOPT_PROT_WRITE : 0);
}

/*
 * ops->map_pages / ops->unmap_pages: exactly pgcount leaves of pgsize (a
 * size of the domain's bitmap). Choosing page sizes for a range is the
 * caller's (iommu_map's iommu_pgsize), so IOMMU_OPTION_HUGE_PAGES=0 can keep
 * everything at 4K.
 */
int arm_smmu_map_pages(struct arm_smmu_domain *d, uint64_t iova, uint64_t pa, uint64_t pgsize,
                       uint64_t pgcount, int prot, struct kcall *c, uint64_t *mapped)
{
	if (mapped)
		*mapped = 0;
	if (!d || !d->pgtbl || !pgsize || (pgsize & (pgsize - 1)) ||
	    !(arm_smmu_domain_pgsize_bitmap(d) & pgsize))
		return -EINVAL;
	return io_pgtable_arm_map(d->pgtbl, iova, pa, pgsize, pgcount, prot_to_iopt(prot), c,
	                          mapped);
}

void arm_smmu_pgsize(uint64_t bitmap, uint64_t iova, uint64_t pa, uint64_t len, uint64_t *pgsize,
                     uint64_t *count)
{
	uint64_t pg = 4096;
	for (int b = 63; b >= 12; b--) {
		uint64_t sz = 1ull << b;
		if ((bitmap & sz) && sz <= len && !((iova | pa) & (sz - 1))) {
			pg = sz;
			break;
		}
	}
	uint64_t n = len / pg;
	for (int b = 63; b >= 12; b--) {
		uint64_t sz = 1ull << b;
		if (!(bitmap & sz) || sz <= pg || ((iova ^ pa) & (sz - 1)))
			continue;
		uint64_t dist = sz - (iova & (sz - 1));
		if (dist / pg < n)
			n = dist / pg;
	}
	*pgsize = pg;
	*count = n;
}

uint64_t arm_smmu_unmap_pages(struct arm_smmu_domain *d, uint64_t iova, uint64_t pgsize,
                              uint64_t pgcount, struct arm_smmu_gather *g, struct kcall *c)
{
	if (!d || !d->pgtbl || !g || !pgsize || !(arm_smmu_domain_pgsize_bitmap(d) & pgsize))
		return 0;
	return io_pgtable_arm_unmap(d->pgtbl, iova, pgsize, pgcount, g, c);
}

void arm_smmu_iotlb_sync(struct arm_smmu_domain *d, struct arm_smmu_gather *g, struct kcall *c)
{
	if (!d || !g || !g->pgsize) {
		if (g)
			arm_smmu_gather_init(g);
		return;
	}
	/* copy first: add_page may re-enter through a nested sync */
	uint64_t start = g->start, size = g->end - g->start + 1, granule = g->pgsize;
	arm_smmu_gather_init(g);
	arm_smmu_domain_inv_range(d, start, size, granule, true, c);
}

void arm_smmu_flush_iotlb_all(struct arm_smmu_domain *d, struct kcall *c)
{
	if (d && d->pgtbl)
		arm_smmu_domain_inv_range(d, 0, 0, 0, false, c);
}

int arm_smmu_iova_to_phys(struct arm_smmu_domain *d, uint64_t iova, uint64_t *pa)
{
	if (!d || !d->pgtbl || !pa)
		return -ENOENT;
	return io_pgtable_arm_iova_to_phys(d->pgtbl, iova, pa);
}

/* ---- dirty tracking (arm_smmu_dirty_ops) ---- */

bool arm_smmu_dbm_capable(const struct arm_smmu_device *smmu)
{
	const uint32_t want = ARM_SMMU_FEAT_HD | ARM_SMMU_FEAT_COHERENCY;
	return smmu && (smmu->features & want) == want;
}

bool arm_smmu_domain_has_dirty_ops(const struct arm_smmu_domain *d)
{
	return d && d->dirty;
}

int arm_smmu_read_and_clear_dirty(struct arm_smmu_domain *d, uint64_t iova, uint64_t size,
                                  bool no_clear, void (*record)(void *, uint64_t, uint64_t),
                                  void *ctx, struct kcall *c)
{
	if (!d || !d->dirty || !d->pgtbl)
		return -EOPNOTSUPP;
	return io_pgtable_arm_read_and_clear_dirty(d->pgtbl, iova, size, no_clear, record, ctx, c);
}
