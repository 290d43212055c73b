// kernel.h - the emulated kernel (uapi_shim) hosted by the SystemC platform:
// process records of a trace (open, close, mmap, ioctl, read) become shim
// system calls, and the shim reaches the machine through this host: its
// DRAM accesses go to the platform memory (untimed: the CPU's stores are
// visible before its next MMIO write, as a dma_wmb() makes them), its MMIO to
// the SMMU modules at the kernel's own time, its broadcast TLBIs (KVM's
// TLBI ALLE1IS at a VMID rollover) to every SMMU through the CPU's DVM path
// at the kernel's time. The host owns no kernel
// behaviour: argument structs are built from the uapi field table the shim
// publishes, and results are read back by field name.
#ifndef SMMUSIM_SIM_KERNEL_H
#define SMMUSIM_SIM_KERNEL_H

#include <cstdint>
#include <string>
#include <vector>

#include "platform.h"
#include "shim/shim.h"

namespace smmusim {

class KernelHost {
public:
	KernelHost(Platform &p, const PlatformSpec &spec);
	~KernelHost();
	KernelHost(const KernelHost &) = delete;
	KernelHost &operator=(const KernelHost &) = delete;

	// Create the shim (on first use) and boot it: the driver probes every
	// SMMU through MMIO at now_ps. False with a reason when it cannot.
	bool ensure_boot(uint64_t now_ps, std::string &why);
	bool booted() const { return booted_; }
	// When the driver's probe finished (kernel time, ns).
	uint64_t boot_end_ns() const { return boot_end_ns_; }
	shim *k() const { return k_; }

	// Deliver an SMMU interrupt to the driver (event queue drained, events
	// of nested masters forwarded to vEVENTQs) at now_ps.
	void irq(uint32_t smmu, unsigned line, uint64_t now_ps);

	// Broadcast TLBIs the kernel issued (KVM's rollover flush) and the SMMU
	// TLB entries they removed.
	uint64_t tlbi_broadcasts() const { return tlbi_broadcasts_; }
	uint64_t tlbi_removed() const { return tlbi_removed_; }

private:
	static int mem_read(void *h, uint64_t pa, void *buf, uint32_t len);
	static int mem_write(void *h, uint64_t pa, const void *buf, uint32_t len);
	static int mmio_read(void *h, uint32_t smmu, uint64_t off, unsigned width, uint64_t now_ns,
			     uint64_t *val);
	static int mmio_write(void *h, uint32_t smmu, uint64_t off, unsigned width, uint64_t val,
			      uint64_t now_ns);
	static void log(void *h, int level, const char *msg);
	static uint32_t tlbi_broadcast(void *h, const char *op, uint32_t vmid, uint32_t asid,
				       uint64_t addr, uint64_t now_ns);

	Platform &p_;
	const PlatformSpec &spec_;
	shim *k_ = nullptr;
	uint64_t boot_end_ns_ = 0;
	bool booted_ = false;
	uint64_t tlbi_broadcasts_ = 0, tlbi_removed_ = 0;
};

// errno names (Linux numbering) for `err=ENAME` results.
const char *errno_name(int err);
int errno_by_name(const std::string &name);

} // namespace smmusim

#endif
