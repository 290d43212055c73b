/*
 * arm_smmu_v3_internal.h - state and helpers shared by the files of the
 * arm-smmu-v3 driver model (arm_smmu_v3.c probe/masters/IRQ,
 * arm_smmu_v3_cmdq.c command queue, arm_smmu_v3_ste.c STE/CD writer,
 * arm_smmu_v3_domain.c domains/attach/invalidation, arm_smmu_v3_iommufd.c
 * vSMMU). Not for the rest of uapi_shim: use arm_smmu_v3.h.
 *
 * Field masks are those of Linux's arm-smmu-v3.h, positions per IHI 0070
 * G.b §5.2 (STE), §5.4 (CD), §4 (commands), §7.3 (events); the hitless
 * writer needs them as masks, the model's build_ste.h only encodes.
 */
#ifndef SHIM_ARM_SMMU_V3_INTERNAL_H
#define SHIM_ARM_SMMU_V3_INTERNAL_H

#include "arm_smmu_v3.h"
#include "io_pgtable_arm.h"

#include "smmu/build_cmd.h"
#include "smmu/build_ste.h"
#include "smmu/smmu_defs.h"
#include "smmu/smmu_regs.h"

#define GENMASK64(h, l) ((~0ull >> (63 - (h))) & ~((1ull << (l)) - 1))

/* STE (§5.2) */
#define STE_0_V (1ull << 0)
#define STE_0_CFG GENMASK64(3, 1)
#define STE_0_CFG_SHIFT 1
#define STE_0_S1FMT GENMASK64(5, 4)
#define STE_0_S1CTXPTR GENMASK64(51, 6)
#define STE_0_S1CDMAX GENMASK64(63, 59)
#define STE_1_S1DSS GENMASK64(1, 0)
#define STE_1_S1DSS_TERMINATE 0ull
#define STE_1_S1DSS_BYPASS 1ull
#define STE_1_S1DSS_SSID0 2ull
#define STE_1_S1CIR GENMASK64(3, 2)
#define STE_1_S1COR GENMASK64(5, 4)
#define STE_1_S1CSH GENMASK64(7, 6)
#define STE_1_MEV (1ull << 19)
#define STE_1_S2FWB (1ull << 25)
#define STE_1_S1STALLD (1ull << 27)
#define STE_1_EATS GENMASK64(29, 28)
#define STE_1_EATS_SHIFT 28
#define STE_1_EATS_TRANS 1ull
#define STE_1_EATS_S1CHK 2ull
#define STE_1_STRW GENMASK64(31, 30)
#define STE_1_SHCFG GENMASK64(45, 44)
#define STE_1_SHCFG_INCOMING 1ull
#define STE_2_S2VMID GENMASK64(15, 0)
#define STE_2_VTCR GENMASK64(50, 32)
#define STE_2_S2AA64 (1ull << 51)
#define STE_2_S2ENDI (1ull << 52)
#define STE_2_S2PTW (1ull << 54)
#define STE_2_S2S (1ull << 57)
#define STE_2_S2R (1ull << 58)
#define STE_3_S2TTB GENMASK64(51, 4)

/* Bits userspace may set in a vSTE (STRTAB_STE_{0,1}_NESTING_ALLOWED). */
#define STE_0_NESTING_ALLOWED (STE_0_V | STE_0_CFG | STE_0_S1FMT | STE_0_S1CTXPTR | STE_0_S1CDMAX)
#define STE_1_NESTING_ALLOWED                                                                      \
	(STE_1_S1DSS | STE_1_S1CIR | STE_1_S1COR | STE_1_S1CSH | STE_1_S1STALLD | STE_1_EATS)

/* CD (§5.4) */
#define CD_0_TCR_T0SZ GENMASK64(5, 0)
#define CD_0_TCR_TG0 GENMASK64(7, 6)
#define CD_0_TCR_IRGN0 GENMASK64(9, 8)
#define CD_0_TCR_ORGN0 GENMASK64(11, 10)
#define CD_0_TCR_SH0 GENMASK64(13, 12)
#define CD_0_TCR_EPD0 (1ull << 14)
#define CD_0_V (1ull << 31)
#define CD_1_TTB0 GENMASK64(51, 4)

/* Commands / events */
#define CMD_0_OP GENMASK64(7, 0)
#define CMD_TLBI_0_VMID GENMASK64(47, 32)
#define CMD_CFGI_0_SID GENMASK64(63, 32)
#define EVT_0_ID GENMASK64(7, 0)
#define EVT_0_SID GENMASK64(63, 32)
#define EVT_1_S2 (1ull << 39)

