/*
 * kernel.h - the emulated kernel's environment, shared by every part of
 * uapi_shim/ (iommufd, VFIO, KVM, the arm-smmu-v3 driver model, io-pgtable).
 *
 * INTERNAL header (not installed). It fixes three contracts between the parts:
 *
 *  - struct kenv: the kernel's view of the machine: the host-ops table (the
 *    shim's only way out: simulated DRAM, MMIO to the SMMUs, user copies,
 *    log), the physical page allocator over simulated DRAM (kmem), and the
 *    kernel timing parameters.
 *
 *  - struct kcall: one system call in flight. It carries the simulated
 *    kernel time (ns), which every driver step advances by a named cost
 *    (ktime_charge), and the accounting that the replay report shows for the
 *    call: SMMU commands issued, CMD_SYNCs, STE/CD writes, whether an STE
 *    went through V=0.
 *
 *  - kmem: a deterministic page allocator of simulated DRAM, used for kernel
 *    structures (stream/CD tables, queues, IO page tables) and for the pages
 *    that back user memory (mmap).
 *
 * Errors inside the kernel are negative errno values (-EINVAL ...), exactly
 * as Linux returns them; 0 is success.
 */
#ifndef SHIM_KERNEL_H
#define SHIM_KERNEL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shim/shim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- timing parameters of the kernel (ns); defaults + sources in params ---- */
struct ktiming {
	uint32_t syscall;        /* ioctl entry + exit (fd lookup, copy of the struct) */
	uint32_t obj_op;         /* iommufd object alloc/lookup/destroy bookkeeping */
	uint32_t pin_page;       /* pin_user_pages per 4K page */
	uint32_t pte_write;      /* one io-pgtable descriptor write (incl. cache clean if !coherent) */
	uint32_t table_alloc;    /* allocate + zero one page-table page */
	uint32_t ste_qword;      /* one WRITE_ONCE of an STE/CD qword + dma_wmb */
	uint32_t cmd_insert;     /* build + insert one command into the CMDQ (incl. the lock) */
	uint32_t prod_write;     /* the MMIO write of CMDQ_PROD */
	uint32_t poll_interval;  /* CMD_SYNC completion: gap between two CONS/sync-word polls */
	uint32_t msi_wakeup;     /* CMD_SYNC completion by MSI: wake-up after the write lands */
	uint32_t mmio_read;      /* one uncached MMIO read from the CPU */
	uint32_t mmio_write;     /* one posted MMIO write */
	uint32_t irq_entry;      /* interrupt entry + handler dispatch */
	uint32_t evt_handle;     /* handling one event-queue record */
	uint32_t dma_call;       /* dma_map_page/dma_unmap_page entry (dma-iommu) */
	uint32_t iova_cache;     /* an IOVA from/to the per-CPU range cache */
	uint32_t iova_tree;      /* an IOVA allocated in / freed to the rbtree */
	uint32_t iova_node;      /* each rbtree node the allocation walk visits */
	uint32_t fq_queue;       /* queue_iova: one flush-queue entry */
};

/* A set of kernel tunables given by name (policy.vmid, kernel.iommu_strict,
 * t.k.* ...) lives in shim_config (shim.h); struct kenv holds them decoded. */

struct kmem;   /* page allocator, kmem.c */
struct kvm_vmid_space; /* kvm_vmid.h */

struct kenv {
	const struct shim_host_ops *ops;
	void *host;
	struct kmem *mem;
	struct ktiming t;
	bool sync_msi;           /* CMD_SYNC completion by MSI (else polling) */
	bool iommu_strict;       /* kernel.iommu_strict: DMA API strict invalidation */
	bool pri_iopf;           /* kernel.pri_iopf: PRI page requests go to IOPF */
	/* State the arm-smmu-v3 driver model shares between all SMMUs of this
	 * kernel (Linux's global ASID xarray). Owned by the driver: created by
	 * the first arm_smmu_device_probe() on this env, freed by the last
	 * arm_smmu_device_remove(). Start it NULL. */
	void *drv_shared;
	/* io-pgtable-arm on a partial unmap of a block: false (default, the
	 * arm_smmu_unmap_pages contract) splits it as io-pgtable-arm <= 6.12
	 * did; true unmaps nothing, as 6.13+ (and so 7.0) does. */
	bool io_pgtable_nosplit;
	/* VMIDs (policy.vmid, policy.viommu_vmid; digest §3.1, §4). kvm_vmids is
	 * KVM's allocator (one per machine, created at boot; NULL before). The
	 * split policy gives the SMMUs [vmid_split_base, 2 * vmid_split_base). */
	uint32_t vmid_policy;      /* enum shim_vmid_policy */
	bool viommu_vmid_own;
	struct kvm_vmid_space *kvm_vmids;
	uint32_t vmid_split_base;
	uint32_t debug_bug;        /* enum shim_debug_bug: seeded driver bugs (debug.bug) */
};

