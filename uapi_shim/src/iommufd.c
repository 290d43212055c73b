/*
 * iommufd.c - /dev/iommu of Linux 7.0 (drivers/iommu/iommufd/{main,ioas,
 * hw_pagetable,device,viommu,eventq}.c): the object table of a context, the
 * ioctl dispatcher with its size rules, the IOAS, HWPT, hw-info, option
 * and VFIO_IOAS commands, and the device attach/replace/detach logic VFIO
 * calls. The vIOMMU side (vIOMMU, vDEVICE, vEVENTQ, queues, user
 * invalidation) is in iommufd_viommu.c.
 *
 * Argument rules, in the kernel's order: the request's nr outside
 * 0x80..0x94 goes to the VFIO compat handler (vfio.c); the u32 size is read
 * (EFAULT); a request number that is not exactly the table's -> ENOTTY;
 * size below the minimum -> EINVAL; non-zero bytes past the kernel struct ->
 * E2BIG; then each command checks flags/reserved fields (EOPNOTSUPP) before
 * looking up IDs (ENOENT), as its kernel function does.
 *
 * Object lifetimes: see shim_internal.h. Not modelled: iommufd_access
 * (mdev), IOMMU_TEST_CMD, the SW MSI page mapping into domains (no ITS in
 * the platform: only the IOVA window is reserved), dirty
 * tracking (SMMU without HTTU dirty: EOPNOTSUPP).
 */
#include "iommufd_priv.h"
#include "kvm.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* contexts and the object table                                        */

int ictx_create(struct shim *s, struct shim_proc *p, struct ictx **out)
{
	struct ictx *x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->s = s;
	x->refs = 1;
	x->account_mode = IOPT_ACCOUNT_USER;
	x->proc = p;
	*out = x;
	return 0;
}

void ictx_get(struct ictx *x)
{
	x->refs++;
}

static void obj_destroy(struct ifd_obj *o, struct kcall *c);

static void ictx_destroy_all(struct ictx *x, struct kcall *c)
{
	/* iommufd_fops_release(): destroy the leaves (users == 1) in ID
	 * order, pass after pass, until the table is empty. */
	for (;;) {
		bool any = false;
		uint32_t destroyed = 0;
		for (uint32_t id = 1; id < x->nobjs; id++) {
			struct ifd_obj *o = x->objs[id];
			if (!o)
				continue;
			if (o == IFD_TOMBSTONE || o == IFD_RESERVED) {
				x->objs[id] = NULL;
				continue;
			}
			any = true;
			if (o->users != 1)
				continue;
			x->objs[id] = NULL;
			obj_destroy(o, c);
			destroyed++;
		}
		if (!any || !destroyed)
			break;
	}
}

void ictx_put(struct ictx *x, struct kcall *c)
{
	if (--x->refs > 0)
		return;
	ictx_destroy_all(x, c);
	free(x->objs);
	free(x);
}

static int obj_alloc_id(struct ictx *x, struct ifd_obj *o, struct kcall *c)
{
	ktime_charge(c, x->s->env.t.obj_op);
	uint32_t max = x->s->cfg.iommufd_max_ids;
	uint32_t id;
	for (id = 1; id < x->nobjs; id++)
		if (!x->objs[id])
			break;
	if (id > max)
		return -ENOSPC;
	if (id >= x->capobjs) {
		uint32_t nc = x->capobjs ? x->capobjs * 2 : 64;
		struct ifd_obj **no = realloc(x->objs, nc * sizeof(*no));
		if (!no)
			return -ENOMEM;
		memset(no + x->capobjs, 0, (nc - x->capobjs) * sizeof(*no));
		x->objs = no;
		x->capobjs = nc;
	}
	if (id >= x->nobjs)
		x->nobjs = id + 1;
	x->objs[id] = IFD_RESERVED;
	o->id = id;
	o->ictx = x;
	o->users = 1;
	return 0;
}

void *ifd_obj_alloc(struct ictx *x, size_t size, enum ifd_type t, struct kcall *c, int *rc)
{
	struct ifd_obj *o = calloc(1, size);
	if (!o) {
		*rc = -ENOMEM;
		return NULL;
	}
	o->type = t;
	*rc = obj_alloc_id(x, o, c);
	if (*rc) {
		free(o);
		return NULL;
	}
	return o;
}

void ifd_obj_finalize(struct ifd_obj *o)
{
	o->ictx->objs[o->id] = o;
}

/* Abort an unfinalised object: release its ID and destroy it. */
void ifd_obj_abort(struct ifd_obj *o, struct kcall *c)
{
	o->ictx->objs[o->id] = NULL;
	obj_destroy(o, c);
}

struct ifd_obj *ifd_obj_get(struct ictx *x, uint32_t id, enum ifd_type t, struct kcall *c)
{
	ktime_charge(c, x->s->env.t.obj_op);
	if (id == 0 || id >= x->nobjs)
		return NULL;
	struct ifd_obj *o = x->objs[id];
	if (!o || o == IFD_TOMBSTONE || o == IFD_RESERVED)
		return NULL;
	if (t != IFD_ANY && o->type != t)
		return NULL;
	return o;
}

/* Remove a finalised object whose users just dropped to 1 (auto domains). */
static void obj_put_and_try_destroy(struct ifd_obj *o, struct kcall *c)
{
	o->users--;
	if (o->users == 1) {
		o->ictx->objs[o->id] = NULL;
		obj_destroy(o, c);
	}
}

/* ------------------------------------------------------------------ */
/* per-type destruction                                                 */

static void hwpt_list_remove(struct ifd_ioas *ioas, struct ifd_hwpt *h)
{
	for (size_t i = 0; i < ioas->nhwpts; i++)
		if (ioas->hwpts[i] == h) {
			memmove(&ioas->hwpts[i], &ioas->hwpts[i + 1],
			        (ioas->nhwpts - i - 1) * sizeof(*ioas->hwpts));
			ioas->nhwpts--;
			return;
		}
}

static int hwpt_list_add(struct ifd_ioas *ioas, struct ifd_hwpt *h)
{
	if (ioas->nhwpts == ioas->caphwpts) {
		size_t nc = ioas->caphwpts ? ioas->caphwpts * 2 : 4;
		struct ifd_hwpt **n = realloc(ioas->hwpts, nc * sizeof(*n));
		if (!n)
			return -ENOMEM;
		ioas->hwpts = n;
		ioas->caphwpts = nc;
	}
	ioas->hwpts[ioas->nhwpts++] = h;
	return 0;
}

static bool hwpt_listed(struct ifd_ioas *ioas, struct ifd_hwpt *h)
{
	for (size_t i = 0; i < ioas->nhwpts; i++)
		if (ioas->hwpts[i] == h)
			return true;
	return false;
}

static void obj_destroy(struct ifd_obj *o, struct kcall *c)
{
	struct shim *s = o->ictx->s;
	ktime_charge(c, s->env.t.obj_op);
	switch (o->type) {
	case IFD_IOAS: {
		struct ifd_ioas *ioas = (struct ifd_ioas *)o;
		if (o->ictx->vfio_ioas == ioas)
			o->ictx->vfio_ioas = NULL;
		iopt_destroy(&ioas->iopt, c);
		free(ioas->hwpts);
		break;
	}
	case IFD_HWPT_PAGING: {
		struct ifd_hwpt *h = (struct ifd_hwpt *)o;
		if (h->ioas && hwpt_listed(h->ioas, h)) {
			hwpt_list_remove(h->ioas, h);
			iopt_remove_domain(&h->ioas->iopt, h->domain, c);
		}
		if (h->domain)
			arm_smmu_domain_free(h->domain, c);
		if (h->fault)
			h->fault->obj.users--;
		if (h->ioas)
			h->ioas->obj.users--;
		break;
	}
	case IFD_HWPT_NESTED: {
		struct ifd_hwpt *h = (struct ifd_hwpt *)o;
		if (h->domain)
			arm_smmu_domain_free(h->domain, c);
		if (h->fault)
			h->fault->obj.users--;
		if (h->viommu)
			h->viommu->obj.users--;
		else if (h->parent)
			h->parent->obj.users--;
		break;
	}
	case IFD_VIOMMU: {
		struct ifd_viommu *v = (struct ifd_viommu *)o;
		if (v->vsmmu)
			arm_vsmmu_free(v->vsmmu, c);
		if (v->hwpt)
			v->hwpt->obj.users--;
		break;
	}
	case IFD_VDEVICE: {
		struct ifd_vdevice *vd = (struct ifd_vdevice *)o;
		if (vd->viommu) {
			if (vd->idev && vd->viommu->vsmmu)
				arm_vsmmu_vdevice_unset(vd->viommu->vsmmu, vd->idev->dev->master);
			vd->viommu->obj.users--;
		}
		if (vd->idev) {
			vd->idev->vdev = NULL;
			vd->idev->obj.users--;
		}
		break;
	}
	case IFD_VEVENTQ: {
		struct ifd_veventq *q = (struct ifd_veventq *)o;
		free(q->q);
		if (q->viommu) {
			if (q->type < 3)
				q->viommu->veventqs[q->type] = NULL;
			q->viommu->obj.users--;
		}
		break;
	}
	case IFD_DEVICE:
		free(((struct ifd_device *)o)->pas);
		break;
	case IFD_FAULT:
		iommufd_fault_auto_response((struct ifd_fault *)o, NULL, c);
		break;
	case IFD_ANY:
		break;
	}
	free(o);
}

