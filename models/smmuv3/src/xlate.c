/*
 * xlate.c - one upstream transaction through the SMMU: TBU stream-context
 * cache, micro-TLB and main TLB; then over DTI to the TCU: config cache,
 * stream table and CD fetch (with stage 2 for nested CD pointers), TCU TLB,
 * walk cache and the page-table walker; fault handling and event records.
 *
 * IHI 0070 G.b §3.3 (stream table, StreamWorld), §3.4 (address sizes, TBI),
 * §3.9/§5.2 (STE Config, S1DSS), §5.4 (CD, EPDx), §5.5 (A/R/S fault
 * behaviour), §7.3.22 (event priority), §3.12/§7.2 (event recording).
 *
 * Timing (DESIGN.md "Timing"): cycles accumulate per step; resources with
 * slots (uTLB port, main-TLB lookup slots, TCU translation slots, config-walk
 * and page-walk slots) add waits when busy. One mem_read per descriptor.
 *
 * Stalls, HTTU, ATS Translation Requests and Translated transactions are
 * here; PRI in priq.c. Not modelled: MPAM, CR2.REC_CFG_ATS, transactions
 * spanning a page boundary (the first byte is translated).
 */
#include "smmu_internal.h"

/* ---- small helpers ---- */

static inline unsigned level_shift(unsigned g, int level)
{
	return g + (unsigned)(3 - level) * (g - 3);
}

struct xl {
	struct smmu *s;
	const struct smmu_txn *txn;
	const struct smmu_ctx *ctx; /* the stream context, once known */
	struct smmu_xlate_result *res;
	uint64_t t;
	bool priv, exec, write;
	uint32_t reads;
	bool treq; /* an ATS Translation Request (§3.9.1): faults record no event */
	bool translated; /* an ATS Translated transaction checked (CR0.ATSCHK=1) */
	bool split; /* a split-stage Translation Request: the stage-1 output (IPA) and
		     * stage-1 permissions answer it */
};

static int ptw_read(void *ctx, uint64_t pa, uint64_t *desc)
{
	struct xl *x = ctx;
	x->reads++;
	return smmu_mem_read(x->s, pa, desc, 8);
}

static inline int perm_check(const struct tlb_entry *e, const struct xl *x);

/* The walk cache's stage-2 translations of nested stage-1 table IPAs
 * (wc_s2tt): TLB_CLS_S2 entries tagged <world, VMID, IPA>, as the stage-2
 * TLBIs find them. */
static bool s2tt_lookup(void *ctx, uint64_t ipa, uint64_t *pa)
{
	struct xl *x = ctx;
	struct smmu *s = x->s;
	uint32_t probes;
	struct tlb_entry *e = smmu_tlb_lookup(&s->wc, TLB_CLS_S2, x->ctx->world, x->ctx->vmid,
					      SMMU_ASID_NONE, ipa, &probes);
	x->t += s->cfg.wc.latency + (probes - 1);
	if (!e)
		return false;
	*pa = (e->out << e->shift) | (ipa & ((1ull << e->shift) - 1));
	s->st.wc_s2tt_hits++;
	return true;
}

static void s2tt_insert(void *ctx, uint64_t ipa, uint64_t pa, unsigned page_shift)
{
	struct xl *x = ctx;
	struct tlb_entry w;
	memset(&w, 0, sizeof(w));
	w.shift = (uint8_t)page_shift;
	w.page = ipa >> page_shift;
	w.out = pa >> page_shift;
	w.ipa = ipa & ~((1ull << page_shift) - 1);
	w.cls = TLB_CLS_S2;
	w.world = x->ctx->world;
	w.vmid = x->ctx->vmid;
	w.asid = SMMU_ASID_NONE;
	w.level = 3;
	w.s1_perm = w.s2_perm = SMMU_PERM_ALL;
	w.sid = x->txn->sid;
	w.stamp = x->t;
	w.origin = w.walk_origin = smmu_origin(x->s);
	smmu_tlb_insert(&x->s->wc, &w);
}

/* An HTTU descriptor update: a write to memory through the host. */
static int ptw_write(void *ctx, uint64_t pa, uint64_t desc)
{
	struct xl *x = ctx;
	x->s->st.httu_writes++;
	return smmu_mem_write(x->s, pa, &desc, 8);
}

/* Fill the common fields of an event for this transaction. */
static void ev_init(struct xl *x, struct smmu_event *ev, uint8_t id)
{
	memset(ev, 0, sizeof(*ev));
	ev->id = id;
	ev->sid = x->txn->sid;
	ev->ssv = x->txn->ssv;
	ev->ssid = x->txn->ssv ? x->txn->ssid : 0;
	ev->pnu = x->priv;
	ev->ind = x->exec && !x->write;
	ev->rnw = !x->write;
	ev->input_addr = x->txn->addr;
}

/* Terminate the transaction with an event: record it if `record`,
 * abort or RAZ/WI as asked. */
static void terminate(struct xl *x, const struct smmu_event *ev, bool record, bool abort)
{
	struct smmu_xlate_result *res = x->res;
	res->outcome = abort ? SMMU_XLATE_ABORT : SMMU_XLATE_RAZWI;
	res->hit = SMMU_HIT_NONE;
	res->event = ev->id;
	res->ev = *ev;
	x->s->st.faults++;
	/* An ATS Translation Request only ever records F_BAD_ATS_TREQ: a fault
	 * gives a completion without permission, any other error CA. */
	if (x->treq && ev->id != SMMU_EVT_F_BAD_ATS_TREQ)
		record = false;
	/* ATS Translated traffic (ATSCHK=1) meeting a configuration error is
	 * aborted and recorded only with CR2.REC_CFG_ATS (§3.9.1.3), which
	 * this model does not implement (reads 0): never recorded. */
	if (x->translated) {
		switch (ev->id) {
		case SMMU_EVT_C_BAD_STREAMID:
		case SMMU_EVT_C_BAD_SUBSTREAMID:
		case SMMU_EVT_F_STE_FETCH:
		case SMMU_EVT_C_BAD_STE:
		case SMMU_EVT_F_STREAM_DISABLED:
		case SMMU_EVT_F_VMS_FETCH:
		case SMMU_EVT_F_CFG_CONFLICT:
			record = false;
			break;
		default:
			break;
		}
	}
	if (record) {
		res->event_recorded = smmu_evtq_record(x->s, ev, x->t);
	} else {
		res->event_recorded = false;
		if (x->s->ops.event)
			x->s->ops.event(x->s->host, ev, false, x->t);
	}
}

/* Architected behaviour of a translation-related fault (§5.5): stage 1 uses
 * CD.{A,R,S}, stage 2 uses STE.{S2R,S2S} with A=1. Other faults always
 * abort and are always offered to the queue. */
/* Stall the transaction (A/R/S = xx1, §3.12): it is held under a free
 * STAG and the event is always recorded, with Stall=1 and the STAG. Without
 * a free STAG it terminates (abort, recorded). A stall fault record is
 * never discarded and never overflows the queue (§7.4): when the Event
 * queue is not writable (full, disabled, EVENTQ_ABT_ERR) the transaction is
 * held without a record and retried as newly arrived when the queue is
 * next writable (§3.12.2, smmu_stall_retry_unrecorded). */
static void stall(struct xl *x, const struct smmu_event *ev)
{
	struct smmu *s = x->s;
	if (x->treq) {
		terminate(x, ev, false, true); /* a Translation Request is never stalled */
		return;
	}
	uint32_t n = s->cfg.stall_max;
	for (uint32_t i = 0; s->stalled && i < n; i++) {
		uint16_t stag = (uint16_t)((s->next_stag + i) % n);
		struct smmu_stalled *st = &s->stalled[stag];
		if (st->valid)
			continue;
		st->valid = true;
		st->txn = *x->txn;
		st->since = x->t;
		s->next_stag = (uint16_t)((stag + 1) % n);
		s->nstalled++;
		s->st.stalls++;
		struct smmu_event e = *ev;
		e.stall = true;
		e.stag = stag;
		st->unrecorded = !smmu_evtq_writable(s);
		if (st->unrecorded) {
			struct smmu_xlate_result *res = x->res;
			res->hit = SMMU_HIT_NONE;
			res->event = e.id;
			res->ev = e;
			res->event_recorded = false;
			s->st.faults++;
			s->st.stalls_unrecorded++;
		} else {
			terminate(x, &e, true, true);
		}
		x->res->outcome = SMMU_XLATE_STALLED;
		x->res->stag = stag;
		return;
	}
	terminate(x, ev, true, true);
}

