// platform_test.cc - the SystemC platform without a trace: a scenario thread
// programs one SMMU through the host CPU's MMIO socket and memory, issues
// DMA through two PCIe functions, and records what it saw; the tests then
// compare it with a second, standalone instance of the C model driven by the
// same calls at the same cycles (the platform must add nothing but time).
//
// One sc_start per process (STYLE.md 10): every TEST calls RunOnce(), which
// elaborates and simulates the first time only.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <vector>

#include <systemc>

#include "baremetal.h"
#include "platform.h"
#include "smmu/build_cmd.h"
#include "smmu/smmu_regs.h"

using namespace smmusim;
using sc_core::sc_time;

namespace {

constexpr uint64_t kVa = 0x40000000ull;
constexpr uint64_t kPa = 0x20000000ull;
constexpr uint64_t kFarPa = 0x7ff00000000ull; // beyond the 1 GiB of memory
constexpr uint64_t kMemLatencyPs = 100000;
constexpr uint64_t kMsiAddr = 0x30000000ull;

// One call into the model, as the platform made it.
struct Call {
	enum Kind { kMemWrite, kMmioWrite, kMmioRead, kDma } kind;
	uint64_t a = 0, v = 0; // address/offset, value
	unsigned width = 0;
	uint64_t now = 0; // SMMU cycle
	uint32_t port = 0, sid = 0;
	bool write = false;
	std::vector<uint8_t> bytes; // kMemWrite
};

struct DmaSeen {
	DmaRequest req;
	uint32_t sid, port;
	uint64_t now;
	DmaResult res;
	uint64_t latency_ps;
};

struct Seen {
	std::vector<Call> calls;
	std::vector<DmaSeen> dmas;
	uint64_t idr0 = 0;
	tlm::tlm_response_status idr0_resp, narrow_resp, misaligned_resp, outside_resp;
	unsigned dmi_held_after_dmas = 0, dmi_held_after_rewalk = 0;
	uint64_t revocations_before = 0, revocations_after_tlbi = 0, revocations_after_btm = 0;
	tlm::tlm_response_status beyond_memory_resp;
	uint64_t unwritten_value = 1;
	uint64_t pages_allocated = 0;
	uint64_t sync_msi_done = 0, msi_before = 1, msi_after = 0;
	uint64_t sync_irq_done = 0, irq_fired_ps = 0, irq_pulses = 0;
	std::vector<smmu_cmd_report> cmds;
	std::vector<unsigned> dmi_held_at_invalidation;
} S;

std::unique_ptr<Platform> g_plat;

class Recorder : public SmmuObserver {
public:
	void on_event(unsigned, const smmu_event &, bool, uint64_t) override {}
	void on_cmd(unsigned, const smmu_cmd_report &rep) override
	{
		S.cmds.push_back(rep);
		if (rep.invalidation)
			S.dmi_held_at_invalidation.push_back(g_plat->smmus[0]->dmi_regions_held());
	}
	void on_log(unsigned, int, const char *) override {}
};

// Collects the set-up the bare-metal builder produces.
struct SetupOps : BareMetalTrace::Sink {
	std::vector<std::pair<bool, std::array<uint64_t, 3>>> ops; // mmio?, {a, v, width}
	void mem_write64(uint64_t pa, uint64_t v) override { ops.push_back({false, {pa, v, 8}}); }
	void mmio_write(uint64_t off, unsigned width, uint64_t v) override
	{
		ops.push_back({true, {off, v, width}});
	}
};

class Scenario : public sc_core::sc_module {
public:
	SC_HAS_PROCESS(Scenario);
	Scenario(sc_core::sc_module_name n, Platform &p, SetupOps &setup, smmu_pt pt0)
		: sc_module(n), p_(p), setup_(setup), pt0_(pt0)
	{
		SC_THREAD(run);
	}

private:
	uint64_t now() const { return p_.smmus[0]->clock().cycle_at(sc_core::sc_time_stamp().value()); }
	void advance(const sc_time &delay) { wait(delay > sc_core::SC_ZERO_TIME ? delay : sc_time(1, sc_core::SC_NS)); }

