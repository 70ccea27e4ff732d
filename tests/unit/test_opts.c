/* SPDX-License-Identifier: MIT
 * Unit tests for the table-driven option parser (util/opts.h) that all four programs use:
 * every kind of value, both spellings (--x V, --x=V), short options, "--", positional
 * arguments, and every usage error with the message that names the option; then the
 * tables of gantryd, gantry-agent and gantry-sim through their parse functions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/args.h"
#include "ctld/args.h"
#include "sim/args.h"
#include "util/opts.h"

static const char *const colours[] = {"red", "green", NULL};
static const gt_opt table[] = {
    {"--count", 'c', GT_OPT_INT, "N", "a count", 1, 10, NULL, NULL},
    {"--name", 0, GT_OPT_STRING, "NAME", "a name", 0, 0, NULL, NULL},
    {"--wait", 0, GT_OPT_DURATION, "DURATION", "a wait", 0, 60, NULL, NULL},
    {"--mem", 0, GT_OPT_SIZE, "SIZE", "memory", 0, 4096, NULL, NULL},
    {"--colour", 0, GT_OPT_CHOICE, "C", "a colour", 0, 0, colours, NULL},
    {"--replicas", 0, GT_OPT_RANGE, "MIN[:MAX]", "replicas", 1, 100, NULL, NULL},
    {"--env", 0, GT_OPT_KEYVAL, "K=V", "env", 0, 0, NULL, NULL},
    {"--follow", 'f', GT_OPT_SWITCH, NULL, "follow", 0, 0, NULL, NULL},
    {"--ratio", 0, GT_OPT_REAL, "F", "a ratio", 0, 10, NULL, NULL},
    {0},
};
static const gt_opt extra[] = {
    {"--json", 0, GT_OPT_SWITCH, NULL, "json", 0, 0, NULL, NULL},
    {"--count", 0, GT_OPT_SWITCH, NULL, "shadowed by the first table", 0, 0, NULL, NULL},
    {0},
};

/* Parse argv (NULL-terminated, argv[0] is the command) and return the i-th token. */
static gt_opt_tok nth(char **argv, int i, gt_error *err) {
    int argc = 0;
    while (argv[argc])
        argc++;
    gt_opt_args a = {argc, argv, 1};
    gt_opt_tok t = {.kind = GT_TOK_END};
    memset(err, 0, sizeof *err);
    for (int k = 0; k <= i; k++)
        t = gt_opt_next(&a, table, extra, err);
    return t;
}

static gt_opt_tok one(const char *a1, const char *a2, gt_error *err) {
    char *argv[] = {"cmd", (char *)a1, (char *)a2, NULL};
    return nth(argv, 0, err);
}

static void expect_error(const char *a1, const char *a2, const char *msg) {
    gt_error err;
    gt_opt_tok t = one(a1, a2, &err);
    if (t.kind != GT_TOK_ERR)
        fail_msg("'%s %s' accepted", a1, a2 ? a2 : "");
    assert_string_equal(err.msg, msg);
    assert_true(err.code == GT_E_INVALID || err.code == GT_E_RANGE);
}

static void test_values(void **state) {
    (void)state;
    gt_error err;
    gt_opt_tok t = one("--count", "3", &err);
    assert_int_equal(t.kind, GT_TOK_OPT);
    assert_string_equal(t.opt->name, "--count");
    assert_int_equal(t.n, 3);
    t = one("--count=10", NULL, &err);
    assert_int_equal(t.n, 10);
    t = one("-c", "1", &err);
    assert_int_equal(t.n, 1);
    t = one("--name", "-x", &err); /* a value may start with '-' */
    assert_string_equal(t.val, "-x");
    t = one("--name=", NULL, &err);
    assert_int_equal(t.kind, GT_TOK_OPT);
    assert_string_equal(t.val, "");
    t = one("--wait", "1m", &err);
    assert_int_equal(t.n, 60000);
    t = one("--wait", "0.5", &err);
    assert_int_equal(t.n, 500);
    t = one("--mem", "4G", &err);
    assert_int_equal(t.n, 4096);
    t = one("--colour", "green", &err);
    assert_int_equal(t.n, 1);
    t = one("--replicas", "2", &err);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.n2, -1);
    t = one("--replicas", "2:6", &err);
    assert_int_equal(t.n2, 6);
    t = one("--env", "A=b=c", &err);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.val, "A=b=c");
    t = one("-f", NULL, &err);
    assert_string_equal(t.opt->name, "--follow");
    t = one("--ratio", "0.25", &err);
    assert_int_equal(t.kind, GT_TOK_OPT);
    assert_true(t.x == 0.25);
    t = one("--ratio=10", NULL, &err);
    assert_true(t.x == 10);
    t = one("--json", NULL, &err); /* from the second table */
    assert_string_equal(t.opt->help, "json");
}

