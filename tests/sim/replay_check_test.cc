// replay_check_test.cc - `smmusim check` refuses what `smmusim replay`
// refuses without needing a run (sim/replay.cc, RecordRules): for each
// static check a malformed record that both commands refuse with the same
// `file:line:col: error:` message and status; a malformed record after the
// replay stopped for another reason still makes it malformed; and every
// example and scenario passes check (and still would be refused with a bad
// record at its end), as do traces whose statistics only a run can decide.
#include <gtest/gtest.h>

#include "run_util.h"
#include "sc_gtest_main.h"

namespace {

// Seven lines: a device with ATS and PRI, one without, a VM, an iommufd,
// some memory. The record under test is line 8.
const std::string kHead = "smmutrace 1\n"
			  "device nic0 smmu=smmu0 sid=0x100 ats=on pri=on\n"
			  "device d1 smmu=smmu0 sid=0x200\n"
			  "open /dev/kvm -> fd=$kvm\n"
			  "ioctl $kvm KVM_CREATE_VM -> ret=$vm\n"
			  "open /dev/iommu -> fd=$iommufd\n"
			  "mmap len=4K -> addr=$ram\n";

struct Refused {
	std::string record; // line 8
	std::string at;     // the text the error points at ("": the record's start)
	std::string message;
	int status = 2;
};

// The line of stderr giving the error for `path`, or "".
std::string ErrorFor(const std::string &err, const std::string &path)
{
	size_t at = 0;
	while (at < err.size()) {
		size_t end = err.find('\n', at);
		std::string line = err.substr(at, end == std::string::npos ? std::string::npos : end - at);
		if (line.rfind(path + ":", 0) == 0 && line.find(": error: ") != std::string::npos)
			return line;
		if (end == std::string::npos)
			break;
		at = end + 1;
	}
	return "";
}

struct Both {
	RunResult replay, check;
};

Both ReplayAndCheck(const std::string &path)
{
	return Both{run(SMMUSIM_EXE, {"replay", path, "--quiet"}), run(SMMUSIM_EXE, {"check", path})};
}

} // namespace

