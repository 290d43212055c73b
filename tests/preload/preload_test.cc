// preload_test.cc - unmodified programs under libsmmusim_preload.so: the
// nested vIOMMU flow and the legacy container flow of uapi_flow (plain C
// against the uAPI layouts) served in process, the JSON report
// (SMMUSIM_REPORT: requests, the STEs each call produced, the commands the
// SMMU consumed), KVM requests the emulation does not run, configuration
// errors, and the recorder: record while serving, replay the recording with
// smmusim to identical results; record in pass-through mode (this machine
// has no /dev/iommu: the real kernel's ENOENT is what gets recorded);
// `smmusim record` around a program. Label: preload.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace
{

struct Result {
	int status = -1;
	std::string out, err;
};

std::string ReadFile(const std::string &p)
{
	std::ifstream f(p, std::ios::binary);
	std::stringstream ss;
	ss << f.rdbuf();
	return ss.str();
}

std::string Temp(const std::string &suffix)
{
	static int n = 0;
	const char *d = getenv("TMPDIR");
	return std::string(d && *d ? d : "/tmp") + "/preload_test_" + std::to_string(getpid()) +
	       "_" + std::to_string(n++) + suffix;
}

// exe with args and extra environment (KEY=VALUE), output captured.
Result Exec(const std::string &exe, const std::vector<std::string> &args,
         const std::vector<std::string> &env)
{
	Result r;
	std::string o = Temp(".out"), e = Temp(".err");
	pid_t pid = fork();
	if (pid == 0) {
		int fo = open(o.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fe = open(e.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fo, 1);
		dup2(fe, 2);
		for (const auto &kv : env)
			putenv(strdup(kv.c_str()));
#ifdef PRELOAD_SANITIZED
		// (CMakeLists.txt: a sanitized program with the library preloaded)
		const char *ao = getenv("ASAN_OPTIONS");
		std::string opts = std::string("verify_asan_link_order=0") + (ao && *ao ? ":" : "") +
				   (ao ? ao : "");
		setenv("ASAN_OPTIONS", opts.c_str(), 1);
#endif
		std::vector<char *> av{const_cast<char *>(exe.c_str())};
		for (const auto &a : args)
			av.push_back(const_cast<char *>(a.c_str()));
		av.push_back(nullptr);
		execv(exe.c_str(), av.data());
		_exit(127);
	}
	int ws = 0;
	waitpid(pid, &ws, 0);
	r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
	r.out = ReadFile(o);
	r.err = ReadFile(e);
	unlink(o.c_str());
	unlink(e.c_str());
	return r;
}

std::vector<std::string> Env(const std::vector<std::string> &more = {})
{
	std::vector<std::string> e = {std::string("LD_PRELOAD=") + PRELOAD_LIB,
	                              std::string("SMMUSIM_TRACE_HEADER=") + MACHINE_TRACE};
	e.insert(e.end(), more.begin(), more.end());
	return e;
}

// uapi_flow MODE ... run served by the emulator and recorded into rec.
Result RecordServed(const std::vector<std::string> &args, const std::string &rec)
{
	return Exec(UAPI_FLOW, args, Env({"SMMUSIM_RECORD=" + rec, "SMMUSIM_SERVE=1"}));
}

// `smmusim replay rec --quiet`.
Result Replay(const std::string &rec)
{
	return Exec(SMMUSIM_EXE, {"replay", rec, "--quiet"}, {});
}

size_t Count(const std::string &s, const std::string &what)
{
	size_t n = 0;
	for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1))
		n++;
	return n;
}

