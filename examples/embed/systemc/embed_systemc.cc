// embed_systemc.cc - smmusim's SMMU module (libsmmusim_systemc) in a SystemC
// platform of one's own.
//
// Everything but the SMMU is this file's: a memory target, a CPU that plays
// the driver over two TLM-2.0 initiator sockets (register writes to the
// SMMU, structure writes to memory), and a DMA engine that issues
// tlm_generic_payload transactions upstream of the SMMU, tagged with a
// StreamID in the SmmuTxnExt extension. The wiring:
//
//   cpu.mmio ------------------------> smmu.regs
//   cpu.mem  ----------------------+
//   dma.port ---> smmu.upstream[0] |
//                 smmu.walker -----+--> memory.socket
//                 smmu.downstream -+
//
// The CPU lays out a stream table, a context descriptor and page tables
// with the model's encoders, enables the SMMU (CR0/CR0ACK, CFGI + SYNC,
// event-queue interrupt), and lets the DMA engine run:
//   - StreamID 1, stage 1: a read and a write at IOVA 0x40000000 reach
//     PA 0x300000;
//   - StreamID 2, stage 2 (VMID 5): a read at IPA 0x80000000 reaches
//     PA 0x304000;
//   - StreamID 1 at an unmapped IOVA: an error response; the CPU takes the
//     event-queue interrupt and reads F_TRANSLATION from the queue.
// Exit status 0 when every check passed, 1 otherwise. `--break` maps the
// stage-1 page to the wrong PA (a driver bug) to show a check failing.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <smmu/build_cmd.h>
#include <smmu/build_pt.h>
#include <smmu/build_ste.h>
#include <smmu/smmu.h>
#include <smmu/smmu_regs.h>
#include <smmusim/smmu_module.h>
#include <smmusim/txn_ext.h>

using sc_core::SC_NS;
using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

namespace
{

constexpr uint64_t kMemSize = 4u << 20;
constexpr uint64_t kStrtab = 0x1000, kCmdq = 0x10000, kEvtq = 0x20000, kCd = 0x30000;
constexpr uint64_t kHeap = 0x100000;
constexpr unsigned kQlog2 = 4;
constexpr uint64_t kIova = 0x40000000, kIovaPa = 0x300000;
constexpr uint64_t kIpa = 0x80000000, kIpaPa = 0x304000;
const char kMsg1[] = "hello from PA 0x300000";
const char kMsg2[] = "hello from PA 0x304000";
const char kDmaData[] = "written by the DMA";

int g_failures = 0;

void check(bool ok, const std::string &what)
{
	if (!ok) {
		std::printf("embed_systemc: FAIL: %s\n", what.c_str());
		g_failures++;
	}
}

// ---- memory: a flat array behind one multi-initiator target socket ----

class Memory : public sc_core::sc_module
{
      public:
	tlm_utils::multi_passthrough_target_socket<Memory> socket;
	std::vector<uint8_t> bytes;

	Memory(sc_core::sc_module_name n, uint64_t size)
	    : sc_module(n), socket("socket"), bytes(size, 0)
	{
		socket.register_b_transport(this, &Memory::b_transport);
		socket.register_transport_dbg(this, &Memory::transport_dbg);
	}

      private:
	bool access(tlm::tlm_generic_payload &gp)
	{
		uint64_t a = gp.get_address(), len = gp.get_data_length();
		if (a >= bytes.size() || len > bytes.size() - a) {
			gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
			return false;
		}
		if (gp.is_write()) {
			const uint8_t *be = gp.get_byte_enable_ptr();
			for (uint64_t i = 0; i < len; i++)
				if (!be || be[i % gp.get_byte_enable_length()] == TLM_BYTE_ENABLED)
					bytes[a + i] = gp.get_data_ptr()[i];
		} else if (gp.is_read()) {
			std::memcpy(gp.get_data_ptr(), &bytes[a], len);
		}
		gp.set_response_status(tlm::TLM_OK_RESPONSE);
		return true;
	}
	void b_transport(int, tlm::tlm_generic_payload &gp, sc_time &delay)
	{
		access(gp);
		delay += sc_time(50, SC_NS); // one DRAM access
	}
	unsigned int transport_dbg(int, tlm::tlm_generic_payload &gp)
	{
		return access(gp) ? gp.get_data_length() : 0;
	}
};

// ---- the DMA engine: a device upstream of the SMMU ----

class Dma : public sc_core::sc_module
{
      public:
	tlm_utils::simple_initiator_socket<Dma> port;
	sc_core::sc_event go, finished;

