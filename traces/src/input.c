/*
 * input.c - the reader's byte source and line splitter.
 *
 * Input is a file or a caller buffer, plain or gzip. gzip is recognised by
 * its magic bytes (0x1f 0x8b) whatever the name; concatenated gzip members
 * are read one after another, as gzip(1) does. A regular file or a buffer
 * is inflated with ISA-L's igzip, some 2.7 times zlib's speed on trace text
 * (zlib's inflate alone took 30 ns of the 50 ns a record may cost at 20 M
 * records/s); TRACE-FORMAT.md promises zlib, so where igzip finds the data
 * corrupt, zlib inflates that member again from its start and decides what
 * the error is and where the text stops (the two stop at different bytes of
 * a corrupt block). A pipe, which cannot be read twice, is inflated by zlib.
 * Text is appended to one buffer in large blocks and lines are cut out of it
 * in place with memchr, so that a line costs no copy and no allocation.
 *
 * A decompression or read error is not reported at once: the text produced
 * before it is still split into lines and handed out, and the error is
 * reported where the text stops (the line being assembled, the column after
 * its last byte). That makes the position of a truncated or corrupt stream
 * "the line:col reached", as the format document promises.
 */
/* pread, fileno, ftello: POSIX.1-2008 beside C11. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "trc_internal.h"

/* Text is read/inflated in blocks of up to this size; raw file reads too.
 * 64 KiB: the text buffer (4 blocks) and the raw block stay in the host's
 * L2 cache, and a replay first touches 80 pages for them, not 320 (with
 * 256 KiB blocks the first million DMAs of a replay took 3 ms longer). */
#define BLOCK ((size_t)64 << 10)
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

/* zlib for a stream (GZ_ZLIB), igzip otherwise (GZ_IGZIP). */
static int start_inflate(struct trc_input *in, int kind)
{
	if (kind == GZ_IGZIP) {
		in->ig = malloc(sizeof(*in->ig));
		if (!in->ig)
			return TRC_E_NOMEM;
		isal_inflate_init(in->ig);
		in->ig->crc_flag = ISAL_GZIP; /* gzip wrapper, its CRC-32 and length checked */
	} else {
		memset(&in->zs, 0, sizeof(in->zs));
		in->zs.zalloc = zalloc_cb;
		in->zs.zfree = zfree_cb;
		/* 15 + 16: gzip wrapper only, with its CRC-32 and length checked. */
		if (inflateInit2(&in->zs, 15 + 16) != Z_OK)
			return TRC_E_NOMEM;
		in->zs_live = 1;
	}
	in->gzip = kind;
	return TRC_OK;
}

/* The compressed bytes the inflater has not taken yet. */
static void set_in(struct trc_input *in, const unsigned char *p, size_t n)
{
	if (in->gzip == GZ_IGZIP) {
		in->ig->next_in = (uint8_t *)(uintptr_t)p;
		in->ig->avail_in = (uint32_t)n;
	} else {
		in->zs.next_in = (Bytef *)(uintptr_t)p;
		in->zs.avail_in = (uInt)n;
	}
}

static size_t avail_in(const struct trc_input *in)
{
	return in->gzip == GZ_IGZIP ? in->ig->avail_in : in->zs.avail_in;
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
		struct stat st;
		int regular = fstat(fileno(in->fp), &st) == 0 && S_ISREG(st.st_mode);

		if (start_inflate(in, regular ? GZ_IGZIP : GZ_ZLIB)) {
			snprintf(in->err_msg, sizeof(in->err_msg), "out of memory");
			return TRC_E_NOMEM;
		}
		/* Where the compressed bytes start (a file opened at an offset). */
		in->raw_base = regular && ftello(in->fp) >= (off_t)in->raw_len
				       ? (uint64_t)ftello(in->fp) - in->raw_len
				       : 0;
		in->member_off = in->raw_base;
		set_in(in, in->raw, in->raw_len);
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
		if (start_inflate(in, GZ_IGZIP)) {
			snprintf(in->err_msg, sizeof(in->err_msg), "out of memory");
			return TRC_E_NOMEM;
		}
	}
	return TRC_OK;
}

void trc_input_close(struct trc_input *in)
{
	free(in->ig);
	if (in->zs_live)
		inflateEnd(&in->zs);
	if (in->fp && in->fp != stdin)
		fclose(in->fp);
	free(in->raw);
	free(in->buf);
	memset(in, 0, sizeof(*in));
}

