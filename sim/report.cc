// report.cc - see report.h.
#include "report.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "smmu/smmu_defs.h"
#include "kernel.h"
#include "smmu_module.h"

namespace smmusim {
namespace {

class Builder {
public:
	explicit Builder(std::vector<ReportEntry> &out) : out_(out) {}

	void num(std::vector<std::string> path, uint64_t v)
	{
		ReportEntry e;
		e.path = std::move(path);
		e.milli = v * 1000;
		out_.push_back(std::move(e));
	}
	void time_ps(std::vector<std::string> path, uint64_t ps)
	{
		ReportEntry e;
		e.path = std::move(path);
		e.milli = ps;
		e.time = true;
		out_.push_back(std::move(e));
	}
	void str(std::vector<std::string> path, std::string s)
	{
		ReportEntry e;
		e.path = std::move(path);
		e.kind = ReportEntry::kString;
		e.text = std::move(s);
		out_.push_back(std::move(e));
	}
	void raw(std::vector<std::string> path, std::string json)
	{
		ReportEntry e;
		e.path = std::move(path);
		e.kind = ReportEntry::kRaw;
		e.text = std::move(json);
		out_.push_back(std::move(e));
	}
	void empty_array(std::vector<std::string> path)
	{
		ReportEntry e;
		e.path = std::move(path);
		e.kind = ReportEntry::kArray;
		out_.push_back(std::move(e));
	}
	// count + latency_ns.{min,p50,p99,max}
	void summary(const std::vector<std::string> &base, const Summary &s, bool with_count = true)
	{
		auto p = [&](const char *a, const char *b) {
			std::vector<std::string> v = base;
			v.push_back(a);
			if (b)
				v.push_back(b);
			return v;
		};
		if (with_count)
			num(p("count", nullptr), s.count);
		time_ps(p("latency_ns", "min"), s.min);
		time_ps(p("latency_ns", "p50"), s.p50);
		time_ps(p("latency_ns", "p99"), s.p99);
		time_ps(p("latency_ns", "max"), s.max);
	}

private:
	std::vector<ReportEntry> &out_;
};

const char *kHitOrder[] = {"utlb", "mtlb", "tlb", "walk_cache", "walk", "atc", "bypass", "none"};

int hit_by_name(const char *n)
{
	for (int h = 0; h < SMMU_HIT_COUNT; h++)
		if (std::strcmp(smmu_hit_name((smmu_hit)h), n) == 0)
			return h;
	return -1;
}

std::string join(const std::vector<std::string> &path)
{
	std::string s;
	for (size_t i = 0; i < path.size(); i++) {
		if (i)
			s += '.';
		s += path[i];
	}
	return s;
}

void json_string(std::string &out, const std::string &s)
{
	out += '"';
	for (unsigned char c : s) {
		if (c == '"' || c == '\\') {
			out += '\\';
			out += (char)c;
		} else if (c < 0x20) {
			char b[8];
			snprintf(b, sizeof(b), "\\u%04x", c);
			out += b;
		} else {
			out += (char)c;
		}
	}
	out += '"';
}

} // namespace

std::string milli_text(uint64_t milli)
{
	std::string s = std::to_string(milli / 1000);
	unsigned frac = (unsigned)(milli % 1000);
	if (frac) {
		char b[8];
		snprintf(b, sizeof(b), ".%03u", frac);
		std::string f(b);
		while (f.back() == '0')
			f.pop_back();
		s += f;
	}
	return s;
}

static std::string hex_text(uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "0x%llx", (unsigned long long)v);
	return b;
}

// A time in ns as JSON (ps / 1000, up to three decimals).
static std::string ns_json(uint64_t ps)
{
	return milli_text(ps);
}

// Histogram buckets with edges 2^(k/4) ns, non-empty ones ascending, as
// [[lo_ns, hi_ns, count], ...]. The bucket of v ns is k = floor(log2(v^4)),
// found in integers (so every machine agrees); the edges are
// 2^(k div 4) x {1, 2^0.25, 2^0.5, 2^0.75} rounded to 1/1000 ns.
static std::string latency_hist_json(const std::vector<std::pair<uint64_t, uint64_t>> &sorted_ps)
{
	static const uint64_t frac[4] = {1000, 1189, 1414, 1682};
	auto edge = [](unsigned k) { return ((uint64_t)1 << (k / 4)) * frac[k % 4]; };
	std::vector<std::pair<unsigned, uint64_t>> buckets;
	for (const auto &p : sorted_ps) {
		uint64_t ns = p.first / 1000;
		if (ns > 1000000000000ull)
			ns = 1000000000000ull; // 1000 s: v^4 stays inside 128 bits
		unsigned k = 0;
		if (ns) {
			unsigned __int128 v4 = (unsigned __int128)ns * ns;
			v4 *= v4;
			while (v4 >>= 1)
				k++;
		}
		if (!buckets.empty() && buckets.back().first == k)
			buckets.back().second += p.second;
		else
			buckets.emplace_back(k, p.second);
	}
	std::string j = "[";
	for (size_t i = 0; i < buckets.size(); i++) {
		unsigned k = buckets[i].first;
		uint64_t lo = k ? edge(k) : 0;
		j += (i ? ", [" : "[") + milli_text(lo) + ", " + milli_text(edge(k + 1)) + ", " +
		     std::to_string(buckets[i].second) + "]";
	}
	return j + "]";
}

