// kvm_replay_test.cc - KVM in replayed traces: /dev/kvm ioctls built from
// the uapi table (KVM_SET_DEVICE_ATTR's addr=$fd through SHIM_UF_INT_PTR),
// `guest` records (write, s1map, s1unmap) building a guest's stage 1 that a
// nested vSTE makes the SMMU walk, `vcpu` records driving KVM's VMID
// allocator to a rollover whose TLBI ALLE1IS reaches a BTM SMMU,
// `cpu tlbi vm=$vm`, and the exit statuses of malformed guest/vcpu records.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "run_util.h"
#include "sc_gtest_main.h"

extern "C" {
#include "smmu/build_ste.h"
}

namespace {

RunResult Replay(const std::string &text, const std::string &json = "")
{
	return replay_text(SMMUSIM_EXE, text, json);
}

std::string Hex(uint64_t v)
{
	char b[32];
	snprintf(b, sizeof(b), "0x%llx", (unsigned long long)v);
	return b;
}

// A VM whose 4M of RAM at IPA 1G is the VMM's mmap at PA 0x1000_0000, with
// the KVM-VFIO device holding nic0's cdev, and nic0 bound.
const std::string kVm =
	"smmutrace 1\n"
	"config kvm.cpus=2\n"
	"device nic0 smmu=smmu0 sid=0x100 snoop=enforced\n"
	"open /dev/kvm -> fd=$kvm\n"
	"ioctl $kvm KVM_GET_API_VERSION -> ret=12\n"
	"ioctl $kvm KVM_CHECK_EXTENSION arg=KVM_CAP_DEVICE_CTRL -> ret=1\n"
	"ioctl $kvm KVM_CREATE_VM -> ret=$vm\n"
	"mmap len=4M pa=0x1000_0000 -> addr=$ram\n"
	"ioctl $vm KVM_SET_USER_MEMORY_REGION slot=0 guest_phys_addr=0x4000_0000 memory_size=4M "
	"userspace_addr=$ram -> ok\n"
	"open /dev/vfio/devices/vfio0 -> fd=$nic0\n"
	"open /dev/iommu -> fd=$iommufd\n"
	"ioctl $vm KVM_CREATE_DEVICE type=KVM_DEV_TYPE_VFIO -> fd=$kvfio\n"
	"ioctl $kvfio KVM_SET_DEVICE_ATTR group=KVM_DEV_VFIO_FILE attr=KVM_DEV_VFIO_FILE_ADD "
	"addr=$nic0 -> ok\n"
	"ioctl $nic0 VFIO_DEVICE_BIND_IOMMUFD iommufd=$iommufd -> out_devid=$dev\n";

TEST(SimKvm, KvmIoctlsAndAGuestTableWalkedThroughANestedSte)
{
	uint64_t cd[8];
	smmu_build_cd(cd, 0x40000000, 9, 12, 48);
	std::string cdw = "[";
	for (int i = 0; i < 8; i++)
		cdw += (i ? "," : "") + Hex(cd[i]);
	cdw += "]";
	std::string json = temp_path(".json");
	RunResult r = Replay(
		kVm +
			"ioctl $kvfio KVM_SET_DEVICE_ATTR group=FILE attr=FILE_ADD addr=$nic0 -> err=EEXIST\n"
			"ioctl $kvfio KVM_SET_DEVICE_ATTR group=FILE attr=FILE_ADD addr=$iommufd -> err=EINVAL\n"
			"ioctl $kvfio KVM_HAS_DEVICE_ATTR group=KVM_DEV_VFIO_GROUP attr=GROUP_DEL -> ok\n"
			"ioctl $kvfio KVM_GET_DEVICE_ATTR group=FILE attr=FILE_ADD addr=$nic0 -> err=EPERM\n"
			"ioctl $vm KVM_CREATE_DEVICE type=VFIO -> err=EBUSY\n"
			"ioctl $vm KVM_CREATE_VCPU arg=0 -> ret=$vcpu\n"
			"ioctl $vm KVM_CREATE_VCPU arg=0 -> err=EEXIST\n"
			"ioctl $vm KVM_SET_USER_MEMORY_REGION slot=1 guest_phys_addr=0x4010_0000 "
			"memory_size=4K userspace_addr=$ram -> err=EEXIST\n"
			"ioctl $iommufd IOMMU_IOAS_ALLOC -> out_ioas_id=$ioas\n"
			"ioctl $iommufd IOMMU_IOAS_MAP ioas_id=$ioas flags=FIXED_IOVA|READABLE|WRITEABLE "
			"user_va=$ram length=4M iova=0x4000_0000 -> ok\n"
			"ioctl $iommufd IOMMU_HWPT_ALLOC flags=NEST_PARENT dev_id=$dev pt_id=$ioas -> out_hwpt_id=$s2\n"
			"ioctl $iommufd IOMMU_VIOMMU_ALLOC type=ARM_SMMUV3 dev_id=$dev hwpt_id=$s2 -> out_viommu_id=$viommu\n"
			"ioctl $iommufd IOMMU_VDEVICE_ALLOC viommu_id=$viommu dev_id=$dev virt_id=0x8 -> out_vdevice_id=$vdev\n"
			"guest $vm write ipa=0x4010_0000 u64=" + cdw + "\n"
			"guest $vm s1map ttb=0x4000_0000 asid=9 va=0x8000_0000 ipa=0x4020_0000 len=8K perm=rw -> ok\n"
			"guest $vm s1map ttb=0x4000_0000 asid=9 va=0x8000_2000 ipa=0x4020_2000 len=4K perm=r\n"
			"guest $vm s1map ttb=0x4000_0000 asid=9 va=0x8000_0800 ipa=0x4020_0000 len=4K perm=rw -> err=EINVAL\n"
			"guest $vm s1map ttb=0x4000_0000 asid=9 va=0x8000_0000 ipa=0x4030_0000 len=4K perm=rw -> err=EEXIST\n"
			"mem read 0x1000_3000 -> u64=[0x0060000040200F43,0x0060000040201F43,0x0060000040202FC3]\n"
			"ioctl $iommufd IOMMU_HWPT_ALLOC dev_id=$dev pt_id=$viommu data_type=ARM_SMMUV3 "
			"data=[0x4010000b,0xd4] -> out_hwpt_id=$nested\n"
			"ioctl $nic0 VFIO_DEVICE_ATTACH_IOMMUFD_PT pt_id=$nested -> ok\n"
			"dma nic0 addr=0x8000_1040 len=64 dir=read -> pa=0x1020_1040\n"
			"dma nic0 addr=0x8000_2000 len=64 dir=read -> pa=0x1020_2000\n"
			"dma nic0 addr=0x8000_2000 len=64 dir=write -> fault=F_PERMISSION\n"
			"guest $vm s1unmap ttb=0x4000_0000 va=0x8000_0000 len=4K -> ok\n"
			"mem read 0x1000_3000 -> u64=0\n"
			"guest $vm write ipa=0x4010_0040 u64=0x1234 count=2 -> ok\n"
			"mem read 0x1010_0040 count=2 -> u64=0x1234\n"
			"guest $vm write ipa=0x9000_0000 u64=1 -> err=EFAULT\n"
			"vcpu $vm load cpu=1 -> ret=1\n"
			"vcpu $vm put cpu=1 -> ok\n"
			"expect isolation\n"
			"expect stat ioctl.errors == 6\n",
		json);
	EXPECT_EQ(r.status, 0) << r.err;
	std::string j = read_file(json);
	unlink(json.c_str());
	EXPECT_NE(j.find("\"request\": \"KVM_SET_DEVICE_ATTR\", \"errno\": 0"), std::string::npos) << j;
	EXPECT_NE(j.find("\"request\": \"KVM_CREATE_VM\""), std::string::npos) << j;
}

// 8-bit KVM VMIDs: 255 VMs take indexes 1..255; the 256th load rolls over
// and KVM's TLBI ALLE1IS reaches the BTM SMMU; `cpu tlbi vm=` carries the
// VM's current VMID.
TEST(SimKvm, VcpuLoadsRollOverAndBroadcast)
{
	std::string t = "smmutrace 1\n"
			"config kvm.vmid_bits=8 kvm.cpus=2\n"
			"smmu smmu0 btm=on\n"
			"open /dev/kvm -> fd=$kvm\n";
	for (int i = 0; i < 256; i++) {
		std::string v = "$vm" + std::to_string(i);
		t += "ioctl $kvm KVM_CREATE_VM -> ret=" + v + "\n";
		t += "vcpu " + v + " load cpu=0" + (i < 255 ? " -> ret=" + std::to_string(i + 1) : "") + "\n";
		if (i == 0)
			t += "cpu tlbi VMALLE1IS vm=$vm0\nexpect stat smmu0.btm_tlbis == 1\n"
			     "expect stat kvm.rollovers == 0\n";
		t += "vcpu " + v + " put cpu=0 -> ok\n";
	}
	t += "expect stat kvm.rollovers == 1\n"
	     "expect stat kvm.generation == 2\n"
	     "expect stat smmu0.btm_tlbis == 2\n"
	     "vcpu $vm0 load cpu=1 vcpu=3\n"
	     "cpu tlbi VMALLE1IS vm=$vm0\n"
	     "expect stat smmu0.btm_tlbis == 3\n";
	RunResult r = Replay(t);
	EXPECT_EQ(r.status, 0) << r.err;
	// Without the rollover's broadcast the count would be one short.
	RunResult bad = Replay(t + "expect stat smmu0.btm_tlbis == 2\n");
	EXPECT_EQ(bad.status, 4) << bad.err;
}

TEST(SimKvm, VcpuRefusalsAreResults)
{
	RunResult r = Replay(kVm +
			     "ioctl $kvm KVM_CREATE_VM -> ret=$vm2\n"
			     "vcpu $vm load cpu=2 -> err=EINVAL\n"
			     "vcpu $vm load cpu=0 -> ok\n"
			     "vcpu $vm2 load cpu=0 -> err=EBUSY\n"
			     "vcpu $vm load cpu=1 -> err=EBUSY\n"
			     "vcpu $vm put cpu=1 -> err=EINVAL\n"
			     "vcpu $kvfio load cpu=1 -> err=EBADF\n");
	EXPECT_EQ(r.status, 0) << r.err;
	r = Replay(kVm + "vcpu $vm load cpu=0\nvcpu $vm load cpu=0 -> ok\n");
	EXPECT_EQ(r.status, 4) << r.err;
	EXPECT_NE(r.err.find("expected ok, got err=EBUSY"), std::string::npos) << r.err;
}

TEST(SimKvm, MalformedGuestAndVcpuRecordsExitTwo)
{
	struct Case {
		std::string rec, where;
	};
	// kVm has 14 lines; the case is line 15.
	const std::vector<Case> cases = {
		{"guest $nope write ipa=0 u64=1\n", ":15:7:"},
		{"guest $vm write ipa=0 u64=1 count=0\n", ":15:"},
		{"guest $vm write ipa=0 u64=[] \n", ":15:"},
		{"guest $vm s1map ttb=0 asid=0x10000 va=0 ipa=0 len=4K perm=rw\n", ":15:"},
		{"guest $vm s1map ttb=0 asid=1 va=$nope ipa=0 len=4K perm=rw\n", ":15:"},
		{"guest $ram write ipa=0 u64=1\n", ":15:7:"},
		{"vcpu $nope load cpu=0\n", ":15:6:"},
		{"vcpu $vm load cpu=$nope\n", ":15:"},
		{"vcpu $vm put cpu=0x1_0000_0000\n", ":15:"},
		{"cpu tlbi VMALLE1IS vm=$vm vmid=1\n", ":15:"},
		{"cpu tlbi VMALLE1IS vm=$kvm\n", ":15:"},
		{"cpu tlbi VMALLE1IS vm=$nope\n", ":15:"},
	};
	for (const Case &c : cases) {
		RunResult r = Replay(kVm + c.rec);
		EXPECT_EQ(r.status, 2) << c.rec << r.err;
		EXPECT_NE(r.err.find(c.where), std::string::npos) << c.rec << r.err;
	}
	// The trace reader's schema: a missing key, a bad perm.
	RunResult r = Replay(kVm + "guest $vm s1map ttb=0 asid=1 va=0 len=4K perm=rw\n");
	EXPECT_EQ(r.status, 2) << r.err;
	EXPECT_NE(r.err.find("missing ipa="), std::string::npos) << r.err;
	r = Replay(kVm + "guest $vm s1map ttb=0 asid=1 va=0 ipa=0 len=4K perm=w\n");
	EXPECT_EQ(r.status, 2) << r.err;
}

// An invalidation the kernel made for one VM (the VMM unmapped from its
// IOAS: TLBIs by its VMID) is not another VM's guest's word on its own
// stage 1: midway through an update, B's old translation is no violation;
// once B invalidates its ASID (another page), the forgotten page is stale.
// A VMM's vCPU bring-up (KVM_ARM_PREFERRED_TARGET, KVM_ARM_VCPU_INIT) replays
// with the kernel's answers, errnos included; `check` accepts it too.
TEST(SimKvmVcpu, VcpuInitFlowReplays)
{
	const std::string t = std::string(SIM_DATA_DIR) + "/kvm_vcpu_init.trace";
	RunResult r = run(SMMUSIM_EXE, {"replay", t, "--json", "-"});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_NE(r.out.find("KVM_ARM_VCPU_INIT"), std::string::npos) << r.out;
	r = run(SMMUSIM_EXE, {"check", t});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
}

TEST(SimKvmBtm, OneVmsInvalidationSaysNothingOfAnotherVmsEntries)
{
	RunResult r = run(SMMUSIM_EXE, {"replay", std::string(SIM_DATA_DIR) + "/oracle_two_vms.trace", "--json", "-"});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_EQ(r.err.find("error"), std::string::npos) << r.err;
	EXPECT_NE(r.out.find("\"line\": 61"), std::string::npos) << r.out;
	EXPECT_EQ(r.out.find("\"line\": 57"), std::string::npos) << r.out;
}

} // namespace

