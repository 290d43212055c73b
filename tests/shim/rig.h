// rig.h - a machine for uapi_shim tests: N real models/smmuv3 instances, one
// flat simulated DRAM that the models and the emulated kernel share, the
// shim host ops wired to both, and a kenv (kmem over that DRAM, default
// ktiming). Used by the driver tests (drv_*_test.cc) and the iommufd/VFIO
// tests (fd_*_test.cc).
//
// Memory map
//   DRAM  [kDramBase, kDramBase + dram_size): calloc'd (lazily zeroed by the
//         host OS, so 256 MiB costs nothing until touched). Both the SMMU
//         models (their table walks, queue reads, event writes, MSIs) and
//         the kernel (kmem_*) reach it; anything outside is a bus error.
//   SMMU i: addressed by its index in the host ops (mmio_read/mmio_write's
//         `smmu` argument), registers per IHI 0070 (smmu_regs.h).
//
// Time
//   The kernel counts nanoseconds (kcall.t); the model counts SMMU cycles.
//   The rig converts with each SMMU's t.clock_mhz (cycles = ns * MHz / 1000;
//   the default 1000 MHz makes them equal) and keeps one machine clock,
//   `now_ns`, that only moves forward: Call() starts a kcall at now_ns and
//   End() moves now_ns to where the call finished; Dma() runs a transaction
//   at now_ns and moves now_ns past its completion.
//
// Usage
//   ShimRig r;                               // or ShimRig r(cfgs, dram_size)
//   r.Build(2);                              // two default SMMUs
//   ShimRig::Call c(r);                      // a kcall at r.now_ns
//   arm_smmu_device_probe(&r.env, 0, c.get(), &dev);
//   c.End();                                 // r.now_ns = c.k.t
//   auto x = r.Dma(0, sid, iova, /*write=*/true);
//
// What the model's host ops saw is kept per SMMU (events offered to the
// event queue, consumed commands with their CERROR, interrupt pulses, MSIs,
// ATC invalidations), so tests can assert on what really reached the
// hardware, not only on what the kernel says it issued.
#ifndef SHIM_TESTS_RIG_H
#define SHIM_TESTS_RIG_H

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

extern "C" {
#include "kernel.h"
}
#include "smmu/build_cmd.h"
#include "smmu/build_pt.h"
#include "smmu/build_ste.h"
#include "smmu/smmu.h"
#include "smmu/smmu_regs.h"

class ShimRig
{
      public:
	static constexpr uint64_t kDramBase = 0x80000000ull;
	static constexpr uint64_t kDefaultDram = 256ull << 20;

	// What one SMMU's host ops reported.
	struct Smmu {
		ShimRig *rig = nullptr;
		uint32_t index = 0;
		smmu *s = nullptr;
		smmu_config cfg{};
		std::vector<smmu_event> events;    // every event offered (recorded or not)
		std::vector<bool> events_recorded; // parallel to events
		std::vector<smmu_cmd_report> cmds; // every consumed command
		std::vector<std::pair<smmu_irq, uint64_t>> irqs;
		std::vector<std::pair<uint64_t, uint32_t>> msis; // (addr, data)
		std::vector<uint32_t> ats_invs;                  // SIDs of ATC_INVs delivered
		uint64_t ats_latency = 0; // cycles an ATC_INV round trip takes
		uint32_t cerrors() const
		{
			uint32_t n = 0;
			for (auto &c : cmds)
				n += c.cerror != 0;
			return n;
		}
		uint64_t Cycles(uint64_t ns) const { return ns * cfg.t.clock_mhz / 1000; }
	};

	uint64_t dram_size;
	uint8_t *dram = nullptr;
	std::vector<std::unique_ptr<Smmu>> smmus;
	shim_host_ops hops{};
	kenv env{};
	uint64_t now_ns = 1000;
	std::vector<std::string> log; // messages through either log op
	int mmio_errors = 0;          // host-op bus errors (bad offset/width/index)

	explicit ShimRig(uint64_t dram_bytes = kDefaultDram) : dram_size(dram_bytes)
	{
		dram = static_cast<uint8_t *>(calloc(1, dram_size));
		hops.size = sizeof(hops);
		hops.mem_read = HostMemRead;
		hops.mem_write = HostMemWrite;
		hops.mmio_read = HostMmioRead;
		hops.mmio_write = HostMmioWrite;
		hops.log = HostLog;
		env.ops = &hops;
		env.host = this;
		ktiming_default(&env.t);
		kmem_create(&env, kDramBase, dram_size, &env.mem);
	}
	~ShimRig()
	{
		for (auto &s : smmus)
			smmu_destroy(s->s);
		kmem_destroy(env.mem);
		free(dram);
	}
	ShimRig(const ShimRig &) = delete;
	ShimRig &operator=(const ShimRig &) = delete;

