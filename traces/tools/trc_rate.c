/*
 * trc_rate.c - how fast the reader parses: generates a gzip trace of N
 * world records (default 3,000,000 `dma` lines with varying addresses, and
 * a share of ioctl/mmio/guest lines), then reads it back from memory and
 * from a file and prints records per second for each, plus the rate of
 * plain inflate over the same bytes as a baseline. Deterministic input; the
 * numbers depend on the machine. Not a test: nothing is asserted.
 *
 * usage: trc_rate [N] [tmpfile] [dma]   ("dma": only dma lines, the task's reference record)
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

/* Deterministic text: mostly the dma line of the task, some others. */
static size_t make_text(struct buf *t, unsigned long n, int dma_only)
{
	char line[160];
	unsigned long i;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int len;

	len = snprintf(line, sizeof(line),
		       "smmutrace 1\ndevice nic0 smmu=smmu0 sid=0x100\ndevice nic1 smmu=smmu0 sid=0x200\n"
		       "open /dev/iommu -> fd=$iommufd\n");
	buf_sink(t, line, (size_t)len);
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		switch (dma_only ? 0 : i % 16) {
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

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 3000000ul, count;
	const char *tmp = argc > 2 ? argv[2] : "/tmp/trc_rate.trace.gz";
	int dma_only = argc > 3 && strcmp(argv[3], "dma") == 0;
	struct buf text = { 0 }, gz = { 0 };
	struct trc_reader *r;
	struct trc_error err;
	double t0, t;
	FILE *fp;

	if (!make_text(&text, n, dma_only) || gzip_buf(&text, &gz)) {
		fprintf(stderr, "trc_rate: out of memory\n");
		return 1;
	}
	printf("input: %lu records, %zu bytes of text, %zu bytes gzip\n", n + 4, text.len, gz.len);
	printf("inflate alone: %.0f MB/s of text\n", inflate_rate(&gz) / 1e6);

	if (trc_reader_open_mem(gz.p, gz.len, "mem.trace.gz", NULL, &r, &err))
		return 1;
	t0 = now();
	if (read_all(r, &count))
		return 1;
	t = now() - t0;
	trc_reader_close(r);
	printf("gzip from memory: %lu records in %.3f s = %.2f M records/s (%.0f MB/s of text)\n",
	       count, t, (double)count / t / 1e6, (double)text.len / t / 1e6);

	fp = fopen(tmp, "wb");
	if (!fp || fwrite(gz.p, 1, gz.len, fp) != gz.len || fclose(fp)) {
		fprintf(stderr, "trc_rate: cannot write %s\n", tmp);
		return 1;
	}
	if (trc_reader_open(tmp, NULL, &r, &err))
		return 1;
	t0 = now();
	if (read_all(r, &count))
		return 1;
	t = now() - t0;
	trc_reader_close(r);
	remove(tmp);
	printf("gzip from file:   %lu records in %.3f s = %.2f M records/s\n", count, t,
	       (double)count / t / 1e6);

	if (trc_reader_open_mem(text.p, text.len, "mem.trace", NULL, &r, &err))
		return 1;
	t0 = now();
	if (read_all(r, &count))
		return 1;
	t = now() - t0;
	trc_reader_close(r);
	printf("plain from memory: %lu records in %.3f s = %.2f M records/s\n", count, t,
	       (double)count / t / 1e6);
	free(text.p);
	free(gz.p);
	return 0;
}