	void mem_write64(uint64_t pa, uint64_t v)
	{
		sc_time d = sc_core::SC_ZERO_TIME;
		Call c;
		c.kind = Call::kMemWrite;
		c.a = pa;
		c.bytes.resize(8);
		for (int i = 0; i < 8; i++)
			c.bytes[i] = (uint8_t)(v >> (8 * i));
		c.now = now();
		S.calls.push_back(c);
		EXPECT_EQ(p_.cpu->mem_write(pa, c.bytes.data(), 8, d), tlm::TLM_OK_RESPONSE);
		advance(d);
	}
	tlm::tlm_response_status mmio_write(uint64_t off, unsigned width, uint64_t v)
	{
		sc_time d = sc_core::SC_ZERO_TIME;
		Call c;
		c.kind = Call::kMmioWrite;
		c.a = off;
		c.v = v;
		c.width = width;
		c.now = now();
		S.calls.push_back(c);
		tlm::tlm_response_status st = p_.cpu->mmio_write(0, off, width, v, d);
		advance(d);
		return st;
	}
	tlm::tlm_response_status mmio_read(uint64_t off, unsigned width, uint64_t &v)
	{
		sc_time d = sc_core::SC_ZERO_TIME;
		Call c;
		c.kind = Call::kMmioRead;
		c.a = off;
		c.width = width;
		c.now = now();
		S.calls.push_back(c);
		tlm::tlm_response_status st = p_.cpu->mmio_read(0, off, width, v, d);
		advance(d);
		return st;
	}
	void dma(unsigned dev, uint64_t addr, bool write)
	{
		DmaSeen s;
		s.req = DmaRequest{addr, 64, 0, false, write, false, false};
		s.sid = p_.devices[dev]->sid();
		s.port = dev; // one TBU per device
		s.now = now();
		Call c;
		c.kind = Call::kDma;
		c.a = addr;
		c.now = s.now;
		c.port = s.port;
		c.sid = s.sid;
		c.write = write;
		S.calls.push_back(c);
		sc_time d = sc_core::SC_ZERO_TIME;
		p_.devices[dev]->dma(s.req, d, s.res);
		s.latency_ps = d.value();
		S.dmas.push_back(s);
		advance(d);
	}
	void command(const uint64_t c[2], uint32_t &prod)
	{
		uint64_t slot = cmdq_ + 16ull * (prod & 0xff);
		mem_write64(slot, c[0]);
		mem_write64(slot + 8, c[1]);
		prod = (prod + 1) & 0x1ff;
	}