/* A broadcast TLBI from a PE at time t (the host delivers it to the SMMUs;
 * digest §5). Returns the TLB entries removed. */
uint32_t kbroadcast_tlbi(struct kenv *env, const char *op, uint32_t vmid, uint32_t asid,
                         uint64_t addr, uint64_t t);

/* Default kernel costs (ns); each value's source is tabled in ktiming.c. */
void ktiming_default(struct ktiming *t);

/* Simulated DRAM accesses (host ops); return 0 or -EFAULT. */
int kmem_read(struct kenv *env, uint64_t pa, void *buf, uint32_t len);
int kmem_write(struct kenv *env, uint64_t pa, const void *buf, uint32_t len);
int kmem_read64(struct kenv *env, uint64_t pa, uint64_t *v);
int kmem_write64(struct kenv *env, uint64_t pa, uint64_t v);

/*
 * Physical pages of simulated DRAM. Deterministic: the same sequence of calls
 * gives the same addresses. `size` is rounded up to a multiple of 4K; `align`
 * is a power of two >= 4K. Memory handed out is zeroed (written through the
 * host). Returns 0 and *pa, or -ENOMEM.
 * kmem_reserve marks [pa, pa+size) as used (an `mmap pa=P` of a hand-written
 * trace); -EEXIST if any part is already allocated, -ENOMEM outside DRAM.
 */
int kmem_create(struct kenv *env, uint64_t dram_base, uint64_t dram_size, struct kmem **out);
void kmem_destroy(struct kmem *m);
int kmem_alloc(struct kmem *m, uint64_t size, uint64_t align, uint64_t *pa);
int kmem_reserve(struct kmem *m, uint64_t pa, uint64_t size);
void kmem_free(struct kmem *m, uint64_t pa, uint64_t size);
uint64_t kmem_used(const struct kmem *m);

/* ---- one system call in flight ---- */
struct kcall {
	struct kenv *env;
	uint64_t t;            /* kernel time now, ns; advanced by every step */
	uint64_t start;        /* when the call entered the kernel */
	/* accounting for the report */
	uint32_t ncmds;        /* SMMU commands issued (CMD_SYNC included) */
	uint32_t cap_cmds;
	uint8_t *cmds;         /* their opcodes, in issue order (grown with realloc) */
	uint32_t syncs;        /* CMD_SYNCs issued */
	uint32_t ste_writes;   /* STE updates (one per arm_smmu_write_entry on an STE) */
	uint32_t ste_hitless;  /* of which needed no V=0 step */
	uint32_t cd_writes;
	bool ste_breaking;     /* an STE went through V=0 on the way */
	int cmdq_error;        /* a CERROR seen while waiting for a SYNC (0 if none) */
	/* distinct (SMMU, VMID, ASID) scopes the call's TLBI commands targeted
	 * (the isolation oracle: foreign-invalidation, and which entries an
	 * owner has invalidated); asid KCALL_ASID_ALL for commands not limited
	 * to one ASID. The first 16; tlbi_lost when there were more. */
	uint32_t ntlbi;
	bool tlbi_lost;
	struct {
		uint32_t smmu, vmid, asid;
	} tlbi[16];
	/* where the time went (struct shim_call's breakdown fields) */
	uint64_t t_insert;     /* commands built and written, PROD writes */
	uint64_t t_space;      /* waiting for queue space */
	uint64_t t_wait_more;  /* CMD_SYNC waits past the first SHIM_CALL_MAX_WAITS */
	uint32_t nwaits;
	struct shim_sync_wait waits[SHIM_CALL_MAX_WAITS];
	char why[SHIM_CALL_WHY]; /* struct shim_call's why ("" : none) */
};
/* Say why the call fails (printf-style; the first reason given stands). */
void kcall_why(struct kcall *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Note a TLBI command carrying `vmid` issued to SMMU `smmu`. */
#define KCALL_ASID_ALL 0xffffffffu
void kcall_note_tlbi(struct kcall *c, uint32_t smmu, uint32_t vmid, uint32_t asid);

void kcall_begin(struct kcall *c, struct kenv *env, uint64_t now_ns);
void kcall_end(struct kcall *c);  /* frees cmds */
static inline void ktime_charge(struct kcall *c, uint64_t ns) { c->t += ns; }
/* Record an issued command opcode (CMD_SYNC is 0x46). Returns -ENOMEM on failure. */
int kcall_note_cmd(struct kcall *c, uint8_t opcode);

/* Log through the host (level 0 error .. 3 debug); printf-style. */
void klog(struct kenv *env, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
#endif
