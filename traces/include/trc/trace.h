/*
 * trc/trace.h - read and write "smmutrace v1" text traces (plain or gzip).
 *
 * The format itself is described in traces/FORMAT.md; this header is the
 * programming interface. Plain C11, usable from C++. No global state: every
 * object is a handle created and destroyed by the caller, and every error is
 * reported through a return code plus a struct trc_error (never printed).
 *
 * Reading, in short:
 *
 *	struct trc_reader *r;
 *	struct trc_error err;
 *	const struct trc_record *rec;
 *	int rc;
 *
 *	if (trc_reader_open("x.trace.gz", NULL, &r, &err) != TRC_OK)
 *		-> report err (trc_error_format), exit status trc_exit_status(err.code)
 *	while ((rc = trc_reader_next(r, &rec)) == TRC_OK) {
 *		if (rec->verb == TRC_VERB_DMA) {
 *			uint64_t addr;
 *			trc_value_u64(trc_record_arg(rec, "addr"), &addr);
 *			const char *dev = trc_value_str(trc_record_word(rec, 0));
 *			...
 *		}
 *	}
 *	if (rc != TRC_EOF) -> report *trc_reader_error(r)
 *	trc_reader_close(r);
 *
 * A record and everything it points to stay valid until the next
 * trc_reader_next() or trc_reader_close() on the same reader.
 */
#ifndef TRC_TRACE_H
#define TRC_TRACE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Highest trace version this library reads and writes. */
#define TRC_VERSION_MAJOR 1
#define TRC_VERSION_MINOR 0

/*
 * Return codes. Fixed numbers: never renumbered or reused.
 * TRC_OK and TRC_EOF are not errors; every error is negative.
 */
enum trc_code {
	TRC_OK = 0,
	TRC_EOF = 1,          /* trc_reader_next(): no more records */
	TRC_E_INVAL = -1,     /* API misuse: NULL handle, bad option, unwritable value */
	TRC_E_NOMEM = -2,     /* allocation failed */
	TRC_E_IO = -3,        /* cannot open, read or write a file, or the sink failed */
	TRC_E_GZIP = -4,      /* corrupt or truncated gzip stream */
	TRC_E_SYNTAX = -5,    /* malformed token or value (number, string, list ...) */
	TRC_E_LIMIT = -6,     /* a reader limit was passed (max_line, list depth) */
	TRC_E_VERSION = -7,   /* missing or wrong smmutrace header, newer major version */
	TRC_E_SCHEMA = -8,    /* unknown verb or key, record in the wrong section,
	                         missing or unexpected word or key, undeclared name */
	TRC_E_ORDER = -9,     /* time stamps decrease */
	TRC_E_VAR = -10,      /* variable used before it is bound, or bound twice */
	TRC_E_TYPE = -11,     /* value accessor used on a value of another kind */
	TRC_DMA = 2,          /* trc_reader_next_dma(): a plain dma record, in *dma */
};

/* Short description of a code ("malformed value", "corrupt gzip" ...). */
const char *trc_strerror(int code);

/*
 * The exit status a tool reports for a code, following the replay contract:
 * 0 for TRC_OK/TRC_EOF/TRC_DMA, 1 for usage and I/O errors (INVAL, NOMEM, IO, TYPE),
 * 2 for a malformed trace (GZIP, SYNTAX, LIMIT, VERSION, SCHEMA, ORDER, VAR).
 */
int trc_exit_status(int code);

/*
 * Where and why something failed. line and col are 1-based; col counts bytes
 * (a tab is one column). Both are 0 when the error is not tied to a position
 * (e.g. the file cannot be opened).
 */
struct trc_error {
	int code;             /* enum trc_code */
	char file[256];       /* the name given to the reader/writer (may be truncated) */
	uint32_t line, col;
	char msg[256];        /* what was found and what was expected */
};

/*
 * Format "file:line:col: error: msg" (or "file: error: msg" without a
 * position) into buf, snprintf-style: returns the length the full text needs,
 * writes at most size bytes including the terminating NUL.
 */
size_t trc_error_format(const struct trc_error *err, char *buf, size_t size);

