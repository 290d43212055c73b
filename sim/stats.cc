// stats.cc - see stats.h.
#include "stats.h"

#include <algorithm>

namespace smmusim {

Summary summarize(std::vector<uint64_t> &v)
{
	Summary s;
	s.count = v.size();
	if (v.empty())
		return s;
	// Nearest rank: the p-th percentile is the smallest sample with at
	// least p% of the samples at or below it, rank ceil(p/100 * N).
	auto rank = [&](unsigned p) {
		uint64_t r = (p * s.count + 99) / 100;
		return (size_t)(r ? r - 1 : 0);
	};
	auto at = [&](size_t k) {
		std::nth_element(v.begin(), v.begin() + (ptrdiff_t)k, v.end());
		return v[k];
	};
	s.min = *std::min_element(v.begin(), v.end());
	s.max = *std::max_element(v.begin(), v.end());
	s.p99 = at(rank(99));
	s.p50 = at(rank(50));
	return s;
}

RunStats::RunStats(std::vector<ClockDomain> clocks, std::vector<std::string> smmu_names)
	: clocks_(std::move(clocks)), names_(std::move(smmu_names)), pending_(clocks_.size())
{
}

Summary RunStats::dma_latency() const
{
	std::vector<uint64_t> v(dma_ps_);
	return summarize(v);
}

Summary RunStats::dma_latency(uint8_t hit) const
{
	std::vector<uint64_t> v;
	for (size_t i = 0; i < dma_ps_.size(); i++)
		if (dma_hit_[i] == hit)
			v.push_back(dma_ps_[i]);
	return summarize(v);
}

uint64_t RunStats::dma_hits(uint8_t hit) const
{
	return (uint64_t)std::count(dma_hit_.begin(), dma_hit_.end(), hit);
}

void RunStats::on_event(unsigned, const smmu_event &ev, bool recorded, uint64_t)
{
	EventCount &e = events_[ev.id];
	e.count++;
	if (recorded)
		e.recorded++;
	else
		e.dropped++;
}

void RunStats::on_cmd(unsigned smmu, const smmu_cmd_report &rep)
{
	const ClockDomain &clk = clocks_[smmu];
	cmds_total_++;
	uint64_t lat = rep.done >= rep.arrive ? rep.done - rep.arrive : 0;
	cmd_ps_[rep.op].push_back(clk.start_ps(lat));
	if (rep.cerror) {
		// The command stopped the queue and did nothing: nothing to cover.
		cerrors_++;
		return;
	}
	std::vector<Pending> &pend = pending_[smmu];
	if (rep.invalidation) {
		pend.push_back(Pending{rep.op, rep.arrive});
	} else if (rep.op == SMMU_CMD_SYNC) {
		// A CMD_SYNC completes after every command consumed before it: it
		// covers every invalidation still pending on this SMMU.
		for (const Pending &p : pend) {
			uint64_t ps = clk.start_ps(rep.done >= p.arrive ? rep.done - p.arrive : 0);
			inv_ps_[p.op].push_back(ps);
			inv_all_ps_.push_back(ps);
		}
		pend.clear();
	}
}

uint64_t RunStats::invalidations_uncovered() const
{
	uint64_t n = 0;
	for (const auto &p : pending_)
		n += p.size();
	return n;
}

void RunStats::on_log(unsigned smmu, int level, const char *msg)
{
	if (level > 1)
		return;
	if (level == 0)
		log_errors_++;
	log_.push_back(names_[smmu] + ": " + (level == 0 ? "error: " : "warning: ") + msg);
}

std::vector<std::string> RunStats::take_log()
{
	std::vector<std::string> out;
	out.swap(log_);
	return out;
}

} // namespace smmusim
