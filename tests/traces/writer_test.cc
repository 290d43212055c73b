// writer_test.cc - the canonical writer: exact text for each value kind,
// stamps, results; refusal of what could not be read back; gzip output;
// trc_file_dump; and the round-trip property read -> write -> read on every
// example trace and on a seeded generated trace.
#include <gtest/gtest.h>

#include <dirent.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "trc/trace.h"
#include "trc_test_util.h"

using trctest::Canonical;

namespace {

const char kPrelude[] =
	"smmutrace 1\n"
	"device nic0 smmu=smmu0 sid=0x100\n"
	"open /dev/kvm -> fd=$vm\n";

// Canonical text of the last line of prelude + line.
std::string CanonLine(const std::string &line)
{
	int rc = -100;
	std::string out = Canonical(std::string(kPrelude) + line + "\n", &rc);
	if (rc != TRC_OK)
		return "error " + std::to_string(rc);
	out.pop_back();
	return out.substr(out.rfind('\n') + 1);
}

std::vector<std::string> TraceFiles(const char *dir)
{
	std::vector<std::string> out;
	DIR *d = opendir(dir);
	if (!d)
		return out;
	while (dirent *e = readdir(d)) {
		std::string n = e->d_name;
		if (n.find(".trace") != std::string::npos)
			out.push_back(std::string(dir) + "/" + n);
	}
	closedir(d);
	std::sort(out.begin(), out.end());
	return out;
}

// read -> write -> read gives the same records, and writing is idempotent.
void ExpectRoundTrip(const std::string &text, const std::string &what)
{
	SCOPED_TRACE(what);
	auto first = trctest::ReadText(text);
	ASSERT_EQ(first.rc, TRC_EOF) << first.err.line << ":" << first.err.col << ": " << first.err.msg;
	int rc = -100;
	std::string canon = Canonical(text, &rc);
	ASSERT_EQ(rc, TRC_OK);
	auto second = trctest::ReadText(canon);
	ASSERT_EQ(second.rc, TRC_EOF) << second.err.line << ":" << second.err.col << ": " << second.err.msg;
	EXPECT_EQ(first.records, second.records);
	EXPECT_EQ(Canonical(canon, &rc), canon);
	// And through gzip.
	std::string gz = Canonical(text, &rc, true);
	ASSERT_EQ(rc, TRC_OK);
	auto third = trctest::ReadText(gz);
	EXPECT_EQ(first.records, third.records);
}

}  // namespace

// ------------------------------------------------------- canonical form

TEST(TrcWriter, CanonicalDmaLine)
{
	EXPECT_EQ(CanonLine("@10us\tdma   nic0 addr=0x8000_1000 len=64 dir=read ->  ok"),
		  "@10us dma nic0 addr=0x8000_1000 len=64 dir=read -> ok");
}

TEST(TrcWriter, PositionalWordsComeBeforeArguments)
{
	EXPECT_EQ(CanonLine("dma nic0 addr=0 priv len=1 exec dir=write"),
		  "dma nic0 priv exec addr=0 len=1 dir=write");
}

TEST(TrcWriter, HexIsGroupedByFourAndLowerCase)
{
	EXPECT_EQ(CanonLine("ioctl $vm X a=0X80001000 b=0x1000 c=0x10000 d=0xFFFFFFFFFFFFFFFF e=0x0"),
		  "ioctl $vm X a=0x8000_1000 b=0x1000 c=0x1_0000 d=0xffff_ffff_ffff_ffff e=0x0");
}

TEST(TrcWriter, DecimalStaysDecimal)
{
	EXPECT_EQ(CanonLine("ioctl $vm X a=4096 b=1_000_000 c=0 d=18446744073709551615"),
		  "ioctl $vm X a=4096 b=1000000 c=0 d=18446744073709551615");
}

TEST(TrcWriter, SuffixIsKept)
{
	EXPECT_EQ(CanonLine("ioctl $vm X a=2M b=0x4K c=1G d=3T e=64K"),
		  "ioctl $vm X a=2M b=0x4K c=1G d=3T e=64K");
}

