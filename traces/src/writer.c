/*
 * writer.c - records back to smmutrace text: the canonical formatter (also
 * behind trc_record_format() and `smmusim dump`) and the writer that sends
 * it to a file or a callback, optionally through gzip.
 *
 * Canonical form, chosen so that reading it back yields the same records:
 * one record per line; `@<count><unit>` first when there is a stamp;
 * positional words, then key=value arguments, each in the order given;
 * ` -> ` and the results. Integers keep the radix they were read in (hex is
 * lower case with `_` between groups of four digits, decimal is plain) and
 * their K/M/G/T suffix when the value is an exact multiple. Every value the
 * reader could not read back (a bad name, a string with a newline, a
 * duration that is not a whole number of ns or cycles) is refused instead of
 * being written.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "trc_internal.h"

/* Text is handed to the sink (or to deflate) in blocks of about this size. */
#define FLUSH_AT ((size_t)64 << 10)

/* ------------------------------------------------------------- sbuf */

static int sb_reserve(struct trc_sbuf *sb, size_t n)
{
	if (sb->oom)
		return -1;
	if (sb->cap - sb->len < n) {
		size_t cap = sb->cap ? sb->cap : 256;
		char *p;

		while (cap - sb->len < n) {
			if (cap > SIZE_MAX / 2) {
				sb->oom = 1;
				return -1;
			}
			cap *= 2;
		}
		p = realloc(sb->p, cap);
		if (!p) {
			sb->oom = 1;
			return -1;
		}
		sb->p = p;
		sb->cap = cap;
	}
	return 0;
}

static void sb_put(struct trc_sbuf *sb, const char *s, size_t n)
{
	if (sb_reserve(sb, n))
		return;
	memcpy(sb->p + sb->len, s, n);
	sb->len += n;
}

static void sb_putc(struct trc_sbuf *sb, char c)
{
	if (sb_reserve(sb, 1))
		return;
	sb->p[sb->len++] = c;
}

static void sb_dec(struct trc_sbuf *sb, uint64_t u)
{
	char tmp[24];
	int i = (int)sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	sb_put(sb, tmp + i, sizeof(tmp) - (size_t)i);
}

/* 0x8000_1000: groups of four from the right, as hand-written traces do. */
static void sb_hex(struct trc_sbuf *sb, uint64_t u)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[32];
	int i = (int)sizeof(tmp), n = 0;

	do {
		if (n && n % 4 == 0)
			tmp[--i] = '_';
		tmp[--i] = digits[u & 15];
		u >>= 4;
		n++;
	} while (u);
	sb_put(sb, "0x", 2);
	sb_put(sb, tmp + i, sizeof(tmp) - (size_t)i);
}

/* ----------------------------------------------------------- validity */

