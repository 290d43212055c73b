/*
 * iommufd_viommu.c - the vIOMMU side of /dev/iommu in Linux 7.0
 * (drivers/iommu/iommufd/{viommu,eventq,hw_pagetable}.c): IOMMU_VIOMMU_ALLOC,
 * IOMMU_VDEVICE_ALLOC, IOMMU_VEVENTQ_ALLOC and read() of its records,
 * IOMMU_FAULT_QUEUE_ALLOC, IOMMU_HW_QUEUE_ALLOC and IOMMU_HWPT_INVALIDATE,
 * over the arm-smmu-v3 vSMMU of the driver model.
 *
 * The SMMUv3 vIOMMU has no HW queue type (Tegra241 CMDQV only): HW_QUEUE
 * answers EOPNOTSUPP after its argument checks, as 7.0 does on such an SMMU.
 * Fault queues are created and readable but never filled (no PRI/stall
 * support in the driver model).
 */
#include "iommufd_priv.h"

#include <stdlib.h>
#include <string.h>

int cmd_hwpt_invalidate(struct ucmd *u)
{
	struct u_hwpt_invalidate *cmd = u->cmd;
	uint32_t done = 0;
	int rc;
	if (cmd->__reserved) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	if (cmd->entry_num && (!cmd->data_uptr || !cmd->entry_len)) {
		rc = -EINVAL;
		goto out;
	}
	struct ifd_obj *pt = ifd_obj_get(u->x, cmd->hwpt_id, IFD_ANY, u->c);
	if (!pt) {
		rc = -ENOENT;
		goto out;
	}
	if (pt->type == IFD_HWPT_NESTED) {
		/* SMMUv3 nested domains have no cache_invalidate_user op. */
		rc = -EOPNOTSUPP;
		goto out;
	}
	if (pt->type != IFD_VIOMMU) {
		rc = -EINVAL;
		goto out;
	}
	struct ifd_viommu *v = (struct ifd_viommu *)pt;
	/* arm_vsmmu_cache_invalidate(): kcalloc() of the whole array first -
	 * past KMALLOC_MAX_SIZE (4 MiB with 4K pages) it fails; of none it
	 * gives ZERO_SIZE_PTR, not NULL - then
	 * iommu_copy_struct_from_full_user_array(): the type, and no empty
	 * array (EINVAL: there is no zero-entry probe on SMMUv3). */
	if ((uint64_t)cmd->entry_num * 16 > (4ull << 20)) {
		rc = -ENOMEM;
		goto out;
	}
	if (cmd->data_type != IOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3 || cmd->entry_num == 0) {
		rc = -EINVAL;
		goto out;
	}
	uint64_t(*cmds)[2] = calloc(cmd->entry_num, sizeof(*cmds));
	if (!cmds) {
		rc = -ENOMEM;
		goto out;
	}
	rc = 0;
	if (cmd->entry_len == 16) {
		if (shim_copy_from_user(u->s, u->p, cmds, cmd->data_uptr, 16ull * cmd->entry_num))
			rc = -EFAULT;
	} else {
		for (uint32_t i = 0; i < cmd->entry_num && !rc; i++)
			rc = shim_copy_struct_from_user(
			    u->s, u->p, cmds[i], 16, cmd->data_uptr + (uint64_t)cmd->entry_len * i,
			    cmd->entry_len);
	}
	if (!rc)
		rc = arm_vsmmu_cache_invalidate(v->vsmmu, cmds, cmd->entry_num, &done, u->c);
	free(cmds);
out:
	/* entry_num is written back whatever happened. */
	cmd->entry_num = done;
	if (ifd_respond(u, sizeof(*cmd)))
		return -EFAULT;
	return rc;
}

/* ------------------------------------------------------------------ */
/* vIOMMU, vDEVICE, vEVENTQ, HW queue, fault queue                      */