TEST(TrcWriter, SuffixDroppedWhenNotExact)
{
	trc_value v = trc_value_make_dec((2u << 20) + 1);
	v.shift = 20;  // as if read as 2M, then changed by the program
	trc_arg a{};
	a.key = "len";
	a.value = v;
	trc_record rec{};
	rec.verb = TRC_VERB_MMAP;
	rec.args = &a;
	rec.nargs = 1;
	char buf[64];
	ASSERT_NE(trc_record_format(&rec, 0, buf, sizeof(buf)), size_t(-1));
	EXPECT_STREQ(buf, "mmap len=2097153");
}

TEST(TrcWriter, StampsAndDurationsKeepTheirUnit)
{
	EXPECT_EQ(CanonLine("@1_000ns wait 1000000us"), "@1000ns wait 1000000us");
	EXPECT_EQ(CanonLine("@5s wait 3cyc"), "@5s wait 3cyc");
	EXPECT_EQ(CanonLine("@2ms wait 0ns"), "@2ms wait 0ns");
}

TEST(TrcWriter, DurationWithoutUnitUsesTheLargestExactOne)
{
	trc_value d{};
	d.kind = TRC_DURATION;
	trc_record rec{};
	rec.verb = TRC_VERB_WAIT;
	rec.words = &d;
	rec.nwords = 1;
	char buf[64];
	const std::pair<uint64_t, const char *> cases[] = {
		{ 3000000000000ull, "wait 3s" }, { 1500000000ull, "wait 1500us" },
		{ 7000ull, "wait 7ns" }, { 0, "wait 0ns" }, { 4500ull, "wait 9cyc" },
	};
	trc_record_format(&rec, 500, buf, sizeof(buf));
	for (auto &c : cases) {
		d.u = c.first;
		ASSERT_NE(trc_record_format(&rec, 500, buf, sizeof(buf)), size_t(-1)) << c.first;
		EXPECT_STREQ(buf, c.second);
	}
	d.u = 1234;  // not whole ns, and not whole 500 ps cycles
	EXPECT_EQ(trc_record_format(&rec, 500, buf, sizeof(buf)), size_t(-1));
}

TEST(TrcWriter, StringsAreReescaped)
{
	EXPECT_EQ(CanonLine("open \"a \\\"b\\\" \\\\c\" -> fd=$x"), "open \"a \\\"b\\\" \\\\c\" -> fd=$x");
	EXPECT_EQ(CanonLine("open \"\" -> fd=$x"), "open \"\" -> fd=$x");
	// UTF-8 passes through as it is
	EXPECT_EQ(CanonLine("open \"/dev/\xc3\xa9\xe2\x82\xac\" -> fd=$x"),
		  "open \"/dev/\xc3\xa9\xe2\x82\xac\" -> fd=$x");
}

TEST(TrcWriter, ListsFlagsVarsAndWords)
{
	EXPECT_EQ(CanonLine("ioctl $vm IOMMU_X flags=A|B|C data=[[0x1,2],[],[$vm,\"s t\",1us]] path=/a/b:c"),
		  "ioctl $vm IOMMU_X flags=A|B|C data=[[0x1,2],[],[$vm,\"s t\",1us]] path=/a/b:c");
}

TEST(TrcWriter, ResultsOfEveryForm)
{
	EXPECT_EQ(CanonLine("ioctl $vm KVM_CREATE_VM -> ret=$g err=ENOENT ok"),
		  "ioctl $vm KVM_CREATE_VM -> ret=$g err=ENOENT ok");
	EXPECT_EQ(CanonLine("dma nic0 addr=0 len=1 dir=read -> abort"), "dma nic0 addr=0 len=1 dir=read -> abort");
}

TEST(TrcWriter, CommentsAndBlankLinesAreDropped)
{
	int rc;
	EXPECT_EQ(Canonical("# hello\nsmmutrace 1 # x\n\n\r\nconfig a=1\n", &rc), "smmutrace 1\nconfig a=1\n");
	EXPECT_EQ(rc, TRC_OK);
}

// ------------------------------------------------------ records by hand

