// /dev/iommu: the IOAS commands (alloc, map, map_file, unmap, copy,
// iova_ranges, allow_iovas, option, change_process, destroy) and the
// dispatcher's size rules, in the style of the kernel selftests
// (tools/testing/selftests/iommu/iommufd.c), with DMA through the real
// SMMU model where a mapping should (or should no longer) translate.
#include "fd_rig.h"

#include <vector>

namespace
{

constexpr uint32_t RW = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
constexpr uint32_t FIXED = IOMMU_IOAS_MAP_FIXED_IOVA | RW;

struct Ioas : FdBound {
	uint32_t ioas = 0;
	uint64_t buf = 0;
	void SetUp() override
	{
		FdBound::SetUp();
		ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas));
		buf = m.Mmap(4 << 20);
	}
	// Attach the device to the IOAS (auto domain) and return the HWPT id.
	uint32_t AttachIoas()
	{
		uint32_t pt = ioas;
		EXPECT_EQ(0, m.Attach(dfd, &pt));
		return pt;
	}
};

TEST_F(Ioas, MapAttachDmaTranslatesToTheMmapBacking)
{
	uint64_t iova = 0x100000;
	ASSERT_EQ(0, m.Map(ifd, ioas, buf, 0x10000, &iova));
	uint32_t hwpt = AttachIoas();
	EXPECT_NE(hwpt, ioas);
	EXPECT_GT(m.last.ste_writes, 0u);
	auto x = m.r.Dma(0, 0x10, 0x100000 + 0x2345, true);
	EXPECT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, m.Pa(buf) + 0x2345);
	// Outside the mapping: a translation fault.
	auto y = m.r.Dma(0, 0x10, 0x200000, false);
	EXPECT_NE(y.outcome, SMMU_XLATE_OK);
}

TEST_F(Ioas, MapAfterAttachReachesTheDomain)
{
	AttachIoas();
	uint64_t iova = 0x400000;
	ASSERT_EQ(0, m.Map(ifd, ioas, buf + 0x3000, 0x1000, &iova));
	EXPECT_EQ(m.Stats().pinned_vm, 1u);
	auto x = m.r.Dma(0, 0x10, 0x400010, false);
	EXPECT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, m.Pa(buf) + 0x3010);
}

TEST_F(Ioas, BoundDeviceStartsBlocked)
{
	auto x = m.r.Dma(0, 0x10, 0x1000, false);
	EXPECT_NE(x.outcome, SMMU_XLATE_OK);
}

TEST_F(Ioas, AllocatedIovaIsAlignedAndAvoidsTheFirstPage)
{
	uint64_t a = 0, b = 0;
	ASSERT_EQ(0, m.Map(ifd, ioas, buf, 0x4000, &a, RW));
	ASSERT_EQ(0, m.Map(ifd, ioas, buf, 0x4000, &b, RW));
	EXPECT_NE(a, 0u);
	EXPECT_EQ(a % 0x4000, 0u);
	EXPECT_EQ(b % 0x4000, 0u);
	EXPECT_NE(a, b);
}

TEST_F(Ioas, FixedOverlapIsEexist)
{
	uint64_t iova = 0x100000;
	ASSERT_EQ(0, m.Map(ifd, ioas, buf, 0x2000, &iova));
	iova = 0x101000;
	EXPECT_EQ(-EEXIST, m.Map(ifd, ioas, buf, 0x1000, &iova));
}

TEST_F(Ioas, MapWithoutReadOrWriteIsEinval)
{
	uint64_t iova = 0x100000;
	EXPECT_EQ(-EINVAL, m.Map(ifd, ioas, buf, 0x1000, &iova, IOMMU_IOAS_MAP_FIXED_IOVA));
}

TEST_F(Ioas, MapUnknownFlagOrReservedIsEopnotsupp)
{
	uint64_t iova = 0x100000;
	EXPECT_EQ(-EOPNOTSUPP, m.Map(ifd, ioas, buf, 0x1000, &iova, FIXED | 0x8));
	u_ioas_map c{};
	c.size = sizeof(c);
	c.flags = FIXED;
	c.ioas_id = ioas;
	c.__reserved = 1;
	c.user_va = buf;
	c.length = 0x1000;
	c.iova = 0x100000;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_IOAS_MAP, &c));
}

TEST_F(Ioas, MapLengthUlongMaxIsEoverflow)
{
	uint64_t iova = 0x100000;
	EXPECT_EQ(-EOVERFLOW, m.Map(ifd, ioas, buf, UINT64_MAX, &iova));
}

