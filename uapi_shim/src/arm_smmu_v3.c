/*
 * arm_smmu_v3.c - the arm-smmu-v3 driver model: probe (Linux
 * arm_smmu_device_hw_probe, arm_smmu_init_structures,
 * arm_smmu_device_reset), masters (arm_smmu_probe_device /
 * arm_smmu_release_device, lazily allocated L2 stream tables), and the
 * interrupt side (event queue drain with vEVENT forwarding, GERROR).
 *
 * Everything reaches the SMMU through the host ops' MMIO and simulated
 * DRAM. Departures from Linux 7.0, all on purpose:
 *  - the emulated host kernel runs non-VHE (FEAT_E2H never set, CR2.E2H 0,
 *    NH_* TLBI opcodes), and has no firmware: no IORT RMRs, no MSI IRQs
 *    (wired lines; the GERROR/EVTQ MSI registers stay 0);
 *  - with kernel.pri_iopf (not in 7.0: the posted PRI series), Page Requests
 *    of PRI masters go to IOPF instead of being denied;
 *  - queues are capped at 2^ARM_SMMU_CMDQ_MAX_SHIFT / 2^ARM_SMMU_EVTQ_MAX_SHIFT
 *    entries (see arm_smmu_v3_internal.h);
 *  - with FEAT_BTM (IDR0.BTM and no erratum), CR2.PTM is left clear (the
 *    BTM RFC) instead of always set.
 */
#include "arm_smmu_v3_internal.h"
#include "smmu/smmu.h" /* enum smmu_irq line numbers only */

#include <stdlib.h>
#include <string.h>

/* IDR fields (§6.3.1-6.3.6) */
#define IDR0_ST_LVL(r) (((r) >> 27) & 3)
#define IDR0_STALL_MODEL(r) (((r) >> 24) & 3)
#define IDR0_TTENDIAN(r) (((r) >> 21) & 3)
#define IDR0_CD2L (1u << 19)
#define IDR0_VMID16 (1u << 18)
#define IDR0_PRI (1u << 16)
#define IDR0_SEV (1u << 14)
#define IDR0_MSI (1u << 13)
#define IDR0_ASID16 (1u << 12)
#define IDR0_ATS (1u << 10)
#define IDR0_HYP (1u << 9)
#define IDR0_HTTU(r) (((r) >> 6) & 3)
#define IDR0_BTM (1u << 5)
#define IDR0_COHACC (1u << 4)
#define IDR0_TTF(r) (((r) >> 2) & 3)
#define IDR0_S1P (1u << 1)
#define IDR0_S2P (1u << 0)
#define IDR1_TABLES_PRESET (1u << 30)
#define IDR1_QUEUES_PRESET (1u << 29)
#define IDR1_REL (1u << 28)
#define IDR1_ATTR_TYPES_OVR (1u << 27)
#define IDR1_CMDQS(r) (((r) >> 21) & 0x1f)
#define IDR1_EVTQS(r) (((r) >> 16) & 0x1f)
#define IDR1_SSIDSIZE(r) (((r) >> 6) & 0x1f)
#define IDR1_SIDSIZE(r) ((r)&0x3f)
#define IDR3_FWB (1u << 8)
#define IDR3_RIL (1u << 10)
#define IDR5_GRAN64K (1u << 6)
#define IDR5_GRAN16K (1u << 5)
#define IDR5_GRAN4K (1u << 4)
#define IDR5_OAS(r) ((r)&7)

#define IIDR_IMPLEMENTER_ARM 0x43B
#define IIDR_PRODUCTID_MMU_600 0x483
#define IIDR_PRODUCTID_MMU_700 0x487

/* CR1: queue and table walks inner-shareable write-back (ISH, WB, WB). */
#define CR1_VALUE ((1u << 0) | (1u << 2) | (3u << 4) | (1u << 6) | (1u << 8) | (3u << 10))
#define Q_BASE_RWA (1ull << 62)
#define STRTAB_BASE_RA (1ull << 62)

struct arm_smmu_master *arm_smmu_find_master(struct arm_smmu_device *smmu, uint32_t sid)
{
	for (size_t i = 0; i < smmu->nmasters; i++)
		if (smmu->masters[i]->desc.sid == sid)
			return smmu->masters[i];
	return NULL;
}

/* arm_smmu_write_reg_sync: write, then poll the ACK register until it
 * matches (bounded as Linux's 1 s readl_relaxed_poll_timeout). */
static int write_reg_sync(struct arm_smmu_device *smmu, uint32_t val, uint64_t reg, uint64_t ack,
                          struct kcall *c)
{
	arm_smmu_write32(smmu, reg, val, c);
	uint64_t start = c->t;
	for (uint32_t polls = 0; polls < ARM_SMMU_POLL_MAX; polls++) {
		if (arm_smmu_read32(smmu, ack, c) == val)
			return 0;
		if (c->t - start > ARM_SMMU_POLL_TIMEOUT_NS)
			break;
		ktime_charge(c, smmu->env->t.poll_interval);
	}
	klog(smmu->env, 0, "arm-smmu-v3.%u: timeout on register 0x%llx ack", smmu->index,
	     (unsigned long long)reg);
	return -ETIMEDOUT;
}

static unsigned oas_bits(uint32_t enc)
{
	static const unsigned bits[] = {32, 36, 40, 42, 44, 48, 52, 48};
	return bits[enc & 7];
}