TEST(TrcWriter, RecordBuiltWithBuildersReadsBack)
{
	std::string out;
	trc_writer *w = nullptr;
	trc_error err{};
	ASSERT_EQ(trc_writer_open_sink(trctest::StringSink, &out, 0, nullptr, &w, &err), TRC_OK);

	trc_value ver = trc_value_make_word("1");
	trc_record hdr{};
	hdr.verb = TRC_VERB_SMMUTRACE;
	hdr.words = &ver;
	hdr.nwords = 1;
	ASSERT_EQ(trc_writer_put(w, &hdr), TRC_OK);
	ASSERT_EQ(trc_writer_put_comment(w, "recorded by a test"), TRC_OK);

	trc_value path = trc_value_make_word("/dev/iommu");
	trc_arg res[1] = {};
	res[0].key = "fd";
	res[0].value = trc_value_make_var("iommufd");
	trc_record open{};
	open.verb = TRC_VERB_OPEN;
	open.words = &path;
	open.nwords = 1;
	open.results = res;
	open.nresults = 1;
	ASSERT_EQ(trc_writer_put(w, &open), TRC_OK);

	trc_value items[3] = { trc_value_make_int(0x1234), trc_value_make_dec(7), trc_value_make_string("q\"") };
	trc_value words[2] = { trc_value_make_var("iommufd"), trc_value_make_name("IOMMU_IOAS_MAP") };
	trc_arg args[3] = {};
	args[0].key = "flags";
	args[0].value = trc_value_make_flags("FIXED_IOVA|READABLE");
	args[1].key = "data";
	args[1].value = trc_value_make_list(items, 3);
	args[2].key = "single";
	args[2].value = trc_value_make_flags("READABLE");
	trc_value stamp = trc_value_make_duration(25, TRC_UNIT_US, 0);
	trc_record ioctl{};
	ioctl.verb = TRC_VERB_IOCTL;
	ioctl.stamp = &stamp;
	ioctl.words = words;
	ioctl.nwords = 2;
	ioctl.args = args;
	ioctl.nargs = 3;
	ASSERT_EQ(trc_writer_put(w, &ioctl), TRC_OK);
	ASSERT_EQ(trc_writer_close(w), TRC_OK);

	EXPECT_EQ(out,
		  "smmutrace 1\n"
		  "# recorded by a test\n"
		  "open /dev/iommu -> fd=$iommufd\n"
		  "@25us ioctl $iommufd IOMMU_IOAS_MAP flags=FIXED_IOVA|READABLE data=[0x1234,7,\"q\\\"\"] single=READABLE\n");
	auto back = trctest::ReadText(out);
	ASSERT_EQ(back.rc, TRC_EOF) << back.err.msg;
	EXPECT_EQ(back.records[2],
		  "ioctl/process @duration:25000000ps:25us w:var:iommufd w:name:IOMMU_IOAS_MAP "
		  "flags=flags:FIXED_IOVA|READABLE{FIXED_IOVA,READABLE} "
		  "data=list[int:16:0x1234,int:10:0x7,string:q\"] single=name:READABLE");
}