/* ---------------------------------------------------------------- values */

enum trc_kind {
	TRC_NONE = 0,         /* no value: a bare result such as `ok` or `abort` */
	TRC_INT = 1,          /* u = value (already scaled by a K/M/G/T suffix) */
	TRC_DURATION = 2,     /* u = picoseconds; count and unit = as written */
	TRC_NAME = 3,         /* s = [A-Za-z_][A-Za-z0-9_.]* */
	TRC_FLAGS = 4,        /* s = "A|B|C" as written; items = the names (TRC_NAME) */
	TRC_VAR = 5,          /* s = variable name without the '$' */
	TRC_LIST = 6,         /* items[0..nitems) */
	TRC_STRING = 7,       /* s = unescaped contents of "..." */
	TRC_WORD = 8,         /* s = any other bare text: paths (/dev/kvm), hyphenated
	                         names (cross-domain), operators (==), BDFs (0000:01:00.0) */
};

enum trc_unit {
	TRC_UNIT_NONE = 0,
	TRC_UNIT_NS = 1,
	TRC_UNIT_US = 2,
	TRC_UNIT_MS = 3,
	TRC_UNIT_S = 4,
	TRC_UNIT_CYC = 5,     /* cycles; ps = count * cycle_ps of the reader */
};

/*
 * One value. Strings (s) are NUL-terminated and len is their length; they
 * never contain a NUL byte. Fields that do not apply to the kind are zero.
 */
struct trc_value {
	enum trc_kind kind;
	uint8_t radix;        /* TRC_INT: 10 or 16 as written (0 = writer's choice: hex) */
	uint8_t shift;        /* TRC_INT: suffix as a shift (K=10, M=20, G=30, T=40) or 0 */
	uint8_t unit;         /* TRC_DURATION: enum trc_unit as written */
	uint32_t line, col;   /* where the value starts (0 for values built by hand) */
	uint64_t u;           /* TRC_INT value, TRC_DURATION picoseconds */
	uint64_t count;       /* TRC_DURATION: the number written before the unit */
	const char *s;
	size_t len;
	const struct trc_value *items;
	size_t nitems;
};

/*
 * Accessors. Each takes a possibly-NULL value (so that the result of a
 * lookup can be passed straight in) and returns TRC_E_TYPE when the value is
 * NULL or of another kind.
 */
int trc_value_u64(const struct trc_value *v, uint64_t *out);   /* TRC_INT */
int trc_value_ps(const struct trc_value *v, uint64_t *out);    /* TRC_DURATION */
/* The text of a NAME, FLAGS, VAR, STRING or WORD; NULL for other kinds or NULL v. */
const char *trc_value_str(const struct trc_value *v);
/* A value as a parameter's text (what a `config`/`smmu` header gives a
 * setting): an integer in decimal, a duration in ps ("1500ps"), a NAME,
 * FLAGS, STRING or WORD as written. Returns buf, or NULL for other kinds. */
const char *trc_value_setting(const struct trc_value *v, char *buf, size_t len);
/* 1 if v is a NAME, FLAGS, STRING or WORD whose text equals text, else 0. */
int trc_value_is(const struct trc_value *v, const char *text);

/* Builders for writers (the recorder): values that point to caller memory. */
struct trc_value trc_value_make_int(uint64_t u);          /* written in hex */
struct trc_value trc_value_make_dec(uint64_t u);          /* written in decimal */
struct trc_value trc_value_make_name(const char *s);
struct trc_value trc_value_make_flags(const char *s);     /* "A|B" */
struct trc_value trc_value_make_var(const char *name);    /* without '$' */
struct trc_value trc_value_make_string(const char *s);
struct trc_value trc_value_make_word(const char *s);
struct trc_value trc_value_make_list(const struct trc_value *items, size_t n);
/* count in unit; cycle_ps is used only for TRC_UNIT_CYC (0 = 1000). */
struct trc_value trc_value_make_duration(uint64_t count, enum trc_unit unit, uint64_t cycle_ps);

