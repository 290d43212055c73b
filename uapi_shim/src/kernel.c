/*
 * kernel.c - the emulated kernel's environment: simulated-DRAM access through
 * the host ops, the physical page allocator (kmem), per-call accounting
 * (kcall) and logging. See kernel.h.
 *
 * kmem keeps the allocated extents of DRAM as a sorted array and hands out
 * the lowest free range that fits (first fit by address), so the same
 * sequence of allocations always yields the same addresses. Allocation runs
 * in O(extents); the kernel makes few, large allocations (tables, queues,
 * user mappings), so this is not a hot path.
 */
#include "kernel.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KPAGE 4096ull

struct kextent {
	uint64_t start, end; /* [start, end) */
};

struct kmem {
	struct kenv *env;
	uint64_t base, limit; /* DRAM [base, limit) */
	struct kextent *x;
	size_t n, cap;
	uint64_t used;
};

int kmem_read(struct kenv *env, uint64_t pa, void *buf, uint32_t len)
{
	return env->ops->mem_read(env->host, pa, buf, len) ? -EFAULT : 0;
}

int kmem_write(struct kenv *env, uint64_t pa, const void *buf, uint32_t len)
{
	return env->ops->mem_write(env->host, pa, buf, len) ? -EFAULT : 0;
}

int kmem_read64(struct kenv *env, uint64_t pa, uint64_t *v)
{
	uint8_t b[8];
	int rc = kmem_read(env, pa, b, 8);
	if (rc)
		return rc;
	uint64_t r = 0;
	for (int i = 7; i >= 0; i--)
		r = (r << 8) | b[i];
	*v = r;
	return 0;
}

int kmem_write64(struct kenv *env, uint64_t pa, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return kmem_write(env, pa, b, 8);
}

int kmem_create(struct kenv *env, uint64_t dram_base, uint64_t dram_size, struct kmem **out)
{
	if (!env || !out || dram_size < KPAGE || (dram_base & (KPAGE - 1)))
		return -EINVAL;
	struct kmem *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->env = env;
	m->base = dram_base;
	m->limit = dram_base + (dram_size & ~(KPAGE - 1));
	*out = m;
	return 0;
}

void kmem_destroy(struct kmem *m)
{
	if (!m)
		return;
	free(m->x);
	free(m);
}

static int insert_at(struct kmem *m, size_t i, uint64_t start, uint64_t end)
{
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 64;
		struct kextent *nx = realloc(m->x, nc * sizeof(*nx));
		if (!nx)
			return -ENOMEM;
		m->x = nx;
		m->cap = nc;
	}
	memmove(&m->x[i + 1], &m->x[i], (m->n - i) * sizeof(*m->x));
	m->x[i].start = start;
	m->x[i].end = end;
	m->n++;
	m->used += end - start;
	return 0;
}

/* Zero [pa, pa+size) through the host, a page at a time. */
static int zero_range(struct kmem *m, uint64_t pa, uint64_t size)
{
	static const uint8_t zero[KPAGE];
	for (uint64_t off = 0; off < size; off += KPAGE)
		if (kmem_write(m->env, pa + off, zero, (uint32_t)KPAGE))
			return -EFAULT;
	return 0;
}

int kmem_alloc(struct kmem *m, uint64_t size, uint64_t align, uint64_t *pa)
{
	if (!m || !pa || size == 0 || align < KPAGE || (align & (align - 1)))
		return -EINVAL;
	if (size > m->limit - m->base)
		return -ENOMEM;
	size = (size + KPAGE - 1) & ~(KPAGE - 1);
	uint64_t cand = (m->base + align - 1) & ~(align - 1);
	size_t i = 0;
	for (;; i++) {
		uint64_t gap_end = i < m->n ? m->x[i].start : m->limit;
		if (cand < gap_end && gap_end - cand >= size)
			break;
		if (i >= m->n)
			return -ENOMEM;
		uint64_t next = (m->x[i].end + align - 1) & ~(align - 1);
		if (next > cand)
			cand = next;
		if (cand >= m->limit)
			return -ENOMEM;
	}
	int rc = insert_at(m, i, cand, cand + size);
	if (rc)
		return rc;
	rc = zero_range(m, cand, size);
	if (rc) {
		kmem_free(m, cand, size);
		return rc;
	}
	*pa = cand;
	return 0;
}

