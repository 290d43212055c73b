/*
 * ptw.c - VMSAv8-64 translation table walker: stage 1, stage 2 and nested.
 *
 * Models the walk an SMMU TCU makes for one translation: the input-range
 * check, descriptor fetches level by level (4 KB, 16 KB and 64 KB granules,
 * every start level, stage-2 concatenated start tables), table/block/page
 * descriptor decoding, the address-size, Access flag and permission checks,
 * and the architected fault record of the first fault found.
 *
 * Sources: IHI 0070 G.b §3.4 (address sizes), §5.2 (STE.S2SL0/S2T0SZ),
 * §5.4 (CD), §7.3.12-7.3.22 (F_WALK_EABT, F_TRANSLATION, F_ADDR_SIZE,
 * F_ACCESS, F_PERMISSION and their priority), §13.4.1 (AP[1] in any-EL2
 * worlds); VMSAv8-64 descriptor formats and the stage-2 start level rules
 * as summarised in the project digest §6.4 and §7.
 *
 * Fault priority within one stage (digest §6.4): input-range check, then per
 * level external abort -> invalid descriptor -> address size, then the Access
 * flag, then permission. Nested: for each stage-1 level a whole stage-2 walk
 * of the descriptor's IPA comes first, then the stage-1 descriptor checks;
 * the stage-1 Access flag and permission checks come before the stage-2 walk
 * of the output IPA.
 *
 * HTTU (IHI 0070 §3.13): with HA an Access flag of 0 in a leaf is set by a
 * descriptor write instead of faulting; with HD a write through a leaf with
 * DBM set and no write permission (S1 AP[2]=1, S2 S2AP[1]=0) clears the
 * read-only state (dirties it) instead of faulting. Both changes are one
 * write of the descriptor through the host's writer, made once the access
 * is known to succeed. A stage-1 descriptor in a nested walk is written at
 * its IPA, which needs stage-2 write permission (or the stage-2 leaf's own
 * dirty update): otherwise a stage-2 F_PERMISSION, CLASS=TT, TTRnW=0. An
 * aborted write is an F_WALK_EABT at its address.
 *
 * Not modelled: HTTU of table descriptors (HAFT), LPA2/DS (52-bit
 * with 4 KB/16 KB, level -1, 4 KB L0 blocks), 64 KB L1 blocks, AArch32 LPAE
 * tables, EPD/TBI/TTB selection (the caller's job), contiguous hint, S2PTW
 * (Device stage-2 mappings of stage-1 tables), Secure NSTable, permission
 * indirection, E0PD, EPAN, big-endian tables.
 */
#include <assert.h>
#include <stddef.h>
#include <string.h>

#include "ptw.h"
#include "smmu/smmu_defs.h"

/* Descriptor bits (VMSAv8-64, digest §7.2). */
#define D_VALID (1ull << 0)
#define D_TABLE (1ull << 1)    /* with D_VALID: table (L0-2) or page (L3) */
#define D_AP1 (1ull << 6)      /* S1 AP[1]: EL0 access; S2 S2AP[0]: read */
#define D_AP2 (1ull << 7)      /* S1 AP[2]: read-only; S2 S2AP[1]: write */
#define D_AF (1ull << 10)
#define D_NG (1ull << 11)
#define D_DBM (1ull << 51)
#define D_PXN (1ull << 53)     /* S2: XN[0] */
#define D_UXN (1ull << 54)     /* S2: XN[1]; single-privilege S1: XN */
#define T_PXN (1ull << 59)     /* PXNTable */
#define T_XN (1ull << 60)      /* UXNTable / XNTable */
#define T_AP_NOEL0 (1ull << 61) /* APTable[0] */
#define T_AP_RO (1ull << 62)   /* APTable[1] */

#define ADDR_TOP 47

static inline uint64_t genmask(unsigned hi, unsigned lo)
{
	return (~0ull >> (63 - hi)) & (~0ull << lo);
}

/* log2 of the bytes one entry at `level` maps: g + (3 - level) * (g - 3). */
static inline unsigned lvl_shift(unsigned g, int level)
{
	return g + (unsigned)(3 - level) * (g - 3);
}

