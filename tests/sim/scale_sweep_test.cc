// scale_sweep_test.cc - smmusim sweep: a plan's jobs run as local processes
// and through GNU parallel (Debian `parallel`) give identical tables; the
// emitted Slurm array script is valid bash with one array task per job and
// the same commands as the local run; --collect reports a job that failed or
// left no report; a malformed plan names its line and column. Labels: sim,
// scale.
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include "json.h"
#include "run_util.h"
#include "sc_gtest_main.h"

namespace
{

std::string Plan(const std::string &extra_trace = "")
{
	std::string p = temp_path(".plan.json");
	std::string ex = SIM_EXAMPLES_DIR;
	write_file(p, "{\"traces\": [\"" + ex + "/s1_basic.trace\", \"" + ex + "/default.trace\"" +
	                  (extra_trace.empty() ? "" : ", \"" + extra_trace + "\"") +
	                  "],\n \"grid\": {\"t.mem_read\": [50, 100]},\n"
	                  " \"metrics\": [\"sim_time_ns\", \"dma.latency_ns.p99\", \"status\"]}\n");
	return p;
}

std::string Dir()
{
	std::string d = temp_path(".sweep");
	return d;
}

std::vector<std::string> Lines(const std::string &text)
{
	std::vector<std::string> out;
	std::istringstream in(text);
	for (std::string l; std::getline(in, l);)
		out.push_back(l);
	return out;
}

std::string Replace(std::string s, const std::string &from, const std::string &to)
{
	for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
		s.replace(p, from.size(), to);
	return s;
}

TEST(Sweep, LocalAndGnuParallelTablesAreIdentical)
{
	std::string plan = Plan(), a = Dir(), b = Dir();
	RunResult r = run(SMMUSIM_EXE, {"sweep", plan, "-j", "2", "--out", a});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_NE(r.out.find("4 jobs, 0 failed"), std::string::npos) << r.out;
	r = run(SMMUSIM_EXE, {"sweep", plan, "-j", "2", "--out", b, "--emit", "parallel"});
	ASSERT_EQ(r.status, 0) << r.err;
	std::string cmd = "parallel --jobs 2 < '" + b + "/jobs.txt' >/dev/null 2>&1";
	ASSERT_EQ(std::system(cmd.c_str()), 0) << "GNU parallel (Debian `parallel`) must be installed";
	r = run(SMMUSIM_EXE, {"sweep", "--collect", b});
	ASSERT_EQ(r.status, 0) << r.err;
	std::string ta = read_file(a + "/results.csv"), tb = read_file(b + "/results.csv");
	EXPECT_FALSE(ta.empty());
	EXPECT_EQ(ta, tb);
	// one row per job, the plan's grid and metrics as columns
	std::vector<std::string> rows = Lines(ta);
	ASSERT_EQ(rows.size(), 5u);
	EXPECT_EQ(rows[0], "job,trace,t.mem_read,exit_status,sim_time_ns,dma.latency_ns.p99,status");
	EXPECT_NE(rows[1].find(",50,0,"), std::string::npos);
	EXPECT_NE(rows[2].find(",100,0,"), std::string::npos);
	// rerunning a job gives its row again (deterministic)
	std::string job1 = Lines(read_file(a + "/jobs.txt"))[1];
	ASSERT_EQ(std::system(job1.c_str()), 0);
	r = run(SMMUSIM_EXE, {"sweep", "--collect", a});
	EXPECT_EQ(read_file(a + "/results.csv"), ta);
	unlink(plan.c_str());
}

// --emit parallel --sshloginfile FILE: the script spreads the jobs over the
// file's hosts (SSHLOGINFILE overrides it). ":" is GNU parallel's name for the
// local machine, so the same path runs here without ssh and gives the local
// table; -j becomes parallel's --jobs (per host), and without -j parallel's
// own default stands.
TEST(Sweep, GnuParallelOverAnSshLoginFile)
{
	std::string plan = Plan(), local = Dir(), pd = Dir(), hosts = temp_path(".hosts");
	write_file(hosts, ":\n");
	ASSERT_EQ(run(SMMUSIM_EXE, {"sweep", plan, "--out", local}).status, 0);
	RunResult r = run(SMMUSIM_EXE,
			  {"sweep", plan, "-j", "2", "--out", pd, "--emit", "parallel", "--sshloginfile", hosts});
	ASSERT_EQ(r.status, 0) << r.err;
	std::string sh = read_file(pd + "/run-parallel.sh");
	EXPECT_NE(sh.find("SSHLOGINFILE=${SSHLOGINFILE:-'" + hosts + "'}"), std::string::npos) << sh;
	EXPECT_NE(sh.find("parallel --jobs 2 "), std::string::npos) << sh;
	ASSERT_EQ(std::system(("'" + pd + "/run-parallel.sh' >/dev/null 2>&1").c_str()), 0);
	ASSERT_EQ(run(SMMUSIM_EXE, {"sweep", "--collect", pd}).status, 0);
	EXPECT_EQ(read_file(pd + "/results.csv"), read_file(local + "/results.csv"));
	// without -j: no --jobs, parallel's one job per core of each host
	std::string d2 = Dir();
	ASSERT_EQ(run(SMMUSIM_EXE, {"sweep", plan, "--out", d2, "--emit", "parallel"}).status, 0);
	sh = read_file(d2 + "/run-parallel.sh");
	EXPECT_EQ(sh.find("--jobs"), std::string::npos) << sh;
	EXPECT_EQ(sh.find("SSHLOGINFILE=$"), std::string::npos) << sh;
	// a login file that cannot be read, or one without --emit parallel
	r = run(SMMUSIM_EXE, {"sweep", plan, "--out", Dir(), "--emit", "parallel", "--sshloginfile",
			      "/nonexistent/hosts"});
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find("cannot read --sshloginfile /nonexistent/hosts"), std::string::npos) << r.err;
	r = run(SMMUSIM_EXE, {"sweep", plan, "--out", Dir(), "--sshloginfile", hosts});
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find("--sshloginfile goes with --emit parallel"), std::string::npos) << r.err;
	unlink(plan.c_str());
	unlink(hosts.c_str());
}

