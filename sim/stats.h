// stats.h - what a replay measures: every DMA's latency and what satisfied
// it, every command's latency, invalidation latency up to the covering
// CMD_SYNC, events, and the counters of the records run.
//
// Kept as exact distributions (picoseconds; LatencyHist) so that
// percentiles are exact (nearest rank over all samples) and deterministic,
// and recording a DMA allocates nothing. Percentiles are computed only when
// a report or an `expect stat` asks.
#ifndef SMMUSIM_SIM_STATS_H
#define SMMUSIM_SIM_STATS_H

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "clock.h"
#include "smmu/smmu.h"
#include "shim/shim.h"
#include "smmu_module.h"
#include "timeline.h"

namespace smmusim {

// Latency summary, picoseconds.
struct Summary {
	uint64_t count = 0, min = 0, p50 = 0, p99 = 0, max = 0;
	uint64_t p90 = 0, mean = 0; // mean rounded down
};

// An exact latency distribution: each distinct value with its count, in an
// open-addressed table. Latencies repeat heavily (a micro-TLB hit followed
// by a DRAM access costs the same every time), so a million DMAs usually
// take a few hundred bytes, and adding one is a compare and an increment in
// the common case (the last value again: a run, counted apart from the
// table until another value ends it): no allocation, no page touched.
// Percentiles computed from it are the same as from the raw samples.
class LatencyHist {
public:
	void add(uint64_t v)
	{
		n_++;
		if (v == run_v_) {
			run_n_++; // (from 0: the first sample starts the run)
			return;
		}
		add_slow(v);
	}
	uint64_t count() const { return n_; }
	bool empty() const { return n_ == 0; }
	// Append (value, count) pairs to out, unordered.
	void pairs(std::vector<std::pair<uint64_t, uint64_t>> &out) const;
	Summary summary() const;

private:
	void add_slow(uint64_t v);
	void insert(uint64_t v, uint64_t count);
	void grow();
	std::vector<uint64_t> keys_, counts_; // counts_ 0: empty slot
	size_t cap_ = 0, used_ = 0;
	uint64_t n_ = 0;
	uint64_t run_v_ = 0, run_n_ = 0; // the current run: not in the table
};

// Nearest-rank summary of (value, count) pairs (reordered in place).
Summary summarize(std::vector<std::pair<uint64_t, uint64_t>> &pairs);

// One ioctl as the report lists it (the kernel model's account of the call).
struct IoctlRecord {
	uint32_t line = 0;
	std::string request;
	int err = 0;            // errno, 0 on success
	uint64_t sim_ps = 0;    // simulated time the call took
	std::vector<uint8_t> cmds; // SMMU command opcodes issued, in order
	uint32_t ncmds = 0;     // all of them (cmds keeps the first 256)
	uint32_t syncs = 0;
	uint32_t ste_writes = 0;  // STE updates
	uint32_t ste_hitless = 0; // of which never made the STE invalid
	bool ste_breaking = false;
};

// ---- the latency breakdown (docs/sim.md "latency") ----
// Where an invalidating request's simulated time went, in picoseconds. The
// parts add up to the request's total exactly.
enum LatPart : uint8_t {
	kPartHost = 0,     // the kernel's own work (or, bare metal, the host publishing more)
	kPartCmdq = 1,     // building/writing commands + PROD writes; the SMMU's decode
	kPartFetch = 2,    // the SMMU's command fetch reads
	kPartInval = 3,    // the TCU's per-structure invalidation work (TLB, walk cache, config)
	kPartTbu = 4,      // TBU fan-out past the TCU's pass
	kPartAtc = 5,      // ATC_INV round trips
	kPartSyncWait = 6, // CMD_SYNC's own work and the wait until software sees it (poll/MSI)
	kPartQueue = 7,    // behind other work (a busy command processor, a full queue)
	kParts = 8,
};
extern const char *const kLatPartNames[kParts];
struct Breakdown {
	uint64_t ps[kParts] = {};
	uint64_t total() const
	{
		uint64_t t = 0;
		for (uint64_t v : ps)
			t += v;
		return t;
	}
};
struct LatRequest {
	uint64_t seq = 0;
	uint32_t line = 0;
	std::string kind, who;
	uint64_t start_ps = 0, total_ps = 0;
	uint32_t cmds = 0;
	Breakdown parts;
};
// The SMMU's side of one CMD_SYNC: from the arrival of the first command it
// covers to its completion, along the critical path (stats.cc).
struct SyncBreakdown {
	uint32_t index = 0; // queue index with wrap bit
	uint64_t arrive_ps = 0, done_ps = 0;
	uint32_t cmds = 0;
	bool invalidates = false; // covered a CFGI/TLBI/ATC_INV
	Breakdown parts;          // adds up to done_ps - arrive_ps
};

class RunStats : public SmmuObserver {
public:
	RunStats(std::vector<ClockDomain> clocks, std::vector<std::string> smmu_names);

