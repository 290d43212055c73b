// /dev/kvm through the public syscall API, errno by errno as Linux 7.0
// (virt/kvm/kvm_main.c, arch/arm64/kvm/{arm,mmu}.c, virt/kvm/vfio.c):
// API version, extensions, KVM_CREATE_VM machine types, memslots
// (kvm_set_memory_region + arm64's IPA limit), vCPUs, KVM_CREATE_DEVICE,
// the KVM-VFIO device's attributes, fd lifetimes and the uapi table rows.
#include "fd_rig.h"

extern "C" {
#include "kvm.h"
#include "shim_internal.h"
}

namespace
{

constexpr uint64_t G = 1ull << 30;

struct Kvm : ::testing::Test {
	FdRig m{1};
	int kfd = -1, vm = -1;
	void SetUp() override
	{
		ASSERT_EQ(0, m.AddDev("nic0", 0, 0x10));
		ASSERT_EQ(0 + 1, m.AddDev("nic1", 0, 0x20));
		m.Boot();
		kfd = m.Open("/dev/kvm");
		ASSERT_GE(kfd, 3);
		vm = (int)m.IoctlRaw(kfd, KVM_CREATE_VM, 0);
		ASSERT_GE(vm, 3);
	}
	int64_t Slot(uint32_t slot, uint64_t gpa, uint64_t size, uint64_t uaddr, uint32_t flags = 0,
	             int fd = -1)
	{
		u_kvm_userspace_memory_region r{};
		r.slot = slot;
		r.flags = flags;
		r.guest_phys_addr = gpa;
		r.memory_size = size;
		r.userspace_addr = uaddr;
		return m.Ioctl(fd < 0 ? vm : fd, KVM_SET_USER_MEMORY_REGION, &r);
	}
	int64_t CreateDev(uint32_t type, uint32_t flags, uint32_t *fd)
	{
		u_kvm_create_device cd{};
		cd.type = type;
		cd.flags = flags;
		cd.fd = 0xdead;
		int64_t rc = m.Ioctl(vm, KVM_CREATE_DEVICE, &cd);
		*fd = cd.fd;
		return rc;
	}
	int64_t Attr(int dev, unsigned long req, uint32_t group, uint64_t attr, const int32_t *fdp)
	{
		u_kvm_device_attr a{};
		a.group = group;
		a.attr = attr;
		a.addr = (uint64_t)(uintptr_t)fdp;
		return m.Ioctl(dev, req, &a);
	}
	int64_t FileAdd(int dev, int32_t fd)
	{
		return Attr(dev, KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, &fd);
	}
	int64_t FileDel(int dev, int32_t fd)
	{
		return Attr(dev, KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_DEL, &fd);
	}
	struct shim_kvm_stats Stats()
	{
		struct shim_kvm_stats st{};
		st.size = sizeof(st);
		EXPECT_EQ(0, shim_kvm_stats(m.k, &st));
		return st;
	}
};

TEST_F(Kvm, ApiVersionAndExtensions)
{
	EXPECT_EQ(12, m.IoctlRaw(kfd, KVM_GET_API_VERSION, 0));
	EXPECT_STREQ(m.last.request, "KVM_GET_API_VERSION");
	EXPECT_EQ(-EINVAL, m.IoctlRaw(kfd, KVM_GET_API_VERSION, 1));
	EXPECT_EQ(1, m.IoctlRaw(kfd, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL));
	EXPECT_EQ(1, m.IoctlRaw(kfd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY));
	EXPECT_EQ(32767, m.IoctlRaw(kfd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS));
	EXPECT_EQ(48, m.IoctlRaw(kfd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE));
	EXPECT_EQ(512, m.IoctlRaw(kfd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS));
	EXPECT_EQ(0, m.IoctlRaw(kfd, KVM_CHECK_EXTENSION, 9999)); // not modelled: 0
	// What QEMU's kvm_init requires, and the arm64 host the table describes
	for (uint64_t cap : {40u /* INTERNAL_ERROR_DATA */, 36u /* IOEVENTFD */,
			     122u /* IOEVENTFD_ANY_LENGTH */, 231u /* USER_MEMORY2 */, 32u /* IRQFD */,
			     70u /* ONE_REG */, 102u /* ARM_PSCI_0_2 */, 136u /* IMMEDIATE_EXIT */,
			     16u /* SYNC_MMU */, 105u /* CHECK_EXTENSION_VM */})
		EXPECT_EQ(1, m.IoctlRaw(kfd, KVM_CHECK_EXTENSION, cap)) << cap;
	EXPECT_EQ(0, m.IoctlRaw(kfd, KVM_CHECK_EXTENSION, 0));   // IRQCHIP: no vGIC here
	EXPECT_EQ(0, m.IoctlRaw(kfd, KVM_CHECK_EXTENSION, 170)); // ARM_SVE
	EXPECT_EQ(4096, m.IoctlRaw(kfd, KVM_CHECK_EXTENSION, 25)); // IRQ_ROUTING
	EXPECT_EQ(0x40201000, m.IoctlRaw(kfd, KVM_CHECK_EXTENSION, 229)); // block sizes
	EXPECT_EQ(-EINVAL, m.IoctlRaw(kfd, KVM_CHECK_EXTENSION, 131)); // MSI_DEVID needs a VM
	EXPECT_EQ(0, m.IoctlRaw(vm, KVM_CHECK_EXTENSION, 131));
	// KVM_GET_VCPU_MMAP_SIZE: kvm_run + the coalesced MMIO page
	EXPECT_EQ(8192, m.IoctlRaw(kfd, KVM_GET_VCPU_MMAP_SIZE, 0));
	EXPECT_EQ(-EINVAL, m.IoctlRaw(kfd, KVM_GET_VCPU_MMAP_SIZE, 1));
	// KVM_CAP_CHECK_EXTENSION_VM: the VM fd answers too.
	EXPECT_EQ(1, m.IoctlRaw(vm, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL));
	// Unknown numbers: arm64's kvm_arch_{dev,vm,vcpu}_ioctl say EINVAL.
	EXPECT_EQ(-EINVAL, m.IoctlRaw(kfd, 0xAE99, 0));
	EXPECT_EQ(-EINVAL, m.IoctlRaw(vm, KVM_GET_API_VERSION, 0));
	// KVM requests on other fds: ENOTTY.
	int ifd = m.Open("/dev/iommu");
	EXPECT_EQ(-ENOTTY, m.IoctlRaw(ifd, KVM_CREATE_VM, 0));
	// read() of a KVM fd: EINVAL.
	uint8_t b[8];
	EXPECT_EQ(-EINVAL, m.Read(kfd, b, sizeof(b)));
}

TEST_F(Kvm, CreateVmMachineTypes)
{
	// IPA size in the low 8 bits: 0 = 40 bits, else 32..kvm_ipa_limit (48).
	EXPECT_GE(m.IoctlRaw(kfd, KVM_CREATE_VM, 32), 3);
	EXPECT_GE(m.IoctlRaw(kfd, KVM_CREATE_VM, 48), 3);
	EXPECT_EQ(-EINVAL, m.IoctlRaw(kfd, KVM_CREATE_VM, 31));
	EXPECT_EQ(-EINVAL, m.IoctlRaw(kfd, KVM_CREATE_VM, 49));
	EXPECT_EQ(-EINVAL, m.IoctlRaw(kfd, KVM_CREATE_VM, 0x100)); // bits beyond the IPA size
	EXPECT_EQ(3u, Stats().vms_created);
	EXPECT_EQ(3u, Stats().vms_live);
	// Names: creating process and the VM's number in creation order.
	shim_proc *p = shim_proc_get(m.k, "vmm0");
	struct shim_kvm *k0 = kvm_from_fd(m.k, p, vm);
	ASSERT_NE(k0, nullptr);
	EXPECT_STREQ(shim_kvm_name(k0), "vmm0/vm0");
	m.proc = "vmm1";
	int k1fd = m.Open("/dev/kvm");
	int vm1 = (int)m.IoctlRaw(k1fd, KVM_CREATE_VM, 0);
	ASSERT_GE(vm1, 3);
	EXPECT_STREQ(shim_kvm_name(kvm_from_fd(m.k, shim_proc_get(m.k, "vmm1"), vm1)), "vmm1/vm0");
	// A VM fd used by another process (SCM_RIGHTS): kvm->mm differs, EIO.
	int passed = shim_fd_pass(m.k, "vmm0", vm, "vmm1");
	ASSERT_GE(passed, 3);
	EXPECT_EQ(-EIO, m.IoctlRaw(passed, KVM_CREATE_VCPU, 0));
}

TEST_F(Kvm, MemslotRules)
{
	uint64_t ram = m.Mmap(4 << 20);
	EXPECT_EQ(0, Slot(0, 0x40000000, 2 << 20, ram));
	EXPECT_STREQ(m.last.request, "KVM_SET_USER_MEMORY_REGION");
	// Alignment of size, gpa, uaddr: EINVAL.
	EXPECT_EQ(-EINVAL, Slot(1, 0x80000000, 0x800, ram));
	EXPECT_EQ(-EINVAL, Slot(1, 0x80000800, 4096, ram));
	EXPECT_EQ(-EINVAL, Slot(1, 0x80000000, 4096, ram + 8));
	// Flags beyond LOG_DIRTY_PAGES|READONLY (GUEST_MEMFD needs REGION2).
	EXPECT_EQ(-EINVAL, Slot(1, 0x80000000, 4096, ram, KVM_MEM_GUEST_MEMFD));
	EXPECT_EQ(-EINVAL, Slot(1, 0x80000000, 4096, ram, 8));
	// Slot beyond KVM_USER_MEM_SLOTS, or another address space.
	EXPECT_EQ(-EINVAL, Slot(32767, 0x80000000, 4096, ram));
	EXPECT_EQ(-EINVAL, Slot(1u << 16, 0x80000000, 4096, ram));
	// Wrapping gpa + size; a userspace range past the user VA limit.
	EXPECT_EQ(-EINVAL, Slot(1, ~0ull << 12, 1ull << 13, ram));
	EXPECT_EQ(-EINVAL, Slot(1, 0x80000000, 4096, 1ull << 48));
	// Overlap with another slot: EEXIST.
	EXPECT_EQ(-EEXIST, Slot(1, 0x40100000, 2 << 20, ram + (2 << 20)));
	// Beyond the VM's 40-bit IPA space: arm64 says EFAULT.
	EXPECT_EQ(-EFAULT, Slot(1, (1ull << 40) - 4096, 8192, ram));
	EXPECT_EQ(0, Slot(1, (1ull << 40) - 8192, 8192, ram));
	// An existing slot: new size or uaddr, or toggling READONLY: EINVAL;
	// a new gpa moves it (checked for overlap), the same values are a no-op,
	// LOG_DIRTY_PAGES alone changes flags only.
	EXPECT_EQ(-EINVAL, Slot(0, 0x40000000, 4 << 20, ram));
	EXPECT_EQ(-EINVAL, Slot(0, 0x40000000, 2 << 20, ram + 4096));
	EXPECT_EQ(-EINVAL, Slot(0, 0x40000000, 2 << 20, ram, KVM_MEM_READONLY));
	EXPECT_EQ(0, Slot(0, 0x40000000, 2 << 20, ram));
	EXPECT_EQ(0, Slot(0, 0x40000000, 2 << 20, ram, KVM_MEM_LOG_DIRTY_PAGES));
	EXPECT_EQ(-EEXIST, Slot(0, (1ull << 40) - 8192, 2 << 20, ram, KVM_MEM_LOG_DIRTY_PAGES));
	EXPECT_EQ(0, Slot(0, 0x50000000, 2 << 20, ram, KVM_MEM_LOG_DIRTY_PAGES));
	// Delete by size 0; deleting a slot that does not exist: EINVAL.
	EXPECT_EQ(0, Slot(1, 0, 0, 0));
	EXPECT_EQ(-EINVAL, Slot(1, 0, 0, 0));
	// Guest memory goes through the slots: IPA 0x50000000 is ram's first byte.
	uint64_t v = 0x1122334455667788ull, r = 0;
	ASSERT_EQ(0, shim_guest_write(m.k, "vmm0", vm, 0x50000008, &v, 8));
	EXPECT_EQ(m.r.Read64(m.Pa(ram) + 8), v);
	ASSERT_EQ(0, shim_guest_read(m.k, "vmm0", vm, 0x50000008, &r, 8));
	EXPECT_EQ(r, v);
	EXPECT_EQ(-EFAULT, shim_guest_write(m.k, "vmm0", vm, 0x40000000, &v, 8)); // moved away
	EXPECT_EQ(-EBADF, shim_guest_write(m.k, "vmm0", kfd, 0x50000000, &v, 8));
	// A memory region over a hole of the address space is accepted (the
	// kernel checks VMAs lazily), but the guest's accesses there fault.
	EXPECT_EQ(0, Slot(2, 0x60000000, 4096, 0x7f0000000000ull));
	EXPECT_EQ(-EFAULT, shim_guest_read(m.k, "vmm0", vm, 0x60000000, &r, 8));
	// A read-only slot: loads work, stores are MMIO exits (EFAULT here).
	EXPECT_EQ(0, Slot(3, 0x70000000, 2 << 20, ram + (2 << 20), KVM_MEM_READONLY));
	EXPECT_EQ(0, shim_guest_read(m.k, "vmm0", vm, 0x70000000, &r, 8));
	EXPECT_EQ(-EFAULT, shim_guest_write(m.k, "vmm0", vm, 0x70000000, &v, 8));
	// A struct the kernel cannot read: EFAULT.
	EXPECT_EQ(-EFAULT, m.IoctlRaw(vm, KVM_SET_USER_MEMORY_REGION, 0));
}

TEST_F(Kvm, VcpuCreationRules)
{
	int v0 = (int)m.IoctlRaw(vm, KVM_CREATE_VCPU, 0);
	EXPECT_GE(v0, 3);
	EXPECT_STREQ(m.last.request, "KVM_CREATE_VCPU");
	EXPECT_EQ(-EEXIST, m.IoctlRaw(vm, KVM_CREATE_VCPU, 0));
	EXPECT_GE(m.IoctlRaw(vm, KVM_CREATE_VCPU, 511), 3);
	EXPECT_EQ(-EINVAL, m.IoctlRaw(vm, KVM_CREATE_VCPU, 512));
	EXPECT_EQ(-EINVAL, m.IoctlRaw(vm, KVM_CREATE_VCPU, 1ull << 32));
	// KVM_RUN of a vCPU never initialised: ENOEXEC (an argument: EINVAL);
	// vCPU attributes: ENXIO; the rest is not modelled: arm64's EINVAL.
	EXPECT_EQ(-ENOEXEC, m.IoctlRaw(v0, KVM_RUN, 0));
	EXPECT_EQ(-EINVAL, m.IoctlRaw(v0, KVM_RUN, 1));
	u_kvm_device_attr a{};
	EXPECT_EQ(-ENXIO, m.Ioctl(v0, KVM_HAS_DEVICE_ATTR, &a));
	EXPECT_EQ(-EINVAL, m.IoctlRaw(v0, 0xAE99, 0));
	// The VM: KVM_ARM_PREFERRED_TARGET, the VM attributes (SMCCC filter
	// exists; the KVM-VFIO group is the device's, not the VM's)
	u_kvm_vcpu_init init;
	memset(&init, 0xa5, sizeof(init));
	EXPECT_EQ(0, m.Ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init));
	EXPECT_EQ(init.target, KVM_ARM_TARGET_GENERIC_V8);
	EXPECT_EQ(init.features[0], 0u);
	EXPECT_EQ(0, m.Ioctl(vm, KVM_HAS_DEVICE_ATTR, &a));
	a.group = KVM_DEV_VFIO_FILE;
	a.attr = KVM_DEV_VFIO_FILE_ADD;
	EXPECT_EQ(-ENXIO, m.Ioctl(vm, KVM_HAS_DEVICE_ATTR, &a));
	EXPECT_EQ(-ENXIO, m.Ioctl(vm, KVM_SET_DEVICE_ATTR, &a));
	// A vCPU made by its first load exists for KVM_CREATE_VCPU too.
	EXPECT_EQ(0, shim_kvm_vcpu(m.k, "vmm0", vm, 7, 0, true, m.r.now_ns, nullptr) < 0);
	EXPECT_EQ(-EEXIST, m.IoctlRaw(vm, KVM_CREATE_VCPU, 7));
}

