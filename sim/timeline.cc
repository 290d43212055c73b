// timeline.cc - see timeline.h.
#include "timeline.h"

#include "json.h"

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "smmu/smmu_defs.h"

namespace smmusim {

namespace {

constexpr uint32_t kSmmuPid = 1000, kDevPid = 2000;
constexpr uint32_t kTidSyscalls = 1, kTidCmdq = 1, kTidInv = 2, kTidEvents = 3;
constexpr uint32_t kNoArgs = UINT32_MAX;

void json_str(std::string &o, const std::string &s)
{
	o += json::quote(s);
}

// ps as microseconds with up to six decimals.
void us(std::string &o, uint64_t ps)
{
	char b[40];
	uint64_t frac = ps % 1000000;
	if (!frac) {
		snprintf(b, sizeof(b), "%llu", (unsigned long long)(ps / 1000000));
	} else {
		snprintf(b, sizeof(b), "%llu.%06llu", (unsigned long long)(ps / 1000000),
			 (unsigned long long)frac);
		size_t n = std::char_traits<char>::length(b);
		while (b[n - 1] == '0')
			b[--n] = 0;
	}
	o += b;
}

std::string hex(uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "\"0x%llx\"", (unsigned long long)v);
	return b;
}

const char *hit_colour(uint8_t hit, uint8_t outcome)
{
	if (outcome != SMMU_XLATE_OK)
		return "terrible";
	switch (hit) {
	case SMMU_HIT_UTLB:
		return "good";
	case SMMU_HIT_MTLB:
		return "olive";
	case SMMU_HIT_TLB:
		return "yellow";
	case SMMU_HIT_WALK_CACHE:
		return "rail_animation";
	case SMMU_HIT_WALK:
		return "bad";
	default:
		return "grey";
	}
}

} // namespace

Timeline::Timeline(std::vector<std::string> smmu_names, std::vector<std::string> device_names)
	: smmus_(std::move(smmu_names)), devices_(std::move(device_names))
{
	for (size_t i = 0; i < smmus_.size(); i++) {
		uint32_t pid = kSmmuPid + (uint32_t)i;
		pid_names_[pid] = smmus_[i];
		tid_names_[{pid, kTidCmdq}] = "command processor";
		tid_names_[{pid, kTidInv}] = "invalidations";
		tid_names_[{pid, kTidEvents}] = "events";
	}
	if (!devices_.empty()) {
		pid_names_[kDevPid] = "devices";
		for (size_t i = 0; i < devices_.size(); i++)
			tid_names_[{kDevPid, 1 + (uint32_t)i}] = devices_[i];
	}
}

uint32_t Timeline::track(uint32_t pid, uint32_t tid)
{
	auto it = track_index_.find({pid, tid});
	if (it != track_index_.end())
		return it->second;
	uint32_t i = (uint32_t)tracks_.size();
	tracks_.push_back(Track{pid, tid});
	track_index_[{pid, tid}] = i;
	return i;
}

uint32_t Timeline::name(const std::string &n)
{
	auto it = name_index_.find(n);
	if (it != name_index_.end())
		return it->second;
	uint32_t i = (uint32_t)names_.size();
	names_.push_back(n);
	name_index_[n] = i;
	return i;
}

uint32_t Timeline::args(std::string a)
{
	args_.push_back(std::move(a));
	return (uint32_t)args_.size() - 1;
}

uint32_t Timeline::proc_pid(const std::string &proc)
{
	auto it = procs_.find(proc);
	if (it != procs_.end())
		return it->second;
	uint32_t pid = 1 + (uint32_t)procs_.size();
	procs_[proc] = pid;
	pid_names_[pid] = proc;
	tid_names_[{pid, kTidSyscalls}] = "system calls";
	return pid;
}

void Timeline::syscall(const std::string &proc, const std::string &nm, uint64_t start_ps,
		       uint64_t end_ps, std::string a)
{
	in_call_ = false;
	uint32_t t = track(proc_pid(proc), kTidSyscalls);
	Ev e{};
	e.ph = 'X';
	e.track = t;
	e.name = name(nm);
	e.args = args(std::move(a));
	e.ts = start_ps;
	e.dur = end_ps > start_ps ? end_ps - start_ps : 0;
	push(e);
	for (uint64_t id : call_flows_) {
		Ev s{};
		s.ph = 's';
		s.track = t;
		s.name = name("issued");
		s.args = kNoArgs;
		s.ts = start_ps + (e.dur > 1 ? 1 : 0);
		s.id = id;
		push(s);
	}
	call_flows_.clear();
}

