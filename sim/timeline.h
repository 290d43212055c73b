// timeline.h - the replay as a timeline (`smmusim replay --perfetto OUT`):
// Chrome trace-event JSON (the "JSON Array/Object Format" that
// ui.perfetto.dev and chrome://tracing open).
//
// Tracks: one process per VMM process (a thread for its system calls, one
// per vCPU), one per SMMU (the command processor with every command and
// CMD_SYNC, the invalidations in flight as async slices, the events), one
// for the devices (a thread per device: its DMAs, coloured by what served
// them). Violations are global instant events carrying their provenance.
// Flow arrows run from each system call to every command it issued.
//
// Events are kept compact while the replay runs and rendered once at the
// end, sorted by time (ties: the longer slice first, so slices nest), so
// every track's timestamps are monotonic. Timestamps are microseconds with
// picosecond decimals, printed from integers: byte-identical runs.
#ifndef SMMUSIM_SIM_TIMELINE_H
#define SMMUSIM_SIM_TIMELINE_H

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "smmu/smmu.h"

namespace smmusim {

class Timeline {
public:
	explicit Timeline(std::vector<std::string> smmu_names, std::vector<std::string> device_names);

	// A system call of `proc` [start, end) ps; args is a JSON object body
	// ("\"line\": 3, ..."). The commands reported since begin_call() get
	// flow arrows from it.
	void begin_call() { call_flows_.clear(); in_call_ = true; }
	void syscall(const std::string &proc, const std::string &name, uint64_t start_ps,
		     uint64_t end_ps, std::string args);
	// A command the SMMU consumed (cycle times converted by the caller).
	void command(unsigned smmu, const smmu_cmd_report &rep, uint64_t fetch_start_ps,
		     uint64_t exec_ps, uint64_t done_ps);
	void smmu_event(unsigned smmu, const struct smmu_event &ev, bool recorded, uint64_t ps);
	// A DMA of device `dev` [start, end) ps.
	void dma(unsigned dev, uint64_t start_ps, uint64_t end_ps, uint8_t hit, uint8_t outcome,
		 uint8_t event, uint64_t addr, uint64_t pa, bool write);
	// vCPU `vcpu` of the VM behind `vmfd` of `proc` loaded / put on `cpu`.
	void vcpu(const std::string &proc, int vmfd, unsigned vcpu, unsigned cpu, bool load,
		  uint64_t ps);
	void cpu_tlbi(const std::string &proc, const std::string &op, uint64_t ps, std::string args);
	// A violation found at `ps` (name "violation: KIND"), provenance as args.
	void violation(const std::string &kind, uint64_t ps, std::string args);

	// Close what is still open (vCPUs still loaded) at `end_ps` and write
	// the file. False and `err` on an I/O error.
	bool write(const std::string &path, uint64_t end_ps, std::string &err);
	uint64_t events() const { return ev_.size(); }

private:
	struct Ev {
		char ph;          // X, i, b, e, s, f
		uint8_t kind;     // kGeneric, kDma
		uint8_t hit, outcome, event, write;
		uint32_t track;   // index into tracks_
		uint32_t name;    // index into names_
		uint32_t args;    // index into args_ (UINT32_MAX: none)
		uint64_t ts, dur; // ps
		uint64_t id;      // async / flow id
		uint64_t a, b;    // DMA addr, pa
	};
	enum { kGeneric = 0, kDma = 1 };
	struct Track {
		uint32_t pid, tid;
	};
	uint32_t track(uint32_t pid, uint32_t tid);
	uint32_t name(const std::string &n);
	uint32_t args(std::string a);
	uint32_t proc_pid(const std::string &proc);
	void push(Ev e) { ev_.push_back(e); }

	std::vector<std::string> smmus_, devices_;
	std::vector<Ev> ev_;
	std::vector<Track> tracks_;
	std::map<std::pair<uint32_t, uint32_t>, uint32_t> track_index_;
	std::vector<std::string> names_, args_;
	std::map<std::string, uint32_t> name_index_;
	std::map<std::string, uint32_t> procs_; // process -> pid
	std::map<uint32_t, std::string> pid_names_;
	std::map<std::pair<uint32_t, uint32_t>, std::string> tid_names_;
	std::map<std::string, uint32_t> vcpu_tids_;      // "vmfd/vcpu" per process pid
	std::map<std::string, std::pair<uint64_t, unsigned>> vcpu_open_; // load time, cpu
	std::vector<uint64_t> call_flows_;
	bool in_call_ = false;
	uint64_t next_id_ = 1;
};

} // namespace smmusim

#endif
