// pcie_function.cc - see pcie_function.h.
#include "pcie_function.h"

#include <stdexcept>

#include <cassert>

#include "smmu/smmu.h"

namespace smmusim {

PcieFunction::PcieFunction(sc_core::sc_module_name name, uint32_t sid, uint32_t ssid_bits,
			   bool ats, bool pri, const struct pcie_ats_config *atc)
	: sc_module(name), tbu("tbu"), sid_(sid), ssid_bits_(ssid_bits), ats_(ats), pri_(pri)
{
	if (ats && atc && pcie_ats_create(atc, &atc_) != 0)
		throw std::runtime_error(std::string(basename()) + ": bad ATS configuration");
	ext_.sid = sid;
	gp_.set_extension(&ext_);
	buf_.resize(64);
}

PcieFunction::~PcieFunction()
{
	// The extension is a member, not heap: detach it before the payload's
	// destructor would free it.
	gp_.clear_extension(&ext_);
	pcie_ats_destroy(atc_);
}

void PcieFunction::dma(const DmaRequest &req, sc_core::sc_time &delay, DmaResult &res)
{
	assert(req.len <= kMaxLen);
	uint32_t len = req.len ? req.len : 1;
	if (buf_.size() < len)
		buf_.resize(len);
	ext_.ssid = req.ssid;
	ext_.ssv = req.ssv;
	ext_.priv = req.priv;
	ext_.exec = req.exec;
	// A function with an ATC uses it: on a hit the transaction goes out
	// Translated, with the PA the ATC holds.
	uint64_t addr = req.addr;
	struct pcie_ats_entry e;
	ext_.translated = atc_ && pcie_ats_lookup(atc_, req.ssv, req.ssid, req.addr, req.write,
	                                          &addr, &e);
	if (ext_.translated) {
		ext_.atc_base = e.iova;
		ext_.atc_size = e.size;
		ext_.atc_origin = e.origin;
	}
	gp_.set_command(req.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
	gp_.set_address(addr);
	gp_.set_data_ptr(buf_.data());
	gp_.set_data_length(len);
	gp_.set_streaming_width(len);
	if (req.write) {
		gp_.set_byte_enable_ptr(&no_bytes_);
		gp_.set_byte_enable_length(1);
	} else {
		gp_.set_byte_enable_ptr(nullptr);
		gp_.set_byte_enable_length(0);
	}
	gp_.set_dmi_allowed(false);
	gp_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
	tbu->b_transport(gp_, delay);
	res.outcome = ext_.outcome;
	res.hit = ext_.hit;
	res.event = ext_.event;
	res.event_recorded = ext_.event_recorded;
	res.bus_error = ext_.outcome == SMMU_XLATE_OK && !gp_.is_response_ok();
	res.pa = ext_.pa;
	res.cycles = ext_.cycles;
	res.xlate = &ext_.xlate;
}

} // namespace smmusim