TEST(TrcWriter, RefusesWhatCouldNotBeReadBackAndStaysUsable)
{
	std::string out;
	trc_writer *w = nullptr;
	trc_error err{};
	ASSERT_EQ(trc_writer_open_sink(trctest::StringSink, &out, 0, nullptr, &w, &err), TRC_OK);

	trc_record rec{};
	rec.verb = TRC_VERB_CONFIG;
	trc_arg a{};
	a.key = "k";
	rec.args = &a;
	rec.nargs = 1;

	const trc_value bad[] = {
		trc_value_make_name("not a name"), trc_value_make_name(""),
		trc_value_make_var("1x"), trc_value_make_string("two\nlines"),
		trc_value_make_string("not \xff UTF-8"), trc_value_make_string("cut \xe2\x82"),
		trc_value_make_word("has space"), trc_value_make_word("a,b"), trc_value_make_word("->x"),
		trc_value_make_word("-5"), trc_value_make_word(""), trc_value_make_flags("A||B"),
		trc_value_make_flags("A|"),
	};
	for (const auto &v : bad) {
		a.value = v;
		EXPECT_EQ(trc_writer_put(w, &rec), TRC_E_INVAL) << (v.s ? v.s : "");
		EXPECT_EQ(trc_writer_error(w)->code, TRC_E_INVAL);
	}
	a.key = "bad key";
	a.value = trc_value_make_dec(1);
	EXPECT_EQ(trc_writer_put(w, &rec), TRC_E_INVAL);
	a.key = "k";
	a.value = trc_value{};  // no kind: only bare results may have none
	EXPECT_EQ(trc_writer_put(w, &rec), TRC_E_INVAL);
	rec.verb = TRC_VERB_UNKNOWN;
	a.value = trc_value_make_dec(1);
	EXPECT_EQ(trc_writer_put(w, &rec), TRC_E_INVAL);
	rec.verb_name = "bogus";
	EXPECT_EQ(trc_writer_put(w, &rec), TRC_E_INVAL);
	EXPECT_NE(std::string(trc_writer_error(w)->msg).find("unknown verb 'bogus'"), std::string::npos);
	EXPECT_EQ(trc_writer_put_comment(w, "two\nlines"), TRC_E_INVAL);
	// Only ok and abort stand alone among the results.
	trc_arg bare{};
	bare.key = "done";
	rec.verb_name = nullptr;
	rec.verb = TRC_VERB_CONFIG;
	rec.results = &bare;
	rec.nresults = 1;
	EXPECT_EQ(trc_writer_put(w, &rec), TRC_E_INVAL);
	EXPECT_NE(std::string(trc_writer_error(w)->msg).find("bare result 'done'"), std::string::npos);
	rec.results = nullptr;
	rec.nresults = 0;

	EXPECT_EQ(trc_writer_put(w, &rec), TRC_OK);
	EXPECT_EQ(trc_writer_close(w), TRC_OK);
	EXPECT_EQ(out, "config k=1\n");  // nothing of the refused records leaked out
}

TEST(TrcWriter, OptionsWithoutSizeAreRejected)
{
	trc_writer_options opt{};
	trc_writer *w = reinterpret_cast<trc_writer *>(1);
	trc_error err{};
	std::string out;
	EXPECT_EQ(trc_writer_open_sink(trctest::StringSink, &out, 0, &opt, &w, &err), TRC_E_INVAL);
	EXPECT_EQ(w, nullptr);
	EXPECT_EQ(err.code, TRC_E_INVAL);
	trc_writer_options_init(&opt);
	opt.gzip_level = 1;
	EXPECT_EQ(trc_writer_open_sink(trctest::StringSink, &out, 1, &opt, &w, &err), TRC_OK);
	EXPECT_EQ(trc_writer_close(w), TRC_OK);
	EXPECT_EQ(trctest::ReadText(out).rc, TRC_E_VERSION);  // a valid, empty gzip stream
}

TEST(TrcWriter, RecordFormatIsSnprintfLike)
{
	trc_value word = trc_value_make_name("isolation");
	trc_record rec{};
	rec.verb = TRC_VERB_EXPECT;
	rec.words = &word;
	rec.nwords = 1;
	char buf[8];
	EXPECT_EQ(trc_record_format(&rec, 0, buf, sizeof(buf)), strlen("expect isolation"));
	EXPECT_STREQ(buf, "expect ");
	EXPECT_EQ(trc_record_format(&rec, 0, nullptr, 0), strlen("expect isolation"));
}

TEST(TrcWriter, SinkFailureIsAnIoError)
{
	trc_writer *w = nullptr;
	trc_error err{};
	auto failing = [](void *, const void *, size_t) -> int { return -1; };
	ASSERT_EQ(trc_writer_open_sink(failing, nullptr, 0, nullptr, &w, &err), TRC_OK);
	trc_value ver = trc_value_make_word("1");
	trc_record hdr{};
	hdr.verb = TRC_VERB_SMMUTRACE;
	hdr.words = &ver;
	hdr.nwords = 1;
	EXPECT_EQ(trc_writer_put(w, &hdr), TRC_OK);  // buffered
	EXPECT_EQ(trc_writer_close(w), TRC_E_IO);
}

// ------------------------------------------------------------ files, gzip