const char *trc_kind_name(enum trc_kind kind);             /* "int", "duration" ... */
const char *trc_unit_name(enum trc_unit unit);             /* "ns" ... "" for NONE */

/* --------------------------------------------------------------- records */

/* Verbs of v1. Fixed numbers: new verbs (minor versions) are appended. */
enum trc_verb {
	TRC_VERB_UNKNOWN = 0,     /* never produced by the reader */
	/* header records */
	TRC_VERB_SMMUTRACE = 1,
	TRC_VERB_CONFIG = 2,
	TRC_VERB_SMMU = 3,
	TRC_VERB_DEVICE = 4,
	TRC_VERB_MEMORY = 5,
	/* process records */
	TRC_VERB_OPEN = 6,
	TRC_VERB_CLOSE = 7,
	TRC_VERB_MMAP = 8,
	TRC_VERB_IOCTL = 9,
	TRC_VERB_READ = 10,
	/* world records */
	TRC_VERB_DMA = 11,
	TRC_VERB_ATS = 12,
	TRC_VERB_GUEST = 13,
	TRC_VERB_VCPU = 14,
	TRC_VERB_CPU = 15,
	TRC_VERB_MMIO = 16,
	TRC_VERB_MEM = 17,
	TRC_VERB_WAIT = 18,
	TRC_VERB_EXPECT = 19,
	/* v1.1: the host kernel's DMA API (a process record of the kernel) */
	TRC_VERB_DMAAPI = 20,
	/* v1.2: PCIe Page Requests (world) and write() on an fd (process) */
	TRC_VERB_PRI = 21,
	TRC_VERB_WRITE = 22,
	/* v1.3: an eventfd of a process (process) */
	TRC_VERB_EVENTFD = 23,
	/* v1.4: a memfd of a process (process) */
	TRC_VERB_MEMFD = 24,
	TRC_VERB_COUNT_ = 25      /* one past the last verb */
};

enum trc_section {
	TRC_SECTION_HEADER = 0,
	TRC_SECTION_PROCESS = 1,
	TRC_SECTION_WORLD = 2,
};

const char *trc_verb_name(enum trc_verb verb);             /* "dma"; NULL if unknown */
enum trc_verb trc_verb_from_name(const char *name);        /* TRC_VERB_UNKNOWN if unknown */
enum trc_section trc_verb_section(enum trc_verb verb);
const char *trc_section_name(enum trc_section section);    /* "header" ... */

/*
 * A key=value argument or a result. For a bare result (`ok`, `abort`) key is
 * the word and value.kind is TRC_NONE. In results, value.kind == TRC_VAR is a
 * binding (`-> fd=$f`); any other value is an assertion (`err=ENOENT` is an
 * assertion on the key "err").
 */
struct trc_arg {
	const char *key;
	uint32_t line, col;   /* where the key starts */
	struct trc_value value;
};

/*
 * One record: [@stamp] verb words... key=value... [-> results...].
 * Positional words keep their order (for `mmio smmu0 write 0x20`: words[0] =
 * NAME smmu0, words[1] = NAME write, words[2] = INT 0x20); key=value
 * arguments keep theirs. For `smmutrace 1.2` words[0] is the WORD "1.2".
 */
struct trc_record {
	enum trc_verb verb;
	const char *verb_name;                /* writer: may be NULL, then derived from verb */
	enum trc_section section;
	uint32_t line, col;                   /* where the record starts */
	const struct trc_value *stamp;        /* TRC_DURATION, or NULL without @TIME */
	const struct trc_value *words;
	size_t nwords;
	const struct trc_arg *args;
	size_t nargs;
	const struct trc_arg *results;        /* after `->` */
	size_t nresults;
};

/* Lookups: NULL when absent (or out of range). */
const struct trc_value *trc_record_word(const struct trc_record *rec, size_t i);
const struct trc_value *trc_record_arg(const struct trc_record *rec, const char *key);
/* A result's value; for a bare result (`ok`) a value of kind TRC_NONE. */
const struct trc_value *trc_record_result(const struct trc_record *rec, const char *key);
/* 1 if one of the positional words (NAME or WORD) is `word` (`priv`, `exec`). */
int trc_record_has_word(const struct trc_record *rec, const char *word);
/* 1 if the record has a stamp, storing it in *ps. */
int trc_record_stamp_ps(const struct trc_record *rec, uint64_t *ps);

