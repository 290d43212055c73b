// /dev/iommu nesting end to end through the public syscall API: bind,
// GET_HW_INFO, IOAS + guest RAM, NEST_PARENT HWPT, vIOMMU, vDEVICE,
// vEVENTQ, a nested HWPT from a guest vSTE, attach, DMA through the real
// SMMU model (guest stage 1 built in the DRAM behind the mmap'd guest RAM,
// over the VMM's stage 2), HWPT_INVALIDATE (a forwarded TLBI, a rejected
// opcode), a guest fault read from the vEVENTQ fd with the vSID; and each
// errno rule of HWPT_ALLOC, VIOMMU/VDEVICE/VEVENTQ/HW_QUEUE/FAULT_QUEUE
// allocation, HWPT_INVALIDATE and GET_HW_INFO.
#include "fd_rig.h"

#include <array>
#include <vector>

namespace
{

constexpr uint64_t kGuestIpa = 0x10000000ull; // guest RAM at IPA 256 MiB
constexpr uint64_t kGuestSize = 4ull << 20;
constexpr uint32_t kSid = 0x10;
constexpr uint64_t kVsid = 0x8;
constexpr uint32_t FIXED =
    IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;

// The guest's view of its RAM: IPAs, backed by the DRAM of the VMM's mmap.
struct GuestMem {
	ShimRig *r;
	uint64_t pa, next;
	uint64_t Pa(uint64_t ipa) const { return ipa - kGuestIpa + pa; }
	static int Rd(void *ctx, uint64_t ipa, uint64_t *v)
	{
		auto *g = static_cast<GuestMem *>(ctx);
		*v = g->r->Read64(g->Pa(ipa));
		return 0;
	}
	static int Wr(void *ctx, uint64_t ipa, uint64_t v)
	{
		auto *g = static_cast<GuestMem *>(ctx);
		g->r->Write64(g->Pa(ipa), v);
		return 0;
	}
	static int Al(void *ctx, uint64_t size, uint64_t *ipa)
	{
		auto *g = static_cast<GuestMem *>(ctx);
		uint64_t a = (g->next + size - 1) & ~(size - 1);
		g->next = a + size;
		for (uint64_t o = 0; o < size; o += 8)
			g->r->Write64(g->Pa(a + o), 0);
		*ipa = a;
		return 0;
	}
};

struct Nest : FdBound {
	uint32_t ioas = 0, s2 = 0, viommu = 0, vdev = 0, veventq = 0;
	int qfd = -1;
	uint64_t ram = 0;
	GuestMem gm{};
	smmu_pt_ops gops{GuestMem::Rd, GuestMem::Wr, GuestMem::Al};
	smmu_pt gpt{};
	uint64_t cd_ipa = 0;

	void SetUp() override
	{
		FdBound::SetUp();
		ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas));
		ram = m.Mmap(kGuestSize);
		uint64_t iova = kGuestIpa;
		ASSERT_EQ(0, m.Map(ifd, ioas, ram, kGuestSize, &iova));
		ASSERT_EQ(0, m.HwptAlloc(ifd, dev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &s2));
		ASSERT_EQ(0, m.ViommuAlloc(ifd, dev, s2, &viommu));
		ASSERT_EQ(0, m.VdevAlloc(ifd, viommu, dev, kVsid, &vdev));
		u_veventq_alloc q{};
		q.size = sizeof(q);
		q.viommu_id = viommu;
		q.type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3;
		q.veventq_depth = 4;
		ASSERT_EQ(0, m.Ioctl(ifd, IOMMU_VEVENTQ_ALLOC, &q));
		veventq = q.out_veventq_id;
		qfd = (int)q.out_veventq_fd;
		ASSERT_GE(qfd, 3);
		// The guest builds its stage 1 and CD in its RAM.
		gm.r = &m.r;
		gm.pa = m.Pa(ram);
		gm.next = kGuestIpa;
		smmu_pt_cfg pc{};
		pc.granule_shift = 12;
		pc.tsz = 16;
		pc.start_level = -1;
		ASSERT_EQ(smmu_pt_init(&gpt, &pc, &gops, &gm), SMMU_PT_OK);
		GuestMap(0x1000, kGuestIpa + 0x100000);
		uint64_t cd[8];
		smmu_build_cd(cd, gpt.root, 9, 12, 48);
		gm.Al(&gm, 64, &cd_ipa);
		for (int i = 0; i < 8; i++)
			m.r.Write64(gm.Pa(cd_ipa) + 8 * i, cd[i]);
	}
	void GuestMap(uint64_t va, uint64_t ipa)
	{
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, false);
		a.ng = true;
		ASSERT_EQ(smmu_pt_map(&gpt, va, ipa, 4096, 12, &a), SMMU_PT_OK);
	}
	void Vste(uint64_t v[2])
	{
		v[0] = 1 | (5ull << 1) | (cd_ipa & 0x000FFFFFFFFFFFC0ull);
		v[1] = (1ull << 2) | (1ull << 4) | (3ull << 6);
	}
	int64_t Nested(uint32_t *out, const uint64_t *v = nullptr, uint32_t len = 16,
	               uint32_t pt = 0, uint32_t type = IOMMU_HWPT_DATA_ARM_SMMUV3)
	{
		uint64_t vs[2];
		if (!v) {
			Vste(vs);
			v = vs;
		}
		return m.HwptAlloc(ifd, dev, pt ? pt : viommu, 0, out, type, v, len);
	}
	int64_t Inv(uint32_t id, std::vector<std::array<uint64_t, 2>> &cmds, uint32_t *num,
	            uint32_t type = IOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3, uint32_t len = 16)
	{
		u_hwpt_invalidate c{};
		c.size = sizeof(c);
		c.hwpt_id = id;
		c.data_uptr = cmds.empty() ? 0 : (uint64_t)(uintptr_t)cmds.data();
		c.data_type = type;
		c.entry_len = len;
		c.entry_num = (uint32_t)cmds.size();
		int64_t rc = m.Ioctl(ifd, IOMMU_HWPT_INVALIDATE, &c);
		*num = c.entry_num;
		return rc;
	}
};

