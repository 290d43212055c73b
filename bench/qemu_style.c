/*
 * qemu_style.c - the QEMU-style IOTLB baseline (see qemu_style.h).
 *
 * Key {iova, asid, vmid, tg, level} in one GHashTable created with
 * g_hash_table_new_full() over a hash and an equality function of the key
 * struct; keys and values are heap blocks owned by the table. A lookup
 * takes the mutex, then for each level from the start level to 3 builds the
 * key on the stack with the IOVA masked to that level's block size and
 * calls g_hash_table_lookup(); the first hit ends the loop. A 4 KB,
 * 4-level regime therefore probes levels 0, 1 and 2 (misses) before the
 * leaf at level 3.
 */
#include "qemu_style.h"

#include <glib.h>
#include <pthread.h>
#include <stdlib.h>

struct qs_key {
	uint64_t iova;
	int32_t asid;
	int32_t vmid;
	uint8_t tg;
	uint8_t level;
};

struct qs_entry {
	uint64_t translated_addr;
	uint64_t addr_mask;
};

struct qs_iotlb {
	GHashTable *h;
	pthread_mutex_t mu;
};

/* Bytes mapped by one entry at `level` of a 2^g granule. */
static inline unsigned qs_level_shift(unsigned g, unsigned level)
{
	return g + (3u - level) * (g - 3u);
}

static guint qs_key_hash(gconstpointer p)
{
	const struct qs_key *k = p;
	uint64_t x = k->iova;
	x ^= (uint64_t)(uint32_t)k->asid << 16 ^ (uint64_t)(uint32_t)k->vmid << 40;
	x ^= (uint64_t)k->tg << 56 ^ (uint64_t)k->level << 60;
	x *= 0x9E3779B97F4A7C15ull;
	return (guint)(x >> 32) ^ (guint)x;
}

static gboolean qs_key_equal(gconstpointer a, gconstpointer b)
{
	const struct qs_key *x = a, *y = b;
	return x->iova == y->iova && x->asid == y->asid && x->vmid == y->vmid &&
	       x->tg == y->tg && x->level == y->level;
}

struct qs_iotlb *qs_iotlb_new(void)
{
	struct qs_iotlb *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->h = g_hash_table_new_full(qs_key_hash, qs_key_equal, g_free, g_free);
	pthread_mutex_init(&t->mu, NULL);
	return t;
}

void qs_iotlb_free(struct qs_iotlb *t)
{
	if (!t)
		return;
	g_hash_table_destroy(t->h);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

void qs_iotlb_insert(struct qs_iotlb *t, uint64_t iova, uint16_t asid, uint16_t vmid,
		     unsigned tg_shift, unsigned level, uint64_t oa)
{
	uint64_t mask = (1ull << qs_level_shift(tg_shift, level)) - 1;
	struct qs_key *k = g_new0(struct qs_key, 1);
	struct qs_entry *e = g_new0(struct qs_entry, 1);
	k->iova = iova & ~mask;
	k->asid = asid;
	k->vmid = vmid;
	k->tg = (uint8_t)tg_shift;
	k->level = (uint8_t)level;
	e->translated_addr = oa & ~mask;
	e->addr_mask = mask;
	pthread_mutex_lock(&t->mu);
	g_hash_table_insert(t->h, k, e);
	pthread_mutex_unlock(&t->mu);
}

int qs_iotlb_translate(struct qs_iotlb *t, uint64_t iova, uint16_t asid, uint16_t vmid,
		       unsigned tg_shift, unsigned start_level, uint64_t *pa)
{
	const struct qs_entry *e = NULL;
	pthread_mutex_lock(&t->mu);
	for (unsigned level = start_level; level <= 3; level++) {
		uint64_t mask = (1ull << qs_level_shift(tg_shift, level)) - 1;
		struct qs_key k = {.iova = iova & ~mask, .asid = asid, .vmid = vmid,
				   .tg = (uint8_t)tg_shift, .level = (uint8_t)level};
		e = g_hash_table_lookup(t->h, &k);
		if (e)
			break;
	}
	pthread_mutex_unlock(&t->mu);
	if (!e)
		return 0;
	*pa = e->translated_addr | (iova & e->addr_mask);
	return 1;
}
