/*
 * uapi_table.c - names and argument layouts of every request the shim
 * answers on /dev/iommu, /dev/vfio/... and /dev/kvm (shim.h: struct shim_uapi_request),
 * so that a trace replayer can build argument structs from FIELD=VALUE
 * tokens and read results back by name without knowing any struct.
 *
 * Offsets come from the layouts in uapi_defs.h (offsetof), so the table and
 * the kernel side cannot disagree.
 */
#include "shim_internal.h"

#include <stdlib.h>
#include <string.h>

#define SYM(full, short_, v)                                                                       \
	{                                                                                          \
		full, short_, v                                                                    \
	}
#define SYM_END                                                                                    \
	{                                                                                          \
		NULL, NULL, 0                                                                      \
	}

static const struct shim_uapi_sym map_flags[] = {
    SYM("IOMMU_IOAS_MAP_FIXED_IOVA", "FIXED_IOVA", 1),
    SYM("IOMMU_IOAS_MAP_WRITEABLE", "WRITEABLE", 2),
    SYM("IOMMU_IOAS_MAP_READABLE", "READABLE", 4),
    SYM_END,
};
static const struct shim_uapi_sym option_ids[] = {
    SYM("IOMMU_OPTION_RLIMIT_MODE", "RLIMIT_MODE", 0),
    SYM("IOMMU_OPTION_HUGE_PAGES", "HUGE_PAGES", 1),
    SYM_END,
};
static const struct shim_uapi_sym option_ops[] = {
    SYM("IOMMU_OPTION_OP_SET", "SET", 0),
    SYM("IOMMU_OPTION_OP_GET", "GET", 1),
    SYM_END,
};
static const struct shim_uapi_sym vfio_ioas_ops[] = {
    SYM("IOMMU_VFIO_IOAS_GET", "GET", 0),
    SYM("IOMMU_VFIO_IOAS_SET", "SET", 1),
    SYM("IOMMU_VFIO_IOAS_CLEAR", "CLEAR", 2),
    SYM_END,
};
static const struct shim_uapi_sym hwpt_flags[] = {
    SYM("IOMMU_HWPT_ALLOC_NEST_PARENT", "NEST_PARENT", 1),
    SYM("IOMMU_HWPT_ALLOC_DIRTY_TRACKING", "DIRTY_TRACKING", 2),
    SYM("IOMMU_HWPT_FAULT_ID_VALID", "FAULT_ID_VALID", 4),
    SYM("IOMMU_HWPT_ALLOC_PASID", "PASID", 8),
    SYM_END,
};
static const struct shim_uapi_sym hwpt_data[] = {
    SYM("IOMMU_HWPT_DATA_NONE", "NONE", 0),
    SYM("IOMMU_HWPT_DATA_VTD_S1", "VTD_S1", 1),
    SYM("IOMMU_HWPT_DATA_ARM_SMMUV3", "ARM_SMMUV3", 2),
    SYM("IOMMU_HWPT_DATA_AMD_GUEST", "AMD_GUEST", 3),
    SYM_END,
};
static const struct shim_uapi_sym hw_info_flags[] = {
    SYM("IOMMU_HW_INFO_FLAG_INPUT_TYPE", "INPUT_TYPE", 1),
    SYM_END,
};
static const struct shim_uapi_sym hw_info_types[] = {
    SYM("IOMMU_HW_INFO_TYPE_DEFAULT", "DEFAULT", 0),
    SYM("IOMMU_HW_INFO_TYPE_NONE", "NONE", 0),
    SYM("IOMMU_HW_INFO_TYPE_INTEL_VTD", "INTEL_VTD", 1),
    SYM("IOMMU_HW_INFO_TYPE_ARM_SMMUV3", "ARM_SMMUV3", 2),
    SYM("IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV", "TEGRA241_CMDQV", 3),
    SYM("IOMMU_HW_INFO_TYPE_AMD", "AMD", 4),
    SYM_END,
};
static const struct shim_uapi_sym hw_caps[] = {
    SYM("IOMMU_HW_CAP_DIRTY_TRACKING", "DIRTY_TRACKING", 1),
    SYM("IOMMU_HW_CAP_PCI_PASID_EXEC", "PCI_PASID_EXEC", 2),
    SYM("IOMMU_HW_CAP_PCI_PASID_PRIV", "PCI_PASID_PRIV", 4),
    SYM("IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED", "PCI_ATS_NOT_SUPPORTED", 8),
    SYM_END,
};
static const struct shim_uapi_sym dirty_flags[] = {
    SYM("IOMMU_HWPT_DIRTY_TRACKING_ENABLE", "ENABLE", 1),
    SYM_END,
};
static const struct shim_uapi_sym bitmap_flags[] = {
    SYM("IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR", "NO_CLEAR", 1),
    SYM_END,
};
static const struct shim_uapi_sym inv_data[] = {
    SYM("IOMMU_HWPT_INVALIDATE_DATA_VTD_S1", "VTD_S1", 0),
    SYM("IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3", "VIOMMU_ARM_SMMUV3", 1),
    SYM("IOMMU_HWPT_INVALIDATE_DATA_VIOMMU_ARM_SMMUV3", "ARM_SMMUV3", 1),
    SYM_END,
};
static const struct shim_uapi_sym viommu_types[] = {
    SYM("IOMMU_VIOMMU_TYPE_DEFAULT", "DEFAULT", 0),
    SYM("IOMMU_VIOMMU_TYPE_ARM_SMMUV3", "ARM_SMMUV3", 1),
    SYM("IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV", "TEGRA241_CMDQV", 2),
    SYM_END,
};
static const struct shim_uapi_sym veventq_types[] = {
    SYM("IOMMU_VEVENTQ_TYPE_DEFAULT", "DEFAULT", 0),
    SYM("IOMMU_VEVENTQ_TYPE_ARM_SMMUV3", "ARM_SMMUV3", 1),
    SYM("IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV", "TEGRA241_CMDQV", 2),
    SYM_END,
};
static const struct shim_uapi_sym hwq_types[] = {
    SYM("IOMMU_HW_QUEUE_TYPE_DEFAULT", "DEFAULT", 0),
    SYM("IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV", "TEGRA241_CMDQV", 1),
    SYM_END,
};
static const struct shim_uapi_sym vfio_ext[] = {
    SYM("VFIO_TYPE1_IOMMU", "TYPE1_IOMMU", 1),
    SYM("VFIO_SPAPR_TCE_IOMMU", "SPAPR_TCE_IOMMU", 2),
    SYM("VFIO_TYPE1v2_IOMMU", "TYPE1v2_IOMMU", 3),
    SYM("VFIO_DMA_CC_IOMMU", "DMA_CC_IOMMU", 4),
    SYM("VFIO_EEH", "EEH", 5),
    SYM("VFIO_TYPE1_NESTING_IOMMU", "TYPE1_NESTING_IOMMU", 6),
    SYM("__VFIO_RESERVED_TYPE1_NESTING_IOMMU", "RESERVED_TYPE1_NESTING_IOMMU", 6),
    SYM("VFIO_SPAPR_TCE_v2_IOMMU", "SPAPR_TCE_v2_IOMMU", 7),
    SYM("VFIO_NOIOMMU_IOMMU", "NOIOMMU_IOMMU", 8),
    SYM("VFIO_UNMAP_ALL", "UNMAP_ALL", 9),
    SYM("VFIO_UPDATE_VADDR", "UPDATE_VADDR", 10),
    SYM_END,
};
static const struct shim_uapi_sym region_info_flags[] = {
    SYM("VFIO_REGION_INFO_FLAG_READ", "READ", 1),
    SYM("VFIO_REGION_INFO_FLAG_WRITE", "WRITE", 2),
    SYM("VFIO_REGION_INFO_FLAG_MMAP", "MMAP", 4),
    SYM("VFIO_REGION_INFO_FLAG_CAPS", "CAPS", 8),
    SYM_END,
};
static const struct shim_uapi_sym irq_info_flags[] = {
    SYM("VFIO_IRQ_INFO_EVENTFD", "EVENTFD", 1),
    SYM("VFIO_IRQ_INFO_MASKABLE", "MASKABLE", 2),
    SYM("VFIO_IRQ_INFO_AUTOMASKED", "AUTOMASKED", 4),
    SYM("VFIO_IRQ_INFO_NORESIZE", "NORESIZE", 8),
    SYM_END,
};
static const struct shim_uapi_sym irq_set_flags[] = {
    SYM("VFIO_IRQ_SET_DATA_NONE", "DATA_NONE", 1),
    SYM("VFIO_IRQ_SET_DATA_BOOL", "DATA_BOOL", 2),
    SYM("VFIO_IRQ_SET_DATA_EVENTFD", "DATA_EVENTFD", 4),
    SYM("VFIO_IRQ_SET_ACTION_MASK", "ACTION_MASK", 8),
    SYM("VFIO_IRQ_SET_ACTION_UNMASK", "ACTION_UNMASK", 0x10),
    SYM("VFIO_IRQ_SET_ACTION_TRIGGER", "ACTION_TRIGGER", 0x20),
    SYM_END,
};
static const struct shim_uapi_sym device_info_flags[] = {
    SYM("VFIO_DEVICE_FLAGS_RESET", "RESET", 1),
    SYM("VFIO_DEVICE_FLAGS_PCI", "PCI", 2),
    SYM("VFIO_DEVICE_FLAGS_CAPS", "CAPS", 0x80),
    SYM("VFIO_DEVICE_FLAGS_CDX", "CDX", 0x200),
    SYM_END,
};
static const struct shim_uapi_sym device_feature_flags[] = {
    SYM("VFIO_DEVICE_FEATURE_GET", "GET", 0x10000),
    SYM("VFIO_DEVICE_FEATURE_SET", "SET", 0x20000),
    SYM("VFIO_DEVICE_FEATURE_PROBE", "PROBE", 0x40000),
    SYM_END,
};
static const struct shim_uapi_sym group_flags[] = {
    SYM("VFIO_GROUP_FLAGS_VIABLE", "VIABLE", 1),
    SYM("VFIO_GROUP_FLAGS_CONTAINER_SET", "CONTAINER_SET", 2),
    SYM_END,
};
static const struct shim_uapi_sym dma_map_flags[] = {
    SYM("VFIO_DMA_MAP_FLAG_READ", "READ", 1),
    SYM("VFIO_DMA_MAP_FLAG_WRITE", "WRITE", 2),
    SYM("VFIO_DMA_MAP_FLAG_VADDR", "VADDR", 4),
    SYM_END,
};
static const struct shim_uapi_sym dma_unmap_flags[] = {
    SYM("VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP", "GET_DIRTY_BITMAP", 1),
    SYM("VFIO_DMA_UNMAP_FLAG_ALL", "ALL", 2),
    SYM("VFIO_DMA_UNMAP_FLAG_VADDR", "VADDR", 4),
    SYM_END,
};
static const struct shim_uapi_sym info_flags[] = {
    SYM("VFIO_IOMMU_INFO_PGSIZES", "PGSIZES", 1),
    SYM("VFIO_IOMMU_INFO_CAPS", "CAPS", 2),
    SYM_END,
};
static const struct shim_uapi_sym bind_flags[] = {
    SYM("VFIO_DEVICE_BIND_FLAG_TOKEN", "FLAG_TOKEN", 1),
    SYM_END,
};
static const struct shim_uapi_sym attach_flags[] = {
    SYM("VFIO_DEVICE_ATTACH_PASID", "PASID", 1),
    SYM_END,
};
static const struct shim_uapi_sym detach_flags[] = {
    SYM("VFIO_DEVICE_DETACH_PASID", "PASID", 1),
    SYM_END,
};
/* KVM */
static const struct shim_uapi_sym kvm_caps[] = {
    SYM("KVM_CAP_USER_MEMORY", "USER_MEMORY", KVM_CAP_USER_MEMORY),
    SYM("KVM_CAP_NR_VCPUS", "NR_VCPUS", KVM_CAP_NR_VCPUS),
    SYM("KVM_CAP_NR_MEMSLOTS", "NR_MEMSLOTS", KVM_CAP_NR_MEMSLOTS),
    SYM("KVM_CAP_DESTROY_MEMORY_REGION_WORKS", "DESTROY_MEMORY_REGION_WORKS",
        KVM_CAP_DESTROY_MEMORY_REGION_WORKS),
    SYM("KVM_CAP_JOIN_MEMORY_REGIONS_WORKS", "JOIN_MEMORY_REGIONS_WORKS",
        KVM_CAP_JOIN_MEMORY_REGIONS_WORKS),
    SYM("KVM_CAP_MAX_VCPUS", "MAX_VCPUS", KVM_CAP_MAX_VCPUS),
    SYM("KVM_CAP_READONLY_MEM", "READONLY_MEM", KVM_CAP_READONLY_MEM),
    SYM("KVM_CAP_DEVICE_CTRL", "DEVICE_CTRL", KVM_CAP_DEVICE_CTRL),
    SYM("KVM_CAP_CHECK_EXTENSION_VM", "CHECK_EXTENSION_VM", KVM_CAP_CHECK_EXTENSION_VM),
    SYM("KVM_CAP_MAX_VCPU_ID", "MAX_VCPU_ID", KVM_CAP_MAX_VCPU_ID),
    SYM("KVM_CAP_ARM_VM_IPA_SIZE", "ARM_VM_IPA_SIZE", KVM_CAP_ARM_VM_IPA_SIZE),
    SYM_END,
};
static const struct shim_uapi_sym kvm_mem_flags[] = {
    SYM("KVM_MEM_LOG_DIRTY_PAGES", "LOG_DIRTY_PAGES", KVM_MEM_LOG_DIRTY_PAGES),
    SYM("KVM_MEM_READONLY", "READONLY", KVM_MEM_READONLY),
    SYM("KVM_MEM_GUEST_MEMFD", "GUEST_MEMFD", KVM_MEM_GUEST_MEMFD),
    SYM_END,
};
static const struct shim_uapi_sym kvm_dev_types[] = {
    SYM("KVM_DEV_TYPE_FSL_MPIC_20", "FSL_MPIC_20", KVM_DEV_TYPE_FSL_MPIC_20),
    SYM("KVM_DEV_TYPE_FSL_MPIC_42", "FSL_MPIC_42", KVM_DEV_TYPE_FSL_MPIC_42),
    SYM("KVM_DEV_TYPE_XICS", "XICS", KVM_DEV_TYPE_XICS),
    SYM("KVM_DEV_TYPE_VFIO", "VFIO", KVM_DEV_TYPE_VFIO),
    SYM("KVM_DEV_TYPE_ARM_VGIC_V2", "ARM_VGIC_V2", KVM_DEV_TYPE_ARM_VGIC_V2),
    SYM("KVM_DEV_TYPE_FLIC", "FLIC", KVM_DEV_TYPE_FLIC),
    SYM("KVM_DEV_TYPE_ARM_VGIC_V3", "ARM_VGIC_V3", KVM_DEV_TYPE_ARM_VGIC_V3),
    SYM("KVM_DEV_TYPE_ARM_VGIC_ITS", "ARM_VGIC_ITS", KVM_DEV_TYPE_ARM_VGIC_ITS),
    SYM("KVM_DEV_TYPE_XIVE", "XIVE", KVM_DEV_TYPE_XIVE),
    SYM("KVM_DEV_TYPE_ARM_PV_TIME", "ARM_PV_TIME", KVM_DEV_TYPE_ARM_PV_TIME),
    SYM("KVM_DEV_TYPE_RISCV_AIA", "RISCV_AIA", KVM_DEV_TYPE_RISCV_AIA),
    SYM_END,
};
static const struct shim_uapi_sym kvm_create_dev_flags[] = {
    SYM("KVM_CREATE_DEVICE_TEST", "TEST", KVM_CREATE_DEVICE_TEST),
    SYM_END,
};
static const struct shim_uapi_sym kvm_vfio_groups[] = {
    SYM("KVM_DEV_VFIO_FILE", "FILE", KVM_DEV_VFIO_FILE),
    SYM("KVM_DEV_VFIO_GROUP", "GROUP", KVM_DEV_VFIO_FILE),
    SYM_END,
};
static const struct shim_uapi_sym kvm_vfio_attrs[] = {
    SYM("KVM_DEV_VFIO_FILE_ADD", "FILE_ADD", KVM_DEV_VFIO_FILE_ADD),
    SYM("KVM_DEV_VFIO_FILE_DEL", "FILE_DEL", KVM_DEV_VFIO_FILE_DEL),
    SYM("KVM_DEV_VFIO_GROUP_ADD", "GROUP_ADD", KVM_DEV_VFIO_FILE_ADD),
    SYM("KVM_DEV_VFIO_GROUP_DEL", "GROUP_DEL", KVM_DEV_VFIO_FILE_DEL),
    SYM("KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE", "GROUP_SET_SPAPR_TCE",
        KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE),
    SYM_END,
};