TEST_F(Nest, GuestStage1OverVmmStage2TranslatesDma)
{
	uint32_t nested;
	ASSERT_EQ(0, Nested(&nested));
	uint32_t pt = nested;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	EXPECT_EQ(pt, nested);
	auto x = m.r.Dma(0, kSid, 0x1234, true);
	ASSERT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, m.Pa(ram) + 0x100234);
	EXPECT_EQ(x.asid, 9u);
	// A guest VA it never mapped faults; the event reaches the vEVENTQ
	// with the vSID once the driver's interrupt handler runs.
	auto f = m.r.Dma(0, kSid, 0x5000, false);
	EXPECT_NE(f.outcome, SMMU_XLATE_OK);
	ASSERT_EQ(0, m.Irq(0));
	uint8_t buf[256] = {};
	int64_t n = m.Read(qfd, buf, sizeof(buf));
	ASSERT_EQ(n, 40);
	uint32_t hdr[2];
	memcpy(hdr, buf, 8);
	EXPECT_EQ(hdr[0], 0u); // no LOST_EVENTS
	EXPECT_EQ(hdr[1], 0u); // first sequence number
	uint64_t evt0;
	memcpy(&evt0, buf + 8, 8);
	EXPECT_EQ(evt0 & 0xff, 0x10u);               // F_TRANSLATION
	EXPECT_EQ(evt0 >> 32, kVsid);                // StreamID replaced by the vSID
	EXPECT_EQ(m.Read(qfd, buf, sizeof(buf)), 0); // drained
}

TEST_F(Nest, ForwardedTlbiMakesGuestUnmapVisible)
{
	uint32_t nested, pt;
	ASSERT_EQ(0, Nested(&nested));
	pt = nested;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	ASSERT_EQ(m.r.Dma(0, kSid, 0x1000, false).outcome, SMMU_XLATE_OK);
	// The guest unmaps VA 0x1000: the cached entry still hits.
	ASSERT_EQ(smmu_pt_unmap(&gpt, 0x1000, 4096), SMMU_PT_OK);
	EXPECT_EQ(m.r.Dma(0, kSid, 0x1000, false).outcome, SMMU_XLATE_OK);
	// Its TLBI_NH_VA (VMID left 0 by the guest) is forwarded.
	std::vector<std::array<uint64_t, 2>> cmds(1);
	smmu_cmd_tlbi_nh_va(cmds[0].data(), 0, 9, 0x1000, nullptr);
	uint32_t num = 0;
	ASSERT_EQ(0, Inv(viommu, cmds, &num));
	EXPECT_EQ(num, 1u);
	ASSERT_GE(m.last.ncmds, 2u);
	EXPECT_EQ(m.last.cmds[0], 0x12);
	EXPECT_EQ(m.last.cmds[m.last.ncmds - 1], 0x46);
	EXPECT_STREQ(m.last.request, "IOMMU_HWPT_INVALIDATE");
	EXPECT_NE(m.r.Dma(0, kSid, 0x1000, false).outcome, SMMU_XLATE_OK);
}