static void fault(struct xl *x, const struct smmu_ctx *ctx, const struct smmu_event *ev)
{
	bool configurable = ev->id == SMMU_EVT_F_TRANSLATION || ev->id == SMMU_EVT_F_ADDR_SIZE ||
			    ev->id == SMMU_EVT_F_ACCESS || ev->id == SMMU_EVT_F_PERMISSION;
	if (!configurable) {
		terminate(x, ev, true, true);
		return;
	}
	if (ev->s2) {
		if (ctx->ste.s2s)
			stall(x, ev);
		else
			terminate(x, ev, ctx->ste.s2r, true);
		return;
	}
	if (ctx->kind == CTX_S1) {
		if (ctx->cd.s)
			stall(x, ev);
		else
			terminate(x, ev, ctx->cd.r, ctx->cd.a);
		return;
	}
	/* Stage 1 bypassed (address-size fault of bypass): always abort + record. */
	terminate(x, ev, true, true);
}

static void ptw_fault_event(struct xl *x, const struct smmu_ptw_fault *f, struct smmu_event *ev)
{
	ev_init(x, ev, f->event);
	ev->s2 = f->s2;
	ev->cls = f->cls;
	ev->ipa = f->ipa;
	ev->fetch_addr = f->fetch_addr;
	/* A stage-2 permission fault on a stage-1 table access: was it the
	 * walk's read of the descriptor or its HTTU write? */
	ev->ttrnw = f->event == SMMU_EVT_F_PERMISSION && f->cls == SMMU_CLASS_TT && !f->desc_write;
}

/* A write that a cached entry denies but whose leaf is writable-clean
 * (DBM with HD): the TCU must walk again and dirty the descriptor. */
static inline bool needs_dirty_walk(const struct tlb_entry *e, const struct xl *x)
{
	if (!e || !x->write || !e->dbm)
		return false;
	int denied = perm_check(e, x);
	return (denied == 1 && (e->dbm & 1)) || (denied == 2 && (e->dbm & 2));
}

/* ---- configuration: stream table and CD fetch ---- */

void smmu_strtab_cfg(const struct smmu *s, struct smmu_strtab_cfg *tab)
{
	uint32_t cfg = s->r.strtab_base_cfg;
	unsigned log2 = cfg & 0x3f;
	if (log2 > s->cfg.sidsize)
		log2 = s->cfg.sidsize;
	tab->log2size = (uint8_t)log2;
	tab->two_level = s->cfg.st_level2 && ((cfg >> SMMU_STRTAB_FMT_SHIFT) & 3) == 1;
	unsigned split = (cfg >> SMMU_STRTAB_SPLIT_SHIFT) & 0x1f;
	if (split != 6 && split != 8 && split != 10)
		split = 6;
	tab->split = (uint8_t)split;
	uint64_t base = s->r.strtab_base & 0x00FFFFFFFFFFFFC0ull;
	unsigned align;
	if (tab->two_level) {
		int a = (int)log2 - (int)split - 1 + 3;
		align = a > 5 ? (unsigned)a : 5;
	} else {
		align = log2 + 5;
	}
	if (align < 63)
		base &= ~((2ull << align) - 1);
	tab->base = base;
}

/* Read through stage 2 when the config's pointers are IPAs (nested). Returns
 * 0, or fills ev and returns 1. */
static int cfg_read(struct xl *x, const struct smmu_ste *ste, bool ipa, uint64_t addr, void *buf,
		    uint32_t len, uint8_t fetch_event, struct smmu_event *ev, bool *s2_fault)
{
	uint64_t pa = addr;
	*s2_fault = false;
	if (ipa) {
		struct smmu_ptw_req req = {.ia = addr, .write = false, .priv = true, .exec = false};
		struct smmu_ptw_result r;
		struct smmu_ptw_fault f;
		int rc = smmu_ptw_walk(&ste->s2, &req, NULL, ptw_read, x, &r, &f);
		x->t += (uint64_t)r.nreads * x->s->cfg.t.mem_read;
		if (!rc && ste->s2.ptw && smmu_s2_attr_device(r.s2_attr, ste->s2.fwb)) {
			/* STE.S2PTW: no CD fetch from stage-2 Device memory. */
			memset(&f, 0, sizeof(f));
			f.event = SMMU_EVT_F_PERMISSION;
			rc = 1;
		}
		if (rc) {
			ev_init(x, ev, f.event);
			ev->s2 = true;
			ev->cls = SMMU_CLASS_CD;
			ev->ipa = addr;
			ev->fetch_addr = f.fetch_addr;
			*s2_fault = true;
			return 1;
		}
		pa = r.oa;
	}
	x->reads++;
	x->t += x->s->cfg.t.mem_read;
	if (smmu_mem_read(x->s, pa, buf, len)) {
		ev_init(x, ev, fetch_event);
		ev->fetch_addr = pa;
		return 1;
	}
	return 0;
}

/*
 * Build the context for txn from memory. Returns 0 with ctx filled, or 1
 * after terminating the transaction (event raised per the rules).
 */
int smmu_ste_locate(struct smmu *s, uint32_t sid, uint64_t *ste_pa, uint64_t *l1_pa,
		    unsigned *reads)
{
	struct smmu_strtab_cfg tab;
	smmu_strtab_cfg(s, &tab);
	*reads = 0;
	if (tab.log2size < 32 && sid >= (1ull << tab.log2size))
		return SMMU_EVT_C_BAD_STREAMID;
	if (!tab.two_level) {
		*ste_pa = tab.base + (uint64_t)sid * 64;
		return 0;
	}
	uint64_t l1;
	*l1_pa = tab.base + (uint64_t)(sid >> tab.split) * 8;
	*reads = 1;
	if (smmu_mem_read(s, *l1_pa, &l1, 8))
		return SMMU_EVT_F_STE_FETCH;
	return smmu_l1std_decode(l1, &tab, sid, ste_pa) ? 0 : SMMU_EVT_C_BAD_STREAMID;
}

