/*
 * preload.c - libsmmusim_preload.so: an unmodified program's open(), ioctl(),
 * close(), mmap(), munmap(), read(), poll(), dup() and fcntl() on /dev/iommu,
 * /dev/vfio/vfio, /dev/vfio/devices/ *, /dev/vfio/<group> and /dev/kvm served
 * by the emulated kernel (uapi_shim) and the SMMUv3 model, in process, with a
 * plain C host: simulated DRAM, the SMMU models, one simulated clock, the
 * isolation oracle. Every other path and fd goes to libc untouched.
 *
 * Environment:
 *   SMMUSIM_TRACE_HEADER=FILE  a trace header (smmutrace 1, smmu, device,
 *                              memory, config records) describing the machine;
 *                              without it one smmu0 and no device.
 *   SMMUSIM_SET="k=v ..."      parameters (kernel, SMMU model: as --set).
 *   SMMUSIM_PROC=NAME          the process name the kernel sees (vmm0).
 *   SMMUSIM_REPORT=FILE        a JSON report at exit: system calls per
 *                              request, the STEs of every device, the
 *                              commands each SMMU consumed, violations.
 *   SMMUSIM_RECORD=FILE        a v1 trace of the calls on those nodes
 *                              (record.c; `.gz` compresses). Alone, the calls
 *                              pass through to the real kernel (nothing is
 *                              emulated); with SMMUSIM_SERVE=1 the emulator
 *                              serves them and they are recorded as served.
 *   SMMUSIM_VERBOSE=1          the kernel's log on stderr.
 *
 * fds: every emulated file holds a real fd (a /dev/null placeholder) with
 * the same number (shim_fd_next), so fds inside ioctl structs and returned
 * by ioctls need no translation and never collide with the program's own.
 * User memory is the program's (host_user_memory): ioctl structs are read
 * and written in place (an unmapped pointer is EFAULT, through
 * process_vm_readv/writev), and pages handed to IOAS_MAP/MAP_DMA are backed
 * by simulated DRAM when first pinned.
 *
 * Requests Linux would serve but the emulation does not (KVM_RUN, a vCPU's
 * mmap, ...) print the reason on stderr and fail with the errno the kernel
 * gives an unsupported request (ENOTTY, ENODEV for mmap).
 */
#define _GNU_SOURCE
#include "preload.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include "smmu/smmu.h"
#include "smmu/smmu_regs.h"
#include "trc/trace.h"

#define PL_MAX_SMMUS 64 /* as the kernel model (shim_internal.h) */

/* ---- libc ---- */

static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_close)(int);
static int (*real_ioctl)(int, unsigned long, ...);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_munmap)(void *, size_t);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_poll)(struct pollfd *, nfds_t, int);
static int (*real_dup)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
static int (*real_fcntl)(int, int, ...);

static void resolve(void)
{
	if (real_close)
		return;
	real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	real_openat = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
	real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	real_mmap = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
	real_munmap = (int (*)(void *, size_t))dlsym(RTLD_NEXT, "munmap");
	real_read = (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	real_poll = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT, "poll");
	real_dup = (int (*)(int))dlsym(RTLD_NEXT, "dup");
	real_dup2 = (int (*)(int, int))dlsym(RTLD_NEXT, "dup2");
	real_dup3 = (int (*)(int, int, int))dlsym(RTLD_NEXT, "dup3");
	real_fcntl = (int (*)(int, int, ...))dlsym(RTLD_NEXT, "fcntl");
	real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
}

/* ---- the host ---- */

struct pl_smmu {
	struct smmu *m;
	struct smmu_config cfg;
	char name[32];
	uint64_t cmds[256];     /* consumed commands per opcode */
	uint64_t cerrors, events, events_recorded, gerrors;
	bool irq_evtq, irq_gerror;
};

static struct {
	pthread_mutex_t lock;
	bool inited, failed;
	struct shim *k;
	struct shim_config cfg;
	uint8_t *dram;
	uint64_t dram_base, dram_size;
	struct pl_smmu smmus[PL_MAX_SMMUS];
	unsigned nsmmus;
	uint64_t now_ns;
	char proc[48];
	bool verbose;
	/* the report */
	char *report_path;
	struct {
		char name[40];
		uint64_t count, errors, commands, syncs;
	} req[128];
	unsigned nreq;
	uint64_t syscalls, unsupported;
	struct pl_record *rec; /* SMMUSIM_RECORD */
	/* every STE change, seen after the call that made it */
	struct {
		uint64_t last[64][8];
		bool seen[64];
		struct ste_change {
			char req[40];
			uint32_t smmu, sid;
			uint64_t t_ns;
			uint64_t q[8];
		} *log;
		size_t n, cap, dropped;
	} stes;
	bool passthrough;      /* record only: the real kernel serves */
	bool *tracked;         /* passthrough: fds on the device nodes, by number */
	size_t ntracked;
	/* fault queues' and vEVENTQs' fds, readable while the queue has
	 * something to read (evq_sync): a fault queue's placeholder is an
	 * eventfd (always writable, as the fault queue's file), a vEVENTQ's
	 * the read end of a pipe (never writable, as the vEVENTQ's file),
	 * wfd its write end (-1 for an eventfd; shared by duplicates) */
	struct evq {
		int fd, wfd;
		bool set;
	} *evq;
	size_t nevq, capevq;
	bool warned_poll;
} g = {.lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP}; /* recursive: zlib and stdio close through us */

static void pl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void pl_err(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	ssize_t w = write(2, "smmusim-preload: ", 17);
	w = write(2, buf, (size_t)n);
	(void)w;
}

static bool in_dram(uint64_t pa, uint64_t len)
{
	return pa >= g.dram_base && len <= g.dram_size && pa - g.dram_base <= g.dram_size - len;
}

static int dram_read(uint64_t pa, void *buf, uint32_t len)
{
	if (!in_dram(pa, len))
		return 1;
	memcpy(buf, g.dram + (pa - g.dram_base), len);
	return 0;
}

static int dram_write(uint64_t pa, const void *buf, uint32_t len)
{
	if (!in_dram(pa, len))
		return 1;
	memcpy(g.dram + (pa - g.dram_base), buf, len);
	return 0;
}

static uint64_t cycles(const struct pl_smmu *m, uint64_t ns)
{
	return ns * m->cfg.t.clock_mhz / 1000;
}

/* model host ops */
static int m_mem_read(void *h, uint64_t pa, void *buf, uint32_t len)
{
	(void)h;
	return dram_read(pa, buf, len);
}
static int m_mem_write(void *h, uint64_t pa, const void *buf, uint32_t len)
{
	(void)h;
	return dram_write(pa, buf, len);
}
static void m_irq(void *h, enum smmu_irq line, uint64_t cycle)
{
	(void)cycle;
	struct pl_smmu *m = h;
	if (line == SMMU_IRQ_EVENTQ)
		m->irq_evtq = true;
	else if (line == SMMU_IRQ_GERROR)
		m->irq_gerror = true;
}
static void m_event(void *h, const struct smmu_event *ev, bool recorded, uint64_t cycle)
{
	(void)ev, (void)cycle;
	struct pl_smmu *m = h;
	m->events++;
	m->events_recorded += recorded;
}
static void m_cmd_done(void *h, const struct smmu_cmd_report *rep)
{
	struct pl_smmu *m = h;
	m->cmds[rep->op]++;
	m->cerrors += rep->cerror != 0;
}
static void m_log(void *h, int level, const char *msg)
{
	struct pl_smmu *m = h;
	if (g.verbose || level == 0)
		pl_err("%s: %s", m->name, msg);
}