TEST_F(Ioas, MapBadIoasIsEnoent)
{
	uint64_t iova = 0x100000;
	EXPECT_EQ(-ENOENT, m.Map(ifd, ioas + 100, buf, 0x1000, &iova));
	// A device ID is the wrong type.
	EXPECT_EQ(-ENOENT, m.Map(ifd, dev, buf, 0x1000, &iova));
}

TEST_F(Ioas, MapOfUnmappedVaFailsWhenPinned)
{
	AttachIoas();
	uint64_t iova = 0x100000;
	EXPECT_EQ(-EFAULT, m.Map(ifd, ioas, 0x1000, 0x1000, &iova));
}

TEST_F(Ioas, UnmapMustCoverWholeAreas)
{
	uint64_t iova = 0x100000;
	ASSERT_EQ(0, m.Map(ifd, ioas, buf, 0x4000, &iova));
	EXPECT_EQ(-ENOENT, m.Unmap(ifd, ioas, 0x101000, 0x1000));
	EXPECT_EQ(-ENOENT, m.Unmap(ifd, ioas, 0x100000, 0x2000));
	uint64_t out = 0;
	EXPECT_EQ(0, m.Unmap(ifd, ioas, 0x0, 0x200000, &out));
	EXPECT_EQ(out, 0x4000u);
	// Nothing left: ENOENT for a range, 0 for "all".
	EXPECT_EQ(-ENOENT, m.Unmap(ifd, ioas, 0x100000, 0x4000));
	EXPECT_EQ(0, m.Unmap(ifd, ioas, 0, UINT64_MAX, &out));
	EXPECT_EQ(out, 0u);
}

TEST_F(Ioas, UnmapAllReportsBytes)
{
	uint64_t a = 0x100000, b = 0x300000, out = 0;
	ASSERT_EQ(0, m.Map(ifd, ioas, buf, 0x4000, &a));
	ASSERT_EQ(0, m.Map(ifd, ioas, buf, 0x2000, &b));
	EXPECT_EQ(0, m.Unmap(ifd, ioas, 0, UINT64_MAX, &out));
	EXPECT_EQ(out, 0x6000u);
}

TEST_F(Ioas, UnmapZeroLengthIsEinvalAndWrapIsEoverflow)
{
	EXPECT_EQ(-EINVAL, m.Unmap(ifd, ioas, 0x1000, 0));
	EXPECT_EQ(-EOVERFLOW, m.Unmap(ifd, ioas, 0x2000, UINT64_MAX - 0x1000));
}

TEST_F(Ioas, UnmapThenDmaFaultsAndInvalidates)
{
	uint64_t iova = 0x100000;
	ASSERT_EQ(0, m.Map(ifd, ioas, buf, 0x10000, &iova));
	AttachIoas();
	auto ok = m.r.Dma(0, 0x10, 0x100000, false);
	ASSERT_EQ(ok.outcome, SMMU_XLATE_OK);
	size_t ev0 = m.r.S(0).events.size();
	ASSERT_EQ(0, m.Unmap(ifd, ioas, 0x100000, 0x10000));
	EXPECT_GE(m.last.syncs, 1u); // a TLBI + CMD_SYNC went out
	EXPECT_GT(m.last.end_ns, m.last.start_ns);
	EXPECT_EQ(m.last.unpinned_pages, 16u);
	auto bad = m.r.Dma(0, 0x10, 0x100000, false);
	EXPECT_NE(bad.outcome, SMMU_XLATE_OK);
	ASSERT_GT(m.r.S(0).events.size(), ev0);
	EXPECT_EQ(m.r.S(0).events.back().id, 0x10); // F_TRANSLATION
}

TEST_F(Ioas, PinAccountingFollowsDomains)
{
	uint64_t iova = 0x100000;
	ASSERT_EQ(0, m.Map(ifd, ioas, buf, 0x8000, &iova));
	EXPECT_EQ(m.Stats().pinned_vm, 0u); // no domain yet: not pinned
	AttachIoas();
	EXPECT_EQ(m.Stats().pinned_vm, 8u);
	EXPECT_EQ(m.Stats().locked_user, 8u);
	uint64_t pages = 0;
	EXPECT_EQ(0, shim_ioas_pinned(m.k, "vmm0", ifd, ioas, &pages));
	EXPECT_EQ(pages, 8u);
	EXPECT_EQ(-ENOENT, shim_ioas_pinned(m.k, "vmm0", ifd, dev, &pages));
	EXPECT_EQ(-EBADF, shim_ioas_pinned(m.k, "vmm0", dfd, ioas, &pages));
	EXPECT_EQ(0, m.Detach(dfd)); // the auto domain dies: unpinned
	EXPECT_EQ(m.Stats().pinned_vm, 0u);
	EXPECT_EQ(0, shim_ioas_pinned(m.k, "vmm0", ifd, ioas, &pages));
	EXPECT_EQ(pages, 0u);
}

