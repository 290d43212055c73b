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
	if (run_n_)
		insert(run_v_, run_n_);
	run_v_ = v;
	run_n_ = 1;
}

void LatencyHist::insert(uint64_t v, uint64_t count)
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
	counts_[j] += count;
}

void LatencyHist::pairs(std::vector<std::pair<uint64_t, uint64_t>> &out) const
{
	bool run_in = run_n_ == 0; // the run, added to its value's count
	for (size_t i = 0; i < cap_; i++) {
		if (!counts_[i])
			continue;
		uint64_t c = counts_[i];
		if (!run_in && keys_[i] == run_v_) {
			c += run_n_;
			run_in = true;
		}
		out.emplace_back(keys_[i], c);
	}
	if (!run_in)
		out.emplace_back(run_v_, run_n_);
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
	s.p90 = at_rank(90);
	s.p99 = at_rank(99);
	unsigned __int128 sum = 0;
	for (const auto &p : pairs)
		sum += (unsigned __int128)p.first * p.second;
	s.mean = (uint64_t)(sum / s.count);
	return s;
}

RunStats::RunStats(std::vector<ClockDomain> clocks, std::vector<std::string> smmu_names)
	: batch_(clocks.size()), syncs_(clocks.size()), clocks_(std::move(clocks)),
	  names_(std::move(smmu_names)), pending_(clocks_.size())
{
}

const char *const kLatPartNames[kParts] = {"host", "cmdq",      "fetch", "inval",
					   "tbu",  "atc",       "sync_wait", "queue"};

const SyncBreakdown *RunStats::find_sync(unsigned smmu, uint32_t index) const
{
	if (smmu >= syncs_.size())
		return nullptr;
	const auto &v = syncs_[smmu];
	for (size_t i = v.size(); i-- > 0;)
		if (v[i].index == index)
			return &v[i];
	return nullptr;
}

void RunStats::add_request(LatRequest r)
{
	r.seq = req_seq_++;
	r.total_ps = r.parts.total();
	auto it = std::find_if(lat_kinds_.begin(), lat_kinds_.end(),
			       [&](const std::pair<std::string, LatKind> &k) { return k.first == r.kind; });
	if (it == lat_kinds_.end()) {
		lat_kinds_.emplace_back(r.kind, LatKind());
		it = lat_kinds_.end() - 1;
	}
	LatKind &k = it->second;
	k.count++;
	k.total.add(r.total_ps);
	for (int i = 0; i < kParts; i++)
		k.sum.ps[i] += r.parts.ps[i];
	// The slowest, slowest first (ties: the earlier request first).
	if (top_.size() < kTopRequests || r.total_ps > top_.back().total_ps) {
		auto pos = std::upper_bound(top_.begin(), top_.end(), r.total_ps,
					    [](uint64_t t, const LatRequest &x) { return t > x.total_ps; });
		top_.insert(pos, r);
		if (top_.size() > kTopRequests)
			top_.pop_back();
	}
	if (requests_.size() < kMaxRequests)
		requests_.push_back(std::move(r));
}

