/* SPDX-License-Identifier: MIT
 * Unit tests for the CLI's value parsers: integers, durations, memory sizes, job ids.
 * Each bad input must be refused with a reason, never half-read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "cli/parse.h"

static long long int_ok(const char *s) {
    long long v = -999;
    const char *why = NULL;
    if (gt_cli_parse_int(s, &v, &why) != 0)
        fail_msg("'%s' refused: %s", s, why);
    return v;
}

static const char *int_bad(const char *s) {
    long long v = 7;
    const char *why = NULL;
    if (gt_cli_parse_int(s, &v, &why) == 0)
        fail_msg("'%s' accepted as %lld", s, v);
    assert_int_equal(v, 7); /* untouched */
    assert_non_null(why);
    return why;
}

static void test_int(void **state) {
    (void)state;
    assert_int_equal(int_ok("0"), 0);
    assert_int_equal(int_ok("42"), 42);
    assert_int_equal(int_ok("-1"), -1);
    assert_int_equal(int_ok("007"), 7);
    assert_true(int_ok("9223372036854775807") == INT64_MAX);
    const char *bad[] = {"", "-", "+1", " 1", "1 ", "1x", "0x10", "1.0", "--1", "1e3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_string_equal(int_bad(bad[i]), "expected an integer");
    assert_string_equal(int_bad("9223372036854775808"), "too large");
    assert_string_equal(int_bad("-99999999999999999999"), "too large");
}

static int64_t dur_ok(const char *s) {
    int64_t ms = -1;
    const char *why = NULL;
    if (gt_cli_parse_duration_ms(s, &ms, &why) != 0)
        fail_msg("'%s' refused: %s", s, why);
    return ms;
}

static const char *dur_bad(const char *s) {
    int64_t ms = 7;
    const char *why = NULL;
    if (gt_cli_parse_duration_ms(s, &ms, &why) == 0)
        fail_msg("'%s' accepted as %lld ms", s, (long long)ms);
    assert_int_equal(ms, 7);
    assert_non_null(why);
    return why;
}

static void test_duration(void **state) {
    (void)state;
    assert_int_equal(dur_ok("0"), 0);
    assert_int_equal(dur_ok("90"), 90000);
    assert_int_equal(dur_ok("1.5"), 1500);
    assert_int_equal(dur_ok("0.001"), 1);
    assert_int_equal(dur_ok("0.0004"), 0); /* rounds to the millisecond */
    assert_int_equal(dur_ok("0.0005"), 1);
    assert_int_equal(dur_ok("90s"), 90000);
    assert_int_equal(dur_ok("250ms"), 250);
    assert_int_equal(dur_ok("30m"), 1800000);
    assert_int_equal(dur_ok("2h"), 7200000);
    assert_int_equal(dur_ok("1d"), 86400000);
    assert_int_equal(dur_ok("1h30m"), 5400000);
    assert_int_equal(dur_ok("1.5h"), 5400000);
    assert_int_equal(dur_ok("1d2h3m4s5ms"), 93784005);
    assert_int_equal(dur_ok("3650d"), 315360000000LL);
    const char *expect = "expected a duration like 90, 90s, 30m, 2h or 1h30m";
    const char *bad[] = {"",    "-1",  "+1",  "1.", ".5",        "5y",     "1h30", "h",
                         "1 h", "1e3", "1hh", "s",  "1.1234567", "1h-30m", "nan",  "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_string_equal(dur_bad(bad[i]), expect);
    assert_string_equal(dur_bad("99999999999999d"), "too large");
    assert_string_equal(dur_bad("999999999999999"), "too large");
    assert_string_equal(dur_bad("9999999999999999"), expect); /* too many digits */
}

static int64_t size_ok(const char *s) {
    int64_t mb = -1;
    const char *why = NULL;
    if (gt_cli_parse_size_mb(s, &mb, &why) != 0)
        fail_msg("'%s' refused: %s", s, why);
    return mb;
}

static const char *size_bad(const char *s) {
    int64_t mb = 7;
    const char *why = NULL;
    if (gt_cli_parse_size_mb(s, &mb, &why) == 0)
        fail_msg("'%s' accepted as %lld MiB", s, (long long)mb);
    assert_int_equal(mb, 7);
    assert_non_null(why);
    return why;
}

static void test_size(void **state) {
    (void)state;
    assert_int_equal(size_ok("0"), 0);
    assert_int_equal(size_ok("512"), 512);
    assert_int_equal(size_ok("512M"), 512);
    assert_int_equal(size_ok("512MiB"), 512);
    assert_int_equal(size_ok("512mb"), 512);
    assert_int_equal(size_ok("4G"), 4096);
    assert_int_equal(size_ok("4GiB"), 4096);
    assert_int_equal(size_ok("4g"), 4096);
    assert_int_equal(size_ok("1.5G"), 1536);
    assert_int_equal(size_ok("0.25G"), 256);
    assert_int_equal(size_ok("1T"), 1048576);
    assert_int_equal(size_ok("2048K"), 2);
    assert_int_equal(size_ok("1024T"), 1LL << 30);
    const char *expect = "expected a size in MiB or with a unit, like 512M or 4G";
    const char *bad[] = {"", "-1", "5Q", "4GG", "G", "4 G", "4G ", "1.", "4GiBs", "0x10", "1e3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_string_equal(size_bad(bad[i]), expect);
    assert_string_equal(size_bad("1.3M"), "not a whole number of MiB");
    assert_string_equal(size_bad("1K"), "not a whole number of MiB");
    assert_string_equal(size_bad("1.5"), "not a whole number of MiB");
    assert_string_equal(size_bad("99999999999999T"), "too large");
}

static void test_id(void **state) {
    (void)state;
    long long id = 0;
    assert_int_equal(gt_cli_parse_id("12", &id), 0);
    assert_int_equal(id, 12);
    assert_int_equal(gt_cli_parse_id("0", &id), 0); /* the controller counts from 0 */
    assert_int_equal(id, 0);
    const char *bad[] = {"-1", "-3", "abc", "", "12a", "1.0", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        id = 5;
        assert_int_equal(gt_cli_parse_id(bad[i], &id), -1);
        assert_int_equal(id, 5);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
