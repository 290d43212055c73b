/*
 * shim.h - public C API of uapi_shim, the emulated Linux 7.0 kernel
 * interface (iommufd, VFIO, and later KVM) over models/smmuv3.
 *
 * The shim *is* the kernel for the simulator: hosts (sim/'s SystemC replay,
 * later the LD_PRELOAD library) hand it system calls of simulated processes
 * (open, close, ioctl, mmap, read) and it answers them as Linux does, errno
 * by errno, programming the SMMUs only through MMIO and simulated memory.
 * It reaches the outside world only through struct shim_host_ops.
 *
 * Compiled as C11 without SystemC or C++.
 */
#ifndef SHIM_SHIM_H
#define SHIM_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Host operations. Required: mem_read, mem_write, mmio_read, mmio_write.
 * Optional ones may be NULL.
 */
struct shim_host_ops {
	uint32_t size;  /* sizeof(struct shim_host_ops) */
	/* Simulated DRAM (host physical). 0, or non-zero for a bus error. */
	int (*mem_read)(void *host, uint64_t pa, void *buf, uint32_t len);
	int (*mem_write)(void *host, uint64_t pa, const void *buf, uint32_t len);
	/* Register access to SMMU `smmu` (its index in declaration order) at
	 * kernel time now_ns; width 4 or 8. 0, or non-zero for a bus error. */
	int (*mmio_read)(void *host, uint32_t smmu, uint64_t off, unsigned width, uint64_t now_ns,
			 uint64_t *val);
	int (*mmio_write)(void *host, uint32_t smmu, uint64_t off, unsigned width, uint64_t val,
			  uint64_t now_ns);
	/* copy_{from,to}_user for the calling process: 0, or non-zero (the call
	 * fails with EFAULT). NULL: user pointers are host pointers (memcpy). */
	int (*copy_from_user)(void *host, uint64_t uptr, void *buf, size_t len);
	int (*copy_to_user)(void *host, uint64_t uptr, const void *buf, size_t len);
	/* Diagnostics: level 0 error, 1 warning, 2 info, 3 debug. */
	void (*log)(void *host, int level, const char *msg);
};

#ifdef __cplusplus
}
#endif
#endif
