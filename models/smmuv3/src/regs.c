/*
 * regs.c - the register file (IHI 0070 G.b §6): ID registers derived from the
 * configuration, reset values, guarded writes, the CR0/CR0ACK and
 * IRQ_CTRL/IRQ_CTRLACK handshakes (completed at once), GBPA update, the
 * GERROR/GERRORN toggle protocol, queue pointers, 32- and 64-bit accesses.
 * Also the instance's lifetime (create/destroy) and host-op wrappers.
 *
 * Not modelled: the Secure bank (RAZ/WI), ECMDQ, VATOS, GATOS/ATOS, MPAM,
 * DPT (the PRI queue itself is priq.c), STATUSR
 * dormancy, implementation-defined registers; CR1 attributes are stored but
 * do not change behaviour (memory is coherent).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "params.h"
#include "smmu_internal.h"

/* ---- host ops ---- */

void *smmu_alloc(struct smmu *s, size_t n, size_t size)
{
	if (s && s->ops.alloc)
		return s->ops.alloc(s->host, n, size);
	return calloc(n ? n : 1, size ? size : 1);
}

void smmu_free(struct smmu *s, void *p)
{
	if (!p)
		return;
	if (s && s->ops.free)
		s->ops.free(s->host, p);
	else
		free(p);
}

void smmu_logf(struct smmu *s, int level, const char *fmt, ...)
{
	if (!s->ops.log)
		return;
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s->ops.log(s->host, level, buf);
}

int smmu_mem_read(struct smmu *s, uint64_t pa, void *buf, uint32_t len)
{
	s->st.mem_reads++;
	return s->ops.mem_read(s->host, pa, buf, len);
}

int smmu_mem_write(struct smmu *s, uint64_t pa, const void *buf, uint32_t len)
{
	s->st.mem_writes++;
	return s->ops.mem_write(s->host, pa, buf, len);
}

/* ---- resources ---- */

int smmu_res_init(struct smmu *s, struct smmu_res *r, uint32_t slots)
{
	r->n = slots ? slots : 1;
	r->size = r->n;
	r->free_at = smmu_alloc(s, r->n, sizeof(uint64_t));
	return r->free_at ? SMMU_OK : SMMU_ERR_NOMEM;
}

void smmu_res_fini(struct smmu *s, struct smmu_res *r)
{
	smmu_free(s, r->free_at);
	r->free_at = NULL;
	r->n = 0;
}

/* ---- ID registers ---- */

static unsigned oas_encode(unsigned bits)
{
	switch (bits) {
	case 32: return 0;
	case 36: return 1;
	case 40: return 2;
	case 42: return 3;
	case 44: return 4;
	case 48: return 5;
	default: return 6; /* 52 */
	}
}

void smmu_caps_from_config(const struct smmu_config *cfg, struct smmu_caps *c)
{
	memset(c, 0, sizeof(*c));
	c->minor_rev = cfg->minor_rev;
	c->s1p = cfg->s1p;
	c->s2p = cfg->s2p;
	c->vmid16 = cfg->vmid16 && cfg->s2p;
	c->asid16 = cfg->asid16;
	c->hyp = cfg->hyp && cfg->s1p && cfg->s2p;
	c->cd2l = cfg->cd2l;
	c->ats = cfg->ats;
	c->ns1ats = !(cfg->split_ats && cfg->ats && cfg->s1p && cfg->s2p);
	c->pri = cfg->pri && cfg->ats;
	c->btm = cfg->btm;
	c->msi = cfg->msi;
	c->sev = cfg->sev;
	c->ttf = cfg->ttf;
	c->ttendian = 2; /* little-endian tables only */
	c->stall_model = cfg->stall_model;
	c->term_model = cfg->term_model;
	c->httu = cfg->httu;
	c->attr_types_ovr = cfg->attr_types_ovr;
	c->attr_perms_ovr = cfg->attr_perms_ovr;
	c->gran4k = cfg->gran4k;
	c->gran16k = cfg->gran16k;
	c->gran64k = cfg->gran64k;
	c->oas_bits = cfg->oas_bits;
	unsigned ias = (cfg->ttf & 2) ? cfg->oas_bits : 0;
	if ((cfg->ttf & 1) && ias < 40)
		ias = 40;
	c->ias_bits = (uint8_t)ias;
	c->sidsize = cfg->sidsize;
	c->ssidsize = cfg->ssidsize;
	c->st_level2 = cfg->st_level2;
	c->ril = cfg->ril;
	c->stt = cfg->stt;
	c->fwb = false;
	c->xnx = cfg->s2p;
	c->vax = 0;
	c->e2h = false;
}

