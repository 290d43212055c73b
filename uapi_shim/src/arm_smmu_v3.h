/*
 * arm_smmu_v3.h - the arm-smmu-v3 driver model (Linux 7.0
 * drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3{,-iommufd}.c) and its IO page
 * tables (drivers/iommu/io-pgtable-arm.c), as the rest of the emulated kernel
 * (iommufd, VFIO, KVM) sees them. INTERNAL header.
 *
 * The driver reaches its SMMU only as Linux's does: MMIO (host ops), and the
 * stream table, CD tables, queues and page tables it builds in simulated
 * DRAM (kmem). It never calls into models/smmuv3 directly.
 *
 * Every function that does work takes the struct kcall of the system call
 * it runs in: it advances kcall->t by the named kernel costs (struct ktiming)
 * and by the time spent waiting for the SMMU (CMD_SYNC completion is polled
 * through MMIO reads of CMDQ_CONS, or waited for by MSI), and records the
 * commands it issued. Errors are negative errno values, as the kernel's.
 *
 * Ownership: the iommufd layer owns the lifetime of domains (HWPTs) and
 * vIOMMUs; the driver owns ASIDs/VMIDs, page-table pages, STE/CD memory.
 */
#ifndef SHIM_ARM_SMMU_V3_H
#define SHIM_ARM_SMMU_V3_H

#include "kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

struct arm_smmu_device;   /* one per SMMU instance */
struct arm_smmu_master;   /* one per probed device (StreamID) */
struct arm_smmu_domain;   /* blocked, identity, S1/S2 paging, nested */
struct arm_vsmmu;         /* the driver half of an iommufd vIOMMU */

/* Features as the driver derives them from the ID registers (ARM_SMMU_FEAT_*). */
enum {
	ARM_SMMU_FEAT_2_LVL_STRTAB = 1u << 0,
	ARM_SMMU_FEAT_2_LVL_CDTAB = 1u << 1,
	ARM_SMMU_FEAT_TT_LE = 1u << 2,
	ARM_SMMU_FEAT_PRI = 1u << 4,
	ARM_SMMU_FEAT_ATS = 1u << 5,
	ARM_SMMU_FEAT_SEV = 1u << 6,
	ARM_SMMU_FEAT_MSI = 1u << 7,
	ARM_SMMU_FEAT_COHERENCY = 1u << 8,
	ARM_SMMU_FEAT_TRANS_S1 = 1u << 9,
	ARM_SMMU_FEAT_TRANS_S2 = 1u << 10,
	ARM_SMMU_FEAT_STALLS = 1u << 11,
	ARM_SMMU_FEAT_HYP = 1u << 12,
	ARM_SMMU_FEAT_STALL_FORCE = 1u << 13,
	ARM_SMMU_FEAT_VAX = 1u << 14,
	ARM_SMMU_FEAT_RANGE_INV = 1u << 15,
	ARM_SMMU_FEAT_BTM = 1u << 16,
	ARM_SMMU_FEAT_SVA = 1u << 17,
	ARM_SMMU_FEAT_E2H = 1u << 18,
	ARM_SMMU_FEAT_NESTING = 1u << 19,
	ARM_SMMU_FEAT_ATTR_TYPES_OVR = 1u << 20,
	ARM_SMMU_FEAT_HA = 1u << 21,
	ARM_SMMU_FEAT_HD = 1u << 22,
	ARM_SMMU_FEAT_S2FWB = 1u << 23,
};

/* Raw ID registers for IOMMU_GET_HW_INFO (struct iommu_hw_info_arm_smmuv3). */
struct arm_smmu_hw_regs {
	uint32_t idr[6];
	uint32_t iidr;
	uint32_t aidr;
};

/* Software MSI window reserved in every IOAS with a device on an SMMU. */
#define ARM_SMMU_MSI_IOVA_BASE 0x8000000ull
#define ARM_SMMU_MSI_IOVA_LENGTH 0x100000ull

/* ---- the SMMU instance ---- */

/*
 * Probe SMMU `index` (host ops mmio_* address it by this index): read the ID
 * registers into features, allocate the stream table (2-level when
 * supported), command and event queues in kmem, program the registers and
 * enable through the CR0/CR0ACK handshake, as arm_smmu_device_reset() does;
 * then CFGI_ALL + TLBI_NSNH_ALL + TLBI_EL2_ALL + SYNC. Returns -ENODEV for an
 * SMMU the driver refuses (no AArch64 tables, no stage, ...).
 */
int arm_smmu_device_probe(struct kenv *env, uint32_t index, struct kcall *c,
			  struct arm_smmu_device **out);
