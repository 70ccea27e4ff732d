/* SPDX-License-Identifier: MIT
 * Cluster config parser: the presets in examples/ (exact node, GPU and core counts), the
 * shape of literal and generated trees, defaults, every class of error with its code and
 * line, and robustness: every prefix and many byte-flipped variants of a valid config
 * must return cleanly (ASan/UBSan builds check that nothing leaks or overflows). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"

/* ---- helpers ---- */

static char *read_text(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    *len = n;
    return buf;
}

static char *read_example(const char *file, size_t *len) {
    const char *src = getenv("GT_SRC");
    char path[1024];
    snprintf(path, sizeof path, "%s/examples/%s", src ? src : ".", file);
    char *text = read_text(path, len);
    if (!text)
        fail_msg("cannot read %s (set GT_SRC to the source directory)", path);
    return text;
}

static gt_config *parse_example(const char *file) {
    size_t len;
    char *text = read_example(file, &len);
    gt_config *c = NULL;
    gt_error err = {0};
    gt_err e = gt_config_parse(text, len, file, &c, &err);
    char buf[512];
    if (e != GT_E_OK)
        fail_msg("%s: %s", file, gt_error_str(&err, buf, sizeof buf));
    free(text);
    assert_non_null(c);
    assert_int_equal(gt_topo_check(c->topo, &err), GT_E_OK);
    return c;
}

static gt_config *parse_ok(const char *text) {
    gt_config *c = NULL;
    gt_error err = {0};
    char buf[512];
    if (gt_config_parse(text, strlen(text), "t.yaml", &c, &err) != GT_E_OK)
        fail_msg("unexpected error: %s", gt_error_str(&err, buf, sizeof buf));
    assert_non_null(c);
    return c;
}

static uint32_t count_cpu_nodes(const gt_topo *t) {
    uint32_t n = 0;
    for (uint32_t v = 0; v < t->nv; v++)
        n += gt_topo_is_node(t, v) && t->n_gpus[v] == 0;
    return n;
}

static uint32_t find(const gt_topo *t, const char *name) {
    uint32_t v = gt_topo_find(t, name);
    if (v == GT_NONE)
        fail_msg("no vertex named '%s'", name);
    return v;
}

static const char *parent_name(const gt_topo *t, const char *name) {
    return gt_topo_name(t, t->parent[find(t, name)]);
}

static const char *level_of(const gt_topo *t, const char *name) {
    return t->level_names[t->level[find(t, name)]];
}

/* ---- presets ---- */

static void test_preset_small(void **state) {
    (void)state;
    gt_config *c = parse_example("fleet-small.yaml");
    const gt_topo *t = c->topo;
    assert_int_equal(t->nnodes, 24);
    assert_int_equal(t->gpus_total[0], 128);
    assert_int_equal(t->cpus_total[0], 8 * 96 + 4 * 96 + 4 * 64 + 8 * 32);
    assert_int_equal(count_cpu_nodes(t), 8);
    assert_int_equal(t->nmodels, 2);
    assert_int_equal(c->ntenants, 3);
    assert_string_equal(c->tenants[0].name, "research");
    assert_string_equal(c->tenants[1].name, "product");
    assert_string_equal(c->tenants[2].name, "batch");
    assert_int_equal(c->tenants[1].limit_gpus, 96);
    assert_true(c->tenants[2].share == 0.5);
    assert_int_equal(c->sched.backfill_depth, 100);
    assert_int_equal(c->sched.fairshare_halflife_ms, 86400LL * 1000);
    assert_string_equal(parent_name(t, "a100-n03"), "mixed-a100");
    assert_string_equal(parent_name(t, "small-b00-d01-n03"), "small-b00-d01");
    assert_string_equal(parent_name(t, "cpu-b00-n07"), "cpu-b00");
    assert_int_equal(t->gpus_total[find(t, "mixed")], 64);
    assert_int_equal(t->n_mem[find(t, "h100-0")], 1024LL * 1024);
    gt_config_free(c);
}

static void test_preset_nvl72(void **state) {
    (void)state;
    gt_config *c = parse_example("fleet-nvl72.yaml");
    assert_int_equal(c->topo->nnodes, 576);
    assert_int_equal(c->topo->gpus_total[0], 2304);
    assert_int_equal(c->topo->cpus_total[0], 576 * 72);
    assert_int_equal(c->topo->nchild[find(c->topo, "gb-b03-d07")], 18);
    assert_true(c->ntenants >= 3);
    gt_config_free(c);
}

