/* SPDX-License-Identifier: MIT
 * Unit tests for job traces: the CSV reader and writer, and the synthetic generator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "srcfile.h"
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/trace.h"
#include "util/strbuf.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static gt_err parse_text(gt_trace *t, const char *text, gt_error *err) {
    memset(err, 0, sizeof *err);
    return gt_trace_parse_csv(t, text, strlen(text), "t.csv", err);
}

static void write_csv(const gt_trace *t, gt_sb *sb) {
    gt_sb_init(sb);
    gt_trace_write_csv(t, (struct gt_sb *)sb);
    assert_false(sb->oom);
}

static const gt_jobspec *find(const gt_trace *t, const char *id) {
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->jobs[i].id, id) == 0)
            return &t->jobs[i];
    fail_msg("job %s not found", id);
    return NULL;
}

static size_t index_of(const gt_trace *t, const char *id) {
    return (size_t)(find(t, id) - t->jobs);
}

static void assert_sorted_valid(const gt_trace *t) {
    gt_error err;
    for (size_t i = 0; i < t->n; i++) {
        if (i > 0)
            assert_true(t->jobs[i - 1].submit_ms <= t->jobs[i].submit_ms);
        if (gt_jobspec_validate(&t->jobs[i], "job", &err) != GT_E_OK)
            fail_msg("job %zu: %s", i, err.msg);
    }
}

static void load_sample(gt_trace *t) {
    char path[1024];
    size_t len = 0;
    gt_error err;
    src_path(path, sizeof path, "tests/data/sample.csv");
    char *text = read_file(path, &len);
    if (!text)
        fail_msg("cannot read %s", path);
    gt_err rc = gt_trace_parse_csv(t, text, len, "sample.csv", &err);
    free(text);
    if (rc != GT_E_OK)
        fail_msg("sample.csv: %s: %s", err.where, err.msg);
}

/* ---- the reader --------------------------------------------------------------------------- */

static void test_sample_values(void **state) {
    (void)state;
    gt_trace t;
    gt_trace_init(&t);
    load_sample(&t);
    assert_int_equal(t.n, 30);
    assert_sorted_valid(&t);
    const gt_jobspec *s = find(&t, "tr-002");
    assert_int_equal(s->kind, GT_KIND_TRAIN);
    assert_int_equal(s->submit_ms, 12500);
    assert_int_equal(s->gpus, 64);
    assert_int_equal(s->gpus_per_node, 4);
    assert_int_equal(s->cpus, 32);
    assert_int_equal(s->memory_mb, 262144);
    assert_string_equal(s->gpu_model, "GB200");
    assert_int_equal(s->priority, GT_PRIO_HIGH);
    assert_int_equal(s->estimate_ms, 7200000);
    assert_int_equal(s->time_limit_ms, 14400000);
    assert_string_equal(s->within, "domain");
    assert_int_equal(s->duration_ms, 5400250);
    assert_string_equal(s->tenant, "research");
    s = find(&t, "sv-001");
    assert_int_equal(s->kind, GT_KIND_SERVE);
    assert_int_equal(s->gpus, 8);
    assert_int_equal(s->replicas_min, 2);
    assert_int_equal(s->replicas_max, 4);
    assert_int_equal(s->duration_ms, 86400000);
    s = find(&t, "tk-001");
    assert_int_equal(s->kind, GT_KIND_TASKS);
    assert_int_equal(s->gpus, 0);
    assert_int_equal(s->cpus, 4);
    assert_int_equal(s->memory_mb, 8192);
    assert_int_equal(s->tasks, 1000);
    assert_int_equal(s->priority, GT_PRIO_LOW);
    assert_int_equal(s->estimate_ms, 120000);
    assert_int_equal(s->time_limit_ms, 300000);
    gt_trace_free(&t);
}