// One malformed record per check that needs no run: `replay` refuses it
// before running it, `check` without running, with one message.
TEST(SimReplayCheck, StaticRefusalsAreMadeByCheckAsByReplay)
{
	const std::vector<Refused> cases = {
	    // system call results
	    {"open /dev/iommu -> err=ENOPE", "ENOPE", "open: err= expects an errno name (EINVAL, ENOENT ...)"},
	    {"vcpu $vm put cpu=0 -> err=EFOO", "EFOO", "vcpu put: err= expects an errno name"},
	    {"close $kvm -> ret=NOPE", "NOPE", "close: expected an integer"},
	    {"mmap len=4K -> nope=$x", "nope", "mmap: unknown result 'nope'"},
	    {"dmaapi nic0 map len=4K dir=to -> nope=$x", "nope", "dmaapi map: unknown result 'nope'"},
	    {"dmaapi nic0 unmap iova=$ram len=4K -> iova=$x", "iova=$x", "dmaapi unmap: unknown result 'iova'"},
	    {"read $iommufd -> nope=1", "nope", "read: unknown result 'nope'"},
	    {"read $iommufd -> events=5", "5", "read: events= expects a list of [flags,sequence,e0,e1,e2,e3]"},
	    // ioctl: the uapi table
	    {"ioctl $iommufd IOMMU_NOPE", "IOMMU_NOPE", "ioctl: unknown request name 'IOMMU_NOPE'"},
	    {"ioctl $iommufd IOMMU_IOAS_ALLOC nofield=1", "nofield",
	     "ioctl IOMMU_IOAS_ALLOC: no field 'nofield' in struct of IOMMU_IOAS_ALLOC"},
	    {"ioctl $iommufd IOMMU_IOAS_MAP flags=NOPE", "NOPE",
	     "ioctl IOMMU_IOAS_MAP: flags=NOPE: not a value of this field"},
	    {"ioctl $iommufd VFIO_SET_IOMMU arg=NOPE", "NOPE",
	     "ioctl VFIO_SET_IOMMU: arg=NOPE: not a value of this argument"},
	    {"ioctl $iommufd VFIO_GROUP_GET_DEVICE_FD arg=5", "",
	     "ioctl VFIO_GROUP_GET_DEVICE_FD: arg= expects a string"},
	    {"ioctl $iommufd IOMMU_IOAS_ALLOC size=0x200000", "",
	     "ioctl IOMMU_IOAS_ALLOC: size is limited to 1M here"},
	    {"ioctl $iommufd IOMMU_IOAS_IOVA_RANGES ioas_id=77 num_iovas=0x200000", "",
	     "ioctl IOMMU_IOAS_IOVA_RANGES: payload too large"},
	    {"ioctl $vm KVM_ARM_VCPU_INIT target=5 features=[4,0,0,0,0,0,0,1]", "[4",
	     "ioctl KVM_ARM_VCPU_INIT: features: 8 values for an array of 7"},
	    {"ioctl $iommufd IOMMU_IOAS_ALLOC out_ioas_id=[1,2]", "[1",
	     "ioctl IOMMU_IOAS_ALLOC: out_ioas_id: 2 values for a single value"},
	    {"ioctl $iommufd IOMMU_IOAS_ALLOC -> out_nope=$x", "out_nope",
	     "ioctl IOMMU_IOAS_ALLOC: unknown result 'out_nope'"},
	    {"ioctl $iommufd IOMMU_IOAS_ALLOC -> out_ioas_id=NOPE", "NOPE",
	     "ioctl IOMMU_IOAS_ALLOC: expected an integer"},
	    // (refused whether or not the call succeeds: ioas 77 does not exist)
	    {"ioctl $iommufd IOMMU_IOAS_IOVA_RANGES ioas_id=77 -> allowed_iovas=5", "5",
	     "ioctl IOMMU_IOAS_IOVA_RANGES: allowed_iovas= expects a list"},
	    // write, mmap, read
	    {"write $iommufd cookie=1", "", "write: give responses=[[cookie,code],...] or cookie= and code="},
	    {"write $iommufd responses=5", "5", "write: responses= expects a list of [cookie,code]"},
	    {"mmap pa=0", "", "mmap: len= is required"},
	    {"read $iommufd len=0x4000001", "", "read: len= is limited to 64M"},
	    // guests and vCPUs
	    {"guest $vm write ipa=0 u64=[]", "[]", "guest write: u64= list is empty"},
	    {"guest $vm write ipa=0 u64=[1,foo]", "foo", "guest write: expected an integer"},
	    {"guest $vm s1map ttb=0 asid=0x10000 va=0 ipa=0 len=4K perm=rw", "0x10000",
	     "guest s1map: asid= expects an integer up to 0xffff"},
	    {"vcpu $vm load cpu=0x100000000", "0x1", "vcpu load: cpu= expects a CPU number"},
	    // cpu tlbi
	    {"cpu tlbi NOPE", "NOPE", "cpu tlbi: unknown operation 'NOPE'"},
	    {"cpu tlbi VMALLE1IS vm=$vm vmid=1", "$vm", "cpu tlbi: vm= and vmid= together"},
	    {"cpu tlbi VAE1IS asid=0x10000", "0x10000", "cpu tlbi: asid= expects 0..0xffff"},
	    {"cpu tlbi VMALLE1IS vm=0x80000000", "0x8", "cpu tlbi: 0x80000000 is not a KVM VM fd"},
	    {"cpu tlbi VMALLE1IS -> ok", "ok", "cpu tlbi: takes no results"},
	    // expect
	    {"expect stat dma.nope == 1", "dma.nope", "expect stat: unknown statistic 'dma.nope'"},
	    {"expect stat kvm.nope == 1", "kvm.nope", "expect stat: unknown statistic 'kvm.nope'"},
	    {"expect stat smmu0.nope == 1", "smmu0", "expect stat: unknown statistic 'smmu0.nope'"},
	    {"expect stat dma.count == 5us", "5us", "expect stat: dma.count is a count, not a time"},
	    {"expect stat ioctl.count == 5us", "5us", "expect stat: ioctl.count is a count, not a time"},
	    {"expect stat dma.count == 0x7fffffffffffffff", "0x7", "expect stat: expected a number"},
	    {"expect violation stale count=0", "0", "expect violation: count= expects a positive integer"},
	    {"expect violation stale nope=1", "1", "expect violation: unknown key 'nope'"},
	    // dma records with variables (the general path)
	    {"dma nic0 addr=$ram len=0 dir=read", "0 dir", "dma: len= must be at least 1"},
	    {"dma nic0 addr=$ram len=64 dir=read -> fault=F_NOPE", "F_NOPE", "dma: unknown event 'F_NOPE'"},
	    {"dma nic0 addr=$ram len=64 dir=read -> ok fault=F_TRANSLATION", "ok", "dma: contradictory results"},
	    {"dma nic0 addr=$ram len=64 dir=read -> val=$x", "val", "dma: cannot bind 'val'"},
	    // bare-metal records
	    {"mem write 0x1000 u64=[]", "[]", "mem write: u64= list is empty"},
	    {"mem read 0x1000 count=2 -> u64=[1,2,3]", "2 ->",
	     "mem read: count= differs from the number of expected values"},
	    {"mem read 0x1000 u64=1", "1\n", "mem read: u64= is a result here"},
	    {"mem load img.bin pa=0 -> abort", "abort", "mem load: unexpected result 'abort' (expected ok)"},
	    {"mmio smmu0 write 0x20 val=0x100000000", "0x1", "mmio write: val= does not fit in 32 bits"},
	    {"mmio smmu0 read 0x20 val=1", "1\n", "mmio read: val= is a result here"},
	    {"mmio smmu0 read 0x20 -> abort", "abort", "mmio: unexpected result 'abort' (a read gives val= or ok)"},
	    // ATS and PRI
	    {"ats nic0 translate addr=0 -> nope=1", "nope", "ats: unknown result 'nope'"},
	    {"pri nic0 status prg=600", "600", "pri: prg= is a 9-bit PRG index (0..511)"},
	    {"pri nic0 request addr=0 prg=1 -> resp=x", "resp", "pri: unknown result 'resp' (status, code)"},
	    {"pri nic0 status prg=1 -> code=1", "code", "pri status: unknown result 'code' (resp, count)"},
	    // what a device cannot do is not malformed (status 1), but known without a run
	    {"ats d1 translate addr=0", "", "ats: device d1 has no ATS capability", 1},
	    {"pri d1 status prg=1", "", "pri: device d1 has no PRI capability", 1},
	};
	for (const Refused &c : cases) {
		SCOPED_TRACE(c.record);
		std::string path = temp_path(".trace");
		write_file(path, kHead + c.record + "\n");
		std::string line = c.record + "\n";
		size_t col = c.at.empty() ? 1 : line.find(c.at) + 1;
		ASSERT_NE(col, std::string::npos + 1) << c.at;
		std::string want = path + ":8:" + std::to_string(col) + ": error: " + c.message;
		Both b = ReplayAndCheck(path);
		EXPECT_EQ(b.replay.status, c.status) << b.replay.err;
		EXPECT_EQ(b.check.status, c.status) << b.check.err << b.check.out;
		std::string r = ErrorFor(b.replay.err, path), k = ErrorFor(b.check.err, path);
		EXPECT_EQ(r.rfind(want, 0), 0u) << "replay: " << r << "\nwanted: " << want;
		EXPECT_EQ(k, r) << "check and replay differ";
	}
}