static int ctx_decode(struct xl *x, struct smmu_ctx *ctx)
{
	struct smmu *s = x->s;
	const struct smmu_txn *txn = x->txn;
	struct smmu_event ev;
	memset(ctx, 0, sizeof(*ctx));

	/* Stream table entry. */
	uint64_t ste_pa = 0, l1pa = 0;
	unsigned l1reads;
	int why = smmu_ste_locate(s, txn->sid, &ste_pa, &l1pa, &l1reads);
	x->reads += l1reads;
	x->t += (uint64_t)l1reads * s->cfg.t.mem_read;
	if (why == SMMU_EVT_C_BAD_STREAMID) {
		ev_init(x, &ev, SMMU_EVT_C_BAD_STREAMID);
		terminate(x, &ev, s->r.cr2_latched & SMMU_CR2_RECINVSID, true);
		return 1;
	}
	if (why) {
		ev_init(x, &ev, SMMU_EVT_F_STE_FETCH);
		ev.fetch_addr = l1pa;
		terminate(x, &ev, true, true);
		return 1;
	}
	uint64_t raw[8];
	x->reads++;
	x->t += s->cfg.t.mem_read;
	if (smmu_mem_read(s, ste_pa, raw, 64)) {
		ev_init(x, &ev, SMMU_EVT_F_STE_FETCH);
		ev.fetch_addr = ste_pa;
		terminate(x, &ev, true, true);
		return 1;
	}
	if (x->translated && !(raw[0] & 1)) {
		/* Translated traffic to an invalid STE: aborted, no event */
		x->res->outcome = SMMU_XLATE_ABORT;
		x->res->hit = SMMU_HIT_NONE;
		return 1;
	}
	if (smmu_ste_decode(raw, &s->caps, &ctx->ste) != 0) {
		ev_init(x, &ev, SMMU_EVT_C_BAD_STE);
		terminate(x, &ev, true, true);
		return 1;
	}
	const struct smmu_ste *ste = &ctx->ste;
	ctx->world = ste->world;
	ctx->asid = SMMU_ASID_NONE;
	switch (ste->config) {
	case SMMU_STE_CFG_BYPASS:
		/* §7.3.9: a SubstreamID with stage 1 disabled (Config 0b1x0). */
		if (txn->ssv && !x->translated) {
			ev_init(x, &ev, SMMU_EVT_C_BAD_SUBSTREAMID);
			terminate(x, &ev, true, true);
			return 1;
		}
		ctx->kind = CTX_BYPASS;
		return 0;
	case SMMU_STE_CFG_S1:
	case SMMU_STE_CFG_S2:
	case SMMU_STE_CFG_NESTED:
		break;
	default:
		ctx->kind = CTX_ABORT;
		return 0;
	}
	ctx->s2 = ste->config == SMMU_STE_CFG_S2 || ste->config == SMMU_STE_CFG_NESTED;
	/* S2VMID tags NS-EL1 entries for Config 1x1 and 11x (when stage 2 exists). */
	ctx->vmid = (ctx->world == SMMU_WORLD_NS_EL1 && s->caps.s2p) ? ste->s2vmid : 0;
	bool s1 = ste->config == SMMU_STE_CFG_S1 || ste->config == SMMU_STE_CFG_NESTED;
	if (!s1) {
		if (txn->ssv) {
			ev_init(x, &ev, SMMU_EVT_C_BAD_SUBSTREAMID);
			terminate(x, &ev, true, true);
			return 1;
		}
		ctx->kind = CTX_S2;
		return 0;
	}

	/* Substream and CD selection (§5.2 S1DSS, §5.4). */
	uint32_t cd_idx = 0;
	if (txn->ssv) {
		if (ste->s1cdmax == 0 || s->caps.ssidsize == 0 ||
		    txn->ssid >= (1u << ste->s1cdmax)) {
			ev_init(x, &ev, SMMU_EVT_C_BAD_SUBSTREAMID);
			terminate(x, &ev, true, true);
			return 1;
		}
		if (ste->s1dss == 2 && txn->ssid == 0) {
			ev_init(x, &ev, SMMU_EVT_F_STREAM_DISABLED);
			terminate(x, &ev, true, true);
			return 1;
		}
		cd_idx = txn->ssid;
	} else if (ste->s1cdmax > 0) {
		if (ste->s1dss == 1) {
			/* Bypass stage 1: behaves as Config 1x0 with no CD fetch. */
			ctx->kind = ctx->s2 ? CTX_S2 : CTX_BYPASS;
			return 0;
		}
		if (ste->s1dss != 2) {
			ev_init(x, &ev, SMMU_EVT_F_STREAM_DISABLED);
			terminate(x, &ev, true, true);
			return 1;
		}
	}
	bool ipa = ctx->s2;
	bool s2f;
	uint64_t cd_pa = ste->s1ctxptr;
	if (ste->s1cdmax > 0) {
		if (ste->s1fmt == 1 || ste->s1fmt == 2) {
			unsigned bits = ste->s1fmt == 1 ? 6 : 10;
			uint64_t l1pa = ste->s1ctxptr + (uint64_t)(cd_idx >> bits) * 8, l1, l2;
			if (cfg_read(x, ste, ipa, l1pa, &l1, 8, SMMU_EVT_F_CD_FETCH, &ev, &s2f)) {
				if (s2f)
					terminate(x, &ev, ste->s2r || ste->s2s, true);
				else
					terminate(x, &ev, true, true);
				return 1;
			}
			unsigned ia_bits = ctx->s2 ? s->caps.ias_bits : s->caps.oas_bits;
			if (!smmu_l1cd_decode(l1, ia_bits, &l2)) {
				ev_init(x, &ev, SMMU_EVT_C_BAD_SUBSTREAMID);
				ev.ssv = true;
				ev.ssid = cd_idx;
				terminate(x, &ev, true, true);
				return 1;
			}
			cd_pa = l2 + (uint64_t)(cd_idx & ((1u << bits) - 1)) * 64;
		} else {
			cd_pa = ste->s1ctxptr + (uint64_t)cd_idx * 64;
		}
	}
	uint64_t cd_raw[8];
	if (cfg_read(x, ste, ipa, cd_pa, cd_raw, 64, SMMU_EVT_F_CD_FETCH, &ev, &s2f)) {
		if (s2f)
			terminate(x, &ev, ste->s2r || ste->s2s, true);
		else
			terminate(x, &ev, true, true);
		return 1;
	}
	if (smmu_cd_decode(cd_raw, ste, &s->caps, &ctx->cd) != 0) {
		ev_init(x, &ev, SMMU_EVT_C_BAD_CD);
		terminate(x, &ev, true, true);
		return 1;
	}
	ctx->kind = CTX_S1;
	ctx->asid = (ctx->world == SMMU_WORLD_NS_EL2) ? SMMU_ASID_NONE : ctx->cd.asid;
	return 0;
}

/* ---- translation ---- */

static void finish_ok(struct xl *x, uint64_t pa, enum smmu_hit hit)
{
	struct smmu_xlate_result *res = x->res;
	res->outcome = SMMU_XLATE_OK;
	res->pa = pa;
	res->hit = hit;
}

/* STE.PRIVCFG / INSTCFG overrides (§13): 2 forces unprivileged / data, 3
 * privileged / instruction (INSTCFG applies to reads only). */
static inline bool eff_priv(uint8_t privcfg, bool priv)
{
	return privcfg == 2 ? false : privcfg == 3 ? true : priv;
}

static inline bool eff_exec(uint8_t instcfg, bool write, bool exec)
{
	return write ? exec : instcfg == 2 ? false : instcfg == 3 ? true : exec;
}

/* The STE's view of the transaction's attributes (smmu_xlate_result). */
static inline void ste_attrs(struct smmu_xlate_result *res, const struct smmu_ste *ste, bool priv,
			     bool exec)
{
	res->eff_priv = priv;
	res->eff_inst = exec;
	res->attr_mt = ste->mtcfg ? ste->memattr : SMMU_ATTR_INCOMING;
	res->attr_sh = ste->shcfg == 1 ? SMMU_ATTR_INCOMING : ste->shcfg;
	res->attr_alloc = (ste->alloccfg & 8) ? ste->alloccfg : SMMU_ATTR_INCOMING;
}

/* The SMMU_PERM_* bit an access needs. */
static inline unsigned perm_need(bool write, bool priv, bool exec)
{
	if (write)
		return priv ? SMMU_PERM_PW : SMMU_PERM_UW;
	if (exec)
		return priv ? SMMU_PERM_PX : SMMU_PERM_UX;
	return priv ? SMMU_PERM_PR : SMMU_PERM_UR;
}

/* Permission check of a cached entry (§3.4, VMSA). Returns 0, or 1 for a
 * stage-1 denial, 2 for stage 2. */
static inline int perm_check(const struct tlb_entry *e, const struct xl *x)
{
	unsigned need = perm_need(x->write, x->priv, x->exec);
	if (!(e->s1_perm & need))
		return 1;
	if (!x->split && !(e->s2_perm & need))
		return 2;
	return 0;
}

static void hit_perm_fault(struct xl *x, const struct smmu_ctx *ctx, const struct tlb_entry *e,
			   int which, uint64_t ia)
{
	struct smmu_event ev;
	ev_init(x, &ev, SMMU_EVT_F_PERMISSION);
	ev.cls = SMMU_CLASS_IN;
	if (which == 2) {
		ev.s2 = true;
		ev.ipa = e->ipa | (ia & ((1ull << e->shift) - 1));
	}
	fault(x, ctx, &ev);
}

/* Provenance of the entry that served a translation (smmu_xlate_result). */
static inline void entry_result(struct smmu_xlate_result *res, const struct tlb_entry *e)
{
	res->origin = e->origin;
	res->walk_origin = e->walk_origin;
	res->entry_sid = e->sid;
	res->entry_base = e->page << e->shift;
	res->entry_size = 1ull << e->shift;
	res->entry_out = e->out << e->shift;
	res->entry_global = e->global;
	res->entry_level = e->level;
}

/* The bits s1_input() checks, per half (smmu_ctx.in_mask). */
static inline uint64_t s1_hi_mask(const struct smmu_cd *cd, int sel)
{
	unsigned top = cd->tbi[sel] ? 55 : 63;
	unsigned n = 64u - cd->tt[sel].tsz;
	return (top == 63 ? ~0ull : ((1ull << (top + 1)) - 1)) & ~((1ull << n) - 1);
}

/* A stage-1 input address (§3.4, §5.4): the TTB half it selects, the TLB tag
 * (sign-extended from bit 55, the top byte ignored with TBI) and the address
 * the walk takes. False for a translation fault: the half's EPDx is set, or
 * VA[top:n] are not all equal to the selecting bit (0 for TTB0). */
