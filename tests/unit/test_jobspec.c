/* SPDX-License-Identifier: MIT
 * Unit tests for the job spec: JSON parsing, validation, rendering and round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/jobspec.h"

static gt_err parse(const char *doc, gt_jobspec *s, gt_error *err) {
    memset(err, 0, sizeof *err);
    return gt_jobspec_parse_json(doc, strlen(doc), "job.json", s, err);
}

/* Parse, render, parse again: the two specs must be byte-identical. */
static void round_trip(const char *doc) {
    gt_jobspec a, b;
    gt_error err;
    char buf[1024];
    assert_int_equal(parse(doc, &a, &err), GT_E_OK);
    size_t n = gt_jobspec_to_json(&a, buf, sizeof buf);
    assert_true(n < sizeof buf);
    assert_int_equal(strlen(buf), n);
    if (parse(buf, &b, &err) != GT_E_OK)
        fail_msg("reparse of %s: %s", buf, err.msg);
    assert_memory_equal(&a, &b, sizeof a);
    char again[1024];
    gt_jobspec_to_json(&b, again, sizeof again);
    assert_string_equal(buf, again);
}

static const char full_train[] =
    "{\"id\":\"j-1\",\"name\":\"llm \\\"pre\\\" train\",\"tenant\":\"research\","
    "\"kind\":\"train\",\"priority\":\"high\",\"gpus\":64,\"gpus_per_node\":4,"
    "\"gpu_model\":\"GB200\",\"cpus\":16,\"memory_mb\":65536,\"within\":\"domain\","
    "\"submit_s\":12.5,\"time_limit_s\":7200,\"estimate_s\":3600.001,\"duration_s\":3000,"
    "\"command\":[\"python\",\"train.py\"],\"env\":{\"A\":\"1\"},\"workdir\":\"/w\","
    "\"grace_s\":30}";

static void test_defaults(void **state) {
    (void)state;
    gt_jobspec s, d;
    gt_error err;
    assert_int_equal(parse("{}", &s, &err), GT_E_OK);
    gt_jobspec_init(&d);
    assert_memory_equal(&s, &d, sizeof s);
    assert_string_equal(s.tenant, "default");
    assert_int_equal(s.kind, GT_KIND_TRAIN);
    assert_int_equal(s.priority, GT_PRIO_NORMAL);
    assert_int_equal(s.gpus, 1);
    assert_int_equal(s.replicas_min, 1);
    assert_int_equal(s.replicas_max, 1);
    assert_int_equal(s.tasks, 1);
    assert_int_equal(s.cpus, 0);
    assert_int_equal(s.gpus_per_node, 0);
    assert_int_equal(s.time_limit_ms, 0);
    assert_string_equal(s.id, "");
    assert_int_equal(gt_jobspec_validate(&d, "x", &err), GT_E_OK);
}

static void test_full_values(void **state) {
    (void)state;
    gt_jobspec s;
    gt_error err;
    assert_int_equal(parse(full_train, &s, &err), GT_E_OK);
    assert_string_equal(s.id, "j-1");
    assert_string_equal(s.name, "llm \"pre\" train");
    assert_string_equal(s.tenant, "research");
    assert_int_equal(s.priority, GT_PRIO_HIGH);
    assert_int_equal(s.gpus, 64);
    assert_int_equal(s.gpus_per_node, 4);
    assert_string_equal(s.gpu_model, "GB200");
    assert_int_equal(s.cpus, 16);
    assert_int_equal(s.memory_mb, 65536);
    assert_string_equal(s.within, "domain");
    assert_int_equal(s.submit_ms, 12500);
    assert_int_equal(s.time_limit_ms, 7200000);
    assert_int_equal(s.estimate_ms, 3600001);
    assert_int_equal(s.duration_ms, 3000000);
}

