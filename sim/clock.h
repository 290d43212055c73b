// clock.h - conversion between simulated time (SystemC, picoseconds) and the
// cycles of one clock domain (an SMMU's t.clock_mhz).
//
// The C model counts in cycles of its own clock and never sees time; the
// platform counts in picoseconds (SystemC's default resolution). Every
// conversion between the two goes through here so that rounding is the same
// everywhere: an instant falls in the cycle that contains it (floor), and a
// cycle starts at the first picosecond not before it (ceil), which makes
// cycle_at(start_ps(c)) == c for every clock up to 1 THz.
#ifndef SMMUSIM_SIM_CLOCK_H
#define SMMUSIM_SIM_CLOCK_H

#include <cstdint>

namespace smmusim {

class ClockDomain {
public:
	explicit ClockDomain(uint32_t mhz = 1000) { set_mhz(mhz); }

	void set_mhz(uint32_t mhz)
	{
		mhz_ = mhz ? mhz : 1;
		// Most clocks (1 GHz, 500 MHz, 2 GHz ...) have a whole-picosecond
		// period: then one 64-bit division is enough on the DMA path.
		exact_ps_ = (1000000u % mhz_ == 0) ? 1000000u / mhz_ : 0;
	}
	uint32_t mhz() const { return mhz_; }

	// The cycle in which instant `ps` falls.
	uint64_t cycle_at(uint64_t ps) const
	{
		// Constant divisors for the usual clocks: a multiply, not a divide.
		switch (exact_ps_) {
		case 1000: return ps / 1000;
		case 500: return ps / 500;
		case 2000: return ps / 2000;
		case 0: break;
		default: return ps / exact_ps_;
		}
		return (uint64_t)((unsigned __int128)ps * mhz_ / 1000000u);
	}
	// The first picosecond of cycle `c`; also the duration of `c` cycles
	// counted from a cycle boundary.
	uint64_t start_ps(uint64_t c) const
	{
		if (exact_ps_)
			return c * exact_ps_;
		return (uint64_t)(((unsigned __int128)c * 1000000u + mhz_ - 1) / mhz_);
	}

private:
	uint32_t mhz_ = 1000;
	uint32_t exact_ps_ = 1000;
};

} // namespace smmusim

#endif
