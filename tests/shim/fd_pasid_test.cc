// PASIDs through the cdev (VFIO_DEVICE_ATTACH/DETACH_IOMMUFD_PT with the
// PASID flag), as Linux 7.0 does them on arm-smmu-v3: the CD-table STE with
// S1DSS for the RID, one CD per PASID with the domain's ASID, isolation by
// ASID on unmap, replace and detach, unbind of PASIDs at close, and each
// errno rule (iommufd_hwpt_pasid_compat, the core's max_pasids, the
// driver's stage and RID checks, vfio's argsz).
#include "fd_rig.h"
extern "C" {
#include "arm_smmu_v3_internal.h"
#include "shim_internal.h"
}

namespace
{

constexpr uint32_t FIXED =
    IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;

struct Pasid : ::testing::Test {
	FdRig m{1};
	int ifd = -1, dfd = -1;
	uint32_t dev = 0, ioas0 = 0, ioas1 = 0, h0 = 0, h1 = 0;
	uint64_t b0 = 0, b1 = 0;
	uint8_t ssid_bits = 8;
	void SetUp() override
	{
		ASSERT_EQ(0, m.AddDev("nic0", 0, 0x10, true, false, ssid_bits));
		m.Boot();
		ifd = m.Open("/dev/iommu");
		dfd = m.Open("/dev/vfio/devices/vfio0");
		ASSERT_EQ(0, m.Bind(dfd, ifd, &dev));
		ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas0));
		ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas1));
		b0 = m.Mmap(0x4000);
		b1 = m.Mmap(0x4000);
		uint64_t iova = 0x100000;
		ASSERT_EQ(0, m.Map(ifd, ioas0, b0, 0x4000, &iova));
		iova = 0x100000;
		ASSERT_EQ(0, m.Map(ifd, ioas1, b1, 0x4000, &iova));
		ASSERT_EQ(0, m.HwptAlloc(ifd, dev, ioas0, IOMMU_HWPT_ALLOC_PASID, &h0));
		ASSERT_EQ(0, m.HwptAlloc(ifd, dev, ioas1, IOMMU_HWPT_ALLOC_PASID, &h1));
	}
	int64_t AttachPasid(uint32_t pasid, uint32_t *pt, uint32_t argsz = sizeof(u_attach_pt))
	{
		u_attach_pt a{};
		a.argsz = argsz;
		a.flags = VFIO_DEVICE_ATTACH_PASID;
		a.pt_id = *pt;
		a.pasid = pasid;
		int64_t rc = m.Ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);
		*pt = a.pt_id;
		return rc;
	}
	int64_t DetachPasid(uint32_t pasid)
	{
		u_detach_pt d{};
		d.argsz = sizeof(d);
		d.flags = VFIO_DEVICE_DETACH_PASID;
		d.pasid = pasid;
		return m.Ioctl(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
	}
	smmu_xlate_result Dma(bool ssv, uint32_t ssid, uint64_t off = 0x40)
	{
		return m.r.Dma(0, 0x10, 0x100000 + off, false, ssv, ssid);
	}
	void Ste(uint64_t ste[8]) { arm_smmu_master_ste(m.k->devs[0]->master, ste); }
	// The ASID of the domain on `pasid` (0: the RID's), 0 if none.
	uint32_t Asid(uint32_t pasid)
	{
		const ifd_hwpt *h = iommufd_device_pt(m.k->devs[0]->idev, pasid);
		return h ? arm_smmu_domain_asid(h->domain) : 0;
	}
};

unsigned Cfg(const uint64_t ste[8])
{
	return (unsigned)((ste[0] >> 1) & 7);
}
unsigned S1dss(const uint64_t ste[8])
{
	return (unsigned)(ste[1] & 3);
}