static void idr_compute(struct smmu *s)
{
	const struct smmu_config *c = &s->cfg;
	const struct smmu_caps *k = &s->caps;
	uint32_t idr0 = 0;
	idr0 |= (uint32_t)(c->st_level2 ? 1 : 0) << 27;
	idr0 |= (uint32_t)(c->term_model ? 1 : 0) << 26;
	idr0 |= (uint32_t)(c->stall_model & 3) << 24;
	idr0 |= (uint32_t)k->ttendian << 21;
	idr0 |= (uint32_t)(c->cd2l ? 1 : 0) << 19;
	idr0 |= (uint32_t)(k->vmid16 ? 1 : 0) << 18;
	idr0 |= (uint32_t)(k->pri ? 1 : 0) << 16;
	idr0 |= (uint32_t)(c->sev ? 1 : 0) << 14;
	idr0 |= (uint32_t)(c->msi ? 1 : 0) << 13;
	idr0 |= (uint32_t)(c->asid16 ? 1 : 0) << 12;
	idr0 |= (uint32_t)(k->ns1ats ? 1 : 0) << 11;
	idr0 |= (uint32_t)(c->ats ? 1 : 0) << 10;
	idr0 |= (uint32_t)(k->hyp ? 1 : 0) << 9;
	idr0 |= (uint32_t)(k->httu & 3) << 6;
	idr0 |= (uint32_t)(c->btm ? 1 : 0) << 5;
	idr0 |= (uint32_t)(c->coherent ? 1 : 0) << 4;
	idr0 |= (uint32_t)(c->ttf & 3) << 2;
	idr0 |= (uint32_t)(c->s1p ? 1 : 0) << 1;
	idr0 |= (uint32_t)(c->s2p ? 1 : 0);
	s->r.idr[0] = idr0;
	s->r.idr[1] = ((uint32_t)(c->attr_types_ovr ? 1 : 0) << 27) |
		      ((uint32_t)(c->attr_perms_ovr ? 1 : 0) << 26) |
		      ((uint32_t)(c->cmdqs & 0x1f) << 21) | ((uint32_t)(c->eventqs & 0x1f) << 16) |
		      ((uint32_t)(c->priqs & 0x1f) << 11) | ((uint32_t)(c->ssidsize & 0x1f) << 6) |
		      (uint32_t)(c->sidsize & 0x3f);
	s->r.idr[2] = 0;
	uint32_t idr3 = 0;
	if (c->minor_rev >= 2)
		idr3 |= 1u << 11; /* BBML1 */
	idr3 |= (uint32_t)(c->ril ? 1 : 0) << 10;
	idr3 |= (uint32_t)(c->stt ? 1 : 0) << 9;
	idr3 |= (uint32_t)(k->xnx ? 1 : 0) << 4;
	s->r.idr[3] = idr3;
	s->r.idr[4] = 0;
	s->r.idr[5] = ((uint32_t)(c->stall_model != 1 ? c->stall_max : 0) << 16) |
		      ((uint32_t)(c->gran64k ? 1 : 0) << 6) | ((uint32_t)(c->gran16k ? 1 : 0) << 5) |
		      ((uint32_t)(c->gran4k ? 1 : 0) << 4) | oas_encode(c->oas_bits);
}

void smmu_regs_reset(struct smmu *s)
{
	uint32_t idr[6];
	memcpy(idr, s->r.idr, sizeof(idr));
	memset(&s->r, 0, sizeof(s->r));
	memcpy(s->r.idr, idr, sizeof(idr));
	/* GBPA: Update=0, SHCFG=incoming (0b01), ABORT=0: bypass when disabled. */
	s->r.gbpa = 1u << 12;
}

/* ---- lifetime ---- */

