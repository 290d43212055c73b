// oracle_bench.cc - oracle.overhead: the replay time of one trace with the
// isolation oracle on divided by the time with it off (`oracle=off`), in the
// same run. The trace: two guests with nested domains (the seed-000
// layout, kvm-pinned), then N DMAs through the guests' stage 1 over their
// stage 2, with map/unmap churn on guest A's IOAS every 1000 DMAs (the
// oracle's page index is rebuilt each time). smmusim runs as a subprocess
// (SystemC elaborates once per process), each configuration twice, the
// faster run counts. The same trace also gives latency.perfetto.mdps: DMA
// records per second (millions) replayed with the timeline on (`--perfetto
// FILE`, the oracle on), beside latency.perfetto.baseline_mdps, the same
// replay without it. Prints one flat JSON object.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

bool write_trace(const std::string &path, uint64_t n)
{
	std::ifstream in(SEED000_TRACE);
	std::stringstream ss;
	ss << in.rdbuf();
	std::string src = ss.str();
	size_t cut = src.find("# ---- Both guests DMA");
	if (cut == std::string::npos)
		return false;
	std::ofstream out(path, std::ios::trunc);
	out << src.substr(0, cut);
	out << "mmap len=64K proc=vmm0 pa=0x7000_0000 -> addr=$churn\n";
	for (uint64_t i = 0; i < n; i++) {
		if (i % 1000 == 0) {
			if ((i / 1000) % 2 == 0)
				out << "ioctl $ifa IOMMU_IOAS_MAP ioas_id=$ioasa "
				       "flags=FIXED_IOVA|READABLE|WRITEABLE user_va=$churn length=64K "
				       "iova=0x7000_0000\n";
			else
				out << "ioctl $ifa IOMMU_IOAS_UNMAP ioas_id=$ioasa iova=0x7000_0000 length=64K\n";
		}
		out << "dma " << (i % 2 ? "nic0" : "nic1") << " addr=0x8000_" << (i % 4)
		    << "000 len=64 dir=read\n";
	}
	return out.good();
}

double run(const std::string &trace, const char *set, const char *perfetto = nullptr)
{
	auto t0 = std::chrono::steady_clock::now();
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		if (perfetto)
			execl(SMMUSIM_EXE, SMMUSIM_EXE, "replay", trace.c_str(), "--quiet", "--set", set,
			      "--perfetto", perfetto, (char *)nullptr);
		else
			execl(SMMUSIM_EXE, SMMUSIM_EXE, "replay", trace.c_str(), "--quiet", "--set", set,
			      (char *)nullptr);
		_exit(127);
	}
	int ws = 0;
	waitpid(pid, &ws, 0);
	double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
		fprintf(stderr, "oracle_bench: smmusim --set %s exited %d\n", set,
			WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
		return -1;
	}
	return s;
}

} // namespace

int main(int argc, char **argv)
{
	uint64_t n = 1000000;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--records") && i + 1 < argc) {
			n = strtoull(argv[++i], nullptr, 0);
		} else {
			fprintf(stderr, "usage: oracle_bench [--records N]\n");
			return 1;
		}
	}
	std::string path = "/tmp/oracle_bench." + std::to_string(getpid()) + ".trace";
	if (!write_trace(path, n)) {
		fprintf(stderr, "oracle_bench: cannot write %s\n", path.c_str());
		return 1;
	}
	double on = 1e30, off = 1e30;
	for (int rep = 0; rep < 2; rep++) {
		double a = run(path, "oracle=on"), b = run(path, "oracle=off");
		if (a < 0 || b < 0) {
			unlink(path.c_str());
			return 1;
		}
		on = a < on ? a : on;
		off = b < off ? b : off;
	}
	std::string timeline = path + ".perfetto.json";
	double tl = run(path, "oracle=on", timeline.c_str());
	unlink(timeline.c_str());
	unlink(path.c_str());
	if (tl < 0)
		return 1;
	printf("{\n  \"oracle.overhead\": %.3f,\n  \"oracle.on_s\": %.3f,\n  \"oracle.off_s\": %.3f,\n"
	       "  \"oracle.dmas\": %" PRIu64 ",\n  \"latency.perfetto.mdps\": %.3f,\n"
	       "  \"latency.perfetto.baseline_mdps\": %.3f,\n  \"latency.perfetto.overhead\": %.3f\n}\n",
	       on / off, on, off, n, (double)n / tl / 1e6, (double)n / on / 1e6, tl / on);
	return 0;
}
