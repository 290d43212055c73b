// txn_ext.h - the one payload extension of upstream transactions.
//
// A PCIe function sets the request half (who is asking: StreamID, SubstreamID
// and the access attributes the SMMU checks) on its generic payload once per
// DMA; the SMMU module fills the result half before it returns, so that the
// initiator learns what the model decided without a second interface. The
// payload's address is the untranslated address on the way in and is given
// back unchanged (TLM-2.0 allows interconnects to modify it; we restore it so
// that an initiator can reuse its payload blindly).
#ifndef SMMUSIM_SIM_TXN_EXT_H
#define SMMUSIM_SIM_TXN_EXT_H

#include <cstddef>
#include <cstdint>
#include <cstring>

#include <tlm>

#include "smmu/smmu.h"

namespace smmusim {

struct SmmuTxnExt : tlm::tlm_extension<SmmuTxnExt> {
	// Request.
	uint32_t sid = 0;
	uint32_t ssid = 0;
	bool ssv = false;
	bool secure = false; // Secure state is not modelled; must stay false
	bool priv = false;
	bool exec = false;
	// ssv, secure (false), priv and exec in one store (see set_result).
	void set_request_flags(bool v, bool p, bool x)
	{
		const uint8_t b[4] = {(uint8_t)v, 0, (uint8_t)p, (uint8_t)x};
		uint32_t w;
		std::memcpy(&w, b, 4);
		std::memcpy(&ssv, &w, 4);
	}
	// An ATS Translated transaction: the address is the PA the function's
	// ATC gave, and atc_base/atc_size/atc_origin describe that entry.
	bool translated = false;
	uint64_t atc_base = 0, atc_size = 0;
	uint32_t atc_origin = 0;

	// Result (written by the SMMU module).
	uint8_t outcome = 0;  // enum smmu_outcome
	uint8_t hit = 0;      // enum smmu_hit
	uint8_t event = 0;    // enum smmu_event_id, 0 if none
	bool event_recorded = false;
	uint64_t pa = 0;      // output address of the first byte (valid when outcome OK)
	uint32_t cycles = 0;  // translation cycles in the SMMU clock
	bool data_error = false; // translated, but the memory access failed
	// The four result bytes in one store: the initiator reads them
	// together as soon as the transport returns, and a word read of bytes
	// stored one by one waits for them to retire (store forwarding fails).
	void set_result(uint8_t o, uint8_t h, uint8_t ev, bool recorded)
	{
		const uint8_t b[4] = {o, h, ev, (uint8_t)recorded};
		uint32_t w;
		std::memcpy(&w, b, 4);
		std::memcpy(&outcome, &w, 4);
	}
	// The model's whole result: the tag the translation used and the
	// provenance of the entry that served it (the isolation oracle).
	smmu_xlate_result xlate{};

	tlm::tlm_extension_base *clone() const override { return new SmmuTxnExt(*this); }
	void copy_from(const tlm::tlm_extension_base &other) override
	{
		*this = static_cast<const SmmuTxnExt &>(other);
	}
};

// set_result and set_request_flags store four adjacent bytes at once.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
static_assert(offsetof(SmmuTxnExt, hit) == offsetof(SmmuTxnExt, outcome) + 1 &&
		      offsetof(SmmuTxnExt, event) == offsetof(SmmuTxnExt, outcome) + 2 &&
		      offsetof(SmmuTxnExt, event_recorded) == offsetof(SmmuTxnExt, outcome) + 3,
	      "SmmuTxnExt: the result bytes are adjacent");
static_assert(offsetof(SmmuTxnExt, secure) == offsetof(SmmuTxnExt, ssv) + 1 &&
		      offsetof(SmmuTxnExt, priv) == offsetof(SmmuTxnExt, ssv) + 2 &&
		      offsetof(SmmuTxnExt, exec) == offsetof(SmmuTxnExt, ssv) + 3,
	      "SmmuTxnExt: the request flags are adjacent");
#pragma GCC diagnostic pop

} // namespace smmusim

#endif
