/*
 * arm_smmu_v3_ste.c - STEs and CDs: the target entries the driver builds
 * for each domain kind (Linux arm_smmu_make_*_ste / arm_smmu_make_s1_cd),
 * the hitless update algorithm (arm_smmu_write_entry, digest §3.5), CD
 * tables, and the STE/CD syncs (CFGI_STE / CFGI_CD + CMD_SYNC).
 *
 * The writer. Hardware reads an STE/CD with only 64-bit single-copy
 * atomicity, so moving an entry from `cur` to `target` goes through steps,
 * each followed by a sync so the SMMU has dropped any cached copy:
 *  - compute the bits each side uses (get_used) and the bits safe to change
 *    in any order (STE: MEV always; EATS_TRANS unless S1CHK or S2S take
 *    part); "unused_update" = cur with every bit cur does not use set to
 *    its target value;
 *  - 0 qwords whose used bits still differ: write everything, one sync;
 *  - 1 (critical) qword: write unused_update, sync; the critical qword,
 *    sync; the full target (clearing now-unused bits), sync;
 *  - >= 2: breaking: qword 0 := 0 (V=0), sync; qwords 1..7, sync; qword 0,
 *    sync.
 * A step that changes no qword writes and syncs nothing (entry_set). The
 * step count per transition matches Linux's KUnit table
 * (arm-smmu-v3-test.c).
 *
 * Emulated-host choices: the kernel runs at EL1 (no VHE), so FEAT_E2H is
 * never used, S1 STEs have STRW=NS-EL1 and S2VMID 0; no STALL is ever
 * enabled. SSID 0 holds the RID's stage-1 domain, SSIDs > 0 the PASIDs'
 * (arm_smmu_set_dev_pasid).
 */
#include "arm_smmu_v3_internal.h"

#include <stdlib.h>
#include <string.h>

void arm_smmu_read_entry(struct kenv *env, uint64_t pa, uint64_t e[8])
{
	for (int i = 0; i < 8; i++) {
		e[i] = 0;
		kmem_read64(env, pa + 8ull * i, &e[i]);
	}
}

/* ---- used and safe bits ---- */

void arm_smmu_get_ste_used(const uint64_t ent[8], uint64_t used[8])
{
	unsigned cfg = (unsigned)((ent[0] & STE_0_CFG) >> STE_0_CFG_SHIFT);
	memset(used, 0, 8 * sizeof(used[0]));
	used[0] = STE_0_V;
	if (!(ent[0] & STE_0_V))
		return;
	used[0] |= STE_0_CFG;
	if (cfg & 1) { /* S1 translates */
		used[0] |= STE_0_S1FMT | STE_0_S1CTXPTR | STE_0_S1CDMAX;
		used[1] |= STE_1_S1DSS | STE_1_S1CIR | STE_1_S1COR | STE_1_S1CSH | STE_1_S1STALLD |
		           STE_1_STRW | STE_1_EATS | STE_1_MEV;
		used[2] |= STE_2_S2VMID;
		/* §13.5: SHCFG applies to S1DSS=BYPASS traffic */
		if ((ent[1] & STE_1_S1DSS) == STE_1_S1DSS_BYPASS)
			used[1] |= STE_1_SHCFG;
	}
	if (cfg & 2) { /* S2 translates */
		used[1] |= STE_1_S2FWB | STE_1_EATS | STE_1_SHCFG | STE_1_MEV;
		used[2] |= STE_2_S2VMID | STE_2_VTCR | STE_2_S2AA64 | STE_2_S2ENDI | STE_2_S2PTW |
		           STE_2_S2S | STE_2_S2R;
		used[3] |= STE_3_S2TTB;
	}
	if (cfg == SMMU_STE_CONFIG_BYPASS)
		used[1] |= STE_1_SHCFG;
}

