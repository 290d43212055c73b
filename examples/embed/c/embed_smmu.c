/*
 * embed_smmu.c - the SMMUv3 model (libsmmuv3) inside a plain C program.
 *
 * The program is the whole host: a 4 MiB array is "physical memory", the
 * model reaches it only through the host ops below, and the program plays
 * the driver: it lays out a stream table, a context descriptor and page
 * tables in that memory, programs the registers (queues, CR0 with the
 * CR0ACK handshake, invalidation commands), then asks for translations as a
 * device's DMA would and checks every answer:
 *   - StreamID 1, stage 1 only: IOVA 0x40000000 -> PA 0x300000 (4 KiB page);
 *     a second access hits the TBU's micro-TLB;
 *   - StreamID 2, stage 2 only (VMID 5): IPA 0x80000000 -> PA 0x304000;
 *   - StreamID 1 at an unmapped IOVA: aborted, F_TRANSLATION recorded in the
 *     event queue in memory.
 * Exit status 0 when every check passed, 1 otherwise. `--break` maps the
 * stage-1 page to the wrong PA (a driver bug) to show a check failing.
 *
 * Build: make (pkg-config smmuv3); see ../README.md.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <smmu/build_cmd.h>
#include <smmu/build_pt.h>
#include <smmu/build_ste.h>
#include <smmu/smmu.h>
#include <smmu/smmu_regs.h>

#define MEM_SIZE (4u << 20)
#define STRTAB 0x1000u   /* 16 STEs (SIDSIZE 4), 1 KiB */
#define CMDQ 0x10000u    /* 2^4 commands of 16 bytes */
#define EVTQ 0x20000u    /* 2^4 events of 32 bytes */
#define CD_SID1 0x30000u /* one context descriptor */
#define HEAP 0x100000u   /* page tables, bump allocated */
#define QLOG2 4

#define IOVA 0x40000000ull
#define IOVA_PA 0x300000ull
#define IPA 0x80000000ull
#define IPA_PA 0x304000ull

struct host {
	uint8_t *mem;
	uint64_t heap;
	struct smmu *smmu;
	uint64_t now; /* the model's clock, in SMMU cycles */
	uint32_t cmdq_prod;
	unsigned events_seen;
	int failures;
};

/* ---- host ops: the model's only way out ---- */

static int mem_read(void *h, uint64_t pa, void *buf, uint32_t len)
{
	struct host *H = h;
	if (pa >= MEM_SIZE || len > MEM_SIZE - pa)
		return 1; /* external abort */
	memcpy(buf, H->mem + pa, len);
	return 0;
}

static int mem_write(void *h, uint64_t pa, const void *buf, uint32_t len)
{
	struct host *H = h;
	if (pa >= MEM_SIZE || len > MEM_SIZE - pa)
		return 1;
	memcpy(H->mem + pa, buf, len);
	return 0;
}

static void on_event(void *h, const struct smmu_event *ev, bool recorded, uint64_t cycle)
{
	struct host *H = h;
	H->events_seen++;
	(void)ev, (void)recorded, (void)cycle;
}

/* ---- page-table memory for the table builder (build_pt.h) ---- */

static int pt_read64(void *h, uint64_t addr, uint64_t *val)
{
	return mem_read(h, addr, val, 8);
}

static int pt_write64(void *h, uint64_t addr, uint64_t val)
{
	return mem_write(h, addr, &val, 8);
}

static int pt_alloc(void *h, uint64_t size, uint64_t *addr)
{
	struct host *H = h;
	uint64_t a = (H->heap + size - 1) & ~(size - 1);
	if (a + size > IOVA_PA)
		return 1;
	memset(H->mem + a, 0, size);
	H->heap = a + size;
	*addr = a;
	return 0;
}

static const struct smmu_pt_ops pt_ops = {pt_read64, pt_write64, pt_alloc};

/* ---- the driver ---- */

static void check(struct host *H, bool ok, const char *what)
{
	if (!ok) {
		printf("embed_smmu: FAIL: %s\n", what);
		H->failures++;
	}
}