TEST(TrcWriter, GzipFileReadsBackAndIsGzip)
{
	const std::string path = trctest::TempPath("w.trace.gz");
	auto src = trctest::ReadText(std::string(kPrelude) + "dma nic0 addr=0 len=1 dir=read -> ok\n");
	ASSERT_EQ(src.rc, TRC_EOF);

	trc_writer *w = nullptr;
	trc_error err{};
	ASSERT_EQ(trc_writer_open(path.c_str(), 1, nullptr, &w, &err), TRC_OK) << err.msg;
	trc_reader *r = nullptr;
	const std::string text = std::string(kPrelude) + "dma nic0 addr=0 len=1 dir=read -> ok\n";
	ASSERT_EQ(trc_reader_open_mem(text.data(), text.size(), "m", nullptr, &r, &err), TRC_OK);
	const trc_record *rec;
	// Many records so that deflate output spans several sink calls.
	while (trc_reader_next(r, &rec) == TRC_OK) {
		for (int i = 0; i < (rec->verb == TRC_VERB_DMA ? 50000 : 1); i++)
			ASSERT_EQ(trc_writer_put(w, rec), TRC_OK);
	}
	trc_reader_close(r);
	ASSERT_EQ(trc_writer_close(w), TRC_OK);

	std::string bytes = trctest::Slurp(path);
	ASSERT_GE(bytes.size(), 2u);
	EXPECT_EQ((unsigned char)bytes[0], 0x1f);
	EXPECT_EQ((unsigned char)bytes[1], 0x8b);
	auto back = trctest::ReadFile(path);
	std::remove(path.c_str());
	ASSERT_EQ(back.rc, TRC_EOF) << back.err.msg;
	ASSERT_EQ(back.records.size(), 3u + 50000u);
	EXPECT_EQ(back.records.back(), src.records.back());
}

TEST(TrcWriter, WriterOpenFailsOnBadPath)
{
	trc_writer *w = reinterpret_cast<trc_writer *>(1);
	trc_error err{};
	EXPECT_EQ(trc_writer_open("/nonexistent/dir/o.trace", 0, nullptr, &w, &err), TRC_E_IO);
	EXPECT_EQ(w, nullptr);
	EXPECT_NE(std::string(err.msg).find("cannot create"), std::string::npos);
}

TEST(TrcWriter, FileDumpDecompressesToCanonicalText)
{
	const std::string path = trctest::TempPath("dump.trace");  // gzip despite the name
	trctest::Spit(path, trctest::Gzip("# c\nsmmutrace 1\r\nconfig   a=0X10\n"));
	std::string out;
	trc_error err{};
	EXPECT_EQ(trc_file_dump(path.c_str(), nullptr, trctest::StringSink, &out, &err), TRC_OK) << err.msg;
	EXPECT_EQ(out, "smmutrace 1\nconfig a=0x10\n");

	// A malformed file dumps what precedes the error, and reports it.
	trctest::Spit(path, "smmutrace 1\nconfig a=1\nconfig b=\n");
	out.clear();
	EXPECT_EQ(trc_file_dump(path.c_str(), nullptr, trctest::StringSink, &out, &err), TRC_E_SYNTAX);
	EXPECT_EQ(err.line, 3u);
	EXPECT_EQ(err.col, 10u);
	EXPECT_EQ(out, "smmutrace 1\nconfig a=1\n");
	std::remove(path.c_str());
}

// ------------------------------------------------------------ round trip

TEST(TrcWriter, RoundTripOnEverySampleTrace)
{
	auto files = TraceFiles(TRC_VALID_DIR);
	ASSERT_GE(files.size(), 3u);
	for (const auto &f : files)
		ExpectRoundTrip(trctest::Slurp(f), f);
}

TEST(TrcWriter, RoundTripOnEveryExampleTrace)
{
	// traces/examples/ is filled by the scenario authors; each must read and round-trip.
	auto files = TraceFiles(TRC_EXAMPLES_DIR);
	for (const auto &f : files)
		ExpectRoundTrip(trctest::Slurp(f), f);
	if (files.empty())
		GTEST_SKIP() << "no example traces yet in " TRC_EXAMPLES_DIR;
}