/*
 * Address held in a table (lo = g) or leaf (lo = level shift) descriptor:
 * bits [47:lo]. With the 64 KB granule, bits [15:12] are OA[51:48]
 * (FEAT_LPA); they are always decoded, so with an output size of 48 bits or
 * less a non-zero value (RES0 without LPA) gives an address size fault
 * rather than a silently truncated address. With 4 KB and 16 KB (no DS)
 * bits [51:48] are RES0 and ignored.
 */
static uint64_t desc_out_addr(const struct smmu_ptw_stage *st, uint64_t desc, unsigned lo)
{
	uint64_t a = desc & genmask(ADDR_TOP, lo);

	if (st->granule_shift == 16)
		a |= ((desc >> 12) & 0xf) << 48;
	return a;
}

/* Block descriptors are legal at 4 KB L1/L2, 16 KB L2, 64 KB L2 (no LPA2). */
static bool block_legal(unsigned g, int level)
{
	if (g == 12)
		return level == 1 || level == 2;
	return level == 2;
}

/* Result of one stage's walk. */
struct stage_out {
	uint64_t oa; /* output of the input address, page offset included */
	int8_t level;
	uint8_t page_shift;
	uint8_t perm;
	uint8_t attr;
	bool ng;
	int8_t first_level;
	uint64_t table_pa[4];
	uint8_t table_attr[4];
	bool dbm; /* leaf writable-clean with HD */
};

struct walk_ctx {
	smmu_ptw_read_fn rd;
	void *rctx;
	struct smmu_ptw_result *res; /* reads of every stage accumulate here */
	struct smmu_ptw_fault *f;
	smmu_ptw_write_fn wr;        /* HTTU updates (NULL: none) */
	void *wctx;
	const struct smmu_ptw_req *top; /* the caller's request (its s2tt hooks) */
};

/*
 * Stage-1 permissions granted by a leaf (digest §7.2, Arm ARM
 * "Stage 1 data/instruction access permissions"), after the APTable,
 * XNTable and PXNTable restrictions of the tables above it.
 */
static uint8_t s1_perm(const struct smmu_ptw_stage *st, uint64_t desc, uint8_t t)
{
	bool ro = (desc & D_AP2) || (t & SMMU_PTW_TBL_AP_RO);
	uint8_t p;

	if (st->el2) {
		/*
		 * any-EL2 StreamWorld: one privilege level. AP[1] is treated
		 * as 1 (IHI 0070 §13.4.1: as if PRIV were 1), bit 54 is XN for
		 * everyone, PXN/PXNTable/APTable[0] are RES0, PAN does not
		 * apply. Grant the same rights to both privileges so that the
		 * request's PnU does not matter.
		 */
		bool x = !(desc & D_UXN) && !(t & SMMU_PTW_TBL_XN);

		p = SMMU_PERM_UR | SMMU_PERM_PR;
		if (!ro)
			p |= SMMU_PERM_UW | SMMU_PERM_PW;
		if (x && !(st->wxn && !ro))
			p |= SMMU_PERM_UX | SMMU_PERM_PX;
		return p;
	}

	bool user = (desc & D_AP1) && !(t & SMMU_PTW_TBL_AP_NOEL0);
	bool pr = true, pw = !ro;
	bool ur = user, uw = user && !ro;
	bool ux = !(desc & D_UXN) && !(t & SMMU_PTW_TBL_XN);
	/* Locations writable at EL0 are never privileged-executable. */
	bool px = !(desc & D_PXN) && !(t & SMMU_PTW_TBL_PXN) && !uw;

	if (st->wxn) {
		ux = ux && !uw;
		px = px && !pw;
	}
	/* PAN removes privileged data access to EL0-accessible locations. */
	if (st->pan && user)
		pr = pw = false;

	p = 0;
	p |= ur ? SMMU_PERM_UR : 0;
	p |= uw ? SMMU_PERM_UW : 0;
	p |= ux ? SMMU_PERM_UX : 0;
	p |= pr ? SMMU_PERM_PR : 0;
	p |= pw ? SMMU_PERM_PW : 0;
	p |= px ? SMMU_PERM_PX : 0;
	return p;
}

/*
 * Stage-2 permissions: S2AP[0] (bit 6) read, S2AP[1] (bit 7) write. With
 * IDR3.XNX, XN[1:0] (bits 54:53): 00 both, 01 EL0 only, 10 none, 11 EL1
 * only; without it only bit 54 counts.
 */
