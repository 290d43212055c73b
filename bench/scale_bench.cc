// scale_bench.cc - is the replay's cost per DMA flat in the trace length?
//
//   sim.replay.scaling_1e5_1e8  wall time per DMA replaying 10^8 DMAs divided
//                               by the same at 10^5 (flat: 1.0);
//   sim.replay.ns_per_dma_1e5, sim.replay.ns_per_dma_1e8  the two costs;
//   sim.replay.startup_ms       a run with the set-up and no DMA (subtracted
//                               from both before dividing);
//   sim.replay.scaling_smmus_1_64x1024  wall time per DMA over 64 SMMUs with
//                               1024 devices each (DMAs spread at random)
//                               divided by the same on one SMMU with one
//                               device, 10^6 DMAs each, start-ups subtracted;
//                               every DMA is then a configuration-cache and
//                               uTLB miss, more modelled work than a hit;
//   sim.replay.scaling_smmus_1_64x1024_burst64  the same with each device
//                               taking 64 DMAs in a row (a device at random
//                               per burst; 10^7 DMAs): nearly every DMA a
//                               uTLB hit as on the one device, so what the
//                               platform's size itself costs (with the
//                               misses of a burst's start);
//   sim.replay.scaling_smmus_1_64x1024_same_traffic  the same traffic (every
//                               DMA to one device) on 64 x 1024 and on 1 x 1:
//                               what declaring the big platform costs each
//                               DMA (from the difference of two lengths).
// The replay and the writer run on CPUs of their own when there are two.
// Each run is `smmusim replay FIFO --quiet` as its own process, the trace
// written into the FIFO by this program as the replay reads it (the
// hit-dominated bare-metal stream of sim_bench: one stage-1 stream over four
// pages), so no trace file of 10^8 lines is ever stored. The short runs are
// repeated and the fastest kept. Prints one flat JSON object.
//
// usage: scale_bench [--long N] (default 100000000; make bench uses it)
//        scale_bench --write-wide FILE N  (the 64 x 1024 trace, for profiling)
#include <fcntl.h>
#include <sched.h>
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
#include <vector>

#include "baremetal.h"
#include "gen.h"

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

// `smmus` SMMUs (8 TBUs each) with `devs` devices each (SIDs 0..devs-1),
// every stream the same stage-1 context of its SMMU over the four pages.
std::string wide_header(unsigned smmus, unsigned devs)
{
	std::string h = "smmutrace 1\n";
	for (unsigned k = 0; k < smmus; k++)
		h += "smmu smmu" + std::to_string(k) + " tbus=8\n";
	for (unsigned k = 0; k < smmus; k++)
		for (unsigned j = 0; j < devs; j++)
			h += "device d" + std::to_string(k) + "_" + std::to_string(j) + " smmu=smmu" +
			     std::to_string(k) + " sid=" + std::to_string(j) + "\n";
	unsigned log2 = 0;
	while ((1u << log2) < devs)
		log2++;
	for (unsigned k = 0; k < smmus; k++) {
		smmusim::BareMetalTrace bm("smmu" + std::to_string(k), 0x10000000ull + k * 0x400000ull);
		bm.enable(log2 < 1 ? 1 : log2);
		smmu_pt pt = bm.s1_stream(0, 1);
		bm.map_s1(pt, kVa, kPa, kPages << 12);
		for (unsigned j = 1; j < devs; j++)
			for (int w = 0; w < 8; w++)
				bm.write64(bm.strtab() + 64ull * j + 8 * w, bm.read64(bm.strtab() + 8 * w));
		h += bm.text();
	}
	return h + "wait 1us\n";
}

