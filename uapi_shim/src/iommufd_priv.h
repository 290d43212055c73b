/*
 * iommufd_priv.h - what iommufd.c (the object table, IOAS, HWPT and device
 * attach, dispatch) shares with iommufd_viommu.c (vIOMMU, vDEVICE, vEVENTQ,
 * fault and HW queues, user invalidation). INTERNAL.
 */
#ifndef SHIM_IOMMUFD_PRIV_H
#define SHIM_IOMMUFD_PRIV_H

#include "shim_internal.h"

/* One iommufd ioctl in flight: the kernel copy of the argument struct. */
struct ucmd {
	struct shim *s;
	struct shim_proc *p;
	struct ictx *x;
	uint64_t ubuf;
	uint32_t user_size;
	void *cmd;
	struct kcall *c;
};

/* Object table (iommufd_object_alloc / _finalize / _abort_and_destroy,
 * iommufd_get_object): IDs are reserved at allocation and become visible
 * at finalize. ifd_obj_get returns NULL for a missing, tombstoned,
 * unfinalised or wrong-type ID (the caller answers ENOENT or EINVAL). */
void *ifd_obj_alloc(struct ictx *x, size_t size, enum ifd_type t, struct kcall *c, int *rc);
void ifd_obj_finalize(struct ifd_obj *o);
void ifd_obj_abort(struct ifd_obj *o, struct kcall *c);
struct ifd_obj *ifd_obj_get(struct ictx *x, uint32_t id, enum ifd_type t, struct kcall *c);
/* iommufd_ucmd_respond(): copy the struct back, up to the user's size. */
int ifd_respond(struct ucmd *u, size_t len);
struct ifd_device *ifd_get_device(struct ucmd *u, uint32_t id);

/* The commands iommufd_viommu.c implements. */
int cmd_hwpt_invalidate(struct ucmd *u);
int cmd_viommu_alloc(struct ucmd *u);
int cmd_vdevice_alloc(struct ucmd *u);
int cmd_veventq_alloc(struct ucmd *u);
int cmd_fault_alloc(struct ucmd *u);
int cmd_hw_queue_alloc(struct ucmd *u);

#endif
