/*
 * shim.h - public C API of uapi_shim, the emulated Linux 7.0 kernel
 * interface (iommufd, VFIO, and later KVM) over models/smmuv3.
 *
 * The shim *is* the kernel for the simulator: hosts (sim/'s SystemC replay,
 * later the LD_PRELOAD library) hand it system calls of simulated processes
 * (open, close, ioctl, mmap, read) and it answers them as Linux does, errno
 * by errno, programming the SMMUs only through MMIO and simulated memory.
 * It reaches the outside world only through struct shim_host_ops.
 *
 * Compiled as C11 without SystemC or C++.
 */
#ifndef SHIM_SHIM_H
#define SHIM_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Host operations. Required: mem_read, mem_write, mmio_read, mmio_write.
 * Optional ones may be NULL.
 */
struct shim_host_ops {
	uint32_t size; /* sizeof(struct shim_host_ops) */
	/* Simulated DRAM (host physical). 0, or non-zero for a bus error. */
	int (*mem_read)(void *host, uint64_t pa, void *buf, uint32_t len);
	int (*mem_write)(void *host, uint64_t pa, const void *buf, uint32_t len);
	/* Register access to SMMU `smmu` (its index in declaration order) at
	 * kernel time now_ns; width 4 or 8. 0, or non-zero for a bus error. */
	int (*mmio_read)(void *host, uint32_t smmu, uint64_t off, unsigned width, uint64_t now_ns,
	                 uint64_t *val);
	int (*mmio_write)(void *host, uint32_t smmu, uint64_t off, unsigned width, uint64_t val,
	                  uint64_t now_ns);
	/* copy_{from,to}_user for the calling process: 0, or non-zero (the call
	 * fails with EFAULT). NULL: user pointers are host pointers (memcpy). */
	int (*copy_from_user)(void *host, uint64_t uptr, void *buf, size_t len);
	int (*copy_to_user)(void *host, uint64_t uptr, const void *buf, size_t len);
	/* Diagnostics: level 0 error, 1 warning, 2 info, 3 debug. */
	void (*log)(void *host, int level, const char *msg);
	/* A broadcast TLB maintenance instruction executed by a PE at now_ns
	 * (`op` is the Arm ARM name: "ALLE1IS", "VMALLE1IS", "ASIDE1IS" ...;
	 * vmid/asid/addr as the instruction carries them). The host delivers it
	 * to every SMMU (each honours it only with BTM on and CR2.PTM clear) and
	 * returns how many TLB entries it removed. Optional (NULL: no SMMU
	 * listens); hosts built against an older struct (smaller `size`) have
	 * none. */
	uint32_t (*tlbi_broadcast)(void *host, const char *op, uint32_t vmid, uint32_t asid,
	                           uint64_t addr, uint64_t now_ns);
	/* Whether [va, va + len) is mapped memory of the calling process: 0 yes,
	 * non-zero no (pinning it fails with EFAULT). Optional (NULL: mapped);
	 * used with host_user_memory. */
	int (*user_mapped)(void *host, uint64_t va, uint64_t len);
	/* Whether fd is an open file of the calling process that the emulation
	 * does not serve (a program's own /dev/null under LD_PRELOAD): 1 yes, 2
	 * yes and it is an eventfd, 0 no. Passed where a request takes an fd,
	 * such a file gets the errno Linux gives a file of the wrong kind
	 * (EBADFD, EINVAL, ENOENT), not EBADF; an eventfd is taken where an
	 * eventfd is wanted (VFIO_DEVICE_SET_IRQS). Optional (NULL: no such
	 * files). */
	int (*fd_open)(void *host, int fd);
	/* Whether fd is a memfd of the calling process that the emulation does
	 * not serve (the program's own memfd_create() under LD_PRELOAD): 0 and
	 * its inode number and size in bytes, or -EBADF (not open) or -EINVAL
	 * (another kind of file). IOMMU_IOAS_MAP_FILE pins such a file: the
	 * kernel backs it with simulated DRAM, one backing per inode, so dups
	 * and later maps of it share the pages. Optional (NULL: no such files). */
	int (*memfd_info)(void *host, int fd, uint64_t *ino, uint64_t *size);
};
/* Hosts must provide at least the members up to and including `log`. */
#define SHIM_HOST_OPS_MIN_SIZE (offsetof(struct shim_host_ops, log) + sizeof(void (*)(void)))

/* ======================================================================
 * Everything below is the shim's own API (the host ops above are shared
 * with the driver model). Conventions:
 *  - API misuse (NULL handle, bad configuration, adding a device twice)
 *    returns a positive enum shim_status; shim_strerror() names it.
 *  - System calls (shim_open/close/ioctl/mmap/read/memfd_create) return what
 *    Linux returns to user space: >= 0 on success, -errno on failure
 *    (-EINVAL, -ENOTTY ...), errno numbers as in <errno.h> on Linux.
 *  - Every system call takes the simulated time it starts at (now_ns) and
 *    fills an optional struct shim_call with its duration and what it did to
 *    the SMMUs.
 * ====================================================================== */

struct shim;

enum shim_status {
	SHIM_OK = 0,
	SHIM_ERR_INVAL = 1, /* bad argument or configuration */
	SHIM_ERR_NOMEM = 2, /* host allocation failed, or DRAM exhausted */
	SHIM_ERR_STATE = 3, /* wrong order (device added after boot to a missing SMMU ...) */
	SHIM_ERR_EXIST = 4, /* name, path or StreamID already used */
	SHIM_ERR_NODEV = 5, /* the driver refused an SMMU at boot (-ENODEV) */
	SHIM_ERR_IO = 6,    /* a host op failed (MMIO/DRAM bus error) */
};
const char *shim_strerror(int status);
/* The name of an errno the emulated kernel can answer ("EINVAL"), Linux
 * numbering; NULL if unknown. And the number of a name, or -1. */
const char *shim_errno_name(int err);
int shim_errno_by_name(const char *name);

/* Kernel CPU costs in ns (the `t.k.<name>` parameters). Same members, in the
 * same order, as the kernel's internal struct ktiming. */
struct shim_ktiming {
	uint32_t syscall, obj_op, pin_page, pte_write, table_alloc, ste_qword, cmd_insert,
	    prod_write, poll_interval, msi_wakeup, mmio_read, mmio_write, irq_entry, evt_handle,
	    dma_call, iova_cache, iova_tree, iova_node, fq_queue;
};

/*
 * Configuration. Start from shim_config_default(); change fields directly or
 * by name with shim_config_set(). `size` must be sizeof(struct shim_config).
 */
