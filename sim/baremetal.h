// baremetal.h - writes bare-metal smmutrace text: the records a host that
// programs an SMMU directly would produce (`mem write` for stream tables,
// context descriptors, page tables and commands; `mmio` for the registers).
//
// Used by the benchmarks and the tests to build realistic traces without
// hand-encoding STEs; the encoders are the model library's (build_ste.h,
// build_pt.h, build_cmd.h), so the trace holds exactly what a driver would
// have written. Memory writes are buffered and flushed, in address order,
// before each register access, so every table is in memory before the
// register write that makes it visible.
#ifndef SMMUSIM_SIM_BAREMETAL_H
#define SMMUSIM_SIM_BAREMETAL_H

#include <cstdint>
#include <map>
#include <string>

#include "smmu/build_pt.h"

namespace smmusim {

class BareMetalTrace {
public:
	// Receives every memory and register write in trace order, so that a
	// host driving the model directly (a benchmark baseline) can apply the
	// same set-up without parsing the text.
	struct Sink {
		virtual ~Sink() = default;
		virtual void mem_write64(uint64_t pa, uint64_t v) = 0;
		virtual void mmio_write(uint64_t off, unsigned width, uint64_t v) = 0;
	};

	// Tables and queues are allocated from [heap, ...).
	explicit BareMetalTrace(std::string smmu = "smmu0", uint64_t heap = 0x10000000ull);
	void set_sink(Sink *sink) { sink_ = sink; }

	// Text so far (flushes pending memory writes).
	std::string text();
	// Append a raw line.
	void line(const std::string &l);

	uint64_t alloc(uint64_t size, uint64_t align);
	void write64(uint64_t pa, uint64_t v);
	uint64_t read64(uint64_t pa) const;

	void mmio_write32(uint64_t off, uint32_t v);
	void mmio_write64(uint64_t off, uint64_t v);

	// Linear stream table of 2^sid_log2 STEs, command queue (2^8) and event
	// queue (2^6), CFGI_ALL + TLBI_NSNH_ALL + TLBI_EL2_ALL + SYNC, SMMUEN.
	void enable(unsigned sid_log2 = 8);
	// Queue commands and publish them with one PROD write.
	void commands(const uint64_t (*cmds)[2], unsigned n);

	// A stage-1 context for `sid`: 4 KB granule, 48-bit VA, ASID asid,
	// table root returned (map pages into it with map_s1).
	smmu_pt s1_stream(uint32_t sid, uint16_t asid);
	void map_s1(smmu_pt &pt, uint64_t va, uint64_t pa, uint64_t len, bool write = true);

	uint64_t strtab() const { return strtab_; }
	uint64_t cmdq() const { return cmdq_; }
	uint64_t evtq() const { return evtq_; }

	static constexpr unsigned kCmdqLog2 = 8;
	static constexpr unsigned kEvtqLog2 = 6;

private:
	void flush();
	static int pt_read64(void *ctx, uint64_t addr, uint64_t *val);
	static int pt_write64(void *ctx, uint64_t addr, uint64_t val);
	static int pt_alloc(void *ctx, uint64_t size, uint64_t *addr);

	std::string smmu_;
	std::string out_;
	uint64_t next_;
	std::map<uint64_t, uint64_t> mem_;     // every word written (the image)
	std::map<uint64_t, uint64_t> pending_; // not yet emitted
	uint64_t strtab_ = 0, cmdq_ = 0, evtq_ = 0;
	uint32_t prod_ = 0;
	smmu_pt_ops ops_;
	Sink *sink_ = nullptr;
};

} // namespace smmusim

#endif
