// preload_bench.cc - preload.ioctl.kops: thousands of ioctls per second an
// unmodified program gets through libsmmusim_preload.so, for an IOAS
// map/unmap loop (uapi_flow loop N: IOMMU_IOAS_MAP of 64 KiB + IOAS_UNMAP on
// an IOAS a device is attached to, so each unmap invalidates: TLBI + SYNC). The program's start-up (library load, emulator boot)
// is measured alone (N = 0) and subtracted; the faster of two runs counts.
// Target >= 500. Baseline in the same `make bench`: shim.ioctl.kops (the
// same kernel called directly, the same work). Prints one flat
// JSON object.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

double run(long n)
{
	auto t0 = std::chrono::steady_clock::now();
	pid_t pid = fork();
	if (pid == 0) {
		setenv("LD_PRELOAD", PRELOAD_LIB, 1);
		setenv("SMMUSIM_TRACE_HEADER", MACHINE_TRACE, 1);
		std::string ns = std::to_string(n);
		freopen("/dev/null", "w", stdout);
		execl(UAPI_FLOW, UAPI_FLOW, "loop", ns.c_str(), (char *)nullptr);
		_exit(127);
	}
	int ws = 0;
	waitpid(pid, &ws, 0);
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
		fprintf(stderr, "preload_bench: uapi_flow loop %ld failed\n", n);
		return -1;
	}
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

int main(int argc, char **argv)
{
	long n = 50000;
	if (argc == 3 && !strcmp(argv[1], "--pairs"))
		n = atol(argv[2]);
	double base = 1e30, loop = 1e30;
	for (int rep = 0; rep < 2; rep++) {
		double b = run(0), l = run(n);
		if (b < 0 || l < 0)
			return 1;
		base = b < base ? b : base;
		loop = l < loop ? l : loop;
	}
	double t = loop - base > 1e-6 ? loop - base : 1e-6;
	printf("{\n  \"preload.ioctl.kops\": %.1f,\n  \"preload.startup_ms\": %.2f,\n"
	       "  \"preload.ioctls\": %ld\n}\n",
	       2.0 * (double)n / t / 1000.0, base * 1000.0, 2 * n);
	return 0;
}