	void run()
	{
		for (auto &op : setup_.ops) {
			if (op.first)
				mmio_write(op.second[0], (unsigned)op.second[2], op.second[1]);
			else
				mem_write64(op.second[0], op.second[1]);
		}
		uint64_t cmdq_base = 0;
		mmio_read(SMMU_REG_CMDQ_BASE, 8, cmdq_base);
		cmdq_ = cmdq_base & SMMU_Q_BASE_ADDR_MASK;
		uint64_t v = 0;
		mmio_read(SMMU_REG_CMDQ_PROD, 4, v);
		uint32_t prod = (uint32_t)v;

		// Registers through the regs socket.
		S.idr0_resp = mmio_read(SMMU_REG_IDR0, 4, S.idr0);
		uint64_t junk;
		sc_time d0 = sc_core::SC_ZERO_TIME;
		S.narrow_resp = p_.cpu->mmio_read(0, SMMU_REG_CR0, 2, junk, d0);
		S.misaligned_resp = p_.cpu->mmio_read(0, SMMU_REG_CR0 + 2, 4, junk, d0);
		S.outside_resp = p_.cpu->mmio_read(0, SMMU_REG_SPACE, 4, junk, d0);

		// DMA: walks, then micro-TLB hits; device 1 has no STE (C_BAD_STE
		// or abort, whatever the model says).
		dma(0, kVa + 0x40, false);
		dma(0, kVa + 0x80, false);
		dma(0, kVa + 0x1000, true);
		dma(0, kVa + 0x1040, false);
		dma(1, kVa, false);
		S.dmi_held_after_dmas = p_.smmus[0]->dmi_regions_held();

		// An invalidation drops every DMI pointer the SMMU holds.
		S.revocations_before = p_.smmus[0]->dmi_revocations();
		uint64_t c[2];
		smmu_cmd_tlbi_nh_asid(c, 0, 3);
		command(c, prod);
		smmu_cmd_sync(c, 0, 0, 0);
		command(c, prod);
		mmio_write(SMMU_REG_CMDQ_PROD, 4, prod);
		S.revocations_after_tlbi = p_.smmus[0]->dmi_revocations();
		dma(0, kVa + 0x40, false); // walks again, DMI comes back
		S.dmi_held_after_rewalk = p_.smmus[0]->dmi_regions_held();
		struct smmu_btm_tlbi t {};
		t.op = SMMU_BTM_VMALLE1IS;
		sc_time d = sc_core::SC_ZERO_TIME;
		p_.cpu->tlbi(t, d);
		S.revocations_after_btm = p_.smmus[0]->dmi_revocations();

		// A translation to a PA outside memory: translated, then a bus error.
		dma(0, kVa + 0x2000, false);

		// Memory: sparse and bounded.
		uint8_t buf[8] = {1, 1, 1, 1, 1, 1, 1, 1};
		d = sc_core::SC_ZERO_TIME;
		S.beyond_memory_resp = p_.cpu->mem_read(1ull << 30, buf, 8, d);
		d = sc_core::SC_ZERO_TIME;
		p_.cpu->mem_read(0x3ff00000, buf, 8, d);
		S.unwritten_value = 0;
		for (int i = 0; i < 8; i++)
			S.unwritten_value |= (uint64_t)buf[i] << (8 * i);
		S.pages_allocated = p_.memory->pages_allocated();

		// CMD_SYNC with an MSI: the write lands at the SYNC's completion cycle.
		size_t ncmd = S.cmds.size();
		smmu_cmd_sync(c, 1, kMsiAddr, 0x5a5a);
		command(c, prod);
		mmio_write(SMMU_REG_CMDQ_PROD, 4, prod);
		for (size_t i = ncmd; i < S.cmds.size(); i++)
			if (S.cmds[i].op == SMMU_CMD_SYNC)
				S.sync_msi_done = S.cmds[i].done;
		uint64_t at = p_.smmus[0]->clock().start_ps(S.sync_msi_done);
		uint64_t t0 = sc_core::sc_time_stamp().value();
		if (at > t0 + 1)
			wait(sc_time::from_value(at - 1 - t0));
		p_.memory->peek(kMsiAddr, &S.msi_before, 4);
		wait(sc_time::from_value(2));
		p_.memory->peek(kMsiAddr, &S.msi_after, 4);

		// CMD_SYNC without MSI: the CMD_SYNC interrupt at the same cycle.
		ncmd = S.cmds.size();
		smmu_cmd_sync(c, 1, 0, 0);
		command(c, prod);
		mmio_write(SMMU_REG_CMDQ_PROD, 4, prod);
		for (size_t i = ncmd; i < S.cmds.size(); i++)
			if (S.cmds[i].op == SMMU_CMD_SYNC)
				S.sync_irq_done = S.cmds[i].done;
		wait(p_.smmus[0]->irq_cmd_sync.fired);
		S.irq_fired_ps = sc_core::sc_time_stamp().value();
		S.irq_pulses = p_.smmus[0]->irq_cmd_sync.pulses();
	}