// KVM_ARM_VCPU_INIT (arm64 kvm_arch_vcpu_ioctl_vcpu_init): the target, the
// feature bits this host offers (PSCI 0.2, PMUv3; POWER_OFF is ephemeral),
// one feature set for every vCPU of a VM; what needs an initialised vCPU.
TEST_F(Kvm, VcpuInitRules)
{
	int v0 = (int)m.IoctlRaw(vm, KVM_CREATE_VCPU, 0);
	int v1 = (int)m.IoctlRaw(vm, KVM_CREATE_VCPU, 1);
	ASSERT_GE(v0, 3);
	ASSERT_GE(v1, 3);
	struct {
		uint64_t id, addr;
	} reg{};
	EXPECT_EQ(-ENOEXEC, m.Ioctl(v0, KVM_GET_ONE_REG, &reg));
	int32_t what = 4;
	EXPECT_EQ(-ENOEXEC, m.Ioctl(v0, KVM_ARM_VCPU_FINALIZE, &what));
	u_kvm_vcpu_init init{};
	EXPECT_EQ(0, m.Ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init));
	init.target = 0; // KVM_ARM_TARGET_AEM_V8: not this host's
	EXPECT_EQ(-EINVAL, m.Ioctl(v0, KVM_ARM_VCPU_INIT, &init));
	init.target = KVM_ARM_TARGET_GENERIC_V8;
	init.features[0] = 1u << 9; // past KVM_VCPU_MAX_FEATURES
	EXPECT_EQ(-ENOENT, m.Ioctl(v0, KVM_ARM_VCPU_INIT, &init));
	init.features[0] = 0;
	init.features[3] = 1;
	EXPECT_EQ(-ENOENT, m.Ioctl(v0, KVM_ARM_VCPU_INIT, &init));
	init.features[3] = 0;
	for (unsigned bit : {1u, 4u, 5u, 7u, 8u}) { // AArch32 EL1, SVE, PAuth, NV
		init.features[0] = 1u << bit;
		EXPECT_EQ(-EINVAL, m.Ioctl(v0, KVM_ARM_VCPU_INIT, &init)) << "feature " << bit;
	}
	EXPECT_EQ(-EFAULT, m.IoctlRaw(v0, KVM_ARM_VCPU_INIT, 0));
	EXPECT_EQ(-ENOEXEC, m.IoctlRaw(v0, KVM_RUN, 0)); // nothing above initialised it
	// PSCI 0.2 + PMUv3: the VM's set from now on.
	init.features[0] = (1u << 2) | (1u << 3);
	EXPECT_EQ(0, m.Ioctl(v0, KVM_ARM_VCPU_INIT, &init));
	EXPECT_STREQ(m.last.request, "KVM_ARM_VCPU_INIT");
	// Again, also with POWER_OFF (not part of the set); a different set: EINVAL.
	init.features[0] |= 1u << 0;
	EXPECT_EQ(0, m.Ioctl(v0, KVM_ARM_VCPU_INIT, &init));
	init.features[0] = 1u << 2;
	EXPECT_EQ(-EINVAL, m.Ioctl(v0, KVM_ARM_VCPU_INIT, &init));
	// Another vCPU of the VM must ask for the same set.
	EXPECT_EQ(-EINVAL, m.Ioctl(v1, KVM_ARM_VCPU_INIT, &init));
	init.features[0] = (1u << 2) | (1u << 3);
	EXPECT_EQ(0, m.Ioctl(v1, KVM_ARM_VCPU_INIT, &init));
	// Initialised: FINALIZE has nothing to finalise (no SVE); KVM_RUN
	// does not run a guest (EINTR: returned at once).
	EXPECT_EQ(-EINVAL, m.Ioctl(v0, KVM_ARM_VCPU_FINALIZE, &what));
	EXPECT_EQ(-EINTR, m.IoctlRaw(v0, KVM_RUN, 0));
	// A second VM starts with no feature set of its own.
	int vm2 = (int)m.IoctlRaw(kfd, KVM_CREATE_VM, 0);
	ASSERT_GE(vm2, 3);
	int w0 = (int)m.IoctlRaw(vm2, KVM_CREATE_VCPU, 0);
	init.features[0] = 1u << 2;
	EXPECT_EQ(0, m.Ioctl(w0, KVM_ARM_VCPU_INIT, &init));
}

