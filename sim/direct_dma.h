// direct_dma.h - the SMMU module's direct DMA path, inline in its caller.
#ifndef SMMUSIM_SIM_DIRECT_DMA_H
#define SMMUSIM_SIM_DIRECT_DMA_H

#include <cassert>

#include "pcie_function.h"
#include "smmu_module.h"

namespace smmusim {

// The translation's cycles added to delay. Hits cost the same cycles DMA
// after DMA: the last duration is kept (sc_time::from_value is a library
// call).
__attribute__((always_inline)) inline void SmmuModule::add_cycles(uint32_t cycles,
								   sc_core::sc_time &delay)
{
	if (cycles != last_cycles_) {
		last_cycles_ = cycles;
		last_cycles_time_ = sc_core::sc_time::from_value(clock_.start_ps(cycles));
	}
	delay += last_cycles_time_;
}

__attribute__((always_inline)) inline void SmmuModule::direct_dma(uint32_t port, uint32_t sid,
								   DmaTxnPool *pool,
								   const DmaRequest &req,
								   sc_core::sc_time &delay, DmaResult &res)
{
	smmu_txn t;
	t.port = port;
	t.sid = sid;
	t.ssid = req.ssid;
	t.ssv = req.ssv;
	t.addr = req.addr;
	t.len = req.len ? req.len : 1;
	t.write = req.write;
	t.priv = req.priv;
	t.exec = req.exec;
	direct_txn(t, pool, delay, res);
}

__attribute__((always_inline)) inline void SmmuModule::direct_txn(const smmu_txn &t,
								   DmaTxnPool *pool, sc_core::sc_time &delay,
								   DmaResult &res)
{
	assert(t.len >= 1 && t.len <= PcieFunction::kMaxLen);
	uint32_t len = t.len;
	DmaTxnPool::Held held(pool);
	DmaTxnPool::Txn &x = held.txn;
	uint64_t now = clock_.cycle_at(simcontext()->time_stamp().value() + delay.value());
	smmu_xlate_result &r = x.ext.xlate;
	res.xlate = &r;
	res.bus_error = false;
	if (smmu_translate(model_, &t, now, &r) != SMMU_OK) {
		r = smmu_xlate_result{};
		res.outcome = SMMU_XLATE_ABORT;
		res.hit = SMMU_HIT_NONE;
		res.event = 0;
		res.event_recorded = false;
		res.pa = 0;
		res.cycles = 0;
		return;
	}
	res.outcome = (uint8_t)r.outcome;
	res.hit = (uint8_t)r.hit;
	res.event = (uint8_t)r.event;
	res.event_recorded = r.event_recorded;
	res.pa = r.pa;
	res.cycles = r.cycles;
	add_cycles(r.cycles, delay);
	if (r.outcome != SMMU_XLATE_OK)
		return; // (RAZ/WI included: no bytes a replayed DMA's function keeps)
	// The replay's DMAs carry no data: a write's byte enables are all off
	// (PcieFunction), and what a read returns goes nowhere. Through a DMI
	// region the access is found and timed, and no byte copied.
	if (use_dmi_) {
		if (const DmiCache::Region *rg = downstream_dmi_.find(r.pa, len, t.write)) {
			delay += t.write ? rg->write_latency : rg->read_latency;
			return;
		}
	}
	// Downstream in the function's payload, as PcieFunction::dma() sets it.
	if (x.buf.size() < len)
		x.buf.resize(len);
	x.set_payload(t.write, t.addr, len);
	data_transport(x.gp, r.pa, delay);
	res.bus_error = !x.gp.is_response_ok();
}

} // namespace smmusim

#endif