/* shim host ops */
static int h_mem_read(void *h, uint64_t pa, void *buf, uint32_t len)
{
	(void)h;
	return dram_read(pa, buf, len);
}
static int h_mem_write(void *h, uint64_t pa, const void *buf, uint32_t len)
{
	(void)h;
	return dram_write(pa, buf, len);
}
static int h_mmio_read(void *h, uint32_t i, uint64_t off, unsigned width, uint64_t now_ns,
                       uint64_t *val)
{
	(void)h;
	if (i >= g.nsmmus)
		return 1;
	return smmu_mmio_read(g.smmus[i].m, off, width, cycles(&g.smmus[i], now_ns), val);
}
static int h_mmio_write(void *h, uint32_t i, uint64_t off, unsigned width, uint64_t val,
                        uint64_t now_ns)
{
	(void)h;
	if (i >= g.nsmmus)
		return 1;
	return smmu_mmio_write(g.smmus[i].m, off, width, val, cycles(&g.smmus[i], now_ns));
}
/*
 * copy_{from,to}_user: the process's own memory; a bad pointer is EFAULT.
 * process_vm_readv/writev on ourselves says so without a fault, at the cost
 * of a system call; pages it accepted are remembered (a few ranges) until
 * the program unmaps, remaps or reprotects memory, so the usual struct on
 * the stack or heap costs a memcpy.
 */
#define GOOD_RANGES 16
static struct {
	uint64_t lo, hi; /* [lo, hi) page-aligned, readable and writable */
} good[GOOD_RANGES];
static unsigned good_next;

static void good_forget(void)
{
	memset(good, 0, sizeof(good));
}

static bool good_has(uint64_t p, size_t len)
{
	for (unsigned i = 0; i < GOOD_RANGES; i++)
		if (p >= good[i].lo && p + len <= good[i].hi && p + len >= p)
			return true;
	return false;
}

static void good_add(uint64_t p, size_t len)
{
	uint64_t lo = p & ~4095ull, hi = (p + len + 4095) & ~4095ull;
	good[good_next].lo = lo;
	good[good_next].hi = hi;
	good_next = (good_next + 1) % GOOD_RANGES;
}

static int h_copy_from_user(void *h, uint64_t uptr, void *buf, size_t len)
{
	(void)h;
	if (good_has(uptr, len)) {
		memcpy(buf, (const void *)(uintptr_t)uptr, len);
		return 0;
	}
	struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)uptr, len};
	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)len)
		return 1;
	/* remember it only if it is writable too (a probe of the same bytes) */
	struct iovec back = {buf, len};
	if (process_vm_writev(getpid(), &back, 1, &remote, 1, 0) == (ssize_t)len)
		good_add(uptr, len);
	return 0;
}
static int h_copy_to_user(void *h, uint64_t uptr, const void *buf, size_t len)
{
	(void)h;
	if (good_has(uptr, len)) {
		memcpy((void *)(uintptr_t)uptr, buf, len);
		return 0;
	}
	struct iovec local = {(void *)buf, len}, remote = {(void *)(uintptr_t)uptr, len};
	if (process_vm_writev(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)len)
		return 1;
	good_add(uptr, len);
	return 0;
}
static void h_log(void *h, int level, const char *msg)
{
	(void)h;
	if (g.verbose || level == 0)
		pl_err("kernel: %s", msg);
}
static int h_user_mapped(void *h, uint64_t va, uint64_t len)
{
	(void)h;
	return pl_user_mapped(va, len) ? 0 : 1;
}

/* An fd of the program that the emulation does not serve (its own
 * /dev/null, a socket): the kernel sees a file of the wrong kind. */
static int h_fd_open(void *h, int fd)
{
	(void)h;
	if (real_fcntl(fd, F_GETFD) < 0)
		return 0;
	return pl_fd_is_eventfd(fd) ? 2 : 1;
}

/* The program's own memfd (or another shmem or hugetlbfs file, which
 * memfd_pin_folios() takes alike): its inode and size. */
static int memfd_info(int fd, uint64_t *ino, uint64_t *size)
{
	struct stat st;
	struct statfs sf;
	if (fstat(fd, &st))
		return errno == EBADF ? -EBADF : -EINVAL;
	if (!S_ISREG(st.st_mode) || fstatfs(fd, &sf) ||
	    (sf.f_type != TMPFS_MAGIC && sf.f_type != HUGETLBFS_MAGIC))
		return -EINVAL;
	*ino = (uint64_t)st.st_ino;
	*size = (uint64_t)st.st_size;
	return 0;
}

static int h_memfd_info(void *h, int fd, uint64_t *ino, uint64_t *size)
{
	(void)h;
	return memfd_info(fd, ino, size);
}

bool pl_fd_memfd_size(int fd, uint64_t *size)
{
	uint64_t ino;
	return memfd_info(fd, &ino, size) == 0;
}

bool pl_fd_is_eventfd(int fd)
{
	char path[40], link[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = 0;
	return !strcmp(link, "anon_inode:[eventfd]");
}

bool pl_grow(void *arr, size_t *cap, size_t need, size_t size, size_t first)
{
	if (need < *cap)
		return true;
	size_t n = *cap ? *cap : first;
	while (n <= need)
		n *= 2;
	void **p = arr;
	char *t = realloc(*p, n * size);
	if (!t)
		return false;
	memset(t + *cap * size, 0, (n - *cap) * size);
	*p = t;
	*cap = n;
	return true;
}

bool pl_user_mapped(uint64_t va, uint64_t len)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t start = va & ~(uint64_t)(pg - 1);
	uint64_t n = (va + len - start + (uint64_t)pg - 1) / (uint64_t)pg;
	unsigned char vec[256];
	/* mincore fails with ENOMEM on a hole; a page at a time in chunks */
	while (n) {
		uint64_t c = n < sizeof(vec) ? n : sizeof(vec);
		if (mincore((void *)(uintptr_t)start, c * (uint64_t)pg, vec))
			return false;
		start += c * (uint64_t)pg;
		n -= c;
	}
	return true;
}

static int set_param(const char *key, const char *val, char *err, size_t errlen)
{
	if (shim_config_set(&g.cfg, key, val, err, errlen) == SHIM_OK)
		return 0;
	char e2[256] = "";
	/* a model parameter for every SMMU (smmuN.key: that SMMU) */
	const char *dot = strchr(key, '.');
	for (unsigned i = 0; dot && i < g.nsmmus; i++) {
		size_t n = strlen(g.smmus[i].name);
		if ((size_t)(dot - key) == n && !strncmp(key, g.smmus[i].name, n))
			return smmu_config_set(&g.smmus[i].cfg, dot + 1, val, err, errlen) == SMMU_OK ? 0
			                                                                             : -1;
	}
	bool ok = g.nsmmus > 0;
	for (unsigned i = 0; i < g.nsmmus; i++)
		if (smmu_config_set(&g.smmus[i].cfg, key, val, e2, sizeof(e2)) != SMMU_OK)
			ok = false;
	if (ok)
		return 0;
	if (e2[0] && !err[0])
		snprintf(err, errlen, "%s", e2);
	return -1;
}

