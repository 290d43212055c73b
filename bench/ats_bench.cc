// ats_bench.cc - ats.inv_sync_ns.{1,8,64}: the simulated time of an
// IOMMU_IOAS_UNMAP of 2 MiB on an IOAS that 1, 8 or 64 ATS functions behind
// one SMMU are attached to (one shared domain): the kernel model issues the
// TLBI and one ATC_INV per function, in batches of at most 63 commands each
// closed by a CMD_SYNC, and every SYNC waits for the round trips of the
// ATC_INVs before it (models/pcie_ats: link 500 ns each way, flush 1000 ns,
// the defaults). Beside them ats.inv_sync_ns.0: the same unmap with the
// functions' ATS off. Deterministic model outputs (smmusim replay as a
// subprocess), one run each. Also ats.replay.mdps: millions of DMA records
// per second replayed (wall clock) when an ATS function's DMAs are served by
// its ATC (Translated), beside ats.replay.baseline_mdps, the same trace with
// the function's ATS off (the DMAs go through the SMMU's TLBs). Prints one
// flat JSON object.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace {

std::string trace(unsigned n, bool ats)
{
	std::ostringstream t;
	t << "smmutrace 1\nsmmu smmu0 ats=on\n";
	for (unsigned i = 0; i < n; i++)
		t << "device f" << i << " smmu=smmu0 sid=0x" << std::hex << (0x100 + i) << std::dec
		  << (ats ? " ats=on" : "") << "\n";
	t << "open /dev/iommu -> fd=$i\nioctl $i IOMMU_IOAS_ALLOC -> out_ioas_id=$ioas\n"
	  << "mmap len=2M -> addr=$buf\n"
	  << "ioctl $i IOMMU_IOAS_MAP ioas_id=$ioas flags=FIXED_IOVA|READABLE|WRITEABLE "
	     "user_va=$buf length=2M iova=0x100000 -> ok\n";
	for (unsigned i = 0; i < n; i++)
		t << "open /dev/vfio/devices/vfio" << i << " -> fd=$d" << i << "\n"
		  << "ioctl $d" << i << " VFIO_DEVICE_BIND_IOMMUFD iommufd=$i -> ok\n"
		  << "ioctl $d" << i << " VFIO_DEVICE_ATTACH_IOMMUFD_PT pt_id=$ioas -> ok\n";
	t << "ioctl $i IOMMU_IOAS_UNMAP ioas_id=$ioas iova=0x100000 length=2M -> length=0x200000\n";
	return t.str();
}

// The unmap's simulated time from the report ("IOMMU_IOAS_UNMAP" by kind).
double unmap_ns(unsigned n, bool ats)
{
	std::string base = "/tmp/ats_bench." + std::to_string(getpid());
	std::string tr = base + ".trace", js = base + ".json";
	std::ofstream(tr) << trace(n, ats);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		execl(SMMUSIM_EXE, SMMUSIM_EXE, "replay", tr.c_str(), "--quiet", "--json", js.c_str(),
		      (char *)nullptr);
		_exit(127);
	}
	int ws = 0;
	waitpid(pid, &ws, 0);
	std::ifstream in(js);
	std::stringstream ss;
	ss << in.rdbuf();
	std::string j = ss.str();
	unlink(tr.c_str());
	unlink(js.c_str());
	size_t p = j.find("\"by_kind\"");
	if (p != std::string::npos)
		p = j.find("\"IOMMU_IOAS_UNMAP\": {", p);
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0 || p == std::string::npos)
		return -1;
	p = j.find("\"max\": ", p);
	return p == std::string::npos ? -1 : strtod(j.c_str() + p + 7, nullptr);
}

// n DMAs of one function after a Translation Request for their page.
std::string dma_trace(uint64_t n, bool ats)
{
	std::ostringstream t;
	t << "smmutrace 1\nsmmu smmu0 ats=on\ndevice f0 smmu=smmu0 sid=0x100" << (ats ? " ats=on" : "")
	  << "\nopen /dev/iommu -> fd=$i\nioctl $i IOMMU_IOAS_ALLOC -> out_ioas_id=$ioas\n"
	  << "mmap len=2M -> addr=$buf\n"
	  << "ioctl $i IOMMU_IOAS_MAP ioas_id=$ioas flags=FIXED_IOVA|READABLE|WRITEABLE "
	     "user_va=$buf length=2M iova=0x200000 -> ok\n"
	  << "open /dev/vfio/devices/vfio0 -> fd=$d\n"
	  << "ioctl $d VFIO_DEVICE_BIND_IOMMUFD iommufd=$i -> ok\n"
	  << "ioctl $d VFIO_DEVICE_ATTACH_IOMMUFD_PT pt_id=$ioas -> ok\n";
	if (ats)
		t << "ats f0 translate addr=0x200000 -> status=ok\n";
	for (uint64_t k = 0; k < n; k++)
		t << "dma f0 addr=0x2" << (k % 8) << "0040 len=64 dir=read\n";
	return t.str();
}

double replay_s(const std::string &text)
{
	std::string tr = "/tmp/ats_bench." + std::to_string(getpid()) + ".dma.trace";
	std::ofstream(tr) << text;
	auto t0 = std::chrono::steady_clock::now();
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		execl(SMMUSIM_EXE, SMMUSIM_EXE, "replay", tr.c_str(), "--quiet", (char *)nullptr);
		_exit(127);
	}
	int ws = 0;
	waitpid(pid, &ws, 0);
	double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	unlink(tr.c_str());
	return WIFEXITED(ws) && WEXITSTATUS(ws) == 0 ? s : -1;
}

} // namespace

int main()
{
	double off = unmap_ns(64, false);
	double r1 = unmap_ns(1, true), r8 = unmap_ns(8, true), r64 = unmap_ns(64, true);
	if (off < 0 || r1 < 0 || r8 < 0 || r64 < 0) {
		fprintf(stderr, "ats_bench: a replay failed\n");
		return 1;
	}
	const uint64_t n = 1000000;
	double a = 1e30, b = 1e30;
	std::string ta = dma_trace(n, true), tb = dma_trace(n, false);
	for (int rep = 0; rep < 2; rep++) {
		double x = replay_s(ta), y = replay_s(tb);
		if (x < 0 || y < 0) {
			fprintf(stderr, "ats_bench: a DMA replay failed\n");
			return 1;
		}
		a = x < a ? x : a;
		b = y < b ? y : b;
	}
	printf("{\n  \"ats.inv_sync_ns.0\": %.0f,\n  \"ats.inv_sync_ns.1\": %.0f,\n"
	       "  \"ats.inv_sync_ns.8\": %.0f,\n  \"ats.inv_sync_ns.64\": %.0f,\n"
	       "  \"ats.replay.mdps\": %.3f,\n  \"ats.replay.baseline_mdps\": %.3f\n}\n",
	       off, r1, r8, r64, (double)n / a / 1e6, (double)n / b / 1e6);
	return 0;
}
