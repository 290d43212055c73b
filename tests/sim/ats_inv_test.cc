// ats_inv_test.cc - ATS functions in the platform: an ATS device's ATC
// invalidation is a round trip (models/pcie_ats) that the CMD_SYNC after it
// waits for, so an IOAS_UNMAP of a domain with an ATS device takes at least
// link + flush + link longer, its latency breakdown shows the time as
// `atc`, and the time follows ats.link_ns / ats.flush_ns; a device without
// ATS costs no round trip. Labels: sim, ats.
#include <gtest/gtest.h>

#include "json.h"
#include "run_util.h"
#include "sc_gtest_main.h"

using smmusim::json::Value;

namespace
{

std::string Trace(bool ats)
{
	return std::string("smmutrace 1\nsmmu smmu0 ats=on\n") + "device nic0 smmu=smmu0 sid=0x100" +
	       (ats ? " ats=on" : "") +
	       "\n"
	       "open /dev/vfio/devices/vfio0 -> fd=$d0\n"
	       "open /dev/iommu -> fd=$i\n"
	       "ioctl $d0 VFIO_DEVICE_BIND_IOMMUFD iommufd=$i -> out_devid=$dev0\n"
	       "ioctl $i IOMMU_IOAS_ALLOC -> out_ioas_id=$ioas\n"
	       "mmap len=2M -> addr=$buf\n"
	       "ioctl $i IOMMU_IOAS_MAP ioas_id=$ioas flags=FIXED_IOVA|READABLE|WRITEABLE "
	       "user_va=$buf length=2M iova=0x100000 -> ok\n"
	       "ioctl $d0 VFIO_DEVICE_ATTACH_IOMMUFD_PT pt_id=$ioas -> ok\n"
	       "dma nic0 addr=0x100000 len=64 dir=read -> ok\n"
	       "ioctl $i IOMMU_IOAS_UNMAP ioas_id=$ioas iova=0x100000 length=2M -> length=0x200000\n";
}

struct Unmap {
	double total = 0, atc = 0, atc_invs = 0;
};

Unmap Replay(bool ats, const std::vector<std::string> &sets = {})
{
	std::string t = temp_path(".trace"), j = temp_path(".json");
	write_file(t, Trace(ats));
	std::vector<std::string> args = {"replay", t, "--quiet", "--json", j};
	for (const auto &s : sets) {
		args.push_back("--set");
		args.push_back(s);
	}
	RunResult r = run(SMMUSIM_EXE, args);
	EXPECT_EQ(r.status, 0) << r.err;
	Value v;
	smmusim::json::Error e;
	EXPECT_TRUE(smmusim::json::parse(read_file(j), v, e)) << e.what;
	unlink(t.c_str());
	unlink(j.c_str());
	Unmap u;
	if (const Value *k = v.at({"latency", "by_kind", "IOMMU_IOAS_UNMAP"})) {
		u.total = k->at({"total_ns", "max"})->number_or(0);
		u.atc = k->at({"parts_ns", "atc"})->number_or(0);
	}
	if (const Value *c = v.at({"commands", "ATC_INV", "count"}))
		u.atc_invs = c->number_or(0);
	return u;
}

TEST(AtsInvalidation, TheSyncWaitsForTheDevicesRoundTrip)
{
	Unmap plain = Replay(false), ats = Replay(true);
	EXPECT_EQ(plain.atc, 0);
	EXPECT_EQ(plain.atc_invs, 0);
	EXPECT_GE(ats.atc_invs, 2); // the attach's and the unmap's
	// link 500 + flush 1000 + link 500 by default
	EXPECT_GE(ats.atc, 2000);
	EXPECT_GE(ats.total - plain.total, 2000);
}

TEST(AtsInvalidation, TheRoundTripFollowsItsParameters)
{
	Unmap base = Replay(true);
	Unmap slow = Replay(true, {"ats.flush_ns=5000"});
	Unmap far = Replay(true, {"ats.link_ns=2us"});
	EXPECT_NEAR(slow.atc - base.atc, 4000, 50);
	EXPECT_NEAR(far.atc - base.atc, 3000, 50);
	EXPECT_NEAR(slow.total - base.total, 4000, 50);
}

TEST(AtsInvalidation, BadParametersAreUsageErrors)
{
	std::string t = temp_path(".trace");
	write_file(t, Trace(true));
	RunResult r = run(SMMUSIM_EXE, {"replay", t, "--quiet", "--set", "ats.invq_depth=33"});
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find("ats.invq_depth"), std::string::npos) << r.err;
	unlink(t.c_str());
}

} // namespace

