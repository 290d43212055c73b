// platform.cc - see platform.h.
#include "platform.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace smmusim {

SimError make_error(int status, const Pos &pos, const std::string &what)
{
	SimError e;
	e.status = status;
	if (pos.line)
		e.msg = pos.file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.col) +
			": error: " + what;
	else if (!pos.file.empty())
		e.msg = pos.file + ": error: " + what;
	else
		e.msg = "smmusim: error: " + what;
	return e;
}

std::string sc_safe_name(const std::string &name)
{
	std::string s = name;
	std::replace(s.begin(), s.end(), '.', '_');
	return s;
}

int PlatformSpec::find_smmu(const std::string &name) const
{
	for (size_t i = 0; i < smmus.size(); i++)
		if (smmus[i].name == name)
			return (int)i;
	return -1;
}

int PlatformSpec::find_device(const std::string &name) const
{
	for (size_t i = 0; i < devices.size(); i++)
		if (devices[i].name == name)
			return (int)i;
	return -1;
}

int PlatformSpec::add_smmu(const std::string &name, const Pos &pos)
{
	SmmuSpec s;
	s.name = name;
	smmu_config_default(&s.cfg);
	s.pos = pos;
	smmus.push_back(s);
	return (int)smmus.size() - 1;
}

namespace {

// Where a setting lands once classified.
struct Target {
	bool platform = false;
	bool kernel = false; // a parameter of the emulated kernel (shim_config_set)
	int smmu = -1; // -1: every SMMU (model parameter)
	std::string key;
	int rank = 0;  // precedence class: 0 trace global .. 3 command line scoped
};

// Section names of the report: an SMMU may not take one as its name, since
// per-SMMU statistics sit beside them (`smmu0.hit.utlb`). "memory" names
// the platform's memory module, a sibling of the SMMU modules.
const char *const kReserved[] = {"status",        "exit_status", "records", "records_late",
				 "sim_time_ns",   "oracle",      "violations", "failures",
				 "dma",           "commands",    "invalidations", "events",
				 "mmio",          "mem",         "cpu",     "memory"};

bool model_config_ok(const smmu_config &cfg, std::string &why)
{
	char msg[256];
	if (smmu_config_check(&cfg, msg, sizeof(msg)) != SMMU_OK) {
		why = msg;
		return false;
	}
	return true;
}

} // namespace