/* Queue sizes: Linux takes IDR1.{CMDQS,EVENTQS} up to what it can
 * allocate (~2^15+ entries). The model's queues cost memory per entry and
 * the driver model never has more than a batch in flight, so they are capped
 * here; 2^8 commands still hold several 64-command batches (Linux refuses a
 * CMDQ of <= CMDQ_BATCH_ENTRIES). */
#define ARM_SMMU_CMDQ_MAX_SHIFT 8u
#define ARM_SMMU_EVTQ_MAX_SHIFT 7u
#define ARM_SMMU_PRIQ_MAX_SHIFT 7u
#define CMDQ_BATCH_ENTRIES 64u
/* CMD_SYNC polling gives up after ARM_SMMU_POLL_TIMEOUT_US (1 s) of kernel
 * time, or this many polls (a guard against t.poll_interval = 0). */
#define ARM_SMMU_POLL_TIMEOUT_NS 1000000000ull
#define ARM_SMMU_POLL_MAX 4000000u
#define ARM_SMMU_POLL_SPIN_COUNT 10u

/* 2-level stream table: STRTAB_SPLIT, L2 tables of 256 STEs. */
#define STRTAB_SPLIT 8u
#define STRTAB_MAX_L1_ENTRIES (1u << 17)
/* 2-level CD table leaves: CTXDESC_SPLIT. */
#define CTXDESC_SPLIT 10u
#define CTXDESC_L2_ENTRIES (1u << CTXDESC_SPLIT)

/* Driver options (smmu->options). */
#define ARM_SMMU_OPT_MSIPOLL (1u << 2)
#define ARM_SMMU_OPT_CMDQ_FORCE_SYNC (1u << 3)

/* Kernel state shared by every SMMU (kenv.drv_shared). */
struct arm_smmu_shared {
	unsigned refs;
	uint8_t asid_map[(1u << 16) / 8]; /* arm_smmu_asid_xa: ASIDs in use */
	/* every SMMU of the kernel (a pinned KVM VMID moves private users on
	 * all of them) */
	struct arm_smmu_device **smmus;
	size_t nsmmus, capsmmus;
	/* VMID assignments, moves and releases, in order (the report) */
	struct arm_smmu_vmid_log *log;
	size_t nlog, caplog;
	uint64_t vmid_moves;
};

/* One context that puts a VMID in STEs of one SMMU (arm_smmu_v3_vmid.c). */
struct arm_smmu_vmid_user {
	struct arm_smmu_device *smmu;
	uint32_t vmid;
	uint8_t source;            /* enum arm_smmu_vmid_source */
	char owner[48];
	struct kvm_vmid *kvm;      /* pinned in KVM's allocator (put at release) */
	void *kvm_obj;             /* the VM behind kvm (a reference held), or NULL */
	void (*kvm_put)(void *kvm_obj, struct kcall *c);
	struct kvm_vmid *own_kvm;  /* shared: the pseudo-VM pinned for a context without a KVM */
	struct arm_smmu_domain *domain; /* an S2 domain, or */
	struct arm_vsmmu *vsmmu;        /* a vSMMU with its own VMID */
	size_t logi;                    /* its current log record + 1 (0: none) */
	uint32_t moves;
};

/* Get a VMID for a new context of `smmu` under policy.vmid. nest: the
 * context is a nest parent or a vSMMU (the only ones that adopt a KVM's
 * VMID). kind: "s2", "nest-parent", "vsmmu" for the log. -ENOSPC when
 * exhausted. */
int arm_smmu_vmid_get(struct arm_smmu_device *smmu, const struct arm_smmu_vmid_req *req,
                      bool nest, const char *kind, struct kcall *c,
                      struct arm_smmu_vmid_user **out);
void arm_smmu_vmid_put(struct arm_smmu_vmid_user *u, struct kcall *c);
void arm_smmu_vmid_count_stes(struct arm_smmu_device *smmu);
/* Rebuild the master's STE from its current domain (S2 or nested) and
 * install it with the hitless writer (arm_smmu_v3_domain.c). */
void arm_smmu_reinstall_ste(struct arm_smmu_master *m, struct kcall *c);

struct arm_smmu_queue {
	uint64_t base;  /* PA */
	unsigned shift; /* log2 entries */
	uint32_t prod;  /* with wrap bit */
	uint32_t cons;  /* last value read from the SMMU */
};