struct shim_config {
	uint32_t size;
	uint64_t dram_base; /* host DRAM the kernel allocates from (kmem) */
	uint64_t dram_size;
	bool iommu_strict;        /* kernel.iommu_strict (DMA API) */
	bool pri_iopf;            /* kernel.pri_iopf: PRI page requests go to IOPF */
	uint32_t kernel_hz;       /* kernel.hz: CONFIG_HZ (jiffies of the flush-queue timer) */
	bool iommufd_test;        /* kernel.iommufd_test: CONFIG_IOMMUFD_TEST's IOMMU_TEST_CMD */
	bool sync_msi;            /* kernel.sync = msi | poll: CMD_SYNC completion */
	uint64_t rlimit_memlock;  /* kernel.rlimit_memlock: RLIMIT_MEMLOCK of every
	                           * process in bytes; 0 = unlimited */
	uint32_t iommufd_max_ids; /* kernel.iommufd_max_ids: object IDs per iommufd
	                           * (Linux: 2^31-1); lower it to reach ENOSPC */
	uint32_t
	    vfio_dma_entry_limit; /* kernel.vfio_dma_entry_limit: type1 dma_entry_limit (65535) */
	struct shim_ktiming kt;   /* t.k.<name> */
	/* VMIDs (reference/linux-uapi.md §3.1, §4): */
	uint32_t vmid_policy;     /* policy.vmid: enum shim_vmid_policy */
	bool viommu_vmid_own;     /* policy.viommu_vmid: own (per-vSMMU VMID) | parent (7.0) */
	uint32_t kvm_vmid_bits;   /* kvm.vmid_bits: 8 or 16 */
	uint32_t kvm_cpus;        /* kvm.cpus: physical CPUs KVM's allocator sees */
	bool oracle;              /* oracle: the isolation oracle on (default) or off */
	/* The LD_PRELOAD host: user pointers are the calling process's own
	 * memory (copies go through copy_{from,to}_user or memcpy, never through
	 * mmap'd VMAs), and pinning a range the kernel has not backed yet backs
	 * it with simulated DRAM (shim_user_back). Not a named parameter. */
	bool host_user_memory;
	uint32_t debug_bug;       /* debug.bug: a seeded driver bug (enum shim_debug_bug) */
};

/* debug.bug: driver bugs seeded on purpose, to show the oracle catches them. */
enum shim_debug_bug {
	SHIM_BUG_NONE = 0,
	SHIM_BUG_SKIP_TLBI,        /* "skip-tlbi": domain invalidations issue no TLBI/ATC_INV */
	SHIM_BUG_SKIP_SYNC_WAIT,   /* "skip-sync-wait": CMD_SYNC is issued but not waited for */
	SHIM_BUG_WRONG_VMID,       /* "wrong-vmid": S2 TLBIs carry the VMID + 1 */
	SHIM_BUG_SKIP_CFGI,        /* "skip-cfgi": STE/CD updates without CFGI (+ SYNC) */
	SHIM_BUG_EARLY_VMID_REUSE, /* "early-vmid-reuse": a domain's tag is not flushed when its
	                            * last master leaves, so the VMID is reused unflushed */
};

/* policy.vmid: who chooses the VMID of a stage-2 (nest parent) domain. */
enum shim_vmid_policy {
	SHIM_VMID_SMMU_IDA = 0,   /* mainline: per-SMMU IDA 1..2^bits-1, independent of KVM */
	SHIM_VMID_KVM_PINNED,     /* RFC: the KVM's pinned VMID when the device has a KVM,
	                           * else private; a private VMID KVM later pins is moved */
	SHIM_VMID_SHARED,         /* one allocator (KVM's) for KVM and SMMU; all pinned */
	SHIM_VMID_SPLIT,          /* KVM [1, 2^(b-1)), SMMU [2^(b-1), 2^b) */
	SHIM_VMID_KVM_PINNED_NAIVE, /* unsafe: kvm-pinned without collision check/move */
	SHIM_VMID_KVM_UNPINNED,   /* unsafe: adopt KVM's current VMID, never updated */
};
const char *shim_vmid_policy_name(uint32_t policy);
void shim_config_default(struct shim_config *cfg);
/* Set a named parameter from text ("on"/"off", "poll"/"msi", integers with
 * K/M/G suffixes). SHIM_ERR_INVAL with a message in err for an unknown name
 * or bad value. */
int shim_config_set(struct shim_config *cfg, const char *name, const char *value, char *err,
                    size_t errlen);
/* The value of a parameter as text. */
int shim_config_get(const struct shim_config *cfg, const char *name, char *buf, size_t len);

/* The parameter table, for `smmusim params`. */
struct shim_param_info {
	const char *name;   /* "kernel.iommu_strict", "t.k.syscall" ... */
	const char *unit;   /* "ns", "bytes", "bool", "enum", "count" */
	const char *def;    /* default value as text */
	const char *source; /* where the default comes from, or "uncalibrated" */
	const char *help;
};
/* NULL past the end. */
const struct shim_param_info *shim_param_at(size_t i);

/*
 * Create the kernel. cfg and ops are copied; `host` is passed back to every
 * op. Nothing touches the machine until shim_boot().
 */
int shim_create(const struct shim_config *cfg, const struct shim_host_ops *ops, void *host,
                struct shim **out);
/* Tear down: closes every process's fds (in fd order), releases every
 * device and SMMU. The SMMUs are not touched (no MMIO): the host destroys
 * them afterwards. */
void shim_destroy(struct shim *s);

/* Declare the next SMMU: returns its index (>= 0: the `smmu` number the host
 * ops are called with) or -SHIM_ERR_STATE after boot. The host creates the
 * model instance; the driver probes it through MMIO at shim_boot(). */
int shim_add_smmu(struct shim *s);

/* A PCI function behind an SMMU. Strings are copied. */
struct shim_device_desc {
	uint32_t size;    /* sizeof(struct shim_device_desc) */
	const char *name; /* trace name ("nic0"); required, unique */
	uint32_t smmu;    /* index from shim_add_smmu() */
	uint32_t sid;
	uint8_t ssid_bits; /* PASID width, 0: none */
	bool ats, pri;
	bool canwbs;       /* IORT CANWBS / snoop=enforced: the device cannot
	                    * issue no-snoop DMA (needed for a vIOMMU without S2FWB) */
	const char *cdev;  /* NULL: "/dev/vfio/devices/vfio<K>" (K = index) */
	const char *group; /* NULL: "/dev/vfio/<K>" */
	const char *bdf;   /* NULL: "0000:00:<K>.0" (K as 2 hex digits) */
};
/* Returns the device index K (>= 0) or -shim_status. Devices added after
 * boot are probed at once (no MMIO time is accounted). */