static void test_sample_defaults_and_order(void **state) {
    (void)state;
    gt_trace t;
    gt_trace_init(&t);
    load_sample(&t);
    const gt_jobspec *s = find(&t, "tr-003"); /* empty optional cells */
    assert_int_equal(s->kind, GT_KIND_TRAIN);
    assert_int_equal(s->priority, GT_PRIO_NORMAL);
    assert_int_equal(s->gpus, 1);
    assert_int_equal(s->gpus_per_node, 0);
    assert_int_equal(s->estimate_ms, 0);
    assert_string_equal(s->gpu_model, "");
    assert_int_equal(find(&t, "tr-004")->priority, GT_PRIO_CRITICAL); /* "3" */
    assert_int_equal(find(&t, "tr-004")->submit_ms, 75001);
    assert_int_equal(find(&t, "tk-004")->submit_ms, 160235); /* 160.2345 rounds up */
    assert_int_equal(find(&t, "tk-004")->duration_ms, 20500);
    assert_int_equal(find(&t, "tr-013")->duration_ms, 1234567);
    assert_int_equal(find(&t, "sv-002")->replicas_min, 3); /* min_count defaults to count */
    assert_int_equal(find(&t, "sv-002")->replicas_max, 3);
    assert_int_equal(find(&t, "tk-003")->tasks, 1);
    assert_int_equal(find(&t, "tr-007")->gpus, 0);
    assert_int_equal(find(&t, "tr-007")->cpus, 8);
    assert_string_equal(t.jobs[t.n - 1].id, ""); /* last row: empty id and tenant */
    assert_string_equal(t.jobs[t.n - 1].tenant, "default");
    /* Sorted by submit; equal submit times keep file order. */
    assert_int_equal(index_of(&t, "tr-006"), index_of(&t, "tk-001") + 1);
    assert_int_equal(index_of(&t, "tr-003"), index_of(&t, "tr-006") + 1);
    size_t a = index_of(&t, "tk-002");
    assert_int_equal(index_of(&t, "tr-005"), a + 1);
    assert_int_equal(index_of(&t, "tk-003"), a + 2);
    gt_trace_free(&t);
}

struct bad {
    const char *csv;
    gt_err code;
    const char *needle; /* in "where: msg" */
};

#define H "job_id,submit_s,gpus,duration_s,tenant,status\n"
#define OK_ROW "a,1,1,10,x,done\n"