static void test_preset_8gpu(void **state) {
    (void)state;
    gt_config *c = parse_example("fleet-8gpu.yaml");
    assert_int_equal(c->topo->nnodes, 64);
    assert_int_equal(c->topo->gpus_total[0], 512);
    assert_int_equal(c->topo->cpus_total[0], 64 * 96);
    assert_string_equal(level_of(c->topo, "h100-b03-d15"), "domain");
    assert_int_equal(c->topo->nchild[find(c->topo, "h100-b03-d15")], 1);
    gt_config_free(c);
}

static void test_preset_cpu(void **state) {
    (void)state;
    gt_config *c = parse_example("fleet-cpu.yaml");
    assert_int_equal(c->topo->nnodes, 1000);
    assert_int_equal(c->topo->gpus_total[0], 0);
    assert_int_equal(c->topo->cpus_total[0], 96000);
    assert_string_equal(parent_name(c->topo, "cpu-b03-n249"), "cpu-b03");
    assert_int_equal(c->sched.backfill_depth, 5000);
    gt_config_free(c);
}

static void test_preset_large(void **state) {
    (void)state;
    gt_config *c = parse_example("fleet-large.yaml");
    const gt_topo *t = c->topo;
    assert_int_equal(t->gpus_total[0], 504000);
    assert_int_equal(count_cpu_nodes(t), 100000);
    assert_int_equal(t->nnodes, 126000 + 100000);
    assert_int_equal(t->cpus_total[0], 126000LL * 72 + 100000LL * 96);
    assert_int_equal(t->nchild[find(t, "gpu-b217")], 32);
    assert_int_equal(t->nchild[find(t, "gpu-b218")], 24); /* the partial last block */
    assert_int_equal(gt_topo_find(t, "gpu-b218-d24"), GT_NONE);
    assert_int_equal(c->ntenants, 16);
    int64_t quota = 0;
    for (int i = 0; i < c->ntenants; i++)
        quota += c->tenants[i].quota_gpus;
    assert_int_equal(quota, 454000);
    gt_config_free(c);
}

/* ---- tree shape and defaults ---- */

static const char literal_yaml[] = "root: top\n"
                                   "fleet:\n"
                                   "  - name: b0\n"
                                   "    level: block\n"
                                   "    children:\n"
                                   "      - name: d0\n"
                                   "        level: domain\n"
                                   "        children:\n"
                                   "          - {name: n0, gpus: 8, gpu_model: H100, cpus: 96}\n"
                                   "          - {name: n1, level: node, cpus: 4, memory_gb: 2}\n"
                                   "      - {name: n2, cpus: 8}\n";

static void test_literal_tree(void **state) {
    (void)state;
    gt_config *c = parse_ok(literal_yaml);
    const gt_topo *t = c->topo;
    assert_string_equal(gt_topo_name(t, 0), "top");
    assert_int_equal(t->nnodes, 3);
    assert_int_equal(t->nv, 6);
    assert_string_equal(parent_name(t, "b0"), "top");
    assert_string_equal(parent_name(t, "d0"), "b0");
    assert_string_equal(parent_name(t, "n0"), "d0");
    assert_string_equal(parent_name(t, "n1"), "d0");
    assert_string_equal(parent_name(t, "n2"), "b0"); /* the domain level skipped */
    assert_string_equal(level_of(t, "b0"), "block");
    assert_string_equal(level_of(t, "d0"), "domain");
    assert_string_equal(level_of(t, "n2"), "node");
    assert_int_equal(t->nchild[find(t, "b0")], 2);
    assert_int_equal(t->gpus_total[0], 8);
    assert_int_equal(t->n_mem[find(t, "n1")], 2048);
    assert_int_equal(t->n_mem[find(t, "n0")], 0);
    gt_config_free(c);
}

