// replay.cc - see replay.h. The header reader, what every record must be
// (RecordRules: shared by the replay and `smmusim check`), the driver thread
// and the interpretation of every world record this issue replays.
#include "replay.h"

#include <unistd.h>

#include "direct_dma.h"
#include "html_report.h"
#include "json.h"

#include <cassert>
#include <cinttypes>
#include <cstdio>
#include <cctype>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <unordered_map>

#include <tlm_utils/tlm_quantumkeeper.h>
#include <zlib.h>

#include "kernel.h"
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
	if (v.kind == TRC_NAME || v.kind == TRC_WORD || v.kind == TRC_STRING || v.kind == TRC_FLAGS) {
		out = v.s; // as written, whatever its length
		return true;
	}
	char buf[32];
	if (!trc_value_setting(&v, buf, sizeof(buf)))
		return false;
	out = buf;
	return true;
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

// ---------------------------------------------------------------- record rules
//
// What a world or process record must be to be replayed, decided from the
// record and the header: every refusal of a malformed record (and the
// capabilities a record needs of its device) is made here, once, by one
// function per record kind that also gives the values the record is
// executed with. `smmusim check` runs check() on every record the decoder
// leaves to the general path, without variables; the replay runs the same
// check() on every record before executing it (so that both refuse a record
// with the same message at the same place, whatever else is wrong with it),
// then the record's function again with its variables for the values.
// Without variables a $v's value is not known, and what depends on it is
// left to the replay, as is what depends on the run itself: whether an fd
// is what a record needs, whether the kernel has booted, the simulated
// time, what the report holds so far (docs/sim.md, `check`).

namespace {

void put_le(uint8_t *p, uint64_t v, unsigned width)
{
	for (unsigned i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t get_le(const uint8_t *p, unsigned width, bool sign)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < width; i++)
		v |= (uint64_t)p[i] << (8 * i);
	if (sign && width < 8 && (v >> (8 * width - 1)) & 1)
		v |= ~0ull << (8 * width);
	return v;
}

// The record with the results `drop` selects left out (results already
// compared as lists); `keep` holds the rest and must outlive the copy.
trc_record without_results(const trc_record &rec, std::vector<trc_arg> &keep,
			   const std::function<bool(const char *)> &drop)
{
	for (size_t i = 0; i < rec.nresults; i++)
		if (!drop(rec.results[i].key))
			keep.push_back(rec.results[i]);
	trc_record r = rec;
	r.results = keep.data();
	r.nresults = keep.size();
	return r;
}

// An integer's value, unless it comes from a variable whose value is not
// known (rules without variables).
struct Num {
	uint64_t v = 0;
	bool known = false;
};

// The placeholder for the parts of a statistic's name that name something
// of the run (a request, a kind of request): not a name a trace can write.
const char kAnyName[] = "*";

// Every statistic a report of this platform can have: the report of an
// empty run with every section that appears only once something happened
// filled in (ioctl, latency, dma_api, vmid, kvm, guest), each with one
// request named kAnyName, and the first SMMU's statistics standing for
// every SMMU's (`first` is a module with that SMMU's index 0 and
// configuration).
std::vector<ReportEntry> stat_baseline(const PlatformSpec &spec, const SmmuModule &first)
{
	RunStats st({ClockDomain(spec.smmus[0].cfg.t.clock_mhz)}, {spec.smmus[0].name});
	st.dma_api_known = true;
	st.vmids_known = true;
	st.kvm_known = true;
	IoctlRecord ir;
	ir.request = kAnyName;
	st.ioctls.push_back(ir);
	LatRequest lr;
	lr.kind = kAnyName;
	st.add_request(std::move(lr));
	return build_report(st, {&first}, RunOutcome{0, "ok"});
}

std::string unknown_result(const std::string &what, const char *key)
{
	return what + ": unknown result '" + key + "'";
}

} // namespace

class RecordRules {
public:
	// vars: the replay's variables; null for checks without a run.
	RecordRules(const PlatformSpec &spec, const std::string &file, const VarMap *vars)
		: spec_(spec), file_(file), vars_(vars)
	{
	}
	const SimError &error() const { return err_; }

	// Every check of rec that needs no run. False (error() set) if refused.
	bool check(const trc_record &rec);

	// Statistics without a run (`expect stat`): how to build stat_baseline()
	// when a record first needs it.
	void set_baseline(std::function<std::vector<ReportEntry>()> f) { baseline_fn_ = std::move(f); }
	using StatLookup = std::function<bool(const std::string &name, uint64_t &milli, bool &time)>;

	// The record kinds. Each checks the record and fills in its values
	// (those from variables only with variables).
	struct Mmio {
		int smmu = -1;
		bool write = false;
		uint64_t off = 0, val = 0, width = 32;
	};
	bool mmio(const trc_record &rec, Mmio &m);
	struct Mem {
		bool write = false;
		uint64_t pa = 0, count = 1;
		std::vector<uint64_t> vals;      // write: the values stored (once); read: those expected
		const trc_arg *res_u64 = nullptr; // read: the u64 result
	};
	bool mem(const trc_record &rec, Mem &m);
	struct MemLoad {
		const trc_value *path = nullptr;
		uint64_t pa = 0;
	};
	bool mem_load(const trc_record &rec, MemLoad &m);
	struct Tlbi {
		struct smmu_btm_tlbi t {};
		const trc_value *op = nullptr, *vm = nullptr;
		uint64_t vm_fd = 0;
	};
	bool cpu(const trc_record &rec, Tlbi &c);
	struct Guest {
		std::string what;
		uint64_t vm = 0;
		enum { kWrite, kS1map, kS1unmap } op = kWrite;
		uint64_t ipa = 0, count = 1;
		std::vector<uint64_t> words; // write: the values (once)
		shim_s1map m{};              // s1map
		uint64_t ttb = 0, va = 0, len = 0; // s1unmap
	};
	bool guest(const trc_record &rec, Guest &g);
	struct Vcpu {
		std::string what;
		bool load = false;
		uint64_t vm = 0, cpu = 0, vcpu = 0;
	};
	bool vcpu(const trc_record &rec, Vcpu &v);
	struct Expect {
		uint64_t count = 1;          // violation
		std::string dev, owner;      // violation
		uint64_t milli = 0, want = 0; // stat: the statistic's value and the expected one (x 1000)
		bool time = false;
	};
	// lookup: the statistics (null: those a run can have).
	bool expect(const trc_record &rec, const StatLookup *lookup, Expect &e);
	struct Ats {
		int dev = -1;
		uint64_t addr = 0, ssid = 0;
		bool ssv = false;
	};
	bool ats(const trc_record &rec, Ats &a);
	bool capable_device(const trc_record &rec, const char *verb, bool DeviceSpec::*cap, int &dev);
	struct Pri {
		int dev = -1;
		uint64_t prg = 0, ssid = 0, addr = 0;
		bool ssv = false;
	};
	bool pri(const trc_record &rec, Pri &p);
	struct Dmaapi {
		bool map = false;
		const char *what = "";
		uint64_t len = 0, cpu = 0, pa = SHIM_PA_ANY, iova = 0;
		unsigned dir = SHIM_DMA_BIDIRECTIONAL;
	};
	bool dmaapi(const trc_record &rec, Dmaapi &d);
	bool open(const trc_record &rec);
	bool close(const trc_record &rec, uint64_t &fd);
	bool eventfd(const trc_record &rec, uint32_t &initval);
	bool memfd(const trc_record &rec, uint64_t &len);
	bool one_key(const trc_record &rec, const char *verb, const char *key, const trc_value *&v);
	struct Mmap {
		uint64_t len = 0, pa = SHIM_PA_ANY;
	};
	bool mmap(const trc_record &rec, Mmap &m);
	struct Write {
		uint64_t fd = 0, len = 0;
		std::vector<uint32_t> words;
	};
	bool write(const trc_record &rec, Write &w);
	struct Read {
		uint64_t fd = 0, len = 4096;
	};
	bool read(const trc_record &rec, Read &r);
	// The results a read may give, whatever the fd: some only from a
	// fault queue (faults, cookie, addr), some from a vEVENTQ (events).
	static bool read_result(const char *key);
	struct IoctlCall {
		const shim_uapi_request *rq = nullptr;
		unsigned long reqno = 0;
		std::string what;
		uint64_t fd = 0;
		uint64_t arg = 0; // the ioctl's argument (pointers into what follows)
		std::vector<uint8_t> buf;
		std::vector<std::vector<uint8_t>> payloads;
		std::string str_arg;
		int32_t int_holder = 0;
		struct OutPayload {
			const shim_uapi_field *f;
			size_t idx;
		};
		std::vector<OutPayload> outs; // payloads the kernel writes
		// Results compared as lists of words (out payloads), with the
		// words expected.
		std::vector<std::pair<const trc_arg *, std::vector<uint64_t>>> lists;
		IoctlCall() = default;
		IoctlCall(const IoctlCall &) = delete; // holds pointers into itself
		IoctlCall &operator=(const IoctlCall &) = delete;
		// An out payload's name (a result given as a list).
		const OutPayload *out(const char *key) const
		{
			for (const OutPayload &o : outs)
				if (std::strcmp(o.f->payload, key) == 0)
					return &o;
			return nullptr;
		}
		// Result `key` is an output: an out payload, or a field of the
		// struct (its value after the call in v, when buf holds it).
		bool field(const char *key, uint64_t &v) const
		{
			if (!rq || rq->arg != SHIM_ARG_STRUCT)
				return false;
			if (out(key)) {
				v = 0; // compared as a list
				return true;
			}
			const shim_uapi_field *f = shim_uapi_field_find(rq, key);
			if (!f || (f->flags & SHIM_UF_UPTR))
				return false;
			v = get_le(&buf[f->offset], f->width, f->flags & SHIM_UF_SIGNED);
			return true;
		}
	};
	// The ioctl's argument built from the request's field table
	// (shim_uapi_request): `size`/`argsz` default to the struct size,
	// omitted fields are zero, flag and enum names resolve through the
	// field's symbols, payloads behind user pointers are given inline
	// under their name and their length fields are filled in when the
	// trace leaves them out.
	bool ioctl(const trc_record &rec, IoctlCall &c);

	// The results of a system call: `ok`, `err=ENAME`, `ret`, `fd`, and
	// those `known` names (the uapi struct's output fields).
	bool results(const trc_record &rec, const std::function<bool(const char *)> &known,
		     const std::string &what, const shim_uapi_request *rq = nullptr);
	// A record whose only legal result is `ok`.
	bool only_ok(const trc_record &rec, const char *what);
	// What an argument that is not a VM's fd is refused with.
	static std::string not_vm_fd(const std::string &what, const trc_value &v, uint64_t x)
	{
		return what + ": " + (v.kind == TRC_VAR ? "$" + std::string(v.s) : hex(x)) +
		       " is not a KVM VM fd";
	}

private:
	bool fail(int status, uint32_t line, uint32_t col, const std::string &what)
	{
		Pos p;
		p.file = file_;
		p.line = line;
		p.col = col;
		err_ = make_error(status, p, what);
		return false;
	}
	// An integer argument: a literal, or a variable (its value known only
	// with variables). False if neither, or a variable not bound.
	bool get(const trc_value *v, Num &n) const
	{
		n = Num{};
		if (v && v->kind == TRC_VAR && !vars_)
			return true;
		if (!value_u64(v, vars_, n.v))
			return false;
		n.known = true;
		return true;
	}
	// get(), refused with "WHAT: expected an integer" / "$v is not bound".
	bool integer(const trc_value &v, const std::string &what, Num &n)
	{
		if (get(&v, n))
			return true;
		if (v.kind == TRC_VAR)
			return fail(kExitMalformed, v.line, v.col, what + ": $" + v.s + " is not bound");
		return fail(kExitMalformed, v.line, v.col, what + ": expected an integer");
	}
	bool vm_fd(const trc_value &v, const std::string &what, uint64_t &fd);
	bool stat_known(const std::string &name, uint64_t &milli, bool &time);

	const PlatformSpec &spec_;
	std::string file_;             // as errors name it
	std::unique_ptr<Decoder> dec_; // check(): dma records' checks (made when first needed)
	const VarMap *vars_;
	SimError err_;
	VarMap stand_in_; // check(): a value for each variable of a dma record
	std::function<std::vector<ReportEntry>()> baseline_fn_;
	std::vector<ReportEntry> baseline_;
	bool have_baseline_ = false;
};

bool RecordRules::check(const trc_record &rec)
{
	switch (rec.verb) {
	case TRC_VERB_DMA: {
		// The decoder's checks, each variable standing for a value that
		// passes them (the decoder stopped at the first variable).
		stand_in_.clear();
		for (size_t i = 0; i < rec.nargs; i++)
			if (rec.args[i].value.kind == TRC_VAR)
				stand_in_[rec.args[i].value.s] = 1;
		if (!dec_)
			dec_.reset(new Decoder(spec_, file_));
		DmaOp op;
		return dec_->decode_dma(rec, &stand_in_, op, err_) != Decoder::kFailed;
	}
	case TRC_VERB_MMIO: {
		Mmio m;
		return mmio(rec, m);
	}
	case TRC_VERB_MEM: {
		if (trc_value_is(trc_record_word(&rec, 0), "load")) {
			MemLoad l;
			return mem_load(rec, l);
		}
		Mem m;
		return mem(rec, m);
	}
	case TRC_VERB_CPU: {
		Tlbi t;
		return cpu(rec, t);
	}
	case TRC_VERB_GUEST: {
		Guest g;
		return guest(rec, g);
	}
	case TRC_VERB_VCPU: {
		Vcpu v;
		return vcpu(rec, v);
	}
	case TRC_VERB_EXPECT: {
		Expect e;
		return expect(rec, nullptr, e);
	}
	case TRC_VERB_ATS: {
		Ats a;
		return ats(rec, a);
	}
	case TRC_VERB_PRI: {
		Pri p;
		return pri(rec, p);
	}
	case TRC_VERB_DMAAPI: {
		Dmaapi d;
		return dmaapi(rec, d);
	}
	case TRC_VERB_OPEN:
		return open(rec);
	case TRC_VERB_CLOSE: {
		uint64_t fd;
		return close(rec, fd);
	}
	case TRC_VERB_EVENTFD: {
		uint32_t initval;
		return eventfd(rec, initval);
	}
	case TRC_VERB_MEMFD: {
		uint64_t len;
		return memfd(rec, len);
	}
	case TRC_VERB_MMAP: {
		Mmap m;
		return mmap(rec, m);
	}
	case TRC_VERB_WRITE: {
		Write w;
		return write(rec, w);
	}
	case TRC_VERB_READ: {
		Read r;
		return read(rec, r);
	}
	case TRC_VERB_IOCTL: {
		IoctlCall c;
		return ioctl(rec, c);
	}
	default:
		return true; // wait: nothing but the time; others are not replayed yet
	}
}

bool RecordRules::only_ok(const trc_record &rec, const char *what)
{
	for (size_t i = 0; i < rec.nresults; i++) {
		const trc_arg &r = rec.results[i];
		if (std::strcmp(r.key, "ok") != 0 || r.value.kind != TRC_NONE)
			return fail(kExitMalformed, r.line, r.col,
				    std::string(what) + ": unexpected result '" + r.key + "' (expected ok)");
	}
	return true;
}

bool RecordRules::mmio(const trc_record &rec, Mmio &m)
{
	const trc_value *name = trc_record_word(&rec, 0);
	m.smmu = name && name->kind == TRC_NAME ? spec_.find_smmu(name->s) : -1;
	if (m.smmu < 0)
		return fail(kExitMalformed, rec.line, rec.col, "mmio: unknown smmu");
	m.write = trc_value_is(trc_record_word(&rec, 1), "write");
	Num off, width{32, true}, val{0, true};
	if (!get(trc_record_word(&rec, 2), off))
		return fail(kExitMalformed, rec.line, rec.col, "mmio: expected a register offset");
	if (const trc_value *w = trc_record_arg(&rec, "width")) {
		if (!get(w, width) || (width.known && width.v != 32 && width.v != 64))
			return fail(kExitMalformed, w->line, w->col, "mmio: width= expects 32 or 64");
	}
	const trc_value *vv = trc_record_arg(&rec, "val");
	if (m.write && !get(vv, val))
		return fail(kExitMalformed, rec.line, rec.col, "mmio write: expected val=V");
	if (!m.write && vv)
		return fail(kExitMalformed, vv->line, vv->col,
			    "mmio read: val= is a result here (write `-> val=V`)");
	if (width.known && width.v == 32 && val.known && val.v > UINT32_MAX)
		return fail(kExitMalformed, vv->line, vv->col, "mmio write: val= does not fit in 32 bits");
	for (size_t i = 0; i < rec.nresults; i++) {
		const trc_arg &r = rec.results[i];
		if (std::strcmp(r.key, "ok") == 0 && r.value.kind == TRC_NONE)
			continue;
		if (std::strcmp(r.key, "val") == 0 && !m.write) {
			Num want;
			if (r.value.kind != TRC_VAR && !get(&r.value, want))
				return fail(kExitMalformed, r.value.line, r.value.col,
					    "mmio: val= expects an integer");
			continue;
		}
		return fail(kExitMalformed, r.line, r.col,
			    std::string("mmio: unexpected result '") + r.key +
				    (m.write ? "' (a write asserts ok)" : "' (a read gives val= or ok)"));
	}
	m.off = off.v;
	m.val = val.v;
	m.width = width.v;
	return true;
}