TEST(Preload, NestedViommuFlowIsServedAndReported)
{
	std::string rep = Temp(".json");
	Result r = Exec(UAPI_FLOW, {"nested"}, Env({"SMMUSIM_REPORT=" + rep}));
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_NE(r.out.find("uapi_flow nested: ok"), std::string::npos);
	std::string j = ReadFile(rep);
	unlink(rep.c_str());
	ASSERT_FALSE(j.empty());
	// the calls, with their errors counted
	EXPECT_NE(j.find("\"IOMMU_VIOMMU_ALLOC\": {\"count\": 1, \"errors\": 0"), std::string::npos)
	    << j;
	EXPECT_NE(j.find("\"IOMMU_HWPT_ALLOC\": {\"count\": 3, \"errors\": 1"), std::string::npos)
	    << j;
	// the STEs the calls produced: nic0 (SID 256) nested after the attach,
	// abort again after the detach
	std::regex nested_ste("\"after\": \"VFIO_DEVICE_ATTACH_IOMMUFD_PT\"[^\\n]*\"sid\": 256, "
	                      "\"config\": \"nested\"");
	EXPECT_TRUE(std::regex_search(j, nested_ste)) << j;
	std::regex abort_ste("\"after\": \"VFIO_DEVICE_DETACH_IOMMUFD_PT\"[^\\n]*\"sid\": 256, "
	                     "\"config\": \"abort\"");
	EXPECT_TRUE(std::regex_search(j, abort_ste)) << j;
	// what the SMMU consumed: the STE invalidations and the guest's TLBI
	// (its VMID forced by the kernel), each batch closed by a SYNC
	EXPECT_NE(j.find("\"CFGI_STE\": "), std::string::npos) << j;
	EXPECT_NE(j.find("\"TLBI_NH_VA\": 1"), std::string::npos) << j;
	EXPECT_NE(j.find("\"SYNC\": "), std::string::npos);
	EXPECT_NE(j.find("\"violations\": [\n  ]"), std::string::npos) << j;
}

TEST(Preload, LegacyContainerFlowIsServed)
{
	Result r = Exec(UAPI_FLOW, {"legacy"}, Env());
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_NE(r.out.find("uapi_flow legacy: ok"), std::string::npos);
}

TEST(Preload, KvmRunIsRefusedWithTheReason)
{
	Result r = Exec(UAPI_FLOW, {"kvm"}, Env());
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_NE(r.err.find("KVM_RUN"), std::string::npos) << r.err;
	EXPECT_NE(r.err.find("not emulated"), std::string::npos) << r.err;
	EXPECT_NE(r.err.find("mmap of emulated fd"), std::string::npos) << r.err;
}

TEST(Preload, BadConfigurationFailsTheOpenAndSaysWhy)
{
	Result r = Exec(UAPI_FLOW, {"legacy"}, Env({"SMMUSIM_SET=no.such.param=1"}));
	EXPECT_NE(r.status, 0);
	EXPECT_NE(r.err.find("no.such.param"), std::string::npos) << r.err;
	EXPECT_NE(r.err.find("No such device"), std::string::npos) << r.err; // open: ENODEV
	std::string bad = Temp(".trace");
	std::ofstream(bad) << "smmutrace 1\ndevice nic0 smmu=smmu0\n";
	Result h = Exec(UAPI_FLOW, {"legacy"},
	             {std::string("LD_PRELOAD=") + PRELOAD_LIB, "SMMUSIM_TRACE_HEADER=" + bad});
	unlink(bad.c_str());
	EXPECT_NE(h.status, 0);
	EXPECT_NE(h.err.find(bad + ":2:"), std::string::npos) << h.err; // file:line:col
	// numbers in the header are parameters like any other (smmu and config
	// records, as smmusim replay reads them)
	std::string num = Temp(".trace");
	std::ofstream(num) << "smmutrace 1\nsmmu smmu0 httu=2 vmid_bits=8\nconfig smmu0.oas=48\n"
	                      "device nic0 smmu=smmu0 sid=0x100 snoop=enforced\n"
	                      "device nic1 smmu=smmu0 sid=0x20 group=/dev/vfio/7 bdf=0000:01:00.0\n";
	Result n = Exec(UAPI_FLOW, {"legacy"},
	             {std::string("LD_PRELOAD=") + PRELOAD_LIB, "SMMUSIM_TRACE_HEADER=" + num});
	unlink(num.c_str());
	EXPECT_EQ(n.status, 0) << n.err;
	EXPECT_EQ(n.err.find("is not a number"), std::string::npos) << n.err;
}