static void test_round_trips(void **state) {
    (void)state;
    round_trip(full_train);
    round_trip("{}");
    round_trip("{\"kind\":\"tasks\",\"tasks\":1000,\"max_running\":50,\"gpus\":0}");
    round_trip("{\"depends_on\":\"afterok:12:13,afterany:0,after:7,afternotok:4294967294\"}");
    round_trip("{\"kind\":\"serve\",\"gpus\":8,\"gpus_per_node\":8,\"replicas\":{\"min\":2,"
               "\"max\":6},\"priority\":3,\"duration_s\":0.001,\"tenant\":\"prod\"}");
    round_trip("{\"kind\":\"tasks\",\"gpus\":0,\"cpus\":4,\"memory_mb\":8192,\"tasks\":5000,"
               "\"priority\":\"low\",\"estimate_s\":1.999,\"name\":\"caf\\u00e9 \\\\ tab\"}");
    round_trip("{\"kind\":\"train\",\"gpus\":0,\"cpus\":8,\"submit_s\":315360000}");
    round_trip("{\"id\":\"x\",\"kind\":\"serve\",\"gpus\":1,\"replicas\":{\"max\":3}}");
    round_trip("{\"kind\":\"serve\",\"gpus\":1,\"restart_backoff_s\":0.5,\"restart_window_s\":60}");
}

