/*
 * vfio.c - VFIO of Linux 7.0 (drivers/vfio/{device_cdev,group,container,
 * vfio_iommu_type1,iommufd}.c and drivers/iommu/iommufd/vfio_compat.c):
 *
 *  - the device cdev /dev/vfio/devices/vfioN: BIND_IOMMUFD (claims DMA
 *    ownership: the device starts blocked), ATTACH/DETACH_IOMMUFD_PT
 *    (re-attach = replace), close = detach + unbind;
 *  - groups /dev/vfio/<N> (one device per group): GET_STATUS,
 *    SET/UNSET_CONTAINER (a type1 container or an iommufd), GET_DEVICE_FD;
 *  - the legacy container /dev/vfio/vfio with the type1 driver
 *    (TYPE1/TYPE1v2; the retired TYPE1_NESTING number 6 finds no driver:
 *    ENODEV), MAP_DMA/UNMAP_DMA/GET_INFO;
 *  - the same VFIO ioctls on a /dev/iommu fd (iommufd's compat container
 *    over its VFIO IOAS).
 *
 * The type1 container keeps its mappings in a private io_pagetable (iopt.c)
 * with one paging domain per SMMU, which is what type1's "reuse a
 * compatible domain" search yields on arm-smmu-v3 (attach to another SMMU's
 * domain fails), in type1's order: allocate and attach a new domain, then
 * swap to an existing compatible one if it takes the group.
 * KVM: a device captures the VM its file (cdev) or group was given by
 * KVM_DEV_VFIO_FILE_ADD at its first open, with a reference held until its
 * last close (vfio_device_get_kvm_safe / vfio_device_put_kvm).
 * PASIDs (VFIO_DEVICE_ATTACH/DETACH_PASID) through the cdev as vfio-pci's
 * vfio_iommufd_physical_pasid_attach_ioas does.
 * Not modelled: VFIO_DEVICE_PCI_HOT_RESET(_INFO), IOEVENTFD (ENOTTY), DMA_MAP VADDR
 * updates beyond the checks, noiommu.
 */
#include "shim_internal.h"
#include "kvm.h"

#include <stdlib.h>
#include <string.h>

#define PG SHIM_PAGE

struct c_domain {
	struct arm_smmu_domain *d;
	struct arm_smmu_device *smmu;
	int ngroups;
	bool enforce_cc;
};

struct vfio_container {
	int refs; /* its fd + every group set to it */
	struct shim *s;
	struct shim_group **groups;
	size_t ngroups;
	bool iommu_set, v2;
	bool dirty_tracking; /* VFIO_IOMMU_DIRTY_PAGES START .. STOP */
	struct iopt iopt;
	struct c_domain *domains;
	size_t ndomains;
};

static void container_put(struct vfio_container *ct, struct kcall *c)
{
	if (--ct->refs > 0)
		return;
	iopt_destroy(&ct->iopt, c);
	free(ct->domains);
	free(ct->groups);
	free(ct);
}

int vfio_open_container(struct shim *s, struct shim_proc *p, struct shim_file *f)
{
	(void)p;
	struct vfio_container *ct = calloc(1, sizeof(*ct));
	if (!ct)
		return -ENOMEM;
	ct->refs = 1;
	ct->s = s;
	iopt_init(&ct->iopt, s);
	ct->iopt.account_mode = IOPT_ACCOUNT_MM;
	f->u.container = ct;
	return 0;
}

int vfio_open_cdev(struct shim *s, struct shim_proc *p, struct shim_dev *d, struct shim_file *f)
{
	(void)s, (void)p;
	struct vfio_df *df = calloc(1, sizeof(*df));
	if (!df)
		return -ENOMEM;
	df->dev = d;
	f->u.df = df;
	return 0;
}

int vfio_open_group(struct shim *s, struct shim_proc *p, struct shim_group *g, struct shim_file *f)
{
	(void)s, (void)p;
	/* One opener at a time; not while the device is bound through its
	 * cdev; not while a device fd of a container user holds the closed
	 * group file (vfio_group_use_container's get_file). */
	if (g->opened || g->dev->cdev_opened || (g->container && g->ndfs))
		return -EBUSY;
	g->opened = f;
	f->u.group = g;
	return 0;
}

/* ---- type1 container: groups and domains ---- */

/* vfio_iommu_type1_attach_group(): allocate a domain and attach the group;
 * then, for each existing domain of the same ops and coherency, detach
 * (back to blocked), try it, and keep it (freeing the new one) if the
 * attach works; arm-smmu-v3 refuses a domain of another SMMU (-EINVAL).
 * A kept new domain is replayed with the existing mappings. */
static int type1_attach_group(struct vfio_container *ct, struct shim_group *g, struct kcall *c)
{
	/* vfio_iommu_type1_attach_group: attaching could need pinning, so
	 * not while a vaddr is invalid */
	for (size_t i = 0; i < ct->iopt.nareas; i++)
		if (ct->iopt.areas[i].vaddr_invalid)
			return -EBUSY;
	struct shim_dev *d = g->dev;
	struct arm_smmu_device *smmu = arm_smmu_master_smmu(d->master);
	struct c_domain *nd = realloc(ct->domains, (ct->ndomains + 1) * sizeof(*nd));
	if (!nd)
		return -ENOMEM;
	ct->domains = nd;
	struct c_domain cd = {NULL, smmu, 1, false};
	int rc = arm_smmu_domain_alloc_paging(d->master, 0, c, &cd.d);
	if (rc)
		return rc;
	rc = arm_smmu_attach_dev(cd.d, d->master, c);
	if (rc)
		goto out_free;
	/* The SW MSI window may not collide with existing mappings. */
	rc = iopt_reserve(&ct->iopt, ARM_SMMU_MSI_IOVA_BASE,
	                  ARM_SMMU_MSI_IOVA_BASE + ARM_SMMU_MSI_IOVA_LENGTH - 1, d);
	if (rc) {
		if (rc == -EADDRINUSE)
			kcall_why(c,
			          "the container maps IOVA in the group's reserved range 0x%llx-0x%llx "
			          "(the SMMU driver's software MSI window, arm_smmu_get_resv_regions)",
			          (unsigned long long)ARM_SMMU_MSI_IOVA_BASE,
			          (unsigned long long)(ARM_SMMU_MSI_IOVA_BASE + ARM_SMMU_MSI_IOVA_LENGTH - 1));
		rc = -EINVAL;
		goto out_detach;
	}
	cd.enforce_cc = arm_smmu_domain_enforce_cc(cd.d);
	for (size_t i = 0; i < ct->ndomains; i++) {
		struct c_domain *old = &ct->domains[i];
		if (old->enforce_cc != cd.enforce_cc)
			continue;
		arm_smmu_attach_dev(arm_smmu_blocked_domain(), d->master, c);
		if (arm_smmu_attach_dev(old->d, d->master, c) == 0) {
			old->ngroups++;
			arm_smmu_domain_free(cd.d, c);
			return 0;
		}
		rc = arm_smmu_attach_dev(cd.d, d->master, c);
		if (rc) {
			iopt_remove_reserved(&ct->iopt, d);
			goto out_free;
		}
	}
	rc = iopt_add_domain(&ct->iopt, cd.d, c);
	if (rc) {
		iopt_remove_reserved(&ct->iopt, d);
		goto out_detach;
	}
	ct->domains[ct->ndomains++] = cd;
	return 0;
out_detach:
	arm_smmu_attach_dev(arm_smmu_blocked_domain(), d->master, c);
out_free:
	arm_smmu_domain_free(cd.d, c);
	return rc;
}

