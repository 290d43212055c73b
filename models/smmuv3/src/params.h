/*
 * params.h - whole-configuration validation, internal to models/smmuv3.
 *
 * smmu_config_set() (smmu.h) checks one named parameter at a time: its range
 * and, for a cache, that its geometry stays usable. Rules that tie several
 * parameters together (hyp needs both stages, SIDSIZE >= 7 needs 2-level
 * stream tables ...) cannot be checked one key at a time without making the
 * order of `smmu` trace keys matter, so they are checked here, once, on the
 * finished configuration. smmu_create() calls this before building anything.
 */
#ifndef SMMU_PARAMS_H
#define SMMU_PARAMS_H

#include <stddef.h>

#include "smmu/smmu.h"

/*
 * Validate a whole configuration: cfg->size, every parameter's range (as
 * smmu_config_set would), every cache's geometry, and the cross-parameter
 * rules of IHI 0070 plus what this model does not implement (AArch32-only
 * tables, stalling). Returns SMMU_OK, or SMMU_ERR_INVAL with the first
 * problem found written to err (NUL-terminated, truncated to len; err may be
 * NULL). Never modifies cfg.
 */
int smmu_config_check(const struct smmu_config *cfg, char *err, size_t len);

#endif
