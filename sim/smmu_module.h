// smmu_module.h - one SMMUv3 (TCU plus a TBU per upstream port) on the
// TLM-2.0 platform: a socket shell around the C model (models/smmuv3).
//
// The module owns sockets and time, never behaviour (STYLE.md 9): every
// register access, translation and command is the model's; the module only
//  - converts simulated time to the model's cycles and back (ClockDomain),
//  - carries the model's memory traffic (host ops mem_read/mem_write) over
//    the `walker` socket, with DMI when memory grants it,
//  - forwards translated DMA over `downstream`, adding the memory latency,
//  - delivers interrupts and MSI writes at the cycle the model gives,
//  - reports events and consumed commands to an observer (the statistics),
//  - drops every DMI pointer it holds whenever the model invalidates
//    anything (a command with invalidation=true, or a broadcast TLBI).
//
// Timing of an upstream transaction (loosely timed, no wait()): it arrives at
// sc_time_stamp() + delay, which names the model's `now` cycle; the model
// answers with the cycles it took; delay grows by cycles x clock period and,
// when the data access goes to memory, by the memory's latency. Table walks
// are charged by the model itself (t.mem_read cycles per read), so the
// latency the memory returns for walker accesses is not added again.
#ifndef SMMUSIM_SIM_SMMU_MODULE_H
#define SMMUSIM_SIM_SMMU_MODULE_H

#include <cstdint>
#include <functional>
#include <queue>
#include <string>
#include <map>
#include <memory>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "clock.h"
#include "dmi_cache.h"
#include "pcie_ats/pcie_ats.h"
#include "smmu/smmu.h"

namespace smmusim {

class DmaTxnPool;   // pcie_function.h
struct DmaRequest;
struct DmaResult;

// What the platform reports outward; the statistics implement it.
class SmmuObserver {
public:
	virtual ~SmmuObserver() = default;
	virtual void on_event(unsigned smmu, const smmu_event &ev, bool recorded, uint64_t cycle) = 0;
	virtual void on_cmd(unsigned smmu, const smmu_cmd_report &rep) = 0;
	virtual void on_log(unsigned smmu, int level, const char *msg) = 0;
	// An entry an invalidation removed (the model's inv_removed observer).
	virtual void on_removed(unsigned smmu, const smmu_removed_entry &e, uint64_t cycle)
	{
		(void)smmu, (void)e, (void)cycle;
	}
};

// An interrupt output. Pulses are delivered at their cycle by the kernel; a
// listener (a GIC model, a test) may bind a callback, and processes may wait
// on `fired`.
class IrqOut {
public:
	explicit IrqOut(const char *name) : name_(name) {}
	const char *name() const { return name_; }
	uint64_t pulses() const { return pulses_; }
	void bind(std::function<void(uint64_t cycle)> cb) { listeners_.push_back(std::move(cb)); }
	sc_core::sc_event fired;

	void pulse(uint64_t cycle)
	{
		pulses_++;
		fired.notify(sc_core::SC_ZERO_TIME);
		for (auto &cb : listeners_)
			cb(cycle);
	}

private:
	const char *name_;
	uint64_t pulses_ = 0;
	std::vector<std::function<void(uint64_t)>> listeners_;
};

class SmmuModule : public sc_core::sc_module {
	struct UpstreamPort;

public:
	// Any number of initiators may bind one (none: a TBU without devices);
	// a transaction reaches the port's b_transport with one virtual call.
	using UpstreamSocket = tlm::tlm_target_socket<32, tlm::tlm_base_protocol_types, 0,
						      sc_core::SC_ZERO_OR_MORE_BOUND>;

	// Register space (128 KiB, pages 0 and 1); 4- and 8-byte accesses.
	tlm_utils::simple_target_socket<SmmuModule> regs;
	// One per TBU port; several devices may share a port.
	sc_core::sc_vector<UpstreamSocket> upstream;
	// Table walks, queue and event-record traffic of the model.
	tlm_utils::simple_initiator_socket<SmmuModule> walker;
	// Translated DMA and MSI writes.
	tlm_utils::simple_initiator_socket<SmmuModule> downstream;

