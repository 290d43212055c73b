// latency_perfetto_test.cc - `smmusim replay --perfetto` checked against
// the Chrome trace-event format (read back with sim/json): a traceEvents
// array; every event has name, ph, pid, tid and, where its phase needs one,
// ts; complete events (X) a dur >= 0; timestamps do not go back on any
// (pid, tid) track; async begin/end (b/e) pair up by (cat, id); flow starts
// and finishes (s/f) pair up by id, and at least one flow leaves a system
// call slice and lands on a command slice; violation instants carry their
// provenance in args. Labels: sim, latency.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "json.h"
#include "run_util.h"
#include "sc_gtest_main.h"

using smmusim::json::Value;

namespace
{

struct Checked {
	size_t events = 0, flows = 0, syscall_to_cmd = 0, violations = 0;
};

void Validate(const std::string &trace, Checked &out)
{
	SCOPED_TRACE(trace);
	std::string path = temp_path(".json");
	RunResult r = run(SMMUSIM_EXE, {"replay", trace, "--quiet", "--perfetto", path});
	ASSERT_TRUE(r.status == 0 || r.status == 3) << r.err;
	Value doc;
	smmusim::json::Error e;
	ASSERT_TRUE(smmusim::json::parse_file(path, doc, e)) << smmusim::json::format_error(path, e);
	unlink(path.c_str());
	const Value *evs = doc.get("traceEvents");
	ASSERT_TRUE(evs && evs->kind == Value::Array);
	std::map<std::pair<double, double>, double> last_ts; // (pid, tid) -> ts
	std::map<std::string, int> async_open;                 // cat/id -> depth
	std::map<std::string, const Value *> flow_start;       // id -> s event
	std::map<std::pair<double, double>, std::string> names; // pid,tid -> thread name
	std::vector<const Value *> slices;
	for (const Value &ev : evs->items) {
		ASSERT_EQ(ev.kind, Value::Object);
		const Value *ph = ev.get("ph"), *name = ev.get("name"), *pid = ev.get("pid");
		ASSERT_TRUE(ph && ph->kind == Value::String && ph->str().size() == 1);
		ASSERT_TRUE(name && name->kind == Value::String);
		ASSERT_TRUE(pid && pid->kind == Value::Number);
		char p = ph->str()[0];
		if (p == 'M') {
			if (name->str() == "thread_name")
				names[{pid->num, ev.get("tid")->num}] =
				    ev.at({"args", "name"}) ? ev.at({"args", "name"})->str() : "";
			continue;
		}
		out.events++;
		const Value *tid = ev.get("tid"), *ts = ev.get("ts");
		ASSERT_TRUE(tid && tid->kind == Value::Number) << name->str();
		ASSERT_TRUE(ts && ts->kind == Value::Number) << name->str();
		ASSERT_TRUE(std::string("XBEibesf").find(p) != std::string::npos) << p;
		if (p == 'X') {
			const Value *dur = ev.get("dur");
			ASSERT_TRUE(dur && dur->kind == Value::Number) << name->str();
			EXPECT_GE(dur->num, 0);
			slices.push_back(&ev);
		}
		if (p == 'X' || p == 'B' || p == 'E' || p == 'i') {
			auto key = std::make_pair(pid->num, tid->num);
			auto it = last_ts.find(key);
			if (it != last_ts.end())
				EXPECT_GE(ts->num, it->second) << "track " << pid->num << "/" << tid->num;
			last_ts[key] = ts->num;
		}
		if (p == 'b' || p == 'e') {
			const Value *id = ev.get("id"), *cat = ev.get("cat");
			ASSERT_TRUE(id && cat);
			std::string k = cat->str() + "/" + id->text + id->str();
			if (p == 'b')
				async_open[k]++;
			else
				EXPECT_GT(async_open[k]--, 0) << "async end without begin " << k;
		}
		if (p == 's' || p == 'f') {
			const Value *id = ev.get("id");
			ASSERT_TRUE(id);
			std::string k = id->text + id->str();
			if (p == 's') {
				flow_start[k] = &ev;
			} else {
				auto it = flow_start.find(k);
				ASSERT_NE(it, flow_start.end()) << "flow end without start " << k;
				out.flows++;
				// processes 1..999 are VMM processes (system calls),
				// 1000.. the SMMUs (command processor)
				if (it->second->get("pid")->num < 1000 && pid->num >= 1000 &&
				    pid->num < 2000 && names[{pid->num, tid->num}] == "command processor")
					out.syscall_to_cmd++;
			}
		}
		if (p == 'i' && name->str().rfind("violation: ", 0) == 0) {
			out.violations++;
			const Value *args = ev.get("args");
			ASSERT_TRUE(args && args->kind == Value::Object);
			EXPECT_TRUE(args->get("detail") || args->get("provenance")) << name->str();
		}
	}
	for (const auto &a : async_open)
		EXPECT_EQ(a.second, 0) << "async begin without end " << a.first;
}

TEST(Perfetto, KernelTraceValidatesWithSyscallToCommandFlows)
{
	Checked c;
	Validate(std::string(SIM_EXAMPLES_DIR) + "/viommu_nested.trace", c);
	EXPECT_GT(c.events, 10u);
	EXPECT_GT(c.flows, 0u);
	EXPECT_GT(c.syscall_to_cmd, 0u);
}

TEST(Perfetto, ViolationsAreInstantsWithProvenance)
{
	Checked c;
	Validate(std::string(SIM_SCENARIOS_DIR) + "/seed000_kvm_pinned_naive.trace", c);
	EXPECT_GT(c.violations, 0u);
}

TEST(Perfetto, EveryExampleValidates)
{
	for (const std::string &t : list_traces(SIM_EXAMPLES_DIR)) {
		if (t.find("bad_config") != std::string::npos)
			continue;
		Checked c;
		Validate(t, c);
		EXPECT_GT(c.events, 0u) << t;
	}
}

} // namespace