/* ---------------------------------------------------------------- reader */

/* Options: start from trc_reader_options_init(); fields added later go last. */
struct trc_reader_options {
	uint32_t size;        /* sizeof(struct trc_reader_options) */
	uint64_t cycle_ps;    /* picoseconds per `cyc` (default 1000: 1 GHz) */
	size_t max_line;      /* longest accepted line in bytes, without its
	                         newline (default 1 MiB) */
};

void trc_reader_options_init(struct trc_reader_options *opt);

struct trc_reader;

/*
 * Open a trace file (text, or gzip whatever its name: detected by the magic
 * bytes 0x1f 0x8b). path "-" reads standard input (named "<stdin>" in
 * errors; read as it comes, so a pipe of any length is fine; not closed).
 * opt may be NULL for the defaults. On failure *out is NULL, err (if not
 * NULL) is filled and the code is returned.
 */
int trc_reader_open(const char *path, const struct trc_reader_options *opt,
		    struct trc_reader **out, struct trc_error *err);

/*
 * Same over a caller buffer (text or gzip), which must outlive the reader.
 * name is used in error messages (NULL: "<memory>").
 */
int trc_reader_open_mem(const void *buf, size_t len, const char *name,
			const struct trc_reader_options *opt,
			struct trc_reader **out, struct trc_error *err);

/*
 * Parse the next record. Returns TRC_OK with *rec set, TRC_EOF at the end, or
 * an error code (details in trc_reader_error()). Errors are sticky: later
 * calls return the same code. The first record returned is always the
 * `smmutrace` header.
 */
int trc_reader_next(struct trc_reader *r, const struct trc_record **rec);

/*
 * The first min(len, 8) bytes of a name, little-endian, zero-padded: with
 * the length, what the reader compares a name by before reading a stored
 * copy (for a name of up to 8 bytes, all of it). A caller keeping names
 * of its own (a device table) can compare the same way.
 */
static inline uint64_t trc_name_head(const char *name, size_t len)
{
	uint64_t h = 0;
	size_t i, n = len < 8 ? len : 8;

	for (i = 0; i < n; i++)
		h |= (uint64_t)(unsigned char)name[i] << (8 * i);
	return h;
}

/*
 * The hot record of long traces, taken without building a trc_record: a
 * `dma` line of the plain form
 *
 *	[@STAMP] dma DEV [priv] [exec] addr=N len=N dir=read|write [ssid=N]
 *		[-> ok | abort | pa=N | fault=NAME]
 *
 * (words and keys in any order, each key once, N a plain integer: hex or
 * decimal with '_', no K/M/G/T suffix, no $variable, no comment). It is checked exactly
 * as trc_reader_next() checks it (header first, device declared, stamps in
 * order). Strings point into the reader's line buffer and are NOT
 * NUL-terminated; they stay valid until the next call.
 */
struct trc_dma {
	uint32_t line, col;       /* where the record starts */
	uint32_t dev_col, res_col;/* the device name; the result (0 without one) */
	uint32_t ssid_col;        /* ssid='s value (with has_ssid) */
	uint32_t dev_line;        /* the line of the device record declaring DEV */
	const char *dev;          /* the device name, dev_len bytes */
	size_t dev_len;
	uint64_t stamp_ps;        /* with has_stamp */
	uint64_t addr, len, ssid; /* ssid with has_ssid */
	uint64_t pa;              /* result pa= */
	const char *fault;        /* result fault=NAME, fault_len bytes */
	size_t fault_len;
	uint8_t has_stamp, has_ssid, write, priv, exec;
	uint8_t result;           /* enum trc_dma_result */
	uint32_t len_col;         /* len='s value */
	uint64_t dev_head;        /* trc_name_head(dev, dev_len) */
};