TEST_F(Nest, RejectedOpcodeIsEioWithEntryNum)
{
	std::vector<std::array<uint64_t, 2>> cmds(2);
	smmu_cmd_tlbi_nh_asid(cmds[0].data(), 0, 9);
	smmu_cmd_sync(cmds[1].data(), 0, 0, 0); // CMD_SYNC is not the guest's to send
	uint32_t num = 99;
	EXPECT_EQ(-EIO, Inv(viommu, cmds, &num));
	EXPECT_EQ(num, 1u); // 7.0: the converted command before it is counted
	EXPECT_EQ(std::string(m.last.why),
		  "entry 1: opcode 0x46 is not one a guest may send (TLBI_NH_VA, _VAA, _ALL, _ASID, "
		  "TLBI_NSNH_ALL, ATC_INV, CFGI_CD, CFGI_CD_ALL)");
	smmu_cmd_cfgi_cd_all(cmds[1].data(), 0x77); // a vSID no vDEVICE has
	EXPECT_EQ(-EIO, Inv(viommu, cmds, &num));
	EXPECT_EQ(std::string(m.last.why),
		  "entry 1: command 0x06 names virtual StreamID 0x77, which no vDEVICE of this "
		  "vIOMMU has");
}

TEST_F(Nest, InvalidateArgumentRules)
{
	std::vector<std::array<uint64_t, 2>> none, one(1);
	smmu_cmd_tlbi_nh_all(one[0].data(), 0);
	uint32_t num;
	// No entries: EINVAL whatever the type (arm_vsmmu_cache_invalidate ->
	// iommu_copy_struct_from_full_user_array: no zero-entry probe), none
	// done.
	num = 7;
	EXPECT_EQ(-EINVAL, Inv(viommu, none, &num));
	EXPECT_EQ(num, 0u);
	EXPECT_EQ(-EINVAL, Inv(viommu, none, &num, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1));
	// entries without a pointer or an entry_len: EINVAL.
	EXPECT_EQ(-EINVAL, Inv(viommu, one, &num, IOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3, 0));
	// Larger entries with non-zero tails: E2BIG; zero tails are fine.
	std::vector<std::array<uint64_t, 2>> wide(2);
	wide[0] = one[0];
	wide[1] = {0, 1};
	u_hwpt_invalidate c{};
	c.size = sizeof(c);
	c.hwpt_id = viommu;
	c.data_uptr = (uint64_t)(uintptr_t)wide.data();
	c.data_type = IOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3;
	c.entry_len = 32;
	c.entry_num = 1;
	wide[1] = {0, 0};
	EXPECT_EQ(0, m.Ioctl(ifd, IOMMU_HWPT_INVALIDATE, &c));
	wide[1] = {0, 1};
	EXPECT_EQ(-E2BIG, m.Ioctl(ifd, IOMMU_HWPT_INVALIDATE, &c));
	// Reserved: EOPNOTSUPP; a paging HWPT or IOAS: EINVAL; nested HWPT:
	// EOPNOTSUPP; unknown ID: ENOENT.
	c.__reserved = 1;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_HWPT_INVALIDATE, &c));
	EXPECT_EQ(-EINVAL, Inv(s2, one, &num));
	EXPECT_EQ(-EINVAL, Inv(ioas, one, &num));
	uint32_t nested;
	ASSERT_EQ(0, Nested(&nested));
	EXPECT_EQ(-EOPNOTSUPP, Inv(nested, one, &num));
	EXPECT_EQ(-ENOENT, Inv(999, one, &num));
	EXPECT_EQ(num, 0u);
	// An array kcalloc() cannot hold: ENOMEM.
	c.__reserved = 0;
	c.entry_len = 16;
	c.entry_num = (4u << 20) / 16 + 1;
	EXPECT_EQ(-ENOMEM, m.Ioctl(ifd, IOMMU_HWPT_INVALIDATE, &c));
	EXPECT_EQ(c.entry_num, 0u);
}

