// smmuv3_bench.cc - host-speed benchmarks of the SMMUv3 model (make bench).
//
// Prints one flat JSON object, metric -> number, on stdout (progress on
// stderr). Every metric is measured in this one run, on one core, against
// baselines measured in the same run (STYLE.md 13): see bench/README.md for
// what each metric measures and how.
//
// The model is driven as a driver drives it: stream table, context
// descriptors, page tables and the command queue in (simulated) memory,
// registers through smmu_mmio_write, transactions through smmu_translate -
// the full model path with its timing and statistics, no shortcut. The
// workload is seeded and deterministic; only the host times vary.
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "qemu_style.h"
#include "smmu/build_cmd.h"
#include "smmu/build_pt.h"
#include "smmu/build_ste.h"
#include "smmu/smmu.h"
#include "smmu/smmu_regs.h"

namespace {

// ---------------------------------------------------------------------------
// Plumbing: errors, clock, RNG, statistics.

[[noreturn]] void Die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "smmuv3_bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

void Note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "smmuv3_bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

inline uint64_t NowNs()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

// splitmix64: the only source of "randomness"; fixed seeds.
struct Rng {
	uint64_t x;
	explicit Rng(uint64_t seed) : x(seed) {}
	uint64_t Next()
	{
		uint64_t z = (x += 0x9E3779B97F4A7C15ull);
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
		return z ^ (z >> 31);
	}
};

// Scales every iteration count (`--scale`, for profiling under valgrind).
double g_scale = 1.0;

// Rounds of every throughput measurement; the best round is reported.
constexpr int kRounds = 31;

// A measured loop: body(n) performs n operations. n is sized so that one
// run takes a few milliseconds on a 2 GHz-class core.
struct Loop {
	uint64_t n;
	std::function<void(uint64_t)> body;
};

// Runs the loops round robin for kRounds rounds (after one untimed warm-up
// round) and returns each loop's best (lowest) nanoseconds per operation.
// Round robin puts the loops that are compared with each other under the
// same host conditions; the best of many short runs discards the runs that
// another process or an interrupt slowed down (the work itself is
// deterministic, so only the host adds time).
std::vector<double> BestNsPerOp(const std::vector<Loop> &loops)
{
	std::vector<double> best(loops.size(), 1e300);
	for (int r = -1; r < kRounds; r++) {
		for (size_t i = 0; i < loops.size(); i++) {
			uint64_t n = std::max<uint64_t>(1, uint64_t(double(loops[i].n) * g_scale));
			uint64_t t0 = NowNs();
			loops[i].body(n);
			uint64_t t1 = NowNs();
			if (r >= 0)
				best[i] = std::min(best[i], double(t1 - t0) / double(n));
		}
	}
	return best;
}

// Defeats dead-code elimination of the baselines' results.
volatile uint64_t g_sink;

// ---------------------------------------------------------------------------
// Simulated physical memory: one flat arena [kBase, kBase + size) with a bump
// allocator of zeroed, size-aligned blocks. Accesses outside it abort.

class Mem {
public:
	static constexpr uint64_t kBase = 0x40000000ull; // 1 GiB

	explicit Mem(uint64_t size) : size_(size), next_(kBase)
	{
		p_ = static_cast<uint8_t *>(calloc(size, 1));
		if (!p_)
			Die("cannot allocate %" PRIu64 " bytes of simulated memory", size);
	}
	~Mem() { free(p_); }
	Mem(const Mem &) = delete;
	Mem &operator=(const Mem &) = delete;

	uint64_t size() const { return size_; }

	uint64_t Alloc(uint64_t size, uint64_t align = 0)
	{
		uint64_t a = 8;
		while (a < size)
			a <<= 1;
		if (align > a)
			a = align;
		uint64_t pa = (next_ + a - 1) & ~(a - 1);
		if (pa + size > kBase + size_)
			Die("simulated memory exhausted");
		next_ = pa + size;
		return pa;
	}
	bool In(uint64_t pa, uint64_t len) const
	{
		return pa >= kBase && pa - kBase <= size_ && len <= size_ - (pa - kBase);
	}
	uint8_t *At(uint64_t pa) { return p_ + (pa - kBase); }
	void W64(uint64_t pa, uint64_t v)
	{
		if (!In(pa, 8))
			Die("write outside simulated memory at 0x%" PRIx64, pa);
		memcpy(At(pa), &v, 8);
	}

	// Table-builder callbacks (ctx = Mem*).
	static int Read64(void *ctx, uint64_t a, uint64_t *v)
	{
		auto *m = static_cast<Mem *>(ctx);
		if (!m->In(a, 8))
			return 1;
		memcpy(v, m->At(a), 8);
		return 0;
	}
	static int Write64(void *ctx, uint64_t a, uint64_t v)
	{
		auto *m = static_cast<Mem *>(ctx);
		if (!m->In(a, 8))
			return 1;
		memcpy(m->At(a), &v, 8);
		return 0;
	}
	static int AllocFn(void *ctx, uint64_t size, uint64_t *a)
	{
		*a = static_cast<Mem *>(ctx)->Alloc(size, size);
		return 0;
	}
	static const smmu_pt_ops *PtOps()
	{
		static const smmu_pt_ops ops = {Read64, Write64, AllocFn};
		return &ops;
	}

private:
	uint8_t *p_;
	uint64_t size_, next_;
};

// ---------------------------------------------------------------------------
// One SMMU programmed like a driver: linear stream table, command and event
// queues, CFGI_ALL + TLBI_NSNH_ALL + TLBI_EL2_ALL + SYNC, then SMMUEN.

class Rig {
public:
	static constexpr unsigned kCmdqLog2 = 8;
	static constexpr unsigned kEvtqLog2 = 8;

