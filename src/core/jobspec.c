/* SPDX-License-Identifier: MIT
 * The job spec: defaults, cross-field validation, JSON parsing and rendering.
 *
 * Design notes
 *  1. The JSON surface is one table (`fields`): name, parser, where the value lives in the
 *     struct and its upper bound. Adding a field is one row.
 *  2. Parsing fills a local copy that starts from gt_jobspec_init(); *out is written only
 *     when the whole document parsed and gt_jobspec_validate() accepted it.
 *  3. Every error message starts with the field it is about ("gpus: ..."); `where` (the
 *     document's name) goes into gt_error.where. Malformed JSON gets "WHERE:LINE:COLUMN".
 *  4. Times are seconds in JSON (integers or reals) and milliseconds in the struct. The
 *     renderer writes whole seconds when it can and three decimals otherwise, so
 *     parse(render(s)) == s exactly.
 *  5. Identifiers (id, tenant, gpu_model, within) also travel in CSV traces, which have no
 *     quoting: they may not contain ',', '"' or control characters, and an id may not
 *     start with '#'. Every string must be valid UTF-8 without control characters.
 *  6. The controller's fields (command, env, workdir, output, error, grace_s, user, pids_max, and
 * the service fields ports, readiness, liveness: jobspec_serve.c) are checked here but not stored:
 * gt_jobspec stays plain data without pointers. */
#include "core/jobspec.h"

#include <jansson.h>

#include "core/jobspec_int.h"
#include "core/logpath.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/utf8.h"

#define MAX_NODE_GPUS 32 /* the largest node we accept: bounds gpus_per_node and a task */

static const char *const kind_names[GT_KIND__COUNT] = {"train", "serve", "tasks"};
static const char *const prio_names[] = {"low", "normal", "high", "critical"};
#define NPRIO ((int)(sizeof prio_names / sizeof prio_names[0]))

/* ---- names ---------------------------------------------------------------------------- */

const char *gt_kind_name(gt_kind k) {
    return (int)k >= 0 && k < GT_KIND__COUNT ? kind_names[k] : "unknown";
}

int gt_kind_parse(const char *s) {
    for (int i = 0; s && i < GT_KIND__COUNT; i++)
        if (strcmp(s, kind_names[i]) == 0)
            return i;
    return -1;
}

const char *gt_prio_name(int p) {
    return p >= 0 && p < NPRIO ? prio_names[p] : "unknown";
}

int gt_prio_parse(const char *s) {
    if (!s)
        return -1;
    if (s[0] >= '0' && s[0] < '0' + NPRIO && s[1] == 0)
        return s[0] - '0';
    for (int i = 0; i < NPRIO; i++)
        if (strcmp(s, prio_names[i]) == 0)
            return i;
    return -1;
}

void gt_jobspec_init(gt_jobspec *s) {
    memset(s, 0, sizeof *s);
    memcpy(s->tenant, "default", sizeof "default");
    s->kind = GT_KIND_TRAIN;
    s->priority = GT_PRIO_NORMAL;
    s->gpus = 1;
    s->replicas_min = s->replicas_max = 1;
    s->tasks = 1;
}

/* ---- validation ----------------------------------------------------------------------- */

/* A string field: NUL-terminated within its array, UTF-8, no control characters, and for
 * identifiers none of the characters a CSV trace cannot carry. */
static gt_err check_str(const char *s, size_t size, int ident, const char *field, const char *where,
                        gt_error *err) {
    const char *end = memchr(s, 0, size);
    if (!end)
        return gt_fail(err, GT_E_RANGE, where, "%s: longer than %zu bytes", field, size - 1);
    const unsigned char *p = (const unsigned char *)s;
    for (size_t n = (size_t)(end - s), k; n > 0; p += k, n -= k) {
        k = gt_utf8_seq(p, n);
        if (k == 0)
            return gt_fail(err, GT_E_INVALID, where, "%s: not valid UTF-8", field);
        if (*p < 0x20 || *p == 0x7f)
            return gt_fail(err, GT_E_INVALID, where, "%s: control character", field);
        if (ident && (*p == ',' || *p == '"'))
            return gt_fail(err, GT_E_INVALID, where, "%s: must not contain '%c'", field, *p);
    }
    return GT_E_OK;
}

