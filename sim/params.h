// params.h - the parameters of a run: the platform's own (memory, CPU,
// simulation kernel) in one table with defaults, units and sources, next to
// the SMMU model's (models/smmuv3 smmu_param_at), and the value syntax both
// share on the command line.
//
// Where a value can come from, lowest precedence first: the default; a
// `config KEY=VALUE` record (every SMMU) or `memory size=N`; an `smmu NAME
// KEY=VALUE` record (that SMMU); `--set KEY=VALUE` (every SMMU); `--set
// NAME.KEY=VALUE` (that SMMU). Scoped beats global within a source, and the
// command line beats the trace. platform.h applies them.
#ifndef SMMUSIM_SIM_PARAMS_H
#define SMMUSIM_SIM_PARAMS_H

#include <cstdint>
#include <string>
#include <vector>

namespace smmusim {

// Platform parameters (not the SMMU model's).
struct PlatformConfig {
	uint64_t memory_size = 4ull << 30;
	uint64_t memory_latency_ps = 100000;
	bool memory_dmi = true;
	uint64_t mmio_latency_ps = 100000;
	uint64_t quantum_ps = 10000000;
	bool reader_thread = false;
	bool direct_dma = true;
	// ATS functions (`device ... ats=on`; models/pcie_ats, docs/timing.md)
	uint32_t ats_atc_entries = 64;
	uint32_t ats_invq_depth = 0; // 0 means 32 (PCIe ATS capability)
	uint32_t ats_stu = 0;        // STU = 4 KiB << stu
	uint64_t ats_link_ps = 500000;
	uint64_t ats_flush_ps = 1000000;
	uint64_t ats_treq_ps = 100000;
	bool ats_unresponsive = false;
};

struct ParamInfo {
	std::string name;
	std::string def;    // default, as text
	std::string unit;
	std::string source; // where the default comes from, or "uncalibrated"
	std::string help;
	bool model;         // an SMMU model parameter (settable per SMMU)
};

// Every parameter: the platform's first, then the model's, in table order.
std::vector<ParamInfo> all_params();

bool platform_param_known(const std::string &key);
// Parameters of models not built yet (the kernel interface's policy.vmid):
// valid in a trace, but a replay that needs them is not supported yet.
bool future_param_known(const std::string &key);
// Parameters of the emulated kernel (uapi_shim: kernel.*, t.k.*).
bool kernel_param_known(const std::string &key);
bool model_param_known(const std::string &key);

// Set a platform parameter from its text. False with a reason for a bad value.
bool platform_param_set(PlatformConfig &cfg, const std::string &key, const std::string &value,
			std::string &why);
std::string platform_param_get(const PlatformConfig &cfg, const std::string &key);

// Value syntax shared with the trace: 4096, 0x1000, 1_000, 2M (binary
// suffixes K M G T). False on anything else or on overflow.
bool parse_u64(const std::string &s, uint64_t &out);
// A duration: a number with ps, ns, us, ms, s or a bare number of ns.
bool parse_duration_ps(const std::string &s, uint64_t &out_ps);
bool parse_bool(const std::string &s, bool &out);

} // namespace smmusim

#endif
