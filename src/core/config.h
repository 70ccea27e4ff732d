/* SPDX-License-Identifier: MIT
 * The cluster config (YAML, see docs/cluster-config.md): the fleet, listed literally and/or
 * generated from a few numbers, the tenants with their quotas and shares, the runtime
 * slowdown per span level, and scheduler settings. Parsed from memory (the caller reads
 * the file), so the core stays free of I/O. A section that belongs to one program
 * (gantryd's `server:`) is the program's to read: it declares the section's keys
 * (gt_cfg_section) and the parser reads them as strictly as its own; without that
 * declaration the section is accepted unread (the simulator's case). */
#ifndef GT_CORE_CONFIG_H
#define GT_CORE_CONFIG_H

#include <stddef.h>

#include "core/jobspec.h"
#include "core/topo.h"

typedef struct {
    char name[48];
    int64_t quota_gpus; /* guaranteed GPUs; 0: none */
    int64_t limit_gpus; /* hard cap on GPUs held; 0: no cap */
    double share;       /* fair-share weight, > 0; default 1 */
} gt_tenant_conf;

typedef struct {
    int backfill_depth;            /* most queued jobs examined per pass; default 1000 */
    gt_time fairshare_halflife_ms; /* usage half-life; default 7 days */
    gt_time preempt_grace_ms;      /* SIGTERM -> SIGKILL grace; default 30 s */
    gt_time preempt_exempt_ms;     /* running work younger than this is no victim; 15 min */
    int max_starts_per_pass;       /* most decisions a pass makes (0: no limit); default 2,000 */
} gt_sched_conf;

#define GT_MAX_TENANTS 1024

typedef struct {
    gt_topo *topo;           /* owned, finalized */
    gt_tenant_conf *tenants; /* owned */
    int ntenants;
    /* Runtime factor for a gang whose span is level l (index into topo->level_names).
     * Defaults: node 1.0, domain 1.0, block 1.10, cluster 1.25 (docs/simulator.md);
     * levels with other names default to 1.0. */
    double slowdown[GT_MAX_LEVELS];
    gt_sched_conf sched;
} gt_config;

/* One key of a program's section: a plain scalar. */
typedef enum {
    GT_CFG_INT,  /* an integer in [min, max] -> int64_t */
    GT_CFG_NAME, /* text without blanks, shorter than max bytes -> char[max] */
} gt_cfg_kind;

typedef struct {
    const char *key;
    gt_cfg_kind kind;
    int64_t min, max; /* GT_CFG_INT: the range (|x| < 2^53); GT_CFG_NAME: max is the size */
    size_t off;       /* where the value goes in the section's struct */
} gt_cfg_key;

#define GT_CFG_SECTION_MAX_KEYS 32

/* A top-level section that a program reads (gantryd: "server"). */
typedef struct {
    const char *name; /* the top-level key; the core reserves "server" for gantryd */
    const gt_cfg_key *keys;
    int nkeys; /* at most GT_CFG_SECTION_MAX_KEYS */
    void *dst; /* the program's struct, holding its defaults; the keys given overwrite them
                  (partly written on error) */
    /* Checks across keys once the section is read (NULL: none): returns NULL when dst is
     * fine, else the key to blame, with the message in why; the error (GT_E_RANGE) points
     * at that key's value, or at the section when the key is absent. */
    const char *(*check)(const void *dst, char *why, size_t size);
} gt_cfg_section;

/* Parse YAML text; `name` is used in error locations ("fleet.yaml:12:3: ..."). On success
 * *out is a new config the caller frees with gt_config_free. On error *out is NULL. */
gt_err gt_config_parse(const char *text, size_t len, const char *name, gt_config **out,
                       gt_error *err);
/* gt_config_parse, also reading the programs' sections listed (when present in the text)
 * into their dst. An unknown key, a bad value or a failed check is an error located at
 * file:line:column like any other. */
gt_err gt_config_parse_sections(const char *text, size_t len, const char *name,
                                const gt_cfg_section *sections, int nsections, gt_config **out,
                                gt_error *err);
void gt_config_free(gt_config *c);
void gt_sched_conf_defaults(gt_sched_conf *s);

#endif