void arm_smmu_get_ste_update_safe(const uint64_t cur[8], const uint64_t target[8], uint64_t safe[8])
{
	const uint64_t s1chk = STE_1_EATS_S1CHK << STE_1_EATS_SHIFT;
	const uint64_t trans = STE_1_EATS_TRANS << STE_1_EATS_SHIFT;
	memset(safe, 0, 8 * sizeof(safe[0]));
	/* ATS is off at the PCI function while EATS changes; S1CHK or S2S
	 * would make a transient EATS value an ILLEGAL STE. */
	if (!((cur[1] | target[1]) & s1chk) && !((cur[2] | target[2]) & STE_2_S2S))
		safe[1] |= trans;
	/* MEV only coalesces fault records; software copes either way. */
	safe[1] |= STE_1_MEV;
}

void arm_smmu_get_cd_used(const uint64_t ent[8], uint64_t used[8])
{
	memset(used, 0, 8 * sizeof(used[0]));
	used[0] = CD_0_V;
	if (!(ent[0] & CD_0_V))
		return;
	for (int i = 0; i < 8; i++)
		used[i] = ~0ull;
	/* EPD0 makes T0SZ/TG0/IR0/OR0/SH0/TTB0 IGNORED */
	if (ent[0] & CD_0_TCR_EPD0) {
		used[0] &= ~(CD_0_TCR_T0SZ | CD_0_TCR_TG0 | CD_0_TCR_IRGN0 | CD_0_TCR_ORGN0 |
		             CD_0_TCR_SH0);
		used[1] &= ~CD_1_TTB0;
	}
}

/* ---- the writer ---- */

/* arm_smmu_entry_qword_diff: bit i set when qword i has used bits that must
 * change after the unused bits were updated. */
static unsigned qword_diff(bool cd, const uint64_t entry[8], const uint64_t target[8],
                           uint64_t unused_update[8])
{
	uint64_t cur_used[8], target_used[8], safe[8] = {0};
	unsigned diff = 0;
	if (cd) {
		arm_smmu_get_cd_used(entry, cur_used);
		arm_smmu_get_cd_used(target, target_used);
	} else {
		arm_smmu_get_ste_used(entry, cur_used);
		arm_smmu_get_ste_used(target, target_used);
		arm_smmu_get_ste_update_safe(entry, target, safe);
	}
	for (int i = 0; i < 8; i++) {
		/* Safe only for bits both sides use; otherwise sequenced as unused. */
		safe[i] &= target_used[i] & cur_used[i];
		cur_used[i] &= ~safe[i];
		unused_update[i] = (entry[i] & cur_used[i]) | (target[i] & ~cur_used[i]);
		if ((unused_update[i] & target_used[i]) != target[i])
			diff |= 1u << i;
	}
	return diff;
}

struct entry_step {
	arm_smmu_entry_sync_fn sync;
	void *ctx;
	uint64_t v_bit;    /* STE_0_V or CD_0_V */
	bool went_invalid; /* the SMMU was shown a V=0 entry */
};

/* entry_set: write the qwords that change, sync only if any did. */
static void entry_set(struct entry_step *st, uint64_t entry[8], const uint64_t target[8],
                      unsigned start, unsigned len)
{
	unsigned changed = 0;
	for (unsigned i = start; i < start + len; i++) {
		if (entry[i] != target[i]) {
			entry[i] = target[i];
			changed |= 1u << i;
		}
	}
	if (changed) {
		if (!(entry[0] & st->v_bit))
			st->went_invalid = true;
		st->sync(st->ctx, entry, changed);
	}
}

