// reader_test.cc - the smmutrace v1 reader over valid input: every value
// kind, every verb of the format, results, comments, CRLF, gzip (file and
// memory, detected by magic), positions, options and lookups.
#include <gtest/gtest.h>

#include <csignal>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <sys/stat.h>
#include <string>

#include "trc/trace.h"
#include "trc_test_util.h"

using trctest::Describe;
using trctest::DescribeValue;
using trctest::ReadText;

namespace {

// Three header/setup lines most tests start from: lines 1..3.
const char kPrelude[] =
	"smmutrace 1\n"
	"device nic0 smmu=smmu0 sid=0x100\n"
	"open /dev/kvm -> fd=$vm\n";

// Holds a reader open over text; records stay valid until the next call.
class Reader {
public:
	explicit Reader(std::string text, const trc_reader_options *opt = nullptr)
		: text_(std::move(text))
	{
		rc_ = trc_reader_open_mem(text_.data(), text_.size(), "t.trace", opt, &r_, &err_);
	}
	~Reader() { trc_reader_close(r_); }
	Reader(const Reader &) = delete;
	Reader &operator=(const Reader &) = delete;

	// The record that starts on line, or nullptr (rc() tells why).
	const trc_record *AtLine(uint32_t line)
	{
		const trc_record *rec;
		if (!r_)
			return nullptr;
		while ((rc_ = trc_reader_next(r_, &rec)) == TRC_OK) {
			if (rec->line == line)
				return rec;
		}
		return nullptr;
	}
	int rc() const { return rc_; }
	std::string error() const
	{
		char buf[512];
		trc_error_format(trc_reader_error(r_), buf, sizeof(buf));
		return buf;
	}
	trc_reader *get() { return r_; }

private:
	std::string text_;
	trc_reader *r_ = nullptr;
	trc_error err_{};
	int rc_ = TRC_OK;
};

// The one argument value of a record built around it on line 4.
std::string ArgOf(const std::string &value, const trc_reader_options *opt = nullptr)
{
	Reader rd(std::string(kPrelude) + "ioctl $vm KVM_X v=" + value + "\n", opt);
	const trc_record *rec = rd.AtLine(4);
	if (!rec)
		return "error: " + rd.error();
	const trc_value *v = trc_record_arg(rec, "v");
	return v ? DescribeValue(*v) : "missing";
}

}  // namespace

// ------------------------------------------------------------- header

TEST(TrcReader, HeaderVersionOne)
{
	Reader rd("smmutrace 1\n");
	const trc_record *rec = rd.AtLine(1);
	ASSERT_NE(rec, nullptr) << rd.error();
	EXPECT_EQ(rec->verb, TRC_VERB_SMMUTRACE);
	EXPECT_EQ(rec->section, TRC_SECTION_HEADER);
	ASSERT_EQ(rec->nwords, 1u);
	EXPECT_STREQ(trc_value_str(&rec->words[0]), "1");
	unsigned major = 9, minor = 9;
	trc_reader_version(rd.get(), &major, &minor);
	EXPECT_EQ(major, 1u);
	EXPECT_EQ(minor, 0u);
}

TEST(TrcReader, HeaderMinorVersionIsAccepted)
{
	Reader rd("smmutrace 1.12\n");
	ASSERT_NE(rd.AtLine(1), nullptr) << rd.error();
	unsigned major = 0, minor = 0;
	trc_reader_version(rd.get(), &major, &minor);
	EXPECT_EQ(major, 1u);
	EXPECT_EQ(minor, 12u);
	EXPECT_EQ(rd.AtLine(99), nullptr);
	EXPECT_EQ(rd.rc(), TRC_EOF);
	// any N, however long (the value saturates)
	Reader big("smmutrace 1.99999999999999999999999\n");
	ASSERT_NE(big.AtLine(1), nullptr) << big.error();
	Reader newer("smmutrace 99999999999999999999.1\n");
	EXPECT_EQ(newer.AtLine(1), nullptr);
	EXPECT_NE(newer.error().find("newer than this reader"), std::string::npos) << newer.error();
}

TEST(TrcReader, CommentsAndBlankLinesAreSkipped)
{
	auto res = ReadText("# leading comment\n\n   \t\nsmmutrace 1   # trailing comment\n#x\n"
			    "config a=1#glued comment\n\n");
	ASSERT_EQ(res.rc, TRC_EOF) << res.err.msg;
	ASSERT_EQ(res.records.size(), 2u);
	EXPECT_EQ(res.records[0], "smmutrace/header w:word:1");
	EXPECT_EQ(res.records[1], "config/header a=int:10:0x1");
}

TEST(TrcReader, CrlfLineEndings)
{
	const std::string lf = std::string(kPrelude) + "dma nic0 addr=0x1000 len=64 dir=read -> ok\n";
	std::string crlf;
	for (char c : lf) {
		if (c == '\n')
			crlf += '\r';
		crlf += c;
	}
	auto a = ReadText(lf), b = ReadText(crlf);
	ASSERT_EQ(a.rc, TRC_EOF);
	ASSERT_EQ(b.rc, TRC_EOF) << b.err.msg;
	EXPECT_EQ(a.records, b.records);
	EXPECT_EQ(b.records.back(), "dma/world w:name:nic0 addr=int:16:0x1000 len=int:10:0x40 dir=name:read -> ok=none");
}

