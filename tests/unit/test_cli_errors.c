/* SPDX-License-Identifier: MIT
 * Unit tests for what the CLI says when the controller refuses or cannot be reached: the
 * error-code name lookup over errors.def, the exit code of every answer, the messages and
 * their hints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "cli/apierr.h"

static void test_lookup(void **state) {
    (void)state;
    for (int e = 0; e < GT_E__COUNT; e++) /* every row round-trips through its name */
        assert_int_equal(gt_cli_err_by_name(gt_err_name((gt_err)e)), e);
    assert_int_equal(gt_cli_err_by_name("not_found"), GT_E_NOT_FOUND);
    assert_int_equal(gt_cli_err_by_name("unauthorized"), GT_E_UNAUTHORIZED);
    assert_int_equal(gt_cli_err_by_name("NOT_FOUND"), GT_E__COUNT); /* names are exact */
    assert_int_equal(gt_cli_err_by_name("not_found "), GT_E__COUNT);
    assert_int_equal(gt_cli_err_by_name(""), GT_E__COUNT);
    assert_int_equal(gt_cli_err_by_name("bogus"), GT_E__COUNT);
    assert_int_equal(gt_cli_err_by_name(NULL), GT_E__COUNT);
}

static void test_by_status(void **state) {
    (void)state;
    assert_int_equal(gt_cli_err_by_status(400), GT_E_INVALID);
    assert_int_equal(gt_cli_err_by_status(401), GT_E_UNAUTHORIZED);
    assert_int_equal(gt_cli_err_by_status(403), GT_E_FORBIDDEN);
    assert_int_equal(gt_cli_err_by_status(404), GT_E_NOT_FOUND);
    assert_int_equal(gt_cli_err_by_status(409), GT_E_STATE);
    assert_int_equal(gt_cli_err_by_status(413), GT_E_LIMIT);
    assert_int_equal(gt_cli_err_by_status(422), GT_E_IMPOSSIBLE);
    assert_int_equal(gt_cli_err_by_status(429), GT_E_LIMIT);
    assert_int_equal(gt_cli_err_by_status(418), GT_E_INVALID);
    assert_int_equal(gt_cli_err_by_status(500), GT_E_IO);
    assert_int_equal(gt_cli_err_by_status(502), GT_E_UNAVAILABLE);
    assert_int_equal(gt_cli_err_by_status(503), GT_E_UNAVAILABLE);
    assert_int_equal(gt_cli_err_by_status(302), GT_E__COUNT);
    assert_int_equal(gt_cli_err_by_status(200), GT_E__COUNT);
}

static int api(long status, const char *body, char *msg, size_t len) {
    memset(msg, 'x', len);
    return gt_cli_api_error(status, body, body ? strlen(body) : 0, msg, len);
}

static void test_api_error(void **state) {
    (void)state;
    char msg[512];
    /* the exit code is errors.def's for the code in the body, whatever the status */
    assert_int_equal(api(404, "{\"error\": {\"code\": \"not_found\", \"message\": \"no job 12\"}}",
                         msg, sizeof msg),
                     4);
    assert_string_equal(msg, "no job 12");
    assert_int_equal(api(400,
                         "{\"error\": {\"code\": \"invalid\", \"message\": \"gpus: must be an "
                         "integer\", \"where\": \"body\"}}",
                         msg, sizeof msg),
                     2);
    assert_string_equal(msg, "body: gpus: must be an integer");
    assert_int_equal(api(422,
                         "{\"error\": {\"code\": \"impossible\", \"message\": \"m\", "
                         "\"where\": \"\"}}",
                         msg, sizeof msg),
                     3);
    assert_string_equal(msg, "m");
    assert_int_equal(
        api(409, "{\"error\": {\"code\": \"state\", \"message\": \"done\"}}", msg, sizeof msg), 5);
    assert_int_equal(
        api(500, "{\"error\": {\"code\": \"io\", \"message\": \"disk\"}}", msg, sizeof msg), 7);
    /* an unknown code falls back on the status */
    assert_int_equal(
        api(409, "{\"error\": {\"code\": \"new_code\", \"message\": \"m\"}}", msg, sizeof msg), 5);
    assert_int_equal(
        api(302, "{\"error\": {\"code\": \"new_code\", \"message\": \"m\"}}", msg, sizeof msg), 1);
}

static void test_hints(void **state) {
    (void)state;
    char msg[512];
    assert_int_equal(api(401,
                         "{\"error\": {\"code\": \"unauthorized\", \"message\": \"no token\"}}",
                         msg, sizeof msg),
                     8);
    assert_non_null(strstr(msg, "no token; pass a token with --token-file PATH or GANTRY_TOKEN"));
    assert_non_null(strstr(msg, "GANTRY_TOKEN"));
    assert_non_null(strstr(msg, "gantry-data/admin.token"));
    assert_int_equal(api(403, "{\"error\": {\"code\": \"forbidden\", \"message\": \"admin only\"}}",
                         msg, sizeof msg),
                     9);
    assert_non_null(strstr(msg, "admin only; "));
    assert_non_null(strstr(msg, "admin token"));
    assert_int_equal(api(401, "", msg, sizeof msg), 8); /* the hint without a body too */
    assert_non_null(strstr(msg, "--token"));
}

static void test_no_document(void **state) {
    (void)state;
    char msg[512];
    assert_int_equal(api(502, "<html>Bad\r\nGateway</html>", msg, sizeof msg), 10);
    assert_string_equal(msg, "the controller answered HTTP 502 (the controller cannot be "
                             "reached): <html>Bad  Gateway</html>");
    assert_int_equal(api(500, NULL, msg, sizeof msg), 7);
    assert_string_equal(msg, "the controller answered HTTP 500 (input/output error)");
    assert_int_equal(api(404, "{\"error\": \"not an object\"}", msg, sizeof msg), 4);
    assert_int_equal(api(400, "{\"error\": {\"code\": 3}}", msg, sizeof msg), 2);
    assert_int_equal(api(301, "moved", msg, sizeof msg), 1);
    assert_string_equal(msg, "the controller answered HTTP 301 (unexpected): moved");
    char big[300];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    api(500, big, msg, sizeof msg);
    assert_true(strlen(msg) < 160); /* an excerpt, not the whole body */
    api(500, "{\"error\": {\"code\": \"io\", \"message\": \"m\"}}", msg, 8);
    assert_int_equal(strlen(msg), 1); /* truncated, terminated */
}

static void test_unreachable(void **state) {
    (void)state;
    char msg[512];
    gt_cli_unreachable("http://127.0.0.1:7070", "Connection refused", msg, sizeof msg);
    assert_string_equal(msg, "cannot reach the controller at http://127.0.0.1:7070 (Connection "
                             "refused); is gantryd running? set --server or GANTRY_SERVER");
    gt_cli_unreachable("http://h:1", "", msg, sizeof msg);
    assert_non_null(strstr(msg, "(no answer)"));
    assert_int_equal(gt_err_exit(GT_E_UNAVAILABLE), 10);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),      cmocka_unit_test(test_by_status),
        cmocka_unit_test(test_api_error),   cmocka_unit_test(test_hints),
        cmocka_unit_test(test_no_document), cmocka_unit_test(test_unreachable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
