/*
 * evtq.c - the event queue (IHI 0070 G.b §7.2, §7.3, §7.4): 32-byte records
 * written to memory at EVENTQ_PROD, overflow flagged with the OVFLG /
 * OVACKFLG toggle, EVENTQ_ABT_ERR on a write abort, interrupt when the queue
 * goes from empty to non-empty.
 *
 * Not modelled: event merging (every event is written), stall records.
 * Dropped events are never silent for the host: the `event` host op sees
 * every event with recorded=false, and stats count them.
 */
#include "smmu_internal.h"

void smmu_evtq_encode(const struct smmu_event *ev, uint64_t rec[4])
{
	rec[0] = (uint64_t)ev->id | ((uint64_t)(ev->ssv ? 1 : 0) << 11) |
		 ((uint64_t)(ev->ssid & 0xFFFFF) << 12) | ((uint64_t)ev->sid << 32);
	rec[1] = (uint64_t)ev->stag | ((uint64_t)(ev->stall ? 1 : 0) << 31) |
		 ((uint64_t)(ev->pnu ? 1 : 0) << 33) | ((uint64_t)(ev->ind ? 1 : 0) << 34) |
		 ((uint64_t)(ev->rnw ? 1 : 0) << 35) | ((uint64_t)(ev->s2 ? 1 : 0) << 39) |
		 ((uint64_t)(ev->cls & 3) << 40) | ((uint64_t)(ev->ttrnw ? 1 : 0) << 44);
	rec[2] = ev->input_addr;
	switch (ev->id) {
	case SMMU_EVT_F_STE_FETCH:
	case SMMU_EVT_F_CD_FETCH:
	case SMMU_EVT_F_VMS_FETCH:
	case SMMU_EVT_F_WALK_EABT:
		rec[3] = ev->fetch_addr & 0x00FFFFFFFFFFFFF8ull;
		break;
	case SMMU_EVT_F_TRANSLATION:
	case SMMU_EVT_F_ADDR_SIZE:
	case SMMU_EVT_F_ACCESS:
	case SMMU_EVT_F_PERMISSION:
		rec[3] = ev->s2 ? (ev->ipa & 0x00FFFFFFFFFFF000ull) : 0;
		break;
	default:
		rec[3] = 0;
	}
	/* F_BAD_ATS_TREQ (§7.3.6): what the Translation Request asked - R
	 * (always 1 for PCIe), W (!NW), X, P - and Span, the STUs requested
	 * (one: the model's requests are for one page); InputAddr in dw2. */
	if (ev->id == SMMU_EVT_F_BAD_ATS_TREQ) {
		rec[1] = 1u | ((uint64_t)(ev->pnu ? 1 : 0) << 28) | ((uint64_t)(ev->ind ? 1 : 0) << 29) |
			 ((uint64_t)(ev->rnw ? 0 : 1) << 30) | (1ull << 31);
		rec[2] = ev->input_addr & ~0xFFFull;
	}
	/* Configuration errors carry only dw0 (SPEC diagrams for 0x02/0x04). */
	switch (ev->id) {
	case SMMU_EVT_C_BAD_STREAMID:
	case SMMU_EVT_C_BAD_STE:
	case SMMU_EVT_C_BAD_CD:
	case SMMU_EVT_C_BAD_SUBSTREAMID:
	case SMMU_EVT_F_STREAM_DISABLED:
		rec[1] = rec[2] = rec[3] = 0;
		break;
	default:
		break;
	}
}

/* The Event queue's size, PROD and CONS (wrap bit included) and fullness. */
struct evtq_pos {
	unsigned qs;
	uint32_t idx_mask, wrap, prod, cons;
	bool full, empty;
};

static struct evtq_pos evtq_pos(const struct smmu *s)
{
	const struct smmu_regs *r = &s->r;
	struct evtq_pos q;
	q.qs = (unsigned)(r->eventq_base & SMMU_Q_BASE_LOG2SIZE_MASK);
	if (q.qs > s->cfg.eventqs)
		q.qs = s->cfg.eventqs;
	q.idx_mask = (1u << q.qs) - 1;
	q.wrap = 1u << q.qs;
	q.prod = r->eventq_prod & (q.idx_mask | q.wrap);
	q.cons = r->eventq_cons & (q.idx_mask | q.wrap);
	q.full = (q.prod & q.idx_mask) == (q.cons & q.idx_mask) &&
	         (q.prod & q.wrap) != (q.cons & q.wrap);
	q.empty = q.prod == q.cons;
	return q;
}

bool smmu_evtq_writable(const struct smmu *s)
{
	const struct smmu_regs *r = &s->r;
	return (r->cr0ack & SMMU_CR0_EVENTQEN) &&
	       !((r->gerror ^ r->gerrorn) & SMMU_GERROR_EVENTQ_ABT_ERR) && !evtq_pos(s).full;
}

bool smmu_evtq_record(struct smmu *s, const struct smmu_event *ev, uint64_t now)
{
	struct smmu_regs *r = &s->r;
	bool recorded = false;
	struct evtq_pos q = evtq_pos(s);
	unsigned qs = q.qs;
	uint32_t idx_mask = q.idx_mask, wrap = q.wrap, prod = q.prod;
	bool full = q.full, empty = q.empty;
	bool enabled = r->cr0ack & SMMU_CR0_EVENTQEN;
	bool abt = (r->gerror ^ r->gerrorn) & SMMU_GERROR_EVENTQ_ABT_ERR;
	if (enabled && !abt && !full) {
		uint64_t rec[4];
		smmu_evtq_encode(ev, rec);
		uint64_t base = r->eventq_base & SMMU_Q_BASE_ADDR_MASK;
		/* The effective base is aligned to the queue size. */
		uint64_t qbytes = 32ull << qs;
		base &= ~(qbytes - 1);
		uint64_t addr = base + (uint64_t)(prod & idx_mask) * 32;
		if (smmu_mem_write(s, addr, rec, 32) != 0) {
			smmu_gerror_raise(s, SMMU_GERROR_EVENTQ_ABT_ERR, now);
		} else {
			uint32_t np = (prod + 1) & (idx_mask | wrap);
			r->eventq_prod = (r->eventq_prod & SMMU_Q_OVFLG) | np;
			recorded = true;
			s->st.events_recorded++;
			if (empty)
				smmu_irq_signal(s, SMMU_IRQ_EVENTQ, now + s->cfg.t.mem_write);
		}
	} else if (enabled && !abt && full) {
		/* Overflow: toggle OVFLG if no overflow is pending acknowledgement. */
		if ((r->eventq_prod & SMMU_Q_OVFLG) == (r->eventq_cons & SMMU_Q_OVFLG)) {
			r->eventq_prod ^= SMMU_Q_OVFLG;
			s->st.eventq_overflows++;
		}
	}
	if (!recorded)
		s->st.events_dropped++;
	if (s->ops.event)
		s->ops.event(s->host, ev, recorded, now);
	return recorded;
}