// KVM_SET_USER_MEMORY_REGION2: the same rules through the larger struct;
// no guest_memfd here.
TEST_F(Kvm, MemslotRegion2)
{
	u_kvm_userspace_memory_region2 r{};
	r.slot = 0;
	r.guest_phys_addr = G;
	r.memory_size = 2u << 20;
	r.userspace_addr = 0x7f0000000000ull;
	EXPECT_EQ(0, m.Ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &r));
	EXPECT_EQ(-EEXIST, [&] {
		u_kvm_userspace_memory_region2 o = r;
		o.slot = 1;
		return m.Ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &o);
	}());
	r.slot = 2;
	r.guest_phys_addr = 4 * G;
	r.flags = KVM_MEM_GUEST_MEMFD;
	EXPECT_EQ(-EINVAL, m.Ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &r));
	r.flags = 0;
	r.memory_size = 4097;
	EXPECT_EQ(-EINVAL, m.Ioctl(vm, KVM_SET_USER_MEMORY_REGION2, &r));
}

TEST_F(Kvm, VmLivesWhileAnyFdHoldsIt)
{
	int v0 = (int)m.IoctlRaw(vm, KVM_CREATE_VCPU, 0);
	uint32_t dfd = 0;
	ASSERT_EQ(0, CreateDev(KVM_DEV_TYPE_VFIO, 0, &dfd));
	EXPECT_EQ(1u, Stats().vms_live);
	EXPECT_EQ(0, m.Close(vm));
	EXPECT_EQ(1u, Stats().vms_live); // the vCPU and device fds hold it
	EXPECT_EQ(0, m.Close(v0));
	EXPECT_EQ(1u, Stats().vms_live);
	EXPECT_EQ(0, m.Close((int)dfd));
	EXPECT_EQ(0u, Stats().vms_live);
	EXPECT_EQ(1u, Stats().vms_created);
}

