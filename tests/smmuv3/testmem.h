// testmem.h - sparse simulated physical memory for the smmuv3 tests.
//
// TestMem holds 64-bit little-endian words keyed by address (unwritten
// memory reads as zero), hands out zeroed, size-aligned blocks from a bump
// allocator, and can make address ranges abort. It plugs into the C model
// through static callbacks whose ctx is the TestMem*:
//   - TestMem::read_fn matches smmu_ptw_read_fn (ptw.h),
//   - TestMem::pt_ops() is a struct smmu_pt_ops for the table builder.
// The callbacks honour abort ranges and count accesses; the C++ accessors
// (read64/write64/read/write) never abort, so a test can set up and inspect
// memory inside an aborting range.
#ifndef SMMU_TESTS_TESTMEM_H
#define SMMU_TESTS_TESTMEM_H

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <unordered_map>
#include <utility>
#include <vector>

#include "smmu/build_pt.h"

class TestMem {
public:
	// Allocations come from [heap_base, heap_limit).
	explicit TestMem(uint64_t heap_base = 0x10000000ull, uint64_t heap_limit = 1ull << 40)
		: next_(heap_base), limit_(heap_limit) {}

	uint64_t read64(uint64_t pa) const {
		assert((pa & 7) == 0);
		auto it = words_.find(pa);
		return it == words_.end() ? 0 : it->second;
	}
	void write64(uint64_t pa, uint64_t v) {
		assert((pa & 7) == 0);
		if (v)
			words_[pa] = v;
		else
			words_.erase(pa);
	}

	// Byte-granular access (little-endian), for structures that are not
	// whole words (queue entries, MSI payloads).
	void read(uint64_t pa, void *buf, size_t len) const {
		auto *p = static_cast<uint8_t *>(buf);
		for (size_t i = 0; i < len; i++) {
			uint64_t a = pa + i;
			p[i] = static_cast<uint8_t>(read64(a & ~7ull) >> (8 * (a & 7)));
		}
	}
	void write(uint64_t pa, const void *buf, size_t len) {
		auto *p = static_cast<const uint8_t *>(buf);
		for (size_t i = 0; i < len; i++) {
			uint64_t a = pa + i, w = read64(a & ~7ull);
			unsigned sh = 8 * (a & 7);
			w = (w & ~(0xffull << sh)) | (uint64_t(p[i]) << sh);
			write64(a & ~7ull, w);
		}
	}
	uint32_t read32(uint64_t pa) const {
		uint32_t v;
		read(pa, &v, 4);
		return v;
	}
	void write32(uint64_t pa, uint32_t v) { write(pa, &v, 4); }

	// A zeroed block of `size` bytes aligned to max(align, size rounded up
	// to a power of two). Never reused.
	uint64_t alloc(uint64_t size, uint64_t align = 0) {
		uint64_t a = 8;
		while (a < size)
			a <<= 1;
		if (align > a)
			a = align;
		assert((a & (a - 1)) == 0);
		uint64_t pa = (next_ + a - 1) & ~(a - 1);
		assert(pa + size <= limit_ && "TestMem heap exhausted");
		next_ = pa + size;
		for (uint64_t w = pa; w < pa + size; w += 8)
			words_.erase(w);
		return pa;
	}

	// Accesses through the C callbacks to [base, base + size) fail.
	void add_abort(uint64_t base, uint64_t size) { aborts_.emplace_back(base, size); }
	void clear_aborts() { aborts_.clear(); write_aborts_.clear(); }
	bool is_abort(uint64_t pa) const {
		for (const auto &r : aborts_)
			if (pa >= r.first && pa - r.first < r.second)
				return true;
		return false;
	}
	// Writes only (reads succeed): an HTTU update that aborts.
	void add_write_abort(uint64_t base, uint64_t size) { write_aborts_.emplace_back(base, size); }
	bool is_write_abort(uint64_t pa) const {
		for (const auto &r : write_aborts_)
			if (pa >= r.first && pa - r.first < r.second)
				return true;
		return is_abort(pa);
	}

	// Accesses made through the C callbacks.
	uint64_t reads() const { return reads_; }
	uint64_t writes() const { return writes_; }
	void reset_counts() { reads_ = writes_ = 0; }

	// smmu_ptw_read_fn: ctx is a TestMem*.
	static int read_fn(void *ctx, uint64_t pa, uint64_t *val) {
		auto *m = static_cast<TestMem *>(ctx);
		m->reads_++;
		if (m->is_abort(pa))
			return 1;
		*val = m->read64(pa);
		return 0;
	}
	static int write_fn(void *ctx, uint64_t pa, uint64_t val) {
		auto *m = static_cast<TestMem *>(ctx);
		m->writes_++;
		if (m->is_abort(pa))
			return 1;
		m->write64(pa, val);
		return 0;
	}
	static int alloc_fn(void *ctx, uint64_t size, uint64_t *pa) {
		*pa = static_cast<TestMem *>(ctx)->alloc(size);
		return 0;
	}
	// Table-builder callbacks over this memory (ctx = this).
	static const smmu_pt_ops *pt_ops() {
		static const smmu_pt_ops ops = {read_fn, write_fn, alloc_fn};
		return &ops;
	}

private:
	std::unordered_map<uint64_t, uint64_t> words_;
	std::vector<std::pair<uint64_t, uint64_t>> aborts_;
	std::vector<std::pair<uint64_t, uint64_t>> write_aborts_;
	uint64_t next_, limit_;
	uint64_t reads_ = 0, writes_ = 0;
};

#endif
