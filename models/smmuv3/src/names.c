/*
 * names.c - names of the model's numbers: API status codes, architected event
 * numbers (IHI 0070 G.b §7.3) and command opcodes (§4.1.1), cache policies,
 * translation hit levels, and the broadcast TLBI operations a PE can send
 * (BTM, Arm ARM TLBI instructions).
 *
 * Names are the architecture's, without the CMD_/EVT_ prefixes. Reserved
 * numbers have no name (NULL). The IMPLEMENTATION DEFINED ranges (events
 * 0xE0-0xEF, commands 0x80-0x8F) also return NULL: this model defines none,
 * so an IMPDEF command is as illegal here as a reserved one.
 */
#include <stddef.h>

#include "smmu/smmu.h"
#include "smmu/smmu_defs.h"

const char *smmu_strerror(int status)
{
	switch (status) {
	case SMMU_OK: return "success";
	case SMMU_ERR_INVAL: return "invalid argument or configuration";
	case SMMU_ERR_NOMEM: return "out of memory";
	case SMMU_ERR_RANGE: return "out of range";
	case SMMU_ERR_UNSUPPORTED: return "unsupported";
	default: return "unknown status";
	}
}

const char *smmu_event_name(unsigned id)
{
	switch (id) {
	case SMMU_EVT_F_UUT: return "F_UUT";
	case SMMU_EVT_C_BAD_STREAMID: return "C_BAD_STREAMID";
	case SMMU_EVT_F_STE_FETCH: return "F_STE_FETCH";
	case SMMU_EVT_C_BAD_STE: return "C_BAD_STE";
	case SMMU_EVT_F_BAD_ATS_TREQ: return "F_BAD_ATS_TREQ";
	case SMMU_EVT_F_STREAM_DISABLED: return "F_STREAM_DISABLED";
	case SMMU_EVT_F_TRANSL_FORBIDDEN: return "F_TRANSL_FORBIDDEN";
	case SMMU_EVT_C_BAD_SUBSTREAMID: return "C_BAD_SUBSTREAMID";
	case SMMU_EVT_F_CD_FETCH: return "F_CD_FETCH";
	case SMMU_EVT_C_BAD_CD: return "C_BAD_CD";
	case SMMU_EVT_F_WALK_EABT: return "F_WALK_EABT";
	case SMMU_EVT_F_TRANSLATION: return "F_TRANSLATION";
	case SMMU_EVT_F_ADDR_SIZE: return "F_ADDR_SIZE";
	case SMMU_EVT_F_ACCESS: return "F_ACCESS";
	case SMMU_EVT_F_PERMISSION: return "F_PERMISSION";
	case SMMU_EVT_F_TLB_CONFLICT: return "F_TLB_CONFLICT";
	case SMMU_EVT_F_CFG_CONFLICT: return "F_CFG_CONFLICT";
	case SMMU_EVT_E_PAGE_REQUEST: return "E_PAGE_REQUEST";
	case SMMU_EVT_F_VMS_FETCH: return "F_VMS_FETCH";
	default: return NULL; /* 0x00 and every other number are reserved */
	}
}

const char *smmu_cmd_name(unsigned op)
{
	switch (op) {
	case SMMU_CMD_PREFETCH_CONFIG: return "PREFETCH_CONFIG";
	case SMMU_CMD_PREFETCH_ADDR: return "PREFETCH_ADDR";
	case SMMU_CMD_CFGI_STE: return "CFGI_STE";
	case SMMU_CMD_CFGI_STE_RANGE: return "CFGI_STE_RANGE"; /* CFGI_ALL is Range=31 */
	case SMMU_CMD_CFGI_CD: return "CFGI_CD";
	case SMMU_CMD_CFGI_CD_ALL: return "CFGI_CD_ALL";
	case SMMU_CMD_CFGI_VMS_PIDM: return "CFGI_VMS_PIDM";
	case SMMU_CMD_TLBI_NH_ALL: return "TLBI_NH_ALL";
	case SMMU_CMD_TLBI_NH_ASID: return "TLBI_NH_ASID";
	case SMMU_CMD_TLBI_NH_VA: return "TLBI_NH_VA";
	case SMMU_CMD_TLBI_NH_VAA: return "TLBI_NH_VAA";
	case SMMU_CMD_TLBI_EL3_ALL: return "TLBI_EL3_ALL";
	case SMMU_CMD_TLBI_EL3_VA: return "TLBI_EL3_VA";
	case SMMU_CMD_TLBI_EL2_ALL: return "TLBI_EL2_ALL";
	case SMMU_CMD_TLBI_EL2_ASID: return "TLBI_EL2_ASID";
	case SMMU_CMD_TLBI_EL2_VA: return "TLBI_EL2_VA";
	case SMMU_CMD_TLBI_EL2_VAA: return "TLBI_EL2_VAA";
	case SMMU_CMD_TLBI_S12_VMALL: return "TLBI_S12_VMALL";
	case SMMU_CMD_TLBI_S2_IPA: return "TLBI_S2_IPA";
	case SMMU_CMD_TLBI_NSNH_ALL: return "TLBI_NSNH_ALL";
	case SMMU_CMD_ATC_INV: return "ATC_INV";
	case SMMU_CMD_PRI_RESP: return "PRI_RESP";
	case SMMU_CMD_RESUME: return "RESUME";
	case SMMU_CMD_STALL_TERM: return "STALL_TERM";
	case SMMU_CMD_SYNC: return "SYNC";
	/* Secure-only and DPT commands (§4.1.1). smmu_defs.h has no enumerators
	 * for them: the model implements the Non-secure queue only, where they
	 * are CERROR_ILL, but traces and dumps still name them. */
	case 0x50: return "TLBI_S_EL2_ALL";
	case 0x51: return "TLBI_S_EL2_ASID";
	case 0x52: return "TLBI_S_EL2_VA";
	case 0x53: return "TLBI_S_EL2_VAA";
	case 0x58: return "TLBI_S_S12_VMALL";
	case 0x5A: return "TLBI_S_S2_IPA";
	case 0x60: return "TLBI_SNH_ALL";
	case 0x70: return "DPTI_ALL";
	case 0x73: return "DPTI_PA";
	default: return NULL;
	}
}

