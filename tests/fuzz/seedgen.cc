// seedgen.cc - writes the seed corpus of fuzz_smmu (SMMU programs in the
// smmu_prog.h encoding) to a directory: each seed programs the SMMU as a
// driver would (stream table, CDs, page tables and queues in the image,
// registers, commands) and then translates, invalidates and faults, so the
// fuzzer starts from inputs that reach deep into the model. Deterministic:
// `seedgen DIR` always writes the same files. Run by hand (scripts/fuzz.sh
// --seeds) when the encoding or the scenarios change; the output is
// committed under tests/fuzz/corpus/smmu.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "smmu/build_cmd.h"
#include "smmu/build_pt.h"
#include "smmu/build_ste.h"
#include "smmu/smmu_regs.h"
#include "smmu_prog.h"

using namespace smmuprog;

namespace {

struct Prog {
	std::vector<uint8_t> b;
	uint64_t heap = 0x100000; // bump allocator for tables inside the window
	uint32_t cmd_prod = 0;
	uint64_t cmdq = 0, evtq = 0, strtab = 0;
	unsigned cmdq_log2 = 6;

	template <typename T> void put(T v)
	{
		const uint8_t *p = reinterpret_cast<const uint8_t *>(&v);
		b.insert(b.end(), p, p + sizeof(v));
	}
	void op(Op o) { b.push_back(o); }
	void mem(uint64_t pa, const uint64_t *v, unsigned n)
	{
		while (n) {
			unsigned k = n > 32 ? 32 : n;
			op(kOpMem);
			put<uint32_t>((uint32_t)(pa / 8));
			put<uint8_t>((uint8_t)(k - 1));
			for (unsigned i = 0; i < k; i++)
				put<uint64_t>(v[i]);
			pa += 8ull * k;
			v += k;
			n -= k;
		}
	}
	void mem64(uint64_t pa, uint64_t v) { mem(pa, &v, 1); }
	uint64_t alloc(uint64_t size, uint64_t align = 4096)
	{
		heap = (heap + align - 1) & ~(align - 1);
		uint64_t a = heap;
		heap += size;
		// Create the pages (zeroed) so that reads of unwritten entries work.
		for (uint64_t p = a; p < a + size; p += 4096)
			mem64(p, 0);
		return a;
	}
	void w32(uint64_t off, uint32_t v)
	{
		op(kOpW32);
		put<uint16_t>((uint16_t)(off / 4));
		put<uint32_t>(v);
	}
	void w64(uint64_t off, uint64_t v)
	{
		op(kOpW64);
		put<uint16_t>((uint16_t)(off / 8));
		put<uint64_t>(v);
	}
	void read(uint64_t off, bool wide = false)
	{
		op(kOpRead);
		put<uint8_t>(wide);
		put<uint16_t>((uint16_t)(off / 4));
	}
	void wait(uint16_t cycles16)
	{
		op(kOpWait);
		put<uint16_t>(cycles16);
	}
	void cmd(const uint64_t c[2])
	{
		uint32_t idx = cmd_prod & ((1u << cmdq_log2) - 1);
		uint64_t v[2] = {c[0], c[1]};
		mem(cmdq + 16ull * idx, v, 2);
		cmd_prod = (cmd_prod + 1) & ((2u << cmdq_log2) - 1);
		w32(SMMU_REG_CMDQ_PROD, cmd_prod);
	}
	void sync()
	{
		uint64_t c[2];
		smmu_cmd_sync(c, 0, 0, 0);
		cmd(c);
		wait(200);
		read(SMMU_REG_CMDQ_CONS);
	}
	void xlate(uint32_t sid, uint64_t addr, uint8_t flags = 3 << 3, uint8_t port = 0,
		   uint32_t ssid = 0)
	{
		op(kOpXlate);
		put<uint8_t>(port);
		put<uint32_t>(sid);
		put<uint32_t>(ssid);
		put<uint64_t>(addr);
		put<uint8_t>(flags);
	}
	void btm(uint8_t o, uint16_t vmid, uint16_t asid, uint64_t addr)
	{
		op(kOpBtm);
		put<uint8_t>(o);
		put<uint16_t>(vmid);
		put<uint16_t>(asid);
		put<uint64_t>(addr);
	}
	// Driver-style bring-up: stream table (linear, 2^8 STEs, or 2-level),
	// queues, CFGI_ALL + TLBI_NSNH_ALL + SYNC, then SMMUEN.
	void init(bool two_level, uint32_t cr2 = SMMU_CR2_PTM | SMMU_CR2_RECINVSID)
	{
		if (!two_level) {
			strtab = alloc(64ull << 8, 64ull << 8);
			w64(SMMU_REG_STRTAB_BASE, strtab);
			w32(SMMU_REG_STRTAB_BASE_CFG, 8);
		} else {
			strtab = alloc(8ull * 4, 64);
			w64(SMMU_REG_STRTAB_BASE, strtab);
			w32(SMMU_REG_STRTAB_BASE_CFG, (1u << 16) | (6u << 6) | 8);
		}
		cmdq = alloc(16ull << cmdq_log2);
		evtq = alloc(32ull << 5);
		w64(SMMU_REG_CMDQ_BASE, cmdq | cmdq_log2);
		w32(SMMU_REG_CMDQ_PROD, 0);
		w32(SMMU_REG_CMDQ_CONS, 0);
		w64(SMMU_REG_EVENTQ_BASE, evtq | 5);
		w32(SMMU_REG_EVENTQ_PROD, 0);
		w32(SMMU_REG_EVENTQ_CONS, 0);
		w32(SMMU_REG_CR2, cr2);
		w32(SMMU_REG_CR0, SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN);
		uint64_t c[2];
		smmu_cmd_cfgi_all(c);
		cmd(c);
		smmu_cmd_tlbi_nsnh_all(c);
		cmd(c);
		sync();
		w32(SMMU_REG_CR0, SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN | SMMU_CR0_SMMUEN);
		read(SMMU_REG_CR0ACK);
	}
	uint64_t ste_addr(uint32_t sid, bool two_level)
	{
		if (!two_level)
			return strtab + 64ull * sid;
		uint64_t l2 = alloc(64ull * 64, 64ull * 64);
		mem64(strtab + 8ull * (sid >> 6), l2 | 7u); // Span = 7: 64 STEs
		return l2 + 64ull * (sid & 63);
	}
	void ste(uint32_t sid, const uint64_t s[8], bool two_level = false)
	{
		mem(ste_addr(sid, two_level), s, 8);
		uint64_t c[2];
		smmu_cmd_cfgi_ste(c, sid, true);
		cmd(c);
		sync();
	}
};

// Page tables built into the program: every descriptor write becomes an
// image write, table allocations come from the program's heap.
struct PtCtx {
	Prog *p;
	std::vector<std::pair<uint64_t, uint64_t>> shadow; // for read64
};
int pt_read(void *ctx, uint64_t a, uint64_t *v)
{
	auto *c = static_cast<PtCtx *>(ctx);
	for (auto it = c->shadow.rbegin(); it != c->shadow.rend(); ++it)
		if (it->first == a) {
			*v = it->second;
			return 0;
		}
	*v = 0;
	return 0;
}
int pt_write(void *ctx, uint64_t a, uint64_t v)
{
	auto *c = static_cast<PtCtx *>(ctx);
	c->shadow.push_back({a, v});
	c->p->mem64(a, v);
	return 0;
}
int pt_alloc(void *ctx, uint64_t size, uint64_t *a)
{
	*a = static_cast<PtCtx *>(ctx)->p->alloc(size, size < 4096 ? 4096 : size);
	return 0;
}
const smmu_pt_ops kPtOps = {pt_read, pt_write, pt_alloc};

smmu_pt NewPt(PtCtx &ctx, bool stage2, unsigned g, unsigned tsz, int start_level = -1)
{
	smmu_pt pt{};
	smmu_pt_cfg c{};
	c.stage2 = stage2;
	c.granule_shift = (uint8_t)g;
	c.tsz = (uint8_t)tsz;
	c.start_level = (int8_t)start_level;
	smmu_pt_init(&pt, &c, &kPtOps, &ctx);
	return pt;
}

void config(Prog &p, uint32_t w) { p.put<uint32_t>(w); }

// Stage 1, 4K: DMA walk, hits, a permission fault, TLBI by VA + SYNC, a
// translation fault, events drained.
std::vector<uint8_t> SeedS1(unsigned g, bool two_level, uint32_t cw)
{
	Prog p;
	config(p, cw);
	p.init(two_level);
	PtCtx ctx{&p, {}};
	smmu_pt pt = NewPt(ctx, false, g, 16);
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, false);
	a.ng = true;
	uint64_t page = 1ull << g;
	smmu_pt_map(&pt, 0x40ull << g, 0x200ull << g, 4 * page, g, &a);
	a.ap = SMMU_PT_AP_RO;
	smmu_pt_map(&pt, 0x80ull << g, 0x300ull << g, page, g, &a);
	uint64_t cd[8], ste[8];
	smmu_build_cd(cd, pt.root, 5, g, 48);
	uint64_t cdpa = p.alloc(64, 64);
	p.mem(cdpa, cd, 8);
	smmu_build_ste_s1(ste, cdpa, 0, 0);
	p.ste(3, ste, two_level);
	for (int i = 0; i < 4; i++)
		p.xlate(3, (0x40ull << g) + i * page + 0x10);
	p.xlate(3, (0x40ull << g) + 0x20, 1 | (2 << 3));
	p.xlate(3, (0x80ull << g), 1 | (3 << 3)); // permission fault
	p.xlate(3, (0x99ull << g));               // translation fault
	uint64_t c[2];
	smmu_cmd_range r{};
	smmu_cmd_tlbi_nh_va(c, 0, 5, 0x40ull << g, &r);
	p.cmd(c);
	p.sync();
	smmu_cmd_tlbi_nh_asid(c, 0, 5);
	p.cmd(c);
	p.sync();
	p.xlate(3, (0x41ull << g) + 8);
	p.read(SMMU_REG_EVENTQ_PROD);
	p.w32(SMMU_REG_EVENTQ_CONS, 2);
	p.read(SMMU_REG_GERROR);
	return p.b;
}

