// scenarios_test.cc - the scenario corpus (traces/scenarios/): every trace
// replays with its `expect` lines holding (expected violations found, with
// provenance; safe runs report none), and each seeded driver bug
// (debug.bug=...) is caught by the oracle on the scenario that exercises
// it. Labels: sim, scenarios.
#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "run_util.h"
#include "sc_gtest_main.h"

namespace
{

std::vector<std::string> Scenarios()
{
	return list_traces(SIM_SCENARIOS_DIR);
}

struct Replayed {
	int status;
	std::string json, err;
};

Replayed Replay(const std::string &trace, const std::vector<std::string> &sets = {})
{
	std::string json;
	RunResult r = replay_json(SMMUSIM_EXE, trace, sets, &json);
	return Replayed{r.status, json, r.err};
}

// The trace without its assertions and `expect` lines (bindings kept): what
// a seeded bug does shows in the oracle's verdict, not in a failed assertion.
std::string Stripped(const std::string &trace)
{
	std::string path = temp_path(".trace");
	write_file(path, strip_results(read_file(trace), true));
	return path;
}

std::vector<std::string> Kinds(const std::string &json)
{
	std::vector<std::string> k;
	std::regex re("\\{\"kind\": \"([a-z-]+)\", \"line\": (\\d+)");
	for (std::sregex_iterator it(json.begin(), json.end(), re), end; it != end; ++it)
		k.push_back((*it)[1]);
	return k;
}

TEST(Scenarios, EveryScenarioHoldsItsExpectations)
{
	std::vector<std::string> all = Scenarios();
	ASSERT_GE(all.size(), 10u);
	for (const std::string &t : all) {
		SCOPED_TRACE(t);
		std::string text = read_file(t);
		// A header says what it shows and which seed thread it comes from.
		EXPECT_NE(text.find("eed thread"), std::string::npos); // "Seed thread", "seed threads"
		Replayed r = Replay(t);
		EXPECT_EQ(r.status, 0) << r.err;
		EXPECT_NE(r.json.find("\"oracle\": \"on\""), std::string::npos);
		EXPECT_NE(r.json.find("\"violations_unexpected\": 0"), std::string::npos);
		bool expects_violation = text.find("\nexpect violation ") != std::string::npos;
		EXPECT_EQ(Kinds(r.json).empty(), !expects_violation);
		// Provenance: every violation names its record and says what happened;
		// a DMA's names the device, the output and the cache that served it.
		std::regex viol("\\{\"kind\": \"[a-z-]+\", \"line\": (\\d+)[^\\n]*\"detail\": \"([^\"]+)\"\\}");
		for (std::sregex_iterator it(r.json.begin(), r.json.end(), viol), end; it != end; ++it) {
			EXPECT_GT(std::stoul((*it)[1]), 0u);
			EXPECT_GT((*it)[2].length(), 20u);
			std::string v = (*it)[0];
			if (v.find("\"device\"") != std::string::npos) {
				bool dma = v.find("\"kind\": \"stale\"") != std::string::npos ||
					   v.find("\"kind\": \"cross-domain\"") != std::string::npos;
				if (dma)
					EXPECT_NE(v.find("\"pa\": \"0x"), std::string::npos) << v;
				else
					EXPECT_EQ(v.find("\"pa\": "), std::string::npos) << v;
				EXPECT_NE(v.find("\"served_by\": \""), std::string::npos) << v;
			}
		}
	}
}

// Each seeded driver bug, on the scenario that exercises it, is caught with
// the kind it causes; the same stripped scenario without the bug is clean.
TEST(Scenarios, SeededDriverBugsAreCaught)
{
	struct Case {
		const char *bug, *scenario, *kind;
	};
	const Case cases[] = {
	    {"skip-tlbi", "s2_unmap", "stale"},
	    {"skip-sync-wait", "s2_unmap", "stale"},
	    {"wrong-vmid", "s2_unmap", "stale"},
	    {"skip-cfgi", "replace_hwpt", "stale"},
	    {"early-vmid-reuse", "vmid_reuse", "cross-domain"},
	};
	for (const Case &c : cases) {
		SCOPED_TRACE(std::string(c.bug) + " on " + c.scenario);
		std::string path = Stripped(std::string(SIM_SCENARIOS_DIR) + "/" + c.scenario + ".trace");
		Replayed clean = Replay(path);
		EXPECT_EQ(clean.status, 0) << clean.err;
		EXPECT_TRUE(Kinds(clean.json).empty());
		Replayed bug = Replay(path, {std::string("debug.bug=") + c.bug});
		EXPECT_EQ(bug.status, 3) << bug.err;
		std::vector<std::string> k = Kinds(bug.json);
		EXPECT_NE(std::find(k.begin(), k.end(), c.kind), k.end()) << bug.json.substr(0, 1500);
		EXPECT_NE(bug.err.find("isolation violation: " + std::string(c.kind)), std::string::npos)
		    << bug.err;
		// Provenance of a DMA's violation: the entry and the record that put it there.
		if (std::string(c.bug) == "early-vmid-reuse") {
			EXPECT_NE(bug.json.find("\"inserted_for\": \"nic0 (vmm0)\""), std::string::npos)
			    << bug.json.substr(0, 2000);
			EXPECT_NE(bug.json.find("\"inserted_at_line\": "), std::string::npos);
		}
		unlink(path.c_str());
	}
}

// Seed 003: the oracle keeps one domain per PASID. With the TLBI skipped,
// PASID 1 (vm0's) keeps using a translation its IOAS unmapped: stale inside
// vm0's domain, named by PASID, while PASID 2 (vm1's) is untouched; with the
// CFGI skipped, PASID 1 still translates after its detach.
TEST(Scenarios, PasidDomainsAreCheckedPerPasid)
{
	std::string path = Stripped(std::string(SIM_SCENARIOS_DIR) + "/seed003_pasid.trace");
	Replayed clean = Replay(path);
	EXPECT_EQ(clean.status, 0) << clean.err;
	EXPECT_TRUE(Kinds(clean.json).empty());
	for (const char *bug : {"skip-tlbi", "skip-cfgi"}) {
		SCOPED_TRACE(bug);
		Replayed r = Replay(path, {std::string("debug.bug=") + bug});
		EXPECT_EQ(r.status, 3) << r.err;
		std::vector<std::string> k = Kinds(r.json);
		ASSERT_FALSE(k.empty()) << r.json.substr(0, 1500);
		for (const std::string &kind : k)
			EXPECT_EQ(kind, "stale");
		EXPECT_NE(r.json.find("\"other\": \"vmm0/vm0\""), std::string::npos);
		EXPECT_NE(r.json.find("\"ssid\": 1,"), std::string::npos);
		EXPECT_NE(r.json.find("nic0 PASID 1 reached its owner's page"), std::string::npos);
		EXPECT_EQ(r.json.find("\"ssid\": 2,"), std::string::npos);
	}
	unlink(path.c_str());
}

} // namespace