static gt_err validate_strings(const gt_jobspec *s, const char *where, gt_error *err) {
    gt_err e;
    if ((e = check_str(s->id, sizeof s->id, 1, "id", where, err)) ||
        (e = check_str(s->name, sizeof s->name, 0, "name", where, err)) ||
        (e = check_str(s->tenant, sizeof s->tenant, 1, "tenant", where, err)) ||
        (e = check_str(s->gpu_model, sizeof s->gpu_model, 1, "gpu_model", where, err)) ||
        (e = check_str(s->within, sizeof s->within, 1, "within", where, err)))
        return e;
    if (s->id[0] == '#')
        return gt_fail(err, GT_E_INVALID, where, "id: must not start with '#'");
    if (s->tenant[0] == 0)
        return gt_fail(err, GT_E_INVALID, where, "tenant: must not be empty");
    return GT_E_OK;
}

static gt_err check_range(int64_t v, int64_t lo, int64_t hi, const char *field, const char *where,
                          gt_error *err) {
    if (v >= lo && v <= hi)
        return GT_E_OK;
    return gt_fail(err, GT_E_RANGE, where, "%s: must be between %lld and %lld, got %lld", field,
                   (long long)lo, (long long)hi, (long long)v);
}

static gt_err check_time(gt_time ms, const char *field, const char *where, gt_error *err) {
    if (ms >= 0 && ms <= GT_SPEC_MAX_TIME_S * 1000)
        return GT_E_OK;
    return gt_fail(err, GT_E_RANGE, where, "%s: must be between 0 and %lld seconds", field,
                   (long long)GT_SPEC_MAX_TIME_S);
}

static gt_err validate_numbers(const gt_jobspec *s, const char *where, gt_error *err) {
    gt_err e;
    if ((int)s->kind < 0 || s->kind >= GT_KIND__COUNT)
        return gt_fail(err, GT_E_INVALID, where, "kind: must be train, serve or tasks");
    if ((e = check_range(s->priority, 0, NPRIO - 1, "priority", where, err)) ||
        (e = check_range(s->gpus, 0, GT_SPEC_MAX_GPUS, "gpus", where, err)) ||
        (e = check_range(s->gpus_per_node, 0, MAX_NODE_GPUS, "gpus_per_node", where, err)) ||
        (e = check_range(s->cpus, 0, GT_SPEC_MAX_CPUS, "cpus", where, err)) ||
        (e = check_range(s->memory_mb, 0, GT_SPEC_MAX_MEM_MB, "memory_mb", where, err)) ||
        (e = check_range(s->gpu_milli, 0, GT_SPEC_GPU_MILLI - 1, "gpu_milli", where, err)) ||
        (e = check_range(s->gpu_memory_mb, 0, GT_SPEC_MAX_MEM_MB, "gpu_memory_mb", where, err)) ||
        (e = check_time(s->submit_ms, "submit_s", where, err)) ||
        (e = check_time(s->time_limit_ms, "time_limit_s", where, err)) ||
        (e = check_time(s->estimate_ms, "estimate_s", where, err)) ||
        (e = check_time(s->duration_ms, "duration_s", where, err)))
        return e;
    return GT_E_OK;
}

/* train and serve: one gang (per replica) of `gpus` GPUs spread gpus_per_node a node. */
static gt_err validate_gang(const gt_jobspec *s, const char *where, gt_error *err) {
    if (s->gpus == 0 && s->cpus < 1)
        return gt_fail(err, GT_E_RANGE, where,
                       "gpus: must be between 1 and %d (0 only for a CPU job with cpus >= 1)",
                       GT_SPEC_MAX_GPUS);
    if (s->gpus_per_node > 0 && s->gpus % s->gpus_per_node != 0)
        return gt_fail(err, GT_E_INVALID, where, "gpus_per_node: %d does not divide gpus (%d)",
                       s->gpus_per_node, s->gpus);
    return GT_E_OK;
}

/* A share of one GPU: for a serve replica or a task, on one GPU. */
static gt_err validate_share(const gt_jobspec *s, const char *where, gt_error *err) {
    if (!s->gpu_milli && !s->gpu_memory_mb)
        return GT_E_OK;
    const char *f = s->gpu_milli ? "gpu_milli" : "gpu_memory_mb";
    if (s->kind == GT_KIND_TRAIN)
        return gt_fail(err, GT_E_INVALID, where,
                       "%s: a share of one GPU is for serve replicas and tasks; a gang asks for "
                       "whole GPUs",
                       f);
    if (s->gpus != 1 || s->gpus_per_node > 1)
        return gt_fail(err, GT_E_INVALID, where,
                       "%s: a share is part of one GPU: gpus must be 1, got %d", f, s->gpus);
    return GT_E_OK;
}