	SC_HAS_PROCESS(Dma);
	Dma(sc_core::sc_module_name n, Memory &mem) : sc_module(n), port("port"), mem_(mem)
	{
		SC_THREAD(run);
	}

      private:
	// One transaction through the SMMU; returns the extension's verdict.
	smmusim::SmmuTxnExt transfer(uint32_t sid, bool write, uint64_t addr, void *data,
	                             unsigned len, tlm::tlm_response_status &resp)
	{
		smmusim::SmmuTxnExt ext;
		ext.sid = sid;
		tlm::tlm_generic_payload gp;
		gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
		gp.set_address(addr);
		gp.set_data_ptr(static_cast<unsigned char *>(data));
		gp.set_data_length(len);
		gp.set_streaming_width(len);
		gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
		gp.set_extension(&ext);
		sc_time delay = SC_ZERO_TIME;
		port->b_transport(gp, delay);
		resp = gp.get_response_status();
		gp.clear_extension(&ext); // ours, not the payload's to free
		wait(delay);              // loosely timed: sync after each DMA
		return ext;
	}

	void run()
	{
		wait(go);
		tlm::tlm_response_status resp;
		char buf[64] = {};

		sc_time t0 = sc_core::sc_time_stamp();
		auto ext = transfer(1, false, kIova, buf, sizeof(kMsg1), resp);
		std::printf("dma: sid 1 read  iova 0x%llx -> pa 0x%llx %s, %s, %s: \"%s\"\n",
		            (unsigned long long)kIova, (unsigned long long)ext.pa,
		            resp == tlm::TLM_OK_RESPONSE ? "ok" : "error",
		            smmu_hit_name((smmu_hit)ext.hit),
		            (sc_core::sc_time_stamp() - t0).to_string().c_str(), buf);
		check(resp == tlm::TLM_OK_RESPONSE && ext.pa == kIovaPa,
		      "sid 1 read: wrong translation");
		check(std::strcmp(buf, kMsg1) == 0, "sid 1 read: wrong data");

		std::memcpy(buf, kDmaData, sizeof(kDmaData));
		ext = transfer(1, true, kIova + 0x100, buf, sizeof(kDmaData), resp);
		const char *landed = reinterpret_cast<const char *>(&mem_.bytes[kIovaPa + 0x100]);
		std::printf(
		    "dma: sid 1 write iova 0x%llx -> pa 0x%llx %s, %s: memory holds \"%s\"\n",
		    (unsigned long long)kIova + 0x100, (unsigned long long)ext.pa,
		    resp == tlm::TLM_OK_RESPONSE ? "ok" : "error", smmu_hit_name((smmu_hit)ext.hit),
		    landed);
		check(resp == tlm::TLM_OK_RESPONSE && ext.pa == kIovaPa + 0x100,
		      "sid 1 write: wrong translation");
		check(std::strcmp(landed, kDmaData) == 0, "sid 1 write: data not in memory");

		std::memset(buf, 0, sizeof(buf));
		ext = transfer(2, false, kIpa, buf, sizeof(kMsg2), resp);
		std::printf("dma: sid 2 read  ipa  0x%llx -> pa 0x%llx %s, vmid %u: \"%s\"\n",
		            (unsigned long long)kIpa, (unsigned long long)ext.pa,
		            resp == tlm::TLM_OK_RESPONSE ? "ok" : "error", ext.xlate.vmid, buf);
		check(resp == tlm::TLM_OK_RESPONSE && ext.pa == kIpaPa && ext.xlate.vmid == 5,
		      "sid 2 read: wrong translation");
		check(std::strcmp(buf, kMsg2) == 0, "sid 2 read: wrong data");

		ext = transfer(1, false, kIova + 0x1000, buf, 8, resp);
		const char *ev = smmu_event_name(ext.event);
		std::printf("dma: sid 1 read  iova 0x%llx -> %s, event %s\n",
		            (unsigned long long)kIova + 0x1000,
		            resp == tlm::TLM_OK_RESPONSE ? "ok" : "error response",
		            ev ? ev : "none");
		check(resp != tlm::TLM_OK_RESPONSE && ext.outcome == SMMU_XLATE_ABORT &&
		          ext.event == SMMU_EVT_F_TRANSLATION,
		      "unmapped iova: not a translation fault");
		finished.notify();
	}

