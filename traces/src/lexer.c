/*
 * lexer.c - one line of smmutrace text into one record: the optional
 * @stamp, the verb, positional words, key=value arguments, `->` and results,
 * and every value kind (integers with radix, `_` and K/M/G/T suffix,
 * durations, names, flag sets, $variables, nested lists, strings, words).
 *
 * The line is modified in place: each token is NUL-terminated where it ends
 * and strings are unescaped where they stand, so names and strings in the
 * record point into the line buffer and cost no copy. Only list items and
 * flag names are copied, into the per-record arena.
 *
 * The lexer checks form only (a number is a number, a list is closed).
 * What a verb needs is checked afterwards by schema.c.
 *
 * Two paths give the same records: lex_fast() takes the lines nearly every
 * trace is made of (a verb, then plain names, numbers and $variables, as
 * words, key=value and results) in one pass, and hands anything else - and
 * every error - to the general token loop of trc_lex_line(). Both number
 * the keys of the arguments that schema.c checks (trc_key_lookup), so that
 * the checks compare small numbers rather than strings.
 */
#include <string.h>

#include "trc_internal.h"

/* Character classes, one table lookup per byte on the hot path. */
enum {
	C_NSTART = 1,   /* [A-Za-z_]: may start a name */
	C_NAME = 2,     /* [A-Za-z0-9_.]: may continue a name */
	C_DIGIT = 4,
	C_WORD = 8,     /* may appear in a bare word: graphic ASCII except "#$,[\] and UTF-8 */
	C_END = 16,     /* ends a top-level token: NUL, space, tab, '#' */
	C_LEND = 32,    /* ends a list element: C_END plus ',' and ']' */
	C_BLANK = 64,   /* space, tab */
	C_SEP = 128,    /* space, tab, NUL: what ends a token of the fast path */
};

static const unsigned char cls[256] = {
	176,  0,  0,  0,  0,  0,  0,  0,  0, 240,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	240,  8,  0, 48,  0,  8,  8,  8,  8,  8,  8,  8, 32,  8, 10,  8,
	14, 14, 14, 14, 14, 14, 14, 14, 14, 14,  8,  8,  8,  8,  8,  8,
	 8, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,
	11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,  0,  0, 32,  8, 11,
	 8, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,
	11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,  8,  8,  8,  8,  0,
	 8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,
	 8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,
	 8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,
	 8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,
	 8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,
	 8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,
	 8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,
	 8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,  8,
};

#define CLS(c) (cls[(unsigned char)(c)])

struct lex {
	struct trc_reader *r;
	char *line;
	uint32_t lineno;
};

#define COL(lx, p) ((uint32_t)((p) - (lx)->line) + 1)

/* Length of the token at p as far as a blank or the end: for messages. */
static int excerpt_len(const char *p)
{
	int n = 0;

	while (p[n] && p[n] != ' ' && p[n] != '\t' && n < 48)
		n++;
	return n;
}

static int nomem(struct lex *lx, const char *p)
{
	return trc_fail(lx->r, TRC_E_NOMEM, lx->lineno, COL(lx, p), "out of memory");
}

static unsigned hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return 16;
}

/* Hex digit values, HEX_SEP for '_', 255 for every other byte. */
#define HEX_SEP 16
static const unsigned char hexdig[256] = {
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	  0,   1,   2,   3,   4,   5,   6,   7,   8,   9, 255, 255, 255, 255, 255, 255,
	255,  10,  11,  12,  13,  14,  15, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,  16,
	255,  10,  11,  12,  13,  14,  15, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};

/* Length test first, so memcmp never reads past the key; constant sizes inline. */
#define KEY_IS(lit) (len == sizeof(lit) - 1 && memcmp(s, lit, sizeof(lit) - 1) == 0)

#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline unsigned key_lookup(const char *s, size_t len)
{
	switch (s[0]) {
	case 'a':
		return KEY_IS("addr") ? TRC_KEY_ADDR : KEY_IS("asid") ? TRC_KEY_ASID
			: KEY_IS("ats") ? TRC_KEY_ATS : TRC_KEY_OTHER;
	case 'b':
		return KEY_IS("bdf") ? TRC_KEY_BDF : TRC_KEY_OTHER;
	case 'c':
		return KEY_IS("cdev") ? TRC_KEY_CDEV : KEY_IS("count") ? TRC_KEY_COUNT
			: KEY_IS("cpu") ? TRC_KEY_CPU : TRC_KEY_OTHER;
	case 'd':
		return KEY_IS("dir") ? TRC_KEY_DIR : TRC_KEY_OTHER;
	case 'g':
		return KEY_IS("granule") ? TRC_KEY_GRANULE : KEY_IS("group") ? TRC_KEY_GROUP
			: TRC_KEY_OTHER;
	case 'i':
		return KEY_IS("ipa") ? TRC_KEY_IPA : KEY_IS("iova") ? TRC_KEY_IOVA : TRC_KEY_OTHER;
	case 'l':
		return KEY_IS("len") ? TRC_KEY_LEN : TRC_KEY_OTHER;
	case 'p':
		return KEY_IS("pa") ? TRC_KEY_PA : KEY_IS("perm") ? TRC_KEY_PERM
			: KEY_IS("pool") ? TRC_KEY_POOL : KEY_IS("pri") ? TRC_KEY_PRI
			: KEY_IS("prg") ? TRC_KEY_PRG : TRC_KEY_OTHER;
	case 's':
		return KEY_IS("sid") ? TRC_KEY_SID : KEY_IS("size") ? TRC_KEY_SIZE
			: KEY_IS("smmu") ? TRC_KEY_SMMU : KEY_IS("snoop") ? TRC_KEY_SNOOP
			: KEY_IS("ssid") ? TRC_KEY_SSID : KEY_IS("ssid_bits") ? TRC_KEY_SSID_BITS
			: TRC_KEY_OTHER;
	case 't':
		return KEY_IS("ttb") ? TRC_KEY_TTB : TRC_KEY_OTHER;
	case 'u':
		return KEY_IS("u64") ? TRC_KEY_U64 : TRC_KEY_OTHER;
	case 'v':
		return KEY_IS("va") ? TRC_KEY_VA : KEY_IS("va_bits") ? TRC_KEY_VA_BITS
			: KEY_IS("val") ? TRC_KEY_VAL : KEY_IS("vcpu") ? TRC_KEY_VCPU
			: KEY_IS("vm") ? TRC_KEY_VM : KEY_IS("vmid") ? TRC_KEY_VMID : TRC_KEY_OTHER;
	case 'w':
		return KEY_IS("width") ? TRC_KEY_WIDTH : TRC_KEY_OTHER;
	default:
		return TRC_KEY_OTHER;
	}
}

#undef KEY_IS

unsigned trc_key_lookup(const char *s, size_t len)
{
	return len ? key_lookup(s, len) : TRC_KEY_OTHER;
}

static int lex_value(struct lex *lx, char **pp, int in_list, int depth, struct trc_value *v);

