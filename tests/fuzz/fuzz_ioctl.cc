// fuzz_ioctl.cc - libFuzzer target: process programs (ioctl_prog.h) on the
// emulated kernel (uapi_shim) over two real SMMU models and a sparse DRAM.
// Random requests, struct sizes, field values, IDs, fds and fd states, in
// sequences, with DMA, guest-memory stores and interrupts in between.
//
// What must hold, besides memory safety and no leak (the shim is destroyed
// after every input; LeakSanitizer watches in the libFuzzer build):
//  - every system call answers success or a negative errno that Linux has;
//  - user pointers outside what the host handed out are never dereferenced
//    (copy_{from,to}_user refuse them: the call gets EFAULT);
//  - what the kernel model writes to the SMMU is well formed: no CERROR
//    from a command the kernel built (user-forwarded invalidations may carry
//    guest garbage, which 7.0 passes through, so they are exempt), and no
//    C_BAD_STE while no nested domain (whose STE carries guest fields) was
//    ever allocated.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ioctl_prog.h"
#include "shim/shim.h"
#include "smmu/smmu.h"

using namespace ioctlprog;

namespace {

constexpr uint64_t kDramBase = 0x80000000ull;
constexpr uint64_t kDramSize = 1ull << 30;

bool verbose()
{
	static const bool v = getenv("FUZZ_IOCTL_VERBOSE") != nullptr;
	return v;
}

void defect(const char *what, long detail = 0)
{
	fprintf(stderr, "fuzz_ioctl: defect: %s (%ld)\n", what, detail);
	abort();
}

struct Machine {
	std::map<uint64_t, std::unique_ptr<uint8_t[]>> pages;
	smmu *s[2] = {nullptr, nullptr};
	uint64_t now = 1000;
	std::vector<std::pair<uintptr_t, size_t>> user; // host buffers user pointers may reach
	unsigned bad_ste = 0, cerrors = 0;

	bool access(uint64_t pa, void *buf, uint32_t len, bool write)
	{
		auto *b = static_cast<uint8_t *>(buf);
		if (pa < kDramBase || pa + len > kDramBase + kDramSize || pa + len < pa)
			return false;
		while (len) {
			uint64_t idx = pa >> 12;
			uint32_t off = pa & 4095, n = 4096 - off;
			if (n > len)
				n = len;
			auto it = pages.find(idx);
			if (it == pages.end()) {
				if (!write) {
					memset(b, 0, n);
					goto next;
				}
				auto p = std::make_unique<uint8_t[]>(4096);
				memset(p.get(), 0, 4096);
				it = pages.emplace(idx, std::move(p)).first;
			}
			if (write)
				memcpy(it->second.get() + off, b, n);
			else
				memcpy(b, it->second.get() + off, n);
		next:
			pa += n;
			b += n;
			len -= n;
		}
		return true;
	}
	bool user_ok(uint64_t p, size_t len)
	{
		for (auto &u : user)
			if (p >= u.first && len <= u.second && p - u.first <= u.second - len)
				return true;
		return false;
	}

	static int m_read(void *h, uint64_t pa, void *buf, uint32_t len)
	{
		return static_cast<Machine *>(h)->access(pa, buf, len, false) ? 0 : 1;
	}
	static int m_write(void *h, uint64_t pa, const void *buf, uint32_t len)
	{
		return static_cast<Machine *>(h)->access(pa, const_cast<void *>(buf), len, true) ? 0 : 1;
	}
	static void m_event(void *h, const smmu_event *ev, bool, uint64_t)
	{
		if (ev->id == 0x04) // C_BAD_STE
			static_cast<Machine *>(h)->bad_ste++;
	}
	static void m_cmd(void *h, const smmu_cmd_report *r)
	{
		if (r->cerror)
			static_cast<Machine *>(h)->cerrors++;
	}
	static int k_mmio_read(void *h, uint32_t i, uint64_t off, unsigned w, uint64_t now,
			       uint64_t *v)
	{
		auto *m = static_cast<Machine *>(h);
		return i < 2 && smmu_mmio_read(m->s[i], off, w, now, v) == SMMU_OK ? 0 : 1;
	}
	static int k_mmio_write(void *h, uint32_t i, uint64_t off, unsigned w, uint64_t v,
				uint64_t now)
	{
		auto *m = static_cast<Machine *>(h);
		return i < 2 && smmu_mmio_write(m->s[i], off, w, v, now) == SMMU_OK ? 0 : 1;
	}
	static int k_from_user(void *h, uint64_t p, void *buf, size_t len)
	{
		auto *m = static_cast<Machine *>(h);
		if (!m->user_ok(p, len))
			return 1;
		memcpy(buf, reinterpret_cast<const void *>(static_cast<uintptr_t>(p)), len);
		return 0;
	}
	static int k_to_user(void *h, uint64_t p, const void *buf, size_t len)
	{
		auto *m = static_cast<Machine *>(h);
		if (!m->user_ok(p, len))
			return 1;
		memcpy(reinterpret_cast<void *>(static_cast<uintptr_t>(p)), buf, len);
		return 0;
	}
};

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
	template <typename T> T get()
	{
		T v{};
		take(&v, sizeof(v));
		return v;
	}
};