static gt_err validate_kind(const gt_jobspec *s, const char *where, gt_error *err) {
    gt_err e;
    if ((e = validate_share(s, where, err)))
        return e;
    if (s->kind != GT_KIND_SERVE && (s->replicas_min != 1 || s->replicas_max != 1))
        return gt_fail(err, GT_E_INVALID, where, "replicas: only for kind serve");
    if (s->kind != GT_KIND_TASKS && s->tasks != 1)
        return gt_fail(err, GT_E_INVALID, where, "tasks: only for kind tasks");
    if (s->kind != GT_KIND_TASKS && s->max_running)
        return gt_fail(err, GT_E_INVALID, where, "max_running: only for kind tasks");
    int corr = 0;
    for (int i = 0; i < s->ndeps; i++)
        corr += s->dep_type[i] == GT_DEP_AFTERCORR;
    if (corr && s->kind != GT_KIND_TASKS)
        return gt_fail(err, GT_E_INVALID, where,
                       "depends_on: aftercorr is only for kind tasks (task i waits for task i)");
    if (corr > 1)
        return gt_fail(err, GT_E_INVALID, where, "depends_on: at most one aftercorr job");
    if (s->kind == GT_KIND_TASKS) {
        if ((e = check_range(s->tasks, 1, GT_SPEC_MAX_TASKS, "tasks", where, err)))
            return e;
        if (s->max_running > s->tasks)
            return gt_fail(err, GT_E_RANGE, where,
                           "max_running: at most the array's size (tasks, %d), got %d", s->tasks,
                           s->max_running);
        if (s->restart_backoff_ms &&
            (s->restart_backoff_ms < 100 || s->restart_backoff_ms > 3600000))
            return gt_fail(err, GT_E_RANGE, where,
                           "restart_backoff_s: expected seconds from 0.1 to 3600");
        if (s->gpus > MAX_NODE_GPUS)
            return gt_fail(err, GT_E_RANGE, where,
                           "gpus: a task runs on one node: must be between 0 and %d, got %d",
                           MAX_NODE_GPUS, s->gpus);
        return GT_E_OK;
    }
    if (s->kind == GT_KIND_SERVE) {
        /* min 0: a service that may scale to zero (autoscaling, or woken by hand) */
        if ((e = check_range(s->replicas_min, 0, GT_SPEC_MAX_REPLICAS, "replicas.min", where,
                             err)) ||
            (e = check_range(s->replicas_max, s->replicas_min > 1 ? s->replicas_min : 1,
                             GT_SPEC_MAX_REPLICAS, "replicas.max", where, err)))
            return e;
        if (s->restart_backoff_ms &&
            (s->restart_backoff_ms < 100 || s->restart_backoff_ms > 3600000))
            return gt_fail(err, GT_E_RANGE, where,
                           "restart_backoff_s: expected seconds from 0.1 to 3600");
        if (s->restart_window_ms &&
            (s->restart_window_ms < 1000 || s->restart_window_ms > 86400000))
            return gt_fail(err, GT_E_RANGE, where,
                           "restart_window_s: expected seconds from 1 to 86400");
    }
    return validate_gang(s, where, err);
}

gt_err gt_jobspec_validate(const gt_jobspec *s, const char *where, gt_error *err) {
    gt_err e;
    if ((e = validate_strings(s, where, err)) || (e = validate_numbers(s, where, err)) ||
        (e = validate_kind(s, where, err)))
        return e;
    return GT_E_OK;
}

/* ---- JSON parsing --------------------------------------------------------------------- */

typedef struct {
    gt_jobspec *s;
    const char *where;
    gt_error *err;
    int seen_replicas, seen_tasks;
} pctx;

struct field;
typedef gt_err (*field_fn)(pctx *c, const struct field *f, json_t *v);

struct field {
    const char *name;
    field_fn parse;
    size_t off;  /* offset in gt_jobspec (unused for fields that are not stored) */
    size_t size; /* size of the member */
    int64_t max; /* integers: upper bound */
};

static gt_err type_error(pctx *c, const char *field, const char *expected) {
    return gt_fail(c->err, GT_E_INVALID, c->where, "%s: expected %s", field, expected);
}