TEST_F(Ioas, RlimitMemlockIsEnomem)
{
	FdRig m2(1, 256ull << 20, [](shim_config *c) { c->rlimit_memlock = 0x4000; });
	ASSERT_EQ(0, m2.AddDev("d", 0, 0x10));
	m2.Boot();
	int i2 = m2.Open("/dev/iommu"), d2 = m2.Open("/dev/vfio/devices/vfio0");
	uint32_t dv, io, pt;
	ASSERT_EQ(0, m2.Bind(d2, i2, &dv));
	ASSERT_EQ(0, m2.IoasAlloc(i2, &io));
	pt = io;
	ASSERT_EQ(0, m2.Attach(d2, &pt));
	uint64_t b = m2.Mmap(0x10000), iova = 0x100000;
	EXPECT_EQ(0, m2.Map(i2, io, b, 0x4000, &iova));
	iova = 0x200000;
	EXPECT_EQ(-ENOMEM, m2.Map(i2, io, b, 0x1000, &iova));
}

TEST_F(Ioas, CopySharesPagesIntoAnotherIoas)
{
	uint32_t ioas2;
	ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas2));
	uint64_t iova = 0x100000;
	ASSERT_EQ(0, m.Map(ifd, ioas, buf, 0x4000, &iova));
	u_ioas_copy c{};
	c.size = sizeof(c);
	c.flags = FIXED;
	c.dst_ioas_id = ioas2;
	c.src_ioas_id = ioas;
	c.length = 0x2000;
	c.src_iova = 0x101000;
	c.dst_iova = 0x500000;
	ASSERT_EQ(0, m.Ioctl(ifd, IOMMU_IOAS_COPY, &c));
	uint32_t pt = ioas2;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	auto x = m.r.Dma(0, 0x10, 0x500008, false);
	EXPECT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, m.Pa(buf) + 0x1008);
	// Source range not covered: ENOENT; length 0: EINVAL; bad dst: ENOENT.
	c.src_iova = 0x103000;
	c.dst_iova = 0x600000;
	EXPECT_EQ(-ENOENT, m.Ioctl(ifd, IOMMU_IOAS_COPY, &c));
	c.src_iova = 0x100000;
	c.length = 0;
	EXPECT_EQ(-EINVAL, m.Ioctl(ifd, IOMMU_IOAS_COPY, &c));
	c.length = 0x1000;
	c.dst_ioas_id = 999;
	EXPECT_EQ(-ENOENT, m.Ioctl(ifd, IOMMU_IOAS_COPY, &c));
}

TEST_F(Ioas, CopyWritableFromReadOnlyIsEperm)
{
	uint32_t ioas2;
	ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas2));
	uint64_t iova = 0x100000;
	ASSERT_EQ(0, m.Map(ifd, ioas, buf, 0x1000, &iova,
	                   IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE));
	u_ioas_copy c{};
	c.size = sizeof(c);
	c.flags = FIXED;
	c.dst_ioas_id = ioas2;
	c.src_ioas_id = ioas;
	c.length = 0x1000;
	c.src_iova = 0x100000;
	c.dst_iova = 0x100000;
	EXPECT_EQ(-EPERM, m.Ioctl(ifd, IOMMU_IOAS_COPY, &c));
}

TEST_F(Ioas, IovaRangesShowTheMsiHoleAfterAttach)
{
	u_iova_range r[4] = {};
	u_ioas_iova_ranges c{};
	c.size = sizeof(c);
	c.ioas_id = ioas;
	c.num_iovas = 4;
	c.allowed_iovas = (uint64_t)(uintptr_t)r;
	ASSERT_EQ(0, m.Ioctl(ifd, IOMMU_IOAS_IOVA_RANGES, &c));
	EXPECT_EQ(c.num_iovas, 1u);
	EXPECT_EQ(r[0].start, 0u);
	EXPECT_EQ(r[0].last, UINT64_MAX);
	EXPECT_EQ(c.out_iova_alignment, 1u);
	AttachIoas();
	c.num_iovas = 4;
	ASSERT_EQ(0, m.Ioctl(ifd, IOMMU_IOAS_IOVA_RANGES, &c));
	ASSERT_GE(c.num_iovas, 2u);
	EXPECT_EQ(r[0].start, 0u);
	EXPECT_EQ(r[0].last, 0x8000000u - 1);
	EXPECT_EQ(r[1].start, 0x8100000u);
	EXPECT_EQ(c.out_iova_alignment, 4096u);
	// Too small a buffer: EMSGSIZE with the count filled in.
	c.num_iovas = 1;
	EXPECT_EQ(-EMSGSIZE, m.Ioctl(ifd, IOMMU_IOAS_IOVA_RANGES, &c));
	EXPECT_GE(c.num_iovas, 2u);
}

