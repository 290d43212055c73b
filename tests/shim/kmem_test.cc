// kmem: the emulated kernel's deterministic page allocator of simulated DRAM.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

extern "C" {
#include "kernel.h"
}

namespace {

struct FlatDram {
	uint64_t base = 0x80000000ull;
	std::vector<uint8_t> mem = std::vector<uint8_t>(1 << 20, 0xA5);
	static int rd(void *h, uint64_t pa, void *buf, uint32_t len)
	{
		auto *d = static_cast<FlatDram *>(h);
		if (pa < d->base || pa + len > d->base + d->mem.size())
			return 1;
		memcpy(buf, &d->mem[pa - d->base], len);
		return 0;
	}
	static int wr(void *h, uint64_t pa, const void *buf, uint32_t len)
	{
		auto *d = static_cast<FlatDram *>(h);
		if (pa < d->base || pa + len > d->base + d->mem.size())
			return 1;
		memcpy(&d->mem[pa - d->base], buf, len);
		return 0;
	}
};

struct Kmem : ::testing::Test {
	FlatDram dram;
	shim_host_ops ops{};
	kenv env{};
	kmem *m = nullptr;
	void SetUp() override
	{
		ops.size = sizeof(ops);
		ops.mem_read = FlatDram::rd;
		ops.mem_write = FlatDram::wr;
		env.ops = &ops;
		env.host = &dram;
		ASSERT_EQ(0, kmem_create(&env, dram.base, dram.mem.size(), &m));
	}
	void TearDown() override { kmem_destroy(m); }
};

TEST_F(Kmem, AllocIsZeroedAlignedAndDeterministic)
{
	uint64_t a, b, c;
	ASSERT_EQ(0, kmem_alloc(m, 100, 4096, &a));
	ASSERT_EQ(0, kmem_alloc(m, 8192, 65536, &b));
	EXPECT_EQ(a, dram.base);
	EXPECT_EQ(b % 65536, 0u);
	EXPECT_GT(b, a);
	EXPECT_EQ(dram.mem[a - dram.base], 0);
	EXPECT_EQ(dram.mem[b - dram.base + 8191], 0);
	EXPECT_EQ(kmem_used(m), 4096u + 8192u);
	// The hole before b is reused first.
	ASSERT_EQ(0, kmem_alloc(m, 4096, 4096, &c));
	EXPECT_EQ(c, a + 4096);
	kmem_free(m, a, 4096);
	uint64_t d;
	ASSERT_EQ(0, kmem_alloc(m, 4096, 4096, &d));
	EXPECT_EQ(d, a);
}

TEST_F(Kmem, ReserveConflictsAndPartialFree)
{
	uint64_t pa = dram.base + 0x10000;
	ASSERT_EQ(0, kmem_reserve(m, pa, 0x4000));
	EXPECT_EQ(-EEXIST, kmem_reserve(m, pa + 0x1000, 0x1000));
	EXPECT_EQ(-ENOMEM, kmem_reserve(m, dram.base + dram.mem.size(), 0x1000));
	EXPECT_EQ(-EINVAL, kmem_reserve(m, pa + 1, 0x1000));
	kmem_free(m, pa + 0x1000, 0x1000);  // split the reservation
	EXPECT_EQ(kmem_used(m), 0x3000u);
	EXPECT_EQ(0, kmem_reserve(m, pa + 0x1000, 0x1000));
	EXPECT_EQ(kmem_used(m), 0x4000u);
}

TEST_F(Kmem, ExhaustionIsEnomem)
{
	uint64_t pa;
	EXPECT_EQ(-ENOMEM, kmem_alloc(m, dram.mem.size() + 4096, 4096, &pa));
	ASSERT_EQ(0, kmem_alloc(m, dram.mem.size(), 4096, &pa));
	EXPECT_EQ(-ENOMEM, kmem_alloc(m, 4096, 4096, &pa));
	EXPECT_EQ(-EINVAL, kmem_alloc(m, 4096, 100, &pa));
}

TEST(Kcall, CountsCommandsAndSyncs)
{
	kcall c;
	kcall_begin(&c, nullptr, 1000);
	for (int i = 0; i < 40; i++)
		ASSERT_EQ(0, kcall_note_cmd(&c, i % 2 ? 0x46 : 0x03));
	ktime_charge(&c, 25);
	EXPECT_EQ(c.ncmds, 40u);
	EXPECT_EQ(c.syncs, 20u);
	EXPECT_EQ(c.cmds[0], 0x03);
	EXPECT_EQ(c.cmds[39], 0x46);
	EXPECT_EQ(c.t, 1025u);
	kcall_end(&c);
}

} // namespace
