/* SPDX-License-Identifier: MIT
 * Unit tests for the command-line value parsers (util/parse.h) that the options parser of
 * all four programs uses: integers, numbers, durations, memory sizes, job ids.
 * Each bad input must be refused with a reason, never half-read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "util/parse.h"

static long long int_ok(const char *s) {
    long long v = -999;
    const char *why = NULL;
    if (gt_parse_int(s, &v, &why) != 0)
        fail_msg("'%s' refused: %s", s, why);
    return v;
}

static const char *int_bad(const char *s) {
    long long v = 7;
    const char *why = NULL;
    if (gt_parse_int(s, &v, &why) == 0)
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

static void test_real(void **state) {
    (void)state;
    const char *why = NULL;
    double x = -1;
    assert_int_equal(gt_parse_real("0.9", &x, &why), 0);
    assert_true(x == 0.9);
    assert_int_equal(gt_parse_real("12", &x, &why), 0);
    assert_true(x == 12);
    assert_int_equal(gt_parse_real("-1.5", &x, &why), 0); /* the caller's range refuses it */
    assert_true(x == -1.5);
    assert_int_equal(gt_parse_real("1e3", &x, &why), 0);
    assert_true(x == 1000);
    const char *bad[] = {"", " 1", "1 ", "1x", "abc", ".", "1,5", "nan", "inf"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        x = 7;
        why = NULL;
        if (gt_parse_real(bad[i], &x, &why) == 0)
            fail_msg("'%s' accepted as %g", bad[i], x);
        assert_true(x == 7);
        assert_non_null(why);
    }
    assert_int_equal(gt_parse_real("1e999", &x, &why), -1);
    assert_string_equal(why, "too large");
}

static int64_t dur_ok(const char *s) {
    int64_t ms = -1;
    const char *why = NULL;
    if (gt_parse_duration_ms(s, &ms, &why) != 0)
        fail_msg("'%s' refused: %s", s, why);
    return ms;
}