TEST_F(Ioas, FixedMapOverTheMsiWindowIsEinval)
{
	AttachIoas();
	uint64_t iova = 0x8000000;
	EXPECT_EQ(-EINVAL, m.Map(ifd, ioas, buf, 0x1000, &iova));
	EXPECT_EQ(std::string(m.last.why),
		  "IOVA 0x8000000-0x8000fff overlaps the reserved range 0x8000000-0x80fffff (an "
		  "attached device's software MSI window)");
	iova = 0x7fff000; // the window's page before: mapped, nothing said
	EXPECT_EQ(0, m.Map(ifd, ioas, buf, 0x1000, &iova));
	EXPECT_EQ(std::string(m.last.why), "");
}

TEST_F(Ioas, AttachWithAMappingOverTheMsiWindowIsEaddrinuse)
{
	uint64_t iova = 0x8000000;
	ASSERT_EQ(0, m.Map(ifd, ioas, buf, 0x1000, &iova));
	uint32_t pt = ioas;
	EXPECT_EQ(-EADDRINUSE, m.Attach(dfd, &pt));
	// the call says why (shim_call.why): the range and whose it is
	EXPECT_EQ(std::string(m.last.why),
		  "IOAS " + std::to_string(ioas) +
		      " maps IOVA in the device's reserved range 0x8000000-0x80fffff (the SMMU "
		      "driver's software MSI window, arm_smmu_get_resv_regions)");
	// a call that succeeds says nothing
	uint32_t other = 0;
	u_ioas_alloc a{sizeof(a), 0, 0};
	ASSERT_EQ(0, m.Ioctl(ifd, IOMMU_IOAS_ALLOC, &a));
	other = a.out_ioas_id;
	EXPECT_EQ(0, m.Attach(dfd, &other));
	EXPECT_EQ(std::string(m.last.why), "");
}

TEST_F(Ioas, AllowIovasConstrainAllocation)
{
	u_iova_range r[1] = {{0x40000000, 0x4fffffff}};
	u_ioas_allow_iovas a{};
	a.size = sizeof(a);
	a.ioas_id = ioas;
	a.num_iovas = 1;
	a.allowed_iovas = (uint64_t)(uintptr_t)r;
	ASSERT_EQ(0, m.Ioctl(ifd, IOMMU_IOAS_ALLOW_IOVAS, &a));
	uint64_t iova = 0;
	ASSERT_EQ(0, m.Map(ifd, ioas, buf, 0x1000, &iova, RW));
	EXPECT_GE(iova, 0x40000000u);
	EXPECT_LE(iova, 0x4fffffffu);
	// start >= last: EINVAL; reserved field: EOPNOTSUPP.
	r[0] = {0x5000, 0x5000};
	EXPECT_EQ(-EINVAL, m.Ioctl(ifd, IOMMU_IOAS_ALLOW_IOVAS, &a));
	a.__reserved = 1;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_IOAS_ALLOW_IOVAS, &a));
	// An unreadable array: EFAULT at the first entry, whatever the count.
	a.__reserved = 0;
	a.num_iovas = 0xffffffffu;
	a.allowed_iovas = 0;
	EXPECT_EQ(-EFAULT, m.Ioctl(ifd, IOMMU_IOAS_ALLOW_IOVAS, &a));
	// Overlapping ranges: EINVAL. An empty list clears the constraint.
	u_iova_range two[2] = {{0x10000, 0x1ffff}, {0x18000, 0x2ffff}};
	a.num_iovas = 2;
	a.allowed_iovas = (uint64_t)(uintptr_t)two;
	EXPECT_EQ(-EINVAL, m.Ioctl(ifd, IOMMU_IOAS_ALLOW_IOVAS, &a));
	a.num_iovas = 0;
	EXPECT_EQ(0, m.Ioctl(ifd, IOMMU_IOAS_ALLOW_IOVAS, &a));
}