// The critical path of one CMD_SYNC (docs/timing.md): the command processor
// runs the batch's commands one after another (fetch reads, decode); each
// invalidation then completes on its own (the TCU's pass over its structures,
// the TBUs' messages); the SYNC completes when the processor reaches it and
// the last invalidation is done, plus its own work (and MSI write). The path
// runs from the first command's arrival through the processor up to the
// invalidation that finished last (or up to the SYNC itself when the
// processor finished last), then that invalidation's own work, then the
// SYNC's. Gaps: before the first command, the processor was busy with
// earlier work (queue); between later commands it waited for the host to
// publish them (host).
void RunStats::sync_done(unsigned smmu, const smmu_cmd_report &rep)
{
	std::vector<CmdRec> &b = batch_[smmu];
	CmdRec s{rep.op, false, rep.arrive, rep.start, rep.fetch, rep.exec, rep.exec, rep.done};
	uint64_t P = 0;
	size_t crit = b.size();
	bool inv = false;
	for (size_t i = 0; i < b.size(); i++) {
		inv |= b[i].inv;
		if (b[i].done >= P && b[i].done > b[i].exec) {
			P = b[i].done;
			crit = i;
		}
	}
	size_t end = (crit < b.size() && P > s.exec) ? crit : b.size(); // b.size(): the SYNC
	uint64_t A = b.empty() ? s.arrive : b[0].arrive;
	uint64_t cyc[kParts] = {};
	auto sub = [](uint64_t a, uint64_t b2) { return a > b2 ? a - b2 : 0; };
	uint64_t prev = A;
	for (size_t i = 0; i <= end; i++) {
		const CmdRec &c = i < b.size() ? b[i] : s;
		uint64_t seg = sub(c.start, c.fetch);
		cyc[i == 0 ? kPartQueue : kPartHost] += sub(seg, prev);
		cyc[kPartFetch] += c.fetch;
		cyc[kPartCmdq] += sub(c.exec, c.start);
		prev = c.exec > prev ? c.exec : prev;
	}
	if (end < b.size()) {
		const CmdRec &c = b[end];
		if (c.op == SMMU_CMD_ATC_INV) {
			cyc[kPartAtc] += sub(c.done, c.exec);
		} else {
			cyc[kPartInval] += sub(c.tcu_done, c.exec);
			cyc[kPartTbu] += sub(c.done, c.tcu_done);
		}
		cyc[kPartSyncWait] += sub(s.done, c.done);
	} else {
		cyc[kPartSyncWait] += sub(s.done, s.exec);
	}
	const ClockDomain &clk = clocks_[smmu];
	SyncBreakdown sb;
	sb.index = rep.index;
	sb.arrive_ps = clk.start_ps(A);
	sb.cmds = (uint32_t)b.size() + 1;
	sb.invalidates = inv;
	for (int i = 0; i < kParts; i++)
		sb.parts.ps[i] = clk.start_ps(cyc[i]);
	sb.done_ps = sb.arrive_ps + sb.parts.total();
	b.clear();
	std::vector<SyncBreakdown> &log = syncs_[smmu];
	if (log.size() == kSyncLog)
		log.erase(log.begin());
	log.push_back(sb);
	if (!kernel_mode && inv) {
		LatRequest r;
		r.kind = "cmdq_batch";
		r.who = names_[smmu];
		r.line = record_line;
		r.start_ps = sb.arrive_ps;
		r.cmds = sb.cmds;
		r.parts = sb.parts;
		add_request(std::move(r));
	}
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

void RunStats::on_event(unsigned smmu, const smmu_event &ev, bool recorded, uint64_t cycle)
{
	if (timeline)
		timeline->smmu_event(smmu, ev, recorded, clocks_[smmu].start_ps(cycle));
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
	if (timeline)
		timeline->command(smmu, rep, clk.start_ps(rep.start > rep.fetch ? rep.start - rep.fetch : 0),
				  clk.start_ps(rep.exec), clk.start_ps(rep.done));
	if (rep.op == SMMU_CMD_SYNC)
		sync_done(smmu, rep);
	else
		batch_[smmu].push_back(CmdRec{rep.op, rep.invalidation, rep.arrive, rep.start,
					      rep.fetch, rep.exec, rep.tcu_done, rep.done});
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

void RunStats::on_removed(unsigned smmu, const smmu_removed_entry &e, uint64_t)
{
	if (!oracle_kernel)
		return;
	shim_removed_entry r{};
	r.smmu = smmu;
	r.structure = smmu_hit_name((smmu_hit)e.structure);
	r.tbu = e.tbu;
	r.world = e.world;
	r.vmid = e.vmid;
	r.asid = e.asid;
	r.base = e.base;
	r.size = e.size;
	r.out = e.out;
	r.sid = e.sid;
	r.origin = e.walk_origin;
	shim_oracle_removed(oracle_kernel, &r);
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
