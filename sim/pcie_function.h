// pcie_function.h - a PCI function declared by a `device` record: a DMA
// initiator on one TBU port of its SMMU.
//
// Its DMAs go out on payloads (with the SmmuTxnExt attached and a data
// buffer that only grows) taken from a pool the platform's functions share:
// a DMA is blocking, so one payload serves them all and stays in the host's
// caches whichever of thousands of functions issues it (a DMA issued while
// another is in flight takes the next one). Issuing a DMA allocates nothing.
// DMA data is not part of the trace: a read's data is discarded, and a write
// is issued with every byte enable off, so it is translated, timed and
// bounds-checked like any write but leaves memory as it was (tables and
// queues that a trace built with `mem write` stay intact).
//
// Accepted but not modelled yet: ATS (an ATC and `ats` translation requests)
// and PRI; `ssid_bits` is kept for the kernel model.
#ifndef SMMUSIM_SIM_PCIE_FUNCTION_H
#define SMMUSIM_SIM_PCIE_FUNCTION_H

#include <cassert>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "pcie_ats/pcie_ats.h"
#include "txn_ext.h"

namespace smmusim {

struct DmaRequest {
	uint64_t addr;
	uint32_t len;
	uint32_t ssid;
	bool ssv, write, priv, exec;
};

struct DmaResult {
	uint8_t outcome;      // enum smmu_outcome
	uint8_t hit;          // enum smmu_hit
	uint8_t event;        // event id or 0
	bool event_recorded;
	bool bus_error;       // translated, but memory refused the access
	uint64_t pa;
	uint32_t cycles;      // translation cycles (SMMU clock)
	// The model's result (tag and provenance), in the payload's extension:
	// valid until the next DMA of any function of the pool.
	const smmu_xlate_result *xlate;
};

// The payloads of a platform's DMAs, by nesting depth: a DMA takes the one
// of its depth and gives it back when its transport returns.
class DmaTxnPool {
public:
	struct Txn {
		tlm::tlm_generic_payload gp;
		SmmuTxnExt ext;
		std::vector<uint8_t> buf;
		uint8_t no_bytes = TLM_BYTE_DISABLED; // a write's enable pattern
		Txn() : buf(64) { gp.set_extension(&ext); }
		// The payload of a DMA of len bytes (a write with every byte
		// enable off: a trace's DMA carries no data).
		void set_payload(bool write, uint64_t addr, uint32_t len)
		{
			gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
			gp.set_address(addr);
			gp.set_data_ptr(buf.data());
			gp.set_data_length(len);
			gp.set_streaming_width(len);
			gp.set_byte_enable_ptr(write ? &no_bytes : nullptr);
			gp.set_byte_enable_length(write ? 1 : 0);
		}
		// The extension is a member, not heap: detach it before the
		// payload's destructor would free it.
		~Txn() { gp.clear_extension(&ext); }
		Txn(const Txn &) = delete;
		Txn &operator=(const Txn &) = delete;
	};
	Txn &enter()
	{
		if (depth_ == txns_.size())
			grow();
		return *txns_[depth_++];
	}
	void leave() { depth_--; }
	// The payload of a DMA's depth for as long as it lives.
	class Held {
	public:
		explicit Held(DmaTxnPool *p) : p_(p), txn(p->enter()) {}
		~Held() { p_->leave(); }
		Held(const Held &) = delete;
		Held &operator=(const Held &) = delete;

	private:
		DmaTxnPool *p_;

	public:
		Txn &txn;
	};

private:
	// One more payload (out of line: the first DMA of each depth only).
	__attribute__((noinline)) void grow() { txns_.emplace_back(new Txn); }
	std::vector<std::unique_ptr<Txn>> txns_;
	size_t depth_ = 0;
};

class PcieFunction : public sc_core::sc_module {
public:
	// Bound to its SMMU's upstream[port].
	tlm_utils::simple_initiator_socket<PcieFunction> tbu;

