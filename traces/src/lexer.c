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
};

static const unsigned char cls[256] = {
	48,  0,  0,  0,  0,  0,  0,  0,  0, 48,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	48,  8,  0, 48,  0,  8,  8,  8,  8,  8,  8,  8, 32,  8, 10,  8,
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
 */
static int lex_number(struct lex *lx, char **pp, unsigned endmask, struct trc_value *v)
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
		if (v->radix == 16)
			return bad_number(lx, start, endmask, v, pp, "durations are written in decimal");
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

int trc_lex_line(struct trc_reader *r, char *line, size_t len)
{
	struct lex lx = { r, line, r->in.lineno };
	struct trc_record *rec = &r->rec;
	char *p = line, *verb, *arrow = NULL;
	int in_results = 0, done = 0;
	char c;

	skip_blanks(&p);
	if (*p == '\0' || *p == '#') {
		/* A NUL byte after blanks is not the end of the line. */
		if ((size_t)(p - line) < len && *p == '\0')
			goto nul_byte;
		return 0;
	}

	memset(rec, 0, sizeof(*rec));
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
	rec->verb = trc_verb_lookup(verb, (size_t)(p - verb));
	if (rec->verb == TRC_VERB_UNKNOWN) {
		return trc_fail(r, TRC_E_SCHEMA, lx.lineno, COL(&lx, verb),
				"unknown verb '%.*s' (v1 knows smmutrace, config, smmu, device, memory, open, close, mmap, ioctl, read, dma, ats, guest, vcpu, cpu, mmio, mem, wait, expect)",
				(int)(p - verb), verb);
	}
	rec->verb_name = verb;
	r->words_end_col = r->args_end_col = COL(&lx, p);
	c = *p;
	*p = '\0';
	if (c == '#')
		done = 1;
	else if (c)
		p++;

	while (!done) {
		struct trc_value v;
		struct trc_arg *a;
		char *tok, *key = NULL;
		uint32_t keycol = 0;
		int rc;

		skip_blanks(&p);
		c = *p;
		if (c == '#') {
			done = 1;
			break;
		}
		if (c == '\0')
			break;
		tok = p;
		if (c == '-' && p[1] == '>' && (CLS(p[2]) & C_END)) {
			if (in_results) {
				return trc_fail(r, TRC_E_SYNTAX, lx.lineno, COL(&lx, p),
						"a second '->' (the results have already started)");
			}
			in_results = 1;
			arrow = p;
			p += 2;
			continue;
		}
		memset(&v, 0, sizeof(v));
		if (CLS(c) & C_NSTART) {
			char *q = p + 1;

			while (CLS(*q) & C_NAME)
				q++;
			if (*q == '=') {
				key = p;
				keycol = COL(&lx, p);
				*q = '\0';
				p = q + 1;
				if (CLS(*p) & C_END) {
					return trc_fail(r, TRC_E_SYNTAX, lx.lineno, COL(&lx, p),
							"expected a value after '%s='", key);
				}
			}
		}
		if (!key && !in_results && rec->verb == TRC_VERB_SMMUTRACE && r->words.n == 0)
			rc = lex_version(&lx, &p, &v);
		else
			rc = lex_value(&lx, &p, 0, 0, &v);
		if (rc)
			return rc;
		if (!in_results) {
			r->args_end_col = COL(&lx, p);
			if (!key)
				r->words_end_col = r->args_end_col;
		}
		c = *p;
		*p = '\0';
		if (c == '#')
			done = 1;
		else if (c)
			p++;

		if (in_results) {
			if (!key) {
				if (v.kind != TRC_NAME || (strcmp(v.s, "ok") && strcmp(v.s, "abort"))) {
					return trc_fail(r, TRC_E_SYNTAX, lx.lineno, COL(&lx, tok),
							"unexpected '%s' in the results: expected key=value, key=$var, ok or abort",
							tok);
				}
				key = tok;
				keycol = COL(&lx, tok);
				memset(&v, 0, sizeof(v));
				v.line = lx.lineno;
				v.col = keycol;
			}
			a = trc_vec_push(&r->results);
		} else if (key) {
			a = trc_vec_push(&r->args);
		} else {
			struct trc_value *w = trc_vec_push(&r->words);

			if (!w)
				return nomem(&lx, tok);
			*w = v;
			continue;
		}
		if (!a)
			return nomem(&lx, tok);
		a->key = key;
		a->line = lx.lineno;
		a->col = keycol;
		a->value = v;
	}
	/*
	 * The token loop stops at the first NUL: the line's end, unless the
	 * file holds a NUL byte (a comment, which may hold anything, ended
	 * the loop otherwise). Checked here rather than by scanning each line.
	 */
	if (!done && (size_t)(p - line) != len)
		goto nul_byte;
	if (in_results && r->results.n == 0) {
		return trc_fail(r, TRC_E_SYNTAX, lx.lineno, COL(&lx, arrow),
				"'->' is not followed by any result");
	}
	rec->words = r->words.data;
	rec->nwords = r->words.n;
	rec->args = r->args.data;
	rec->nargs = r->args.n;
	rec->results = r->results.data;
	rec->nresults = r->results.n;
	return 1;

nul_byte:
	/* p is on the NUL: tokens before it were terminated in place, so no search. */
	return trc_fail(r, TRC_E_SYNTAX, lx.lineno, COL(&lx, p), "NUL byte in the line");
}
