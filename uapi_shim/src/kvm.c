/*
 * kvm.c - /dev/kvm of the emulated kernel, arm64 flavour of Linux 7.0:
 *
 *  - /dev/kvm (virt/kvm/kvm_main.c kvm_dev_ioctl): KVM_GET_API_VERSION,
 *    KVM_CHECK_EXTENSION, KVM_CREATE_VM with the arm64 machine type (the
 *    low 8 bits are the IPA size, arch/arm64/kvm/mmu.c kvm_init_stage2_mmu);
 *  - the VM fd (kvm_vm_ioctl): KVM_SET_USER_MEMORY_REGION with every check
 *    of kvm_set_memory_region() and arm64's kvm_arch_prepare_memory_region()
 *    IPA limit, KVM_CREATE_VCPU, KVM_CREATE_DEVICE, KVM_CHECK_EXTENSION;
 *  - KVM device fds (kvm_device_ioctl) with the KVM-VFIO device of
 *    virt/kvm/vfio.c: FILE_ADD/FILE_DEL of VFIO group and device files,
 *    vfio_file_set_kvm() into the group or the device file;
 *  - lifetimes: the VM, vCPU and device fds hold references to the VM
 *    (kvm_get_kvm/kvm_put_kvm), and so does a VFIO device that captured it
 *    at its first open; the KVM-VFIO device holds a reference to each VFIO
 *    file it was given (get_file) and gives them back, with
 *    vfio_file_set_kvm(file, NULL), when its fd is released (its .release
 *    op), which is at the latest when the VM dies;
 *  - vCPU scheduling (shim_kvm_vcpu): kvm_arch_vcpu_load's VMID update
 *    (arch/arm64/kvm/vmid.c through kvm_vmid.c) and the TLBI ALLE1IS of a
 *    rollover, broadcast through the host (digest §4, §5).
 *
 *  - the vCPU fd: KVM_ARM_VCPU_INIT with every check of arm64's
 *    kvm_arch_vcpu_ioctl_vcpu_init() against this host's features (PSCI
 *    0.2 and PMUv3; no AArch32 EL1, SVE, pointer authentication or nested
 *    virtualisation, as KVM_CHECK_EXTENSION says), one feature set per VM;
 *    the ioctls that need an initialised vCPU say ENOEXEC before it is.
 *
 * Not modelled: the guest's execution (KVM_RUN of an initialised vCPU
 * answers EINTR, as with a signal pending: nothing runs), its registers
 * (ONE_REG and REG_LIST of an initialised vCPU answer EINVAL), the vGIC
 * and other device types (ENODEV), guest_memfd, dirty logging beyond the
 * flag, MTE/VM_PFNMAP checks.
 */
#include "kvm.h"

#include "shim_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* arm64: KVM_MAX_VCPUS = VGIC_V3_MAX_CPUS and KVM_MAX_VCPU_IDS defaults to it. */
#define KVM_MAX_VCPUS 512u
/* KVM_MEM_SLOTS_NUM = SHRT_MAX, no internal slots on arm64. */
#define KVM_USER_MEM_SLOTS 32767u
#define KVM_MEM_MAX_NR_PAGES ((1ull << 31) - 1)
/* The host's kvm_ipa_limit (ID_AA64MMFR0_EL1.PARange of a 48-bit host). */
#define KVM_IPA_LIMIT 48u
#define KVM_PHYS_SHIFT 40u
#define ARM64_MIN_PARANGE_BITS 32u
/* access_ok() on arm64 with 48-bit user VAs (TASK_SIZE_64). */
#define KVM_USER_VA_LIMIT (1ull << 48)
#define KVM_SET_USER_MEMORY_REGION_V1_FLAGS (KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)

/* Per machine: which vCPU each physical CPU runs, and the counters. */
struct shim_kvm_state {
	unsigned ncpus;
	struct shim_kvm_vcpu **cpu_vcpu;
	struct shim_kvm_stats st;
};

static struct shim_kvm_state *kstate(struct shim *s)
{
	if (s->kvm)
		return s->kvm;
	struct shim_kvm_state *ks = calloc(1, sizeof(*ks));
	if (!ks)
		return NULL;
	ks->ncpus = s->cfg.kvm_cpus;
	ks->cpu_vcpu = calloc(ks->ncpus ? ks->ncpus : 1, sizeof(*ks->cpu_vcpu));
	if (!ks->cpu_vcpu) {
		free(ks);
		return NULL;
	}
	s->kvm = ks;
	return ks;
}

void kvm_state_free(struct shim *s)
{
	if (!s->kvm)
		return;
	free(s->kvm->cpu_vcpu);
	free(s->kvm);
	s->kvm = NULL;
}

/* ------------------------------------------------------------------ */
/* the VM object                                                        */

struct shim_kvm *shim_dev_kvm(const struct shim_dev *d)
{
	return d ? d->kvm : NULL;
}

struct kvm_vmid *shim_kvm_vmid(struct shim_kvm *k)
{
	return k ? &k->vmid : NULL;
}

const char *shim_kvm_name(const struct shim_kvm *k)
{
	return k ? k->name : "";
}

