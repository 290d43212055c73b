// kernel_replay_test.cc - process records (open, close, mmap, ioctl, read)
// replayed through the emulated kernel: argument structs built from the
// uapi field table, results asserted and bound by field name, errno
// assertions, the report's `ioctls` list and per-request summary, and the
// errors a trace can make (unknown request, unknown field, unknown errno).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "run_util.h"
#include "sc_gtest_main.h"

namespace {

RunResult Replay(const std::string &text, const std::string &json = "")
{
	return replay_text(SMMUSIM_EXE, text, json);
}

const std::string kHead = "smmutrace 1\n"
			  "device nic0 smmu=smmu0 sid=0x10\n";

// An S1 paging domain made by attaching the device to an IOAS.
const std::string kS1Flow = kHead +
	"open /dev/vfio/devices/vfio0 -> fd=$dev\n"
	"open /dev/iommu -> fd=$iommufd\n"
	"ioctl $dev VFIO_DEVICE_BIND_IOMMUFD iommufd=$iommufd -> out_devid=$devid\n"
	"ioctl $iommufd IOMMU_IOAS_ALLOC -> out_ioas_id=$ioas\n"
	"mmap len=2M pa=0x1000_0000 -> addr=$buf\n"
	"ioctl $iommufd IOMMU_IOAS_MAP ioas_id=$ioas flags=FIXED_IOVA|READABLE|WRITEABLE "
	"user_va=$buf length=2M iova=0x20_0000 -> ok\n"
	"ioctl $dev VFIO_DEVICE_ATTACH_IOMMUFD_PT pt_id=$ioas -> pt_id=$hwpt\n";

TEST(SimKernel, S1PagingDomainTranslatesAndUnmapFaults)
{
	std::string json = temp_path(".json");
	RunResult r = Replay(kS1Flow +
				     "dma nic0 addr=0x20_1040 len=64 dir=read -> pa=0x1000_1040\n"
				     "ioctl $iommufd IOMMU_IOAS_UNMAP ioas_id=$ioas iova=0x20_0000 length=2M -> length=2M\n"
				     "dma nic0 addr=0x20_1040 len=64 dir=read -> fault=F_TRANSLATION\n"
				     "expect stat ioctl.IOMMU_IOAS_UNMAP.count == 1\n"
				     "expect stat ioctl.errors == 0\n",
			     json);
	EXPECT_EQ(r.status, 0) << r.err;
	std::string j = read_file(json);
	unlink(json.c_str());
	// One entry per ioctl, with its line, uapi name, errno, time and commands.
	EXPECT_NE(j.find("\"ioctls\": ["), std::string::npos) << j;
	EXPECT_NE(j.find("{\"line\": 5, \"request\": \"VFIO_DEVICE_BIND_IOMMUFD\", \"errno\": 0"),
		  std::string::npos)
		<< j;
	size_t u = j.find("\"request\": \"IOMMU_IOAS_UNMAP\"");
	ASSERT_NE(u, std::string::npos) << j;
	std::string unmap = j.substr(u, j.find('}', u) - u);
	EXPECT_NE(unmap.find("\"syncs\": 1"), std::string::npos) << unmap;
	EXPECT_NE(unmap.find("\"SYNC\""), std::string::npos) << unmap;
	EXPECT_NE(unmap.find("\"TLBI_NH_"), std::string::npos) << unmap;
	EXPECT_EQ(unmap.find("\"sim_ns\": 0,"), std::string::npos) << unmap;
	// The text report has the per-request summary.
	EXPECT_NE(r.out.find("ioctls "), std::string::npos) << r.out;
	EXPECT_NE(r.out.find("IOMMU_IOAS_UNMAP"), std::string::npos) << r.out;
}

TEST(SimKernel, ErrnoAssertionsPassAndFail)
{
	// DESTROY of an IOAS in use is EBUSY; an unknown id ENOENT.
	RunResult r = Replay(kS1Flow + "ioctl $iommufd IOMMU_DESTROY id=$ioas -> err=EBUSY\n"
				       "ioctl $iommufd IOMMU_DESTROY id=0x7777 -> err=ENOENT\n"
				       "ioctl $iommufd 0x3b99 -> err=ENOTTY\n");
	EXPECT_EQ(r.status, 0) << r.err;
	r = Replay(kS1Flow + "ioctl $iommufd IOMMU_DESTROY id=$ioas -> ok\n");
	EXPECT_EQ(r.status, 4);
	EXPECT_NE(r.err.find(":10:42:"), std::string::npos) << r.err;
	EXPECT_NE(r.err.find("expected ok, got err=EBUSY"), std::string::npos) << r.err;
	r = Replay(kS1Flow + "ioctl $iommufd IOMMU_IOAS_ALLOC -> err=EINVAL\n");
	EXPECT_EQ(r.status, 4);
	EXPECT_NE(r.err.find("expected err=EINVAL, got success"), std::string::npos) << r.err;
	// every errno the emulated kernel answers has its name (EADDRINUSE,
	// EBADFD were refused as malformed)
	for (const char *n : {"EADDRINUSE", "EBADFD", "EMSGSIZE"}) {
		r = Replay(kS1Flow + "ioctl $iommufd IOMMU_IOAS_ALLOC -> err=" + n + "\n");
		EXPECT_EQ(r.status, 4) << r.err;
		EXPECT_NE(r.err.find(std::string("expected err=") + n + ", got success"), std::string::npos) << r.err;
	}
	// Size below the minimum: EINVAL; bytes past the struct non-zero: E2BIG
	// cannot be named by field, but a larger zero tail is accepted.
	r = Replay(kHead + "open /dev/iommu -> fd=$f\n"
			   "ioctl $f IOMMU_IOAS_ALLOC size=4 -> err=EINVAL\n"
			   "ioctl $f IOMMU_IOAS_ALLOC size=64 -> out_ioas_id=$a\n");
	EXPECT_EQ(r.status, 0) << r.err;
	// An output field that names its values asserts by name too, with or
	// without the uapi prefix; the wrong name fails, an unknown one is
	// malformed.
	r = Replay(kS1Flow + "ioctl $iommufd IOMMU_GET_HW_INFO dev_id=$devid -> out_data_type=ARM_SMMUV3\n"
			     "ioctl $iommufd IOMMU_GET_HW_INFO dev_id=$devid -> "
			     "out_data_type=IOMMU_HW_INFO_TYPE_ARM_SMMUV3\n");
	EXPECT_EQ(r.status, 0) << r.err;
	r = Replay(kS1Flow + "ioctl $iommufd IOMMU_GET_HW_INFO dev_id=$devid -> out_data_type=INTEL_VTD\n");
	EXPECT_EQ(r.status, 4);
	EXPECT_NE(r.err.find("expected out_data_type=INTEL_VTD (0x1), got 0x2"), std::string::npos) << r.err;
	r = Replay(kS1Flow + "ioctl $iommufd IOMMU_GET_HW_INFO dev_id=$devid -> out_data_type=NOPE\n");
	EXPECT_EQ(r.status, 2) << r.err;
}

// vfio-pci's region and interrupt information, SET_IRQS and reset, by
// name in a trace (results and flag names from the uapi table).
TEST(SimKernel, VfioDeviceRegionsInterruptsAndReset)
{
	std::string t = kHead +
		"open /dev/vfio/devices/vfio0 -> fd=$dev\n"
		"open /dev/iommu -> fd=$iommufd\n"
		"ioctl $dev VFIO_DEVICE_BIND_IOMMUFD iommufd=$iommufd -> out_devid=$devid\n"
		"ioctl $dev VFIO_DEVICE_GET_REGION_INFO index=7 -> size=4K flags=READ|WRITE offset=0x700_0000_0000\n"
		"ioctl $dev VFIO_DEVICE_GET_REGION_INFO index=0 -> size=0 flags=0\n"
		"ioctl $dev VFIO_DEVICE_GET_REGION_INFO index=8 -> err=EINVAL\n"
		"ioctl $dev VFIO_DEVICE_GET_IRQ_INFO index=3 -> count=1 flags=EVENTFD|NORESIZE\n"
		"ioctl $dev VFIO_DEVICE_GET_IRQ_INFO index=0 -> count=0 flags=EVENTFD|MASKABLE|AUTOMASKED\n"
		"ioctl $dev VFIO_DEVICE_GET_IRQ_INFO index=0 argsz=8 -> err=EINVAL\n"
		"ioctl $dev VFIO_DEVICE_SET_IRQS flags=DATA_EVENTFD|ACTION_TRIGGER index=4 count=1 data=0xffff_ffff -> ok\n"
		"ioctl $dev VFIO_DEVICE_SET_IRQS flags=DATA_EVENTFD|ACTION_TRIGGER index=4 count=1 data=$iommufd -> err=EINVAL\n"
		"ioctl $dev VFIO_DEVICE_SET_IRQS flags=DATA_EVENTFD|ACTION_TRIGGER index=2 count=1 data=0xffff_ffff -> err=EINVAL\n"
		"ioctl $dev VFIO_DEVICE_SET_IRQS flags=DATA_BOOL|ACTION_MASK index=3 count=1 data=1 -> err=ENOTTY\n"
		"ioctl $dev VFIO_DEVICE_RESET -> ok\n";
	RunResult r = Replay(t);
	EXPECT_EQ(r.status, 0) << r.err;
	r = Replay(t + "ioctl $dev VFIO_DEVICE_GET_REGION_INFO index=7 -> size=256\n");
	EXPECT_EQ(r.status, 4) << r.err;
}

// `eventfd` (1.3): a file of the process that VFIO_DEVICE_SET_IRQS takes as
// the ERR and REQ triggers (eventfd_ctx_fdget: another file EINVAL, none
// EBADF); its counter read whole (ret 8), then EAGAIN (non-blocking); no
// ioctls (ENOTTY).
TEST(SimKernel, EventfdsAreTakenAsInterruptTriggers)
{
	std::string t = kHead +
		"open /dev/vfio/devices/vfio0 -> fd=$nic0\n"
		"open /dev/iommu -> fd=$iommufd\n"
		"ioctl $nic0 VFIO_DEVICE_BIND_IOMMUFD iommufd=$iommufd -> out_devid=$dev\n"
		"eventfd -> fd=$err\n"
		"eventfd initval=2 -> fd=$req\n"
		"ioctl $nic0 VFIO_DEVICE_SET_IRQS flags=DATA_EVENTFD|ACTION_TRIGGER index=3 count=1 data=$err -> ok\n"
		"ioctl $nic0 VFIO_DEVICE_SET_IRQS flags=DATA_EVENTFD|ACTION_TRIGGER index=4 count=1 data=$req -> ok\n"
		"ioctl $nic0 VFIO_DEVICE_SET_IRQS flags=DATA_EVENTFD|ACTION_TRIGGER index=4 count=1 data=$iommufd -> err=EINVAL\n"
		"ioctl $err VFIO_DEVICE_SET_IRQS -> err=ENOTTY\n"
		"read $req len=8 -> ret=8\n"
		"read $req len=8 -> err=EAGAIN\n"
		"read $req len=4 -> err=EINVAL\n"
		"read $err len=8 -> err=EAGAIN\n"
		"close $err -> ok\n"
		"ioctl $nic0 VFIO_DEVICE_SET_IRQS flags=DATA_EVENTFD|ACTION_TRIGGER index=3 count=1 data=$err -> err=EBADF\n"
		"eventfd proc=vmm1 -> fd=$other\n"
		"read $other len=8 -> err=EAGAIN\n"
		"expect stat ioctl.errors == 3\n";
	RunResult r = Replay(t);
	EXPECT_EQ(r.status, 0) << r.err;
	// its form
	r = Replay(kHead + "eventfd initval=0x1_0000_0000 -> fd=$e\n");
	EXPECT_EQ(r.status, 2) << r.err;
	EXPECT_NE(r.err.find(":3:17: error: eventfd: initval= is an unsigned int"), std::string::npos)
		<< r.err;
	r = Replay(kHead + "eventfd count=1 -> fd=$e\n");
	EXPECT_EQ(r.status, 2) << r.err;
	EXPECT_NE(r.err.find(":3:9: error: eventfd: unknown key 'count'"), std::string::npos) << r.err;
	r = Replay(kHead + "eventfd 3 -> fd=$e\n");
	EXPECT_EQ(r.status, 2) << r.err;
	EXPECT_NE(r.err.find(":3:9: error: eventfd: unexpected"), std::string::npos) << r.err;
}

// memfd (1.4): a process's memfd of len bytes, pinned by IOMMU_IOAS_MAP_FILE;
// the device's DMAs reach its pages, which are the process's (the oracle
// sees no cross-domain access).
TEST(SimKernel, AMemfdIsMappedByMapFile)
{
	std::string t = kHead +
		"open /dev/vfio/devices/vfio0 -> fd=$dev\n"
		"open /dev/iommu -> fd=$iommufd\n"
		"ioctl $dev VFIO_DEVICE_BIND_IOMMUFD iommufd=$iommufd -> out_devid=$devid\n"
		"ioctl $iommufd IOMMU_IOAS_ALLOC -> out_ioas_id=$ioas\n"
		"memfd len=2M -> fd=$ram\n"
		"ioctl $iommufd IOMMU_IOAS_MAP_FILE ioas_id=$ioas flags=FIXED_IOVA|READABLE|WRITEABLE "
		"fd=$ram start=1M length=1M iova=0x20_0000 -> ok\n"
		"ioctl $iommufd IOMMU_IOAS_MAP_FILE ioas_id=$ioas flags=READABLE fd=$ram start=1M "
		"length=2M -> err=EINVAL\n"
		"ioctl $iommufd IOMMU_IOAS_MAP_FILE ioas_id=$ioas flags=READABLE fd=$dev start=0 "
		"length=4K -> err=EINVAL\n"
		"ioctl $dev VFIO_DEVICE_ATTACH_IOMMUFD_PT pt_id=$ioas -> ok\n"
		"@1ms dma nic0 addr=0x20_0040 len=64 dir=write -> ok\n"
		"dma nic0 addr=0x30_0000 len=64 dir=read -> fault=F_TRANSLATION\n"
		"close $ram -> ok\n"
		"ioctl $iommufd IOMMU_IOAS_MAP_FILE ioas_id=$ioas flags=READABLE fd=$ram start=0 "
		"length=4K -> err=EBADF\n"
		"memfd len=0 -> err=EINVAL\n"
		"memfd len=8K proc=vmm1 -> fd=$other\n"
		"expect isolation\n"
		"expect stat dma.ok == 1\n";
	RunResult r = Replay(t);
	EXPECT_EQ(r.status, 0) << r.err;
	// its form
	r = Replay(kHead + "memfd -> fd=$m\n");
	EXPECT_EQ(r.status, 2) << r.err;
	EXPECT_NE(r.err.find(":3:1: error: memfd: len= is required"), std::string::npos) << r.err;
	r = Replay(kHead + "memfd len=4K size=1 -> fd=$m\n");
	EXPECT_EQ(r.status, 2) << r.err;
	EXPECT_NE(r.err.find(":3:14: error: memfd: unknown key 'size'"), std::string::npos) << r.err;
	r = Replay(kHead + "memfd len=$x -> fd=$m\n");
	EXPECT_EQ(r.status, 2) << r.err;
	// an output field asserts success; beside err= it compares
	std::string map_dev = kHead +
		"open /dev/vfio/devices/vfio0 -> fd=$dev\n"
		"open /dev/iommu -> fd=$iommufd\n"
		"ioctl $iommufd IOMMU_IOAS_ALLOC -> out_ioas_id=$ioas\n"
		"ioctl $iommufd IOMMU_IOAS_MAP_FILE ioas_id=$ioas flags=FIXED_IOVA|READABLE fd=$dev "
		"length=4K iova=0x50_0000 -> ";
	r = Replay(map_dev + "iova=0x50_0000\n");
	EXPECT_EQ(r.status, 4) << r.err;
	EXPECT_NE(r.err.find(":6:112: error: assertion failed: expected success for iova, got err=EINVAL"),
		  std::string::npos)
		<< r.err;
	r = Replay(map_dev + "err=EINVAL iova=0x50_0000\n");
	EXPECT_EQ(r.status, 0) << r.err;
	r = Replay(map_dev + "err=EINVAL iova=0x60_0000\n");
	EXPECT_EQ(r.status, 4) << r.err;
	r = Replay(kHead + "memfd 3 len=4K -> fd=$m\n");
	EXPECT_EQ(r.status, 2) << r.err;
	EXPECT_NE(r.err.find(":3:7: error: memfd: unexpected"), std::string::npos) << r.err;
}

// A failed assertion on a call the kernel model refused for a reason its
// errno alone does not show says the reason: the device's reserved range
// (the SW MSI window) that the IOAS maps over.
TEST(SimKernel, AFailedCallSaysWhy)
{
	std::string t = kHead +
		"open /dev/vfio/devices/vfio0 -> fd=$dev\n"
		"open /dev/iommu -> fd=$iommufd\n"
		"ioctl $dev VFIO_DEVICE_BIND_IOMMUFD iommufd=$iommufd -> out_devid=$devid\n"
		"ioctl $iommufd IOMMU_IOAS_ALLOC -> out_ioas_id=$ioas\n"
		"mmap len=132M -> addr=$ram\n"
		"ioctl $iommufd IOMMU_IOAS_MAP ioas_id=$ioas flags=FIXED_IOVA|READABLE|WRITEABLE "
		"user_va=$ram length=132M iova=0 -> ok\n"
		"ioctl $dev VFIO_DEVICE_ATTACH_IOMMUFD_PT pt_id=$ioas -> ok\n";
	RunResult r = Replay(t);
	EXPECT_EQ(r.status, 4) << r.err;
	EXPECT_NE(r.err.find(":9:57: error: assertion failed: expected ok, got err=EADDRINUSE: IOAS 2 "
			     "maps IOVA in the device's reserved range 0x8000000-0x80fffff (the SMMU "
			     "driver's software MSI window, arm_smmu_get_resv_regions) (ioctl "
			     "VFIO_DEVICE_ATTACH_IOMMUFD_PT)"),
		  std::string::npos)
	    << r.err;
	// an errno without a reason stays as it was
	r = Replay(kHead + "open /dev/iommu -> fd=$f\nioctl $f IOMMU_DESTROY id=77 -> ok\n");
	EXPECT_EQ(r.status, 4) << r.err;
	EXPECT_NE(r.err.find("expected ok, got err=ENOENT (ioctl IOMMU_DESTROY)"), std::string::npos)
	    << r.err;
}

TEST(SimKernel, TraceErrorsAreMalformed)
{
	RunResult r = Replay(kHead + "open /dev/iommu -> fd=$f\nioctl $f IOMMU_NOPE\n");
	EXPECT_EQ(r.status, 2);
	EXPECT_NE(r.err.find(":4:10: error: ioctl: unknown request name 'IOMMU_NOPE'"), std::string::npos)
		<< r.err;
	r = Replay(kHead + "open /dev/iommu -> fd=$f\nioctl $f IOMMU_IOAS_ALLOC nosuch=1\n");
	EXPECT_EQ(r.status, 2);
	EXPECT_NE(r.err.find(":4:27: error: ioctl IOMMU_IOAS_ALLOC: no field 'nosuch'"), std::string::npos)
		<< r.err;
	r = Replay(kHead + "open /dev/iommu -> fd=$f\nioctl $f IOMMU_IOAS_ALLOC -> err=EWHAT\n");
	EXPECT_EQ(r.status, 2);
	EXPECT_NE(r.err.find("err= expects an errno name"), std::string::npos) << r.err;
	r = Replay(kHead + "open /dev/nosuch -> err=ENOENT\nopen /dev/nosuch -> fd=$x\n");
	EXPECT_EQ(r.status, 4);
	EXPECT_NE(r.err.find(":4:"), std::string::npos) << r.err;
}

TEST(SimKernel, IoctlTimeAdvancesTheReplay)
{
	// A trace of kernel calls only: simulated time is the calls' own time.
	std::string json = temp_path(".json");
	RunResult r = Replay(kS1Flow, json);
	ASSERT_EQ(r.status, 0) << r.err;
	std::string j = read_file(json);
	unlink(json.c_str());
	size_t p = j.find("\"sim_time_ns\": ");
	ASSERT_NE(p, std::string::npos);
	EXPECT_GT(std::stoull(j.substr(p + 15)), 1000u) << j.substr(p, 40);
}

} // namespace

// The kernel's teardown (closing what the trace left open, releasing the
// devices) runs after the last kernel call, not at time 0: its CMD_SYNCs
// were once polled from before the SMMU's own time and timed out after 1 s
// of polling in a run longer than that.
TEST(SimKernel, TeardownAfterALongRunWaitsForNothing)
{
	std::string t = temp_path(".trace");
	RunResult g = run(SMMUSIM_EXE, {"gen", "stream", "--pkts", "2100", "--gap", "500us", "-o", t});
	ASSERT_EQ(g.status, 0) << g.err;
	RunResult r = run(SMMUSIM_EXE, {"replay", t, "--quiet"});
	unlink(t.c_str());
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.err.find("timeout"), std::string::npos) << r.err;
}