	Mem mem;
	smmu *s = nullptr;
	smmu_config cfg;
	uint64_t now = 1000;
	uint64_t strtab = 0, cmdq = 0, evtq = 0;
	std::vector<smmu_cmd_report> reports; // since the last ClearReports()

	// params: name/value pairs for smmu_config_set over the default config.
	Rig(const std::vector<std::pair<const char *, const char *>> &params, uint64_t mem_bytes,
	    unsigned sid_log2)
		: mem(mem_bytes)
	{
		smmu_config_default(&cfg);
		for (const auto &p : params) {
			char err[256];
			if (smmu_config_set(&cfg, p.first, p.second, err, sizeof(err)) != SMMU_OK)
				Die("config %s=%s: %s", p.first, p.second, err);
		}
		smmu_host_ops o{};
		o.size = sizeof(o);
		o.mem_read = MemRead;
		o.mem_write = MemWrite;
		o.cmd_done = OnCmd;
		int rc = smmu_create(&cfg, &o, this, &s);
		if (rc != SMMU_OK)
			Die("smmu_create: %s", smmu_strerror(rc));
		strtab = mem.Alloc(64ull << sid_log2);
		W64(SMMU_REG_STRTAB_BASE, strtab);
		W32(SMMU_REG_STRTAB_BASE_CFG, sid_log2);
		cmdq = mem.Alloc(16ull << kCmdqLog2);
		evtq = mem.Alloc(32ull << kEvtqLog2);
		W64(SMMU_REG_CMDQ_BASE, cmdq | kCmdqLog2);
		W32(SMMU_REG_CMDQ_PROD, 0);
		W32(SMMU_REG_CMDQ_CONS, 0);
		W64(SMMU_REG_EVENTQ_BASE, evtq | kEvtqLog2);
		W32(SMMU_REG_EVENTQ_PROD, 0);
		W32(SMMU_REG_EVENTQ_CONS, 0);
		W32(SMMU_REG_IRQ_CTRL, 0);
		W32(SMMU_REG_CR0, SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN);
		uint64_t c[2];
		smmu_cmd_cfgi_all(c);
		Queue(c);
		smmu_cmd_tlbi_nsnh_all(c);
		Queue(c);
		smmu_cmd_tlbi_el2_all(c);
		Queue(c);
		smmu_cmd_sync(c, 0, 0, 0);
		Queue(c);
		Publish();
		W32(SMMU_REG_CR0, SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN | SMMU_CR0_SMMUEN);
	}
	~Rig() { smmu_destroy(s); }
	Rig(const Rig &) = delete;
	Rig &operator=(const Rig &) = delete;

	void W32(uint64_t off, uint32_t v)
	{
		if (smmu_mmio_write(s, off, 4, v, now) != SMMU_OK)
			Die("mmio write 0x%" PRIx64, off);
	}
	void W64(uint64_t off, uint64_t v)
	{
		if (smmu_mmio_write(s, off, 8, v, now) != SMMU_OK)
			Die("mmio write 0x%" PRIx64, off);
	}

	// Command queue: Queue() writes a command to memory, Publish() makes
	// every queued command visible with one CMDQ_PROD write (the model runs
	// them inside that call).
	void Queue(const uint64_t c[2])
	{
		uint32_t mask = (1u << kCmdqLog2) - 1;
		mem.W64(cmdq + 16ull * (prod_ & mask), c[0]);
		mem.W64(cmdq + 16ull * (prod_ & mask) + 8, c[1]);
		prod_ = (prod_ + 1) & ((2u << kCmdqLog2) - 1);
	}
	void Publish() { W32(SMMU_REG_CMDQ_PROD, prod_); }

	void SetSte(uint32_t sid, const uint64_t ste[8])
	{
		for (int i = 0; i < 8; i++)
			mem.W64(strtab + 64ull * sid + 8 * i, ste[i]);
	}
	uint64_t PutCd(const uint64_t cd[8])
	{
		uint64_t a = mem.Alloc(64);
		for (int i = 0; i < 8; i++)
			mem.W64(a + 8 * i, cd[i]);
		return a;
	}
	smmu_pt NewPt(bool stage2, unsigned tsz, int start_level)
	{
		smmu_pt pt{};
		smmu_pt_cfg c{};
		c.stage2 = stage2;
		c.granule_shift = 12;
		c.tsz = uint8_t(tsz);
		c.start_level = int8_t(start_level);
		int rc = smmu_pt_init(&pt, &c, Mem::PtOps(), &mem);
		if (rc != SMMU_PT_OK)
			Die("smmu_pt_init: %s", smmu_pt_strerror(rc));
		return pt;
	}

