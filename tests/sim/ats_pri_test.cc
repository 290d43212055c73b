// ats_pri_test.cc - PCIe Page Requests (PRI) through the platform, the SMMU's
// PRI queue and the kernel model, and I/O page faults through iommufd fault
// queues. Each case is a trace whose results assert what Linux 7.0 (or, with
// kernel.pri_iopf=on, the posted arm-smmu-v3 PRI series) does:
//  - 7.0: the driver's PRI queue thread denies every group (PRI_RESP with
//    ResponseFailure), nothing reaches a fault queue;
//  - pri_iopf: a group (partial requests, then the last) is read from the
//    fault fd as iommu_hwpt_pgfault records (partials newest first, then the
//    last, one cookie), answered by write(), and the function receives
//    Success; no fault queue on the domain: Invalid at once; detaching with
//    a group pending: Invalid; the fd's errnos (ESPIPE, EINVAL);
//  - stalls (STALL_FORCE, the 7.0 path to a fault queue): a stalled DMA is a
//    fault record with grpid = STAG, answered with CMD_RESUME.
// Labels: sim, ats.
#include <gtest/gtest.h>

#include "json.h"
#include "run_util.h"
#include "sc_gtest_main.h"

namespace
{

const char *kSetup =
    "smmu smmu0 ats=on pri=on\n"
    "device nic0 smmu=smmu0 sid=0x100 ats=on pri=on\n"
    "open /dev/vfio/devices/vfio0 -> fd=$d0\n"
    "open /dev/iommu -> fd=$i\n"
    "ioctl $d0 VFIO_DEVICE_BIND_IOMMUFD iommufd=$i -> out_devid=$dev0\n"
    "ioctl $i IOMMU_IOAS_ALLOC -> out_ioas_id=$ioas\n"
    "ioctl $i IOMMU_FAULT_QUEUE_ALLOC -> out_fault_id=$fid out_fault_fd=$fq\n";

const char *kFaultHwpt =
    "ioctl $i IOMMU_HWPT_ALLOC flags=FAULT_ID_VALID dev_id=$dev0 pt_id=$ioas fault_id=$fid "
    "-> out_hwpt_id=$hwpt\n"
    "ioctl $d0 VFIO_DEVICE_ATTACH_IOMMUFD_PT pt_id=$hwpt -> ok\n";

RunResult Replay(const std::string &body, bool iopf, std::string *json_out = nullptr)
{
	std::string t = temp_path(".trace"), j = temp_path(".json");
	write_file(t, std::string("smmutrace 1.2\n") + (iopf ? "config kernel.pri_iopf=on\n" : "") +
			  kSetup + body);
	RunResult r = run(SMMUSIM_EXE, {"replay", t, "--quiet", "--json", j});
	if (json_out)
		*json_out = read_file(j);
	unlink(t.c_str());
	unlink(j.c_str());
	return r;
}

TEST(AtsPri, Linux70DeniesEveryGroup)
{
	RunResult r = Replay(std::string(kFaultHwpt) +
				 "pri nic0 request addr=0x200000 prg=5 dir=write -> status=queued\n"
				 "pri nic0 status prg=5 -> resp=none\n" // no response to a partial request
				 "pri nic0 request addr=0x201000 prg=5 last -> status=queued\n"
				 "pri nic0 status prg=5 -> resp=failure count=1\n"
				 "read $fq len=400 -> ret=0\n",
			     false);
	EXPECT_EQ(r.status, 0) << r.out << r.err;
}

TEST(AtsPri, RoundTripThroughAnIommufdFaultQueue)
{
	std::string json;
	RunResult r = Replay(
	    std::string(kFaultHwpt) +
		"pri nic0 request addr=0x200000 prg=5 dir=write -> status=queued\n"
		"pri nic0 request addr=0x203000 prg=5 dir=rw -> status=queued\n"
		"pri nic0 request addr=0x201000 prg=5 dir=read last -> status=queued\n"
		"pri nic0 status prg=5 -> resp=none\n"
		// partials newest first, then the last; one cookie for the group
		"read $fq len=120 -> ret=120 count=3 cookie=$c faults=[[0,$dev0,0,5,3,0x203000,0,1],"
		"[0,$dev0,0,5,2,0x200000,0,1],[2,$dev0,0,5,1,0x201000,0,1]]\n"
		"read $fq len=40 -> ret=0\n"
		"mmap len=2M pa=0x9000_0000 -> addr=$buf\n"
		"ioctl $i IOMMU_IOAS_MAP ioas_id=$ioas flags=FIXED_IOVA|READABLE|WRITEABLE user_va=$buf "
		"length=2M iova=0x200000 -> ok\n"
		"write $fq cookie=$c code=SUCCESS -> ret=8\n"
		"pri nic0 status prg=5 -> resp=success count=1\n"
		"write $fq cookie=$c code=SUCCESS -> err=EINVAL\n" // answered already
		"ats nic0 translate addr=0x201000 -> status=ok perm=rw pa=0x9000_1000\n",
	    true, &json);
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_NE(json.find("\"PRI_RESP\""), std::string::npos);
}

TEST(AtsPri, AWrongExpectationFails)
{
	RunResult r = Replay(std::string(kFaultHwpt) +
				 "pri nic0 request addr=0x201000 prg=5 last -> status=queued\n"
				 "pri nic0 status prg=5 -> resp=success\n",
			     false);
	EXPECT_EQ(r.status, 4) << r.out << r.err;
	EXPECT_NE(r.err.find("got resp=failure"), std::string::npos) << r.err;
}

// key=$var on the name-valued results of ats and pri binds them (it is not
// an assertion against the variable's name); a PA cannot be bound from a
// translation that failed; the response code takes its uapi name too.
TEST(AtsPri, NameResultsBindToVariables)
{
	RunResult r = Replay(std::string(kFaultHwpt) +
				 "pri nic0 request addr=0x200000 prg=5 dir=write -> status=$s code=$c0\n"
				 "pri nic0 request addr=0x201000 prg=5 last -> status=$s2\n"
				 "read $fq len=80 -> ret=80 cookie=$ck\n"
				 "mmap len=2M pa=0x9000_0000 -> addr=$buf\n"
				 "ioctl $i IOMMU_IOAS_MAP ioas_id=$ioas flags=FIXED_IOVA|READABLE|WRITEABLE "
				 "user_va=$buf length=2M iova=0x200000 -> ok\n"
				 "write $fq cookie=$ck code=IOMMUFD_PAGE_RESP_SUCCESS -> ret=8\n"
				 "pri nic0 status prg=5 -> resp=$r count=1\n"
				 "ats nic0 translate addr=0x201000 -> status=$st perm=$rw pa=0x9000_1000\n",
			     true);
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	// (no domain attached yet: the blocked STE answers Completer Abort)
	r = Replay("ats nic0 translate addr=0x40000000 -> status=$s\n"
		   "ats nic0 translate addr=0x40000000 -> pa=$p\n",
		   true);
	EXPECT_EQ(r.status, 4) << r.out << r.err;
	EXPECT_NE(r.err.find("cannot bind $p: expected a PA, got status="), std::string::npos) << r.err;
	// a bound name is still checked once: binding twice is refused by the reader
	r = Replay(std::string(kFaultHwpt) +
		       "ats nic0 translate addr=0x201000 -> status=$st\n"
		       "ats nic0 translate addr=0x201000 -> status=$st\n",
		   true);
	EXPECT_EQ(r.status, 2) << r.out << r.err;
}

TEST(AtsPri, NoFaultQueueOnTheDomainAnswersInvalid)
{
	RunResult r = Replay("ioctl $d0 VFIO_DEVICE_ATTACH_IOMMUFD_PT pt_id=$ioas -> ok\n"
			     "pri nic0 request addr=0x201000 prg=9 ssid=3 last -> status=queued\n"
			     "pri nic0 status prg=9 -> resp=invalid\n"
			     "pri nic0 stop ssid=3 prg=10 -> status=queued\n" // discarded: no response
			     "pri nic0 status prg=10 -> resp=none\n"
			     "read $fq len=40 -> ret=0\n",
			     true);
	EXPECT_EQ(r.status, 0) << r.out << r.err;
}

TEST(AtsPri, DetachAnswersPendingGroupsInvalid)
{
	RunResult r = Replay(std::string(kFaultHwpt) +
				 "pri nic0 request addr=0x201000 prg=7 last -> status=queued\n"
				 "read $fq len=40 -> ret=40 cookie=$c\n"
				 "pri nic0 request addr=0x202000 prg=8 last -> status=queued\n"
				 // replace: both the read group and the unread one
				 "ioctl $d0 VFIO_DEVICE_ATTACH_IOMMUFD_PT pt_id=$ioas -> ok\n"
				 "pri nic0 status prg=7 -> resp=invalid\n"
				 "pri nic0 status prg=8 -> resp=invalid\n"
				 "read $fq len=40 -> ret=0\n"
				 "write $fq cookie=$c code=SUCCESS -> err=EINVAL\n",
			     true);
	EXPECT_EQ(r.status, 0) << r.out << r.err;
}

TEST(AtsPri, FaultFdErrnos)
{
	RunResult r = Replay(std::string(kFaultHwpt) +
				 "pri nic0 request addr=0x200000 prg=1 -> status=queued\n"
				 "pri nic0 request addr=0x201000 prg=1 last -> status=queued\n"
				 "read $fq len=41 -> err=ESPIPE\n"
				 "read $fq len=40 -> ret=0\n" // the group of two does not fit: it stays
				 "read $fq len=80 -> ret=80 cookie=$c\n"
				 "write $fq cookie=$c code=SUCCESS len=7 -> err=ESPIPE\n"
				 "write $fq cookie=$c code=2 -> err=EINVAL\n"
				 "write $fq cookie=99 code=SUCCESS -> err=EINVAL\n"
				 "write $fq responses=[[$c,1],[99,0]] -> ret=8\n" // the first is taken
				 "pri nic0 status prg=1 -> resp=invalid\n",
			     true);
	EXPECT_EQ(r.status, 0) << r.out << r.err;
}

TEST(AtsPri, StalledDmaReachesTheFaultQueueAndIsResumed)
{
	std::string t = temp_path(".trace"), j = temp_path(".json");
	write_file(t, "smmutrace 1.2\n"
		      "smmu smmu0 stall_model=2\n"
		      "device nic0 smmu=smmu0 sid=0x100\n"
		      "open /dev/vfio/devices/vfio0 -> fd=$d0\n"
		      "open /dev/iommu -> fd=$i\n"
		      "ioctl $d0 VFIO_DEVICE_BIND_IOMMUFD iommufd=$i -> out_devid=$dev0\n"
		      "ioctl $i IOMMU_IOAS_ALLOC -> out_ioas_id=$ioas\n"
		      "ioctl $i IOMMU_FAULT_QUEUE_ALLOC -> out_fault_id=$fid out_fault_fd=$fq\n" +
			  std::string(kFaultHwpt) +
			  "dma nic0 addr=0x200040 len=64 dir=write\n"
			  // grpid = the STAG, perm WRITE, the faulting address
			  "read $fq len=400 -> ret=40 cookie=$c faults=[[2,$dev0,0,0,2,0x200040,0,1]]\n"
			  "write $fq cookie=$c code=SUCCESS -> ret=8\n");
	RunResult r = run(SMMUSIM_EXE, {"replay", t, "--quiet", "--json", j});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	smmusim::json::Value v;
	smmusim::json::Error e;
	ASSERT_TRUE(smmusim::json::parse(read_file(j), v, e)) << e.what;
	const smmusim::json::Value *n = v.at({"commands", "RESUME", "count"});
	ASSERT_NE(n, nullptr);
	EXPECT_EQ(n->number_or(0), 1);
	unlink(t.c_str());
	unlink(j.c_str());
}

} // namespace