static void tbus_fini(struct smmu *s)
{
	if (!s->tbu)
		return;
	for (uint32_t i = 0; i < s->cfg.num_tbus; i++) {
		smmu_cfgc_fini(s, &s->tbu[i].cfgc);
		smmu_tlb_fini(s, &s->tbu[i].utlb);
		smmu_tlb_fini(s, &s->tbu[i].mtlb);
		smmu_res_fini(s, &s->tbu[i].utlb_port);
		smmu_res_fini(s, &s->tbu[i].mtlb_port);
		smmu_free(s, s->tbu[i].fast);
	}
	smmu_free(s, s->tbu);
	s->tbu = NULL;
}

int smmu_create(const struct smmu_config *cfg, const struct smmu_host_ops *ops, void *host,
		struct smmu **out)
{
	if (!cfg || !ops || !out || !ops->mem_read || !ops->mem_write)
		return SMMU_ERR_INVAL;
	if (cfg->size != sizeof(*cfg) || ops->size > sizeof(*ops) || ops->size < 3 * sizeof(void *))
		return SMMU_ERR_INVAL;
	*out = NULL;
	char why[160];
	if (smmu_config_check(cfg, why, sizeof(why)) != SMMU_OK) {
		if (ops->size >= offsetof(struct smmu_host_ops, log) + sizeof(ops->log) && ops->log)
			ops->log(host, 0, why);
		return SMMU_ERR_INVAL;
	}
	struct smmu_host_ops o;
	memset(&o, 0, sizeof(o));
	memcpy(&o, ops, ops->size);
	struct smmu *s = o.alloc ? o.alloc(host, 1, sizeof(*s)) : calloc(1, sizeof(*s));
	if (!s)
		return SMMU_ERR_NOMEM;
	s->cfg = *cfg;
	s->origin_p = &s->origin;
	s->ops = o;
	s->host = host;
	smmu_caps_from_config(cfg, &s->caps);
	idr_compute(s);
	smmu_regs_reset(s);
	int rc = SMMU_OK;
	s->tbu = smmu_alloc(s, cfg->num_tbus, sizeof(*s->tbu));
	if (!s->tbu)
		rc = SMMU_ERR_NOMEM;
	for (uint32_t i = 0; rc == SMMU_OK && i < cfg->num_tbus; i++) {
		struct smmu_tbu *b = &s->tbu[i];
		rc = smmu_cfgc_init(s, &b->cfgc, &cfg->tbu_cfgc, cfg->seed + i);
		if (rc == SMMU_OK)
			rc = smmu_tlb_init(s, &b->utlb, &cfg->utlb, cfg->seed + 17 * i + 1);
		if (rc == SMMU_OK)
			rc = smmu_tlb_init(s, &b->mtlb, &cfg->mtlb, cfg->seed + 17 * i + 2);
		if (rc == SMMU_OK)
			rc = smmu_res_init(s, &b->utlb_port, cfg->utlb.slots);
		if (rc == SMMU_OK)
			rc = smmu_res_init(s, &b->mtlb_port, cfg->mtlb.slots);
		if (rc == SMMU_OK && cfg->host_fastpath && cfg->utlb.enable && cfg->utlb.entries) {
			b->fast = smmu_alloc(s, SMMU_FAST_SLOTS, sizeof(*b->fast));
			if (!b->fast)
				rc = SMMU_ERR_NOMEM;
		}
	}
	if (rc == SMMU_OK)
		rc = smmu_cfgc_init(s, &s->cfgc, &cfg->cfgc, cfg->seed + 3);
	if (rc == SMMU_OK)
		rc = smmu_tlb_init(s, &s->tlb, &cfg->tlb, cfg->seed + 4);
	if (rc == SMMU_OK)
		rc = smmu_tlb_init(s, &s->wc, &cfg->wc, cfg->seed + 5);
	if (rc == SMMU_OK)
		rc = smmu_res_init(s, &s->tcu_slots, cfg->t.tcu_slots);
	if (rc == SMMU_OK)
		rc = smmu_res_init(s, &s->ptw_slots, cfg->t.ptw_slots);
	if (rc == SMMU_OK)
		rc = smmu_res_init(s, &s->ctw_slots, cfg->t.ctw_slots);
	if (rc == SMMU_OK)
		rc = smmu_res_init(s, &s->inv_msg, 1);
	if (rc == SMMU_OK && cfg->stall_model != 1) {
		s->stalled = smmu_alloc(s, cfg->stall_max, sizeof(*s->stalled));
		if (!s->stalled)
			rc = SMMU_ERR_NOMEM;
	}
	if (rc != SMMU_OK) {
		smmu_destroy(s);
		return rc;
	}
	*out = s;
	return SMMU_OK;
}

