/* SPDX-License-Identifier: MIT
 * Reading a libyaml document strictly (see config_int.h): typed scalars that reject quotes,
 * junk and overflow; key tables that reject unknown, duplicate and missing keys; every
 * error located as FILE:LINE:COL. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config_int.h"

/* ---- errors ---- */

static void where_of(const cfg_ctx *c, const yaml_node_t *n, char *buf, size_t len) {
    if (n)
        snprintf(buf, len, "%s:%zu:%zu", c->file, (size_t)n->start_mark.line + 1,
                 (size_t)n->start_mark.column + 1);
    else
        snprintf(buf, len, "%s", c->file);
}

/* Fail with the location of node n (or just the file name when n is NULL). */
gt_err core_cfg_fail_at(cfg_ctx *c, const yaml_node_t *n, gt_err code, const char *fmt, ...) {
    char where[128], msg[256];
    where_of(c, n, where, sizeof where);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gt_fail(c->err, code, where, "%s", msg);
}

/* Forward an error from the topology builder, located at node n. */
gt_err core_cfg_forward(cfg_ctx *c, const yaml_node_t *n, const gt_error *te) {
    if (te->where[0])
        return core_cfg_fail_at(c, n, te->code, "%s: %s", te->where, te->msg);
    return core_cfg_fail_at(c, n, te->code, "%s", te->msg);
}

/* ---- document access ---- */

yaml_node_t *core_cfg_node_at(cfg_ctx *c, int id) {
    return yaml_document_get_node(&c->doc, id);
}

static const char *type_name(const yaml_node_t *n) {
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return "a scalar";
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_MAPPING_NODE:
        return "a mapping";
    default:
        return "nothing";
    }
}

gt_err core_cfg_expect_type(cfg_ctx *c, const yaml_node_t *n, yaml_node_type_t type,
                            const char *what) {
    if (n->type == type)
        return GT_E_OK;
    const char *want = type == YAML_MAPPING_NODE    ? "a mapping"
                       : type == YAML_SEQUENCE_NODE ? "a list"
                                                    : "a scalar";
    return core_cfg_fail_at(c, n, GT_E_INVALID, "%s: expected %s, got %s", what, want,
                            type_name(n));
}

const char *core_cfg_scalar_text(const yaml_node_t *n) {
    return (const char *)n->data.scalar.value;
}

size_t core_cfg_seq_len(const yaml_node_t *n) {
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

/* ---- scalars ---- */

/* A scalar written plainly (not quoted) with no NUL inside: numbers must look like this. */
static gt_err plain_scalar(cfg_ctx *c, const yaml_node_t *n, const char *key, const char *want,
                           const char **out) {
    gt_err e = core_cfg_expect_type(c, n, YAML_SCALAR_NODE, key);
    if (e)
        return e;
    const char *s = core_cfg_scalar_text(n);
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || strlen(s) != n->data.scalar.length)
        return core_cfg_fail_at(c, n, GT_E_INVALID, "%s: expected %s, got a quoted string", key,
                                want);
    *out = s;
    return GT_E_OK;
}

