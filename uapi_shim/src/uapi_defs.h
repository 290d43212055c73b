/*
 * uapi_defs.h - the Linux 7.0 user ABI the shim answers: request numbers,
 * flag values and struct layouts of include/uapi/linux/iommufd.h, vfio.h and kvm.h,
 * written from reference/linux-uapi.md §1-§2 (our own declarations; the
 * layouts are checked with static asserts). INTERNAL.
 */
#ifndef SHIM_UAPI_DEFS_H
#define SHIM_UAPI_DEFS_H

#include <stddef.h>
#include <stdint.h>

/* ---- iommufd: _IO(';', 0x80 + n) ---- */
#define IOMMUFD_TYPE 0x3Bu
#define IOMMUFD_CMD_BASE 0x80u
#define IOMMUFD_CMD_LAST 0x94u
#define IOMMU_DESTROY 0x3B80u
#define IOMMU_IOAS_ALLOC 0x3B81u
#define IOMMU_IOAS_ALLOW_IOVAS 0x3B82u
#define IOMMU_IOAS_COPY 0x3B83u
#define IOMMU_IOAS_IOVA_RANGES 0x3B84u
#define IOMMU_IOAS_MAP 0x3B85u
#define IOMMU_IOAS_UNMAP 0x3B86u
#define IOMMU_OPTION 0x3B87u
#define IOMMU_VFIO_IOAS 0x3B88u
#define IOMMU_HWPT_ALLOC 0x3B89u
#define IOMMU_GET_HW_INFO 0x3B8Au
#define IOMMU_HWPT_SET_DIRTY_TRACKING 0x3B8Bu
#define IOMMU_HWPT_GET_DIRTY_BITMAP 0x3B8Cu
#define IOMMU_HWPT_INVALIDATE 0x3B8Du
#define IOMMU_FAULT_QUEUE_ALLOC 0x3B8Eu
#define IOMMU_IOAS_MAP_FILE 0x3B8Fu
#define IOMMU_VIOMMU_ALLOC 0x3B90u
#define IOMMU_VDEVICE_ALLOC 0x3B91u
#define IOMMU_IOAS_CHANGE_PROCESS 0x3B92u
#define IOMMU_VEVENTQ_ALLOC 0x3B93u
#define IOMMU_HW_QUEUE_ALLOC 0x3B94u

#define IOMMU_IOAS_MAP_FIXED_IOVA 1u
#define IOMMU_IOAS_MAP_WRITEABLE 2u
#define IOMMU_IOAS_MAP_READABLE 4u

#define IOMMU_OPTION_RLIMIT_MODE 0u
#define IOMMU_OPTION_HUGE_PAGES 1u
#define IOMMU_OPTION_OP_SET 0u
#define IOMMU_OPTION_OP_GET 1u

#define IOMMU_VFIO_IOAS_GET 0u
#define IOMMU_VFIO_IOAS_SET 1u
#define IOMMU_VFIO_IOAS_CLEAR 2u

#define IOMMU_HWPT_ALLOC_NEST_PARENT (1u << 0)
#define IOMMU_HWPT_ALLOC_DIRTY_TRACKING (1u << 1)
#define IOMMU_HWPT_FAULT_ID_VALID (1u << 2)
#define IOMMU_HWPT_ALLOC_PASID (1u << 3)
#define IOMMU_HWPT_DATA_NONE 0u
#define IOMMU_HWPT_DATA_VTD_S1 1u
#define IOMMU_HWPT_DATA_ARM_SMMUV3 2u
#define IOMMU_HWPT_DATA_AMD_GUEST 3u

#define IOMMU_HW_INFO_FLAG_INPUT_TYPE 1u
#define IOMMU_HW_INFO_TYPE_DEFAULT 0u
#define IOMMU_HW_INFO_TYPE_INTEL_VTD 1u
#define IOMMU_HW_INFO_TYPE_ARM_SMMUV3 2u
#define IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV 3u
#define IOMMU_HW_INFO_TYPE_AMD 4u
#define IOMMU_HW_CAP_DIRTY_TRACKING (1ull << 0)
#define IOMMU_HWPT_DIRTY_TRACKING_ENABLE 1u
#define IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR 1u
#define IOMMU_HW_CAP_PCI_PASID_EXEC (1ull << 1)
#define IOMMU_HW_CAP_PCI_PASID_PRIV (1ull << 2)
#define IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED (1ull << 3)

