/*
 * store.c - memory for the trace reader: a chunked bump allocator (one per
 * record, rewound rather than freed so that steady-state parsing does no
 * malloc), an open-addressed name set (variables, devices, SMMUs), and a
 * growable array reused across records.
 */
#include <stdlib.h>
#include <string.h>

#include "trc_internal.h"

#define ARENA_CHUNK ((size_t)64 << 10)
#define ARENA_ALIGN ((size_t)8)

struct trc_arena_chunk {
	struct trc_arena_chunk *next;
	size_t cap, used;
	/* data follows, aligned for any value the lexer stores */
	uint64_t data[];
};

void *trc_arena_alloc(struct trc_arena *a, size_t n)
{
	struct trc_arena_chunk *c;
	size_t need = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);

	if (need < n)
		return NULL;
	if (need == 0)
		need = ARENA_ALIGN;
	/* Walk forward through chunks kept from earlier records before growing. */
	for (c = a->cur; c; c = c->next) {
		if (c->cap - c->used >= need) {
			void *p = (char *)c->data + c->used;
			c->used += need;
			a->cur = c;
			return p;
		}
		if (!c->next)
			break;
	}
	{
		size_t cap = need > ARENA_CHUNK ? need : ARENA_CHUNK;
		struct trc_arena_chunk *nc;

		if (cap > SIZE_MAX - sizeof(*nc))
			return NULL;
		nc = malloc(sizeof(*nc) + cap);
		if (!nc)
			return NULL;
		nc->next = NULL;
		nc->cap = cap;
		nc->used = need;
		if (c)
			c->next = nc;
		else
			a->head = nc;
		a->cur = nc;
		return nc->data;
	}
}

char *trc_arena_strdup(struct trc_arena *a, const char *s, size_t len)
{
	char *p = trc_arena_alloc(a, len + 1);

	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void trc_arena_reset(struct trc_arena *a)
{
	struct trc_arena_chunk *c;

	for (c = a->head; c; c = c->next)
		c->used = 0;
	a->cur = a->head;
}

void trc_arena_free(struct trc_arena *a)
{
	struct trc_arena_chunk *c = a->head;

	while (c) {
		struct trc_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = a->cur = NULL;
}

/*
 * Names are short (nic0, smmu0, iommufd): hash them a word at a time rather
 * than a byte at a time. Whole 8-byte words, then the last 0-7 bytes read as
 * two overlapping 4-byte loads (or three single bytes) so that nothing past
 * the name is read; the length is mixed in, which makes the tail reads
 * unambiguous. No adversarial concern beyond a slow lookup.
 */
static uint64_t hash_mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static uint32_t name_hash(const char *s, size_t len)
{
	uint64_t h = 0x2545f4914f6cdd1dull ^ len, w;
	uint32_t a, b;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = hash_mix(h, w);
	}
	if (len >= 4) {
		memcpy(&a, s, 4);
		memcpy(&b, s + len - 4, 4);
		w = (uint64_t)a | (uint64_t)b << 32;
	} else if (len) {
		w = (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[len >> 1] << 8 |
		    (uint64_t)(unsigned char)s[len - 1] << 16;
	} else {
		w = 0;
	}
	h = hash_mix(h, w);
	h *= 0xff51afd7ed558ccdull;
	return (uint32_t)(h ^ (h >> 32));
}

static struct trc_name_ent *names_slot(struct trc_name_ent *ents, size_t cap, const char *name,
				       size_t len, uint32_t hash, uint64_t head)
{
	size_t i = hash & (cap - 1);

	for (;;) {
		struct trc_name_ent *e = &ents[i];

		if (!e->name)
			return e;
		if (e->hash == hash && e->len == len && e->head == head &&
		    trc_name_rest_eq(e->name, name, len))
			return e;
		i = (i + 1) & (cap - 1);
	}
}

const struct trc_name_ent *trc_names_find(const struct trc_name_table *t, const char *name,
					  size_t len)
{
	const struct trc_name_ent *e;

	if (!t->cap)
		return NULL;
	e = names_slot(t->ents, t->cap, name, len, name_hash(name, len), trc_name_head(name, len));
	return e->name ? e : NULL;
}

static int names_grow(struct trc_name_table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64, i;
	struct trc_name_ent *ents = calloc(cap, sizeof(*ents));

	if (!ents)
		return -1;
	for (i = 0; i < t->cap; i++) {
		struct trc_name_ent *e = &t->ents[i];

		if (e->name)
			*names_slot(ents, cap, e->name, e->len, e->hash, e->head) = *e;
	}
	free(t->ents);
	t->ents = ents;
	t->cap = cap;
	return 0;
}

int trc_names_add(struct trc_name_table *t, struct trc_arena *strings, const char *name,
		  size_t len, uint32_t line)
{
	struct trc_name_ent *e;
	uint32_t hash = name_hash(name, len);
	uint64_t head = trc_name_head(name, len);

	/* Keep the load under one half so that probes stay short. */
	if ((t->count + 1) * 2 > t->cap && names_grow(t))
		return -1;
	e = names_slot(t->ents, t->cap, name, len, hash, head);
	if (e->name) {
		if (!e->line)
			e->line = line; /* a released variable bound again */
		return 0;
	}
	e->name = trc_arena_strdup(strings, name, len);
	if (!e->name)
		return -1;
	e->len = len;
	e->hash = hash;
	e->head = head;
	e->line = line;
	t->count++;
	return 0;
}

void trc_names_release(struct trc_name_table *t, const char *name, size_t len)
{
	struct trc_name_ent *e;

	if (!t->cap)
		return;
	e = names_slot(t->ents, t->cap, name, len, name_hash(name, len), trc_name_head(name, len));
	if (e->name && e->iova)
		e->line = 0;
}

void trc_names_free(struct trc_name_table *t)
{
	free(t->ents);
	t->ents = NULL;
	t->cap = t->count = 0;
}

void *trc_vec_push(struct trc_vec *v)
{
	char *p;

	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		void *d = realloc(v->data, cap * v->elem);

		if (!d)
			return NULL;
		v->data = d;
		v->cap = cap;
	}
	p = (char *)v->data + v->n++ * v->elem;
	memset(p, 0, v->elem);
	return p;
}

void trc_vec_free(struct trc_vec *v)
{
	free(v->data);
	v->data = NULL;
	v->n = v->cap = 0;
}
