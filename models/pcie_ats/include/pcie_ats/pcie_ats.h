/*
 * pcie_ats.h - a PCIe function with an Address Translation Cache (ATS, PCIe
 * Base Specification chapter 10): the cache of translations it was given,
 * and its side of ATS invalidation: Invalidate Requests carrying an ITag,
 * at most Invalidate Queue Depth outstanding (0 in the capability means
 * 32), each completed after the device flushed the matching entries; the
 * requester waits for a free ITag (back-pressure). Times are nanoseconds;
 * the caller (the SMMU's host) converts cycles.
 *
 * C11, no dependencies. Translation Requests are the SMMU model's
 * (smmu_ats_translate): the host fills the ATC with their completions; a
 * function that never completes is `unresponsive`. Not here: the function's
 * PRI state (outstanding page request allocation, its reaction to Response
 * Failure); the platform sends its page requests (`pri` records).
 */
#ifndef PCIE_ATS_H
#define PCIE_ATS_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pcie_ats_config {
	uint32_t atc_entries;  /* ATC capacity (translations); 0: no ATC */
	uint32_t atc_ways;     /* 0: fully associative */
	uint8_t stu;           /* Smallest Translation Unit: 4 KiB << stu */
	uint8_t invq_depth;    /* Invalidate Queue Depth: 0 means 32 */
	uint32_t link_ns;      /* one way across the link (request or completion) */
	uint32_t flush_ns;     /* the device's work for one invalidation request */
	bool unresponsive;     /* a hung function: never completes (nor invalidates) */
};

/* Defaults (docs/timing.md): 64 entries, fully associative, STU 4 KiB,
 * depth 32, link 500 ns one way, flush 1000 ns. */
void pcie_ats_config_default(struct pcie_ats_config *cfg);

struct pcie_ats;
/* 0, or -1 (bad configuration: stu > 31, ways not dividing entries, no
 * memory). */
int pcie_ats_create(const struct pcie_ats_config *cfg, struct pcie_ats **out);
void pcie_ats_destroy(struct pcie_ats *a);

/* One cached translation: [iova, iova + size) of (ssid when ssv) -> pa,
 * size a power of two >= the STU. */
struct pcie_ats_entry {
	uint64_t iova, size, pa;
	uint32_t ssid;
	bool ssv, read, write;
	uint32_t origin; /* the host's tag (the trace record that filled it) */
};
/* Cache a Translation Completion (LRU replacement within its set). */
void pcie_ats_fill(struct pcie_ats *a, const struct pcie_ats_entry *e);
/* A translated access: true and *pa (and the entry, when e is not NULL)
 * when the ATC holds addr for (ssv, ssid) with the permission (write or
 * read). */
bool pcie_ats_lookup(struct pcie_ats *a, bool ssv, uint32_t ssid, uint64_t addr, bool write,
                     uint64_t *pa, struct pcie_ats_entry *e);

/*
 * An Invalidate Request issued at now_ns for the range CMD_ATC_INV
 * describes: 4 KiB << size bytes at addr (size 52: everything), of SSID
 * ssid when ssv, of every PASID when global. Removes the matching entries
 * (entries of a PASID are kept by a request without ssv only if the
 * device keeps them: here any entry overlapping the range goes, PCIe's
 * "untranslated ... all PASIDs" reading), and returns when its Completion
 * reaches the requester: after a free ITag (the earliest outstanding
 * completion when all are in use), the link, the device's serial flush
 * work, and the link back. *removed (may be NULL) gets the entries removed.
 * An unresponsive function removes nothing and returns UINT64_MAX.
 */
uint64_t pcie_ats_invalidate(struct pcie_ats *a, bool ssv, uint32_t ssid, bool global,
                             uint64_t addr, uint8_t size, uint64_t now_ns, uint32_t *removed);

struct pcie_ats_stats {
	uint64_t fills, hits, misses, evictions;
	uint64_t invalidations, removed;
	uint64_t itag_waits;   /* requests that waited for a free ITag */
	uint64_t itag_wait_ns; /* how long, summed */
	uint32_t max_outstanding;
};
void pcie_ats_get_stats(const struct pcie_ats *a, struct pcie_ats_stats *out);
uint32_t pcie_ats_occupancy(const struct pcie_ats *a);

#ifdef __cplusplus
}
#endif

#endif