const char *smmu_hit_name(enum smmu_hit h)
{
	static const char *const names[SMMU_HIT_COUNT] = {
		[SMMU_HIT_NONE] = "none",
		[SMMU_HIT_BYPASS] = "bypass",
		[SMMU_HIT_UTLB] = "utlb",
		[SMMU_HIT_MTLB] = "mtlb",
		[SMMU_HIT_TLB] = "tlb",
		[SMMU_HIT_WALK_CACHE] = "walk_cache",
		[SMMU_HIT_WALK] = "walk",
		[SMMU_HIT_ATC] = "atc",
	};

	return (unsigned)h < SMMU_HIT_COUNT ? names[h] : NULL;
}

const char *smmu_policy_name(enum smmu_policy p)
{
	switch (p) {
	case SMMU_POLICY_LRU: return "lru";
	case SMMU_POLICY_PLRU: return "plru";
	case SMMU_POLICY_RR: return "rr";
	case SMMU_POLICY_RANDOM: return "random";
	default: return NULL;
	}
}

/* Case-insensitive match of `s` against `name`, or against `name` without
 * its trailing "IS" (the Inner Shareable suffix; a PE's non-IS TLBI is not
 * broadcast, but traces may omit the suffix). */
static int btm_name_matches(const char *s, const char *name)
{
	size_t i = 0;

	for (; s[i] && name[i]; i++) {
		char a = s[i], b = name[i];

		if (a >= 'a' && a <= 'z')
			a = (char)(a - 'a' + 'A');
		if (a != b)
			return 0;
	}
	if (s[i] == '\0' && name[i] == '\0')
		return 1;
	return s[i] == '\0' && name[i] == 'I' && name[i + 1] == 'S' && name[i + 2] == '\0';
}

int smmu_btm_parse_op(const char *name, enum smmu_btm_op *op)
{
	static const struct {
		const char *name;
		enum smmu_btm_op op;
	} ops[] = {
		{"VMALLE1IS", SMMU_BTM_VMALLE1IS},
		{"ASIDE1IS", SMMU_BTM_ASIDE1IS},
		{"VAE1IS", SMMU_BTM_VAE1IS},
		{"VALE1IS", SMMU_BTM_VALE1IS},
		{"VAAE1IS", SMMU_BTM_VAAE1IS},
		{"VAALE1IS", SMMU_BTM_VAALE1IS},
		{"IPAS2E1IS", SMMU_BTM_IPAS2E1IS},
		{"IPAS2LE1IS", SMMU_BTM_IPAS2LE1IS},
		{"VMALLS12E1IS", SMMU_BTM_VMALLS12E1IS},
		{"ALLE1IS", SMMU_BTM_ALLE1IS},
		{"ALLE2IS", SMMU_BTM_ALLE2IS},
		{"VAE2IS", SMMU_BTM_VAE2IS},
		{"ASIDE2IS", SMMU_BTM_ASIDE2IS},
	};

	if (!name || !op)
		return SMMU_ERR_INVAL;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (btm_name_matches(name, ops[i].name)) {
			*op = ops[i].op;
			return SMMU_OK;
		}
	}
	return SMMU_ERR_INVAL;
}