struct arm_smmu_device {
	struct kenv *env;
	uint32_t index;
	struct arm_smmu_shared *shared;
	uint32_t features;
	uint32_t options;
	struct arm_smmu_hw_regs regs;
	unsigned asid_bits, vmid_bits, sid_bits, ssid_bits;
	unsigned ias, oas;
	uint64_t pgsize_bitmap;
	/* stream table */
	uint64_t strtab; /* linear table or L1 table PA */
	uint32_t num_l1; /* 2-level: L1 descriptors */
	uint64_t *l2;    /* 2-level: L2 table PA per L1 index (0: none) */
	struct arm_smmu_queue cmdq, evtq, priq;
	arm_smmu_iopf_fn iopf;
	void *iopf_ctx;
	uint16_t *vmid_users; /* per VMID: contexts using it (the IDA: 0 = free) */
	struct arm_smmu_vmid_user **vmid_users_list;
	size_t nvmid_users, capvmid_users;
	struct arm_vsmmu **vsmmus; /* live vSMMUs */
	size_t nvsmmus, capvsmmus;
	struct arm_smmu_master **masters;
	size_t nmasters, cap_masters;
	arm_smmu_vevent_fn vevent;
	void *vevent_ctx;
	uint64_t last_t; /* latest kernel time of an MMIO access (for remove) */
};

struct arm_smmu_cd_table {
	uint64_t base; /* 0: not allocated */
	uint64_t size;
	bool l2; /* S1Fmt 64K_L2 (value 2) */
	unsigned s1cdmax;
	uint32_t num_l1;
	uint64_t *l2ptr; /* leaf table PA per L1 index */
};

struct arm_smmu_master {
	struct arm_smmu_device *smmu;
	struct arm_smmu_master_desc desc;
	uint64_t ste_pa;
	struct arm_smmu_cd_table cd;
	struct arm_smmu_domain *domain;
	bool ats_enabled;
	/* vDEVICE */
	struct arm_vsmmu *vdev_vsmmu;
	uint64_t vsid;
	/* attached to a nested domain with a vDEVICE: events forwarded */
	struct arm_vsmmu *vmaster;
	void *priv;
	/* PASIDs (SSIDs > 0) with a stage-1 domain in their CD (set_dev_pasid) */
	struct arm_smmu_pasid_att *pasids;
	size_t npasids, cappasids;
};

struct arm_smmu_pasid_att {
	uint32_t pasid;
	struct arm_smmu_domain *domain;
};

struct arm_smmu_domain {
	enum arm_smmu_domain_kind kind;
	bool is_static;
	bool nest_parent;
	struct arm_smmu_device *smmu; /* paging/nested: bound at alloc */
	uint32_t asid, vmid;
	struct arm_smmu_vmid_user *vmid_user; /* S2: where vmid came from */
	struct io_pgtable_arm *pgtbl;
	/* nested */
	struct arm_vsmmu *vsmmu;
	uint64_t vste[2];
	bool enable_ats;
	bool enforce_cc; /* enforce_cache_coherency succeeded: canwbs masters only */
	bool dirty;      /* allocated with DIRTY_TRACKING: HD tables, dirty_ops */
};

struct arm_vsmmu_vdev {
	uint64_t vsid;
	struct arm_smmu_master *master;
};

struct arm_vsmmu {
	struct arm_smmu_device *smmu;
	struct arm_smmu_domain *s2_parent;
	uint32_t vmid;
	struct arm_smmu_vmid_user *vmid_user; /* policy.viommu_vmid=own; NULL: the parent's */
	struct arm_vsmmu_vdev *vdevs;
	size_t nvdevs, cap_vdevs;
};

/* ---- arm_smmu_v3_cmdq.c ---- */

/* A batch (struct arm_smmu_cmdq_batch): up to CMDQ_BATCH_ENTRIES commands. */
struct arm_smmu_cmdq_batch {
	uint64_t cmds[CMDQ_BATCH_ENTRIES][2];
	uint32_t num;
};
/* arm_smmu_cmdq_issue_cmdlist: n commands (+ CMD_SYNC, waited for). */
int arm_smmu_cmdq_issue_cmdlist(struct arm_smmu_device *smmu, const uint64_t (*cmds)[2], uint32_t n,
                                bool sync, struct kcall *c);
int arm_smmu_cmdq_issue_cmd(struct arm_smmu_device *smmu, const uint64_t cmd[2], bool sync,
                            struct kcall *c);
void arm_smmu_cmdq_batch_add(struct arm_smmu_device *smmu, struct arm_smmu_cmdq_batch *b,
                             const uint64_t cmd[2], struct kcall *c);
int arm_smmu_cmdq_batch_submit(struct arm_smmu_device *smmu, struct arm_smmu_cmdq_batch *b,
                               struct kcall *c);
/* GERROR handling (the GERROR IRQ handler; also run by a CMD_SYNC waiter
 * that sees CONS stuck on an error). */
