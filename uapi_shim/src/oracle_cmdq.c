/*
 * oracle_cmdq.c - the bare-metal stale check (shim.h): what the trace's own
 * TLBI commands require the SMMU to have removed, decoded here from the
 * command words (IHI 0070 §4.4, the digest's TLBI table) without asking the
 * model, and every later DMA served from a cache checked against it.
 *
 * Ordering. The model consumes commands when the register write that
 * publishes them runs, and inserts cache entries when a DMA runs, so the
 * record that did each (a trace line; bare-metal traces run in line order)
 * orders them: an entry walked at line W is covered by an invalidation
 * consumed at line L only when W < L. The SMMU's own cycles decide
 * completion: the invalidation is reported complete at the done cycle of the
 * first CMD_SYNC consumed after it on that SMMU, and a DMA looked up before
 * that cycle may still use the entry.
 *
 * Cost. Completed invalidations are kept per SMMU in completion order. A
 * DMA hit is checked only against invalidations completed since the same
 * entry (SMMU, tag, input range, walk) was last checked: a memo per entry
 * remembers how far it got, so a hot entry costs one hash probe per DMA.
 */
#include "shim/shim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smmu/smmu.h"
#include "smmu/smmu_defs.h"

enum { W_EL1 = 0, W_EL2 = 1, W_E2H = 2 };

enum asid_mode {
	A_ANY,            /* every entry of the selected worlds / VMID */
	A_S1,             /* ASID-tagged (stage 1 or combined) entries */
	A_S2,             /* stage-2-only entries (no ASID) */
	A_NONGLOBAL,      /* nG=1 entries of one ASID */
	A_OR_GLOBAL,      /* entries of one ASID, and global entries */
	A_OR_GLOBAL_E2H,  /* EL2_VA: E2H entries by ASID or global; EL2 entries all */
};

struct inv {
	uint8_t op;
	uint8_t worlds;   /* bit per world */
	uint8_t amode;
	bool by_vmid;
	bool by_addr;
	uint8_t tg_shift; /* range: the granule of the entries it names (0: point) */
	uint8_t ttl;      /* range: leaf level hint (0: any) */
	uint16_t vmid;
	uint32_t asid;
	uint64_t lo, hi;  /* by_addr: [lo, hi) in the tag form */
	uint32_t line;    /* record that made the SMMU consume it */
	uint32_t sync_line;
	uint64_t done;    /* completion: the covering CMD_SYNC's done cycle */
};

struct invq {
	struct inv *pend, *done;
	size_t npend, cpend, ndone, cdone;
	uint32_t done_line_max; /* the latest record among done[] */
};

struct memo {
	uint64_t base, size;
	uint32_t asid, walk_origin;
	uint16_t vmid;
	uint8_t world, global, used;
	uint32_t smmu;
	size_t next; /* completed invalidations of the SMMU already checked */
};

struct shim_cmdq_oracle {
	unsigned nsmmu;
	struct invq *q;
	struct memo *memo;
	size_t mcap, mused;
	uint64_t consumed, completed, checked;
};

struct shim_cmdq_oracle *shim_cmdq_oracle_create(unsigned nsmmu)
{
	struct shim_cmdq_oracle *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->nsmmu = nsmmu;
	o->q = calloc(nsmmu ? nsmmu : 1, sizeof(*o->q));
	if (!o->q) {
		free(o);
		return NULL;
	}
	return o;
}

void shim_cmdq_oracle_destroy(struct shim_cmdq_oracle *o)
{
	if (!o)
		return;
	for (unsigned i = 0; i < o->nsmmu; i++) {
		free(o->q[i].pend);
		free(o->q[i].done);
	}
	free(o->q);
	free(o->memo);
	free(o);
}

void shim_cmdq_oracle_counts(const struct shim_cmdq_oracle *o, uint64_t *consumed,
                             uint64_t *completed, uint64_t *checked_hits)
{
	if (consumed)
		*consumed = o ? o->consumed : 0;
	if (completed)
		*completed = o ? o->completed : 0;
	if (checked_hits)
		*checked_hits = o ? o->checked : 0;
}