/* arm_smmu_device_hw_probe + arm_smmu_device_iidr_probe */
static int hw_probe(struct arm_smmu_device *smmu, struct kcall *c)
{
	struct arm_smmu_hw_regs *r = &smmu->regs;
	static const uint64_t idr_off[6] = {SMMU_REG_IDR0, SMMU_REG_IDR1, SMMU_REG_IDR2,
	                                    SMMU_REG_IDR3, SMMU_REG_IDR4, SMMU_REG_IDR5};
	for (int i = 0; i < 6; i++)
		r->idr[i] = arm_smmu_read32(smmu, idr_off[i], c);
	r->iidr = arm_smmu_read32(smmu, SMMU_REG_IIDR, c);
	r->aidr = arm_smmu_read32(smmu, SMMU_REG_AIDR, c);

	uint32_t idr0 = r->idr[0], f = 0;
	if (IDR0_ST_LVL(idr0) == 1)
		f |= ARM_SMMU_FEAT_2_LVL_STRTAB;
	if (idr0 & IDR0_CD2L)
		f |= ARM_SMMU_FEAT_2_LVL_CDTAB;
	switch (IDR0_TTENDIAN(idr0)) {
	case 0:
		f |= ARM_SMMU_FEAT_TT_LE;
		break; /* mixed */
	case 2:
		f |= ARM_SMMU_FEAT_TT_LE;
		break;
	default:
		klog(smmu->env, 0, "arm-smmu-v3.%u: unknown/unsupported TT endianness",
		     smmu->index);
		return -ENODEV;
	}
	if (idr0 & IDR0_PRI)
		f |= ARM_SMMU_FEAT_PRI;
	if (idr0 & IDR0_ATS)
		f |= ARM_SMMU_FEAT_ATS;
	if (idr0 & IDR0_SEV)
		f |= ARM_SMMU_FEAT_SEV;
	if (idr0 & IDR0_MSI) {
		f |= ARM_SMMU_FEAT_MSI;
		if ((idr0 & IDR0_COHACC) && smmu->env->sync_msi)
			smmu->options |= ARM_SMMU_OPT_MSIPOLL;
	}
	if (idr0 & IDR0_HYP)
		f |= ARM_SMMU_FEAT_HYP;
	/* BTM needs !VHE || IDR0.HYP; the emulated host is non-VHE. */
	if (idr0 & IDR0_BTM)
		f |= ARM_SMMU_FEAT_BTM;
	if (IDR0_HTTU(idr0) >= 1)
		f |= ARM_SMMU_FEAT_HA;
	if (IDR0_HTTU(idr0) == 2)
		f |= ARM_SMMU_FEAT_HD;
	if (idr0 & IDR0_COHACC)
		f |= ARM_SMMU_FEAT_COHERENCY;
	switch (IDR0_STALL_MODEL(idr0)) {
	case 2:
		f |= ARM_SMMU_FEAT_STALL_FORCE; /* fallthrough */
	case 0:
		f |= ARM_SMMU_FEAT_STALLS;
		break;
	default:
		break;
	}
	if (idr0 & IDR0_S1P)
		f |= ARM_SMMU_FEAT_TRANS_S1;
	if (idr0 & IDR0_S2P)
		f |= ARM_SMMU_FEAT_TRANS_S2;
	if (!(idr0 & (IDR0_S1P | IDR0_S2P))) {
		klog(smmu->env, 0, "arm-smmu-v3.%u: no translation support!", smmu->index);
		return -ENODEV;
	}
	switch (IDR0_TTF(idr0)) {
	case 3:
		smmu->ias = 40;
		break; /* AArch32 and AArch64 */
	case 2:
		break;
	default:
		klog(smmu->env, 0, "arm-smmu-v3.%u: AArch64 table format not supported!",
		     smmu->index);
		return -ENODEV;
	}
	smmu->asid_bits = (idr0 & IDR0_ASID16) ? 16 : 8;
	smmu->vmid_bits = (idr0 & IDR0_VMID16) ? 16 : 8;

	uint32_t idr1 = r->idr[1];
	if (idr1 & (IDR1_TABLES_PRESET | IDR1_QUEUES_PRESET | IDR1_REL)) {
		klog(smmu->env, 0, "arm-smmu-v3.%u: embedded implementation not supported",
		     smmu->index);
		return -ENODEV;
	}
	if (idr1 & IDR1_ATTR_TYPES_OVR)
		f |= ARM_SMMU_FEAT_ATTR_TYPES_OVR;
	unsigned cmdqs = IDR1_CMDQS(idr1), evtqs = IDR1_EVTQS(idr1);
	smmu->cmdq.shift = cmdqs < ARM_SMMU_CMDQ_MAX_SHIFT ? cmdqs : ARM_SMMU_CMDQ_MAX_SHIFT;
	if ((1u << smmu->cmdq.shift) <= CMDQ_BATCH_ENTRIES) {
		klog(smmu->env, 0, "arm-smmu-v3.%u: command queue size <= %u entries not supported",
		     smmu->index, CMDQ_BATCH_ENTRIES);
		return -ENODEV;
	}
	smmu->evtq.shift = evtqs < ARM_SMMU_EVTQ_MAX_SHIFT ? evtqs : ARM_SMMU_EVTQ_MAX_SHIFT;
	unsigned priqs = (idr1 >> 11) & 0x1f;
	smmu->priq.shift = priqs < ARM_SMMU_PRIQ_MAX_SHIFT ? priqs : ARM_SMMU_PRIQ_MAX_SHIFT;
	smmu->ssid_bits = IDR1_SSIDSIZE(idr1);
	smmu->sid_bits = IDR1_SIDSIZE(idr1);
	if (smmu->sid_bits <= STRTAB_SPLIT)
		f &= ~(uint32_t)ARM_SMMU_FEAT_2_LVL_STRTAB;

	uint32_t idr3 = r->idr[3];
	if (idr3 & IDR3_RIL)
		f |= ARM_SMMU_FEAT_RANGE_INV;
	if (idr3 & IDR3_FWB)
		f |= ARM_SMMU_FEAT_S2FWB;

	uint32_t idr5 = r->idr[5];
	smmu->pgsize_bitmap = 0;
	if (idr5 & IDR5_GRAN64K)
		smmu->pgsize_bitmap |= (1ull << 16) | (1ull << 29);
	if (idr5 & IDR5_GRAN16K)
		smmu->pgsize_bitmap |= (1ull << 14) | (1ull << 25);
	if (idr5 & IDR5_GRAN4K)
		smmu->pgsize_bitmap |= (1ull << 12) | (1ull << 21) | (1ull << 30);
	if (!(idr5 & IDR5_GRAN4K)) {
		/* io-pgtable here only does 4K (the host page size) */
		klog(smmu->env, 0, "arm-smmu-v3.%u: no 4K granule", smmu->index);
		return -ENODEV;
	}
	smmu->oas = oas_bits(IDR5_OAS(idr5));
	if (smmu->oas > 48)
		smmu->oas = 48; /* no LPA/52-bit in this io-pgtable */
	if (smmu->ias < smmu->oas)
		smmu->ias = smmu->oas;

	if ((f & ARM_SMMU_FEAT_TRANS_S1) && (f & ARM_SMMU_FEAT_TRANS_S2))
		f |= ARM_SMMU_FEAT_NESTING;

	/* arm_smmu_device_iidr_probe: Arm errata */
	uint32_t iidr = r->iidr;
	if ((iidr & 0xFFF) == IIDR_IMPLEMENTER_ARM) {
		unsigned product = iidr >> 20, variant = (iidr >> 16) & 0xF,
		         rev = (iidr >> 12) & 0xF;
		if (product == IIDR_PRODUCTID_MMU_600) {
			if (variant == 0 && rev <= 2) /* erratum 1076982 */
				f &= ~(uint32_t)ARM_SMMU_FEAT_SEV;
			if (variant < 2) /* erratum 1209401 */
				f &= ~(uint32_t)ARM_SMMU_FEAT_NESTING;
		} else if (product == IIDR_PRODUCTID_MMU_700) {
			/* erratum 2812531: no BTM, never > 63 commands without SYNC */
			f &= ~(uint32_t)ARM_SMMU_FEAT_BTM;
			smmu->options |= ARM_SMMU_OPT_CMDQ_FORCE_SYNC;
			if (variant == 0 && rev == 0) /* errata 2268618, 2812531 (r0p0) */
				f &= ~(uint32_t)ARM_SMMU_FEAT_NESTING;
		}
	}
	smmu->features = f;
	return 0;
}

