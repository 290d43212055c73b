// replay.h - `smmusim replay` and `smmusim check`: read a trace's header into
// a PlatformSpec, build the platform, run the world records in order in one
// SystemC thread, and report.
//
// Lifecycle (one per process: SystemC cannot be restarted, STYLE.md 10):
//   Replay r(opts);
//   r.prepare(err)   - open the trace, read the header, resolve parameters
//   r.elaborate()    - build the platform and the driver module
//   sc_core::sc_start();
//   r.finish(out, err) - print the text report, write --json, exit status
// run_replay() does all four. Records run in order; a record without a
// stamp starts when the previous one completed, `@T` waits until T. DMAs
// never wait(): the driver's quantum keeper accumulates their latency and
// synchronises once per quantum. Host CPU records (mmio, mem, cpu)
// synchronise first, so that interrupts and MSIs due by then have happened.
#ifndef SMMUSIM_SIM_REPLAY_H
#define SMMUSIM_SIM_REPLAY_H

#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "ops.h"
#include "platform.h"
#include "report.h"
#include "stats.h"
#include "trc/trace.h"

namespace smmusim {

struct ReplayOptions {
	std::string trace;
	std::vector<std::pair<std::string, std::string>> sets; // --set KEY=VALUE, in order
	std::string json_out;                                    // "" none, "-" stdout
	bool text = true;                                        // print the text report
	std::string perfetto_out;                                // --perfetto OUT ("" none)
	std::string html_out;                                    // --html OUT ("" none)
	bool progress = true; // a progress line when stderr is a terminal (--no-progress: never)
	// The process ends right after the replay (the smmusim program): the
	// platform and its driver are left in place rather than torn down, once
	// everything is written (see ~Replay).
	bool exit_after = false;
};

class ReplayDriver;

class Replay {
public:
	explicit Replay(ReplayOptions opt);
	~Replay();

	bool prepare(SimError &err);
	void elaborate();
	int finish(std::ostream &out, std::ostream &err);

	// `smmusim check`: after prepare(), decode every remaining record and
	// check it as the replay does before running it (RecordRules in
	// replay.cc), without running anything. Returns the exit status.
	int check_rest(std::ostream &out, std::ostream &err);

	const PlatformSpec &spec() const { return spec_; }
	Platform *platform() { return platform_.get(); }
	RunStats *stats() { return stats_.get(); }
	const RunOutcome &outcome() const { return outcome_; }
	// The report as it stands (after sc_start).
	std::vector<ReportEntry> report() const;

private:
	bool read_header(SimError &err);

	ReplayOptions opt_;
	trc_reader *reader_ = nullptr;
	const trc_record *first_ = nullptr; // the first world record, or null
	int first_rc_ = TRC_EOF;
	uint64_t header_records_ = 0;
	PlatformSpec spec_;
	std::unique_ptr<Decoder> decoder_;
	std::unique_ptr<RunStats> stats_;
	std::unique_ptr<Platform> platform_;
	std::unique_ptr<OpSource> source_;
	std::unique_ptr<ReplayDriver> driver_;
	std::unique_ptr<Timeline> timeline_;
	RunOutcome outcome_;
	SimError error_;
};

// prepare + elaborate + sc_start + finish. Returns the exit status.
int run_replay(const ReplayOptions &opt, std::ostream &out, std::ostream &err);
int run_check(const ReplayOptions &opt, std::ostream &out, std::ostream &err);

} // namespace smmusim

#endif
