// arm-smmu-v3 driver model: the command queue in simulated time (CMD_SYNC
// completion polled through CMDQ_CONS, queue-full waits, MSI-polled SYNC,
// bounded timeout), master release, enforce_cache_coherency, IRQ lines.
#include "drv_fixture.h"

extern "C" {
#include "arm_smmu_v3_internal.h"
}

namespace
{

TEST(DrvCmdq, SyncWaitEndsWhenTheModelCompletedIt)
{
	DrvRig r;
	arm_smmu_device *d = r.AddProbed();
	size_t before = r.S(0).cmds.size();
	CallRec rec = r.Run([&](kcall *k) {
		uint64_t c[2];
		smmu_cmd_tlbi_nh_asid(c, 0, 1);
		return arm_smmu_cmdq_issue_cmd(d, c, true, k);
	});
	ASSERT_EQ(rec.rc, 0);
	ASSERT_EQ(r.S(0).cmds.size(), before + 2);
	const smmu_cmd_report &sync = r.S(0).cmds.back();
	EXPECT_EQ(sync.op, SMMU_CMD_SYNC);
	// 1 GHz: cycles == ns. The call ended after the SYNC completed, within
	// one poll interval of it.
	uint64_t end = r.now_ns;
	EXPECT_GE(end, sync.done);
	EXPECT_LT(end, sync.done + r.env.t.poll_interval + r.env.t.mmio_read);
	// Two inserts and one PROD write were charged before the polling.
	EXPECT_GE(rec.ns, 2u * r.env.t.cmd_insert + r.env.t.prod_write);
}

TEST(DrvCmdq, FullQueueWaitsForConsInsteadOfOverwriting)
{
	DrvRig r;
	smmu_config c = ShimRig::DefaultConfig();
	c.cmdqs = 7; // 128 entries, the smallest Linux accepts
	c.ril = false;
	arm_smmu_device *d = r.AddProbed(c);
	ASSERT_NE(d, nullptr);
	EXPECT_EQ(r.Reg(0, SMMU_REG_CMDQ_BASE, 8) & SMMU_Q_BASE_LOG2SIZE_MASK, 7u);
	arm_smmu_master *m = r.Master(d, 4);
	arm_smmu_domain *dom = r.Paging(m);
	ASSERT_EQ(r.Attach(dom, m).rc, 0);
	uint64_t buf = r.Alloc(500 * 4096);
	ASSERT_EQ(r.Map(dom, 0x1000, buf, 500 * 4096).rc, 0);
	for (int i = 0; i < 500; i += 97)
		ASSERT_EQ(r.Dma(0, 4, 0x1000 + i * 4096ull).outcome, SMMU_XLATE_OK);
	size_t before = r.S(0).cmds.size();
	CallRec un = r.Unmap(dom, 0x1000, 500 * 4096);
	EXPECT_EQ(un.Count(SMMU_CMD_TLBI_NH_VA), 500u);
	// Every command reached the model exactly once, in order, no CERROR.
	EXPECT_EQ(r.S(0).cmds.size() - before, 501u);
	size_t n = 0;
	for (size_t i = before; i < r.S(0).cmds.size(); i++)
		n += r.S(0).cmds[i].op == SMMU_CMD_TLBI_NH_VA;
	EXPECT_EQ(n, 500u);
	EXPECT_EQ(r.S(0).cerrors(), 0u);
	for (int i = 0; i < 500; i += 97)
		EXPECT_EQ(r.Dma(0, 4, 0x1000 + i * 4096ull).event, SMMU_EVT_F_TRANSLATION);
	r.Attach(arm_smmu_blocked_domain(), m);
	r.Free(dom);
}

TEST(DrvCmdq, MsiPolledSync)
{
	DrvRig r;
	r.env.sync_msi = true;
	arm_smmu_device *d = r.AddProbed();
	uint64_t cmdq = r.Reg(0, SMMU_REG_CMDQ_BASE, 8) & SMMU_Q_BASE_ADDR_MASK;
	r.S(0).msis.clear();
	CallRec rec = r.Run([&](kcall *k) {
		uint64_t c[2];
		smmu_cmd_tlbi_nh_asid(c, 0, 1);
		return arm_smmu_cmdq_issue_cmd(d, c, true, k);
	});
	ASSERT_EQ(rec.rc, 0);
	ASSERT_EQ(r.S(0).msis.size(), 1u);
	// The SYNC's MSI targets its own queue slot (ARM_SMMU_OPT_MSIPOLL).
	EXPECT_GE(r.S(0).msis[0].first, cmdq);
	EXPECT_LT(r.S(0).msis[0].first, cmdq + (16u << 8));
	EXPECT_EQ(r.S(0).msis[0].second, 0u);
	EXPECT_GE(rec.ns, (uint64_t)r.env.t.msi_wakeup);
}

TEST(DrvCmdq, StuckQueueTimesOutInBoundedTime)
{
	DrvRig r;
	arm_smmu_device *d = r.AddProbed();
	// Take the queue away behind the driver's back: CONS never moves.
	r.SetReg(0, SMMU_REG_CR0, SMMU_CR0_SMMUEN | SMMU_CR0_EVENTQEN);
	r.env.t.poll_interval = 100000; // 1e4 polls to the 1 s limit
	CallRec rec = r.Run([&](kcall *k) {
		uint64_t c[2];
		smmu_cmd_tlbi_nh_asid(c, 0, 1);
		return arm_smmu_cmdq_issue_cmd(d, c, true, k);
	});
	EXPECT_EQ(rec.rc, -ETIMEDOUT);
	EXPECT_GE(rec.ns, 1000000000u);
	EXPECT_LT(rec.ns, 1100000000u);
}

TEST(DrvCmdq, WithoutSevPollingBacksOffLikeQueuePoll)
{
	DrvRig r;
	smmu_config c = ShimRig::DefaultConfig();
	c.sev = false;
	arm_smmu_device *d = r.AddProbed(c);
	ASSERT_NE(d, nullptr);
	EXPECT_FALSE(arm_smmu_features(d) & ARM_SMMU_FEAT_SEV);
	r.SetReg(0, SMMU_REG_CR0, SMMU_CR0_SMMUEN | SMMU_CR0_EVENTQEN);
	// Default 100 ns spins: only the doubling udelay reaches the 1 s
	// limit before the poll-count guard (4M polls = 0.4 s of spinning).
	CallRec rec = r.Run([&](kcall *k) {
		uint64_t cmd[2];
		smmu_cmd_tlbi_nh_asid(cmd, 0, 1);
		return arm_smmu_cmdq_issue_cmd(d, cmd, true, k);
	});
	EXPECT_EQ(rec.rc, -ETIMEDOUT);
	EXPECT_GE(rec.ns, 1000000000u);
	EXPECT_LT(rec.ns, 2100000000u); // the last doubling may overshoot
}

TEST(DrvMaster, ReleasePutsTheAbortSteBackAndFreesTheSid)
{
	DrvRig r;
	arm_smmu_device *d = r.AddProbed();
	arm_smmu_master *m = r.Master(d, 0x77);
	arm_smmu_domain *dom = r.Paging(m);
	ASSERT_EQ(r.Attach(dom, m).rc, 0);
	uint64_t buf = r.Alloc(4096);
	ASSERT_EQ(r.Map(dom, 0x1000, buf, 4096).rc, 0);
	ASSERT_EQ(r.Dma(0, 0x77, 0x1000).outcome, SMMU_XLATE_OK);
	uint64_t used = kmem_used(r.env.mem);
	CallRec rel = r.Run([&](kcall *k) {
		arm_smmu_release_master(m, k);
		return 0;
	});
	EXPECT_EQ(rel.Count(SMMU_CMD_TLBI_NH_ASID), 1u); // last user of the ASID left
	EXPECT_LT(kmem_used(r.env.mem), used);           // CD table freed
	auto x = r.Dma(0, 0x77, 0x1000);
	EXPECT_EQ(x.outcome, SMMU_XLATE_ABORT);
	EXPECT_EQ(x.event, 0); // abort STE: silent
	arm_smmu_master *again = r.Master(d, 0x77);
	EXPECT_NE(again, nullptr);
	r.Free(dom);
	EXPECT_EQ(r.S(0).cerrors(), 0u);
}

TEST(DrvDomainCc, EnforceCacheCoherencyNeedsCanwbsMasters)
{
	DrvRig r;
	arm_smmu_device *d = r.AddProbed();
	arm_smmu_master *ok = r.Master(d, 1, false, true);
	arm_smmu_master *nc = r.Master(d, 2, false, false);
	arm_smmu_domain *a = r.Paging(ok), *b = r.Paging(ok);
	ASSERT_EQ(r.Attach(a, nc).rc, 0);
	EXPECT_FALSE(arm_smmu_domain_enforce_cc(a));
	ASSERT_EQ(r.Attach(b, ok).rc, 0);
	EXPECT_TRUE(arm_smmu_domain_enforce_cc(b));
	EXPECT_EQ(r.Attach(b, nc).rc, -EINVAL);
	r.Attach(arm_smmu_blocked_domain(), nc);
	r.Attach(arm_smmu_blocked_domain(), ok);
	r.Free(a);
	r.Free(b);
}

TEST(DrvIrq, EmptyQueuesAndNoGerrorDoNothing)
{
	DrvRig r;
	arm_smmu_device *d = r.AddProbed();
	CallRec e = r.Run([&](kcall *k) {
		arm_smmu_handle_irq(d, SMMU_IRQ_EVENTQ, k);
		arm_smmu_handle_irq(d, SMMU_IRQ_GERROR, k);
		return 0;
	});
	EXPECT_TRUE(e.ops.empty());
	EXPECT_GE(e.ns, 2u * r.env.t.irq_entry);
	EXPECT_EQ(r.Reg(0, SMMU_REG_GERROR), r.Reg(0, SMMU_REG_GERRORN));
}

TEST(DrvIrq, EventQueueDrainsAcrossWrapAndOverflow)
{
	DrvRig r;
	arm_smmu_device *d = r.AddProbed();
	arm_smmu_master *m = r.Master(d, 3);
	arm_smmu_domain *dom = r.Paging(m);
	ASSERT_EQ(r.Attach(dom, m).rc, 0);
	// 200 faults into a 128-entry queue: the queue fills and overflows.
	for (int i = 0; i < 200; i++)
		r.Dma(0, 3, 0x100000 + 0x1000ull * i);
	size_t recorded = 0;
	for (bool rec : r.S(0).events_recorded)
		recorded += rec;
	EXPECT_LT(recorded, 200u);
	CallRec irq = r.Run([&](kcall *k) {
		arm_smmu_handle_irq(d, SMMU_IRQ_EVENTQ, k);
		return 0;
	});
	EXPECT_GE(irq.ns, recorded * r.env.t.evt_handle);
	uint32_t prod = (uint32_t)r.Reg(0, SMMU_REG_EVENTQ_PROD);
	uint32_t cons = (uint32_t)r.Reg(0, SMMU_REG_EVENTQ_CONS);
	EXPECT_EQ(prod & 0xff, cons & 0xff);                 // drained (index + wrap)
	EXPECT_EQ(prod & SMMU_Q_OVFLG, cons & SMMU_Q_OVFLG); // overflow acknowledged
	// The queue records again.
	auto x = r.Dma(0, 3, 0x900000);
	EXPECT_TRUE(x.event_recorded);
	r.Attach(arm_smmu_blocked_domain(), m);
	r.Free(dom);
}

} // namespace