#define W(st, m) ((uint8_t)sizeof(((struct st *)0)->m))
/* A scalar field. */
#define F(st, m, fl)                                                                               \
	{                                                                                          \
#m, offsetof(struct st, m), W(st, m), 1, fl, NULL, NULL, NULL, 0, 0, NULL, 0,      \
		    false                                                                          \
	}
#define FS(st, m, fl, syms)                                                                        \
	{                                                                                          \
#m, offsetof(struct st, m), W(st, m), 1, fl, syms, NULL, NULL, 0, 0, NULL, 0,      \
		    false                                                                          \
	}
/* An array of scalars in the struct (`features=[...]`). */
#define FA(st, m, fl)                                                                              \
	{                                                                                          \
#m, offsetof(struct st, m), W(st, m[0]), (uint8_t)(W(st, m) / W(st, m[0])), fl, NULL, \
		    NULL, NULL, 0, 0, NULL, 0, false                                               \
	}
/* A user pointer with its payload. */
#define FP(st, m, fl, name, lenf, kind, esz, ef, word, out)                                        \
	{                                                                                          \
#m, offsetof(struct st, m), 8, 1, (fl) | SHIM_UF_UPTR, NULL, name, lenf, kind,     \
		    esz, ef, word, out                                                             \
	}

#define IN SHIM_UF_IN
#define OUT SHIM_UF_OUT
#define SZ (SHIM_UF_IN | SHIM_UF_SIZE)
#define RSV (SHIM_UF_IN | SHIM_UF_RESERVED)
#define FLG (SHIM_UF_IN | SHIM_UF_FLAGS)