static void type1_detach_group(struct vfio_container *ct, struct shim_group *g, struct kcall *c)
{
	struct shim_dev *d = g->dev;
	struct arm_smmu_domain *cur = arm_smmu_master_domain(d->master);
	arm_smmu_attach_dev(arm_smmu_blocked_domain(), d->master, c);
	iopt_remove_reserved(&ct->iopt, d);
	for (size_t i = 0; i < ct->ndomains; i++) {
		struct c_domain *cd = &ct->domains[i];
		if (cd->d != cur)
			continue;
		if (--cd->ngroups == 0) {
			iopt_remove_domain(&ct->iopt, cd->d, c);
			arm_smmu_domain_free(cd->d, c);
			ct->domains[i] = ct->domains[--ct->ndomains];
		}
		break;
	}
}

static void type1_release(struct vfio_container *ct, struct kcall *c)
{
	/* The last group left: the driver's data goes, mappings and all. */
	iopt_unmap_all(&ct->iopt, NULL, c);
	ct->iommu_set = false;
	ct->dirty_tracking = false;
}

static void group_unset_container(struct shim_group *g, struct kcall *c)
{
	if (g->container) {
		struct vfio_container *ct = g->container;
		if (ct->iommu_set)
			type1_detach_group(ct, g, c);
		for (size_t i = 0; i < ct->ngroups; i++)
			if (ct->groups[i] == g) {
				ct->groups[i] = ct->groups[--ct->ngroups];
				break;
			}
		if (!ct->ngroups && ct->iommu_set)
			type1_release(ct, c);
		shim_dev_release_dma(g->dev, c);
		g->container = NULL;
		container_put(ct, c);
	} else if (g->ictx) {
		struct ictx *x = g->ictx;
		g->ictx = NULL;
		ictx_put(x, c);
	}
}

/* ---- device files ---- */

static void df_unbind(struct vfio_df *df, struct kcall *c)
{
	if (!df->access_granted)
		return;
	if (df->idev) {
		/* vfio_iommufd_physical_unbind: the PASIDs, lowest first */
		for (size_t i = 0; i < df->npasids; i++)
			iommufd_device_pasid_detach(df->idev, df->pasids[i], c);
		df->npasids = 0;
		if (df->attached)
			iommufd_device_detach(df->idev, c);
		iommufd_device_unbind(df->idev, c);
		df->idev = NULL;
	}
	if (df->ictx)
		ictx_put(df->ictx, c);
	df->ictx = NULL;
	df->attached = false;
	df->access_granted = false;
	if (--df->dev->open_count == 0) {
		kvm_vfio_device_release(df->dev, c);
		/* vfio_pci_core_disable(): the ERR and REQ eventfds go */
		df->dev->err_trigger = df->dev->req_trigger = false;
	}
	if (!df->group)
		df->dev->cdev_opened = false;
}

void vfio_release(struct shim *s, struct shim_file *f, struct kcall *c)
{
	(void)s;
	switch (f->kind) {
	case SF_VFIO_CDEV:
	case SF_VFIO_DEVICE: {
		struct vfio_df *df = f->u.df;
		struct shim_group *g = df->group;
		if (g) {
			for (size_t i = 0; i < g->ndfs; i++)
				if (g->dfs[i] == df) {
					g->dfs[i] = g->dfs[--g->ndfs];
					break;
				}
			/* The binding is the device's (vfio_df_close unbinds at
			 * its last close): another open fd of it takes it over. */
			if (g->ndfs && df->idev) {
				struct vfio_df *to = g->dfs[0];
				to->idev = df->idev;
				to->ictx = df->ictx;
				to->attached = df->attached;
				free(to->pasids);
				to->pasids = df->pasids;
				to->npasids = df->npasids;
				to->cappasids = df->cappasids;
				((struct ifd_device *)to->idev)->df = to;
				df->idev = NULL;
				df->ictx = NULL;
				df->attached = false;
				df->pasids = NULL;
				df->npasids = df->cappasids = 0;
			}
		}
		df_unbind(df, c);
		/* A closed group file waited for its container's device fds. */
		if (g && !g->opened && !g->ndfs)
			group_unset_container(g, c);
		free(df->pasids);
		free(df);
		break;
	}
	case SF_VFIO_GROUP: {
		struct shim_group *g = f->u.group;
		g->opened = NULL;
		/* vfio_group_fops_release: an iommufd is dropped at once (the
		 * bound device keeps its own reference); a container stays
		 * while device fds use it (they hold the file) */
		if (!g->ndfs || g->ictx)
			group_unset_container(g, c);
		break;
	}
	case SF_VFIO_CONTAINER:
		container_put(f->u.container, c);
		break;
	default:
		break;
	}
}

/* ---- VFIO type1 ioctls (shared by the container and iommufd compat) ---- */