// The replay stops at a failed assertion; a record after it that is
// malformed whatever the run did still makes the trace malformed (status 2,
// the assertion noted), as `check` says.
TEST(SimReplayCheck, StaticRefusalAfterTheReplayStoppedStillMakesItMalformed)
{
	std::string path = temp_path(".trace");
	write_file(path, kHead + "expect stat dma.count == 1\n"       // line 8: fails (no DMA yet)
			      "open /dev/iommu -> fd=$i2\n"           // not run
			      "ioctl $i2 IOMMU_IOAS_ALLOC -> nope=$x\n"); // line 10: malformed
	std::string want = path + ":10:31: error: ioctl IOMMU_IOAS_ALLOC: unknown result 'nope'";
	Both b = ReplayAndCheck(path);
	EXPECT_EQ(b.replay.status, 2) << b.replay.err;
	EXPECT_NE(b.replay.err.find(want), std::string::npos) << b.replay.err;
	EXPECT_NE(b.replay.err.find(":8:1: error: assertion failed: expected dma.count == 1, got 0 (replay "
				    "stopped here)"),
		  std::string::npos)
	    << b.replay.err;
	EXPECT_EQ(b.check.status, 2) << b.check.err;
	EXPECT_EQ(ErrorFor(b.check.err, path), want);
}