/* A service's ports and probes are accepted whole (they are not stored in the struct). */
static void test_serve_fields(void **state) {
    (void)state;
    gt_jobspec s;
    gt_error err;
    const char *ok[] = {
        "{\"kind\":\"serve\",\"readiness\":{\"http\":{\"path\":\"/ready?x=1\",\"port\":\"http\"},"
        "\"period_s\":0.2,\"timeout_s\":0.5,\"initial_delay_s\":0,\"failure_threshold\":2,"
        "\"success_threshold\":1}}",
        "{\"kind\":\"serve\",\"ports\":[\"web\",\"metrics-2\"],\"liveness\":{\"command\":"
        "[\"curl\",\"-f\",\"localhost\"]},\"readiness\":{\"http\":{\"path\":\"/\",\"port\":"
        "\"metrics-2\"}}}",
        "{\"kind\":\"train\",\"ports\":[\"tensorboard\"]}",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (parse(ok[i], &s, &err) != GT_E_OK)
            fail_msg("%s: %s", ok[i], err.msg);
}

static void test_rendering(void **state) {
    (void)state;
    gt_jobspec s;
    gt_error err;
    char buf[512];
    assert_int_equal(parse("{\"gpus\":2,\"duration_s\":1.5,\"estimate_s\":60}", &s, &err), GT_E_OK);
    gt_jobspec_to_json(&s, buf, sizeof buf);
    assert_string_equal(buf, "{\"tenant\":\"default\",\"kind\":\"train\",\"gpus\":2,"
                             "\"estimate_s\":60,\"duration_s\":1.500}");
    /* Truncation: NUL-terminated, returns the length it needed. */
    size_t need = gt_jobspec_to_json(&s, NULL, 0);
    assert_int_equal(need, strlen(buf));
    char small[10];
    assert_int_equal(gt_jobspec_to_json(&s, small, sizeof small), need);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_memory_equal(small, buf, sizeof small - 1);
}

static void test_replicas_defaults(void **state) {
    (void)state;
    gt_jobspec s;
    gt_error err;
    assert_int_equal(parse("{\"kind\":\"serve\",\"replicas\":{\"min\":3}}", &s, &err), GT_E_OK);
    assert_int_equal(s.replicas_min, 3);
    assert_int_equal(s.replicas_max, 3);
    assert_int_equal(parse("{\"replicas\":{\"max\":3},\"kind\":\"serve\"}", &s, &err), GT_E_OK);
    assert_int_equal(s.replicas_min, 1);
    assert_int_equal(s.replicas_max, 3);
    assert_int_equal(parse("{\"kind\":\"serve\",\"replicas\":{\"min\":0,\"max\":2}}", &s, &err),
                     GT_E_OK); /* a service that may scale to zero */
    assert_int_equal(s.replicas_min, 0);
    assert_int_equal(s.replicas_max, 2);
    assert_int_equal(parse("{\"priority\":\"2\"}", &s, &err), GT_E_OK);
    assert_int_equal(s.priority, GT_PRIO_HIGH);
}

struct bad {
    const char *doc;
    gt_err code;
    const char *needle; /* must appear in the message (or in where for parse errors) */
};

static const struct bad bad_docs[] = {
    {"{\"gpu\":4}", GT_E_UNKNOWN_FIELD, "gpu:"},
    {"{\"kind\":\"serve\",\"replicas\":{\"mn\":1}}", GT_E_UNKNOWN_FIELD, "replicas.mn"},
    {"{\"gpus\":\"4\"}", GT_E_INVALID, "gpus: expected an integer"},
    {"{\"gpus\":4.0}", GT_E_INVALID, "gpus: expected an integer"},
    {"{\"name\":7}", GT_E_INVALID, "name: expected a string"},
    {"{\"kind\":\"batch\"}", GT_E_INVALID, "kind:"},
    {"{\"kind\":1}", GT_E_INVALID, "kind: expected a string"},
    {"{\"priority\":\"urgent\"}", GT_E_INVALID, "priority:"},
    {"{\"priority\":4}", GT_E_RANGE, "priority:"},
    {"{\"priority\":true}", GT_E_INVALID, "priority:"},
    {"{\"gpus\":-1}", GT_E_RANGE, "gpus:"},
    {"{\"gpus\":1048577}", GT_E_RANGE, "gpus:"},
    {"{\"gpus\":0}", GT_E_RANGE, "gpus:"},
    {"{\"gpus\":6,\"gpus_per_node\":4}", GT_E_INVALID, "gpus_per_node:"},
    {"{\"gpus\":64,\"gpus_per_node\":64}", GT_E_RANGE, "gpus_per_node:"},
    {"{\"cpus\":1048577}", GT_E_RANGE, "cpus:"},
    {"{\"memory_mb\":1099511627777}", GT_E_RANGE, "memory_mb:"},
    {"{\"memory_mb\":-5}", GT_E_RANGE, "memory_mb:"},
    {"{\"duration_s\":-1}", GT_E_RANGE, "duration_s:"},
    {"{\"duration_s\":-0.5}", GT_E_RANGE, "duration_s:"},
    {"{\"estimate_s\":315360001}", GT_E_RANGE, "estimate_s:"},
    {"{\"time_limit_s\":1e12}", GT_E_RANGE, "time_limit_s:"},
    {"{\"submit_s\":\"10\"}", GT_E_INVALID, "submit_s: expected a number"},
    {"{\"name\":\"0123456789012345678901234567890123456789012345678901234567890123\"}", GT_E_RANGE,
     "name:"},
    {"{\"tenant\":\"\"}", GT_E_INVALID, "tenant:"},
    {"{\"tenant\":\"a,b\"}", GT_E_INVALID, "tenant:"},
    {"{\"id\":\"#1\"}", GT_E_INVALID, "id:"},
    {"{\"name\":\"a\\nb\"}", GT_E_INVALID, "name: control"},
    {"{\"replicas\":{\"min\":2}}", GT_E_INVALID, "replicas:"},
    {"{\"kind\":\"serve\",\"replicas\":{\"min\":3,\"max\":2}}", GT_E_RANGE, "replicas.max:"},
    {"{\"kind\":\"serve\",\"replicas\":{\"min\":-1}}", GT_E_RANGE, "replicas.min:"},
    {"{\"kind\":\"serve\",\"replicas\":{\"min\":0}}", GT_E_RANGE, "replicas.max:"},
    {"{\"kind\":\"serve\",\"replicas\":{\"min\":0,\"max\":0}}", GT_E_RANGE, "replicas.max:"},
    {"{\"kind\":\"serve\",\"replicas\":{\"max\":100001}}", GT_E_RANGE, "replicas.max:"},
    {"{\"kind\":\"serve\",\"replicas\":[1,2]}", GT_E_INVALID, "replicas: expected"},
    {"{\"tasks\":10}", GT_E_INVALID, "tasks:"},
    {"{\"kind\":\"tasks\",\"tasks\":0}", GT_E_RANGE, "tasks:"},
    {"{\"kind\":\"tasks\",\"tasks\":10000001}", GT_E_RANGE, "tasks:"},
    {"{\"kind\":\"tasks\",\"gpus\":33}", GT_E_RANGE, "gpus:"},
    {"{\"command\":\"ls\"}", GT_E_INVALID, "command: expected an array"},
    {"{\"command\":[\"ls\",1]}", GT_E_INVALID, "command[1]"},
    {"{\"env\":{\"A\":1}}", GT_E_INVALID, "env.A"},
    {"{\"env\":[]}", GT_E_INVALID, "env:"},
    {"{\"workdir\":null}", GT_E_INVALID, "workdir:"},
    {"{\"grace_s\":-1}", GT_E_RANGE, "grace_s:"},
    {"{\"grace_s\":\"5\"}", GT_E_INVALID, "grace_s:"},
    {"{\"ports\":[]}", GT_E_INVALID, "ports: expected a list"},
    {"{\"ports\":[\"Http\"]}", GT_E_INVALID, "ports[0]: expected a name"},
    {"{\"ports\":[\"a\",\"a\"]}", GT_E_INVALID, "ports: 'a' is named twice"},
    {"{\"readiness\":{\"command\":[\"true\"]}}", GT_E_INVALID, "readiness: only for kind serve"},
    {"{\"kind\":\"serve\",\"readiness\":{}}", GT_E_INVALID, "readiness: expected exactly one"},
    {"{\"kind\":\"serve\",\"liveness\":{\"command\":[],\"period_s\":1}}", GT_E_INVALID,
     "liveness.command: expected a list"},
    {"{\"kind\":\"serve\",\"readiness\":{\"http\":{\"path\":\"/r\",\"port\":\"admin\"}}}",
     GT_E_INVALID, "readiness.http.port: 'admin' is not one of the job's ports (a service"},
    {"{\"kind\":\"serve\",\"ports\":[\"web\"],\"readiness\":{\"http\":{\"path\":\"/r\",\"port\":"
     "\"http\"}}}",
     GT_E_INVALID, "readiness.http.port: 'http' is not one"},
    {"{\"kind\":\"serve\",\"readiness\":{\"http\":{\"path\":\"r\",\"port\":\"http\"}}}",
     GT_E_INVALID, "readiness.http.path: expected a path starting with '/'"},
    {"{\"kind\":\"serve\",\"readiness\":{\"http\":{\"path\":\"/a b\",\"port\":\"http\"}}}",
     GT_E_INVALID, "readiness.http.path: no spaces"},
    {"{\"kind\":\"serve\",\"readiness\":{\"command\":[\"x\"],\"period_s\":0}}", GT_E_RANGE,
     "readiness.period_s: expected seconds from 0.05"},
    {"{\"kind\":\"serve\",\"readiness\":{\"command\":[\"x\"],\"failure_threshold\":101}}",
     GT_E_RANGE, "readiness.failure_threshold"},
    {"{\"kind\":\"serve\",\"readiness\":{\"command\":[\"x\"],\"perod_s\":1}}", GT_E_UNKNOWN_FIELD,
     "readiness.perod_s: unknown field"},
    {"{\"restart_backoff_s\":1}", GT_E_INVALID, "restart_backoff_s: only for kind serve"},
    {"{\"max_surge\":1}", GT_E_INVALID, "max_surge: only for kind serve"},
    {"{\"kind\":\"serve\",\"replicas\":{\"max\":2},\"max_surge\":3}", GT_E_RANGE,
     "max_surge: at most replicas.max (2)"},
    {"{\"kind\":\"serve\",\"max_unavailable\":2}", GT_E_RANGE, "max_unavailable: expected"},
    {"{\"kind\":\"serve\",\"update_deadline_s\":0}", GT_E_RANGE,
     "update_deadline_s: expected seconds from 1 to 86400"},
    {"{\"kind\":\"serve\",\"restart_backoff_s\":0.01}", GT_E_RANGE, "restart_backoff_s:"},
    {"{\"kind\":\"serve\",\"restart_window_s\":100000}", GT_E_RANGE, "restart_window_s:"},
    {"{\"depends_on\":\"afterok\"}", GT_E_INVALID, "depends_on: expected TYPE:JOB"},
    {"{\"depends_on\":\"afterbad:1\"}", GT_E_INVALID, "depends_on: expected TYPE:JOB"},
    {"{\"depends_on\":\"afterok:1,\"}", GT_E_INVALID, "depends_on: expected"},
    {"{\"depends_on\":\"afterok:x\"}", GT_E_INVALID, "depends_on: expected"},
    {"{\"depends_on\":\"afterok:99999999999\"}", GT_E_RANGE, "depends_on: job id"},
    {"{\"depends_on\":\"afterok:1:2:3:4:5:6:7:8:9\"}", GT_E_LIMIT, "depends_on: at most 8"},
    {"{\"depends_on\":[1]}", GT_E_INVALID, "depends_on: expected a string"},
    {"{\"max_running\":2}", GT_E_INVALID, "max_running: only for kind tasks"},
    {"{\"kind\":\"tasks\",\"tasks\":5,\"max_running\":10000001}", GT_E_RANGE, "max_running"},
    {"{\"kind\":\"tasks\",\"tasks\":5,\"max_running\":6}", GT_E_RANGE,
     "max_running: at most the array's size (tasks, 5), got 6"},
    {"{\"kind\":\"tasks\",\"tasks\":5,\"max_running\":0}", GT_E_RANGE, "max_running"},
    {"{\"kind\":\"tasks\",\"gpu_milli\":1000}", GT_E_RANGE, "gpu_milli: must be between 0 and 999"},
    {"{\"gpu_milli\":500}", GT_E_INVALID, "gpu_milli: a share of one GPU is for serve replicas"},
    {"{\"gpus\":0.5}", GT_E_INVALID, "gpu_milli: a share of one GPU is for serve replicas"},
    {"{\"kind\":\"tasks\",\"gpus\":2,\"gpu_milli\":500}", GT_E_INVALID,
     "gpu_milli: a share is part of one GPU: gpus must be 1, got 2"},
    {"{\"kind\":\"serve\",\"gpus\":0,\"cpus\":1,\"gpu_memory_mb\":100}", GT_E_INVALID,
     "gpu_memory_mb: a share is part of one GPU"},
    {"{\"kind\":\"tasks\",\"gpus\":0.0001}", GT_E_RANGE, "gpus: a fraction of one GPU"},
    {"{\"kind\":\"tasks\",\"gpus\":0.2505}", GT_E_RANGE, "gpus: a fraction of one GPU"},
    {"{\"kind\":\"tasks\",\"gpus\":-0.5}", GT_E_RANGE, "gpus: a fraction of one GPU"},
    {"{\"kind\":\"tasks\",\"gpu_memory_mb\":-1}", GT_E_RANGE, "gpu_memory_mb"},
    {"[1,2]", GT_E_INVALID, "object"},
    {"{\"gpus\":2,\"gpus\":4}", GT_E_PARSE, "gpus"},
    {"{\"gpus\":}", GT_E_PARSE, "job.json:1:"},
    {"{\"gpus\":4}\n{}", GT_E_PARSE, "job.json:"},
    {"", GT_E_PARSE, "job.json:"},
    {"{\"gpus\":99999999999999999999999}", GT_E_PARSE, "job.json:"},
};

/* A share of one GPU: a fraction in gpus, or gpu_milli, and GPU memory; a model set. */
static void test_shares(void **state) {
    (void)state;
    gt_jobspec s;
    gt_error err;
    const char *doc = "{\"kind\":\"tasks\",\"tasks\":4,\"gpus\":0.25,\"gpu_memory_mb\":4096,"
                      "\"gpu_model\":\"V100M16|V100M32\"}";
    assert_int_equal(gt_jobspec_parse_json(doc, strlen(doc), "j", &s, &err), GT_E_OK);
    assert_int_equal(s.gpus, 1);
    assert_int_equal(s.gpu_milli, 250);
    assert_int_equal(s.gpu_memory_mb, 4096);
    assert_string_equal(s.gpu_model, "V100M16|V100M32");
    char buf[1024];
    gt_jobspec_to_json(&s, buf, sizeof buf);
    assert_non_null(strstr(buf, "\"gpu_milli\":250"));
    gt_jobspec back;
    assert_int_equal(gt_jobspec_parse_json(buf, strlen(buf), "j", &back, &err), GT_E_OK);
    assert_true(gt_jobspec_equal(&s, &back, 1));
    doc = "{\"kind\":\"serve\",\"gpus\":1,\"gpu_milli\":300}";
    assert_int_equal(gt_jobspec_parse_json(doc, strlen(doc), "j", &s, &err), GT_E_OK);
    assert_int_equal(s.gpu_milli, 300);
}

static void test_errors(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof bad_docs / sizeof bad_docs[0]; i++) {
        const struct bad *b = &bad_docs[i];
        gt_jobspec s;
        gt_jobspec_init(&s);
        s.gpus = 77; /* must stay untouched on error */
        gt_error err;
        gt_err rc = parse(b->doc, &s, &err);
        char line[512];
        gt_error_str(&err, line, sizeof line);
        if (rc != b->code || err.code != b->code || !strstr(line, b->needle))
            fail_msg("doc %s: got %s (%s), want %s containing '%s'", b->doc, gt_err_name(rc), line,
                     gt_err_name(b->code), b->needle);
        assert_int_equal(s.gpus, 77);
        if (b->code != GT_E_PARSE)
            assert_string_equal(err.where, "job.json");
    }
}