bool RecordRules::mem(const trc_record &rec, Mem &m)
{
	m.write = trc_value_is(trc_record_word(&rec, 0), "write");
	Num pa, count{1, true};
	if (!get(trc_record_word(&rec, 1), pa))
		return fail(kExitMalformed, rec.line, rec.col, "mem: expected a physical address");
	const trc_value *cv = trc_record_arg(&rec, "count");
	if (cv && (!get(cv, count) || (count.known && (count.v == 0 || count.v > (1u << 24)))))
		return fail(kExitMalformed, cv->line, cv->col, "mem: count= expects 1 to 16M");
	// u64=V or u64=[V,...]: the values; with count=N the whole list repeats N
	// times (so `u64=0 count=512` clears a 4 KB table).
	auto flatten = [&](const trc_value *v, std::vector<uint64_t> &out) -> bool {
		Num x;
		if (v->kind == TRC_LIST) {
			for (size_t i = 0; i < v->nitems; i++) {
				if (!get(&v->items[i], x))
					return fail(kExitMalformed, v->items[i].line, v->items[i].col,
						    "mem: u64= list items must be integers");
				out.push_back(x.v);
			}
			return true;
		}
		if (!get(v, x))
			return fail(kExitMalformed, v->line, v->col, "mem: u64= expects an integer or a list");
		out.push_back(x.v);
		return true;
	};
	m.pa = pa.v;
	m.count = count.v;
	if (m.write) {
		const trc_value *uv = trc_record_arg(&rec, "u64");
		if (!uv)
			return fail(kExitMalformed, rec.line, rec.col, "mem write: expected u64=");
		if (!flatten(uv, m.vals))
			return false;
		if (m.vals.empty())
			return fail(kExitMalformed, uv->line, uv->col, "mem write: u64= list is empty");
		return only_ok(rec, "mem write");
	}
	if (const trc_value *uv = trc_record_arg(&rec, "u64"))
		return fail(kExitMalformed, uv->line, uv->col, "mem read: u64= is a result here (write `-> u64=V`)");
	// The expected values decide how many words to read when count is absent.
	for (size_t i = 0; i < rec.nresults; i++) {
		const trc_arg &r = rec.results[i];
		if (std::strcmp(r.key, "u64") == 0)
			m.res_u64 = &r;
		else if (!(std::strcmp(r.key, "ok") == 0 && r.value.kind == TRC_NONE))
			return fail(kExitMalformed, r.line, r.col,
				    std::string("mem read: unexpected result '") + r.key + "' (expected u64= or ok)");
	}
	if (m.res_u64 && m.res_u64->value.kind != TRC_VAR) {
		if (!flatten(&m.res_u64->value, m.vals))
			return false;
		if (m.res_u64->value.kind == TRC_LIST) {
			if (cv && count.known && count.v != m.vals.size())
				return fail(kExitMalformed, cv->line, cv->col,
					    "mem read: count= differs from the number of expected values");
			m.count = m.vals.size();
		}
	}
	return true;
}

bool RecordRules::mem_load(const trc_record &rec, MemLoad &m)
{
	m.path = trc_record_word(&rec, 1);
	Num pa;
	if (!m.path || !trc_value_str(m.path) || !get(trc_record_arg(&rec, "pa"), pa))
		return fail(kExitMalformed, rec.line, rec.col, "mem load: expected PATH pa=ADDR");
	m.pa = pa.v;
	return only_ok(rec, "mem load");
}

bool RecordRules::vm_fd(const trc_value &v, const std::string &what, uint64_t &fd)
{
	Num n;
	if (!integer(v, what, n))
		return false;
	if (n.known && n.v > 0x7fffffff)
		return fail(kExitMalformed, v.line, v.col, not_vm_fd(what, v, n.v));
	fd = n.v;
	return true;
}

bool RecordRules::cpu(const trc_record &rec, Tlbi &c)
{
	const trc_value *opv = trc_record_word(&rec, 1);
	c.op = opv;
	if (!opv || !opv->s || smmu_btm_parse_op(opv->s, &c.t.op) != SMMU_OK)
		return fail(kExitMalformed, opv ? opv->line : rec.line, opv ? opv->col : rec.col,
			    std::string("cpu tlbi: unknown operation '") + (opv && opv->s ? opv->s : "") +
				    "' (VMALLE1IS, ASIDE1IS, VAE1IS, VALE1IS, VAAE1IS, VAALE1IS, IPAS2E1IS, "
				    "IPAS2LE1IS, VMALLS12E1IS, ALLE1IS, ALLE2IS, VAE2IS, ASIDE2IS)");
	Num v;
	c.vm = trc_record_arg(&rec, "vm");
	if (const trc_value *x = trc_record_arg(&rec, "vmid")) {
		if (c.vm)
			return fail(kExitMalformed, c.vm->line, c.vm->col,
				    "cpu tlbi: vm= and vmid= together (vm= means the VM's own KVM VMID)");
		if (!get(x, v) || (v.known && v.v > 0xffff))
			return fail(kExitMalformed, x->line, x->col, "cpu tlbi: vmid= expects 0..0xffff");
		c.t.vmid = (uint16_t)v.v;
	}
	if (c.vm && !vm_fd(*c.vm, "cpu tlbi", c.vm_fd))
		return false;
	if (const trc_value *x = trc_record_arg(&rec, "asid")) {
		if (!get(x, v) || (v.known && v.v > 0xffff))
			return fail(kExitMalformed, x->line, x->col, "cpu tlbi: asid= expects 0..0xffff");
		c.t.asid = (uint16_t)v.v;
	}
	if (const trc_value *x = trc_record_arg(&rec, "va")) {
		if (!get(x, v))
			return fail(kExitMalformed, x->line, x->col, "cpu tlbi: va= expects an address");
		c.t.addr = v.v;
	}
	if (const trc_value *x = trc_record_arg(&rec, "ipa")) {
		if (!get(x, v))
			return fail(kExitMalformed, x->line, x->col, "cpu tlbi: ipa= expects an address");
		c.t.addr = v.v;
	}
	if (rec.nresults)
		return fail(kExitMalformed, rec.results[0].line, rec.results[0].col,
			    "cpu tlbi: takes no results");
	return true;
}

// `guest $vm ...` and `vcpu $vm ...`: kernel refusals (EINVAL for a
// misaligned s1map, EBUSY for a busy CPU) are results (`-> ok`,
// `-> err=EBUSY`); argument values that cannot be what they name are
// malformed.
bool RecordRules::guest(const trc_record &rec, Guest &g)
{
	const trc_value *vmv = trc_record_word(&rec, 0);
	const trc_value *opv = trc_record_word(&rec, 1);
	g.what = std::string("guest ") + (opv && opv->s ? opv->s : "");
	const std::string &what = g.what;
	if (!vm_fd(*vmv, what, g.vm))
		return false;
	// An integer argument up to max (out untouched when absent).
	auto arg = [&](const char *key, uint64_t max, uint64_t &out, Num &n) -> bool {
		n = Num{};
		const trc_value *x = trc_record_arg(&rec, key);
		if (!x)
			return true;
		if (x->kind == TRC_VAR && !get(x, n))
			return fail(kExitMalformed, x->line, x->col, what + ": $" + x->s + " is not bound");
		if (!get(x, n) || (n.known && n.v > max))
			return fail(kExitMalformed, x->line, x->col,
				    what + ": " + key + "= expects an integer up to " + hex(max));
		out = n.v;
		return true;
	};
	Num n;
	if (trc_value_is(opv, "write")) {
		g.op = Guest::kWrite;
		if (!arg("ipa", ~0ull, g.ipa, n) || !arg("count", 1u << 24, g.count, n))
			return false;
		const trc_value *cv = trc_record_arg(&rec, "count");
		if (cv && n.known && g.count == 0)
			return fail(kExitMalformed, cv->line, cv->col, what + ": count= expects 1 to 16M");
		const trc_value *uv = trc_record_arg(&rec, "u64");
		const trc_value *items = uv->kind == TRC_LIST ? uv->items : uv;
		size_t count = uv->kind == TRC_LIST ? uv->nitems : 1;
		for (size_t i = 0; i < count; i++) {
			if (!integer(items[i], what, n))
				return false;
			g.words.push_back(n.v);
		}
		if (g.words.empty())
			return fail(kExitMalformed, uv->line, uv->col, what + ": u64= list is empty");
	} else if (trc_value_is(opv, "s1map")) {
		g.op = Guest::kS1map;
		shim_s1map &m = g.m;
		m.size = sizeof(m);
		uint64_t asid = 0, gran = 0, vab = 0;
		m.pool = SHIM_S1_POOL_AFTER_ROOT;
		if (!arg("ttb", ~0ull, m.ttb, n) || !arg("asid", 0xffff, asid, n) ||
		    !arg("va", ~0ull, m.va, n) || !arg("ipa", ~0ull, m.ipa, n) ||
		    !arg("len", ~0ull, m.len, n) || !arg("granule", 1u << 16, gran, n) ||
		    !arg("va_bits", 64, vab, n) || !arg("pool", ~0ull - 1, m.pool, n))
			return false;
		const trc_value *pv = trc_record_arg(&rec, "perm");
		std::string perm = pv && pv->s ? pv->s : "";
		m.perm = perm == "r" ? SHIM_S1_R : perm == "rw" ? SHIM_S1_R | SHIM_S1_W
				   : perm == "rwx" ? SHIM_S1_R | SHIM_S1_W | SHIM_S1_X : 0;
		if (!m.perm)
			return fail(kExitMalformed, pv ? pv->line : rec.line, pv ? pv->col : rec.col,
				    what + ": perm= expects r, rw or rwx");
		m.asid = (uint32_t)asid;
		m.granule = (uint32_t)gran;
		m.va_bits = (uint32_t)vab;
	} else {
		g.op = Guest::kS1unmap;
		if (!arg("ttb", ~0ull, g.ttb, n) || !arg("va", ~0ull, g.va, n) ||
		    !arg("len", ~0ull, g.len, n))
			return false;
	}
	return results(rec, [](const char *) { return false; }, what);
}

bool RecordRules::vcpu(const trc_record &rec, Vcpu &v)
{
	const trc_value *vmv = trc_record_word(&rec, 0);
	v.load = trc_value_is(trc_record_word(&rec, 1), "load");
	v.what = v.load ? "vcpu load" : "vcpu put";
	if (!vm_fd(*vmv, v.what, v.vm))
		return false;
	Num n;
	const trc_value *cv = trc_record_arg(&rec, "cpu");
	if (!integer(*cv, v.what, n))
		return false;
	if (n.known && n.v > 0xffffffffull)
		return fail(kExitMalformed, cv->line, cv->col, v.what + ": cpu= expects a CPU number");
	v.cpu = n.v;
	if (const trc_value *vv = trc_record_arg(&rec, "vcpu")) {
		if (!integer(*vv, v.what, n))
			return false;
		if (n.known && n.v > 0xffffffffull)
			return fail(kExitMalformed, vv->line, vv->col, v.what + ": vcpu= expects a vCPU id");
		v.vcpu = n.v;
	}
	// `-> ret=` is the VMID index the vCPU runs with (load).
	return results(rec, [](const char *) { return false; }, v.what);
}

// A statistic a report of this platform can have (the run decides whether
// this one has it). The parts of a name that differ from run to run stand
// for those of the baseline: an SMMU's name for the first SMMU's, a
// request's (ioctl.NAME, latency.by_kind.NAME) for kAnyName, an opcode or
// event without an architected name (OP_n, EVENT_n, named after their
// number) for one with a name.
bool RecordRules::stat_known(const std::string &name, uint64_t &milli, bool &time)
{
	if (!have_baseline_) {
		baseline_ = baseline_fn_();
		have_baseline_ = true;
	}
	if (report_lookup(baseline_, name, milli, time))
		return true;
	std::vector<std::string> p;
	size_t a = 0;
	for (size_t i = 0; i <= name.size(); i++)
		if (i == name.size() || name[i] == '.') {
			p.push_back(name.substr(a, i - a));
			a = i + 1;
		}
	auto numbered = [](const std::string &s, const char *prefix) {
		size_t n = std::strlen(prefix);
		return s.size() > n && s.compare(0, n, prefix) == 0 &&
		       s.find_first_not_of("0123456789", n) == std::string::npos;
	};
	auto first_name = [](const char *(*f)(unsigned)) {
		for (unsigned i = 0; i < 256; i++)
			if (const char *s = f(i))
				return std::string(s);
		return std::string();
	};
	bool stand_in = true;
	if (spec_.find_smmu(p[0]) > 0)
		p[0] = spec_.smmus[0].name;
	else if (p[0] == "ioctl" && p.size() >= 2)
		p[1] = kAnyName;
	else if (p[0] == "latency" && p.size() >= 3 && p[1] == "by_kind")
		p[2] = kAnyName;
	else if (p[0] == "commands" && p.size() >= 2 && numbered(p[1], "OP_"))
		p[1] = first_name(smmu_cmd_name);
	else if (p[0] == "invalidations" && p.size() >= 3 && p[1] == "by_op" && numbered(p[2], "OP_"))
		p[2] = first_name(smmu_cmd_name);
	else if (p[0] == "events" && p.size() >= 2 && numbered(p[1], "EVENT_"))
		p[1] = first_name(smmu_event_name);
	else
		stand_in = false;
	if (!stand_in)
		return false;
	std::string n = p[0];
	for (size_t i = 1; i < p.size(); i++)
		n += "." + p[i];
	return report_lookup(baseline_, n, milli, time);
}

bool RecordRules::expect(const trc_record &rec, const StatLookup *lookup, Expect &e)
{
	const trc_value *what = trc_record_word(&rec, 0);
	if (trc_value_is(what, "isolation"))
		return true;
	Num n;
	if (trc_value_is(what, "violation")) {
		const trc_value *kv = trc_record_word(&rec, 1);
		if (!kv || !kv->s || shim_violation_kind_by_name(kv->s) < 0)
			return fail(kExitMalformed, kv ? kv->line : rec.line, kv ? kv->col : rec.col,
				    "expect violation: KIND is cross-domain, stale, alias or "
				    "foreign-invalidation");
		for (size_t i = 0; i < rec.nargs; i++) {
			const trc_arg &a = rec.args[i];
			if (std::strcmp(a.key, "dev") == 0 && a.value.s)
				e.dev = a.value.s;
			else if (std::strcmp(a.key, "owner") == 0 && a.value.s)
				e.owner = a.value.s;
			else if (std::strcmp(a.key, "count") == 0) {
				if (!get(&a.value, n) || (n.known && !n.v))
					return fail(kExitMalformed, a.value.line, a.value.col,
						    "expect violation: count= expects a positive integer");
				e.count = n.v;
			} else
				return fail(kExitMalformed, a.value.line, a.value.col,
					    std::string("expect violation: unknown key '") + a.key +
						    "' (dev=DEVICE, owner=OWNER, count=N: at least N)");
		}
		return true;
	}
	// expect stat NAME OP VALUE
	const trc_value *name = trc_record_word(&rec, 1);
	const trc_value *op = trc_record_word(&rec, 2);
	const trc_value *val = trc_record_word(&rec, 3);
	if (!name || !op || !val || !name->s || !op->s)
		return fail(kExitMalformed, rec.line, rec.col, "expect stat: expected NAME OP VALUE");
	if (!(lookup ? (*lookup)(name->s, e.milli, e.time) : stat_known(name->s, e.milli, e.time)))
		return fail(kExitMalformed, name->line, name->col,
			    std::string("expect stat: unknown statistic '") + name->s +
				    "' (docs/sim.md lists them; the JSON report shows the names)");
	if (val->kind == TRC_DURATION) {
		if (!e.time)
			return fail(kExitMalformed, val->line, val->col,
				    std::string("expect stat: ") + name->s + " is a count, not a time");
		e.want = val->u; // picoseconds = thousandths of a ns
	} else {
		if (!get(val, n) || (n.known && n.v > UINT64_MAX / 1000))
			return fail(kExitMalformed, val->line, val->col, "expect stat: expected a number");
		e.want = n.v * 1000;
	}
	if (std::strcmp(op->s, "==") != 0 && std::strcmp(op->s, "<=") != 0 &&
	    std::strcmp(op->s, ">=") != 0)
		return fail(kExitMalformed, op->line, op->col, "expect stat: expected ==, <= or >=");
	return true;
}

// The device rec names (its first word), which must have the capability
// its verb uses (`ats`, `pri`: declared ats=on, pri=on).
bool RecordRules::capable_device(const trc_record &rec, const char *verb, bool DeviceSpec::*cap,
				 int &dev)
{
	const trc_value *dv = trc_record_word(&rec, 0);
	dev = dv && dv->kind == TRC_NAME ? spec_.find_device(dv->s) : -1;
	if (dev < 0)
		return fail(kExitMalformed, rec.line, rec.col, std::string(verb) + ": unknown device");
	const DeviceSpec &ds = spec_.devices[dev];
	if (!(ds.*cap)) {
		std::string upper = verb;
		for (char &ch : upper)
			ch = (char)std::toupper((unsigned char)ch);
		return fail(kExitUsage, rec.line, rec.col,
			    std::string(verb) + ": device " + ds.name + " has no " + upper +
				    " capability (declare it with " + verb + "=on)");
	}
	return true;
}

bool RecordRules::ats(const trc_record &rec, Ats &a)
{
	if (!capable_device(rec, "ats", &DeviceSpec::ats, a.dev))
		return false;
	Num n;
	const trc_value *av = trc_record_arg(&rec, "addr");
	if (!av)
		return fail(kExitMalformed, rec.line, rec.col, "ats: addr= is required");
	if (!integer(*av, "ats", n))
		return false;
	a.addr = n.v;
	if (const trc_value *sv = trc_record_arg(&rec, "ssid")) {
		if (!integer(*sv, "ats", n))
			return false;
		a.ssid = n.v;
		a.ssv = true;
	}
	for (size_t i = 0; i < rec.nresults; i++) {
		const trc_arg &res = rec.results[i];
		std::string key = res.key;
		if ((key == "ok" && res.value.kind == TRC_NONE) || key == "status" || key == "perm")
			continue;
		if (key != "pa" && key != "size")
			return fail(kExitMalformed, res.line, res.col,
				    "ats: unknown result '" + key + "' (status, pa, size, perm, ok)");
		if (res.value.kind != TRC_VAR && !integer(res.value, "ats", n))
			return false;
	}
	return true;
}

