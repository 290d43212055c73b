/*
 * shim_internal.h - the kernel's process, file and iommufd/VFIO object
 * model, shared by shim.c (processes, fds, memory, config), iopt.c (the
 * io_pagetable: pinned pages, areas, domains, reserved IOVA), iommufd.c
 * (/dev/iommu objects and ioctls), vfio.c (cdev, groups, the type1
 * container and iommufd's VFIO compat) and uapi_table.c. INTERNAL.
 *
 * Lifetimes follow Linux: every iommufd object carries a `users` count that
 * starts at 1 (the ID table's reference); objects that depend on another
 * raise its count, and IOMMU_DESTROY fails with EBUSY unless the count is 1.
 * An iommufd context lives while its fd or anything that took a context
 * reference (a bound VFIO device, a vEVENTQ or fault fd) is open.
 */
#ifndef SHIM_INTERNAL_H
#define SHIM_INTERNAL_H

#include "arm_smmu_v3.h"
#include "kernel.h"
#include "uapi_defs.h"

#define SHIM_PAGE 4096ull
#define SHIM_MAX_SMMUS 64

struct shim;
struct shim_proc;
struct shim_file;
struct ictx;
struct iopt;

/* ---- memory ---- */

/* Pages backing process memory or a memfd: contiguous DRAM. Shared by the
 * mappings (vma) and by iopt_pages that pin it, so it outlives munmap. */
struct shim_backing {
	uint64_t pa, len;
	bool reserved; /* kmem_reserve (pa given): not zeroed */
	int refs;
};

struct shim_vma {
	uint64_t va, len;
	struct shim_backing *b;
};

struct shim_proc {
	char name[48];
	struct shim_file **fds;
	int nfds;
	struct shim_vma *vmas; /* sorted by va */
	size_t nvmas, capvmas;
	uint64_t next_va;
	uint64_t locked_user, locked_mm, pinned_vm; /* pages */
	uint64_t mapped;
	uint32_t nvms; /* KVM VMs it created (names them: "<proc>/vm<N>") */
	int fd_next;   /* shim_fd_next: the number the next install takes (0: lowest free) */
	/* FOLL_PIN pins of this process's pages: one range per pinned
	 * iopt_pages (IOMMU_TEST_OP_MD_CHECK_REFS counts them per page) */
	struct {
		uint64_t va, npages;
	} *pins;
	size_t npins, cappins;
	/* The program's own memfds IOAS_MAP_FILE took (shim_host_ops.memfd_info),
	 * by inode: their simulated DRAM, kept for the process's life. */
	struct shim_xmemfd {
		uint64_t ino;
		struct shim_backing *b;
	} *xmemfds;
	size_t nxmemfds;
};

/* ---- files ---- */
enum shim_file_kind {
	SF_IOMMUFD = 1,
	SF_VFIO_CDEV,
	SF_VFIO_GROUP,
	SF_VFIO_CONTAINER,
	SF_VFIO_DEVICE, /* a device fd from VFIO_GROUP_GET_DEVICE_FD */
	SF_VEVENTQ,
	SF_FAULT,
	SF_MEMFD,
	SF_KVM,        /* /dev/kvm */
	SF_KVM_VM,     /* a VM fd (KVM_CREATE_VM) */
	SF_KVM_VCPU,   /* a vCPU fd (KVM_CREATE_VCPU) */
	SF_KVM_DEVICE, /* a KVM device fd (KVM_CREATE_DEVICE) */
	SF_EVENTFD,    /* eventfd(2) (shim_eventfd) */
};

struct vfio_df;
struct vfio_container;
struct shim_group;
struct ifd_obj;
struct shim_kvm;
struct shim_kvm_vcpu;
struct shim_kvm_dev;

struct shim_file {
	enum shim_file_kind kind;
	struct shim_proc *proc; /* the process that opened it */
	int refs;               /* fd slots referring to it (SCM_RIGHTS copies) */
	union {
		struct ictx *ictx;
		struct vfio_df *df;
		struct shim_group *group;
		struct vfio_container *container;
		struct ifd_obj *evq;
		struct shim_backing *memfd;
		struct shim_kvm *kvm;        /* SF_KVM_VM */
		struct shim_kvm_vcpu *vcpu;  /* SF_KVM_VCPU */
		struct shim_kvm_dev *kdev;   /* SF_KVM_DEVICE */
		uint64_t efd_count;          /* SF_EVENTFD: the counter */
	} u;
};