TEST_F(Ioas, AllowIovasOverReservedIsEaddrinuse)
{
	AttachIoas();
	u_iova_range r[1] = {{0x8000000, 0x80fffff}};
	u_ioas_allow_iovas a{};
	a.size = sizeof(a);
	a.ioas_id = ioas;
	a.num_iovas = 1;
	a.allowed_iovas = (uint64_t)(uintptr_t)r;
	EXPECT_EQ(-EADDRINUSE, m.Ioctl(ifd, IOMMU_IOAS_ALLOW_IOVAS, &a));
}

TEST_F(Ioas, OptionHugePagesGetSet)
{
	u_option o{};
	o.size = sizeof(o);
	o.option_id = IOMMU_OPTION_HUGE_PAGES;
	o.op = IOMMU_OPTION_OP_GET;
	o.object_id = ioas;
	ASSERT_EQ(0, m.Ioctl(ifd, IOMMU_OPTION, &o));
	EXPECT_EQ(o.val64, 1u);
	o.op = IOMMU_OPTION_OP_SET;
	o.val64 = 0;
	ASSERT_EQ(0, m.Ioctl(ifd, IOMMU_OPTION, &o));
	o.op = IOMMU_OPTION_OP_GET;
	o.val64 = 7;
	ASSERT_EQ(0, m.Ioctl(ifd, IOMMU_OPTION, &o));
	EXPECT_EQ(o.val64, 0u);
	o.op = IOMMU_OPTION_OP_SET;
	o.val64 = 2;
	EXPECT_EQ(-EINVAL, m.Ioctl(ifd, IOMMU_OPTION, &o));
	o.op = 5;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_OPTION, &o));
	o.object_id = 1234;
	o.op = IOMMU_OPTION_OP_GET;
	EXPECT_EQ(-ENOENT, m.Ioctl(ifd, IOMMU_OPTION, &o));
}

TEST_F(Ioas, OptionHugePagesOffRefusedWithMappedDomain)
{
	uint64_t iova = 0x100000;
	ASSERT_EQ(0, m.Map(ifd, ioas, buf, 0x1000, &iova));
	AttachIoas();
	u_option o{};
	o.size = sizeof(o);
	o.option_id = IOMMU_OPTION_HUGE_PAGES;
	o.op = IOMMU_OPTION_OP_SET;
	o.object_id = ioas;
	o.val64 = 0;
	EXPECT_EQ(-EINVAL, m.Ioctl(ifd, IOMMU_OPTION, &o));
}

TEST_F(Ioas, OptionRlimitModeBusyWithObjects)
{
	u_option o{};
	o.size = sizeof(o);
	o.option_id = IOMMU_OPTION_RLIMIT_MODE;
	o.op = IOMMU_OPTION_OP_GET;
	ASSERT_EQ(0, m.Ioctl(ifd, IOMMU_OPTION, &o));
	EXPECT_EQ(o.val64, 0u);
	o.op = IOMMU_OPTION_OP_SET;
	o.val64 = 1;
	EXPECT_EQ(-EBUSY, m.Ioctl(ifd, IOMMU_OPTION, &o));
	o.object_id = 1;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_OPTION, &o));
	o.object_id = 0;
	o.option_id = 9;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_OPTION, &o));
}

TEST(FdIoas, RlimitModeMmChargesLockedMm)
{
	FdRig m(1);
	ASSERT_EQ(0, m.AddDev("d", 0, 0x10));
	m.Boot();
	int ifd = m.Open("/dev/iommu");
	u_option o{};
	o.size = sizeof(o);
	o.option_id = IOMMU_OPTION_RLIMIT_MODE;
	o.op = IOMMU_OPTION_OP_SET;
	o.val64 = 1;
	ASSERT_EQ(0, m.Ioctl(ifd, IOMMU_OPTION, &o));
	int dfd = m.Open("/dev/vfio/devices/vfio0");
	uint32_t dev, ioas, pt;
	ASSERT_EQ(0, m.Bind(dfd, ifd, &dev));
	ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas));
	pt = ioas;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	uint64_t b = m.Mmap(0x4000), iova = 0x100000;
	ASSERT_EQ(0, m.Map(ifd, ioas, b, 0x4000, &iova));
	EXPECT_EQ(m.Stats().locked_mm, 4u);
	EXPECT_EQ(m.Stats().locked_user, 0u);
}