static struct pl_smmu *add_smmu(const char *name)
{
	if (g.nsmmus >= PL_MAX_SMMUS)
		return NULL;
	struct pl_smmu *m = &g.smmus[g.nsmmus++];
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	smmu_config_default(&m->cfg);
	return m;
}

struct devdesc {
	struct shim_device_desc d; /* its strings: set once the array stops moving */
	char name[48], cdev[128], group[128], bdf[32];
	bool has_cdev, has_group, has_bdf;
};

/* The machine from SMMUSIM_TRACE_HEADER (header records only). */
static int read_header(const char *path, struct devdesc **devs, size_t *ndevs)
{
	struct trc_reader *r = NULL;
	struct trc_error e;
	struct trc_reader_options o;
	trc_reader_options_init(&o);
	if (trc_reader_open(path, &o, &r, &e) != TRC_OK) {
		char buf[600];
		trc_error_format(&e, buf, sizeof(buf));
		pl_err("%s", buf);
		return -1;
	}
	const struct trc_record *rec;
	int rc;
	while ((rc = trc_reader_next(r, &rec)) == TRC_OK) {
		if (rec->section != TRC_SECTION_HEADER)
			break;
		char err[256] = "";
		if (rec->verb == TRC_VERB_SMMU) {
			struct pl_smmu *m = add_smmu(trc_value_str(trc_record_word(rec, 0)));
			if (!m) {
				pl_err("%s:%u: too many SMMUs", path, rec->line);
				goto bad;
			}
			for (size_t i = 0; i < rec->nargs; i++) {
				char v[128];
				if (!trc_value_setting(&rec->args[i].value, v, sizeof(v))) {
					pl_err("%s:%u: smmu %s: expected a number, a name or a word", path,
					       rec->line, rec->args[i].key);
					goto bad;
				}
				if (smmu_config_set(&m->cfg, rec->args[i].key, v, err, sizeof(err)) != SMMU_OK) {
					pl_err("%s:%u: smmu %s: %s", path, rec->line, rec->args[i].key, err);
					goto bad;
				}
			}
		} else if (rec->verb == TRC_VERB_CONFIG) {
			if (!g.nsmmus)
				add_smmu("smmu0");
			for (size_t i = 0; i < rec->nargs; i++) {
				char v[128];
				if (!trc_value_setting(&rec->args[i].value, v, sizeof(v))) {
					pl_err("%s:%u: config %s: expected a number, a name or a word", path,
					       rec->line, rec->args[i].key);
					goto bad;
				}
				if (set_param(rec->args[i].key, v, err, sizeof(err))) {
					pl_err("%s:%u: config %s=%s: %s", path, rec->line, rec->args[i].key, v,
					       err[0] ? err : "unknown parameter");
					goto bad;
				}
			}
		} else if (rec->verb == TRC_VERB_MEMORY) {
			uint64_t sz = 0;
			if (trc_value_u64(trc_record_arg(rec, "size"), &sz) == TRC_OK)
				g.cfg.dram_size = sz;
		} else if (rec->verb == TRC_VERB_DEVICE) {
			struct devdesc *nd = realloc(*devs, (*ndevs + 1) * sizeof(*nd));
			if (!nd)
				goto bad;
			*devs = nd;
			struct devdesc *d = &nd[(*ndevs)++];
			memset(d, 0, sizeof(*d));
			d->d.size = sizeof(d->d);
			snprintf(d->name, sizeof(d->name), "%s", trc_value_str(trc_record_word(rec, 0)));
			const struct trc_value *v;
			const char *sm = (v = trc_record_arg(rec, "smmu")) ? trc_value_str(v) : "smmu0";
			d->d.smmu = ~0u;
			if (!g.nsmmus)
				add_smmu("smmu0");
			for (unsigned i = 0; i < g.nsmmus; i++)
				if (!strcmp(g.smmus[i].name, sm))
					d->d.smmu = i;
			uint64_t x = 0;
			if ((v = trc_record_arg(rec, "sid")) && trc_value_u64(v, &x) == TRC_OK)
				d->d.sid = (uint32_t)x;
			if ((v = trc_record_arg(rec, "ssid_bits")) && trc_value_u64(v, &x) == TRC_OK)
				d->d.ssid_bits = (uint8_t)x;
			d->d.ats = trc_value_is(trc_record_arg(rec, "ats"), "on");
			d->d.pri = trc_value_is(trc_record_arg(rec, "pri"), "on");
			d->d.canwbs = trc_value_is(trc_record_arg(rec, "snoop"), "enforced");
			if ((v = trc_record_arg(rec, "cdev"))) {
				snprintf(d->cdev, sizeof(d->cdev), "%s", trc_value_str(v));
				d->has_cdev = true;
			}
			if ((v = trc_record_arg(rec, "group"))) {
				snprintf(d->group, sizeof(d->group), "%s", trc_value_str(v));
				d->has_group = true;
			}
			if ((v = trc_record_arg(rec, "bdf"))) {
				snprintf(d->bdf, sizeof(d->bdf), "%s", trc_value_str(v));
				d->has_bdf = true;
			}
		}
	}
	if (rc != TRC_OK && rc != TRC_EOF) {
		char buf[600];
		trc_error_format(trc_reader_error(r), buf, sizeof(buf));
		pl_err("%s", buf);
		goto bad;
	}
	/* The descriptors point at their own strings only now: the array
	 * moved with every device added (realloc above). */
	for (size_t i = 0; i < *ndevs; i++) {
		struct devdesc *d = &(*devs)[i];
		d->d.name = d->name;
		d->d.cdev = d->has_cdev ? d->cdev : NULL;
		d->d.group = d->has_group ? d->group : NULL;
		d->d.bdf = d->has_bdf ? d->bdf : NULL;
	}
	trc_reader_close(r);
	return 0;
bad:
	trc_reader_close(r);
	return -1;
}

static void report_write(void);
static bool read_ste(struct pl_smmu *m, uint32_t sid, uint64_t ste[8]);

/* After a call that wrote STEs: log each device whose STE changed. */
static void ste_watch(const char *req)
{
	for (uint32_t d = 0; d < 64; d++) {
		uint32_t smmu = 0, sid = 0;
		if (shim_device_info(g.k, d, &smmu, &sid) != SHIM_OK)
			break;
		uint64_t q[8];
		if (smmu >= g.nsmmus || !read_ste(&g.smmus[smmu], sid, q))
			continue;
		if (g.stes.seen[d] && !memcmp(q, g.stes.last[d], sizeof(q)))
			continue;
		g.stes.seen[d] = true;
		memcpy(g.stes.last[d], q, sizeof(q));
		if (g.stes.n == g.stes.cap) {
			size_t nc = g.stes.cap ? g.stes.cap * 2 : 32;
			void *nl = nc <= 4096 ? realloc(g.stes.log, nc * sizeof(*g.stes.log)) : NULL;
			if (!nl) {
				g.stes.dropped++;
				continue;
			}
			g.stes.log = nl;
			g.stes.cap = nc;
		}
		struct ste_change *e = &g.stes.log[g.stes.n++];
		snprintf(e->req, sizeof(e->req), "%s", req);
		e->smmu = smmu;
		e->sid = sid;
		e->t_ns = g.now_ns;
		memcpy(e->q, q, sizeof(q));
	}
}