/* ---- devices and groups ---- */
struct shim_dev {
	uint32_t index;
	char *name, *cdev, *group_path, *bdf;
	uint32_t smmu_index, sid;
	uint8_t ssid_bits;
	bool ats, pri, canwbs;
	bool err_trigger, req_trigger; /* vfio-pci's ERR/REQ eventfds are set */
	struct arm_smmu_master *master; /* after probe */
	/* VFIO */
	int open_count;   /* vfio_device open_count */
	bool cdev_opened; /* bound through the cdev */
	struct shim_group *group;
	/* DMA ownership: the domain the device had before user ownership */
	struct arm_smmu_domain *default_domain;
	bool owned;
	struct ifd_device *idev; /* bound iommufd device, if any */
	/* vfio_device->kvm: the VM captured at the first open (a reference,
	 * dropped at the last close); kvm.h: shim_dev_kvm(). */
	struct shim_kvm *kvm;
	/* the host DMA API's state (dma_iommu.c), after its first use */
	struct iommu_dma *dma;
	/* IOPF: page requests without LAST_PAGE waiting for their group */
	struct arm_smmu_iopf *iopf_partial;
	size_t npartial;
};

struct shim_group {
	struct shim_dev *dev;
	struct shim_file *opened;         /* the one open group fd */
	struct vfio_container *container; /* or */
	struct ictx *ictx;                /* iommufd compat */
	struct vfio_df **dfs;             /* device fds opened through the group */
	size_t ndfs, capdfs;
	struct shim_kvm *kvm;             /* group->kvm (KVM_DEV_VFIO_FILE_ADD; no reference) */
};

/* A VFIO device file (cdev fd or group-opened device fd). */
struct vfio_df {
	struct shim_dev *dev;
	struct shim_group *group; /* non-NULL: opened through the group */
	bool access_granted;
	struct ictx *ictx;    /* bound iommufd (reference held) */
	struct ifd_obj *idev; /* iommufd_device */
	bool attached;
	/* vdev->pasids: the PASIDs attached through this file (ascending) */
	uint32_t *pasids;
	size_t npasids, cappasids;
	/* group path with a type1 container */
	struct vfio_container *container;
	struct shim_kvm *kvm; /* df->kvm (KVM_DEV_VFIO_FILE_ADD; no reference) */
};

/* ---- the io_pagetable ---- */

/* iopt_pages: one user range (or memfd slice) that may be pinned. */
struct iopt_pages {
	struct shim_proc *proc;     /* owner of the VA (NULL for memfd) */
	struct shim_backing *memfd; /* memfd backing (else user VA) */
	uint64_t uptr;              /* page-aligned start (VA or file offset) */
	uint64_t npages;
	bool writable;
	int refs;
	uint64_t *pa;                /* per page, valid while pinned */
	int pin_users;               /* areas stored in >= 1 domain */
	int account;                 /* IOPT_ACCOUNT_* */
	struct shim_proc *acct_proc; /* process charged */
};

enum { IOPT_ACCOUNT_NONE = 0, IOPT_ACCOUNT_USER = 1, IOPT_ACCOUNT_MM = 2 };

struct iopt_area {
	uint64_t iova, last;
	struct iopt_pages *pages;
	uint64_t start_byte; /* offset of iova in pages (from pages->uptr) */
	int prot;            /* ARM_SMMU_PROT_* */
	bool filled;         /* mapped into the iopt's domains */
	bool vaddr_invalid;  /* type1: VFIO_DMA_UNMAP_FLAG_VADDR took its vaddr away */
};

struct iopt_range {
	uint64_t start, last;
	const void *owner;
};

struct iopt {
	struct shim *s;
	struct iopt_area *areas; /* sorted by iova */
	size_t nareas, capareas;
	struct iopt_range *allowed; /* sorted */
	size_t nallowed;
	struct iopt_range *resv; /* reserved, sorted by start */
	size_t nresv, capresv;
	struct arm_smmu_domain **domains;
	size_t ndomains, capdomains;
	uint64_t iova_alignment;
	bool disable_large_pages;
	int account_mode;       /* for new pages */
	struct shim_proc *proc; /* the process new pages are charged to */
	uint64_t pinned_pages;  /* pages pinned on behalf of this IOAS */
};

