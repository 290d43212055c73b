// arm-smmu-v3 driver model: probe against a real model instance, features
// from the ID registers, masters, S1/S2 translation through the model.
#include "drv_fixture.h"

namespace
{

TEST(DrvProbe, EnablesTheSmmuThroughCr0Ack)
{
	DrvRig r;
	arm_smmu_device *d = r.AddProbed();
	ASSERT_NE(d, nullptr);
	uint32_t ack = (uint32_t)r.Reg(0, SMMU_REG_CR0ACK);
	// IDR0.PRI: the PRI queue is allocated and enabled, with its interrupt
	EXPECT_EQ(ack, SMMU_CR0_SMMUEN | SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN | SMMU_CR0_PRIQEN |
	                   SMMU_CR0_ATSCHK);
	EXPECT_EQ(r.Reg(0, SMMU_REG_IRQ_CTRLACK),
	          SMMU_IRQ_CTRL_GERROR_IRQEN | SMMU_IRQ_CTRL_EVENTQ_IRQEN | SMMU_IRQ_CTRL_PRIQ_IRQEN);
	EXPECT_EQ(r.Reg(0, SMMU_REG_PRIQ_BASE, 8) & SMMU_Q_BASE_LOG2SIZE_MASK, 7u);
	// 2-level stream table (SIDSIZE 16 > STRTAB_SPLIT), queues capped.
	uint32_t cfg = (uint32_t)r.Reg(0, SMMU_REG_STRTAB_BASE_CFG);
	EXPECT_EQ((cfg >> SMMU_STRTAB_FMT_SHIFT) & 3, 1u);
	EXPECT_EQ(cfg & 0x3f, 16u);
	EXPECT_EQ(r.Reg(0, SMMU_REG_CMDQ_BASE, 8) & SMMU_Q_BASE_LOG2SIZE_MASK, 8u);
	EXPECT_EQ(r.S(0).cerrors(), 0u);
	EXPECT_EQ(r.mmio_errors, 0);
}

TEST(DrvProbe, InitialInvalidationsAsLinuxIssuesThem)
{
	DrvRig r;
	r.Add(ShimRig::DefaultConfig());
	arm_smmu_device *d = nullptr;
	CallRec rec = r.Run([&](kcall *k) { return arm_smmu_device_probe(&r.env, 0, k, &d); });
	ASSERT_EQ(rec.rc, 0);
	r.devs.push_back(d);
	// CFGI_ALL + SYNC, TLBI_EL2_ALL + SYNC (FEAT_HYP), TLBI_NSNH_ALL + SYNC.
	std::vector<uint8_t> want = {SMMU_CMD_CFGI_STE_RANGE, SMMU_CMD_SYNC,
	                             SMMU_CMD_TLBI_EL2_ALL,   SMMU_CMD_SYNC,
	                             SMMU_CMD_TLBI_NSNH_ALL,  SMMU_CMD_SYNC};
	EXPECT_EQ(rec.ops, want);
	// Every command reached the model and completed; the SYNC waits took time.
	ASSERT_EQ(r.S(0).cmds.size(), 6u);
	EXPECT_EQ(r.S(0).cerrors(), 0u);
	EXPECT_GT(rec.ns, 3u * r.env.t.poll_interval);
}

TEST(DrvProbe, FeaturesFollowTheConfiguration)
{
	DrvRig r;
	arm_smmu_device *full = r.AddProbed();
	ASSERT_NE(full, nullptr);
	uint32_t f = arm_smmu_features(full);
	EXPECT_TRUE(f & ARM_SMMU_FEAT_NESTING);
	EXPECT_TRUE(f & ARM_SMMU_FEAT_RANGE_INV);
	EXPECT_TRUE(f & ARM_SMMU_FEAT_2_LVL_STRTAB);
	EXPECT_TRUE(f & ARM_SMMU_FEAT_2_LVL_CDTAB);
	EXPECT_TRUE(f & ARM_SMMU_FEAT_ATS);
	EXPECT_TRUE(f & ARM_SMMU_FEAT_HYP);
	EXPECT_TRUE(f & ARM_SMMU_FEAT_COHERENCY);
	EXPECT_FALSE(f & ARM_SMMU_FEAT_STALLS); // STALL_MODEL 01
	EXPECT_EQ(arm_smmu_vmid_bits(full), 16u);
	EXPECT_EQ(arm_smmu_asid_bits(full), 16u);

	smmu_config c = ShimRig::DefaultConfig();
	c.s2p = false;
	c.hyp = false;
	c.ril = false;
	c.st_level2 = false;
	c.sidsize = 6;
	arm_smmu_device *s1only = r.AddProbed(c);
	ASSERT_NE(s1only, nullptr);
	f = arm_smmu_features(s1only);
	EXPECT_FALSE(f & ARM_SMMU_FEAT_NESTING);
	EXPECT_FALSE(f & ARM_SMMU_FEAT_TRANS_S2);
	EXPECT_TRUE(f & ARM_SMMU_FEAT_TRANS_S1);
	EXPECT_FALSE(f & ARM_SMMU_FEAT_RANGE_INV);
	EXPECT_FALSE(f & ARM_SMMU_FEAT_2_LVL_STRTAB);
	EXPECT_EQ(r.Reg(1, SMMU_REG_CR0ACK) & SMMU_CR0_SMMUEN, SMMU_CR0_SMMUEN);
	EXPECT_EQ((r.Reg(1, SMMU_REG_STRTAB_BASE_CFG) >> SMMU_STRTAB_FMT_SHIFT) & 3, 0u);

	arm_smmu_hw_regs regs;
	arm_smmu_get_hw_regs(full, &regs);
	EXPECT_EQ(regs.idr[0], (uint32_t)r.Reg(0, SMMU_REG_IDR0));
	EXPECT_EQ(regs.iidr, r.S(0).cfg.iidr);
}

TEST(DrvProbe, Mmu700ErrataDropNestingAndForceSync)
{
	DrvRig r;
	smmu_config c = ShimRig::DefaultConfig();
	c.iidr = 0x4870043B; // MMU-700 r0p0
	arm_smmu_device *d = r.AddProbed(c);
	ASSERT_NE(d, nullptr);
	EXPECT_FALSE(arm_smmu_features(d) & ARM_SMMU_FEAT_NESTING);
	EXPECT_FALSE(arm_smmu_features(d) & ARM_SMMU_FEAT_BTM);
	c.iidr = 0x4871043B; // MMU-700 r1p0: nesting stays
	arm_smmu_device *d1 = r.AddProbed(c);
	ASSERT_NE(d1, nullptr);
	EXPECT_TRUE(arm_smmu_features(d1) & ARM_SMMU_FEAT_NESTING);
}

TEST(DrvProbe, MastersReachTheirSteAndStartBlocked)
{
	DrvRig r;
	arm_smmu_device *d = r.AddProbed();
	arm_smmu_master *m = r.Master(d, 0x1234);
	ASSERT_NE(m, nullptr);
	EXPECT_EQ(arm_smmu_master_domain(m), arm_smmu_blocked_domain());
	uint64_t ste[8];
	arm_smmu_master_ste(m, ste);
	EXPECT_EQ(ste[0], 1u); // V=1, Config abort
	// A DMA from it is aborted by the STE without an event.
	auto x = r.Dma(0, 0x1234, 0x1000);
	EXPECT_EQ(x.outcome, SMMU_XLATE_ABORT);
	// An unprobed SID of the same L2 table is an abort STE too, one in an
	// unpopulated L1 slot is C_BAD_STREAMID-style invalid.
	EXPECT_EQ(r.Dma(0, 0x1235, 0x1000).outcome, SMMU_XLATE_ABORT);
	arm_smmu_master_desc dup{};
	dup.sid = 0x1234;
	arm_smmu_master *m2 = nullptr;
	EXPECT_EQ(-EEXIST,
	          r.Run([&](kcall *k) { return arm_smmu_probe_master(d, &dup, k, &m2); }).rc);
	dup.sid = 1u << 16;
	EXPECT_EQ(-ERANGE,
	          r.Run([&](kcall *k) { return arm_smmu_probe_master(d, &dup, k, &m2); }).rc);
	EXPECT_EQ(r.S(0).cerrors(), 0u);
}

struct Xlate : ::testing::TestWithParam<bool> {
};

TEST_P(Xlate, PagingDomainTranslatesDmaThroughTheModel)
{
	bool s2 = GetParam();
	DrvRig r;
	arm_smmu_device *d = r.AddProbed();
	arm_smmu_master *m = r.Master(d, 0x10);
	arm_smmu_domain *dom = r.Paging(m, s2 ? ARM_SMMU_ALLOC_NEST_PARENT : 0);
	ASSERT_NE(dom, nullptr);
	EXPECT_EQ(arm_smmu_domain_kind(dom), s2 ? ARM_SMMU_DOMAIN_S2 : ARM_SMMU_DOMAIN_S1);
	CallRec at = r.Attach(dom, m);
	ASSERT_EQ(at.rc, 0);
	uint64_t buf = r.Alloc(0x4000);
	ASSERT_EQ(r.Map(dom, 0x100000, buf, 0x4000).rc, 0);
	uint64_t pa = 0;
	EXPECT_EQ(0, arm_smmu_iova_to_phys(dom, 0x102010, &pa));
	EXPECT_EQ(pa, buf + 0x2010);
	auto x = r.Dma(0, 0x10, 0x102010, true);
	ASSERT_EQ(x.outcome, SMMU_XLATE_OK) << "event " << (int)x.event;
	EXPECT_EQ(x.pa, buf + 0x2010);
	if (s2) {
		EXPECT_EQ(x.vmid, arm_smmu_domain_vmid(dom));
		EXPECT_EQ(x.asid, SMMU_ASID_NONE);
	} else {
		EXPECT_EQ(x.asid, arm_smmu_domain_asid(dom));
	}
	// Outside the mapping: a translation fault recorded in the event queue.
	auto y = r.Dma(0, 0x10, 0x200000);
	EXPECT_EQ(y.outcome, SMMU_XLATE_ABORT);
	EXPECT_EQ(y.event, SMMU_EVT_F_TRANSLATION);
	EXPECT_TRUE(y.event_recorded);
	EXPECT_EQ(r.S(0).cerrors(), 0u);
	EXPECT_EQ(r.Attach(arm_smmu_blocked_domain(), m).rc, 0);
	r.Free(dom);
}

INSTANTIATE_TEST_SUITE_P(Stage, Xlate, ::testing::Values(false, true),
                         [](const auto &i) { return i.param ? "S2" : "S1"; });

TEST(DrvDomain, IdentityBypassesAndDomainsStayOnTheirSmmu)
{
	DrvRig r;
	arm_smmu_device *d0 = r.AddProbed();
	arm_smmu_device *d1 = r.AddProbed();
	arm_smmu_master *m0 = r.Master(d0, 0x10);
	arm_smmu_master *m1 = r.Master(d1, 0x10);
	ASSERT_EQ(r.Attach(arm_smmu_identity_domain(), m0).rc, 0);
	auto x = r.Dma(0, 0x10, 0xabc000);
	EXPECT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, 0xabc000u);
	arm_smmu_domain *dom0 = r.Paging(m0);
	arm_smmu_domain *dom1 = r.Paging(m1);
	// ASIDs are global across SMMUs, VMIDs per SMMU.
	EXPECT_EQ(arm_smmu_domain_asid(dom0), 1u);
	EXPECT_EQ(arm_smmu_domain_asid(dom1), 2u);
	arm_smmu_domain *p0 = r.Paging(m0, ARM_SMMU_ALLOC_NEST_PARENT);
	arm_smmu_domain *p1 = r.Paging(m1, ARM_SMMU_ALLOC_NEST_PARENT);
	EXPECT_EQ(arm_smmu_domain_vmid(p0), 1u);
	EXPECT_EQ(arm_smmu_domain_vmid(p1), 1u);
	EXPECT_EQ(r.Attach(dom0, m1).rc, -EINVAL);
	EXPECT_EQ(r.Attach(p1, m0).rc, -EINVAL);
	EXPECT_EQ(arm_smmu_master_domain(m1), arm_smmu_blocked_domain());
	int rc = 0;
	EXPECT_EQ(r.Paging(m0, ARM_SMMU_ALLOC_DIRTY_TRACKING, &rc), nullptr);
	EXPECT_EQ(rc, -EOPNOTSUPP);
	EXPECT_EQ(r.Paging(m0, 1u << 7, &rc), nullptr);
	EXPECT_EQ(rc, -EOPNOTSUPP);
	for (auto *dm : {dom0, dom1, p0, p1})
		r.Free(dm);
}