static uint8_t s2_perm(const struct smmu_ptw_stage *st, uint64_t desc)
{
	uint8_t p = 0;
	bool ux, px;

	if (desc & D_AP1)
		p |= SMMU_PERM_UR | SMMU_PERM_PR;
	if (desc & D_AP2)
		p |= SMMU_PERM_UW | SMMU_PERM_PW;
	if (st->xnx) {
		unsigned xn = (unsigned)(desc >> 53) & 3;

		ux = xn == 0 || xn == 1;
		px = xn == 0 || xn == 3;
	} else {
		ux = px = !(desc & D_UXN);
	}
	p |= ux ? SMMU_PERM_UX : 0;
	p |= px ? SMMU_PERM_PX : 0;
	return p;
}

/* The permission bit a request needs. An instruction fetch needs execute
 * permission only (VMSA semantics; data permissions are not consulted). */
static uint8_t perm_needed(const struct smmu_ptw_req *req)
{
	if (req->exec)
		return req->priv ? SMMU_PERM_PX : SMMU_PERM_UX;
	if (req->write)
		return req->priv ? SMMU_PERM_PW : SMMU_PERM_UW;
	return req->priv ? SMMU_PERM_PR : SMMU_PERM_UR;
}

/*
 * Fill the fault record for a fault in stage `st`. Stage 1: S2=0, CLASS=TT
 * for a walk external abort and CLASS=IN otherwise, IPA unknown (0).
 * Stage 2: S2=1, CLASS=s2cls (TT on a stage-1 table fetch, IN for the final
 * IPA; the caller may rewrite it, e.g. CD for a CD fetch), IPA = the input.
 */
static int set_fault(struct walk_ctx *c, const struct smmu_ptw_stage *st, uint8_t s2cls,
		     uint8_t event, int level, uint64_t ia, uint64_t fetch_addr)
{
	struct smmu_ptw_fault *f = c->f;

	memset(f, 0, sizeof(*f));
	f->event = event;
	f->s2 = st->stage2;
	if (st->stage2) {
		f->cls = s2cls;
		f->ipa = ia;
	} else {
		f->cls = event == SMMU_EVT_F_WALK_EABT ? SMMU_CLASS_TT : SMMU_CLASS_IN;
	}
	f->fetch_addr = fetch_addr;
	f->level = (int8_t)level;
	return 1;
}

static int read_desc(struct walk_ctx *c, uint64_t pa, uint64_t *desc)
{
	struct smmu_ptw_result *res = c->res;

	/* Nested worst case is 4 x (4 + 1) + 4 = 24 reads. */
	assert(res->nreads < SMMU_PTW_MAX_READS);
	res->reads[res->nreads++] = pa;
	*desc = 0;
	return c->rd(c->rctx, pa, desc);
}

/*
 * Walk one stage for input address `ia`. If `s2` is non-NULL this is the
 * stage-1 part of a nested walk: each table address is an IPA and every
 * descriptor address is first translated by a full stage-2 walk (a data
 * read). Returns 0 (out filled) or 1 (c->f filled).
 */