void arm_smmu_device_remove(struct arm_smmu_device *smmu);
uint32_t arm_smmu_features(const struct arm_smmu_device *smmu);
void arm_smmu_get_hw_regs(const struct arm_smmu_device *smmu, struct arm_smmu_hw_regs *out);
uint32_t arm_smmu_index(const struct arm_smmu_device *smmu);
unsigned arm_smmu_vmid_bits(const struct arm_smmu_device *smmu);
unsigned arm_smmu_asid_bits(const struct arm_smmu_device *smmu);
unsigned arm_smmu_ssid_bits(const struct arm_smmu_device *smmu); /* IDR1.SSIDSIZE */

/*
 * Interrupts: the host raised `line` (0 event queue, 2 GERROR; enum
 * smmu_irq numbering). The driver drains the event queue (events of masters
 * attached to nested domains are forwarded through the event handler with
 * the StreamID rewritten to the vSID; stage-2 faults are never forwarded),
 * or acknowledges GERROR. Costs charged to c.
 */
void arm_smmu_handle_irq(struct arm_smmu_device *smmu, unsigned line, struct kcall *c);
typedef void (*arm_smmu_vevent_fn)(void *ctx, struct arm_vsmmu *vsmmu,
				   struct arm_smmu_master *master, const uint64_t evt[4]);
void arm_smmu_set_vevent_handler(struct arm_smmu_device *smmu, arm_smmu_vevent_fn fn, void *ctx);

/*
 * I/O page faults (drivers/iommu/io-pgfault.c): a page request the driver
 * reports for a master with iommu_report_device_fault() - a stalled
 * transaction (stall-enabled masters, grpid = STAG, always the last of its
 * group) or, with kernel.pri_iopf, a PCIe Page Request (the posted
 * arm-smmu-v3 PRI series; Linux 7.0 denies every PRG instead). Values are
 * the uAPI's (iommu_hwpt_pgfault flags and perm).
 */
struct arm_smmu_iopf {
	uint32_t flags;   /* IOMMU_PGFAULT_FLAGS_PASID_VALID 1, LAST_PAGE 2 */
	uint32_t pasid, grpid, perm;
	uint64_t addr;
};
/* The core's entry point: 0 if a handler took it (it answers later through
 * arm_smmu_page_response), or -EINVAL after the core answered Invalid. */
typedef int (*arm_smmu_iopf_fn)(void *ctx, struct arm_smmu_master *m,
				const struct arm_smmu_iopf *f, struct kcall *c);
void arm_smmu_set_iopf_handler(struct arm_smmu_device *smmu, arm_smmu_iopf_fn fn, void *ctx);
/* ops->page_response for the group whose last fault is `last`: code
 * IOMMU_PAGE_RESP_SUCCESS 0, INVALID 1, FAILURE 2. A stall-enabled master
 * gets CMD_RESUME (retry on success, else abort), a PRI master
 * CMD_PRI_RESP; no CMD_SYNC follows (fire and forget). */
void arm_smmu_page_response(struct arm_smmu_master *m, const struct arm_smmu_iopf *last,
			    unsigned code, struct kcall *c);
bool arm_smmu_master_iopf_capable(const struct arm_smmu_master *m);

/* ---- masters (devices) ---- */

struct arm_smmu_master_desc {
	uint32_t sid;
	uint8_t ssid_bits;  /* PASID width; 0: no PASID */
	bool ats, pri;
	bool canwbs;        /* IORT CANWBS: the device cannot make DMA non-coherent */
};
/* arm_smmu_probe_device(): makes the STE reachable (L2 table) and leaves it
 * as probe leaves it. -EEXIST if the SID already has a master, -ERANGE if the
 * SID is beyond SIDSIZE. */
int arm_smmu_probe_master(struct arm_smmu_device *smmu, const struct arm_smmu_master_desc *d,
			  struct kcall *c, struct arm_smmu_master **out);
void arm_smmu_release_master(struct arm_smmu_master *m, struct kcall *c);
struct arm_smmu_device *arm_smmu_master_smmu(const struct arm_smmu_master *m);
uint32_t arm_smmu_master_sid(const struct arm_smmu_master *m);
/* The domain the master is attached to now (never NULL after probe). */
struct arm_smmu_domain *arm_smmu_master_domain(const struct arm_smmu_master *m);
/* Read back the STE as the driver last wrote it (8 qwords), for tests. */
void arm_smmu_master_ste(const struct arm_smmu_master *m, uint64_t ste[8]);

/* ---- domains ---- */