	Memory &mem_;
};

// ---- the CPU: the driver, over MMIO and memory writes ----

class Cpu : public sc_core::sc_module
{
      public:
	tlm_utils::simple_initiator_socket<Cpu> mmio, mem;

	SC_HAS_PROCESS(Cpu);
	Cpu(sc_core::sc_module_name n, smmusim::SmmuModule &smmu, Dma &dma, bool broken)
	    : sc_module(n), mmio("mmio"), mem("mem"), smmu_(smmu), dma_(dma), broken_(broken)
	{
		SC_THREAD(run);
	}

	bool done = false;

      private:
	tlm::tlm_response_status bus(tlm_utils::simple_initiator_socket<Cpu> &s, bool write,
	                             uint64_t addr, void *data, unsigned len)
	{
		tlm::tlm_generic_payload gp;
		gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
		gp.set_address(addr);
		gp.set_data_ptr(static_cast<unsigned char *>(data));
		gp.set_data_length(len);
		gp.set_streaming_width(len);
		gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
		sc_time delay = sc_time(1, SC_NS);
		s->b_transport(gp, delay);
		wait(delay);
		return gp.get_response_status();
	}
	void w32(uint64_t off, uint32_t v)
	{
		check(bus(mmio, true, off, &v, 4) == tlm::TLM_OK_RESPONSE, "register write");
	}
	void w64(uint64_t off, uint64_t v)
	{
		check(bus(mmio, true, off, &v, 8) == tlm::TLM_OK_RESPONSE, "register write");
	}
	uint32_t r32(uint64_t off)
	{
		uint32_t v = 0;
		check(bus(mmio, false, off, &v, 4) == tlm::TLM_OK_RESPONSE, "register read");
		return v;
	}
	bool poll32(uint64_t off, uint32_t want)
	{
		for (int i = 0; i < 10000; i++) {
			if (r32(off) == want)
				return true;
			wait(10, SC_NS);
		}
		return false;
	}
	void mem_write(uint64_t pa, const void *data, unsigned len)
	{
		check(bus(mem, true, pa, const_cast<void *>(data), len) == tlm::TLM_OK_RESPONSE,
		      "memory write");
	}

	// The table builder writes descriptors through these (build_pt.h).
	static int pt_read64(void *ctx, uint64_t addr, uint64_t *val)
	{
		return static_cast<Cpu *>(ctx)->bus(static_cast<Cpu *>(ctx)->mem, false, addr, val,
		                                    8) == tlm::TLM_OK_RESPONSE
		           ? 0
		           : 1;
	}
	static int pt_write64(void *ctx, uint64_t addr, uint64_t val)
	{
		return static_cast<Cpu *>(ctx)->bus(static_cast<Cpu *>(ctx)->mem, true, addr, &val,
		                                    8) == tlm::TLM_OK_RESPONSE
		           ? 0
		           : 1;
	}
	static int pt_alloc(void *ctx, uint64_t size, uint64_t *addr)
	{
		Cpu *c = static_cast<Cpu *>(ctx);
		uint64_t a = (c->heap_ + size - 1) & ~(size - 1);
		if (a + size > kIovaPa)
			return 1;
		std::vector<uint8_t> zero(size, 0);
		c->mem_write(a, zero.data(), (unsigned)size);
		c->heap_ = a + size;
		*addr = a;
		return 0;
	}

