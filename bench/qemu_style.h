/*
 * qemu_style.h - the QEMU-style IOTLB baseline of smmuv3_bench (bench/README.md).
 *
 * An IOTLB organised the way QEMU's SMMUv3 model organises its own (written
 * here from that description, not from QEMU's code): one GLib GHashTable
 * keyed by {iova, asid, vmid, tg, level}, a lookup probing the table once
 * per level from the start level down to the leaf with the IOVA masked to
 * that level's block size, the whole lookup under a mutex. It is the
 * baseline `smmuv3.qemu_style.mtps`; it models no timing and keeps no
 * statistics.
 */
#ifndef SMMUSIM_BENCH_QEMU_STYLE_H
#define SMMUSIM_BENCH_QEMU_STYLE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qs_iotlb;

/* An empty IOTLB, or NULL when out of memory. */
struct qs_iotlb *qs_iotlb_new(void);
void qs_iotlb_free(struct qs_iotlb *t);

/*
 * Cache a translation at `level` of a granule of 2^tg_shift bytes: the
 * block of that level holding `iova` maps to the block holding `oa`.
 */
void qs_iotlb_insert(struct qs_iotlb *t, uint64_t iova, uint16_t asid, uint16_t vmid,
		     unsigned tg_shift, unsigned level, uint64_t oa);

/*
 * Look `iova` up: lock, probe levels start_level..3, unlock. Returns 1 with
 * the output address in *pa on a hit, 0 on a miss.
 */
int qs_iotlb_translate(struct qs_iotlb *t, uint64_t iova, uint16_t asid, uint16_t vmid,
		       unsigned tg_shift, unsigned start_level, uint64_t *pa);

#ifdef __cplusplus
}
#endif
#endif