	// One transaction on TBU 0 (a read unless `write`); model time moves
	// to its completion.
	smmu_xlate_result X(uint32_t sid, uint64_t addr, bool write = false)
	{
		smmu_txn t{};
		t.sid = sid;
		t.addr = addr;
		t.len = 64;
		t.write = write;
		smmu_xlate_result r;
		if (smmu_translate(s, &t, now, &r) != SMMU_OK)
			Die("smmu_translate");
		now = r.done;
		return r;
	}

	const smmu_stats &Stats() const { return *smmu_get_stats(s); }

private:
	uint32_t prod_ = 0;

	static int MemRead(void *h, uint64_t pa, void *buf, uint32_t len)
	{
		Mem &m = static_cast<Rig *>(h)->mem;
		if (!m.In(pa, len))
			return 1;
		memcpy(buf, m.At(pa), len);
		return 0;
	}
	static int MemWrite(void *h, uint64_t pa, const void *buf, uint32_t len)
	{
		Mem &m = static_cast<Rig *>(h)->mem;
		if (!m.In(pa, len))
			return 1;
		memcpy(m.At(pa), buf, len);
		return 0;
	}
	static void OnCmd(void *h, const smmu_cmd_report *rep)
	{
		static_cast<Rig *>(h)->reports.push_back(*rep);
	}
};

// Stage-1-only stream `sid`: 48-bit VA, 4 KB granule, ASID kAsid, each page
// of `vas` mapped (nG) to a distinct output page.
constexpr uint16_t kAsid = 7;
constexpr uint64_t kOutBase = 0x8000000000ull; // 512 GiB: data pages, never read

void MapS1Stream(Rig &r, uint32_t sid, const std::vector<uint64_t> &vas)
{
	smmu_pt pt = r.NewPt(false, 16, -1);
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, false);
	a.ng = true;
	for (size_t i = 0; i < vas.size(); i++) {
		int rc = smmu_pt_map(&pt, vas[i], kOutBase + (uint64_t(i) << 12), 4096, 12, &a);
		if (rc != SMMU_PT_OK)
			Die("smmu_pt_map: %s", smmu_pt_strerror(rc));
	}
	uint64_t cd[8], ste[8];
	smmu_build_cd(cd, pt.root, kAsid, 12, 48);
	smmu_build_ste_s1(ste, r.PutCd(cd), 0, 0);
	r.SetSte(sid, ste);
}

// `n` distinct page-aligned addresses drawn from [lo, lo + span).
std::vector<uint64_t> RandomPages(Rng &rng, uint64_t lo, uint64_t span, size_t n)
{
	std::vector<uint64_t> out;
	std::vector<uint64_t> seen;
	uint64_t pages = span >> 12;
	while (out.size() < n) {
		uint64_t p = rng.Next() % pages;
		if (std::find(seen.begin(), seen.end(), p) != seen.end())
			continue;
		seen.push_back(p);
		out.push_back(lo + (p << 12));
	}
	return out;
}

// Translates addrs round robin, n times, through the full model; returns
// the sum of the output addresses (so nothing is optimised away).
uint64_t Spin(Rig &r, uint32_t sid, const std::vector<uint64_t> &addrs, uint64_t n)
{
	smmu_txn t{};
	t.sid = sid;
	t.len = 64;
	smmu_xlate_result res;
	uint64_t sum = 0, now = r.now;
	size_t k = 0, m = addrs.size();
	for (uint64_t i = 0; i < n; i++) {
		t.addr = addrs[k];
		if (++k == m)
			k = 0;
		smmu_translate(r.s, &t, now, &res);
		now = res.done;
		sum += res.pa;
	}
	r.now = now;
	return sum;
}

// A loop of translations through `sid` over addrs.
Loop XlateLoop(Rig &r, uint32_t sid, const std::vector<uint64_t> &addrs, uint64_t n)
{
	return Loop{n, [&r, sid, &addrs](uint64_t k) { g_sink = g_sink + Spin(r, sid, addrs, k); }};
}

// Checks, outside the timed loops, that every translation since `before`
// was satisfied by `want`.
void CheckHits(const Rig &r, const smmu_stats &before, smmu_hit want, const char *what)
{
	uint64_t dx = r.Stats().xlate - before.xlate, dh = r.Stats().hit[want] - before.hit[want];
	if (dx != dh)
		Die("%s: %" PRIu64 " of %" PRIu64 " translations were not %s hits", what, dx - dh, dx,
		    smmu_hit_name(want));
}

// Best ns per translation of one path, checked.
// The QEMU-style baseline's ns per lookup, from the hit group (0: not run).
double g_qemu_ns = 0;

double TimeXlate(Rig &r, uint32_t sid, const std::vector<uint64_t> &addrs, uint64_t n,
		 smmu_hit want, const char *what)
{
	smmu_stats before = r.Stats();
	double ns = BestNsPerOp({XlateLoop(r, sid, addrs, n)})[0];
	CheckHits(r, before, want, what);
	return ns;
}

// ---------------------------------------------------------------------------
// The bare hash probe: open addressing, linear probing, key
// {world, vmid, asid, page}. The lower bound for a TLB hit.