	void commands(const std::vector<std::array<uint64_t, 2>> &cmds)
	{
		uint32_t mask = (1u << kQlog2) - 1, wrap = (2u << kQlog2) - 1;
		for (const auto &c : cmds) {
			mem_write(kCmdq + 16ull * (prod_ & mask), c.data(), 16);
			prod_ = (prod_ + 1) & wrap;
		}
		w32(SMMU_REG_CMDQ_PROD, prod_);
		check(poll32(SMMU_REG_CMDQ_CONS, prod_), "command queue drained");
	}

	void enable()
	{
		w64(SMMU_REG_STRTAB_BASE, kStrtab);
		w32(SMMU_REG_STRTAB_BASE_CFG, 4); // linear, 2^4 StreamIDs
		w64(SMMU_REG_CMDQ_BASE, kCmdq | kQlog2);
		w32(SMMU_REG_CMDQ_PROD, 0);
		w32(SMMU_REG_CMDQ_CONS, 0);
		w64(SMMU_REG_EVENTQ_BASE, kEvtq | kQlog2);
		w32(SMMU_REG_EVENTQ_PROD, 0);
		w32(SMMU_REG_EVENTQ_CONS, 0);
		// Wired event-queue interrupt (EVENTQ_IRQ_CFG0 = 0: no MSI).
		w32(SMMU_REG_IRQ_CTRL, SMMU_IRQ_CTRL_EVENTQ_IRQEN);
		check(poll32(SMMU_REG_IRQ_CTRLACK, SMMU_IRQ_CTRL_EVENTQ_IRQEN), "IRQ_CTRLACK");
		uint32_t cr0 = SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN;
		w32(SMMU_REG_CR0, cr0);
		check(poll32(SMMU_REG_CR0ACK, cr0), "CR0ACK (queues)");
		std::array<uint64_t, 2> c[3];
		smmu_cmd_cfgi_all(c[0].data());
		smmu_cmd_tlbi_nsnh_all(c[1].data());
		smmu_cmd_sync(c[2].data(), 0, 0, 0);
		commands({c[0], c[1], c[2]});
		cr0 |= SMMU_CR0_SMMUEN;
		w32(SMMU_REG_CR0, cr0);
		check(poll32(SMMU_REG_CR0ACK, cr0), "CR0ACK (SMMUEN)");
	}

	void setup_streams()
	{
		static const smmu_pt_ops ops = {pt_read64, pt_write64, pt_alloc};
		smmu_pt_attr a;

		// StreamID 1: stage 1 (ASID 1, 48-bit VA, 4 KiB granule).
		smmu_pt s1;
		smmu_pt_cfg c1{};
		c1.granule_shift = 12;
		c1.tsz = 16;
		c1.start_level = -1;
		check(smmu_pt_init(&s1, &c1, &ops, this) == SMMU_PT_OK, "stage-1 table init");
		smmu_pt_attr_default(&a, false);
		uint64_t pa = broken_ ? kIovaPa + 0x1000 : kIovaPa;
		check(smmu_pt_map(&s1, kIova, pa, 0x1000, 12, &a) == SMMU_PT_OK, "stage-1 map");
		uint64_t cd[8], ste[8];
		smmu_build_cd(cd, s1.root, 1, 12, 48);
		mem_write(kCd, cd, 64);
		smmu_build_ste_s1(ste, kCd, 0, 0);
		mem_write(kStrtab + 64 * 1, ste, 64);

		// StreamID 2: stage 2 (VMID 5, 40-bit IPA). The tables start at the
		// level S2SL0 names (4 KiB: 0 -> level 2, 1 -> 1, 2 -> 0).
		smmu_ste_fields f;
		smmu_ste_fields_init(&f);
		check(smmu_ste_fields_s2(&f, 5, 0, 12, 40), "stage-2 geometry");
		smmu_pt s2;
		smmu_pt_cfg c2{};
		c2.stage2 = true;
		c2.granule_shift = 12;
		c2.tsz = f.s2t0sz;
		c2.start_level = (int8_t)(f.s2sl0 == 0 ? 2 : f.s2sl0 == 1 ? 1 : 0);
		check(smmu_pt_init(&s2, &c2, &ops, this) == SMMU_PT_OK, "stage-2 table init");
		smmu_pt_attr_default(&a, true);
		check(smmu_pt_map(&s2, kIpa, kIpaPa, 0x1000, 12, &a) == SMMU_PT_OK, "stage-2 map");
		f.s2ttb = s2.root;
		smmu_build_ste(&f, ste);
		mem_write(kStrtab + 64 * 2, ste, 64);

		std::array<uint64_t, 2> c[3];
		smmu_cmd_cfgi_ste(c[0].data(), 1, true);
		smmu_cmd_cfgi_ste(c[1].data(), 2, true);
		smmu_cmd_sync(c[2].data(), 0, 0, 0);
		commands({c[0], c[1], c[2]});
	}