/* A bare word: anything graphic that is not another kind (paths, cross-domain, ==). */
static int lex_word(struct lex *lx, char **pp, unsigned endmask, struct trc_value *v)
{
	char *p = *pp, *start = p;

	while (CLS(*p) & C_WORD)
		p++;
	if (!(CLS(*p) & endmask)) {
		return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, COL(lx, p),
				"unexpected character '%c' in '%.*s'", *p, excerpt_len(start), start);
	}
	v->kind = TRC_WORD;
	v->s = start;
	v->len = (size_t)(p - start);
	*pp = p;
	return 0;
}

static int bad_number(struct lex *lx, char *start, unsigned endmask, struct trc_value *v,
		      char **pp, const char *why)
{
	char *q = start;
	int colon = 0;

	/*
	 * Not a number, but a word that merely starts with a digit and holds a
	 * ':' can be nothing else: a PCI address such as 0000:01:00.0.
	 */
	while (CLS(*q) & C_WORD) {
		colon |= *q == ':';
		q++;
	}
	if (colon && (CLS(*q) & endmask))
		return lex_word(lx, pp, endmask, v);
	return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, COL(lx, start), "bad number '%.*s': %s",
			excerpt_len(start), start, why);
}

/*
 * Integers: decimal or 0x hex, '_' anywhere after the first digit, optional
 * K/M/G/T (binary) suffix. Durations: decimal with ns, us, ms, s or cyc.
 * The complete grammar; lex_number() below takes the common spellings first.
 */
static int lex_number_full(struct lex *lx, char **pp, unsigned endmask, struct trc_value *v)
{
	char *p = *pp, *start = p, *suf;
	uint64_t x = 0;
	unsigned digits = 0;
	int overflow = 0;
	size_t sl;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		v->radix = 16;
		for (p += 2;; p++) {
			unsigned d = hexval((unsigned char)*p);

			if (d < 16) {
				overflow |= (x >> 60) != 0;
				x = (x << 4) | d;
				digits++;
			} else if (*p != '_') {
				break;
			}
		}
	} else {
		v->radix = 10;
		for (;; p++) {
			unsigned d = (unsigned)(unsigned char)*p - '0';

			if (d < 10) {
				overflow |= x > (UINT64_MAX - d) / 10;
				x = x * 10 + d;
				digits++;
			} else if (*p != '_') {
				break;
			}
		}
	}
	if (!digits)
		return bad_number(lx, start, endmask, v, pp, "expected digits");
	suf = p;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
		p++;
	/* A hex count of cycles: the 'c' of "cyc" was read as a digit
	 * (0x10cyc is 0x10 cycles); give it back to the unit. */
	if (v->radix == 16 && p - suf == 2 && suf[0] == 'y' && suf[1] == 'c' && suf[-1] == 'c') {
		x >>= 4;
		suf--;
		if (!--digits)
			return bad_number(lx, start, endmask, v, pp, "expected digits");
	}
	if (!(CLS(*p) & endmask)) {
		return bad_number(lx, start, endmask, v, pp,
				  "expected digits, then an optional K/M/G/T suffix or a duration unit (ns, us, ms, s, cyc)");
	}
	sl = (size_t)(p - suf);
	if (sl == 0) {
		if (overflow)
			goto too_big;
		v->kind = TRC_INT;
		v->u = x;
		*pp = p;
		return 0;
	}
	if (sl == 1 && (*suf == 'K' || *suf == 'M' || *suf == 'G' || *suf == 'T')) {
		unsigned shift = *suf == 'K' ? 10 : *suf == 'M' ? 20 : *suf == 'G' ? 30 : 40;

		if (overflow || (x >> (64 - shift)))
			goto too_big;
		v->kind = TRC_INT;
		v->u = x << shift;
		v->shift = (uint8_t)shift;
		*pp = p;
		return 0;
	}
	{
		enum trc_unit unit = TRC_UNIT_NONE;
		uint64_t mult;

		if (sl == 2 && suf[1] == 's') {
			unit = suf[0] == 'n' ? TRC_UNIT_NS : suf[0] == 'u' ? TRC_UNIT_US
				: suf[0] == 'm' ? TRC_UNIT_MS : TRC_UNIT_NONE;
		} else if (sl == 1 && suf[0] == 's') {
			unit = TRC_UNIT_S;
		} else if (sl == 3 && memcmp(suf, "cyc", 3) == 0) {
			unit = TRC_UNIT_CYC;
		}
		if (unit == TRC_UNIT_NONE) {
			return bad_number(lx, start, endmask, v, pp,
					  "unknown suffix; expected K, M, G, T or a duration unit (ns, us, ms, s, cyc)");
		}
		mult = trc_unit_ps(unit, lx->r->opt.cycle_ps);
		if (overflow || x > UINT64_MAX / mult) {
			return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, COL(lx, start),
					"duration '%.*s' does not fit in 64 bits of picoseconds",
					excerpt_len(start), start);
		}
		v->kind = TRC_DURATION;
		v->radix = 10;
		v->unit = (uint8_t)unit;
		v->count = x;
		v->u = x * mult;
		*pp = p;
		return 0;
	}
too_big:
	return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, COL(lx, start),
			"bad number '%.*s': does not fit in 64 bits", excerpt_len(start), start);
}

/*
 * The digits of a plain integer at p (hex with up to 16 digits or decimal
 * with up to 19, '_' anywhere after the first digit), without looking at
 * what ends it: the byte after them, with *x and *radix set, or NULL.
 */
static inline const unsigned char *plain_digits(const unsigned char *p, uint64_t *x,
						unsigned *radix)
{
	const unsigned char *q;
	uint64_t v = 0;
	unsigned d, digits;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		for (q = p + 2; (d = hexdig[*q]) < 16; q++)
			v = (v << 4) | d;
		digits = (unsigned)(q - p - 2);
		/* Separators: skip each '_' and go on with the digits after it. */
		while (d == HEX_SEP) {
			for (q++; (d = hexdig[*q]) < 16; q++, digits++)
				v = (v << 4) | d;
		}
		if (!digits || digits > 16)
			return NULL;
		*radix = 16;
	} else {
		for (q = p; (d = (unsigned)*q - '0') < 10; q++)
			v = v * 10 + d;
		digits = (unsigned)(q - p);
		while (*q == '_') {
			for (q++; (d = (unsigned)*q - '0') < 10; q++, digits++)
				v = v * 10 + d;
		}
		if (!digits || digits > 19)
			return NULL;
		*radix = 10;
	}
	*x = v;
	return q;
}

/*
 * Plain integers, the bulk of every trace (addresses, lengths): hex with up
 * to 16 digits or decimal with up to 19 (neither can overflow), '_' allowed
 * as lex_number_full() allows it (the writer puts one every four hex
 * digits), no suffix, ended by a byte in endmask. Returns 1 with v filled
 * and *pp advanced; 0 for anything else - suffixes, units, long or malformed
 * numbers - having changed nothing, so that lex_number_full() can start
 * again from the first byte.
 */
static inline int lex_plain_number(char **pp, unsigned endmask, struct trc_value *v)
{
	const unsigned char *p = (const unsigned char *)*pp, *q;
	uint64_t x;
	unsigned radix;

	q = plain_digits(p, &x, &radix);
	if (!q || !(CLS(*q) & endmask))
		return 0;
	v->kind = TRC_INT;
	v->radix = (uint8_t)radix;
	v->u = x;
	*pp += q - p;
	return 1;
}

