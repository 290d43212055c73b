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

/*
 * CRC-32 by carry-less multiplication (x86 with PCLMULQDQ, chosen at run
 * time) runs some 2.5 times as fast as zlib's table-driven crc32(), which
 * costs about 5% of reading a gzip trace: where it is available the
 * integrity check of gzip members is done here (fill_gzip). Build with
 * -DTRC_NO_CLMUL to leave the whole check to zlib.
 */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && \
	defined(ZLIB_VERNUM) && ZLIB_VERNUM >= 0x1290 && !defined(TRC_NO_CLMUL)
#define TRC_CRC_CLMUL 1
#include <immintrin.h>
#endif

/* What an input that ends inside a gzip member reports (data or trailer). */
static const char truncated[] =
	"truncated gzip stream (input ends before the end of the compressed data)";

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

#ifdef TRC_CRC_CLMUL
/*
 * CRC-32 (gzip) of buf[0..len), len a multiple of 16 and at least 64, on the
 * bit-inverted register crc (pass ~crc, invert the result): four 128-bit
 * lanes folded 512 bits at a time, then folded into one and reduced
 * (Barrett), as in Intel's "Fast CRC Computation for Generic Polynomials
 * Using PCLMULQDQ Instruction", with its bit-reflected constants for the
 * gzip polynomial.
 */
__attribute__((target("pclmul,sse4.1")))
static uint32_t crc32_clmul(uint32_t crc, const unsigned char *buf, size_t len)
{
	const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);
	const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
	const __m128i k5 = _mm_set_epi64x(0, 0x0163cd6124);
	const __m128i poly = _mm_set_epi64x(0x01f7011641, 0x01db710641);
	const __m128i mask32 = _mm_setr_epi32(~0, 0, ~0, 0);
	__m128i x1, x2, x3, x4, x5, x6, x7, x8;

#define LOAD(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
	x1 = _mm_xor_si128(LOAD(buf), _mm_cvtsi32_si128((int)crc));
	x2 = LOAD(buf + 16);
	x3 = LOAD(buf + 32);
	x4 = LOAD(buf + 48);
	for (buf += 64, len -= 64; len >= 64; buf += 64, len -= 64) {
		x5 = _mm_clmulepi64_si128(x1, k1k2, 0x00);
		x6 = _mm_clmulepi64_si128(x2, k1k2, 0x00);
		x7 = _mm_clmulepi64_si128(x3, k1k2, 0x00);
		x8 = _mm_clmulepi64_si128(x4, k1k2, 0x00);
		x1 = _mm_clmulepi64_si128(x1, k1k2, 0x11);
		x2 = _mm_clmulepi64_si128(x2, k1k2, 0x11);
		x3 = _mm_clmulepi64_si128(x3, k1k2, 0x11);
		x4 = _mm_clmulepi64_si128(x4, k1k2, 0x11);
		x1 = _mm_xor_si128(_mm_xor_si128(x1, x5), LOAD(buf));
		x2 = _mm_xor_si128(_mm_xor_si128(x2, x6), LOAD(buf + 16));
		x3 = _mm_xor_si128(_mm_xor_si128(x3, x7), LOAD(buf + 32));
		x4 = _mm_xor_si128(_mm_xor_si128(x4, x8), LOAD(buf + 48));
	}
	x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
	x1 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x1, k3k4, 0x11), x2), x5);
	x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
	x1 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x1, k3k4, 0x11), x3), x5);
	x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
	x1 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x1, k3k4, 0x11), x4), x5);
	for (; len >= 16; buf += 16, len -= 16) {
		x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
		x1 = _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x1, k3k4, 0x11), LOAD(buf)),
				   x5);
	}
#undef LOAD
	x2 = _mm_clmulepi64_si128(x1, k3k4, 0x10);
	x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), x2);
	x2 = _mm_srli_si128(x1, 4);
	x1 = _mm_and_si128(x1, mask32);
	x1 = _mm_xor_si128(_mm_clmulepi64_si128(x1, k5, 0x00), x2);
	x2 = _mm_and_si128(x1, mask32);
	x2 = _mm_clmulepi64_si128(x2, poly, 0x10);
	x2 = _mm_and_si128(x2, mask32);
	x2 = _mm_clmulepi64_si128(x2, poly, 0x00);
	x1 = _mm_xor_si128(x1, x2);
	return (uint32_t)_mm_extract_epi32(x1, 1);
}
#endif

/* Can this machine check CRCs faster than zlib does? */
static int fast_crc_available(void)
{
#ifdef TRC_CRC_CLMUL
	return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
#else
	return 0;
#endif
}

/* crc32() of zlib, the bulk by carry-less multiplication when the machine has it. */
static uint32_t crc_update(const struct trc_input *in, uint32_t crc, const unsigned char *buf,
			   size_t len)
{
#ifdef TRC_CRC_CLMUL
	if (in->own_check && len >= 64) {
		size_t n = len & ~(size_t)15;

		crc = ~crc32_clmul(~crc, buf, n);
		buf += n;
		len -= n;
	}
#else
	(void)in;
#endif
	while (len) {
		uInt n = len > ZSLICE ? (uInt)ZSLICE : (uInt)len;

		crc = (uint32_t)crc32(crc, buf, n);
		buf += n;
		len -= n;
	}
	return crc;
}

