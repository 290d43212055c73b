// sweep.h - smmusim sweep: many trace x configuration jobs, run locally or
// handed to an existing engine (GNU parallel, a Slurm job array), and their
// reports collected into one table.
//
//   smmusim sweep PLAN [-j N] [--out DIR] [--emit parallel|slurm]
//   smmusim sweep --collect DIR
//
// PLAN is JSON:
//   {"traces": ["a.trace", ...],              paths relative to the plan
//    "grid": {"KEY": [V, ...], ...},           every combination (cartesian)
//    "sets": [{"KEY": V, ...}, ...],           and/or these combinations
//    "metrics": ["sim_time_ns", "dma.latency_ns.p99", ...]}  report paths
// or the same in TOML (toml.h; a name ending in .toml, or a file that does
// not start with `{`): traces = [...], [grid] KEY = [...], [[sets]]
// KEY = V, metrics = [...]. In grid and sets a nested table names its keys
// with dots: TOML's `policy.vmid = [...]` is the parameter policy.vmid.
// Jobs are traces x combinations, numbered in that order; job K runs
//   smmusim replay TRACE --quiet --json DIR/job-K.json --set KEY=V ...
// and writes its exit status to DIR/job-K.status. DIR/jobs.txt holds one
// shell command per job (the same for every engine), DIR/plan.json the plan
// as run. -j N runs them as N local processes (a progress line on a
// terminal), then collects; --emit parallel / slurm writes the job file and
// a script for `parallel` / `sbatch --array` and runs nothing. --collect
// writes DIR/results.csv and DIR/results.json: one row per job (job, trace,
// every key, exit status, every metric); a job without a report is listed
// on stderr and makes the exit status 1.
#ifndef SMMUSIM_SWEEP_H
#define SMMUSIM_SWEEP_H

#include <ostream>
#include <string>
#include <vector>

namespace smmusim {

int run_sweep(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);

} // namespace smmusim

#endif