void iopt_init(struct iopt *t, struct shim *s);
void iopt_destroy(struct iopt *t, struct kcall *c);
/* Map user memory (pages of proc at uptr) or a memfd slice. flags: IOPT_ALLOC_IOVA. */
#define IOPT_ALLOC_IOVA 1u
int iopt_map_user(struct iopt *t, struct shim_proc *p, uint64_t *iova, uint64_t uptr,
                  uint64_t length, int prot, unsigned flags, struct kcall *c);
int iopt_map_file(struct iopt *t, struct shim_backing *b, uint64_t size, uint64_t start, uint64_t *iova,
                  uint64_t length, int prot, unsigned flags, struct kcall *c);
int iopt_copy(struct iopt *dst, struct iopt *src, uint64_t src_iova, uint64_t length,
              uint64_t *dst_iova, int prot, unsigned flags, struct kcall *c);
int iopt_unmap(struct iopt *t, uint64_t iova, uint64_t length, uint64_t *unmapped, struct kcall *c);
int iopt_unmap_all(struct iopt *t, uint64_t *unmapped, struct kcall *c);
/* VFIO type1 (v1) semantics: remove whole areas starting in [iova, last]. */
int iopt_unmap_type1(struct iopt *t, uint64_t iova, uint64_t size, bool v2, uint64_t *unmapped,
                     struct kcall *c);
int iopt_cut(struct iopt *t, uint64_t iova_last_of_lhs);
int iopt_set_allowed(struct iopt *t, const struct iopt_range *r, size_t n);
int iopt_reserve(struct iopt *t, uint64_t start, uint64_t last, const void *owner);
void iopt_remove_reserved(struct iopt *t, const void *owner);
int iopt_add_domain(struct iopt *t, struct arm_smmu_domain *d, struct kcall *c);
void iopt_remove_domain(struct iopt *t, struct arm_smmu_domain *d, struct kcall *c);
int iopt_disable_large(struct iopt *t);
void iopt_enable_large(struct iopt *t);
/* Holes in the reserved ranges (IOVA_RANGES): calls fn for each. */
size_t iopt_holes(const struct iopt *t, struct iopt_range *out, size_t max);
bool iopt_has_user_pages(const struct iopt *t);
void iopt_change_process(struct iopt *t, struct shim_proc *to);
uint64_t iopt_pgsize_bitmap(const struct iopt *t);

/* ---- iommufd ---- */
enum ifd_type {
	IFD_ANY = 0,
	IFD_IOAS,
	IFD_HWPT_PAGING,
	IFD_HWPT_NESTED,
	IFD_DEVICE,
	IFD_VIOMMU,
	IFD_VDEVICE,
	IFD_VEVENTQ,
	IFD_FAULT,
};

struct ifd_obj {
	enum ifd_type type;
	uint32_t id;
	int users;
	struct ictx *ictx;
};

struct ifd_ioas {
	struct ifd_obj obj;
	struct iopt iopt;
	struct ifd_hwpt **hwpts; /* paging HWPTs on this IOAS (hwpt_list) */
	size_t nhwpts, caphwpts;
};

struct ifd_viommu;
struct ifd_fault;

struct ifd_hwpt {
	struct ifd_obj obj;
	struct arm_smmu_domain *domain;
	/* paging */
	struct ifd_ioas *ioas;
	bool auto_domain, nest_parent, enforce_cc;
	bool pasid_compat; /* allocated with IOMMU_HWPT_ALLOC_PASID */
	bool dirty_tracking; /* IOMMU_HWPT_SET_DIRTY_TRACKING enabled */
	/* nested */
	struct ifd_viommu *viommu;
	struct ifd_hwpt *parent;
	struct ifd_fault *fault;
	struct arm_smmu_device *smmu; /* the SMMU its domain belongs to */
};

struct ifd_vdevice;