namespace {

// A random valid value of any kind, as text.
std::string RandomValue(std::mt19937_64 &rng, const std::vector<std::string> &vars, int depth)
{
	auto pick = [&](int n) { return int(rng() % unsigned(n)); };
	static const char *const names[] = { "READABLE", "FIXED_IOVA", "a.b", "_x9", "ARM_SMMUV3", "on" };
	static const char *const units[] = { "ns", "us", "ms", "s", "cyc" };
	static const char *const sufs[] = { "K", "M", "G", "T" };
	char buf[64];
	switch (pick(depth < 3 ? 10 : 9)) {
	case 0:
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)(rng() >> pick(64)));
		return buf;
	case 1: {
		std::string hex;
		snprintf(buf, sizeof(buf), "%llx", (unsigned long long)(rng() >> pick(64)));
		for (const char *p = buf; *p; p++) {
			hex += pick(2) ? char(toupper(*p)) : *p;
			if (pick(4) == 0)
				hex += '_';
		}
		return "0x" + hex;
	}
	case 2:
		snprintf(buf, sizeof(buf), "%u%s", unsigned(rng() % 100000), sufs[pick(4)]);
		return buf;
	case 3:
		snprintf(buf, sizeof(buf), "%u%s", unsigned(rng() % 1000000), units[pick(5)]);
		return buf;
	case 4:
		return names[pick(6)];
	case 5:
		return std::string(names[pick(6)]) + "|" + names[pick(6)] + (pick(2) ? "|W" : "");
	case 6:
		return vars.empty() ? std::string("0") : "$" + vars[size_t(pick(int(vars.size())))];
	case 7: {
		static const char *const strs[] = { "\"\"", "\"a b\"", "\"q\\\"q\"", "\"back\\\\slash\"",
						    "\"# -> [x]\"", "\"tab\there\"" };
		return strs[pick(6)];
	}
	case 8: {
		static const char *const words[] = { "/dev/kvm", "smmu-ida", "0000:01:00.0", "==", "x/y.z" };
		return words[pick(5)];
	}
	default: {
		std::string s = "[";
		int n = pick(4);
		for (int i = 0; i < n; i++)
			s += (i ? "," : "") + RandomValue(rng, vars, depth + 1);
		return s + "]";
	}
	}
}

std::string GeneratedTrace(uint64_t seed, int records)
{
	std::mt19937_64 rng(seed);
	std::vector<std::string> vars;
	std::string t = "smmutrace 1.1\nconfig c.x=" + RandomValue(rng, vars, 0) +
			"\ndevice nic0 smmu=smmu0 sid=0x100\nopen /dev/iommu -> fd=$v0\n";
	vars.push_back("v0");
	uint64_t now = 0;
	for (int i = 0; i < records; i++) {
		if (rng() % 4 == 0) {
			now += rng() % 5000;
			t += "@" + std::to_string(now) + "ns ";
		}
		switch (rng() % 5) {
		case 0:
			t += "dma nic0 addr=0x" + std::to_string(rng() % 99999) + " len=64 dir=" + (rng() % 2 ? "read" : "write") +
			     (rng() % 3 ? " -> ok" : " -> pa=0x1000");
			break;
		case 1:
			t += "wait " + std::to_string(rng() % 1000) + "cyc";
			break;
		default: {
			t += "ioctl $v0 REQ_" + std::to_string(i);
			int n = int(rng() % 6);
			for (int k = 0; k < n; k++)
				t += " f" + std::to_string(k) + "=" + RandomValue(rng, vars, 0);
			if (rng() % 2) {
				std::string v = "v" + std::to_string(vars.size());
				t += " -> out=$" + v + " ret=" + RandomValue(rng, {}, 0);  // a top-level $x would bind
				vars.push_back(v);
			}
			break;
		}
		}
		t += (rng() % 10 == 0) ? "\r\n" : "\n";
	}
	return t;
}

}  // namespace

TEST(TrcWriter, RoundTripOnGeneratedTraces)
{
	for (uint64_t seed = 1; seed <= 20; seed++)
		ExpectRoundTrip(GeneratedTrace(seed, 300), "seed " + std::to_string(seed));
}
