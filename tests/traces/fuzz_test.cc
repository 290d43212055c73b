// fuzz_test.cc - deterministic mutation fuzzing of the reader: a few
// thousand seeded mutations (byte flips, insertions, deletions, splices of
// tokens that matter to the grammar) of a valid trace, plain and gzip, fed
// to the reader from memory. The reader must only ever answer TRC_OK,
// TRC_EOF or a malformed-trace error with a position and a message; memory
// errors are for ASan/UBSan (run these under the sanitizer build).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

#include "trc/trace.h"
#include "trc_test_util.h"

namespace {

std::string Seed()
{
	return trctest::Slurp(TRC_VALID_DIR "/all-verbs.trace") +
	       "ioctl $kvm X data=[[0x1,2],[\"s\",$vm]] flags=A|B|C s=\"q\\\"\\\\\" w=/a/b\n"
	       "@2s dma nic0 addr=0xffff_ffff_ffff_ffff len=1T dir=read -> pa=0x1 ok\n";
}

const char *const kTokens[] = {
	"[", "]", ",", "\"", "\\", "$", "@", "->", "=", "|", "#", " ", "\t", "\r\n", "\n", "0x",
	"_", "K", "T", "cyc", "ns", "99999999999999999999", "[[[[[[[[", "$kvm", "smmutrace 2\n",
	"device", "dma", "\x1f\x8b", "" /* a NUL byte */, "\xff",
};

std::string Mutate(const std::string &in, std::mt19937_64 &rng)
{
	std::string s = in;
	int n = 1 + int(rng() % 4);
	for (int k = 0; k < n && !s.empty(); k++) {
		size_t pos = size_t(rng() % s.size());
		switch (rng() % 6) {
		case 0:
			s[pos] = char(s[pos] ^ (1u << (rng() % 8)));
			break;
		case 1:
			s[pos] = char(rng() % 256);
			break;
		case 2:
			s.erase(pos, 1 + size_t(rng() % 8));
			break;
		case 3: {
			std::string tok = kTokens[rng() % (sizeof(kTokens) / sizeof(kTokens[0]))];
			if (tok.empty())
				tok = std::string(1, '\0');
			s.insert(pos, tok);
			break;
		}
		case 4: {
			// Duplicate a random slice somewhere else (repeats lines, keys, bindings).
			size_t len = size_t(rng() % 64);
			std::string slice = s.substr(pos, len);
			s.insert(size_t(rng() % s.size()), slice);
			break;
		}
		default:
			s.resize(pos);  // truncate
			break;
		}
	}
	return s;
}

// Reads every byte of every string and item a value points to.
size_t TouchValue(const trc_value &v)
{
	size_t n = 1;
	if (v.s)
		n += strlen(v.s) + (v.len == strlen(v.s) ? 0 : 1000000);
	for (size_t i = 0; i < v.nitems; i++)
		n += TouchValue(v.items[i]);
	return n;
}

size_t Touch(const trc_record &r)
{
	size_t n = strlen(r.verb_name);
	if (r.stamp)
		n += TouchValue(*r.stamp);
	for (size_t i = 0; i < r.nwords; i++)
		n += TouchValue(r.words[i]);
	for (size_t i = 0; i < r.nargs; i++)
		n += strlen(r.args[i].key) + TouchValue(r.args[i].value);
	for (size_t i = 0; i < r.nresults; i++)
		n += strlen(r.results[i].key) + TouchValue(r.results[i].value);
	EXPECT_LT(n, 1000000u) << "a value whose len disagrees with its text, line " << r.line;
	return n;
}

bool IsAllowed(int rc)
{
	return rc == TRC_EOF || trc_exit_status(rc) == 2;
}

// Reads everything; returns the final code and checks the error is well formed.
int Drain(const std::string &data, size_t max_line, uint64_t *records)
{
	trc_reader_options opt = trctest::Options(max_line);
	trc_reader *r = nullptr;
	trc_error err{};
	int rc = trc_reader_open_mem(data.data(), data.size(), "fuzz", &opt, &r, &err);
	EXPECT_EQ(rc, TRC_OK);
	if (rc)
		return rc;
	const trc_record *rec;
	*records = 0;
	while ((rc = trc_reader_next(r, &rec)) == TRC_OK) {
		(*records)++;
		// Touch everything the record points to (cheaply: this runs under ASan).
		size_t touched = Touch(*rec);
		EXPECT_GT(touched, 0u);
		char buf[256];
		EXPECT_NE(trc_record_format(rec, 0, buf, sizeof(buf)), size_t(-1)) << rec->line;
	}
	if (rc != TRC_EOF) {
		const trc_error *e = trc_reader_error(r);
		EXPECT_EQ(e->code, rc);
		EXPECT_GE(e->line, 1u);
		EXPECT_GE(e->col, 1u);
		EXPECT_GT(strlen(e->msg), 0u);
		EXPECT_EQ(trc_reader_next(r, &rec), rc) << "errors are sticky";
	}
	trc_reader_close(r);
	return rc;
}

}  // namespace

TEST(TrcFuzz, SeedTraceIsValid)
{
	uint64_t n = 0;
	EXPECT_EQ(Drain(Seed(), 0, &n), TRC_EOF);
	EXPECT_GT(n, 40u);
}

TEST(TrcFuzz, MutatedTextOnlyYieldsOkEofOrMalformed)
{
	const std::string seed = Seed();
	std::mt19937_64 rng(0x5eed);
	int errors = 0, clean = 0;
	for (int i = 0; i < 4000; i++) {
		std::string m = Mutate(seed, rng);
		uint64_t n = 0;
		int rc = Drain(m, (i % 7 == 0) ? 48 : 0, &n);
		ASSERT_TRUE(IsAllowed(rc)) << "iteration " << i << ": " << rc << " " << trc_strerror(rc);
		(rc == TRC_EOF ? clean : errors)++;
	}
	// The mutations reach the error paths, and some survive: both sides exercised.
	EXPECT_GT(errors, 2000);
	EXPECT_GT(clean, 20);
}

TEST(TrcFuzz, MutatedGzipOnlyYieldsOkEofOrMalformed)
{
	const std::string gz = trctest::Gzip(Seed());
	std::mt19937_64 rng(0xd1ce);
	int gzip_errors = 0;
	for (int i = 0; i < 1500; i++) {
		std::string m = gz;
		// Keep the magic so the gzip path is taken; damage the rest.
		std::string tail = Mutate(m.substr(2), rng);
		m = m.substr(0, 2) + tail;
		uint64_t n = 0;
		int rc = Drain(m, 0, &n);
		ASSERT_TRUE(IsAllowed(rc)) << "iteration " << i << ": " << rc;
		gzip_errors += rc == TRC_E_GZIP;
	}
	EXPECT_GT(gzip_errors, 500);
}