/* Give the inflater more compressed bytes if it has none. Returns 0, or an error code. */
static int feed_raw(struct trc_input *in)
{
	if (avail_in(in) || in->raw_eof)
		return 0;
	if (in->mem) {
		size_t n = in->mem_len - in->mem_pos;

		if (n > ZSLICE)
			n = ZSLICE;
		set_in(in, in->mem + in->mem_pos, n);
		in->mem_pos += n;
		if (in->mem_pos == in->mem_len)
			in->raw_eof = 1;
		return 0;
	}
	in->raw_base += in->raw_len;
	in->raw_len = fread(in->raw, 1, in->raw_cap, in->fp);
	if (in->raw_len < in->raw_cap) {
		if (ferror(in->fp)) {
			set_pending(in, TRC_E_IO, "read error", strerror(errno));
			return TRC_E_IO;
		}
		in->raw_eof = 1;
	}
	set_in(in, in->raw, in->raw_len);
	return 0;
}

static const char truncated_msg[] =
	"truncated gzip stream (input ends before the end of the compressed data)";

/* Inflate into dst with zlib. Returns bytes produced (>0), 0 at the end, or
 * <0 (pending set). */
static long fill_zlib(struct trc_input *in, char *dst, size_t room)
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
			set_pending(in, TRC_E_GZIP, truncated_msg, NULL);
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

/* Compressed bytes from offset off of a file or buffer input: up to n into
 * buf (a file) or in place (*p, a buffer). Returns the count, 0 at the end. */
static size_t read_at(struct trc_input *in, uint64_t off, unsigned char *buf, size_t n,
		      const unsigned char **p)
{
	if (in->mem) {
		if (off >= in->mem_len)
			return 0;
		*p = in->mem + off;
		n = in->mem_len - off < n ? in->mem_len - off : n;
		return n;
	}
	*p = buf;
	ssize_t got = pread(fileno(in->fp), buf, n, (off_t)off);
	return got > 0 ? (size_t)got : 0;
}

/* igzip stopped inside the current member (corrupt or truncated data):
 * inflate the member again with zlib from its first byte. *made: the bytes
 * zlib makes of it before its error or the input's end; those past the
 * in->member_out igzip made go to tail (up to room; *appended: how many).
 * Returns 1 with zlib's message when zlib finds the data corrupt. */
static int zlib_verdict(struct trc_input *in, char *tail, size_t room, size_t *appended,
			uint64_t *made, char *msg, size_t msgsz)
{
	enum { CHUNK = 64 << 10 };
	unsigned char *ibuf = malloc(CHUNK), *obuf = malloc(CHUNK);
	z_stream z;
	uint64_t off = in->member_off;
	int found = 0;

	*made = 0;
	*appended = 0;
	memset(&z, 0, sizeof(z));
	if (!ibuf || !obuf || inflateInit2(&z, 15 + 16) != Z_OK) {
		free(ibuf);
		free(obuf);
		*made = in->member_out;
		return 0;
	}
	for (;;) {
		int ret;
		size_t k;

		if (!z.avail_in) {
			const unsigned char *p = NULL;
			size_t n = read_at(in, off, ibuf, CHUNK, &p);

			if (!n)
				break;
			off += n;
			z.next_in = (Bytef *)(uintptr_t)p;
			z.avail_in = (uInt)n;
		}
		z.next_out = obuf;
		z.avail_out = CHUNK;
		ret = inflate(&z, Z_NO_FLUSH);
		k = CHUNK - z.avail_out;
		if (*made + k > in->member_out) {
			size_t skip = *made >= in->member_out ? 0 : (size_t)(in->member_out - *made);
			size_t n = k - skip;

			if (n > room - *appended)
				n = room - *appended;
			memcpy(tail + *appended, obuf + skip, n);
			*appended += n;
		}
		*made += k;
		if (ret == Z_DATA_ERROR) {
			snprintf(msg, msgsz, "%s", z.msg ? z.msg : "bad data");
			found = 1;
			break;
		}
		if (ret != Z_OK && ret != Z_BUF_ERROR)
			break;
	}
	inflateEnd(&z);
	free(ibuf);
	free(obuf);
	return found;
}

