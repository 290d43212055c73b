// sim_bench.cc - how fast the platform replays DMA, against the C core alone.
//
// Generates (deterministically, at run time) a gzip trace of one million
// hit-dominated bare-metal DMA records: one stage-1 stream over four pages,
// so after the first walks every DMA hits the TBU's micro TLB. Then measures
//   sim.replay_dma.mdps  millions of DMA records per second replayed from
//                        that file through the whole SystemC platform,
//                        parsing included (smmusim replay: the fastest of
//                        one run in process and two as processes of their
//                        own, start-up subtracted);
//   sim.core_dma.mdps    the same DMAs through the C core directly: the same
//                        file read by the same trace reader, each dma record
//                        decoded and handed to smmu_translate(), no SystemC;
//   sim.overhead         time per DMA through the platform / through the core
//                        driven directly (what the SystemC platform costs);
//   sim.core_only_dma.mdps  the DMAs through smmu_translate() in a loop with
//                        no trace at all (the model's own speed);
//   sim.replay_dma.socket_mdps  sim.replay_dma.mdps with sim.direct_dma=off:
//                        every DMA through the TBU socket's b_transport (the
//                        default reaches the SMMU module by its direct path).
// and, to show where the time goes,
//   sim.parse_dma.mdps   the same file only read, parsed and decoded
//                        (`smmusim check`, in process): the replay's floor;
//   sim.platform_dma.ns  replay time minus that, per DMA: what the SystemC
//                        platform itself adds around smmu_translate().
// Prints one flat JSON object on stdout. Exit status 1 if a run went wrong
// (wrong DMA count or a DMA that did not translate).
//
// usage: sim_bench [--records N] [--dir DIR] [--keep]
//   the trace goes to DIR/sim_bench.PID.trace.gz (default /tmp) and is
//   removed unless --keep (then its name is printed on stderr).
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include <systemc>
#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include "baremetal.h"
#include "trc/trace.h"
#include "replay.h"
#include "smmu/smmu.h"

