// host_cpu.cc - see host_cpu.h.
#include "host_cpu.h"

#include "smmu_module.h"

namespace smmusim {

HostCpu::HostCpu(sc_core::sc_module_name name, unsigned nsmmu, sc_core::sc_time mmio_latency)
	: sc_module(name), mmio("mmio", nsmmu), mem("mem"), mmio_latency_(mmio_latency)
{
}

tlm::tlm_response_status HostCpu::mmio_access(unsigned smmu, bool write, uint64_t off,
					      unsigned width, uint64_t &val, sc_core::sc_time &delay)
{
	uint8_t data[8] = {};
	if (write)
		for (unsigned i = 0; i < width; i++)
			data[i] = (uint8_t)(val >> (8 * i));
	gp_.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
	gp_.set_address(off);
	gp_.set_data_ptr(data);
	gp_.set_data_length(width);
	gp_.set_streaming_width(width);
	gp_.set_byte_enable_ptr(nullptr);
	gp_.set_byte_enable_length(0);
	gp_.set_dmi_allowed(false);
	gp_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
	// The register access happens when the record starts; the CPU is busy
	// for the access latency after it.
	mmio[smmu]->b_transport(gp_, delay);
	delay += mmio_latency_;
	if (!write && gp_.is_response_ok()) {
		val = 0;
		for (unsigned i = 0; i < width; i++)
			val |= (uint64_t)data[i] << (8 * i);
	}
	return gp_.get_response_status();
}

tlm::tlm_response_status HostCpu::mmio_read(unsigned smmu, uint64_t off, unsigned width,
					    uint64_t &val, sc_core::sc_time &delay)
{
	return mmio_access(smmu, false, off, width, val, delay);
}

tlm::tlm_response_status HostCpu::mmio_write(unsigned smmu, uint64_t off, unsigned width,
					     uint64_t val, sc_core::sc_time &delay)
{
	return mmio_access(smmu, true, off, width, val, delay);
}

tlm::tlm_response_status HostCpu::mem_access(bool write, uint64_t pa, void *buf, uint64_t len,
					     sc_core::sc_time &delay)
{
	gp_.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
	gp_.set_address(pa);
	gp_.set_data_ptr(static_cast<unsigned char *>(buf));
	gp_.set_data_length((unsigned)len);
	gp_.set_streaming_width((unsigned)len);
	gp_.set_byte_enable_ptr(nullptr);
	gp_.set_byte_enable_length(0);
	gp_.set_dmi_allowed(false);
	gp_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
	mem->b_transport(gp_, delay);
	return gp_.get_response_status();
}

tlm::tlm_response_status HostCpu::mem_read(uint64_t pa, void *buf, uint64_t len,
					   sc_core::sc_time &delay)
{
	return mem_access(false, pa, buf, len, delay);
}

tlm::tlm_response_status HostCpu::mem_write(uint64_t pa, const void *buf, uint64_t len,
					    sc_core::sc_time &delay)
{
	return mem_access(true, pa, const_cast<void *>(buf), len, delay);
}

uint64_t HostCpu::mem_load(uint64_t pa, const void *buf, uint64_t len)
{
	uint64_t done = 0;
	// Debug transport takes an unsigned length: go in 1 MiB pieces.
	while (done < len) {
		uint64_t n = len - done < (1u << 20) ? len - done : (1u << 20);
		tlm::tlm_generic_payload gp;
		gp.set_command(tlm::TLM_WRITE_COMMAND);
		gp.set_address(pa + done);
		gp.set_data_ptr(const_cast<unsigned char *>(static_cast<const unsigned char *>(buf)) +
				done);
		gp.set_data_length((unsigned)n);
		unsigned got = mem->transport_dbg(gp);
		done += got;
		if (got < n)
			break;
	}
	return done;
}

uint32_t HostCpu::tlbi(const struct smmu_btm_tlbi &t, sc_core::sc_time &delay)
{
	uint64_t at = (sc_core::sc_time_stamp() + delay).value();
	uint32_t removed = 0;
	for (SmmuModule *s : dvm_)
		removed += s->btm_tlbi(t, at);
	return removed;
}

} // namespace smmusim