bool RecordRules::pri(const trc_record &rec, Pri &p)
{
	if (!capable_device(rec, "pri", &DeviceSpec::pri, p.dev))
		return false;
	const trc_value *what = trc_record_word(&rec, 1);
	Num n;
	if (const trc_value *pv = trc_record_arg(&rec, "prg")) {
		if (!integer(*pv, "pri", n))
			return false;
		if (n.known && n.v > 0x1FF)
			return fail(kExitMalformed, pv->line, pv->col, "pri: prg= is a 9-bit PRG index (0..511)");
		p.prg = n.v;
	}
	if (const trc_value *sv = trc_record_arg(&rec, "ssid")) {
		if (!integer(*sv, "pri", n))
			return false;
		if (n.known && n.v > 0xFFFFF)
			return fail(kExitMalformed, sv->line, sv->col, "pri: ssid= is a 20-bit PASID");
		p.ssid = n.v;
		p.ssv = true;
	}
	if (trc_value_is(what, "status")) {
		for (size_t i = 0; i < rec.nresults; i++) {
			const trc_arg &res = rec.results[i];
			std::string key = res.key;
			if (key == "resp")
				continue;
			if (key != "count")
				return fail(kExitMalformed, res.line, res.col,
					    "pri status: unknown result '" + key + "' (resp, count)");
			if (!integer(res.value, "pri", n))
				return false;
		}
		return true;
	}
	if (!trc_value_is(what, "stop")) {
		const trc_value *av = trc_record_arg(&rec, "addr");
		if (!av)
			return fail(kExitMalformed, rec.line, rec.col, "pri request: addr= is required");
		if (!integer(*av, "pri", n))
			return false;
		p.addr = n.v;
	}
	for (size_t i = 0; i < rec.nresults; i++) {
		const trc_arg &res = rec.results[i];
		if (std::strcmp(res.key, "status") != 0 && std::strcmp(res.key, "code") != 0)
			return fail(kExitMalformed, res.line, res.col,
				    std::string("pri: unknown result '") + res.key + "' (status, code)");
	}
	return true;
}

// dmaapi DEV map len=N dir=to|from|bidi [pa=P] [cpu=N] -> iova=$v
// dmaapi DEV unmap iova=V len=N [cpu=N]
bool RecordRules::dmaapi(const trc_record &rec, Dmaapi &d)
{
	d.map = trc_value_is(trc_record_word(&rec, 1), "map");
	d.what = d.map ? "dmaapi map" : "dmaapi unmap";
	Num n;
	const trc_value *lv = trc_record_arg(&rec, "len");
	if (!lv)
		return fail(kExitMalformed, rec.line, rec.col, std::string(d.what) + ": len= is required");
	if (!integer(*lv, d.what, n))
		return false;
	d.len = n.v;
	if (const trc_value *cv = trc_record_arg(&rec, "cpu")) {
		if (!integer(*cv, d.what, n))
			return false;
		d.cpu = n.v > 0xffffffffull ? 0xffffffffull : n.v;
	}
	if (d.map) {
		const trc_value *dirv = trc_record_arg(&rec, "dir");
		if (dirv && trc_value_is(dirv, "to"))
			d.dir = SHIM_DMA_TO_DEVICE;
		else if (dirv && trc_value_is(dirv, "from"))
			d.dir = SHIM_DMA_FROM_DEVICE;
		if (const trc_value *pv = trc_record_arg(&rec, "pa")) {
			if (!integer(*pv, d.what, n))
				return false;
			d.pa = n.v;
		}
	} else {
		const trc_value *iv = trc_record_arg(&rec, "iova");
		if (!iv)
			return fail(kExitMalformed, rec.line, rec.col, "dmaapi unmap: iova= is required");
		if (!integer(*iv, d.what, n))
			return false;
		d.iova = n.v;
	}
	bool map = d.map;
	return results(rec, [map](const char *key) { return map && std::strcmp(key, "iova") == 0; },
		       d.what);
}

bool RecordRules::open(const trc_record &rec)
{
	return results(rec, [](const char *) { return false; }, "open");
}

// A record whose arguments are proc= and one integer key: its value (NULL
// when absent); false (after the error) on any other key.
bool RecordRules::one_key(const trc_record &rec, const char *verb, const char *key,
			  const trc_value *&v)
{
	v = nullptr;
	for (size_t i = 0; i < rec.nargs; i++) {
		const trc_arg &a = rec.args[i];
		if (std::strcmp(a.key, "proc") == 0)
			continue;
		if (std::strcmp(a.key, key) != 0)
			return fail(kExitMalformed, a.line, a.col,
				    std::string(verb) + ": unknown key '" + a.key + "' (expected " +
					    key + "= or proc=)");
		v = &a.value;
	}
	return true;
}

// eventfd [initval=N] [proc=NAME] -> fd=$e (1.3)
bool RecordRules::eventfd(const trc_record &rec, uint32_t &initval)
{
	initval = 0;
	const trc_value *v;
	if (!one_key(rec, "eventfd", "initval", v))
		return false;
	if (v) {
		Num n;
		if (!integer(*v, "eventfd", n))
			return false;
		if (n.known && n.v > UINT32_MAX)
			return fail(kExitMalformed, v->line, v->col,
				    "eventfd: initval= is an unsigned int (at most 0xffffffff)");
		initval = (uint32_t)n.v;
	}
	return results(rec, [](const char *) { return false; }, "eventfd");
}

// memfd len=N [proc=NAME] -> fd=$m (1.4): memfd_create() and ftruncate()
// to N bytes
bool RecordRules::memfd(const trc_record &rec, uint64_t &len)
{
	const trc_value *v;
	if (!one_key(rec, "memfd", "len", v))
		return false;
	if (!v)
		return fail(kExitMalformed, rec.line, rec.col, "memfd: len= is required");
	Num n;
	if (!integer(*v, "memfd", n))
		return false;
	len = n.v;
	return results(rec, [](const char *) { return false; }, "memfd");
}

bool RecordRules::close(const trc_record &rec, uint64_t &fd)
{
	Num n;
	if (!integer(*trc_record_word(&rec, 0), "close", n))
		return false;
	fd = n.v;
	return results(rec, [](const char *) { return false; }, "close");
}

bool RecordRules::mmap(const trc_record &rec, Mmap &m)
{
	Num n;
	const trc_value *lv = trc_record_arg(&rec, "len");
	if (!lv)
		return fail(kExitMalformed, rec.line, rec.col, "mmap: len= is required");
	if (!integer(*lv, "mmap", n))
		return false;
	m.len = n.v;
	if (const trc_value *pv = trc_record_arg(&rec, "pa")) {
		if (!integer(*pv, "mmap", n))
			return false;
		m.pa = n.v;
	}
	return results(rec, [](const char *key) { return std::strcmp(key, "addr") == 0; }, "mmap");
}

// write $fault responses=[[cookie,code],...] | cookie=C code=N [len=N]
// (iommu_hwpt_page_response records; code 0 SUCCESS, 1 INVALID)
bool RecordRules::write(const trc_record &rec, Write &w)
{
	Num n, a, b;
	if (!integer(*trc_record_word(&rec, 0), "write", n))
		return false;
	w.fd = n.v;
	if (const trc_value *lv = trc_record_arg(&rec, "responses")) {
		if (lv->kind != TRC_LIST)
			return fail(kExitMalformed, lv->line, lv->col,
				    "write: responses= expects a list of [cookie,code]");
		for (size_t i = 0; i < lv->nitems; i++) {
			const trc_value &e = lv->items[i];
			if (e.kind != TRC_LIST || e.nitems != 2)
				return fail(kExitMalformed, e.line, e.col,
					    "write: responses= expects a list of [cookie,code]");
			if (!integer(e.items[0], "write", a) || !integer(e.items[1], "write", b))
				return false;
			w.words.push_back((uint32_t)a.v);
			w.words.push_back((uint32_t)b.v);
		}
	} else {
		const trc_value *cv = trc_record_arg(&rec, "cookie");
		const trc_value *kv = trc_record_arg(&rec, "code");
		if (!cv || !kv)
			return fail(kExitMalformed, rec.line, rec.col,
				    "write: give responses=[[cookie,code],...] or cookie= and code=");
		if (!integer(*cv, "write", a))
			return false;
		// enum iommufd_page_response_code, with or without its prefix
		if (trc_value_is(kv, "SUCCESS") || trc_value_is(kv, "success") ||
		    trc_value_is(kv, "IOMMUFD_PAGE_RESP_SUCCESS"))
			b = Num{0, true};
		else if (trc_value_is(kv, "INVALID") || trc_value_is(kv, "invalid") ||
			 trc_value_is(kv, "IOMMUFD_PAGE_RESP_INVALID"))
			b = Num{1, true};
		else if (!integer(*kv, "write", b))
			return false;
		w.words.push_back((uint32_t)a.v);
		w.words.push_back((uint32_t)b.v);
	}
	Num len{w.words.size() * 4, true};
	if (const trc_value *lv = trc_record_arg(&rec, "len"))
		if (!integer(*lv, "write", len))
			return false;
	if (len.known && len.v > (64u << 20))
		return fail(kExitMalformed, rec.line, rec.col, "write: len= is limited to 64M");
	w.len = len.v;
	return results(rec, [](const char *) { return false; }, "write");
}

bool RecordRules::read_result(const char *key)
{
	for (const char *k : {"events", "faults", "count", "cookie", "addr"})
		if (std::strcmp(key, k) == 0)
			return true;
	return false;
}

// Fault queue records (iommu_hwpt_pgfault, 40 bytes) as
// `faults=[[flags,dev_id,pasid,grpid,perm,addr,length,cookie],...]`;
// vEVENTQ records as `events=[[flags,sequence,e0,e1,e2,e3],...]`.
bool RecordRules::read(const trc_record &rec, Read &r)
{
	Num n;
	if (!integer(*trc_record_word(&rec, 0), "read", n))
		return false;
	r.fd = n.v;
	Num len{4096, true};
	if (const trc_value *lv = trc_record_arg(&rec, "len"))
		if (!integer(*lv, "read", len))
			return false;
	if (len.known && len.v > (64u << 20))
		return fail(kExitMalformed, rec.line, rec.col, "read: len= is limited to 64M");
	r.len = len.v;
	auto listed = [](const char *key) {
		return std::strcmp(key, "events") == 0 || std::strcmp(key, "faults") == 0;
	};
	for (size_t i = 0; i < rec.nresults; i++) {
		const trc_arg &res = rec.results[i];
		if (!listed(res.key))
			continue;
		if (res.value.kind != TRC_LIST)
			return fail(kExitMalformed, res.value.line, res.value.col,
				    std::strcmp(res.key, "faults") == 0
					    ? "read: faults= expects a list of "
					      "[flags,dev_id,pasid,grpid,perm,addr,length,cookie]"
					    : "read: events= expects a list of [flags,sequence,e0,e1,e2,e3]");
		for (size_t j = 0; j < res.value.nitems; j++) {
			const trc_value &ev = res.value.items[j];
			for (size_t w = 0; ev.kind == TRC_LIST && w < ev.nitems; w++)
				if (!integer(ev.items[w], "read", n))
					return false;
		}
	}
	// events=/faults= are compared as lists: out of the generic pass.
	std::vector<trc_arg> keep;
	trc_record rest = without_results(rec, keep, listed);
	return results(rest, read_result, "read");
}

bool RecordRules::ioctl(const trc_record &rec, IoctlCall &c)
{
	Num n;
	if (!integer(*trc_record_word(&rec, 0), "ioctl", n))
		return false;
	c.fd = n.v;
	const trc_value *reqv = trc_record_word(&rec, 1);
	if (reqv->kind == TRC_NAME) {
		c.rq = shim_uapi_request_by_name(reqv->s);
		if (!c.rq)
			return fail(kExitMalformed, reqv->line, reqv->col,
				    std::string("ioctl: unknown request name '") + reqv->s + "'");
		c.reqno = c.rq->request;
	} else {
		c.reqno = (unsigned long)reqv->u;
		c.rq = shim_uapi_request_find(c.reqno);
	}
	const shim_uapi_request *rq = c.rq;
	c.what = std::string("ioctl ") + (rq ? rq->name : hex(c.reqno).c_str());
	const std::string &what = c.what;
	std::vector<uint8_t> &buf = c.buf;
	std::vector<std::vector<uint8_t>> &payloads = c.payloads;
	using OutPayload = IoctlCall::OutPayload;
	std::vector<OutPayload> bitmap_in; // inline bitmaps the kernel ORs into

	const trc_value *argv = trc_record_arg(&rec, "arg");
	enum shim_arg_kind kind = rq ? rq->arg : (argv ? SHIM_ARG_INT : SHIM_ARG_NONE);
	if (kind == SHIM_ARG_STRING) {
		if (!argv || !(argv->kind == TRC_STRING || argv->kind == TRC_WORD || argv->kind == TRC_NAME))
			return fail(kExitMalformed, rec.line, rec.col, what + ": arg= expects a string");
		c.str_arg = argv->s;
		c.arg = (uint64_t)(uintptr_t)c.str_arg.c_str();
	} else if (kind == SHIM_ARG_INT || kind == SHIM_ARG_INT_PTR) {
		uint64_t v = 0;
		// `arg=TYPE1v2_IOMMU`: the request's `arg` field names its values.
		const shim_uapi_field *af = rq ? shim_uapi_field_find(rq, "arg") : nullptr;
		if (argv && (argv->kind == TRC_NAME || argv->kind == TRC_FLAGS) && af) {
			if (shim_uapi_sym_value(af, argv->s, &v) != 0)
				return fail(kExitMalformed, argv->line, argv->col,
					    what + ": arg=" + argv->s + ": not a value of this argument");
		} else if (argv) {
			if (!integer(*argv, what, n))
				return false;
			v = n.v;
		}
		if (kind == SHIM_ARG_INT_PTR) {
			c.int_holder = (int32_t)v;
			c.arg = (uint64_t)(uintptr_t)&c.int_holder;
		} else {
			c.arg = v;
		}
	} else if (kind == SHIM_ARG_STRUCT) {
		uint64_t size = rq->struct_size;
		const shim_uapi_field *sizef = nullptr;
		for (uint32_t i = 0; i < rq->nfields; i++)
			if (rq->fields[i].flags & SHIM_UF_SIZE)
				sizef = &rq->fields[i];
		Num given{size, true};
		if (sizef)
			if (const trc_value *sv = trc_record_arg(&rec, sizef->name))
				if (!integer(*sv, what, given))
					return false;
		if (given.known && given.v > (1u << 20))
			return fail(kExitMalformed, rec.line, rec.col, what + ": size is limited to 1M here");
		if (!given.known)
			given.v = size;
		buf.assign(std::max<uint64_t>(size, given.v) + 8, 0);
		if (sizef)
			put_le(&buf[sizef->offset], given.v, sizef->width);
		std::vector<bool> set(rq->nfields, false);
		// Fields whose value comes from a variable not known here: the
		// sizes they give are checked with variables only.
		std::vector<bool> unknown(rq->nfields, false);
		if (sizef && !given.known)
			unknown[sizef - rq->fields] = true;
		for (size_t a = 0; a < rec.nargs; a++) {
			const trc_arg &ta = rec.args[a];
			if (std::strcmp(ta.key, "proc") == 0 || (sizef && std::strcmp(ta.key, sizef->name) == 0))
				continue;
			const shim_uapi_field *f = shim_uapi_field_find(rq, ta.key);
			if (f && !(f->flags & SHIM_UF_UPTR)) {
				set[f - rq->fields] = true;
				if (ta.value.kind == TRC_LIST) {
					if (ta.value.nitems > f->count)
						return fail(kExitMalformed, ta.value.line, ta.value.col,
							    what + ": " + f->name + ": " +
								    std::to_string(ta.value.nitems) +
								    " values for " +
								    (f->count == 1 ? std::string("a single value")
										   : "an array of " +
											     std::to_string(f->count)));
					for (size_t j = 0; j < ta.value.nitems; j++) {
						if (!integer(ta.value.items[j], what, n))
							return false;
						unknown[f - rq->fields] = unknown[f - rq->fields] || !n.known;
						put_le(&buf[f->offset + j * f->width], n.v, f->width);
					}
					continue;
				}
				uint64_t v = 0;
				if (ta.value.kind == TRC_NAME || ta.value.kind == TRC_FLAGS) {
					if (shim_uapi_sym_value(f, ta.value.s, &v) != 0)
						return fail(kExitMalformed, ta.value.line, ta.value.col,
							    what + ": " + f->name + "=" + ta.value.s +
								    ": not a value of this field");
				} else {
					if (!integer(ta.value, what, n))
						return false;
					v = n.v;
					unknown[f - rq->fields] = !n.known;
				}
				if (f->flags & SHIM_UF_INT_PTR) {
					// A pointer to an s32 given by its value
					// (KVM_SET_DEVICE_ATTR addr=$fd).
					payloads.emplace_back(4, 0);
					put_le(payloads.back().data(), v, 4);
					v = (uint64_t)(uintptr_t)payloads.back().data();
				}
				put_le(&buf[f->offset], v, f->width);
				continue;
			}
			// A payload behind a user pointer, given inline by its name.
			const shim_uapi_field *pf = nullptr;
			for (uint32_t i = 0; i < rq->nfields; i++)
				if ((rq->fields[i].flags & SHIM_UF_UPTR) && rq->fields[i].payload &&
				    std::strcmp(rq->fields[i].payload, ta.key) == 0)
					pf = &rq->fields[i];
			if (!pf && f)
				pf = f; // the pointer itself, given as an integer
			if (!pf)
				return fail(kExitMalformed, ta.line, ta.col,
					    what + ": no field '" + ta.key + "' in struct of " + rq->name);
			set[pf - rq->fields] = true;
			if (ta.value.kind != TRC_LIST) {
				if (!integer(ta.value, what, n))
					return false;
				put_le(&buf[pf->offset], n.v, pf->width);
				continue;
			}
			unsigned word = pf->word ? pf->word : 8;
			std::vector<uint8_t> pl;
			size_t elems = 0, elem_bytes = 0;
			bool nested = ta.value.nitems && ta.value.items[0].kind == TRC_LIST;
			for (size_t j = 0; j < ta.value.nitems; j++) {
				const trc_value &it = ta.value.items[j];
				size_t before = pl.size();
				const trc_value *ws = it.kind == TRC_LIST ? it.items : &it;
				size_t nw = it.kind == TRC_LIST ? it.nitems : 1;
				for (size_t w = 0; w < nw; w++) {
					if (!integer(ws[w], what, n))
						return false;
					pl.resize(pl.size() + word);
					put_le(&pl[pl.size() - word], n.v, word);
				}
				if (nested) {
					elems++;
					elem_bytes = pl.size() - before;
				}
			}
			if (!nested) {
				elems = 1;
				elem_bytes = pl.size();
			}
			payloads.push_back(pl);
			payloads.back().resize(std::max<size_t>(payloads.back().size(), 1));
			put_le(&buf[pf->offset], (uint64_t)(uintptr_t)payloads.back().data(), pf->width);
			if (pf->payload_out && pf->len_kind == SHIM_PL_BITMAP) {
				// Initial words of a bitmap the kernel ORs into: sized
				// below, once length and page_size are known.
				bitmap_in.push_back({pf, payloads.size() - 1});
				continue;
			}
			// Length fields the trace did not give.
			if (pf->len_field) {
				const shim_uapi_field *lf = shim_uapi_field_find(rq, pf->len_field);
				if (lf && !trc_record_arg(&rec, lf->name)) {
					uint64_t count = pf->len_kind == SHIM_PL_BYTES ? pl.size() : elems;
					put_le(&buf[lf->offset], count, lf->width);
				}
			}
			if (pf->elem_field) {
				const shim_uapi_field *ef = shim_uapi_field_find(rq, pf->elem_field);
				if (ef && !trc_record_arg(&rec, ef->name))
					put_le(&buf[ef->offset], elem_bytes, ef->width);
			}
		}
		// Bitmaps (len_field / elem_field bits in u64 words): the
		// kernel writes every word the range covers. False if too large
		// (known: whether the fields were known).
		auto bitmap_bytes = [&](const shim_uapi_field *pf, uint64_t &bytes, bool &known) {
			const shim_uapi_field *lf = shim_uapi_field_find(rq, pf->len_field);
			const shim_uapi_field *ef = shim_uapi_field_find(rq, pf->elem_field);
			known = !(lf && unknown[lf - rq->fields]) && !(ef && unknown[ef - rq->fields]);
			uint64_t len = lf ? get_le(&buf[lf->offset], lf->width, false) : 0;
			uint64_t unit = ef ? get_le(&buf[ef->offset], ef->width, false) : 0;
			uint64_t bits = unit ? len / unit + (len % unit != 0) : 0;
			bytes = (bits + 63) / 64 * 8;
			if (!known)
				bytes = 0;
			return bytes <= (16u << 20);
		};
		bool known;
		for (const OutPayload &o : bitmap_in) {
			uint64_t bytes;
			if (!bitmap_bytes(o.f, bytes, known))
				return fail(kExitMalformed, rec.line, rec.col, what + ": bitmap too large");
			std::vector<uint8_t> &pl = payloads[o.idx];
			if (pl.size() < bytes)
				pl.resize(bytes, 0);
			put_le(&buf[o.f->offset], (uint64_t)(uintptr_t)pl.data(), o.f->width);
			c.outs.push_back(o);
		}
		// Payloads the kernel writes: room for what the length field asks
		// (or 64 elements / 4 KiB when the trace leaves it out).
		for (uint32_t i = 0; i < rq->nfields; i++) {
			const shim_uapi_field *pf = &rq->fields[i];
			if (!(pf->flags & SHIM_UF_UPTR) || !pf->payload_out || set[i])
				continue;
			if (pf->len_kind == SHIM_PL_BITMAP) {
				uint64_t bytes;
				if (!bitmap_bytes(pf, bytes, known))
					return fail(kExitMalformed, rec.line, rec.col,
						    what + ": bitmap too large");
				payloads.emplace_back(std::max<uint64_t>(bytes, 8), 0);
				put_le(&buf[pf->offset], (uint64_t)(uintptr_t)payloads.back().data(),
				       pf->width);
				c.outs.push_back({pf, payloads.size() - 1});
				continue;
			}
			const shim_uapi_field *lf = pf->len_field ? shim_uapi_field_find(rq, pf->len_field) : nullptr;
			uint64_t count = lf ? get_le(&buf[lf->offset], lf->width, false) : 0;
			if (lf && !trc_record_arg(&rec, lf->name)) {
				count = pf->len_kind == SHIM_PL_BYTES ? 4096 : 64;
				put_le(&buf[lf->offset], count, lf->width);
			}
			if (lf && unknown[lf - rq->fields])
				count = 0;
			uint64_t esz = pf->elem_size ? pf->elem_size : 8;
			uint64_t bytes = pf->len_kind == SHIM_PL_BYTES ? count : count * esz;
			if (bytes > (16u << 20))
				return fail(kExitMalformed, rec.line, rec.col, what + ": payload too large");
			payloads.emplace_back(std::max<uint64_t>(bytes, 1), 0);
			put_le(&buf[pf->offset], (uint64_t)(uintptr_t)payloads.back().data(), pf->width);
			c.outs.push_back({pf, payloads.size() - 1});
		}
		c.arg = (uint64_t)(uintptr_t)buf.data();
	}

	// Results: output payloads as lists of words, the rest as the struct's
	// output fields.
	for (size_t i = 0; i < rec.nresults; i++) {
		const trc_arg &r = rec.results[i];
		if (!c.out(r.key))
			continue;
		if (r.value.kind != TRC_LIST)
			return fail(kExitMalformed, r.value.line, r.value.col,
				    what + ": " + r.key + "= expects a list");
		std::vector<uint64_t> want;
		for (size_t j = 0; j < r.value.nitems; j++) {
			const trc_value &it = r.value.items[j];
			const trc_value *ws = it.kind == TRC_LIST ? it.items : &it;
			size_t nw = it.kind == TRC_LIST ? it.nitems : 1;
			for (size_t w = 0; w < nw; w++) {
				if (!integer(ws[w], what, n))
					return false;
				want.push_back(n.v);
			}
		}
		c.lists.emplace_back(&r, std::move(want));
	}
	std::vector<trc_arg> keep;
	trc_record rest = without_results(rec, keep, [&](const char *key) { return c.out(key) != nullptr; });
	return results(rest, [&](const char *key) {
		uint64_t v;
		return c.field(key, v);
	}, what, rq);
}

