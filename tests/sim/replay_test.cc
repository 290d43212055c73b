// replay_test.cc - the smmusim program end to end, each replay in its own
// process: exit statuses of the contract, assertion messages, records not
// supported yet, the report (text and JSON) and its determinism, parameter
// precedence, and the other commands.
#include <gtest/gtest.h>

#include <algorithm>

#include "run_util.h"
#include "sc_gtest_main.h"

namespace {

const std::string kExe = SMMUSIM_EXE;
const std::string kS1 = std::string(SIM_DATA_DIR) + "/s1.trace";

RunResult Smmusim(const std::vector<std::string> &args)
{
	return run(kExe, args);
}

// The s1 trace with its last lines replaced by `tail`.
std::string S1With(const std::string &tail)
{
	std::string t = read_file(kS1);
	size_t cut = t.find("\nwait 1us\n");
	EXPECT_NE(cut, std::string::npos);
	return t.substr(0, cut + 10) + tail;
}

// "LINE:COL:" of `needle` in the first line of `tail` appended by S1With.
std::string PosIn(const std::string &tail, const std::string &needle)
{
	std::string head = S1With("");
	size_t line = (size_t)std::count(head.begin(), head.end(), '\n') + 1;
	return ":" + std::to_string(line) + ":" + std::to_string(tail.find(needle) + 1) + ":";
}

RunResult ReplayText(const std::string &text, std::vector<std::string> extra = {})
{
	std::string path = temp_path(".trace");
	write_file(path, text);
	std::vector<std::string> args = {"replay", path};
	args.insert(args.end(), extra.begin(), extra.end());
	RunResult r = Smmusim(args);
	unlink(path.c_str());
	return r;
}

} // namespace

TEST(SimReplay, BareMetalStage1TraceReplaysCleanly)
{
	RunResult r = Smmusim({"replay", kS1});
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.err, "");
	EXPECT_NE(r.out.find("status          ok (exit 0)"), std::string::npos) << r.out;
	EXPECT_NE(r.out.find("isolation       no stale translation (bare metal: the stale check"),
		  std::string::npos)
	    << r.out;
	EXPECT_NE(r.out.find("TLBI_NH_VA"), std::string::npos) << r.out;
}

TEST(SimReplay, JsonIsByteIdenticalWhateverTheHostSettings)
{
	std::string base;
	for (const std::vector<std::string> &extra :
	     std::vector<std::vector<std::string>>{{},
						   {},
						   {"--set", "sim.reader_thread=on"},
						   {"--set", "sim.quantum_ns=1"},
						   {"--set", "sim.quantum_ns=1ms"},
						   {"--set", "memory.dmi=off"},
						   {"--set", "sim.direct_dma=off"},
						   {"--set", "sim.direct_dma=off", "--set", "memory.dmi=off"}}) {
		std::string json = temp_path(".json");
		std::vector<std::string> args = {"replay", kS1, "--quiet", "--json", json};
		args.insert(args.end(), extra.begin(), extra.end());
		RunResult r = Smmusim(args);
		EXPECT_EQ(r.status, 0) << r.err;
		EXPECT_EQ(r.out, "");
		std::string j = read_file(json);
		unlink(json.c_str());
		if (base.empty())
			base = j;
		EXPECT_EQ(j, base);
	}
	EXPECT_EQ(base.rfind("{\n  \"status\": \"ok\",\n  \"exit_status\": 0,\n", 0), 0u) << base;
	for (const char *key : {"\"oracle\": \"stale-only\"", "\"violations\": []", "\"records\": 53",
				"\"sim_time_ns\": ", "\"by_hit\": {", "\"utlb\": {", "\"walk_cache\": {",
				"\"commands\": {", "\"TLBI_NH_VA\": {", "\"invalidations\": {", "\"by_op\": {",
				"\"events\": {", "\"F_TRANSLATION\": {", "\"smmu0\": {", "\"p99\": "})
		EXPECT_NE(base.find(key), std::string::npos) << key;
}

// Every example, scenario and test trace of the tree.
static std::vector<std::string> every_trace()
{
	std::vector<std::string> traces;
	for (const char *dir : {SIM_EXAMPLES_DIR, SIM_SCENARIOS_DIR, SIM_DATA_DIR})
		for (const std::string &f : list_traces(dir))
			traces.push_back(f);
	return traces;
}