enum trc_dma_result {
	TRC_DMA_RES_NONE = 0,
	TRC_DMA_RES_OK = 1,
	TRC_DMA_RES_ABORT = 2,
	TRC_DMA_RES_PA = 3,
	TRC_DMA_RES_FAULT = 4,
};

/*
 * trc_reader_next(), except that a dma record of the plain form above is
 * returned as TRC_DMA with *dma filled (and *rec NULL). Every other record
 * (including a dma of another form) comes back as TRC_OK in *rec, as
 * trc_reader_next() gives it. The two may be mixed on one reader.
 */
int trc_reader_next_dma(struct trc_reader *r, const struct trc_record **rec, struct trc_dma *dma);

/* The last error (code TRC_OK when there was none). */
const struct trc_error *trc_reader_error(const struct trc_reader *r);

/* Version from the header (0.0 before it was read). */
void trc_reader_version(const struct trc_reader *r, unsigned *major, unsigned *minor);

/* Lines read so far (the line of the last record returned, or beyond). */
uint32_t trc_reader_line(const struct trc_reader *r);

void trc_reader_close(struct trc_reader *r);

/* ---------------------------------------------------------------- writer */

/* Where written bytes go: return 0 on success, non-zero to fail the writer. */
typedef int (*trc_sink_fn)(void *ctx, const void *data, size_t len);

struct trc_writer_options {
	uint32_t size;        /* sizeof(struct trc_writer_options) */
	uint64_t cycle_ps;    /* for durations in cyc (default 1000) */
	int gzip_level;       /* zlib level 1..9 (default 6) when writing gzip */
};

void trc_writer_options_init(struct trc_writer_options *opt);

struct trc_writer;

/* Create/truncate path; gzip != 0 writes a gzip stream. opt may be NULL. */
int trc_writer_open(const char *path, int gzip, const struct trc_writer_options *opt,
		    struct trc_writer **out, struct trc_error *err);

/* Write to a callback (called with large blocks, and at close). */
int trc_writer_open_sink(trc_sink_fn sink, void *ctx, int gzip,
			 const struct trc_writer_options *opt,
			 struct trc_writer **out, struct trc_error *err);

/*
 * Append one record in canonical form: one line, `@<count><unit>` stamp in
 * its unit when exact, words, then key=value arguments, then ` -> ` and
 * results; integers in the radix they were read in (hex with `_` every four
 * digits, or decimal) with their K/M/G/T suffix when exact, strings
 * re-escaped. Reading the output again gives the same records. Returns
 * TRC_E_INVAL for a record that cannot be written (bad name, string with a
 * newline, duration not a whole number of ns or cycles); the writer stays
 * usable after such an error, nothing of that record was written.
 */
int trc_writer_put(struct trc_writer *w, const struct trc_record *rec);

/* Append `# text` (text must not contain a newline). */
int trc_writer_put_comment(struct trc_writer *w, const char *text);

/* The last error. */
const struct trc_error *trc_writer_error(const struct trc_writer *w);

/* Flush, end the gzip stream, close the file, free. Returns the first error. */
int trc_writer_close(struct trc_writer *w);

/*
 * Canonical text of one record, without the newline, snprintf-style:
 * returns the length needed (writes at most size bytes with the NUL), or
 * (size_t)-1 if the record cannot be written. cycle_ps 0 = 1000.
 */
size_t trc_record_format(const struct trc_record *rec, uint64_t cycle_ps, char *buf, size_t size);

/* ---------------------------------------------------------- whole files */

/*
 * Read every record of path (checks it completely). *nrecords (if not NULL)
 * gets the number of records read. Returns TRC_OK or the error.
 */
int trc_file_check(const char *path, const struct trc_reader_options *opt,
		   uint64_t *nrecords, struct trc_error *err);

/*
 * Write the canonical text of every record of path (decompressed) to sink:
 * what `smmusim dump FILE` prints. Comments and blank lines are dropped.
 * Returns TRC_OK, or the read or write error.
 */
int trc_file_dump(const char *path, const struct trc_reader_options *opt,
		  trc_sink_fn sink, void *ctx, struct trc_error *err);

#ifdef __cplusplus
}
#endif

#endif /* TRC_TRACE_H */
