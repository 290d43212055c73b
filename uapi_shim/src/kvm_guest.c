/*
 * kvm_guest.c - what a KVM guest does to its own memory, for traces'
 * `guest` records: stores and loads through the VM's memslots (IPA ->
 * userspace_addr -> the VMM's mmap backing -> host PA), and the stage-1
 * translation tables a guest kernel builds for a device it drives through
 * a vSMMU (VMSAv8-64, EL1&0, Arm ARM D8.3 "Translation table descriptor
 * formats"; IHI 0070 §5.4 CD.TTB0 points at the root).
 *
 * Descriptors written (level-3 page descriptors only, never blocks):
 *   [1:0] 0b11  [4:2] AttrIndx 0  [7:6] AP: AP[1] = 1 (EL0 access),
 *   AP[2] = 1 read-only (perm r)  [9:8] SH 0b11 inner shareable  [10] AF 1
 *   [11] nG 1  [47:granule] output IPA  [53] PXN, [54] UXN: set unless x.
 * Table descriptors: [1:0] 0b11, [47:granule] the next table's IPA.
 * Not modelled: 52-bit addresses (LPA/LPA2), blocks, contiguous hints,
 * TTBR1 (upper VA range), hardware-managed AF/DBM.
 */
#include "kvm.h"

#include "shim_internal.h"

#include <stdlib.h>
#include <string.h>

int kvm_guest_rw(struct shim_kvm *k, uint64_t ipa, void *buf, uint64_t len, bool write)
{
	struct kenv *env = &k->s->env;
	uint8_t *b = buf;
	while (len) {
		const struct kvm_memslot *m = NULL;
		for (size_t i = 0; i < k->nslots; i++)
			if (ipa >= k->slots[i].base && ipa - k->slots[i].base < k->slots[i].size) {
				m = &k->slots[i];
				break;
			}
		/* A store to a read-only slot is an MMIO exit: it reaches no memory. */
		if (!m || (write && (m->flags & KVM_MEM_READONLY)))
			return -EFAULT;
		uint64_t pa, contig;
		if (shim_proc_translate(k->mm, m->uaddr + (ipa - m->base), &pa, &contig))
			return -EFAULT;
		uint64_t n = m->base + m->size - ipa;
		if (n > contig)
			n = contig;
		if (n > len)
			n = len;
		if (n > (1u << 30))
			n = 1u << 30;
		int rc = write ? kmem_write(env, pa, b, (uint32_t)n) : kmem_read(env, pa, b, (uint32_t)n);
		if (rc)
			return -EFAULT;
		b += n;
		ipa += n;
		len -= n;
	}
	return 0;
}

int shim_guest_write(struct shim *s, const char *proc, int vmfd, uint64_t ipa, const void *buf,
                     uint64_t len)
{
	struct shim_kvm *k = NULL;
	int rc = s && buf ? kvm_vm_lookup(s, proc, vmfd, &k) : -EINVAL;
	return rc ? rc : kvm_guest_rw(k, ipa, (void *)buf, len, true);
}

int shim_guest_read(struct shim *s, const char *proc, int vmfd, uint64_t ipa, void *buf,
                    uint64_t len)
{
	struct shim_kvm *k = NULL;
	int rc = s && buf ? kvm_vm_lookup(s, proc, vmfd, &k) : -EINVAL;
	return rc ? rc : kvm_guest_rw(k, ipa, buf, len, false);
}

/* ------------------------------------------------------------------ */
/* stage-1 tables                                                       */

#define S1_OA_TOP 48u
#define D_VALID 1ull
#define D_TABLE 3ull /* also the page descriptor type at level 3 */
#define D_AP_EL0 (1ull << 6)
#define D_AP_RO (1ull << 7)
#define D_SH_INNER (3ull << 8)
#define D_AF (1ull << 10)
#define D_NG (1ull << 11)
#define D_PXN (1ull << 53)
#define D_UXN (1ull << 54)

/* The table geometry: a level resolves `stride` bits; level 3 the lowest. */
struct s1_geom {
	unsigned gshift, stride, start, va_bits;
	uint64_t granule, root_bytes;
};

static int geom_init(struct s1_geom *g, uint32_t granule, uint32_t va_bits)
{
	if (!granule)
		granule = 4096;
	if (!va_bits)
		va_bits = 48;
	if (granule != 4096 && granule != 16384 && granule != 65536)
		return -EINVAL;
	if (va_bits < 25 || va_bits > 48)
		return -EINVAL;
	g->granule = granule;
	g->gshift = (unsigned)__builtin_ctz(granule);
	g->stride = g->gshift - 3;
	g->va_bits = va_bits;
	unsigned levels = (va_bits - g->gshift + g->stride - 1) / g->stride;
	g->start = 4 - levels;
	unsigned root_bits = va_bits - g->gshift - g->stride * (levels - 1);
	g->root_bytes = 8ull << root_bits;
	return 0;
}

