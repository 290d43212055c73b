// baremetal.cc - see baremetal.h.
#include "baremetal.h"

#include <cinttypes>
#include <cstdio>
#include <vector>

#include "smmu/build_cmd.h"
#include "smmu/build_ste.h"
#include "smmu/smmu_regs.h"

namespace smmusim {

namespace {
std::string hex(uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "0x%" PRIx64, v);
	return b;
}
} // namespace

BareMetalTrace::BareMetalTrace(std::string smmu, uint64_t heap) : smmu_(std::move(smmu)), next_(heap)
{
	ops_.read64 = pt_read64;
	ops_.write64 = pt_write64;
	ops_.alloc = pt_alloc;
}

std::string BareMetalTrace::text()
{
	flush();
	return out_;
}

void BareMetalTrace::line(const std::string &l)
{
	flush();
	out_ += l;
	out_ += '\n';
}

uint64_t BareMetalTrace::alloc(uint64_t size, uint64_t align)
{
	next_ = (next_ + align - 1) & ~(align - 1);
	uint64_t a = next_;
	next_ += size;
	return a;
}

void BareMetalTrace::write64(uint64_t pa, uint64_t v)
{
	mem_[pa] = v;
	pending_[pa] = v;
}

uint64_t BareMetalTrace::read64(uint64_t pa) const
{
	auto it = mem_.find(pa);
	return it == mem_.end() ? 0 : it->second;
}

// Contiguous runs of words become one `mem write PA u64=[...]` each.
void BareMetalTrace::flush()
{
	auto it = pending_.begin();
	while (it != pending_.end()) {
		uint64_t start = it->first;
		std::vector<uint64_t> run;
		uint64_t expect = start;
		while (it != pending_.end() && it->first == expect && run.size() < 64) {
			if (sink_)
				sink_->mem_write64(it->first, it->second);
			run.push_back(it->second);
			expect += 8;
			++it;
		}
		std::string l = "mem write " + hex(start) + " u64=";
		if (run.size() == 1) {
			l += hex(run[0]);
		} else {
			l += "[";
			for (size_t i = 0; i < run.size(); i++)
				l += (i ? "," : "") + hex(run[i]);
			l += "]";
		}
		out_ += l + "\n";
	}
	pending_.clear();
}

void BareMetalTrace::mmio_write32(uint64_t off, uint32_t v)
{
	flush();
	if (sink_)
		sink_->mmio_write(off, 4, v);
	line("mmio " + smmu_ + " write " + hex(off) + " val=" + hex(v));
}

void BareMetalTrace::mmio_write64(uint64_t off, uint64_t v)
{
	flush();
	if (sink_)
		sink_->mmio_write(off, 8, v);
	line("mmio " + smmu_ + " write " + hex(off) + " val=" + hex(v) + " width=64");
}

void BareMetalTrace::commands(const uint64_t (*cmds)[2], unsigned n)
{
	uint32_t mask = (1u << kCmdqLog2) - 1;
	for (unsigned i = 0; i < n; i++) {
		uint64_t slot = cmdq_ + 16ull * (prod_ & mask);
		write64(slot, cmds[i][0]);
		write64(slot + 8, cmds[i][1]);
		prod_ = (prod_ + 1) & ((2u << kCmdqLog2) - 1);
	}
	mmio_write32(SMMU_REG_CMDQ_PROD, prod_);
}

void BareMetalTrace::enable(unsigned sid_log2)
{
	uint64_t size = 64ull << sid_log2;
	strtab_ = alloc(size, size);
	cmdq_ = alloc(16ull << kCmdqLog2, 16ull << kCmdqLog2);
	evtq_ = alloc(32ull << kEvtqLog2, 32ull << kEvtqLog2);
	mmio_write64(SMMU_REG_STRTAB_BASE, strtab_);
	mmio_write32(SMMU_REG_STRTAB_BASE_CFG, sid_log2);
	mmio_write64(SMMU_REG_CMDQ_BASE, cmdq_ | kCmdqLog2);
	mmio_write32(SMMU_REG_CMDQ_PROD, 0);
	mmio_write32(SMMU_REG_CMDQ_CONS, 0);
	mmio_write64(SMMU_REG_EVENTQ_BASE, evtq_ | kEvtqLog2);
	mmio_write32(SMMU_REG_EVENTQ_PROD, 0);
	mmio_write32(SMMU_REG_EVENTQ_CONS, 0);
	mmio_write32(SMMU_REG_IRQ_CTRL, 0);
	mmio_write32(SMMU_REG_CR0, SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN);
	uint64_t c[4][2];
	smmu_cmd_cfgi_all(c[0]);
	smmu_cmd_tlbi_nsnh_all(c[1]);
	smmu_cmd_tlbi_el2_all(c[2]);
	smmu_cmd_sync(c[3], 0, 0, 0);
	commands(c, 4);
	mmio_write32(SMMU_REG_CR0, SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN | SMMU_CR0_SMMUEN);
}

smmu_pt BareMetalTrace::s1_stream(uint32_t sid, uint16_t asid)
{
	smmu_pt pt{};
	smmu_pt_cfg c{};
	c.stage2 = false;
	c.granule_shift = 12;
	c.tsz = 16;
	c.start_level = -1;
	smmu_pt_init(&pt, &c, &ops_, this);
	uint64_t cd[8], ste[8];
	smmu_build_cd(cd, pt.root, asid, 12, 48);
	uint64_t cda = alloc(64, 64);
	for (int i = 0; i < 8; i++)
		write64(cda + 8 * i, cd[i]);
	smmu_build_ste_s1(ste, cda, 0, 0);
	for (int i = 0; i < 8; i++)
		write64(strtab_ + 64ull * sid + 8 * i, ste[i]);
	return pt;
}

void BareMetalTrace::map_s1(smmu_pt &pt, uint64_t va, uint64_t pa, uint64_t len, bool write)
{
	smmu_pt_attr a;
	smmu_pt_attr_default(&a, false);
	a.ng = true;
	a.ap = write ? SMMU_PT_AP_RW : SMMU_PT_AP_RO;
	smmu_pt_map(&pt, va, pa, len, 12, &a);
}

int BareMetalTrace::pt_read64(void *ctx, uint64_t addr, uint64_t *val)
{
	*val = static_cast<BareMetalTrace *>(ctx)->read64(addr);
	return 0;
}

int BareMetalTrace::pt_write64(void *ctx, uint64_t addr, uint64_t val)
{
	static_cast<BareMetalTrace *>(ctx)->write64(addr, val);
	return 0;
}

int BareMetalTrace::pt_alloc(void *ctx, uint64_t size, uint64_t *addr)
{
	*addr = static_cast<BareMetalTrace *>(ctx)->alloc(size, size);
	return 0;
}

} // namespace smmusim