static void test_parse_error_position(void **state) {
    (void)state;
    gt_jobspec s;
    gt_error err;
    assert_int_equal(parse("{\n  \"gpus\": 1,\n  \"tenant\": x\n}", &s, &err), GT_E_PARSE);
    assert_non_null(strstr(err.where, "job.json:3:"));
    /* NULL err and NULL where are allowed. */
    assert_int_equal(gt_jobspec_parse_json("{", 1, NULL, &s, NULL), GT_E_PARSE);
    assert_int_equal(gt_jobspec_parse_json("{\"x\":1}", 7, NULL, &s, NULL), GT_E_UNKNOWN_FIELD);
}

/* Every proper prefix of a valid document is invalid JSON: each must fail cleanly. The copy
 * is exactly `len` bytes (no NUL) so the sanitizer build catches any read past the end. */
static void test_truncated_prefixes(void **state) {
    (void)state;
    size_t n = strlen(full_train);
    for (size_t len = 0; len < n; len++) {
        char *copy = malloc(len ? len : 1);
        assert_non_null(copy);
        memcpy(copy, full_train, len);
        gt_jobspec s;
        gt_error err = {0};
        gt_err rc = gt_jobspec_parse_json(copy, len, "t.json", &s, &err);
        free(copy);
        assert_int_equal(rc, GT_E_PARSE);
        assert_int_equal(err.code, GT_E_PARSE);
        assert_non_null(strstr(err.where, "t.json:"));
    }
    gt_jobspec s;
    assert_int_equal(gt_jobspec_parse_json(full_train, n, "t.json", &s, NULL), GT_E_OK);
}