// Stage 2 and nested with a 2-level stream table.
std::vector<uint8_t> SeedNested(uint32_t cw)
{
	Prog p;
	config(p, cw);
	p.init(true);
	PtCtx ctx{&p, {}};
	smmu_ste_fields f;
	smmu_ste_fields_init(&f);
	smmu_ste_fields_s2(&f, 7, 0, 12, 40);
	smmu_pt s2 = NewPt(ctx, true, 12, f.s2t0sz,
			   f.s2sl0 == 0 ? 2 : f.s2sl0 == 1 ? 1 : 0);
	f.s2ttb = s2.root;
	smmu_pt_attr a2;
	smmu_pt_attr_default(&a2, true);
	// Identity-map the heap (tables and CDs at IPA == PA) and a data window.
	smmu_pt_map(&s2, 0, 0, 0x400000, 21, &a2);
	smmu_pt_map(&s2, 0x40000000, 0x1000000, 0x200000, 21, &a2);
	uint64_t ste[8];
	smmu_build_ste(&f, ste);
	p.ste(9, ste, true); // S2-only first
	p.xlate(9, 0x40000010);
	p.xlate(9, 0x40100010, 1 | (3 << 3));
	p.xlate(9, 0x80000000);
	// Nested: stage 1 over that stage 2.
	smmu_pt s1 = NewPt(ctx, false, 12, 16);
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, false);
	a.ng = true;
	smmu_pt_map(&s1, 0x8000000, 0x40000000, 0x8000, 12, &a);
	uint64_t cd[8];
	smmu_build_cd(cd, s1.root, 3, 12, 48);
	uint64_t cdpa = p.alloc(64, 64);
	p.mem(cdpa, cd, 8);
	smmu_ste_fields_s1(&f, cdpa, 0, 0);
	smmu_build_ste(&f, ste);
	p.ste(10, ste, true);
	for (int i = 0; i < 8; i++)
		p.xlate(10, 0x8000000 + 0x1000ull * i + 4);
	uint64_t c[2];
	smmu_cmd_range r{};
	smmu_cmd_tlbi_s2_ipa(c, 7, 0x40000000, &r);
	p.cmd(c);
	smmu_cmd_tlbi_s12_vmall(c, 7);
	p.cmd(c);
	p.sync();
	p.xlate(10, 0x8000004);
	p.xlate(10, 0x9000000);
	return p.b;
}