int shim_add_device(struct shim *s, const struct shim_device_desc *d);
/* Lookup by trace name: index or -SHIM_ERR_INVAL. */
int shim_device_index(const struct shim *s, const char *name);
/* The device's StreamID and SMMU (for the host's DMA path). */
int shim_device_info(const struct shim *s, uint32_t dev, uint32_t *smmu, uint32_t *sid);

/* ---- one system call's account, for the host's report ---- */
#define SHIM_CALL_MAX_OPS 256
/* One CMD_SYNC the call waited for: the PROD write that published it
 * reached SMMU `smmu` at prod_ns; the kernel waited from begin_ns (after the
 * write's own cost) to end_ns (completion seen: CONS polled past it, or the
 * MSI's wake-up). sync_index is the SYNC's command-queue index with its wrap
 * bit, as the SMMU reports it (smmu_cmd_report.index). */
struct shim_sync_wait {
	uint32_t smmu;
	uint32_t sync_index;
	uint64_t prod_ns, begin_ns, end_ns;
};
#define SHIM_CALL_MAX_WAITS 8
#define SHIM_CALL_WHY 192

struct shim_call {
	uint32_t size;                   /* set by the caller: sizeof(struct shim_call) */
	const char *request;             /* "IOMMU_IOAS_MAP", "open", "close", "mmap", "read",
	                                  * "irq", "boot", or "ioctl" for an unknown number */
	uint64_t start_ns;               /* now_ns given */
	uint64_t end_ns;                 /* when the call returned: kernel CPU time plus
	                                  * every wait for the SMMU (CMD_SYNC completion) */
	int64_t ret;                     /* the return value (>= 0) or -errno */
	int err;                         /* errno (positive), 0 on success */
	uint32_t ncmds;                  /* SMMU commands issued, CMD_SYNC included */
	uint8_t cmds[SHIM_CALL_MAX_OPS]; /* their opcodes in issue order (first 256) */
	uint32_t syncs;                  /* CMD_SYNCs */
	uint32_t ste_writes;             /* STE updates */
	uint32_t ste_hitless;            /* of which needed no V=0 step */
	uint32_t cd_writes;
	bool ste_breaking;     /* some STE went through V=0 */
	int cmdq_error;        /* CERROR seen while waiting for a SYNC (0: none) */
	uint64_t pinned_pages; /* pages this call pinned (positive) */
	uint64_t unpinned_pages;
	/* Where the time went (ns; the rest of end_ns - start_ns is the
	 * kernel's own work): building and writing commands and the PROD
	 * writes; waiting for command-queue space; the CMD_SYNC waits (the
	 * first SHIM_CALL_MAX_WAITS in full, the time of the others summed). */
	uint64_t t_cmdq_insert;
	uint64_t t_cmdq_space;
	uint32_t nwaits;
	struct shim_sync_wait waits[SHIM_CALL_MAX_WAITS];
	uint64_t t_wait_more;
	/* When the call failed for a reason an errno alone does not show, the
	 * kernel model's words for it (the reserved IOVA range a mapping
	 * overlaps ...); "" otherwise. */
	char why[SHIM_CALL_WHY];
};

/* Probe every declared SMMU (arm_smmu_device_probe: MMIO at now_ns) and
 * every device added so far. Returns SHIM_OK, or SHIM_ERR_NODEV / _IO. */
int shim_boot(struct shim *s, uint64_t now_ns, struct shim_call *call);

/*
 * System calls of process `proc` (a name; created on first use, e.g. "vmm0").
 * fds are per process, lowest free number from 3.
 *
 * Paths: "/dev/iommu", "/dev/vfio/vfio" (legacy container), a device's group
 * path ("/dev/vfio/<K>"), its cdev path ("/dev/vfio/devices/vfio<K>") and
 * "/dev/kvm".
 * Anything else: -ENOENT.
 */
int shim_open(struct shim *s, const char *proc, const char *path, uint64_t now_ns,
              struct shim_call *call);
int shim_close(struct shim *s, const char *proc, int fd, uint64_t now_ns, struct shim_call *call);
/* Hand process `from`'s fd to process `to` (SCM_RIGHTS, or a fork that
 * keeps it): both fds refer to one open file, which is released when the
 * last of them is closed. Returns the new fd in `to` or -errno (-EBADF). */
int shim_fd_pass(struct shim *s, const char *from, int fd, const char *to);
/*
 * For a host whose fds are real (the LD_PRELOAD library): the next file the
 * kernel installs in `proc` gets number `fd` (which the real process holds
 * for it) instead of the lowest free one, whatever its own limit (the
 * kernel numbers its own files below 1024, RLIMIT_NOFILE's default); 0
 * clears. -EBADF when fd is out of [3, 2^20) or open in the emulated kernel. shim_fd_is_open: 1 if fd is an
 * open emulated file of proc, else 0.
 */
int shim_fd_next(struct shim *s, const char *proc, int fd);
int shim_fd_is_open(const struct shim *s, const char *proc, int fd);
/* The uapi table's node name of an open emulated fd of proc ("iommufd",
 * "vfio-device", "vfio-group", "vfio-container", "kvm", "kvm-vm",
 * "kvm-vcpu", "kvm-device"), or NULL (not open, or another kind). */
const char *shim_fd_node(const struct shim *s, const char *proc, int fd);
/* 1 if fd is an iommufd fault queue (IOMMU_FAULT_QUEUE_ALLOC) of proc. */
int shim_fd_is_fault(const struct shim *s, const char *proc, int fd);
/* What poll(2) says of an emulated fd of proc now, as Linux's file ops do:
 * a fault queue POLLOUT, and POLLIN|POLLRDNORM while a fault waits to be
 * read; a vEVENTQ POLLIN|POLLRDNORM while an event waits; files without a
 * poll op (iommufd, VFIO, KVM) DEFAULT_POLLMASK. -EBADF if not open. */
#define SHIM_POLLIN 0x001
#define SHIM_POLLOUT 0x004
#define SHIM_POLLRDNORM 0x040
#define SHIM_POLLWRNORM 0x100
int shim_fd_poll(const struct shim *s, const char *proc, int fd);
/*
 * host_user_memory: back [va, va + len) of proc with simulated DRAM where
 * nothing backs it yet (in call order: deterministic whatever the VAs).
 * 0, -EFAULT (the host says it is not mapped), -ENOMEM. shim_user_forget
 * drops the backing of whole mappings inside the range that nothing pins
 * (munmap).
 */