static const struct shim_uapi_field f_destroy[] = {F(u_destroy, size, SZ), F(u_destroy, id, IN)};
static const struct shim_uapi_field f_ioas_alloc[] = {
    F(u_ioas_alloc, size, SZ),
    F(u_ioas_alloc, flags, FLG),
    F(u_ioas_alloc, out_ioas_id, OUT),
};
static const struct shim_uapi_field f_allow[] = {
    F(u_ioas_allow_iovas, size, SZ),
    F(u_ioas_allow_iovas, ioas_id, IN),
    F(u_ioas_allow_iovas, num_iovas, IN),
    F(u_ioas_allow_iovas, __reserved, RSV),
    FP(u_ioas_allow_iovas, allowed_iovas, IN, "allowed_iovas", "num_iovas", SHIM_PL_ELEMS, 16, NULL,
       8, false),
};
static const struct shim_uapi_field f_copy[] = {
    F(u_ioas_copy, size, SZ),        FS(u_ioas_copy, flags, FLG, map_flags),
    F(u_ioas_copy, dst_ioas_id, IN), F(u_ioas_copy, src_ioas_id, IN),
    F(u_ioas_copy, length, IN),      F(u_ioas_copy, dst_iova, IN | OUT),
    F(u_ioas_copy, src_iova, IN),
};
static const struct shim_uapi_field f_ranges[] = {
    F(u_ioas_iova_ranges, size, SZ),
    F(u_ioas_iova_ranges, ioas_id, IN),
    F(u_ioas_iova_ranges, num_iovas, IN | OUT),
    F(u_ioas_iova_ranges, __reserved, RSV),
    FP(u_ioas_iova_ranges, allowed_iovas, IN, "allowed_iovas", "num_iovas", SHIM_PL_ELEMS, 16, NULL,
       8, true),
    F(u_ioas_iova_ranges, out_iova_alignment, OUT),
};
static const struct shim_uapi_field f_map[] = {
    F(u_ioas_map, size, SZ),       FS(u_ioas_map, flags, FLG, map_flags),
    F(u_ioas_map, ioas_id, IN),    F(u_ioas_map, __reserved, RSV),
    F(u_ioas_map, user_va, IN),    F(u_ioas_map, length, IN),
    F(u_ioas_map, iova, IN | OUT),
};
static const struct shim_uapi_field f_map_file[] = {
    F(u_ioas_map_file, size, SZ),       FS(u_ioas_map_file, flags, FLG, map_flags),
    F(u_ioas_map_file, ioas_id, IN),    F(u_ioas_map_file, fd, IN | SHIM_UF_SIGNED),
    F(u_ioas_map_file, start, IN),      F(u_ioas_map_file, length, IN),
    F(u_ioas_map_file, iova, IN | OUT),
};
static const struct shim_uapi_field f_unmap[] = {
    F(u_ioas_unmap, size, SZ),
    F(u_ioas_unmap, ioas_id, IN),
    F(u_ioas_unmap, iova, IN),
    F(u_ioas_unmap, length, IN | OUT),
};
static const struct shim_uapi_field f_option[] = {
    F(u_option, size, SZ),
    FS(u_option, option_id, IN, option_ids),
    FS(u_option, op, IN, option_ops),
    F(u_option, __reserved, RSV),
    F(u_option, object_id, IN),
    F(u_option, val64, IN | OUT),
};
static const struct shim_uapi_field f_vfio_ioas[] = {
    F(u_vfio_ioas, size, SZ),
    F(u_vfio_ioas, ioas_id, IN | OUT),
    FS(u_vfio_ioas, op, IN, vfio_ioas_ops),
    F(u_vfio_ioas, __reserved, RSV),
};
static const struct shim_uapi_field f_hwpt_alloc[] = {
    F(u_hwpt_alloc, size, SZ),
    FS(u_hwpt_alloc, flags, FLG, hwpt_flags),
    F(u_hwpt_alloc, dev_id, IN),
    F(u_hwpt_alloc, pt_id, IN),
    F(u_hwpt_alloc, out_hwpt_id, OUT),
    F(u_hwpt_alloc, __reserved, RSV),
    FS(u_hwpt_alloc, data_type, IN, hwpt_data),
    F(u_hwpt_alloc, data_len, IN),
    FP(u_hwpt_alloc, data_uptr, IN, "data", "data_len", SHIM_PL_BYTES, 8, NULL, 8, false),
    F(u_hwpt_alloc, fault_id, IN),
    F(u_hwpt_alloc, __reserved2, RSV),
};
static const struct shim_uapi_field f_hw_info[] = {
    F(u_hw_info, size, SZ),
    FS(u_hw_info, flags, FLG, hw_info_flags),
    F(u_hw_info, dev_id, IN),
    F(u_hw_info, data_len, IN | OUT),
    FP(u_hw_info, data_uptr, IN, "data", "data_len", SHIM_PL_BYTES, 4, NULL, 4, true),
    {"in_data_type", offsetof(struct u_hw_info, data_type), 4, 1, IN, hw_info_types, NULL, NULL, 0,
     0, NULL, 0, false},
    {"out_data_type", offsetof(struct u_hw_info, data_type), 4, 1, OUT, hw_info_types, NULL, NULL,
     0, 0, NULL, 0, false},
    F(u_hw_info, out_max_pasid_log2, OUT),
    {"__reserved", offsetof(struct u_hw_info, __reserved), 1, 3, RSV, NULL, NULL, NULL, 0, 0, NULL,
     0, false},
    FS(u_hw_info, out_capabilities, OUT | SHIM_UF_FLAGS, hw_caps),
};
static const struct shim_uapi_field f_set_dirty[] = {
    F(u_hwpt_set_dirty, size, SZ),
    FS(u_hwpt_set_dirty, flags, FLG, dirty_flags),
    F(u_hwpt_set_dirty, hwpt_id, IN),
    F(u_hwpt_set_dirty, __reserved, RSV),
};
static const struct shim_uapi_field f_get_dirty[] = {
    F(u_hwpt_get_dirty_bitmap, size, SZ),
    F(u_hwpt_get_dirty_bitmap, hwpt_id, IN),
    FS(u_hwpt_get_dirty_bitmap, flags, FLG, bitmap_flags),
    F(u_hwpt_get_dirty_bitmap, __reserved, RSV),
    F(u_hwpt_get_dirty_bitmap, iova, IN),
    F(u_hwpt_get_dirty_bitmap, length, IN),
    F(u_hwpt_get_dirty_bitmap, page_size, IN),
    FP(u_hwpt_get_dirty_bitmap, data, IN, "data", "length", SHIM_PL_BITMAP, 0, "page_size", 8,
       true),
};
static const struct shim_uapi_field f_invalidate[] = {
    F(u_hwpt_invalidate, size, SZ),
    F(u_hwpt_invalidate, hwpt_id, IN),
    FP(u_hwpt_invalidate, data_uptr, IN, "data", "entry_num", SHIM_PL_ELEMS, 0, "entry_len", 8,
       false),
    FS(u_hwpt_invalidate, data_type, IN, inv_data),
    F(u_hwpt_invalidate, entry_len, IN),
    F(u_hwpt_invalidate, entry_num, IN | OUT),
    F(u_hwpt_invalidate, __reserved, RSV),
};
static const struct shim_uapi_field f_fault[] = {
    F(u_fault_alloc, size, SZ),
    F(u_fault_alloc, flags, FLG),
    F(u_fault_alloc, out_fault_id, OUT),
    F(u_fault_alloc, out_fault_fd, OUT | SHIM_UF_SIGNED),
};
static const struct shim_uapi_field f_viommu[] = {
    F(u_viommu_alloc, size, SZ),
    F(u_viommu_alloc, flags, FLG),
    FS(u_viommu_alloc, type, IN, viommu_types),
    F(u_viommu_alloc, dev_id, IN),
    F(u_viommu_alloc, hwpt_id, IN),
    F(u_viommu_alloc, out_viommu_id, OUT),
    F(u_viommu_alloc, data_len, IN),
    F(u_viommu_alloc, __reserved, RSV),
    FP(u_viommu_alloc, data_uptr, IN, "data", "data_len", SHIM_PL_BYTES, 8, NULL, 8, false),
};
static const struct shim_uapi_field f_vdevice[] = {
    F(u_vdevice_alloc, size, SZ),    F(u_vdevice_alloc, viommu_id, IN),
    F(u_vdevice_alloc, dev_id, IN),  F(u_vdevice_alloc, out_vdevice_id, OUT),
    F(u_vdevice_alloc, virt_id, IN),
};
static const struct shim_uapi_field f_change[] = {
    F(u_ioas_change_process, size, SZ),
    F(u_ioas_change_process, __reserved, RSV),
};
static const struct shim_uapi_field f_veventq[] = {
    F(u_veventq_alloc, size, SZ),
    F(u_veventq_alloc, flags, FLG),
    F(u_veventq_alloc, viommu_id, IN),
    FS(u_veventq_alloc, type, IN, veventq_types),
    F(u_veventq_alloc, veventq_depth, IN),
    F(u_veventq_alloc, out_veventq_id, OUT),
    F(u_veventq_alloc, out_veventq_fd, OUT | SHIM_UF_SIGNED),
    F(u_veventq_alloc, __reserved, RSV),
};
static const struct shim_uapi_field f_hwq[] = {
    F(u_hw_queue_alloc, size, SZ),
    F(u_hw_queue_alloc, flags, FLG),
    F(u_hw_queue_alloc, viommu_id, IN),
    FS(u_hw_queue_alloc, type, IN, hwq_types),
    F(u_hw_queue_alloc, index, IN),
    F(u_hw_queue_alloc, out_hw_queue_id, OUT),
    F(u_hw_queue_alloc, nesting_parent_iova, IN),
    F(u_hw_queue_alloc, length, IN),
};
/* VFIO */
static const struct shim_uapi_field f_int_ext[] = {
    {"arg", 0, 8, 1, IN, vfio_ext, NULL, NULL, 0, 0, NULL, 0, false},
};
static const struct shim_uapi_field f_int_fd[] = {
    {"arg", 0, 4, 1, IN | SHIM_UF_SIGNED, NULL, NULL, NULL, 0, 0, NULL, 0, false},
};
static const struct shim_uapi_field f_str[] = {
    {"arg", 0, 8, 1, IN, NULL, NULL, NULL, 0, 0, NULL, 0, false},
};
static const struct shim_uapi_field f_status[] = {
    F(u_group_status, argsz, SZ),
    FS(u_group_status, flags, OUT | SHIM_UF_FLAGS, group_flags),
};
static const struct shim_uapi_field f_info[] = {
    F(u_iommu_type1_info, argsz, SZ | OUT),
    FS(u_iommu_type1_info, flags, OUT | SHIM_UF_FLAGS, info_flags),
    F(u_iommu_type1_info, iova_pgsizes, OUT),
    F(u_iommu_type1_info, cap_offset, OUT),
};
static const struct shim_uapi_field f_dma_map[] = {
    F(u_dma_map, argsz, SZ), FS(u_dma_map, flags, FLG, dma_map_flags),
    F(u_dma_map, vaddr, IN), F(u_dma_map, iova, IN),
    F(u_dma_map, size, IN),
};
static const struct shim_uapi_field f_dma_unmap[] = {
    F(u_dma_unmap, argsz, SZ),
    FS(u_dma_unmap, flags, FLG, dma_unmap_flags),
    F(u_dma_unmap, iova, IN),
    F(u_dma_unmap, size, IN | OUT),
};
static const struct shim_uapi_field f_bind[] = {
    F(u_bind_iommufd, argsz, SZ),
    FS(u_bind_iommufd, flags, FLG, bind_flags),
    F(u_bind_iommufd, iommufd, IN | SHIM_UF_SIGNED),
    F(u_bind_iommufd, out_devid, OUT),
    FP(u_bind_iommufd, token_uuid_ptr, IN, "token_uuid", NULL, SHIM_PL_NONE, 16, NULL, 8, false),
};
static const struct shim_uapi_field f_attach[] = {
    F(u_attach_pt, argsz, SZ),
    FS(u_attach_pt, flags, FLG, attach_flags),
    F(u_attach_pt, pt_id, IN | OUT),
    F(u_attach_pt, pasid, IN),
};
static const struct shim_uapi_field f_detach[] = {
    F(u_detach_pt, argsz, SZ),
    FS(u_detach_pt, flags, FLG, detach_flags),
    F(u_detach_pt, pasid, IN),
};
static const struct shim_uapi_field f_kvm_int[] = {
    {"arg", 0, 8, 1, IN, NULL, NULL, NULL, 0, 0, NULL, 0, false},
};
static const struct shim_uapi_field f_kvm_cap[] = {
    {"arg", 0, 8, 1, IN, kvm_caps, NULL, NULL, 0, 0, NULL, 0, false},
};
static const struct shim_uapi_field f_kvm_memreg[] = {
    F(u_kvm_userspace_memory_region, slot, IN),
    FS(u_kvm_userspace_memory_region, flags, FLG, kvm_mem_flags),
    F(u_kvm_userspace_memory_region, guest_phys_addr, IN),
    F(u_kvm_userspace_memory_region, memory_size, IN),
    F(u_kvm_userspace_memory_region, userspace_addr, IN),
};
static const struct shim_uapi_field f_kvm_memreg2[] = {
    F(u_kvm_userspace_memory_region2, slot, IN),
    FS(u_kvm_userspace_memory_region2, flags, FLG, kvm_mem_flags),
    F(u_kvm_userspace_memory_region2, guest_phys_addr, IN),
    F(u_kvm_userspace_memory_region2, memory_size, IN),
    F(u_kvm_userspace_memory_region2, userspace_addr, IN),
    F(u_kvm_userspace_memory_region2, guest_memfd_offset, IN),
    F(u_kvm_userspace_memory_region2, guest_memfd, IN),
};
static const struct shim_uapi_field f_hot_reset_info[] = {
    F(u_hot_reset, argsz, SZ),
    F(u_hot_reset, flags, OUT),
    F(u_hot_reset, count, IN | OUT),
};
static const struct shim_uapi_field f_hot_reset[] = {
    F(u_hot_reset, argsz, SZ),
    F(u_hot_reset, flags, IN),
    F(u_hot_reset, count, IN),
};
static const struct shim_uapi_field f_ioeventfd[] = {
    F(u_ioeventfd, argsz, SZ),
    F(u_ioeventfd, flags, IN),
    F(u_ioeventfd, offset, IN),
    F(u_ioeventfd, data, IN),
    F(u_ioeventfd, fd, IN | SHIM_UF_SIGNED),
};
static const struct shim_uapi_field f_kvm_vcpu_init[] = {
    F(u_kvm_vcpu_init, target, OUT),
    FA(u_kvm_vcpu_init, features, OUT),
};
static const struct shim_uapi_field f_kvm_vcpu_init_in[] = {
    F(u_kvm_vcpu_init, target, IN),
    FA(u_kvm_vcpu_init, features, IN),
};
static const struct shim_uapi_field f_device_info[] = {
    F(u_device_info, argsz, SZ | OUT),
    FS(u_device_info, flags, OUT | SHIM_UF_FLAGS, device_info_flags),
    F(u_device_info, num_regions, OUT),
    F(u_device_info, num_irqs, OUT),
    F(u_device_info, cap_offset, OUT),
};
static const struct shim_uapi_field f_region_info[] = {
    F(u_region_info, argsz, SZ | OUT),
    FS(u_region_info, flags, OUT | SHIM_UF_FLAGS, region_info_flags),
    F(u_region_info, index, IN),
    F(u_region_info, cap_offset, OUT),
    F(u_region_info, size, OUT),
    F(u_region_info, offset, OUT),
};
static const struct shim_uapi_field f_irq_info[] = {
    F(u_irq_info, argsz, SZ | OUT),
    FS(u_irq_info, flags, OUT | SHIM_UF_FLAGS, irq_info_flags),
    F(u_irq_info, index, IN),
    F(u_irq_info, count, OUT),
};
static const struct shim_uapi_field f_irq_set[] = {
    F(u_irq_set1, argsz, SZ),
    FS(u_irq_set1, flags, FLG, irq_set_flags),
    F(u_irq_set1, index, IN),
    F(u_irq_set1, start, IN),
    F(u_irq_set1, count, IN),
    F(u_irq_set1, data, IN | SHIM_UF_SIGNED),
};
static const struct shim_uapi_field f_device_feature[] = {
    F(u_device_feature, argsz, SZ),
    FS(u_device_feature, flags, FLG, device_feature_flags),
};
static const struct shim_uapi_field f_kvm_create_dev[] = {
    FS(u_kvm_create_device, type, IN, kvm_dev_types),
    F(u_kvm_create_device, fd, OUT | SHIM_UF_SIGNED),
    FS(u_kvm_create_device, flags, FLG, kvm_create_dev_flags),
};
/* `addr` points to an s32 (the VFIO fd): given inline as the fd itself. */
static const struct shim_uapi_field f_kvm_attr[] = {
    F(u_kvm_device_attr, flags, IN),
    FS(u_kvm_device_attr, group, IN, kvm_vfio_groups),
    FS(u_kvm_device_attr, attr, IN, kvm_vfio_attrs),
    F(u_kvm_device_attr, addr, IN | SHIM_UF_INT_PTR | SHIM_UF_SIGNED),
};