static void w32(struct host *H, uint64_t off, uint32_t v)
{
	check(H, smmu_mmio_write(H->smmu, off, 4, v, H->now) == SMMU_OK, "register write");
	H->now++;
}

static void w64(struct host *H, uint64_t off, uint64_t v)
{
	check(H, smmu_mmio_write(H->smmu, off, 8, v, H->now) == SMMU_OK, "register write");
	H->now++;
}

static uint32_t r32(struct host *H, uint64_t off)
{
	uint64_t v = 0;
	check(H, smmu_mmio_read(H->smmu, off, 4, H->now, &v) == SMMU_OK, "register read");
	H->now++;
	return (uint32_t)v;
}

/* Poll until `off` reads `want` (the model answers at the cycle asked). */
static bool poll32(struct host *H, uint64_t off, uint32_t want)
{
	for (int i = 0; i < 100000; i++) {
		if (r32(H, off) == want)
			return true;
		H->now += 10;
	}
	return false;
}

/* Put commands in the queue, publish them with one PROD write, and wait
 * for CONS (the last one should be a CMD_SYNC). */
static void commands(struct host *H, const uint64_t (*cmds)[2], unsigned n)
{
	uint32_t mask = (1u << QLOG2) - 1, wrap = (2u << QLOG2) - 1;
	for (unsigned i = 0; i < n; i++) {
		uint64_t slot = CMDQ + 16ull * (H->cmdq_prod & mask);
		memcpy(H->mem + slot, cmds[i], 16);
		H->cmdq_prod = (H->cmdq_prod + 1) & wrap;
	}
	w32(H, SMMU_REG_CMDQ_PROD, H->cmdq_prod);
	check(H, poll32(H, SMMU_REG_CMDQ_CONS, H->cmdq_prod), "command queue drained");
}

static void set_ste(struct host *H, uint32_t sid, const uint64_t ste[8])
{
	memcpy(H->mem + STRTAB + 64ull * sid, ste, 64);
}

static void enable(struct host *H)
{
	w64(H, SMMU_REG_STRTAB_BASE, STRTAB);
	w32(H, SMMU_REG_STRTAB_BASE_CFG, 4); /* linear, 2^4 StreamIDs */
	w64(H, SMMU_REG_CMDQ_BASE, CMDQ | QLOG2);
	w32(H, SMMU_REG_CMDQ_PROD, 0);
	w32(H, SMMU_REG_CMDQ_CONS, 0);
	w64(H, SMMU_REG_EVENTQ_BASE, EVTQ | QLOG2);
	w32(H, SMMU_REG_EVENTQ_PROD, 0);
	w32(H, SMMU_REG_EVENTQ_CONS, 0);
	w32(H, SMMU_REG_IRQ_CTRL, 0);
	uint32_t cr0 = SMMU_CR0_CMDQEN | SMMU_CR0_EVENTQEN;
	w32(H, SMMU_REG_CR0, cr0);
	check(H, poll32(H, SMMU_REG_CR0ACK, cr0), "CR0ACK (queues)");

	/* Forget anything cached from before, as a driver does at probe. */
	uint64_t c[4][2];
	smmu_cmd_cfgi_all(c[0]);
	smmu_cmd_tlbi_nsnh_all(c[1]);
	smmu_cmd_tlbi_el2_all(c[2]);
	smmu_cmd_sync(c[3], 0, 0, 0);
	commands(H, (const uint64_t(*)[2])c, 4);

	cr0 |= SMMU_CR0_SMMUEN;
	w32(H, SMMU_REG_CR0, cr0);
	check(H, poll32(H, SMMU_REG_CR0ACK, cr0), "CR0ACK (SMMUEN)");
}