TEST(TrcReader, Utf8ByteOrderMarkIsSkipped)
{
	auto res = ReadText("\xef\xbb\xbfsmmutrace 1\nconfig a=1\n");
	ASSERT_EQ(res.rc, TRC_EOF) << res.err.msg;
	EXPECT_EQ(res.records.size(), 2u);
	// Only at the start of the file.
	res = ReadText("smmutrace 1\n\xef\xbb\xbf config a=1\n");
	EXPECT_EQ(res.rc, TRC_E_SCHEMA);
	EXPECT_EQ(res.err.line, 2u);
	EXPECT_EQ(res.err.col, 1u);
}

TEST(TrcReader, LastLineWithoutNewline)
{
	auto res = ReadText("smmutrace 1\nconfig a=0x10");
	ASSERT_EQ(res.rc, TRC_EOF) << res.err.msg;
	ASSERT_EQ(res.records.size(), 2u);
	EXPECT_EQ(res.records[1], "config/header a=int:16:0x10");
}

TEST(TrcReader, TabsAndRunsOfSpacesSeparateTokens)
{
	auto res = ReadText(std::string(kPrelude) + "\tdma\tnic0   addr=0x1000\t \tlen=64 dir=write\t->\tok  \n");
	ASSERT_EQ(res.rc, TRC_EOF) << res.err.msg;
	EXPECT_EQ(res.records.back(), "dma/world w:name:nic0 addr=int:16:0x1000 len=int:10:0x40 dir=name:write -> ok=none");
}

// ------------------------------------------------------------- values

TEST(TrcReader, DecimalInteger)
{
	EXPECT_EQ(ArgOf("4096"), "int:10:0x1000");
	EXPECT_EQ(ArgOf("0"), "int:10:0x0");
	EXPECT_EQ(ArgOf("18446744073709551615"), "int:10:0xffffffffffffffff");
}

TEST(TrcReader, HexWithSuffixAndSeparators)
{
	EXPECT_EQ(ArgOf("0x1000"), "int:16:0x1000");
	EXPECT_EQ(ArgOf("0X8000_1000"), "int:16:0x80001000");
	EXPECT_EQ(ArgOf("0xFFFF_ffff_FFFF_ffff"), "int:16:0xffffffffffffffff");
	EXPECT_EQ(ArgOf("0x2M"), "int:16:0x200000:shift20");
	EXPECT_EQ(ArgOf("1_000_000"), "int:10:0xf4240");
}

TEST(TrcReader, BinarySizeSuffixes)
{
	EXPECT_EQ(ArgOf("4K"), "int:10:0x1000:shift10");
	EXPECT_EQ(ArgOf("2M"), "int:10:0x200000:shift20");
	EXPECT_EQ(ArgOf("1G"), "int:10:0x40000000:shift30");
	EXPECT_EQ(ArgOf("3T"), "int:10:0x30000000000:shift40");
	EXPECT_EQ(ArgOf("16777215T"), "int:10:0xffffff0000000000:shift40");
}

TEST(TrcReader, DurationsInEveryUnit)
{
	EXPECT_EQ(ArgOf("5ns"), "duration:5000ps:5ns");
	EXPECT_EQ(ArgOf("10us"), "duration:10000000ps:10us");
	EXPECT_EQ(ArgOf("3ms"), "duration:3000000000ps:3ms");
	EXPECT_EQ(ArgOf("2s"), "duration:2000000000000ps:2s");
	EXPECT_EQ(ArgOf("1_500ns"), "duration:1500000ps:1500ns");
	EXPECT_EQ(ArgOf("7cyc"), "duration:7000ps:7cyc");
	// hex counts too (TRACE-FORMAT.md: a duration is an integer and a unit);
	// the 'c' of cyc is the unit's, not a digit's
	EXPECT_EQ(ArgOf("0x10us"), "duration:16000000ps:16us");
	EXPECT_EQ(ArgOf("0x1_0ns"), "duration:16000ps:16ns");
	EXPECT_EQ(ArgOf("0x1ccyc"), "duration:28000ps:28cyc");
	EXPECT_EQ(ArgOf("0xccyc"), "duration:12000ps:12cyc");
}

TEST(TrcReader, CycleUnitUsesCyclePsOption)
{
	auto opt = trctest::Options(0, 400);  // 2.5 GHz
	EXPECT_EQ(ArgOf("10cyc", &opt), "duration:4000ps:10cyc");
	Reader rd(std::string(kPrelude) + "@3cyc wait 1cyc\n", &opt);
	const trc_record *rec = rd.AtLine(4);
	ASSERT_NE(rec, nullptr) << rd.error();
	uint64_t ps = 0;
	ASSERT_EQ(trc_record_stamp_ps(rec, &ps), 1);
	EXPECT_EQ(ps, 1200u);
	EXPECT_EQ(rec->stamp->unit, TRC_UNIT_CYC);
	EXPECT_EQ(rec->stamp->count, 3u);
}

TEST(TrcReader, NamesWithDotsAndUnderscores)
{
	EXPECT_EQ(ArgOf("IOMMU_HWPT_ALLOC"), "name:IOMMU_HWPT_ALLOC");
	EXPECT_EQ(ArgOf("_a.b_c.9"), "name:_a.b_c.9");
}

TEST(TrcReader, FlagSetKeepsTextAndNames)
{
	Reader rd(std::string(kPrelude) + "ioctl $vm IOMMU_IOAS_MAP flags=FIXED_IOVA|READABLE|WRITEABLE\n");
	const trc_record *rec = rd.AtLine(4);
	ASSERT_NE(rec, nullptr) << rd.error();
	const trc_value *f = trc_record_arg(rec, "flags");
	ASSERT_NE(f, nullptr);
	EXPECT_EQ(f->kind, TRC_FLAGS);
	EXPECT_STREQ(f->s, "FIXED_IOVA|READABLE|WRITEABLE");
	ASSERT_EQ(f->nitems, 3u);
	EXPECT_STREQ(f->items[0].s, "FIXED_IOVA");
	EXPECT_STREQ(f->items[1].s, "READABLE");
	EXPECT_STREQ(f->items[2].s, "WRITEABLE");
	EXPECT_EQ(f->items[2].col, f->col + 20);
}

