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

/* smmu_config_check() is declared in smmu.h. */

#endif