static gt_err p_str(pctx *c, const struct field *f, json_t *v) {
    if (!json_is_string(v))
        return type_error(c, f->name, "a string");
    size_t n = json_string_length(v);
    if (n >= f->size)
        return gt_fail(c->err, GT_E_RANGE, c->where, "%s: longer than %zu bytes", f->name,
                       f->size - 1);
    char *dst = (char *)c->s + f->off;
    memcpy(dst, json_string_value(v), n);
    dst[n] = 0;
    return GT_E_OK;
}

static gt_err get_int(pctx *c, const char *field, json_t *v, int64_t lo, int64_t hi, int64_t *out) {
    if (!json_is_integer(v))
        return type_error(c, field, "an integer");
    *out = (int64_t)json_integer_value(v);
    return check_range(*out, lo, hi, field, c->where, c->err);
}

static gt_err p_int(pctx *c, const struct field *f, json_t *v);

/* gpus: a count, or a fraction of one GPU below 1 ("gpus": 0.25 is gpu_milli 250). */
static gt_err p_gpus(pctx *c, const struct field *f, json_t *v) {
    if (json_is_real(v) && json_real_value(v) < 1) {
        double x = json_real_value(v);
        long milli = lround(x * GT_SPEC_GPU_MILLI);
        if (!(x > 0 && x < 1) || milli < 1 || milli >= GT_SPEC_GPU_MILLI ||
            fabs(x * GT_SPEC_GPU_MILLI - (double)milli) > 1e-6)
            return gt_fail(c->err, GT_E_RANGE, c->where,
                           "gpus: a fraction of one GPU must be between 0.001 and 0.999 in "
                           "thousandths, got %g",
                           x);
        c->s->gpus = 1;
        c->s->gpu_milli = (int32_t)milli;
        return GT_E_OK;
    }
    return p_int(c, f, v);
}

static gt_err p_int(pctx *c, const struct field *f, json_t *v) {
    int64_t x = 0;
    gt_err e = get_int(c, f->name, v, 0, f->max, &x);
    if (e)
        return e;
    char *dst = (char *)c->s + f->off;
    if (f->size == sizeof(int32_t)) {
        int32_t x32 = (int32_t)x;
        memcpy(dst, &x32, sizeof x32);
    } else {
        memcpy(dst, &x, sizeof x);
    }
    return GT_E_OK;
}

/* Seconds, integer or real, to milliseconds. */
static gt_err get_seconds(pctx *c, const char *field, json_t *v, gt_time *ms) {
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        if (x < 0 || x > GT_SPEC_MAX_TIME_S)
            return check_time(x < 0 ? -1 : GT_TIME_NEVER, field, c->where, c->err);
        *ms = (gt_time)x * 1000;
        return GT_E_OK;
    }
    if (!json_is_real(v))
        return type_error(c, field, "a number of seconds");
    double d = json_real_value(v);
    if (!(d >= 0 && d <= (double)GT_SPEC_MAX_TIME_S)) /* also rejects NaN */
        return check_time(-1, field, c->where, c->err);
    *ms = (gt_time)llround(d * 1000.0);
    return GT_E_OK;
}

static gt_err p_time(pctx *c, const struct field *f, json_t *v) {
    gt_time ms = 0;
    gt_err e = get_seconds(c, f->name, v, &ms);
    if (!e)
        memcpy((char *)c->s + f->off, &ms, sizeof ms);
    return e;
}

static gt_err p_kind(pctx *c, const struct field *f, json_t *v) {
    if (!json_is_string(v))
        return type_error(c, f->name, "a string");
    int k = gt_kind_parse(json_string_value(v));
    if (k < 0)
        return gt_fail(c->err, GT_E_INVALID, c->where, "%s: must be train, serve or tasks",
                       f->name);
    c->s->kind = (gt_kind)k;
    return GT_E_OK;
}

static gt_err p_prio(pctx *c, const struct field *f, json_t *v) {
    int64_t x = 0;
    if (json_is_integer(v)) {
        gt_err e = get_int(c, f->name, v, 0, NPRIO - 1, &x);
        if (!e)
            c->s->priority = (int)x;
        return e;
    }
    if (!json_is_string(v))
        return type_error(c, f->name, "low, normal, high, critical or an integer 0..3");
    int p = gt_prio_parse(json_string_value(v));
    if (p < 0)
        return gt_fail(c->err, GT_E_INVALID, c->where,
                       "%s: must be low, normal, high, critical or 0..3", f->name);
    c->s->priority = p;
    return GT_E_OK;
}

