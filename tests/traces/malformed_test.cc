// malformed_test.cc - every way a trace can be malformed that the reader
// must catch, each asserting the error code, the exact line and column, and
// a fragment of the message; then the committed corpus under malformed/,
// whose files carry their own `# expect: LINE:COL fragment` first line (so
// that `smmusim check` can be run over the same files).
#include <gtest/gtest.h>

#include <dirent.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "trc/trace.h"
#include "trc_test_util.h"

namespace {

const char kPrelude[] =
	"smmutrace 1\n"
	"device nic0 smmu=smmu0 sid=0x100\n"
	"open /dev/kvm -> fd=$vm\n";

struct Expect {
	int code;
	uint32_t line, col;
	const char *fragment;
};

::testing::AssertionResult Fails(const trctest::ReadResult &res, const Expect &e)
{
	if (res.rc == TRC_EOF || res.rc == TRC_OK)
		return ::testing::AssertionFailure() << "no error; " << res.records.size() << " records";
	std::string msg = res.err.msg;
	if (res.rc != e.code || res.err.code != e.code || res.err.line != e.line ||
	    res.err.col != e.col || msg.find(e.fragment) == std::string::npos) {
		return ::testing::AssertionFailure()
		       << "got " << trc_strerror(res.rc) << " (" << res.rc << ") at " << res.err.line << ":"
		       << res.err.col << " \"" << msg << "\"; expected " << trc_strerror(e.code) << " ("
		       << e.code << ") at " << e.line << ":" << e.col << " containing \"" << e.fragment << "\"";
	}
	return ::testing::AssertionSuccess();
}

::testing::AssertionResult FailsOn(const std::string &text, const Expect &e,
				   const trc_reader_options *opt = nullptr)
{
	return Fails(trctest::ReadText(text, opt), e);
}

std::string Dma(const std::string &rest = "")
{
	return "dma nic0 addr=0x1000 len=64 dir=read" + rest + "\n";
}

}  // namespace

// ---------------------------------------------------------------- gzip

TEST(TrcMalformed, TruncatedGzip)
{
	// Cut right after a full flush that ends mid-line: the text stops at a known byte.
	const std::string first = std::string(kPrelude) + Dma() + "dma nic0 addr=0x2";
	std::vector<size_t> offs;
	std::string gz = trctest::Gzip(first + "000 len=64 dir=read\n" + Dma(), { first.size() }, &offs);
	ASSERT_EQ(offs.size(), 1u);
	auto res = trctest::ReadText(gz.substr(0, offs[0]));
	EXPECT_TRUE(Fails(res, { TRC_E_GZIP, 5, 18, "truncated gzip stream" }));
	// The complete lines before the cut were delivered first.
	EXPECT_EQ(res.records.size(), 4u);
	EXPECT_EQ(trc_exit_status(res.rc), 2);
}

TEST(TrcMalformed, TruncatedGzipAtALineBoundary)
{
	const std::string first = std::string(kPrelude);
	std::vector<size_t> offs;
	std::string gz = trctest::Gzip(first + Dma(), { first.size() }, &offs);
	EXPECT_TRUE(FailsOn(gz.substr(0, offs[0]), { TRC_E_GZIP, 4, 1, "truncated gzip" }));
}

TEST(TrcMalformed, GzipHeaderOnly)
{
	std::string gz = trctest::Gzip("smmutrace 1\n").substr(0, 10);
	EXPECT_TRUE(FailsOn(gz, { TRC_E_GZIP, 1, 1, "truncated gzip" }));
}

TEST(TrcMalformed, CorruptGzipBlockType)
{
	const std::string first = std::string(kPrelude) + Dma();
	std::vector<size_t> offs;
	std::string gz = trctest::Gzip(first + Dma() + Dma(), { first.size() }, &offs);
	gz[offs[0]] = 0x07;  // a final block of the reserved type 11
	EXPECT_TRUE(FailsOn(gz, { TRC_E_GZIP, 5, 1, "corrupt gzip stream: invalid block type" }));
}