TEST_F(Kvm, CreateDeviceRules)
{
	uint32_t fd = 0;
	// Only the KVM-VFIO device is registered: the rest are ENODEV.
	EXPECT_EQ(-ENODEV, CreateDev(KVM_DEV_TYPE_ARM_VGIC_V3, 0, &fd));
	EXPECT_EQ(-ENODEV, CreateDev(1000, 0, &fd));
	// TEST: 0, no fd, the struct comes back unchanged.
	EXPECT_EQ(0, CreateDev(KVM_DEV_TYPE_VFIO, KVM_CREATE_DEVICE_TEST, &fd));
	EXPECT_EQ(fd, 0xdeadu);
	ASSERT_EQ(0, CreateDev(KVM_DEV_TYPE_VFIO, 0, &fd));
	EXPECT_GE((int)fd, 3);
	EXPECT_STREQ(m.last.request, "KVM_CREATE_DEVICE");
	// One VFIO device per VM (TEST does not ask the device: still 0).
	uint32_t fd2 = 0;
	EXPECT_EQ(-EBUSY, CreateDev(KVM_DEV_TYPE_VFIO, 0, &fd2));
	EXPECT_EQ(0, CreateDev(KVM_DEV_TYPE_VFIO, KVM_CREATE_DEVICE_TEST, &fd2));
	// Its release (fd close) takes it off the VM: a new one may be made.
	EXPECT_EQ(0, m.Close((int)fd));
	EXPECT_EQ(0, CreateDev(KVM_DEV_TYPE_VFIO, 0, &fd2));
	EXPECT_EQ(-EFAULT, m.IoctlRaw(vm, KVM_CREATE_DEVICE, 0));
}