static const struct bad bad_csv[] = {
    {H OK_ROW "# comment\n" OK_ROW "b,1,4x,10,x,done\n", GT_E_INVALID, "t.csv:5: gpus:"},
    {H OK_ROW "b,1,10,x,done\n", GT_E_PARSE, "t.csv:3: expected 6 fields, got 5"},
    {H OK_ROW "b,1,1,10,x,done,\n", GT_E_PARSE, "t.csv:3: expected 6 fields, got 7"},
    {"job_id,submit_s,gpu,duration_s,tenant,status\n", GT_E_UNKNOWN_FIELD, "t.csv:1: gpu:"},
    {"# c\n\njob_id,submit_s,gpus,duration_s,tenant,status,gpus\n", GT_E_INVALID,
     "t.csv:3: gpus: duplicate"},
    {"job_id,submit_s,gpus,duration_s,status\n", GT_E_INVALID, "t.csv:1: tenant: missing"},
    {H OK_ROW "\"b\",1,1,10,x,done\n", GT_E_PARSE, "t.csv:3: quoted"},
    {H "b,1,-4,10,x,done\n", GT_E_RANGE, "t.csv:2: gpus: must not be negative"},
    {H "b,1,99999999999999999999999,10,x,done\n", GT_E_RANGE, "t.csv:2: gpus:"},
    {H "b,1,1048577,10,x,done\n", GT_E_RANGE, "t.csv:2: gpus:"},
    {H "b,1e3,1,10,x,done\n", GT_E_INVALID, "t.csv:2: submit_s:"},
    {H "b,1.,1,10,x,done\n", GT_E_INVALID, "t.csv:2: submit_s:"},
    {H "b,.5,1,10,x,done\n", GT_E_INVALID, "t.csv:2: submit_s:"},
    {H "b, 5,1,10,x,done\n", GT_E_INVALID, "t.csv:2: submit_s:"},
    {H "b,1,1,-10,x,done\n", GT_E_RANGE, "t.csv:2: duration_s: must not be negative"},
    {H "b,1,1,315360001,x,done\n", GT_E_RANGE, "t.csv:2: duration_s:"},
    {H "b,1,1,99999999999999999999999999,x,done\n", GT_E_RANGE, "t.csv:2: duration_s:"},
    {H "b,,1,10,x,done\n", GT_E_INVALID, "t.csv:2: submit_s:"},
    {H "b,1,,10,x,done\n", GT_E_INVALID, "t.csv:2: gpus: empty"},
    {H "b,1,0,10,x,done\n", GT_E_RANGE, "t.csv:2: gpus:"},
    {H "b,1,1,10,x\ty,done\n", GT_E_INVALID, "t.csv:2: tenant: control"},
    {H "0123456789012345678901234567890123456789012345678901234567890123,1,1,10,x,done\n",
     GT_E_RANGE, "t.csv:2: job_id:"},
    {"job_id,submit_s,gpus,duration_s,tenant,status,kind\na,1,1,10,x,done,\nb,1,1,10,x,done,"
     "batch\n",
     GT_E_INVALID, "t.csv:3: kind:"},
    {"job_id,submit_s,gpus,duration_s,tenant,status,gpus_per_node\nb,1,6,10,x,done,4\n",
     GT_E_INVALID, "t.csv:2: gpus_per_node:"},
    {"job_id,submit_s,gpus,duration_s,tenant,status,count\nb,1,6,10,x,done,4\n", GT_E_INVALID,
     "t.csv:2: count:"},
    {"job_id,submit_s,gpus,duration_s,tenant,status,kind,count,min_count\n"
     "b,1,1,10,x,done,serve,2,3\n",
     GT_E_RANGE, "t.csv:2: min_count:"},
    {"job_id,submit_s,gpus,duration_s,tenant,status,kind,count,min_count\n"
     "b,1,1,10,x,done,tasks,2,1\n",
     GT_E_INVALID, "t.csv:2: min_count:"},
    {"job_id,submit_s,gpus,duration_s,tenant,status,kind,count\nb,1,1,10,x,done,tasks,0\n",
     GT_E_RANGE, "t.csv:2: count:"},
    {"job_id,submit_s,gpus,duration_s,tenant,status,priority\nb,1,1,10,x,done,urgent\n",
     GT_E_INVALID, "t.csv:2: priority:"},
    {"job_id,submit_s,gpus,duration_s,tenant,status,memory_mb\nb,1,1,10,x,done,1099511627777\n",
     GT_E_RANGE, "t.csv:2: memory_mb:"},
    {"job_id,submit_s,gpus,duration_s,tenant,status,gpu_milli\nb,1,1,10,x,done,1001\n", GT_E_RANGE,
     "t.csv:2: gpu_milli:"},
    {"job_id,submit_s,gpus,duration_s,tenant,status,gpu_milli\nb,1,2,10,x,done,500\n", GT_E_INVALID,
     "t.csv:2: gpu_milli: a share is part of one GPU"},
    {"job_id,submit_s,gpus,duration_s,tenant,status,gpu_milli\nb,1,1,10,x,done,0\n", GT_E_RANGE,
     "t.csv:2: gpu_milli: 0 with gpus 1"},
    {"job_id,submit_s,gpus,duration_s,tenant,status,kind,gpu_milli\nb,1,1,10,x,done,train,500\n",
     GT_E_INVALID, "t.csv:2: gpu_milli: a share of one GPU is for serve"},
    {"job_id,submit_s,gpus,duration_s,tenant,status,cpus,cpu_milli\nb,1,1,10,x,done,2,2000\n",
     GT_E_INVALID, "t.csv:2: cpu_milli: give cpus or cpu_milli"},
    {"", GT_E_PARSE, "no header"},
    {"# only a comment\n\n", GT_E_PARSE, "no header"},
};

/* The Alibaba trace's own columns (alibaba_openb_2023_ext.csv) read as they are: a share of
 * one GPU becomes a task, cores in thousandths are rounded up, a model set is kept; written
 * back and read again, the specs are equal. */