	// ---- DMA (the hot path: inline, no allocation once reserved) ----
	// What happened to a DMA, for the counters.
	enum DmaKind : uint8_t { kDmaOk = 0, kDmaFault = 1, kDmaAbort = 2, kDmaBusError = 3 };
	void add_dma(uint64_t latency_ps, uint8_t hit, DmaKind kind, bool write, uint32_t len)
	{
		dma_ps_[hit < SMMU_HIT_COUNT ? hit : (uint8_t)SMMU_HIT_NONE].add(latency_ps);
		dma_kind_[kind]++;
		dma_writes_ += write;
		dma_bytes_ += len;
	}

	// What each DMA returned, timing aside (outcome, PA of an OK, event of a
	// fault), folded in trace order into one 64-bit hash: two runs of one
	// trace under different microarchitectures (caches off, sizes, latencies)
	// must agree on it. Reported as dma.results_digest. One word per DMA:
	// the PA (below 2^52) with kind | event << 2 in its top ten bits, xor-ed
	// in, multiplied by the FNV-64 prime and its high half folded down (so
	// that high bits reach the low ones): the chain from one DMA to the next
	// is one multiply, where FNV-1a's ten bytes were ten.
	void mix_dma_result(DmaKind kind, uint64_t pa, uint8_t event)
	{
		mix_word(pa ^ ((uint64_t)kind | (uint64_t)event << 2) << 54);
	}
	uint64_t dma_results_digest() const { return dma_digest_; }

