// gen.h - smmusim gen: synthetic traces written to a stream.
//
//   smmusim gen stream --pkts N [--size S] [--depth D] [--dir to|from|bidi]
//                      [--device NAME] [--sid N] [--strict on|off] [--gap DURATION]
//                      [-o FILE]
//
// `stream` is a host driver streaming buffers through the kernel's DMA API
// (a NIC's transmit or receive ring): D buffers mapped ahead, then for each
// packet the device's DMA of the whole buffer, its unmap, and the map of the
// buffer D packets ahead. Output goes to stdout (or FILE) as it is made.
#ifndef SMMUSIM_GEN_H
#define SMMUSIM_GEN_H

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace smmusim {

// v in lower-case hex without leading zeros (as "%" PRIx64) at p; returns
// the end. For trace writers that must outrun the replay they feed
// (`gen dma`, bench/scale_bench), where snprintf does not.
inline char *put_hex(char *p, uint64_t v)
{
	int digits = 1;
	while (digits < 16 && (v >> (4 * digits)))
		digits++;
	for (int d = digits - 1; d >= 0; d--)
		*p++ = "0123456789abcdef"[(v >> (4 * d)) & 0xf];
	return p;
}

// Exit status: 0, or 1 on a usage error (message on err).
int run_gen(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);

} // namespace smmusim

#endif