static std::string request_json(const LatRequest &r)
{
	std::string j = "{\"seq\": " + std::to_string(r.seq) + ", \"kind\": ";
	json_string(j, r.kind);
	j += ", \"line\": " + std::to_string(r.line) + ", \"who\": ";
	json_string(j, r.who);
	j += ", \"start_ns\": " + ns_json(r.start_ps) + ", \"total_ns\": " + ns_json(r.total_ps) +
	     ", \"cmds\": " + std::to_string(r.cmds) + ", \"parts_ns\": {";
	for (int i = 0; i < kParts; i++)
		j += std::string(i ? ", " : "") + "\"" + kLatPartNames[i] + "\": " + ns_json(r.parts.ps[i]);
	return j + "}}";
}

std::vector<ReportEntry> build_report(const RunStats &st, const std::vector<const SmmuModule *> &smmus,
				      const RunOutcome &outcome)
{
	std::vector<ReportEntry> out;
	Builder b(out);
	b.str({"status"}, outcome.status);
	b.num({"exit_status"}, (uint64_t)outcome.exit_status);
	b.num({"records"}, st.records);
	b.num({"records_late"}, st.late_records);
	b.num({"failures"}, st.failures);
	b.time_ps({"sim_time_ns"}, st.sim_time_ps);
	// on, off, stale-only (bare metal) or "not run".
	b.str({"oracle"}, st.oracle);
	{
		uint64_t unexpected = 0;
		for (const auto &v : st.violations)
			unexpected += !v.expected;
		b.num({"violations_count"}, st.violations.size());
		b.num({"violations_unexpected"}, unexpected);
		std::string a = "[";
		for (size_t i = 0; i < st.violations.size(); i++) {
			const RunStats::Violation &v = st.violations[i];
			a += i ? ",\n    {" : "\n    {";
			a += "\"kind\": ";
			json_string(a, v.kind);
			a += ", \"line\": " + std::to_string(v.line);
			a += ", \"expected\": ";
			a += v.expected ? "true" : "false";
			a += ", \"owner\": ";
			json_string(a, v.owner);
			a += ", \"other\": ";
			json_string(a, v.other);
			a += ", \"smmu\": " + std::to_string(v.smmu) + ", \"vmid\": " + std::to_string(v.vmid);
			if (v.asid <= 0xffff)
				a += ", \"asid\": " + std::to_string(v.asid);
			if (!v.device.empty()) {
				a += ", \"device\": ";
				json_string(a, v.device);
				a += ", \"sid\": " + std::to_string(v.sid) + ", \"ssid\": " + std::to_string(v.ssid);
				if (v.kind == "cross-domain" || v.kind == "stale") {
					a += ", \"addr\": ";
					json_string(a, hex_text(v.addr));
					a += ", \"pa\": ";
					json_string(a, hex_text(v.pa));
				}
				a += ", \"served_by\": ";
				json_string(a, v.hit);
				if (v.origin_line)
					a += ", \"inserted_at_line\": " + std::to_string(v.origin_line);
				if (!v.inserted_for.empty()) {
					a += ", \"inserted_for\": ";
					json_string(a, v.inserted_for);
				}
				if (v.entry_size) {
					a += ", \"entry\": {\"base\": ";
					json_string(a, hex_text(v.entry_base));
					a += ", \"size\": ";
					json_string(a, hex_text(v.entry_size));
					a += ", \"out\": ";
					json_string(a, hex_text(v.entry_out));
					a += "}";
				}
			}
			a += ", \"detail\": ";
			json_string(a, v.detail);
			a += "}";
		}
		a += st.violations.empty() ? "]" : "\n  ]";
		b.raw({"violations"}, a);
	}

	// DMA.
	b.num({"dma", "count"}, st.dma_count());
	b.num({"dma", "ok"}, st.dma_kind(RunStats::kDmaOk));
	b.num({"dma", "faults"}, st.dma_kind(RunStats::kDmaFault));
	b.num({"dma", "aborts"}, st.dma_kind(RunStats::kDmaAbort));
	b.num({"dma", "bus_errors"}, st.dma_kind(RunStats::kDmaBusError));
	b.num({"dma", "reads"}, st.dma_count() - st.dma_writes());
	b.num({"dma", "writes"}, st.dma_writes());
	b.num({"dma", "bytes"}, st.dma_bytes());
	{
		char dg[24];
		snprintf(dg, sizeof dg, "%016llx", (unsigned long long)st.dma_results_digest());
		b.str({"dma", "results_digest"}, dg);
	}
	b.summary({"dma"}, st.dma_latency(), false);
	for (const char *h : kHitOrder)
		b.summary({"dma", "by_hit", h}, st.dma_latency((uint8_t)hit_by_name(h)));

	// Commands, by opcode in numeric order.
	b.num({"commands", "count"}, st.commands_total());
	b.num({"commands", "cerrors"}, st.cerrors());
	for (unsigned op = 0; op < 256; op++) {
		const LatencyHist &h = st.command_samples()[op];
		if (h.empty())
			continue;
		const char *n = smmu_cmd_name(op);
		std::string name = n ? n : "OP_" + std::to_string(op);
		b.summary({"commands", name}, h.summary());
	}

	// Invalidations: from a command's arrival to its covering SYNC.
	{
		b.summary({"invalidations"}, st.invalidation_all().summary());
		b.num({"invalidations", "uncovered"}, st.invalidations_uncovered());
		for (unsigned op = 0; op < 256; op++) {
			const LatencyHist &h = st.invalidation_samples()[op];
			if (h.empty())
				continue;
			const char *n = smmu_cmd_name(op);
			b.summary({"invalidations", "by_op", n ? n : "OP_" + std::to_string(op)},
				  h.summary());
		}
	}

	// Events, by number.
	// The latency breakdown of invalidating requests (docs/sim.md "latency").
	if (st.requests_total()) {
		std::string parts = "[";
		for (int i = 0; i < kParts; i++)
			parts += std::string(i ? ", " : "") + "\"" + kLatPartNames[i] + "\"";
		b.raw({"latency", "parts"}, parts + "]");
		b.num({"latency", "count"}, st.requests_total());
		for (const auto &kv : st.lat_kinds()) {
			const RunStats::LatKind &k = kv.second;
			std::vector<std::pair<uint64_t, uint64_t>> pairs;
			k.total.pairs(pairs);
			Summary sm = summarize(pairs); // sorts pairs
			std::vector<std::string> base = {"latency", "by_kind", kv.first};
			auto at = [&](const char *a, const char *c) {
				std::vector<std::string> v = base;
				v.push_back(a);
				v.push_back(c);
				return v;
			};
			b.num({"latency", "by_kind", kv.first, "count"}, k.count);
			b.time_ps(at("total_ns", "min"), sm.min);
			b.time_ps(at("total_ns", "p50"), sm.p50);
			b.time_ps(at("total_ns", "p90"), sm.p90);
			b.time_ps(at("total_ns", "p99"), sm.p99);
			b.time_ps(at("total_ns", "max"), sm.max);
			b.time_ps(at("total_ns", "mean"), sm.mean);
			for (int i = 0; i < kParts; i++)
				b.time_ps(at("parts_ns", kLatPartNames[i]), k.count ? k.sum.ps[i] / k.count : 0);
			b.raw({"latency", "by_kind", kv.first, "hist"}, latency_hist_json(pairs));
		}
		std::string req = "[";
		for (size_t i = 0; i < st.requests().size(); i++)
			req += (i ? ",\n    " : "\n    ") + request_json(st.requests()[i]);
		b.raw({"latency", "requests"}, req + (st.requests().empty() ? "]" : "\n  ]"));
		b.num({"latency", "requests_dropped"}, st.requests_total() - st.requests().size());
		std::string top = "[";
		for (size_t i = 0; i < st.top_requests().size(); i++)
			top += (i ? ", " : "") + std::to_string(st.top_requests()[i].seq);
		b.raw({"latency", "top"}, top + "]");
	}

	{
		uint64_t c = 0, r = 0, d = 0;
		for (const auto &e : st.events()) {
			c += e.count;
			r += e.recorded;
			d += e.dropped;
		}
		b.num({"events", "count"}, c);
		b.num({"events", "recorded"}, r);
		b.num({"events", "dropped"}, d);
		for (unsigned id = 0; id < 256; id++) {
			const auto &e = st.events()[id];
			if (!e.count)
				continue;
			const char *n = smmu_event_name(id);
			std::string name = n ? n : "EVENT_" + std::to_string(id);
			b.num({"events", name, "count"}, e.count);
			b.num({"events", name, "recorded"}, e.recorded);
			b.num({"events", name, "dropped"}, e.dropped);
		}
	}

	// The kernel model: per request (count, errors, latency), then every
	// ioctl in trace order.
	if (!st.ioctls.empty()) {
		std::vector<std::string> names;
		for (const IoctlRecord &r : st.ioctls)
			if (std::find(names.begin(), names.end(), r.request) == names.end())
				names.push_back(r.request);
		std::sort(names.begin(), names.end());
		b.num({"ioctl", "count"}, st.ioctls.size());
		uint64_t errs = 0;
		for (const IoctlRecord &r : st.ioctls)
			errs += r.err != 0;
		b.num({"ioctl", "errors"}, errs);
		for (const std::string &n : names) {
			LatencyHist h;
			uint64_t e = 0, cmds = 0, syncs = 0, breaking = 0, stes = 0;
			for (const IoctlRecord &r : st.ioctls)
				if (r.request == n) {
					h.add(r.sim_ps);
					e += r.err != 0;
					cmds += r.ncmds;
					syncs += r.syncs;
					breaking += r.ste_breaking;
					stes += r.ste_writes;
				}
			b.summary({"ioctl", n}, h.summary());
			b.num({"ioctl", n, "errors"}, e);
			b.num({"ioctl", n, "commands"}, cmds);
			b.num({"ioctl", n, "syncs"}, syncs);
			b.num({"ioctl", n, "ste_breaking"}, breaking);
			b.num({"ioctl", n, "ste_writes"}, stes);
		}
		std::string a = "[";
		for (size_t i = 0; i < st.ioctls.size(); i++) {
			const IoctlRecord &r = st.ioctls[i];
			a += i ? ",\n    {" : "\n    {";
			a += "\"line\": " + std::to_string(r.line) + ", \"request\": ";
			json_string(a, r.request);
			const char *en = r.err ? errno_name(r.err) : nullptr;
			a += ", \"errno\": " + std::to_string(r.err);
			if (r.err) {
				a += ", \"errno_name\": ";
				json_string(a, en ? en : "?");
			}
			a += ", \"sim_ns\": " + milli_text(r.sim_ps) + ", \"commands\": [";
			for (size_t j = 0; j < r.cmds.size(); j++) {
				const char *cn = smmu_cmd_name(r.cmds[j]);
				if (j)
					a += ", ";
				json_string(a, cn ? cn : "OP_" + std::to_string(r.cmds[j]));
			}
			a += "]";
			if (r.ncmds > r.cmds.size())
				a += ", \"commands_total\": " + std::to_string(r.ncmds);
			a += ", \"syncs\": " + std::to_string(r.syncs) +
			     ", \"ste_writes\": " + std::to_string(r.ste_writes) +
			     ", \"ste_hitless\": " + std::to_string(r.ste_hitless) + ", \"ste_breaking\": ";
			a += r.ste_breaking ? "true" : "false";
			a += "}";
		}
		a += "\n  ]";
		b.raw({"ioctls"}, a);
	}

	// The host DMA API: counters, the IOVA allocator, the flush queues and
	// what the calls cost (time in ns of simulated kernel time).
	if (st.dma_api_known) {
		const struct shim_dma_stats &d = st.dma;
		b.str({"dma_api", "mode"}, st.dma_strict ? "strict" : "lazy");
		b.num({"dma_api", "maps"}, d.maps);
		b.num({"dma_api", "unmaps"}, d.unmaps);
		b.num({"dma_api", "failures"}, d.failures);
		b.num({"dma_api", "live"}, d.live_maps);
		b.num({"dma_api", "bytes"}, st.dmaapi_bytes);
		b.num({"dma_api", "commands"}, st.dma_cmds);
		b.num({"dma_api", "syncs"}, st.dma_syncs);
		b.num({"dma_api", "map_ns"}, st.dma_map_ps / 1000);
		b.num({"dma_api", "unmap_ns"}, st.dma_unmap_ps / 1000);
		b.num({"dma_api", "timer_ns"}, st.dma_timer_ps / 1000);
		b.num({"dma_api", "iova", "cache_allocs"}, d.iova_cache_allocs);
		b.num({"dma_api", "iova", "tree_allocs"}, d.iova_tree_allocs);
		b.num({"dma_api", "iova", "switched_to_64bit"}, d.iova_64bit_switches);
		b.num({"dma_api", "fq", "queued"}, d.fq_queued);
		b.num({"dma_api", "fq", "flush_full"}, d.fq_flush_full);
		b.num({"dma_api", "fq", "flush_timer"}, d.fq_flush_timer);
		b.num({"dma_api", "fq", "pending"}, d.fq_pending);
	}

	// VMIDs: the policy, KVM's allocator, and every assignment per SMMU.
	if (st.vmids_known) {
		b.str({"vmid", "policy"}, st.vmid_policy);
		b.str({"vmid", "viommu_vmid"}, st.viommu_vmid_own ? "own" : "parent");
		b.num({"vmid", "assignments"}, st.vmids.size());
		b.num({"vmid", "moves"}, st.vmid_moves);
		b.num({"kvm", "vmid_bits"}, st.kvm_bits);
		b.num({"kvm", "cpus"}, st.kvm_cpus);
		b.num({"kvm", "generation"}, st.kvm_generation);
		b.num({"kvm", "rollovers"}, st.kvm_rollovers);
		b.num({"kvm", "pinned"}, st.kvm_pinned);
		b.num({"kvm", "max_pinned"}, st.kvm_max_pinned);
		if (st.kvm_known) {
			b.num({"kvm", "vms"}, st.kvm_vms);
			b.num({"kvm", "vcpu_loads"}, st.vcpu_loads);
			b.num({"kvm", "vcpu_puts"}, st.vcpu_puts);
			b.num({"kvm", "vmid_allocs"}, st.kvm_vmid_allocs);
			b.num({"kvm", "flushes"}, st.kvm_flushes);
			b.num({"kvm", "flush_removed"}, st.kvm_flush_removed);
		}
		b.num({"guest", "writes"}, st.guest_writes);
		b.num({"guest", "s1maps"}, st.guest_s1maps);
		b.num({"guest", "s1unmaps"}, st.guest_s1unmaps);
		std::string a = "{";
		for (size_t si = 0; si < st.smmu_names().size(); si++) {
			std::vector<const RunStats::VmidRecord *> recs;
			for (const auto &r : st.vmids)
				if (r.smmu == si)
					recs.push_back(&r);
			std::stable_sort(recs.begin(), recs.end(),
					 [](const RunStats::VmidRecord *x, const RunStats::VmidRecord *y) {
						 return x->vmid < y->vmid;
					 });
			a += si ? ",\n    " : "\n    ";
			json_string(a, st.smmu_names()[si]);
			a += ": [";
			for (size_t i = 0; i < recs.size(); i++) {
				const RunStats::VmidRecord &r = *recs[i];
				a += i ? ",\n      {" : "\n      {";
				a += "\"vmid\": " + std::to_string(r.vmid) + ", \"owner\": ";
				json_string(a, r.owner);
				a += ", \"source\": ";
				json_string(a, r.source);
				a += ", \"kind\": ";
				json_string(a, r.kind);
				a += ", \"stes\": " + std::to_string(r.stes) +
				     ", \"stes_max\": " + std::to_string(r.stes_max) +
				     ", \"live\": " + (r.live ? "true" : "false") +
				     ", \"alloc_ns\": " + std::to_string(r.t_alloc_ns);
				if (!r.live)
					a += ", \"free_ns\": " + std::to_string(r.t_free_ns);
				a += ", \"moves\": " + std::to_string(r.moves);
				if (r.moved_from)
					a += ", \"moved_from\": " + std::to_string(r.moved_from);
				if (r.moved_to)
					a += ", \"moved_to\": " + std::to_string(r.moved_to);
				if (!r.why.empty()) {
					a += ", \"why\": ";
					json_string(a, r.why);
				}
				a += "}";
			}
			a += recs.empty() ? "]" : "\n    ]";
		}
		a += "\n  }";
		b.raw({"vmids"}, a);
	}
	{
		std::string w = "[";
		for (size_t i = 0; i < st.warnings.size(); i++) {
			w += i ? ", " : "";
			json_string(w, st.warnings[i]);
		}
		w += "]";
		b.raw({"warnings"}, w);
	}

	b.num({"mmio", "reads"}, st.mmio_reads);
	b.num({"mmio", "writes"}, st.mmio_writes);
	b.num({"mmio", "errors"}, st.mmio_errors);
	b.num({"mem", "reads"}, st.mem_reads);
	b.num({"mem", "writes"}, st.mem_writes);
	b.num({"mem", "loads"}, st.mem_loads);
	b.num({"mem", "load_bytes"}, st.mem_load_bytes);
	b.num({"mem", "errors"}, st.mem_errors);
	b.num({"cpu", "tlbis"}, st.cpu_tlbis);
	b.num({"cpu", "tlbi_removed"}, st.cpu_tlbi_removed);

	// Per SMMU: the model's own counters, then the platform's.
	for (const SmmuModule *m : smmus) {
		const std::string &n = st.smmu_names()[m->index()];
		const smmu_stats *s = smmu_get_stats(m->model());
		const smmu_config *cfg = smmu_get_config(m->model());
		b.num({n, "tbus"}, cfg->num_tbus);
		b.num({n, "clock_mhz"}, cfg->t.clock_mhz);
		b.num({n, "xlate"}, s->xlate);
		for (const char *h : kHitOrder)
			if (std::strcmp(h, "atc")) // the devices' ATCs are not the SMMU's
				b.num({n, "hit", h}, s->hit[hit_by_name(h)]);
		b.num({n, "faults"}, s->faults);
		b.num({n, "events_recorded"}, s->events_recorded);
		b.num({n, "events_dropped"}, s->events_dropped);
		b.num({n, "eventq_overflows"}, s->eventq_overflows);
		b.num({n, "cfg_hits"}, s->cfg_hits);
		b.num({n, "cfg_misses"}, s->cfg_misses);
		b.num({n, "mem_reads"}, s->mem_reads);
		b.num({n, "mem_writes"}, s->mem_writes);
		b.num({n, "cmds"}, s->cmds);
		b.num({n, "cerrors"}, s->cerrors);
		b.num({n, "inv_removed"}, s->inv_removed);
		b.num({n, "btm_tlbis"}, s->btm_tlbis);
		b.num({n, "httu_writes"}, s->httu_writes);
		b.num({n, "ats_invs"}, s->ats_invs);
		b.num({n, "irq", "evtq"}, m->irq_evtq.pulses());
		b.num({n, "irq", "priq"}, m->irq_priq.pulses());
		b.num({n, "irq", "gerror"}, m->irq_gerror.pulses());
		b.num({n, "irq", "cmd_sync"}, m->irq_cmd_sync.pulses());
		b.num({n, "msis"}, m->msis());
	}
	return out;
}