struct ifd_device {
	struct ifd_obj obj;
	struct shim_dev *dev;
	struct vfio_df *df;
	struct ifd_hwpt *hwpt; /* attached (NULL: blocked) */
	/* PASID attachments (igroup->pasid_attach for the device's PASIDs) */
	struct ifd_pasid_att {
		uint32_t pasid;
		struct ifd_hwpt *hwpt;
	} *pas;
	size_t npas, cappas;
	struct ifd_vdevice *vdev;
	bool enforce_cc;
	struct iopt *resv_iopt; /* where its SW MSI window is reserved */
};

struct ifd_veventq;

struct ifd_viommu {
	struct ifd_obj obj;
	struct arm_vsmmu *vsmmu;
	struct ifd_hwpt *hwpt;
	struct arm_smmu_device *smmu;
	/* One queue per type (index = IOMMU_VEVENTQ_TYPE_*); the SMMUv3 driver
	 * only ever fills the ARM_SMMUV3 one. */
	struct ifd_veventq *veventqs[3];
};

struct ifd_vdevice {
	struct ifd_obj obj;
	struct ifd_viommu *viommu;
	struct ifd_device *idev;
	uint64_t virt_id;
};

struct ifd_vevent {
	uint32_t flags, sequence;
	uint32_t len;
	uint8_t data[32];
	bool lost; /* the lost-events header */
};

struct ifd_veventq {
	struct ifd_obj obj;
	struct ifd_viommu *viommu;
	uint32_t type, depth;
	struct ifd_vevent *q;
	size_t n, cap;
	uint32_t num_events;
	uint32_t sequence;
	bool lost_queued;
};

struct iopf_group;
struct ifd_fault {
	struct ifd_obj obj;
	struct iopf_group *deliver;  /* groups not yet read, oldest first */
	struct iopf_group *response; /* groups read, waiting for a response */
};

struct ictx {
	struct shim *s;
	int refs;              /* the fd + context references */
	struct ifd_obj **objs; /* index = ID; slot 0 unused */
	uint32_t nobjs;        /* slots in use up to here */
	uint32_t capobjs;
	int account_mode;
	struct ifd_ioas *vfio_ioas; /* VFIO compat IOAS */
	bool compat_set;            /* VFIO_SET_IOMMU done (compat) */
	bool compat_v1;
	struct shim_proc *proc; /* the opener (mm of the ctx) */
};

/* Tombstoned (vDEVICE of an unbound device) and reserved-but-unfinalised
 * slots hold these markers. */
#define IFD_TOMBSTONE ((struct ifd_obj *)1)
#define IFD_RESERVED ((struct ifd_obj *)2)

int ictx_create(struct shim *s, struct shim_proc *p, struct ictx **out);
void ictx_get(struct ictx *x);
void ictx_put(struct ictx *x, struct kcall *c);
int64_t iommufd_ioctl(struct shim *s, struct shim_proc *p, struct ictx *x, unsigned long cmd,
                      uint64_t arg, struct kcall *c);
/* VFIO-facing iommufd API (iommufd_device_bind/attach/replace/detach/unbind). */
int iommufd_device_bind(struct ictx *x, struct shim_dev *d, struct vfio_df *df, uint32_t *id,
                        struct kcall *c);
void iommufd_device_unbind(struct ifd_obj *idev, struct kcall *c);
int iommufd_device_attach(struct ifd_obj *idev, uint32_t *pt_id, bool replace, struct kcall *c);
void iommufd_device_detach(struct ifd_obj *idev, struct kcall *c);
/* iommufd_device_attach/replace/detach(idev, pasid, ...) for pasid != 0
 * (IOMMU_NO_PASID goes to the calls above). */
int iommufd_device_pasid_attach(struct ifd_obj *idev, uint32_t pasid, uint32_t *pt_id,
                                bool replace, struct kcall *c);