namespace
{

// The ATS example: Translation Requests (CA before the attach, the
// translation with its size and R/W after it, R=W=0 for an unmapped
// address), a Translated DMA served by the function's ATC, the unmap's
// ATC_INV removing the entry.
TEST(AtsTranslation, TheExampleRunsAsItsAssertionsSay)
{
	std::string ex = std::string(SIM_EXAMPLES_DIR) + "/ats_kernel.trace";
	std::string j = temp_path(".json");
	RunResult r = run(SMMUSIM_EXE, {"replay", ex, "--quiet", "--json", j});
	EXPECT_EQ(r.status, 0) << r.err;
	Value v;
	smmusim::json::Error e;
	ASSERT_TRUE(smmusim::json::parse(read_file(j), v, e)) << e.what;
	unlink(j.c_str());
	EXPECT_EQ(v.at({"dma", "by_hit", "atc", "count"})->number_or(-1), 1);
	EXPECT_EQ(v.at({"violations_count"})->number_or(-1), 0);
}

// The function's own request time (ats.treq_ns) delays every Translation
// Request: three back to back end 3 x 4900 ns later with 5000 ns than with
// the default 100 ns.
TEST(AtsTranslation, TheFunctionsRequestTimeIsPaidPerRequest)
{
	std::string t = temp_path(".trace");
	write_file(t, "smmutrace 1\nsmmu smmu0 ats=on\ndevice nic0 smmu=smmu0 sid=0x100 ats=on\n"
		      "open /dev/vfio/devices/vfio0 -> fd=$d0\n"
		      "open /dev/iommu -> fd=$i\n"
		      "ioctl $d0 VFIO_DEVICE_BIND_IOMMUFD iommufd=$i -> out_devid=$dev0\n"
		      "ioctl $i IOMMU_IOAS_ALLOC -> out_ioas_id=$ioas\n"
		      "ioctl $d0 VFIO_DEVICE_ATTACH_IOMMUFD_PT pt_id=$ioas -> ok\n"
		      "@1ms ats nic0 translate addr=0x1000 -> status=ok perm=none\n"
		      "ats nic0 translate addr=0x2000 -> status=ok perm=none\n"
		      "ats nic0 translate addr=0x3000 -> status=ok perm=none\n");
	auto sim_ns = [&](const std::vector<std::string> &sets) {
		std::string j = temp_path(".json");
		std::vector<std::string> args = {"replay", t, "--quiet", "--json", j};
		for (const auto &s : sets) {
			args.push_back("--set");
			args.push_back(s);
		}
		RunResult r = run(SMMUSIM_EXE, args);
		EXPECT_EQ(r.status, 0) << r.err;
		Value v;
		smmusim::json::Error e;
		EXPECT_TRUE(smmusim::json::parse(read_file(j), v, e)) << e.what;
		unlink(j.c_str());
		return v.at({"sim_time_ns"})->number_or(0);
	};
	double base = sim_ns({}), slow = sim_ns({"ats.treq_ns=5000"});
	unlink(t.c_str());
	EXPECT_DOUBLE_EQ(slow - base, 3 * 4900.0);
}

TEST(AtsTranslation, AnAtcEntryTheKernelDidNotInvalidateIsStale)
{
	std::string ex = std::string(SIM_EXAMPLES_DIR) + "/ats_kernel.trace";
	std::string j = temp_path(".json");
	RunResult r =
	    run(SMMUSIM_EXE, {"replay", ex, "--quiet", "--json", j, "--set", "debug.bug=skip-tlbi"});
	EXPECT_NE(r.status, 0);
	Value v;
	smmusim::json::Error e;
	ASSERT_TRUE(smmusim::json::parse(read_file(j), v, e)) << e.what;
	unlink(j.c_str());
	const Value *vs = v.at({"violations"});
	ASSERT_TRUE(vs && vs->items.size() == 1) << r.err;
	const Value &viol = vs->items[0];
	EXPECT_EQ(viol.get("kind")->str(), "stale");
	EXPECT_EQ(viol.get("served_by")->str(), "atc");
	EXPECT_EQ(viol.get("inserted_at_line")->number_or(0), 22); // the Translation Request
}

TEST(AtsTranslation, RequestsNeedAnAtsFunctionAndAnAddress)
{
	std::string t = temp_path(".trace");
	write_file(t, "smmutrace 1\ndevice nic0 smmu=smmu0 sid=0x10\n"
	              "ats nic0 translate addr=0x1000 -> status=ur\n");
	RunResult r = run(SMMUSIM_EXE, {"replay", t, "--quiet"});
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find("no ATS capability"), std::string::npos) << r.err;
	// before any kernel call the SMMU is off (SMMUEN=0): UR, with
	// F_BAD_ATS_TREQ offered to the queue
	write_file(t, "smmutrace 1\ndevice nic0 smmu=smmu0 sid=0x10 ats=on\n"
	              "ats nic0 translate addr=0x1000 -> status=ur\n");
	r = run(SMMUSIM_EXE, {"replay", t, "--quiet"});
	EXPECT_EQ(r.status, 0) << r.err;
	unlink(t.c_str());
}

} // namespace

