/*
 * arm_smmu_v3_cmdq.c - the driver's command queue (Linux
 * arm_smmu_cmdq_issue_cmdlist, arm_smmu_cmdq_batch_*, the CMD_SYNC wait and
 * arm_smmu_cmdq_skip_err), in simulated time.
 *
 * The emulated kernel runs one system call at a time, so the lock-free
 * multi-producer machinery of Linux (owner flag, valid map, shared lock)
 * reduces to: wait for space, write the commands into queue memory, one
 * MMIO write of CMDQ_PROD, and for a CMD_SYNC poll CMDQ_CONS through MMIO
 * at kcall->t, advancing kcall->t by t.poll_interval per poll (Linux's
 * WFE wait when the SMMU has SEV; without SEV, queue_poll's backoff: 10
 * spins, then 1 us, 2 us, 4 us ... delays), until CONS has passed the SYNC. The model reports CONS
 * as it was at the read's time, so the wait ends when the modelled SMMU finished. Polling is
 * bounded (ARM_SMMU_POLL_TIMEOUT_NS of kernel time, as Linux's 1 s, or ARM_SMMU_POLL_MAX polls) and
 * returns -ETIMEDOUT, never spins forever.
 *
 * A CERROR stops the model's queue with CONS on the bad command; the waiter
 * then runs what Linux's GERROR interrupt handler would (the IRQ preempts
 * the spinning CPU): arm_smmu_cmdq_skip_err replaces an illegal command by
 * a CMD_SYNC, leaves ABT/ATC_INV_SYNC to be retried, and GERRORN is written
 * to acknowledge, which restarts the queue. kcall->cmdq_error records it.
 *
 * With ARM_SMMU_OPT_MSIPOLL (kenv.sync_msi on an SMMU with MSI and
 * coherent access) the CMD_SYNC carries CS=IRQ with its own queue slot as
 * the MSI address, as Linux does; the model delivers that write when the
 * host processes the PROD write, not at its modelled cycle, so the kernel
 * model still learns the completion time from CONS and then adds
 * t.msi_wakeup.
 */
#include "arm_smmu_v3_internal.h"

static int mmio_rd(struct arm_smmu_device *smmu, uint64_t off, uint64_t now, uint32_t *v)
{
	uint64_t x = 0;
	if (now > smmu->last_t)
		smmu->last_t = now;
	int rc = smmu->env->ops->mmio_read(smmu->env->host, smmu->index, off, 4, now, &x);
	*v = (uint32_t)x;
	return rc ? -EIO : 0;
}

uint32_t arm_smmu_read32(struct arm_smmu_device *smmu, uint64_t off, struct kcall *c)
{
	uint32_t v = 0;
	mmio_rd(smmu, off, c->t, &v);
	ktime_charge(c, smmu->env->t.mmio_read);
	return v;
}

void arm_smmu_write32(struct arm_smmu_device *smmu, uint64_t off, uint32_t v, struct kcall *c)
{
	if (c->t > smmu->last_t)
		smmu->last_t = c->t;
	smmu->env->ops->mmio_write(smmu->env->host, smmu->index, off, 4, v, c->t);
	ktime_charge(c, smmu->env->t.mmio_write);
}

void arm_smmu_write64(struct arm_smmu_device *smmu, uint64_t off, uint64_t v, struct kcall *c)
{
	if (c->t > smmu->last_t)
		smmu->last_t = c->t;
	smmu->env->ops->mmio_write(smmu->env->host, smmu->index, off, 8, v, c->t);
	ktime_charge(c, smmu->env->t.mmio_write);
}

/* Queue index arithmetic with the wrap bit at `shift` (Q_IDX/Q_WRP). */
static uint32_t q_idx(const struct arm_smmu_queue *q, uint32_t p)
{
	return p & ((1u << q->shift) - 1);
}
static uint32_t q_wrp(const struct arm_smmu_queue *q, uint32_t p)
{
	return p & (1u << q->shift);
}
static uint32_t q_inc(const struct arm_smmu_queue *q, uint32_t p, uint32_t n)
{
	return (p + n) & ((2u << q->shift) - 1);
}