static void test_alibaba_columns(void **state) {
    (void)state;
    static const char csv[] =
        "job_id,submit_s,gpus,duration_s,tenant,status,gpu_milli,gpu_spec,qos,cpu_milli,"
        "memory_mib,queue_s\n"
        "p0,0,1,100,,Running,1000,,LS,12000,16384,0\n"
        "p1,5,1,50,,Running,460,V100M16|V100M32,BE,6500,12288,0\n"
        "p2,7,0,50,,Running,0,,BE,500,1024,3\n";
    gt_trace t, back;
    gt_trace_init(&t);
    gt_trace_init(&back);
    gt_error err;
    if (gt_trace_parse_csv(&t, csv, sizeof csv - 1, "a.csv", &err) != GT_E_OK)
        fail_msg("%s: %s", err.where, err.msg);
    assert_int_equal(t.n, 3);
    assert_int_equal(t.jobs[0].kind, GT_KIND_TRAIN);
    assert_int_equal(t.jobs[0].gpu_milli, 0);
    assert_int_equal(t.jobs[0].cpus, 12);
    assert_int_equal(t.jobs[1].kind, GT_KIND_TASKS);
    assert_int_equal(t.jobs[1].gpu_milli, 460);
    assert_int_equal(t.jobs[1].cpus, 7);
    assert_int_equal(t.jobs[1].memory_mb, 12288);
    assert_string_equal(t.jobs[1].gpu_model, "V100M16|V100M32");
    assert_int_equal(t.jobs[2].gpus, 0);
    assert_int_equal(t.jobs[2].cpus, 1);
    gt_sb b;
    gt_sb_init(&b);
    gt_trace_write_csv(&t, (struct gt_sb *)(void *)&b);
    if (gt_trace_parse_csv(&back, b.s, b.len, "back.csv", &err) != GT_E_OK)
        fail_msg("%s: %s", err.where, err.msg);
    assert_int_equal(back.n, 3);
    for (size_t i = 0; i < 3; i++)
        assert_true(gt_jobspec_equal(&t.jobs[i], &back.jobs[i], 0));
    gt_sb_free(&b);
    gt_trace_free(&t);
    gt_trace_free(&back);
}

static void test_errors(void **state) {
    (void)state;
    gt_trace t;
    gt_trace_init(&t);
    gt_error err;
    assert_int_equal(parse_text(&t, H "keep,5,2,10,x,done\n", &err), GT_E_OK);
    for (size_t i = 0; i < sizeof bad_csv / sizeof bad_csv[0]; i++) {
        gt_err rc = parse_text(&t, bad_csv[i].csv, &err);
        char line[512];
        gt_error_str(&err, line, sizeof line);
        if (rc != bad_csv[i].code || err.code != rc || !strstr(line, bad_csv[i].needle))
            fail_msg("case %zu: got %s '%s', want %s '%s'", i, gt_err_name(rc), line,
                     gt_err_name(bad_csv[i].code), bad_csv[i].needle);
        /* Nothing appended, nothing changed. */
        assert_int_equal(t.n, 1);
        assert_string_equal(t.jobs[0].id, "keep");
    }
    gt_trace_free(&t);
}

static void test_line_limit(void **state) {
    (void)state;
    size_t n = 5000;
    char *text = malloc(n + 200);
    assert_non_null(text);
    int k = snprintf(text, 200, H OK_ROW "b,1,1,10,");
    memset(text + k, 'y', n);
    strcpy(text + k + n, ",done\n");
    gt_trace t;
    gt_trace_init(&t);
    gt_error err;
    assert_int_equal(parse_text(&t, text, &err), GT_E_LIMIT);
    assert_string_equal(err.where, "t.csv:3");
    assert_int_equal(t.n, 0);
    free(text);
    gt_trace_free(&t);
}

static void test_format_tolerance(void **state) {
    (void)state;
    const char *lf = "job_id,submit_s,gpus,duration_s,tenant,status\n"
                     "a,3,1,10,x,done\n"
                     "b,1,2,20,y,done\n";
    const char *crlf = "\xef\xbb\xbf# comment\r\n\r\n"
                       "job_id,submit_s,gpus,duration_s,tenant,status\r\n"
                       "\n# another\n"
                       "a,3,1,10,x,done\r\n"
                       "b,1,2,20,y,done"; /* no final newline */
    gt_trace a, b;
    gt_trace_init(&a);
    gt_trace_init(&b);
    gt_error err;
    assert_int_equal(parse_text(&a, lf, &err), GT_E_OK);
    assert_int_equal(parse_text(&b, crlf, &err), GT_E_OK);
    assert_int_equal(a.n, 2);
    assert_int_equal(b.n, 2);
    assert_memory_equal(a.jobs, b.jobs, 2 * sizeof *a.jobs);
    assert_string_equal(a.jobs[0].id, "b");
    assert_string_equal(a.jobs[1].tenant, "x");
    /* Not NUL-terminated: parse exactly len bytes of a larger buffer. */
    gt_trace c;
    gt_trace_init(&c);
    assert_int_equal(gt_trace_parse_csv(&c, lf, strlen(lf) - 16, NULL, &err), GT_E_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.jobs[0].id, "a");
    gt_trace_free(&a);
    gt_trace_free(&b);
    gt_trace_free(&c);
    gt_trace_free(NULL);
}