static int is_nstart(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_nchar(unsigned char c)
{
	return is_nstart(c) || (c >= '0' && c <= '9') || c == '.';
}

static int is_wchar(unsigned char c)
{
	if (c >= 0x80)
		return 1;
	if (c < 0x21 || c > 0x7e)
		return 0;
	return !strchr("\"#$,[\\]", c);
}

static int valid_name(const char *s, size_t len)
{
	size_t i;

	if (!s || !len || !is_nstart((unsigned char)s[0]))
		return 0;
	for (i = 1; i < len; i++) {
		if (!is_nchar((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

struct fmt {
	struct trc_sbuf *sb;
	uint64_t cycle_ps;
	char *why;
	size_t whylen;
};

static int refuse(struct fmt *f, const char *fmt, const char *detail)
{
	if (f->why)
		snprintf(f->why, f->whylen, fmt, detail ? detail : "");
	return TRC_E_INVAL;
}

static int put_duration(struct fmt *f, const struct trc_value *v)
{
	static const enum trc_unit order[] = { TRC_UNIT_S, TRC_UNIT_MS, TRC_UNIT_US, TRC_UNIT_NS };
	uint64_t mult;
	size_t i;

	/* The unit as written, when it still describes the value exactly. */
	if (v->unit != TRC_UNIT_NONE) {
		mult = trc_unit_ps((enum trc_unit)v->unit, f->cycle_ps);
		if (mult && v->count <= UINT64_MAX / mult && v->count * mult == v->u) {
			sb_dec(f->sb, v->count);
			sb_put(f->sb, trc_unit_name((enum trc_unit)v->unit),
			       strlen(trc_unit_name((enum trc_unit)v->unit)));
			return TRC_OK;
		}
	}
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		mult = trc_unit_ps(order[i], f->cycle_ps);
		if (v->u % mult == 0 && (v->u || order[i] == TRC_UNIT_NS)) {
			sb_dec(f->sb, v->u / mult);
			sb_put(f->sb, trc_unit_name(order[i]), strlen(trc_unit_name(order[i])));
			return TRC_OK;
		}
	}
	if (f->cycle_ps && v->u % f->cycle_ps == 0) {
		sb_dec(f->sb, v->u / f->cycle_ps);
		sb_put(f->sb, "cyc", 3);
		return TRC_OK;
	}
	return refuse(f, "a duration must be a whole number of ns or cycles%s", NULL);
}

static int put_value(struct fmt *f, const struct trc_value *v, int depth)
{
	size_t i;
	int rc;

	switch (v->kind) {
	case TRC_INT: {
		uint64_t u = v->u;
		char suffix = 0;

		if (v->shift == 10 || v->shift == 20 || v->shift == 30 || v->shift == 40) {
			if ((u & ((1ull << v->shift) - 1)) == 0) {
				u >>= v->shift;
				suffix = "KMGT"[v->shift / 10 - 1];
			}
		}
		if (v->radix == 10)
			sb_dec(f->sb, u);
		else
			sb_hex(f->sb, u);
		if (suffix)
			sb_putc(f->sb, suffix);
		return TRC_OK;
	}
	case TRC_DURATION:
		return put_duration(f, v);
	case TRC_NAME:
		if (!valid_name(v->s, v->len))
			return refuse(f, "bad name '%s'", v->s);
		sb_put(f->sb, v->s, v->len);
		return TRC_OK;
	case TRC_VAR:
		if (!valid_name(v->s, v->len))
			return refuse(f, "bad variable name '%s'", v->s);
		sb_putc(f->sb, '$');
		sb_put(f->sb, v->s, v->len);
		return TRC_OK;
	case TRC_FLAGS: {
		const char *s = v->s;
		size_t len = v->len, start = 0;

		if (!s) {
			/* Built from items only: join the names. */
			for (i = 0; i < v->nitems; i++) {
				const struct trc_value *it = &v->items[i];

				if (it->kind != TRC_NAME || !valid_name(it->s, it->len))
					return refuse(f, "bad flag name%s", NULL);
				if (i)
					sb_putc(f->sb, '|');
				sb_put(f->sb, it->s, it->len);
			}
			if (!v->nitems)
				return refuse(f, "empty flag set%s", NULL);
			return TRC_OK;
		}
		/* Each part between '|' must be a name (one flag reads back as a name). */
		for (i = 0; i <= len; i++) {
			if (i == len || s[i] == '|') {
				if (!valid_name(s + start, i - start))
					return refuse(f, "bad flag set '%s'", s);
				start = i + 1;
			}
		}
		sb_put(f->sb, s, len);
		return TRC_OK;
	}
	case TRC_STRING:
		if (!v->s)
			return refuse(f, "string without text%s", NULL);
		sb_putc(f->sb, '"');
		for (i = 0; i < v->len; i++) {
			unsigned char c = (unsigned char)v->s[i];

			/* The format has no escape for these: refuse, do not mangle. */
			if (c < 0x20 && c != '\t')
				return refuse(f, "string with a control character (newline?) cannot be written%s", NULL);
			if (c >= 0x80) {
				/* The text is UTF-8; a reader refuses anything else. */
				size_t n = trc_utf8_len((const unsigned char *)v->s + i, v->len - i);

				if (!n)
					return refuse(f, "string that is not UTF-8 cannot be written%s", NULL);
				sb_put(f->sb, v->s + i, n);
				i += n - 1;
				continue;
			}
			if (c == '"' || c == '\\')
				sb_putc(f->sb, '\\');
			sb_putc(f->sb, (char)c);
		}
		sb_putc(f->sb, '"');
		return TRC_OK;
	case TRC_WORD:
		if (!v->s || !v->len)
			return refuse(f, "empty word%s", NULL);
		for (i = 0; i < v->len; i++) {
			if (!is_wchar((unsigned char)v->s[i]))
				return refuse(f, "word '%s' has a character the reader would split on", v->s);
		}
		if (v->s[0] == '@' || (v->s[0] == '-' && v->len > 1 &&
				       (v->s[1] == '>' || (v->s[1] >= '0' && v->s[1] <= '9'))))
			return refuse(f, "word '%s' would read back as something else", v->s);
		sb_put(f->sb, v->s, v->len);
		return TRC_OK;
	case TRC_LIST:
		if (depth >= TRC_MAX_LIST_DEPTH)
			return refuse(f, "list nested too deep%s", NULL);
		sb_putc(f->sb, '[');
		for (i = 0; i < v->nitems; i++) {
			if (i)
				sb_putc(f->sb, ',');
			if (v->items[i].kind == TRC_NONE)
				return refuse(f, "list item without a value%s", NULL);
			rc = put_value(f, &v->items[i], depth + 1);
			if (rc)
				return rc;
		}
		sb_putc(f->sb, ']');
		return TRC_OK;
	case TRC_NONE:
		break;
	}
	return refuse(f, "value without a kind%s", NULL);
}

static int put_arg(struct fmt *f, const struct trc_arg *a, int bare_ok)
{
	if (!a->key || !valid_name(a->key, strlen(a->key)))
		return refuse(f, "bad key '%s'", a->key ? a->key : "(null)");
	sb_putc(f->sb, ' ');
	sb_put(f->sb, a->key, strlen(a->key));
	if (a->value.kind == TRC_NONE) {
		if (!bare_ok)
			return refuse(f, "argument '%s' has no value", a->key);
		/* The reader accepts no other bare result. */
		if (strcmp(a->key, "ok") && strcmp(a->key, "abort"))
			return refuse(f, "bare result '%s' (only ok and abort stand alone)", a->key);
		return TRC_OK;
	}
	sb_putc(f->sb, '=');
	return put_value(f, &a->value, 0);
}

int trc_format_record(struct trc_sbuf *sb, const struct trc_record *rec, uint64_t cycle_ps,
		      int nl, char *why, size_t whylen)
{
	struct fmt f = { sb, cycle_ps ? cycle_ps : TRC_DEFAULT_CYCLE_PS, why, whylen };
	const char *verb = rec->verb_name;
	size_t i, start = sb->len;
	int rc = TRC_OK;

	if (!verb)
		verb = trc_verb_name(rec->verb);
	if (!verb || trc_verb_from_name(verb) == TRC_VERB_UNKNOWN) {
		rc = refuse(&f, "unknown verb '%s'", verb ? verb : "(none)");
		goto out;
	}
	if (rec->stamp) {
		if (rec->stamp->kind != TRC_DURATION) {
			rc = refuse(&f, "the stamp is not a duration%s", NULL);
			goto out;
		}
		sb_putc(sb, '@');
		rc = put_duration(&f, rec->stamp);
		if (rc)
			goto out;
		sb_putc(sb, ' ');
	}
	sb_put(sb, verb, strlen(verb));
	for (i = 0; i < rec->nwords && !rc; i++) {
		if (rec->words[i].kind == TRC_NONE) {
			rc = refuse(&f, "positional word without a value%s", NULL);
			break;
		}
		sb_putc(sb, ' ');
		rc = put_value(&f, &rec->words[i], 0);
	}
	for (i = 0; i < rec->nargs && !rc; i++)
		rc = put_arg(&f, &rec->args[i], 0);
	if (!rc && rec->nresults) {
		sb_put(sb, " ->", 3);
		for (i = 0; i < rec->nresults && !rc; i++)
			rc = put_arg(&f, &rec->results[i], 1);
	}
	if (!rc && nl)
		sb_putc(sb, '\n');
out:
	if (!rc && sb->oom)
		rc = TRC_E_NOMEM;
	if (rc)
		sb->len = start;
	return rc;
}

size_t trc_record_format(const struct trc_record *rec, uint64_t cycle_ps, char *buf, size_t size)
{
	struct trc_sbuf sb = { 0 };
	size_t n;

	if (!rec || trc_format_record(&sb, rec, cycle_ps, 0, NULL, 0)) {
		free(sb.p);
		return (size_t)-1;
	}
	n = sb.len;
	if (size) {
		size_t c = n < size - 1 ? n : size - 1;

		if (c)
			memcpy(buf, sb.p, c);
		buf[c] = '\0';
	}
	free(sb.p);
	return n;
}

/* -------------------------------------------------------------- writer */

struct trc_writer {
	struct trc_writer_options opt;
	trc_sink_fn sink;
	void *ctx;
	FILE *fp;
	int gzip, zs_live;
	z_stream zs;
	unsigned char *zout;
	struct trc_sbuf text;
	struct trc_error err;
	int failed;           /* sticky: the sink or the file failed */
	uint64_t lines;
};

void trc_writer_options_init(struct trc_writer_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->size = sizeof(*opt);
	opt->cycle_ps = TRC_DEFAULT_CYCLE_PS;
	opt->gzip_level = Z_DEFAULT_COMPRESSION;
}

static int wfail(struct trc_writer *w, int code, const char *msg, const char *detail)
{
	w->err.code = code;
	w->err.line = 0;
	w->err.col = 0;
	snprintf(w->err.msg, sizeof(w->err.msg), "%s%s%s", msg, detail ? ": " : "", detail ? detail : "");
	if (code != TRC_E_INVAL)
		w->failed = code;
	return code;
}

static int file_sink(void *ctx, const void *data, size_t len)
{
	return fwrite(data, 1, len, (FILE *)ctx) == len ? 0 : -1;
}

/* Hand the pending text to the sink, through deflate if gzip. */
static int flush_text(struct trc_writer *w, int finish)
{
	if (w->failed)
		return w->failed;
	if (!w->gzip) {
		if (w->text.len && w->sink(w->ctx, w->text.p, w->text.len))
			return wfail(w, TRC_E_IO, "write failed", w->fp ? strerror(errno) : NULL);
		w->text.len = 0;
		return TRC_OK;
	}
	w->zs.next_in = (Bytef *)w->text.p;
	w->zs.avail_in = (uInt)w->text.len;
	for (;;) {
		int ret;
		size_t have;

		w->zs.next_out = w->zout;
		w->zs.avail_out = (uInt)FLUSH_AT;
		ret = deflate(&w->zs, finish ? Z_FINISH : Z_NO_FLUSH);
		if (ret == Z_STREAM_ERROR)
			return wfail(w, TRC_E_IO, "deflate failed", NULL);
		have = FLUSH_AT - w->zs.avail_out;
		if (have && w->sink(w->ctx, w->zout, have))
			return wfail(w, TRC_E_IO, "write failed", w->fp ? strerror(errno) : NULL);
		if (finish ? ret == Z_STREAM_END : (w->zs.avail_in == 0 && w->zs.avail_out != 0))
			break;
	}
	w->text.len = 0;
	return TRC_OK;
}

/* Options must say their size (at least up to cycle_ps). */
static int check_options(const struct trc_writer_options *opt, const char *name,
			 struct trc_error *err)
{
	if (!opt || opt->size >= offsetof(struct trc_writer_options, cycle_ps) + sizeof(uint64_t))
		return TRC_OK;
	if (err) {
		memset(err, 0, sizeof(*err));
		err->code = TRC_E_INVAL;
		trc_copy_name(err->file, sizeof(err->file), name);
		snprintf(err->msg, sizeof(err->msg), "writer options: size is not set");
	}
	return TRC_E_INVAL;
}

static int writer_new(const char *name, int gzip, const struct trc_writer_options *opt,
		      struct trc_writer **out, struct trc_error *err)
{
	struct trc_writer *w;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		goto nomem;
	trc_writer_options_init(&w->opt);
	if (opt) {
		size_t n = opt->size < sizeof(w->opt) ? opt->size : sizeof(w->opt);

		memcpy(&w->opt, opt, n);
		w->opt.size = sizeof(w->opt);
		if (!w->opt.cycle_ps)
			w->opt.cycle_ps = TRC_DEFAULT_CYCLE_PS;
		if (n < sizeof(w->opt) || w->opt.gzip_level < -1 || w->opt.gzip_level > 9 ||
		    w->opt.gzip_level == 0)
			w->opt.gzip_level = Z_DEFAULT_COMPRESSION;
	}
	trc_copy_name(w->err.file, sizeof(w->err.file), name);
	w->gzip = gzip != 0;
	if (w->gzip) {
		w->zout = malloc(FLUSH_AT);
		if (!w->zout)
			goto nomem;
		/* 15 + 16: a gzip wrapper, readable by gzip(1) and by the reader. */
		if (deflateInit2(&w->zs, w->opt.gzip_level, Z_DEFLATED, 15 + 16, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK)
			goto nomem;
		w->zs_live = 1;
	}
	*out = w;
	return TRC_OK;
nomem:
	if (w) {
		free(w->zout);
		free(w);
	}
	if (err) {
		memset(err, 0, sizeof(*err));
		err->code = TRC_E_NOMEM;
		trc_copy_name(err->file, sizeof(err->file), name);
		snprintf(err->msg, sizeof(err->msg), "out of memory");
	}
	return TRC_E_NOMEM;
}

int trc_writer_open_sink(trc_sink_fn sink, void *ctx, int gzip, const struct trc_writer_options *opt,
			 struct trc_writer **out, struct trc_error *err)
{
	int rc;

	if (!out || !sink) {
		if (err) {
			memset(err, 0, sizeof(*err));
			err->code = TRC_E_INVAL;
			snprintf(err->msg, sizeof(err->msg), "trc_writer_open_sink: NULL argument");
		}
		if (out)
			*out = NULL;
		return TRC_E_INVAL;
	}
	*out = NULL;
	rc = check_options(opt, "<sink>", err);
	if (rc)
		return rc;
	rc = writer_new("<sink>", gzip, opt, out, err);
	if (rc)
		return rc;
	(*out)->sink = sink;
	(*out)->ctx = ctx;
	return TRC_OK;
}

int trc_writer_open(const char *path, int gzip, const struct trc_writer_options *opt,
		    struct trc_writer **out, struct trc_error *err)
{
	FILE *fp;
	int rc;

	if (!out || !path) {
		if (err) {
			memset(err, 0, sizeof(*err));
			err->code = TRC_E_INVAL;
			snprintf(err->msg, sizeof(err->msg), "trc_writer_open: NULL argument");
		}
		if (out)
			*out = NULL;
		return TRC_E_INVAL;
	}
	*out = NULL;
	rc = check_options(opt, path, err);
	if (rc)
		return rc;
	fp = fopen(path, "wb");
	if (!fp) {
		if (err) {
			memset(err, 0, sizeof(*err));
			err->code = TRC_E_IO;
			trc_copy_name(err->file, sizeof(err->file), path);
			snprintf(err->msg, sizeof(err->msg), "cannot create: %s", strerror(errno));
		}
		*out = NULL;
		return TRC_E_IO;
	}
	rc = writer_new(path, gzip, opt, out, err);
	if (rc) {
		fclose(fp);
		return rc;
	}
	(*out)->fp = fp;
	(*out)->sink = file_sink;
	(*out)->ctx = fp;
	return TRC_OK;
}

int trc_writer_put(struct trc_writer *w, const struct trc_record *rec)
{
	char why[160];
	int rc;

	if (!w || !rec)
		return TRC_E_INVAL;
	if (w->failed)
		return w->failed;
	why[0] = '\0';
	rc = trc_format_record(&w->text, rec, w->opt.cycle_ps, 1, why, sizeof(why));
	if (rc == TRC_E_NOMEM) {
		w->text.oom = 0;
		return wfail(w, rc, "out of memory", NULL);
	}
	if (rc)
		return wfail(w, rc, "record cannot be written", why);
	w->lines++;
	if (w->text.len >= FLUSH_AT)
		return flush_text(w, 0);
	return TRC_OK;
}

int trc_writer_put_comment(struct trc_writer *w, const char *text)
{
	if (!w || !text)
		return TRC_E_INVAL;
	if (w->failed)
		return w->failed;
	if (strchr(text, '\n') || strchr(text, '\r'))
		return wfail(w, TRC_E_INVAL, "a comment cannot contain a newline", NULL);
	sb_put(&w->text, "# ", 2);
	sb_put(&w->text, text, strlen(text));
	sb_putc(&w->text, '\n');
	if (w->text.oom)
		return wfail(w, TRC_E_NOMEM, "out of memory", NULL);
	w->lines++;
	if (w->text.len >= FLUSH_AT)
		return flush_text(w, 0);
	return TRC_OK;
}

const struct trc_error *trc_writer_error(const struct trc_writer *w)
{
	return &w->err;
}

int trc_writer_close(struct trc_writer *w)
{
	int rc;

	if (!w)
		return TRC_E_INVAL;
	rc = flush_text(w, 1);
	if (w->fp) {
		if (fclose(w->fp) && !rc)
			rc = TRC_E_IO;
	}
	if (w->zs_live)
		deflateEnd(&w->zs);
	free(w->zout);
	free(w->text.p);
	free(w);
	return rc;
}
