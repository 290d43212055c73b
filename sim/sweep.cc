// sweep.cc - smmusim sweep (see sweep.h).
#include "sweep.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "json.h"
#include "toml.h"

namespace smmusim {

namespace {

using json::Value;

const char kSweepUsage[] =
	"usage: smmusim sweep PLAN [-j N] [--out DIR] [--emit parallel [--sshloginfile FILE] | --emit slurm]\n"
	"                                                          (PLAN: JSON or TOML)\n"
	"       smmusim sweep --collect DIR\n";

int sweep_error(std::ostream &err, const std::string &what)
{
	err << "smmusim sweep: error: " << what << "\n" << kSweepUsage;
	return 1;
}

struct Job {
	std::string trace;
	std::vector<std::pair<std::string, std::string>> sets;
};

struct Plan {
	std::vector<std::string> traces, keys, metrics;
	std::vector<Job> jobs;
};

std::string shq(const std::string &s)
{
	std::string o = "'";
	for (char c : s) {
		if (c == '\'')
			o += "'\\''";
		else
			o += c;
	}
	return o + "'";
}

std::string value_text(const Value &v)
{
	switch (v.kind) {
	case Value::String:
	case Value::Number:
		return v.text;
	case Value::Bool:
		return v.b ? "on" : "off";
	default:
		return "";
	}
}

std::string self_exe()
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	return n > 0 ? std::string(buf, (size_t)n) : std::string("smmusim");
}

std::string abs_path(const std::string &p, const std::string &base_dir)
{
	if (!p.empty() && p[0] == '/')
		return p;
	std::string b = base_dir;
	if (b.empty() || b[0] != '/') {
		char cwd[4096];
		if (getcwd(cwd, sizeof(cwd)))
			b = std::string(cwd) + (b.empty() ? "" : "/" + b);
	}
	return b + "/" + p;
}

std::string job_name(size_t k)
{
	char b[32];
	snprintf(b, sizeof(b), "job-%04zu", k);
	return b;
}

// A plan file is TOML when its name ends in .toml, JSON when it ends in
// .json, and otherwise JSON when its first character (after blanks) is `{`
// (a JSON plan is an object; a TOML document never starts with `{`).
bool plan_is_toml(const std::string &path, const std::string &text)
{
	auto ends = [&](const char *ext) {
		size_t n = std::strlen(ext);
		return path.size() >= n && path.compare(path.size() - n, n, ext) == 0;
	};
	if (ends(".toml"))
		return true;
	if (ends(".json"))
		return false;
	size_t p = text.find_first_not_of(" \t\r\n");
	return p == std::string::npos || text[p] != '{';
}

bool parse_plan_file(const std::string &path, Value &v, std::string &why)
{
	std::ifstream f(path, std::ios::binary);
	json::Error e;
	if (!f) {
		why = json::format_error(path, json::Error{0, 0, "cannot open the file"});
		return false;
	}
	std::ostringstream ss;
	ss << f.rdbuf();
	std::string text = ss.str();
	bool ok = plan_is_toml(path, text) ? toml::parse(text, v, e) : json::parse(text, v, e);
	if (!ok)
		why = json::format_error(path, e);
	return ok;
}

// Settings as KEY -> value: nested objects name their keys with dots, so
// that TOML's dotted keys (`policy.vmid = [...]` in [grid] is the table
// policy holding vmid) and {"policy": {"vmid": [...]}} both mean the
// parameter policy.vmid.
void flatten(const Value &obj, const std::string &prefix,
	     std::vector<std::pair<std::string, const Value *>> &out)
{
	for (const auto &m : obj.members) {
		if (m.second.kind == Value::Object)
			flatten(m.second, prefix + m.first + ".", out);
		else
			out.emplace_back(prefix + m.first, &m.second);
	}
}

// The most jobs one plan may make (a 10-key grid of 10 values each would be
// 10^10 command lines).
constexpr size_t kMaxJobs = 1000000;

// The plan: traces x (grid product + listed sets).
bool read_plan(const std::string &path, Plan &plan, std::string &why)
{
	Value v;
	if (!parse_plan_file(path, v, why))
		return false;
	if (v.kind != Value::Object) {
		why = path + ": the plan must be an object (JSON) or a table (TOML)";
		return false;
	}
	std::string dir = path.rfind('/') == std::string::npos ? "" : path.substr(0, path.rfind('/'));
	// A misspelt section (`gird`) would silently give a plan without it.
	for (const auto &m : v.members)
		if (m.first != "traces" && m.first != "grid" && m.first != "sets" && m.first != "metrics") {
			why = path + ": unknown key \"" + m.first + "\" (a plan has traces, grid, sets, metrics)";
			return false;
		}
	const Value *t = v.get("traces");
	if (!t || t->kind != Value::Array || t->items.empty()) {
		why = path + ": \"traces\" must be a non-empty list of trace paths";
		return false;
	}
	for (const Value &x : t->items) {
		if (x.kind != Value::String) {
			why = path + ": \"traces\" holds a non-string";
			return false;
		}
		plan.traces.push_back(abs_path(x.text, dir));
	}
	std::vector<std::vector<std::pair<std::string, std::string>>> combos{{}};
	if (const Value *g = v.get("grid")) {
		if (g->kind != Value::Object) {
			why = path + ": \"grid\" must be an object of lists";
			return false;
		}
		std::vector<std::pair<std::string, const Value *>> keys;
		flatten(*g, "", keys);
		for (const auto &m : keys) {
			if (m.second->kind != Value::Array || m.second->items.empty()) {
				why = path + ": grid key \"" + m.first + "\" needs a non-empty list";
				return false;
			}
			for (const auto &k : plan.keys)
				if (k == m.first) {
					why = path + ": grid key \"" + m.first + "\" is given twice (dotted and quoted, or nested and dotted, name one parameter)";
					return false;
				}
			plan.keys.push_back(m.first);
			// Every combination is a job: stop before the plan outgrows memory.
			if (combos.size() * m.second->items.size() * plan.traces.size() > kMaxJobs) {
				why = path + ": the grid makes more than " + std::to_string(kMaxJobs) +
				      " jobs; split the sweep";
				return false;
			}
			std::vector<std::vector<std::pair<std::string, std::string>>> next;
			for (const auto &c : combos)
				for (const Value &x : m.second->items) {
					auto n = c;
					n.emplace_back(m.first, value_text(x));
					next.push_back(n);
				}
			combos = next;
		}
	}
	if (const Value *s = v.get("sets")) {
		if (s->kind != Value::Array) {
			why = path + ": \"sets\" must be a list of objects";
			return false;
		}
		if (!v.get("grid"))
			combos.clear();
		for (const Value &o : s->items) {
			if (o.kind != Value::Object) {
				why = path + ": \"sets\" holds a non-object";
				return false;
			}
			std::vector<std::pair<std::string, std::string>> c;
			std::vector<std::pair<std::string, const Value *>> kv;
			flatten(o, "", kv);
			for (const auto &m : kv) {
				for (const auto &prev : c)
					if (prev.first == m.first) {
						why = path + ": a set names \"" + m.first + "\" twice";
						return false;
					}
				c.emplace_back(m.first, value_text(*m.second));
				bool known = false;
				for (const auto &k : plan.keys)
					known |= k == m.first;
				if (!known)
					plan.keys.push_back(m.first);
			}
			combos.push_back(c);
		}
		if (combos.empty())
			combos.push_back({});
	}
	if (const Value *m = v.get("metrics")) {
		if (m->kind != Value::Array) {
			why = path + ": \"metrics\" must be a list of report paths";
			return false;
		}
		for (const Value &x : m->items)
			if (x.kind == Value::String)
				plan.metrics.push_back(x.text);
	}
	if (combos.size() * plan.traces.size() > kMaxJobs) {
		why = path + ": the plan makes more than " + std::to_string(kMaxJobs) + " jobs; split the sweep";
		return false;
	}
	for (const auto &tr : plan.traces)
		for (const auto &c : combos)
			plan.jobs.push_back({tr, c});
	return true;
}

std::string job_command(const std::string &exe, const std::string &dir, size_t k, const Job &j)
{
	std::string base = dir + "/" + job_name(k);
	std::string c = shq(exe) + " replay " + shq(j.trace) + " --quiet --json " + shq(base + ".json");
	for (const auto &s : j.sets)
		c += " --set " + shq(s.first + "=" + s.second);
	c += " >" + shq(base + ".out") + " 2>&1; echo $? >" + shq(base + ".status");
	return c;
}

bool write_text(const std::string &path, const std::string &text)
{
	std::ofstream f(path, std::ios::binary | std::ios::trunc);
	f << text;
	return (bool)f;
}

// DIR/plan.json: what --collect needs.
std::string plan_json(const Plan &p)
{
	std::string o = "{\n  \"keys\": [";
	for (size_t i = 0; i < p.keys.size(); i++)
		o += (i ? ", " : "") + json::quote(p.keys[i]);
	o += "],\n  \"metrics\": [";
	for (size_t i = 0; i < p.metrics.size(); i++)
		o += (i ? ", " : "") + json::quote(p.metrics[i]);
	o += "],\n  \"jobs\": [";
	for (size_t k = 0; k < p.jobs.size(); k++) {
		o += std::string(k ? "," : "") + "\n    {\"trace\": " + json::quote(p.jobs[k].trace) +
		     ", \"settings\": {";
		for (size_t i = 0; i < p.jobs[k].sets.size(); i++)
			o += (i ? ", " : "") + json::quote(p.jobs[k].sets[i].first) + ": " +
			     json::quote(p.jobs[k].sets[i].second);
		o += "}}";
	}
	return o + "\n  ]\n}\n";
}

const Value *at_path(const Value &root, const std::string &dotted)
{
	const Value *v = &root;
	size_t i = 0;
	while (v && i <= dotted.size()) {
		size_t j = dotted.find('.', i);
		std::string key = dotted.substr(i, j == std::string::npos ? std::string::npos : j - i);
		v = v->get(key);
		if (j == std::string::npos)
			break;
		i = j + 1;
	}
	return v;
}

std::string csv(const std::string &s)
{
	if (s.find_first_of(",\"\n") == std::string::npos)
		return s;
	std::string o = "\"";
	for (char c : s)
		o += c == '"' ? std::string("\"\"") : std::string(1, c);
	return o + "\"";
}

int collect(const std::string &dir, std::ostream &out, std::ostream &err)
{
	Value plan;
	json::Error e;
	if (!json::parse_file(dir + "/plan.json", plan, e)) {
		err << "smmusim sweep: error: " << json::format_error(dir + "/plan.json", e) << "\n";
		return 1;
	}
	std::vector<std::string> keys, metrics;
	for (const Value &k : plan.get("keys") ? plan.get("keys")->items : std::vector<Value>{})
		keys.push_back(k.text);
	for (const Value &m : plan.get("metrics") ? plan.get("metrics")->items : std::vector<Value>{})
		metrics.push_back(m.text);
	const Value *jobs = plan.get("jobs");
	if (!jobs || jobs->kind != Value::Array) {
		err << "smmusim sweep: error: " << dir << "/plan.json has no jobs\n";
		return 1;
	}
	std::string c = "job,trace";
	for (const auto &k : keys)
		c += "," + csv(k);
	c += ",exit_status";
	for (const auto &m : metrics)
		c += "," + csv(m);
	c += "\n";
	std::string j = "{\n  \"jobs\": [";
	size_t failed = 0, reports = 0;
	std::vector<bool> metric_seen(metrics.size(), false);
	for (size_t k = 0; k < jobs->items.size(); k++) {
		const Value &job = jobs->items[k];
		std::string base = dir + "/" + job_name(k);
		std::string st;
		std::ifstream sf(base + ".status");
		std::getline(sf, st);
		Value rep;
		json::Error re;
		bool have = json::parse_file(base + ".json", rep, re) && rep.kind == Value::Object;
		reports += have;
		// a status file holds the job's exit status, a number; anything
		// else did not come from the job line
		bool numeric = !st.empty() && st.find_first_not_of("0123456789") == std::string::npos &&
			       st.size() < 4;
		if (!st.empty() && !numeric)
			st.clear();
		std::string status = st.empty() ? "not-run" : st;
		bool bad = !have || st.empty() || st == "1" || st == "2" || std::atoi(st.c_str()) > 5;
		if (bad) {
			failed++;
			err << "smmusim sweep: " << job_name(k) << " (" << job.get("trace")->text
			    << "): " << (st.empty() ? "did not run" : "exit status " + st)
			    << (have ? "" : ", no report") << "; its output: " << base << ".out\n";
		}
		c += std::to_string(k) + "," + csv(job.get("trace")->text);
		j += std::string(k ? "," : "") + "\n    {\"job\": " + std::to_string(k) +
		     ", \"trace\": " + json::quote(job.get("trace")->text) + ", \"settings\": {";
		const Value *sets = job.get("settings");
		for (size_t i = 0; i < keys.size(); i++) {
			const Value *sv = sets ? sets->get(keys[i]) : nullptr;
			std::string s = sv ? sv->text : "";
			c += "," + csv(s);
			j += (i ? ", " : "") + json::quote(keys[i]) + ": " + json::quote(s);
		}
		c += "," + status;
		j += "}, \"exit_status\": " + (st.empty() ? std::string("null") : st) + ", \"metrics\": {";
		for (size_t i = 0; i < metrics.size(); i++) {
			const Value *mv = have ? at_path(rep, metrics[i]) : nullptr;
			if (mv)
				metric_seen[i] = true;
			std::string s = mv ? (mv->kind == Value::Number ? mv->text : value_text(*mv)) : "";
			c += "," + csv(s);
			j += (i ? ", " : "") + json::quote(metrics[i]) + ": " +
			     (mv && mv->kind == Value::Number ? mv->text
			      : mv                            ? json::quote(s)
			                                      : std::string("null"));
		}
		c += "\n";
		j += "}}";
	}
	j += "\n  ]\n}\n";
	// A metric no report has is most likely a mistyped path: its column
	// stays empty, and saying so here saves reading the table to find out.
	for (size_t i = 0; i < metrics.size(); i++)
		if (reports && !metric_seen[i])
			err << "smmusim sweep: warning: metric '" << metrics[i] << "' is in none of the "
			    << reports << " reports (its column is empty; paths are dotted as in "
			    << "`expect stat`, e.g. dma.latency_ns.p99)\n";
	if (!write_text(dir + "/results.csv", c) || !write_text(dir + "/results.json", j)) {
		err << "smmusim sweep: error: cannot write " << dir << "/results.*\n";
		return 1;
	}
	out << "sweep: " << jobs->items.size() << " jobs, " << failed << " failed; " << dir
	    << "/results.csv, " << dir << "/results.json\n";
	return failed ? 1 : 0;
}

// Run the job file's lines as n local processes at a time.
int run_local(const std::vector<std::string> &lines, unsigned n, std::ostream &err)
{
	size_t next = 0, done = 0, running = 0;
	bool tty = isatty(2);
	while (done < lines.size()) {
		while (running < n && next < lines.size()) {
			pid_t pid = fork();
			if (pid == 0) {
				execl("/bin/sh", "sh", "-c", lines[next].c_str(), (char *)nullptr);
				_exit(127);
			}
			if (pid < 0) {
				err << "smmusim sweep: error: cannot start a job\n";
				return 1;
			}
			next++;
			running++;
		}
		int ws = 0;
		if (wait(&ws) < 0)
			break;
		running--;
		done++;
		if (tty)
			err << "\rsweep: " << done << "/" << lines.size() << " jobs done, " << running
			    << " running   " << std::flush;
	}
	if (tty)
		err << "\n";
	return 0;
}

} // namespace