static void test_append_keeps_order(void **state) {
    (void)state;
    gt_trace t;
    gt_trace_init(&t);
    gt_error err;
    assert_int_equal(parse_text(&t, H "a,10,1,1,x,\nb,20,1,1,x,\n", &err), GT_E_OK);
    assert_int_equal(parse_text(&t, H "c,20,1,1,x,\nd,5,1,1,x,\ne,10,1,1,x,\n", &err), GT_E_OK);
    const char *want[] = {"d", "a", "e", "b", "c"};
    assert_int_equal(t.n, 5);
    for (int i = 0; i < 5; i++)
        assert_string_equal(t.jobs[i].id, want[i]);
    gt_trace_free(&t);
}

static void test_real_traces(void **state) {
    (void)state;
    char dir[1024];
    src_path(dir, sizeof dir, "../shared/traces");
    DIR *d = opendir(dir);
    if (!d) {
        printf("note: %s not found; real traces not checked\n", dir);
        return;
    }
    struct dirent *e;
    size_t files = 0, total = 0;
    while ((e = readdir(d)) != NULL) {
        size_t nl = strlen(e->d_name);
        /* The ITP traces (clusterNN.csv) are in gantry's trace format; the Alibaba files
         * beside them are not (their own columns; issue 13's loader reads them). */
        if (nl < 4 || strcmp(e->d_name + nl - 4, ".csv") != 0 || strncmp(e->d_name, "cluster", 7))
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len = 0;
        char *text = read_file(path, &len);
        assert_non_null(text);
        gt_trace t;
        gt_trace_init(&t);
        gt_error err;
        if (gt_trace_parse_csv(&t, text, len, e->d_name, &err) != GT_E_OK)
            fail_msg("%s: %s", err.where, err.msg);
        assert_true(t.n > 0);
        assert_sorted_valid(&t);
        if (strcmp(e->d_name, "cluster01.csv") == 0)
            assert_int_equal(t.n, 1595);
        files++;
        total += t.n;
        free(text);
        gt_trace_free(&t);
    }
    closedir(d);
    printf("note: %zu real traces, %zu jobs parsed\n", files, total);
    assert_true(files > 0);
}

/* ---- the writer --------------------------------------------------------------------------- */

static void check_round_trip(const gt_trace *t) {
    gt_sb a, b;
    write_csv(t, &a);
    gt_trace u;
    gt_trace_init(&u);
    gt_error err;
    if (gt_trace_parse_csv(&u, a.s, a.len, "written.csv", &err) != GT_E_OK)
        fail_msg("%s: %s", err.where, err.msg);
    assert_int_equal(u.n, t->n);
    for (size_t i = 0; i < t->n; i++)
        if (memcmp(&t->jobs[i], &u.jobs[i], sizeof u.jobs[i]) != 0)
            fail_msg("job %zu (%s) differs after the round trip", i, t->jobs[i].id);
    write_csv(&u, &b);
    assert_string_equal(a.s, b.s);
    gt_sb_free(&a);
    gt_sb_free(&b);
    gt_trace_free(&u);
}

/* depends_on names rows above by job_id; the positions follow the sort by submission; a
 * trace written and read again keeps them. */
