// params_test.cc - parameters and the report, without running the SystemC
// kernel: value syntax, the parameter table, how `config`, `smmu` and --set
// settings resolve onto the platform (Replay::prepare reads a real trace),
// exact percentiles and the JSON layout.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "replay.h"
#include "report.h"
#include "run_util.h"
#include "sc_gtest_main.h"

using namespace smmusim;

namespace {

const char kTrace[] =
	"smmutrace 1\n"
	"config tlb.entries=1024 utlb.entries=16 memory.latency_ns=50\n"
	"smmu smmu0 tlb.entries=512 wc.entries=128\n"
	"smmu smmu1\n"
	"config wc.entries=256\n"
	"device a smmu=smmu0 sid=1\n"
	"device b smmu=smmu0 sid=2\n"
	"device c smmu=smmu1 sid=3\n"
	"memory size=2G\n"
	"dma a addr=0x1000 len=64 dir=read\n";

// Replay::prepare over text with --set arguments; the spec when it worked.
struct Prepared {
	bool ok;
	SimError err;
	PlatformSpec spec;
};

Prepared Prepare(const std::string &text, std::vector<std::pair<std::string, std::string>> sets = {})
{
	std::string path = temp_path(".trace");
	write_file(path, text);
	ReplayOptions o;
	o.trace = path;
	o.sets = std::move(sets);
	Replay r(o);
	Prepared p;
	p.ok = r.prepare(p.err);
	if (p.ok)
		p.spec = r.spec();
	unlink(path.c_str());
	return p;
}

std::string Get(const smmu_config &cfg, const char *name)
{
	char buf[64] = "";
	smmu_config_get(&cfg, name, buf, sizeof(buf));
	return buf;
}

} // namespace

TEST(SimParams, ValueSyntaxMatchesTheTrace)
{
	uint64_t v;
	EXPECT_TRUE(parse_u64("4096", v) && v == 4096);
	EXPECT_TRUE(parse_u64("0x1000", v) && v == 0x1000);
	EXPECT_TRUE(parse_u64("1_000", v) && v == 1000);
	EXPECT_TRUE(parse_u64("2M", v) && v == (2u << 20));
	EXPECT_TRUE(parse_u64("4G", v) && v == (4ull << 30));
	EXPECT_FALSE(parse_u64("12ab", v));
	EXPECT_FALSE(parse_u64("", v));
	EXPECT_FALSE(parse_u64("0x1_0000_0000_0000_0000", v));
	EXPECT_FALSE(parse_u64("20000000T", v));
	EXPECT_TRUE(parse_duration_ps("100", v) && v == 100000);
	EXPECT_TRUE(parse_duration_ps("250ns", v) && v == 250000);
	EXPECT_TRUE(parse_duration_ps("1us", v) && v == 1000000);
	EXPECT_TRUE(parse_duration_ps("5ms", v) && v == 5000000000ull);
	EXPECT_TRUE(parse_duration_ps("2s", v) && v == 2000000000000ull);
	EXPECT_TRUE(parse_duration_ps("7ps", v) && v == 7);
	EXPECT_FALSE(parse_duration_ps("fast", v));
	bool b;
	EXPECT_TRUE(parse_bool("on", b) && b);
	EXPECT_TRUE(parse_bool("off", b) && !b);
	EXPECT_FALSE(parse_bool("maybe", b));
}

TEST(SimParams, TableListsPlatformAndModelParameters)
{
	std::vector<ParamInfo> all = all_params();
	auto find = [&](const std::string &n) {
		return std::find_if(all.begin(), all.end(), [&](const ParamInfo &p) { return p.name == n; });
	};
	auto lat = find("memory.latency_ns");
	ASSERT_NE(lat, all.end());
	EXPECT_EQ(lat->def, "100");
	EXPECT_EQ(lat->unit, "ns");
	EXPECT_FALSE(lat->model);
	EXPECT_NE(find("memory.size"), all.end());
	EXPECT_NE(find("sim.quantum_ns"), all.end());
	EXPECT_NE(find("cpu.mmio_latency_ns"), all.end());
	auto tlb = find("tlb.entries");
	ASSERT_NE(tlb, all.end());
	EXPECT_TRUE(tlb->model);
	for (const ParamInfo &p : all) {
		EXPECT_FALSE(p.source.empty()) << p.name;
		EXPECT_FALSE(p.def.empty()) << p.name;
	}
	size_t model = (size_t)std::count_if(all.begin(), all.end(), [](const ParamInfo &p) { return p.model; });
	size_t n = 0;
	while (smmu_param_at(n))
		n++;
	EXPECT_EQ(model, n);
}