struct ProbeSlot {
	uint64_t page;
	uint64_t out;
	uint32_t asid;
	uint16_t vmid;
	uint8_t world;
	uint8_t valid;
};

class ProbeTable {
public:
	static constexpr uint32_t kSlots = 64;

	void Insert(uint8_t world, uint16_t vmid, uint32_t asid, uint64_t page, uint64_t out)
	{
		uint32_t i = Hash(world, vmid, asid, page);
		while (slot_[i].valid)
			i = (i + 1) & (kSlots - 1);
		slot_[i] = ProbeSlot{page, out, asid, vmid, world, 1};
	}
	// Output address of addr, or ~0 on a miss. A real call per lookup, as
	// smmu_translate is: no inlining, and no cloning specialised on the
	// constant key fields the benchmark passes (noipa).
	__attribute__((noipa)) uint64_t Lookup(uint8_t world, uint16_t vmid, uint32_t asid,
					       uint64_t addr) const
	{
		uint64_t page = addr >> 12;
		for (uint32_t i = Hash(world, vmid, asid, page);; i = (i + 1) & (kSlots - 1)) {
			const ProbeSlot &e = slot_[i];
			if (!e.valid)
				return ~0ull;
			if (e.page == page && e.asid == asid && e.vmid == vmid && e.world == world)
				return (e.out << 12) | (addr & 0xFFF);
		}
	}

private:
	ProbeSlot slot_[kSlots] = {};

	static uint32_t Hash(uint8_t world, uint16_t vmid, uint32_t asid, uint64_t page)
	{
		uint64_t x = page ^ (uint64_t(asid) << 44) ^ (uint64_t(vmid) << 28) ^
			     (uint64_t(world) << 62);
		x *= 0x9E3779B97F4A7C15ull;
		return uint32_t(x >> 58) & (kSlots - 1);
	}
};

// ---------------------------------------------------------------------------
// The benchmarks.

std::map<std::string, double> g_out;

void Put(const std::string &k, double v) { g_out[k] = v; }

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint32_t kSidS1 = 1;

// uTLB hits, the bare probe and the QEMU-style IOTLB over the same 16 pages.
void BenchHitPaths()
{
	Rng rng(0x5EED0001);
	std::vector<uint64_t> pages = RandomPages(rng, 0x7f0000000000ull, 1ull << 30, 16);
	std::vector<uint64_t> addrs;
	for (uint64_t p : pages)
		addrs.push_back(p + ((rng.Next() % 64) * 64));

	Rig r({}, 16 * kMiB, 8);
	MapS1Stream(r, kSidS1, pages);
	for (int pass = 0; pass < 2; pass++)
		for (uint64_t a : addrs)
			r.X(kSidS1, a);
	// Cross-check of the baselines' answers against the model's.
	std::vector<uint64_t> want;
	for (uint64_t a : addrs) {
		smmu_xlate_result x = r.X(kSidS1, a);
		if (x.outcome != SMMU_XLATE_OK || x.hit != SMMU_HIT_UTLB)
			Die("uTLB warm-up: 0x%" PRIx64 " gave outcome %d hit %s", a, x.outcome,
			    smmu_hit_name(x.hit));
		want.push_back(x.pa);
	}
	// Bare probe, keyed as the model tags the entries: world NS-EL1 (0),
	// VMID 0 (stage 1 only), ASID kAsid.
	ProbeTable pt;
	for (size_t i = 0; i < pages.size(); i++)
		pt.Insert(0, 0, kAsid, pages[i] >> 12, want[i] >> 12);
	for (size_t i = 0; i < addrs.size(); i++)
		if (pt.Lookup(0, 0, kAsid, addrs[i]) != want[i])
			Die("hash probe disagrees with the model at 0x%" PRIx64, addrs[i]);
	const ProbeTable *ptp = &pt;
	Loop probe_loop{1000000, [&](uint64_t n) {
		uint64_t sum = 0;
		size_t k = 0, m = addrs.size();
		for (uint64_t i = 0; i < n; i++) {
			sum += ptp->Lookup(0, 0, kAsid, addrs[k]);
			if (++k == m)
				k = 0;
		}
		g_sink = g_sink + sum;
	}};

	// QEMU-style IOTLB: leaf entries at level 3 of a 4 KB, 4-level regime.
	qs_iotlb *q = qs_iotlb_new();
	if (!q)
		Die("qs_iotlb_new");
	for (size_t i = 0; i < pages.size(); i++)
		qs_iotlb_insert(q, pages[i], kAsid, 0, 12, 3, want[i]);
	for (size_t i = 0; i < addrs.size(); i++) {
		uint64_t pa = 0;
		if (!qs_iotlb_translate(q, addrs[i], kAsid, 0, 12, 0, &pa) || pa != want[i])
			Die("qemu-style IOTLB disagrees with the model at 0x%" PRIx64, addrs[i]);
	}
	Loop qemu_loop{50000, [&](uint64_t n) {
		uint64_t sum = 0;
		size_t k = 0, m = addrs.size();
		for (uint64_t i = 0; i < n; i++) {
			uint64_t pa = 0;
			qs_iotlb_translate(q, addrs[k], kAsid, 0, 12, 0, &pa);
			sum += pa;
			if (++k == m)
				k = 0;
		}
		g_sink = g_sink + sum;
	}};

	// The three measured round robin: same host conditions for all.
	smmu_stats before = r.Stats();
	std::vector<double> best =
		BestNsPerOp({XlateLoop(r, kSidS1, addrs, 50000), probe_loop, qemu_loop});
	CheckHits(r, before, SMMU_HIT_UTLB, "utlb_hit");
	double utlb = best[0], probe = best[1], qemu = best[2];
	qs_iotlb_free(q);

	Note("utlb hit %.1f ns, hash probe %.2f ns, qemu-style %.1f ns", utlb, probe, qemu);
	Put("smmuv3.utlb_hit.mtps", 1e3 / utlb);
	Put("smmuv3.hash_probe.mtps", 1e3 / probe);
	Put("smmuv3.qemu_style.mtps", 1e3 / qemu);
	Put("smmuv3.utlb_hit.ns", utlb);
	Put("smmuv3.hash_probe.ns", probe);
	Put("smmuv3.qemu_style.ns", qemu);
	Put("smmuv3.utlb_hit.ratio_to_probe", utlb / probe);
	Put("smmuv3.utlb_hit.speedup_vs_qemu_style", qemu / utlb);
	g_qemu_ns = qemu;
}

