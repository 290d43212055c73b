// VFIO: the device cdev (bind, attach, replace, detach, close = unbind),
// domain transitions seen in the STEs the model walks, two SMMUs sharing one
// IOAS (one auto domain each), the legacy group + type1 container flow with
// a DMA, iommufd's VFIO compat container, and each errno rule.
#include "fd_rig.h"

namespace
{

constexpr uint32_t FIXED =
    IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;

TEST(FdCdev, BindRules)
{
	FdRig m(1);
	ASSERT_EQ(0, m.AddDev("d", 0, 0x10));
	m.Boot();
	int ifd = m.Open("/dev/iommu"), dfd = m.Open("/dev/vfio/devices/vfio0");
	uint32_t dev;
	// Unbound: everything but BIND is EINVAL.
	uint32_t pt = 1;
	EXPECT_EQ(-EINVAL, m.Attach(dfd, &pt));
	u_bind_iommufd b{};
	b.argsz = 12;
	b.iommufd = ifd;
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b)); // argsz < 16
	b.argsz = sizeof(b);
	b.flags = 2;
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b));
	b.flags = 0;
	b.iommufd = -1;
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b));
	b.iommufd = 77;
	EXPECT_EQ(-EBADF, m.Ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b));
	b.iommufd = dfd;
	EXPECT_EQ(-EBADFD, m.Ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b));
	// A VF token on a function that is neither a VF nor an SR-IOV PF:
	// EINVAL once the UUID is read (EFAULT if it cannot be; with argsz 16
	// there is no pointer, so NULL), and before the fd is looked at.
	uint8_t uuid[16] = {1};
	b.flags = VFIO_DEVICE_BIND_FLAG_TOKEN;
	b.iommufd = 77;
	b.token_uuid_ptr = (uint64_t)(uintptr_t)uuid;
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b));
	b.iommufd = ifd;
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b));
	b.argsz = 16;
	EXPECT_EQ(-EFAULT, m.Ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b));
	b.argsz = sizeof(b);
	b.token_uuid_ptr = 0;
	EXPECT_EQ(-EFAULT, m.Ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b));
	b.flags = 0;
	// A longer struct: its tail must be zero (copy_struct_from_user, E2BIG).
	struct {
		u_bind_iommufd b;
		uint64_t tail;
	} big{};
	big.b.argsz = sizeof(big);
	big.b.iommufd = ifd;
	big.tail = 1;
	EXPECT_EQ(-E2BIG, m.Ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &big));
	big.tail = 0;
	ASSERT_EQ(0, m.Ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &big));
	EXPECT_NE(0u, big.b.out_devid);
	EXPECT_EQ(0u, big.tail);
	ASSERT_EQ(0, m.Close(dfd));
	dfd = m.Open("/dev/vfio/devices/vfio0");
	ASSERT_GE(dfd, 3);
	ASSERT_EQ(0, m.Bind(dfd, ifd, &dev));
	EXPECT_EQ(-EINVAL, m.Bind(dfd, ifd, &dev)); // twice
	// A second cdev open cannot bind: only the group path opens twice.
	int d2 = m.Open("/dev/vfio/devices/vfio0");
	ASSERT_GE(d2, 3);
	EXPECT_EQ(-EINVAL, m.Bind(d2, ifd, &dev));
	// The group cannot be opened while the cdev is bound.
	EXPECT_EQ(-EBUSY, m.Open("/dev/vfio/0"));
	// Unknown device ioctls on a bound device: ENOTTY (vfio-pci's default).
	EXPECT_EQ(-ENOTTY, m.Ioctl(dfd, 0x3B7F, &b));
	// VFIO_DEVICE_GET_INFO: a PCI function whose reset works, 9 regions, 5
	// interrupt types; argsz below num_irqs' end EINVAL; min(argsz, 24)
	// bytes of a zeroed struct copied out.
	u_device_info di;
	memset(&di, 0xa5, sizeof(di));
	di.argsz = sizeof(di);
	EXPECT_EQ(0, m.Ioctl(dfd, VFIO_DEVICE_GET_INFO, &di));
	EXPECT_EQ(di.flags, 3u);
	EXPECT_EQ(di.num_regions, 9u);
	EXPECT_EQ(di.num_irqs, 5u);
	EXPECT_EQ(di.cap_offset, 0u);
	EXPECT_EQ(di.pad, 0u);
	di.argsz = 16;
	di.cap_offset = 0x77;
	EXPECT_EQ(0, m.Ioctl(dfd, VFIO_DEVICE_GET_INFO, &di));
	EXPECT_EQ(di.cap_offset, 0x77u);
	di.argsz = 15;
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_GET_INFO, &di));
	// VFIO_DEVICE_FEATURE: argsz/flags checks, no migration or logging ops
	// (ENOTTY), low-power entry SET only (a PROBE of SET: 0; of GET: EINVAL)
	u_device_feature fe{8, 0x20000 | 1 /* SET MIGRATION */};
	EXPECT_EQ(-ENOTTY, m.Ioctl(dfd, VFIO_DEVICE_FEATURE, &fe));
	fe = {4, 0x10000 | 1};
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_FEATURE, &fe)); // argsz
	fe = {8, 0x30000 | 1};
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_FEATURE, &fe)); // GET|SET
	fe = {8, 0x80000 | 1};
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_FEATURE, &fe)); // unknown flag
	fe = {8, 0x40000 | 0x20000 | 3};
	EXPECT_EQ(0, m.Ioctl(dfd, VFIO_DEVICE_FEATURE, &fe));
	fe = {8, 0x40000 | 0x10000 | 3};
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_FEATURE, &fe));
	// LOW_POWER_ENTRY_WITH_WAKEUP: {s32 wakeup_eventfd, u32 reserved} after
	// the header; eventfd_ctx_fdget(): an eventfd is taken, another file
	// EINVAL, no file EBADF
	struct {
		u_device_feature h;
		int32_t efd;
		uint32_t reserved;
	} wk{{16, 0x20000 | 4}, dfd, 0};
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_FEATURE, &wk));
	wk.efd = 999;
	EXPECT_EQ(-EBADF, m.Ioctl(dfd, VFIO_DEVICE_FEATURE, &wk));
	wk.efd = shim_eventfd(m.k, m.proc.c_str(), 0, 0, nullptr);
	ASSERT_GE(wk.efd, 3);
	EXPECT_EQ(0, m.Ioctl(dfd, VFIO_DEVICE_FEATURE, &wk));
	EXPECT_EQ(-ENOTTY, m.Ioctl(wk.efd, VFIO_DEVICE_FEATURE, &wk));
	// its counter (eventfd_read/_write): added, read whole, EAGAIN at 0
	uint64_t cnt = 5;
	EXPECT_EQ(8, shim_write(m.k, m.proc.c_str(), wk.efd, (uint64_t)(uintptr_t)&cnt, 8, 0, nullptr));
	EXPECT_EQ(8, shim_write(m.k, m.proc.c_str(), wk.efd, (uint64_t)(uintptr_t)&cnt, 8, 0, nullptr));
	EXPECT_EQ(SHIM_POLLIN | SHIM_POLLOUT, shim_fd_poll(m.k, m.proc.c_str(), wk.efd));
	cnt = UINT64_MAX;
	EXPECT_EQ(-EINVAL, shim_write(m.k, m.proc.c_str(), wk.efd, (uint64_t)(uintptr_t)&cnt, 8, 0, nullptr));
	cnt = UINT64_MAX - 10;
	EXPECT_EQ(-EAGAIN, shim_write(m.k, m.proc.c_str(), wk.efd, (uint64_t)(uintptr_t)&cnt, 8, 0, nullptr));
	EXPECT_EQ(-EINVAL, shim_write(m.k, m.proc.c_str(), wk.efd, (uint64_t)(uintptr_t)&cnt, 7, 0, nullptr));
	cnt = 0;
	EXPECT_EQ(8, shim_read(m.k, m.proc.c_str(), wk.efd, (uint64_t)(uintptr_t)&cnt, 8, 0, nullptr));
	EXPECT_EQ(cnt, 10u);
	EXPECT_EQ(-EAGAIN, shim_read(m.k, m.proc.c_str(), wk.efd, (uint64_t)(uintptr_t)&cnt, 8, 0, nullptr));
	EXPECT_EQ(SHIM_POLLOUT, shim_fd_poll(m.k, m.proc.c_str(), wk.efd));
	EXPECT_EQ(0, shim_close(m.k, m.proc.c_str(), wk.efd, 0, nullptr));
	EXPECT_EQ(-EBADF, m.Ioctl(dfd, VFIO_DEVICE_FEATURE, &wk));
	// VFIO_DEVICE_GET_REGION_INFO: config space 4 KiB read/write at index
	// 7 << 40; BARs and ROM empty; VGA (8) and past the regions EINVAL;
	// argsz below offset's end EINVAL.
	u_region_info ri;
	memset(&ri, 0xa5, sizeof(ri));
	ri.argsz = sizeof(ri);
	ri.index = 7;
	EXPECT_EQ(0, m.Ioctl(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri));
	EXPECT_EQ(ri.size, 4096u);
	EXPECT_EQ(ri.flags, 3u);
	EXPECT_EQ(ri.offset, 7ull << 40);
	EXPECT_EQ(ri.cap_offset, 0u);
	for (uint32_t i = 0; i <= 6; i++) {
		ri = {};
		ri.argsz = sizeof(ri);
		ri.index = i;
		ri.size = 5;
		EXPECT_EQ(0, m.Ioctl(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri)) << i;
		EXPECT_EQ(ri.size, 0u) << i;
		EXPECT_EQ(ri.flags, 0u) << i;
		EXPECT_EQ(ri.offset, (uint64_t)i << 40) << i;
	}
	ri.index = 8;
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri));
	ri.index = 9;
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri));
	ri.index = 7;
	ri.argsz = sizeof(ri) - 1;
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_GET_REGION_INFO, &ri));
	EXPECT_EQ(-EFAULT, m.Ioctl(dfd, VFIO_DEVICE_GET_REGION_INFO, nullptr));
	// VFIO_DEVICE_GET_IRQ_INFO: every type signals through an eventfd; no
	// INTx pin, MSI or MSI-X capability (count 0); ERR and REQ one each;
	// INTx maskable and automasked, the others not resizable.
	const uint32_t count[5] = {0, 0, 0, 1, 1};
	const uint32_t flags[5] = {7, 9, 9, 9, 9};
	for (uint32_t i = 0; i < 5; i++) {
		u_irq_info ii{sizeof(u_irq_info), 0xff, i, 0xff};
		EXPECT_EQ(0, m.Ioctl(dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii)) << i;
		EXPECT_EQ(ii.count, count[i]) << i;
		EXPECT_EQ(ii.flags, flags[i]) << i;
	}
	u_irq_info ii{sizeof(u_irq_info), 0, 5, 0};
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii));
	ii = {15, 0, 0, 0};
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_GET_IRQ_INFO, &ii));
	// VFIO_DEVICE_SET_IRQS (vfio_set_irqs_validate_and_prepare, then the
	// ERR/REQ triggers): INTx, MSI, MSI-X have no interrupt to set
	// (start >= 0 of 0: EINVAL); ERR and REQ take TRIGGER only (ENOTTY).
	struct {
		u_irq_set h;
		int32_t fd;
	} is{};
	auto set = [&](uint32_t flags, uint32_t index, uint32_t start, uint32_t cnt, int32_t fd,
		       uint32_t argsz = 24) {
		is.h = {argsz, flags, index, start, cnt};
		is.fd = fd;
		return m.Ioctl(dfd, VFIO_DEVICE_SET_IRQS, &is);
	};
	const uint32_t kNone = 1, kBool = 2, kEventfd = 4, kMask = 8, kTrigger = 0x20;
	EXPECT_EQ(-EINVAL, set(kEventfd | kTrigger, 0, 0, 1, -1)); // INTx: no pin
	EXPECT_EQ(-EINVAL, set(kEventfd | kTrigger, 2, 0, 1, -1)); // MSI-X: no capability
	EXPECT_EQ(-EINVAL, set(kEventfd | kTrigger, 5, 0, 1, -1)); // index
	EXPECT_EQ(-EINVAL, set(kEventfd | kTrigger, 3, 0, 1, -1, 19)); // argsz
	EXPECT_EQ(-EINVAL, set(kEventfd | kTrigger, 3, 0, 1, -1, 23)); // no room for the fd
	EXPECT_EQ(-EINVAL, set(0x40 | kEventfd | kTrigger, 3, 0, 1, -1)); // unknown flag
	EXPECT_EQ(-EINVAL, set(kEventfd | kTrigger, 3, 1, 1, -1)); // start
	EXPECT_EQ(-EINVAL, set(kEventfd | kTrigger, 3, 0, 2, -1)); // count
	EXPECT_EQ(-EINVAL, set(kEventfd | kBool | kTrigger, 3, 0, 1, -1)); // two data types
	EXPECT_EQ(-ENOTTY, set(kEventfd | kMask, 3, 0, 1, -1)); // ERR: no mask
	EXPECT_EQ(-ENOTTY, set(kEventfd, 4, 0, 1, -1)); // no action
	EXPECT_EQ(-EINVAL, set(kNone | kTrigger, 3, 0, 1, 0)); // loopback, no eventfd set
	EXPECT_EQ(-EINVAL, set(kEventfd | kTrigger, 3, 0, 0, -1)); // count 0
	EXPECT_EQ(0, set(kEventfd | kTrigger, 3, 0, 1, -1)); // release: none set
	EXPECT_EQ(0, set(kEventfd | kTrigger, 4, 0, 1, -5)); // below -1: nothing done
	EXPECT_EQ(0, set(kBool | kTrigger, 4, 0, 1, 1));
	EXPECT_EQ(-EBADF, set(kEventfd | kTrigger, 4, 0, 1, 99)); // no such file
	EXPECT_EQ(-EINVAL, set(kEventfd | kTrigger, 4, 0, 1, ifd)); // not an eventfd
	// VFIO_DEVICE_RESET: GET_INFO says the reset works.
	EXPECT_EQ(0, m.Ioctl(dfd, VFIO_DEVICE_RESET, nullptr));
	// Hot reset (vfio_pci_ioctl_get_pci_hot_reset_info, _pci_hot_reset):
	// the header's checks, then no slot or bus reset on a platform without
	// PCI bridges (as for a device on a root bus): ENODEV. Named as the
	// device's requests, not as the container's of the same numbers.
	u_hot_reset hr{sizeof(hr), 0, 0};
	EXPECT_EQ(-ENODEV, m.Ioctl(dfd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &hr));
	EXPECT_STREQ(m.last.request, "VFIO_DEVICE_GET_PCI_HOT_RESET_INFO");
	hr.argsz = 11;
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &hr));
	EXPECT_EQ(-EFAULT, m.IoctlRaw(dfd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, 0));
	hr = {sizeof(hr), 0, 0};
	EXPECT_EQ(-ENODEV, m.Ioctl(dfd, VFIO_DEVICE_PCI_HOT_RESET, &hr)); // a cdev: no group fds
	EXPECT_STREQ(m.last.request, "VFIO_DEVICE_PCI_HOT_RESET");
	hr.count = 1;
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_PCI_HOT_RESET, &hr)); // group fds from a cdev
	hr = {sizeof(hr), 1, 0};
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_PCI_HOT_RESET, &hr)); // flags
	// IOEVENTFD: flags give a size of 1, 2, 4 or 8, fd >= -1; and BARs
	// only, which this function has none of: EINVAL whatever it asks.
	u_ioeventfd ie{sizeof(ie), 4, 0, 0, -1, 0};
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_IOEVENTFD, &ie));
	EXPECT_STREQ(m.last.request, "VFIO_DEVICE_IOEVENTFD");
	EXPECT_EQ(-EFAULT, m.IoctlRaw(dfd, VFIO_DEVICE_IOEVENTFD, 0));
	EXPECT_EQ(-ENOENT, m.Open("/dev/vfio/devices/vfio9"));
}