static uint64_t pow2_align(uint64_t size)
{
	uint64_t a = 4096;
	while (a < size)
		a <<= 1;
	return a;
}

/* arm_smmu_init_strtab_{2lvl,linear} */
static int init_strtab(struct arm_smmu_device *smmu, struct kcall *c)
{
	struct kenv *env = smmu->env;
	uint64_t abort[8];
	arm_smmu_make_abort_ste(abort);
	if (smmu->features & ARM_SMMU_FEAT_2_LVL_STRTAB) {
		uint64_t last_l1 = ((1ull << smmu->sid_bits) - 1) >> STRTAB_SPLIT;
		smmu->num_l1 = last_l1 + 1 < STRTAB_MAX_L1_ENTRIES ? (uint32_t)(last_l1 + 1)
		                                                   : STRTAB_MAX_L1_ENTRIES;
		smmu->l2 = calloc(smmu->num_l1, sizeof(*smmu->l2));
		if (!smmu->l2)
			return -ENOMEM;
		/* tables are size-aligned (dma_alloc_coherent of a power of two) */
		return kmem_alloc(env->mem, 8ull * smmu->num_l1, pow2_align(8ull * smmu->num_l1),
		                  &smmu->strtab);
	}
	uint64_t n = 1ull << smmu->sid_bits;
	int rc = kmem_alloc(env->mem, 64 * n, pow2_align(64 * n), &smmu->strtab);
	if (rc)
		return rc;
	/* arm_smmu_init_initial_stes: abort (disable_bypass) */
	for (uint64_t i = 0; i < n; i++)
		kmem_write64(env, smmu->strtab + 64 * i, abort[0]);
	ktime_charge(c, env->t.ste_qword * n);
	return 0;
}

static unsigned ilog2_u32(uint32_t v)
{
	unsigned r = 0;
	while (v >>= 1)
		r++;
	return r;
}

/* arm_smmu_device_reset */
/* An event or PRI queue: base, empty pointers, then its CR0 enable bit. */
static int queue_enable(struct arm_smmu_device *smmu, struct arm_smmu_queue *q, uint32_t base_reg,
                        uint32_t prod_reg, uint32_t cons_reg, uint32_t en, uint32_t *enables,
                        struct kcall *c)
{
	arm_smmu_write64(smmu, base_reg, Q_BASE_RWA | q->base | q->shift, c);
	arm_smmu_write32(smmu, prod_reg, 0, c);
	arm_smmu_write32(smmu, cons_reg, 0, c);
	q->prod = q->cons = 0;
	*enables |= en;
	return write_reg_sync(smmu, *enables, SMMU_REG_CR0, SMMU_REG_CR0ACK, c);
}