	Platform &p_;
	SetupOps &setup_;
	smmu_pt pt0_;
	uint64_t cmdq_ = 0;
};

std::unique_ptr<Recorder> g_rec;
std::unique_ptr<Scenario> g_scen;
std::unique_ptr<SetupOps> g_setup;
PlatformSpec g_spec;

void RunOnce()
{
	static bool done = false;
	if (done)
		return;
	done = true;
	g_spec.add_smmu("smmu0", Pos{});
	for (uint32_t i = 0; i < 2; i++) {
		DeviceSpec d;
		d.name = "dev" + std::to_string(i);
		d.smmu = 0;
		d.sid = i + 1;
		g_spec.devices.push_back(d);
	}
	Setting mem;
	mem.key = "memory.size";
	mem.value = "1G";
	g_spec.settings.push_back(mem);
	SimError err;
	ASSERT_TRUE(g_spec.finalize(err)) << err.msg;
	ASSERT_EQ(g_spec.smmus[0].cfg.num_tbus, 2u);

	g_setup.reset(new SetupOps);
	BareMetalTrace bm;
	bm.set_sink(g_setup.get());
	bm.enable(8);
	smmu_pt pt = bm.s1_stream(1, 3);
	bm.map_s1(pt, kVa, kPa, 0x2000);
	bm.map_s1(pt, kVa + 0x2000, kFarPa, 0x1000);
	bm.text();

	g_rec.reset(new Recorder);
	g_plat.reset(new Platform("platform", g_spec, g_rec.get()));
	g_scen.reset(new Scenario("scenario", *g_plat, *g_setup, pt));
	sc_core::sc_start();
}

// The standalone reference: the same model, the same calls, plain memory.
struct Reference {
	std::map<uint64_t, uint8_t> mem;
	smmu *s = nullptr;
	static int rd(void *h, uint64_t pa, void *buf, uint32_t len)
	{
		auto *r = static_cast<Reference *>(h);
		for (uint32_t i = 0; i < len; i++) {
			auto it = r->mem.find(pa + i);
			static_cast<uint8_t *>(buf)[i] = it == r->mem.end() ? 0 : it->second;
		}
		return 0;
	}
	static int wr(void *h, uint64_t pa, const void *buf, uint32_t len)
	{
		auto *r = static_cast<Reference *>(h);
		for (uint32_t i = 0; i < len; i++)
			r->mem[pa + i] = static_cast<const uint8_t *>(buf)[i];
		return 0;
	}
	explicit Reference(const smmu_config &cfg)
	{
		smmu_host_ops o{};
		o.size = sizeof(o);
		o.mem_read = rd;
		o.mem_write = wr;
		EXPECT_EQ(smmu_create(&cfg, &o, this, &s), SMMU_OK);
	}
	~Reference() { smmu_destroy(s); }
};

} // namespace

TEST(SimPlatform, DmaReturnsTheModelsPaAndLatency)
{
	RunOnce();
	Reference ref(g_spec.smmus[0].cfg);
	size_t k = 0;
	for (const Call &c : S.calls) {
		switch (c.kind) {
		case Call::kMemWrite:
			Reference::wr(&ref, c.a, c.bytes.data(), (uint32_t)c.bytes.size());
			break;
		case Call::kMmioWrite:
			smmu_mmio_write(ref.s, c.a, c.width, c.v, c.now);
			break;
		case Call::kMmioRead: {
			uint64_t v;
			smmu_mmio_read(ref.s, c.a, c.width, c.now, &v);
			break;
		}
		case Call::kDma: {
			ASSERT_LT(k, S.dmas.size());
			const DmaSeen &d = S.dmas[k++];
			smmu_txn t{};
			t.port = c.port;
			t.sid = c.sid;
			t.addr = c.a;
			t.len = 64;
			t.write = c.write;
			smmu_xlate_result r{};
			ASSERT_EQ(smmu_translate(ref.s, &t, c.now, &r), SMMU_OK);
			SCOPED_TRACE("DMA " + std::to_string(k));
			EXPECT_EQ(d.res.outcome, (uint8_t)r.outcome);
			EXPECT_EQ(d.res.hit, (uint8_t)r.hit);
			EXPECT_EQ(d.res.event, r.event);
			EXPECT_EQ(d.res.cycles, r.cycles);
			if (r.outcome == SMMU_XLATE_OK) {
				EXPECT_EQ(d.res.pa, r.pa);
				// 1 GHz: a cycle is 1000 ps; then one DRAM access, unless
				// the PA is outside memory.
				uint64_t mem = d.res.bus_error ? 0 : kMemLatencyPs;
				EXPECT_EQ(d.latency_ps, 1000ull * r.cycles + mem);
			} else {
				EXPECT_EQ(d.latency_ps, 1000ull * r.cycles);
			}
			break;
		}
		}
	}
	EXPECT_EQ(k, S.dmas.size());
	ASSERT_GE(S.dmas.size(), 7u);
	EXPECT_EQ(S.dmas[0].res.pa, kPa + 0x40);
	EXPECT_EQ(S.dmas[0].res.hit, SMMU_HIT_WALK);
	EXPECT_EQ(S.dmas[1].res.hit, SMMU_HIT_UTLB);
	EXPECT_EQ(S.dmas[2].res.pa, kPa + 0x1000);
	EXPECT_NE(S.dmas[4].res.outcome, SMMU_XLATE_OK); // no STE for sid 2
}