/* {"min": m, "max": M}: min defaults to 1, max to min. */
static gt_err p_replicas(pctx *c, const struct field *f, json_t *v) {
    if (!json_is_object(v))
        return type_error(c, f->name, "an object {\"min\": .., \"max\": ..}");
    int64_t lo = 1, hi = -1;
    const char *key;
    json_t *x;
    json_object_foreach(v, key, x) {
        int is_min = strcmp(key, "min") == 0;
        if (!is_min && strcmp(key, "max") != 0)
            return gt_fail(c->err, GT_E_UNKNOWN_FIELD, c->where, "replicas.%s: unknown field", key);
        gt_err e = get_int(c, is_min ? "replicas.min" : "replicas.max", x, is_min ? 0 : 1,
                           GT_SPEC_MAX_REPLICAS, is_min ? &lo : &hi);
        if (e)
            return e;
    }
    c->s->replicas_min = (int32_t)lo;
    c->s->replicas_max = (int32_t)(hi < 0 ? lo : hi);
    c->seen_replicas = 1;
    return GT_E_OK;
}

static gt_err p_tasks(pctx *c, const struct field *f, json_t *v) {
    c->seen_tasks = 1;
    return p_int(c, f, v);
}

/* max_running: when given, at least 1 (a throttle of 0 would never run a task). */
static gt_err p_max_running(pctx *c, const struct field *f, json_t *v) {
    int64_t x = 0;
    gt_err e = get_int(c, f->name, v, 1, f->max, &x);
    if (e)
        return e;
    c->s->max_running = (int32_t)x;
    return GT_E_OK;
}

/* ---- controller fields: checked, not stored -- */

static gt_err p_any_str(pctx *c, const struct field *f, json_t *v) {
    return json_is_string(v) ? GT_E_OK : type_error(c, f->name, "a string");
}

/* output, error: a file pattern (core/logpath.h) */
static gt_err p_log_pattern(pctx *c, const struct field *f, json_t *v) {
    char why[300];
    if (!json_is_string(v))
        return type_error(c, f->name, "a string");
    if (gt_log_pattern_check(json_string_value(v), why, sizeof why) != 0)
        return gt_fail(c->err, GT_E_INVALID, c->where, "%s: %s", f->name, why);
    return GT_E_OK;
}

static gt_err p_str_array(pctx *c, const struct field *f, json_t *v) {
    if (!json_is_array(v))
        return type_error(c, f->name, "an array of strings");
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) {
        if (!json_is_string(x))
            return gt_fail(c->err, GT_E_INVALID, c->where, "%s[%zu]: expected a string", f->name,
                           i);
    }
    return GT_E_OK;
}

static gt_err p_str_map(pctx *c, const struct field *f, json_t *v) {
    if (!json_is_object(v))
        return type_error(c, f->name, "an object of strings");
    const char *key;
    json_t *x;
    json_object_foreach(v, key, x) {
        if (!json_is_string(x))
            return gt_fail(c->err, GT_E_INVALID, c->where, "%s.%s: expected a string", f->name,
                           key);
    }
    return GT_E_OK;
}

static gt_err p_seconds_only(pctx *c, const struct field *f, json_t *v) {
    gt_time ms = 0;
    return get_seconds(c, f->name, v, &ms);
}

/* A user name as Linux tools accept it (letters, digits, '.', '_', '-'; not starting with
 * '-'), or a numeric uid; the agent looks it up on the node. */
static gt_err p_user(pctx *c, const struct field *f, json_t *v) {
    const char *s = json_string_value(v);
    if (!s)
        return type_error(c, f->name, "a string");
    size_t n = strlen(s);
    if (n == 0 || n > 32 || s[0] == '-')
        return gt_fail(c->err, GT_E_INVALID, c->where,
                       "%s: expected a user name of 1 to 32 characters", f->name);
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
            return gt_fail(c->err, GT_E_INVALID, c->where,
                           "%s: '%c' is not allowed in a user name (letters, digits, . _ -)",
                           f->name, s[i] > ' ' && s[i] < 127 ? s[i] : '?');
    return GT_E_OK;
}

/* "progress": {"timeout_s": N, "file": PATH}: the job shows it is alive by touching a file
 * (the agent's own when no file is named: GANTRY_PROGRESS_FILE); a unit that has not for
 * timeout_s is stopped as hung. */