#define IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 0u
#define IOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3 1u

#define IOMMU_VIOMMU_TYPE_DEFAULT 0u
#define IOMMU_VIOMMU_TYPE_ARM_SMMUV3 1u
#define IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV 2u

#define IOMMU_VEVENTQ_TYPE_DEFAULT 0u
#define IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 1u
#define IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV 2u
#define IOMMU_VEVENTQ_FLAG_LOST_EVENTS 1u

#define IOMMU_HW_QUEUE_TYPE_DEFAULT 0u
#define IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV 1u

struct u_destroy {
	uint32_t size, id;
};
struct u_ioas_alloc {
	uint32_t size, flags, out_ioas_id;
};
struct u_iova_range {
	uint64_t start, last;
};
struct u_ioas_allow_iovas {
	uint32_t size, ioas_id, num_iovas, __reserved;
	uint64_t allowed_iovas;
};
struct u_ioas_copy {
	uint32_t size, flags, dst_ioas_id, src_ioas_id;
	uint64_t length, dst_iova, src_iova;
};
struct u_ioas_iova_ranges {
	uint32_t size, ioas_id, num_iovas, __reserved;
	uint64_t allowed_iovas, out_iova_alignment;
};
struct u_ioas_map {
	uint32_t size, flags, ioas_id, __reserved;
	uint64_t user_va, length, iova;
};
struct u_ioas_map_file {
	uint32_t size, flags, ioas_id;
	int32_t fd;
	uint64_t start, length, iova;
};
struct u_ioas_unmap {
	uint32_t size, ioas_id;
	uint64_t iova, length;
};
struct u_option {
	uint32_t size, option_id;
	uint16_t op, __reserved;
	uint32_t object_id;
	uint64_t val64;
};
struct u_vfio_ioas {
	uint32_t size, ioas_id;
	uint16_t op, __reserved;
};
struct u_hwpt_alloc {
	uint32_t size, flags, dev_id, pt_id, out_hwpt_id, __reserved, data_type, data_len;
	uint64_t data_uptr;
	uint32_t fault_id, __reserved2;
};
struct u_hw_info {
	uint32_t size, flags, dev_id, data_len;
	uint64_t data_uptr;
	uint32_t data_type; /* in_data_type / out_data_type */
	uint8_t out_max_pasid_log2;
	uint8_t __reserved[3];
	uint64_t out_capabilities;
};
struct u_hw_info_arm_smmuv3 {
	uint32_t flags, __reserved, idr[6], iidr, aidr;
};
struct u_hwpt_set_dirty {
	uint32_t size, flags, hwpt_id, __reserved;
};
struct u_hwpt_get_dirty_bitmap {
	uint32_t size, hwpt_id, flags, __reserved;
	uint64_t iova, length, page_size, data;
};
struct u_hwpt_invalidate {
	uint32_t size, hwpt_id;
	uint64_t data_uptr;
	uint32_t data_type, entry_len, entry_num, __reserved;
};
struct u_fault_alloc {
	uint32_t size, flags, out_fault_id, out_fault_fd;
};
struct u_viommu_alloc {
	uint32_t size, flags, type, dev_id, hwpt_id, out_viommu_id, data_len, __reserved;
	uint64_t data_uptr;
};
struct u_vdevice_alloc {
	uint32_t size, viommu_id, dev_id, out_vdevice_id;
	uint64_t virt_id;
};
struct u_ioas_change_process {
	uint32_t size, __reserved;
};
struct u_veventq_alloc {
	uint32_t size, flags, viommu_id, type, veventq_depth, out_veventq_id, out_veventq_fd,
	    __reserved;
};
struct u_hw_queue_alloc {
	uint32_t size, flags, viommu_id, type, index, out_hw_queue_id;
	uint64_t nesting_parent_iova, length;
};