namespace {

// Broadcast TLBIs and the oracle (BTM): a guest behind a BTM SMMU whose TLBI
// misses its own SMMU entries (its KVM VMID is not the one they carry,
// policy.vmid=smmu-ida) has still invalidated - the old translation used
// afterwards is stale, not silence; and a TLBI that an SMMU without BTM
// ignored blames nobody on that SMMU, however its VMIDs line up.
TEST(SimKvmBtm, OwnTlbiThatMissesIsStaleAndAnSmmuWithoutBtmIsNotBlamed)
{
	RunResult r = run(SMMUSIM_EXE, {"replay", std::string(SIM_DATA_DIR) + "/btm_own_tlbi_misses.trace", "--quiet"});
	EXPECT_EQ(r.status, 3) << r.out << r.err;
	EXPECT_NE(r.err.find(":35:1: error: isolation violation: stale: nic0 (owner vmm0/vm1)"),
		  std::string::npos)
	    << r.err;
	// with VMIDs shared between KVM and the SMMU the same TLBI removes the
	// entry: the DMA faults (the trace's own assertion then fails: exit 4)
	r = run(SMMUSIM_EXE, {"replay", std::string(SIM_DATA_DIR) + "/btm_own_tlbi_misses.trace", "--quiet",
			      "--set", "policy.vmid=shared"});
	EXPECT_EQ(r.status, 4) << r.out << r.err;
	r = run(SMMUSIM_EXE, {"replay", std::string(SIM_DATA_DIR) + "/btm_one_of_two_smmus.trace", "--quiet"});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_EQ(r.err.find("foreign-invalidation"), std::string::npos) << r.err;
}

// An invalidation limited to one ASID (a guest's ASIDE1IS by BTM, its
// vIOMMU's TLBI_NH_ASID) is not the guest's word on another ASID's entries:
// midway through an update of ASID 3 its old translation is no violation;
// once ASID 3 is invalidated (another page of it), the forgotten page is.
TEST(SimKvmBtm, InvalidationsOfOneAsidSayNothingOfAnother)
{
	RunResult r = run(SMMUSIM_EXE, {"replay", std::string(SIM_DATA_DIR) + "/oracle_asid_scoped.trace", "--quiet"});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_EQ(r.err.find("error"), std::string::npos) << r.err;
	r = run(SMMUSIM_EXE, {"replay", std::string(SIM_DATA_DIR) + "/oracle_asid_scoped.trace", "--json", "-"});
	EXPECT_NE(r.out.find("made at line 35; the tables now say nothing (unmapped), and an invalidation of "
			     "vmm0/vm1 completed at line 42"),
		  std::string::npos)
	    << r.out;
}

// Linux 7.0's partial chunk: commands converted before a bad one are counted
// in entry_num but never issued. The guest was told its TLBI was done; the
// old translation it then meets is stale (it passed unnoticed).
TEST(SimKvmBtm, ACommandCountedButNeverSentIsAReportedInvalidation)
{
	RunResult r = run(SMMUSIM_EXE, {"replay", std::string(SIM_DATA_DIR) + "/oracle_partial_chunk.trace", "--quiet"});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	EXPECT_EQ(r.err.find("error"), std::string::npos) << r.err;
}


} // namespace