TEST(TrcReader, VariableBoundThenUsed)
{
	Reader rd(std::string(kPrelude) + "ioctl $vm KVM_CREATE_VM -> ret=$guest\nclose $guest\n");
	const trc_record *rec = rd.AtLine(4);
	ASSERT_NE(rec, nullptr) << rd.error();
	ASSERT_EQ(rec->nresults, 1u);
	EXPECT_STREQ(rec->results[0].key, "ret");
	EXPECT_EQ(rec->results[0].value.kind, TRC_VAR);
	EXPECT_STREQ(rec->results[0].value.s, "guest");
	rec = rd.AtLine(5);
	ASSERT_NE(rec, nullptr) << rd.error();
	EXPECT_EQ(rec->verb, TRC_VERB_CLOSE);
	EXPECT_EQ(DescribeValue(rec->words[0]), "var:guest");
}

TEST(TrcReader, NestedLists)
{
	EXPECT_EQ(ArgOf("[0x1,2]"), "list[int:16:0x1,int:10:0x2]");
	EXPECT_EQ(ArgOf("[[0x1,0x2],[0x3,0x4]]"),
		  "list[list[int:16:0x1,int:16:0x2],list[int:16:0x3,int:16:0x4]]");
	EXPECT_EQ(ArgOf("[]"), "list[]");
	EXPECT_EQ(ArgOf("[[],[[]]]"), "list[list[],list[list[]]]");
	EXPECT_EQ(ArgOf("[$vm,NAME,A|B,\"s, t\",4K,1us]"),
		  "list[var:vm,name:NAME,flags:A|B{A,B},string:s, t,int:10:0x1000:shift10,duration:1000000ps:1us]");
}

TEST(TrcReader, StringsWithEscapesAndSpaces)
{
	EXPECT_EQ(ArgOf("\"plain\""), "string:plain");
	EXPECT_EQ(ArgOf("\"two words\""), "string:two words");
	EXPECT_EQ(ArgOf("\"say \\\"hi\\\" \\\\ back\""), "string:say \"hi\" \\ back");
	EXPECT_EQ(ArgOf("\"\""), "string:");
	EXPECT_EQ(ArgOf("\"# not a comment -> not results\""), "string:# not a comment -> not results");
}

TEST(TrcReader, WordsForPathsOperatorsAndPciAddresses)
{
	EXPECT_EQ(ArgOf("/dev/vfio/devices/vfio0"), "word:/dev/vfio/devices/vfio0");
	EXPECT_EQ(ArgOf("smmu-ida"), "word:smmu-ida");
	EXPECT_EQ(ArgOf("0000:01:00.0"), "word:0000:01:00.0");
	EXPECT_EQ(ArgOf("a=b"), "word:a=b");
}

TEST(TrcReader, ValuesKnowTheirLineAndColumn)
{
	Reader rd(std::string(kPrelude) + "read $vm addr=0x1000\tlen=[1,[2]] dir=read -> pa=0x5\n");
	const trc_record *rec = rd.AtLine(4);
	ASSERT_NE(rec, nullptr) << rd.error();
	EXPECT_EQ(rec->line, 4u);
	EXPECT_EQ(rec->col, 1u);
	EXPECT_EQ(rec->words[0].line, 4u);
	EXPECT_EQ(rec->words[0].col, 6u);
	EXPECT_EQ(rec->args[0].col, 10u);        // addr
	EXPECT_EQ(rec->args[0].value.col, 15u);  // 0x1000
	EXPECT_EQ(rec->args[1].col, 22u);        // len (after a tab)
	const trc_value &list = rec->args[1].value;
	EXPECT_EQ(list.col, 26u);
	EXPECT_EQ(list.items[0].col, 27u);
	EXPECT_EQ(list.items[1].col, 29u);
	EXPECT_EQ(list.items[1].items[0].col, 30u);
	EXPECT_EQ(rec->results[0].col, 46u);
	EXPECT_EQ(rec->results[0].value.col, 49u);
}

// ------------------------------------------------------------- stamps

TEST(TrcReader, StampsMayRepeatAndRecordsWithoutStampHaveNone)
{
	Reader rd(std::string(kPrelude) +
		  "@1us dma nic0 addr=0 len=1 dir=read\n"
		  "dma nic0 addr=0 len=1 dir=read\n"
		  "@1000ns dma nic0 addr=0 len=1 dir=read\n"
		  "@2us wait 1us\n");
	const trc_record *rec = rd.AtLine(4);
	ASSERT_NE(rec, nullptr) << rd.error();
	ASSERT_NE(rec->stamp, nullptr);
	EXPECT_EQ(rec->stamp->u, 1000000u);
	EXPECT_EQ(rec->stamp->unit, TRC_UNIT_US);
	rec = rd.AtLine(5);
	ASSERT_NE(rec, nullptr) << rd.error();
	EXPECT_EQ(rec->stamp, nullptr);
	EXPECT_EQ(trc_record_stamp_ps(rec, nullptr), 0);
	rec = rd.AtLine(6);
	ASSERT_NE(rec, nullptr) << rd.error();
	EXPECT_EQ(rec->stamp->u, 1000000u);
	EXPECT_EQ(rec->stamp->unit, TRC_UNIT_NS);
	rec = rd.AtLine(7);
	ASSERT_NE(rec, nullptr) << rd.error();
	EXPECT_EQ(rec->stamp->u, 2000000u);
}