static void test_dependencies(void **state) {
    (void)state;
    gt_trace t;
    gt_trace_init(&t);
    gt_error err;
    const char *csv = "job_id,submit_s,gpus,duration_s,tenant,status,depends_on\n"
                      "prep,5,1,60,x,,\n"
                      "train,2,8,600,x,,afterok:prep\n" /* submitted before prep: refused */;
    assert_int_equal(gt_trace_parse_csv(&t, csv, strlen(csv), "t.csv", &err), GT_E_INVALID);
    assert_non_null(strstr(err.msg, "job_id 'prep' is submitted after this job"));
    assert_int_equal(t.n, 0);
    csv = "job_id,submit_s,gpus,duration_s,tenant,status,cpus,depends_on\n"
          "late,9,1,10,x,,1,\n"
          "prep,5,0,60,x,,1,\n"
          "train,5,8,600,x,,8,afterok:prep\n"
          "eval,6,1,60,x,,1,afterok:train;afterany:prep:late\n";
    assert_int_equal(gt_trace_parse_csv(&t, csv, strlen(csv), "t.csv", &err), GT_E_INVALID);
    assert_non_null(strstr(err.msg, "job_id 'late' is submitted after this job"));
    csv = "job_id,submit_s,gpus,duration_s,tenant,status,cpus,depends_on\n"
          "late,9,1,10,x,,1,afterany:eval\n"
          "prep,5,0,60,x,,1,\n"
          "train,5,8,600,x,,8,afterok:prep\n"
          "eval,6,1,60,x,,1,afterok:train;afterany:prep\n";
    assert_int_equal(gt_trace_parse_csv(&t, csv, strlen(csv), "t.csv", &err), GT_E_INVALID);
    assert_non_null(strstr(err.msg, "job_id 'eval' is not in a row above"));
    csv = "job_id,submit_s,gpus,duration_s,tenant,status,cpus,depends_on\n"
          "prep,5,0,60,x,,1,\n"
          "train,5,8,600,x,,8,afterok:prep\n"
          "eval,6,1,60,x,,1,afterok:train;afterany:prep\n"
          "late,9,1,10,x,,1,afternotok:eval\n";
    if (gt_trace_parse_csv(&t, csv, strlen(csv), "t.csv", &err))
        fail_msg("%s: %s", err.where, err.msg);
    /* a second file goes first in submission order: positions shift */
    const char *first = "job_id,submit_s,gpus,duration_s,tenant,status\nearly,1,1,10,x,\n";
    assert_int_equal(gt_trace_parse_csv(&t, first, strlen(first), "u.csv", &err), GT_E_OK);
    assert_int_equal(t.n, 5);
    assert_string_equal(t.jobs[3].id, "eval");
    assert_int_equal(t.jobs[3].ndeps, 2);
    assert_string_equal(t.jobs[t.jobs[3].dep_job[0]].id, "train");
    assert_int_equal(t.jobs[3].dep_type[0], GT_DEP_AFTEROK);
    assert_string_equal(t.jobs[t.jobs[3].dep_job[1]].id, "prep");
    assert_int_equal(t.jobs[3].dep_type[1], GT_DEP_AFTERANY);
    assert_string_equal(t.jobs[t.jobs[4].dep_job[0]].id, "eval");
    check_round_trip(&t);
    static const char *const bad[][2] = {
        {"a,1,1,1,x,,\nb,2,1,1,x,,later:a\n", "expected TYPE:JOB_ID"},
        {"a,1,1,1,x,,\nb,2,1,1,x,,afterok:\n", "expected TYPE:JOB_ID"},
        {"a,1,1,1,x,,\nb,2,1,1,x,,afterok:a::a\n", "job_id '' is not in a row above"},
        {"a,1,1,1,x,,\na,1,1,1,x,,\nb,2,1,1,x,,afterok:a\n", "'a' is another row's"},
        {"a,1,1,1,x,,\nb,2,1,1,x,,afterok:a:a:a:a:a:a:a:a:a\n", "at most 8 jobs"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "job_id,submit_s,gpus,duration_s,tenant,status,depends_on\n%s",
                 bad[i][0]);
        gt_trace u;
        gt_trace_init(&u);
        if (gt_trace_parse_csv(&u, text, strlen(text), "b.csv", &err) == GT_E_OK ||
            !strstr(err.msg, bad[i][1]))
            fail_msg("case %zu: %s", i, err.msg);
        gt_trace_free(&u);
    }
    gt_trace_free(&t);
}

static void test_write_round_trip(void **state) {
    (void)state;
    gt_trace t;
    gt_trace_init(&t);
    load_sample(&t);
    check_round_trip(&t);
    gt_sb sb;
    write_csv(&t, &sb);
    assert_non_null(strstr(sb.s, "job_id,submit_s,gpus,duration_s,tenant,status,kind,"
                                 "gpus_per_node,cpus,memory_mb,gpu_model,priority,estimate_s,"
                                 "time_limit_s,within,count,min_count,gpu_milli,gpu_memory_mb,"
                                 "cpu_milli,memory_mib,gpu_spec,qos,queue_s\n"));
    assert_non_null(strstr(sb.s, "\ntr-002,12.500,64,5400.250,research,,train,4,32,262144,"
                                 "GB200,high,7200,14400,domain,,,,,,,,,\n"));
    assert_non_null(strstr(sb.s, "\nsv-001,30,8,86400,product,,serve,8,16,131072,H100,high,,,"
                                 "node,4,2,,,,,,,\n"));
    gt_sb_free(&sb);
    gt_trace_free(&t);
    gt_trace_init(&t);
    gt_sb_init(&sb);
    gt_trace_write_csv(&t, (struct gt_sb *)&sb); /* empty trace: the header only */
    assert_int_equal(strchr(sb.s, '\n') - sb.s + 1, (long)sb.len);
    gt_sb_free(&sb);
}