#define N(a) (uint32_t)(sizeof(a) / sizeof((a)[0]))
#define R(name, short_, num, node, st, last, f)                                                    \
	{                                                                                          \
		name, short_, num, node, SHIM_ARG_STRUCT, sizeof(struct st),                       \
		    U_OFFSETOFEND(struct st, last), f, N(f)                                        \
	}

static const struct shim_uapi_request reqs[] = {
    R("IOMMU_DESTROY", "DESTROY", IOMMU_DESTROY, "iommufd", u_destroy, id, f_destroy),
    R("IOMMU_IOAS_ALLOC", "IOAS_ALLOC", IOMMU_IOAS_ALLOC, "iommufd", u_ioas_alloc, out_ioas_id,
      f_ioas_alloc),
    R("IOMMU_IOAS_ALLOW_IOVAS", "IOAS_ALLOW_IOVAS", IOMMU_IOAS_ALLOW_IOVAS, "iommufd",
      u_ioas_allow_iovas, allowed_iovas, f_allow),
    R("IOMMU_IOAS_COPY", "IOAS_COPY", IOMMU_IOAS_COPY, "iommufd", u_ioas_copy, src_iova, f_copy),
    R("IOMMU_IOAS_IOVA_RANGES", "IOAS_IOVA_RANGES", IOMMU_IOAS_IOVA_RANGES, "iommufd",
      u_ioas_iova_ranges, out_iova_alignment, f_ranges),
    R("IOMMU_IOAS_MAP", "IOAS_MAP", IOMMU_IOAS_MAP, "iommufd", u_ioas_map, iova, f_map),
    R("IOMMU_IOAS_UNMAP", "IOAS_UNMAP", IOMMU_IOAS_UNMAP, "iommufd", u_ioas_unmap, length, f_unmap),
    R("IOMMU_OPTION", "OPTION", IOMMU_OPTION, "iommufd", u_option, val64, f_option),
    R("IOMMU_VFIO_IOAS", "VFIO_IOAS", IOMMU_VFIO_IOAS, "iommufd", u_vfio_ioas, __reserved,
      f_vfio_ioas),
    R("IOMMU_HWPT_ALLOC", "HWPT_ALLOC", IOMMU_HWPT_ALLOC, "iommufd", u_hwpt_alloc, __reserved,
      f_hwpt_alloc),
    R("IOMMU_GET_HW_INFO", "GET_HW_INFO", IOMMU_GET_HW_INFO, "iommufd", u_hw_info, __reserved,
      f_hw_info),
    R("IOMMU_HWPT_SET_DIRTY_TRACKING", "HWPT_SET_DIRTY_TRACKING", IOMMU_HWPT_SET_DIRTY_TRACKING,
      "iommufd", u_hwpt_set_dirty, __reserved, f_set_dirty),
    R("IOMMU_HWPT_GET_DIRTY_BITMAP", "HWPT_GET_DIRTY_BITMAP", IOMMU_HWPT_GET_DIRTY_BITMAP,
      "iommufd", u_hwpt_get_dirty_bitmap, data, f_get_dirty),
    R("IOMMU_HWPT_INVALIDATE", "HWPT_INVALIDATE", IOMMU_HWPT_INVALIDATE, "iommufd",
      u_hwpt_invalidate, __reserved, f_invalidate),
    R("IOMMU_FAULT_QUEUE_ALLOC", "FAULT_QUEUE_ALLOC", IOMMU_FAULT_QUEUE_ALLOC, "iommufd",
      u_fault_alloc, out_fault_fd, f_fault),
    R("IOMMU_IOAS_MAP_FILE", "IOAS_MAP_FILE", IOMMU_IOAS_MAP_FILE, "iommufd", u_ioas_map_file, iova,
      f_map_file),
    R("IOMMU_VIOMMU_ALLOC", "VIOMMU_ALLOC", IOMMU_VIOMMU_ALLOC, "iommufd", u_viommu_alloc,
      out_viommu_id, f_viommu),
    R("IOMMU_VDEVICE_ALLOC", "VDEVICE_ALLOC", IOMMU_VDEVICE_ALLOC, "iommufd", u_vdevice_alloc,
      virt_id, f_vdevice),
    R("IOMMU_IOAS_CHANGE_PROCESS", "IOAS_CHANGE_PROCESS", IOMMU_IOAS_CHANGE_PROCESS, "iommufd",
      u_ioas_change_process, __reserved, f_change),
    R("IOMMU_VEVENTQ_ALLOC", "VEVENTQ_ALLOC", IOMMU_VEVENTQ_ALLOC, "iommufd", u_veventq_alloc,
      out_veventq_fd, f_veventq),
    R("IOMMU_HW_QUEUE_ALLOC", "HW_QUEUE_ALLOC", IOMMU_HW_QUEUE_ALLOC, "iommufd", u_hw_queue_alloc,
      length, f_hwq),
    {"VFIO_GET_API_VERSION", "GET_API_VERSION", VFIO_GET_API_VERSION, "vfio-container|iommufd",
     SHIM_ARG_NONE, 0, 0, NULL, 0},
    {"VFIO_CHECK_EXTENSION", "CHECK_EXTENSION", VFIO_CHECK_EXTENSION, "vfio-container|iommufd",
     SHIM_ARG_INT, 0, 0, f_int_ext, N(f_int_ext)},
    {"VFIO_SET_IOMMU", "SET_IOMMU", VFIO_SET_IOMMU, "vfio-container|iommufd", SHIM_ARG_INT, 0, 0,
     f_int_ext, N(f_int_ext)},
    R("VFIO_GROUP_GET_STATUS", "GROUP_GET_STATUS", VFIO_GROUP_GET_STATUS, "vfio-group",
      u_group_status, flags, f_status),
    {"VFIO_GROUP_SET_CONTAINER", "GROUP_SET_CONTAINER", VFIO_GROUP_SET_CONTAINER, "vfio-group",
     SHIM_ARG_INT_PTR, 4, 4, f_int_fd, N(f_int_fd)},
    {"VFIO_GROUP_UNSET_CONTAINER", "GROUP_UNSET_CONTAINER", VFIO_GROUP_UNSET_CONTAINER,
     "vfio-group", SHIM_ARG_NONE, 0, 0, NULL, 0},
    {"VFIO_GROUP_GET_DEVICE_FD", "GROUP_GET_DEVICE_FD", VFIO_GROUP_GET_DEVICE_FD, "vfio-group",
     SHIM_ARG_STRING, 0, 0, f_str, N(f_str)},
    R("VFIO_IOMMU_GET_INFO", "IOMMU_GET_INFO", VFIO_IOMMU_GET_INFO, "vfio-container|iommufd",
      u_iommu_type1_info, iova_pgsizes, f_info),
    R("VFIO_IOMMU_MAP_DMA", "IOMMU_MAP_DMA", VFIO_IOMMU_MAP_DMA, "vfio-container|iommufd",
      u_dma_map, size, f_dma_map),
    R("VFIO_IOMMU_UNMAP_DMA", "IOMMU_UNMAP_DMA", VFIO_IOMMU_UNMAP_DMA, "vfio-container|iommufd",
      u_dma_unmap, size, f_dma_unmap),
    R("VFIO_DEVICE_BIND_IOMMUFD", "DEVICE_BIND_IOMMUFD", VFIO_DEVICE_BIND_IOMMUFD, "vfio-device",
      u_bind_iommufd, out_devid, f_bind),
    R("VFIO_DEVICE_ATTACH_IOMMUFD_PT", "DEVICE_ATTACH_IOMMUFD_PT", VFIO_DEVICE_ATTACH_IOMMUFD_PT,
      "vfio-device", u_attach_pt, pt_id, f_attach),
    R("VFIO_DEVICE_DETACH_IOMMUFD_PT", "DEVICE_DETACH_IOMMUFD_PT", VFIO_DEVICE_DETACH_IOMMUFD_PT,
      "vfio-device", u_detach_pt, flags, f_detach),
    /* GET_API_VERSION and CHECK_EXTENSION are VFIO's short names: KVM's
     * keep their prefix. */
    {"KVM_GET_API_VERSION", "KVM_GET_API_VERSION", KVM_GET_API_VERSION, "kvm", SHIM_ARG_INT, 0, 0,
     f_kvm_int, N(f_kvm_int)},
    {"KVM_CREATE_VM", "CREATE_VM", KVM_CREATE_VM, "kvm", SHIM_ARG_INT, 0, 0, f_kvm_int,
     N(f_kvm_int)},
    {"KVM_CHECK_EXTENSION", "KVM_CHECK_EXTENSION", KVM_CHECK_EXTENSION, "kvm|kvm-vm", SHIM_ARG_INT, 0,
     0, f_kvm_cap, N(f_kvm_cap)},
    {"KVM_CREATE_VCPU", "CREATE_VCPU", KVM_CREATE_VCPU, "kvm-vm", SHIM_ARG_INT, 0, 0, f_kvm_int,
     N(f_kvm_int)},
    R("KVM_SET_USER_MEMORY_REGION", "SET_USER_MEMORY_REGION", KVM_SET_USER_MEMORY_REGION,
      "kvm-vm", u_kvm_userspace_memory_region, userspace_addr, f_kvm_memreg),
    R("KVM_CREATE_DEVICE", "CREATE_DEVICE", KVM_CREATE_DEVICE, "kvm-vm", u_kvm_create_device,
      flags, f_kvm_create_dev),
    R("KVM_SET_DEVICE_ATTR", "SET_DEVICE_ATTR", KVM_SET_DEVICE_ATTR, "kvm-device|kvm-vm|kvm-vcpu",
      u_kvm_device_attr, addr, f_kvm_attr),
    R("KVM_GET_DEVICE_ATTR", "GET_DEVICE_ATTR", KVM_GET_DEVICE_ATTR, "kvm-device|kvm-vm|kvm-vcpu",
      u_kvm_device_attr, addr, f_kvm_attr),
    R("KVM_HAS_DEVICE_ATTR", "HAS_DEVICE_ATTR", KVM_HAS_DEVICE_ATTR, "kvm-device|kvm-vm|kvm-vcpu",
      u_kvm_device_attr, addr, f_kvm_attr),
    {"KVM_GET_VCPU_MMAP_SIZE", "GET_VCPU_MMAP_SIZE", KVM_GET_VCPU_MMAP_SIZE, "kvm", SHIM_ARG_INT,
     0, 0, f_kvm_int, N(f_kvm_int)},
    {"KVM_RUN", "RUN", KVM_RUN, "kvm-vcpu", SHIM_ARG_INT, 0, 0, f_kvm_int, N(f_kvm_int)},
    R("KVM_SET_USER_MEMORY_REGION2", "SET_USER_MEMORY_REGION2", KVM_SET_USER_MEMORY_REGION2,
      "kvm-vm", u_kvm_userspace_memory_region2, pad2, f_kvm_memreg2),
    R("KVM_ARM_PREFERRED_TARGET", "ARM_PREFERRED_TARGET", KVM_ARM_PREFERRED_TARGET, "kvm-vm",
      u_kvm_vcpu_init, features, f_kvm_vcpu_init),
    R("KVM_ARM_VCPU_INIT", "ARM_VCPU_INIT", KVM_ARM_VCPU_INIT, "kvm-vcpu", u_kvm_vcpu_init,
      features, f_kvm_vcpu_init_in),
    R("VFIO_DEVICE_GET_INFO", "DEVICE_GET_INFO", VFIO_DEVICE_GET_INFO, "vfio-device",
      u_device_info, num_irqs, f_device_info),
    R("VFIO_DEVICE_GET_REGION_INFO", "DEVICE_GET_REGION_INFO", VFIO_DEVICE_GET_REGION_INFO,
      "vfio-device", u_region_info, offset, f_region_info),
    R("VFIO_DEVICE_GET_IRQ_INFO", "DEVICE_GET_IRQ_INFO", VFIO_DEVICE_GET_IRQ_INFO, "vfio-device",
      u_irq_info, count, f_irq_info),
    {"VFIO_DEVICE_SET_IRQS", "DEVICE_SET_IRQS", VFIO_DEVICE_SET_IRQS, "vfio-device",
     SHIM_ARG_STRUCT, sizeof(struct u_irq_set1), sizeof(struct u_irq_set), f_irq_set,
     N(f_irq_set)},
    {"VFIO_DEVICE_RESET", "DEVICE_RESET", VFIO_DEVICE_RESET, "vfio-device", SHIM_ARG_NONE, 0, 0,
     NULL, 0},
    R("VFIO_DEVICE_GET_PCI_HOT_RESET_INFO", "DEVICE_GET_PCI_HOT_RESET_INFO",
      VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, "vfio-device", u_hot_reset, count, f_hot_reset_info),
    R("VFIO_DEVICE_PCI_HOT_RESET", "DEVICE_PCI_HOT_RESET", VFIO_DEVICE_PCI_HOT_RESET,
      "vfio-device", u_hot_reset, count, f_hot_reset),
    R("VFIO_DEVICE_IOEVENTFD", "DEVICE_IOEVENTFD", VFIO_DEVICE_IOEVENTFD, "vfio-device",
      u_ioeventfd, reserved, f_ioeventfd),
    R("VFIO_DEVICE_FEATURE", "DEVICE_FEATURE", VFIO_DEVICE_FEATURE, "vfio-device",
      u_device_feature, flags, f_device_feature),
};

