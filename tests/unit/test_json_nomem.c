/* SPDX-License-Identifier: MIT
 * JSON text when memory runs out (STYLE.md point 6: fail the Nth allocation). jansson's
 * own allocator is replaced by one that fails the Nth allocation of the thread that arms
 * it, every N in turn:
 *   - gt_json_dumps returns the whole text or NULL, never a damaged one (json_dumps drops
 *     an object's key there: proto/json.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "proto/json.h"

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
    const char *text = "{\"name\":\"c15\",\"gpus\":0,\"cpus\":1,\"command\":[\"true\"],"
                       "\"env\":{\"A_LONGER_NAME\":\"value\",\"B\":\"\\u00FC\"}}";
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dumps_whole_or_null),
    };
    return cmocka_run_group_tests(tests, setup_alloc, teardown_alloc);
}
