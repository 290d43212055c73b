// scale_stream_test.cc - long traces through a pipe: `smmusim replay -`
// reads standard input (the same report as from a file; the reader's
// errors named <stdin>:LINE:COL; check and dump too), `smmusim gen` writes
// as it goes (`gen dma`'s options and output), and the replay's peak RSS
// does not grow with the trace's length: 10^5 and 10^6 bare-metal DMAs
// (`gen dma`), and 10^5 and 10^6 packets through the host DMA API (`gen
// stream`, whose buffer names are bound again after each unmap), each pair
// within a small bound. Labels: sim, scale.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run_util.h"
#include "sc_gtest_main.h"

namespace
{

struct PipeRun {
	int gen_status = -1, status = -1;
	long max_rss_kb = 0; // the replay's peak resident set (getrusage)
	std::string out, err;
};

// gen_args | smmusim replay - replay_args: the generator's stdout is the
// replay's stdin; the replay's own rusage comes from wait4.
PipeRun Pipe(const std::vector<std::string> &gen_args, const std::vector<std::string> &replay_args)
{
	PipeRun r;
	std::string out = temp_path(".out"), err = temp_path(".err");
	int p[2];
	if (pipe(p) != 0)
		return r;
	auto spawn = [&](const std::vector<std::string> &args, int in, int o, int e) {
		pid_t pid = fork();
		if (pid == 0) {
			dup2(in, 0);
			dup2(o, 1);
			dup2(e, 2);
			close(p[0]);
			close(p[1]);
			std::vector<char *> argv;
			argv.push_back(const_cast<char *>(SMMUSIM_EXE));
			for (const std::string &a : args)
				argv.push_back(const_cast<char *>(a.c_str()));
			argv.push_back(nullptr);
			execv(SMMUSIM_EXE, argv.data());
			_exit(127);
		}
		return pid;
	};
	int devnull = open("/dev/null", O_RDWR);
	int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	pid_t g = spawn(gen_args, devnull, p[1], e);
	std::vector<std::string> ra = {"replay", "-"};
	ra.insert(ra.end(), replay_args.begin(), replay_args.end());
	pid_t rp = spawn(ra, p[0], o, e);
	close(p[0]);
	close(p[1]);
	close(devnull);
	close(o);
	close(e);
	int ws = 0;
	struct rusage ru {};
	if (wait4(rp, &ws, 0, &ru) == rp && WIFEXITED(ws))
		r.status = WEXITSTATUS(ws);
	r.max_rss_kb = ru.ru_maxrss;
	if (waitpid(g, &ws, 0) == g && WIFEXITED(ws))
		r.gen_status = WEXITSTATUS(ws);
	r.out = read_file(out);
	r.err = read_file(err);
	unlink(out.c_str());
	unlink(err.c_str());
	return r;
}

// The report without the line that names the trace (a file, or "-").
std::string WithoutTrace(const std::string &json)
{
	std::string o;
	std::istringstream in(json);
	for (std::string l; std::getline(in, l);)
		if (l.find("\"trace\":") == std::string::npos)
			o += l + "\n";
	return o;
}

TEST(Stream, StdinReplaysLikeTheFile)
{
	for (const std::vector<std::string> &g :
	     {std::vector<std::string>{"gen", "dma", "--dmas", "20000", "--pages", "16"},
	      std::vector<std::string>{"gen", "stream", "--pkts", "300", "--depth", "16"}}) {
		std::string t = temp_path(".trace");
		std::vector<std::string> ga = g;
		ga.push_back("-o");
		ga.push_back(t);
		ASSERT_EQ(run(SMMUSIM_EXE, ga).status, 0);
		std::string from_file;
		RunResult f = replay_json(SMMUSIM_EXE, t, {}, &from_file);
		ASSERT_EQ(f.status, 0) << f.err;
		PipeRun p = Pipe(g, {"--quiet", "--json", "-"});
		ASSERT_EQ(p.gen_status, 0);
		ASSERT_EQ(p.status, 0) << p.err;
		EXPECT_FALSE(from_file.empty());
		EXPECT_EQ(WithoutTrace(p.out), WithoutTrace(from_file));
		EXPECT_NE(p.out.find("\"trace\": \"-\""), std::string::npos);
		unlink(t.c_str());
	}
}

TEST(Stream, CheckDumpAndErrorsReadStdin)
{
	// `check -` and `dump -` read a pipe too
	std::string t = temp_path(".trace");
	ASSERT_EQ(run(SMMUSIM_EXE, {"gen", "stream", "--pkts", "4", "--depth", "2", "-o", t}).status, 0);
	std::string cmd = "'" SMMUSIM_EXE "' check - < '" + t + "'";
	FILE *f = popen(cmd.c_str(), "r");
	ASSERT_TRUE(f);
	char buf[256] = "";
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	EXPECT_EQ(pclose(f), 0);
	EXPECT_NE(std::string(buf).find("-: ok: 15 records"), std::string::npos) << buf;
	cmd = "'" SMMUSIM_EXE "' dump - < '" + t + "' | '" SMMUSIM_EXE "' dump - | grep -c '^dmaapi nic0 map'";
	f = popen(cmd.c_str(), "r");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	pclose(f);
	EXPECT_EQ(std::string(buf), "4\n");
	// a malformed trace on stdin is named <stdin>:LINE:COL
	write_file(t, "smmutrace 1\ndevice d0 smmu=smmu0 sid=1\ndma d0 addr=0x1000 len=64 dir=sideways\n");
	cmd = "'" SMMUSIM_EXE "' replay - < '" + t + "' 2>&1 >/dev/null; echo status=$?";
	f = popen(cmd.c_str(), "r");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	pclose(f);
	EXPECT_NE(std::string(buf).find("<stdin>:3:"), std::string::npos) << buf;
	EXPECT_NE(std::string(buf).find("status=2"), std::string::npos) << buf;
	unlink(t.c_str());
}

TEST(Stream, GenStreamNamesEachBufferSlotOnce)
{
	RunResult g = run(SMMUSIM_EXE, {"gen", "stream", "--pkts", "10", "--depth", "3"});
	ASSERT_EQ(g.status, 0);
	// $b0..$b2 only, each bound again after its unmap
	EXPECT_NE(g.out.find("-> iova=$b2\n"), std::string::npos);
	EXPECT_EQ(g.out.find("$b3"), std::string::npos) << g.out;
	std::string t = temp_path(".trace");
	write_file(t, g.out);
	std::string json;
	RunResult r = replay_json(SMMUSIM_EXE, t, {}, &json);
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_NE(json.find("\"maps\": 10"), std::string::npos);
	unlink(t.c_str());
}

size_t Count(const std::string &s, const std::string &what)
{
	size_t n = 0;
	for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1))
		n++;
	return n;
}