namespace
{

// A hung function (ats.unresponsive): its completions never come, so each
// CMD_SYNC after an ATC_INV stops with CERROR_ATC_INV_SYNC after
// t.atc_inv_timeout; the kernel model repeats the SYNC (7.0: nothing is
// rewound) and the call returns that much later. The function never
// invalidated its ATC, so its next Translated DMA is stale: the oracle says
// so, with the ATC entry as provenance.
TEST(AtsTimeout, TheSyncGivesUpTheKernelRetriesAndTheOracleSeesTheHole)
{
	std::string ex = std::string(SIM_EXAMPLES_DIR) + "/ats_kernel.trace";
	for (uint64_t timeout : {10000000ull, 1000000ull}) {
		std::string j = temp_path(".json");
		RunResult r = run(SMMUSIM_EXE, {"replay", ex, "--quiet", "--json", j, "--set",
		                                "ats.unresponsive=on", "--set",
		                                "t.atc_inv_timeout=" + std::to_string(timeout)});
		EXPECT_NE(r.status, 0); // the last DMA's fault= assertion fails
		EXPECT_NE(r.err.find("CMDQ error"), std::string::npos) << r.err;
		Value v;
		smmusim::json::Error e;
		ASSERT_TRUE(smmusim::json::parse(read_file(j), v, e)) << e.what;
		unlink(j.c_str());
		// the attach's SYNC and the unmap's
		EXPECT_EQ(v.at({"commands", "cerrors"})->number_or(-1), 2);
		double unmap = v.at({"latency", "by_kind", "IOMMU_IOAS_UNMAP", "total_ns", "max"})
		                   ->number_or(0);
		EXPECT_GE(unmap, (double)timeout);
		EXPECT_LT(unmap, (double)timeout + 100000);
		const Value *vs = v.at({"violations"});
		ASSERT_TRUE(vs && vs->items.size() == 1);
		EXPECT_EQ(vs->items[0].get("kind")->str(), "stale");
		EXPECT_EQ(vs->items[0].get("served_by")->str(), "atc");
	}
}

} // namespace