static inline bool s1_input(const struct smmu_ctx *ctx, uint64_t va, int *ttsel,
			    uint64_t *ia_tag, uint64_t *walk_ia)
{
	const struct smmu_cd *cd = &ctx->cd;
	bool el2 = ctx->world == SMMU_WORLD_NS_EL2;
	int sel = (!el2 && ((va >> 55) & 1)) ? 1 : 0;
	*ttsel = sel;
	if (cd->epd[sel])
		return false;
	unsigned n = 64u - cd->tt[sel].tsz;
	uint64_t hi_mask = s1_hi_mask(cd, sel);
	uint64_t want = sel ? hi_mask : 0;
	if ((va & hi_mask) != want)
		return false;
	*ia_tag = ((va >> 55) & 1) ? (va | 0xFF00000000000000ull) : (va & 0x00FFFFFFFFFFFFFFull);
	*walk_ia = va & ((n >= 64) ? ~0ull : ((1ull << n) - 1));
	return true;
}

/* The stream context of txn, from memory (ctx_decode()), with what the fast
 * paths derive from it once (smmu_ctx.in_*, acc, attr_*). */
static int ctx_fetch(struct xl *x, struct smmu_ctx *ctx)
{
	int rc = ctx_decode(x, ctx);
	if (rc)
		return rc;
	if (ctx->kind == CTX_S1) {
		ctx->in_sel = ctx->world != SMMU_WORLD_NS_EL2;
		for (int sel = 0; sel < 2; sel++) {
			bool off = ctx->cd.epd[sel];
			ctx->in_mask[sel] = off ? 0 : s1_hi_mask(&ctx->cd, sel);
			ctx->in_want[sel] = off ? 1 : sel ? ctx->in_mask[sel] : 0;
		}
	}
	for (unsigned i = 0; i < 8; i++) {
		bool write = i & 4, priv = eff_priv(ctx->ste.privcfg, i & 2);
		bool exec = eff_exec(ctx->ste.instcfg, write, i & 1);
		ctx->acc[i] = (uint8_t)(perm_need(write, priv, exec) | (unsigned)priv << 6 |
					(unsigned)exec << 7);
	}
	struct smmu_xlate_result r;
	ste_attrs(&r, &ctx->ste, false, false);
	ctx->attr_mt = r.attr_mt;
	ctx->attr_sh = r.attr_sh;
	ctx->attr_alloc = r.attr_alloc;
	return 0;
}

/* smmu_ctx.acc[] of a transaction. */
static inline unsigned ctx_acc(const struct smmu_ctx *ctx, const struct smmu_txn *txn)
{
	return ctx->acc[((unsigned)txn->write << 2) | ((unsigned)txn->priv << 1) | txn->exec];
}

/* s1_input() without the walk address, from the context's prepared masks. */
static inline bool s1_input_fast(const struct smmu_ctx *ctx, uint64_t va, uint64_t *ia_tag)
{
	unsigned sel = (unsigned)(va >> 55) & ctx->in_sel;
	if ((va & ctx->in_mask[sel]) != ctx->in_want[sel])
		return false;
	*ia_tag = ((va >> 55) & 1) ? (va | 0xFF00000000000000ull) : (va & 0x00FFFFFFFFFFFFFFull);
	return true;
}

static inline uint32_t fast_slot(uint32_t sid, uint32_t ssk, uint64_t page)
{
	uint64_t h = (page ^ ((uint64_t)sid << 24) ^ ((uint64_t)ssk << 44)) * 0x9E3779B97F4A7C15ull;
	return (uint32_t)(h >> 56) & (SMMU_FAST_SLOTS - 1);
}

static inline uint32_t fast_ssk(const struct smmu_txn *txn)
{
	return txn->ssv ? (txn->ssid | 0x80000000u) : 0;
}

/* The result of a hit the fast paths served from TLB entry e (for input
 * address ia, at cycle t), and its statistics. */
static inline void fast_result(struct smmu *s, struct smmu_xlate_result *res,
			       const struct tlb_entry *e, const struct smmu_ctx *ctx, uint64_t ia,
			       enum smmu_hit hit, uint64_t now, uint64_t t, bool priv, bool exec)
{
	res->outcome = SMMU_XLATE_OK;
	res->pa = (e->out << e->shift) | (ia & ((1ull << e->shift) - 1));
	res->hit = hit;
	res->done = t;
	res->cycles = (uint32_t)(t - now);
	res->mem_reads = 0;
	res->event = 0;
	res->event_recorded = false;
	res->world = ctx->world;
	res->vmid = ctx->vmid;
	res->asid = ctx->asid;
	res->page_shift = e->shift;
	res->eff_priv = priv;
	res->eff_inst = exec;
	res->attr_mt = ctx->attr_mt;
	res->attr_sh = ctx->attr_sh;
	res->attr_alloc = ctx->attr_alloc;
#ifndef NDEBUG
	{
		struct smmu_xlate_result chk;
		ste_attrs(&chk, &ctx->ste, priv, exec);
		assert(chk.attr_mt == ctx->attr_mt && chk.attr_sh == ctx->attr_sh &&
		       chk.attr_alloc == ctx->attr_alloc);
	}
#endif
	entry_result(res, e);
	s->st.xlate++;
	s->st.hit[hit]++;
}

/*
 * The uTLB-hit path through the per-TBU memo. Does what the model does on a
 * uTLB hit (port, latency, LRU of the context and the entry, statistics,
 * permission check) and nothing else; returns false to take the full path
 * (memo miss, stale memo, or a permission fault to be reported there).
 */
static inline bool fast_hit(struct smmu *s, struct smmu_tbu *b, struct smmu_fast *f,
			    const struct smmu_txn *txn, uint64_t now, struct smmu_xlate_result *res)
{
	uint64_t page = txn->addr >> 12;
	uint32_t ssk = fast_ssk(txn);
	if (f->page != page || f->sid != txn->sid || f->ssk != ssk || !f->e ||
	    f->tgen != b->utlb.gen || f->cgen != b->cfgc.gen)
		return false;
	struct tlb_entry *e = f->e;
	unsigned need = perm_need(txn->write, eff_priv(f->privcfg, txn->priv),
				  eff_exec(f->instcfg, txn->write, txn->exec));
	if (!(e->s1_perm & e->s2_perm & need))
		return false;
	f->ce->lru = ++b->cfgc.clock;
	smmu_tlb_touch(&b->utlb, (uint32_t)(e - b->utlb.e));
	uint64_t t = smmu_res_take(&b->utlb_port, now, 1) + s->cfg.utlb.latency;
	fast_result(s, res, e, &f->ce->ctx, txn->addr, SMMU_HIT_UTLB, now, t,
		    eff_priv(f->privcfg, txn->priv), eff_exec(f->instcfg, txn->write, txn->exec));
	return true;
}

/* The memo slot of txn (b->fast is not NULL). */
static inline struct smmu_fast *fast_slot_of(struct smmu_tbu *b, const struct smmu_txn *txn)
{
	return &b->fast[fast_slot(txn->sid, fast_ssk(txn), txn->addr >> 12)];
}

/* Memo slot f, txn's, now maps it to uTLB entry e and context entry ce. */
static inline void fast_fill_slot(struct smmu_tbu *b, struct smmu_fast *f,
				  const struct smmu_txn *txn, struct tlb_entry *e, struct cfg_entry *ce)
{
	f->page = txn->addr >> 12;
	f->sid = txn->sid;
	f->ssk = fast_ssk(txn);
	f->e = e;
	f->ce = ce;
	f->tgen = b->utlb.gen;
	f->cgen = b->cfgc.gen;
	f->privcfg = ce->ctx.ste.privcfg;
	f->instcfg = ce->ctx.ste.instcfg;
}

static void fast_fill(struct smmu_tbu *b, const struct smmu_txn *txn, struct tlb_entry *e,
		      struct cfg_entry *ce)
{
	if (!b->fast || !e || !ce)
		return;
	fast_fill_slot(b, fast_slot_of(b, txn), txn, e, ce);
}

/*
 * The main-TLB-hit path, for an untranslated transaction whose stream
 * context is in the TBU's cache: what the model does when the uTLB misses
 * and the main TLB hits with the access permitted (port, latencies, main-TLB
 * lookup slots, LRU of the context and the entry, the uTLB refill, statistics)
 * and nothing else. Everything is looked at before anything changes: any
 * other case (a fault to report, a uTLB hit, a main-TLB miss, an HTTU
 * dirty-state walk) returns false with the model untouched, for the full path.
 */