	// Largest single DMA: bounds the data buffer.
	static constexpr uint32_t kMaxLen = 64u << 20;

	// pool: the platform's shared payloads (nullptr: a pool of its own).
	PcieFunction(sc_core::sc_module_name name, uint32_t sid, uint32_t ssid_bits, bool ats,
		     bool pri, const struct pcie_ats_config *atc = nullptr,
		     DmaTxnPool *pool = nullptr);
	~PcieFunction() override;

	uint32_t sid() const { return sid_; }
	uint32_t ssid_bits() const { return ssid_bits_; }
	bool ats() const { return ats_; }
	bool pri() const { return pri_; }
	// The ATS side (models/pcie_ats) of an ats=on function, else nullptr.
	struct pcie_ats *atc() { return atc_; }

	// Issue one DMA that starts `delay` after sc_time_stamp(); delay grows by
	// the time the SMMU and memory took. Never waits. req.len <= kMaxLen.
	void dma(const DmaRequest &req, sc_core::sc_time &delay, DmaResult &res)
	{
		dma(dma_port(), req, delay, res);
	}

	// What issuing a DMA needs of a function, for a caller that keeps it
	// beside its own per-device data: with thousands of functions, the
	// function object itself is then not touched by a DMA at all.
	struct DmaPort {
		tlm::tlm_fw_transport_if<> *fw; // the SMMU port tbu is bound to
		DmaTxnPool *pool;
		struct pcie_ats *atc;
		uint32_t sid;
	};
	// Valid once tbu is bound (after elaboration).
	DmaPort dma_port() { return DmaPort{fw_ ? fw_ : tbu.get_base_port().operator->(), pool_, atc_, sid_}; }
	static void dma(const DmaPort &port, const DmaRequest &req, sc_core::sc_time &delay,
			DmaResult &res);

private:
	void end_of_elaboration() override;

	// What a DMA reads, together (one host cache line for a cold function).
	uint32_t sid_, ssid_bits_;
	struct pcie_ats *atc_ = nullptr;
	DmaTxnPool *pool_;
	tlm::tlm_fw_transport_if<> *fw_ = nullptr; // tbu's target, once bound
	bool ats_, pri_;
	std::unique_ptr<DmaTxnPool> own_pool_;
};

// Inline: on every DMA's path, where the caller's request and result stay
// in registers.
inline void PcieFunction::dma(const DmaPort &port, const DmaRequest &req, sc_core::sc_time &delay,
			      DmaResult &res)
{
	assert(req.len <= kMaxLen);
	uint32_t len = req.len ? req.len : 1;
	DmaTxnPool::Held held(port.pool);
	DmaTxnPool::Txn &x = held.txn;
	if (x.buf.size() < len)
		x.buf.resize(len);
	SmmuTxnExt &ext = x.ext;
	tlm::tlm_generic_payload &gp = x.gp;
	ext.sid = port.sid;
	ext.ssid = req.ssid;
	ext.set_request_flags(req.ssv, req.priv, req.exec);
	// A function with an ATC uses it: on a hit the transaction goes out
	// Translated, with the PA the ATC holds.
	uint64_t addr = req.addr;
	struct pcie_ats_entry e;
	ext.translated = port.atc && pcie_ats_lookup(port.atc, req.ssv, req.ssid, req.addr, req.write,
						 &addr, &e);
	if (ext.translated) {
		ext.atc_base = e.iova;
		ext.atc_size = e.size;
		ext.atc_origin = e.origin;
	}
	x.set_payload(req.write, addr, len);
	gp.set_dmi_allowed(false);
	gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
	port.fw->b_transport(gp, delay);
	res.outcome = ext.outcome;
	res.hit = ext.hit;
	res.event = ext.event;
	res.event_recorded = ext.event_recorded;
	res.bus_error = ext.outcome == SMMU_XLATE_OK && !gp.is_response_ok();
	res.pa = ext.pa;
	res.cycles = ext.cycles;
	res.xlate = &ext.xlate;
}

} // namespace smmusim

#endif
