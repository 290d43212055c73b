/*
 * smmu_defs.h - architected numbers of the SMMUv3 programming interface:
 * event numbers (IHI 0070 G.b §7.3), command opcodes (§4.1.1), CERROR codes
 * (§7.1), and the StreamWorld / stage encodings the model reports.
 * Plain C, usable from C++.
 */
#ifndef SMMU_DEFS_H
#define SMMU_DEFS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Event numbers, §7.3 (32-byte records, number in dw0[7:0]). */
enum smmu_event_id {
	SMMU_EVT_NONE = 0x00,
	SMMU_EVT_F_UUT = 0x01,
	SMMU_EVT_C_BAD_STREAMID = 0x02,
	SMMU_EVT_F_STE_FETCH = 0x03,
	SMMU_EVT_C_BAD_STE = 0x04,
	SMMU_EVT_F_BAD_ATS_TREQ = 0x05,
	SMMU_EVT_F_STREAM_DISABLED = 0x06,
	SMMU_EVT_F_TRANSL_FORBIDDEN = 0x07,
	SMMU_EVT_C_BAD_SUBSTREAMID = 0x08,
	SMMU_EVT_F_CD_FETCH = 0x09,
	SMMU_EVT_C_BAD_CD = 0x0A,
	SMMU_EVT_F_WALK_EABT = 0x0B,
	SMMU_EVT_F_TRANSLATION = 0x10,
	SMMU_EVT_F_ADDR_SIZE = 0x11,
	SMMU_EVT_F_ACCESS = 0x12,
	SMMU_EVT_F_PERMISSION = 0x13,
	SMMU_EVT_F_TLB_CONFLICT = 0x20,
	SMMU_EVT_F_CFG_CONFLICT = 0x21,
	SMMU_EVT_E_PAGE_REQUEST = 0x24,
	SMMU_EVT_F_VMS_FETCH = 0x25,
};

/* Event record CLASS field (dw1[41:40]). */
enum smmu_event_class {
	SMMU_CLASS_CD = 0,
	SMMU_CLASS_TT = 1,
	SMMU_CLASS_IN = 2,
};

/* Command opcodes, §4.1.1 (dw0[7:0]). */
enum smmu_cmd_op {
	SMMU_CMD_PREFETCH_CONFIG = 0x01,
	SMMU_CMD_PREFETCH_ADDR = 0x02,
	SMMU_CMD_CFGI_STE = 0x03,
	SMMU_CMD_CFGI_STE_RANGE = 0x04, /* CFGI_ALL is Range = 31 */
	SMMU_CMD_CFGI_CD = 0x05,
	SMMU_CMD_CFGI_CD_ALL = 0x06,
	SMMU_CMD_CFGI_VMS_PIDM = 0x07,
	SMMU_CMD_TLBI_NH_ALL = 0x10,
	SMMU_CMD_TLBI_NH_ASID = 0x11,
	SMMU_CMD_TLBI_NH_VA = 0x12,
	SMMU_CMD_TLBI_NH_VAA = 0x13,
	SMMU_CMD_TLBI_EL3_ALL = 0x18,
	SMMU_CMD_TLBI_EL3_VA = 0x1A,
	SMMU_CMD_TLBI_EL2_ALL = 0x20,
	SMMU_CMD_TLBI_EL2_ASID = 0x21,
	SMMU_CMD_TLBI_EL2_VA = 0x22,
	SMMU_CMD_TLBI_EL2_VAA = 0x23,
	SMMU_CMD_TLBI_S12_VMALL = 0x28,
	SMMU_CMD_TLBI_S2_IPA = 0x2A,
	SMMU_CMD_TLBI_NSNH_ALL = 0x30,
	SMMU_CMD_ATC_INV = 0x40,
	SMMU_CMD_PRI_RESP = 0x41,
	SMMU_CMD_RESUME = 0x44,
	SMMU_CMD_STALL_TERM = 0x45,
	SMMU_CMD_SYNC = 0x46,
};

/* CMDQ_CONS.ERR codes, §7.1. */
enum smmu_cerror {
	SMMU_CERROR_NONE = 0x00,
	SMMU_CERROR_ILL = 0x01,
	SMMU_CERROR_ABT = 0x02,
	SMMU_CERROR_ATC_INV_SYNC = 0x03,
};

/* Returns the architected name ("F_TRANSLATION") or NULL if reserved. */
const char *smmu_event_name(unsigned id);
/* Returns the command name ("TLBI_NH_VA", "CFGI_ALL" is reported as
 * "CFGI_STE_RANGE") or NULL if the opcode is reserved. */
const char *smmu_cmd_name(unsigned op);

#ifdef __cplusplus
}
#endif
#endif