/* What igzip says went wrong, when zlib does not say it. */
static const char *igzip_error(int ret)
{
	switch (ret) {
	case ISAL_INVALID_BLOCK: return "invalid block type or block header";
	case ISAL_INVALID_SYMBOL: return "invalid code or symbol";
	case ISAL_INVALID_LOOKBACK: return "invalid distance too far back";
	case ISAL_INVALID_WRAPPER: return "incorrect header check";
	case ISAL_UNSUPPORTED_METHOD: return "unknown compression method";
	case ISAL_INCORRECT_CHECKSUM: return "incorrect data check";
	case ISAL_NEED_DICT: return "needs a preset dictionary";
	default: return "bad data";
	}
}

/* Inflate into dst with igzip. Same return convention as fill_zlib. */
static long fill_igzip(struct trc_input *in, char *dst, size_t room)
{
	struct inflate_state *ig = in->ig;

	if (room > ZSLICE)
		room = ZSLICE;
	ig->next_out = (uint8_t *)dst;
	ig->avail_out = (uint32_t)room;
	for (;;) {
		int ret;
		size_t produced;
		uint32_t before;
		char msg[96];
		uint64_t made;
		size_t appended;
		int corrupt;

		if (feed_raw(in))
			break;
		if (in->member_end) {
			/* Another member may follow (concatenated gzip files). */
			uint8_t *next = ig->next_in;
			uint32_t avail = ig->avail_in, out_room = ig->avail_out;

			if (!avail && in->raw_eof)
				return 0;
			if (!avail)
				continue;
			in->member_off = in->mem ? (uint64_t)(next - in->mem)
						 : in->raw_base + (uint64_t)(next - in->raw);
			in->member_out = 0;
			isal_inflate_reset(ig);
			ig->crc_flag = ISAL_GZIP;
			ig->next_in = next;
			ig->avail_in = avail;
			ig->next_out = (uint8_t *)dst + (room - out_room);
			ig->avail_out = out_room;
			in->member_end = 0;
		}
		before = ig->avail_in;
		produced = room - ig->avail_out;
		ret = isal_inflate(ig);
		in->member_out += room - ig->avail_out - produced;
		produced = room - ig->avail_out;
		if (ret >= ISAL_DECOMP_OK) {
			if (ig->block_state == ISAL_BLOCK_FINISH)
				in->member_end = 1;
			if (produced)
				return (long)produced;
			if (in->member_end)
				continue;
			if (ig->avail_in && ig->avail_in == before) {
				/* Never seen: input left, none taken, nothing made. */
				set_pending(in, TRC_E_GZIP, "corrupt gzip stream", "the inflater made no progress");
				break;
			}
			if (ig->avail_in || !in->raw_eof)
				continue;
			/* Input ends inside the member: truncated, unless zlib finds
			 * it corrupt first (what follows a member is not gzip). */
		}
		/* zlib's word, and the text stops where zlib's would (igzip may
		 * hold back a last byte, or decode a little into a bad block). */
		corrupt = zlib_verdict(in, dst + produced, room - produced, &appended, &made, msg,
				       sizeof(msg));
		if (made < in->member_out) {
			uint64_t cut = in->member_out - made;

			produced = cut >= produced ? 0 : produced - (size_t)cut;
		} else {
			produced += appended;
		}
		if (corrupt) {
			set_pending(in, TRC_E_GZIP, "corrupt gzip stream", msg);
		} else if (ret >= ISAL_DECOMP_OK) {
			set_pending(in, TRC_E_GZIP, truncated_msg, NULL);
		} else {
			set_pending(in, TRC_E_GZIP, "corrupt gzip stream", igzip_error(ret));
		}
		if (produced)
			return (long)produced;
		break;
	}
	return -1;
}

/* Copy or read plain text into dst. Same return convention as fill_zlib. */
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
		got = in->gzip == GZ_IGZIP ? fill_igzip(in, in->buf + in->end, in->cap - in->end - 1)
		      : in->gzip == GZ_ZLIB ? fill_zlib(in, in->buf + in->end, in->cap - in->end - 1)
					    : fill_plain(in, in->buf + in->end, in->cap - in->end - 1);
		if (got > 0)
			in->end += (size_t)got;
		else if (got == 0)
			in->text_eof = 1;
		in->buf[in->end] = '\0';
		/* got < 0: pending is set; the loop reports it after the text. */
	}
}