bool RecordRules::results(const trc_record &rec, const std::function<bool(const char *)> &known,
			  const std::string &what, const shim_uapi_request *rq)
{
	Num n;
	for (size_t i = 0; i < rec.nresults; i++) {
		const trc_arg &r = rec.results[i];
		if (std::strcmp(r.key, "ok") == 0 && r.value.kind == TRC_NONE)
			continue;
		if (std::strcmp(r.key, "err") == 0) {
			if (!r.value.s || errno_by_name(r.value.s) < 0)
				return fail(kExitMalformed, r.value.line, r.value.col,
					    what + ": err= expects an errno name (EINVAL, ENOENT ...)");
			continue;
		}
		if (std::strcmp(r.key, "ret") != 0 && std::strcmp(r.key, "fd") != 0 && !known(r.key))
			return fail(kExitMalformed, r.line, r.col, unknown_result(what, r.key));
		if (r.value.kind == TRC_VAR)
			continue; // bound by the call
		// An ioctl's field that names its values (an enum, flags) takes the
		// names in results as in arguments: `out_data_type=ARM_SMMUV3`.
		const shim_uapi_field *sf = rq && (r.value.kind == TRC_NAME || r.value.kind == TRC_FLAGS)
						? shim_uapi_field_find(rq, r.key)
						: nullptr;
		uint64_t sym;
		if (sf && shim_uapi_sym_value(sf, r.value.s, &sym) == 0)
			continue;
		if (!integer(r.value, what, n))
			return false;
	}
	return true;
}

// ---------------------------------------------------------------- driver

// The driver's quantum keeper, asking SystemC for the time once per sync
// rather than on every DMA: the driver's thread waits nowhere but in
// sync(), so the kernel's time cannot move between two resets.
class DriverQuantumKeeper : public tlm_utils::tlm_quantumkeeper {
public:
	void reset() override
	{
		tlm_utils::tlm_quantumkeeper::reset();
		stamp_ = sc_core::sc_time_stamp();
	}
	bool need_sync() const override
	{
		assert(stamp_ == sc_core::sc_time_stamp());
		return stamp_ + m_local_time >= m_next_sync_point;
	}
	sc_core::sc_time get_current_time() const override
	{
		assert(stamp_ == sc_core::sc_time_stamp());
		return stamp_ + m_local_time;
	}

private:
	sc_core::sc_time stamp_;
};

class ReplayDriver : public sc_core::sc_module {
public:
	SC_HAS_PROCESS(ReplayDriver);

	ReplayDriver(sc_core::sc_module_name name, Platform &p, const PlatformSpec &spec,
		     RunStats &stats, OpSource &src, Decoder &dec, std::string trace,
		     RunOutcome &outcome, SimError &error)
		: sc_module(name), p_(p), spec_(spec), stats_(stats), src_(src), dec_(dec),
		  trace_(std::move(trace)), outcome_(outcome), error_(error),
		  check_(spec, dec.file(), nullptr), rules_(spec, dec.file(), &vars_)
	{
		check_.set_baseline([this]() { return stat_baseline(spec_, *p_.smmus[0]); });
		tlm_utils::tlm_quantumkeeper::set_global_quantum(
			sc_time::from_value(spec.plat.quantum_ps));
		qk_.reset();
		for (size_t i = 0; i < spec.devices.size(); i++) {
			const DeviceSpec &d = spec.devices[i];
			// (port: once the platform is bound, at the start of run())
			dev_.push_back(DevPath{{}, p.devices[i].get(), d.name.c_str(), d.smmu, nullptr});
		}
		kernel_.reset(new KernelHost(p, spec));
		if (spec.kernel.oracle) {
			cmdq_oracle_ = shim_cmdq_oracle_create((unsigned)p.smmus.size());
			stats_.cmdq_oracle = cmdq_oracle_;
			for (DevPath &d : dev_)
				d.quiet_mark = shim_cmdq_oracle_quiet_mark(cmdq_oracle_, d.smmu);
		}
		SC_THREAD(run);
	}
	~ReplayDriver() override
	{
		unbind_origin();
		stats_.cmdq_oracle = nullptr;
		stats_.oracle_kernel = nullptr;
		shim_cmdq_oracle_destroy(cmdq_oracle_);
	}

	// The SMMUs back to an origin of their own (the last record line): the
	// driver's statistics may go before them.
	void unbind_origin()
	{
		for (auto &m : p_.smmus)
			smmu_set_origin(m->model(), stats_.record_line);
	}

private:
	void run();
	bool exec_dma(const DmaOp &d, const Op &op, const trc_record *rec);
	// What every DMA does once the SMMU module has answered it (timeline,
	// oracles, statistics, the event interrupt; the caller then hands
	// delay to the quantum keeper): shared by
	// exec_dma() and lane_dma() (kLane: no timeline, no kernel booted, as
	// run() made sure). Returns its kind.
	template <bool kLane>
	RunStats::DmaKind account_dma(uint32_t dev, uint64_t addr, uint32_t ssid, bool ssv,
				      bool write, uint32_t len, const DmaResult &res, uint64_t start,
				      const sc_time &delay, uint32_t line);
	// A dma the reader's lane took that asserts nothing, of a device on the
	// SMMU module's direct path, while no kernel, timer or timeline needs
	// a look at it: exec_dma() without the op (run() decides).
	// local: the quantum keeper's local time, kept by the caller (its
	// reload from memory would sit on the chain from one DMA's end to the
	// next one's start).
	void lane_dma(const trc_dma &ld, uint32_t dev, sc_time &local);
	// run()'s loop over such DMAs, a function of its own (so that the
	// rest of run() does not crowd its registers): up to the first record
	// that is not one, returned as the op the source gives for it.
	const Op *run_lane(InlineSource &inl, ProgressSource *prog);
	bool exec_record(const trc_record &rec);
	bool exec_mmio(const trc_record &rec);
	bool exec_mem(const trc_record &rec);
	bool exec_mem_load(const trc_record &rec);
	bool exec_cpu(const trc_record &rec);
	bool exec_guest(const trc_record &rec);
	bool exec_vcpu(const trc_record &rec);
	bool vm_fd(const trc_record &rec, const trc_value *v, const std::string &what, uint64_t x,
		   int &fd, std::string &proc);
	bool exec_expect(const trc_record &rec);
	bool exec_process(const trc_record &rec);
	bool exec_ioctl(const trc_record &rec);
	bool syscall_results(const trc_record &rec, const std::string &proc, int64_t ret,
			     const std::function<bool(const char *, uint64_t &)> &field,
			     const char *what, const shim_uapi_request *rq = nullptr);
	std::string proc_of(const trc_record &rec, const trc_value *fdv);
	void collect_kernel();
	void kernel_done(const shim_call &c, const std::string &who);
	void latency_request(const shim_call &c, const std::string &who);
	bool unsupported(const trc_record &rec, const std::string &why);
	bool ok_results(const trc_record &rec, bool ok, const std::string &why);
	// A record RecordRules refused (rules_: with the variables).
	bool rule_failed()
	{
		error_ = rules_.error();
		return false;
	}

	uint64_t now_ps() const { return qk_.get_current_time().value(); }
	// The kernel's timers (the DMA API's flush-queue timeout): the next one
	// due, in ps (UINT64_MAX: none armed), and running those due by target.
	uint64_t next_timer_ps_ = UINT64_MAX;
	void refresh_timers();
	void run_timers_until(uint64_t target_ps);
	bool exec_dmaapi(const trc_record &rec, shim *k, shim_call &c, uint64_t now_ns);
	bool exec_ats(const trc_record &rec);
	bool exec_pri(const trc_record &rec);
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
	// The reader has checked the binding (bound once, or again after
	// `dmaapi unmap` released it): a rebinding replaces the value in place,
	// so a ring of names keeps vars_ as small as the ring.
	bool bind(const trc_arg &r, uint64_t v)
	{
		vars_[r.value.s] = v;
		return true;
	}

	Platform &p_;
	const PlatformSpec &spec_;
	RunStats &stats_;
	OpSource &src_;
	Decoder &dec_;
	std::string trace_;
	RunOutcome &outcome_;
	SimError &error_;
	DriverQuantumKeeper qk_;
	// Per device, what its DMAs need, in one place (with thousands of
	// devices a DMA finds them in one host cache line).
	struct DevPath {
		PcieFunction::DmaPort port;
		PcieFunction *fn;
		const char *name;
		uint32_t smmu;
		// The bare-metal stale check's test (shim_cmdq_oracle_quiet_mark)
		const uint32_t *quiet_mark;
		// sim.direct_dma and no ATC: the SMMU module's direct path, port
		SmmuModule *direct = nullptr;
		uint32_t direct_port = 0;
	};
	std::vector<DevPath> dev_;
	VarMap vars_;
	std::unordered_map<std::string, std::string> var_proc_; // fd variable -> its process
	// What records must be: check_ without variables (as `smmusim check`),
	// before a record runs and on what follows a stop; rules_ with them.
	RecordRules check_;
	RecordRules rules_;
	std::unique_ptr<KernelHost> kernel_;
	std::vector<bool> viol_expected_; // per kernel violation: covered by `expect violation`
	// The bare-metal stale check and what it found (kept after the kernel's
	// violations in the report).
	shim_cmdq_oracle *cmdq_oracle_ = nullptr;
	std::vector<RunStats::Violation> bm_viol_;
	// (the result's fields passed by value: a DmaResult passed by
	// reference would keep the caller's in memory, copied there field by
	// field on every DMA's path)
	void bare_metal_check(uint32_t dev, uint64_t addr, uint32_t ssid, uint64_t pa, uint8_t hit,
			      const smmu_xlate_result &x, uint32_t line);
	// New violations as instant events on the timeline (--perfetto).
	size_t tl_kviol_ = 0, tl_bmviol_ = 0;
	void timeline_violations();
	// The record being executed: the oracles learn its line, and cache
	// entries remember it as the record that inserted them (provenance).
	// Every SMMU reads it from stats_.record_line (smmu_bind_origin(), from
	// the start of run() until the driver goes): a store per record, no call.
	void note_record(uint32_t line)
	{
		stats_.record_line = line;
		if (kernel_ && kernel_->booted())
			shim_oracle_set_record(kernel_->k(), line);
	}
	void bind_origin()
	{
		for (auto &m : p_.smmus)
			smmu_bind_origin(m->model(), &stats_.record_line);
	}
	bool check_violations();
	std::string stop_note_;
	bool unsupported_ = false; // stopped on something not supported yet
	std::string last_why_;     // the last system call's shim_call::why

public:
	// Why the replay stopped, when a malformed record later took precedence.
	const std::string &stop_note() const { return stop_note_; }
};

// A byte the reader has just stored, read alone: compilers join tests of
// neighbouring bytes into one wider load, which has to wait until those
// stores have reached the cache (it cannot be served from them).
static inline uint8_t byte_of(const uint8_t &b)
{
	return *static_cast<const volatile uint8_t *>(&b);
}