TEST_F(Nest, VeventqLostEventsAndSequence)
{
	uint32_t nested, pt;
	ASSERT_EQ(0, Nested(&nested));
	pt = nested;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	// Six faults into a depth-4 queue: four events then one LOST_EVENTS.
	for (int i = 0; i < 6; i++)
		m.r.Dma(0, kSid, 0x100000 + 0x1000 * i, false);
	ASSERT_EQ(0, m.Irq(0));
	uint8_t buf[512];
	// A buffer of one record and a half returns one record.
	EXPECT_EQ(m.Read(qfd, buf, 60), 40);
	int64_t n = m.Read(qfd, buf, sizeof(buf));
	ASSERT_EQ(n, 3 * 40 + 8);
	uint32_t hdr[2];
	memcpy(hdr, buf + 40, 8);
	EXPECT_EQ(hdr[1], 2u);
	memcpy(hdr, buf + 120, 8);
	EXPECT_EQ(hdr[0], IOMMU_VEVENTQ_FLAG_LOST_EVENTS);
	EXPECT_EQ(hdr[1], 5u); // re-queued with the sequence of the last lost event
	// Room again: the next event follows the gap.
	m.r.Dma(0, kSid, 0x200000, false);
	ASSERT_EQ(0, m.Irq(0));
	ASSERT_EQ(m.Read(qfd, buf, sizeof(buf)), 40);
	memcpy(hdr, buf, 8);
	EXPECT_EQ(hdr[0], 0u);
	EXPECT_EQ(hdr[1], 6u);
}

TEST_F(Nest, VeventqFdHoldsTheObject)
{
	EXPECT_EQ(-EBUSY, m.Destroy(ifd, veventq));
	EXPECT_EQ(-EBUSY, m.Destroy(ifd, viommu)); // the queue and vDEVICE hold it
	EXPECT_EQ(0, m.Close(qfd));
	EXPECT_EQ(0, m.Destroy(ifd, veventq));
	EXPECT_EQ(0, m.Destroy(ifd, vdev));
	EXPECT_EQ(0, m.Destroy(ifd, viommu));
	EXPECT_EQ(0, m.Destroy(ifd, s2));
	EXPECT_EQ(0, m.Destroy(ifd, ioas));
}

TEST_F(Nest, VeventqRules)
{
	u_veventq_alloc q{};
	q.size = sizeof(q);
	q.viommu_id = viommu;
	q.type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3;
	q.veventq_depth = 4;
	EXPECT_EQ(-EEXIST, m.Ioctl(ifd, IOMMU_VEVENTQ_ALLOC, &q));
	q.veventq_depth = 0;
	EXPECT_EQ(-EINVAL, m.Ioctl(ifd, IOMMU_VEVENTQ_ALLOC, &q));
	q.veventq_depth = 4;
	q.type = IOMMU_VEVENTQ_TYPE_DEFAULT;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_VEVENTQ_ALLOC, &q));
	q.type = IOMMU_VEVENTQ_TYPE_ARM_SMMUV3;
	q.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_VEVENTQ_ALLOC, &q));
	q.flags = 0;
	q.__reserved = 1;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_VEVENTQ_ALLOC, &q));
	q.__reserved = 0;
	q.viommu_id = ioas;
	EXPECT_EQ(-ENOENT, m.Ioctl(ifd, IOMMU_VEVENTQ_ALLOC, &q));
	// Another type gets its own queue, once.
	q.viommu_id = viommu;
	q.type = IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV;
	EXPECT_EQ(0, m.Ioctl(ifd, IOMMU_VEVENTQ_ALLOC, &q));
	EXPECT_EQ(-EEXIST, m.Ioctl(ifd, IOMMU_VEVENTQ_ALLOC, &q));
	// so does a type no driver knows (7.0 looks any type up in its list)
	q.type = 7;
	EXPECT_EQ(0, m.Ioctl(ifd, IOMMU_VEVENTQ_ALLOC, &q));
	EXPECT_EQ(-EEXIST, m.Ioctl(ifd, IOMMU_VEVENTQ_ALLOC, &q));
}