const struct shim_uapi_request *shim_uapi_request_at(size_t i)
{
	return i < N(reqs) ? &reqs[i] : NULL;
}

const struct shim_uapi_request *shim_uapi_request_find(unsigned long req)
{
	for (size_t i = 0; i < N(reqs); i++)
		if (reqs[i].request == req)
			return &reqs[i];
	return NULL;
}

/* node is one of r's '|'-separated kinds */
static bool node_has(const char *nodes, const char *node)
{
	size_t n = strlen(node);
	for (const char *q = nodes; q && *q;) {
		const char *e = strchr(q, '|');
		size_t len = e ? (size_t)(e - q) : strlen(q);
		if (len == n && !strncmp(q, node, n))
			return true;
		q = e ? e + 1 : NULL;
	}
	return false;
}

const struct shim_uapi_request *shim_uapi_request_find_node(unsigned long req, const char *node)
{
	if (node)
		for (size_t i = 0; i < N(reqs); i++)
			if (reqs[i].request == req && node_has(reqs[i].node, node))
				return &reqs[i];
	return shim_uapi_request_find(req);
}

const struct shim_uapi_request *shim_uapi_request_by_name(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < N(reqs); i++)
		if (!strcmp(reqs[i].name, name) || !strcmp(reqs[i].short_name, name))
			return &reqs[i];
	return NULL;
}