void Timeline::command(unsigned smmu, const smmu_cmd_report &rep, uint64_t fetch_start_ps,
		       uint64_t exec_ps, uint64_t done_ps)
{
	uint32_t pid = kSmmuPid + smmu;
	const char *cn = smmu_cmd_name(rep.op);
	std::string nm = cn ? cn : "OP_" + std::to_string(rep.op);
	bool sync = rep.op == SMMU_CMD_SYNC;
	Ev e{};
	e.ph = 'X';
	e.track = track(pid, kTidCmdq);
	e.name = name(nm);
	e.ts = fetch_start_ps;
	uint64_t end = sync || rep.cerror ? done_ps : exec_ps;
	e.dur = end > fetch_start_ps ? end - fetch_start_ps : 0;
	std::string a = "\"index\": " + std::to_string(rep.index) +
			", \"removed\": " + std::to_string(rep.removed);
	if (rep.cerror)
		a += ", \"cerror\": " + std::to_string(rep.cerror);
	e.args = args(a);
	push(e);
	if (in_call_) {
		uint64_t id = next_id_++;
		call_flows_.push_back(id);
		Ev f{};
		f.ph = 'f';
		f.track = e.track;
		f.name = name("issued");
		f.args = kNoArgs;
		f.ts = e.ts + e.dur / 2;
		f.id = id;
		push(f);
	}
	if (rep.invalidation && done_ps > exec_ps && !rep.cerror) {
		Ev b{};
		b.ph = 'b';
		b.track = track(pid, kTidInv);
		b.name = name(nm);
		b.args = kNoArgs;
		b.ts = exec_ps;
		b.id = next_id_++;
		push(b);
		b.ph = 'e';
		b.ts = done_ps;
		push(b);
	}
}

void Timeline::smmu_event(unsigned smmu, const struct smmu_event &ev, bool recorded, uint64_t ps)
{
	const char *n = smmu_event_name(ev.id);
	Ev e{};
	e.ph = 'i';
	e.track = track(kSmmuPid + smmu, kTidEvents);
	e.name = name(n ? n : "EVENT_" + std::to_string(ev.id));
	e.args = args("\"sid\": " + hex(ev.sid) + ", \"ssid\": " + std::to_string(ev.ssid) +
		      ", \"input_addr\": " + hex(ev.input_addr) +
		      ", \"recorded\": " + (recorded ? "true" : "false"));
	e.ts = ps;
	push(e);
}

void Timeline::dma(unsigned dev, uint64_t start_ps, uint64_t end_ps, uint8_t hit, uint8_t outcome,
		   uint8_t event, uint64_t addr, uint64_t pa, bool write)
{
	Ev e{};
	e.ph = 'X';
	e.kind = kDma;
	e.track = track(kDevPid, 1 + dev);
	e.name = name(outcome == SMMU_XLATE_OK ? smmu_hit_name((smmu_hit)hit) : "fault");
	e.args = kNoArgs;
	e.ts = start_ps;
	e.dur = end_ps > start_ps ? end_ps - start_ps : 0;
	e.hit = hit;
	e.outcome = outcome;
	e.event = event;
	e.write = write;
	e.a = addr;
	e.b = pa;
	push(e);
}

void Timeline::vcpu(const std::string &proc, int vmfd, unsigned vc, unsigned cpu, bool load,
		    uint64_t ps)
{
	uint32_t pid = proc_pid(proc);
	std::string key = proc + "/" + std::to_string(vmfd) + "/" + std::to_string(vc);
	auto it = vcpu_tids_.find(key);
	uint32_t tid;
	if (it == vcpu_tids_.end()) {
		tid = 100 + (uint32_t)vcpu_tids_.size();
		vcpu_tids_[key] = tid;
		tid_names_[{pid, tid}] = "vm fd " + std::to_string(vmfd) + " vcpu " + std::to_string(vc);
	} else {
		tid = it->second;
	}
	auto open = vcpu_open_.find(key);
	if (load) {
		if (open == vcpu_open_.end())
			vcpu_open_[key] = {ps, cpu};
		return;
	}
	if (open == vcpu_open_.end())
		return;
	Ev e{};
	e.ph = 'X';
	e.track = track(pid, tid);
	e.name = name("running");
	e.args = args("\"cpu\": " + std::to_string(open->second.second));
	e.ts = open->second.first;
	e.dur = ps > e.ts ? ps - e.ts : 0;
	push(e);
	vcpu_open_.erase(open);
}

void Timeline::cpu_tlbi(const std::string &proc, const std::string &op, uint64_t ps, std::string a)
{
	Ev e{};
	e.ph = 'i';
	e.track = track(proc_pid(proc), kTidSyscalls);
	e.name = name("TLBI " + op);
	e.args = args(std::move(a));
	e.ts = ps;
	push(e);
}