static int get_info(struct shim *s, struct shim_proc *p, struct iopt *t, uint32_t avail,
                    bool compat, uint64_t arg)
{
	struct u_iommu_type1_info info;
	size_t minsz = U_OFFSETOFEND(struct u_iommu_type1_info, iova_pgsizes);
	memset(&info, 0, sizeof(info));
	if (shim_copy_from_user(s, p, &info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	uint32_t argsz = info.argsz;
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = iopt_pgsize_bitmap(t);
	info.cap_offset = 0;
	/* Capability chain, in the order the kernel adds them (each appended
	 * and linked from the one before, 8-byte aligned): type1
	 * (vfio_iommu_type1_get_info) migration, DMA mappings left, IOVA
	 * ranges; iommufd's compat (iommufd_vfio_iommu_get_info) DMA mappings
	 * left, IOVA ranges. */
	size_t nh = iopt_holes(t, NULL, 0);
	size_t iova_sz = (16 + 16 * nh + 7) & ~7ul;
	size_t mig_sz = compat ? 0 : 32;
	size_t avail_sz = 16;
	size_t caps_sz = iova_sz + mig_sz + avail_sz;
	uint8_t *caps = calloc(1, caps_sz);
	struct iopt_range *r = calloc(nh ? nh : 1, sizeof(*r));
	if (!caps || !r) {
		free(caps);
		free(r);
		return -ENOMEM;
	}
	iopt_holes(t, r, nh);
	uint32_t base = sizeof(info);
	uint16_t ver = 1;
	size_t mig_at = 0, avail_at = mig_sz, iova_at = mig_sz + avail_sz;
	if (mig_sz) {
		/* vfio_iommu_migration_build_caps(): no dirty-tracking flags, the
		 * smallest page size, DIRTY_BITMAP_SIZE_MAX. */
		uint8_t *m = caps + mig_at;
		uint16_t mid = VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION;
		uint32_t mnext = base + (uint32_t)avail_at, mflags = 0;
		uint64_t pg = info.iova_pgsizes & -info.iova_pgsizes, maxbm = 1ull << 28;
		memcpy(m, &mid, 2);
		memcpy(m + 2, &ver, 2);
		memcpy(m + 4, &mnext, 4);
		memcpy(m + 8, &mflags, 4);
		memcpy(m + 16, &pg, 8);
		memcpy(m + 24, &maxbm, 8);
	}
	uint8_t *av = caps + avail_at;
	uint16_t id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
	uint32_t next = base + (uint32_t)iova_at;
	memcpy(av, &id, 2);
	memcpy(av + 2, &ver, 2);
	memcpy(av + 4, &next, 4);
	memcpy(av + 8, &avail, 4);
	uint8_t *io = caps + iova_at;
	uint32_t n32 = (uint32_t)nh;
	id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
	next = 0;
	memcpy(io, &id, 2);
	memcpy(io + 2, &ver, 2);
	memcpy(io + 4, &next, 4);
	memcpy(io + 8, &n32, 4);
	for (size_t i = 0; i < nh; i++) {
		memcpy(io + 16 + 16 * i, &r[i].start, 8);
		memcpy(io + 24 + 16 * i, &r[i].last, 8);
	}
	free(r);
	info.flags |= VFIO_IOMMU_INFO_CAPS;
	int rc = 0;
	if (argsz < base + caps_sz) {
		info.argsz = (uint32_t)(base + caps_sz);
	} else {
		if (shim_copy_to_user(s, p, arg + base, caps, caps_sz))
			rc = -EFAULT;
		info.cap_offset = base;
		if (compat)
			info.argsz = (uint32_t)(base + caps_sz);
	}
	free(caps);
	if (rc)
		return rc;
	/* both copy min(argsz, the struct) of a zeroed struct (type1 dropped
	 * its cap_offset compatibility copy) */
	size_t out = argsz < sizeof(info) ? argsz : sizeof(info);
	(void)minsz;
	return shim_copy_to_user(s, p, arg, &info, out) ? -EFAULT : 0;
}

static int ioas_cc(struct ictx *x)
{
	struct ifd_ioas *ioas = iommufd_compat_ioas(x);
	if (!ioas)
		return -ENODEV;
	for (size_t i = 0; i < ioas->nhwpts; i++)
		if (!ioas->hwpts[i]->enforce_cc)
			return 0;
	return 1;
}

int64_t vfio_compat_ioctl(struct shim *s, struct shim_proc *p, struct ictx *x, unsigned long cmd,
                          uint64_t arg, struct kcall *c)
{
	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		switch (arg) {
		case VFIO_TYPE1_IOMMU:
		case VFIO_TYPE1v2_IOMMU:
		case VFIO_UNMAP_ALL:
			return 1;
		case VFIO_DMA_CC_IOMMU:
			return ioas_cc(x);
		default:
			return 0;
		}
	case VFIO_SET_IOMMU: {
		if (arg != VFIO_TYPE1_IOMMU && arg != VFIO_TYPE1v2_IOMMU)
			return -EINVAL;
		struct ifd_ioas *ioas = iommufd_compat_ioas(x);
		if (!ioas)
			return -ENODEV;
		/* TYPE1 may unmap inside a mapping: emulated with 4K IOPTEs. */
		if (arg == VFIO_TYPE1_IOMMU)
			return iopt_disable_large(&ioas->iopt);
		return 0;
	}
	case VFIO_IOMMU_GET_INFO: {
		struct ifd_ioas *ioas = iommufd_compat_ioas(x);
		struct u_iommu_type1_info info;
		if (shim_copy_from_user(s, p, &info, arg, 16))
			return -EFAULT;
		if (info.argsz < 16)
			return -EINVAL;
		if (!ioas)
			return -ENODEV;
		return get_info(s, p, &ioas->iopt, UINT32_MAX, true, arg); /* iommufd_fill_cap_dma_avail */
	}
	case VFIO_IOMMU_MAP_DMA: {
		struct u_dma_map map;
		if (shim_copy_from_user(s, p, &map, arg, sizeof(map)))
			return -EFAULT;
		if (map.argsz < sizeof(map) ||
		    (map.flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)))
			return -EINVAL;
		int prot = 0;
		if (map.flags & VFIO_DMA_MAP_FLAG_READ)
			prot |= ARM_SMMU_PROT_READ;
		if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
			prot |= ARM_SMMU_PROT_WRITE;
		struct ifd_ioas *ioas = iommufd_compat_ioas(x);
		if (!ioas)
			return -ENODEV;
		/* Legacy maps always use VFIO's (mm) rlimit accounting. */
		int save = ioas->iopt.account_mode;
		ioas->iopt.account_mode = IOPT_ACCOUNT_MM;
		uint64_t iova = map.iova;
		int rc = iopt_map_user(&ioas->iopt, p, &iova, map.vaddr, map.size, prot, 0, c);
		ioas->iopt.account_mode = save;
		return rc;
	}
	case VFIO_IOMMU_UNMAP_DMA: {
		struct u_dma_unmap un;
		if (shim_copy_from_user(s, p, &un, arg, sizeof(un)))
			return -EFAULT;
		if (un.argsz < sizeof(un) || (un.flags & ~VFIO_DMA_UNMAP_FLAG_ALL))
			return -EINVAL;
		struct ifd_ioas *ioas = iommufd_compat_ioas(x);
		if (!ioas)
			return -ENODEV;
		uint64_t unmapped = 0;
		int rc;
		if (un.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
			if (un.iova || un.size)
				return -EINVAL;
			rc = iopt_unmap_all(&ioas->iopt, &unmapped, c);
		} else {
			rc = 0;
			if (ioas->iopt.disable_large_pages) {
				/* TYPE1: cut the areas at both ends first. */
				rc = iopt_cut(&ioas->iopt, un.iova + un.size - 1);
				if (!rc && un.iova)
					rc = iopt_cut(&ioas->iopt, un.iova - 1);
			}
			if (!rc)
				rc = iopt_unmap(&ioas->iopt, un.iova, un.size, &unmapped, c);
		}
		/* iommufd_vfio_unmap_dma(): size is written back, failed or not. */
		un.size = unmapped;
		if (shim_copy_to_user(s, p, arg, &un, sizeof(un)))
			return -EFAULT;
		return rc;
	}
	default:
		return -ENOTTY;
	}
}

/* verify_bitmap_size(): a bitmap of `bytes` for npages pages */
static int dirty_bitmap_size_ok(uint64_t npages, uint64_t bytes)
{
	uint64_t need = ((npages + 63) / 64) * 8, max = ((((uint64_t)INT32_MAX) + 63) / 64) * 8;
	return npages && bytes && bytes <= max && bytes >= need;
}

/* update_user_bitmap() for one mapping [a->iova, a->last] of a range from
 * base: an IOMMU-backed group cannot report what it dirtied, so type1 calls
 * every page of a mapping dirty. The words are written as type1 writes
 * them: the bits of the first word below the mapping kept, the mapping's
 * set, the rest of its last word cleared. */
static int dirty_user_bitmap(struct shim *s, struct shim_proc *p, uint64_t data, uint64_t base,
                             const struct iopt_area *a, unsigned pgshift)
{
	uint64_t first = (a->iova - base) >> pgshift;
	uint64_t n = (a->last - a->iova + 1) >> pgshift;
	uint64_t w0 = first / 64, w1 = (first + n - 1) / 64;
	for (uint64_t w = w0; w <= w1; w++) {
		uint64_t word = 0;
		if (w == w0 && shim_copy_from_user(s, p, &word, data + 8 * w, 8))
			return -EFAULT;
		if (w == w0)
			word &= (first % 64) ? ~0ull >> (64 - first % 64) : 0;
		uint64_t lo = w == w0 ? first % 64 : 0;
		uint64_t hi = w == w1 ? (first + n - 1) % 64 : 63;
		word |= (hi == 63 ? ~0ull : ((1ull << (hi + 1)) - 1)) & ~((1ull << lo) - 1);
		if (shim_copy_to_user(s, p, data + 8 * w, &word, 8))
			return -EFAULT;
	}
	return 0;
}