static int walk_stage(struct walk_ctx *c, const struct smmu_ptw_stage *st,
		      const struct smmu_ptw_stage *s2, uint64_t ia, const struct smmu_ptw_req *req,
		      const struct smmu_ptw_hint *hint, uint8_t s2cls, struct stage_out *out)
{
	const unsigned g = st->granule_shift;
	const unsigned stride = g - 3;
	const unsigned insize = 64u - st->tsz;
	uint8_t acc = 0; /* SMMU_PTW_TBL_* from the tables walked */
	uint64_t table;
	bool table_is_ipa;
	int level;

	assert(g == 12 || g == 14 || g == 16);
	assert(st->start_level >= 0 && st->start_level <= 3);
	assert(insize > lvl_shift(g, st->start_level) &&
	       insize <= lvl_shift(g, st->start_level) + stride + 4);
	assert(st->oa_bits >= 32 && st->oa_bits <= 52);
	memset(out, 0, sizeof(*out));

	/*
	 * Input range: bits [63:insize] must be zero. A stage-1 VA may also
	 * arrive sign-extended (all ones: a TTB1 address, TBI already
	 * applied by the caller); only the low insize bits index the tables.
	 */
	if (insize < 64) {
		uint64_t top = ia >> insize;

		if (top != 0 && (st->stage2 || top != (~0ull >> insize)))
			return set_fault(c, st, s2cls, SMMU_EVT_F_TRANSLATION, -1, ia, 0);
	}

	level = st->start_level;
	{
		/* The start table (all concatenated tables at stage 2) is
		 * aligned to its size; low TTB bits are treated as zero. */
		unsigned bits = insize - lvl_shift(g, level);
		uint64_t size = 8ull << bits;

		if (size < 64)
			size = 64;
		table = st->ttb & ~(size - 1);
	}
	table_is_ipa = s2 != NULL;
	if (hint && hint->level >= 0) {
		assert(hint->level >= st->start_level && hint->level <= 3);
		level = hint->level;
		table = hint->table_pa;
		table_is_ipa = false; /* walk caches hold PAs */
		if (!st->stage2)
			acc = hint->table_attr;
	}
	out->first_level = (int8_t)level;

	for (;; level++) {
		unsigned sh = lvl_shift(g, level);
		unsigned width = level == st->start_level ? insize - sh : stride;
		uint64_t idx = (ia >> sh) & genmask(width - 1, 0);
		uint64_t desc_pa = table + idx * 8;
		const uint64_t desc_ipa = desc_pa; /* an IPA when table_is_ipa */
		uint64_t desc;

		assert(level <= 3);
		if (table_is_ipa) {
			struct smmu_ptw_req r2 = {
				.ia = desc_pa, .write = false, .priv = true, .exec = false
			};
			struct stage_out o2;
			uint64_t cached;

			if (c->top->s2tt_lookup && c->top->s2tt_lookup(c->wctx, desc_pa, &cached)) {
				desc_pa = cached;
			} else {
				if (walk_stage(c, s2, NULL, desc_pa, &r2, NULL, SMMU_CLASS_TT, &o2))
					return 1;
				/* STE.S2PTW: no table walk into stage-2 Device memory
				 * (never cached, so a cached translation passed). */
				if (s2->ptw && smmu_s2_attr_device(o2.attr, s2->fwb))
					return set_fault(c, s2, SMMU_CLASS_TT, SMMU_EVT_F_PERMISSION,
							 o2.level, desc_pa, 0);
				if (c->top->s2tt_insert)
					c->top->s2tt_insert(c->wctx, desc_pa, o2.oa, o2.page_shift);
				desc_pa = o2.oa;
			}
		}
		/* The table base, as a PA (valid as a walk-cache hint when the
		 * table does not straddle two stage-2 pages). */
		out->table_pa[level] = desc_pa - idx * 8;
		out->table_attr[level] = acc;

		if (read_desc(c, desc_pa, &desc))
			return set_fault(c, st, s2cls, SMMU_EVT_F_WALK_EABT, level, ia, desc_pa);
		if (!(desc & D_VALID))
			return set_fault(c, st, s2cls, SMMU_EVT_F_TRANSLATION, level, ia, 0);

		if (level < 3 && (desc & D_TABLE)) {
			uint64_t next = desc_out_addr(st, desc, g);

			if (next >> st->oa_bits)
				return set_fault(c, st, s2cls, SMMU_EVT_F_ADDR_SIZE, level, ia, 0);
			if (!st->stage2) {
				acc |= (desc & T_AP_RO) ? SMMU_PTW_TBL_AP_RO : 0;
				acc |= (desc & T_AP_NOEL0) ? SMMU_PTW_TBL_AP_NOEL0 : 0;
				acc |= (desc & T_XN) ? SMMU_PTW_TBL_XN : 0;
				acc |= (desc & T_PXN) ? SMMU_PTW_TBL_PXN : 0;
			}
			table = next;
			table_is_ipa = s2 != NULL;
			continue;
		}

		/* Leaf: a page at L3 (type 11), a block at a legal level. */
		if (level == 3 ? !(desc & D_TABLE) : !block_legal(g, level))
			return set_fault(c, st, s2cls, SMMU_EVT_F_TRANSLATION, level, ia, 0);

		uint64_t base = desc_out_addr(st, desc, sh);

		if (base >> st->oa_bits)
			return set_fault(c, st, s2cls, SMMU_EVT_F_ADDR_SIZE, level, ia, 0);

		/* HTTU: the value the descriptor takes if the access succeeds. */
		const bool ha = st->ha && c->wr, hd = st->hd && ha;
		uint64_t upd = desc;

		if (!(desc & D_AF)) {
			if (ha)
				upd |= D_AF;
			else if (!st->affd)
				return set_fault(c, st, s2cls, SMMU_EVT_F_ACCESS, level, ia, 0);
		}

		uint8_t perm = st->stage2 ? s2_perm(st, upd) : s1_perm(st, upd, acc);
		const uint64_t dirty = st->stage2 ? (upd | D_AP2) : (upd & ~D_AP2);
		const bool clean = hd && (desc & D_DBM) && dirty != upd;

		if (!(perm & perm_needed(req)) && clean && req->write) {
			/* Writable-clean: the write dirties the descriptor, unless
			 * something else (APTable, XN, EL0 rules) still denies it. */
			uint8_t p2 = st->stage2 ? s2_perm(st, dirty) : s1_perm(st, dirty, acc);

			if (p2 & perm_needed(req)) {
				upd = dirty;
				perm = p2;
			}
		}
		if (!(perm & perm_needed(req)))
			return set_fault(c, st, s2cls, SMMU_EVT_F_PERMISSION, level, ia, 0);

		if (upd != desc) {
			if (table_is_ipa) {
				/* The update is a write to the descriptor's IPA. */
				struct smmu_ptw_req w2 = {
					.ia = desc_ipa, .write = true, .priv = true, .exec = false
				};
				struct stage_out o2;

				if (walk_stage(c, s2, NULL, desc_ipa, &w2, NULL, SMMU_CLASS_TT, &o2)) {
					c->f->desc_write = true;
					return 1;
				}
				if (s2->ptw && smmu_s2_attr_device(o2.attr, s2->fwb)) {
					set_fault(c, s2, SMMU_CLASS_TT, SMMU_EVT_F_PERMISSION, o2.level,
						  desc_ipa, 0);
					c->f->desc_write = true;
					return 1;
				}
			}
			c->res->nwrites++;
			if (c->wr(c->wctx, desc_pa, upd))
				return set_fault(c, st, s2cls, SMMU_EVT_F_WALK_EABT, level, ia,
						 desc_pa);
		}
		out->dbm = hd && (upd & D_DBM) && (st->stage2 ? (upd | D_AP2) : (upd & ~D_AP2)) != upd &&
			   (st->stage2 || !(acc & SMMU_PTW_TBL_AP_RO));

		out->oa = base | (ia & genmask(sh - 1, 0));
		out->level = (int8_t)level;
		out->page_shift = (uint8_t)sh;
		out->perm = perm;
		out->attr = st->stage2 ? (uint8_t)((desc >> 2) & 0xf) : (uint8_t)((desc >> 2) & 0x7);
		out->ng = (desc & D_NG) != 0;
		return 0;
	}
}