TEST(SimParams, ScopedBeatsGlobalAndTheCommandLineBeatsTheTrace)
{
	Prepared p = Prepare(kTrace);
	ASSERT_TRUE(p.ok) << p.err.msg;
	ASSERT_EQ(p.spec.smmus.size(), 2u);
	EXPECT_EQ(Get(p.spec.smmus[0].cfg, "tlb.entries"), "512");  // smmu record over config
	EXPECT_EQ(Get(p.spec.smmus[1].cfg, "tlb.entries"), "1024"); // config
	EXPECT_EQ(Get(p.spec.smmus[0].cfg, "wc.entries"), "128");   // scoped, though config comes later
	EXPECT_EQ(Get(p.spec.smmus[1].cfg, "wc.entries"), "256");
	EXPECT_EQ(Get(p.spec.smmus[0].cfg, "utlb.entries"), "16");
	EXPECT_EQ(p.spec.plat.memory_latency_ps, 50000u);
	EXPECT_EQ(p.spec.plat.memory_size, 2ull << 30);

	p = Prepare(kTrace, {{"tlb.entries", "4096"}});
	ASSERT_TRUE(p.ok) << p.err.msg;
	EXPECT_EQ(Get(p.spec.smmus[0].cfg, "tlb.entries"), "4096");
	EXPECT_EQ(Get(p.spec.smmus[1].cfg, "tlb.entries"), "4096");

	// NAME.KEY scopes to one SMMU and wins over a bare --set in any order.
	for (int order = 0; order < 2; order++) {
		std::vector<std::pair<std::string, std::string>> sets = {{"tlb.entries", "4096"},
									 {"smmu1.tlb.entries", "2048"}};
		if (order)
			std::swap(sets[0], sets[1]);
		p = Prepare(kTrace, sets);
		ASSERT_TRUE(p.ok) << p.err.msg;
		EXPECT_EQ(Get(p.spec.smmus[0].cfg, "tlb.entries"), "4096");
		EXPECT_EQ(Get(p.spec.smmus[1].cfg, "tlb.entries"), "2048");
	}
	p = Prepare(kTrace, {{"memory.size", "1G"}, {"memory.latency_ns", "70ns"}});
	ASSERT_TRUE(p.ok) << p.err.msg;
	EXPECT_EQ(p.spec.plat.memory_size, 1ull << 30);
	EXPECT_EQ(p.spec.plat.memory_latency_ps, 70000u);
}

TEST(SimParams, EachDeviceGetsItsOwnTbuUnlessTbusIsSet)
{
	Prepared p = Prepare(kTrace);
	ASSERT_TRUE(p.ok) << p.err.msg;
	EXPECT_EQ(p.spec.smmus[0].cfg.num_tbus, 2u);
	EXPECT_EQ(p.spec.smmus[1].cfg.num_tbus, 1u);
	EXPECT_EQ(p.spec.devices[0].port, 0u);
	EXPECT_EQ(p.spec.devices[1].port, 1u);
	EXPECT_EQ(p.spec.devices[2].port, 0u);
	p = Prepare(kTrace, {{"smmu0.tbus", "1"}});
	ASSERT_TRUE(p.ok) << p.err.msg;
	EXPECT_EQ(p.spec.smmus[0].cfg.num_tbus, 1u);
	EXPECT_EQ(p.spec.devices[1].port, 0u);
	p = Prepare("smmutrace 1\nsmmu s tbus=4\n");
	ASSERT_TRUE(p.ok) << p.err.msg;
	EXPECT_EQ(p.spec.smmus[0].cfg.num_tbus, 4u);
	// No smmu record, no device: one smmu0 with one TBU.
	p = Prepare("smmutrace 1\n");
	ASSERT_TRUE(p.ok) << p.err.msg;
	ASSERT_EQ(p.spec.smmus.size(), 1u);
	EXPECT_EQ(p.spec.smmus[0].name, "smmu0");
	EXPECT_EQ(p.spec.smmus[0].cfg.num_tbus, 1u);
}