TEST(Sweep, TheSlurmArrayScriptIsValidAndRunsTheSameJobs)
{
	std::string plan = Plan(), local = Dir(), sl = Dir();
	ASSERT_EQ(run(SMMUSIM_EXE, {"sweep", plan, "--out", local}).status, 0);
	RunResult r = run(SMMUSIM_EXE, {"sweep", plan, "--out", sl, "--emit", "slurm"});
	ASSERT_EQ(r.status, 0) << r.err;
	std::string script = read_file(sl + "/sweep.sbatch");
	EXPECT_NE(script.find("#SBATCH --array=0-3\n"), std::string::npos) << script;
	EXPECT_EQ(std::system(("bash -n '" + sl + "/sweep.sbatch'").c_str()), 0);
	// one command per job, the local run's with the other directory
	std::vector<std::string> a = Lines(read_file(local + "/jobs.txt"));
	std::vector<std::string> b = Lines(read_file(sl + "/jobs.txt"));
	ASSERT_EQ(a.size(), 4u);
	ASSERT_EQ(b.size(), 4u);
	for (size_t i = 0; i < a.size(); i++)
		EXPECT_EQ(Replace(b[i], sl, local), a[i]);
	// an array task runs its line: task 2 writes job-0002's report
	std::string task = "SLURM_ARRAY_TASK_ID=2 bash '" + sl + "/sweep.sbatch'";
	EXPECT_EQ(std::system(task.c_str()), 0);
	EXPECT_FALSE(read_file(sl + "/job-0002.json").empty());
	unlink(plan.c_str());
}

TEST(Sweep, CollectReportsFailedJobs)
{
	std::string plan = Plan("/nonexistent/x.trace"), d = Dir();
	RunResult r = run(SMMUSIM_EXE, {"sweep", plan, "-j", "2", "--out", d});
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.out.find("6 jobs, 2 failed"), std::string::npos) << r.out;
	EXPECT_NE(r.err.find("job-0004 (/nonexistent/x.trace): exit status 1"), std::string::npos)
	    << r.err;
	std::vector<std::string> rows = Lines(read_file(d + "/results.csv"));
	ASSERT_EQ(rows.size(), 7u);
	EXPECT_NE(rows[5].find(",50,1,,,"), std::string::npos) << rows[5];
	// a job whose report went missing
	unlink((d + "/job-0000.json").c_str());
	r = run(SMMUSIM_EXE, {"sweep", "--collect", d});
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find("job-0000"), std::string::npos);
	EXPECT_NE(r.err.find("no report"), std::string::npos);
	unlink(plan.c_str());
}