TEST_F(Kvm, VfioDeviceAttributes)
{
	uint32_t kd = 0;
	ASSERT_EQ(0, CreateDev(KVM_DEV_TYPE_VFIO, 0, &kd));
	int dev = (int)kd;
	int cdev = m.Open("/dev/vfio/devices/vfio0");
	int grp = m.Open("/dev/vfio/1");
	int ifd = m.Open("/dev/iommu");
	ASSERT_GE(cdev, 3);
	ASSERT_GE(grp, 3);
	// HAS_DEVICE_ATTR: FILE (alias GROUP) with ADD/DEL.
	EXPECT_EQ(0, Attr(dev, KVM_HAS_DEVICE_ATTR, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD, nullptr));
	EXPECT_EQ(0, Attr(dev, KVM_HAS_DEVICE_ATTR, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_DEL, nullptr));
	EXPECT_EQ(-ENXIO, Attr(dev, KVM_HAS_DEVICE_ATTR, KVM_DEV_VFIO_FILE,
	                       KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE, nullptr));
	EXPECT_EQ(-ENXIO, Attr(dev, KVM_HAS_DEVICE_ATTR, 2, KVM_DEV_VFIO_FILE_ADD, nullptr));
	// GET_DEVICE_ATTR: the KVM-VFIO device has no get_attr: EPERM.
	EXPECT_EQ(-EPERM, Attr(dev, KVM_GET_DEVICE_ATTR, KVM_DEV_VFIO_FILE, 1, nullptr));
	// SET: other group or attr ENXIO; unreadable fd pointer EFAULT; not an
	// fd EBADF; not a VFIO file EINVAL; twice EEXIST.
	int32_t fdv = cdev;
	EXPECT_EQ(-ENXIO, Attr(dev, KVM_SET_DEVICE_ATTR, 2, KVM_DEV_VFIO_FILE_ADD, &fdv));
	EXPECT_EQ(-ENXIO, Attr(dev, KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_FILE, 3, &fdv));
	EXPECT_EQ(-EFAULT, Attr(dev, KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ADD,
	                        nullptr));
	EXPECT_EQ(-EBADF, FileAdd(dev, 99));
	EXPECT_EQ(-EINVAL, FileAdd(dev, ifd));
	EXPECT_EQ(-EINVAL, FileAdd(dev, kfd));
	EXPECT_EQ(0, FileAdd(dev, cdev));
	EXPECT_STREQ(m.last.request, "KVM_SET_DEVICE_ATTR");
	EXPECT_EQ(-EEXIST, FileAdd(dev, cdev));
	EXPECT_EQ(0, FileAdd(dev, grp));
	// DEL: EBADF, then ENOENT for a file not added (no validity check).
	EXPECT_EQ(-EBADF, FileDel(dev, 99));
	EXPECT_EQ(-ENOENT, FileDel(dev, ifd));
	EXPECT_EQ(0, FileDel(dev, grp));
	EXPECT_EQ(-ENOENT, FileDel(dev, grp));
	EXPECT_EQ(-ENOTTY, m.IoctlRaw(dev, KVM_CREATE_VCPU, 0));
	EXPECT_EQ(-EFAULT, m.IoctlRaw(dev, KVM_SET_DEVICE_ATTR, 0));
}

