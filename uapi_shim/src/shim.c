/*
 * shim.c - the emulated kernel's front door (include/shim/shim.h):
 * configuration and its parameter table, SMMU and device declaration, boot,
 * simulated processes with their fd tables and memory (mmap, memfd), user
 * copies, and the system-call entry points that dispatch to iommufd.c,
 * vfio.c and kvm.c with one struct kcall per call.
 *
 * Process memory is backed at mmap time by contiguous DRAM from kmem, so a
 * process VA translates to a PA by one lookup in the process's sorted
 * mapping list; pinning (iopt.c) only takes references and charges the
 * rlimit. What is not modelled: munmap, fork, fd passing between processes,
 * blocking reads.
 */
#include "dma_iommu.h"
#include "shim_internal.h"
#include "kvm.h"
#include "kvm_vmid.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* configuration                                                        */

/* Linux numbering (the host's <errno.h> on Linux, which the shim uses). */
static const struct {
	const char *name;
	int value;
} errnos[] = {
	{"EPERM", EPERM},     {"ENOENT", ENOENT},   {"ESRCH", ESRCH},     {"EINTR", EINTR},
	{"EIO", EIO},         {"ENXIO", ENXIO},     {"E2BIG", E2BIG},     {"ENOEXEC", ENOEXEC},
	{"EBADF", EBADF},     {"ECHILD", ECHILD},   {"EAGAIN", EAGAIN},   {"ENOMEM", ENOMEM},
	{"EACCES", EACCES},   {"EFAULT", EFAULT},   {"EBUSY", EBUSY},     {"EEXIST", EEXIST},
	{"EXDEV", EXDEV},     {"ENODEV", ENODEV},   {"ENOTDIR", ENOTDIR}, {"EISDIR", EISDIR},
	{"EINVAL", EINVAL},   {"ENFILE", ENFILE},   {"EMFILE", EMFILE},   {"ENOTTY", ENOTTY},
	{"EFBIG", EFBIG},     {"ENOSPC", ENOSPC},   {"ESPIPE", ESPIPE},   {"EROFS", EROFS},
	{"ERANGE", ERANGE},   {"EDEADLK", EDEADLK}, {"ENOSYS", ENOSYS},
	{"EOVERFLOW", EOVERFLOW}, {"EOPNOTSUPP", EOPNOTSUPP}, {"ETIMEDOUT", ETIMEDOUT},
	{"ENOTSUP", ENOTSUP}, {"EWOULDBLOCK", EWOULDBLOCK}, {"ENODATA", ENODATA},
	/* what iommufd, VFIO and KVM answer besides (EADDRINUSE: reserved IOVA
	 * over a mapping, unaligned areas at attach; EBADFD: not an iommufd) */
	{"EADDRINUSE", EADDRINUSE}, {"EBADFD", EBADFD}, {"EMSGSIZE", EMSGSIZE},
	{"EPIPE", EPIPE},     {"EALREADY", EALREADY}, {"EINPROGRESS", EINPROGRESS},
	{"ECANCELED", ECANCELED}, {"EPROTO", EPROTO}, {"ENAMETOOLONG", ENAMETOOLONG},
	{"ENOTEMPTY", ENOTEMPTY}, {"ELOOP", ELOOP}, {"EDOM", EDOM}, {"ENOLINK", ENOLINK},
	{"EREMOTEIO", EREMOTEIO}, {"ENOTCONN", ENOTCONN}, {"EHWPOISON", EHWPOISON},
};

const char *shim_errno_name(int err)
{
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].value == err)
			return errnos[i].name;
	return NULL;
}

