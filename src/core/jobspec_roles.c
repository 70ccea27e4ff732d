/* SPDX-License-Identifier: MIT
 * A service of several roles (prefill and decode, router and worker), each a service job of
 * its own with its command, resources, probes, replica range and scaling metric:
 *
 *   {"name": "llm", "kind": "serve", "tenant": "research", "within": "domain",
 *    "replicas": {"min": 1, "max": 4},        with "ratio": replica *sets*; else each role's
 *    "ratio": {"prefill": 1, "decode": 2},    a set: 1 prefill and 2 decode replicas
 *    "roles": [{"name": "prefill", "command": [...], "gpus": 4, "scale": {...}},
 *              {"name": "decode", "command": [...], "gpus": 4}]}
 *
 * Every field but "roles" and "ratio" is the roles' default; a role's own field replaces it.
 * A role may not set kind, tenant, user, id, replicas (with a ratio), role, roles or ratio.
 * With a ratio, role R runs ratio[R] x the group's replicas, and `within` keeps each set
 * inside one subtree of that level: the first role's replica is the set's anchor, the
 * others' go where it runs (gt_sched_pair). Without one, each role scales alone.
 *
 * Each role's document gets "name" (group name, '-', role name) and the marker "role":
 *   {"name": "decode", "index": 1, "of": 2, "per": 2, "anchor_per": 1, "within": "domain"}
 * (per 0: no ratio), which only gantry writes: gantryd refuses it in a submission. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/jobspec_int.h"

#define MAX_ROLES 8
#define MAX_PER 1000

/* A role name: 1..23 bytes, as a port name. */
static int role_name_ok(const char *s) {
    return core_jobspec_name_ok(s, 23);
}

static const char *const own_only[] = {"kind", "tenant", "user", "id", "role", "roles", "ratio"};

static gt_err check_role(json_t *r, size_t i, json_t *roles, int ratio, const char *where,
                         gt_error *err) {
    if (!json_is_object(r))
        return gt_fail(err, GT_E_INVALID, where, "roles[%zu]: expected an object", i);
    const char *name = json_string_value(json_object_get(r, "name"));
    if (!role_name_ok(name))
        return gt_fail(err, GT_E_INVALID, where,
                       "roles[%zu].name: expected a name of 1 to 23 characters: a lowercase "
                       "letter, then lowercase letters, digits or '-'",
                       i);
    for (size_t k = 0; k < i; k++)
        if (!strcmp(name, json_string_value(json_object_get(json_array_get(roles, k), "name"))))
            return gt_fail(err, GT_E_INVALID, where, "roles[%zu].name: '%s' is named twice", i,
                           name);
    for (size_t k = 0; k < sizeof own_only / sizeof own_only[0]; k++)
        if (json_object_get(r, own_only[k]))
            return gt_fail(err, GT_E_INVALID, where,
                           "roles[%zu].%s: set for the whole service, not per role", i,
                           own_only[k]);
    if (ratio && json_object_get(r, "replicas"))
        return gt_fail(err, GT_E_INVALID, where,
                       "roles[%zu].replicas: with a ratio, the service's replicas count sets "
                       "and each role runs its ratio's share of them",
                       i);
    return GT_E_OK;
}

/* ratio[name] for role i (1..MAX_PER), every key a role. */
static gt_err check_ratio(json_t *ratio, json_t *roles, const char *where, gt_error *err) {
    if (!json_is_object(ratio))
        return gt_fail(err, GT_E_INVALID, where,
                       "ratio: expected an object of role names and replica counts");
    const char *key;
    json_t *v;
    json_object_foreach(ratio, key, v) {
        size_t i, found = 0;
        json_t *r;
        json_array_foreach(roles, i, r) found |=
            !strcmp(key, json_string_value(json_object_get(r, "name")));
        if (!found)
            return gt_fail(err, GT_E_INVALID, where, "ratio.%s: no role of that name", key);
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > MAX_PER)
            return gt_fail(err, GT_E_RANGE, where, "ratio.%s: expected an integer from 1 to %d",
                           key, MAX_PER);
    }
    size_t i;
    json_t *r;
    json_array_foreach(roles, i, r) {
        const char *name = json_string_value(json_object_get(r, "name"));
        if (!json_object_get(ratio, name))
            return gt_fail(err, GT_E_INVALID, where, "ratio: role '%s' has no count", name);
    }
    return GT_E_OK;
}

/* The group's replicas (sets): {"min", "max"} as given, else 1 and 1. */
static void sets_of(json_t *doc, json_int_t *lo, json_int_t *hi) {
    json_t *rep = json_object_get(doc, "replicas");
    json_t *mn = json_object_get(rep, "min"), *mx = json_object_get(rep, "max");
    *lo = json_is_integer(mn) ? json_integer_value(mn) : 1;
    *hi = json_is_integer(mx) ? json_integer_value(mx) : *lo;
}

