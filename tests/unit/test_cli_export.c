/* SPDX-License-Identifier: MIT
 * Unit tests for `gantry submit --export` (cli/export.c): the values accepted and refused,
 * and which of a given environment reach the job's env, under what the spec says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/spec.h"

static char *envp[] = {"HOME=/home/u",        "USER=u",    "PATH=/bin",    "FOO=1",
                       "GANTRY_TOKEN=secret", "BAD\xff=x", "NOTUTF8=\xff", NULL};

/* The env of {"command": ["ls"], "env": spec_env} after exporting `spec`, as JSON text. */
static char *exported(const char *spec, const char *spec_env) {
    char text[256], why[300];
    snprintf(text, sizeof text, "{\"command\": [\"ls\"]%s%s}", spec_env ? ", \"env\": " : "",
             spec_env ? spec_env : "");
    json_t *doc = json_loads(text, 0, NULL);
    assert_non_null(doc);
    assert_int_equal(gt_cli_export_apply(spec, envp, doc, why, sizeof why), 0);
    json_t *env = json_object_get(doc, "env");
    char *s = env ? json_dumps(env, JSON_COMPACT) : strdup("none");
    json_decref(doc);
    return s;
}

#define EXPECT_ENV(spec, spec_env, want)                                                           \
    do {                                                                                           \
        char *got_ = exported(spec, spec_env);                                                     \
        assert_string_equal(got_, want);                                                           \
        free(got_);                                                                                \
    } while (0)

static void test_apply(void **state) {
    (void)state;
    EXPECT_ENV(NULL, NULL, "{\"HOME\":\"/home/u\",\"USER\":\"u\",\"PATH\":\"/bin\"}");
    EXPECT_ENV("", "{\"PATH\": \"/mine\"}",
               "{\"PATH\":\"/mine\",\"HOME\":\"/home/u\",\"USER\":\"u\"}");
    EXPECT_ENV("NONE", NULL, "none");
    EXPECT_ENV("NONE", "{\"A\": \"b\"}", "{\"A\":\"b\"}");
    EXPECT_ENV("ALL", NULL,
               "{\"HOME\":\"/home/u\",\"USER\":\"u\",\"PATH\":\"/bin\",\"FOO\":\"1\"}");
    EXPECT_ENV("FOO,BAR=x=y,UNSET", NULL, "{\"FOO\":\"1\",\"BAR\":\"x=y\"}");
    EXPECT_ENV("ALL,FOO=2", NULL, /* a later item wins */
               "{\"HOME\":\"/home/u\",\"USER\":\"u\",\"PATH\":\"/bin\",\"FOO\":\"2\"}");
    EXPECT_ENV("FOO=2,ALL", NULL,
               "{\"FOO\":\"1\",\"HOME\":\"/home/u\",\"USER\":\"u\",\"PATH\":\"/bin\"}");
    EXPECT_ENV("GANTRY_TOKEN", NULL, "{\"GANTRY_TOKEN\":\"secret\"}"); /* named: it goes */
    char why[300];
    json_t *doc = json_loads("{\"command\": [\"ls\"]}", 0, NULL);
    assert_int_equal(gt_cli_export_apply("NOTUTF8", envp, doc, why, sizeof why), -1);
    assert_string_equal(why, "--export: the value of NOTUTF8 is not valid UTF-8");
    json_decref(doc);
    doc = json_loads("{\"duration_s\": 5}", 0, NULL); /* no command: nothing */
    assert_int_equal(gt_cli_export_apply("ALL", envp, doc, why, sizeof why), 0);
    assert_null(json_object_get(doc, "env"));
    json_decref(doc);
}

static void test_check(void **state) {
    (void)state;
    char why[300];
    const char *good[] = {"ALL", "NONE", "A", "A,B", "A=1,B=", "ALL,X=,Y", "_x9=a,b=c=d"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(gt_cli_export_check(good[i], why, sizeof why), 0);
    struct {
        const char *in, *want;
    } bad[] = {
        {"", "expected ALL, NONE or a list of NAME and NAME=VALUE, got '' in ''"},
        {"A,", "expected ALL, NONE or a list of NAME and NAME=VALUE, got '' in 'A,'"},
        {"9A", "expected ALL, NONE or a list of NAME and NAME=VALUE, got '9A' in '9A'"},
        {"=x", "expected ALL, NONE or a list of NAME and NAME=VALUE, got '=x' in '=x'"},
        {"A-B=1", "expected ALL, NONE or a list of NAME and NAME=VALUE, got 'A-B=1' in 'A-B=1'"},
        {"NONE,A", "NONE goes alone, got 'NONE,A'"},
        {"A,NONE", "NONE goes alone, got 'A,NONE'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(gt_cli_export_check(bad[i].in, why, sizeof why), -1);
        assert_string_equal(why, bad[i].want);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_check), cmocka_unit_test(test_apply)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
