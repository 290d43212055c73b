// ops.cc - see ops.h.
#include "ops.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include <systemc>

#include "pcie_function.h"
#include "smmu/smmu_defs.h"

namespace smmusim {

// ---- arena and record copies ----

void *Arena::alloc(size_t n, size_t align)
{
	for (;;) {
		if (cur_ < blocks_.size()) {
			size_t off = (used_ + align - 1) & ~(align - 1);
			if (off + n <= blocks_[cur_].second) {
				used_ = off + n;
				return blocks_[cur_].first.get() + off;
			}
			cur_++;
			used_ = 0;
			continue;
		}
		size_t size = n + align > kBlock ? n + align : kBlock;
		blocks_.emplace_back(std::unique_ptr<char[]>(new char[size]), size);
	}
}

const char *Arena::strdup(const char *s, size_t len)
{
	char *p = static_cast<char *>(alloc(len + 1, 1));
	std::memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void Arena::reset()
{
	cur_ = 0;
	used_ = 0;
}

namespace {

void copy_value(trc_value &dst, const trc_value &src, Arena &a)
{
	dst = src;
	if (src.s)
		dst.s = a.strdup(src.s, src.len);
	if (src.nitems) {
		auto *items = static_cast<trc_value *>(a.alloc(sizeof(trc_value) * src.nitems));
		for (size_t i = 0; i < src.nitems; i++)
			copy_value(items[i], src.items[i], a);
		dst.items = items;
	}
}

const trc_arg *copy_args(const trc_arg *src, size_t n, Arena &a)
{
	if (!n)
		return nullptr;
	auto *out = static_cast<trc_arg *>(a.alloc(sizeof(trc_arg) * n));
	for (size_t i = 0; i < n; i++) {
		out[i] = src[i];
		out[i].key = a.strdup(src[i].key, std::strlen(src[i].key));
		copy_value(out[i].value, src[i].value, a);
	}
	return out;
}

} // namespace

const trc_record *copy_record(const trc_record &rec, Arena &a)
{
	auto *r = static_cast<trc_record *>(a.alloc(sizeof(trc_record)));
	*r = rec;
	if (rec.verb_name)
		r->verb_name = a.strdup(rec.verb_name, std::strlen(rec.verb_name));
	if (rec.stamp) {
		auto *s = static_cast<trc_value *>(a.alloc(sizeof(trc_value)));
		copy_value(*s, *rec.stamp, a);
		r->stamp = s;
	}
	if (rec.nwords) {
		auto *w = static_cast<trc_value *>(a.alloc(sizeof(trc_value) * rec.nwords));
		for (size_t i = 0; i < rec.nwords; i++)
			copy_value(w[i], rec.words[i], a);
		r->words = w;
	}
	r->args = copy_args(rec.args, rec.nargs, a);
	r->results = copy_args(rec.results, rec.nresults, a);
	return r;
}

// ---- decoding ----

namespace {

// Key and name comparisons on the DMA path: inlined against a literal, so a
// key costs a few byte compares instead of a strcmp call.
inline bool eq(const char *s, const char *lit)
{
	while (*lit)
		if (*s++ != *lit++)
			return false;
	return *s == '\0';
}

inline bool name_is(const trc_value &v, const char *lit)
{
	return (v.kind == TRC_NAME || v.kind == TRC_WORD) && eq(v.s, lit);
}

} // namespace

bool value_u64(const trc_value *v, const VarMap *vars, uint64_t &out)
{
	if (!v)
		return false;
	if (v->kind == TRC_INT) {
		out = v->u;
		return true;
	}
	if (v->kind == TRC_VAR && vars) {
		auto it = vars->find(v->s);
		if (it == vars->end())
			return false;
		out = it->second;
		return true;
	}
	return false;
}

namespace {

// Names are short: a byte loop (memcmp would be a libc call).
inline bool same_name(const std::string &n, const char *p, size_t len)
{
	if (n.size() != len)
		return false;
	size_t i = 0;
	while (i < len && n[i] == p[i])
		i++;
	return i == len;
}

} // namespace

Decoder::Decoder(const PlatformSpec &spec, std::string file) : file_(std::move(file))
{
	for (const DeviceSpec &d : spec.devices)
		devices_.push_back(d.name);
	for (size_t i = 0; i < devices_.size(); i++)
		device_ids_.emplace(std::string_view(devices_[i]), (int)i);
	// The device records' lines (a spec built by hand may have none).
	for (size_t i = 0; i < spec.devices.size(); i++) {
		uint32_t l = spec.devices[i].pos.line;
		if (l == 0)
			continue;
		if (dev_by_line_.size() <= l)
			dev_by_line_.resize(l + 1);
		const std::string &n = devices_[i];
		dev_by_line_[l] = LineDev{(int32_t)i, (uint32_t)n.size(), trc_name_head(n.data(), n.size())};
	}
	for (unsigned id = 0; id < 256; id++)
		if (const char *n = smmu_event_name(id))
			events_.emplace(n, (uint8_t)id);
}

int Decoder::event_id(const char *name) const
{
	auto it = events_.find(name);
	return it == events_.end() ? -1 : it->second;
}

int Decoder::device_index(const char *name, size_t len)
{
	// Traces name the same device over and over: compare with the last one
	// first, so the common case is one short memcmp.
	if (last_dev_ >= 0 && same_name(devices_[last_dev_], name, len))
		return last_dev_;
	// Otherwise a hash lookup: a linear scan made every DMA cost O(devices)
	// (61 us per DMA with 64 SMMUs x 1024 devices).
	auto it = device_ids_.find(std::string_view(name, len));
	if (it == device_ids_.end())
		return -1;
	last_dev_ = it->second;
	return last_dev_;
}

SimError Decoder::error_at(int status, uint32_t line, uint32_t col, const std::string &what) const
{
	Pos p;
	p.file = file_;
	p.line = line;
	p.col = col;
	return make_error(status, p, what);
}

Decoder::Result Decoder::decode_dma(const trc_record &rec, const VarMap *vars, DmaOp &op,
				    SimError &err)
{
	op = DmaOp{};
	if (rec.nwords < 1 || rec.words[0].kind != TRC_NAME) {
		err = error_at(kExitMalformed, rec.line, rec.col, "dma: expected a device name");
		return kFailed;
	}
	int dev = device_index(rec.words[0]);
	if (dev < 0) {
		err = error_at(kExitMalformed, rec.words[0].line, rec.words[0].col,
			       std::string("dma: unknown device '") + rec.words[0].s + "'");
		return kFailed;
	}
	op.dev = (uint32_t)dev;
	for (size_t i = 1; i < rec.nwords; i++) {
		if (name_is(rec.words[i], "priv"))
			op.priv = true;
		else if (name_is(rec.words[i], "exec"))
			op.exec = true;
		else {
			err = error_at(kExitMalformed, rec.words[i].line, rec.words[i].col,
				       "dma: expected priv or exec");
			return kFailed;
		}
	}
	bool have_addr = false, have_len = false, have_dir = false;
	uint64_t len = 0;
	for (size_t i = 0; i < rec.nargs; i++) {
		const trc_arg &a = rec.args[i];
		const trc_value &v = a.value;
		uint64_t u = 0;
		bool is_dir = eq(a.key, "dir");
		if (!is_dir) {
			if (v.kind == TRC_INT) {
				u = v.u;
			} else if (v.kind == TRC_VAR && !vars) {
				return kGeneral;
			} else if (!value_u64(&v, vars, u)) {
				err = error_at(kExitMalformed, v.line, v.col,
					       std::string("dma: ") + a.key + "= expects an integer");
				return kFailed;
			}
		}
		if (eq(a.key, "addr")) {
			op.addr = u;
			have_addr = true;
		} else if (eq(a.key, "len")) {
			len = u;
			have_len = true;
		} else if (is_dir) {
			if (name_is(v, "write"))
				op.write = true;
			else if (!name_is(v, "read")) {
				err = error_at(kExitMalformed, v.line, v.col, "dma: dir= expects read or write");
				return kFailed;
			}
			have_dir = true;
		} else if (eq(a.key, "ssid")) {
			if (u > UINT32_MAX) {
				err = error_at(kExitMalformed, v.line, v.col, "dma: ssid= is wider than 32 bits");
				return kFailed;
			}
			op.ssid = (uint32_t)u;
			op.ssv = true;
		} else {
			err = error_at(kExitMalformed, a.line, a.col,
				       std::string("dma: unknown key '") + a.key + "'");
			return kFailed;
		}
	}
	if (!have_addr || !have_len || !have_dir) {
		err = error_at(kExitMalformed, rec.line, rec.col, "dma: needs addr=, len= and dir=");
		return kFailed;
	}
	const trc_value *lenv = trc_record_arg(&rec, "len");
	if (!check_len(len, rec.line, lenv ? lenv->col : rec.col, op, err))
		return kFailed;
	for (size_t i = 0; i < rec.nresults; i++) {
		const trc_arg &r = rec.results[i];
		const trc_value &v = r.value;
		if (i == 0)
			op.res_col = r.col;
		if (v.kind == TRC_VAR) {
			if (!vars)
				return kGeneral;
			if (!eq(r.key, "pa") && !eq(r.key, "fault")) {
				err = error_at(kExitMalformed, r.line, r.col,
					       std::string("dma: cannot bind '") + r.key +
						       "' (a dma binds pa= or fault=)");
				return kFailed;
			}
			continue; // bound by the caller after the DMA
		}
		if (eq(r.key, "pa") && v.kind == TRC_INT) {
			op.expect |= kExpectPa;
			op.expect_pa = v.u;
		} else if (eq(r.key, "fault") && v.kind == TRC_NAME) {
			int id = event_id(v.s);
			if (id < 0) {
				err = error_at(kExitMalformed, v.line, v.col,
					       std::string("dma: unknown event '") + v.s +
						       "' (expected an architected name such as F_TRANSLATION "
						       "or C_BAD_STE)");
				return kFailed;
			}
			op.expect |= kExpectFault;
			op.event = (uint8_t)id;
		} else if (eq(r.key, "ok") && v.kind == TRC_NONE) {
			op.expect |= kExpectOk;
		} else if (eq(r.key, "abort") && v.kind == TRC_NONE) {
			op.expect |= kExpectAbort;
		} else {
			err = error_at(kExitMalformed, r.line, r.col,
				       std::string("dma: unexpected result '") + r.key +
					       "' (expected pa=ADDR, fault=EVENT, abort or ok)");
			return kFailed;
		}
	}
	bool success = op.expect & (kExpectOk | kExpectPa);
	bool failure = op.expect & (kExpectAbort | kExpectFault);
	if ((success && failure) || ((op.expect & kExpectAbort) && (op.expect & kExpectFault))) {
		err = error_at(kExitMalformed, rec.line, op.res_col,
			       "dma: contradictory results (pa=/ok say it succeeds, fault=/abort that "
			       "it is terminated, abort that no event is recorded)");
		return kFailed;
	}
	return kDecoded;
}

bool Decoder::check_len(uint64_t len, uint32_t line, uint32_t col, DmaOp &op, SimError &err) const
{
	if (len == 0) {
		err = error_at(kExitMalformed, line, col, "dma: len= must be at least 1");
		return false;
	}
	if (len > PcieFunction::kMaxLen) {
		err = error_at(kExitUsage, line, col,
			       "not supported yet: dma len=" + std::to_string(len) +
				       " is longer than the platform's largest transfer (64 MiB)");
		return false;
	}
	op.len = (uint32_t)len;
	return true;
}

// The checks of decode_dma() in the same order, for the fields the lane
// decoded (one result at most: nothing can contradict it).
Decoder::Result Decoder::decode_lane(const trc_dma &d, DmaOp &op, SimError &err)
{
	op = DmaOp{};
	// The reader names the declaring record: with many devices an array
	// index where a hash lookup of the name missed the host's caches. The
	// name is compared all the same (a spec need not come from this reader).
	int dev = lane_device(d);
	if (dev < 0)
		dev = device_index(d.dev, d.dev_len);
	if (dev < 0) {
		err = error_at(kExitMalformed, d.line, d.dev_col,
			       "dma: unknown device '" + std::string(d.dev, d.dev_len) + "'");
		return kFailed;
	}
	op.dev = (uint32_t)dev;
	op.priv = d.priv;
	op.exec = d.exec;
	op.write = d.write;
	op.addr = d.addr;
	if (d.has_ssid) {
		if (d.ssid > UINT32_MAX) {
			err = error_at(kExitMalformed, d.line, d.ssid_col, "dma: ssid= is wider than 32 bits");
			return kFailed;
		}
		op.ssid = (uint32_t)d.ssid;
		op.ssv = true;
	}
	if (d.len - 1 < PcieFunction::kMaxLen) // 1 .. kMaxLen, without a call
		op.len = (uint32_t)d.len;
	else if (!check_len(d.len, d.line, d.len_col ? d.len_col : d.col, op, err))
		return kFailed;
	op.res_col = d.res_col;
	switch (d.result) {
	case TRC_DMA_RES_OK:
		op.expect = kExpectOk;
		break;
	case TRC_DMA_RES_ABORT:
		op.expect = kExpectAbort;
		break;
	case TRC_DMA_RES_PA:
		op.expect = kExpectPa;
		op.expect_pa = d.pa;
		break;
	case TRC_DMA_RES_FAULT: {
		std::string name(d.fault, d.fault_len);
		int id = event_id(name.c_str());
		if (id < 0) {
			err = error_at(kExitMalformed, d.line, d.res_col + 6, // after "fault="
				       "dma: unknown event '" + name +
					       "' (expected an architected name such as F_TRANSLATION "
					       "or C_BAD_STE)");
			return kFailed;
		}
		op.expect = kExpectFault;
		op.event = (uint8_t)id;
		break;
	}
	default:
		break;
	}
	return kDecoded;
}

bool make_lane_op(const trc_dma &d, Decoder &dec, Op &op, SimError &err)
{
	op.rec = nullptr;
	op.line = d.line;
	op.col = d.col;
	op.has_stamp = d.has_stamp;
	op.stamp_ps = d.has_stamp ? d.stamp_ps : 0;
	if (dec.decode_lane(d, op.dma, err) == Decoder::kDecoded) {
		op.kind = OpKind::kDma;
		return true;
	}
	op.kind = OpKind::kError;
	return false;
}

bool make_op(int rc, const trc_record *rec, trc_reader *r, Decoder &dec, Arena *arena, Op &op,
	     SimError &err)
{
	op.rec = nullptr;
	if (rc == TRC_EOF) {
		op.kind = OpKind::kEnd;
		return false;
	}
	if (rc != TRC_OK) {
		const trc_error *e = trc_reader_error(r);
		char buf[768];
		trc_error_format(e, buf, sizeof(buf));
		err.status = trc_exit_status(e->code);
		err.msg = buf;
		op.kind = OpKind::kError;
		return false;
	}
	op.line = rec->line;
	op.col = rec->col;
	op.has_stamp = rec->stamp != nullptr;
	op.stamp_ps = rec->stamp ? rec->stamp->u : 0;
	if (rec->verb == TRC_VERB_DMA) {
		switch (dec.decode_dma(*rec, nullptr, op.dma, err)) {
		case Decoder::kDecoded:
			op.kind = OpKind::kDma;
			return true;
		case Decoder::kFailed:
			op.kind = OpKind::kError;
			return false;
		case Decoder::kGeneral:
			break;
		}
	}
	op.kind = OpKind::kRecord;
	op.rec = arena ? copy_record(*rec, *arena) : rec;
	return true;
}

// ---- sources ----

InlineSource::InlineSource(trc_reader *r, const trc_record *first, int first_rc, Decoder &dec)
	: reader_(r), pending_(first), pending_rc_(first_rc), dec_(dec)
{
}

const Op *InlineSource::next()
{
	const Op *op = next_op();
	// (next() leaves nothing pending)
	lane_open_ = !done_;
	return op;
}

const Op *InlineSource::next_op()
{
	if (done_) {
		op_.kind = OpKind::kEnd;
		return &op_;
	}
	int rc;
	const trc_record *rec;
	if (pending_ || pending_rc_ != TRC_OK) {
		rc = pending_rc_;
		rec = pending_;
		pending_ = nullptr;
		pending_rc_ = TRC_OK;
	} else {
		rc = trc_reader_next_dma(reader_, &rec, &dma_);
		if (rc == TRC_DMA)
			return lane_op();
	}
	if (!make_op(rc, rec, reader_, dec_, nullptr, op_, error_))
		done_ = true;
	return &op_;
}

ThreadedSource::ThreadedSource(trc_reader *r, const trc_record *first, int first_rc, Decoder &dec)
	: reader_(r), pending_(first), pending_rc_(first_rc), dec_(dec)
{
	for (Batch &b : batches_)
		b.ops.resize(kBatchOps);
	end_.kind = OpKind::kEnd;
	thread_ = std::thread(&ThreadedSource::produce, this);
}

ThreadedSource::~ThreadedSource()
{
	{
		std::lock_guard<std::mutex> l(m_);
		stop_ = true;
	}
	cv_.notify_all();
	thread_.join();
}

bool ThreadedSource::fill(Batch &b)
{
	trc_dma dma;
	b.arena.reset();
	b.n = 0;
	while (b.n < kBatchOps) {
		int rc;
		const trc_record *rec;
		if (pending_ || pending_rc_ != TRC_OK) {
			rc = pending_rc_;
			rec = pending_;
			pending_ = nullptr;
			pending_rc_ = TRC_OK;
		} else {
			rc = trc_reader_next_dma(reader_, &rec, &dma);
		}
		Op &op = b.ops[b.n++];
		SimError e;
		if (rc == TRC_DMA ? !make_lane_op(dma, dec_, op, e)
				  : !make_op(rc, rec, reader_, dec_, &b.arena, op, e)) {
			if (op.kind == OpKind::kError)
				error_ = e; // published with the batch, under the lock
			return false;
		}
	}
	return true;
}

void ThreadedSource::produce()
{
	for (;;) {
		Batch *b;
		{
			std::unique_lock<std::mutex> l(m_);
			cv_.wait(l, [&] { return stop_ || produced_ - consumed_ < kBatches; });
			if (stop_)
				return;
			b = &batches_[produced_ % kBatches];
		}
		bool more = fill(*b);
		{
			std::lock_guard<std::mutex> l(m_);
			produced_++;
		}
		cv_.notify_all();
		if (!more)
			return;
	}
}

const Op *ThreadedSource::next()
{
	if (finished_)
		return &end_;
	if (!cur_ || pos_ == cur_->n) {
		std::unique_lock<std::mutex> l(m_);
		if (cur_) {
			consumed_++;
			cur_ = nullptr;
			cv_.notify_all();
		}
		cv_.wait(l, [&] { return produced_ > consumed_; });
		cur_ = &batches_[consumed_ % kBatches];
		pos_ = 0;
	}
	const Op *op = &cur_->ops[pos_++];
	if (op->kind == OpKind::kEnd || op->kind == OpKind::kError)
		finished_ = true;
	return op;
}

// ---------------------------------------------------------------- progress

namespace {

int64_t mono_ns()
{
	return std::chrono::duration_cast<std::chrono::nanoseconds>(
		       std::chrono::steady_clock::now().time_since_epoch())
		.count();
}

} // namespace

ProgressSource::ProgressSource(std::unique_ptr<OpSource> inner, uint64_t records_before, int fd)
	: inner_(std::move(inner)), records_(records_before), fd_(fd)
{
	start_ns_ = mono_ns();
	next_ns_ = start_ns_ + 1000000000; // nothing for runs shorter than a second
}

ProgressSource::~ProgressSource()
{
	if (shown_) {
		static const char kErase[] = "\r\033[K";
		ssize_t n = write(fd_, kErase, sizeof(kErase) - 1);
		(void)n;
	}
}

const Op *ProgressSource::next()
{
	return note(inner_->next());
}

const Op *ProgressSource::note(const Op *op)
{
	if (op->kind == OpKind::kError)
		error_ = inner_->error();
	else if (op->kind != OpKind::kEnd)
		records_++;
	// The clock is read every 4096 records: a DMA costs some 200 ns.
	if (++since_check_ >= 4096)
		check();
	return op;
}

void ProgressSource::check()
{
	since_check_ = 0;
	if (mono_ns() >= next_ns_)
		show();
}

void ProgressSource::show()
{
	int64_t now = mono_ns();
	next_ns_ = now + 500000000;
	double wall = (double)(now - start_ns_) / 1e9;
	double ps = (double)sc_core::sc_time_stamp().value();
	const char *unit = "ns";
	double t = ps / 1e3;
	if (ps >= 1e12) {
		t = ps / 1e12;
		unit = "s";
	} else if (ps >= 1e9) {
		t = ps / 1e9;
		unit = "ms";
	} else if (ps >= 1e6) {
		t = ps / 1e6;
		unit = "us";
	}
	char line[160];
	int n = snprintf(line, sizeof(line),
			 "\rreplay: %" PRIu64 " records, %.3f %s simulated, %.2f M records/s, %.0f s\033[K",
			 records_, t, unit, wall > 0 ? (double)records_ / wall / 1e6 : 0.0, wall);
	if (n > 0 && write(fd_, line, (size_t)std::min(n, (int)sizeof(line) - 1)) > 0)
		shown_ = true;
}

} // namespace smmusim
