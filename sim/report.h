// report.h - the replay report: one list of named values built from the
// statistics, printed as JSON (nested by name: `dma.latency_ns.p99` is
// {"dma": {"latency_ns": {"p99": ...}}}), looked up by `expect stat NAME`,
// and summarised as text for humans.
//
// Determinism: keys come in a fixed order (the order they are built in, with
// opcodes and events in numeric order), numbers are integers or decimals
// printed from integers (no floating point), and nothing depends on the host
// (no host time, no pointers, no paths). The same trace and configuration
// give the same bytes.
#ifndef SMMUSIM_SIM_REPORT_H
#define SMMUSIM_SIM_REPORT_H

#include <cstdint>
#include <string>
#include <vector>

#include "stats.h"

namespace smmusim {

class SmmuModule;

struct ReportEntry {
	enum Kind { kNumber, kString, kArray, kRaw };
	std::vector<std::string> path;
	Kind kind = kNumber;
	uint64_t milli = 0; // number x 1000 (a time in ns is its picoseconds)
	bool time = false;  // a latency or time in ns
	std::string text;   // kString; kRaw: JSON text written as is
};

// How the run ended.
struct RunOutcome {
	int exit_status = 0;
	std::string status; // ok, assertion-failed, malformed, unsupported, error
};

std::vector<ReportEntry> build_report(const RunStats &stats,
				      const std::vector<const SmmuModule *> &smmus,
				      const RunOutcome &outcome);

std::string report_json(const std::vector<ReportEntry> &entries);
std::string report_text(const std::vector<ReportEntry> &entries, const RunStats &stats,
			const std::string &trace);

// The value of statistic `name` (dotted path). Statistics that exist for
// every known event or opcode name but did not occur read as 0. False if no
// such statistic exists.
bool report_lookup(const std::vector<ReportEntry> &entries, const std::string &name,
		   uint64_t &milli, bool &time);

// Decimal text of a value x 1000 ("101", "101.25").
std::string milli_text(uint64_t milli);

} // namespace smmusim

#endif