enum arm_smmu_domain_kind {
	ARM_SMMU_DOMAIN_BLOCKED = 0,
	ARM_SMMU_DOMAIN_IDENTITY = 1,
	ARM_SMMU_DOMAIN_S1 = 2,
	ARM_SMMU_DOMAIN_S2 = 3,
	ARM_SMMU_DOMAIN_NESTED = 4,
};

/* The two static domains of the driver (shared by every SMMU). */
struct arm_smmu_domain *arm_smmu_blocked_domain(void);
struct arm_smmu_domain *arm_smmu_identity_domain(void);

/* Flags of arm_smmu_domain_alloc_paging: the IOMMU_HWPT_ALLOC_* uAPI bits. */
#define ARM_SMMU_ALLOC_NEST_PARENT (1u << 0)
#define ARM_SMMU_ALLOC_DIRTY_TRACKING (1u << 1)
#define ARM_SMMU_ALLOC_PASID (1u << 3)

/*
 * domain_alloc_paging_flags() for `for_master`'s SMMU: S1 when the SMMU has
 * stage 1 and no NEST_PARENT, else S2; NEST_PARENT needs FEAT_NESTING
 * (-EOPNOTSUPP); DIRTY_TRACKING -EOPNOTSUPP (no HTTU dirty yet); unknown
 * flags -EOPNOTSUPP. Allocates the ASID (global allocator) or VMID (per-SMMU
 * IDA 1..2^bits-1), -ENOSPC when exhausted, and the io-pgtable (granule 4K;
 * IAS/OAS from the SMMU).
 */
int arm_smmu_domain_alloc_paging(struct arm_smmu_master *for_master, uint32_t flags,
				 struct kcall *c, struct arm_smmu_domain **out);

/*
 * Who a stage-2 context is for, for the VMID policy (policy.vmid): the
 * KVM the device was associated with (struct kvm_vmid of that VM; NULL:
 * none) and an owner label for the report ("vmm0/vm0", or the process).
 */
struct kvm_vmid;
struct arm_smmu_vmid_req {
	struct kvm_vmid *kvm;
	const char *owner;
	/* The VM object behind kvm: a context that keeps using the VM's VMID
	 * holds a reference on it (kvm_get_kvm, as the RFC's review asked of
	 * the vIOMMU), dropped when the context is freed. NULL: none. */
	void *kvm_obj;
	void (*kvm_get)(void *kvm_obj);
	void (*kvm_put)(void *kvm_obj, struct kcall *c);
};
/* arm_smmu_domain_alloc_paging with the requester's KVM and owner. */
int arm_smmu_domain_alloc_paging_req(struct arm_smmu_master *for_master, uint32_t flags,
				     const struct arm_smmu_vmid_req *req, struct kcall *c,
				     struct arm_smmu_domain **out);

/* Sources of a VMID (the report's `source`). */
enum arm_smmu_vmid_source {
	ARM_SMMU_VMID_SRC_IDA = 0,    /* "smmu-ida": the SMMU's own allocator */
	ARM_SMMU_VMID_SRC_KVM,        /* "kvm": KVM's current VMID, not pinned */
	ARM_SMMU_VMID_SRC_KVM_PINNED, /* "kvm-pinned" */
	ARM_SMMU_VMID_SRC_SHARED,     /* "shared": pinned in the one allocator */
	ARM_SMMU_VMID_SRC_SPLIT,      /* "split": the SMMU's half */
};
const char *arm_smmu_vmid_source_name(unsigned src);

/* One assignment of a VMID on an SMMU, as logged (a move ends one record
 * and starts the next). */
struct arm_smmu_vmid_log {
	uint32_t smmu, vmid;
	uint8_t source;
	bool live;           /* still in use */
	char owner[48];
	char kind[16];       /* "s2", "nest-parent", "vsmmu" */
	uint64_t t_alloc, t_free; /* kernel ns */
	uint32_t stes, stes_max;  /* STEs carrying it now / at most */
	uint32_t moved_from;      /* this record started with a move from that VMID (0: none) */
	uint32_t moved_to;        /* this record ended with a move to that VMID (0: none) */
	uint32_t moves;           /* moves of the context so far */
	char why[96];
};
size_t arm_smmu_vmid_log_count(const struct kenv *env);
const struct arm_smmu_vmid_log *arm_smmu_vmid_log_at(const struct kenv *env, size_t i);
/* alloc_domain_nested on a vIOMMU: flags must be 0 (-EOPNOTSUPP); the vSTE
 * is validated as arm_smmu_validate_vste() does (-EIO). */
