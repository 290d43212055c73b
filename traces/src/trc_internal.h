/*
 * trc_internal.h - what the trace library's files share and nobody else
 * sees: the arena and name tables (store.c), the line source over plain or
 * gzip input (input.c), the lexer that turns one line into a record
 * (lexer.c), the per-verb checks (schema.c), and the reader state that ties
 * them together (reader.c).
 */
#ifndef TRC_INTERNAL_H
#define TRC_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <isa-l/igzip_lib.h>
#include <zlib.h>

#include "trc/trace.h"

#define TRC_DEFAULT_CYCLE_PS 1000u
#define TRC_DEFAULT_MAX_LINE ((size_t)1 << 20)
/* Lists deeper than this are refused rather than recursed into. */
#define TRC_MAX_LIST_DEPTH 32

/* ------------------------------------------------------------- store.c */

/*
 * Bump allocator. The reader keeps one for the current record (reset, not
 * freed, between records: no malloc per token in steady state) and one for
 * names that live as long as the reader.
 */
struct trc_arena_chunk;
struct trc_arena {
	struct trc_arena_chunk *head, *cur;
};

void *trc_arena_alloc(struct trc_arena *a, size_t n);
char *trc_arena_strdup(struct trc_arena *a, const char *s, size_t len);
void trc_arena_reset(struct trc_arena *a);
void trc_arena_free(struct trc_arena *a);

/* Open-addressed set of names, each with the line that declared it. A
 * name's first 8 bytes are kept in its slot too (trc_name_head): a name of
 * up to 8 bytes is compared without reading its copy, which with tens of
 * thousands of devices is a host cache miss of its own (trace.h). */
struct trc_name_ent {
	const char *name;     /* NULL: empty slot */
	size_t len;
	uint32_t hash;
	uint32_t line;        /* 0: a variable released (may be bound again) */
	uint64_t head;        /* trc_name_head(name, len) */
	uint8_t iova;         /* a variable bound by `dmaapi ... map -> iova=` */
};

/* Does name (len bytes, head trc_name_head(name, len)) equal the stored copy
 * s of the same length and head? Reads s only past its first 8 bytes. */
static inline int trc_name_rest_eq(const char *s, const char *name, size_t len)
{
	return len <= 8 || memcmp(s + 8, name + 8, len - 8) == 0;
}
struct trc_name_table {
	struct trc_name_ent *ents;
	size_t cap, count;
};

/* The entry for name, or NULL. */
const struct trc_name_ent *trc_names_find(const struct trc_name_table *t, const char *name,
					  size_t len);
/* Add name (copied into strings); returns 0, or -1 when out of memory. A
 * released name is bound again in place (its slot and string are reused). */
int trc_names_add(struct trc_name_table *t, struct trc_arena *strings, const char *name,
		  size_t len, uint32_t line);
/* Mark a present name released (line 0): still found, and may be added again. */
/* Release a variable bound by `dmaapi ... map -> iova=` (any other is left
 * bound). */
void trc_names_release(struct trc_name_table *t, const char *name, size_t len);
void trc_names_free(struct trc_name_table *t);

/* Growable array of fixed-size elements, reused across records. */
struct trc_vec {
	void *data;
	size_t n, cap, elem;
};
/* Pointer to a new zeroed element at the end, or NULL when out of memory. */
void *trc_vec_push(struct trc_vec *v);
void trc_vec_free(struct trc_vec *v);

/* ------------------------------------------------------------- input.c */

/*
 * A line source. Text (after gunzip) accumulates in buf; lines are handed
 * out in place, NUL-terminated (the newline is overwritten) and writable, so
 * the lexer can terminate tokens without copying them.
 */
/*
 * The length of the well-formed UTF-8 sequence at p (its first byte >= 0x80)
 * within avail bytes, or 0 (RFC 3629: no overlong form, no surrogate,
 * nothing past U+10FFFF). With avail SIZE_MAX the text must be NUL-ended (a
 * NUL ends any sequence early).
 */