static void test_defaults(void **state) {
    (void)state;
    gt_config *c = parse_ok("fleet: [{name: n0, cpus: 1}]\n");
    assert_string_equal(gt_topo_name(c->topo, 0), "cluster");
    assert_int_equal(c->topo->nlevels, 4);
    assert_string_equal(c->topo->level_names[1], "block");
    assert_true(c->slowdown[0] == 1.25); /* cluster */
    assert_true(c->slowdown[1] == 1.10); /* block */
    assert_true(c->slowdown[2] == 1.0);  /* domain */
    assert_true(c->slowdown[3] == 1.0);  /* node */
    assert_int_equal(c->ntenants, 0);
    gt_sched_conf d;
    gt_sched_conf_defaults(&d);
    assert_int_equal(d.backfill_depth, 1000);
    assert_int_equal(d.fairshare_halflife_ms, 7LL * 24 * 3600 * 1000);
    assert_int_equal(d.preempt_grace_ms, 30000);
    assert_int_equal(c->sched.backfill_depth, d.backfill_depth);
    assert_int_equal(c->sched.preempt_grace_ms, d.preempt_grace_ms);
    gt_config_free(c);
}

static void test_custom_levels(void **state) {
    (void)state;
    gt_config *c = parse_ok("levels: [site, row, rack, host]\n"
                            "root: dc1\n"
                            "slowdown: {rack: 1.5, site: 3}\n"
                            "tenants: [{name: a}, {name: b, share: 3, quota_gpus: 5}]\n"
                            "scheduler: {preempt_grace_s: 0}\n"
                            "fleet:\n"
                            "  - generate:\n"
                            "      prefix: x\n"
                            "      shape: {row: 2, host: 3}\n"
                            "      node: {gpus: 2, gpu_model: L4, cpus: 16}\n");
    const gt_topo *t = c->topo;
    assert_string_equal(t->level_names[3], "host");
    assert_int_equal(t->nnodes, 6);
    assert_string_equal(parent_name(t, "x-r01-h02"), "x-r01");
    assert_true(c->slowdown[0] == 3.0);
    assert_true(c->slowdown[1] == 1.0);
    assert_true(c->slowdown[2] == 1.5);
    assert_true(c->tenants[0].share == 1.0);
    assert_true(c->tenants[1].share == 3.0);
    assert_int_equal(c->tenants[1].quota_gpus, 5);
    assert_int_equal(c->sched.preempt_grace_ms, 0);
    assert_int_equal(c->sched.backfill_depth, 1000);
    gt_config_free(c);
}

/* ---- generate with limits ---- */

static void test_generate_limit(void **state) {
    (void)state;
    gt_config *c = parse_ok("fleet:\n"
                            "  - generate:\n"
                            "      prefix: g\n"
                            "      shape: {block: 3, domain: 4, node: 2}\n"
                            "      limit: {domain: 6}\n"
                            "      node: {cpus: 1}\n");
    const gt_topo *t = c->topo;
    assert_int_equal(t->nnodes, 12);
    assert_int_equal(t->nchild[find(t, "g-b00")], 4);
    assert_int_equal(t->nchild[find(t, "g-b01")], 2);
    assert_int_equal(gt_topo_find(t, "g-b01-d02"), GT_NONE);
    assert_int_equal(gt_topo_find(t, "g-b02"), GT_NONE); /* would be empty: not made */
    assert_int_equal(t->nchild[0], 2);
    gt_config_free(c);
}

static void test_generate_node_limit(void **state) {
    (void)state;
    gt_config *c = parse_ok("fleet:\n"
                            "  - generate:\n"
                            "      prefix: g\n"
                            "      shape: {block: 100, node: 4}\n"
                            "      limit: {node: 5}\n"
                            "      node: {cpus: 1}\n"
                            "  - {name: b9, level: block, children: [{generate: {prefix: in, "
                            "shape: {node: 3}, node: {cpus: 2}}}]}\n");
    const gt_topo *t = c->topo;
    assert_int_equal(t->nnodes, 5 + 3);
    assert_int_equal(t->nchild[find(t, "g-b01")], 1);
    assert_int_equal(gt_topo_find(t, "g-b02"), GT_NONE);
    assert_string_equal(parent_name(t, "in-n02"), "b9");
    assert_int_equal(t->cpus_total[find(t, "b9")], 6);
    gt_config_free(c);
}

/* ---- errors ---- */

typedef struct {
    const char *text;
    gt_err code;
    int line;
} bad_case;