TEST_F(Kvm, UapiTableRowsUseTheHeaderNames)
{
	const shim_uapi_request *r = shim_uapi_request_by_name("KVM_SET_USER_MEMORY_REGION");
	ASSERT_NE(r, nullptr);
	EXPECT_EQ(r->request, 0x4020AE46ul);
	EXPECT_EQ(r->struct_size, 32u);
	const char *names[] = {"slot", "flags", "guest_phys_addr", "memory_size", "userspace_addr"};
	for (const char *n : names)
		EXPECT_NE(shim_uapi_field_find(r, n), nullptr) << n;
	EXPECT_EQ(shim_uapi_field_find(r, "memory_size")->offset, 16u);
	r = shim_uapi_request_by_name("KVM_CREATE_DEVICE");
	ASSERT_NE(r, nullptr);
	EXPECT_EQ(r->request, 0xC00CAEE0ul);
	uint64_t v = 0;
	ASSERT_EQ(0, shim_uapi_sym_value(shim_uapi_field_find(r, "type"), "KVM_DEV_TYPE_VFIO", &v));
	EXPECT_EQ(v, 4u);
	EXPECT_TRUE(shim_uapi_field_find(r, "fd")->flags & SHIM_UF_OUT);
	r = shim_uapi_request_by_name("KVM_SET_DEVICE_ATTR");
	ASSERT_NE(r, nullptr);
	EXPECT_EQ(r->request, 0x4018AEE1ul);
	const shim_uapi_field *addr = shim_uapi_field_find(r, "addr");
	ASSERT_NE(addr, nullptr);
	EXPECT_TRUE(addr->flags & SHIM_UF_INT_PTR);
	EXPECT_EQ(0, shim_uapi_sym_value(shim_uapi_field_find(r, "group"), "KVM_DEV_VFIO_GROUP", &v));
	EXPECT_EQ(v, 1u);
	EXPECT_EQ(0, shim_uapi_sym_value(shim_uapi_field_find(r, "attr"), "GROUP_DEL", &v));
	EXPECT_EQ(v, 2u);
	// KVM_CREATE_VM / KVM_CREATE_VCPU take `arg=`; CHECK_EXTENSION names caps.
	EXPECT_EQ(shim_uapi_request_by_name("KVM_CREATE_VM")->arg, SHIM_ARG_INT);
	EXPECT_EQ(shim_uapi_request_by_name("KVM_CREATE_VCPU")->request, 0xAE41ul);
	r = shim_uapi_request_by_name("KVM_CHECK_EXTENSION");
	ASSERT_EQ(0, shim_uapi_sym_value(shim_uapi_field_find(r, "arg"), "KVM_CAP_DEVICE_CTRL", &v));
	EXPECT_EQ(v, 89u);
	// VFIO keeps its short names.
	EXPECT_EQ(shim_uapi_request_by_name("CHECK_EXTENSION")->request, (unsigned long)VFIO_CHECK_EXTENSION);
	EXPECT_STREQ(shim_request_name(KVM_HAS_DEVICE_ATTR), "KVM_HAS_DEVICE_ATTR");
	EXPECT_STREQ(shim_request_name(KVM_GET_DEVICE_ATTR), "KVM_GET_DEVICE_ATTR");
}

} // namespace
