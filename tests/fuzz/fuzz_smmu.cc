// fuzz_smmu.cc - libFuzzer target: SMMU programs (smmu_prog.h) run on one
// model instance whose memory is a sparse image; reads and writes outside
// the image fail, as an external abort would. The model must answer every
// register access, translation and TLBI with a status or an architectural
// result: a crash, a sanitizer report or an assert reached from this input
// is a defect. A few cross-checks on results catch silent corruption.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "smmu/smmu.h"
#include "smmu_prog.h"

using namespace smmuprog;

namespace {

struct Image {
	std::map<uint64_t, std::unique_ptr<uint8_t[]>> pages;

	uint8_t *page(uint64_t pa, bool create)
	{
		if (pa >= kWindow)
			return nullptr;
		auto it = pages.find(pa >> 12);
		if (it != pages.end())
			return it->second.get();
		if (!create)
			return nullptr;
		auto p = std::make_unique<uint8_t[]>(4096);
		memset(p.get(), 0, 4096);
		uint8_t *raw = p.get();
		pages.emplace(pa >> 12, std::move(p));
		return raw;
	}
	// Byte-wise through pages: an access may straddle two.
	bool access(uint64_t pa, void *buf, uint32_t len, bool write, bool create)
	{
		auto *b = static_cast<uint8_t *>(buf);
		while (len) {
			if (pa >= kWindow)
				return false;
			uint8_t *p = page(pa, create);
			if (!p)
				return false;
			uint32_t off = pa & 4095, n = 4096 - off;
			if (n > len)
				n = len;
			if (write)
				memcpy(p + off, b, n);
			else
				memcpy(b, p + off, n);
			pa += n;
			b += n;
			len -= n;
		}
		return true;
	}
};

int mem_read(void *h, uint64_t pa, void *buf, uint32_t len)
{
	return static_cast<Image *>(h)->access(pa, buf, len, false, false) ? 0 : 1;
}
int mem_write(void *h, uint64_t pa, const void *buf, uint32_t len)
{
	return static_cast<Image *>(h)->access(pa, const_cast<void *>(buf), len, true, false) ? 0
											       : 1;
}

struct Input {
	const uint8_t *p;
	size_t n;
	bool take(void *out, size_t k)
	{
		if (n < k)
			return false;
		memcpy(out, p, k);
		p += k;
		n -= k;
		return true;
	}
	template <typename T> bool get(T &v) { return take(&v, sizeof(v)); }
};

// FUZZ_SMMU_VERBOSE=1: print every translation (to check what seeds reach).
bool verbose()
{
	static const bool v = getenv("FUZZ_SMMU_VERBOSE") != nullptr;
	return v;
}

void defect(const char *what)
{
	fprintf(stderr, "fuzz_smmu: defect: %s\n", what);
	abort();
}

bool apply_config(uint32_t w, smmu_config *c)
{
	smmu_config_default(c);
	smmu_cache_config *caches[] = {&c->utlb, &c->mtlb, &c->tbu_cfgc, &c->cfgc, &c->tlb, &c->wc};
	for (int i = 0; i < 6; i++) {
		if (w & (1u << i)) {
			caches[i]->enable = false;
			caches[i]->entries = 0;
		} else if (w & (1u << 6)) {
			caches[i]->entries = 1;
			caches[i]->ways = 1;
		}
	}
	if (w & (1u << 7)) c->ril = false;
	if (w & (1u << 8)) c->btm = true;
	if (w & (1u << 9)) c->s2p = false;
	if (w & (1u << 10)) c->s1p = false;
	if (w & (1u << 11)) c->st_level2 = false;
	if (w & (1u << 12)) c->cd2l = false;
	if (w & (1u << 13)) c->ats = false;
	if (w & (1u << 14)) c->hyp = false;
	if (w & (1u << 15)) c->msi = false;
	if (w & (1u << 16)) c->coherent = false;
	if (w & (1u << 17)) c->vmid16 = false;
	if (w & (1u << 18)) c->asid16 = false;
	static const uint8_t oas[8] = {48, 32, 36, 40, 42, 44, 52, 48};
	c->oas_bits = oas[(w >> 19) & 7];
	c->num_tbus = 1 + ((w >> 22) & 3);
	if (w & (1u << 24)) c->host_fastpath = false;
	if (w & (1u << 25)) c->gran16k = false;
	if (w & (1u << 26)) c->gran64k = false;
	static const uint8_t sids[4] = {16, 8, 4, 20};
	c->sidsize = sids[(w >> 27) & 3];
	// Keep queues small so that wrap and overflow are reachable.
	c->cmdqs = 8;
	c->eventqs = 6;
	c->priqs = 6;
	return smmu_config_check(c, nullptr, 0) == SMMU_OK;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Input in{data, size};
	uint32_t cw;
	if (!in.get(cw))
		return 0;
	smmu_config cfg;
	if (!apply_config(cw, &cfg))
		return 0;
	Image img;
	smmu_host_ops ops{};
	ops.size = sizeof(ops);
	ops.mem_read = mem_read;
	ops.mem_write = mem_write;
	if (verbose())
		ops.log = [](void *, int level, const char *msg) {
			fprintf(stderr, "smmu log %d: %s\n", level, msg);
		};
	smmu *s = nullptr;
	if (smmu_create(&cfg, &ops, &img, &s) != SMMU_OK)
		defect("smmu_create refused a configuration smmu_config_check accepted");
	uint64_t now = 0;
	for (unsigned steps = 0; in.n && steps < 4096; steps++) {
		uint8_t op;
		in.get(op);
		switch (op % kOpCount) {
		case kOpMem: {
			uint32_t q;
			uint8_t cnt;
			if (!in.get(q) || !in.get(cnt))
				break;
			uint64_t pa = (uint64_t)q * 8 % kWindow;
			for (unsigned i = 0; i <= (cnt & 31u); i++) {
				uint64_t v;
				if (!in.get(v))
					break;
				img.access(pa + 8ull * i, &v, 8, true, true);
			}
			break;
		}
		case kOpW32: {
			uint16_t o;
			uint32_t v;
			if (!in.get(o) || !in.get(v))
				break;
			if (smmu_mmio_write(s, (o * 4u) & 0x1fffc, 4, v, now) != SMMU_OK)
				defect("aligned 32-bit register write refused");
			break;
		}
		case kOpW64: {
			uint16_t o;
			uint64_t v;
			if (!in.get(o) || !in.get(v))
				break;
			if (smmu_mmio_write(s, (o * 8u) & 0x1fff8, 8, v, now) != SMMU_OK)
				defect("aligned 64-bit register write refused");
			break;
		}
		case kOpRead: {
			uint8_t w;
			uint16_t o;
			if (!in.get(w) || !in.get(o))
				break;
			unsigned width = (w & 1) ? 8 : 4;
			uint64_t v = 0;
			if (smmu_mmio_read(s, (o * 4u) & 0x1fffc & ~(uint64_t)(width - 1), width, now,
					   &v) != SMMU_OK)
				defect("aligned register read refused");
			if (width == 4 && (v >> 32))
				defect("32-bit read returned more than 32 bits");
			break;
		}
		case kOpXlate: {
			uint8_t port, fl;
			uint32_t sid, ssid;
			uint64_t addr;
			if (!in.get(port) || !in.get(sid) || !in.get(ssid) || !in.get(addr) || !in.get(fl))
				break;
			smmu_txn t{};
			t.port = port % (cfg.num_tbus + 1); // one past the end is API misuse
			t.sid = sid;
			t.ssv = ssid >> 31;
			t.ssid = ssid & 0xfffff;
			t.addr = addr;
			t.write = fl & 1;
			t.priv = fl & 2;
			t.exec = fl & 4;
			t.len = 1u << ((fl >> 3) % 13);
			smmu_xlate_result r{};
			int rc = smmu_translate(s, &t, now, &r);
			if (t.port >= cfg.num_tbus) {
				if (rc != SMMU_ERR_RANGE)
					defect("translate on a missing port was not refused");
				break;
			}
			if (rc != SMMU_OK)
				defect("translate refused a valid port");
			if (r.done < now)
				defect("translation completed before it started");
			if (r.outcome == SMMU_XLATE_OK && r.hit == SMMU_HIT_NONE)
				defect("a translation succeeded without saying what satisfied it");
			if (r.outcome != SMMU_XLATE_OK && r.hit != SMMU_HIT_NONE)
				defect("a terminated translation reports a hit level");
			if (r.outcome == SMMU_XLATE_OK && cfg.oas_bits < 64 && (r.pa >> cfg.oas_bits) &&
			    r.hit != SMMU_HIT_BYPASS)
				defect("an output address above OAS");
			if (verbose())
				fprintf(stderr, "xlate sid=%#x addr=%#llx -> out=%d pa=%#llx hit=%s ev=%#x\n",
					t.sid, (unsigned long long)t.addr, (int)r.outcome,
					(unsigned long long)r.pa, smmu_hit_name(r.hit), r.event);
			now = r.done;
			break;
		}
		case kOpBtm: {
			uint8_t o;
			uint16_t vmid, asid;
			uint64_t addr;
			if (!in.get(o) || !in.get(vmid) || !in.get(asid) || !in.get(addr))
				break;
			struct smmu_btm_tlbi b{};
			b.op = (smmu_btm_op)(o % 13);
			b.vmid = vmid;
			b.asid = asid;
			b.addr = addr;
			uint32_t removed = ~0u;
			if (smmu_btm_tlbi(s, &b, now, &removed) != SMMU_OK)
				defect("broadcast TLBI refused");
			break;
		}
		case kOpWait: {
			uint16_t c;
			if (!in.get(c))
				break;
			now += 16ull * c;
			break;
		}
		case kOpRawMmio: {
			uint32_t off;
			uint8_t width, wr;
			uint64_t v;
			if (!in.get(off) || !in.get(width) || !in.get(wr) || !in.get(v))
				break;
			int rc = (wr & 1) ? smmu_mmio_write(s, off, width, v, now)
					  : smmu_mmio_read(s, off, width, now, &v);
			bool ok_shape = (width == 4 || width == 8) && off % width == 0 && off < 0x20000;
			if (ok_shape != (rc == SMMU_OK))
				defect("register access accepted/refused against its shape");
			break;
		}
		}
	}
	const smmu_stats *st = smmu_get_stats(s);
	if (st->events_recorded + st->events_dropped > st->xlate * 4 + st->cmds * 4 + 64 &&
	    st->xlate > 0)
		defect("more events than the work could raise");
	smmu_destroy(s);
	return 0;
}