// ------------------------------------------------------------ results

TEST(TrcReader, EveryResultForm)
{
	Reader rd(std::string(kPrelude) +
		  "ioctl $vm KVM_CREATE_VM -> ret=$g\n"                  // binding
		  "ioctl $vm KVM_CHECK_EXTENSION arg=5 -> ret=1\n"       // assertion
		  "ioctl $vm KVM_BAD -> err=ENOTTY\n"                    // errno
		  "ioctl $vm KVM_RUN -> ok\n"                            // success
		  "dma nic0 addr=0 len=1 dir=read -> abort\n"
		  "dma nic0 addr=0 len=1 dir=read -> fault=F_TRANSLATION\n"
		  "dma nic0 addr=0 len=1 dir=read -> pa=0x8000 ok\n");
	const trc_record *rec = rd.AtLine(4);
	ASSERT_NE(rec, nullptr) << rd.error();
	EXPECT_EQ(rec->results[0].value.kind, TRC_VAR);
	rec = rd.AtLine(5);
	ASSERT_NE(rec, nullptr);
	uint64_t u = 0;
	EXPECT_EQ(trc_value_u64(trc_record_result(rec, "ret"), &u), TRC_OK);
	EXPECT_EQ(u, 1u);
	rec = rd.AtLine(6);
	ASSERT_NE(rec, nullptr);
	EXPECT_TRUE(trc_value_is(trc_record_result(rec, "err"), "ENOTTY"));
	rec = rd.AtLine(7);
	ASSERT_NE(rec, nullptr);
	ASSERT_NE(trc_record_result(rec, "ok"), nullptr);
	EXPECT_EQ(trc_record_result(rec, "ok")->kind, TRC_NONE);
	rec = rd.AtLine(8);
	ASSERT_NE(rec, nullptr);
	EXPECT_NE(trc_record_result(rec, "abort"), nullptr);
	EXPECT_EQ(trc_record_result(rec, "ok"), nullptr);
	rec = rd.AtLine(9);
	ASSERT_NE(rec, nullptr);
	EXPECT_TRUE(trc_value_is(trc_record_result(rec, "fault"), "F_TRANSLATION"));
	rec = rd.AtLine(10);
	ASSERT_NE(rec, nullptr) << rd.error();
	EXPECT_EQ(rec->nresults, 2u);
	EXPECT_EQ(trc_value_u64(trc_record_result(rec, "pa"), &u), TRC_OK);
	EXPECT_EQ(u, 0x8000u);
}

// --------------------------------------------------------------- verbs

TEST(TrcReader, HeaderRecords)
{
	auto res = ReadText(
		"smmutrace 1\n"
		"config policy.vmid=smmu-ida anything.goes=[1,2] s=\"x\"\n"
		"smmu smmu0 vmid_bits=8 btm=on future_key=1\n"
		"smmu smmu1\n"
		"device nic0 smmu=smmu1 sid=0x100 ssid_bits=20 ats=on pri=on snoop=enforced cdev=/dev/vfio/devices/vfio0 group=/dev/vfio/7 bdf=0000:01:00.0\n"
		"memory size=4G\n");
	ASSERT_EQ(res.rc, TRC_EOF) << res.err.msg;
	ASSERT_EQ(res.records.size(), 6u);
	EXPECT_EQ(res.records[1], "config/header policy.vmid=word:smmu-ida anything.goes=list[int:10:0x1,int:10:0x2] s=string:x");
	EXPECT_EQ(res.records[2], "smmu/header w:name:smmu0 vmid_bits=int:10:0x8 btm=name:on future_key=int:10:0x1");
	EXPECT_EQ(res.records[3], "smmu/header w:name:smmu1");
	EXPECT_EQ(res.records[4],
		  "device/header w:name:nic0 smmu=name:smmu1 sid=int:16:0x100 ssid_bits=int:10:0x14 ats=name:on "
		  "pri=name:on snoop=name:enforced cdev=word:/dev/vfio/devices/vfio0 group=word:/dev/vfio/7 "
		  "bdf=word:0000:01:00.0");
	EXPECT_EQ(res.records[5], "memory/header size=int:10:0x100000000:shift30");
}

TEST(TrcReader, ProcessRecords)
{
	auto res = ReadText(
		"smmutrace 1\n"
		"open /dev/iommu -> fd=$iommufd\n"
		"open /dev/kvm proc=vmm1 -> fd=$kvm\n"
		"mmap len=1G proc=vmm1 pa=0x8000_0000 -> addr=$ram\n"
		"ioctl $iommufd IOMMU_IOAS_MAP ioas_id=1 user_va=$ram length=1G iova=0 made_up_field=7\n"
		"ioctl $kvm 0xae01 -> ret=$vm\n"
		"read $iommufd len=64 -> events=[[0x1,0x2]]\n"
		"close $kvm\n");
	ASSERT_EQ(res.rc, TRC_EOF) << res.err.msg;
	ASSERT_EQ(res.records.size(), 8u);
	EXPECT_EQ(res.records[1], "open/process w:word:/dev/iommu -> fd=var:iommufd");
	EXPECT_EQ(res.records[2], "open/process w:word:/dev/kvm proc=name:vmm1 -> fd=var:kvm");
	EXPECT_EQ(res.records[3], "mmap/process len=int:10:0x40000000:shift30 proc=name:vmm1 pa=int:16:0x80000000 -> addr=var:ram");
	EXPECT_EQ(res.records[4],
		  "ioctl/process w:var:iommufd w:name:IOMMU_IOAS_MAP ioas_id=int:10:0x1 user_va=var:ram "
		  "length=int:10:0x40000000:shift30 iova=int:10:0x0 made_up_field=int:10:0x7");
	EXPECT_EQ(res.records[5], "ioctl/process w:var:kvm w:int:16:0xae01 -> ret=var:vm");
	EXPECT_EQ(res.records[6], "read/process w:var:iommufd len=int:10:0x40 -> events=list[list[int:16:0x1,int:16:0x2]]");
	EXPECT_EQ(res.records[7], "close/process w:var:kvm");
}