static bool push(struct inv **v, size_t *n, size_t *cap, const struct inv *x)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct inv *nv = realloc(*v, nc * sizeof(**v));
		if (!nv)
			return false;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = *x;
	return true;
}

/* Stage-1 tags hold VAs sign-extended from bit 55 (smmu.h). */
static uint64_t va_tag(uint64_t a)
{
	return (a & (1ull << 55)) ? a | 0xFF00000000000000ull : a & 0x00FFFFFFFFFFFFFFull;
}

/*
 * The address part of NH_VA, NH_VAA, EL2_VA, EL2_VAA and S2_IPA (dw1 Addr,
 * TG, TTL; dw0 NUM, SCALE). TG=0: the one address (NUM and TTL RES0). TG!=0:
 * Range = (NUM+1) x 2^SCALE x granule from Address, with no wrap: a range
 * that runs off the top of the TTB0 half need not touch TTB1, nor one off
 * the top of TTB1 wrap to TTB0 (§4.4.1.1).
 */
static void decode_addr(struct inv *v, const uint64_t c[2], bool ipa)
{
	uint64_t a = c[1] & ~0xFFFull;
	a = ipa ? a & 0x00FFFFFFFFFFFFFFull : va_tag(a);
	unsigned tg = (unsigned)(c[1] >> 10) & 3;
	v->by_addr = true;
	if (!tg) {
		v->lo = a;
		v->hi = a + 1;
		return;
	}
	static const uint8_t tg_shift[4] = {0, 12, 14, 16};
	unsigned num = (unsigned)(c[0] >> 12) & 0x1F, scale = (unsigned)(c[0] >> 20) & 0x3F;
	v->tg_shift = tg_shift[tg];
	v->ttl = (uint8_t)((c[1] >> 8) & 3);
	unsigned sh = scale + v->tg_shift;
	uint64_t top = ipa ? (1ull << 56) : ((a >> 55) & 1) ? ~0ull : (1ull << 55);
	uint64_t len = sh >= 64 ? ~0ull : (uint64_t)(num + 1) << sh;
	if (sh < 64 && (len >> sh) != (uint64_t)(num + 1))
		len = ~0ull; /* overflowed */
	v->lo = a;
	v->hi = (len > top - a) ? top : a + len;
}

/* The architecture's required scope of a TLBI command; false for commands
 * that require nothing of the translation caches (CFGI, SYNC, prefetch,
 * ATC_INV, the Secure and EL3 forms an NS queue rejects). */
static bool decode(struct inv *v, const uint64_t c[2])
{
	memset(v, 0, sizeof(*v));
	v->op = (uint8_t)(c[0] & 0xFF);
	v->vmid = (uint16_t)(c[0] >> 32);
	v->asid = (uint32_t)(uint16_t)(c[0] >> 48);
	switch (v->op) {
	case SMMU_CMD_TLBI_NH_ALL: /* all NS-EL1 stage-1 entries of the VMID, global too */
		v->worlds = 1 << W_EL1, v->by_vmid = true, v->amode = A_S1;
		return true;
	case SMMU_CMD_TLBI_NH_ASID:
		v->worlds = 1 << W_EL1, v->by_vmid = true, v->amode = A_NONGLOBAL;
		return true;
	case SMMU_CMD_TLBI_NH_VA:
		v->worlds = 1 << W_EL1, v->by_vmid = true, v->amode = A_OR_GLOBAL;
		decode_addr(v, c, false);
		return true;
	case SMMU_CMD_TLBI_NH_VAA:
		v->worlds = 1 << W_EL1, v->by_vmid = true, v->amode = A_S1;
		decode_addr(v, c, false);
		return true;
	case SMMU_CMD_TLBI_EL2_ALL:
		v->worlds = (1 << W_EL2) | (1 << W_E2H), v->amode = A_ANY;
		return true;
	case SMMU_CMD_TLBI_EL2_ASID:
		v->worlds = 1 << W_E2H, v->amode = A_NONGLOBAL;
		return true;
	case SMMU_CMD_TLBI_EL2_VA:
		v->worlds = (1 << W_EL2) | (1 << W_E2H), v->amode = A_OR_GLOBAL_E2H;
		decode_addr(v, c, false);
		return true;
	case SMMU_CMD_TLBI_EL2_VAA:
		v->worlds = (1 << W_EL2) | (1 << W_E2H), v->amode = A_ANY;
		decode_addr(v, c, false);
		return true;
	case SMMU_CMD_TLBI_S2_IPA: /* need not remove combined S1+S2 entries */
		v->worlds = 1 << W_EL1, v->by_vmid = true, v->amode = A_S2;
		decode_addr(v, c, true);
		return true;
	case SMMU_CMD_TLBI_S12_VMALL:
		v->worlds = 1 << W_EL1, v->by_vmid = true, v->amode = A_ANY;
		return true;
	case SMMU_CMD_TLBI_NSNH_ALL:
		v->worlds = 1 << W_EL1, v->amode = A_ANY;
		return true;
	default:
		return false;
	}
}

