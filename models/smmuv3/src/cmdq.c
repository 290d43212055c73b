/*
 * cmdq.c - the command queue and command processor (IHI 0070 G.b ch.4,
 * §7.1), and broadcast TLB maintenance (BTM, §3.17.x / §6.3.12 CR2.PTM).
 *
 * The processor runs when CMDQ_PROD is written (or CMDQEN set, or CMDQ_ERR
 * acknowledged) and consumes every visible command at once, stamping each
 * with the cycle it started and completed. CMDQ_CONS reads at cycle `now`
 * show how far the processor had got by then, so software that polls CONS
 * sees completion at the modelled time, not at the time of the PROD write.
 *
 * Invalidation timing: the processor invalidates the TCU structures itself
 * (inv_base + inv_per_entry per entry examined, which the tag lists keep
 * equal to what is removed), then sends one invalidate message at a time to
 * each TBU (MMU-700: one token per TBU), each costing 2 x dti_hop +
 * tbu_inv_work + its removals. The command completes when its last message
 * is acknowledged; a CMD_SYNC completes after every earlier command and any
 * ATC invalidation round trip, then writes its MSI.
 *
 * Stalls: RESUME retries or terminates the stalled transaction of (SID,
 * STAG), STALL_TERM terminates every one of the SID (both CERROR_ILL with
 * STALL_MODEL=01). PRI_RESP sends the response to the function
 * (priq.c). Not modelled: PREFETCH_* (accepted and
 * ignored, as MMU-700 does), CMD_SYNC SEV signalling. Broadcasts (BTM) skip
 * entries inserted under a CD with ASET=1 (SMMU-local ASIDs).
 */
#include "smmu_internal.h"

/* ---- invalidation plumbing shared by commands and BTM ---- */

/* One invalidate message to a TBU that examined `work` entries: the TCU
 * issues one message at a time (MMU-700: one invalidation token per TBU), so
 * messages queue on inv_msg. Returns when the TBU's acknowledgement lands. */
static uint64_t tbu_message(struct smmu *s, uint64_t t, uint64_t work)
{
	const struct smmu_timing *tm = &s->cfg.t;
	uint64_t cost = 2ull * tm->dti_hop + tm->tbu_inv_work + (uint64_t)tm->inv_per_entry * work;
	return smmu_res_take(&s->inv_msg, t, cost) + cost;
}

/* The host's inv_removed observer, seen from tlb.c's on_remove hook: which
 * structure is being invalidated, and when. */
struct inv_obs {
	struct smmu *s;
	uint8_t structure;   /* enum smmu_hit */
	uint32_t tbu;
	bool broadcast;
	uint64_t cycle;
};

static void inv_obs_removed(void *ctx, const struct tlb_entry *e)
{
	const struct inv_obs *o = ctx;
	struct smmu_removed_entry r;
	memset(&r, 0, sizeof(r));
	r.structure = o->structure;
	r.world = e->world;
	r.vmid = e->vmid;
	r.asid = e->asid;
	r.base = e->page << e->shift;
	r.size = 1ull << e->shift;
	r.out = e->out;
	if (e->cls < TLB_CLS_WC_S1)
		r.out <<= e->shift; /* TLB: oa >> shift; walk cache: table PA as is */
	r.origin = e->origin;
	r.broadcast = o->broadcast;
	r.global = e->global;
	r.level = e->level;
	r.tbu = o->tbu;
	r.sid = e->sid;
	r.walk_origin = e->walk_origin;
	o->s->ops.inv_removed(o->s->host, &r, o->cycle);
}