void shim_kvm_get(struct shim_kvm *k)
{
	k->users++;
}

/* kvm_destroy_vm(): its vCPUs go (a vCPU still loaded is put first: the
 * thread that ran it is gone), then the memslots. The VMID is not given
 * back: mainline's allocator frees indexes only at a rollover. */
static void kvm_destroy(struct shim_kvm *k, struct kcall *c)
{
	struct shim *s = k->s;
	struct shim_kvm_state *ks = s->kvm;
	ktime_charge(c, s->env.t.obj_op);
	for (size_t i = 0; i < k->nvcpus; i++) {
		struct shim_kvm_vcpu *v = k->vcpus[i];
		if (v->cpu >= 0 && ks && (unsigned)v->cpu < ks->ncpus) {
			if (s->env.kvm_vmids)
				kvm_vmid_clear_active(s->env.kvm_vmids, (unsigned)v->cpu);
			ks->cpu_vcpu[v->cpu] = NULL;
		}
		free(v);
	}
	if (ks)
		ks->st.vms_live--;
	free(k->vcpus);
	free(k->slots);
	free(k->tables);
	free(k->pools);
	free(k);
}

void shim_kvm_put(struct shim_kvm *k, struct kcall *c)
{
	if (!k || --k->users > 0)
		return;
	kvm_destroy(k, c);
}

struct shim_kvm *kvm_from_fd(struct shim *s, struct shim_proc *p, int fd)
{
	(void)s;
	struct shim_file *f = p ? shim_fd_get(p, fd) : NULL;
	return f && f->kind == SF_KVM_VM ? f->u.kvm : NULL;
}

int kvm_open_dev(struct shim *s, struct shim_proc *p, struct shim_file *f)
{
	(void)p, (void)f;
	return kstate(s) ? 0 : -ENOMEM;
}

/* kvm_vm_ioctl_check_extension_generic() and arm64's
 * kvm_vm_ioctl_check_extension(); k is NULL on /dev/kvm. The host they
 * describe: a GICv3-less KVM (no in-kernel vGIC is emulated: IRQCHIP 0,
 * vGIC devices ENODEV), an Armv8.2 CPU without SVE, MTE, pointer
 * authentication or AArch32 EL1, with PMUv3 and RAS, 6 breakpoints and 4
 * watchpoints, 4K pages, IPA limit KVM_IPA_LIMIT. Unknown: 0. */
static int64_t check_extension(struct shim *s, struct shim_kvm *k, uint64_t cap)
{
	switch (cap) {
	/* generic */
	case 3:   /* USER_MEMORY */
	case 231: /* USER_MEMORY2 */
	case 21:  /* DESTROY_MEMORY_REGION_WORKS */
	case 30:  /* JOIN_MEMORY_REGIONS_WORKS */
	case 40:  /* INTERNAL_ERROR_DATA */
	case 77:  /* SIGNAL_MSI */
	case 32:  /* IRQFD */
	case 122: /* IOEVENTFD_ANY_LENGTH */
	case 105: /* CHECK_EXTENSION_VM */
	case 98:  /* ENABLE_CAP_VM */
	case 182: /* HALT_POLL */
	case 15:  /* COALESCED_MMIO: KVM_COALESCED_MMIO_PAGE_OFFSET */
	case 162: /* COALESCED_PIO */
	case 225: /* DIRTY_LOG_RING_WITH_BITMAP */
	case 203: /* BINARY_STATS_FD */
	case 215: /* SYSTEM_EVENT_DATA */
	case 89:  /* DEVICE_CTRL */
	/* arm64 */
	case 36:  /* IOEVENTFD */
	case 16:  /* SYNC_MMU */
	case 70:  /* ONE_REG */
	case 87:  /* ARM_PSCI */
	case 102: /* ARM_PSCI_0_2 */
	case 81:  /* READONLY_MEM */
	case 14:  /* MP_STATE */
	case 136: /* IMMEDIATE_EXIT */
	case 41:  /* VCPU_EVENTS */
	case 174: /* ARM_IRQ_LINE_LAYOUT_2 */
	case 177: /* ARM_NISV_TO_USER */
	case 178: /* ARM_INJECT_EXT_DABT */
	case 23:  /* SET_GUEST_DEBUG */
	case 127: /* VCPU_ATTRIBUTES */
	case 198: /* PTP_KVM */
	case 216: /* ARM_SYSTEM_SUSPEND */
	case 82:  /* IRQFD_RESAMPLE */
	case 227: /* COUNTER_OFFSET */
	case 88:  /* ARM_SET_DEVICE_ADDR */
	case 144: /* ARM_USER_IRQ */
	case 187: /* STEAL_TIME */
	case 126: /* ARM_PMU_V3 */
	case 158: /* ARM_INJECT_SERROR_ESR (RAS) */
	case 230: /* ARM_SUPPORTED_REG_MASK_RANGES: BIT(0) */
		return 1;
	case 168: /* MANUAL_DIRTY_LOG_PROTECT2: MANUAL_PROTECT_ENABLE | INITIALLY_SET */
		return 3;
	case 25: /* IRQ_ROUTING: KVM_MAX_IRQ_ROUTES */
		return 4096;
	case 223: /* DIRTY_LOG_RING_ACQ_REL: entries x sizeof(struct kvm_dirty_gfn) */
		return 65536 * 16;
	case 195: /* SET_GUEST_DEBUG2: KVM_GUESTDBG_VALID_MASK */
		return 0x30003;
	case 119: /* GUEST_DEBUG_HW_BPS */
		return 6;
	case 120: /* GUEST_DEBUG_HW_WPS */
		return 4;
	case 229: /* ARM_SUPPORTED_BLOCK_SIZES, 4K: 1G, 2M, 4K */
		return 0x40201000;
	case 131: /* MSI_DEVID: a VM's vgic.msis_require_devid, none on /dev/kvm */
		return k ? 0 : -EINVAL;
	case KVM_CAP_NR_MEMSLOTS:
		return KVM_USER_MEM_SLOTS;
	case KVM_CAP_NR_VCPUS:
		return s->cfg.kvm_cpus < KVM_MAX_VCPUS ? s->cfg.kvm_cpus : KVM_MAX_VCPUS;
	case KVM_CAP_MAX_VCPUS:
	case KVM_CAP_MAX_VCPU_ID:
		return KVM_MAX_VCPUS;
	case KVM_CAP_ARM_VM_IPA_SIZE:
		return KVM_IPA_LIMIT;
	default: /* IRQCHIP (no vGIC), SVE, MTE, PTRAUTH, EL1_32BIT, DIRTY_LOG_RING ... */
		return 0;
	}
}

