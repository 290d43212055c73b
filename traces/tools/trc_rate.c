/*
 * trc_rate.c - how fast the reader parses: generates a gzip trace of N
 * world records (default 3,000,000 `dma` lines with varying addresses, and
 * a share of ioctl/mmio/guest lines), then reads it back from memory and
 * from a file and prints records per second and nanoseconds per record for
 * each (the best of PASSES readings: the machine may be shared), plus the
 * rate of plain inflate over the same bytes as a baseline. Deterministic
 * input; the numbers depend on the machine. Not a test: nothing is asserted.
 *
 * usage: trc_rate [N] [tmpfile] [dma|bench]
 *   dma:   only dma lines (`dma nic0 addr=0x1234_5000 len=64 dir=read -> ok`)
 *   bench: only the dma lines of bench/trace_bench.cc (`dma d0 addr=0x40001040 len=64 dir=read`)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "trc/trace.h"

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static int buf_sink(void *ctx, const void *data, size_t len)
{
	struct buf *b = ctx;

	if (b->cap - b->len < len) {
		size_t cap = b->cap ? b->cap : 1 << 20;
		unsigned char *p;

		while (cap - b->len < len)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	timespec_get(&ts, TIME_UTC);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define PASSES 3

enum mode { MIXED, DMA_ONLY, BENCH };

/* Deterministic text: mostly the dma line of the task, some others. */
static size_t make_text(struct buf *t, unsigned long n, enum mode mode)
{
	char line[160];
	unsigned long i;
	uint64_t x = 0x9e3779b97f4a7c15ull, lcg = x;
	int len;

	len = snprintf(line, sizeof(line),
		       "smmutrace 1\ndevice nic0 smmu=smmu0 sid=0x100\ndevice nic1 smmu=smmu0 sid=0x200\n"
		       "%s\n", mode == BENCH ? "device d0 smmu=smmu0 sid=1"
					     : "open /dev/iommu -> fd=$iommufd");
	buf_sink(t, line, (size_t)len);
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (mode == BENCH) {
			/* The records of bench/trace_bench.cc, from its generator. */
			uint64_t addr;

			lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
			addr = 0x40000000ull + (((lcg >> 61) % 4) << 12) + ((lcg >> 32) & 0xfc0);

			len = snprintf(line, sizeof(line), "dma d0 addr=0x%llx len=64 dir=%s\n",
				       (unsigned long long)addr, i % 8 == 7 ? "write" : "read");
			if (buf_sink(t, line, (size_t)len))
				return 0;
			continue;
		}
		switch (mode == DMA_ONLY ? 0 : i % 16) {
		case 7:
			len = snprintf(line, sizeof(line),
				       "ioctl $iommufd IOMMU_IOAS_MAP ioas_id=1 flags=FIXED_IOVA|READABLE user_va=0x7f00_0000 length=2M iova=0x%llx\n",
				       (unsigned long long)((x & 0xffff) << 21));
			break;
		case 11:
			len = snprintf(line, sizeof(line), "@%luns mmio smmu0 write 0x90 val=0x%llx\n", i,
				       (unsigned long long)(x & 0xffffffff));
			break;
		default:
			len = snprintf(line, sizeof(line),
				       "dma nic%lu addr=0x%04llx_%04llx len=64 dir=%s -> ok\n", i & 1,
				       (unsigned long long)((x >> 16) & 0xffff),
				       (unsigned long long)(x & 0xf000), (x & 0x100) ? "read" : "write");
			break;
		}
		if (buf_sink(t, line, (size_t)len))
			return 0;
	}
	return t->len;
}

static int gzip_buf(const struct buf *in, struct buf *out)
{
	z_stream zs;
	unsigned char chunk[1 << 16];
	int ret;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	zs.next_in = in->p;
	zs.avail_in = (uInt)in->len;
	do {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		ret = deflate(&zs, Z_FINISH);
		buf_sink(out, chunk, sizeof(chunk) - zs.avail_out);
	} while (ret != Z_STREAM_END);
	deflateEnd(&zs);
	return 0;
}