void smmu_destroy(struct smmu *s)
{
	if (!s)
		return;
	tbus_fini(s);
	smmu_cfgc_fini(s, &s->cfgc);
	smmu_tlb_fini(s, &s->tlb);
	smmu_tlb_fini(s, &s->wc);
	smmu_res_fini(s, &s->tcu_slots);
	smmu_res_fini(s, &s->ptw_slots);
	smmu_res_fini(s, &s->ctw_slots);
	smmu_res_fini(s, &s->inv_msg);
	smmu_free(s, s->cons_log);
	smmu_free(s, s->stalled);
	if (s->ops.free)
		s->ops.free(s->host, s);
	else
		free(s);
}

const struct smmu_config *smmu_get_config(const struct smmu *s) { return &s->cfg; }

void smmu_set_origin(struct smmu *s, uint32_t origin)
{
	if (s) {
		s->origin = origin;
		s->origin_p = &s->origin;
	}
}

void smmu_bind_origin(struct smmu *s, const uint32_t *origin)
{
	if (s)
		s->origin_p = origin ? origin : &s->origin;
}
const struct smmu_stats *smmu_get_stats(const struct smmu *s) { return &s->st; }

int smmu_get_occupancy(const struct smmu *s, uint32_t port, struct smmu_occupancy *occ)
{
	if (port >= s->cfg.num_tbus || !occ)
		return SMMU_ERR_RANGE;
	occ->utlb = s->tbu[port].utlb.valid;
	occ->mtlb = s->tbu[port].mtlb.valid;
	occ->tlb = s->tlb.valid;
	occ->wc = s->wc.valid;
	occ->cfgc = s->cfgc.valid;
	return SMMU_OK;
}

/* ---- interrupts and global errors ---- */

void smmu_irq_signal(struct smmu *s, enum smmu_irq line, uint64_t now)
{
	uint32_t en;
	uint64_t cfg0;
	uint32_t data, abt;
	switch (line) {
	case SMMU_IRQ_EVENTQ:
		en = SMMU_IRQ_CTRL_EVENTQ_IRQEN;
		cfg0 = s->r.eventq_irq_cfg0;
		data = s->r.eventq_irq_cfg1;
		abt = SMMU_GERROR_MSI_EVENTQ_ABT_ERR;
		break;
	case SMMU_IRQ_GERROR:
		en = SMMU_IRQ_CTRL_GERROR_IRQEN;
		cfg0 = s->r.gerror_irq_cfg0;
		data = s->r.gerror_irq_cfg1;
		abt = SMMU_GERROR_MSI_GERROR_ABT_ERR;
		break;
	case SMMU_IRQ_PRIQ:
		en = SMMU_IRQ_CTRL_PRIQ_IRQEN;
		cfg0 = s->r.priq_irq_cfg0;
		data = s->r.priq_irq_cfg1;
		abt = SMMU_GERROR_MSI_PRIQ_ABT_ERR;
		break;
	default:
		if (s->ops.irq)
			s->ops.irq(s->host, line, now);
		return;
	}
	if (!(s->r.irq_ctrlack & en))
		return;
	uint64_t addr = cfg0 & 0x00FFFFFFFFFFFFFCull;
	if (s->cfg.msi && addr) {
		int rc;
		if (s->ops.msi)
			rc = s->ops.msi(s->host, addr, data, now + s->cfg.t.mem_write);
		else
			rc = smmu_mem_write(s, addr, &data, 4);
		/* An aborted GERROR MSI does not itself raise a GERROR interrupt. */
		if (rc)
			smmu_gerror_raise(s, abt, now);
		return;
	}
	if (s->ops.irq)
		s->ops.irq(s->host, line, now);
}