/* A forked child's calls are not the parent's: it stops recording (its
 * records would interleave with the parent's in the one file, as one
 * process). Served, it goes on with its own copy of the emulated kernel. */
static void after_fork_child(void)
{
	g.rec = NULL; /* the parent's file: left to the parent */
}

static int init_locked(void)
{
	if (g.inited)
		return g.failed ? -1 : 0;
	g.inited = true;
	pthread_atfork(NULL, NULL, after_fork_child);
	g.failed = true;
	const char *v = getenv("SMMUSIM_VERBOSE");
	g.verbose = v && *v && strcmp(v, "0");
	v = getenv("SMMUSIM_PROC");
	snprintf(g.proc, sizeof(g.proc), "%s", v && *v ? v : "vmm0");
	shim_config_default(&g.cfg);
	struct devdesc *devs = NULL;
	size_t ndevs = 0;
	const char *hdr = getenv("SMMUSIM_TRACE_HEADER");
	const char *recp = getenv("SMMUSIM_RECORD"), *serve = getenv("SMMUSIM_SERVE");
	if (recp && *recp && !(serve && !strcmp(serve, "1"))) {
		/* record what the real kernel answers; emulate nothing */
		g.passthrough = true;
		g.rec = pl_record_open(recp, hdr && *hdr ? hdr : NULL);
		if (!g.rec)
			return -1;
		g.failed = false;
		return 0;
	}
	if (hdr && *hdr && read_header(hdr, &devs, &ndevs)) {
		free(devs);
		return -1;
	}
	if (!g.nsmmus)
		add_smmu("smmu0");
	const char *sets = getenv("SMMUSIM_SET");
	if (sets) {
		char *copy = strdup(sets), *save = NULL;
		for (char *t = strtok_r(copy, " \t,", &save); t; t = strtok_r(NULL, " \t,", &save)) {
			char *eq = strchr(t, '=');
			char err[256] = "";
			if (!eq || eq == t) {
				pl_err("SMMUSIM_SET: expected KEY=VALUE, got '%s'", t);
				free(copy);
				free(devs);
				return -1;
			}
			*eq = 0;
			if (set_param(t, eq + 1, err, sizeof(err))) {
				pl_err("SMMUSIM_SET: %s=%s: %s", t, eq + 1, err[0] ? err : "unknown parameter");
				free(copy);
				free(devs);
				return -1;
			}
		}
		free(copy);
	}
	g.cfg.host_user_memory = true;
	g.dram_base = g.cfg.dram_base;
	g.dram_size = g.cfg.dram_size;
	g.dram = real_mmap(NULL, g.dram_size, PROT_READ | PROT_WRITE,
	                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (g.dram == MAP_FAILED) {
		pl_err("cannot reserve %" PRIu64 " bytes of simulated DRAM", g.dram_size);
		g.dram = NULL;
		free(devs);
		return -1;
	}
	for (unsigned i = 0; i < g.nsmmus; i++) {
		struct pl_smmu *m = &g.smmus[i];
		struct smmu_host_ops o;
		memset(&o, 0, sizeof(o));
		o.size = sizeof(o);
		o.mem_read = m_mem_read;
		o.mem_write = m_mem_write;
		o.irq = m_irq;
		o.event = m_event;
		o.cmd_done = m_cmd_done;
		o.log = m_log;
		char err[256] = "";
		if (smmu_config_check(&m->cfg, err, sizeof(err)) != SMMU_OK ||
		    smmu_create(&m->cfg, &o, m, &m->m) != SMMU_OK) {
			pl_err("%s: %s", m->name, err[0] ? err : "the SMMU model refused its configuration");
			free(devs);
			return -1;
		}
	}
	static struct shim_host_ops hops;
	memset(&hops, 0, sizeof(hops));
	hops.size = sizeof(hops);
	hops.mem_read = h_mem_read;
	hops.mem_write = h_mem_write;
	hops.mmio_read = h_mmio_read;
	hops.mmio_write = h_mmio_write;
	hops.copy_from_user = h_copy_from_user;
	hops.copy_to_user = h_copy_to_user;
	hops.log = h_log;
	hops.user_mapped = h_user_mapped;
	hops.fd_open = h_fd_open;
	hops.memfd_info = h_memfd_info;
	int rc = shim_create(&g.cfg, &hops, NULL, &g.k);
	if (rc != SHIM_OK) {
		pl_err("the kernel model could not start: %s", shim_strerror(rc));
		free(devs);
		return -1;
	}
	for (unsigned i = 0; i < g.nsmmus; i++)
		shim_add_smmu(g.k);
	for (size_t i = 0; i < ndevs; i++) {
		if (devs[i].d.smmu == ~0u) {
			pl_err("device %s: unknown smmu", devs[i].name);
			free(devs);
			return -1;
		}
		rc = shim_add_device(g.k, &devs[i].d);
		if (rc < 0) {
			pl_err("device %s: %s", devs[i].name, shim_strerror(-rc));
			free(devs);
			return -1;
		}
	}
	free(devs);
	struct shim_call c;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	g.now_ns = 1000;
	rc = shim_boot(g.k, g.now_ns, &c);
	if (rc != SHIM_OK) {
		pl_err("the arm-smmu-v3 driver model did not probe: %s", shim_strerror(rc));
		return -1;
	}
	if (c.end_ns > g.now_ns)
		g.now_ns = c.end_ns;
	ste_watch("boot");
	v = getenv("SMMUSIM_REPORT");
	if (v && *v)
		g.report_path = strdup(v);
	if (recp && *recp) {
		g.rec = pl_record_open(recp, hdr && *hdr ? hdr : NULL);
		if (!g.rec)
			return -1;
	}
	g.failed = false;
	return 0;
}

static int ensure_init(void)
{
	resolve();
	return init_locked();
}

/* ---- served calls ---- */

static void account(const struct shim_call *c, const char *name)
{
	g.syscalls++;
	if (c->end_ns > g.now_ns)
		g.now_ns = c->end_ns;
	const char *n = name ? name : (c->request ? c->request : "syscall");
	unsigned i;
	for (i = 0; i < g.nreq; i++)
		if (!strcmp(g.req[i].name, n))
			break;
	if (i == g.nreq && g.nreq < sizeof(g.req) / sizeof(g.req[0]))
		snprintf(g.req[g.nreq++].name, sizeof(g.req[0].name), "%s", n);
	if (c->ste_writes || !strcmp(n, "boot"))
		ste_watch(n);
	/* SMMUSIM_VERBOSE: why a call failed, where the kernel model says */
	if (g.verbose && c->err && c->why[0])
		pl_err("%s: errno %d: %s", n, c->err, c->why);
	if (i < g.nreq) {
		g.req[i].count++;
		g.req[i].errors += c->err != 0;
		g.req[i].commands += c->ncmds;
		g.req[i].syncs += c->syncs;
	}
	/* the SMMUs' interrupts reach the driver after the call */
	for (unsigned s = 0; s < g.nsmmus; s++) {
		struct pl_smmu *m = &g.smmus[s];
		if (m->irq_evtq || m->irq_gerror) {
			struct shim_call ic;
			memset(&ic, 0, sizeof(ic));
			ic.size = sizeof(ic);
			if (m->irq_evtq) {
				m->irq_evtq = false;
				shim_irq(g.k, s, 0, g.now_ns, &ic);
			}
			if (m->irq_gerror) {
				m->irq_gerror = false;
				m->gerrors++;
				shim_irq(g.k, s, 2, g.now_ns, &ic);
			}
			if (ic.end_ns > g.now_ns)
				g.now_ns = ic.end_ns;
		}
	}
}

/* KVM requests Linux serves that the emulation does not (it runs no vCPU):
 * answered as the kernel answers an unsupported request on that fd, with
 * the reason on stderr. */
static const char *kvm_unemulated(unsigned long req)
{
	switch (req) {
	case 0xae80: return "KVM_RUN";
	case 0x4010aeab: return "KVM_GET_ONE_REG";
	case 0x4010aeac: return "KVM_SET_ONE_REG";
	case 0xc008aeb0: return "KVM_GET_REG_LIST";
	case 0x4008ae61: return "KVM_IRQ_LINE";
	default: return NULL;
	}
}

/* The requests that install a new fd in the calling process. */
static bool creates_fd(unsigned long req)
{
	switch (req) {
	case 0x3b6a:     /* VFIO_GROUP_GET_DEVICE_FD */
	case 0x3b8e:     /* IOMMU_FAULT_QUEUE_ALLOC */
	case 0x3b93:     /* IOMMU_VEVENTQ_ALLOC */
	case 0xae01:     /* KVM_CREATE_VM */
	case 0xae41:     /* KVM_CREATE_VCPU */
	case 0xc00caee0: /* KVM_CREATE_DEVICE */
		return true;
	default:
		return false;
	}
}

static bool served_path(const char *path)
{
	return path && (!strcmp(path, "/dev/iommu") || !strcmp(path, "/dev/kvm") ||
	                !strncmp(path, "/dev/vfio/", 10));
}

static int placeholder(int flags)
{
	return real_open("/dev/null", O_RDWR | (flags & O_CLOEXEC));
}

/* Passthrough: fd is (or is no longer) one on a device node; the table
 * grows to any fd number (without memory the fd goes unrecorded). */
static void track(int fd, bool on)
{
	if (fd < 0 || (!on && (size_t)fd >= g.ntracked))
		return;
	if (pl_grow(&g.tracked, &g.ntracked, (size_t)fd, sizeof(*g.tracked), 1024))
		g.tracked[fd] = on;
}

/* A fault queue's or vEVENTQ's fd (wfd: the vEVENTQ pipe's write end). */
static void evq_add(int fd, int wfd)
{
	if (!pl_grow(&g.evq, &g.capevq, g.nevq, sizeof(*g.evq), 8))
		return; /* its readiness stays unsynced: never readable */
	g.evq[g.nevq].fd = fd;
	g.evq[g.nevq].wfd = wfd;
	g.evq[g.nevq].set = false;
	g.nevq++;
}

static struct evq *evq_find(int fd)
{
	for (size_t i = 0; i < g.nevq; i++)
		if (g.evq[i].fd == fd)
			return &g.evq[i];
	return NULL;
}

/* fd is closed: its pipe's write end goes with the last fd on the pipe. */
static void evq_del(int fd)
{
	struct evq *e = evq_find(fd);
	if (!e)
		return;
	int wfd = e->wfd;
	*e = g.evq[--g.nevq];
	for (size_t i = 0; wfd >= 0 && i < g.nevq; i++)
		if (g.evq[i].wfd == wfd)
			return;
	if (wfd >= 0)
		real_close(wfd);
}

/* After a served call: each queue's placeholder is readable exactly while
 * the emulated queue has something to read, so poll, select and epoll on
 * it - not intercepted - answer as Linux's file ops do. */
static void evq_sync(void)
{
	for (size_t i = 0; i < g.nevq; i++) {
		struct evq *e = &g.evq[i];
		int m = shim_fd_poll(g.k, g.proc, e->fd);
		bool want = m > 0 && (m & SHIM_POLLIN);
		if (want == e->set)
			continue;
		uint64_t v = 1;
		char drain[64];
		if (want && e->wfd >= 0)
			e->set = real_write(e->wfd, "e", 1) == 1;
		else if (want)
			e->set = real_write(e->fd, &v, 8) == 8;
		else if (e->wfd >= 0) /* a duplicate may have drained it: EAGAIN */
			e->set = !(real_read(e->fd, drain, sizeof(drain)) > 0 || errno == EAGAIN);
		else
			e->set = !(real_read(e->fd, &v, 8) == 8 || errno == EAGAIN);
	}
}

static int serve_open(const char *path, int flags, mode_t mode)
{
	pthread_mutex_lock(&g.lock);
	if (ensure_init()) {
		pthread_mutex_unlock(&g.lock);
		errno = ENODEV;
		return -1;
	}
	if (g.passthrough) {
		int fd = real_open(path, flags, mode);
		int err = errno;
		track(fd, true);
		pl_record_open_call(g.rec, path, fd < 0 ? -err : fd);
		pthread_mutex_unlock(&g.lock);
		errno = err;
		return fd;
	}
	int ph = placeholder(flags);
	if (ph < 0) {
		pthread_mutex_unlock(&g.lock);
		return -1;
	}
	struct shim_call c;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	int rc = shim_fd_next(g.k, g.proc, ph);
	if (rc == 0)
		rc = shim_open(g.k, g.proc, path, g.now_ns, &c);
	shim_fd_next(g.k, g.proc, 0);
	account(&c, "open");
	if (g.rec)
		pl_record_open_call(g.rec, path, rc);
	pthread_mutex_unlock(&g.lock);
	if (rc < 0) {
		real_close(ph);
		errno = -rc;
		return -1;
	}
	return rc;
}

static bool is_served(int fd)
{
	if (g.passthrough)
		return fd >= 0 && (size_t)fd < g.ntracked && g.tracked[fd];
	if (fd < 3 || !g.k)
		return false;
	return shim_fd_is_open(g.k, g.proc, fd) == 1;
}

int open(const char *path, int flags, ...)
{
	resolve();
	mode_t mode = 0;
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (served_path(path))
		return serve_open(path, flags, mode);
	return real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));

