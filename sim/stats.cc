// stats.cc - see stats.h.
#include "stats.h"

#include <algorithm>

namespace smmusim {

void LatencyHist::grow()
{
	std::vector<uint64_t> keys, counts;
	keys.swap(keys_);
	counts.swap(counts_);
	cap_ = cap_ ? 2 * cap_ : 16;
	keys_.assign(cap_, 0);
	counts_.assign(cap_, 0);
	used_ = 0;
	for (size_t i = 0; i < keys.size(); i++) {
		if (!counts[i])
			continue;
		size_t j = (size_t)((keys[i] * 0x9e3779b97f4a7c15ull) >> 20) & (cap_ - 1);
		while (counts_[j])
			j = (j + 1) & (cap_ - 1);
		keys_[j] = keys[i];
		counts_[j] = counts[i];
		used_++;
	}
}

void LatencyHist::add_slow(uint64_t v)
{
	if (2 * (used_ + 1) > cap_)
		grow();
	size_t j = (size_t)((v * 0x9e3779b97f4a7c15ull) >> 20) & (cap_ - 1);
	while (counts_[j] && keys_[j] != v)
		j = (j + 1) & (cap_ - 1);
	if (!counts_[j]) {
		keys_[j] = v;
		used_++;
	}
	counts_[j]++;
	last_ = j;
}

void LatencyHist::pairs(std::vector<std::pair<uint64_t, uint64_t>> &out) const
{
	for (size_t i = 0; i < cap_; i++)
		if (counts_[i])
			out.emplace_back(keys_[i], counts_[i]);
}

Summary LatencyHist::summary() const
{
	std::vector<std::pair<uint64_t, uint64_t>> p;
	pairs(p);
	return summarize(p);
}

Summary summarize(std::vector<std::pair<uint64_t, uint64_t>> &pairs)
{
	Summary s;
	std::sort(pairs.begin(), pairs.end());
	for (const auto &p : pairs)
		s.count += p.second;
	if (!s.count)
		return s;
	s.min = pairs.front().first;
	s.max = pairs.back().first;
	// Nearest rank: the p-th percentile is the smallest sample with at
	// least p% of the samples at or below it, rank ceil(p/100 * N).
	auto at_rank = [&](unsigned pct) {
		uint64_t rank = (pct * s.count + 99) / 100;
		if (!rank)
			rank = 1;
		uint64_t cum = 0;
		for (const auto &p : pairs) {
			cum += p.second;
			if (cum >= rank)
				return p.first;
		}
		return pairs.back().first;
	};
	s.p50 = at_rank(50);
	s.p99 = at_rank(99);
	return s;
}

RunStats::RunStats(std::vector<ClockDomain> clocks, std::vector<std::string> smmu_names)
	: clocks_(std::move(clocks)), names_(std::move(smmu_names)), pending_(clocks_.size())
{
}

Summary RunStats::dma_latency() const
{
	std::vector<std::pair<uint64_t, uint64_t>> p;
	for (const auto &h : dma_ps_)
		h.pairs(p);
	return summarize(p);
}

Summary RunStats::dma_latency(uint8_t hit) const
{
	return hit < SMMU_HIT_COUNT ? dma_ps_[hit].summary() : Summary();
}

uint64_t RunStats::dma_hits(uint8_t hit) const
{
	return hit < SMMU_HIT_COUNT ? dma_ps_[hit].count() : 0;
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
	cmd_ps_[rep.op].add(clk.start_ps(lat));
	if (cmdq_oracle)
		shim_cmdq_oracle_cmd(cmdq_oracle, smmu, rep.cmd, rep.start, rep.done, rep.cerror != 0,
				     record_line);
	if (rep.cerror) {
		// The command stopped the queue and did nothing: nothing to cover.
		cerrors_++;
		return;
	}
	std::vector<Pending> &pend = pending_[smmu];
	if (rep.invalidation) {
		pend.push_back(Pending{rep.op, rep.arrive});
	} else if (rep.op == SMMU_CMD_SYNC) {
		if (recent_syncs.size() < 4096)
			recent_syncs.emplace_back(clk.start_ps(rep.arrive), clk.start_ps(rep.done));
		// A CMD_SYNC completes after every command consumed before it: it
		// covers every invalidation still pending on this SMMU.
		for (const Pending &p : pend) {
			uint64_t ps = clk.start_ps(rep.done >= p.arrive ? rep.done - p.arrive : 0);
			inv_ps_[p.op].add(ps);
			inv_all_ps_.add(ps);
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