int shim_user_back(struct shim *s, const char *proc, uint64_t va, uint64_t len);
void shim_user_forget(struct shim *s, const char *proc, uint64_t va, uint64_t len);
/*
 * ioctl(fd, request, arg). `arg` is what user space passes: a user pointer
 * to the argument struct (read with copy_from_user, results written with
 * copy_to_user, as are the payloads behind *_uptr fields), or a plain
 * integer for requests that take one (VFIO_SET_IOMMU, VFIO_CHECK_EXTENSION).
 * User pointers are resolved first against the process's mmap()s (simulated
 * DRAM) and otherwise through the host ops copy_{from,to}_user (NULL ops:
 * host pointers). Returns the ioctl's value (0, a new fd, an extension
 * answer) or -errno.
 */
int64_t shim_ioctl(struct shim *s, const char *proc, int fd, unsigned long request, uint64_t arg,
                   uint64_t now_ns, struct shim_call *call);
/*
 * Anonymous memory for the process: `len` bytes (rounded up to 4K), backed at
 * once by contiguous simulated DRAM (kmem; aligned to 2M when len >= 2M so
 * that IO page tables can use blocks), or placed at host physical `pa` when
 * pa != SHIM_PA_ANY (kmem_reserve: -EEXIST if taken, -ENOMEM outside DRAM;
 * the memory is not zeroed). Process VAs are deterministic: each process
 * starts at SHIM_PROC_VA_BASE and every mapping follows the previous one
 * (aligned as its backing). Host pointers must not fall in
 * [SHIM_PROC_VA_BASE, SHIM_PROC_VA_BASE + 2^44).
 */
#define SHIM_PA_ANY (~0ull)
#define SHIM_PROC_VA_BASE 0x400000000000ull
int shim_mmap(struct shim *s, const char *proc, uint64_t len, uint64_t pa, uint64_t now_ns,
              uint64_t *va, struct shim_call *call);
/* The host physical address behind a process VA (for DMA checks and for
 * building guest tables in memory), 0 and *pa, or -EFAULT. */
int shim_proc_va_to_pa(struct shim *s, const char *proc, uint64_t va, uint64_t *pa);
/*
 * memfd_create() + ftruncate(size): a file backed at once by contiguous
 * simulated DRAM, for IOMMU_IOAS_MAP_FILE. Returns its fd or -errno. The
 * pages stay allocated until the last user (fd or IOAS mapping) is gone.
 */
int shim_memfd_create(struct shim *s, const char *proc, uint64_t size, uint64_t now_ns,
                      struct shim_call *call);
/*
 * eventfd(initval, EFD_NONBLOCK) in process `proc`: a file whose 8-byte
 * counter read(2) returns and clears (EAGAIN while it is 0) and write(2)
 * adds to (EINVAL for 2^64 - 1, EAGAIN past it), as fs/eventfd.c; taken
 * where a request wants an eventfd (VFIO_DEVICE_SET_IRQS' ERR and REQ
 * triggers, VFIO_DEVICE_FEATURE's wake-up eventfd). Returns its fd or -errno.
 */
int shim_eventfd(struct shim *s, const char *proc, uint32_t initval, uint64_t now_ns,
                 struct shim_call *call);
/* The host physical address of byte `off` of a memfd. */
int shim_memfd_pa(struct shim *s, const char *proc, int fd, uint64_t off, uint64_t *pa);
/*
 * read(fd, buf, len): vEVENTQ fds give records of an 8-byte header
 * {u32 flags (IOMMU_VEVENTQ_FLAG_LOST_EVENTS = 1), u32 sequence} followed,
 * unless LOST_EVENTS, by the payload (struct iommu_vevent_arm_smmuv3: 4 le64,
 * StreamID replaced by the vSID). Only whole records are returned; 0 when
 * nothing is queued (the fd is non-blocking). Fault-queue fds return 0.
 */
/* write(2) on an emulated fd: a fault queue's page responses (8-byte
 * iommu_hwpt_page_response records); -EINVAL on fds without a write op. */
int64_t shim_write(struct shim *s, const char *proc, int fd, uint64_t buf_uptr, uint64_t len,
                   uint64_t now_ns, struct shim_call *call);
int64_t shim_read(struct shim *s, const char *proc, int fd, uint64_t buf_uptr, uint64_t len,
                  uint64_t now_ns, struct shim_call *call);
/*
 * The host kernel's DMA API on device `dev`'s default DMA domain (Linux 7.0
 * dma-iommu.c + iova.c): what a host driver's dma_map_page() and
 * dma_unmap_page() do. The first call on a device allocates its stage-1 DMA
 * domain and attaches it (Linux does that at probe). `cpu` is the CPU the
 * driver runs on (per-CPU IOVA caches and flush queues), < kvm.cpus.
 *
 * shim_dma_map: len bytes of a buffer at host physical `pa`, or, with
 * SHIM_PA_ANY, of a buffer the kernel allocates (freed at unmap); dir as
 * enum shim_dma_dir. Returns 0 and *iova, or -EINVAL (bad dir, len 0),
 * -EBUSY (the device is owned by user space through VFIO/iommufd),
 * -ENODEV (no such device, or before boot), -ENOMEM (no IOVA space: the
 * DMA_MAPPING_ERROR case).
 * shim_dma_unmap: the mapping shim_dma_map returned at `iova` with the same
 * len; strict (kernel.iommu_strict=on) invalidates before returning, lazy
 * queues the IOVA for the next flush. -EINVAL for an IOVA or length that
 * no live mapping has (Linux WARNs and corrupts its caches; here nothing
 * changes).
 */
enum shim_dma_dir {
	SHIM_DMA_BIDIRECTIONAL = 0,
	SHIM_DMA_TO_DEVICE = 1,
	SHIM_DMA_FROM_DEVICE = 2,
};
int shim_dma_map(struct shim *s, uint32_t dev, uint64_t pa, uint64_t len, unsigned dir,
                 uint32_t cpu, uint64_t now_ns, uint64_t *iova, struct shim_call *call);
int shim_dma_unmap(struct shim *s, uint32_t dev, uint64_t iova, uint64_t len, uint32_t cpu,
                   uint64_t now_ns, struct shim_call *call);
/* What the DMA domain of `dev` maps `iova` to now: 0 and *pa, or -ENOENT. */
int shim_dma_translate(const struct shim *s, uint32_t dev, uint64_t iova, uint64_t *pa);
/*
 * Deferred kernel work (the flush queues' timers): when the earliest is due
 * (kernel ns; UINT64_MAX when none is armed), and running every timer due
 * at now_ns (a call "fq_flush_timeout" at now_ns). Returns how many ran.
 */