/* kvm_dev_ioctl_create_vm() -> kvm_arch_init_vm() -> kvm_init_stage2_mmu(). */
static int64_t create_vm(struct shim *s, struct shim_proc *p, uint64_t type, struct kcall *c)
{
	if (type & ~KVM_VM_TYPE_ARM_IPA_SIZE_MASK)
		return -EINVAL;
	unsigned shift = (unsigned)(type & KVM_VM_TYPE_ARM_IPA_SIZE_MASK);
	if (shift) {
		if (shift > KVM_IPA_LIMIT || shift < ARM64_MIN_PARANGE_BITS)
			return -EINVAL;
	} else {
		shift = KVM_PHYS_SHIFT;
	}
	struct shim_kvm_state *ks = kstate(s);
	struct shim_kvm *k = calloc(1, sizeof(*k));
	struct shim_file *f = shim_file_new(p, SF_KVM_VM);
	if (!ks || !k || !f) {
		free(k);
		free(f);
		return -ENOMEM;
	}
	k->s = s;
	k->mm = p;
	k->users = 1;
	k->ipa_bits = shift;
	snprintf(k->name, sizeof(k->name), "%s/vm%u", p->name, p->nvms);
	/* kvm_create_vm: the struct, arch init and the stage-2 PGD. */
	ktime_charge(c, s->env.t.obj_op + s->env.t.table_alloc);
	f->u.kvm = k;
	int fd = shim_fd_install(p, f);
	if (fd < 0) {
		free(k);
		free(f);
		return fd;
	}
	p->nvms++;
	ks->st.vms_created++;
	ks->st.vms_live++;
	return fd;
}

/* ------------------------------------------------------------------ */
/* memslots                                                             */

static struct kvm_memslot *slot_find(struct shim_kvm *k, uint16_t id)
{
	for (size_t i = 0; i < k->nslots; i++)
		if (k->slots[i].id == id)
			return &k->slots[i];
	return NULL;
}

static bool slot_overlaps(struct shim_kvm *k, uint16_t id, uint64_t base, uint64_t size)
{
	for (size_t i = 0; i < k->nslots; i++) {
		const struct kvm_memslot *m = &k->slots[i];
		if (m->id != id && base < m->base + m->size && m->base < base + size)
			return true;
	}
	return false;
}

/* kvm_vm_ioctl_set_memory_region() + kvm_set_memory_region(), in their
 * order, then arm64's kvm_arch_prepare_memory_region(). */