TEST(FdCdev, BindWhileGroupOpenIsEbusy)
{
	FdRig m(1);
	ASSERT_EQ(0, m.AddDev("d", 0, 0x10));
	m.Boot();
	int g = m.Open("/dev/vfio/0");
	ASSERT_GE(g, 3);
	EXPECT_EQ(-EBUSY, m.Open("/dev/vfio/0"));
	int ifd = m.Open("/dev/iommu"), dfd = m.Open("/dev/vfio/devices/vfio0");
	uint32_t dev;
	EXPECT_EQ(-EBUSY, m.Bind(dfd, ifd, &dev));
	EXPECT_EQ(0, m.Close(g));
	EXPECT_EQ(0, m.Bind(dfd, ifd, &dev));
}

TEST(FdCdev, OpenBeforeBootIsEnodev)
{
	FdRig m(1);
	ASSERT_EQ(0, m.AddDev("d", 0, 0x10));
	EXPECT_EQ(-ENODEV, m.Open("/dev/vfio/devices/vfio0"));
}

struct Transitions : FdBound {
	uint32_t ioas1 = 0, ioas2 = 0;
	uint64_t b1 = 0, b2 = 0;
	void SetUp() override
	{
		FdBound::SetUp();
		ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas1));
		ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas2));
		b1 = m.Mmap(0x4000);
		b2 = m.Mmap(0x4000);
		uint64_t iova = 0x100000;
		ASSERT_EQ(0, m.Map(ifd, ioas1, b1, 0x4000, &iova));
		iova = 0x100000;
		ASSERT_EQ(0, m.Map(ifd, ioas2, b2, 0x4000, &iova));
	}
	uint64_t DmaPa()
	{
		auto x = m.r.Dma(0, 0x10, 0x100040, false);
		return x.outcome == SMMU_XLATE_OK ? x.pa : 0;
	}
};

