// main.cc - the smmusim program: replay, check, dump, gen, record, compare, params, help.
//
// The simulation kernel runs at most once per process (only `replay` starts
// it). main() is ours rather than libsystemc's so that SystemC's banner,
// which it prints before sc_main(), stays out of the output.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include <systemc>

#include "compare.h"
#include "gen.h"
#include "sweep.h"
#include "params.h"
#include "replay.h"
#include "trc/trace.h"

namespace {

const char kUsage[] =
	"usage: smmusim COMMAND [ARGS]\n"
	"\n"
	"  replay FILE [--set KEY=VALUE ...] [--json OUT] [--perfetto OUT] [--html OUT] [--quiet]\n"
	"         [--no-progress]\n"
	"         run a trace (FILE - : standard input, e.g. smmusim gen ... | smmusim\n"
	"         replay -) on the SystemC platform and print a report; --json\n"
	"         writes the report as JSON to OUT (- for stdout), --perfetto the\n"
	"         timeline as Chrome trace-event JSON (ui.perfetto.dev), --html one\n"
	"         self-contained HTML page (charts in SVG, no script), --quiet drops\n"
	"         the text report; on a terminal a run past a second shows its\n"
	"         progress on stderr (--no-progress: never). Exit status: 0 ok,\n"
	"         1 usage/I/O/not supported yet, 2 malformed trace, 3 isolation\n"
	"         violation, 4 assertion failed.\n"
	"  compare A.json B.json [--html OUT] [--json OUT] [--max-regress KEY=LIMIT ...]\n"
	"         what changed between two --json reports: latency percentiles per\n"
	"         kind (B/A), violations added/removed, commands and cache hits;\n"
	"         KEY=LIMIT: p50|p90|p99|max|mean=PCT% or violations=N. Exit status:\n"
	"         0, 5 when a limit is exceeded, 1 usage/I/O/malformed report.\n"
	"  gen stream --pkts N [--size S] [--depth D] [--strict on|off] [-o FILE] ...\n"
	"  gen dma --dmas N [--pages P] [-o FILE] ...\n"
	"         write a synthetic trace as it is made: a host driver streaming\n"
	"         buffers through the kernel's DMA API, or a bare-metal device's\n"
	"         DMA stream (smmusim gen --help)\n"
	"  record [-o FILE] [--serve] [--header FILE] [--set KEY=VALUE ...] -- PROGRAM [ARGS]\n"
	"         run PROGRAM under libsmmusim_preload.so and write a trace of its\n"
	"         calls on /dev/iommu, /dev/vfio/* and /dev/kvm to FILE (default\n"
	"         smmusim.trace; .gz compresses): passed through to the real kernel,\n"
	"         or with --serve answered by the emulator (--header: the machine).\n"
	"         Exit status: PROGRAM's.\n"
	"  sweep PLAN [-j N] [--out DIR] [--emit parallel|slurm] | sweep --collect DIR\n"
	"         trace x configuration jobs from a JSON or TOML plan, run as N local\n"
	"         processes or emitted for GNU parallel / a Slurm array; --collect\n"
	"         merges their reports into DIR/results.csv and results.json\n"
	"  check FILE [--set KEY=VALUE ...]\n"
	"         validate a trace (and its parameters) without running it\n"
	"  dump FILE\n"
	"         print the canonical text of a trace (decompressed)\n"
	"  params\n"
	"         list every parameter with its default, unit and source\n"
	"  help, --help\n"
	"\n"
	"--set KEY=VALUE overrides `config` and `smmu` records of the trace; a bare\n"
	"SMMU parameter applies to every SMMU, NAME.KEY to SMMU NAME only\n"
	"(--set smmu0.tlb.entries=4096). docs/sim.md describes the report.\n";

int usage_error(const std::string &what)
{
	std::cerr << "smmusim: error: " << what << "\n" << kUsage;
	return 1;
}

int dump_sink(void *, const void *data, size_t len)
{
	return fwrite(data, 1, len, stdout) == len ? 0 : -1;
}

// The preload library: $SMMUSIM_PRELOAD_LIB, the one installed beside an
// installed smmusim (SMMUSIM_PRELOAD_RELPATH from its bin directory), or
// the build tree's.
#ifndef SMMUSIM_PRELOAD_RELPATH
#define SMMUSIM_PRELOAD_RELPATH "../lib/libsmmusim_preload.so"
#endif
std::string preload_lib(const char *argv0)
{
	if (const char *e = getenv("SMMUSIM_PRELOAD_LIB"))
		if (*e)
			return e;
	std::string self = argv0;
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n > 0)
		self.assign(buf, (size_t)n);
	std::string installed = self.substr(0, self.rfind('/') + 1) + SMMUSIM_PRELOAD_RELPATH;
	if (access(installed.c_str(), R_OK) == 0)
		return installed;
	if (access(SMMUSIM_PRELOAD_LIB, R_OK) == 0)
		return SMMUSIM_PRELOAD_LIB;
	return installed;
}