static uint32_t q_space(const struct arm_smmu_queue *q)
{
	uint32_t prod = q_idx(q, q->prod), cons = q_idx(q, q->cons);
	if (q_wrp(q, q->prod) == q_wrp(q, q->cons))
		return (1u << q->shift) - (prod - cons);
	return cons - prod;
}

/* queue_consumed(): has CONS moved past `prod`? */
static bool q_consumed(const struct arm_smmu_queue *q, uint32_t cons, uint32_t prod)
{
	return (q_wrp(q, cons) == q_wrp(q, prod) && q_idx(q, cons) > q_idx(q, prod)) ||
	       (q_wrp(q, cons) != q_wrp(q, prod) && q_idx(q, cons) <= q_idx(q, prod));
}

static uint32_t cons_err(uint32_t cons)
{
	return (cons >> SMMU_CMDQ_CONS_ERR_SHIFT) & 0x7F;
}

/* __arm_smmu_cmdq_skip_err */
static void cmdq_skip_err(struct arm_smmu_device *smmu, struct kcall *c)
{
	struct arm_smmu_queue *q = &smmu->cmdq;
	uint32_t cons = arm_smmu_read32(smmu, SMMU_REG_CMDQ_CONS, c);
	uint32_t err = cons_err(cons);
	if (!c->cmdq_error)
		c->cmdq_error = err ? (int)err : -1;
	switch (err) {
	case SMMU_CERROR_ABT: /* retry the fetch */
	case SMMU_CERROR_NONE:
	case SMMU_CERROR_ATC_INV_SYNC: /* CONS is on the SYNC: repeating it retries */
		klog(smmu->env, 0, "arm-smmu-v3.%u: CMDQ error (cons 0x%08x): %u", smmu->index,
		     cons, err);
		return;
	default:
		break;
	}
	uint64_t slot = q->base + 16ull * q_idx(q, cons);
	uint64_t bad[2] = {0, 0};
	kmem_read64(smmu->env, slot, &bad[0]);
	kmem_read64(smmu->env, slot + 8, &bad[1]);
	klog(smmu->env, 0, "arm-smmu-v3.%u: skipping command in error state: 0x%016llx 0x%016llx",
	     smmu->index, (unsigned long long)bad[0], (unsigned long long)bad[1]);
	/* Convert the erroneous command into a CMD_SYNC */
	uint64_t sync[2];
	smmu_cmd_sync(sync, 2, 0, 0);
	kmem_write64(smmu->env, slot, sync[0]);
	kmem_write64(smmu->env, slot + 8, sync[1]);
}

void arm_smmu_gerror_handle(struct arm_smmu_device *smmu, struct kcall *c)
{
	uint32_t gerror = arm_smmu_read32(smmu, SMMU_REG_GERROR, c);
	uint32_t gerrorn = arm_smmu_read32(smmu, SMMU_REG_GERRORN, c);
	uint32_t active = (gerror ^ gerrorn) & SMMU_GERROR_MASK;
	if (!active)
		return;
	klog(smmu->env, 1, "arm-smmu-v3.%u: unexpected global error reported (0x%08x)", smmu->index,
	     active);
	if (active & SMMU_GERROR_CMDQ_ERR)
		cmdq_skip_err(smmu, c);
	arm_smmu_write32(smmu, SMMU_REG_GERRORN, gerror, c);
}

/*
 * Poll CMDQ_CONS until done(cons) or timeout. A CONS with an error code
 * while GERROR.CMDQ_ERR is active is handled as the GERROR IRQ would.
 */