static int set_memory_region(struct shim_kvm *k, const struct u_kvm_userspace_memory_region *mem,
                             struct kcall *c)
{
	enum { CREATE, DELETE, MOVE, FLAGS_ONLY } change;
	if ((uint16_t)mem->slot >= KVM_USER_MEM_SLOTS)
		return -EINVAL;
	uint32_t as_id = mem->slot >> 16;
	uint16_t id = (uint16_t)mem->slot;
	const uint64_t pg = SHIM_PAGE;
	if (mem->memory_size & (pg - 1))
		return -EINVAL;
	if (mem->guest_phys_addr & (pg - 1))
		return -EINVAL;
	/* access_ok(userspace_addr, memory_size) */
	if ((mem->userspace_addr & (pg - 1)) || mem->userspace_addr > KVM_USER_VA_LIMIT ||
	    mem->memory_size > KVM_USER_VA_LIMIT - mem->userspace_addr)
		return -EINVAL;
	if (as_id >= 1) /* kvm_arch_nr_memslot_as_ids() is 1 on arm64 */
		return -EINVAL;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return -EINVAL;
	if ((mem->memory_size / pg) > KVM_MEM_MAX_NR_PAGES)
		return -EINVAL;
	struct kvm_memslot *old = slot_find(k, id);
	if (!mem->memory_size) {
		if (!old)
			return -EINVAL;
		*old = k->slots[--k->nslots];
		ktime_charge(c, k->s->env.t.obj_op);
		return 0;
	}
	if (!old) {
		change = CREATE;
	} else {
		if (mem->userspace_addr != old->uaddr || mem->memory_size != old->size ||
		    ((mem->flags ^ old->flags) & KVM_MEM_READONLY))
			return -EINVAL;
		if (mem->guest_phys_addr != old->base)
			change = MOVE;
		else if (mem->flags != old->flags)
			change = FLAGS_ONLY;
		else
			return 0;
	}
	if ((change == CREATE || change == MOVE) &&
	    slot_overlaps(k, id, mem->guest_phys_addr, mem->memory_size))
		return -EEXIST;
	/* arm64: no memslot beyond the VM's IPA space. */
	if (mem->guest_phys_addr + mem->memory_size > (1ull << k->ipa_bits))
		return -EFAULT;
	ktime_charge(c, k->s->env.t.obj_op);
	if (change == CREATE) {
		if (k->nslots == k->capslots) {
			size_t nc = k->capslots ? 2 * k->capslots : 4;
			struct kvm_memslot *ns = realloc(k->slots, nc * sizeof(*ns));
			if (!ns)
				return -ENOMEM;
			k->slots = ns;
			k->capslots = nc;
		}
		old = &k->slots[k->nslots++];
		old->id = id;
		old->size = mem->memory_size;
		old->uaddr = mem->userspace_addr;
	}
	old->base = mem->guest_phys_addr;
	old->flags = mem->flags;
	return 0;
}

/* ------------------------------------------------------------------ */
/* vCPUs                                                                */

static struct shim_kvm_vcpu *vcpu_find(struct shim_kvm *k, uint32_t id)
{
	for (size_t i = 0; i < k->nvcpus; i++)
		if (k->vcpus[i]->id == id)
			return k->vcpus[i];
	return NULL;
}

