// trace_bench.cc - how fast the traces reader parses a gzip trace.
//
// Generates (deterministically, at run time) the same kind of trace the
// replay benchmark uses: a bare-metal header and one million `dma` records
// (hit-dominated, one device), gzip-compressed on disk, then reads it back
// with trc_reader_next() and reports
//   trace.parse.mrps  millions of records per second, file read and
//                     inflate included (best of three passes).
// Prints one flat JSON object on stdout; exit status 1 on a read error.
//
// usage: trace_bench [--records N] [--dir DIR]
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <unistd.h>
#include <zlib.h>

#include "trc/trace.h"

namespace {

bool write_trace(const std::string &path, uint64_t n)
{
	gzFile f = gzopen(path.c_str(), "wb6");
	if (!f)
		return false;
	std::string buf = "smmutrace 1\ndevice d0 smmu=smmu0 sid=1\n"
			  "mmio smmu0 write 0x20 val=0xd\n"
			  "mem write 0x10000040 u64=[0x1000700b,0x1000000000d4,0x40d355800000000,0x0]\n"
			  "wait 1us\n";
	uint64_t x = 0x9e3779b97f4a7c15ull;
	char line[96];
	for (uint64_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t addr = 0x40000000ull + (((x >> 61) % 4) << 12) + ((x >> 32) & 0xfc0);
		int len = snprintf(line, sizeof(line), "dma d0 addr=0x%" PRIx64 " len=64 dir=%s\n", addr,
				   i % 8 == 7 ? "write" : "read");
		buf.append(line, (size_t)len);
		if (buf.size() > (1 << 20) - 128) {
			gzwrite(f, buf.data(), (unsigned)buf.size());
			buf.clear();
		}
	}
	gzwrite(f, buf.data(), (unsigned)buf.size());
	return gzclose(f) == Z_OK;
}

} // namespace

int main(int argc, char **argv)
{
	uint64_t n = 1000000;
	std::string dir = "/tmp";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--records") && i + 1 < argc)
			n = strtoull(argv[++i], nullptr, 0);
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			dir = argv[++i];
		else {
			fprintf(stderr, "usage: trace_bench [--records N] [--dir DIR]\n");
			return 1;
		}
	}
	std::string path = dir + "/trace_bench." + std::to_string(getpid()) + ".trace.gz";
	if (!write_trace(path, n)) {
		fprintf(stderr, "trace_bench: cannot write %s\n", path.c_str());
		return 1;
	}
	double best = 0;
	for (int pass = 0; pass < 3; pass++) {
		auto t0 = std::chrono::steady_clock::now();
		trc_reader *r;
		trc_error err;
		if (trc_reader_open(path.c_str(), nullptr, &r, &err) != TRC_OK) {
			fprintf(stderr, "trace_bench: %s\n", err.msg);
			remove(path.c_str());
			return 1;
		}
		const trc_record *rec;
		uint64_t records = 0;
		int rc;
		while ((rc = trc_reader_next(r, &rec)) == TRC_OK)
			records++;
		if (rc != TRC_EOF) {
			char buf[512];
			trc_error_format(trc_reader_error(r), buf, sizeof(buf));
			fprintf(stderr, "trace_bench: %s\n", buf);
			trc_reader_close(r);
			remove(path.c_str());
			return 1;
		}
		trc_reader_close(r);
		double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
		double mrps = (double)records / s / 1e6;
		if (mrps > best)
			best = mrps;
	}
	remove(path.c_str());
	printf("{\n  \"trace.parse.mrps\": %.3f\n}\n", best);
	return 0;
}