TEST(SimParams, UnknownKeysAndBadValuesAreErrorsWithTheirSource)
{
	Prepared p = Prepare(kTrace, {{"nosuch", "1"}});
	EXPECT_FALSE(p.ok);
	EXPECT_EQ(p.err.status, kExitUsage);
	EXPECT_NE(p.err.msg.find("--set nosuch=1"), std::string::npos) << p.err.msg;
	p = Prepare(kTrace, {{"smmu9.tlb.entries", "1"}});
	EXPECT_FALSE(p.ok);
	EXPECT_EQ(p.err.status, kExitUsage);
	p = Prepare(kTrace, {{"tlb.entries", "banana"}});
	EXPECT_FALSE(p.ok);
	EXPECT_EQ(p.err.status, kExitUsage);

	p = Prepare("smmutrace 1\nconfig utlb.entries=8 nosuch=1\n");
	EXPECT_FALSE(p.ok);
	EXPECT_EQ(p.err.status, kExitMalformed);
	EXPECT_NE(p.err.msg.find(":2:23: error: unknown parameter 'nosuch'"), std::string::npos) << p.err.msg;
	p = Prepare("smmutrace 1\nsmmu smmu0 memory.latency_ns=5\n");
	EXPECT_FALSE(p.ok);
	EXPECT_EQ(p.err.status, kExitMalformed);
	EXPECT_NE(p.err.msg.find(":2:12:"), std::string::npos) << p.err.msg;
	p = Prepare("smmutrace 1\nsmmu smmu0 btm=maybe\n");
	EXPECT_FALSE(p.ok);
	EXPECT_EQ(p.err.status, kExitMalformed);
	EXPECT_NE(p.err.msg.find(":2:12:"), std::string::npos) << p.err.msg;
	p = Prepare("smmutrace 1\nsmmu dma\n");
	EXPECT_FALSE(p.ok);
	EXPECT_EQ(p.err.status, kExitMalformed);
	// The VMID policies and KVM's allocator are kernel parameters.
	p = Prepare("smmutrace 1\nconfig policy.vmid=smmu-ida\n");
	ASSERT_TRUE(p.ok) << p.err.msg;
	EXPECT_EQ(p.spec.deferred.size(), 0u);
	EXPECT_EQ(p.spec.kernel.vmid_policy, (uint32_t)SHIM_VMID_SMMU_IDA);
	p = Prepare("smmutrace 1\nconfig policy.vmid=kvm-pinned kvm.vmid_bits=8 kvm.cpus=4 "
		    "policy.viommu_vmid=own\n");
	ASSERT_TRUE(p.ok) << p.err.msg;
	EXPECT_EQ(p.spec.deferred.size(), 0u);
	EXPECT_EQ(p.spec.kernel.vmid_policy, (uint32_t)SHIM_VMID_KVM_PINNED);
	EXPECT_EQ(p.spec.kernel.kvm_vmid_bits, 8u);
	EXPECT_EQ(p.spec.kernel.kvm_cpus, 4u);
	EXPECT_TRUE(p.spec.kernel.viommu_vmid_own);
	p = Prepare("smmutrace 1\nconfig policy.vmid=whatever\n");
	EXPECT_FALSE(p.ok);
	EXPECT_EQ(p.err.status, kExitMalformed);
	EXPECT_NE(p.err.msg.find("kvm-pinned"), std::string::npos) << p.err.msg;
	p = Prepare("smmutrace 1\nconfig kvm.vmid_bits=12\n");
	EXPECT_FALSE(p.ok);
	EXPECT_EQ(p.err.status, kExitMalformed);
	// Kernel parameters are the shim's own (shim_config_set checks them).
	p = Prepare("smmutrace 1\nconfig kernel.sync=msi\n");
	ASSERT_TRUE(p.ok) << p.err.msg;
	EXPECT_TRUE(p.spec.kernel.sync_msi);
	p = Prepare("smmutrace 1\nconfig kernel.sync=sometimes\n");
	EXPECT_FALSE(p.ok);
	EXPECT_EQ(p.err.status, kExitMalformed);
	EXPECT_NE(p.err.msg.find(":2:8:"), std::string::npos) << p.err.msg;
}