// Writes the header and n DMA records into fd: device d0 (smmus == 0), or
// one of smmus x devs devices at random, a new one every `burst` DMAs
// (burst 0: always the first, d0_0).
// Lines are formatted by hand, names made once: the writer must outrun the
// replay it feeds (snprintf did not), or the figures are the writer's.
void writer(int fd, const std::string &head, uint64_t n, unsigned smmus, unsigned devs,
	    unsigned burst = 1)
{
	std::vector<std::string> names;
	if (smmus == 0) {
		names.push_back("d0");
	} else {
		names.reserve((size_t)smmus * devs);
		for (unsigned k = 0; k < smmus; k++)
			for (unsigned j = 0; j < devs; j++)
				names.push_back("d" + std::to_string(k) + "_" + std::to_string(j));
	}
	std::vector<char> buf(head.begin(), head.end());
	size_t used = buf.size();
	buf.resize(used + (1u << 20) + 256);
	uint64_t x = 0x9e3779b97f4a7c15ull, d = 0;
	for (uint64_t k = 0; k < n; k++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t addr = kVa + (((x >> 61) % kPages) << 12) + ((x >> 32) & 0xfc0);
		if (smmus != 0 && burst != 0 && k % burst == 0)
			d = (x >> 8) % ((uint64_t)smmus * devs);
		const std::string &name = names[d];
		char *p = buf.data() + used;
		std::memcpy(p, "dma ", 4);
		std::memcpy(p + 4, name.data(), name.size());
		p += 4 + name.size();
		std::memcpy(p, " addr=0x", 8);
		p = smmusim::put_hex(p + 8, addr);
		const char *tail = k % 8 == 7 ? " len=64 dir=write\n" : " len=64 dir=read\n";
		size_t tl = std::strlen(tail);
		std::memcpy(p, tail, tl);
		used = (size_t)(p + tl - buf.data());
		if (used > (1u << 20)) {
			if (write(fd, buf.data(), used) != (ssize_t)used)
				break;
			used = 0;
		}
	}
	if (used)
		(void)!write(fd, buf.data(), used); // a replay that stopped early is reported by run()
	close(fd);
}

// The replay and its writer on CPUs of their own, the same every run (the
// first two this process may use), when there are two: unpinned, the
// scheduler put them together now and then and the figures wandered.
struct Cpus {
	int replay = -1, writer = -1;
	Cpus()
	{
		cpu_set_t set;
		if (sched_getaffinity(0, sizeof(set), &set) != 0)
			return;
		for (int c = 0; c < CPU_SETSIZE && writer < 0; c++) {
			if (!CPU_ISSET(c, &set))
				continue;
			if (replay < 0)
				replay = c;
			else
				writer = c;
		}
		if (writer < 0)
			replay = -1;
	}
	static void pin(int cpu)
	{
		if (cpu < 0)
			return;
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		(void)sched_setaffinity(0, sizeof(one), &one); // best effort
	}
};
const Cpus g_cpus;

// Seconds of one replay of n DMAs through a FIFO; < 0 on failure.
double run(const std::string &fifo, const std::string &head, uint64_t n, unsigned smmus = 0,
	   unsigned devs = 0, unsigned burst = 1)
{
	auto t0 = std::chrono::steady_clock::now();
	pid_t pid = fork();
	if (pid == 0) {
		Cpus::pin(g_cpus.replay);
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1);
		execl(SMMUSIM_EXE, SMMUSIM_EXE, "replay", fifo.c_str(), "--quiet", (char *)nullptr);
		_exit(127);
	}
	int fd = open(fifo.c_str(), O_WRONLY); // blocks until the replay opens it
	if (fd < 0)
		return -1;
	std::thread w([&] {
		Cpus::pin(g_cpus.writer);
		writer(fd, head, n, smmus, devs, burst);
	});
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