static void res_init(struct smmu_ptw_result *res)
{
	memset(res, 0, sizeof(*res));
	res->level = -1;
	res->first_level = -1;
	res->s1_level = -1;
	res->s1_perm = SMMU_PERM_ALL;
	res->s2_perm = SMMU_PERM_ALL;
}

int smmu_ptw_walk(const struct smmu_ptw_stage *st, const struct smmu_ptw_req *req,
		  const struct smmu_ptw_hint *hint, smmu_ptw_read_fn rd, void *rctx,
		  struct smmu_ptw_result *res, struct smmu_ptw_fault *f)
{
	struct walk_ctx c = {rd, rctx, res, f, req->wr, req->wctx, req};
	struct stage_out o;

	res_init(res);
	if (walk_stage(&c, st, NULL, req->ia, req, hint, SMMU_CLASS_IN, &o))
		return 1;

	res->oa = o.oa;
	res->page_shift = o.page_shift;
	res->level = o.level;
	res->first_level = o.first_level;
	memcpy(res->table_pa, o.table_pa, sizeof(res->table_pa));
	memcpy(res->table_attr, o.table_attr, sizeof(res->table_attr));
	if (st->stage2) {
		res->s2_dbm = o.dbm;
		res->ipa = req->ia;
		res->s2_perm = o.perm;
		res->s2_attr = o.attr;
		res->s2_page_shift = o.page_shift;
		res->global = false;
	} else {
		res->s1_dbm = o.dbm;
		res->ipa = o.oa;
		res->s1_perm = o.perm;
		res->s1_attr = o.attr;
		res->s1_level = o.level;
		res->s1_page_shift = o.page_shift;
		res->global = !o.ng;
	}
	return 0;
}

