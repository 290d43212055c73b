// kvm_vmid_test.cc - KVM's VMID allocator (arch/arm64/kvm/vmid.c) and the
// RFC's pinned VMIDs against hand-computed sequences: first VMIDs, rollover
// with 8-bit VMIDs and more VMs than VMIDs, reserved VMIDs of running vCPUs
// kept across a rollover, idle VMs losing theirs, pinned VMIDs surviving
// rollovers, pinned exhaustion and release, the split window.
#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

extern "C" {
#include "kvm_vmid.h"
}

namespace {

struct Space {
	kvm_vmid_space *s = nullptr;
	explicit Space(unsigned bits = 8, unsigned cpus = 2, bool pinning = false, uint32_t first = 0,
		       uint32_t limit = 0)
	{
		kvm_vmid_config c{bits, cpus, first, limit, pinning};
		EXPECT_EQ(0, kvm_vmid_space_create(&c, &s));
	}
	~Space() { kvm_vmid_space_destroy(s); }
	// A vCPU of v runs on cpu and is put again: the VMID it ran with.
	uint32_t Run(kvm_vmid &v, unsigned cpu, bool *roll = nullptr)
	{
		uint32_t i = kvm_vmid_update(s, &v, cpu, roll);
		kvm_vmid_clear_active(s, cpu);
		return i;
	}
};

TEST(KvmVmid, FirstVmidsAreOneTwoThreeAndStable)
{
	Space sp;
	kvm_vmid a{}, b{}, c{};
	EXPECT_EQ(1u, sp.Run(a, 0));
	EXPECT_EQ(2u, sp.Run(b, 1));
	EXPECT_EQ(3u, sp.Run(c, 0));
	// Loaded again, on any CPU: same VMID, same generation.
	EXPECT_EQ(1u, sp.Run(a, 1));
	EXPECT_EQ(2u, sp.Run(b, 0));
	EXPECT_EQ(1u, kvm_vmid_generation(sp.s));
	EXPECT_EQ(0u, kvm_vmid_rollovers(sp.s));
}

TEST(KvmVmid, RolloverWithMoreVmsThanVmids)
{
	// 8 bits: indexes 1..255. The 256th VM rolls over and, every CPU being
	// idle, gets index 1 of generation 2; the broadcast flush is reported.
	Space sp(8, 2);
	std::vector<kvm_vmid> vms(300);
	for (int i = 0; i < 255; i++) {
		bool roll = true;
		EXPECT_EQ((uint32_t)(i + 1), sp.Run(vms[i], 0, &roll));
		EXPECT_FALSE(roll);
	}
	bool roll = false;
	EXPECT_EQ(1u, sp.Run(vms[255], 1, &roll));
	EXPECT_TRUE(roll);
	EXPECT_EQ(2u, kvm_vmid_generation(sp.s));
	EXPECT_EQ(1u, kvm_vmid_rollovers(sp.s));
	// VM 0 (index 1 in generation 1) comes back: 1 is taken now, so it gets
	// the next free index after the last one handed out.
	EXPECT_EQ(2u, sp.Run(vms[0], 0));
	// VM 5 (index 6): still free in generation 2, so it keeps it.
	EXPECT_EQ(6u, sp.Run(vms[5], 0));
	// The 44 VMs after: 3, 4, 5, 7, 8, ... (6 is taken).
	EXPECT_EQ(3u, sp.Run(vms[256], 0));
	EXPECT_EQ(4u, sp.Run(vms[257], 0));
	EXPECT_EQ(5u, sp.Run(vms[258], 0));
	EXPECT_EQ(7u, sp.Run(vms[259], 0));
}

TEST(KvmVmid, RunningVcpusKeepTheirVmidAcrossRollover)
{
	Space sp(8, 2);
	std::vector<kvm_vmid> vms(260);
	// VM 9 (index 10) is running on CPU 1 and stays loaded.
	for (int i = 0; i < 9; i++)
		sp.Run(vms[i], 0);
	EXPECT_EQ(10u, kvm_vmid_update(sp.s, &vms[9], 1, nullptr));
	for (int i = 10; i < 255; i++)
		sp.Run(vms[i], 0);
	bool roll = false;
	// Rollover: CPU 1's active index 10 is reserved for the new generation.
	EXPECT_EQ(1u, sp.Run(vms[255], 0, &roll));
	EXPECT_TRUE(roll);
	std::vector<kvm_vmid> fresh(10);
	for (uint32_t want = 2; want < 10; want++)
		EXPECT_EQ(want, sp.Run(fresh[want], 0)); // fresh VMs: 2..9
	EXPECT_EQ(11u, sp.Run(fresh[0], 0));         // the next fresh VM skips 10
	// VM 9 is scheduled again: its reserved VMID is updated to generation 2.
	EXPECT_EQ(10u, kvm_vmid_update(sp.s, &vms[9], 1, nullptr));
	EXPECT_EQ(10u, kvm_vmid_active(sp.s, 1));
}

TEST(KvmVmid, IdleVmsLoseTheirVmidWhenTakenFirst)
{
	Space sp(8, 2);
	std::vector<kvm_vmid> vms(270);
	for (int i = 0; i < 255; i++)
		sp.Run(vms[i], 0);
	// VM 2 (index 3) was put: idle VMs reserve nothing.
	sp.Run(vms[255], 0); // rollover: index 1
	sp.Run(vms[256], 0); // index 2
	sp.Run(vms[257], 0); // index 3: VM 2's old index is gone
	EXPECT_EQ(3u, kvm_vmid_index(sp.s, &vms[257]));
	EXPECT_EQ(4u, sp.Run(vms[2], 1)); // VM 2 gets the next free one
}

TEST(KvmVmid, PinnedVmidsSurviveRollovers)
{
	Space sp(8, 2, true);
	EXPECT_EQ(252u, kvm_vmid_max_pinned(sp.s)); // 2^8 - 2 CPUs - 2
	std::vector<kvm_vmid> vms(800);
	uint32_t idx = 0;
	sp.Run(vms[0], 0);
	sp.Run(vms[1], 0);
	ASSERT_EQ(0, kvm_vmid_pin(sp.s, &vms[1], &idx, nullptr));
	EXPECT_EQ(2u, idx);
	EXPECT_TRUE(kvm_vmid_is_pinned(sp.s, 2));
	// Three rollovers' worth of other VMs: none of them ever gets index 2.
	for (int i = 2; i < 800; i++)
		EXPECT_NE(2u, sp.Run(vms[i], i % 2)) << i;
	EXPECT_GE(kvm_vmid_rollovers(sp.s), 3u);
	EXPECT_EQ(2u, sp.Run(vms[1], 1));
	// A second pin is a reference; the last put releases the index.
	ASSERT_EQ(0, kvm_vmid_pin(sp.s, &vms[1], &idx, nullptr));
	EXPECT_EQ(2u, vms[1].pinned);
	kvm_vmid_unpin(sp.s, &vms[1]);
	EXPECT_TRUE(kvm_vmid_is_pinned(sp.s, 2));
	kvm_vmid_unpin(sp.s, &vms[1]);
	EXPECT_FALSE(kvm_vmid_is_pinned(sp.s, 2));
	EXPECT_EQ(0u, kvm_vmid_nr_pinned(sp.s));
}

TEST(KvmVmid, PinnedExhaustionIsEnospcUntilOneIsReleased)
{
	Space sp(8, 2, true);
	std::vector<kvm_vmid> vms(254);
	uint32_t idx;
	for (int i = 0; i < 252; i++) {
		sp.Run(vms[i], 0);
		ASSERT_EQ(0, kvm_vmid_pin(sp.s, &vms[i], &idx, nullptr)) << i;
	}
	sp.Run(vms[252], 0);
	EXPECT_EQ(-ENOSPC, kvm_vmid_pin(sp.s, &vms[252], &idx, nullptr));
	kvm_vmid_unpin(sp.s, &vms[7]);
	EXPECT_EQ(0, kvm_vmid_pin(sp.s, &vms[252], &idx, nullptr));
	EXPECT_EQ(253u, idx);
	// With every pinnable index pinned, unpinned VMs still run (rollovers
	// keep at least one free index per CPU plus one).
	std::vector<kvm_vmid> others(600);
	for (size_t i = 0; i < others.size(); i++)
		EXPECT_FALSE(kvm_vmid_is_pinned(sp.s, sp.Run(others[i], i % 2))) << i;
	EXPECT_GE(kvm_vmid_rollovers(sp.s), 100u); // one free index a generation
}

TEST(KvmVmid, MainlineHasNoPinning)
{
	Space sp(8, 2, false);
	kvm_vmid v{};
	uint32_t idx;
	EXPECT_EQ(-EOPNOTSUPP, kvm_vmid_pin(sp.s, &v, &idx, nullptr));
}

TEST(KvmVmid, SplitWindowStaysInTheLowerHalf)
{
	Space sp(8, 2, false, 1, 128);
	std::vector<kvm_vmid> vms(400);
	for (int i = 0; i < 400; i++) {
		uint32_t x = sp.Run(vms[i], i % 2);
		EXPECT_GE(x, 1u);
		EXPECT_LT(x, 128u);
	}
	EXPECT_EQ(3u, kvm_vmid_rollovers(sp.s)); // 127 per generation
}

TEST(KvmVmid, BadConfigurationsAreRefused)
{
	kvm_vmid_space *s = nullptr;
	kvm_vmid_config c{12, 2, 0, 0, false};
	EXPECT_EQ(-EINVAL, kvm_vmid_space_create(&c, &s));
	c = {8, 255, 0, 0, false}; // NUM_USER_VMIDS - 1 <= CPUs
	EXPECT_EQ(-EINVAL, kvm_vmid_space_create(&c, &s));
	c = {8, 2, 10, 10, false};
	EXPECT_EQ(-EINVAL, kvm_vmid_space_create(&c, &s));
	c = {16, 64, 0, 0, true};
	ASSERT_EQ(0, kvm_vmid_space_create(&c, &s));
	EXPECT_EQ(65536u - 64 - 2, kvm_vmid_max_pinned(s));
	kvm_vmid_space_destroy(s);
}

} // namespace