	// ---- the kernel model ----
	std::vector<IoctlRecord> ioctls;
	// VMIDs (policy.vmid): every assignment, in order, and the summary;
	// taken from the kernel when the report is built (vmids_known).
	struct VmidRecord {
		uint32_t smmu = 0, vmid = 0;
		std::string source, owner, kind, why;
		bool live = false;
		uint64_t t_alloc_ns = 0, t_free_ns = 0;
		uint32_t stes = 0, stes_max = 0, moved_from = 0, moved_to = 0, moves = 0;
	};
	std::vector<VmidRecord> vmids;
	bool vmids_known = false;
	std::string vmid_policy;
	bool viommu_vmid_own = false, vmid_separates = false;
	uint32_t kvm_bits = 0, kvm_cpus = 0, kvm_pinned = 0, kvm_max_pinned = 0;
	uint64_t kvm_generation = 0, kvm_rollovers = 0, vmid_moves = 0;
	std::vector<std::string> btm_smmus; // SMMUs with BTM on (CR2.PTM clear)
	// The isolation oracle: "on", "off", or "stale-only" (a bare-metal trace:
	// owners need the kernel model; the stale check runs on the trace's own
	// TLBIs). Set when the report is taken.
	std::string oracle = "off";
	struct Violation {
		std::string kind, device, hit, owner, other, detail, inserted_for;
		uint64_t entry_base = 0, entry_size = 0, entry_out = 0;
		uint32_t line = 0, origin_line = 0, smmu = 0, sid = 0, ssid = 0;
		uint8_t world = 0;
		uint16_t vmid = 0;
		uint32_t asid = 0;
		uint64_t addr = 0, pa = 0;
		bool expected = false; // an `expect violation` covered it
	};
	std::vector<Violation> violations;
	std::vector<std::string> warnings;
	uint64_t syscalls = 0;      // open, close, mmap, read, ioctl
	// KVM (taken from the kernel at the end): VMs, vCPU scheduling, the
	// rollovers' TLBI ALLE1IS broadcasts and the SMMU entries they removed;
	// guest records run.
	bool kvm_known = false;
	uint64_t kvm_vms = 0, vcpu_loads = 0, vcpu_puts = 0, kvm_vmid_allocs = 0;
	uint64_t kvm_flushes = 0, kvm_flush_removed = 0;
	uint64_t guest_writes = 0, guest_s1maps = 0, guest_s1unmaps = 0;
	// The host DMA API (`dmaapi` records): the kernel's counters (taken at
	// the end) and what the calls cost, by the replayer.
	bool dma_api_known = false;
	bool dma_strict = true;
	struct shim_dma_stats dma{};
	uint64_t dma_map_ps = 0, dma_unmap_ps = 0, dma_timer_ps = 0;
	uint64_t dmaapi_bytes = 0, dma_cmds = 0, dma_syncs = 0, dma_timer_runs = 0;
	uint64_t ats_treqs = 0; // `ats translate` records run
	uint64_t pri_requests = 0; // `pri request|stop` records run

	// ---- other records ----
	uint64_t records = 0;       // every record processed, header included
	uint64_t failures = 0;      // records whose operation failed
	uint64_t late_records = 0;  // @stamps already passed when the record started
	uint64_t mmio_reads = 0, mmio_writes = 0, mmio_errors = 0;
	uint64_t mem_reads = 0, mem_writes = 0, mem_loads = 0, mem_errors = 0;
	uint64_t mem_load_bytes = 0;
	uint64_t cpu_tlbis = 0, cpu_tlbi_removed = 0;
	uint64_t waits = 0, expects = 0;
	uint64_t sim_time_ps = 0;

	// The timeline (--perfetto), or null.
	Timeline *timeline = nullptr;
	const ClockDomain &clock(unsigned smmu) const { return clocks_[smmu]; }

	// ---- latency breakdown ----
	// kernel_mode: CMD_SYNCs belong to kernel calls (which make the requests);
	// otherwise every SYNC that covered an invalidation is a bare-metal
	// request of its own.
	bool kernel_mode = false;
	const SyncBreakdown *find_sync(unsigned smmu, uint32_t index) const;
	void add_request(LatRequest r);
	struct LatKind {
		LatencyHist total;
		Breakdown sum;
		uint64_t count = 0;
	};
	static constexpr size_t kMaxRequests = 100000; // listed in the report
	static constexpr size_t kTopRequests = 10;
	const std::vector<LatRequest> &requests() const { return requests_; }
	uint64_t requests_total() const { return req_seq_; }
	const std::vector<std::pair<std::string, LatKind>> &lat_kinds() const { return lat_kinds_; }
	const std::vector<LatRequest> &top_requests() const { return top_; } // slowest first

	// The bare-metal stale check (a trace without the kernel model): fed every
	// consumed command, stamped with the record whose register write made the
	// SMMU consume it. Owned by the replay driver; null when oracle=off.
	shim_cmdq_oracle *cmdq_oracle = nullptr;
	uint32_t record_line = 0;

