/*
 * ktiming.c - default costs of the emulated kernel's own work (struct
 * ktiming, ns), each with its source. No public measurement breaks the
 * arm-smmu-v3 driver's time down per step, so most values are estimates
 * marked "uncalibrated"; the end-to-end anchors they must add up to are in
 * reference/timing-anchors.md (TLBI+CMD_SYNC on an idle SMMU 1-3 us,
 * intel_iommu_tlb_sync 2.32 us mean, iommu_map 4.76 us, __iommu_unmap
 * 1.02 us).
 *
 * | field          | ns   | source                                                      |
 * |----------------|------|-------------------------------------------------------------|
 * | syscall        | 300  | uncalibrated (ioctl entry/exit + fd lookup + copy_from_user) |
 * | obj_op         | 100  | uncalibrated (xarray insert/lookup + refcount)              |
 * | pin_page       | 50   | uncalibrated (GUP fast path per 4K page)                    |
 * | pte_write      | 5    | uncalibrated (one store; coherent walks need no clean)      |
 * | table_alloc    | 200  | uncalibrated (page allocation + zeroing 4 KiB)              |
 * | ste_qword      | 5    | uncalibrated (WRITE_ONCE + dma_wmb)                         |
 * | cmd_insert     | 30   | uncalibrated (build + copy 16 B under the cmdq lock; the     |
 * |                |      | lock dominates under contention, J. Garry 2020 profile)     |
 * | prod_write     | 50   | uncalibrated (posted write incl. the preceding dma_wmb)     |
 * | poll_interval  | 100  | uncalibrated (one uncached CONS read + cpu_relax; Linux     |
 * |                |      | spins ARM_SMMU_POLL_SPIN_COUNT=10 before backing off)       |
 * | msi_wakeup     | 1000 | uncalibrated (wfe wake-up after the MSI write lands)        |
 * | mmio_read      | 100  | uncalibrated (uncached device read round trip)              |
 * | mmio_write     | 20   | uncalibrated (posted write)                                 |
 * | irq_entry      | 1000 | uncalibrated (GIC ack + threaded handler dispatch)          |
 * | evt_handle     | 100  | uncalibrated (decode + log one event record)                |
 */
#include "kernel.h"

void ktiming_default(struct ktiming *t)
{
	t->syscall = 300;
	t->obj_op = 100;
	t->pin_page = 50;
	t->pte_write = 5;
	t->table_alloc = 200;
	t->ste_qword = 5;
	t->cmd_insert = 30;
	t->prod_write = 50;
	t->poll_interval = 100;
	t->msi_wakeup = 1000;
	t->mmio_read = 100;
	t->mmio_write = 20;
	t->irq_entry = 1000;
	t->evt_handle = 100;
}
