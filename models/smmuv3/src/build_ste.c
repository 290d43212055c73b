/*
 * build_ste.c - encoders for STE, L1STD, CD and L1CD (IHI 0070 G.b §5.1-5.4).
 * The inverse of ste_cd.c: field positions are the same table, written here
 * as (word, hi, lo) triples. Nothing is validated (see build_ste.h).
 *
 * Not encoded (always zero): Secure-only fields (NSCFG, S2NSW/NSA, S_S2*),
 * D128 (S2SKL, SKLx), LPA2 (S2DS, S2SL0_2, CD.DS), MPAM, DPT_VMATCH, PBHA
 * (S2HWU, HWU), permission indirection/overlay, E0PD, EPAN, PnCH, AIE,
 * IMPLEMENTATION DEFINED bits.
 */
#include "smmu/build_ste.h"

#include <string.h>

/* OR the low bits of v into word w at bits [hi:lo]. */
static void put(uint64_t *w, unsigned hi, unsigned lo, uint64_t v)
{
	unsigned width = hi - lo + 1;
	uint64_t mask = width >= 64 ? ~0ull : ((1ull << width) - 1);

	*w |= (v & mask) << lo;
}

/* Address fields are stored in place: bits [hi:lo] of the address. */
static void put_addr(uint64_t *w, unsigned hi, unsigned lo, uint64_t addr)
{
	put(w, hi, lo, addr >> lo);
}

/* Address size in bits to the S2PS / IPS encoding (§5.2 S2PS). */
static unsigned ps_enc(unsigned bits)
{
	static const uint8_t size[8] = {32, 36, 40, 42, 44, 48, 52, 56};
	unsigned enc = 0;

	for (unsigned i = 0; i < 8; i++)
		if (bits >= size[i])
			enc = i;
	return enc;
}

/* Granule shift to the TG0 / S2TG encoding (00 4K, 01 64K, 10 16K). */
static unsigned tg0_enc(unsigned shift)
{
	switch (shift) {
	case 12:
		return 0;
	case 16:
		return 1;
	case 14:
		return 2;
	default:
		return 3; /* reserved */
	}
}

/* Granule shift to the TG1 encoding (01 16K, 10 4K, 11 64K). */
static unsigned tg1_enc(unsigned shift)
{
	switch (shift) {
	case 14:
		return 1;
	case 12:
		return 2;
	case 16:
		return 3;
	default:
		return 0; /* reserved */
	}
}

void smmu_ste_fields_init(struct smmu_ste_fields *f)
{
	memset(f, 0, sizeof(*f));
	f->size = sizeof(*f);
	f->v = true;
	f->config = SMMU_STE_CONFIG_ABORT;
	f->s1cir = 1;
	f->s1cor = 1;
	f->s1csh = 3;
	f->shcfg = 1; /* use incoming shareability */
	f->s2ir0 = 1;
	f->s2or0 = 1;
	f->s2sh0 = 3;
	f->s2aa64 = true;
	f->s2r = true;
	f->s2ps_bits = 48;
	f->s2_granule_shift = 12;
	f->s2t0sz = 24; /* 40-bit IPA ... */
	f->s2sl0 = 1;   /* ... from level 1, two concatenated tables */
}

void smmu_ste_fields_s1(struct smmu_ste_fields *f, uint64_t ctxptr, unsigned s1cdmax,
			unsigned s1fmt)
{
	bool s2 = f->config == SMMU_STE_CONFIG_S2 || f->config == SMMU_STE_CONFIG_NESTED;

	f->config = s2 ? SMMU_STE_CONFIG_NESTED : SMMU_STE_CONFIG_S1;
	f->s1ctxptr = ctxptr;
	f->s1cdmax = (uint8_t)s1cdmax;
	f->s1fmt = (uint8_t)s1fmt;
}

bool smmu_ste_fields_s2_geometry(struct smmu_ste_fields *f, unsigned granule_shift,
				 unsigned ipa_bits)
{
	unsigned stride = granule_shift - 3;
	int start, n;

	if (granule_shift != 12 && granule_shift != 14 && granule_shift != 16)
		return false;
	/* 52-bit IPAs need the 64 KB granule (LPA2 is not modelled). */
	if (ipa_bits < 25 || ipa_bits > (granule_shift == 16 ? 52u : 48u))
		return false;
	/* Fewest levels that resolve ipa_bits, i.e. the stage-1 start level. */
	start = 4 - (int)((ipa_bits - granule_shift + stride - 1) / stride);
	n = (int)ipa_bits - (int)(granule_shift + (unsigned)(3 - start) * stride);
	/* A start table of at most 16 entries at level 0 or 1 becomes up to
	 * 16 concatenated tables one level down. */
	if (start < 2 && n <= 4)
		start++;
	if (granule_shift == 12 && start == 3)
		return false; /* SL0 = 11 with 4 KB needs FEAT_TTST */
	f->s2aa64 = true;
	f->s2_granule_shift = (uint8_t)granule_shift;
	f->s2t0sz = (uint8_t)(64 - ipa_bits);
	f->s2sl0 = (uint8_t)(granule_shift == 12 ? 2 - start : 3 - start);
	return true;
}