TEST(Preload, RecordedWhileServedReplaysToIdenticalResults)
{
	for (const char *flow : {"nested", "legacy"}) {
		for (const char *ext : {".trace", ".trace.gz"}) {
			std::string rec = Temp(ext);
			Result r = RecordServed({flow}, rec);
			ASSERT_EQ(r.status, 0) << r.err;
			// every ioctl result of the program is an assertion in the trace
			Result p = Replay(rec);
			EXPECT_EQ(p.status, 0) << flow << ext << "\n" << p.err;
			Result d = Exec(SMMUSIM_EXE, {"dump", rec}, {});
			EXPECT_GE(Count(d.out, "\nioctl "), 10u) << d.out;
			if (!strcmp(flow, "nested")) {
				EXPECT_NE(d.out.find("-> err=EIO"), std::string::npos); // the bad vSTE
				EXPECT_NE(d.out.find("user_va=$m1"), std::string::npos);
				// read(2)/write(2) on the vEVENTQ and fault fds are records too
				EXPECT_TRUE(std::regex_search(d.out, std::regex("\nread \\$f[0-9]+ len=256 -> ret=0 events=\\[\\]\n")))
				    << d.out;
				EXPECT_TRUE(std::regex_search(d.out, std::regex("\nread \\$f[0-9]+ len=80 -> ret=0 faults=\\[\\]\n")))
				    << d.out;
				EXPECT_TRUE(std::regex_search(d.out, std::regex("\nwrite \\$f[0-9]+ responses=\\[\\[0x5,0x0\\]\\] -> err=EINVAL\n")))
				    << d.out;
				EXPECT_TRUE(std::regex_search(d.out, std::regex("\nwrite \\$f[0-9]+ responses=\\[\\[0x5,0x0\\]\\] len=5 -> err=ESPIPE\n")))
				    << d.out;
			}
			unlink(rec.c_str());
		}
	}
}

// --set values the program ran under are written into the recording as
// `config` records, so its replay runs under them too.
TEST(Preload, RecordingCarriesTheSettingsItRanWith)
{
	std::string rec = Temp(".trace"), json = Temp(".json");
	Result r = Exec(SMMUSIM_EXE,
	             {"record", "-o", rec, "--serve", "--header", MACHINE_TRACE, "--set",
	              "kernel.iommu_strict=off", "--set", "t.k.syscall=900", "--", UAPI_FLOW, "legacy"},
	             {});
	ASSERT_EQ(r.status, 0) << r.err;
	std::string t = ReadFile(rec);
	EXPECT_NE(t.find("\nconfig kernel.iommu_strict=off\nconfig t.k.syscall=900\n"), std::string::npos)
	    << t.substr(0, 2000);
	Result p = Exec(SMMUSIM_EXE, {"replay", rec, "--quiet", "--json", json}, {});
	EXPECT_EQ(p.status, 0) << p.err;
	std::string j = ReadFile(json);
	EXPECT_NE(j.find("\"kernel.iommu_strict\": \"off\""), std::string::npos);
	EXPECT_NE(j.find("\"t.k.syscall\": \"900\""), std::string::npos);
	unlink(rec.c_str());
	unlink(json.c_str());
}

// Every open is named anew, however many a run makes (the names ran out
// after 4094 and later fds were written as numbers the replay cannot use).
TEST(Preload, ManyOpensReplay)
{
	std::string rec = Temp(".trace.gz");
	Result r = RecordServed({"reopen", "5000"}, rec);
	ASSERT_EQ(r.status, 0) << r.err;
	Result p = Replay(rec);
	EXPECT_EQ(p.status, 0) << p.err.substr(0, 2000);
	Result d = Exec(SMMUSIM_EXE, {"dump", rec}, {});
	EXPECT_NE(d.out.find("-> fd=$f5000\n"), std::string::npos);
	unlink(rec.c_str());
}

// The program's own files passed where a request takes an fd: EBADFD
// (BIND_IOMMUFD), EINVAL / ENOENT (the kvm-vfio device's FILE_ADD / DEL) as
// Linux answers a file of the wrong kind; EBADF only for no file.
TEST(Preload, ForeignFilesGetTheWrongKindErrno)
{
	Result r = Exec(UAPI_FLOW, {"foreign"}, Env());
	EXPECT_EQ(r.status, 0) << r.err;
}

