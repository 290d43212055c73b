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
#include <map>
#include <string>
#include <vector>

#include "smmu/build_cmd.h"
#include "smmu/build_pt.h"
#include "smmu/build_ste.h"
#include "smmu/smmu_regs.h"
#include "ioctl_prog.h"
#include "shim/shim.h"
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


// ---- process programs for fuzz_ioctl (ioctl_prog.h) ----

// Builds a program and mirrors the target's pools so that seeds can name
// the fd, ID or VA they mean by a label.
struct IoctlSeed {
	std::vector<uint8_t> b;
	std::vector<std::string> fds[2], ids, vas[2];

	template <typename T> void put(T v)
	{
		const uint8_t *p = reinterpret_cast<const uint8_t *>(&v);
		b.insert(b.end(), p, p + sizeof(v));
	}
	static uint8_t index(const std::vector<std::string> &pool, const std::string &label)
	{
		for (size_t i = 0; i < pool.size(); i++)
			if (pool[i] == label)
				return (uint8_t)i;
		fprintf(stderr, "seedgen: no %s in the pool\n", label.c_str());
		exit(1);
	}
	void open(unsigned proc, unsigned path, const std::string &label)
	{
		b.push_back(ioctlprog::kOpOpen);
		b.push_back((uint8_t)proc);
		b.push_back((uint8_t)path);
		fds[proc].push_back(label);
	}
	void close(unsigned proc, const std::string &fd)
	{
		b.push_back(ioctlprog::kOpClose);
		b.push_back((uint8_t)proc);
		b.push_back(index(fds[proc], fd));
	}
	void mmap(unsigned proc, uint8_t pages_m1, const std::string &label)
	{
		b.push_back(ioctlprog::kOpMmap);
		b.push_back((uint8_t)proc);
		b.push_back(pages_m1);
		vas[proc].push_back(label);
	}
	// A field value: "#N" literal, "id:LABEL", "va:LABEL", "fd:LABEL",
	// "sym:N", "ones"; payload fields take "words:w0,w1,...".
	struct V {
		std::string kind;
		uint64_t n = 0;
		std::string label;
		std::vector<uint64_t> words;
	};
	static V Lit(uint64_t n) { return {"lit", n, "", {}}; }
	static V Id(const std::string &l) { return {"id", 0, l, {}}; }
	static V Va(const std::string &l) { return {"va", 0, l, {}}; }
	static V Fd(const std::string &l) { return {"fd", 0, l, {}}; }
	static V Words(std::vector<uint64_t> w) { return {"words", 0, "", w}; }
	void value(unsigned proc, const V &v)
	{
		using namespace ioctlprog;
		if (v.kind == "lit") {
			b.push_back(kSrcU64);
			put<uint64_t>(v.n);
		} else if (v.kind == "id") {
			b.push_back(kSrcId);
			b.push_back(index(ids, v.label));
		} else if (v.kind == "va") {
			b.push_back(kSrcVa);
			b.push_back(index(vas[proc], v.label));
		} else if (v.kind == "fd") {
			b.push_back(kSrcFd);
			b.push_back(index(fds[proc], v.label));
		} else {
			b.push_back(kSrcZero);
		}
	}
	void ioctl(unsigned proc, const std::string &fd, const char *name,
		   std::map<std::string, V> f, uint8_t size_mode = ioctlprog::kSizeFull,
		   const std::string &label = "", bool succeeds = true)
	{
		const shim_uapi_request *rq = shim_uapi_request_by_name(name);
		if (!rq) {
			fprintf(stderr, "seedgen: no request %s\n", name);
			exit(1);
		}
		b.push_back(ioctlprog::kOpIoctl);
		b.push_back((uint8_t)proc);
		b.push_back(index(fds[proc], fd));
		b.push_back((uint8_t)(rq->request & 0xff));
		b.push_back(size_mode);
		if (rq->arg == SHIM_ARG_INT || rq->arg == SHIM_ARG_INT_PTR) {
			value(proc, f.count("arg") ? f["arg"] : V{});
		} else if (rq->arg == SHIM_ARG_STRING) {
			b.push_back((uint8_t)(f.count("arg") ? f["arg"].n : 0));
		} else if (rq->arg == SHIM_ARG_STRUCT) {
			for (uint32_t i = 0; i < rq->nfields; i++) {
				const shim_uapi_field *fl = &rq->fields[i];
				if (fl->flags & SHIM_UF_SIZE)
					continue;
				if (fl->flags & SHIM_UF_UPTR) {
					std::string pn = fl->payload ? fl->payload : fl->name;
					std::vector<uint64_t> w = f.count(pn) ? f[pn].words : std::vector<uint64_t>{};
					b.push_back((uint8_t)w.size());
					for (uint64_t x : w)
						put<uint64_t>(x);
					continue;
				}
				for (unsigned c = 0; c < fl->count; c++)
					value(proc, f.count(fl->name) ? f[fl->name] : V{});
			}
		}
		if (!succeeds)
			return;
		// Mirror the target's pools: output IDs (4 bytes), output fds.
		if (rq->arg == SHIM_ARG_STRUCT)
			for (uint32_t i = 0; i < rq->nfields; i++) {
				const shim_uapi_field *fl = &rq->fields[i];
				if (!(fl->flags & SHIM_UF_OUT) || (fl->flags & SHIM_UF_UPTR))
					continue;
				std::string l = label + "." + fl->name;
				if (strstr(fl->name, "fd"))
					fds[proc].push_back(l);
				else if (fl->width == 4 && ids.size() < 64)
					ids.push_back(l);
			}
		if (rq->request == 0x3b6a)
			fds[proc].push_back(label);
	}
	void dma(unsigned dev, uint64_t addr, bool write)
	{
		b.push_back(ioctlprog::kOpDma);
		b.push_back(0);
		b.push_back((uint8_t)dev);
		put<uint64_t>(addr);
		b.push_back(write);
	}
	void poke(unsigned proc, const std::string &va, uint64_t off, uint64_t v)
	{
		b.push_back(ioctlprog::kOpPoke);
		b.push_back((uint8_t)proc);
		b.push_back(index(vas[proc], va));
		put<uint16_t>((uint16_t)(off / 8));
		put<uint64_t>(v);
	}
	void read(unsigned proc, const std::string &fd, uint16_t len)
	{
		b.push_back(ioctlprog::kOpRead);
		b.push_back((uint8_t)proc);
		b.push_back(index(fds[proc], fd));
		put<uint16_t>(len);
	}
};

