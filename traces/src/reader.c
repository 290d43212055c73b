/*
 * reader.c - the public reader: open a file or buffer, hand out one checked
 * record per call, keep the first error (sticky) with its position, and the
 * whole-file helpers trc_file_check() and trc_file_dump().
 *
 * Each call rewinds the record arena, takes the next line from input.c,
 * lexes it (lexer.c) and checks it against the format (schema.c). Blank and
 * comment lines are skipped here, so the caller only ever sees records.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "trc_internal.h"

int trc_fail(struct trc_reader *r, int code, uint32_t line, uint32_t col, const char *fmt, ...)
{
	va_list ap;

	r->err.code = code;
	r->err.line = line;
	r->err.col = col;
	va_start(ap, fmt);
	vsnprintf(r->err.msg, sizeof(r->err.msg), fmt, ap);
	va_end(ap);
	r->failed = code;
	return code;
}

void trc_reader_options_init(struct trc_reader_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->size = sizeof(*opt);
	opt->cycle_ps = TRC_DEFAULT_CYCLE_PS;
	opt->max_line = TRC_DEFAULT_MAX_LINE;
}

static void set_error(struct trc_error *err, int code, const char *name, uint32_t line,
		      uint32_t col, const char *msg)
{
	if (!err)
		return;
	memset(err, 0, sizeof(*err));
	err->code = code;
	trc_copy_name(err->file, sizeof(err->file), name);
	err->line = line;
	err->col = col;
	snprintf(err->msg, sizeof(err->msg), "%s", msg);
}

/* Common set-up; opt fields past the caller's size keep their defaults. */
static int reader_new(const char *name, const struct trc_reader_options *opt,
		      struct trc_reader **out, struct trc_error *err)
{
	struct trc_reader *r;

	*out = NULL;
	if (opt && (opt->size < offsetof(struct trc_reader_options, cycle_ps) + sizeof(uint64_t))) {
		set_error(err, TRC_E_INVAL, name, 0, 0, "reader options: size is not set");
		return TRC_E_INVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		set_error(err, TRC_E_NOMEM, name, 0, 0, "out of memory");
		return TRC_E_NOMEM;
	}
	trc_reader_options_init(&r->opt);
	if (opt) {
		size_t n = opt->size < sizeof(r->opt) ? opt->size : sizeof(r->opt);

		memcpy(&r->opt, opt, n);
		r->opt.size = sizeof(r->opt);
		if (!r->opt.cycle_ps)
			r->opt.cycle_ps = TRC_DEFAULT_CYCLE_PS;
		if (!r->opt.max_line || r->opt.max_line > ((size_t)1 << 30))
			r->opt.max_line = r->opt.max_line ? ((size_t)1 << 30) : TRC_DEFAULT_MAX_LINE;
	}
	trc_copy_name(r->name, sizeof(r->name), name);
	trc_copy_name(r->err.file, sizeof(r->err.file), name);
	r->words.elem = sizeof(struct trc_value);
	r->stack.elem = sizeof(struct trc_value);
	r->args.elem = sizeof(struct trc_arg);
	r->results.elem = sizeof(struct trc_arg);
	*out = r;
	return TRC_OK;
}

int trc_reader_open(const char *path, const struct trc_reader_options *opt,
		    struct trc_reader **out, struct trc_error *err)
{
	struct trc_reader *r;
	int rc;

	if (!out || !path) {
		set_error(err, TRC_E_INVAL, path ? path : "", 0, 0, "trc_reader_open: NULL argument");
		if (out)
			*out = NULL;
		return TRC_E_INVAL;
	}
	rc = reader_new(strcmp(path, "-") == 0 ? "<stdin>" : path, opt, out, err);
	if (rc)
		return rc;
	r = *out;
	rc = trc_input_open_file(&r->in, path, r->opt.max_line);
	if (rc) {
		set_error(err, rc, r->name, 0, 0, r->in.err_msg);
		trc_reader_close(r);
		*out = NULL;
		return rc;
	}
	return TRC_OK;
}

int trc_reader_open_mem(const void *buf, size_t len, const char *name,
			const struct trc_reader_options *opt,
			struct trc_reader **out, struct trc_error *err)
{
	struct trc_reader *r;
	int rc;

	if (!name)
		name = "<memory>";
	if (!out || (!buf && len)) {
		set_error(err, TRC_E_INVAL, name, 0, 0, "trc_reader_open_mem: NULL argument");
		if (out)
			*out = NULL;
		return TRC_E_INVAL;
	}
	rc = reader_new(name, opt, out, err);
	if (rc)
		return rc;
	r = *out;
	rc = trc_input_open_mem(&r->in, buf ? buf : "", len, r->opt.max_line);
	if (rc) {
		set_error(err, rc, name, 0, 0, r->in.err_msg);
		trc_reader_close(r);
		*out = NULL;
		return rc;
	}
	return TRC_OK;
}

/* The dma lane on the unread text: 1 when it took the next line (*dma
 * filled, the line consumed and counted), else 0 with nothing changed. */
static inline int lane_take(struct trc_reader *r, struct trc_dma *dma)
{
	const char *text = trc_input_peek(&r->in);
	size_t used;

	if (!text || !(used = trc_lex_dma(r, text, dma)))
		return 0;
	trc_input_skip(&r->in, used);
	r->nrecords++;
	return 1;
}

/* Both readers' loop; dma (may be NULL) takes plain dma lines.
 * lane_tried: the lane did not take the first line (trc_reader_next_dma). */