static const char *dur_bad(const char *s) {
    int64_t ms = 7;
    const char *why = NULL;
    if (gt_parse_duration_ms(s, &ms, &why) == 0)
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
    assert_int_equal(dur_ok("1:30"), 90000); /* Slurm's clock times too (test_clock) */
    assert_int_equal(dur_ok("2:00:00"), 7200000);
    assert_int_equal(dur_ok("1-12"), 129600000);
    const char *expect = "expected a duration like 90, 90s, 30m, 2h, 1h30m or [D-]HH:MM:SS";
    const char *bad[] = {"",    "-1",  "+1",   "1.",      ".5",        "5y",     "1h30", "h",
                         "1 h", "1e3", "1hh",  "s",       "1.1234567", "1h-30m", "nan",  "0x10",
                         "1:",  ":30", "1::2", "1:2:3:4", "1-",        "1.5:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_string_equal(dur_bad(bad[i]), expect);
    assert_string_equal(dur_bad("99999999999999d"), "too large");
    assert_string_equal(dur_bad("999999999999999"), "too large");
    assert_string_equal(dur_bad("9999999999999999"), expect); /* too many digits */
}

static int64_t clock_ok(const char *s) {
    int64_t ms = -1;
    const char *why = NULL;
    if (gt_parse_clock_ms(s, &ms, &why) != 0)
        fail_msg("'%s' refused: %s", s, why);
    return ms;
}

static const char *clock_bad(const char *s) {
    int64_t ms = 7;
    const char *why = NULL;
    if (gt_parse_clock_ms(s, &ms, &why) == 0)
        fail_msg("'%s' accepted as %lld ms", s, (long long)ms);
    assert_int_equal(ms, 7);
    assert_non_null(why);
    return why;
}

/* Slurm's five clock forms; the first field is unbounded, the others are not. */
static void test_clock(void **state) {
    (void)state;
    assert_int_equal(clock_ok("0:00"), 0);
    assert_int_equal(clock_ok("1:30"), 90000);         /* MM:SS */
    assert_int_equal(clock_ok("90:00"), 5400000);      /* minutes past 59 lead */
    assert_int_equal(clock_ok("02:00:00"), 7200000);   /* HH:MM:SS */
    assert_int_equal(clock_ok("36:00:00"), 129600000); /* hours past 23 lead */
    assert_int_equal(clock_ok("1-0"), 86400000);       /* D-HH */
    assert_int_equal(clock_ok("2-12"), 216000000);
    assert_int_equal(clock_ok("1-02:30"), 95400000);    /* D-HH:MM */
    assert_int_equal(clock_ok("1-02:03:04"), 93784000); /* D-HH:MM:SS */
    assert_int_equal(clock_ok("0-00:00:01"), 1000);
    assert_int_equal(clock_ok("3650-00:00:00"), 315360000000LL);
    const char *expect = "expected MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS";
    const char *bad[] = {
        "",     "90",   "1:",     ":30",   "1::2",      "1:2:3:4", "1-",
        "-1",   "1--2", "1-2-3",  "1-:30", "1-1:2:3:4", "a:b",     "1:3O",
        " 1:2", "1:2 ", "1.5:00", "+1:00", "1:-2",      "1e3:00",  "10000000000:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_string_equal(clock_bad(bad[i]), expect);
    const char *range = "minutes and seconds go up to 59, and hours up to 23 after a day count";
    const char *out_of_range[] = {"1:60",    "1:60:00", "1:00:60",   "1-24",
                                  "1-24:00", "1-00:60", "1-00:00:60"};
    for (size_t i = 0; i < sizeof out_of_range / sizeof out_of_range[0]; i++)
        assert_string_equal(clock_bad(out_of_range[i]), range);
    assert_string_equal(clock_bad("999999999-00"), "too large");
}

static int64_t time_ok(const char *s) {
    int64_t ms = -1;
    const char *why = NULL;
    if (gt_parse_time_ms(s, &ms, &why) != 0)
        fail_msg("'%s' refused: %s", s, why);
    return ms;
}

static const char *time_bad(const char *s) {
    int64_t ms = 7;
    const char *why = NULL;
    if (gt_parse_time_ms(s, &ms, &why) == 0)
        fail_msg("'%s' accepted as %lld ms", s, (long long)ms);
    assert_int_equal(ms, 7);
    assert_non_null(why);
    return why;
}

/* sbatch's --time: a bare number is minutes; the clock forms and units as durations. */
static void test_time(void **state) {
    (void)state;
    assert_int_equal(time_ok("0"), 0);
    assert_int_equal(time_ok("90"), 5400000);
    assert_int_equal(time_ok("007"), 420000);
    assert_int_equal(time_ok("5:30"), 330000);
    assert_int_equal(time_ok("2:00:00"), 7200000);
    assert_int_equal(time_ok("1-12"), 129600000);
    assert_int_equal(time_ok("1-12:30"), 131400000);
    assert_int_equal(time_ok("1-12:30:15"), 131415000);
    assert_int_equal(time_ok("2h"), 7200000); /* gantry's units are not ambiguous */
    assert_int_equal(time_ok("90s"), 90000);
    const char *expect =
        "expected minutes or a time like MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS";
    const char *bad[] = {"", "1.5", ".5", "-5", "5y", "1:2:3:4", "1-", "x", "1 ", "1:", "2h:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_string_equal(time_bad(bad[i]), expect);
    assert_string_equal(time_bad("1:75"),
                        "minutes and seconds go up to 59, and hours up to 23 after a day count");
    assert_string_equal(time_bad("9999999999999"), "too large");
    assert_string_equal(time_bad("99999999999"), "too large");
}

static int64_t size_ok(const char *s) {
    int64_t mb = -1;
    const char *why = NULL;
    if (gt_parse_size_mb(s, &mb, &why) != 0)
        fail_msg("'%s' refused: %s", s, why);
    return mb;
}

static const char *size_bad(const char *s) {
    int64_t mb = 7;
    const char *why = NULL;
    if (gt_parse_size_mb(s, &mb, &why) == 0)
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
    assert_int_equal(gt_parse_id("12", &id), 0);
    assert_int_equal(id, 12);
    assert_int_equal(gt_parse_id("0", &id), 0); /* the controller counts from 0 */
    assert_int_equal(id, 0);
    const char *bad[] = {"-1", "-3", "abc", "", "12a", "1.0", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        id = 5;
        assert_int_equal(gt_parse_id(bad[i], &id), -1);
        assert_int_equal(id, 5);
    }
}

/* Task ranges as scancel and --array write them. */
static void test_ranges(void **state) {
    (void)state;
    uint32_t r[4][2];
    size_t n;
    const char *why;
    assert_int_equal(gt_parse_ranges("17-40", r, 4, &n, &why), 0);
    assert_int_equal(n, 1);
    assert_int_equal(r[0][0], 17);
    assert_int_equal(r[0][1], 40);
    assert_int_equal(gt_parse_ranges("0,3,5-9", r, 4, &n, &why), 0);
    assert_int_equal(n, 3);
    assert_int_equal(r[1][0], 3);
    assert_int_equal(r[1][1], 3);
    assert_int_equal(r[2][0], 5);
    assert_int_equal(r[2][1], 9);
    assert_int_equal(gt_parse_ranges("4294967294", r, 4, &n, &why), 0);
    assert_int_equal(gt_parse_ranges("40-17", r, 4, &n, &why), -1);
    assert_non_null(strstr(why, "goes up"));
    assert_int_equal(gt_parse_ranges("1,2,3,4,5", r, 4, &n, &why), -1);
    assert_non_null(strstr(why, "too many"));
    const char *bad[] = {"",      "-",  "1-", "-3",         "1,",          ",1",  "1,,2", "a",
                         "1-2-3", " 1", "1 ", "4294967295", "99999999999", "1;2", "+1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (gt_parse_ranges(bad[i], r, 4, &n, &why) != -1)
            fail_msg("'%s' was taken", bad[i]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int),      cmocka_unit_test(test_real),
        cmocka_unit_test(test_duration), cmocka_unit_test(test_clock),
        cmocka_unit_test(test_time),     cmocka_unit_test(test_size),
        cmocka_unit_test(test_id),       cmocka_unit_test(test_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