TEST_F(Ioas, MapFileOfAMemfd)
{
	int mfd = shim_memfd_create(m.k, "vmm0", 0x10000, m.r.now_ns, nullptr);
	ASSERT_GE(mfd, 3);
	AttachIoas();
	u_ioas_map_file c{};
	c.size = sizeof(c);
	c.flags = FIXED;
	c.ioas_id = ioas;
	c.fd = mfd;
	c.start = 0x2000;
	c.length = 0x2000;
	c.iova = 0x700000;
	ASSERT_EQ(0, m.Ioctl(ifd, IOMMU_IOAS_MAP_FILE, &c));
	uint64_t pa = 0;
	ASSERT_EQ(0, shim_memfd_pa(m.k, "vmm0", mfd, 0x2000, &pa));
	auto x = m.r.Dma(0, 0x10, 0x700100, true);
	EXPECT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, pa + 0x100);
	// Not a memfd: EINVAL; not an fd: EBADF; past the file's end: EINVAL.
	c.fd = dfd;
	c.iova = 0x800000;
	EXPECT_EQ(-EINVAL, m.Ioctl(ifd, IOMMU_IOAS_MAP_FILE, &c));
	c.fd = 77;
	EXPECT_EQ(-EBADF, m.Ioctl(ifd, IOMMU_IOAS_MAP_FILE, &c));
	c.fd = mfd;
	c.start = 0xf000;
	EXPECT_EQ(-EINVAL, m.Ioctl(ifd, IOMMU_IOAS_MAP_FILE, &c));
	// Unknown flags are refused before the range is looked at.
	c.flags = FIXED | 0x80;
	c.iova = UINT64_MAX;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_IOAS_MAP_FILE, &c));
	c.flags = FIXED;
	EXPECT_EQ(-EOVERFLOW, m.Ioctl(ifd, IOMMU_IOAS_MAP_FILE, &c));
}

TEST_F(Ioas, ChangeProcessReservedIsEopnotsupp)
{
	u_ioas_change_process c{};
	c.size = sizeof(c);
	uint64_t iova = 0x100000;
	EXPECT_EQ(0, m.Ioctl(ifd, IOMMU_IOAS_CHANGE_PROCESS, &c)); // nothing mapped: nothing to move
	ASSERT_EQ(0, m.Map(ifd, ioas, buf, 0x1000, &iova));
	// a user-VA mapping cannot move, even from its own process (7.0 has no
	// same-process shortcut)
	EXPECT_EQ(-EINVAL, m.Ioctl(ifd, IOMMU_IOAS_CHANGE_PROCESS, &c));
	c.__reserved = 1;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_IOAS_CHANGE_PROCESS, &c));
}

TEST(FdIoas, ChangeProcessMovesMemfdAccounting)
{
	FdRig m(1);
	ASSERT_EQ(0, m.AddDev("d", 0, 0x10));
	m.Boot();
	int ifd = m.Open("/dev/iommu");
	int dfd = m.Open("/dev/vfio/devices/vfio0");
	uint32_t dev, ioas, pt;
	ASSERT_EQ(0, m.Bind(dfd, ifd, &dev));
	ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas));
	pt = ioas;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	int mfd = shim_memfd_create(m.k, "vmm0", 0x4000, 0, nullptr);
	u_ioas_map_file c{};
	c.size = sizeof(c);
	c.flags = FIXED;
	c.ioas_id = ioas;
	c.fd = mfd;
	c.length = 0x4000;
	c.iova = 0x100000;
	ASSERT_EQ(0, m.Ioctl(ifd, IOMMU_IOAS_MAP_FILE, &c));
	EXPECT_EQ(m.Stats().pinned_vm, 4u);
	// A new VMM process (live update) receives the iommufd and takes the
	// pinned pages over.
	int nfd = shim_fd_pass(m.k, "vmm0", ifd, "vmm1");
	ASSERT_GE(nfd, 3);
	u_ioas_change_process cp{};
	cp.size = sizeof(cp);
	m.proc = "vmm1";
	ASSERT_EQ(0, m.Ioctl(nfd, IOMMU_IOAS_CHANGE_PROCESS, &cp));
	EXPECT_EQ(m.Stats().pinned_vm, 4u);
	EXPECT_EQ(m.Stats().locked_user, 4u);
	m.proc = "vmm0";
	EXPECT_EQ(m.Stats().pinned_vm, 0u);
	// The DMA still reaches the memfd.
	EXPECT_EQ(m.r.Dma(0, 0x10, 0x100000, false).outcome, SMMU_XLATE_OK);
	// With an anonymous (user VA) mapping it cannot move: EINVAL.
	uint64_t b = m.Mmap(0x1000), iova = 0x200000;
	ASSERT_EQ(0, m.Map(ifd, ioas, b, 0x1000, &iova));
	EXPECT_EQ(-EINVAL, m.Ioctl(ifd, IOMMU_IOAS_CHANGE_PROCESS, &cp));
	// The passed fd keeps the context after the original is closed.
	EXPECT_EQ(0, m.Close(ifd));
	m.proc = "vmm1";
	uint32_t x;
	EXPECT_EQ(0, m.IoasAlloc(nfd, &x));
}