std::string report_json(const std::vector<ReportEntry> &entries)
{
	// Entries sharing a prefix are contiguous (the builder emits them so),
	// so the nesting is opened and closed by comparing neighbours' paths.
	std::string out = "{";
	std::vector<std::string> open; // current object path
	bool first = true;
	for (const ReportEntry &e : entries) {
		size_t common = 0;
		while (common < open.size() && common + 1 < e.path.size() &&
		       open[common] == e.path[common])
			common++;
		while (open.size() > common) {
			open.pop_back();
			out += "\n" + std::string(2 * (open.size() + 1), ' ') + "}";
			first = false;
		}
		for (size_t i = common; i + 1 < e.path.size(); i++) {
			out += first ? "\n" : ",\n";
			out += std::string(2 * (open.size() + 1), ' ');
			json_string(out, e.path[i]);
			out += ": {";
			open.push_back(e.path[i]);
			first = true;
		}
		out += first ? "\n" : ",\n";
		first = false;
		out += std::string(2 * (open.size() + 1), ' ');
		json_string(out, e.path.back());
		out += ": ";
		switch (e.kind) {
		case ReportEntry::kNumber:
			out += milli_text(e.milli);
			break;
		case ReportEntry::kString:
			json_string(out, e.text);
			break;
		case ReportEntry::kArray:
			out += "[]";
			break;
		case ReportEntry::kRaw:
			out += e.text;
			break;
		}
	}
	while (!open.empty()) {
		open.pop_back();
		out += "\n" + std::string(2 * (open.size() + 1), ' ') + "}";
	}
	out += "\n}\n";
	return out;
}

