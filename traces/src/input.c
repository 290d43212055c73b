/*
 * input.c - the reader's byte source and line splitter.
 *
 * Input is a file or a caller buffer, plain or gzip. gzip is recognised by
 * its magic bytes (0x1f 0x8b) whatever the name, and inflated with zlib;
 * concatenated gzip members are read one after another, as gzip(1) does.
 * Text is appended to one buffer in large blocks and lines are cut out of it
 * in place with memchr, so that a line costs no copy and no allocation.
 *
 * A decompression or read error is not reported at once: the text produced
 * before it is still split into lines and handed out, and the error is
 * reported where the text stops (the line being assembled, the column after
 * its last byte). That makes the position of a truncated or corrupt stream
 * "the line:col reached", as the format document promises.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "trc_internal.h"

/* Text is read/inflated in blocks of up to this size; raw file reads too. */
#define BLOCK ((size_t)256 << 10)
/* Smallest block: small buffers (tests, fuzzing) get small allocations. */
#define MIN_BLOCK ((size_t)4 << 10)
/* zlib counts in uInt: feed a caller buffer in slices no larger than this. */
#define ZSLICE ((size_t)1 << 30)

static void set_pending(struct trc_input *in, int code, const char *what, const char *detail)
{
	if (in->pending)
		return;
	in->pending = code;
	snprintf(in->pending_msg, sizeof(in->pending_msg), "%s%s%s", what, detail ? ": " : "",
		 detail ? detail : "");
}

static void *zalloc_cb(void *opaque, uInt items, uInt size)
{
	(void)opaque;
	return calloc(items, size);
}

static void zfree_cb(void *opaque, void *p)
{
	(void)opaque;
	free(p);
}

static int start_inflate(struct trc_input *in)
{
	memset(&in->zs, 0, sizeof(in->zs));
	in->zs.zalloc = zalloc_cb;
	in->zs.zfree = zfree_cb;
	/* 15 + 16: gzip wrapper only, with its CRC-32 and length checked. */
	if (inflateInit2(&in->zs, 15 + 16) != Z_OK)
		return TRC_E_NOMEM;
	in->zs_live = 1;
	in->gzip = 1;
	return TRC_OK;
}

static int alloc_text(struct trc_input *in, size_t max_line, size_t block)
{
	in->max_line = max_line;
	in->block = block;
	in->cap = 4 * block;
	in->buf = calloc(1, in->cap + TRC_INPUT_PAD);
	if (!in->buf)
		return TRC_E_NOMEM;
	in->buf[0] = '\0'; /* buf[end] is always a NUL (trc_input_peek) */
	return TRC_OK;
}

int trc_input_open_file(struct trc_input *in, const char *path, size_t max_line)
{
	memset(in, 0, sizeof(*in));
	/* "-" is standard input: a pipe (`smmusim gen ... | smmusim replay -`)
	 * is read in blocks like a file, never whole, and never closed here. */
	in->fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!in->fp) {
		snprintf(in->err_msg, sizeof(in->err_msg), "cannot open: %s", strerror(errno));
		return TRC_E_IO;
	}
	in->raw_cap = BLOCK;
	in->raw = malloc(in->raw_cap);
	if (!in->raw || alloc_text(in, max_line, BLOCK)) {
		snprintf(in->err_msg, sizeof(in->err_msg), "out of memory");
		return TRC_E_NOMEM;
	}
	/* Sniff: read the first block, look at its first two bytes. */
	in->raw_len = fread(in->raw, 1, in->raw_cap, in->fp);
	if (in->raw_len < in->raw_cap) {
		if (ferror(in->fp)) {
			snprintf(in->err_msg, sizeof(in->err_msg), "read error: %s", strerror(errno));
			return TRC_E_IO;
		}
		in->raw_eof = 1;
	}
	if (in->raw_len >= 2 && in->raw[0] == 0x1f && in->raw[1] == 0x8b) {
		if (start_inflate(in)) {
			snprintf(in->err_msg, sizeof(in->err_msg), "out of memory");
			return TRC_E_NOMEM;
		}
		in->zs.next_in = in->raw;
		in->zs.avail_in = (uInt)in->raw_len;
	}
	return TRC_OK;
}

