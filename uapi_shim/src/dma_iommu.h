/*
 * dma_iommu.h - the host kernel's DMA API on a device's default DMA domain
 * (drivers/iommu/dma-iommu.c and iova.c of Linux 7.0), for host drivers
 * that stream buffers through dma_map_page()/dma_unmap_page().
 *
 * INTERNAL header. One struct iommu_dma per device that a `dmaapi` record
 * used: its stage-1 DMA domain (allocated and attached on first use), the
 * IOVA allocator (top-down, size-aligned, 32-bit space first for PCI, with
 * the per-CPU range caches), and, when kernel.iommu_strict is off, the
 * per-CPU flush queues with their timer.
 */
#ifndef SHIM_DMA_IOMMU_H
#define SHIM_DMA_IOMMU_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel.h"

#ifdef __cplusplus
extern "C" {
#endif

struct shim;
struct shim_dev;
struct iommu_dma;

/* Free a device's DMA API state (its domain must be detached already). */
void iommu_dma_destroy(struct iommu_dma *dma, struct kcall *c);
/* The DMA domain of a device that used the DMA API (NULL: none yet). */
struct arm_smmu_domain *iommu_dma_domain(const struct iommu_dma *dma);
/* The record line of this domain's last completed invalidation (a strict
 * unmap's sync, a flush of its queue; 0: none), and whether the page of
 * `iova` waits in its flush queue (lazy: unmapped, not yet invalidated). */
uint32_t iommu_dma_inv_line(const struct iommu_dma *dma);
bool iommu_dma_iova_queued(const struct iommu_dma *dma, uint64_t iova);

#ifdef __cplusplus
}
#endif

#endif