/* vfio_iommu_type1_dirty_pages() */
static int type1_dirty_pages(struct shim *s, struct shim_proc *p, struct vfio_container *ct,
                             uint64_t arg)
{
	if (!ct->v2)
		return -EACCES;
	uint32_t hdr[2]; /* argsz, flags */
	if (shim_copy_from_user(s, p, hdr, arg, sizeof(hdr)))
		return -EFAULT;
	const uint32_t start = 1, stop = 2, get = 4;
	if (hdr[0] < sizeof(hdr) || (hdr[1] & ~(start | stop | get)))
		return -EINVAL;
	if (hdr[1] & (hdr[1] - 1)) /* only one flag at a time */
		return -EINVAL;
	if (hdr[1] == start) {
		ct->dirty_tracking = true;
		return 0;
	}
	if (hdr[1] == stop) {
		ct->dirty_tracking = false;
		return 0;
	}
	if (hdr[1] != get)
		return -EINVAL;
	/* struct vfio_iommu_type1_dirty_bitmap_get: iova, size, then the
	 * vfio_bitmap (pgsize, size, data) */
	uint64_t r[5];
	if (hdr[0] - sizeof(hdr) < sizeof(r))
		return -EINVAL;
	if (shim_copy_from_user(s, p, r, arg + sizeof(hdr), sizeof(r)))
		return -EFAULT;
	uint64_t iova = r[0], size = r[1], bpg = r[2], bsize = r[3], data = r[4];
	if (iova + size < iova)
		return -EINVAL;
	unsigned pgshift = bpg ? (unsigned)__builtin_ctzll(bpg) : 0;
	if (!dirty_bitmap_size_ok(size >> pgshift, bsize))
		return -EINVAL;
	uint64_t pgsize = iopt_pgsize_bitmap(&ct->iopt);
	pgsize &= -pgsize;
	if (bpg != pgsize || (iova & (pgsize - 1)) || !size || (size & (pgsize - 1)))
		return -EINVAL;
	if (!ct->dirty_tracking)
		return -EINVAL;
	/* vfio_iova_dirty_bitmap(): the range may not bisect a mapping */
	uint64_t last = iova + size - 1;
	for (size_t i = 0; i < ct->iopt.nareas; i++) {
		const struct iopt_area *a = &ct->iopt.areas[i];
		if ((a->iova < iova && a->last >= iova) || (a->iova <= last && a->last > last))
			return -EINVAL;
	}
	for (size_t i = 0; i < ct->iopt.nareas; i++) {
		const struct iopt_area *a = &ct->iopt.areas[i];
		if (a->iova < iova)
			continue;
		if (a->iova > last)
			break;
		int rc = dirty_user_bitmap(s, p, data, iova, a, pgshift);
		if (rc)
			return rc;
	}
	return 0;
}

static int64_t container_ioctl(struct shim *s, struct shim_proc *p, struct vfio_container *ct,
                               unsigned long cmd, uint64_t arg, struct kcall *c)
{
	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		switch (arg) {
		case VFIO_TYPE1_IOMMU:
		case VFIO_TYPE1v2_IOMMU:
		case VFIO_UNMAP_ALL:
			return 1;
		case VFIO_UPDATE_VADDR:
			/* type1: only with its IOMMU set (and no emulated devices) */
			return ct->iommu_set ? 1 : 0;
		case VFIO_DMA_CC_IOMMU:
			if (!ct->iommu_set)
				return 0;
			for (size_t i = 0; i < ct->ndomains; i++)
				if (!ct->domains[i].enforce_cc)
					return 0;
			return 1;
		default:
			/* 6 (TYPE1_NESTING) was removed in 6.13: no driver claims it. */
			return 0;
		}
	case VFIO_SET_IOMMU: {
		/* Only a container with a group may enable the IOMMU driver. */
		if (!ct->ngroups || ct->iommu_set)
			return -EINVAL;
		if (arg != VFIO_TYPE1_IOMMU && arg != VFIO_TYPE1v2_IOMMU)
			return -ENODEV;
		ct->v2 = arg == VFIO_TYPE1v2_IOMMU;
		size_t i;
		int rc = 0;
		for (i = 0; i < ct->ngroups; i++)
			if ((rc = type1_attach_group(ct, ct->groups[i], c)))
				break;
		if (rc) {
			while (i--)
				type1_detach_group(ct, ct->groups[i], c);
			return rc;
		}
		ct->iommu_set = true;
		return 0;
	}
	default:
		break;
	}
	/* vfio_fops_unl_ioctl(): no IOMMU driver to pass it to */
	if (!ct->iommu_set)
		return -EINVAL;
	switch (cmd) {
	case VFIO_IOMMU_GET_INFO:
		return get_info(s, p, &ct->iopt,
		                s->cfg.vfio_dma_entry_limit - (uint32_t)ct->iopt.nareas, false,
		                arg);
	case VFIO_IOMMU_MAP_DMA: {
		struct u_dma_map map;
		if (shim_copy_from_user(s, p, &map, arg, sizeof(map)))
			return -EFAULT;
		if (map.argsz < sizeof(map) ||
		    (map.flags &
		     ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE | VFIO_DMA_MAP_FLAG_VADDR)))
			return -EINVAL;
		int prot = 0;
		if (map.flags & VFIO_DMA_MAP_FLAG_READ)
			prot |= ARM_SMMU_PROT_READ;
		if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
			prot |= ARM_SMMU_PROT_WRITE;
		bool vaddr = map.flags & VFIO_DMA_MAP_FLAG_VADDR;
		if ((prot && vaddr) || (!prot && !vaddr))
			return -EINVAL;
		uint64_t pgsize = iopt_pgsize_bitmap(&ct->iopt);
		pgsize &= -pgsize;
		if (!map.size || ((map.size | map.iova | map.vaddr) & (pgsize - 1)))
			return -EINVAL;
		if (map.iova + map.size - 1 < map.iova || map.vaddr + map.size - 1 < map.vaddr)
			return -EINVAL;
		if (vaddr) {
			/* vfio_dma_do_map(): the mapping the range meets must be
			 * exactly it and have had its vaddr invalidated; it gets
			 * the new one (its pages stay pinned). */
			for (size_t i = 0; i < ct->iopt.nareas; i++) {
				struct iopt_area *a = &ct->iopt.areas[i];
				if (a->iova > map.iova + map.size - 1 || map.iova > a->last)
					continue;
				if (!a->vaddr_invalid || a->iova != map.iova ||
				    a->last != map.iova + map.size - 1)
					return -EINVAL;
				a->vaddr_invalid = false;
				return 0;
			}
			return -ENOENT;
		}
		for (size_t i = 0; i < ct->iopt.nareas; i++)
			if (ct->iopt.areas[i].iova <= map.iova + map.size - 1 &&
			    map.iova <= ct->iopt.areas[i].last)
				return -EEXIST;
		if (ct->iopt.nareas >= s->cfg.vfio_dma_entry_limit)
			return -ENOSPC;
		ct->iopt.proc = p;
		uint64_t iova = map.iova;
		int rc = iopt_map_user(&ct->iopt, p, &iova, map.vaddr, map.size, prot, 0, c);
		/* type1 reports an IOVA outside the valid list as EINVAL */
		return rc == -EEXIST ? -EEXIST : rc;
	}
	case VFIO_IOMMU_DIRTY_PAGES:
		return type1_dirty_pages(s, p, ct, arg);
	case VFIO_IOMMU_UNMAP_DMA: {
		struct u_dma_unmap un;
		if (shim_copy_from_user(s, p, &un, arg, sizeof(un)))
			return -EFAULT;
		uint32_t mask = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAG_ALL |
		                VFIO_DMA_UNMAP_FLAG_VADDR;
		if (un.argsz < sizeof(un) || (un.flags & ~mask))
			return -EINVAL;
		if ((un.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) &&
		    (un.flags & (VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR)))
			return -EINVAL;
		uint64_t pgsize = iopt_pgsize_bitmap(&ct->iopt);
		pgsize &= -pgsize;
		uint64_t bm[3] = {0, 0, 0}; /* vfio_bitmap: pgsize, size, data */
		bool with_bitmap = un.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
		if (with_bitmap) {
			/* vfio_iommu_type1_unmap_dma(), then vfio_dma_do_unmap() */
			if (un.argsz < sizeof(un) + sizeof(bm))
				return -EINVAL;
			if (shim_copy_from_user(s, p, bm, arg + sizeof(un), sizeof(bm)))
				return -EFAULT;
			unsigned sh = bm[0] ? (unsigned)__builtin_ctzll(bm[0]) : 0;
			if (!dirty_bitmap_size_ok(un.size >> sh, bm[1]))
				return -EINVAL;
			if (!ct->dirty_tracking || bm[0] != pgsize)
				return -EINVAL;
		}
		uint64_t unmapped = 0;
		int rc;
		bool all = un.flags & VFIO_DMA_UNMAP_FLAG_ALL;
		if (all) {
			if (un.iova || un.size)
				return -EINVAL;
		} else {
			if (!un.size || (un.size & (pgsize - 1)) || un.iova + un.size - 1 < un.iova)
				return -EINVAL;
			if (un.iova & (pgsize - 1))
				return -EINVAL;
		}
		if (un.flags & VFIO_DMA_UNMAP_FLAG_VADDR) {
			/* vfio_dma_do_unmap() with VADDR: the mappings stay (and
			 * their DMA), their vaddr is invalid until a MAP_DMA with
			 * VADDR gives a new one; a second invalidation is EINVAL.
			 * v2 refuses a range that splits a mapping, first. */
			uint64_t lo = all ? 0 : un.iova, hi = all ? UINT64_MAX : un.iova + un.size - 1;
			rc = 0;
			for (size_t i = 0; ct->v2 && i < ct->iopt.nareas; i++) {
				const struct iopt_area *a = &ct->iopt.areas[i];
				if ((a->iova < lo && a->last >= lo) || (a->iova <= hi && a->last > hi))
					return -EINVAL; /* (ALL splits nothing: lo 0, hi max) */
			}
			/* The mappings from the first one the range meets, in
			 * order: v1 stops at one that starts before the range
			 * and takes one that starts inside it whole; an already
			 * invalid one undoes this call's and fails (nothing is
			 * copied back). */
			size_t first = ct->iopt.nareas, i;
			for (i = 0; i < ct->iopt.nareas; i++) {
				struct iopt_area *a = &ct->iopt.areas[i];
				if (a->last < lo)
					continue;
				if (a->iova > hi)
					break;
				if (!ct->v2 && lo > a->iova)
					break;
				if (first == ct->iopt.nareas)
					first = i;
				if (a->vaddr_invalid) {
					for (size_t j = first; j < i; j++)
						ct->iopt.areas[j].vaddr_invalid = false;
					rc = -EINVAL;
					break;
				}
				a->vaddr_invalid = true;
				unmapped += a->last - a->iova + 1;
			}
			if (rc)
				return rc;
			un.size = unmapped;
			return shim_copy_to_user(s, p, arg, &un, sizeof(un)) ? -EFAULT : 0;
		}
		if (with_bitmap && un.size) {
			/* the pages of what this unmap will take, dirty (taken
			 * as the unmap below takes them: v2 whole mappings in
			 * the range, v1 those starting in it) */
			uint64_t lo = un.iova, hi = un.iova + un.size - 1;
			unsigned sh = (unsigned)__builtin_ctzll(pgsize);
			for (size_t i = 0; i < ct->iopt.nareas; i++) {
				const struct iopt_area *a = &ct->iopt.areas[i];
				if (a->iova < lo || a->iova > hi || (ct->v2 && a->last > hi))
					continue;
				rc = dirty_user_bitmap(s, p, bm[2], lo, a, sh);
				if (rc)
					return rc;
			}
		}
		if (all)
			rc = iopt_unmap_all(&ct->iopt, &unmapped, c);
		else
			rc = iopt_unmap_type1(&ct->iopt, un.iova, un.size, ct->v2, &unmapped, c);
		if (rc)
			return rc;
		un.size = unmapped;
		return shim_copy_to_user(s, p, arg, &un, sizeof(un)) ? -EFAULT : 0;
	}
	default:
		return -ENOTTY;
	}
}