TEST(FdIoas, HugePagesOptionDecidesTheLeafSize)
{
	for (int huge = 0; huge < 2; huge++) {
		FdRig m(1);
		ASSERT_EQ(0, m.AddDev("d", 0, 0x10));
		m.Boot();
		int ifd = m.Open("/dev/iommu"), dfd = m.Open("/dev/vfio/devices/vfio0");
		uint32_t dev, ioas, pt;
		ASSERT_EQ(0, m.Bind(dfd, ifd, &dev));
		ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas));
		u_option o{};
		o.size = sizeof(o);
		o.option_id = IOMMU_OPTION_HUGE_PAGES;
		o.op = IOMMU_OPTION_OP_SET;
		o.object_id = ioas;
		o.val64 = (uint64_t)huge;
		ASSERT_EQ(0, m.Ioctl(ifd, IOMMU_OPTION, &o));
		pt = ioas;
		ASSERT_EQ(0, m.Attach(dfd, &pt));
		uint64_t b = m.Mmap(4 << 20), iova = 0x40000000;
		ASSERT_EQ(b % (2 << 20), 0u);
		ASSERT_EQ(0, m.Map(ifd, ioas, b, 2 << 20, &iova));
		auto x = m.r.Dma(0, 0x10, 0x40012340, false);
		ASSERT_EQ(x.outcome, SMMU_XLATE_OK);
		EXPECT_EQ(x.pa, m.Pa(b) + 0x12340);
		EXPECT_EQ(x.page_shift, huge ? 21u : 12u) << "huge=" << huge;
	}
}

TEST_F(Ioas, DestroyBusyThenFree)
{
	AttachIoas();
	EXPECT_EQ(-EBUSY, m.Destroy(ifd, ioas)); // the auto HWPT holds it
	EXPECT_EQ(-EBUSY, m.Destroy(ifd, dev));  // VFIO holds the device
	EXPECT_EQ(-ENOENT, m.Destroy(ifd, 999));
	EXPECT_EQ(0, m.Detach(dfd));
	EXPECT_EQ(0, m.Destroy(ifd, ioas));
	EXPECT_EQ(-ENOENT, m.Destroy(ifd, ioas));
}

TEST_F(Ioas, IdsAreReusedLowestFirst)
{
	uint32_t a, b, c;
	ASSERT_EQ(0, m.IoasAlloc(ifd, &a));
	ASSERT_EQ(0, m.IoasAlloc(ifd, &b));
	EXPECT_EQ(b, a + 1);
	ASSERT_EQ(0, m.Destroy(ifd, a));
	ASSERT_EQ(0, m.IoasAlloc(ifd, &c));
	EXPECT_EQ(c, a);
}

TEST(FdIoas, ExhaustedIdsAreEnospc)
{
	FdRig m(1, 256ull << 20, [](shim_config *c) { c->iommufd_max_ids = 2; });
	m.Boot();
	int ifd = m.Open("/dev/iommu");
	uint32_t a;
	EXPECT_EQ(0, m.IoasAlloc(ifd, &a));
	EXPECT_EQ(0, m.IoasAlloc(ifd, &a));
	EXPECT_EQ(-ENOSPC, m.IoasAlloc(ifd, &a));
}

// ---- the dispatcher's argument rules ----

struct SizeRule {
	unsigned long req;
	uint32_t min;
};

class FdSizeRules : public ::testing::TestWithParam<SizeRule>
{
};

TEST_P(FdSizeRules, BelowMinimumIsEinvalAndTrailingBytesE2big)
{
	FdRig m(1);
	m.Boot();
	int ifd = m.Open("/dev/iommu");
	std::vector<uint8_t> buf(256, 0);
	uint32_t sz = GetParam().min - 1;
	memcpy(buf.data(), &sz, 4);
	EXPECT_EQ(-EINVAL, m.Ioctl(ifd, GetParam().req, buf.data()));
	// A larger struct whose tail is non-zero: E2BIG before anything else.
	sz = 200;
	memcpy(buf.data(), &sz, 4);
	buf[199] = 1;
	EXPECT_EQ(-E2BIG, m.Ioctl(ifd, GetParam().req, buf.data()));
}