TEST(TrcReader, DmaAndAtsRecords)
{
	Reader rd(std::string(kPrelude) +
		  "dma nic0 addr=0x8000_1000 len=64 dir=read ssid=3 priv exec -> pa=0x1000\n"
		  "ats nic0 translate addr=0x2000 ssid=1 -> pa=0x3000\n");
	const trc_record *rec = rd.AtLine(4);
	ASSERT_NE(rec, nullptr) << rd.error();
	EXPECT_EQ(rec->verb, TRC_VERB_DMA);
	EXPECT_EQ(rec->section, TRC_SECTION_WORLD);
	EXPECT_STREQ(rec->verb_name, "dma");
	EXPECT_STREQ(trc_value_str(trc_record_word(rec, 0)), "nic0");
	EXPECT_EQ(trc_record_has_word(rec, "priv"), 1);
	EXPECT_EQ(trc_record_has_word(rec, "exec"), 1);
	EXPECT_EQ(trc_record_has_word(rec, "nic1"), 0);
	uint64_t addr = 0, len = 0, ssid = 0;
	EXPECT_EQ(trc_value_u64(trc_record_arg(rec, "addr"), &addr), TRC_OK);
	EXPECT_EQ(trc_value_u64(trc_record_arg(rec, "len"), &len), TRC_OK);
	EXPECT_EQ(trc_value_u64(trc_record_arg(rec, "ssid"), &ssid), TRC_OK);
	EXPECT_EQ(addr, 0x80001000u);
	EXPECT_EQ(len, 64u);
	EXPECT_EQ(ssid, 3u);
	EXPECT_TRUE(trc_value_is(trc_record_arg(rec, "dir"), "read"));
	rec = rd.AtLine(5);
	ASSERT_NE(rec, nullptr) << rd.error();
	EXPECT_EQ(Describe(*rec), "ats/world w:name:nic0 w:name:translate addr=int:16:0x2000 ssid=int:10:0x1 -> pa=int:16:0x3000");
}

TEST(TrcReader, GuestRecords)
{
	auto res = ReadText(std::string(kPrelude) +
			    "guest $vm write ipa=0x4000_0000 u64=0x1 count=8\n"
			    "guest $vm write ipa=0x4000_0000 u64=[0x1,0x2]\n"
			    "guest $vm s1map ttb=0x4010_0000 asid=1 va=0x8000_0000 ipa=0x2000_0000 len=2M perm=rw granule=16K va_bits=48 pool=0x4020_0000\n"
			    "guest $vm s1map ttb=0x1000 asid=1 va=0 ipa=0 len=4K perm=r\n"
			    "guest $vm s1unmap ttb=0x4010_0000 va=0x8000_0000 len=2M\n");
	ASSERT_EQ(res.rc, TRC_EOF) << res.err.msg;
	ASSERT_EQ(res.records.size(), 8u);
	EXPECT_EQ(res.records[3], "guest/world w:var:vm w:name:write ipa=int:16:0x40000000 u64=int:16:0x1 count=int:10:0x8");
	EXPECT_EQ(res.records[5],
		  "guest/world w:var:vm w:name:s1map ttb=int:16:0x40100000 asid=int:10:0x1 va=int:16:0x80000000 "
		  "ipa=int:16:0x20000000 len=int:10:0x200000:shift20 perm=name:rw granule=int:10:0x4000:shift10 "
		  "va_bits=int:10:0x30 pool=int:16:0x40200000");
	EXPECT_EQ(res.records[7], "guest/world w:var:vm w:name:s1unmap ttb=int:16:0x40100000 va=int:16:0x80000000 len=int:10:0x200000:shift20");
}

TEST(TrcReader, VcpuAndCpuRecords)
{
	auto res = ReadText(std::string(kPrelude) +
			    "vcpu $vm load cpu=2 vcpu=1\n"
			    "vcpu $vm put cpu=2\n"
			    "cpu tlbi VAE1IS vmid=1 asid=2 va=0x1000 ipa=0x2000\n"
			    "cpu tlbi ALLE1IS\n");
	ASSERT_EQ(res.rc, TRC_EOF) << res.err.msg;
	ASSERT_EQ(res.records.size(), 7u);
	EXPECT_EQ(res.records[3], "vcpu/world w:var:vm w:name:load cpu=int:10:0x2 vcpu=int:10:0x1");
	EXPECT_EQ(res.records[4], "vcpu/world w:var:vm w:name:put cpu=int:10:0x2");
	EXPECT_EQ(res.records[5], "cpu/world w:name:tlbi w:name:VAE1IS vmid=int:10:0x1 asid=int:10:0x2 va=int:16:0x1000 ipa=int:16:0x2000");
	EXPECT_EQ(res.records[6], "cpu/world w:name:tlbi w:name:ALLE1IS");
}