using IV = IoctlSeed;

// cdev + iommufd: bind, IOAS, map, attach (auto S1 domain), DMA, unmap.
std::vector<uint8_t> IoctlSeedS1()
{
	IoctlSeed s;
	s.open(0, 2, "dev0");
	s.open(0, 0, "iommufd");
	s.ioctl(0, "dev0", "VFIO_DEVICE_BIND_IOMMUFD", {{"iommufd", IV::Fd("iommufd")}}, 0, "bind");
	s.ioctl(0, "iommufd", "IOMMU_IOAS_ALLOC", {}, 0, "ioas");
	s.mmap(0, 15, "buf");
	s.ioctl(0, "iommufd", "IOMMU_IOAS_MAP",
		{{"ioas_id", IV::Id("ioas.out_ioas_id")}, {"flags", IV::Lit(7)},
		 {"user_va", IV::Va("buf")}, {"length", IV::Lit(0x10000)}, {"iova", IV::Lit(0x100000)}},
		0, "map");
	s.ioctl(0, "dev0", "VFIO_DEVICE_ATTACH_IOMMUFD_PT", {{"pt_id", IV::Id("ioas.out_ioas_id")}},
		0, "attach");
	s.dma(0, 0x101000, false);
	s.ioctl(0, "iommufd", "IOMMU_IOAS_IOVA_RANGES", {{"ioas_id", IV::Id("ioas.out_ioas_id")},
							 {"num_iovas", IV::Lit(4)},
							 {"allowed_iovas", IV::Words({0, 0, 0, 0, 0, 0, 0, 0})}},
		0, "ranges");
	s.ioctl(0, "iommufd", "IOMMU_IOAS_UNMAP",
		{{"ioas_id", IV::Id("ioas.out_ioas_id")}, {"iova", IV::Lit(0x100000)},
		 {"length", IV::Lit(0x10000)}},
		0, "unmap");
	s.dma(0, 0x101000, true);
	s.ioctl(0, "iommufd", "IOMMU_DESTROY", {{"id", IV::Id("ioas.out_ioas_id")}}, 0, "", false);
	s.ioctl(0, "iommufd", "IOMMU_IOAS_ALLOC", {}, ioctlprog::kSizeBelow, "", false);
	s.ioctl(0, "iommufd", "IOMMU_IOAS_ALLOC", {}, ioctlprog::kSizeLargerDirty, "", false);
	s.close(0, "dev0");
	s.close(0, "iommufd");
	return s.b;
}

