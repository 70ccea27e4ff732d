/* SPDX-License-Identifier: MIT
 * Replays the fuzzing seed corpus (tests/fuzz/corpus/{config,jobspec,trace,tokens,launch,proto,wal,
 * cliconfig,export,workflow}/) through the parsers in the normal build, with the checks the
 * libFuzzer harnesses make: every input either parses or fails with a message, and what parses
 * round-trips (job specs through JSON, traces through CSV, protocol messages through their
 * encoders, gantry's contexts through their writer) or, for configs, yields a fleet that passes
 * gt_topo_check. Inputs that once crashed a harness are kept in the corpus, so this is their
 * regression test. */
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

#include "cli/cliconfig.h"
#include "cli/spec.h"
#include "core/config.h"
#include "core/jobspec.h"
#include "core/topo.h"
#include "core/workflow.h"
#include "ctld/ctld_int.h"
#include "proto/proto.h"
#include "sim/trace.h"
#include "sys/proc_int.h"
#include "sys/walcheck.h"
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
    /* gantryd's reading adds the server section: an error there, or the same config */
    gt_server_conf server;
    e = gt_ctld_config_parse(data, len, file, &cfg, &server, &err);
    check_result(file, e, &err);
    assert_true(e == GT_E_OK ? cfg != NULL : cfg == NULL);
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

/* The WAL check: consistent counts, a sentence exactly when damaged; the seeds say which. */
static void replay_wal(const char *file, const char *data, size_t len) {
    gt_walcheck w;
    gt_walcheck_scan((const unsigned char *)data, len, &w);
    if (w.damaged != (w.what[0] != 0) || w.valid > w.frames || w.bad_frame > w.frames ||
        w.lost_commits > w.frames)
        fail_msg("%s: inconsistent WAL check", file);
    int want = strstr(file, "bad-first-frame") || strstr(file, "bad-header");
    if (w.damaged != want)
        fail_msg("%s: damaged %d, expected %d (%s)", file, w.damaged, want, w.what);
}

static void test_wal_corpus(void **state) {
    (void)state;
    assert_true(replay_dir("wal", replay_wal) > 0);
}

static void replay_tokens(const char *file, const char *data, size_t len) {
    ctld_tokens t;
    gt_error err = {0};
    gt_err e = ctld_tokens_parse(data, len, "tokens", &t, &err);
    check_result(file, e, &err);
    if (e != GT_E_OK)
        return;
    char why[200];
    if (ctld_tokens_check(&t, data, len, why, sizeof why))
        fail_msg("%s: %s", file, why);
    ctld_tokens_free(&t);
}

static void test_tokens_corpus(void **state) {
    (void)state;
    assert_true(replay_dir("tokens", replay_tokens) > 0);
}

/* gantry's configuration file: errors located, successes round-trip (cli/cliconfig.h). */
static void replay_cliconfig(const char *file, const char *data, size_t len) {
    char why[300];
    if (gt_cli_config_roundtrip(data, len, why, sizeof why) != 0)
        fail_msg("%s: %s", file, why);
}

static void test_cliconfig_corpus(void **state) {
    (void)state;
    assert_true(replay_dir("cliconfig", replay_cliconfig) > 0);
}

/* gantry submit --export: refused with a reason, or applied without error (cli/spec.h). */
static void replay_export(const char *file, const char *data, size_t len) {
    char why[300];
    if (gt_cli_export_roundtrip(data, len, why, sizeof why) != 0)
        fail_msg("%s: %s", file, why);
}

/* Workflows: refused with a message, or planned into valid, ordered job specs. */
static void replay_workflow(const char *file, const char *data, size_t len) {
    char why[512];
    if (gt_workflow_fuzz_check(data, len, why, sizeof why) != 0)
        fail_msg("%s: %s", file, why);
}

static void test_workflow_corpus(void **state) {
    (void)state;
    assert_true(replay_dir("workflow", replay_workflow) > 0);
}

static void test_export_corpus(void **state) {
    (void)state;
    assert_true(replay_dir("export", replay_export) > 0);
}