/* Role i's document: the group's fields, the role's over them, and the marker. NULL: OOM. */
static json_t *role_doc(json_t *doc, json_t *r, size_t i, size_t n, json_t *ratio) {
    json_t *o = json_deep_copy(doc);
    if (!o)
        return NULL;
    json_object_del(o, "roles");
    json_object_del(o, "ratio");
    json_t *mine = json_deep_copy(r);
    if (!mine || json_object_update(o, mine)) {
        json_decref(mine);
        json_decref(o);
        return NULL;
    }
    json_decref(mine);
    const char *role = json_string_value(json_object_get(r, "name"));
    const char *group = json_string_value(json_object_get(doc, "name"));
    char name[96]; /* too long for a job name: refused with the field named */
    snprintf(name, sizeof name, "%s%s%s", group ? group : "", group && *group ? "-" : "", role);
    json_int_t per = 0, anchor_per = 0, lo, hi;
    const char *within = "";
    if (ratio) {
        per = json_integer_value(json_object_get(ratio, role));
        anchor_per = json_integer_value(
            json_object_get(ratio, json_string_value(json_object_get(
                                       json_array_get(json_object_get(doc, "roles"), 0), "name"))));
        sets_of(doc, &lo, &hi);
        json_object_set_new(o, "replicas",
                            json_pack("{s:I, s:I}", "min", lo * per, "max", hi * per));
        const char *w = json_string_value(json_object_get(doc, "within"));
        within = w ? w : "";
    }
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "role",
                        json_pack("{s:s, s:I, s:I, s:I, s:I, s:s}", "name", role, "index",
                                  (json_int_t)i, "of", (json_int_t)n, "per", per, "anchor_per",
                                  anchor_per, "within", within));
    return o;
}

gt_err gt_jobspec_roles(const json_t *root, const char *where, json_t **out, gt_error *err) {
    json_t *doc = (json_t *)root; /* jansson's getters take non-const pointers; only read */
    *out = NULL;
    json_t *roles = json_object_get(doc, "roles"), *ratio = json_object_get(doc, "ratio");
    if (!roles)
        return ratio ? gt_fail(err, GT_E_INVALID, where, "ratio: only with roles") : GT_E_OK;
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    if (!kind || strcmp(kind, "serve"))
        return gt_fail(err, GT_E_INVALID, where, "roles: only for kind serve");
    if (json_object_get(doc, "role"))
        return gt_fail(err, GT_E_INVALID, where, "role: set by gantry, not in a submission");
    if (!json_is_array(roles) || json_array_size(roles) == 0 || json_array_size(roles) > MAX_ROLES)
        return gt_fail(err, GT_E_INVALID, where, "roles: expected a list of 1 to %d roles",
                       MAX_ROLES);
    size_t i, n = json_array_size(roles);
    json_t *r;
    json_array_foreach(roles, i, r) {
        gt_err e = check_role(r, i, roles, ratio != NULL, where, err);
        if (e)
            return e;
    }
    gt_err e = ratio ? check_ratio(ratio, roles, where, err) : GT_E_OK;
    json_int_t lo, hi;
    sets_of(doc, &lo, &hi);
    if (!e && ratio && json_object_get(doc, "within") && lo < 1)
        e = gt_fail(err, GT_E_RANGE, where, "replicas.min: at least 1 set with a ratio");
    json_t *all = e ? NULL : json_array();
    json_array_foreach(roles, i, r) {
        if (e)
            break;
        json_t *o = role_doc(doc, r, i, n, ratio);
        if (!o || json_array_append_new(all, o)) {
            e = gt_fail(err, GT_E_NOMEM, where, "out of memory");
            break;
        }
        gt_jobspec sp;
        char at[96];
        snprintf(at, sizeof at, "%s: roles[%zu] (%s)", where, i,
                 json_string_value(json_object_get(r, "name")));
        e = gt_jobspec_from_json(o, at, &sp, err);
    }
    if (e)
        json_decref(all);
    else
        *out = all;
    return e;
}

gt_err core_jobspec_check_role(const json_t *root, const gt_jobspec *s, const char *where,
                               gt_error *err) {
    json_t *m = json_object_get((json_t *)root, "role");
    if (!m)
        return GT_E_OK;
    if (s->kind != GT_KIND_SERVE)
        return gt_fail(err, GT_E_INVALID, where, "role: only for kind serve");
    json_t *idx = json_object_get(m, "index"), *of = json_object_get(m, "of"),
           *per = json_object_get(m, "per"), *ap = json_object_get(m, "anchor_per"),
           *w = json_object_get(m, "within");
    if (!json_is_object(m) || json_object_size(m) != 6 ||
        !role_name_ok(json_string_value(json_object_get(m, "name"))) || !json_is_integer(of) ||
        json_integer_value(of) < 1 || json_integer_value(of) > MAX_ROLES || !json_is_integer(idx) ||
        json_integer_value(idx) < 0 || json_integer_value(idx) >= json_integer_value(of) ||
        !json_is_integer(per) || json_integer_value(per) < 0 || json_integer_value(per) > MAX_PER ||
        !json_is_integer(ap) || json_integer_value(ap) < 0 || json_integer_value(ap) > MAX_PER ||
        (json_integer_value(per) == 0) != (json_integer_value(ap) == 0) || !json_is_string(w) ||
        json_string_length(w) >= sizeof s->within)
        return gt_fail(err, GT_E_INVALID, where,
                       "role: expected {name, index, of, per, anchor_per, within} as gantry "
                       "writes it");
    return GT_E_OK;
}
