/*
 * build_pt.c - VMSAv8-64 translation table builder (see smmu/build_pt.h).
 *
 * Geometry follows the walker (ptw.c): an entry at level l maps
 * 2^(g + (3 - l)(g - 3)) bytes; the start table resolves the remaining
 * input bits, which at stage 2 may exceed one table (concatenation, digest
 * §7.1); the concatenated tables are one block aligned to their total size.
 */
#include <stddef.h>

#include "smmu/build_pt.h"

#define ADDR_TOP 47

static inline uint64_t genmask(unsigned hi, unsigned lo)
{
	return (~0ull >> (63 - hi)) & (~0ull << lo);
}

static unsigned lvl_shift(unsigned g, int level)
{
	return g + (unsigned)(3 - level) * (g - 3);
}

unsigned smmu_pt_level_shift(const struct smmu_pt *pt, int level)
{
	return lvl_shift(pt->cfg.granule_shift, level);
}

static unsigned insize(const struct smmu_pt *pt)
{
	return 64u - pt->cfg.tsz;
}

/* Index bits at `level`: the rest of the input at the start level. */
static unsigned idx_bits(const struct smmu_pt *pt, int level)
{
	unsigned g = pt->cfg.granule_shift;

	if (level == pt->cfg.start_level)
		return insize(pt) - lvl_shift(g, level);
	return g - 3;
}

static uint64_t slot_addr(const struct smmu_pt *pt, uint64_t table, uint64_t ia, int level)
{
	unsigned sh = lvl_shift(pt->cfg.granule_shift, level);

	return table + ((ia >> sh) & genmask(idx_bits(pt, level) - 1, 0)) * 8;
}

/* Address field of a descriptor (OA[51:48] in bits 15:12 with 64 KB). */
static uint64_t desc_addr(const struct smmu_pt *pt, uint64_t desc, unsigned lo)
{
	uint64_t a = desc & genmask(ADDR_TOP, lo);

	if (pt->cfg.granule_shift == 16)
		a |= ((desc >> 12) & 0xf) << 48;
	return a;
}

static int encode_addr(const struct smmu_pt *pt, uint64_t a, uint64_t *field)
{
	if (a >> 48) {
		if (pt->cfg.granule_shift != 16 || (a >> 52))
			return SMMU_PT_ERR_INVAL;
		*field = (a & genmask(ADDR_TOP, 16)) | (((a >> 48) & 0xf) << 12);
		return SMMU_PT_OK;
	}
	*field = a;
	return SMMU_PT_OK;
}

void smmu_pt_attr_default(struct smmu_pt_attr *attr, bool stage2)
{
	*attr = (struct smmu_pt_attr){0};
	attr->af = true;
	attr->sh = 3;
	if (stage2) {
		attr->s2ap = SMMU_PT_S2AP_RW;
		attr->memattr = 0xf;
	} else {
		attr->ap = SMMU_PT_AP_RW;
	}
}

int smmu_pt_init(struct smmu_pt *pt, const struct smmu_pt_cfg *cfg,
		 const struct smmu_pt_ops *ops, void *ctx)
{
	unsigned g = cfg->granule_shift, stride, in, n;
	int level = cfg->start_level;
	uint64_t size;

	if ((g != 12 && g != 14 && g != 16) || cfg->tsz >= 64 || !ops || !ops->read64 ||
	    !ops->write64 || !ops->alloc)
		return SMMU_PT_ERR_INVAL;
	stride = g - 3;
	in = 64u - cfg->tsz;
	if (in <= g || in > 52)
		return SMMU_PT_ERR_INVAL;
	if (level < 0) {
		unsigned levels = (in - g + stride - 1) / stride;

		if (levels > 4)
			return SMMU_PT_ERR_INVAL;
		level = 4 - (int)levels;
	}
	if (level > 3)
		return SMMU_PT_ERR_INVAL;
	if (in <= lvl_shift(g, level))
		return SMMU_PT_ERR_INVAL;
	n = in - lvl_shift(g, level);
	if (n > stride + (cfg->stage2 ? 4u : 0u))
		return SMMU_PT_ERR_INVAL;

	pt->cfg = *cfg;
	pt->cfg.start_level = (int8_t)level;
	pt->concat = (uint8_t)(n > stride ? 1u << (n - stride) : 1u);
	pt->ops = ops;
	pt->ctx = ctx;
	size = 8ull << n;
	if (size < 64)
		size = 64;
	if (ops->alloc(ctx, size, &pt->root))
		return SMMU_PT_ERR_NOMEM;
	return SMMU_PT_OK;
}

