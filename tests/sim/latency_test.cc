// latency_test.cc - the latency breakdown (docs/sim.md "latency"): the
// parts of an invalidation computed by hand from the timing parameters, for
// an ioctl and for a bare-metal command batch; and over every example and
// scenario trace, every request's parts add up to its total. Labels: sim,
// latency.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "run_util.h"
#include "sc_gtest_main.h"

namespace
{

struct Req {
	std::string kind;
	unsigned line = 0;
	double total = 0;
	std::map<std::string, double> parts;
};

// The report's latency.requests, read with a pattern (one object per line).
std::vector<Req> Requests(const std::string &json)
{
	std::vector<Req> out;
	std::regex re("\\{\"seq\": \\d+, \"kind\": \"([^\"]+)\", \"line\": (\\d+), \"who\": \"[^\"]*\", "
		      "\"start_ns\": [0-9.]+, \"total_ns\": ([0-9.]+), \"cmds\": \\d+, \"parts_ns\": "
		      "\\{([^}]*)\\}\\}");
	std::regex part("\"([a-z_]+)\": ([0-9.]+)");
	for (std::sregex_iterator it(json.begin(), json.end(), re), end; it != end; ++it) {
		Req r;
		r.kind = (*it)[1];
		r.line = (unsigned)std::stoul((*it)[2]);
		r.total = std::stod((*it)[3]);
		std::string p = (*it)[4];
		for (std::sregex_iterator jt(p.begin(), p.end(), part); jt != end; ++jt)
			r.parts[(*jt)[1]] = std::stod((*jt)[2]);
		out.push_back(r);
	}
	return out;
}

const char *kUnmapTrace = R"(smmutrace 1
smmu smmu0
device nic0 smmu=smmu0 sid=0x100
open /dev/iommu -> fd=$iommufd
open /dev/vfio/devices/vfio0 -> fd=$d0
ioctl $d0 VFIO_DEVICE_BIND_IOMMUFD iommufd=$iommufd -> out_devid=$dev0
ioctl $iommufd IOMMU_IOAS_ALLOC -> out_ioas_id=$ioas
ioctl $d0 VFIO_DEVICE_ATTACH_IOMMUFD_PT pt_id=$ioas -> pt_id=$hwpt0
mmap len=2M -> addr=$buf
ioctl $iommufd IOMMU_IOAS_MAP ioas_id=$ioas flags=FIXED_IOVA|READABLE|WRITEABLE user_va=$buf length=4K iova=0x100_0000 -> ok
dma nic0 addr=0x100_0000 len=64 dir=read
ioctl $iommufd IOMMU_IOAS_UNMAP ioas_id=$ioas iova=0x100_0000 length=4K -> ok
expect stat latency.by_kind.IOMMU_IOAS_UNMAP.count == 1
)";

// IOAS_UNMAP of one 4K page on an idle SMMU (t.inv_per_entry=0 so the TCU's
// pass costs exactly 2 x t.inv_base): the driver writes TLBI_NH_VA and
// CMD_SYNC (2 x t.k.cmd_insert = 100 ns) and CMDQ_PROD (t.k.prod_write =
// 100 ns); the SMMU fetches both in one read (t.mem_read = 100 ns, hidden
// behind the PROD write's cost, so the kernel's), decodes the TLBI
// (t.cmd_decode = 2), passes its TLB and walk cache (2 x t.inv_base = 4),
// sends the TBU its message (2 x t.dti_hop + t.tbu_inv_work = 20) and
// completes the SYNC (t.sync_base = 10): 36 ns after the kernel began to
// wait. The kernel polls CONS at once (not yet) and again one
// t.k.poll_interval (500 ns) later: it sees the SYNC 464 ns after it
// completed. So: cmdq = 100 + 100 + 2, inval 4, tbu 20, sync_wait 10 + 464,
// and host the rest (syscall, page-table work).
TEST(Latency, IoctlBreakdownMatchesTheHandComputation)
{
	std::string trace = temp_path(".trace");
	write_file(trace, kUnmapTrace);
	std::string json;
	RunResult r = replay_json(SMMUSIM_EXE, trace, {"t.inv_per_entry=0"}, &json);
	unlink(trace.c_str());
	ASSERT_EQ(r.status, 0) << r.err;
	std::vector<Req> reqs = Requests(json);
	const Req *u = nullptr;
	for (const Req &q : reqs)
		if (q.kind == "IOMMU_IOAS_UNMAP")
			u = &q;
	ASSERT_NE(u, nullptr) << json;
	EXPECT_EQ(u->line, 12u);
	EXPECT_DOUBLE_EQ(u->parts.at("cmdq"), 202);
	EXPECT_DOUBLE_EQ(u->parts.at("fetch"), 0);
	EXPECT_DOUBLE_EQ(u->parts.at("inval"), 4);
	EXPECT_DOUBLE_EQ(u->parts.at("tbu"), 20);
	EXPECT_DOUBLE_EQ(u->parts.at("atc"), 0);
	EXPECT_DOUBLE_EQ(u->parts.at("sync_wait"), 474);
	EXPECT_DOUBLE_EQ(u->parts.at("queue"), 0);
	EXPECT_DOUBLE_EQ(u->parts.at("host"), u->total - 700);
	EXPECT_GT(u->parts.at("host"), 500) << "at least the syscall's own 500 ns";
	double sum = 0;
	for (const auto &p : u->parts)
		sum += p.second;
	EXPECT_DOUBLE_EQ(sum, u->total);
	// The attach rewrote the STE (CFGI_STE + SYNC ...): a request too.
	EXPECT_EQ(reqs.front().kind, "VFIO_DEVICE_ATTACH_IOMMUFD_PT");
}