double best(const std::string &fifo, const std::string &head, uint64_t n, int reps,
	    unsigned smmus = 0, unsigned devs = 0, unsigned burst = 1)
{
	double b = 1e300;
	for (int i = 0; i < reps; i++) {
		double s = run(fifo, head, n, smmus, devs, burst);
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
	unsigned burst = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--long") && i + 1 < argc) {
			longn = strtoull(argv[++i], nullptr, 0);
		} else if (!strcmp(argv[i], "--write-wide") && i + 2 < argc) {
			// For profiling: the 64 x 1024 trace of N DMAs into FILE
			// (bursts of B DMAs per device: --burst B before it).
			int fd = open(argv[i + 1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0) {
				perror(argv[i + 1]);
				return 1;
			}
			writer(fd, wide_header(64, 1024), strtoull(argv[i + 2], nullptr, 0), 64, 1024,
			       burst);
			return 0;
		} else if (!strcmp(argv[i], "--burst") && i + 1 < argc) {
			burst = (unsigned)strtoul(argv[++i], nullptr, 0);
			if (!burst)
				burst = 1;
		} else {
			fprintf(stderr, "usage: scale_bench [--long N] | --write-wide FILE N\n");
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
	// Width: 10^6 DMAs on 1 SMMU x 1 device and on 64 SMMUs x 1024 devices
	// (each with its own start-up subtracted).
	const uint64_t widen = 1000000ull;
	std::string h1 = wide_header(1, 1), h64 = wide_header(64, 1024);
	double w1_0 = best(fifo, h1, 0, 3, 1, 1), w1 = best(fifo, h1, widen, 3, 1, 1);
	double w64_0 = best(fifo, h64, 0, 2, 64, 1024), w64 = best(fifo, h64, widen, 2, 64, 1024);
	// The same devices in bursts of 64 DMAs (a device at random per
	// burst): the model's work per DMA then nearly that of the one device
	// (a configuration-cache and TLB miss per burst, hits after), so the
	// ratio is what the platform's own size costs.
	// (10^7 of them: at about 0.1 us each, 10^6 would be a small
	// difference of two runs dominated by the 1.5 s start-up)
	const uint64_t burstn = 10000000ull;
	double w64b = best(fifo, h64, burstn, 2, 64, 1024, 64);
	// The platform's size alone: the same traffic (every DMA to one
	// device) on 1 x 1 and on 64 x 1024; per DMA from the difference of a
	// 2 * 10^6 and a 10^7 run of each, so no start-up is subtracted (the
	// 64 x 1024 one, some 1.8 s, varies by more than 10^6 DMAs take).
	const uint64_t fa = 2000000ull, fb = 10000000ull;
	double f1a = best(fifo, h1, fa, 2, 1, 1), f1b = best(fifo, h1, fb, 2, 1, 1);
	double f64a = best(fifo, h64, fa, 2, 64, 1024, 0), f64b = best(fifo, h64, fb, 2, 64, 1024, 0);
	unlink(fifo.c_str());
	if (t0 < 0 || ts < 0 || tl < 0 || w1_0 < 0 || w1 < 0 || w64_0 < 0 || w64 < 0 || w64b < 0 ||
	    f1a < 0 || f1b < 0 || f64a < 0 || f64b < 0)
		return 1;
	double ns_f1 = (f1b - f1a) / (double)(fb - fa) * 1e9, ns_f64 = (f64b - f64a) / (double)(fb - fa) * 1e9;
	double ns_s = (ts - t0) / (double)shortn * 1e9, ns_l = (tl - t0) / (double)longn * 1e9;
	double ns_w1 = (w1 - w1_0) / (double)widen * 1e9, ns_w64 = (w64 - w64_0) / (double)widen * 1e9;
	double ns_w64b = (w64b - w64_0) / (double)burstn * 1e9;
	printf("{\n  \"sim.replay.scaling_1e5_1e8\": %.3f,\n  \"sim.replay.ns_per_dma_1e5\": %.1f,\n"
	       "  \"sim.replay.ns_per_dma_1e8\": %.1f,\n  \"sim.replay.startup_ms\": %.2f,\n"
	       "  \"sim.replay.scaling_smmus_1_64x1024\": %.3f,\n"
	       "  \"sim.replay.ns_per_dma_1x1\": %.1f,\n  \"sim.replay.ns_per_dma_64x1024\": %.1f,\n"
	       "  \"sim.replay.scaling_smmus_1_64x1024_burst64\": %.3f,\n"
	       "  \"sim.replay.ns_per_dma_64x1024_burst64\": %.1f,\n"
	       "  \"sim.replay.startup_64x1024_ms\": %.1f,\n"
	       "  \"sim.replay.scaling_smmus_1_64x1024_same_traffic\": %.3f,\n"
	       "  \"sim.replay.ns_per_dma_1x1_one_device\": %.1f,\n"
	       "  \"sim.replay.ns_per_dma_64x1024_one_device\": %.1f\n}\n",
	       ns_l / ns_s, ns_s, ns_l, t0 * 1e3, ns_w64 / ns_w1, ns_w1, ns_w64, ns_w64b / ns_w1,
	       ns_w64b, w64_0 * 1e3, ns_f64 / ns_f1, ns_f1, ns_f64);
	return 0;
}