// The bare-metal stale check: invalidate.trace issues TLBI_NH_VA + CMD_SYNC
// itself and reads CONS past the SYNC before its next DMA. With the model
// correct nothing is stale; with the seeded model bug debug.skip_tbu_inv
// (TLBIs never reach the TBUs) the micro TLB serves the old translation, and
// the oracle, decoding the trace's own commands, names the entry, the walk
// that made it and the invalidation that should have removed it.
TEST(Scenarios, BareMetalStaleCheckCatchesASeededModelBug)
{
	std::string trace = std::string(SIM_EXAMPLES_DIR) + "/invalidate.trace";
	Replayed clean = Replay(trace);
	ASSERT_EQ(clean.status, 0) << clean.err;
	EXPECT_NE(clean.json.find("\"oracle\": \"stale-only\""), std::string::npos);
	EXPECT_NE(clean.json.find("\"violations\": []"), std::string::npos);

	std::string stripped = Stripped(trace);
	Replayed bug = Replay(stripped, {"debug.skip_tbu_inv=on"});
	EXPECT_EQ(bug.status, 3) << bug.err;
	std::vector<std::string> kinds = Kinds(bug.json);
	ASSERT_FALSE(kinds.empty()) << bug.json;
	for (const std::string &k : kinds)
		EXPECT_EQ(k, "stale");
	EXPECT_NE(bug.json.find("\"served_by\": \"utlb\""), std::string::npos) << bug.json;
	EXPECT_NE(bug.json.find("TLBI_NH_VA VMID 0 ASID 1 addr 0x80000000, consumed at line"),
		  std::string::npos)
		<< bug.json;
	EXPECT_NE(bug.json.find("\"inserted_at_line\": "), std::string::npos);

	// `expect violation stale` covers them in a bare-metal trace too.
	std::string expected = temp_path(".trace");
	write_file(expected, read_file(stripped) + "\nexpect violation stale count=" +
				     std::to_string(kinds.size()) + "\n");
	Replayed covered = Replay(expected, {"debug.skip_tbu_inv=on"});
	EXPECT_EQ(covered.status, 0) << covered.err;
	write_file(expected, read_file(stripped) + "\nexpect isolation\n");
	Replayed isolation = Replay(expected, {"debug.skip_tbu_inv=on"});
	EXPECT_EQ(isolation.status, 4) << isolation.err;
	unlink(expected.c_str());
	unlink(stripped.c_str());
}

// A foreign invalidation names an entry of the other owner it removed: the
// structure, the device and owner it was made for, the record that made it.
TEST(Scenarios, ForeignInvalidationNamesARemovedEntry)
{
	Replayed r = Replay(std::string(SIM_SCENARIOS_DIR) + "/seed000_btm_smmu_ida.trace");
	ASSERT_EQ(r.status, 0) << r.err;
	std::regex re("\\{\"kind\": \"foreign-invalidation\"[^\\n]*\"served_by\": \"(utlb|mtlb|tlb|"
		      "walk_cache)\", \"inserted_at_line\": (\\d+), \"inserted_for\": \"nic0 \\(vmm0\\)\"");
	std::smatch m;
	ASSERT_TRUE(std::regex_search(r.json, m, re)) << r.json;
	EXPECT_GT(std::stoul(m[2]), 0u);
	EXPECT_NE(r.json.find("of them vmm0's (e.g. a "), std::string::npos);
}