/* StreamID 1: stage 1 through a CD (ASID 1, 48-bit VA, 4 KiB granule). */
static void setup_stage1(struct host *H, bool broken)
{
	struct smmu_pt pt;
	struct smmu_pt_cfg pc = {
	    .stage2 = false, .granule_shift = 12, .tsz = 16, .start_level = -1};
	check(H, smmu_pt_init(&pt, &pc, &pt_ops, H) == SMMU_PT_OK, "stage-1 table init");
	struct smmu_pt_attr a;
	smmu_pt_attr_default(&a, false);
	uint64_t pa = broken ? IOVA_PA + 0x1000 : IOVA_PA;
	check(H, smmu_pt_map(&pt, IOVA, pa, 0x1000, 12, &a) == SMMU_PT_OK, "stage-1 map");

	uint64_t cd[8], ste[8];
	smmu_build_cd(cd, pt.root, 1, 12, 48);
	memcpy(H->mem + CD_SID1, cd, 64);
	smmu_build_ste_s1(ste, CD_SID1, 0, 0);
	set_ste(H, 1, ste);
}

/* StreamID 2: stage 2 only, VMID 5, 40-bit IPA, 4 KiB granule. */
static void setup_stage2(struct host *H)
{
	struct smmu_ste_fields f;
	smmu_ste_fields_init(&f);
	check(H, smmu_ste_fields_s2(&f, 5, 0, 12, 40), "stage-2 geometry");
	/* The tables must start where the STE says: S2SL0 encodes the start
	 * level (4 KiB granule: 0 -> level 2, 1 -> level 1, 2 -> level 0). */
	struct smmu_pt pt;
	struct smmu_pt_cfg pc = {.stage2 = true,
	                         .granule_shift = 12,
	                         .tsz = f.s2t0sz,
	                         .start_level = (int8_t)(f.s2sl0 == 0   ? 2
	                                                 : f.s2sl0 == 1 ? 1
	                                                                : 0)};
	check(H, smmu_pt_init(&pt, &pc, &pt_ops, H) == SMMU_PT_OK, "stage-2 table init");
	struct smmu_pt_attr a;
	smmu_pt_attr_default(&a, true);
	check(H, smmu_pt_map(&pt, IPA, IPA_PA, 0x1000, 12, &a) == SMMU_PT_OK, "stage-2 map");
	f.s2ttb = pt.root;
	uint64_t ste[8];
	smmu_build_ste(&f, ste);
	set_ste(H, 2, ste);
}

/* One device access: translate, then read `len` bytes at the PA. */
static struct smmu_xlate_result dma_read(struct host *H, uint32_t sid, uint64_t addr, void *buf,
                                         uint32_t len)
{
	struct smmu_txn t = {.port = 0, .sid = sid, .addr = addr, .len = len};
	struct smmu_xlate_result r;
	memset(&r, 0, sizeof(r));
	check(H, smmu_translate(H->smmu, &t, H->now, &r) == SMMU_OK, "smmu_translate");
	H->now = r.done + 1;
	if (r.outcome == SMMU_XLATE_OK)
		check(H, mem_read(H, r.pa, buf, len) == 0, "data read");
	return r;
}