void ReplayDriver::run()
{
	bool ok = true;
	for (size_t i = 0; i < dev_.size(); i++) {
		DevPath &d = dev_[i];
		d.port = d.fn->dma_port();
		if (spec_.plat.direct_dma && !d.port.atc) {
			d.direct = p_.smmus[spec_.devices[i].smmu].get();
			d.direct_port = spec_.devices[i].port;
		}
	}
	bind_origin();
	if (!spec_.deferred.empty()) {
		const Setting &d = spec_.deferred.front();
		unsupported_ = true;
		ok = fail(kExitUsage, d.pos.line, d.pos.col,
			  "not supported yet: parameter " + d.key + "=" + d.value +
				  " belongs to the kernel-interface model");
	}
	// The trace read in this thread (a progress line or not): a dma of
	// the reader's lane is run from the lane's record when nothing but
	// the SMMU module needs it (lane_dma()), else turned into an op like
	// every other record.
	ProgressSource *prog = dynamic_cast<ProgressSource *>(&src_);
	InlineSource *inl = dynamic_cast<InlineSource *>(prog ? prog->inner() : &src_);
	// Whether lane_dma() may run a DMA: no kernel booted (no oracle, no
	// interrupt handler, no timer), no timeline. Only a record that is
	// not a lane DMA can change that.
	bool quiet = false;
	while (ok) {
		const Op *op = inl && quiet ? run_lane(*inl, prog) : src_.next();
		if (op->kind == OpKind::kEnd)
			break;
		if (op->kind == OpKind::kError) {
			error_ = src_.error();
			ok = false;
			break;
		}
		stats_.records++;
		if (op->has_stamp) {
			run_timers_until(op->stamp_ps);
			advance_to(op->stamp_ps);
		}
		// (now_ps() asks SystemC for the time: only when a timer is armed)
		if (next_timer_ps_ != UINT64_MAX && next_timer_ps_ <= now_ps()) {
			run_timers_until(now_ps());
		}
		if (op->kind == OpKind::kDma) {
			ok = exec_dma(op->dma, *op, nullptr);
		} else {
			ok = exec_record(*op->rec);
		}
		quiet = next_timer_ps_ == UINT64_MAX && !stats_.timeline && !kernel_->booted();
	}
	stats_.sim_time_ps = now_ps();
	// Let the kernel reach the end of the last record, so interrupts and
	// MSIs due by then are delivered before the report is taken.
	qk_.sync();
	collect_kernel();
	if (ok)
		ok = check_violations();
	if (!ok && error_.status != kExitMalformed) {
		// A malformed trace is reported as such wherever the replay stopped
		// (an assertion, a record not supported yet): read the rest, and
		// check its records as `smmusim check` does, up to the first refused.
		for (;;) {
			const Op *op = src_.next();
			if (op->kind == OpKind::kEnd)
				break;
			SimError e;
			if (op->kind == OpKind::kError)
				e = src_.error();
			else if (op->kind != OpKind::kRecord || check_.check(*op->rec))
				continue;
			else
				e = check_.error();
			if (e.status == kExitMalformed) {
				stop_note_ = error_.msg;
				error_ = e;
			}
			break;
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

// The kernel's VMID log and KVM's allocator, for the report; and the BTM
// warning: an SMMU that listens to broadcast TLBIs under a policy that does
// not keep KVM's and the SMMUs' VMIDs apart.
void ReplayDriver::collect_kernel()
{
	if (!kernel_ || !kernel_->booted()) {
		stats_.oracle = cmdq_oracle_ ? "stale-only" : "off";
		stats_.violations = bm_viol_;
		return;
	}
	shim *k = kernel_->k();
	struct shim_vmid_stats vs{};
	if (shim_vmid_stats(k, &vs) != 0)
		return;
	stats_.vmids_known = true;
	stats_.vmid_policy = vs.policy;
	stats_.viommu_vmid_own = vs.viommu_vmid_own;
	stats_.vmid_separates = vs.separates;
	stats_.kvm_bits = vs.kvm_bits;
	stats_.kvm_cpus = vs.kvm_cpus;
	stats_.kvm_generation = vs.kvm_generation;
	stats_.kvm_rollovers = vs.kvm_rollovers;
	stats_.kvm_pinned = vs.kvm_pinned;
	stats_.kvm_max_pinned = vs.kvm_max_pinned;
	stats_.vmid_moves = vs.moves;
	if (shim_dma_stats(k, &stats_.dma) == 0 && (stats_.dma.maps || stats_.dma.failures)) {
		stats_.dma_api_known = true;
		stats_.dma_strict = spec_.kernel.iommu_strict;
	}
	struct shim_kvm_stats ks{};
	ks.size = sizeof(ks);
	if (shim_kvm_stats(k, &ks) == 0) {
		stats_.kvm_known = true;
		stats_.kvm_vms = ks.vms_created;
		stats_.vcpu_loads = ks.vcpu_loads;
		stats_.vcpu_puts = ks.vcpu_puts;
		stats_.kvm_vmid_allocs = ks.vmid_allocs;
		stats_.kvm_flushes = ks.flushes;
		stats_.kvm_flush_removed = ks.flush_removed;
	}
	stats_.vmids.clear();
	for (size_t i = 0, n = shim_vmid_count(k); i < n; i++) {
		shim_vmid_info v{};
		if (shim_vmid_at(k, i, &v) != 0)
			break;
		RunStats::VmidRecord r;
		r.smmu = v.smmu;
		r.vmid = v.vmid;
		r.source = v.source;
		r.owner = v.owner;
		r.kind = v.kind;
		r.why = v.why;
		r.live = v.live;
		r.t_alloc_ns = v.t_alloc_ns;
		r.t_free_ns = v.t_free_ns;
		r.stes = v.stes;
		r.stes_max = v.stes_max;
		r.moved_from = v.moved_from;
		r.moved_to = v.moved_to;
		r.moves = v.moves;
		stats_.vmids.push_back(r);
	}
	stats_.oracle = spec_.kernel.oracle ? "on" : "off";
	size_t nv = shim_violation_count(k);
	viol_expected_.resize(nv, false);
	stats_.violations.clear();
	for (size_t i = 0; i < nv; i++) {
		shim_violation v{};
		if (shim_violation_at(k, i, &v) != 0)
			break;
		RunStats::Violation r;
		r.kind = shim_violation_kind_name(v.kind);
		r.device = v.device;
		r.hit = v.hit;
		r.owner = v.owner;
		r.other = v.other;
		r.detail = v.detail;
		r.inserted_for = v.inserted_for;
		r.entry_base = v.entry_base;
		r.entry_size = v.entry_size;
		r.entry_out = v.entry_out;
		r.line = v.line;
		r.origin_line = v.origin_line;
		r.smmu = v.smmu;
		r.sid = v.sid;
		r.ssid = v.ssid;
		r.world = v.world;
		r.vmid = v.vmid;
		r.asid = v.asid;
		r.addr = v.addr;
		r.pa = v.pa;
		r.expected = viol_expected_[i];
		stats_.violations.push_back(r);
	}
	stats_.violations.insert(stats_.violations.end(), bm_viol_.begin(), bm_viol_.end());
	stats_.btm_smmus.clear();
	stats_.warnings.clear();
	for (const SmmuSpec &sp : spec_.smmus)
		if (sp.cfg.btm) {
			stats_.btm_smmus.push_back(sp.name);
			if (!vs.separates)
				stats_.warnings.push_back(
				    sp.name + ": BTM is on (CR2.PTM clear) but policy.vmid=" + vs.policy +
				    " does not keep KVM's and the SMMU's VMIDs apart: a guest's broadcast "
				    "TLBIs reach SMMU entries tagged with its KVM VMID, whoever owns them "
				    "(BTM needs shared or split VMIDs)");
		}
}

// The bare-metal stale check: a DMA served from a cached translation that a
// TLBI of the trace, completed by a CMD_SYNC, should have removed. Called by
// exec_dma() only for a TLB hit whose SMMU completed an invalidation since
// the entry's walk (the oracle's quiet mark).
void ReplayDriver::bare_metal_check(uint32_t dev, uint64_t addr, uint32_t ssid, uint64_t pa,
				    uint8_t hit, const smmu_xlate_result &x, uint32_t line)
{
	const DevPath &dp = dev_[dev];
	shim_cmdq_dma c{};
	c.smmu = dp.smmu;
	c.device = dp.name;
	c.sid = dp.port.sid;
	c.ssid = ssid;
	c.addr = addr;
	c.pa = pa;
	c.cycle = x.done >= x.cycles ? x.done - x.cycles : 0;
	c.hit = smmu_hit_name((smmu_hit)hit);
	c.world = x.world;
	c.vmid = x.vmid;
	c.asid = x.asid;
	c.global = x.entry_global;
	c.level = x.entry_level;
	c.entry_base = x.entry_base;
	c.entry_size = x.entry_size;
	c.entry_out = x.entry_out;
	c.walk_origin = x.walk_origin;
	c.entry_sid = x.entry_sid;
	c.line = line;
	shim_violation v; // filled (memset first) only when a violation is found
	if (shim_cmdq_oracle_dma(cmdq_oracle_, &c, &v) != 1)
		return;
	RunStats::Violation r;
	r.kind = shim_violation_kind_name(v.kind);
	r.device = v.device;
	r.hit = v.hit;
	r.owner = v.owner;
	r.detail = v.detail;
	r.inserted_for = v.inserted_for;
	r.entry_base = v.entry_base;
	r.entry_size = v.entry_size;
	r.entry_out = v.entry_out;
	r.line = v.line;
	r.origin_line = v.origin_line;
	r.smmu = v.smmu;
	r.sid = v.sid;
	r.ssid = v.ssid;
	r.world = v.world;
	r.vmid = v.vmid;
	r.asid = v.asid;
	r.addr = v.addr;
	r.pa = v.pa;
	bm_viol_.push_back(r);
}

void ReplayDriver::timeline_violations()
{
	Timeline *tl = stats_.timeline;
	if (!tl)
		return;
	auto emit = [&](const shim_violation &v) {
		std::string a = "\"line\": " + std::to_string(v.line) + ", \"smmu\": " +
				std::to_string(v.smmu) + ", \"vmid\": " + std::to_string(v.vmid);
		auto str = [&](const char *k, const char *val) {
			if (!val || !*val)
				return;
			a += std::string(", \"") + k + "\": \"";
			for (const char *p = val; *p; p++) {
				if (*p == '"' || *p == '\\')
					a += '\\';
				a += (unsigned char)*p < 0x20 ? ' ' : *p;
			}
			a += "\"";
		};
		str("owner", v.owner);
		str("other", v.other);
		str("device", v.device);
		str("served_by", v.hit);
		str("inserted_for", v.inserted_for);
		if (v.origin_line)
			a += ", \"inserted_at_line\": " + std::to_string(v.origin_line);
		if (v.entry_size) {
			char b[96];
			snprintf(b, sizeof(b), ", \"entry\": \"[0x%llx, +0x%llx) -> 0x%llx\"",
				 (unsigned long long)v.entry_base, (unsigned long long)v.entry_size,
				 (unsigned long long)v.entry_out);
			a += b;
		}
		str("detail", v.detail);
		tl->violation(shim_violation_kind_name(v.kind), now_ps(), a);
	};
	if (kernel_ && kernel_->booted()) {
		size_t n = shim_violation_count(kernel_->k());
		for (; tl_kviol_ < n; tl_kviol_++) {
			shim_violation v{};
			if (shim_violation_at(kernel_->k(), tl_kviol_, &v) == 0)
				emit(v);
		}
	}
	for (; tl_bmviol_ < bm_viol_.size(); tl_bmviol_++) {
		const RunStats::Violation &r = bm_viol_[tl_bmviol_];
		shim_violation v{};
		v.kind = (unsigned)shim_violation_kind_by_name(r.kind.c_str());
		v.line = r.line;
		v.smmu = r.smmu;
		v.vmid = r.vmid;
		v.origin_line = r.origin_line;
		v.entry_base = r.entry_base;
		v.entry_size = r.entry_size;
		v.entry_out = r.entry_out;
		snprintf(v.device, sizeof(v.device), "%s", r.device.c_str());
		snprintf(v.hit, sizeof(v.hit), "%s", r.hit.c_str());
		snprintf(v.owner, sizeof(v.owner), "%s", r.owner.c_str());
		snprintf(v.inserted_for, sizeof(v.inserted_for), "%s", r.inserted_for.c_str());
		snprintf(v.detail, sizeof(v.detail), "%s", r.detail.c_str());
		emit(v);
	}
}

// A violation no `expect violation` covered ends the replay with exit 3
// (after the report is written, like every other ending).
bool ReplayDriver::check_violations()
{
	for (const auto &v : stats_.violations)
		if (!v.expected)
			return fail(kExitViolation, v.line, 1,
				    "isolation violation: " + v.kind + ": " + v.detail +
					    (stats_.violations.size() > 1
						     ? " (" + std::to_string(stats_.violations.size()) +
							       " in all; the report lists them)"
						     : ""));
	return true;
}

template <bool kLane>
__attribute__((always_inline)) inline RunStats::DmaKind
ReplayDriver::account_dma(uint32_t dev, uint64_t addr, uint32_t ssid, bool ssv, bool write,
			  uint32_t len, const DmaResult &res, uint64_t start, const sc_time &delay,
			  uint32_t line)
{
	const DevPath &dp = dev_[dev];
	if (!kLane && stats_.timeline) {
		uint64_t base = sc_core::sc_time_stamp().value();
		stats_.timeline->dma(dev, base + start, base + delay.value(), res.hit,
				     (uint8_t)res.outcome, res.event, addr, res.pa, write);
	}
	if (!kLane && kernel_->booted()) {
		// The oracle: did this DMA reach a page its owner may reach now?
		shim_dma_check chk{};
		chk.dev = dev;
		chk.addr = addr;
		chk.ssid = ssid;
		chk.ssv = ssv;
		chk.translated = res.outcome == SMMU_XLATE_OK;
		chk.pa = res.pa;
		const smmu_xlate_result &x = *res.xlate;
		chk.world = x.world;
		chk.vmid = x.vmid;
		chk.asid = x.asid;
		chk.hit = smmu_hit_name((smmu_hit)res.hit);
		chk.origin = x.walk_origin;
		chk.entry_sid = x.entry_sid;
		chk.entry_base = x.entry_base;
		chk.entry_size = x.entry_size;
		chk.entry_out = x.entry_out;
		chk.line = line;
		shim_oracle_dma(kernel_->k(), &chk);
	} else if (cmdq_oracle_ && *dp.quiet_mark > res.xlate->walk_origin &&
		   res.outcome == SMMU_XLATE_OK && res.xlate->entry_size &&
		   (res.hit == SMMU_HIT_UTLB || res.hit == SMMU_HIT_MTLB || res.hit == SMMU_HIT_TLB)) {
		// Only translations served from a TLB can be stale, and only after
		// an invalidation completed since their walk (the usual case: none):
		// decided here, on every DMA's path; the check itself out of line.
		bare_metal_check(dev, addr, ssid, res.pa, res.hit, *res.xlate, line);
	}
	if (!kLane && stats_.timeline)
		timeline_violations();
	// What software can see decides: a fault is a termination with an event
	// in the event queue; an event the SMMU raised but did not record
	// (suppressed, queue off or full) leaves a plain abort (TRACE-FORMAT.md:
	// `fault=` names the event recorded, `abort` a termination without one).
	if (res.outcome == SMMU_XLATE_OK && !res.bus_error && !res.event) {
		// The usual DMA: translated, accepted, no event to raise
		stats_.add_dma(delay.value() - start, res.hit, RunStats::kDmaOk, write, len);
		stats_.mix_dma_result(RunStats::kDmaOk, res.pa, 0);
		return RunStats::kDmaOk;
	}
	bool recorded = res.event && res.event_recorded;
	RunStats::DmaKind kind;
	if (res.outcome == SMMU_XLATE_OK)
		kind = res.bus_error ? RunStats::kDmaBusError : RunStats::kDmaOk;
	else
		kind = recorded ? RunStats::kDmaFault : RunStats::kDmaAbort;
	stats_.add_dma(delay.value() - start, res.hit, kind, write, len);
	stats_.mix_dma_result(kind, res.outcome == SMMU_XLATE_OK ? res.pa : 0,
			      res.outcome == SMMU_XLATE_OK ? 0 : res.event);
	// The SMMU raises its event-queue interrupt: the kernel's handler runs
	// (events of nested masters reach their vEVENTQ).
	if (!kLane && recorded && kernel_->booted()) {
		kernel_->irq(dp.smmu, SMMU_IRQ_EVENTQ, sc_core::sc_time_stamp().value() + delay.value());
	}
	stats_.failures += kind != RunStats::kDmaOk;
	return kind;
}

__attribute__((always_inline)) inline void ReplayDriver::lane_dma(const trc_dma &ld,
								   uint32_t dev, sc_time &local)
{
	const DevPath &dp = dev_[dev];
	stats_.record_line = ld.line; // note_record(): no kernel has booted
	sc_time delay = local;
	uint64_t start = delay.value();
	smmu_txn t;
	t.port = dp.direct_port;
	t.sid = dp.port.sid;
	t.ssid = ld.has_ssid ? (uint32_t)ld.ssid : 0;
	t.ssv = ld.has_ssid;
	t.addr = ld.addr;
	t.len = (uint32_t)ld.len;
	t.write = ld.write;
	// priv and exec in one store: the model reads the two bytes in one
	// load, which waits for the stores before it unless one covers both
	static_assert(offsetof(smmu_txn, exec) == offsetof(smmu_txn, priv) + 1, "adjacent");
	// (the reader's flags are 0 or 1)
	uint16_t priv_exec = (uint16_t)(ld.priv | ld.exec << 8);
	std::memcpy(&t.priv, &priv_exec, sizeof(priv_exec));
	DmaResult res;
	dp.direct->direct_txn(t, dp.port.pool, delay, res);
	account_dma<true>(dev, t.addr, t.ssid, t.ssv, t.write, t.len, res, start, delay, ld.line);
	qk_.set(delay);
	if (qk_.need_sync()) {
		qk_.sync();
		local = qk_.get_local_time();
	} else {
		local = delay;
	}
}

__attribute__((noinline)) const Op *ReplayDriver::run_lane(InlineSource &inl,
							    ProgressSource *prog)
{
	sc_time local = qk_.get_local_time();
	// The device of the last DMA: DMAs come in runs of one device. Its
	// dev_line is the line of the device record the reader matched the
	// name to (trc_dma), which names one device for the whole loop.
	uint32_t cur_line = 0; // (no device record is on line 0)
	int cur_dev = -1;
	for (;;) {
		const trc_dma *ld = inl.next_lane();
		if (!ld)
			return src_.next();
		if (byte_of(ld->result) != TRC_DMA_RES_NONE || byte_of(ld->has_stamp) ||
		    (ld->has_ssid && ld->ssid > UINT32_MAX) || ld->len - 1 >= PcieFunction::kMaxLen)
			break;
		if (ld->dev_line != cur_line) {
			int dev = dec_.lane_device(*ld);
			if (dev < 0 || !dev_[dev].direct)
				break;
			cur_line = ld->dev_line;
			cur_dev = dev;
		}
		stats_.records++;
		lane_dma(*ld, (uint32_t)cur_dev, local);
		if (prog)
			prog->lane_record();
	}
	const Op *op = inl.lane_op();
	return prog ? prog->note(op) : op;
}

bool ReplayDriver::exec_dma(const DmaOp &d, const Op &op, const trc_record *rec)
{
	const DevPath &dp = dev_[d.dev];
	uint32_t line = op.line ? op.line : (rec ? rec->line : 0);
	note_record(line);
	sc_time delay = qk_.get_local_time();
	uint64_t start = delay.value();
	DmaRequest req{d.addr, d.len, d.ssid, d.ssv, d.write, d.priv, d.exec};
	DmaResult res;
	if (dp.direct)
		dp.direct->direct_dma(dp.direct_port, dp.port.sid, dp.port.pool, req, delay, res);
	else
		PcieFunction::dma(dp.port, req, delay, res);
	RunStats::DmaKind kind = account_dma<false>(d.dev, d.addr, d.ssv ? d.ssid : 0, d.ssv, d.write,
						    d.len, res, start, delay, line);
	qk_.set(delay);
	if (qk_.need_sync())
		qk_.sync();
	bool recorded = res.event && res.event_recorded;
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

// A record whose only legal result is `ok` (RecordRules::only_ok): assert
// success (`why` says what went wrong instead).
bool ReplayDriver::ok_results(const trc_record &rec, bool ok, const std::string &why)
{
	for (size_t i = 0; i < rec.nresults; i++) {
		const trc_arg &r = rec.results[i];
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
	if (rec.verb != TRC_VERB_DMA) // exec_dma stamps its own
		note_record(rec.line);
	// What the record alone shows wrong is refused first, as `smmusim
	// check` refuses it, whatever the run would have stopped on.
	if (!check_.check(rec)) {
		error_ = check_.error();
		return false;
	}
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
		const trc_value *dv = trc_record_word(&rec, 0);
		trc_value_ps(dv, &ps);
		if (ps > UINT64_MAX - now_ps())
			return fail(kExitMalformed, rec.line, dv ? dv->col : rec.col,
				    "wait: simulated time would pass 2^64 ps (about 213 days), "
				    "the longest run the simulator keeps time for");
		stats_.waits++;
		uint64_t target = now_ps() + ps;
		run_timers_until(target);
		if (now_ps() < target)
			advance_to(target);
		return true;
	}
	case TRC_VERB_EXPECT:
		return exec_expect(rec);
	case TRC_VERB_ATS:
		return exec_ats(rec);
	case TRC_VERB_PRI:
		return exec_pri(rec);
	case TRC_VERB_GUEST:
		return exec_guest(rec);
	case TRC_VERB_VCPU:
		return exec_vcpu(rec);
	case TRC_VERB_OPEN:
	case TRC_VERB_CLOSE:
	case TRC_VERB_MMAP:
	case TRC_VERB_IOCTL:
	case TRC_VERB_READ:
	case TRC_VERB_WRITE:
	case TRC_VERB_DMAAPI:
	case TRC_VERB_EVENTFD:
	case TRC_VERB_MEMFD:
		return exec_process(rec);
	default:
		return unsupported(rec, "this record");
	}
}

bool ReplayDriver::exec_mmio(const trc_record &rec)
{
	RecordRules::Mmio m;
	if (!rules_.mmio(rec, m))
		return rule_failed();
	const trc_value *name = trc_record_word(&rec, 0);
	bool write = m.write;
	uint64_t off = m.off, val = m.val;
	unsigned width = (unsigned)m.width;
	qk_.sync();
	sc_time delay = qk_.get_local_time();
	tlm::tlm_response_status st = write ? p_.cpu->mmio_write((unsigned)m.smmu, off, width / 8, val, delay)
					    : p_.cpu->mmio_read((unsigned)m.smmu, off, width / 8, val, delay);
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
	// (the results' form: RecordRules::mmio)
	for (size_t i = 0; i < rec.nresults; i++) {
		const trc_arg &r = rec.results[i];
		if (std::strcmp(r.key, "ok") == 0) {
			if (!bus_ok)
				return assertion(r.line, r.col, "expected ok, got bus error (mmio " + hex(off) + ")");
			continue;
		}
		if (r.value.kind == TRC_VAR) {
			if (!bus_ok)
				return assertion(r.line, r.col, "cannot bind $" + std::string(r.value.s) +
									": bus error (mmio " + hex(off) + ")");
			bind(r, val);
			continue;
		}
		uint64_t want = 0;
		value_u64(&r.value, &vars_, want);
		if (!bus_ok || val != want)
			return assertion(r.line, r.col, "expected val=" + hex(want) + ", got " + got +
								" (mmio " + name->s + " read " + hex(off) + ")");
	}
	return true;
}

bool ReplayDriver::exec_mem(const trc_record &rec)
{
	if (trc_value_is(trc_record_word(&rec, 0), "load"))
		return exec_mem_load(rec);
	RecordRules::Mem m;
	if (!rules_.mem(rec, m))
		return rule_failed();
	uint64_t pa = m.pa, count = m.count;
	qk_.sync();
	sc_time delay = qk_.get_local_time();
	if (m.write) {
		std::vector<uint8_t> bytes(m.vals.size() * count * 8);
		size_t at = 0;
		for (uint64_t i = 0; i < count; i++)
			for (uint64_t v : m.vals)
				for (int b = 0; b < 8; b++)
					bytes[at++] = (uint8_t)(v >> (8 * b));
		tlm::tlm_response_status st = p_.cpu->mem_write(pa, bytes.data(), bytes.size(), delay);
		qk_.set(delay);
		stats_.mem_writes++;
		bool ok = st == tlm::TLM_OK_RESPONSE;
		if (!ok) {
			stats_.mem_errors++;
			stats_.failures++;
		}
		return ok_results(rec, ok, "got an address error (mem write " + hex(pa) + ": outside memory)");
	}
	const std::vector<uint64_t> &want = m.vals;
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
		if (&r != m.res_u64)
			continue;
		if (r.value.kind == TRC_VAR) {
			bind(r, got[0]);
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
	RecordRules::MemLoad m;
	if (!rules_.mem_load(rec, m))
		return rule_failed();
	const trc_value *path = m.path;
	uint64_t pa = m.pa;
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
	return ok_results(rec, ok, "but the image runs past the end of memory");
}

bool ReplayDriver::exec_cpu(const trc_record &rec)
{
	RecordRules::Tlbi c;
	if (!rules_.cpu(rec, c))
		return rule_failed();
	struct smmu_btm_tlbi t = c.t;
	const trc_value *opv = c.op, *vmv = c.vm;
	int fd = 0;
	std::string proc;
	if (vmv) {
		// A PE running that VM: its TLBIs carry the VM's current KVM VMID.
		if (!vm_fd(rec, vmv, "cpu tlbi", c.vm_fd, fd, proc))
			return false;
		uint32_t id = 0;
		if (shim_kvm_vm_vmid(kernel_->k(), proc.c_str(), fd, &id) != 0)
			return fail(kExitMalformed, vmv->line, vmv->col,
				    std::string("cpu tlbi: vm=$") + (vmv->s ? vmv->s : "") +
					    " is not a KVM VM fd of process " + proc);
		t.vmid = (uint16_t)id;
	}
	qk_.sync();
	sc_time delay = qk_.get_local_time();
	stats_.cpu_tlbis++;
	uint32_t removed = p_.cpu->tlbi(t, delay);
	stats_.cpu_tlbi_removed += removed;
	qk_.set(delay);
	if (vmv && kernel_->booted()) {
		// A guest's TLBI that removed SMMU entries of another owner.
		// ASIDE1IS, VAE1IS and VALE1IS name one ASID: the guest has
		// invalidated only that address space's entries.
		bool one_asid = t.op == SMMU_BTM_ASIDE1IS || t.op == SMMU_BTM_VAE1IS ||
				t.op == SMMU_BTM_VALE1IS;
		shim_oracle_tlbi(kernel_->k(), proc.c_str(), fd, t.vmid,
				 one_asid ? t.asid : SHIM_TLBI_ALL_ASIDS, removed);
		if (stats_.timeline)
			stats_.timeline->cpu_tlbi(proc, opv->s,
						  sc_core::sc_time_stamp().value() + delay.value(),
						  "\"vmid\": " + std::to_string(t.vmid) +
							  ", \"removed\": " + std::to_string(removed));
	}
	timeline_violations();
	return true;
}

// ---------------------------------------------------------------- guests and vCPUs
//
// `guest $vm ...` is the guest storing into its own memory (untimed: the
// guest's CPU time is not modelled); `vcpu $vm load|put` is KVM scheduling
// a vCPU in or out on a physical CPU, a kernel path whose time (the VMID
// update, a rollover's flush) advances the replay like a system call.
// What their arguments must be: RecordRules::guest and vcpu.

// The VM fd x that v gives (RecordRules checked its value): a VM only once
// the kernel runs.
bool ReplayDriver::vm_fd(const trc_record &rec, const trc_value *v, const std::string &what,
			 uint64_t x, int &fd, std::string &proc)
{
	if (!kernel_->booted())
		return fail(kExitMalformed, v->line, v->col, RecordRules::not_vm_fd(what, *v, x));
	fd = (int)x;
	proc = proc_of(rec, v);
	return true;
}

bool ReplayDriver::exec_guest(const trc_record &rec)
{
	RecordRules::Guest g;
	if (!rules_.guest(rec, g))
		return rule_failed();
	int fd;
	std::string proc;
	if (!vm_fd(rec, trc_record_word(&rec, 0), g.what, g.vm, fd, proc))
		return false;
	shim *k = kernel_->k();
	int rc;
	if (g.op == RecordRules::Guest::kWrite) {
		std::vector<uint8_t> bytes;
		bytes.reserve(g.words.size() * 8 * g.count);
		for (uint64_t c = 0; c < g.count; c++)
			for (uint64_t w : g.words)
				for (int b = 0; b < 8; b++)
					bytes.push_back((uint8_t)(w >> (8 * b)));
		rc = shim_guest_write(k, proc.c_str(), fd, g.ipa, bytes.data(), bytes.size());
		stats_.guest_writes++;
	} else if (g.op == RecordRules::Guest::kS1map) {
		rc = shim_guest_s1map(k, proc.c_str(), fd, &g.m);
		stats_.guest_s1maps++;
	} else {
		rc = shim_guest_s1unmap(k, proc.c_str(), fd, g.ttb, g.va, g.len, 0, 0);
		stats_.guest_s1unmaps++;
	}
	auto no_field = [](const char *, uint64_t &) { return false; };
	return syscall_results(rec, proc, rc, no_field, g.what.c_str());
}

bool ReplayDriver::exec_vcpu(const trc_record &rec)
{
	RecordRules::Vcpu v;
	if (!rules_.vcpu(rec, v))
		return rule_failed();
	int fd = -1;
	std::string proc;
	if (!vm_fd(rec, trc_record_word(&rec, 0), v.what, v.vm, fd, proc))
		return false;
	shim_call c{};
	c.size = sizeof(c);
	int rc = shim_kvm_vcpu(kernel_->k(), proc.c_str(), fd, (unsigned)v.vcpu, (unsigned)v.cpu, v.load,
			       now_ps() / 1000, &c);
	if (stats_.timeline && rc >= 0)
		stats_.timeline->vcpu(proc, fd, (unsigned)v.vcpu, (unsigned)v.cpu, v.load, now_ps());
	uint64_t end = c.end_ns * 1000, now = now_ps();
	if (end > now) {
		qk_.inc(sc_time::from_value(end - now));
		if (qk_.need_sync())
			qk_.sync();
	}
	// `-> ret=` is the VMID index the vCPU runs with (load).
	auto no_field = [](const char *, uint64_t &) { return false; };
	return syscall_results(rec, proc, rc, no_field, v.what.c_str());
}

// ---------------------------------------------------------------- process records
//
// open/close/mmap/ioctl/read become system calls of the emulated kernel
// (uapi_shim). The kernel boots (the driver probes the SMMUs) at the first
// of them. A call starts now and the process's next record starts when it
// returned: its simulated duration (kernel CPU costs and every wait for the
// SMMU) advances the replay's time.

std::string ReplayDriver::proc_of(const trc_record &rec, const trc_value *fdv)
{
	if (const trc_value *p = trc_record_arg(&rec, "proc"))
		if (p->s)
			return p->s;
	if (fdv && fdv->kind == TRC_VAR) {
		auto it = var_proc_.find(fdv->s);
		if (it != var_proc_.end())
			return it->second;
	}
	return "vmm0";
}

// An invalidating system call as a latency request: its time split into the
// kernel's own work, command insertion, queue space, and per CMD_SYNC wait
// the SMMU's side (RunStats::find_sync: the critical path from the first
// covered command's arrival to the SYNC's completion) plus the time until
// the kernel saw it. The SMMU's path is clipped to the wait: the part that
// ran while the kernel was still publishing (the PROD write's own cost) is
// the kernel's.
void ReplayDriver::latency_request(const shim_call &c, const std::string &who)
{
	uint32_t ninv = 0;
	for (uint32_t i = 0; i < c.ncmds && i < SHIM_CALL_MAX_OPS; i++) {
		uint8_t op = c.cmds[i];
		ninv += (op >= SMMU_CMD_CFGI_STE && op <= SMMU_CMD_CFGI_VMS_PIDM) ||
			(op >= SMMU_CMD_TLBI_NH_ALL && op <= SMMU_CMD_TLBI_NSNH_ALL) ||
			op == SMMU_CMD_ATC_INV;
	}
	if (!ninv)
		return;
	LatRequest r;
	r.kind = c.request ? c.request : "syscall";
	r.who = who;
	r.line = stats_.record_line;
	r.start_ps = c.start_ns * 1000;
	r.cmds = c.ncmds;
	uint64_t total = c.end_ns > c.start_ns ? (c.end_ns - c.start_ns) * 1000 : 0;
	uint64_t *ps = r.parts.ps;
	ps[kPartCmdq] += c.t_cmdq_insert * 1000;
	ps[kPartQueue] += c.t_cmdq_space * 1000;
	ps[kPartSyncWait] += c.t_wait_more * 1000;
	for (uint32_t i = 0; i < c.nwaits && i < SHIM_CALL_MAX_WAITS; i++) {
		const shim_sync_wait &w = c.waits[i];
		uint64_t begin = w.begin_ns * 1000, end = w.end_ns * 1000;
		uint64_t wait = end > begin ? end - begin : 0;
		const SyncBreakdown *sb = stats_.find_sync(w.smmu, w.sync_index);
		uint64_t smmu_side = 0;
		if (sb) {
			// Clip: drop what ran before the wait began, and anything past its end.
			uint64_t skip = begin > sb->arrive_ps ? begin - sb->arrive_ps : 0;
			uint64_t room = wait;
			static const LatPart order[] = {kPartQueue, kPartHost, kPartFetch, kPartCmdq,
							kPartInval, kPartTbu, kPartAtc, kPartSyncWait};
			for (LatPart p : order) {
				uint64_t v = sb->parts.ps[p];
				uint64_t cut = v < skip ? v : skip;
				v -= cut;
				skip -= cut;
				if (v > room)
					v = room;
				room -= v;
				// The SMMU's idle gaps waiting for the host are the kernel's work.
				ps[p] += v;
				smmu_side += v;
			}
		}
		ps[kPartSyncWait] += wait - smmu_side; // until the kernel saw it
	}
	uint64_t accounted = r.parts.total();
	if (accounted <= total)
		ps[kPartHost] += total - accounted;
	else
		total = accounted; // never: the parts lie inside the call
	stats_.add_request(std::move(r));
}

// ats DEV translate addr=A [ssid=N] -> status=ok|ur|ca pa=P size=S perm=rw|r|none
// An ATS Translation Request: across the link to the device's SMMU, answered
// by smmu_ats_translate, back across the link; a completion that grants
// access fills the device's ATC (later DMAs to that range go out
// Translated). The device waits for the completion.
bool ReplayDriver::exec_ats(const trc_record &rec)
{
	RecordRules::Ats a;
	if (!rules_.ats(rec, a))
		return rule_failed();
	const DeviceSpec &ds = spec_.devices[a.dev];
	PcieFunction &dev = *dev_[a.dev].fn; // with an ATC (ats=on)
	uint64_t addr = a.addr, ssid = a.ssid;
	SmmuModule &m = *p_.smmus[ds.smmu];
	uint64_t link = spec_.plat.ats_link_ps;
	uint64_t at_ps = now_ps() + spec_.plat.ats_treq_ps + link;
	smmu_ats_req q{};
	q.port = ds.port;
	q.sid = ds.sid;
	q.ssv = a.ssv;
	q.ssid = (uint32_t)ssid;
	q.addr = addr;
	smmu_ats_result r{};
	uint64_t cyc = m.clock().cycle_at(at_ps);
	if (smmu_ats_translate(m.model(), &q, cyc, &r) != SMMU_OK)
		return fail(kExitUsage, rec.line, rec.col, "ats: the SMMU model refused the request");
	uint64_t back_ps = m.clock().start_ps(r.done) + link;
	stats_.ats_treqs++;
	const char *status = r.status == SMMU_ATS_OK ? "ok" : r.status == SMMU_ATS_UR ? "ur" : "ca";
	const char *perm = r.read && r.write ? "rw" : r.read ? "r" : r.write ? "w" : "none";
	if (r.status == SMMU_ATS_OK && (r.read || r.write)) {
		pcie_ats_entry e{r.addr, r.size, r.pa, (uint32_t)ssid, q.ssv, r.read, r.write, rec.line};
		pcie_ats_fill(dev.atc(), &e);
	}
	if (back_ps > now_ps())
		advance_to(back_ps);
	// (the results' form: RecordRules::ats)
	for (size_t i = 0; i < rec.nresults; i++) {
		const trc_arg &res = rec.results[i];
		std::string key = res.key;
		if (key == "ok") {
			if (r.status != SMMU_ATS_OK)
				return assertion(res.line, res.col, std::string("expected ok, got status=") + status);
			continue;
		}
		if (key == "status" || key == "perm") {
			const char *got = key == "status" ? status : perm;
			if (res.value.kind == TRC_VAR)
				continue; // a name binds (the reader keeps the binding); no integer to store
			if (!trc_value_is(&res.value, got)) {
				const char *want = trc_value_str(&res.value);
				return assertion(res.line, res.col,
						 "expected " + key + "=" + (want ? want : "?") + ", got " + got);
			}
			continue;
		}
		uint64_t v;
		if (key == "pa" && r.status != SMMU_ATS_OK && res.value.kind == TRC_VAR)
			return assertion(res.line, res.col,
					 std::string("cannot bind $") + res.value.s +
					     ": expected a PA, got status=" + status + " (ats)");
		if (key == "pa")
			v = r.pa + (r.status == SMMU_ATS_OK && r.size ? (addr & (r.size - 1)) : 0);
		else
			v = r.size;
		if (res.value.kind == TRC_VAR) {
			bind(res, v);
			continue;
		}
		uint64_t want = 0;
		value_u64(&res.value, &vars_, want);
		if (want != v)
			return assertion(res.line, res.col,
					 "expected " + key + "=" + hex(want) + ", got " + hex(v) + " (ats)");
	}
	return true;
}

// pri DEV request addr=A prg=N [ssid=N] [dir=read|write|rw] [last] [priv] [exec]
//     [-> status=queued|auto|dropped code=success|invalid|failure]
// pri DEV stop ssid=N prg=N
// pri DEV status prg=N [ssid=N] -> resp=success|invalid|failure|none [count=N]
// A PCIe Page Request Message (or a Stop Marker) crosses the link to the
// device's SMMU (smmu_pri_request); a queued one raises the PRI queue
// interrupt and the kernel model's handler runs. `status` is the function
// waiting for its group's PRG Response: the latest one the SMMU sent for that
// PRG index (CMD_PRI_RESP or automatic), once it has crossed the link back.
static const char *pri_code_name(uint8_t code)
{
	return code == SMMU_PRI_CODE_SUCCESS ? "success"
	       : code == SMMU_PRI_CODE_INVALID ? "invalid"
					       : "failure";
}

bool ReplayDriver::exec_pri(const trc_record &rec)
{
	RecordRules::Pri p;
	if (!rules_.pri(rec, p))
		return rule_failed();
	const DeviceSpec &ds = spec_.devices[p.dev];
	SmmuModule &m = *p_.smmus[ds.smmu];
	uint64_t link = spec_.plat.ats_link_ps;
	const trc_value *what = trc_record_word(&rec, 1);
	uint64_t prg = p.prg, ssid = p.ssid;

	if (trc_value_is(what, "status")) {
		const auto *v = m.pri_responses(ds.sid, (uint16_t)prg);
		const SmmuModule::PriResponse *got = nullptr;
		size_t count = 0;
		if (v) {
			for (const auto &r : *v)
				if (!p.ssv || !r.ssv || r.ssid == ssid) {
					got = &r;
					count++;
				}
		}
		if (got && got->ps + link > now_ps())
			advance_to(got->ps + link);
		std::string resp = got ? pri_code_name(got->code) : "none";
		// (the results' form: RecordRules::pri)
		for (size_t i = 0; i < rec.nresults; i++) {
			const trc_arg &res = rec.results[i];
			std::string key = res.key;
			if (key == "resp" && res.value.kind == TRC_VAR) {
				// a name binds (the reader keeps the binding); no integer to store
			} else if (key == "resp") {
				if (!trc_value_is(&res.value, resp.c_str())) {
					const char *want = trc_value_str(&res.value);
					return assertion(res.line, res.col,
							 std::string("expected resp=") + (want ? want : "?") + ", got resp=" +
							     resp + " (pri " + ds.name + " prg=" + std::to_string(prg) + ")");
				}
			} else {
				uint64_t want = 0;
				value_u64(&res.value, &vars_, want);
				if (want != count)
					return assertion(res.line, res.col,
							 "expected count=" + std::to_string(want) + ", got " +
							     std::to_string(count) + " (pri responses)");
			}
		}
		return true;
	}

	smmu_ppr q{};
	q.sid = ds.sid;
	q.prgi = (uint16_t)prg;
	q.ssv = p.ssv;
	q.ssid = (uint32_t)ssid;
	if (trc_value_is(what, "stop")) {
		q.last = true; // L,W,R = 1,0,0 with a PASID
	} else {
		q.addr = p.addr;
		const trc_value *dirv = trc_record_arg(&rec, "dir");
		q.read = !dirv || !trc_value_is(dirv, "write");
		q.write = dirv && (trc_value_is(dirv, "write") || trc_value_is(dirv, "rw"));
		for (size_t i = 2; i < rec.nwords; i++) {
			const trc_value *w = &rec.words[i];
			q.last |= trc_value_is(w, "last");
			q.priv |= trc_value_is(w, "priv");
			q.exec |= trc_value_is(w, "exec");
		}
	}
	uint64_t at_ps = now_ps() + link;
	smmu_ppr_result r{};
	if (smmu_pri_request(m.model(), &q, m.clock().cycle_at(at_ps), &r) != SMMU_OK)
		return fail(kExitUsage, rec.line, rec.col, "pri: the SMMU model refused the request");
	stats_.pri_requests++;
	const char *status = r.outcome == SMMU_PPR_QUEUED ? "queued"
			     : r.outcome == SMMU_PPR_AUTO ? "auto"
							  : "dropped";
	// The driver's PRI queue thread runs on the interrupt.
	if (r.outcome == SMMU_PPR_QUEUED && kernel_ && kernel_->booted()) {
		shim_call c{};
		c.size = sizeof(c);
		if (stats_.timeline)
			stats_.timeline->begin_call();
		shim_irq(kernel_->k(), ds.smmu, SMMU_IRQ_PRIQ, m.clock().start_ps(r.done) / 1000, &c);
		kernel_done(c, "kernel");
	}
	for (size_t i = 0; i < rec.nresults; i++) {
		const trc_arg &res = rec.results[i];
		std::string key = res.key;
		const char *got = key == "status" ? status
				  : (r.outcome == SMMU_PPR_AUTO ? pri_code_name(r.code) : "none"); // code
		if (res.value.kind == TRC_VAR)
			continue; // a name binds (the reader keeps the binding); no integer to store
		if (!trc_value_is(&res.value, got)) {
			const char *want = trc_value_str(&res.value);
			return assertion(res.line, res.col,
					 "expected " + key + "=" + (want ? want : "?") + ", got " +
					     std::string(got) + " (pri " + ds.name + ")");
		}
	}
	return true;
}

void ReplayDriver::refresh_timers()
{
	uint64_t due = kernel_ && kernel_->booted() ? shim_timer_due(kernel_->k()) : UINT64_MAX;
	next_timer_ps_ = due == UINT64_MAX || due > UINT64_MAX / 1000 ? UINT64_MAX : due * 1000;
}

void ReplayDriver::run_timers_until(uint64_t target_ps)
{
	while (next_timer_ps_ <= target_ps && kernel_ && kernel_->booted()) {
		if (next_timer_ps_ > now_ps())
			advance_to(next_timer_ps_);
		shim_call c{};
		c.size = sizeof(c);
		uint64_t now_ns = now_ps() / 1000;
		if (stats_.timeline)
			stats_.timeline->begin_call();
		int ran = shim_run_timers(kernel_->k(), now_ns, &c);
		if (ran > 0) {
			stats_.dma_timer_runs++;
			stats_.dma_timer_ps += (c.end_ns - c.start_ns) * 1000;
			stats_.dma_cmds += c.ncmds;
			stats_.dma_syncs += c.syncs;
			kernel_done(c, "kernel");
		}
		refresh_timers();
		if (ran <= 0)
			break;
	}
}

// dmaapi DEV map len=N dir=to|from|bidi [pa=P] [cpu=N] -> iova=$v
// dmaapi DEV unmap iova=V len=N [cpu=N]
bool ReplayDriver::exec_dmaapi(const trc_record &rec, shim *k, shim_call &c, uint64_t now_ns)
{
	const trc_value *dv = trc_record_word(&rec, 0);
	int dev = dv && dv->kind == TRC_NAME ? shim_device_index(k, dv->s) : -1;
	if (dev < 0)
		return fail(kExitMalformed, rec.line, rec.col, "dmaapi: unknown device");
	RecordRules::Dmaapi d;
	if (!rules_.dmaapi(rec, d))
		return rule_failed();
	bool map = d.map;
	uint64_t iova = d.iova;
	c.request = map ? "dma_map" : "dma_unmap";
	c.start_ns = c.end_ns = now_ns;
	int rc;
	if (map)
		rc = shim_dma_map(k, (uint32_t)dev, d.pa, d.len, d.dir, (uint32_t)d.cpu, now_ns, &iova, &c);
	else
		rc = shim_dma_unmap(k, (uint32_t)dev, iova, d.len, (uint32_t)d.cpu, now_ns, &c);
	uint64_t took = c.end_ns > c.start_ns ? (c.end_ns - c.start_ns) * 1000 : 0;
	(map ? stats_.dma_map_ps : stats_.dma_unmap_ps) += took;
	if (map && rc == 0)
		stats_.dmaapi_bytes += d.len;
	stats_.dma_cmds += c.ncmds;
	stats_.dma_syncs += c.syncs;
	kernel_done(c, "kernel");
	refresh_timers();
	auto field = [&](const char *key, uint64_t &v) {
		if (!map || std::strcmp(key, "iova") != 0)
			return false;
		v = iova;
		return true;
	};
	return syscall_results(rec, "kernel", rc, field, d.what);
}

void ReplayDriver::kernel_done(const shim_call &c, const std::string &who)
{
	stats_.syscalls++;
	last_why_ = c.err ? c.why : "";
	latency_request(c, who);
	if (stats_.timeline) {
		std::string a = "\"line\": " + std::to_string(stats_.record_line) +
				", \"errno\": " + std::to_string(c.err) +
				", \"cmds\": " + std::to_string(c.ncmds) +
				", \"syncs\": " + std::to_string(c.syncs);
		stats_.timeline->syscall(who, c.request ? c.request : "syscall", c.start_ns * 1000,
					 c.end_ns * 1000, a);
		timeline_violations();
	}
	// The oracle: a call that issued a CMD_SYNC must not return before the
	// SMMU completed it (what it invalidated may still be in use).
	uint64_t late_done = 0;
	for (const auto &sy : stats_.recent_syncs)
		if (sy.first >= c.start_ns * 1000 && sy.second > c.end_ns * 1000 && sy.second > late_done)
			late_done = sy.second;
	stats_.recent_syncs.clear();
	if (c.syncs && late_done && kernel_ && kernel_->booted()) {
		shim_violation v{};
		v.kind = SHIM_VIOL_STALE;
		v.asid = 0x10000;
		snprintf(v.owner, sizeof(v.owner), "%s", "kernel");
		snprintf(v.other, sizeof(v.other), "%s", "kernel");
		snprintf(v.detail, sizeof(v.detail),
			 "%s returned at %llu ns, before its CMD_SYNC completed at %llu ns: what it "
			 "invalidated was reported gone while still usable",
			 c.request ? c.request : "a system call", (unsigned long long)c.end_ns,
			 (unsigned long long)(late_done / 1000));
		shim_oracle_report(kernel_->k(), &v);
	}
	uint64_t end = c.end_ns * 1000, now = now_ps();
	if (end > now) {
		qk_.inc(sc_time::from_value(end - now));
		if (qk_.need_sync())
			qk_.sync();
	}
}

// Results of a system call: `ok`, `err=ENAME`, `ret=V|$v` and, through
// `field`, the output fields of the uapi struct (`out_ioas_id=$ioas`). `fd`
// is the return value unless the struct has a field of that name. A failed
// call with results that need success fails the assertion; one without
// results only counts as a failure. (Their form: RecordRules::results;
// `field` may know fewer names than it, for an fd of another kind.)
bool ReplayDriver::syscall_results(const trc_record &rec, const std::string &proc, int64_t ret,
				   const std::function<bool(const char *, uint64_t &)> &field,
				   const char *what, const shim_uapi_request *rq)
{
	int err = ret < 0 ? (int)-ret : 0;
	const char *en = err ? errno_name(err) : nullptr;
	std::string got = err ? std::string("err=") + (en ? en : std::to_string(err)) : "success";
	// the kernel model's reason, where an errno alone does not show it
	if (err && !last_why_.empty())
		got += ": " + last_why_;
	last_why_.clear();
	if (err)
		stats_.failures++;
	// A failed call's fields compare only beside the err= it was expected
	// to fail with (HWPT_INVALIDATE's entry_num): without one, a value
	// asserts the call's success (an in/out field keeps its input when the
	// call fails, which must not pass for the result).
	bool err_expected = false;
	for (size_t i = 0; i < rec.nresults; i++)
		err_expected |= std::strcmp(rec.results[i].key, "err") == 0;
	for (size_t i = 0; i < rec.nresults; i++) {
		const trc_arg &r = rec.results[i];
		if (std::strcmp(r.key, "ok") == 0 && r.value.kind == TRC_NONE) {
			if (err)
				return assertion(r.line, r.col, std::string("expected ok, got ") + got +
								   " (" + what + ")");
			continue;
		}
		if (std::strcmp(r.key, "err") == 0) {
			const char *want = r.value.s;
			if (err != errno_by_name(want))
				return assertion(r.line, r.col, std::string("expected err=") + want +
									", got " + got + " (" + what + ")");
			continue;
		}
		uint64_t v = 0;
		bool have;
		if (std::strcmp(r.key, "ret") == 0) {
			v = (uint64_t)ret;
			have = true;
		} else {
			have = field(r.key, v);
			if (!have && std::strcmp(r.key, "fd") == 0) {
				v = (uint64_t)ret;
				have = true;
			}
		}
		if (!have)
			return fail(kExitMalformed, r.line, r.col, unknown_result(what, r.key));
		// On failure the kernel may still have written a field back (the
		// entry_num of HWPT_INVALIDATE): values compare beside an err=,
		// bindings need success.
		if (err && (!err_expected || r.value.kind == TRC_VAR || std::strcmp(r.key, "ret") == 0 ||
			    std::strcmp(r.key, "fd") == 0))
			return assertion(r.line, r.col, std::string("expected success for ") + r.key +
								", got " + got + " (" + what + ")");
		if (r.value.kind == TRC_VAR) {
			bind(r, v);
			// An fd keeps its process: later records on it run there.
			if (std::strcmp(r.key, "fd") == 0 || std::strcmp(r.key, "ret") == 0 ||
			    std::strstr(r.key, "_fd"))
				var_proc_[r.value.s] = proc;
			continue;
		}
		uint64_t want = 0;
		// An ioctl's field that names its values (an enum, flags) takes the
		// names in results as in arguments: `out_data_type=ARM_SMMUV3`.
		const shim_uapi_field *sf = rq && (r.value.kind == TRC_NAME || r.value.kind == TRC_FLAGS)
						? shim_uapi_field_find(rq, r.key)
						: nullptr;
		if (sf && shim_uapi_sym_value(sf, r.value.s, &want) == 0) {
			if (v != want)
				return assertion(r.line, r.col, std::string("expected ") + r.key + "=" +
									r.value.s + " (" + hex(want) + "), got " +
									hex(v) + " (" + what + ")");
			continue;
		}
		value_u64(&r.value, &vars_, want); // an integer (RecordRules::results)
		if (v != want)
			return assertion(r.line, r.col, std::string("expected ") + r.key + "=" + hex(want) +
								", got " + hex(v) + " (" + what + ")");
	}
	return true;
}

bool ReplayDriver::exec_process(const trc_record &rec)
{
	std::string why;
	stats_.kernel_mode = true; // the kernel's CMD_SYNCs are its calls' (latency breakdown)
	bool booting = !kernel_->booted();
	if (!kernel_->ensure_boot(now_ps(), why)) {
		unsupported_ = true;
		return fail(kExitUsage, rec.line, rec.col, why + ": " + record_text(rec));
	}
	if (booting) {
		if (spec_.kernel.oracle)
			stats_.oracle_kernel = kernel_->k();
		// From here the kernel's oracle judges every DMA (exec_dma): fed
		// on, the bare-metal stale check would only keep every later
		// invalidation (memory growing with a long stream's unmaps).
		stats_.cmdq_oracle = nullptr;
		// The first system call waits for the driver's probe (boot time).
		uint64_t end = kernel_->boot_end_ns() * 1000, now = now_ps();
		if (end > now) {
			qk_.inc(sc_time::from_value(end - now));
			if (qk_.need_sync())
				qk_.sync();
		}
	}
	shim *k = kernel_->k();
	shim_call c{};
	c.size = sizeof(c);
	uint64_t now_ns = now_ps() / 1000;
	if (stats_.timeline)
		stats_.timeline->begin_call();
	auto no_field = [](const char *, uint64_t &) { return false; };
	switch (rec.verb) {
	case TRC_VERB_DMAAPI:
		return exec_dmaapi(rec, k, c, now_ns);
	case TRC_VERB_OPEN: {
		// (its results' form: RecordRules::open)
		const trc_value *path = trc_record_word(&rec, 0);
		std::string proc = proc_of(rec, nullptr);
		int fd = shim_open(k, proc.c_str(), path->s, now_ns, &c);
		kernel_done(c, proc);
		return syscall_results(rec, proc, fd, no_field, "open");
	}
	case TRC_VERB_EVENTFD: {
		uint32_t initval;
		if (!rules_.eventfd(rec, initval))
			return rule_failed();
		std::string proc = proc_of(rec, nullptr);
		int fd = shim_eventfd(k, proc.c_str(), initval, now_ns, &c);
		kernel_done(c, proc);
		return syscall_results(rec, proc, fd, no_field, "eventfd");
	}
	case TRC_VERB_MEMFD: {
		uint64_t len;
		if (!rules_.memfd(rec, len))
			return rule_failed();
		std::string proc = proc_of(rec, nullptr);
		int fd = shim_memfd_create(k, proc.c_str(), len, now_ns, &c);
		kernel_done(c, proc);
		return syscall_results(rec, proc, fd, no_field, "memfd");
	}
	case TRC_VERB_CLOSE: {
		const trc_value *fdv = trc_record_word(&rec, 0);
		uint64_t fd;
		if (!rules_.close(rec, fd))
			return rule_failed();
		std::string proc = proc_of(rec, fdv);
		int rc = shim_close(k, proc.c_str(), (int)fd, now_ns, &c);
		kernel_done(c, proc);
		return syscall_results(rec, proc, rc, no_field, "close");
	}
	case TRC_VERB_MMAP: {
		std::string proc = proc_of(rec, nullptr);
		RecordRules::Mmap m;
		if (!rules_.mmap(rec, m))
			return rule_failed();
		uint64_t va = 0;
		int rc = shim_mmap(k, proc.c_str(), m.len, m.pa, now_ns, &va, &c);
		kernel_done(c, proc);
		auto field = [&](const char *key, uint64_t &v) {
			if (std::strcmp(key, "addr") != 0)
				return false;
			v = va;
			return true;
		};
		return syscall_results(rec, proc, rc < 0 ? rc : 0, field, "mmap");
	}
	case TRC_VERB_WRITE: {
		// write $fault responses=[[cookie,code],...] | cookie=C code=N [len=N]
		const trc_value *fdv = trc_record_word(&rec, 0);
		RecordRules::Write w;
		if (!rules_.write(rec, w))
			return rule_failed();
		std::vector<uint8_t> buf(std::max<uint64_t>(w.len, w.words.size() * 4));
		if (!w.words.empty())
			memcpy(buf.data(), w.words.data(), w.words.size() * 4);
		std::string proc = proc_of(rec, fdv);
		int64_t n = shim_write(k, proc.c_str(), (int)w.fd, (uint64_t)(uintptr_t)buf.data(), w.len,
				       now_ns, &c);
		kernel_done(c, proc);
		return syscall_results(rec, proc, n, no_field, "write");
	}
	case TRC_VERB_READ: {
		const trc_value *fdv = trc_record_word(&rec, 0);
		RecordRules::Read rd;
		if (!rules_.read(rec, rd))
			return rule_failed();
		uint64_t fd = rd.fd, len = rd.len;
		std::string proc = proc_of(rec, fdv);
		std::vector<uint8_t> buf(len);
		int64_t n = shim_read(k, proc.c_str(), (int)fd, (uint64_t)(uintptr_t)buf.data(), len,
				      now_ns, &c);
		kernel_done(c, proc);
		// Fault queue records (iommu_hwpt_pgfault, 40 bytes) as
		// `faults=[[flags,dev_id,pasid,grpid,perm,addr,length,cookie],...]`;
		// vEVENTQ records: {u32 flags, u32 sequence} + 4 le64 (none after a
		// LOST_EVENTS header), as `events=[[flags,sequence,e0,e1,e2,e3],...]`.
		bool fault_fd = shim_fd_is_fault(k, proc.c_str(), (int)fd);
		const char *list_key = fault_fd ? "faults" : "events";
		std::vector<std::vector<uint64_t>> events;
		for (int64_t off = 0; fault_fd && n > 0 && off + 40 <= n; off += 40) {
			uint32_t w[6], length, cookie;
			uint64_t addr;
			memcpy(w, &buf[off], 24);
			memcpy(&addr, &buf[off + 24], 8);
			memcpy(&length, &buf[off + 32], 4);
			memcpy(&cookie, &buf[off + 36], 4);
			events.push_back({w[0], w[1], w[2], w[3], w[4], addr, length, cookie});
		}
		for (int64_t off = 0; !fault_fd && n > 0 && off + 8 <= n;) {
			uint32_t flags, seq;
			memcpy(&flags, &buf[off], 4);
			memcpy(&seq, &buf[off + 4], 4);
			std::vector<uint64_t> e = {flags, seq};
			off += 8;
			if (!(flags & 1) && off + 32 <= n) {
				for (int i = 0; i < 4; i++) {
					uint64_t w;
					memcpy(&w, &buf[off + 8 * i], 8);
					e.push_back(w);
				}
				off += 32;
			}
			events.push_back(e);
		}
		// (the lists' form: RecordRules::read)
		for (size_t i = 0; i < rec.nresults; i++) {
			const trc_arg &r = rec.results[i];
			if (std::strcmp(r.key, list_key) != 0 || n < 0)
				continue;
			bool same = r.value.nitems == events.size();
			for (size_t j = 0; same && j < events.size(); j++) {
				const trc_value &ev = r.value.items[j];
				if (ev.kind != TRC_LIST || ev.nitems != events[j].size()) {
					same = false;
					break;
				}
				for (size_t w = 0; w < ev.nitems && same; w++) {
					uint64_t want = 0;
					value_u64(&ev.items[w], &vars_, want);
					same = want == events[j][w];
				}
			}
			if (!same) {
				std::string g = "[";
				for (size_t j = 0; j < events.size(); j++) {
					g += j ? ",[" : "[";
					for (size_t w = 0; w < events[j].size(); w++)
						g += (w ? "," : "") + hex(events[j][w]);
					g += "]";
				}
				return assertion(r.line, r.col,
						 std::string("expected ") + list_key + "=..., got " + list_key + "=" +
						     g + "]");
			}
		}
		auto field = [&](const char *key, uint64_t &v) {
			if (std::strcmp(key, list_key) == 0) {
				v = 0; // compared above
				return true;
			}
			if (fault_fd && std::strcmp(key, "cookie") == 0 && !events.empty()) {
				v = events.back()[7]; // the last group's cookie
				return true;
			}
			if (fault_fd && std::strcmp(key, "addr") == 0 && !events.empty()) {
				v = events.back()[5];
				return true;
			}
			if (std::strcmp(key, "count") != 0)
				return false;
			v = events.size();
			return true;
		};
		// events=/faults= were compared above; keep them out of the generic pass.
		std::vector<trc_arg> keep;
		trc_record filtered = without_results(rec, keep, [&](const char *key) {
			return std::strcmp(key, list_key) == 0;
		});
		return syscall_results(filtered, proc, n, field, "read");
	}
	case TRC_VERB_IOCTL:
		return exec_ioctl(rec);
	default:
		return unsupported(rec, "this record");
	}
}

// One ioctl: its argument as RecordRules::ioctl builds it, the call, and
// its results.
bool ReplayDriver::exec_ioctl(const trc_record &rec)
{
	RecordRules::IoctlCall call;
	if (!rules_.ioctl(rec, call))
		return rule_failed();
	const shim_uapi_request *rq = call.rq;
	const std::string &what = call.what;
	std::string proc = proc_of(rec, trc_record_word(&rec, 0));
	shim *k = kernel_->k();
	shim_call c{};
	c.size = sizeof(c);
	if (stats_.timeline)
		stats_.timeline->begin_call();
	int64_t ret = shim_ioctl(k, proc.c_str(), (int)call.fd, call.reqno, call.arg, now_ps() / 1000, &c);
	uint64_t start = now_ps();
	kernel_done(c, proc);
	IoctlRecord ir;
	ir.line = rec.line;
	ir.request = rq ? rq->name : hex(call.reqno);
	ir.err = ret < 0 ? (int)-ret : 0;
	ir.sim_ps = c.end_ns * 1000 > start ? c.end_ns * 1000 - start : 0;
	ir.ncmds = c.ncmds;
	ir.cmds.assign(c.cmds, c.cmds + std::min<uint32_t>(c.ncmds, SHIM_CALL_MAX_OPS));
	ir.syncs = c.syncs;
	ir.ste_breaking = c.ste_breaking;
	ir.ste_writes = c.ste_writes;
	ir.ste_hitless = c.ste_hitless;
	stats_.ioctls.push_back(std::move(ir));

	// Output payloads compared as lists of words.
	for (size_t i = 0; i < call.lists.size() && ret >= 0; i++) {
		const trc_arg &r = *call.lists[i].first;
		const std::vector<uint64_t> &want = call.lists[i].second;
		const RecordRules::IoctlCall::OutPayload *o = call.out(r.key);
		unsigned word = o->f->word ? o->f->word : 8;
		const std::vector<uint8_t> &pl = call.payloads[o->idx];
		std::vector<uint64_t> got;
		for (size_t off = 0; off + word <= pl.size() && got.size() < want.size(); off += word)
			got.push_back(get_le(&pl[off], word, false));
		if (got != want) {
			std::string g;
			for (size_t j = 0; j < got.size(); j++)
				g += (j ? "," : "") + hex(got[j]);
			return assertion(r.line, r.col, std::string("expected ") + r.key +
								"=..., got words [" + g + "] (" + what + ")");
		}
	}
	auto field = [&](const char *key, uint64_t &v) { return call.field(key, v); };
	if (call.outs.empty())
		return syscall_results(rec, proc, ret, field, what.c_str(), rq);
	// List results were compared above; keep them out of the scalar pass.
	std::vector<trc_arg> keep;
	trc_record filtered = without_results(rec, keep, [&](const char *key) {
		return call.out(key) != nullptr;
	});
	return syscall_results(filtered, proc, ret, field, what.c_str(), rq);
}

bool ReplayDriver::exec_expect(const trc_record &rec)
{
	stats_.expects++;
	const trc_value *what = trc_record_word(&rec, 0);
	RecordRules::Expect e;
	if (trc_value_is(what, "isolation") || trc_value_is(what, "violation")) {
		collect_kernel();
		const auto &vs = stats_.violations;
		if (trc_value_is(what, "isolation")) {
			if (vs.empty())
				return true;
			const auto &v = vs.front();
			return assertion(rec.line, rec.col,
					 "expected isolation, but " + std::to_string(vs.size()) +
						 " violation(s) were found; the first: " + v.kind + " at line " +
						 std::to_string(v.line) + ": " + v.detail);
		}
		if (!rules_.expect(rec, nullptr, e))
			return rule_failed();
		std::string kind = trc_record_word(&rec, 1)->s;
		const std::string &dev = e.dev, &owner = e.owner;
		uint64_t count = e.count;
		uint64_t found = 0;
		for (size_t i = 0; i < vs.size(); i++) {
			const auto &v = vs[i];
			if (v.kind != kind || (!dev.empty() && v.device != dev) ||
			    (!owner.empty() && v.owner != owner && v.other != owner))
				continue;
			found++;
			size_t nk = kernel_->booted() ? viol_expected_.size() : 0;
			if (i < nk)
				viol_expected_[i] = true;
			else if (i - nk < bm_viol_.size())
				bm_viol_[i - nk].expected = true;
			stats_.violations[i].expected = true;
		}
		if (found >= count)
			return true;
		std::string why = stats_.oracle == "off" ? " (oracle=off)" : "";
		return assertion(rec.line, rec.col,
				 "expected " + std::to_string(count) + " " + kind + " violation(s)" +
					 (dev.empty() ? "" : " of " + dev) + ", found " + std::to_string(found) +
					 why);
	}
	// expect stat NAME OP VALUE: the statistic as the report stands now.
	stats_.sim_time_ps = now_ps();
	collect_kernel();
	std::vector<const SmmuModule *> smmus;
	for (auto &s : p_.smmus)
		smmus.push_back(s.get());
	RunOutcome running{0, "running"};
	std::vector<ReportEntry> entries = build_report(stats_, smmus, running);
	RecordRules::StatLookup lookup = [&](const std::string &name, uint64_t &milli, bool &time) {
		return report_lookup(entries, name, milli, time);
	};
	if (!rules_.expect(rec, &lookup, e))
		return rule_failed();
	const char *name = trc_record_word(&rec, 1)->s, *op = trc_record_word(&rec, 2)->s;
	uint64_t milli = e.milli, want = e.want;
	bool pass = std::strcmp(op, "==") == 0 ? milli == want
		    : std::strcmp(op, "<=") == 0 ? milli <= want
						  : milli >= want;
	if (!pass)
		return assertion(rec.line, rec.col,
				 std::string("expected ") + name + " " + op + " " + milli_text(want) +
					 ", got " + milli_text(milli));
	return true;
}

// ---------------------------------------------------------------- Replay

Replay::Replay(ReplayOptions opt) : opt_(std::move(opt))
{
	outcome_.status = "ok";
}

namespace {
// Platforms left in place for the end of the process (Replay::~Replay):
// reachable from a global that is never destroyed, so not a leak to a
// leak checker either.
std::vector<std::pair<Platform *, ReplayDriver *>> *g_left_for_exit;
} // namespace

Replay::~Replay()
{
	// The reader thread must stop before the reader it reads goes away.
	source_.reset();
	if (reader_)
		trc_reader_close(reader_);
	// The kernel model closes what is still open when the platform goes:
	// no timeline by then.
	if (stats_)
		stats_->timeline = nullptr;
	if (opt_.exit_after && platform_) {
		// Everything is written and the process ends next. SystemC 2.3
		// removes each object from its registries by a linear search, so
		// tearing down a platform of 64 SMMUs x 1024 devices took over a
		// second and changed nothing anyone sees: leave it to the exit.
		// (the SMMUs keep the last record line themselves: the statistics
		// they read it from go with this object)
		if (driver_)
			driver_->unbind_origin();
		if (!g_left_for_exit)
			g_left_for_exit = new std::vector<std::pair<Platform *, ReplayDriver *>>;
		g_left_for_exit->emplace_back(platform_.release(), driver_.release());
		return;
	}
	driver_.reset();
	platform_.reset();
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
			d.snoop_enforced = trc_value_is(trc_record_arg(rec, "snoop"), "enforced");
			if (const trc_value *c = trc_record_arg(rec, "cdev"))
				d.cdev = c->s ? c->s : "";
			if (const trc_value *g = trc_record_arg(rec, "group"))
				d.group = g->s ? g->s : "";
			if (const trc_value *b = trc_record_arg(rec, "bdf"))
				d.bdf = b->s ? b->s : "";
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
	// errors name standard input as the reader does
	decoder_.reset(new Decoder(spec_, opt_.trace == "-" ? "<stdin>" : opt_.trace));
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
	if (!opt_.perfetto_out.empty()) {
		std::vector<std::string> devs;
		for (const DeviceSpec &d : spec_.devices)
			devs.push_back(d.name);
		timeline_.reset(new Timeline(names, devs));
		stats_->timeline = timeline_.get();
	}
	platform_.reset(new Platform("platform", spec_, stats_.get()));
	if (spec_.plat.reader_thread)
		source_.reset(new ThreadedSource(reader_, first_, first_rc_, *decoder_));
	else
		source_.reset(new InlineSource(reader_, first_, first_rc_, *decoder_));
	// A progress line only where someone watches: stderr a terminal.
	if (opt_.progress && isatty(2))
		source_.reset(new ProgressSource(std::move(source_), header_records_, 2));
	driver_.reset(new ReplayDriver("replay", *platform_, spec_, *stats_, *source_, *decoder_,
				       opt_.trace, outcome_, error_));
}

std::vector<ReportEntry> Replay::report() const
{
	std::vector<const SmmuModule *> smmus;
	for (auto &s : platform_->smmus)
		smmus.push_back(s.get());
	std::vector<ReportEntry> out = build_report(*stats_, smmus, outcome_);
	// The configuration the run used: every parameter's effective value
	// (platform, emulated kernel, each SMMU), and the trace.
	auto str = [&](std::vector<std::string> path, const std::string &v) {
		ReportEntry e;
		e.path = std::move(path);
		e.kind = ReportEntry::kString;
		e.text = v;
		out.push_back(std::move(e));
	};
	// The trace's file name without its directory: the same trace replayed
	// from elsewhere gives the same bytes ("-": standard input).
	str({"config", "trace"}, opt_.trace.substr(opt_.trace.find_last_of('/') + 1));
	// Host-side speed settings (sim.*, memory.dmi) change nothing in the
	// results and stay out, so that reports compare byte for byte.
	for (const ParamInfo &p : all_params())
		if (!p.model && platform_param_known(p.name) && p.name.rfind("sim.", 0) != 0 &&
		    p.name != "memory.dmi")
			str({"config", "platform", p.name}, platform_param_get(spec_.plat, p.name));
	for (size_t i = 0; const shim_param_info *p = shim_param_at(i); i++) {
		char buf[96] = "";
		if (shim_config_get(&spec_.kernel, p->name, buf, sizeof(buf)) == 0)
			str({"config", "kernel", p->name}, buf);
	}
	for (const SmmuSpec &sm : spec_.smmus)
		for (size_t i = 0; const smmu_param_info *p = smmu_param_at(i); i++) {
			char buf[96] = "";
			if (std::strncmp(p->name, "host.", 5) != 0 &&
			    smmu_config_get(&sm.cfg, p->name, buf, sizeof(buf)) == 0)
				str({"config", "smmu", sm.name, p->name}, buf);
		}
	return out;
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
	if (timeline_) {
		std::string why;
		if (!timeline_->write(opt_.perfetto_out, stats_->sim_time_ps, why)) {
			err << "smmusim: error: " << why << "\n";
			if (status == kExitOk)
				status = kExitUsage;
		}
		stats_->timeline = nullptr;
	}
	if (!opt_.html_out.empty()) {
		// The page is drawn from the JSON report itself, read back.
		json::Value doc;
		json::Error jerr;
		std::string text = report_json(entries);
		bool ok = json::parse(text, doc, jerr);
		std::ofstream f(opt_.html_out, std::ios::binary | std::ios::trunc);
		if (ok)
			f << html_report(doc);
		f.close();
		if (!ok || !f) {
			err << "smmusim: error: cannot write " << opt_.html_out
			    << (ok ? "" : " (report: " + jerr.what + ")") << "\n";
			if (status == kExitOk)
				status = kExitUsage;
		}
	}
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
	// Every record as the replay checks it before running it (RecordRules).
	RecordRules rules(spec_, decoder_->file(), nullptr);
	// `expect stat`: an SMMU's statistics from a module built for them
	// (when a record first needs them; nothing runs).
	std::unique_ptr<SmmuModule> first;
	rules.set_baseline([&]() {
		first.reset(new SmmuModule("stat_names", 0, spec_.smmus[0].cfg, nullptr, false));
		return stat_baseline(spec_, *first);
	});
	uint64_t records = header_records_;
	for (;;) {
		const Op *op = src.next();
		if (op->kind == OpKind::kEnd)
			break;
		if (op->kind == OpKind::kError) {
			err << src.error().msg << "\n";
			return src.error().status;
		}
		if (op->kind == OpKind::kRecord && !rules.check(*op->rec)) {
			err << rules.error().msg << "\n";
			return rules.error().status;
		}
		records++;
	}
	out << opt_.trace << ": ok: " << records << " records";
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