namespace {

constexpr uint64_t kVa = 0x40000000ull;
constexpr uint64_t kPa = 0x80000000ull;
constexpr unsigned kPages = 4;

// Records the set-up writes for the core baseline.
struct SetupLog : smmusim::BareMetalTrace::Sink {
	struct Op {
		bool mmio;
		uint64_t a, v;
		unsigned width;
	};
	std::vector<Op> ops;
	void mem_write64(uint64_t pa, uint64_t v) override { ops.push_back({false, pa, v, 8}); }
	void mmio_write(uint64_t off, unsigned width, uint64_t v) override
	{
		ops.push_back({true, off, v, width});
	}
};

// The DMA stream, the same for the trace and the core loop.
struct DmaGen {
	uint64_t x = 0x9e3779b97f4a7c15ull;
	uint64_t i = 0;
	void next(uint64_t &addr, bool &write)
	{
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t page = (x >> 61) % kPages;
		addr = kVa + (page << 12) + ((x >> 32) & 0xfc0);
		write = (i++ % 8) == 7;
	}
};

// The gzip file inflated to plain text (the same records) by zlib, read in
// 1 MiB blocks; returns the seconds zlib alone took.
double inflate_to(const std::string &gz, const std::string &plain)
{
	gzFile in = gzopen(gz.c_str(), "rb");
	FILE *out = fopen(plain.c_str(), "wb");
	if (!in || !out)
		return -1;
	gzbuffer(in, 1 << 18);
	std::vector<char> buf(1 << 20);
	double s = 0;
	for (;;) {
		auto t0 = std::chrono::steady_clock::now();
		int n = gzread(in, buf.data(), (unsigned)buf.size());
		s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
		if (n <= 0)
			break;
		fwrite(buf.data(), 1, (size_t)n, out);
	}
	gzclose(in);
	return fclose(out) == 0 ? s : -1;
}

// Seconds ISA-L's igzip (the trace reader's inflater for files) takes to
// inflate the gzip file (one member, already in memory) in 1 MiB blocks.
double igzip_seconds(const std::string &gz)
{
	FILE *f = fopen(gz.c_str(), "rb");
	if (!f)
		return -1;
	std::vector<uint8_t> in;
	uint8_t chunk[1 << 16];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		in.insert(in.end(), chunk, chunk + n);
	fclose(f);
	std::vector<uint8_t> out(1 << 20);
	auto st = std::make_unique<inflate_state>();
	isal_inflate_init(st.get());
	st->crc_flag = ISAL_GZIP;
	st->next_in = in.data();
	st->avail_in = (uint32_t)in.size();
	auto t0 = std::chrono::steady_clock::now();
	while (st->block_state != ISAL_BLOCK_FINISH) {
		st->next_out = out.data();
		st->avail_out = (uint32_t)out.size();
		if (isal_inflate(st.get()) != ISAL_DECOMP_OK ||
		    (st->avail_out == out.size() && st->block_state != ISAL_BLOCK_FINISH))
			return -1;
	}
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool write_trace(const std::string &path, uint64_t n, SetupLog &log)
{
	smmusim::BareMetalTrace bm;
	bm.set_sink(&log);
	bm.line("smmutrace 1");
	bm.line("device d0 smmu=smmu0 sid=1");
	bm.enable(8);
	smmu_pt pt = bm.s1_stream(1, 1);
	bm.map_s1(pt, kVa, kPa, kPages << 12);
	bm.line("wait 1us");
	std::string head = bm.text();
	gzFile f = gzopen(path.c_str(), "wb6");
	if (!f)
		return false;
	gzwrite(f, head.data(), (unsigned)head.size());
	DmaGen g;
	std::string buf;
	buf.reserve(1 << 20);
	char line[96];
	for (uint64_t k = 0; k < n; k++) {
		uint64_t addr;
		bool w;
		g.next(addr, w);
		int len = snprintf(line, sizeof(line), "dma d0 addr=0x%" PRIx64 " len=64 dir=%s\n", addr,
				   w ? "write" : "read");
		buf.append(line, (size_t)len);
		if (buf.size() > (1 << 20) - 128) {
			gzwrite(f, buf.data(), (unsigned)buf.size());
			buf.clear();
		}
	}
	gzwrite(f, buf.data(), (unsigned)buf.size());
	return gzclose(f) == Z_OK;
}

// Sparse memory for the core baseline.
struct CoreMem {
	std::unordered_map<uint64_t, std::unique_ptr<uint8_t[]>> pages;
	uint8_t *page(uint64_t pa)
	{
		auto &p = pages[pa >> 12];
		if (!p)
			p.reset(new uint8_t[4096]());
		return p.get();
	}
	static int read(void *h, uint64_t pa, void *buf, uint32_t len)
	{
		auto *m = static_cast<CoreMem *>(h);
		for (uint32_t i = 0; i < len; i++)
			static_cast<uint8_t *>(buf)[i] = m->page(pa + i)[(pa + i) & 4095];
		return 0;
	}
	static int write(void *h, uint64_t pa, const void *buf, uint32_t len)
	{
		auto *m = static_cast<CoreMem *>(h);
		for (uint32_t i = 0; i < len; i++)
			m->page(pa + i)[(pa + i) & 4095] = static_cast<const uint8_t *>(buf)[i];
		return 0;
	}
};

// Wall seconds of `smmusim replay PATH --quiet` as its own process (the
// platform can be elaborated once per process); < 0 on failure.
double replay_process(const std::string &path, const char *set = nullptr)
{
	auto t0 = std::chrono::steady_clock::now();
	pid_t pid = fork();
	if (pid == 0) {
		if (set)
			execl(SMMUSIM_EXE, SMMUSIM_EXE, "replay", path.c_str(), "--quiet", "--no-progress",
			      "--set", set, (char *)nullptr);
		else
			execl(SMMUSIM_EXE, SMMUSIM_EXE, "replay", path.c_str(), "--quiet",
			      "--no-progress", (char *)nullptr);
		_exit(127);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -1;
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double best_replay_process(const std::string &path, int reps, const char *set = nullptr)
{
	double best = -1;
	for (int i = 0; i < reps; i++) {
		double t = replay_process(path, set);
		if (t < 0)
			return -1;
		if (best < 0 || t < best)
			best = t;
	}
	return best;
}

double seconds_since(std::chrono::steady_clock::time_point t0)
{
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

int sc_main(int argc, char **argv)
{
	uint64_t n = 1000000;
	std::string dir = "/tmp";
	bool keep = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--records") && i + 1 < argc)
			n = strtoull(argv[++i], nullptr, 0);
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--keep"))
			keep = true;
		else {
			fprintf(stderr, "usage: sim_bench [--records N] [--dir DIR] [--keep]\n");
			return 1;
		}
	}
	std::string path = dir + "/sim_bench." + std::to_string(getpid()) + ".trace.gz";
	SetupLog log;
	if (!write_trace(path, n, log)) {
		fprintf(stderr, "sim_bench: cannot write %s\n", path.c_str());
		return 1;
	}

	smmusim::ReplayOptions opt;
	opt.trace = path;
	opt.text = false;
	std::ostringstream out, err;

	// Parse and decode only (also brings the file into the page cache);
	// the fastest of three.
	double check_s = 0;
	for (int pass = 0; pass < 3; pass++) {
		auto tc = std::chrono::steady_clock::now();
		if (smmusim::run_check(opt, out, err) != 0) {
			fprintf(stderr, "sim_bench: check failed: %s\n", err.str().c_str());
			return 1;
		}
		double t = seconds_since(tc);
		if (pass == 0 || t < check_s)
			check_s = t;
	}

	// (a) The platform, from the file, parse included.
	auto t0 = std::chrono::steady_clock::now();
	smmusim::Replay r(opt);
	smmusim::SimError e;
	if (!r.prepare(e)) {
		fprintf(stderr, "sim_bench: %s\n", e.msg.c_str());
		return 1;
	}
	r.elaborate();
	sc_core::sc_start();
	int status = r.finish(out, err);
	double replay_s = seconds_since(t0);
	uint64_t dmas = r.stats()->dma_count();
	uint64_t ok = r.stats()->dma_kind(smmusim::RunStats::kDmaOk);
	if (status != 0 || dmas != n || ok != n) {
		fprintf(stderr, "sim_bench: replay went wrong: status %d, %" PRIu64 " DMAs, %" PRIu64
				" ok\n%s", status, dmas, ok, err.str().c_str());
		return 1;
	}

	// (b) The core alone: same configuration, same writes, same DMAs.
	smmu_config cfg;
	smmu_config_default(&cfg);
	cfg.num_tbus = 1;
	CoreMem mem;
	smmu_host_ops ops{};
	ops.size = sizeof(ops);
	ops.mem_read = CoreMem::read;
	ops.mem_write = CoreMem::write;
	smmu *s = nullptr;
	if (smmu_create(&cfg, &ops, &mem, &s) != SMMU_OK)
		return 1;
	uint64_t now = 0;
	for (const SetupLog::Op &o : log.ops) {
		if (o.mmio) {
			smmu_mmio_write(s, o.a, o.width, o.v, now);
			now += 100;
		} else {
			CoreMem::write(&mem, o.a, &o.v, 8);
		}
	}
	now += 1000;
	smmu_txn t{};
	t.sid = 1;
	t.len = 64;
	smmu_xlate_result res;
	uint64_t core_ok = 0, core_n = 0;
	// (b) The same file through the trace reader straight into the core
	// (three passes, the fastest kept: this machine's speed varies).
	double core_s = 0;
	for (int pass = 0; pass < 3; pass++) {
		core_ok = core_n = 0;
		auto t1 = std::chrono::steady_clock::now();
		trc_reader *rd = nullptr;
		trc_error te{};
		if (trc_reader_open(path.c_str(), nullptr, &rd, &te) != TRC_OK) {
			fprintf(stderr, "sim_bench: %s\n", te.msg);
			return 1;
		}
		const trc_record *rec;
		trc_dma dma;
		int rc;
		// The reader as the replay uses it: plain dma lines through its lane.
		while ((rc = trc_reader_next_dma(rd, &rec, &dma)) == TRC_OK || rc == TRC_DMA) {
			if (rc == TRC_DMA) {
				t.addr = dma.addr;
				t.write = dma.write;
			} else if (rec->verb != TRC_VERB_DMA) {
				continue;
			} else {
				uint64_t addr;
				if (trc_value_u64(trc_record_arg(rec, "addr"), &addr) != TRC_OK)
					return 1;
				t.addr = addr;
				t.write = trc_value_is(trc_record_arg(rec, "dir"), "write");
			}
			smmu_translate(s, &t, now, &res);
			core_ok += res.outcome == SMMU_XLATE_OK;
			core_n++;
			now = res.done + 100; // the data access, as memory.latency_ns adds
		}
		trc_reader_close(rd);
		if (rc != TRC_EOF)
			return 1;
		double t = seconds_since(t1);
		if (pass == 0 || t < core_s)
			core_s = t;
	}
	// (c) The model alone, no trace.
	DmaGen g;
	auto t2 = std::chrono::steady_clock::now();
	for (uint64_t k = 0; k < n; k++) {
		g.next(t.addr, t.write);
		smmu_translate(s, &t, now, &res);
		core_ok += res.outcome == SMMU_XLATE_OK;
		now = res.done + 100;
	}
	double model_s = seconds_since(t2);
	smmu_destroy(s);
	if (core_n != n || core_ok != 2 * n) {
		fprintf(stderr, "sim_bench: core loop: %" PRIu64 " of %" PRIu64 " DMAs translated\n",
			core_ok, 2 * n);
		return 1;
	}

	// (d) The same records as plain text, replayed by smmusim in a process of
	// its own, its start-up (the same set-up without the DMAs) subtracted;
	// and what igzip (the reader's inflater) and zlib alone take to inflate
	// the gzip file: igzip's is the gzip replay's ceiling on one core.
	std::string plain = dir + "/sim_bench." + std::to_string(getpid()) + ".trace";
	std::string empty = dir + "/sim_bench." + std::to_string(getpid()) + ".empty.trace";
	double inflate_s = inflate_to(path, plain), igzip_s = igzip_seconds(path);
	SetupLog unused;
	if (inflate_s < 0 || igzip_s < 0 || !write_trace(empty, 0, unused)) {
		fprintf(stderr, "sim_bench: cannot write %s\n", plain.c_str());
		return 1;
	}
	std::string empty_plain = empty + ".txt";
	inflate_to(empty, empty_plain);
	double plain_s = best_replay_process(plain, 3), start_s = best_replay_process(empty_plain, 3);
	// The gzip replay again, twice, as processes: the fastest of the three
	// runs is reported (this machine's speed varies from run to run).
	double gz_s = best_replay_process(path, 2), gz_start_s = best_replay_process(empty, 3);
	// The same with every DMA through the TBU socket's b_transport
	// (sim.direct_dma=off), start-up subtracted likewise.
	double socket_s = best_replay_process(path, 3, "sim.direct_dma=off");
	if (gz_s >= 0 && gz_start_s >= 0 && gz_s - gz_start_s < replay_s)
		replay_s = std::max(gz_s - gz_start_s, 1e-9);
	remove(empty.c_str());
	remove(empty_plain.c_str());
	if (plain_s < 0 || start_s < 0 || gz_s < 0 || gz_start_s < 0 || socket_s < 0) {
		fprintf(stderr, "sim_bench: %s did not replay %s\n", SMMUSIM_EXE, plain.c_str());
		return 1;
	}
	if (keep) {
		fprintf(stderr, "sim_bench: kept %s and %s\n", path.c_str(), plain.c_str());
	} else {
		remove(path.c_str());
		remove(plain.c_str());
	}
	double plain_mdps = (double)n / std::max(plain_s - start_s, 1e-9) / 1e6;
	double socket_mdps = (double)n / std::max(socket_s - gz_start_s, 1e-9) / 1e6;
	double replay_mdps = (double)n / replay_s / 1e6;
	double core_mdps = (double)n / core_s / 1e6;
	double platform_ns = replay_s > check_s ? (replay_s - check_s) / (double)n * 1e9 : 0;
	printf("{\n  \"sim.replay_dma.mdps\": %.3f,\n  \"sim.core_dma.mdps\": %.3f,\n"
	       "  \"sim.overhead\": %.3f,\n  \"sim.parse_dma.mdps\": %.3f,\n"
	       "  \"sim.platform_dma.ns\": %.1f,\n  \"sim.core_only_dma.mdps\": %.3f,\n"
	       "  \"sim.replay_dma.plain_mdps\": %.3f,\n  \"sim.inflate.mlps\": %.3f,\n"
	       "  \"sim.inflate_zlib.mlps\": %.3f,\n  \"sim.replay_dma.socket_mdps\": %.3f\n}\n",
	       replay_mdps, core_mdps, replay_s / core_s, (double)n / check_s / 1e6, platform_ns,
	       (double)n / model_s / 1e6, plain_mdps, (double)n / igzip_s / 1e6,
	       (double)n / inflate_s / 1e6, socket_mdps);
	return 0;
}

int main(int argc, char **argv)
{
	setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
	return sc_core::sc_elab_and_sim(argc, argv);
}