int trc_input_open_mem(struct trc_input *in, const void *buf, size_t len, size_t max_line)
{
	size_t block;

	memset(in, 0, sizeof(*in));
	in->mem = buf;
	in->mem_len = len;
	/* Expect some 4x expansion for gzip; a block never needs to exceed the text. */
	block = len < BLOCK / 4 ? len * 4 : BLOCK;
	if (block < MIN_BLOCK)
		block = MIN_BLOCK;
	if (alloc_text(in, max_line, block)) {
		snprintf(in->err_msg, sizeof(in->err_msg), "out of memory");
		return TRC_E_NOMEM;
	}
	if (len >= 2 && in->mem[0] == 0x1f && in->mem[1] == 0x8b) {
		if (start_inflate(in)) {
			snprintf(in->err_msg, sizeof(in->err_msg), "out of memory");
			return TRC_E_NOMEM;
		}
	}
	return TRC_OK;
}

void trc_input_close(struct trc_input *in)
{
	if (in->zs_live)
		inflateEnd(&in->zs);
	if (in->fp && in->fp != stdin)
		fclose(in->fp);
	free(in->raw);
	free(in->buf);
	memset(in, 0, sizeof(*in));
}

/* Give zlib more compressed bytes if it has none. Returns 0, or an error code. */
static int feed_raw(struct trc_input *in)
{
	if (in->zs.avail_in || in->raw_eof)
		return 0;
	if (in->mem) {
		size_t n = in->mem_len - in->mem_pos;

		if (n > ZSLICE)
			n = ZSLICE;
		in->zs.next_in = (Bytef *)(uintptr_t)(in->mem + in->mem_pos);
		in->zs.avail_in = (uInt)n;
		in->mem_pos += n;
		if (in->mem_pos == in->mem_len)
			in->raw_eof = 1;
		return 0;
	}
	in->raw_len = fread(in->raw, 1, in->raw_cap, in->fp);
	if (in->raw_len < in->raw_cap) {
		if (ferror(in->fp)) {
			set_pending(in, TRC_E_IO, "read error", strerror(errno));
			return TRC_E_IO;
		}
		in->raw_eof = 1;
	}
	in->zs.next_in = in->raw;
	in->zs.avail_in = (uInt)in->raw_len;
	return 0;
}

/* Inflate into dst. Returns bytes produced (>0), 0 at the end, or <0 (pending set). */
static long fill_gzip(struct trc_input *in, char *dst, size_t room)
{
	if (room > ZSLICE)
		room = ZSLICE;
	in->zs.next_out = (Bytef *)dst;
	in->zs.avail_out = (uInt)room;
	for (;;) {
		int ret;
		size_t produced;

		if (feed_raw(in))
			break;
		if (in->member_end) {
			/* Another member may follow (concatenated gzip files). */
			if (!in->zs.avail_in && in->raw_eof)
				return 0;
			if (inflateReset(&in->zs) != Z_OK) {
				set_pending(in, TRC_E_GZIP, "corrupt gzip stream", NULL);
				break;
			}
			in->member_end = 0;
		}
		ret = inflate(&in->zs, Z_NO_FLUSH);
		produced = room - in->zs.avail_out;
		if (ret == Z_STREAM_END) {
			in->member_end = 1;
			if (produced)
				return (long)produced;
			continue;
		}
		if (ret == Z_OK) {
			if (produced)
				return (long)produced;
			continue;
		}
		if (ret == Z_BUF_ERROR && !in->zs.avail_in && in->raw_eof) {
			set_pending(in, TRC_E_GZIP, "truncated gzip stream (input ends before the end of the compressed data)", NULL);
			if (produced)
				return (long)produced;
			break;
		}
		if (ret == Z_BUF_ERROR)
			continue;
		if (ret == Z_MEM_ERROR)
			set_pending(in, TRC_E_NOMEM, "out of memory", NULL);
		else
			set_pending(in, TRC_E_GZIP, "corrupt gzip stream",
				    in->zs.msg ? in->zs.msg : "bad data");
		if (produced)
			return (long)produced;
		break;
	}
	return -1;
}