uint64_t smmu_inv_tlbs(struct smmu *s, const struct tlb_inv *inv, uint64_t t, uint32_t *removed)
{
	const struct smmu_timing *tm = &s->cfg.t;
	uint64_t work = 0, w;
	uint32_t rm = 0;
	/* With an observer, the selector carries the hook; without one the
	 * invalidation runs exactly as before. */
	struct inv_obs obs = {.s = s, .structure = SMMU_HIT_TLB, .tbu = 0,
			      .broadcast = inv->broadcast, .cycle = t};
	struct tlb_inv observed;
	if (s->ops.inv_removed) {
		observed = *inv;
		observed.on_remove = inv_obs_removed;
		observed.ctx = &obs;
		inv = &observed;
	}
	rm += smmu_tlb_invalidate(&s->tlb, inv, &w);
	work += w;
	obs.structure = SMMU_HIT_WALK_CACHE;
	rm += smmu_tlb_invalidate(&s->wc, inv, &w);
	work += w;
	t += 2ull * tm->inv_base + (uint64_t)tm->inv_per_entry * work;
	uint64_t done = t;
	if (t > s->inv_tcu_done)
		s->inv_tcu_done = t;
	obs.cycle = t;
	for (uint32_t i = 0; i < s->cfg.num_tbus; i++) {
		uint64_t tw = 0;
		if (s->cfg.debug_skip_tbu_inv && !inv->broadcast)
			break; /* the seeded bug (smmu.h) */
		obs.tbu = i;
		obs.structure = SMMU_HIT_UTLB;
		rm += smmu_tlb_invalidate(&s->tbu[i].utlb, inv, &w);
		tw += w;
		obs.structure = SMMU_HIT_MTLB;
		rm += smmu_tlb_invalidate(&s->tbu[i].mtlb, inv, &w);
		tw += w;
		uint64_t end = tbu_message(s, t, tw);
		if (end > done)
			done = end;
	}
	s->st.inv_removed += rm;
	if (removed)
		*removed += rm;
	return done;
}

uint64_t smmu_inv_cfg(struct smmu *s, uint32_t lo, uint32_t hi, int64_t ssid_sel, uint64_t t,
		      uint32_t *removed)
{
	const struct smmu_timing *tm = &s->cfg.t;
	uint64_t w;
	uint32_t rm = smmu_cfgc_invalidate(&s->cfgc, lo, hi, ssid_sel, &w);
	t += tm->inv_base + (uint64_t)tm->inv_per_entry * w;
	uint64_t done = t;
	if (t > s->inv_tcu_done)
		s->inv_tcu_done = t;
	for (uint32_t i = 0; i < s->cfg.num_tbus; i++) {
		rm += smmu_cfgc_invalidate(&s->tbu[i].cfgc, lo, hi, ssid_sel, &w);
		uint64_t end = tbu_message(s, t, w);
		if (end > done)
			done = end;
	}
	s->st.inv_removed += rm;
	if (removed)
		*removed += rm;
	return done;
}

/* ---- CONS visibility ---- */

static void cons_log_add(struct smmu *s, uint64_t cycle, uint32_t prev, uint32_t cons)
{
	if (s->cons_n == s->cons_cap) {
		uint32_t cap = s->cons_cap ? s->cons_cap * 2 : 64;
		struct cons_point *p = smmu_alloc(s, cap, sizeof(*p));
		if (!p) {
			/* Out of host memory: CONS then reads as complete at once. */
			s->cons_n = 0;
			return;
		}
		if (s->cons_n)
			memcpy(p, s->cons_log, s->cons_n * sizeof(*p));
		smmu_free(s, s->cons_log);
		s->cons_log = p;
		s->cons_cap = cap;
	}
	s->cons_log[s->cons_n].cycle = cycle;
	s->cons_log[s->cons_n].cons = cons;
	s->cons_log[s->cons_n].prev = prev;
	s->cons_n++;
}

/* Drop log points at or before `now`: they are history. */
static void cons_log_trim(struct smmu *s, uint64_t now)
{
	uint32_t k = 0;
	while (k < s->cons_n && s->cons_log[k].cycle <= now)
		k++;
	if (k == 0)
		return;
	memmove(s->cons_log, s->cons_log + k, (s->cons_n - k) * sizeof(*s->cons_log));
	s->cons_n -= k;
}

uint32_t smmu_cmdq_cons_at(struct smmu *s, uint64_t now)
{
	uint32_t err = 0;
	if ((s->r.gerror ^ s->r.gerrorn) & SMMU_GERROR_CMDQ_ERR)
		err = s->r.cmdq_cons & (0x7Fu << SMMU_CMDQ_CONS_ERR_SHIFT);
	uint32_t idx = s->r.cmdq_cons & 0xFFFFFu;
	/* The first log point later than now: CONS had not yet moved past it. */
	uint32_t lo = 0, hi = s->cons_n;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (s->cons_log[mid].cycle <= now)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->cons_n) {
		/* cons_log[lo].cons is the value after that command; before it the
		 * value of the previous point, or the batch's starting value. */
		idx = s->cons_log[lo].prev;
	}
	return err | idx;
}

