// rig.h - a whole SMMU on a test bench: TestMem as host memory, the model
// created through its public API, programmed only through MMIO and memory
// (stream table, CDs, page tables, command and event queues) the way a
// driver would. Records what the host ops see (events, command reports,
// interrupts, MSIs) so tests can assert on them.
#ifndef SMMU_TESTS_RIG_H
#define SMMU_TESTS_RIG_H

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "smmu/build_cmd.h"
#include "smmu/build_pt.h"
#include "smmu/build_ste.h"
#include "smmu/smmu.h"
#include "smmu/smmu_regs.h"
#include "testmem.h"

struct RigEvent {
	smmu_event ev;
	bool recorded;
	uint64_t cycle;
};

struct RigMsi {
	uint64_t addr;
	uint32_t data;
	uint64_t cycle;
};

class Rig {
public:
	static constexpr unsigned kCmdqLog2 = 8;
	static constexpr unsigned kEvtqLog2 = 6;

	TestMem mem;
	smmu *s = nullptr;
	smmu_config cfg;
	std::vector<RigEvent> events;
	std::vector<smmu_cmd_report> cmds;
	std::vector<std::pair<smmu_irq, uint64_t>> irqs;
	std::vector<RigMsi> msis;
	uint64_t strtab = 0, cmdq = 0, evtq = 0;
	unsigned strtab_log2 = 0;
	uint64_t now = 1000;
	std::vector<uint64_t> ats_invs; // sids
	uint64_t ats_latency = 0;
	// Set before Init() to install the inv_removed observer (off by default,
	// so every other test runs the model without it).
	bool observe_inv = false;
	std::vector<std::pair<smmu_removed_entry, uint64_t>> removed;

	Rig() { smmu_config_default(&cfg); }
	~Rig() { smmu_destroy(s); }

	static int mem_read(void *h, uint64_t pa, void *buf, uint32_t len) {
		auto *r = static_cast<Rig *>(h);
		for (uint64_t a = pa; a < pa + len; a += 8)
			if (r->mem.is_abort(a))
				return 1;
		r->mem.read(pa, buf, len);
		return 0;
	}
	static int mem_write(void *h, uint64_t pa, const void *buf, uint32_t len) {
		auto *r = static_cast<Rig *>(h);
		if (r->mem.is_write_abort(pa))
			return 1;
		r->mem.write(pa, buf, len);
		return 0;
	}
	static void on_irq(void *h, smmu_irq l, uint64_t c) {
		static_cast<Rig *>(h)->irqs.push_back({l, c});
	}
	static int on_msi(void *h, uint64_t a, uint32_t d, uint64_t c) {
		auto *r = static_cast<Rig *>(h);
		r->msis.push_back({a, d, c});
		r->mem.write32(a, d);
		return 0;
	}
	static void on_event(void *h, const smmu_event *ev, bool rec, uint64_t c) {
		static_cast<Rig *>(h)->events.push_back({*ev, rec, c});
	}
	static void on_cmd(void *h, const smmu_cmd_report *rep) {
		static_cast<Rig *>(h)->cmds.push_back(*rep);
	}
	static uint64_t on_ats(void *h, uint32_t sid, uint32_t, bool, bool, uint64_t, uint8_t,
			       uint64_t c) {
		auto *r = static_cast<Rig *>(h);
		r->ats_invs.push_back(sid);
		return c + r->ats_latency;
	}

	static void on_inv_removed(void *h, const smmu_removed_entry *e, uint64_t c) {
		static_cast<Rig *>(h)->removed.push_back({*e, c});
	}

	smmu_host_ops ops() {
		smmu_host_ops o{};
		o.size = sizeof(o);
		o.mem_read = mem_read;
		o.mem_write = mem_write;
		o.irq = on_irq;
		o.msi = on_msi;
		o.ats_inv = on_ats;
		o.event = on_event;
		o.cmd_done = on_cmd;
		if (observe_inv)
			o.inv_removed = on_inv_removed;
		o.stall_done = on_stall_done;
		o.pri_resp = on_pri_resp;
		return o;
	}
	struct StallDone {
		smmu_txn txn;
		uint16_t stag;
		smmu_xlate_result res;
		uint64_t cycle;
	};
	std::vector<StallDone> stall_done;
	struct PriResp {
		uint32_t sid;
		bool ssv;
		uint32_t ssid;
		uint16_t prgi;
		uint8_t code;
		uint64_t cycle;
	};
	std::vector<PriResp> pri_resps;
	static void on_pri_resp(void *h, uint32_t sid, bool ssv, uint32_t ssid, uint16_t prgi,
				uint8_t code, uint64_t cycle) {
		static_cast<Rig *>(h)->pri_resps.push_back({sid, ssv, ssid, prgi, code, cycle});
	}
	static void on_stall_done(void *h, const smmu_txn *t, uint16_t stag, const smmu_xlate_result *res,
				  uint64_t cycle) {
		static_cast<Rig *>(h)->stall_done.push_back({*t, stag, *res, cycle});
	}

