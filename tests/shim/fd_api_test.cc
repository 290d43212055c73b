// The public API around the syscalls: configuration and the parameter
// table, request names, the uAPI field table the trace replayer builds
// argument structs from, processes and memory, the call account.
#include "fd_rig.h"

#include <set>
#include <string>
#include <vector>

namespace
{

TEST(FdApi, ConfigByName)
{
	shim_config c;
	shim_config_default(&c);
	char err[128], buf[64];
	EXPECT_EQ(SHIM_OK, shim_config_set(&c, "kernel.iommu_strict", "off", err, sizeof(err)));
	EXPECT_FALSE(c.iommu_strict);
	EXPECT_EQ(SHIM_OK, shim_config_set(&c, "kernel.sync", "msi", err, sizeof(err)));
	EXPECT_TRUE(c.sync_msi);
	EXPECT_EQ(SHIM_OK, shim_config_set(&c, "t.k.syscall", "450", err, sizeof(err)));
	EXPECT_EQ(c.kt.syscall, 450u);
	EXPECT_EQ(SHIM_OK, shim_config_set(&c, "kernel.rlimit_memlock", "8M", err, sizeof(err)));
	EXPECT_EQ(c.rlimit_memlock, 8ull << 20);
	EXPECT_EQ(SHIM_ERR_INVAL, shim_config_set(&c, "kernel.sync", "maybe", err, sizeof(err)));
	EXPECT_NE(std::string(err).find("kernel.sync"), std::string::npos);
	EXPECT_EQ(SHIM_ERR_INVAL, shim_config_set(&c, "t.k.nope", "1", err, sizeof(err)));
	EXPECT_EQ(SHIM_OK, shim_config_get(&c, "kernel.sync", buf, sizeof(buf)));
	EXPECT_STREQ(buf, "msi");
	EXPECT_EQ(SHIM_OK, shim_config_get(&c, "t.k.pin_page", buf, sizeof(buf)));
	EXPECT_STREQ(buf, "50");
	// Numbers are digits: no sign (strtoull's "-1" is 2^64 - 1), no blanks,
	// nothing that does not fit; the value is left as it was.
	for (const char *bad : {"-1", "+5", " 5", "99999999999999999999999", "16E", "5x", ""})
		EXPECT_EQ(SHIM_ERR_INVAL, shim_config_set(&c, "kernel.rlimit_memlock", bad, err, sizeof(err)))
		    << bad;
	EXPECT_EQ(c.rlimit_memlock, 8ull << 20);
	EXPECT_EQ(SHIM_ERR_INVAL, shim_config_set(&c, "t.k.syscall", "-450", err, sizeof(err)));
	EXPECT_EQ(SHIM_ERR_INVAL, shim_config_set(&c, "kernel.hz", "4294967296", err, sizeof(err)));
	// The kernel's DRAM: page-aligned, at least 1M.
	EXPECT_EQ(SHIM_ERR_INVAL, shim_config_set(&c, "kernel.dram_size", "0", err, sizeof(err)));
	EXPECT_EQ(SHIM_ERR_INVAL, shim_config_set(&c, "kernel.dram_size", "0x100800", err, sizeof(err)));
	EXPECT_EQ(SHIM_ERR_INVAL, shim_config_set(&c, "kernel.dram_base", "0x1001", err, sizeof(err)));
	EXPECT_EQ(SHIM_OK, shim_config_set(&c, "kernel.dram_size", "1M", err, sizeof(err)));
	EXPECT_EQ(SHIM_OK, shim_config_set(&c, "kernel.dram_base", "0x100000", err, sizeof(err)));
	EXPECT_EQ(c.dram_base, 0x100000u);
}

TEST(FdApi, ParamTableIsCompleteAndSettable)
{
	std::set<std::string> names;
	shim_config c;
	shim_config_default(&c);
	size_t i = 0;
	for (const shim_param_info *p; (p = shim_param_at(i)); i++) {
		EXPECT_TRUE(names.insert(p->name).second) << p->name;
		EXPECT_TRUE(p->unit && p->def && p->source && p->help) << p->name;
		char err[128];
		EXPECT_EQ(SHIM_OK, shim_config_set(&c, p->name, p->def, err, sizeof(err))) << err;
	}
	EXPECT_EQ(names.count("t.k.syscall"), 1u);
	EXPECT_EQ(names.count("t.k.evt_handle"), 1u);
	EXPECT_EQ(names.count("kernel.iommu_strict"), 1u);
	// Re-setting every default leaves the default configuration.
	shim_config d;
	shim_config_default(&d);
	EXPECT_EQ(0, memcmp(&c.kt, &d.kt, sizeof(d.kt)));
}

TEST(FdApi, CreateRejectsBadInput)
{
	shim_config c;
	shim_config_default(&c);
	shim_host_ops o{};
	shim *k = nullptr;
	EXPECT_EQ(SHIM_ERR_INVAL, shim_create(&c, &o, nullptr, &k));
	c.size = 4;
	EXPECT_EQ(SHIM_ERR_INVAL, shim_create(&c, &o, nullptr, &k));
	EXPECT_STREQ(shim_strerror(SHIM_ERR_NODEV), "SMMU refused by the driver");
}

TEST(FdApi, DevicesAndPaths)
{
	FdRig m(1);
	EXPECT_EQ(0, m.AddDev("a", 0, 0x10));
	EXPECT_EQ(-SHIM_ERR_EXIST, m.AddDev("a", 0, 0x11));
	EXPECT_EQ(-SHIM_ERR_EXIST, m.AddDev("b", 0, 0x10));
	EXPECT_EQ(-SHIM_ERR_STATE, m.AddDev("c", 3, 0x10));
	shim_device_desc d{};
	d.size = sizeof(d);
	d.name = "nic";
	d.sid = 0x40;
	d.cdev = "/dev/vfio/devices/vfio7";
	d.group = "/dev/vfio/42";
	d.bdf = "0000:01:00.0";
	EXPECT_EQ(1, shim_add_device(m.k, &d));
	EXPECT_EQ(1, shim_device_index(m.k, "nic"));
	m.Boot();
	EXPECT_EQ(-SHIM_ERR_STATE, shim_add_smmu(m.k));
	EXPECT_GE(m.Open("/dev/vfio/devices/vfio7"), 3);
	int g = m.Open("/dev/vfio/42");
	ASSERT_GE(g, 3);
	EXPECT_EQ(-ENOENT, m.Open("/dev/vfio/devices/vfio1"));
	EXPECT_EQ(-ENOENT, m.Open("/dev/kvmx"));
	// Devices added after boot are probed at once.
	EXPECT_EQ(2, m.AddDev("late", 0, 0x50));
	EXPECT_GE(m.Open("/dev/vfio/devices/vfio2"), 3);
}

TEST(FdApi, FdsArePerProcessLowestFirst)
{
	FdRig m(1);
	m.Boot();
	int a = m.Open("/dev/iommu"), b = m.Open("/dev/iommu");
	EXPECT_EQ(a, 3);
	EXPECT_EQ(b, 4);
	m.proc = "vmm1";
	EXPECT_EQ(m.Open("/dev/iommu"), 3);
	m.proc = "vmm0";
	EXPECT_EQ(0, m.Close(a));
	EXPECT_EQ(m.Open("/dev/vfio/vfio"), 3);
	EXPECT_EQ(-EBADF, m.IoctlRaw(9, VFIO_GET_API_VERSION, 0));
}

TEST(FdApi, MmapIsDeterministicAndBacked)
{
	FdRig m(1);
	m.Boot();
	uint64_t a = m.Mmap(0x3000), b = m.Mmap(4 << 20);
	EXPECT_EQ(a, SHIM_PROC_VA_BASE);
	EXPECT_GT(b, a);
	EXPECT_EQ(b % (2 << 20), m.Pa(b) % (2 << 20)); // THP-congruent
	EXPECT_EQ(m.Pa(b + 0x1234), m.Pa(b) + 0x1234);
	uint64_t pa = 0;
	EXPECT_EQ(-EFAULT, shim_proc_va_to_pa(m.k, "vmm0", a + 0x3000, &pa)); // guard page
	// A fixed physical placement.
	uint64_t at = ShimRig::kDramBase + (128ull << 20);
	uint64_t c = m.Mmap(0x2000, at);
	EXPECT_EQ(m.Pa(c), at);
	uint64_t va = 0;
	EXPECT_EQ(-EEXIST, shim_mmap(m.k, "vmm0", 0x1000, at, 0, &va, nullptr));
	EXPECT_EQ(-ENOMEM, shim_mmap(m.k, "vmm0", 0x1000, 0x1000, 0, &va, nullptr));
	EXPECT_EQ(-EINVAL, shim_mmap(m.k, "vmm0", 0, SHIM_PA_ANY, 0, &va, nullptr));
	// Another process gets the same VAs, other pages.
	m.proc = "vmm1";
	uint64_t d = m.Mmap(0x3000);
	EXPECT_EQ(d, a);
	EXPECT_NE(m.Pa(d), pa);
	struct shim_proc_stats st;
	EXPECT_EQ(0, shim_proc_stats(m.k, "vmm1", &st));
	EXPECT_EQ(st.mapped_bytes, 0x3000u);
	EXPECT_EQ(-EINVAL, shim_proc_stats(m.k, "nobody", &st));
}

TEST(FdApi, UserPointersIntoProcessMemory)
{
	// The argument struct itself may live in the process's mmap (DRAM).
	FdRig m(1);
	m.Boot();
	int ifd = m.Open("/dev/iommu");
	uint64_t va = m.Mmap(0x1000);
	u_ioas_alloc c{};
	c.size = sizeof(c);
	ASSERT_EQ(0, shim_mmap(m.k, "vmm0", 0x1000, SHIM_PA_ANY, 0, &va, nullptr));
	for (size_t i = 0; i < sizeof(c); i += 4) {
		uint32_t w;
		memcpy(&w, reinterpret_cast<uint8_t *>(&c) + i, 4);
		uint64_t pa = m.Pa(va + i);
		memcpy(m.r.dram + (pa - ShimRig::kDramBase), &w, 4);
	}
	ASSERT_EQ(0, m.IoctlRaw(ifd, IOMMU_IOAS_ALLOC, va));
	EXPECT_EQ(m.r.Read64(m.Pa(va + 8)) & 0xffffffff, 1u);
}

TEST(FdApi, RequestNames)
{
	EXPECT_STREQ(shim_request_name(0x3B85), "IOMMU_IOAS_MAP");
	EXPECT_STREQ(shim_request_name(0x3B76), "VFIO_DEVICE_BIND_IOMMUFD");
	EXPECT_EQ(shim_request_name(0x3B95), nullptr);
	unsigned long r = 0;
	EXPECT_EQ(0, shim_request_by_name("IOAS_MAP", &r));
	EXPECT_EQ(r, 0x3B85u);
	EXPECT_EQ(0, shim_request_by_name("VFIO_IOMMU_MAP_DMA", &r));
	EXPECT_EQ(r, 0x3B71u);
	EXPECT_EQ(0, shim_request_by_name("IOMMU_HW_QUEUE_ALLOC", &r));
	EXPECT_EQ(r, 0x3B94u);
	EXPECT_EQ(-1, shim_request_by_name("IOMMU_IOAS_NOIOMMU_GET_PA", &r));
}

TEST(FdApi, FieldTableMatchesTheKernelStructs)
{
	// Every iommufd request 0x80..0x94 is in the table with its sizes.
	for (unsigned nr = 0x80; nr <= 0x94; nr++) {
		const shim_uapi_request *q = shim_uapi_request_find(0x3B00 | nr);
		ASSERT_NE(q, nullptr) << std::hex << nr;
		EXPECT_EQ(q->arg, SHIM_ARG_STRUCT);
		EXPECT_GE(q->struct_size, q->min_size);
		// Fields are inside the struct and the size field comes first.
		ASSERT_GT(q->nfields, 0u);
		EXPECT_TRUE(q->fields[0].flags & SHIM_UF_SIZE);
		for (uint32_t i = 0; i < q->nfields; i++)
			EXPECT_LE(q->fields[i].offset + q->fields[i].width * q->fields[i].count,
			          q->struct_size)
			    << q->name << "." << q->fields[i].name;
	}
	const shim_uapi_request *map = shim_uapi_request_by_name("IOMMU_IOAS_MAP");
	const shim_uapi_field *iova = shim_uapi_field_find(map, "iova");
	ASSERT_NE(iova, nullptr);
	EXPECT_EQ(iova->offset, 32u);
	EXPECT_EQ(iova->width, 8u);
	EXPECT_TRUE(iova->flags & SHIM_UF_OUT);
	const shim_uapi_field *flags = shim_uapi_field_find(map, "flags");
	uint64_t v = 0;
	EXPECT_EQ(0,
	          shim_uapi_sym_value(flags, "FIXED_IOVA|READABLE|IOMMU_IOAS_MAP_WRITEABLE", &v));
	EXPECT_EQ(v, 7u);
	EXPECT_EQ(-1, shim_uapi_sym_value(flags, "FIXED_IOVA|BOGUS", &v));
	const shim_uapi_request *hw = shim_uapi_request_by_name("HWPT_ALLOC");
	const shim_uapi_field *data = shim_uapi_field_find(hw, "data");
	ASSERT_NE(data, nullptr);
	EXPECT_STREQ(data->name, "data_uptr");
	EXPECT_TRUE(data->flags & SHIM_UF_UPTR);
	EXPECT_STREQ(data->len_field, "data_len");
	EXPECT_EQ(data->len_kind, SHIM_PL_BYTES);
	EXPECT_EQ(0, shim_uapi_sym_value(shim_uapi_field_find(hw, "data_type"), "ARM_SMMUV3", &v));
	EXPECT_EQ(v, 2u);
	EXPECT_EQ(0, shim_uapi_sym_value(shim_uapi_field_find(hw, "flags"), "NEST_PARENT", &v));
	EXPECT_EQ(v, 1u);
	const shim_uapi_request *inv = shim_uapi_request_by_name("IOMMU_HWPT_INVALIDATE");
	const shim_uapi_field *cmds = shim_uapi_field_find(inv, "data");
	EXPECT_STREQ(cmds->elem_field, "entry_len");
	EXPECT_STREQ(cmds->len_field, "entry_num");
	EXPECT_EQ(0, shim_uapi_sym_value(shim_uapi_field_find(inv, "data_type"),
	                                 "VIOMMU_ARM_SMMUV3", &v));
	EXPECT_EQ(v, 1u);
	const shim_uapi_request *rng = shim_uapi_request_by_name("IOMMU_IOAS_IOVA_RANGES");
	EXPECT_TRUE(shim_uapi_field_find(rng, "allowed_iovas")->payload_out);
	const shim_uapi_request *setc = shim_uapi_request_by_name("VFIO_GROUP_SET_CONTAINER");
	EXPECT_EQ(setc->arg, SHIM_ARG_INT_PTR);
	EXPECT_EQ(shim_uapi_request_by_name("VFIO_GROUP_GET_DEVICE_FD")->arg, SHIM_ARG_STRING);
	const shim_uapi_request *seti = shim_uapi_request_by_name("VFIO_SET_IOMMU");
	EXPECT_EQ(seti->arg, SHIM_ARG_INT);
	EXPECT_EQ(0, shim_uapi_sym_value(shim_uapi_field_find(seti, "arg"), "TYPE1v2_IOMMU", &v));
	EXPECT_EQ(v, 3u);
	const shim_uapi_request *bind = shim_uapi_request_by_name("VFIO_DEVICE_BIND_IOMMUFD");
	EXPECT_EQ(shim_uapi_field_find(bind, "out_devid")->offset, 12u);
	EXPECT_EQ(bind->min_size, 16u);
	EXPECT_EQ(bind->struct_size, 24u);
}

// A generic replayer's round trip: build the struct from names only, run
// it, read the result back by name.
TEST(FdApi, GenericBuildFromTheTable)
{
	FdRig m(1);
	m.Boot();
	int ifd = m.Open("/dev/iommu");
	const shim_uapi_request *q = shim_uapi_request_by_name("IOAS_ALLOC");
	std::vector<uint8_t> arg(q->struct_size, 0);
	for (uint32_t i = 0; i < q->nfields; i++)
		if (q->fields[i].flags & SHIM_UF_SIZE)
			memcpy(arg.data() + q->fields[i].offset, &q->struct_size, 4);
	ASSERT_EQ(0, m.Ioctl(ifd, q->request, arg.data()));
	const shim_uapi_field *out = shim_uapi_field_find(q, "out_ioas_id");
	uint32_t id;
	memcpy(&id, arg.data() + out->offset, 4);
	EXPECT_EQ(id, 1u);
	EXPECT_STREQ(m.last.request, "IOMMU_IOAS_ALLOC");
	EXPECT_EQ(m.last.ret, 0);
}

TEST(FdApi, CallAccountOfAnAttach)
{
	FdRig m(1);
	ASSERT_EQ(0, m.AddDev("d", 0, 0x10));
	m.Boot();
	int ifd = m.Open("/dev/iommu"), dfd = m.Open("/dev/vfio/devices/vfio0");
	uint32_t dev, ioas;
	ASSERT_EQ(0, m.Bind(dfd, ifd, &dev));
	EXPECT_GE(m.last.ste_writes, 1u); // blocked on bind
	ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas));
	uint64_t t0 = m.r.now_ns;
	uint32_t pt = ioas;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	EXPECT_EQ(m.last.start_ns, t0);
	EXPECT_GT(m.last.end_ns, t0 + 300); // kernel time plus SMMU waits
	EXPECT_GE(m.last.syncs, 1u);
	// STE writes are synced (CFGI_STE + CMD_SYNC); the driver then
	// prefetches the new configuration (CMD_PREFETCH_CONFIG, no sync).
	EXPECT_EQ(m.last.cmds[m.last.ncmds - 1], 0x01);
	EXPECT_EQ(m.last.cmds[m.last.ncmds - 2], 0x46);
	EXPECT_STREQ(m.last.request, "VFIO_DEVICE_ATTACH_IOMMUFD_PT");
	EXPECT_EQ(m.r.now_ns, m.last.end_ns);
}

TEST(FdApi, IrqWithoutEventsIsQuiet)
{
	FdRig m(1);
	m.Boot();
	EXPECT_EQ(0, m.Irq(0));
	EXPECT_EQ(-EINVAL, m.Irq(5));
}

} // namespace