uint64_t smmu_cmdq_busy_until(const struct smmu *s)
{
	return s->cmd_t > s->pending_done ? s->cmd_t : s->pending_done;
}

/* ---- decoding helpers ---- */

static inline uint32_t f32(uint64_t v, unsigned lo, unsigned width)
{
	return (uint32_t)((v >> lo) & ((1ull << width) - 1));
}

/* Address range of a TLBI_*_VA / S2_IPA command (§4.4.1.1). Returns CERROR. */
static int tlbi_range(const struct smmu *s, const uint64_t c[2], bool ipa, struct tlb_inv *inv)
{
	unsigned tg = f32(c[1], 10, 2);
	unsigned num = f32(c[0], 12, 5);
	unsigned scale = f32(c[0], 20, 6);
	unsigned ttl = f32(c[1], 8, 2);
	uint64_t addr = c[1] & ~0xFFFull;
	if (ipa) {
		addr &= 0x00FFFFFFFFFFF000ull;
	} else {
		/* VA[63:12]: tag addresses are sign-extended from bit 55. */
		addr = ((addr >> 55) & 1) ? (addr | 0xFF00000000000000ull)
					  : (addr & 0x00FFFFFFFFFFFFFFull);
	}
	inv->by_addr = true;
	inv->leaf_only = c[1] & 1;
	inv->lo = addr;
	if (tg == 0) {
		inv->hi = addr;
		return SMMU_CERROR_NONE;
	}
	if (!s->caps.ril)
		return SMMU_CERROR_ILL; /* range fields are RES0 without IDR3.RIL */
	if (num == 0 && scale == 0 && ttl == 0)
		return SMMU_CERROR_ILL; /* reserved encoding */
	unsigned gshift = tg == 1 ? 12 : tg == 2 ? 14 : 16;
	unsigned sh = scale + gshift;
	/* (NUM+1) <= 32 = 2^5, so the span fits in 64 bits while sh < 59. */
	uint64_t span = sh >= 59 ? UINT64_MAX : (uint64_t)(num + 1) << sh;
	inv->lo &= ~((1ull << gshift) - 1);
	inv->hi = (span == UINT64_MAX || inv->lo > UINT64_MAX - span) ? UINT64_MAX
								     : inv->lo + span - 1;
	return SMMU_CERROR_NONE;
}

static bool vmid_ok(const struct smmu *s, uint32_t vmid)
{
	/* 8-bit VMID implementations: non-zero upper bits need match nothing. */
	return s->caps.vmid16 || vmid < 256;
}

/*
 * Execute one command at cycle *t (processor time). Returns a CERROR code.
 * rep->done is when its effects are complete.
 */