static int reader_next(struct trc_reader *r, const struct trc_record **rec, struct trc_dma *dma,
		       int lane_tried)
{
	if (!r || !rec)
		return TRC_E_INVAL;
	*rec = NULL;
	if (r->failed)
		return r->failed;
	if (r->done)
		return TRC_EOF;
	for (;; lane_tried = 0) {
		char *line;
		size_t len;
		int rc;

		/* The dma lane reads the text in place, newline search included. */
		if (dma && !lane_tried && r->nrecords && lane_take(r, dma))
			return TRC_DMA;
		rc = trc_input_line_fast(&r->in, &line, &len);

		if (rc == TRC_EOF) {
			if (r->nrecords == 0) {
				/* An empty trace has no header: report where it ends. */
				return trc_fail(r, TRC_E_VERSION, r->in.lineno + 1, 1,
						"missing header: expected `smmutrace 1` as the first record, found the end of the file");
			}
			r->done = 1;
			return TRC_EOF;
		}
		if (rc) {
			return trc_fail(r, rc, r->in.err_line, r->in.err_col, "%s", r->in.err_msg);
		}
		/* A UTF-8 byte order mark may open the file; columns count after it. */
		if (r->in.lineno == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
			line += 3;
			len -= 3;
		}
		trc_arena_reset(&r->rec_arena);
		r->stack.n = 0;
		rc = trc_lex_line(r, line, len);
		if (rc == 0)
			continue;
		if (rc < 0)
			return rc;
		rc = trc_check_record(r, &r->rec);
		if (rc)
			return rc;
		r->nrecords++;
		*rec = &r->rec;
		return TRC_OK;
	}
}

int trc_reader_next(struct trc_reader *r, const struct trc_record **rec)
{
	return reader_next(r, rec, NULL, 0);
}

int trc_reader_next_dma(struct trc_reader *r, const struct trc_record **rec, struct trc_dma *dma)
{
	if (!dma)
		return TRC_E_INVAL;
	/* The lane's line, without reader_next()'s frame (most calls end here). */
	if (!r || !rec || r->failed || r->done || !r->nrecords)
		return reader_next(r, rec, dma, 0);
	*rec = NULL;
	return lane_take(r, dma) ? TRC_DMA : reader_next(r, rec, dma, 1);
}

const struct trc_error *trc_reader_error(const struct trc_reader *r)
{
	return &r->err;
}

void trc_reader_version(const struct trc_reader *r, unsigned *major, unsigned *minor)
{
	if (major)
		*major = r->major;
	if (minor)
		*minor = r->minor;
}

uint32_t trc_reader_line(const struct trc_reader *r)
{
	return r->in.lineno;
}

void trc_reader_close(struct trc_reader *r)
{
	if (!r)
		return;
	trc_input_close(&r->in);
	trc_arena_free(&r->rec_arena);
	trc_arena_free(&r->names);
	trc_names_free(&r->vars);
	trc_names_free(&r->devices);
	trc_names_free(&r->smmus);
	trc_vec_free(&r->words);
	trc_vec_free(&r->args);
	trc_vec_free(&r->results);
	trc_vec_free(&r->stack);
	free(r);
}

/* ---------------------------------------------------------- whole files */

int trc_file_check(const char *path, const struct trc_reader_options *opt,
		   uint64_t *nrecords, struct trc_error *err)
{
	struct trc_reader *r;
	const struct trc_record *rec;
	uint64_t n = 0;
	int rc;

	if (nrecords)
		*nrecords = 0;
	rc = trc_reader_open(path, opt, &r, err);
	if (rc)
		return rc;
	while ((rc = trc_reader_next(r, &rec)) == TRC_OK)
		n++;
	if (rc == TRC_EOF) {
		rc = TRC_OK;
		if (err)
			memset(err, 0, sizeof(*err));
	} else if (err) {
		*err = r->err;
	}
	if (nrecords)
		*nrecords = n;
	trc_reader_close(r);
	return rc;
}

int trc_file_dump(const char *path, const struct trc_reader_options *opt,
		  trc_sink_fn sink, void *ctx, struct trc_error *err)
{
	struct trc_reader *r;
	struct trc_writer *w;
	struct trc_writer_options wo;
	const struct trc_record *rec;
	int rc, wrc;

	if (!sink) {
		set_error(err, TRC_E_INVAL, path ? path : "", 0, 0, "trc_file_dump: NULL sink");
		return TRC_E_INVAL;
	}
	rc = trc_reader_open(path, opt, &r, err);
	if (rc)
		return rc;
	trc_writer_options_init(&wo);
	wo.cycle_ps = r->opt.cycle_ps;
	rc = trc_writer_open_sink(sink, ctx, 0, &wo, &w, err);
	if (rc) {
		trc_reader_close(r);
		return rc;
	}
	while ((rc = trc_reader_next(r, &rec)) == TRC_OK) {
		rc = trc_writer_put(w, rec);
		if (rc)
			break;
	}
	if (rc == TRC_EOF) {
		rc = TRC_OK;
	} else if (rc < 0 && r->failed) {
		if (err)
			*err = r->err;
	} else if (rc < 0 && err) {
		*err = *trc_writer_error(w);
	}
	/* Flush what was read even after a read error: dump shows up to the error. */
	wrc = trc_writer_close(w);
	if (!rc && wrc) {
		rc = wrc;
		set_error(err, wrc, path, 0, 0, "cannot write the output");
	}
	if (!rc && err)
		memset(err, 0, sizeof(*err));
	trc_reader_close(r);
	return rc;
}