bool arm_smmu_write_entry(bool cd, uint64_t entry[8], const uint64_t target[8],
                          arm_smmu_entry_sync_fn sync, void *ctx)
{
	struct entry_step st = {sync, ctx, cd ? CD_0_V : STE_0_V, false};
	uint64_t unused_update[8];
	unsigned diff = qword_diff(cd, entry, target, unused_update);
	if (diff && !(diff & (diff - 1))) {
		/* One qword changes its used bits: hitless in three steps. */
		unsigned crit = (unsigned)__builtin_ctz(diff);
		unused_update[crit] = entry[crit];
		entry_set(&st, entry, unused_update, 0, 8);
		entry_set(&st, entry, target, crit, 1);
		entry_set(&st, entry, target, 0, 8);
		return !st.went_invalid; /* a CD cleared to V=0 is not hitless */
	}
	if (diff) {
		/* Breaking: V=0, fill qwords 1..7, then qword 0. */
		unused_update[0] = 0;
		entry_set(&st, entry, unused_update, 0, 1);
		entry_set(&st, entry, target, 1, 7);
		entry_set(&st, entry, target, 0, 1);
		return !st.went_invalid;
	}
	/* No used bit changes: unused bits may be written in any order. */
	entry_set(&st, entry, target, 0, 8);
	return !st.went_invalid;
}

/* The driver's sync step: store the changed qwords in DRAM (WRITE_ONCE
 * each), then CFGI_STE / CFGI_CD (leaf) + CMD_SYNC. */
struct dram_writer {
	struct arm_smmu_master *m;
	bool cd;
	uint32_t ssid; /* CD: which one */
	uint64_t pa;
	struct kcall *c;
};

static void dram_sync(void *ctx, const uint64_t entry[8], unsigned changed)
{
	struct dram_writer *w = ctx;
	struct kenv *env = w->m->smmu->env;
	for (unsigned i = 0; i < 8; i++) {
		if (changed & (1u << i)) {
			kmem_write64(env, w->pa + 8ull * i, entry[i]);
			ktime_charge(w->c, env->t.ste_qword);
		}
	}
	uint64_t cmd[2];
	if (env->debug_bug == SHIM_BUG_SKIP_CFGI)
		return;
	if (w->cd)
		smmu_cmd_cfgi_cd(cmd, w->m->desc.sid, w->ssid, true);
	else
		smmu_cmd_cfgi_ste(cmd, w->m->desc.sid, true);
	arm_smmu_cmdq_issue_cmd(w->m->smmu, cmd, true, w->c);
}

static bool write_entry_dram(struct dram_writer *w, const uint64_t target[8])
{
	uint64_t entry[8];
	arm_smmu_read_entry(w->m->smmu->env, w->pa, entry);
	return arm_smmu_write_entry(w->cd, entry, target, dram_sync, w);
}

void arm_smmu_install_ste_for_dev(struct arm_smmu_master *m, const uint64_t target[8],
                                  struct kcall *c)
{
	struct dram_writer w = {.m = m, .cd = false, .pa = m->ste_pa, .c = c};
	c->ste_writes++;
	if (write_entry_dram(&w, target))
		c->ste_hitless++;
	else
		c->ste_breaking = true;
	/* "It's likely that we'll want to use the new STE soon" */
	uint64_t cmd[2];
	smmu_cmd_prefetch_config(cmd, m->desc.sid, false, 0);
	arm_smmu_cmdq_issue_cmd(m->smmu, cmd, false, c);
	arm_smmu_vmid_count_stes(m->smmu);
}

/* ---- target entries ---- */

static void ste_fields_zero(struct smmu_ste_fields *f)
{
	memset(f, 0, sizeof(*f));
	f->size = sizeof(*f);
	f->s2_granule_shift = 12; /* encodes S2TG 00: all-zero dword 2 */
}

void arm_smmu_make_abort_ste(uint64_t ste[8])
{
	struct smmu_ste_fields f;
	ste_fields_zero(&f);
	f.v = true;
	f.config = SMMU_STE_CONFIG_ABORT;
	smmu_build_ste(&f, ste);
}

void arm_smmu_make_bypass_ste(const struct arm_smmu_device *smmu, uint64_t ste[8])
{
	struct smmu_ste_fields f;
	ste_fields_zero(&f);
	f.v = true;
	f.config = SMMU_STE_CONFIG_BYPASS;
	if (smmu->features & ARM_SMMU_FEAT_ATTR_TYPES_OVR)
		f.shcfg = STE_1_SHCFG_INCOMING;
	smmu_build_ste(&f, ste);
}