uint64_t shim_timer_due(const struct shim *s);
int shim_run_timers(struct shim *s, uint64_t now_ns, struct shim_call *call);
struct shim_dma_stats {
	uint64_t maps, unmaps, failures, live_maps;
	uint64_t iova_cache_allocs;   /* IOVAs the per-CPU range caches gave */
	uint64_t iova_tree_allocs;    /* IOVAs searched in the tree */
	uint64_t iova_64bit_switches; /* devices that left the 32-bit space */
	uint64_t fq_queued;           /* unmaps queued (lazy) */
	uint64_t fq_flush_full;       /* flush_iotlb_all because a queue was full */
	uint64_t fq_flush_timer;      /* ... because the queue timer fired */
	uint64_t fq_pending;          /* entries in the queues now */
};
int shim_dma_stats(const struct shim *s, struct shim_dma_stats *out);

/* A wired interrupt of SMMU `smmu` (line: 0 event queue, 2 GERROR, as
 * enum smmu_irq): the driver's handler runs at now_ns (events of nested
 * masters are forwarded to vEVENTQs). */
int shim_irq(struct shim *s, uint32_t smmu, unsigned line, uint64_t now_ns, struct shim_call *call);

/* Pinned-page accounting of a process, in 4K pages: locked_vm charged by
 * iommufd's default RLIMIT_MODE (user), by the MM mode and by the type1
 * container, and pinned_vm (every iommufd pin). -EINVAL for an unknown proc. */
struct shim_proc_stats {
	uint64_t locked_user;  /* IOPT_PAGES_ACCOUNT_USER (user->locked_vm) */
	uint64_t locked_mm;    /* IOPT_PAGES_ACCOUNT_MM and VFIO type1 (mm->locked_vm) */
	uint64_t pinned_vm;    /* mm->pinned_vm */
	uint64_t mapped_bytes; /* total of its mmap()s */
};
int shim_proc_stats(const struct shim *s, const char *proc, struct shim_proc_stats *st);
/* Pages pinned on behalf of IOAS `ioas_id` of the iommufd `fd` of `proc`
 * (areas mapped into at least one domain). 0, -EBADF (not an iommufd) or
 * -ENOENT (not an IOAS). */
int shim_ioas_pinned(struct shim *s, const char *proc, int fd, uint32_t ioas_id, uint64_t *pages);

/* ---- VMIDs: where every stage-2 context's VMID came from (the report) ---- */

/* One assignment of a VMID on an SMMU, in the order they were made; a move
 * (policy kvm-pinned) ends one record and starts another. */
struct shim_vmid_info {
	uint32_t smmu;        /* SMMU index */
	uint32_t vmid;
	const char *source;   /* "smmu-ida", "kvm", "kvm-pinned", "shared", "split" */
	const char *owner;    /* "vmm0/vm0" (a KVM VM) or the process */
	const char *kind;     /* "s2", "nest-parent", "vsmmu" */
	bool live;            /* still in use */
	uint64_t t_alloc_ns, t_free_ns;
	uint32_t stes;        /* STEs carrying the VMID now (at release: then) */
	uint32_t stes_max;
	uint32_t moved_from;  /* started by a move from this VMID (0: allocated) */
	uint32_t moved_to;    /* ended by a move to this VMID (0: not moved) */
	uint32_t moves;       /* the context's moves so far */
	const char *why;      /* the move's reason ("" if none) */
};
size_t shim_vmid_count(const struct shim *s);
/* 0, or -EINVAL past the end. Strings live until the shim is destroyed. */
int shim_vmid_at(const struct shim *s, size_t i, struct shim_vmid_info *out);

/* KVM's VMID allocator and the policy, summarised. */
struct shim_vmid_stats {
	const char *policy;       /* policy.vmid */
	bool viommu_vmid_own;
	uint32_t kvm_bits, kvm_cpus;
	uint64_t kvm_generation;  /* 1 + rollovers */
	uint64_t kvm_rollovers;
	uint32_t kvm_pinned, kvm_max_pinned;
	uint64_t moves;           /* private VMIDs moved (kvm-pinned) */
	bool separates;           /* the policy keeps KVM's and the SMMUs' VMIDs apart
	                           * (shared, split): what BTM needs */
};
int shim_vmid_stats(const struct shim *s, struct shim_vmid_stats *out);

/* ---- KVM: vCPU scheduling, guest memory, guest stage-1 tables ---- */

/*
 * vCPU `vcpu` of the VM behind `vmfd` (a VM fd of `proc`) is scheduled in
 * (load) on / out of (put) physical CPU `cpu` at now_ns: load is KVM's
 * kvm_arch_vcpu_load -> kvm_arm_vmid_update() on that CPU (a VM whose VMID
 * is of an old generation gets a new one; when none is free a rollover
 * starts a new generation and KVM broadcasts TLBI ALLE1IS, which the host
 * delivers to the SMMUs through tlbi_broadcast); put is
 * kvm_arch_vcpu_put -> kvm_arm_vmid_clear_active(). A vCPU that no
 * KVM_CREATE_VCPU made is created here (no fd).
 * Returns the VMID index the vCPU runs with (load) or 0 (put), or:
 *  -EBADF  vmfd is not a VM fd of proc;
 *  -EIO    the VM belongs to another process (kvm->mm != current->mm);
 *  -EINVAL cpu >= kvm.cpus, vcpu >= KVM_MAX_VCPU_IDS (512) or beyond the
 *          VM's max_vcpus; put of a vCPU that is not loaded on that cpu;
 *  -EBUSY  load on a CPU that runs another vCPU, or of a vCPU that is
 *          loaded already (on any CPU: a vCPU runs on one CPU at a time).
 * call->request is "vcpu_load" / "vcpu_put".
 */
int shim_kvm_vcpu(struct shim *s, const char *proc, int vmfd, unsigned vcpu, unsigned cpu,
                  bool load, uint64_t now_ns, struct shim_call *call);
/* The VM's KVM VMID index now (kvm->arch.mmu.vmid; 0 if it never had one):
 * the VMID a PE running it tags its TLB entries and TLBIs with. 0, -EBADF
 * (not a VM fd of proc). */
int shim_kvm_vm_vmid(struct shim *s, const char *proc, int vmfd, uint32_t *vmid);

/* KVM's side for the report. */
struct shim_kvm_stats {
	uint32_t size;            /* sizeof(struct shim_kvm_stats), set by the caller */
	uint64_t vms_created, vms_live;
	uint64_t vcpu_loads, vcpu_puts;
	uint64_t vmid_allocs;     /* loads that gave the VM a new VMID (new_vmid) */
	uint64_t generation;      /* KVM's VMID generation, 1 + rollovers */
	uint64_t rollovers;
	uint64_t flushes;         /* TLBI ALLE1IS broadcasts of rollovers */
	uint64_t flush_removed;   /* SMMU TLB entries they removed (BTM) */
};
int shim_kvm_stats(const struct shim *s, struct shim_kvm_stats *out);