static int cmd_exec(struct smmu *s, const uint64_t c[2], uint64_t *t, struct smmu_cmd_report *rep)
{
	const struct smmu_caps *k = &s->caps;
	const struct smmu_timing *tm = &s->cfg.t;
	unsigned op = c[0] & 0xFF;
	uint32_t sid = (uint32_t)(c[0] >> 32);
	uint32_t ssid = f32(c[0], 12, 20);
	uint16_t vmid = (uint16_t)f32(c[0], 32, 16);
	uint16_t asid = (uint16_t)f32(c[0], 48, 16);
	struct tlb_inv inv;
	memset(&inv, 0, sizeof(inv));
	inv.tlb = inv.wc = true;
	*t += tm->cmd_decode;
	rep->done = *t;
	rep->exec = *t;

	switch (op) {
	case SMMU_CMD_PREFETCH_CONFIG:
	case SMMU_CMD_PREFETCH_ADDR:
		if (c[0] & (1u << 10))
			return SMMU_CERROR_ILL;
		return SMMU_CERROR_NONE;
	case SMMU_CMD_CFGI_STE:
	case SMMU_CMD_CFGI_STE_RANGE: {
		if (c[0] & (1u << 10))
			return SMMU_CERROR_ILL;
		uint32_t lo = sid, hi = sid;
		if (op == SMMU_CMD_CFGI_STE_RANGE) {
			unsigned range = f32(c[1], 0, 5);
			if (range == 31) {
				lo = 0;
				hi = UINT32_MAX;
			} else {
				uint64_t n = 2ull << range;
				lo = (uint32_t)(sid & ~(n - 1));
				hi = (uint32_t)(lo + n - 1);
			}
		}
		rep->invalidation = true;
		rep->done = smmu_inv_cfg(s, lo, hi, -1, *t, &rep->removed);
		return SMMU_CERROR_NONE;
	}
	case SMMU_CMD_CFGI_CD:
	case SMMU_CMD_CFGI_CD_ALL:
		if (!k->s1p || (c[0] & (1u << 10)))
			return SMMU_CERROR_ILL;
		rep->invalidation = true;
		rep->done = smmu_inv_cfg(s, sid, sid, op == SMMU_CMD_CFGI_CD ? (int64_t)ssid : -1,
					 *t, &rep->removed);
		return SMMU_CERROR_NONE;
	case SMMU_CMD_CFGI_VMS_PIDM:
		return SMMU_CERROR_ILL; /* no MPAM / VMS */
	case SMMU_CMD_TLBI_NH_ALL:
	case SMMU_CMD_TLBI_NH_ASID:
	case SMMU_CMD_TLBI_NH_VA:
	case SMMU_CMD_TLBI_NH_VAA:
		if (!k->s1p)
			return SMMU_CERROR_ILL;
		inv.world = SMMU_WORLD_NS_EL1;
		inv.vmid = k->s2p ? vmid : 0;
		inv.match_vmid = true;
		inv.kinds[0] = true;
		if (op == SMMU_CMD_TLBI_NH_ASID) {
			inv.by_asid = true;
			inv.asid = asid;
			if (!k->asid16 && asid >= 256)
				goto nothing;
		} else if (op == SMMU_CMD_TLBI_NH_VA || op == SMMU_CMD_TLBI_NH_VAA) {
			int e = tlbi_range(s, c, false, &inv);
			if (e)
				return e;
			inv.asid = asid;
			inv.addr_any_asid = op == SMMU_CMD_TLBI_NH_VAA;
		}
		if (k->s2p && !vmid_ok(s, vmid))
			goto nothing;
		break;
	case SMMU_CMD_TLBI_EL2_ALL:
	case SMMU_CMD_TLBI_EL2_ASID:
	case SMMU_CMD_TLBI_EL2_VA:
	case SMMU_CMD_TLBI_EL2_VAA:
		if (!k->hyp)
			return SMMU_CERROR_ILL;
		inv.kinds[0] = true;
		inv.match_vmid = true;
		inv.vmid = 0;
		if (op == SMMU_CMD_TLBI_EL2_ALL) {
			rep->invalidation = true;
			inv.world = SMMU_WORLD_NS_EL2;
			inv.match_vmid = false;
			rep->done = smmu_inv_tlbs(s, &inv, *t, &rep->removed);
			inv.world = SMMU_WORLD_NS_EL2_E2H;
			uint64_t d = smmu_inv_tlbs(s, &inv, *t, &rep->removed);
			if (d > rep->done)
				rep->done = d;
			return SMMU_CERROR_NONE;
		}
		inv.world = k->e2h ? SMMU_WORLD_NS_EL2_E2H : SMMU_WORLD_NS_EL2;
		if (op == SMMU_CMD_TLBI_EL2_ASID) {
			if (!k->e2h)
				goto nothing; /* EL2 (non-E2H) entries carry no ASID */
			inv.by_asid = true;
			inv.asid = asid;
		} else {
			int e = tlbi_range(s, c, false, &inv);
			if (e)
				return e;
			inv.asid = asid;
			inv.addr_any_asid = op == SMMU_CMD_TLBI_EL2_VAA || !k->e2h;
		}
		break;
	case SMMU_CMD_TLBI_EL3_ALL:
	case SMMU_CMD_TLBI_EL3_VA:
		return SMMU_CERROR_ILL; /* never valid on the Non-secure queue */
	case SMMU_CMD_TLBI_S12_VMALL:
	case SMMU_CMD_TLBI_S2_IPA:
		if (!k->s2p)
			return SMMU_CERROR_ILL;
		inv.world = SMMU_WORLD_NS_EL1;
		inv.vmid = vmid;
		inv.match_vmid = true;
		if (op == SMMU_CMD_TLBI_S12_VMALL) {
			inv.kinds[0] = inv.kinds[1] = true;
		} else {
			/* S2-only entries by IPA; combined S1+S2 entries are tagged by VA
			 * and are left alone, as the architecture permits (software pairs
			 * S2_IPA with NH_ALL / NH_VAA). */
			inv.kinds[1] = true;
			int e = tlbi_range(s, c, true, &inv);
			if (e)
				return e;
		}
		if (!vmid_ok(s, vmid))
			goto nothing;
		break;
	case SMMU_CMD_TLBI_NSNH_ALL:
		inv.world = SMMU_WORLD_NS_EL1;
		inv.match_vmid = false;
		inv.kinds[0] = inv.kinds[1] = true;
		break;
	case SMMU_CMD_ATC_INV: {
		if (!k->ats)
			return SMMU_CERROR_ILL;
		unsigned size = f32(c[1], 0, 6);
		if (size > 52)
			return SMMU_CERROR_ILL;
		rep->invalidation = true;
		if (!smmu_enabled(s))
			return SMMU_CERROR_NONE; /* IGNORED while SMMUEN=0 */
		s->st.ats_invs++;
		bool ssv = c[0] & (1u << 11);
		bool global = (c[0] & (1u << 9)) && ssv;
		uint64_t addr = c[1] & ~0xFFFull;
		if (size < 52)
			addr &= ~((4096ull << size) - 1);
		uint64_t issue = *t + tm->dti_hop;
		uint64_t back = s->ops.ats_inv ? s->ops.ats_inv(s->host, sid, ssid, ssv, global, addr,
							     (uint8_t)size, issue)
					    : issue;
		if (back < issue)
			back = issue;
		if (back > s->atc_pending)
			s->atc_pending = back;
		/* a completion that never comes is the next SYNC's to give up on */
		rep->done = back == UINT64_MAX ? issue : back;
		return SMMU_CERROR_NONE;
	}
	case SMMU_CMD_PRI_RESP:
		if (!k->pri || f32(c[1], 12, 2) == 3)
			return SMMU_CERROR_ILL;
		/* SID [63:32], SSV [11], SSID [31:12]; PRGIndex [8:0], Resp [13:12].
		 * IGNORED while SMMUEN=0; fire and forget (a SYNC adds nothing). */
		if (smmu_enabled(s))
			smmu_pri_resp_cmd(s, sid, (c[0] >> 11) & 1, ssid, (uint16_t)(c[1] & 0x1FF),
					  f32(c[1], 12, 2), *t + tm->dti_hop);
		return SMMU_CERROR_NONE;
	case SMMU_CMD_RESUME:
		/* SSec == 1 on the Non-secure queue is ILLEGAL (§4.1.6, §4.7.1). */
		if (k->stall_model == 1 || (c[0] & (1u << 10)))
			return SMMU_CERROR_ILL;
		/* SID [63:32], SSec [10], Ac [12] retry, Ab [13] abort; STAG [15:0] */
		if (smmu_enabled(s))
			smmu_stall_resume(s, (uint32_t)(c[0] >> 32), (uint16_t)(c[1] & 0xffff),
					  (c[0] >> 12) & 1, (c[0] >> 13) & 1, *t);
		return SMMU_CERROR_NONE;
	case SMMU_CMD_STALL_TERM:
		if (k->stall_model == 1 || (c[0] & (1u << 10))) /* SSec (§4.7.2) */
			return SMMU_CERROR_ILL;
		smmu_stall_end_all(s, (uint32_t)(c[0] >> 32), *t, 1);
		return SMMU_CERROR_NONE;
	case SMMU_CMD_SYNC: {
		unsigned cs = f32(c[0], 12, 2);
		if (cs == 3)
			return SMMU_CERROR_ILL;
		/* ATC_INV completions: past t.atc_inv_timeout the SYNC stops
		 * with CERROR_ATC_INV_SYNC, not consumed (§4.7.3); it gives up
		 * on them, so the SYNC repeated after the error completes. */
		if (s->atc_pending > *t && s->atc_pending - *t > tm->atc_inv_timeout) {
			*t += tm->atc_inv_timeout;
			s->atc_pending = 0;
			s->pending_done = 0;
			return SMMU_CERROR_ATC_INV_SYNC;
		}
		uint64_t done = *t > s->pending_done ? *t : s->pending_done;
		if (s->atc_pending > done)
			done = s->atc_pending;
		s->atc_pending = 0;
		done += tm->sync_base;
		if (cs == 1) {
			uint64_t msiaddr = c[1] & 0x00FFFFFFFFFFFFFCull;
			uint32_t data = (uint32_t)(c[0] >> 32);
			if (msiaddr && s->cfg.msi) {
				done += tm->mem_write;
				int rc = s->ops.msi ? s->ops.msi(s->host, msiaddr, data, done)
						    : smmu_mem_write(s, msiaddr, &data, 4);
				if (rc)
					smmu_gerror_raise(s, SMMU_GERROR_MSI_CMDQ_ABT_ERR, done);
			} else if (s->ops.irq) {
				s->ops.irq(s->host, SMMU_IRQ_CMD_SYNC, done);
			}
		}
		rep->done = done;
		*t = done; /* later commands wait for the SYNC */
		s->pending_done = 0;
		s->last_sync_done = done;
		return SMMU_CERROR_NONE;
	}
	default:
		return SMMU_CERROR_ILL;
	}
	rep->invalidation = true;
	rep->done = smmu_inv_tlbs(s, &inv, *t, &rep->removed);
	return SMMU_CERROR_NONE;
nothing:
	rep->invalidation = true;
	return SMMU_CERROR_NONE;
}

