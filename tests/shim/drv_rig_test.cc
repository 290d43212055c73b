// The shim test rig itself: DRAM shared by kernel and model, MMIO forwarded
// to the right SMMU with ns -> cycle conversion.
#include "rig.h"

namespace
{

TEST(ShimRig, HostOpsReachTheRightSmmuAndDram)
{
	ShimRig r;
	smmu_config c = ShimRig::DefaultConfig();
	c.s2p = false;
	c.hyp = false;
	r.Add(ShimRig::DefaultConfig());
	r.Add(c);
	uint64_t v0 = 0, v1 = 0;
	ASSERT_EQ(0, r.hops.mmio_read(&r, 0, SMMU_REG_IDR0, 4, r.now_ns, &v0));
	ASSERT_EQ(0, r.hops.mmio_read(&r, 1, SMMU_REG_IDR0, 4, r.now_ns, &v1));
	EXPECT_EQ(v0 & 1, 1u); // S2P
	EXPECT_EQ(v1 & 1, 0u);
	EXPECT_NE(0, r.hops.mmio_read(&r, 2, SMMU_REG_IDR0, 4, r.now_ns, &v0));
	EXPECT_EQ(r.mmio_errors, 1);
	uint64_t pa = r.Alloc(4096);
	ASSERT_EQ(0, kmem_write64(&r.env, pa + 8, 0x1122334455667788ull));
	EXPECT_EQ(r.Read64(pa + 8), 0x1122334455667788ull);
	uint64_t back = 0;
	EXPECT_EQ(-EFAULT, kmem_read64(&r.env, ShimRig::kDramBase - 8, &back));
}

TEST(ShimRig, CallAdvancesTheMachineClock)
{
	ShimRig r;
	r.Build(1);
	uint64_t t0 = r.now_ns;
	{
		ShimRig::Call c(r);
		ktime_charge(c.get(), 500);
		EXPECT_EQ(0, kcall_note_cmd(c.get(), 0x46));
		EXPECT_EQ(c.Count(0x46), 1u);
	}
	EXPECT_EQ(r.now_ns, t0 + 500);
	// SMMUEN=0, GBPA.ABORT=0 at reset: a DMA bypasses.
	auto x = r.Dma(0, 3, 0x1234);
	EXPECT_EQ(x.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(x.pa, 0x1234u);
	EXPECT_GT(r.now_ns, t0 + 500);
}

} // namespace