static int device_reset(struct arm_smmu_device *smmu, struct kcall *c)
{
	uint64_t cmd[2];
	int rc;
	if (arm_smmu_read32(smmu, SMMU_REG_CR0, c) & SMMU_CR0_SMMUEN)
		klog(smmu->env, 1, "arm-smmu-v3.%u: SMMU currently enabled! Resetting...",
		     smmu->index);
	rc = write_reg_sync(smmu, 0, SMMU_REG_CR0, SMMU_REG_CR0ACK, c);
	if (rc)
		return rc;
	arm_smmu_write32(smmu, SMMU_REG_CR1, CR1_VALUE, c);
	/* Mainline sets PTM always: the SMMU ignores broadcast TLBIs and every
	 * invalidation goes through the CMDQ. The model leaves PTM clear on an
	 * SMMU that has BTM (`smmu NAME btm=on`), as the RFC's "Enable broadcast
	 * TLB maintenance" does, whatever the VMID policy: what goes wrong when
	 * the policy does not keep KVM's and the SMMU's VMIDs apart is for the
	 * user to see (digest §5). */
	uint32_t cr2 = SMMU_CR2_RECINVSID;
	if (!(smmu->features & ARM_SMMU_FEAT_BTM))
		cr2 |= SMMU_CR2_PTM;
	arm_smmu_write32(smmu, SMMU_REG_CR2, cr2, c);

	arm_smmu_write64(smmu, SMMU_REG_STRTAB_BASE, smmu->strtab | STRTAB_BASE_RA, c);
	uint32_t cfg;
	if (smmu->features & ARM_SMMU_FEAT_2_LVL_STRTAB)
		cfg = (1u << SMMU_STRTAB_FMT_SHIFT) | (STRTAB_SPLIT << SMMU_STRTAB_SPLIT_SHIFT) |
		      (ilog2_u32(smmu->num_l1) + STRTAB_SPLIT);
	else
		cfg = smmu->sid_bits;
	arm_smmu_write32(smmu, SMMU_REG_STRTAB_BASE_CFG, cfg, c);

	arm_smmu_write64(smmu, SMMU_REG_CMDQ_BASE, Q_BASE_RWA | smmu->cmdq.base | smmu->cmdq.shift,
	                 c);
	arm_smmu_write32(smmu, SMMU_REG_CMDQ_PROD, 0, c);
	arm_smmu_write32(smmu, SMMU_REG_CMDQ_CONS, 0, c);
	smmu->cmdq.prod = smmu->cmdq.cons = 0;
	uint32_t enables = SMMU_CR0_CMDQEN;
	rc = write_reg_sync(smmu, enables, SMMU_REG_CR0, SMMU_REG_CR0ACK, c);
	if (rc)
		return rc;

	/* Invalidate any cached configuration, then any stale TLB entries */
	smmu_cmd_cfgi_all(cmd);
	arm_smmu_cmdq_issue_cmd(smmu, cmd, true, c);
	if (smmu->features & ARM_SMMU_FEAT_HYP) {
		smmu_cmd_tlbi_el2_all(cmd);
		arm_smmu_cmdq_issue_cmd(smmu, cmd, true, c);
	}
	smmu_cmd_tlbi_nsnh_all(cmd);
	arm_smmu_cmdq_issue_cmd(smmu, cmd, true, c);

	rc = queue_enable(smmu, &smmu->evtq, SMMU_REG_EVENTQ_BASE, SMMU_REG_EVENTQ_PROD,
	                  SMMU_REG_EVENTQ_CONS, SMMU_CR0_EVENTQEN, &enables, c);
	if (!rc && (smmu->features & ARM_SMMU_FEAT_PRI))
		rc = queue_enable(smmu, &smmu->priq, SMMU_REG_PRIQ_BASE, SMMU_REG_PRIQ_PROD,
		                  SMMU_REG_PRIQ_CONS, SMMU_CR0_PRIQEN, &enables, c);
	if (rc)
		return rc;
	if (smmu->features & ARM_SMMU_FEAT_ATS) {
		enables |= SMMU_CR0_ATSCHK;
		rc = write_reg_sync(smmu, enables, SMMU_REG_CR0, SMMU_REG_CR0ACK, c);
		if (rc)
			return rc;
	}
	/* arm_smmu_setup_irqs: wired lines */
	rc = write_reg_sync(smmu, 0, SMMU_REG_IRQ_CTRL, SMMU_REG_IRQ_CTRLACK, c);
	if (rc)
		return rc;
	rc = write_reg_sync(smmu,
	                    SMMU_IRQ_CTRL_GERROR_IRQEN | SMMU_IRQ_CTRL_EVENTQ_IRQEN |
	                        ((smmu->features & ARM_SMMU_FEAT_PRI) ? SMMU_IRQ_CTRL_PRIQ_IRQEN : 0),
	                    SMMU_REG_IRQ_CTRL, SMMU_REG_IRQ_CTRLACK, c);
	if (rc)
		return rc;
	enables |= SMMU_CR0_SMMUEN;
	return write_reg_sync(smmu, enables, SMMU_REG_CR0, SMMU_REG_CR0ACK, c);
}