int smmu_ptw_walk_nested(const struct smmu_ptw_stage *s1, const struct smmu_ptw_stage *s2,
			 const struct smmu_ptw_req *req, const struct smmu_ptw_hint *hint,
			 smmu_ptw_read_fn rd, void *rctx, struct smmu_ptw_result *res,
			 struct smmu_ptw_fault *f)
{
	struct walk_ctx c = {rd, rctx, res, f, req->wr, req->wctx, req};
	struct stage_out o1, o2;

	assert(!s1->stage2 && s2->stage2);
	res_init(res);
	/* Stage 1, each table fetch translated by stage 2 (class TT). */
	if (walk_stage(&c, s1, s2, req->ia, req, hint, SMMU_CLASS_IN, &o1))
		return 1;
	/* Stage 2 of the output IPA, with the transaction's own access. */
	if (walk_stage(&c, s2, NULL, o1.oa, req, NULL, SMMU_CLASS_IN, &o2))
		return 1;

	res->oa = o2.oa;
	res->ipa = o1.oa;
	res->page_shift = o1.page_shift < o2.page_shift ? o1.page_shift : o2.page_shift;
	res->level = o2.level;
	res->s1_perm = o1.perm;
	res->s2_perm = o2.perm;
	res->s1_dbm = o1.dbm;
	res->s2_dbm = o2.dbm;
	res->global = !o1.ng;
	res->s1_attr = o1.attr;
	res->s2_attr = o2.attr;
	res->first_level = o1.first_level;
	memcpy(res->table_pa, o1.table_pa, sizeof(res->table_pa));
	memcpy(res->table_attr, o1.table_attr, sizeof(res->table_attr));
	res->s1_level = o1.level;
	res->s1_page_shift = o1.page_shift;
	res->s2_page_shift = o2.page_shift;
	return 0;
}

/*
 * Stage-2 start level and concatenation (digest §7.1; Arm ARM
 * AArch64.S2InvalidSL / S2InconsistentSL). With n = input bits resolved at
 * the start level, 1 <= n <= stride + 4, and n > stride means
 * 2^(n - stride) concatenated tables. The level-0/level-1 rules compare
 * against oa_bits (eff_S2PS); the Arm ARM uses PAMax, which only differs
 * when S2PS is below the implemented OAS.
 */
bool smmu_ptw_s2_setup(struct smmu_ptw_stage *st, unsigned sl0)
{
	unsigned g = st->granule_shift, stride, insize, sh;
	int level;

	if (g != 12 && g != 14 && g != 16)
		return false;
	if (st->tsz >= 64)
		return false;
	stride = g - 3;
	insize = 64u - st->tsz;

	if (g == 12) {
		/* SL0 0 -> L2, 1 -> L1, 2 -> L0; 3 (L3) needs FEAT_TTST. */
		if (sl0 > 2)
			return false;
		level = 2 - (int)sl0;
		if (level == 0 && st->oa_bits < 44)
			return false;
	} else {
		/* SL0 0 -> L3, 1 -> L2, 2 -> L1; 3 (L0) only for 16 KB + DS. */
		if (sl0 > 2)
			return false;
		level = 3 - (int)sl0;
		if (level == 1 && st->oa_bits < (g == 14 ? 42 : 44))
			return false;
	}

	sh = lvl_shift(g, level);
	if (insize < sh + 1 || insize > sh + stride + 4)
		return false;

	st->start_level = (int8_t)level;
	st->concat = (uint8_t)(insize - sh > stride ? 1u << (insize - sh - stride) : 1u);
	return true;
}

/*
 * Stage-1 start level: levels = ceil((insize - g) / stride), start =
 * 4 - levels. Returns -1 when the input size needs more than four levels
 * (LPA2/level -1) or is not larger than one page.
 */
int smmu_ptw_s1_start_level(unsigned tsz, unsigned granule_shift)
{
	unsigned g = granule_shift, stride, insize, levels;

	if ((g != 12 && g != 14 && g != 16) || tsz >= 64)
		return -1;
	stride = g - 3;
	insize = 64u - tsz;
	if (insize <= g)
		return -1;
	levels = (insize - g + stride - 1) / stride;
	if (levels > 4)
		return -1;
	return 4 - (int)levels;
}