static int lex_number(struct lex *lx, char **pp, unsigned endmask, struct trc_value *v)
{
	if (lex_plain_number(pp, endmask, v))
		return 0;
	return lex_number_full(lx, pp, endmask, v);
}

/* A name, a flag set NAME|NAME, or (with other graphic characters) a word. */
static int lex_name(struct lex *lx, char **pp, unsigned endmask, struct trc_value *v)
{
	char *p = *pp, *start = p, *q;
	int only_names = 1;
	size_t n, i;
	struct trc_value *items;

	while (CLS(*p) & C_NAME)
		p++;
	if (CLS(*p) & endmask) {
		v->kind = TRC_NAME;
		v->s = start;
		v->len = (size_t)(p - start);
		*pp = p;
		return 0;
	}
	for (q = p; CLS(*q) & C_WORD; q++)
		only_names &= (CLS(*q) & C_NAME) || *q == '|';
	if (!only_names || *p != '|')
		return lex_word(lx, pp, endmask, v);
	if (!(CLS(*q) & endmask)) {
		return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, COL(lx, q),
				"unexpected character '%c' in '%.*s'", *q, excerpt_len(start), start);
	}
	/* A flag set: every part a name, no empty part. */
	n = 1;
	for (p = start; p < q; p++)
		n += *p == '|';
	items = trc_arena_alloc(&lx->r->rec_arena, n * sizeof(*items));
	if (!items)
		return nomem(lx, start);
	p = start;
	for (i = 0; i < n; i++) {
		char *part = p;

		if (!(CLS(*p) & C_NSTART)) {
			return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, COL(lx, p),
					"bad flag set '%.*s': expected NAME|NAME|...", (int)(q - start), start);
		}
		while (p < q && *p != '|')
			p++;
		memset(&items[i], 0, sizeof(items[i]));
		items[i].kind = TRC_NAME;
		items[i].line = lx->lineno;
		items[i].col = COL(lx, part);
		items[i].len = (size_t)(p - part);
		items[i].s = trc_arena_strdup(&lx->r->rec_arena, part, items[i].len);
		if (!items[i].s)
			return nomem(lx, part);
		p++;
	}
	v->kind = TRC_FLAGS;
	v->s = start;
	v->len = (size_t)(q - start);
	v->items = items;
	v->nitems = n;
	*pp = q;
	return 0;
}

static int lex_var(struct lex *lx, char **pp, unsigned endmask, struct trc_value *v)
{
	char *p = *pp + 1, *start = *pp;

	if (!(CLS(*p) & C_NSTART)) {
		return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, COL(lx, start),
				"bad variable '%.*s': expected '$' and a name", excerpt_len(start), start);
	}
	while (CLS(*p) & C_NAME)
		p++;
	if (!(CLS(*p) & endmask)) {
		return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, COL(lx, start),
				"bad variable '%.*s': a name is [A-Za-z_][A-Za-z0-9_.]*",
				excerpt_len(start), start);
	}
	v->kind = TRC_VAR;
	v->s = start + 1;
	v->len = (size_t)(p - start - 1);
	*pp = p;
	return 0;
}

/* "..." with \" and \\ only; unescaped in place. */
static int lex_string(struct lex *lx, char **pp, unsigned endmask, struct trc_value *v)
{
	char *open = *pp, *p = open + 1, *w = p;

	for (;;) {
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			break;
		if (c == '\0')
			return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, COL(lx, open), "unterminated string");
		if (c == '\\') {
			if (p[1] == '"' || p[1] == '\\') {
				*w++ = p[1];
				p += 2;
				continue;
			}
			if (p[1] == '\0') {
				return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, COL(lx, open),
						"unterminated string");
			}
			return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, COL(lx, p),
					"unknown escape '\\%c' in string (only \\\" and \\\\ are allowed)", p[1]);
		}
		if (c < 0x20 && c != '\t') {
			return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, COL(lx, p),
					"control character 0x%02x in string", c);
		}
		if (c >= 0x80) {
			/* The text is UTF-8: one well-formed sequence (no overlong
			 * form, no surrogate, nothing past U+10FFFF). */
			size_t n = trc_utf8_len((const unsigned char *)p, SIZE_MAX); /* NUL-ended */

			if (!n) {
				return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, COL(lx, p),
						"invalid UTF-8 in string (byte 0x%02x)", c);
			}
			memmove(w, p, n);
			w += n;
			p += n;
			continue;
		}
		*w++ = (char)c;
		p++;
	}
	p++;
	if (!(CLS(*p) & endmask)) {
		return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, COL(lx, p),
				"unexpected character '%c' after a string", *p);
	}
	/* w <= the closing quote, which is no longer needed. */
	*w = '\0';
	v->kind = TRC_STRING;
	v->s = open + 1;
	v->len = (size_t)(w - (open + 1));
	*pp = p;
	return 0;
}

/*
 * [v,v,...] without spaces. Items are gathered on the reader's scratch
 * stack (nested lists push above their parent's items) and copied into the
 * arena when the list closes, so no list is reallocated while it grows.
 */
static int lex_list(struct lex *lx, char **pp, unsigned endmask, int depth, struct trc_value *v)
{
	struct trc_vec *stk = &lx->r->stack;
	char *open = *pp, *p = open + 1;
	size_t base = stk->n, n;
	struct trc_value *items = NULL;

	if (depth >= TRC_MAX_LIST_DEPTH) {
		return trc_fail(lx->r, TRC_E_LIMIT, lx->lineno, COL(lx, open),
				"lists nested more than %d deep", TRC_MAX_LIST_DEPTH);
	}
	if (*p == ']') {
		p++;
		goto closed;
	}
	for (;;) {
		struct trc_value item;
		struct trc_value *slot;
		char c = *p;
		int rc;

		if (c == ',' || c == ']') {
			return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, COL(lx, p),
					"empty list element");
		}
		if (CLS(c) & C_END)
			goto unterminated;
		memset(&item, 0, sizeof(item));
		rc = lex_value(lx, &p, 1, depth + 1, &item);
		if (rc)
			return rc;
		slot = trc_vec_push(stk);
		if (!slot)
			return nomem(lx, p);
		*slot = item;
		c = *p;
		if (c == ',' || c == ']') {
			/* Terminates the item's text; the separator was seen. */
			*p++ = '\0';
			if (c == ']')
				break;
			continue;
		}
		goto unterminated;
	}
closed:
	n = stk->n - base;
	if (n) {
		items = trc_arena_alloc(&lx->r->rec_arena, n * sizeof(*items));
		if (!items)
			return nomem(lx, open);
		memcpy(items, (struct trc_value *)stk->data + base, n * sizeof(*items));
	}
	stk->n = base;
	if (!(CLS(*p) & endmask)) {
		return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, COL(lx, p),
				"unexpected character '%c' after a list", *p);
	}
	v->kind = TRC_LIST;
	v->items = items;
	v->nitems = n;
	*pp = p;
	return 0;
unterminated:
	stk->n = base;
	return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, COL(lx, open),
			"unterminated list (expected ']'; lists have no spaces inside)");
}

