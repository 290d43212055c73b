// scale_toml_plan_test.cc - sweep plans in TOML (sim/toml.h): the reader's
// values (integers in every base to decimal text, floats, strings and
// escapes, tables, arrays of tables, inline tables, dotted keys), TOML's
// "defined once" rules and every refusal with its line and column; then the
// same plan written as TOML and as JSON expands to identical job lists and
// plan.json, found by extension or by content, and a malformed TOML plan
// names FILE:LINE:COL. Labels: sim, scale.
#include <gtest/gtest.h>

#include <sstream>

#include "json.h"
#include "run_util.h"
#include "sc_gtest_main.h"
#include "toml.h"

using smmusim::json::Error;
using smmusim::json::Value;

namespace
{

Value Parse(const std::string &text)
{
	Value v;
	Error e;
	EXPECT_TRUE(smmusim::toml::parse(text, v, e)) << e.line << ":" << e.col << ": " << e.what;
	return v;
}

// "LINE:COL: WHAT" of a document that must be refused.
std::string Refusal(const std::string &text)
{
	Value v;
	Error e;
	if (smmusim::toml::parse(text, v, e))
		return "accepted";
	return std::to_string(e.line) + ":" + std::to_string(e.col) + ": " + e.what;
}

bool StartsWith(const std::string &s, const std::string &p) { return s.compare(0, p.size(), p) == 0; }

TEST(TomlReader, ValuesOfEveryKindAsJsonValues)
{
	Value v = Parse("# a comment\n"
			"int = 1_000\nhex = 0xDEAD_beef\noct = 0o17\nbin = 0b101\nneg = -42\n"
			"pos = +7\nflt = +1.5e3\nfrac = 0.25\nyes = true\nno = false\n"
			"s = \"tab\\there \\u00e9 \\\"q\\\" \\\\\"   # trailing comment\n"
			"lit = 'C:\\path\\no\\escape'\n"
			"empty = \"\"\n"
			"\"quoted key\" = 1\n"
			"a.b.c = \"dotted\"\n"
			"list = [ 1, \"two\", [3], {x = 4},\n  # comment inside\n  5, ]\n"
			"big = 9223372036854775807\n");
	ASSERT_EQ(v.kind, Value::Object);
	EXPECT_EQ(v.members[0].first, "int"); // key order kept
	EXPECT_EQ(v.get("int")->text, "1000");
	EXPECT_EQ(v.get("int")->kind, Value::Number);
	EXPECT_EQ(v.get("hex")->text, "3735928559");
	EXPECT_EQ(v.get("oct")->text, "15");
	EXPECT_EQ(v.get("bin")->text, "5");
	EXPECT_EQ(v.get("neg")->text, "-42");
	EXPECT_EQ(v.get("pos")->text, "7");
	EXPECT_EQ(v.get("flt")->text, "1.5e3");
	EXPECT_DOUBLE_EQ(v.get("flt")->num, 1500.0);
	EXPECT_EQ(v.get("frac")->text, "0.25");
	EXPECT_EQ(v.get("yes")->kind, Value::Bool);
	EXPECT_TRUE(v.get("yes")->b);
	EXPECT_FALSE(v.get("no")->b);
	EXPECT_EQ(v.get("s")->text, "tab\there \xc3\xa9 \"q\" \\");
	EXPECT_EQ(v.get("lit")->text, "C:\\path\\no\\escape");
	EXPECT_EQ(v.get("empty")->text, "");
	EXPECT_EQ(v.get("quoted key")->text, "1");
	const Value *c = v.at({"a", "b", "c"});
	ASSERT_TRUE(c);
	EXPECT_EQ(c->text, "dotted");
	const Value *l = v.get("list");
	ASSERT_TRUE(l && l->kind == Value::Array);
	ASSERT_EQ(l->items.size(), 5u);
	EXPECT_EQ(l->items[1].text, "two");
	EXPECT_EQ(l->items[2].kind, Value::Array);
	EXPECT_EQ(l->items[3].get("x")->text, "4");
	EXPECT_EQ(l->items[4].text, "5");
	EXPECT_EQ(v.get("big")->text, "9223372036854775807");
}

TEST(TomlReader, TablesAndArraysOfTables)
{
	Value v = Parse("top = 1\n"
			"[grid]\n\"t.mem_read\" = [50, 100]\npolicy.vmid = [\"split\"]\n"
			"[x.y.z]\nk = 1\n[x]\nw = 2\n" // [x] may be defined after [x.y.z] made it
			"[[sets]]\na = 1\n[sets.sub]\nb = 2\n[[sets]]\na = 3\n"
			"[ spaced . header ]\nq = 'ok'\n");
	EXPECT_EQ(v.get("top")->text, "1");
	const Value *g = v.get("grid");
	ASSERT_TRUE(g && g->kind == Value::Object);
	EXPECT_EQ(g->get("t.mem_read")->items.size(), 2u);
	EXPECT_EQ(g->at({"policy", "vmid"})->items[0].text, "split");
	EXPECT_EQ(v.at({"x", "y", "z", "k"})->text, "1");
	EXPECT_EQ(v.at({"x", "w"})->text, "2");
	const Value *s = v.get("sets");
	ASSERT_TRUE(s && s->kind == Value::Array);
	ASSERT_EQ(s->items.size(), 2u);
	EXPECT_EQ(s->items[0].get("a")->text, "1");
	EXPECT_EQ(s->items[0].at({"sub", "b"})->text, "2");
	EXPECT_EQ(s->items[1].get("a")->text, "3");
	EXPECT_EQ(v.at({"spaced", "header", "q"})->text, "ok");
	// CRLF line ends and an empty document
	EXPECT_EQ(Parse("a = 1\r\n[b]\r\nc = 2\r\n").at({"b", "c"})->text, "2");
	EXPECT_EQ(Parse("").kind, Value::Object);
}

TEST(TomlReader, RefusalsNameLineAndColumn)
{
	// syntax
	EXPECT_TRUE(StartsWith(Refusal("a = 1\nb = [1,\n  2,, 3]\n"), "3:5: expected a value"));
	EXPECT_TRUE(StartsWith(Refusal("a = 1 b = 2\n"), "1:7: expected the end of the line"));
	EXPECT_TRUE(StartsWith(Refusal("a 1\n"), "1:3: expected '=' after the key"));
	EXPECT_TRUE(StartsWith(Refusal("= 1\n"), "1:1: expected a key"));
	EXPECT_TRUE(StartsWith(Refusal("a =\n"), "1:4: expected a value"));
	EXPECT_TRUE(StartsWith(Refusal("[a\nb = 1\n"), "1:3: expected ']'"));
	EXPECT_TRUE(StartsWith(Refusal("[[a]\n"), "1:4: expected ']]'"));
	EXPECT_TRUE(StartsWith(Refusal("x = \"abc\n"), "1:5: unterminated string"));
	EXPECT_TRUE(StartsWith(Refusal("x = \"\\q\"\n"), "1:7: expected an escape"));
	EXPECT_TRUE(StartsWith(Refusal("x = \"\\ud800\"\n"), "1:6: escape is not a Unicode scalar"));
	EXPECT_TRUE(StartsWith(Refusal("x = [1, 2\n"), "1:5: unterminated array"));
	EXPECT_TRUE(StartsWith(Refusal("x = {a = 1,}\n"), "1:12: expected a key after ','"));
	EXPECT_TRUE(StartsWith(Refusal("x = {a = 1\n}\n"), "1:11: expected ',' or '}'"));
	EXPECT_TRUE(StartsWith(Refusal("x = tru\n"), "1:5: expected a value"));
	EXPECT_TRUE(StartsWith(Refusal("# bad \x01 comment\n"), "1:7: control character"));
	// numbers
	EXPECT_TRUE(StartsWith(Refusal("x = 012\n"), "1:5: malformed number '012': leading zeros"));
	EXPECT_TRUE(StartsWith(Refusal("x = 1__0\n"), "1:5: malformed number"));
	EXPECT_TRUE(StartsWith(Refusal("x = 1_\n"), "1:5: malformed number"));
	EXPECT_TRUE(StartsWith(Refusal("x = 1.\n"), "1:5: malformed number '1.': expected digits after '.'"));
	EXPECT_TRUE(StartsWith(Refusal("x = -0x10\n"), "1:5: malformed number '-0x10': a hex"));
	EXPECT_TRUE(StartsWith(Refusal("x = 0x\n"), "1:5: malformed number"));
	EXPECT_TRUE(StartsWith(Refusal("x = 9223372036854775808\n"),
			       "1:5: malformed number '9223372036854775808': out of the 64-bit range"));
	// what a plan does not need, refused by name
	EXPECT_TRUE(StartsWith(Refusal("x = \"\"\"a\"\"\"\n"), "1:5: multi-line strings"));
	EXPECT_TRUE(StartsWith(Refusal("d = 1979-05-27\n"), "1:5: dates and times are not supported"));
	EXPECT_TRUE(StartsWith(Refusal("t = 07:32:00\n"), "1:5: dates and times are not supported"));
	EXPECT_TRUE(StartsWith(Refusal("x = inf\n"), "1:5: inf and nan are not supported"));
	// defined once
	EXPECT_EQ(Refusal("a = 1\nb = 2\na = 3\n"), "3:1: duplicate key 'a' (first defined on line 1)");
	EXPECT_TRUE(StartsWith(Refusal("[t]\n[t]\n"), "2:1: [t]: 't' is already defined on line 1"));
	EXPECT_TRUE(StartsWith(Refusal("a.b = 1\n[a]\n"), "2:1: [a]: 'a' is already defined on line 1"));
	EXPECT_TRUE(StartsWith(Refusal("[a.b]\n[a]\nb.c = 1\n"), "3:1: 'b' is already defined on line 1; dotted keys"));
	EXPECT_TRUE(StartsWith(Refusal("a = 1\na.b = 2\n"), "2:1: 'a' is already defined on line 1 as a value"));
	EXPECT_TRUE(StartsWith(Refusal("a = [1]\n[[a]]\n"), "2:1: [[a]]: 'a' is already defined on line 1 as a value"));
	EXPECT_TRUE(StartsWith(Refusal("[a]\n[[a]]\n"), "2:1: [[a]]: 'a' is already defined on line 1 as a table"));
	EXPECT_TRUE(StartsWith(Refusal("a = {b = 1}\n[a]\n"), "2:1: [a]: 'a' is already defined on line 1 as a value"));
	EXPECT_TRUE(StartsWith(Refusal("a = {b = 1}\na.c = 2\n"), "2:1: 'a' is already defined on line 1 as a value"));
	EXPECT_TRUE(StartsWith(Refusal("x = {a = 1, a = 2}\n"), "1:13: duplicate key 'a'"));
	// nesting is bounded
	std::string deep = "x = " + std::string(300, '[') + std::string(300, ']') + "\n";
	EXPECT_TRUE(StartsWith(Refusal(deep), "1:")) << Refusal(deep);
	EXPECT_NE(Refusal(deep).find("nested too deeply"), std::string::npos);
}

std::string Dir() { return temp_path(".sweep"); }

std::string Replace(std::string s, const std::string &from, const std::string &to)
{
	for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
		s.replace(p, from.size(), to);
	return s;
}

// One plan, twice: traces x a 2x2 grid plus one listed set, with booleans,
// a hex integer and dotted keys on the TOML side.
void WritePlans(const std::string &json, const std::string &toml)
{
	std::string ex = SIM_EXAMPLES_DIR;
	write_file(json, "{\"traces\": [\"" + ex + "/s1_basic.trace\", \"" + ex + "/default.trace\"],\n"
			 " \"grid\": {\"t.mem_read\": [50, 100], \"policy.vmid\": [\"smmu-ida\", \"split\"]},\n"
			 " \"sets\": [{\"tlb.entries\": 512, \"btm\": true}],\n"
			 " \"metrics\": [\"sim_time_ns\", \"dma.latency_ns.p99\", \"status\"]}\n");
	write_file(toml, "# the same plan in TOML\n"
			 "traces = [\n  \"" + ex + "/s1_basic.trace\",\n  '" + ex + "/default.trace',  # literal\n]\n"
			 "metrics = [\"sim_time_ns\", \"dma.latency_ns.p99\", \"status\"]\n\n"
			 "[grid]\n\"t.mem_read\" = [50, 1_00]\npolicy.vmid = [\"smmu-ida\", \"split\"]\n\n"
			 "[[sets]]\ntlb.entries = 0x200\nbtm = true\n");
}

TEST(TomlPlan, SamePlanAsTomlAndJsonExpandsToIdenticalJobs)
{
	std::string pj = temp_path(".plan.json"), pt = temp_path(".plan.toml");
	WritePlans(pj, pt);
	std::string a = Dir(), b = Dir();
	RunResult r = run(SMMUSIM_EXE, {"sweep", pj, "--out", a, "--emit", "parallel"});
	ASSERT_EQ(r.status, 0) << r.err;
	r = run(SMMUSIM_EXE, {"sweep", pt, "--out", b, "--emit", "parallel"});
	ASSERT_EQ(r.status, 0) << r.err;
	std::string ja = read_file(a + "/jobs.txt"), jb = read_file(b + "/jobs.txt");
	// 2 traces x (4 grid combinations + 1 set)
	EXPECT_EQ(std::count(ja.begin(), ja.end(), '\n'), 10);
	EXPECT_EQ(Replace(jb, b, a), ja);
	EXPECT_EQ(read_file(b + "/plan.json"), read_file(a + "/plan.json"));
	EXPECT_NE(ja.find("--set 'policy.vmid=split'"), std::string::npos) << ja;
	EXPECT_NE(ja.find("--set 'tlb.entries=512' --set 'btm=on'"), std::string::npos) << ja;
	// Found by content without an extension: TOML, and JSON.
	std::string nt = temp_path(".plan"), nj = temp_path(".plan");
	write_file(nt, read_file(pt));
	write_file(nj, "\n  " + read_file(pj));
	std::string c = Dir(), d = Dir();
	ASSERT_EQ(run(SMMUSIM_EXE, {"sweep", nt, "--out", c, "--emit", "parallel"}).status, 0);
	ASSERT_EQ(run(SMMUSIM_EXE, {"sweep", nj, "--out", d, "--emit", "parallel"}).status, 0);
	EXPECT_EQ(Replace(read_file(c + "/jobs.txt"), c, a), ja);
	EXPECT_EQ(Replace(read_file(d + "/jobs.txt"), d, a), ja);
	for (const std::string &p : {pj, pt, nt, nj})
		unlink(p.c_str());
}

TEST(TomlPlan, RunsAndCollectsLikeTheJsonPlan)
{
	std::string pj = temp_path(".plan.json"), pt = temp_path(".plan.toml");
	WritePlans(pj, pt);
	std::string a = Dir(), b = Dir();
	RunResult r = run(SMMUSIM_EXE, {"sweep", pj, "-j", "2", "--out", a});
	ASSERT_EQ(r.status, 0) << r.err;
	r = run(SMMUSIM_EXE, {"sweep", pt, "-j", "2", "--out", b});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_NE(r.out.find("10 jobs, 0 failed"), std::string::npos) << r.out;
	std::string ta = read_file(a + "/results.csv");
	EXPECT_FALSE(ta.empty());
	EXPECT_EQ(read_file(b + "/results.csv"), ta);
	unlink(pj.c_str());
	unlink(pt.c_str());
}

TEST(TomlPlan, MalformedTomlPlansNameFileLineAndColumn)
{
	std::string p = temp_path(".plan.toml");
	write_file(p, "traces = [\"a.trace\"]\n\n[grid]\nx = [1,\n     2,, 3]\n");
	RunResult r = run(SMMUSIM_EXE, {"sweep", p, "--out", Dir()});
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find(p + ":5:8: error: expected a value"), std::string::npos) << r.err;
	write_file(p, "traces = [\"a.trace\"]\n[grid]\nx = [1]\n[grid]\n");
	r = run(SMMUSIM_EXE, {"sweep", p, "--out", Dir()});
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find(p + ":4:1: error: [grid]: 'grid' is already defined on line 2"),
		  std::string::npos)
	    << r.err;
	// well-formed TOML, but not the plan's schema: named as for JSON
	write_file(p, "[grid]\nx = [1]\n");
	r = run(SMMUSIM_EXE, {"sweep", p, "--out", Dir()});
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find("\"traces\""), std::string::npos) << r.err;
	write_file(p, "traces = [\"a.trace\"]\n[grid]\nx = []\n");
	r = run(SMMUSIM_EXE, {"sweep", p, "--out", Dir()});
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find("grid key \"x\" needs a non-empty list"), std::string::npos) << r.err;
	unlink(p.c_str());
}

} // namespace