/* ---- the generator ------------------------------------------------------------------------ */

static void synth(gt_trace *t, const gt_synth_params *p) {
    gt_error err;
    gt_trace_init(t);
    if (gt_synth_generate(t, p, &err) != GT_E_OK)
        fail_msg("synth: %s", err.msg);
    assert_int_equal(t->n, p->jobs);
}

static void test_synth_deterministic(void **state) {
    (void)state;
    gt_synth_params p;
    gt_synth_defaults(&p);
    p.jobs = 20000;
    p.seed = 42;
    p.gpu_model = "GB200";
    gt_trace a, b, c;
    synth(&a, &p);
    synth(&b, &p);
    p.seed = 43;
    synth(&c, &p);
    gt_sb sa, sb, sc;
    write_csv(&a, &sa);
    write_csv(&b, &sb);
    write_csv(&c, &sc);
    assert_int_equal(sa.len, sb.len);
    assert_memory_equal(sa.s, sb.s, sa.len);
    assert_true(sa.len != sc.len || memcmp(sa.s, sc.s, sa.len) != 0);
    assert_sorted_valid(&a);
    check_round_trip(&a);
    gt_sb_free(&sa);
    gt_sb_free(&sb);
    gt_sb_free(&sc);
    gt_trace_free(&a);
    gt_trace_free(&b);
    gt_trace_free(&c);
}

/* Work of a job: GPU-seconds or CPU-seconds (CPU tasks), the way the generator counts it. */
static void job_work(const gt_jobspec *s, double *gpu, double *cpu) {
    double units = s->kind == GT_KIND_TASKS   ? s->tasks
                   : s->kind == GT_KIND_SERVE ? s->replicas_max
                                              : 1;
    double sec = (double)s->duration_ms / 1000.0 * units;
    if (s->gpus > 0)
        *gpu += sec * s->gpus;
    else
        *cpu += sec * s->cpus;
}

static void test_synth_mix_and_load(void **state) {
    (void)state;
    gt_synth_params p;
    gt_synth_defaults(&p);
    p.jobs = 20000;
    gt_trace t;
    synth(&t, &p);
    assert_sorted_valid(&t);
    size_t kinds[GT_KIND__COUNT] = {0}, prio[4] = {0}, t0 = 0, t1 = 0, big = 0;
    double gpu = 0, cpu = 0;
    for (size_t i = 0; i < t.n; i++) {
        const gt_jobspec *s = &t.jobs[i];
        kinds[s->kind]++;
        prio[s->priority]++;
        t0 += strcmp(s->tenant, "t0") == 0;
        t1 += strcmp(s->tenant, "t1") == 0;
        job_work(s, &gpu, &cpu);
        assert_true(s->estimate_ms >= s->duration_ms);
        assert_int_equal(s->time_limit_ms, 2 * s->estimate_ms);
        assert_true(s->duration_ms <= 7LL * 24 * 3600 * 1000);
        if (s->kind == GT_KIND_TRAIN && s->gpus > p.gpus_per_node) {
            assert_int_equal(s->gpus_per_node, p.gpus_per_node);
            big++;
        }
        assert_true(s->gpus <= 1024);
    }
    assert_true(kinds[GT_KIND_TRAIN] > 9400 && kinds[GT_KIND_TRAIN] < 10600);
    assert_true(kinds[GT_KIND_SERVE] > 1700 && kinds[GT_KIND_SERVE] < 2300);
    assert_true(kinds[GT_KIND_TASKS] > 7400 && kinds[GT_KIND_TASKS] < 8600);
    assert_true(prio[GT_PRIO_NORMAL] > prio[GT_PRIO_LOW] && prio[GT_PRIO_LOW] > 0);
    assert_true(prio[GT_PRIO_HIGH] > 0);
    assert_true(t0 > t1 && t1 > 0);
    assert_true(big > 0);
    double span = (double)t.jobs[t.n - 1].submit_ms / 1000.0;
    double gload = gpu / span / (double)p.fleet_gpus, cload = cpu / span / (double)p.fleet_cpus;
    printf("note: span %.0f s, GPU load %.3f, CPU load %.3f (target %.2f)\n", span, gload, cload,
           p.load);
    assert_true(fabs(gload - p.load) <= 0.1 * p.load);
    assert_true(fabs(cload - p.load) <= 0.1 * p.load);
    gt_trace_free(&t);
}

