// memory.h - host DRAM: a TLM-2.0 target with sparse storage.
//
// Storage is allocated in 64 KiB pages on first write (or when DMI to the
// page is granted); reading memory never written returns zeros, so a trace
// may declare `memory size=64G` at no cost. Accesses that reach past `size`
// get TLM_ADDRESS_ERROR_RESPONSE, which the SMMU model sees as an external
// abort (F_WALK_EABT, F_STE_FETCH ...) and a DMA sees as a bus error.
//
// Timing: every b_transport adds the configured latency (one DRAM access,
// whatever its length); DMI grants carry the same latency. Debug transport
// costs nothing. Not modelled: banks, bandwidth, refresh, caches.
#ifndef SMMUSIM_SIM_MEMORY_H
#define SMMUSIM_SIM_MEMORY_H

#include <cstdint>
#include <memory>
#include <unordered_map>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_target_socket.h>

namespace smmusim {

class Memory : public sc_core::sc_module {
public:
	// Any number of initiators bind here (walkers, downstream ports, CPU).
	tlm_utils::multi_passthrough_target_socket<Memory> socket;

	Memory(sc_core::sc_module_name name, uint64_t size, sc_core::sc_time latency, bool dmi);

	uint64_t size() const { return size_; }
	const sc_core::sc_time &latency() const { return latency_; }

	// Untimed host-side access (loading images, tests). False past the end.
	bool peek(uint64_t pa, void *buf, uint64_t len) const;
	bool poke(uint64_t pa, const void *buf, uint64_t len);
	uint64_t pages_allocated() const { return pages_.size(); }

	static constexpr unsigned kPageShift = 16;
	static constexpr uint64_t kPageSize = 1ull << kPageShift;

private:
	void b_transport(int id, tlm::tlm_generic_payload &gp, sc_core::sc_time &delay);
	bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload &gp, tlm::tlm_dmi &dmi);
	unsigned int transport_dbg(int id, tlm::tlm_generic_payload &gp);
	// Checks range and streaming; performs the copy; returns the response.
	tlm::tlm_response_status access(tlm::tlm_generic_payload &gp);

	uint8_t *page(uint64_t index, bool create);
	const uint8_t *page_if_present(uint64_t index) const;

	uint64_t size_;
	sc_core::sc_time latency_;
	bool dmi_;
	std::unordered_map<uint64_t, std::unique_ptr<uint8_t[]>> pages_;
};

} // namespace smmusim

#endif