TEST_F(Nest, NestedAllocRules)
{
	uint32_t h;
	uint64_t v[4] = {};
	Vste(v);
	// data_type/data_len mismatch: EINVAL.
	EXPECT_EQ(-EINVAL, m.HwptAlloc(ifd, dev, viommu, 0, &h, IOMMU_HWPT_DATA_NONE, v, 16));
	EXPECT_EQ(-EINVAL, m.HwptAlloc(ifd, dev, viommu, 0, &h, IOMMU_HWPT_DATA_ARM_SMMUV3, v, 0));
	// Wrong data type for the vIOMMU, or too short: EINVAL.
	EXPECT_EQ(-EINVAL, Nested(&h, v, 16, 0, IOMMU_HWPT_DATA_VTD_S1));
	EXPECT_EQ(-EINVAL, Nested(&h, v, 8));
	// Longer than the vSTE, zero tail or not: EINVAL (the length must lie
	// between offsetofend(ste) and sizeof, both 16).
	v[3] = 1;
	EXPECT_EQ(-EINVAL, Nested(&h, v, 32));
	v[3] = 0;
	EXPECT_EQ(-EINVAL, Nested(&h, v, 32));
	EXPECT_EQ(-EINVAL, Nested(&h, v, 24));
	EXPECT_EQ(0, Nested(&h, v, 16));
	// A vSTE bit outside the allowed set: EIO.
	uint64_t bad[2] = {v[0] | (1ull << 58), v[1]};
	EXPECT_EQ(-EIO, Nested(&h, bad, 16));
	// ... and the call says which (shim_call.why)
	EXPECT_EQ(std::string(m.last.why).rfind("vSTE word 0 sets bits 0x400000000000000 a guest's "
						"STE may not (word 0 allows 0x",
						0),
		  0u)
	    << m.last.why;
	bad[0] = (v[0] & ~0xeull) | (6u << 1); // Config 0b110: stage 2 only
	EXPECT_EQ(-EIO, Nested(&h, bad, 16));
	EXPECT_EQ(std::string(m.last.why), "vSTE Config 0x6 (word 0 bits [3:1]): a guest's STE is "
					   "abort (0x0), bypass (0x4) or stage-1 translate (0x5)");
	// Flags other than FAULT_ID_VALID: EOPNOTSUPP.
	EXPECT_EQ(-EOPNOTSUPP, m.HwptAlloc(ifd, dev, viommu, IOMMU_HWPT_ALLOC_NEST_PARENT, &h,
	                                   IOMMU_HWPT_DATA_ARM_SMMUV3, v, 16));
	// From the parent HWPT directly (no vIOMMU): EOPNOTSUPP on SMMUv3.
	EXPECT_EQ(-EOPNOTSUPP, Nested(&h, v, 16, s2));
	// Unknown pt_id: EINVAL; unknown dev_id: ENOENT; reserved: EOPNOTSUPP.
	EXPECT_EQ(-EINVAL, Nested(&h, v, 16, 999));
	EXPECT_EQ(-ENOENT, m.HwptAlloc(ifd, 999, viommu, 0, &h, IOMMU_HWPT_DATA_ARM_SMMUV3, v, 16));
	u_hwpt_alloc a{};
	a.size = sizeof(a);
	a.dev_id = dev;
	a.pt_id = ioas;
	a.__reserved = 1;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_HWPT_ALLOC, &a));
}

TEST_F(Nest, FaultQueueAndFaultIdValid)
{
	u_fault_alloc f{};
	f.size = sizeof(f);
	ASSERT_EQ(0, m.Ioctl(ifd, IOMMU_FAULT_QUEUE_ALLOC, &f));
	EXPECT_GE((int)f.out_fault_fd, 3);
	uint8_t b[80];
	// whole 40-byte iommu_hwpt_pgfault records only; nothing pending reads 0
	EXPECT_EQ(-ESPIPE, m.Read((int)f.out_fault_fd, b, 64));
	EXPECT_EQ(0, m.Read((int)f.out_fault_fd, b, sizeof(b)));
	uint64_t v[2];
	Vste(v);
	u_hwpt_alloc a{};
	a.size = sizeof(a);
	a.flags = IOMMU_HWPT_FAULT_ID_VALID;
	a.dev_id = dev;
	a.pt_id = viommu;
	a.data_type = IOMMU_HWPT_DATA_ARM_SMMUV3;
	a.data_len = 16;
	a.data_uptr = (uint64_t)(uintptr_t)v;
	a.fault_id = f.out_fault_id;
	ASSERT_EQ(0, m.Ioctl(ifd, IOMMU_HWPT_ALLOC, &a));
	EXPECT_EQ(-EBUSY, m.Destroy(ifd, f.out_fault_id));
	a.fault_id = ioas;
	EXPECT_EQ(-ENOENT, m.Ioctl(ifd, IOMMU_HWPT_ALLOC, &a));
	// A nesting parent takes no fault queue (iommufd_hwpt_paging_alloc):
	// EOPNOTSUPP before the fault id is looked at, valid or not.
	u_hwpt_alloc pa{};
	pa.size = sizeof(pa);
	pa.flags = IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_FAULT_ID_VALID;
	pa.dev_id = dev;
	pa.pt_id = ioas;
	pa.fault_id = f.out_fault_id;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_HWPT_ALLOC, &pa));
	pa.fault_id = 0x999;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_HWPT_ALLOC, &pa));
	f.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_FAULT_QUEUE_ALLOC, &f));
}