void iommufd_device_pasid_detach(struct ifd_obj *idev, uint32_t pasid, struct kcall *c);
/* The HWPT on `pasid` of a bound device (0: the RID's), NULL if none. */
struct ifd_hwpt *iommufd_device_pt(const struct ifd_device *idev, uint32_t pasid);
int iommufd_compat_ioas_create(struct ictx *x);
/* policy.vmid's view of who a device's stage-2 context is for. */
void iommufd_vmid_req(struct ictx *x, struct ifd_device *idev, struct arm_smmu_vmid_req *r);
struct ifd_ioas *iommufd_compat_ioas(struct ictx *x);
int iommufd_ioas_pinned(struct ictx *x, uint32_t id, uint64_t *pages);
void veventq_file_release(struct ifd_obj *o, struct kcall *c);
/* io_pgfault.c */
int iommufd_iopf_report(void *ctx, struct arm_smmu_master *m, const struct arm_smmu_iopf *f,
                        struct kcall *c);
/* Pending groups of idev (NULL: every one) answered INVALID (detach, destroy). */
void iommufd_fault_auto_response(struct ifd_fault *q, struct ifd_device *idev, struct kcall *c);
void iommufd_fault_detach_dev(struct ifd_hwpt *h, struct ifd_device *idev, struct kcall *c);
int64_t fault_read(struct shim *s, struct shim_proc *p, struct ifd_obj *o, uint64_t buf,
                   uint64_t len);
int64_t fault_write(struct shim *s, struct shim_proc *p, struct ifd_obj *o, uint64_t buf,
                    uint64_t len, struct kcall *c);
int64_t veventq_read(struct shim *s, struct shim_proc *p, struct ifd_obj *o, uint64_t buf,
                     uint64_t len);
void iommufd_vevent_handler(void *ctx, struct arm_vsmmu *vsmmu, struct arm_smmu_master *master,
                            const uint64_t evt[4]);

/* Shared VFIO type1 helpers (the legacy container and iommufd's compat). */
int64_t vfio_compat_ioctl(struct shim *s, struct shim_proc *p, struct ictx *x, unsigned long cmd,
                          uint64_t arg, struct kcall *c);

/* ---- vfio.c ---- */
int vfio_open_cdev(struct shim *s, struct shim_proc *p, struct shim_dev *d, struct shim_file *f);
int vfio_open_group(struct shim *s, struct shim_proc *p, struct shim_group *g, struct shim_file *f);
int vfio_open_container(struct shim *s, struct shim_proc *p, struct shim_file *f);
int64_t vfio_ioctl(struct shim *s, struct shim_proc *p, struct shim_file *f, unsigned long cmd,
                   uint64_t arg, struct kcall *c);
void vfio_release(struct shim *s, struct shim_file *f, struct kcall *c);
/* Claim / release a device's DMA ownership (bound: blocked domain). */
int shim_dev_claim_dma(struct shim_dev *d, struct kcall *c);
void shim_dev_release_dma(struct shim_dev *d, struct kcall *c);

/* ---- shim.c: the kernel object ---- */
struct shim_kvm_state;

struct shim {
	struct shim_config cfg;
	struct shim_host_ops ops;
	void *host;
	struct kenv env;
	uint64_t last_ns; /* the latest end of a kernel call (teardown runs from there) */
	bool booted;
	uint32_t nsmmus;
	struct arm_smmu_device *smmus[SHIM_MAX_SMMUS];
	struct shim_dev **devs;
	uint32_t ndevs;
	struct shim_proc **procs;
	uint32_t nprocs;
	uint64_t pinned_in_call, unpinned_in_call;
	/* the isolation oracle (oracle.c) */
	struct shim_violation *viol;
	size_t nviol, capviol;
	uint32_t oracle_line; /* the host's current record */
	/* entries removed during the current call / broadcast (provenance) */
	struct shim_removed_entry removed[SHIM_ORACLE_MAX_REMOVED];
	char removed_structure[SHIM_ORACLE_MAX_REMOVED][12];
	uint32_t nremoved, removed_total;
	void *oracle_cache;   /* oracle.c's per-IOAS page index */
	/* per owner label (a process, a VM: oracle.c last_inv): the record of
	 * its last completed invalidation of all its entries (line), and of
	 * its invalidations limited to ⟨SMMU, VMID, ASID⟩ (0xffffffff: any -
	 * a guest's broadcast TLBI by ASID, whatever VMID its SMMU entries
	 * carry; a kernel TLBI of a whole VMID) */
	struct shim_inv_owner {
		char name[48];
		uint32_t line;
		uint32_t nasid;
		struct {
			uint32_t smmu, vmid, asid, line;
		} asid[32];
	} inv_owner[64];
	size_t ninv_owner;
	struct shim_kvm_state *kvm; /* kvm.c: vCPUs per physical CPU, counters */
	struct shim_dma_stats dma_stats; /* dma_iommu.c */
};