void Timeline::violation(const std::string &kind, uint64_t ps, std::string a)
{
	Ev e{};
	e.ph = 'i';
	e.id = 1; // global scope
	e.track = track(0, 0);
	e.name = name("violation: " + kind);
	e.args = args(std::move(a));
	e.ts = ps;
	push(e);
}

bool Timeline::write(const std::string &path, uint64_t end_ps, std::string &err)
{
	// vCPUs still loaded run to the end.
	std::vector<std::string> still;
	for (const auto &kv : vcpu_open_)
		still.push_back(kv.first);
	for (const std::string &key : still) {
		size_t a = key.find('/'), b = key.rfind('/');
		std::string proc = key.substr(0, a);
		int vmfd = std::stoi(key.substr(a + 1, b - a - 1));
		unsigned vc = (unsigned)std::stoul(key.substr(b + 1));
		vcpu(proc, vmfd, vc, 0, false, end_ps);
	}
	std::vector<uint32_t> order(ev_.size());
	for (uint32_t i = 0; i < order.size(); i++)
		order[i] = i;
	std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
		const Ev &a = ev_[x], &b = ev_[y];
		if (a.ts != b.ts)
			return a.ts < b.ts;
		return a.dur > b.dur; // the enclosing slice first
	});
	std::ofstream f(path, std::ios::binary | std::ios::trunc);
	if (!f) {
		err = "cannot write " + path;
		return false;
	}
	std::string o = "{\"displayTimeUnit\": \"ns\",\n\"otherData\": {\"generator\": \"smmusim\"},\n"
			"\"traceEvents\": [\n";
	bool first = true;
	auto sep = [&]() {
		if (!first)
			o += ",\n";
		first = false;
	};
	for (const auto &p : pid_names_) {
		sep();
		o += "{\"ph\": \"M\", \"name\": \"process_name\", \"pid\": " + std::to_string(p.first) +
		     ", \"tid\": 0, \"args\": {\"name\": ";
		json_str(o, p.second);
		o += "}},\n{\"ph\": \"M\", \"name\": \"process_sort_index\", \"pid\": " +
		     std::to_string(p.first) + ", \"tid\": 0, \"args\": {\"sort_index\": " +
		     std::to_string(p.first) + "}}";
	}
	for (const auto &t : tid_names_) {
		sep();
		o += "{\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": " +
		     std::to_string(t.first.first) + ", \"tid\": " + std::to_string(t.first.second) +
		     ", \"args\": {\"name\": ";
		json_str(o, t.second);
		o += "}}";
	}
	for (uint32_t i : order) {
		const Ev &e = ev_[i];
		const Track &t = tracks_[e.track];
		sep();
		o += "{\"ph\": \"";
		o += e.ph;
		o += "\", \"name\": ";
		json_str(o, names_[e.name]);
		o += ", \"pid\": " + std::to_string(t.pid) + ", \"tid\": " + std::to_string(t.tid) +
		     ", \"ts\": ";
		us(o, e.ts);
		switch (e.ph) {
		case 'X':
			o += ", \"dur\": ";
			us(o, e.dur);
			break;
		case 'i':
			o += e.id ? ", \"s\": \"g\"" : ", \"s\": \"t\"";
			break;
		case 'b':
		case 'e':
			o += ", \"cat\": \"invalidation\", \"id\": \"0x" + [&] {
				char b[20];
				snprintf(b, sizeof(b), "%llx", (unsigned long long)e.id);
				return std::string(b);
			}() + "\"";
			break;
		case 's':
		case 'f':
			o += ", \"cat\": \"flow\", \"id\": " + std::to_string(e.id);
			if (e.ph == 'f')
				o += ", \"bp\": \"e\"";
			break;
		}
		if (e.kind == kDma) {
			o += ", \"cat\": \"dma\", \"cname\": \"";
			o += hit_colour(e.hit, e.outcome);
			o += "\", \"args\": {\"addr\": " + hex(e.a) + ", \"dir\": \"" +
			     (e.write ? "write" : "read") + "\"";
			if (e.outcome == SMMU_XLATE_OK) {
				o += ", \"pa\": " + hex(e.b) + ", \"hit\": \"";
				o += smmu_hit_name((smmu_hit)e.hit);
				o += "\"";
			} else if (e.event) {
				const char *n = smmu_event_name(e.event);
				o += ", \"event\": ";
				json_str(o, n ? n : std::to_string(e.event));
			}
			o += "}";
		} else if (e.args != kNoArgs) {
			o += ", \"args\": {" + args_[e.args] + "}";
		}
		o += "}";
		if (o.size() > (1u << 20)) {
			f << o;
			o.clear();
		}
	}
	o += "\n]}\n";
	f << o;
	f.close();
	if (!f) {
		err = "cannot write " + path;
		return false;
	}
	return true;
}

} // namespace smmusim