void smmu_gerror_raise(struct smmu *s, uint32_t bit, uint64_t now)
{
	/* Toggle only if inactive: new occurrences while active are not logged. */
	if ((s->r.gerror ^ s->r.gerrorn) & bit)
		return;
	s->r.gerror ^= bit;
	if (bit != SMMU_GERROR_MSI_GERROR_ABT_ERR)
		smmu_irq_signal(s, SMMU_IRQ_GERROR, now);
}

/* ---- MMIO ---- */

static uint32_t q_mask(unsigned log2size)
{
	/* index bits plus the wrap bit */
	return (uint32_t)((2ull << log2size) - 1);
}

static unsigned q_log2(uint64_t base, unsigned max)
{
	unsigned l = (unsigned)(base & SMMU_Q_BASE_LOG2SIZE_MASK);
	return l > max ? max : l;
}

static uint64_t read32(struct smmu *s, uint64_t off, uint64_t now)
{
	struct smmu_regs *r = &s->r;
	switch (off) {
	case SMMU_REG_IDR0: return r->idr[0];
	case SMMU_REG_IDR1: return r->idr[1];
	case SMMU_REG_IDR2: return r->idr[2];
	case SMMU_REG_IDR3: return r->idr[3];
	case SMMU_REG_IDR4: return r->idr[4];
	case SMMU_REG_IDR5: return r->idr[5];
	case SMMU_REG_IIDR: return s->cfg.iidr;
	case SMMU_REG_AIDR: return s->cfg.minor_rev & 0xf;
	case SMMU_REG_CR0: return r->cr0;
	case SMMU_REG_CR0ACK: return r->cr0ack;
	case SMMU_REG_CR1: return r->cr1;
	case SMMU_REG_CR2: return r->cr2;
	case SMMU_REG_STATUSR: return 0;
	case SMMU_REG_GBPA: return r->gbpa;
	case SMMU_REG_IRQ_CTRL: return r->irq_ctrl;
	case SMMU_REG_IRQ_CTRLACK: return r->irq_ctrlack;
	case SMMU_REG_GERROR: return r->gerror;
	case SMMU_REG_GERRORN: return r->gerrorn;
	case SMMU_REG_GERROR_IRQ_CFG0: return (uint32_t)r->gerror_irq_cfg0;
	case SMMU_REG_GERROR_IRQ_CFG0 + 4: return r->gerror_irq_cfg0 >> 32;
	case SMMU_REG_GERROR_IRQ_CFG1: return r->gerror_irq_cfg1;
	case SMMU_REG_GERROR_IRQ_CFG2: return r->gerror_irq_cfg2;
	case SMMU_REG_STRTAB_BASE: return (uint32_t)r->strtab_base;
	case SMMU_REG_STRTAB_BASE + 4: return r->strtab_base >> 32;
	case SMMU_REG_STRTAB_BASE_CFG: return r->strtab_base_cfg;
	case SMMU_REG_CMDQ_BASE: return (uint32_t)r->cmdq_base;
	case SMMU_REG_CMDQ_BASE + 4: return r->cmdq_base >> 32;
	case SMMU_REG_CMDQ_PROD: return r->cmdq_prod;
	case SMMU_REG_CMDQ_CONS: return smmu_cmdq_cons_at(s, now);
	case SMMU_REG_EVENTQ_BASE: return (uint32_t)r->eventq_base;
	case SMMU_REG_EVENTQ_BASE + 4: return r->eventq_base >> 32;
	case SMMU_REG_EVENTQ_IRQ_CFG0: return (uint32_t)r->eventq_irq_cfg0;
	case SMMU_REG_EVENTQ_IRQ_CFG0 + 4: return r->eventq_irq_cfg0 >> 32;
	case SMMU_REG_EVENTQ_IRQ_CFG1: return r->eventq_irq_cfg1;
	case SMMU_REG_EVENTQ_IRQ_CFG2: return r->eventq_irq_cfg2;
	case SMMU_REG_PRIQ_BASE: return (uint32_t)r->priq_base;
	case SMMU_REG_PRIQ_BASE + 4: return r->priq_base >> 32;
	case SMMU_REG_PRIQ_IRQ_CFG0: return (uint32_t)r->priq_irq_cfg0;
	case SMMU_REG_PRIQ_IRQ_CFG0 + 4: return r->priq_irq_cfg0 >> 32;
	case SMMU_REG_PRIQ_IRQ_CFG1: return r->priq_irq_cfg1;
	case SMMU_REG_PRIQ_IRQ_CFG2: return r->priq_irq_cfg2;
	case SMMU_REG_EVENTQ_PROD: return r->eventq_prod;
	case SMMU_REG_EVENTQ_CONS: return r->eventq_cons;
	case SMMU_REG_PRIQ_PROD: return r->priq_prod;
	case SMMU_REG_PRIQ_CONS: return r->priq_cons;
	case 0xFF0: return 0x0D; /* CIDR0..3 */
	case 0xFF4: return 0xF0;
	case 0xFF8: return 0x05;
	case 0xFFC: return 0xB1;
	default: return 0; /* RES0 / RAZ */
	}
}

