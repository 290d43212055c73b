/*
 * params.c - the default configuration of an SMMU and its named parameters.
 *
 * Models: nothing architectural by itself. It holds the one place where the
 * microarchitecture and the timing are described (STYLE.md 6): the DESIGN.md
 * default (a server-class SMMUv3.2 as MMU-700 presents it), and a table that
 * names every field of struct smmu_config, gives its unit, the source of its
 * default (gem5 SMMUv3.py, the MMU-600AE/MMU-700 TRMs, IHI 0070, DESIGN.md,
 * or "uncalibrated" where no public figure exists) and its legal range. The
 * `config`/`smmu` trace records, `smmusim --set`, `smmusim params` and
 * docs/timing.md all read this table.
 *
 * Checks here are of two kinds, deliberately apart:
 *  - smmu_config_set() checks one key: its syntax, its range, and for a
 *    cache's entries/ways/enable that the cache stays usable. It never looks
 *    at other parameters, so the order of keys in a trace does not matter.
 *  - smmu_config_check() (params.h) checks the finished configuration: every
 *    range again (the struct may have been filled by hand), and the rules
 *    that tie parameters together (IHI 0070 §6.3.1-6.3.8), plus what this
 *    model does not implement.
 *
 * Not modelled, and therefore rejected by smmu_config_check(): AArch32-only
 * translation tables (TTF=01) and stalling fault models (STALL_MODEL 00/10).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "params.h"
#include "smmu/smmu.h"

/* Largest cache we let anyone configure: MMU-700's deepest structure is 65536
 * entries (TBUCFG_MTLB_DEPTH, TCUCFG_WC_DEPTH); 16x that leaves room to
 * explore without letting a typo allocate gigabytes. */
#define MAX_CACHE_ENTRIES (1u << 20)
#define MAX_LATENCY 1000000u
#define MAX_SLOTS 4096u

/* IIDR: ProductID 0x5A5 (not an Arm part number: MMU-600 is 0x483 and
 * MMU-700 0x487, and Linux's arm_smmu_device_iidr_probe() turns BTM and
 * nesting off for those), Variant 0, Revision 0, Implementer Arm (0x43B,
 * JEP106). Set iidr=0x4870043B to present as MMU-700 r0p0. */
#define DEFAULT_IIDR ((0x5A5u << 20) | (0x0u << 16) | (0x0u << 12) | 0x43Bu)

#define SRC_GEM5 "gem5 SMMUv3.py"
#define SRC_MMU700 "MMU-700 TRM 101542"
#define SRC_MMU600 "MMU-600AE TRM"
#define SRC_DESIGN "DESIGN.md default"
#define SRC_SPEC "IHI 0070"
#define SRC_UNCAL "uncalibrated"

void smmu_config_default(struct smmu_config *cfg)
{
	if (!cfg)
		return;
	/* Zero first so padding is deterministic: configs compare with memcmp. */
	memset(cfg, 0, sizeof(*cfg));
	cfg->size = sizeof(*cfg);
	cfg->minor_rev = 2;
	cfg->s1p = true;
	cfg->s2p = true;
	cfg->vmid16 = true;
	cfg->asid16 = true;
	cfg->gran4k = true;
	cfg->gran16k = true;
	cfg->gran64k = true;
	cfg->oas_bits = 48;
	cfg->sidsize = 16;
	cfg->ssidsize = 20;
	cfg->cmdqs = 19;
	cfg->eventqs = 19;
	cfg->priqs = 19;
	cfg->st_level2 = true;
	cfg->cd2l = true;
	cfg->ril = true;
	cfg->btm = false; /* implemented, advertised only with btm=on (DESIGN.md) */
	cfg->ats = true;
	cfg->pri = true;
	cfg->msi = true;
	cfg->sev = true;
	cfg->hyp = true;
	cfg->coherent = true;
	cfg->attr_types_ovr = false; /* as the model always reported; the driver then leaves SHCFG 0 */
	cfg->attr_perms_ovr = true;
	cfg->wc_s2tt = false;
	cfg->ttf = 2;
	cfg->stall_model = 1;
	cfg->stall_max = 64;
	cfg->stall_timeout = 0;
	cfg->httu = 0;
	cfg->term_model = false;
	cfg->stt = false;
	cfg->iidr = DEFAULT_IIDR;
	cfg->num_tbus = 1;

	cfg->utlb = (struct smmu_cache_config){32, 32, SMMU_POLICY_PLRU, true, 1, 1};
	cfg->mtlb = (struct smmu_cache_config){2048, 4, SMMU_POLICY_RANDOM, true, 3, 2};
	cfg->tbu_cfgc = (struct smmu_cache_config){16, 16, SMMU_POLICY_PLRU, true, 1, 1};
	cfg->cfgc = (struct smmu_cache_config){64, 4, SMMU_POLICY_LRU, true, 3, 1};
	cfg->tlb = (struct smmu_cache_config){2048, 4, SMMU_POLICY_RR, true, 3, 3};
	cfg->wc = (struct smmu_cache_config){512, 4, SMMU_POLICY_RR, true, 4, 2};

	cfg->t.clock_mhz = 1000;
	cfg->t.dti_hop = 8;
	cfg->t.mem_read = 100;
	cfg->t.mem_write = 100;
	cfg->t.ptw_slots = 16;
	cfg->t.ctw_slots = 2;
	cfg->t.tcu_slots = 64;
	cfg->t.cmd_decode = 2;
	cfg->t.cmd_fetch_batch = 4;
	cfg->t.inv_base = 2;
	cfg->t.inv_per_entry = 1;
	cfg->t.tbu_inv_work = 4;
	cfg->t.sync_base = 10;
	cfg->t.atc_inv_timeout = 10000000;
	cfg->t.bypass = 1;
	cfg->seed = 1;
	cfg->host_fastpath = true;
}