int __open_2(const char *path, int flags)
{
	return open(path, flags);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	resolve();
	mode_t mode = 0;
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (served_path(path))
		return serve_open(path, flags, mode);
	return real_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...) __attribute__((alias("openat")));

int __openat_2(int dirfd, const char *path, int flags)
{
	return openat(dirfd, path, flags);
}

int close(int fd)
{
	resolve();
	pthread_mutex_lock(&g.lock);
	if (g.passthrough && is_served(fd)) {
		int rc = real_close(fd);
		int err = errno;
		track(fd, false);
		pl_record_close_call(g.rec, fd, rc < 0 ? -err : 0);
		pthread_mutex_unlock(&g.lock);
		errno = err;
		return rc;
	}
	if (is_served(fd)) {
		struct shim_call c;
		memset(&c, 0, sizeof(c));
		c.size = sizeof(c);
		int rc = shim_close(g.k, g.proc, fd, g.now_ns, &c);
		account(&c, "close");
		evq_del(fd);
		evq_sync();
		if (g.rec)
			pl_record_close_call(g.rec, fd, rc);
		pthread_mutex_unlock(&g.lock);
		real_close(fd);
		if (rc < 0) {
			errno = -rc;
			return -1;
		}
		return 0;
	}
	if (g.rec) {
		/* the program's own file: an eventfd the recording named is closed
		 * in the trace too (its number may come back as another file) */
		int rc = real_close(fd);
		int err = errno;
		pl_record_close_own(g.rec, fd, rc < 0 ? -err : 0);
		pthread_mutex_unlock(&g.lock);
		errno = err;
		return rc;
	}
	pthread_mutex_unlock(&g.lock);
	return real_close(fd);
}

