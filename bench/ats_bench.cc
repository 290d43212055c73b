// ats_bench.cc - ats.inv_sync_ns.{1,8,64}: the simulated time of an
// IOMMU_IOAS_UNMAP of 2 MiB on an IOAS that 1, 8 or 64 ATS functions behind
// one SMMU are attached to (one shared domain): the kernel model issues the
// TLBI and one ATC_INV per function, in batches of at most 63 commands each
// closed by a CMD_SYNC, and every SYNC waits for the round trips of the
// ATC_INVs before it (models/pcie_ats: link 500 ns each way, flush 1000 ns,
// the defaults). Beside them ats.inv_sync_ns.0: the same unmap with the
// functions' ATS off. Deterministic model outputs (smmusim replay as a
// subprocess), one run each. Prints one flat JSON object.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

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

} // namespace

int main()
{
	double off = unmap_ns(64, false);
	double r1 = unmap_ns(1, true), r8 = unmap_ns(8, true), r64 = unmap_ns(64, true);
	if (off < 0 || r1 < 0 || r8 < 0 || r64 < 0) {
		fprintf(stderr, "ats_bench: a replay failed\n");
		return 1;
	}
	printf("{\n  \"ats.inv_sync_ns.0\": %.0f,\n  \"ats.inv_sync_ns.1\": %.0f,\n"
	       "  \"ats.inv_sync_ns.8\": %.0f,\n  \"ats.inv_sync_ns.64\": %.0f\n}\n",
	       off, r1, r8, r64);
	return 0;
}