/*
 * The two kinds that make up most values, inline in the token loop: a plain
 * name and a plain number, ended by a blank, '#' or the end of the line.
 * Returns 1 with v filled and *pp advanced, or 0 (nothing changed) for
 * lex_value() to take the token from its first byte.
 */
static inline int lex_simple(char **pp, struct trc_value *v)
{
	char *p = *pp, *q;
	unsigned char cl = CLS(*p);

	if (cl & C_NSTART) {
		for (q = p + 1; CLS(*q) & C_NAME; q++)
			;
		if (!(CLS(*q) & C_END))
			return 0;
		v->kind = TRC_NAME;
		v->s = p;
		v->len = (size_t)(q - p);
		*pp = q;
		return 1;
	}
	if (cl & C_DIGIT)
		return lex_plain_number(pp, C_END, v);
	return 0;
}

/*
 * One value at *pp; on success *pp is left on the byte that ended it (a
 * blank, NUL or '#' at top level; also ',' or ']' in a list), not consumed.
 */
static int lex_value(struct lex *lx, char **pp, int in_list, int depth, struct trc_value *v)
{
	char *p = *pp;
	unsigned char c = (unsigned char)*p;
	unsigned endmask = in_list ? C_LEND : C_END;

	v->line = lx->lineno;
	v->col = COL(lx, p);
	if (CLS(c) & C_DIGIT)
		return lex_number(lx, pp, endmask, v);
	if (CLS(c) & C_NSTART)
		return lex_name(lx, pp, endmask, v);
	switch (c) {
	case '$':
		return lex_var(lx, pp, endmask, v);
	case '"':
		return lex_string(lx, pp, endmask, v);
	case '[':
		return lex_list(lx, pp, endmask, depth, v);
	case '-':
		if (p[1] >= '0' && p[1] <= '9') {
			return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, v->col,
					"bad number '%.*s': integers are unsigned", excerpt_len(p), p);
		}
		if (p[1] == '>') {
			return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, v->col,
					"'->' must stand alone, with a space after it");
		}
		break;
	case '@':
		return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, v->col,
				"a time stamp may only start a record");
	}
	if (CLS(c) & C_WORD)
		return lex_word(lx, pp, endmask, v);
	if (c < 0x20 || c == 0x7f) {
		return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, v->col,
				"unexpected control character 0x%02x", c);
	}
	return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, v->col, "unexpected character '%c'", c);
}

static void skip_blanks(char **pp)
{
	char *p = *pp;

	while (*p == ' ' || *p == '\t')
		p++;
	*pp = p;
}

/* The version token of `smmutrace 1.2` is not a number: keep it as a word. */
static int lex_version(struct lex *lx, char **pp, struct trc_value *v)
{
	char *p = *pp, *start = p;

	while (CLS(*p) & C_WORD)
		p++;
	if (!(CLS(*p) & C_END)) {
		return trc_fail(lx->r, TRC_E_SYNTAX, lx->lineno, COL(lx, p),
				"unexpected character '%c' in the version", *p);
	}
	v->kind = TRC_WORD;
	v->line = lx->lineno;
	v->col = COL(lx, start);
	v->s = start;
	v->len = (size_t)(p - start);
	*pp = p;
	return 0;
}

/*
 * A plain time stamp at p ('@', decimal digits with '_' allowed, a unit,
 * then a blank) into v, as the general loop would lex it; returns the byte
 * after it, or NULL for anything else (nothing changed but *v).
 */
static char *lex_fast_stamp(struct trc_reader *r, char *p, struct trc_value *v)
{
	const unsigned char *q = (const unsigned char *)p + 1;
	uint64_t x = 0, mult;
	unsigned d, digits;
	enum trc_unit unit;

	for (; (d = (unsigned)*q - '0') < 10; q++)
		x = x * 10 + d;
	digits = (unsigned)(q - (const unsigned char *)p - 1);
	while (*q == '_') {
		for (q++; (d = (unsigned)*q - '0') < 10; q++, digits++)
			x = x * 10 + d;
	}
	if (!digits || digits > 19)
		return NULL;
	if (q[0] == 's') {
		unit = TRC_UNIT_S;
		q += 1;
	} else if (q[1] == 's' && (q[0] == 'n' || q[0] == 'u' || q[0] == 'm')) {
		unit = q[0] == 'n' ? TRC_UNIT_NS : q[0] == 'u' ? TRC_UNIT_US : TRC_UNIT_MS;
		q += 2;
	} else if (q[0] == 'c' && q[1] == 'y' && q[2] == 'c') {
		unit = TRC_UNIT_CYC;
		q += 3;
	} else {
		return NULL;
	}
	if (!(CLS(*q) & C_BLANK))
		return NULL;
	mult = trc_unit_ps(unit, r->opt.cycle_ps);
	if (x > UINT64_MAX / mult)
		return NULL;
	memset(v, 0, sizeof(*v));
	v->kind = TRC_DURATION;
	v->radix = 10;
	v->unit = (uint8_t)unit;
	v->count = x;
	v->u = x * mult;
	v->line = r->in.lineno;
	v->col = 1;
	return (char *)(uintptr_t)q;
}

/*
 * The fast path, for the lines that make up nearly every trace: the verb at
 * the start of the line (or after a plain time stamp there), then
 * blank-separated tokens that are each a plain name, a plain number (as
 * lex_plain_number() takes it) or a $variable - as a positional word, as
 * key=value, and after `->` as a result (key=value, ok, abort). No comment,
 * string, list, flag set or other word.
 *
 * It builds exactly the record the general loop below would, with the same
 * positions and the same bytes of the line NUL-terminated. On anything else
 * it puts back the bytes it changed and returns 0, having written only into
 * the record arrays, and the general loop lexes the line from the start
 * (and reports the error, if there is one).
 */
#define FAST_MAX_ENDS 64
#define FCOL(q) ((uint32_t)((q) - line) + 1)