static void test_validate_struct(void **state) {
    (void)state;
    gt_jobspec s;
    gt_error err;
    gt_jobspec_init(&s);
    memset(s.gpu_model, 'A', sizeof s.gpu_model); /* no NUL inside the array */
    assert_int_equal(gt_jobspec_validate(&s, "w", &err), GT_E_RANGE);
    assert_non_null(strstr(err.msg, "gpu_model:"));
    gt_jobspec_init(&s);
    s.kind = GT_KIND_TRAIN;
    s.replicas_max = 2;
    assert_int_equal(gt_jobspec_validate(&s, "w", &err), GT_E_INVALID);
    assert_non_null(strstr(err.msg, "replicas:"));
    gt_jobspec_init(&s);
    s.kind = (gt_kind)7;
    assert_int_equal(gt_jobspec_validate(&s, "w", &err), GT_E_INVALID);
    gt_jobspec_init(&s);
    s.submit_ms = -1;
    assert_int_equal(gt_jobspec_validate(&s, "trace.csv:12", &err), GT_E_RANGE);
    char line[400];
    assert_string_equal(gt_error_str(&err, line, sizeof line),
                        "trace.csv:12: submit_s: must be between 0 and 315360000 seconds");
    gt_jobspec_init(&s);
    memcpy(s.name, "\xc3\x28", 3); /* invalid UTF-8 */
    assert_int_equal(gt_jobspec_validate(&s, "w", &err), GT_E_INVALID);
    assert_non_null(strstr(err.msg, "name:"));
}

