// replay.cc - see replay.h. The header reader, the driver thread and the
// interpretation of every world record this issue replays.
#include "replay.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <tlm_utils/tlm_quantumkeeper.h>
#include <zlib.h>

#include "smmu/smmu_defs.h"

namespace smmusim {

using sc_core::sc_time;

namespace {

std::string hex(uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "0x%" PRIx64, v);
	return b;
}

// A header value as the text smmu_config_set and the platform table parse.
bool value_text(const trc_value &v, std::string &out)
{
	switch (v.kind) {
	case TRC_INT:
		out = std::to_string(v.u);
		return true;
	case TRC_DURATION:
		out = std::to_string(v.u) + "ps";
		return true;
	case TRC_NAME:
	case TRC_WORD:
	case TRC_STRING:
	case TRC_FLAGS:
		out = v.s;
		return true;
	default:
		return false;
	}
}

std::string record_text(const trc_record &rec)
{
	char buf[256];
	size_t n = trc_record_format(&rec, 0, buf, sizeof(buf));
	if (n == (size_t)-1)
		return trc_verb_name(rec.verb) ? trc_verb_name(rec.verb) : "?";
	std::string s(buf);
	if (n >= sizeof(buf))
		s += "...";
	return s;
}

std::string dir_of(const std::string &path)
{
	size_t slash = path.rfind('/');
	return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

} // namespace

// ---------------------------------------------------------------- driver

class ReplayDriver : public sc_core::sc_module {
public:
	SC_HAS_PROCESS(ReplayDriver);

	ReplayDriver(sc_core::sc_module_name name, Platform &p, const PlatformSpec &spec,
		     RunStats &stats, OpSource &src, Decoder &dec, std::string trace,
		     RunOutcome &outcome, SimError &error)
		: sc_module(name), p_(p), spec_(spec), stats_(stats), src_(src), dec_(dec),
		  trace_(std::move(trace)), outcome_(outcome), error_(error)
	{
		tlm_utils::tlm_quantumkeeper::set_global_quantum(
			sc_time::from_value(spec.plat.quantum_ps));
		qk_.reset();
		for (auto &d : p.devices)
			devs_.push_back(d.get());
		SC_THREAD(run);
	}

private:
	void run();
	bool exec_dma(const DmaOp &d, const Op &op, const trc_record *rec);
	bool exec_record(const trc_record &rec);
	bool exec_mmio(const trc_record &rec);
	bool exec_mem(const trc_record &rec);
	bool exec_mem_load(const trc_record &rec);
	bool exec_cpu(const trc_record &rec);
	bool exec_expect(const trc_record &rec);
	bool unsupported(const trc_record &rec, const std::string &why);
	bool ok_results(const trc_record &rec, bool ok, const char *what, const std::string &why);

	uint64_t now_ps() const { return qk_.get_current_time().value(); }
	void advance_to(uint64_t ps)
	{
		uint64_t now = now_ps();
		if (ps < now) {
			stats_.late_records++;
			return;
		}
		qk_.inc(sc_time::from_value(ps - now));
		if (qk_.need_sync())
			qk_.sync();
	}
	bool fail(int status, uint32_t line, uint32_t col, const std::string &what)
	{
		error_ = dec_.error_at(status, line, col, what);
		return false;
	}
	bool assertion(uint32_t line, uint32_t col, const std::string &what)
	{
		return fail(kExitAssertion, line, col, "assertion failed: " + what);
	}
	bool bind(const trc_arg &r, uint64_t v)
	{
		if (!vars_.emplace(r.value.s, v).second)
			return fail(kExitMalformed, r.value.line, r.value.col,
				    std::string("variable $") + r.value.s + " is already bound");
		return true;
	}
	int smmu_index(const trc_value &v)
	{
		return v.kind == TRC_NAME ? spec_.find_smmu(v.s) : -1;
	}