// The replay's loop runs a plain lane DMA (no result, no stamp, a device on
// the direct path, no kernel booted, no timeline) from the reader's record
// (ReplayDriver::lane_dma); with the trace read in a second thread every
// DMA is an op (exec_dma). Every example, scenario and test trace with its
// results stripped - so that its DMAs take the lane - gives the same report
// and exit status both ways, and so does the bare-metal stale check with
// its seeded model bug (the lane's DMAs are judged too).
TEST(SimReplay, LaneDmasAndOpsGiveTheSameReports)
{
	std::vector<std::string> traces = every_trace();
	ASSERT_GE(traces.size(), 30u);
	std::vector<std::pair<std::string, std::string>> runs;
	for (const std::string &t : traces)
		runs.push_back({t, "debug.bug=none"});
	runs.push_back({std::string(SIM_EXAMPLES_DIR) + "/invalidate.trace", "debug.skip_tbu_inv=on"});
	size_t stale = 0;
	for (const auto &run : runs) {
		std::string stripped = temp_path(".trace");
		write_file(stripped, strip_results(read_file(run.first), true));
		std::string base;
		int base_status = -1;
		for (const char *thread : {"sim.reader_thread=off", "sim.reader_thread=on"}) {
			std::string json = temp_path(".json");
			RunResult r = Smmusim({"replay", stripped, "--quiet", "--json", json, "--set",
					       run.second, "--set", thread});
			std::string j = read_file(json);
			unlink(json.c_str());
			EXPECT_FALSE(j.empty()) << run.first << " " << r.err;
			if (base.empty()) {
				base = j;
				base_status = r.status;
			}
			EXPECT_EQ(j, base) << run.first << " " << run.second << " " << thread;
			EXPECT_EQ(r.status, base_status) << run.first << " " << thread << r.err;
		}
		if (run.second != "debug.bug=none")
			stale += base.find("\"kind\": \"stale\"") != std::string::npos;
		unlink(stripped.c_str());
	}
	EXPECT_EQ(stale, 1u);
}

// sim.direct_dma: the SMMU module's direct path (the default) and the TBU
// socket's b_transport give the same reports and timelines, DMA for DMA,
// for every example and scenario (kernel model, ATS functions, faults,
// stalls, multi-SMMU), with memory DMI on and off (the direct path's
// downstream fallback).
TEST(SimReplay, DirectAndSocketPathsGiveTheSameReports)
{
	std::vector<std::string> traces = every_trace();
	ASSERT_GE(traces.size(), 30u);
	size_t with_dmas = 0;
	for (const std::string &t : traces) {
		for (const char *dmi : {"memory.dmi=on", "memory.dmi=off"}) {
			std::string base, base_json;
			for (const char *direct : {"sim.direct_dma=on", "sim.direct_dma=off"}) {
				std::string json = temp_path(".json"), pf = temp_path(".perfetto.json");
				RunResult r = Smmusim({"replay", t, "--quiet", "--json", json, "--perfetto", pf,
						       "--set", dmi, "--set", direct});
				std::string j = read_file(json) + read_file(pf);
				if (base.empty())
					base_json = read_file(json);
				unlink(json.c_str());
				unlink(pf.c_str());
				EXPECT_FALSE(j.empty()) << t << " " << r.err;
				if (base.empty()) {
					base = j;
					with_dmas += j.find("\"dma\": {\n    \"count\": 0,") == std::string::npos;
				}
				EXPECT_EQ(j, base) << t << " " << dmi << " " << direct;
			}
			// Without a timeline the replay's loop runs the lane's plain
			// DMAs itself (ReplayDriver::lane_dma): the same report.
			std::string json = temp_path(".json");
			RunResult r = Smmusim({"replay", t, "--quiet", "--json", json, "--set", dmi});
			EXPECT_EQ(read_file(json), base_json) << t << " " << dmi << " (no timeline)" << r.err;
			unlink(json.c_str());
		}
	}
	EXPECT_GE(with_dmas, 20u);
	// translations to PAs past memory (1G of it): bus errors either way
	std::string t = temp_path(".trace");
	write_file(t, S1With("dma nic0 addr=0x4000_0010 len=64 dir=read\n"
			     "dma nic0 addr=0x4000_0010 len=64 dir=write\n"));
	std::string base;
	for (const char *direct : {"sim.direct_dma=on", "sim.direct_dma=off"}) {
		RunResult r = Smmusim({"replay", t, "--quiet", "--json", "-", "--set", "memory.size=1G",
				       "--set", direct});
		EXPECT_NE(r.out.find("\"bus_errors\": 2"), std::string::npos) << direct << r.out;
		if (base.empty())
			base = r.out;
		EXPECT_EQ(r.out, base) << direct;
	}
	unlink(t.c_str());
}

