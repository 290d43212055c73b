/*
 * build_cmd.h - encoders for SMMUv3 commands (IHI 0070 G.b ch.4; field
 * positions per §4.1-4.7). Each writes the two little-endian 64-bit words of
 * one 16-byte command. Used by tests, the kernel-driver model and traces.
 */
#ifndef SMMU_BUILD_CMD_H
#define SMMU_BUILD_CMD_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Range fields of TLBI_*_VA / VAA / S2_IPA (§4.4.1.1). tg = 0 for a single
 * address (then num/scale/ttl are ignored); 1/2/3 = 4K/16K/64K. */
struct smmu_cmd_range {
	uint8_t tg, num, scale, ttl;
	bool leaf;
};

void smmu_cmd_prefetch_config(uint64_t c[2], uint32_t sid, bool ssv, uint32_t ssid);
void smmu_cmd_cfgi_ste(uint64_t c[2], uint32_t sid, bool leaf);
/* range: log2(number of SIDs) - 1, 0..31; 31 = CFGI_ALL */
void smmu_cmd_cfgi_ste_range(uint64_t c[2], uint32_t sid, unsigned range);
void smmu_cmd_cfgi_all(uint64_t c[2]);
void smmu_cmd_cfgi_cd(uint64_t c[2], uint32_t sid, uint32_t ssid, bool leaf);
void smmu_cmd_cfgi_cd_all(uint64_t c[2], uint32_t sid);
void smmu_cmd_tlbi_nh_all(uint64_t c[2], uint16_t vmid);
void smmu_cmd_tlbi_nh_asid(uint64_t c[2], uint16_t vmid, uint16_t asid);
void smmu_cmd_tlbi_nh_va(uint64_t c[2], uint16_t vmid, uint16_t asid, uint64_t va,
			 const struct smmu_cmd_range *r);
void smmu_cmd_tlbi_nh_vaa(uint64_t c[2], uint16_t vmid, uint64_t va,
			  const struct smmu_cmd_range *r);
void smmu_cmd_tlbi_el2_all(uint64_t c[2]);
void smmu_cmd_tlbi_el2_asid(uint64_t c[2], uint16_t asid);
void smmu_cmd_tlbi_el2_va(uint64_t c[2], uint16_t asid, uint64_t va,
			  const struct smmu_cmd_range *r);
void smmu_cmd_tlbi_el2_vaa(uint64_t c[2], uint64_t va, const struct smmu_cmd_range *r);
void smmu_cmd_tlbi_s12_vmall(uint64_t c[2], uint16_t vmid);
void smmu_cmd_tlbi_s2_ipa(uint64_t c[2], uint16_t vmid, uint64_t ipa,
			  const struct smmu_cmd_range *r);
void smmu_cmd_tlbi_nsnh_all(uint64_t c[2]);
/* size: the span is 4 KiB << size; 52 = everything. */
void smmu_cmd_atc_inv(uint64_t c[2], uint32_t sid, bool ssv, uint32_t ssid, bool global,
		      uint64_t addr, unsigned size);
void smmu_cmd_pri_resp(uint64_t c[2], uint32_t sid, bool ssv, uint32_t ssid, uint16_t prgi,
		       unsigned resp);
void smmu_cmd_resume(uint64_t c[2], uint32_t sid, uint16_t stag, bool retry, bool abort);
void smmu_cmd_stall_term(uint64_t c[2], uint32_t sid);
/* cs: 0 none, 1 IRQ (MSI to msi_addr if non-zero), 2 SEV. */
void smmu_cmd_sync(uint64_t c[2], unsigned cs, uint64_t msi_addr, uint32_t msi_data);
/* Any opcode with raw fields (for illegal-command tests). */
void smmu_cmd_raw(uint64_t c[2], unsigned op, uint64_t dw0_rest, uint64_t dw1);

#ifdef __cplusplus
}
#endif
#endif