/* ---- VFIO: _IO(';', 100 + n) ---- */
#define VFIO_API_VERSION 0
#define VFIO_GET_API_VERSION 0x3B64u
#define VFIO_CHECK_EXTENSION 0x3B65u
#define VFIO_SET_IOMMU 0x3B66u
#define VFIO_GROUP_GET_STATUS 0x3B67u
#define VFIO_GROUP_SET_CONTAINER 0x3B68u
#define VFIO_GROUP_UNSET_CONTAINER 0x3B69u
#define VFIO_GROUP_GET_DEVICE_FD 0x3B6Au
#define VFIO_DEVICE_GET_INFO 0x3B6Bu
#define VFIO_DEVICE_GET_REGION_INFO 0x3B6Cu
#define VFIO_DEVICE_GET_IRQ_INFO 0x3B6Du
#define VFIO_DEVICE_SET_IRQS 0x3B6Eu
#define VFIO_DEVICE_RESET 0x3B6Fu
#define VFIO_DEVICE_GET_PCI_HOT_RESET_INFO 0x3B70u /* VFIO_IOMMU_GET_INFO's number, on a device */
#define VFIO_DEVICE_PCI_HOT_RESET 0x3B71u          /* VFIO_IOMMU_MAP_DMA's number, on a device */
#define VFIO_DEVICE_IOEVENTFD 0x3B74u
#define VFIO_DEVICE_FEATURE 0x3B75u
#define VFIO_IOMMU_DIRTY_PAGES 0x3B75u /* the same number, on a container */
#define VFIO_IOMMU_GET_INFO 0x3B70u
#define VFIO_IOMMU_MAP_DMA 0x3B71u
#define VFIO_IOMMU_UNMAP_DMA 0x3B72u
#define VFIO_DEVICE_BIND_IOMMUFD 0x3B76u
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT 0x3B77u
#define VFIO_DEVICE_DETACH_IOMMUFD_PT 0x3B78u

#define VFIO_TYPE1_IOMMU 1
#define VFIO_SPAPR_TCE_IOMMU 2
#define VFIO_TYPE1v2_IOMMU 3
#define VFIO_DMA_CC_IOMMU 4
#define VFIO_EEH 5
#define VFIO_RESERVED_TYPE1_NESTING_IOMMU 6
#define VFIO_SPAPR_TCE_v2_IOMMU 7
#define VFIO_NOIOMMU_IOMMU 8
#define VFIO_UNMAP_ALL 9
#define VFIO_UPDATE_VADDR 10

#define VFIO_GROUP_FLAGS_VIABLE 1u
#define VFIO_GROUP_FLAGS_CONTAINER_SET 2u
#define VFIO_DMA_MAP_FLAG_READ 1u
#define VFIO_DMA_MAP_FLAG_WRITE 2u
#define VFIO_DMA_MAP_FLAG_VADDR 4u
#define VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP 1u
#define VFIO_DMA_UNMAP_FLAG_ALL 2u
#define VFIO_DMA_UNMAP_FLAG_VADDR 4u
#define VFIO_IOMMU_INFO_PGSIZES 1u
#define VFIO_IOMMU_INFO_CAPS 2u
#define VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE 1u
#define VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION 2u
#define VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL 3u
#define VFIO_DEVICE_BIND_FLAG_TOKEN 1u
#define VFIO_DEVICE_ATTACH_PASID 1u
#define VFIO_DEVICE_DETACH_PASID 1u

struct u_device_info {
	uint32_t argsz, flags, num_regions, num_irqs, cap_offset, pad;
};
struct u_region_info {
	uint32_t argsz, flags, index, cap_offset;
	uint64_t size, offset;
};
struct u_irq_info {
	uint32_t argsz, flags, index, count;
};
/* vfio_pci_hot_reset_info and vfio_pci_hot_reset: their headers (then
 * devices[] and group_fds[]) */
struct u_hot_reset {
	uint32_t argsz, flags, count;
};
struct u_ioeventfd {
	uint32_t argsz, flags;
	uint64_t offset, data;
	int32_t fd;
	uint32_t reserved;
};
struct u_irq_set {
	uint32_t argsz, flags, index, start, count; /* then data[] */
};
/* The same with one element of data (an eventfd, or a bool in its first
 * byte): the table's layout for traces (every index here has at most one
 * interrupt). */
struct u_irq_set1 {
	uint32_t argsz, flags, index, start, count;
	int32_t data;
};
struct u_device_feature {
	uint32_t argsz, flags;
};
struct u_group_status {
	uint32_t argsz, flags;
};
struct u_dma_map {
	uint32_t argsz, flags;
	uint64_t vaddr, iova, size;
};
struct u_dma_unmap {
	uint32_t argsz, flags;
	uint64_t iova, size;
};
struct u_iommu_type1_info {
	uint32_t argsz, flags;
	uint64_t iova_pgsizes;
	uint32_t cap_offset, pad;
};
struct u_bind_iommufd {
	uint32_t argsz, flags;
	int32_t iommufd;
	uint32_t out_devid;
	uint64_t token_uuid_ptr;
};
struct u_attach_pt {
	uint32_t argsz, flags, pt_id, pasid;
};
struct u_detach_pt {
	uint32_t argsz, flags, pasid;
};