int ioctl(int fd, unsigned long req, ...)
{
	resolve();
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	pthread_mutex_lock(&g.lock);
	if (!is_served(fd)) {
		pthread_mutex_unlock(&g.lock);
		return real_ioctl(fd, req, arg);
	}
	if (g.passthrough) {
		/* the fd's kind, as the recording learnt it, names a number two
		 * kinds share (a device's hot reset is a container's MAP_DMA) */
		pl_record_ioctl_before(g.rec, fd, req, (uint64_t)(uintptr_t)arg,
		                       shim_uapi_request_find_node(req, pl_record_fd_node(g.rec, fd)));
		int r = real_ioctl(fd, req, arg);
		int err = errno;
		int nf[4];
		int n = pl_record_ioctl_after(g.rec, fd, req, (uint64_t)(uintptr_t)arg,
		                              r < 0 ? -err : r, nf);
		for (int i = 0; i < n; i++)
			track(nf[i], true);
		pthread_mutex_unlock(&g.lock);
		errno = err;
		return r;
	}
	/* a request that creates an fd: hold a real number for it */
	int ph = -1, wfd = -1;
	bool fault = req == 0x3b8e /* IOMMU_FAULT_QUEUE_ALLOC */;
	bool veventq = req == 0x3b93 /* IOMMU_VEVENTQ_ALLOC */;
	if (creates_fd(req)) {
		int p[2];
		if (veventq && pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0)
			ph = p[0], wfd = p[1];
		else if (!veventq)
			ph = fault ? eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) : placeholder(O_CLOEXEC);
		if (ph >= 0 && shim_fd_next(g.k, g.proc, ph)) {
			real_close(ph), ph = -1;
			if (wfd >= 0)
				real_close(wfd), wfd = -1;
		}
	}
	/* the request's row: the fd's kind decides a number two kinds share
	 * (looked up before the call, which may close the file) */
	const struct shim_uapi_request *rq =
	    shim_uapi_request_find_node(req, shim_fd_node(g.k, g.proc, fd));
	struct shim_call c;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	if (g.rec)
		pl_record_ioctl_before(g.rec, fd, req, (uint64_t)(uintptr_t)arg, rq);
	int64_t rc = shim_ioctl(g.k, g.proc, fd, req, (uint64_t)(uintptr_t)arg, g.now_ns, &c);
	shim_fd_next(g.k, g.proc, 0);
	if (ph >= 0 && !shim_fd_is_open(g.k, g.proc, ph)) {
		real_close(ph);
		if (wfd >= 0)
			real_close(wfd);
	} else if (ph >= 0 && (fault || veventq)) {
		evq_add(ph, wfd);
	}
	evq_sync();
	const char *name = rq ? rq->name : NULL;
	account(&c, name ? name : "ioctl");
	if (g.rec) {
		int nf[4];
		pl_record_ioctl_after(g.rec, fd, req, (uint64_t)(uintptr_t)arg, rc, nf);
	}
	/* Linux answers unknown iommufd/VFIO numbers with ENOTTY too; a KVM
	 * request or a known one that is not emulated is worth saying */
	const char *kvm_name = kvm_unemulated(req);
	if (rc < 0 && kvm_name) {
		g.unsupported++;
		pl_err("ioctl %s (0x%lx) on fd %d: not emulated (smmusim runs no vCPU); answered as "
		       "Linux answers an unsupported request on that fd: errno %d",
		       kvm_name, req, fd, (int)-rc);
	} else if (rc == -ENOTTY && (((req >> 8) & 0xff) != 0x3b || name)) {
		g.unsupported++;
		pl_err("ioctl %s (0x%lx) on fd %d: not served by the emulated kernel (ENOTTY)",
		       name ? name : "?", req, fd);
	}
	pthread_mutex_unlock(&g.lock);
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	return (int)rc;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	resolve();
	if (!(flags & MAP_ANONYMOUS) && fd >= 3) {
		pthread_mutex_lock(&g.lock);
		bool served = is_served(fd) && !g.passthrough;
		pthread_mutex_unlock(&g.lock);
		if (served) {
			pl_err("mmap of emulated fd %d (len %zu, offset 0x%llx): not supported (a vCPU's "
			       "kvm_run or a VFIO region): ENODEV",
			       fd, len, (unsigned long long)off);
			errno = ENODEV;
			return MAP_FAILED;
		}
	}
	return real_mmap(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
    __attribute__((alias("mmap")));

int mprotect(void *addr, size_t len, int prot)
{
	static int (*real_mprotect)(void *, size_t, int);
	if (!real_mprotect)
		real_mprotect = (int (*)(void *, size_t, int))dlsym(RTLD_NEXT, "mprotect");
	pthread_mutex_lock(&g.lock);
	good_forget();
	pthread_mutex_unlock(&g.lock);
	return real_mprotect(addr, len, prot);
}

void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	static void *(*real_mremap)(void *, size_t, size_t, int, ...);
	if (!real_mremap)
		real_mremap = (void *(*)(void *, size_t, size_t, int, ...))dlsym(RTLD_NEXT, "mremap");
	va_list ap;
	va_start(ap, flags);
	void *na = va_arg(ap, void *);
	va_end(ap);
	pthread_mutex_lock(&g.lock);
	good_forget();
	if (g.k && !g.failed && !g.passthrough)
		shim_user_forget(g.k, g.proc, (uint64_t)(uintptr_t)old, old_len);
	pthread_mutex_unlock(&g.lock);
	return real_mremap(old, old_len, new_len, flags, na);
}

int munmap(void *addr, size_t len)
{
	resolve();
	pthread_mutex_lock(&g.lock);
	good_forget();
	if (g.k && !g.failed && !g.passthrough)
		shim_user_forget(g.k, g.proc, (uint64_t)(uintptr_t)addr, len);
	pthread_mutex_unlock(&g.lock);
	return real_munmap(addr, len);
}

/* read(2) / write(2): served on emulated fds (vEVENTQ and fault-queue
 * records; a fault queue's page responses - the other emulated fds have
 * no write op here: EINVAL), recorded on the fds the recorder named;
 * pass-through recording records what the real kernel answered on a
 * device-node fd. */