static unsigned level_shift(const struct s1_geom *g, unsigned lvl)
{
	return g->gshift + g->stride * (3 - lvl);
}

static uint64_t oa_of(const struct s1_geom *g, uint64_t desc)
{
	uint64_t mask = ((1ull << S1_OA_TOP) - 1) & ~(g->granule - 1);
	return desc & mask;
}

static int rd64(struct shim_kvm *k, uint64_t ipa, uint64_t *v)
{
	return kvm_guest_rw(k, ipa, v, 8, false);
}

static int wr64(struct shim_kvm *k, uint64_t ipa, uint64_t v)
{
	return kvm_guest_rw(k, ipa, &v, 8, true);
}

static struct kvm_s1_table *table_find(struct shim_kvm *k, uint64_t ttb)
{
	for (size_t i = 0; i < k->ntables; i++)
		if (k->tables[i].ttb == ttb)
			return &k->tables[i];
	return NULL;
}

static struct kvm_s1_pool *pool_get(struct shim_kvm *k, uint64_t start)
{
	for (size_t i = 0; i < k->npools; i++)
		if (k->pools[i].start == start)
			return &k->pools[i];
	if (k->npools == k->cappools) {
		size_t nc = k->cappools ? 2 * k->cappools : 4;
		struct kvm_s1_pool *np = realloc(k->pools, nc * sizeof(*np));
		if (!np)
			return NULL;
		k->pools = np;
		k->cappools = nc;
	}
	k->pools[k->npools] = (struct kvm_s1_pool){start, start};
	return &k->pools[k->npools++];
}

/*
 * Walk to the level-3 descriptor of `va`: its IPA in *leaf. Without a pool,
 * a missing table is -ENOENT; with one, a zeroed granule is taken from it
 * and linked in. A block or reserved descriptor on the way is -EEXIST
 * (the guest mapped that range otherwise).
 */
static int s1_walk(struct shim_kvm *k, const struct s1_geom *g, uint64_t ttb, uint64_t va,
                   struct kvm_s1_pool *pool, uint64_t *leaf)
{
	uint64_t table = ttb;
	for (unsigned lvl = g->start; lvl < 3; lvl++) {
		unsigned bits = lvl == g->start ? (unsigned)__builtin_ctzll(g->root_bytes / 8) : g->stride;
		uint64_t idx = (va >> level_shift(g, lvl)) & ((1ull << bits) - 1);
		uint64_t at = table + 8 * idx, d;
		if (rd64(k, at, &d))
			return -EFAULT;
		if ((d & 3) == D_TABLE) {
			table = oa_of(g, d);
			continue;
		}
		if (d & D_VALID)
			return -EEXIST;
		if (!pool)
			return -ENOENT;
		uint64_t page = pool->next;
		void *zero = calloc(1, g->granule);
		if (!zero)
			return -ENOMEM;
		int rc = kvm_guest_rw(k, page, zero, g->granule, true);
		free(zero);
		if (rc)
			return rc;
		if (wr64(k, at, page | D_TABLE))
			return -EFAULT;
		pool->next += g->granule;
		table = page;
	}
	*leaf = table + 8 * ((va >> g->gshift) & ((1ull << g->stride) - 1));
	return 0;
}

static uint64_t leaf_desc(const struct s1_geom *g, uint64_t ipa, uint32_t perm)
{
	uint64_t d = oa_of(g, ipa) | D_TABLE | D_AP_EL0 | D_SH_INNER | D_AF | D_NG;
	if (!(perm & SHIM_S1_W))
		d |= D_AP_RO;
	if (!(perm & SHIM_S1_X))
		d |= D_PXN | D_UXN;
	return d;
}

/* Common argument checks of map and unmap. */
static int range_ok(const struct s1_geom *g, uint64_t ttb, uint64_t va, uint64_t len)
{
	uint64_t root_align = g->root_bytes < 64 ? 64 : g->root_bytes;
	if (ttb & (root_align - 1))
		return -EINVAL;
	if ((va | len) & (g->granule - 1) || !len)
		return -EINVAL;
	if (va >= (1ull << g->va_bits) || len > (1ull << g->va_bits) - va)
		return -EINVAL;
	return 0;
}

