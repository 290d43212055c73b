// platform.h - what a trace's header describes (PlatformSpec), how the
// parameters from the trace and the command line resolve onto it, and the
// SystemC platform built from it (Platform).
//
// Topology: one Memory; per SMMU an SmmuModule whose walker and downstream
// sockets go to the memory; per device a PcieFunction on upstream[port] of
// its SMMU; one HostCpu with an MMIO socket to every SMMU's regs and one to
// the memory. Without any `smmu` record the platform has one `smmu0`.
#ifndef SMMUSIM_SIM_PLATFORM_H
#define SMMUSIM_SIM_PLATFORM_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "host_cpu.h"
#include "memory.h"
#include "params.h"
#include "pcie_function.h"
#include "shim/shim.h"
#include "smmu/smmu.h"
#include "smmu_module.h"

namespace smmusim {

// Exit statuses of the replay contract (TRACE-FORMAT.md).
enum ExitStatus {
	kExitOk = 0,
	kExitUsage = 1,      // usage, I/O, not supported yet
	kExitMalformed = 2,
	kExitViolation = 3,
	kExitAssertion = 4,
};

// A position in a trace; line 0 means "not from the trace".
struct Pos {
	std::string file;
	uint32_t line = 0, col = 0;
};

// An error for the user: status plus a message already formatted as
// "file:line:col: error: ..." (or "smmusim: error: ...").
struct SimError {
	int status = kExitOk;
	std::string msg;
};
SimError make_error(int status, const Pos &pos, const std::string &what);

// One KEY=VALUE from a `config`, `smmu` or `memory` record or from --set.
struct Setting {
	std::string key, value;
	int smmu = -1;    // scoped by an `smmu NAME` record; -1 otherwise
	bool cli = false; // from --set
	Pos pos;          // of the key (trace) ; line 0 for --set
};

struct SmmuSpec {
	std::string name;
	smmu_config cfg;
	bool tbus_set = false;
	bool cli_touched = false; // a --set applied to it
	uint32_t ndevices = 0;
	Pos pos;
};

struct DeviceSpec {
	std::string name;
	uint32_t smmu = 0;
	uint32_t sid = 0;
	uint32_t ssid_bits = 0;
	uint32_t port = 0; // TBU port on its SMMU
	bool ats = false, pri = false;
	bool snoop_enforced = false;         // snoop=enforced (IORT CANWBS)
	std::string cdev, group, bdf;        // empty: the kernel's defaults
	Pos pos;
};

struct PlatformSpec {
	PlatformConfig plat;
	std::vector<SmmuSpec> smmus;
	std::vector<DeviceSpec> devices;
	std::vector<Setting> settings;
	// Settings of models not built yet (future_param_known): kept so that a
	// replay can say it cannot honour them.
	std::vector<Setting> deferred;
	// The emulated kernel's parameters (kernel.*, t.k.*; `smmusim params`).
	shim_config kernel;

	PlatformSpec() { shim_config_default(&kernel); }

	int find_smmu(const std::string &name) const;
	int find_device(const std::string &name) const;
	// Add an SMMU with the model defaults; returns its index.
	int add_smmu(const std::string &name, const Pos &pos);

	// Once the header is read: default smmu0, apply the settings in
	// precedence order, default `tbus` to the devices on each SMMU, assign
	// ports, and check every SMMU configuration as smmu_create would.
	bool finalize(SimError &err);
};

class Platform : public sc_core::sc_module {
public:
	std::unique_ptr<Memory> memory;
	std::vector<std::unique_ptr<SmmuModule>> smmus;
	DmaTxnPool dma_txns; // the payloads every function's DMAs go out on
	std::vector<std::unique_ptr<PcieFunction>> devices;
	std::unique_ptr<HostCpu> cpu;

	// spec must be finalized. Builds and binds everything (elaboration).
	Platform(sc_core::sc_module_name name, const PlatformSpec &spec, SmmuObserver *observer);
};

// A SystemC-safe basename for a trace name (no '.', which separates the
// hierarchy).
std::string sc_safe_name(const std::string &name);

} // namespace smmusim

#endif