static bool fast_refill(struct smmu *s, struct smmu_tbu *b, struct smmu_fast *f,
			const struct smmu_txn *txn, uint64_t now, struct smmu_xlate_result *res)
{
	if (!s->cfg.mtlb.enable)
		return false;
	/* The context: the one of the TBU's last refill when it is this
	 * stream's and the context cache has lost no entry since (a key has
	 * one entry: it is still the one), else the cache's. */
	uint32_t ssk = fast_ssk(txn);
	struct cfg_entry *ce = b->last_ce;
	if (!ce || b->last_sid != txn->sid || b->last_ssk != ssk || b->last_cgen != b->cfgc.gen) {
		ce = smmu_cfgc_find(&b->cfgc, txn->sid, txn->ssv, txn->ssid);
		if (!ce)
			return false;
		b->last_ce = ce;
		b->last_sid = txn->sid;
		b->last_ssk = ssk;
		b->last_cgen = b->cfgc.gen;
		b->last_world = ce->ctx.world;
		b->last_vmid = ce->ctx.vmid;
		b->last_asid = ce->ctx.asid;
	}
	/* The tag of the lookups, from the TBU's copy: the hashes need not wait
	 * for the context entry's line. */
	unsigned world = b->last_world;
	uint16_t vmid = b->last_vmid;
	uint32_t asid = b->last_asid;
	assert(world == ce->ctx.world && vmid == ce->ctx.vmid && asid == ce->ctx.asid);
	assert(ce == smmu_cfgc_find(&b->cfgc, txn->sid, txn->ssv, txn->ssid));
	const struct smmu_ctx *ctx = &ce->ctx;
	unsigned cls;
	uint64_t ia_tag;
	if (ctx->kind == CTX_S1) {
#ifndef NDEBUG
		{
			uint64_t tag_chk = 0, walk_ia;
			int ttsel;
			bool ok = s1_input(ctx, txn->addr, &ttsel, &tag_chk, &walk_ia);
			assert(ok == s1_input_fast(ctx, txn->addr, &ia_tag) &&
			       (!ok || tag_chk == ia_tag));
		}
#endif
		if (!s1_input_fast(ctx, txn->addr, &ia_tag))
			return false;
		cls = TLB_CLS_S1;
	} else if (ctx->kind == CTX_S2) {
		if ((txn->addr >> s->caps.ias_bits) != 0)
			return false;
		ia_tag = txn->addr;
		cls = TLB_CLS_S2;
	} else {
		return false;
	}
	/* The main-TLB set loads while the uTLB is searched; a few ways are
	 * compared faster than a hash chain is followed. */
	bool by_set = b->mtlb.ways <= 8;
	if (by_set)
		smmu_tlb_prefetch_set(&b->mtlb, cls, world, vmid, ia_tag);
	unsigned ushift = 0;
	uint32_t ub;
	if (smmu_tlb_find_b(&b->utlb, cls, world, vmid, asid, ia_tag, NULL, &ushift,
			    &ub))
		return false;
	uint32_t probes;
	struct tlb_entry *e =
		by_set ? smmu_tlb_find_by_set(&b->mtlb, cls, world, vmid, asid,
					      ia_tag, &probes)
		       : smmu_tlb_find(&b->mtlb, cls, world, vmid, asid, ia_tag,
				       &probes);
#ifndef NDEBUG
	{
		uint32_t chain_probes;
		assert(e == smmu_tlb_find(&b->mtlb, cls, ctx->world, ctx->vmid, ctx->asid, ia_tag,
					  &chain_probes) &&
		       probes == chain_probes);
	}
#endif
	if (!e)
		return false;
	/* A denial is a fault to report or an HTTU dirty-state walk
	 * (needs_dirty_walk()): both for the full path. */
	unsigned acc = ctx_acc(ctx, txn);
	bool priv = (acc >> 6) & 1, exec = acc >> 7;
#ifndef NDEBUG
	{
		struct xl x = {.s = s, .txn = txn, .res = res, .ctx = ctx,
			       .priv = eff_priv(ctx->ste.privcfg, txn->priv),
			       .exec = eff_exec(ctx->ste.instcfg, txn->write, txn->exec),
			       .write = txn->write};
		assert(x.priv == priv && x.exec == exec &&
		       (needs_dirty_walk(e, &x) || perm_check(e, &x)) ==
			       !(e->s1_perm & e->s2_perm & acc & SMMU_PERM_ALL));
	}
#endif
	if (!(e->s1_perm & e->s2_perm & acc & SMMU_PERM_ALL))
		return false;

	/* From here on, as translate() does it. */
	ce->lru = ++b->cfgc.clock;
	uint64_t t = smmu_res_take(&b->utlb_port, now, 1) + s->cfg.utlb.latency;
	if (b->mtlb.lru_order)
		smmu_tlb_touch(&b->mtlb, (uint32_t)(e - b->mtlb.e));
	t = smmu_res_take(&b->mtlb_port, t, probes) + s->cfg.mtlb.latency + (probes - 1);
	/* walk_origin stays the walk's; the uTLB missed, so it holds no entry
	 * with e's key to replace. */
	struct tlb_entry *ue = smmu_tlb_insert_copy_absent_at(&b->utlb, e, smmu_origin(s),
							      e->shift == ushift ? ub : SMMU_NIL);
	fast_result(s, res, e, ctx, ia_tag, SMMU_HIT_MTLB, now, t, priv, exec);
	if (ue)
		fast_fill_slot(b, f, txn, ue, ce);
	return true;
}

enum xl_mode { XL_UNTRANSLATED = 0, XL_TREQ, XL_TRANSLATED };
static int translate(struct smmu *s, const struct smmu_txn *txn, uint64_t now,
		     struct smmu_xlate_result *res, enum xl_mode mode);

int smmu_translate(struct smmu *s, const struct smmu_txn *txn, uint64_t now,
		   struct smmu_xlate_result *res)
{
	return translate(s, txn, now, res, XL_UNTRANSLATED);
}

int smmu_translated(struct smmu *s, const struct smmu_txn *txn, uint64_t now,
		    struct smmu_xlate_result *res)
{
	return translate(s, txn, now, res, XL_TRANSLATED);
}

/* The F_BAD_ATS_TREQ record (§7.3): the request's address and R/W/X/P. */
static void bad_treq(struct xl *x)
{
	struct smmu_event ev;
	ev_init(x, &ev, SMMU_EVT_F_BAD_ATS_TREQ);
	ev.rnw = !x->s->treq_write; /* the record's W is !NW (§7.3.6) */
	terminate(x, &ev, true, true);
}

int smmu_ats_translate(struct smmu *s, const struct smmu_ats_req *req, uint64_t now,
		       struct smmu_ats_result *out)
{
	if (!s || !req || !out || req->port >= s->cfg.num_tbus)
		return SMMU_ERR_RANGE;
	memset(out, 0, sizeof(*out));
	struct smmu_txn t = {.port = req->port, .sid = req->sid, .ssid = req->ssid,
			     .ssv = req->ssv, .addr = req->addr & ~0xfffull, .len = 1,
			     .write = false, .priv = req->priv, .exec = req->exec};
	struct smmu_xlate_result r;
	s->treq_write = !req->no_write;
	int rc = translate(s, &t, now, &r, XL_TREQ);
	if (rc)
		return rc;
	out->done = r.done;
	out->event = r.event;
	out->event_recorded = r.event_recorded;
	if (r.outcome == SMMU_XLATE_OK) {
		out->status = SMMU_ATS_OK;
		out->read = true;
		uint64_t size = r.entry_size ? r.entry_size : (1ull << r.page_shift);
		out->size = size;
		out->addr = t.addr & ~(size - 1);
		out->pa = r.pa & ~(size - 1);
		/* write permission: the same translation asked for a write */
		if (!req->no_write) {
			struct smmu_txn w = t;
			w.write = true;
			struct smmu_xlate_result rw;
			if (translate(s, &w, r.done, &rw, XL_TREQ) == SMMU_OK) {
				out->write = rw.outcome == SMMU_XLATE_OK;
				out->done = rw.done;
			}
		}
		return SMMU_OK;
	}
	switch (r.event) {
	case SMMU_EVT_F_BAD_ATS_TREQ:
		out->status = SMMU_ATS_UR;
		break;
	case SMMU_EVT_F_TRANSLATION:
	case SMMU_EVT_F_ADDR_SIZE:
	case SMMU_EVT_F_ACCESS:
	case SMMU_EVT_F_PERMISSION:
		/* a successful completion that grants nothing (R = W = 0) */
		out->status = SMMU_ATS_OK;
		out->size = 4096;
		out->addr = t.addr;
		break;
	default:
		out->status = SMMU_ATS_CA;
		break;
	}
	return SMMU_OK;
}

