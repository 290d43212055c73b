// compare.h - `smmusim compare A.json B.json [--html OUT] [--json OUT]
// [--max-regress KEY=LIMIT ...]`: what changed between two replay reports.
// Latency percentiles per kind of invalidating request (p50, p90, p99, max,
// mean; B/A ratios), violations added and removed (matched by kind, owners,
// device and page, not by line), cache hits and commands per SMMU and per
// opcode, DMA counts. Thresholds: `p99=10%` (any kind whose B exceeds A by
// more), `violations=0` (more added violations than that). Exit status: 0,
// 5 when a threshold is exceeded, 1 for usage, I/O or a malformed report
// (FILE:LINE:COL).
#ifndef SMMUSIM_COMPARE_H
#define SMMUSIM_COMPARE_H

#include <ostream>
#include <string>
#include <vector>

namespace smmusim
{

constexpr int kExitRegressed = 5;

int run_compare(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);

} // namespace smmusim

#endif
