/* SPDX-License-Identifier: MIT
 * Unit tests for --output / --error file patterns (core/logpath.h): what is accepted, what
 * is refused and why, and what a pattern expands to for a rank. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "core/jobspec.h"
#include "core/logpath.h"

static void expect_bad(const char *pat, const char *want) {
    char why[300] = "";
    assert_int_equal(gt_log_pattern_check(pat, why, sizeof why), -1);
    assert_string_equal(why, want);
}

static void test_check(void **state) {
    (void)state;
    char why[300];
    const char *good[] = {"out.log", "/a/%j/%t-%a.out", "%%", "100%%-%j", "x"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_int_equal(gt_log_pattern_check(good[i], why, sizeof why), 0);
    expect_bad("log-%x", "unknown %x in 'log-%x': use %j (job id), %t (rank), %a (task id) or %% "
                         "(a '%')");
    expect_bad("a%", "a lone '%' at the end of 'a%' (%% is a '%')");
    expect_bad("", "expected a file pattern of 1 to 1023 bytes");
    expect_bad("a\tb", "a control character in the file pattern");
    char big[GT_LOG_PATTERN_MAX + 1];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    expect_bad(big, "expected a file pattern of 1 to 1023 bytes");
}

static void test_expand(void **state) {
    (void)state;
    char out[64];
    assert_int_equal(gt_log_pattern_expand("/l/%j-%t-%a.%%", 12, 3, 7, out, sizeof out), 0);
    assert_string_equal(out, "/l/12-3-7.%");
    assert_int_equal(gt_log_pattern_expand("%j%j", 4294967295u, 0, 0, out, sizeof out), 0);
    assert_string_equal(out, "42949672954294967295");
    assert_int_equal(gt_log_pattern_expand("plain", 1, 2, 3, out, sizeof out), 0);
    assert_string_equal(out, "plain");
    char small[8];
    assert_int_equal(gt_log_pattern_expand("abc-%j", 123456, 0, 0, small, sizeof small), -1);
    assert_int_equal(gt_log_pattern_expand("abc%j", 1234, 0, 0, small, sizeof small), 0);
    assert_string_equal(small, "abc1234");
}

/* The job spec's fields use the same check, naming the field. */
static void test_jobspec_fields(void **state) {
    (void)state;
    gt_jobspec s;
    gt_error err = {0};
    const char *ok = "{\"command\": [\"true\"], \"output\": \"o-%j\", \"error\": \"e-%t\"}";
    assert_int_equal(gt_jobspec_parse_json(ok, strlen(ok), "j", &s, &err), GT_E_OK);
    const char *bad = "{\"command\": [\"true\"], \"error\": \"e-%q\"}";
    assert_int_not_equal(gt_jobspec_parse_json(bad, strlen(bad), "j", &s, &err), GT_E_OK);
    assert_non_null(strstr(err.msg, "error: unknown %q in 'e-%q'"));
    const char *num = "{\"command\": [\"true\"], \"output\": 3}";
    assert_int_not_equal(gt_jobspec_parse_json(num, strlen(num), "j", &s, &err), GT_E_OK);
    assert_non_null(strstr(err.msg, "output"));
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_check), cmocka_unit_test(test_expand),
                                       cmocka_unit_test(test_jobspec_fields)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
