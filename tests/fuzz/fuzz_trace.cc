// fuzz_trace.cc - libFuzzer target: the trace reader over arbitrary bytes
// (text, or gzip when the input starts with the magic), and the writer on
// everything the reader accepted. Each record read is written in canonical
// form to a text and to a gzip writer; both outputs are read back and must
// give the same records (compared by canonical text) and end cleanly. The
// reader must answer every input with records, TRC_EOF or an error with a
// message: a crash, a sanitizer report or a round-trip difference is a
// defect. The same bytes are also read through the dma lane
// (trc_reader_next_dma): it must give the same records - each plain dma
// line as the record the general path gives for it - and the same ending,
// error position and message included.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <string>
#include <vector>

#include "trc/trace.h"
#include "../traces/trc_test_util.h"

namespace {

void defect(const char *what, const std::string &detail)
{
	fprintf(stderr, "fuzz_trace: defect: %s\n%s\n", what, detail.c_str());
	abort();
}

int to_string(void *ctx, const void *data, size_t len)
{
	static_cast<std::string *>(ctx)->append(static_cast<const char *>(data), len);
	return 0;
}

std::string canonical(const trc_record *rec)
{
	size_t n = trc_record_format(rec, 0, nullptr, 0);
	if (n == (size_t)-1)
		return std::string();
	std::string s(n + 1, '\0');
	trc_record_format(rec, 0, &s[0], s.size());
	s.resize(n);
	return s;
}

// Read every record; returns their canonical texts and the final code.
int read_all(const void *buf, size_t len, std::vector<std::string> &out, std::string *err)
{
	trc_reader *r = nullptr;
	trc_error e{};
	int rc = trc_reader_open_mem(buf, len, "fuzz", nullptr, &r, &e);
	if (rc != TRC_OK) {
		if (e.msg[0] == '\0')
			defect("open failed without a message", "");
		return rc;
	}
	const trc_record *rec;
	while ((rc = trc_reader_next(r, &rec)) == TRC_OK)
		out.push_back(canonical(rec));
	if (rc != TRC_EOF) {
		const trc_error *re = trc_reader_error(r);
		if (re->code != rc || re->msg[0] == '\0')
			defect("an error without its code or message", re->msg);
		if (re->line == 0 && rc != TRC_E_GZIP && rc != TRC_E_IO && rc != TRC_E_NOMEM)
			defect("a malformed-trace error without a line", re->msg);
		if (err)
			*err = re->msg;
	}
	trc_reader_close(r);
	return rc;
}

// What a dma says, the same from either path ("" when a record has a form
// the lane never takes: then its canonical text stands for it).
std::string dma_text(const trc_dma &d)
{
	// room for the names (a device or event name may be long) and the rest
	std::vector<char> buf(512 + d.dev_len + (d.result == TRC_DMA_RES_FAULT ? d.fault_len : 0));
	char *b = buf.data();
	int n = snprintf(b, buf.size(), "dma %u:%u %.*s@%u line%u stamp%d:%llu addr%llu len%llu w%d p%d x%d ssid%d:%llu@%u r%d@%u pa%llu f%.*s",
			 d.line, d.col, (int)d.dev_len, d.dev, d.dev_col, d.dev_line, d.has_stamp,
			 (unsigned long long)(d.has_stamp ? d.stamp_ps : 0), (unsigned long long)d.addr,
			 (unsigned long long)d.len, d.write, d.priv, d.exec, d.has_ssid,
			 (unsigned long long)(d.has_ssid ? d.ssid : 0), d.has_ssid ? d.ssid_col : 0,
			 d.result, d.res_col,
			 (unsigned long long)(d.result == TRC_DMA_RES_PA ? d.pa : 0),
			 d.result == TRC_DMA_RES_FAULT ? (int)d.fault_len : 0,
			 d.result == TRC_DMA_RES_FAULT ? d.fault : "");
	return std::string(b, n > 0 ? std::min((size_t)n, buf.size() - 1) : 0);
}

std::string general_dma_text(const trc_record *rec, uint32_t dev_line)
{
	trc_dma d;
	if (!trctest::DmaOfRecord(*rec, d))
		return "";
	d.dev_line = dev_line;
	return dma_text(d);
}

struct Ending {
	int rc;
	trc_error err;
};

// Every record of buf through trc_reader_next (lane 0) or _dma (lane 1):
// descriptions, and how the reading ended. The general path's dma records
// get the declaring line the lane reports for their device (device records
// seen so far, by name).
std::vector<std::string> read_described(const void *buf, size_t len, bool lane, Ending &end)
{
	std::vector<std::string> out;
	std::vector<std::pair<std::string, uint32_t>> devices;
	trc_reader *r = nullptr;
	end.err = trc_error{};
	end.rc = trc_reader_open_mem(buf, len, "fuzz", nullptr, &r, &end.err);
	if (end.rc != TRC_OK)
		return out;
	end.rc = trctest::ReadEach(
	    r, lane, [&](const trc_dma &d, const trc_record *) { out.push_back(dma_text(d)); },
	    [&](const trc_record &rec) {
		    if (rec.verb == TRC_VERB_DEVICE && rec.nwords && rec.words[0].s)
			    devices.emplace_back(rec.words[0].s, rec.line);
		    uint32_t dl = 0;
		    if (rec.verb == TRC_VERB_DMA && rec.nwords && rec.words[0].s)
			    for (const auto &dv : devices)
				    if (dv.first == rec.words[0].s)
					    dl = dv.second;
		    std::string t = general_dma_text(&rec, dl);
		    out.push_back(t.empty() ? canonical(&rec) : t);
	    });
	end.err = *trc_reader_error(r);
	trc_reader_close(r);
	return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	// The dma lane against the general path.
	Ending eg, el;
	std::vector<std::string> g = read_described(data, size, false, eg);
	std::vector<std::string> l = read_described(data, size, true, el);
	if (g != l || eg.rc != el.rc || eg.err.line != el.err.line || eg.err.col != el.err.col ||
	    strcmp(eg.err.msg, el.err.msg) != 0) {
		std::string d = "codes " + std::to_string(eg.rc) + " / " + std::to_string(el.rc) + ": " +
				eg.err.msg + " / " + el.err.msg;
		for (size_t i = 0; i < g.size() || i < l.size(); i++) {
			const std::string a = i < g.size() ? g[i] : "<none>";
			const std::string b = i < l.size() ? l[i] : "<none>";
			if (a != b) {
				d += "\nrecord " + std::to_string(i) + ":\n  general: " + a + "\n  lane:    " + b;
				break;
			}
		}
		defect("the dma lane and the general path disagree", d);
	}

	trc_reader *r = nullptr;
	if (trc_reader_open_mem(data, size, "fuzz", nullptr, &r, nullptr) != TRC_OK)
		return 0;
	std::string text, gz;
	trc_writer *wt = nullptr, *wg = nullptr;
	if (trc_writer_open_sink(to_string, &text, 0, nullptr, &wt, nullptr) != TRC_OK ||
	    trc_writer_open_sink(to_string, &gz, 1, nullptr, &wg, nullptr) != TRC_OK)
		defect("writer open failed", "");
	std::vector<std::string> first;
	const trc_record *rec;
	int rc;
	while ((rc = trc_reader_next(r, &rec)) == TRC_OK) {
		std::string c = canonical(rec);
		if (c.empty())
			defect("a record the reader accepted has no canonical text", "");
		first.push_back(c);
		if (trc_writer_put(wt, rec) != TRC_OK || trc_writer_put(wg, rec) != TRC_OK)
			defect("the writer refused a record the reader accepted", c);
	}
	trc_reader_close(r);
	if (trc_writer_close(wt) != TRC_OK || trc_writer_close(wg) != TRC_OK)
		defect("writer close failed", "");
	if (first.empty())
		return 0;
	for (const std::string *out : {&text, &gz}) {
		std::vector<std::string> again;
		std::string err;
		int rc2 = read_all(out->data(), out->size(), again, &err);
		if (rc2 != TRC_EOF)
			defect(out == &text ? "re-reading the text output failed"
					    : "re-reading the gzip output failed",
			       err + "\n" + *out);
		if (again != first) {
			std::string d;
			for (size_t i = 0; i < first.size() || i < again.size(); i++) {
				const std::string a = i < first.size() ? first[i] : "<none>";
				const std::string b = i < again.size() ? again[i] : "<none>";
				if (a != b) {
					d = "record " + std::to_string(i) + ":\n  read:    " + a +
					    "\n  re-read: " + b;
					break;
				}
			}
			defect("round trip changed a record", d);
		}
	}
	return 0;
}