/* ---- The parameter table ---------------------------------------------- */

enum param_kind {
	PK_BOOL,   /* bool */
	PK_UINT,   /* uint8_t or uint32_t, min..max, printed in decimal */
	PK_HEX,    /* as PK_UINT, printed in hex */
	PK_POLICY, /* enum smmu_policy */
	PK_IDBITS, /* a bool "16-bit" flag given as 8 or 16 (vmid_bits, asid_bits) */
	PK_OAS,    /* uint8_t bits, one of the IDR5.OAS encodings */
};

/* Which member of a struct smmu_cache_config a row is, if any. */
enum cache_field {
	CF_NONE,
	CF_ENTRIES,
	CF_WAYS,
	CF_POLICY,
	CF_ENABLE,
	CF_LATENCY,
	CF_SLOTS,
};

struct param {
	struct smmu_param_info info; /* what smmu_param_at() hands out */
	uint8_t kind;                /* enum param_kind */
	uint8_t width;               /* sizeof the field */
	uint8_t cfield;              /* enum cache_field */
	size_t off;                  /* of the field in struct smmu_config */
	size_t coff;                 /* of the enclosing cache config (cfield != CF_NONE) */
	uint32_t min, max;
};

#define FSIZE(f) ((uint8_t)sizeof(((struct smmu_config *)0)->f))
#define ROW(nm, unit, src, help, kind, f, lo, hi) \
	{{nm, unit, src, help}, kind, FSIZE(f), CF_NONE, offsetof(struct smmu_config, f), 0, lo, hi}