// Device fds numbered past 4096 are named and recorded like the others (the
// recorder's table stopped at 4096: their ioctls went unrecorded).
TEST(Preload, FdsPastFourThousandAreRecorded)
{
	std::string rec = Temp(".trace");
	Result r = RecordServed({"highfd"}, rec);
	ASSERT_EQ(r.status, 0) << r.err;
	std::string t = ReadFile(rec);
	EXPECT_EQ(Count(t, "\nopen \"/dev/"), 2u) << t;
	EXPECT_NE(t.find("\nioctl $f2 VFIO_DEVICE_ATTACH_IOMMUFD_PT"), std::string::npos) << t;
	EXPECT_NE(t.find("\nclose $f2 -> ok"), std::string::npos) << t;
	Result p = Replay(rec);
	EXPECT_EQ(p.status, 0) << p.err;
	unlink(rec.c_str());
}

// A forked child's calls are not recorded (they would interleave with the
// parent's as one process): the recording is the parent's and replays.
TEST(Preload, AForkedChildIsNotRecorded)
{
	std::string rec = Temp(".trace");
	Result r = RecordServed({"fork"}, rec);
	ASSERT_EQ(r.status, 0) << r.err;
	std::string t = ReadFile(rec);
	EXPECT_EQ(Count(t, "\nopen "), 1u) << t;
	EXPECT_EQ(Count(t, "IOMMU_IOAS_ALLOC"), 1u) << t;
	Result p = Replay(rec);
	EXPECT_EQ(p.status, 0) << p.err;
	unlink(rec.c_str());
}

TEST(Preload, PassThroughRecordsWhatTheRealKernelAnswered)
{
	// no SMMUSIM_SERVE: the calls go to this machine's kernel, which has no
	// /dev/iommu; the program fails and the trace says why
	std::string rec = Temp(".trace");
	Result r = Exec(UAPI_FLOW, {"nested"},
	             {std::string("LD_PRELOAD=") + PRELOAD_LIB, "SMMUSIM_RECORD=" + rec});
	EXPECT_NE(r.status, 0);
	std::string t = ReadFile(rec);
	unlink(rec.c_str());
	EXPECT_NE(t.find("open \"/dev/vfio/devices/vfio0\" -> err=ENOENT"), std::string::npos) << t;
	EXPECT_NE(t.find("open \"/dev/iommu\" -> err=ENOENT"), std::string::npos) << t;
}

// The program's eventfds, taken as vfio-pci's ERR and REQ triggers, are
// named by `eventfd` records (1.3) before the call that takes them and
// closed in the trace when the program closes them, so the recording
// replays (written as numbers they replayed as EBADF).
TEST(Preload, TheProgramsEventfdsAreRecordedAsEventfds)
{
	std::string rec = Temp(".trace");
	Result r = RecordServed({"irqs"}, rec);
	ASSERT_EQ(r.status, 0) << r.err;
	std::string t = ReadFile(rec);
	EXPECT_EQ(Count(t, "\neventfd -> fd=$f"), 3u) << t;
	EXPECT_EQ(Count(t, "VFIO_DEVICE_SET_IRQS flags=0x24 index=0x3 count=0x1 data=$f"), 2u) << t;
	EXPECT_EQ(Count(t, "VFIO_DEVICE_SET_IRQS flags=0x24 index=0x4 count=0x1 data=$f"), 1u) << t;
	EXPECT_EQ(Count(t, "\nclose $f"), 5u) << t; // three eventfds, the device, the iommufd
	EXPECT_EQ(t.find(" data=3"), std::string::npos) << t;
	Result p = Replay(rec);
	EXPECT_EQ(p.status, 0) << p.err << t;
	unlink(rec.c_str());
}