static gt_err p_progress(pctx *c, const struct field *f, json_t *v) {
    (void)f;
    json_t *t = json_object_get(v, "timeout_s"), *file = json_object_get(v, "file");
    if (!json_is_object(v) || !t)
        return type_error(c, "progress", "an object with \"timeout_s\" (and \"file\")");
    const char *key;
    json_t *x;
    json_object_foreach(v, key, x) {
        if (strcmp(key, "timeout_s") && strcmp(key, "file"))
            return gt_fail(c->err, GT_E_UNKNOWN_FIELD, c->where, "progress.%s: unknown field", key);
    }
    if (!json_is_number(t) || !(json_number_value(t) >= 1) || json_number_value(t) > 604800)
        return gt_fail(c->err, GT_E_RANGE, c->where,
                       "progress.timeout_s: expected seconds from 1 to 604800");
    if (file && (!json_is_string(file) || json_string_length(file) == 0 ||
                 json_string_length(file) > 1024 ||
                 strlen(json_string_value(file)) != json_string_length(file)))
        return gt_fail(c->err, GT_E_INVALID, c->where,
                       "progress.file: expected a path of 1 to 1024 bytes");
    return GT_E_OK;
}

static gt_err p_depends(pctx *c, const struct field *f, json_t *v) {
    if (!json_is_string(v))
        return type_error(c, f->name, "a string like \"afterok:12:13,afterany:14\"");
    return core_jobspec_parse_deps(json_string_value(v), c->s, c->where, c->err);
}

/* Checked once the whole document is read (jobspec_serve.c). */
static gt_err p_later(pctx *c, const struct field *f, json_t *v) {
    (void)c, (void)f, (void)v;
    return GT_E_OK;
}

static gt_err p_count_only(pctx *c, const struct field *f, json_t *v) {
    int64_t x = 0;
    return get_int(c, f->name, v, 1, f->max, &x);
}