TEST(Stream, GenDmaWritesTheStreamItIsAskedFor)
{
	RunResult g = run(SMMUSIM_EXE, {"gen", "dma", "--dmas", "16", "--write-every", "4", "--pages", "2",
					"--len", "128"});
	ASSERT_EQ(g.status, 0) << g.err;
	EXPECT_EQ(Count(g.out, "\ndma dev0 addr=0x4000"), 16u) << g.out;
	EXPECT_EQ(Count(g.out, " len=128 dir=write\n"), 4u);
	EXPECT_EQ(Count(g.out, " len=128 dir=read\n"), 12u);
	EXPECT_NE(g.out.find("expect stat dma.ok == 16\n"), std::string::npos);
	// deterministic: the same seed the same text, another seed other addresses
	EXPECT_EQ(run(SMMUSIM_EXE, {"gen", "dma", "--dmas", "16", "--write-every", "4", "--pages", "2",
				    "--len", "128"}).out,
		  g.out);
	EXPECT_NE(run(SMMUSIM_EXE, {"gen", "dma", "--dmas", "16", "--write-every", "4", "--pages", "2",
				    "--len", "128", "--seed", "2"}).out,
		  g.out);
	// every DMA stays inside the two mapped pages and completes
	std::string t = temp_path(".trace");
	write_file(t, g.out);
	std::string json;
	RunResult r = replay_json(SMMUSIM_EXE, t, {}, &json);
	EXPECT_EQ(r.status, 0) << r.err;
	unlink(t.c_str());
	for (const std::vector<std::string> &bad :
	     {std::vector<std::string>{"gen", "dma"}, {"gen", "dma", "--dmas", "0"},
	      {"gen", "dma", "--dmas", "4", "--pages", "0"}, {"gen", "dma", "--dmas", "4", "--len", "4097"},
	      {"gen", "dma", "--dmas", "4", "--bogus", "1"}, {"gen", "dma", "--dmas"}}) {
		RunResult b = run(SMMUSIM_EXE, bad);
		EXPECT_EQ(b.status, 1) << bad.back();
		EXPECT_NE(b.err.find("smmusim gen: error: "), std::string::npos) << b.err;
	}
}

// Peak RSS under ASan measures its quarantine of freed blocks, not ours.
#if defined(__SANITIZE_ADDRESS__)
#define SKIP_UNDER_ASAN() GTEST_SKIP() << "peak RSS is not meaningful under AddressSanitizer"
#else
#define SKIP_UNDER_ASAN() (void)0
#endif

// Generous against allocator noise; a per-record leak of even 8 bytes
// over the 900,000 extra records would be 7 MiB.
constexpr long kBoundKb = 4 * 1024;

TEST(Stream, PeakRssDoesNotGrowWithBareMetalDmas)
{
	SKIP_UNDER_ASAN();
	PipeRun a = Pipe({"gen", "dma", "--dmas", "100000"}, {"--quiet", "--no-progress"});
	PipeRun b = Pipe({"gen", "dma", "--dmas", "1000000"}, {"--quiet", "--no-progress"});
	ASSERT_EQ(a.status, 0) << a.err;
	ASSERT_EQ(b.status, 0) << b.err;
	ASSERT_EQ(b.gen_status, 0);
	EXPECT_GT(a.max_rss_kb, 0);
	EXPECT_LT(b.max_rss_kb - a.max_rss_kb, kBoundKb)
	    << "10^5 DMAs: " << a.max_rss_kb << " KiB, 10^6: " << b.max_rss_kb << " KiB";
}

TEST(Stream, PeakRssDoesNotGrowWithDmaApiPackets)
{
	SKIP_UNDER_ASAN();
	// Per packet a map, the DMA and a strict unmap (TLBI + CMD_SYNC): the
	// latency breakdown keeps its first 100,000 requests, so both runs
	// start past that.
	PipeRun a = Pipe({"gen", "stream", "--pkts", "100000"}, {"--quiet", "--no-progress"});
	PipeRun b = Pipe({"gen", "stream", "--pkts", "1000000"}, {"--quiet", "--no-progress"});
	ASSERT_EQ(a.status, 0) << a.err;
	ASSERT_EQ(b.status, 0) << b.err;
	EXPECT_LT(b.max_rss_kb - a.max_rss_kb, kBoundKb)
	    << "10^5 packets: " << a.max_rss_kb << " KiB, 10^6: " << b.max_rss_kb << " KiB";
}

} // namespace