TEST(DrvDomain, PasidCapableMasterGetsATwoLevelCdTable)
{
	DrvRig r;
	arm_smmu_device *d = r.AddProbed();
	arm_smmu_master_desc desc{};
	desc.sid = 0x60;
	desc.ssid_bits = 20;
	arm_smmu_master *m = nullptr;
	ASSERT_EQ(0, r.Run([&](kcall *k) { return arm_smmu_probe_master(d, &desc, k, &m); }).rc);
	arm_smmu_domain *dom = r.Paging(m);
	CallRec at = r.Attach(dom, m);
	ASSERT_EQ(at.rc, 0);
	// L1CD written (an invalid L1CD may be cached: CFGI_CD leaf=0 + SYNC),
	// then the CD in two steps (everything but V, then V).
	EXPECT_EQ(at.Count(SMMU_CMD_CFGI_CD), 3u);
	EXPECT_EQ(at.cd_writes, 1u);
	uint64_t ste[8];
	arm_smmu_master_ste(m, ste);
	EXPECT_EQ((ste[0] >> 4) & 3, 2u); // S1Fmt: 2-level, 64K leaves
	EXPECT_EQ(ste[0] >> 59, 20u);     // S1CDMax
	uint64_t buf = r.Alloc(4096);
	ASSERT_EQ(r.Map(dom, 0x2000, buf, 4096).rc, 0);
	auto x = r.Dma(0, 0x60, 0x2040);
	ASSERT_EQ(x.outcome, SMMU_XLATE_OK) << (int)x.event;
	EXPECT_EQ(x.pa, buf + 0x40);
	EXPECT_EQ(r.S(0).cerrors(), 0u);
	r.Attach(arm_smmu_blocked_domain(), m);
	r.Free(dom);
}