void arm_smmu_make_cdtable_ste(uint64_t ste[8], const struct arm_smmu_master *m, bool ats,
                               unsigned s1dss)
{
	const struct arm_smmu_device *smmu = m->smmu;
	struct smmu_ste_fields f;
	ste_fields_zero(&f);
	f.v = true;
	f.config = SMMU_STE_CONFIG_S1;
	f.s1fmt = m->cd.l2 ? 2 : 0;
	f.s1ctxptr = m->cd.base;
	f.s1cdmax = (uint8_t)m->cd.s1cdmax;
	f.s1dss = (uint8_t)s1dss;
	f.s1cir = f.s1cor = 1;                                     /* WBRA */
	f.s1csh = 3;                                               /* ISH */
	/* master->stall_enabled: only STALL_FORCE here (no platform device
	 * has "dma-can-stall"); otherwise stage-1 stalls are disabled */
	f.s1stalld = (smmu->features & ARM_SMMU_FEAT_STALLS) && !arm_smmu_master_stall_enabled(m);
	f.eats = ats ? STE_1_EATS_TRANS : 0;
	if ((smmu->features & ARM_SMMU_FEAT_ATTR_TYPES_OVR) && s1dss == STE_1_S1DSS_BYPASS)
		f.shcfg = STE_1_SHCFG_INCOMING;
	f.strw = 0; /* NS-EL1; S2VMID 0 is reserved for these */
	smmu_build_ste(&f, ste);
}

void arm_smmu_make_s2_domain_ste(uint64_t ste[8], const struct arm_smmu_master *m,
                                 const struct arm_smmu_domain *d, bool ats)
{
	struct io_pgtable_arm_regs r;
	io_pgtable_arm_get_regs(d->pgtbl, &r);
	arm_smmu_make_s2_ste_regs(ste, m->smmu, d->vmid, &r, ats);
}

void arm_smmu_make_s2_ste_regs(uint64_t ste[8], const struct arm_smmu_device *smmu, uint32_t vmid,
                               const struct io_pgtable_arm_regs *pr, bool ats)
{
	const struct io_pgtable_arm_regs r = *pr;
	struct smmu_ste_fields f;
	ste_fields_zero(&f);
	f.v = true;
	f.config = SMMU_STE_CONFIG_S2;
	f.eats = ats ? STE_1_EATS_TRANS : 0;
	if (smmu->features & ARM_SMMU_FEAT_ATTR_TYPES_OVR)
		f.shcfg = STE_1_SHCFG_INCOMING;
	f.s2vmid = (uint16_t)vmid;
	f.s2t0sz = r.tsz;
	f.s2sl0 = r.sl;
	f.s2ir0 = r.irgn;
	f.s2or0 = r.orgn;
	f.s2sh0 = r.sh;
	f.s2_granule_shift = 12;
	f.s2ps_bits = (uint8_t)r.oas_bits;
	f.s2aa64 = true;
	f.s2ptw = true;
	f.s2r = true;
	/* STALL_MODEL=10: stage-2 faults must stall (S2S=0 is ILLEGAL) */
	f.s2s = (smmu->features & ARM_SMMU_FEAT_STALL_FORCE) != 0;
	f.s2ttb = r.ttbr;
	smmu_build_ste(&f, ste);
}

