// The VFIO device <-> KVM association as Linux 7.0 records it:
// KVM_DEV_VFIO_FILE_ADD stores the VM in the cdev file (df->kvm) or the
// group (group->kvm); the device captures it, with a VM reference, at its
// first open (VFIO_DEVICE_BIND_IOMMUFD / VFIO_GROUP_GET_DEVICE_FD) and drops
// it at its last close; FILE_DEL and the KVM-VFIO device's release clear the
// file's VM; the KVM-VFIO device holds each file it was given (get_file).
#include "fd_rig.h"

extern "C" {
#include "kvm.h"
#include "shim_internal.h"
}

namespace
{

struct Assoc : ::testing::Test {
	FdRig m{1};
	int kfd = -1, vm = -1, kdev = -1, ifd = -1;
	shim_dev *d0 = nullptr;
	void SetUp() override
	{
		ASSERT_EQ(0, m.AddDev("nic0", 0, 0x10));
		m.Boot();
		d0 = m.k->devs[0];
		kfd = m.Open("/dev/kvm");
		vm = (int)m.IoctlRaw(kfd, KVM_CREATE_VM, 0);
		ASSERT_GE(vm, 3);
		u_kvm_create_device cd{};
		cd.type = KVM_DEV_TYPE_VFIO;
		ASSERT_EQ(0, m.Ioctl(vm, KVM_CREATE_DEVICE, &cd));
		kdev = (int)cd.fd;
		ifd = m.Open("/dev/iommu");
	}
	int64_t Set(uint64_t attr, int32_t fd)
	{
		u_kvm_device_attr a{};
		a.group = KVM_DEV_VFIO_FILE;
		a.attr = attr;
		a.addr = (uint64_t)(uintptr_t)&fd;
		return m.Ioctl(kdev, KVM_SET_DEVICE_ATTR, &a);
	}
	struct shim_kvm *Vm() { return kvm_from_fd(m.k, shim_proc_get(m.k, "vmm0"), vm); }
	uint64_t Live()
	{
		struct shim_kvm_stats st{};
		st.size = sizeof(st);
		EXPECT_EQ(0, shim_kvm_stats(m.k, &st));
		return st.vms_live;
	}
};

TEST_F(Assoc, CdevAddedBeforeBindCapturesTheVm)
{
	int cdev = m.Open("/dev/vfio/devices/vfio0");
	ASSERT_EQ(0, Set(KVM_DEV_VFIO_FILE_ADD, cdev));
	EXPECT_EQ(nullptr, shim_dev_kvm(d0)); // recorded in the file only
	uint32_t id;
	ASSERT_EQ(0, m.Bind(cdev, ifd, &id));
	ASSERT_EQ(Vm(), shim_dev_kvm(d0));
	EXPECT_STREQ(shim_kvm_name(shim_dev_kvm(d0)), "vmm0/vm0");
	EXPECT_EQ(&Vm()->vmid, shim_kvm_vmid(shim_dev_kvm(d0)));
	// FILE_DEL clears the file's VM; the open device keeps its capture.
	ASSERT_EQ(0, Set(KVM_DEV_VFIO_FILE_DEL, cdev));
	EXPECT_EQ(Vm(), shim_dev_kvm(d0));
	// The device's reference keeps the VM alive past every KVM fd.
	ASSERT_EQ(0, m.Close(vm));
	ASSERT_EQ(0, m.Close(kdev));
	EXPECT_EQ(1u, Live());
	ASSERT_NE(nullptr, shim_dev_kvm(d0));
	// The last close of the device drops it, and the VM dies.
	ASSERT_EQ(0, m.Close(cdev));
	EXPECT_EQ(nullptr, shim_dev_kvm(d0));
	EXPECT_EQ(0u, Live());
}

TEST_F(Assoc, CdevBoundBeforeFileAddHasNoKvm)
{
	int cdev = m.Open("/dev/vfio/devices/vfio0");
	uint32_t id;
	ASSERT_EQ(0, m.Bind(cdev, ifd, &id));
	ASSERT_EQ(0, Set(KVM_DEV_VFIO_FILE_ADD, cdev));
	EXPECT_EQ(nullptr, shim_dev_kvm(d0));
	// Rebinding the same file is refused (EINVAL): the device stays
	// without a KVM until it is closed and bound again.
	EXPECT_EQ(-EINVAL, m.Bind(cdev, ifd, &id));
	ASSERT_EQ(0, m.Close(cdev)); // KVM still holds the file: not released
	int cdev2 = m.Open("/dev/vfio/devices/vfio0");
	EXPECT_EQ(-EINVAL, m.Bind(cdev2, ifd, &id)); // the first file is still open
	ASSERT_EQ(0, m.Close(kdev));                 // releases the first file
	ASSERT_EQ(0, m.Bind(cdev2, ifd, &id));
	EXPECT_EQ(nullptr, shim_dev_kvm(d0));
}

TEST_F(Assoc, KvmDeviceHoldsTheFileItWasGiven)
{
	int cdev = m.Open("/dev/vfio/devices/vfio0");
	ASSERT_EQ(0, Set(KVM_DEV_VFIO_FILE_ADD, cdev));
	uint32_t id;
	ASSERT_EQ(0, m.Bind(cdev, ifd, &id));
	// The fd goes; the open file (bound, with its KVM) stays: the group
	// cannot be opened while the device is bound through its cdev.
	ASSERT_EQ(0, m.Close(cdev));
	EXPECT_NE(nullptr, shim_dev_kvm(d0));
	EXPECT_EQ(-EBUSY, m.Open("/dev/vfio/0"));
	// The KVM-VFIO device's release gives the file back: unbind, and the
	// device's VM reference goes.
	ASSERT_EQ(0, m.Close(kdev));
	EXPECT_EQ(nullptr, shim_dev_kvm(d0));
	EXPECT_GE(m.Open("/dev/vfio/0"), 3);
	EXPECT_EQ(1u, Live()); // the VM fd
	ASSERT_EQ(0, m.Close(vm));
	EXPECT_EQ(0u, Live());
}

TEST_F(Assoc, GroupPathCapturesAtGetDeviceFd)
{
	int grp = m.Open("/dev/vfio/0");
	ASSERT_GE(grp, 3);
	ASSERT_EQ(0, Set(KVM_DEV_VFIO_FILE_ADD, grp));
	EXPECT_EQ(Vm(), d0->group->kvm);
	int32_t ictx = ifd;
	ASSERT_EQ(0, m.Ioctl(grp, VFIO_GROUP_SET_CONTAINER, &ictx));
	int dfd = (int)m.Ioctl(grp, VFIO_GROUP_GET_DEVICE_FD, "0000:00:00.0");
	ASSERT_GE(dfd, 3);
	EXPECT_EQ(Vm(), shim_dev_kvm(d0));
	// A second device fd (open_count 2) and the group's FILE_DEL: the
	// capture stays until the last device fd closes.
	int dfd2 = (int)m.Ioctl(grp, VFIO_GROUP_GET_DEVICE_FD, "0000:00:00.0");
	ASSERT_GE(dfd2, 3);
	ASSERT_EQ(0, Set(KVM_DEV_VFIO_FILE_DEL, grp));
	EXPECT_EQ(nullptr, d0->group->kvm);
	ASSERT_EQ(0, m.Close(dfd));
	EXPECT_EQ(Vm(), shim_dev_kvm(d0));
	ASSERT_EQ(0, m.Close(dfd2));
	EXPECT_EQ(nullptr, shim_dev_kvm(d0));
	// Opened again without FILE_ADD: no KVM.
	int dfd3 = (int)m.Ioctl(grp, VFIO_GROUP_GET_DEVICE_FD, "0000:00:00.0");
	ASSERT_GE(dfd3, 3);
	EXPECT_EQ(nullptr, shim_dev_kvm(d0));
}

TEST_F(Assoc, RefusedBindTakesNoCapture)
{
	int cdev = m.Open("/dev/vfio/devices/vfio0");
	ASSERT_EQ(0, Set(KVM_DEV_VFIO_FILE_ADD, cdev));
	uint32_t id;
	// Not an iommufd (EBADFD), no fd at all (EBADF), a struct the kernel
	// cannot read (EFAULT: no argsz; an argsz of 24 whose struct runs off
	// the mapping), an argsz of 0 (EINVAL): no open, no capture, no VM
	// reference.
	EXPECT_EQ(-EBADFD, m.Bind(cdev, kfd, &id));
	EXPECT_EQ(-EBADF, m.Bind(cdev, 77, &id));
	EXPECT_EQ(-EFAULT, m.IoctlRaw(cdev, VFIO_DEVICE_BIND_IOMMUFD, 0));
	uint64_t end = m.Mmap(4096) + 4096;
	EXPECT_EQ(-EINVAL, m.IoctlRaw(cdev, VFIO_DEVICE_BIND_IOMMUFD, end - 8));
	m.r.Write64(m.Pa(end - 16), 24); // argsz 24, flags 0
	EXPECT_EQ(-EFAULT, m.IoctlRaw(cdev, VFIO_DEVICE_BIND_IOMMUFD, end - 16));
	EXPECT_EQ(nullptr, shim_dev_kvm(d0));
	ASSERT_EQ(0, m.Close(vm));
	ASSERT_EQ(0, m.Close(kdev)); // gives the (unbound) file back: the VM dies
	EXPECT_EQ(0u, Live());
	// The file lives on through its fd, its KVM cleared: binding now
	// captures nothing.
	ASSERT_EQ(0, m.Bind(cdev, ifd, &id));
	EXPECT_EQ(nullptr, shim_dev_kvm(d0));
}

} // namespace
