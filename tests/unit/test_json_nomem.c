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
#include "srcfile.h"
#include "util/strbuf.h"

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
    /* (the real is written by jansson: its allocations are the ones failed here) */
    const char *text = "{\"name\":\"c15\",\"gpus\":0,\"cpus\":1,\"command\":[\"true\"],"
                       "\"env\":{\"A_LONGER_NAME\":\"value\",\"B\":\"\\u00FC\"},\"s\":0.25}";
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

/* gt_json_dumps writes what json_dumps writes, byte for byte, with both flag sets gantryd
 * uses: for hand-made values (every escape, non-ASCII of 2 to 4 bytes, integers at their
 * limits, reals, nesting) and every JSON document of the fuzz corpora. */
static void same(const json_t *v, const char *what) {
    size_t flags[] = {JSON_COMPACT, JSON_COMPACT | JSON_ENSURE_ASCII};
    for (int f = 0; f < 2; f++) {
        char *ours = gt_json_dumps(v, flags[f]), *theirs = json_dumps(v, flags[f]);
        if ((ours == NULL) != (theirs == NULL) || (ours && strcmp(ours, theirs)))
            fail_msg("%s (flags %zx):\n ours   %s\n jansson %s", what, flags[f],
                     ours ? ours : "(null)", theirs ? theirs : "(null)");
        free(ours);
        free(theirs);
    }
}

static void test_dumps_as_jansson(void **state) {
    (void)state;
    char ctl[40];
    for (int i = 0; i < 31; i++)
        ctl[i] = (char)(i + 1);
    memcpy(ctl + 31, "\"\\/\x7f", 5);
    json_t *v = json_pack("{s:s, s:s, s:I, s:I, s:I, s:f, s:f, s:f, s:b, s:b, s:n, s:[{}, [], "
                          "[[i]]], s:s, s:s}",
                          "ctl", ctl, "utf8", "\xc3\xbc \xe2\x82\xac \xf0\x9f\x98\x80 z", "max",
                          (json_int_t)INT64_MAX, "min", (json_int_t)INT64_MIN, "zero",
                          (json_int_t)0, "r1", 0.1, "r2", 1e300, "r3", -2.0, "t", 1, "f", 0, "n",
                          "nest", 1, "\xe2\x82\xac key", "v", "", "");
    assert_non_null(v);
    same(v, "hand-made");
    json_decref(v);
    json_t *bad = json_stringn_nocheck("\xff", 1), *arr = json_pack("[o]", bad);
    same(arr, "invalid UTF-8"); /* both refuse it */
    json_decref(arr);
    gt_sb b; /* a refused string leaves the text as it was */
    gt_sb_init(&b);
    gt_sb_puts(&b, "{\"reason\":");
    assert_int_equal(gt_json_put_str(&b, "ab\xff", 1), -1);
    assert_string_equal(gt_sb_str(&b), "{\"reason\":");
    assert_int_equal(gt_json_put_str(&b, "ok", 1), 0);
    assert_string_equal(gt_sb_str(&b), "{\"reason\":\"ok\"");
    gt_sb_free(&b);
    json_t *nul = json_object(); /* a key with a NUL is written whole, as by jansson */
    json_object_setn_new(nul, "a\0b", 3, json_integer(1));
    same(nul, "a key with a NUL");
    json_decref(nul);
    json_t *one = json_integer(1); /* not a document: refused, as by json_dumps */
    assert_null(gt_json_dumps(one, JSON_COMPACT));
    json_decref(one);
    static const char *const dirs[] = {"api", "jobspec", "proto", "workflow", "launch"};
    char path[512], cmd[600];
    int files = 0;
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
        src_path(path, sizeof path, "tests/fuzz/corpus/");
        snprintf(cmd, sizeof cmd, "ls %s%s", path, dirs[d]);
        FILE *ls = popen(cmd, "r");
        char name[256];
        while (ls && fgets(name, sizeof name, ls)) {
            name[strcspn(name, "\n")] = 0;
            char file[800];
            snprintf(file, sizeof file, "%s%s/%s", path, dirs[d], name);
            size_t len;
            char *text = read_file(file, &len);
            json_error_t je;
            /* an API seed is three lines and a body: the body, when it is JSON */
            const char *body = text;
            for (int k = 0; dirs[d][0] == 'a' && body && k < 3; k++)
                body = strchr(body, '\n') ? strchr(body, '\n') + 1 : NULL;
            json_t *doc = body ? json_loads(body, JSON_DECODE_ANY, &je) : NULL;
            if (doc) {
                same(doc, file);
                files++;
            }
            json_decref(doc);
            free(text);
        }
        if (ls)
            pclose(ls);
    }
    assert_true(files > 50);
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
    gt_ctld_opts opts = {.quiet = 1, .journal_nosync = 1};
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
        cmocka_unit_test(test_dumps_as_jansson),
        cmocka_unit_test(test_submit_out_of_memory),
    };
    return cmocka_run_group_tests(tests, setup_alloc, teardown_alloc);
}
