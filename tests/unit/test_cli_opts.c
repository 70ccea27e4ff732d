/* SPDX-License-Identifier: MIT
 * Unit tests for the CLI's table-driven option parser: every kind of value, both spellings
 * (--x V, --x=V), short options, "--", positional arguments, and every usage error with
 * the message that names the option. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/opts.h"

static const char *const colours[] = {"red", "green", NULL};
static const gt_cli_opt table[] = {
    {"--count", 'c', GT_OPT_INT, "N", "a count", 1, 10, NULL, NULL},
    {"--name", 0, GT_OPT_STRING, "NAME", "a name", 0, 0, NULL, NULL},
    {"--wait", 0, GT_OPT_DURATION, "DURATION", "a wait", 0, 60, NULL, NULL},
    {"--mem", 0, GT_OPT_SIZE, "SIZE", "memory", 0, 4096, NULL, NULL},
    {"--colour", 0, GT_OPT_CHOICE, "C", "a colour", 0, 0, colours, NULL},
    {"--replicas", 0, GT_OPT_RANGE, "MIN[:MAX]", "replicas", 1, 100, NULL, NULL},
    {"--env", 0, GT_OPT_KEYVAL, "K=V", "env", 0, 0, NULL, NULL},
    {"--follow", 'f', GT_OPT_SWITCH, NULL, "follow", 0, 0, NULL, NULL},
    {0},
};
static const gt_cli_opt extra[] = {
    {"--json", 0, GT_OPT_SWITCH, NULL, "json", 0, 0, NULL, NULL},
    {"--count", 0, GT_OPT_SWITCH, NULL, "shadowed by the first table", 0, 0, NULL, NULL},
    {0},
};

/* Parse argv (NULL-terminated, argv[0] is the command) and return the i-th token. */
static gt_tok nth(char **argv, int i, gt_error *err) {
    int argc = 0;
    while (argv[argc])
        argc++;
    gt_cli_args a = {argc, argv, 1};
    gt_tok t = {GT_TOK_END, NULL, NULL, 0, 0};
    memset(err, 0, sizeof *err);
    for (int k = 0; k <= i; k++)
        t = gt_cli_opt_next(&a, table, extra, err);
    return t;
}

static gt_tok one(const char *a1, const char *a2, gt_error *err) {
    char *argv[] = {"cmd", (char *)a1, (char *)a2, NULL};
    return nth(argv, 0, err);
}

static void expect_error(const char *a1, const char *a2, const char *msg) {
    gt_error err;
    gt_tok t = one(a1, a2, &err);
    if (t.kind != GT_TOK_ERR)
        fail_msg("'%s %s' accepted", a1, a2 ? a2 : "");
    assert_string_equal(err.msg, msg);
    assert_true(err.code == GT_E_INVALID || err.code == GT_E_RANGE);
}

static void test_values(void **state) {
    (void)state;
    gt_error err;
    gt_tok t = one("--count", "3", &err);
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
    gt_cli_args a = {8, argv, 1};
    for (int k = 0; k < 4; k++)
        gt_cli_opt_next(&a, table, NULL, &err);
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
}

static void test_help(void **state) {
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    gt_cli_opt_help(f, table);
    fclose(f);
    assert_non_null(strstr(text, "  -c, --count N"));
    assert_non_null(strstr(text, "  --replicas MIN[:MAX]"));
    assert_non_null(strstr(text, "  -f, --follow "));
    int lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 8); /* one per row */
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_sequence),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