// Command-queue errors: an illegal opcode, CERROR, GERROR and its ack; then
// an abort and a bypass STE, and GBPA with SMMUEN off.
std::vector<uint8_t> SeedCmdErrors(uint32_t cw)
{
	Prog p;
	config(p, cw);
	p.init(false);
	uint64_t c[2] = {0xff, 0};
	p.cmd(c);
	p.sync();
	p.read(SMMU_REG_GERROR);
	p.read(SMMU_REG_CMDQ_CONS);
	p.w32(SMMU_REG_GERRORN, 1);
	uint64_t ste[8];
	smmu_build_ste_abort(ste);
	p.ste(1, ste);
	smmu_build_ste_bypass(ste);
	p.ste(2, ste);
	p.xlate(1, 0x1000);
	p.xlate(2, 0x2000);
	p.xlate(200, 0x3000); // V=0: C_BAD_STE
	p.xlate(0xffff, 0x4000); // beyond the table
	p.w32(SMMU_REG_CR0, 0);
	p.w32(SMMU_REG_GBPA, 1u << 31 | 1u << 20);
	p.xlate(2, 0x5000);
	return p.b;
}

// BTM on (CR2.PTM=0): broadcast TLBIs by VMID/ASID/VA.
std::vector<uint8_t> SeedBtm(uint32_t cw)
{
	Prog p;
	config(p, cw | (1u << 8));
	p.init(false, SMMU_CR2_RECINVSID);
	PtCtx ctx{&p, {}};
	smmu_pt pt = NewPt(ctx, false, 12, 16);
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, false);
	a.ng = true;
	smmu_pt_map(&pt, 0x10000, 0x700000, 0x4000, 12, &a);
	uint64_t cd[8], ste[8];
	smmu_build_cd(cd, pt.root, 9, 12, 48);
	uint64_t cdpa = p.alloc(64, 64);
	p.mem(cdpa, cd, 8);
	smmu_build_ste_s1(ste, cdpa, 0, 0);
	p.ste(4, ste);
	for (int i = 0; i < 4; i++)
		p.xlate(4, 0x10000 + 0x1000ull * i);
	p.btm(2, 0, 9, 0x10000); // VAE1IS
	p.btm(1, 0, 9, 0);       // ASIDE1IS
	p.btm(0, 0, 0, 0);       // VMALLE1IS
	p.btm(9, 0, 0, 0);       // ALLE1IS
	p.xlate(4, 0x10000);
	return p.b;
}