static int translate_full(struct smmu *s, const struct smmu_txn *txn, uint64_t now,
			  struct smmu_xlate_result *res, enum xl_mode mode);

/* The fast paths, else translate_full(). Apart so that the fast paths are
 * compiled on their own: inside the full path's body they shared its
 * register pressure, and spilled. */
static int translate(struct smmu *s, const struct smmu_txn *txn, uint64_t now,
		     struct smmu_xlate_result *res, enum xl_mode mode)
{
	if (!s || !txn || !res || txn->port >= s->cfg.num_tbus)
		return SMMU_ERR_RANGE;
	if (s->nstalled && s->cfg.stall_timeout)
		smmu_stall_expire(s, now);
	res->stag = 0;
	/* The fast paths write nothing to res until they succeed, and then
	 * the STE's attributes (fast_result()). */
	struct smmu_tbu *b = &s->tbu[txn->port];
	if (mode == XL_UNTRANSLATED && b->fast && smmu_enabled(s)) {
		struct smmu_fast *f = fast_slot_of(b, txn);
		if (fast_hit(s, b, f, txn, now, res) || fast_refill(s, b, f, txn, now, res))
			return SMMU_OK;
	}
	res->eff_priv = txn->priv;
	res->eff_inst = txn->exec;
	res->attr_mt = res->attr_sh = res->attr_alloc = SMMU_ATTR_INCOMING;
	return translate_full(s, txn, now, res, mode);
}

__attribute__((noinline)) static int translate_full(struct smmu *s, const struct smmu_txn *txn,
						     uint64_t now, struct smmu_xlate_result *res,
						     enum xl_mode mode)
{
	bool treq = mode == XL_TREQ;
	struct smmu_tbu *b = &s->tbu[txn->port];
	const struct smmu_timing *tm = &s->cfg.t;
	struct xl x = {.s = s, .txn = txn, .res = res, .t = now,
		       .priv = txn->priv, .exec = txn->exec, .write = txn->write, .treq = treq,
		       .translated = mode == XL_TRANSLATED};
	res->outcome = SMMU_XLATE_OK;
	res->event = 0;
	res->event_recorded = false;
	res->mem_reads = 0;
	res->world = 0;
	res->vmid = 0;
	res->asid = SMMU_ASID_NONE;
	res->page_shift = 12;
	res->origin = res->walk_origin = smmu_origin(s);
	res->entry_sid = txn->sid;
	res->entry_base = res->entry_size = res->entry_out = 0;
	res->entry_global = false;
	res->entry_level = 0;
	s->st.xlate++;

	if (!smmu_enabled(s) && treq) {
		bad_treq(&x); /* SMMUEN=0: UR with F_BAD_ATS_TREQ */
		goto done;
	}
	if (mode == XL_TRANSLATED) {
		/* ATS Translated traffic: the address is already a PA. ATSCHK=0
		 * ("fast mode") lets it through unchecked; ATSCHK=1 checks the
		 * stream's STE.EATS (below); with SMMUEN=0 it is forbidden. */
		if (!(s->r.cr0 & SMMU_CR0_ATSCHK)) {
			finish_ok(&x, txn->addr, SMMU_HIT_ATC);
			goto done;
		}
		if (!smmu_enabled(s)) {
			struct smmu_event ev;
			ev_init(&x, &ev, SMMU_EVT_F_TRANSL_FORBIDDEN);
			terminate(&x, &ev, true, true);
			goto done;
		}
	}
	if (!smmu_enabled(s)) {
		/* GBPA (§6.3.14): abort, or bypass; above OAS aborts silently. */
		x.t += tm->bypass;
		if ((s->r.gbpa & SMMU_GBPA_ABORT) || (txn->addr >> s->cfg.oas_bits) != 0) {
			res->outcome = SMMU_XLATE_ABORT;
			res->hit = SMMU_HIT_NONE;
		} else {
			finish_ok(&x, txn->addr, SMMU_HIT_BYPASS);
		}
		goto done;
	}

	x.t = smmu_res_take(&b->utlb_port, now, 1);

	/* Stream context: the TBU's cache, else the TCU's config cache, else memory. */
	const struct smmu_ctx *ctx;
	struct smmu_ctx fetched;
	bool in_tcu = false;
	struct cfg_entry *ce = smmu_cfgc_lookup(&b->cfgc, txn->sid, txn->ssv, txn->ssid);
	struct tlb_entry *ue = NULL; /* the uTLB entry that now holds the translation */
	if (ce) {
		ctx = &ce->ctx;
	} else {
		x.t += tm->dti_hop;
		x.t = smmu_res_begin(&s->tcu_slots, x.t);
		in_tcu = true;
		x.t += s->cfg.cfgc.enable ? s->cfg.cfgc.latency : 0;
		struct cfg_entry *tce = smmu_cfgc_lookup(&s->cfgc, txn->sid, txn->ssv, txn->ssid);
		if (tce) {
			s->st.cfg_hits++;
			fetched = tce->ctx;
		} else {
			s->st.cfg_misses++;
			x.t = smmu_res_begin(&s->ctw_slots, x.t);
			int rc = ctx_fetch(&x, &fetched);
			smmu_res_end(&s->ctw_slots, x.t);
			if (rc) {
				smmu_res_end(&s->tcu_slots, x.t);
				x.t += tm->dti_hop;
				goto done;
			}
			smmu_cfgc_insert(&s->cfgc, txn->sid, txn->ssv, txn->ssid, &fetched,
					 smmu_origin(s));
		}
		ce = smmu_cfgc_insert(&b->cfgc, txn->sid, txn->ssv, txn->ssid, &fetched,
				      smmu_origin(s));
		ctx = ce ? &ce->ctx : &fetched;
	}
	res->world = ctx->world;
	res->vmid = ctx->vmid;
	res->asid = ctx->asid;

	/* Attribute overrides (STE.PRIVCFG / INSTCFG). */
	x.priv = eff_priv(ctx->ste.privcfg, x.priv);
	x.exec = eff_exec(ctx->ste.instcfg, x.write, x.exec);
	ste_attrs(res, &ctx->ste, x.priv, x.exec);

