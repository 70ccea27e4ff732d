/* SPDX-License-Identifier: MIT
 * The tokens file: roles and tenants are read, lookups find exactly the listed tokens,
 * and every kind of bad line is refused with its line number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "ctld/ctld_int.h"

static void test_parse_and_find(void **state) {
    (void)state;
    const char *text =
        "# comment\n\n  adminadminadmin0001 ops admin\n"
        "useruseruseruser0002\tresearch user alice.b\r\nnodenodenodenode0003 ops node\n";
    ctld_tokens t;
    gt_error err = {0};
    assert_int_equal(ctld_tokens_parse(text, strlen(text), "tokens", &t, &err), GT_E_OK);
    assert_int_equal(t.n, 3);
    const ctld_principal *p = ctld_tokens_find(&t, "useruseruseruser0002");
    assert_non_null(p);
    assert_int_equal(p->role, ROLE_USER);
    assert_string_equal(p->tenant, "research");
    assert_string_equal(p->user, "alice.b");
    assert_int_equal(ctld_tokens_find(&t, "adminadminadmin0001")->role, ROLE_ADMIN);
    assert_string_equal(ctld_tokens_find(&t, "adminadminadmin0001")->user, "");
    assert_int_equal(ctld_tokens_find(&t, "nodenodenodenode0003")->role, ROLE_NODE);
    assert_null(ctld_tokens_find(&t, "useruseruseruser0003"));
    assert_null(ctld_tokens_find(&t, ""));
    assert_null(ctld_tokens_find(&t, NULL));
    ctld_tokens_free(&t);
}

static void expect_bad(const char *text, gt_err code, const char *where, const char *what) {
    ctld_tokens t;
    gt_error err = {0};
    assert_int_equal(ctld_tokens_parse(text, strlen(text), "tokens", &t, &err), code);
    assert_string_equal(err.where, where);
    if (!strstr(err.msg, what))
        fail_msg("message '%s' lacks '%s'", err.msg, what);
}

static void test_bad_lines(void **state) {
    (void)state;
    expect_bad("shorttoken ops admin\n", GT_E_INVALID, "tokens:1", "16 to 127");
    expect_bad("# x\nadminadminadmin0001 ops\n", GT_E_PARSE, "tokens:2", "TOKEN TENANT ROLE");
    expect_bad("adminadminadmin0001 ops boss\n", GT_E_INVALID, "tokens:1", "admin, user or node");
    expect_bad("admin/admin/admin/01 ops admin\n", GT_E_INVALID, "tokens:1", "letters");
    expect_bad("adminadminadmin0001 ops admin\nadminadminadmin0001 b user\n", GT_E_EXISTS, "tokens",
               "twice");
    expect_bad("adminadminadmin0001 ops admin alice extra\n", GT_E_PARSE, "tokens:1", "5 word");
    expect_bad("adminadminadmin0001 ops user al/ice\n", GT_E_INVALID, "tokens:1", "user:");
    expect_bad("adminadminadmin0001 ops user -alice\n", GT_E_INVALID, "tokens:1", "user:");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_find),
        cmocka_unit_test(test_bad_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