bool Write(const std::string &dir, const std::string &name, const std::vector<uint8_t> &b)
{
	std::string path = dir + "/" + name;
	FILE *f = fopen(path.c_str(), "wb");
	if (!f)
		return false;
	bool ok = fwrite(b.data(), 1, b.size(), f) == b.size();
	return fclose(f) == 0 && ok;
}

} // namespace

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: seedgen DIR\n");
		return 1;
	}
	std::string d = argv[1];
	bool ok = Write(d, "s1_4k_linear", SeedS1(12, false, 0)) &&
		  Write(d, "s1_16k_2level", SeedS1(14, true, 0)) &&
		  Write(d, "s1_64k_tlb_off", SeedS1(16, false, 1u << 4)) &&
		  Write(d, "s1_4k_all_off", SeedS1(12, false, 0x3f)) &&
		  Write(d, "s1_4k_one_entry_noril", SeedS1(12, true, (1u << 6) | (1u << 7))) &&
		  Write(d, "nested_2level", SeedNested(0)) &&
		  Write(d, "nested_wc_off_2tbu", SeedNested((1u << 5) | (1u << 22))) &&
		  Write(d, "cmd_errors", SeedCmdErrors(0)) &&
		  Write(d, "btm", SeedBtm(0));
	if (!ok) {
		fprintf(stderr, "seedgen: cannot write under %s\n", d.c_str());
		return 1;
	}
	return 0;
}