/*
 * Where an own_check member is: in its header (zlib reads it as gzip), its
 * data (raw deflate, CRC-32 taken here), its trailer (read here) - or, should
 * the header not end on a byte boundary, read whole by zlib after all.
 */
enum { PH_HEADER, PH_DATA, PH_TRAILER, PH_WHOLE };

/*
 * Read the trailer of a member (own_check): the CRC-32 of its text, then
 * its length mod 2^32, each compared as soon as its 4 bytes are there, as
 * zlib does. Returns 1 when it matched, 0 when more input is needed, -1
 * (pending set) on a mismatch.
 */
static int read_trailer(struct trc_input *in)
{
	while (in->trailer_len < 8 && in->zs.avail_in) {
		in->trailer[in->trailer_len++] = *in->zs.next_in++;
		in->zs.avail_in--;
		if (in->trailer_len == 4 || in->trailer_len == 8) {
			const unsigned char *t = in->trailer + in->trailer_len - 4;
			uint32_t v = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 |
				     (uint32_t)t[3] << 24;

			if (in->trailer_len == 4 && v != in->crc) {
				set_pending(in, TRC_E_GZIP, "corrupt gzip stream",
					    "incorrect data check");
				return -1;
			}
			if (in->trailer_len == 8 &&
			    v != (uint32_t)(in->zs.total_out & 0xffffffffu)) {
				set_pending(in, TRC_E_GZIP, "corrupt gzip stream",
					    "incorrect length check");
				return -1;
			}
		}
	}
	return in->trailer_len == 8;
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
	in->own_check = fast_crc_available();
	in->phase = PH_HEADER;
	return TRC_OK;
}

static int alloc_text(struct trc_input *in, size_t max_line, size_t block)
{
	in->max_line = max_line;
	in->block = block;
	in->cap = 4 * block;
	in->buf = malloc(in->cap);
	return in->buf ? TRC_OK : TRC_E_NOMEM;
}

int trc_input_open_file(struct trc_input *in, const char *path, size_t max_line)
{
	memset(in, 0, sizeof(*in));
	in->fp = fopen(path, "rb");
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
	if (in->fp)
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

/*
 * Inflate into dst. Returns bytes produced (>0), 0 at the end, or <0 (pending set).
 *
 * Without own_check zlib reads each member whole, checking its CRC-32 and
 * length. With it, zlib reads the header as gzip (with its checks and
 * messages) and stops there (Z_BLOCK); the data is then inflated as raw
 * deflate, its CRC-32 taken here, and the trailer checked by read_trailer()
 * at the points and in the words zlib would use, so that every stream gives
 * the same text, error and position either way.
 */
static long fill_gzip(struct trc_input *in, char *dst, size_t room)
{
	if (room > ZSLICE)
		room = ZSLICE;
	in->zs.next_out = (Bytef *)dst;
	in->zs.avail_out = (uInt)room;
	for (;;) {
		int ret;
		size_t produced;
		Bytef *out = in->zs.next_out;

		if (feed_raw(in))
			break;
		if (in->member_end) {
			/* Another member may follow (concatenated gzip files). */
			if (!in->zs.avail_in && in->raw_eof)
				return 0;
			if ((in->own_check ? inflateReset2(&in->zs, 15 + 16)
					   : inflateReset(&in->zs)) != Z_OK) {
				set_pending(in, TRC_E_GZIP, "corrupt gzip stream", NULL);
				break;
			}
			in->member_end = 0;
			in->phase = PH_HEADER;
		}
		if (in->own_check && in->phase == PH_TRAILER) {
			int rc = read_trailer(in);

			produced = room - in->zs.avail_out;
			if (rc > 0) {
				in->member_end = 1;
				if (produced)
					return (long)produced;
				continue;
			}
			if (rc == 0 && in->raw_eof && !in->zs.avail_in) {
				set_pending(in, TRC_E_GZIP, truncated, NULL);
				rc = -1;
			}
			if (rc < 0) {
				if (produced)
					return (long)produced;
				break;
			}
			continue;
		}
		ret = inflate(&in->zs,
			      in->own_check && in->phase == PH_HEADER ? Z_BLOCK : Z_NO_FLUSH);
		produced = room - in->zs.avail_out;
		if (in->own_check) {
			if (in->phase == PH_HEADER) {
				/*
				 * Header read and checked, zlib holding no bits of the
				 * data (it never does there): on to the data, as raw
				 * deflate from the next byte.
				 */
				if (ret == Z_OK && (in->zs.data_type & 128)) {
					in->phase = PH_WHOLE;
					if (in->zs.data_type == 128 &&
					    inflateReset2(&in->zs, -15) == Z_OK) {
						in->phase = PH_DATA;
						in->crc = 0;
						in->trailer_len = 0;
					}
				}
			} else if (in->phase == PH_DATA && in->zs.next_out != out) {
				in->crc = crc_update(in, in->crc, out,
						     (size_t)(in->zs.next_out - out));
			}
			if (ret == Z_STREAM_END && in->phase == PH_DATA) {
				/* The deflate data ended: the trailer follows. */
				in->phase = PH_TRAILER;
				if (produced)
					return (long)produced;
				continue;
			}
		}
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
			set_pending(in, TRC_E_GZIP, truncated, NULL);
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
		b = realloc(in->buf, cap);
		if (!b)
			return TRC_E_NOMEM;
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
		/* got < 0: pending is set; the loop reports it after the text. */
	}
}