	// Create the model and program it like a driver: linear or 2-level stream
	// table, queues, enable queues, invalidate all, enable SMMU.
	void Init(unsigned sid_log2 = 8, bool two_level = false) {
		smmu_host_ops o = ops();
		ASSERT_EQ(smmu_create(&cfg, &o, this, &s), SMMU_OK);
		strtab_log2 = sid_log2;
		if (!two_level) {
			strtab = mem.alloc(64ull << sid_log2);
			W64(SMMU_REG_STRTAB_BASE, strtab);
			W32(SMMU_REG_STRTAB_BASE_CFG, sid_log2);
		} else {
			// SPLIT 6: L1 entries each covering 64 STEs.
			unsigned n1 = sid_log2 > 6 ? 1u << (sid_log2 - 6) : 1;
			strtab = mem.alloc(8ull * n1, 64);
			W64(SMMU_REG_STRTAB_BASE, strtab);
			W32(SMMU_REG_STRTAB_BASE_CFG, (1u << 16) | (6u << 6) | sid_log2);
		}
		cmdq = mem.alloc(16ull << kCmdqLog2);
		evtq = mem.alloc(32ull << kEvtqLog2);
		W64(SMMU_REG_CMDQ_BASE, cmdq | kCmdqLog2);
		W32(SMMU_REG_CMDQ_PROD, 0);
		W32(SMMU_REG_CMDQ_CONS, 0);
		W64(SMMU_REG_EVENTQ_BASE, evtq | kEvtqLog2);
		W32(SMMU_REG_EVENTQ_PROD, 0);
		W32(SMMU_REG_EVENTQ_CONS, 0);
		W32(SMMU_REG_IRQ_CTRL, 0);
		W32(SMMU_REG_CR0, SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN);
		uint64_t c[2];
		smmu_cmd_cfgi_all(c);
		Cmd(c);
		smmu_cmd_tlbi_nsnh_all(c);
		Cmd(c);
		if (cfg.hyp && cfg.s1p && cfg.s2p) {
			smmu_cmd_tlbi_el2_all(c);
			Cmd(c);
		}
		Sync();
		W32(SMMU_REG_CR0, SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN | SMMU_CR0_SMMUEN);
	}

	void W32(uint64_t off, uint32_t v) { ASSERT_EQ(smmu_mmio_write(s, off, 4, v, now), SMMU_OK); }
	void W64(uint64_t off, uint64_t v) { ASSERT_EQ(smmu_mmio_write(s, off, 8, v, now), SMMU_OK); }
	uint32_t R32(uint64_t off) {
		uint64_t v = ~0ull;
		EXPECT_EQ(smmu_mmio_read(s, off, 4, now, &v), SMMU_OK);
		return (uint32_t)v;
	}
	uint64_t R64(uint64_t off) {
		uint64_t v = ~0ull;
		EXPECT_EQ(smmu_mmio_read(s, off, 8, now, &v), SMMU_OK);
		return v;
	}

	// STE address for sid (allocating the L2 table when 2-level).
	uint64_t SteAddr(uint32_t sid) {
		uint32_t cfgv = R32(SMMU_REG_STRTAB_BASE_CFG);
		if (((cfgv >> 16) & 3) == 0)
			return strtab + 64ull * sid;
		uint64_t l1 = strtab + 8ull * (sid >> 6);
		uint64_t d = mem.read64(l1);
		if (!(d & 0x1f)) {
			uint64_t l2 = mem.alloc(64 * 64);
			mem.write64(l1, smmu_build_l1std(l2, 7));
			d = mem.read64(l1);
		}
		return (d & 0x00FFFFFFFFFFFFC0ull) + 64ull * (sid & 63);
	}
	void SetSte(uint32_t sid, const uint64_t ste[8]) {
		uint64_t a = SteAddr(sid);
		for (int i = 0; i < 8; i++)
			mem.write64(a + 8 * i, ste[i]);
	}
	uint64_t PutCd(const uint64_t cd[8]) {
		uint64_t a = mem.alloc(64);
		for (int i = 0; i < 8; i++)
			mem.write64(a + 8 * i, cd[i]);
		return a;
	}

	// Queue a command and publish it with a PROD write.
	void Cmd(const uint64_t c[2], bool kick = true) {
		uint32_t prod = R32(SMMU_REG_CMDQ_PROD);
		uint32_t mask = (1u << kCmdqLog2) - 1;
		mem.write64(cmdq + 16ull * (prod & mask), c[0]);
		mem.write64(cmdq + 16ull * (prod & mask) + 8, c[1]);
		prod = (prod + 1) & ((2u << kCmdqLog2) - 1);
		if (kick)
			W32(SMMU_REG_CMDQ_PROD, prod);
		else
			pending_prod_ = prod, has_pending_ = true;
	}
	// Queue without publishing; Publish() writes PROD once.
	void Queue(const uint64_t c[2]) {
		uint32_t prod = has_pending_ ? pending_prod_ : R32(SMMU_REG_CMDQ_PROD);
		uint32_t mask = (1u << kCmdqLog2) - 1;
		mem.write64(cmdq + 16ull * (prod & mask), c[0]);
		mem.write64(cmdq + 16ull * (prod & mask) + 8, c[1]);
		pending_prod_ = (prod + 1) & ((2u << kCmdqLog2) - 1);
		has_pending_ = true;
	}
	void Publish() {
		if (has_pending_)
			W32(SMMU_REG_CMDQ_PROD, pending_prod_);
		has_pending_ = false;
	}
	void Sync() {
		uint64_t c[2];
		smmu_cmd_sync(c, 0, 0, 0);
		Cmd(c);
	}
	void Inv(void (*fn)(uint64_t *)) {
		uint64_t c[2];
		fn(c);
		Cmd(c);
		Sync();
	}