INSTANTIATE_TEST_SUITE_P(
    Iommufd, FdSizeRules,
    ::testing::Values(SizeRule{IOMMU_DESTROY, 8}, SizeRule{IOMMU_IOAS_ALLOC, 12},
                      SizeRule{IOMMU_IOAS_ALLOW_IOVAS, 24}, SizeRule{IOMMU_IOAS_COPY, 40},
                      SizeRule{IOMMU_IOAS_IOVA_RANGES, 32}, SizeRule{IOMMU_IOAS_MAP, 40},
                      SizeRule{IOMMU_IOAS_UNMAP, 24}, SizeRule{IOMMU_OPTION, 24},
                      SizeRule{IOMMU_VFIO_IOAS, 12}, SizeRule{IOMMU_HWPT_ALLOC, 24},
                      SizeRule{IOMMU_GET_HW_INFO, 32}, SizeRule{IOMMU_HWPT_SET_DIRTY_TRACKING, 16},
                      SizeRule{IOMMU_HWPT_GET_DIRTY_BITMAP, 48},
                      SizeRule{IOMMU_HWPT_INVALIDATE, 32}, SizeRule{IOMMU_FAULT_QUEUE_ALLOC, 16},
                      SizeRule{IOMMU_IOAS_MAP_FILE, 40}, SizeRule{IOMMU_VIOMMU_ALLOC, 24},
                      SizeRule{IOMMU_VDEVICE_ALLOC, 24}, SizeRule{IOMMU_IOAS_CHANGE_PROCESS, 8},
                      SizeRule{IOMMU_VEVENTQ_ALLOC, 28}, SizeRule{IOMMU_HW_QUEUE_ALLOC, 40}));

TEST(FdIoctl, UnknownNumbersAreEnotty)
{
	FdRig m(1);
	m.Boot();
	int ifd = m.Open("/dev/iommu");
	u_destroy d{};
	d.size = sizeof(d);
	EXPECT_EQ(-ENOTTY, m.Ioctl(ifd, 0x3B95, &d));     // past the last number
	EXPECT_EQ(-ENOTTY, m.Ioctl(ifd, 0x3BA0, &d));     // IOMMU_TEST_CMD (not built)
	EXPECT_EQ(-ENOTTY, m.Ioctl(ifd, 0xC0083B80, &d)); // right nr, size bits set
	EXPECT_EQ(-ENOTTY, m.Ioctl(ifd, 0x4480, &d));     // right nr, wrong type
	EXPECT_EQ(-ENOTTY, m.Ioctl(ifd, 0x3B79, &d));     // VFIO range, not compat
	EXPECT_EQ(-EBADF, m.Ioctl(99, IOMMU_DESTROY, &d));
	EXPECT_EQ(-EFAULT, m.IoctlRaw(ifd, IOMMU_DESTROY, 0));
	EXPECT_STREQ(m.last.request, "IOMMU_DESTROY");
	EXPECT_EQ(m.last.err, EFAULT);
}

TEST(FdIoctl, IoasAllocFlagsAreEopnotsupp)
{
	FdRig m(1);
	m.Boot();
	int ifd = m.Open("/dev/iommu");
	u_ioas_alloc c{};
	c.size = sizeof(c);
	c.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_IOAS_ALLOC, &c));
	// A shorter struct of the minimum size works: the rest is zero-filled.
	c.flags = 0;
	EXPECT_EQ(0, m.Ioctl(ifd, IOMMU_IOAS_ALLOC, &c));
	EXPECT_EQ(c.out_ioas_id, 1u);
	EXPECT_GE(m.last.end_ns - m.last.start_ns, 300u); // syscall + object costs charged
}

TEST(FdIoctl, ClosingTheIommufdDestroysEverything)
{
	FdRig m(1);
	ASSERT_EQ(0, m.AddDev("d", 0, 0x10));
	m.Boot();
	int ifd = m.Open("/dev/iommu");
	uint32_t a;
	ASSERT_EQ(0, m.IoasAlloc(ifd, &a));
	uint64_t b = m.Mmap(0x4000), iova = 0x100000;
	ASSERT_EQ(0, m.Map(ifd, a, b, 0x4000, &iova));
	EXPECT_EQ(0, m.Close(ifd));
	EXPECT_EQ(-EBADF, m.Close(ifd));
	// A new context starts from ID 1 again.
	ifd = m.Open("/dev/iommu");
	ASSERT_EQ(0, m.IoasAlloc(ifd, &a));
	EXPECT_EQ(a, 1u);
}

} // namespace