#define MEMBER_SIZE(m) sizeof(((gt_jobspec *)0)->m)
#define STR(m)                                                                                     \
    { #m, p_str, offsetof(gt_jobspec, m), MEMBER_SIZE(m), 0 }
#define INT(m, max)                                                                                \
    { #m, p_int, offsetof(gt_jobspec, m), MEMBER_SIZE(m), max }
#define TIME(key, m)                                                                               \
    { key, p_time, offsetof(gt_jobspec, m), MEMBER_SIZE(m), 0 }

static const struct field fields[] = {
    STR(id),
    STR(name),
    STR(tenant),
    {"kind", p_kind, 0, 0, 0},
    {"priority", p_prio, 0, 0, 0},
    {"gpus", p_gpus, offsetof(gt_jobspec, gpus), MEMBER_SIZE(gpus), GT_SPEC_MAX_GPUS},
    INT(gpus_per_node, MAX_NODE_GPUS),
    STR(gpu_model),
    INT(gpu_milli, GT_SPEC_GPU_MILLI - 1),
    INT(gpu_memory_mb, GT_SPEC_MAX_MEM_MB),
    INT(cpus, GT_SPEC_MAX_CPUS),
    INT(memory_mb, GT_SPEC_MAX_MEM_MB),
    STR(within),
    {"replicas", p_replicas, 0, 0, 0},
    {"tasks", p_tasks, offsetof(gt_jobspec, tasks), MEMBER_SIZE(tasks), GT_SPEC_MAX_TASKS},
    INT(max_restarts, GT_SPEC_MAX_RESTARTS),
    {"max_running", p_max_running, offsetof(gt_jobspec, max_running), MEMBER_SIZE(max_running),
     GT_SPEC_MAX_TASKS},
    TIME("submit_s", submit_ms),
    TIME("time_limit_s", time_limit_ms),
    TIME("estimate_s", estimate_ms),
    TIME("duration_s", duration_ms),
    {"command", p_str_array, 0, 0, 0},
    {"env", p_str_map, 0, 0, 0},
    {"workdir", p_any_str, 0, 0, 0},
    {"output", p_log_pattern, 0, 0, 0},
    {"error", p_log_pattern, 0, 0, 0},
    {"grace_s", p_seconds_only, 0, 0, 0},
    {"user", p_user, 0, 0, 0},
    {"pids_max", p_count_only, 0, 0, GT_SPEC_MAX_PIDS},
    {"ports", p_later, 0, 0, 0},
    {"readiness", p_later, 0, 0, 0},
    {"liveness", p_later, 0, 0, 0},
    {"scale", p_later, 0, 0, 0},
    TIME("restart_backoff_s", restart_backoff_ms),
    INT(max_surge, GT_SPEC_MAX_REPLICAS),
    {"max_unavailable", p_later, 0, 0, 0},
    {"update_deadline_s", p_later, 0, 0, 0},
    TIME("restart_window_s", restart_window_ms),
    {"role", p_later, 0, 0, 0},
    {"progress", p_progress, 0, 0, 0},
    {"depends_on", p_depends, 0, 0, 0},
};

static gt_err parse_object(pctx *c, json_t *root) {
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        const struct field *f = NULL;
        for (size_t i = 0; i < sizeof fields / sizeof fields[0] && !f; i++)
            if (strcmp(key, fields[i].name) == 0)
                f = &fields[i];
        if (!f)
            return gt_fail(c->err, GT_E_UNKNOWN_FIELD, c->where, "%s: unknown field", key);
        gt_err e = f->parse(c, f, v);
        if (e)
            return e;
    }
    if (c->seen_replicas && c->s->kind != GT_KIND_SERVE)
        return gt_fail(c->err, GT_E_INVALID, c->where, "replicas: only for kind serve");
    if (c->seen_tasks && c->s->kind != GT_KIND_TASKS)
        return gt_fail(c->err, GT_E_INVALID, c->where, "tasks: only for kind tasks");
    gt_err e = core_jobspec_check_serve(root, c->s, c->where, c->err);
    return e ? e : core_jobspec_check_role(root, c->s, c->where, c->err);
}

static gt_err parse_failed(const json_error_t *je, const char *where, gt_error *err) {
    char loc[128];
    snprintf(loc, sizeof loc, "%s:%d:%d", where ? where : "json", je->line, je->column);
    return gt_fail(err, GT_E_PARSE, loc, "%s", je->text);
}

gt_err gt_jobspec_from_json(const json_t *root, const char *where, gt_jobspec *out, gt_error *err) {
    gt_jobspec s;
    gt_jobspec_init(&s);
    pctx c = {&s, where, err, 0, 0};
    /* parse_object only reads root (jansson's getters take non-const pointers) */
    gt_err e = json_is_object(root) ? parse_object(&c, (json_t *)root)
                                    : gt_fail(err, GT_E_INVALID, where, "expected a JSON object");
    if (!e)
        e = gt_jobspec_validate(&s, where, err);
    if (!e)
        *out = s;
    return e;
}

gt_err gt_jobspec_parse_json(const char *text, size_t len, const char *where, gt_jobspec *out,
                             gt_error *err) {
    json_error_t je;
    json_t *root = json_loadb(text ? text : "", text ? len : 0, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return parse_failed(&je, where, err);
    gt_err e = gt_jobspec_from_json(root, where, out, err);
    json_decref(root);
    return e;
}

/* ---- JSON rendering ------------------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, pos; /* pos counts every byte wanted, also those that did not fit */
    int first;
} emitter;

static void put(emitter *e, const char *s, size_t n) {
    if (e->len > 0 && e->pos < e->len - 1) {
        size_t room = e->len - 1 - e->pos;
        memcpy(e->buf + e->pos, s, n < room ? n : room);
    }
    e->pos += n;
}

static void put_key(emitter *e, const char *key) {
    if (!e->first)
        put(e, ",", 1);
    e->first = 0;
    put(e, "\"", 1);
    put(e, key, strlen(key));
    put(e, "\":", 2);
}

static void put_str(emitter *e, const char *key, const char *s) {
    put_key(e, key);
    put(e, "\"", 1);
    for (; *s; s++) {
        char esc[8];
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            put(e, esc, (size_t)snprintf(esc, sizeof esc, "\\%c", ch));
        else if (ch < 0x20)
            put(e, esc, (size_t)snprintf(esc, sizeof esc, "\\u%04x", ch));
        else
            put(e, s, 1);
    }
    put(e, "\"", 1);
}

static void put_int(emitter *e, const char *key, long long v) {
    char num[32];
    put_key(e, key);
    put(e, num, (size_t)snprintf(num, sizeof num, "%lld", v));
}

static void put_time(emitter *e, const char *key, gt_time ms) {
    char num[40];
    long long a = ms < 0 ? -(long long)ms : (long long)ms;
    const char *sign = ms < 0 ? "-" : "";
    int n = a % 1000 ? snprintf(num, sizeof num, "%s%lld.%03lld", sign, a / 1000, a % 1000)
                     : snprintf(num, sizeof num, "%s%lld", sign, a / 1000);
    put_key(e, key);
    put(e, num, (size_t)n);
}

static void put_shape(emitter *e, const gt_jobspec *s) {
    if (s->gpus_per_node)
        put_int(e, "gpus_per_node", s->gpus_per_node);
    if (s->gpu_model[0])
        put_str(e, "gpu_model", s->gpu_model);
    if (s->gpu_milli)
        put_int(e, "gpu_milli", s->gpu_milli);
    if (s->gpu_memory_mb)
        put_int(e, "gpu_memory_mb", s->gpu_memory_mb);
    if (s->cpus)
        put_int(e, "cpus", s->cpus);
    if (s->memory_mb)
        put_int(e, "memory_mb", s->memory_mb);
    if (s->within[0])
        put_str(e, "within", s->within);
    if (s->replicas_min != 1 || s->replicas_max != 1) {
        char r[64];
        put_key(e, "replicas");
        put(e, r,
            (size_t)snprintf(r, sizeof r, "{\"min\":%d,\"max\":%d}", s->replicas_min,
                             s->replicas_max));
    }
    if (s->tasks != 1)
        put_int(e, "tasks", s->tasks);
    if (s->max_restarts)
        put_int(e, "max_restarts", s->max_restarts);
    if (s->max_running)
        put_int(e, "max_running", s->max_running);
    if (s->restart_backoff_ms)
        put_time(e, "restart_backoff_s", s->restart_backoff_ms);
    if (s->restart_window_ms)
        put_time(e, "restart_window_s", s->restart_window_ms);
    if (s->max_surge)
        put_int(e, "max_surge", s->max_surge);
}

size_t gt_jobspec_to_json(const gt_jobspec *s, char *buf, size_t len) {
    emitter e = {buf, len, 0, 1};
    put(&e, "{", 1);
    if (s->id[0])
        put_str(&e, "id", s->id);
    if (s->name[0])
        put_str(&e, "name", s->name);
    put_str(&e, "tenant", s->tenant);
    put_str(&e, "kind", gt_kind_name(s->kind));
    if (s->priority != GT_PRIO_NORMAL)
        put_str(&e, "priority", gt_prio_name(s->priority));
    put_int(&e, "gpus", s->gpus);
    put_shape(&e, s);
    if (s->ndeps) {
        char deps[GT_SPEC_MAX_DEPS * 24];
        gt_jobspec_deps_str(s, deps, sizeof deps);
        put_str(&e, "depends_on", deps);
    }
    const gt_time t[] = {s->submit_ms, s->time_limit_ms, s->estimate_ms, s->duration_ms};
    const char *names[] = {"submit_s", "time_limit_s", "estimate_s", "duration_s"};
    for (int i = 0; i < 4; i++)
        if (t[i])
            put_time(&e, names[i], t[i]);
    put(&e, "}", 1);
    if (len > 0)
        buf[e.pos < len ? e.pos : len - 1] = 0;
    return e.pos;
}

int gt_jobspec_equal(const gt_jobspec *a, const gt_jobspec *b, int compare_names) {
    return !memcmp(a->id, b->id, sizeof a->id) &&
           (!compare_names || !memcmp(a->name, b->name, sizeof a->name)) &&
           !memcmp(a->tenant, b->tenant, sizeof a->tenant) && a->kind == b->kind &&
           a->priority == b->priority && a->gpus == b->gpus &&
           a->gpus_per_node == b->gpus_per_node && a->cpus == b->cpus &&
           a->memory_mb == b->memory_mb && a->gpu_milli == b->gpu_milli &&
           a->gpu_memory_mb == b->gpu_memory_mb &&
           !memcmp(a->gpu_model, b->gpu_model, sizeof a->gpu_model) &&
           !memcmp(a->within, b->within, sizeof a->within) && a->replicas_min == b->replicas_min &&
           a->replicas_max == b->replicas_max && a->tasks == b->tasks &&
           a->max_restarts == b->max_restarts && a->max_running == b->max_running &&
           a->submit_ms == b->submit_ms && a->time_limit_ms == b->time_limit_ms &&
           a->estimate_ms == b->estimate_ms && a->duration_ms == b->duration_ms &&
           a->restart_backoff_ms == b->restart_backoff_ms &&
           a->restart_window_ms == b->restart_window_ms && a->max_surge == b->max_surge &&
           a->ndeps == b->ndeps &&
           !memcmp(a->dep_job, b->dep_job, (size_t)a->ndeps * sizeof a->dep_job[0]) &&
           !memcmp(a->dep_type, b->dep_type, (size_t)a->ndeps);
}