struct shim_proc *shim_proc_get(struct shim *s, const char *name);
/* FOLL_PIN accounting (iopt.c): a pinned range, and how often a page is pinned. */
void shim_proc_pin(struct shim_proc *p, uint64_t va, uint64_t npages, bool pin);
unsigned shim_proc_pins_of(const struct shim_proc *p, uint64_t va);
/* Install a new file in p's fd table: the fd or -EMFILE/-ENOMEM. */
int shim_fd_install(struct shim_proc *p, struct shim_file *f);
/* host_user_memory: back [va, va + len) of p (shim_user_back). */
int shim_user_back_proc(struct shim *s, struct shim_proc *p, uint64_t va, uint64_t len);
struct shim_file *shim_fd_get(struct shim_proc *p, int fd);
/* The errno for an fd a request takes that is no emulated file: EBADF, or
 * wrong_kind (negative) when the host has it open (shim_host_ops.fd_open). */
int shim_fd_absent(struct shim *s, int fd, int wrong_kind);
/* eventfd_ctx_fdget(): 0 when fd is an eventfd (one the emulation made,
 * shim_eventfd, or the program's, as the host's fd_open says), -EINVAL for
 * another file, -EBADF for no file. */
int shim_eventfd_get(struct shim *s, struct shim_proc *p, int fd);
/* fd as a file IOAS_MAP_FILE can pin: the emulated kernel's memfd, or the
 * program's own (the host's memfd_info). 0 with a new reference to its
 * backing (NULL for an empty file) and its size; -EBADF, -EINVAL. */
int shim_memfd_get(struct shim *s, struct shim_proc *p, int fd, struct shim_backing **b,
                   uint64_t *size);
struct shim_file *shim_file_new(struct shim_proc *p, enum shim_file_kind k);
/* Drop one reference to an open file (an fd slot, or a kernel user such as
 * the KVM-VFIO device's get_file()); the last one releases it. */
void shim_file_get(struct shim_file *f);
void shim_file_put(struct shim *s, struct shim_file *f, struct kcall *k);
/* User memory of p: process mappings first, then the host's ops. 0 or -EFAULT. */
int shim_copy_from_user(struct shim *s, struct shim_proc *p, void *dst, uint64_t uptr, size_t n);
int shim_copy_to_user(struct shim *s, struct shim_proc *p, uint64_t uptr, const void *src,
                      size_t n);
int shim_clear_user(struct shim *s, struct shim_proc *p, uint64_t uptr, size_t n);
/* copy_struct_from_user: ksize bytes into dst from a user struct of usize. */
int shim_copy_struct_from_user(struct shim *s, struct shim_proc *p, void *dst, size_t ksize,
                               uint64_t uptr, size_t usize);
/* Translate a user page (VA) to its PA: 0 or -EFAULT. */
int shim_proc_translate(struct shim_proc *p, uint64_t va, uint64_t *pa, uint64_t *contig);
struct shim_dev *shim_dev_by_master(struct shim *s, struct arm_smmu_master *m);
bool shim_smmu_coherent(struct arm_smmu_device *smmu);
void shim_backing_put(struct shim *s, struct shim_backing *b);
/* End a call: fill the host's struct shim_call from the kcall (may be NULL)
 * and free the kcall's accounting. */
void shim_call_done(struct shim *s, struct kcall *k, const char *req, int64_t ret,
                    struct shim_call *out);
uint64_t shim_rlimit_pages(const struct shim *s);

/* ---- oracle.c ---- */
/* After a system call of process `caller` (NULL: none): alias and
 * foreign-invalidation checks. */
void oracle_after_call(struct shim *s, const char *caller, const struct kcall *k);
/* The kernel's own DMA domains: an invalidation of them is complete (a
 * strict DMA unmap returned, a flush queue was flushed). */
void oracle_kernel_invalidated(struct shim *s);
void oracle_destroy(struct shim *s);

#endif