/* The table at ttb keeps the geometry it was first built with. */
static int table_geom(struct shim_kvm *k, uint64_t ttb, uint32_t granule, uint32_t va_bits,
                      bool record, struct s1_geom *g)
{
	struct kvm_s1_table *t = table_find(k, ttb);
	if (t) {
		if ((granule && granule != t->granule) || (va_bits && va_bits != t->va_bits))
			return -EINVAL;
		return geom_init(g, t->granule, t->va_bits);
	}
	int rc = geom_init(g, granule, va_bits);
	if (rc || !record)
		return rc;
	if (k->ntables == k->captables) {
		size_t nc = k->captables ? 2 * k->captables : 4;
		struct kvm_s1_table *nt = realloc(k->tables, nc * sizeof(*nt));
		if (!nt)
			return -ENOMEM;
		k->tables = nt;
		k->captables = nc;
	}
	k->tables[k->ntables++] = (struct kvm_s1_table){ttb, (uint32_t)g->granule, g->va_bits};
	return 0;
}

int shim_guest_s1map(struct shim *s, const char *proc, int vmfd, const struct shim_s1map *m)
{
	if (!s || !m || m->size < sizeof(*m))
		return -EINVAL;
	struct shim_kvm *k = NULL;
	int rc = kvm_vm_lookup(s, proc, vmfd, &k);
	if (rc)
		return rc;
	struct s1_geom g;
	struct kvm_s1_table *known = table_find(k, m->ttb);
	rc = known ? table_geom(k, m->ttb, m->granule, m->va_bits, false, &g)
	           : geom_init(&g, m->granule, m->va_bits);
	if (rc)
		return rc;
	if ((rc = range_ok(&g, m->ttb, m->va, m->len)))
		return rc;
	if (!(m->perm & SHIM_S1_R) || (m->perm & ~(SHIM_S1_R | SHIM_S1_W | SHIM_S1_X)) ||
	    m->asid > 0xffff)
		return -EINVAL;
	if ((m->ipa & (g.granule - 1)) || m->ipa >= (1ull << S1_OA_TOP) ||
	    m->len > (1ull << S1_OA_TOP) - m->ipa)
		return -EINVAL;
	uint64_t pool_start = m->pool;
	if (pool_start == SHIM_S1_POOL_AFTER_ROOT)
		pool_start = (m->ttb + g.root_bytes + g.granule - 1) & ~(g.granule - 1);
	if (pool_start & (g.granule - 1))
		return -EINVAL;
	/* First pass: nothing is written unless every page is free or already
	 * mapped exactly so. */
	for (uint64_t off = 0; off < m->len; off += g.granule) {
		uint64_t leaf, d;
		rc = s1_walk(k, &g, m->ttb, m->va + off, NULL, &leaf);
		if (rc == -ENOENT)
			continue;
		if (rc)
			return rc;
		if (rd64(k, leaf, &d))
			return -EFAULT;
		if ((d & D_VALID) && d != leaf_desc(&g, m->ipa + off, m->perm))
			return -EEXIST;
	}
	if (!known && (rc = table_geom(k, m->ttb, m->granule, m->va_bits, true, &g)))
		return rc;
	struct kvm_s1_pool *pool = pool_get(k, pool_start);
	if (!pool)
		return -ENOMEM;
	for (uint64_t off = 0; off < m->len; off += g.granule) {
		uint64_t leaf, want = leaf_desc(&g, m->ipa + off, m->perm);
		if ((rc = s1_walk(k, &g, m->ttb, m->va + off, pool, &leaf)))
			return rc;
		if (wr64(k, leaf, want))
			return -EFAULT;
	}
	return 0;
}

int shim_guest_s1unmap(struct shim *s, const char *proc, int vmfd, uint64_t ttb, uint64_t va,
                       uint64_t len, uint32_t granule, uint32_t va_bits)
{
	if (!s)
		return -EINVAL;
	struct shim_kvm *k = NULL;
	int rc = kvm_vm_lookup(s, proc, vmfd, &k);
	if (rc)
		return rc;
	struct s1_geom g;
	if ((rc = table_geom(k, ttb, granule, va_bits, false, &g)))
		return rc;
	if ((rc = range_ok(&g, ttb, va, len)))
		return rc;
	for (uint64_t off = 0; off < len; off += g.granule) {
		uint64_t leaf;
		rc = s1_walk(k, &g, ttb, va + off, NULL, &leaf);
		if (rc == -ENOENT)
			continue;
		if (rc)
			return rc;
		if (wr64(k, leaf, 0))
			return -EFAULT;
	}
	return 0;
}