static int is_int_text(const char *s) {
    if (*s == '-' || *s == '+')
        s++;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static int is_real_text(const char *s) {
    int digits = 0;
    for (; *s; s++) {
        if (*s >= '0' && *s <= '9')
            digits++;
        else if (!strchr("+-.eE", *s))
            return 0;
    }
    return digits > 0;
}

gt_err core_cfg_scalar_int(cfg_ctx *c, const yaml_node_t *n, const char *key, int64_t min,
                           int64_t max, int64_t *out) {
    const char *s = NULL;
    gt_err e = plain_scalar(c, n, key, "an integer", &s);
    if (e)
        return e;
    if (!is_int_text(s))
        return core_cfg_fail_at(c, n, GT_E_INVALID, "%s: expected an integer, got '%.40s'", key, s);
    errno = 0;
    char *end;
    long long x = strtoll(s, &end, 10);
    if (errno == ERANGE || *end || x < min || x > max)
        return core_cfg_fail_at(c, n, GT_E_RANGE,
                                "%s: expected an integer from %lld to %lld, got '%.40s'", key,
                                (long long)min, (long long)max, s);
    *out = x;
    return GT_E_OK;
}

gt_err core_cfg_scalar_real(cfg_ctx *c, const yaml_node_t *n, const char *key, double min,
                            double max, double *out) {
    const char *s = NULL;
    gt_err e = plain_scalar(c, n, key, "a number", &s);
    if (e)
        return e;
    if (!is_real_text(s))
        return core_cfg_fail_at(c, n, GT_E_INVALID, "%s: expected a number, got '%.40s'", key, s);
    errno = 0;
    char *end;
    double x = strtod(s, &end);
    if (*end)
        return core_cfg_fail_at(c, n, GT_E_INVALID, "%s: expected a number, got '%.40s'", key, s);
    if (errno == ERANGE || !isfinite(x) || x < min || x > max)
        return core_cfg_fail_at(
            c, n, GT_E_RANGE, "%s: expected a number from %g to %g, got '%.40s'", key, min, max, s);
    *out = x;
    return GT_E_OK;
}

/* A name-like string: 1..size-1 bytes, no spaces or control characters. */
gt_err core_cfg_scalar_name(cfg_ctx *c, const yaml_node_t *n, const char *key, size_t size,
                            char *out) {
    gt_err e = core_cfg_expect_type(c, n, YAML_SCALAR_NODE, key);
    if (e)
        return e;
    const char *s = core_cfg_scalar_text(n);
    size_t len = n->data.scalar.length;
    if (len == 0 || len >= size || strlen(s) != len)
        return core_cfg_fail_at(c, n, GT_E_INVALID, "%s: expected a name of 1 to %zu characters",
                                key, size - 1);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
            return core_cfg_fail_at(c, n, GT_E_INVALID,
                                    "%s: '%.40s' has a space or control character; names cannot",
                                    key, s);
    memcpy(out, s, len + 1);
    return GT_E_OK;
}

static gt_err field_value(cfg_ctx *c, const yaml_node_t *v, const field *f, void *dst) {
    char *p = (char *)dst + f->off;
    gt_err e = GT_E_OK;
    if (f->kind == F_INT) {
        int64_t x;
        e = core_cfg_scalar_int(c, v, f->key, (int64_t)f->min, (int64_t)f->max, &x);
        if (!e)
            memcpy(p, &x, sizeof x);
    } else if (f->kind == F_REAL) {
        double x;
        e = core_cfg_scalar_real(c, v, f->key, f->min, f->max, &x);
        if (!e)
            memcpy(p, &x, sizeof x);
    } else if (f->kind == F_NAME) {
        e = core_cfg_scalar_name(c, v, f->key, (size_t)f->max, p);
    }
    return e;
}

static gt_err unknown_key(cfg_ctx *c, const yaml_node_t *k, const char *what, const field *f,
                          int n) {
    char list[192] = "";
    size_t len = 0;
    for (int i = 0; i < n && len < sizeof list; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", f[i].key);
    return core_cfg_fail_at(c, k, GT_E_UNKNOWN_FIELD,
                            "unknown key '%.40s' in %s (expected one of: %s)",
                            core_cfg_scalar_text(k), what, list);
}

/* Match the keys of mapping `map` against table f: vals[i] gets the value node of f[i]
 * (NULL when absent). Unknown, duplicate and missing required keys are errors. */
gt_err core_cfg_map_keys(cfg_ctx *c, const yaml_node_t *map, const char *what, const field *f,
                         int n, yaml_node_t **vals) {
    gt_err e = core_cfg_expect_type(c, map, YAML_MAPPING_NODE, what);
    for (int i = 0; i < n; i++)
        vals[i] = NULL;
    for (yaml_node_pair_t *p = e ? NULL : map->data.mapping.pairs.start;
         p && p < map->data.mapping.pairs.top && !e; p++) {
        yaml_node_t *k = core_cfg_node_at(c, p->key), *v = core_cfg_node_at(c, p->value);
        if (!k || !v || (e = core_cfg_expect_type(c, k, YAML_SCALAR_NODE, "a key")))
            return e ? e : core_cfg_fail_at(c, map, GT_E_PARSE, "%s: broken mapping", what);
        int i = 0;
        while (i < n && strcmp(f[i].key, core_cfg_scalar_text(k)))
            i++;
        if (i == n)
            return unknown_key(c, k, what, f, n);
        if (vals[i])
            return core_cfg_fail_at(c, k, GT_E_INVALID, "duplicate key '%s' in %s", f[i].key, what);
        vals[i] = v;
    }
    for (int i = 0; i < n && !e; i++)
        if (!vals[i] && f[i].required)
            e = core_cfg_fail_at(c, map, GT_E_INVALID, "%s: missing required key '%s'", what,
                                 f[i].key);
    return e;
}

/* map_keys, then convert every typed field into dst. */
gt_err core_cfg_map_fields(cfg_ctx *c, const yaml_node_t *map, const char *what, const field *f,
                           int n, void *dst, yaml_node_t **vals) {
    gt_err e = core_cfg_map_keys(c, map, what, f, n, vals);
    for (int i = 0; i < n && !e; i++)
        if (vals[i] && f[i].kind != F_ANY)
            e = field_value(c, vals[i], &f[i], dst);
    return e;
}
