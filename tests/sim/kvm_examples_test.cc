// kvm_examples_test.cc - the KVM/VMID example traces replayed under every
// policy they document (traces/examples/seed000_vmid_alias.trace,
// kvm_rollover.trace): the VMIDs each context got and where they came from
// (the report's `vmids`), the kvm-pinned move and its commands, what the
// unsafe policies let through, BTM with CR2.PTM clear and set, and KVM's
// rollover as the SMMU sees it. Labels: sim, kvm.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <string>
#include <vector>

#include "run_util.h"
#include "sc_gtest_main.h"

namespace
{

const std::string kSeed = std::string(SIM_EXAMPLES_DIR) + "/seed000_vmid_alias.trace";
const std::string kRollover = std::string(SIM_EXAMPLES_DIR) + "/kvm_rollover.trace";

struct Vmid {
	unsigned smmu_vmid;
	std::string owner, source, kind;
	unsigned stes_max, moved_from, moved_to;
};

struct Outcome {
	int status = -1;
	std::string json, err, out;
	std::vector<Vmid> vmids; // smmu0's, in the report's order (by VMID)
	double Num(const std::string &dotted) const
	{
		// "a.b.c": find "a": { ... "b": { ... "c": N (good enough for our
		// report's layout: each key is looked up after the previous one).
		size_t p = 0;
		std::string rest = dotted;
		while (true) {
			size_t dot = rest.find('.');
			std::string key = rest.substr(0, dot);
			p = json.find("\"" + key + "\":", p);
			if (p == std::string::npos)
				return -1;
			p += key.size() + 3;
			if (dot == std::string::npos)
				break;
			rest = rest.substr(dot + 1);
		}
		return std::stod(json.substr(p));
	}
};

Outcome Replay(const std::string &trace, const std::vector<std::string> &sets)
{
	Outcome r;
	RunResult rr = replay_json(SMMUSIM_EXE, trace, sets, &r.json);
	r.status = rr.status;
	r.err = rr.err;
	r.out = rr.out;
	size_t v = r.json.find("\"vmids\": {");
	if (v != std::string::npos) {
		std::string block = r.json.substr(v, r.json.find("\n  }", v) - v);
		std::regex rec("\\{\"vmid\": (\\d+), \"owner\": \"([^\"]*)\", \"source\": \"([^\"]*)\", "
			       "\"kind\": \"([^\"]*)\", \"stes\": \\d+, \"stes_max\": (\\d+)([^}]*)\\}");
		for (std::sregex_iterator it(block.begin(), block.end(), rec), end; it != end; ++it) {
			Vmid x{};
			x.smmu_vmid = (unsigned)std::stoul((*it)[1]);
			x.owner = (*it)[2];
			x.source = (*it)[3];
			x.kind = (*it)[4];
			x.stes_max = (unsigned)std::stoul((*it)[5]);
			std::string tail = (*it)[6];
			std::smatch m;
			if (std::regex_search(tail, m, std::regex("\"moved_from\": (\\d+)")))
				x.moved_from = (unsigned)std::stoul(m[1]);
			if (std::regex_search(tail, m, std::regex("\"moved_to\": (\\d+)")))
				x.moved_to = (unsigned)std::stoul(m[1]);
			r.vmids.push_back(x);
		}
	}
	return r;
}

// The VMIDs of the owners' nest parents that were live at the end, by owner
// prefix ("vmm0", "vmm1").
std::map<std::string, unsigned> FinalParents(const Outcome &r)
{
	std::map<std::string, unsigned> out;
	for (const Vmid &v : r.vmids)
		if (v.kind == "nest-parent" && !v.moved_to)
			out[v.owner.substr(0, 4)] = v.smmu_vmid;
	return out;
}

// The `ioctls` entry of the n-th IOMMU_HWPT_ALLOC with NEST_PARENT is not
// marked as such: the seed trace's B parent is the 3rd HWPT_ALLOC.
std::string NthIoctl(const Outcome &r, const std::string &req, int n)
{
	size_t p = 0;
	for (int i = 0; i <= n; i++) {
		p = r.json.find("\"request\": \"" + req + "\"", p);
		if (p == std::string::npos)
			return "";
		if (i < n)
			p++;
	}
	size_t b = r.json.rfind('{', p);
	return r.json.substr(b, r.json.find('}', p) - b + 1);
}

double IoctlNs(const std::string &entry)
{
	size_t p = entry.find("\"sim_ns\": ");
	return p == std::string::npos ? -1 : std::stod(entry.substr(p + 10));
}

TEST(KvmSeed000, EachPolicysVmids)
{
	struct Want {
		const char *policy;
		unsigned a, b; // final VMIDs of guest A's and guest B's nest parents
		const char *src_a, *src_b;
		int status;
		unsigned moves;
	};
	const Want wants[] = {
	    {"smmu-ida", 1, 2, "smmu-ida", "smmu-ida", 0, 0},
	    {"kvm-pinned", 2, 1, "smmu-ida", "kvm-pinned", 0, 1},
	    {"shared", 1, 2, "shared", "shared", 0, 0},
	    {"split", 0x8000, 0x8001, "split", "split", 0, 0},
	    {"kvm-pinned-naive", 1, 1, "smmu-ida", "kvm-pinned", 4, 0},
	    {"kvm-unpinned", 1, 1, "smmu-ida", "kvm", 4, 0},
	};
	for (const Want &w : wants) {
		SCOPED_TRACE(w.policy);
		Outcome r = Replay(kSeed, {std::string("policy.vmid=") + w.policy});
		EXPECT_EQ(r.status, w.status) << r.err;
		auto fin = FinalParents(r);
		EXPECT_EQ(fin["vmm0"], w.a);
		EXPECT_EQ(fin["vmm1"], w.b);
		for (const Vmid &v : r.vmids)
			if (v.kind == "nest-parent")
				EXPECT_EQ(v.source, v.owner.rfind("vmm0", 0) == 0 ? w.src_a : w.src_b);
		EXPECT_EQ(r.Num("vmid.moves"), w.moves);
		// The oracle: the unsafe policies' alias and the leak, with provenance.
		bool unsafe = w.status == 4;
		EXPECT_EQ(r.json.find("\"kind\": \"alias\"") != std::string::npos, unsafe);
		EXPECT_EQ(r.json.find("\"kind\": \"cross-domain\", \"line\": 83") != std::string::npos,
			  unsafe)
		    << r.json.substr(0, 2000);
		EXPECT_EQ(r.Num("violations_count"), unsafe ? 2 : 0);
		if (unsafe) {
			EXPECT_NE(r.json.find("\"owner\": \"vmm1/vm0\", \"other\": \"vmm0\""),
				  std::string::npos);
			EXPECT_NE(r.out.find("isolation       VIOLATED"), std::string::npos) << r.out;
		} else {
			EXPECT_NE(r.out.find("isolation       held"), std::string::npos) << r.out;
		}
		if (w.status == 4) {
			// Guest B's first DMA was served by guest A's TLB entry: A's RAM.
			EXPECT_NE(r.err.find("expected pa=0x50101000, got pa=0x40101000"),
				  std::string::npos)
			    << r.err;
		}
	}
}

// policy.viommu_vmid=own: the vSMMUs tag the STEs with VMIDs of their own.
// Under the unsafe policies the two nest parents still get one number, but
// no STE carries the colliding nest parent's VMID (vmm0's vSMMU has another):
// no alias, no leak. A context's STEs are those installed for it, not every
// STE that carries its number.
TEST(KvmSeed000, OwnVmidVsmmusKeepUnsafeParentsApart)
{
	for (const char *policy : {"kvm-pinned-naive", "kvm-unpinned"}) {
		SCOPED_TRACE(policy);
		Outcome r = Replay(kSeed, {std::string("policy.vmid=") + policy, "policy.viommu_vmid=own"});
		EXPECT_EQ(r.status, 0) << r.err;
		auto fin = FinalParents(r);
		EXPECT_EQ(fin["vmm0"], 1u);
		EXPECT_EQ(fin["vmm1"], 1u);
		unsigned parents_with_stes = 0, vsmmus = 0;
		for (const Vmid &v : r.vmids) {
			if (v.kind == "nest-parent" && v.stes_max)
				parents_with_stes++;
			if (v.kind == "vsmmu" && v.stes_max == 1)
				vsmmus++;
		}
		EXPECT_EQ(parents_with_stes, 0u);
		EXPECT_EQ(vsmmus, 2u);
		EXPECT_EQ(r.Num("violations_count"), 0);
		EXPECT_NE(r.out.find("isolation       held"), std::string::npos) << r.out;
	}
}

TEST(KvmSeed000, KvmPinnedMoveIsHitlessWithItsCommands)
{
	Outcome ida = Replay(kSeed, {"policy.vmid=smmu-ida"});
	Outcome kp = Replay(kSeed, {"policy.vmid=kvm-pinned"});
	ASSERT_EQ(kp.status, 0) << kp.err;
	// A's record: VMID 1 moved to 2 ("KVM pinned VMID 1 for vmm1/..."), with
	// its STE; the new record has the STE and says where it came from.
	ASSERT_GE(kp.vmids.size(), 3u);
	bool saw_from = false, saw_to = false;
	for (const Vmid &v : kp.vmids) {
		if (v.owner == "vmm0" && v.smmu_vmid == 1) {
			EXPECT_EQ(v.moved_to, 2u);
			EXPECT_EQ(v.stes_max, 1u);
			saw_to = true;
		}
		if (v.owner == "vmm0" && v.smmu_vmid == 2) {
			EXPECT_EQ(v.moved_from, 1u);
			EXPECT_EQ(v.stes_max, 1u);
			saw_from = true;
		}
	}
	EXPECT_TRUE(saw_from && saw_to);
	// The nest-parent HWPT_ALLOC of guest B (the 3rd HWPT_ALLOC) carries the
	// move: STE rewritten in place (CFGI_STE + SYNC), then the old tag
	// flushed (TLBI_S12_VMALL + SYNC); no STE went through V=0.
	std::string e = NthIoctl(kp, "IOMMU_HWPT_ALLOC", 2);
	EXPECT_NE(e.find("\"commands\": [\"CFGI_STE\", \"SYNC\", \"PREFETCH_CONFIG\", "
			 "\"TLBI_S12_VMALL\", \"SYNC\"]"),
		  std::string::npos)
	    << e;
	EXPECT_NE(e.find("\"ste_writes\": 1, \"ste_hitless\": 1, \"ste_breaking\": false"),
		  std::string::npos)
	    << e;
	std::string e0 = NthIoctl(ida, "IOMMU_HWPT_ALLOC", 2);
	EXPECT_NE(e0.find("\"commands\": []"), std::string::npos) << e0;
	EXPECT_NE(e0.find("\"ste_writes\": 0"), std::string::npos) << e0;
	// The move costs simulated time in that ioctl, and nothing else differs
	// in the DMAs' results.
	EXPECT_GT(IoctlNs(e), IoctlNs(e0) + 1000);
	EXPECT_EQ(kp.Num("dma.faults"), 0);
	EXPECT_EQ(kp.Num("dma.aborts"), 0);
}

TEST(KvmSeed000, FileAddAfterBindGetsNoKvm)
{
	// The same trace with B's FILE_ADD after its bind: VFIO captured no KVM,
	// so under kvm-pinned B's parent is private (2) and nothing moves.
	std::string text = read_file(kSeed);
	std::string add = "ioctl $kvfio KVM_SET_DEVICE_ATTR group=KVM_DEV_VFIO_FILE "
			  "attr=KVM_DEV_VFIO_FILE_ADD addr=$nic1 -> ok\n";
	size_t a = text.find(add);
	ASSERT_NE(a, std::string::npos);
	text.erase(a, add.size());
	std::string bind = "-> out_devid=$devb\n";
	size_t b = text.find(bind);
	ASSERT_NE(b, std::string::npos);
	text.insert(b + bind.size(), add);
	std::string path = temp_path(".trace");
	write_file(path, text);
	Outcome r = Replay(path, {"policy.vmid=kvm-pinned"});
	unlink(path.c_str());
	EXPECT_EQ(r.status, 0) << r.err;
	auto fin = FinalParents(r);
	EXPECT_EQ(fin["vmm0"], 1u);
	EXPECT_EQ(fin["vmm1"], 2u);
	EXPECT_EQ(r.Num("vmid.moves"), 0);
}

// The trace up to and including the last line that starts with `line`.
std::string Prefix(const std::string &trace, const std::string &line)
{
	std::string text = read_file(trace);
	size_t p = text.rfind("\n" + line);
	if (p == std::string::npos)
		return "";
	std::string path = temp_path(".trace");
	write_file(path, text.substr(0, text.find('\n', p + 1) + 1));
	return path;
}

TEST(KvmSeed000, BtmWithPtmClearAndSet)
{
	// Up to guest A's DMA right after guest B's TLBI (VMALLE1IS with B's
	// KVM VMID).
	std::string upto = Prefix(kSeed, "dma nic0 addr=0x8000_1000");
	ASSERT_FALSE(upto.empty());
	// With BTM (CR2.PTM clear) the TLBI reaches the SMMU; without (PTM set)
	// it does not. Under smmu-ida B's KVM VMID 1 is A's SMMU VMID: B's TLBI
	// removes A's entries and A walks again (a foreign invalidation); under
	// kvm-pinned and shared it meets B's own entries; under split no SMMU
	// entry carries a KVM VMID. The report warns unless the policy keeps the
	// namespaces apart (shared, split).
	// Under smmu-ida the oracle calls it a foreign invalidation (exit 3).
	struct Want {
		const char *pol;
		double extra_walks;
		bool removes, warns;
		int status;
	};
	for (const Want &w : {Want{"smmu-ida", 1, true, true, 3}, Want{"kvm-pinned", 0, true, true, 0},
			      Want{"shared", 0, true, false, 0}, Want{"split", 0, false, false, 0}}) {
		SCOPED_TRACE(w.pol);
		Outcome off = Replay(upto, {std::string("policy.vmid=") + w.pol});
		ASSERT_EQ(off.status, 0) << off.err;
		EXPECT_EQ(off.Num("smmu0.btm_tlbis"), 0);
		EXPECT_EQ(off.Num("cpu.tlbi_removed"), 0);
		EXPECT_EQ(off.json.find("BTM is on"), std::string::npos);
		Outcome on = Replay(upto, {std::string("policy.vmid=") + w.pol, "smmu0.btm=on"});
		ASSERT_EQ(on.status, w.status) << on.err;
		EXPECT_EQ(on.json.find("\"kind\": \"foreign-invalidation\"") != std::string::npos,
			  w.status == 3);
		EXPECT_EQ(on.Num("smmu0.btm_tlbis"), 1);
		EXPECT_EQ(on.Num("cpu.tlbi_removed") > 0, w.removes);
		EXPECT_EQ(on.json.find("BTM is on") != std::string::npos, w.warns);
		EXPECT_EQ(on.out.find("  warning ") != std::string::npos, w.warns);
		EXPECT_EQ(on.Num("dma.by_hit.walk.count"),
			  off.Num("dma.by_hit.walk.count") + w.extra_walks);
	}
	unlink(upto.c_str());
}

// KVM's rollover as the SMMU sees it, under every policy the trace documents.
TEST(KvmRollover, EachPolicy)
{
	// Up to the last VM's TLBI (it started the new generation).
	std::string upto = Prefix(kRollover, "cpu tlbi VMALLE1IS vm=$v255");
	ASSERT_FALSE(upto.empty());
	struct Want {
		const char *pol;
		unsigned parent;       // the nest parent's VMID
		const char *source;
		unsigned rollovers;
		bool foreign;          // the last VM's TLBI removed the device's entries
	};
	for (const Want &w : {Want{"kvm-pinned", 1, "kvm-pinned", 1, false},
			      Want{"shared", 1, "shared", 1, false},
			      Want{"smmu-ida", 1, "smmu-ida", 1, true},
			      Want{"split", 128, "split", 2, false},
			      Want{"kvm-unpinned", 1, "kvm", 1, true}}) {
		SCOPED_TRACE(w.pol);
		Outcome full = Replay(kRollover, {std::string("policy.vmid=") + w.pol});
		// The oracle: the last VM's TLBI removing the device's entries is
		// a foreign invalidation (exit 3).
		EXPECT_EQ(full.status, w.foreign ? 3 : 0) << full.err;
		EXPECT_EQ(full.json.find("\"kind\": \"foreign-invalidation\"") != std::string::npos,
			  w.foreign);
		ASSERT_EQ(full.vmids.size(), 1u);
		EXPECT_EQ(full.vmids[0].smmu_vmid, w.parent);
		EXPECT_EQ(full.vmids[0].source, w.source);
		EXPECT_EQ(full.Num("kvm.rollovers"), w.rollovers);
		EXPECT_EQ(full.Num("kvm.generation"), w.rollovers + 1);
		// Every rollover's TLBI ALLE1IS reached the SMMU (btm=on), plus the
		// two guest TLBIs.
		EXPECT_EQ(full.Num("smmu0.btm_tlbis"), w.rollovers + 2);
		EXPECT_EQ(full.Num("kvm.flushes"), w.rollovers);
		EXPECT_GT(full.Num("kvm.flush_removed"), 0); // the device's entries went
		EXPECT_EQ(full.Num("kvm.vms"), 256);
		Outcome pre = Replay(upto, {std::string("policy.vmid=") + w.pol});
		ASSERT_EQ(pre.status, w.foreign ? 3 : 0) << pre.err;
		EXPECT_EQ(pre.Num("cpu.tlbi_removed") > 0, w.foreign);
		// VM 0's own TLBI after it runs again reaches the device's entries
		// only if its VMID survived the rollover (pinned).
		bool pinned = std::string(w.pol) == "kvm-pinned" || std::string(w.pol) == "shared";
		EXPECT_EQ(full.Num("cpu.tlbi_removed") > pre.Num("cpu.tlbi_removed"), pinned);
		bool warns = std::string(w.pol) != "shared" && std::string(w.pol) != "split";
		EXPECT_EQ(full.json.find("BTM is on") != std::string::npos, warns);
	}
	unlink(upto.c_str());
}

// Pinned exhaustion at the uAPI: with 8-bit KVM VMIDs and 251 CPUs at most
// 256 - 251 - 2 = 3 VMIDs can be pinned; the fourth nest parent of a device
// with a KVM fails with ENOSPC (never a silent VMID 0) until one is put.
TEST(KvmPinned, ExhaustionIsEnospcAtHwptAlloc)
{
	std::string t = "smmutrace 1\n"
			"config policy.vmid=kvm-pinned kvm.vmid_bits=8 kvm.cpus=251\n";
	for (int i = 0; i < 4; i++)
		t += "device d" + std::to_string(i) + " smmu=smmu0 sid=" + std::to_string(0x10 + i) +
		     "\n";
	t += "open /dev/kvm -> fd=$kvm\nopen /dev/iommu -> fd=$if\n"
	     "ioctl $if IOMMU_IOAS_ALLOC -> out_ioas_id=$ioas\n";
	for (int i = 0; i < 4; i++) {
		std::string n = std::to_string(i);
		t += "ioctl $kvm KVM_CREATE_VM -> ret=$vm" + n + "\n";
		t += "open /dev/vfio/devices/vfio" + n + " -> fd=$d" + n + "\n";
		t += "ioctl $vm" + n + " KVM_CREATE_DEVICE type=KVM_DEV_TYPE_VFIO -> fd=$kv" + n + "\n";
		t += "ioctl $kv" + n +
		     " KVM_SET_DEVICE_ATTR group=KVM_DEV_VFIO_FILE attr=KVM_DEV_VFIO_FILE_ADD addr=$d" + n +
		     " -> ok\n";
		t += "ioctl $d" + n + " VFIO_DEVICE_BIND_IOMMUFD iommufd=$if -> out_devid=$dev" + n + "\n";
	}
	for (int i = 0; i < 3; i++) {
		std::string n = std::to_string(i);
		t += "ioctl $if IOMMU_HWPT_ALLOC flags=NEST_PARENT dev_id=$dev" + n +
		     " pt_id=$ioas -> out_hwpt_id=$p" + n + "\n";
	}
	t += "ioctl $if IOMMU_HWPT_ALLOC flags=NEST_PARENT dev_id=$dev3 pt_id=$ioas -> err=ENOSPC\n"
	     "expect stat kvm.pinned == 3\n"
	     "ioctl $if IOMMU_DESTROY id=$p1 -> ok\n"
	     "expect stat kvm.pinned == 2\n"
	     "ioctl $if IOMMU_HWPT_ALLOC flags=NEST_PARENT dev_id=$dev3 pt_id=$ioas -> out_hwpt_id=$p3\n"
	     "expect stat kvm.pinned == 3\n";
	std::string path = temp_path(".trace");
	write_file(path, t);
	Outcome r = Replay(path, {});
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.Num("kvm.max_pinned"), 3);
	// Every nest parent that got a VMID got a KVM-pinned one, none is 0.
	ASSERT_EQ(r.vmids.size(), 4u);
	for (const Vmid &v : r.vmids) {
		EXPECT_NE(v.smmu_vmid, 0u);
		EXPECT_EQ(v.source, "kvm-pinned");
	}
	// The same trace with one VMID fewer fails at the first assertion.
	write_file(path, t.substr(0, t.find("kvm.cpus=251")) + "kvm.cpus=252" +
				 t.substr(t.find("kvm.cpus=251") + 12));
	Outcome r2 = Replay(path, {});
	EXPECT_EQ(r2.status, 4);
	EXPECT_NE(r2.err.find("ENOSPC"), std::string::npos) << r2.err;
	unlink(path.c_str());
}

} // namespace