static ssize_t read_write(int fd, void *buf, size_t len, bool wr)
{
	resolve();
	pthread_mutex_lock(&g.lock);
	if (!is_served(fd) || g.passthrough) {
		bool rec = g.rec && is_served(fd);
		pthread_mutex_unlock(&g.lock);
		ssize_t n = wr ? real_write(fd, buf, len) : real_read(fd, buf, len);
		if (rec) {
			int e = errno;
			int64_t ret = n < 0 ? -(int64_t)e : (int64_t)n;
			pthread_mutex_lock(&g.lock);
			if (wr)
				pl_record_write(g.rec, fd, buf, len, ret);
			else
				pl_record_read(g.rec, fd, buf, len, ret);
			pthread_mutex_unlock(&g.lock);
			errno = e;
		}
		return n;
	}
	struct shim_call c;
	memset(&c, 0, sizeof(c));
	c.size = sizeof(c);
	uint64_t ubuf = (uint64_t)(uintptr_t)buf;
	int64_t rc = wr ? shim_write(g.k, g.proc, fd, ubuf, len, g.now_ns, &c)
	                : shim_read(g.k, g.proc, fd, ubuf, len, g.now_ns, &c);
	account(&c, wr ? "write" : "read");
	evq_sync();
	if (g.rec && wr)
		pl_record_write(g.rec, fd, buf, len, rc);
	else if (g.rec)
		pl_record_read(g.rec, fd, buf, len, rc);
	pthread_mutex_unlock(&g.lock);
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	return (ssize_t)rc;
}

ssize_t read(int fd, void *buf, size_t len)
{
	return read_write(fd, buf, len, false);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	return read_write(fd, (void *)(uintptr_t)buf, len, true);
}

/* Emulated fds answer as Linux's file ops do (shim_fd_poll: a fault queue
 * or vEVENTQ is readable while something waits in it, files without a poll
 * op are always ready); the program's own fds are polled for real. With
 * none ready, the wait is on the program's own fds for the timeout: nothing
 * makes an emulated fd ready meanwhile (no device DMA runs under LD_PRELOAD),
 * as nothing would on an idle Linux machine. */
int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	resolve();
	bool any = false;
	pthread_mutex_lock(&g.lock);
	for (nfds_t i = 0; i < n && !g.passthrough; i++)
		if (is_served(fds[i].fd))
			any = true;
	pthread_mutex_unlock(&g.lock);
	if (!any)
		return real_poll(fds, n, timeout);
	struct pollfd *other = calloc(n ? n : 1, sizeof(*other));
	short *mine = calloc(n ? n : 1, sizeof(*mine));
	if (!other || !mine) {
		free(other);
		free(mine);
		errno = ENOMEM;
		return -1;
	}
	int ready = 0, reals = 0;
	pthread_mutex_lock(&g.lock);
	for (nfds_t i = 0; i < n; i++) {
		other[i] = fds[i];
		mine[i] = -1;
		if (is_served(fds[i].fd)) {
			int m = shim_fd_poll(g.k, g.proc, fds[i].fd);
			mine[i] = (short)(m >= 0 ? (fds[i].events & m) : POLLNVAL);
			ready += mine[i] != 0;
			other[i].fd = -1;
		} else {
			reals += fds[i].fd >= 0;
		}
	}
	if (!ready && !reals && timeout < 0 && !g.warned_poll) {
		g.warned_poll = true;
		pl_err("poll with no timeout on emulated fds none of which is ready: nothing can make "
		       "them ready (no device DMA runs under LD_PRELOAD); it waits, as Linux would");
	}
	pthread_mutex_unlock(&g.lock);
	int r = real_poll(other, n, ready ? 0 : timeout);
	if (r < 0) {
		free(other);
		free(mine);
		return r;
	}
	ready = 0;
	for (nfds_t i = 0; i < n; i++) {
		fds[i].revents = mine[i] >= 0 ? mine[i] : other[i].revents;
		ready += fds[i].revents != 0;
	}
	free(other);
	free(mine);
	return ready;
}

/* A real duplicate of the placeholder, then the same open file at its number. */
static int served_dup(int oldfd, int newfd)
{
	if (g.rec)
		pl_record_dup(g.rec, oldfd, newfd);
	if (g.passthrough) {
		track(newfd, true);
		return newfd;
	}
	int rc = shim_fd_next(g.k, g.proc, newfd);
	if (!rc)
		rc = shim_fd_pass(g.k, g.proc, oldfd, g.proc);
	shim_fd_next(g.k, g.proc, 0);
	struct evq *e = rc >= 0 ? evq_find(oldfd) : NULL;
	if (e && !evq_find(newfd))
		evq_add(newfd, e->wfd); /* the same eventfd or pipe */
	return rc;
}

int dup(int fd)
{
	resolve();
	pthread_mutex_lock(&g.lock);
	if (!is_served(fd)) {
		pthread_mutex_unlock(&g.lock);
		return real_dup(fd);
	}
	int nfd = real_dup(fd);
	if (nfd >= 0 && served_dup(fd, nfd) < 0) {
		real_close(nfd);
		nfd = -1;
		errno = EMFILE;
	}
	pthread_mutex_unlock(&g.lock);
	return nfd;
}

static int dup_to(int oldfd, int newfd, int flags, bool three)
{
	pthread_mutex_lock(&g.lock);
	bool old_served = is_served(oldfd);
	if (!old_served && !is_served(newfd)) {
		pthread_mutex_unlock(&g.lock);
		return three ? real_dup3(oldfd, newfd, flags) : real_dup2(oldfd, newfd);
	}
	if (oldfd == newfd) {
		pthread_mutex_unlock(&g.lock);
		return three ? (errno = EINVAL, -1) : newfd;
	}
	/* dup2 closes newfd first: an emulated newfd is closed in the kernel */
	if (g.passthrough && is_served(newfd)) {
		track(newfd, false);
	} else if (is_served(newfd)) {
		struct shim_call c;
		memset(&c, 0, sizeof(c));
		c.size = sizeof(c);
		shim_close(g.k, g.proc, newfd, g.now_ns, &c);
		account(&c, "close");
		evq_del(newfd);
	}
	int r = three ? real_dup3(oldfd, newfd, flags) : real_dup2(oldfd, newfd);
	if (r >= 0 && old_served && served_dup(oldfd, r) < 0) {
		real_close(r);
		r = -1;
		errno = EMFILE;
	}
	pthread_mutex_unlock(&g.lock);
	return r;
}

int dup2(int oldfd, int newfd)
{
	resolve();
	return dup_to(oldfd, newfd, 0, false);
}

int dup3(int oldfd, int newfd, int flags)
{
	resolve();
	return dup_to(oldfd, newfd, flags, true);
}

int fcntl(int fd, int cmd, ...)
{
	resolve();
	va_list ap;
	va_start(ap, cmd);
	long arg = va_arg(ap, long);
	va_end(ap);
	if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC)
		return real_fcntl(fd, cmd, arg);
	pthread_mutex_lock(&g.lock);
	if (!is_served(fd)) {
		pthread_mutex_unlock(&g.lock);
		return real_fcntl(fd, cmd, arg);
	}
	int nfd = real_fcntl(fd, cmd, arg);
	if (nfd >= 0 && served_dup(fd, nfd) < 0) {
		real_close(nfd);
		nfd = -1;
		errno = EMFILE;
	}
	pthread_mutex_unlock(&g.lock);
	return nfd;
}

int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));

/* ---- the report ---- */