TEST_F(Nest, HwQueueAllocIsEopnotsuppWithoutCmdqv)
{
	u_hw_queue_alloc q{};
	q.size = sizeof(q);
	q.viommu_id = viommu;
	q.type = IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV;
	q.length = 0x1000;
	q.nesting_parent_iova = kGuestIpa;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_HW_QUEUE_ALLOC, &q));
	q.viommu_id = 999;
	EXPECT_EQ(-ENOENT, m.Ioctl(ifd, IOMMU_HW_QUEUE_ALLOC, &q));
	q.length = 0;
	EXPECT_EQ(-EINVAL, m.Ioctl(ifd, IOMMU_HW_QUEUE_ALLOC, &q));
	q.length = 0x1000;
	q.nesting_parent_iova = UINT64_MAX;
	EXPECT_EQ(-EOVERFLOW, m.Ioctl(ifd, IOMMU_HW_QUEUE_ALLOC, &q));
	q.type = IOMMU_HW_QUEUE_TYPE_DEFAULT;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_HW_QUEUE_ALLOC, &q));
}

TEST_F(Nest, ViommuRules)
{
	uint32_t v, paging;
	EXPECT_EQ(-EOPNOTSUPP, m.ViommuAlloc(ifd, dev, s2, &v, IOMMU_VIOMMU_TYPE_DEFAULT));
	EXPECT_EQ(-EOPNOTSUPP, m.ViommuAlloc(ifd, dev, s2, &v, IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV));
	EXPECT_EQ(-ENOENT, m.ViommuAlloc(ifd, 999, s2, &v));
	EXPECT_EQ(-ENOENT, m.ViommuAlloc(ifd, dev, ioas, &v));
	ASSERT_EQ(0, m.HwptAlloc(ifd, dev, ioas, 0, &paging));
	EXPECT_EQ(-EINVAL, m.ViommuAlloc(ifd, dev, paging, &v));
	// A second vIOMMU on the same parent shares its VMID (7.0).
	EXPECT_EQ(0, m.ViommuAlloc(ifd, dev, s2, &v));
}

TEST_F(Nest, VdeviceRules)
{
	uint32_t v2, vd;
	EXPECT_EQ(-EEXIST, m.VdevAlloc(ifd, viommu, dev, 0x9, &vd)); // device has one
	ASSERT_EQ(0, m.ViommuAlloc(ifd, dev, s2, &v2));
	EXPECT_EQ(-ENOENT, m.VdevAlloc(ifd, 999, dev, 0x9, &vd));
	EXPECT_EQ(-ENOENT, m.VdevAlloc(ifd, viommu, 999, 0x9, &vd));
	EXPECT_EQ(-EBUSY, m.Destroy(ifd, dev));
}

TEST_F(Nest, UnbindTombstonesTheVdevice)
{
	uint32_t nested, pt;
	ASSERT_EQ(0, Nested(&nested));
	pt = nested;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	ASSERT_EQ(0, m.Close(dfd));
	// The vDEVICE is gone and its ID is not reused.
	EXPECT_EQ(-ENOENT, m.Destroy(ifd, vdev));
	uint32_t x;
	ASSERT_EQ(0, m.IoasAlloc(ifd, &x));
	EXPECT_NE(x, vdev);
	// The device left the nested domain: blocked again? No: its DMA owner
	// is released, so the device is back on its default domain.
	EXPECT_EQ(0, m.Destroy(ifd, nested));
}

TEST_F(Nest, AttachS1VsteWithoutVdeviceIsEnoent)
{
	ASSERT_EQ(0, m.Destroy(ifd, vdev));
	uint32_t nested, pt;
	ASSERT_EQ(0, Nested(&nested));
	pt = nested;
	EXPECT_EQ(-ENOENT, m.Attach(dfd, &pt));
	// A bypass vSTE (Cfg=4) may attach without one: the parent's S2 serves.
	uint64_t byp[2] = {1 | (4ull << 1), 0};
	uint32_t h;
	ASSERT_EQ(0, Nested(&h, byp));
	pt = h;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	auto x = m.r.Dma(0, kSid, kGuestIpa + 0x2000, false);
	ASSERT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, m.Pa(ram) + 0x2000);
}

TEST_F(Nest, ParentDestroyBusyWhileViommuLives)
{
	EXPECT_EQ(-EBUSY, m.Destroy(ifd, s2));
	EXPECT_EQ(-EBUSY, m.Destroy(ifd, ioas));
}