static void set_half(uint64_t *reg, uint64_t off_in_reg, uint32_t v, uint64_t mask)
{
	if (off_in_reg)
		*reg = (*reg & 0xFFFFFFFFull) | ((uint64_t)v << 32);
	else
		*reg = (*reg & ~0xFFFFFFFFull) | v;
	*reg &= mask;
}

static bool both_off(const struct smmu *s, uint32_t bit)
{
	return !(s->r.cr0 & bit) && !(s->r.cr0ack & bit);
}

static void write_cr0(struct smmu *s, uint32_t v, uint64_t now)
{
	uint32_t old = s->r.cr0ack;
	v &= SMMU_CR0_MASK;
	s->r.cr0 = v;
	/* The Update completes at once. */
	s->r.cr0ack = v;
	if (!(old & SMMU_CR0_SMMUEN) && (v & SMMU_CR0_SMMUEN)) {
		/* CR2 takes effect at the SMMUEN 0->1 Update. */
		s->r.cr2_latched = s->r.cr2;
		s->caps.e2h = (s->r.cr2 & SMMU_CR2_E2H) && s->caps.hyp;
	}
	if ((old & SMMU_CR0_SMMUEN) && !(v & SMMU_CR0_SMMUEN))
		smmu_stall_end_all(s, UINT32_MAX, now, 2); /* marked for abort, STAGs freed */
	if (!(old & SMMU_CR0_CMDQEN) && (v & SMMU_CR0_CMDQEN))
		smmu_cmdq_run(s, now);
	if (!(old & SMMU_CR0_EVENTQEN) && (v & SMMU_CR0_EVENTQEN))
		smmu_stall_retry_unrecorded(s, now);
}