// A metric that no job's report has (a mistyped path) is named on stderr; its
// column stays empty and the sweep's status is the jobs' own.
TEST(Sweep, CollectWarnsOfAMetricNoReportHas)
{
	std::string p = temp_path(".plan.json"), d = Dir();
	std::string ex = SIM_EXAMPLES_DIR;
	write_file(p, "{\"traces\": [\"" + ex + "/s1_basic.trace\"],\n"
	              " \"metrics\": [\"sim_time_ns\", \"dma.latency_ns.p999x\"]}\n");
	RunResult r = run(SMMUSIM_EXE, {"sweep", p, "--out", d});
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_NE(r.err.find("warning: metric 'dma.latency_ns.p999x' is in none of the 1 reports"),
		  std::string::npos)
	    << r.err;
	EXPECT_EQ(r.err.find("'sim_time_ns'"), std::string::npos) << r.err;
	std::vector<std::string> rows = Lines(read_file(d + "/results.csv"));
	ASSERT_EQ(rows.size(), 2u);
	EXPECT_EQ(rows[1].back(), ',') << rows[1];
	// no report at all (every job failed): the failures are what is said
	unlink((d + "/job-0000.json").c_str());
	r = run(SMMUSIM_EXE, {"sweep", "--collect", d});
	EXPECT_EQ(r.status, 1);
	EXPECT_EQ(r.err.find("warning: metric"), std::string::npos) << r.err;
	unlink(p.c_str());
}

// Plans that would run something else than written are refused: a misspelt
// section, one parameter named twice (quoted and dotted; in one set), a grid
// of more jobs than a machine can list. --collect takes a report only if it
// is one (an object), and a status file only if it holds a status.
TEST(Sweep, PlansThatWouldRunSomethingElseAreRefused)
{
	std::string ex = SIM_EXAMPLES_DIR;
	std::string tr = "[\"" + ex + "/s1_basic.trace\"]";
	struct Case {
		const char *ext;
		std::string text, want;
	} cases[] = {
	    {".json", "{\"traces\": " + tr + ", \"gird\": {\"t.mem_read\": [1]}}", "unknown key \"gird\""},
	    {".json", "{\"traces\": " + tr + ", \"grid\": {\"policy\": {\"vmid\": [\"split\"]}, "
	              "\"policy.vmid\": [\"shared\"]}}", "grid key \"policy.vmid\" is given twice"},
	    {".toml", "traces = " + tr + "\n[grid]\npolicy.vmid = [\"split\"]\n\"policy.vmid\" = [\"shared\"]\n",
	     "grid key \"policy.vmid\" is given twice"},
	    {".json", "{\"traces\": " + tr + ", \"sets\": [{\"a\": {\"b\": 1}, \"a.b\": 2}]}", "a set names \"a.b\" twice"},
	    {".json", "{\"traces\": " + tr + ", \"grid\": {\"k1\": [1,2,3,4,5,6,7,8,9,10], "
	              "\"k2\": [1,2,3,4,5,6,7,8,9,10], \"k3\": [1,2,3,4,5,6,7,8,9,10], "
	              "\"k4\": [1,2,3,4,5,6,7,8,9,10], \"k5\": [1,2,3,4,5,6,7,8,9,10], "
	              "\"k6\": [1,2,3,4,5,6,7,8,9,10], \"k7\": [1,2,3,4,5,6,7,8,9,10]}}",
	     "more than 1000000 jobs"},
	};
	for (const Case &c : cases) {
		std::string p = temp_path(c.ext);
		write_file(p, c.text);
		RunResult r = run(SMMUSIM_EXE, {"sweep", p, "--out", Dir(), "--emit", "parallel"});
		EXPECT_EQ(r.status, 1) << c.text;
		EXPECT_NE(r.err.find(c.want), std::string::npos) << c.text << "\n" << r.err;
		unlink(p.c_str());
	}
	// --collect: a JSON that is not a report, a status that is not a number
	std::string plan = Plan(), d = Dir();
	ASSERT_EQ(run(SMMUSIM_EXE, {"sweep", plan, "--out", d}).status, 0);
	write_file(d + "/job-0000.json", "[1]");
	write_file(d + "/job-0001.status", "garbage\n");
	RunResult r = run(SMMUSIM_EXE, {"sweep", "--collect", d});
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find("job-0000"), std::string::npos) << r.err;
	EXPECT_NE(r.err.find("job-0001"), std::string::npos) << r.err;
	smmusim::json::Value v;
	smmusim::json::Error e;
	EXPECT_TRUE(smmusim::json::parse(read_file(d + "/results.json"), v, e)) << e.what;
	unlink(plan.c_str());
}

TEST(Sweep, MalformedPlansNameTheirPosition)
{
	std::string p = temp_path(".plan.json");
	write_file(p, "{\"traces\": [\"a.trace\"],\n \"grid\": {\"x\": [1,]}}\n");
	RunResult r = run(SMMUSIM_EXE, {"sweep", p, "--out", Dir()});
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find(p + ":2:"), std::string::npos) << r.err;
	write_file(p, "{\"grid\": {}}\n");
	r = run(SMMUSIM_EXE, {"sweep", p, "--out", Dir()});
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find("\"traces\""), std::string::npos) << r.err;
	unlink(p.c_str());
}

} // namespace