// The nested flow: NEST_PARENT, vIOMMU, vDEVICE, vEVENTQ, a guest CD and
// tables poked into guest RAM, nested HWPT, attach, DMA, fault, read,
// forwarded invalidation.
std::vector<uint8_t> IoctlSeedNested()
{
	IoctlSeed s;
	s.open(0, 2, "dev0");
	s.open(0, 0, "iommufd");
	s.ioctl(0, "dev0", "VFIO_DEVICE_BIND_IOMMUFD", {{"iommufd", IV::Fd("iommufd")}}, 0, "bind");
	s.ioctl(0, "iommufd", "IOMMU_IOAS_ALLOC", {}, 0, "ioas");
	s.mmap(0, 0x80, "ram"); // 2 MiB of guest RAM
	s.ioctl(0, "iommufd", "IOMMU_IOAS_MAP",
		{{"ioas_id", IV::Id("ioas.out_ioas_id")}, {"flags", IV::Lit(7)},
		 {"user_va", IV::Va("ram")}, {"length", IV::Lit(0x200000)}, {"iova", IV::Lit(0x40000000)}},
		0, "map");
	s.ioctl(0, "iommufd", "IOMMU_HWPT_ALLOC",
		{{"flags", IV::Lit(1)}, {"dev_id", IV::Id("bind.out_devid")},
		 {"pt_id", IV::Id("ioas.out_ioas_id")}},
		0, "s2");
	s.ioctl(0, "iommufd", "IOMMU_VIOMMU_ALLOC",
		{{"type", IV::Lit(1)}, {"dev_id", IV::Id("bind.out_devid")},
		 {"hwpt_id", IV::Id("s2.out_hwpt_id")}},
		0, "viommu");
	s.ioctl(0, "iommufd", "IOMMU_VDEVICE_ALLOC",
		{{"viommu_id", IV::Id("viommu.out_viommu_id")}, {"dev_id", IV::Id("bind.out_devid")},
		 {"virt_id", IV::Lit(8)}},
		0, "vdev");
	s.ioctl(0, "iommufd", "IOMMU_VEVENTQ_ALLOC",
		{{"viommu_id", IV::Id("viommu.out_viommu_id")}, {"type", IV::Lit(1)},
		 {"veventq_depth", IV::Lit(16)}},
		0, "veq");
	// Guest CD at IPA 0x4000_0000 (ASID 3), tables at +0x1000.., VA 0x8000_0000 -> IPA 0x4010_0000.
	s.poke(0, "ram", 0x0, 0x362055f5903510ull);
	s.poke(0, "ram", 0x8, 0x40001000);
	s.poke(0, "ram", 0x18, 0xf404ff44);
	s.poke(0, "ram", 0x1000, 0x40002003);
	s.poke(0, "ram", 0x2010, 0x40003003);
	s.poke(0, "ram", 0x3000, 0x40004003);
	s.poke(0, "ram", 0x4000, 0x40100f47);
	s.poke(0, "ram", 0x4008, 0x40101f47);
	s.ioctl(0, "iommufd", "IOMMU_HWPT_ALLOC",
		{{"dev_id", IV::Id("bind.out_devid")}, {"pt_id", IV::Id("viommu.out_viommu_id")},
		 {"data_type", IV::Lit(2)}, {"data_len", IV::Lit(16)},
		 {"data", IV::Words({0x4000000b, 0xd4})}},
		0, "nested");
	s.ioctl(0, "dev0", "VFIO_DEVICE_ATTACH_IOMMUFD_PT", {{"pt_id", IV::Id("nested.out_hwpt_id")}},
		0, "attach");
	s.dma(0, 0x80001000, false);
	s.dma(0, 0x80005000, false);
	s.read(0, "veq.out_veventq_fd", 512);
	s.ioctl(0, "iommufd", "IOMMU_HWPT_INVALIDATE",
		{{"hwpt_id", IV::Id("viommu.out_viommu_id")}, {"data_type", IV::Lit(1)},
		 {"entry_len", IV::Lit(16)}, {"entry_num", IV::Lit(2)},
		 {"data", IV::Words({0x3000000000012ull, 0x80001001, 0x46, 0})}},
		0, "inv", false);
	s.ioctl(0, "dev0", "VFIO_DEVICE_DETACH_IOMMUFD_PT", {}, 0, "detach");
	s.ioctl(0, "iommufd", "IOMMU_DESTROY", {{"id", IV::Id("nested.out_hwpt_id")}}, 0, "", false);
	s.close(0, "iommufd");
	return s.b;
}