static void test_synth_gpu_only_and_append(void **state) {
    (void)state;
    gt_synth_params p;
    gt_synth_defaults(&p);
    p.jobs = 3000;
    p.fleet_cpus = 0;
    p.fleet_gpus = 64;
    p.gpus_per_node = 8;
    p.share_tasks = 0.6;
    gt_trace t;
    synth(&t, &p);
    size_t tasks = 0;
    for (size_t i = 0; i < t.n; i++) {
        assert_true(t.jobs[i].gpus >= 1 && t.jobs[i].gpus <= 64);
        tasks += t.jobs[i].kind == GT_KIND_TASKS;
    }
    assert_true(tasks > 1300); /* 0.6 / (0.5 + 0.1 + 0.6) of the jobs */
    /* Appending a second workload merges it into submit order. */
    gt_error err;
    p.seed = 7;
    assert_int_equal(gt_synth_generate(&t, &p, &err), GT_E_OK);
    assert_int_equal(t.n, 6000);
    assert_sorted_valid(&t);
    gt_trace_free(&t);
}

static void test_synth_bad_params(void **state) {
    (void)state;
    gt_synth_params p;
    gt_trace t;
    gt_trace_init(&t);
    gt_error err;
    const char *fields[] = {"load:",     "fleet_gpus:", "gpus_per_node:", "share_serve:",
                            "ntenants:", "gpu_model:",  "fleet_cpus:"};
    for (int i = 0; i < 7; i++) {
        gt_synth_defaults(&p);
        p.jobs = 10;
        switch (i) {
        case 0:
            p.load = 0;
            break;
        case 1:
            p.fleet_gpus = 0;
            break;
        case 2:
            p.gpus_per_node = 64;
            break;
        case 3:
            p.share_serve = -0.5;
            break;
        case 4:
            p.ntenants = 0;
            break;
        case 5:
            p.gpu_model = "0123456789012345678901234567890123456789";
            break;
        default:
            p.fleet_cpus = -1;
            break;
        }
        assert_int_equal(gt_synth_generate(&t, &p, &err), GT_E_RANGE);
        assert_non_null(strstr(err.msg, fields[i]));
        assert_int_equal(t.n, 0);
    }
    gt_synth_defaults(&p);
    p.gpu_model = "H100,SXM";
    assert_int_equal(gt_synth_generate(&t, &p, &err), GT_E_INVALID);
    assert_non_null(strstr(err.msg, "gpu_model:"));
    gt_synth_defaults(&p);
    p.jobs = 2000;
    p.load = 1e-6; /* the arrivals would take centuries */
    assert_int_equal(gt_synth_generate(&t, &p, &err), GT_E_RANGE);
    assert_non_null(strstr(err.msg, "load:"));
    assert_int_equal(t.n, 0);
    gt_synth_defaults(&p);
    p.jobs = 0;
    assert_int_equal(gt_synth_generate(&t, &p, &err), GT_E_OK);
    assert_int_equal(t.n, 0);
    gt_trace_free(&t);
}

static void test_synth_million(void **state) {
    (void)state;
    gt_synth_params p;
    gt_synth_defaults(&p);
    p.jobs = 1000000;
    p.fleet_gpus = 500000;
    p.fleet_cpus = 10000000;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    gt_trace t;
    synth(&t, &p);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("note: 1,000,000 synthetic jobs in %.3f s%s\n", s, SANITIZED ? " (sanitized)" : "");
    if (!SANITIZED)
        assert_true(s < 2.0);
    assert_true(t.jobs[0].submit_ms <= t.jobs[t.n - 1].submit_ms);
    gt_trace_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_values),
        cmocka_unit_test(test_sample_defaults_and_order),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_alibaba_columns),
        cmocka_unit_test(test_line_limit),
        cmocka_unit_test(test_format_tolerance),
        cmocka_unit_test(test_append_keeps_order),
        cmocka_unit_test(test_real_traces),
        cmocka_unit_test(test_write_round_trip),
        cmocka_unit_test(test_dependencies),
        cmocka_unit_test(test_synth_deterministic),
        cmocka_unit_test(test_synth_mix_and_load),
        cmocka_unit_test(test_synth_gpu_only_and_append),
        cmocka_unit_test(test_synth_bad_params),
        cmocka_unit_test(test_synth_million),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
