/*
 * build_cmd.c - command encoders (IHI 0070 G.b ch.4). Field positions:
 * dw0[7:0] opcode, [10] SSec, [11] SSV, [31:12] SubstreamID, [63:32]
 * StreamID; TLBI: VMID [47:32], ASID [63:48], NUM [16:12], SCALE [25:20];
 * dw1: Leaf [0], TTL [9:8], TG [11:10], Address [63:12].
 */
#include "smmu/build_cmd.h"

#include "smmu/smmu_defs.h"

static void put(uint64_t c[2], unsigned op, uint64_t dw0, uint64_t dw1)
{
	c[0] = (uint64_t)(op & 0xFF) | dw0;
	c[1] = dw1;
}

static uint64_t sid_ssid(uint32_t sid, bool ssv, uint32_t ssid)
{
	return ((uint64_t)sid << 32) | ((uint64_t)(ssv ? 1 : 0) << 11) |
	       ((uint64_t)(ssid & 0xFFFFF) << 12);
}

static void range(uint64_t c[2], const struct smmu_cmd_range *r)
{
	if (!r)
		return;
	c[1] |= (uint64_t)(r->leaf ? 1 : 0) | ((uint64_t)(r->ttl & 3) << 8) |
		((uint64_t)(r->tg & 3) << 10);
	if (r->tg)
		c[0] |= ((uint64_t)(r->num & 0x1F) << 12) | ((uint64_t)(r->scale & 0x3F) << 20);
}

void smmu_cmd_prefetch_config(uint64_t c[2], uint32_t sid, bool ssv, uint32_t ssid)
{
	put(c, SMMU_CMD_PREFETCH_CONFIG, sid_ssid(sid, ssv, ssid), 0);
}

void smmu_cmd_cfgi_ste(uint64_t c[2], uint32_t sid, bool leaf)
{
	put(c, SMMU_CMD_CFGI_STE, (uint64_t)sid << 32, leaf ? 1 : 0);
}

void smmu_cmd_cfgi_ste_range(uint64_t c[2], uint32_t sid, unsigned r)
{
	put(c, SMMU_CMD_CFGI_STE_RANGE, (uint64_t)sid << 32, r & 0x1F);
}

void smmu_cmd_cfgi_all(uint64_t c[2]) { smmu_cmd_cfgi_ste_range(c, 0, 31); }

void smmu_cmd_cfgi_cd(uint64_t c[2], uint32_t sid, uint32_t ssid, bool leaf)
{
	put(c, SMMU_CMD_CFGI_CD, sid_ssid(sid, false, ssid), leaf ? 1 : 0);
}

void smmu_cmd_cfgi_cd_all(uint64_t c[2], uint32_t sid)
{
	put(c, SMMU_CMD_CFGI_CD_ALL, (uint64_t)sid << 32, 0);
}

void smmu_cmd_tlbi_nh_all(uint64_t c[2], uint16_t vmid)
{
	put(c, SMMU_CMD_TLBI_NH_ALL, (uint64_t)vmid << 32, 0);
}

void smmu_cmd_tlbi_nh_asid(uint64_t c[2], uint16_t vmid, uint16_t asid)
{
	put(c, SMMU_CMD_TLBI_NH_ASID, ((uint64_t)vmid << 32) | ((uint64_t)asid << 48), 0);
}

void smmu_cmd_tlbi_nh_va(uint64_t c[2], uint16_t vmid, uint16_t asid, uint64_t va,
			 const struct smmu_cmd_range *r)
{
	put(c, SMMU_CMD_TLBI_NH_VA, ((uint64_t)vmid << 32) | ((uint64_t)asid << 48),
	    va & ~0xFFFull);
	range(c, r);
}

void smmu_cmd_tlbi_nh_vaa(uint64_t c[2], uint16_t vmid, uint64_t va,
			  const struct smmu_cmd_range *r)
{
	put(c, SMMU_CMD_TLBI_NH_VAA, (uint64_t)vmid << 32, va & ~0xFFFull);
	range(c, r);
}

void smmu_cmd_tlbi_el2_all(uint64_t c[2]) { put(c, SMMU_CMD_TLBI_EL2_ALL, 0, 0); }

void smmu_cmd_tlbi_el2_asid(uint64_t c[2], uint16_t asid)
{
	put(c, SMMU_CMD_TLBI_EL2_ASID, (uint64_t)asid << 48, 0);
}

void smmu_cmd_tlbi_el2_va(uint64_t c[2], uint16_t asid, uint64_t va,
			  const struct smmu_cmd_range *r)
{
	put(c, SMMU_CMD_TLBI_EL2_VA, (uint64_t)asid << 48, va & ~0xFFFull);
	range(c, r);
}

void smmu_cmd_tlbi_el2_vaa(uint64_t c[2], uint64_t va, const struct smmu_cmd_range *r)
{
	put(c, SMMU_CMD_TLBI_EL2_VAA, 0, va & ~0xFFFull);
	range(c, r);
}

void smmu_cmd_tlbi_s12_vmall(uint64_t c[2], uint16_t vmid)
{
	put(c, SMMU_CMD_TLBI_S12_VMALL, (uint64_t)vmid << 32, 0);
}

void smmu_cmd_tlbi_s2_ipa(uint64_t c[2], uint16_t vmid, uint64_t ipa,
			  const struct smmu_cmd_range *r)
{
	put(c, SMMU_CMD_TLBI_S2_IPA, (uint64_t)vmid << 32, ipa & 0x00FFFFFFFFFFF000ull);
	range(c, r);
}

void smmu_cmd_tlbi_nsnh_all(uint64_t c[2]) { put(c, SMMU_CMD_TLBI_NSNH_ALL, 0, 0); }

void smmu_cmd_atc_inv(uint64_t c[2], uint32_t sid, bool ssv, uint32_t ssid, bool global,
		      uint64_t addr, unsigned size)
{
	put(c, SMMU_CMD_ATC_INV, sid_ssid(sid, ssv, ssid) | ((uint64_t)(global ? 1 : 0) << 9),
	    (addr & ~0xFFFull) | (size & 0x3F));
}

void smmu_cmd_pri_resp(uint64_t c[2], uint32_t sid, bool ssv, uint32_t ssid, uint16_t prgi,
		       unsigned resp)
{
	put(c, SMMU_CMD_PRI_RESP, sid_ssid(sid, ssv, ssid),
	    (uint64_t)(prgi & 0x1FF) | ((uint64_t)(resp & 3) << 12));
}

void smmu_cmd_resume(uint64_t c[2], uint32_t sid, uint16_t stag, bool retry, bool abort)
{
	put(c, SMMU_CMD_RESUME,
	    ((uint64_t)sid << 32) | ((uint64_t)(retry ? 1 : 0) << 12) |
		    ((uint64_t)(abort ? 1 : 0) << 13),
	    stag);
}

void smmu_cmd_stall_term(uint64_t c[2], uint32_t sid)
{
	put(c, SMMU_CMD_STALL_TERM, (uint64_t)sid << 32, 0);
}

void smmu_cmd_sync(uint64_t c[2], unsigned cs, uint64_t msi_addr, uint32_t msi_data)
{
	put(c, SMMU_CMD_SYNC, ((uint64_t)(cs & 3) << 12) | ((uint64_t)msi_data << 32),
	    msi_addr & 0x00FFFFFFFFFFFFFCull);
}

void smmu_cmd_raw(uint64_t c[2], unsigned op, uint64_t dw0_rest, uint64_t dw1)
{
	put(c, op, dw0_rest & ~0xFFull, dw1);
}