TEST(SimReplay, FailedAssertionNamesLineExpectedAndActual)
{
	std::string bad = "dma nic0 addr=0x4000_0010 len=64 dir=read -> pa=0x8000_0099\n";
	RunResult r = ReplayText(S1With(bad + "dma nic0 addr=0x4000_0010 len=64 dir=read\n"));
	EXPECT_EQ(r.status, 4);
	EXPECT_NE(r.err.find(PosIn(bad, "pa=") +
			     " error: assertion failed: expected pa=0x80000099, got pa=0x80000010"),
		  std::string::npos) << r.err;
	EXPECT_NE(r.out.find("assertion-failed (exit 4)"), std::string::npos) << r.out;

	r = ReplayText(S1With("dma nic0 addr=0x4000_9000 len=64 dir=read -> ok\n"));
	EXPECT_EQ(r.status, 4);
	EXPECT_NE(r.err.find("expected ok, got fault=F_TRANSLATION"), std::string::npos) << r.err;

	r = ReplayText(S1With("dma nic0 addr=0x4000_0000 len=64 dir=read -> fault=F_PERMISSION\n"));
	EXPECT_EQ(r.status, 4);
	EXPECT_NE(r.err.find("expected fault=F_PERMISSION, got pa=0x80000000"), std::string::npos) << r.err;

	r = ReplayText(S1With("mmio smmu0 read 0x20 -> val=0x1\n"));
	EXPECT_EQ(r.status, 4);
	EXPECT_NE(r.err.find("expected val=0x1, got val=0xd"), std::string::npos) << r.err;

	r = ReplayText(S1With("mem read 0x1000_4000 -> u64=0x5\n"));
	EXPECT_EQ(r.status, 4);
	EXPECT_NE(r.err.find("expected u64=0x5 at 0x10004000, got 0x4"), std::string::npos) << r.err;

	r = ReplayText(S1With("expect stat dma.count == 2\n"));
	EXPECT_EQ(r.status, 4);
	EXPECT_NE(r.err.find(PosIn("expect", "expect") +
			     " error: assertion failed: expected dma.count == 2, got 0"),
		  std::string::npos) << r.err;
}

TEST(SimReplay, ResultsBindVariablesForLaterRecords)
{
	RunResult r = ReplayText(S1With("dma nic0 addr=0x4000_0010 len=64 dir=read -> pa=$p\n"
					"mem write $p u64=0x77\n"
					"mem read 0x8000_0010 -> u64=0x77\n"
					"mmio smmu0 read 0x20 -> val=$cr0\n"
					"mmio smmu0 write 0x20 val=$cr0\n"
					// a bound variable as the value of expect stat
					"mem read 0x9000_0000 -> u64=$zero\n"
					"expect stat events.count == $zero\n"));
	EXPECT_EQ(r.status, 0) << r.err;
	r = ReplayText(S1With("mem write 0x9000_0000 u64=5\nmem read 0x9000_0000 -> u64=$five\n"
			      "expect stat events.count == $five\n"));
	EXPECT_EQ(r.status, 4) << r.err;
	EXPECT_NE(r.err.find("expected events.count == 5, got 0"), std::string::npos) << r.err;
}

TEST(SimReplay, StampsWaitUntilTheirTime)
{
	RunResult r = ReplayText(S1With("@50us dma nic0 addr=0x4000_0010 len=64 dir=read\n"
					"expect stat sim_time_ns >= 50us\n"
					"expect stat sim_time_ns <= 51us\n"
					"wait 10us\n"
					"expect stat sim_time_ns >= 60us\n"));
	EXPECT_EQ(r.status, 0) << r.err;
}

TEST(SimReplay, AssertionsAndMalformedRecordsDecideTheStatus)
{
	// An ATS Translation Request before the SMMU is enabled: Unsupported
	// Request (an `ats` record is no longer "not supported yet").
	RunResult r = ReplayText("smmutrace 1\ndevice d smmu=smmu0 sid=1 ats=on\n"
				 "ats d translate addr=0x1000 -> status=ca\n");
	EXPECT_EQ(r.status, 4);
	EXPECT_NE(r.err.find(":3:32: error: assertion failed: expected status=ca, got ur"),
		  std::string::npos)
	    << r.err;

	// A bare-metal trace runs the stale check: an expected violation that
	// did not happen fails as an assertion.
	r = ReplayText("smmutrace 1\nexpect isolation\nexpect violation stale\n");
	EXPECT_EQ(r.status, 4);
	EXPECT_NE(r.err.find(":3:1: error: assertion failed: expected 1 stale violation(s), found 0"),
		  std::string::npos)
	    << r.err;

	// ... but a malformed record later still makes the trace malformed.
	r = ReplayText("smmutrace 1\ndevice d smmu=smmu0 sid=1 ats=on\nats d translate addr=0x1000\nwait 5\n");
	EXPECT_EQ(r.status, 2);
	EXPECT_NE(r.err.find(":4:6:"), std::string::npos) << r.err;
}