static void write32(struct smmu *s, uint64_t off, uint32_t v, uint64_t now)
{
	struct smmu_regs *r = &s->r;
	switch (off) {
	case SMMU_REG_CR0:
		write_cr0(s, v, now);
		break;
	case SMMU_REG_CR1:
		/* TABLE_* guarded by SMMUEN, QUEUE_* by all queue enables. */
		if (both_off(s, SMMU_CR0_SMMUEN))
			r->cr1 = (r->cr1 & ~0xFC0u) | (v & 0xFC0u);
		if (both_off(s, SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN | SMMU_CR0_PRIQEN))
			r->cr1 = (r->cr1 & ~0x3Fu) | (v & 0x3Fu);
		break;
	case SMMU_REG_CR2:
		if (both_off(s, SMMU_CR0_SMMUEN))
			r->cr2 = v & 0x7u;
		break;
	case SMMU_REG_GBPA:
		/* v3.2+: a write while Update==1 or without Update=1 is IGNORED. The
		 * update completes at once so Update reads back as 0. */
		if (v & SMMU_GBPA_UPDATE)
			r->gbpa = v & 0x001F3F1Fu & ~SMMU_GBPA_UPDATE;
		break;
	case SMMU_REG_IRQ_CTRL:
		r->irq_ctrl = v & 7u;
		r->irq_ctrlack = v & 7u;
		break;
	case SMMU_REG_GERRORN: {
		uint32_t was_active = r->gerror ^ r->gerrorn;
		r->gerrorn = v & SMMU_GERROR_MASK;
		if ((was_active & SMMU_GERROR_CMDQ_ERR) &&
		    !((r->gerror ^ r->gerrorn) & SMMU_GERROR_CMDQ_ERR))
			smmu_cmdq_run(s, now); /* acknowledged: refetch at CONS */
		if ((was_active & SMMU_GERROR_EVENTQ_ABT_ERR) &&
		    !((r->gerror ^ r->gerrorn) & SMMU_GERROR_EVENTQ_ABT_ERR))
			smmu_stall_retry_unrecorded(s, now);
		break;
	}
	case SMMU_REG_GERROR_IRQ_CFG0:
	case SMMU_REG_GERROR_IRQ_CFG0 + 4:
		if (!(r->irq_ctrlack & SMMU_IRQ_CTRL_GERROR_IRQEN))
			set_half(&r->gerror_irq_cfg0, off & 4, v, 0x00FFFFFFFFFFFFFCull);
		break;
	case SMMU_REG_GERROR_IRQ_CFG1:
		if (!(r->irq_ctrlack & SMMU_IRQ_CTRL_GERROR_IRQEN))
			r->gerror_irq_cfg1 = v;
		break;
	case SMMU_REG_GERROR_IRQ_CFG2:
		if (!(r->irq_ctrlack & SMMU_IRQ_CTRL_GERROR_IRQEN))
			r->gerror_irq_cfg2 = v & 0x3Fu;
		break;
	case SMMU_REG_STRTAB_BASE:
	case SMMU_REG_STRTAB_BASE + 4:
		if (both_off(s, SMMU_CR0_SMMUEN))
			set_half(&r->strtab_base, off & 4, v, 0x40FFFFFFFFFFFFC0ull);
		break;
	case SMMU_REG_STRTAB_BASE_CFG:
		if (both_off(s, SMMU_CR0_SMMUEN))
			r->strtab_base_cfg = v & (s->cfg.st_level2 ? 0x307FFu : 0x7FFu);
		break;
	case SMMU_REG_CMDQ_BASE:
	case SMMU_REG_CMDQ_BASE + 4:
		if (both_off(s, SMMU_CR0_CMDQEN))
			set_half(&r->cmdq_base, off & 4, v, 0x40FFFFFFFFFFFFFFull /* RA|WA[62], ADDR, LOG2SIZE */);
		break;
	case SMMU_REG_CMDQ_PROD:
		r->cmdq_prod = v & 0xFFFFFu & q_mask(q_log2(r->cmdq_base, s->cfg.cmdqs));
		smmu_cmdq_run(s, now);
		break;
	case SMMU_REG_CMDQ_CONS:
		if (both_off(s, SMMU_CR0_CMDQEN)) {
			r->cmdq_cons = v & 0xFFFFFu & q_mask(q_log2(r->cmdq_base, s->cfg.cmdqs));
			s->cons_n = 0;
		}
		break;
	case SMMU_REG_EVENTQ_BASE:
	case SMMU_REG_EVENTQ_BASE + 4:
		if (both_off(s, SMMU_CR0_EVENTQEN))
			set_half(&r->eventq_base, off & 4, v, 0x40FFFFFFFFFFFFFFull /* RA|WA[62], ADDR, LOG2SIZE */);
		break;
	case SMMU_REG_EVENTQ_IRQ_CFG0:
	case SMMU_REG_EVENTQ_IRQ_CFG0 + 4:
		if (!(r->irq_ctrlack & SMMU_IRQ_CTRL_EVENTQ_IRQEN))
			set_half(&r->eventq_irq_cfg0, off & 4, v, 0x00FFFFFFFFFFFFFCull);
		break;
	case SMMU_REG_EVENTQ_IRQ_CFG1:
		if (!(r->irq_ctrlack & SMMU_IRQ_CTRL_EVENTQ_IRQEN))
			r->eventq_irq_cfg1 = v;
		break;
	case SMMU_REG_EVENTQ_IRQ_CFG2:
		if (!(r->irq_ctrlack & SMMU_IRQ_CTRL_EVENTQ_IRQEN))
			r->eventq_irq_cfg2 = v & 0x3Fu;
		break;
	case SMMU_REG_PRIQ_BASE:
	case SMMU_REG_PRIQ_BASE + 4:
		if (s->caps.pri && both_off(s, SMMU_CR0_PRIQEN))
			set_half(&r->priq_base, off & 4, v, 0x40FFFFFFFFFFFFFFull /* RA|WA[62], ADDR, LOG2SIZE */);
		break;
	case SMMU_REG_PRIQ_IRQ_CFG0:
	case SMMU_REG_PRIQ_IRQ_CFG0 + 4:
		if (!(r->irq_ctrlack & SMMU_IRQ_CTRL_PRIQ_IRQEN))
			set_half(&r->priq_irq_cfg0, off & 4, v, 0x00FFFFFFFFFFFFFCull);
		break;
	case SMMU_REG_PRIQ_IRQ_CFG1:
		if (!(r->irq_ctrlack & SMMU_IRQ_CTRL_PRIQ_IRQEN))
			r->priq_irq_cfg1 = v;
		break;
	case SMMU_REG_PRIQ_IRQ_CFG2:
		if (!(r->irq_ctrlack & SMMU_IRQ_CTRL_PRIQ_IRQEN))
			r->priq_irq_cfg2 = v & 0x8000003Fu;
		break;
	case SMMU_REG_EVENTQ_PROD:
		if (both_off(s, SMMU_CR0_EVENTQEN))
			r->eventq_prod = v & (SMMU_Q_OVFLG | 0xFFFFFu);
		break;
	case SMMU_REG_EVENTQ_CONS:
		r->eventq_cons = v & (SMMU_Q_OVFLG | 0xFFFFFu);
		smmu_stall_retry_unrecorded(s, now);
		break;
	case SMMU_REG_PRIQ_PROD:
		if (both_off(s, SMMU_CR0_PRIQEN))
			r->priq_prod = v & (SMMU_Q_OVFLG | 0xFFFFFu);
		break;
	case SMMU_REG_PRIQ_CONS:
		r->priq_cons = v & (SMMU_Q_OVFLG | 0xFFFFFu);
		break;
	default:
		/* RO registers, RES0 and unimplemented offsets: writes ignored. */
		break;
	}
}