// The functions' DMAs share payloads by nesting depth: a DMA issued while
// another is in flight gets a payload of its own, and once both returned the
// next DMA goes out on the first again (each with its extension attached).
TEST(SimPlatform, DmaPayloadsArePooledByNestingDepth)
{
	DmaTxnPool pool;
	DmaTxnPool::Txn &a = pool.enter();
	DmaTxnPool::Txn &b = pool.enter();
	EXPECT_NE(&a, &b);
	EXPECT_EQ(a.gp.get_extension<SmmuTxnExt>(), &a.ext);
	EXPECT_EQ(b.gp.get_extension<SmmuTxnExt>(), &b.ext);
	EXPECT_GE(a.buf.size(), 64u);
	pool.leave();
	pool.leave();
	EXPECT_EQ(&pool.enter(), &a);
	EXPECT_EQ(&pool.enter(), &b);
	pool.leave();
	pool.leave();
}

TEST(SimPlatform, MmioGoesThroughTheRegsSocket)
{
	RunOnce();
	EXPECT_EQ(S.idr0_resp, tlm::TLM_OK_RESPONSE);
	Reference ref(g_spec.smmus[0].cfg);
	uint64_t idr0 = 0;
	smmu_mmio_read(ref.s, SMMU_REG_IDR0, 4, 0, &idr0);
	EXPECT_EQ(S.idr0, idr0);
	EXPECT_EQ(S.narrow_resp, tlm::TLM_BURST_ERROR_RESPONSE);
	EXPECT_EQ(S.misaligned_resp, tlm::TLM_ADDRESS_ERROR_RESPONSE);
	EXPECT_EQ(S.outside_resp, tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

TEST(SimPlatform, DmiIsRevokedOnEveryInvalidation)
{
	RunOnce();
	EXPECT_GT(S.dmi_held_after_dmas, 0u);
	EXPECT_GT(S.revocations_after_tlbi, S.revocations_before);
	// At every invalidation the SMMU holds no DMI region any more (the
	// command processor may take new ones for the commands after it).
	ASSERT_FALSE(S.dmi_held_at_invalidation.empty());
	for (unsigned held : S.dmi_held_at_invalidation)
		EXPECT_EQ(held, 0u);
	EXPECT_GT(S.dmi_held_after_rewalk, 0u);
	EXPECT_EQ(S.revocations_after_btm, S.revocations_after_tlbi + 1);
	// The walk after the invalidation still translated correctly.
	ASSERT_GE(S.dmas.size(), 6u);
	EXPECT_EQ(S.dmas[5].res.pa, kPa + 0x40);
	EXPECT_NE(S.dmas[5].res.hit, SMMU_HIT_UTLB);
}

TEST(SimPlatform, MemoryIsSparseAndBounded)
{
	RunOnce();
	EXPECT_EQ(S.beyond_memory_resp, tlm::TLM_ADDRESS_ERROR_RESPONSE);
	EXPECT_EQ(S.unwritten_value, 0u);
	EXPECT_LT(S.pages_allocated, 16u);
	ASSERT_GE(S.dmas.size(), 7u);
	const DmaSeen &far = S.dmas[6];
	EXPECT_EQ(far.res.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(far.res.pa, kFarPa);
	EXPECT_TRUE(far.res.bus_error);
}

TEST(SimPlatform, MsiAndInterruptArriveAtTheModelsCycle)
{
	RunOnce();
	ASSERT_NE(S.sync_msi_done, 0u);
	EXPECT_EQ(S.msi_before, 0u);
	EXPECT_EQ(S.msi_after, 0x5a5au);
	EXPECT_EQ(g_plat->smmus[0]->msis(), 1u);
	ASSERT_NE(S.sync_irq_done, 0u);
	EXPECT_EQ(S.irq_fired_ps, g_plat->smmus[0]->clock().start_ps(S.sync_irq_done));
	EXPECT_EQ(S.irq_pulses, 1u);
}

#include "sc_gtest_main.h"