void arm_smmu_gerror_handle(struct arm_smmu_device *smmu, struct kcall *c);
/* MMIO helpers (charge t.mmio_read / t.mmio_write). */
uint32_t arm_smmu_read32(struct arm_smmu_device *smmu, uint64_t off, struct kcall *c);
void arm_smmu_write32(struct arm_smmu_device *smmu, uint64_t off, uint32_t v, struct kcall *c);
void arm_smmu_write64(struct arm_smmu_device *smmu, uint64_t off, uint64_t v, struct kcall *c);

/* ---- arm_smmu_v3_ste.c ---- */
void arm_smmu_get_ste_used(const uint64_t ent[8], uint64_t used[8]);
void arm_smmu_get_ste_update_safe(const uint64_t cur[8], const uint64_t target[8],
                                  uint64_t safe[8]);
void arm_smmu_get_cd_used(const uint64_t ent[8], uint64_t used[8]);
void arm_smmu_make_abort_ste(uint64_t ste[8]);
void arm_smmu_make_bypass_ste(const struct arm_smmu_device *smmu, uint64_t ste[8]);
void arm_smmu_make_cdtable_ste(uint64_t ste[8], const struct arm_smmu_master *m, bool ats,
                               unsigned s1dss);
void arm_smmu_make_s2_domain_ste(uint64_t ste[8], const struct arm_smmu_master *m,
                                 const struct arm_smmu_domain *d, bool ats);
void arm_smmu_make_nested_domain_ste(uint64_t ste[8], const struct arm_smmu_master *m,
                                     const struct arm_smmu_domain *nested, bool ats);
void arm_smmu_make_s1_cd(uint64_t cd[8], const struct arm_smmu_master *m,
                         const struct arm_smmu_domain *d);
/* Builders from explicit page-table registers (the KUnit-style tests). */
void arm_smmu_make_s2_ste_regs(uint64_t ste[8], const struct arm_smmu_device *smmu, uint32_t vmid,
                               const struct io_pgtable_arm_regs *r, bool ats);
void arm_smmu_make_s1_cd_regs(uint64_t cd[8], uint32_t asid, const struct io_pgtable_arm_regs *r);
/* master->stall_enabled (STALL_FORCE; no platform device can stall here) */
bool arm_smmu_master_stall_enabled(const struct arm_smmu_master *m);
/*
 * arm_smmu_write_entry: move entry (8 qwords, updated in place) to target
 * in the steps of digest §3.5; sync(ctx, entry, changed) runs after each
 * step that changed qwords (bit i of changed: qword i), and must make the
 * SMMU see entry. Returns true if the SMMU never saw V=0 on the way
 * (hitless; KUnit's !invalid_entry_written).
 */
typedef void (*arm_smmu_entry_sync_fn)(void *ctx, const uint64_t entry[8], unsigned changed);
bool arm_smmu_write_entry(bool cd, uint64_t entry[8], const uint64_t target[8],
                          arm_smmu_entry_sync_fn sync, void *ctx);
/* Write the master's STE with the hitless algorithm, then PREFETCH_CFG. */
void arm_smmu_install_ste_for_dev(struct arm_smmu_master *m, const uint64_t target[8],
                                  struct kcall *c);
/* CD of ssid 0: allocate the CD table on first use. -ENOMEM. */
int arm_smmu_write_cd0(struct arm_smmu_master *m, const uint64_t target[8], struct kcall *c);
void arm_smmu_clear_cd0(struct arm_smmu_master *m, struct kcall *c);
int arm_smmu_write_cd(struct arm_smmu_master *m, uint32_t ssid, const uint64_t target[8],
                      struct kcall *c);
void arm_smmu_clear_cd(struct arm_smmu_master *m, uint32_t ssid, struct kcall *c);
void arm_smmu_free_cd_tables(struct arm_smmu_master *m);
/* Read an 8-qword entry from DRAM. */
void arm_smmu_read_entry(struct kenv *env, uint64_t pa, uint64_t e[8]);

/* ---- arm_smmu_v3_domain.c ---- */
/* Remove m from its current domain's users (flushing the TLB tag when it
 * was the last user on that SMMU). */
void arm_smmu_domain_inv_range(struct arm_smmu_domain *d, uint64_t iova, uint64_t size,
                               uint64_t granule, bool leaf, struct kcall *c);

/* ---- arm_smmu_v3.c ---- */
struct arm_smmu_master *arm_smmu_find_master(struct arm_smmu_device *smmu, uint32_t sid);

/* ---- arm_smmu_v3_iommufd.c ---- */
bool arm_vsmmu_lookup_vsid(const struct arm_vsmmu *v, const struct arm_smmu_master *m,
                           uint64_t *vsid);

#endif
