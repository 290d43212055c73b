// scale_bench.cc - is the replay's cost per DMA flat in the trace length?
//
//   sim.replay.scaling_1e5_1e8  wall time per DMA replaying 10^8 DMAs divided
//                               by the same at 10^5 (flat: 1.0);
//   sim.replay.ns_per_dma_1e5, sim.replay.ns_per_dma_1e8  the two costs;
//   sim.replay.startup_ms       a run with the set-up and no DMA (subtracted
//                               from both before dividing).
// Each run is `smmusim replay FIFO --quiet` as its own process, the trace
// written into the FIFO by this program as the replay reads it (the
// hit-dominated bare-metal stream of sim_bench: one stage-1 stream over four
// pages), so no trace file of 10^8 lines is ever stored. The short runs are
// repeated and the fastest kept. Prints one flat JSON object.
//
// usage: scale_bench [--long N] (default 100000000; make bench uses it)
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "baremetal.h"

namespace {

constexpr uint64_t kVa = 0x40000000ull;
constexpr uint64_t kPa = 0x80000000ull;
constexpr unsigned kPages = 4;

std::string header()
{
	smmusim::BareMetalTrace bm;
	bm.line("smmutrace 1");
	bm.line("device d0 smmu=smmu0 sid=1");
	bm.enable(8);
	smmu_pt pt = bm.s1_stream(1, 1);
	bm.map_s1(pt, kVa, kPa, kPages << 12);
	bm.line("wait 1us");
	return bm.text();
}

// Writes the header and n DMA records into fd.
void writer(int fd, const std::string &head, uint64_t n)
{
	std::string buf = head;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	char line[96];
	for (uint64_t k = 0; k < n; k++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t addr = kVa + (((x >> 61) % kPages) << 12) + ((x >> 32) & 0xfc0);
		int len = snprintf(line, sizeof(line), "dma d0 addr=0x%" PRIx64 " len=64 dir=%s\n", addr,
				   k % 8 == 7 ? "write" : "read");
		buf.append(line, (size_t)len);
		if (buf.size() > (1u << 20)) {
			if (write(fd, buf.data(), buf.size()) != (ssize_t)buf.size())
				break;
			buf.clear();
		}
	}
	if (!buf.empty())
		(void)!write(fd, buf.data(), buf.size()); // a replay that stopped early is reported by run()
	close(fd);
}

// Seconds of one replay of n DMAs through a FIFO; < 0 on failure.
double run(const std::string &fifo, const std::string &head, uint64_t n)
{
	auto t0 = std::chrono::steady_clock::now();
	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1);
		execl(SMMUSIM_EXE, SMMUSIM_EXE, "replay", fifo.c_str(), "--quiet", (char *)nullptr);
		_exit(127);
	}
	int fd = open(fifo.c_str(), O_WRONLY); // blocks until the replay opens it
	if (fd < 0)
		return -1;
	std::thread w(writer, fd, std::cref(head), n);
	int status = 0;
	waitpid(pid, &status, 0);
	w.join();
	double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "scale_bench: replay of %" PRIu64 " DMAs exited %d\n", n,
			WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -1;
	}
	return s;
}

double best(const std::string &fifo, const std::string &head, uint64_t n, int reps)
{
	double b = 1e300;
	for (int i = 0; i < reps; i++) {
		double s = run(fifo, head, n);
		if (s < 0)
			return -1;
		if (s < b)
			b = s;
	}
	return b;
}

} // namespace

int main(int argc, char **argv)
{
	uint64_t longn = 100000000ull, shortn = 100000ull;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--long") && i + 1 < argc)
			longn = strtoull(argv[++i], nullptr, 0);
		else {
			fprintf(stderr, "usage: scale_bench [--long N]\n");
			return 2;
		}
	}
	std::string fifo = "/tmp/scale_bench." + std::to_string(getpid()) + ".fifo";
	if (mkfifo(fifo.c_str(), 0600) != 0) {
		perror("scale_bench: mkfifo");
		return 1;
	}
	std::string head = header();
	double t0 = best(fifo, head, 0, 5);
	double ts = best(fifo, head, shortn, 5);
	double tl = best(fifo, head, longn, 1);
	unlink(fifo.c_str());
	if (t0 < 0 || ts < 0 || tl < 0)
		return 1;
	double ns_s = (ts - t0) / (double)shortn * 1e9, ns_l = (tl - t0) / (double)longn * 1e9;
	printf("{\n  \"sim.replay.scaling_1e5_1e8\": %.3f,\n  \"sim.replay.ns_per_dma_1e5\": %.1f,\n"
	       "  \"sim.replay.ns_per_dma_1e8\": %.1f,\n  \"sim.replay.startup_ms\": %.2f\n}\n",
	       ns_l / ns_s, ns_s, ns_l, t0 * 1e3);
	return 0;
}