template <typename T> T pick(const std::vector<T> &pool, uint8_t i, T none)
{
	return pool.empty() ? none : pool[i % pool.size()];
}

void check_ret(int64_t rc, const char *what)
{
	// Success, or a negative errno Linux has (1..133).
	if (rc < 0 && (rc < -133 || rc == 0))
		defect(what, (long)rc);
}

void put_le(uint8_t *p, uint64_t v, unsigned w)
{
	for (unsigned i = 0; i < w; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t get_le(const uint8_t *p, unsigned w)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < w; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Machine m;
	smmu_host_ops mo{};
	mo.size = sizeof(mo);
	mo.mem_read = Machine::m_read;
	mo.mem_write = Machine::m_write;
	mo.event = Machine::m_event;
	mo.cmd_done = Machine::m_cmd;
	smmu_config cfg;
	smmu_config_default(&cfg);
	cfg.num_tbus = 2;
	// Small caches and no host memo: the kernel, not the caches, is under
	// test here, and creating two models per input must stay cheap.
	cfg.host_fastpath = false;
	cfg.mtlb.entries = 64;
	cfg.tlb.entries = 64;
	cfg.wc.entries = 64;
	for (int i = 0; i < 2; i++) {
		if (i == 1)
			cfg.ril = false;
		if (smmu_create(&cfg, &mo, &m, &m.s[i]) != SMMU_OK)
			defect("smmu_create");
	}
	shim_host_ops ko{};
	ko.size = sizeof(ko);
	ko.mem_read = Machine::m_read;
	ko.mem_write = Machine::m_write;
	ko.mmio_read = Machine::k_mmio_read;
	ko.mmio_write = Machine::k_mmio_write;
	ko.copy_from_user = Machine::k_from_user;
	ko.copy_to_user = Machine::k_to_user;
	shim_config kc;
	shim_config_default(&kc);
	kc.dram_base = kDramBase;
	kc.dram_size = kDramSize;
	kc.iommufd_max_ids = 64; // reachable ENOSPC
	shim *k = nullptr;
	if (shim_create(&kc, &ko, &m, &k) != SHIM_OK)
		defect("shim_create");
	shim_add_smmu(k);
	shim_add_smmu(k);
	const char *names[2] = {"dev0", "dev1"};
	for (uint32_t d = 0; d < 2; d++) {
		shim_device_desc dd{};
		dd.size = sizeof(dd);
		dd.name = names[d];
		dd.smmu = d;
		dd.sid = 0x10 + d;
		dd.canwbs = true;
		dd.ssid_bits = d ? 0 : 8;
		if (shim_add_device(k, &dd) < 0)
			defect("shim_add_device");
	}
	shim_call call{};
	call.size = sizeof(call);
	if (shim_boot(k, m.now, &call) != SHIM_OK)
		defect("shim_boot");

	std::vector<int> fds[2];
	std::vector<uint64_t> ids, vas[2];
	bool nested_seen = false;
	Input in{data, size};
	std::vector<std::unique_ptr<std::vector<uint8_t>>> keep; // buffers alive for one call

	for (unsigned steps = 0; in.n && steps < 256; steps++) {
		uint8_t op = in.get<uint8_t>() % kOpCount;
		uint8_t pr = in.get<uint8_t>() & 1;
		const char *proc = kProcs[pr];
		call = shim_call{};
		call.size = sizeof(call);
		m.now += 100;
		switch (op) {
		case kOpOpen: {
			const char *path = kPaths[in.get<uint8_t>() % kNumPaths];
			int fd = shim_open(k, proc, path, m.now, &call);
			check_ret(fd, "open");
			if (fd >= 0)
				fds[pr].push_back(fd);
			break;
		}
		case kOpClose: {
			int fd = pick(fds[pr], in.get<uint8_t>(), 3);
			check_ret(shim_close(k, proc, fd, m.now, &call), "close");
			break;
		}
		case kOpMmap:
		case kOpMemfd: {
			uint8_t v = in.get<uint8_t>();
			uint64_t len = (v & 0x80) ? (uint64_t)((v & 3) + 1) << 21 : ((uint64_t)(v & 0x7f) + 1) << 12;
			if (op == kOpMmap) {
				uint64_t va = 0;
				int rc = shim_mmap(k, proc, len, SHIM_PA_ANY, m.now, &va, &call);
				check_ret(rc, "mmap");
				if (rc >= 0)
					vas[pr].push_back(va);
			} else {
				int fd = shim_memfd_create(k, proc, len, m.now, &call);
				check_ret(fd, "memfd");
				if (fd >= 0)
					fds[pr].push_back(fd);
			}
			break;
		}
		case kOpIoctl: {
			int fd = pick(fds[pr], in.get<uint8_t>(), 3);
			uint8_t nr = in.get<uint8_t>();
			unsigned long req = 0x3b00u | nr;
			if (nr == 0xff)
				req = in.get<uint32_t>();
			uint8_t mode = in.get<uint8_t>() % kSizeCount;
			const shim_uapi_request *rq = shim_uapi_request_find(req);
			uint64_t arg = 0;
			auto buf = std::make_unique<std::vector<uint8_t>>();
			std::vector<std::unique_ptr<std::vector<uint8_t>>> payloads;
			std::string str;
			auto value = [&](const shim_uapi_field *f) -> uint64_t {
				switch (in.get<uint8_t>() % kSrcCount) {
				case kSrcId: return pick(ids, in.get<uint8_t>(), (uint64_t)0);
				case kSrcVa: return pick(vas[pr], in.get<uint8_t>(), (uint64_t)0);
				case kSrcU64: return in.get<uint64_t>();
				case kSrcU8: return in.get<uint8_t>();
				case kSrcFd: return (uint64_t)(int64_t)pick(fds[pr], in.get<uint8_t>(), -1);
				case kSrcOnes: return ~0ull;
				case kSrcSym: {
					uint8_t i = in.get<uint8_t>();
					if (!f || !f->syms || !f->syms[0].name)
						return i;
					size_t n = 0;
					while (f->syms[n].name)
						n++;
					return f->syms[i % n].value;
				}
				default: return 0;
				}
			};
			if (!rq || rq->arg == SHIM_ARG_INT) {
				const shim_uapi_field *af = rq ? shim_uapi_field_find(rq, "arg") : nullptr;
				arg = value(af);
			} else if (rq->arg == SHIM_ARG_INT_PTR) {
				buf->assign(8, 0);
				put_le(buf->data(), value(nullptr), 4);
				arg = (uint64_t)(uintptr_t)buf->data();
				m.user.push_back({(uintptr_t)buf->data(), 4});
			} else if (rq->arg == SHIM_ARG_STRING) {
				uint8_t d = in.get<uint8_t>();
				static const char *bdfs[] = {"0000:00:00.0", "0000:00:01.0", "0000:00:02.0", "", "x"};
				str = bdfs[d % 5];
				arg = (uint64_t)(uintptr_t)str.c_str();
				m.user.push_back({(uintptr_t)str.c_str(), str.size() + 1});
			} else if (rq->arg == SHIM_ARG_STRUCT) {
				uint32_t sz = rq->struct_size;
				switch (mode) {
				case kSizeMin: sz = rq->min_size; break;
				case kSizeBelow: sz = rq->min_size ? rq->min_size - 1 : 0; break;
				case kSizeLargerZero:
				case kSizeLargerDirty: sz = rq->struct_size + 8; break;
				default: break;
				}
				buf->assign(rq->struct_size + 8, 0);
				for (uint32_t i = 0; i < rq->nfields && in.n; i++) {
					const shim_uapi_field *f = &rq->fields[i];
					if (f->flags & SHIM_UF_SIZE)
						continue;
					if (f->flags & SHIM_UF_UPTR) {
						uint8_t words = in.get<uint8_t>() % 65;
						if (!words) {
							put_le(buf->data() + f->offset, 0x1000, f->width); // refused
							continue;
						}
						auto pl = std::make_unique<std::vector<uint8_t>>(8u * words, 0);
						for (unsigned w = 0; w < words; w++)
							put_le(pl->data() + 8 * w, in.get<uint64_t>(), 8);
						m.user.push_back({(uintptr_t)pl->data(), pl->size()});
						put_le(buf->data() + f->offset, (uint64_t)(uintptr_t)pl->data(),
						       f->width);
						payloads.push_back(std::move(pl));
						continue;
					}
					for (unsigned c = 0; c < f->count; c++)
						put_le(buf->data() + f->offset + c * f->width, value(f), f->width);
				}
				for (uint32_t i = 0; i < rq->nfields; i++)
					if (rq->fields[i].flags & SHIM_UF_SIZE)
						put_le(buf->data() + rq->fields[i].offset, sz, rq->fields[i].width);
				if (mode == kSizeLargerDirty)
					(*buf)[rq->struct_size + 3] = 0x5a;
				arg = (uint64_t)(uintptr_t)buf->data();
				m.user.push_back({(uintptr_t)buf->data(), std::max<size_t>(sz, 1)});
			}
			int64_t rc = shim_ioctl(k, proc, fd, req, arg, m.now, &call);
			check_ret(rc, "ioctl");
			if (verbose())
				fprintf(stderr, "ioctl %s fd=%d -> %lld cmds=%u cerr=%d\n",
					rq ? rq->name : "?", fd, (long long)rc, call.ncmds, call.cmdq_error);
			if (call.cmdq_error && req != 0x3b8d) // IOMMU_HWPT_INVALIDATE is exempt
				defect("a command the kernel built stopped the queue", (long)req);
			if (rc >= 0 && rq && rq->arg == SHIM_ARG_STRUCT) {
				if (req == 0x3b89 && get_le(buf->data() + 24, 4) != 0)
					nested_seen = true; // HWPT_ALLOC with data: a nested domain
				for (uint32_t i = 0; i < rq->nfields; i++) {
					const shim_uapi_field *f = &rq->fields[i];
					if (!(f->flags & SHIM_UF_OUT) || (f->flags & SHIM_UF_UPTR))
						continue;
					uint64_t v = get_le(buf->data() + f->offset, f->width);
					if (strstr(f->name, "fd"))
						fds[pr].push_back((int)v);
					else if (f->width == 4 && ids.size() < 64)
						ids.push_back(v);
				}
			}
			if (rc > 0 && rq && (req == 0x3b6a)) // VFIO_GROUP_GET_DEVICE_FD
				fds[pr].push_back((int)rc);
			m.user.clear();
			break;
		}
		case kOpRead: {
			int fd = pick(fds[pr], in.get<uint8_t>(), 3);
			uint16_t len = in.get<uint16_t>() % 4096;
			std::vector<uint8_t> rb(len + 1);
			m.user.push_back({(uintptr_t)rb.data(), len});
			check_ret(shim_read(k, proc, fd, (uint64_t)(uintptr_t)rb.data(), len, m.now, &call),
				  "read");
			m.user.clear();
			break;
		}
		case kOpDma: {
			uint32_t d = in.get<uint8_t>() & 1;
			smmu_txn t{};
			t.port = d;
			t.sid = 0x10 + d;
			t.addr = in.get<uint64_t>();
			t.len = 64;
			t.write = in.get<uint8_t>() & 1;
			smmu_xlate_result r{};
			if (smmu_translate(m.s[d], &t, m.now, &r) != SMMU_OK)
				defect("translate");
			m.now = r.done + 1;
			if (r.event_recorded) {
				call = shim_call{};
				call.size = sizeof(call);
				shim_irq(k, d, 0, m.now, &call);
			}
			break;
		}
		case kOpPoke: {
			uint64_t va = pick(vas[pr], in.get<uint8_t>(), (uint64_t)0);
			uint64_t off = (uint64_t)in.get<uint16_t>() * 8, v = in.get<uint64_t>(), pa;
			if (shim_proc_va_to_pa(k, proc, va + off, &pa) == 0)
				m.access(pa, &v, 8, true);
			break;
		}
		case kOpIrq: {
			check_ret(shim_irq(k, in.get<uint8_t>() & 1, 0, m.now, &call), "irq");
			break;
		}
		}
		if (call.end_ns > m.now)
			m.now = call.end_ns;
	}
	if (m.bad_ste && !nested_seen)
		defect("C_BAD_STE from an STE the kernel wrote", m.bad_ste);
	shim_destroy(k);
	smmu_destroy(m.s[0]);
	smmu_destroy(m.s[1]);
	return 0;
}
