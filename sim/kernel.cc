// kernel.cc - see kernel.h.
#include "kernel.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace smmusim {

const char *errno_name(int err)
{
	return shim_errno_name(err);
}

int errno_by_name(const std::string &name)
{
	return shim_errno_by_name(name.c_str());
}

KernelHost::KernelHost(Platform &p, const PlatformSpec &spec) : p_(p), spec_(spec) {}

KernelHost::~KernelHost()
{
	if (k_)
		shim_destroy(k_);
}

int KernelHost::mem_read(void *h, uint64_t pa, void *buf, uint32_t len)
{
	return static_cast<KernelHost *>(h)->p_.memory->peek(pa, buf, len) ? 0 : 1;
}

int KernelHost::mem_write(void *h, uint64_t pa, const void *buf, uint32_t len)
{
	return static_cast<KernelHost *>(h)->p_.memory->poke(pa, buf, len) ? 0 : 1;
}

// The kernel's MMIO at its own time: an annotated delay from the SystemC
// time now (the replay thread calls the kernel, so no time passes between).
static sc_core::sc_time delay_to(uint64_t now_ns)
{
	uint64_t ps = now_ns * 1000, base = sc_core::sc_time_stamp().value();
	return sc_core::sc_time::from_value(ps > base ? ps - base : 0);
}

int KernelHost::mmio_read(void *h, uint32_t smmu, uint64_t off, unsigned width, uint64_t now_ns,
			  uint64_t *val)
{
	auto *k = static_cast<KernelHost *>(h);
	if (smmu >= k->p_.smmus.size())
		return 1;
	sc_core::sc_time d = delay_to(now_ns);
	uint64_t v = 0;
	bool ok = k->p_.cpu->mmio_read(smmu, off, width, v, d) == tlm::TLM_OK_RESPONSE;
	*val = v;
	return ok ? 0 : 1;
}

int KernelHost::mmio_write(void *h, uint32_t smmu, uint64_t off, unsigned width, uint64_t val,
			   uint64_t now_ns)
{
	auto *k = static_cast<KernelHost *>(h);
	if (smmu >= k->p_.smmus.size())
		return 1;
	sc_core::sc_time d = delay_to(now_ns);
	return k->p_.cpu->mmio_write(smmu, off, width, val, d) == tlm::TLM_OK_RESPONSE ? 0 : 1;
}

// A PE's broadcast TLBI issued by the kernel (KVM's __kvm_flush_vm_context
// at a VMID rollover): every SMMU sees it at the kernel's time, and honours
// it only with BTM on and CR2.PTM clear.
uint32_t KernelHost::tlbi_broadcast(void *h, const char *op, uint32_t vmid, uint32_t asid,
				    uint64_t addr, uint64_t now_ns)
{
	auto *k = static_cast<KernelHost *>(h);
	struct smmu_btm_tlbi t{};
	if (smmu_btm_parse_op(op, &t.op) != SMMU_OK)
		return 0;
	t.vmid = (uint16_t)vmid;
	t.asid = (uint16_t)asid;
	t.addr = addr;
	sc_core::sc_time d = delay_to(now_ns);
	uint32_t removed = k->p_.cpu->tlbi(t, d);
	k->tlbi_broadcasts_++;
	k->tlbi_removed_ += removed;
	return removed;
}

void KernelHost::log(void *, int level, const char *msg)
{
	if (level <= 0)
		fprintf(stderr, "smmusim: kernel: %s\n", msg);
}

bool KernelHost::ensure_boot(uint64_t now_ps, std::string &why)
{
	if (booted_)
		return true;
	if (!k_) {
		shim_config cfg = spec_.kernel, defaults;
		shim_config_default(&defaults);
		// The kernel allocates from the platform's memory: all of it unless
		// kernel.dram_base/size say otherwise (then it must fit).
		if (cfg.dram_base == defaults.dram_base && cfg.dram_size == defaults.dram_size) {
			cfg.dram_base = 0;
			cfg.dram_size = p_.memory->size();
		} else if (cfg.dram_base >= p_.memory->size() ||
			   cfg.dram_size > p_.memory->size() - cfg.dram_base) {
			why = "kernel.dram_base/kernel.dram_size lie outside the platform memory "
			      "(memory size=)";
			return false;
		}
		shim_host_ops ops{};
		ops.size = sizeof(ops);
		ops.mem_read = mem_read;
		ops.mem_write = mem_write;
		ops.mmio_read = mmio_read;
		ops.mmio_write = mmio_write;
		ops.log = log;
		ops.tlbi_broadcast = tlbi_broadcast;
		int rc = shim_create(&cfg, &ops, this, &k_);
		if (rc != SHIM_OK) {
			why = std::string("the kernel model could not start: ") + shim_strerror(rc);
			return false;
		}
		for (size_t i = 0; i < spec_.smmus.size(); i++)
			if (shim_add_smmu(k_) < 0) {
				why = "the kernel model refused an SMMU";
				return false;
			}
		for (const DeviceSpec &d : spec_.devices) {
			shim_device_desc dd{};
			dd.size = sizeof(dd);
			dd.name = d.name.c_str();
			dd.smmu = d.smmu;
			dd.sid = d.sid;
			dd.ssid_bits = (uint8_t)d.ssid_bits;
			dd.ats = d.ats;
			dd.pri = d.pri;
			dd.canwbs = d.snoop_enforced;
			dd.cdev = d.cdev.empty() ? nullptr : d.cdev.c_str();
			dd.group = d.group.empty() ? nullptr : d.group.c_str();
			dd.bdf = d.bdf.empty() ? nullptr : d.bdf.c_str();
			int r = shim_add_device(k_, &dd);
			if (r < 0) {
				why = "device " + d.name + ": the kernel model refused it: " +
				      shim_strerror(-r);
				return false;
			}
		}
	}
	shim_call c{};
	c.size = sizeof(c);
	int rc = shim_boot(k_, now_ps / 1000, &c);
	if (rc != SHIM_OK) {
		why = std::string("the arm-smmu-v3 driver model did not probe the SMMUs: ") +
		      shim_strerror(rc);
		return false;
	}
	booted_ = true;
	boot_end_ns_ = c.end_ns;
	return true;
}

void KernelHost::irq(uint32_t smmu, unsigned line, uint64_t now_ps)
{
	if (!booted_)
		return;
	shim_call c{};
	c.size = sizeof(c);
	shim_irq(k_, smmu, line, now_ps / 1000, &c);
}

} // namespace smmusim