/* gantry-shim's launch: what decodes encodes and decodes again to the same argv. */
static void replay_launch(const char *file, const char *data, size_t len) {
    char *body = malloc(len ? len : 1);
    memcpy(body, data, len);
    struct launch_msg m, again;
    gt_error err = {0};
    gt_err e = sys_proc_launch_decode(body, len, &m, &err);
    check_result(file, e, &err);
    if (e == GT_E_OK) {
        size_t n;
        char *msg = sys_proc_launch_encode(&m.spec, m.boot_id, &n);
        if (!msg || sys_proc_launch_decode(msg + 4, n - 4, &again, &err) != GT_E_OK)
            fail_msg("%s: does not decode again: %s", file, err.msg);
        for (size_t i = 0; m.spec.argv[i] || again.spec.argv[i]; i++)
            if (!m.spec.argv[i] || !again.spec.argv[i] ||
                strcmp(m.spec.argv[i], again.spec.argv[i]))
                fail_msg("%s: argument %zu changed", file, i);
        sys_proc_launch_msg_free(&again);
        sys_proc_launch_msg_free(&m);
        free(msg);
    }
    free(body);
}

static void test_launch_corpus(void **state) {
    (void)state;
    assert_true(replay_dir("launch", replay_launch) > 0);
}

/* ---- protocol messages ----
 * The first byte picks the decoder, counted from '0' modulo 7 (item, register, welcome,
 * heartbeat, batch, events, health), as fuzz_proto.c does; the rest is the JSON text. A failure
 * leaves the output empty; what decodes encodes to a text that decodes to an equal message and
 * encodes to the same text again. */

/* A failed decode: the record has the code, a message and a field; the output is empty. */
static void proto_failed(const char *file, gt_err e, const gt_error *err, int empty) {
    check_result(file, e, err);
    if (!err->where[0])
        fail_msg("%s: error %s without a field", file, gt_err_name(e));
    if (!empty)
        fail_msg("%s: output not empty after %s at %s", file, gt_err_name(e), err->where);
}

/* What an encoder returned: never NULL here. */
static char *proto_encoded(const char *file, char *t) {
    if (!t)
        fail_msg("%s: encoder returned NULL", file);
    return t;
}

/* e: what decoding the encoder's text t returned; it must be success. */
static void proto_own(const char *file, const char *t, gt_err e, const gt_error *err) {
    if (e != GT_E_OK)
        fail_msg("%s: encoded text does not decode: %s: %s\n%s", file, err->where, err->msg, t);
}

/* The second encoding must read as the first; frees both. */
static void proto_same_text(const char *file, char *t1, char *t2) {
    if (!t2 || strcmp(t1, t2))
        fail_msg("%s: encodings differ\n%s\n%s", file, t1, t2 ? t2 : "(null)");
    free(t1);
    free(t2);
}

static int proto_item_empty(const gt_proto_item *m) {
    const gt_proto_start *s = &m->start;
    const gt_proto_launch *l = &s->launch;
    return !m->kind && !s->node && !s->master_addr && !s->ranks && !s->nranks && !s->hosts &&
           !s->nhosts && !l->name && !l->tenant && !l->kind && !l->argv && !l->argc && !l->env &&
           !l->nenv && !l->workdir && !l->user && !m->stop.node && !m->stop.reason;
}

static void proto_item(const char *file, const char *text, size_t len) {
    gt_proto_item m, again;
    gt_error err = {0};
    gt_err e = gt_proto_item_decode(text, len, &m, &err);
    if (e) {
        proto_failed(file, e, &err, proto_item_empty(&m));
        return;
    }
    char *t1 = proto_encoded(file, gt_proto_item_encode(&m));
    proto_own(file, t1, gt_proto_item_decode(t1, strlen(t1), &again, &err), &err);
    if (!gt_proto_item_equal(&m, &again))
        fail_msg("%s: item differs after encode and decode\n%s", file, t1);
    proto_same_text(file, t1, gt_proto_item_encode(&again));
    gt_proto_item_free(&m);
    gt_proto_item_free(&again);
}