	// ---- SmmuObserver ----
	void on_event(unsigned smmu, const smmu_event &ev, bool recorded, uint64_t cycle) override;
	void on_cmd(unsigned smmu, const smmu_cmd_report &rep) override;
	// CMD_SYNCs reported since the host last looked: {arrive, done} in ps.
	std::vector<std::pair<uint64_t, uint64_t>> recent_syncs;
	void on_log(unsigned smmu, int level, const char *msg) override;
	void on_removed(unsigned smmu, const smmu_removed_entry &e, uint64_t cycle) override;
	// The kernel model whose oracle hears of removed entries (provenance of
	// foreign invalidations), or null.
	shim *oracle_kernel = nullptr;

	// ---- readers (for the report) ----
	uint64_t dma_count() const
	{
		uint64_t n = 0;
		for (const auto &h : dma_ps_)
			n += h.count();
		return n;
	}
	uint64_t dma_kind(DmaKind k) const { return dma_kind_[k]; }
	uint64_t dma_writes() const { return dma_writes_; }
	uint64_t dma_bytes() const { return dma_bytes_; }
	// Latency over every DMA, or those satisfied by `hit`.
	Summary dma_latency() const;
	Summary dma_latency(uint8_t hit) const;
	uint64_t dma_hits(uint8_t hit) const;

	struct EventCount {
		uint64_t count = 0, recorded = 0, dropped = 0;
	};
	const std::array<EventCount, 256> &events() const { return events_; }
	uint64_t commands_total() const { return cmds_total_; }
	uint64_t cerrors() const { return cerrors_; }
	// Command latency (done - arrive) per opcode.
	const std::array<LatencyHist, 256> &command_samples() const { return cmd_ps_; }
	// Invalidation latency (arrival to covering SYNC completion) per opcode
	// and over all; invalidations not yet covered by a SYNC.
	const std::array<LatencyHist, 256> &invalidation_samples() const { return inv_ps_; }
	const LatencyHist &invalidation_all() const { return inv_all_ps_; }
	uint64_t invalidations_uncovered() const;
	const std::vector<std::string> &smmu_names() const { return names_; }
	uint64_t log_errors() const { return log_errors_; }

	// Lines the model logged at error/warning level (for stderr).
	std::vector<std::string> take_log();

private:
	struct CmdRec {
		uint8_t op;
		bool inv;
		uint64_t arrive, start, fetch, exec, tcu_done, done;
	};
	std::vector<std::vector<CmdRec>> batch_;          // per SMMU, since its last SYNC
	std::vector<std::vector<SyncBreakdown>> syncs_;   // per SMMU, the last kSyncLog
	static constexpr size_t kSyncLog = 64;
	void sync_done(unsigned smmu, const smmu_cmd_report &rep);
	std::vector<LatRequest> requests_, top_;
	std::vector<std::pair<std::string, LatKind>> lat_kinds_;
	uint64_t req_seq_ = 0;
	std::vector<ClockDomain> clocks_;
	std::vector<std::string> names_;

	// Samples kept apart by what satisfied the DMA: the per-hit split needs
	// no pass over the others, and the overall figures concatenate them.
	std::array<LatencyHist, SMMU_HIT_COUNT> dma_ps_;
	uint64_t dma_kind_[4] = {0, 0, 0, 0};
	uint64_t dma_digest_ = 0xcbf29ce484222325ull;
	void mix_word(uint64_t w)
	{
		uint64_t h = (dma_digest_ ^ w) * 0x100000001b3ull;
		dma_digest_ = h ^ (h >> 32);
	}
	uint64_t dma_writes_ = 0, dma_bytes_ = 0;

	std::array<EventCount, 256> events_{};
	uint64_t cmds_total_ = 0, cerrors_ = 0;
	std::array<LatencyHist, 256> cmd_ps_;
	std::array<LatencyHist, 256> inv_ps_;
	LatencyHist inv_all_ps_;
	struct Pending {
		uint8_t op;
		uint64_t arrive;
	};
	std::vector<std::vector<Pending>> pending_; // per SMMU
	std::vector<std::string> log_;
	uint64_t log_errors_ = 0;
};

} // namespace smmusim

#endif
