/*
 * io_pgfault.c - I/O page faults as Linux 7.0 handles them for iommufd
 * (drivers/iommu/io-pgfault.c and the fault half of
 * drivers/iommu/iommufd/eventq.c):
 *
 *  - iommu_report_device_fault(): the fault handler is the domain attached
 *    at the fault's PASID (or, with no domain there, the nested domain on
 *    the RID: arm-smmu-v3 has a user PASID table), else the RID's; only an
 *    HWPT allocated with a fault ID has one. No handler: the core answers
 *    IOMMU_PAGE_RESP_INVALID at once (iopf_error_response). Requests
 *    without LAST_PAGE wait on the device's partial list; the last one of a
 *    group collects the partials of the same grpid (each moved to the
 *    front, so they come out newest first, before the last) and the group
 *    goes to the fault object's deliver list.
 *  - read() of the fault fd: whole groups of 40-byte iommu_hwpt_pgfault
 *    records, each group given the lowest free cookie >= 1 (xa_alloc with
 *    XA_FLAGS_ALLOC1); ESPIPE when the length is not a multiple of 40,
 *    EINVAL when the first group does not fit, 0 when nothing is pending.
 *  - write(): 8-byte iommu_hwpt_page_response records; ESPIPE for a length
 *    not a multiple of 8, EINVAL for a code other than SUCCESS/INVALID or an
 *    unknown cookie (after the records already handled: their count is
 *    returned), each answered through the driver's page_response.
 *  - detach or replace away from a fault HWPT answers the device's pending
 *    groups INVALID (iommufd_auto_response_faults); so does destroying the
 *    fault object.
 */
#include "iommufd_priv.h"

#include <stdlib.h>
#include <string.h>

#define PGFAULT_SIZE 40u
#define PGRESP_SIZE 8u

struct iopf_group {
	struct iopf_group *next;
	struct ifd_device *idev;
	struct arm_smmu_master *master;
	struct ifd_hwpt *hwpt;
	uint32_t cookie; /* 0 until read */
	uint32_t n;
	struct arm_smmu_iopf *faults; /* in delivery order; the last is the group's last */
};

static void group_free(struct iopf_group *g)
{
	free(g->faults);
	free(g);
}

static void group_respond(struct iopf_group *g, unsigned code, struct kcall *c)
{
	arm_smmu_page_response(g->master, &g->faults[g->n - 1], code, c);
}

/* find_fault_handler() */
static struct ifd_hwpt *fault_handler(struct ifd_device *idev, const struct arm_smmu_iopf *f)
{
	if (f->flags & 1) {
		for (size_t i = 0; i < idev->npas; i++)
			if (idev->pas[i].pasid == f->pasid)
				return idev->pas[i].hwpt->fault ? idev->pas[i].hwpt : NULL;
		/* user_pasid_table: the nested domain on the RID */
		struct ifd_hwpt *h = idev->hwpt;
		if (!h || h->obj.type != IFD_HWPT_NESTED)
			return NULL;
		return h->fault ? h : NULL;
	}
	struct ifd_hwpt *h = idev->hwpt;
	return h && h->fault ? h : NULL;
}

int iommufd_iopf_report(void *ctx, struct arm_smmu_master *m, const struct arm_smmu_iopf *f,
                        struct kcall *c)
{
	struct shim *s = ctx;
	struct shim_dev *d = shim_dev_by_master(s, m);
	struct ifd_device *idev = d ? d->idev : NULL;
	struct ifd_hwpt *h = idev ? fault_handler(idev, f) : NULL;
	if (!h) {
		/* iopf_error_response() */
		arm_smmu_page_response(m, f, 1 /* IOMMU_PAGE_RESP_INVALID */, c);
		return -EINVAL;
	}
	if (!(f->flags & 2)) {
		/* report_partial_fault(): no response needed */
		struct arm_smmu_iopf *np = realloc(d->iopf_partial, (d->npartial + 1) * sizeof(*np));
		if (!np)
			return -ENOMEM;
		d->iopf_partial = np;
		d->iopf_partial[d->npartial++] = *f;
		return 0;
	}
	struct iopf_group *g = calloc(1, sizeof(*g));
	size_t take = 0;
	for (size_t i = 0; i < d->npartial; i++)
		take += d->iopf_partial[i].grpid == f->grpid;
	if (g)
		g->faults = calloc(take + 1, sizeof(*g->faults));
	if (!g || !g->faults) {
		/* iopf_group_alloc() failed: the abort group answers FAILURE */
		free(g);
		arm_smmu_page_response(m, f, 2 /* IOMMU_PAGE_RESP_FAILURE */, c);
		return 0;
	}
	/* each matching partial is moved to the front of the group's list */
	size_t keep = 0;
	for (size_t i = 0; i < d->npartial; i++) {
		if (d->iopf_partial[i].grpid == f->grpid)
			g->faults[take - 1 - g->n++] = d->iopf_partial[i];
		else
			d->iopf_partial[keep++] = d->iopf_partial[i];
	}
	d->npartial = keep;
	g->faults[g->n++] = *f;
	g->idev = idev;
	g->master = m;
	g->hwpt = h;
	/* iommufd_fault_iopf_handler(): onto the deliver list */
	struct ifd_fault *q = h->fault;
	struct iopf_group **tail = &q->deliver;
	while (*tail)
		tail = &(*tail)->next;
	*tail = g;
	return 0;
}