static void proto_register(const char *file, const char *text, size_t len) {
    gt_proto_register m, again;
    gt_error err = {0};
    gt_err e = gt_proto_register_decode(text, len, &m, &err);
    if (e) {
        proto_failed(file, e, &err, !m.proto && !m.agent && !m.url && !m.nodes && !m.nnodes);
        return;
    }
    char *t1 = proto_encoded(file, gt_proto_register_encode(&m));
    proto_own(file, t1, gt_proto_register_decode(t1, strlen(t1), &again, &err), &err);
    if (!gt_proto_register_equal(&m, &again))
        fail_msg("%s: registration differs after encode and decode\n%s", file, t1);
    proto_same_text(file, t1, gt_proto_register_encode(&again));
    gt_proto_register_free(&m);
    gt_proto_register_free(&again);
}

/* Each item's text, encoded on its own (gantryd keeps its queues as text). */
static char **proto_item_texts(const char *file, const gt_proto_item *items, size_t n) {
    char **t = calloc(n ? n : 1, sizeof *t);
    assert_non_null(t);
    for (size_t i = 0; i < n; i++)
        t[i] = proto_encoded(file, gt_proto_item_encode(&items[i]));
    return t;
}

static void proto_texts_free(char **t, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(t[i]);
    free(t);
}

static char *proto_welcome_text(const char *file, const gt_proto_welcome *m) {
    char **t = proto_item_texts(file, m->items, m->nitems);
    char *s = gt_proto_welcome_encode(m, (const char *const *)t, m->nitems);
    proto_texts_free(t, m->nitems);
    return proto_encoded(file, s);
}

static char *proto_batch_text(const char *file, const gt_proto_batch *m) {
    char **t = proto_item_texts(file, m->items, m->nitems);
    char *s = gt_proto_batch_encode(m->seq, (const char *const *)t, m->nitems);
    proto_texts_free(t, m->nitems);
    return proto_encoded(file, s);
}

static void proto_items_equal(const char *file, const gt_proto_item *a, const gt_proto_item *b,
                              size_t n, const char *text) {
    for (size_t i = 0; i < n; i++)
        if (!gt_proto_item_equal(&a[i], &b[i]))
            fail_msg("%s: item %zu differs after encode and decode\n%s", file, i, text);
}

static void proto_welcome(const char *file, const char *text, size_t len) {
    gt_proto_welcome m, again;
    gt_error err = {0};
    gt_err e = gt_proto_welcome_decode(text, len, &m, &err);
    if (e) {
        proto_failed(file, e, &err,
                     !m.proto && !m.session && !m.heartbeat_s && !m.seq && !m.items && !m.nitems);
        return;
    }
    char *t1 = proto_welcome_text(file, &m);
    proto_own(file, t1, gt_proto_welcome_decode(t1, strlen(t1), &again, &err), &err);
    if (again.proto != m.proto || again.session != m.session ||
        again.heartbeat_s != m.heartbeat_s || again.lease_s != m.lease_s || again.seq != m.seq ||
        again.nitems != m.nitems)
        fail_msg("%s: welcome differs after encode and decode\n%s", file, t1);
    proto_items_equal(file, m.items, again.items, m.nitems, t1);
    proto_same_text(file, t1, proto_welcome_text(file, &again));
    gt_proto_welcome_free(&m);
    gt_proto_welcome_free(&again);
}

static void proto_heartbeat(const char *file, const char *text, size_t len) {
    gt_proto_heartbeat m, again;
    gt_error err = {0};
    gt_err e = gt_proto_heartbeat_decode(text, len, &m, &err);
    if (e) {
        proto_failed(file, e, &err, !m.agent && !m.session);
        return;
    }
    char *t1 = proto_encoded(file, gt_proto_heartbeat_encode(&m));
    proto_own(file, t1, gt_proto_heartbeat_decode(t1, strlen(t1), &again, &err), &err);
    if (!m.agent || !again.agent || strcmp(m.agent, again.agent) || m.session != again.session)
        fail_msg("%s: heartbeat differs after encode and decode\n%s", file, t1);
    proto_same_text(file, t1, gt_proto_heartbeat_encode(&again));
    gt_proto_heartbeat_free(&m);
    gt_proto_heartbeat_free(&again);
}