#define BOOLROW(nm, src, help, f) ROW(nm, "bool", src, help, PK_BOOL, f, 0, 1)
#define CROW(pfx, sub, unit, src, help, kind, cf, f, lo, hi)                                 \
	{{pfx "." #sub, unit, src, help}, kind, FSIZE(f.sub), cf,                             \
	 offsetof(struct smmu_config, f.sub), offsetof(struct smmu_config, f), lo, hi}
/* The six rows of one cache. */
#define CACHE(pfx, f, what, s_ent, s_ways, s_pol, s_en, s_lat, s_slots)                      \
	CROW(pfx, entries, "entries", s_ent,                                               \
	     what ": total entries (0 only with " pfx ".enable=off); a fully associative "   \
		  "cache (ways == entries) stays fully associative when this changes",       \
	     PK_UINT, CF_ENTRIES, f, 0, MAX_CACHE_ENTRIES),                                  \
	CROW(pfx, ways, "ways", s_ways,                                                    \
	     what ": associativity; must divide " pfx ".entries; ways == entries is fully "  \
		  "associative",                                                             \
	     PK_UINT, CF_WAYS, f, 0, MAX_CACHE_ENTRIES),                                     \
	CROW(pfx, policy, "policy", s_pol,                                                 \
	     what ": replacement within a set: lru, plru, rr (round robin) or random "       \
		  "(deterministic, from seed)",                                              \
	     PK_POLICY, CF_POLICY, f, 0, SMMU_POLICY_RANDOM),                                \
	CROW(pfx, enable, "bool", s_en, what ": off removes the structure (every lookup misses)", \
	     PK_BOOL, CF_ENABLE, f, 0, 1),                                                   \
	CROW(pfx, latency, "cycles", s_lat, what ": lookup latency", PK_UINT, CF_LATENCY, f, 0, \
	     MAX_LATENCY),                                                                   \
	CROW(pfx, slots, "slots", s_slots, what ": lookups that can start per cycle",       \
	     PK_UINT, CF_SLOTS, f, 1, MAX_SLOTS)

static const struct param params[] = {
	/* Architecture: the ID registers are derived from these (IHI 0070 §6.3). */
	ROW("minor_rev", "-", SRC_MMU700,
	    "AIDR.ArchMinorRev: 0..4 = SMMUv3.0..v3.4 (MMU-700 is SMMUv3.2); features follow their "
	    "own parameters, this checks ril and oas=52",
	    PK_UINT, minor_rev, 0, 4),
	BOOLROW("s1p", SRC_DESIGN, "IDR0.S1P: stage 1 translation", s1p),
	BOOLROW("s2p", SRC_DESIGN, "IDR0.S2P: stage 2 translation (with s1p: nesting)", s2p),
	ROW("vmid_bits", "bits", SRC_MMU700, "VMID width, 8 or 16 (IDR0.VMID16)", PK_IDBITS, vmid16,
	    8, 16),
	ROW("asid_bits", "bits", SRC_MMU700, "ASID width, 8 or 16 (IDR0.ASID16)", PK_IDBITS, asid16,
	    8, 16),
	BOOLROW("gran4k", SRC_DESIGN, "IDR5.GRAN4K: 4 KB translation granule", gran4k),
	BOOLROW("gran16k", SRC_DESIGN, "IDR5.GRAN16K: 16 KB translation granule", gran16k),
	BOOLROW("gran64k", SRC_DESIGN, "IDR5.GRAN64K: 64 KB translation granule", gran64k),
	ROW("oas", "bits", SRC_DESIGN,
	    "output address size (IDR5.OAS): 32, 36, 40, 42, 44, 48 or 52 (52 needs minor_rev >= 1)",
	    PK_OAS, oas_bits, 32, 52),
	ROW("sidsize", "bits", SRC_DESIGN,
	    "IDR1.SIDSIZE: StreamID width, 0..32 (>= 7 needs st_level2; MMU-700 offers 32)",
	    PK_UINT, sidsize, 0, 32),
	ROW("ssidsize", "bits", SRC_MMU700, "IDR1.SSIDSIZE: SubstreamID width, 0..20 (0: no substreams)",
	    PK_UINT, ssidsize, 0, 20),
	ROW("cmdqs", "log2(entries)", SRC_MMU700, "IDR1.CMDQS: largest command queue, log2, <= 19",
	    PK_UINT, cmdqs, 0, 19),
	ROW("eventqs", "log2(entries)", SRC_MMU700, "IDR1.EVENTQS: largest event queue, log2, <= 19",
	    PK_UINT, eventqs, 0, 19),
	ROW("priqs", "log2(entries)", SRC_MMU700, "IDR1.PRIQS: largest PRI queue, log2, <= 19",
	    PK_UINT, priqs, 0, 19),
	BOOLROW("st_level2", SRC_DESIGN, "IDR0.ST_LEVEL=01: 2-level stream tables as well as linear",
		st_level2),
	BOOLROW("cd2l", SRC_DESIGN, "IDR0.CD2L: 2-level context descriptor tables", cd2l),
	BOOLROW("ril", SRC_MMU700, "IDR3.RIL: range invalidation and TTL hints (SMMUv3.2)", ril),
	BOOLROW("btm", SRC_DESIGN,
		"IDR0.BTM: broadcast TLB maintenance from PEs is honoured (with CR2.PTM=0); "
		"implemented but off unless configured",
		btm),
	BOOLROW("ats", SRC_MMU700, "IDR0.ATS: PCIe ATS translation requests and CMD_ATC_INV", ats),
	BOOLROW("split_ats", SRC_DESIGN,
		"IDR0.NS1ATS=0: split-stage ATS (STE.EATS=10 with Config 111: Translation Requests "
		"answered with the stage-1 IPA, Translated traffic translated by stage 2); off: "
		"NS1ATS=1, EATS=10 is ILLEGAL",
		split_ats),
	BOOLROW("pri", SRC_MMU700, "IDR0.PRI: page request interface and PRI queue (needs ats)", pri),
	BOOLROW("msi", SRC_DESIGN, "IDR0.MSI: MSIs for the queues, GERROR and CMD_SYNC", msi),
	BOOLROW("sev", SRC_DESIGN, "IDR0.SEV: WFE wake-up event on queue updates and CMD_SYNC", sev),
	BOOLROW("hyp", SRC_DESIGN,
		"IDR0.Hyp: NS-EL2 and NS-EL2-E2H StreamWorlds (needs s1p and s2p)", hyp),
	BOOLROW("attr_types_ovr", SRC_DESIGN,
		"IDR1.ATTR_TYPES_OVR: STE MTCFG/MemAttr, SHCFG and ALLOCCFG override the incoming "
		"attributes (off: always incoming)",
		attr_types_ovr),
	BOOLROW("attr_perms_ovr", SRC_DESIGN,
		"IDR1.ATTR_PERMS_OVR: STE PRIVCFG and INSTCFG override the incoming privilege and "
		"instruction/data (off: always incoming)",
		attr_perms_ovr),
	BOOLROW("wc_s2tt", SRC_DESIGN,
		"the walk cache also keeps the stage-2 translations made for nested stage-1 table "
		"fetches (tagged by VMID and IPA; removed by TLBI_S2_IPA, S12_VMALL, NSNH_ALL)",
		wc_s2tt),
	BOOLROW("coherent", SRC_DESIGN,
		"IDR0.COHACC: coherent table walks and queue accesses", coherent),
	ROW("ttf", "-", SRC_DESIGN,
	    "IDR0.TTF: 2 = AArch64 tables, 3 = AArch64 and AArch32 advertised; AArch32 (LPAE) "
	    "tables are not modelled, so 1 (AArch32 only) is rejected",
	    PK_UINT, ttf, 1, 3),
	ROW("httu", "-", SRC_DESIGN,
	    "IDR0.HTTU: hardware update of translation table flags: 0 none, 1 Access flag, "
	    "2 Access flag and dirty state (CD.HA/HD, STE.S2HA/S2HD, DBM)",
	    PK_UINT, httu, 0, 2),
	ROW("stall_model", "-", SRC_DESIGN,
	    "IDR0.STALL_MODEL: 0 = stall and terminate (CD.S, STE.S2S), 1 = terminate only, "
	    "2 = stall forced",
	    PK_UINT, stall_model, 0, 2),
	ROW("stall_max", "-", SRC_DESIGN,
	    "IDR5.STALL_MAX: stalled transactions held at once (STAGs); a fault that would "
	    "stall beyond it terminates (abort, recorded)",
	    PK_UINT, stall_max, 1, 65535),
	ROW("stall_timeout", "cycles", SRC_DESIGN,
	    "IMPLEMENTATION DEFINED: a stalled transaction not resumed within this many cycles "
	    "is aborted (0: it waits forever)",
	    PK_UINT, stall_timeout, 0, UINT32_MAX),
	BOOLROW("term_model", SRC_DESIGN,
		"IDR0.TERM_MODEL: on = terminated transactions always abort (CD.A=0 is illegal)",
		term_model),
	BOOLROW("stt", SRC_DESIGN, "IDR3.STT: small translation tables (larger TxSZ)", stt),
	ROW("iidr", "-", SRC_SPEC,
	    "IIDR value: ProductID[31:20] Variant[19:16] Revision[15:12] Implementer[11:0]; "
	    "default Arm (0x43B) with ProductID 0x5A5, which no driver erratum matches "
	    "(0x4870043B reads as MMU-700 r0p0)",
	    PK_HEX, iidr, 0, UINT32_MAX),
	ROW("tbus", "TBUs", SRC_DESIGN, "TBUs (upstream ports, each with its uTLB and main TLB), 1..64",
	    PK_UINT, num_tbus, 1, 64),

	/* Caches (STYLE.md 6): {entries, ways, policy, enable, latency, slots}. */
	CACHE("utlb", utlb, "TBU micro TLB (per TBU)", SRC_GEM5, SRC_GEM5,
	      SRC_MMU600, SRC_GEM5, SRC_GEM5, SRC_GEM5),
	CACHE("mtlb", mtlb, "TBU main TLB (per TBU)", SRC_GEM5, SRC_GEM5, SRC_MMU600, SRC_GEM5,
	      SRC_GEM5, SRC_MMU700),
	CACHE("tbu_cfgc", tbu_cfgc,
	      "TBU stream-context cache (per TBU; part of the micro TLB on MMU-600)", SRC_UNCAL,
	      SRC_UNCAL, SRC_MMU600, SRC_DESIGN, SRC_UNCAL, SRC_UNCAL),
	CACHE("cfgc", cfgc, "TCU configuration cache (STE + CD per context)", SRC_GEM5, SRC_GEM5,
	      SRC_UNCAL, SRC_GEM5, SRC_GEM5, SRC_UNCAL),
	CACHE("tlb", tlb, "TCU TLB (final translations)", SRC_GEM5, SRC_GEM5, SRC_GEM5, SRC_DESIGN,
	      SRC_GEM5, SRC_GEM5),
	CACHE("wc", wc, "TCU walk cache (table descriptors of every level and stage)", SRC_GEM5,
	      SRC_GEM5, SRC_MMU600, SRC_GEM5, SRC_GEM5, SRC_MMU700),

	/* Timing (DESIGN.md "Timing"; docs/timing.md explains how they add up). */
	ROW("t.clock_mhz", "MHz", SRC_DESIGN,
	    "SMMU clock; every cycle count of the model is in this clock", PK_UINT, t.clock_mhz, 1,
	    100000),
	ROW("t.dti_hop", "cycles", SRC_GEM5,
	    "one DTI message between a TBU and the TCU, each way (gem5 ifc_smmu_lat/smmu_ifc_lat)",
	    PK_UINT, t.dti_hop, 0, MAX_LATENCY),
	ROW("t.mem_read", "cycles", SRC_DESIGN,
	    "one table, descriptor or queue read from memory (DRAM 100 ns at 1 GHz)", PK_UINT,
	    t.mem_read, 0, MAX_LATENCY),
	ROW("t.mem_write", "cycles", SRC_UNCAL,
	    "one event record, PRI record or MSI write to memory (assumed equal to t.mem_read)",
	    PK_UINT, t.mem_write, 0, MAX_LATENCY),
	ROW("t.ptw_slots", "slots", SRC_GEM5, "page-table walks the TCU runs at once", PK_UINT,
	    t.ptw_slots, 1, MAX_SLOTS),
	ROW("t.ctw_slots", "slots", SRC_MMU700,
	    "configuration-table (STE/CD) walks the TCU runs at once (TCUCFG_CTW_SLOTS is 1..4)",
	    PK_UINT, t.ctw_slots, 1, MAX_SLOTS),
	ROW("t.tcu_slots", "slots", SRC_GEM5,
	    "translations the TCU holds at once (gem5 xlate_slots; TCUCFG_XLATE_SLOTS)", PK_UINT,
	    t.tcu_slots, 1, MAX_SLOTS),
	ROW("t.cmd_decode", "cycles", SRC_UNCAL, "command processor time per command", PK_UINT,
	    t.cmd_decode, 0, MAX_LATENCY),
	ROW("t.cmd_fetch_batch", "commands", SRC_SPEC,
	    "commands fetched by one memory read (16-byte commands, 64-byte line)", PK_UINT,
	    t.cmd_fetch_batch, 1, MAX_SLOTS),
	ROW("t.inv_base", "cycles", SRC_UNCAL,
	    "fixed cost of one invalidation pass over one structure", PK_UINT, t.inv_base, 0,
	    MAX_LATENCY),
	ROW("t.inv_per_entry", "cycles", SRC_UNCAL,
	    "cost per entry an invalidation removes (cost follows what is removed, not the size)",
	    PK_UINT, t.inv_per_entry, 0, MAX_LATENCY),
	ROW("t.tbu_inv_work", "cycles", SRC_UNCAL,
	    "TBU work per invalidate message besides its removals", PK_UINT, t.tbu_inv_work, 0,
	    MAX_LATENCY),
	ROW("t.sync_base", "cycles", SRC_UNCAL,
	    "CMD_SYNC completion overhead once every earlier command is done", PK_UINT,
	    t.sync_base, 0, MAX_LATENCY),
	ROW("t.atc_inv_timeout", "cycles", SRC_UNCAL,
	    "a CMD_SYNC waits this long for the completions of the ATC_INVs before it, then "
	    "stops with CERROR_ATC_INV_SYNC (PCIe Completion Timeout ranges 50 us..50 ms; "
	    "timing-anchors: ms scale)", PK_UINT, t.atc_inv_timeout, 1, 4000000000u),
	ROW("t.bypass", "cycles", SRC_UNCAL,
	    "latency of a transaction that bypasses translation", PK_UINT, t.bypass, 0,
	    MAX_LATENCY),

	ROW("seed", "-", SRC_DESIGN, "seed of the deterministic generator behind policy=random",
	    PK_UINT, seed, 0, UINT32_MAX),
	BOOLROW("host.fastpath", "simulator",
		"host-side memo of uTLB hits per TBU; a simulator speed-up outside the modelled "
		"state (results and cycles are identical with it off)",
		host_fastpath),
	BOOLROW("debug.skip_tbu_inv", "simulator",
		"a seeded model bug: invalidation commands do not reach the TBUs' micro and main "
		"TLBs, so they serve stale translations (tests of the bare-metal stale check)",
		debug_skip_tbu_inv),
};

#define NPARAMS (sizeof(params) / sizeof(params[0]))

const struct smmu_param_info *smmu_param_at(size_t i)
{
	return i < NPARAMS ? &params[i].info : NULL;
}

static const uint8_t oas_list[] = {32, 36, 40, 42, 44, 48, 52};

/* ---- Bounded message building (no printf in the cores) ---------------- */

struct sbuf {
	char *p;
	size_t len;
	size_t n;
	bool trunc;
};

static void sb_init(struct sbuf *b, char *p, size_t len)
{
	b->p = p;
	b->len = p ? len : 0;
	b->n = 0;
	b->trunc = false;
	if (b->len)
		b->p[0] = '\0';
}

static void sb_putn(struct sbuf *b, const char *s, size_t max)
{
	for (size_t i = 0; i < max && s[i]; i++) {
		if (b->n + 1 < b->len) {
			b->p[b->n++] = s[i];
			b->p[b->n] = '\0';
		} else {
			b->trunc = true;
		}
	}
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_putn(b, s, SIZE_MAX);
}

static void sb_putu(struct sbuf *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp) - 1;

	tmp[i] = '\0';
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sb_puts(b, tmp + i);
}

