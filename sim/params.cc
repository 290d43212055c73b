// params.cc - see params.h.
#include "params.h"

#include <cstring>

#include "shim/shim.h"
#include "smmu/smmu.h"

namespace smmusim {
namespace {

enum class Kind { Bytes, Duration, Bool, Count };

struct PlatformParam {
	const char *name;
	Kind kind;
	const char *unit;
	const char *source;
	const char *help;
};

// The platform's own parameters. Sources: DESIGN.md ("DRAM read 100 ns"),
// TRACE-FORMAT.md (memory defaults to 4G); simulator settings change host
// speed only, never a result.
const PlatformParam kPlatform[] = {
	{"memory.size", Kind::Bytes, "bytes", "TRACE-FORMAT.md (`memory size=N`, default 4G)",
	 "host DRAM size; accesses past it get an address error (external abort)"},
	{"memory.latency_ns", Kind::Duration, "ns", "DESIGN.md (DRAM read 100 ns)",
	 "one memory access by a DMA or the host CPU; table walks are charged by the SMMU model "
	 "(t.mem_read) instead"},
	{"memory.dmi", Kind::Bool, "bool", "simulator setting",
	 "grant DMI to the SMMUs' walker and downstream sockets (host speed only)"},
	{"cpu.mmio_latency_ns", Kind::Duration, "ns", "uncalibrated",
	 "time a host register access to an SMMU keeps the CPU busy"},
	{"ats.atc_entries", Kind::Count, "count", "uncalibrated (no public device ATC sizes; timing-anchors §3: 32-512)",
	 "ATC entries of every ATS function (`device ... ats=on`), fully associative, LRU"},
	{"ats.invq_depth", Kind::Count, "count", "PCIe ATS capability Invalidate Queue Depth (0 means 32)",
	 "Invalidate Requests a function holds outstanding (ITags); more wait for a completion"},
	{"ats.stu", Kind::Count, "log2", "PCIe ATS Smallest Translation Unit (0: 4 KiB)",
	 "the ATC's smallest translation: 4 KiB << stu"},
	{"ats.link_ns", Kind::Duration, "ns", "estimate (timing-anchors §3: round trip 1-2 us)",
	 "one way across the PCIe link, for an Invalidate Request and for its Completion"},
	{"ats.flush_ns", Kind::Duration, "ns", "estimate (timing-anchors §3: device flush 0.5-5 us)",
	 "a function's work for one Invalidate Request (requests are worked one at a time)"},
	{"ats.treq_ns", Kind::Duration, "ns", "uncalibrated (no public device figure)",
	 "a function's own time to issue an ATS Translation Request after its ATC missed, "
	 "before the request crosses the link"},
	{"ats.unresponsive", Kind::Bool, "bool", "for testing the timeout path",
	 "every ATS function hangs: Invalidate Requests never complete (the SMMU's CMD_SYNC then "
	 "stops with CERROR_ATC_INV_SYNC after t.atc_inv_timeout)"},
	{"sim.quantum_ns", Kind::Duration, "ns", "simulator setting",
	 "global quantum of the replay's quantum keeper (host speed only: interrupts and MSIs are "
	 "delivered at their exact time whatever the quantum)"},
	{"sim.reader_thread", Kind::Bool, "bool", "simulator setting",
	 "parse the trace in a second host thread while the simulation runs"},
	{"sim.direct_dma", Kind::Bool, "bool", "simulator setting",
	 "the replay's DMAs of functions without an ATC reach their SMMU module's translation by a "
	 "direct call, as DMI reaches memory (off: each through the TBU socket's b_transport; "
	 "host speed only)"},
};

const PlatformParam *find_platform(const std::string &key)
{
	for (const PlatformParam &p : kPlatform)
		if (key == p.name)
			return &p;
	return nullptr;
}

std::string ns_text(uint64_t ps)
{
	std::string s = std::to_string(ps / 1000);
	if (ps % 1000) {
		char frac[8];
		snprintf(frac, sizeof(frac), ".%03u", (unsigned)(ps % 1000));
		std::string f(frac);
		while (f.back() == '0')
			f.pop_back();
		s += f;
	}
	return s;
}

std::string bytes_text(uint64_t v)
{
	static const char suffix[] = "KMGT";
	for (int i = 3; i >= 0; i--) {
		uint64_t unit = 1ull << (10 * (i + 1));
		if (v && v % unit == 0)
			return std::to_string(v / unit) + suffix[i];
	}
	return std::to_string(v);
}

} // namespace

bool parse_u64(const std::string &s, uint64_t &out)
{
	const char *p = s.c_str();
	unsigned base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	uint64_t v = 0;
	bool digits = false;
	for (; *p; p++) {
		if (*p == '_' && digits)
			continue;
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
		digits = true;
	}
	if (!digits)
		return false;
	unsigned shift = 0;
	switch (*p) {
	case 'K': shift = 10; p++; break;
	case 'M': shift = 20; p++; break;
	case 'G': shift = 30; p++; break;
	case 'T': shift = 40; p++; break;
	default: break;
	}
	if (*p)
		return false;
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	out = v << shift;
	return true;
}

bool parse_duration_ps(const std::string &s, uint64_t &out_ps)
{
	static const struct {
		const char *unit;
		uint64_t ps;
	} units[] = {{"ps", 1}, {"ns", 1000}, {"us", 1000000}, {"ms", 1000000000ull},
		     {"s", 1000000000000ull}};
	for (const auto &u : units) {
		size_t n = strlen(u.unit);
		if (s.size() > n && s.compare(s.size() - n, n, u.unit) == 0) {
			std::string num = s.substr(0, s.size() - n);
			// "5ms" ends with "s" too: the number part must be all digits.
			uint64_t v;
			if (num.find_first_not_of("0123456789_") != std::string::npos || !parse_u64(num, v))
				continue;
			if (v > UINT64_MAX / u.ps)
				return false;
			out_ps = v * u.ps;
			return true;
		}
	}
	uint64_t ns;
	if (!parse_u64(s, ns) || ns > UINT64_MAX / 1000)
		return false;
	out_ps = ns * 1000;
	return true;
}

bool parse_bool(const std::string &s, bool &out)
{
	if (s == "on" || s == "true" || s == "yes" || s == "1") {
		out = true;
		return true;
	}
	if (s == "off" || s == "false" || s == "no" || s == "0") {
		out = false;
		return true;
	}
	return false;
}

bool platform_param_known(const std::string &key)
{
	return find_platform(key) != nullptr;
}

bool kernel_param_known(const std::string &key)
{
	shim_config c;
	shim_config_default(&c);
	char buf[64];
	return shim_config_get(&c, key.c_str(), buf, sizeof(buf)) == SHIM_OK;
}

bool future_param_known(const std::string &key)
{
	// Parameters of models not built yet: none at present (the VMID
	// policies and KVM's allocator are kernel parameters now).
	(void)key;
	return false;
}

bool model_param_known(const std::string &key)
{
	for (size_t i = 0; const smmu_param_info *p = smmu_param_at(i); i++)
		if (key == p->name)
			return true;
	return false;
}

bool platform_param_set(PlatformConfig &cfg, const std::string &key, const std::string &value,
			std::string &why)
{
	const PlatformParam *p = find_platform(key);
	if (!p) {
		why = "unknown parameter '" + key + "'";
		return false;
	}
	uint64_t v = 0;
	bool b = false;
	switch (p->kind) {
	case Kind::Bytes:
		if (!parse_u64(value, v) || v == 0) {
			why = key + "=" + value + ": expected a size in bytes such as 4G";
			return false;
		}
		break;
	case Kind::Duration:
		if (!parse_duration_ps(value, v)) {
			why = key + "=" + value + ": expected a duration such as 100 (ns), 250ns or 1us";
			return false;
		}
		break;
	case Kind::Bool:
		if (!parse_bool(value, b)) {
			why = key + "=" + value + ": expected on or off";
			return false;
		}
		break;
	case Kind::Count:
		if (!parse_u64(value, v) || v > 0xffffffffu) {
			why = key + "=" + value + ": expected a count";
			return false;
		}
		if ((key == "ats.invq_depth" && v > 32) || (key == "ats.stu" && v > 31)) {
			why = key + "=" + value + (key == "ats.stu" ? ": at most 31" : ": at most 32 (0 means 32)");
			return false;
		}
		break;
	}
	if (key == "memory.size")
		cfg.memory_size = v;
	else if (key == "memory.latency_ns")
		cfg.memory_latency_ps = v;
	else if (key == "memory.dmi")
		cfg.memory_dmi = b;
	else if (key == "cpu.mmio_latency_ns")
		cfg.mmio_latency_ps = v;
	else if (key == "sim.quantum_ns") {
		if (v == 0) {
			why = key + "=" + value + ": the quantum must be positive";
			return false;
		}
		cfg.quantum_ps = v;
	} else if (key == "sim.reader_thread")
		cfg.reader_thread = b;
	else if (key == "sim.direct_dma")
		cfg.direct_dma = b;
	else if (key == "ats.atc_entries")
		cfg.ats_atc_entries = (uint32_t)v;
	else if (key == "ats.invq_depth")
		cfg.ats_invq_depth = (uint32_t)v;
	else if (key == "ats.stu")
		cfg.ats_stu = (uint32_t)v;
	else if (key == "ats.link_ns")
		cfg.ats_link_ps = v;
	else if (key == "ats.flush_ns")
		cfg.ats_flush_ps = v;
	else if (key == "ats.treq_ns")
		cfg.ats_treq_ps = v;
	else if (key == "ats.unresponsive")
		cfg.ats_unresponsive = b;
	return true;
}

std::string platform_param_get(const PlatformConfig &cfg, const std::string &key)
{
	if (key == "memory.size")
		return bytes_text(cfg.memory_size);
	if (key == "memory.latency_ns")
		return ns_text(cfg.memory_latency_ps);
	if (key == "memory.dmi")
		return cfg.memory_dmi ? "on" : "off";
	if (key == "cpu.mmio_latency_ns")
		return ns_text(cfg.mmio_latency_ps);
	if (key == "sim.quantum_ns")
		return ns_text(cfg.quantum_ps);
	if (key == "sim.reader_thread")
		return cfg.reader_thread ? "on" : "off";
	if (key == "sim.direct_dma")
		return cfg.direct_dma ? "on" : "off";
	if (key == "ats.atc_entries")
		return std::to_string(cfg.ats_atc_entries);
	if (key == "ats.invq_depth")
		return std::to_string(cfg.ats_invq_depth);
	if (key == "ats.stu")
		return std::to_string(cfg.ats_stu);
	if (key == "ats.link_ns")
		return ns_text(cfg.ats_link_ps);
	if (key == "ats.flush_ns")
		return ns_text(cfg.ats_flush_ps);
	if (key == "ats.treq_ns")
		return ns_text(cfg.ats_treq_ps);
	if (key == "ats.unresponsive")
		return cfg.ats_unresponsive ? "on" : "off";
	return "";
}

std::vector<ParamInfo> all_params()
{
	std::vector<ParamInfo> out;
	PlatformConfig defaults;
	for (const PlatformParam &p : kPlatform)
		out.push_back({p.name, platform_param_get(defaults, p.name), p.unit, p.source, p.help,
			       false});
	smmu_config cfg;
	smmu_config_default(&cfg);
	for (size_t i = 0; const smmu_param_info *p = smmu_param_at(i); i++) {
		char buf[64] = "";
		smmu_config_get(&cfg, p->name, buf, sizeof(buf));
		// The platform gives each device its own TBU unless tbus is set.
		if (std::strcmp(p->name, "tbus") == 0)
			snprintf(buf, sizeof(buf), "devices on it (>= 1)");
		out.push_back({p->name, buf, p->unit ? p->unit : "", p->source ? p->source : "",
			       p->help ? p->help : "", true});
	}
	// The emulated kernel's (kernel.*, t.k.*: driver and syscall costs).
	for (size_t i = 0; const shim_param_info *p = shim_param_at(i); i++)
		out.push_back({p->name, p->def ? p->def : "", p->unit ? p->unit : "",
			       p->source ? p->source : "", p->help ? p->help : "", false});
	return out;
}

} // namespace smmusim