TEST(SimReport, PercentilesAreExactNearestRank)
{
	std::mt19937_64 rng(42);
	for (size_t n : {1u, 2u, 3u, 99u, 100u, 101u, 1000u, 12345u}) {
		LatencyHist h;
		std::vector<uint64_t> raw;
		for (size_t i = 0; i < n; i++) {
			uint64_t v = (rng() % 50) * 1000 + (rng() % 3);
			h.add(v);
			raw.push_back(v);
		}
		std::sort(raw.begin(), raw.end());
		auto nearest = [&](unsigned p) { return raw[(p * n + 99) / 100 - 1]; };
		Summary s = h.summary();
		SCOPED_TRACE(n);
		EXPECT_EQ(s.count, n);
		EXPECT_EQ(s.min, raw.front());
		EXPECT_EQ(s.max, raw.back());
		EXPECT_EQ(s.p50, nearest(50));
		EXPECT_EQ(s.p99, nearest(99));
	}
	EXPECT_EQ(LatencyHist().summary().count, 0u);
	// values in runs, a value coming back after others: counted in the
	// object while it repeats, in the table after; pairs() names each value
	// once with all its samples, read in the middle of a run or after it
	LatencyHist h;
	std::map<uint64_t, uint64_t> want;
	uint64_t total = 0;
	for (int run = 0; run < 2000; run++) {
		uint64_t v = (rng() % 7) * 100, len = 1 + rng() % 20;
		for (uint64_t i = 0; i < len; i++)
			h.add(v);
		want[v] += len;
		total += len;
		if (run % 97 == 0 || run == 1999) {
			std::vector<std::pair<uint64_t, uint64_t>> p;
			h.pairs(p);
			std::map<uint64_t, uint64_t> got;
			for (const auto &e : p) {
				EXPECT_EQ(got.count(e.first), 0u) << e.first; // once
				got[e.first] = e.second;
			}
			EXPECT_EQ(got, want);
			EXPECT_EQ(h.count(), total);
			EXPECT_EQ(h.summary().count, total);
		}
	}
}

TEST(SimReport, JsonNestsByNameInBuildOrder)
{
	std::vector<ReportEntry> e(5);
	e[0].path = {"status"};
	e[0].kind = ReportEntry::kString;
	e[0].text = "ok";
	e[1].path = {"violations"};
	e[1].kind = ReportEntry::kArray;
	e[2].path = {"dma", "count"};
	e[2].milli = 3000;
	e[3].path = {"dma", "latency_ns", "p50"};
	e[3].milli = 101250;
	e[3].time = true;
	e[4].path = {"sim_time_ns"};
	e[4].milli = 7;
	EXPECT_EQ(report_json(e), "{\n"
				  "  \"status\": \"ok\",\n"
				  "  \"violations\": [],\n"
				  "  \"dma\": {\n"
				  "    \"count\": 3,\n"
				  "    \"latency_ns\": {\n"
				  "      \"p50\": 101.25\n"
				  "    }\n"
				  "  },\n"
				  "  \"sim_time_ns\": 0.007\n"
				  "}\n");
	uint64_t m;
	bool t;
	ASSERT_TRUE(report_lookup(e, "dma.latency_ns.p50", m, t));
	EXPECT_EQ(m, 101250u);
	EXPECT_TRUE(t);
	// Known names that did not occur read as zero; others do not exist.
	EXPECT_TRUE(report_lookup(e, "events.F_PERMISSION.count", m, t));
	EXPECT_EQ(m, 0u);
	EXPECT_TRUE(report_lookup(e, "events.F_PERMISSION", m, t));
	EXPECT_EQ(m, 0u);
	// A group reads as its count.
	ASSERT_TRUE(report_lookup(e, "dma", m, t));
	EXPECT_EQ(m, 3000u);
	EXPECT_TRUE(report_lookup(e, "commands.TLBI_NH_VA.latency_ns.p99", m, t));
	EXPECT_TRUE(t);
	EXPECT_FALSE(report_lookup(e, "events.F_NOPE.count", m, t));
	EXPECT_FALSE(report_lookup(e, "dma.nope", m, t));
}