static int cmdq_poll(struct arm_smmu_device *smmu, struct kcall *c, uint32_t target, bool for_sync)
{
	struct arm_smmu_queue *q = &smmu->cmdq;
	uint64_t start = c->t;
	/* queue_poll(): with FEAT_SEV the CPU waits in WFE and the SYNC's SEV
	 * wakes it (approximated by polling every t.poll_interval); without,
	 * it spins ARM_SMMU_POLL_SPIN_COUNT times, then udelay()s 1 us,
	 * doubling each round. */
	bool wfe = (smmu->features & ARM_SMMU_FEAT_SEV) != 0;
	unsigned spin = 0;
	uint64_t delay = 1000;
	for (uint32_t polls = 0;; polls++) {
		uint32_t cons = 0;
		if (mmio_rd(smmu, SMMU_REG_CMDQ_CONS, c->t, &cons))
			return -EIO;
		q->cons = cons & ((2u << q->shift) - 1);
		if (for_sync ? q_consumed(q, q->cons, target) : q_space(q) >= target)
			return 0;
		if (cons_err(cons)) {
			uint32_t ge = 0, gn = 0;
			mmio_rd(smmu, SMMU_REG_GERROR, c->t, &ge);
			mmio_rd(smmu, SMMU_REG_GERRORN, c->t, &gn);
			if ((ge ^ gn) & SMMU_GERROR_CMDQ_ERR) {
				ktime_charge(c, smmu->env->t.irq_entry);
				arm_smmu_gerror_handle(smmu, c);
				continue;
			}
		}
		if (c->t - start > ARM_SMMU_POLL_TIMEOUT_NS || polls >= ARM_SMMU_POLL_MAX) {
			klog(smmu->env, 0,
			     "arm-smmu-v3.%u: CMD_SYNC timeout at 0x%08x [hwprod 0x%08x, hwcons "
			     "0x%08x]",
			     smmu->index, target, q->prod, cons);
			return -ETIMEDOUT;
		}
		if (wfe || ++spin < ARM_SMMU_POLL_SPIN_COUNT) {
			ktime_charge(c, smmu->env->t.poll_interval);
		} else {
			ktime_charge(c, delay);
			delay *= 2;
			spin = 0;
		}
	}
}