	smmu_xlate_result X(uint32_t sid, uint64_t addr, bool write = false, bool priv = false,
			    bool exec = false, bool ssv = false, uint32_t ssid = 0,
			    uint32_t port = 0) {
		smmu_txn t{};
		t.port = port;
		t.sid = sid;
		t.ssid = ssid;
		t.ssv = ssv;
		t.addr = addr;
		t.len = 64;
		t.write = write;
		t.priv = priv;
		t.exec = exec;
		smmu_xlate_result r{};
		EXPECT_EQ(smmu_translate(s, &t, now, &r), SMMU_OK);
		now = r.done + 1;
		return r;
	}

	// Event records in memory between CONS and PROD, consumed.
	std::vector<std::array<uint64_t, 4>> DrainEvents() {
		std::vector<std::array<uint64_t, 4>> out;
		uint32_t prod = R32(SMMU_REG_EVENTQ_PROD), cons = R32(SMMU_REG_EVENTQ_CONS);
		uint32_t mask = (1u << kEvtqLog2) - 1, qm = (2u << kEvtqLog2) - 1;
		while ((prod & qm) != (cons & qm)) {
			std::array<uint64_t, 4> rec;
			for (int i = 0; i < 4; i++)
				rec[i] = mem.read64(evtq + 32ull * (cons & mask) + 8 * i);
			out.push_back(rec);
			cons = (cons & ~qm) | ((cons + 1) & qm);
		}
		W32(SMMU_REG_EVENTQ_CONS, cons);
		return out;
	}

	// Stage-1 tables at PA (S1-only or S2) in `mem`.
	smmu_pt NewPt(bool stage2, unsigned granule, unsigned tsz, int start_level = -1) {
		smmu_pt pt{};
		smmu_pt_cfg c{};
		c.stage2 = stage2;
		c.granule_shift = (uint8_t)granule;
		c.tsz = (uint8_t)tsz;
		c.start_level = (int8_t)start_level;
		EXPECT_EQ(smmu_pt_init(&pt, &c, TestMem::pt_ops(), &mem), SMMU_PT_OK);
		return pt;
	}

private:
	uint32_t pending_prod_ = 0;
	bool has_pending_ = false;
};

#endif

// A nested setup: stage-2 tables (4K/16K/64K) that identity-map the rig's
// table heap, so stage-1 tables and CDs allocated from `mem` sit at IPA ==
// PA, plus extra IPA -> PA mappings added by the test.
struct NestedSetup {
	smmu_pt s2{};
	smmu_ste_fields f{};
	unsigned g = 12;

	void Build(Rig &r, unsigned granule, uint16_t vmid) {
		g = granule;
		smmu_ste_fields_init(&f);
		ASSERT_TRUE(smmu_ste_fields_s2(&f, vmid, 0, g, 40));
		smmu_pt_cfg c{};
		c.stage2 = true;
		c.granule_shift = (uint8_t)g;
		c.tsz = f.s2t0sz;
		c.start_level = (int8_t)(g == 12 ? (f.s2sl0 == 0 ? 2 : f.s2sl0 == 1 ? 1 : 0)
						 : 3 - f.s2sl0);
		ASSERT_EQ(smmu_pt_init(&s2, &c, TestMem::pt_ops(), &r.mem), SMMU_PT_OK);
		f.s2ttb = s2.root;
		// Identity-map [0, 1 GiB) (the heap starts at 256 MiB) with level-2 blocks.
		unsigned bshift = g + (g - 3);
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, true);
		ASSERT_EQ(smmu_pt_map(&s2, 0, 0, 1ull << 30, bshift, &a), SMMU_PT_OK);
	}
	void MapIpa(uint64_t ipa, uint64_t pa, uint64_t size, uint8_t s2ap = SMMU_PT_S2AP_RW) {
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, true);
		a.s2ap = s2ap;
		ASSERT_EQ(smmu_pt_map(&s2, ipa, pa, size, g, &a), SMMU_PT_OK);
	}
	// Nested STE with the CD at ctx (an IPA == PA in the identity region).
	void Ste(uint64_t ste[8], uint64_t cd_ipa) {
		smmu_ste_fields_s1(&f, cd_ipa, 0, 0);
		smmu_build_ste(&f, ste);
	}
};