void smmu_cmdq_run(struct smmu *s, uint64_t now)
{
	struct smmu_regs *r = &s->r;
	if (s->in_cmdq || !(r->cr0ack & SMMU_CR0_CMDQEN))
		return;
	if ((r->gerror ^ r->gerrorn) & SMMU_GERROR_CMDQ_ERR)
		return;
	s->in_cmdq = true;
	unsigned qs = (unsigned)(r->cmdq_base & SMMU_Q_BASE_LOG2SIZE_MASK);
	if (qs > s->cfg.cmdqs)
		qs = s->cfg.cmdqs;
	uint32_t idx_mask = (1u << qs) - 1, qmask = (2u << qs) - 1;
	uint64_t base = r->cmdq_base & SMMU_Q_BASE_ADDR_MASK;
	uint64_t qbytes = 16ull << qs;
	if (qbytes < 32)
		qbytes = 32;
	base &= ~(qbytes - 1);
	uint32_t cons = r->cmdq_cons & qmask;
	uint32_t prod = r->cmdq_prod & qmask;
	uint64_t t = s->cmd_t > now ? s->cmd_t : now;
	cons_log_trim(s, now);
	unsigned fetched = 0;
	const unsigned batch = s->cfg.t.cmd_fetch_batch ? s->cfg.t.cmd_fetch_batch : 1;
	/* Inconsistent pointers (PROD "behind" CONS in a way no legal state
	 * allows) make no progress, one of the CU behaviours. */
	uint32_t pending = (prod - cons) & qmask;
	if (pending > (1u << qs))
		pending = 0;
	while (pending--) {
		uint64_t c[2];
		struct smmu_cmd_report rep;
		memset(&rep, 0, sizeof(rep));
		rep.index = cons;
		rep.arrive = now;
		if (fetched++ % batch == 0) {
			t += s->cfg.t.mem_read;
			rep.fetch = s->cfg.t.mem_read;
		}
		rep.start = t;
		s->inv_tcu_done = 0;
		int err;
		if (smmu_mem_read(s, base + (uint64_t)(cons & idx_mask) * 16, c, 16)) {
			err = SMMU_CERROR_ABT;
			rep.op = 0;
		} else {
			rep.op = (uint8_t)(c[0] & 0xFF);
			rep.cmd[0] = c[0];
			rep.cmd[1] = c[1];
			err = cmd_exec(s, c, &t, &rep);
			rep.tcu_done = s->inv_tcu_done > rep.exec ? s->inv_tcu_done : rep.exec;
		}
		if (err) {
			/* CONS stays on the offending command; ERR before GERROR. */
			rep.cerror = (uint8_t)err;
			rep.done = t;
			r->cmdq_cons = (r->cmdq_cons & ~(0x7Fu << SMMU_CMDQ_CONS_ERR_SHIFT) &
					~qmask) | cons | ((uint32_t)err << SMMU_CMDQ_CONS_ERR_SHIFT);
			s->st.cerrors++;
			smmu_gerror_raise(s, SMMU_GERROR_CMDQ_ERR, t);
			if (s->ops.cmd_done)
				s->ops.cmd_done(s->host, &rep);
			break;
		}
		s->st.cmds++;
		s->st.cmds_by_op[rep.op]++;
		if (rep.op != SMMU_CMD_SYNC && rep.done > s->pending_done)
			s->pending_done = rep.done;
		uint32_t prev = cons;
		cons = (cons + 1) & qmask;
		r->cmdq_cons = (r->cmdq_cons & ~qmask) | cons;
		/* CONS passes a SYNC only when it completes; others once started. */
		cons_log_add(s, rep.op == SMMU_CMD_SYNC ? rep.done : t, prev, cons);
		if (s->ops.cmd_done)
			s->ops.cmd_done(s->host, &rep);
	}
	s->cmd_t = t;
	s->in_cmdq = false;
}

