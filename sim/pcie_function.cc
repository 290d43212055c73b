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

} // namespace smmusim