	struct smmu_ctx s2only;
	if (mode == XL_TRANSLATED) {
		/* ATSCHK=1: allowed for full ATS (EATS 01, or 11 without DPT
		 * checks) on a translating stream; forbidden for EATS 00, Config
		 * bypass or abort (§5.2 EATS, F_TRANSL_FORBIDDEN). Split-stage (10,
		 * legal only with Config 111 and NS1ATS=0): the address is an IPA
		 * the function got from a split-stage Translation Request, and
		 * stage 2 translates it (as for an S2-only stream of that VMID). */
		unsigned eats = s->caps.ats ? ctx->ste.eats : 0;
		if (ctx->kind == CTX_ABORT) {
			/* Config 000: aborted, no event (§3.9.1.3, §5.2 Config). */
			res->outcome = SMMU_XLATE_ABORT;
			res->hit = SMMU_HIT_NONE;
			goto leave_tcu;
		}
		if (ctx->ste.config == SMMU_STE_CFG_BYPASS)
			eats = 0;
		if (eats == 1 || eats == 3) {
			finish_ok(&x, txn->addr, SMMU_HIT_ATC);
			goto leave_tcu;
		} else if (eats == 2 && ctx->s2) {
			s2only = *ctx;
			s2only.kind = CTX_S2;
			s2only.asid = SMMU_ASID_NONE;
			ctx = &s2only;
			x.ctx = ctx;
			res->asid = SMMU_ASID_NONE;
		} else {
			struct smmu_event ev;
			ev_init(&x, &ev, SMMU_EVT_F_TRANSL_FORBIDDEN);
			terminate(&x, &ev, true, true);
			goto leave_tcu;
		}
	}
	if (treq && ctx->kind != CTX_ABORT) {
		/* STE.EATS (§5.2): 00 (or Config 100, or no ATS) gives UR with
		 * F_BAD_ATS_TREQ; 10 (split-stage) is not modelled: CA. */
		unsigned eats = s->caps.ats ? ctx->ste.eats : 0;
		if (ctx->ste.config == SMMU_STE_CFG_BYPASS)
			eats = 0;
		if (eats == 0) {
			bad_treq(&x);
			goto leave_tcu;
		}
		if (eats == 2) {
			/* Split-stage (Config 111, NS1ATS=0; behaves as 00 with
			 * ATSCHK=0): answered with the stage-1 translation. A
			 * stream whose stage 1 is bypassed (S1DSS) answers with
			 * its input address, all permissions. */
			if (!(s->r.cr0 & SMMU_CR0_ATSCHK)) {
				bad_treq(&x);
				goto leave_tcu;
			}
			if (ctx->kind == CTX_S2) {
				finish_ok(&x, txn->addr, SMMU_HIT_BYPASS);
				goto leave_tcu;
			}
			x.split = true;
		}
	}
	if (ctx->kind == CTX_ABORT) {
		/* Config 0xx: abort without an event; a Translation Request is
		 * denied with UR, no event recorded (§3.9.1.2, §5.2 Config). */
		if (treq) {
			struct smmu_event ev;
			ev_init(&x, &ev, SMMU_EVT_F_BAD_ATS_TREQ);
			terminate(&x, &ev, false, true);
			goto leave_tcu;
		}
		res->outcome = SMMU_XLATE_ABORT;
		res->hit = SMMU_HIT_NONE;
		goto leave_tcu;
	}
	/* Stage 1 bypassed (Config 1x0, or S1DSS=01 for a transaction without a
	 * substream): the input is checked against IAS (§3.4), a stage 1 Address
	 * Size fault (S2=0, CLASS=IN) that always aborts. IAS exceeds OAS when
	 * AArch32 tables are advertised with OAS < 40. */
	if ((ctx->kind == CTX_BYPASS || ctx->kind == CTX_S2) &&
	    (txn->addr >> s->caps.ias_bits) != 0) {
		struct smmu_event ev;
		ev_init(&x, &ev, SMMU_EVT_F_ADDR_SIZE);
		ev.cls = SMMU_CLASS_IN;
		fault(&x, ctx, &ev);
		goto leave_tcu;
	}
	if (ctx->kind == CTX_BYPASS) {
		/* Stage 2 bypassed too: the IPA becomes the PA, silently truncated
		 * to OAS. */
		uint64_t oas_mask = s->caps.oas_bits >= 64 ? ~0ull : (1ull << s->caps.oas_bits) - 1;
		finish_ok(&x, txn->addr & oas_mask, SMMU_HIT_BYPASS);
		goto leave_tcu;
	}

	/* Input address checks and tag address. */
	unsigned cls, wcls;
	uint64_t ia_tag, walk_ia;
	const struct smmu_ptw_stage *st1 = NULL;
	int ttsel = 0;
	if (ctx->kind == CTX_S1) {
		/* A disabled TTBx has no regime (tt[] is zero): without a TLB entry
		 * the only outcome is a translation fault (§5.4.1.1); entries for
		 * this half cannot exist, so no lookup is made. */
		if (!s1_input(ctx, txn->addr, &ttsel, &ia_tag, &walk_ia)) {
			struct smmu_event ev;
			ev_init(&x, &ev, SMMU_EVT_F_TRANSLATION);
			ev.cls = SMMU_CLASS_IN;
			fault(&x, ctx, &ev);
			goto leave_tcu;
		}
		cls = TLB_CLS_S1;
		wcls = TLB_CLS_WC_S1;
		st1 = &ctx->cd.tt[ttsel];
	} else {
		ia_tag = walk_ia = txn->addr;
		cls = TLB_CLS_S2;
		wcls = TLB_CLS_WC_S2;
	}

	/* uTLB, then main TLB (TBU). `e` points at the entry that holds the
	 * translation; when no cache can keep a fresh walk's result (TCU TLB off
	 * or zero-sized), it points at `walked`, which must outlive every use
	 * of `e` below: hence its function scope. */
	uint32_t probes;
	struct tlb_entry *e = NULL;
	struct tlb_entry walked;
	enum smmu_hit hit = SMMU_HIT_NONE;
	if (!in_tcu) {
		x.t += s->cfg.utlb.latency;
		e = s->cfg.utlb.enable
			    ? smmu_tlb_lookup(&b->utlb, cls, ctx->world, ctx->vmid, ctx->asid, ia_tag,
					      &probes)
			    : NULL;
		if (e) {
			hit = SMMU_HIT_UTLB;
			ue = e;
		} else if (s->cfg.mtlb.enable) {
			e = smmu_tlb_lookup(&b->mtlb, cls, ctx->world, ctx->vmid, ctx->asid, ia_tag,
					    &probes);
			/* One lookup slot per page size probed (MMU-600: several lookups
			 * when several page sizes are live). */
			x.t = smmu_res_take(&b->mtlb_port, x.t, probes);
			x.t += s->cfg.mtlb.latency + (probes - 1);
			if (e) {
				hit = SMMU_HIT_MTLB;
				/* walk_origin stays the walk's */
				ue = smmu_tlb_insert_copy(&b->utlb, e, smmu_origin(s));
			}
		}
	}
	if (needs_dirty_walk(e, &x)) {
		e = NULL;
		ue = NULL;
		hit = SMMU_HIT_NONE;
	}
	if (!e) {
		/* TCU: TLB, walk cache, walk. */
		if (!in_tcu) {
			x.t += tm->dti_hop;
			x.t = smmu_res_begin(&s->tcu_slots, x.t);
			in_tcu = true;
		}
		if (s->cfg.tlb.enable) {
			e = smmu_tlb_lookup(&s->tlb, cls, ctx->world, ctx->vmid, ctx->asid, ia_tag,
					    &probes);
			x.t += s->cfg.tlb.latency + (probes - 1);
			if (needs_dirty_walk(e, &x))
				e = NULL;
		}
		if (e) {
			hit = SMMU_HIT_TLB;
		} else {
			/* TLB miss with EPDx set: translation fault without a walk. */
			if (ctx->kind == CTX_S1 && ctx->cd.epd[ttsel]) {
				struct smmu_event ev;
				ev_init(&x, &ev, SMMU_EVT_F_TRANSLATION);
				ev.cls = SMMU_CLASS_IN;
				fault(&x, ctx, &ev);
				goto leave_tcu;
			}
			struct smmu_ptw_hint hint = {.level = -1, .table_pa = 0};
			const struct smmu_ptw_stage *wst = st1 ? st1 : &ctx->ste.s2;
			if (s->cfg.wc.enable) {
				struct tlb_entry *we = smmu_tlb_lookup(&s->wc, wcls, ctx->world,
								       ctx->vmid, ctx->asid,
								       ia_tag, &probes);
				x.t += s->cfg.wc.latency + (probes - 1);
				/* An entry made for another TTB half or granule cannot match:
				 * the tag includes the address bits above its level. */
				if (we && we->level < 3 && we->level >= wst->start_level) {
					hint.level = (int8_t)(we->level + 1);
					hint.table_pa = we->out;
					/* Restrictions of the skipped table descriptors. */
					hint.table_attr = we->s1_perm;
				}
			}
			x.t = smmu_res_begin(&s->ptw_slots, x.t);
			struct smmu_ptw_req req = {.ia = walk_ia, .write = x.write, .priv = x.priv,
						   .exec = x.exec, .wr = ptw_write, .wctx = &x};
			x.ctx = ctx;
			if (s->cfg.wc_s2tt && s->cfg.wc.enable) {
				req.s2tt_lookup = s2tt_lookup;
				req.s2tt_insert = s2tt_insert;
			}
			struct smmu_ptw_result wr;
			struct smmu_ptw_fault f;
			int rc;
			if (ctx->kind == CTX_S1 && ctx->s2)
				rc = smmu_ptw_walk_nested(st1, &ctx->ste.s2, &req, &hint, ptw_read, &x,
							  &wr, &f);
			else
				rc = smmu_ptw_walk(wst, &req, &hint, ptw_read, &x, &wr, &f);
			x.t += (uint64_t)wr.nreads * tm->mem_read +
			       (uint64_t)wr.nwrites * tm->mem_write;
			smmu_res_end(&s->ptw_slots, x.t);
			if (rc) {
				struct smmu_event ev;
				ptw_fault_event(&x, &f, &ev);
				fault(&x, ctx, &ev);
				goto leave_tcu;
			}
			hit = hint.level >= 0 ? SMMU_HIT_WALK_CACHE : SMMU_HIT_WALK;
			/* Fill the walk cache with the table descriptors the walk used. */
			if (s->cfg.wc.enable) {
				unsigned g = wst->granule_shift;
				int leaf = (ctx->kind == CTX_S1) ? wr.s1_level : wr.level;
				for (int l = wr.first_level; l < leaf; l++) {
					struct tlb_entry w;
					memset(&w, 0, sizeof(w));
					w.shift = (uint8_t)level_shift(g, l);
					w.page = ia_tag >> w.shift;
					w.out = wr.table_pa[l + 1];
					w.cls = (uint8_t)wcls;
					w.world = ctx->world;
					w.vmid = ctx->vmid;
					w.asid = (wcls == TLB_CLS_WC_S1) ? ctx->asid : SMMU_ASID_NONE;
					w.level = (uint8_t)l;
					w.aset = ctx->kind == CTX_S1 && ctx->cd.aset;
					/* The walk-cache entry keeps the hierarchical
					 * (APTable/XNTable) attributes in force below it. */
					w.s1_perm = wr.table_attr[l + 1];
					w.sid = txn->sid;
					w.stamp = x.t;
					w.origin = w.walk_origin = smmu_origin(s);
					smmu_tlb_insert(&s->wc, &w);
				}
			}
			struct tlb_entry ne;
			memset(&ne, 0, sizeof(ne));
			ne.shift = wr.page_shift;
			ne.page = ia_tag >> ne.shift;
			ne.out = wr.oa >> ne.shift;
			ne.ipa = wr.ipa & ~((1ull << ne.shift) - 1);
			ne.cls = (uint8_t)cls;
			ne.world = ctx->world;
			ne.vmid = ctx->vmid;
			ne.asid = ctx->asid;
			/* Global (nG=0) entries: EL1 and E2H worlds; EL2 has no ASIDs. */
			ne.global = (cls == TLB_CLS_S1 && wr.global && ctx->asid != SMMU_ASID_NONE);
			ne.level = (uint8_t)wr.level;
			ne.s1_perm = wr.s1_perm;
			/* ASET applies to stage-1 ASID-tagged entries (§5.4 CD.ASET). */
			ne.aset = ctx->kind == CTX_S1 && ctx->cd.aset;
			ne.s2_perm = wr.s2_perm;
			ne.dbm = (uint8_t)((wr.s1_dbm ? 1 : 0) | (wr.s2_dbm ? 2 : 0));
			ne.sid = txn->sid;
			ne.stamp = x.t;
			ne.origin = ne.walk_origin = smmu_origin(s);
			e = smmu_tlb_insert(&s->tlb, &ne);
			if (!e) {
				walked = ne;
				e = &walked;
			}
		}
		/* Back to the TBU: fill its main TLB and uTLB. */
		smmu_res_end(&s->tcu_slots, x.t);
		in_tcu = false;
		x.t += tm->dti_hop;
		smmu_tlb_insert_copy(&b->mtlb, e, smmu_origin(s));
		ue = smmu_tlb_insert_copy(&b->utlb, e, smmu_origin(s));
	}
	res->page_shift = e->shift;
	int denied = perm_check(e, &x);
	if (denied) {
		hit_perm_fault(&x, ctx, e, denied, ia_tag);
		goto leave_tcu;
	}
	/* a split-stage Translation Request is answered with the stage-1 output */
	uint64_t base = x.split ? e->ipa : e->out << e->shift;
	finish_ok(&x, base | (ia_tag & ((1ull << e->shift) - 1)), hit);
	entry_result(res, e);
	if (mode != XL_TRANSLATED) /* a split-stage IPA is not an untranslated address */
		fast_fill(b, txn, ue, ce);

leave_tcu:
	if (in_tcu) {
		smmu_res_end(&s->tcu_slots, x.t);
		x.t += tm->dti_hop;
	}
done:
	res->done = x.t;
	res->cycles = (uint32_t)(x.t - now);
	res->mem_reads = x.reads;
	s->st.hit[res->hit]++;
	return SMMU_OK;
}