// Main-TLB hits that miss the uTLB: ~1024 pages resident in the TBU main TLB
// (default 2048 entries, 4 ways), cycled in a fixed order through the
// 32-entry uTLB. Pages are kept only if they settle in the main TLB: after
// warm-up, passes drop every page that did not hit it until a whole pass
// hits; from then on nothing is inserted into the main TLB, so the set is
// stable (and so is any subset of it).
void BenchMtlb()
{
	Rng rng(0x5EED0002);
	const uint64_t window = 0x7f4000000000ull;
	std::vector<uint64_t> cand = RandomPages(rng, window, 16 * kMiB, 1536);
	Rig r({}, 32 * kMiB, 8);
	MapS1Stream(r, kSidS1, cand);
	for (int pass = 0; pass < 3; pass++)
		for (uint64_t a : cand)
			r.X(kSidS1, a);
	std::vector<uint64_t> set = cand;
	int passes = 0;
	for (;; passes++) {
		if (passes == 64)
			Die("mtlb: page set did not settle");
		std::vector<uint64_t> keep;
		for (uint64_t a : set)
			if (r.X(kSidS1, a).hit == SMMU_HIT_MTLB)
				keep.push_back(a);
		if (keep.size() == set.size())
			break;
		set.swap(keep);
	}
	if (set.size() > 1024)
		set.resize(1024);
	if (set.size() < 1024)
		Note("mtlb: only %zu pages settled in the main TLB", set.size());
	double ns = TimeXlate(r, kSidS1, set, 20000, SMMU_HIT_MTLB, "mtlb_hit");
	Note("mtlb hit %.1f ns over %zu pages (%d pruning passes)", ns, set.size(), passes);
	Put("smmuv3.mtlb_hit.mtps", 1e3 / ns);
	Put("smmuv3.mtlb_hit.ns", ns);
	Put("smmuv3.mtlb_hit.pages", double(set.size()));
	// Against the QEMU-style IOTLB lookup of the same run (the hit group).
	if (g_qemu_ns > 0)
		Put("smmuv3.mtlb_hit.speedup_vs_qemu_style", g_qemu_ns / ns);
}

// Every TLB-like structure off: each translation is a full walk.
const std::vector<std::pair<const char *, const char *>> kNoTlbs = {
	{"utlb.enable", "off"}, {"mtlb.enable", "off"}, {"tlb.enable", "off"}, {"wc.enable", "off"}};

// Full 4-level stage-1 walks (4 KB granule, 48-bit VA: levels 0-3, four
// descriptor reads) over 256 random pages of the whole VA space.
void BenchWalk4()
{
	Rng rng(0x5EED0003);
	std::vector<uint64_t> pages = RandomPages(rng, 0, 1ull << 48, 256);
	Rig r(kNoTlbs, 16 * kMiB, 8);
	MapS1Stream(r, kSidS1, pages);
	smmu_xlate_result x = r.X(kSidS1, pages[0]);
	if (x.outcome != SMMU_XLATE_OK || x.hit != SMMU_HIT_WALK)
		Die("walk4: first translation did not walk");
	x = r.X(kSidS1, pages[1]);
	if (x.mem_reads != 4)
		Die("walk4: %u descriptor reads, expected 4", x.mem_reads);
	double ns = TimeXlate(r, kSidS1, pages, 10000, SMMU_HIT_WALK, "walk4");
	Note("walk4 %.1f ns", ns);
	Put("smmuv3.walk4.mtps", 1e3 / ns);
	Put("smmuv3.walk4.ns", ns);
}

