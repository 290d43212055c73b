/*
 * record.c - SMMUSIM_RECORD: every served (or passed-through) call of the
 * program written as a smmutrace v1 record once it returned, flushed at
 * once (gzip sync-flushed), so a crash loses nothing already returned.
 *
 *   open PATH -> fd=$fN                     (or -> err=ENAME)
 *   close $fN                               (-> ok / err=ENAME)
 *   mmap len=N -> addr=$mN                  before a map of user memory
 *   ioctl $fN REQUEST field=value ... -> out_field=value ... (ret=, err=)
 *
 * Input fields are read from the program's struct before the call (zero
 * fields omitted), payloads behind pointers inline (`data=[...]`), fds as
 * the variables their open bound; results are the kernel's answers, written
 * as assertions (new fds bound to variables). A user address handed to
 * IOAS_MAP / VFIO_IOMMU_MAP_DMA / KVM_SET_USER_MEMORY_REGION becomes an
 * `mmap` of that length bound to a variable, so the replay maps its own
 * memory there. What the uAPI table does not describe is written as a
 * comment, not as a record.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include "preload.h"
#include "trc/trace.h"

/* What the recording knows of one fd of the program. */
struct fd_slot {
	unsigned var; /* $fN (0: none) */
	uint8_t kind; /* 1: a vEVENTQ fd, 2: a fault-queue fd (their reads), 3: the
	               * program's eventfd (an `eventfd` record named it), 4: the
	               * program's memfd (a `memfd` record) */
	uint8_t node; /* the file's kind: an index of nodes[] (0: not known) */
	uint64_t size; /* kind 4: the len= its record gave */
};

/* Files by kind, as the uAPI table names them (struct shim_uapi_request's
 * node): a request number two kinds share is named by the fd's. */
static const char *const nodes[] = {NULL,           "iommufd",  "kvm",      "vfio-container",
                                    "vfio-group",   "vfio-device", "kvm-vm", "kvm-vcpu",
                                    "kvm-device"};
enum { N_NONE, N_IOMMUFD, N_KVM, N_CONTAINER, N_GROUP, N_DEVICE, N_VM, N_VCPU, N_KVMDEV };

/* The kind of file an open of path gives: Linux's device nodes by name. */
static uint8_t node_of_path(const char *path)
{
	if (!strcmp(path, "/dev/iommu"))
		return N_IOMMUFD;
	if (!strcmp(path, "/dev/kvm"))
		return N_KVM;
	if (!strcmp(path, "/dev/vfio/vfio"))
		return N_CONTAINER;
	if (!strncmp(path, "/dev/vfio/devices/", 18))
		return N_DEVICE;
	if (!strncmp(path, "/dev/vfio/", 10))
		return N_GROUP;
	return N_NONE;
}

struct va_var {
	uint64_t va, len;
	unsigned var;
};

struct pl_record {
	gzFile gz;
	FILE *f;
	char proc[48];
	struct fd_slot *fdt; /* by fd number; grown to the largest fd named */
	size_t nfdt;
	unsigned *var_refs; /* $fN -> how many fds refer to it (dup); grown */
	size_t cap_refs;
	unsigned next_f, next_m;
	struct va_var *vas;
	size_t nvas, capvas;
	/* the ioctl in flight */
	char *args;
	size_t alen, acap;
	const struct shim_uapi_request *rq;
	uint8_t before[512];
	size_t before_len;
	bool before_ok;
};

static void emit(struct pl_record *r, const char *s, size_t n)
{
	if (r->gz) {
		gzwrite(r->gz, s, (unsigned)n);
	} else if (r->f) {
		fwrite(s, 1, n, r->f);
	}
}

static void flush(struct pl_record *r)
{
	if (r->gz)
		gzflush(r->gz, Z_SYNC_FLUSH);
	else if (r->f)
		fflush(r->f);
}

