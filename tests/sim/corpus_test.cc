// corpus_test.cc - smmusim over the trace corpora of other directories:
// every malformed trace (tests/traces/malformed, whose first line says
// `# expect: LINE:COL fragment`) must give exit status 2 and name :LINE:COL
// from both `check` and `replay`; every example (traces/examples) must
// replay with exit status 0. Files are listed at run time, so new traces
// are covered without touching this test.
#include <gtest/gtest.h>

#include <dirent.h>
#include <zlib.h>

#include <algorithm>

#include "run_util.h"
#include "sc_gtest_main.h"

namespace {

std::vector<std::string> TracesIn(const std::string &dir)
{
	std::vector<std::string> out;
	if (DIR *d = opendir(dir.c_str())) {
		while (dirent *e = readdir(d)) {
			std::string n = e->d_name;
			if ((n.size() > 6 && n.compare(n.size() - 6, 6, ".trace") == 0) ||
			    (n.size() > 9 && n.compare(n.size() - 9, 9, ".trace.gz") == 0))
				out.push_back(dir + "/" + n);
		}
		closedir(d);
	}
	std::sort(out.begin(), out.end());
	return out;
}

// The first line, decompressed if the file starts with the gzip magic.
// Inflates by hand rather than through gzgets: a corrupt stream still yields
// the text before the damage, and the expectation is in that text.
std::string FirstLine(const std::string &path)
{
	std::string raw = read_file(path), text;
	if (raw.size() >= 2 && (uint8_t)raw[0] == 0x1f && (uint8_t)raw[1] == 0x8b) {
		z_stream zs{};
		if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
			return "";
		char out[4096];
		zs.next_in = reinterpret_cast<Bytef *>(&raw[0]);
		zs.avail_in = (uInt)raw.size();
		int rc;
		do {
			zs.next_out = reinterpret_cast<Bytef *>(out);
			zs.avail_out = sizeof(out);
			rc = inflate(&zs, Z_SYNC_FLUSH);
			text.append(out, sizeof(out) - zs.avail_out);
		} while (rc == Z_OK && text.find('\n') == std::string::npos);
		inflateEnd(&zs);
	} else {
		text = raw;
	}
	std::string s = text.substr(0, text.find('\n'));
	if (!s.empty() && s.back() == '\r')
		s.pop_back();
	return s;
}

} // namespace

TEST(SimCorpus, MalformedTracesExitTwoNamingTheirPosition)
{
	std::vector<std::string> files = TracesIn(SIM_MALFORMED_DIR);
	ASSERT_FALSE(files.empty()) << "no traces in " << SIM_MALFORMED_DIR;
	for (const std::string &f : files) {
		std::string first = FirstLine(f);
		ASSERT_EQ(first.rfind("# expect: ", 0), 0u) << f << ": first line is '" << first << "'";
		std::string pos = ":" + first.substr(10, first.find(' ', 10) - 10) + ":";
		for (const char *cmd : {"check", "replay"}) {
			SCOPED_TRACE(std::string(cmd) + " " + f);
			RunResult r = run(SMMUSIM_EXE, {cmd, f});
			EXPECT_EQ(r.status, 2) << r.err;
			EXPECT_NE(r.err.find(pos), std::string::npos) << "expected " << pos << " in: " << r.err;
		}
	}
}

TEST(SimCorpus, ExamplesReplayCleanly)
{
	for (const std::string &f : TracesIn(SIM_EXAMPLES_DIR)) {
		SCOPED_TRACE(f);
		RunResult r = run(SMMUSIM_EXE, {"replay", f});
		EXPECT_EQ(r.status, 0) << r.err << r.out;
		r = run(SMMUSIM_EXE, {"check", f});
		EXPECT_EQ(r.status, 0) << r.err;
	}
}
