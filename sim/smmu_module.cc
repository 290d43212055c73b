// smmu_module.cc - see smmu_module.h.
#include "smmu_module.h"
#include "pcie_function.h"

#include <cassert>
#include <cstring>
#include <stdexcept>

#include "direct_dma.h"
#include "txn_ext.h"

namespace smmusim {

using sc_core::sc_time;

SmmuModule::SmmuModule(sc_core::sc_module_name name, unsigned index, const smmu_config &cfg,
		       SmmuObserver *observer, bool use_dmi)
	: sc_module(name), regs("regs"), upstream("upstream"), walker("walker"),
	  downstream("downstream"), index_(index), clock_(cfg.t.clock_mhz), observer_(observer),
	  use_dmi_(use_dmi)
{
	smmu_host_ops ops{};
	ops.size = sizeof(ops);
	ops.mem_read = op_mem_read;
	ops.mem_write = op_mem_write;
	ops.irq = op_irq;
	ops.msi = op_msi;
	ops.event = op_event;
	ops.cmd_done = op_cmd_done;
	ops.inv_removed = op_inv_removed;
	ops.log = op_log;
	ops.ats_inv = op_ats_inv;
	ops.pri_resp = op_pri_resp;
	int rc = smmu_create(&cfg, &ops, this, &model_);
	if (rc != SMMU_OK)
		throw std::runtime_error(std::string(basename()) + ": smmu_create: " + smmu_strerror(rc));

	regs.register_b_transport(this, &SmmuModule::regs_b_transport);
	regs.register_transport_dbg(this, &SmmuModule::regs_transport_dbg);

	upstream.init(cfg.num_tbus);
	for (uint32_t i = 0; i < cfg.num_tbus; i++) {
		ports_.emplace_back(new UpstreamPort(this, i));
		upstream[i].bind(*ports_.back());
	}
	walker.register_invalidate_direct_mem_ptr(this, &SmmuModule::walker_invalidate);
	downstream.register_invalidate_direct_mem_ptr(this, &SmmuModule::downstream_invalidate);

	SC_HAS_PROCESS(SmmuModule);
	SC_METHOD(timed_method);
	sensitive << timed_ev_;
	dont_initialize();
}

SmmuModule::~SmmuModule()
{
	smmu_destroy(model_);
}

// ---- registers ----

void SmmuModule::regs_b_transport(tlm::tlm_generic_payload &gp, sc_time &delay)
{
	unsigned len = gp.get_data_length();
	if (len != 4 && len != 8) {
		gp.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
		return;
	}
	if (gp.get_byte_enable_ptr()) {
		gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
		return;
	}
	uint64_t now = clock_.cycle_at((sc_core::sc_time_stamp() + delay).value());
	uint64_t off = gp.get_address();
	uint64_t val = 0;
	int rc;
	if (gp.is_read()) {
		rc = smmu_mmio_read(model_, off, len, now, &val);
		if (rc == SMMU_OK)
			std::memcpy(gp.get_data_ptr(), &val, len); // little-endian host
	} else if (gp.is_write()) {
		std::memcpy(&val, gp.get_data_ptr(), len);
		rc = smmu_mmio_write(model_, off, len, val, now);
	} else {
		rc = SMMU_OK;
	}
	gp.set_response_status(rc == SMMU_OK ? tlm::TLM_OK_RESPONSE : tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

unsigned int SmmuModule::regs_transport_dbg(tlm::tlm_generic_payload &gp)
{
	// Debug reads only: a register read has no side effect in SMMUv3 (no
	// read-to-clear registers), so it is safe outside simulated time.
	unsigned len = gp.get_data_length();
	uint64_t val = 0;
	if (!gp.is_read() || (len != 4 && len != 8))
		return 0;
	uint64_t now = clock_.cycle_at(sc_core::sc_time_stamp().value());
	if (smmu_mmio_read(model_, gp.get_address(), len, now, &val) != SMMU_OK)
		return 0;
	std::memcpy(gp.get_data_ptr(), &val, len);
	return len;
}

// ---- upstream transactions ----

tlm::tlm_sync_enum SmmuModule::UpstreamPort::nb_transport_fw(tlm::tlm_generic_payload &gp,
							      tlm::tlm_phase &, sc_time &)
{
	// Loosely timed only: a non-blocking initiator is a platform bug.
	gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
	SC_REPORT_ERROR(owner->name(), "upstream: nb_transport_fw is not supported (b_transport only)");
	return tlm::TLM_COMPLETED;
}

// A translated DMA's data through a DMI region the memory granted (inline,
// on every hit's path): false when none serves it.
inline bool SmmuModule::dmi_access(uint64_t pa, uint64_t len, bool write, uint8_t *data,
				   const uint8_t *be, size_t be_len, sc_time &delay)
{
	if (!use_dmi_)
		return false;
	const DmiCache::Region *rg = downstream_dmi_.find(pa, len, write);
	if (!rg)
		return false;
	uint8_t *host = rg->ptr + (pa - rg->start);
	if (write)
		copy_enabled(host, data, len, be, be_len);
	else
		copy_enabled(data, host, len, be, be_len);
	delay += write ? rg->write_latency : rg->read_latency;
	return true;
}

// The memory access of a translated DMA: through a DMI region, else as a
// transaction downstream.
inline void SmmuModule::data_access(tlm::tlm_generic_payload &gp, uint64_t pa, sc_time &delay)
{
	const uint8_t *be = gp.get_byte_enable_ptr();
	if (dmi_access(pa, gp.get_data_length(), gp.is_write(), gp.get_data_ptr(), be,
		       be ? gp.get_byte_enable_length() : 0, delay)) {
		gp.set_response_status(tlm::TLM_OK_RESPONSE);
		return;
	}
	data_transport(gp, pa, delay);
}

void SmmuModule::upstream_b_transport(uint32_t port, tlm::tlm_generic_payload &gp, sc_time &delay)
{
	SmmuTxnExt *ext = gp.get_extension<SmmuTxnExt>();
	if (!ext || ext->secure) {
		// No StreamID means no stream table lookup; Secure is not modelled.
		gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
		return;
	}
	// (the simulation context's time, read inline: sc_time_stamp() is a library call)
	uint64_t now = clock_.cycle_at(simcontext()->time_stamp().value() + delay.value());
	smmu_txn t;
	t.port = port;
	t.sid = ext->sid;
	t.ssid = ext->ssid;
	t.ssv = ext->ssv;
	t.addr = gp.get_address();
	t.len = gp.get_data_length();
	t.write = gp.is_write();
	t.priv = ext->priv;
	t.exec = ext->exec;
	smmu_xlate_result &r = ext->xlate; // filled by the model, in place
	int rc;
	if (ext->translated) {
		// An ATS Translated transaction: the model checks it (CR0.ATSCHK,
		// STE.EATS) and it goes to memory at the PA the function's ATC gave;
		// its provenance for the oracle is the ATC entry the device used.
		rc = smmu_translated(model_, &t, now, &r);
		r.walk_origin = r.origin = ext->atc_origin;
		r.entry_sid = ext->sid;
		r.entry_base = ext->atc_base;
		r.entry_size = ext->atc_size;
		r.entry_out = t.addr - (t.addr & (ext->atc_size - 1));
	} else {
		rc = smmu_translate(model_, &t, now, &r);
	}
	ext->data_error = false;
	if (rc != SMMU_OK) {
		ext->set_result(SMMU_XLATE_ABORT, SMMU_HIT_NONE, 0, false);
		ext->xlate = smmu_xlate_result{};
		ext->cycles = 0;
		gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
		return;
	}
	ext->set_result((uint8_t)r.outcome, (uint8_t)r.hit, (uint8_t)r.event, r.event_recorded);
	ext->pa = r.pa;
	ext->cycles = r.cycles;
	add_cycles(r.cycles, delay);
	switch (r.outcome) {
	case SMMU_XLATE_OK:
		data_access(gp, r.pa, delay);
		break;
	case SMMU_XLATE_RAZWI:
		// Read-as-zero / write-ignored: the device sees success.
		if (gp.is_read())
			std::memset(gp.get_data_ptr(), 0, gp.get_data_length());
		gp.set_response_status(tlm::TLM_OK_RESPONSE);
		break;
	default:
		gp.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
		break;
	}
}

void SmmuModule::data_transport(tlm::tlm_generic_payload &gp, uint64_t pa, sc_time &delay)
{
	uint64_t iova = gp.get_address();
	gp.set_address(pa);
	gp.set_dmi_allowed(false);
	gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
	downstream->b_transport(gp, delay);
	if (gp.is_response_ok() && use_dmi_ && gp.is_dmi_allowed()) {
		tlm::tlm_dmi dmi;
		if (downstream->get_direct_mem_ptr(gp, dmi))
			downstream_dmi_.insert(pa, dmi);
	}
	if (!gp.is_response_ok()) {
		if (SmmuTxnExt *ext = gp.get_extension<SmmuTxnExt>())
			ext->data_error = true;
	}
	gp.set_address(iova);
}

// ---- the model's memory traffic ----

int SmmuModule::walker_access(bool write, uint64_t pa, void *buf, uint32_t len)
{
	if (use_dmi_) {
		if (const DmiCache::Region *rg = walker_dmi_.find(pa, len, write)) {
			uint8_t *host = rg->ptr + (pa - rg->start);
			if (write)
				std::memcpy(host, buf, len);
			else
				std::memcpy(buf, host, len);
			return 0;
		}
	}
	tlm::tlm_generic_payload &gp = walker_gp_;
	gp.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
	gp.set_address(pa);
	gp.set_data_ptr(static_cast<unsigned char *>(buf));
	gp.set_data_length(len);
	gp.set_streaming_width(len);
	gp.set_byte_enable_ptr(nullptr);
	gp.set_byte_enable_length(0);
	gp.set_dmi_allowed(false);
	gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
	// The model charges its own cycles for every table read (t.mem_read):
	// the memory's latency is not added to anything.
	sc_time ignored = sc_core::SC_ZERO_TIME;
	walker->b_transport(gp, ignored);
	if (!gp.is_response_ok())
		return 1; // external abort
	if (use_dmi_ && gp.is_dmi_allowed()) {
		tlm::tlm_dmi dmi;
		if (walker->get_direct_mem_ptr(gp, dmi))
			walker_dmi_.insert(pa, dmi);
	}
	return 0;
}

int SmmuModule::op_mem_read(void *host, uint64_t pa, void *buf, uint32_t len)
{
	return static_cast<SmmuModule *>(host)->walker_access(false, pa, buf, len);
}

int SmmuModule::op_mem_write(void *host, uint64_t pa, const void *buf, uint32_t len)
{
	return static_cast<SmmuModule *>(host)->walker_access(true, pa, const_cast<void *>(buf),
							      len);
}

void SmmuModule::walker_invalidate(sc_dt::uint64 start, sc_dt::uint64 end)
{
	walker_dmi_.invalidate(start, end);
}

void SmmuModule::downstream_invalidate(sc_dt::uint64 start, sc_dt::uint64 end)
{
	downstream_dmi_.invalidate(start, end);
}

// Every invalidation the model performs drops every host-side shortcut this
// module holds (DESIGN.md: speed-ups are invalidated with the modelled
// state). Upstream sockets never grant DMI, so there is nothing to revoke
// there: every DMA goes through smmu_translate.
void SmmuModule::revoke_dmi()
{
	walker_dmi_.clear();
	downstream_dmi_.clear();
	dmi_revocations_++;
}

uint32_t SmmuModule::btm_tlbi(const struct smmu_btm_tlbi &t, uint64_t at_ps)
{
	uint32_t removed = 0;
	smmu_btm_tlbi(model_, &t, clock_.cycle_at(at_ps), &removed);
	revoke_dmi();
	return removed;
}

// ---- interrupts, MSIs, reports ----

void SmmuModule::schedule(uint64_t cycle, int irq, uint64_t addr, uint32_t data)
{
	uint64_t ps = clock_.start_ps(cycle);
	uint64_t now = sc_core::sc_time_stamp().value();
	timed_.push(Timed{ps, timed_seq_++, irq, addr, data});
	timed_ev_.notify(ps > now ? sc_time::from_value(ps - now) : sc_core::SC_ZERO_TIME);
}

void SmmuModule::timed_method()
{
	uint64_t now = sc_core::sc_time_stamp().value();
	while (!timed_.empty() && timed_.top().ps <= now) {
		Timed t = timed_.top();
		timed_.pop();
		uint64_t cycle = clock_.cycle_at(t.ps);
		switch (t.irq) {
		case SMMU_IRQ_EVENTQ:
			irq_evtq.pulse(cycle);
			break;
		case SMMU_IRQ_PRIQ:
			irq_priq.pulse(cycle);
			break;
		case SMMU_IRQ_GERROR:
			irq_gerror.pulse(cycle);
			break;
		case SMMU_IRQ_CMD_SYNC:
			irq_cmd_sync.pulse(cycle);
			break;
		default: {
			uint8_t le[4];
			std::memcpy(le, &t.data, 4);
			tlm::tlm_generic_payload &gp = msi_gp_;
			gp.set_command(tlm::TLM_WRITE_COMMAND);
			gp.set_address(t.addr);
			gp.set_data_ptr(le);
			gp.set_data_length(4);
			gp.set_streaming_width(4);
			gp.set_byte_enable_ptr(nullptr);
			gp.set_dmi_allowed(false);
			gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
			sc_time d = sc_core::SC_ZERO_TIME;
			downstream->b_transport(gp, d);
			msis_++;
			if (!gp.is_response_ok())
				msi_errors_++;
			break;
		}
		}
	}
	if (!timed_.empty())
		timed_ev_.notify(sc_time::from_value(timed_.top().ps - now));
}

void SmmuModule::op_irq(void *host, enum smmu_irq line, uint64_t cycle)
{
	static_cast<SmmuModule *>(host)->schedule(cycle, (int)line, 0, 0);
}

int SmmuModule::op_msi(void *host, uint64_t addr, uint32_t data, uint64_t cycle)
{
	auto *m = static_cast<SmmuModule *>(host);
	// The write happens later, at its cycle; whether it would abort is known
	// now (memory has a fixed size), and the model needs the answer now to
	// raise GERROR.MSI_*_ABT_ERR. A debug probe costs no simulated time.
	uint8_t probe[4];
	tlm::tlm_generic_payload gp;
	gp.set_command(tlm::TLM_READ_COMMAND);
	gp.set_address(addr);
	gp.set_data_ptr(probe);
	gp.set_data_length(4);
	if (m->downstream->transport_dbg(gp) < 4)
		return 1;
	m->schedule(cycle, -1, addr, data);
	return 0;
}

void SmmuModule::op_event(void *host, const struct smmu_event *ev, bool recorded, uint64_t cycle)
{
	auto *m = static_cast<SmmuModule *>(host);
	if (m->observer_)
		m->observer_->on_event(m->index_, *ev, recorded, cycle);
}

void SmmuModule::op_cmd_done(void *host, const struct smmu_cmd_report *rep)
{
	auto *m = static_cast<SmmuModule *>(host);
	// Revoke first: an observer looking at the platform sees the state
	// after the invalidation.
	if (rep->invalidation)
		m->revoke_dmi();
	if (m->observer_)
		m->observer_->on_cmd(m->index_, *rep);
}

void SmmuModule::op_inv_removed(void *host, const struct smmu_removed_entry *e, uint64_t cycle)
{
	auto *m = static_cast<SmmuModule *>(host);
	if (m->observer_)
		m->observer_->on_removed(m->index_, *e, cycle);
}

uint64_t SmmuModule::op_ats_inv(void *host, uint32_t sid, uint32_t ssid, bool ssv, bool global,
			       uint64_t addr, uint8_t size, uint64_t cycle)
{
	auto *m = static_cast<SmmuModule *>(host);
	auto it = m->ats_.find(sid);
	if (it == m->ats_.end() || !it->second)
		return cycle; // no ATC behind this StreamID: nothing to wait for
	uint64_t ns = m->clock_.start_ps(cycle) / 1000;
	uint64_t done_ns = pcie_ats_invalidate(it->second, ssv, ssid, global, addr, size, ns, nullptr);
	if (done_ns == UINT64_MAX)
		return UINT64_MAX; // a hung function: the SYNC times out
	uint64_t done_ps = done_ns * 1000;
	uint64_t c = m->clock_.cycle_at(done_ps);
	return m->clock_.start_ps(c) < done_ps ? c + 1 : c; // not before it arrived
}

void SmmuModule::op_pri_resp(void *host, uint32_t sid, bool ssv, uint32_t ssid, uint16_t prgi,
			     uint8_t code, uint64_t cycle)
{
	auto *m = static_cast<SmmuModule *>(host);
	m->pri_resps_[((uint64_t)sid << 16) | prgi].push_back(
	    PriResponse{code, ssv, ssid, m->clock_.start_ps(cycle)});
}

void SmmuModule::op_log(void *host, int level, const char *msg)
{
	auto *m = static_cast<SmmuModule *>(host);
	if (m->observer_)
		m->observer_->on_log(m->index_, level, msg);
}

} // namespace smmusim

