/* SPDX-License-Identifier: MIT
 * JSON text when memory runs out (STYLE.md point 6: fail the Nth allocation). jansson's
 * own allocator is replaced by one that fails the Nth allocation of the thread that arms
 * it, every N in turn:
 *   - gt_json_dumps returns the whole text or NULL, never a damaged one (json_dumps drops
 *     an object's key there: proto/json.h);
 *   - a submission to an in-process gantryd whose request thread runs out of memory is
 *     refused or acknowledged, and the jobs listed are the acknowledged ones under their
 *     names: by the live controller, after a replay of its journal and after a restart
 *     from its snapshot (test_ctld_oom.sh found acknowledged jobs with no name, or gone,
 *     in 1 run in 4: their documents were such damaged text). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"
#include "proto/json.h"

/* ---- jansson's allocations, failed on purpose ---- */

static _Thread_local long fail_at, calls; /* fail_at 0: none fails */

static void *failing_malloc(size_t n) {
    return fail_at > 0 && ++calls == fail_at ? NULL : malloc(n);
}

/* Fail the nth jansson allocation of this thread from now (0: none; count them). */
static void arm(long nth) {
    fail_at = nth;
    calls = 0;
}

static long disarm(void) {
    fail_at = 0;
    return calls;
}

static int setup_alloc(void **state) {
    (void)state;
    json_set_alloc_funcs(failing_malloc, free);
    return 0;
}

static int teardown_alloc(void **state) {
    (void)state;
    json_set_alloc_funcs(malloc, free);
    return 0;
}

static void test_dumps_whole_or_null(void **state) {
    (void)state;
    const char *text = "{\"name\":\"c15\",\"gpus\":0,\"cpus\":1,\"command\":[\"true\"],"
                       "\"env\":{\"A_LONGER_NAME\":\"value\",\"B\":\"\\u00FC\"}}";
    json_t *v = json_loads(text, 0, NULL);
    assert_non_null(v);
    char *whole = gt_json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
    assert_non_null(whole);
    assert_string_equal(whole, text);
    arm(LONG_MAX);
    free(gt_json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII));
    long n = disarm(), nulls = 0;
    assert_true(n > 0);
    for (long i = 1; i <= n; i++) {
        arm(i);
        char *s = gt_json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
        disarm();
        if (s && strcmp(s, whole))
            fail_msg("allocation %ld of %ld failed: got %s", i, n, s);
        nulls += !s;
        free(s);
    }
    assert_true(nulls > 0); /* the failures did bite */
    assert_null(gt_json_dumps(NULL, 0));
    free(whole);
    json_decref(v);
}

/* ---- an in-process gantryd ---- */

static char dir[] = "/tmp/gt-json-nomem.XXXXXX";
static const char *const admin = "Bearer nomem-admin-0123456789";

/* gantryd on the data folder dir/data (no agent: its one node stays down, jobs wait). */
static gt_ctld *start(const char *data) {
    char cfgtext[512];
    snprintf(cfgtext, sizeof cfgtext,
             "levels: [cluster, node]\ntenants: [{name: ops}]\n"
             "server: {listen: '127.0.0.1:0', data_dir: %s/%s, tokens: %s/tokens}\n"
             "fleet:\n  - {name: n1, gpus: 4, gpu_model: fake, cpus: 2, memory_gb: 1}\n",
             dir, data, dir);
    gt_config *cfg = NULL;
    gt_server_conf server;
    gt_error err = {0};
    assert_int_equal(gt_ctld_config_parse(cfgtext, strlen(cfgtext), "test", &cfg, &server, &err),
                     GT_E_OK);
    gt_ctld_opts opts = {NULL, 1, 1};
    gt_ctld *c = gt_ctld_start(cfg, &server, &opts, &err);
    if (!c)
        fail_msg("gantryd: %s", err.msg);
    return c;
}

/* METHOD PATH [BODY] as the admin: the status, the body in *out (freed by the caller). */
static int call(gt_ctld *c, const char *method, const char *path, const char *query[],
                const char *body, char **out) {
    const char *hdr[] = {"Authorization", admin, NULL, NULL};
    gt_http_req req = {method, path, body ? body : "", body ? strlen(body) : 0, NULL, query,
                       hdr,    NULL};
    gt_http_resp resp = {.status = 200};
    ctld_http_handler(c, &req, &resp);
    *out = resp.body;
    return resp.status;
}

/* Every job's name, one line each ("" for a job without one), in id order. */
static void names(gt_ctld *c, char *buf, size_t size) {
    const char *query[] = {"limit", "1000", NULL, NULL};
    char *out = NULL;
    assert_int_equal(call(c, "GET", "/v1/jobs", query, NULL, &out), 200);
    json_t *v = json_loads(out, 0, NULL), *j;
    size_t i, len = 0;
    assert_non_null(v);
    buf[0] = 0;
    json_array_foreach(json_object_get(v, "jobs"), i, j) {
        const char *name = json_string_value(json_object_get(j, "name"));
        len += (size_t)snprintf(buf + len, size - len, "%s\n", name ? name : "");
        assert_true(len < size);
    }
    json_decref(v);
    free(out);
}

/* The jobs of a copy of the (stopped) controller's data folder without its snapshot: the
 * start-up replays the whole journal. */
static void names_replayed(char *buf, size_t size) {
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s/copy && cp -r %s/data %s/copy && rm %s/copy/snapshot-*",
             dir, dir, dir, dir);
    assert_int_equal(system(cmd), 0);
    gt_ctld *c = start("copy");
    names(c, buf, size);
    gt_ctld_free(c);
}

static void test_submit_out_of_memory(void **state) {
    (void)state;
    assert_non_null(mkdtemp(dir));
    char path[96], body[128], acked[8192] = "", listed[8192];
    snprintf(path, sizeof path, "%s/tokens", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s ops admin\n", admin + strlen("Bearer "));
    fclose(f);
    gt_ctld *c = start("data");
    size_t len = 0;
    long refused = 0, i = 1;
    /* The Nth allocation of the request's thread (the body's parse, the spec, the
     * document, ...) fails, N = 1, 2, ... until one goes through without reaching N. */
    for (int reached = 1; reached; i++) {
        snprintf(body, sizeof body,
                 "{\"name\":\"j%ld\",\"gpus\":0,\"cpus\":1,\"command\":[\"true\"]}", i);
        char *out = NULL;
        arm(i);
        int status = call(c, "POST", "/v1/jobs", NULL, body, &out);
        reached = disarm() >= i;
        free(out);
        if (status == 201)
            len += (size_t)snprintf(acked + len, sizeof acked - len, "j%ld\n", i);
        else
            refused++;
        assert_true(len < sizeof acked);
    }
    assert_true(i > 3);
    assert_true(refused > 0);
    /* A refused submission leaves no job: the list is exactly the acknowledged ones, live,
     * from the journal and from the snapshot the stop wrote. */
    names(c, listed, sizeof listed);
    assert_string_equal(listed, acked);
    gt_ctld_free(c);
    names_replayed(listed, sizeof listed);
    assert_string_equal(listed, acked);
    c = start("data");
    names(c, listed, sizeof listed);
    assert_string_equal(listed, acked);
    gt_ctld_free(c);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    assert_int_equal(system(path), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dumps_whole_or_null),
        cmocka_unit_test(test_submit_out_of_memory),
    };
    return cmocka_run_group_tests(tests, setup_alloc, teardown_alloc);
}