static void test_names(void **state) {
    (void)state;
    for (int k = 0; k < GT_KIND__COUNT; k++)
        assert_int_equal(gt_kind_parse(gt_kind_name((gt_kind)k)), k);
    assert_int_equal(gt_kind_parse("Train"), -1);
    assert_int_equal(gt_kind_parse(NULL), -1);
    assert_string_equal(gt_kind_name((gt_kind)9), "unknown");
    for (int p = 0; p <= GT_PRIO_CRITICAL; p++) {
        assert_int_equal(gt_prio_parse(gt_prio_name(p)), p);
        char d[2] = {(char)('0' + p), 0};
        assert_int_equal(gt_prio_parse(d), p);
    }
    assert_int_equal(gt_prio_parse("4"), -1);
    assert_int_equal(gt_prio_parse("01"), -1);
    assert_int_equal(gt_prio_parse(""), -1);
    assert_string_equal(gt_prio_name(-1), "unknown");
}

static void test_equal(void **state) {
    (void)state;
    gt_jobspec a, b;
    gt_jobspec_init(&a);
    gt_jobspec_init(&b);
    assert_true(gt_jobspec_equal(&a, &b, 1));
    b.estimate_ms = 1000;
    assert_false(gt_jobspec_equal(&a, &b, 1));
    gt_jobspec_init(&b);
    snprintf(b.name, sizeof b.name, "other");
    assert_false(gt_jobspec_equal(&a, &b, 1));
    assert_true(gt_jobspec_equal(&a, &b, 0)); /* names ignored */
    snprintf(b.gpu_model, sizeof b.gpu_model, "H100");
    assert_false(gt_jobspec_equal(&a, &b, 0));
}