TEST(DrvDomain, NestParentNeedsNesting)
{
	DrvRig r;
	smmu_config c = ShimRig::DefaultConfig();
	c.s2p = false;
	c.hyp = false;
	arm_smmu_device *d = r.AddProbed(c);
	arm_smmu_master *m = r.Master(d, 3);
	int rc = 0;
	EXPECT_EQ(r.Paging(m, ARM_SMMU_ALLOC_NEST_PARENT, &rc), nullptr);
	EXPECT_EQ(rc, -EOPNOTSUPP);
}

TEST(DrvDomain, VmidIdaExhaustsAtEightBits)
{
	DrvRig r;
	smmu_config c = ShimRig::DefaultConfig();
	c.vmid16 = false;
	arm_smmu_device *d = r.AddProbed(c);
	ASSERT_EQ(arm_smmu_vmid_bits(d), 8u);
	arm_smmu_master *m = r.Master(d, 1);
	std::vector<arm_smmu_domain *> doms;
	for (int i = 0; i < 255; i++) {
		arm_smmu_domain *dom = r.Paging(m, ARM_SMMU_ALLOC_NEST_PARENT);
		ASSERT_NE(dom, nullptr);
		EXPECT_EQ(arm_smmu_domain_vmid(dom), (uint32_t)i + 1);
		doms.push_back(dom);
	}
	int rc = 0;
	EXPECT_EQ(r.Paging(m, ARM_SMMU_ALLOC_NEST_PARENT, &rc), nullptr);
	EXPECT_EQ(rc, -ENOSPC);
	// Freeing VMID 7 makes it the lowest free one again.
	r.Free(doms[6]);
	arm_smmu_domain *again = r.Paging(m, ARM_SMMU_ALLOC_NEST_PARENT);
	ASSERT_NE(again, nullptr);
	EXPECT_EQ(arm_smmu_domain_vmid(again), 7u);
	doms[6] = again;
	for (auto *dm : doms)
		r.Free(dm);
}

TEST(DrvDomain, AsidSpaceIsSharedAndExhaustsAtEightBits)
{
	DrvRig r;
	smmu_config c = ShimRig::DefaultConfig();
	c.asid16 = false;
	arm_smmu_device *d = r.AddProbed(c);
	arm_smmu_master *m = r.Master(d, 1);
	std::vector<arm_smmu_domain *> doms;
	for (int i = 0; i < 255; i++) {
		arm_smmu_domain *dom = r.Paging(m);
		ASSERT_NE(dom, nullptr);
		doms.push_back(dom);
	}
	int rc = 0;
	EXPECT_EQ(r.Paging(m, 0, &rc), nullptr);
	EXPECT_EQ(rc, -EBUSY); // xa_alloc: no free entry in the limit
	for (auto *dm : doms)
		r.Free(dm);
}

} // namespace