	Platform &p_;
	const PlatformSpec &spec_;
	RunStats &stats_;
	OpSource &src_;
	Decoder &dec_;
	std::string trace_;
	RunOutcome &outcome_;
	SimError &error_;
	tlm_utils::tlm_quantumkeeper qk_;
	std::vector<PcieFunction *> devs_;
	VarMap vars_;
	std::string stop_note_;
	bool unsupported_ = false; // stopped on something not supported yet

public:
	// Why the replay stopped, when a malformed record later took precedence.
	const std::string &stop_note() const { return stop_note_; }
};

void ReplayDriver::run()
{
	bool ok = true;
	if (!spec_.deferred.empty()) {
		const Setting &d = spec_.deferred.front();
		unsupported_ = true;
		ok = fail(kExitUsage, d.pos.line, d.pos.col,
			  "not supported yet: parameter " + d.key + "=" + d.value +
				  " belongs to the kernel-interface model");
	}
	while (ok) {
		const Op *op = src_.next();
		if (op->kind == OpKind::kEnd)
			break;
		if (op->kind == OpKind::kError) {
			error_ = src_.error();
			ok = false;
			break;
		}
		stats_.records++;
		if (op->has_stamp)
			advance_to(op->stamp_ps);
		ok = op->kind == OpKind::kDma ? exec_dma(op->dma, *op, nullptr) : exec_record(*op->rec);
	}
	stats_.sim_time_ps = now_ps();
	// Let the kernel reach the end of the last record, so interrupts and
	// MSIs due by then are delivered before the report is taken.
	qk_.sync();
	if (!ok && error_.status != kExitMalformed) {
		// A malformed trace is reported as such wherever the replay stopped
		// (an assertion, a record not supported yet): read the rest.
		for (;;) {
			const Op *op = src_.next();
			if (op->kind == OpKind::kEnd)
				break;
			if (op->kind == OpKind::kError) {
				if (src_.error().status == kExitMalformed) {
					stop_note_ = error_.msg;
					error_ = src_.error();
				}
				break;
			}
		}
	}
	if (!ok) {
		outcome_.exit_status = error_.status;
		switch (error_.status) {
		case kExitMalformed: outcome_.status = "malformed"; break;
		case kExitAssertion: outcome_.status = "assertion-failed"; break;
		case kExitViolation: outcome_.status = "violation"; break;
		default: outcome_.status = unsupported_ ? "unsupported" : "error"; break;
		}
	}
}

bool ReplayDriver::exec_dma(const DmaOp &d, const Op &op, const trc_record *rec)
{
	PcieFunction &dev = *devs_[d.dev];
	sc_time delay = qk_.get_local_time();
	uint64_t start = delay.value();
	DmaRequest req{d.addr, d.len, d.ssid, d.ssv, d.write, d.priv, d.exec};
	DmaResult res;
	dev.dma(req, delay, res);
	// What software can see decides: a fault is a termination with an event
	// in the event queue; an event the SMMU raised but did not record
	// (suppressed, queue off or full) leaves a plain abort (TRACE-FORMAT.md:
	// `fault=` names the event recorded, `abort` a termination without one).
	bool recorded = res.event && res.event_recorded;
	RunStats::DmaKind kind;
	if (res.outcome == SMMU_XLATE_OK)
		kind = res.bus_error ? RunStats::kDmaBusError : RunStats::kDmaOk;
	else
		kind = recorded ? RunStats::kDmaFault : RunStats::kDmaAbort;
	stats_.add_dma(delay.value() - start, res.hit, kind, d.write, d.len);
	stats_.mix_dma_result(kind, res.outcome == SMMU_XLATE_OK ? res.pa : 0,
			      res.outcome == SMMU_XLATE_OK ? 0 : res.event);
	stats_.failures += kind != RunStats::kDmaOk;
	qk_.set(delay);
	if (qk_.need_sync())
		qk_.sync();
	if (!d.expect && !rec)
		return true;

	auto actual = [&]() -> std::string {
		if (res.outcome == SMMU_XLATE_OK)
			return "pa=" + hex(res.pa) + (res.bus_error ? " (bus error: the PA is outside memory)" : "");
		const char *n = smmu_event_name(res.event);
		std::string ev = n ? n : std::to_string(res.event);
		if (recorded)
			return "fault=" + ev;
		std::string a = res.outcome == SMMU_XLATE_RAZWI ? "abort (RAZ/WI)" : "abort";
		return res.event ? a + " (" + ev + " raised but not recorded)" : a;
	};
	auto where = [&]() {
		return " (dma " + spec_.devices[d.dev].name + " addr=" + hex(d.addr) + ")";
	};
	uint32_t col = d.res_col ? d.res_col : op.col;
	if ((d.expect & kExpectOk) && kind != RunStats::kDmaOk)
		return assertion(op.line, col, "expected ok, got " + actual() + where());
	if ((d.expect & kExpectPa) && (res.outcome != SMMU_XLATE_OK || res.pa != d.expect_pa))
		return assertion(op.line, col, "expected pa=" + hex(d.expect_pa) + ", got " + actual() + where());
	if ((d.expect & kExpectAbort) && kind != RunStats::kDmaAbort)
		return assertion(op.line, col, "expected abort, got " + actual() + where());
	// fault=EVENT holds when the SMMU raised that event for the transaction;
	// whether the queue could record it (enabled, not full, R bit) is what
	// the report's recorded/dropped counts and the event-queue contents show.
	if ((d.expect & kExpectFault) &&
	    (res.outcome == SMMU_XLATE_OK || !res.event || res.event != d.event)) {
		const char *n = smmu_event_name(d.event);
		return assertion(op.line, col, std::string("expected fault=") + (n ? n : "?") +
							 ", got " + actual() + where());
	}
	if (rec) {
		// Bindings of the general path: pa=$v, fault=$v (the event id).
		for (size_t i = 0; i < rec->nresults; i++) {
			const trc_arg &r = rec->results[i];
			if (r.value.kind != TRC_VAR)
				continue;
			if (std::strcmp(r.key, "pa") == 0) {
				if (res.outcome != SMMU_XLATE_OK)
					return assertion(r.line, r.col,
							 std::string("cannot bind $") + r.value.s +
								 ": expected a PA, got " + actual() + where());
				if (!bind(r, res.pa))
					return false;
			} else if (!bind(r, res.event)) {
				return false;
			}
		}
	}
	return true;
}

// A record whose only legal result is `ok`: check the results' form, then
// assert success (`why` says what went wrong instead).
bool ReplayDriver::ok_results(const trc_record &rec, bool ok, const char *what,
			      const std::string &why)
{
	for (size_t i = 0; i < rec.nresults; i++) {
		const trc_arg &r = rec.results[i];
		if (std::strcmp(r.key, "ok") != 0 || r.value.kind != TRC_NONE)
			return fail(kExitMalformed, r.line, r.col,
				    std::string(what) + ": unexpected result '" + r.key + "' (expected ok)");
		if (!ok)
			return assertion(r.line, r.col, "expected ok, " + why);
	}
	return true;
}

bool ReplayDriver::unsupported(const trc_record &rec, const std::string &why)
{
	unsupported_ = true;
	return fail(kExitUsage, rec.line, rec.col,
		    "not supported yet: " + why + ": " + record_text(rec));
}

bool ReplayDriver::exec_record(const trc_record &rec)
{
	switch (rec.verb) {
	case TRC_VERB_DMA: {
		DmaOp d;
		SimError e;
		if (dec_.decode_dma(rec, &vars_, d, e) == Decoder::kFailed) {
			error_ = e;
			return false;
		}
		Op op{};
		op.line = rec.line;
		op.col = rec.col;
		return exec_dma(d, op, &rec);
	}
	case TRC_VERB_MMIO:
		return exec_mmio(rec);
	case TRC_VERB_MEM:
		return exec_mem(rec);
	case TRC_VERB_CPU:
		return exec_cpu(rec);
	case TRC_VERB_WAIT: {
		uint64_t ps = 0;
		trc_value_ps(trc_record_word(&rec, 0), &ps);
		stats_.waits++;
		qk_.inc(sc_time::from_value(ps));
		if (qk_.need_sync())
			qk_.sync();
		return true;
	}
	case TRC_VERB_EXPECT:
		return exec_expect(rec);
	case TRC_VERB_ATS:
		return unsupported(rec, "ATS translation requests (`ats` records) need the PCIe ATS model");
	case TRC_VERB_GUEST:
	case TRC_VERB_VCPU:
		return unsupported(rec, std::string("'") + trc_verb_name(rec.verb) +
						"' records need the kernel-interface model");
	case TRC_VERB_OPEN:
	case TRC_VERB_CLOSE:
	case TRC_VERB_MMAP:
	case TRC_VERB_IOCTL:
	case TRC_VERB_READ:
		return unsupported(rec, std::string("process records ('") + trc_verb_name(rec.verb) +
						"') need the kernel-interface model");
	default:
		return unsupported(rec, "this record");
	}
}

bool ReplayDriver::exec_mmio(const trc_record &rec)
{
	const trc_value *name = trc_record_word(&rec, 0);
	int s = name ? smmu_index(*name) : -1;
	if (s < 0)
		return fail(kExitMalformed, rec.line, rec.col, "mmio: unknown smmu");
	bool write = trc_value_is(trc_record_word(&rec, 1), "write");
	const trc_value *offv = trc_record_word(&rec, 2);
	uint64_t off = 0, val = 0, width = 32;
	if (!value_u64(offv, &vars_, off))
		return fail(kExitMalformed, rec.line, rec.col, "mmio: expected a register offset");
	if (const trc_value *w = trc_record_arg(&rec, "width")) {
		if (!value_u64(w, &vars_, width) || (width != 32 && width != 64))
			return fail(kExitMalformed, w->line, w->col, "mmio: width= expects 32 or 64");
	}
	const trc_value *vv = trc_record_arg(&rec, "val");
	if (write && !value_u64(vv, &vars_, val))
		return fail(kExitMalformed, rec.line, rec.col, "mmio write: expected val=V");
	if (!write && vv)
		return fail(kExitMalformed, vv->line, vv->col,
			    "mmio read: val= is a result here (write `-> val=V`)");
	if (width == 32 && val > UINT32_MAX)
		return fail(kExitMalformed, vv->line, vv->col, "mmio write: val= does not fit in 32 bits");
	qk_.sync();
	sc_time delay = qk_.get_local_time();
	tlm::tlm_response_status st = write ? p_.cpu->mmio_write((unsigned)s, off, (unsigned)width / 8, val, delay)
					    : p_.cpu->mmio_read((unsigned)s, off, (unsigned)width / 8, val, delay);
	qk_.set(delay);
	bool bus_ok = st == tlm::TLM_OK_RESPONSE;
	if (write)
		stats_.mmio_writes++;
	else
		stats_.mmio_reads++;
	if (!bus_ok) {
		stats_.mmio_errors++;
		stats_.failures++;
	}
	std::string got = bus_ok ? (write ? "ok" : "val=" + hex(val)) : "bus error";
	for (size_t i = 0; i < rec.nresults; i++) {
		const trc_arg &r = rec.results[i];
		if (std::strcmp(r.key, "ok") == 0 && r.value.kind == TRC_NONE) {
			if (!bus_ok)
				return assertion(r.line, r.col, "expected ok, got bus error (mmio " + hex(off) + ")");
		} else if (std::strcmp(r.key, "val") == 0 && !write) {
			if (r.value.kind == TRC_VAR) {
				if (!bus_ok)
					return assertion(r.line, r.col, "cannot bind $" + std::string(r.value.s) +
										": bus error (mmio " + hex(off) + ")");
				if (!bind(r, val))
					return false;
				continue;
			}
			uint64_t want;
			if (!value_u64(&r.value, &vars_, want))
				return fail(kExitMalformed, r.value.line, r.value.col, "mmio: val= expects an integer");
			if (!bus_ok || val != want)
				return assertion(r.line, r.col, "expected val=" + hex(want) + ", got " + got +
									" (mmio " + name->s + " read " + hex(off) + ")");
		} else {
			return fail(kExitMalformed, r.line, r.col,
				    std::string("mmio: unexpected result '") + r.key +
					    (write ? "' (a write asserts ok)" : "' (a read gives val= or ok)"));
		}
	}
	return true;
}

bool ReplayDriver::exec_mem(const trc_record &rec)
{
	const trc_value *op = trc_record_word(&rec, 0);
	if (trc_value_is(op, "load"))
		return exec_mem_load(rec);
	bool write = trc_value_is(op, "write");
	uint64_t pa = 0, count = 1;
	if (!value_u64(trc_record_word(&rec, 1), &vars_, pa))
		return fail(kExitMalformed, rec.line, rec.col, "mem: expected a physical address");
	const trc_value *cv = trc_record_arg(&rec, "count");
	if (cv && (!value_u64(cv, &vars_, count) || count == 0 || count > (1u << 24)))
		return fail(kExitMalformed, cv->line, cv->col, "mem: count= expects 1 to 16M");
	// u64=V or u64=[V,...]: the values; with count=N the whole list repeats N
	// times (so `u64=0 count=512` clears a 4 KB table).
	std::vector<uint64_t> vals;
	auto flatten = [&](const trc_value *v, std::vector<uint64_t> &out) -> bool {
		if (v->kind == TRC_LIST) {
			for (size_t i = 0; i < v->nitems; i++) {
				uint64_t x;
				if (!value_u64(&v->items[i], &vars_, x))
					return fail(kExitMalformed, v->items[i].line, v->items[i].col,
						    "mem: u64= list items must be integers");
				out.push_back(x);
			}
			return true;
		}
		uint64_t x;
		if (!value_u64(v, &vars_, x))
			return fail(kExitMalformed, v->line, v->col, "mem: u64= expects an integer or a list");
		out.push_back(x);
		return true;
	};
	qk_.sync();
	sc_time delay = qk_.get_local_time();
	if (write) {
		const trc_value *uv = trc_record_arg(&rec, "u64");
		if (!uv)
			return fail(kExitMalformed, rec.line, rec.col, "mem write: expected u64=");
		std::vector<uint64_t> one;
		if (!flatten(uv, one))
			return false;
		if (one.empty())
			return fail(kExitMalformed, uv->line, uv->col, "mem write: u64= list is empty");
		for (uint64_t i = 0; i < count; i++)
			vals.insert(vals.end(), one.begin(), one.end());
		std::vector<uint8_t> bytes(vals.size() * 8);
		for (size_t i = 0; i < vals.size(); i++)
			for (int b = 0; b < 8; b++)
				bytes[8 * i + b] = (uint8_t)(vals[i] >> (8 * b));
		tlm::tlm_response_status st = p_.cpu->mem_write(pa, bytes.data(), bytes.size(), delay);
		qk_.set(delay);
		stats_.mem_writes++;
		bool ok = st == tlm::TLM_OK_RESPONSE;
		if (!ok) {
			stats_.mem_errors++;
			stats_.failures++;
		}
		if (!ok_results(rec, ok, "mem write",
				"got an address error (mem write " + hex(pa) + ": outside memory)"))
			return false;
		return true;
	}
	if (trc_record_arg(&rec, "u64")) {
		const trc_value *uv = trc_record_arg(&rec, "u64");
		return fail(kExitMalformed, uv->line, uv->col, "mem read: u64= is a result here (write `-> u64=V`)");
	}
	// The expected values decide how many words to read when count is absent.
	const trc_arg *res_u64 = nullptr;
	for (size_t i = 0; i < rec.nresults; i++) {
		const trc_arg &r = rec.results[i];
		if (std::strcmp(r.key, "u64") == 0)
			res_u64 = &r;
		else if (!(std::strcmp(r.key, "ok") == 0 && r.value.kind == TRC_NONE))
			return fail(kExitMalformed, r.line, r.col,
				    std::string("mem read: unexpected result '") + r.key + "' (expected u64= or ok)");
	}
	std::vector<uint64_t> want;
	if (res_u64 && res_u64->value.kind != TRC_VAR) {
		if (!flatten(&res_u64->value, want))
			return false;
		if (res_u64->value.kind == TRC_LIST) {
			if (cv && count != want.size())
				return fail(kExitMalformed, cv->line, cv->col,
					    "mem read: count= differs from the number of expected values");
			count = want.size();
		}
	}
	std::vector<uint8_t> bytes(count * 8);
	tlm::tlm_response_status st = p_.cpu->mem_read(pa, bytes.data(), bytes.size(), delay);
	qk_.set(delay);
	stats_.mem_reads++;
	bool ok = st == tlm::TLM_OK_RESPONSE;
	if (!ok) {
		stats_.mem_errors++;
		stats_.failures++;
	}
	std::vector<uint64_t> got(count);
	for (size_t i = 0; i < count; i++) {
		uint64_t x = 0;
		for (int b = 0; b < 8; b++)
			x |= (uint64_t)bytes[8 * i + b] << (8 * b);
		got[i] = x;
	}
	for (size_t i = 0; i < rec.nresults; i++) {
		const trc_arg &r = rec.results[i];
		if (!ok)
			return assertion(r.line, r.col, "got an address error (mem read " + hex(pa) + ": outside memory)");
		if (&r != res_u64)
			continue;
		if (r.value.kind == TRC_VAR) {
			if (!bind(r, got[0]))
				return false;
			continue;
		}
		// A scalar asserts every word read; a list word by word.
		for (size_t k = 0; k < count; k++) {
			uint64_t w = want.size() == 1 ? want[0] : want[k];
			if (got[k] != w)
				return assertion(r.value.line, r.value.col,
						 "expected u64=" + hex(w) + " at " + hex(pa + 8 * k) + ", got " + hex(got[k]));
		}
	}
	return true;
}

bool ReplayDriver::exec_mem_load(const trc_record &rec)
{
	const trc_value *path = trc_record_word(&rec, 1);
	const trc_value *pav = trc_record_arg(&rec, "pa");
	uint64_t pa = 0;
	if (!path || !trc_value_str(path) || !value_u64(pav, &vars_, pa))
		return fail(kExitMalformed, rec.line, rec.col, "mem load: expected PATH pa=ADDR");
	std::string file = trc_value_str(path);
	if (file.empty() || file[0] != '/')
		file = dir_of(trace_) + file;
	// gzread reads plain files as they are, and gzip ones decompressed.
	gzFile f = gzopen(file.c_str(), "rb");
	if (!f)
		return fail(kExitUsage, path->line, path->col, "mem load: cannot open " + file);
	std::vector<uint8_t> data;
	uint8_t buf[1 << 16];
	int n;
	while ((n = gzread(f, buf, sizeof(buf))) > 0)
		data.insert(data.end(), buf, buf + n);
	bool bad = n < 0;
	gzclose(f);
	if (bad)
		return fail(kExitUsage, path->line, path->col, "mem load: cannot read " + file);
	qk_.sync();
	uint64_t done = p_.cpu->mem_load(pa, data.data(), data.size());
	stats_.mem_loads++;
	stats_.mem_load_bytes += done;
	bool ok = done == data.size();
	if (!ok) {
		stats_.mem_errors++;
		stats_.failures++;
	}
	return ok_results(rec, ok, "mem load", "but the image runs past the end of memory");
}

bool ReplayDriver::exec_cpu(const trc_record &rec)
{
	const trc_value *opv = trc_record_word(&rec, 1);
	struct smmu_btm_tlbi t{};
	if (!opv || !opv->s || smmu_btm_parse_op(opv->s, &t.op) != SMMU_OK)
		return fail(kExitMalformed, opv ? opv->line : rec.line, opv ? opv->col : rec.col,
			    std::string("cpu tlbi: unknown operation '") + (opv && opv->s ? opv->s : "") +
				    "' (VMALLE1IS, ASIDE1IS, VAE1IS, VALE1IS, VAAE1IS, VAALE1IS, IPAS2E1IS, "
				    "IPAS2LE1IS, VMALLS12E1IS, ALLE1IS, ALLE2IS, VAE2IS, ASIDE2IS)");
	uint64_t v;
	if (const trc_value *x = trc_record_arg(&rec, "vmid")) {
		if (!value_u64(x, &vars_, v) || v > 0xffff)
			return fail(kExitMalformed, x->line, x->col, "cpu tlbi: vmid= expects 0..0xffff");
		t.vmid = (uint16_t)v;
	}
	if (const trc_value *x = trc_record_arg(&rec, "asid")) {
		if (!value_u64(x, &vars_, v) || v > 0xffff)
			return fail(kExitMalformed, x->line, x->col, "cpu tlbi: asid= expects 0..0xffff");
		t.asid = (uint16_t)v;
	}
	if (const trc_value *x = trc_record_arg(&rec, "va")) {
		if (!value_u64(x, &vars_, t.addr))
			return fail(kExitMalformed, x->line, x->col, "cpu tlbi: va= expects an address");
	}
	if (const trc_value *x = trc_record_arg(&rec, "ipa")) {
		if (!value_u64(x, &vars_, t.addr))
			return fail(kExitMalformed, x->line, x->col, "cpu tlbi: ipa= expects an address");
	}
	if (rec.nresults)
		return fail(kExitMalformed, rec.results[0].line, rec.results[0].col,
			    "cpu tlbi: takes no results");
	qk_.sync();
	sc_time delay = qk_.get_local_time();
	stats_.cpu_tlbis++;
	stats_.cpu_tlbi_removed += p_.cpu->tlbi(t, delay);
	qk_.set(delay);
	return true;
}

bool ReplayDriver::exec_expect(const trc_record &rec)
{
	stats_.expects++;
	const trc_value *what = trc_record_word(&rec, 0);
	if (trc_value_is(what, "isolation"))
		return true; // no violation can be recorded until the oracle exists
	if (trc_value_is(what, "violation"))
		return unsupported(rec, "`expect violation` needs the isolation oracle");
	// expect stat NAME OP VALUE
	const trc_value *name = trc_record_word(&rec, 1);
	const trc_value *op = trc_record_word(&rec, 2);
	const trc_value *val = trc_record_word(&rec, 3);
	if (!name || !op || !val || !name->s || !op->s)
		return fail(kExitMalformed, rec.line, rec.col, "expect stat: expected NAME OP VALUE");
	stats_.sim_time_ps = now_ps();
	std::vector<const SmmuModule *> smmus;
	for (auto &s : p_.smmus)
		smmus.push_back(s.get());
	RunOutcome running{0, "running"};
	std::vector<ReportEntry> entries = build_report(stats_, smmus, running);
	uint64_t milli = 0;
	bool time = false;
	if (!report_lookup(entries, name->s, milli, time))
		return fail(kExitMalformed, name->line, name->col,
			    std::string("expect stat: unknown statistic '") + name->s +
				    "' (docs/sim.md lists them; the JSON report shows the names)");
	uint64_t want;
	if (val->kind == TRC_DURATION) {
		if (!time)
			return fail(kExitMalformed, val->line, val->col,
				    std::string("expect stat: ") + name->s + " is a count, not a time");
		want = val->u; // picoseconds = thousandths of a ns
	} else {
		uint64_t v;
		if (!value_u64(val, &vars_, v) || v > UINT64_MAX / 1000)
			return fail(kExitMalformed, val->line, val->col, "expect stat: expected a number");
		want = v * 1000;
	}
	bool pass;
	if (std::strcmp(op->s, "==") == 0)
		pass = milli == want;
	else if (std::strcmp(op->s, "<=") == 0)
		pass = milli <= want;
	else if (std::strcmp(op->s, ">=") == 0)
		pass = milli >= want;
	else
		return fail(kExitMalformed, op->line, op->col, "expect stat: expected ==, <= or >=");
	if (!pass)
		return assertion(rec.line, rec.col,
				 std::string("expected ") + name->s + " " + op->s + " " + milli_text(want) +
					 ", got " + milli_text(milli));
	return true;
}

// ---------------------------------------------------------------- Replay

Replay::Replay(ReplayOptions opt) : opt_(std::move(opt))
{
	outcome_.status = "ok";
}

Replay::~Replay()
{
	// The reader thread must stop before the reader it reads goes away.
	source_.reset();
	if (reader_)
		trc_reader_close(reader_);
}

bool Replay::read_header(SimError &err)
{
	Pos pos;
	pos.file = opt_.trace;
	const trc_record *rec;
	int rc;
	while ((rc = trc_reader_next(reader_, &rec)) == TRC_OK) {
		if (rec->section != TRC_SECTION_HEADER) {
			first_ = rec;
			first_rc_ = TRC_OK;
			return true;
		}
		header_records_++;
		auto at = [&](uint32_t line, uint32_t col) {
			Pos p = pos;
			p.line = line;
			p.col = col;
			return p;
		};
		auto settings_from = [&](int smmu) -> bool {
			for (size_t i = 0; i < rec->nargs; i++) {
				const trc_arg &a = rec->args[i];
				Setting s;
				s.key = a.key;
				s.smmu = smmu;
				s.pos = at(a.line, a.col);
				if (!value_text(a.value, s.value)) {
					err = make_error(kExitMalformed, at(a.value.line, a.value.col),
							 std::string(a.key) + "= expects a single value");
					return false;
				}
				spec_.settings.push_back(s);
			}
			return true;
		};
		switch (rec->verb) {
		case TRC_VERB_CONFIG:
			if (!settings_from(-1))
				return false;
			break;
		case TRC_VERB_SMMU: {
			const trc_value *name = trc_record_word(rec, 0);
			// A device may have used the implicit smmu0 before its record.
			int idx = spec_.find_smmu(name->s);
			if (idx < 0)
				idx = spec_.add_smmu(name->s, at(rec->line, rec->col));
			else
				spec_.smmus[idx].pos = at(rec->line, rec->col);
			if (!settings_from(idx))
				return false;
			break;
		}
		case TRC_VERB_DEVICE: {
			DeviceSpec d;
			d.name = trc_record_word(rec, 0)->s;
			d.pos = at(rec->line, rec->col);
			const trc_value *sv = trc_record_arg(rec, "smmu");
			int s = sv && sv->s ? spec_.find_smmu(sv->s) : -1;
			if (s < 0 && sv && sv->s && std::strcmp(sv->s, "smmu0") == 0 && spec_.smmus.empty())
				s = spec_.add_smmu("smmu0", Pos{});
			if (s < 0) {
				err = make_error(kExitMalformed, at(rec->line, rec->col), "device: unknown smmu");
				return false;
			}
			d.smmu = (uint32_t)s;
			uint64_t v = 0;
			const trc_value *sid = trc_record_arg(rec, "sid");
			if (!value_u64(sid, nullptr, v) || v > UINT32_MAX) {
				err = make_error(kExitMalformed, at(sid ? sid->line : rec->line, sid ? sid->col : rec->col),
						 "device: sid= expects a 32-bit StreamID");
				return false;
			}
			d.sid = (uint32_t)v;
			if (const trc_value *sb = trc_record_arg(rec, "ssid_bits")) {
				if (!value_u64(sb, nullptr, v) || v > 20) {
					err = make_error(kExitMalformed, at(sb->line, sb->col),
							 "device: ssid_bits= expects 0..20");
					return false;
				}
				d.ssid_bits = (uint32_t)v;
			}
			d.ats = trc_value_is(trc_record_arg(rec, "ats"), "on");
			d.pri = trc_value_is(trc_record_arg(rec, "pri"), "on");
			spec_.devices.push_back(d);
			break;
		}
		case TRC_VERB_MEMORY: {
			const trc_value *size = trc_record_arg(rec, "size");
			Setting s;
			s.key = "memory.size";
			s.pos = at(size->line, size->col);
			if (!value_text(*size, s.value)) {
				err = make_error(kExitMalformed, s.pos, "memory: size= expects a size");
				return false;
			}
			spec_.settings.push_back(s);
			break;
		}
		default:
			break; // smmutrace
		}
	}
	first_ = nullptr;
	first_rc_ = rc;
	if (rc != TRC_EOF) {
		const trc_error *e = trc_reader_error(reader_);
		char buf[768];
		trc_error_format(e, buf, sizeof(buf));
		err.status = trc_exit_status(e->code);
		err.msg = buf;
		return false;
	}
	return true;
}

bool Replay::prepare(SimError &err)
{
	trc_error te;
	int rc = trc_reader_open(opt_.trace.c_str(), nullptr, &reader_, &te);
	if (rc != TRC_OK) {
		char buf[768];
		trc_error_format(&te, buf, sizeof(buf));
		err.status = trc_exit_status(rc);
		err.msg = buf;
		return false;
	}
	if (!read_header(err))
		return false;
	for (const auto &kv : opt_.sets) {
		Setting s;
		s.key = kv.first;
		s.value = kv.second;
		s.cli = true;
		spec_.settings.push_back(s);
	}
	if (!spec_.finalize(err))
		return false;
	decoder_.reset(new Decoder(spec_, opt_.trace));
	return true;
}

void Replay::elaborate()
{
	std::vector<ClockDomain> clocks;
	std::vector<std::string> names;
	for (const SmmuSpec &s : spec_.smmus) {
		clocks.emplace_back(s.cfg.t.clock_mhz);
		names.push_back(s.name);
	}
	stats_.reset(new RunStats(clocks, names));
	stats_->records = header_records_;
	platform_.reset(new Platform("platform", spec_, stats_.get()));
	if (spec_.plat.reader_thread)
		source_.reset(new ThreadedSource(reader_, first_, first_rc_, *decoder_));
	else
		source_.reset(new InlineSource(reader_, first_, first_rc_, *decoder_));
	driver_.reset(new ReplayDriver("replay", *platform_, spec_, *stats_, *source_, *decoder_,
				       opt_.trace, outcome_, error_));
}

std::vector<ReportEntry> Replay::report() const
{
	std::vector<const SmmuModule *> smmus;
	for (auto &s : platform_->smmus)
		smmus.push_back(s.get());
	return build_report(*stats_, smmus, outcome_);
}

int Replay::finish(std::ostream &out, std::ostream &err)
{
	source_.reset(); // joins the reader thread
	for (const std::string &l : stats_->take_log())
		err << "smmusim: " << l << "\n";
	std::vector<ReportEntry> entries = report();
	if (opt_.text)
		out << report_text(entries, *stats_, opt_.trace);
	if (!driver_->stop_note().empty())
		err << driver_->stop_note() << " (replay stopped here)\n";
	if (!error_.msg.empty())
		err << error_.msg << "\n";
	int status = outcome_.exit_status;
	if (!opt_.json_out.empty()) {
		std::string json = report_json(entries);
		if (opt_.json_out == "-") {
			out << json;
		} else {
			std::ofstream f(opt_.json_out, std::ios::binary | std::ios::trunc);
			f << json;
			f.close();
			if (!f) {
				err << "smmusim: error: cannot write " << opt_.json_out << "\n";
				if (status == kExitOk)
					status = kExitUsage;
			}
		}
	}
	out.flush();
	return status;
}

int Replay::check_rest(std::ostream &out, std::ostream &err)
{
	InlineSource src(reader_, first_, first_rc_, *decoder_);
	uint64_t records = header_records_, unsupported = 0;
	for (;;) {
		const Op *op = src.next();
		if (op->kind == OpKind::kEnd)
			break;
		if (op->kind == OpKind::kError) {
			err << src.error().msg << "\n";
			return src.error().status;
		}
		records++;
		if (op->kind == OpKind::kRecord) {
			switch (op->rec->verb) {
			case TRC_VERB_OPEN:
			case TRC_VERB_CLOSE:
			case TRC_VERB_MMAP:
			case TRC_VERB_IOCTL:
			case TRC_VERB_READ:
			case TRC_VERB_GUEST:
			case TRC_VERB_VCPU:
			case TRC_VERB_ATS:
				unsupported++;
				break;
			case TRC_VERB_EXPECT:
				unsupported += trc_value_is(trc_record_word(op->rec, 0), "violation");
				break;
			default:
				break;
			}
		}
	}
	out << opt_.trace << ": ok: " << records << " records";
	if (unsupported)
		out << " (" << unsupported << " not replayable yet: process, guest, vcpu, ats or "
		       "`expect violation` records)";
	for (const Setting &d : spec_.deferred)
		out << "; " << d.key << " is not replayable yet";
	out << "\n";
	return kExitOk;
}

int run_replay(const ReplayOptions &opt, std::ostream &out, std::ostream &err)
{
	Replay r(opt);
	SimError e;
	if (!r.prepare(e)) {
		err << e.msg << "\n";
		return e.status;
	}
	try {
		r.elaborate();
		sc_core::sc_start();
	} catch (const std::exception &ex) {
		err << "smmusim: error: simulation failed: " << ex.what() << "\n";
		return kExitUsage;
	}
	return r.finish(out, err);
}

int run_check(const ReplayOptions &opt, std::ostream &out, std::ostream &err)
{
	Replay r(opt);
	SimError e;
	if (!r.prepare(e)) {
		err << e.msg << "\n";
		return e.status;
	}
	return r.check_rest(out, err);
}

} // namespace smmusim
