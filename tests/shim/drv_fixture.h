// drv_fixture.h - helpers for the arm-smmu-v3 driver-model tests
// (drv_*_test.cc): a ShimRig whose SMMUs are probed by the driver, with
// one-liners for masters, domains, attach and map, each run in its own
// kcall whose record (opcodes, syncs, STE counters) is returned.
#ifndef SHIM_TESTS_DRV_FIXTURE_H
#define SHIM_TESTS_DRV_FIXTURE_H

#include <cstdio>
#include <cstdlib>
#include <functional>

#include "rig.h"

extern "C" {
#include "arm_smmu_v3.h"
}

// What one kernel call did.
struct CallRec {
	int rc = 0;
	std::vector<uint8_t> ops;
	uint32_t syncs = 0, ste_writes = 0, ste_hitless = 0, cd_writes = 0;
	bool ste_breaking = false;
	int cmdq_error = 0;
	uint64_t ns = 0;
	uint32_t Count(uint8_t op) const
	{
		uint32_t n = 0;
		for (auto o : ops)
			n += o == op;
		return n;
	}
	// Longest run of commands between two CMD_SYNCs (or the start).
	uint32_t LongestRunWithoutSync() const
	{
		uint32_t best = 0, run = 0;
		for (auto o : ops) {
			if (o == SMMU_CMD_SYNC)
				run = 0;
			else if (++run > best)
				best = run;
		}
		return best;
	}
};

class DrvRig : public ShimRig
{
      public:
	std::vector<arm_smmu_device *> devs;
	std::vector<arm_smmu_master *> masters;

	~DrvRig()
	{
		for (auto *d : devs)
			arm_smmu_device_remove(d);
		if (getenv("DRV_LOG"))
			for (auto &l : log)
				fprintf(stderr, "%s\n", l.c_str());
	}

	// Run fn in a fresh kcall and return its record.
	CallRec Run(const std::function<int(kcall *)> &fn)
	{
		Call c(*this);
		CallRec r;
		r.rc = fn(c.get());
		r.ops = c.Ops();
		r.syncs = c.k.syncs;
		r.ste_writes = c.k.ste_writes;
		r.ste_hitless = c.k.ste_hitless;
		r.cd_writes = c.k.cd_writes;
		r.ste_breaking = c.k.ste_breaking;
		r.cmdq_error = c.k.cmdq_error;
		r.ns = c.k.t - c.k.start;
		return r;
	}

	// Add an SMMU with cfg and probe it; nullptr on failure.
	arm_smmu_device *AddProbed(const smmu_config &cfg, int *rc_out = nullptr)
	{
		uint32_t i = Add(cfg);
		arm_smmu_device *d = nullptr;
		CallRec r = Run([&](kcall *k) { return arm_smmu_device_probe(&env, i, k, &d); });
		if (rc_out)
			*rc_out = r.rc;
		if (r.rc == 0)
			devs.push_back(d);
		return r.rc == 0 ? d : nullptr;
	}
	arm_smmu_device *AddProbed() { return AddProbed(DefaultConfig()); }

	arm_smmu_master *Master(arm_smmu_device *d, uint32_t sid, bool ats = false,
	                        bool canwbs = true)
	{
		arm_smmu_master_desc desc{};
		desc.sid = sid;
		desc.ats = ats;
		desc.canwbs = canwbs;
		arm_smmu_master *m = nullptr;
		CallRec r = Run([&](kcall *k) { return arm_smmu_probe_master(d, &desc, k, &m); });
		EXPECT_EQ(r.rc, 0);
		return m;
	}

	arm_smmu_domain *Paging(arm_smmu_master *m, uint32_t flags = 0, int *rc_out = nullptr)
	{
		arm_smmu_domain *dom = nullptr;
		CallRec r =
		    Run([&](kcall *k) { return arm_smmu_domain_alloc_paging(m, flags, k, &dom); });
		if (rc_out)
			*rc_out = r.rc;
		else
			EXPECT_EQ(r.rc, 0);
		return dom;
	}

	CallRec Attach(arm_smmu_domain *dom, arm_smmu_master *m)
	{
		return Run([&](kcall *k) { return arm_smmu_attach_dev(dom, m, k); });
	}

	// iommu_pgsize(): the largest page of the domain that fits the
	// alignment of iova and pa and the size, and how many of them before a
	// larger page could start (what the iommu core does for iommu_map).
	static uint64_t PickPgsize(uint64_t bitmap, uint64_t iova, uint64_t pa, uint64_t size,
	                           uint64_t *count)
	{
		uint64_t merge = iova | pa;
		uint64_t sizes = bitmap & ((size << 1) - 1);
		if (merge)
			sizes &= (merge & (0 - merge)) | ((merge & (0 - merge)) - 1);
		if (!sizes)
			return *count = 0;
		unsigned idx = 63 - __builtin_clzll(sizes);
		uint64_t pg = 1ull << idx;
		uint64_t bigger = bitmap & ~((pg << 1) - 1);
		if (bigger) {
			uint64_t next = bigger & (0 - bigger);
			if (!((iova ^ pa) & (next - 1))) {
				uint64_t off = next - (merge & (next - 1));
				if (off + next <= size)
					size = off;
			}
		}
		*count = size >> idx;
		return pg;
	}

	// iommu_map: split [iova, iova+size) into the largest pages.
	CallRec Map(arm_smmu_domain *dom, uint64_t iova, uint64_t pa, uint64_t size,
	            int prot = ARM_SMMU_PROT_READ | ARM_SMMU_PROT_WRITE)
	{
		return Run([&](kcall *k) {
			uint64_t left = size, a = iova, p = pa;
			uint64_t bitmap = arm_smmu_domain_pgsize_bitmap(dom);
			while (left) {
				uint64_t n = 0, mapped = 0;
				uint64_t pg = PickPgsize(bitmap, a, p, left, &n);
				if (!pg)
					return -EINVAL;
				int rc = arm_smmu_map_pages(dom, a, p, pg, n, prot, k, &mapped);
				if (rc)
					return rc;
				EXPECT_EQ(mapped, pg * n);
				a += mapped;
				p += mapped;
				left -= mapped;
			}
			return 0;
		});
	}

	// iommu_unmap in strict mode: pages chosen by iommu_pgsize, one gather,
	// then iotlb_sync.
	CallRec Unmap(arm_smmu_domain *dom, uint64_t iova, uint64_t size, bool sync = true,
	              uint64_t *unmapped = nullptr)
	{
		return Run([&](kcall *k) {
			arm_smmu_gather g;
			arm_smmu_gather_init(&g);
			uint64_t done = 0, bitmap = arm_smmu_domain_pgsize_bitmap(dom);
			while (done < size) {
				uint64_t n = 0;
				uint64_t pg =
				    PickPgsize(bitmap, iova + done, iova + done, size - done, &n);
				uint64_t r =
				    pg ? arm_smmu_unmap_pages(dom, iova + done, pg, n, &g, k) : 0;
				if (!r)
					break;
				done += r;
			}
			if (unmapped)
				*unmapped = done;
			if (sync)
				arm_smmu_iotlb_sync(dom, &g, k);
			return 0;
		});
	}

	void Free(arm_smmu_domain *dom)
	{
		Run([&](kcall *k) {
			arm_smmu_domain_free(dom, k);
			return 0;
		});
	}
};

#endif