// The legacy container: extensions, group, SET_IOMMU, MAP_DMA, device fd.
std::vector<uint8_t> IoctlSeedLegacy()
{
	IoctlSeed s;
	s.open(0, 1, "container");
	s.open(0, 4, "group");
	s.ioctl(0, "container", "VFIO_CHECK_EXTENSION", {{"arg", IV::Lit(3)}});
	s.ioctl(0, "group", "VFIO_GROUP_GET_STATUS", {});
	s.ioctl(0, "group", "VFIO_GROUP_SET_CONTAINER", {{"arg", IV::Fd("container")}});
	s.ioctl(0, "container", "VFIO_SET_IOMMU", {{"arg", IV::Lit(3)}});
	s.mmap(0, 15, "buf");
	s.ioctl(0, "container", "VFIO_IOMMU_MAP_DMA",
		{{"flags", IV::Lit(3)}, {"vaddr", IV::Va("buf")}, {"iova", IV::Lit(0x100000)},
		 {"size", IV::Lit(0x10000)}});
	s.ioctl(0, "group", "VFIO_GROUP_GET_DEVICE_FD", {{"arg", IV::Lit(0)}}, 0, "devfd");
	s.dma(0, 0x102000, false);
	s.ioctl(0, "container", "VFIO_IOMMU_UNMAP_DMA",
		{{"iova", IV::Lit(0x100000)}, {"size", IV::Lit(0x10000)}});
	s.dma(0, 0x102000, false);
	s.close(0, "group");
	s.close(0, "container");
	return s.b;
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
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: seedgen SMMU-DIR [IOCTL-DIR]\n");
		return 1;
	}
	std::string d = argv[1];
	if (argc == 3) {
		std::string i = argv[2];
		if (!Write(i, "s1_map_unmap", IoctlSeedS1()) || !Write(i, "nested", IoctlSeedNested()) ||
		    !Write(i, "legacy", IoctlSeedLegacy())) {
			fprintf(stderr, "seedgen: cannot write under %s\n", i.c_str());
			return 1;
		}
	}
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
