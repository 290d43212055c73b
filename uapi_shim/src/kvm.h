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
/* A VFIO file is going away: forget it in any KVM-VFIO device that has it
 * (a struct file held by the KVM-VFIO device keeps it alive in Linux; here
 * the file's release calls this first, see kvm.c). */
void kvm_vfio_file_gone(struct shim *s, struct shim_file *f, struct kcall *c);

/* The VM behind a VM fd of process p: NULL if fd is not a VM fd. */
struct shim_kvm *kvm_from_fd(struct shim *s, struct shim_proc *p, int fd);

#endif
