// fuzz_trace.cc - libFuzzer target: the trace reader over arbitrary bytes
// (text, or gzip when the input starts with the magic), and the writer on
// everything the reader accepted. Each record read is written in canonical
// form to a text and to a gzip writer; both outputs are read back and must
// give the same records (compared by canonical text) and end cleanly. The
// reader must answer every input with records, TRC_EOF or an error with a
// message: a crash, a sanitizer report or a round-trip difference is a
// defect.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "trc/trace.h"

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

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