// The program's memfd (QEMU's memory-backend-memfd) is pinned by
// IOMMU_IOAS_MAP_FILE, dups and growth included; a recording names it with a
// `memfd` record (1.4), again when it has grown, and replays to the same
// results (written as a number, the replay's MAP_FILE got EBADF).
TEST(Preload, TheProgramsMemfdIsMappedByMapFile)
{
	Result r = Exec(UAPI_FLOW, {"memfd"}, Env());
	EXPECT_EQ(r.status, 0) << r.err;
	std::string rec = Temp(".trace");
	r = RecordServed({"memfd"}, rec);
	ASSERT_EQ(r.status, 0) << r.err;
	std::string t = ReadFile(rec);
	EXPECT_EQ(t.find("smmutrace 1.4\n"), 0u) << t;
	// the memfd, its dup, and the dup again once the file has grown
	EXPECT_EQ(Count(t, "\nmemfd len=0x200000 -> fd=$f"), 2u) << t;
	EXPECT_EQ(Count(t, "\nmemfd len=0x400000 -> fd=$f"), 1u) << t;
	EXPECT_EQ(Count(t, "\nmemfd "), 3u) << t;
	EXPECT_EQ(t.find("MAP_FILE flags=0x7 ioas_id=0x1 fd=5"), std::string::npos) << t;
	EXPECT_EQ(Count(t, "-> err=EINVAL"), 2u) << t;
	EXPECT_EQ(Count(t, "fd=1000 length=0x1000 iova=0x1000 -> err=EBADF"), 1u) << t;
	Result p = Replay(rec);
	EXPECT_EQ(p.status, 0) << p.err << t;
	unlink(rec.c_str());
}

TEST(Preload, PassThroughNamesASharedNumberByTheFilesKind)
{
	// Device nodes of this machine's kernel, in a mount namespace of the
	// test's own: regular files at /dev/vfio/vfio and
	// /dev/vfio/devices/vfio0, so every ioctl is the kernel's ENOTTY. The
	// recording names each call by its fd's kind, learnt from the open (and
	// the dup): a device's hot reset is not a container's MAP_DMA.
	if (access("/usr/bin/unshare", X_OK) != 0)
		GTEST_SKIP() << "no unshare(1)";
	std::string rec = Temp(".trace");
	std::string script =
	    "mount -t tmpfs none /dev && mkdir -p /dev/vfio/devices && "
	    ": > /dev/vfio/vfio && : > /dev/vfio/devices/vfio0 && "
	    "exec env LD_PRELOAD=\"$1\" SMMUSIM_RECORD=\"$2\" \"$3\" shared";
	Result r = Exec("/usr/bin/unshare", {"-m", "/bin/sh", "-c", script, "sh", PRELOAD_LIB, rec,
					     UAPI_FLOW},
			{});
	std::string t = ReadFile(rec);
	unlink(rec.c_str());
	if (r.status != 0 && t.empty())
		GTEST_SKIP() << "no private mount namespace here: " << r.err;
	ASSERT_EQ(r.status, 0) << r.err << t;
	EXPECT_NE(t.find("open \"/dev/vfio/vfio\" -> fd=$f1\n"), std::string::npos) << t;
	EXPECT_NE(t.find("open \"/dev/vfio/devices/vfio0\" -> fd=$f2\n"), std::string::npos) << t;
	EXPECT_NE(t.find("ioctl $f1 VFIO_IOMMU_GET_INFO "), std::string::npos) << t;
	EXPECT_NE(t.find("ioctl $f2 VFIO_DEVICE_GET_PCI_HOT_RESET_INFO "), std::string::npos) << t;
	EXPECT_NE(t.find("ioctl $f2 VFIO_DEVICE_PCI_HOT_RESET "), std::string::npos) << t;
	EXPECT_NE(t.find("ioctl $f1 VFIO_IOMMU_MAP_DMA "), std::string::npos) << t;
	EXPECT_EQ(Count(t, "-> err=ENOTTY"), 4u) << t;
}

TEST(Preload, SmmusimRecordWrapsAProgram)
{
	std::string rec = Temp(".trace");
	Result r = Exec(SMMUSIM_EXE,
	             {"record", "-o", rec, "--serve", "--header", MACHINE_TRACE, "--", UAPI_FLOW,
	              "legacy"},
	             {});
	EXPECT_EQ(r.status, 0) << r.err;
	Result p = Replay(rec);
	EXPECT_EQ(p.status, 0) << p.err;
	unlink(rec.c_str());
	EXPECT_EQ(Exec(SMMUSIM_EXE, {"record", "-o", rec}, {}).status, 1); // no program
}

} // namespace
