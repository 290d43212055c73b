// host_cpu.h - the host processor as the bare-metal records see it: MMIO to
// every SMMU's register space, loads and stores to memory, and broadcast TLB
// maintenance (the DVM path to every SMMU, a plain call here).
//
// The replay driver calls these from its thread with its local time offset;
// they never wait. Costs: an MMIO access takes cpu.mmio_latency_ns (the SMMU
// model reports no latency for register accesses), a memory access the
// memory's latency (one DRAM access per record, whatever its length).
#ifndef SMMUSIM_SIM_HOST_CPU_H
#define SMMUSIM_SIM_HOST_CPU_H

#include <cstdint>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "smmu/smmu.h"

namespace smmusim {

class SmmuModule;

class HostCpu : public sc_core::sc_module {
public:
	using MmioSocket = tlm_utils::simple_initiator_socket_tagged<HostCpu>;

	// mmio[i] is bound to smmus[i].regs.
	sc_core::sc_vector<MmioSocket> mmio;
	// Host physical memory.
	tlm_utils::simple_initiator_socket<HostCpu> mem;

	HostCpu(sc_core::sc_module_name name, unsigned nsmmu, sc_core::sc_time mmio_latency);

	// The SMMUs reached by broadcast TLBIs (set by the platform builder).
	void set_dvm_targets(std::vector<SmmuModule *> smmus) { dvm_ = std::move(smmus); }

	// Register access of width 4 or 8 bytes. Returns the TLM response.
	tlm::tlm_response_status mmio_read(unsigned smmu, uint64_t off, unsigned width,
					   uint64_t &val, sc_core::sc_time &delay);
	tlm::tlm_response_status mmio_write(unsigned smmu, uint64_t off, unsigned width,
					    uint64_t val, sc_core::sc_time &delay);
	// One memory access of len bytes.
	tlm::tlm_response_status mem_read(uint64_t pa, void *buf, uint64_t len,
					  sc_core::sc_time &delay);
	tlm::tlm_response_status mem_write(uint64_t pa, const void *buf, uint64_t len,
					   sc_core::sc_time &delay);
	// Untimed copy into memory (`mem load`); returns bytes written.
	uint64_t mem_load(uint64_t pa, const void *buf, uint64_t len);
	// A broadcast TLBI seen by every SMMU; returns the entries removed.
	uint32_t tlbi(const struct smmu_btm_tlbi &t, sc_core::sc_time &delay);

private:
	tlm::tlm_response_status mmio_access(unsigned smmu, bool write, uint64_t off, unsigned width,
					     uint64_t &val, sc_core::sc_time &delay);
	tlm::tlm_response_status mem_access(bool write, uint64_t pa, void *buf, uint64_t len,
					    sc_core::sc_time &delay);

	sc_core::sc_time mmio_latency_;
	std::vector<SmmuModule *> dvm_;
	tlm::tlm_generic_payload gp_;
};

} // namespace smmusim

#endif