static int lex_fast(struct trc_reader *r, char *line, size_t len)
{
	struct trc_record *rec = &r->rec;
	const uint32_t lineno = r->in.lineno;
	char *ends[FAST_MAX_ENDS], was[FAST_MAX_ENDS];
	unsigned nends = 0;
	char *q = line, sep;
	enum trc_verb verb;
	struct trc_value *wv = r->words.data;
	struct trc_arg *av = r->args.data, *rv = r->results.data;
	size_t nw = 0, na = 0, nr = 0;
	const size_t wcap = r->words.cap, acap = r->args.cap, rcap = r->results.cap;
	uint64_t kmask = 0;
	int kall = 1, kdup = 0, in_results = 0, uses = 0;
	uint32_t words_end, args_end;
	char *verb_name = line;
	const struct trc_value *stamp = NULL;

	if (*q == '@') {
		q = lex_fast_stamp(r, q, &r->stamp);
		if (!q)
			return 0;
		/* Each token's end is NUL-terminated when it is found; was[] undoes it. */
		was[nends] = *q;
		ends[nends++] = q;
		*q++ = '\0';
		while (CLS(*q) & C_BLANK)
			q++;
		stamp = &r->stamp;
		verb_name = q;
	}
	if (!(CLS(*q) & C_NSTART))
		goto undo;
	for (q++; CLS(*q) & C_NAME; q++)
		;
	if (!(CLS(*q) & C_SEP))
		goto undo;
	verb = trc_verb_lookup(verb_name, (size_t)(q - verb_name));
	if (verb == TRC_VERB_UNKNOWN || verb == TRC_VERB_SMMUTRACE)
		goto undo;
	words_end = args_end = FCOL(q);
	sep = *q;
	was[nends] = sep;
	ends[nends++] = q;
	*q = '\0';

	while (sep) {
		char *tok, *p, *key = NULL;
		struct trc_value *v;
		struct trc_arg *a = NULL;
		unsigned kid = TRC_KEY_OTHER;

		q++;
		while (CLS(*q) & C_BLANK)
			q++;
		if (*q == '\0')
			break;
		if (nends + 2 > FAST_MAX_ENDS)
			goto undo;
		tok = p = q;
		if (CLS(*p) & C_NSTART) {
			for (q = p + 1; CLS(*q) & C_NAME; q++)
				;
			if (*q == '=') {
				key = p;
				if (!in_results)
					kid = key_lookup(p, (size_t)(q - p));
				was[nends] = '=';
				ends[nends++] = q;
				*q = '\0';
				p = q + 1;
			}
		} else if (p[0] == '-' && p[1] == '>' && (CLS(p[2]) & C_SEP)) {
			if (in_results)
				goto undo;
			in_results = 1;
			q = p + 1;
			continue;
		}
		if (in_results) {
			if (nr == rcap)
				goto undo;
			a = rv + nr;
			v = &a->value;
		} else if (key) {
			if (na == acap)
				goto undo;
			a = av + na;
			v = &a->value;
		} else {
			if (nw == wcap)
				goto undo;
			v = wv + nw;
		}
		memset(v, 0, sizeof(*v));
		v->line = lineno;
		v->col = FCOL(p);
		if (CLS(*p) & C_NSTART) {
			if (key) {
				for (q = p + 1; CLS(*q) & C_NAME; q++)
					;
			}
			/* else q already ends the name */
			v->kind = TRC_NAME;
			v->s = p;
			v->len = (size_t)(q - p);
		} else if (CLS(*p) & C_DIGIT) {
			q = p;
			if (!lex_plain_number(&q, C_SEP, v))
				goto undo;
		} else if (*p == '$' && (CLS(p[1]) & C_NSTART)) {
			for (q = p + 2; CLS(*q) & C_NAME; q++)
				;
			v->kind = TRC_VAR;
			v->s = p + 1;
			v->len = (size_t)(q - p - 1);
			uses = 1;
		} else {
			goto undo;
		}
		sep = *q;
		if (!(CLS(sep) & C_SEP))
			goto undo;
		was[nends] = sep;
		ends[nends++] = q;
		*q = '\0';
		if (!in_results) {
			args_end = FCOL(q);
			if (!key)
				words_end = args_end;
		}
		if (!a) {
			nw++;
		} else if (in_results) {
			if (!key) {
				if (v->kind != TRC_NAME ||
				    !((v->len == 2 && memcmp(v->s, "ok", 2) == 0) ||
				      (v->len == 5 && memcmp(v->s, "abort", 5) == 0)))
					goto undo;
				key = tok;
				memset(v, 0, sizeof(*v));
				v->line = lineno;
				v->col = FCOL(tok);
			}
			a->key = key;
			a->line = lineno;
			a->col = FCOL(tok);
			nr++;
		} else {
			a->key = key;
			a->line = lineno;
			a->col = FCOL(tok);
			if (na < TRC_ARGKEY_MAX && kid != TRC_KEY_OTHER) {
				uint64_t bit = (uint64_t)1 << kid;

				r->argpos[kid] = (unsigned char)na;
				kdup |= (kmask & bit) != 0;
				kmask |= bit;
			} else {
				kall = 0;
			}
			na++;
		}
	}
	/* A NUL byte before the end, or `->` without results: the general loop reports it. */
	if ((size_t)(q - line) != len || (in_results && nr == 0))
		goto undo;

	rec->verb = verb;
	rec->verb_name = verb_name;
	rec->section = TRC_SECTION_HEADER;
	rec->line = lineno;
	rec->col = 1;
	rec->stamp = stamp;
	rec->words = wv;
	rec->nwords = nw;
	rec->args = av;
	rec->nargs = na;
	rec->results = rv;
	rec->nresults = nr;
	r->words.n = nw;
	r->args.n = na;
	r->results.n = nr;
	r->argkey_mask = kmask;
	r->argkey_all = kall;
	r->argkey_dup = kdup;
	r->rec_uses = uses;
	r->words_end_col = words_end;
	r->args_end_col = args_end;
	return 1;

undo:
	while (nends--)
		*ends[nends] = was[nends];
	return 0;
}


/*
 * The dma lane (trace.h: struct trc_dma): a plain dma line decoded without
 * a record, reading the line only. Whatever it does not take - another
 * form, or anything the checks would refuse - goes to the paths above,
 * which build the record and report the error, so the lane never decides
 * an error and its records are exactly those the general path accepts.
 */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int lane_name_is(const char *p, size_t n, const char *lit, size_t litlen)
{
	size_t i;

	if (n != litlen)
		return 0;
	/* Short literals: a byte loop, where memcmp would be a library call. */
	for (i = 0; i < n && p[i] == lit[i]; i++)
		;
	return i == n;
}

/* What ends a token on the lane: a blank or the newline (a NUL - the
 * text's end, or a NUL byte in a line - is not ours). */
#define LANE_SEP(c) ((c) == ' ' || (c) == '\t' || (c) == '\n')

/* A plain integer as lex_plain_number() takes it, ended by LANE_SEP. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int lane_number(const char **pp, uint64_t *out)
{
	unsigned radix;
	const unsigned char *q = plain_digits((const unsigned char *)*pp, out, &radix);

	if (!q || !LANE_SEP(*q))
		return 0;
	*pp = (const char *)q;
	return 1;
}

/*
 * Word-at-a-time reading for the lane's straight-through form. The text
 * lives in the input's buffer, which keeps TRC_INPUT_PAD initialized bytes
 * past its capacity (input.c), so an 8-byte load that starts at or before
 * the text's terminating NUL stays inside it; the record such loads give
 * is the one byte-by-byte compares give.
 */