static void proto_batch(const char *file, const char *text, size_t len) {
    gt_proto_batch m, again;
    gt_error err = {0};
    gt_err e = gt_proto_batch_decode(text, len, &m, &err);
    if (e) {
        proto_failed(file, e, &err, !m.seq && !m.items && !m.nitems);
        return;
    }
    char *t1 = proto_batch_text(file, &m);
    proto_own(file, t1, gt_proto_batch_decode(t1, strlen(t1), &again, &err), &err);
    if (again.seq != m.seq || again.nitems != m.nitems)
        fail_msg("%s: batch differs after encode and decode\n%s", file, t1);
    proto_items_equal(file, m.items, again.items, m.nitems, t1);
    proto_same_text(file, t1, proto_batch_text(file, &again));
    gt_proto_batch_free(&m);
    gt_proto_batch_free(&again);
}

static void proto_events(const char *file, const char *text, size_t len) {
    gt_proto_events m, again;
    gt_error err = {0};
    gt_err e = gt_proto_events_decode(text, len, &m, &err);
    if (e) {
        proto_failed(file, e, &err, !m.agent && !m.session && !m.events && !m.nevents);
        return;
    }
    char *t1 = proto_encoded(file, gt_proto_events_encode(&m));
    proto_own(file, t1, gt_proto_events_decode(t1, strlen(t1), &again, &err), &err);
    if (!gt_proto_events_equal(&m, &again))
        fail_msg("%s: events differ after encode and decode\n%s", file, t1);
    proto_same_text(file, t1, gt_proto_events_encode(&again));
    gt_proto_events_free(&m);
    gt_proto_events_free(&again);
}

static void proto_health(const char *file, const char *text, size_t len) {
    gt_proto_health m, again;
    gt_error err = {0};
    gt_err e = gt_proto_health_decode(text, len, &m, &err);
    if (e) {
        proto_failed(file, e, &err, !m.agent && !m.session && !m.nodes && !m.nnodes);
        return;
    }
    char *t1 = proto_encoded(file, gt_proto_health_encode(&m));
    proto_own(file, t1, gt_proto_health_decode(t1, strlen(t1), &again, &err), &err);
    if (!gt_proto_health_equal(&m, &again))
        fail_msg("%s: health reports differ after encode and decode\n%s", file, t1);
    proto_same_text(file, t1, gt_proto_health_encode(&again));
    gt_proto_health_free(&m);
    gt_proto_health_free(&again);
}

static void replay_proto(const char *file, const char *data, size_t len) {
    static const replay_fn decoders[] = {proto_item,      proto_register, proto_welcome,
                                         proto_heartbeat, proto_batch,    proto_events,
                                         proto_health};
    if (len == 0)
        return;
    /* An exact-size copy without the selector: the decoders must not read past len. */
    char *text = malloc(len - 1 ? len - 1 : 1);
    assert_non_null(text);
    memcpy(text, data + 1, len - 1);
    decoders[(unsigned char)(data[0] - '0') % 7](file, text, len - 1);
    free(text);
}

static void test_proto_corpus(void **state) {
    (void)state;
    assert_true(replay_dir("proto", replay_proto) > 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_launch_corpus),    cmocka_unit_test(test_tokens_corpus),
        cmocka_unit_test(test_cliconfig_corpus), cmocka_unit_test(test_export_corpus),
        cmocka_unit_test(test_workflow_corpus),  cmocka_unit_test(test_config_corpus),
        cmocka_unit_test(test_jobspec_corpus),   cmocka_unit_test(test_trace_corpus),
        cmocka_unit_test(test_proto_corpus),     cmocka_unit_test(test_wal_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
