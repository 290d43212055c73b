// dmi_cache.h - the DMI pointers an initiator holds, and the helpers that
// apply a generic payload's byte enables.
//
// DMI is a simulator speed-up, not modelled state (DESIGN.md): a cache of
// regions granted by a target, looked up before falling back to b_transport.
// It is dropped whenever the target says so (invalidate_direct_mem_ptr) and,
// in the SMMU, on every invalidation the model performs, so that no host-side
// shortcut can outlive the state it was derived from.
#ifndef SMMUSIM_SIM_DMI_CACHE_H
#define SMMUSIM_SIM_DMI_CACHE_H

#include <array>
#include <cstdint>
#include <cstring>

#include <tlm>

namespace smmusim {

class DmiCache {
public:
	struct Region {
		uint64_t start = 1, end = 0; // empty when start > end
		uint8_t *ptr = nullptr;      // host address of `start`
		bool read = false, write = false;
		sc_core::sc_time read_latency, write_latency;
	};

	// The region holding [addr, addr+len) with the access right asked, or null.
	const Region *find(uint64_t addr, uint64_t len, bool write) const
	{
		const Region &r = slots_[slot(addr)];
		if (addr < r.start || addr > r.end || len == 0 || len - 1 > r.end - addr)
			return nullptr;
		if (write ? !r.write : !r.read)
			return nullptr;
		return &r;
	}

	void insert(uint64_t addr, const tlm::tlm_dmi &d)
	{
		Region &r = slots_[slot(addr)];
		r.start = d.get_start_address();
		r.end = d.get_end_address();
		r.ptr = d.get_dmi_ptr();
		r.read = d.is_read_allowed();
		r.write = d.is_write_allowed();
		r.read_latency = d.get_read_latency();
		r.write_latency = d.get_write_latency();
	}

	// Drop every region overlapping [start, end].
	void invalidate(uint64_t start, uint64_t end)
	{
		for (Region &r : slots_)
			if (r.start <= r.end && r.start <= end && start <= r.end)
				r = Region();
	}
	void clear()
	{
		for (Region &r : slots_)
			r = Region();
	}
	// Regions held now (for tests).
	unsigned held() const
	{
		unsigned n = 0;
		for (const Region &r : slots_)
			n += r.start <= r.end;
		return n;
	}

private:
	// Direct mapped by 64 KiB page: the memory grants one page per request.
	static size_t slot(uint64_t addr) { return (addr >> 16) & (kSlots - 1); }
	static constexpr size_t kSlots = 64;
	std::array<Region, kSlots> slots_{};
};

// Copy `len` bytes into dst from src honouring the payload's byte enables
// (TLM-2.0: the enable pattern repeats every byte_enable_length bytes).
inline void copy_enabled(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t *be,
			 size_t be_len)
{
	if (!be || be_len == 0) {
		// DMAs are mostly a cache line or less: constant-size copies
		// (the two may overlap) inline where a libc call would not.
		if (len >= 32 && len <= 64) {
			std::memcpy(dst, src, 32);
			std::memcpy(dst + len - 32, src + len - 32, 32);
		} else if (len >= 8 && len < 32) {
			std::memcpy(dst, src, 8);
			for (size_t i = 8; i + 8 < len; i += 8)
				std::memcpy(dst + i, src + i, 8);
			std::memcpy(dst + len - 8, src + len - 8, 8);
		} else {
			std::memcpy(dst, src, len);
		}
		return;
	}
	// A DMA write from a trace carries no data: its enables are all off.
	bool any = false;
	for (size_t i = 0; i < be_len && !any; i++)
		any = be[i] != TLM_BYTE_DISABLED;
	if (!any)
		return;
	for (size_t i = 0; i < len; i++)
		if (be[i % be_len] == TLM_BYTE_ENABLED)
			dst[i] = src[i];
}

} // namespace smmusim

#endif