TEST(TrcReader, MmioAndMemRecords)
{
	auto res = ReadText(std::string(kPrelude) +
			    "mmio smmu0 write 0x20 val=0x1 width=32\n"
			    "mmio smmu0 read 0x24 width=64 -> val=0x1\n"
			    "mem write 0x8000_0000 u64=0xdead count=2\n"
			    "mem read 0x8000_0000 count=1 -> u64=0xdead\n"
			    "mem load images/ram.bin pa=0x8000_0000\n"
			    "mem load \"my image.bin.gz\" pa=0x0\n");
	ASSERT_EQ(res.rc, TRC_EOF) << res.err.msg;
	ASSERT_EQ(res.records.size(), 9u);
	EXPECT_EQ(res.records[3], "mmio/world w:name:smmu0 w:name:write w:int:16:0x20 val=int:16:0x1 width=int:10:0x20");
	EXPECT_EQ(res.records[4], "mmio/world w:name:smmu0 w:name:read w:int:16:0x24 width=int:10:0x40 -> val=int:16:0x1");
	EXPECT_EQ(res.records[5], "mem/world w:name:write w:int:16:0x80000000 u64=int:16:0xdead count=int:10:0x2");
	EXPECT_EQ(res.records[6], "mem/world w:name:read w:int:16:0x80000000 count=int:10:0x1 -> u64=int:16:0xdead");
	EXPECT_EQ(res.records[7], "mem/world w:name:load w:word:images/ram.bin pa=int:16:0x80000000");
	EXPECT_EQ(res.records[8], "mem/world w:name:load w:string:my image.bin.gz pa=int:16:0x0");
}

TEST(TrcReader, WaitAndExpectRecords)
{
	auto res = ReadText(std::string(kPrelude) +
			    "wait 10us\n"
			    "expect isolation\n"
			    "expect violation cross-domain\n"
			    "expect violation stale dev=nic0 extra\n"
			    "expect violation alias\n"
			    "expect violation foreign-invalidation\n"
			    "expect stat tlb.hits >= 10\n"
			    "expect stat latency.max <= 2us\n"
			    "expect stat faults == 0\n");
	ASSERT_EQ(res.rc, TRC_EOF) << res.err.msg;
	ASSERT_EQ(res.records.size(), 12u);
	EXPECT_EQ(res.records[3], "wait/world w:duration:10000000ps:10us");
	EXPECT_EQ(res.records[4], "expect/world w:name:isolation");
	EXPECT_EQ(res.records[5], "expect/world w:name:violation w:word:cross-domain");
	EXPECT_EQ(res.records[6], "expect/world w:name:violation w:name:stale w:name:extra dev=name:nic0");
	EXPECT_EQ(res.records[9], "expect/world w:name:stat w:name:tlb.hits w:word:>= w:int:10:0xa");
	EXPECT_EQ(res.records[10], "expect/world w:name:stat w:name:latency.max w:word:<= w:duration:2000000ps:2us");
	EXPECT_EQ(res.records[11], "expect/world w:name:stat w:name:faults w:word:== w:int:10:0x0");
}

TEST(TrcReader, VerbTableIsComplete)
{
	const char *names[] = { "smmutrace", "config", "smmu", "device", "memory", "open", "close",
				"mmap", "ioctl", "read", "dma", "ats", "guest", "vcpu", "cpu",
				"mmio", "mem", "wait", "expect", "dmaapi", "pri", "write", "eventfd", "memfd" };
	ASSERT_EQ(sizeof(names) / sizeof(names[0]), (size_t)TRC_VERB_COUNT_ - 1);
	for (int i = 1; i < TRC_VERB_COUNT_; i++) {
		trc_verb v = trc_verb(i);
		ASSERT_NE(trc_verb_name(v), nullptr);
		EXPECT_STREQ(trc_verb_name(v), names[i - 1]);
		EXPECT_EQ(trc_verb_from_name(names[i - 1]), v);
	}
	EXPECT_EQ(trc_verb_from_name("dmax"), TRC_VERB_UNKNOWN);
	EXPECT_EQ(trc_verb_section(TRC_VERB_MEMORY), TRC_SECTION_HEADER);
	EXPECT_EQ(trc_verb_section(TRC_VERB_READ), TRC_SECTION_PROCESS);
	EXPECT_EQ(trc_verb_section(TRC_VERB_MEM), TRC_SECTION_WORLD);
	EXPECT_EQ(trc_verb_section(TRC_VERB_DMAAPI), TRC_SECTION_PROCESS);
	EXPECT_EQ(trc_verb_section(TRC_VERB_PRI), TRC_SECTION_WORLD);
	EXPECT_EQ(trc_verb_section(TRC_VERB_WRITE), TRC_SECTION_PROCESS);
	EXPECT_EQ(trc_verb_section(TRC_VERB_EVENTFD), TRC_SECTION_PROCESS);
	EXPECT_EQ(trc_verb_section(TRC_VERB_MEMFD), TRC_SECTION_PROCESS);
	EXPECT_EQ(trc_verb_from_name("memf"), TRC_VERB_UNKNOWN);
}

TEST(TrcReader, DefaultSmmu0WithoutSmmuRecords)
{
	auto res = ReadText("smmutrace 1\ndevice d smmu=smmu0 sid=1\nmmio smmu0 read 0x0\n");
	EXPECT_EQ(res.rc, TRC_EOF) << res.err.msg;
}

// ---------------------------------------------------------------- gzip

