// provenance_test.cc - provenance of cache entries: the origin cookie set by
// smmu_set_origin() is stored by every insertion and reported by the
// translation an entry serves (smmu_xlate_result.origin, walk_origin,
// entry_*) and by the inv_removed observer when an invalidation removes it.
// None of it changes a translation, a cycle or a statistic.
#include <algorithm>
#include <cstring>
#include <tuple>

#include "rig.h"

namespace
{

constexpr uint32_t kSid = 3;
constexpr uint16_t kAsid = 7;

// An S1-only stream (VMID 0, ASID 7) with 4 KB pages at IOVA 0x100000 +
// i * 4K -> PA 0x50000000 + i * 4K, i < pages, and a 2 MB block at IOVA
// 0x40000000 -> PA 0x80000000.
void MapS1(Rig &r, unsigned pages = 1)
{
	smmu_pt pt = r.NewPt(false, 12, 16);
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, false);
	a.ng = true;
	ASSERT_EQ(smmu_pt_map(&pt, 0x100000, 0x50000000, 0x1000ull * pages, 12, &a), SMMU_PT_OK);
	ASSERT_EQ(smmu_pt_map(&pt, 0x40000000, 0x80000000, 1ull << 21, 21, &a), SMMU_PT_OK);
	uint64_t cd[8], ste[8];
	smmu_build_cd(cd, pt.root, kAsid, 12, 48);
	smmu_build_ste_s1(ste, r.PutCd(cd), 0, 0);
	r.SetSte(kSid, ste);
}

smmu_xlate_result At(Rig &r, uint32_t origin, uint64_t addr, uint32_t port = 0)
{
	smmu_set_origin(r.s, origin);
	return r.X(kSid, addr, false, false, false, false, 0, port);
}

