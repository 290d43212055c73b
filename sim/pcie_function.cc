// pcie_function.cc - see pcie_function.h.
#include "pcie_function.h"

#include <stdexcept>

#include <cassert>

#include "smmu/smmu.h"

namespace smmusim {

PcieFunction::PcieFunction(sc_core::sc_module_name name, uint32_t sid, uint32_t ssid_bits,
			   bool ats, bool pri, const struct pcie_ats_config *atc, DmaTxnPool *pool)
	: sc_module(name), tbu("tbu"), sid_(sid), ssid_bits_(ssid_bits), pool_(pool), ats_(ats),
	  pri_(pri)
{
	if (ats && atc && pcie_ats_create(atc, &atc_) != 0)
		throw std::runtime_error(std::string(basename()) + ": bad ATS configuration");
	if (!pool_) {
		own_pool_.reset(new DmaTxnPool);
		pool_ = own_pool_.get();
	}
}

PcieFunction::~PcieFunction()
{
	pcie_ats_destroy(atc_);
}

void PcieFunction::end_of_elaboration()
{
	// The port's interface, read once here rather than through the socket
	// (whose object is far from the rest) on every DMA.
	fw_ = tbu.get_base_port().operator->();
}

void PcieFunction::dma(const DmaPort &port, const DmaRequest &req, sc_core::sc_time &delay,
		       DmaResult &res)
{
	assert(req.len <= kMaxLen);
	uint32_t len = req.len ? req.len : 1;
	DmaTxnPool::Txn &x = port.pool->enter();
	struct Leave {
		DmaTxnPool *p;
		~Leave() { p->leave(); }
	} leave{port.pool};
	if (x.buf.size() < len)
		x.buf.resize(len);
	SmmuTxnExt &ext = x.ext;
	tlm::tlm_generic_payload &gp = x.gp;
	ext.sid = port.sid;
	ext.ssid = req.ssid;
	ext.ssv = req.ssv;
	ext.priv = req.priv;
	ext.exec = req.exec;
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
	gp.set_command(req.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
	gp.set_address(addr);
	gp.set_data_ptr(x.buf.data());
	gp.set_data_length(len);
	gp.set_streaming_width(len);
	if (req.write) {
		gp.set_byte_enable_ptr(&x.no_bytes);
		gp.set_byte_enable_length(1);
	} else {
		gp.set_byte_enable_ptr(nullptr);
		gp.set_byte_enable_length(0);
	}
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