// invalidate.trace line 110 publishes TLBI_NH_VA + CMD_SYNC on an idle SMMU:
// fetch 100, decode 2, TCU pass 4, TBU message 20, SYNC 10 = 136 ns, with
// nothing from a host model (bare metal).
TEST(Latency, BareMetalBatchBreakdownMatchesTheHandComputation)
{
	std::string json;
	RunResult r = replay_json(SMMUSIM_EXE, std::string(SIM_EXAMPLES_DIR) + "/invalidate.trace",
				  {"t.inv_per_entry=0"}, &json);
	ASSERT_EQ(r.status, 0) << r.err;
	const Req *b = nullptr;
	std::vector<Req> reqs = Requests(json);
	for (const Req &q : reqs)
		if (q.line == 110)
			b = &q;
	ASSERT_NE(b, nullptr) << json;
	EXPECT_EQ(b->kind, "cmdq_batch");
	EXPECT_DOUBLE_EQ(b->total, 136);
	EXPECT_DOUBLE_EQ(b->parts.at("fetch"), 100);
	EXPECT_DOUBLE_EQ(b->parts.at("cmdq"), 2);
	EXPECT_DOUBLE_EQ(b->parts.at("inval"), 4);
	EXPECT_DOUBLE_EQ(b->parts.at("tbu"), 20);
	EXPECT_DOUBLE_EQ(b->parts.at("sync_wait"), 10);
	EXPECT_DOUBLE_EQ(b->parts.at("queue"), 0);
	EXPECT_DOUBLE_EQ(b->parts.at("host"), 0);
	// A slower TBU message shows in tbu alone.
	r = replay_json(SMMUSIM_EXE, std::string(SIM_EXAMPLES_DIR) + "/invalidate.trace",
			{"t.inv_per_entry=0", "t.tbu_inv_work=104"}, &json);
	ASSERT_EQ(r.status, 0) << r.err;
	for (const Req &q : Requests(json))
		if (q.line == 110) {
			EXPECT_DOUBLE_EQ(q.parts.at("tbu"), 120);
			EXPECT_DOUBLE_EQ(q.total, 236);
		}
}

TEST(Latency, EveryRequestAddsUpInEveryTrace)
{
	std::vector<std::string> traces = list_traces(SIM_EXAMPLES_DIR);
	for (const std::string &t : list_traces(SIM_SCENARIOS_DIR))
		traces.push_back(t);
	size_t total = 0;
	for (const std::string &t : traces) {
		std::string json;
		RunResult r = replay_json(SMMUSIM_EXE, t, {}, &json);
		std::vector<Req> reqs = Requests(json);
		for (const Req &q : reqs) {
			double sum = 0;
			for (const auto &p : q.parts) {
				EXPECT_GE(p.second, 0) << t << ":" << q.line << " " << p.first;
				sum += p.second;
			}
			EXPECT_NEAR(sum, q.total, 0.0011) << t << ":" << q.line << " " << q.kind;
			EXPECT_EQ(q.parts.size(), 8u);
		}
		total += reqs.size();
		if (!reqs.empty())
			EXPECT_NE(json.find("\"top\": ["), std::string::npos) << t;
	}
	EXPECT_GT(total, 20u);
}

// Every request kind a report names is a name a trace can assert on
// (`expect stat latency.by_kind.KIND.count`, TRACE-FORMAT's NAME): both
// `check` and the replay accept it, and the replay finds the count.
TEST(Latency, EveryKindCanBeAssertedByName)
{
	std::vector<std::string> traces = list_traces(SIM_EXAMPLES_DIR);
	for (const std::string &t : list_traces(SIM_SCENARIOS_DIR))
		traces.push_back(t);
	std::set<std::string> kinds;
	for (const std::string &t : traces) {
		std::string json;
		RunResult r = replay_json(SMMUSIM_EXE, t, {}, &json);
		if (r.status != 0)
			continue;
		std::map<std::string, unsigned> count;
		for (const Req &q : Requests(json))
			count[q.kind]++;
		if (count.empty())
			continue;
		std::string text = read_file(t);
		if (!text.empty() && text.back() != '\n')
			text += '\n';
		for (const auto &k : count) {
			EXPECT_TRUE(std::regex_match(k.first, std::regex("[A-Za-z_][A-Za-z0-9_]*"))) << k.first;
			text += "expect stat latency.by_kind." + k.first + ".count == " + std::to_string(k.second) + "\n";
			kinds.insert(k.first);
		}
		std::string path = temp_path(".trace");
		write_file(path, text);
		RunResult c = run(SMMUSIM_EXE, {"check", path});
		EXPECT_EQ(c.status, 0) << t << c.err;
		RunResult rr = run(SMMUSIM_EXE, {"replay", path});
		EXPECT_EQ(rr.status, 0) << t << rr.err;
	}
	EXPECT_TRUE(kinds.count("cmdq_batch"));
	EXPECT_TRUE(kinds.count("IOMMU_IOAS_UNMAP"));
}

} // namespace