/* ---- KVM: KVMIO = 0xAE (include/uapi/linux/kvm.h) ---- */
#define KVMIO 0xAEu
#define KVM_API_VERSION 12
#define KVM_GET_API_VERSION 0xAE00u        /* _IO(KVMIO, 0x00) */
#define KVM_CREATE_VM 0xAE01u              /* _IO(KVMIO, 0x01), arg = machine type */
#define KVM_CHECK_EXTENSION 0xAE03u        /* _IO(KVMIO, 0x03) */
#define KVM_CREATE_VCPU 0xAE41u            /* _IO(KVMIO, 0x41), arg = vcpu id */
#define KVM_SET_USER_MEMORY_REGION 0x4020AE46u /* _IOW(KVMIO, 0x46, 32 bytes) */
#define KVM_SET_USER_MEMORY_REGION2 0x40A0AE49u /* _IOW(KVMIO, 0x49, 160 bytes) */
#define KVM_GET_VCPU_MMAP_SIZE 0xAE04u     /* _IO(KVMIO, 0x04) */
#define KVM_RUN 0xAE80u                    /* _IO(KVMIO, 0x80) */
#define KVM_ARM_PREFERRED_TARGET 0x8020AEAFu /* _IOR(KVMIO, 0xaf, 32 bytes) */
#define KVM_ARM_TARGET_GENERIC_V8 5u
#define KVM_ARM_VCPU_INIT 0x4020AEAEu      /* _IOW(KVMIO, 0xae, struct kvm_vcpu_init) */
#define KVM_GET_ONE_REG 0x4010AEABu        /* _IOW(KVMIO, 0xab, struct kvm_one_reg) */
#define KVM_SET_ONE_REG 0x4010AEACu        /* _IOW(KVMIO, 0xac, struct kvm_one_reg) */
#define KVM_GET_REG_LIST 0xC008AEB0u       /* _IOWR(KVMIO, 0xb0, struct kvm_reg_list) */
#define KVM_ARM_VCPU_FINALIZE 0x4004AEC2u  /* _IOW(KVMIO, 0xc2, int) */
/* kvm_vcpu_init.features[0] bits (arch/arm64/include/uapi/asm/kvm.h) */
#define KVM_ARM_VCPU_POWER_OFF 0
#define KVM_ARM_VCPU_EL1_32BIT 1
#define KVM_ARM_VCPU_PSCI_0_2 2
#define KVM_ARM_VCPU_PMU_V3 3
#define KVM_ARM_VCPU_SVE 4
#define KVM_ARM_VCPU_PTRAUTH_ADDRESS 5
#define KVM_ARM_VCPU_PTRAUTH_GENERIC 6
#define KVM_ARM_VCPU_HAS_EL2 7
#define KVM_ARM_VCPU_HAS_EL2_E2H0 8
/* KVM_VCPU_MAX_FEATURES (arch/arm64/include/asm/kvm_host.h) */
#define KVM_VCPU_MAX_FEATURES 9
#define KVM_CREATE_DEVICE 0xC00CAEE0u      /* _IOWR(KVMIO, 0xe0, 12 bytes) */
#define KVM_SET_DEVICE_ATTR 0x4018AEE1u    /* _IOW(KVMIO, 0xe1, 24 bytes) */
#define KVM_GET_DEVICE_ATTR 0x4018AEE2u    /* _IOW(KVMIO, 0xe2, 24 bytes) */
#define KVM_HAS_DEVICE_ATTR 0x4018AEE3u    /* _IOW(KVMIO, 0xe3, 24 bytes) */

/* arm64 machine type: the low 8 bits are the IPA size (0: 40 bits). */
#define KVM_VM_TYPE_ARM_IPA_SIZE_MASK 0xffull

#define KVM_CAP_USER_MEMORY 3
#define KVM_CAP_NR_VCPUS 9
#define KVM_CAP_NR_MEMSLOTS 10
#define KVM_CAP_DESTROY_MEMORY_REGION_WORKS 21
#define KVM_CAP_JOIN_MEMORY_REGIONS_WORKS 30
#define KVM_CAP_MAX_VCPUS 66
#define KVM_CAP_READONLY_MEM 81
#define KVM_CAP_DEVICE_CTRL 89
#define KVM_CAP_CHECK_EXTENSION_VM 105
#define KVM_CAP_MAX_VCPU_ID 128
#define KVM_CAP_ARM_VM_IPA_SIZE 165