	void run()
	{
		uint32_t idr0 = r32(SMMU_REG_IDR0);
		std::printf("cpu: SMMU IDR0 0x%08x, programming it\n", idr0);
		mem_write(kIovaPa, kMsg1, sizeof(kMsg1));
		mem_write(kIpaPa, kMsg2, sizeof(kMsg2));
		enable();
		setup_streams();

		dma_.go.notify();
		wait(dma_.finished);
		if (smmu_.irq_evtq.pulses() == 0)
			wait(sc_time(10, sc_core::SC_US), smmu_.irq_evtq.fired);
		check(smmu_.irq_evtq.pulses() == 1, "event-queue interrupt");
		uint32_t prod = r32(SMMU_REG_EVENTQ_PROD);
		uint64_t rec[4] = {};
		check(bus(mem, false, kEvtq, rec, 32) == tlm::TLM_OK_RESPONSE, "event record read");
		unsigned id = rec[0] & 0xff, sid = (unsigned)(rec[0] >> 32);
		uint64_t input = rec[2];
		const char *name = smmu_event_name(id);
		std::printf(
		    "cpu: event-queue interrupt (%llu pulse), %u record: %s sid %u iova 0x%llx\n",
		    (unsigned long long)smmu_.irq_evtq.pulses(), prod & ((2u << kQlog2) - 1),
		    name ? name : "?", sid, (unsigned long long)input);
		check(prod == 1 && id == SMMU_EVT_F_TRANSLATION && sid == 1 &&
		          input == kIova + 0x1000,
		      "event queue: F_TRANSLATION for sid 1 not recorded");
		w32(SMMU_REG_EVENTQ_CONS, prod);
		done = true;
	}

	smmusim::SmmuModule &smmu_;
	Dma &dma_;
	bool broken_;
	uint64_t heap_ = kHeap;
	uint32_t prod_ = 0;
};

} // namespace

int sc_main(int argc, char **argv)
{
	bool broken = argc > 1 && std::strcmp(argv[1], "--break") == 0;

	smmu_config cfg;
	smmu_config_default(&cfg);
	cfg.num_tbus = 1; // one upstream port: the DMA engine

	Memory memory("memory", kMemSize);
	smmusim::SmmuModule smmu("smmu", 0, cfg, /*observer=*/nullptr, /*use_dmi=*/false);
	Dma dma("dma", memory);
	Cpu cpu("cpu", smmu, dma, broken);

	cpu.mmio.bind(smmu.regs);
	cpu.mem.bind(memory.socket);
	dma.port.bind(smmu.upstream[0]);
	smmu.walker.bind(memory.socket);
	smmu.downstream.bind(memory.socket);

	sc_core::sc_start(); // until nothing is left to do
	check(cpu.done, "the CPU did not finish");
	if (g_failures) {
		std::printf("embed_systemc: FAIL (%d checks)\n", g_failures);
		return 1;
	}
	std::printf("embed_systemc: PASS at %s\n", sc_core::sc_time_stamp().to_string().c_str());
	return 0;
}