TEST_F(Transitions, AttachReplaceDetach)
{
	EXPECT_EQ(DmaPa(), 0u); // blocked after bind
	uint32_t pt = ioas1;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	uint32_t hwpt1 = pt;
	EXPECT_EQ(DmaPa(), m.Pa(b1) + 0x40);
	// Re-attach = replace, to another IOAS: the old auto domain dies.
	pt = ioas2;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	EXPECT_NE(pt, hwpt1);
	EXPECT_GT(m.last.ste_writes, 0u);
	EXPECT_EQ(DmaPa(), m.Pa(b2) + 0x40);
	EXPECT_EQ(-ENOENT, m.Destroy(ifd, hwpt1));
	// Replace by the same pt is a no-op.
	uint32_t same = ioas2;
	ASSERT_EQ(0, m.Attach(dfd, &same));
	EXPECT_EQ(same, pt);
	EXPECT_EQ(m.last.ste_writes, 0u);
	// Detach: blocked again, and the auto domain is freed.
	ASSERT_EQ(0, m.Detach(dfd));
	EXPECT_EQ(DmaPa(), 0u);
	EXPECT_EQ(-ENOENT, m.Destroy(ifd, pt));
	// Detach when detached: still 0.
	EXPECT_EQ(0, m.Detach(dfd));
}

TEST_F(Transitions, ReplaceMovesTheMsiReservation)
{
	uint32_t pt = ioas1;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	pt = ioas2;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	// ioas1 has no device any more: the MSI window is free there.
	uint64_t iova = 0x8000000;
	EXPECT_EQ(0, m.Map(ifd, ioas1, b1, 0x1000, &iova));
	iova = 0x8000000;
	EXPECT_EQ(-EINVAL, m.Map(ifd, ioas2, b2, 0x1000, &iova));
}

TEST_F(Transitions, AttachRules)
{
	u_attach_pt a{};
	a.argsz = 8;
	a.pt_id = ioas1;
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a));
	a.argsz = sizeof(a);
	a.flags = 2;
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a));
	a.flags = 0;
	a.pt_id = 999;
	EXPECT_EQ(-ENOENT, m.Ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a));
	a.pt_id = dev; // a device is no page table
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a));
	// Only argsz..pt_id is read: a larger struct's tail is ignored (no E2BIG).
	uint8_t big[24] = {};
	u_attach_pt *p = reinterpret_cast<u_attach_pt *>(big);
	p->argsz = 24;
	p->pt_id = ioas1;
	big[20] = 1;
	EXPECT_EQ(0, m.Ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, big));
	// The PASID flag with PASID 0 is the RID to iommufd (IOMMU_NO_PASID):
	// attached already, so xa_insert of the device fails.
	a.flags = VFIO_DEVICE_ATTACH_PASID;
	a.pt_id = ioas1;
	a.pasid = 0;
	EXPECT_EQ(-EBUSY, m.Ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a));
	u_detach_pt d{};
	d.argsz = 4;
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d));
	d.argsz = sizeof(d);
	d.flags = 4;
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d));
}

TEST_F(Transitions, CloseUnbindsAndRestoresTheDefaultDomain)
{
	uint32_t pt = ioas1;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	ASSERT_EQ(0, m.Close(dfd));
	EXPECT_EQ(-ENOENT, m.Destroy(ifd, dev)); // the device object is gone
	EXPECT_EQ(0, m.Destroy(ifd, ioas1));     // and with it the auto domain
	// Bound again from a fresh open.
	dfd = m.Open("/dev/vfio/devices/vfio0");
	ASSERT_EQ(0, m.Bind(dfd, ifd, &dev));
}

TEST_F(Transitions, IommufdOutlivesItsFdWhileADeviceIsBound)
{
	uint32_t pt = ioas1;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	ASSERT_EQ(0, m.Close(ifd));
	EXPECT_EQ(DmaPa(), m.Pa(b1) + 0x40); // still attached
	ASSERT_EQ(0, m.Close(dfd));          // last reference: everything goes
	EXPECT_EQ(DmaPa(), 0u);
	EXPECT_EQ(m.Stats().pinned_vm, 0u);
}