TEST(TrcReader, GzipInMemoryDetectedByMagic)
{
	const std::string text = std::string(kPrelude) + "dma nic0 addr=0x1000 len=64 dir=read -> ok\n";
	auto plain = ReadText(text);
	auto gz = ReadText(trctest::Gzip(text), nullptr, "no-gz-suffix.trace");
	ASSERT_EQ(gz.rc, TRC_EOF) << gz.err.msg;
	EXPECT_EQ(plain.records, gz.records);
	EXPECT_EQ(gz.records.size(), 4u);
}

TEST(TrcReader, GzipFileWrittenWithZlibWhateverItsName)
{
	std::string text = kPrelude;
	for (int i = 0; i < 20000; i++)
		text += "dma nic0 addr=0x" + std::to_string(1000 + i) + " len=64 dir=read -> ok\n";
	const std::string path = trctest::TempPath("gzfile.trace");
	gzFile f = gzopen(path.c_str(), "wb");
	ASSERT_NE(f, nullptr);
	ASSERT_EQ(gzwrite(f, text.data(), unsigned(text.size())), int(text.size()));
	ASSERT_EQ(gzclose(f), Z_OK);
	auto res = trctest::ReadFile(path);
	std::remove(path.c_str());
	ASSERT_EQ(res.rc, TRC_EOF) << res.err.msg;
	ASSERT_EQ(res.records.size(), 20003u);
	EXPECT_EQ(res.records.back(), "dma/world w:name:nic0 addr=int:16:0x20999 len=int:10:0x40 dir=name:read -> ok=none");
}

TEST(TrcReader, ConcatenatedGzipMembersReadInOrder)
{
	auto res = ReadText(trctest::Gzip("smmutrace 1\nconfig a=1\n") + trctest::Gzip("config b=2\n"));
	ASSERT_EQ(res.rc, TRC_EOF) << res.err.msg;
	ASSERT_EQ(res.records.size(), 3u);
	EXPECT_EQ(res.records[2], "config/header b=int:10:0x2");
}

// A gzip file or buffer is inflated by igzip, a pipe by zlib; what a damaged
// stream gives (the records before the damage, the error, its line:col) is
// zlib's either way: the three readings of each damaged stream agree.
namespace {

trctest::ReadResult ReadPipe(const std::string &data)
{
	const std::string fifo = trctest::TempPath("gz.fifo");
	std::remove(fifo.c_str());
	std::signal(SIGPIPE, SIG_IGN); // the reader may stop before the writer
	if (mkfifo(fifo.c_str(), 0600) != 0)
		throw std::runtime_error("mkfifo");
	std::thread writer([&] {
		FILE *f = std::fopen(fifo.c_str(), "wb");
		if (f) {
			std::fwrite(data.data(), 1, data.size(), f);
			std::fclose(f);
		}
	});
	auto res = trctest::ReadFile(fifo);
	writer.join();
	std::remove(fifo.c_str());
	return res;
}

std::string Describe(const trctest::ReadResult &r)
{
	std::string s = std::to_string(r.records.size()) + " records, rc " + std::to_string(r.rc);
	if (r.rc != TRC_EOF)
		s += " at " + std::to_string(r.err.line) + ":" + std::to_string(r.err.col) + " " + r.err.msg;
	return s + (r.records.empty() ? "" : " last: " + r.records.back());
}

} // namespace

TEST(TrcReader, DamagedGzipReadsTheSameFromFileBufferAndPipe)
{
	// Two members, the second larger than the reader's 64 KiB raw block.
	std::string a = "smmutrace 1\n", b;
	uint64_t x = 1;
	for (int i = 0; i < 2000; i++)
		a += "config k" + std::to_string(i) + "=" + std::to_string(i * 7) + "\n";
	for (int i = 0; i < 40000; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		b += "config n" + std::to_string(i) + "=0x" + std::to_string(x >> 40) + "\n";
	}
	const std::string gz = trctest::Gzip(a) + trctest::Gzip(b);
	ASSERT_GT(gz.size() - trctest::Gzip(a).size(), size_t(64) << 10);
	const std::string path = trctest::TempPath("damaged.trace.gz");
	int gzip_errors = 0, cases = 0;
	auto same = [&](const std::string &data, const std::string &what) {
		trctest::Spit(path, data);
		auto f = trctest::ReadFile(path), m = ReadText(data), p = ReadPipe(data);
		EXPECT_EQ(Describe(f), Describe(p)) << what << " (file against pipe)";
		EXPECT_EQ(Describe(m), Describe(p)) << what << " (buffer against pipe)";
		gzip_errors += p.rc == TRC_E_GZIP;
		cases++;
	};
	same(gz, "intact");
	// Truncated anywhere, in both members.
	x = 7;
	for (int i = 0; i < 24; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		size_t cut = 1 + (size_t)((x >> 33) % (gz.size() - 1));
		same(gz.substr(0, cut), "cut at " + std::to_string(cut));
	}
	// One byte changed anywhere (header, deflate data, trailer).
	for (int i = 0; i < 40; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		std::string d = gz;
		size_t at = (size_t)((x >> 33) % d.size());
		d[at] = (char)(d[at] ^ (1 + ((x >> 20) % 255)));
		same(d, "byte " + std::to_string(at) + " changed");
	}
	same(gz + "junk after the last member\n", "garbage after");
	std::remove(path.c_str());
	// Much of the damage was seen as gzip damage (not only as bad records).
	EXPECT_GT(gzip_errors, cases / 4);
}