/* ---- groups ---- */

/* vfio_pci_core_match(): the device's name, then nothing or blanks and
 * options: `vf_token=UUID` once (on a function without SR-IOV, EINVAL);
 * anything else EINVAL; another name: 0 (no match, ENODEV). */
static int pci_name_match(const char *dev, const char *buf)
{
	size_t n = strlen(dev);
	if (strncmp(dev, buf, n))
		return 0;
	buf += n;
	if (*buf && *buf != ' ')
		return 0;
	bool token = false;
	while (*buf) {
		if (*buf == ' ') {
			buf++;
			continue;
		}
		if (token || strncmp(buf, "vf_token=", 9) || strlen(buf) < 9 + 36)
			return -EINVAL; /* an unknown or repeated option */
		static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
		for (size_t i = 0; i < 36; i++) {
			char ch = buf[9 + i];
			bool hex = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
			           (ch >= 'A' && ch <= 'F');
			if (shape[i] == '-' ? ch != '-' : !hex)
				return -EINVAL; /* uuid_parse */
		}
		token = true;
		buf += 9 + 36;
	}
	/* vfio_pci_validate_vf_token: not a PF with VFs nor a VF */
	return token ? -EINVAL : 1;
}

static int64_t group_ioctl(struct shim *s, struct shim_proc *p, struct shim_group *g,
                           unsigned long cmd, uint64_t arg, struct kcall *c)
{
	switch (cmd) {
	case VFIO_GROUP_GET_STATUS: {
		struct u_group_status st;
		if (shim_copy_from_user(s, p, &st, arg, sizeof(st)))
			return -EFAULT;
		if (st.argsz < sizeof(st))
			return -EINVAL;
		st.flags = 0;
		if (g->container || g->ictx)
			st.flags = VFIO_GROUP_FLAGS_CONTAINER_SET | VFIO_GROUP_FLAGS_VIABLE;
		else if (!g->dev->owned)
			st.flags = VFIO_GROUP_FLAGS_VIABLE;
		return shim_copy_to_user(s, p, arg, &st, sizeof(st)) ? -EFAULT : 0;
	}
	case VFIO_GROUP_SET_CONTAINER: {
		int32_t fd;
		if (shim_copy_from_user(s, p, &fd, arg, 4))
			return -EFAULT;
		struct shim_file *f = shim_fd_get(p, fd);
		if (!f && shim_fd_absent(s, fd, 0) == -EBADF)
			return -EBADF;
		if (g->container || g->ictx)
			return -EINVAL;
		if (!f) /* a program's own file: neither a container nor an iommufd */
			return -EBADFD;
		if (f->kind == SF_VFIO_CONTAINER) {
			struct vfio_container *ct = f->u.container;
			int rc = shim_dev_claim_dma(g->dev, c);
			if (rc)
				return rc;
			if (ct->iommu_set && (rc = type1_attach_group(ct, g, c))) {
				shim_dev_release_dma(g->dev, c);
				return rc;
			}
			struct shim_group **ng =
			    realloc(ct->groups, (ct->ngroups + 1) * sizeof(*ng));
			if (!ng)
				return -ENOMEM;
			ct->groups = ng;
			ct->groups[ct->ngroups++] = g;
			ct->refs++;
			g->container = ct;
			return 0;
		}
		if (f->kind == SF_IOMMUFD) {
			int rc = iommufd_compat_ioas_create(f->u.ictx);
			if (rc)
				return rc;
			ictx_get(f->u.ictx);
			g->ictx = f->u.ictx;
			return 0;
		}
		return -EBADFD;
	}
	case VFIO_GROUP_UNSET_CONTAINER:
		if (!g->container && !g->ictx)
			return -EINVAL;
		/* container_users: a device fd holds a real container; an
		 * iommufd is only the group's reference (the bound device keeps
		 * its own) */
		if (g->ndfs && g->container)
			return -EBUSY;
		group_unset_container(g, c);
		return 0;
	case VFIO_GROUP_GET_DEVICE_FD: {
		/* strndup_user(arg, PAGE_SIZE), then vfio_pci_core_match() */
		char name[SHIM_PAGE];
		size_t n = 0;
		for (; n < sizeof(name); n++) {
			if (shim_copy_from_user(s, p, &name[n], arg + n, 1))
				return -EFAULT;
			if (!name[n])
				break;
		}
		if (n == sizeof(name))
			return -EINVAL;
		int m = pci_name_match(g->dev->bdf, name);
		if (m < 0)
			return m;
		if (!m)
			return -ENODEV;
		if (!g->container && !g->ictx)
			return -EINVAL;
		if (g->container && !g->container->iommu_set)
			return -EINVAL;
		if (g->ndfs == g->capdfs) {
			size_t nc = g->capdfs ? 2 * g->capdfs : 4;
			struct vfio_df **nd = realloc(g->dfs, nc * sizeof(*nd));
			if (!nd)
				return -ENOMEM;
			g->dfs = nd;
			g->capdfs = nc;
		}
		struct vfio_df *df = calloc(1, sizeof(*df));
		struct shim_file *f = shim_file_new(p, SF_VFIO_DEVICE);
		if (!df || !f) {
			free(df->pasids);
			free(df);
			free(f);
			return -ENOMEM;
		}
		df->dev = g->dev;
		df->group = g;
		df->container = g->container;
		int rc = 0;
		/* vfio_df_group_open(): before the first open, the device takes
		 * the group's KVM (a reference until the last close). */
		bool first = g->dev->open_count == 0;
		if (first)
			kvm_vfio_device_capture(g->dev, g->kvm);
		if (g->ictx && g->dev->open_count == 0) {
			/* First open through an iommufd: bind, then attach the
			 * VFIO compat IOAS. */
			uint32_t id;
			rc = iommufd_device_bind(g->ictx, g->dev, df, &id, c);
			if (!rc) {
				df->idev = &g->dev->idev->obj;
				df->ictx = g->ictx;
				ictx_get(g->ictx);
				struct ifd_ioas *ioas = iommufd_compat_ioas(g->ictx);
				uint32_t pt = ioas ? ioas->obj.id : 0;
				rc =
				    ioas ? iommufd_device_attach(df->idev, &pt, false, c) : -ENODEV;
				if (rc) {
					iommufd_device_unbind(df->idev, c);
					ictx_put(g->ictx, c);
					df->idev = NULL;
					df->ictx = NULL;
				} else {
					df->attached = true;
				}
			}
		}
		if (!rc) {
			f->u.df = df;
			rc = shim_fd_install(p, f);
		}
		if (rc < 0) {
			if (df->idev) {
				iommufd_device_detach(df->idev, c);
				iommufd_device_unbind(df->idev, c);
				ictx_put(df->ictx, c);
			}
			if (first)
				kvm_vfio_device_release(g->dev, c);
			free(df->pasids);
			free(df);
			free(f);
			return rc;
		}
		g->dfs[g->ndfs++] = df; /* room made before the file */
		df->access_granted = true;
		g->dev->open_count++;
		return rc;
	}
	default:
		return -ENOTTY;
	}
}