/* The granule an entry was inserted with, from its size and leaf level
 * (size = granule x 2^((granule_bits - 3) x (3 - level))); 0 if no granule
 * fits (a combined entry cut to the other stage's page size). */
static unsigned entry_granule(uint64_t size, unsigned level)
{
	if (!size || (size & (size - 1)) || level > 3)
		return 0;
	unsigned sh = (unsigned)__builtin_ctzll(size);
	static const unsigned g[3] = {12, 14, 16};
	for (unsigned i = 0; i < 3; i++)
		if (sh == g[i] + (3 - level) * (g[i] - 3))
			return g[i];
	return 0;
}

static bool required(const struct inv *v, const struct shim_cmdq_dma *d)
{
	if (d->world > 2 || !(v->worlds & (1u << d->world)))
		return false;
	if (v->by_vmid && d->vmid != v->vmid)
		return false;
	bool s2only = d->asid == SMMU_ASID_NONE;
	switch (v->amode) {
	case A_ANY:
		break;
	case A_S1:
		if (s2only)
			return false;
		break;
	case A_S2:
		if (!s2only)
			return false;
		break;
	case A_NONGLOBAL:
		if (s2only || d->global || d->asid != v->asid)
			return false;
		break;
	case A_OR_GLOBAL:
		if (s2only || (!d->global && d->asid != v->asid))
			return false;
		break;
	case A_OR_GLOBAL_E2H:
		if (d->world == W_E2H && !d->global && d->asid != v->asid)
			return false;
		break;
	}
	if (!v->by_addr)
		return true;
	uint64_t lo = d->entry_base, hi = d->entry_base + d->entry_size;
	if (hi < lo)
		hi = ~0ull;
	if (!(v->lo < hi && lo < v->hi))
		return false;
	if (v->tg_shift) {
		/* A range names entries inserted with its granule, and with a TTL
		 * hint only leaves at that level. */
		if (entry_granule(d->entry_size, d->level) != v->tg_shift)
			return false;
		if (v->ttl && d->level != v->ttl)
			return false;
	}
	return true;
}

void shim_cmdq_oracle_cmd(struct shim_cmdq_oracle *o, unsigned smmu, const uint64_t cmd[2],
                          uint64_t start, uint64_t done, bool cerror, uint32_t line)
{
	(void)start;
	if (!o || smmu >= o->nsmmu || cerror)
		return;
	struct invq *q = &o->q[smmu];
	uint8_t op = (uint8_t)(cmd[0] & 0xFF);
	if (op == SMMU_CMD_SYNC) {
		/* Every invalidation consumed before it is complete at its done. */
		for (size_t i = 0; i < q->npend; i++) {
			struct inv v = q->pend[i];
			v.done = done;
			v.sync_line = line;
			if (push(&q->done, &q->ndone, &q->cdone, &v)) {
				o->completed++;
				if (v.line > q->done_line_max)
					q->done_line_max = v.line;
			}
		}
		q->npend = 0;
		return;
	}
	struct inv v;
	if (!decode(&v, cmd))
		return;
	v.line = line;
	if (push(&q->pend, &q->npend, &q->cpend, &v))
		o->consumed++;
}

