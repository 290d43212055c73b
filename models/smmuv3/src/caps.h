/*
 * caps.h - the implementation capabilities that decode and walk code checks
 * against. Derived once from struct smmu_config (and CR2 where noted) so that
 * the STE/CD decoders and the page-table walker never see the whole config.
 * IHI 0070 G.b §6.3.1-6.3.8 (IDR0-IDR5), §6.3.12 (CR2).
 */
#ifndef SMMU_CAPS_H
#define SMMU_CAPS_H

#include <stdbool.h>
#include <stdint.h>

/* StreamWorld values (IHI 0070 §3.3.3 "StreamWorld"). */
enum smmu_world {
	SMMU_WORLD_NS_EL1 = 0,
	SMMU_WORLD_NS_EL2 = 1,
	SMMU_WORLD_NS_EL2_E2H = 2,
	SMMU_WORLD_COUNT = 3,
};

struct smmu_caps {
	uint8_t minor_rev;    /* AIDR.ArchMinorRev: 0..4 = v3.0..v3.4 */
	bool s1p, s2p;        /* IDR0.S1P / S2P */
	bool vmid16, asid16;  /* IDR0.VMID16 / ASID16 */
	bool hyp;             /* IDR0.Hyp: EL2 StreamWorlds */
	bool cd2l;            /* IDR0.CD2L */
	bool ats, ns1ats;     /* IDR0.ATS, IDR0.NS1ATS (1 = split-stage NOT supported) */
	bool pri, btm, msi, sev;
	uint8_t ttf;          /* IDR0.TTF: bit0 AArch32, bit1 AArch64 */
	uint8_t ttendian;     /* IDR0.TTENDIAN: 0 mixed, 2 LE only, 3 BE only */
	uint8_t stall_model;  /* IDR0.STALL_MODEL */
	bool term_model;      /* IDR0.TERM_MODEL */
	uint8_t httu;         /* IDR0.HTTU */
	bool attr_types_ovr, attr_perms_ovr; /* IDR1 */
	bool gran4k, gran16k, gran64k; /* IDR5.GRAN* */
	uint8_t oas_bits;     /* IDR5.OAS decoded to bits: 32..52 */
	uint8_t ias_bits;     /* IAS = max(TTF[0] ? 40 : 0, TTF[1] ? OAS : 0) */
	uint8_t sidsize;      /* IDR1.SIDSIZE */
	uint8_t ssidsize;     /* IDR1.SSIDSIZE */
	bool st_level2;       /* IDR0.ST_LEVEL == 01 */
	bool ril;             /* IDR3.RIL */
	bool stt;             /* IDR3.STT: small translation tables */
	bool fwb, xnx;        /* IDR3.FWB, IDR3.XNX */
	uint8_t vax;          /* IDR5.VAX */
	bool e2h;             /* CR2.E2H as latched at the last SMMUEN 0->1 */
};

#endif