/* ------------------------------------------------------------------ */
/* ucmd                                                                 */

int ifd_respond(struct ucmd *u, size_t len)
{
	size_t n = u->user_size < len ? u->user_size : len;
	return shim_copy_to_user(u->s, u->p, u->ubuf, u->cmd, n) ? -EFAULT : 0;
}

struct ifd_device *ifd_get_device(struct ucmd *u, uint32_t id)
{
	return (struct ifd_device *)ifd_obj_get(u->x, id, IFD_DEVICE, u->c);
}

/* ------------------------------------------------------------------ */
/* IOAS commands                                                        */

static int prot_of(uint32_t flags)
{
	int p = 0;
	if (flags & IOMMU_IOAS_MAP_WRITEABLE)
		p |= ARM_SMMU_PROT_WRITE;
	if (flags & IOMMU_IOAS_MAP_READABLE)
		p |= ARM_SMMU_PROT_READ;
	return p;
}

static struct ifd_ioas *ioas_alloc(struct ictx *x, struct kcall *c, int *rc)
{
	struct ifd_ioas *ioas = ifd_obj_alloc(x, sizeof(*ioas), IFD_IOAS, c, rc);
	if (!ioas)
		return NULL;
	iopt_init(&ioas->iopt, x->s);
	ioas->iopt.account_mode = x->account_mode;
	ioas->iopt.proc = x->proc;
	return ioas;
}

static int cmd_ioas_alloc(struct ucmd *u)
{
	struct u_ioas_alloc *cmd = u->cmd;
	if (cmd->flags)
		return -EOPNOTSUPP;
	int rc;
	struct ifd_ioas *ioas = ioas_alloc(u->x, u->c, &rc);
	if (!ioas)
		return rc;
	cmd->out_ioas_id = ioas->obj.id;
	rc = ifd_respond(u, sizeof(*cmd));
	if (rc) {
		ifd_obj_abort(&ioas->obj, u->c);
		return rc;
	}
	ifd_obj_finalize(&ioas->obj);
	return 0;
}

static struct ifd_ioas *get_ioas(struct ucmd *u, uint32_t id)
{
	return (struct ifd_ioas *)ifd_obj_get(u->x, id, IFD_IOAS, u->c);
}