int arm_smmu_cmdq_issue_cmdlist(struct arm_smmu_device *smmu, const uint64_t (*cmds)[2], uint32_t n,
                                bool sync, struct kcall *c)
{
	struct arm_smmu_queue *q = &smmu->cmdq;
	struct kenv *env = smmu->env;
	uint32_t need = n + (sync ? 1 : 0);
	if (need == 0)
		return 0;
	if (need > (1u << q->shift))
		return -EINVAL;
	/* 1. space in the queue: never overwrite what the SMMU has not read */
	if (q_space(q) < need) {
		uint64_t t0 = c->t;
		int rc = cmdq_poll(smmu, c, need, false);
		c->t_space += c->t - t0;
		if (rc) {
			klog(env, 0, "arm-smmu-v3.%u: CMDQ timeout", smmu->index);
			return rc;
		}
	}
	/* 2. write the commands */
	uint32_t prod = q->prod;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t slot = q->base + 16ull * q_idx(q, prod);
		kmem_write64(env, slot, cmds[i][0]);
		kmem_write64(env, slot + 8, cmds[i][1]);
		uint8_t op = (uint8_t)(cmds[i][0] & CMD_0_OP);
		kcall_note_cmd(c, op);
		/* TLBIs that carry a VMID (bits [47:32]): NH_ALL/ASID/VA/VAA,
		 * S12_VMALL, S2_IPA; NH_ASID and NH_VA name one ASID ([63:48]) */
		if ((op >= 0x10 && op <= 0x13) || op == 0x28 || op == 0x2a)
			kcall_note_tlbi(c, smmu->index, (uint32_t)((cmds[i][0] >> 32) & 0xffff),
			                op == 0x11 || op == 0x12 ? (uint32_t)(cmds[i][0] >> 48)
			                                         : KCALL_ASID_ALL);
		ktime_charge(c, env->t.cmd_insert);
		c->t_insert += env->t.cmd_insert;
		prod = q_inc(q, prod, 1);
	}
	uint32_t sync_prod = prod;
	if (sync) {
		uint64_t slot = q->base + 16ull * q_idx(q, prod);
		uint64_t s[2];
		if (smmu->options & ARM_SMMU_OPT_MSIPOLL)
			smmu_cmd_sync(s, 1, slot, 0);
		else
			smmu_cmd_sync(s, 2, 0, 0);
		kmem_write64(env, slot, s[0]);
		kmem_write64(env, slot + 8, s[1]);
		kcall_note_cmd(c, SMMU_CMD_SYNC);
		ktime_charge(c, env->t.cmd_insert);
		c->t_insert += env->t.cmd_insert;
		prod = q_inc(q, prod, 1);
	}
	/* 3. publish: one PROD write (dma_wmb before it orders the entries) */
	q->prod = prod;
	if (c->t > smmu->last_t)
		smmu->last_t = c->t;
	uint64_t prod_ns = c->t;
	env->ops->mmio_write(env->host, smmu->index, SMMU_REG_CMDQ_PROD, 4, prod, c->t);
	ktime_charge(c, env->t.prod_write);
	c->t_insert += env->t.prod_write;
	if (!sync || env->debug_bug == SHIM_BUG_SKIP_SYNC_WAIT)
		return 0;
	/* 4. wait for the CMD_SYNC */
	uint64_t begin = c->t;
	int rc = cmdq_poll(smmu, c, sync_prod, true);
	if (rc == 0 && (smmu->options & ARM_SMMU_OPT_MSIPOLL))
		ktime_charge(c, env->t.msi_wakeup);
	if (c->nwaits < SHIM_CALL_MAX_WAITS) {
		struct shim_sync_wait *w = &c->waits[c->nwaits++];
		w->smmu = smmu->index;
		w->sync_index = sync_prod;
		w->prod_ns = prod_ns;
		w->begin_ns = begin;
		w->end_ns = c->t;
	} else {
		c->t_wait_more += c->t - begin;
	}
	return rc;
}

int arm_smmu_cmdq_issue_cmd(struct arm_smmu_device *smmu, const uint64_t cmd[2], bool sync,
                            struct kcall *c)
{
	const uint64_t(*one)[2] = (const uint64_t(*)[2])cmd;
	return arm_smmu_cmdq_issue_cmdlist(smmu, one, 1, sync, c);
}

void arm_smmu_cmdq_batch_add(struct arm_smmu_device *smmu, struct arm_smmu_cmdq_batch *b,
                             const uint64_t cmd[2], struct kcall *c)
{
	/* MMU-700 erratum 2812531: never more than 63 commands without a SYNC. */
	if (b->num == CMDQ_BATCH_ENTRIES - 1 && (smmu->options & ARM_SMMU_OPT_CMDQ_FORCE_SYNC)) {
		arm_smmu_cmdq_issue_cmdlist(smmu, (const uint64_t(*)[2])b->cmds, b->num, true, c);
		b->num = 0;
	}
	/* A full batch goes out without a SYNC; the batch goes on. */
	if (b->num == CMDQ_BATCH_ENTRIES) {
		arm_smmu_cmdq_issue_cmdlist(smmu, (const uint64_t(*)[2])b->cmds, b->num, false, c);
		b->num = 0;
	}
	b->cmds[b->num][0] = cmd[0];
	b->cmds[b->num][1] = cmd[1];
	b->num++;
}

int arm_smmu_cmdq_batch_submit(struct arm_smmu_device *smmu, struct arm_smmu_cmdq_batch *b,
                               struct kcall *c)
{
	int rc = arm_smmu_cmdq_issue_cmdlist(smmu, (const uint64_t(*)[2])b->cmds, b->num, true, c);
	b->num = 0;
	return rc;
}