// HTTU: DMA writes that each dirty a page (httu=2, CD.HA/HD, leaves
// writable-clean: AP[2]=1 with DBM). Every translation is a full 4-level
// walk followed by the descriptor write that clears AP[2]; between passes
// the host makes each leaf clean again (one 8-byte store per translation,
// inside the timed loop, against ~hundreds of ns of walk).
void BenchHttuWrite()
{
	Rng rng(0x5EED0005);
	std::vector<uint64_t> pages = RandomPages(rng, 0, 1ull << 48, 256);
	std::vector<std::pair<const char *, const char *>> params = kNoTlbs;
	params.push_back({"httu", "2"});
	Rig r(params, 16 * kMiB, 8);
	smmu_pt pt = r.NewPt(false, 16, -1);
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, false);
	a.ng = true;
	a.ap = SMMU_PT_AP_RO;
	a.extra = 1ull << 51; // DBM
	std::vector<uint64_t> leaf(pages.size()), clean(pages.size());
	for (size_t i = 0; i < pages.size(); i++) {
		if (smmu_pt_map(&pt, pages[i], kOutBase + (uint64_t(i) << 12), 4096, 12, &a) !=
		    SMMU_PT_OK)
			Die("httu_write: map");
		if (smmu_pt_lookup(&pt, pages[i], 3, &leaf[i], &clean[i]) != SMMU_PT_OK)
			Die("httu_write: lookup");
	}
	smmu_cd_fields cf;
	smmu_cd_fields_init(&cf);
	cf.ttb0 = pt.root;
	cf.asid = kAsid;
	cf.ha = cf.hd = true;
	uint64_t cd[8], ste[8];
	smmu_build_cd_fields(&cf, cd);
	smmu_build_ste_s1(ste, r.PutCd(cd), 0, 0);
	r.SetSte(kSidS1, ste);
	smmu_xlate_result x = r.X(kSidS1, pages[0], true);
	if (x.outcome != SMMU_XLATE_OK || r.Stats().httu_writes != 1)
		Die("httu_write: the first write did not dirty its page");
	r.mem.W64(leaf[0], clean[0]);
	uint64_t before_w = r.Stats().httu_writes;
	smmu_stats before = r.Stats();
	uint64_t n = 10000;
	double ns = BestNsPerOp({Loop{n, [&](uint64_t k) {
		uint64_t sum = 0;
		size_t m = pages.size(), j = 0;
		for (uint64_t i = 0; i < k; i++) {
			r.mem.W64(leaf[j], clean[j]);
			sum += r.X(kSidS1, pages[j], true).pa;
			if (++j == m)
				j = 0;
		}
		g_sink = g_sink + sum;
	}}})[0];
	CheckHits(r, before, SMMU_HIT_WALK, "httu_write");
	uint64_t dx = r.Stats().xlate - before.xlate, dw = r.Stats().httu_writes - before_w;
	if (dw != dx)
		Die("httu_write: %" PRIu64 " dirty updates for %" PRIu64 " writes", dw, dx);
	Note("httu_write %.1f ns", ns);
	Put("smmuv3.httu_write.mtps", 1e3 / ns);
	Put("smmuv3.httu_write.ns", ns);
}

// Full nested walks: stage 1 48-bit VA and stage 2 48-bit IPA, both 4 KB
// from level 0, so each of the 4 stage-1 table fetches and the final IPA go
// through a 4-level stage-2 walk: 24 descriptor reads. Stage 2 maps the
// simulated memory at IPA == PA (so the stage-1 tables and the CD can be
// built at their PAs) and a data window of IPAs to output pages.
void BenchNested()
{
	Rng rng(0x5EED0004);
	std::vector<uint64_t> pages = RandomPages(rng, 0, 1ull << 48, 256);
	const uint64_t data_ipa = 0x900000000000ull;
	const uint16_t vmid = 3;
	Rig r(kNoTlbs, 64 * kMiB, 8);

	smmu_ste_fields f;
	smmu_ste_fields_init(&f);
	if (!smmu_ste_fields_s2(&f, vmid, 0, 12, 48))
		Die("nested: no stage-2 geometry for a 48-bit IPA");
	int sl = f.s2sl0 == 0 ? 2 : f.s2sl0 == 1 ? 1 : 0;
	if (sl != 0)
		Die("nested: stage 2 does not start at level 0");
	smmu_pt s2 = r.NewPt(true, f.s2t0sz, sl);
	smmu_pt_attr a2;
	smmu_pt_attr_default(&a2, true);
	if (smmu_pt_map(&s2, Mem::kBase, Mem::kBase, r.mem.size(), 12, &a2) != SMMU_PT_OK)
		Die("nested: identity stage-2 map");
	if (smmu_pt_map(&s2, data_ipa, kOutBase, 256 * 4096, 12, &a2) != SMMU_PT_OK)
		Die("nested: data stage-2 map");

	smmu_pt s1 = r.NewPt(false, 16, -1);
	smmu_pt_attr a1;
	smmu_pt_attr_default(&a1, false);
	a1.ng = true;
	for (size_t i = 0; i < pages.size(); i++)
		if (smmu_pt_map(&s1, pages[i], data_ipa + (uint64_t(i) << 12), 4096, 12, &a1) !=
		    SMMU_PT_OK)
			Die("nested: stage-1 map");
	uint64_t cd[8], ste[8];
	smmu_build_cd(cd, s1.root, kAsid, 12, 48);
	smmu_ste_fields_s1(&f, r.PutCd(cd), 0, 0);
	f.s2ttb = s2.root;
	smmu_build_ste(&f, ste);
	r.SetSte(kSidS1, ste);

	smmu_xlate_result x = r.X(kSidS1, pages[0]);
	if (x.outcome != SMMU_XLATE_OK || x.hit != SMMU_HIT_WALK || x.pa != kOutBase)
		Die("nested: first translation: outcome %d hit %s pa 0x%" PRIx64, x.outcome,
		    smmu_hit_name(x.hit), x.pa);
	x = r.X(kSidS1, pages[1]);
	if (x.mem_reads != 24)
		Die("nested: %u descriptor reads, expected 24", x.mem_reads);
	double ns = TimeXlate(r, kSidS1, pages, 5000, SMMU_HIT_WALK, "nested_walk");
	Note("nested walk %.1f ns", ns);
	Put("smmuv3.nested_walk.mtps", 1e3 / ns);
	Put("smmuv3.nested_walk.ns", ns);
}