/*
 * Guest memory: the guest of the VM behind `vmfd` stores / loads `len`
 * bytes at IPA `ipa`, through the VM's memslots (IPA -> userspace_addr ->
 * the VMM's mmap backing -> host PA). 0, -EBADF (not a VM fd of proc),
 * -EFAULT where an IPA is in no memslot, the slot is not backed by a
 * mapping, or (write) the slot is KVM_MEM_READONLY.
 */
int shim_guest_write(struct shim *s, const char *proc, int vmfd, uint64_t ipa, const void *buf,
                     uint64_t len);
int shim_guest_read(struct shim *s, const char *proc, int vmfd, uint64_t ipa, void *buf,
                    uint64_t len);

/*
 * A guest stage-1 translation table (VMSAv8-64, EL1&0, TTBR0 form) in guest
 * memory, built or extended the way a guest kernel would:
 *  - the root table is at IPA `ttb`; the start level follows from va_bits
 *    and the granule (T0SZ = 64 - va_bits); next-level tables (one granule
 *    each, zeroed) come from `pool`, a bump allocator per VM and pool
 *    start, so successive maps with one pool extend it. pool ==
 *    SHIM_S1_POOL_AFTER_ROOT: the granule-aligned IPA just past the root.
 *  - leaves are level-3 page descriptors of the granule size (no blocks):
 *    AttrIndx 0 (MAIR attr0: the CD's normal write-back memory), SH inner
 *    shareable, AF = 1, nG = 1 (the ASID tags them), AP[1] = 1 (EL0
 *    access), AP[2] = 1 for perm r (read-only), PXN = UXN = 1 unless x.
 * Errors: -EINVAL (granule not 4K/16K/64K, va_bits outside 25..48, ttb not
 * aligned to the root table, va/ipa/pool not granule-aligned, len 0 or
 * not a multiple of the granule, va + len beyond 2^va_bits, ipa + len
 * beyond 2^48, no read permission, asid > 0xffff, a table at `ttb` used
 * before with another granule or va_bits); -EEXIST (a page already mapped
 * to another IPA or with other attributes, or covered by a block the guest
 * wrote: nothing is written then); -EFAULT (a table or pool page outside
 * the guest's memslots); -EBADF. Mapping a page again identically is a
 * no-op.
 */
#define SHIM_S1_R 1u
#define SHIM_S1_W 2u
#define SHIM_S1_X 4u
#define SHIM_S1_POOL_AFTER_ROOT (~0ull)
struct shim_s1map {
	uint32_t size;     /* sizeof(struct shim_s1map) */
	uint32_t perm;     /* SHIM_S1_R | SHIM_S1_W | SHIM_S1_X */
	uint64_t ttb;
	uint32_t asid;     /* the address space (nG leaves; checked <= 0xffff) */
	uint32_t granule;  /* 4096, 16384, 65536; 0: 4096 */
	uint32_t va_bits;  /* 0: 48 */
	uint64_t va, ipa, len;
	uint64_t pool;     /* SHIM_S1_POOL_AFTER_ROOT or an IPA */
};
int shim_guest_s1map(struct shim *s, const char *proc, int vmfd, const struct shim_s1map *m);
/* Clear the leaf descriptors of [va, va + len) of the table at `ttb` (no
 * TLB invalidation: the guest's TLBI is its own record). The geometry is
 * the one the table was built with by shim_guest_s1map (granule and
 * va_bits 0), else 4K/48 or as given. Unmapped pages are skipped. 0 and
 * the same errors as shim_guest_s1map. */
int shim_guest_s1unmap(struct shim *s, const char *proc, int vmfd, uint64_t ttb, uint64_t va,
                       uint64_t len, uint32_t granule, uint32_t va_bits);

/* ---- the isolation oracle (oracle.c) ---- */

/*
 * Ground truth beside the kernel model, never fed back into it. Owners are
 * processes and the KVM VMs their devices were given; a device may reach
 * the pages the kernel pinned for the IOAS under its HWPT. Violations:
 * cross-domain (a DMA reached another owner's page, or the kernel's), stale
 * (a DMA reached its owner's page that the kernel had already unmapped or
 * detached - the ioctl had returned), alias (one SMMU holds live, attached
 * contexts of two owners under one VMID), foreign-invalidation (a TLBI on
 * behalf of one owner - a command of its ioctl, its guest's broadcast TLBI -
 * targeted a VMID another owner's live context uses). Switched by the
 * `oracle` parameter.
 */
enum shim_violation_kind {
	SHIM_VIOL_CROSS_DOMAIN = 0,
	SHIM_VIOL_STALE = 1,
	SHIM_VIOL_ALIAS = 2,
	SHIM_VIOL_FOREIGN_INV = 3,
	SHIM_VIOL_KINDS = 4,
};
const char *shim_violation_kind_name(unsigned kind); /* "cross-domain" ... */
int shim_violation_kind_by_name(const char *name);   /* -1 if unknown */

struct shim_violation {
	unsigned kind;
	uint32_t line;        /* the record that exposed it (shim_oracle_set_record) */
	uint32_t origin_line; /* the record that inserted the cache entry that served a
	                       * DMA (0: unknown) */
	uint32_t smmu, sid, ssid;
	uint8_t world;
	uint16_t vmid;
	uint32_t asid;        /* 0x10000: none / any */
	uint64_t addr, pa, page; /* DMA: input address, output, output page */
	char device[32];      /* DMA: the device */
	char hit[16];         /* DMA: the structure that served it (utlb, tlb ...) */
	uint64_t entry_base, entry_size, entry_out; /* DMA: the serving entry */
	char inserted_for[96]; /* DMA: the device (owner) the entry was made for */
	char owner[48];       /* the owner it was exposed to / acting */
	char other[48];       /* the owner whose page or context it concerns ("kernel") */
	char detail[320];
};

/* The host's current record (a trace line), stamped on violations found
 * during the calls that follow. */
void shim_oracle_set_record(struct shim *s, uint32_t line);

/* One DMA's outcome, as the host saw it. */
struct shim_dma_check {
	uint32_t dev;          /* device index (shim_add_device order) */
	uint64_t addr;
	uint32_t ssid;
	bool translated;       /* the DMA completed with an output address */
	uint64_t pa;           /* output of its first byte */
	uint8_t world;
	uint16_t vmid;
	uint32_t asid;
	const char *hit;       /* what served it ("utlb", "tlb", "walk" ...) */
	uint32_t origin;       /* record that inserted the serving entry (0: unknown) */
	uint32_t line;         /* this DMA's record */
	uint32_t entry_sid;    /* the stream the serving entry was made for */
	uint64_t entry_base, entry_size, entry_out; /* its input range and output */
	bool ssv;              /* the DMA carried a substream (PASID) ssid */
};
/* Returns the number of new violations (0 or 1). */
int shim_oracle_dma(struct shim *s, const struct shim_dma_check *c);
/* A broadcast TLBI executed by a vCPU of the VM `vmfd` of `proc`, carrying
 * KVM VMID `vmid`, that removed `removed` SMMU entries; `asid` the one ASID
 * it was limited to (ASIDE1IS, VAE1IS, VALE1IS), or SHIM_TLBI_ALL_ASIDS. */