static void out(struct pl_record *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(struct pl_record *r, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {
		char *big = malloc((size_t)n + 1);
		if (!big)
			return;
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		emit(r, big, (size_t)n);
		free(big);
		return;
	}
	emit(r, buf, (size_t)n);
}

/* the args text of the ioctl in flight */
static void arg_add(struct pl_record *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void arg_add(struct pl_record *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (r->alen + (size_t)n + 1 > r->acap) {
		size_t nc = (r->acap ? r->acap * 2 : 256) + (size_t)n;
		char *na = realloc(r->args, nc);
		if (!na)
			return;
		r->args = na;
		r->acap = nc;
	}
	va_start(ap, fmt);
	vsnprintf(r->args + r->alen, r->acap - r->alen, fmt, ap);
	va_end(ap);
	r->alen += (size_t)n;
}

static int uread(uint64_t uptr, void *buf, size_t len)
{
	struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)uptr, len};
	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

static const char *errno_name(int e)
{
	return shim_errno_name(e);
}

static void result_err(struct pl_record *r, int64_t ret)
{
	const char *n = errno_name((int)-ret);
	if (n)
		out(r, " -> err=%s\n", n);
	else
		out(r, " # failed with errno %d\n", (int)-ret);
}

/* The slot of fd; NULL when it has none (negative, past the table). */
static struct fd_slot *slot_of(const struct pl_record *r, int64_t fd)
{
	return fd >= 0 && (uint64_t)fd < r->nfdt ? &r->fdt[fd] : NULL;
}

static unsigned var_of(const struct pl_record *r, int64_t fd)
{
	const struct fd_slot *sl = slot_of(r, fd);
	return sl ? sl->var : 0;
}

/* The slot of fd, the table grown to hold it; NULL without memory. */
static struct fd_slot *slot_make(struct pl_record *r, int64_t fd)
{
	if (fd < 0 || fd > INT_MAX || !pl_grow(&r->fdt, &r->nfdt, (size_t)fd, sizeof(*r->fdt), 256))
		return NULL;
	return &r->fdt[fd];
}

static void bind_fd(struct pl_record *r, int fd, char *name, size_t len)
{
	/* every open gets a new name (a variable is bound once), however many
	 * opens and closes a run makes, whatever the fd's number */
	struct fd_slot *sl = slot_make(r, fd);
	if (sl && r->next_f < UINT_MAX - 1 &&
	    pl_grow(&r->var_refs, &r->cap_refs, r->next_f + 1, sizeof(*r->var_refs), 256)) {
		sl->var = ++r->next_f;
		sl->kind = 0;
		sl->node = N_NONE;
		r->var_refs[r->next_f] = 1;
		snprintf(name, len, "$f%u", sl->var);
	} else {
		snprintf(name, len, "%d", fd);
	}
}

static void fd_text(const struct pl_record *r, int64_t fd, char *buf, size_t len)
{
	unsigned v = var_of(r, fd);
	if (v)
		snprintf(buf, len, "$f%u", v);
	else
		snprintf(buf, len, "%" PRId64, fd);
}

static void write_string(struct pl_record *r, const char *s)
{
	out(r, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			out(r, "\\%c", *s);
		else if ((unsigned char)*s >= 0x20)
			out(r, "%c", *s);
	}
	out(r, "\"");
}

static int header_sink(void *ctx, const void *data, size_t len)
{
	emit(ctx, data, len);
	return 0;
}

struct pl_record *pl_record_open(const char *path, const char *header_path)
{
	struct pl_record *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	const char *proc = getenv("SMMUSIM_PROC");
	snprintf(r->proc, sizeof(r->proc), "%s", proc && *proc ? proc : "vmm0");
	size_t n = strlen(path);
	if (n > 3 && !strcmp(path + n - 3, ".gz"))
		r->gz = gzopen(path, "wb");
	else
		r->f = fopen(path, "w");
	if (!r->gz && !r->f) {
		fprintf(stderr, "smmusim-preload: cannot write %s\n", path);
		free(r);
		return NULL;
	}
	out(r, "smmutrace 1.4\n# recorded by libsmmusim_preload.so (SMMUSIM_RECORD)\n");
	if (header_path) {
		struct trc_reader *rd = NULL;
		struct trc_writer *w = NULL;
		struct trc_error e;
		if (trc_reader_open(header_path, NULL, &rd, &e) == TRC_OK &&
		    trc_writer_open_sink(header_sink, r, 0, NULL, &w, &e) == TRC_OK) {
			const struct trc_record *rec;
			while (trc_reader_next(rd, &rec) == TRC_OK && rec->section == TRC_SECTION_HEADER)
				if (rec->verb != TRC_VERB_SMMUTRACE)
					trc_writer_put(w, rec);
		}
		if (w)
			trc_writer_close(w);
		if (rd)
			trc_reader_close(rd);
	}
	/* SMMUSIM_SET (smmusim record --set): the same settings, as `config`
	 * records after the machine's, so that the recording replays under
	 * what it ran under (a later config record overrides an earlier one). */
	const char *sets = getenv("SMMUSIM_SET");
	if (sets && *sets) {
		out(r, "# the settings it ran with (SMMUSIM_SET)\n");
		const char *p = sets;
		while (*p) {
			size_t skip = strspn(p, " \t,"), len;
			p += skip;
			len = strcspn(p, " \t,");
			if (len && memchr(p, '=', len))
				out(r, "config %.*s\n", (int)len, p);
			p += len;
		}
	}
	flush(r);
	return r;
}

void pl_record_close(struct pl_record *r)
{
	if (!r)
		return;
	if (r->gz)
		gzclose(r->gz);
	if (r->f)
		fclose(r->f);
	free(r->vas);
	free(r->args);
	free(r->var_refs);
	free(r->fdt);
	free(r);
}

static const char *proc_arg(const struct pl_record *r, char *buf, size_t len)
{
	if (!strcmp(r->proc, "vmm0"))
		return "";
	snprintf(buf, len, " proc=%s", r->proc);
	return buf;
}

void pl_record_open_call(struct pl_record *r, const char *path, int ret)
{
	char pb[64], name[32];
	out(r, "open ");
	write_string(r, path);
	out(r, "%s", proc_arg(r, pb, sizeof(pb)));
	if (ret < 0) {
		result_err(r, ret);
	} else {
		bind_fd(r, ret, name, sizeof(name));
		struct fd_slot *sl = slot_of(r, ret);
		if (sl)
			sl->node = node_of_path(path);
		out(r, " -> fd=%s\n", name);
	}
	flush(r);
}

const char *pl_record_fd_node(const struct pl_record *r, int fd)
{
	const struct fd_slot *sl = r ? slot_of(r, fd) : NULL;
	return sl && sl->var ? nodes[sl->node] : NULL;
}

void pl_record_close_call(struct pl_record *r, int fd, int ret)
{
	char fb[32];
	fd_text(r, fd, fb, sizeof(fb));
	struct fd_slot *sl = slot_of(r, fd);
	unsigned v = sl ? sl->var : 0;
	if (v && ret == 0 && r->var_refs[v] > 1) {
		/* a dup of it stays open: the open file lives on (v1 has no dup) */
		r->var_refs[v]--;
		sl->var = 0;
		out(r, "# close of fd %d: a duplicate of %s stays open\n", fd, fb);
		flush(r);
		return;
	}
	if (v && ret == 0)
		r->var_refs[v] = 0;
	if (ret == 0 && sl)
		sl->kind = sl->node = 0;
	out(r, "close %s", fb);
	if (ret < 0)
		result_err(r, ret);
	else
		out(r, " -> ok\n");
	if (sl)
		sl->var = 0;
	flush(r);
}

static uint64_t le(const uint8_t *p, unsigned w)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < w; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static const struct shim_uapi_field *field(const struct shim_uapi_request *rq, const char *name)
{
	for (uint32_t i = 0; i < rq->nfields; i++)
		if (!strcmp(rq->fields[i].name, name))
			return &rq->fields[i];
	return NULL;
}

static uint64_t field_value(const struct pl_record *r, const struct shim_uapi_field *f,
                            unsigned idx)
{
	size_t at = (size_t)f->offset + (size_t)idx * f->width;
	if (at + f->width > r->before_len)
		return 0;
	return le(r->before + at, f->width);
}

/* A user address handed to the kernel to pin: an mmap record of its own
 * (0 when the program has nothing mapped there: the address stays literal,
 * so the replay sees the same hole). */
static unsigned va_var(struct pl_record *r, uint64_t va, uint64_t len)
{
	if (!pl_user_mapped(va, len))
		return 0;
	for (size_t i = 0; i < r->nvas; i++)
		if (r->vas[i].va == va && r->vas[i].len >= len)
			return r->vas[i].var;
	if (r->nvas == r->capvas) {
		size_t nc = r->capvas ? r->capvas * 2 : 16;
		struct va_var *nv = realloc(r->vas, nc * sizeof(*nv));
		if (!nv)
			return 0;
		r->vas = nv;
		r->capvas = nc;
	}
	unsigned v = ++r->next_m;
	r->vas[r->nvas++] = (struct va_var){va, len, v};
	char pb[64];
	out(r, "mmap len=0x%" PRIx64 "%s -> addr=$m%u\n", (uint64_t)((len + 4095) & ~(uint64_t)4095),
	    proc_arg(r, pb, sizeof(pb)), v);
	return v;
}

static bool is_va_field(const char *req, const char *f, const char **len_field)
{
	if (!strcmp(f, "user_va") && strstr(req, "IOAS_MAP")) {
		*len_field = "length";
		return true;
	}
	if (!strcmp(f, "vaddr") && strstr(req, "MAP_DMA")) {
		*len_field = "size";
		return true;
	}
	if (!strcmp(f, "userspace_addr")) {
		*len_field = "memory_size";
		return true;
	}
	return false;
}

static void payload_in(struct pl_record *r, const struct shim_uapi_field *f, uint64_t ptr)
{
	const struct shim_uapi_field *lf = f->len_field ? field(r->rq, f->len_field) : NULL;
	uint64_t n = lf ? field_value(r, lf, 0) : 0;
	uint64_t esz = f->elem_size;
	if (!esz && f->elem_field) {
		const struct shim_uapi_field *ef = field(r->rq, f->elem_field);
		esz = ef ? field_value(r, ef, 0) : 0;
	}
	unsigned word = f->word ? f->word : 8;
	if (!esz)
		esz = word;
	uint64_t bytes = f->len_kind == SHIM_PL_BYTES ? n : n * esz;
	if (!ptr || !bytes || bytes > (1u << 20) || esz % word)
		return;
	uint8_t *buf = malloc(bytes);
	if (!buf || uread(ptr, buf, bytes)) {
		free(buf);
		return;
	}
	arg_add(r, " %s=[", f->payload);
	uint64_t nel = bytes / esz;
	for (uint64_t e = 0; e < nel; e++) {
		if (e)
			arg_add(r, ",");
		if (esz > word)
			arg_add(r, "[");
		for (uint64_t w = 0; w < esz / word; w++)
			arg_add(r, "%s0x%" PRIx64, w ? "," : "", le(buf + e * esz + w * word, word));
		if (esz > word)
			arg_add(r, "]");
	}
	arg_add(r, "]");
	free(buf);
}

/* A request takes v where it wants a file of the program's own (a field
 * named fd or *fd, or VFIO_DEVICE_SET_IRQS' data with DATA_EVENTFD): an
 * eventfd the recording has not named gets an `eventfd -> fd=$fN` record
 * (1.3), a memfd (IOMMU_IOAS_MAP_FILE's fd) a `memfd len=SIZE -> fd=$fN`
 * record (1.4), now, before the call's, so that the replay has a file of
 * that kind where the program had one (a number alone would replay as
 * EBADF). A memfd grown since its record gets a record of its new size
 * (a file of its own in the replay: the same results, other pages). */
static void name_own_file(struct pl_record *r, const struct shim_uapi_request *rq,
                          const struct shim_uapi_field *f, int64_t v)
{
	size_t n = strlen(f->name);
	bool wants = (n >= 2 && !strcmp(f->name + n - 2, "fd")) ||
	             (!strcmp(rq->name, "VFIO_DEVICE_SET_IRQS") && !strcmp(f->name, "data") &&
	              r->before_len >= 8 && (le(r->before + 4, 4) & 4 /* DATA_EVENTFD */));
	if (!wants || v < 0 || v > INT_MAX)
		return;
	char pb[64], name[32];
	uint64_t size = 0;
	struct fd_slot *sl = slot_of(r, v);
	if (!strcmp(f->name, "fd") && pl_fd_memfd_size((int)v, &size) && size) {
		if (sl && sl->var && (sl->kind != 4 || sl->size >= size))
			return;
		if (sl && sl->var && r->var_refs[sl->var] > 0)
			r->var_refs[sl->var]--; /* its dups keep the old record's file */
		bind_fd(r, (int)v, name, sizeof(name));
		sl = slot_of(r, v);
		if (!sl || !sl->var)
			return;
		sl->kind = 4;
		sl->size = size;
		out(r, "memfd len=0x%" PRIx64 "%s -> fd=%s\n", size, proc_arg(r, pb, sizeof(pb)), name);
		flush(r);
		return;
	}
	if (var_of(r, v) || !pl_fd_is_eventfd((int)v))
		return;
	bind_fd(r, (int)v, name, sizeof(name));
	sl = slot_of(r, v);
	if (!sl || !sl->var)
		return;
	sl->kind = 3;
	out(r, "eventfd%s -> fd=%s\n", proc_arg(r, pb, sizeof(pb)), name);
	flush(r);
}

void pl_record_close_own(struct pl_record *r, int fd, int ret)
{
	const struct fd_slot *sl = slot_of(r, fd);
	if (sl && sl->var && (sl->kind == 3 || sl->kind == 4))
		pl_record_close_call(r, fd, ret);
}

void pl_record_ioctl_before(struct pl_record *r, int fd, unsigned long req, uint64_t arg,
                            const struct shim_uapi_request *row)
{
	r->alen = 0;
	if (r->args)
		r->args[0] = 0;
	r->rq = row;
	r->before_ok = false;
	r->before_len = 0;
	if (!r->rq)
		return;
	const struct shim_uapi_request *rq = r->rq;
	char tb[32];
	switch (rq->arg) {
	case SHIM_ARG_NONE:
		return;
	case SHIM_ARG_INT:
		arg_add(r, " arg=0x%" PRIx64, arg);
		return;
	case SHIM_ARG_INT_PTR: {
		int32_t v = 0;
		if (uread(arg, &v, 4) == 0) {
			fd_text(r, v, tb, sizeof(tb));
			arg_add(r, " arg=%s", tb);
		}
		return;
	}
	case SHIM_ARG_STRING: {
		char s[256] = "";
		for (size_t i = 0; i < sizeof(s) - 1; i++)
			if (uread(arg + i, &s[i], 1) || !s[i])
				break;
		s[sizeof(s) - 1] = 0;
		arg_add(r, " arg=\"");
		for (char *p = s; *p; p++)
			if (*p == '"' || *p == '\\')
				arg_add(r, "\\%c", *p);
			else if ((unsigned char)*p >= 0x20)
				arg_add(r, "%c", *p);
		arg_add(r, "\"");
		return;
	}
	case SHIM_ARG_STRUCT:
		break;
	}
	/* the size the program gave (size/argsz), else the kernel's */
	size_t want = rq->struct_size < sizeof(r->before) ? rq->struct_size : sizeof(r->before);
	if (uread(arg, r->before, want))
		return;
	r->before_len = want;
	r->before_ok = true;
	for (uint32_t i = 0; i < rq->nfields; i++) {
		const struct shim_uapi_field *f = &rq->fields[i];
		if (!(f->flags & SHIM_UF_IN) || f->flags & SHIM_UF_RESERVED)
			continue;
		if (f->flags & SHIM_UF_UPTR) {
			uint64_t ptr = field_value(r, f, 0);
			if (!f->payload_out && f->payload)
				payload_in(r, f, ptr);
			continue;
		}
		uint64_t v = field_value(r, f, 0);
		if (f->flags & SHIM_UF_SIZE) {
			if (v != rq->struct_size)
				arg_add(r, " %s=%" PRIu64, f->name, v);
			continue;
		}
		if (f->flags & SHIM_UF_INT_PTR) {
			int32_t x = 0;
			if (v && uread(v, &x, 4) == 0) {
				fd_text(r, x, tb, sizeof(tb));
				arg_add(r, " %s=%s", f->name, tb);
			}
			continue;
		}
		if (f->count > 1) {
			bool any = false;
			for (unsigned k = 0; k < f->count; k++)
				any |= field_value(r, f, k) != 0;
			if (!any)
				continue;
			arg_add(r, " %s=[", f->name);
			for (unsigned k = 0; k < f->count; k++)
				arg_add(r, "%s0x%" PRIx64, k ? "," : "", field_value(r, f, k));
			arg_add(r, "]");
			continue;
		}
		if (!v)
			continue;
		const char *lenf = NULL;
		if (is_va_field(rq->name, f->name, &lenf)) {
			const struct shim_uapi_field *lf = field(rq, lenf);
			uint64_t len = lf ? field_value(r, lf, 0) : 0;
			if (!(v & 4095) && len) {
				unsigned m = va_var(r, v, len);
				if (m) {
					arg_add(r, " %s=$m%u", f->name, m);
					continue;
				}
			}
		}
		if (f->flags & SHIM_UF_SIGNED) {
			int64_t sv = f->width == 4 ? (int64_t)(int32_t)v : (int64_t)v;
			name_own_file(r, rq, f, sv);
			fd_text(r, sv, tb, sizeof(tb));
			arg_add(r, " %s=%s", f->name, tb);
		} else {
			arg_add(r, " %s=0x%" PRIx64, f->name, v);
		}
	}
	(void)fd;
}

void pl_record_dup(struct pl_record *r, int oldfd, int newfd)
{
	unsigned v = var_of(r, oldfd);
	struct fd_slot *n = v ? slot_make(r, newfd) : NULL;
	if (n) {
		n->var = v;
		n->kind = slot_of(r, oldfd)->kind; /* (after the table grew) */
		n->node = slot_of(r, oldfd)->node;
		r->var_refs[v]++;
		out(r, "# fd %d duplicates $f%u (written as $f%u)\n", newfd, v, v);
		flush(r);
	}
}

int pl_record_ioctl_after(struct pl_record *r, int fd, unsigned long req, uint64_t arg,
                          int64_t ret, int new_fds[4])
{
	int nnew = 0;
	char fb[32], name[32];
	fd_text(r, fd, fb, sizeof(fb));
	if (!r->rq) {
		out(r, "# ioctl %s 0x%lx: a request the uAPI table does not describe (not recorded)\n",
		    fb, req);
		flush(r);
		return 0;
	}
	const struct shim_uapi_request *rq = r->rq;
	if (rq->arg == SHIM_ARG_STRUCT && !r->before_ok) {
		out(r, "# ioctl %s %s: the argument pointer was not readable (EFAULT; not recorded)\n",
		    fb, rq->name);
		flush(r);
		return 0;
	}
	out(r, "ioctl %s %s%s", fb, rq->name, r->alen ? r->args : "");
	if (ret < 0) {
		result_err(r, ret);
		flush(r);
		return 0;
	}
	bool any = false;
	/* a new fd as the return value (KVM_CREATE_VM, VFIO_GROUP_GET_DEVICE_FD) */
	bool fd_ret = ret > 2 && ret <= INT_MAX && (strstr(rq->name, "CREATE_VM") ||
	                                         strstr(rq->name, "CREATE_VCPU") ||
	                                         strstr(rq->name, "GET_DEVICE_FD"));
	if (fd_ret) {
		new_fds[nnew++] = (int)ret;
		bind_fd(r, (int)ret, name, sizeof(name));
		struct fd_slot *sl = slot_of(r, (int)ret);
		if (sl)
			sl->node = strstr(rq->name, "CREATE_VM")     ? N_VM
			           : strstr(rq->name, "CREATE_VCPU") ? N_VCPU
			                                             : N_DEVICE;
		out(r, " -> ret=%s", name);
		any = true;
	} else if (ret != 0) {
		out(r, " -> ret=%" PRId64, ret);
		any = true;
	}
	uint8_t after[512];
	size_t want = r->before_len;
	if (rq->arg == SHIM_ARG_STRUCT && want && uread(arg, after, want) == 0) {
		for (uint32_t i = 0; i < rq->nfields; i++) {
			const struct shim_uapi_field *f = &rq->fields[i];
			if (!(f->flags & SHIM_UF_OUT) || f->flags & (SHIM_UF_UPTR | SHIM_UF_INT_PTR) ||
			    f->count != 1 || (size_t)f->offset + f->width > want)
				continue;
			uint64_t v = le(after + f->offset, f->width);
			const char *sep = any ? " " : " -> ";
			if ((f->flags & SHIM_UF_SIGNED) && (int32_t)v > 2 && !(f->flags & SHIM_UF_IN)) {
				if (nnew < 4)
					new_fds[nnew++] = (int)v;
				bind_fd(r, (int)v, name, sizeof(name));
				struct fd_slot *sl = slot_of(r, (int)v);
				if (sl) {
					sl->kind = strstr(rq->name, "VEVENTQ_ALLOC")       ? 1
					           : strstr(rq->name, "FAULT_QUEUE_ALLOC") ? 2
					                                                   : 0;
					sl->node = strstr(rq->name, "CREATE_DEVICE") ? N_KVMDEV : N_NONE;
				}
				out(r, "%s%s=%s", sep, f->name, name);
			} else {
				out(r, "%s%s=0x%" PRIx64, sep, f->name, v);
			}
			any = true;
		}
	}
	out(r, any ? "\n" : " -> ok\n");
	flush(r);
	return nnew;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)le(p, 4);
}

