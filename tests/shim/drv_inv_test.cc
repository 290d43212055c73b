// arm-smmu-v3 driver model: unmap invalidation (arm_smmu_iotlb_sync), with
// and without range invalidation, the whole-ASID/VMID switch at
// (granule/8) * granule, nest-parent NH_ALL, batching, and io-pgtable
// blocks, splits and freed tables — each checked against the model's TLB
// (a warmed entry must be gone after the sync).
#include "drv_fixture.h"

namespace
{

constexpr uint32_t kSid = 0x20;

struct Inv : ::testing::Test {
	DrvRig r;
	arm_smmu_device *d = nullptr;
	arm_smmu_master *m = nullptr;
	arm_smmu_domain *dom = nullptr;

	void Setup(const smmu_config &c, uint32_t flags = 0)
	{
		d = r.AddProbed(c);
		ASSERT_NE(d, nullptr);
		m = r.Master(d, kSid);
		dom = r.Paging(m, flags);
		ASSERT_NE(dom, nullptr);
		ASSERT_EQ(r.Attach(dom, m).rc, 0);
	}
	void TearDown() override
	{
		if (m)
			r.Attach(arm_smmu_blocked_domain(), m);
		if (dom)
			r.Free(dom);
		for (auto &s : r.smmus)
			EXPECT_EQ(s->cerrors(), 0u);
	}
	bool Ok(uint64_t iova, uint64_t want_pa)
	{
		auto x = r.Dma(0, kSid, iova);
		return x.outcome == SMMU_XLATE_OK && x.pa == want_pa;
	}
	bool Faults(uint64_t iova)
	{
		auto x = r.Dma(0, kSid, iova);
		return x.outcome == SMMU_XLATE_ABORT && x.event == SMMU_EVT_F_TRANSLATION;
	}
};

// Map n 4K pages at an IOVA that is 4K but not 2M aligned (no blocks).
constexpr uint64_t kIova = 0x40001000ull;

TEST_F(Inv, UnmapReachesTheModelTlbOnlyWithTheSync)
{
	Setup(ShimRig::DefaultConfig());
	uint64_t buf = r.Alloc(4 * 4096);
	ASSERT_EQ(r.Map(dom, kIova, buf, 4 * 4096).rc, 0);
	ASSERT_TRUE(Ok(kIova + 0x1000, buf + 0x1000)); // warm the TLB
	// Unmap without the sync: the model still hits its stale entry.
	arm_smmu_gather g;
	arm_smmu_gather_init(&g);
	CallRec un =
	    r.Run([&](kcall *k) { return (int)arm_smmu_unmap_pages(dom, kIova, 4096, 4, &g, k); });
	EXPECT_EQ(un.rc, 4 * 4096);
	EXPECT_TRUE(un.ops.empty());
	auto stale = r.Dma(0, kSid, kIova + 0x1000);
	EXPECT_EQ(stale.outcome, SMMU_XLATE_OK);
	EXPECT_NE(stale.hit, SMMU_HIT_WALK);
	CallRec sy = r.Run([&](kcall *k) {
		arm_smmu_iotlb_sync(dom, &g, k);
		return 0;
	});
	std::vector<uint8_t> want = {SMMU_CMD_TLBI_NH_VA, SMMU_CMD_SYNC};
	EXPECT_EQ(sy.ops, want);
	EXPECT_TRUE(Faults(kIova + 0x1000));
	EXPECT_EQ(g.pgsize, 0u); // the gather is reset
}

struct RilCase {
	bool ril;
	bool s2;
	uint32_t pages;
	uint32_t range_cmds; // TLBI_NH_VA / TLBI_S2_IPA
	uint32_t whole_cmds; // TLBI_NH_ASID / TLBI_S12_VMALL
};

struct InvRil : Inv, ::testing::WithParamInterface<RilCase> {
};

TEST_P(InvRil, OpcodesAndTheTlbAgree)
{
	const RilCase p = GetParam();
	smmu_config c = ShimRig::DefaultConfig();
	c.ril = p.ril;
	// A plain S2 domain when the SMMU has no stage 1.
	if (p.s2) {
		c.s1p = false;
		c.hyp = false;
	}
	Setup(c);
	ASSERT_EQ(arm_smmu_domain_kind(dom), p.s2 ? ARM_SMMU_DOMAIN_S2 : ARM_SMMU_DOMAIN_S1);
	uint64_t n = p.pages + 2;
	uint64_t buf = r.Alloc(n * 4096);
	ASSERT_EQ(r.Map(dom, kIova, buf, n * 4096).rc, 0);
	// Warm the first, middle and last page of the range and one past it.
	uint64_t probe[] = {0, p.pages / 2, p.pages - 1u};
	for (uint64_t i : probe)
		ASSERT_TRUE(Ok(kIova + i * 4096, buf + i * 4096));
	ASSERT_TRUE(Ok(kIova + p.pages * 4096ull, buf + p.pages * 4096ull));
	CallRec un = r.Unmap(dom, kIova, p.pages * 4096ull);
	uint8_t range_op = p.s2 ? SMMU_CMD_TLBI_S2_IPA : SMMU_CMD_TLBI_NH_VA;
	uint8_t whole_op = p.s2 ? SMMU_CMD_TLBI_S12_VMALL : SMMU_CMD_TLBI_NH_ASID;
	EXPECT_EQ(un.Count(range_op), p.range_cmds);
	EXPECT_EQ(un.Count(whole_op), p.whole_cmds);
	EXPECT_EQ(un.syncs, 1u);
	EXPECT_EQ(un.ops.back(), SMMU_CMD_SYNC);
	EXPECT_EQ(un.ops.size(), p.range_cmds + p.whole_cmds + 1u);
	for (uint64_t i : probe)
		EXPECT_TRUE(Faults(kIova + i * 4096)) << "page " << i;
	// The page after the range is still mapped; a range TLBI left its
	// entry alone, a whole-tag TLBI made it walk again.
	auto next = r.Dma(0, kSid, kIova + p.pages * 4096ull);
	EXPECT_EQ(next.outcome, SMMU_XLATE_OK);
	if (p.whole_cmds)
		EXPECT_EQ(next.hit, SMMU_HIT_WALK);
	else
		EXPECT_NE(next.hit, SMMU_HIT_WALK);
}

INSTANTIATE_TEST_SUITE_P(Unmap, InvRil,
                         ::testing::Values(
                             // RIL: (NUM+1) * 2^SCALE pages per command, any size
                             RilCase{true, false, 1, 1, 0}, RilCase{true, false, 16, 1, 0},
                             RilCase{true, false, 1000, 2, 0}, // 1000 = 29 * 8 + 3 * 256
                             RilCase{true, true, 600, 2, 0},   // 600 = 19 * 8 + 7 * 64
                             // no RIL: one command per page below 512 pages, then whole tag
                             RilCase{false, false, 16, 16, 0}, RilCase{false, false, 511, 511, 0},
                             RilCase{false, false, 512, 0, 1}, RilCase{false, true, 100, 100, 0},
                             RilCase{false, true, 700, 0, 1}),
                         [](const auto &i) {
	                         return std::string(i.param.ril ? "Ril" : "NoRil") +
	                                (i.param.s2 ? "S2_" : "S1_") +
	                                std::to_string(i.param.pages);
                         });

TEST_F(Inv, FullBatchesGoOutWithoutSyncAndMmu700ForcesOne)
{
	smmu_config c = ShimRig::DefaultConfig();
	c.ril = false;
	Setup(c);
	uint64_t buf = r.Alloc(300 * 4096);
	ASSERT_EQ(r.Map(dom, kIova, buf, 300 * 4096).rc, 0);
	size_t before = r.S(0).cmds.size();
	CallRec un = r.Unmap(dom, kIova, 300 * 4096);
	// 300 TLBIs: four full batches of 64 published without a SYNC, then
	// 44 + SYNC (arm_smmu_cmdq_batch_add).
	EXPECT_EQ(un.Count(SMMU_CMD_TLBI_NH_VA), 300u);
	EXPECT_EQ(un.syncs, 1u);
	EXPECT_EQ(r.S(0).cmds.size() - before, 301u); // all reached the model
	EXPECT_TRUE(Faults(kIova + 299 * 4096));

	// MMU-700 (erratum 2812531): never more than 63 commands without SYNC.
	smmu_config c7 = ShimRig::DefaultConfig();
	c7.ril = false;
	c7.iidr = 0x4871043B;
	arm_smmu_device *d7 = r.AddProbed(c7);
	arm_smmu_master *m7 = r.Master(d7, kSid);
	arm_smmu_domain *dom7 = r.Paging(m7);
	ASSERT_EQ(r.Attach(dom7, m7).rc, 0);
	ASSERT_EQ(r.Map(dom7, kIova, buf, 300 * 4096).rc, 0);
	CallRec un7 = r.Unmap(dom7, kIova, 300 * 4096);
	EXPECT_EQ(un7.Count(SMMU_CMD_TLBI_NH_VA), 300u);
	EXPECT_LE(un7.LongestRunWithoutSync(), 63u);
	EXPECT_EQ(un7.syncs, 5u); // 4 x 63 + 48
	EXPECT_EQ(un.LongestRunWithoutSync(), 300u);
	r.Attach(arm_smmu_blocked_domain(), m7);
	r.Free(dom7);
}

TEST_F(Inv, NestParentAlsoClearsTheGuestsS1Entries)
{
	Setup(ShimRig::DefaultConfig(), ARM_SMMU_ALLOC_NEST_PARENT);
	uint64_t buf = r.Alloc(4096);
	ASSERT_EQ(r.Map(dom, kIova, buf, 4096).rc, 0);
	CallRec un = r.Unmap(dom, kIova, 4096);
	// S2_VMID batch ends before S2_VMID_S1_CLEAR.
	std::vector<uint8_t> want = {SMMU_CMD_TLBI_S2_IPA, SMMU_CMD_SYNC, SMMU_CMD_TLBI_NH_ALL,
	                             SMMU_CMD_SYNC};
	EXPECT_EQ(un.ops, want);
	CallRec all = r.Run([&](kcall *k) {
		arm_smmu_flush_iotlb_all(dom, k);
		return 0;
	});
	// Whole VMID: S12_VMALL already covers the S1 entries.
	std::vector<uint8_t> want_all = {SMMU_CMD_TLBI_S12_VMALL, SMMU_CMD_SYNC};
	EXPECT_EQ(all.ops, want_all);
}

TEST_F(Inv, BlocksSplitAndFreedTables)
{
	Setup(ShimRig::DefaultConfig());
	const uint64_t iova = 0x40000000ull; // 1G aligned
	uint64_t buf = r.Alloc(4ull << 20, 2ull << 20);
	// 2 MiB, both sides 2M aligned: one level-2 block.
	CallRec mp = r.Map(dom, iova, buf, 2ull << 20);
	ASSERT_EQ(mp.rc, 0);
	auto x = r.Dma(0, kSid, iova + 0x5123);
	ASSERT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, buf + 0x5123);
	EXPECT_EQ(x.page_shift, 21);
	// Unmap one 4K page inside it: the block is split (io-pgtable <= 6.12).
	uint64_t got = 0;
	CallRec un = r.Unmap(dom, iova + 0x5000, 4096, true, &got);
	EXPECT_EQ(got, 4096u);
	EXPECT_EQ(un.Count(SMMU_CMD_TLBI_NH_VA), 1u);
	uint64_t pa = 0;
	EXPECT_EQ(-ENOENT, arm_smmu_iova_to_phys(dom, iova + 0x5000, &pa));
	EXPECT_EQ(0, arm_smmu_iova_to_phys(dom, iova + 0x6000, &pa));
	EXPECT_EQ(pa, buf + 0x6000);
	EXPECT_TRUE(Faults(iova + 0x5000));
	auto y = r.Dma(0, kSid, iova + 0x6000);
	ASSERT_EQ(y.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(y.pa, buf + 0x6000);
	EXPECT_EQ(y.page_shift, 12);

	// A range of 4K pages over a whole 2M slot (PA not 2M aligned), then
	// a 2M unmap: the level-3 table is freed and the walk flushed at once
	// (non-leaf range TLBI + SYNC); io-pgtable still adds the 2M slot to the
	// gather, so the iotlb_sync sends a leaf TLBI of it as well.
	const uint64_t iova2 = iova + (4ull << 20);
	ASSERT_EQ(r.Map(dom, iova2, buf + 4096, 2ull << 20).rc, 0);
	EXPECT_TRUE(Ok(iova2 + 0x1000, buf + 0x2000));
	CallRec un2 = r.Unmap(dom, iova2, 2ull << 20, true, &got);
	EXPECT_EQ(got, 2ull << 20);
	std::vector<uint8_t> want = {SMMU_CMD_TLBI_NH_VA, SMMU_CMD_SYNC, SMMU_CMD_TLBI_NH_VA,
	                             SMMU_CMD_SYNC};
	EXPECT_EQ(un2.ops, want);
	EXPECT_TRUE(Faults(iova2 + 0x1000));
}

TEST_F(Inv, Linux70RefusesAPartialBlockUnmap)
{
	r.env.io_pgtable_nosplit = true; // io-pgtable-arm 6.13+
	Setup(ShimRig::DefaultConfig());
	const uint64_t iova = 0x40000000ull;
	uint64_t buf = r.Alloc(2ull << 20, 2ull << 20);
	ASSERT_EQ(r.Map(dom, iova, buf, 2ull << 20).rc, 0);
	ASSERT_TRUE(Ok(iova + 0x5000, buf + 0x5000));
	uint64_t got = 1;
	CallRec un = r.Unmap(dom, iova + 0x5000, 4096, true, &got);
	EXPECT_EQ(got, 0u);
	EXPECT_TRUE(un.ops.empty());
	EXPECT_TRUE(Ok(iova + 0x5000, buf + 0x5000));
	// The whole block still unmaps.
	CallRec all = r.Unmap(dom, iova, 2ull << 20, true, &got);
	EXPECT_EQ(got, 2ull << 20);
	EXPECT_TRUE(Faults(iova + 0x5000));
}

TEST_F(Inv, FlushAllIsTheWholeAsid)
{
	Setup(ShimRig::DefaultConfig());
	uint64_t buf = r.Alloc(4096);
	ASSERT_EQ(r.Map(dom, kIova, buf, 4096).rc, 0);
	ASSERT_TRUE(Ok(kIova, buf));
	CallRec all = r.Run([&](kcall *k) {
		arm_smmu_flush_iotlb_all(dom, k);
		return 0;
	});
	std::vector<uint8_t> want = {SMMU_CMD_TLBI_NH_ASID, SMMU_CMD_SYNC};
	EXPECT_EQ(all.ops, want);
	EXPECT_EQ(r.Dma(0, kSid, kIova).hit, SMMU_HIT_WALK);
	// The SYNC wait is simulated time: completion polled, not instant.
	EXPECT_GE(all.ns, r.env.t.poll_interval);
}

} // namespace