static void sb_puthex(struct sbuf *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp) - 1;

	tmp[i] = '\0';
	do {
		tmp[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	sb_puts(b, "0x");
	sb_puts(b, tmp + i);
}

/* A user's value echoed in a message: quoted, and cut if it is long. */
static void sb_putq(struct sbuf *b, const char *s)
{
	sb_puts(b, "'");
	sb_putn(b, s, 40);
	if (strlen(s) > 40)
		sb_puts(b, "...");
	sb_puts(b, "'");
}

/* "name: " */
static void sb_key(struct sbuf *b, const struct param *p)
{
	sb_puts(b, p->info.name);
	sb_puts(b, ": ");
}

/* ---- Parsing ----------------------------------------------------------- */

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool eq_nocase(const char *a, const char *b)
{
	while (*a && lower(*a) == lower(*b)) {
		a++;
		b++;
	}
	return *a == '\0' && *b == '\0';
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Unsigned integers: decimal or 0x hex, '_' allowed between digits, one
 * optional binary suffix K/M/G (x2^10/2^20/2^30, either case). Anything
 * else, including a sign, spaces or an overflow of 64 bits, is rejected.
 */
static bool parse_uint(const char *s, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	bool digits = false, underscore = false;
	unsigned shift = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; *s; s++) {
		int d;

		if (*s == '_') {
			if (!digits || underscore)
				return false;
			underscore = true;
			continue;
		}
		d = digit_value(*s);
		if (d < 0 || (unsigned)d >= base)
			break;
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return false;
		v = v * base + (unsigned)d;
		digits = true;
		underscore = false;
	}
	if (!digits || underscore)
		return false;
	if (*s) {
		switch (*s) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		default: return false;
		}
		if (s[1] != '\0' || v > (UINT64_MAX >> shift))
			return false;
		v <<= shift;
	}
	*out = v;
	return true;
}