static uint64_t memo_hash(const struct shim_cmdq_dma *d)
{
	uint64_t h = d->entry_base * 0x9E3779B97F4A7C15ull;
	h ^= (d->entry_size + ((uint64_t)d->walk_origin << 20)) * 0xC2B2AE3D27D4EB4Full;
	h ^= ((uint64_t)d->asid | (uint64_t)d->vmid << 32 | (uint64_t)d->world << 48 |
	      (uint64_t)d->smmu << 52) * 0x165667B19E3779F9ull;
	return h ^ (h >> 29);
}

static bool memo_same(const struct memo *m, const struct shim_cmdq_dma *d)
{
	return m->base == d->entry_base && m->size == d->entry_size && m->asid == d->asid &&
	       m->walk_origin == d->walk_origin && m->vmid == d->vmid && m->world == d->world &&
	       m->global == d->global && m->smmu == d->smmu;
}

static struct memo *memo_get(struct shim_cmdq_oracle *o, const struct shim_cmdq_dma *d)
{
	if (o->mused * 2 >= o->mcap) {
		size_t nc = o->mcap ? o->mcap * 2 : 1024;
		struct memo *nm = calloc(nc, sizeof(*nm));
		if (!nm)
			return NULL;
		for (size_t i = 0; i < o->mcap; i++) {
			if (!o->memo[i].used)
				continue;
			struct shim_cmdq_dma k = {0};
			k.entry_base = o->memo[i].base, k.entry_size = o->memo[i].size;
			k.asid = o->memo[i].asid, k.walk_origin = o->memo[i].walk_origin;
			k.vmid = o->memo[i].vmid, k.world = o->memo[i].world, k.smmu = o->memo[i].smmu;
			k.global = o->memo[i].global;
			size_t j = (size_t)memo_hash(&k) & (nc - 1);
			while (nm[j].used)
				j = (j + 1) & (nc - 1);
			nm[j] = o->memo[i];
		}
		free(o->memo);
		o->memo = nm;
		o->mcap = nc;
	}
	size_t j = (size_t)memo_hash(d) & (o->mcap - 1);
	while (o->memo[j].used) {
		if (memo_same(&o->memo[j], d))
			return &o->memo[j];
		j = (j + 1) & (o->mcap - 1);
	}
	struct memo *m = &o->memo[j];
	m->used = 1;
	m->base = d->entry_base, m->size = d->entry_size, m->asid = d->asid;
	m->walk_origin = d->walk_origin, m->vmid = d->vmid, m->world = d->world;
	m->global = d->global;
	m->smmu = d->smmu;
	m->next = 0;
	o->mused++;
	return m;
}

static void tag_text(char *buf, size_t n, uint8_t world, uint16_t vmid, uint32_t asid)
{
	static const char *const wn[3] = {"NS-EL1", "NS-EL2", "NS-EL2-E2H"};
	const char *w = world < 3 ? wn[world] : "?";
	if (asid == SMMU_ASID_NONE)
		snprintf(buf, n, "<%s, VMID %u>", w, vmid);
	else
		snprintf(buf, n, "<%s, VMID %u, ASID %u>", w, vmid, asid);
}

static void inv_text(char *buf, size_t n, const struct inv *v)
{
	const char *name = smmu_cmd_name(v->op);
	int k = snprintf(buf, n, "%s", name ? name : "TLBI");
	if (k < 0 || (size_t)k >= n)
		return;
	char *p = buf + k;
	size_t left = n - (size_t)k;
	if (v->by_vmid)
		k = snprintf(p, left, " VMID %u", v->vmid), p += k, left -= (size_t)k;
	if (v->amode == A_NONGLOBAL || v->amode == A_OR_GLOBAL ||
	    (v->amode == A_OR_GLOBAL_E2H && v->asid))
		k = snprintf(p, left, " ASID %u", v->asid), p += k, left -= (size_t)k;
	if (v->by_addr) {
		if (v->tg_shift)
			snprintf(p, left, " range [0x%llx, 0x%llx)", (unsigned long long)v->lo,
			         (unsigned long long)v->hi);
		else
			snprintf(p, left, " addr 0x%llx", (unsigned long long)v->lo);
	}
}

/* Nothing completed since the record walk_origin: only invalidations of
 * later records can be required of an entry walked then (v->line below). */
