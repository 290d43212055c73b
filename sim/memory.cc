// memory.cc - see memory.h.
#include "memory.h"

#include <algorithm>
#include <cstring>

#include "dmi_cache.h"

namespace smmusim {

Memory::Memory(sc_core::sc_module_name name, uint64_t size, sc_core::sc_time latency, bool dmi)
	: sc_module(name), socket("socket"), size_(size), latency_(latency), dmi_(dmi)
{
	socket.register_b_transport(this, &Memory::b_transport);
	socket.register_get_direct_mem_ptr(this, &Memory::get_direct_mem_ptr);
	socket.register_transport_dbg(this, &Memory::transport_dbg);
}

uint8_t *Memory::page(uint64_t index, bool create)
{
	auto it = pages_.find(index);
	if (it != pages_.end())
		return it->second.get();
	if (!create)
		return nullptr;
	std::unique_ptr<uint8_t[]> p(new uint8_t[kPageSize]());
	uint8_t *raw = p.get();
	pages_.emplace(index, std::move(p));
	return raw;
}

const uint8_t *Memory::page_if_present(uint64_t index) const
{
	auto it = pages_.find(index);
	return it == pages_.end() ? nullptr : it->second.get();
}

bool Memory::peek(uint64_t pa, void *buf, uint64_t len) const
{
	if (pa >= size_ || len > size_ - pa)
		return false;
	uint8_t *out = static_cast<uint8_t *>(buf);
	while (len) {
		uint64_t off = pa & (kPageSize - 1);
		uint64_t n = std::min(len, kPageSize - off);
		const uint8_t *p = page_if_present(pa >> kPageShift);
		if (p)
			std::memcpy(out, p + off, n);
		else
			std::memset(out, 0, n);
		out += n;
		pa += n;
		len -= n;
	}
	return true;
}

bool Memory::poke(uint64_t pa, const void *buf, uint64_t len)
{
	if (pa >= size_ || len > size_ - pa)
		return false;
	const uint8_t *in = static_cast<const uint8_t *>(buf);
	while (len) {
		uint64_t off = pa & (kPageSize - 1);
		uint64_t n = std::min(len, kPageSize - off);
		std::memcpy(page(pa >> kPageShift, true) + off, in, n);
		in += n;
		pa += n;
		len -= n;
	}
	return true;
}

tlm::tlm_response_status Memory::access(tlm::tlm_generic_payload &gp)
{
	uint64_t pa = gp.get_address();
	uint64_t len = gp.get_data_length();
	if (pa >= size_ || len > size_ - pa)
		return tlm::TLM_ADDRESS_ERROR_RESPONSE;
	if (gp.get_streaming_width() != 0 && gp.get_streaming_width() < len)
		return tlm::TLM_BURST_ERROR_RESPONSE;
	uint8_t *data = gp.get_data_ptr();
	const uint8_t *be = gp.get_byte_enable_ptr();
	size_t be_len = be ? gp.get_byte_enable_length() : 0;
	if (gp.is_read()) {
		if (be) {
			// Disabled bytes of a read are left as the initiator had them.
			std::unique_ptr<uint8_t[]> tmp(new uint8_t[len]);
			peek(pa, tmp.get(), len);
			copy_enabled(data, tmp.get(), len, be, be_len);
		} else {
			peek(pa, data, len);
		}
		return tlm::TLM_OK_RESPONSE;
	}
	if (gp.is_write()) {
		if (be && std::all_of(be, be + be_len, [](uint8_t b) { return b == TLM_BYTE_DISABLED; }))
			return tlm::TLM_OK_RESPONSE; // nothing written, nothing allocated
		uint64_t done = 0;
		while (done < len) {
			uint64_t a = pa + done;
			uint64_t off = a & (kPageSize - 1);
			uint64_t n = std::min(len - done, kPageSize - off);
			uint8_t *p = page(a >> kPageShift, true) + off;
			if (be) {
				for (uint64_t i = 0; i < n; i++)
					if (be[(done + i) % be_len] == TLM_BYTE_ENABLED)
						p[i] = data[done + i];
			} else {
				std::memcpy(p, data + done, n);
			}
			done += n;
		}
		return tlm::TLM_OK_RESPONSE;
	}
	return tlm::TLM_OK_RESPONSE; // TLM_IGNORE_COMMAND
}

void Memory::b_transport(int, tlm::tlm_generic_payload &gp, sc_core::sc_time &delay)
{
	tlm::tlm_response_status st = access(gp);
	gp.set_response_status(st);
	if (st != tlm::TLM_OK_RESPONSE)
		return;
	delay += latency_;
	// Only plain memory grants DMI (STYLE.md 9), and only inside its size.
	gp.set_dmi_allowed(dmi_);
}

bool Memory::get_direct_mem_ptr(int, tlm::tlm_generic_payload &gp, tlm::tlm_dmi &dmi)
{
	uint64_t pa = gp.get_address();
	if (!dmi_ || pa >= size_) {
		// Deny, and say for which range the answer holds (TLM-2.0 8.2.6).
		dmi.set_start_address(pa);
		dmi.set_end_address(pa);
		return false;
	}
	uint64_t index = pa >> kPageShift;
	uint64_t start = index << kPageShift;
	uint64_t end = std::min(start + kPageSize, size_) - 1;
	// Granting write access means the page must exist: allocate it now.
	dmi.set_dmi_ptr(page(index, true));
	dmi.set_start_address(start);
	dmi.set_end_address(end);
	dmi.allow_read_write();
	dmi.set_read_latency(latency_);
	dmi.set_write_latency(latency_);
	return true;
}

unsigned int Memory::transport_dbg(int, tlm::tlm_generic_payload &gp)
{
	uint64_t pa = gp.get_address();
	uint64_t len = gp.get_data_length();
	if (pa >= size_)
		return 0;
	len = std::min(len, size_ - pa);
	if (gp.is_read())
		peek(pa, gp.get_data_ptr(), len);
	else if (gp.is_write())
		poke(pa, gp.get_data_ptr(), len);
	return (unsigned int)len;
}

} // namespace smmusim