static inline size_t trc_utf8_len(const unsigned char *p, size_t avail)
{
	unsigned c = p[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
	} else {
		return 0;
	}
	if (avail < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Initialized bytes past the text buffer's capacity (see buf). */
#define TRC_INPUT_PAD 32

enum { GZ_IGZIP = 1, GZ_ZLIB = 2 };

struct trc_input {
	/* raw side */
	FILE *fp;
	const unsigned char *mem;
	size_t mem_len, mem_pos;
	unsigned char *raw;       /* file reads (and the sniffed prefix) */
	size_t raw_cap, raw_pos, raw_len;
	int raw_eof;
	int gzip;                 /* 0 plain, GZ_IGZIP or GZ_ZLIB (input.c) */
	int zs_live, member_end;
	z_stream zs;              /* GZ_ZLIB: a pipe */
	struct inflate_state *ig; /* GZ_IGZIP: a regular file or a buffer */
	uint64_t raw_base;        /* offset in the input of raw[0] (files) */
	uint64_t member_off;      /* offset of the current gzip member */
	uint64_t member_out;      /* bytes inflated from it so far */

	/* text side */
	/* buf has cap bytes and TRC_INPUT_PAD more, every byte initialized
	 * (zeroed when allocated): the dma lane reads text 8 bytes at a time
	 * and may load up to 7 bytes past the NUL at buf[end]. */
	char *buf;
	size_t cap, pos, end, scanned;
	size_t block;             /* preferred fill size */
	int text_eof;
	int pending;              /* error met while filling, reported once the text is used */
	char pending_msg[160];
	size_t max_line;

	/* position */
	uint32_t lineno;          /* lines handed out so far */

	/* set on error */
	uint32_t err_line, err_col;
	char err_msg[200];
};

int trc_input_open_file(struct trc_input *in, const char *path, size_t max_line);
int trc_input_open_mem(struct trc_input *in, const void *buf, size_t len, size_t max_line);
/*
 * Next line: TRC_OK with *line (NUL-terminated, writable) and *len (without
 * the newline and a CR before it), TRC_EOF, or an error with err_line,
 * err_col and err_msg set.
 */
int trc_input_line(struct trc_input *in, char **line, size_t *len);
void trc_input_close(struct trc_input *in);

/*
 * trc_input_line() for the usual case, inline in the reader: a whole line
 * already in the buffer and within max_line. Anything else (the buffer to
 * refill, the last line, a line too long, an error) is left, untouched, to
 * trc_input_line().
 */
static inline int trc_input_line_fast(struct trc_input *in, char **line, size_t *len)
{
	char *s = in->buf + in->pos, *nl;
	size_t n;

	if (in->scanned || !(nl = memchr(s, '\n', in->end - in->pos)))
		return trc_input_line(in, line, len);
	n = (size_t)(nl - s);
	if (n > in->max_line)
		return trc_input_line(in, line, len);
	*nl = '\0';
	if (n && s[n - 1] == '\r')
		s[--n] = '\0';
	in->pos += (size_t)(nl - s) + 1;
	in->lineno++;
	*line = s;
	*len = n;
	return TRC_OK;
}

/*
 * The unread text in place, for a reader that takes a line without
 * trc_input_line() (the dma lane): NULL when a line is being assembled
 * (then only trc_input_line() may go on). The text ends with a NUL at
 * buf[end] (kept there by every fill); a lane that takes the line up to
 * and including its newline at offset n calls trc_input_skip(in, n + 1).
 */
static inline const char *trc_input_peek(const struct trc_input *in)
{
	return in->scanned || in->pos == in->end ? NULL : in->buf + in->pos;
}

static inline void trc_input_skip(struct trc_input *in, size_t n)
{
	in->pos += n;
	in->lineno++;
}

/* ---------------------------------------------------- known keys */

/*
 * Every key that schema.c checks for some verb, numbered so that the lexer
 * can name each argument's key once (trc_key_lookup) and the checks can
 * compare and collect small numbers instead of strings: a key matches a
 * spec entry exactly when their numbers are equal, and a record's keys are
 * distinct when their bits are. TRC_KEY_OTHER is any other key (fields of
 * process records, config parameters, unknown keys).
 */
enum trc_key_id {
	TRC_KEY_OTHER = 0,
	TRC_KEY_ADDR, TRC_KEY_ASID, TRC_KEY_ATS, TRC_KEY_BDF, TRC_KEY_CDEV,
	TRC_KEY_COUNT, TRC_KEY_CPU, TRC_KEY_DIR, TRC_KEY_GRANULE, TRC_KEY_GROUP,
	TRC_KEY_IPA, TRC_KEY_LEN, TRC_KEY_PA, TRC_KEY_PERM, TRC_KEY_POOL,
	TRC_KEY_PRI, TRC_KEY_SID, TRC_KEY_SIZE, TRC_KEY_SMMU, TRC_KEY_SNOOP,
	TRC_KEY_SSID, TRC_KEY_SSID_BITS, TRC_KEY_TTB, TRC_KEY_U64, TRC_KEY_VA,
	TRC_KEY_VA_BITS, TRC_KEY_VAL, TRC_KEY_VCPU, TRC_KEY_VMID, TRC_KEY_WIDTH,
	TRC_KEY_VM, TRC_KEY_IOVA, TRC_KEY_PRG,
	TRC_KEY_NUM_
};

/* The number of the key s[0..len), TRC_KEY_OTHER if it is none of them. */
unsigned trc_key_lookup(const char *s, size_t len);

/* Argument keys numbered by the lexer, for the first this many arguments. */
#define TRC_ARGKEY_MAX 64
/* Entries of the reader's cache of declared device names. */
#define TRC_DEVICE_CACHE 16

/* ------------------------------------------------------------ reader.c */

struct trc_reader {
	char name[256];
	struct trc_reader_options opt;
	struct trc_input in;
	struct trc_error err;
	int failed;               /* sticky error code, 0 if none */
	int done;

	struct trc_arena rec_arena;   /* current record */
	struct trc_arena names;       /* variable, device and SMMU names */
	struct trc_vec words, args, results, stack;

	struct trc_record rec;
	struct trc_value stamp;

	/* Semantic state carried from record to record. */
	uint64_t nrecords;
	int in_events;                /* a non-header record was seen */
	unsigned major, minor;
	int have_stamp;
	uint64_t last_stamp_ps;
	uint32_t last_stamp_line;
	struct trc_value last_stamp;
	struct trc_name_table vars, devices, smmus;
	int smmu0_implicit;           /* a device used the default smmu0 */
	uint32_t words_end_col;       /* column just after the verb or last positional word */
	uint32_t args_end_col;        /* column just after the arguments part */

	/*
	 * The current record's argument keys as numbers (lexer.c -> schema.c):
	 * argkey_mask has a bit per known key given, argpos[id] is the index
	 * in args of the argument with key id. argkey_all is set when every
	 * argument has a known key (and there are at most TRC_ARGKEY_MAX of
	 * them), argkey_dup when one of those keys appears twice; otherwise
	 * the checks compare the key strings as text.
	 */
	unsigned char argpos[TRC_KEY_NUM_];
	uint64_t argkey_mask;
	int argkey_all, argkey_dup;
	/* Some word, argument or result of the current record is a $variable or a list. */
	int rec_uses;

	/* Device names found before (schema.c: device_known), by a hash of the name. */
	const char *device_cache[TRC_DEVICE_CACHE];
	size_t device_cache_len[TRC_DEVICE_CACHE];
	uint64_t device_cache_head[TRC_DEVICE_CACHE];
	uint32_t device_cache_line[TRC_DEVICE_CACHE];
	/* The dma lane's last device (names of up to 8 bytes): most DMAs
	 * name the device the previous one did. */
	size_t lane_dev_len;
	uint64_t lane_dev_head;
	uint32_t lane_dev_line;
};

/* Record an error (sticky) and return code. */
int trc_fail(struct trc_reader *r, int code, uint32_t line, uint32_t col, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 5, 6)))
#endif
	;

