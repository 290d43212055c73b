// ops.h - trace records turned into work for the replay driver.
//
// The hot record of a trace is `dma` with literal arguments; it is decoded
// once into a DmaOp (no strings: the device is an index, the expected event
// an id), so that replaying it needs no lookup by name. Every other record,
// and a `dma` that uses or binds $variables, is handed over as the record
// itself and interpreted by the driver (replay.cc).
//
// Two sources produce ops in trace order. InlineSource parses on demand in
// the simulation thread. ThreadedSource parses in a second host thread into
// batches (records copied into the batch's arena) while the simulation
// consumes the previous batch: the parse and the simulation overlap, which
// matters because parsing costs more than a uTLB hit does. Either way a
// malformed record surfaces as an error op at its place in the sequence, so
// everything before it has run.
#ifndef SMMUSIM_SIM_OPS_H
#define SMMUSIM_SIM_OPS_H

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "platform.h"
#include "trc/trace.h"

namespace smmusim {

// What a dma record asserts (bit set).
enum DmaExpect : uint8_t {
	kExpectOk = 1,
	kExpectAbort = 2,
	kExpectPa = 4,
	kExpectFault = 8,
};

struct DmaOp {
	uint64_t addr;
	uint64_t expect_pa;
	uint32_t len;
	uint32_t ssid;
	uint32_t dev;
	uint32_t res_col;   // column of the first result (for messages)
	uint8_t expect;     // DmaExpect bits
	uint8_t event;      // kExpectFault: the event id
	bool ssv, write, priv, exec;
};

enum class OpKind : uint8_t { kDma, kRecord, kError, kEnd };

struct Op {
	OpKind kind;
	bool has_stamp;
	uint32_t line, col;
	uint64_t stamp_ps;
	DmaOp dma;                  // kDma
	const trc_record *rec;      // kRecord (and kDma: null)
};

// Bump allocator for copied records: reset per batch, blocks are kept.
class Arena {
public:
	void *alloc(size_t n, size_t align = alignof(std::max_align_t));
	const char *strdup(const char *s, size_t len);
	void reset();

private:
	static constexpr size_t kBlock = 64 * 1024;
	std::vector<std::pair<std::unique_ptr<char[]>, size_t>> blocks_; // storage, size
	size_t cur_ = 0, used_ = 0;
};

// Deep copy of a record (values, lists, strings) into an arena.
const trc_record *copy_record(const trc_record &rec, Arena &arena);

// Variables bound so far (`-> key=$name`), by name.
using VarMap = std::unordered_map<std::string, uint64_t>;

// What decoding needs from the header: names to indices, built once.
class Decoder {
public:
	Decoder(const PlatformSpec &spec, std::string file);
	// device_ids_ holds views of devices_: not copyable.
	Decoder(const Decoder &) = delete;
	Decoder &operator=(const Decoder &) = delete;
	const std::string &file() const { return file_; }