static void test_sequence(void **state) {
    (void)state;
    gt_error err;
    char *argv[] = {"cmd", "file", "--count", "2", "-", "--", "--count", "x", NULL};
    assert_int_equal(nth(argv, 0, &err).kind, GT_TOK_ARG);
    assert_string_equal(nth(argv, 0, &err).val, "file");
    assert_int_equal(nth(argv, 1, &err).kind, GT_TOK_OPT);
    assert_string_equal(nth(argv, 2, &err).val, "-"); /* "-" is an argument (stdin) */
    assert_int_equal(nth(argv, 3, &err).kind, GT_TOK_REST);
    gt_opt_args a = {8, argv, 1};
    for (int k = 0; k < 4; k++)
        gt_opt_next(&a, table, NULL, &err);
    assert_int_equal(a.i, 6); /* after "--": the rest is the caller's, untouched */
    assert_int_equal(nth(argv, 4, &err).kind, GT_TOK_ERR); /* "--count x" read as options */
    char *none[] = {"cmd", NULL};
    assert_int_equal(nth(none, 0, &err).kind, GT_TOK_END);
}

static void test_errors(void **state) {
    (void)state;
    expect_error("--bogus", NULL, "unknown option '--bogus'");
    expect_error("-x", NULL, "unknown option '-x'");
    expect_error("-cf", NULL, "unknown option '-cf'");
    expect_error("--coun", "1", "unknown option '--coun'");
    expect_error("--count", NULL, "--count needs a value (N)");
    expect_error("--count", "0", "--count: must be between 1 and 10, got '0'");
    expect_error("--count", "-1", "--count: must be between 1 and 10, got '-1'");
    expect_error("--count", "11", "--count: must be between 1 and 10, got '11'");
    expect_error("--count", "3x", "--count: expected an integer from 1 to 10, got '3x'");
    expect_error("--count", "99999999999999999999",
                 "--count: expected an integer from 1 to 10, got '99999999999999999999'");
    expect_error("--follow=1", NULL, "--follow takes no value, got '--follow=1'");
    expect_error("--wait", "2m", "--wait: must be between 0 and 60 seconds, got '2m'");
    expect_error(
        "--wait", "soon",
        "--wait: expected a duration like 90, 90s, 30m, 2h, 1h30m or [D-]HH:MM:SS, got 'soon'");
    expect_error("--mem", "8G", "--mem: must be between 0 and 4096 MiB, got '8G'");
    expect_error("--mem", "1.1M", "--mem: not a whole number of MiB, got '1.1M'");
    expect_error("--colour", "blue", "--colour: expected one of red, green, got 'blue'");
    expect_error("--replicas", "6:2", "--replicas: need 1 <= MIN <= MAX <= 100, got '6:2'");
    expect_error("--replicas", "0", "--replicas: need 1 <= MIN <= MAX <= 100, got '0'");
    expect_error("--replicas", "2:", "--replicas: expected MIN or MIN:MAX (integers), got '2:'");
    expect_error("--replicas", "a:b", "--replicas: expected MIN or MIN:MAX (integers), got 'a:b'");
    expect_error("--env", "A", "--env: expected KEY=VALUE, got 'A'");
    expect_error("--env", "=v", "--env: expected KEY=VALUE, got '=v'");
    expect_error("--ratio", "0", "--ratio: expected a number above 0 and at most 10, got '0'");
    expect_error("--ratio", "10.5",
                 "--ratio: expected a number above 0 and at most 10, got '10.5'");
    expect_error("--ratio", "x", "--ratio: expected a number above 0 and at most 10, got 'x'");
}

/* gt_opt_next_option: a program without positional arguments. */
static void test_options_only(void **state) {
    (void)state;
    gt_error err;
    char *argv[] = {"cmd", "--count", "2", "file", NULL};
    gt_opt_args a = {4, argv, 1};
    assert_int_equal(gt_opt_next_option(&a, table, &err).kind, GT_TOK_OPT);
    assert_int_equal(gt_opt_next_option(&a, table, &err).kind, GT_TOK_ERR);
    assert_string_equal(err.msg, "unexpected argument 'file'");
    char *rest[] = {"cmd", "--", NULL};
    a = (gt_opt_args){2, rest, 1};
    assert_int_equal(gt_opt_next_option(&a, table, &err).kind, GT_TOK_ERR);
    assert_string_equal(err.msg, "unexpected argument '--'");
    a = (gt_opt_args){1, rest, 1};
    assert_int_equal(gt_opt_next_option(&a, table, &err).kind, GT_TOK_END);
}

