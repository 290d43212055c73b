// pcie_function.h - a PCI function declared by a `device` record: a DMA
// initiator on one TBU port of its SMMU.
//
// It owns one generic payload with the SmmuTxnExt attached for its whole
// life and a data buffer that only grows, so issuing a DMA allocates nothing.
// DMA data is not part of the trace: a read's data is discarded, and a write
// is issued with every byte enable off, so it is translated, timed and
// bounds-checked like any write but leaves memory as it was (tables and
// queues that a trace built with `mem write` stay intact).
//
// Accepted but not modelled yet: ATS (an ATC and `ats` translation requests)
// and PRI; `ssid_bits` is kept for the kernel model.
#ifndef SMMUSIM_SIM_PCIE_FUNCTION_H
#define SMMUSIM_SIM_PCIE_FUNCTION_H

#include <cstdint>
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
	// The model's result (tag and provenance): the function's own copy,
	// valid until its next DMA.
	const smmu_xlate_result *xlate;
};

class PcieFunction : public sc_core::sc_module {
public:
	// Bound to its SMMU's upstream[port].
	tlm_utils::simple_initiator_socket<PcieFunction> tbu;

	// Largest single DMA: bounds the data buffer.
	static constexpr uint32_t kMaxLen = 64u << 20;

	PcieFunction(sc_core::sc_module_name name, uint32_t sid, uint32_t ssid_bits, bool ats,
		     bool pri, const struct pcie_ats_config *atc = nullptr);
	~PcieFunction() override;

	uint32_t sid() const { return sid_; }
	uint32_t ssid_bits() const { return ssid_bits_; }
	bool ats() const { return ats_; }
	bool pri() const { return pri_; }
	// The ATS side (models/pcie_ats) of an ats=on function, else nullptr.
	struct pcie_ats *atc() { return atc_; }

	// Issue one DMA that starts `delay` after sc_time_stamp(); delay grows by
	// the time the SMMU and memory took. Never waits. req.len <= kMaxLen.
	void dma(const DmaRequest &req, sc_core::sc_time &delay, DmaResult &res);

private:
	uint32_t sid_, ssid_bits_;
	bool ats_, pri_;
	struct pcie_ats *atc_ = nullptr;
	tlm::tlm_generic_payload gp_;
	SmmuTxnExt ext_;
	std::vector<uint8_t> buf_;
	uint8_t no_bytes_ = TLM_BYTE_DISABLED; // the write enable pattern
};

} // namespace smmusim

#endif