	IrqOut irq_evtq{"irq_evtq"};
	IrqOut irq_priq{"irq_priq"};
	IrqOut irq_gerror{"irq_gerror"};
	IrqOut irq_cmd_sync{"irq_cmd_sync"};

	// cfg must have passed smmu_create's checks (the platform builder
	// validates it first); creation failure here is a bug and throws.
	SmmuModule(sc_core::sc_module_name name, unsigned index, const smmu_config &cfg,
		   SmmuObserver *observer, bool use_dmi);
	~SmmuModule() override;

	unsigned index() const { return index_; }
	smmu *model() { return model_; }
	const smmu *model() const { return model_; }
	const ClockDomain &clock() const { return clock_; }

	// The direct path of a DMA of the platform's own PcieFunction (one
	// without an ATC; StreamID sid, payloads from pool) through
	// upstream[port]: what PcieFunction::dma() and upstream_b_transport()
	// do together - the same translation, cycles, memory access and
	// result - without a payload set up, a virtual call and an extension
	// looked up (the TLM-2.0 DMI idea applied to the translation; the
	// socket stays for every other initiator). A data access the DMI cache
	// cannot serve goes downstream in the function's payload, as
	// data_transport() sends it. (pcie_function.h: the types.)
	// (Both inline, in direct_dma.h: the replay's loop runs them.)
	void direct_dma(uint32_t port, uint32_t sid, DmaTxnPool *pool, const DmaRequest &req,
			sc_core::sc_time &delay, DmaResult &res);
	// The same for a transaction already made (t.port and t.sid this
	// function's, 1 <= t.len <= PcieFunction::kMaxLen).
	void direct_txn(const smmu_txn &t, DmaTxnPool *pool, sc_core::sc_time &delay,
			DmaResult &res);

	// A broadcast TLBI from a PE arriving at simulated time `at_ps` (the DVM
	// path, a plain call). Returns the entries removed.
	uint32_t btm_tlbi(const struct smmu_btm_tlbi &t, uint64_t at_ps);

	uint64_t dmi_revocations() const { return dmi_revocations_; }
	unsigned dmi_regions_held() const { return walker_dmi_.held() + downstream_dmi_.held(); }
	uint64_t msis() const { return msis_; }

	// ATS functions behind this SMMU, by StreamID: CMD_ATC_INV for one of
	// them becomes its Invalidate Request (models/pcie_ats) and completes
	// when its Completion is back. Other SIDs complete at once.
	void add_ats_function(uint32_t sid, struct pcie_ats *fn) { ats_[sid] = fn; }
	// PRG Response Messages the SMMU sent (CMD_PRI_RESP or automatic), per
	// StreamID and PRG index, latest last: the PCIe code and when it left.
	struct PriResponse {
		uint8_t code;
		bool ssv;
		uint32_t ssid;
		uint64_t ps;
	};
	const std::vector<PriResponse> *pri_responses(uint32_t sid, uint16_t prgi) const
	{
		auto it = pri_resps_.find(((uint64_t)sid << 16) | prgi);
		return it == pri_resps_.end() ? nullptr : &it->second;
	}
	uint64_t msi_errors() const { return msi_errors_; }

private:
	// The forward interface behind upstream[index]: blocking transport only.
	struct UpstreamPort final : tlm::tlm_fw_transport_if<> {
		UpstreamPort(SmmuModule *o, uint32_t i) : owner(o), index(i) {}
		SmmuModule *owner;
		uint32_t index;
		void b_transport(tlm::tlm_generic_payload &gp, sc_core::sc_time &delay) override
		{
			owner->upstream_b_transport(index, gp, delay);
		}
		tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload &gp, tlm::tlm_phase &,
						   sc_core::sc_time &) override;
		bool get_direct_mem_ptr(tlm::tlm_generic_payload &, tlm::tlm_dmi &) override
		{
			// Never: every transaction must go through the model.
			return false;
		}
		unsigned int transport_dbg(tlm::tlm_generic_payload &) override { return 0; }
	};