TEST(FdNested, ViommuNeedsCanwbsOrS2fwb)
{
	FdRig m(1);
	ASSERT_EQ(0, m.AddDev("d", 0, 0x10, /*canwbs=*/false));
	m.Boot();
	int ifd = m.Open("/dev/iommu"), dfd = m.Open("/dev/vfio/devices/vfio0");
	uint32_t dev, ioas, s2, v;
	ASSERT_EQ(0, m.Bind(dfd, ifd, &dev));
	ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas));
	ASSERT_EQ(0, m.HwptAlloc(ifd, dev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &s2));
	uint32_t feat_s2fwb = 0;
	(void)feat_s2fwb;
	int64_t rc = m.ViommuAlloc(ifd, dev, s2, &v);
	// The default SMMU configuration has no S2FWB: refused.
	EXPECT_EQ(-EOPNOTSUPP, rc);
}

TEST(FdNested, NestedOnAnotherSmmusViommuIsEinval)
{
	FdRig m(2);
	ASSERT_EQ(0, m.AddDev("a", 0, 0x10));
	ASSERT_EQ(1, m.AddDev("b", 1, 0x20));
	m.Boot();
	int ifd = m.Open("/dev/iommu");
	int da = m.Open("/dev/vfio/devices/vfio0"), db = m.Open("/dev/vfio/devices/vfio1");
	uint32_t deva, devb, ioas, s2, v, vd, h;
	ASSERT_EQ(0, m.Bind(da, ifd, &deva));
	ASSERT_EQ(0, m.Bind(db, ifd, &devb));
	ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas));
	ASSERT_EQ(0, m.HwptAlloc(ifd, deva, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &s2));
	ASSERT_EQ(0, m.ViommuAlloc(ifd, deva, s2, &v));
	EXPECT_EQ(-EINVAL, m.VdevAlloc(ifd, v, devb, 0x9, &vd));
	uint64_t ste[2] = {0, 0};
	EXPECT_EQ(-EINVAL, m.HwptAlloc(ifd, devb, v, 0, &h, IOMMU_HWPT_DATA_ARM_SMMUV3, ste, 16));
	// The parent S2 belongs to SMMU 0: a vIOMMU for a device of SMMU 1 is EINVAL.
	EXPECT_EQ(-EINVAL, m.ViommuAlloc(ifd, devb, s2, &v));
}

TEST(FdNested, DuplicateVsidIsEexist)
{
	FdRig m(1);
	ASSERT_EQ(0, m.AddDev("a", 0, 0x10));
	ASSERT_EQ(1, m.AddDev("b", 0, 0x20));
	m.Boot();
	int ifd = m.Open("/dev/iommu");
	int da = m.Open("/dev/vfio/devices/vfio0"), db = m.Open("/dev/vfio/devices/vfio1");
	uint32_t deva, devb, ioas, s2, v, vd;
	ASSERT_EQ(0, m.Bind(da, ifd, &deva));
	ASSERT_EQ(0, m.Bind(db, ifd, &devb));
	ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas));
	ASSERT_EQ(0, m.HwptAlloc(ifd, deva, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &s2));
	ASSERT_EQ(0, m.ViommuAlloc(ifd, deva, s2, &v));
	ASSERT_EQ(0, m.VdevAlloc(ifd, v, deva, 0x8, &vd));
	EXPECT_EQ(-EEXIST, m.VdevAlloc(ifd, v, devb, 0x8, &vd));
	EXPECT_EQ(0, m.VdevAlloc(ifd, v, devb, 0x9, &vd));
}

TEST(FdHwpt, PagingAllocRules)
{
	FdRig m(1);
	ASSERT_EQ(0, m.AddDev("d", 0, 0x10));
	m.Boot();
	int ifd = m.Open("/dev/iommu"), dfd = m.Open("/dev/vfio/devices/vfio0");
	uint32_t dev, ioas, h;
	ASSERT_EQ(0, m.Bind(dfd, ifd, &dev));
	ASSERT_EQ(0, m.IoasAlloc(ifd, &ioas));
	EXPECT_EQ(-EOPNOTSUPP, m.HwptAlloc(ifd, dev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &h));
	EXPECT_EQ(-EOPNOTSUPP, m.HwptAlloc(ifd, dev, ioas, 1u << 7, &h));
	uint64_t d[2] = {1, 2};
	EXPECT_EQ(-EOPNOTSUPP,
	          m.HwptAlloc(ifd, dev, ioas, 0, &h, IOMMU_HWPT_DATA_ARM_SMMUV3, d, 16));
	EXPECT_EQ(-EINVAL, m.HwptAlloc(ifd, dev, dev, 0, &h)); // pt_id of a device
	ASSERT_EQ(0, m.HwptAlloc(ifd, dev, ioas, 0, &h));
	// An explicit HWPT holds its IOAS; attaching to it is not an auto domain.
	EXPECT_EQ(-EBUSY, m.Destroy(ifd, ioas));
	uint32_t pt = h;
	ASSERT_EQ(0, m.Attach(dfd, &pt));
	EXPECT_EQ(pt, h);
	EXPECT_EQ(-EBUSY, m.Destroy(ifd, h));
	ASSERT_EQ(0, m.Detach(dfd));
	EXPECT_EQ(0, m.Destroy(ifd, h)); // explicit: survives detach, destroyed by user
	// Dirty tracking ioctls: EOPNOTSUPP.
	ASSERT_EQ(0, m.HwptAlloc(ifd, dev, ioas, 0, &h));
	u_hwpt_set_dirty sd{};
	sd.size = sizeof(sd);
	sd.hwpt_id = h;
	sd.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_HWPT_SET_DIRTY_TRACKING, &sd));
	sd.hwpt_id = ioas;
	EXPECT_EQ(-ENOENT, m.Ioctl(ifd, IOMMU_HWPT_SET_DIRTY_TRACKING, &sd));
}