static void test_help(void **state) {
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    gt_opt_help(f, table);
    fclose(f);
    assert_non_null(strstr(text, "  -c, --count N"));
    assert_non_null(strstr(text, "  --replicas MIN[:MAX]"));
    assert_non_null(strstr(text, "  -f, --follow "));
    int lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 9); /* one per row */
    free(text);
}

#define ARGC(v) ((int)(sizeof(v) / sizeof(v)[0]) - 1)

/* A usage error of `parse` on argv with exactly this message. */
#define EXPECT_USAGE(parse, out, want, ...)                                                        \
    do {                                                                                           \
        char *argv_[] = {"prog", __VA_ARGS__, NULL};                                               \
        gt_error err_ = {0};                                                                       \
        assert_int_not_equal(parse(ARGC(argv_), argv_, out, &err_), GT_E_OK);                      \
        assert_string_equal(err_.msg, want);                                                       \
    } while (0)

static void test_gantryd(void **state) {
    (void)state;
    gt_ctld_args a;
    gt_error err = {0};
    char *argv[] = {
        "gantryd", "--listen=127.0.0.1:0", "--config", "c.yaml", "--data-dir=d", "--port-file",
        "p",       "--policy=fifo",        "--quiet",  NULL};
    assert_int_equal(gt_ctld_args_parse(ARGC(argv), argv, &a, &err), GT_E_OK);
    assert_string_equal(a.listen, "127.0.0.1:0");
    assert_string_equal(a.config, "c.yaml");
    assert_string_equal(a.data_dir, "d");
    assert_string_equal(a.port_file, "p");
    assert_string_equal(a.policy, "fifo");
    assert_int_equal(a.quiet, 1);
    assert_int_equal(a.action, GT_CTLD_RUN);
    char *help[] = {"gantryd", "--quiet", "-h", "--bogus", NULL}; /* in order: help wins */
    assert_int_equal(gt_ctld_args_parse(ARGC(help), help, &a, &err), GT_E_OK);
    assert_int_equal(a.action, GT_CTLD_HELP);
    char *ver[] = {"gantryd", "--version", NULL};
    assert_int_equal(gt_ctld_args_parse(ARGC(ver), ver, &a, &err), GT_E_OK);
    assert_int_equal(a.action, GT_CTLD_VERSION);
    char *def[] = {"gantryd", "--print-default-config", NULL};
    assert_int_equal(gt_ctld_args_parse(ARGC(def), def, &a, &err), GT_E_OK);
    assert_int_equal(a.action, GT_CTLD_PRINT_DEFAULT);
    EXPECT_USAGE(gt_ctld_args_parse, &a, "--port-file needs a value (FILE)", "--port-file");
    EXPECT_USAGE(gt_ctld_args_parse, &a, "unknown option '--bogus'", "--bogus");
    EXPECT_USAGE(gt_ctld_args_parse, &a, "--quiet takes no value, got '--quiet=yes'",
                 "--quiet=yes");
    EXPECT_USAGE(gt_ctld_args_parse, &a, "unexpected argument 'extra'", "--quiet", "extra");
}