/* Copy or read plain text into dst. Same return convention as fill_gzip. */
static long fill_plain(struct trc_input *in, char *dst, size_t room)
{
	size_t n;

	if (in->raw_pos < in->raw_len) {
		/* The block read while sniffing for gzip. */
		n = in->raw_len - in->raw_pos;
		if (n > room)
			n = room;
		memcpy(dst, in->raw + in->raw_pos, n);
		in->raw_pos += n;
		return (long)n;
	}
	if (in->mem) {
		n = in->mem_len - in->mem_pos;
		if (n > room)
			n = room;
		if (n > in->block)
			n = in->block;
		memcpy(dst, in->mem + in->mem_pos, n);
		in->mem_pos += n;
		return (long)n;
	}
	if (in->raw_eof || !in->fp)
		return 0;
	n = fread(dst, 1, room, in->fp);
	if (n < room) {
		if (ferror(in->fp)) {
			set_pending(in, TRC_E_IO, "read error", strerror(errno));
			return n ? (long)n : -1;
		}
		in->raw_eof = 1;
	}
	return (long)n;
}

/* Make room for one more block after end; keeps the partial line at pos. */
static int make_room(struct trc_input *in)
{
	size_t used;

	if (in->cap - in->end > in->block)
		return TRC_OK;
	if (in->pos) {
		used = in->end - in->pos;
		memmove(in->buf, in->buf + in->pos, used);
		in->end = used;
		in->pos = 0;
	}
	if (in->cap - in->end <= in->block) {
		/* Only a line longer than the buffer gets here; max_line bounds it. */
		size_t cap = in->cap * 2;
		char *b;

		while (cap - in->end <= in->block)
			cap *= 2;
		b = realloc(in->buf, cap + TRC_INPUT_PAD);
		if (!b)
			return TRC_E_NOMEM;
		memset(b + in->cap, 0, cap - in->cap + TRC_INPUT_PAD);
		in->buf = b;
		in->cap = cap;
	}
	return TRC_OK;
}

static int fail_at(struct trc_input *in, int code, uint32_t line, uint32_t col, const char *msg)
{
	in->err_line = line;
	in->err_col = col;
	snprintf(in->err_msg, sizeof(in->err_msg), "%s", msg);
	return code;
}

static int too_long(struct trc_input *in)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "line too long (the limit is %zu bytes)", in->max_line);
	return fail_at(in, TRC_E_LIMIT, in->lineno + 1, (uint32_t)(in->max_line + 1), msg);
}

int trc_input_line(struct trc_input *in, char **line, size_t *len)
{
	for (;;) {
		char *s = in->buf + in->pos;
		size_t avail = in->end - in->pos;
		char *nl = memchr(s + in->scanned, '\n', avail - in->scanned);
		size_t n;
		long got;
		int rc;

		if (nl || (in->text_eof && avail)) {
			n = nl ? (size_t)(nl - s) : avail;
			/* A last line without a newline: a spare byte always follows end. */
			s[n] = '\0';
			if (n && s[n - 1] == '\r')
				s[--n] = '\0';
			if (n > in->max_line)
				return too_long(in);
			in->pos += (nl ? (size_t)(nl - s) + 1 : avail);
			in->scanned = 0;
			in->lineno++;
			*line = s;
			*len = n;
			return TRC_OK;
		}
		in->scanned = avail;
		/* Longer than the limit even if a CR and the newline come next. */
		if (avail > in->max_line + 1)
			return too_long(in);
		if (in->text_eof)
			return TRC_EOF;
		if (in->pending) {
			return fail_at(in, in->pending, in->lineno + 1, (uint32_t)avail + 1,
				       in->pending_msg);
		}
		rc = make_room(in);
		if (rc)
			return fail_at(in, rc, in->lineno + 1, (uint32_t)avail + 1, "out of memory");
		/* Keep one byte spare to NUL-terminate a last line without newline. */
		got = in->gzip ? fill_gzip(in, in->buf + in->end, in->cap - in->end - 1)
			       : fill_plain(in, in->buf + in->end, in->cap - in->end - 1);
		if (got > 0)
			in->end += (size_t)got;
		else if (got == 0)
			in->text_eof = 1;
		in->buf[in->end] = '\0';
		/* got < 0: pending is set; the loop reports it after the text. */
	}
}