static inline uint64_t load_le64(const char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/* The first n (1..8) bytes of an 8-byte string literal s, as load_le64()
 * reads them (folded at compile time). */
#define LANE_WORD(s, n)                                                                         \
	((((uint64_t)(unsigned char)(s)[0]) | ((uint64_t)(unsigned char)(s)[1] << 8) |           \
	  ((uint64_t)(unsigned char)(s)[2] << 16) | ((uint64_t)(unsigned char)(s)[3] << 24) |    \
	  ((uint64_t)(unsigned char)(s)[4] << 32) | ((uint64_t)(unsigned char)(s)[5] << 40) |    \
	  ((uint64_t)(unsigned char)(s)[6] << 48) | ((uint64_t)(unsigned char)(s)[7] << 56)) &   \
	 (~0ull >> (64 - 8 * (n))))
#define LANE_MASK(n) (~0ull >> (64 - 8 * (n)))

#define ONES 0x0101010101010101ull
#define HIGH 0x8080808080808080ull

/*
 * The leading hex digits of the eight bytes in w (the first byte lowest):
 * their count (0..8) and, in *v, their value. Byte by byte with no carry
 * from one byte to the next: a byte c < 0x80 lies in (m, n) when both
 * 127 + n - c and c + 127 - m have their high bit set.
 */
static inline unsigned hex8(uint64_t w, uint64_t *v)
{
	uint64_t lo = w & ~HIGH, lc = lo | 0x20 * ONES;
	uint64_t dig = (ONES * (127 + '9' + 1) - lo) & (lo + ONES * (127 - ('0' - 1)));
	uint64_t let = (ONES * (127 + 'f' + 1) - lc) & (lc + ONES * (127 - ('a' - 1)));
	uint64_t stop = (~(dig | let) | w) & HIGH, x;
	unsigned n = stop ? (unsigned)__builtin_ctzll(stop) / 8 : 8;

	if (!n)
		return 0;
	/* Nibble values; the n digits moved to the top, then the last lowest. */
	x = (w & 0x0f * ONES) + ((let & ~w & HIGH) >> 7) * 9;
	x = __builtin_bswap64(x << (8 * (8 - n)));
	x = (x | x >> 4) & 0x00ff00ff00ff00ffull;
	x = (x | x >> 8) & 0x0000ffff0000ffffull;
	*v = (x | x >> 16) & 0xffffffffull;
	return n;
}

/*
 * The digits of a hex integer at p (after its 0x), as plain_digits() reads
 * them, ended by LANE_SEP: 1..16 digits without '_'. The byte after them,
 * or NULL for anything else (left to lane_number()).
 */
static inline const char *lane_hex(const char *p, uint64_t *out)
{
	uint64_t v, v2;
	unsigned n = hex8(load_le64(p), &v), n2;

	if (n == 8 && hexdig[(unsigned char)p[8]] < 16) {
		n2 = hex8(load_le64(p + 8), &v2);
		if (n2 == 8 && hexdig[(unsigned char)p[16]] < 16)
			return NULL; /* more than 16 digits */
		if (n2) {
			v = v << (4 * n2) | v2;
			n += n2;
		}
	}
	if (!n || !LANE_SEP(p[n]))
		return NULL;
	*out = v;
	return p + n;
}

/*
 * lane_number() for the lengths of the form: a decimal integer of 1..7
 * digits ended by LANE_SEP is read eight bytes at a time (the digits'
 * values moved to the top of the word, zeros before them, then paired up:
 * tens and units, hundreds, ten-thousands); anything else by lane_number().
 */
static inline int lane_dec(const char **pp, uint64_t *out)
{
	const char *p = *pp;
	uint64_t w = load_le64(p), lo = w & ~HIGH, x;
	uint64_t dig = (ONES * (127 + '9' + 1) - lo) & (lo + ONES * (127 - ('0' - 1)));
	uint64_t stop = (~dig | w) & HIGH;
	unsigned n = stop ? (unsigned)__builtin_ctzll(stop) / 8 : 8;

	if (!n || n == 8 || !LANE_SEP(p[n]))
		return lane_number(pp, out);
	x = (w & 0x0f * ONES) << (8 * (8 - n));
	x = (x * 10 + (x >> 8)) & 0x00ff00ff00ff00ffull;
	x = (x * 100 + (x >> 16)) & 0x0000ffff0000ffffull;
	*out = (x * 10000 + (x >> 32)) & 0xffffffffull;
	*pp = p + n;
	return 1;
}

size_t trc_lex_dma(struct trc_reader *r, const char *line, struct trc_dma *d)
{
	const char *q = line, *tok;
	uint64_t num;
	struct trc_value stamp;
	unsigned seen = 0; /* 1 addr, 2 len, 4 dir, 8 ssid */
	int in_results = 0;
	size_t len;

	d->has_stamp = 0;
	if (*q == '@') {
		q = lex_fast_stamp(r, (char *)(uintptr_t)q, &stamp);
		if (!q || (r->have_stamp && stamp.u < r->last_stamp_ps))
			return 0;
		stamp.line = r->in.lineno + 1; /* the line is not counted yet */
		d->has_stamp = 1;
		d->stamp_ps = stamp.u;
		while (CLS(*q) & C_BLANK)
			q++;
	}
	if (q[0] != 'd' || q[1] != 'm' || q[2] != 'a' || !(CLS(q[3]) & C_BLANK))
		return 0;
	for (q += 4; CLS(*q) & C_BLANK; q++)
		;
	/* The device: a plain name, declared in the header. */
	tok = q;
	if (!(CLS(*q) & C_NSTART))
		return 0;
	for (q++; CLS(*q) & C_NAME; q++)
		;
	if (!LANE_SEP(*q))
		return 0;
	d->dev_len = (size_t)(q - tok);
	if (d->dev_len <= 8) {
		/* One word holds the name: the last device's, most of the time. */
		d->dev_head = load_le64(tok) & LANE_MASK(d->dev_len);
		if (d->dev_len == r->lane_dev_len && d->dev_head == r->lane_dev_head) {
			d->dev_line = r->lane_dev_line;
		} else {
			if (!(d->dev_line = trc_device_known(r, tok, d->dev_len)))
				return 0;
			r->lane_dev_len = d->dev_len;
			r->lane_dev_head = d->dev_head;
			r->lane_dev_line = d->dev_line;
		}
	} else {
		if (!(d->dev_line = trc_device_known(r, tok, d->dev_len)))
			return 0;
		d->dev_head = trc_name_head(tok, d->dev_len);
	}
	d->dev = tok;
	d->dev_col = FCOL(tok);
	d->has_ssid = d->write = d->priv = d->exec = 0;
	d->result = TRC_DMA_RES_NONE;
	d->res_col = d->len_col = 0;
	/*
	 * The form writers use (smmusim gen, the trace writer): one blank
	 * before each of addr=, len= and dir= in that order, and the newline
	 * after the direction. Read straight through, eight bytes at a time
	 * (compares of whole words, the address's hex digits by hex8()): it
	 * never moves past a byte that differs from the form, so no load
	 * starts past the text's end; on any other byte the loop below reads
	 * the arguments from here as always. Both give the same record
	 * (tests/traces: the lane's differential tests).
	 */
	{
		const char *p = NULL;
		uint64_t addr, dlen, k = load_le64(q);

		if (k == LANE_WORD(" addr=0x", 8))
			p = lane_hex(q + 8, &addr);
		if (!p && (k & LANE_MASK(6)) == LANE_WORD(" addr=  ", 6) && (CLS(q[6]) & C_DIGIT)) {
			p = q + 6;
			if (!lane_number(&p, &addr))
				p = NULL;
		}
		if (p && (load_le64(p) & LANE_MASK(5)) == LANE_WORD(" len=   ", 5) &&
		    (CLS(p[5]) & C_DIGIT)) {
			p += 5;
			d->len_col = FCOL(p);
			if (lane_dec(&p, &dlen)) {
				int w = -1;

				k = load_le64(p);
				if (k == LANE_WORD(" dir=rea", 8) && p[8] == 'd' && p[9] == '\n') {
					w = 0;
					p += 9;
				} else if (k == LANE_WORD(" dir=wri", 8) && p[8] == 't' && p[9] == 'e' &&
					   p[10] == '\n') {
					w = 1;
					p += 10;
				}
				if (w >= 0) {
					d->addr = addr;
					d->len = dlen;
					d->write = (uint8_t)w;
					seen = 7;
					q = p;
					goto args_read;
				}
			}
		}
	}
	for (;;) {
		const char *key;
		size_t klen;

		while (CLS(*q) & C_BLANK)
			q++;
		if (*q == '\n')
			break;
		tok = q;
		if (q[0] == '-' && q[1] == '>' && (CLS(q[2]) & C_BLANK) && !in_results) {
			in_results = 1;
			q += 2;
			continue;
		}
		if (!(CLS(*q) & C_NSTART))
			return 0;
		for (q++; CLS(*q) & C_NAME; q++)
			;
		if (*q != '=') {
			/* A word: priv or exec before `->`, ok or abort after it. */
			size_t n = (size_t)(q - tok);

			if (!LANE_SEP(*q))
				return 0;
			if (in_results) {
				if (d->result)
					return 0;
				if (lane_name_is(tok, n, "ok", 2))
					d->result = TRC_DMA_RES_OK;
				else if (lane_name_is(tok, n, "abort", 5))
					d->result = TRC_DMA_RES_ABORT;
				else
					return 0;
				d->res_col = FCOL(tok);
			} else if (lane_name_is(tok, n, "priv", 4)) {
				d->priv = 1;
			} else if (lane_name_is(tok, n, "exec", 4)) {
				d->exec = 1;
			} else {
				return 0;
			}
			continue;
		}
		key = tok;
		klen = (size_t)(q - tok);
		q++;
		if (in_results) {
			if (d->result)
				return 0;
			d->res_col = FCOL(tok);
			if (lane_name_is(key, klen, "pa", 2)) {
				if (!(CLS(*q) & C_DIGIT) || !lane_number(&q, &num))
					return 0;
				d->pa = num;
				d->result = TRC_DMA_RES_PA;
			} else if (lane_name_is(key, klen, "fault", 5)) {
				tok = q;
				if (!(CLS(*q) & C_NSTART))
					return 0;
				for (q++; CLS(*q) & C_NAME; q++)
					;
				if (!LANE_SEP(*q))
					return 0;
				d->fault = tok;
				d->fault_len = (size_t)(q - tok);
				d->result = TRC_DMA_RES_FAULT;
			} else {
				return 0;
			}
			continue;
		}
		if (lane_name_is(key, klen, "dir", 3)) {
			tok = q;
			for (; CLS(*q) & C_NAME; q++)
				;
			if ((seen & 4) || !LANE_SEP(*q))
				return 0;
			if (lane_name_is(tok, (size_t)(q - tok), "write", 5))
				d->write = 1;
			else if (!lane_name_is(tok, (size_t)(q - tok), "read", 4))
				return 0;
			seen |= 4;
		} else {
			unsigned bit;
			const char *v = q;

			if (lane_name_is(key, klen, "addr", 4))
				bit = 1;
			else if (lane_name_is(key, klen, "len", 3))
				bit = 2;
			else if (lane_name_is(key, klen, "ssid", 4))
				bit = 8;
			else
				return 0;
			if ((seen & bit) || !(CLS(*q) & C_DIGIT) || !lane_number(&q, &num))
				return 0;
			seen |= bit;
			if (bit == 1) {
				d->addr = num;
			} else if (bit == 2) {
				d->len = num;
				d->len_col = FCOL(v);
			} else {
				d->ssid = num;
				d->ssid_col = FCOL(v);
			}
		}
	}
args_read:
	/* `->` without a result, a missing key, a line past the limit: not ours. */
	len = (size_t)(q - line);
	if ((in_results && !d->result) || (seen & 7) != 7 || len > r->in.max_line)
		return 0;
	d->has_ssid = (seen & 8) != 0;
	d->line = r->in.lineno + 1;
	d->col = 1;
	/* What trc_check_record() notes of an accepted record. */
	r->in_events = 1;
	if (d->has_stamp) {
		r->have_stamp = 1;
		r->last_stamp_ps = stamp.u;
		r->last_stamp = stamp;
		r->last_stamp_line = d->line;
	}
	return len + 1;
}

#undef LANE_SEP
#undef FCOL

int trc_lex_line(struct trc_reader *r, char *line, size_t len)
{
	struct lex lx = { r, line, r->in.lineno };
	struct trc_record *rec = &r->rec;
	char *p = line, *verb, *arrow = NULL;
	int in_results = 0, done = 0;
	char c;
	const uint32_t lineno = r->in.lineno;
	enum trc_verb verb_id;
	struct trc_value *wv;
	struct trc_arg *av, *rv;
	size_t nw = 0, na = 0, nr = 0, wcap, acap, rcap;
	uint64_t kmask = 0;
	int kall = 1, kdup = 0, uses = 0;
	uint32_t words_end, args_end;

	if (lex_fast(r, line, len))
		return 1;
	skip_blanks(&p);
	if (*p == '\0' || *p == '#') {
		/* A NUL byte after blanks is not the end of the line. */
		if ((size_t)(p - line) < len && *p == '\0')
			goto nul_byte;
		return 0;
	}

	/* Field by field: a memset of the record costs more than the stores. */
	rec->verb = TRC_VERB_UNKNOWN;
	rec->verb_name = NULL;
	rec->section = TRC_SECTION_HEADER;
	rec->stamp = NULL;
	rec->words = NULL;
	rec->nwords = 0;
	rec->args = rec->results = NULL;
	rec->nargs = rec->nresults = 0;
	r->words.n = r->args.n = r->results.n = 0;
	rec->line = lx.lineno;
	rec->col = COL(&lx, p);

	if (*p == '@') {
		char *s = p + 1;
		int rc;

		memset(&r->stamp, 0, sizeof(r->stamp));
		if (!(CLS(*s) & C_DIGIT)) {
			return trc_fail(r, TRC_E_SYNTAX, lx.lineno, COL(&lx, p),
					"expected a time after '@' (such as @10us)");
		}
		rc = lex_number(&lx, &s, C_END, &r->stamp);
		if (rc)
			return rc;
		r->stamp.line = lx.lineno;
		r->stamp.col = COL(&lx, p);
		if (r->stamp.kind != TRC_DURATION) {
			return trc_fail(r, TRC_E_SYNTAX, lx.lineno, COL(&lx, p),
					"a time stamp needs a unit: ns, us, ms, s or cyc");
		}
		rec->stamp = &r->stamp;
		if (*s == ' ' || *s == '\t')
			*s++ = '\0';
		p = s;
		skip_blanks(&p);
		if (*p == '\0' || *p == '#') {
			return trc_fail(r, TRC_E_SYNTAX, lx.lineno, COL(&lx, p),
					"expected a verb after the time stamp");
		}
	}

	verb = p;
	while (CLS(*p) & C_NAME)
		p++;
	if (p == verb || !(CLS(*verb) & C_NSTART) || !(CLS(*p) & C_END)) {
		return trc_fail(r, TRC_E_SCHEMA, lx.lineno, COL(&lx, verb),
				"unknown verb '%.*s'", excerpt_len(verb), verb);
	}
	rec->verb = verb_id = trc_verb_lookup(verb, (size_t)(p - verb));
	if (verb_id == TRC_VERB_UNKNOWN) {
		return trc_fail(r, TRC_E_SCHEMA, lx.lineno, COL(&lx, verb),
				"unknown verb '%.*s' (v1 knows smmutrace, config, smmu, device, memory, open, close, mmap, ioctl, read, write, eventfd, memfd, dma, dmaapi, ats, pri, guest, vcpu, cpu, mmio, mem, wait, expect)",
				(int)(p - verb), verb);
	}
	rec->verb_name = verb;
	words_end = args_end = COL(&lx, p);
	c = *p;
	*p = '\0';
	if (c == '#')
		done = 1;
	else if (c)
		p++;

	/*
	 * The token loop keeps its counts and arrays in locals, written back
	 * at the end: ending a token is a char store, which may alias anything,
	 * so fields of the reader would be reloaded after every one of them.
	 */
	wv = r->words.data;
	wcap = r->words.cap;
	av = r->args.data;
	acap = r->args.cap;
	rv = r->results.data;
	rcap = r->results.cap;

	while (!done) {
		struct trc_arg tmp_arg, *a;
		struct trc_value tmp_val, *v;
		char *tok, *key = NULL, *q = p;
		uint32_t keycol = 0;
		unsigned kid = TRC_KEY_OTHER;
		int rc, name_word = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		c = *p;
		if (c == '#') {
			done = 1;
			break;
		}
		if (c == '\0')
			break;
		tok = p;
		if (CLS(c) & C_NSTART) {
			/* key=..., or a word that may be a plain name (then lexed already). */
			for (q = p + 1; CLS(*q) & C_NAME; q++)
				;
			if (*q == '=') {
				key = p;
				keycol = COL(&lx, p);
				if (!in_results)
					kid = trc_key_lookup(p, (size_t)(q - p));
				*q = '\0';
				p = q + 1;
				if (CLS(*p) & C_END) {
					return trc_fail(r, TRC_E_SYNTAX, lineno, COL(&lx, p),
							"expected a value after '%s='", key);
				}
			} else {
				name_word = (CLS(*q) & C_END) != 0;
			}
		} else if (c == '-' && p[1] == '>' && (CLS(p[2]) & C_END)) {
			if (in_results) {
				return trc_fail(r, TRC_E_SYNTAX, lineno, COL(&lx, p),
						"a second '->' (the results have already started)");
			}
			in_results = 1;
			arrow = p;
			p += 2;
			continue;
		}
		/*
		 * Lex the value where it will stay when its array has room (a
		 * local otherwise, copied once the array has grown: a lexing
		 * error still comes before an out-of-memory one).
		 */
		if (in_results) {
			a = nr < rcap ? rv + nr : &tmp_arg;
			v = &a->value;
		} else if (key) {
			a = na < acap ? av + na : &tmp_arg;
			v = &a->value;
		} else {
			a = NULL;
			v = nw < wcap ? wv + nw : &tmp_val;
		}
		memset(v, 0, sizeof(*v));
		v->line = lineno;
		v->col = COL(&lx, p);
		if (!key && !in_results && verb_id == TRC_VERB_SMMUTRACE && nw == 0) {
			rc = lex_version(&lx, &p, v);
		} else if (name_word) {
			v->kind = TRC_NAME;
			v->s = p;
			v->len = (size_t)(q - p);
			p = q;
			rc = 0;
		} else {
			rc = lex_simple(&p, v) ? 0 : lex_value(&lx, &p, 0, 0, v);
		}
		if (rc)
			return rc;
		uses |= v->kind == TRC_VAR || v->kind == TRC_LIST;
		if (!in_results) {
			args_end = COL(&lx, p);
			if (!key)
				words_end = args_end;
		}
		c = *p;
		*p = '\0';
		if (c == '#')
			done = 1;
		else if (c)
			p++;

		if (!a) {
			if (v == &tmp_val) {
				struct trc_value *w;

				r->words.n = nw;
				w = trc_vec_push(&r->words);
				if (!w)
					return nomem(&lx, tok);
				*w = tmp_val;
				wv = r->words.data;
				wcap = r->words.cap;
			}
			nw++;
			continue;
		}
		if (in_results && !key) {
			if (v->kind != TRC_NAME || (strcmp(v->s, "ok") && strcmp(v->s, "abort"))) {
				return trc_fail(r, TRC_E_SYNTAX, lineno, COL(&lx, tok),
						"unexpected '%s' in the results: expected key=value, key=$var, ok or abort",
						tok);
			}
			key = tok;
			keycol = COL(&lx, tok);
			memset(v, 0, sizeof(*v));
			v->line = lineno;
			v->col = keycol;
		}
		a->key = key;
		a->line = lineno;
		a->col = keycol;
		if (in_results) {
			if (a == &tmp_arg) {
				struct trc_arg *d;

				r->results.n = nr;
				d = trc_vec_push(&r->results);
				if (!d)
					return nomem(&lx, tok);
				*d = tmp_arg;
				rv = r->results.data;
				rcap = r->results.cap;
			}
			nr++;
			continue;
		}
		if (a == &tmp_arg) {
			struct trc_arg *d;

			r->args.n = na;
			d = trc_vec_push(&r->args);
			if (!d)
				return nomem(&lx, tok);
			*d = tmp_arg;
			av = r->args.data;
			acap = r->args.cap;
		}
		if (na < TRC_ARGKEY_MAX && kid != TRC_KEY_OTHER) {
			uint64_t bit = (uint64_t)1 << kid;

			r->argpos[kid] = (unsigned char)na;
			kdup |= (kmask & bit) != 0;
			kmask |= bit;
		} else {
			kall = 0;
		}
		na++;
	}
	/*
	 * The token loop stops at the first NUL: the line's end, unless the
	 * file holds a NUL byte (a comment, which may hold anything, ended
	 * the loop otherwise). Checked here rather than by scanning each line.
	 */
	if (!done && (size_t)(p - line) != len)
		goto nul_byte;
	if (in_results && nr == 0) {
		return trc_fail(r, TRC_E_SYNTAX, lineno, COL(&lx, arrow),
				"'->' is not followed by any result");
	}
	r->words.n = nw;
	r->args.n = na;
	r->results.n = nr;
	r->argkey_mask = kmask;
	r->argkey_all = kall;
	r->argkey_dup = kdup;
	r->rec_uses = uses;
	r->words_end_col = words_end;
	r->args_end_col = args_end;
	rec->words = wv;
	rec->nwords = nw;
	rec->args = av;
	rec->nargs = na;
	rec->results = rv;
	rec->nresults = nr;
	return 1;

nul_byte:
	/* p is on the NUL: tokens before it were terminated in place, so no search. */
	return trc_fail(r, TRC_E_SYNTAX, lx.lineno, COL(&lx, p), "NUL byte in the line");
}
