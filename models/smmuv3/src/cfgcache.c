/*
 * cfgcache.c - configuration caches: the TCU config cache and each TBU's
 * stream-context cache. An entry holds the decoded STE and CD reached by
 * <StreamID, SSV, SubstreamID> (IHI 0070 G.b §16.2: configuration caches are
 * keyed by StreamID and SubstreamID and invalidated by CFGI_*).
 *
 * Modelled: sets x ways, replacement policy, capacity. Host-side: a 64-entry
 * memo of the last entry per hash, validated on use.
 * Not modelled: caching of L1STD / L1CD descriptors separately from the
 * STE/CD they lead to (an invalidation of either drops the whole context).
 */
#include "smmu_internal.h"

int smmu_cfgc_init(struct smmu *s, struct smmu_cfgc *c, const struct smmu_cache_config *cfg,
		   uint32_t seed)
{
	memset(c, 0, sizeof(*c));
	c->cfg = *cfg;
	c->lfsr = seed ? seed : 1;
	for (unsigned i = 0; i < 64; i++)
		c->memo[i] = SMMU_NIL;
	if (!cfg->enable || cfg->entries == 0)
		return SMMU_OK;
	c->ways = cfg->ways ? cfg->ways : cfg->entries;
	c->nsets = cfg->entries / c->ways;
	if (!c->nsets)
		return SMMU_ERR_INVAL;
	c->n = c->nsets * c->ways;
	c->e = smmu_alloc(s, c->n, sizeof(*c->e));
	c->rr = smmu_alloc(s, c->nsets, sizeof(uint32_t));
	if (!c->e || !c->rr) {
		smmu_cfgc_fini(s, c);
		return SMMU_ERR_NOMEM;
	}
	return SMMU_OK;
}

void smmu_cfgc_fini(struct smmu *s, struct smmu_cfgc *c)
{
	smmu_free(s, c->e);
	smmu_free(s, c->rr);
	memset(c, 0, sizeof(*c));
}

struct cfg_entry *smmu_cfgc_lookup(struct smmu_cfgc *c, uint32_t sid, bool ssv, uint32_t ssid)
{
	struct cfg_entry *e = smmu_cfgc_find(c, sid, ssv, ssid);
	if (e) {
		e->lru = ++c->clock;
		c->memo[cfgc_key_hash(sid, ssv, ssid) & 63] = (uint32_t)(e - c->e);
	}
	return e;
}

struct cfg_entry *smmu_cfgc_insert(struct smmu_cfgc *c, uint32_t sid, bool ssv, uint32_t ssid,
				   const struct smmu_ctx *ctx, uint32_t origin)
{
	if (!c->n)
		return NULL;
	uint32_t h = cfgc_key_hash(sid, ssv, ssid);
	uint32_t set = h % c->nsets;
	uint32_t base = set * c->ways;
	uint32_t victim = SMMU_NIL;
	for (uint32_t w = 0; w < c->ways; w++) {
		if (cfgc_key_eq(&c->e[base + w], sid, ssv, ssid) || !c->e[base + w].valid) {
			victim = base + w;
			break;
		}
	}
	if (victim == SMMU_NIL) {
		switch (c->cfg.policy) {
		case SMMU_POLICY_RR:
			victim = base + c->rr[set];
			c->rr[set] = (c->rr[set] + 1) % c->ways;
			break;
		case SMMU_POLICY_RANDOM:
			c->lfsr ^= c->lfsr << 13;
			c->lfsr ^= c->lfsr >> 17;
			c->lfsr ^= c->lfsr << 5;
			victim = base + c->lfsr % c->ways;
			break;
		default:
			victim = base;
			for (uint32_t w = 1; w < c->ways; w++)
				if (c->e[base + w].lru < c->e[victim].lru)
					victim = base + w;
		}
	}
	struct cfg_entry *e = &c->e[victim];
	if (!e->valid)
		c->valid++;
	else
		c->gen++; /* an entry is replaced: memos pointing at it are stale */
	e->sid = sid;
	e->ssv = ssv;
	e->ssid = ssv ? ssid : 0;
	e->valid = true;
	e->lru = ++c->clock;
	e->ctx = *ctx;
	e->origin = origin;
	c->memo[h & 63] = victim;
	return e;
}

uint32_t smmu_cfgc_invalidate(struct smmu_cfgc *c, uint32_t lo, uint32_t hi, int64_t ssid_sel,
			      uint64_t *work)
{
	uint32_t removed = 0;
	uint64_t w = 0;
	/* The structure is small (tens to thousands of entries); a CFGI scans the
	 * valid entries, which is what a CAM-style invalidate does in one pass. */
	for (uint32_t i = 0; i < c->n && c->valid; i++) {
		struct cfg_entry *e = &c->e[i];
		if (!e->valid)
			continue;
		w++;
		if (e->sid < lo || e->sid > hi)
			continue;
		if (ssid_sel >= 0) {
			/* CFGI_CD(SSID): the CD at that index; a transaction without
			 * an SSID that used CD 0 (S1DSS=10 or S1CDMax=0) is index 0. */
			uint32_t idx = e->ssv ? e->ssid : 0;
			if (idx != (uint32_t)ssid_sel)
				continue;
		}
		e->valid = false;
		c->valid--;
		c->gen++;
		removed++;
	}
	if (work)
		*work = w;
	return removed;
}
