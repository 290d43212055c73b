// main.cc - the smmusim program: replay, check, dump, gen, compare, params, help.
//
// The simulation kernel runs at most once per process (only `replay` starts
// it). main() is ours rather than libsystemc's so that SystemC's banner,
// which it prints before sc_main(), stays out of the output.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include <systemc>

#include "compare.h"
#include "gen.h"
#include "params.h"
#include "replay.h"
#include "trc/trace.h"

namespace {

const char kUsage[] =
	"usage: smmusim COMMAND [ARGS]\n"
	"\n"
	"  replay FILE [--set KEY=VALUE ...] [--json OUT] [--perfetto OUT] [--html OUT] [--quiet]\n"
	"         run a trace on the SystemC platform and print a report; --json\n"
	"         writes the report as JSON to OUT (- for stdout), --perfetto the\n"
	"         timeline as Chrome trace-event JSON (ui.perfetto.dev), --html one\n"
	"         self-contained HTML page (charts in SVG, no script), --quiet drops\n"
	"         the text report. Exit status: 0 ok, 1 usage/I/O/not supported yet,\n"
	"         2 malformed trace, 3 isolation violation, 4 assertion failed.\n"
	"  compare A.json B.json [--html OUT] [--json OUT] [--max-regress KEY=LIMIT ...]\n"
	"         what changed between two --json reports: latency percentiles per\n"
	"         kind (B/A), violations added/removed, commands and cache hits;\n"
	"         KEY=LIMIT: p50|p90|p99|max|mean=PCT% or violations=N. Exit status:\n"
	"         0, 5 when a limit is exceeded, 1 usage/I/O/malformed report.\n"
	"  gen stream --pkts N [--size S] [--depth D] [--strict on|off] [-o FILE] ...\n"
	"         write a synthetic trace: a host driver streaming buffers through\n"
	"         the kernel's DMA API (smmusim gen --help)\n"
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
		return argc == 2 ? cmd_params() : usage_error("params takes no arguments");
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
		} else if (a == "--perfetto" && cmd == "replay") {
			if (i + 1 >= argc)
				return usage_error("--perfetto expects a file name");
			opt.perfetto_out = argv[++i];
		} else if (a == "--html" && cmd == "replay") {
			if (i + 1 >= argc)
				return usage_error("--html expects a file name");
			opt.html_out = argv[++i];
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
	return smmusim::run_replay(opt, std::cout, std::cerr);
}

int main(int argc, char **argv)
{
	setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
	return sc_core::sc_elab_and_sim(argc, argv);
}