// ---------------------------------------------------------------------------
// TLBI by VMID against the number of resident entries of other VMIDs.
//
// Two SMMUs with the same configuration: a TCU TLB of 1 Mi entries, 4 ways.
// Each is filled through translations of stage-2-only streams, one VMID per
// stream, each VMID touching the same 1024 pages (one shared stage-2 table:
// IPA 40 bits, 4 KB): 1 other VMID (1 Ki entries) in one SMMU, 2048 other
// VMIDs (2 Mi translations, ~1 Mi resident) in the other. Then, kTlbiReps
// times and alternating between the two: the target VMID's stream
// translates its 1024 pages (untimed), and TLBI_S12_VMALL(target) + CMD_SYNC
// are written to the command queue and published with one CMDQ_PROD write,
// which is what is timed (the model runs the queue inside that call). The
// best repetition of each is reported.

// LRU everywhere, so that which of the target's entries stay resident does
// not depend on the other VMIDs' entries (they are all older): both SMMUs
// then remove the same entries at the same model cost.
const std::vector<std::pair<const char *, const char *>> kTlbiConfig = {
	{"tlb.ways", "4"},	{"tlb.entries", "1M"}, {"tlb.policy", "lru"},
	{"mtlb.policy", "lru"}, {"wc.policy", "lru"},
};
constexpr uint32_t kPagesPerVmid = 1024;
constexpr uint16_t kTargetVmid = 1;
constexpr int kTlbiReps = 41;
constexpr uint64_t kTlbiIpa = 0x40000000ull; // the 4 MiB every VMID maps

class TlbiBench {
public:
	double best_ns = 1e300;    // best host time of the PROD write
	uint64_t model_cycles = 0; // PROD write -> CMD_SYNC completion, model cycles
	uint32_t removed = 0;      // entries the TLBI removed (every structure)
	uint32_t resident = 0;     // TCU TLB entries of other VMIDs before the TLBI

	explicit TlbiBench(uint32_t others) : r_(kTlbiConfig, 64 * kMiB, 12)
	{
		smmu_ste_fields f;
		smmu_ste_fields_init(&f);
		if (!smmu_ste_fields_s2(&f, 0, 0, 12, 40))
			Die("tlbi: no stage-2 geometry");
		int sl = f.s2sl0 == 0 ? 2 : f.s2sl0 == 1 ? 1 : 0;
		smmu_pt pt = r_.NewPt(true, f.s2t0sz, sl);
		smmu_pt_attr a;
		smmu_pt_attr_default(&a, true);
		if (smmu_pt_map(&pt, kTlbiIpa, kOutBase, uint64_t(kPagesPerVmid) << 12, 12, &a) !=
		    SMMU_PT_OK)
			Die("tlbi: stage-2 map");
		// Stream v is VMID v: stream 1 the target, streams 2.. the others.
		for (uint32_t v = 1; v <= others + 1; v++) {
			uint64_t ste[8];
			f.s2vmid = uint16_t(v);
			f.s2ttb = pt.root;
			smmu_build_ste(&f, ste);
			r_.SetSte(v, ste);
		}
		for (uint32_t v = 2; v <= others + 1; v++)
			for (uint32_t p = 0; p < kPagesPerVmid; p++)
				r_.X(v, kTlbiIpa + (uint64_t(p) << 12) + 0x80);
	}

	// One repetition: refill the target's entries, then the timed TLBI.
	void Rep()
	{
		for (uint32_t p = 0; p < kPagesPerVmid; p++) {
			smmu_xlate_result x = r_.X(kTargetVmid, kTlbiIpa + (uint64_t(p) << 12));
			if (x.outcome != SMMU_XLATE_OK || x.vmid != kTargetVmid)
				Die("tlbi: target translation failed");
		}
		smmu_occupancy occ{};
		smmu_get_occupancy(r_.s, 0, &occ);
		uint64_t c[2];
		smmu_cmd_tlbi_s12_vmall(c, kTargetVmid);
		r_.Queue(c);
		smmu_cmd_sync(c, 0, 0, 0);
		r_.Queue(c);
		r_.now = std::max(r_.now, smmu_cmdq_busy_until(r_.s)) + 1;
		r_.reports.clear();
		uint64_t t0 = NowNs();
		r_.Publish();
		uint64_t t1 = NowNs();
		best_ns = std::min(best_ns, double(t1 - t0));
		const auto &rep = r_.reports;
		if (rep.size() != 2 || rep[0].op != SMMU_CMD_TLBI_S12_VMALL ||
		    rep[1].op != SMMU_CMD_SYNC || rep[0].cerror || rep[1].cerror)
			Die("tlbi: unexpected command reports");
		uint64_t cycles = rep[1].done - rep[0].arrive;
		if (reps_++ == 0) {
			model_cycles = cycles;
			removed = rep[0].removed;
			resident = occ.tlb - kPagesPerVmid;
		} else if (cycles != model_cycles || rep[0].removed != removed) {
			Note("tlbi: repetition %d: %" PRIu64 " cycles, %u removed (first: %" PRIu64
			     ", %u)", reps_, cycles, rep[0].removed, model_cycles, removed);
		}
		r_.now = rep[1].done + 1;
	}

private:
	Rig r_;
	int reps_ = 0;
};