/* read(2) of an fd the recorder named: `read $fN [len=N] -> ret=N` with the
 * records read, as the replay compares them: a fault queue's
 * `faults=[[flags,dev_id,pasid,grpid,perm,addr,length,cookie],...]`, a
 * vEVENTQ's `events=[[flags,sequence,e0,e1,e2,e3],...]` ({flags, sequence}
 * alone after a LOST_EVENTS header). */
/* Starts the record `VERB $fN` of a call on fd; false (nothing written) if
 * the fd is not one the recording named. */
static bool start_on_fd(struct pl_record *r, const char *verb, int fd)
{
	if (!var_of(r, fd))
		return false;
	char fb[32];
	fd_text(r, fd, fb, sizeof(fb));
	out(r, "%s %s", verb, fb);
	return true;
}

void pl_record_read(struct pl_record *r, int fd, const void *buf, size_t len, int64_t ret)
{
	if (!start_on_fd(r, "read", fd))
		return;
	if (len != 4096)
		out(r, " len=%zu", len);
	if (ret < 0) {
		result_err(r, ret);
		flush(r);
		return;
	}
	out(r, " -> ret=%" PRId64, ret);
	size_t n = (size_t)ret;
	uint8_t *b = n ? malloc(n) : NULL;
	if (n && (!b || uread((uint64_t)(uintptr_t)buf, b, n))) {
		out(r, " # (the records could not be read back)\n");
		free(b);
		flush(r);
		return;
	}
	uint8_t kind = slot_of(r, fd)->kind;
	if (kind == 2) {
		out(r, " faults=[");
		for (size_t off = 0; off + 40 <= n; off += 40) {
			const uint8_t *p = b + off;
			out(r, "%s[0x%x,0x%x,0x%x,0x%x,0x%x,0x%" PRIx64 ",0x%x,0x%x]", off ? "," : "",
			    le32(p), le32(p + 4), le32(p + 8), le32(p + 12), le32(p + 16), le(p + 24, 8),
			    le32(p + 32), le32(p + 36));
		}
		out(r, "]");
	} else if (kind == 1) {
		out(r, " events=[");
		for (size_t off = 0, k = 0; off + 8 <= n; k++) {
			uint32_t flags = le32(b + off), seq = le32(b + off + 4);
			out(r, "%s[0x%x,0x%x", k ? "," : "", flags, seq);
			off += 8;
			if (!(flags & 1) && off + 32 <= n) {
				for (int i = 0; i < 4; i++)
					out(r, ",0x%" PRIx64, le(b + off + 8 * i, 8));
				off += 32;
			}
			out(r, "]");
		}
		out(r, "]");
	}
	free(b);
	out(r, "\n");
	flush(r);
}