TEST(FdMultiSmmu, OneIoasTwoSmmusGetsOneAutoDomainEach)
{
	FdRig m(2);
	ASSERT_EQ(0, m.AddDev("a", 0, 0x10));
	ASSERT_EQ(1, m.AddDev("b", 1, 0x20));
	ASSERT_EQ(2, m.AddDev("c", 0, 0x30));
	m.Boot();
	int ifd = m.Open("/dev/iommu");
	int da = m.Open("/dev/vfio/devices/vfio0");
	int db = m.Open("/dev/vfio/devices/vfio1");
	int dc = m.Open("/dev/vfio/devices/vfio2");
	uint32_t ia, ib, ic, ioas;
	ASSERT_EQ(0, m.Bind(da, ifd, &ia));
	ASSERT_EQ(0, m.Bind(db, ifd, &ib));
	ASSERT_EQ(0, m.Bind(dc, ifd, &ic));
	ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas));
	uint64_t buf = m.Mmap(0x10000), iova = 0x200000;
	ASSERT_EQ(0, m.Map(ifd, ioas, buf, 0x10000, &iova));
	uint32_t pa = ioas, pb = ioas, pc = ioas;
	ASSERT_EQ(0, m.Attach(da, &pa));
	ASSERT_EQ(0, m.Attach(db, &pb));
	ASSERT_EQ(0, m.Attach(dc, &pc));
	EXPECT_NE(pa, pb); // another SMMU: a second domain
	EXPECT_EQ(pa, pc); // same SMMU: the first domain is reused
	auto x = m.r.Dma(0, 0x10, 0x200100, false);
	auto y = m.r.Dma(1, 0x20, 0x200100, false);
	ASSERT_EQ(x.outcome, SMMU_XLATE_OK);
	ASSERT_EQ(y.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, y.pa);
	EXPECT_EQ(x.pa, m.Pa(buf) + 0x100);
	// The pages are pinned once although two domains map them.
	EXPECT_EQ(m.Stats().pinned_vm, 16u);
	// Unmap invalidates on both SMMUs.
	size_t c0 = m.r.S(0).cmds.size(), c1 = m.r.S(1).cmds.size();
	ASSERT_EQ(0, m.Unmap(ifd, ioas, 0x200000, 0x10000));
	EXPECT_GT(m.r.S(0).cmds.size(), c0);
	EXPECT_GT(m.r.S(1).cmds.size(), c1);
	EXPECT_NE(m.r.Dma(1, 0x20, 0x200100, false).outcome, SMMU_XLATE_OK);
}

TEST(FdMultiSmmu, ExplicitHwptOfAnotherSmmuIsEinval)
{
	FdRig m(2);
	ASSERT_EQ(0, m.AddDev("a", 0, 0x10));
	ASSERT_EQ(1, m.AddDev("b", 1, 0x20));
	m.Boot();
	int ifd = m.Open("/dev/iommu");
	int da = m.Open("/dev/vfio/devices/vfio0"), db = m.Open("/dev/vfio/devices/vfio1");
	uint32_t ia, ib, ioas, h;
	ASSERT_EQ(0, m.Bind(da, ifd, &ia));
	ASSERT_EQ(0, m.Bind(db, ifd, &ib));
	ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas));
	ASSERT_EQ(0, m.HwptAlloc(ifd, ia, ioas, 0, &h));
	uint32_t pt = h;
	EXPECT_EQ(-EINVAL, m.Attach(db, &pt));
}

TEST(FdTransitions, StageTwoOnlySmmuGetsS2AutoDomains)
{
	FdRig m(1, 256ull << 20, nullptr, [](smmu_config *c) {
		c->s1p = false;
		c->hyp = false;
	});
	ASSERT_EQ(0, m.AddDev("d", 0, 0x10));
	m.Boot();
	int ifd = m.Open("/dev/iommu"), dfd = m.Open("/dev/vfio/devices/vfio0");
	uint32_t dev, ioas, pt, h;
	ASSERT_EQ(0, m.Bind(dfd, ifd, &dev));
	ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas));
	uint64_t b = m.Mmap(0x4000), iova = 0x100000;
	ASSERT_EQ(0, m.Map(ifd, ioas, b, 0x4000, &iova));
	pt = ioas;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	auto x = m.r.Dma(0, 0x10, 0x101000, false);
	ASSERT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, m.Pa(b) + 0x1000);
	EXPECT_EQ(x.asid, SMMU_ASID_NONE); // stage 2 only
	EXPECT_NE(x.vmid, 0u);
	// No stage 1: nesting is impossible.
	EXPECT_EQ(-EOPNOTSUPP, m.HwptAlloc(ifd, dev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &h));
}

TEST_F(Transitions, S1ToNestParentS2Replace)
{
	uint32_t pt = ioas1;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	auto s1 = m.r.Dma(0, 0x10, 0x100040, false);
	ASSERT_EQ(s1.outcome, SMMU_XLATE_OK);
	EXPECT_NE(s1.asid, SMMU_ASID_NONE); // a stage-1 (ASID) domain
	uint32_t s2;
	ASSERT_EQ(0, m.HwptAlloc(ifd, dev, ioas2, IOMMU_HWPT_ALLOC_NEST_PARENT, &s2));
	pt = s2;
	ASSERT_EQ(0, m.Attach(dfd, &pt)); // replace S1 -> S2
	EXPECT_EQ(pt, s2);
	EXPECT_GE(m.last.ste_writes, 1u);
	EXPECT_TRUE(m.last.ste_breaking); // Config changes: V=0 on the way
	auto x = m.r.Dma(0, 0x10, 0x100040, false);
	ASSERT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, m.Pa(b2) + 0x40);
	EXPECT_EQ(x.asid, SMMU_ASID_NONE);
	// Back to the IOAS (a new auto domain), then detach: blocked.
	pt = ioas1;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	EXPECT_EQ(DmaPa(), m.Pa(b1) + 0x40);
	ASSERT_EQ(0, m.Detach(dfd));
	EXPECT_EQ(DmaPa(), 0u);
	EXPECT_EQ(0, m.Destroy(ifd, s2));
}

// ---- the legacy path: group + type1 container ----

struct Legacy : ::testing::Test {
	FdRig m{1};
	int cfd = -1, gfd = -1;
	void SetUp() override
	{
		ASSERT_EQ(0, m.AddDev("d", 0, 0x10));
		m.Boot();
		cfd = m.Open("/dev/vfio/vfio");
		gfd = m.Open("/dev/vfio/0");
		ASSERT_GE(cfd, 3);
		ASSERT_GE(gfd, 3);
	}
	int64_t SetContainer(int fd)
	{
		int32_t v = fd;
		return m.Ioctl(gfd, VFIO_GROUP_SET_CONTAINER, &v);
	}
	uint32_t Status()
	{
		u_group_status st{};
		st.argsz = sizeof(st);
		EXPECT_EQ(0, m.Ioctl(gfd, VFIO_GROUP_GET_STATUS, &st));
		return st.flags;
	}
	int64_t MapDma(uint64_t va, uint64_t iova, uint64_t size,
	               uint32_t flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
	               int fd = -1)
	{
		u_dma_map d{};
		d.argsz = sizeof(d);
		d.flags = flags;
		d.vaddr = va;
		d.iova = iova;
		d.size = size;
		return m.Ioctl(fd < 0 ? cfd : fd, VFIO_IOMMU_MAP_DMA, &d);
	}
	int64_t UnmapDma(uint64_t iova, uint64_t size, uint64_t *out, uint32_t flags = 0,
	                 int fd = -1)
	{
		u_dma_unmap d{};
		d.argsz = sizeof(d);
		d.flags = flags;
		d.iova = iova;
		d.size = size;
		int64_t rc = m.Ioctl(fd < 0 ? cfd : fd, VFIO_IOMMU_UNMAP_DMA, &d);
		*out = d.size;
		return rc;
	}
};