	enum Result { kDecoded, kGeneral, kFailed };
	// Decode a dma record. Without vars, a record that uses or binds a
	// variable is left to the general path (kGeneral); with vars, uses are
	// resolved and bindings are left to the caller. kFailed sets err.
	Result decode_dma(const trc_record &rec, const VarMap *vars, DmaOp &op, SimError &err);
	// The same for a dma the reader's lane took (trc_reader_next_dma):
	// kDecoded or kFailed.
	Result decode_lane(const trc_dma &d, DmaOp &op, SimError &err);
	// The device of a dma the lane took, found by the line of its device
	// record (as decode_lane() finds it first); -1 when that does not find
	// it (decode_lane() then looks it up by name, or says what is wrong).
	int lane_device(const trc_dma &d) const
	{
		if (d.dev_line >= dev_by_line_.size())
			return -1;
		const LineDev &ld = dev_by_line_[d.dev_line];
		if (ld.dev < 0 || ld.len != d.dev_len || ld.head != d.dev_head)
			return -1;
		if (d.dev_len > 8 &&
		    devices_[(size_t)ld.dev].compare(0, std::string::npos, d.dev, d.dev_len) != 0)
			return -1;
		return ld.dev;
	}
	// Event id of an architected name (F_TRANSLATION ...), or -1.
	int event_id(const char *name) const;
	int device_index(const trc_value &name) { return device_index(name.s, name.len); }
	int device_index(const char *name, size_t len);
	SimError error_at(int status, uint32_t line, uint32_t col, const std::string &what) const;

private:
	// len= within what the platform takes (shared by both decoders).
	bool check_len(uint64_t len, uint32_t line, uint32_t col, DmaOp &op, SimError &err) const;
	std::string file_;
	std::vector<std::string> devices_;
	// name -> index, keyed by views of devices_ (filled once, never resized after)
	std::unordered_map<std::string_view, int> device_ids_;
	// By the line of the device record (the lane's dev_line): the device
	// (-1 none) with its name's length and first 8 bytes, so that a name of
	// up to 8 bytes is checked without reading devices_ (with thousands of
	// devices, one host cache miss a DMA rather than two).
	struct LineDev {
		int32_t dev = -1;
		uint32_t len = 0;
		uint64_t head = 0;
	};
	std::vector<LineDev> dev_by_line_;
	std::unordered_map<std::string, uint8_t> events_;
	int last_dev_ = -1;
};

// The value of an integer argument: a literal or a bound variable.
bool value_u64(const trc_value *v, const VarMap *vars, uint64_t &out);

// The dma the reader's lane took (rc TRC_DMA) as an op (false: a kError op).
bool make_lane_op(const trc_dma &d, Decoder &dec, Op &op, SimError &err);

class OpSource {
public:
	virtual ~OpSource() = default;
	// The next op; kEnd at the end, kError once (then kEnd).
	virtual const Op *next() = 0;
	// The error of a kError op.
	const SimError &error() const { return error_; }

protected:
	SimError error_;
};

// Parses in the caller's thread. first: the record the header reader
// stopped on (null at the end of the trace); first_rc its return code.
class InlineSource final : public OpSource {
public:
	InlineSource(trc_reader *r, const trc_record *first, int first_rc, Decoder &dec);
	const Op *next() override;
	// For a caller that runs the reader's lane itself (the replay's loop):
	// the next record when it is a dma the lane took, else null (then
	// next() gives it). After a non-null return the caller either runs the
	// dma itself or asks lane_op() for it as an op.
	const trc_dma *next_lane()
	{
		if (!lane_open_)
			return nullptr;
		const trc_record *rec;
		int rc = trc_reader_next_dma(reader_, &rec, &dma_);
		if (rc == TRC_DMA)
			return &dma_;
		pending_ = rec;
		pending_rc_ = rc;
		lane_open_ = false;
		return nullptr;
	}
	// The dma next_lane() returned, as next() would have given it.
	const Op *lane_op()
	{
		if (!make_lane_op(dma_, dec_, op_, error_)) {
			done_ = true;
			lane_open_ = false;
		}
		return &op_;
	}

private:
	const Op *next_op();
	trc_reader *reader_;
	const trc_record *pending_;
	int pending_rc_;
	bool done_ = false;
	// next_lane() may read: not done, nothing pending (kept by next())
	bool lane_open_ = false;
	Decoder &dec_;
	Op op_{};
	trc_dma dma_{};
};

class ThreadedSource : public OpSource {
public:
	ThreadedSource(trc_reader *r, const trc_record *first, int first_rc, Decoder &dec);
	~ThreadedSource() override;
	const Op *next() override;

private:
	static constexpr size_t kBatchOps = 4096;
	static constexpr size_t kBatches = 4;
	struct Batch {
		std::vector<Op> ops;
		Arena arena;
		size_t n = 0;
	};
	void produce();
	// Fill one batch; false once the trace ended (End or Error op written).
	bool fill(Batch &b);

	trc_reader *reader_;
	const trc_record *pending_;
	int pending_rc_;
	Decoder &dec_;
	Batch batches_[kBatches];
	std::mutex m_;
	std::condition_variable cv_;
	uint64_t produced_ = 0, consumed_ = 0;
	bool stop_ = false, finished_ = false;
	Batch *cur_ = nullptr;
	size_t pos_ = 0;
	Op end_{};
	std::thread thread_;
};

// Another source, with a progress line on a terminal: once the replay has
// run for a second, "records, simulated time, rate" written to fd (stderr)
// and rewritten in place (\r) twice a second; erased when the source goes
// (before the report is printed). The caller decides whether fd is a
// terminal (only then: never into a pipe or a file). The simulated time is
// the SystemC kernel's (sc_time_stamp: it may trail the driver's own
// clock by up to one quantum).
class ProgressSource : public OpSource {
public:
	ProgressSource(std::unique_ptr<OpSource> inner, uint64_t records_before, int fd);
	~ProgressSource() override;
	const Op *next() override;
	// For a caller that takes records from the inner source itself (the
	// replay's loop, from an InlineSource's lane): counts op (as next()
	// counts what it returns) and returns it; lane_record() counts a record
	// the caller ran without an op.
	OpSource *inner() { return inner_.get(); }
	const Op *note(const Op *op);
	void lane_record()
	{
		records_++;
		if (++since_check_ >= 4096)
			check();
	}

private:
	void show();
	void check();
	std::unique_ptr<OpSource> inner_;
	uint64_t records_;
	uint64_t since_check_ = 0;
	int64_t start_ns_, next_ns_;
	int fd_;
	bool shown_ = false;
};

// Turn one parse result into an op (shared by the sources). rec is kept as
// is when arena is null, copied otherwise. Returns false at the end.
bool make_op(int rc, const trc_record *rec, trc_reader *r, Decoder &dec, Arena *arena, Op &op,
	     SimError &err);

} // namespace smmusim

#endif
