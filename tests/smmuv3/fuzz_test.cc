// fuzz_test.cc - a seeded, deterministic fuzz of the model's input surfaces:
// MMIO writes, command-queue contents, stream-table entries, context
// descriptors and page-table words. Whatever a guest programs, the model must
// answer with architected results (events, CERROR, GERROR), never crash or
// trip a sanitizer. Runs under ASan+UBSan in `make test`.
#include <random>

#include "rig.h"

namespace {

class Fuzz {
public:
	explicit Fuzz(uint32_t seed) : rng(seed) {}
	std::mt19937_64 rng;
	uint64_t U() { return rng(); }
	uint64_t Below(uint64_t n) { return n ? rng() % n : 0; }
	// A word with a few random bits flipped.
	uint64_t Mutate(uint64_t w) {
		int n = (int)Below(4);
		for (int i = 0; i < n; i++)
			w ^= 1ull << Below(64);
		return w;
	}
};

TEST(SmmuFuzz, RandomProgrammingNeverBreaksTheModel)
{
	for (uint32_t seed = 1; seed <= 6; seed++) {
		Rig r;
		r.cfg.btm = seed & 1;
		r.Init(6);
		Fuzz f(seed);
		// Legal starting points to mutate.
		smmu_pt s1 = r.NewPt(false, 12, 16);
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, false);
		ASSERT_EQ(smmu_pt_map(&s1, 0, 0x70000000, 0x40000, 12, &a), SMMU_PT_OK);
		uint64_t cd[8];
		smmu_build_cd(cd, s1.root, 1, 12, 48);
		uint64_t cdpa = r.PutCd(cd);
		NestedSetup n;
		n.Build(r, 12, 3);
		n.MapIpa(0x40000000, 0x71000000, 0x40000);
		uint64_t templates[5][8];
		smmu_build_ste_s1(templates[0], cdpa, 0, 0);
		n.Ste(templates[1], cdpa);
		smmu_build_ste_bypass(templates[2]);
		smmu_build_ste_abort(templates[3]);
		smmu_build_ste_s2(templates[4], 4, n.s2.root, 12, 40);
		std::vector<uint64_t> table_words;
		for (uint64_t va = 0; va < 0x40000; va += 0x1000) {
			uint64_t addr, d;
			if (smmu_pt_lookup(&s1, va, 3, &addr, &d) == SMMU_PT_OK)
				table_words.push_back(addr);
		}
		for (int step = 0; step < 20000; step++) {
			switch (f.Below(10)) {
			case 0: { // an STE, mutated
				uint64_t ste[8];
				memcpy(ste, templates[f.Below(5)], sizeof ste);
				for (auto &w : ste)
					if (f.Below(3) == 0)
						w = f.Mutate(w);
				r.SetSte((uint32_t)f.Below(64), ste);
				break;
			}
			case 1: { // the CD, mutated
				uint64_t m[8];
				memcpy(m, cd, sizeof m);
				for (auto &w : m)
					if (f.Below(3) == 0)
						w = f.Mutate(w);
				for (int i = 0; i < 8; i++)
					r.mem.write64(cdpa + 8 * i, m[i]);
				break;
			}
			case 2: { // a page-table word
				uint64_t addr = table_words[f.Below(table_words.size())];
				r.mem.write64(addr, f.Mutate(r.mem.read64(addr)));
				break;
			}
			case 3: { // a random or plausible command
				uint64_t c[2] = {f.U(), f.U()};
				if (f.Below(2)) {
					static const uint8_t ops[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x10,
								      0x11, 0x12, 0x13, 0x20, 0x21, 0x22, 0x23,
								      0x28, 0x2A, 0x30, 0x40, 0x41, 0x44, 0x46};
					c[0] = (c[0] & ~0xFFull) | ops[f.Below(sizeof ops)];
				}
				if (f.Below(4) == 0)
					smmu_cmd_sync(c, (unsigned)f.Below(3), 0, 0);
				r.Cmd(c);
				uint32_t ge = r.R32(SMMU_REG_GERROR);
				if ((ge ^ r.R32(SMMU_REG_GERRORN)) & SMMU_GERROR_CMDQ_ERR) {
					// Replace the offending command with a SYNC and acknowledge.
					uint32_t cons = r.R32(SMMU_REG_CMDQ_CONS) & 0xFF;
					uint64_t s[2];
					smmu_cmd_sync(s, 0, 0, 0);
					r.mem.write64(r.cmdq + 16ull * cons, s[0]);
					r.mem.write64(r.cmdq + 16ull * cons + 8, s[1]);
					r.W32(SMMU_REG_GERRORN, ge);
				}
				break;
			}
			case 4: { // a register write somewhere in page 0/1 (never CR0's enables off)
				static const uint32_t offs[] = {0x28, 0x2C, 0x44, 0x50, 0x64, 0x68, 0x70,
								0x74, 0xB0, 0xB8, 0x100AC, 0x9C, 0x200,
								0xE00, 0x8000};
				uint32_t off = offs[f.Below(sizeof offs / sizeof offs[0])];
				r.W32(off, (uint32_t)f.U());
				break;
			}
			case 5: { // BTM broadcast
				struct smmu_btm_tlbi b{};
				b.op = (smmu_btm_op)f.Below(13);
				b.vmid = (uint16_t)f.Below(8);
				b.asid = (uint16_t)f.Below(4);
				b.addr = f.Below(0x40000);
				uint32_t rm;
				EXPECT_EQ(smmu_btm_tlbi(r.s, &b, r.now, &rm), SMMU_OK);
				break;
			}
			default: { // translations
				bool ssv = f.Below(8) == 0;
				auto x = r.X((uint32_t)f.Below(70), f.Below(4) ? f.Below(0x40000) : f.U(),
					     f.Below(2), f.Below(2), f.Below(4) == 0, ssv,
					     (uint32_t)f.Below(4));
				EXPECT_LE((int)x.outcome, 2);
				if (x.outcome == SMMU_XLATE_OK)
					EXPECT_EQ(x.event, 0);
				break;
			}
			}
			if (step % 500 == 0)
				r.DrainEvents();
		}
		// Still alive and consistent: a clean stream works after CFGI_ALL+TLBI.
		uint64_t ste[8];
		smmu_build_ste_bypass(ste);
		r.SetSte(1, ste);
		uint64_t c[2];
		smmu_cmd_cfgi_all(c);
		r.Cmd(c);
		smmu_cmd_tlbi_nsnh_all(c);
		r.Cmd(c);
		r.Sync();
		uint32_t cr0 = r.R32(SMMU_REG_CR0);
		if (cr0 & SMMU_CR0_SMMUEN) {
			auto x = r.X(1, 0x1234);
			EXPECT_EQ(x.outcome, SMMU_XLATE_OK) << "seed " << seed;
			EXPECT_EQ(x.pa, 0x1234u);
		}
	}
}

} // namespace
