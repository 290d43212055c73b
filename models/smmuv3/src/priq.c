/*
 * priq.c - the PRI queue (IHI 0070 G.b ch.8, §7.4; record layout in
 * reference digest §8.1): Page Request Messages from PCIe functions become
 * 16-byte records at PRIQ_PROD; overflow is flagged with the OVFLG /
 * OVACKFLG toggle as for the event queue; automatic PRG responses when the
 * queue cannot take a request; CMD_PRI_RESP sends software's responses.
 *
 * Record: dw0 [31:0] StreamID, [51:32] SubstreamID, [58] Priv, [59] Exec,
 * [60] Read, [61] Write, [62] Last, [63] SSV; dw1 [8:0] PRG index,
 * [63:12] page address.
 *
 * Not modelled: Secure streams (none here), PRIQ MSIs beyond the common
 * irq_signal path, IDR3.PPS=1.
 */
#include "smmu_internal.h"

/* The PCIe Response Code for CMD_PRI_RESP's Resp field (§4.5.2):
 * 00 ResponseFailure, 01 InvalidRequest, 10 Success. */
static uint8_t resp_code(unsigned resp)
{
	switch (resp) {
	case 1:
		return SMMU_PRI_CODE_INVALID;
	case 2:
		return SMMU_PRI_CODE_SUCCESS;
	default:
		return SMMU_PRI_CODE_FAILURE;
	}
}

void smmu_pri_resp_cmd(struct smmu *s, uint32_t sid, bool ssv, uint32_t ssid, uint16_t prgi,
		       unsigned resp, uint64_t cycle)
{
	s->st.pri_resps++;
	if (s->ops.pri_resp)
		s->ops.pri_resp(s->host, sid, ssv, ssid & 0xFFFFF, prgi & 0x1FF, resp_code(resp),
				cycle);
}

/* STE.PPAR of `sid`, read without side effects: 1 PPAR set, 0 clear, -1 the
 * STE cannot be read or is not valid. */
static int ste_ppar(struct smmu *s, uint32_t sid)
{
	uint64_t ste_pa, l1_pa;
	unsigned reads;
	if (smmu_ste_locate(s, sid, &ste_pa, &l1_pa, &reads))
		return -1;
	uint64_t raw[8];
	if (smmu_mem_read(s, ste_pa, raw, 64))
		return -1;
	struct smmu_ste ste;
	if (smmu_ste_decode(raw, &s->caps, &ste) != 0)
		return -1;
	return ste.ppar ? 1 : 0;
}

static void auto_resp(struct smmu *s, const struct smmu_ppr *p, uint8_t code, bool pasid,
		      uint64_t at, struct smmu_ppr_result *out)
{
	out->outcome = SMMU_PPR_AUTO;
	out->code = code;
	out->resp_pasid = pasid;
	out->done = at;
	s->st.pri_auto++;
	if (s->ops.pri_resp)
		s->ops.pri_resp(s->host, p->sid, pasid, pasid ? p->ssid & 0xFFFFF : 0, p->prgi & 0x1FF,
				code, at);
}