#define SHIM_TLBI_ALL_ASIDS 0xffffffffu
int shim_oracle_tlbi(struct shim *s, const char *proc, int vmfd, uint32_t vmid, uint32_t asid,
                     uint32_t removed);
/* One cache entry an invalidation removed (the model's inv_removed
 * observer, relayed by the host while the call or broadcast runs). The
 * oracle keeps those of the current call (the first SHIM_ORACLE_MAX_REMOVED)
 * as provenance for foreign-invalidation: which entry of the other owner was
 * removed, from which structure, inserted by which record for which stream. */
struct shim_removed_entry {
	uint32_t smmu;
	const char *structure; /* "utlb", "mtlb", "tlb", "walk_cache" */
	uint32_t tbu;
	uint8_t world;
	uint16_t vmid;
	uint32_t asid;         /* 0x10000: none */
	uint64_t base, size, out;
	uint32_t sid;          /* the stream whose walk made it */
	uint32_t origin;       /* the record that inserted it */
};
#define SHIM_ORACLE_MAX_REMOVED 256
void shim_oracle_removed(struct shim *s, const struct shim_removed_entry *e);
/* A violation the host found (e.g. a call that returned before the SMMU
 * completed its CMD_SYNC: the host sees the model's timing); recorded like
 * the oracle's own (line: the current record when 0). 1 if new, else 0. */
int shim_oracle_report(struct shim *s, const struct shim_violation *v);

/* ---- the bare-metal stale check (no kernel model) ----
 *
 * For traces that program the SMMU themselves, the oracle has no owners, but
 * the stale check still runs against the invalidations the trace issued
 * through the command queue: every TLBI the SMMU consumed is decoded here,
 * independently of the model, into the set of translations the architecture
 * requires it to remove (IHI 0070 §4.4: tag, address, range, TTL, global
 * entries); a later CMD_SYNC on that SMMU reports it complete at the SYNC's
 * completion cycle. A DMA served from a cached translation (micro TLB, main
 * TLB, TCU TLB) that was walked before such an invalidation was consumed and
 * used after the SYNC completed is `stale`. Entries the architecture leaves
 * optional (S2_IPA on combined entries, a range whose TG or TTL does not
 * match the entry, ASID-scoped operations on global entries) are never
 * flagged. Broadcast TLBIs (BTM) are not checked here. Needs no struct
 * shim: a host without the kernel model uses it. */
struct shim_cmdq_oracle;
struct shim_cmdq_oracle *shim_cmdq_oracle_create(unsigned nsmmu);
void shim_cmdq_oracle_destroy(struct shim_cmdq_oracle *o);
/* A command consumed by SMMU `smmu` (its words, its report's cycles); `line`
 * is the record whose register write made the SMMU consume it. Commands that
 * raised CERROR did nothing and are ignored. */
void shim_cmdq_oracle_cmd(struct shim_cmdq_oracle *o, unsigned smmu, const uint64_t cmd[2],
                          uint64_t start, uint64_t done, bool cerror, uint32_t line);
/* One DMA served by a translation. */
struct shim_cmdq_dma {
	unsigned smmu;
	const char *device;
	uint32_t sid, ssid;
	uint64_t addr, pa;
	uint64_t cycle;        /* when the SMMU looked the translation up */
	const char *hit;       /* "utlb", "mtlb", "tlb" are checked; others are fresh */
	uint8_t world;         /* the entry's tag */
	uint16_t vmid;
	uint32_t asid;
	bool global;
	uint8_t level;
	uint64_t entry_base, entry_size, entry_out;
	uint32_t walk_origin;  /* record whose walk produced the translation */
	uint32_t entry_sid;
	uint32_t line;         /* this DMA's record */
};
/* 1 and *out filled when the DMA used a translation a completed invalidation
 * should have removed (once per entry and invalidation), else 0. */
int shim_cmdq_oracle_dma(struct shim_cmdq_oracle *o, const struct shim_cmdq_dma *d,
                         struct shim_violation *out);
/* The usual case of shim_cmdq_oracle_dma() before building its argument:
 * 1 (and the hit counted as checked) when no invalidation has completed
 * on smmu since the record walk_origin, so that a DMA served from a TLB
 * entry walked then cannot be stale; 0 when shim_cmdq_oracle_dma() must
 * decide. */
int shim_cmdq_oracle_quiet(struct shim_cmdq_oracle *o, unsigned smmu, uint32_t walk_origin);
/* The same test without a call, for a host on every DMA's path: a DMA
 * served from a TLB entry walked at record walk_origin needs
 * shim_cmdq_oracle_dma() only if *mark > walk_origin, where mark (returned)
 * is the latest record among the invalidations completed on smmu so far, 0
 * while none has (a smmu out of range: always 0). Valid until
 * shim_cmdq_oracle_destroy(). The DMAs it settles are not counted as
 * checked. */
const uint32_t *shim_cmdq_oracle_quiet_mark(const struct shim_cmdq_oracle *o, unsigned smmu);
/* Invalidations seen / completed so far (for reports and tests). */
void shim_cmdq_oracle_counts(const struct shim_cmdq_oracle *o, uint64_t *consumed,
                             uint64_t *completed, uint64_t *checked_hits);

size_t shim_violation_count(const struct shim *s);
int shim_violation_at(const struct shim *s, size_t i, struct shim_violation *out);

/* ---- requests and their argument layouts (the trace replayer's table) ---- */