int arm_smmu_domain_alloc_nested(struct arm_vsmmu *vsmmu, uint32_t flags, const uint64_t vste[2],
				 struct kcall *c, struct arm_smmu_domain **out);
/* Free a domain nothing is attached to (asserts otherwise): releases
 * ASID/VMID (after invalidating its TLB entries) and page-table pages. */
void arm_smmu_domain_free(struct arm_smmu_domain *d, struct kcall *c);
enum arm_smmu_domain_kind arm_smmu_domain_kind(const struct arm_smmu_domain *d);
bool arm_smmu_domain_nest_parent(const struct arm_smmu_domain *d);
uint32_t arm_smmu_domain_asid(const struct arm_smmu_domain *d);  /* S1; 0 otherwise */
uint32_t arm_smmu_domain_vmid(const struct arm_smmu_domain *d);  /* S2/nested; 0 otherwise */
uint64_t arm_smmu_domain_pgsize_bitmap(const struct arm_smmu_domain *d);
uint64_t arm_smmu_domain_aperture_end(const struct arm_smmu_domain *d); /* last IOVA */
/* enforce_cache_coherency op: true when every attached master is coherent. */
bool arm_smmu_domain_enforce_cc(struct arm_smmu_domain *d);

/*
 * attach_dev (also a replace when the master is already attached): build
 * the target STE (and CD for S1), write it with the hitless algorithm
 * (arm_smmu_write_entry), invalidate as 7.0 does. -EINVAL when the domain
 * belongs to another SMMU or is otherwise incompatible (iommufd then tries
 * another domain), -EBUSY / -ENOENT for nested rules (digest §3.3).
 */
int arm_smmu_attach_dev(struct arm_smmu_domain *d, struct arm_smmu_master *m, struct kcall *c);

/*
 * PASIDs (arm_smmu_s1_set_dev_pasid / arm_smmu_blocking_set_dev_pasid).
 * set_dev_pasid puts a stage-1 domain in the CD of `pasid` (> 0): -EINVAL
 * for another SMMU's domain, a domain that is not stage 1, or while the RID
 * is attached to something without a CD table (stage 2, nested); -ENOMEM
 * past the master's CD table. The STE becomes a CD-table STE when it was
 * not one: S1DSS=TERMINATE under a blocked RID, BYPASS under identity.
 * A second call for the same PASID replaces its domain hitlessly.
 * remove_dev_pasid clears the CD (CFGI_CD + SYNC), flushes the domain's tag
 * if that was its last use on the SMMU, and puts a blocked or identity RID
 * back to its plain STE when no PASID is left.
 */
int arm_smmu_set_dev_pasid(struct arm_smmu_domain *d, struct arm_smmu_master *m, uint32_t pasid,
                           struct kcall *c);
void arm_smmu_remove_dev_pasid(struct arm_smmu_master *m, uint32_t pasid, struct kcall *c);
/*
 * Dirty tracking: IOMMU_CAP_DIRTY_TRACKING is arm_smmu_dbm_capable (HTTU
 * dirty state and coherent walks); a domain allocated with
 * ARM_SMMU_ALLOC_DIRTY_TRACKING has dirty_ops and HD page tables.
 * read_and_clear_dirty reports each writable-dirty leaf in the range
 * through record(ctx, iova, size) and makes it clean unless no_clear; it
 * invalidates nothing itself (iommufd syncs the gather afterwards).
 */
bool arm_smmu_dbm_capable(const struct arm_smmu_device *smmu);
bool arm_smmu_domain_has_dirty_ops(const struct arm_smmu_domain *d);
int arm_smmu_read_and_clear_dirty(struct arm_smmu_domain *d, uint64_t iova, uint64_t size,
                                  bool no_clear, void (*record)(void *, uint64_t, uint64_t),
                                  void *ctx, struct kcall *c);

/* The domain on `pasid` of m (NULL: none) and how many PASIDs are attached. */
struct arm_smmu_domain *arm_smmu_master_pasid_domain(const struct arm_smmu_master *m,
                                                     uint32_t pasid);
size_t arm_smmu_master_npasids(const struct arm_smmu_master *m);

/* IO page table (io-pgtable-arm, 4K granule, blocks where size/alignment
 * allow). prot: IOMMU_READ 1, IOMMU_WRITE 2 (others ignored). */
#define ARM_SMMU_PROT_READ 1
#define ARM_SMMU_PROT_WRITE 2
int arm_smmu_map_pages(struct arm_smmu_domain *d, uint64_t iova, uint64_t pa, uint64_t pgsize,
		       uint64_t pgcount, int prot, struct kcall *c, uint64_t *mapped);