// check reads every record of every example and scenario without refusing
// one (the names of their statistics, ioctls, fields, flags ...) and still
// refuses a malformed record appended to each; traces whose statistics
// exist only in some runs pass check, whatever the replay finds.
TEST(SimReplayCheck, CheckPassesValidTracesAndRefusesTheirMalformedTail)
{
	std::vector<std::string> traces = list_traces(SIM_EXAMPLES_DIR);
	for (const std::string &t : list_traces(SIM_SCENARIOS_DIR))
		traces.push_back(t);
	ASSERT_GT(traces.size(), 20u);
	for (const std::string &t : traces) {
		SCOPED_TRACE(t);
		RunResult r = run(SMMUSIM_EXE, {"check", t});
		EXPECT_EQ(r.status, 0) << r.err;
		std::string text = read_file(t);
		if (!text.empty() && text.back() != '\n')
			text += "\n";
		size_t lines = (size_t)std::count(text.begin(), text.end(), '\n');
		std::string bad = temp_path(".trace");
		write_file(bad, text + "expect stat nope.nope == 1\n");
		r = run(SMMUSIM_EXE, {"check", bad});
		EXPECT_EQ(r.status, 2) << r.err;
		EXPECT_EQ(ErrorFor(r.err, bad), bad + ":" + std::to_string(lines + 1) +
						      ":13: error: expect stat: unknown statistic 'nope.nope' "
						      "(docs/sim.md lists them; the JSON report shows the names)");
	}

	// Statistics named after what the run does (a second SMMU, a request, a
	// kind of request, an opcode without a name): replayed and checked.
	struct Valid {
		std::string base, tail;
		int replay; // the replay's status
	};
	const std::vector<Valid> valid = {
	    {"s1_churn.trace",
	     "expect stat latency.by_kind.IOMMU_IOAS_UNMAP.count >= 1\n"
	     "expect stat latency.by_kind.IOMMU_IOAS_UNMAP.total_ns.max >= 1ns\n"
	     "expect stat latency.by_kind.IOMMU_IOAS_UNMAP.parts_ns.sync_wait >= 0ns\n"
	     "expect stat ioctl.IOMMU_IOAS_UNMAP.latency_ns.max >= 1ns\n",
	     0},
	    {"live_migration.trace", "expect stat smmu1.xlate >= 0\nexpect stat smmu1.irq.evtq >= 0\n", 0},
	    {"bad_config.trace", "expect stat commands.OP_9.count == 1\n", 0},
	    // Names that exist only once something happened: left to the run.
	    {"s1_basic.trace", "expect stat commands.OP_9.count == 0\n", 2},
	    {"default.trace", "expect stat ioctl.IOMMU_IOAS_UNMAP.count == 0\n", 2},
	};
	for (const Valid &v : valid) {
		SCOPED_TRACE(v.base + " + " + v.tail);
		std::string text = read_file(std::string(SIM_EXAMPLES_DIR) + "/" + v.base);
		if (!text.empty() && text.back() != '\n')
			text += "\n";
		std::string path = temp_path(".trace");
		write_file(path, text + v.tail);
		Both b = ReplayAndCheck(path);
		EXPECT_EQ(b.check.status, 0) << b.check.err;
		EXPECT_EQ(b.replay.status, v.replay) << b.replay.err;
		if (v.replay == 2)
			EXPECT_NE(b.replay.err.find("unknown statistic"), std::string::npos) << b.replay.err;
	}
}