static double inflate_rate(const struct buf *gz)
{
	z_stream zs;
	static unsigned char chunk[1 << 18];
	size_t total = 0;
	double t0 = now();
	int ret;

	memset(&zs, 0, sizeof(zs));
	inflateInit2(&zs, 15 + 16);
	zs.next_in = gz->p;
	zs.avail_in = (uInt)gz->len;
	do {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		ret = inflate(&zs, Z_NO_FLUSH);
		total += sizeof(chunk) - zs.avail_out;
	} while (ret == Z_OK);
	inflateEnd(&zs);
	return (double)total / (now() - t0);
}

static int read_all(struct trc_reader *r, unsigned long *count)
{
	const struct trc_record *rec;
	int rc;

	*count = 0;
	while ((rc = trc_reader_next(r, &rec)) == TRC_OK)
		(*count)++;
	if (rc != TRC_EOF) {
		char msg[512];

		trc_error_format(trc_reader_error(r), msg, sizeof(msg));
		fprintf(stderr, "%s\n", msg);
		return -1;
	}
	return 0;
}

/*
 * Read the whole trace PASSES times (from buf, or from path when buf is
 * NULL) and return the best time in seconds, or a negative value on error.
 */
static double best_read(const struct buf *buf, const char *path, unsigned long *count)
{
	double best = -1;
	int pass;

	for (pass = 0; pass < PASSES; pass++) {
		struct trc_reader *r;
		struct trc_error err;
		double t0 = now(), t;
		int rc = buf ? trc_reader_open_mem(buf->p, buf->len, "mem.trace", NULL, &r, &err)
			     : trc_reader_open(path, NULL, &r, &err);

		if (rc) {
			fprintf(stderr, "trc_rate: %s\n", err.msg);
			return -1;
		}
		rc = read_all(r, count);
		t = now() - t0;
		trc_reader_close(r);
		if (rc)
			return -1;
		if (best < 0 || t < best)
			best = t;
	}
	return best;
}

static void report(const char *what, unsigned long count, double t, size_t text_len)
{
	printf("%-18s %lu records in %.3f s = %.2f M records/s, %.1f ns/record"
	       " (%.0f MB/s of text)\n",
	       what, count, t, (double)count / t / 1e6, t * 1e9 / (double)count,
	       (double)text_len / t / 1e6);
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 3000000ul, count;
	const char *tmp = argc > 2 ? argv[2] : "/tmp/trc_rate.trace.gz";
	enum mode mode = argc > 3 && strcmp(argv[3], "dma") == 0 ? DMA_ONLY
		: argc > 3 && strcmp(argv[3], "bench") == 0 ? BENCH : MIXED;
	struct buf text = { 0 }, gz = { 0 };
	double t;
	FILE *fp;

	if (!make_text(&text, n, mode) || gzip_buf(&text, &gz)) {
		fprintf(stderr, "trc_rate: out of memory\n");
		return 1;
	}
	printf("input: %lu records, %zu bytes of text, %zu bytes gzip (best of %d passes)\n", n + 4,
	       text.len, gz.len, PASSES);
	printf("inflate alone: %.0f MB/s of text\n", inflate_rate(&gz) / 1e6);

	t = best_read(&gz, NULL, &count);
	if (t < 0)
		return 1;
	report("gzip from memory:", count, t, text.len);

	fp = fopen(tmp, "wb");
	if (!fp || fwrite(gz.p, 1, gz.len, fp) != gz.len || fclose(fp)) {
		fprintf(stderr, "trc_rate: cannot write %s\n", tmp);
		return 1;
	}
	t = best_read(NULL, tmp, &count);
	remove(tmp);
	if (t < 0)
		return 1;
	report("gzip from file:", count, t, text.len);

	t = best_read(&text, NULL, &count);
	if (t < 0)
		return 1;
	report("plain from memory:", count, t, text.len);
	free(text.p);
	free(gz.p);
	return 0;
}