TEST(SimReplay, SemanticErrorsAreMalformed)
{
	std::string t = "expect stat dma.nope == 1\n";
	RunResult r = ReplayText(S1With(t));
	EXPECT_EQ(r.status, 2);
	EXPECT_NE(r.err.find(PosIn(t, "dma.nope") + " error: expect stat: unknown statistic 'dma.nope'"),
		  std::string::npos) << r.err;
	t = "dma nic0 addr=0x4000_0010 len=64 dir=read -> fault=F_NOPE\n";
	r = ReplayText(S1With(t));
	EXPECT_EQ(r.status, 2);
	EXPECT_NE(r.err.find(PosIn(t, "F_NOPE") + " error: dma: unknown event 'F_NOPE'"), std::string::npos)
		<< r.err;
	t = "cpu tlbi NOPE\n";
	r = ReplayText(S1With(t));
	EXPECT_EQ(r.status, 2);
	EXPECT_NE(r.err.find(PosIn(t, "NOPE")), std::string::npos) << r.err;
	r = ReplayText("smmutrace 1\nconfig nosuch=3\n");
	EXPECT_EQ(r.status, 2);
	EXPECT_NE(r.err.find(":2:8: error: unknown parameter 'nosuch'"), std::string::npos) << r.err;
	// a bad length names its value, from the writers' form and any other
	for (std::string l : {"dma nic0 addr=0x4000_0010 len=0 dir=read\n",
			      "@1us dma nic0 dir=read addr=0x4000_0010  len=0x0\n"}) {
		r = ReplayText(S1With(l));
		EXPECT_EQ(r.status, 2);
		std::string at = PosIn(l, "len=");
		at = at.substr(0, at.rfind(':', at.size() - 2) + 1) + std::to_string(l.find("len=") + 5) + ":";
		EXPECT_NE(r.err.find(at + " error: dma: len= must be at least 1"), std::string::npos)
		    << at << " " << r.err;
	}
	// two devices on one vfio node: malformed, named at the later device
	r = ReplayText("smmutrace 1\ndevice x smmu=smmu0 sid=1 cdev=/dev/vfio/devices/vfio1\n"
		       "device y smmu=smmu0 sid=2\nopen /dev/vfio/devices/vfio1 -> fd=$a\n");
	EXPECT_EQ(r.status, 2);
	EXPECT_NE(r.err.find(":3:1: error: device y: /dev/vfio/devices/vfio1 is already device x's (line 2)"),
		  std::string::npos)
	    << r.err;
	r = ReplayText("smmutrace 1\ndevice x smmu=smmu0 sid=1 group=/dev/vfio/7\n"
		       "device y smmu=smmu0 sid=2 group=/dev/vfio/7\n");
	EXPECT_EQ(r.status, 2);
	EXPECT_NE(r.err.find(":3:1: error: device y: /dev/vfio/7 is already device x's"), std::string::npos)
	    << r.err;
	// simulated time past 2^64 ps is refused, not wrapped
	t = "wait 18446744073709551ns\nwait 18446744073709551ns\n";
	r = ReplayText("smmutrace 1\n" + t);
	EXPECT_EQ(r.status, 2);
	EXPECT_NE(r.err.find(":3:6: error: wait: simulated time would pass 2^64 ps"), std::string::npos)
	    << r.err;
}

TEST(SimReplay, CommandLineWinsOverTheTrace)
{
	std::string t = "smmutrace 1\nconfig tbus=2\nsmmu smmu0 t.clock_mhz=500\n"
			"expect stat smmu0.tbus == 3\nexpect stat smmu0.clock_mhz == 800\n";
	RunResult r = ReplayText(t);
	EXPECT_EQ(r.status, 4) << r.err;
	r = ReplayText(t, {"--set", "tbus=3", "--set", "smmu0.t.clock_mhz=800"});
	EXPECT_EQ(r.status, 0) << r.err;
	r = ReplayText(t, {"--set", "tbus=3", "--set", "t.clock_mhz=800"});
	EXPECT_EQ(r.status, 0) << r.err;
	r = ReplayText(t, {"--set", "nosuch=1"});
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find("unknown parameter 'nosuch'"), std::string::npos) << r.err;
}