int shim_errno_by_name(const char *name)
{
	for (size_t i = 0; name && i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (!strcmp(errnos[i].name, name))
			return errnos[i].value;
	return -1;
}

const char *shim_strerror(int status)
{
	switch (status) {
	case SHIM_OK:
		return "ok";
	case SHIM_ERR_INVAL:
		return "invalid argument";
	case SHIM_ERR_NOMEM:
		return "out of memory";
	case SHIM_ERR_STATE:
		return "wrong state";
	case SHIM_ERR_EXIST:
		return "already exists";
	case SHIM_ERR_NODEV:
		return "SMMU refused by the driver";
	case SHIM_ERR_IO:
		return "host operation failed";
	}
	return "unknown status";
}

void shim_config_default(struct shim_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->size = sizeof(*cfg);
	cfg->dram_base = 0x80000000ull;
	cfg->dram_size = 4ull << 30;
	cfg->iommu_strict = true;
	cfg->kernel_hz = 250;
	cfg->iommufd_test = false;
	cfg->sync_msi = false;
	cfg->rlimit_memlock = 0;
	cfg->iommufd_max_ids = 0x7fffffffu;
	cfg->vfio_dma_entry_limit = 65535;
	cfg->vmid_policy = SHIM_VMID_SMMU_IDA;
	cfg->viommu_vmid_own = false;
	cfg->kvm_vmid_bits = 16;
	cfg->kvm_cpus = 8;
	cfg->oracle = true;
	_Static_assert(sizeof(struct shim_ktiming) == sizeof(struct ktiming), "ktiming mirror");
	struct ktiming kt;
	ktiming_default(&kt);
	memcpy(&cfg->kt, &kt, sizeof(kt));
}

enum ptype { P_BOOL, P_U64, P_U32, P_SYNC, P_KT, P_POLICY, P_VIOMMU, P_BUG };

static const char *const bug_names[] = {
    "none", "skip-tlbi", "skip-sync-wait", "wrong-vmid", "skip-cfgi", "early-vmid-reuse",
};
#define NBUGS (sizeof(bug_names) / sizeof(bug_names[0]))

static const char *const vmid_policy_names[] = {
    "smmu-ida", "kvm-pinned", "shared", "split", "kvm-pinned-naive", "kvm-unpinned",
};
#define NPOLICIES (sizeof(vmid_policy_names) / sizeof(vmid_policy_names[0]))

const char *shim_vmid_policy_name(uint32_t policy)
{
	return policy < NPOLICIES ? vmid_policy_names[policy] : "?";
}

struct pdesc {
	struct shim_param_info info;
	enum ptype type;
	size_t off;
};

#define KT(n, d, src, h)                                                                           \
	{                                                                                          \
		{"t.k." #n, "ns", d, src, h}, P_KT, offsetof(struct shim_config, kt.n)             \
	}

static const struct pdesc params[] = {
    {{"kernel.dram_base", "bytes", "0x80000000", "platform default",
      "host physical base of the DRAM the kernel allocates from (page-aligned)"},
     P_U64,
     offsetof(struct shim_config, dram_base)},
    {{"kernel.dram_size", "bytes", "4G", "TRACE-FORMAT `memory size=` default",
      "size of that DRAM (page-aligned, at least 1M)"},
     P_U64,
     offsetof(struct shim_config, dram_size)},
    {{"kernel.iommu_strict", "bool", "on", "Linux iommu.strict=1 (arm64 default)",
      "DMA API unmaps invalidate before returning (off: lazy flush queue)"},
     P_BOOL,
     offsetof(struct shim_config, iommu_strict)},
    {{"kernel.pri_iopf", "bool", "off",
      "off: Linux 7.0 (arm_smmu_handle_ppr denies every PRG); on: the posted arm-smmu-v3 PRI "
      "series (J.-P. Brucker, v8 2020), not merged",
      "PCIe Page Requests of PRI devices go to IOPF and iommufd fault queues (answered with "
      "CMD_PRI_RESP) instead of \"unexpected PRI request\" and PRI_RESP DENY"},
     P_BOOL,
     offsetof(struct shim_config, pri_iopf)},
    {{"kernel.iommufd_test", "bool", "off", "CONFIG_IOMMUFD_TEST (off in distribution kernels)",
      "IOMMU_TEST_CMD: the mock-free ops (ADD_RESERVED, MD_CHECK_REFS, "
      "SET_TEMP_MEMORY_LIMIT) for the kernel's iommufd selftest; the mock device's ops "
      "answer EOPNOTSUPP"},
     P_BOOL,
     offsetof(struct shim_config, iommufd_test)},
    {{"kernel.hz", "count", "250", "Debian arm64 CONFIG_HZ_250",
      "timer ticks per second: the flush queue's 10 ms timer is msecs_to_jiffies(10) jiffies"},
     P_U32,
     offsetof(struct shim_config, kernel_hz)},
    {{"kernel.sync", "enum", "poll", "arm-smmu-v3: MSI-based CMD_SYNC when IDR0.MSI and coherent",
      "CMD_SYNC completion: poll (CONS reads) or msi"},
     P_SYNC,
     offsetof(struct shim_config, sync_msi)},
    {{"kernel.rlimit_memlock", "bytes", "0", "uncalibrated (0 = unlimited; distros use 8M)",
      "RLIMIT_MEMLOCK of every process: pinned pages beyond it fail with ENOMEM"},
     P_U64,
     offsetof(struct shim_config, rlimit_memlock)},
    {{"kernel.iommufd_max_ids", "count", "2147483647", "iommufd xa_limit_31b",
      "object IDs per iommufd context (exhausted: ENOSPC)"},
     P_U32,
     offsetof(struct shim_config, iommufd_max_ids)},
    {{"kernel.vfio_dma_entry_limit", "count", "65535", "vfio_iommu_type1 dma_entry_limit",
      "mappings per type1 container (exhausted: ENOSPC)"},
     P_U32,
     offsetof(struct shim_config, vfio_dma_entry_limit)},
    {{"policy.vmid", "enum", "smmu-ida", "Linux 7.0 arm-smmu-v3 (per-SMMU IDA)",
      "VMID of stage-2 domains: smmu-ida | kvm-pinned | shared | split | kvm-pinned-naive | "
      "kvm-unpinned (the last two are unsafe, for the oracle)"},
     P_POLICY,
     offsetof(struct shim_config, vmid_policy)},
    {{"policy.viommu_vmid", "enum", "parent", "Linux 7.0 arm_vsmmu_init (own: 2026 per-vSMMU series)",
      "VMID of a vIOMMU: parent (its nest parent's) | own (allocated at VIOMMU_ALLOC)"},
     P_VIOMMU,
     offsetof(struct shim_config, viommu_vmid_own)},
    {{"debug.bug", "enum", "none", "for testing the oracle",
      "seed a driver bug: none | skip-tlbi | skip-sync-wait | wrong-vmid | skip-cfgi | "
      "early-vmid-reuse"},
     P_BUG,
     offsetof(struct shim_config, debug_bug)},
    {{"oracle", "bool", "on", "the isolation oracle (issue: isolation oracle)",
      "check every DMA, system call and broadcast TLBI against the kernel's ground truth"},
     P_BOOL,
     offsetof(struct shim_config, oracle)},
    {{"kvm.vmid_bits", "count", "16", "ID_AA64MMFR1_EL1.VMIDBits of a VMID16 CPU",
      "KVM's VMID width: 8 or 16"},
     P_U32,
     offsetof(struct shim_config, kvm_vmid_bits)},
    {{"kvm.cpus", "count", "8", "uncalibrated (num_possible_cpus of a small host)",
      "physical CPUs KVM's VMID allocator sees (per-CPU active/reserved VMIDs)"},
     P_U32,
     offsetof(struct shim_config, kvm_cpus)},
    KT(syscall, "500", "estimate: arm64 ioctl entry/exit with mitigations (0.3-0.6 us)", "ioctl entry + exit, fd lookup, struct copy"),
    KT(obj_op, "100", "uncalibrated", "iommufd object alloc/lookup/destroy"),
    KT(pin_page, "50", "uncalibrated", "pin_user_pages per 4K page"),
    KT(pte_write, "5", "uncalibrated", "one io-pgtable descriptor write"),
    KT(table_alloc, "200", "uncalibrated", "allocate + zero one page-table page"),
    KT(ste_qword, "5", "uncalibrated", "one STE/CD qword write + dma_wmb"),
    KT(cmd_insert, "50", "estimate (cmdq lock + 16-byte copy)", "build + insert one CMDQ command"),
    KT(prod_write, "100", "estimate (dma_wmb + posted write)", "the CMDQ_PROD MMIO write"),
    KT(poll_interval, "500", "estimate: one uncached CONS read (0.3-1 us); TLBI+SYNC lands in the 1-3 us anchor", "gap between two CMD_SYNC completion polls"),
    KT(msi_wakeup, "1000", "uncalibrated", "wake-up after a CMD_SYNC MSI lands"),
    KT(mmio_read, "500", "estimate: uncached device read (0.3-1 us)", "one uncached MMIO read"),
    KT(mmio_write, "50", "estimate (posted write)", "one posted MMIO write"),
    KT(irq_entry, "1000", "uncalibrated", "interrupt entry + handler dispatch"),
    KT(evt_handle, "100", "uncalibrated", "handling one event-queue record"),
    KT(dma_call, "50", "uncalibrated", "dma_map_page/dma_unmap_page dispatch"),
    KT(iova_cache, "30", "uncalibrated", "an IOVA from or to the per-CPU range cache"),
    KT(iova_tree, "200", "uncalibrated (the slow path of Malka et al., FAST'15)", "an IOVA allocated in or freed to the rbtree"),
    KT(iova_node, "10", "uncalibrated", "each rbtree node the IOVA allocation walk visits"),
    KT(fq_queue, "40", "uncalibrated", "queue_iova: one lazy flush-queue entry"),
};
#define NPARAMS (sizeof(params) / sizeof(params[0]))

const struct shim_param_info *shim_param_at(size_t i)
{
	return i < NPARAMS ? &params[i].info : NULL;
}

static int parse_u64(const char *v, uint64_t *out)
{
	/* digits only: strtoull would take "-1" as 2^64 - 1, " 5", "+5", and
	 * clamp what does not fit */
	if (!v || !(*v >= '0' && *v <= '9'))
		return -1;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 0);
	if (errno == ERANGE)
		return -1;
	uint64_t mul = 1;
	switch (*end) {
	case 'K':
	case 'k':
		mul = 1ull << 10;
		end++;
		break;
	case 'M':
	case 'm':
		mul = 1ull << 20;
		end++;
		break;
	case 'G':
	case 'g':
		mul = 1ull << 30;
		end++;
		break;
	case 'T':
	case 't':
		mul = 1ull << 40;
		end++;
		break;
	default:
		break;
	}
	if (*end)
		return -1;
	if (mul > 1 && x > UINT64_MAX / mul)
		return -1;
	*out = x * mul;
	return 0;
}

static const struct pdesc *pfind(const char *name)
{
	for (size_t i = 0; i < NPARAMS; i++)
		if (!strcmp(params[i].info.name, name))
			return &params[i];
	return NULL;
}

int shim_config_set(struct shim_config *cfg, const char *name, const char *value, char *err,
                    size_t errlen)
{
	if (!cfg || !name || !value) {
		if (err && errlen)
			snprintf(err, errlen, "null argument");
		return SHIM_ERR_INVAL;
	}
	const struct pdesc *p = pfind(name);
	if (!p) {
		if (err && errlen)
			snprintf(err, errlen, "unknown kernel parameter '%s'", name);
		return SHIM_ERR_INVAL;
	}
	char *base = (char *)cfg + p->off;
	uint64_t v;
	switch (p->type) {
	case P_BOOL:
		if (!strcmp(value, "on") || !strcmp(value, "1") || !strcmp(value, "true"))
			*(bool *)base = true;
		else if (!strcmp(value, "off") || !strcmp(value, "0") || !strcmp(value, "false"))
			*(bool *)base = false;
		else
			goto bad;
		return SHIM_OK;
	case P_SYNC:
		if (!strcmp(value, "msi"))
			*(bool *)base = true;
		else if (!strcmp(value, "poll"))
			*(bool *)base = false;
		else
			goto bad;
		return SHIM_OK;
	case P_U64:
		if (parse_u64(value, &v))
			goto bad;
		/* the kernel's DRAM: page-aligned, at least 1M (its own tables) */
		if (!strcmp(name, "kernel.dram_base") && (v & (SHIM_PAGE - 1)))
			goto bad;
		if (!strcmp(name, "kernel.dram_size") && ((v & (SHIM_PAGE - 1)) || v < (1u << 20)))
			goto bad;
		*(uint64_t *)base = v;
		return SHIM_OK;
	case P_U32:
	case P_KT:
		if (parse_u64(value, &v) || v > UINT32_MAX)
			goto bad;
		if (!strcmp(name, "kvm.vmid_bits") && v != 8 && v != 16)
			goto bad;
		if (!strcmp(name, "kvm.cpus") && (v < 1 || v > 4096))
			goto bad;
		*(uint32_t *)base = (uint32_t)v;
		return SHIM_OK;
	case P_POLICY:
		for (uint32_t i = 0; i < NPOLICIES; i++)
			if (!strcmp(value, vmid_policy_names[i])) {
				*(uint32_t *)base = i;
				return SHIM_OK;
			}
		if (err && errlen)
			snprintf(err, errlen,
			         "bad value '%s' for %s (smmu-ida, kvm-pinned, shared, split, "
			         "kvm-pinned-naive or kvm-unpinned)",
			         value, name);
		return SHIM_ERR_INVAL;
	case P_BUG:
		for (uint32_t i = 0; i < NBUGS; i++)
			if (!strcmp(value, bug_names[i])) {
				*(uint32_t *)base = i;
				return SHIM_OK;
			}
		goto bad;
	case P_VIOMMU:
		if (!strcmp(value, "own"))
			*(bool *)base = true;
		else if (!strcmp(value, "parent"))
			*(bool *)base = false;
		else
			goto bad;
		return SHIM_OK;
	}
bad:
	if (err && errlen)
		snprintf(err, errlen, "bad value '%s' for %s (%s)", value, name, p->info.unit);
	return SHIM_ERR_INVAL;
}

int shim_config_get(const struct shim_config *cfg, const char *name, char *buf, size_t len)
{
	const struct pdesc *p = cfg && name ? pfind(name) : NULL;
	if (!p || !buf || !len)
		return SHIM_ERR_INVAL;
	const char *base = (const char *)cfg + p->off;
	switch (p->type) {
	case P_BOOL:
		snprintf(buf, len, "%s", *(const bool *)base ? "on" : "off");
		break;
	case P_SYNC:
		snprintf(buf, len, "%s", *(const bool *)base ? "msi" : "poll");
		break;
	case P_U64:
		snprintf(buf, len, "0x%llx", (unsigned long long)*(const uint64_t *)base);
		break;
	case P_U32:
	case P_KT:
		snprintf(buf, len, "%u", *(const uint32_t *)base);
		break;
	case P_POLICY:
		snprintf(buf, len, "%s", shim_vmid_policy_name(*(const uint32_t *)base));
		break;
	case P_VIOMMU:
		snprintf(buf, len, "%s", *(const bool *)base ? "own" : "parent");
		break;
	case P_BUG:
		snprintf(buf, len, "%s", *(const uint32_t *)base < NBUGS ? bug_names[*(const uint32_t *)base] : "?");
		break;
	}
	return SHIM_OK;
}

/* ------------------------------------------------------------------ */
/* creation                                                             */

int shim_create(const struct shim_config *cfg, const struct shim_host_ops *ops, void *host,
                struct shim **out)
{
	if (!cfg || !ops || !out || cfg->size != sizeof(*cfg) || ops->size < SHIM_HOST_OPS_MIN_SIZE ||
	    !ops->mem_read || !ops->mem_write || !ops->mmio_read || !ops->mmio_write)
		return SHIM_ERR_INVAL;
	if (cfg->vmid_policy >= NPOLICIES || (cfg->kvm_vmid_bits != 8 && cfg->kvm_vmid_bits != 16) ||
	    cfg->kvm_cpus < 1 || cfg->kvm_cpus > 256 || cfg->kernel_hz < 1 ||
	    cfg->kernel_hz > 10000)
		return SHIM_ERR_INVAL;
	struct shim *s = calloc(1, sizeof(*s));
	if (!s)
		return SHIM_ERR_NOMEM;
	s->cfg = *cfg;
	memcpy(&s->ops, ops, ops->size < sizeof(*ops) ? ops->size : sizeof(*ops));
	s->ops.size = sizeof(s->ops);
	s->host = host;
	s->env.ops = &s->ops;
	s->env.host = host;
	memcpy(&s->env.t, &cfg->kt, sizeof(s->env.t));
	s->env.sync_msi = cfg->sync_msi;
	s->env.iommu_strict = cfg->iommu_strict;
	s->env.pri_iopf = cfg->pri_iopf;
	s->env.vmid_policy = cfg->vmid_policy;
	s->env.viommu_vmid_own = cfg->viommu_vmid_own;
	s->env.debug_bug = cfg->debug_bug < NBUGS ? cfg->debug_bug : 0;
	if (s->env.debug_bug)
		klog(&s->env, 1, "kernel: seeded driver bug debug.bug=%s", bug_names[s->env.debug_bug]);
	if (kmem_create(&s->env, cfg->dram_base, cfg->dram_size, &s->env.mem)) {
		free(s);
		return SHIM_ERR_INVAL;
	}
	*out = s;
	return SHIM_OK;
}

void shim_proc_pin(struct shim_proc *p, uint64_t va, uint64_t npages, bool pin)
{
	if (!p)
		return;
	if (!pin) {
		for (size_t i = 0; i < p->npins; i++)
			if (p->pins[i].va == va && p->pins[i].npages == npages) {
				p->pins[i] = p->pins[--p->npins];
				return;
			}
		return;
	}
	if (p->npins == p->cappins) {
		size_t nc = p->cappins ? p->cappins * 2 : 8;
		void *np = realloc(p->pins, nc * sizeof(*p->pins));
		if (!np)
			return;
		p->pins = np;
		p->cappins = nc;
	}
	p->pins[p->npins].va = va;
	p->pins[p->npins].npages = npages;
	p->npins++;
}

unsigned shim_proc_pins_of(const struct shim_proc *p, uint64_t va)
{
	unsigned n = 0;
	for (size_t i = 0; p && i < p->npins; i++)
		if (va >= p->pins[i].va && (va - p->pins[i].va) / SHIM_PAGE < p->pins[i].npages)
			n++;
	return n;
}

static void proc_free(struct shim *s, struct shim_proc *p)
{
	free(p->pins);
	for (size_t i = 0; i < p->nxmemfds; i++)
		shim_backing_put(s, p->xmemfds[i].b);
	free(p->xmemfds);
	for (size_t i = 0; i < p->nvmas; i++)
		shim_backing_put(s, p->vmas[i].b);
	free(p->vmas);
	free(p->fds);
	free(p);
}

static void call_finish(struct shim *s, struct kcall *k, const char *req, int64_t ret,
                        struct shim_call *out);

void shim_destroy(struct shim *s)
{
	if (!s)
		return;
	/* Teardown happens after everything else: at the latest kernel time,
	 * so its commands are not issued "before" what the SMMUs already did
	 * (a CMD_SYNC polled from an earlier time would wait for them). */
	struct kcall k;
	for (uint32_t i = 0; i < s->nprocs; i++) {
		struct shim_proc *p = s->procs[i];
		for (int fd = 0; fd < p->nfds; fd++)
			if (p->fds[fd]) {
				struct shim_call c = {.size = sizeof(c)};
				shim_close(s, p->name, fd, s->last_ns, &c);
			}
	}
	kcall_begin(&k, &s->env, s->last_ns);
	for (uint32_t i = 0; i < s->ndevs; i++) {
		struct shim_dev *d = s->devs[i];
		if (d->master)
			arm_smmu_release_master(d->master, &k);
		iommu_dma_destroy(d->dma, &k);
		free(d->iopf_partial);
		free(d->name);
		free(d->cdev);
		free(d->group_path);
		free(d->bdf);
		if (d->group)
			free(d->group->dfs);
		free(d->group);
		free(d);
	}
	free(s->devs);
	for (uint32_t i = 0; i < s->nsmmus; i++)
		if (s->smmus[i])
			arm_smmu_device_remove(s->smmus[i]);
	for (uint32_t i = 0; i < s->nprocs; i++)
		proc_free(s, s->procs[i]);
	free(s->procs);
	kcall_end(&k);
	kvm_state_free(s);
	kvm_vmid_space_destroy(s->env.kvm_vmids);
	oracle_destroy(s);
	kmem_destroy(s->env.mem);
	free(s);
}

int shim_add_smmu(struct shim *s)
{
	if (!s)
		return -SHIM_ERR_INVAL;
	if (s->booted || s->nsmmus >= SHIM_MAX_SMMUS)
		return -SHIM_ERR_STATE;
	return (int)s->nsmmus++;
}

static char *dupstr(const char *a)
{
	size_t n = strlen(a) + 1;
	char *r = malloc(n);
	if (r)
		memcpy(r, a, n);
	return r;
}

static int dev_probe(struct shim *s, struct shim_dev *d, struct kcall *k)
{
	struct arm_smmu_master_desc md = {
	    .sid = d->sid,
	    .ssid_bits = d->ssid_bits,
	    .ats = d->ats,
	    .pri = d->pri,
	    .canwbs = d->canwbs,
	};
	int rc = arm_smmu_probe_master(s->smmus[d->smmu_index], &md, k, &d->master);
	if (rc)
		return rc == -EEXIST ? SHIM_ERR_EXIST : SHIM_ERR_INVAL;
	arm_smmu_master_set_priv(d->master, d);
	return SHIM_OK;
}

int shim_add_device(struct shim *s, const struct shim_device_desc *desc)
{
	if (!s || !desc || desc->size < sizeof(*desc) || !desc->name || !*desc->name)
		return -SHIM_ERR_INVAL;
	if (desc->smmu >= s->nsmmus)
		return -SHIM_ERR_STATE;
	for (uint32_t i = 0; i < s->ndevs; i++)
		if (!strcmp(s->devs[i]->name, desc->name) ||
		    (s->devs[i]->smmu_index == desc->smmu && s->devs[i]->sid == desc->sid))
			return -SHIM_ERR_EXIST;
	struct shim_dev *d = calloc(1, sizeof(*d));
	struct shim_group *g = calloc(1, sizeof(*g));
	struct shim_dev **nd = realloc(s->devs, (s->ndevs + 1) * sizeof(*nd));
	if (!d || !g || !nd) {
		free(d);
		free(g);
		if (nd)
			s->devs = nd;
		return -SHIM_ERR_NOMEM;
	}
	s->devs = nd;
	uint32_t k = s->ndevs;
	char buf[64];
	d->index = k;
	d->name = dupstr(desc->name);
	snprintf(buf, sizeof(buf), "/dev/vfio/devices/vfio%u", k);
	d->cdev = dupstr(desc->cdev ? desc->cdev : buf);
	snprintf(buf, sizeof(buf), "/dev/vfio/%u", k);
	d->group_path = dupstr(desc->group ? desc->group : buf);
	snprintf(buf, sizeof(buf), "0000:00:%02x.0", k & 0xff);
	d->bdf = dupstr(desc->bdf ? desc->bdf : buf);
	d->smmu_index = desc->smmu;
	d->sid = desc->sid;
	d->ssid_bits = desc->ssid_bits;
	d->ats = desc->ats;
	d->pri = desc->pri;
	d->canwbs = desc->canwbs;
	g->dev = d;
	d->group = g;
	for (uint32_t i = 0; i < s->ndevs; i++)
		if (!strcmp(s->devs[i]->cdev, d->cdev) ||
		    !strcmp(s->devs[i]->group_path, d->group_path)) {
			free(d->name), free(d->cdev), free(d->group_path), free(d->bdf), free(d),
			    free(g);
			return -SHIM_ERR_EXIST;
		}
	if (s->booted) {
		struct kcall kc;
		kcall_begin(&kc, &s->env, 0);
		int rc = dev_probe(s, d, &kc);
		kcall_end(&kc);
		if (rc) {
			free(d->name), free(d->cdev), free(d->group_path), free(d->bdf), free(d),
			    free(g);
			return -rc;
		}
	}
	s->devs[s->ndevs++] = d;
	return (int)k;
}

int shim_device_index(const struct shim *s, const char *name)
{
	if (!s || !name)
		return -SHIM_ERR_INVAL;
	for (uint32_t i = 0; i < s->ndevs; i++)
		if (!strcmp(s->devs[i]->name, name))
			return (int)i;
	return -SHIM_ERR_INVAL;
}

int shim_device_info(const struct shim *s, uint32_t dev, uint32_t *smmu, uint32_t *sid)
{
	if (!s || dev >= s->ndevs)
		return SHIM_ERR_INVAL;
	if (smmu)
		*smmu = s->devs[dev]->smmu_index;
	if (sid)
		*sid = s->devs[dev]->sid;
	return SHIM_OK;
}

struct shim_dev *shim_dev_by_master(struct shim *s, struct arm_smmu_master *m)
{
	(void)s;
	return m ? arm_smmu_master_priv(m) : NULL;
}

bool shim_smmu_coherent(struct arm_smmu_device *smmu)
{
	return arm_smmu_features(smmu) & ARM_SMMU_FEAT_COHERENCY;
}

/*
 * KVM's VMID allocator, once the SMMUs' VMID widths are known. split: with
 * b the narrowest of KVM's and every SMMU's width, KVM takes [1, 2^(b-1))
 * and the SMMUs [2^(b-1), 2^b). Pinning exists under the policies that use
 * the RFC's pinned VMIDs.
 */
static int kvm_vmids_create(struct shim *s)
{
	unsigned b = s->cfg.kvm_vmid_bits;
	for (uint32_t i = 0; i < s->nsmmus; i++)
		if (s->smmus[i] && arm_smmu_vmid_bits(s->smmus[i]) < b)
			b = arm_smmu_vmid_bits(s->smmus[i]);
	struct kvm_vmid_config kc = {
	    .bits = s->cfg.kvm_vmid_bits,
	    .cpus = s->cfg.kvm_cpus,
	    .first = 1,
	    .limit = 1u << s->cfg.kvm_vmid_bits,
	    .pinning = s->cfg.vmid_policy == SHIM_VMID_KVM_PINNED ||
	               s->cfg.vmid_policy == SHIM_VMID_SHARED ||
	               s->cfg.vmid_policy == SHIM_VMID_KVM_PINNED_NAIVE,
	};
	if (s->cfg.vmid_policy == SHIM_VMID_SPLIT) {
		kc.limit = 1u << (b - 1);
		s->env.vmid_split_base = 1u << (b - 1);
	}
	int rc = kvm_vmid_space_create(&kc, &s->env.kvm_vmids);
	if (rc) {
		klog(&s->env, 0,
		     "kvm: cannot create the VMID allocator (%u-bit VMIDs, window [%u, %u), %u CPUs): "
		     "the window must be larger than the CPUs",
		     kc.bits, kc.first, kc.limit, kc.cpus);
		return rc == -ENOMEM ? SHIM_ERR_NOMEM : SHIM_ERR_INVAL;
	}
	return SHIM_OK;
}

int shim_boot(struct shim *s, uint64_t now_ns, struct shim_call *call)
{
	if (!s)
		return SHIM_ERR_INVAL;
	if (s->booted)
		return SHIM_ERR_STATE;
	struct kcall k;
	kcall_begin(&k, &s->env, now_ns);
	int rc = SHIM_OK;
	for (uint32_t i = 0; i < s->nsmmus && rc == SHIM_OK; i++) {
		int r = arm_smmu_device_probe(&s->env, i, &k, &s->smmus[i]);
		if (r) {
			s->smmus[i] = NULL;
			rc = r == -ENODEV ? SHIM_ERR_NODEV : SHIM_ERR_IO;
			break;
		}
		arm_smmu_set_vevent_handler(s->smmus[i], iommufd_vevent_handler, s);
		arm_smmu_set_iopf_handler(s->smmus[i], iommufd_iopf_report, s);
	}
	if (rc == SHIM_OK)
		rc = kvm_vmids_create(s);
	for (uint32_t i = 0; i < s->ndevs && rc == SHIM_OK; i++)
		rc = dev_probe(s, s->devs[i], &k);
	if (rc == SHIM_OK)
		s->booted = true;
	call_finish(s, &k, "boot", rc ? -EIO : 0, call);
	return rc;
}

/* ------------------------------------------------------------------ */
/* processes, files and fds                                             */

struct shim_proc *shim_proc_get(struct shim *s, const char *name)
{
	if (!name || !*name)
		name = "vmm0";
	for (uint32_t i = 0; i < s->nprocs; i++)
		if (!strcmp(s->procs[i]->name, name))
			return s->procs[i];
	struct shim_proc **np = realloc(s->procs, (s->nprocs + 1) * sizeof(*np));
	if (!np)
		return NULL;
	s->procs = np;
	struct shim_proc *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->next_va = SHIM_PROC_VA_BASE;
	s->procs[s->nprocs++] = p;
	return p;
}

static struct shim_proc *proc_find(const struct shim *s, const char *name)
{
	if (!name || !*name)
		name = "vmm0";
	for (uint32_t i = 0; i < s->nprocs; i++)
		if (!strcmp(s->procs[i]->name, name))
			return s->procs[i];
	return NULL;
}

/* The fds the emulation numbers itself: RLIMIT_NOFILE's default soft limit.
 * A host with real fds numbers them (shim_fd_next) within its own limit, up
 * to fs.nr_open's default. */
#define SHIM_MAX_FDS 1024
#define SHIM_NR_OPEN (1 << 20)

int shim_fd_install(struct shim_proc *p, struct shim_file *f)
{
	/* Like Linux, the lowest free number; 0-2 are the stdio the process
	 * already has. A host with real fds chose the number (shim_fd_next). */
	if (p->fd_next >= 3) {
		int want = p->fd_next;
		p->fd_next = 0;
		if (want >= SHIM_NR_OPEN)
			return -EMFILE;
		if (want < p->nfds && p->fds[want])
			return -EBADF;
		if (want >= p->nfds) {
			struct shim_file **nf = realloc(p->fds, (size_t)(want + 1) * sizeof(*nf));
			if (!nf)
				return -ENOMEM;
			for (int i = p->nfds; i <= want; i++)
				nf[i] = NULL;
			p->fds = nf;
			p->nfds = want + 1;
		}
		p->fds[want] = f;
		return want;
	}
	for (int fd = 3; fd < p->nfds; fd++)
		if (!p->fds[fd]) {
			p->fds[fd] = f;
			return fd;
		}
	int fd = p->nfds < 3 ? 3 : p->nfds;
	if (fd >= SHIM_MAX_FDS)
		return -EMFILE;
	struct shim_file **nf = realloc(p->fds, (size_t)(fd + 1) * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	for (int i = p->nfds; i <= fd; i++)
		nf[i] = NULL;
	p->fds = nf;
	p->nfds = fd + 1;
	p->fds[fd] = f;
	return fd;
}

int shim_fd_absent(struct shim *s, int fd, int wrong_kind)
{
	if (s && fd >= 0 && s->ops.fd_open && s->ops.fd_open(s->host, fd) >= 1)
		return wrong_kind;
	return -EBADF;
}

struct shim_file *shim_fd_get(struct shim_proc *p, int fd)
{
	return fd >= 0 && fd < p->nfds ? p->fds[fd] : NULL;
}

struct shim_file *shim_file_new(struct shim_proc *p, enum shim_file_kind k)
{
	struct shim_file *f = calloc(1, sizeof(*f));
	if (f) {
		f->kind = k;
		f->proc = p;
		f->refs = 1;
	}
	return f;
}

/* ------------------------------------------------------------------ */
/* memory                                                               */

uint64_t shim_rlimit_pages(const struct shim *s)
{
	return s->cfg.rlimit_memlock ? s->cfg.rlimit_memlock / SHIM_PAGE : UINT64_MAX;
}

void shim_backing_put(struct shim *s, struct shim_backing *b)
{
	if (!b || --b->refs > 0)
		return;
	kmem_free(s->env.mem, b->pa, b->len);
	free(b);
}

static struct shim_backing *backing_new(struct shim *s, uint64_t len, uint64_t pa, int *err)
{
	struct shim_backing *b = calloc(1, sizeof(*b));
	if (!b) {
		*err = -ENOMEM;
		return NULL;
	}
	int rc;
	if (pa == SHIM_PA_ANY) {
		uint64_t align = len >= (2ull << 20) ? (2ull << 20) : SHIM_PAGE;
		rc = kmem_alloc(s->env.mem, len, align, &b->pa);
	} else {
		rc = kmem_reserve(s->env.mem, pa, len);
		b->pa = pa;
		b->reserved = true;
	}
	if (rc) {
		free(b);
		*err = rc;
		return NULL;
	}
	b->len = len;
	b->refs = 1;
	return b;
}

static const struct shim_vma *vma_find(const struct shim_proc *p, uint64_t va)
{
	size_t lo = 0, hi = p->nvmas;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct shim_vma *v = &p->vmas[mid];
		if (va < v->va)
			hi = mid;
		else if (va - v->va >= v->len)
			lo = mid + 1;
		else
			return v;
	}
	return NULL;
}

int shim_proc_translate(struct shim_proc *p, uint64_t va, uint64_t *pa, uint64_t *contig)
{
	const struct shim_vma *v = vma_find(p, va);
	if (!v)
		return -EFAULT;
	*pa = v->b->pa + (va - v->va);
	if (contig)
		*contig = v->len - (va - v->va);
	return 0;
}

int shim_mmap(struct shim *s, const char *proc, uint64_t len, uint64_t pa, uint64_t now_ns,
              uint64_t *va, struct shim_call *call)
{
	if (!s || !va)
		return -EINVAL;
	struct kcall k;
	kcall_begin(&k, &s->env, now_ns);
	ktime_charge(&k, s->env.t.syscall);
	int rc = 0;
	struct shim_proc *p = shim_proc_get(s, proc);
	if (!p)
		rc = -ENOMEM;
	else if (len == 0 || len > (1ull << 44) || (pa != SHIM_PA_ANY && (pa & (SHIM_PAGE - 1))))
		rc = -EINVAL;
	if (!rc) {
		len = (len + SHIM_PAGE - 1) & ~(SHIM_PAGE - 1);
		struct shim_backing *b = backing_new(s, len, pa, &rc);
		if (b) {
			/* Keep the VA congruent with the backing up to 2M so that
			 * huge IO mappings are possible (THP-like). */
			uint64_t align = len >= (2ull << 20) ? (2ull << 20) : SHIM_PAGE;
			uint64_t v = (p->next_va + align - 1) & ~(align - 1);
			v += (b->pa & (align - 1));
			if (p->nvmas == p->capvmas) {
				size_t nc = p->capvmas ? p->capvmas * 2 : 8;
				struct shim_vma *nv = realloc(p->vmas, nc * sizeof(*nv));
				if (!nv) {
					shim_backing_put(s, b);
					rc = -ENOMEM;
				} else {
					p->vmas = nv;
					p->capvmas = nc;
				}
			}
			if (!rc) {
				p->vmas[p->nvmas++] = (struct shim_vma){v, len, b};
				p->next_va =
				    v + len + SHIM_PAGE; /* a guard page between mappings */
				p->mapped += len;
				*va = v;
			}
		}
	}
	call_finish(s, &k, "mmap", rc, call);
	return rc;
}

int shim_proc_va_to_pa(struct shim *s, const char *proc, uint64_t va, uint64_t *pa)
{
	struct shim_proc *p = s ? proc_find(s, proc) : NULL;
	if (!p || !pa)
		return -EFAULT;
	return shim_proc_translate(p, va, pa, NULL);
}

int shim_proc_stats(const struct shim *s, const char *proc, struct shim_proc_stats *st)
{
	const struct shim_proc *p = s ? proc_find(s, proc) : NULL;
	if (!p || !st)
		return -EINVAL;
	st->locked_user = p->locked_user;
	st->locked_mm = p->locked_mm;
	st->pinned_vm = p->pinned_vm;
	st->mapped_bytes = p->mapped;
	return 0;
}

int shim_fd_pass(struct shim *s, const char *from, int fd, const char *to)
{
	struct shim_proc *p = s ? proc_find(s, from) : NULL;
	struct shim_file *f = p ? shim_fd_get(p, fd) : NULL;
	if (!f)
		return -EBADF;
	struct shim_proc *q = shim_proc_get(s, to);
	if (!q)
		return -ENOMEM;
	int nfd = shim_fd_install(q, f);
	if (nfd >= 0)
		f->refs++;
	return nfd;
}

int shim_fd_next(struct shim *s, const char *proc, int fd)
{
	struct shim_proc *p = s ? shim_proc_get(s, proc) : NULL;
	if (!p)
		return -EINVAL;
	if (fd == 0) {
		p->fd_next = 0;
		return 0;
	}
	if (fd < 3 || fd >= SHIM_NR_OPEN || shim_fd_get(p, fd))
		return -EBADF;
	p->fd_next = fd;
	return 0;
}

int shim_fd_is_open(const struct shim *s, const char *proc, int fd)
{
	const struct shim_proc *p = s ? proc_find(s, proc) : NULL;
	return p && fd >= 0 && fd < p->nfds && p->fds[fd] ? 1 : 0;
}

static const char *kind_node(int kind)
{
	switch (kind) {
	case SF_IOMMUFD: return "iommufd";
	case SF_VFIO_CDEV:
	case SF_VFIO_DEVICE: return "vfio-device";
	case SF_VFIO_GROUP: return "vfio-group";
	case SF_VFIO_CONTAINER: return "vfio-container";
	case SF_KVM: return "kvm";
	case SF_KVM_VM: return "kvm-vm";
	case SF_KVM_VCPU: return "kvm-vcpu";
	case SF_KVM_DEVICE: return "kvm-device";
	default: return NULL;
	}
}

const char *shim_fd_node(const struct shim *s, const char *proc, int fd)
{
	const struct shim_proc *p = s ? proc_find(s, proc) : NULL;
	const struct shim_file *f = p && fd >= 0 && fd < p->nfds ? p->fds[fd] : NULL;
	return f ? kind_node(f->kind) : NULL;
}

int shim_fd_poll(const struct shim *s, const char *proc, int fd)
{
	const struct shim_proc *p = s ? proc_find(s, proc) : NULL;
	const struct shim_file *f = p && fd >= 0 && fd < p->nfds ? p->fds[fd] : NULL;
	if (!f)
		return -EBADF;
	switch (f->kind) {
	case SF_VEVENTQ: /* iommufd_veventq_fops_poll */
		return ((const struct ifd_veventq *)f->u.evq)->n ? SHIM_POLLIN | SHIM_POLLRDNORM : 0;
	case SF_FAULT: /* iommufd_fault_fops_poll */
		return SHIM_POLLOUT |
		       (((const struct ifd_fault *)f->u.evq)->deliver ? SHIM_POLLIN | SHIM_POLLRDNORM : 0);
	case SF_EVENTFD: /* eventfd_poll */
		return (f->u.efd_count ? SHIM_POLLIN : 0) |
		       (f->u.efd_count < UINT64_MAX - 1 ? SHIM_POLLOUT : 0);
	default: /* no poll op: DEFAULT_POLLMASK */
		return SHIM_POLLIN | SHIM_POLLOUT | SHIM_POLLRDNORM | SHIM_POLLWRNORM;
	}
}

int shim_fd_is_fault(const struct shim *s, const char *proc, int fd)
{
	const struct shim_proc *p = s ? proc_find(s, proc) : NULL;
	return p && fd >= 0 && fd < p->nfds && p->fds[fd] && p->fds[fd]->kind == SF_FAULT ? 1 : 0;
}

/* Insert a VMA keeping p->vmas sorted by VA. */
static int vma_insert(struct shim_proc *p, uint64_t va, uint64_t len, struct shim_backing *b)
{
	if (p->nvmas == p->capvmas) {
		size_t nc = p->capvmas ? p->capvmas * 2 : 8;
		struct shim_vma *nv = realloc(p->vmas, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		p->vmas = nv;
		p->capvmas = nc;
	}
	size_t at = 0;
	while (at < p->nvmas && p->vmas[at].va < va)
		at++;
	memmove(&p->vmas[at + 1], &p->vmas[at], (p->nvmas - at) * sizeof(*p->vmas));
	p->vmas[at] = (struct shim_vma){va, len, b};
	p->nvmas++;
	p->mapped += len;
	return 0;
}

int shim_user_back_proc(struct shim *s, struct shim_proc *p, uint64_t va, uint64_t len)
{
	if (!s->cfg.host_user_memory)
		return 0;
	if (!len)
		return 0;
	uint64_t start = va & ~(SHIM_PAGE - 1);
	if (va + len < va || va + len > (1ull << 56))
		return -EFAULT;
	uint64_t end = (va + len + SHIM_PAGE - 1) & ~(SHIM_PAGE - 1);
	bool ask = s->ops.size >= offsetof(struct shim_host_ops, user_mapped) + sizeof(void *) &&
	           s->ops.user_mapped;
	/* back every gap between existing VMAs (what is backed is still mapped:
	 * the host forgets a range when the process unmaps it) */
	uint64_t a = start;
	while (a < end) {
		const struct shim_vma *v = vma_find(p, a);
		if (v) {
			a = v->va + v->len;
			continue;
		}
		uint64_t gap_end = end;
		for (size_t i = 0; i < p->nvmas; i++)
			if (p->vmas[i].va > a && p->vmas[i].va < gap_end)
				gap_end = p->vmas[i].va;
		if (ask && s->ops.user_mapped(s->host, a, gap_end - a))
			return -EFAULT;
		int rc = 0;
		struct shim_backing *b = backing_new(s, gap_end - a, SHIM_PA_ANY, &rc);
		if (!b)
			return rc ? rc : -ENOMEM;
		rc = vma_insert(p, a, gap_end - a, b);
		if (rc) {
			shim_backing_put(s, b);
			return rc;
		}
		a = gap_end;
	}
	return 0;
}

int shim_user_back(struct shim *s, const char *proc, uint64_t va, uint64_t len)
{
	struct shim_proc *p = s ? shim_proc_get(s, proc) : NULL;
	if (!p)
		return -ENOMEM;
	return shim_user_back_proc(s, p, va, len);
}

void shim_user_forget(struct shim *s, const char *proc, uint64_t va, uint64_t len)
{
	struct shim_proc *p = s ? proc_find(s, proc) : NULL;
	if (!p || !s->cfg.host_user_memory)
		return;
	for (size_t i = 0; i < p->nvmas;) {
		struct shim_vma *v = &p->vmas[i];
		/* pinned pages hold a reference on the backing: keep those */
		if (v->va >= va && v->va + v->len <= va + len && v->b->refs == 1) {
			p->mapped -= v->len;
			shim_backing_put(s, v->b);
			memmove(v, v + 1, (p->nvmas - i - 1) * sizeof(*v));
			p->nvmas--;
			continue;
		}
		i++;
	}
}

int shim_ioas_pinned(struct shim *s, const char *proc, int fd, uint32_t ioas_id, uint64_t *pages)
{
	struct shim_proc *p = s ? proc_find(s, proc) : NULL;
	struct shim_file *f = p ? shim_fd_get(p, fd) : NULL;
	if (!f || f->kind != SF_IOMMUFD)
		return -EBADF;
	if (!pages)
		return -EINVAL;
	return iommufd_ioas_pinned(f->u.ictx, ioas_id, pages);
}

/* A system call of process `proc` begun (its entry charged): the process,
 * created on first use (NULL without memory). */
static struct shim_proc *sys_enter(struct shim *s, const char *proc, uint64_t now_ns,
                                   struct kcall *k)
{
	kcall_begin(k, &s->env, now_ns);
	ktime_charge(k, s->env.t.syscall);
	return shim_proc_get(s, proc);
}

int shim_memfd_create(struct shim *s, const char *proc, uint64_t size, uint64_t now_ns,
                      struct shim_call *call)
{
	if (!s)
		return -EINVAL;
	struct kcall k;
	int rc = 0;
	struct shim_proc *p = sys_enter(s, proc, now_ns, &k);
	struct shim_file *f = NULL;
	struct shim_backing *b = NULL;
	if (!p)
		rc = -ENOMEM;
	else if (size == 0 || size > (1ull << 44))
		rc = -EINVAL;
	if (!rc) {
		size = (size + SHIM_PAGE - 1) & ~(SHIM_PAGE - 1);
		b = backing_new(s, size, SHIM_PA_ANY, &rc);
	}
	if (!rc) {
		f = shim_file_new(p, SF_MEMFD);
		if (!f)
			rc = -ENOMEM;
	}
	if (!rc) {
		f->u.memfd = b;
		rc = shim_fd_install(p, f);
	}
	if (rc < 0) {
		free(f);
		shim_backing_put(s, b);
	}
	call_finish(s, &k, "memfd_create", rc, call);
	return rc;
}

int shim_eventfd(struct shim *s, const char *proc, uint32_t initval, uint64_t now_ns,
                 struct shim_call *call)
{
	if (!s)
		return -EINVAL;
	struct kcall k;
	struct shim_proc *p = sys_enter(s, proc, now_ns, &k);
	struct shim_file *f = p ? shim_file_new(p, SF_EVENTFD) : NULL;
	int rc = f ? 0 : -ENOMEM;
	if (f) {
		f->u.efd_count = initval;
		rc = shim_fd_install(p, f);
		if (rc < 0)
			free(f);
	}
	call_finish(s, &k, "eventfd", rc, call);
	return rc;
}

int shim_eventfd_get(struct shim *s, struct shim_proc *p, int fd)
{
	struct shim_file *f = shim_fd_get(p, fd);
	if (f)
		return f->kind == SF_EVENTFD ? 0 : -EINVAL;
	int k = fd >= 0 && s->ops.fd_open ? s->ops.fd_open(s->host, fd) : 0;
	return k == 2 ? 0 : k == 1 ? -EINVAL : -EBADF;
}

int shim_memfd_get(struct shim *s, struct shim_proc *p, int fd, struct shim_backing **b,
                   uint64_t *size)
{
	*b = NULL;
	*size = 0;
	struct shim_file *f = shim_fd_get(p, fd);
	if (f) {
		if (f->kind != SF_MEMFD)
			return -EINVAL;
		*b = f->u.memfd;
		*size = f->u.memfd->len;
		(*b)->refs++;
		return 0;
	}
	uint64_t ino, len;
	if (fd < 0 || !s->ops.memfd_info)
		return shim_fd_absent(s, fd, -EINVAL);
	int rc = s->ops.memfd_info(s->host, fd, &ino, &len);
	if (rc)
		return rc < 0 ? rc : -EINVAL;
	if (len > (1ull << 44))
		return -ENOMEM;
	size_t i;
	for (i = 0; i < p->nxmemfds && p->xmemfds[i].ino != ino; i++)
		;
	if (i == p->nxmemfds) {
		struct shim_xmemfd *n = realloc(p->xmemfds, (p->nxmemfds + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		p->xmemfds = n;
		n[i] = (struct shim_xmemfd){.ino = ino};
		p->nxmemfds++;
	}
	struct shim_xmemfd *x = &p->xmemfds[i];
	/* A file grown past its backing gets a larger one for what pins it
	 * from now on; what pinned the old pages keeps them. */
	uint64_t need = (len + SHIM_PAGE - 1) & ~(uint64_t)(SHIM_PAGE - 1);
	if (need && (!x->b || x->b->len < need)) {
		int err = 0;
		struct shim_backing *nb = backing_new(s, need, SHIM_PA_ANY, &err);
		if (!nb)
			return err ? err : -ENOMEM;
		shim_backing_put(s, x->b);
		x->b = nb;
	}
	*size = len;
	*b = x->b;
	if (*b)
		(*b)->refs++;
	return 0;
}

/* eventfd_read(): the whole counter, then 0; EAGAIN while it is 0. */
static int64_t eventfd_read(struct shim *s, struct shim_proc *p, struct shim_file *f,
                            uint64_t buf_uptr, uint64_t len)
{
	if (len < 8)
		return -EINVAL;
	if (!f->u.efd_count)
		return -EAGAIN;
	if (shim_copy_to_user(s, p, buf_uptr, &f->u.efd_count, 8))
		return -EFAULT;
	f->u.efd_count = 0;
	return 8;
}

/* eventfd_write(): ULLONG_MAX is refused; a sum that would reach it waits
 * (EAGAIN: the file is non-blocking). */
static int64_t eventfd_write(struct shim *s, struct shim_proc *p, struct shim_file *f,
                             uint64_t buf_uptr, uint64_t len)
{
	uint64_t v;
	if (len < 8)
		return -EINVAL;
	if (shim_copy_from_user(s, p, &v, buf_uptr, 8))
		return -EFAULT;
	if (v == UINT64_MAX)
		return -EINVAL;
	if (UINT64_MAX - f->u.efd_count <= v)
		return -EAGAIN;
	f->u.efd_count += v;
	return 8;
}

int shim_memfd_pa(struct shim *s, const char *proc, int fd, uint64_t off, uint64_t *pa)
{
	struct shim_proc *p = s ? proc_find(s, proc) : NULL;
	struct shim_file *f = p ? shim_fd_get(p, fd) : NULL;
	if (!f || f->kind != SF_MEMFD)
		return -EBADF;
	if (off >= f->u.memfd->len)
		return -EINVAL;
	*pa = f->u.memfd->pa + off;
	return 0;
}

/* User copies: a process mapping is simulated DRAM; anything else is the
 * host's (its copy ops, or plain host pointers). */
static int user_rw(struct shim *s, struct shim_proc *p, uint64_t uptr, void *buf, size_t n,
                   bool write)
{
	if (n == 0)
		return 0;
	uint64_t pa, contig;
	if (p && !s->cfg.host_user_memory && shim_proc_translate(p, uptr, &pa, &contig) == 0) {
		uint8_t *b = buf;
		while (n) {
			if (shim_proc_translate(p, uptr, &pa, &contig))
				return -EFAULT;
			uint32_t chunk = (uint32_t)(n < contig ? n : contig);
			if (chunk > (1u << 30))
				chunk = 1u << 30;
			int rc = write ? kmem_write(&s->env, pa, b, chunk)
			               : kmem_read(&s->env, pa, b, chunk);
			if (rc)
				return -EFAULT;
			b += chunk;
			uptr += chunk;
			n -= chunk;
		}
		return 0;
	}
	if (uptr == 0)
		return -EFAULT;
	if (write) {
		if (s->ops.copy_to_user)
			return s->ops.copy_to_user(s->host, uptr, buf, n) ? -EFAULT : 0;
		memcpy((void *)(uintptr_t)uptr, buf, n);
	} else {
		if (s->ops.copy_from_user)
			return s->ops.copy_from_user(s->host, uptr, buf, n) ? -EFAULT : 0;
		memcpy(buf, (const void *)(uintptr_t)uptr, n);
	}
	return 0;
}

int shim_copy_from_user(struct shim *s, struct shim_proc *p, void *dst, uint64_t uptr, size_t n)
{
	return user_rw(s, p, uptr, dst, n, false);
}

int shim_copy_to_user(struct shim *s, struct shim_proc *p, uint64_t uptr, const void *src, size_t n)
{
	return user_rw(s, p, uptr, (void *)src, n, true);
}

int shim_clear_user(struct shim *s, struct shim_proc *p, uint64_t uptr, size_t n)
{
	static const uint8_t zero[256];
	while (n) {
		size_t c = n < sizeof(zero) ? n : sizeof(zero);
		if (shim_copy_to_user(s, p, uptr, zero, c))
			return -EFAULT;
		uptr += c;
		n -= c;
	}
	return 0;
}

int shim_copy_struct_from_user(struct shim *s, struct shim_proc *p, void *dst, size_t ksize,
                               uint64_t uptr, size_t usize)
{
	/* Linux copy_struct_from_user(): a shorter user struct is zero
	 * extended; a longer one must be zero past ksize (E2BIG). */
	size_t n = usize < ksize ? usize : ksize;
	memset(dst, 0, ksize);
	if (usize > ksize) {
		uint8_t buf[64];
		uint64_t at = uptr + ksize;
		size_t rest = usize - ksize;
		while (rest) {
			size_t c = rest < sizeof(buf) ? rest : sizeof(buf);
			if (shim_copy_from_user(s, p, buf, at, c))
				return -EFAULT;
			for (size_t i = 0; i < c; i++)
				if (buf[i])
					return -E2BIG;
			at += c;
			rest -= c;
		}
	}
	return shim_copy_from_user(s, p, dst, uptr, n);
}

/* ------------------------------------------------------------------ */
/* system calls                                                         */

static void call_finish(struct shim *s, struct kcall *k, const char *req, int64_t ret,
                        struct shim_call *out)
{
	if (k->t > s->last_ns)
		s->last_ns = k->t;
	if (out && out->size >= sizeof(*out)) {
		out->request = req;
		out->start_ns = k->start;
		out->end_ns = k->t;
		out->ret = ret;
		out->err = ret < 0 ? (int)-ret : 0;
		out->ncmds = k->ncmds;
		uint32_t n = k->ncmds < SHIM_CALL_MAX_OPS ? k->ncmds : SHIM_CALL_MAX_OPS;
		if (n)
			memcpy(out->cmds, k->cmds, n);
		out->syncs = k->syncs;
		out->ste_writes = k->ste_writes;
		out->ste_hitless = k->ste_hitless;
		out->cd_writes = k->cd_writes;
		out->ste_breaking = k->ste_breaking;
		out->cmdq_error = k->cmdq_error;
		out->pinned_pages = s->pinned_in_call;
		out->unpinned_pages = s->unpinned_in_call;
		out->t_cmdq_insert = k->t_insert;
		out->t_cmdq_space = k->t_space;
		out->nwaits = k->nwaits;
		memcpy(out->waits, k->waits, sizeof(out->waits));
		out->t_wait_more = k->t_wait_more;
		memcpy(out->why, ret < 0 ? k->why : "", ret < 0 ? sizeof(out->why) : 1);
	}
	s->pinned_in_call = s->unpinned_in_call = 0;
	kcall_end(k);
}

void shim_call_done(struct shim *s, struct kcall *k, const char *req, int64_t ret,
                    struct shim_call *out)
{
	call_finish(s, k, req, ret, out);
}

int shim_open(struct shim *s, const char *proc, const char *path, uint64_t now_ns,
              struct shim_call *call)
{
	if (!s || !path)
		return -EINVAL;
	struct kcall k;
	kcall_begin(&k, &s->env, now_ns);
	ktime_charge(&k, s->env.t.syscall);
	int rc = -ENOENT;
	struct shim_proc *p = shim_proc_get(s, proc);
	struct shim_file *f = NULL;
	if (!p) {
		rc = -ENOMEM;
		goto out;
	}
	if (!strcmp(path, "/dev/iommu")) {
		f = shim_file_new(p, SF_IOMMUFD);
		if (!f || ictx_create(s, p, &f->u.ictx)) {
			rc = -ENOMEM;
			goto out;
		}
		rc = 0;
	} else if (!strcmp(path, "/dev/kvm")) {
		f = shim_file_new(p, SF_KVM);
		rc = f ? kvm_open_dev(s, p, f) : -ENOMEM;
	} else if (!strcmp(path, "/dev/vfio/vfio")) {
		f = shim_file_new(p, SF_VFIO_CONTAINER);
		rc = f ? vfio_open_container(s, p, f) : -ENOMEM;
	} else {
		for (uint32_t i = 0; i < s->ndevs; i++) {
			struct shim_dev *d = s->devs[i];
			if ((!strcmp(path, d->cdev) || !strcmp(path, d->group_path)) &&
			    !s->booted) {
				rc = -ENODEV;
				break;
			}
			if (!strcmp(path, d->cdev)) {
				f = shim_file_new(p, SF_VFIO_CDEV);
				rc = f ? vfio_open_cdev(s, p, d, f) : -ENOMEM;
				break;
			}
			if (!strcmp(path, d->group_path)) {
				f = shim_file_new(p, SF_VFIO_GROUP);
				rc = f ? vfio_open_group(s, p, d->group, f) : -ENOMEM;
				break;
			}
		}
		if (rc == -ENOENT) {
			goto out;
		}
	}
	if (rc == 0) {
		rc = shim_fd_install(p, f);
		if (rc < 0)
			vfio_release(s, f, &k);
	}
out:
	if (rc < 0)
		free(f);
	call_finish(s, &k, "open", rc, call);
	return rc;
}

static void file_release(struct shim *s, struct shim_file *f, struct kcall *k)
{
	switch (f->kind) {
	case SF_IOMMUFD:
		ictx_put(f->u.ictx, k);
		break;
	case SF_VEVENTQ:
	case SF_FAULT:
		veventq_file_release(f->u.evq, k);
		break;
	case SF_MEMFD:
		shim_backing_put(s, f->u.memfd);
		break;
	case SF_KVM:
	case SF_EVENTFD:
		break;
	case SF_KVM_VM:
	case SF_KVM_VCPU:
	case SF_KVM_DEVICE:
		kvm_file_release(s, f, k);
		break;
	default:
		vfio_release(s, f, k);
		break;
	}
	free(f);
}

void shim_file_get(struct shim_file *f)
{
	f->refs++;
}

void shim_file_put(struct shim *s, struct shim_file *f, struct kcall *k)
{
	/* The open file description goes with its last reference. */
	if (--f->refs == 0)
		file_release(s, f, k);
}

int shim_close(struct shim *s, const char *proc, int fd, uint64_t now_ns, struct shim_call *call)
{
	if (!s)
		return -EINVAL;
	struct kcall k;
	kcall_begin(&k, &s->env, now_ns);
	ktime_charge(&k, s->env.t.syscall);
	struct shim_proc *p = proc_find(s, proc);
	struct shim_file *f = p ? shim_fd_get(p, fd) : NULL;
	int rc = 0;
	if (!f)
		rc = -EBADF;
	else {
		p->fds[fd] = NULL;
		shim_file_put(s, f, &k);
	}
	oracle_after_call(s, p ? p->name : NULL, &k);
	call_finish(s, &k, "close", rc, call);
	return rc;
}

int64_t shim_ioctl(struct shim *s, const char *proc, int fd, unsigned long request, uint64_t arg,
                   uint64_t now_ns, struct shim_call *call)
{
	if (!s)
		return -EINVAL;
	struct kcall k;
	kcall_begin(&k, &s->env, now_ns);
	ktime_charge(&k, s->env.t.syscall);
	struct shim_proc *p = shim_proc_get(s, proc);
	struct shim_file *f = p ? shim_fd_get(p, fd) : NULL;
	/* the request's name for the report: the file's kind decides a
	 * number two kinds share (taken now: the call may close the file) */
	const char *node = f ? kind_node(f->kind) : NULL;
	int64_t rc;
	if (!f)
		rc = -EBADF;
	else if (f->kind == SF_IOMMUFD)
		rc = iommufd_ioctl(s, p, f->u.ictx, (unsigned)request, arg, &k);
	else if (f->kind == SF_VEVENTQ || f->kind == SF_FAULT || f->kind == SF_MEMFD ||
	         f->kind == SF_EVENTFD)
		rc = -ENOTTY;
	else if (f->kind == SF_KVM || f->kind == SF_KVM_VM || f->kind == SF_KVM_VCPU ||
	         f->kind == SF_KVM_DEVICE)
		rc = kvm_ioctl(s, p, f, (unsigned)request, arg, &k);
	else
		rc = vfio_ioctl(s, p, f, (unsigned)request, arg, &k);
	/* -ENOIOCTLCMD never reaches user space: the VFS turns it into ENOTTY. */
	const struct shim_uapi_request *rq = shim_uapi_request_find_node(request, node);
	const char *name = rq ? rq->name : NULL;
	oracle_after_call(s, p ? p->name : NULL, &k);
	call_finish(s, &k, name ? name : "ioctl", rc, call);
	return rc;
}

/* read(2) and write(2): the call begun, and the fd's process and file. */
static struct shim_file *rw_begin(struct shim *s, const char *proc, int fd, uint64_t now_ns,
                                  struct kcall *k, struct shim_proc **pp)
{
	*pp = sys_enter(s, proc, now_ns, k);
	return *pp ? shim_fd_get(*pp, fd) : NULL;
}

int64_t shim_read(struct shim *s, const char *proc, int fd, uint64_t buf_uptr, uint64_t len,
                  uint64_t now_ns, struct shim_call *call)
{
	if (!s)
		return -EINVAL;
	struct kcall k;
	struct shim_proc *p;
	struct shim_file *f = rw_begin(s, proc, fd, now_ns, &k, &p);
	int64_t rc;
	if (!f)
		rc = -EBADF;
	else if (f->kind == SF_VEVENTQ)
		rc = veventq_read(s, p, f->u.evq, buf_uptr, len);
	else if (f->kind == SF_FAULT)
		rc = fault_read(s, p, f->u.evq, buf_uptr, len);
	else if (f->kind == SF_EVENTFD)
		rc = eventfd_read(s, p, f, buf_uptr, len);
	else
		rc = -EINVAL;
	call_finish(s, &k, "read", rc, call);
	return rc;
}

int64_t shim_write(struct shim *s, const char *proc, int fd, uint64_t buf_uptr, uint64_t len,
                   uint64_t now_ns, struct shim_call *call)
{
	if (!s)
		return -EINVAL;
	struct kcall k;
	struct shim_proc *p;
	struct shim_file *f = rw_begin(s, proc, fd, now_ns, &k, &p);
	int64_t rc;
	if (!f)
		rc = -EBADF;
	else if (f->kind == SF_FAULT)
		rc = fault_write(s, p, f->u.evq, buf_uptr, len, &k);
	else if (f->kind == SF_EVENTFD)
		rc = eventfd_write(s, p, f, buf_uptr, len);
	else
		rc = -EINVAL; /* no write op (vEVENTQ, iommufd); VFIO region writes not emulated */
	call_finish(s, &k, "write", rc, call);
	return rc;
}

int shim_irq(struct shim *s, uint32_t smmu, unsigned line, uint64_t now_ns, struct shim_call *call)
{
	if (!s || smmu >= s->nsmmus || !s->smmus[smmu])
		return -EINVAL;
	struct kcall k;
	kcall_begin(&k, &s->env, now_ns);
	arm_smmu_handle_irq(s->smmus[smmu], line, &k);
	call_finish(s, &k, "irq", 0, call);
	return 0;
}
