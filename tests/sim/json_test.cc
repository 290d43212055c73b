// json_test.cc - the JSON reader (sim/json.h): every value kind, escapes
// and surrogate pairs, numbers kept as text, key order, each error with its
// line and column, the depth limit, and a replay report read back whole.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "json.h"
#include "run_util.h"
#include "sc_gtest_main.h"

using smmusim::json::Error;
using smmusim::json::Value;

namespace
{

TEST(Json, ValuesOfEveryKind)
{
	Value v;
	Error e;
	ASSERT_TRUE(smmusim::json::parse(
	    " {\"a\": [1, -2.5e3, 0, true, false, null], \"s\": \"x\\n\\u00e9\\ud83d\\ude00\\/\","
	    " \"o\": {}, \"z\": [] } ",
	    v, e))
	    << e.what;
	ASSERT_EQ(v.kind, Value::Object);
	ASSERT_EQ(v.members.size(), 4u);
	EXPECT_EQ(v.members[0].first, "a"); // key order kept
	const Value *a = v.get("a");
	ASSERT_TRUE(a && a->kind == Value::Array);
	ASSERT_EQ(a->items.size(), 6u);
	EXPECT_EQ(a->items[0].num, 1);
	EXPECT_EQ(a->items[1].num, -2500);
	EXPECT_EQ(a->items[1].text, "-2.5e3");
	EXPECT_TRUE(a->items[3].b);
	EXPECT_EQ(a->items[5].kind, Value::Null);
	EXPECT_EQ(v.get("s")->str(), "x\n\xc3\xa9\xf0\x9f\x98\x80/");
	EXPECT_EQ(v.get("o")->kind, Value::Object);
	EXPECT_EQ(v.at({"o", "missing"}), nullptr);
}

TEST(Json, ErrorsNameLineAndColumn)
{
	struct Case {
		const char *text;
		size_t line, col;
		const char *what;
	} cases[] = {
	    {"", 1, 1, "expected a value, got end of input"},
	    {"{\"a\" 1}", 1, 6, "expected ':'"},
	    {"[1,\n 2,,]", 2, 4, "expected a value"},
	    {"[1 2]", 1, 4, "expected ',' or ']'"},
	    {"{\"a\":1,}", 1, 8, "expected a member name"},
	    {"01", 1, 2, "no leading zero"},
	    {"1.", 1, 3, "expected a digit"},
	    {"\"abc", 1, 5, "'\"' to end the string"},
	    {"\"a\tb\"", 1, 3, "escaped control character"},
	    {"\"\\x\"", 1, 3, "expected an escape"},
	    {"\"\\ud83d\"", 1, 8, "low surrogate"},
	    {"\"\\ude00\"", 1, 8, "high surrogate"},
	    {"tru", 1, 4, "'true'"},
	    {"{} x", 1, 4, "end of input after the value"},
	};
	for (const Case &c : cases) {
		SCOPED_TRACE(c.text);
		Value v;
		Error e;
		EXPECT_FALSE(smmusim::json::parse(c.text, v, e));
		EXPECT_EQ(e.line, c.line);
		EXPECT_EQ(e.col, c.col);
		EXPECT_NE(e.what.find(c.what), std::string::npos) << e.what;
	}
	Error e{3, 7, "expected ':', got '1'"};
	EXPECT_EQ(smmusim::json::format_error("r.json", e), "r.json:3:7: error: expected ':', got '1'");
}

TEST(Json, DepthIsLimited)
{
	std::string deep(smmusim::json::kMaxDepth + 5, '[');
	Value v;
	Error e;
	EXPECT_FALSE(smmusim::json::parse(deep, v, e));
	EXPECT_NE(e.what.find("levels of nesting"), std::string::npos);
	std::string ok = std::string(100, '[') + std::string(100, ']');
	EXPECT_TRUE(smmusim::json::parse(ok, v, e));
}

TEST(Json, AReplayReportReadsBack)
{
	std::string out = temp_path(".json");
	RunResult r = run(SMMUSIM_EXE, {"replay", std::string(SIM_EXAMPLES_DIR) + "/viommu_nested.trace",
				       "--quiet", "--json", out});
	ASSERT_EQ(r.status, 0) << r.err;
	Value v;
	Error e;
	ASSERT_TRUE(smmusim::json::parse_file(out, v, e)) << smmusim::json::format_error(out, e);
	EXPECT_EQ(v.get("status")->str(), "ok");
	ASSERT_NE(v.at({"latency", "by_kind"}), nullptr);
	unlink(out.c_str());
}

} // namespace

// The report names the trace by its file name only: the same trace replayed
// from another directory gives the same bytes.
TEST(Json, TheSameTraceFromElsewhereGivesTheSameBytes)
{
	std::string src = std::string(SIM_EXAMPLES_DIR) + "/viommu_nested.trace";
	std::string dir = temp_path("");
	ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
	std::string copy = dir + "/viommu_nested.trace";
	write_file(copy, read_file(src));
	RunResult a = run(SMMUSIM_EXE, {"replay", src, "--quiet", "--json", "-"});
	RunResult b = run(SMMUSIM_EXE, {"replay", copy, "--quiet", "--json", "-"});
	ASSERT_EQ(a.status, 0) << a.err;
	EXPECT_EQ(a.out, b.out);
	EXPECT_NE(a.out.find("\"trace\": \"viommu_nested.trace\""), std::string::npos);
	EXPECT_EQ(a.out.find(SIM_EXAMPLES_DIR), std::string::npos);
	unlink(copy.c_str());
	rmdir(dir.c_str());
}