/* ------------------------------------------------------------ lexer.c */

/*
 * Tokenize one line (modified in place) into r->rec. Returns 1 for a record,
 * 0 for a blank or comment-only line, or an error code.
 */
int trc_lex_line(struct trc_reader *r, char *line, size_t len);

/*
 * A plain dma line (trace.h: struct trc_dma) decoded and checked straight
 * from the unread text (trc_input_peek) into *d: returns the length of the
 * line with its newline when taken, 0 for anything else (then nothing
 * changed, and trc_input_line() and trc_lex_line() take the line).
 */
size_t trc_lex_dma(struct trc_reader *r, const char *text, struct trc_dma *d);

/* ----------------------------------------------------------- schema.c */

/* Section, position and per-verb checks of a lexed record. */
int trc_check_record(struct trc_reader *r, struct trc_record *rec);
/* Verb lookup by text (not NUL-terminated). */
enum trc_verb trc_verb_lookup(const char *s, size_t len);
/* The line of the device record that declared the name s[0..len), or 0. */
uint32_t trc_device_known(struct trc_reader *r, const char *s, size_t len);

/* ------------------------------------------------------------ writer.c */

/* Growable text buffer used by the formatter. */
struct trc_sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

/*
 * Append the canonical text of rec (with a newline if nl) to sb. Returns
 * TRC_OK, TRC_E_NOMEM, or TRC_E_INVAL with why (if not NULL) describing it.
 */
int trc_format_record(struct trc_sbuf *sb, const struct trc_record *rec, uint64_t cycle_ps,
		      int nl, char *why, size_t whylen);

/* ------------------------------------------------------------ record.c */

/* Picoseconds per unit (cyc uses cycle_ps); 0 for TRC_UNIT_NONE. */
uint64_t trc_unit_ps(enum trc_unit unit, uint64_t cycle_ps);
/* Copy a name into an error-struct field, truncating. */
void trc_copy_name(char *dst, size_t size, const char *src);

#endif /* TRC_INTERNAL_H */