static void test_gantry_agent(void **state) {
    (void)state;
    gt_agent_args a = {0};
    a.o.fake_gpus = 4; /* the caller's defaults stay unless an option sets them */
    a.o.node = "local";
    gt_error err = {0};
    char *argv[] = {"gantry-agent",  "--server=http://h:1",
                    "--fake-gpus",   "0",
                    "--cpus=8",      "--memory-mb",
                    "1099511627776", "--keep-logs-s=0",
                    "--emulate",     "3",
                    "--config",      "f.yaml",
                    "--token-file",  "t",
                    "--no-cgroups",  "--ports",
                    "30000:30099",   NULL};
    assert_int_equal(gt_agent_args_parse(ARGC(argv), argv, &a, &err), GT_E_OK);
    assert_string_equal(a.o.server, "http://h:1");
    assert_string_equal(a.o.node, "local");
    assert_int_equal(a.o.fake_gpus, 0);
    assert_int_equal(a.o.cpus, 8);
    assert_true(a.o.memory_mb == 1099511627776LL);
    assert_int_equal(a.o.keep_logs_s, 0);
    assert_int_equal(a.o.emulate, 3);
    assert_string_equal(a.o.emulate_config, "f.yaml");
    assert_string_equal(a.token_file, "t");
    assert_int_equal(a.o.no_cgroups, 1);
    assert_int_equal(a.o.ports_lo, 30000);
    assert_int_equal(a.o.ports_hi, 30099);
    assert_int_equal(a.action, GT_AGENT_RUN);
    char *ver[] = {"gantry-agent", "--version", NULL};
    assert_int_equal(gt_agent_args_parse(ARGC(ver), ver, &a, &err), GT_E_OK);
    assert_int_equal(a.action, GT_AGENT_VERSION);
    EXPECT_USAGE(gt_agent_args_parse, &a, "--fake-gpus: expected an integer from 0 to 32, got 'x'",
                 "--fake-gpus", "x");
    EXPECT_USAGE(gt_agent_args_parse, &a, "--fake-gpus: must be between 0 and 32, got '33'",
                 "--fake-gpus=33");
    EXPECT_USAGE(gt_agent_args_parse, &a, "--cpus: must be between 1 and 1048576, got '0'",
                 "--cpus", "0");
    EXPECT_USAGE(gt_agent_args_parse, &a, "--node needs a value (NAME)", "--node");
    EXPECT_USAGE(gt_agent_args_parse, &a, "--ports: need 1 <= MIN <= MAX <= 65535, got '5:3'",
                 "--ports", "5:3");
    EXPECT_USAGE(gt_agent_args_parse, &a, "unknown option '-x'", "-x");
    /* A token on the command line (ps shows argv) is refused, saying where it goes. */
#define NO_TOKEN_ARG                                                                               \
    "--token: a token is never taken from the command line (ps shows it to every user); use "      \
    "--token-file FILE or GANTRY_NODE_TOKEN"
    EXPECT_USAGE(gt_agent_args_parse, &a, NO_TOKEN_ARG, "--token", "secret");
    EXPECT_USAGE(gt_agent_args_parse, &a, NO_TOKEN_ARG, "--token=secret");
    EXPECT_USAGE(gt_agent_args_parse, &a, "unknown option '--tokens'", "--tokens");
}

static void test_gantry_sim(void **state) {
    (void)state;
    gt_sim_args a;
    gt_error err = {0};
    char *argv[] = {"gantry-sim", "--cluster=c.yaml", "--synth", "100",    "--load", "0.5",
                    "--seed=7",   "--mtbf-h",         "1e3",     "--json", "-h",     NULL};
    assert_int_equal(gt_sim_args_parse(ARGC(argv), argv, &a, &err), GT_E_OK);
    assert_string_equal(a.cluster, "c.yaml");
    assert_int_equal(a.synth, 100);
    assert_true(a.load == 0.5);
    assert_int_equal(a.seed, 7);
    assert_true(a.mtbf_h == 1000);
    assert_int_equal(a.checkpoint_min, 30); /* the default */
    assert_int_equal(a.json, 1);
    assert_int_equal(a.help, 1);
    assert_null(a.trace);
    EXPECT_USAGE(gt_sim_args_parse, &a,
                 "--synth: expected an integer from 0 to 1000000000, got 'abc'", "--synth", "abc");
    EXPECT_USAGE(gt_sim_args_parse, &a, "--load: expected a number above 0 and at most 10, got '0'",
                 "--load", "0");
    EXPECT_USAGE(gt_sim_args_parse, &a,
                 "--load: expected a number above 0 and at most 10, got '10.5'", "--load", "10.5");
    EXPECT_USAGE(gt_sim_args_parse, &a,
                 "--checkpoint-min: must be between 0 and 1000000000, got '1000000001'",
                 "--checkpoint-min", "1000000001");
    EXPECT_USAGE(gt_sim_args_parse, &a,
                 "--checkpoint-min: must be between 0 and 1000000000, got '-1'", "--checkpoint-min",
                 "-1");
    EXPECT_USAGE(gt_sim_args_parse, &a, "--trace needs a value (FILE)", "--trace");
    EXPECT_USAGE(gt_sim_args_parse, &a, "unknown option '--bogus'", "--bogus");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),       cmocka_unit_test(test_sequence),
        cmocka_unit_test(test_errors),       cmocka_unit_test(test_help),
        cmocka_unit_test(test_options_only), cmocka_unit_test(test_gantryd),
        cmocka_unit_test(test_gantry_agent), cmocka_unit_test(test_gantry_sim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