static const bad_case bad_cases[] = {
    /* YAML syntax */
    {"fleet:\n  - {name: n0, cpus: 1\n", GT_E_PARSE, 3},
    {"fleet: [\n", GT_E_PARSE, 2},
    {"a: b\n  c: d\n", GT_E_PARSE, 2},
    {"fleet: []\n---\nfleet: []\n", GT_E_PARSE, 0},
    {"fleet: [{name: n0, cpus: 1}]\nfoo: *nope\n", GT_E_PARSE, 2},
    /* unknown keys */
    {"fleet: [{name: n0, cpus: 1}]\nfleat: 1\n", GT_E_UNKNOWN_FIELD, 2},
    {"fleet:\n  - {name: n0, cpus: 1, gpu: 2}\n", GT_E_UNKNOWN_FIELD, 2},
    {"scheduler: {backfill: 3}\nfleet: [{name: n0, cpus: 1}]\n", GT_E_UNKNOWN_FIELD, 1},
    {"tenants:\n - {name: a, quota: 3}\nfleet: [{name: n0, cpus: 1}]\n", GT_E_UNKNOWN_FIELD, 2},
    {"fleet:\n - generate: {prefix: g, shape: {node: 1}, node: {cpus: 1}}\n   name: x\n",
     GT_E_UNKNOWN_FIELD, 3},
    {"fleet:\n - generate: {prefix: g, shape: {node: 1}, node: {cpus: 1}, size: 3}\n",
     GT_E_UNKNOWN_FIELD, 2},
    /* wrong types */
    {"fleet: {name: n0}\n", GT_E_INVALID, 1},
    {"fleet:\n  - name: n0\n    cpus: [1]\n", GT_E_INVALID, 3},
    {"fleet:\n  - name: n0\n    cpus: many\n", GT_E_INVALID, 3},
    {"fleet:\n  - name: n0\n    cpus: \"4\"\n", GT_E_INVALID, 3},
    {"fleet:\n  - name: n0\n    cpus: 4.5\n", GT_E_INVALID, 3},
    {"fleet:\n  - name: n0\n    cpus: 0x10\n", GT_E_INVALID, 3},
    {"fleet:\n  - [n0]\n", GT_E_INVALID, 2},
    {"- a\n- b\n", GT_E_INVALID, 1},
    {"tenants: {name: a}\nfleet: [{name: n0, cpus: 1}]\n", GT_E_INVALID, 1},
    {"slowdown: {block: fast}\nfleet: [{name: n0, cpus: 1}]\n", GT_E_INVALID, 1},
    {"fleet:\n  - {name: 'a b', cpus: 1}\n", GT_E_INVALID, 2},
    {"fleet:\n  - {name: \"\", cpus: 1}\n", GT_E_INVALID, 2},
    /* ranges */
    {"fleet:\n  - name: n0\n    cpus: 4\n    gpus: -1\n", GT_E_RANGE, 4},
    {"fleet:\n  - name: n0\n    cpus: 4\n    gpus: 33\n    gpu_model: X\n", GT_E_RANGE, 4},
    {"fleet:\n  - name: n0\n    cpus: 99999999999999999999999\n", GT_E_RANGE, 3},
    {"fleet:\n  - name: n0\n    cpus: 0\n", GT_E_RANGE, 3},
    {"fleet:\n  - {name: n0, cpus: 1, memory_gb: -5}\n", GT_E_RANGE, 2},
    {"tenants:\n  - {name: a, share: 0}\nfleet: [{name: n0, cpus: 1}]\n", GT_E_RANGE, 2},
    {"tenants:\n  - {name: a, quota_gpus: -2}\nfleet: [{name: n0, cpus: 1}]\n", GT_E_RANGE, 2},
    {"slowdown: {block: 0.5}\nfleet: [{name: n0, cpus: 1}]\n", GT_E_RANGE, 1},
    {"slowdown:\n  block: 1e999\nfleet: [{name: n0, cpus: 1}]\n", GT_E_RANGE, 2},
    {"scheduler:\n  fairshare_halflife_s: 0\nfleet: [{name: n0, cpus: 1}]\n", GT_E_RANGE, 2},
    {"levels: [a]\nfleet: [{name: n0, cpus: 1}]\n", GT_E_RANGE, 1},
    /* missing and inconsistent values */
    {"fleet:\n  - {name: n0, gpus: 8, gpu_model: H100}\n", GT_E_INVALID, 2},
    {"fleet:\n  - {name: n0, gpus: 8, cpus: 8}\n", GT_E_INVALID, 2},
    {"fleet:\n  - {name: n0, cpus: 8, gpu_model: H100}\n", GT_E_INVALID, 2},
    {"fleet:\n  - {cpus: 8}\n", GT_E_INVALID, 2},
    {"root: r\n", GT_E_INVALID, 1},
    {"", GT_E_INVALID, 0},
    {"fleet: []\n", GT_E_INVALID, 1},
    {"fleet:\n", GT_E_INVALID, 1},
    {"fleet:\n  - {name: b0, level: block}\n", GT_E_INVALID, 2},
    {"fleet:\n  - {name: b0, level: block, children: []}\n", GT_E_INVALID, 2},
    {"fleet:\n  - {name: b0, level: block, cpus: 3, children: [{name: n, cpus: 1}]}\n",
     GT_E_INVALID, 2},
    {"fleet:\n  - {name: n0, cpus: 1, children: [{name: n1, cpus: 1}]}\n", GT_E_INVALID, 2},
    {"tenants:\n  - {name: a, quota_gpus: 9, limit_gpus: 3}\nfleet: [{name: n, cpus: 1}]\n",
     GT_E_INVALID, 2},
    /* duplicates */
    {"fleet:\n  - {name: n0, cpus: 1}\n  - {name: n0, cpus: 2}\n", GT_E_EXISTS, 3},
    {"fleet:\n  - {name: cluster, cpus: 1}\n", GT_E_EXISTS, 2},
    {"tenants:\n  - {name: a}\n  - {name: a}\nfleet: [{name: n, cpus: 1}]\n", GT_E_EXISTS, 3},
    {"fleet:\n  - {name: n0, cpus: 1, cpus: 2}\n", GT_E_INVALID, 2},
    {"fleet:\n  - generate: {prefix: g, shape: {node: 2}, node: {cpus: 1}}\n"
     "  - generate: {prefix: g, shape: {node: 2}, node: {cpus: 1}}\n",
     GT_E_EXISTS, 0},
    {"levels: [a, b, a]\nfleet: [{name: n0, cpus: 1}]\n", GT_E_INVALID, 1},
    /* levels */
    {"slowdown: {rack: 1.2}\nfleet: [{name: n0, cpus: 1}]\n", GT_E_INVALID, 1},
    {"fleet:\n  - name: d0\n    level: domain\n    children:\n      - name: b0\n"
     "        level: block\n        children: [{name: n0, cpus: 1}]\n",
     GT_E_INVALID, 6},
    {"fleet:\n  - name: x\n    level: cluster\n    children: [{name: n0, cpus: 1}]\n", GT_E_INVALID,
     3},
    {"fleet:\n  - {name: x, level: rack, children: [{name: n0, cpus: 1}]}\n", GT_E_INVALID, 2},
    {"fleet:\n  - generate:\n      prefix: g\n      shape: {domain: 2, block: 2, node: 1}\n"
     "      node: {cpus: 1}\n",
     GT_E_INVALID, 4},
    {"fleet:\n  - generate:\n      prefix: g\n      shape: {block: 2}\n      node: {cpus: 1}\n",
     GT_E_INVALID, 4},
    {"fleet:\n  - generate:\n      prefix: g\n      shape: {node: 2}\n      limit: {block: 1}\n"
     "      node: {cpus: 1}\n",
     GT_E_INVALID, 5},
    {"fleet:\n  - generate:\n      prefix: g\n      shape: {node: 0}\n      node: {cpus: 1}\n",
     GT_E_RANGE, 4},
    /* limits */
    {"fleet:\n  - generate:\n      prefix: g\n      shape: {block: 2000, domain: 2000, node: "
     "2000}\n      node: {cpus: 1}\n",
     GT_E_LIMIT, 3},
    {"fleet:\n  - generate:\n      prefix: g\n      shape: {block: 3000000, node: 3000000}\n"
     "      limit: {block: 3000000}\n      node: {cpus: 1}\n",
     GT_E_LIMIT, 3},
    {"fleet:\n  - generate:\n      prefix: g\n      shape: {node: 99999999999}\n"
     "      node: {cpus: 1}\n",
     GT_E_RANGE, 4},
    /* aliases may not repeat fleet items */
    {"fleet:\n  - &a {name: n0, cpus: 1}\n  - *a\n", GT_E_INVALID, 2},
    {"fleet:\n  - &a {name: b0, level: block, children: [*a]}\n", GT_E_INVALID, 2},
};