TEST(TrcMalformed, CorruptGzipChecksum)
{
	std::string gz = trctest::Gzip(std::string(kPrelude) + Dma());
	gz[gz.size() - 8] ^= 0x55;  // CRC-32 in the trailer
	EXPECT_TRUE(FailsOn(gz, { TRC_E_GZIP, 5, 1, "incorrect data check" }));
}

TEST(TrcMalformed, GarbageAfterGzipMember)
{
	std::string gz = trctest::Gzip("smmutrace 1\n") + "not gzip\n";
	EXPECT_TRUE(FailsOn(gz, { TRC_E_GZIP, 2, 1, "corrupt gzip stream" }));
}

// ------------------------------------------------------------- header

TEST(TrcMalformed, MissingHeader)
{
	EXPECT_TRUE(FailsOn("# c\n\n" + Dma(), { TRC_E_VERSION, 3, 1, "expected the header `smmutrace 1`" }));
}

TEST(TrcMalformed, EmptyFileHasNoHeader)
{
	EXPECT_TRUE(FailsOn("", { TRC_E_VERSION, 1, 1, "missing header" }));
	EXPECT_TRUE(FailsOn("# only\n# comments\n", { TRC_E_VERSION, 3, 1, "missing header" }));
}

TEST(TrcMalformed, HigherMajorVersion)
{
	EXPECT_TRUE(FailsOn("smmutrace 2\n", { TRC_E_VERSION, 1, 11, "trace version 2 is newer" }));
	EXPECT_TRUE(FailsOn("  smmutrace 3.1\n", { TRC_E_VERSION, 1, 13, "newer than this reader" }));
}

TEST(TrcMalformed, BadOrMissingVersion)
{
	EXPECT_TRUE(FailsOn("smmutrace 1.\n", { TRC_E_VERSION, 1, 11, "bad version '1.'" }));
	EXPECT_TRUE(FailsOn("smmutrace 0\n", { TRC_E_VERSION, 1, 11, "unsupported trace version 0" }));
	EXPECT_TRUE(FailsOn("smmutrace\n", { TRC_E_VERSION, 1, 10, "expected a version" }));
	EXPECT_TRUE(FailsOn("smmutrace 1 2\n", { TRC_E_SCHEMA, 1, 13, "smmutrace: unexpected '2'" }));
}

TEST(TrcMalformed, HeaderRecordAfterFirstEvent)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "memory size=1G\n",
			    { TRC_E_SCHEMA, 4, 1, "header record 'memory' after the first event" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "smmutrace 1\n",
			    { TRC_E_SCHEMA, 4, 1, "smmutrace may only be the first record" }));
}

TEST(TrcMalformed, HeaderRecordWithStampOrResults)
{
	EXPECT_TRUE(FailsOn("smmutrace 1\n@1us config a=1\n", { TRC_E_SCHEMA, 2, 1, "takes no time stamp" }));
	EXPECT_TRUE(FailsOn("smmutrace 1\nconfig a=1 -> ok\n", { TRC_E_SCHEMA, 2, 15, "has no results" }));
}

// -------------------------------------------------------------- verbs

TEST(TrcMalformed, UnknownVerb)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "  dmaa nic0\n", { TRC_E_SCHEMA, 4, 3, "unknown verb 'dmaa'" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "@1us 42 x\n", { TRC_E_SCHEMA, 4, 6, "unknown verb '42'" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "dma,x\n", { TRC_E_SCHEMA, 4, 1, "unknown verb 'dma,x'" }));
	// the message lists every verb the reader knows
	auto r = trctest::ReadText(std::string(kPrelude) + "dmaa nic0\n");
	std::string msg = r.err.msg;
	for (int v = TRC_VERB_SMMUTRACE; v < TRC_VERB_COUNT_; v++) {
		const char *n = trc_verb_name((enum trc_verb)v);
		ASSERT_NE(n, nullptr);
		EXPECT_NE(msg.find(std::string(" ") + n), std::string::npos)
		    << n << " missing in: " << msg;
	}
}