bool PlatformSpec::finalize(SimError &err)
{
	for (const SmmuSpec &s : smmus)
		for (const char *r : kReserved)
			if (s.name == r) {
				err = make_error(kExitMalformed, s.pos,
						 "smmu name '" + s.name +
							 "' is reserved (it names a section of the report)");
				return false;
			}
	if (smmus.empty())
		add_smmu("smmu0", Pos{});
	// Each device's character device and group node, as the kernel model
	// names them (cdev=/group= or /dev/vfio/devices/vfioN, /dev/vfio/N for
	// the N-th device): two devices on one node is a malformed header,
	// named at the later device.
	std::unordered_map<std::string, size_t> nodes;
	for (size_t i = 0; i < devices.size(); i++) {
		const DeviceSpec &d = devices[i];
		std::string paths[2] = {
		    d.cdev.empty() ? "/dev/vfio/devices/vfio" + std::to_string(i) : d.cdev,
		    d.group.empty() ? "/dev/vfio/" + std::to_string(i) : d.group};
		for (const std::string &path : paths) {
			auto ins = nodes.emplace(path, i);
			if (!ins.second) {
				const DeviceSpec &o = devices[ins.first->second];
				err = make_error(kExitMalformed, d.pos,
						 "device " + d.name + ": " + path + " is already device " + o.name +
							 "'s (line " + std::to_string(o.pos.line) +
							 "); give one of them another cdev= or group=");
				return false;
			}
		}
	}
	for (DeviceSpec &d : devices)
		smmus[d.smmu].ndevices++;
	for (SmmuSpec &s : smmus)
		s.cfg.num_tbus = std::max<uint32_t>(1, std::min<uint32_t>(64, s.ndevices));

	// Classify every setting.
	std::vector<Target> targets(settings.size());
	for (size_t i = 0; i < settings.size(); i++) {
		const Setting &st = settings[i];
		Target &t = targets[i];
		int status = st.cli ? kExitUsage : kExitMalformed;
		std::string where = st.cli ? "--set " + st.key + "=" + st.value + ": " : "";
		t.key = st.key;
		if (st.smmu >= 0) {
			if (!model_param_known(st.key)) {
				err = make_error(status, st.pos,
						 where + "unknown SMMU parameter '" + st.key +
							 "' (smmusim params lists them)");
				return false;
			}
			t.smmu = st.smmu;
		} else if (future_param_known(st.key)) {
			t.platform = true;
			t.rank = -1; // not applied
			deferred.push_back(st);
			continue;
		} else if (platform_param_known(st.key)) {
			t.platform = true;
		} else if (kernel_param_known(st.key)) {
			t.kernel = true;
		} else if (model_param_known(st.key)) {
			t.smmu = -1;
		} else {
			bool found = false;
			for (size_t k = 0; k < smmus.size() && !found; k++) {
				const std::string &n = smmus[k].name;
				if (st.key.size() > n.size() + 1 && st.key.compare(0, n.size(), n) == 0 &&
				    st.key[n.size()] == '.' && model_param_known(st.key.substr(n.size() + 1))) {
					t.smmu = (int)k;
					t.key = st.key.substr(n.size() + 1);
					found = true;
				}
			}
			if (!found) {
				err = make_error(status, st.pos,
						 where + "unknown parameter '" + st.key +
							 "' (smmusim params lists them; NAME.KEY scopes an "
							 "SMMU parameter to SMMU NAME)");
				return false;
			}
		}
		t.rank = (st.cli ? 2 : 0) + (t.smmu >= 0 ? 1 : 0);
	}
	std::vector<size_t> order(settings.size());
	for (size_t i = 0; i < order.size(); i++)
		order[i] = i;
	std::stable_sort(order.begin(), order.end(),
			 [&](size_t a, size_t b) { return targets[a].rank < targets[b].rank; });

	for (size_t i : order) {
		const Setting &st = settings[i];
		const Target &t = targets[i];
		if (t.rank < 0)
			continue;
		int status = st.cli ? kExitUsage : kExitMalformed;
		std::string where = st.cli ? "--set " + st.key + "=" + st.value + ": " : "";
		if (t.kernel) {
			char why[256] = "";
			if (shim_config_set(&kernel, t.key.c_str(), st.value.c_str(), why, sizeof(why)) !=
			    SHIM_OK) {
				std::string w = why[0] ? why : "bad value";
				err = make_error(status, st.pos, where + t.key + "=" + st.value + ": " + w);
				return false;
			}
			continue;
		}
		if (t.platform) {
			std::string why;
			if (!platform_param_set(plat, t.key, st.value, why)) {
				err = make_error(status, st.pos, where + why);
				return false;
			}
			continue;
		}
		for (size_t k = 0; k < smmus.size(); k++) {
			if (t.smmu >= 0 && (size_t)t.smmu != k)
				continue;
			char why[256] = "";
			if (smmu_config_set(&smmus[k].cfg, t.key.c_str(), st.value.c_str(), why,
					    sizeof(why)) != SMMU_OK) {
				std::string w = why[0] ? why : "bad value";
				err = make_error(status, st.pos, where + t.key + "=" + st.value + ": " + w);
				return false;
			}
			if (t.key == "tbus")
				smmus[k].tbus_set = true;
			if (st.cli)
				smmus[k].cli_touched = true;
		}
	}

	// Ports: each device its own TBU in declaration order, or round robin
	// over the TBUs the configuration asked for.
	std::vector<uint32_t> next(smmus.size(), 0);
	for (DeviceSpec &d : devices)
		d.port = next[d.smmu]++ % smmus[d.smmu].cfg.num_tbus;

	for (const SmmuSpec &s : smmus) {
		std::string why;
		if (!model_config_ok(s.cfg, why)) {
			std::string what = "smmu '" + s.name + "': " + why +
					   " (smmusim params explains each parameter)";
			Pos pos = s.pos;
			if (!pos.line && !settings.empty() && !settings[0].cli)
				pos = settings[0].pos;
			err = make_error(s.cli_touched ? kExitUsage : kExitMalformed,
					 s.cli_touched ? Pos{} : pos, what);
			return false;
		}
	}
	return true;
}

Platform::Platform(sc_core::sc_module_name name, const PlatformSpec &spec, SmmuObserver *observer)
	: sc_module(name)
{
	const PlatformConfig &p = spec.plat;
	memory.reset(new Memory("memory", p.memory_size, sc_core::sc_time::from_value(p.memory_latency_ps),
				p.memory_dmi));
	for (size_t i = 0; i < spec.smmus.size(); i++) {
		const SmmuSpec &s = spec.smmus[i];
		smmus.emplace_back(new SmmuModule(sc_safe_name(s.name).c_str(), (unsigned)i, s.cfg,
						  observer, p.memory_dmi));
		smmus.back()->walker.bind(memory->socket);
		smmus.back()->downstream.bind(memory->socket);
	}
	pcie_ats_config atc;
	pcie_ats_config_default(&atc);
	atc.atc_entries = p.ats_atc_entries;
	atc.invq_depth = (uint8_t)p.ats_invq_depth;
	atc.stu = (uint8_t)p.ats_stu;
	atc.link_ns = (uint32_t)(p.ats_link_ps / 1000);
	atc.flush_ns = (uint32_t)(p.ats_flush_ps / 1000);
	atc.unresponsive = p.ats_unresponsive;
	for (const DeviceSpec &d : spec.devices) {
		devices.emplace_back(new PcieFunction(("pcie_" + sc_safe_name(d.name)).c_str(), d.sid, d.ssid_bits,
						      d.ats, d.pri, &atc, &dma_txns));
		devices.back()->tbu.bind(smmus[d.smmu]->upstream[d.port]);
		if (devices.back()->atc())
			smmus[d.smmu]->add_ats_function(d.sid, devices.back()->atc());
	}
	cpu.reset(new HostCpu("cpu", (unsigned)smmus.size(),
			      sc_core::sc_time::from_value(p.mmio_latency_ps)));
	std::vector<SmmuModule *> dvm;
	for (size_t i = 0; i < smmus.size(); i++) {
		cpu->mmio[i].bind(smmus[i]->regs);
		dvm.push_back(smmus[i].get());
	}
	cpu->set_dvm_targets(dvm);
	cpu->mem.bind(memory->socket);
}

} // namespace smmusim