/* write(2) of a fault-queue fd: the 8-byte page responses as
 * `responses=[[cookie,code],...]` (`len=` when the byte count is not theirs). */
void pl_record_write(struct pl_record *r, int fd, const void *buf, size_t len, int64_t ret)
{
	if (!start_on_fd(r, "write", fd))
		return;
	/* a partial last response is padded with zeros (len= says how many
	 * bytes the call wrote) */
	const uint8_t *b = buf;
	size_t nresp = len ? (len + 7) / 8 : 1;
	out(r, " responses=[");
	for (size_t i = 0; i < nresp; i++) {
		uint8_t one[8] = {0};
		size_t have = len > 8 * i ? len - 8 * i : 0;
		/* the program's buffer may be bad (the call's EFAULT): copied safely */
		if (have && uread((uint64_t)(uintptr_t)(b + 8 * i), one, have < 8 ? have : 8))
			memset(one, 0, sizeof(one));
		out(r, "%s[0x%x,0x%x]", i ? "," : "", le32(one), le32(one + 4));
	}
	out(r, "]");
	if (len != 8 * nresp)
		out(r, " len=%zu", len);
	if (ret < 0)
		result_err(r, ret);
	else
		out(r, " -> ret=%" PRId64 "\n", ret);
	flush(r);
}
