/*
 * kvm.h - /dev/kvm of the emulated kernel (Linux 7.0 virt/kvm/kvm_main.c,
 * virt/kvm/vfio.c, arch/arm64/kvm/{arm,mmu,vmid}.c) as far as the SMMU story
 * needs it: VMs, memslots, vCPUs (for KVM's VMID allocator), the KVM-VFIO
 * device and the VFIO device <-> KVM association. INTERNAL.
 *
 * Lifetimes follow Linux: a struct shim_kvm is refcounted (kvm_get_kvm /
 * kvm_put_kvm). The VM fd, every vCPU fd, every KVM device fd and every VFIO
 * device that captured the VM at its first open hold a reference; the VM is
 * destroyed with its last one (kvm_destroy_vm), which releases the KVM-VFIO
 * device's files (vfio_file_set_kvm(file, NULL)).
 *
 * The VFIO side: KVM_DEV_VFIO_FILE_ADD stores the VM in the file (df->kvm for
 * a cdev, group->kvm for a group); the device captures it at its first open
 * (VFIO_DEVICE_BIND_IOMMUFD / VFIO_GROUP_GET_DEVICE_FD) and keeps it, with a
 * reference, until its last close. So a cdev bound before FILE_ADD has no KVM.
 */
#ifndef SHIM_KVM_H
#define SHIM_KVM_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel.h"
#include "kvm_vmid.h"

struct shim;
struct shim_proc;
struct shim_file;
struct shim_dev;
struct shim_group;
struct vfio_df;
struct shim_kvm;
struct shim_kvm_dev;
struct shim_kvm_vcpu;

/* ---- the API for the rest of the shim (the SMMU driver's VMID policies) ---- */

/* The KVM the device captured at its first open (vfio_device->kvm), NULL if
 * none. Valid while the device is open (the device holds a reference). */
struct shim_kvm *shim_dev_kvm(const struct shim_dev *d);
/* The VM's struct kvm_vmid (kvm->arch.mmu.vmid) for kvm_vmid_pin() & co. */
struct kvm_vmid *shim_kvm_vmid(struct shim_kvm *k);
/* A stable owner label: "<process>/vm<N>", N counting the VMs the process
 * created, from 0 (e.g. "vmm0/vm0"). */
const char *shim_kvm_name(const struct shim_kvm *k);
/* kvm_get_kvm / kvm_put_kvm. The last put destroys the VM. */
void shim_kvm_get(struct shim_kvm *k);
void shim_kvm_put(struct shim_kvm *k, struct kcall *c);

/* ---- inside the shim: shim.c and vfio.c ---- */

/* open("/dev/kvm"). */
int kvm_open_dev(struct shim *s, struct shim_proc *p, struct shim_file *f);
/* ioctl on an SF_KVM / SF_KVM_VM / SF_KVM_VCPU / SF_KVM_DEVICE file. */
int64_t kvm_ioctl(struct shim *s, struct shim_proc *p, struct shim_file *f, unsigned long cmd,
                  uint64_t arg, struct kcall *c);
/* Last close of such a file. */
void kvm_file_release(struct shim *s, struct shim_file *f, struct kcall *c);

/* vfio_file_set_kvm() for the VFIO side: the VM stored in a cdev file or a
 * group. */
struct shim_kvm *kvm_vfio_df_kvm(const struct vfio_df *df);
struct shim_kvm *kvm_vfio_group_kvm(const struct shim_group *g);
/* vfio_device_get_kvm_safe / vfio_device_put_kvm: the device's capture at
 * first open and its release at last close. */
void kvm_vfio_device_capture(struct shim_dev *d, struct shim_kvm *k);
void kvm_vfio_device_release(struct shim_dev *d, struct kcall *c);

/* The VM behind `vmfd` of process `proc` for the host-facing calls: 0,
 * -EBADF (not a VM fd) or -EIO (the VM is another process's). */
int kvm_vm_lookup(struct shim *s, const char *proc, int vmfd, struct shim_kvm **out);
/* The VM behind a VM fd of process p: NULL if fd is not a VM fd. */
struct shim_kvm *kvm_from_fd(struct shim *s, struct shim_proc *p, int fd);
/* Free KVM's per-machine state (shim_destroy, after every fd is closed). */
void kvm_state_free(struct shim *s);

/* ---- the objects (kvm.c, kvm_guest.c) ---- */

struct kvm_memslot {
	uint16_t id;
	uint32_t flags;                  /* KVM_MEM_* */
	uint64_t base, size, uaddr;      /* guest_phys_addr, memory_size, userspace_addr */
};

/* A guest stage-1 table built by shim_guest_s1map, and a pool's bump pointer. */
struct kvm_s1_table {
	uint64_t ttb;
	uint32_t granule, va_bits;
};
struct kvm_s1_pool {
	uint64_t start, next;
};

struct shim_kvm_vcpu {
	struct shim_kvm *kvm;
	uint32_t id;
	int cpu; /* the physical CPU it is loaded on, -1 when put */
	bool initialized; /* VCPU_INITIALIZED: KVM_ARM_VCPU_INIT succeeded */
};

/* The KVM-VFIO device (virt/kvm/vfio.c): the VFIO files it holds. */
struct shim_kvm_dev {
	struct shim_kvm *kvm;
	struct shim_file **files; /* each with a reference (get_file) */
	size_t nfiles, capfiles;
};

struct shim_kvm {
	struct shim *s;
	struct shim_proc *mm;  /* kvm->mm: the creating process */
	int users;             /* kvm->users_count */
	char name[64];         /* "<proc>/vm<N>" */
	unsigned ipa_bits;     /* kvm_phys_shift */
	struct kvm_vmid vmid;  /* kvm->arch.mmu.vmid */
	struct kvm_memslot *slots;
	size_t nslots, capslots;
	struct shim_kvm_vcpu **vcpus;
	size_t nvcpus, capvcpus;
	struct shim_kvm_dev *vfio_dev; /* only one KVM-VFIO device per VM */
	struct kvm_s1_table *tables;
	size_t ntables, captables;
	struct kvm_s1_pool *pools;
	size_t npools, cappools;
	/* kvm->arch.vcpu_features, fixed by the first KVM_ARM_VCPU_INIT
	 * (KVM_ARCH_FLAG_VCPU_FEATURES_CONFIGURED): every vCPU the same */
	bool features_configured;
	uint32_t vcpu_features;
};

/* Guest memory through the memslots (kvm_guest.c): 0 or -EFAULT. */
int kvm_guest_rw(struct shim_kvm *k, uint64_t ipa, void *buf, uint64_t len, bool write);

#endif