/*
 * How a replayer uses the table for `ioctl $f REQUEST FIELD=VALUE ... -> ...`:
 *  1. shim_uapi_request_by_name(REQUEST) (or a number: _find).
 *  2. SHIM_ARG_STRUCT: allocate struct_size zeroed bytes; write every
 *     SHIM_UF_SIZE field with struct_size unless the trace sets it; for each
 *     FIELD=VALUE find the field (shim_uapi_field_find accepts the member
 *     name or, for pointers, the payload name: `data`, `allowed_iovas`),
 *     resolve symbols with shim_uapi_sym_value, and store `width` bytes
 *     little-endian at `offset` (`count` > 1: a list).
 *     Payloads (SHIM_UF_UPTR): lay the inline list out in a buffer, element
 *     by element: elem_size bytes each (or the value of elem_field, e.g.
 *     entry_len = 16 for SMMUv3 commands), made of `word`-byte scalars (a
 *     nested list `[c0,c1]` is one element); store the buffer's address in
 *     the pointer field and, unless the trace sets it, its length in
 *     len_field (bytes for SHIM_PL_BYTES, elements for SHIM_PL_ELEMS).
 *     payload_out: the kernel fills the buffer (IOAS_IOVA_RANGES,
 *     GET_HW_INFO); allocate len_field's worth and read it back by the
 *     payload's name.
 *     SHIM_UF_INT_PTR fields: the value goes into an s32 of the replayer's
 *     and the field holds that s32's address.
 *  3. SHIM_ARG_INT: pass `arg=` itself; SHIM_ARG_INT_PTR: a pointer to an
 *     s32 holding it; SHIM_ARG_STRING: a pointer to the NUL-terminated
 *     string; SHIM_ARG_NONE: 0.
 *  4. shim_ioctl(); results by name: SHIM_UF_OUT fields read back at their
 *     offsets, `ret` is the return value (a new fd for
 *     VFIO_GROUP_GET_DEVICE_FD, an answer for VFIO_CHECK_EXTENSION).
 */

/* Name of a request number ("IOMMU_IOAS_MAP"), NULL if unknown. */
const char *shim_request_name(unsigned long req);
/* Number of a request by its uapi name, with or without the prefix
 * ("IOMMU_IOAS_MAP" or "IOAS_MAP", "VFIO_DEVICE_BIND_IOMMUFD" or
 * "DEVICE_BIND_IOMMUFD"). 0 and *req, or -1. */
int shim_request_by_name(const char *name, unsigned long *req);

enum shim_arg_kind {
	SHIM_ARG_NONE = 0,    /* no argument (VFIO_GET_API_VERSION) */
	SHIM_ARG_STRUCT = 1,  /* pointer to the struct described by fields */
	SHIM_ARG_INT = 2,     /* the argument itself is an integer: `arg=` */
	SHIM_ARG_INT_PTR = 3, /* pointer to one s32 (`arg=$fd`) */
	SHIM_ARG_STRING = 4,  /* pointer to a NUL-terminated string (`arg="..."`) */
};

/* A named value of a field (flag bit or enum); `short_name` is the name
 * without its common prefix ("FIXED_IOVA" for IOMMU_IOAS_MAP_FIXED_IOVA). */
struct shim_uapi_sym {
	const char *name;
	const char *short_name;
	uint64_t value;
};

/* Field flags. */
#define SHIM_UF_IN 0x01       /* user sets it */
#define SHIM_UF_OUT 0x02      /* the kernel writes it (a result) */
#define SHIM_UF_SIZE 0x04     /* size/argsz: defaults to the struct size */
#define SHIM_UF_RESERVED 0x08 /* must be zero */
#define SHIM_UF_UPTR                                                                               \
	0x10                /* a user pointer to a payload, given inline                           \
	                     * under `payload` */
#define SHIM_UF_FLAGS 0x20  /* a flag set: syms may be or'ed with '|' */
#define SHIM_UF_SIGNED 0x40 /* signed (an fd) */
/* A user pointer to one s32 given inline by its value (KVM_SET_DEVICE_ATTR's
 * `addr=$fd`): the replayer stores the value in an s32 of its own and puts
 * that s32's address in the field. */
#define SHIM_UF_INT_PTR 0x80

enum shim_payload_len {
	SHIM_PL_NONE = 0,
	SHIM_PL_BYTES = 1, /* len_field holds the payload size in bytes */
	SHIM_PL_ELEMS = 2, /* len_field holds the number of elements */
	/* a bitmap of len_field / elem_field bits in u64 words
	 * (IOMMU_HWPT_GET_DIRTY_BITMAP: length / page_size) */
	SHIM_PL_BITMAP = 3,
};

struct shim_uapi_field {
	const char *name;                 /* the uapi member name */
	uint16_t offset;                  /* bytes from the start of the struct */
	uint8_t width;                    /* bytes: 1, 2, 4 or 8 (of one element) */
	uint8_t count;                    /* array length in the struct (1 for scalars) */
	uint32_t flags;                   /* SHIM_UF_* */
	const struct shim_uapi_sym *syms; /* named values, NULL-terminated list, or NULL */
	/* SHIM_UF_UPTR only: */
	const char *payload;    /* inline name ("data", "allowed_iovas") */
	const char *len_field;  /* field giving the payload length */
	uint8_t len_kind;       /* enum shim_payload_len */
	uint16_t elem_size;     /* bytes per element (0: the value of elem_field) */
	const char *elem_field; /* "entry_len" for HWPT_INVALIDATE */
	uint8_t word;           /* bytes per scalar in an element (8: le64 words) */
	bool payload_out;       /* the kernel writes the payload (IOVA_RANGES, GET_HW_INFO):
	                         * the replayer allocates len_field elements/bytes */
};

struct shim_uapi_request {
	const char *name;       /* "IOMMU_IOAS_MAP" */
	const char *short_name; /* "IOAS_MAP" */
	unsigned long request;  /* 0x3b85 */
	const char *node;       /* the fd kind it is meant for: "iommufd", "vfio-container",
	                         * "vfio-group", "vfio-device", "iommufd|vfio-container" */
	enum shim_arg_kind arg;
	uint32_t struct_size; /* the kernel's struct size */
	uint32_t min_size;    /* below it: EINVAL */
	const struct shim_uapi_field *fields;
	uint32_t nfields;
};
/* Iterate the table: NULL past the end. */
const struct shim_uapi_request *shim_uapi_request_at(size_t i);
const struct shim_uapi_request *shim_uapi_request_find(unsigned long req);
/* The same for a file of kind `node` ("vfio-device" ...; NULL: any): a
 * number two kinds use (VFIO_IOMMU_GET_INFO on a container is
 * VFIO_DEVICE_GET_PCI_HOT_RESET_INFO on a device) names that kind's. */
const struct shim_uapi_request *shim_uapi_request_find_node(unsigned long req, const char *node);
const struct shim_uapi_request *shim_uapi_request_by_name(const char *name);
const struct shim_uapi_field *shim_uapi_field_find(const struct shim_uapi_request *r,
                                                   const char *name);
/* Value of a symbolic name for a field ("FIXED_IOVA|READABLE" for a flag
 * field; full or short names). 0 and *v, or -1. */
int shim_uapi_sym_value(const struct shim_uapi_field *f, const char *text, uint64_t *v);

#ifdef __cplusplus
}
#endif
#endif