static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* The STE the SMMU would fetch for sid: 8 qwords read from its stream table. */
static bool read_ste(struct pl_smmu *m, uint32_t sid, uint64_t ste[8])
{
	uint64_t base = 0, cfg = 0;
	uint64_t t = cycles(m, g.now_ns);
	if (smmu_mmio_read(m->m, SMMU_REG_STRTAB_BASE, 8, t, &base) ||
	    smmu_mmio_read(m->m, SMMU_REG_STRTAB_BASE_CFG, 4, t, &cfg))
		return false;
	uint64_t addr = base & 0x0000ffffffffffc0ull;
	unsigned fmt = (unsigned)(cfg >> SMMU_STRTAB_FMT_SHIFT) & 3;
	unsigned split = (unsigned)(cfg >> SMMU_STRTAB_SPLIT_SHIFT) & 0x1f;
	unsigned log2size = (unsigned)cfg & 0x3f;
	if (log2size < 32 && sid >= (1u << log2size))
		return false;
	uint64_t pa;
	if (fmt == 0) {
		pa = addr + 64ull * sid;
	} else {
		uint64_t l1 = 0;
		if (dram_read(addr + 8ull * (sid >> split), &l1, 8))
			return false;
		unsigned span = (unsigned)(l1 & 0x1f);
		if (!span)
			return false;
		uint32_t idx = sid & ((1u << split) - 1);
		if (idx >= (1u << (span - 1)))
			return false;
		pa = (l1 & 0x0000ffffffffffc0ull) + 64ull * idx;
	}
	return dram_read(pa, ste, 64) == 0;
}

static void report_write(void)
{
	if (!g.report_path || !g.k)
		return;
	FILE *f = fopen(g.report_path, "w");
	if (!f) {
		pl_err("cannot write %s", g.report_path);
		return;
	}
	fprintf(f, "{\n  \"host\": \"preload\",\n  \"proc\": ");
	jstr(f, g.proc);
	fprintf(f, ",\n  \"sim_time_ns\": %" PRIu64 ",\n  \"syscalls\": %" PRIu64
	           ",\n  \"unsupported\": %" PRIu64 ",\n  \"requests\": {",
	        g.now_ns, g.syscalls, g.unsupported);
	for (unsigned i = 0; i < g.nreq; i++) {
		fprintf(f, "%s\n    ", i ? "," : "");
		jstr(f, g.req[i].name);
		fprintf(f,
		        ": {\"count\": %" PRIu64 ", \"errors\": %" PRIu64 ", \"commands\": %" PRIu64
		        ", \"syncs\": %" PRIu64 "}",
		        g.req[i].count, g.req[i].errors, g.req[i].commands, g.req[i].syncs);
	}
	fprintf(f, "\n  },\n  \"smmus\": [");
	for (unsigned s = 0; s < g.nsmmus; s++) {
		struct pl_smmu *m = &g.smmus[s];
		fprintf(f, "%s\n    {\"name\": ", s ? "," : "");
		jstr(f, m->name);
		uint64_t total = 0;
		for (unsigned op = 0; op < 256; op++)
			total += m->cmds[op];
		fprintf(f,
		        ", \"commands\": %" PRIu64 ", \"cerrors\": %" PRIu64 ", \"events\": %" PRIu64
		        ", \"gerrors\": %" PRIu64 ", \"by_opcode\": {",
		        total, m->cerrors, m->events, m->gerrors);
		bool first = true;
		for (unsigned op = 0; op < 256; op++) {
			if (!m->cmds[op])
				continue;
			const char *n = smmu_cmd_name((uint8_t)op);
			fprintf(f, "%s", first ? "" : ", ");
			if (n)
				jstr(f, n);
			else
				fprintf(f, "\"OP_0x%02x\"", op);
			fprintf(f, ": %" PRIu64, m->cmds[op]);
			first = false;
		}
		fprintf(f, "}}");
	}
	fprintf(f, "\n  ],\n  \"stes\": [");
	bool first = true;
	for (int d = 0;; d++) {
		uint32_t smmu = 0, sid = 0;
		if (shim_device_info(g.k, (uint32_t)d, &smmu, &sid) != SHIM_OK)
			break;
		uint64_t ste[8];
		if (smmu >= g.nsmmus || !read_ste(&g.smmus[smmu], sid, ste))
			continue;
		static const char *const cfgs[8] = {"abort", "?", "?", "?", "bypass", "s1", "s2", "nested"};
		unsigned config = (unsigned)(ste[0] >> 1) & 7;
		fprintf(f, "%s\n    {\"smmu\": ", first ? "" : ",");
		jstr(f, g.smmus[smmu].name);
		fprintf(f, ", \"sid\": %u, \"valid\": %s, \"config\": \"%s\", \"s2vmid\": %u, \"qwords\": [",
		        sid, (ste[0] & 1) ? "true" : "false", (ste[0] & 1) ? cfgs[config] : "invalid",
		        (unsigned)(ste[2] & 0xffff));
		for (int q = 0; q < 8; q++)
			fprintf(f, "%s\"0x%016" PRIx64 "\"", q ? ", " : "", ste[q]);
		fprintf(f, "]}");
		first = false;
	}
	fprintf(f, "\n  ],\n  \"ste_log_dropped\": %zu,\n  \"ste_log\": [", g.stes.dropped);
	for (size_t i = 0; i < g.stes.n; i++) {
		const struct ste_change *e = &g.stes.log[i];
		static const char *const cf[8] = {"abort", "?", "?", "?", "bypass", "s1", "s2", "nested"};
		fprintf(f, "%s\n    {\"after\": ", i ? "," : "");
		jstr(f, e->req);
		fprintf(f, ", \"t_ns\": %" PRIu64 ", \"smmu\": ", e->t_ns);
		jstr(f, g.smmus[e->smmu].name);
		fprintf(f, ", \"sid\": %u, \"config\": \"%s\", \"qwords\": [", e->sid,
		        (e->q[0] & 1) ? cf[(e->q[0] >> 1) & 7] : "invalid");
		for (int q = 0; q < 4; q++)
			fprintf(f, "%s\"0x%016" PRIx64 "\"", q ? ", " : "", e->q[q]);
		fprintf(f, "]}");
	}
	fprintf(f, "\n  ],\n  \"violations\": [");
	size_t nv = shim_violation_count(g.k);
	for (size_t i = 0; i < nv; i++) {
		struct shim_violation v;
		if (shim_violation_at(g.k, i, &v) != SHIM_OK)
			break;
		fprintf(f, "%s\n    {\"kind\": ", i ? "," : "");
		jstr(f, shim_violation_kind_name(v.kind));
		fprintf(f, ", \"owner\": ");
		jstr(f, v.owner);
		fprintf(f, ", \"other\": ");
		jstr(f, v.other);
		fprintf(f, ", \"detail\": ");
		jstr(f, v.detail);
		fprintf(f, "}");
	}
	fprintf(f, "\n  ]\n}\n");
	fclose(f);
}

__attribute__((destructor)) static void pl_fini(void)
{
	pthread_mutex_lock(&g.lock);
	if (g.inited && !g.failed) {
		report_write();
		if (g.rec)
			pl_record_close(g.rec);
		g.rec = NULL;
	}
	pthread_mutex_unlock(&g.lock);
}
