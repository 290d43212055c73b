// ioctl_prog.h - the byte encoding of a "process program", the input of the
// fuzz_ioctl target: system calls of two processes on the emulated kernel
// (open, close, mmap, memfd, ioctl, read), with DMA from the devices, guest
// memory writes and interrupts in between. Shared by the target and the
// seed generator.
//
// Pools: every fd a call returned, every ID an ioctl wrote to an output
// field, every VA mmap returned. Operands that pick from a pool take a byte
// (index modulo the pool size; an empty pool gives 0 / -1). Every op is
// u8 op, u8 proc (bit 0: vmm0 or vmm1; fds and VAs are per process), then:
//
//   kOpOpen   u8 proc, u8 path (kPaths[path % kNumPaths])
//   kOpClose  u8 proc, u8 fd-pick
//   kOpMmap   u8 proc, u8 pages-1 (4 KiB pages; bit 7: 2 MiB pages instead)
//   kOpMemfd  u8 proc, u8 pages-1
//   kOpIoctl  u8 proc, u8 fd-pick, u8 nr (request 0x3B00 | nr; 0xff: u32 raw
//             request follows), u8 size mode (kSize*), then, for a struct
//             request, one value per field of the uAPI table's struct in
//             table order (u8 source kSrc* + operands); for an integer
//             argument one value; a string argument: u8 device index.
//             A payload field takes u8 words then words x u64 (0 words: a
//             pointer the host refuses, EFAULT).
//   kOpRead   u8 proc, u8 fd-pick, u16 len
//   kOpDma    u8 device, u64 addr, u8 flags (bit 0 write)
//   kOpPoke   u8 va-pick, u16 offset/8, u64 value (a store to the memory
//             behind a process VA: guest tables, CDs)
//   kOpIrq    u8 smmu
#ifndef SMMUSIM_TESTS_FUZZ_IOCTL_PROG_H
#define SMMUSIM_TESTS_FUZZ_IOCTL_PROG_H

#include <cstdint>

namespace ioctlprog {

enum Op : uint8_t {
	kOpOpen = 0,
	kOpClose = 1,
	kOpMmap = 2,
	kOpMemfd = 3,
	kOpIoctl = 4,
	kOpRead = 5,
	kOpDma = 6,
	kOpPoke = 7,
	kOpIrq = 8,
	kOpCount = 9,
};

enum SizeMode : uint8_t {
	kSizeFull = 0,      // the kernel's struct size
	kSizeMin = 1,       // the minimum size
	kSizeBelow = 2,     // minimum - 1 (EINVAL)
	kSizeLargerZero = 3, // struct + 8, tail zero (accepted)
	kSizeLargerDirty = 4, // struct + 8, tail non-zero (E2BIG)
	kSizeCount = 5,
};

enum Src : uint8_t {
	kSrcZero = 0,
	kSrcId = 1,     // u8 pick from the ID pool
	kSrcVa = 2,     // u8 pick from the VA pool
	kSrcU64 = 3,    // u64 literal
	kSrcU8 = 4,     // u8 literal
	kSrcFd = 5,     // u8 pick from the fd pool
	kSrcOnes = 6,   // all ones
	kSrcSym = 7,    // u8 pick among the field's named values
	kSrcCount = 8,
};

constexpr const char *kPaths[] = {
	"/dev/iommu", "/dev/vfio/vfio", "/dev/vfio/devices/vfio0", "/dev/vfio/devices/vfio1",
	"/dev/vfio/0", "/dev/vfio/1", "/dev/kvm", "/dev/nosuch",
};
constexpr unsigned kNumPaths = sizeof(kPaths) / sizeof(kPaths[0]);
constexpr const char *kProcs[] = {"vmm0", "vmm1"};

} // namespace ioctlprog

#endif