TEST_F(Pasid, TwoPasidsTwoDomainsOneSte)
{
	uint64_t ste[8];
	Ste(ste);
	EXPECT_EQ(Cfg(ste), 0u); // bound, not attached: abort STE
	uint32_t pt = h0;
	ASSERT_EQ(0, AttachPasid(1, &pt));
	EXPECT_EQ(pt, h0);
	// The RID is blocked: a CD-table STE whose substream-less traffic is
	// terminated (S1DSS=00), CD 1 written with CFGI_CD + SYNC.
	Ste(ste);
	EXPECT_EQ(Cfg(ste), 5u);
	EXPECT_EQ(S1dss(ste), 0u);
	EXPECT_EQ((ste[0] >> 59) & 0x1f, 8u); // S1CDMax = ssid_bits
	EXPECT_GE(m.last.cd_writes, 1u);
	pt = h1;
	ASSERT_EQ(0, AttachPasid(2, &pt));
	EXPECT_EQ(m.last.ste_writes, 0u); // the CD table is already in the STE
	ASSERT_NE(Asid(1), 0u);
	ASSERT_NE(Asid(2), 0u);
	EXPECT_NE(Asid(1), Asid(2));

	auto a = Dma(true, 1), b = Dma(true, 2);
	ASSERT_EQ(a.outcome, SMMU_XLATE_OK);
	ASSERT_EQ(b.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(a.pa, m.Pa(b0) + 0x40);
	EXPECT_EQ(b.pa, m.Pa(b1) + 0x40);
	EXPECT_EQ(a.asid, Asid(1));
	EXPECT_EQ(b.asid, Asid(2));
	EXPECT_EQ(Dma(false, 0).event, SMMU_EVT_F_STREAM_DISABLED);
	EXPECT_EQ(Dma(true, 3).event, SMMU_EVT_C_BAD_CD);

	// Unmapping PASID 1's IOAS invalidates its ASID only: PASID 2's cached
	// translation of the same IOVA is still served, without a walk.
	uint64_t out = 0;
	ASSERT_EQ(0, m.Unmap(ifd, ioas0, 0x100000, 0x4000, &out));
	EXPECT_EQ(Dma(true, 1).event, SMMU_EVT_F_TRANSLATION);
	auto again = Dma(true, 2);
	EXPECT_EQ(again.outcome, SMMU_XLATE_OK);
	EXPECT_NE(again.hit, SMMU_HIT_WALK);
}

TEST_F(Pasid, ReplaceDetachAndClose)
{
	uint32_t pt = h0;
	ASSERT_EQ(0, AttachPasid(1, &pt));
	uint32_t old_asid = Asid(1);
	// Attaching the same PASID again replaces its domain (CD rewritten).
	pt = h1;
	ASSERT_EQ(0, AttachPasid(1, &pt));
	EXPECT_NE(Asid(1), old_asid);
	EXPECT_EQ(Dma(true, 1).pa, m.Pa(b1) + 0x40);
	// The same HWPT again: nothing to do.
	pt = h1;
	ASSERT_EQ(0, AttachPasid(1, &pt));
	EXPECT_EQ(m.last.cd_writes, 0u);
	// Detaching the last PASID puts the blocked RID's abort STE back.
	ASSERT_EQ(0, DetachPasid(1));
	uint64_t ste[8];
	Ste(ste);
	EXPECT_EQ(Cfg(ste), 0u);
	EXPECT_NE(Dma(true, 1).outcome, SMMU_XLATE_OK);
	EXPECT_EQ(0, DetachPasid(1)); // not attached: nothing, no error
	// A PASID still attached at close is detached by the unbind: the HWPT
	// can then be destroyed.
	pt = h0;
	ASSERT_EQ(0, AttachPasid(5, &pt));
	EXPECT_EQ(-EBUSY, m.Destroy(ifd, h0));
	ASSERT_EQ(0, m.Close(dfd));
	EXPECT_EQ(0, m.Destroy(ifd, h0));
}

TEST_F(Pasid, RidAndPasidTogether)
{
	// The RID on a PASID-capable stage-1 HWPT: S1DSS=SSID0 (CD 0).
	uint32_t pt = h0;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	pt = h1;
	ASSERT_EQ(0, AttachPasid(7, &pt));
	uint64_t ste[8];
	Ste(ste);
	EXPECT_EQ(Cfg(ste), 5u);
	EXPECT_EQ(S1dss(ste), 2u);
	EXPECT_EQ(Dma(false, 0).pa, m.Pa(b0) + 0x40);
	EXPECT_EQ(Dma(true, 7).pa, m.Pa(b1) + 0x40);
	// A RID HWPT that is not PASID-capable, while PASID 7 is attached.
	uint32_t plain = 0;
	ASSERT_EQ(0, m.HwptAlloc(ifd, dev, ioas0, 0, &plain));
	pt = plain;
	EXPECT_EQ(-EINVAL, m.Attach(dfd, &pt));
	pt = ioas0; // its automatic domain is not PASID-capable either
	EXPECT_EQ(-EINVAL, m.Attach(dfd, &pt));
	// RID detach: blocked, CD table kept for PASID 7 (S1DSS=TERMINATE).
	ASSERT_EQ(0, m.Detach(dfd));
	Ste(ste);
	EXPECT_EQ(Cfg(ste), 5u);
	EXPECT_EQ(S1dss(ste), 0u);
	EXPECT_EQ(Dma(true, 7).pa, m.Pa(b1) + 0x40);
}

TEST_F(Pasid, ErrnoRules)
{
	uint32_t pt = h0;
	// vfio: argsz must reach the pasid field when the flag is set.
	EXPECT_EQ(-EINVAL, AttachPasid(1, &pt, 12));
	u_attach_pt a{};
	a.argsz = sizeof(a);
	a.flags = 2;
	a.pt_id = h0;
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a));
	u_detach_pt d{};
	d.argsz = 8;
	d.flags = VFIO_DEVICE_DETACH_PASID;
	EXPECT_EQ(-EINVAL, m.Ioctl(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d));
	// iommufd: an IOAS (automatic domain) and a HWPT without the flag.
	pt = ioas0;
	EXPECT_EQ(-EINVAL, AttachPasid(1, &pt));
	uint32_t plain = 0;
	ASSERT_EQ(0, m.HwptAlloc(ifd, dev, ioas0, 0, &plain));
	pt = plain;
	EXPECT_EQ(-EINVAL, AttachPasid(1, &pt));
	pt = 999;
	EXPECT_EQ(-ENOENT, AttachPasid(1, &pt));
	// The core: past max_pasids (2^8).
	pt = h0;
	EXPECT_EQ(-EINVAL, AttachPasid(256, &pt));
	pt = h0;
	EXPECT_EQ(0, AttachPasid(255, &pt));
	// Nesting: no PASID-capable nest parent or nested domain on arm-smmu-v3.
	uint32_t parent = 0, viommu = 0, nested = 0;
	EXPECT_EQ(-EOPNOTSUPP, m.HwptAlloc(ifd, dev, ioas0,
	                                   IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID,
	                                   &parent));
	ASSERT_EQ(0, m.HwptAlloc(ifd, dev, ioas0, IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	pt = parent;
	EXPECT_EQ(-EINVAL, AttachPasid(2, &pt));
	ASSERT_EQ(0, m.ViommuAlloc(ifd, dev, parent, &viommu));
	const uint64_t vste[2] = {0x9, 0}; // V=1, Config=S1 bypass
	EXPECT_EQ(-EOPNOTSUPP, m.HwptAlloc(ifd, dev, viommu, IOMMU_HWPT_ALLOC_PASID, &nested,
	                                   IOMMU_HWPT_DATA_ARM_SMMUV3, vste, sizeof(vste)));
	ASSERT_EQ(0, m.HwptAlloc(ifd, dev, viommu, 0, &nested, IOMMU_HWPT_DATA_ARM_SMMUV3, vste,
	                         sizeof(vste)));
	pt = nested;
	EXPECT_EQ(-EINVAL, AttachPasid(2, &pt));
	pt = nested; // the RID cannot go nested while PASID 255 is attached
	EXPECT_EQ(-EINVAL, m.Attach(dfd, &pt));
	// With the RID nested (allowed once no PASID is left), a PASID is
	// refused: the RID's HWPT is not PASID-capable.
	ASSERT_EQ(0, DetachPasid(255));
	pt = nested;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	pt = h0;
	EXPECT_EQ(-EINVAL, AttachPasid(3, &pt));
}

TEST_F(Pasid, DriverRefusesAPasidUnderAStage2Rid)
{
	// iommufd's compat rule refuses this first; the driver's own check
	// (arm_smmu_set_pasid: no CD table in a stage-2 STE) is the last line.
	uint32_t parent = 0;
	ASSERT_EQ(0, m.HwptAlloc(ifd, dev, ioas0, IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	uint32_t pt = parent;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	const ifd_hwpt *s1 = iommufd_device_pt(m.k->devs[0]->idev, 0);
	ASSERT_NE(s1, nullptr);
	uint32_t h = h0;
	EXPECT_EQ(-EINVAL, AttachPasid(4, &h));
	kcall c{};
	c.env = &m.k->env;
	arm_smmu_master *mm = m.k->devs[0]->master;
	EXPECT_EQ(-EINVAL, arm_smmu_set_dev_pasid(s1->domain, mm, 4, &c)); // not stage 1
	EXPECT_EQ(arm_smmu_master_npasids(mm), 0u);
}

TEST(PasidNoCapability, AttachSucceedsWithoutProgramming)
{
	// A device without the PCI PASID capability (ssid_bits 0): 7.0's core
	// skips it (max_pasids 0) and reports success; nothing is programmed.
	FdRig m(1);
	ASSERT_EQ(0, m.AddDev("nic0", 0, 0x10));
	m.Boot();
	int ifd = m.Open("/dev/iommu"), dfd = m.Open("/dev/vfio/devices/vfio0");
	uint32_t dev = 0, ioas = 0, h = 0;
	ASSERT_EQ(0, m.Bind(dfd, ifd, &dev));
	ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas));
	ASSERT_EQ(0, m.HwptAlloc(ifd, dev, ioas, IOMMU_HWPT_ALLOC_PASID, &h));
	u_attach_pt a{};
	a.argsz = sizeof(a);
	a.flags = VFIO_DEVICE_ATTACH_PASID;
	a.pt_id = h;
	a.pasid = 1;
	EXPECT_EQ(0, m.Ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a));
	EXPECT_EQ(m.last.cd_writes, 0u);
	EXPECT_EQ(m.last.ste_writes, 0u);
	uint64_t ste[8];
	arm_smmu_master_ste(m.k->devs[0]->master, ste);
	EXPECT_EQ(Cfg(ste), 0u);
	EXPECT_EQ(0, m.Close(dfd));
	EXPECT_EQ(0, m.Destroy(ifd, h));
}

} // namespace