bool smmu_ste_fields_s2(struct smmu_ste_fields *f, uint16_t vmid, uint64_t s2ttb,
			unsigned granule_shift, unsigned ipa_bits)
{
	bool s1 = f->config == SMMU_STE_CONFIG_S1 || f->config == SMMU_STE_CONFIG_NESTED;

	f->config = s1 ? SMMU_STE_CONFIG_NESTED : SMMU_STE_CONFIG_S2;
	f->s2vmid = vmid;
	f->s2ttb = s2ttb;
	return smmu_ste_fields_s2_geometry(f, granule_shift, ipa_bits);
}

void smmu_build_ste(const struct smmu_ste_fields *f, uint64_t ste[8])
{
	memset(ste, 0, 8 * sizeof(ste[0]));

	put(&ste[0], 0, 0, f->v);
	put(&ste[0], 3, 1, f->config);
	put(&ste[0], 5, 4, f->s1fmt);
	put_addr(&ste[0], 55, 6, f->s1ctxptr);
	put(&ste[0], 63, 59, f->s1cdmax);

	put(&ste[1], 1, 0, f->s1dss);
	put(&ste[1], 3, 2, f->s1cir);
	put(&ste[1], 5, 4, f->s1cor);
	put(&ste[1], 7, 6, f->s1csh);
	put(&ste[1], 12, 12, f->dre);
	put(&ste[1], 16, 13, f->cont);
	put(&ste[1], 17, 17, f->dcp);
	put(&ste[1], 18, 18, f->ppar);
	put(&ste[1], 19, 19, f->mev);
	put(&ste[1], 23, 20, f->sw_reserved);
	put(&ste[1], 25, 25, f->s2fwb);
	put(&ste[1], 27, 27, f->s1stalld);
	put(&ste[1], 29, 28, f->eats);
	put(&ste[1], 31, 30, f->strw);
	put(&ste[1], 35, 32, f->memattr);
	put(&ste[1], 36, 36, f->mtcfg);
	put(&ste[1], 40, 37, f->alloccfg);
	put(&ste[1], 45, 44, f->shcfg);
	put(&ste[1], 49, 48, f->privcfg);
	put(&ste[1], 51, 50, f->instcfg);

	put(&ste[2], 15, 0, f->s2vmid);
	put(&ste[2], 37, 32, f->s2t0sz);
	put(&ste[2], 39, 38, f->s2sl0);
	put(&ste[2], 41, 40, f->s2ir0);
	put(&ste[2], 43, 42, f->s2or0);
	put(&ste[2], 45, 44, f->s2sh0);
	put(&ste[2], 47, 46, tg0_enc(f->s2_granule_shift));
	put(&ste[2], 50, 48, ps_enc(f->s2ps_bits));
	put(&ste[2], 51, 51, f->s2aa64);
	put(&ste[2], 52, 52, f->s2endi);
	put(&ste[2], 53, 53, f->s2affd);
	put(&ste[2], 54, 54, f->s2ptw);
	put(&ste[2], 55, 55, f->s2hd);
	put(&ste[2], 56, 56, f->s2ha);
	put(&ste[2], 57, 57, f->s2s);
	put(&ste[2], 58, 58, f->s2r);
	put(&ste[2], 59, 59, f->s2haft);

	put_addr(&ste[3], 55, 4, f->s2ttb);
}

void smmu_build_ste_invalid(uint64_t ste[8])
{
	struct smmu_ste_fields f;

	smmu_ste_fields_init(&f);
	f.v = false;
	smmu_build_ste(&f, ste);
}

void smmu_build_ste_abort(uint64_t ste[8])
{
	struct smmu_ste_fields f;

	smmu_ste_fields_init(&f);
	smmu_build_ste(&f, ste);
}

void smmu_build_ste_bypass(uint64_t ste[8])
{
	struct smmu_ste_fields f;

	smmu_ste_fields_init(&f);
	f.config = SMMU_STE_CONFIG_BYPASS;
	smmu_build_ste(&f, ste);
}

void smmu_build_ste_s1(uint64_t ste[8], uint64_t ctxptr, unsigned s1cdmax, unsigned s1fmt)
{
	struct smmu_ste_fields f;

	smmu_ste_fields_init(&f);
	smmu_ste_fields_s1(&f, ctxptr, s1cdmax, s1fmt);
	smmu_build_ste(&f, ste);
}

