// regs_test.cc - the register file (IHI 0070 §6): ID registers derived from
// the configuration, reset values, the CR0/CR0ACK and IRQ_CTRL handshakes,
// guarded registers, GBPA update, GERROR/GERRORN, 32/64-bit access rules.
#include "rig.h"

namespace {

class Regs : public ::testing::Test {
protected:
	Rig r;
	void Create() {
		smmu_host_ops o = r.ops();
		ASSERT_EQ(smmu_create(&r.cfg, &o, &r, &r.s), SMMU_OK);
	}
};

TEST_F(Regs, IdRegistersOfTheDefaultConfiguration)
{
	Create();
	uint32_t idr0 = r.R32(SMMU_REG_IDR0);
	EXPECT_EQ(idr0 & 3, 3u);               // S1P, S2P
	EXPECT_EQ((idr0 >> 2) & 3, 2u);        // TTF AArch64
	EXPECT_EQ((idr0 >> 5) & 1, 0u);        // BTM off by default
	EXPECT_EQ((idr0 >> 9) & 1, 1u);        // Hyp
	EXPECT_EQ((idr0 >> 10) & 1, 1u);       // ATS
	EXPECT_EQ((idr0 >> 12) & 1, 1u);       // ASID16
	EXPECT_EQ((idr0 >> 13) & 1, 1u);       // MSI
	EXPECT_EQ((idr0 >> 18) & 1, 1u);       // VMID16
	EXPECT_EQ((idr0 >> 19) & 1, 1u);       // CD2L
	EXPECT_EQ((idr0 >> 21) & 3, 2u);       // TTENDIAN little-endian
	EXPECT_EQ((idr0 >> 24) & 3, 1u);       // STALL_MODEL terminate only
	EXPECT_EQ((idr0 >> 27) & 3, 1u);       // ST_LEVEL 2-level
	uint32_t idr1 = r.R32(SMMU_REG_IDR1);
	EXPECT_EQ(idr1 & 0x3f, 16u);           // SIDSIZE
	EXPECT_EQ((idr1 >> 6) & 0x1f, 20u);    // SSIDSIZE
	EXPECT_EQ((idr1 >> 16) & 0x1f, 19u);   // EVENTQS
	EXPECT_EQ((idr1 >> 21) & 0x1f, 19u);   // CMDQS
	EXPECT_EQ((r.R32(SMMU_REG_IDR3) >> 10) & 1, 1u); // RIL
	uint32_t idr5 = r.R32(SMMU_REG_IDR5);
	EXPECT_EQ(idr5 & 7, 5u);               // OAS 48
	EXPECT_EQ((idr5 >> 4) & 7, 7u);        // 4K, 16K, 64K
	EXPECT_EQ(r.R32(SMMU_REG_AIDR), 2u);   // SMMUv3.2
	EXPECT_EQ(r.R32(SMMU_REG_IIDR) & 0xfff, 0x43Bu);
}

TEST_F(Regs, IdRegistersFollowTheConfiguration)
{
	char err[128];
	ASSERT_EQ(smmu_config_set(&r.cfg, "vmid_bits", "8", err, sizeof err), SMMU_OK) << err;
	ASSERT_EQ(smmu_config_set(&r.cfg, "btm", "on", err, sizeof err), SMMU_OK) << err;
	ASSERT_EQ(smmu_config_set(&r.cfg, "oas", "40", err, sizeof err), SMMU_OK) << err;
	ASSERT_EQ(smmu_config_set(&r.cfg, "gran16k", "off", err, sizeof err), SMMU_OK) << err;
	ASSERT_EQ(smmu_config_set(&r.cfg, "sidsize", "12", err, sizeof err), SMMU_OK) << err;
	Create();
	uint32_t idr0 = r.R32(SMMU_REG_IDR0);
	EXPECT_EQ((idr0 >> 18) & 1, 0u);
	EXPECT_EQ((idr0 >> 5) & 1, 1u);
	EXPECT_EQ(r.R32(SMMU_REG_IDR5) & 7, 2u);
	EXPECT_EQ((r.R32(SMMU_REG_IDR5) >> 5) & 1, 0u);
	EXPECT_EQ(r.R32(SMMU_REG_IDR1) & 0x3f, 12u);
}

TEST_F(Regs, ResetValues)
{
	Create();
	EXPECT_EQ(r.R32(SMMU_REG_CR0), 0u);
	EXPECT_EQ(r.R32(SMMU_REG_CR0ACK), 0u);
	EXPECT_EQ(r.R32(SMMU_REG_GERROR), 0u);
	EXPECT_EQ(r.R32(SMMU_REG_GERRORN), 0u);
	EXPECT_EQ(r.R32(SMMU_REG_IRQ_CTRL), 0u);
	EXPECT_EQ(r.R32(SMMU_REG_IRQ_CTRLACK), 0u);
	EXPECT_EQ(r.R32(SMMU_REG_GBPA) & SMMU_GBPA_UPDATE, 0u);
	EXPECT_EQ(r.R32(SMMU_REG_GBPA) & SMMU_GBPA_ABORT, 0u);
	EXPECT_EQ(r.R32(0xFF0), 0x0Du); // CIDR0
	EXPECT_EQ(r.R32(0xFFC), 0xB1u); // CIDR3
}

TEST_F(Regs, Cr0AckFollowsCr0AndIdRegistersAreReadOnly)
{
	Create();
	r.W32(SMMU_REG_CR0, SMMU_CR0_EVENTQEN);
	EXPECT_EQ(r.R32(SMMU_REG_CR0ACK), SMMU_CR0_EVENTQEN);
	uint32_t idr0 = r.R32(SMMU_REG_IDR0);
	r.W32(SMMU_REG_IDR0, 0);
	EXPECT_EQ(r.R32(SMMU_REG_IDR0), idr0);
	r.W32(SMMU_REG_CR0, 0xFFFFFFFF);
	EXPECT_EQ(r.R32(SMMU_REG_CR0) & ~SMMU_CR0_MASK, 0u); // RES0 bits
	// VMW[8:6] is RES0 with IDR0.VMW == 0, and not reflected in CR0ACK.
	EXPECT_EQ((idr0 >> 17) & 1, 0u);
	EXPECT_EQ(r.R32(SMMU_REG_CR0) & 0x1C0u, 0u);
	EXPECT_EQ(r.R32(SMMU_REG_CR0ACK) & 0x1C0u, 0u);
	EXPECT_EQ(r.R32(SMMU_REG_CR0ACK), 0x1Fu);
}

TEST_F(Regs, GuardedRegistersIgnoreWritesWhileEnabled)
{
	Create();
	r.W64(SMMU_REG_STRTAB_BASE, 0x100000);
	r.W32(SMMU_REG_CR2, SMMU_CR2_RECINVSID);
	r.W32(SMMU_REG_CR0, SMMU_CR0_SMMUEN);
	r.W64(SMMU_REG_STRTAB_BASE, 0x200000);
	r.W32(SMMU_REG_CR2, 0);
	EXPECT_EQ(r.R64(SMMU_REG_STRTAB_BASE), 0x100000u);
	EXPECT_EQ(r.R32(SMMU_REG_CR2), SMMU_CR2_RECINVSID);
	// CMDQ_BASE and CMDQ_CONS are guarded by CMDQEN; CMDQ_PROD never is.
	r.W64(SMMU_REG_CMDQ_BASE, 0x300000 | 4);
	r.W32(SMMU_REG_CR0, SMMU_CR0_SMMUEN | SMMU_CR0_CMDQEN);
	r.W64(SMMU_REG_CMDQ_BASE, 0x400000 | 4);
	r.W32(SMMU_REG_CMDQ_CONS, 3);
	EXPECT_EQ(r.R64(SMMU_REG_CMDQ_BASE), 0x300004u);
	EXPECT_EQ(r.R32(SMMU_REG_CMDQ_CONS), 0u);
	// EVENTQ_PROD is guarded by EVENTQEN; EVENTQ_CONS is always writable.
	r.W32(SMMU_REG_CR0, SMMU_CR0_SMMUEN | SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN);
	r.W32(SMMU_REG_EVENTQ_PROD, 5);
	r.W32(SMMU_REG_EVENTQ_CONS, 0);
	EXPECT_EQ(r.R32(SMMU_REG_EVENTQ_PROD), 0u);
}

TEST_F(Regs, SixtyFourBitRegistersAreTwoHalves)
{
	Create();
	r.W32(SMMU_REG_STRTAB_BASE, 0x12345640);
	r.W32(SMMU_REG_STRTAB_BASE + 4, 0x00000ABC);
	EXPECT_EQ(r.R64(SMMU_REG_STRTAB_BASE), 0x00000ABC12345640ull);
	EXPECT_EQ(r.R32(SMMU_REG_STRTAB_BASE + 4), 0xABCu);
	r.W64(SMMU_REG_EVENTQ_BASE, 0x0000123456789A00ull | 7);
	EXPECT_EQ(r.R32(SMMU_REG_EVENTQ_BASE), 0x56789A07u);
	// RES0 bits of the BASE registers read as zero; RA/WA (bit 62) is kept.
	r.W64(SMMU_REG_CMDQ_BASE, 0xFF00000000000000ull | 0x1000 | 0x1F);
	EXPECT_EQ(r.R64(SMMU_REG_CMDQ_BASE) & 0xBF00000000000000ull, 0u);
	EXPECT_EQ(r.R64(SMMU_REG_CMDQ_BASE), 0x4000000000001000ull | 0x1F);
	r.W64(SMMU_REG_EVENTQ_BASE, ~0ull);
	EXPECT_EQ(r.R64(SMMU_REG_EVENTQ_BASE), 0x40FFFFFFFFFFFFFFull);
}

TEST_F(Regs, MisalignedOrBadWidthAccessesAreRejected)
{
	Create();
	uint64_t v;
	EXPECT_EQ(smmu_mmio_read(r.s, 0x22, 4, 0, &v), SMMU_ERR_RANGE);
	EXPECT_EQ(smmu_mmio_read(r.s, 0x84, 8, 0, &v), SMMU_ERR_RANGE);
	EXPECT_EQ(smmu_mmio_read(r.s, 0x20, 2, 0, &v), SMMU_ERR_RANGE);
	EXPECT_EQ(smmu_mmio_write(r.s, SMMU_REG_SPACE, 4, 0, 0), SMMU_ERR_RANGE);
	// an offset whose end wraps past 2^64 is out of range too
	EXPECT_EQ(smmu_mmio_read(r.s, ~0ull - 7, 8, 0, &v), SMMU_ERR_RANGE);
	EXPECT_EQ(smmu_mmio_read(r.s, ~0ull - 3, 4, 0, &v), SMMU_ERR_RANGE);
	EXPECT_EQ(smmu_mmio_write(r.s, ~0ull - 7, 8, ~0ull, 0), SMMU_ERR_RANGE);
	EXPECT_EQ(smmu_mmio_read(r.s, 0x20, 4, 0, &v), SMMU_OK);
}

TEST_F(Regs, GbpaWritesWithoutUpdateAreIgnored)
{
	Create();
	r.W32(SMMU_REG_GBPA, SMMU_GBPA_ABORT);
	EXPECT_EQ(r.R32(SMMU_REG_GBPA) & SMMU_GBPA_ABORT, 0u);
	r.W32(SMMU_REG_GBPA, SMMU_GBPA_UPDATE | SMMU_GBPA_ABORT);
	EXPECT_EQ(r.R32(SMMU_REG_GBPA), SMMU_GBPA_ABORT);
}

TEST_F(Regs, GerrorToggleAndInterruptOnlyWhenEnabled)
{
	r.Init();
	r.irqs.clear();
	uint64_t c[2];
	smmu_cmd_raw(c, 0x7F, 0, 0);
	r.Cmd(c); // CMDQ_ERR with GERROR_IRQEN off: no interrupt
	EXPECT_EQ(r.R32(SMMU_REG_GERROR), SMMU_GERROR_CMDQ_ERR);
	EXPECT_TRUE(r.irqs.empty());
	// A second error while active is not logged (the bit does not toggle back).
	r.W32(SMMU_REG_CMDQ_PROD, r.R32(SMMU_REG_CMDQ_PROD));
	EXPECT_EQ(r.R32(SMMU_REG_GERROR), SMMU_GERROR_CMDQ_ERR);
	// Acknowledge with the queue still holding the bad command: the error
	// recurs; now with the interrupt enabled it is signalled.
	r.W32(SMMU_REG_IRQ_CTRL, SMMU_IRQ_CTRL_GERROR_IRQEN);
	EXPECT_EQ(r.R32(SMMU_REG_IRQ_CTRLACK), SMMU_IRQ_CTRL_GERROR_IRQEN);
	r.W32(SMMU_REG_GERRORN, r.R32(SMMU_REG_GERROR));
	EXPECT_EQ(r.R32(SMMU_REG_GERROR), 0u); // toggled again: active
	EXPECT_NE(r.R32(SMMU_REG_GERRORN), r.R32(SMMU_REG_GERROR));
	ASSERT_EQ(r.irqs.size(), 1u);
	EXPECT_EQ(r.irqs[0].first, SMMU_IRQ_GERROR);
}

TEST_F(Regs, GerrorMsiWhenConfigured)
{
	r.Init();
	uint64_t msi = r.mem.alloc(8);
	r.W64(SMMU_REG_GERROR_IRQ_CFG0, msi);
	r.W32(SMMU_REG_GERROR_IRQ_CFG1, 0x5555);
	r.W32(SMMU_REG_IRQ_CTRL, SMMU_IRQ_CTRL_GERROR_IRQEN);
	r.msis.clear();
	uint64_t c[2];
	smmu_cmd_raw(c, 0x7F, 0, 0);
	r.Cmd(c);
	ASSERT_EQ(r.msis.size(), 1u);
	EXPECT_EQ(r.msis[0].addr, msi);
	EXPECT_EQ(r.mem.read32(msi), 0x5555u);
	// The CFG registers are guarded by the enable.
	r.W64(SMMU_REG_GERROR_IRQ_CFG0, 0x1000);
	EXPECT_EQ(r.R64(SMMU_REG_GERROR_IRQ_CFG0), msi);
}

TEST_F(Regs, CreateRejectsBadArguments)
{
	smmu *s = nullptr;
	smmu_host_ops o = r.ops();
	smmu_config bad = r.cfg;
	bad.size = 4;
	EXPECT_EQ(smmu_create(&bad, &o, &r, &s), SMMU_ERR_INVAL);
	bad = r.cfg;
	bad.tlb.ways = 3;
	EXPECT_EQ(smmu_create(&bad, &o, &r, &s), SMMU_ERR_INVAL);
	o.mem_read = nullptr;
	EXPECT_EQ(smmu_create(&r.cfg, &o, &r, &s), SMMU_ERR_INVAL);
	EXPECT_EQ(s, nullptr);
	EXPECT_STRNE(smmu_strerror(SMMU_ERR_INVAL), "");
}

TEST_F(Regs, SeveralInstancesAreIndependent)
{
	Rig a, b;
	a.Init();
	b.cfg.vmid16 = false;
	b.Init();
	EXPECT_NE(a.R32(SMMU_REG_IDR0), b.R32(SMMU_REG_IDR0));
	uint64_t ste[8];
	smmu_build_ste_bypass(ste);
	a.SetSte(1, ste);
	smmu_build_ste_abort(ste);
	b.SetSte(1, ste);
	EXPECT_EQ(a.X(1, 0x1000).outcome, SMMU_XLATE_OK);
	EXPECT_EQ(b.X(1, 0x1000).outcome, SMMU_XLATE_ABORT);
}

} // namespace
