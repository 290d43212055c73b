// fd_rig.h - the iommufd/VFIO tests' machine: a ShimRig (real SMMU models,
// flat DRAM, host ops) with the whole emulated kernel (shim_create) on top,
// reached only through the public syscall API, plus small helpers that
// build the uAPI structs the way the kernel selftests do (every struct
// starts with .size = sizeof).
//
// The kernel allocates from the rig's DRAM through its own kmem; the rig's
// kenv/kmem is left unused so the two allocators never collide.
#ifndef SHIM_TESTS_FD_RIG_H
#define SHIM_TESTS_FD_RIG_H

#include "rig.h"

extern "C" {
#include "shim/shim.h"
#include "uapi_defs.h"
}

#include <string>

class FdRig
{
      public:
	ShimRig r;
	shim *k = nullptr;
	shim_call last{};
	std::string proc = "vmm0";

	explicit FdRig(unsigned nsmmu = 1, uint64_t dram = 256ull << 20,
	               void (*tweak)(shim_config *) = nullptr,
	               void (*smmu_tweak)(smmu_config *) = nullptr)
	    : r(dram)
	{
		for (unsigned i = 0; i < nsmmu; i++) {
			smmu_config c = ShimRig::DefaultConfig();
			if (smmu_tweak)
				smmu_tweak(&c);
			r.Add(c);
		}
		shim_config cfg;
		shim_config_default(&cfg);
		cfg.dram_base = ShimRig::kDramBase;
		cfg.dram_size = dram;
		if (tweak)
			tweak(&cfg);
		EXPECT_EQ(SHIM_OK, shim_create(&cfg, &r.hops, &r, &k));
		for (unsigned i = 0; i < nsmmu; i++)
			EXPECT_EQ((int)i, shim_add_smmu(k));
	}
	~FdRig() { shim_destroy(k); }
	FdRig(const FdRig &) = delete;
	FdRig &operator=(const FdRig &) = delete;

	int AddDev(const char *name, uint32_t smmu, uint32_t sid, bool canwbs = true,
	           bool ats = false, uint8_t ssid_bits = 0)
	{
		shim_device_desc d{};
		d.size = sizeof(d);
		d.name = name;
		d.smmu = smmu;
		d.sid = sid;
		d.canwbs = canwbs;
		d.ats = ats;
		d.ssid_bits = ssid_bits;
		return shim_add_device(k, &d);
	}
	void Boot()
	{
		last.size = sizeof(last);
		ASSERT_EQ(SHIM_OK, shim_boot(k, r.now_ns, &last));
		Advance();
	}
	void Advance()
	{
		if (last.end_ns > r.now_ns)
			r.now_ns = last.end_ns;
	}

	// ---- syscalls of `proc` ----
	int Open(const char *path)
	{
		last = {};
		last.size = sizeof(last);
		int fd = shim_open(k, proc.c_str(), path, r.now_ns, &last);
		Advance();
		return fd;
	}
	int Close(int fd)
	{
		last = {};
		last.size = sizeof(last);
		int rc = shim_close(k, proc.c_str(), fd, r.now_ns, &last);
		Advance();
		return rc;
	}
	// ioctl with a pointer argument (host pointer: user copies are memcpy).
	int64_t Ioctl(int fd, unsigned long req, const void *arg)
	{
		return IoctlRaw(fd, req, (uint64_t)(uintptr_t)arg);
	}
	int64_t IoctlRaw(int fd, unsigned long req, uint64_t arg)
	{
		last = {};
		last.size = sizeof(last);
		int64_t rc = shim_ioctl(k, proc.c_str(), fd, req, arg, r.now_ns, &last);
		Advance();
		return rc;
	}
	uint64_t Mmap(uint64_t len, uint64_t pa = SHIM_PA_ANY)
	{
		uint64_t va = 0;
		last = {};
		last.size = sizeof(last);
		EXPECT_EQ(0, shim_mmap(k, proc.c_str(), len, pa, r.now_ns, &va, &last));
		Advance();
		return va;
	}
	uint64_t Pa(uint64_t va)
	{
		uint64_t pa = 0;
		EXPECT_EQ(0, shim_proc_va_to_pa(k, proc.c_str(), va, &pa));
		return pa;
	}
	int64_t Read(int fd, void *buf, uint64_t len)
	{
		last = {};
		last.size = sizeof(last);
		int64_t rc =
		    shim_read(k, proc.c_str(), fd, (uint64_t)(uintptr_t)buf, len, r.now_ns, &last);
		Advance();
		return rc;
	}
	int Irq(uint32_t smmu, unsigned line = 0)
	{
		last = {};
		last.size = sizeof(last);
		int rc = shim_irq(k, smmu, line, r.now_ns, &last);
		Advance();
		return rc;
	}