/* Pending groups of one device (or all, idev NULL) answered INVALID. */
void iommufd_fault_auto_response(struct ifd_fault *q, struct ifd_device *idev, struct kcall *c)
{
	struct iopf_group **lists[2] = {&q->deliver, &q->response};
	for (int l = 0; l < 2; l++) {
		struct iopf_group **pp = lists[l];
		while (*pp) {
			struct iopf_group *g = *pp;
			if (idev && g->idev != idev) {
				pp = &g->next;
				continue;
			}
			*pp = g->next;
			group_respond(g, 1, c);
			group_free(g);
		}
	}
}

/* A device leaves the fault-capable HWPT h (detach, replace). */
void iommufd_fault_detach_dev(struct ifd_hwpt *h, struct ifd_device *idev, struct kcall *c)
{
	if (!h || !h->fault)
		return;
	struct shim_dev *d = idev->dev;
	d->npartial = 0;
	iommufd_fault_auto_response(h->fault, idev, c);
}

static uint32_t lowest_free_cookie(const struct ifd_fault *q)
{
	for (uint32_t cookie = 1;; cookie++) {
		const struct iopf_group *g = q->response;
		while (g && g->cookie != cookie)
			g = g->next;
		if (!g)
			return cookie;
	}
}

int64_t fault_read(struct shim *s, struct shim_proc *p, struct ifd_obj *o, uint64_t buf,
                   uint64_t len)
{
	struct ifd_fault *q = (struct ifd_fault *)o;
	if (len % PGFAULT_SIZE)
		return -ESPIPE;
	uint64_t done = 0;
	int rc = 0;
	while (q->deliver) {
		struct iopf_group *g = q->deliver;
		/* A group is read whole or not at all; one that does not fit
		 * stays for the next read, which returns what fitted - 0 if
		 * nothing (iommufd_fault_fops_read). */
		if (done >= len || (uint64_t)g->n * PGFAULT_SIZE > len - done)
			break;
		uint32_t cookie = lowest_free_cookie(q);
		uint64_t at = done;
		for (uint32_t i = 0; i < g->n && !rc; i++) {
			const struct arm_smmu_iopf *f = &g->faults[i];
			uint8_t rec[PGFAULT_SIZE] = {0};
			uint32_t w[6] = {f->flags, g->idev->obj.id, f->pasid, f->grpid, f->perm, 0};
			memcpy(rec, w, 24);
			memcpy(rec + 24, &f->addr, 8);
			uint32_t length = 0;
			memcpy(rec + 32, &length, 4);
			memcpy(rec + 36, &cookie, 4);
			if (shim_copy_to_user(s, p, buf + at, rec, PGFAULT_SIZE))
				rc = -EFAULT;
			at += PGFAULT_SIZE;
		}
		if (rc)
			break; /* the group stays on the deliver list */
		q->deliver = g->next;
		g->cookie = cookie;
		g->next = q->response;
		q->response = g;
		done = at;
	}
	return done ? (int64_t)done : rc;
}

int64_t fault_write(struct shim *s, struct shim_proc *p, struct ifd_obj *o, uint64_t buf,
                    uint64_t len, struct kcall *c)
{
	struct ifd_fault *q = (struct ifd_fault *)o;
	if (len % PGRESP_SIZE)
		return -ESPIPE;
	uint64_t done = 0;
	int rc = 0;
	while (len > done) {
		uint32_t r[2];
		if (shim_copy_from_user(s, p, r, buf + done, PGRESP_SIZE)) {
			rc = -EFAULT;
			break;
		}
		if (r[1] != 0 && r[1] != 1) { /* IOMMUFD_PAGE_RESP_SUCCESS, _INVALID */
			rc = -EINVAL;
			break;
		}
		struct iopf_group **pp = &q->response;
		while (*pp && (*pp)->cookie != r[0])
			pp = &(*pp)->next;
		if (!*pp) {
			rc = -EINVAL;
			break;
		}
		struct iopf_group *g = *pp;
		*pp = g->next;
		group_respond(g, r[1], c);
		group_free(g);
		done += PGRESP_SIZE;
	}
	return done ? (int64_t)done : rc;
}