/* ---- broadcast TLB maintenance ---- */

int smmu_btm_tlbi(struct smmu *s, const struct smmu_btm_tlbi *b, uint64_t now, uint32_t *removed)
{
	if (!s || !b)
		return SMMU_ERR_INVAL;
	uint32_t rm = 0;
	if (removed)
		*removed = 0;
	if (!s->caps.btm || (s->r.cr2_latched & SMMU_CR2_PTM) || !smmu_enabled(s))
		return SMMU_OK;
	s->st.btm_tlbis++;
	struct tlb_inv inv;
	memset(&inv, 0, sizeof(inv));
	inv.tlb = inv.wc = true;
	inv.broadcast = true; /* CD.ASET=1 entries are SMMU-local */
	inv.world = SMMU_WORLD_NS_EL1;
	inv.vmid = b->vmid;
	inv.match_vmid = true;
	inv.kinds[0] = true;
	uint64_t va = ((b->addr >> 55) & 1) ? (b->addr | 0xFF00000000000000ull)
					     : (b->addr & 0x00FFFFFFFFFFFFFFull);
	va &= ~0xFFFull;
	switch (b->op) {
	case SMMU_BTM_VMALLE1IS:
		break;
	case SMMU_BTM_ASIDE1IS:
		inv.by_asid = true;
		inv.asid = b->asid;
		break;
	case SMMU_BTM_VAE1IS:
	case SMMU_BTM_VALE1IS:
	case SMMU_BTM_VAAE1IS:
	case SMMU_BTM_VAALE1IS:
		inv.by_addr = true;
		inv.lo = inv.hi = va;
		inv.asid = b->asid;
		inv.addr_any_asid = b->op == SMMU_BTM_VAAE1IS || b->op == SMMU_BTM_VAALE1IS;
		inv.leaf_only = b->op == SMMU_BTM_VALE1IS || b->op == SMMU_BTM_VAALE1IS;
		break;
	case SMMU_BTM_IPAS2E1IS:
	case SMMU_BTM_IPAS2LE1IS:
		inv.kinds[0] = false;
		inv.kinds[1] = true;
		inv.by_addr = true;
		inv.lo = inv.hi = b->addr & 0x00FFFFFFFFFFF000ull;
		inv.leaf_only = b->op == SMMU_BTM_IPAS2LE1IS;
		break;
	case SMMU_BTM_VMALLS12E1IS:
		inv.kinds[1] = true;
		break;
	case SMMU_BTM_ALLE1IS:
		inv.match_vmid = false;
		inv.kinds[1] = true;
		break;
	case SMMU_BTM_ALLE2IS:
		inv.match_vmid = false;
		inv.world = SMMU_WORLD_NS_EL2;
		smmu_inv_tlbs(s, &inv, now, &rm);
		inv.world = SMMU_WORLD_NS_EL2_E2H;
		break;
	case SMMU_BTM_VAE2IS:
		inv.world = s->caps.e2h ? SMMU_WORLD_NS_EL2_E2H : SMMU_WORLD_NS_EL2;
		inv.vmid = 0;
		inv.by_addr = true;
		inv.lo = inv.hi = va;
		inv.asid = b->asid;
		inv.addr_any_asid = !s->caps.e2h;
		break;
	case SMMU_BTM_ASIDE2IS:
		if (!s->caps.e2h)
			return SMMU_OK;
		inv.world = SMMU_WORLD_NS_EL2_E2H;
		inv.vmid = 0;
		inv.by_asid = true;
		inv.asid = b->asid;
		break;
	default:
		return SMMU_ERR_INVAL;
	}
	smmu_inv_tlbs(s, &inv, now, &rm);
	if (removed)
		*removed = rm;
	return SMMU_OK;
}