static bool quiet_since(const struct invq *q, uint32_t walk_origin)
{
	return q->ndone == 0 || q->done_line_max <= walk_origin;
}

int shim_cmdq_oracle_quiet(struct shim_cmdq_oracle *o, unsigned smmu, uint32_t walk_origin)
{
	if (!o || smmu >= o->nsmmu || !quiet_since(&o->q[smmu], walk_origin))
		return 0;
	o->checked++;
	return 1;
}

const uint32_t *shim_cmdq_oracle_quiet_mark(const struct shim_cmdq_oracle *o, unsigned smmu)
{
	static const uint32_t none = 0;

	/* (done_line_max is 0 while ndone is: quiet_since() in one compare) */
	if (!o || smmu >= o->nsmmu)
		return &none;
	return &o->q[smmu].done_line_max;
}

/* "utlb", "mtlb" or "tlb": served from a TLB (on every DMA's path: no strcmp). */
static bool tlb_hit(const char *h)
{
	if (h[0] == 'u' || h[0] == 'm')
		h++;
	return h[0] == 't' && h[1] == 'l' && h[2] == 'b' && h[3] == '\0';
}

int shim_cmdq_oracle_dma(struct shim_cmdq_oracle *o, const struct shim_cmdq_dma *d,
                         struct shim_violation *out)
{
	if (!o || !d || d->smmu >= o->nsmmu || !d->hit || !d->entry_size)
		return 0;
	if (!tlb_hit(d->hit))
		return 0;
	o->checked++;
	const struct invq *q = &o->q[d->smmu];
	if (quiet_since(q, d->walk_origin)) /* the usual case */
		return 0;
	struct memo *m = memo_get(o, d);
	size_t i = m ? m->next : 0;
	int found = 0;
	for (; i < q->ndone; i++) {
		const struct inv *v = &q->done[i];
		if (v->done > d->cycle)
			break; /* not yet complete when this DMA looked it up (later ones neither) */
		if (v->line <= d->walk_origin || !required(v, d))
			continue;
		found = 1;
		i++;
		if (out) {
			memset(out, 0, sizeof(*out));
			out->kind = SHIM_VIOL_STALE;
			out->line = d->line;
			out->origin_line = d->walk_origin;
			out->smmu = d->smmu;
			out->sid = d->sid;
			out->ssid = d->ssid;
			out->world = d->world;
			out->vmid = d->vmid;
			out->asid = d->asid;
			out->addr = d->addr;
			out->pa = d->pa;
			out->page = d->pa & ~0xFFFull;
			out->entry_base = d->entry_base;
			out->entry_size = d->entry_size;
			out->entry_out = d->entry_out;
			snprintf(out->device, sizeof(out->device), "%s", d->device ? d->device : "");
			snprintf(out->hit, sizeof(out->hit), "%s", d->hit);
			snprintf(out->inserted_for, sizeof(out->inserted_for), "sid 0x%x", d->entry_sid);
			snprintf(out->owner, sizeof(out->owner), "%s", d->device ? d->device : "");
			char tag[64], what[128];
			tag_text(tag, sizeof(tag), d->world, d->vmid, d->asid);
			inv_text(what, sizeof(what), v);
			char buf[768];
			snprintf(buf, sizeof(buf),
			         "smmu%u: a DMA at 0x%llx used a %s entry %s [0x%llx, +0x%llx) -> 0x%llx "
			         "walked at line %u; %s, consumed at line %u and completed by the "
			         "CMD_SYNC of line %u (cycle %llu), should have removed it",
			         d->smmu, (unsigned long long)d->addr, d->hit, tag,
			         (unsigned long long)d->entry_base, (unsigned long long)d->entry_size,
			         (unsigned long long)d->entry_out, d->walk_origin, what, v->line,
			         v->sync_line, (unsigned long long)v->done);
			/* A long detail is cut, never overrun. */
			size_t bl = strlen(buf);
			if (bl > sizeof(out->detail) - 1)
				bl = sizeof(out->detail) - 1;
			memcpy(out->detail, buf, bl);
			out->detail[bl] = 0;
		}
		break;
	}
	if (m)
		m->next = i;
	return found;
}