/* ---- device ioctls ---- */

static int bind_iommufd(struct shim *s, struct shim_proc *p, struct vfio_df *df, uint64_t arg,
                        struct kcall *c)
{
	struct u_bind_iommufd b;
	size_t minsz = U_OFFSETOFEND(struct u_bind_iommufd, out_devid);
	uint32_t argsz;
	/* vfio_df_ioctl_bind_iommufd(): argsz, then the whole struct as
	 * copy_struct_from_user() takes it (a longer one E2BIG unless its
	 * tail is zero, a shorter one zero-filled: no token pointer). */
	if (shim_copy_from_user(s, p, &argsz, arg, sizeof(argsz)))
		return -EFAULT;
	if (argsz < minsz)
		return -EINVAL;
	int rc = shim_copy_struct_from_user(s, p, &b, sizeof(b), arg, argsz);
	if (rc)
		return rc;
	if (b.iommufd < 0 || (b.flags & ~VFIO_DEVICE_BIND_FLAG_TOKEN))
		return -EINVAL;
	if (df->group)
		return -EINVAL;
	struct shim_dev *d = df->dev;
	/* vfio_device_block_group(): not while the group is open. */
	if (d->group->opened)
		return -EBUSY;
	if (df->access_granted)
		return -EINVAL;
	/* vfio_df_check_token() -> vfio_pci_core_match_token_uuid(): the
	 * UUID is read, and refused on a function that is neither a VF nor an
	 * SR-IOV PF (the emulated functions have no SR-IOV). */
	if (b.flags & VFIO_DEVICE_BIND_FLAG_TOKEN) {
		uint8_t uuid[16];
		if (shim_copy_from_user(s, p, uuid, b.token_uuid_ptr, sizeof(uuid)))
			return -EFAULT;
		return -EINVAL;
	}
	struct shim_file *f = shim_fd_get(p, b.iommufd);
	if (!f) /* iommufd_ctx_from_fd: not an iommufd */
		return shim_fd_absent(s, b.iommufd, -EBADFD);
	if (f->kind != SF_IOMMUFD)
		return -EBADFD;
	/* Only the group path may open a device more than once. */
	if (d->open_count)
		return -EINVAL;
	/* vfio_df_get_kvm_safe(): the KVM of this file, taken before the open
	 * so that the iommufd bind can see it (shim_dev_kvm). */
	kvm_vfio_device_capture(d, df->kvm);
	uint32_t id;
	rc = iommufd_device_bind(f->u.ictx, d, df, &id, c);
	if (rc) {
		kvm_vfio_device_release(d, c);
		return rc;
	}
	df->idev = &d->idev->obj;
	df->ictx = f->u.ictx;
	ictx_get(df->ictx);
	if (shim_copy_to_user(s, p, arg + offsetof(struct u_bind_iommufd, out_devid), &id, 4)) {
		iommufd_device_unbind(df->idev, c);
		ictx_put(df->ictx, c);
		df->idev = NULL;
		df->ictx = NULL;
		kvm_vfio_device_release(d, c);
		return -EFAULT;
	}
	d->open_count++;
	d->cdev_opened = true;
	df->access_granted = true;
	return 0;
}

static bool df_has_pasid(const struct vfio_df *df, uint32_t pasid, size_t *at)
{
	for (size_t i = 0; i < df->npasids; i++)
		if (df->pasids[i] == pasid) {
			if (at)
				*at = i;
			return true;
		}
	return false;
}

/* vfio_iommufd_physical_pasid_attach_ioas: a PASID already attached is
 * replaced; a PASID of 0 is IOMMU_NO_PASID to iommufd (the RID). */
static int pasid_attach(struct vfio_df *df, uint32_t pasid, uint32_t *pt_id, struct kcall *c)
{
	if (df_has_pasid(df, pasid, NULL))
		return iommufd_device_pasid_attach(df->idev, pasid, pt_id, true, c);
	if (df->npasids == df->cappasids) {
		size_t nc = df->cappasids ? 2 * df->cappasids : 4;
		uint32_t *n = realloc(df->pasids, nc * sizeof(*n));
		if (!n)
			return -ENOMEM;
		df->pasids = n;
		df->cappasids = nc;
	}
	int rc = iommufd_device_pasid_attach(df->idev, pasid, pt_id, false, c);
	if (rc)
		return rc;
	size_t i = df->npasids++;
	while (i && df->pasids[i - 1] > pasid) {
		df->pasids[i] = df->pasids[i - 1];
		i--;
	}
	df->pasids[i] = pasid;
	return 0;
}

static void pasid_detach(struct vfio_df *df, uint32_t pasid, struct kcall *c)
{
	size_t at;
	if (!df_has_pasid(df, pasid, &at))
		return;
	iommufd_device_pasid_detach(df->idev, pasid, c);
	memmove(&df->pasids[at], &df->pasids[at + 1], (df->npasids - at - 1) * sizeof(uint32_t));
	df->npasids--;
}

/* vfio_df_ioctl_attach_pt(): the first 12 bytes, and the pasid when the
 * flag asks for it (no copy_struct_from_user, so no E2BIG). */
