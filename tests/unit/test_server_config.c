/* SPDX-License-Identifier: MIT
 * gantryd's `server:` section (ctld/server_config.c), read through the core's parser with a
 * table of keys: defaults, every key, each kind of error with its file:line:column and the
 * key it names, the check across keys located at the value it blames; and the core, the
 * simulator's parser, accepting the section unread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"
#include "ctld/server_config.h"

#define FLEET "fleet:\n  - {name: n0, gpus: 0, cpus: 4}\n"

static gt_server_conf parse_ok(const char *text) {
    gt_config *cfg = NULL;
    gt_server_conf s;
    gt_error err = {0};
    char buf[512];
    if (gt_ctld_config_parse(text, strlen(text), "s.yaml", &cfg, &s, &err) != GT_E_OK)
        fail_msg("unexpected error: %s", gt_error_str(&err, buf, sizeof buf));
    assert_non_null(cfg);
    assert_non_null(cfg->topo);
    gt_config_free(cfg);
    return s;
}

/* The whole message, "s.yaml:LINE:COL: text", and the code. */
static void expect_error(const char *text, gt_err code, const char *want) {
    gt_config *cfg = (gt_config *)1;
    gt_server_conf s;
    gt_error err = {0};
    char buf[512];
    gt_err e = gt_ctld_config_parse(text, strlen(text), "s.yaml", &cfg, &s, &err);
    gt_error_str(&err, buf, sizeof buf);
    if (e != code || strcmp(buf, want) != 0)
        fail_msg("input:\n%s\nwant %s '%s'\ngot  %s '%s'", text, gt_err_name(code), want,
                 gt_err_name(e), buf);
    assert_null(cfg);
    assert_int_equal(s.heartbeat_s, 5); /* the defaults, not half a section */
}

static void test_defaults(void **state) {
    (void)state;
    gt_server_conf s = parse_ok(FLEET);
    assert_string_equal(s.listen, "127.0.0.1:7070");
    assert_string_equal(s.data_dir, "gantry-data");
    assert_string_equal(s.tokens, "");
    assert_int_equal(s.heartbeat_s, 5);
    assert_int_equal(s.node_timeout_s, 30);
    assert_int_equal(s.snapshot_every, 1000000);
    s = parse_ok("server: {heartbeat_s: 7}\n" FLEET); /* the others keep their defaults */
    assert_int_equal(s.heartbeat_s, 7);
    assert_int_equal(s.node_timeout_s, 30);
    assert_string_equal(s.listen, "127.0.0.1:7070");
}

static void test_keys(void **state) {
    (void)state;
    gt_server_conf s = parse_ok("server:\n  listen: \"0.0.0.0:0\"\n  data_dir: /var/lib/g\n"
                                "  tokens: /etc/g/tokens\n  heartbeat_s: 1\n"
                                "  node_timeout_s: 4\n  snapshot_every: 0\n" FLEET);
    assert_string_equal(s.listen, "0.0.0.0:0");
    assert_string_equal(s.data_dir, "/var/lib/g");
    assert_string_equal(s.tokens, "/etc/g/tokens");
    assert_int_equal(s.heartbeat_s, 1);
    assert_int_equal(s.node_timeout_s, 4);
    assert_int_equal(s.snapshot_every, 0);
}

static void test_errors(void **state) {
    (void)state;
    expect_error("server:\n  heartbeat_s: 10\n  node_timeout_s: 5\n" FLEET, GT_E_RANGE,
                 "s.yaml:3:19: server.node_timeout_s: must be longer than heartbeat_s (10)");
    /* node_timeout_s left at its default: the section is blamed */
    expect_error("server: {heartbeat_s: 40}\n" FLEET, GT_E_RANGE,
                 "s.yaml:1:9: server.node_timeout_s: must be longer than heartbeat_s (40)");
    expect_error("server: {bogus: 1}\n" FLEET, GT_E_UNKNOWN_FIELD,
                 "s.yaml:1:10: unknown key 'bogus' in server (expected one of: listen, "
                 "data_dir, tokens, heartbeat_s, node_timeout_s, snapshot_every)");
    expect_error("server: {heartbeat_s: \"5\"}\n" FLEET, GT_E_INVALID,
                 "s.yaml:1:23: heartbeat_s: expected an integer, got a quoted string");
    expect_error("server: {heartbeat_s: 0}\n" FLEET, GT_E_RANGE,
                 "s.yaml:1:23: heartbeat_s: expected an integer from 1 to 3600, got '0'");
    expect_error("server: {snapshot_every: -1}\n" FLEET, GT_E_RANGE,
                 "s.yaml:1:26: snapshot_every: expected an integer from 0 to 1000000000, got "
                 "'-1'");
    expect_error("server: 5\n" FLEET, GT_E_INVALID,
                 "s.yaml:1:9: server: expected a mapping, got a scalar");
    expect_error("server: {heartbeat_s: 5, heartbeat_s: 6}\n" FLEET, GT_E_INVALID,
                 "s.yaml:1:26: duplicate key 'heartbeat_s' in server");
    /* an error of the core's own sections still comes first when it is earlier */
    expect_error("scheduler: {backfill_depth: 0}\nserver: {bogus: 1}\n" FLEET, GT_E_RANGE,
                 "s.yaml:1:29: backfill_depth: expected an integer from 1 to 1000000, got '0'");
}

/* Without the table the core accepts the section unread: gantry-sim ignores it. */
static void test_core_leaves_it(void **state) {
    (void)state;
    const char *text = "server: {bogus: 1, heartbeat_s: 0}\n" FLEET;
    gt_config *cfg = NULL;
    gt_error err = {0};
    assert_int_equal(gt_config_parse(text, strlen(text), "s.yaml", &cfg, &err), GT_E_OK);
    gt_config_free(cfg);
    /* a program may read only a section the core reserves for programs */
    int x = 0;
    gt_cfg_key k = {"n", GT_CFG_INT, 0, 9, 0};
    gt_cfg_section fleet = {"fleet", &k, 1, &x, NULL};
    cfg = (gt_config *)1;
    assert_int_equal(
        gt_config_parse_sections(FLEET, strlen(FLEET), "s.yaml", &fleet, 1, &cfg, &err),
        GT_E_INVALID);
    assert_null(cfg);
    assert_string_equal(err.msg, "'fleet' is not a section a program may read");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_core_leaves_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