static void shared_put(struct arm_smmu_device *smmu)
{
	struct kenv *env = smmu->env;
	struct arm_smmu_shared *sh = env->drv_shared;
	if (!sh)
		return;
	for (size_t i = 0; i < sh->nsmmus; i++)
		if (sh->smmus[i] == smmu) {
			memmove(&sh->smmus[i], &sh->smmus[i + 1],
			        (sh->nsmmus - i - 1) * sizeof(smmu));
			sh->nsmmus--;
			break;
		}
	if (--sh->refs == 0) {
		free(sh->smmus);
		free(sh->log);
		free(sh);
		env->drv_shared = NULL;
	}
}

static int shared_add(struct arm_smmu_device *smmu)
{
	struct arm_smmu_shared *sh = smmu->shared;
	if (sh->nsmmus == sh->capsmmus) {
		size_t cap = sh->capsmmus ? 2 * sh->capsmmus : 4;
		struct arm_smmu_device **n = realloc(sh->smmus, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		sh->smmus = n;
		sh->capsmmus = cap;
	}
	sh->smmus[sh->nsmmus++] = smmu;
	return 0;
}

static void device_free(struct arm_smmu_device *smmu)
{
	struct kenv *env = smmu->env;
	for (uint32_t i = 0; smmu->l2 && i < smmu->num_l1; i++)
		if (smmu->l2[i])
			kmem_free(env->mem, smmu->l2[i], 64ull << STRTAB_SPLIT);
	if (smmu->strtab)
		kmem_free(env->mem, smmu->strtab,
		          smmu->l2 ? 8ull * smmu->num_l1 : 64ull << smmu->sid_bits);
	if (smmu->cmdq.base)
		kmem_free(env->mem, smmu->cmdq.base, 16ull << smmu->cmdq.shift);
	if (smmu->evtq.base)
		kmem_free(env->mem, smmu->evtq.base, 32ull << smmu->evtq.shift);
	if (smmu->priq.base)
		kmem_free(env->mem, smmu->priq.base, 16ull << smmu->priq.shift);
	free(smmu->l2);
	free(smmu->vmid_users);
	free(smmu->vmid_users_list);
	free(smmu->vsmmus);
	free(smmu->masters);
	if (smmu->shared)
		shared_put(smmu);
	free(smmu);
}

int arm_smmu_device_probe(struct kenv *env, uint32_t index, struct kcall *c,
                          struct arm_smmu_device **out)
{
	if (!env || !c || !out)
		return -EINVAL;
	struct arm_smmu_device *smmu = calloc(1, sizeof(*smmu));
	if (!smmu)
		return -ENOMEM;
	smmu->env = env;
	smmu->index = index;
	if (!env->drv_shared) {
		env->drv_shared = calloc(1, sizeof(struct arm_smmu_shared));
		if (!env->drv_shared) {
			free(smmu);
			return -ENOMEM;
		}
	}
	smmu->shared = env->drv_shared;
	smmu->shared->refs++;
	if (shared_add(smmu)) {
		device_free(smmu);
		return -ENOMEM;
	}

	int rc = hw_probe(smmu, c);
	if (!rc)
		rc = init_strtab(smmu, c);
	if (!rc)
		rc = kmem_alloc(env->mem, 16ull << smmu->cmdq.shift,
		                pow2_align(16ull << smmu->cmdq.shift), &smmu->cmdq.base);
	if (!rc)
		rc = kmem_alloc(env->mem, 32ull << smmu->evtq.shift,
		                pow2_align(32ull << smmu->evtq.shift), &smmu->evtq.base);
	if (!rc && (smmu->features & ARM_SMMU_FEAT_PRI))
		rc = kmem_alloc(env->mem, 16ull << smmu->priq.shift,
		                pow2_align(16ull << smmu->priq.shift), &smmu->priq.base);
	if (!rc) {
		smmu->vmid_users = calloc(1u << smmu->vmid_bits, sizeof(*smmu->vmid_users));
		if (!smmu->vmid_users)
			rc = -ENOMEM;
	}
	if (!rc)
		rc = device_reset(smmu, c);
	if (rc) {
		device_free(smmu);
		return rc;
	}
	*out = smmu;
	return 0;
}

void arm_smmu_device_remove(struct arm_smmu_device *smmu)
{
	if (!smmu)
		return;
	/* arm_smmu_device_shutdown: CR0 = 0, at the time of the last access
	 * (no kcall: the time is not accounted). Domains and vSMMUs of this
	 * SMMU must be freed before. */
	smmu->env->ops->mmio_write(smmu->env->host, smmu->index, SMMU_REG_CR0, 4, 0, smmu->last_t);
	while (smmu->nmasters) {
		struct arm_smmu_master *m = smmu->masters[--smmu->nmasters];
		arm_smmu_free_cd_tables(m);
		free(m);
	}
	device_free(smmu);
}

uint32_t arm_smmu_features(const struct arm_smmu_device *smmu)
{
	return smmu->features;
}
void arm_smmu_get_hw_regs(const struct arm_smmu_device *smmu, struct arm_smmu_hw_regs *out)
{
	*out = smmu->regs;
}
uint32_t arm_smmu_index(const struct arm_smmu_device *smmu)
{
	return smmu->index;
}
unsigned arm_smmu_vmid_bits(const struct arm_smmu_device *smmu)
{
	return smmu->vmid_bits;
}
unsigned arm_smmu_asid_bits(const struct arm_smmu_device *smmu)
{
	return smmu->asid_bits;
}

unsigned arm_smmu_ssid_bits(const struct arm_smmu_device *smmu)
{
	return smmu->ssid_bits;
}

/* ---- masters ---- */

/* arm_smmu_init_l2_strtab: an L2 table of abort STEs for sid's L1 slot. */
static int init_l2_strtab(struct arm_smmu_device *smmu, uint32_t sid, struct kcall *c)
{
	struct kenv *env = smmu->env;
	uint32_t idx = sid >> STRTAB_SPLIT;
	if (smmu->l2[idx])
		return 0;
	uint64_t l2;
	/* size-aligned, as dma_alloc_coherent gives: L1STD.L2Ptr drops the
	 * low Span+5 bits */
	int rc = kmem_alloc(env->mem, 64ull << STRTAB_SPLIT, 64ull << STRTAB_SPLIT, &l2);
	if (rc)
		return rc;
	uint64_t abort[8];
	arm_smmu_make_abort_ste(abort);
	for (uint32_t i = 0; i < (1u << STRTAB_SPLIT); i++)
		kmem_write64(env, l2 + 64ull * i, abort[0]);
	ktime_charge(c, env->t.table_alloc + env->t.ste_qword * (1u << STRTAB_SPLIT));
	smmu->l2[idx] = l2;
	kmem_write64(env, smmu->strtab + 8ull * idx, smmu_build_l1std(l2, STRTAB_SPLIT + 1));
	ktime_charge(c, env->t.ste_qword);
	return 0;
}

int arm_smmu_probe_master(struct arm_smmu_device *smmu, const struct arm_smmu_master_desc *d,
                          struct kcall *c, struct arm_smmu_master **out)
{
	if (!smmu || !d || !out)
		return -EINVAL;
	/* arm_smmu_sid_in_range: the device is not probed (-ERANGE) */
	if ((smmu->sid_bits < 32 && d->sid >= (1ull << smmu->sid_bits)) ||
	    ((smmu->features & ARM_SMMU_FEAT_2_LVL_STRTAB) &&
	     (d->sid >> STRTAB_SPLIT) >= smmu->num_l1)) {
		klog(smmu->env, 0,
		     "arm-smmu-v3.%u: StreamID 0x%x is out of range of this SMMU's stream table "
		     "(SIDSIZE %u): the device is not probed (-ERANGE)",
		     smmu->index, d->sid, smmu->sid_bits);
		return -ERANGE;
	}
	if (arm_smmu_find_master(smmu, d->sid))
		return -EEXIST;
	if (smmu->nmasters == smmu->cap_masters) {
		size_t nc = smmu->cap_masters ? 2 * smmu->cap_masters : 8;
		struct arm_smmu_master **n = realloc(smmu->masters, nc * sizeof(*n));
		if (!n)
			return -ENOMEM;
		smmu->masters = n;
		smmu->cap_masters = nc;
	}
	struct arm_smmu_master *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->smmu = smmu;
	m->desc = *d;
	if (smmu->features & ARM_SMMU_FEAT_2_LVL_STRTAB) {
		int rc = init_l2_strtab(smmu, d->sid, c);
		if (rc) {
			free(m);
			return rc;
		}
		m->ste_pa = smmu->l2[d->sid >> STRTAB_SPLIT] +
		            64ull * (d->sid & ((1u << STRTAB_SPLIT) - 1));
	} else {
		m->ste_pa = smmu->strtab + 64ull * d->sid;
	}
	m->domain = arm_smmu_blocked_domain(); /* the STE is the abort STE of init */
	smmu->masters[smmu->nmasters++] = m;
	*out = m;
	return 0;
}

void arm_smmu_release_master(struct arm_smmu_master *m, struct kcall *c)
{
	if (!m)
		return;
	struct arm_smmu_device *smmu = m->smmu;
	/* The core moves the device to its release (blocked) domain first;
	 * "Put the STE back to what arm_smmu_init_strtab() sets". */
	while (m->npasids)
		arm_smmu_remove_dev_pasid(m, m->pasids[0].pasid, c);
	arm_smmu_attach_dev(arm_smmu_blocked_domain(), m, c);
	if (m->vdev_vsmmu)
		arm_vsmmu_vdevice_unset(m->vdev_vsmmu, m);
	arm_smmu_free_cd_tables(m);
	free(m->pasids);
	for (size_t i = 0; i < smmu->nmasters; i++) {
		if (smmu->masters[i] == m) {
			smmu->masters[i] = smmu->masters[--smmu->nmasters];
			break;
		}
	}
	free(m);
}

struct arm_smmu_device *arm_smmu_master_smmu(const struct arm_smmu_master *m)
{
	return m->smmu;
}
uint32_t arm_smmu_master_sid(const struct arm_smmu_master *m)
{
	return m->desc.sid;
}
struct arm_smmu_domain *arm_smmu_master_domain(const struct arm_smmu_master *m)
{
	return m->domain;
}
void arm_smmu_master_ste(const struct arm_smmu_master *m, uint64_t ste[8])
{
	arm_smmu_read_entry(m->smmu->env, m->ste_pa, ste);
}
void arm_smmu_master_set_priv(struct arm_smmu_master *m, void *priv)
{
	m->priv = priv;
}
void *arm_smmu_master_priv(const struct arm_smmu_master *m)
{
	return m->priv;
}

/* ---- interrupts ---- */

void arm_smmu_set_vevent_handler(struct arm_smmu_device *smmu, arm_smmu_vevent_fn fn, void *ctx)
{
	smmu->vevent = fn;
	smmu->vevent_ctx = ctx;
}

/* arm_smmu_handle_event: true if consumed (forwarded to a vIOMMU). */
static bool handle_event(struct arm_smmu_device *smmu, const uint64_t *evt, struct kcall *c)
{
	unsigned id = (unsigned)(evt[0] & EVT_0_ID);
	switch (id) {
	case SMMU_EVT_C_BAD_STE:
	case SMMU_EVT_F_STREAM_DISABLED:
	case SMMU_EVT_C_BAD_SUBSTREAMID:
	case SMMU_EVT_C_BAD_CD:
	case SMMU_EVT_F_TRANSLATION:
	case SMMU_EVT_F_ADDR_SIZE:
	case SMMU_EVT_F_ACCESS:
	case SMMU_EVT_F_PERMISSION:
		break;
	default:
		return false;
	}
	struct arm_smmu_master *m = arm_smmu_find_master(smmu, (uint32_t)(evt[0] >> 32));
	if (evt[1] & (1ull << 31)) {
		/* A stalled transaction: reported to IOPF (arm_smmu_handle_event
		 * -> iommu_report_device_fault), which queues it for the fault
		 * handler of the attached domain or answers Invalid itself (a
		 * CMD_RESUME that aborts). */
		if (m && arm_smmu_master_stall_enabled(m) && smmu->iopf) {
			struct arm_smmu_iopf f = {0};
			f.flags = 2; /* LAST_PAGE */
			f.grpid = (uint32_t)(evt[1] & 0xffff);
			f.perm = (evt[1] & (1ull << 35)) ? 1u : 2u; /* RnW: READ, else WRITE */
			if (evt[1] & (1ull << 34))
				f.perm |= 4; /* InD: EXEC */
			if (evt[1] & (1ull << 33))
				f.perm |= 8; /* PnU: PRIV */
			f.addr = evt[2];
			if (evt[0] & (1ull << 11)) {
				f.flags |= 1;
				f.pasid = (uint32_t)((evt[0] >> 12) & 0xFFFFF);
			}
			return smmu->iopf(smmu->iopf_ctx, m, &f, c) == 0;
		}
		/* No master ("Nobody cared, abort the access"): a CMD_RESUME
		 * that aborts. */
		uint64_t cmd[2];
		smmu_cmd_resume(cmd, (uint32_t)(evt[0] >> 32), (uint16_t)(evt[1] & 0xffff), false,
		                true);
		arm_smmu_cmdq_issue_cmd(smmu, cmd, false, c);
		return false;
	}
	if (!m || !m->vmaster || (evt[1] & EVT_1_S2))
		return false; /* stage-2 faults stay with the host */
	uint64_t vsid = 0;
	if (!arm_vsmmu_lookup_vsid(m->vmaster, m, &vsid) || !smmu->vevent)
		return false;
	/* arm_vmaster_report_event: the StreamID becomes the vSID */
	uint64_t vevt[4] = {evt[0], evt[1], evt[2], evt[3]};
	vevt[0] = (vevt[0] & ~EVT_0_SID) | ((vsid << 32) & EVT_0_SID);
	smmu->vevent(smmu->vevent_ctx, m->vmaster, m, vevt);
	return true;
}

/* One event record: handled (forwarded, or taken by IOPF), else logged. */
static void evtq_one(struct arm_smmu_device *smmu, const uint64_t *evt, struct kcall *c)
{
	if (!handle_event(smmu, evt, c))
		klog(smmu->env, 2, "arm-smmu-v3.%u: event 0x%02x received (sid 0x%x)", smmu->index,
		     (unsigned)(evt[0] & 0xff), (unsigned)(evt[0] >> 32));
}

/* The queue threads (arm_smmu_evtq_thread, arm_smmu_priq_thread): read PROD,
 * report an overflow, hand every record from CONS to PROD to `one` and move
 * CONS past it, until PROD stops moving; then queue_sync_cons_ovf (we
 * believe we are up to speed). */
static void queue_drain(struct arm_smmu_device *smmu, struct arm_smmu_queue *q, uint32_t prod_reg,
                        uint32_t cons_reg, unsigned dwords, const char *lost,
                        void (*one)(struct arm_smmu_device *, const uint64_t *, struct kcall *),
                        struct kcall *c)
{
	uint32_t qmask = (2u << q->shift) - 1, imask = (1u << q->shift) - 1;
	for (unsigned rounds = 0; rounds < 4; rounds++) {
		uint32_t prod = arm_smmu_read32(smmu, prod_reg, c);
		bool overflow = ((prod ^ q->cons) & SMMU_Q_OVFLG) != 0;
		q->prod = prod;
		if (overflow)
			klog(smmu->env, 0, "arm-smmu-v3.%u: %s", smmu->index, lost);
		if ((prod & qmask) == (q->cons & qmask))
			break;
		while ((q->prod & qmask) != (q->cons & qmask)) {
			uint64_t rec[4];
			uint64_t slot = q->base + 8ull * dwords * (q->cons & imask);
			for (unsigned i = 0; i < dwords; i++)
				kmem_read64(smmu->env, slot + 8ull * i, &rec[i]);
			ktime_charge(c, smmu->env->t.evt_handle);
			one(smmu, rec, c);
			q->cons = (q->cons & SMMU_Q_OVFLG) | ((q->cons + 1) & qmask);
			arm_smmu_write32(smmu, cons_reg, q->cons, c);
		}
	}
	q->cons = (q->cons & ~SMMU_Q_OVFLG) | (q->prod & SMMU_Q_OVFLG);
	arm_smmu_write32(smmu, cons_reg, q->cons, c);
}

void arm_smmu_set_iopf_handler(struct arm_smmu_device *smmu, arm_smmu_iopf_fn fn, void *ctx)
{
	smmu->iopf = fn;
	smmu->iopf_ctx = ctx;
}

bool arm_smmu_master_iopf_capable(const struct arm_smmu_master *m)
{
	if (arm_smmu_master_stall_enabled(m))
		return true;
	return m->smmu->env->pri_iopf && m->desc.pri && (m->smmu->features & ARM_SMMU_FEAT_PRI);
}

void arm_smmu_page_response(struct arm_smmu_master *m, const struct arm_smmu_iopf *last,
                            unsigned code, struct kcall *c)
{
	uint64_t cmd[2];
	if (arm_smmu_master_stall_enabled(m)) {
		/* IOMMU_PAGE_RESP_SUCCESS: retry; INVALID, FAILURE: abort */
		smmu_cmd_resume(cmd, m->desc.sid, (uint16_t)last->grpid, code == 0, code != 0);
	} else if (arm_smmu_master_iopf_capable(m)) {
		/* CMDQ_PRI_1_RESP: FAILURE 0, INVALID 1, SUCCESS 2 */
		unsigned resp = code == 0 ? 2 : code == 1 ? 1 : 0;
		bool ssv = last->flags & 1;
		smmu_cmd_pri_resp(cmd, m->desc.sid, ssv, ssv ? last->pasid : 0,
		                  (uint16_t)last->grpid, resp);
	} else {
		return; /* -ENODEV */
	}
	arm_smmu_cmdq_issue_cmd(m->smmu, cmd, false, c);
}

/* arm_smmu_handle_ppr */
static void handle_ppr(struct arm_smmu_device *smmu, const uint64_t *evt, struct kcall *c)
{
	uint32_t sid = (uint32_t)evt[0];
	bool ssv = evt[0] >> 63, last = (evt[0] >> 62) & 1;
	uint32_t ssid = ssv ? (uint32_t)((evt[0] >> 32) & 0xFFFFF) : 0;
	uint16_t grpid = (uint16_t)(evt[1] & 0x1FF);
	bool r = (evt[0] >> 60) & 1, w = (evt[0] >> 61) & 1;
	struct arm_smmu_master *m = arm_smmu_find_master(smmu, sid);
	if (m && smmu->iopf && arm_smmu_master_iopf_capable(m) &&
	    !arm_smmu_master_stall_enabled(m)) {
		/* The PRI series: Stop Markers are discarded; the rest go to
		 * IOPF, which answers Invalid when no handler takes them. */
		if (!r && !w && last)
			return;
		struct arm_smmu_iopf f = {0};
		f.grpid = grpid;
		f.addr = evt[1] & ~0xFFFull;
		f.flags = last ? 2u : 0u;
		if (ssv) {
			f.flags |= 1;
			f.pasid = ssid;
		}
		f.perm = (r ? 1u : 0u) | (w ? 2u : 0u) | (((evt[0] >> 59) & 1) ? 4u : 0u) |
		         (((evt[0] >> 58) & 1) ? 8u : 0u);
		smmu->iopf(smmu->iopf_ctx, m, &f, c);
		return;
	}
	/* Linux 7.0: no PRI support in the driver. */
	klog(smmu->env, 2,
	     "arm-smmu-v3.%u: unexpected PRI request received: sid 0x%08x.0x%05x: [%u%s] "
	     "%sprivileged %s%s%s access at iova 0x%016llx",
	     smmu->index, sid, ssid, grpid, last ? "L" : "", ((evt[0] >> 58) & 1) ? "" : "un",
	     r ? "R" : "", w ? "W" : "", ((evt[0] >> 59) & 1) ? "X" : "",
	     (unsigned long long)(evt[1] & ~0xFFFull));
	if (last) {
		uint64_t cmd[2];
		smmu_cmd_pri_resp(cmd, sid, ssv, ssid, grpid, 0 /* PRI_RESP_DENY */);
		arm_smmu_cmdq_issue_cmd(smmu, cmd, false, c);
	}
}

void arm_smmu_handle_irq(struct arm_smmu_device *smmu, unsigned line, struct kcall *c)
{
	ktime_charge(c, smmu->env->t.irq_entry);
	if (line == SMMU_IRQ_EVENTQ)
		queue_drain(smmu, &smmu->evtq, SMMU_REG_EVENTQ_PROD, SMMU_REG_EVENTQ_CONS, 4,
		            "EVTQ overflow detected -- events lost", evtq_one, c);
	else if (line == SMMU_IRQ_PRIQ && (smmu->features & ARM_SMMU_FEAT_PRI))
		queue_drain(smmu, &smmu->priq, SMMU_REG_PRIQ_PROD, SMMU_REG_PRIQ_CONS, 2,
		            "PRIQ overflow detected -- requests lost", handle_ppr, c);
	else if (line == SMMU_IRQ_GERROR)
		arm_smmu_gerror_handle(smmu, c);
}