int cmd_record(int argc, char **argv)
{
	std::string out = "smmusim.trace", header, sets;
	bool serve = false;
	int i = 2;
	for (; i < argc; i++) {
		std::string a = argv[i];
		if (a == "--")
			break;
		if (a == "-o" && i + 1 < argc)
			out = argv[++i];
		else if (a == "--serve")
			serve = true;
		else if (a == "--header" && i + 1 < argc)
			header = argv[++i];
		else if (a == "--set" && i + 1 < argc)
			sets += std::string(sets.empty() ? "" : " ") + argv[++i];
		else if (a == "--help" || a == "-h") {
			std::cout << kUsage;
			return 0;
		} else
			return usage_error("record: unexpected '" + a + "' (the program goes after --)");
	}
	if (i + 1 >= argc)
		return usage_error("record: expected -- PROGRAM [ARGS]");
	std::string lib = preload_lib(argv[0]);
	if (access(lib.c_str(), R_OK) != 0)
		return usage_error("record: cannot find " + lib + " (set SMMUSIM_PRELOAD_LIB)");
	const char *old = getenv("LD_PRELOAD");
	std::string pre = lib + (old && *old ? std::string(" ") + old : "");
	setenv("LD_PRELOAD", pre.c_str(), 1);
	setenv("SMMUSIM_RECORD", out.c_str(), 1);
	if (serve)
		setenv("SMMUSIM_SERVE", "1", 1);
	if (!header.empty())
		setenv("SMMUSIM_TRACE_HEADER", header.c_str(), 1);
	if (!sets.empty())
		setenv("SMMUSIM_SET", sets.c_str(), 1);
	pid_t pid = fork();
	if (pid == 0) {
		execvp(argv[i + 1], argv + i + 1);
		fprintf(stderr, "smmusim: record: cannot run %s: %s\n", argv[i + 1], strerror(errno));
		_exit(127);
	}
	int ws = 0;
	if (pid < 0 || waitpid(pid, &ws, 0) < 0)
		return 1;
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + (WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
}

int cmd_params()
{
	std::vector<smmusim::ParamInfo> all = smmusim::all_params();
	printf("# name  default  unit  source  -- description\n");
	printf("# platform parameters (--set KEY=VALUE or `config KEY=VALUE`)\n");
	bool model_header = false;
	for (const auto &p : all) {
		if (p.model && !model_header) {
			printf("# SMMU model parameters (every SMMU, or one: `smmu NAME KEY=VALUE`, "
			       "--set NAME.KEY=VALUE)\n");
			model_header = true;
		}
		printf("%-22s %-12s %-14s %s -- %s\n", p.name.c_str(), p.def.c_str(), p.unit.c_str(),
		       p.source.c_str(), p.help.c_str());
	}
	return 0;
}

} // namespace

int sc_main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("missing command");
	std::string cmd = argv[1];
	if (cmd == "help" || cmd == "--help" || cmd == "-h") {
		std::cout << kUsage;
		return 0;
	}
	if (cmd == "params")
		return argc == 2 ? cmd_params()
		       : (argc == 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h")))
			   ? (std::cout << kUsage, 0)
			   : usage_error("params takes no arguments");
	if (cmd == "sweep")
		return smmusim::run_sweep(std::vector<std::string>(argv + 2, argv + argc), std::cout,
					  std::cerr);
	if (cmd == "record")
		return cmd_record(argc, argv);
	if (cmd == "gen")
		return smmusim::run_gen(std::vector<std::string>(argv + 2, argv + argc), std::cout,
					std::cerr);
	if (cmd == "compare")
		return smmusim::run_compare(std::vector<std::string>(argv + 2, argv + argc), std::cout,
					    std::cerr);
	if (cmd != "replay" && cmd != "check" && cmd != "dump")
		return usage_error("unknown command '" + cmd + "'");

	smmusim::ReplayOptions opt;
	for (int i = 2; i < argc; i++) {
		std::string a = argv[i];
		if (a == "--set" || a.rfind("--set=", 0) == 0) {
			std::string kv = a == "--set" ? (i + 1 < argc ? argv[++i] : "") : a.substr(6);
			size_t eq = kv.find('=');
			if (eq == std::string::npos || eq == 0)
				return usage_error("--set expects KEY=VALUE, got '" + kv + "'");
			opt.sets.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
		} else if (a == "--json" && cmd == "replay") {
			if (i + 1 >= argc)
				return usage_error("--json expects a file name");
			opt.json_out = argv[++i];
		} else if (a == "--quiet" && cmd == "replay") {
			opt.text = false;
		} else if (a == "--no-progress" && cmd == "replay") {
			opt.progress = false;
		} else if (a == "--perfetto" && cmd == "replay") {
			if (i + 1 >= argc)
				return usage_error("--perfetto expects a file name");
			opt.perfetto_out = argv[++i];
		} else if (a == "--html" && cmd == "replay") {
			if (i + 1 >= argc)
				return usage_error("--html expects a file name");
			opt.html_out = argv[++i];
		} else if (a == "--help" || a == "-h") {
			std::cout << kUsage;
			return 0;
		} else if (!a.empty() && a[0] == '-' && a != "-") {
			return usage_error("unknown option '" + a + "'");
		} else if (opt.trace.empty()) {
			opt.trace = a;
		} else {
			return usage_error("more than one trace file");
		}
	}
	if (opt.trace.empty())
		return usage_error(cmd + " expects a trace file");
	if (cmd == "dump") {
		if (!opt.sets.empty())
			return usage_error("dump takes no --set");
		trc_error err;
		int rc = trc_file_dump(opt.trace.c_str(), nullptr, dump_sink, nullptr, &err);
		fflush(stdout);
		if (rc != TRC_OK) {
			char buf[768];
			trc_error_format(&err, buf, sizeof(buf));
			std::cerr << buf << "\n";
			return trc_exit_status(rc);
		}
		return 0;
	}
	if (cmd == "check")
		return smmusim::run_check(opt, std::cout, std::cerr);
	opt.exit_after = true;
	return smmusim::run_replay(opt, std::cout, std::cerr);
}

int main(int argc, char **argv)
{
	setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
	return sc_core::sc_elab_and_sim(argc, argv);
}
