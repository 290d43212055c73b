// cache_matrix_test.cc - every example trace replayed by smmusim with each
// cache switched off in turn and with one-entry caches: the exit status and
// what every DMA returned (dma.results_digest: outcome, PA, event, in trace
// order) must equal the default configuration's; only timing may change.
// make test runs this again in the ASan+UBSan build, where it is the
// configuration matrix the robustness issue asks for.
#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "run_util.h"
#include "sc_gtest_main.h"

namespace {

std::vector<std::string> ExampleTraces()
{
	return list_traces(SIM_EXAMPLES_DIR);
}

struct Variant {
	const char *name;
	std::vector<std::string> sets;
};

std::vector<std::string> Sets(std::initializer_list<const char *> kv)
{
	std::vector<std::string> v;
	for (const char *s : kv) {
		v.push_back("--set");
		v.push_back(s);
	}
	return v;
}

const std::vector<Variant> &Variants()
{
	static const std::vector<Variant> v = {
		{"utlb_off", Sets({"utlb.enable=off", "utlb.entries=0"})},
		{"mtlb_off", Sets({"mtlb.enable=off", "mtlb.entries=0"})},
		{"tbu_cfgc_off", Sets({"tbu_cfgc.enable=off", "tbu_cfgc.entries=0"})},
		{"cfgc_off", Sets({"cfgc.enable=off", "cfgc.entries=0"})},
		{"tlb_off", Sets({"tlb.enable=off", "tlb.entries=0"})},
		{"wc_off", Sets({"wc.enable=off", "wc.entries=0"})},
		{"all_off", Sets({"utlb.enable=off", "mtlb.enable=off", "tbu_cfgc.enable=off",
				  "cfgc.enable=off", "tlb.enable=off", "wc.enable=off"})},
		{"one_entry", Sets({"utlb.ways=1", "utlb.entries=1", "mtlb.ways=1", "mtlb.entries=1",
				    "tbu_cfgc.ways=1", "tbu_cfgc.entries=1", "cfgc.ways=1",
				    "cfgc.entries=1", "tlb.ways=1", "tlb.entries=1", "wc.ways=1",
				    "wc.entries=1"})},
		{"tlb_off_no_fastpath", Sets({"tlb.enable=off", "host.fastpath=off"})},
		// More TBU ports than devices: ports stay unbound, devices spread.
		{"tbus_5", Sets({"tbus=5"})},
	};
	return v;
}

struct Outcome {
	int status;
	std::string digest;
	uint64_t dmas;
};

std::string JsonString(const std::string &json, const std::string &key)
{
	size_t p = json.find("\"" + key + "\": \"");
	if (p == std::string::npos)
		return "";
	p += key.size() + 5;
	return json.substr(p, json.find('"', p) - p);
}

Outcome Replay(const std::string &trace, const std::vector<std::string> &sets)
{
	std::string json = temp_path(".json");
	std::vector<std::string> args = {"replay", trace, "--json", json};
	args.insert(args.end(), sets.begin(), sets.end());
	RunResult r = run(SMMUSIM_EXE, args);
	Outcome o{r.status, JsonString(read_file(json), "results_digest"), 0};
	std::string j = read_file(json);
	size_t p = j.find("\"dma\": {\n    \"count\": ");
	if (p != std::string::npos)
		o.dmas = std::stoull(j.substr(p + 22));
	unlink(json.c_str());
	if (r.status != 0)
		ADD_FAILURE() << trace << " exit " << r.status << "\n" << r.err;
	return o;
}

// A trace that shows what caches keep (stale entries after a table write
// without invalidation) says so with `# smmusim-matrix: cache-dependent`:
// architecturally a cache may or may not hold an entry, so its results may
// change with the configuration. It still runs under every variant (the
// memory-safety half of the matrix), with its assertions dropped; what
// must hold is that it completes and replays every DMA.
std::string StripResults(const std::string &text)
{
	return strip_results(text);
}

class SimCacheMatrix : public ::testing::TestWithParam<std::string> {};

TEST_P(SimCacheMatrix, EveryVariantGivesTheDefaultResults)
{
	std::string trace = GetParam();
	std::string text = read_file(trace);
	const bool cache_dependent =
		text.find("# smmusim-matrix: cache-dependent") != std::string::npos;
	std::string stripped_path;
	if (cache_dependent) {
		// Not beside the examples: other test processes list that directory.
		// (A `mem load` path would be relative to the copy: none uses one.)
		EXPECT_EQ(text.find("mem load"), std::string::npos);
		stripped_path = temp_path(".trace");
		write_file(stripped_path, StripResults(text));
		trace = stripped_path;
	}
	Outcome ref = Replay(trace, {});
	ASSERT_EQ(ref.digest.size(), 16u) << "no dma.results_digest in the report";
	ASSERT_GT(ref.dmas, 0u) << trace;
	for (const Variant &v : Variants()) {
		Outcome got = Replay(trace, v.sets);
		EXPECT_EQ(got.status, ref.status) << v.name;
		if (!cache_dependent)
			EXPECT_EQ(got.digest, ref.digest) << v.name;
		EXPECT_EQ(got.dmas, ref.dmas) << v.name;
	}
	if (cache_dependent)
		unlink(stripped_path.c_str());
}

INSTANTIATE_TEST_SUITE_P(Examples, SimCacheMatrix, ::testing::ValuesIn(ExampleTraces()),
			 [](const ::testing::TestParamInfo<std::string> &i) {
				 std::string n = i.param.substr(i.param.rfind('/') + 1);
				 n = n.substr(0, n.find('.'));
				 for (char &c : n)
					 if (!isalnum((unsigned char)c))
						 c = '_';
				 return n;
			 });

// The digest is about results, so it must tell a different result apart:
// the same trace with a stage-1 mapping moved gives another digest.
TEST(SimCacheMatrix, DigestChangesWhenAResultChanges)
{
	std::string a = temp_path(".trace"), b = temp_path(".trace");
	std::string base = read_file(std::string(SIM_EXAMPLES_DIR) + "/s1_basic.trace");
	ASSERT_FALSE(base.empty());
	write_file(a, base);
	// Replay without assertions, so only the results differ, then add a DMA
	// to an address no table maps.
	std::string stripped = StripResults(base);
	write_file(a, stripped);
	Outcome oa = Replay(a, {});
	size_t dma_at = stripped.rfind("\ndma ");
	ASSERT_NE(dma_at, std::string::npos);
	std::string dev = stripped.substr(dma_at + 5, stripped.find(' ', dma_at + 5) - dma_at - 5);
	write_file(b, stripped + "dma " + dev + " addr=0x7777_0000_0000 len=4 dir=read\n");
	Outcome ob = Replay(b, {});
	EXPECT_EQ(oa.status, 0);
	EXPECT_NE(oa.digest, ob.digest);
	unlink(a.c_str());
	unlink(b.c_str());
}

// The digest is what docs/sim.md defines: recomputed here from the results
// s1_basic.trace asserts (six translations, a permission and a translation
// fault; event numbers from IHI 0070: F_TRANSLATION 0x10, F_PERMISSION 0x13).
TEST(SimCacheMatrix, DigestIsTheDocumentedHashOfTheResults)
{
	std::string trace = std::string(SIM_EXAMPLES_DIR) + "/s1_basic.trace";
	std::istringstream in(read_file(trace));
	uint64_t h = 0xcbf29ce484222325ull;
	auto mix = [&h](uint64_t w) {
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 32;
	};
	int n = 0;
	for (std::string l; std::getline(in, l);) {
		if (l.compare(0, 4, "dma ") != 0)
			continue;
		size_t pa = l.find("-> pa="), f = l.find("-> fault=");
		if (pa != std::string::npos) {
			std::string v = l.substr(pa + 6, l.find(' ', pa + 6) - pa - 6);
			v.erase(std::remove(v.begin(), v.end(), '_'), v.end());
			mix(std::stoull(v, nullptr, 16)); // ok (0), no event
		} else {
			ASSERT_NE(f, std::string::npos) << l;
			std::string ev = l.substr(f + 9, l.find(' ', f + 9) - f - 9);
			ASSERT_TRUE(ev == "F_PERMISSION" || ev == "F_TRANSLATION") << l;
			// no PA; a fault (1) with its event
			mix((1 | (uint64_t)(ev == "F_PERMISSION" ? 0x13 : 0x10) << 2) << 54);
		}
		n++;
	}
	ASSERT_EQ(n, 8);
	char want[17];
	snprintf(want, sizeof want, "%016llx", (unsigned long long)h);
	EXPECT_EQ(Replay(trace, {}).digest, want);
}

} // namespace