TEST_F(Legacy, ContainerFlowWithDma)
{
	EXPECT_EQ(0, m.IoctlRaw(cfd, VFIO_GET_API_VERSION, 0));
	EXPECT_EQ(1, m.IoctlRaw(cfd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(1, m.IoctlRaw(cfd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU));
	EXPECT_EQ(0, m.IoctlRaw(cfd, VFIO_CHECK_EXTENSION, VFIO_RESERVED_TYPE1_NESTING_IOMMU));
	EXPECT_EQ(0, m.IoctlRaw(cfd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));
	EXPECT_EQ(Status(), VFIO_GROUP_FLAGS_VIABLE);
	// SET_IOMMU before a group: EINVAL.
	EXPECT_EQ(-EINVAL, m.IoctlRaw(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, SetContainer(cfd));
	EXPECT_EQ(Status(), VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	EXPECT_EQ(-EINVAL, SetContainer(cfd)); // already set
	// The device cannot be opened before an IOMMU driver is set.
	EXPECT_EQ(-EINVAL, m.Ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:00.0"));
	// MAP_DMA before SET_IOMMU: no driver to pass it to, EINVAL.
	uint64_t buf = m.Mmap(0x10000);
	EXPECT_EQ(-EINVAL, MapDma(buf, 0x100000, 0x10000));
	// The retired nesting type finds no driver.
	EXPECT_EQ(-ENODEV, m.IoctlRaw(cfd, VFIO_SET_IOMMU, VFIO_RESERVED_TYPE1_NESTING_IOMMU));
	ASSERT_EQ(0, m.IoctlRaw(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(-EINVAL, m.IoctlRaw(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(1, m.IoctlRaw(cfd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));
	ASSERT_EQ(0, MapDma(buf, 0x100000, 0x10000));
	EXPECT_EQ(m.Stats().locked_mm, 16u);
	auto x = m.r.Dma(0, 0x10, 0x100800, true);
	ASSERT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, m.Pa(buf) + 0x800);
	int dev = (int)m.Ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:00.0");
	EXPECT_GE(dev, 3);
	EXPECT_EQ(-ENODEV, m.Ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:07.0"));
	// Group-opened device fds have no cdev ioctls; a hot reset through the
	// group needs its group fds (count 0: EINVAL).
	uint32_t pt = 1;
	EXPECT_EQ(-ENOTTY, m.Attach(dev, &pt));
	u_hot_reset hr{sizeof(hr), 0, 0};
	EXPECT_EQ(-EINVAL, m.Ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &hr));
	hr.count = 1;
	EXPECT_EQ(-ENODEV, m.Ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &hr));
	uint64_t out;
	ASSERT_EQ(0, UnmapDma(0x100000, 0x10000, &out));
	EXPECT_EQ(out, 0x10000u);
	EXPECT_NE(m.r.Dma(0, 0x10, 0x100800, true).outcome, SMMU_XLATE_OK);
	EXPECT_EQ(m.Stats().locked_mm, 0u);
}

TEST_F(Legacy, Type1MapUnmapRules)
{
	ASSERT_EQ(0, SetContainer(cfd));
	ASSERT_EQ(0, m.IoctlRaw(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	uint64_t buf = m.Mmap(0x10000), out;
	EXPECT_EQ(-EINVAL, MapDma(buf, 0x100000, 0x10000, 0)); // no R/W
	EXPECT_EQ(-EINVAL, MapDma(buf, 0x100000, 0x10000, 8)); // unknown flag
	EXPECT_EQ(-EINVAL, MapDma(buf, 0x100800, 0x1000));     // unaligned
	EXPECT_EQ(-EINVAL, MapDma(buf, 0x100000, 0));
	EXPECT_EQ(-EINVAL, MapDma(buf, 0x8000000, 0x1000)); // MSI window
	ASSERT_EQ(0, MapDma(buf, 0x100000, 0x4000));
	ASSERT_EQ(0, MapDma(buf + 0x4000, 0x104000, 0x4000));
	EXPECT_EQ(-EEXIST, MapDma(buf, 0x102000, 0x1000));
	// v2 refuses to bisect a mapping.
	EXPECT_EQ(-EINVAL, UnmapDma(0x101000, 0x1000, &out));
	// A range covering both mappings unmaps both.
	ASSERT_EQ(0, UnmapDma(0x100000, 0x8000, &out));
	EXPECT_EQ(out, 0x8000u);
	// Nothing there: success, 0 bytes.
	ASSERT_EQ(0, UnmapDma(0x100000, 0x8000, &out));
	EXPECT_EQ(out, 0u);
	// UNMAP_ALL with an address: EINVAL; alone: everything.
	ASSERT_EQ(0, MapDma(buf, 0x300000, 0x2000));
	EXPECT_EQ(-EINVAL, UnmapDma(0x300000, 0, &out, VFIO_DMA_UNMAP_FLAG_ALL));
	ASSERT_EQ(0, UnmapDma(0, 0, &out, VFIO_DMA_UNMAP_FLAG_ALL));
	EXPECT_EQ(out, 0x2000u);
	EXPECT_EQ(-EINVAL, UnmapDma(0, 0x1000, &out, 0x10));
}

// VFIO_UPDATE_VADDR (QEMU's live update): UNMAP_DMA with VADDR keeps the
// mappings (and their DMA) and reports their size, invalidating their vaddr;
// a second invalidation is EINVAL; MAP_DMA with VADDR gives the exact
// mapping a new one, and is EINVAL while its vaddr is valid; ALL|VADDR does
// every mapping. The extension is claimed once the IOMMU driver is set.
TEST_F(Legacy, Type1UpdateVaddrKeepsTheMappings)
{
	EXPECT_EQ(0, m.IoctlRaw(cfd, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));
	ASSERT_EQ(0, SetContainer(cfd));
	ASSERT_EQ(0, m.IoctlRaw(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(1, m.IoctlRaw(cfd, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));
	uint64_t buf = m.Mmap(0x10000), buf2 = m.Mmap(0x10000), out;
	ASSERT_EQ(0, MapDma(buf, 0x100000, 0x10000));
	EXPECT_EQ(-EINVAL, MapDma(buf2, 0x100000, 0x10000, VFIO_DMA_MAP_FLAG_VADDR)); // still valid
	ASSERT_EQ(0, UnmapDma(0x100000, 0x10000, &out, VFIO_DMA_UNMAP_FLAG_VADDR));
	EXPECT_EQ(out, 0x10000u);
	EXPECT_EQ(-EINVAL, UnmapDma(0x100000, 0x10000, &out, VFIO_DMA_UNMAP_FLAG_VADDR));
	auto x = m.r.Dma(0, 0x10, 0x100100, false); // the mapping still serves DMA
	EXPECT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(-EINVAL, MapDma(buf2, 0x100000, 0x8000, VFIO_DMA_MAP_FLAG_VADDR)); // not exact
	ASSERT_EQ(0, MapDma(buf2, 0x100000, 0x10000, VFIO_DMA_MAP_FLAG_VADDR));
	EXPECT_EQ(-ENOENT, MapDma(buf2, 0x400000, 0x1000, VFIO_DMA_MAP_FLAG_VADDR));
	ASSERT_EQ(0, UnmapDma(0, 0, &out, VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR));
	EXPECT_EQ(out, 0x10000u);
	ASSERT_EQ(0, MapDma(buf, 0x100000, 0x10000, VFIO_DMA_MAP_FLAG_VADDR));
	ASSERT_EQ(0, UnmapDma(0x100000, 0x10000, &out));
	EXPECT_EQ(out, 0x10000u);
}

TEST_F(Legacy, Type1V1UnmapsMappingsStartingInTheRange)
{
	ASSERT_EQ(0, SetContainer(cfd));
	ASSERT_EQ(0, m.IoctlRaw(cfd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	uint64_t buf = m.Mmap(0x10000), out;
	ASSERT_EQ(0, MapDma(buf, 0x100000, 0x4000));
	ASSERT_EQ(0, MapDma(buf, 0x104000, 0x4000));
	// Starts inside the first: v1 removes nothing (stops at it).
	ASSERT_EQ(0, UnmapDma(0x101000, 0x1000, &out));
	EXPECT_EQ(out, 0u);
	// Starts at the second and ends inside it: v1 removes it whole.
	ASSERT_EQ(0, UnmapDma(0x104000, 0x1000, &out));
	EXPECT_EQ(out, 0x4000u);
}

TEST_F(Legacy, GetInfoReportsPgsizesAndIovaRanges)
{
	ASSERT_EQ(0, SetContainer(cfd));
	ASSERT_EQ(0, m.IoctlRaw(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	uint8_t buf[256] = {};
	u_iommu_type1_info *info = reinterpret_cast<u_iommu_type1_info *>(buf);
	info->argsz = sizeof(*info);
	memset(buf + 20, 0xff, 4); // the struct's reserved word: written as 0
	ASSERT_EQ(0, m.Ioctl(cfd, VFIO_IOMMU_GET_INFO, buf));
	EXPECT_STREQ(m.last.request, "VFIO_IOMMU_GET_INFO"); // the container's, by its fd
	EXPECT_EQ(buf[20] | buf[21] | buf[22] | buf[23], 0);
	EXPECT_TRUE(info->flags & VFIO_IOMMU_INFO_PGSIZES);
	EXPECT_TRUE(info->flags & VFIO_IOMMU_INFO_CAPS);
	EXPECT_TRUE(info->iova_pgsizes & 0x1000);
	EXPECT_GT(info->argsz, sizeof(*info)); // how much the caps need
	EXPECT_EQ(info->cap_offset, 0u);
	uint32_t need = info->argsz;
	info->argsz = need;
	ASSERT_EQ(0, m.Ioctl(cfd, VFIO_IOMMU_GET_INFO, buf));
	ASSERT_EQ(info->cap_offset, sizeof(*info));
	// The chain in the kernel's order (vfio_iommu_type1_get_info): migration
	// -> DMA entries left (65535) -> IOVA ranges.
	uint16_t id;
	uint32_t nr, next = 24;
	memcpy(&id, buf + next, 2);
	EXPECT_EQ(id, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	memcpy(&next, buf + next + 4, 4);
	memcpy(&id, buf + next, 2);
	EXPECT_EQ(id, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	uint32_t avail;
	memcpy(&avail, buf + next + 8, 4);
	EXPECT_EQ(avail, 65535u);
	memcpy(&next, buf + next + 4, 4);
	memcpy(&id, buf + next, 2);
	EXPECT_EQ(id, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	memcpy(&nr, buf + next + 8, 4);
	EXPECT_EQ(nr, 2u); // below and above the MSI window
	uint64_t end0;
	memcpy(&end0, buf + next + 24, 8);
	EXPECT_EQ(end0, 0x8000000u - 1);
	memcpy(&next, buf + next + 4, 4);
	EXPECT_EQ(next, 0u);
	info->argsz = 8;
	EXPECT_EQ(-EINVAL, m.Ioctl(cfd, VFIO_IOMMU_GET_INFO, buf));
}

TEST_F(Legacy, GroupRules)
{
	u_group_status st{};
	st.argsz = 4;
	EXPECT_EQ(-EINVAL, m.Ioctl(gfd, VFIO_GROUP_GET_STATUS, &st));
	int32_t bad = 99;
	EXPECT_EQ(-EBADF, m.Ioctl(gfd, VFIO_GROUP_SET_CONTAINER, &bad));
	int32_t notc = gfd;
	EXPECT_EQ(-EBADFD, m.Ioctl(gfd, VFIO_GROUP_SET_CONTAINER, &notc));
	EXPECT_EQ(-EINVAL, m.IoctlRaw(gfd, VFIO_GROUP_UNSET_CONTAINER, 0));
	ASSERT_EQ(0, SetContainer(cfd));
	EXPECT_EQ(0, m.IoctlRaw(gfd, VFIO_GROUP_UNSET_CONTAINER, 0));
	EXPECT_EQ(-ENOTTY, m.IoctlRaw(gfd, 0x3B79, 0));
	EXPECT_EQ(-EINVAL, m.IoctlRaw(cfd, 0x3B79, 0)); // no IOMMU driver set
}

TEST_F(Legacy, ClosingTheGroupReleasesTheDevice)
{
	ASSERT_EQ(0, SetContainer(cfd));
	ASSERT_EQ(0, m.IoctlRaw(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	uint64_t buf = m.Mmap(0x4000);
	ASSERT_EQ(0, MapDma(buf, 0x100000, 0x4000));
	ASSERT_EQ(0, m.Close(gfd));
	// The last group left the container: its mappings are gone.
	EXPECT_EQ(m.Stats().locked_mm, 0u);
	EXPECT_EQ(-EINVAL, MapDma(buf, 0x100000, 0x4000)); // no driver left
	// The cdev may now bind it.
	int ifd = m.Open("/dev/iommu"), dfd = m.Open("/dev/vfio/devices/vfio0");
	uint32_t dev;
	EXPECT_EQ(0, m.Bind(dfd, ifd, &dev));
}

TEST(FdLegacy, Type1DomainsPerSmmuAcrossGroups)
{
	FdRig m(2);
	ASSERT_EQ(0, m.AddDev("a", 0, 0x10));
	ASSERT_EQ(1, m.AddDev("b", 0, 0x20));
	ASSERT_EQ(2, m.AddDev("c", 1, 0x30));
	m.Boot();
	int cfd = m.Open("/dev/vfio/vfio");
	int g0 = m.Open("/dev/vfio/0"), g1 = m.Open("/dev/vfio/1"), g2 = m.Open("/dev/vfio/2");
	int32_t c32 = cfd;
	ASSERT_EQ(0, m.Ioctl(g0, VFIO_GROUP_SET_CONTAINER, &c32));
	ASSERT_EQ(0, m.IoctlRaw(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	uint64_t buf = m.Mmap(0x4000);
	u_dma_map d{};
	d.argsz = sizeof(d);
	d.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	d.vaddr = buf;
	d.iova = 0x100000;
	d.size = 0x4000;
	ASSERT_EQ(0, m.Ioctl(cfd, VFIO_IOMMU_MAP_DMA, &d));
	// A second group on the same SMMU: a new domain is tried, then the
	// existing one taken (several STE writes on the way).
	ASSERT_EQ(0, m.Ioctl(g1, VFIO_GROUP_SET_CONTAINER, &c32));
	EXPECT_GE(m.last.ste_writes, 3u);
	// A group on the other SMMU keeps its new domain, replayed.
	ASSERT_EQ(0, m.Ioctl(g2, VFIO_GROUP_SET_CONTAINER, &c32));
	auto a = m.r.Dma(0, 0x10, 0x100010, false);
	auto b = m.r.Dma(0, 0x20, 0x100010, false);
	auto c = m.r.Dma(1, 0x30, 0x100010, false);
	ASSERT_EQ(a.outcome, SMMU_XLATE_OK);
	ASSERT_EQ(b.outcome, SMMU_XLATE_OK);
	ASSERT_EQ(c.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(a.asid, b.asid); // one domain on SMMU 0
	EXPECT_EQ(c.pa, a.pa);
	EXPECT_EQ(a.pa, m.Pa(buf) + 0x10);
	// Pinned once for the container.
	EXPECT_EQ(m.Stats().locked_mm, 4u);
}

// ---- iommufd's VFIO compat container ----

TEST_F(Legacy, IommufdAsTheContainer)
{
	int ifd = m.Open("/dev/iommu");
	EXPECT_EQ(0, m.IoctlRaw(ifd, VFIO_GET_API_VERSION, 0));
	EXPECT_EQ(1, m.IoctlRaw(ifd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(0, m.IoctlRaw(ifd, VFIO_CHECK_EXTENSION, VFIO_RESERVED_TYPE1_NESTING_IOMMU));
	// No compat IOAS yet.
	EXPECT_EQ(-ENODEV, m.IoctlRaw(ifd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	u_vfio_ioas v{};
	v.size = sizeof(v);
	v.op = IOMMU_VFIO_IOAS_GET;
	EXPECT_EQ(-ENODEV, m.Ioctl(ifd, IOMMU_VFIO_IOAS, &v));
	ASSERT_EQ(0, SetContainer(ifd));
	ASSERT_EQ(0, m.Ioctl(ifd, IOMMU_VFIO_IOAS, &v));
	EXPECT_NE(v.ioas_id, 0u);
	EXPECT_EQ(-EINVAL, m.IoctlRaw(ifd, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_IOMMU));
	ASSERT_EQ(0, m.IoctlRaw(ifd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	uint64_t buf = m.Mmap(0x10000), out;
	ASSERT_EQ(0, MapDma(buf, 0x100000, 0x10000,
	                    VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE, ifd));
	// Opening the device binds it and attaches the compat IOAS.
	int dev = (int)m.Ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:00.0");
	ASSERT_GE(dev, 3);
	auto x = m.r.Dma(0, 0x10, 0x100008, false);
	ASSERT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, m.Pa(buf) + 8);
	EXPECT_EQ(1, m.IoctlRaw(ifd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));
	// GET_INFO's chain as iommufd_vfio_iommu_get_info builds it: DMA
	// entries left (U32_MAX: iommufd does not count), then IOVA ranges.
	uint8_t ib[256] = {};
	u_iommu_type1_info *info = reinterpret_cast<u_iommu_type1_info *>(ib);
	info->argsz = sizeof(ib);
	ASSERT_EQ(0, m.Ioctl(ifd, VFIO_IOMMU_GET_INFO, ib));
	ASSERT_EQ(info->cap_offset, sizeof(*info));
	uint16_t cid;
	uint32_t cnext, cavail;
	memcpy(&cid, ib + 24, 2);
	EXPECT_EQ(cid, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	memcpy(&cavail, ib + 24 + 8, 4);
	EXPECT_EQ(cavail, UINT32_MAX);
	memcpy(&cnext, ib + 24 + 4, 4);
	memcpy(&cid, ib + cnext, 2);
	EXPECT_EQ(cid, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	// The same IOAS is visible to iommufd ioctls.
	u_ioas_unmap un{};
	un.size = sizeof(un);
	un.ioas_id = v.ioas_id;
	un.iova = 0x100000;
	un.length = 0x1000;
	EXPECT_EQ(-ENOENT, m.Ioctl(ifd, IOMMU_IOAS_UNMAP, &un)); // would split the area
	ASSERT_EQ(0, UnmapDma(0x100000, 0x10000, &out, 0, ifd));
	EXPECT_EQ(out, 0x10000u);
	EXPECT_NE(m.r.Dma(0, 0x10, 0x100008, false).outcome, SMMU_XLATE_OK);
	// compat UNMAP of nothing: ENOENT (iommufd's answer, not type1's),
	// size written back as 0 all the same (iommufd_vfio_unmap_dma)
	out = 0x1234;
	EXPECT_EQ(-ENOENT, UnmapDma(0x100000, 0x10000, &out, 0, ifd));
	EXPECT_EQ(out, 0u);
	EXPECT_EQ(-EINVAL, MapDma(buf, 0x100000, 0x1000, VFIO_DMA_MAP_FLAG_VADDR, ifd));
	v.op = IOMMU_VFIO_IOAS_CLEAR;
	EXPECT_EQ(0, m.Ioctl(ifd, IOMMU_VFIO_IOAS, &v));
	EXPECT_EQ(-ENODEV, MapDma(buf, 0x100000, 0x1000, VFIO_DMA_MAP_FLAG_READ, ifd));
	v.op = 9;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_VFIO_IOAS, &v));
}

// GET_DEVICE_FD matches as vfio_pci_core_match: the name, then blanks or a
// vf_token option (EINVAL: this function has no SR-IOV); anything else
// after the name EINVAL; another name ENODEV. UNSET_CONTAINER of an
// iommufd while a device fd is open: the group drops its reference only (0).
TEST_F(Legacy, DeviceNameMatchingAndUnsetOfAnIommufd)
{
	int ifd = m.Open("/dev/iommu");
	ASSERT_EQ(0, SetContainer(ifd));
	EXPECT_EQ(-ENODEV, m.Ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:00.0x"));
	EXPECT_EQ(-ENODEV, m.Ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:00.1"));
	EXPECT_EQ(-EINVAL, m.Ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:00.0 foo"));
	EXPECT_EQ(-EINVAL,
	          m.Ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD,
	                  "0000:00:00.0 vf_token=2ab74924-c335-45f4-9b16-8569e5b08258"));
	EXPECT_EQ(-EINVAL, m.Ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD,
	                           "0000:00:00.0 vf_token=2ab74924-c335-45f4-9b16-8569e5b0825z"));
	int dev = (int)m.Ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:00.0  ");
	ASSERT_GE(dev, 3);
	EXPECT_EQ(0, m.IoctlRaw(gfd, VFIO_GROUP_UNSET_CONTAINER, 0));
	EXPECT_EQ(-EINVAL, m.IoctlRaw(gfd, VFIO_GROUP_UNSET_CONTAINER, 0));
	// With a real container, an open device fd keeps it: EBUSY.
	EXPECT_EQ(0, m.Close(dev));
	ASSERT_EQ(0, SetContainer(cfd));
	ASSERT_EQ(0, m.IoctlRaw(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	dev = (int)m.Ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:00.0");
	ASSERT_GE(dev, 3);
	EXPECT_EQ(-EBUSY, m.IoctlRaw(gfd, VFIO_GROUP_UNSET_CONTAINER, 0));
}

// VFIO_IOMMU_DIRTY_PAGES (type1 v2; v1: EACCES): START/STOP one at a time,
// GET_BITMAP of a range that bisects no mapping, in the IOMMU's page size:
// an IOMMU-backed group reports every page of every mapping dirty; the
// first word's bits below a mapping are kept, the rest of its last word
// cleared. UNMAP_DMA with GET_DIRTY_BITMAP reports what it unmaps.
TEST_F(Legacy, Type1DirtyPages)
{
	ASSERT_EQ(0, SetContainer(cfd));
	ASSERT_EQ(0, m.IoctlRaw(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	uint64_t a = m.Mmap(0x10000), b = m.Mmap(0x4000);
	ASSERT_EQ(0, MapDma(a, 0x100000, 0x10000)); // pages 0..15 of the range
	ASSERT_EQ(0, MapDma(b, 0x120000, 0x4000));  // pages 32..35
	struct {
		uint32_t argsz, flags;
		uint64_t iova, size, pgsize, bsize, data;
	} g{};
	static_assert(sizeof(g) == 48, "dirty_bitmap + dirty_bitmap_get");
	uint64_t words[2] = {~0ull, ~0ull};
	auto get = [&](uint64_t iova, uint64_t size, uint64_t pg = 0x1000) {
		g = {};
		g.argsz = sizeof(g);
		g.flags = 4; // GET_BITMAP
		g.iova = iova;
		g.size = size;
		g.pgsize = pg;
		g.bsize = sizeof(words);
		g.data = (uint64_t)(uintptr_t)words;
		return m.Ioctl(cfd, VFIO_IOMMU_DIRTY_PAGES, &g);
	};
	EXPECT_EQ(-EINVAL, get(0x100000, 0x40000)); // not tracking
	uint32_t hdr[2] = {8, 1 | 2};
	EXPECT_EQ(-EINVAL, m.Ioctl(cfd, VFIO_IOMMU_DIRTY_PAGES, hdr)); // two flags
	hdr[1] = 0;
	EXPECT_EQ(-EINVAL, m.Ioctl(cfd, VFIO_IOMMU_DIRTY_PAGES, hdr));
	hdr[1] = 1; // START
	ASSERT_EQ(0, m.Ioctl(cfd, VFIO_IOMMU_DIRTY_PAGES, hdr));
	EXPECT_EQ(-EINVAL, get(0x100000, 0x40000, 0x2000)); // not the IOMMU's page
	EXPECT_EQ(-EINVAL, get(0x104000, 0x40000));         // bisects the first
	words[0] = words[1] = ~0ull;
	ASSERT_EQ(0, get(0x100000, 0x40000));
	EXPECT_EQ(words[0], 0x0000000f0000ffffull); // the second mapping's word ends at 35
	EXPECT_EQ(words[1], ~0ull);                // not touched
	// UNMAP with the bitmap: the second mapping, bits from the range's start
	struct {
		uint32_t argsz, flags;
		uint64_t iova, size, pgsize, bsize, data;
	} u{};
	uint64_t uw[1] = {0};
	u.argsz = sizeof(u);
	u.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	u.iova = 0x120000;
	u.size = 0x4000;
	u.pgsize = 0x1000;
	u.bsize = 8;
	u.data = (uint64_t)(uintptr_t)uw;
	ASSERT_EQ(0, m.Ioctl(cfd, VFIO_IOMMU_UNMAP_DMA, &u));
	EXPECT_EQ(u.size, 0x4000u);
	EXPECT_EQ(uw[0], 0xfull);
	hdr[1] = 2; // STOP
	ASSERT_EQ(0, m.Ioctl(cfd, VFIO_IOMMU_DIRTY_PAGES, hdr));
	EXPECT_EQ(-EINVAL, get(0x100000, 0x10000));
}

TEST_F(Legacy, Type1V1HasNoDirtyPagesAndTakesMappingsStartingInAVaddrRange)
{
	ASSERT_EQ(0, SetContainer(cfd));
	ASSERT_EQ(0, m.IoctlRaw(cfd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	uint32_t hdr[2] = {8, 1};
	EXPECT_EQ(-EACCES, m.Ioctl(cfd, VFIO_IOMMU_DIRTY_PAGES, hdr));
	uint64_t a = m.Mmap(0x100000), out = 0;
	ASSERT_EQ(0, MapDma(a, 0x300000, 0x100000));
	// v1: a range covering a mapping's first IOVA takes the mapping whole
	ASSERT_EQ(0, UnmapDma(0x300000, 0x1000, &out, VFIO_DMA_UNMAP_FLAG_VADDR));
	EXPECT_EQ(out, 0x100000u);
	// again: already invalid - EINVAL, the call's own undone, no size back
	out = 0x1234;
	EXPECT_EQ(-EINVAL, UnmapDma(0x300000, 0x1000, &out, VFIO_DMA_UNMAP_FLAG_VADDR));
	EXPECT_EQ(out, 0x1000u);
	// a new vaddr makes it valid again
	EXPECT_EQ(0, MapDma(a, 0x300000, 0x100000, VFIO_DMA_MAP_FLAG_VADDR));
}

// A group may hand out several fds of its device; the binding is the
// device's and goes with its last close. Through a container the device
// fds hold the group file: its release waits for them, and the group
// cannot be opened again meanwhile; an iommufd is dropped at the group's
// release at once (the bound device keeps its own reference).
TEST_F(Legacy, DeviceFdsOfAGroupShareTheDevice)
{
	ASSERT_EQ(0, SetContainer(cfd));
	ASSERT_EQ(0, m.IoctlRaw(cfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	uint64_t buf = m.Mmap(0x10000);
	ASSERT_EQ(0, MapDma(buf, 0x100000, 0x10000));
	int d1 = (int)m.Ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:00.0");
	int d2 = (int)m.Ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:00.0");
	ASSERT_GE(d1, 3);
	ASSERT_GE(d2, 3);
	EXPECT_EQ(0, m.Close(d1));
	EXPECT_EQ(-EBUSY, m.IoctlRaw(gfd, VFIO_GROUP_UNSET_CONTAINER, 0)); // d2 uses it
	EXPECT_EQ(0, m.Close(gfd));
	EXPECT_EQ(m.r.Dma(0, 0x10, 0x100008, false).outcome, SMMU_XLATE_OK);
	EXPECT_EQ(-EBUSY, m.Open("/dev/vfio/0"));
	EXPECT_EQ(0, m.Close(d2));
	EXPECT_NE(m.r.Dma(0, 0x10, 0x100008, false).outcome, SMMU_XLATE_OK);
	gfd = m.Open("/dev/vfio/0");
	ASSERT_GE(gfd, 3);
	// The iommufd path.
	int ifd = m.Open("/dev/iommu");
	ASSERT_EQ(0, SetContainer(ifd));
	ASSERT_EQ(0, m.IoctlRaw(ifd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, MapDma(buf, 0x100000, 0x10000, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
	                    ifd));
	d1 = (int)m.Ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:00.0");
	d2 = (int)m.Ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:00.0");
	ASSERT_GE(d2, 3);
	EXPECT_EQ(0, m.Close(d1)); // not the last: the device stays bound
	EXPECT_EQ(m.r.Dma(0, 0x10, 0x100008, false).outcome, SMMU_XLATE_OK);
	EXPECT_EQ(0, m.Close(gfd));
	EXPECT_EQ(m.r.Dma(0, 0x10, 0x100008, false).outcome, SMMU_XLATE_OK);
	gfd = m.Open("/dev/vfio/0");
	ASSERT_GE(gfd, 3);
	EXPECT_EQ(Status(), 0u); // no iommufd, the device owned by its binding
	EXPECT_EQ(0, SetContainer(ifd));
	EXPECT_EQ(0, m.Close(d2));
	EXPECT_NE(m.r.Dma(0, 0x10, 0x100008, false).outcome, SMMU_XLATE_OK);
}

TEST_F(Legacy, CompatType1CutsInsideMappings)
{
	int ifd = m.Open("/dev/iommu");
	ASSERT_EQ(0, SetContainer(ifd));
	ASSERT_EQ(0, m.IoctlRaw(ifd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	int dev = (int)m.Ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, "0000:00:00.0");
	ASSERT_GE(dev, 3);
	uint64_t buf = m.Mmap(0x10000), out;
	ASSERT_EQ(0, MapDma(buf, 0x100000, 0x10000, VFIO_DMA_MAP_FLAG_READ, ifd));
	ASSERT_EQ(0, UnmapDma(0x104000, 0x2000, &out, 0, ifd));
	EXPECT_EQ(out, 0x2000u);
	EXPECT_EQ(m.r.Dma(0, 0x10, 0x103000, false).outcome, SMMU_XLATE_OK);
	EXPECT_NE(m.r.Dma(0, 0x10, 0x104000, false).outcome, SMMU_XLATE_OK);
	EXPECT_EQ(m.r.Dma(0, 0x10, 0x106000, false).outcome, SMMU_XLATE_OK);
}

} // namespace