void arm_smmu_make_nested_domain_ste(uint64_t ste[8], const struct arm_smmu_master *m,
                                     const struct arm_smmu_domain *nested, bool ats)
{
	unsigned cfg = (unsigned)((nested->vste[0] & STE_0_CFG) >> STE_0_CFG_SHIFT);
	/* A non-valid vSTE becomes an abort STE (the guest sees C_BAD_STE). */
	if (!(nested->vste[0] & STE_0_V))
		cfg = SMMU_STE_CONFIG_ABORT;
	/* The S2 of the vSMMU's parent, tagged with the vSMMU's VMID (the
	 * parent's in 7.0; its own with policy.viommu_vmid=own). */
	struct io_pgtable_arm_regs r;
	io_pgtable_arm_get_regs(nested->vsmmu->s2_parent->pgtbl, &r);
	switch (cfg) {
	case SMMU_STE_CONFIG_S1:
		arm_smmu_make_s2_ste_regs(ste, m->smmu, nested->vsmmu->vmid, &r, ats);
		ste[0] = STE_0_V | ((uint64_t)SMMU_STE_CONFIG_NESTED << STE_0_CFG_SHIFT);
		ste[0] |= nested->vste[0] & ~STE_0_CFG;
		ste[1] |= nested->vste[1];
		ste[1] |= STE_1_MEV; /* merge events: DoS mitigation on the eventq */
		break;
	case SMMU_STE_CONFIG_BYPASS:
		arm_smmu_make_s2_ste_regs(ste, m->smmu, nested->vsmmu->vmid, &r, ats);
		break;
	default:
		arm_smmu_make_abort_ste(ste);
		break;
	}
}

void arm_smmu_make_s1_cd(uint64_t cd[8], const struct arm_smmu_master *m,
                         const struct arm_smmu_domain *d)
{
	struct io_pgtable_arm_regs r;
	io_pgtable_arm_get_regs(d->pgtbl, &r);
	arm_smmu_make_s1_cd_regs(cd, d->asid, &r);
	/* CTXDESC_CD_0_S for stall-enabled masters */
	if (m && arm_smmu_master_stall_enabled(m))
		cd[0] |= 1ull << 44;
}

bool arm_smmu_master_stall_enabled(const struct arm_smmu_master *m)
{
	return m && (m->smmu->features & ARM_SMMU_FEAT_STALL_FORCE);
}

void arm_smmu_make_s1_cd_regs(uint64_t cd[8], uint32_t asid, const struct io_pgtable_arm_regs *pr)
{
	const struct io_pgtable_arm_regs r = *pr;
	struct smmu_cd_fields f;
	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	f.v = true;
	f.aa64 = true;
	f.ttb0 = r.ttbr;
	f.t0sz = r.tsz;
	f.tg0_shift = 12;
	f.ir0 = r.irgn;
	f.or0 = r.orgn;
	f.sh0 = r.sh;
	f.epd1 = true;
	f.tg1_shift = 0; /* TG1/T1SZ left 0 as Linux does: TTB1 is disabled */
	f.ips_bits = (uint8_t)r.oas_bits;
	f.r = f.a = true;
	f.aset = true; /* not shared with a CPU ASID: no broadcast TLBI */
	f.asid = (uint16_t)asid;
	/* IO_PGTABLE_QUIRK_ARM_HD: hardware Access flag and dirty state */
	f.ha = f.hd = r.hd;
	f.mair = r.mair;
	smmu_build_cd_fields(&f, cd);
}

/* ---- CD tables ---- */

static int cd_alloc_tables(struct arm_smmu_master *m)
{
	struct arm_smmu_device *smmu = m->smmu;
	struct arm_smmu_cd_table *t = &m->cd;
	unsigned bits = m->desc.ssid_bits < smmu->ssid_bits ? m->desc.ssid_bits : smmu->ssid_bits;
	/* arm_smmu_probe_device: a linear table is at most 64K (CTXDESC_LINEAR_CDMAX) */
	if (!(smmu->features & ARM_SMMU_FEAT_2_LVL_CDTAB) && bits > 10)
		bits = 10;
	uint64_t max_contexts = 1ull << bits;
	t->s1cdmax = bits;
	if (!(smmu->features & ARM_SMMU_FEAT_2_LVL_CDTAB) || max_contexts <= CTXDESC_L2_ENTRIES) {
		t->l2 = false;
		t->size = max_contexts * 64;
	} else {
		t->l2 = true;
		t->num_l1 =
		    (uint32_t)((max_contexts + CTXDESC_L2_ENTRIES - 1) / CTXDESC_L2_ENTRIES);
		t->size = 8ull * t->num_l1;
		t->l2ptr = calloc(t->num_l1, sizeof(*t->l2ptr));
		if (!t->l2ptr)
			return -ENOMEM;
	}
	uint64_t align = 4096;
	while (align < t->size)
		align <<= 1; /* size-aligned as dma_alloc_coherent gives */
	int rc = kmem_alloc(smmu->env->mem, t->size, align, &t->base);
	if (rc) {
		free(t->l2ptr);
		t->l2ptr = NULL;
		t->base = 0;
	}
	return rc;
}