static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"on", "true", "yes", "1"};
	static const char *const no[] = {"off", "false", "no", "0"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (eq_nocase(s, yes[i])) {
			*out = true;
			return true;
		}
		if (eq_nocase(s, no[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

static bool parse_policy(const char *s, enum smmu_policy *out)
{
	for (int p = SMMU_POLICY_LRU; p <= SMMU_POLICY_RANDOM; p++) {
		const char *n = smmu_policy_name((enum smmu_policy)p);

		if (n && eq_nocase(s, n)) {
			*out = (enum smmu_policy)p;
			return true;
		}
	}
	return false;
}

static bool oas_valid(uint64_t bits)
{
	for (size_t i = 0; i < sizeof(oas_list); i++)
		if (oas_list[i] == bits)
			return true;
	return false;
}

/* ---- Field access ------------------------------------------------------ */

static const struct param *param_find(const char *name)
{
	for (size_t i = 0; i < NPARAMS; i++)
		if (strcmp(params[i].info.name, name) == 0)
			return &params[i];
	return NULL;
}

/* The stored value, as a number (bools 0/1, policies their enum value). */
static uint64_t field_get(const struct smmu_config *cfg, const struct param *p)
{
	const unsigned char *f = (const unsigned char *)cfg + p->off;

	switch (p->kind) {
	case PK_BOOL:
	case PK_IDBITS:
		return *(const bool *)f;
	case PK_POLICY:
		return (uint64_t)*(const enum smmu_policy *)f;
	default:
		return p->width == 1 ? *(const uint8_t *)f : *(const uint32_t *)f;
	}
}

static void field_put(struct smmu_config *cfg, const struct param *p, uint64_t v)
{
	unsigned char *f = (unsigned char *)cfg + p->off;

	switch (p->kind) {
	case PK_BOOL:
	case PK_IDBITS:
		*(bool *)f = v != 0;
		break;
	case PK_POLICY:
		*(enum smmu_policy *)f = (enum smmu_policy)v;
		break;
	default:
		if (p->width == 1)
			*(uint8_t *)f = (uint8_t)v;
		else
			*(uint32_t *)f = (uint32_t)v;
		break;
	}
}

static struct smmu_cache_config *cache_of(struct smmu_config *cfg, const struct param *p)
{
	return (struct smmu_cache_config *)((unsigned char *)cfg + p->coff);
}

/* "utlb" of "utlb.ways". */
static void sb_prefix(struct sbuf *b, const struct param *p)
{
	const char *dot = strchr(p->info.name, '.');

	sb_putn(b, p->info.name, dot ? (size_t)(dot - p->info.name) : SIZE_MAX);
}

static void sb_cache_key(struct sbuf *b, const struct param *p, const char *sub)
{
	sb_prefix(b, p);
	sb_puts(b, sub);
}

/*
 * An enabled cache needs ways >= 1, entries >= 1 and ways dividing entries
 * (so sets = entries / ways >= 1; sets need not be a power of two). A
 * disabled cache may hold any geometry: it is never looked up. `which` is the
 * member just set, so that the message names the key the user gave.
 */
static bool cache_geometry_ok(const struct smmu_cache_config *c, const struct param *p,
			      enum cache_field which, struct sbuf *b)
{
	if (!c->enable)
		return true;
	if (which == CF_ENABLE && (c->ways == 0 || c->entries == 0 || c->entries % c->ways)) {
		sb_cache_key(b, p, ".enable: on needs ");
		if (c->entries == 0 || c->ways == 0) {
			sb_cache_key(b, p, c->entries == 0 ? ".entries" : ".ways");
			sb_puts(b, " >= 1");
		} else {
			sb_cache_key(b, p, ".ways ");
			sb_putu(b, c->ways);
			sb_puts(b, " to divide ");
			sb_cache_key(b, p, ".entries ");
			sb_putu(b, c->entries);
		}
		return false;
	}
	if (c->ways == 0 && which != CF_ENTRIES) {
		sb_cache_key(b, p, ".ways: 0 needs ");
		sb_cache_key(b, p, ".enable=off");
		return false;
	}
	if (c->entries == 0) {
		sb_cache_key(b, p, ".entries: 0 needs ");
		sb_cache_key(b, p, ".enable=off");
		return false;
	}
	if (c->ways == 0) {
		sb_cache_key(b, p, ".ways: 0 needs ");
		sb_cache_key(b, p, ".enable=off");
		return false;
	}
	if (c->entries % c->ways == 0)
		return true;
	if (which == CF_ENTRIES) {
		sb_cache_key(b, p, ".entries: ");
		sb_putu(b, c->entries);
		sb_puts(b, " is not a multiple of ");
		sb_cache_key(b, p, ".ways ");
		sb_putu(b, c->ways);
	} else {
		sb_cache_key(b, p, ".ways: ");
		sb_putu(b, c->ways);
		sb_puts(b, " does not divide ");
		sb_cache_key(b, p, ".entries ");
		sb_putu(b, c->entries);
	}
	return false;
}

/* Range of one stored value (used by smmu_config_check on hand-filled configs). */
static bool value_ok(const struct param *p, uint64_t v, struct sbuf *b)
{
	switch (p->kind) {
	case PK_BOOL:
	case PK_IDBITS:
		return true;
	case PK_POLICY:
		if (v <= SMMU_POLICY_RANDOM)
			return true;
		sb_key(b, p);
		sb_putu(b, v);
		sb_puts(b, " is not a policy (lru, plru, rr, random)");
		return false;
	case PK_OAS:
		if (oas_valid(v))
			return true;
		sb_key(b, p);
		sb_putu(b, v);
		sb_puts(b, " is not one of 32, 36, 40, 42, 44, 48, 52");
		return false;
	default:
		if (v >= p->min && v <= p->max)
			return true;
		sb_key(b, p);
		sb_putu(b, v);
		sb_puts(b, " is out of range ");
		sb_putu(b, p->min);
		sb_puts(b, "..");
		sb_putu(b, p->max);
		return false;
	}
}

static bool size_ok(const struct smmu_config *cfg, struct sbuf *b)
{
	if (cfg->size == sizeof(*cfg))
		return true;
	sb_puts(b, "config size ");
	sb_putu(b, cfg->size);
	sb_puts(b, " is not sizeof(struct smmu_config) ");
	sb_putu(b, sizeof(*cfg));
	sb_puts(b, ": fill it with smmu_config_default() first");
	return false;
}

int smmu_config_set(struct smmu_config *cfg, const char *name, const char *value, char *err,
		    size_t errlen)
{
	struct sbuf b;
	const struct param *p;
	struct smmu_config tmp;
	uint64_t v = 0;

	sb_init(&b, err, errlen);
	if (!cfg || !name || !value) {
		sb_puts(&b, "smmu_config_set: NULL argument");
		return SMMU_ERR_INVAL;
	}
	if (!size_ok(cfg, &b))
		return SMMU_ERR_INVAL;
	p = param_find(name);
	if (!p) {
		sb_puts(&b, "unknown parameter ");
		sb_putq(&b, name);
		sb_puts(&b, " (smmusim params lists them)");
		return SMMU_ERR_INVAL;
	}

	switch (p->kind) {
	case PK_BOOL: {
		bool on;

		if (!parse_bool(value, &on)) {
			sb_key(&b, p);
			sb_putq(&b, value);
			sb_puts(&b, " is not a boolean (on/off, true/false, yes/no, 1/0)");
			return SMMU_ERR_INVAL;
		}
		v = on;
		break;
	}
	case PK_POLICY: {
		enum smmu_policy pol;

		if (!parse_policy(value, &pol)) {
			sb_key(&b, p);
			sb_putq(&b, value);
			sb_puts(&b, " is not a policy (lru, plru, rr, random)");
			return SMMU_ERR_INVAL;
		}
		v = (uint64_t)pol;
		break;
	}
	default:
		if (!parse_uint(value, &v)) {
			sb_key(&b, p);
			sb_putq(&b, value);
			sb_puts(&b, " is not a number (decimal or 0x hex, '_' between digits, "
				    "optional K/M/G suffix)");
			return SMMU_ERR_INVAL;
		}
		if (p->kind == PK_IDBITS) {
			if (v != 8 && v != 16) {
				sb_key(&b, p);
				sb_putu(&b, v);
				sb_puts(&b, " is not 8 or 16");
				return SMMU_ERR_INVAL;
			}
			v = v == 16;
		} else if (!value_ok(p, v, &b)) {
			return SMMU_ERR_INVAL;
		}
		break;
	}

	tmp = *cfg;
	field_put(&tmp, p, v);
	if (p->cfield == CF_ENTRIES || p->cfield == CF_WAYS || p->cfield == CF_ENABLE) {
		const struct smmu_cache_config *old = cache_of(cfg, p);
		struct smmu_cache_config *c = cache_of(&tmp, p);

		if (p->cfield == CF_ENTRIES && old->ways == old->entries)
			c->ways = c->entries;
		if (!cache_geometry_ok(c, p, (enum cache_field)p->cfield, &b))
			return SMMU_ERR_INVAL;
	}
	*cfg = tmp;
	return SMMU_OK;
}

int smmu_config_get(const struct smmu_config *cfg, const char *name, char *buf, size_t len)
{
	struct sbuf b;
	const struct param *p;
	uint64_t v;

	if (!buf || len == 0)
		return SMMU_ERR_INVAL;
	sb_init(&b, buf, len);
	if (!cfg || !name || cfg->size != sizeof(*cfg))
		return SMMU_ERR_INVAL;
	p = param_find(name);
	if (!p)
		return SMMU_ERR_INVAL;
	v = field_get(cfg, p);
	switch (p->kind) {
	case PK_BOOL:
		sb_puts(&b, v ? "on" : "off");
		break;
	case PK_IDBITS:
		sb_puts(&b, v ? "16" : "8");
		break;
	case PK_POLICY: {
		const char *n = smmu_policy_name((enum smmu_policy)v);

		if (n)
			sb_puts(&b, n);
		else
			sb_putu(&b, v);
		break;
	}
	case PK_HEX:
		sb_puthex(&b, v);
		break;
	default:
		sb_putu(&b, v);
		break;
	}
	return b.trunc ? SMMU_ERR_RANGE : SMMU_OK;
}

/* ---- Whole-configuration check ----------------------------------------- */

static int fail(struct sbuf *b, const char *msg)
{
	sb_puts(b, msg);
	return SMMU_ERR_INVAL;
}

int smmu_config_check(const struct smmu_config *cfg, char *err, size_t len)
{
	struct sbuf b;

	sb_init(&b, err, len);
	if (!cfg)
		return fail(&b, "smmu_config_check: NULL config");
	if (!size_ok(cfg, &b))
		return SMMU_ERR_INVAL;
	for (size_t i = 0; i < NPARAMS; i++)
		if (!value_ok(&params[i], field_get(cfg, &params[i]), &b))
			return SMMU_ERR_INVAL;
	for (size_t i = 0; i < NPARAMS; i++) {
		const struct param *p = &params[i];

		if (p->cfield != CF_ENTRIES)
			continue;
		if (!cache_geometry_ok(cache_of((struct smmu_config *)cfg, p), p, CF_NONE, &b))
			return SMMU_ERR_INVAL;
	}

	/* IHI 0070 §6.3.1-6.3.8 ties these together. */
	if (!cfg->s1p && !cfg->s2p)
		return fail(&b, "s1p=off and s2p=off: at least one translation stage is required");
	if (cfg->hyp && !(cfg->s1p && cfg->s2p))
		return fail(&b, "hyp=on needs s1p=on and s2p=on (IDR0.Hyp is RES0 otherwise)");
	if (cfg->sidsize >= 7 && !cfg->st_level2) {
		sb_puts(&b, "sidsize=");
		sb_putu(&b, cfg->sidsize);
		return fail(&b, " needs st_level2=on (SIDSIZE >= 7 requires 2-level stream tables)");
	}
	if (!cfg->gran4k && !cfg->gran16k && !cfg->gran64k)
		return fail(&b, "gran4k, gran16k and gran64k are all off: at least one translation "
				"granule is required");
	if (cfg->pri && !cfg->ats)
		return fail(&b, "pri=on needs ats=on (IDR0.PRI is RES0 without ATS)");
	if (cfg->ril && cfg->minor_rev < 2) {
		sb_puts(&b, "ril=on needs minor_rev >= 2 (range invalidation is SMMUv3.2), not ");
		sb_putu(&b, cfg->minor_rev);
		return SMMU_ERR_INVAL;
	}
	if (cfg->oas_bits == 52 && cfg->minor_rev < 1)
		return fail(&b, "oas=52 needs minor_rev >= 1 (IDR5.OAS=110 is reserved in SMMUv3.0)");

	/* What the model does not implement. */
	if (cfg->ttf != 2 && cfg->ttf != 3) {
		sb_puts(&b, "ttf=");
		sb_putu(&b, cfg->ttf);
		return fail(&b, ": AArch32-only (LPAE) translation tables are not modelled; use "
				"ttf=2 (AArch64) or 3");
	}
	if ((cfg->ttf & 1) && !cfg->gran4k)
		return fail(&b, "ttf=3 needs gran4k=on (IDR5.GRAN4K is RES1 with AArch32 tables)");
	if (cfg->stall_model == 3) {
		sb_puts(&b, "stall_model=");
		sb_putu(&b, cfg->stall_model);
		return fail(&b, ": reserved (0, 1 or 2)");
	}
	return SMMU_OK;
}