TEST(FdHwInfo, ArmSmmuV3RegistersAndTruncation)
{
	FdRig m(1);
	ASSERT_EQ(0, m.AddDev("d", 0, 0x10, true, false, 8));
	m.Boot();
	int ifd = m.Open("/dev/iommu"), dfd = m.Open("/dev/vfio/devices/vfio0");
	uint32_t dev;
	ASSERT_EQ(0, m.Bind(dfd, ifd, &dev));
	u_hw_info_arm_smmuv3 info;
	memset(&info, 0xAA, sizeof(info));
	u_hw_info c{};
	c.size = sizeof(c);
	c.dev_id = dev;
	c.data_len = sizeof(info);
	c.data_uptr = (uint64_t)(uintptr_t)&info;
	ASSERT_EQ(0, m.Ioctl(ifd, IOMMU_GET_HW_INFO, &c));
	EXPECT_EQ(c.data_type, IOMMU_HW_INFO_TYPE_ARM_SMMUV3);
	EXPECT_EQ(c.data_len, 40u);
	EXPECT_EQ(info.flags, 0u);
	EXPECT_EQ(info.idr[0], (uint32_t)m.r.Reg(0, SMMU_REG_IDR0));
	EXPECT_EQ(info.idr[1], (uint32_t)m.r.Reg(0, SMMU_REG_IDR1));
	EXPECT_EQ(info.idr[5], (uint32_t)m.r.Reg(0, SMMU_REG_IDR5));
	EXPECT_EQ(c.out_max_pasid_log2, 8u);
	EXPECT_EQ(c.out_capabilities, IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED);
	// A short buffer is truncated; a long one zero-filled; data_len says 40.
	uint8_t big[64];
	memset(big, 0xAA, sizeof(big));
	c.data_len = 12;
	c.data_uptr = (uint64_t)(uintptr_t)big;
	ASSERT_EQ(0, m.Ioctl(ifd, IOMMU_GET_HW_INFO, &c));
	EXPECT_EQ(c.data_len, 40u);
	EXPECT_EQ(big[12], 0xAA);
	c.data_len = 64;
	ASSERT_EQ(0, m.Ioctl(ifd, IOMMU_GET_HW_INFO, &c));
	EXPECT_EQ(big[63], 0);
	EXPECT_EQ(big[40], 0);
	// Rules: unknown flags / reserved: EOPNOTSUPP; bad dev: ENOENT; an
	// input type other than DEFAULT/ARM_SMMUV3: EOPNOTSUPP.
	c.flags = 2;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_GET_HW_INFO, &c));
	c.flags = 0;
	c.__reserved[1] = 1;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_GET_HW_INFO, &c));
	c.__reserved[1] = 0;
	c.dev_id = 999;
	EXPECT_EQ(-ENOENT, m.Ioctl(ifd, IOMMU_GET_HW_INFO, &c));
	c.dev_id = dev;
	c.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	c.data_type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	EXPECT_EQ(-EOPNOTSUPP, m.Ioctl(ifd, IOMMU_GET_HW_INFO, &c));
	c.data_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	EXPECT_EQ(0, m.Ioctl(ifd, IOMMU_GET_HW_INFO, &c));
	// Without the flag, a random type is ignored.
	c.flags = 0;
	c.data_type = 77;
	EXPECT_EQ(0, m.Ioctl(ifd, IOMMU_GET_HW_INFO, &c));
	EXPECT_EQ(c.data_type, IOMMU_HW_INFO_TYPE_ARM_SMMUV3);
}

} // namespace