const char *shim_request_name(unsigned long req)
{
	const struct shim_uapi_request *r = shim_uapi_request_find(req);
	return r ? r->name : NULL;
}

int shim_request_by_name(const char *name, unsigned long *req)
{
	const struct shim_uapi_request *r = shim_uapi_request_by_name(name);
	if (!r)
		return -1;
	if (req)
		*req = r->request;
	return 0;
}

const struct shim_uapi_field *shim_uapi_field_find(const struct shim_uapi_request *r,
                                                   const char *name)
{
	if (!r || !name)
		return NULL;
	for (uint32_t i = 0; i < r->nfields; i++) {
		const struct shim_uapi_field *f = &r->fields[i];
		if (!strcmp(f->name, name) || (f->payload && !strcmp(f->payload, name)))
			return f;
	}
	return NULL;
}

static int sym_one(const struct shim_uapi_field *f, const char *s, size_t n, uint64_t *v)
{
	if (!f->syms)
		return -1;
	for (const struct shim_uapi_sym *y = f->syms; y->name; y++)
		if ((strlen(y->name) == n && !strncmp(y->name, s, n)) ||
		    (strlen(y->short_name) == n && !strncmp(y->short_name, s, n))) {
			*v = y->value;
			return 0;
		}
	return -1;
}

int shim_uapi_sym_value(const struct shim_uapi_field *f, const char *text, uint64_t *v)
{
	if (!f || !text || !v || !*text)
		return -1;
	uint64_t acc = 0;
	const char *p = text;
	for (;;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		uint64_t one;
		if (sym_one(f, p, n, &one))
			return -1;
		acc |= one;
		if (!bar)
			break;
		if (!(f->flags & SHIM_UF_FLAGS))
			return -1;
		p = bar + 1;
	}
	*v = acc;
	return 0;
}