static int attach_pt(struct shim *s, struct shim_proc *p, struct vfio_df *df, uint64_t arg,
                     struct kcall *c)
{
	struct u_attach_pt a = {0};
	size_t minsz = U_OFFSETOFEND(struct u_attach_pt, pt_id);
	if (shim_copy_from_user(s, p, &a, arg, minsz))
		return -EFAULT;
	if (a.argsz < minsz)
		return -EINVAL;
	if (a.flags & ~VFIO_DEVICE_ATTACH_PASID)
		return -EINVAL;
	bool pasid = a.flags & VFIO_DEVICE_ATTACH_PASID;
	if (pasid) {
		size_t xend = U_OFFSETOFEND(struct u_attach_pt, pasid);
		if (a.argsz < xend)
			return -EINVAL;
		if (shim_copy_from_user(s, p, (uint8_t *)&a + minsz, arg + minsz, xend - minsz))
			return -EFAULT;
	}
	int rc = pasid ? pasid_attach(df, a.pasid, &a.pt_id, c)
	               : iommufd_device_attach(df->idev, &a.pt_id, df->attached, c);
	if (rc)
		return rc;
	if (!pasid)
		df->attached = true;
	if (shim_copy_to_user(s, p, arg + offsetof(struct u_attach_pt, pt_id), &a.pt_id, 4)) {
		/* out_detach: device->ops->detach_ioas(), the RID's, even for a
		 * PASID attach (as vfio_df_ioctl_attach_pt does) */
		if (df->attached)
			iommufd_device_detach(df->idev, c);
		df->attached = false;
		return -EFAULT;
	}
	return 0;
}

static int detach_pt(struct shim *s, struct shim_proc *p, struct vfio_df *df, uint64_t arg,
                     struct kcall *c)
{
	struct u_detach_pt d = {0};
	size_t minsz = U_OFFSETOFEND(struct u_detach_pt, flags);
	if (shim_copy_from_user(s, p, &d, arg, minsz))
		return -EFAULT;
	if (d.argsz < minsz)
		return -EINVAL;
	if (d.flags & ~VFIO_DEVICE_DETACH_PASID)
		return -EINVAL;
	if (d.flags & VFIO_DEVICE_DETACH_PASID) {
		size_t xend = U_OFFSETOFEND(struct u_detach_pt, pasid);
		if (d.argsz < xend)
			return -EINVAL;
		if (shim_copy_from_user(s, p, (uint8_t *)&d + minsz, arg + minsz, xend - minsz))
			return -EFAULT;
		pasid_detach(df, d.pasid, c);
		return 0;
	}
	if (df->attached) {
		iommufd_device_detach(df->idev, c);
		df->attached = false;
	}
	return 0;
}

/* vfio_pci_ioctl_get_info(): a PCI function whose reset works, the
 * standard regions and interrupts, no capability (zPCI is s390's, the
 * atomic-ops one is for functions on a root bus). argsz below num_irqs'
 * end: EINVAL; min(argsz, the struct) of a zeroed struct is copied out. */
