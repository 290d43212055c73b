/*
 * smmu.h - public C API of the smmusim SMMUv3 model (models/smmuv3).
 *
 * An instance behaves as an Arm SMMUv3 (IHI 0070 G.b) seen from its register
 * interface (smmu_mmio_read/write), from memory (through the host ops: stream
 * table, context descriptors, page tables and queues live in host memory) and
 * from upstream devices (smmu_translate, one call per transaction on a TBU
 * port). It keeps no global state; several instances may live in one process.
 *
 * Time: every entry point takes `now`, the SMMU clock cycle at which the access
 * arrives, and every result says in which cycle it completed. The model keeps
 * its resources' busy times, so the same sequence of calls always gives the
 * same cycle counts. It never sleeps or asks the host for the time.
 *
 * Failures are kept apart (STYLE.md 4): API misuse returns an enum
 * smmu_status; what a guest programmed wrongly is an architectural result
 * (an event record, GERROR, CMDQ_CONS.ERR) carried in result structs; model
 * bugs are asserts.
 */
#ifndef SMMU_SMMU_H
#define SMMU_SMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smmu_defs.h"

#ifdef __cplusplus
extern "C" {
#endif

struct smmu;

/* API status codes; fixed numbers. */
enum smmu_status {
	SMMU_OK = 0,
	SMMU_ERR_INVAL = 1,   /* bad argument or configuration */
	SMMU_ERR_NOMEM = 2,
	SMMU_ERR_RANGE = 3,   /* offset/port/width out of range */
	SMMU_ERR_UNSUPPORTED = 4,
};
const char *smmu_strerror(int status);

/* Replacement policies of a modelled cache. */
enum smmu_policy {
	SMMU_POLICY_LRU = 0,
	SMMU_POLICY_PLRU = 1,  /* modelled as LRU within the set: same hits for <=4 ways on these traces */
	SMMU_POLICY_RR = 2,    /* round robin per set */
	SMMU_POLICY_RANDOM = 3, /* deterministic LFSR */
};
const char *smmu_policy_name(enum smmu_policy p);

/* Every modelled cache is one of these (DESIGN.md, STYLE.md 6). */
struct smmu_cache_config {
	uint32_t entries;  /* total entries; 0 with enable=false is allowed */
	uint32_t ways;     /* associativity; ways == entries is fully associative */
	enum smmu_policy policy;
	bool enable;
	uint32_t latency;  /* lookup latency in SMMU cycles */
	uint32_t slots;    /* lookups that can start per cycle / concurrent users */
};

/*
 * Timing parameters, in SMMU clock cycles unless noted. Defaults and their
 * sources are listed by smmu_param_*() (see below) and in docs/timing.md.
 */
struct smmu_timing {
	uint32_t clock_mhz;        /* SMMU clock; 1000 */
	uint32_t dti_hop;          /* TBU<->TCU message, each way; 8 */
	uint32_t mem_read;         /* one table/queue read from memory; 100 (DRAM 100 ns) */
	uint32_t mem_write;        /* one event/MSI write; 100 */
	uint32_t ptw_slots;        /* concurrent page-table walks; 16 */
	uint32_t ctw_slots;        /* concurrent config-table walks; 2 */
	uint32_t tcu_slots;        /* TCU translation slots; 64 */
	uint32_t cmd_decode;       /* command processor cycles per command; 2 */
	uint32_t cmd_fetch_batch;  /* commands fetched per memory read; 4 (64-byte line) */
	uint32_t inv_base;         /* fixed cost of one invalidation pass over one structure; 2 */
	uint32_t inv_per_entry;    /* cost per entry removed; 1 */
	uint32_t tbu_inv_work;     /* TBU work per invalidate message besides removals; 4 */
	uint32_t sync_base;        /* CMD_SYNC completion overhead; 10 */
	uint32_t bypass;           /* latency of a transaction that bypasses; 1 */
	uint32_t atc_inv_timeout;  /* a CMD_SYNC gives up on an ATC_INV completion after this
	                            * many cycles: CERROR_ATC_INV_SYNC; 10,000,000 */
};

/*
 * Static configuration of one SMMU: architecture features (from which the ID
 * registers are derived) and microarchitecture. Starts with `size` as every
 * growing public struct does. Fill with smmu_config_default() first.
 */
struct smmu_config {
	uint32_t size;             /* sizeof(struct smmu_config) */
	uint8_t minor_rev;         /* AIDR.ArchMinorRev: 2 = SMMUv3.2 */
	bool s1p, s2p;
	bool vmid16, asid16;
	bool gran4k, gran16k, gran64k;
	uint8_t oas_bits;          /* 32, 36, 40, 42, 44, 48, 52 */
	uint8_t sidsize;           /* 0..32 */
	uint8_t ssidsize;          /* 0..20 */
	uint8_t cmdqs, eventqs, priqs; /* log2 of max entries, <= 19 */
	bool st_level2, cd2l;
	bool ril, btm, ats, pri, msi, sev, hyp, coherent;
	bool split_ats;            /* IDR0.NS1ATS = 0: split-stage ATS (STE.EATS = 10) */
	bool attr_types_ovr, attr_perms_ovr; /* IDR1: STE MTCFG/MemAttr/SHCFG/ALLOCCFG; PRIVCFG/INSTCFG */
	bool wc_s2tt;      /* walk cache keeps stage-2 translations of nested stage-1 table IPAs */
	uint8_t ttf;               /* 2 = AArch64 only, 3 = both */
	uint8_t stall_model;       /* IDR0.STALL_MODEL: 0 stall and terminate, 1 terminate only, 2 stall forced */
	uint32_t stall_max;        /* IDR5.STALL_MAX: outstanding stalled transactions (STAGs) */
	uint32_t stall_timeout;    /* cycles a stalled transaction may wait before it is aborted (0: forever) */
	uint8_t httu;              /* IDR0.HTTU: 0 none, 1 AF, 2 AF + dirty (3: + table AF, not modelled) */
	bool term_model;
	bool stt;
	uint32_t iidr;             /* IIDR value */
	uint32_t num_tbus;         /* TBU ports, 1..64 */
	struct smmu_cache_config utlb;  /* per TBU */
	struct smmu_cache_config mtlb;  /* per TBU */
	struct smmu_cache_config tbu_cfgc; /* per TBU stream-context cache (part of the uTLB on MMU-600) */
	struct smmu_cache_config cfgc;  /* TCU config cache */
	struct smmu_cache_config tlb;   /* TCU TLB */
	struct smmu_cache_config wc;    /* TCU walk cache */
	struct smmu_timing t;
	uint32_t seed;             /* for SMMU_POLICY_RANDOM */
	bool host_fastpath;        /* host-side memo of uTLB hits (not modelled state; same results) */
	bool debug_skip_tbu_inv;   /* seeded model bug for oracle tests: TLBI commands leave the
	                            * TBUs' micro and main TLBs alone (default off) */
};

/* The DESIGN.md default: a server-class SMMUv3.2 (MMU-700-like). */
void smmu_config_default(struct smmu_config *cfg);

/* Wired interrupt lines. */
enum smmu_irq {
	SMMU_IRQ_EVENTQ = 0,
	SMMU_IRQ_PRIQ = 1,
	SMMU_IRQ_GERROR = 2,
	SMMU_IRQ_CMD_SYNC = 3,
};

/* A decoded event, as given to the host op `event` (the memory record is
 * written by the model itself). */
struct smmu_event {
	uint8_t id;            /* enum smmu_event_id */
	uint32_t sid;
	uint32_t ssid;
	bool ssv;
	bool stall;
	uint16_t stag;
	bool pnu, ind, rnw;
	bool s2;
	uint8_t cls;           /* enum smmu_event_class */
	uint64_t input_addr;
	uint64_t ipa;          /* or FetchAddr for fetch aborts */
	uint64_t fetch_addr;
	bool ttrnw;            /* F_PERMISSION with CLASS=TT: 1 descriptor read, 0 write (HTTU) */
};

/* Report of one consumed command (host op `cmd_done`). */
struct smmu_cmd_report {
	uint8_t op;            /* opcode */
	uint32_t index;        /* queue index (with wrap bit) */
	uint64_t arrive;       /* cycle the command became visible (PROD write) */
	uint64_t start;        /* cycle the command processor started it */
	uint64_t done;         /* cycle its effects completed */
	bool invalidation;     /* CFGI_*, TLBI_*, ATC_INV: covered by the next SYNC */
	uint32_t removed;      /* entries removed across every structure */
	uint8_t cerror;        /* non-zero: this command stopped the queue */
	/* Appended: the command as fetched (0 if the fetch aborted). */
	uint64_t cmd[2];
	/* Appended, for latency breakdowns: the fetch read charged just before
	 * `start` (0 when the command came in an earlier fetch), the cycle its
	 * own work began (start + decode), and when the TCU's structures were
	 * done with it (invalidations; `exec` otherwise). done - tcu_done is the
	 * TBU fan-out of an invalidation, or for ATC_INV the ATC round trip
	 * (tcu_done == exec). */
	uint32_t fetch;
	uint64_t exec;
	uint64_t tcu_done;
};

/*
 * One cache entry removed by an invalidation (host op `inv_removed`).
 * Addresses are in the entry's tag form: the input address space of the
 * translation (VA sign-extended from bit 55 for stage-1 entries, IPA for
 * stage-2-only entries).
 */
struct smmu_removed_entry {
	uint8_t structure;     /* enum smmu_hit: SMMU_HIT_UTLB, _MTLB, _TLB (TCU TLB) or
				  _WALK_CACHE */
	uint8_t world;         /* 0 NS-EL1, 1 NS-EL2, 2 NS-EL2-E2H */
	uint16_t vmid;
	uint32_t asid;         /* SMMU_ASID_NONE for S2-only / EL2 entries */
	uint64_t base, size;   /* input range the entry covers: [base, base + size) */
	uint64_t out;          /* output base (PA); walk cache: next-level table PA */
	uint32_t origin;       /* smmu_set_origin() value when it entered this structure */
	bool broadcast;        /* removed by a broadcast TLBI (BTM), not a command */
	/* Appended after the fields above. */
	bool global;           /* nG=0 entry (matches every ASID) */
	uint8_t level;         /* lookup level of the leaf / walk-cache table level */
	uint32_t tbu;          /* TBU index for SMMU_HIT_UTLB / _MTLB; 0 otherwise */
	uint32_t sid;          /* StreamID whose translation walked it */
	uint32_t walk_origin;  /* origin of the walk that produced the translation
				  (differs from origin for TBU copies refilled later) */
};

struct smmu_txn;
struct smmu_xlate_result;

#define SMMU_ATTR_INCOMING 0xFFu

/*
 * Host operations: the model's only way out. Required: mem_read, mem_write.
 * Optional ones may be NULL.
 */
struct smmu_host_ops {
	uint32_t size;  /* sizeof(struct smmu_host_ops) */
	/* Physical memory. Return 0, or non-zero for an external abort. */
	int (*mem_read)(void *host, uint64_t pa, void *buf, uint32_t len);
	int (*mem_write)(void *host, uint64_t pa, const void *buf, uint32_t len);
	/* A wired interrupt pulse at `cycle`. */
	void (*irq)(void *host, enum smmu_irq line, uint64_t cycle);
	/* An MSI write of `data` to `addr` at `cycle`. NULL: mem_write at once. */
	int (*msi)(void *host, uint64_t addr, uint32_t data, uint64_t cycle);
	/* CMD_ATC_INV delivered to the PCIe function behind `sid` at `cycle`;
	 * returns the cycle its completion arrives back (UINT64_MAX: never; a
	 * CMD_SYNC after it then fails with CERROR_ATC_INV_SYNC after
	 * t.atc_inv_timeout). NULL: no ATS devices, the invalidation completes
	 * at once. */
	uint64_t (*ats_inv)(void *host, uint32_t sid, uint32_t ssid, bool ssv, bool global,
			    uint64_t addr, uint8_t size, uint64_t cycle);
	/* Every event offered to the queue, recorded or not (recorded=false: the
	 * queue was not writable or the event was suppressed by A/R bits). */
	void (*event)(void *host, const struct smmu_event *ev, bool recorded, uint64_t cycle);
	/* Every consumed command. */
	void (*cmd_done)(void *host, const struct smmu_cmd_report *rep);
	/* Diagnostics: level 0 error, 1 warning, 2 info, 3 debug. */
	void (*log)(void *host, int level, const char *msg);
	/* Allocation. NULL: calloc/free. */
	void *(*alloc)(void *host, size_t n, size_t size);
	void (*free)(void *host, void *p);
	/*
	 * Invalidation observer (provenance). Called once per translation-cache
	 * entry that an invalidation command (TLBI_*) or a broadcast TLBI (BTM)
	 * removes, while it is removed: TCU TLB, TCU walk cache, and every TBU's
	 * main TLB and micro-TLB (each TBU copy is reported on its own). Calls
	 * for a command all come before that command's cmd_done report; calls
	 * for a broadcast come before smmu_btm_tlbi() returns. Not called for
	 * entries that leave by replacement, by SMMUEN/reset flushes, or for
	 * config-cache entries removed by CFGI_*. `cycle`: when the
	 * invalidation reached the structure (TCU structures: when the command
	 * processor or the broadcast started it; TBU structures: after the TCU's
	 * own pass, when the TBU's invalidate message is sent). NULL (or a host_ops struct
	 * too short to hold it): no calls and no cost. Observation only: the
	 * host must not call back into the model from it.
	 */
	void (*inv_removed)(void *host, const struct smmu_removed_entry *e, uint64_t cycle);
	/*
	 * A stalled transaction finished at `cycle`: retried by CMD_RESUME,
	 * or - held because its fault record found the Event queue not
	 * writable - when the queue became writable (res is the new
	 * translation, which may stall again under a new STAG), or terminated (CMD_RESUME with Ac=0, CMD_STALL_TERM, SMMUEN
	 * cleared, the stall timeout): outcome ABORT or RAZ/WI, no event.
	 * NULL: the host does not hear of it. The host must not call back into
	 * the model from it.
	 */
	void (*stall_done)(void *host, const struct smmu_txn *txn, uint16_t stag,
			   const struct smmu_xlate_result *res, uint64_t cycle);
	/*
	 * A PRG Response Message to the PCIe function behind `sid`, leaving the
	 * SMMU at `cycle`: from CMD_PRI_RESP, or an automatic response
	 * (smmu_pri_request). `code` is PCIe's Response Code: 0x0 Success,
	 * 0x1 Invalid Request, 0xF Response Failure; `ssv`/`ssid`: the response
	 * carries that PASID. NULL: responses go nowhere.
	 */
	void (*pri_resp)(void *host, uint32_t sid, bool ssv, uint32_t ssid, uint16_t prgi,
			 uint8_t code, uint64_t cycle);
};

/* Stalled transactions held now. */
uint32_t smmu_stalled_count(const struct smmu *s);

/* Create an instance. cfg and ops are copied. */
int smmu_create(const struct smmu_config *cfg, const struct smmu_host_ops *ops, void *host,
		struct smmu **out);
void smmu_destroy(struct smmu *s);
const struct smmu_config *smmu_get_config(const struct smmu *s);

/*
 * Register accesses: offset within the 128 KiB register space (pages 0 and
 * 1), width 4 or 8 bytes, naturally aligned. Misaligned or unsupported widths
 * return SMMU_ERR_RANGE (the host turns them into bus errors).
 */
int smmu_mmio_read(struct smmu *s, uint64_t off, unsigned width, uint64_t now, uint64_t *val);
int smmu_mmio_write(struct smmu *s, uint64_t off, unsigned width, uint64_t val, uint64_t now);

/* An upstream transaction. */
struct smmu_txn {
	uint32_t port;      /* TBU index, < num_tbus */
	uint32_t sid;
	uint32_t ssid;
	bool ssv;
	uint64_t addr;
	uint32_t len;
	bool write;
	bool priv;
	bool exec;
};

/* Which structure satisfied a translation. */
enum smmu_hit {
	SMMU_HIT_NONE = 0,       /* faulted or aborted */
	SMMU_HIT_BYPASS = 1,     /* SMMUEN=0 with GBPA bypass, or STE bypass */
	SMMU_HIT_UTLB = 2,
	SMMU_HIT_MTLB = 3,
	SMMU_HIT_TLB = 4,        /* TCU TLB */
	SMMU_HIT_WALK_CACHE = 5, /* walk started below the start level */
	SMMU_HIT_WALK = 6,       /* full walk */
	SMMU_HIT_ATC = 7,        /* an ATS Translated transaction: the device's ATC (the host's) */
	SMMU_HIT_COUNT = 8,
};
const char *smmu_hit_name(enum smmu_hit h);

enum smmu_outcome {
	SMMU_XLATE_OK = 0,
	SMMU_XLATE_ABORT = 1,   /* terminated with an abort (event or not) */
	SMMU_XLATE_RAZWI = 2,   /* terminated as RAZ/WI (CD.A=0 / fault configs) */
	SMMU_XLATE_STALLED = 3, /* held (CD.S / STE.S2S): the event carries its STAG; CMD_RESUME,
	                         * CMD_STALL_TERM, SMMUEN=0 or the stall timeout finish it
	                         * through the host op stall_done */
};

struct smmu_xlate_result {
	enum smmu_outcome outcome;
	uint64_t pa;          /* output address of txn->addr */
	enum smmu_hit hit;
	uint64_t done;        /* cycle the response leaves the TBU */
	uint32_t cycles;      /* done - now */
	uint32_t mem_reads;   /* table reads this translation made (config + walk) */
	uint8_t event;        /* event id raised (0 if none) */
	bool event_recorded;  /* written to the event queue */
	struct smmu_event ev; /* the event's fields when event != 0 */
	/* The tag the translation used, for isolation checks. */
	uint8_t world;        /* enum smmu_world: 0 NS-EL1, 1 NS-EL2, 2 NS-EL2-E2H */
	uint16_t vmid;
	uint32_t asid;        /* SMMU_ASID_NONE for S2-only / EL2 */
	uint8_t page_shift;
	/*
	 * Provenance (appended). `hit` already says which structure served the
	 * translation, and the TBU whose micro-TLB / main TLB served it is
	 * txn->port. For SMMU_HIT_UTLB, _MTLB and _TLB, origin is the one stored
	 * in that entry (smmu_set_origin() value when the entry entered that
	 * structure); for walks, walk-cache hits, bypass and faults it is the
	 * current origin. walk_origin is the origin of the walk that produced the
	 * translation (a micro-TLB entry refilled from the main TLB keeps its
	 * walk's origin there). entry_base/entry_size are the input range the
	 * serving translation covers (page or block, in the tag form: VA
	 * sign-extended from bit 55 for stage 1, IPA for stage 2 only) and
	 * entry_out its output base; all three are 0 unless outcome is OK from
	 * a translation (bypass: 0). entry_sid is the StreamID whose walk made
	 * the entry (txn->sid for a walk; another stream's when a tag is shared).
	 */
	uint32_t origin;
	uint32_t walk_origin;
	uint32_t entry_sid;
	uint64_t entry_base, entry_size, entry_out;
	/* Appended: the serving entry's nG=0 flag and lookup level (the leaf's
	 * level; 0 when entry_size is 0). */
	bool entry_global;
	uint8_t entry_level;
	uint16_t stag;        /* SMMU_XLATE_STALLED: the STAG of the held transaction */
	/* What the STE makes of the transaction's attributes (§13, IDR1
	 * ATTR_*_OVR): the privilege and instruction/data it is checked with
	 * (PRIVCFG, INSTCFG), and the incoming attributes it carries into the
	 * translation, or out when both stages are bypassed: memory type as an
	 * STE.MemAttr encoding (MTCFG), shareability (SHCFG: 0 NSH, 2 OSH, 3
	 * ISH) and allocation hints (ALLOCCFG 1RWT); SMMU_ATTR_INCOMING where
	 * the STE keeps the incoming value. */
	bool eff_priv, eff_inst;
	uint8_t attr_mt, attr_sh, attr_alloc;
};
#define SMMU_ASID_NONE 0x10000u

/*
 * Provenance cookie: an opaque value (e.g. the trace record's line number)
 * that every cache entry inserted from now on stores, until the next call.
 * Set it before smmu_translate() or a register write that makes the command
 * processor run. Default 0. Costs one 4-byte store per insertion; changes no
 * translation, timing or statistic.
 */
void smmu_set_origin(struct smmu *s, uint32_t origin);

/*
 * The provenance cookie read from *origin whenever an insertion needs it,
 * instead of a value set by each call: a host that keeps the current record
 * in one variable binds it once (one store per record, no call). The
 * variable must outlive the binding; NULL, or a later smmu_set_origin(),
 * returns to the value smmu_set_origin() sets.
 */
void smmu_bind_origin(struct smmu *s, const uint32_t *origin);

/*
 * An ATS Translation Request from the PCIe function behind `sid` (IHI 0070
 * §3.9.1): translated like an untranslated read (and, unless no_write, a
 * write, for the W permission), answered with a Translation Completion:
 * SMMU_ATS_OK with the translation [addr, addr + size) -> pa and the R/W it
 * grants (R = W = 0 when the translation faults: no event is recorded);
 * SMMU_ATS_UR with F_BAD_ATS_TREQ recorded when SMMUEN=0 or the effective
 * STE.EATS is 00 (EATS=00, Config bypass, no IDR0.ATS); SMMU_ATS_CA with no
 * event for an invalid STE, Config abort and configuration errors.
 * Split-stage (EATS=10, Config 111, only with split_ats: IDR0.NS1ATS=0;
 * as EATS=00 while CR0.ATSCHK=0): answered with the stage-1 translation -
 * `pa` is the IPA - and stage-1 permissions. Results may be cached in the
 * SMMU's TLBs as for any translation.
 */
/*
 * An ATS Translated transaction (the address is the PA a function's ATC
 * gave): with CR0.ATSCHK=0 it passes unchecked; with ATSCHK=1 it passes
 * only for a stream whose STE allows full ATS (EATS 01/11, translating
 * Config), else F_TRANSL_FORBIDDEN (also with SMMUEN=0); an invalid STE
 * aborts it without an event. hit = SMMU_HIT_ATC when it passes. With
 * split-stage EATS=10 the address is an IPA and stage 2 translates it (TLBs,
 * walk, stage-2 faults as for an S2-only stream of the STE's VMID).
 */
int smmu_translated(struct smmu *s, const struct smmu_txn *txn, uint64_t now,
		    struct smmu_xlate_result *res);

struct smmu_ats_req {
	uint32_t port, sid, ssid;
	bool ssv, priv, exec;
	bool no_write; /* NW: the function will not write */
	uint64_t addr;
};
enum smmu_ats_status { SMMU_ATS_OK = 0, SMMU_ATS_UR = 1, SMMU_ATS_CA = 2 };
struct smmu_ats_result {
	enum smmu_ats_status status;
	uint64_t addr, size, pa; /* OK: the translation (size a power of two) */
	bool read, write;
	uint32_t event;          /* the event raised, if any */
	bool event_recorded;
	uint64_t done;           /* cycle the completion leaves the SMMU */
};
int smmu_ats_translate(struct smmu *s, const struct smmu_ats_req *req, uint64_t now,
		       struct smmu_ats_result *out);

/*
 * A PCIe Page Request Message (PRI) from the function behind `sid` (IHI 0070
 * ch.8): with effective PRIQEN (CR0.PRIQEN and SMMUEN) and no PRIQ_ABT_ERR it
 * becomes a 16-byte PRI queue record at PRIQ_PROD (interrupt when the queue
 * goes non-empty, or on Last=1 only with PRIQ_IRQ_CFG2.LO). Otherwise
 * nothing is written: a request with Last=1 gets an automatic Response
 * Failure (its group fails), other requests and Stop Markers are dropped.
 * A full queue toggles PRIQ_PROD.OVFLG (unless an overflow is already
 * unacknowledged) and discards the request; a discarded Last=1 request gets
 * an automatic Success, carrying the PASID when STE.PPAR says so (IDR3.PPS
 * is 0 here), or Response Failure without a PASID when the STE cannot be
 * read or is invalid. Automatic responses also reach the pri_resp host op.
 * PRI requests ignore ATSCHK and EATS. Without IDR0.PRI every Last=1
 * request gets Response Failure.
 */
struct smmu_ppr {
	uint32_t sid, ssid;
	bool ssv;             /* a PASID prefix (ssid) */
	bool read, write;     /* R, W; both 0 with last and ssv: a Stop Marker */
	bool exec, priv;      /* only with a PASID (forced 0 without, IHI 0070 §8.1) */
	bool last;            /* L: the last request of its Page Request Group */
	uint16_t prgi;        /* PRG index, 9 bits */
	uint64_t addr;        /* page address (bits [11:0] ignored) */
};
enum smmu_ppr_outcome {
	SMMU_PPR_QUEUED = 0,  /* written to the PRI queue */
	SMMU_PPR_AUTO = 1,    /* not written; an automatic response was sent */
	SMMU_PPR_DROPPED = 2, /* not written, no response */
};
struct smmu_ppr_result {
	enum smmu_ppr_outcome outcome;
	bool overflow;        /* discarded because the queue was full */
	uint8_t code;         /* SMMU_PPR_AUTO: the PCIe Response Code */
	bool resp_pasid;      /* SMMU_PPR_AUTO: the response carries the PASID */
	uint64_t done;        /* cycle the record is visible / the response leaves */
};
int smmu_pri_request(struct smmu *s, const struct smmu_ppr *p, uint64_t now,
		     struct smmu_ppr_result *out);
#define SMMU_PRI_CODE_SUCCESS 0x0
#define SMMU_PRI_CODE_INVALID 0x1
#define SMMU_PRI_CODE_FAILURE 0xF

int smmu_translate(struct smmu *s, const struct smmu_txn *txn, uint64_t now,
		   struct smmu_xlate_result *res);

/*
 * Broadcast TLB maintenance from a PE (BTM). Honoured only when IDR0.BTM and
 * CR2.PTM == 0 (as latched at SMMUEN) and SMMUEN is set; otherwise ignored
 * (*removed = 0). Returns the number of entries removed via *removed.
 */
enum smmu_btm_op {
	SMMU_BTM_VMALLE1IS, SMMU_BTM_ASIDE1IS, SMMU_BTM_VAE1IS, SMMU_BTM_VALE1IS,
	SMMU_BTM_VAAE1IS, SMMU_BTM_VAALE1IS, SMMU_BTM_IPAS2E1IS, SMMU_BTM_IPAS2LE1IS,
	SMMU_BTM_VMALLS12E1IS, SMMU_BTM_ALLE1IS, SMMU_BTM_ALLE2IS, SMMU_BTM_VAE2IS,
	SMMU_BTM_ASIDE2IS,
};
struct smmu_btm_tlbi {
	enum smmu_btm_op op;
	uint16_t vmid;
	uint16_t asid;
	uint64_t addr;   /* VA or IPA */
};
int smmu_btm_parse_op(const char *name, enum smmu_btm_op *op);
int smmu_btm_tlbi(struct smmu *s, const struct smmu_btm_tlbi *t, uint64_t now, uint32_t *removed);

/* Counters. */
struct smmu_stats {
	uint64_t xlate;
	uint64_t hit[SMMU_HIT_COUNT];
	uint64_t faults;
	uint64_t events_recorded;
	uint64_t events_dropped;
	uint64_t eventq_overflows;
	uint64_t cfg_hits, cfg_misses;
	uint64_t mem_reads, mem_writes;
	uint64_t cmds;
	uint64_t cmds_by_op[256];
	uint64_t cerrors;
	uint64_t inv_removed;   /* entries removed by invalidations */
	uint64_t btm_tlbis;
	uint64_t ats_invs;
	uint64_t httu_writes;   /* descriptor updates (Access flag, dirty state) */
	uint64_t wc_s2tt_hits;  /* nested stage-1 table fetches whose IPA the walk cache translated */
	uint64_t stalls;        /* transactions stalled */
	uint64_t stall_resumes, stall_terms, stall_timeouts; /* how stalls ended */
	uint64_t stalls_unrecorded; /* stalled while the Event queue was not writable */
	uint64_t stall_retries; /* ... and retried when it became writable */
	uint64_t pri_requests;  /* Page Request Messages received */
	uint64_t pri_recorded;  /* ... written to the PRI queue */
	uint64_t pri_auto;      /* automatic PRG responses sent */
	uint64_t priq_overflows;
	uint64_t pri_resps;     /* CMD_PRI_RESP responses sent */
};
const struct smmu_stats *smmu_get_stats(const struct smmu *s);

/* Occupancy of the caches (for tests and reports). */
struct smmu_occupancy {
	uint32_t utlb, mtlb;   /* of the TBU asked for */
	uint32_t tlb, wc, cfgc;
};
int smmu_get_occupancy(const struct smmu *s, uint32_t port, struct smmu_occupancy *occ);

/* The cycle until which the command processor is busy (last completion). */
uint64_t smmu_cmdq_busy_until(const struct smmu *s);

/*
 * Named parameters: every configuration field, settable by name
 * ("tlb.entries", "t.mem_read", "btm", "vmid_bits", "oas" ...) with a value
 * string ("on"/"off", numbers with K/M suffixes, policy names). Used by
 * `config`/`smmu` trace records and --set. Returns SMMU_ERR_INVAL for an
 * unknown name or bad value, with a message in err (if non-NULL).
 */
struct smmu_param_info {
	const char *name;
	const char *unit;
	const char *source;   /* where the default comes from, or "uncalibrated" */
	const char *help;
};
int smmu_config_set(struct smmu_config *cfg, const char *name, const char *value, char *err,
		    size_t errlen);
/* Value of a parameter as text. */
int smmu_config_get(const struct smmu_config *cfg, const char *name, char *buf, size_t len);
/*
 * Validate a whole configuration (cfg->size, every parameter's range, cache
 * geometries, cross-parameter rules, and what the model does not implement).
 * Returns SMMU_OK, or SMMU_ERR_INVAL with the first problem in err
 * (NUL-terminated, truncated to len; err may be NULL). smmu_create() runs the
 * same check and logs the message through ops->log.
 */
int smmu_config_check(const struct smmu_config *cfg, char *err, size_t len);
/* Iterate the parameter table: returns NULL past the end. */
const struct smmu_param_info *smmu_param_at(size_t i);

#ifdef __cplusplus
}
#endif
#endif
