// params_test.cc - the default configuration, the named-parameter table
// (smmu_config_set/get, smmu_param_at), whole-config validation
// (smmu_config_check) and the name tables of names.c.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

extern "C" {
#include "params.h"
#include "smmu/smmu.h"
#include "smmu/smmu_defs.h"
}

static_assert(sizeof(enum smmu_policy) == sizeof(int), "policy-by-hand writes an int");

namespace {

struct smmu_config Defaults()
{
	struct smmu_config c;
	std::memset(&c, 0xA5, sizeof(c));  // garbage first: defaults must set every field
	smmu_config_default(&c);
	return c;
}

bool SameConfig(const struct smmu_config &a, const struct smmu_config &b)
{
	return std::memcmp(&a, &b, sizeof(a)) == 0;
}

std::string Get(const struct smmu_config &c, const char *name)
{
	char buf[128];
	int rc = smmu_config_get(&c, name, buf, sizeof(buf));
	EXPECT_EQ(rc, SMMU_OK) << name;
	return rc == SMMU_OK ? std::string(buf) : std::string("<error>");
}

// Sets name=value; returns the status and the message.
int Set(struct smmu_config *c, const char *name, const char *value, std::string *msg = nullptr)
{
	char err[256];
	std::memset(err, 'X', sizeof(err));
	int rc = smmu_config_set(c, name, value, err, sizeof(err));
	EXPECT_NE(std::memchr(err, '\0', sizeof(err)), nullptr) << "err not terminated";
	if (msg)
		*msg = err;
	return rc;
}

std::vector<std::string> AllNames()
{
	std::vector<std::string> names;
	for (size_t i = 0; smmu_param_at(i); i++)
		names.push_back(smmu_param_at(i)->name);
	return names;
}

bool StartsWith(const std::string &s, const std::string &p)
{
	return s.compare(0, p.size(), p) == 0;
}

// ---- Defaults ---------------------------------------------------------------

TEST(SmmuParams, DefaultMatchesDesign)
{
	struct smmu_config c = Defaults();

	EXPECT_EQ(c.size, sizeof(struct smmu_config));
	EXPECT_EQ(c.minor_rev, 2);  // SMMUv3.2
	EXPECT_TRUE(c.s1p);
	EXPECT_TRUE(c.s2p);
	EXPECT_TRUE(c.vmid16);
	EXPECT_TRUE(c.asid16);
	EXPECT_TRUE(c.gran4k);
	EXPECT_TRUE(c.gran16k);
	EXPECT_TRUE(c.gran64k);
	EXPECT_EQ(c.oas_bits, 48);
	EXPECT_EQ(c.sidsize, 16);
	EXPECT_EQ(c.ssidsize, 20);
	EXPECT_EQ(c.cmdqs, 19);
	EXPECT_EQ(c.eventqs, 19);
	EXPECT_EQ(c.priqs, 19);
	EXPECT_TRUE(c.st_level2);
	EXPECT_TRUE(c.cd2l);
	EXPECT_TRUE(c.ril);
	EXPECT_FALSE(c.btm);  // implemented but off unless btm=on
	EXPECT_TRUE(c.ats);
	EXPECT_TRUE(c.pri);
	EXPECT_TRUE(c.msi);
	EXPECT_TRUE(c.sev);
	EXPECT_TRUE(c.hyp);
	EXPECT_TRUE(c.coherent);
	EXPECT_EQ(c.ttf, 2);
	EXPECT_EQ(c.stall_model, 1);
	EXPECT_FALSE(c.term_model);
	EXPECT_FALSE(c.stt);
	EXPECT_EQ(c.iidr & 0xFFFu, 0x43Bu);         // implementer Arm
	EXPECT_EQ(c.iidr >> 20, 0x5A5u);            // our product id
	EXPECT_NE(c.iidr >> 20, 0x487u);            // not MMU-700: no driver errata fire
	EXPECT_EQ(c.num_tbus, 1u);
	EXPECT_EQ(c.seed, 1u);

	struct Want {
		const struct smmu_cache_config *c;
		uint32_t entries, ways;
		enum smmu_policy policy;
		uint32_t latency, slots;
	} want[] = {
		{&c.utlb, 32, 32, SMMU_POLICY_PLRU, 1, 1},
		{&c.mtlb, 2048, 4, SMMU_POLICY_RANDOM, 3, 2},
		{&c.tbu_cfgc, 16, 16, SMMU_POLICY_PLRU, 1, 1},
		{&c.cfgc, 64, 4, SMMU_POLICY_LRU, 3, 1},
		{&c.tlb, 2048, 4, SMMU_POLICY_RR, 3, 3},
		{&c.wc, 512, 4, SMMU_POLICY_RR, 4, 2},
	};
	for (const Want &w : want) {
		SCOPED_TRACE(testing::Message() << "cache #" << (&w - want));
		EXPECT_EQ(w.c->entries, w.entries);
		EXPECT_EQ(w.c->ways, w.ways);
		EXPECT_EQ(w.c->policy, w.policy);
		EXPECT_TRUE(w.c->enable);
		EXPECT_EQ(w.c->latency, w.latency);
		EXPECT_EQ(w.c->slots, w.slots);
	}

	EXPECT_EQ(c.t.clock_mhz, 1000u);
	EXPECT_EQ(c.t.dti_hop, 8u);
	EXPECT_EQ(c.t.mem_read, 100u);
	EXPECT_EQ(c.t.mem_write, 100u);
	EXPECT_EQ(c.t.ptw_slots, 16u);
	EXPECT_EQ(c.t.ctw_slots, 2u);
	EXPECT_EQ(c.t.tcu_slots, 64u);
	EXPECT_EQ(c.t.cmd_decode, 2u);
	EXPECT_EQ(c.t.cmd_fetch_batch, 4u);
	EXPECT_EQ(c.t.inv_base, 2u);
	EXPECT_EQ(c.t.inv_per_entry, 1u);
	EXPECT_EQ(c.t.tbu_inv_work, 4u);
	EXPECT_EQ(c.t.sync_base, 10u);
	EXPECT_EQ(c.t.bypass, 1u);
}

TEST(SmmuParams, DefaultIsDeterministicAndValid)
{
	struct smmu_config a, b;
	std::memset(&a, 0x00, sizeof(a));
	std::memset(&b, 0xFF, sizeof(b));
	smmu_config_default(&a);
	smmu_config_default(&b);
	EXPECT_TRUE(SameConfig(a, b)) << "padding or a field left unset";

	char err[256] = "untouched";
	EXPECT_EQ(smmu_config_check(&a, err, sizeof(err)), SMMU_OK) << err;
}

TEST(SmmuParams, DefaultReadsBackByName)
{
	struct smmu_config c = Defaults();
	EXPECT_EQ(Get(c, "vmid_bits"), "16");
	EXPECT_EQ(Get(c, "asid_bits"), "16");
	EXPECT_EQ(Get(c, "oas"), "48");
	EXPECT_EQ(Get(c, "btm"), "off");
	EXPECT_EQ(Get(c, "ats"), "on");
	EXPECT_EQ(Get(c, "tbus"), "1");
	EXPECT_EQ(Get(c, "iidr"), "0x5a50043b");
	EXPECT_EQ(Get(c, "mtlb.policy"), "random");
	EXPECT_EQ(Get(c, "utlb.policy"), "plru");
	EXPECT_EQ(Get(c, "wc.policy"), "rr");
	EXPECT_EQ(Get(c, "cfgc.policy"), "lru");
	EXPECT_EQ(Get(c, "tlb.entries"), "2048");
	EXPECT_EQ(Get(c, "t.mem_read"), "100");
	EXPECT_EQ(Get(c, "t.clock_mhz"), "1000");
}

// ---- The table --------------------------------------------------------------

TEST(SmmuParams, TableNamesEveryField)
{
	std::set<std::string> want = {
		"minor_rev", "s1p", "s2p", "vmid_bits", "asid_bits", "gran4k", "gran16k",
		"gran64k", "oas", "sidsize", "ssidsize", "cmdqs", "eventqs", "priqs", "st_level2",
		"cd2l", "ril", "btm", "ats", "split_ats", "pri", "msi", "sev", "hyp", "coherent", "ttf",
		"stall_model", "term_model", "stt", "iidr", "tbus", "seed", "host.fastpath", "httu",
		"stall_max", "stall_timeout", "attr_types_ovr", "attr_perms_ovr", "wc_s2tt",
		"debug.skip_tbu_inv",
		"t.clock_mhz", "t.dti_hop", "t.mem_read", "t.mem_write", "t.ptw_slots",
		"t.ctw_slots", "t.tcu_slots", "t.cmd_decode", "t.cmd_fetch_batch", "t.inv_base",
		"t.inv_per_entry", "t.tbu_inv_work", "t.sync_base", "t.bypass", "t.atc_inv_timeout",
	};
	for (const char *cache : {"utlb", "mtlb", "tbu_cfgc", "cfgc", "tlb", "wc"})
		for (const char *f : {"entries", "ways", "policy", "enable", "latency", "slots"})
			want.insert(std::string(cache) + "." + f);

	std::vector<std::string> names = AllNames();
	std::set<std::string> got(names.begin(), names.end());
	EXPECT_EQ(got.size(), names.size()) << "duplicate parameter name";
	EXPECT_EQ(got, want);
	EXPECT_EQ(smmu_param_at(names.size()), nullptr);
	EXPECT_EQ(smmu_param_at(SIZE_MAX), nullptr);
}

TEST(SmmuParams, TableRowsAreDocumented)
{
	const std::set<std::string> sources = {"gem5 SMMUv3.py", "MMU-700 TRM 101542",
					       "MMU-600AE TRM", "DESIGN.md default", "IHI 0070", "simulator",
					       "uncalibrated"};
	for (size_t i = 0; smmu_param_at(i); i++) {
		const struct smmu_param_info *p = smmu_param_at(i);
		SCOPED_TRACE(p->name);
		ASSERT_NE(p->unit, nullptr);
		ASSERT_NE(p->source, nullptr);
		ASSERT_NE(p->help, nullptr);
		EXPECT_GT(std::strlen(p->unit), 0u);
		EXPECT_GT(std::strlen(p->help), 10u);
		EXPECT_EQ(sources.count(p->source), 1u) << p->source;
	}
	// Figures without a public source are labelled as such (DESIGN.md "Timing").
	for (const char *n : {"t.inv_per_entry", "t.tbu_inv_work", "t.sync_base", "t.cmd_decode"}) {
		bool found = false;
		for (size_t i = 0; smmu_param_at(i); i++) {
			if (std::string(smmu_param_at(i)->name) == n) {
				found = true;
				EXPECT_STREQ(smmu_param_at(i)->source, "uncalibrated") << n;
			}
		}
		EXPECT_TRUE(found) << n;
	}
}

// Values to try instead of `cur` (the current text of a parameter).
std::vector<std::string> Alternatives(const std::string &cur)
{
	if (cur == "on")
		return {"off"};
	if (cur == "off")
		return {"on"};
	std::vector<std::string> out;
	for (const char *p : {"lru", "plru", "rr", "random"})
		if (cur == p) {
			for (const char *q : {"lru", "plru", "rr", "random"})
				if (cur != q)
					out.push_back(q);
			return out;
		}
	bool hex = StartsWith(cur, "0x");
	uint64_t v = std::stoull(cur, nullptr, hex ? 16 : 10);
	std::vector<uint64_t> nums = {v + 1, v - 1, v * 2, v / 2, 8, 16, 52, 44, 1, 0};
	for (uint64_t n : nums) {
		if (n == v || n > UINT32_MAX)
			continue;
		char buf[32];
		std::snprintf(buf, sizeof(buf), hex ? "0x%llx" : "%llu", (unsigned long long)n);
		out.push_back(buf);
	}
	return out;
}

TEST(SmmuParams, EveryParameterSetsAndReadsBack)
{
	const struct smmu_config def = Defaults();
	std::vector<std::string> names = AllNames();
	ASSERT_GT(names.size(), 70u);

	std::vector<std::string> before;
	for (const std::string &n : names)
		before.push_back(Get(def, n.c_str()));

	for (size_t i = 0; i < names.size(); i++) {
		const std::string &name = names[i];
		SCOPED_TRACE(name);
		struct smmu_config c = def;
		std::string used;
		for (const std::string &alt : Alternatives(before[i])) {
			if (Set(&c, name.c_str(), alt.c_str()) == SMMU_OK) {
				used = alt;
				break;
			}
			EXPECT_TRUE(SameConfig(c, def)) << "a rejected value changed the config";
		}
		ASSERT_FALSE(used.empty()) << "no alternative value accepted";
		EXPECT_EQ(Get(c, name.c_str()), used);
		EXPECT_FALSE(SameConfig(c, def));

		// Nothing else moved, except a fully associative cache's ways
		// following its entries.
		std::string ways_of_same_cache;
		if (name.size() > 8 && name.compare(name.size() - 8, 8, ".entries") == 0)
			ways_of_same_cache = name.substr(0, name.size() - 8) + ".ways";
		for (size_t j = 0; j < names.size(); j++) {
			if (j == i || names[j] == ways_of_same_cache)
				continue;
			EXPECT_EQ(Get(c, names[j].c_str()), before[j]) << "changed " << names[j];
		}

		// Setting the printed default back restores the default bytes.
		ASSERT_EQ(Set(&c, name.c_str(), before[i].c_str()), SMMU_OK);
		EXPECT_TRUE(SameConfig(c, def));
	}
}

TEST(SmmuParams, BooleanSpellings)
{
	struct smmu_config c = Defaults();
	for (const char *on : {"on", "true", "yes", "1", "ON", "True"}) {
		ASSERT_EQ(Set(&c, "btm", "off"), SMMU_OK);
		EXPECT_EQ(Set(&c, "btm", on), SMMU_OK) << on;
		EXPECT_TRUE(c.btm) << on;
		EXPECT_EQ(Get(c, "btm"), "on");
	}
	for (const char *off : {"off", "false", "no", "0", "OFF", "No"}) {
		ASSERT_EQ(Set(&c, "ats", "on"), SMMU_OK);
		EXPECT_EQ(Set(&c, "ats", off), SMMU_OK) << off;
		EXPECT_FALSE(c.ats) << off;
		EXPECT_EQ(Get(c, "ats"), "off");
	}
}

TEST(SmmuParams, IntegerSyntaxAndSuffixes)
{
	struct Case {
		const char *name, *value;
		uint64_t want;
	} cases[] = {
		{"t.mem_read", "250", 250},
		{"t.mem_read", "0x20", 32},
		{"t.mem_read", "0X1f", 31},
		{"t.mem_read", "1_000", 1000},
		{"t.mem_read", "0x1_00", 256},
		{"t.mem_read", "1K", 1024},
		{"t.mem_read", "3k", 3072},
		{"tlb.entries", "4K", 4096},
		{"tlb.entries", "1M", 1048576},
		{"tlb.entries", "1m", 1048576},
		{"seed", "2G", 2147483648u},
		{"seed", "0xffff_ffff", 4294967295u},
		{"seed", "0", 0},
		{"t.mem_read", "007", 7},
	};
	for (const Case &k : cases) {
		SCOPED_TRACE(std::string(k.name) + "=" + k.value);
		struct smmu_config c = Defaults();
		std::string msg;
		ASSERT_EQ(Set(&c, k.name, k.value, &msg), SMMU_OK) << msg;
		EXPECT_EQ(Get(c, k.name), std::to_string(k.want));
	}
}

TEST(SmmuParams, ArchitectureKeys)
{
	struct smmu_config c = Defaults();
	ASSERT_EQ(Set(&c, "vmid_bits", "8"), SMMU_OK);
	EXPECT_FALSE(c.vmid16);
	EXPECT_EQ(Get(c, "vmid_bits"), "8");
	ASSERT_EQ(Set(&c, "asid_bits", "8"), SMMU_OK);
	EXPECT_FALSE(c.asid16);
	ASSERT_EQ(Set(&c, "asid_bits", "16"), SMMU_OK);
	EXPECT_TRUE(c.asid16);
	for (unsigned oas : {32u, 36u, 40u, 42u, 44u, 48u, 52u}) {
		ASSERT_EQ(Set(&c, "oas", std::to_string(oas).c_str()), SMMU_OK) << oas;
		EXPECT_EQ(c.oas_bits, oas);
	}
	ASSERT_EQ(Set(&c, "tbus", "64"), SMMU_OK);
	EXPECT_EQ(c.num_tbus, 64u);
	ASSERT_EQ(Set(&c, "iidr", "0x4870043B"), SMMU_OK);
	EXPECT_EQ(c.iidr, 0x4870043Bu);
	EXPECT_EQ(Get(c, "iidr"), "0x4870043b");
	ASSERT_EQ(Set(&c, "wc.policy", "LRU"), SMMU_OK);
	EXPECT_EQ(c.wc.policy, SMMU_POLICY_LRU);
	EXPECT_EQ(Get(c, "wc.policy"), "lru");
	ASSERT_EQ(Set(&c, "sidsize", "32"), SMMU_OK);
	EXPECT_EQ(c.sidsize, 32);
}

TEST(SmmuParams, FullyAssociativeCacheStaysFullyAssociative)
{
	struct smmu_config c = Defaults();
	ASSERT_EQ(Set(&c, "utlb.entries", "48"), SMMU_OK);  // 32x32 -> 48x48
	EXPECT_EQ(c.utlb.entries, 48u);
	EXPECT_EQ(c.utlb.ways, 48u);
	ASSERT_EQ(Set(&c, "mtlb.entries", "4096"), SMMU_OK);  // set-associative: ways kept
	EXPECT_EQ(c.mtlb.ways, 4u);
	// Going from 2048x4 to 32x32 works in either order.
	ASSERT_EQ(Set(&c, "tlb.ways", "32"), SMMU_OK);
	ASSERT_EQ(Set(&c, "tlb.entries", "32"), SMMU_OK);
	EXPECT_EQ(c.tlb.entries, 32u);
	EXPECT_EQ(c.tlb.ways, 32u);
}

TEST(SmmuParams, DisablingACacheAllowsZeroEntries)
{
	struct smmu_config c = Defaults();
	std::string msg;
	EXPECT_EQ(Set(&c, "mtlb.entries", "0", &msg), SMMU_ERR_INVAL);
	EXPECT_EQ(msg, "mtlb.entries: 0 needs mtlb.enable=off");
	ASSERT_EQ(Set(&c, "mtlb.enable", "off"), SMMU_OK);
	ASSERT_EQ(Set(&c, "mtlb.entries", "0"), SMMU_OK);
	EXPECT_EQ(c.mtlb.entries, 0u);
	EXPECT_EQ(smmu_config_check(&c, nullptr, 0), SMMU_OK);
	struct smmu_config before = c;
	EXPECT_EQ(Set(&c, "mtlb.enable", "on", &msg), SMMU_ERR_INVAL);
	EXPECT_EQ(msg, "mtlb.enable: on needs mtlb.entries >= 1");
	EXPECT_TRUE(SameConfig(c, before));
}

struct Bad {
	const char *name, *value, *msg;  // msg: exact, or a prefix when it ends in '*'
};

class SmmuParamsBad : public testing::TestWithParam<Bad> {};

TEST_P(SmmuParamsBad, RejectedWithMessageAndConfigUnchanged)
{
	const Bad &b = GetParam();
	struct smmu_config c = Defaults();
	const struct smmu_config before = c;
	std::string msg;

	EXPECT_EQ(Set(&c, b.name, b.value, &msg), SMMU_ERR_INVAL);
	EXPECT_TRUE(SameConfig(c, before));
	std::string want = b.msg;
	if (!want.empty() && want.back() == '*')
		EXPECT_TRUE(StartsWith(msg, want.substr(0, want.size() - 1))) << msg;
	else
		EXPECT_EQ(msg, want);
}

INSTANTIATE_TEST_SUITE_P(
	Values, SmmuParamsBad,
	testing::Values(
		Bad{"tlb.ways", "3", "tlb.ways: 3 does not divide tlb.entries 2048"},
		Bad{"tlb.ways", "4096", "tlb.ways: 4096 does not divide tlb.entries 2048"},
		Bad{"tlb.ways", "0", "tlb.ways: 0 needs tlb.enable=off"},
		Bad{"mtlb.entries", "2050", "mtlb.entries: 2050 is not a multiple of mtlb.ways 4"},
		Bad{"tlb.entries", "2M", "tlb.entries: 2097152 is out of range 0..1048576"},
		Bad{"vmid_bits", "12", "vmid_bits: 12 is not 8 or 16"},
		Bad{"asid_bits", "0", "asid_bits: 0 is not 8 or 16"},
		Bad{"oas", "50", "oas: 50 is not one of 32, 36, 40, 42, 44, 48, 52"},
		Bad{"oas", "56", "oas: 56 is not one of*"},
		Bad{"sidsize", "33", "sidsize: 33 is out of range 0..32"},
		Bad{"ssidsize", "21", "ssidsize: 21 is out of range 0..20"},
		Bad{"cmdqs", "20", "cmdqs: 20 is out of range 0..19"},
		Bad{"eventqs", "20", "eventqs: 20 is out of range 0..19"},
		Bad{"priqs", "32", "priqs: 32 is out of range 0..19"},
		Bad{"tbus", "0", "tbus: 0 is out of range 1..64"},
		Bad{"tbus", "65", "tbus: 65 is out of range 1..64"},
		Bad{"minor_rev", "5", "minor_rev: 5 is out of range 0..4"},
		Bad{"ttf", "0", "ttf: 0 is out of range 1..3"},
		Bad{"stall_model", "3", "stall_model: 3 is out of range 0..2"},
		Bad{"utlb.latency", "1000001", "utlb.latency: 1000001 is out of range 0..1000000"},
		Bad{"utlb.slots", "0", "utlb.slots: 0 is out of range 1..4096"},
		Bad{"wc.slots", "4097", "wc.slots: 4097 is out of range 1..4096"},
		Bad{"t.ptw_slots", "0", "t.ptw_slots: 0 is out of range 1..4096"},
		Bad{"t.mem_read", "2M", "t.mem_read: 2097152 is out of range 0..1000000"},
		Bad{"t.clock_mhz", "0", "t.clock_mhz: 0 is out of range 1..100000"},
		Bad{"seed", "4G", "seed: 4294967296 is out of range 0..4294967295"},
		Bad{"utlb.policy", "fifo", "utlb.policy: 'fifo' is not a policy (lru, plru, rr, random)"},
		Bad{"btm", "maybe",
		    "btm: 'maybe' is not a boolean (on/off, true/false, yes/no, 1/0)"},
		Bad{"btm", "", "btm: '' is not a boolean*"},
		Bad{"btm", "2", "btm: '2' is not a boolean*"},
		Bad{"no.such", "1", "unknown parameter 'no.such'*"},
		Bad{"", "1", "unknown parameter ''*"},
		Bad{"TLB.ENTRIES", "1", "unknown parameter 'TLB.ENTRIES'*"},
		Bad{"t.mem_read", "", "t.mem_read: '' is not a number*"},
		Bad{"t.mem_read", "-1", "t.mem_read: '-1' is not a number*"},
		Bad{"t.mem_read", "+1", "t.mem_read: '+1' is not a number*"},
		Bad{"t.mem_read", "1.5", "t.mem_read: '1.5' is not a number*"},
		Bad{"t.mem_read", " 1", "t.mem_read: ' 1' is not a number*"},
		Bad{"t.mem_read", "1 ", "t.mem_read: '1 ' is not a number*"},
		Bad{"t.mem_read", "0x", "t.mem_read: '0x' is not a number*"},
		Bad{"t.mem_read", "0xg", "t.mem_read: '0xg' is not a number*"},
		Bad{"t.mem_read", "_1", "t.mem_read: '_1' is not a number*"},
		Bad{"t.mem_read", "1_", "t.mem_read: '1_' is not a number*"},
		Bad{"t.mem_read", "1__0", "t.mem_read: '1__0' is not a number*"},
		Bad{"t.mem_read", "1_K", "t.mem_read: '1_K' is not a number*"},
		Bad{"t.mem_read", "1KB", "t.mem_read: '1KB' is not a number*"},
		Bad{"t.mem_read", "1K2", "t.mem_read: '1K2' is not a number*"},
		Bad{"t.mem_read", "K", "t.mem_read: 'K' is not a number*"},
		Bad{"t.mem_read", "12abc", "t.mem_read: '12abc' is not a number*"},
		Bad{"t.mem_read", "99999999999999999999999",
		    "t.mem_read: '99999999999999999999999' is not a number*"},
		Bad{"seed", "0xffffffffffffffffK", "seed: '0xffffffffffffffffK' is not a number*"}));

TEST(SmmuParams, RejectsUninitialisedConfigAndNulls)
{
	struct smmu_config c = Defaults();
	c.size = 12;
	const struct smmu_config before = c;
	std::string msg;
	EXPECT_EQ(Set(&c, "btm", "on", &msg), SMMU_ERR_INVAL);
	EXPECT_TRUE(SameConfig(c, before));
	EXPECT_NE(msg.find("smmu_config_default"), std::string::npos) << msg;
	char buf[16];
	EXPECT_EQ(smmu_config_get(&c, "btm", buf, sizeof(buf)), SMMU_ERR_INVAL);

	c = Defaults();
	EXPECT_EQ(smmu_config_set(nullptr, "btm", "on", nullptr, 0), SMMU_ERR_INVAL);
	EXPECT_EQ(smmu_config_set(&c, nullptr, "on", nullptr, 0), SMMU_ERR_INVAL);
	EXPECT_EQ(smmu_config_set(&c, "btm", nullptr, nullptr, 0), SMMU_ERR_INVAL);
	EXPECT_FALSE(c.btm);
	// A NULL or empty err buffer is allowed.
	EXPECT_EQ(smmu_config_set(&c, "tlb.ways", "3", nullptr, 0), SMMU_ERR_INVAL);
	EXPECT_EQ(smmu_config_set(&c, "btm", "on", nullptr, 0), SMMU_OK);
	EXPECT_TRUE(c.btm);
}

TEST(SmmuParams, MessagesTruncateSafely)
{
	struct smmu_config c = Defaults();
	char err[8];
	std::memset(err, 'X', sizeof(err));
	EXPECT_EQ(smmu_config_set(&c, "tlb.ways", "3", err, sizeof(err)), SMMU_ERR_INVAL);
	EXPECT_STREQ(err, "tlb.way");

	std::string longname(500, 'a');
	std::string msg;
	EXPECT_EQ(Set(&c, longname.c_str(), "1", &msg), SMMU_ERR_INVAL);
	EXPECT_LT(msg.size(), 100u) << "long user input is cut in messages";
}

TEST(SmmuParams, GetErrors)
{
	struct smmu_config c = Defaults();
	char buf[4];
	EXPECT_EQ(smmu_config_get(&c, "no.such", buf, sizeof(buf)), SMMU_ERR_INVAL);
	EXPECT_EQ(smmu_config_get(&c, "tlb.entries", buf, sizeof(buf)), SMMU_ERR_RANGE);
	EXPECT_STREQ(buf, "204");  // truncated, terminated
	EXPECT_EQ(smmu_config_get(&c, "btm", buf, sizeof(buf)), SMMU_OK);
	EXPECT_STREQ(buf, "off");
	EXPECT_EQ(smmu_config_get(&c, "btm", nullptr, 4), SMMU_ERR_INVAL);
	EXPECT_EQ(smmu_config_get(&c, "btm", buf, 0), SMMU_ERR_INVAL);
	EXPECT_EQ(smmu_config_get(nullptr, "btm", buf, sizeof(buf)), SMMU_ERR_INVAL);
	EXPECT_EQ(smmu_config_get(&c, nullptr, buf, sizeof(buf)), SMMU_ERR_INVAL);
}

// ---- smmu_config_check ------------------------------------------------------

struct CheckCase {
	const char *what;
	void (*mutate)(struct smmu_config *c);
	const char *msg;  // a substring the message must contain
};

class SmmuConfigCheck : public testing::TestWithParam<CheckCase> {};

TEST_P(SmmuConfigCheck, Rejects)
{
	const CheckCase &k = GetParam();
	struct smmu_config c = Defaults();
	k.mutate(&c);
	const struct smmu_config before = c;
	char err[256];
	std::memset(err, 'X', sizeof(err));
	EXPECT_EQ(smmu_config_check(&c, err, sizeof(err)), SMMU_ERR_INVAL);
	EXPECT_NE(std::strstr(err, k.msg), nullptr) << "message: " << err;
	EXPECT_TRUE(SameConfig(c, before));
	EXPECT_EQ(smmu_config_check(&c, nullptr, 0), SMMU_ERR_INVAL);
}

INSTANTIATE_TEST_SUITE_P(
	Cases, SmmuConfigCheck,
	testing::Values(
		CheckCase{"size", [](struct smmu_config *c) { c->size = 4; }, "smmu_config_default"},
		CheckCase{"no stage",
			  [](struct smmu_config *c) {
				  c->s1p = c->s2p = false;
				  c->hyp = false;
			  },
			  "at least one translation stage"},
		CheckCase{"hyp without s2", [](struct smmu_config *c) { c->s2p = false; },
			  "hyp=on needs s1p=on and s2p=on"},
		CheckCase{"hyp without s1", [](struct smmu_config *c) { c->s1p = false; },
			  "hyp=on needs s1p=on and s2p=on"},
		CheckCase{"sidsize without 2-level", [](struct smmu_config *c) { c->st_level2 = false; },
			  "sidsize=16 needs st_level2=on"},
		CheckCase{"sidsize 7 without 2-level",
			  [](struct smmu_config *c) {
				  c->st_level2 = false;
				  c->sidsize = 7;
			  },
			  "sidsize=7 needs st_level2=on"},
		CheckCase{"no granule",
			  [](struct smmu_config *c) { c->gran4k = c->gran16k = c->gran64k = false; },
			  "at least one translation granule"},
		CheckCase{"pri without ats", [](struct smmu_config *c) { c->ats = false; },
			  "pri=on needs ats=on"},
		CheckCase{"ril before v3.2", [](struct smmu_config *c) { c->minor_rev = 1; },
			  "ril=on needs minor_rev >= 2"},
		CheckCase{"oas 52 on v3.0",
			  [](struct smmu_config *c) {
				  c->minor_rev = 0;
				  c->ril = false;
				  c->oas_bits = 52;
			  },
			  "oas=52 needs minor_rev >= 1"},
		CheckCase{"AArch32 only", [](struct smmu_config *c) { c->ttf = 1; },
			  "ttf=1: AArch32-only (LPAE) translation tables are not modelled"},
		CheckCase{"ttf reserved", [](struct smmu_config *c) { c->ttf = 0; },
			  "ttf: 0 is out of range 1..3"},
		CheckCase{"AArch32 without 4K",
			  [](struct smmu_config *c) {
				  c->ttf = 3;
				  c->gran4k = false;
			  },
			  "ttf=3 needs gran4k=on"},
		CheckCase{"stall model reserved", [](struct smmu_config *c) { c->stall_model = 3; },
			  "stall_model: 3 is out of range 0..2"},
		CheckCase{"sidsize range", [](struct smmu_config *c) { c->sidsize = 40; },
			  "sidsize: 40 is out of range 0..32"},
		CheckCase{"oas by hand", [](struct smmu_config *c) { c->oas_bits = 50; },
			  "oas: 50 is not one of"},
		CheckCase{"tbus by hand", [](struct smmu_config *c) { c->num_tbus = 0; },
			  "tbus: 0 is out of range 1..64"},
		CheckCase{"policy by hand",
			  [](struct smmu_config *c) {
				  // Written as raw bytes: C++ may not form an enum value
				  // outside the enumerators' range.
				  int bad = 7;
				  std::memcpy(&c->cfgc.policy, &bad, sizeof(bad));
			  },
			  "cfgc.policy: 7 is not a policy"},
		CheckCase{"ways by hand", [](struct smmu_config *c) { c->tlb.ways = 3; },
			  "tlb.ways: 3 does not divide tlb.entries 2048"},
		CheckCase{"zero entries enabled", [](struct smmu_config *c) { c->wc.entries = 0; },
			  "wc.entries: 0 needs wc.enable=off"},
		CheckCase{"zero ways enabled",
			  [](struct smmu_config *c) { c->tbu_cfgc.ways = 0; },
			  "tbu_cfgc.ways: 0 needs tbu_cfgc.enable=off"},
		CheckCase{"slots by hand", [](struct smmu_config *c) { c->t.tcu_slots = 0; },
			  "t.tcu_slots: 0 is out of range 1..4096"}),
	[](const testing::TestParamInfo<CheckCase> &i) {
		std::string n;
		for (const char *p = i.param.what; *p; p++)
			n += std::isalnum((unsigned char)*p) ? *p : '_';
		return n;
	});

TEST(SmmuConfigCheck, AcceptsLegalVariants)
{
	struct V {
		const char *what;
		void (*mutate)(struct smmu_config *c);
	} vs[] = {
		{"s2 only", [](struct smmu_config *c) { c->s1p = false; c->hyp = false; }},
		{"s1 only", [](struct smmu_config *c) { c->s2p = false; c->hyp = false; }},
		{"small linear stream table",
		 [](struct smmu_config *c) { c->sidsize = 6; c->st_level2 = false; }},
		{"ttf 3 with 4K", [](struct smmu_config *c) { c->ttf = 3; }},
		{"v3.0", [](struct smmu_config *c) { c->minor_rev = 0; c->ril = false; }},
		{"only 64K", [](struct smmu_config *c) { c->gran4k = c->gran16k = false; }},
		{"no ats no pri", [](struct smmu_config *c) { c->ats = c->pri = false; }},
		{"disabled odd cache",
		 [](struct smmu_config *c) { c->tlb.enable = false; c->tlb.ways = 3; }},
		{"btm on", [](struct smmu_config *c) { c->btm = true; }},
	};
	for (const V &v : vs) {
		struct smmu_config c = Defaults();
		v.mutate(&c);
		char err[256] = "";
		EXPECT_EQ(smmu_config_check(&c, err, sizeof(err)), SMMU_OK) << v.what << ": " << err;
	}
	EXPECT_EQ(smmu_config_check(nullptr, nullptr, 0), SMMU_ERR_INVAL);
}

// ---- names.c ----------------------------------------------------------------

TEST(SmmuNames, EveryArchitectedEventAndNothingElse)
{
	const std::vector<std::pair<unsigned, const char *>> want = {
		{0x01, "F_UUT"},           {0x02, "C_BAD_STREAMID"},   {0x03, "F_STE_FETCH"},
		{0x04, "C_BAD_STE"},       {0x05, "F_BAD_ATS_TREQ"},   {0x06, "F_STREAM_DISABLED"},
		{0x07, "F_TRANSL_FORBIDDEN"}, {0x08, "C_BAD_SUBSTREAMID"}, {0x09, "F_CD_FETCH"},
		{0x0A, "C_BAD_CD"},        {0x0B, "F_WALK_EABT"},      {0x10, "F_TRANSLATION"},
		{0x11, "F_ADDR_SIZE"},     {0x12, "F_ACCESS"},         {0x13, "F_PERMISSION"},
		{0x20, "F_TLB_CONFLICT"},  {0x21, "F_CFG_CONFLICT"},   {0x24, "E_PAGE_REQUEST"},
		{0x25, "F_VMS_FETCH"},
	};
	std::set<unsigned> named;
	for (const auto &w : want) {
		named.insert(w.first);
		const char *n = smmu_event_name(w.first);
		ASSERT_NE(n, nullptr) << std::hex << w.first;
		EXPECT_STREQ(n, w.second);
	}
	for (unsigned id = 0; id < 0x200; id++)
		if (!named.count(id)) {
			EXPECT_EQ(smmu_event_name(id), nullptr) << "reserved event 0x" << std::hex << id;
		}
	EXPECT_EQ(smmu_event_name(0x101), nullptr);  // not truncated to 8 bits
	EXPECT_STREQ(smmu_event_name(SMMU_EVT_F_TRANSLATION), "F_TRANSLATION");
}

TEST(SmmuNames, EveryOpcodeAndNothingElse)
{
	const std::vector<std::pair<unsigned, const char *>> want = {
		{0x01, "PREFETCH_CONFIG"}, {0x02, "PREFETCH_ADDR"},   {0x03, "CFGI_STE"},
		{0x04, "CFGI_STE_RANGE"},  {0x05, "CFGI_CD"},         {0x06, "CFGI_CD_ALL"},
		{0x07, "CFGI_VMS_PIDM"},   {0x10, "TLBI_NH_ALL"},     {0x11, "TLBI_NH_ASID"},
		{0x12, "TLBI_NH_VA"},      {0x13, "TLBI_NH_VAA"},     {0x18, "TLBI_EL3_ALL"},
		{0x1A, "TLBI_EL3_VA"},     {0x20, "TLBI_EL2_ALL"},    {0x21, "TLBI_EL2_ASID"},
		{0x22, "TLBI_EL2_VA"},     {0x23, "TLBI_EL2_VAA"},    {0x28, "TLBI_S12_VMALL"},
		{0x2A, "TLBI_S2_IPA"},     {0x30, "TLBI_NSNH_ALL"},   {0x40, "ATC_INV"},
		{0x41, "PRI_RESP"},        {0x44, "RESUME"},          {0x45, "STALL_TERM"},
		{0x46, "SYNC"},            {0x50, "TLBI_S_EL2_ALL"},  {0x51, "TLBI_S_EL2_ASID"},
		{0x52, "TLBI_S_EL2_VA"},   {0x53, "TLBI_S_EL2_VAA"},  {0x58, "TLBI_S_S12_VMALL"},
		{0x5A, "TLBI_S_S2_IPA"},   {0x60, "TLBI_SNH_ALL"},    {0x70, "DPTI_ALL"},
		{0x73, "DPTI_PA"},
	};
	std::set<unsigned> named;
	for (const auto &w : want) {
		named.insert(w.first);
		const char *n = smmu_cmd_name(w.first);
		ASSERT_NE(n, nullptr) << std::hex << w.first;
		EXPECT_STREQ(n, w.second);
	}
	for (unsigned op = 0; op < 0x200; op++)
		if (!named.count(op)) {
			EXPECT_EQ(smmu_cmd_name(op), nullptr) << "reserved opcode 0x" << std::hex << op;
		}
	EXPECT_STREQ(smmu_cmd_name(SMMU_CMD_SYNC), "SYNC");
	EXPECT_EQ(smmu_cmd_name(0x146), nullptr);  // not truncated to 8 bits
}

TEST(SmmuNames, HitsPoliciesAndStatus)
{
	const char *hits[] = {"none", "bypass", "utlb", "mtlb", "tlb", "walk_cache", "walk", "atc"};
	ASSERT_EQ(sizeof(hits) / sizeof(hits[0]), (size_t)SMMU_HIT_COUNT);
	for (int h = 0; h < SMMU_HIT_COUNT; h++) {
		const char *n = smmu_hit_name((enum smmu_hit)h);
		ASSERT_NE(n, nullptr) << h;
		EXPECT_STREQ(n, hits[h]);
	}
	EXPECT_EQ(smmu_hit_name(SMMU_HIT_COUNT), nullptr);

	EXPECT_STREQ(smmu_policy_name(SMMU_POLICY_LRU), "lru");
	EXPECT_STREQ(smmu_policy_name(SMMU_POLICY_PLRU), "plru");
	EXPECT_STREQ(smmu_policy_name(SMMU_POLICY_RR), "rr");
	EXPECT_STREQ(smmu_policy_name(SMMU_POLICY_RANDOM), "random");

	std::set<std::string> msgs;
	for (int s : {SMMU_OK, SMMU_ERR_INVAL, SMMU_ERR_NOMEM, SMMU_ERR_RANGE,
		      SMMU_ERR_UNSUPPORTED}) {
		const char *m = smmu_strerror(s);
		ASSERT_NE(m, nullptr);
		EXPECT_GT(std::strlen(m), 0u);
		msgs.insert(m);
	}
	EXPECT_EQ(msgs.size(), 5u) << "status messages must differ";
	ASSERT_NE(smmu_strerror(99), nullptr);
	EXPECT_EQ(msgs.count(smmu_strerror(99)), 0u);
	EXPECT_STREQ(smmu_strerror(SMMU_ERR_NOMEM), "out of memory");
}

TEST(SmmuNames, BtmOps)
{
	const std::vector<std::pair<const char *, enum smmu_btm_op>> want = {
		{"VMALLE1IS", SMMU_BTM_VMALLE1IS}, {"ASIDE1IS", SMMU_BTM_ASIDE1IS},
		{"VAE1IS", SMMU_BTM_VAE1IS},       {"VALE1IS", SMMU_BTM_VALE1IS},
		{"VAAE1IS", SMMU_BTM_VAAE1IS},     {"VAALE1IS", SMMU_BTM_VAALE1IS},
		{"IPAS2E1IS", SMMU_BTM_IPAS2E1IS}, {"IPAS2LE1IS", SMMU_BTM_IPAS2LE1IS},
		{"VMALLS12E1IS", SMMU_BTM_VMALLS12E1IS}, {"ALLE1IS", SMMU_BTM_ALLE1IS},
		{"ALLE2IS", SMMU_BTM_ALLE2IS},     {"VAE2IS", SMMU_BTM_VAE2IS},
		{"ASIDE2IS", SMMU_BTM_ASIDE2IS},
	};
	for (const auto &w : want) {
		std::string full = w.first;
		std::string bare = full.substr(0, full.size() - 2);
		std::string lower;
		for (char ch : full)
			lower += (char)std::tolower((unsigned char)ch);
		for (const std::string &n : {full, bare, lower}) {
			enum smmu_btm_op op = w.second == SMMU_BTM_VMALLE1IS ? SMMU_BTM_ASIDE2IS
									     : SMMU_BTM_VMALLE1IS;
			EXPECT_EQ(smmu_btm_parse_op(n.c_str(), &op), SMMU_OK) << n;
			EXPECT_EQ(op, w.second) << n;
		}
	}
	for (const char *bad : {"", "IS", "VAE3IS", "VAE1ISX", "VAE1I", "VMALLE1ISIS", "TLBI"}) {
		enum smmu_btm_op op = SMMU_BTM_ALLE2IS;
		EXPECT_EQ(smmu_btm_parse_op(bad, &op), SMMU_ERR_INVAL) << bad;
		EXPECT_EQ(op, SMMU_BTM_ALLE2IS) << "output written on error: " << bad;
	}
	enum smmu_btm_op op;
	EXPECT_EQ(smmu_btm_parse_op(nullptr, &op), SMMU_ERR_INVAL);
	EXPECT_EQ(smmu_btm_parse_op("VAE1IS", nullptr), SMMU_ERR_INVAL);
}

}  // namespace