// TRACE-FORMAT.md: the text is UTF-8. A string holds well-formed sequences
// only (the reader checks strings; tokens outside them are ASCII anyway).
TEST(TrcMalformed, StringsAreUtf8)
{
	for (const char *bad : {"\xff", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
				"\xf4\x90\x80\x80", "\xf0\x9f\x98", "\x80"}) {
		std::string line = std::string("open \"/dev/x") + bad + "y\" -> fd=$f\n";
		EXPECT_TRUE(FailsOn(std::string(kPrelude) + line, { TRC_E_SYNTAX, 4, 13, "invalid UTF-8 in string" }))
		    << line;
	}
	for (const char *good : {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9d\x84\x9e", "\xef\xbf\xbd"}) {
		auto r = trctest::ReadText(std::string(kPrelude) + "open \"/dev/x" + good + "\" -> fd=$f\n");
		EXPECT_EQ(r.rc, TRC_EOF) << good << ": " << r.err.msg;
	}
}

TEST(TrcMalformed, UnknownKeyOnWorldRecord)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + Dma(" colour=red"),
			    { TRC_E_SCHEMA, 4, 38, "unknown key 'colour' for dma (expected addr, len, dir, ssid)" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "vcpu $vm load cpu=1 pcpu=2\n",
			    { TRC_E_SCHEMA, 4, 21, "unknown key 'pcpu' for vcpu" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "wait 1us n=1\n",
			    { TRC_E_SCHEMA, 4, 10, "wait takes no key=value arguments" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "mem load x.bin pa=0 u64=1\n",
			    { TRC_E_SCHEMA, 4, 21, "unknown key 'u64' for mem load" }));
	EXPECT_TRUE(FailsOn("smmutrace 1\ndevice d smmu=smmu0 sid=1 irq=5\n",
			    { TRC_E_SCHEMA, 2, 27, "unknown key 'irq' for device" }));
}

TEST(TrcMalformed, MissingPositionalWords)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "dma addr=0x1000 len=1 dir=read\n",
			    { TRC_E_SCHEMA, 4, 4, "dma: expected a device name" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "mmio smmu0 0x20\n",
			    { TRC_E_SCHEMA, 4, 12, "mmio: expected read or write, found '0x20'" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "mem write\n", { TRC_E_SCHEMA, 4, 10, "mem: expected a physical address" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "mem load pa=0x0\n", { TRC_E_SCHEMA, 4, 9, "mem load: expected a file path" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "wait\n", { TRC_E_SCHEMA, 4, 5, "wait: expected a duration" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "expect\n", { TRC_E_SCHEMA, 4, 7, "expected isolation, violation or stat" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "expect violation\n", { TRC_E_SCHEMA, 4, 17, "cross-domain, stale, alias or foreign-invalidation" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "expect stat x ==\n", { TRC_E_SCHEMA, 4, 17, "expect stat: expected a value" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "cpu tlbi\n", { TRC_E_SCHEMA, 4, 9, "expected a TLBI operation" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "cpu flush X\n", { TRC_E_SCHEMA, 4, 5, "cpu: expected tlbi, found 'flush'" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "guest $vm map\n", { TRC_E_SCHEMA, 4, 11, "expected write, s1map or s1unmap" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "guest vm write ipa=0 u64=0\n", { TRC_E_SCHEMA, 4, 7, "guest: expected a VM ($variable)" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "vcpu $vm run cpu=0\n", { TRC_E_SCHEMA, 4, 10, "expected load or put" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ats nic0 addr=0\n", { TRC_E_SCHEMA, 4, 9, "ats: expected translate" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm\n", { TRC_E_SCHEMA, 4, 10, "ioctl: expected a request" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "close\n", { TRC_E_SCHEMA, 4, 6, "close: expected an fd" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "open\n", { TRC_E_SCHEMA, 4, 5, "open: expected a path" }));
}

TEST(TrcMalformed, ExtraPositionalWords)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "dma nic0 fast addr=0 len=1 dir=read\n",
			    { TRC_E_SCHEMA, 4, 10, "dma: expected priv or exec, found 'fast'" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "expect isolation now\n",
			    { TRC_E_SCHEMA, 4, 18, "expect isolation: unexpected 'now'" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "close $vm $vm\n", { TRC_E_SCHEMA, 4, 11, "close: unexpected '$vm'" }));
	EXPECT_TRUE(FailsOn("smmutrace 1\nconfig x\n", { TRC_E_SCHEMA, 2, 8, "expected KEY=VALUE" }));
}

TEST(TrcMalformed, MissingRequiredKeys)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "dma nic0 addr=0x1000 len=64 -> ok\n",
			    { TRC_E_SCHEMA, 4, 28, "dma: missing dir=" }));
	EXPECT_TRUE(FailsOn("smmutrace 1\ndevice d smmu=smmu0\n", { TRC_E_SCHEMA, 2, 20, "device: missing sid=" }));
	EXPECT_TRUE(FailsOn("smmutrace 1\nmemory\n", { TRC_E_SCHEMA, 2, 7, "memory: missing size=" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "mem write 0x0\n", { TRC_E_SCHEMA, 4, 14, "mem write: missing u64=" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "guest $vm s1unmap ttb=0 va=0\n", { TRC_E_SCHEMA, 4, 29, "guest s1unmap: missing len=" }));
}

TEST(TrcMalformed, ValueOfTheWrongKind)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "dma nic0 addr=high len=64 dir=read\n",
			    { TRC_E_SCHEMA, 4, 15, "dma: addr=high: expected an integer or $variable" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "mmio smmu0 write 0x20 val=1 width=16\n",
			    { TRC_E_SCHEMA, 4, 35, "expected 32 or 64" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "guest $vm s1map ttb=0 asid=1 va=0 ipa=0 len=4K perm=w\n",
			    { TRC_E_SCHEMA, 4, 53, "expected r, rw or rwx" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "guest $vm s1map ttb=0 asid=1 va=0 ipa=0 len=4K perm=r granule=8K\n",
			    { TRC_E_SCHEMA, 4, 63, "expected 4K, 16K or 64K" }));
	EXPECT_TRUE(FailsOn("smmutrace 1\ndevice d smmu=smmu0 sid=1 ats=yes\n", { TRC_E_SCHEMA, 2, 31, "expected on or off" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "wait 100\n", { TRC_E_SCHEMA, 4, 6, "found '100'" }));
}

TEST(TrcMalformed, UndeclaredNames)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "dma nic1 addr=0 len=1 dir=read\n",
			    { TRC_E_SCHEMA, 4, 5, "unknown device 'nic1'" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ats gpu translate addr=0\n", { TRC_E_SCHEMA, 4, 5, "unknown device 'gpu'" }));
	EXPECT_TRUE(FailsOn("smmutrace 1\ndevice d smmu=smmu1 sid=1\n",
			    { TRC_E_SCHEMA, 2, 15, "unknown smmu 'smmu1' (without smmu records the only instance is smmu0)" }));
	EXPECT_TRUE(FailsOn("smmutrace 1\nsmmu a\nmmio smmu0 read 0x0\n", { TRC_E_SCHEMA, 3, 6, "unknown smmu 'smmu0'" }));
	EXPECT_TRUE(FailsOn("smmutrace 1\ndevice d smmu=smmu0 sid=1\nsmmu smmu1\n",
			    { TRC_E_SCHEMA, 3, 6, "declare SMMUs before devices" }));
	EXPECT_TRUE(FailsOn("smmutrace 1\ndevice d smmu=smmu0 sid=1\ndevice d smmu=smmu0 sid=2\n",
			    { TRC_E_SCHEMA, 3, 8, "device 'd' is already declared on line 2" }));
	EXPECT_TRUE(FailsOn("smmutrace 1\nsmmu s\nsmmu s\n", { TRC_E_SCHEMA, 3, 6, "smmu 's' is already declared on line 2" }));
}

TEST(TrcMalformed, DuplicateKeyOrResult)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "dma nic0 addr=0x1000 len=64 len=32 dir=read\n",
			    { TRC_E_SCHEMA, 4, 29, "duplicate key 'len'" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "dma nic0 addr=0 len=1 dir=read -> ok ok\n",
			    { TRC_E_SCHEMA, 4, 38, "duplicate result 'ok'" }));
	// Many keys take the hashed path.
	std::string many = std::string(kPrelude) + "ioctl $vm X";
	for (int i = 0; i < 100; i++)
		many += " k" + std::to_string(i) + "=1";
	many += " k50=2\n";
	EXPECT_TRUE(FailsOn(many, { TRC_E_SCHEMA, 4, uint32_t(many.size() - sizeof(kPrelude) - 4), "duplicate key 'k50'" }));
}

// --------------------------------------------------------------- values

TEST(TrcMalformed, BadNumber)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "dma nic0 addr=0x12G3 len=64 dir=read\n",
			    { TRC_E_SYNTAX, 4, 15, "bad number '0x12G3'" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "mmap len=12ab\n", { TRC_E_SYNTAX, 4, 10, "bad number '12ab'" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "mmap len=0x\n", { TRC_E_SYNTAX, 4, 10, "expected digits" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "mmap len=4KB\n", { TRC_E_SYNTAX, 4, 10, "unknown suffix" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "mmap len=4k\n", { TRC_E_SYNTAX, 4, 10, "unknown suffix" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "mmap len=-1\n", { TRC_E_SYNTAX, 4, 10, "integers are unsigned" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "mmap len=1.5\n", { TRC_E_SYNTAX, 4, 10, "bad number '1.5'" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X data=[1,2x]\n", { TRC_E_SYNTAX, 4, 21, "bad number '2x]'" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "wait 0xcyc\n", { TRC_E_SYNTAX, 4, 6, "expected digits" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "wait 0x10uss\n", { TRC_E_SYNTAX, 4, 6, "unknown suffix" }));
}

TEST(TrcMalformed, NumberOverflowsSixtyFourBits)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "mmap len=18446744073709551616\n", { TRC_E_SYNTAX, 4, 10, "does not fit in 64 bits" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "mmap len=0x1_0000_0000_0000_0000\n", { TRC_E_SYNTAX, 4, 10, "does not fit in 64 bits" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "mmap len=16777216T\n", { TRC_E_SYNTAX, 4, 10, "does not fit in 64 bits" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "wait 18446745s\n", { TRC_E_SYNTAX, 4, 6, "does not fit in 64 bits of picoseconds" }));
}

TEST(TrcMalformed, StampWithoutUnitOrInWrongPlace)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "@100 wait 1us\n", { TRC_E_SYNTAX, 4, 1, "a time stamp needs a unit" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "@ wait 1us\n", { TRC_E_SYNTAX, 4, 1, "expected a time after '@'" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "@1us\n", { TRC_E_SYNTAX, 4, 5, "expected a verb after the time stamp" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "wait 1us @2us\n", { TRC_E_SYNTAX, 4, 10, "a time stamp may only start a record" }));
}

TEST(TrcMalformed, DecreasingStamps)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "@2us wait 1ns\nwait 1ns\n@1999ns wait 1ns\n",
			    { TRC_E_ORDER, 6, 1, "time stamp @1999ns is earlier than @2us on line 4" }));
}

TEST(TrcMalformed, UnboundVariable)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "close $kvm\n", { TRC_E_VAR, 4, 7, "variable $kvm is used before it is bound" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X data=[1,[$y]]\n", { TRC_E_VAR, 4, 22, "variable $y is used" }));
	// A record cannot use what it binds.
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $z X -> ret=$z\n", { TRC_E_VAR, 4, 7, "variable $z is used" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "read $vm -> events=[$e]\n", { TRC_E_VAR, 4, 21, "variable $e is used" }));
}

TEST(TrcMalformed, ReboundVariable)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "open /dev/kvm -> fd=$vm\n",
			    { TRC_E_VAR, 4, 21, "variable $vm is already bound on line 3" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X -> a=$p b=$p\n",
			    { TRC_E_VAR, 4, 23, "variable $p is already bound on line 4" }));
}

TEST(TrcMalformed, BadVariableName)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "close $\n", { TRC_E_SYNTAX, 4, 7, "expected '$' and a name" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "close $a-b\n", { TRC_E_SYNTAX, 4, 7, "bad variable '$a-b'" }));
}

TEST(TrcMalformed, UnterminatedString)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "open \"/dev/kvm -> fd=$kvm\n", { TRC_E_SYNTAX, 4, 6, "unterminated string" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "open \"abc\\\n", { TRC_E_SYNTAX, 4, 6, "unterminated string" }));
}

TEST(TrcMalformed, BadStringEscapeOrCharacter)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "open \"a\\tb\"\n", { TRC_E_SYNTAX, 4, 8, "unknown escape '\\t'" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "open \"a\"b\n", { TRC_E_SYNTAX, 4, 9, "unexpected character 'b' after a string" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "open \"a\rb\"\n", { TRC_E_SYNTAX, 4, 8, "control character 0x0d" }));
}

TEST(TrcMalformed, UnterminatedList)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X data=[1,2 -> ok\n", { TRC_E_SYNTAX, 4, 18, "unterminated list" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X data=[[1,2]\n", { TRC_E_SYNTAX, 4, 18, "unterminated list" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X data=[1, 2]\n", { TRC_E_SYNTAX, 4, 18, "lists have no spaces inside" }));
}

TEST(TrcMalformed, BadListElements)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X data=[1,,2]\n", { TRC_E_SYNTAX, 4, 21, "empty list element" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X data=[1,]\n", { TRC_E_SYNTAX, 4, 21, "empty list element" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X data=[1]x\n", { TRC_E_SYNTAX, 4, 21, "unexpected character 'x' after a list" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X data=1]\n", { TRC_E_SYNTAX, 4, 18, "bad number '1]'" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X data=a]\n", { TRC_E_SYNTAX, 4, 19, "unexpected character ']'" }));
}

TEST(TrcMalformed, ListsNestedTooDeep)
{
	std::string deep = std::string(40, '[') + std::string(40, ']');
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X data=" + deep + "\n", { TRC_E_LIMIT, 4, 50, "nested more than 32 deep" }));
	std::string ok = std::string(32, '[') + std::string(32, ']');
	EXPECT_EQ(trctest::ReadText(std::string(kPrelude) + "ioctl $vm X data=" + ok + "\n").rc, TRC_EOF);
}

TEST(TrcMalformed, BadFlagSet)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X flags=A||B\n", { TRC_E_SYNTAX, 4, 21, "bad flag set 'A||B'" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X flags=A|\n", { TRC_E_SYNTAX, 4, 21, "bad flag set" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X flags=A|1\n", { TRC_E_SYNTAX, 4, 21, "bad flag set" }));
}

TEST(TrcMalformed, MisplacedArrowAndResults)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X -> ok -> ok\n", { TRC_E_SYNTAX, 4, 19, "a second '->'" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X ->\n", { TRC_E_SYNTAX, 4, 13, "'->' is not followed by any result" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X ->ok\n", { TRC_E_SYNTAX, 4, 13, "'->' must stand alone" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X -> 5\n", { TRC_E_SYNTAX, 4, 16, "unexpected '5' in the results" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X -> done\n", { TRC_E_SYNTAX, 4, 16, "expected key=value, key=$var, ok or abort" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X v=\n", { TRC_E_SYNTAX, 4, 15, "expected a value after 'v='" }));
}

TEST(TrcMalformed, StrayCharacters)
{
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X v=a\"b\n", { TRC_E_SYNTAX, 4, 16, "unexpected character '\"'" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X \x01\n", { TRC_E_SYNTAX, 4, 13, "unexpected control character 0x01" }));
	EXPECT_TRUE(FailsOn(std::string(kPrelude) + "ioctl $vm X \\x\n", { TRC_E_SYNTAX, 4, 13, "unexpected character '\\'" }));
}

TEST(TrcMalformed, NulByteInLine)
{
	std::string text = std::string(kPrelude) + "ioctl $vm X a=1";
	text += '\0';
	text += "b=2\n";
	EXPECT_TRUE(FailsOn(text, { TRC_E_SYNTAX, 4, 16, "NUL byte" }));
	std::string blank = std::string(kPrelude) + "  ";
	blank += '\0';
	blank += "\n";
	EXPECT_TRUE(FailsOn(blank, { TRC_E_SYNTAX, 4, 3, "NUL byte" }));
}

TEST(TrcMalformed, OverLongLine)
{
	auto opt = trctest::Options(64);
	std::string line = "config k=" + std::string(100, 'a');
	EXPECT_TRUE(FailsOn("smmutrace 1\n" + line + "\n", { TRC_E_LIMIT, 2, 65, "line too long (the limit is 64 bytes)" }, &opt));
	// One byte over, with CRLF, and as the last line without a newline.
	line = "config k=" + std::string(65 - 9, 'a');
	EXPECT_TRUE(FailsOn("smmutrace 1\n" + line + "\r\n", { TRC_E_LIMIT, 2, 65, "line too long" }, &opt));
	EXPECT_TRUE(FailsOn("smmutrace 1\n" + line, { TRC_E_LIMIT, 2, 65, "line too long" }, &opt));
}

TEST(TrcMalformed, OverLongLineAtTheDefaultLimit)
{
	std::string line = "config k=" + std::string((1u << 20) + 10, 'b');
	EXPECT_TRUE(FailsOn(trctest::Gzip("smmutrace 1\n" + line + "\n"), { TRC_E_LIMIT, 2, 1048577, "line too long" }));
}

// ---------------------------------------------------------- error API

TEST(TrcMalformed, ErrorsAreStickyAndFormatted)
{
	trc_reader *r = nullptr;
	trc_error err{};
	const std::string text = "smmutrace 1\nbogus\nconfig a=1\n";
	ASSERT_EQ(trc_reader_open_mem(text.data(), text.size(), "dir/x.trace", nullptr, &r, &err), TRC_OK);
	const trc_record *rec;
	EXPECT_EQ(trc_reader_next(r, &rec), TRC_OK);
	EXPECT_EQ(trc_reader_next(r, &rec), TRC_E_SCHEMA);
	EXPECT_EQ(rec, nullptr);
	EXPECT_EQ(trc_reader_next(r, &rec), TRC_E_SCHEMA);
	char buf[512];
	size_t n = trc_error_format(trc_reader_error(r), buf, sizeof(buf));
	EXPECT_EQ(n, strlen(buf));
	EXPECT_EQ(std::string(buf).rfind("dir/x.trace:2:1: error: unknown verb 'bogus'", 0), 0u) << buf;
	char small[8];
	EXPECT_EQ(trc_error_format(trc_reader_error(r), small, sizeof(small)), n);
	EXPECT_STREQ(small, "dir/x.t");
	trc_reader_close(r);
}

TEST(TrcMalformed, ExitStatusFollowsTheReplayContract)
{
	EXPECT_EQ(trc_exit_status(TRC_OK), 0);
	EXPECT_EQ(trc_exit_status(TRC_EOF), 0);
	EXPECT_EQ(trc_exit_status(TRC_E_IO), 1);
	EXPECT_EQ(trc_exit_status(TRC_E_INVAL), 1);
	EXPECT_EQ(trc_exit_status(TRC_E_NOMEM), 1);
	for (int c : { TRC_E_GZIP, TRC_E_SYNTAX, TRC_E_LIMIT, TRC_E_VERSION, TRC_E_SCHEMA, TRC_E_ORDER, TRC_E_VAR })
		EXPECT_EQ(trc_exit_status(c), 2) << c;
	for (int c = TRC_E_TYPE; c <= TRC_EOF; c++)
		EXPECT_STRNE(trc_strerror(c), "unknown error") << c;
	EXPECT_STREQ(trc_strerror(-99), "unknown error");
}

// --------------------------------------------------------------- corpus

namespace {

struct CorpusCase {
	std::string path;
	uint32_t line = 0, col = 0;
	std::string fragment;
};

// The first line, decompressed if gzip: "# expect: L:C fragment". Inflated by
// hand, stopping at the first newline, because the damaged cases fail later.
bool FirstLine(const std::string &bytes, std::string *line)
{
	if (bytes.size() < 2 || (unsigned char)bytes[0] != 0x1f || (unsigned char)bytes[1] != 0x8b) {
		*line = bytes.substr(0, bytes.find('\n'));
		return true;
	}
	z_stream zs{};
	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		return false;
	std::string out(4096, '\0');
	zs.next_in = (Bytef *)bytes.data();
	zs.avail_in = uInt(bytes.size());
	zs.next_out = (Bytef *)&out[0];
	zs.avail_out = uInt(out.size());
	while (zs.avail_out && inflate(&zs, Z_SYNC_FLUSH) == Z_OK) {
	}
	out.resize(out.size() - zs.avail_out);
	inflateEnd(&zs);
	size_t nl = out.find('\n');
	if (nl == std::string::npos)
		return false;
	*line = out.substr(0, nl);
	return true;
}

bool ReadExpectation(const std::string &path, CorpusCase *c)
{
	std::string s;
	if (!FirstLine(trctest::Slurp(path), &s))
		return false;
	while (!s.empty() && (s.back() == '\n' || s.back() == '\r'))
		s.pop_back();
	unsigned line = 0, col = 0;
	int used = 0;
	if (sscanf(s.c_str(), "# expect: %u:%u %n", &line, &col, &used) != 2 || used == 0)
		return false;
	c->path = path;
	c->line = line;
	c->col = col;
	c->fragment = s.substr(size_t(used));
	return !c->fragment.empty();
}

std::vector<std::string> CorpusFiles()
{
	std::vector<std::string> out;
	DIR *d = opendir(TRC_MALFORMED_DIR);
	if (!d)
		return out;
	while (dirent *e = readdir(d)) {
		std::string n = e->d_name;
		if (n.size() > 6 && n.compare(n.size() - 6, 6, ".trace") == 0)
			out.push_back(std::string(TRC_MALFORMED_DIR) + "/" + n);
	}
	closedir(d);
	std::sort(out.begin(), out.end());
	return out;
}

}  // namespace

TEST(TrcMalformed, CorpusFilesFailWhereTheySay)
{
	auto files = CorpusFiles();
	ASSERT_GE(files.size(), 40u) << "corpus at " TRC_MALFORMED_DIR;
	for (const auto &path : files) {
		SCOPED_TRACE(path);
		CorpusCase c;
		if (!ReadExpectation(path, &c)) {
			ADD_FAILURE() << "no `# expect: LINE:COL fragment` first line";
			continue;
		}
		trctest::ReadResult res = trctest::ReadFile(path);
		if (res.rc >= 0) {
			ADD_FAILURE() << "read without error";
			continue;
		}
		EXPECT_EQ(trc_exit_status(res.rc), 2) << trc_strerror(res.rc);
		EXPECT_EQ(res.err.line, c.line) << res.err.msg;
		EXPECT_EQ(res.err.col, c.col) << res.err.msg;
		EXPECT_NE(std::string(res.err.msg).find(c.fragment), std::string::npos)
			<< "message \"" << res.err.msg << "\" lacks \"" << c.fragment << "\"";
		EXPECT_STREQ(res.err.file, path.c_str());
	}
}

TEST(TrcMalformed, CorpusCoversGzipCases)
{
	auto files = CorpusFiles();
	for (const char *name : { "truncated-gzip.trace", "corrupt-gzip.trace", "overlong-line.trace" }) {
		auto it = std::find_if(files.begin(), files.end(), [&](const std::string &p) {
			return p.size() >= strlen(name) && p.compare(p.size() - strlen(name), strlen(name), name) == 0;
		});
		ASSERT_NE(it, files.end()) << name;
		std::string bytes = trctest::Slurp(*it);
		ASSERT_GE(bytes.size(), 2u);
		EXPECT_EQ((unsigned char)bytes[0], 0x1f) << name << " is gzip";
		EXPECT_EQ((unsigned char)bytes[1], 0x8b) << name << " is gzip";
	}
}