static int device_get_info(struct shim *s, struct shim_proc *p, uint64_t arg)
{
	struct u_device_info info;
	size_t minsz = offsetof(struct u_device_info, cap_offset);
	memset(&info, 0, sizeof(info));
	if (shim_copy_from_user(s, p, &info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	minsz = info.argsz < sizeof(info) ? info.argsz : sizeof(info);
	info.flags = 2 /* PCI */ | 1 /* RESET */;
	info.num_regions = 9; /* VFIO_PCI_NUM_REGIONS */
	info.num_irqs = 5;    /* VFIO_PCI_NUM_IRQS */
	return shim_copy_to_user(s, p, arg, &info, minsz) ? -EFAULT : 0;
}

/*
 * The function behind a VFIO device, as vfio-pci reports it: a PCI Express
 * endpoint (config space 4 KiB, AER) with what a trace can declare of it -
 * no BARs, no expansion ROM, no VGA, no INTx pin, no MSI or MSI-X
 * capability. Its regions (vfio_pci_ioctl_get_region_info, through 7.0's
 * vfio_get_region_info) and interrupts (vfio_pci_ioctl_get_irq_info).
 */
enum { PCI_REGION_ROM = 6, PCI_REGION_CONFIG = 7 };
enum { PCI_IRQ_INTX = 0, PCI_IRQ_ERR = 3, PCI_IRQ_REQ = 4, PCI_NUM_IRQS = 5 };

/* vfio_pci_get_irq_count(): no pin, no MSI/MSI-X capability; ERR on a PCIe
 * function; REQ always; nothing past the types. */
static uint32_t irq_count(uint32_t index)
{
	return index == PCI_IRQ_ERR || index == PCI_IRQ_REQ ? 1 : 0;
}

static int device_region_info(struct shim *s, struct shim_proc *p, uint64_t arg)
{
	struct u_region_info info;
	const size_t minsz = sizeof(info); /* offsetofend(offset) */
	if (shim_copy_from_user(s, p, &info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.offset = (uint64_t)info.index << 40; /* VFIO_PCI_INDEX_TO_OFFSET */
	info.cap_offset = 0;
	if (info.index == PCI_REGION_CONFIG) {
		info.size = 4096; /* pdev->cfg_size of a PCIe function */
		info.flags = 1 | 2; /* READ | WRITE */
	} else if (info.index <= PCI_REGION_ROM) {
		info.size = 0; /* no BAR (pci_resource_len 0), no ROM */
		info.flags = 0;
	} else {
		/* VGA without vdev->has_vga; past the device's regions */
		return -EINVAL;
	}
	return shim_copy_to_user(s, p, arg, &info, minsz) ? -EFAULT : 0;
}

static int device_irq_info(struct shim *s, struct shim_proc *p, uint64_t arg)
{
	struct u_irq_info info;
	const size_t minsz = sizeof(info); /* offsetofend(count) */
	if (shim_copy_from_user(s, p, &info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= PCI_NUM_IRQS)
		return -EINVAL;
	info.flags = 1; /* EVENTFD */
	info.count = irq_count(info.index);
	if (info.index == PCI_IRQ_INTX)
		info.flags |= 2 | 4; /* MASKABLE | AUTOMASKED */
	else
		info.flags |= 8; /* NORESIZE (MSI-X too: no dynamic MSI-X without the capability) */
	return shim_copy_to_user(s, p, arg, &info, minsz) ? -EFAULT : 0;
}

/*
 * VFIO_DEVICE_SET_IRQS: vfio_set_irqs_validate_and_prepare() against the
 * counts above, then vfio_pci_set_irqs_ioctl(): ERR and REQ take TRIGGER
 * only (vfio_pci_set_{err,req}_trigger, vfio_pci_set_ctx_trigger_single).
 * An eventfd is one the emulation made (shim_eventfd) or a file of the
 * program the host says is one (its fd_open op answers 2); other files are
 * not (EINVAL), no file EBADF.
 * Nothing raises these interrupts here: the trigger is only kept, until the
 * device's last close.
 */
static int device_set_irqs(struct shim *s, struct shim_proc *p, struct shim_dev *d, uint64_t arg)
{
	struct u_irq_set h;
	const size_t minsz = sizeof(h); /* offsetofend(count) */
	if (shim_copy_from_user(s, p, &h, arg, minsz))
		return -EFAULT;
	uint32_t num = irq_count(h.index);
	if (h.argsz < minsz || h.index >= PCI_NUM_IRQS || h.count >= UINT32_MAX - h.start ||
	    (h.flags & ~0x3fu)) /* DATA_TYPE_MASK | ACTION_TYPE_MASK */
		return -EINVAL;
	if (h.start >= num || h.start + h.count > num)
		return -EINVAL;
	size_t size;
	switch (h.flags & 7) {
	case 1: size = 0; break; /* DATA_NONE */
	case 2: size = 1; break; /* DATA_BOOL */
	case 4: size = 4; break; /* DATA_EVENTFD */
	default: return -EINVAL;
	}
	int32_t fd = 0;
	if (size) {
		if (h.argsz - minsz < (uint64_t)h.count * size)
			return -EINVAL;
		uint8_t data[4] = {0};
		if (h.count && shim_copy_from_user(s, p, data, arg + minsz, size))
			return -EFAULT; /* memdup_user */
		fd = (int32_t)((uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
		               (uint32_t)data[3] << 24);
	}
	if ((h.flags & 0x38) != 0x20) /* ACTION_TRIGGER alone */
		return -ENOTTY;
	bool *ctx = h.index == PCI_IRQ_ERR ? &d->err_trigger : &d->req_trigger;
	if (h.flags & 1) { /* loopback: signal (count 1) or release (0) */
		if (!*ctx)
			return -EINVAL;
		if (!h.count)
			*ctx = false;
		return 0;
	}
	if (!h.count)
		return -EINVAL;
	if (h.flags & 2)
		return 0;
	if (fd == -1) {
		*ctx = false;
	} else if (fd >= 0) {
		int rc = shim_eventfd_get(s, p, fd);
		if (rc)
			return rc;
		*ctx = true;
	}
	return 0;
}

/* vfio_check_feature(): 1 when the call should go on, else its result. */
static int check_feature(uint32_t flags, size_t argsz, uint32_t supported, size_t minsz)
{
	const uint32_t get = 0x10000, set = 0x20000, probe = 0x40000;
	if ((flags & (get | set)) & ~supported)
		return -EINVAL;
	if (flags & probe)
		return 0;
	if (!(flags & (get | set)))
		return -EINVAL;
	if (argsz < minsz)
		return -EINVAL;
	return 1;
}

/* vfio_ioctl_device_feature(): argsz and flags, then the feature. The
 * function has no migration or dirty-logging ops (ENOTTY), no VF token
 * (not SR-IOV: ENOTTY); vfio-pci's low-power features (SET only) are
 * accepted - the power state itself is not modelled - and the one with a
 * wake-up eventfd takes an eventfd (never signalled: nothing wakes). */
static int device_feature(struct shim *s, struct shim_proc *p, uint64_t arg)
{
	struct u_device_feature f;
	if (shim_copy_from_user(s, p, &f, arg, sizeof(f)))
		return -EFAULT;
	if (f.argsz < sizeof(f))
		return -EINVAL;
	const uint32_t get = 0x10000, set = 0x20000, probe = 0x40000;
	if (f.flags & ~(0xffffu | get | set | probe))
		return -EINVAL;
	if (!(f.flags & probe) && (f.flags & set) && (f.flags & get))
		return -EINVAL;
	size_t datasz = f.argsz - sizeof(f);
	int rc;
	switch (f.flags & 0xffffu) {
	case 3: /* LOW_POWER_ENTRY */
	case 5: /* LOW_POWER_EXIT */
		rc = check_feature(f.flags, datasz, set, 0);
		return rc == 1 ? 0 : rc;
	case 4: { /* LOW_POWER_ENTRY_WITH_WAKEUP: {s32 wakeup_eventfd, u32 reserved} */
		rc = check_feature(f.flags, datasz, set, 8);
		if (rc != 1)
			return rc;
		int32_t efd;
		if (shim_copy_from_user(s, p, &efd, arg + sizeof(f), 4))
			return -EFAULT;
		return shim_eventfd_get(s, p, efd);
	}
	default:
		return -ENOTTY;
	}
}

/*
 * VFIO_DEVICE_GET_PCI_HOT_RESET_INFO and VFIO_DEVICE_PCI_HOT_RESET
 * (vfio_pci_ioctl_get_pci_hot_reset_info, vfio_pci_ioctl_pci_hot_reset):
 * the header's checks, then "can we do a slot or bus reset": the platform
 * has no PCI bridges or hotplug slots, so neither (pci_probe_reset_slot and
 * pci_probe_reset_bus fail as for a device on a root bus): ENODEV.
 */
static int hot_reset(struct shim *s, struct shim_proc *p, struct vfio_df *df, unsigned long cmd,
                     uint64_t arg)
{
	struct u_hot_reset h;
	const size_t minsz = sizeof(h); /* offsetofend(count) */
	if (shim_copy_from_user(s, p, &h, arg, minsz))
		return -EFAULT;
	if (h.argsz < minsz)
		return -EINVAL;
	if (cmd == VFIO_DEVICE_PCI_HOT_RESET) {
		if (h.flags)
			return -EINVAL;
		/* a zero-length group_fds array only for cdev-opened devices */
		if (!!h.count == !df->group)
			return -EINVAL;
	}
	return -ENODEV;
}

/*
 * VFIO_DEVICE_IOEVENTFD (vfio_pci_ioctl_ioeventfd, vfio_pci_ioeventfd): a
 * header it cannot read is EFAULT; every check after that - argsz, flags
 * past the size bits, a size not one of 1, 2, 4, 8, fd < -1, and then
 * "ioeventfds go into BARs", of which this function has none
 * (pci_resource_len 0) - answers EINVAL.
 */
static int device_ioeventfd(struct shim *s, struct shim_proc *p, uint64_t arg)
{
	struct u_ioeventfd e;
	const size_t minsz = offsetof(struct u_ioeventfd, reserved); /* offsetofend(fd) */
	return shim_copy_from_user(s, p, &e, arg, minsz) ? -EFAULT : -EINVAL;
}

static int64_t device_ioctl(struct shim *s, struct shim_proc *p, struct vfio_df *df,
                            unsigned long cmd, uint64_t arg, struct kcall *c)
{
	if (cmd == VFIO_DEVICE_BIND_IOMMUFD)
		return bind_iommufd(s, p, df, arg, c);
	if (!df->access_granted)
		return -EINVAL;
	if (!df->group) {
		if (cmd == VFIO_DEVICE_ATTACH_IOMMUFD_PT)
			return attach_pt(s, p, df, arg, c);
		if (cmd == VFIO_DEVICE_DETACH_IOMMUFD_PT)
			return detach_pt(s, p, df, arg, c);
	}
	if (cmd == VFIO_DEVICE_FEATURE)
		return device_feature(s, p, arg);
	if (cmd == VFIO_DEVICE_GET_INFO)
		return device_get_info(s, p, arg);
	if (cmd == VFIO_DEVICE_GET_REGION_INFO)
		return device_region_info(s, p, arg);
	if (cmd == VFIO_DEVICE_GET_IRQ_INFO)
		return device_irq_info(s, p, arg);
	if (cmd == VFIO_DEVICE_SET_IRQS)
		return device_set_irqs(s, p, df->dev, arg);
	if (cmd == VFIO_DEVICE_RESET)
		return 0; /* reset_works (GET_INFO's RESET): the function reset has no state to clear here */
	if (cmd == VFIO_DEVICE_GET_PCI_HOT_RESET_INFO || cmd == VFIO_DEVICE_PCI_HOT_RESET)
		return hot_reset(s, p, df, cmd, arg);
	if (cmd == VFIO_DEVICE_IOEVENTFD)
		return device_ioeventfd(s, p, arg);
	return -ENOTTY;
}

int64_t vfio_ioctl(struct shim *s, struct shim_proc *p, struct shim_file *f, unsigned long cmd,
                   uint64_t arg, struct kcall *c)
{
	switch (f->kind) {
	case SF_VFIO_CONTAINER:
		return container_ioctl(s, p, f->u.container, cmd, arg, c);
	case SF_VFIO_GROUP:
		return group_ioctl(s, p, f->u.group, cmd, arg, c);
	case SF_VFIO_CDEV:
	case SF_VFIO_DEVICE:
		return device_ioctl(s, p, f->u.df, cmd, arg, c);
	default:
		return -ENOTTY;
	}
}