void BenchTlbi()
{
	TlbiBench k1(1), m1(2048);
	for (int i = 0; i < kTlbiReps; i++) {
		k1.Rep();
		m1.Rep();
	}
	Note("tlbi with %u other entries: %.1f us, %" PRIu64 " cycles, %u removed", k1.resident,
	     k1.best_ns / 1e3, k1.model_cycles, k1.removed);
	Note("tlbi with %u other entries: %.1f us, %" PRIu64 " cycles, %u removed", m1.resident,
	     m1.best_ns / 1e3, m1.model_cycles, m1.removed);
	Put("smmuv3.tlbi_vmid.scaling", m1.best_ns / k1.best_ns);
	Put("smmuv3.tlbi_vmid.host_us_1k", k1.best_ns / 1e3);
	Put("smmuv3.tlbi_vmid.host_us_1m", m1.best_ns / 1e3);
	Put("smmuv3.tlbi_vmid.model_cycles_1k", double(k1.model_cycles));
	Put("smmuv3.tlbi_vmid.model_cycles_1m", double(m1.model_cycles));
	Put("smmuv3.tlbi_vmid.removed_1k", double(k1.removed));
	Put("smmuv3.tlbi_vmid.removed_1m", double(m1.removed));
	Put("smmuv3.tlbi_vmid.resident_1k", double(k1.resident));
	Put("smmuv3.tlbi_vmid.resident_1m", double(m1.resident));
}

// Stay on the CPU we started on: one core, no migrations.
void PinToOneCpu()
{
	int cpu = sched_getcpu();
	if (cpu < 0)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		Note("could not pin to CPU %d; continuing unpinned", cpu);
}

} // namespace

int main(int argc, char **argv)
{
	// For profiling: `--only NAME[,NAME...]` runs those groups (hit, mtlb,
	// walk4, httu, nested, tlbi; the JSON then holds only their metrics;
	// `hit,mtlb` keeps mtlb_hit.speedup_vs_qemu_style, whose baseline the
	// hit group measures) and `--scale F` multiplies the iteration counts
	// of the throughput loops.
	const char *only = nullptr;
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--only") == 0) {
			only = argv[++i];
		} else if (i + 1 < argc && strcmp(argv[i], "--scale") == 0 &&
			   atof(argv[i + 1]) > 0) {
			g_scale = atof(argv[++i]);
		} else {
			fprintf(stderr, "usage: smmuv3_bench [--only GROUP[,GROUP...]] [--scale F]\n"
					"groups: hit mtlb walk4 httu nested tlbi\n"
					"prints a JSON object of metrics on stdout\n");
			return 2;
		}
	}
	const std::pair<const char *, void (*)()> groups[] = {
		{"hit", BenchHitPaths}, {"mtlb", BenchMtlb},	 {"walk4", BenchWalk4},
		{"httu", BenchHttuWrite},
		{"nested", BenchNested}, {"tlbi", BenchTlbi},
	};
	std::vector<std::string> picked;
	for (const char *p = only; p;) {
		const char *comma = strchr(p, ',');
		picked.emplace_back(p, comma ? size_t(comma - p) : strlen(p));
		p = comma ? comma + 1 : nullptr;
	}
	for (const std::string &name : picked) {
		bool known = false;
		for (const auto &g : groups)
			known = known || name == g.first;
		if (!known) {
			fprintf(stderr, "smmuv3_bench: unknown group %s\n", name.c_str());
			return 2;
		}
	}
	PinToOneCpu();
	uint64_t t0 = NowNs();
	for (const auto &g : groups)
		if (!only || std::find(picked.begin(), picked.end(), g.first) != picked.end())
			g.second();
	Note("done in %.1f s", double(NowNs() - t0) / 1e9);

	printf("{\n");
	size_t i = 0;
	for (const auto &kv : g_out) {
		double v = kv.second;
		// Counts as integers, everything else to 6 significant digits.
		if (v == double(int64_t(v)) && v < 1e15 && v > -1e15)
			printf("  \"%s\": %" PRId64, kv.first.c_str(), int64_t(v));
		else
			printf("  \"%s\": %.6g", kv.first.c_str(), v);
		printf("%s\n", ++i == g_out.size() ? "" : ",");
	}
	printf("}\n");
	return 0;
}
