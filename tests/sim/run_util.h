// run_util.h - run the smmusim program as a subprocess (the SystemC kernel
// runs once per process, so every replay a test needs is its own process)
// and read files, for the tests of sim/.
#ifndef SMMUSIM_TESTS_SIM_RUN_UTIL_H
#define SMMUSIM_TESTS_SIM_RUN_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <algorithm>
#include <string>
#include <vector>

struct RunResult {
	int status = -1; // exit status, or -1 if it did not exit normally
	std::string out, err;
};

inline std::string read_file(const std::string &path)
{
	std::ifstream f(path, std::ios::binary);
	std::stringstream ss;
	ss << f.rdbuf();
	return ss.str();
}

inline void write_file(const std::string &path, const std::string &text)
{
	std::ofstream f(path, std::ios::binary | std::ios::trunc);
	f << text;
}

// Every name temp_path() gives is removed, file or directory tree, when the
// test program that asked for it exits (a sweep's output directory included),
// unless SMMUSIM_TEST_KEEP is set (to look at them after a failure). Forked
// children leave with _exit() and remove nothing.
class TempPaths {
public:
	~TempPaths()
	{
		const char *keep = getenv("SMMUSIM_TEST_KEEP");
		if (getpid() != owner_ || (keep && *keep))
			return;
		for (const std::string &p : paths_)
			nftw(p.c_str(), remove_one, 16, FTW_DEPTH | FTW_PHYS);
	}
	void add(const std::string &p) { paths_.push_back(p); }

private:
	static int remove_one(const char *p, const struct stat *, int, struct FTW *)
	{
		remove(p);
		return 0;
	}
	pid_t owner_ = getpid();
	std::vector<std::string> paths_;
};

// A fresh file name under TMPDIR (or /tmp), unique per call in this process.
inline std::string temp_path(const std::string &suffix)
{
	static int n = 0;
	static TempPaths made;
	const char *dir = getenv("TMPDIR");
	std::string p = std::string(dir && *dir ? dir : "/tmp") + "/smmusim_test_" +
			std::to_string(getpid()) + "_" + std::to_string(n++) + suffix;
	made.add(p);
	return p;
}

// Run exe with args; stdout and stderr captured through temporary files.
inline RunResult run(const std::string &exe, const std::vector<std::string> &args)
{
	RunResult r;
	std::string out = temp_path(".out"), err = temp_path(".err");
	pid_t pid = fork();
	if (pid == 0) {
		int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(o, 1);
		dup2(e, 2);
		std::vector<char *> argv;
		argv.push_back(const_cast<char *>(exe.c_str()));
		for (const std::string &a : args)
			argv.push_back(const_cast<char *>(a.c_str()));
		argv.push_back(nullptr);
		execv(exe.c_str(), argv.data());
		_exit(127);
	}
	int ws = 0;
	waitpid(pid, &ws, 0);
	if (WIFEXITED(ws))
		r.status = WEXITSTATUS(ws);
	r.out = read_file(out);
	r.err = read_file(err);
	unlink(out.c_str());
	unlink(err.c_str());
	return r;
}

// The *.trace files of a directory, sorted, with their directory.
inline std::vector<std::string> list_traces(const std::string &dir)
{
	std::vector<std::string> out;
	if (DIR *d = opendir(dir.c_str())) {
		while (dirent *e = readdir(d)) {
			std::string n = e->d_name;
			if (n.size() > 6 && n.compare(n.size() - 6, 6, ".trace") == 0)
				out.push_back(dir + "/" + n);
		}
		closedir(d);
	}
	std::sort(out.begin(), out.end());
	return out;
}

// Trace text without its assertions (`-> ...` results other than bindings
// `key=$var`, which later records use); with drop_expects also without its
// `expect` lines.
inline std::string strip_results(const std::string &text, bool drop_expects = false)
{
	std::string out;
	size_t pos = 0;
	while (pos < text.size()) {
		size_t nl = text.find('\n', pos);
		std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
		pos = nl == std::string::npos ? text.size() : nl + 1;
		if (drop_expects && line.rfind("expect ", 0) == 0)
			continue;
		size_t arrow = line.find(" -> ");
		if (arrow != std::string::npos) {
			std::string keep, tok;
			std::istringstream rest(line.substr(arrow + 4));
			while (rest >> tok)
				if (tok.find("=$") != std::string::npos)
					keep += " " + tok;
			line = line.substr(0, arrow) + (keep.empty() ? "" : " ->" + keep);
		}
		out += line + "\n";
	}
	return out;
}

// Replay a trace file with `--set` settings; the JSON report in *json.
inline RunResult replay_json(const std::string &exe, const std::string &trace,
			     const std::vector<std::string> &sets, std::string *json)
{
	std::string path = temp_path(".json");
	std::vector<std::string> args = {"replay", trace, "--json", path};
	for (const std::string &s : sets) {
		args.push_back("--set");
		args.push_back(s);
	}
	RunResult r = run(exe, args);
	*json = read_file(path);
	unlink(path.c_str());
	return r;
}

// Replay trace text (written to a temporary file) with smmusim `exe`; the
// JSON report goes to `json` when given.
inline RunResult replay_text(const std::string &exe, const std::string &text,
			     const std::string &json = "")
{
	std::string path = temp_path(".trace");
	write_file(path, text);
	std::vector<std::string> args = {"replay", path};
	if (!json.empty()) {
		args.push_back("--json");
		args.push_back(json);
	}
	RunResult r = run(exe, args);
	unlink(path.c_str());
	return r;
}

#endif