void smmu_xlate_flush_all(struct smmu *s)
{
	for (uint32_t i = 0; i < s->cfg.num_tbus; i++) {
		smmu_tlb_flush(&s->tbu[i].utlb);
		smmu_tlb_flush(&s->tbu[i].mtlb);
		smmu_cfgc_invalidate(&s->tbu[i].cfgc, 0, UINT32_MAX, -1, NULL);
	}
	smmu_tlb_flush(&s->tlb);
	smmu_tlb_flush(&s->wc);
	smmu_cfgc_invalidate(&s->cfgc, 0, UINT32_MAX, -1, NULL);
}

/* ---- stalled transactions (§3.12.2, §4.7) ---- */

uint32_t smmu_stalled_count(const struct smmu *s)
{
	return s ? s->nstalled : 0;
}

/* Terminate one stalled transaction (no event) and tell the host. */
static void stall_finish(struct smmu *s, uint16_t stag, bool abort, uint64_t cycle)
{
	struct smmu_stalled *st = &s->stalled[stag];
	struct smmu_txn txn = st->txn;
	st->valid = false;
	s->nstalled--;
	struct smmu_xlate_result res;
	memset(&res, 0, sizeof(res));
	res.outcome = abort ? SMMU_XLATE_ABORT : SMMU_XLATE_RAZWI;
	res.hit = SMMU_HIT_NONE;
	res.done = cycle;
	res.asid = SMMU_ASID_NONE;
	res.stag = stag;
	if (s->ops.stall_done)
		s->ops.stall_done(s->host, &txn, stag, &res, cycle);
}

void smmu_stall_resume(struct smmu *s, uint32_t sid, uint16_t stag, bool retry, bool abort,
		       uint64_t cycle)
{
	if (!s->stalled || stag >= s->cfg.stall_max)
		return;
	struct smmu_stalled *st = &s->stalled[stag];
	if (!st->valid || st->txn.sid != sid)
		return; /* a STAG or SID mismatch: no-op */
	s->st.stall_resumes++;
	if (!retry) {
		/* TERM_MODEL=1: terminated transactions always abort */
		stall_finish(s, stag, abort || s->cfg.term_model, cycle);
		return;
	}
	/* Retried as if newly arrived: the STAG is freed first, so the
	 * transaction may stall again under another. */
	struct smmu_txn txn = st->txn;
	st->valid = false;
	s->nstalled--;
	struct smmu_xlate_result res;
	memset(&res, 0, sizeof(res));
	smmu_translate(s, &txn, cycle, &res);
	if (s->ops.stall_done)
		s->ops.stall_done(s->host, &txn, stag, &res, cycle);
}

void smmu_stall_retry_unrecorded(struct smmu *s, uint64_t now)
{
	while (s->stalled && s->nstalled && smmu_evtq_writable(s)) {
		/* the oldest held without a record (ties: the lower STAG) */
		uint32_t pick = UINT32_MAX;
		for (uint32_t i = 0; i < s->cfg.stall_max; i++) {
			const struct smmu_stalled *st = &s->stalled[i];
			if (st->valid && st->unrecorded &&
			    (pick == UINT32_MAX || st->since < s->stalled[pick].since))
				pick = i;
		}
		if (pick == UINT32_MAX)
			return;
		struct smmu_stalled *st = &s->stalled[pick];
		struct smmu_txn txn = st->txn;
		st->valid = false;
		st->unrecorded = false;
		s->nstalled--;
		s->st.stall_retries++;
		struct smmu_xlate_result res;
		memset(&res, 0, sizeof(res));
		smmu_translate(s, &txn, now, &res);
		if (s->ops.stall_done)
			s->ops.stall_done(s->host, &txn, (uint16_t)pick, &res, now);
	}
}

void smmu_stall_end_all(struct smmu *s, uint32_t sid, uint64_t cycle, int why)
{
	for (uint32_t i = 0; s->stalled && s->nstalled && i < s->cfg.stall_max; i++) {
		if (!s->stalled[i].valid || (sid != UINT32_MAX && s->stalled[i].txn.sid != sid))
			continue;
		if (why == 1)
			s->st.stall_terms++;
		else if (why == 3)
			s->st.stall_timeouts++;
		stall_finish(s, (uint16_t)i, true, cycle);
	}
}

void smmu_stall_expire(struct smmu *s, uint64_t cycle)
{
	uint64_t to = s->cfg.stall_timeout;
	for (uint32_t i = 0; s->stalled && s->nstalled && i < s->cfg.stall_max; i++) {
		struct smmu_stalled *st = &s->stalled[i];
		if (st->valid && cycle - st->since >= to && cycle >= st->since) {
			s->st.stall_timeouts++;
			stall_finish(s, (uint16_t)i, true, st->since + to);
		}
	}
}