int smmu_pri_request(struct smmu *s, const struct smmu_ppr *p, uint64_t now,
		     struct smmu_ppr_result *out)
{
	if (!s || !p || !out)
		return SMMU_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	s->st.pri_requests++;
	/* Without a PASID, X and Priv are 0 (§8.1). */
	bool exec = p->ssv && p->exec, priv = p->ssv && p->priv;
	bool stop = p->ssv && p->last && !p->read && !p->write;
	struct smmu_regs *r = &s->r;
	uint64_t t = now + s->cfg.t.dti_hop;
	out->done = t;
	bool enabled = s->caps.pri && (r->cr0ack & SMMU_CR0_PRIQEN) && smmu_enabled(s);
	bool abt = (r->gerror ^ r->gerrorn) & SMMU_GERROR_PRIQ_ABT_ERR;
	if (!enabled || abt) {
		/* §8.2: every PPR, Last or not, gets Response Failure (no PASID);
		 * Stop Markers get no response. */
		if (stop)
			out->outcome = SMMU_PPR_DROPPED;
		else
			auto_resp(s, p, SMMU_PRI_CODE_FAILURE, false, t, out);
		return SMMU_OK;
	}
	unsigned qs = (unsigned)(r->priq_base & SMMU_Q_BASE_LOG2SIZE_MASK);
	if (qs > s->cfg.priqs)
		qs = s->cfg.priqs;
	uint32_t idx_mask = (1u << qs) - 1, wrap = 1u << qs;
	uint32_t prod = r->priq_prod & (idx_mask | wrap);
	uint32_t cons = r->priq_cons & (idx_mask | wrap);
	bool full = (prod & idx_mask) == (cons & idx_mask) && (prod & wrap) != (cons & wrap);
	bool empty = prod == cons;
	bool lo = r->priq_irq_cfg2 & (1u << 31);
	/* §8.1: an active overflow condition (OVFLG != OVACKFLG) inhibits new
	 * entries as a full queue does, until software acknowledges it. */
	bool ovf_active = (r->priq_prod & SMMU_Q_OVFLG) != (r->priq_cons & SMMU_Q_OVFLG);
	if (full || ovf_active) {
		out->overflow = true;
		if ((r->priq_prod & SMMU_Q_OVFLG) == (r->priq_cons & SMMU_Q_OVFLG)) {
			r->priq_prod ^= SMMU_Q_OVFLG;
			s->st.priq_overflows++;
		}
		/* LO: a discarded Last=1 message still interrupts. */
		if (lo && p->last)
			smmu_irq_signal(s, SMMU_IRQ_PRIQ, t);
		if (stop || !p->last) {
			out->outcome = SMMU_PPR_DROPPED;
		} else if (!p->ssv) {
			auto_resp(s, p, SMMU_PRI_CODE_SUCCESS, false, t, out);
		} else {
			int ppar = ste_ppar(s, p->sid);
			if (ppar < 0)
				auto_resp(s, p, SMMU_PRI_CODE_FAILURE, false, t, out);
			else
				auto_resp(s, p, SMMU_PRI_CODE_SUCCESS, ppar == 1, t, out);
		}
		return SMMU_OK;
	}
	uint64_t rec[2];
	rec[0] = (uint64_t)p->sid | ((uint64_t)(p->ssv ? p->ssid & 0xFFFFF : 0) << 32) |
		 ((uint64_t)priv << 58) | ((uint64_t)exec << 59) | ((uint64_t)p->read << 60) |
		 ((uint64_t)p->write << 61) | ((uint64_t)p->last << 62) | ((uint64_t)p->ssv << 63);
	rec[1] = (uint64_t)(p->prgi & 0x1FF) | (p->addr & ~0xFFFull);
	uint64_t base = r->priq_base & SMMU_Q_BASE_ADDR_MASK;
	uint64_t qbytes = 16ull << qs;
	base &= ~(qbytes - 1);
	uint64_t addr = base + (uint64_t)(prod & idx_mask) * 16;
	t += s->cfg.t.mem_write;
	if (smmu_mem_write(s, addr, rec, 16) != 0) {
		/* A synchronous abort on the queue write: PRIQ_ABT_ERR, and the
		 * request gets Response Failure. */
		smmu_gerror_raise(s, SMMU_GERROR_PRIQ_ABT_ERR, t);
		if (stop)
			out->outcome = SMMU_PPR_DROPPED;
		else
			auto_resp(s, p, SMMU_PRI_CODE_FAILURE, false, t, out);
		return SMMU_OK;
	}
	r->priq_prod = (r->priq_prod & SMMU_Q_OVFLG) | ((prod + 1) & (idx_mask | wrap));
	s->st.pri_recorded++;
	out->outcome = SMMU_PPR_QUEUED;
	out->done = t;
	if (lo ? p->last : empty)
		smmu_irq_signal(s, SMMU_IRQ_PRIQ, t);
	return SMMU_OK;
}