/* The checks of kvm_vm_ioctl_create_vcpu(); -EEXIST for a duplicate id. */
static int vcpu_new(struct shim_kvm *k, uint64_t id, struct shim_kvm_vcpu **out)
{
	if (id >= KVM_MAX_VCPUS)
		return -EINVAL;
	if (k->nvcpus >= KVM_MAX_VCPUS) /* created_vcpus >= max_vcpus */
		return -EINVAL;
	if (vcpu_find(k, (uint32_t)id))
		return -EEXIST;
	if (k->nvcpus == k->capvcpus) {
		size_t nc = k->capvcpus ? 2 * k->capvcpus : 4;
		struct shim_kvm_vcpu **nv = realloc(k->vcpus, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		k->vcpus = nv;
		k->capvcpus = nc;
	}
	struct shim_kvm_vcpu *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->kvm = k;
	v->id = (uint32_t)id;
	v->cpu = -1;
	k->vcpus[k->nvcpus++] = v;
	*out = v;
	return 0;
}

static int64_t create_vcpu(struct shim_kvm *k, struct shim_proc *p, uint64_t id, struct kcall *c)
{
	struct shim_kvm_vcpu *v;
	int rc = vcpu_new(k, id, &v);
	if (rc)
		return rc;
	ktime_charge(c, k->s->env.t.obj_op + k->s->env.t.table_alloc); /* vcpu + kvm_run page */
	struct shim_file *f = shim_file_new(p, SF_KVM_VCPU);
	int fd = f ? 0 : -ENOMEM;
	if (f) {
		f->u.vcpu = v;
		fd = shim_fd_install(p, f);
	}
	if (fd < 0) {
		/* Linux keeps a vCPU whose fd could not be made only on the
		 * way out of the error path; here it simply goes. */
		k->nvcpus--;
		free(v);
		free(f);
		return fd;
	}
	shim_kvm_get(k); /* create_vcpu_fd: kvm_get_kvm() */
	return fd;
}

/* ------------------------------------------------------------------ */
/* the KVM-VFIO device                                                  */

/* vfio_file_set_kvm(): the group or the device file records the VM (no
 * reference: the KVM-VFIO device's file reference keeps the pairing). */
static void vfio_file_set_kvm(struct shim_file *f, struct shim_kvm *k)
{
	if (f->kind == SF_VFIO_GROUP)
		f->u.group->kvm = k;
	else if (f->kind == SF_VFIO_CDEV || f->kind == SF_VFIO_DEVICE)
		f->u.df->kvm = k;
}

/* vfio_file_is_valid(): a group file or a VFIO device file. */
static bool vfio_file_is_valid(const struct shim_file *f)
{
	return f->kind == SF_VFIO_GROUP || f->kind == SF_VFIO_CDEV || f->kind == SF_VFIO_DEVICE;
}

struct shim_kvm *kvm_vfio_df_kvm(const struct vfio_df *df)
{
	return df ? df->kvm : NULL;
}

struct shim_kvm *kvm_vfio_group_kvm(const struct shim_group *g)
{
	return g ? g->kvm : NULL;
}

void kvm_vfio_device_capture(struct shim_dev *d, struct shim_kvm *k)
{
	if (!k || d->kvm)
		return;
	shim_kvm_get(k);
	d->kvm = k;
}

void kvm_vfio_device_release(struct shim_dev *d, struct kcall *c)
{
	struct shim_kvm *k = d->kvm;
	d->kvm = NULL;
	shim_kvm_put(k, c);
}

static int64_t create_device(struct shim_kvm *k, struct shim_proc *p,
                             struct u_kvm_create_device *cd, struct kcall *c)
{
	/* kvm_device_ops_table: only the KVM-VFIO device is registered. */
	if (cd->type != KVM_DEV_TYPE_VFIO)
		return -ENODEV;
	if (cd->flags & KVM_CREATE_DEVICE_TEST)
		return 0;
	/* kvm_vfio_create(): one VFIO device per VM. */
	if (k->vfio_dev)
		return -EBUSY;
	struct shim_kvm_dev *d = calloc(1, sizeof(*d));
	struct shim_file *f = shim_file_new(p, SF_KVM_DEVICE);
	if (!d || !f) {
		free(d);
		free(f);
		return -ENOMEM;
	}
	ktime_charge(c, k->s->env.t.obj_op);
	d->kvm = k;
	f->u.kdev = d;
	int fd = shim_fd_install(p, f);
	if (fd < 0) {
		free(d);
		free(f);
		return fd;
	}
	k->vfio_dev = d;
	shim_kvm_get(k);
	cd->fd = (uint32_t)fd;
	return 0;
}

static int vfio_file_add(struct shim *s, struct shim_proc *p, struct shim_kvm_dev *d, int32_t fd)
{
	struct shim_file *f = shim_fd_get(p, fd);
	if (!f) /* kvm_vfio_file_add: !kvm_vfio_file_is_valid */
		return shim_fd_absent(s, fd, -EINVAL);
	if (!vfio_file_is_valid(f))
		return -EINVAL;
	for (size_t i = 0; i < d->nfiles; i++)
		if (d->files[i] == f)
			return -EEXIST;
	if (d->nfiles == d->capfiles) {
		size_t nc = d->capfiles ? 2 * d->capfiles : 4;
		struct shim_file **nf = realloc(d->files, nc * sizeof(*nf));
		if (!nf)
			return -ENOMEM;
		d->files = nf;
		d->capfiles = nc;
	}
	shim_file_get(f);
	d->files[d->nfiles++] = f;
	vfio_file_set_kvm(f, d->kvm);
	return 0;
}

static int vfio_file_del(struct shim *s, struct shim_proc *p, struct shim_kvm_dev *d, int32_t fd,
                         struct kcall *c)
{
	struct shim_file *f = shim_fd_get(p, fd);
	if (!f) /* kvm_vfio_file_del: not in the list */
		return shim_fd_absent(s, fd, -ENOENT);
	for (size_t i = 0; i < d->nfiles; i++) {
		if (d->files[i] != f)
			continue;
		memmove(&d->files[i], &d->files[i + 1], (d->nfiles - i - 1) * sizeof(*d->files));
		d->nfiles--;
		vfio_file_set_kvm(f, NULL);
		shim_file_put(s, f, c);
		return 0;
	}
	return -ENOENT;
}

/* kvm_vfio_set_attr() / kvm_vfio_set_file(). */
static int vfio_set_attr(struct shim *s, struct shim_proc *p, struct shim_kvm_dev *d,
                         const struct u_kvm_device_attr *a, struct kcall *c)
{
	if (a->group != KVM_DEV_VFIO_FILE)
		return -ENXIO;
	if (a->attr != KVM_DEV_VFIO_FILE_ADD && a->attr != KVM_DEV_VFIO_FILE_DEL)
		return -ENXIO;
	int32_t fd;
	if (shim_copy_from_user(s, p, &fd, a->addr, sizeof(fd)))
		return -EFAULT;
	ktime_charge(c, s->env.t.obj_op);
	if (a->attr == KVM_DEV_VFIO_FILE_ADD)
		return vfio_file_add(s, p, d, fd);
	return vfio_file_del(s, p, d, fd, c);
}

static int vfio_has_attr(const struct u_kvm_device_attr *a)
{
	if (a->group == KVM_DEV_VFIO_FILE &&
	    (a->attr == KVM_DEV_VFIO_FILE_ADD || a->attr == KVM_DEV_VFIO_FILE_DEL))
		return 0;
	return -ENXIO;
}

/* kvm_vfio_release(): the device fd's release gives every file back. */
static void kvm_dev_release(struct shim *s, struct shim_kvm_dev *d, struct kcall *c)
{
	struct shim_kvm *k = d->kvm;
	while (d->nfiles) {
		struct shim_file *f = d->files[--d->nfiles];
		vfio_file_set_kvm(f, NULL);
		shim_file_put(s, f, c);
	}
	free(d->files);
	if (k->vfio_dev == d)
		k->vfio_dev = NULL;
	free(d);
	shim_kvm_put(k, c);
}

/* ------------------------------------------------------------------ */
/* ioctl dispatch                                                       */

static int64_t vm_ioctl(struct shim *s, struct shim_proc *p, struct shim_kvm *k, unsigned long cmd,
                        uint64_t arg, struct kcall *c)
{
	switch (cmd) {
	case KVM_CREATE_VCPU:
		return create_vcpu(k, p, arg, c);
	case KVM_SET_USER_MEMORY_REGION:
	case KVM_SET_USER_MEMORY_REGION2: {
		/* kvm_vm_ioctl(): both read into the v2 struct, v1 its first
		 * part; no guest_memfd here (KVM_MEM_GUEST_MEMFD: EINVAL) */
		struct u_kvm_userspace_memory_region2 m2;
		memset(&m2, 0, sizeof(m2));
		size_t size = cmd == KVM_SET_USER_MEMORY_REGION
		                  ? sizeof(struct u_kvm_userspace_memory_region)
		                  : sizeof(m2);
		if (shim_copy_from_user(s, p, &m2, arg, size))
			return -EFAULT;
		if (m2.flags & ~KVM_SET_USER_MEMORY_REGION_V1_FLAGS)
			return -EINVAL;
		struct u_kvm_userspace_memory_region mem = {m2.slot, m2.flags, m2.guest_phys_addr,
		                                            m2.memory_size, m2.userspace_addr};
		return set_memory_region(k, &mem, c);
	}
	case KVM_CREATE_DEVICE: {
		struct u_kvm_create_device cd;
		if (shim_copy_from_user(s, p, &cd, arg, sizeof(cd)))
			return -EFAULT;
		int rc = create_device(k, p, &cd, c);
		if (rc)
			return rc;
		/* As in Linux, a failed copy-out leaves the new fd installed. */
		return shim_copy_to_user(s, p, arg, &cd, sizeof(cd)) ? -EFAULT : 0;
	}
	case KVM_CHECK_EXTENSION:
		return check_extension(s, k, arg);
	case KVM_SET_DEVICE_ATTR:
	case KVM_HAS_DEVICE_ATTR:
	case KVM_GET_DEVICE_ATTR: {
		/* arm64 kvm_vm_{set,has}_attr: only KVM_ARM_VM_SMCCC_CTRL (group
		 * 0, not modelled here) is a VM attribute group */
		struct u_kvm_device_attr a;
		if (cmd == KVM_GET_DEVICE_ATTR)
			return -EINVAL; /* arm64 kvm_arch_vm_ioctl() has no GET */
		if (shim_copy_from_user(s, p, &a, arg, sizeof(a)))
			return -EFAULT;
		/* KVM_ARM_VM_SMCCC_FILTER exists (has_attr 0); setting it is
		 * not modelled */
		if (cmd == KVM_HAS_DEVICE_ATTR && a.group == 0 && a.attr == 0)
			return 0;
		return -ENXIO;
	}
	case KVM_ARM_PREFERRED_TARGET: {
		/* kvm_vcpu_preferred_target(): the generic v8 target, no features */
		struct u_kvm_vcpu_init init;
		memset(&init, 0, sizeof(init));
		init.target = KVM_ARM_TARGET_GENERIC_V8;
		return shim_copy_to_user(s, p, arg, &init, sizeof(init)) ? -EFAULT : 0;
	}
	default:
		return -EINVAL; /* arm64 kvm_arch_vm_ioctl() */
	}
}

/* The vCPU features this host offers (system_supported_vcpu_features()):
 * what KVM_CHECK_EXTENSION advertises - PSCI 0.2 and PMUv3 - and the
 * ephemeral POWER_OFF. */
#define HOST_VCPU_FEATURES                                                                         \
	((1u << KVM_ARM_VCPU_POWER_OFF) | (1u << KVM_ARM_VCPU_PSCI_0_2) |                          \
	 (1u << KVM_ARM_VCPU_PMU_V3))
#define VALID_VCPU_FEATURES ((1u << KVM_VCPU_MAX_FEATURES) - 1)

/* kvm_arch_vcpu_ioctl_vcpu_init(): kvm_vcpu_set_target() and its checks. */
static int vcpu_init(struct shim_kvm_vcpu *v, struct u_kvm_vcpu_init *init)
{
	struct shim_kvm *k = v->kvm;
	/* POWER_OFF is ephemeral: not part of the VM's feature set (the power
	 * state it asks for is not modelled: no vCPU runs) */
	uint32_t features = init->features[0] & ~(1u << KVM_ARM_VCPU_POWER_OFF);

	if (init->target != KVM_ARM_TARGET_GENERIC_V8)
		return -EINVAL; /* nor kvm_target_cpu(): the generic target only */
	/* kvm_vcpu_init_check_features() */
	if (features & ~VALID_VCPU_FEATURES)
		return -ENOENT;
	for (unsigned i = 1; i < 7; i++)
		if (init->features[i])
			return -ENOENT;
	if (features & ~HOST_VCPU_FEATURES)
		return -EINVAL;
	/* (both pointer authentication bits or neither, AArch32 with MTE or
	 * NV: unreachable here, the host offers none of them) */
	if (!v->initialized) {
		/* __kvm_vcpu_set_target(): the first INIT fixes the VM's set */
		if (k->features_configured && k->vcpu_features != features)
			return -EINVAL;
		k->vcpu_features = features;
		k->features_configured = true;
		v->initialized = true;
	} else if (k->vcpu_features != features) {
		return -EINVAL; /* kvm_vcpu_init_changed() */
	}
	return 0; /* kvm_reset_vcpu(): no state here */
}

/* kvm_vcpu_ioctl() -> kvm_arch_vcpu_ioctl() of arm64. */
static int64_t vcpu_ioctl(struct shim *s, struct shim_proc *p, struct shim_kvm_vcpu *v,
                          unsigned long cmd, uint64_t arg)
{
	switch (cmd) {
	case KVM_RUN:
		if (arg)
			return -EINVAL;
		/* kvm_arch_vcpu_run_pid_change(): never initialised -> ENOEXEC;
		 * the guest itself is not modelled: it returns at once, as
		 * with a signal pending */
		return v->initialized ? -EINTR : -ENOEXEC;
	case KVM_ARM_VCPU_INIT: {
		struct u_kvm_vcpu_init init;
		if (shim_copy_from_user(s, p, &init, arg, sizeof(init)))
			return -EFAULT;
		return vcpu_init(v, &init);
	}
	case KVM_SET_ONE_REG:
	case KVM_GET_ONE_REG:
	case KVM_GET_REG_LIST:
		if (!v->initialized)
			return -ENOEXEC;
		return -EINVAL; /* the registers are not modelled */
	case KVM_ARM_VCPU_FINALIZE: {
		int32_t what;
		if (!v->initialized)
			return -ENOEXEC;
		if (shim_copy_from_user(s, p, &what, arg, sizeof(what)))
			return -EFAULT;
		/* kvm_arm_vcpu_finalize(): only SVE is finalised, and no vCPU
		 * here has SVE */
		return -EINVAL;
	}
	case KVM_SET_DEVICE_ATTR:
	case KVM_HAS_DEVICE_ATTR:
	case KVM_GET_DEVICE_ATTR: {
		/* kvm_arm_vcpu_arch_*_attr(): no PMU/timer/PV-time groups
		 * modelled -> ENXIO */
		struct u_kvm_device_attr a;
		if (shim_copy_from_user(s, p, &a, arg, sizeof(a)))
			return -EFAULT;
		return -ENXIO;
	}
	default:
		return -EINVAL; /* the rest of kvm_arch_vcpu_ioctl(): not modelled */
	}
}

static int64_t device_ioctl(struct shim *s, struct shim_proc *p, struct shim_kvm_dev *d,
                            unsigned long cmd, uint64_t arg, struct kcall *c)
{
	struct u_kvm_device_attr a;
	switch (cmd) {
	case KVM_SET_DEVICE_ATTR:
	case KVM_HAS_DEVICE_ATTR:
		if (shim_copy_from_user(s, p, &a, arg, sizeof(a)))
			return -EFAULT;
		return cmd == KVM_SET_DEVICE_ATTR ? vfio_set_attr(s, p, d, &a, c) : vfio_has_attr(&a);
	case KVM_GET_DEVICE_ATTR:
		/* kvm_device_ioctl_attr(): the KVM-VFIO device has no get_attr. */
		return -EPERM;
	default:
		return -ENOTTY;
	}
}

int64_t kvm_ioctl(struct shim *s, struct shim_proc *p, struct shim_file *f, unsigned long cmd,
                  uint64_t arg, struct kcall *c)
{
	switch (f->kind) {
	case SF_KVM:
		switch (cmd) {
		case KVM_GET_API_VERSION:
			return arg ? -EINVAL : KVM_API_VERSION;
		case KVM_CREATE_VM:
			return create_vm(s, p, arg, c);
		case KVM_CHECK_EXTENSION:
			return check_extension(s, NULL, arg);
		case KVM_GET_VCPU_MMAP_SIZE:
			/* kvm_run page + the coalesced MMIO page (CONFIG_KVM_MMIO) */
			return arg ? -EINVAL : (int64_t)(2 * SHIM_PAGE);
		default:
			return -EINVAL; /* arm64 kvm_arch_dev_ioctl() */
		}
	case SF_KVM_VM:
		/* A VM is usable only from the process that created it. */
		if (f->u.kvm->mm != p)
			return -EIO;
		return vm_ioctl(s, p, f->u.kvm, cmd, arg, c);
	case SF_KVM_VCPU:
		if (f->u.vcpu->kvm->mm != p)
			return -EIO;
		return vcpu_ioctl(s, p, f->u.vcpu, cmd, arg);
	case SF_KVM_DEVICE:
		if (f->u.kdev->kvm->mm != p)
			return -EIO;
		return device_ioctl(s, p, f->u.kdev, cmd, arg, c);
	default:
		return -ENOTTY;
	}
}

void kvm_file_release(struct shim *s, struct shim_file *f, struct kcall *c)
{
	switch (f->kind) {
	case SF_KVM_VM:
		shim_kvm_put(f->u.kvm, c); /* kvm_vm_release */
		break;
	case SF_KVM_VCPU:
		shim_kvm_put(f->u.vcpu->kvm, c); /* kvm_vcpu_release */
		break;
	case SF_KVM_DEVICE:
		kvm_dev_release(s, f->u.kdev, c); /* kvm_device_release */
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* vCPU scheduling: KVM's VMID allocator                                */

int kvm_vm_lookup(struct shim *s, const char *proc, int vmfd, struct shim_kvm **out)
{
	struct shim_proc *p = shim_proc_get(s, proc);
	struct shim_file *f = p ? shim_fd_get(p, vmfd) : NULL;
	if (!f || f->kind != SF_KVM_VM)
		return -EBADF;
	if (f->u.kvm->mm != p)
		return -EIO;
	*out = f->u.kvm;
	return 0;
}

static int vcpu_sched(struct shim *s, struct shim_kvm *k, unsigned id, unsigned cpu, bool load,
                      struct kcall *c)
{
	struct shim_kvm_state *ks = kstate(s);
	struct kvm_vmid_space *sp = s->env.kvm_vmids;
	if (!ks)
		return -ENOMEM;
	if (!sp)
		return -ENODEV; /* not booted */
	if (cpu >= ks->ncpus)
		return -EINVAL;
	struct shim_kvm_vcpu *v = vcpu_find(k, id);
	if (!v) {
		int rc = vcpu_new(k, id, &v);
		if (rc)
			return rc;
	}
	if (!load) {
		if (v->cpu != (int)cpu)
			return -EINVAL;
		/* kvm_arch_vcpu_put -> kvm_arm_vmid_clear_active() */
		kvm_vmid_clear_active(sp, cpu);
		ktime_charge(c, s->env.t.obj_op);
		v->cpu = -1;
		ks->cpu_vcpu[cpu] = NULL;
		ks->st.vcpu_puts++;
		return 0;
	}
	if (v->cpu >= 0 || ks->cpu_vcpu[cpu])
		return -EBUSY;
	/* kvm_arch_vcpu_load -> kvm_arm_vmid_update(): the fast path is a
	 * cmpxchg; a VMID of an old generation takes cpu_vmid_lock and
	 * new_vmid(); a rollover also walks every CPU (flush_context) and
	 * broadcasts TLBI ALLE1IS, waiting for its DSB. */
	uint64_t before = k->vmid.id;
	bool rollover = false;
	ktime_charge(c, s->env.t.obj_op);
	uint32_t idx = kvm_vmid_update(sp, &k->vmid, cpu, &rollover);
	if (k->vmid.id != before) {
		ks->st.vmid_allocs++;
		ktime_charge(c, s->env.t.obj_op);
	}
	if (rollover) {
		ktime_charge(c, (uint64_t)s->env.t.obj_op * ks->ncpus);
		uint32_t removed = kbroadcast_tlbi(&s->env, "ALLE1IS", 0, 0, 0, c->t);
		ktime_charge(c, s->env.t.poll_interval);
		ks->st.flushes++;
		ks->st.flush_removed += removed;
		klog(&s->env, 2,
		     "kvm: VMID rollover at %s vcpu %u load (generation %llu): TLBI ALLE1IS "
		     "removed %u SMMU TLB entries",
		     k->name, id, (unsigned long long)kvm_vmid_generation(sp), removed);
	}
	v->cpu = (int)cpu;
	ks->cpu_vcpu[cpu] = v;
	ks->st.vcpu_loads++;
	return (int)idx;
}

int shim_kvm_vcpu(struct shim *s, const char *proc, int vmfd, unsigned vcpu, unsigned cpu,
                  bool load, uint64_t now_ns, struct shim_call *call)
{
	if (!s)
		return -EINVAL;
	struct kcall k;
	kcall_begin(&k, &s->env, now_ns);
	struct shim_kvm *kvm = NULL;
	int rc = kvm_vm_lookup(s, proc, vmfd, &kvm);
	if (!rc)
		rc = vcpu_sched(s, kvm, vcpu, cpu, load, &k);
	shim_call_done(s, &k, load ? "vcpu_load" : "vcpu_put", rc, call);
	return rc;
}

int shim_kvm_vm_vmid(struct shim *s, const char *proc, int vmfd, uint32_t *vmid)
{
	if (!s || !vmid)
		return -EINVAL;
	struct shim_kvm *k = NULL;
	int rc = kvm_vm_lookup(s, proc, vmfd, &k);
	if (rc)
		return rc;
	*vmid = s->env.kvm_vmids ? kvm_vmid_index(s->env.kvm_vmids, &k->vmid) : 0;
	return 0;
}

int shim_kvm_stats(const struct shim *s, struct shim_kvm_stats *out)
{
	if (!s || !out || out->size < sizeof(*out))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (s->kvm)
		*out = s->kvm->st;
	out->size = sizeof(*out);
	if (s->env.kvm_vmids) {
		out->generation = kvm_vmid_generation(s->env.kvm_vmids);
		out->rollovers = kvm_vmid_rollovers(s->env.kvm_vmids);
	}
	return 0;
}