int run_sweep(const std::vector<std::string> &args, std::ostream &out, std::ostream &err)
{
	std::string plan_path, dir = "sweep-out", emit, sshlogin;
	unsigned jobs_n = 1;
	bool jobs_set = false;
	bool do_collect = false;
	for (size_t i = 0; i < args.size(); i++) {
		const std::string &a = args[i];
		if (a == "--collect" && i + 1 < args.size()) {
			do_collect = true;
			dir = args[++i];
		} else if (a == "-j" && i + 1 < args.size()) {
			int n = std::atoi(args[++i].c_str());
			if (n < 1 || n > 1024)
				return sweep_error(err, "-j expects 1..1024");
			jobs_n = (unsigned)n;
			jobs_set = true;
		} else if (a == "--sshloginfile" && i + 1 < args.size()) {
			sshlogin = args[++i];
		} else if (a == "--out" && i + 1 < args.size()) {
			dir = args[++i];
		} else if (a == "--emit" && i + 1 < args.size()) {
			emit = args[++i];
			if (emit != "parallel" && emit != "slurm")
				return sweep_error(err, "--emit expects parallel or slurm");
		} else if (a == "--help" || a == "-h") {
			out << kSweepUsage;
			return 0;
		} else if (!a.empty() && a[0] != '-' && plan_path.empty()) {
			plan_path = a;
		} else {
			return sweep_error(err, "unexpected '" + a + "'");
		}
	}
	if (do_collect)
		return collect(dir, out, err);
	if (!sshlogin.empty() && emit != "parallel")
		return sweep_error(err, "--sshloginfile goes with --emit parallel");
	std::string hosts = sshlogin.empty() ? "" : abs_path(sshlogin, "");
	if (!hosts.empty() && access(hosts.c_str(), R_OK) != 0)
		return sweep_error(err, "cannot read --sshloginfile " + sshlogin + ": " + strerror(errno));
	if (plan_path.empty())
		return sweep_error(err, "expected a PLAN file");
	Plan plan;
	std::string why;
	if (!read_plan(plan_path, plan, why)) {
		err << "smmusim sweep: error: " << why << "\n";
		return 1;
	}
	mkdir(dir.c_str(), 0755);
	struct stat sb;
	if (stat(dir.c_str(), &sb) != 0 || !S_ISDIR(sb.st_mode))
		return sweep_error(err, "cannot create " + dir);
	std::string adir = abs_path(dir, "");
	if (dir[0] == '/')
		adir = dir;
	std::string exe = self_exe();
	std::vector<std::string> lines;
	std::string jt;
	for (size_t k = 0; k < plan.jobs.size(); k++) {
		lines.push_back(job_command(exe, adir, k, plan.jobs[k]));
		jt += lines.back() + "\n";
	}
	if (!write_text(adir + "/jobs.txt", jt) || !write_text(adir + "/plan.json", plan_json(plan)))
		return sweep_error(err, "cannot write into " + adir);
	if (emit == "parallel") {
		// -j N: N jobs at a time on each host; without it GNU parallel's own
		// default, one per CPU core of each host.
		std::string jobs = jobs_set ? "--jobs " + std::to_string(jobs_n) + " " : "";
		std::string sh = "#!/bin/sh\n# GNU parallel runs the sweep's jobs (one line of jobs.txt each);\n"
		                 "# SSHLOGINFILE=FILE spreads them over those hosts (same paths there)";
		sh += hosts.empty() ? ".\n" : ";\n# without it, the hosts of " + hosts + ".\n";
		if (!hosts.empty())
			sh += "SSHLOGINFILE=${SSHLOGINFILE:-" + shq(hosts) + "}\n";
		sh += "exec parallel " + jobs + "${SSHLOGINFILE:+--sshloginfile \"$SSHLOGINFILE\"} < " +
		      shq(adir + "/jobs.txt") + "\n";
		if (!write_text(adir + "/run-parallel.sh", sh) ||
		    chmod((adir + "/run-parallel.sh").c_str(), 0755) != 0)
			return sweep_error(err, "cannot write " + adir + "/run-parallel.sh");
		out << "sweep: " << lines.size() << " jobs in " << adir << "/jobs.txt; run: parallel "
		    << jobs << (hosts.empty() ? "" : "--sshloginfile " + shq(hosts) + " ") << "< "
		    << shq(adir + "/jobs.txt") << " (or " << adir
		    << "/run-parallel.sh), then smmusim sweep --collect " << adir << "\n";
		return 0;
	}
	if (emit == "slurm") {
		std::string sb = "#!/bin/bash\n#SBATCH --job-name=smmusim-sweep\n#SBATCH --array=0-" +
		                 std::to_string(lines.size() - 1) + "\n#SBATCH --output=" + adir +
		                 "/slurm-%A_%a.out\n# One job per array task: line TASK+1 of jobs.txt.\n"
		                 "line=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" " + shq(adir + "/jobs.txt") +
		                 ")\nexec /bin/sh -c \"$line\"\n";
		if (!write_text(adir + "/sweep.sbatch", sb))
			return sweep_error(err, "cannot write " + adir + "/sweep.sbatch");
		out << "sweep: " << lines.size() << " jobs; submit: sbatch " << adir
		    << "/sweep.sbatch, then smmusim sweep --collect " << adir << "\n";
		return 0;
	}
	if (run_local(lines, jobs_n, err))
		return 1;
	return collect(adir, out, err);
}

} // namespace smmusim