	// A default configuration (smmu_config_default), for tests to edit and
	// pass to Add().
	static smmu_config DefaultConfig()
	{
		smmu_config c;
		smmu_config_default(&c);
		return c;
	}
	// Create one more SMMU; returns its index (the host-ops `smmu` number).
	uint32_t Add(const smmu_config &cfg)
	{
		auto m = std::make_unique<Smmu>();
		m->rig = this;
		m->index = (uint32_t)smmus.size();
		m->cfg = cfg;
		smmu_host_ops o{};
		o.size = sizeof(o);
		o.mem_read = ModelMemRead;
		o.mem_write = ModelMemWrite;
		o.irq = ModelIrq;
		o.msi = ModelMsi;
		o.ats_inv = ModelAtsInv;
		o.event = ModelEvent;
		o.cmd_done = ModelCmdDone;
		o.log = ModelLog;
		char err[256] = "";
		smmu_config_check(&cfg, err, sizeof(err));
		int rc = smmu_create(&cfg, &o, m.get(), &m->s);
		EXPECT_EQ(rc, SMMU_OK) << smmu_strerror(rc) << ": " << err;
		smmus.push_back(std::move(m));
		return smmus.back()->index;
	}
	// n SMMUs with the default configuration.
	void Build(unsigned n = 1)
	{
		for (unsigned i = 0; i < n; i++)
			Add(DefaultConfig());
	}
	Smmu &S(uint32_t i) { return *smmus.at(i); }

	// ---- kernel calls ----
	// A kcall starting at the machine clock; End() (or the destructor)
	// advances the clock to where the call finished and frees the record.
	struct Call {
		ShimRig &r;
		kcall k;
		bool ended = false;
		explicit Call(ShimRig &rig) : r(rig) { kcall_begin(&k, &r.env, r.now_ns); }
		~Call() { End(); }
		void End()
		{
			if (ended)
				return;
			if (k.t > r.now_ns)
				r.now_ns = k.t;
			kcall_end(&k);
			ended = true;
		}
		kcall *get() { return &k; }
		// Opcodes issued so far, in order.
		std::vector<uint8_t> Ops() const
		{
			return std::vector<uint8_t>(k.cmds, k.cmds + k.ncmds);
		}
		uint32_t Count(uint8_t op) const
		{
			uint32_t n = 0;
			for (uint32_t i = 0; i < k.ncmds; i++)
				n += k.cmds[i] == op;
			return n;
		}
	};

	// ---- DMA ----
	// One upstream transaction on SMMU `i` at the machine clock.
	smmu_xlate_result Dma(uint32_t i, uint32_t sid, uint64_t addr, bool write = false,
	                      bool ssv = false, uint32_t ssid = 0, uint32_t port = 0)
	{
		Smmu &m = S(i);
		smmu_txn t{};
		t.port = port;
		t.sid = sid;
		t.ssid = ssid;
		t.ssv = ssv;
		t.addr = addr;
		t.len = 8;
		t.write = write;
		smmu_xlate_result res{};
		EXPECT_EQ(smmu_translate(m.s, &t, m.Cycles(now_ns), &res), SMMU_OK);
		uint64_t done_ns = res.done * 1000 / m.cfg.t.clock_mhz + 1;
		if (done_ns > now_ns)
			now_ns = done_ns;
		return res;
	}

	// ---- direct register access (tests only; the kernel uses the host ops) ----
	uint64_t Reg(uint32_t i, uint64_t off, unsigned width = 4)
	{
		uint64_t v = ~0ull;
		EXPECT_EQ(smmu_mmio_read(S(i).s, off, width, S(i).Cycles(now_ns), &v), SMMU_OK);
		return v;
	}
	void SetReg(uint32_t i, uint64_t off, uint64_t v, unsigned width = 4)
	{
		EXPECT_EQ(smmu_mmio_write(S(i).s, off, width, v, S(i).Cycles(now_ns)), SMMU_OK);
	}

	// ---- DRAM ----
	bool InDram(uint64_t pa, uint64_t len) const
	{
		return pa >= kDramBase && len <= dram_size && pa - kDramBase <= dram_size - len;
	}
	uint64_t Read64(uint64_t pa) const
	{
		uint64_t v = 0;
		if (InDram(pa, 8))
			memcpy(&v, dram + (pa - kDramBase), 8); // little-endian host
		return v;
	}
	void Write64(uint64_t pa, uint64_t v)
	{
		if (InDram(pa, 8))
			memcpy(dram + (pa - kDramBase), &v, 8);
	}
	// Allocate zeroed DRAM from the kernel's allocator (test-owned pages:
	// guest tables, CDs, DMA buffers).
	uint64_t Alloc(uint64_t size, uint64_t align = 4096)
	{
		uint64_t pa = 0;
		EXPECT_EQ(0, kmem_alloc(env.mem, size, align, &pa));
		return pa;
	}
	// struct smmu_pt_ops over the rig's DRAM, allocating through kmem, for
	// building guest page tables with build_pt.h (table address = PA).
	static const smmu_pt_ops *PtOps()
	{
		static const smmu_pt_ops o = {PtRead, PtWrite, PtAlloc};
		return &o;
	}