TEST(TrcReader, PlainFileLargerThanOneBlock)
{
	std::string text = kPrelude;
	// Long lines straddle the 64 KiB read blocks.
	for (int i = 0; i < 3000; i++)
		text += "ioctl $vm X data=[\"" + std::string(300, 'x') + "\"] n=" + std::to_string(i) + "\n";
	const std::string path = trctest::TempPath("plain.trace");
	trctest::Spit(path, text);
	auto res = trctest::ReadFile(path);
	std::remove(path.c_str());
	ASSERT_EQ(res.rc, TRC_EOF) << res.err.msg;
	EXPECT_EQ(res.records.size(), 3003u);
}

TEST(TrcReader, FileThatDoesNotExistIsAnIoError)
{
	trc_reader *r = reinterpret_cast<trc_reader *>(1);
	trc_error err{};
	EXPECT_EQ(trc_reader_open("/nonexistent/dir/x.trace", nullptr, &r, &err), TRC_E_IO);
	EXPECT_EQ(r, nullptr);
	EXPECT_EQ(err.code, TRC_E_IO);
	EXPECT_EQ(err.line, 0u);
	EXPECT_STREQ(err.file, "/nonexistent/dir/x.trace");
	EXPECT_NE(std::string(err.msg).find("cannot open"), std::string::npos);
	EXPECT_EQ(trc_exit_status(err.code), 1);
}

// -------------------------------------------------------- limits, misc

TEST(TrcReader, LineExactlyAtTheLimitIsAccepted)
{
	auto opt = trctest::Options(40);
	std::string line = "config k=" + std::string(40 - 9, 'a');
	ASSERT_EQ(line.size(), 40u);
	auto res = ReadText("smmutrace 1\n" + line + "\r\n", &opt);
	EXPECT_EQ(res.rc, TRC_EOF) << res.err.msg;
	EXPECT_EQ(res.records.size(), 2u);
}

TEST(TrcReader, AccessorsRejectOtherKinds)
{
	Reader rd(std::string(kPrelude) + "ioctl $vm X a=1 b=NAME c=5us\n");
	const trc_record *rec = rd.AtLine(4);
	ASSERT_NE(rec, nullptr) << rd.error();
	uint64_t u = 42;
	EXPECT_EQ(trc_value_u64(trc_record_arg(rec, "b"), &u), TRC_E_TYPE);
	EXPECT_EQ(trc_value_u64(trc_record_arg(rec, "missing"), &u), TRC_E_TYPE);
	EXPECT_EQ(u, 42u);
	EXPECT_EQ(trc_value_ps(trc_record_arg(rec, "a"), &u), TRC_E_TYPE);
	EXPECT_EQ(trc_value_ps(trc_record_arg(rec, "c"), &u), TRC_OK);
	EXPECT_EQ(u, 5000000u);
	EXPECT_EQ(trc_value_str(trc_record_arg(rec, "a")), nullptr);
	EXPECT_STREQ(trc_value_str(trc_record_arg(rec, "b")), "NAME");
	EXPECT_EQ(trc_value_is(trc_record_arg(rec, "b"), "NAM"), 0);
	EXPECT_EQ(trc_record_arg(rec, "missing"), nullptr);
	EXPECT_EQ(trc_record_result(rec, "ok"), nullptr);
	EXPECT_EQ(trc_record_word(rec, 2), nullptr);
	EXPECT_NE(trc_record_word(rec, 1), nullptr);
}

TEST(TrcReader, EofIsStickyAndReportsNoError)
{
	Reader rd("smmutrace 1\n");
	ASSERT_NE(rd.AtLine(1), nullptr);
	const trc_record *rec = reinterpret_cast<const trc_record *>(1);
	EXPECT_EQ(trc_reader_next(rd.get(), &rec), TRC_EOF);
	EXPECT_EQ(rec, nullptr);
	EXPECT_EQ(trc_reader_next(rd.get(), &rec), TRC_EOF);
	EXPECT_EQ(trc_reader_error(rd.get())->code, TRC_OK);
}

TEST(TrcReader, OptionsWithoutSizeAreRejected)
{
	trc_reader_options opt{};
	trc_reader *r = nullptr;
	trc_error err{};
	EXPECT_EQ(trc_reader_open_mem("smmutrace 1\n", 12, "x", &opt, &r, &err), TRC_E_INVAL);
	EXPECT_EQ(r, nullptr);
	EXPECT_EQ(err.code, TRC_E_INVAL);
}

TEST(TrcReader, ContractExampleFile)
{
	auto res = trctest::ReadFile(TRC_VALID_DIR "/contract-example.trace");
	ASSERT_EQ(res.rc, TRC_EOF) << res.err.file << ":" << res.err.line << ":" << res.err.col << ": " << res.err.msg;
	EXPECT_EQ(res.records.size(), 25u);
	EXPECT_EQ(res.records[22], "dma/world @duration:10000000ps:10us w:name:nic0 addr=int:16:0x80001000 len=int:10:0x40 dir=name:read -> ok=none");
}

TEST(TrcReader, FileCheckCountsRecords)
{
	uint64_t n = 0;
	trc_error err{};
	EXPECT_EQ(trc_file_check(TRC_VALID_DIR "/bare-metal.trace", nullptr, &n, &err), TRC_OK) << err.msg;
	EXPECT_EQ(n, 12u);
	EXPECT_EQ(trc_file_check(TRC_MALFORMED_DIR "/unknown-verb.trace", nullptr, &n, &err), TRC_E_SCHEMA);
	EXPECT_EQ(n, 1u);
	EXPECT_EQ(err.line, 3u);
}