int main(int argc, char **argv)
{
	bool broken = argc > 1 && strcmp(argv[1], "--break") == 0;
	struct host H;
	memset(&H, 0, sizeof(H));
	H.mem = calloc(1, MEM_SIZE);
	H.heap = HEAP;
	H.now = 1000;
	if (!H.mem)
		return 1;

	struct smmu_config cfg;
	smmu_config_default(&cfg);
	struct smmu_host_ops ops;
	memset(&ops, 0, sizeof(ops));
	ops.size = sizeof(ops);
	ops.mem_read = mem_read;
	ops.mem_write = mem_write;
	ops.event = on_event;
	int rc = smmu_create(&cfg, &ops, &H, &H.smmu);
	if (rc != SMMU_OK) {
		fprintf(stderr, "embed_smmu: smmu_create: %s\n", smmu_strerror(rc));
		return 1;
	}
	printf("embed_smmu: SMMUv3 model created, IDR0 0x%08x\n", r32(&H, SMMU_REG_IDR0));

	static const char msg1[] = "hello from PA 0x300000";
	static const char msg2[] = "hello from PA 0x304000";
	memcpy(H.mem + IOVA_PA, msg1, sizeof(msg1));
	memcpy(H.mem + IPA_PA, msg2, sizeof(msg2));
	enable(&H);
	setup_stage1(&H, broken);
	setup_stage2(&H);
	uint64_t c[3][2];
	smmu_cmd_cfgi_ste(c[0], 1, true);
	smmu_cmd_cfgi_ste(c[1], 2, true);
	smmu_cmd_sync(c[2], 0, 0, 0);
	commands(&H, (const uint64_t(*)[2])c, 3);

	char buf[32];
	struct smmu_xlate_result r = dma_read(&H, 1, IOVA, buf, sizeof(msg1));
	printf("sid 1 stage 1: iova 0x%llx -> pa 0x%llx (%s, %u cycles) \"%s\"\n",
	       (unsigned long long)IOVA, (unsigned long long)r.pa, smmu_hit_name(r.hit), r.cycles,
	       r.outcome == SMMU_XLATE_OK ? buf : "");
	check(&H, r.outcome == SMMU_XLATE_OK && r.pa == IOVA_PA, "sid 1: wrong translation");
	check(&H, r.outcome == SMMU_XLATE_OK && strcmp(buf, msg1) == 0, "sid 1: wrong data");

	r = dma_read(&H, 1, IOVA + 0x10, buf, 8);
	printf("sid 1 stage 1: iova 0x%llx -> pa 0x%llx (%s, %u cycles)\n",
	       (unsigned long long)IOVA + 0x10, (unsigned long long)r.pa, smmu_hit_name(r.hit),
	       r.cycles);
	check(&H, r.outcome == SMMU_XLATE_OK && r.pa == IOVA_PA + 0x10,
	      "sid 1 again: wrong translation");
	check(&H, r.hit == SMMU_HIT_UTLB, "sid 1 again: not a micro-TLB hit");

	r = dma_read(&H, 2, IPA, buf, sizeof(msg2));
	printf("sid 2 stage 2: ipa 0x%llx -> pa 0x%llx (%s, vmid %u) \"%s\"\n",
	       (unsigned long long)IPA, (unsigned long long)r.pa, smmu_hit_name(r.hit), r.vmid,
	       r.outcome == SMMU_XLATE_OK ? buf : "");
	check(&H, r.outcome == SMMU_XLATE_OK && r.pa == IPA_PA && r.vmid == 5,
	      "sid 2: wrong translation");
	check(&H, r.outcome == SMMU_XLATE_OK && strcmp(buf, msg2) == 0, "sid 2: wrong data");

	r = dma_read(&H, 1, IOVA + 0x1000, buf, 8);
	uint32_t prod = r32(&H, SMMU_REG_EVENTQ_PROD);
	uint8_t evt = H.mem[EVTQ]; /* the first record's EventID, bits [7:0] */
	const char *name = smmu_event_name(evt);
	printf("sid 1 stage 1: iova 0x%llx -> %s, event queue: %u record(s), first %s\n",
	       (unsigned long long)IOVA + 0x1000,
	       r.outcome == SMMU_XLATE_ABORT ? "abort" : "not aborted", prod & ((2u << QLOG2) - 1),
	       name ? name : "?");
	check(&H, r.outcome == SMMU_XLATE_ABORT && r.event == SMMU_EVT_F_TRANSLATION,
	      "unmapped iova: not a translation fault");
	check(&H, prod == 1 && evt == SMMU_EVT_F_TRANSLATION && H.events_seen == 1,
	      "unmapped iova: F_TRANSLATION not recorded in the event queue");

	smmu_destroy(H.smmu);
	free(H.mem);
	if (H.failures) {
		printf("embed_smmu: FAIL (%d checks)\n", H.failures);
		return 1;
	}
	printf("embed_smmu: PASS\n");
	return 0;
}
