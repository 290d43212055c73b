// latency_dmaapi_test.cc - the host DMA API in replay: `smmusim gen stream`
// traces replayed strict and lazy give the invalidation commands the kernel
// issues for that known sequence (strict: one TLBI + CMD_SYNC per unmap;
// lazy: one TLBI of the whole ASID + CMD_SYNC per 255 unmaps, when the
// 256-slot flush queue is full), the flush-queue timer fires during a
// `wait` and empties the queue, reports are byte-identical run to run,
// lazy is faster than strict in simulated time, the streaming example
// replays, and malformed `dmaapi` records name their line and column.
// Labels: sim, latency.
#include <gtest/gtest.h>

#include "json.h"
#include "run_util.h"
#include "sc_gtest_main.h"

using smmusim::json::Value;

namespace
{

struct Replayed {
	RunResult r;
	Value v;
	std::string json;
};

Replayed Replay(const std::string &trace, const std::vector<std::string> &sets = {})
{
	Replayed out;
	std::string json = temp_path(".json");
	std::vector<std::string> args = {"replay", trace, "--quiet", "--json", json};
	for (const auto &s : sets) {
		args.push_back("--set");
		args.push_back(s);
	}
	out.r = run(SMMUSIM_EXE, args);
	out.json = read_file(json);
	smmusim::json::Error e;
	EXPECT_TRUE(smmusim::json::parse(out.json, out.v, e)) << e.what << "\n" << out.r.err;
	unlink(json.c_str());
	return out;
}

double Num(const Value &v, std::initializer_list<const char *> path)
{
	const Value *x = v.at(path);
	return x ? x->number_or(-1) : 0; // a command never issued has no entry
}

std::string Gen(const std::vector<std::string> &extra)
{
	std::string t = temp_path(".trace");
	std::vector<std::string> args = {"gen", "stream"};
	args.insert(args.end(), extra.begin(), extra.end());
	args.push_back("-o");
	args.push_back(t);
	RunResult g = run(SMMUSIM_EXE, args);
	EXPECT_EQ(g.status, 0) << g.err;
	return t;
}

TEST(DmaApiReplay, StrictAndLazyIssueTheCommandsOfTheKnownSequence)
{
	// 600 one-page buffers, 64 in flight
	std::string t = Gen({"--pkts", "600", "--size", "1500", "--depth", "64"});
	Replayed s = Replay(t, {"kernel.iommu_strict=on"});
	Replayed l = Replay(t, {"kernel.iommu_strict=off"});
	unlink(t.c_str());
	ASSERT_EQ(s.r.status, 0) << s.r.err;
	ASSERT_EQ(l.r.status, 0) << l.r.err;
	EXPECT_EQ(s.v.at({"dma_api", "mode"})->str(), "strict");
	EXPECT_EQ(l.v.at({"dma_api", "mode"})->str(), "lazy");
	for (const Replayed *x : {&s, &l}) {
		EXPECT_EQ(Num(x->v, {"dma_api", "maps"}), 600);
		EXPECT_EQ(Num(x->v, {"dma_api", "unmaps"}), 600);
		EXPECT_EQ(Num(x->v, {"dma", "ok"}), 600);
		EXPECT_EQ(Num(x->v, {"violations_count"}), 0);
	}
	// strict: each unmap one TLBI_NH_VA (one page) and one CMD_SYNC
	double va_s = Num(s.v, {"commands", "TLBI_NH_VA", "count"});
	double va_l = Num(l.v, {"commands", "TLBI_NH_VA", "count"});
	double asid_s = Num(s.v, {"commands", "TLBI_NH_ASID", "count"});
	double asid_l = Num(l.v, {"commands", "TLBI_NH_ASID", "count"});
	double sync_s = Num(s.v, {"commands", "SYNC", "count"});
	double sync_l = Num(l.v, {"commands", "SYNC", "count"});
	EXPECT_EQ(va_s - va_l, 600);
	EXPECT_EQ(va_l, 0);
	// lazy: flushes at the 256th and the 511th unmap (255 entries each)
	EXPECT_EQ(asid_l - asid_s, 2);
	EXPECT_EQ(sync_s - sync_l, 600 - 2);
	EXPECT_EQ(Num(l.v, {"dma_api", "fq", "queued"}), 600);
	EXPECT_EQ(Num(l.v, {"dma_api", "fq", "flush_full"}), 2);
	EXPECT_EQ(Num(l.v, {"dma_api", "fq", "flush_timer"}), 0);
	EXPECT_EQ(Num(l.v, {"dma_api", "fq", "pending"}), 600 - 2 * 255);
	// in simulated time, lazy streams faster
	EXPECT_LT(Num(l.v, {"sim_time_ns"}), Num(s.v, {"sim_time_ns"}));
	// per-request latency kinds: every strict unmap invalidates
	EXPECT_EQ(Num(s.v, {"latency", "by_kind", "dma_unmap", "count"}), 600);
	EXPECT_EQ(Num(l.v, {"latency", "by_kind", "dma_unmap", "count"}), 2);
}

TEST(DmaApiReplay, TheQueueTimerFiresInAWaitAndEmptiesTheQueue)
{
	std::string t = temp_path(".trace");
	write_file(t, "smmutrace 1.1\n"
	              "config kernel.iommu_strict=off\n"
	              "device nic0 smmu=smmu0 sid=0x10\n"
	              "dmaapi nic0 map len=4K dir=to -> iova=$a\n"
	              "dmaapi nic0 map len=4K dir=from -> iova=$b\n"
	              "dma nic0 addr=$a len=64 dir=read -> ok\n"
	              "dmaapi nic0 unmap iova=$a len=4K\n"
	              "dmaapi nic0 unmap iova=$b len=4K dir=from\n"
	              "dma nic0 addr=$a len=64 dir=read -> ok\n" // the lazy window
	              "wait 20ms\n"
	              "dma nic0 addr=$a len=64 dir=read -> fault=F_TRANSLATION\n"
	              "dmaapi nic0 map len=4K dir=to -> iova=$c\n"
	              "expect stat dma_api.fq.flush_timer == 1\n"
	              "expect isolation\n");
	Replayed a = Replay(t);
	ASSERT_EQ(a.r.status, 0) << a.r.err << a.r.out;
	EXPECT_EQ(Num(a.v, {"dma_api", "fq", "pending"}), 0);
	EXPECT_EQ(Num(a.v, {"latency", "by_kind", "fq_flush_timeout", "count"}), 1);
	// the IOVA came back from the CPU cache after the flush
	Replayed b = Replay(t);
	EXPECT_EQ(a.json, b.json); // deterministic
	unlink(t.c_str());
}

TEST(DmaApiReplay, ResultsAssertAndErrorsAreKernelErrnos)
{
	std::string t = temp_path(".trace");
	write_file(t, "smmutrace 1.1\n"
	              "device nic0 smmu=smmu0 sid=0x10\n"
	              "dmaapi nic0 map len=1500 dir=to -> iova=0xfffff000\n"
	              "dmaapi nic0 map len=64K dir=bidi cpu=1 -> iova=0xfffe0000\n"
	              "dmaapi nic0 unmap iova=0xfffff000 len=1500 -> ok\n"
	              "dmaapi nic0 unmap iova=0xfffff000 len=1500 -> err=EINVAL\n"
	              "dmaapi nic0 map len=4K dir=to cpu=99 -> err=EINVAL\n"
	              "open /dev/iommu -> fd=$i\n"
	              "open /dev/vfio/devices/vfio0 -> fd=$d\n"
	              "ioctl $d VFIO_DEVICE_BIND_IOMMUFD iommufd=$i -> out_devid=$dev\n"
	              "dmaapi nic0 map len=4K dir=to -> err=EBUSY\n");
	Replayed a = Replay(t);
	EXPECT_EQ(a.r.status, 0) << a.r.err << a.r.out;
	write_file(t, "smmutrace 1.1\n"
	              "device nic0 smmu=smmu0 sid=0x10\n"
	              "dmaapi nic0 map len=1500 dir=to -> iova=0x1000\n");
	Replayed b = Replay(t);
	EXPECT_EQ(b.r.status, 4);
	EXPECT_NE(b.r.err.find(":3:"), std::string::npos) << b.r.err;
	unlink(t.c_str());
}

TEST(DmaApiReplay, MalformedRecordsNameLineAndColumn)
{
	struct Case {
		const char *line, *want;
	} cases[] = {
	    {"dmaapi nic0 map dir=to", ":3:"},
	    {"dmaapi nic9 map len=4K dir=to", "unknown device"},
	    {"dmaapi nic0 frob len=4K", "map or unmap"},
	    {"dmaapi nic0 map len=4K dir=sideways", ":3:"},
	    {"dmaapi nic0 unmap len=4K", "iova"},
	    {"dmaapi nic0 map len=4K dir=to pasid=3", "unknown key 'pasid'"},
	};
	for (const Case &c : cases) {
		std::string t = temp_path(".trace");
		write_file(t, std::string("smmutrace 1.1\ndevice nic0 smmu=smmu0 sid=0x10\n") + c.line +
		                  "\n");
		RunResult r = run(SMMUSIM_EXE, {"replay", t, "--quiet"});
		EXPECT_EQ(r.status, 2) << c.line << "\n" << r.err;
		EXPECT_NE(r.err.find(c.want), std::string::npos) << c.line << "\n" << r.err;
		EXPECT_NE(r.err.find(t + ":3:"), std::string::npos) << r.err;
		unlink(t.c_str());
	}
}

TEST(DmaApiReplay, TheOracleCatchesAStrictUnmapThatLeftTheTlbEntry)
{
	const char *body = "device nic0 smmu=smmu0 sid=0x10\n"
	                   "dmaapi nic0 map len=4K dir=to -> iova=$a\n"
	                   "dma nic0 addr=$a len=64 dir=read -> ok\n"
	                   "dmaapi nic0 unmap iova=$a len=4K\n";
	std::string t = temp_path(".trace");
	// a driver bug: the strict unmap returns without invalidating
	write_file(t, std::string("smmutrace 1.1\nconfig debug.bug=skip-tlbi\n") + body +
	                  "dma nic0 addr=$a len=64 dir=read -> ok\n");
	Replayed bug = Replay(t);
	EXPECT_EQ(bug.r.status, 3) << bug.r.err << bug.r.out;
	const Value *v = bug.v.at({"violations"});
	ASSERT_TRUE(v && !v->items.empty());
	EXPECT_EQ(v->items[0].get("kind")->str(), "stale");
	EXPECT_EQ(v->items[0].get("owner")->str(), "kernel");
	EXPECT_EQ(v->items[0].get("line")->number_or(0), 7);
	EXPECT_EQ(v->items[0].get("inserted_at_line")->number_or(0), 5);
	// the same, correct: the DMA faults; lazy: the window, no violation
	write_file(t, std::string("smmutrace 1.1\n") + body +
	                  "dma nic0 addr=$a len=64 dir=read -> fault=F_TRANSLATION\n"
	                  "expect isolation\n");
	EXPECT_EQ(Replay(t).r.status, 0);
	write_file(t, std::string("smmutrace 1.1\nconfig kernel.iommu_strict=off\n") + body +
	                  "dma nic0 addr=$a len=64 dir=read -> ok\nexpect isolation\n");
	EXPECT_EQ(Replay(t).r.status, 0);
	unlink(t.c_str());
}

// Lazy mode, two DMA domains: one domain's flush says nothing of the other's
// entries, and an IOVA still in its domain's flush queue is in the lazy
// window - neither is stale. An IOVA whose flush completed (here with the
// flush's TLBI lost: debug.bug=skip-tlbi) is, and only that one.
TEST(DmaApiReplay, LazyWindowsArePerDomainAndPerQueuedIova)
{
	Replayed two = Replay(std::string(SIM_DATA_DIR) + "/lazy_two_dma_domains.trace");
	EXPECT_EQ(two.r.status, 0) << two.r.err << two.r.out;
	std::string t = temp_path(".trace");
	write_file(t, "smmutrace 1.1\ndevice nic0 smmu=smmu0 sid=0x100\n"
		      "dmaapi nic0 map len=4096 dir=bidi -> iova=$p0\n"
		      "dma nic0 addr=$p0 len=64 dir=read -> ok\n"
		      "dmaapi nic0 map len=8192 dir=bidi -> iova=$p1\n"
		      "dma nic0 addr=$p1 len=64 dir=read -> ok\n"
		      "dmaapi nic0 unmap iova=$p0 len=4096\n"
		      "dma nic0 addr=$p0 len=64 dir=read\n" // queued: the window
		      "wait 30ms\n"                         // the queue's timer flushes it
		      "dma nic0 addr=$p0 len=64 dir=read\n" // flushed (TLBI lost): stale
		      "dmaapi nic0 unmap iova=$p1 len=8192\n"
		      "dma nic0 addr=$p1 len=64 dir=read\n"); // queued after the flush: window
	Replayed bug = Replay(t, {"kernel.iommu_strict=off", "debug.bug=skip-tlbi"});
	unlink(t.c_str());
	EXPECT_EQ(bug.r.status, 3) << bug.r.err;
	const Value *v = bug.v.at({"violations"});
	ASSERT_TRUE(v);
	ASSERT_EQ(v->items.size(), 1u) << bug.r.err;
	EXPECT_EQ(v->items[0].get("kind")->str(), "stale");
	EXPECT_EQ(v->items[0].get("line")->number_or(0), 10);
}

TEST(DmaApiReplay, TheStreamingExampleReplays)
{
	std::string t = std::string(SIM_EXAMPLES_DIR) + "/stream_small.trace";
	Replayed a = Replay(t);
	ASSERT_EQ(a.r.status, 0) << a.r.err;
	EXPECT_GT(Num(a.v, {"dma_api", "unmaps"}), 255);
	Replayed l = Replay(t, {"kernel.iommu_strict=off"});
	ASSERT_EQ(l.r.status, 0) << l.r.err;
	EXPECT_GE(Num(l.v, {"dma_api", "fq", "flush_full"}), 1);
}

TEST(DmaApiReplay, GenRejectsBadOptions)
{
	EXPECT_EQ(run(SMMUSIM_EXE, {"gen", "stream"}).status, 1);               // no --pkts
	EXPECT_EQ(run(SMMUSIM_EXE, {"gen", "stream", "--pkts", "x"}).status, 1);
	EXPECT_EQ(run(SMMUSIM_EXE, {"gen", "flood", "--pkts", "3"}).status, 1);
	EXPECT_EQ(run(SMMUSIM_EXE, {"gen", "stream", "--pkts", "3", "--dir", "up"}).status, 1);
	RunResult big = run(SMMUSIM_EXE, {"gen", "stream", "--pkts", "3", "--sid", "0x100000000"});
	EXPECT_EQ(big.status, 1);
	EXPECT_NE(big.err.find("--sid expects a 32-bit StreamID"), std::string::npos) << big.err;
	// A StreamID past the SMMU's SIDSIZE: the driver does not probe the
	// device and says so.
	std::string t = temp_path(".trace");
	ASSERT_EQ(run(SMMUSIM_EXE, {"gen", "stream", "--pkts", "1", "--sid", "0xffffffff", "-o", t}).status, 0);
	RunResult far = run(SMMUSIM_EXE, {"replay", t, "--quiet"});
	EXPECT_EQ(far.status, 1);
	EXPECT_NE(far.err.find("StreamID 0xffffffff is out of range of this SMMU's stream table "
			       "(SIDSIZE 16): the device is not probed (-ERANGE)"),
		  std::string::npos)
	    << far.err;
	unlink(t.c_str());
	RunResult ok = run(SMMUSIM_EXE, {"gen", "stream", "--pkts", "3", "--depth", "2"});
	ASSERT_EQ(ok.status, 0);
	// three unmaps, three maps (two ahead, one after the first packet)
	size_t maps = 0, unmaps = 0, pos = 0;
	while ((pos = ok.out.find("dmaapi nic0 ", pos)) != std::string::npos) {
		pos += 12;
		if (ok.out.compare(pos, 4, "map ") == 0)
			maps++;
		else if (ok.out.compare(pos, 6, "unmap ") == 0)
			unmaps++;
	}
	EXPECT_EQ(maps, 3u);
	EXPECT_EQ(unmaps, 3u);
}

} // namespace