int cmd_viommu_alloc(struct ucmd *u)
{
	struct u_viommu_alloc *cmd = u->cmd;
	if (cmd->flags || cmd->type == IOMMU_VIOMMU_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	struct ifd_device *idev = ifd_get_device(u, cmd->dev_id);
	if (!idev)
		return -ENOENT;
	/* arm_smmu_get_viommu_size(): nesting, a way to keep DMA coherent
	 * (CANWBS or S2FWB), and the SMMUv3 type (no CMDQV implementation). */
	struct arm_smmu_device *smmu = arm_smmu_master_smmu(idev->dev->master);
	uint32_t feat = arm_smmu_features(smmu);
	if (!(feat & ARM_SMMU_FEAT_NESTING) ||
	    (!idev->dev->canwbs && !(feat & ARM_SMMU_FEAT_S2FWB)) ||
	    cmd->type != IOMMU_VIOMMU_TYPE_ARM_SMMUV3)
		return -EOPNOTSUPP;
	struct ifd_hwpt *h =
	    (struct ifd_hwpt *)ifd_obj_get(u->x, cmd->hwpt_id, IFD_HWPT_PAGING, u->c);
	if (!h)
		return -ENOENT;
	if (!h->nest_parent)
		return -EINVAL;
	int rc;
	struct ifd_viommu *v = ifd_obj_alloc(u->x, sizeof(*v), IFD_VIOMMU, u->c, &rc);
	if (!v)
		return rc;
	v->hwpt = h;
	h->obj.users++;
	v->smmu = smmu;
	struct arm_smmu_vmid_req req;
	iommufd_vmid_req(u->x, idev, &req);
	rc = arm_vsmmu_alloc_req(idev->dev->master, h->domain, &req, u->c, &v->vsmmu);
	if (rc) {
		v->vsmmu = NULL;
		ifd_obj_abort(&v->obj, u->c);
		return rc;
	}
	cmd->out_viommu_id = v->obj.id;
	rc = ifd_respond(u, sizeof(*cmd));
	if (rc) {
		ifd_obj_abort(&v->obj, u->c);
		return rc;
	}
	ifd_obj_finalize(&v->obj);
	return 0;
}

int cmd_vdevice_alloc(struct ucmd *u)
{
	struct u_vdevice_alloc *cmd = u->cmd;
	struct ifd_viommu *v =
	    (struct ifd_viommu *)ifd_obj_get(u->x, cmd->viommu_id, IFD_VIOMMU, u->c);
	if (!v)
		return -ENOENT;
	struct ifd_device *idev = ifd_get_device(u, cmd->dev_id);
	if (!idev)
		return -ENOENT;
	if (v->smmu != arm_smmu_master_smmu(idev->dev->master))
		return -EINVAL;
	if (idev->vdev)
		return -EEXIST;
	int rc;
	struct ifd_vdevice *vd = ifd_obj_alloc(u->x, sizeof(*vd), IFD_VDEVICE, u->c, &rc);
	if (!vd)
		return rc;
	rc = arm_vsmmu_vdevice_set(v->vsmmu, idev->dev->master, cmd->virt_id);
	if (rc) {
		ifd_obj_abort(&vd->obj, u->c);
		return rc;
	}
	vd->virt_id = cmd->virt_id;
	vd->viommu = v;
	v->obj.users++;
	vd->idev = idev;
	idev->obj.users++;
	idev->vdev = vd;
	cmd->out_vdevice_id = vd->obj.id;
	rc = ifd_respond(u, sizeof(*cmd));
	if (rc) {
		ifd_obj_abort(&vd->obj, u->c);
		return rc;
	}
	ifd_obj_finalize(&vd->obj);
	return 0;
}

static int evq_fd(struct ucmd *u, struct ifd_obj *o, enum shim_file_kind kind, int *fdno)
{
	struct shim_file *f = shim_file_new(u->p, kind);
	if (!f)
		return -ENOMEM;
	f->u.evq = o;
	int fd = shim_fd_install(u->p, f);
	if (fd < 0) {
		free(f);
		return fd;
	}
	/* The file holds the object and the context. */
	o->users++;
	ictx_get(u->x);
	*fdno = fd;
	return 0;
}

static void evq_fd_undo(struct ucmd *u, int fd)
{
	struct shim_file *f = shim_fd_get(u->p, fd);
	u->p->fds[fd] = NULL;
	f->u.evq->users--;
	u->x->refs--;
	free(f);
}

int cmd_veventq_alloc(struct ucmd *u)
{
	struct u_veventq_alloc *cmd = u->cmd;
	if (cmd->flags || cmd->__reserved || cmd->type == IOMMU_VEVENTQ_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!cmd->veventq_depth)
		return -EINVAL;
	struct ifd_viommu *v =
	    (struct ifd_viommu *)ifd_obj_get(u->x, cmd->viommu_id, IFD_VIOMMU, u->c);
	if (!v)
		return -ENOENT;
	/* One queue per type, of any type (7.0 keeps a list per vIOMMU and
	 * looks the type up in it); the SMMUv3 vIOMMU only fills its own. */
	for (uint32_t i = 1; i < u->x->nobjs; i++) {
		const struct ifd_obj *o = u->x->objs[i];
		if (o && o != IFD_TOMBSTONE && o != IFD_RESERVED && o->type == IFD_VEVENTQ &&
		    ((const struct ifd_veventq *)o)->viommu == v &&
		    ((const struct ifd_veventq *)o)->type == cmd->type)
			return -EEXIST;
	}
	int rc;
	struct ifd_veventq *q = ifd_obj_alloc(u->x, sizeof(*q), IFD_VEVENTQ, u->c, &rc);
	if (!q)
		return rc;
	q->type = cmd->type;
	q->viommu = v;
	v->obj.users++;
	q->depth = cmd->veventq_depth;
	if (cmd->type < 3)
		v->veventqs[cmd->type] = q;
	int fd;
	rc = evq_fd(u, &q->obj, SF_VEVENTQ, &fd);
	if (rc) {
		ifd_obj_abort(&q->obj, u->c);
		return rc;
	}
	cmd->out_veventq_id = q->obj.id;
	cmd->out_veventq_fd = (uint32_t)fd;
	rc = ifd_respond(u, sizeof(*cmd));
	if (rc) {
		evq_fd_undo(u, fd);
		ifd_obj_abort(&q->obj, u->c);
		return rc;
	}
	ifd_obj_finalize(&q->obj);
	return 0;
}

int cmd_fault_alloc(struct ucmd *u)
{
	struct u_fault_alloc *cmd = u->cmd;
	if (cmd->flags)
		return -EOPNOTSUPP;
	int rc;
	struct ifd_fault *f = ifd_obj_alloc(u->x, sizeof(*f), IFD_FAULT, u->c, &rc);
	if (!f)
		return rc;
	int fd;
	rc = evq_fd(u, &f->obj, SF_FAULT, &fd);
	if (rc) {
		ifd_obj_abort(&f->obj, u->c);
		return rc;
	}
	cmd->out_fault_id = f->obj.id;
	cmd->out_fault_fd = (uint32_t)fd;
	rc = ifd_respond(u, sizeof(*cmd));
	if (rc) {
		evq_fd_undo(u, fd);
		ifd_obj_abort(&f->obj, u->c);
		return rc;
	}
	ifd_obj_finalize(&f->obj);
	return 0;
}

int cmd_hw_queue_alloc(struct ucmd *u)
{
	struct u_hw_queue_alloc *cmd = u->cmd;
	if (cmd->flags || cmd->type == IOMMU_HW_QUEUE_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!cmd->length)
		return -EINVAL;
	uint64_t last;
	if (__builtin_add_overflow(cmd->nesting_parent_iova, cmd->length - 1, &last))
		return -EOVERFLOW;
	if (!ifd_obj_get(u->x, cmd->viommu_id, IFD_VIOMMU, u->c))
		return -ENOENT;
	/* The SMMUv3 vIOMMU has no HW queue ops (Tegra241 CMDQV only). */
	return -EOPNOTSUPP;
}

void veventq_file_release(struct ifd_obj *o, struct kcall *c)
{
	struct ictx *x = o->ictx;
	o->users--;
	ictx_put(x, c);
}

/* iommufd_viommu_report_event() for the SMMUv3 type. */
static void veventq_report(struct ifd_veventq *q, const uint64_t evt[4])
{
	struct ifd_vevent e = {0};
	if (q->num_events == q->depth) {
		/* Full: the event becomes the LOST_EVENTS header. */
		e.lost = true;
		e.flags = IOMMU_VEVENTQ_FLAG_LOST_EVENTS;
	} else {
		for (int i = 0; i < 4; i++)
			for (int b = 0; b < 8; b++)
				e.data[i * 8 + b] = (uint8_t)(evt[i] >> (8 * b));
		e.len = 32;
	}
	if (q->n == q->cap) {
		size_t nc = q->cap ? q->cap * 2 : 16;
		struct ifd_vevent *nq = realloc(q->q, nc * sizeof(*nq));
		if (!nq)
			return;
		q->q = nq;
		q->cap = nc;
	}
	/* iommufd_vevent_handler(): a LOST_EVENTS header at the tail is taken
	 * out and the new record (possibly the header again) appended with the
	 * next sequence number, so the header always carries the latest lost
	 * sequence and the reader sees the gap. */
	if (q->n && q->q[q->n - 1].lost) {
		q->n--;
		q->lost_queued = false;
	}
	e.sequence = q->sequence;
	q->sequence = (q->sequence + 1) & 0x7fffffffu;
	q->q[q->n++] = e;
	if (e.lost)
		q->lost_queued = true;
	else
		q->num_events++;
}

void iommufd_vevent_handler(void *ctx, struct arm_vsmmu *vsmmu, struct arm_smmu_master *master,
                            const uint64_t evt[4])
{
	struct shim *s = ctx;
	struct shim_dev *d = shim_dev_by_master(s, master);
	if (!d || !d->idev || !d->idev->vdev)
		return;
	struct ifd_viommu *v = d->idev->vdev->viommu;
	if (!v || v->vsmmu != vsmmu || !v->veventqs[IOMMU_VEVENTQ_TYPE_ARM_SMMUV3])
		return;
	veventq_report(v->veventqs[IOMMU_VEVENTQ_TYPE_ARM_SMMUV3], evt);
}

int64_t veventq_read(struct shim *s, struct shim_proc *p, struct ifd_obj *o, uint64_t buf,
                     uint64_t len)
{
	struct ifd_veventq *q = (struct ifd_veventq *)o;
	uint64_t done = 0;
	int rc = 0;
	while (q->n) {
		struct ifd_vevent *e = &q->q[0];
		if (done >= len || 8 > len - done)
			break;
		if (!e->lost && 8 + e->len > len - done)
			break;
		uint32_t hdr[2] = {e->flags, e->sequence};
		if (shim_copy_to_user(s, p, buf + done, hdr, 8)) {
			rc = -EFAULT;
			break;
		}
		if (e->len && shim_copy_to_user(s, p, buf + done + 8, e->data, e->len)) {
			rc = -EFAULT;
			break;
		}
		done += 8 + e->len;
		if (e->lost)
			q->lost_queued = false;
		else
			q->num_events--;
		memmove(&q->q[0], &q->q[1], (q->n - 1) * sizeof(*q->q));
		q->n--;
	}
	return done ? (int64_t)done : rc;
}