int kmem_reserve(struct kmem *m, uint64_t pa, uint64_t size)
{
	if (!m || size == 0 || (pa & (KPAGE - 1)))
		return -EINVAL;
	size = (size + KPAGE - 1) & ~(KPAGE - 1);
	if (pa < m->base || pa >= m->limit || size > m->limit - pa)
		return -ENOMEM;
	size_t i = 0;
	while (i < m->n && m->x[i].end <= pa)
		i++;
	if (i < m->n && m->x[i].start < pa + size)
		return -EEXIST;
	return insert_at(m, i, pa, pa + size);
}

void kmem_free(struct kmem *m, uint64_t pa, uint64_t size)
{
	if (!m || size == 0)
		return;
	size = (size + KPAGE - 1) & ~(KPAGE - 1);
	for (size_t i = 0; i < m->n; i++) {
		struct kextent *e = &m->x[i];
		if (pa < e->start || pa + size > e->end)
			continue;
		/* Freeing may split an extent (a partial free of a reservation). */
		m->used -= size;
		if (pa == e->start && pa + size == e->end) {
			memmove(e, e + 1, (m->n - i - 1) * sizeof(*e));
			m->n--;
		} else if (pa == e->start) {
			e->start += size;
		} else if (pa + size == e->end) {
			e->end = pa;
		} else {
			uint64_t tail_end = e->end;
			e->end = pa;
			if (insert_at(m, i + 1, pa + size, tail_end) == 0)
				m->used -= tail_end - (pa + size); /* insert_at counted it again */
			else
				e->end = tail_end, m->used += size; /* no room to split: keep it whole */
		}
		return;
	}
}

uint64_t kmem_used(const struct kmem *m)
{
	return m ? m->used : 0;
}

void kcall_begin(struct kcall *c, struct kenv *env, uint64_t now_ns)
{
	memset(c, 0, sizeof(*c));
	c->env = env;
	c->t = c->start = now_ns;
}

void kcall_why(struct kcall *c, const char *fmt, ...)
{
	if (c->why[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}

void kcall_end(struct kcall *c)
{
	free(c->cmds);
	c->cmds = NULL;
	c->ncmds = c->cap_cmds = 0;
}

int kcall_note_cmd(struct kcall *c, uint8_t opcode)
{
	if (c->ncmds == c->cap_cmds) {
		uint32_t nc = c->cap_cmds ? c->cap_cmds * 2 : 16;
		uint8_t *n = realloc(c->cmds, nc);
		if (!n)
			return -ENOMEM;
		c->cmds = n;
		c->cap_cmds = nc;
	}
	c->cmds[c->ncmds++] = opcode;
	if (opcode == 0x46)
		c->syncs++;
	return 0;
}

void kcall_note_tlbi(struct kcall *c, uint32_t smmu, uint32_t vmid, uint32_t asid)
{
	for (uint32_t i = 0; i < c->ntlbi; i++)
		if (c->tlbi[i].smmu == smmu && c->tlbi[i].vmid == vmid && c->tlbi[i].asid == asid)
			return;
	if (c->ntlbi < sizeof(c->tlbi) / sizeof(c->tlbi[0])) {
		c->tlbi[c->ntlbi].smmu = smmu;
		c->tlbi[c->ntlbi].vmid = vmid;
		c->tlbi[c->ntlbi].asid = asid;
		c->ntlbi++;
	} else {
		c->tlbi_lost = true;
	}
}

void klog(struct kenv *env, int level, const char *fmt, ...)
{
	if (!env || !env->ops || !env->ops->log)
		return;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	env->ops->log(env->host, level, buf);
}

uint32_t kbroadcast_tlbi(struct kenv *env, const char *op, uint32_t vmid, uint32_t asid,
                         uint64_t addr, uint64_t t)
{
	if (!env->ops->tlbi_broadcast)
		return 0;
	return env->ops->tlbi_broadcast(env->host, op, vmid, asid, addr, t);
}