static void check_bad(const bad_case *bc) {
    gt_config *c = (gt_config *)1;
    gt_error err = {0};
    char buf[512], want[32];
    gt_err e = gt_config_parse(bc->text, strlen(bc->text), "t.yaml", &c, &err);
    gt_error_str(&err, buf, sizeof buf);
    if (e != bc->code || c != NULL)
        fail_msg("input:\n%s\nwant code %s, got %s: %s", bc->text, gt_err_name(bc->code),
                 gt_err_name(e), buf);
    assert_int_equal(err.code, bc->code);
    assert_true(strlen(err.msg) > 0);
    if (bc->line > 0)
        snprintf(want, sizeof want, "t.yaml:%d:", bc->line);
    else
        snprintf(want, sizeof want, "t.yaml");
    if (!strstr(buf, want))
        fail_msg("input:\n%s\nwant location '%s' in: %s", bc->text, want, buf);
}

static void test_errors(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++)
        check_bad(&bad_cases[i]);
}

static void test_error_messages(void **state) {
    (void)state;
    gt_config *c;
    gt_error err = {0};
    char buf[512];
    const char *t1 = "fleet:\n  - name: n0\n    cpus: 4\n    gpus: -1\n";
    assert_int_equal(gt_config_parse(t1, strlen(t1), "f.yaml", &c, &err), GT_E_RANGE);
    gt_error_str(&err, buf, sizeof buf);
    assert_non_null(strstr(buf, "f.yaml:4:11"));
    assert_non_null(strstr(buf, "gpus"));
    assert_non_null(strstr(buf, "0 to 32"));
    const char *t2 = "fleet:\n  - {name: n0, cpus: 1, colour: red}\n";
    assert_int_equal(gt_config_parse(t2, strlen(t2), "f.yaml", &c, &err), GT_E_UNKNOWN_FIELD);
    gt_error_str(&err, buf, sizeof buf);
    assert_non_null(strstr(buf, "'colour'"));
    assert_non_null(strstr(buf, "memory_gb"));
    const char *t3 = "fleet:\n  - {name: n0, cpus: 1}\n  - {name: n0, cpus: 1}\n";
    assert_int_equal(gt_config_parse(t3, strlen(t3), "f.yaml", &c, &err), GT_E_EXISTS);
    gt_error_str(&err, buf, sizeof buf);
    assert_non_null(strstr(buf, "first used at line 2"));
    assert_null(c);
}