/* A service of roles: one document per role, the group's fields under the role's own, the
 * marker that pairs them; each bad part named. */
static json_t *roles_of(const char *doc, gt_err want, const char *needle) {
    json_error_t je;
    json_t *root = json_loads(doc, 0, &je), *out = NULL;
    assert_non_null(root);
    gt_error err = {0};
    gt_err rc = gt_jobspec_roles(root, "svc.json", &out, &err);
    char line[512];
    gt_error_str(&err, line, sizeof line);
    json_decref(root);
    if (rc != want || (needle && !strstr(line, needle)))
        fail_msg("doc %s: got %s (%s), want %s containing '%s'", doc, gt_err_name(rc),
                 rc ? line : "", gt_err_name(want), needle ? needle : "");
    return out;
}

static void test_roles(void **state) {
    (void)state;
    json_t *a = roles_of(
        "{\"name\":\"llm\",\"kind\":\"serve\",\"within\":\"domain\",\"gpus\":2,\"command\":[\"x\"],"
        "\"replicas\":{\"min\":1,\"max\":3},\"ratio\":{\"prefill\":1,\"decode\":2},"
        "\"roles\":[{\"name\":\"prefill\",\"gpus\":4},{\"name\":\"decode\",\"command\":[\"y\"]}]}",
        GT_E_OK, NULL);
    assert_int_equal(json_array_size(a), 2);
    gt_jobspec s;
    gt_error err;
    json_t *p = json_array_get(a, 0), *d = json_array_get(a, 1);
    assert_int_equal(gt_jobspec_from_json(p, "p", &s, &err), GT_E_OK);
    assert_string_equal(s.name, "llm-prefill");
    assert_int_equal(s.gpus, 4);
    assert_int_equal(s.replicas_min, 1);
    assert_int_equal(s.replicas_max, 3);
    assert_int_equal(gt_jobspec_from_json(d, "d", &s, &err), GT_E_OK);
    assert_string_equal(s.name, "llm-decode");
    assert_int_equal(s.gpus, 2); /* the group's */
    assert_int_equal(s.replicas_min, 2);
    assert_int_equal(s.replicas_max, 6);
    assert_string_equal(json_string_value(json_array_get(json_object_get(d, "command"), 0)), "y");
    json_t *m = json_object_get(d, "role");
    assert_string_equal(json_string_value(json_object_get(m, "name")), "decode");
    assert_int_equal(json_integer_value(json_object_get(m, "index")), 1);
    assert_int_equal(json_integer_value(json_object_get(m, "per")), 2);
    assert_int_equal(json_integer_value(json_object_get(m, "anchor_per")), 1);
    assert_string_equal(json_string_value(json_object_get(m, "within")), "domain");
    assert_null(json_object_get(d, "roles"));
    json_decref(a);
    /* Without a ratio each role keeps its own replicas and is not paired. */
    a = roles_of("{\"kind\":\"serve\",\"roles\":[{\"name\":\"router\",\"replicas\":{\"max\":2}},"
                 "{\"name\":\"worker\"}]}",
                 GT_E_OK, NULL);
    assert_int_equal(gt_jobspec_from_json(json_array_get(a, 0), "r", &s, &err), GT_E_OK);
    assert_string_equal(s.name, "router");
    assert_int_equal(s.replicas_max, 2);
    m = json_object_get(json_array_get(a, 1), "role");
    assert_int_equal(json_integer_value(json_object_get(m, "per")), 0);
    json_decref(a);
    assert_null(roles_of("{\"gpus\":1}", GT_E_OK, NULL));
    static const struct bad bad[] = {
        {"{\"roles\":[{\"name\":\"a\"}]}", GT_E_INVALID, "roles: only for kind serve"},
        {"{\"kind\":\"serve\",\"roles\":[]}", GT_E_INVALID, "roles: expected a list of 1 to 8"},
        {"{\"kind\":\"serve\",\"roles\":[1]}", GT_E_INVALID, "roles[0]: expected an object"},
        {"{\"kind\":\"serve\",\"roles\":[{\"name\":\"A\"}]}", GT_E_INVALID, "roles[0].name"},
        {"{\"kind\":\"serve\",\"roles\":[{\"name\":\"a\"},{\"name\":\"a\"}]}", GT_E_INVALID,
         "roles[1].name: 'a' is named twice"},
        {"{\"kind\":\"serve\",\"roles\":[{\"name\":\"a\",\"tenant\":\"x\"}]}", GT_E_INVALID,
         "roles[0].tenant: set for the whole service"},
        {"{\"kind\":\"serve\",\"ratio\":{\"a\":1},\"roles\":[{\"name\":\"a\",\"replicas\":{}}]}",
         GT_E_INVALID, "roles[0].replicas: with a ratio"},
        {"{\"kind\":\"serve\",\"ratio\":{\"b\":1},\"roles\":[{\"name\":\"a\"}]}", GT_E_INVALID,
         "ratio.b: no role of that name"},
        {"{\"kind\":\"serve\",\"ratio\":{\"a\":0},\"roles\":[{\"name\":\"a\"}]}", GT_E_RANGE,
         "ratio.a: expected an integer from 1 to 1000"},
        {"{\"kind\":\"serve\",\"ratio\":{\"a\":1},\"roles\":[{\"name\":\"a\"},{\"name\":\"b\"}]}",
         GT_E_INVALID, "ratio: role 'b' has no count"},
        {"{\"kind\":\"serve\",\"ratio\":{},\"gpus\":1}", GT_E_INVALID, "ratio: only with roles"},
        {"{\"kind\":\"serve\",\"role\":{},\"roles\":[{\"name\":\"a\"}]}", GT_E_INVALID,
         "role: set by gantry"},
        {"{\"kind\":\"serve\",\"roles\":[{\"name\":\"a\",\"gpus\":0}]}", GT_E_RANGE,
         "roles[0] (a)"},
        {"{\"kind\":\"serve\",\"roles\":[{\"name\":\"a\",\"scale\":{\"metric\":\"q\"}}]}",
         GT_E_INVALID, "scale: expected an object with"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_null(roles_of(bad[i].doc, bad[i].code, bad[i].needle));
    /* The marker only as gantry writes it. */
    assert_int_equal(parse("{\"kind\":\"serve\",\"role\":{\"name\":\"a\"}}", &s, &err),
                     GT_E_INVALID);
    assert_int_equal(parse("{\"kind\":\"serve\",\"role\":{\"name\":\"a\",\"index\":0,\"of\":1,"
                           "\"per\":0,\"anchor_per\":0,\"within\":\"\"}}",
                           &s, &err),
                     GT_E_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_shares),
        cmocka_unit_test(test_full_values),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_rendering),
        cmocka_unit_test(test_serve_fields),
        cmocka_unit_test(test_replicas_defaults),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_parse_error_position),
        cmocka_unit_test(test_truncated_prefixes),
        cmocka_unit_test(test_validate_struct),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