/*
 * Descend from the start table to the table that holds `ia`'s entry at
 * `level`. With `create`, missing tables are allocated. Returns the table
 * address in *table.
 */
static int descend(const struct smmu_pt *pt, uint64_t ia, int level, bool create,
		   uint64_t *table)
{
	unsigned g = pt->cfg.granule_shift;
	uint64_t t = pt->root;

	for (int l = pt->cfg.start_level; l < level; l++) {
		uint64_t slot = slot_addr(pt, t, ia, l), desc;

		if (pt->ops->read64(pt->ctx, slot, &desc))
			return SMMU_PT_ERR_IO;
		if (!(desc & SMMU_PT_DESC_VALID)) {
			uint64_t nt, field;

			if (!create)
				return SMMU_PT_ERR_NOENT;
			if (pt->ops->alloc(pt->ctx, 1ull << g, &nt))
				return SMMU_PT_ERR_NOMEM;
			if (encode_addr(pt, nt, &field) || (nt & genmask(g - 1, 0)))
				return SMMU_PT_ERR_INVAL;
			desc = field | SMMU_PT_DESC_TABLE | SMMU_PT_DESC_VALID;
			if (pt->ops->write64(pt->ctx, slot, desc))
				return SMMU_PT_ERR_IO;
		} else if (!(desc & SMMU_PT_DESC_TABLE)) {
			/* A block is in the way. */
			return create ? SMMU_PT_ERR_EXIST : SMMU_PT_ERR_NOENT;
		}
		t = desc_addr(pt, desc, g);
	}
	*table = t;
	return SMMU_PT_OK;
}

static uint64_t leaf_desc(const struct smmu_pt *pt, uint64_t field, int level,
			  const struct smmu_pt_attr *a)
{
	uint64_t d = field | SMMU_PT_DESC_VALID | (level == 3 ? SMMU_PT_DESC_TABLE : 0);

	d |= (uint64_t)(a->sh & 3) << 8;
	d |= a->af ? SMMU_PT_DESC_AF : 0;
	if (pt->cfg.stage2) {
		d |= (uint64_t)(a->memattr & 0xf) << 2;
		d |= (uint64_t)(a->s2ap & 3) << 6;
		d |= (uint64_t)(a->xn & 3) << 53;
	} else {
		d |= (uint64_t)(a->attr_indx & 7) << 2;
		d |= (uint64_t)(a->ap & 3) << 6;
		d |= a->ng ? SMMU_PT_DESC_NG : 0;
		d |= a->pxn ? SMMU_PT_DESC_PXN : 0;
		d |= a->uxn ? SMMU_PT_DESC_UXN : 0;
	}
	return d | a->extra;
}

static bool range_ok(const struct smmu_pt *pt, uint64_t ia, uint64_t size)
{
	unsigned in = insize(pt);

	if (size == 0 || ia + size < ia)
		return false;
	return in >= 64 || (ia + size - 1) >> in == 0;
}

int smmu_pt_map(struct smmu_pt *pt, uint64_t ia, uint64_t oa, uint64_t size,
		unsigned leaf_shift, const struct smmu_pt_attr *attr)
{
	int level = -1;
	uint64_t step;

	for (int l = pt->cfg.start_level; l <= 3; l++)
		if (lvl_shift(pt->cfg.granule_shift, l) == leaf_shift)
			level = l;
	if (level < 0 || !attr || !range_ok(pt, ia, size))
		return SMMU_PT_ERR_INVAL;
	step = 1ull << leaf_shift;
	if ((ia | oa | size) & (step - 1) || oa + size < oa || (oa + size - 1) >> 52)
		return SMMU_PT_ERR_INVAL;

	for (uint64_t off = 0; off < size; off += step) {
		uint64_t table, slot, desc, field;
		int rc = descend(pt, ia + off, level, true, &table);

		if (rc)
			return rc;
		slot = slot_addr(pt, table, ia + off, level);
		if (pt->ops->read64(pt->ctx, slot, &desc))
			return SMMU_PT_ERR_IO;
		if (desc & SMMU_PT_DESC_VALID)
			return SMMU_PT_ERR_EXIST;
		if (encode_addr(pt, oa + off, &field))
			return SMMU_PT_ERR_INVAL;
		if (pt->ops->write64(pt->ctx, slot, leaf_desc(pt, field, level, attr)))
			return SMMU_PT_ERR_IO;
	}
	return SMMU_PT_OK;
}