bool report_lookup(const std::vector<ReportEntry> &entries, const std::string &name,
		   uint64_t &milli, bool &time)
{
	// A group with a count reads as that count: `events.F_TRANSLATION` is
	// `events.F_TRANSLATION.count`, `commands.SYNC` is `commands.SYNC.count`.
	for (const std::string &n : {name, name + ".count"}) {
		for (const ReportEntry &e : entries) {
			if (e.kind == ReportEntry::kNumber && join(e.path) == n) {
				milli = e.milli;
				time = e.time;
				return true;
			}
		}
	}
	// Known names that simply did not occur read as zero.
	auto named_by = [](const char *(*name)(unsigned), const std::string &n) {
		for (unsigned i = 0; i < 256; i++)
			if (const char *s = name(i))
				if (n == s)
					return true;
		return false;
	};
	auto known_event = [&](const std::string &n) { return named_by(smmu_event_name, n); };
	auto known_cmd = [&](const std::string &n) { return named_by(smmu_cmd_name, n); };
	auto split = [](const std::string &s) {
		std::vector<std::string> v;
		size_t a = 0;
		for (size_t i = 0; i <= s.size(); i++)
			if (i == s.size() || s[i] == '.') {
				v.push_back(s.substr(a, i - a));
				a = i + 1;
			}
		return v;
	};
	std::vector<std::string> p = split(name);
	auto latency_leaf = [&](size_t i) {
		return p.size() == i + 2 && p[i] == "latency_ns" &&
		       (p[i + 1] == "min" || p[i + 1] == "p50" || p[i + 1] == "p99" || p[i + 1] == "max");
	};
	milli = 0;
	time = false;
	if (p.size() >= 2 && p[0] == "events" && known_event(p[1]) &&
	    (p.size() == 2 || (p.size() == 3 && (p[2] == "count" || p[2] == "recorded" || p[2] == "dropped"))))
		return true;
	if (p.size() >= 2 && p[0] == "commands" && known_cmd(p[1]) &&
	    (p.size() == 2 || (p.size() == 3 && p[2] == "count") || latency_leaf(2))) {
		time = p.size() == 4;
		return true;
	}
	if (p.size() >= 3 && p[0] == "invalidations" && p[1] == "by_op" && known_cmd(p[2]) &&
	    (p.size() == 3 || (p.size() == 4 && p[3] == "count") || latency_leaf(3))) {
		time = p.size() == 5;
		return true;
	}
	return false;
}

