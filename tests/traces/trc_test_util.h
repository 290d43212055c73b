// trc_test_util.h - helpers shared by the trace library tests: read a whole
// trace from a string, describe records in a kind-tagged form independent of
// the writer (so round-trip tests compare structure, not the writer with
// itself), gzip in memory with zlib, and small file utilities.
#ifndef TRC_TEST_UTIL_H
#define TRC_TEST_UTIL_H

#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "trc/trace.h"

namespace trctest {

// "int:16:0x1000", "name:nic0", "list[int:10:1,var:x]" ... Every field the
// reader sets (kind, radix, suffix, unit, count, text, items) appears.
inline std::string DescribeValue(const trc_value &v)
{
	std::ostringstream o;
	o << trc_kind_name(v.kind);
	switch (v.kind) {
	case TRC_INT:
		o << ':' << int(v.radix) << ':' << std::hex << "0x" << v.u << std::dec;
		if (v.shift)
			o << ":shift" << int(v.shift);
		break;
	case TRC_DURATION:
		o << ':' << v.u << "ps:" << v.count << trc_unit_name(trc_unit(v.unit));
		break;
	case TRC_LIST:
		o << '[';
		for (size_t i = 0; i < v.nitems; i++)
			o << (i ? "," : "") << DescribeValue(v.items[i]);
		o << ']';
		break;
	case TRC_FLAGS:
		o << ':' << v.s << '{';
		for (size_t i = 0; i < v.nitems; i++)
			o << (i ? "," : "") << v.items[i].s;
		o << '}';
		break;
	case TRC_NONE:
		break;
	default:
		o << ':' << std::string(v.s, v.len);
		break;
	}
	return o.str();
}

inline std::string Describe(const trc_record &r)
{
	std::ostringstream o;
	o << trc_verb_name(r.verb) << '/' << trc_section_name(r.section);
	if (r.stamp)
		o << " @" << DescribeValue(*r.stamp);
	for (size_t i = 0; i < r.nwords; i++)
		o << " w:" << DescribeValue(r.words[i]);
	for (size_t i = 0; i < r.nargs; i++)
		o << ' ' << r.args[i].key << '=' << DescribeValue(r.args[i].value);
	if (r.nresults)
		o << " ->";
	for (size_t i = 0; i < r.nresults; i++)
		o << ' ' << r.results[i].key << '=' << DescribeValue(r.results[i].value);
	return o.str();
}

// The dma a general record says, as the reader's lane gives it (struct
// trc_dma; dev_line left 0): false for a record of a form the lane never
// takes (a $variable, a list, several results ...).
inline bool DmaOfRecord(const trc_record &r, trc_dma &d)
{
	d = trc_dma{};
	if (r.verb != TRC_VERB_DMA || r.nresults > 1 || r.nwords < 1 ||
	    r.words[0].kind != TRC_NAME)
		return false;
	d.line = r.line;
	d.col = r.col;
	d.dev = r.words[0].s;
	d.dev_len = r.words[0].len;
	d.dev_col = r.words[0].col;
	if (r.stamp) {
		d.has_stamp = 1;
		d.stamp_ps = r.stamp->u;
	}
	for (size_t i = 1; i < r.nwords; i++) {
		if (trc_value_is(&r.words[i], "priv"))
			d.priv = 1;
		else if (trc_value_is(&r.words[i], "exec"))
			d.exec = 1;
		else
			return false;
	}
	for (size_t i = 0; i < r.nargs; i++) {
		const trc_arg &a = r.args[i];
		if (!strcmp(a.key, "dir")) {
			d.write = trc_value_is(&a.value, "write");
			continue;
		}
		if (a.value.kind != TRC_INT)
			return false;
		if (!strcmp(a.key, "addr")) {
			d.addr = a.value.u;
		} else if (!strcmp(a.key, "len")) {
			d.len = a.value.u;
		} else if (!strcmp(a.key, "ssid")) {
			d.ssid = a.value.u;
			d.ssid_col = a.value.col;
			d.has_ssid = 1;
		}
	}
	if (r.nresults) {
		const trc_arg &a = r.results[0];
		d.res_col = a.col;
		if (a.value.kind == TRC_NONE && !strcmp(a.key, "ok")) {
			d.result = TRC_DMA_RES_OK;
		} else if (a.value.kind == TRC_NONE && !strcmp(a.key, "abort")) {
			d.result = TRC_DMA_RES_ABORT;
		} else if (a.value.kind == TRC_INT && !strcmp(a.key, "pa")) {
			d.result = TRC_DMA_RES_PA;
			d.pa = a.value.u;
		} else if (a.value.kind == TRC_NAME && !strcmp(a.key, "fault")) {
			d.result = TRC_DMA_RES_FAULT;
			d.fault = a.value.s;
			d.fault_len = a.value.len;
		} else {
			return false;
		}
	}
	return true;
}

struct ReadResult {
	int rc = TRC_OK;           // final code: TRC_EOF when all went well
	trc_error err{};
	std::vector<std::string> records;  // Describe() of each record
};

inline trc_reader_options Options(size_t max_line = 0, uint64_t cycle_ps = 0)
{
	trc_reader_options o;
	trc_reader_options_init(&o);
	if (max_line)
		o.max_line = max_line;
	if (cycle_ps)
		o.cycle_ps = cycle_ps;
	return o;
}

// Every record of r through trc_reader_next (lane false) or
// trc_reader_next_dma (lane true): on_dma(d, rec) for what the lane took,
// on_record(rec) for the others. Returns how the reading ended (TRC_EOF or
// the error's code).
template <class OnDma, class OnRecord>
int ReadEach(trc_reader *r, bool lane, OnDma on_dma, OnRecord on_record)
{
	const trc_record *rec;
	trc_dma d;
	for (;;) {
		int rc = lane ? trc_reader_next_dma(r, &rec, &d) : trc_reader_next(r, &rec);
		if (rc == TRC_DMA)
			on_dma(d, rec);
		else if (rc == TRC_OK)
			on_record(*rec);
		else
			return rc;
	}
}

inline ReadResult ReadReader(trc_reader *r)
{
	ReadResult res;
	const trc_record *rec;
	while ((res.rc = trc_reader_next(r, &rec)) == TRC_OK)
		res.records.push_back(Describe(*rec));
	res.err = *trc_reader_error(r);
	trc_reader_close(r);
	return res;
}

inline ReadResult ReadText(const std::string &text, const trc_reader_options *opt = nullptr,
			   const char *name = "t.trace")
{
	trc_reader *r = nullptr;
	ReadResult res;
	res.rc = trc_reader_open_mem(text.data(), text.size(), name, opt, &r, &res.err);
	if (res.rc != TRC_OK)
		return res;
	return ReadReader(r);
}

inline ReadResult ReadFile(const std::string &path, const trc_reader_options *opt = nullptr)
{
	trc_reader *r = nullptr;
	ReadResult res;
	res.rc = trc_reader_open(path.c_str(), opt, &r, &res.err);
	if (res.rc != TRC_OK)
		return res;
	return ReadReader(r);
}

// gzip of text, split into deflate blocks at each offset in flush_at (each a
// Z_FULL_FLUSH point); *flush_offsets receives the compressed size at each.
inline std::string Gzip(const std::string &text, const std::vector<size_t> &flush_at = {},
			std::vector<size_t> *flush_offsets = nullptr)
{
	z_stream zs{};
	if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		throw std::runtime_error("deflateInit2");
	std::string out;
	unsigned char chunk[1 << 14];
	size_t pos = 0;
	std::vector<size_t> cuts = flush_at;
	cuts.push_back(text.size());
	for (size_t ci = 0; ci < cuts.size(); ci++) {
		const bool last = ci + 1 == cuts.size();
		zs.next_in = (Bytef *)(text.data() + pos);
		zs.avail_in = (uInt)(cuts[ci] - pos);
		int ret;
		do {
			zs.next_out = chunk;
			zs.avail_out = sizeof(chunk);
			ret = deflate(&zs, last ? Z_FINISH : Z_FULL_FLUSH);
			out.append((const char *)chunk, sizeof(chunk) - zs.avail_out);
		} while (last ? ret != Z_STREAM_END : zs.avail_out == 0);
		pos = cuts[ci];
		if (!last && flush_offsets)
			flush_offsets->push_back(out.size());
	}
	deflateEnd(&zs);
	return out;
}

inline std::string Slurp(const std::string &path)
{
	std::ifstream f(path, std::ios::binary);
	std::ostringstream o;
	o << f.rdbuf();
	return o.str();
}

inline void Spit(const std::string &path, const std::string &data)
{
	std::ofstream f(path, std::ios::binary | std::ios::trunc);
	f << data;
}

// A scratch path unique to this test binary and name.
inline std::string TempPath(const std::string &name)
{
	const char *dir = std::getenv("TMPDIR");
	return std::string(dir ? dir : "/tmp") + "/trc_test_" + std::to_string(::getpid()) + "_" + name;
}

inline int StringSink(void *ctx, const void *data, size_t len)
{
	static_cast<std::string *>(ctx)->append(static_cast<const char *>(data), len);
	return 0;
}

// Canonical text of a trace given as text, through the writer.
inline std::string Canonical(const std::string &text, int *rc_out = nullptr, bool gzip = false)
{
	trc_reader *r = nullptr;
	trc_writer *w = nullptr;
	trc_error err;
	std::string out;
	int rc = trc_reader_open_mem(text.data(), text.size(), "c.trace", nullptr, &r, &err);
	if (rc == TRC_OK)
		rc = trc_writer_open_sink(StringSink, &out, gzip, nullptr, &w, &err);
	const trc_record *rec;
	while (rc == TRC_OK && (rc = trc_reader_next(r, &rec)) == TRC_OK)
		rc = trc_writer_put(w, rec);
	if (w) {
		int wrc = trc_writer_close(w);
		if (rc == TRC_EOF)
			rc = wrc;
	}
	if (rc == TRC_EOF)
		rc = TRC_OK;
	trc_reader_close(r);
	if (rc_out)
		*rc_out = rc;
	return out;
}

}  // namespace trctest

#endif