static void test_too_many_tenants(void **state) {
    (void)state;
    size_t cap = (GT_MAX_TENANTS + 2) * 32 + 64, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    len += (size_t)snprintf(text + len, cap - len, "tenants:\n");
    for (int i = 0; i <= GT_MAX_TENANTS; i++)
        len += (size_t)snprintf(text + len, cap - len, "  - {name: t%d}\n", i);
    len += (size_t)snprintf(text + len, cap - len, "fleet: [{name: n, cpus: 1}]\n");
    gt_config *c;
    gt_error err = {0};
    assert_int_equal(gt_config_parse(text, len, "t.yaml", &c, &err), GT_E_LIMIT);
    assert_null(c);
    assert_non_null(strstr(err.where, "t.yaml:2:"));
    free(text);
}

/* An error from the topology builder (here: more GPU models than it can track) comes back
 * with the line of the vertex that caused it. */
static void test_too_many_models(void **state) {
    (void)state;
    char text[4096];
    size_t len = (size_t)snprintf(text, sizeof text, "fleet:\n");
    for (int i = 0; i <= GT_MAX_MODELS; i++)
        len += (size_t)snprintf(text + len, sizeof text - len,
                                "  - {name: n%d, gpus: 1, gpu_model: M%d, cpus: 1}\n", i, i);
    gt_config *c;
    gt_error err = {0};
    assert_int_equal(gt_config_parse(text, len, "t.yaml", &c, &err), GT_E_LIMIT);
    assert_null(c);
    char want[32];
    snprintf(want, sizeof want, "t.yaml:%d:", GT_MAX_MODELS + 2);
    assert_non_null(strstr(err.where, want));
    assert_non_null(strstr(err.msg, "gpu_model"));
}