/* iommu_pgsize(): for len bytes at iova -> pa, the largest page size of
 * `bitmap` both addresses are aligned to (4K at least), and how many of
 * them fit before a larger size's boundary. */
void arm_smmu_pgsize(uint64_t bitmap, uint64_t iova, uint64_t pa, uint64_t len, uint64_t *pgsize,
                     uint64_t *count);

/* An iommu_iotlb_gather: unmap collects, iotlb_sync invalidates. */
struct arm_smmu_gather {
	uint64_t start, end;  /* inclusive range; start > end: empty */
	uint64_t pgsize;      /* granule of the leaves removed */
	bool tables_freed;    /* a table page was freed: leaf-only invalidation not enough */
	bool queued;          /* iommu_iotlb_gather_queued: a flush queue invalidates later,
	                       * so unmapped leaves are not gathered */
};
static inline void arm_smmu_gather_init(struct arm_smmu_gather *g)
{
	g->start = ~0ull;
	g->end = 0;
	g->pgsize = 0;
	g->tables_freed = false;
	g->queued = false;
}
/* Unmap [iova, iova + pgsize*pgcount); splits blocks on a partial unmap as
 * io-pgtable-arm does. Returns bytes unmapped. */
uint64_t arm_smmu_unmap_pages(struct arm_smmu_domain *d, uint64_t iova, uint64_t pgsize,
			      uint64_t pgcount, struct arm_smmu_gather *g, struct kcall *c);
/* iotlb_sync: TLBI (range with RIL, whole ASID/VMID past the threshold
 * without it; NH_ALL per vSMMU for nest parents; ATC_INV for ATS masters),
 * batches of <= 63 commands + CMD_SYNC as digest §3.1 says. */
void arm_smmu_iotlb_sync(struct arm_smmu_domain *d, struct arm_smmu_gather *g, struct kcall *c);
void arm_smmu_flush_iotlb_all(struct arm_smmu_domain *d, struct kcall *c);
/* 0 and *pa, or -ENOENT when unmapped. */
int arm_smmu_iova_to_phys(struct arm_smmu_domain *d, uint64_t iova, uint64_t *pa);

/* ---- vIOMMU (arm-smmu-v3-iommufd.c) ---- */

/* arm_vsmmu_alloc: needs FEAT_NESTING, parent an S2 nest-parent domain of the
 * same SMMU (-EINVAL), master canwbs or FEAT_S2FWB (-EOPNOTSUPP). The vSMMU
 * uses the parent's VMID (7.0). */
int arm_vsmmu_alloc(struct arm_smmu_master *m, struct arm_smmu_domain *s2_parent,
		    struct kcall *c, struct arm_vsmmu **out);
/* With policy.viommu_vmid=own, the vSMMU gets its own VMID for req (freed
 * by arm_vsmmu_free; -ENOSPC when exhausted). */
int arm_vsmmu_alloc_req(struct arm_smmu_master *m, struct arm_smmu_domain *s2_parent,
			const struct arm_smmu_vmid_req *req, struct kcall *c,
			struct arm_vsmmu **out);
void arm_vsmmu_free(struct arm_vsmmu *v, struct kcall *c);
uint32_t arm_vsmmu_vmid(const struct arm_vsmmu *v);
struct arm_smmu_device *arm_vsmmu_smmu(const struct arm_vsmmu *v);
/* vDEVICE: vSID <-> master. set: -EEXIST on a duplicate vSID or a master
 * that has one; -EINVAL for a master on another SMMU. */
int arm_vsmmu_vdevice_set(struct arm_vsmmu *v, struct arm_smmu_master *m, uint64_t vsid);
void arm_vsmmu_vdevice_unset(struct arm_vsmmu *v, struct arm_smmu_master *m);
/*
 * cache_invalidate_user: cmds are n raw 16-byte commands (little-endian
 * qword pairs) converted in place as arm_vsmmu_convert_user_cmd does and
 * issued in chunks of 63 + CMD_SYNC. *consumed gets the 7.0 entry_num.
 * Returns 0 or -EIO (a rejected opcode or unknown vSID).
 */
int arm_vsmmu_cache_invalidate(struct arm_vsmmu *v, uint64_t (*cmds)[2], uint32_t n,
			       uint32_t *consumed, struct kcall *c);

/* Opaque per-master pointer the iommufd layer may use. */
void arm_smmu_master_set_priv(struct arm_smmu_master *m, void *priv);
void *arm_smmu_master_priv(const struct arm_smmu_master *m);

#ifdef __cplusplus
}
#endif
#endif
