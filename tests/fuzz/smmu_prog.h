// smmu_prog.h - the byte encoding of an "SMMU program", the input of the
// fuzz_smmu target: a configuration word, then a sequence of operations on
// one SMMU model instance (memory image writes, 32/64-bit register accesses,
// translations, broadcast TLBIs, time steps). Shared by the fuzz target and
// the seed generator so that seeds decode as they were meant.
//
// Layout (little-endian):
//   u32 config     bit 0..5  disable utlb, mtlb, tbu_cfgc, cfgc, tlb, wc
//                  bit 6     one-entry caches (those not disabled)
//                  bit 7     ril off          bit 8   btm on
//                  bit 9     s2p off          bit 10  s1p off
//                  bit 11    st_level2 off    bit 12  cd2l off
//                  bit 13    ats off          bit 14  hyp off
//                  bit 15    msi off          bit 16  coherent off
//                  bit 17    vmid16 off       bit 18  asid16 off
//                  bit 19..21 oas index (48,32,36,40,42,44,52,48)
//                  bit 22..23 num_tbus - 1    bit 24  host fast path off
//                  bit 25    16K granule off  bit 26  64K granule off
//                  bit 27..28 sidsize (16, 8, 4, 20)
//   then ops until the input ends; an op is one byte then its operands:
//     kOpMem     u32 pa/8, u8 n, n x u64      image write (creates pages)
//     kOpW32     u16 off/4, u32 val           MMIO write, 4 bytes
//     kOpW64     u16 off/8, u64 val           MMIO write, 8 bytes
//     kOpRead    u8 width-sel, u16 off/4      MMIO read
//     kOpXlate   u8 port, u32 sid, u32 ssid (bit 31 = SSV), u64 addr, u8 flags
//                (bit 0 write, 1 priv, 2 exec, 3..7 len = 1 << n)
//     kOpBtm     u8 op, u16 vmid, u16 asid, u64 addr
//     kOpWait    u16 cycles/16
//     kOpRawMmio u32 off, u8 width, u8 write, u64 val  (any offset and width:
//                the API must refuse, never crash)
//   An op byte is taken modulo kOpCount.
#ifndef SMMUSIM_TESTS_FUZZ_SMMU_PROG_H
#define SMMUSIM_TESTS_FUZZ_SMMU_PROG_H

#include <cstdint>

namespace smmuprog {

enum Op : uint8_t {
	kOpMem = 0,
	kOpW32 = 1,
	kOpW64 = 2,
	kOpRead = 3,
	kOpXlate = 4,
	kOpBtm = 5,
	kOpWait = 6,
	kOpRawMmio = 7,
	kOpCount = 8,
};

// Memory image: 4 KiB pages inside [0, kWindow); a page exists once an image
// write touched it. Accesses to anything else fail (an external abort).
constexpr uint64_t kWindow = 64ull << 20;

} // namespace smmuprog

#endif
