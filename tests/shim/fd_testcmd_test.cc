// IOMMU_TEST_CMD (CONFIG_IOMMUFD_TEST, kernel.iommufd_test=on): the
// mock-free ops the kernel's iommufd selftest needs, with the errnos of
// drivers/iommu/iommufd/selftest.c; ENOTTY when the option is off (as a
// distribution kernel); EOPNOTSUPP for the mock device's ops. MD_CHECK_REFS
// counts FOLL_PIN pins: a mapped range is pinned once a device's domain
// holds it, and no longer after the unmap.
#include "fd_rig.h"

namespace
{

constexpr unsigned long kTestCmd = 0x3ba0;

struct TestCmd {
	uint32_t size, op, id, reserved;
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
static_assert(sizeof(TestCmd) == 72, "struct iommu_test_cmd is 72 bytes");

void TestOn(shim_config *c)
{
	c->iommufd_test = true;
}

TestCmd Cmd(uint32_t op, uint32_t id = 0)
{
	TestCmd t{};
	t.size = sizeof(t);
	t.op = op;
	t.id = id;
	return t;
}

TEST(IommufdTestCmd, OffItIsAnUnknownRequest)
{
	FdRig m;
	m.Boot();
	int ifd = m.Open("/dev/iommu");
	TestCmd t = Cmd(9);
	t.memory_limit.limit = 65536;
	EXPECT_EQ(-ENOTTY, m.Ioctl(ifd, kTestCmd, &t));
}

TEST(IommufdTestCmd, MockFreeOpsWithTheirErrnos)
{
	FdRig m(1, 256ull << 20, TestOn);
	ASSERT_EQ(0, m.AddDev("nic0", 0, 0x10));
	m.Boot();
	int ifd = m.Open("/dev/iommu");
	uint32_t ioas = 0;
	ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas));
	// size below offsetofend(last)
	TestCmd t = Cmd(9);
	t.memory_limit.limit = 65536;
	t.size = 64;
	EXPECT_EQ(-EINVAL, m.Ioctl(ifd, kTestCmd, &t));
	t.size = sizeof(t);
	EXPECT_EQ(0, m.Ioctl(ifd, kTestCmd, &t));
	t.memory_limit.limit = 4; // below one batch element
	EXPECT_EQ(-EINVAL, m.Ioctl(ifd, kTestCmd, &t));
	// ADD_RESERVED
	TestCmd r = Cmd(1, ioas);
	EXPECT_EQ(-EINVAL, m.Ioctl(ifd, kTestCmd, &r)); // length 0
	r.add_reserved.start = ~0ull - 10;
	r.add_reserved.length = 100;
	EXPECT_EQ(-EOVERFLOW, m.Ioctl(ifd, kTestCmd, &r));
	r.add_reserved.start = 0x100000;
	r.add_reserved.length = 0x10000;
	r.id = 0x777;
	EXPECT_EQ(-ENOENT, m.Ioctl(ifd, kTestCmd, &r));
	r.id = ioas;
	EXPECT_EQ(0, m.Ioctl(ifd, kTestCmd, &r));
	// a fixed map over the reserved range: EINVAL (iopt_check_iova)
	uint64_t buf = m.Mmap(0x10000), iova = 0x100000;
	EXPECT_EQ(-EINVAL, m.Map(ifd, ioas, buf, 0x10000, &iova));
	// reserving over a mapping fails
	iova = 0x400000;
	ASSERT_EQ(0, m.Map(ifd, ioas, buf, 0x10000, &iova));
	r.add_reserved.start = 0x408000;
	r.add_reserved.length = 0x1000;
	EXPECT_EQ(-EADDRINUSE, m.Ioctl(ifd, kTestCmd, &r));
	// MD_CHECK_REFS: nothing pinned without a domain
	TestCmd c = Cmd(4);
	c.check_refs.uptr = buf;
	c.check_refs.length = 0x10000;
	c.check_refs.refs = 0;
	EXPECT_EQ(0, m.Ioctl(ifd, kTestCmd, &c));
	c.check_refs.uptr = buf + 8;
	EXPECT_EQ(-EINVAL, m.Ioctl(ifd, kTestCmd, &c)); // unaligned
	c.check_refs.uptr = buf;
	// a device attached: its domain pins the pages once
	int dfd = m.Open("/dev/vfio/devices/vfio0");
	uint32_t dev = 0, pt = ioas;
	ASSERT_EQ(0, m.Bind(dfd, ifd, &dev));
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	EXPECT_EQ(-EIO, m.Ioctl(ifd, kTestCmd, &c));
	c.check_refs.refs = 1;
	EXPECT_EQ(0, m.Ioctl(ifd, kTestCmd, &c));
	ASSERT_EQ(0, m.Unmap(ifd, ioas, 0x400000, 0x10000));
	EXPECT_EQ(-EIO, m.Ioctl(ifd, kTestCmd, &c));
	c.check_refs.refs = 0;
	EXPECT_EQ(0, m.Ioctl(ifd, kTestCmd, &c));
	// the mock device is not emulated
	TestCmd mock = Cmd(2, ioas);
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, kTestCmd, &mock));
	TestCmd unknown = Cmd(99);
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, kTestCmd, &unknown));
	bool logged = false;
	for (const auto &l : m.r.log)
		logged |= l.find("IOMMU_TEST_OP_MOCK_DOMAIN") != std::string::npos;
	EXPECT_TRUE(logged);
}

} // namespace