std::string report_text(const std::vector<ReportEntry> &entries, const RunStats &st,
			const std::string &trace)
{
	auto get = [&](const std::string &n) {
		uint64_t m = 0;
		bool t;
		report_lookup(entries, n, m, t);
		return milli_text(m);
	};
	auto lat = [&](const std::string &base) {
		return "min " + get(base + ".latency_ns.min") + "  p50 " + get(base + ".latency_ns.p50") +
		       "  p99 " + get(base + ".latency_ns.p99") + "  max " + get(base + ".latency_ns.max");
	};
	std::string o;
	char line[512];
	auto add = [&](const char *fmt, auto... args) {
		snprintf(line, sizeof(line), fmt, args...);
		o += line;
	};
	std::string status;
	for (const ReportEntry &e : entries)
		if (e.path.size() == 1 && e.path[0] == "status")
			status = e.text;
	add("smmusim replay %s\n", trace.c_str());
	add("  status          %s (exit %s)\n", status.c_str(), get("exit_status").c_str());
	add("  records         %s (late %s, failures %s)\n", get("records").c_str(),
	    get("records_late").c_str(), get("failures").c_str());
	add("  simulated time  %s ns\n", get("sim_time_ns").c_str());
	if (st.violations.empty()) {
		if (st.oracle == "on")
			add("  isolation       held: no violation (oracle on)\n");
		else if (st.oracle == "off")
			add("  isolation       not checked (oracle=off)\n");
		else if (st.oracle == "stale-only")
			add("  isolation       no stale translation (bare metal: the stale check against "
			    "the trace's own TLBIs; owners need the kernel model)\n");
		else
			add("  isolation       not checked: the oracle needs the kernel model's owners\n");
	} else {
		size_t unexpected = 0;
		for (const auto &v : st.violations)
			unexpected += !v.expected;
		add("  isolation       VIOLATED: %zu violation(s), %zu not expected by the trace\n",
		    st.violations.size(), unexpected);
		for (const char *kind : {"cross-domain", "stale", "alias", "foreign-invalidation"}) {
			size_t n = 0, shown = 0;
			for (const auto &v : st.violations)
				n += v.kind == kind;
			if (!n)
				continue;
			add("    %-20s %zu\n", kind, n);
			for (const auto &v : st.violations) {
				if (v.kind != kind || shown++ == 3)
					continue;
				o += "      line " + std::to_string(v.line) + (v.expected ? " (expected)" : "") +
				     ": " + v.detail + "\n";
			}
			if (n > 3)
				add("      ... %zu more in the JSON report (violations)\n", n - 3);
		}
	}
	for (const std::string &w : st.warnings)
		o += "  warning         " + w + "\n";

	add("DMA               %s (ok %s, faults %s, aborts %s, bus errors %s)\n",
	    get("dma.count").c_str(), get("dma.ok").c_str(), get("dma.faults").c_str(),
	    get("dma.aborts").c_str(), get("dma.bus_errors").c_str());
	if (st.dma_count()) {
		add("  latency ns      %s\n", lat("dma").c_str());
		for (const char *h : kHitOrder) {
			std::string base = std::string("dma.by_hit.") + h;
			if (get(base + ".count") == "0")
				continue;
			add("  %-15s %-8s %s\n", h, get(base + ".count").c_str(), lat(base).c_str());
		}
	}
	add("commands          %s (cerrors %s)\n", get("commands.count").c_str(),
	    get("commands.cerrors").c_str());
	for (unsigned op = 0; op < 256; op++) {
		if (st.command_samples()[op].empty())
			continue;
		const char *n = smmu_cmd_name(op);
		std::string name = n ? n : "OP_" + std::to_string(op);
		add("  %-15s %-8s %s\n", name.c_str(), get("commands." + name + ".count").c_str(),
		    lat("commands." + name).c_str());
	}
	add("invalidations     %s (not yet covered by a SYNC: %s)\n", get("invalidations.count").c_str(),
	    get("invalidations.uncovered").c_str());
	if (!st.invalidation_all().empty())
		add("  latency ns      %s\n", lat("invalidations").c_str());
	for (unsigned op = 0; op < 256; op++) {
		if (st.invalidation_samples()[op].empty())
			continue;
		std::string name = smmu_cmd_name(op) ? smmu_cmd_name(op) : "OP_" + std::to_string(op);
		std::string base = "invalidations.by_op." + name;
		add("  %-15s %-8s %s\n", name.c_str(), get(base + ".count").c_str(), lat(base).c_str());
	}
	if (st.requests_total()) {
		// Where each kind of invalidating request spent its time (means), and
		// the slowest requests in full.
		add("latency           %llu invalidating requests; ns, mean per part\n",
		    (unsigned long long)st.requests_total());
		auto parts_text = [&](const uint64_t *ps, uint64_t div) {
			std::string t;
			for (int i = 0; i < kParts; i++) {
				uint64_t v = div ? ps[i] / div : 0;
				if (!v)
					continue;
				t += std::string(t.empty() ? "" : " + ") + kLatPartNames[i] + " " +
				     milli_text(v);
			}
			return t.empty() ? std::string("0") : t;
		};
		for (const auto &kv : st.lat_kinds()) {
			std::string base = "latency.by_kind." + kv.first;
			add("  %-30s %-6s p50 %s  p99 %s  max %s\n", kv.first.c_str(),
			    get(base + ".count").c_str(), get(base + ".total_ns.p50").c_str(),
			    get(base + ".total_ns.p99").c_str(), get(base + ".total_ns.max").c_str());
			add("    mean %s = %s\n", get(base + ".total_ns.mean").c_str(),
			    parts_text(kv.second.sum.ps, kv.second.count).c_str());
		}
		size_t shown = 0;
		for (const LatRequest &r : st.top_requests()) {
			if (shown++ == 3)
				break;
			add("  slowest: line %u %s (%s) %s = %s\n", r.line, r.kind.c_str(), r.who.c_str(),
			    milli_text(r.total_ps).c_str(), parts_text(r.parts.ps, 1).c_str());
		}
	}
	if (!st.ioctls.empty()) {
		add("ioctls            %s (errors %s)\n", get("ioctl.count").c_str(),
		    get("ioctl.errors").c_str());
		std::vector<std::string> names;
		for (const IoctlRecord &r : st.ioctls)
			if (std::find(names.begin(), names.end(), r.request) == names.end())
				names.push_back(r.request);
		std::sort(names.begin(), names.end());
		for (const std::string &n : names) {
			std::string base = "ioctl." + n;
			add("  %-30s %-6s err %-4s cmds %-6s syncs %-5s %s\n", n.c_str(),
			    get(base + ".count").c_str(), get(base + ".errors").c_str(),
			    get(base + ".commands").c_str(), get(base + ".syncs").c_str(),
			    lat(base).c_str());
		}
	}
	if (st.dma_api_known) {
		add("dma api           %s: %s maps, %s unmaps (%s failed), %s live; %s bytes; "
		    "%s commands, %s syncs\n",
		    st.dma_strict ? "strict" : "lazy", get("dma_api.maps").c_str(),
		    get("dma_api.unmaps").c_str(), get("dma_api.failures").c_str(),
		    get("dma_api.live").c_str(), get("dma_api.bytes").c_str(),
		    get("dma_api.commands").c_str(), get("dma_api.syncs").c_str());
		add("  time            map %s ns, unmap %s ns, flush-queue timer %s ns\n",
		    get("dma_api.map_ns").c_str(), get("dma_api.unmap_ns").c_str(),
		    get("dma_api.timer_ns").c_str());
		add("  iova            %s from the per-CPU caches, %s from the tree, %s devices "
		    "past 32 bits\n",
		    get("dma_api.iova.cache_allocs").c_str(), get("dma_api.iova.tree_allocs").c_str(),
		    get("dma_api.iova.switched_to_64bit").c_str());
		if (!st.dma_strict)
			add("  flush queue     %s queued; flushes: %s full, %s timer; %s pending at the "
			    "end\n",
			    get("dma_api.fq.queued").c_str(), get("dma_api.fq.flush_full").c_str(),
			    get("dma_api.fq.flush_timer").c_str(), get("dma_api.fq.pending").c_str());
	}
	if (st.vmids_known && (!st.vmids.empty() || st.kvm_rollovers)) {
		add("vmids             policy %s (vIOMMU: %s); %zu assignments, %s moves; KVM %s-bit, "
		    "generation %s, rollovers %s, pinned %s of %s\n",
		    st.vmid_policy.c_str(), st.viommu_vmid_own ? "own" : "parent", st.vmids.size(),
		    get("vmid.moves").c_str(), get("kvm.vmid_bits").c_str(), get("kvm.generation").c_str(),
		    get("kvm.rollovers").c_str(), get("kvm.pinned").c_str(), get("kvm.max_pinned").c_str());
		if (st.kvm_known && st.kvm_vms)
			add("  kvm             %s VMs, vCPU loads %s, puts %s, new VMIDs %s, flushes %s "
			    "(TLBI ALLE1IS; SMMU entries removed %s)\n",
			    get("kvm.vms").c_str(), get("kvm.vcpu_loads").c_str(),
			    get("kvm.vcpu_puts").c_str(), get("kvm.vmid_allocs").c_str(),
			    get("kvm.flushes").c_str(), get("kvm.flush_removed").c_str());
		size_t shown = 0;
		for (const auto &r : st.vmids) {
			if (shown++ == 24) {
				add("  ... %zu more in the JSON report (vmids)\n", st.vmids.size() - 24);
				break;
			}
			std::string smmu = r.smmu < st.smmu_names().size() ? st.smmu_names()[r.smmu] : "?";
			std::string tail;
			if (r.moved_from)
				tail += ", moved from " + std::to_string(r.moved_from);
			if (r.moved_to)
				tail += ", moved to " + std::to_string(r.moved_to);
			if (!r.why.empty())
				tail += " (" + r.why + ")";
			add("  %-8s vmid %-5u %-18s %-10s %-11s stes %u%s%s\n", smmu.c_str(), r.vmid,
			    r.owner.c_str(), r.source.c_str(), r.kind.c_str(), r.stes_max,
			    r.live ? "" : ", released", tail.c_str());
		}
	}
	add("events            %s (recorded %s, dropped %s)\n", get("events.count").c_str(),
	    get("events.recorded").c_str(), get("events.dropped").c_str());
	for (unsigned id = 0; id < 256; id++) {
		const auto &e = st.events()[id];
		if (!e.count)
			continue;
		const char *n = smmu_event_name(id);
		std::string name = n ? n : "EVENT_" + std::to_string(id);
		add("  %-15s %-8llu (recorded %llu, dropped %llu)\n", name.c_str(),
		    (unsigned long long)e.count, (unsigned long long)e.recorded,
		    (unsigned long long)e.dropped);
	}
	add("host              mmio reads %s, writes %s, errors %s; mem reads %s, writes %s, loads %s; "
	    "cpu tlbis %s\n",
	    get("mmio.reads").c_str(), get("mmio.writes").c_str(), get("mmio.errors").c_str(),
	    get("mem.reads").c_str(), get("mem.writes").c_str(), get("mem.loads").c_str(),
	    get("cpu.tlbis").c_str());
	for (const std::string &n : st.smmu_names()) {
		add("%-17s xlate %s, hits utlb %s mtlb %s tlb %s walk_cache %s walk %s, faults %s, "
		    "cmds %s, table reads %s, removed %s, irqs evtq %s gerror %s cmd_sync %s, msis %s\n",
		    n.c_str(), get(n + ".xlate").c_str(), get(n + ".hit.utlb").c_str(),
		    get(n + ".hit.mtlb").c_str(), get(n + ".hit.tlb").c_str(),
		    get(n + ".hit.walk_cache").c_str(), get(n + ".hit.walk").c_str(),
		    get(n + ".faults").c_str(), get(n + ".cmds").c_str(), get(n + ".mem_reads").c_str(),
		    get(n + ".inv_removed").c_str(), get(n + ".irq.evtq").c_str(),
		    get(n + ".irq.gerror").c_str(), get(n + ".irq.cmd_sync").c_str(),
		    get(n + ".msis").c_str());
	}
	return o;
}

} // namespace smmusim