TEST(SmmuProvenance, EntryInsertedUnderSevenAndHitUnderNineReportsSeven)
{
	Rig r;
	r.cfg.num_tbus = 2;
	r.Init();
	MapS1(r);
	auto w = At(r, 7, 0x100018);
	ASSERT_EQ(w.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(w.hit, SMMU_HIT_WALK);
	EXPECT_EQ(w.origin, 7u);
	EXPECT_EQ(w.walk_origin, 7u);

	auto h = At(r, 9, 0x100020);
	ASSERT_EQ(h.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(h.hit, SMMU_HIT_UTLB);
	EXPECT_EQ(h.origin, 7u);
	EXPECT_EQ(h.walk_origin, 7u);
	EXPECT_EQ(h.entry_sid, kSid);
	EXPECT_EQ(h.entry_base, 0x100000u);
	EXPECT_EQ(h.entry_size, 0x1000u);
	EXPECT_EQ(h.entry_out, 0x50000000u);
	EXPECT_EQ(h.pa, 0x50000020u);

	// TBU 1 has neither the context nor the translation: the TCU TLB serves
	// it with the entry the walk under 7 inserted, and TBU 1's copies are
	// inserted under 11.
	auto t = At(r, 11, 0x100030, 1);
	ASSERT_EQ(t.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(t.hit, SMMU_HIT_TLB);
	EXPECT_EQ(t.origin, 7u);
	EXPECT_EQ(t.entry_base, 0x100000u);
	EXPECT_EQ(t.entry_out, 0x50000000u);
	auto u = At(r, 12, 0x100038, 1);
	EXPECT_EQ(u.hit, SMMU_HIT_UTLB);
	EXPECT_EQ(u.origin, 11u);
	EXPECT_EQ(u.walk_origin, 7u);
	// TBU 0's entries are untouched by TBU 1's refill.
	EXPECT_EQ(At(r, 13, 0x100040).origin, 7u);
}

TEST(SmmuProvenance, MicroTlbRefilledFromMainTlbKeepsTheWalksOrigin)
{
	Rig r;
	r.Init();
	MapS1(r, 64);
	// Walk 64 pages under 20: the 32-entry uTLB loses the first ones, the
	// main TLB keeps them.
	for (unsigned i = 0; i < 64; i++)
		ASSERT_EQ(At(r, 20, 0x100000 + 0x1000ull * i).hit,
		          i ? SMMU_HIT_WALK_CACHE : SMMU_HIT_WALK);
	auto m = At(r, 30, 0x100000);
	ASSERT_EQ(m.hit, SMMU_HIT_MTLB);
	EXPECT_EQ(m.origin, 20u);
	EXPECT_EQ(m.walk_origin, 20u);
	auto u = At(r, 31, 0x100008);
	ASSERT_EQ(u.hit, SMMU_HIT_UTLB);
	EXPECT_EQ(u.origin, 30u);      // the uTLB copy entered the uTLB under 30
	EXPECT_EQ(u.walk_origin, 20u); // from the walk under 20
	EXPECT_EQ(u.entry_base, 0x100000u);
}

TEST(SmmuProvenance, WalkAndFaultReportTheCurrentOrigin)
{
	Rig r;
	r.Init();
	MapS1(r, 2);
	EXPECT_EQ(At(r, 0, 0x100000).origin, 0u); // default origin
	auto f = At(r, 5, 0x200000);              // unmapped: translation fault
	ASSERT_EQ(f.outcome, SMMU_XLATE_ABORT);
	EXPECT_EQ(f.hit, SMMU_HIT_NONE);
	EXPECT_EQ(f.origin, 5u);
	EXPECT_EQ(f.walk_origin, 5u);
	EXPECT_EQ(f.entry_base, 0u);
	EXPECT_EQ(f.entry_size, 0u);
	EXPECT_EQ(f.entry_out, 0u);
	// A walk that starts from the walk cache (the tables above the leaf
	// were cached under 0).
	auto w = At(r, 6, 0x101010);
	ASSERT_EQ(w.hit, SMMU_HIT_WALK_CACHE);
	EXPECT_EQ(w.origin, 6u);
	EXPECT_EQ(w.walk_origin, 6u);
	EXPECT_EQ(w.entry_base, 0x101000u);
	EXPECT_EQ(w.entry_size, 0x1000u);
	EXPECT_EQ(w.entry_out, 0x50001000u);
}

TEST(SmmuProvenance, BlockMappingCoversTheBlock)
{
	Rig r;
	r.Init();
	MapS1(r);
	auto w = At(r, 3, 0x40012345);
	ASSERT_EQ(w.outcome, SMMU_XLATE_OK);
	EXPECT_EQ(w.pa, 0x80012345u);
	EXPECT_EQ(w.page_shift, 21u);
	EXPECT_EQ(w.entry_base, 0x40000000u);
	EXPECT_EQ(w.entry_size, 1u << 21);
	EXPECT_EQ(w.entry_out, 0x80000000u);
	auto h = At(r, 4, 0x401FF000);
	EXPECT_EQ(h.hit, SMMU_HIT_UTLB);
	EXPECT_EQ(h.origin, 3u);
	EXPECT_EQ(h.entry_base, 0x40000000u);
	EXPECT_EQ(h.entry_size, 1u << 21);
	EXPECT_EQ(h.entry_out, 0x80000000u);
}

// Removed TLB-type entries of one structure.
std::vector<smmu_removed_entry> Of(const Rig &r, uint8_t structure)
{
	std::vector<smmu_removed_entry> out;
	for (const auto &p : r.removed)
		if (p.first.structure == structure)
			out.push_back(p.first);
	return out;
}

// A bound origin is read at each insertion; smmu_set_origin() unbinds.
TEST(SmmuProvenance, BoundOriginIsReadAtInsertionUntilSetOrigin)
{
	Rig r;
	r.cfg.num_tbus = 2;
	r.Init();
	MapS1(r, 3);
	uint32_t line = 11;
	smmu_bind_origin(r.s, &line);
	auto w = r.X(kSid, 0x100000, false, false, false, false, 0, 0);
	ASSERT_EQ(w.hit, SMMU_HIT_WALK);
	EXPECT_EQ(w.origin, 11u);
	line = 12; // no call: the next insertion reads it
	auto w2 = r.X(kSid, 0x101000, false, false, false, false, 0, 0);
	ASSERT_EQ(w2.hit, SMMU_HIT_WALK_CACHE);
	EXPECT_EQ(w2.origin, 12u);
	EXPECT_EQ(w2.walk_origin, 12u);
	line = 13; // a hit keeps the origin of its insertion
	auto h = r.X(kSid, 0x100008, false, false, false, false, 0, 0);
	ASSERT_EQ(h.hit, SMMU_HIT_UTLB);
	EXPECT_EQ(h.origin, 11u);
	// The other TBU refills its TLBs from the TCU's under the line now.
	auto m = r.X(kSid, 0x101008, false, false, false, false, 0, 1);
	ASSERT_EQ(m.hit, SMMU_HIT_TLB);
	EXPECT_EQ(m.origin, 12u);
	auto m2 = r.X(kSid, 0x101010, false, false, false, false, 0, 1);
	ASSERT_EQ(m2.hit, SMMU_HIT_UTLB);
	EXPECT_EQ(m2.origin, 13u);
	// smmu_set_origin() returns to a value of the model's own.
	smmu_set_origin(r.s, 20);
	line = 99;
	auto w3 = r.X(kSid, 0x102000, false, false, false, false, 0, 0);
	EXPECT_EQ(w3.origin, 20u);
	// NULL unbinds as well (to the last value set).
	smmu_bind_origin(r.s, &line);
	smmu_bind_origin(r.s, nullptr);
	auto w4 = r.X(kSid, 0x40000000, false, false, false, false, 0, 0);
	EXPECT_EQ(w4.origin, 20u);
}

TEST(SmmuProvenance, TlbiListsRemovedEntriesWithTagAndOrigin)
{
	Rig r;
	r.observe_inv = true;
	r.Init();
	MapS1(r);
	r.removed.clear(); // Init's invalidations ran on empty caches
	ASSERT_EQ(At(r, 7, 0x100000).hit, SMMU_HIT_WALK);
	ASSERT_EQ(At(r, 7, 0x40000000).hit, SMMU_HIT_WALK_CACHE);
	smmu_set_origin(r.s, 9);
	r.cmds.clear();
	uint64_t c[2];
	smmu_cmd_tlbi_nh_asid(c, 0, kAsid);
	r.Cmd(c);
	r.Sync();
	ASSERT_EQ(r.cmds.size(), 2u);
	ASSERT_GT(r.cmds[0].removed, 0u);
	// One call per removed entry, all before the command's report.
	EXPECT_EQ(r.removed.size(), r.cmds[0].removed);
	for (uint8_t st : {SMMU_HIT_UTLB, SMMU_HIT_MTLB, SMMU_HIT_TLB}) {
		auto v = Of(r, st);
		ASSERT_EQ(v.size(), 2u) << smmu_hit_name((smmu_hit)st);
		std::sort(v.begin(), v.end(),
		          [](const smmu_removed_entry &a, const smmu_removed_entry &b) {
			          return a.base < b.base;
		          });
		EXPECT_EQ(v[0].world, 0u);
		EXPECT_EQ(v[0].vmid, 0u);
		EXPECT_EQ(v[0].asid, kAsid);
		EXPECT_EQ(v[0].base, 0x100000u);
		EXPECT_EQ(v[0].size, 0x1000u);
		EXPECT_EQ(v[0].out, 0x50000000u);
		EXPECT_EQ(v[0].origin, 7u);
		EXPECT_EQ(v[0].walk_origin, 7u);
		EXPECT_EQ(v[0].sid, kSid);
		EXPECT_FALSE(v[0].broadcast);
		EXPECT_EQ(v[0].level, 3u);
		EXPECT_EQ(v[1].base, 0x40000000u);
		EXPECT_EQ(v[1].size, 1u << 21);
		EXPECT_EQ(v[1].out, 0x80000000u);
		EXPECT_EQ(v[1].level, 2u);
	}
	// The walk cache's table entries of the ASID go too (TLBI_NH_ASID is not
	// leaf-only); their `out` is the next-level table.
	auto wc = Of(r, SMMU_HIT_WALK_CACHE);
	EXPECT_FALSE(wc.empty());
	for (const auto &e : wc) {
		EXPECT_EQ(e.asid, kAsid);
		EXPECT_EQ(e.origin, 7u);
		EXPECT_NE(e.out, 0u);
	}
	EXPECT_EQ(r.removed.size(), 6u + wc.size());
	// Gone, walk-cache entries included: the next access walks in full.
	EXPECT_EQ(At(r, 10, 0x100000).hit, SMMU_HIT_WALK);
}

TEST(SmmuProvenance, NoCallWhenNothingIsRemoved)
{
	Rig r;
	r.observe_inv = true;
	r.Init();
	MapS1(r);
	EXPECT_TRUE(r.removed.empty()); // Init's invalidations found empty caches
	ASSERT_EQ(At(r, 7, 0x100000).outcome, SMMU_XLATE_OK);
	uint64_t c[2];
	smmu_cmd_tlbi_nh_asid(c, 0, kAsid + 1); // another ASID
	r.Cmd(c);
	smmu_cmd_tlbi_nh_all(c, 5); // another VMID
	r.Cmd(c);
	smmu_cmd_cfgi_ste(c, kSid, false); // config caches are not reported
	r.Cmd(c);
	r.Sync();
	EXPECT_TRUE(r.removed.empty());
	EXPECT_EQ(At(r, 8, 0x100000).hit, SMMU_HIT_TLB); // TBU context gone, TLB kept
}

TEST(SmmuProvenance, BroadcastTlbiIsMarkedBroadcast)
{
	Rig r;
	r.cfg.btm = true;
	r.observe_inv = true;
	r.Init();
	NestedSetup n;
	n.Build(r, 12, 7);
	n.MapIpa(0x40000000, 0x70000000, 0x1000);
	smmu_pt s1 = r.NewPt(false, 12, 16);
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, false);
	a.ng = true;
	ASSERT_EQ(smmu_pt_map(&s1, 0x1000, 0x40000000, 0x1000, 12, &a), SMMU_PT_OK);
	uint64_t cd[8], ste[8];
	smmu_build_cd(cd, s1.root, 1, 12, 48);
	n.Ste(ste, r.PutCd(cd));
	r.SetSte(1, ste);
	smmu_set_origin(r.s, 42);
	ASSERT_EQ(r.X(1, 0x1000).outcome, SMMU_XLATE_OK);
	r.removed.clear();
	struct smmu_btm_tlbi b {
	};
	b.op = SMMU_BTM_VAE1IS;
	b.vmid = 7;
	b.asid = 1;
	b.addr = 0x1000;
	uint32_t removed = 0;
	ASSERT_EQ(smmu_btm_tlbi(r.s, &b, r.now, &removed), SMMU_OK);
	ASSERT_EQ(r.removed.size(), removed);
	auto tlb = Of(r, SMMU_HIT_TLB);
	ASSERT_EQ(tlb.size(), 1u);
	EXPECT_TRUE(tlb[0].broadcast);
	EXPECT_EQ(tlb[0].vmid, 7u);
	EXPECT_EQ(tlb[0].asid, 1u);
	EXPECT_EQ(tlb[0].base, 0x1000u);
	EXPECT_EQ(tlb[0].out, 0x70000000u);
	EXPECT_EQ(tlb[0].origin, 42u);
	EXPECT_EQ(Of(r, SMMU_HIT_UTLB).size(), 1u);
	EXPECT_EQ(Of(r, SMMU_HIT_MTLB).size(), 1u);
	EXPECT_EQ(Of(r, SMMU_HIT_UTLB)[0].tbu, 0u);
}

// The same workload with the observer and changing origins, and without
// either: identical translations, cycles and statistics.
struct Trace {
	std::vector<std::tuple<uint64_t, int, uint64_t, uint32_t>> x; // pa, hit, done, cycles
	std::vector<std::pair<uint64_t, uint32_t>> cmds;              // done, removed
	smmu_stats st;
};

Trace RunWorkload(bool provenance)
{
	Trace out;
	Rig r;
	r.observe_inv = provenance;
	r.Init();
	MapS1(r, 48);
	for (int round = 0; round < 3; round++) {
		for (unsigned i = 0; i < 48; i += (round + 1)) {
			if (provenance)
				smmu_set_origin(r.s, 100 * round + i);
			auto x = r.X(kSid, 0x100000 + 0x1000ull * i + 8 * round);
			out.x.emplace_back(x.pa, (int)x.hit, x.done, x.cycles);
			x = r.X(kSid, 0x40000000 + 0x3000ull * i);
			out.x.emplace_back(x.pa, (int)x.hit, x.done, x.cycles);
		}
		uint64_t c[2];
		smmu_cmd_range rg{};
		smmu_cmd_tlbi_nh_va(c, 0, kAsid, 0x100000 + 0x1000ull * round, &rg);
		r.Cmd(c);
		if (round == 1) {
			smmu_cmd_tlbi_nh_asid(c, 0, kAsid);
			r.Cmd(c);
		}
		r.Sync();
	}
	for (const auto &c : r.cmds)
		out.cmds.emplace_back(c.done, c.removed);
	out.st = *smmu_get_stats(r.s);
	return out;
}

TEST(SmmuProvenance, ChangesNoTranslationCycleOrStatistic)
{
	Trace a = RunWorkload(false), b = RunWorkload(true);
	EXPECT_EQ(a.x, b.x);
	EXPECT_EQ(a.cmds, b.cmds);
	EXPECT_EQ(std::memcmp(&a.st, &b.st, sizeof(a.st)), 0);
}

} // namespace