static int cmd_ioas_map(struct ucmd *u)
{
	struct u_ioas_map *cmd = u->cmd;
	if ((cmd->flags &
	     ~(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)) ||
	    cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->iova >= UINT64_MAX || cmd->length >= UINT64_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;
	struct ifd_ioas *ioas = get_ioas(u, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	unsigned fl = (cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA) ? 0 : IOPT_ALLOC_IOVA;
	uint64_t iova = cmd->iova;
	int rc = iopt_map_user(&ioas->iopt, u->p, &iova, cmd->user_va, cmd->length,
	                       prot_of(cmd->flags), fl, u->c);
	if (rc)
		return rc;
	cmd->iova = iova;
	return ifd_respond(u, sizeof(*cmd));
}

static int cmd_ioas_map_file(struct ucmd *u)
{
	struct u_ioas_map_file *cmd = u->cmd;
	/* iommufd_ioas_map_file(): unknown flags before the range. */
	if (cmd->flags &
	    ~(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE))
		return -EOPNOTSUPP;
	if (cmd->iova >= UINT64_MAX || cmd->length >= UINT64_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;
	struct ifd_ioas *ioas = get_ioas(u, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	/* Only memfd-like files can be pinned (memfd_pin_folios): the emulated
	 * kernel's own, or the program's (under LD_PRELOAD). */
	struct shim_backing *b;
	uint64_t size;
	int rc = shim_memfd_get(u->s, u->p, cmd->fd, &b, &size);
	if (rc)
		return rc;
	unsigned fl = (cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA) ? 0 : IOPT_ALLOC_IOVA;
	uint64_t iova = cmd->iova;
	rc = iopt_map_file(&ioas->iopt, b, size, cmd->start, &iova, cmd->length,
	                   prot_of(cmd->flags), fl, u->c);
	shim_backing_put(u->s, b);
	if (rc)
		return rc;
	cmd->iova = iova;
	return ifd_respond(u, sizeof(*cmd));
}

static int cmd_ioas_unmap(struct ucmd *u)
{
	struct u_ioas_unmap *cmd = u->cmd;
	struct ifd_ioas *ioas = get_ioas(u, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	uint64_t unmapped = 0;
	int rc;
	if (cmd->iova == 0 && cmd->length == UINT64_MAX) {
		rc = iopt_unmap_all(&ioas->iopt, &unmapped, u->c);
	} else {
		if (cmd->iova >= UINT64_MAX || cmd->length >= UINT64_MAX)
			return -EOVERFLOW;
		rc = iopt_unmap(&ioas->iopt, cmd->iova, cmd->length, &unmapped, u->c);
	}
	if (rc)
		return rc;
	cmd->length = unmapped;
	return ifd_respond(u, sizeof(*cmd));
}

static int cmd_ioas_copy(struct ucmd *u)
{
	struct u_ioas_copy *cmd = u->cmd;
	if (cmd->flags &
	    ~(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE))
		return -EOPNOTSUPP;
	if (cmd->length >= UINT64_MAX || cmd->src_iova >= UINT64_MAX || cmd->dst_iova >= UINT64_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;
	struct ifd_ioas *src = get_ioas(u, cmd->src_ioas_id);
	if (!src)
		return -ENOENT;
	/* iopt_get_pages() validates the source before the destination is
	 * looked up. */
	if (!cmd->length)
		return -EINVAL;
	uint64_t last;
	if (__builtin_add_overflow(cmd->src_iova, cmd->length - 1, &last))
		return -EOVERFLOW;
	struct ifd_ioas *dst = get_ioas(u, cmd->dst_ioas_id);
	if (!dst)
		return -ENOENT;
	unsigned fl = (cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA) ? 0 : IOPT_ALLOC_IOVA;
	uint64_t iova = cmd->dst_iova;
	int rc = iopt_copy(&dst->iopt, &src->iopt, cmd->src_iova, cmd->length, &iova,
	                   prot_of(cmd->flags), fl, u->c);
	if (rc)
		return rc;
	cmd->dst_iova = iova;
	return ifd_respond(u, sizeof(*cmd));
}

static int cmd_ioas_iova_ranges(struct ucmd *u)
{
	struct u_ioas_iova_ranges *cmd = u->cmd;
	if (cmd->__reserved)
		return -EOPNOTSUPP;
	struct ifd_ioas *ioas = get_ioas(u, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	uint32_t max = cmd->num_iovas;
	size_t n = iopt_holes(&ioas->iopt, NULL, 0);
	struct iopt_range *r = calloc(n ? n : 1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	iopt_holes(&ioas->iopt, r, n);
	cmd->num_iovas = 0;
	cmd->out_iova_alignment = ioas->iopt.iova_alignment;
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (cmd->num_iovas < max) {
			struct u_iova_range e = {r[i].start, r[i].last};
			if (shim_copy_to_user(u->s, u->p,
			                      cmd->allowed_iovas + 16ull * cmd->num_iovas, &e,
			                      sizeof(e))) {
				rc = -EFAULT;
				break;
			}
		}
		cmd->num_iovas++;
	}
	free(r);
	if (rc)
		return rc;
	rc = ifd_respond(u, sizeof(*cmd));
	if (rc)
		return rc;
	return cmd->num_iovas > max ? -EMSGSIZE : 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct iopt_range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int cmd_ioas_allow_iovas(struct ucmd *u)
{
	struct u_ioas_allow_iovas *cmd = u->cmd;
	if (cmd->__reserved)
		return -EOPNOTSUPP;
	struct ifd_ioas *ioas = get_ioas(u, cmd->ioas_id);
	if (!ioas)
		return -ENOENT;
	/* Ranges are read one at a time (an interval tree node each), so a
	 * bogus count fails at the first unreadable entry. */
	struct iopt_range *r = NULL;
	size_t cap = 0;
	int rc = 0;
	for (uint32_t i = 0; i < cmd->num_iovas && !rc; i++) {
		struct u_iova_range e;
		if (shim_copy_from_user(u->s, u->p, &e, cmd->allowed_iovas + 16ull * i,
		                        sizeof(e))) {
			rc = -EFAULT;
			break;
		}
		if (i == cap) {
			size_t nc = cap ? cap * 2 : 8;
			struct iopt_range *nr = realloc(r, nc * sizeof(*nr));
			if (!nr) {
				rc = -ENOMEM;
				break;
			}
			r = nr;
			cap = nc;
		}
		if (e.start >= e.last) {
			rc = -EINVAL;
			break;
		}
		for (uint32_t k = 0; k < i; k++)
			if (r[k].start <= e.last && e.start <= r[k].last)
				rc = -EINVAL;
		r[i] = (struct iopt_range){e.start, e.last, NULL};
	}
	if (!rc) {
		if (r)
			qsort(r, cmd->num_iovas, sizeof(*r), cmp_range);
		rc = iopt_set_allowed(&ioas->iopt, r, cmd->num_iovas);
	}
	free(r);
	return rc;
}

static bool ictx_empty(const struct ictx *x)
{
	for (uint32_t i = 1; i < x->nobjs; i++)
		if (x->objs[i])
			return false;
	return true;
}

static int cmd_option(struct ucmd *u)
{
	struct u_option *cmd = u->cmd;
	if (cmd->__reserved)
		return -EOPNOTSUPP;
	int rc;
	switch (cmd->option_id) {
	case IOMMU_OPTION_RLIMIT_MODE:
		if (cmd->object_id)
			return -EOPNOTSUPP;
		if (cmd->op == IOMMU_OPTION_OP_GET) {
			cmd->val64 = u->x->account_mode == IOPT_ACCOUNT_MM;
			rc = 0;
		} else if (cmd->op == IOMMU_OPTION_OP_SET) {
			/* CAP_SYS_RESOURCE: simulated VMMs have it. */
			if (!ictx_empty(u->x))
				return -EBUSY;
			if (cmd->val64 == 0)
				u->x->account_mode = IOPT_ACCOUNT_USER;
			else if (cmd->val64 == 1)
				u->x->account_mode = IOPT_ACCOUNT_MM;
			else
				return -EINVAL;
			rc = 0;
		} else {
			return -EOPNOTSUPP;
		}
		break;
	case IOMMU_OPTION_HUGE_PAGES: {
		struct ifd_ioas *ioas = get_ioas(u, cmd->object_id);
		if (!ioas)
			return -ENOENT;
		if (cmd->op == IOMMU_OPTION_OP_GET) {
			cmd->val64 = !ioas->iopt.disable_large_pages;
			rc = 0;
		} else if (cmd->op == IOMMU_OPTION_OP_SET) {
			if (cmd->val64 == 0)
				rc = iopt_disable_large(&ioas->iopt);
			else if (cmd->val64 == 1) {
				iopt_enable_large(&ioas->iopt);
				rc = 0;
			} else
				rc = -EINVAL;
		} else {
			rc = -EOPNOTSUPP;
		}
		break;
	}
	default:
		return -EOPNOTSUPP;
	}
	if (rc)
		return rc;
	/* Only val64 is written back. */
	if (shim_copy_to_user(u->s, u->p, u->ubuf + offsetof(struct u_option, val64), &cmd->val64,
	                      8))
		return -EFAULT;
	return 0;
}

static int cmd_change_process(struct ucmd *u)
{
	struct u_ioas_change_process *cmd = u->cmd;
	if (cmd->__reserved)
		return -EOPNOTSUPP;
	struct ictx *x = u->x;
	/* Only file-backed mappings can move to another mm: any other is
	 * EINVAL, even from the process that owns them (no shortcut in 7.0). */
	for (uint32_t i = 1; i < x->nobjs; i++) {
		struct ifd_obj *o = x->objs[i];
		if (o && o != IFD_TOMBSTONE && o != IFD_RESERVED && o->type == IFD_IOAS &&
		    iopt_has_user_pages(&((struct ifd_ioas *)o)->iopt))
			return -EINVAL;
	}
	if (x->proc == u->p)
		return 0;
	for (uint32_t i = 1; i < x->nobjs; i++) {
		struct ifd_obj *o = x->objs[i];
		if (o && o != IFD_TOMBSTONE && o != IFD_RESERVED && o->type == IFD_IOAS)
			iopt_change_process(&((struct ifd_ioas *)o)->iopt, u->p);
	}
	x->proc = u->p;
	return 0;
}

/* ------------------------------------------------------------------ */
/* devices: attach / replace / detach                                   */

static void resv_remove(struct ifd_device *idev)
{
	if (idev->resv_iopt) {
		iopt_remove_reserved(idev->resv_iopt, idev);
		idev->resv_iopt = NULL;
	}
}

static int resv_add(struct ifd_device *idev, struct ifd_ioas *ioas, struct kcall *c)
{
	struct iopt *t = &ioas->iopt;
	if (idev->resv_iopt == t)
		return 0;
	/* arm_smmu_get_resv_regions(): the SW MSI window. */
	int rc = iopt_reserve(t, ARM_SMMU_MSI_IOVA_BASE,
	                      ARM_SMMU_MSI_IOVA_BASE + ARM_SMMU_MSI_IOVA_LENGTH - 1, idev);
	if (rc == -EADDRINUSE)
		kcall_why(c,
		          "IOAS %u maps IOVA in the device's reserved range 0x%llx-0x%llx (the SMMU "
		          "driver's software MSI window, arm_smmu_get_resv_regions)",
		          ioas->obj.id, (unsigned long long)ARM_SMMU_MSI_IOVA_BASE,
		          (unsigned long long)(ARM_SMMU_MSI_IOVA_BASE + ARM_SMMU_MSI_IOVA_LENGTH - 1));
	return rc;
}

static int hwpt_enforce_cc(struct ifd_hwpt *h)
{
	if (h->enforce_cc)
		return 0;
	h->enforce_cc = arm_smmu_domain_enforce_cc(h->domain);
	return h->enforce_cc ? 0 : -EINVAL;
}

static struct ifd_pasid_att *pas_find(const struct ifd_device *idev, uint32_t pasid)
{
	for (size_t i = 0; i < idev->npas; i++)
		if (idev->pas[i].pasid == pasid)
			return &idev->pas[i];
	return NULL;
}

struct ifd_hwpt *iommufd_device_pt(const struct ifd_device *idev, uint32_t pasid)
{
	if (!idev)
		return NULL;
	if (!pasid)
		return idev->hwpt;
	const struct ifd_pasid_att *a = pas_find(idev, pasid);
	return a ? a->hwpt : NULL;
}

/* iommufd_hwpt_pasid_compat(): a PASID needs a PASID-capable HWPT, and so
 * does the RID while any PASID is attached (the PASIDs' CD table hangs off
 * the RID's STE). */
static int hwpt_pasid_compat(const struct ifd_hwpt *h, const struct ifd_device *idev,
                             uint32_t pasid)
{
	if (!pasid)
		return !h->pasid_compat && idev->npas ? -EINVAL : 0;
	if (!h->pasid_compat)
		return -EINVAL;
	if (idev->hwpt && !idev->hwpt->pasid_compat)
		return -EINVAL;
	return 0;
}

/* iommufd_hw_pagetable_attach() + iommufd_device_do_attach(). */
static int hwpt_attach(struct ifd_hwpt *h, struct ifd_device *idev, struct kcall *c)
{
	if (idev->hwpt)
		return -EINVAL;
	bool paging = h->obj.type == IFD_HWPT_PAGING;
	int rc;
	if (paging && idev->enforce_cc && (rc = hwpt_enforce_cc(h)))
		return rc;
	struct iopt *t = paging ? &h->ioas->iopt : NULL;
	bool added = false;
	if (t) {
		if ((rc = resv_add(idev, h->ioas, c)))
			return rc;
		added = true;
	}
	rc = hwpt_pasid_compat(h, idev, 0);
	if (!rc)
		rc = arm_smmu_attach_dev(h->domain, idev->dev->master, c);
	if (rc) {
		if (added)
			iopt_remove_reserved(t, idev);
		return rc;
	}
	if (t)
		idev->resv_iopt = t;
	idev->hwpt = h;
	h->obj.users++;
	return 0;
}

static void hwpt_put(struct ifd_hwpt *h, struct kcall *c)
{
	if (h->obj.type == IFD_HWPT_PAGING && h->auto_domain)
		obj_put_and_try_destroy(&h->obj, c);
	else
		h->obj.users--;
}

/* iommufd_device_do_replace(). */
static int hwpt_replace(struct ifd_hwpt *h, struct ifd_device *idev, struct kcall *c)
{
	struct ifd_hwpt *old = idev->hwpt;
	if (!old)
		return -EINVAL;
	if (old == h)
		return 0;
	bool paging = h->obj.type == IFD_HWPT_PAGING;
	int rc;
	if (paging && idev->enforce_cc && (rc = hwpt_enforce_cc(h)))
		return rc;
	struct iopt *nt = paging ? &h->ioas->iopt : NULL;
	struct iopt *ot = idev->resv_iopt;
	bool added = false;
	if (nt && nt != ot) {
		if ((rc = resv_add(idev, h->ioas, c)))
			return rc;
		added = true;
	}
	rc = hwpt_pasid_compat(h, idev, 0);
	if (!rc)
		rc = arm_smmu_attach_dev(h->domain, idev->dev->master, c);
	if (rc) {
		if (added)
			iopt_remove_reserved(nt, idev);
		return rc;
	}
	if (ot && ot != nt)
		iopt_remove_reserved(ot, idev);
	idev->resv_iopt = nt;
	h->obj.users++;
	idev->hwpt = h;
	iommufd_fault_detach_dev(old, idev, c);
	hwpt_put(old, c);
	return 0;
}

/* iommu_attach_device_pasid / iommu_replace_device_pasid for one device:
 * the core's checks, then the driver's set_dev_pasid. */
static int core_set_pasid(struct ifd_hwpt *h, struct ifd_device *idev, uint32_t pasid,
                          struct kcall *c)
{
	/* only paging domains have set_dev_pasid (not arm_smmu_nested_ops) */
	if (h->obj.type != IFD_HWPT_PAGING)
		return -EOPNOTSUPP;
	/* dev->iommu->max_pasids: the PCI PASID capability and the SMMU's
	 * SSIDSIZE; a device without the capability (0) is skipped, as 7.0
	 * does for every device of the group ("Skip PASID validation for
	 * devices without PASID capability"), and nothing is programmed. */
	struct shim_dev *d = idev->dev;
	uint64_t max = 0;
	if (d->ssid_bits) {
		unsigned bits = d->ssid_bits < arm_smmu_ssid_bits(arm_smmu_master_smmu(d->master))
		                    ? d->ssid_bits
		                    : arm_smmu_ssid_bits(arm_smmu_master_smmu(d->master));
		max = 1ull << bits;
	}
	if (max && pasid >= max)
		return -EINVAL;
	if (!max)
		return 0;
	return arm_smmu_set_dev_pasid(h->domain, d->master, pasid, c);
}

static int hwpt_attach_pasid(struct ifd_hwpt *h, struct ifd_device *idev, uint32_t pasid,
                             struct kcall *c)
{
	if (pas_find(idev, pasid))
		return -EBUSY; /* xa_insert of the device under that PASID */
	int rc;
	if (h->obj.type == IFD_HWPT_PAGING && idev->enforce_cc && (rc = hwpt_enforce_cc(h)))
		return rc;
	if ((rc = hwpt_pasid_compat(h, idev, pasid)))
		return rc;
	if (idev->npas == idev->cappas) {
		size_t nc = idev->cappas ? 2 * idev->cappas : 4;
		struct ifd_pasid_att *n = realloc(idev->pas, nc * sizeof(*n));
		if (!n)
			return -ENOMEM;
		idev->pas = n;
		idev->cappas = nc;
	}
	if ((rc = core_set_pasid(h, idev, pasid, c)))
		return rc;
	idev->pas[idev->npas].pasid = pasid;
	idev->pas[idev->npas].hwpt = h;
	idev->npas++;
	h->obj.users++;
	return 0;
}

static int hwpt_replace_pasid(struct ifd_hwpt *h, struct ifd_device *idev, uint32_t pasid,
                              struct kcall *c)
{
	struct ifd_pasid_att *a = pas_find(idev, pasid);
	if (!a)
		return -EINVAL; /* !iommufd_device_is_attached(idev, pasid) */
	struct ifd_hwpt *old = a->hwpt;
	if (old == h)
		return 0;
	int rc;
	if (h->obj.type == IFD_HWPT_PAGING && idev->enforce_cc && (rc = hwpt_enforce_cc(h)))
		return rc;
	if ((rc = hwpt_pasid_compat(h, idev, pasid)))
		return rc;
	if ((rc = core_set_pasid(h, idev, pasid, c)))
		return rc;
	a->hwpt = h;
	h->obj.users++;
	hwpt_put(old, c);
	return 0;
}

static void kvm_ref_get(void *k)
{
	shim_kvm_get(k);
}
static void kvm_ref_put(void *k, struct kcall *c)
{
	shim_kvm_put(k, c);
}

/* Who a stage-2 context is for (policy.vmid): the KVM the device captured
 * at bind (the pinned-VMID RFC's iommufd_device kvm pointer), and an owner
 * label, the VM's or else the process's. */
void iommufd_vmid_req(struct ictx *x, struct ifd_device *idev, struct arm_smmu_vmid_req *r)
{
	struct shim_kvm *kvm = shim_dev_kvm(idev->dev);
	r->kvm = kvm ? shim_kvm_vmid(kvm) : NULL;
	r->owner = kvm ? shim_kvm_name(kvm) : x->proc ? x->proc->name : "";
	r->kvm_obj = kvm;
	r->kvm_get = kvm_ref_get;
	r->kvm_put = kvm_ref_put;
}

static int hwpt_paging_alloc(struct ictx *x, struct ifd_ioas *ioas, struct ifd_device *idev,
                             uint32_t pasid, uint32_t flags, bool immediate_attach, bool user_data,
                             struct kcall *c, struct ifd_hwpt **out);

static int auto_get_domain(struct ifd_device *idev, uint32_t pasid, struct ifd_ioas *ioas,
                           uint32_t *pt_id, bool replace, struct kcall *c)
{
	for (size_t i = 0; i < ioas->nhwpts; i++) {
		struct ifd_hwpt *h = ioas->hwpts[i];
		if (!h->auto_domain)
			continue;
		int rc;
		if (pasid)
			rc = replace ? hwpt_replace_pasid(h, idev, pasid, c)
			             : hwpt_attach_pasid(h, idev, pasid, c);
		else
			rc = replace ? hwpt_replace(h, idev, c) : hwpt_attach(h, idev, c);
		/* -EINVAL: incompatible (another SMMU ...): try the next one. */
		if (rc == -EINVAL)
			continue;
		if (rc)
			return rc;
		*pt_id = h->obj.id;
		return 0;
	}
	/* An automatic domain is allocated without IOMMU_HWPT_ALLOC_PASID, so
	 * a PASID attach to an IOAS ends in -EINVAL (7.0 has no auto domain
	 * for PASIDs): user space must allocate one with the flag. */
	struct ifd_hwpt *h;
	int rc = hwpt_paging_alloc(idev->obj.ictx, ioas, idev, pasid, 0, !replace, false, c, &h);
	if (rc)
		return rc;
	if (replace) {
		rc = pasid ? hwpt_replace_pasid(h, idev, pasid, c) : hwpt_replace(h, idev, c);
		if (rc) {
			ifd_obj_abort(&h->obj, c);
			return rc;
		}
	}
	h->auto_domain = true;
	*pt_id = h->obj.id;
	ifd_obj_finalize(&h->obj);
	return 0;
}

int iommufd_device_attach(struct ifd_obj *o, uint32_t *pt_id, bool replace, struct kcall *c)
{
	return iommufd_device_pasid_attach(o, 0, pt_id, replace, c);
}

int iommufd_device_pasid_attach(struct ifd_obj *o, uint32_t pasid, uint32_t *pt_id,
                                bool replace, struct kcall *c)
{
	struct ifd_device *idev = (struct ifd_device *)o;
	struct ifd_obj *pt = ifd_obj_get(o->ictx, *pt_id, IFD_ANY, c);
	if (!pt)
		return -ENOENT;
	/* The device already attached under this PASID (xa_insert of its id):
	 * reachable for the RID only through VFIO's PASID flag with pasid 0. */
	if (!replace && (pasid ? pas_find(idev, pasid) != NULL : idev->hwpt != NULL))
		return -EBUSY;
	switch (pt->type) {
	case IFD_HWPT_PAGING:
	case IFD_HWPT_NESTED: {
		struct ifd_hwpt *h = (struct ifd_hwpt *)pt;
		if (pasid)
			return replace ? hwpt_replace_pasid(h, idev, pasid, c)
			               : hwpt_attach_pasid(h, idev, pasid, c);
		return replace ? hwpt_replace(h, idev, c) : hwpt_attach(h, idev, c);
	}
	case IFD_IOAS:
		return auto_get_domain(idev, pasid, (struct ifd_ioas *)pt, pt_id, replace, c);
	default:
		return -EINVAL;
	}
}

void iommufd_device_pasid_detach(struct ifd_obj *o, uint32_t pasid, struct kcall *c)
{
	struct ifd_device *idev = (struct ifd_device *)o;
	if (!pasid) {
		iommufd_device_detach(o, c);
		return;
	}
	struct ifd_pasid_att *a = pas_find(idev, pasid);
	if (!a)
		return;
	struct ifd_hwpt *h = a->hwpt;
	*a = idev->pas[--idev->npas];
	/* iommu_detach_device_pasid: the blocked domain's set_dev_pasid */
	arm_smmu_remove_dev_pasid(idev->dev->master, pasid, c);
	hwpt_put(h, c);
}

void iommufd_device_detach(struct ifd_obj *o, struct kcall *c)
{
	struct ifd_device *idev = (struct ifd_device *)o;
	struct ifd_hwpt *h = idev->hwpt;
	if (!h)
		return;
	/* The device is DMA-owned by user space: it goes to the blocking domain. */
	arm_smmu_attach_dev(arm_smmu_blocked_domain(), idev->dev->master, c);
	resv_remove(idev);
	idev->hwpt = NULL;
	iommufd_fault_detach_dev(h, idev, c);
	hwpt_put(h, c);
}

int shim_dev_claim_dma(struct shim_dev *d, struct kcall *c)
{
	if (d->owned)
		return -EBUSY;
	d->default_domain = arm_smmu_master_domain(d->master);
	int rc = arm_smmu_attach_dev(arm_smmu_blocked_domain(), d->master, c);
	if (rc)
		return rc;
	d->owned = true;
	return 0;
}

void shim_dev_release_dma(struct shim_dev *d, struct kcall *c)
{
	if (!d->owned)
		return;
	struct arm_smmu_domain *dd =
	    d->default_domain ? d->default_domain : arm_smmu_blocked_domain();
	arm_smmu_attach_dev(dd, d->master, c);
	d->owned = false;
	d->default_domain = NULL;
}

int iommufd_device_bind(struct ictx *x, struct shim_dev *d, struct vfio_df *df, uint32_t *id,
                        struct kcall *c)
{
	struct arm_smmu_device *smmu = arm_smmu_master_smmu(d->master);
	/* IOMMU_CAP_CACHE_COHERENCY: the SMMU must be coherent. */
	if (!shim_smmu_coherent(smmu))
		return -EINVAL;
	int rc = shim_dev_claim_dma(d, c);
	if (rc)
		return rc;
	struct ifd_device *idev = ifd_obj_alloc(x, sizeof(*idev), IFD_DEVICE, c, &rc);
	if (!idev) {
		shim_dev_release_dma(d, c);
		return rc;
	}
	idev->dev = d;
	idev->df = df;
	idev->enforce_cc = d->canwbs; /* IOMMU_CAP_ENFORCE_CACHE_COHERENCY */
	/* The VFIO driver is a user until unbind. */
	idev->obj.users++;
	ictx_get(x);
	ifd_obj_finalize(&idev->obj);
	d->idev = idev;
	*id = idev->obj.id;
	return 0;
}

void iommufd_device_unbind(struct ifd_obj *o, struct kcall *c)
{
	struct ifd_device *idev = (struct ifd_device *)o;
	struct ictx *x = o->ictx;
	/* iommufd_device_pre_destroy(): a vDEVICE still there is destroyed and
	 * its ID tombstoned (not reusable until the context closes). */
	if (idev->vdev) {
		struct ifd_vdevice *vd = idev->vdev;
		x->objs[vd->obj.id] = IFD_TOMBSTONE;
		obj_destroy(&vd->obj, c);
	}
	/* a caller that unbinds with PASIDs attached (VFIO detaches them
	 * first) would leak their HWPT references */
	while (idev->npas)
		iommufd_device_pasid_detach(o, idev->pas[0].pasid, c);
	x->objs[o->id] = NULL;
	idev->dev->idev = NULL;
	shim_dev_release_dma(idev->dev, c);
	obj_destroy(o, c);
	ictx_put(x, c);
}

/* ------------------------------------------------------------------ */
/* HWPT                                                                 */

static int hwpt_paging_alloc(struct ictx *x, struct ifd_ioas *ioas, struct ifd_device *idev,
                             uint32_t pasid, uint32_t flags, bool immediate_attach, bool user_data,
                             struct kcall *c, struct ifd_hwpt **out)
{
	const uint32_t valid = IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
	                       IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID;
	if (flags & ~valid)
		return -EOPNOTSUPP;
	/* IOMMU_CAP_DIRTY_TRACKING: HTTU dirty state and coherent walks. */
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    !arm_smmu_dbm_capable(arm_smmu_master_smmu(idev->dev->master)))
		return -EOPNOTSUPP;
	/* A nesting parent raises no faults of its own to report. */
	if ((flags & IOMMU_HWPT_FAULT_ID_VALID) && (flags & IOMMU_HWPT_ALLOC_NEST_PARENT))
		return -EOPNOTSUPP;
	int rc;
	struct ifd_hwpt *h = ifd_obj_alloc(x, sizeof(*h), IFD_HWPT_PAGING, c, &rc);
	if (!h)
		return rc;
	ioas->obj.users++;
	h->ioas = ioas;
	h->nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	h->pasid_compat = flags & IOMMU_HWPT_ALLOC_PASID;
	h->smmu = arm_smmu_master_smmu(idev->dev->master);
	if (user_data)
		rc = -EOPNOTSUPP;
	else
	{
		struct arm_smmu_vmid_req req;
		iommufd_vmid_req(x, idev, &req);
		rc = arm_smmu_domain_alloc_paging_req(idev->dev->master,
		                                      flags & ~IOMMU_HWPT_FAULT_ID_VALID, &req, c,
		                                      &h->domain);
	}
	if (rc) {
		h->domain = NULL;
		ifd_obj_abort(&h->obj, c);
		return rc;
	}
	if (idev->enforce_cc)
		hwpt_enforce_cc(h);
	if (immediate_attach &&
	    (rc = pasid ? hwpt_attach_pasid(h, idev, pasid, c) : hwpt_attach(h, idev, c))) {
		ifd_obj_abort(&h->obj, c);
		return rc;
	}
	rc = iopt_add_domain(&ioas->iopt, h->domain, c);
	if (!rc) {
		rc = hwpt_list_add(ioas, h);
		if (rc)
			iopt_remove_domain(&ioas->iopt, h->domain, c);
	}
	if (rc) {
		if (immediate_attach && pasid)
			iommufd_device_pasid_detach(&idev->obj, pasid, c);
		else if (immediate_attach)
			iommufd_device_detach(&idev->obj, c);
		ifd_obj_abort(&h->obj, c);
		return rc;
	}
	*out = h;
	return 0;
}

static int cmd_hwpt_alloc(struct ucmd *u)
{
	struct u_hwpt_alloc *cmd = u->cmd;
	if (cmd->__reserved)
		return -EOPNOTSUPP;
	if ((cmd->data_type == IOMMU_HWPT_DATA_NONE && cmd->data_len) ||
	    (cmd->data_type != IOMMU_HWPT_DATA_NONE && !cmd->data_len))
		return -EINVAL;
	struct ifd_device *idev = ifd_get_device(u, cmd->dev_id);
	if (!idev)
		return -ENOENT;
	struct ifd_obj *pt = ifd_obj_get(u->x, cmd->pt_id, IFD_ANY, u->c);
	if (!pt)
		return -EINVAL;
	struct ifd_hwpt *h = NULL;
	int rc;
	if (pt->type == IFD_IOAS) {
		rc = hwpt_paging_alloc(u->x, (struct ifd_ioas *)pt, idev, 0, cmd->flags, false,
		                       cmd->data_len != 0, u->c, &h);
		if (rc)
			return rc;
	} else if (pt->type == IFD_HWPT_PAGING) {
		/* arm-smmu-v3 allocates nested domains only through a vIOMMU
		 * (no domain_alloc_nested op). */
		return -EOPNOTSUPP;
	} else if (pt->type == IFD_VIOMMU) {
		struct ifd_viommu *v = (struct ifd_viommu *)pt;
		if (v->smmu != arm_smmu_master_smmu(idev->dev->master))
			return -EINVAL;
		if (cmd->flags & ~IOMMU_HWPT_FAULT_ID_VALID)
			return -EOPNOTSUPP;
		if (!cmd->data_len)
			return -EOPNOTSUPP;
		h = ifd_obj_alloc(u->x, sizeof(*h), IFD_HWPT_NESTED, u->c, &rc);
		if (!h)
			return rc;
		h->viommu = v;
		v->obj.users++;
		h->parent = v->hwpt;
		h->smmu = v->smmu;
		/* iommu_copy_struct_from_user(IOMMU_HWPT_DATA_ARM_SMMUV3, ste):
		 * the user's length between offsetofend(ste) and sizeof - both
		 * 16 - else EINVAL; a longer one never reaches copy_struct. */
		uint64_t vste[2] = {0, 0};
		if (cmd->data_type != IOMMU_HWPT_DATA_ARM_SMMUV3 || cmd->data_len != sizeof(vste))
			rc = -EINVAL;
		else
			rc = shim_copy_struct_from_user(u->s, u->p, vste, sizeof(vste),
			                                cmd->data_uptr, cmd->data_len);
		if (!rc)
			rc = arm_smmu_domain_alloc_nested(v->vsmmu, 0, vste, u->c, &h->domain);
		if (rc) {
			h->domain = NULL;
			ifd_obj_abort(&h->obj, u->c);
			return rc;
		}
	} else {
		return -EINVAL;
	}
	if (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID) {
		struct ifd_fault *f =
		    (struct ifd_fault *)ifd_obj_get(u->x, cmd->fault_id, IFD_FAULT, u->c);
		if (!f) {
			ifd_obj_abort(&h->obj, u->c);
			return -ENOENT;
		}
		h->fault = f;
		f->obj.users++;
	}
	cmd->out_hwpt_id = h->obj.id;
	rc = ifd_respond(u, sizeof(*cmd));
	if (rc) {
		ifd_obj_abort(&h->obj, u->c);
		return rc;
	}
	ifd_obj_finalize(&h->obj);
	return 0;
}

/* The gather of a dirty read: ranges only, no page size, as
 * iommu_dirty_bitmap_record() adds them (iommu_iotlb_gather_add_range). */
struct dirty_walk {
	struct ucmd *u;
	uint64_t iova;            /* the bitmap's first page */
	unsigned pgshift;         /* iova_bitmap: __ffs(page_size) */
	bool bitmap;              /* false: clearing only */
	uint64_t data;            /* the user's bitmap */
	int err;
	struct arm_smmu_gather gather;
};

/* iova_bitmap_set: bits for every page_size page of [iova, iova + size)
 * that the bitmap covers, set in the user's u64 words (read-modify-write:
 * bits already set stay). */
static void dirty_record(void *ctx, uint64_t iova, uint64_t size)
{
	struct dirty_walk *w = ctx;
	if (iova < w->gather.start)
		w->gather.start = iova;
	if (iova + size - 1 > w->gather.end)
		w->gather.end = iova + size - 1;
	if (!w->bitmap || w->err)
		return;
	uint64_t first = iova < w->iova ? 0 : (iova - w->iova) >> w->pgshift;
	uint64_t last = (iova + size - 1 - w->iova) >> w->pgshift;
	for (uint64_t b = first; b <= last; b++) {
		uint64_t word = 0, at = w->data + 8 * (b / 64);
		if (shim_copy_from_user(w->u->s, w->u->p, &word, at, 8)) {
			w->err = -EFAULT;
			return;
		}
		word |= 1ull << (b % 64);
		if (shim_copy_to_user(w->u->s, w->u->p, at, &word, 8)) {
			w->err = -EFAULT;
			return;
		}
	}
}

/* iopt_clear_dirty_data / __iommu_read_and_clear_dirty over the areas of
 * [iova, last]: the contiguous areas from iova (-EINVAL at a hole, after
 * reading what came before it); then iommu_iotlb_sync of the gather unless
 * no_clear, whatever happened. */
static int dirty_walk_areas(struct iopt *t, struct arm_smmu_domain *d, uint64_t iova,
                            uint64_t last, bool whole, bool no_clear, struct dirty_walk *w,
                            struct kcall *c)
{
	w->gather.start = ~0ull;
	w->gather.end = 0;
	w->gather.pgsize = 0;
	int rc = 0;
	if (whole) {
		for (size_t i = 0; i < t->nareas && !rc; i++) {
			const struct iopt_area *a = &t->areas[i];
			rc = arm_smmu_read_and_clear_dirty(d, a->iova, a->last - a->iova + 1, no_clear,
			                                   dirty_record, w, c);
		}
	} else {
		uint64_t cur = iova;
		bool done = false;
		for (size_t i = 0; i < t->nareas && !done && !rc; i++) {
			const struct iopt_area *a = &t->areas[i];
			if (a->last < cur)
				continue;
			if (a->iova > cur)
				break; /* a hole: !iopt_area_contig_done */
			uint64_t e = a->last < last ? a->last : last;
			rc = arm_smmu_read_and_clear_dirty(d, cur, e - cur + 1, no_clear, dirty_record,
			                                   w, c);
			if (!rc)
				rc = w->err;
			done = e == last;
			cur = e + 1;
		}
		if (!rc && !done)
			rc = -EINVAL;
	}
	/* arm_smmu_iotlb_sync: a gather without a page size invalidates
	 * nothing (Linux 7.0: iommu_dirty_bitmap_record never sets pgsize) */
	if (!no_clear)
		arm_smmu_iotlb_sync(d, &w->gather, c);
	return rc;
}

static int cmd_hwpt_set_dirty(struct ucmd *u)
{
	struct u_hwpt_set_dirty *cmd = u->cmd;
	if (cmd->flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE)
		return -EOPNOTSUPP;
	struct ifd_hwpt *h = (struct ifd_hwpt *)ifd_obj_get(u->x, cmd->hwpt_id, IFD_HWPT_PAGING,
	                                                    u->c);
	if (!h)
		return -ENOENT;
	/* iopt_set_dirty_tracking */
	if (!arm_smmu_domain_has_dirty_ops(h->domain))
		return -EOPNOTSUPP;
	bool enable = cmd->flags & IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
	if (enable) {
		/* "Clear dirty bits from PTEs to ensure a clean snapshot" */
		struct dirty_walk w = {.u = u};
		int rc = dirty_walk_areas(&h->ioas->iopt, h->domain, 0, 0, true, false, &w, u->c);
		if (rc)
			return rc;
	}
	/* arm_smmu_set_dirty_tracking: always on in hardware, nothing to do */
	h->dirty_tracking = enable;
	return 0;
}

static int cmd_hwpt_get_dirty(struct ucmd *u)
{
	struct u_hwpt_get_dirty_bitmap *cmd = u->cmd;
	if ((cmd->flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) || cmd->__reserved)
		return -EOPNOTSUPP;
	struct ifd_hwpt *h = (struct ifd_hwpt *)ifd_obj_get(u->x, cmd->hwpt_id, IFD_HWPT_PAGING,
	                                                    u->c);
	if (!h)
		return -ENOENT;
	struct iopt *t = &h->ioas->iopt;
	/* iommufd_check_iova_range (length 0 wraps: from IOVA 0 it is the
	 * whole space) */
	uint64_t last;
	if (__builtin_add_overflow(cmd->iova, cmd->length - 1, &last))
		return -EOVERFLOW;
	uint64_t align = t->iova_alignment ? t->iova_alignment : SHIM_PAGE;
	if ((cmd->iova & (align - 1)) || ((last + 1) & (align - 1)))
		return -EINVAL;
	if (!cmd->page_size)
		return -EINVAL;
	if ((cmd->iova & (cmd->page_size - 1)) || ((last + 1) & (cmd->page_size - 1)))
		return -EINVAL;
	/* iommu_read_and_clear_dirty */
	if (!arm_smmu_domain_has_dirty_ops(h->domain))
		return -EOPNOTSUPP;
	struct dirty_walk w = {.u = u, .iova = cmd->iova,
	                       .pgshift = (unsigned)__builtin_ctzll(cmd->page_size), .bitmap = true,
	                       .data = cmd->data};
	/* iova_bitmap_for_each pins the user's bitmap a window at a time and
	 * stops at the first page it cannot pin; the walk covers the IOVAs
	 * whose bits lie in the pages before it. Linux 7.0 drops the result
	 * of iova_bitmap_for_each: a bitmap that is not there, a hole in the
	 * range or a failed read still returns 0 (what was read before it is
	 * in the bitmap, and the clear is synced). */
	uint64_t bits = ((last - cmd->iova) >> w.pgshift) + 1;
	uint64_t need = bits / 8 + (bits % 8 != 0); /* bytes of bitmap */
	uint64_t have = 0;
	while (have < need) {
		uint8_t probe;
		if (shim_copy_from_user(u->s, u->p, &probe, cmd->data + have, 1))
			break;
		uint64_t next = ((cmd->data + have) | (SHIM_PAGE - 1)) + 1 - cmd->data;
		have = next < need ? next : need;
	}
	if (!have)
		return 0;
	uint64_t walk_last = last;
	if (have < need)
		walk_last = cmd->iova + ((have * 8) << w.pgshift) - 1;
	(void)dirty_walk_areas(t, h->domain, cmd->iova, walk_last, false,
	                       cmd->flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, &w, u->c);
	return 0;
}

/* ------------------------------------------------------------------ */
/* hw info                                                              */

static int cmd_get_hw_info(struct ucmd *u)
{
	struct u_hw_info *cmd = u->cmd;
	if (cmd->flags & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE)
		return -EOPNOTSUPP;
	if (cmd->__reserved[0] | cmd->__reserved[1] | cmd->__reserved[2])
		return -EOPNOTSUPP;
	if (!(cmd->flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE))
		cmd->data_type = IOMMU_HW_INFO_TYPE_DEFAULT;
	struct ifd_device *idev = ifd_get_device(u, cmd->dev_id);
	if (!idev)
		return -ENOENT;
	/* arm_smmu_hw_info(): only the default or the SMMUv3 type. */
	if (cmd->data_type != IOMMU_HW_INFO_TYPE_DEFAULT &&
	    cmd->data_type != IOMMU_HW_INFO_TYPE_ARM_SMMUV3)
		return -EOPNOTSUPP;
	struct arm_smmu_device *smmu = arm_smmu_master_smmu(idev->dev->master);
	struct arm_smmu_hw_regs regs;
	arm_smmu_get_hw_regs(smmu, &regs);
	struct u_hw_info_arm_smmuv3 info = {0};
	memcpy(info.idr, regs.idr, sizeof(info.idr));
	info.iidr = regs.iidr;
	info.aidr = regs.aidr;
	cmd->data_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	uint32_t data_len = sizeof(info);
	uint32_t copy_len = cmd->data_len < data_len ? cmd->data_len : data_len;
	if (shim_copy_to_user(u->s, u->p, cmd->data_uptr, &info, copy_len))
		return -EFAULT;
	if (copy_len < cmd->data_len &&
	    shim_clear_user(u->s, u->p, cmd->data_uptr + copy_len, cmd->data_len - copy_len))
		return -EFAULT;
	cmd->data_len = data_len;
	cmd->out_capabilities = 0;
	/* IOMMU_CAP_DIRTY_TRACKING */
	if (arm_smmu_dbm_capable(arm_smmu_master_smmu(idev->dev->master)))
		cmd->out_capabilities |= IOMMU_HW_CAP_DIRTY_TRACKING;
	cmd->out_max_pasid_log2 = 0;
	if (idev->dev->ssid_bits) {
		unsigned smmu_ssid = (regs.idr[1] >> 6) & 0x1f;
		cmd->out_max_pasid_log2 =
		    idev->dev->ssid_bits < smmu_ssid ? idev->dev->ssid_bits : smmu_ssid;
	}
	if (!idev->dev->ats)
		cmd->out_capabilities |= IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED;
	return ifd_respond(u, sizeof(*cmd));
}

/* ------------------------------------------------------------------ */
/* DESTROY and VFIO_IOAS                                                */

static int cmd_destroy(struct ucmd *u)
{
	struct u_destroy *cmd = u->cmd;
	struct ictx *x = u->x;
	ktime_charge(u->c, u->s->env.t.obj_op);
	if (cmd->id == 0 || cmd->id >= x->nobjs)
		return -ENOENT;
	struct ifd_obj *o = x->objs[cmd->id];
	if (!o || o == IFD_TOMBSTONE || o == IFD_RESERVED)
		return -ENOENT;
	if (o->users != 1)
		return -EBUSY;
	x->objs[cmd->id] = NULL;
	obj_destroy(o, u->c);
	return 0;
}

int iommufd_compat_ioas_create(struct ictx *x)
{
	if (x->vfio_ioas)
		return 0;
	struct kcall k;
	kcall_begin(&k, &x->s->env, 0);
	int rc;
	struct ifd_ioas *ioas = ioas_alloc(x, &k, &rc);
	kcall_end(&k);
	if (!ioas)
		return rc;
	ifd_obj_finalize(&ioas->obj);
	x->vfio_ioas = ioas;
	return 0;
}

struct ifd_ioas *iommufd_compat_ioas(struct ictx *x)
{
	return x->vfio_ioas;
}

int iommufd_ioas_pinned(struct ictx *x, uint32_t id, uint64_t *pages)
{
	if (id == 0 || id >= x->nobjs)
		return -ENOENT;
	struct ifd_obj *o = x->objs[id];
	if (!o || o == IFD_TOMBSTONE || o == IFD_RESERVED || o->type != IFD_IOAS)
		return -ENOENT;
	*pages = ((struct ifd_ioas *)o)->iopt.pinned_pages;
	return 0;
}

static int cmd_vfio_ioas(struct ucmd *u)
{
	struct u_vfio_ioas *cmd = u->cmd;
	if (cmd->__reserved)
		return -EOPNOTSUPP;
	switch (cmd->op) {
	case IOMMU_VFIO_IOAS_GET:
		if (!u->x->vfio_ioas)
			return -ENODEV;
		cmd->ioas_id = u->x->vfio_ioas->obj.id;
		return ifd_respond(u, sizeof(*cmd));
	case IOMMU_VFIO_IOAS_SET: {
		struct ifd_ioas *ioas = get_ioas(u, cmd->ioas_id);
		if (!ioas)
			return -ENOENT;
		u->x->vfio_ioas = ioas;
		return 0;
	}
	case IOMMU_VFIO_IOAS_CLEAR:
		u->x->vfio_ioas = NULL;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* ------------------------------------------------------------------ */
/* dispatch                                                             */

union ucmd_buffer {
	struct u_destroy destroy;
	struct u_ioas_alloc ioas_alloc;
	struct u_ioas_allow_iovas allow;
	struct u_ioas_copy copy;
	struct u_ioas_iova_ranges ranges;
	struct u_ioas_map map;
	struct u_ioas_map_file map_file;
	struct u_ioas_unmap unmap;
	struct u_option option;
	struct u_vfio_ioas vfio_ioas;
	struct u_hwpt_alloc hwpt;
	struct u_hw_info info;
	struct u_hwpt_set_dirty dirty;
	struct u_hwpt_get_dirty_bitmap bitmap;
	struct u_hwpt_invalidate inv;
	struct u_fault_alloc fault;
	struct u_viommu_alloc viommu;
	struct u_vdevice_alloc vdev;
	struct u_ioas_change_process chp;
	struct u_veventq_alloc veventq;
	struct u_hw_queue_alloc hwq;
};

struct ioctl_op {
	uint32_t size, min_size;
	unsigned long num;
	int (*fn)(struct ucmd *);
};

#define OP(num, st, last, fn)                                                                      \
	{                                                                                          \
		sizeof(struct st), U_OFFSETOFEND(struct st, last), num, fn                         \
	}

static const struct ioctl_op ops[] = {
    OP(IOMMU_DESTROY, u_destroy, id, cmd_destroy),
    OP(IOMMU_IOAS_ALLOC, u_ioas_alloc, out_ioas_id, cmd_ioas_alloc),
    OP(IOMMU_IOAS_ALLOW_IOVAS, u_ioas_allow_iovas, allowed_iovas, cmd_ioas_allow_iovas),
    OP(IOMMU_IOAS_COPY, u_ioas_copy, src_iova, cmd_ioas_copy),
    OP(IOMMU_IOAS_IOVA_RANGES, u_ioas_iova_ranges, out_iova_alignment, cmd_ioas_iova_ranges),
    OP(IOMMU_IOAS_MAP, u_ioas_map, iova, cmd_ioas_map),
    OP(IOMMU_IOAS_UNMAP, u_ioas_unmap, length, cmd_ioas_unmap),
    OP(IOMMU_OPTION, u_option, val64, cmd_option),
    OP(IOMMU_VFIO_IOAS, u_vfio_ioas, __reserved, cmd_vfio_ioas),
    OP(IOMMU_HWPT_ALLOC, u_hwpt_alloc, __reserved, cmd_hwpt_alloc),
    OP(IOMMU_GET_HW_INFO, u_hw_info, __reserved, cmd_get_hw_info),
    OP(IOMMU_HWPT_SET_DIRTY_TRACKING, u_hwpt_set_dirty, __reserved, cmd_hwpt_set_dirty),
    OP(IOMMU_HWPT_GET_DIRTY_BITMAP, u_hwpt_get_dirty_bitmap, data, cmd_hwpt_get_dirty),
    OP(IOMMU_HWPT_INVALIDATE, u_hwpt_invalidate, __reserved, cmd_hwpt_invalidate),
    OP(IOMMU_FAULT_QUEUE_ALLOC, u_fault_alloc, out_fault_fd, cmd_fault_alloc),
    OP(IOMMU_IOAS_MAP_FILE, u_ioas_map_file, iova, cmd_ioas_map_file),
    OP(IOMMU_VIOMMU_ALLOC, u_viommu_alloc, out_viommu_id, cmd_viommu_alloc),
    OP(IOMMU_VDEVICE_ALLOC, u_vdevice_alloc, virt_id, cmd_vdevice_alloc),
    OP(IOMMU_IOAS_CHANGE_PROCESS, u_ioas_change_process, __reserved, cmd_change_process),
    OP(IOMMU_VEVENTQ_ALLOC, u_veventq_alloc, out_veventq_fd, cmd_veventq_alloc),
    OP(IOMMU_HW_QUEUE_ALLOC, u_hw_queue_alloc, length, cmd_hw_queue_alloc),
};
_Static_assert(sizeof(ops) / sizeof(ops[0]) == IOMMUFD_CMD_LAST - IOMMUFD_CMD_BASE + 1,
               "one op per number 0x80..0x94");

/*
 * IOMMU_TEST_CMD (CONFIG_IOMMUFD_TEST, kernel.iommufd_test=on): the ops the
 * kernel's iommufd selftest needs without its mock device, as
 * drivers/iommu/iommufd/selftest.c answers them. The mock device's ops
 * (MOCK_DOMAIN, CREATE_ACCESS, ...) are not emulated: EOPNOTSUPP, logged.
 */
struct u_test_cmd {
	uint32_t size, op, id, __reserved;
	union {
		struct {
			uint64_t start, length;
		} add_reserved;
		struct {
			uint64_t length, uptr;
			uint32_t refs;
		} check_refs;
		struct {
			uint32_t limit;
		} memory_limit;
		uint64_t raw[6];
	};
	uint32_t last;
};
#define IOMMU_TEST_CMD_NR 0xa0u
enum { TEST_OP_ADD_RESERVED = 1, TEST_OP_MD_CHECK_REFS = 4, TEST_OP_SET_TEMP_MEMORY_LIMIT = 9 };

static int test_cmd(struct ucmd *u)
{
	static const char *const names[] = {
	    NULL, "ADD_RESERVED", "MOCK_DOMAIN", "MD_CHECK_MAP", "MD_CHECK_REFS", "CREATE_ACCESS",
	    "DESTROY_ACCESS_PAGES", "ACCESS_PAGES", "ACCESS_RW", "SET_TEMP_MEMORY_LIMIT",
	    "MOCK_DOMAIN_REPLACE", "ACCESS_REPLACE_IOAS", "MOCK_DOMAIN_FLAGS", "DIRTY",
	    "MD_CHECK_IOTLB", "TRIGGER_IOPF",
	};
	struct u_test_cmd *cmd = u->cmd;
	static const int owner_tag = 0;
	switch (cmd->op) {
	case TEST_OP_ADD_RESERVED: {
		uint64_t start = cmd->add_reserved.start, len = cmd->add_reserved.length;
		if (!len)
			return -EINVAL;
		if (start + (len - 1) < start)
			return -EOVERFLOW;
		struct ifd_ioas *ioas = get_ioas(u, cmd->id);
		if (!ioas)
			return -ENOENT;
		return iopt_reserve(&ioas->iopt, start, start + len - 1, &owner_tag);
	}
	case TEST_OP_MD_CHECK_REFS: {
		uint64_t va = cmd->check_refs.uptr, len = cmd->check_refs.length;
		if (len % SHIM_PAGE || va % SHIM_PAGE || va + len < va)
			return -EINVAL;
		const struct shim_host_ops *o = &u->s->ops;
		bool ask = o->size >= offsetof(struct shim_host_ops, user_mapped) + sizeof(void *) &&
		           o->user_mapped;
		for (; len; len -= SHIM_PAGE, va += SHIM_PAGE) {
			/* get_user_pages_fast: a hole is EFAULT */
			if (ask && o->user_mapped(u->s->host, va, SHIM_PAGE))
				return -EFAULT;
			if (shim_proc_pins_of(u->p, va) != cmd->check_refs.refs)
				return -EIO;
		}
		return 0;
	}
	case TEST_OP_SET_TEMP_MEMORY_LIMIT:
		/* at least one batch element (unsigned long + u32) */
		if (cmd->memory_limit.limit < sizeof(unsigned long) + sizeof(uint32_t))
			return -EINVAL;
		return 0;
	default:
		if (cmd->op < sizeof(names) / sizeof(names[0]) && names[cmd->op])
			klog(&u->s->env, 0,
			     "IOMMU_TEST_CMD op %u (IOMMU_TEST_OP_%s) needs the kernel's mock device, "
			     "which is not emulated: EOPNOTSUPP",
			     cmd->op, names[cmd->op]);
		return -EOPNOTSUPP;
	}
}

int64_t iommufd_ioctl(struct shim *s, struct shim_proc *p, struct ictx *x, unsigned long cmd,
                      uint64_t arg, struct kcall *c)
{
	unsigned nr = cmd & 0xff;
	if (s->cfg.iommufd_test && cmd == (0x3b00u | IOMMU_TEST_CMD_NR)) {
		struct ucmd u = {s, p, x, arg, 0, NULL, c};
		if (shim_copy_from_user(s, p, &u.user_size, arg, 4))
			return -EFAULT;
		if (u.user_size < offsetof(struct u_test_cmd, last) + 4)
			return -EINVAL;
		struct u_test_cmd buf;
		int rc = shim_copy_struct_from_user(s, p, &buf, sizeof(buf), arg, u.user_size);
		if (rc)
			return rc;
		u.cmd = &buf;
		return test_cmd(&u);
	}
	if (nr < IOMMUFD_CMD_BASE || nr > IOMMUFD_CMD_LAST)
		return vfio_compat_ioctl(s, p, x, cmd, arg, c);
	struct ucmd u = {s, p, x, arg, 0, NULL, c};
	if (shim_copy_from_user(s, p, &u.user_size, arg, 4))
		return -EFAULT;
	const struct ioctl_op *op = &ops[nr - IOMMUFD_CMD_BASE];
	if (op->num != cmd)
		return -ENOTTY;
	if (u.user_size < op->min_size)
		return -EINVAL;
	union ucmd_buffer buf;
	int rc = shim_copy_struct_from_user(s, p, &buf, op->size, arg, u.user_size);
	if (rc)
		return rc;
	u.cmd = &buf;
	return op->fn(&u);
}