TEST(SimReplay, OtherCommands)
{
	RunResult r = Smmusim({"params"});
	EXPECT_EQ(r.status, 0);
	for (const char *p : {"memory.size", "memory.latency_ns", "sim.quantum_ns", "tlb.entries",
			      "t.clock_mhz", "uncalibrated", "MMU-700"})
		EXPECT_NE(r.out.find(p), std::string::npos) << p;
	r = Smmusim({"check", kS1});
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_NE(r.out.find(": ok: 53 records"), std::string::npos) << r.out;
	r = Smmusim({"dump", kS1});
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out.rfind("smmutrace 1\ndevice nic0 smmu=smmu0 sid=1\n", 0), 0u) << r.out;
	r = Smmusim({"--help"});
	EXPECT_EQ(r.status, 0);
	EXPECT_NE(r.out.find("usage: smmusim"), std::string::npos);
	// each command's own --help (or -h): its usage on stdout, status 0
	for (std::vector<std::string> c :
	     {std::vector<std::string>{"replay"}, {"check"}, {"dump"}, {"compare"}, {"record"},
	      {"params"}, {"sweep"}, {"gen"}, {"gen", "dma"}, {"gen", "stream"}}) {
		for (const char *h : {"--help", "-h"}) {
			std::vector<std::string> a = c;
			a.push_back(h);
			r = Smmusim(a);
			EXPECT_EQ(r.status, 0) << c[0] << " " << h << ": " << r.err;
			EXPECT_NE(r.out.find("usage: smmusim"), std::string::npos) << c[0] << " " << h;
			EXPECT_EQ(r.err, "") << c[0] << " " << h;
		}
	}
	// a trace read from standard input is named <stdin> in the replay's
	// errors as in the reader's
	std::string bad = temp_path(".trace");
	write_file(bad, "smmutrace 1\ndevice d smmu=smmu0 sid=1\ndma d addr=0x1000 len=0 dir=read\n");
	RunResult piped = run("/bin/sh", {"-c", std::string("'") + SMMUSIM_EXE + "' replay - < '" + bad + "'"});
	unlink(bad.c_str());
	EXPECT_EQ(piped.status, 2);
	EXPECT_NE(piped.err.find("<stdin>:3:23: error: dma: len= must be at least 1"), std::string::npos)
	    << piped.err;
	EXPECT_EQ(Smmusim({}).status, 1);
	EXPECT_EQ(Smmusim({"frobnicate"}).status, 1);
	EXPECT_EQ(Smmusim({"replay"}).status, 1);
	EXPECT_EQ(Smmusim({"replay", kS1, "--set", "novalue"}).status, 1);
	EXPECT_EQ(Smmusim({"replay", "/nonexistent/x.trace"}).status, 1);
	EXPECT_EQ(Smmusim({"replay", kS1, "--perfetto"}).status, 1) << "--perfetto needs a file";
	EXPECT_EQ(Smmusim({"replay", kS1, "--perfetto", "/nonexistent/dir/t.json"}).status, 1)
		<< "an unwritable timeline is an I/O error";
}

// fault=EVENT holds when the SMMU raised that event, recorded or not; with
// the event queue disabled the same DMA is also an abort (nothing recorded).
TEST(SimReplay, FaultAssertionHoldsWhenTheQueueCannotRecord)
{
	const std::string tail = "mmio smmu0 write 0x20 val=0x9\n" // CR0: SMMUEN|CMDQEN, EVENTQEN off
				 "dma nic0 addr=0x5000_0000 len=64 dir=read -> fault=F_TRANSLATION\n"
				 "dma nic0 addr=0x5000_0000 len=64 dir=read -> abort\n"
				 "expect stat events.F_TRANSLATION.recorded == 0\n"
				 "expect stat events.F_TRANSLATION.dropped == 2\n";
	RunResult r = ReplayText(S1With(tail));
	EXPECT_EQ(r.status, 0) << r.err << r.out;
	RunResult w = ReplayText(S1With("dma nic0 addr=0x5000_0000 len=64 dir=read -> fault=F_PERMISSION\n"));
	EXPECT_EQ(w.status, 4) << w.err;
	EXPECT_NE(w.err.find("expected fault=F_PERMISSION, got fault=F_TRANSLATION"), std::string::npos)
		<< w.err;
}