	// ---- uAPI helpers (each returns the ioctl's result; outputs by ref) ----
	int64_t IoasAlloc(int ifd, uint32_t *id)
	{
		u_ioas_alloc c{};
		c.size = sizeof(c);
		int64_t rc = Ioctl(ifd, IOMMU_IOAS_ALLOC, &c);
		*id = c.out_ioas_id;
		return rc;
	}
	int64_t Map(int ifd, uint32_t ioas, uint64_t va, uint64_t len, uint64_t *iova,
	            uint32_t flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
	                             IOMMU_IOAS_MAP_WRITEABLE)
	{
		u_ioas_map c{};
		c.size = sizeof(c);
		c.flags = flags;
		c.ioas_id = ioas;
		c.user_va = va;
		c.length = len;
		c.iova = *iova;
		int64_t rc = Ioctl(ifd, IOMMU_IOAS_MAP, &c);
		*iova = c.iova;
		return rc;
	}
	int64_t Unmap(int ifd, uint32_t ioas, uint64_t iova, uint64_t len, uint64_t *out = nullptr)
	{
		u_ioas_unmap c{};
		c.size = sizeof(c);
		c.ioas_id = ioas;
		c.iova = iova;
		c.length = len;
		int64_t rc = Ioctl(ifd, IOMMU_IOAS_UNMAP, &c);
		if (out)
			*out = c.length;
		return rc;
	}
	int64_t Bind(int dfd, int ifd, uint32_t *devid)
	{
		u_bind_iommufd b{};
		b.argsz = sizeof(b);
		b.iommufd = ifd;
		int64_t rc = Ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b);
		*devid = b.out_devid;
		return rc;
	}
	int64_t Attach(int dfd, uint32_t *pt)
	{
		u_attach_pt a{};
		a.argsz = sizeof(a);
		a.pt_id = *pt;
		int64_t rc = Ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);
		*pt = a.pt_id;
		return rc;
	}
	int64_t Detach(int dfd)
	{
		u_detach_pt d{};
		d.argsz = sizeof(d);
		return Ioctl(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
	}
	int64_t Destroy(int ifd, uint32_t id)
	{
		u_destroy d{};
		d.size = sizeof(d);
		d.id = id;
		return Ioctl(ifd, IOMMU_DESTROY, &d);
	}
	int64_t HwptAlloc(int ifd, uint32_t dev, uint32_t pt, uint32_t flags, uint32_t *out,
	                  uint32_t data_type = 0, const void *data = nullptr, uint32_t data_len = 0)
	{
		u_hwpt_alloc h{};
		h.size = sizeof(h);
		h.flags = flags;
		h.dev_id = dev;
		h.pt_id = pt;
		h.data_type = data_type;
		h.data_len = data_len;
		h.data_uptr = (uint64_t)(uintptr_t)data;
		int64_t rc = Ioctl(ifd, IOMMU_HWPT_ALLOC, &h);
		*out = h.out_hwpt_id;
		return rc;
	}
	int64_t ViommuAlloc(int ifd, uint32_t dev, uint32_t hwpt, uint32_t *out,
	                    uint32_t type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3)
	{
		u_viommu_alloc v{};
		v.size = sizeof(v);
		v.type = type;
		v.dev_id = dev;
		v.hwpt_id = hwpt;
		int64_t rc = Ioctl(ifd, IOMMU_VIOMMU_ALLOC, &v);
		*out = v.out_viommu_id;
		return rc;
	}
	int64_t VdevAlloc(int ifd, uint32_t viommu, uint32_t dev, uint64_t vsid, uint32_t *out)
	{
		u_vdevice_alloc v{};
		v.size = sizeof(v);
		v.viommu_id = viommu;
		v.dev_id = dev;
		v.virt_id = vsid;
		int64_t rc = Ioctl(ifd, IOMMU_VDEVICE_ALLOC, &v);
		*out = v.out_vdevice_id;
		return rc;
	}
	struct shim_proc_stats Stats()
	{
		struct shim_proc_stats st {
		};
		EXPECT_EQ(0, shim_proc_stats(k, proc.c_str(), &st));
		return st;
	}
	uint32_t Sid(uint32_t dev)
	{
		uint32_t smmu, sid;
		shim_device_info(k, dev, &smmu, &sid);
		return sid;
	}
};

// A machine with one booted SMMU, one device (sid 0x10), /dev/iommu open
// and the device bound: the common starting point of the iommufd tests.
struct FdBound : ::testing::Test {
	FdRig m{1};
	int ifd = -1, dfd = -1;
	uint32_t dev = 0;
	void SetUp() override
	{
		ASSERT_EQ(0, m.AddDev("nic0", 0, 0x10));
		m.Boot();
		ifd = m.Open("/dev/iommu");
		ASSERT_GE(ifd, 3);
		dfd = m.Open("/dev/vfio/devices/vfio0");
		ASSERT_GE(dfd, 3);
		ASSERT_EQ(0, m.Bind(dfd, ifd, &dev));
		ASSERT_NE(0u, dev);
	}
};

#endif
