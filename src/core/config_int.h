/* SPDX-License-Identifier: MIT
 * Internal to the config parser (config.c, config_yaml.c): the parser's state and the
 * helpers that read a libyaml document strictly -- typed scalars, key tables, errors that
 * name the file, line and column. Not a public header. */
#ifndef GT_CORE_CONFIG_INT_H
#define GT_CORE_CONFIG_INT_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "core/config.h"

#ifndef CFG_MAX_VERTICES /* fuzz builds lower it so huge fleets do not time out */
#define CFG_MAX_VERTICES 4000000
#endif
#define CFG_NAME_MAX 64   /* vertex names, with the NUL */
#define CFG_PREFIX_MAX 33 /* generate prefixes, with the NUL */
#define CFG_LEVEL_MAX 24  /* level names, with the NUL (topo's level_names) */
#define CFG_MAX_GPUS_CONF 1000000000LL
#define CFG_MAX_DEPTH 64 /* YAML collections nested deeper are refused */

/* ---- parser state ---- */

typedef struct {
    const char *name;      /* the vertex name (owned by the document or by the context) */
    const yaml_node_t *at; /* where it was written; NULL for a default root name */
} name_ent;

typedef struct {
    name_ent *tab;
    uint32_t cap, n;
} name_set;

typedef struct {
    const char *file;
    gt_error *err;
    yaml_document_t doc;
    gt_config *cfg;
    int nlevels;
    char levels[GT_MAX_LEVELS][CFG_LEVEL_MAX];
    char root[CFG_NAME_MAX];
    uint8_t *used;  /* per document node: already consumed as a fleet item (invariant 1) */
    uint64_t nvert; /* vertices added so far, the root included */
    name_set names; /* literal names, for duplicate errors with a line number */
    const gt_cfg_section *sections; /* the programs' sections to read (gt_config_parse_sections) */
    int nsections;
} cfg_ctx;

/* ---- field tables ---- */

typedef enum { F_ANY, F_INT, F_REAL, F_NAME } field_kind;

/* One key of a mapping. F_ANY only records the value node; the others also convert it
 * into the destination struct at `off` (F_NAME: a char array of max bytes). */
typedef struct {
    const char *key;
    field_kind kind;
    int required;
    double min, max;
    size_t off;
} field;

/* Fail with the location of node n (or just the file name when n is NULL). */
__attribute__((format(printf, 4, 5))) gt_err core_cfg_fail_at(cfg_ctx *c, const yaml_node_t *n,
                                                              gt_err code, const char *fmt, ...);
/* Forward an error from the topology builder, located at node n. */
gt_err core_cfg_forward(cfg_ctx *c, const yaml_node_t *n, const gt_error *te);
yaml_node_t *core_cfg_node_at(cfg_ctx *c, int id);
gt_err core_cfg_expect_type(cfg_ctx *c, const yaml_node_t *n, yaml_node_type_t type,
                            const char *what);
const char *core_cfg_scalar_text(const yaml_node_t *n);
size_t core_cfg_seq_len(const yaml_node_t *n);
gt_err core_cfg_scalar_int(cfg_ctx *c, const yaml_node_t *n, const char *key, int64_t min,
                           int64_t max, int64_t *out);
gt_err core_cfg_scalar_real(cfg_ctx *c, const yaml_node_t *n, const char *key, double min,
                            double max, double *out);
gt_err core_cfg_scalar_name(cfg_ctx *c, const yaml_node_t *n, const char *key, size_t size,
                            char *out);
/* Match the keys of mapping `map` against table f: vals[i] gets the value node of f[i]
 * (NULL when absent). Unknown, duplicate and missing required keys are errors. */
gt_err core_cfg_map_keys(cfg_ctx *c, const yaml_node_t *map, const char *what, const field *f,
                         int n, yaml_node_t **vals);
/* core_cfg_map_keys, then convert every typed field into dst. */
gt_err core_cfg_map_fields(cfg_ctx *c, const yaml_node_t *map, const char *what, const field *f,
                           int n, void *dst, yaml_node_t **vals);

#endif