static bool is_64bit_reg(uint64_t off)
{
	switch (off) {
	case SMMU_REG_GERROR_IRQ_CFG0:
	case SMMU_REG_STRTAB_BASE:
	case SMMU_REG_CMDQ_BASE:
	case SMMU_REG_EVENTQ_BASE:
	case SMMU_REG_EVENTQ_IRQ_CFG0:
	case SMMU_REG_PRIQ_BASE:
	case SMMU_REG_PRIQ_IRQ_CFG0:
		return true;
	default:
		return false;
	}
}

int smmu_mmio_read(struct smmu *s, uint64_t off, unsigned width, uint64_t now, uint64_t *val)
{
	if (!s || !val || (width != 4 && width != 8) || (off & (width - 1)) ||
	    off > SMMU_REG_SPACE - width)
		return SMMU_ERR_RANGE;
	if (width == 8) {
		/* A 64-bit access to a 32-bit register pair is CU; we give both halves. */
		*val = read32(s, off, now) | (read32(s, off + 4, now) << 32);
		(void)is_64bit_reg;
		return SMMU_OK;
	}
	*val = read32(s, off, now);
	return SMMU_OK;
}

int smmu_mmio_write(struct smmu *s, uint64_t off, unsigned width, uint64_t val, uint64_t now)
{
	if (!s || (width != 4 && width != 8) || (off & (width - 1)) || off > SMMU_REG_SPACE - width)
		return SMMU_ERR_RANGE;
	s->now_hint = now;
	if (width == 8 && is_64bit_reg(off)) {
		/* Write the high half first so a BASE is whole when a later enable
		 * or PROD write uses it. */
		write32(s, off + 4, (uint32_t)(val >> 32), now);
		write32(s, off, (uint32_t)val, now);
		return SMMU_OK;
	}
	if (width == 8) {
		write32(s, off, (uint32_t)val, now);
		write32(s, off + 4, (uint32_t)(val >> 32), now);
		return SMMU_OK;
	}
	write32(s, off, (uint32_t)val, now);
	return SMMU_OK;
}