bool smmu_build_ste_s2(uint64_t ste[8], uint16_t vmid, uint64_t s2ttb, unsigned granule_shift,
		       unsigned ipa_bits)
{
	struct smmu_ste_fields f;
	bool ok;

	smmu_ste_fields_init(&f);
	ok = smmu_ste_fields_s2(&f, vmid, s2ttb, granule_shift, ipa_bits);
	smmu_build_ste(&f, ste);
	return ok;
}

bool smmu_build_ste_nested(uint64_t ste[8], uint64_t ctxptr_ipa, unsigned s1cdmax,
			   unsigned s1fmt, uint16_t vmid, uint64_t s2ttb,
			   unsigned granule_shift, unsigned ipa_bits)
{
	struct smmu_ste_fields f;
	bool ok;

	smmu_ste_fields_init(&f);
	smmu_ste_fields_s1(&f, ctxptr_ipa, s1cdmax, s1fmt);
	ok = smmu_ste_fields_s2(&f, vmid, s2ttb, granule_shift, ipa_bits);
	smmu_build_ste(&f, ste);
	return ok;
}

uint64_t smmu_build_l1std(uint64_t l2ptr, unsigned span)
{
	uint64_t d = 0;

	put(&d, 4, 0, span);
	put_addr(&d, 55, 6, l2ptr);
	return d;
}

void smmu_cd_fields_init(struct smmu_cd_fields *f)
{
	memset(f, 0, sizeof(*f));
	f->size = sizeof(*f);
	f->v = true;
	f->aa64 = true;
	f->t0sz = 16;
	f->tg0_shift = 12;
	f->ir0 = 1;
	f->or0 = 1;
	f->sh0 = 3;
	f->t1sz = 16;
	f->tg1_shift = 12;
	f->ir1 = 1;
	f->or1 = 1;
	f->sh1 = 3;
	f->epd1 = true;
	f->ips_bits = 48;
	f->a = true;
	f->r = true;
	f->mair = 0xf404ff44ull;
}

void smmu_build_cd_fields(const struct smmu_cd_fields *f, uint64_t cd[8])
{
	memset(cd, 0, 8 * sizeof(cd[0]));

	put(&cd[0], 5, 0, f->t0sz);
	put(&cd[0], 7, 6, tg0_enc(f->tg0_shift));
	put(&cd[0], 9, 8, f->ir0);
	put(&cd[0], 11, 10, f->or0);
	put(&cd[0], 13, 12, f->sh0);
	put(&cd[0], 14, 14, f->epd0);
	put(&cd[0], 15, 15, f->endi);
	put(&cd[0], 21, 16, f->t1sz);
	put(&cd[0], 23, 22, tg1_enc(f->tg1_shift));
	put(&cd[0], 25, 24, f->ir1);
	put(&cd[0], 27, 26, f->or1);
	put(&cd[0], 29, 28, f->sh1);
	put(&cd[0], 30, 30, f->epd1);
	put(&cd[0], 31, 31, f->v);
	put(&cd[0], 34, 32, ps_enc(f->ips_bits));
	put(&cd[0], 35, 35, f->affd);
	put(&cd[0], 36, 36, f->wxn);
	put(&cd[0], 37, 37, f->uwxn);
	put(&cd[0], 38, 38, f->tbi0);
	put(&cd[0], 39, 39, f->tbi1);
	put(&cd[0], 40, 40, f->pan);
	put(&cd[0], 41, 41, f->aa64);
	put(&cd[0], 42, 42, f->hd);
	put(&cd[0], 43, 43, f->ha);
	put(&cd[0], 44, 44, f->s);
	put(&cd[0], 45, 45, f->r);
	put(&cd[0], 46, 46, f->a);
	put(&cd[0], 47, 47, f->aset);
	put(&cd[0], 63, 48, f->asid);

	put(&cd[1], 1, 1, f->had0);
	put(&cd[1], 3, 3, f->haft);
	put_addr(&cd[1], 55, 4, f->ttb0);

	put(&cd[2], 1, 1, f->had1);
	put_addr(&cd[2], 55, 4, f->ttb1);

	cd[3] = f->mair;
	cd[4] = f->amair;
}

void smmu_build_cd(uint64_t cd[8], uint64_t ttb0, uint16_t asid, unsigned granule_shift,
		   unsigned va_bits)
{
	struct smmu_cd_fields f;

	smmu_cd_fields_init(&f);
	f.ttb0 = ttb0;
	f.asid = asid;
	f.tg0_shift = (uint8_t)granule_shift;
	f.t0sz = (uint8_t)(64 - va_bits);
	smmu_build_cd_fields(&f, cd);
}

uint64_t smmu_build_l1cd(uint64_t l2ptr, bool valid)
{
	uint64_t d = 0;

	put(&d, 0, 0, valid);
	put_addr(&d, 55, 12, l2ptr);
	return d;
}