	// A pulse or MSI the model scheduled for a later cycle.
	struct Timed {
		uint64_t ps;
		uint64_t seq; // ties keep the model's order
		int irq;      // enum smmu_irq, or -1 for an MSI
		uint64_t addr;
		uint32_t data;
		bool operator>(const Timed &o) const { return ps != o.ps ? ps > o.ps : seq > o.seq; }
	};

	void regs_b_transport(tlm::tlm_generic_payload &gp, sc_core::sc_time &delay);
	unsigned int regs_transport_dbg(tlm::tlm_generic_payload &gp);
	void upstream_b_transport(uint32_t port, tlm::tlm_generic_payload &gp,
				  sc_core::sc_time &delay);
	void data_access(tlm::tlm_generic_payload &gp, uint64_t pa, sc_core::sc_time &delay);
	bool dmi_access(uint64_t pa, uint64_t len, bool write, uint8_t *data, const uint8_t *be,
			size_t be_len, sc_core::sc_time &delay);
	void add_cycles(uint32_t cycles, sc_core::sc_time &delay);
	void data_transport(tlm::tlm_generic_payload &gp, uint64_t pa, sc_core::sc_time &delay);
	void walker_invalidate(sc_dt::uint64 start, sc_dt::uint64 end);
	void downstream_invalidate(sc_dt::uint64 start, sc_dt::uint64 end);
	void revoke_dmi();
	void schedule(uint64_t cycle, int irq, uint64_t addr, uint32_t data);
	void timed_method();

	// Host ops (the model's only way out).
	static int op_mem_read(void *host, uint64_t pa, void *buf, uint32_t len);
	static int op_mem_write(void *host, uint64_t pa, const void *buf, uint32_t len);
	static void op_irq(void *host, enum smmu_irq line, uint64_t cycle);
	static int op_msi(void *host, uint64_t addr, uint32_t data, uint64_t cycle);
	static void op_event(void *host, const struct smmu_event *ev, bool recorded, uint64_t cycle);
	static void op_cmd_done(void *host, const struct smmu_cmd_report *rep);
	static void op_inv_removed(void *host, const struct smmu_removed_entry *e, uint64_t cycle);
	static void op_log(void *host, int level, const char *msg);
	static uint64_t op_ats_inv(void *host, uint32_t sid, uint32_t ssid, bool ssv, bool global,
				   uint64_t addr, uint8_t size, uint64_t cycle);
	std::map<uint32_t, struct pcie_ats *> ats_;
	std::map<uint64_t, std::vector<PriResponse>> pri_resps_;
	static void op_pri_resp(void *host, uint32_t sid, bool ssv, uint32_t ssid, uint16_t prgi,
				uint8_t code, uint64_t cycle);
	int walker_access(bool write, uint64_t pa, void *buf, uint32_t len);

	unsigned index_;
	smmu *model_ = nullptr;
	ClockDomain clock_;
	uint64_t last_cycles_ = 0; // the duration of the last translation
	sc_core::sc_time last_cycles_time_ = sc_core::SC_ZERO_TIME;
	SmmuObserver *observer_;
	bool use_dmi_;
	std::vector<std::unique_ptr<UpstreamPort>> ports_;
	DmiCache walker_dmi_, downstream_dmi_;
	tlm::tlm_generic_payload walker_gp_, msi_gp_;
	uint64_t dmi_revocations_ = 0;
	uint64_t msis_ = 0, msi_errors_ = 0;

	std::priority_queue<Timed, std::vector<Timed>, std::greater<Timed>> timed_;
	uint64_t timed_seq_ = 0;
	sc_core::sc_event timed_ev_;
};

} // namespace smmusim

#endif