void arm_smmu_free_cd_tables(struct arm_smmu_master *m)
{
	struct arm_smmu_cd_table *t = &m->cd;
	if (!t->base)
		return;
	if (t->l2) {
		for (uint32_t i = 0; i < t->num_l1; i++)
			if (t->l2ptr[i])
				kmem_free(m->smmu->env->mem, t->l2ptr[i],
				          CTXDESC_L2_ENTRIES * 64ull);
		free(t->l2ptr);
	}
	kmem_free(m->smmu->env->mem, t->base, t->size);
	memset(t, 0, sizeof(*t));
}

/* arm_smmu_alloc_cd_ptr: the CD of `ssid`, allocating the table and, with
 * two levels, the leaf table (whose L1 descriptor is then synced). */
static int cd_ptr(struct arm_smmu_master *m, uint32_t ssid, struct kcall *c, uint64_t *pa)
{
	struct arm_smmu_cd_table *t = &m->cd;
	if (!t->base) {
		int rc = cd_alloc_tables(m);
		if (rc)
			return rc;
	}
	if ((uint64_t)ssid >> t->s1cdmax)
		return -ENOMEM; /* WARN_ON(ssid >= 1 << ssid_bits): NULL */
	if (!t->l2) {
		*pa = t->base + 64ull * ssid;
		return 0;
	}
	uint32_t l1 = ssid / CTXDESC_L2_ENTRIES;
	if (!t->l2ptr[l1]) {
		int rc = kmem_alloc(m->smmu->env->mem, CTXDESC_L2_ENTRIES * 64ull,
		                    CTXDESC_L2_ENTRIES * 64ull, &t->l2ptr[l1]);
		if (rc)
			return rc;
		kmem_write64(m->smmu->env, t->base + 8ull * l1, smmu_build_l1cd(t->l2ptr[l1], true));
		ktime_charge(c, m->smmu->env->t.ste_qword);
		/* An invalid L1CD can be cached */
		uint64_t cmd[2];
		smmu_cmd_cfgi_cd(cmd, m->desc.sid, ssid, false);
		arm_smmu_cmdq_issue_cmd(m->smmu, cmd, true, c);
	}
	*pa = t->l2ptr[l1] + 64ull * (ssid % CTXDESC_L2_ENTRIES);
	return 0;
}

int arm_smmu_write_cd(struct arm_smmu_master *m, uint32_t ssid, const uint64_t target[8],
                      struct kcall *c)
{
	uint64_t pa;
	int rc = cd_ptr(m, ssid, c, &pa);
	if (rc)
		return rc;
	struct dram_writer w = {.m = m, .cd = true, .ssid = ssid, .pa = pa, .c = c};
	c->cd_writes++;
	write_entry_dram(&w, target);
	return 0;
}

int arm_smmu_write_cd0(struct arm_smmu_master *m, const uint64_t target[8], struct kcall *c)
{
	return arm_smmu_write_cd(m, 0, target, c);
}

/* arm_smmu_clear_cd: a CD that was never allocated needs nothing. */
void arm_smmu_clear_cd(struct arm_smmu_master *m, uint32_t ssid, struct kcall *c)
{
	struct arm_smmu_cd_table *t = &m->cd;
	if (!t->base || ((uint64_t)ssid >> t->s1cdmax))
		return;
	if (t->l2 && !t->l2ptr[ssid / CTXDESC_L2_ENTRIES])
		return;
	uint64_t zero[8] = {0};
	arm_smmu_write_cd(m, ssid, zero, c);
}

void arm_smmu_clear_cd0(struct arm_smmu_master *m, struct kcall *c)
{
	arm_smmu_clear_cd(m, 0, c);
}