/* ---- robustness ---- */

/* Parse text and check the contract: success gives a config, failure none plus a
 * message. Returns the code. */
static gt_err parse_any(const char *text, size_t len) {
    gt_config *c = (gt_config *)1;
    gt_error err = {0};
    gt_err e = gt_config_parse(text, len, "fuzz.yaml", &c, &err);
    if (e == GT_E_OK) {
        assert_non_null(c);
        assert_true(c->topo->finalized);
    } else {
        assert_null(c);
        assert_true(err.code == e && err.msg[0] != '\0');
    }
    gt_config_free(c);
    return e;
}

static void test_prefixes(void **state) {
    (void)state;
    size_t len;
    char *text = read_example("fleet-small.yaml", &len);
    int ok = 0;
    for (size_t n = 0; n <= len; n++) {
        char *copy = malloc(n ? n : 1); /* exact size: ASan catches any over-read */
        memcpy(copy, text, n);
        ok += parse_any(copy, n) == GT_E_OK;
        free(copy);
    }
    assert_true(ok >= 1); /* at least the whole document parses */
    assert_true(ok < (int)len);
    free(text);
}

static void test_byte_flips(void **state) {
    (void)state;
    static const char repl[] = "\0\n\t {}[]:,-&*!|>'\"#%@`?x9.";
    size_t len;
    char *text = read_example("fleet-small.yaml", &len);
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    int failed = 0;
    for (int round = 0; round < 4000; round++) {
        char *copy = malloc(len);
        memcpy(copy, text, len);
        for (int k = 0; k < 1 + round % 3; k++) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t at = (size_t)(rng >> 33) % len;
            copy[at] = (round & 1) ? repl[(rng >> 20) % (sizeof repl - 1)]
                                   : (char)(copy[at] ^ (1 << ((rng >> 12) % 8)));
        }
        failed += parse_any(copy, len) != GT_E_OK;
        free(copy);
    }
    assert_true(failed > 0);
    free(text);
}

static void test_hostile_documents(void **state) {
    (void)state;
    /* Alias fan-out (billion laughs), deep nesting, recursion through aliases, NULs. */
    const char *laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                         "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                         "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                         "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                         "fleet: [*d, *d, *d, *d]\n";
    assert_int_equal(parse_any(laughs, strlen(laughs)), GT_E_UNKNOWN_FIELD);
    const char *fanout = "fleet:\n  - &g {generate: {prefix: g, shape: {node: 2}, "
                         "node: {cpus: 1}}}\n  - *g\n  - *g\n";
    assert_int_equal(parse_any(fanout, strlen(fanout)), GT_E_INVALID);
    const char *selfref = "fleet: &f [{name: b, level: block, children: *f}]\n";
    assert_int_equal(parse_any(selfref, strlen(selfref)), GT_E_INVALID);
    size_t deep = 200000;
    char *nest = malloc(2 * deep + 16);
    memcpy(nest, "fleet: ", 7);
    memset(nest + 7, '[', deep);
    memset(nest + 7 + deep, ']', deep);
    assert_int_equal(parse_any(nest, 7 + 2 * deep), GT_E_LIMIT);
    free(nest);
    const char nul[] = "fleet: [{name: n\0, cpus: 1}]\n";
    assert_int_not_equal(parse_any(nul, sizeof nul - 1), GT_E_OK);
    const char esc[] = "fleet: [{name: \"n\\0x\", cpus: 1}]\n";
    assert_int_equal(parse_any(esc, sizeof esc - 1), GT_E_INVALID);
    assert_int_equal(parse_any(NULL, 0), GT_E_INVALID);
    assert_int_equal(parse_any("\xff\xfe\x00", 3), GT_E_PARSE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preset_small),
        cmocka_unit_test(test_preset_nvl72),
        cmocka_unit_test(test_preset_8gpu),
        cmocka_unit_test(test_preset_cpu),
        cmocka_unit_test(test_preset_large),
        cmocka_unit_test(test_literal_tree),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_custom_levels),
        cmocka_unit_test(test_generate_limit),
        cmocka_unit_test(test_generate_node_limit),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_error_messages),
        cmocka_unit_test(test_too_many_tenants),
        cmocka_unit_test(test_too_many_models),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_byte_flips),
        cmocka_unit_test(test_hostile_documents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