      private:
	static ShimRig *R(void *h) { return static_cast<ShimRig *>(h); }
	static Smmu *M(void *h) { return static_cast<Smmu *>(h); }

	int MemRead(uint64_t pa, void *buf, uint32_t len)
	{
		if (!InDram(pa, len))
			return 1;
		memcpy(buf, dram + (pa - kDramBase), len);
		return 0;
	}
	int MemWrite(uint64_t pa, const void *buf, uint32_t len)
	{
		if (!InDram(pa, len))
			return 1;
		memcpy(dram + (pa - kDramBase), buf, len);
		return 0;
	}

	// shim host ops
	static int HostMemRead(void *h, uint64_t pa, void *buf, uint32_t len)
	{
		return R(h)->MemRead(pa, buf, len);
	}
	static int HostMemWrite(void *h, uint64_t pa, const void *buf, uint32_t len)
	{
		return R(h)->MemWrite(pa, buf, len);
	}
	static int HostMmioRead(void *h, uint32_t i, uint64_t off, unsigned width, uint64_t now_ns,
	                        uint64_t *val)
	{
		ShimRig *r = R(h);
		if (i >= r->smmus.size()) {
			r->mmio_errors++;
			return 1;
		}
		Smmu &m = *r->smmus[i];
		int rc = smmu_mmio_read(m.s, off, width, m.Cycles(now_ns), val);
		if (rc)
			r->mmio_errors++;
		return rc;
	}
	static int HostMmioWrite(void *h, uint32_t i, uint64_t off, unsigned width, uint64_t val,
	                         uint64_t now_ns)
	{
		ShimRig *r = R(h);
		if (i >= r->smmus.size()) {
			r->mmio_errors++;
			return 1;
		}
		Smmu &m = *r->smmus[i];
		int rc = smmu_mmio_write(m.s, off, width, val, m.Cycles(now_ns));
		if (rc)
			r->mmio_errors++;
		return rc;
	}
	static void HostLog(void *h, int level, const char *msg)
	{
		R(h)->log.push_back("shim[" + std::to_string(level) + "] " + msg);
	}

	// model host ops
	static int ModelMemRead(void *h, uint64_t pa, void *buf, uint32_t len)
	{
		return M(h)->rig->MemRead(pa, buf, len);
	}
	static int ModelMemWrite(void *h, uint64_t pa, const void *buf, uint32_t len)
	{
		return M(h)->rig->MemWrite(pa, buf, len);
	}
	static void ModelIrq(void *h, smmu_irq line, uint64_t cycle)
	{
		M(h)->irqs.push_back({line, cycle});
	}
	static int ModelMsi(void *h, uint64_t addr, uint32_t data, uint64_t)
	{
		Smmu *m = M(h);
		m->msis.push_back({addr, data});
		return m->rig->MemWrite(addr, &data, 4);
	}
	static uint64_t ModelAtsInv(void *h, uint32_t sid, uint32_t, bool, bool, uint64_t, uint8_t,
	                            uint64_t cycle)
	{
		Smmu *m = M(h);
		m->ats_invs.push_back(sid);
		return cycle + m->ats_latency;
	}
	static void ModelEvent(void *h, const smmu_event *ev, bool recorded, uint64_t)
	{
		M(h)->events.push_back(*ev);
		M(h)->events_recorded.push_back(recorded);
	}
	static void ModelCmdDone(void *h, const smmu_cmd_report *rep)
	{
		M(h)->cmds.push_back(*rep);
	}
	static void ModelLog(void *h, int level, const char *msg)
	{
		Smmu *m = M(h);
		m->rig->log.push_back("smmu" + std::to_string(m->index) + "[" +
		                      std::to_string(level) + "] " + msg);
	}

	// build_pt callbacks
	static int PtRead(void *ctx, uint64_t a, uint64_t *v) { return R(ctx)->MemRead(a, v, 8); }
	static int PtWrite(void *ctx, uint64_t a, uint64_t v) { return R(ctx)->MemWrite(a, &v, 8); }
	static int PtAlloc(void *ctx, uint64_t size, uint64_t *a)
	{
		ShimRig *r = R(ctx);
		uint64_t sz = size < 4096 ? 4096 : size;
		return kmem_alloc(r->env.mem, sz, sz, a) ? 1 : 0;
	}
};

#endif
