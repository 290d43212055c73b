// dma_lane_test.cc - trc_reader_next_dma(): the plain dma lines it takes
// are the records trc_reader_next() gives for them, field by field, and what
// it does not take (other forms, every error) comes back exactly as
// trc_reader_next() reports it. Checked on a list of forms and by a seeded
// differential run over many random dma lines, valid and broken.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "trc/trace.h"
#include "trc_test_util.h"

namespace {

const char kHeader[] = "smmutrace 1.2\n"
		       "smmu smmu0\n"
		       "device d0 smmu=smmu0 sid=1\n"
		       "device nic.1 smmu=smmu0 sid=2\n"
		       "device _x smmu=smmu0 sid=3\n";

// One description for a dma from either path; any other record (or a dma
// the lane cannot express: variables, several results, lists ...) falls
// back to the generic description, which the lane never produces.
std::string DescribeDma(const trc_dma &d)
{
	std::ostringstream o;
	o << "dma L" << d.line << ':' << d.col << " dev=" << std::string(d.dev, d.dev_len) << '@'
	  << d.dev_col;
	if (d.has_stamp)
		o << " @" << d.stamp_ps;
	o << " addr=" << d.addr << " len=" << d.len << " dir=" << (d.write ? "write" : "read");
	if (d.has_ssid)
		o << " ssid=" << d.ssid << '@' << d.ssid_col;
	if (d.priv)
		o << " priv";
	if (d.exec)
		o << " exec";
	switch (d.result) {
	case TRC_DMA_RES_OK: o << " -> ok@" << d.res_col; break;
	case TRC_DMA_RES_ABORT: o << " -> abort@" << d.res_col; break;
	case TRC_DMA_RES_PA: o << " -> pa=" << d.pa << '@' << d.res_col; break;
	case TRC_DMA_RES_FAULT:
		o << " -> fault=" << std::string(d.fault, d.fault_len) << '@' << d.res_col;
		break;
	default: break;
	}
	return o.str();
}

std::string DescribeAny(const trc_record &r)
{
	trc_dma d;
	return trctest::DmaOfRecord(r, d) ? DescribeDma(d) : trctest::Describe(r);
}

struct LaneRun {
	int rc = 0;
	trc_error err{};
	std::vector<std::string> recs;
	size_t lane = 0; // records taken by the lane
	std::vector<uint32_t> dev_lines; // of the lane's records
};

LaneRun Read(const std::string &text, bool lane)
{
	LaneRun run;
	trc_reader *r = nullptr;
	run.rc = trc_reader_open_mem(text.data(), text.size(), "t.trace", nullptr, &r, &run.err);
	if (run.rc != TRC_OK)
		return run;
	run.rc = trctest::ReadEach(
	    r, lane,
	    [&](const trc_dma &d, const trc_record *rec) {
		    EXPECT_EQ(rec, nullptr);
		    run.recs.push_back(DescribeDma(d));
		    run.dev_lines.push_back(d.dev_line);
		    run.lane++;
	    },
	    [&](const trc_record &rec) { run.recs.push_back(DescribeAny(rec)); });
	run.err = *trc_reader_error(r);
	trc_reader_close(r);
	return run;
}

void ExpectSame(const std::string &text, const LaneRun &a, const LaneRun &b)
{
	ASSERT_EQ(a.rc, b.rc) << text;
	EXPECT_EQ(a.recs, b.recs) << text;
	EXPECT_EQ(a.err.code, b.err.code) << text;
	EXPECT_EQ(a.err.line, b.err.line) << text;
	EXPECT_EQ(a.err.col, b.err.col) << text;
	EXPECT_STREQ(a.err.msg, b.err.msg) << text;
}

TEST(DmaLane, TakesThePlainFormsAsTheRecordsSay)
{
	const char *lines[] = {
		"dma d0 addr=0x4000_1fc0 len=64 dir=read",
		"dma d0 addr=4096 len=0x40 dir=write",
		"dma  nic.1\taddr=0x10 len=1 dir=read   ",
		"@10us dma d0 addr=0x1 len=1 dir=read",
		"@10us dma d0 addr=0x1 len=1 dir=read",
		"@30000cyc dma d0 addr=0x1 len=1 dir=read -> ok",
		"@30001ns dma _x priv exec addr=0x1 len=1 dir=write ssid=3 -> abort",
		"dma d0 dir=read len=8 addr=0xffff_ffff_ffff_ffff -> pa=0x8000_0000",
		"dma d0 addr=0x0 exec len=8 dir=read ssid=0xffff_ffff_f -> fault=F_TRANSLATION",
		"dma d0 addr=0 len=0 dir=read",
		// The writers' form (read straight through), and lines that
		// start as it and then differ (the argument loop reads them).
		"dma d0 addr=0x40001e00 len=64 dir=read",
		"dma nic.1 addr=0x7f4000001000 len=4096 dir=write",
		"dma d0 addr=0x1 len=1 dir=read ",
		"dma d0 addr=0x1 len=1 dir=write\t",
		"dma d0 addr=0x1 len=1 dir=read ssid=1",
		"dma d0 addr=0x1 len=1 dir=write priv",
		"dma d0 addr=0x1 len=1 dir=read -> ok",
		"dma d0 addr=0x1 len=1  dir=read",
		"dma d0 addr=0x1 len=0x40 dir=read",
		"dma d0 addr=0x1_0000 len=1_024 dir=read",
		// the straight-through form's numbers: eight hex digits and a
		// ninth, a length of seven digits (read eight bytes at a time) and
		// of eight and more (read digit by digit), leading zeros
		"dma d0 addr=0x40001fc0 len=1234567 dir=read",
		"dma d0 addr=0x123456789 len=0064 dir=write",
		"dma d0 addr=0x4000abcd len=12345678 dir=read",
		"dma d0 addr=12345678901 len=100000000000 dir=write",
		"dma d0 addr=0xFFFFffff len=9 dir=read",
	};
	std::string text = kHeader;
	for (const char *l : lines)
		text += std::string(l) + "\n";
	LaneRun lane = Read(text, true), gen = Read(text, false);
	ExpectSame(text, lane, gen);
	EXPECT_EQ(lane.rc, TRC_EOF) << lane.err.msg;
	EXPECT_EQ(lane.lane, sizeof(lines) / sizeof(lines[0]));
	EXPECT_EQ(gen.lane, 0u);
	// Each names the line of its device's record (d0 3, nic.1 4, _x 5).
	EXPECT_EQ(lane.dev_lines,
		  (std::vector<uint32_t>{3, 3, 4, 3, 3, 3, 5, 3, 3, 3, 3, 4, 3, 3, 3, 3, 3, 3, 3, 3,
					 3, 3, 3, 3, 3}));
}

TEST(DmaLane, LeavesOtherFormsAndErrorsToTheGeneralPath)
{
	// Each line after the header on its own: not taken by the lane, and
	// read (or refused) exactly as trc_reader_next() does.
	const char *lines[] = {
		"dma d0 addr=4K len=1 dir=read",             // suffix
		"dma d0 addr=0x1 len=1 dir=read # note",     // comment
		"dma d0 addr=0x1 len=1 dir=read -> pa=$p",   // binding
		"dma d0 addr=0x1 len=1 dir=read -> ok pa=0x1", // two results
		"dma d0 addr=0x1 len=1 dir=rw",              // bad choice
		"dma d0 addr=0x1 len=1",                     // missing dir
		"dma d0 addr=0x1 addr=0x2 len=1 dir=read",   // duplicate key
		"dma d9 addr=0x1 len=1 dir=read",            // undeclared device
		"dma d0 addr=0x1 len=1 dir=read foo=1",      // unknown key
		"dma d0 addr=0x1 len=1 dir=read bogus",      // unknown word
		"dma d0 addr=0x11112222333344445 len=1 dir=read", // 17 hex digits
		"dma d0 addr=0x1 len=1 dir=read ->",         // arrow without result
		"dma d0 addr=0x1 len=1 dir=read -> maybe",   // unknown result
		" dma d0 addr=0x1 len=1 dir=read",           // leading blank
		"dma d0 addr=0x1 len=1 dir=read=x",
		"dma d0 addr=0x1g len=1 dir=read",
		"dma 0x1 addr=0x1 len=1 dir=read",
		"dma",
		// The writers' form but for one byte.
		"dma d0 addr=0x1 len=1 dir=readx",
		"dma d0 addr=0x1 len=1 dir=writ",
		"dma d0 addr=0x1 len=1 dir=write=1",
		"dma d0 addr=0x1 len=1 dir=Read",
		"dma d0 addr=0x1 len=1 dir=",
		"dma d0 addr=0x1 len= dir=read",
		"dma d0 addr=0x1 len=1x dir=read",
		"dma d0 addr= len=1 dir=read",
		"dma d0 addr=0x1 len=1 dir=read len=2",
		"dma d0 addr=0x1 len=99999999999999999999 dir=read",
	};
	for (const char *l : lines) {
		std::string text = std::string(kHeader) + l + "\n";
		LaneRun lane = Read(text, true), gen = Read(text, false);
		ExpectSame(text, lane, gen);
		EXPECT_EQ(lane.lane, 0u) << l;
	}
	// A NUL byte inside the line; a stamp earlier than the last one; a dma
	// before the header.
	std::string nul = std::string(kHeader) + "dma d0 addr=0x1 len=1 dir=read";
	nul += '\0';
	nul += " x\n";
	std::string order = std::string(kHeader) + "@2us dma d0 addr=0x1 len=1 dir=read\n" +
			    "@1us dma d0 addr=0x1 len=1 dir=read\n";
	std::string first = "dma d0 addr=0x1 len=1 dir=read\n";
	for (const std::string &text : {nul, order, first}) {
		LaneRun lane = Read(text, true), gen = Read(text, false);
		ExpectSame(text, lane, gen);
		EXPECT_NE(lane.rc, TRC_EOF);
	}
}

// Random dma lines from pieces that are right most of the time: the lane
// must agree with the general path on every record and every error.
TEST(DmaLane, AgreesWithTheGeneralPathOnRandomLines)
{
	std::mt19937_64 rng(0x5EEDD3A);
	const char *devs[] = {"d0", "nic.1", "_x", "d1", "0d"};
	const char *nums[] = {"0x0", "0x4000_1fc0", "17", "1_000", "0xffff_ffff_ffff_ffff", "4K",
			      "0x", "99999999999999999999", "$v", "0x1_", "007"};
	const char *dirs[] = {"read", "write", "rw", "$d", "read,"};
	const char *results[] = {"ok", "abort", "pa=0x1000", "fault=F_TRANSLATION", "pa=$p",
				 "fault=0", "ok abort", "", "pa=1M"};
	const char *seps[] = {" ", " ", " ", "\t", "  "};
	size_t taken = 0, lines = 0;
	for (int round = 0; round < 600; round++) {
		std::string text = kHeader;
		uint64_t stamp = 0;
		// Half the rounds nearly clean (a trace stops at its first error),
		// half noisy.
		const uint64_t rare = round % 2 ? 200 : 10;
		for (int k = 0; k < 40; k++) {
			auto pick = [&](auto &arr) { return arr[rng() % (sizeof(arr) / sizeof(arr[0]))]; };
			std::string l;
			if (rng() % 4 == 0) {
				stamp += rng() % 3 == 0 ? 0 : (rng() % 5);
				uint64_t s = rng() % rare == 0 ? stamp - 1 : stamp;
				l += "@" + std::to_string(s) + (rng() % 2 ? "ns" : "cyc") + " ";
			}
			l += "dma";
			l += pick(seps);
			l += rng() % rare == 0 ? devs[rng() % 5] : rng() % 4 ? "d0" : "nic.1";
			std::vector<std::string> toks;
			if (rng() % rare)
				toks.push_back(std::string("addr=") + (rng() % rare ? "0x1000" : pick(nums)));
			if (rng() % rare)
				toks.push_back(std::string("len=") + (rng() % rare ? "64" : pick(nums)));
			if (rng() % rare)
				toks.push_back(std::string("dir=") +
					       (rng() % rare ? (rng() % 2 ? "read" : "write") : pick(dirs)));
			if (rng() % 4 == 0)
				toks.push_back(std::string("ssid=") + (rng() % rare ? "0x3" : pick(nums)));
			if (rng() % 6 == 0)
				toks.push_back(rng() % 2 ? "priv" : "exec");
			if (rng() % rare == 0)
				toks.push_back(toks.empty() ? "addr=1" : toks[rng() % toks.size()]);
			std::shuffle(toks.begin(), toks.end(), rng);
			for (const std::string &t : toks)
				l += pick(seps) + t;
			if (rng() % 3 == 0)
				l += std::string(" ->") + (rng() % rare ? " " : "") +
				     (rng() % rare ? results[rng() % 4] : pick(results));
			if (rng() % rare == 0)
				l.insert(rng() % l.size(), 1, "#=\0,"[rng() % 4]);
			text += l + "\n";
			lines++;
		}
		LaneRun lane = Read(text, true), gen = Read(text, false);
		ExpectSame(text, lane, gen);
		if (HasFailure())
			return;
		taken += lane.lane;
	}
	// Most lines are plain, so the lane took a good share of them.
	EXPECT_GT(taken, lines / 4) << taken << " of " << lines;
}

// The writers' form reads an address's hex digits eight bytes at a time:
// every digit count from 1 to 18, digits of both cases, and every kind of
// byte that can follow them (the form's blank, bytes just outside the digit
// and letter ranges, '_', non-ASCII, the text's end) give the record (or
// the error) trc_reader_next() gives, each line a trace of its own.
TEST(DmaLane, HexAddressesAsTheGeneralPathReadsThem)
{
	std::mt19937_64 rng(0xA11CE);
	const char digits[] = "0123456789abcdefABCDEF";
	const char *after[] = {" len=64 dir=read\n", " len=8 dir=write\n", "/ len=1 dir=read\n",
			       ": len=1 dir=read\n", "@ len=1 dir=read\n", "G len=1 dir=read\n",
			       "` len=1 dir=read\n", "g len=1 dir=read\n", "_1 len=1 dir=read\n",
			       "\x80 len=1 dir=read\n", "\xc3\xa9 len=1 dir=read\n", "\tlen=1 dir=read\n",
			       " len=1 dir=read", "\n", ""};
	size_t taken = 0, form = 0;
	for (unsigned n = 1; n <= 18; n++) {
		for (int k = 0; k < 12; k++) {
			std::string hex;
			for (unsigned i = 0; i < n; i++)
				hex += digits[rng() % (sizeof(digits) - 1)];
			for (const char *a : after) {
				std::string text = std::string(kHeader) + "dma d0 addr=0x" + hex + a;
				LaneRun lane = Read(text, true), gen = Read(text, false);
				ExpectSame(text, lane, gen);
				if (HasFailure())
					return;
				taken += lane.lane;
				if (n <= 16 && (a == after[0] || a == after[1])) {
					form++;
					EXPECT_EQ(lane.lane, 1u) << text;
					ASSERT_FALSE(lane.recs.empty()) << text;
					std::ostringstream want;
					want << " addr=" << std::stoull(hex, nullptr, 16) << " ";
					EXPECT_NE(lane.recs.back().find(want.str()), std::string::npos)
					    << text << lane.recs.back();
				}
			}
		}
	}
	EXPECT_EQ(form, 16u * 12 * 2);
	EXPECT_GE(taken, form);
}

// Line ends the lane does not take itself: CRLF, the last line without a
// newline, a line over max_line; and lines split across the reader's
// buffer refills (a large trace read in blocks).
TEST(DmaLane, LineEndsAndBufferBoundaries)
{
	std::string crlf = std::string(kHeader) + "dma d0 addr=0x1 len=1 dir=read\r\n" +
			   "dma d0 addr=0x2 len=1 dir=write \r\n";
	std::string last = std::string(kHeader) + "dma d0 addr=0x1 len=1 dir=read\n" +
			   "dma d0 addr=0x2 len=1 dir=read";
	for (const std::string &text : {crlf, last}) {
		LaneRun lane = Read(text, true), gen = Read(text, false);
		ExpectSame(text, lane, gen);
		EXPECT_EQ(lane.rc, TRC_EOF) << lane.err.msg;
	}
	// A max_line of 64: a long dma line is refused exactly as the general
	// path refuses it.
	std::string longl = std::string(kHeader) + "dma d0 addr=0x1 len=1 dir=read" +
			    std::string(100, ' ') + "\n";
	trc_reader_options o = trctest::Options(64);
	for (bool use_lane : {true, false}) {
		trc_reader *r = nullptr;
		trc_error e{};
		ASSERT_EQ(trc_reader_open_mem(longl.data(), longl.size(), "t", &o, &r, &e), TRC_OK);
		const trc_record *rec;
		trc_dma d;
		int rc;
		while ((rc = use_lane ? trc_reader_next_dma(r, &rec, &d) : trc_reader_next(r, &rec)) ==
			       TRC_OK ||
		       rc == TRC_DMA)
			;
		EXPECT_EQ(rc, TRC_E_LIMIT);
		EXPECT_EQ(trc_reader_error(r)->line, 6u);
		trc_reader_close(r);
	}
	// 200k lines of varying length, plain and gzip: every buffer boundary
	// falls somewhere inside a line.
	std::string big = kHeader;
	std::mt19937_64 rng(7);
	for (int i = 0; i < 200000; i++)
		big += "dma d0 addr=0x" + std::to_string(rng() % 100000) + " len=" +
		       std::to_string(1 + rng() % 4096) + std::string(rng() % 3, ' ') +
		       (rng() % 2 ? " dir=read" : " dir=write") + (rng() % 5 ? "" : " -> ok") + "\n";
	for (const std::string &text : {big, trctest::Gzip(big)}) {
		LaneRun lane = Read(text, true), gen = Read(text, false);
		ASSERT_EQ(lane.rc, TRC_EOF) << lane.err.msg;
		EXPECT_EQ(lane.recs, gen.recs);
		// A line the buffer holds only part of goes the general way (it
		// needs the refill); the lane takes the rest.
		EXPECT_GT(lane.lane, 199000u);
	}
}

TEST(DmaLane, NeedsSomewhereToPutTheDma)
{
	// TRC_DMA is a success: exit status 0, and it has a description.
	EXPECT_EQ(trc_exit_status(TRC_DMA), 0);
	EXPECT_NE(std::string(trc_strerror(TRC_DMA)).find("dma"), std::string::npos);
	trc_reader *r = nullptr;
	trc_error e{};
	std::string text = std::string(kHeader) + "dma d0 addr=0x1 len=1 dir=read\n";
	ASSERT_EQ(trc_reader_open_mem(text.data(), text.size(), "t", nullptr, &r, &e), TRC_OK);
	const trc_record *rec;
	EXPECT_EQ(trc_reader_next_dma(r, &rec, nullptr), TRC_E_INVAL);
	trc_reader_close(r);
}

} // namespace