#define KVM_MEM_LOG_DIRTY_PAGES (1u << 0)
#define KVM_MEM_READONLY (1u << 1)
#define KVM_MEM_GUEST_MEMFD (1u << 2)

#define KVM_CREATE_DEVICE_TEST 1u
#define KVM_DEV_TYPE_FSL_MPIC_20 1u
#define KVM_DEV_TYPE_FSL_MPIC_42 2u
#define KVM_DEV_TYPE_XICS 3u
#define KVM_DEV_TYPE_VFIO 4u
#define KVM_DEV_TYPE_ARM_VGIC_V2 5u
#define KVM_DEV_TYPE_FLIC 6u
#define KVM_DEV_TYPE_ARM_VGIC_V3 7u
#define KVM_DEV_TYPE_ARM_VGIC_ITS 8u
#define KVM_DEV_TYPE_XIVE 9u
#define KVM_DEV_TYPE_ARM_PV_TIME 10u
#define KVM_DEV_TYPE_RISCV_AIA 11u

#define KVM_DEV_VFIO_FILE 1u /* alias KVM_DEV_VFIO_GROUP */
#define KVM_DEV_VFIO_FILE_ADD 1u
#define KVM_DEV_VFIO_FILE_DEL 2u
#define KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE 3u

struct u_kvm_userspace_memory_region {
	uint32_t slot, flags;
	uint64_t guest_phys_addr, memory_size, userspace_addr;
};
struct u_kvm_userspace_memory_region2 {
	uint32_t slot, flags;
	uint64_t guest_phys_addr, memory_size, userspace_addr, guest_memfd_offset;
	uint32_t guest_memfd, pad1;
	uint64_t pad2[14];
};
struct u_kvm_vcpu_init {
	uint32_t target, features[7];
};
struct u_kvm_create_device {
	uint32_t type, fd, flags;
};
struct u_kvm_device_attr {
	uint32_t flags, group;
	uint64_t attr, addr;
};

#define U_OFFSETOFEND(type, m) (offsetof(type, m) + sizeof(((type *)0)->m))

#ifndef __cplusplus
_Static_assert(sizeof(struct u_ioas_map) == 40, "iommu_ioas_map");
_Static_assert(sizeof(struct u_ioas_map_file) == 40, "iommu_ioas_map_file");
_Static_assert(sizeof(struct u_hwpt_alloc) == 48, "iommu_hwpt_alloc");
_Static_assert(sizeof(struct u_hw_info) == 40, "iommu_hw_info");
_Static_assert(offsetof(struct u_hw_info, out_capabilities) == 32, "iommu_hw_info caps");
_Static_assert(sizeof(struct u_hw_info_arm_smmuv3) == 40, "iommu_hw_info_arm_smmuv3");
_Static_assert(sizeof(struct u_hwpt_invalidate) == 32, "iommu_hwpt_invalidate");
_Static_assert(sizeof(struct u_viommu_alloc) == 40, "iommu_viommu_alloc");
_Static_assert(sizeof(struct u_vdevice_alloc) == 24, "iommu_vdevice_alloc");
_Static_assert(sizeof(struct u_veventq_alloc) == 32, "iommu_veventq_alloc");
_Static_assert(sizeof(struct u_hw_queue_alloc) == 40, "iommu_hw_queue_alloc");
_Static_assert(sizeof(struct u_option) == 24, "iommu_option");
_Static_assert(sizeof(struct u_ioas_copy) == 40, "iommu_ioas_copy");
_Static_assert(sizeof(struct u_ioas_iova_ranges) == 32, "iommu_ioas_iova_ranges");
_Static_assert(sizeof(struct u_bind_iommufd) == 24, "vfio_device_bind_iommufd");
_Static_assert(sizeof(struct u_iommu_type1_info) == 24, "vfio_iommu_type1_info");
_Static_assert(sizeof(struct u_kvm_userspace_memory_region) == 32, "kvm_userspace_memory_region");
_Static_assert(sizeof(struct u_kvm_create_device) == 12, "kvm_create_device");
_Static_assert(sizeof(struct u_kvm_device_attr) == 24, "kvm_device_attr");
#endif

#endif
