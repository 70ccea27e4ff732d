/* SPDX-License-Identifier: MIT
 * Replays the fuzzing seed corpus (tests/fuzz/corpus/{config,jobspec,trace,tokens,launch}/) through
 * the parsers in the normal build, with the checks the libFuzzer harnesses make: every input either
 * parses or fails with a message, and what parses round-trips (job specs through JSON, traces
 * through CSV) or, for configs, yields a fleet that passes gt_topo_check. Inputs that once crashed
 * a harness are kept in the corpus, so this is their regression test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "srcfile.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/config.h"
#include "core/jobspec.h"
#include "core/topo.h"
#include "core/trace.h"
#include "ctld/ctld_int.h"
#include "sys/proc_int.h"
#include "util/strbuf.h"

/* Every parser call: success, or an error whose record matches and has a message. */
static void check_result(const char *file, gt_err e, const gt_error *err) {
    if (e == GT_E_OK)
        return;
    if (err->code != e || !err->msg[0])
        fail_msg("%s: error %d (%s) without a message", file, (int)e, gt_err_name(e));
}

typedef void (*replay_fn)(const char *file, const char *data, size_t len);

/* Run fn on every regular file of tests/fuzz/corpus/<dir>/ (sorted); returns the count. */
static int replay_dir(const char *dir, replay_fn fn) {
    char rel[256], path[1024], file[1536];
    snprintf(rel, sizeof rel, "tests/fuzz/corpus/%s", dir);
    src_path(path, sizeof path, rel);
    struct dirent **ents = NULL;
    int n = scandir(path, &ents, NULL, alphasort);
    if (n < 0)
        fail_msg("cannot read %s (set GT_SRC to the source directory)", path);
    int count = 0;
    for (int i = 0; i < n; i++) {
        snprintf(file, sizeof file, "%s/%s", path, ents[i]->d_name);
        struct stat st;
        if (ents[i]->d_name[0] != '.' && stat(file, &st) == 0 && S_ISREG(st.st_mode)) {
            size_t len = 0;
            char *data = read_file(file, &len);
            if (!data)
                fail_msg("cannot read %s", file);
            fn(file, data, len);
            free(data);
            count++;
        }
        free(ents[i]);
    }
    free(ents);
    return count;
}

/* ---- config ---- */

static void replay_config(const char *file, const char *data, size_t len) {
    gt_config *cfg = NULL;
    gt_error err = {0};
    gt_err e = gt_config_parse(data, len, file, &cfg, &err);
    check_result(file, e, &err);
    if (e != GT_E_OK) {
        assert_null(cfg);
        return;
    }
    assert_non_null(cfg);
    assert_non_null(cfg->topo);
    gt_error terr = {0};
    char buf[512];
    if (gt_topo_check(cfg->topo, &terr) != GT_E_OK)
        fail_msg("%s: gt_topo_check: %s", file, gt_error_str(&terr, buf, sizeof buf));
    gt_config_free(cfg);
}

static void test_config_corpus(void **state) {
    (void)state;
    assert_true(replay_dir("config", replay_config) > 0);
}

/* ---- job specs ---- */

static void replay_jobspec(const char *file, const char *data, size_t len) {
    gt_jobspec a, b;
    gt_error err = {0};
    gt_err e = gt_jobspec_parse_json(data, len, file, &a, &err);
    check_result(file, e, &err);
    if (e != GT_E_OK)
        return;
    char json[4096], buf[512];
    size_t n = gt_jobspec_to_json(&a, json, sizeof json);
    assert_true(n < sizeof json);
    gt_error err2 = {0};
    if (gt_jobspec_parse_json(json, n, "rendered", &b, &err2) != GT_E_OK)
        fail_msg("%s: rendered spec does not parse: %s\n%s", file,
                 gt_error_str(&err2, buf, sizeof buf), json);
    if (!gt_jobspec_equal(&a, &b, 1))
        fail_msg("%s: parse(render(s)) != s\n%s", file, json);
}

static void test_jobspec_corpus(void **state) {
    (void)state;
    assert_true(replay_dir("jobspec", replay_jobspec) > 0);
}

/* ---- traces ---- */

static void replay_trace(const char *file, const char *data, size_t len) {
    gt_trace t, t2;
    gt_trace_init(&t);
    gt_trace_init(&t2);
    gt_error err = {0};
    gt_err e = gt_trace_parse_csv(&t, data, len, file, &err);
    check_result(file, e, &err);
    if (e != GT_E_OK) {
        assert_int_equal(t.n, 0);
        gt_trace_free(&t);
        return;
    }
    gt_sb sb;
    gt_sb_init(&sb);
    gt_trace_write_csv(&t, &sb);
    assert_false(sb.oom);
    gt_error err2 = {0};
    char buf[512];
    if (gt_trace_parse_csv(&t2, sb.s, sb.len, "written", &err2) != GT_E_OK)
        fail_msg("%s: written CSV does not parse: %s\n%s", file,
                 gt_error_str(&err2, buf, sizeof buf), gt_sb_str(&sb));
    assert_int_equal(t2.n, t.n);
    for (size_t i = 0; i < t.n; i++)
        if (!gt_jobspec_equal(&t.jobs[i], &t2.jobs[i], 0))
            fail_msg("%s: job %zu differs after write and read\n%s", file, i, gt_sb_str(&sb));
    gt_sb_free(&sb);
    gt_trace_free(&t);
    gt_trace_free(&t2);
}

static void test_trace_corpus(void **state) {
    (void)state;
    assert_true(replay_dir("trace", replay_trace) > 0);
}

static void replay_tokens(const char *file, const char *data, size_t len) {
    ctld_tokens t;
    gt_error err = {0};
    gt_err e = ctld_tokens_parse(data, len, "tokens", &t, &err);
    check_result(file, e, &err);
    if (e != GT_E_OK)
        return;
    for (size_t i = 0; i < t.n; i++)
        if (ctld_tokens_find(&t, t.v[i].token) != &t.v[i])
            fail_msg("%s: token %zu not found by lookup", file, i);
    ctld_tokens_free(&t);
}

static void test_tokens_corpus(void **state) {
    (void)state;
    assert_true(replay_dir("tokens", replay_tokens) > 0);
}

/* gantry-shim's launch: what decodes encodes and decodes again to the same argv. */
static void replay_launch(const char *file, const char *data, size_t len) {
    char *body = malloc(len ? len : 1);
    memcpy(body, data, len);
    struct launch_msg m, again;
    gt_error err = {0};
    gt_err e = proc_launch_decode(body, len, &m, &err);
    check_result(file, e, &err);
    if (e == GT_E_OK) {
        size_t n;
        char *msg = proc_launch_encode(&m.spec, m.boot_id, &n);
        if (!msg || proc_launch_decode(msg + 4, n - 4, &again, &err) != GT_E_OK)
            fail_msg("%s: does not decode again: %s", file, err.msg);
        for (size_t i = 0; m.spec.argv[i] || again.spec.argv[i]; i++)
            if (!m.spec.argv[i] || !again.spec.argv[i] ||
                strcmp(m.spec.argv[i], again.spec.argv[i]))
                fail_msg("%s: argument %zu changed", file, i);
        proc_launch_msg_free(&again);
        proc_launch_msg_free(&m);
        free(msg);
    }
    free(body);
}

static void test_launch_corpus(void **state) {
    (void)state;
    assert_true(replay_dir("launch", replay_launch) > 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_launch_corpus), cmocka_unit_test(test_tokens_corpus),
        cmocka_unit_test(test_config_corpus), cmocka_unit_test(test_jobspec_corpus),
        cmocka_unit_test(test_trace_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
