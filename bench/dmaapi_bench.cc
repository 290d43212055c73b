// dmaapi_bench.cc - the DMA API fidelity anchor: modelled throughput of a
// host driver streaming buffers through dma_map/dma_unmap (smmusim gen
// stream: one NIC, 64 buffers in flight, the device's DMA of each buffer,
// its unmap and the next map) in strict and lazy mode, as the simulated
// time the trace takes for its bytes. Set beside the published Graviton4
// iperf3 figures (reference/timing-anchors.md: 14.9 vs 39.8 Gb/s, lazy /
// strict = 2.67):
//   latency.strict_lazy_ratio          lazy / strict throughput, 1500-byte buffers
//   latency.strict_lazy_ratio.anchor   2.67 (the published ratio, not modelled)
//   latency.strict_lazy_ratio.64k      the same with 64 KiB buffers
//   latency.{strict,lazy}_gbps.{1500,64k}  the modelled throughputs (Gb/s)
// and per-page versus range invalidation in strict mode (RIL on / off) for
// buffers of 16 and 256 pages:
//   latency.strict_gbps.{64k,1m}.noril, latency.strict_cmds_per_unmap.{64k,1m}[.noril]
// smmusim runs as a subprocess (gen, then replay --json). Simulated time is
// deterministic: these are model outputs, not host timings.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

int spawn(const std::vector<std::string> &args, const char *out_file)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(out_file ? out_file : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		std::vector<char *> av;
		for (const auto &a : args)
			av.push_back(const_cast<char *>(a.c_str()));
		av.push_back(nullptr);
		execv(SMMUSIM_EXE, av.data());
		_exit(127);
	}
	int ws = 0;
	waitpid(pid, &ws, 0);
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
}

// The number after "key": at the first occurrence after `after` (or anywhere).
bool json_num(const std::string &j, const char *after, const char *key, double &v)
{
	size_t p = after ? j.find(std::string("\"") + after + "\"") : 0;
	if (p == std::string::npos)
		return false;
	p = j.find(std::string("\"") + key + "\":", p);
	if (p == std::string::npos)
		return false;
	v = strtod(j.c_str() + p + strlen(key) + 3, nullptr);
	return true;
}

struct Run {
	double gbps = 0, cmds_per_unmap = 0;
};

bool stream(const std::string &dir, uint64_t pkts, uint64_t size, bool strict, bool ril,
	    Run &r)
{
	std::string trace = dir + "/stream.trace", json = dir + "/stream.json";
	int rc = spawn({SMMUSIM_EXE, "gen", "stream", "--pkts", std::to_string(pkts), "--size",
			std::to_string(size), "--depth", "64", "--strict", strict ? "on" : "off", "-o",
			trace},
		       nullptr);
	if (rc != 0)
		return false;
	std::vector<std::string> rep = {SMMUSIM_EXE, "replay", trace, "--quiet", "--json", json};
	if (!ril) {
		rep.push_back("--set");
		rep.push_back("ril=off");
	}
	rc = spawn(rep, nullptr);
	std::ifstream in(json);
	std::stringstream ss;
	ss << in.rdbuf();
	std::string j = ss.str();
	double ns = 0, cmds = 0, unmaps = 0;
	if (rc != 0 || !json_num(j, nullptr, "sim_time_ns", ns) ||
	    !json_num(j, "dma_api", "commands", cmds) || !json_num(j, "dma_api", "unmaps", unmaps) ||
	    ns <= 0 || unmaps != (double)pkts) {
		fprintf(stderr, "dmaapi_bench: replay of %" PRIu64 " x %" PRIu64 " B (%s%s) failed (%d)\n",
			pkts, size, strict ? "strict" : "lazy", ril ? "" : ", ril=off", rc);
		return false;
	}
	r.gbps = (double)pkts * (double)size * 8.0 / ns;
	r.cmds_per_unmap = cmds / unmaps;
	return true;
}

} // namespace

int main(int argc, char **argv)
{
	uint64_t pkts = 20000;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pkts") && i + 1 < argc) {
			pkts = strtoull(argv[++i], nullptr, 0);
		} else {
			fprintf(stderr, "usage: dmaapi_bench [--pkts N]\n");
			return 1;
		}
	}
	char tmpl[] = "/tmp/dmaapi_bench.XXXXXX";
	if (!mkdtemp(tmpl))
		return 1;
	std::string dir = tmpl;
	Run s1500, l1500, s64, l64, s64n, s1m, s1mn;
	bool ok = stream(dir, pkts, 1500, true, true, s1500) &&
		  stream(dir, pkts, 1500, false, true, l1500) &&
		  stream(dir, pkts, 64 << 10, true, true, s64) &&
		  stream(dir, pkts, 64 << 10, false, true, l64) &&
		  stream(dir, pkts, 64 << 10, true, false, s64n) &&
		  stream(dir, pkts / 10, 1 << 20, true, true, s1m) &&
		  stream(dir, pkts / 10, 1 << 20, true, false, s1mn);
	unlink((dir + "/stream.trace").c_str());
	unlink((dir + "/stream.json").c_str());
	rmdir(dir.c_str());
	if (!ok)
		return 1;
	printf("{\n"
	       "  \"latency.strict_lazy_ratio\": %.3f,\n"
	       "  \"latency.strict_lazy_ratio.anchor\": 2.67,\n"
	       "  \"latency.strict_lazy_ratio.64k\": %.3f,\n"
	       "  \"latency.strict_gbps.1500\": %.3f,\n  \"latency.lazy_gbps.1500\": %.3f,\n"
	       "  \"latency.strict_gbps.64k\": %.3f,\n  \"latency.lazy_gbps.64k\": %.3f,\n"
	       "  \"latency.strict_gbps.64k.noril\": %.3f,\n"
	       "  \"latency.strict_cmds_per_unmap.64k\": %.3f,\n"
	       "  \"latency.strict_cmds_per_unmap.64k.noril\": %.3f,\n"
	       "  \"latency.strict_gbps.1m\": %.3f,\n  \"latency.strict_gbps.1m.noril\": %.3f,\n"
	       "  \"latency.strict_cmds_per_unmap.1m\": %.3f,\n"
	       "  \"latency.strict_cmds_per_unmap.1m.noril\": %.3f,\n"
	       "  \"latency.lazy_cmds_per_unmap.1500\": %.4f,\n"
	       "  \"latency.stream_pkts\": %" PRIu64 "\n}\n",
	       l1500.gbps / s1500.gbps, l64.gbps / s64.gbps, s1500.gbps, l1500.gbps, s64.gbps,
	       l64.gbps, s64n.gbps, s64.cmds_per_unmap, s64n.cmds_per_unmap, s1m.gbps, s1mn.gbps,
	       s1m.cmds_per_unmap, s1mn.cmds_per_unmap, l1500.cmds_per_unmap, pkts);
	return 0;
}