int smmu_pt_unmap(struct smmu_pt *pt, uint64_t ia, uint64_t size)
{
	unsigned g = pt->cfg.granule_shift;
	uint64_t end, a;

	if (!range_ok(pt, ia, size))
		return SMMU_PT_ERR_INVAL;
	end = ia + size; /* no overflow: checked above */
	a = ia;
	while (a < end) {
		uint64_t t = pt->root, next = 0;
		int l;

		for (l = pt->cfg.start_level; l <= 3; l++) {
			unsigned sh = lvl_shift(g, l);
			uint64_t slot = slot_addr(pt, t, a, l), desc;
			uint64_t base = a & ~genmask(sh - 1, 0);

			if (pt->ops->read64(pt->ctx, slot, &desc))
				return SMMU_PT_ERR_IO;
			if (!(desc & SMMU_PT_DESC_VALID)) {
				next = base + (1ull << sh);
				break;
			}
			if (l < 3 && (desc & SMMU_PT_DESC_TABLE)) {
				t = desc_addr(pt, desc, g);
				continue;
			}
			if (base < ia || base + (1ull << sh) > end)
				return SMMU_PT_ERR_PARTIAL;
			if (pt->ops->write64(pt->ctx, slot, 0))
				return SMMU_PT_ERR_IO;
			next = base + (1ull << sh);
			break;
		}
		if (next <= a) /* wrapped past the top of the address space */
			break;
		a = next;
	}
	return SMMU_PT_OK;
}

int smmu_pt_lookup(const struct smmu_pt *pt, uint64_t ia, int level, uint64_t *desc_addr_out,
		   uint64_t *desc)
{
	uint64_t table, slot;
	int rc;

	if (level < pt->cfg.start_level || level > 3 || !range_ok(pt, ia, 1))
		return SMMU_PT_ERR_INVAL;
	rc = descend(pt, ia, level, false, &table);
	if (rc)
		return rc;
	slot = slot_addr(pt, table, ia, level);
	if (pt->ops->read64(pt->ctx, slot, desc))
		return SMMU_PT_ERR_IO;
	*desc_addr_out = slot;
	return SMMU_PT_OK;
}

int smmu_pt_update(struct smmu_pt *pt, uint64_t ia, int level, uint64_t clear, uint64_t set)
{
	uint64_t addr, desc;
	int rc = smmu_pt_lookup(pt, ia, level, &addr, &desc);

	if (rc)
		return rc;
	if (pt->ops->write64(pt->ctx, addr, (desc & ~clear) | set))
		return SMMU_PT_ERR_IO;
	return SMMU_PT_OK;
}

const char *smmu_pt_strerror(int status)
{
	switch (status) {
	case SMMU_PT_OK:
		return "SMMU_PT_OK: success";
	case SMMU_PT_ERR_INVAL:
		return "SMMU_PT_ERR_INVAL: bad geometry, size, alignment or range";
	case SMMU_PT_ERR_NOMEM:
		return "SMMU_PT_ERR_NOMEM: table allocation failed";
	case SMMU_PT_ERR_EXIST:
		return "SMMU_PT_ERR_EXIST: already mapped";
	case SMMU_PT_ERR_NOENT:
		return "SMMU_PT_ERR_NOENT: no table at that level";
	case SMMU_PT_ERR_IO:
		return "SMMU_PT_ERR_IO: table memory access failed";
	case SMMU_PT_ERR_PARTIAL:
		return "SMMU_PT_ERR_PARTIAL: range cuts through a mapping";
	default:
		return "unknown status";
	}
}
