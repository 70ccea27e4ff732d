/* SPDX-License-Identifier: MIT
 * The tokens file: roles and tenants are read, lookups find exactly the listed tokens
 * (plain or stored as sha256:SALT:HEX), node credentials are bound to their node, and
 * every kind of bad line is refused with its line number. Also SHA-256 against the FIPS
 * 180-4 / NIST test vectors, and the constant-time comparisons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"
#include "util/secret.h"
#include "util/sha256.h"

static void parse_ok(const char *text, ctld_tokens *t) {
    gt_error err = {0};
    if (ctld_tokens_parse(text, strlen(text), "tokens", t, &err) != GT_E_OK)
        fail_msg("%s: %s", err.where, err.msg);
    char why[200];
    if (ctld_tokens_check(t, text, strlen(text), why, sizeof why))
        fail_msg("%s", why);
}

static void test_parse_and_find(void **state) {
    (void)state;
    const char *text =
        "# comment\n\n  adminadminadmin0001 ops admin\n"
        "useruseruseruser0002\tresearch user alice.b\r\nnodenodenodenode0003 ops node\n";
    ctld_tokens t;
    parse_ok(text, &t);
    assert_int_equal(t.n, 3);
    const ctld_principal *p = ctld_tokens_find(&t, "useruseruseruser0002");
    assert_non_null(p);
    assert_int_equal(p->role, ROLE_USER);
    assert_string_equal(p->tenant, "research");
    assert_string_equal(p->user, "alice.b");
    assert_int_equal(p->line, 4);
    assert_int_equal(ctld_tokens_find(&t, "adminadminadmin0001")->role, ROLE_ADMIN);
    assert_string_equal(ctld_tokens_find(&t, "adminadminadmin0001")->user, "");
    assert_int_equal(ctld_tokens_find(&t, "nodenodenodenode0003")->role, ROLE_NODE);
    assert_string_equal(ctld_tokens_find(&t, "nodenodenodenode0003")->node, "");
    assert_null(ctld_tokens_find(&t, "useruseruseruser0003"));
    assert_null(ctld_tokens_find(&t, "useruseruseruser000"));
    assert_null(ctld_tokens_find(&t, ""));
    assert_null(ctld_tokens_find(&t, NULL));
    ctld_tokens_free(&t);
}

/* No plain token stays in memory: the table holds salts and hashes only. */
static void test_no_plain_token_kept(void **state) {
    (void)state;
    const char *tok = "secretsecretsecret0005";
    char text[100];
    snprintf(text, sizeof text, "%s ops admin\n", tok);
    ctld_tokens t;
    parse_ok(text, &t);
    const unsigned char *mem = (const unsigned char *)t.v;
    size_t n = t.n * sizeof *t.v;
    for (size_t i = 0; i + 6 <= n; i++)
        assert_false(memcmp(mem + i, "secret", 6) == 0);
    assert_int_equal(strlen(t.v[0].salt), 32); /* a new random salt */
    assert_non_null(ctld_tokens_find(&t, tok));
    ctld_tokens_free(&t);
}

/* sha256:SALT:HEX lines (HEX = SHA-256 of SALT's text then the token): found by the token,
 * once by trying salts, then from the cache; node:NAME binds a node credential. */
static void test_hashed_lines(void **state) {
    (void)state;
    const char *text =
        "sha256:0123456789abcdef:7d0157c9e244b4e7702f17ba830f2b9a2875e2b2ff9015baaedd216a886e058f "
        "ops admin\n"
        "sha256:0123456789ABCDEF0123:"
        "0000000000000000000000000000000000000000000000000000000000000000 "
        "ops user\n"
        "# gpu-007's own credential\n"
        "sha256:0123456789abcdef:0311A3B5EC20F68515DD27EF533B56F27B8FB32EC90561001CFFCD85AA4377F8 "
        "ops node:gpu-007\n"
        "plainplainplain0006 ops node:gpu-008\n";
    ctld_tokens t;
    parse_ok(text, &t);
    assert_int_equal(t.n, 4);
    const ctld_principal *p = ctld_tokens_find(&t, "hashedhashedhash0004");
    assert_non_null(p);
    assert_int_equal(p->role, ROLE_ADMIN);
    assert_int_equal(p->line, 1);
    assert_true(atomic_load(&p->known));
    assert_ptr_equal(ctld_tokens_find(&t, "hashedhashedhash0004"), p); /* from the cache */
    assert_null(ctld_tokens_find(&t, "hashedhashedhash0005"));
    p = ctld_tokens_find(&t, "gpu007gpu007gpu007tok");
    assert_non_null(p);
    assert_int_equal(p->role, ROLE_NODE);
    assert_string_equal(p->node, "gpu-007");
    assert_string_equal(ctld_tokens_find(&t, "plainplainplain0006")->node, "gpu-008");
    assert_true(ctld_tokens_node_bound(&t, "gpu-007"));
    assert_true(ctld_tokens_node_bound(&t, "gpu-008"));
    assert_false(ctld_tokens_node_bound(&t, "gpu-009"));
    assert_false(ctld_tokens_node_bound(&t, ""));
    ctld_tokens_free(&t);
}

/* ctld_token_hash makes a line that parses and finds its token. */
static void test_hash_roundtrip(void **state) {
    (void)state;
    char line[CTLD_HASHED_LEN], text[200];
    assert_int_equal(ctld_token_hash("roundtriproundtrip07", line, sizeof line), 0);
    assert_int_equal(strncmp(line, "sha256:", 7), 0);
    assert_int_equal(strlen(line), 7 + 32 + 1 + 64);
    snprintf(text, sizeof text, "%s a user bob\n", line);
    ctld_tokens t;
    parse_ok(text, &t);
    assert_non_null(ctld_tokens_find(&t, "roundtriproundtrip07"));
    assert_string_equal(ctld_tokens_find(&t, "roundtriproundtrip07")->user, "bob");
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

#define H64 "7d0157c9e244b4e7702f17ba830f2b9a2875e2b2ff9015baaedd216a886e058f"

static void test_bad_lines(void **state) {
    (void)state;
    expect_bad("shorttoken ops admin\n", GT_E_INVALID, "tokens:1", "16 to 127");
    expect_bad("# x\nadminadminadmin0001 ops\n", GT_E_PARSE, "tokens:2", "TOKEN TENANT ROLE");
    expect_bad("adminadminadmin0001 ops boss\n", GT_E_INVALID, "tokens:1",
               "admin, user, node or node:NAME");
    expect_bad("admin/admin/admin/01 ops admin\n", GT_E_INVALID, "tokens:1", "letters");
    expect_bad("adminadminadmin0001 ops admin\nadminadminadmin0001 b user\n", GT_E_EXISTS, "tokens",
               "lines 1 and 2 list the same token");
    expect_bad("adminadminadmin0001 ops admin alice extra\n", GT_E_PARSE, "tokens:1", "5 word");
    expect_bad("adminadminadmin0001 ops user al/ice\n", GT_E_INVALID, "tokens:1", "user:");
    expect_bad("adminadminadmin0001 ops user -alice\n", GT_E_INVALID, "tokens:1", "user:");
    expect_bad("adminadminadmin0001 ops node:\n", GT_E_INVALID, "tokens:1", "node:NAME");
    expect_bad("adminadminadmin0001 ops node:a/b\n", GT_E_INVALID, "tokens:1", "node:NAME");
    /* stored forms */
    expect_bad("# x\nmd5:0123456789abcdef:" H64 " ops admin\n", GT_E_INVALID, "tokens:2",
               "no other hash");
    expect_bad("sha256:0123456789abcde:" H64 " ops admin\n", GT_E_INVALID, "tokens:1",
               "SALT of 16 to 64");
    expect_bad("sha256:0123456789abcdeg:" H64 " ops admin\n", GT_E_INVALID, "tokens:1",
               "SALT of 16 to 64");
    expect_bad("a\nsha256:0123456789abcdef:" H64 "0 ops admin\n", GT_E_PARSE, "tokens:1", "1 word");
    expect_bad("\n\nsha256:0123456789abcdef:" H64 "0 ops admin\n", GT_E_INVALID, "tokens:3",
               "HEX of 64");
    expect_bad(
        "sha256:0123456789abcdef:7d01x7c9e244b4e7702f17ba830f2b9a2875e2b2ff9015baaedd216a886e058f"
        " ops admin\n",
        GT_E_INVALID, "tokens:1", "HEX of 64");
    expect_bad("sha256:0123456789abcdef ops admin\n", GT_E_INVALID, "tokens:1", "HEX of 64");
    expect_bad("sha256: ops admin\n", GT_E_INVALID, "tokens:1", "SALT");
    expect_bad("a: ops admin\n", GT_E_INVALID, "tokens:1", "sha256:SALT:HEX");
    expect_bad("sha256:0123456789abcdef:" H64 " ops admin\nsha256:0123456789abcdef:" H64
               " ops user\n",
               GT_E_EXISTS, "tokens", "lines 1 and 2 list the same token");
}

static void expect_sha(const char *msg, size_t len, const char *hex) {
    uint8_t d[GT_SHA256_LEN];
    char out[2 * GT_SHA256_LEN + 1];
    gt_sha256(msg, len, d);
    gt_sha256_hex(d, out);
    assert_string_equal(out, hex);
    /* the same fed in pieces of 1, 7 and 63 bytes */
    static const size_t steps[] = {1, 7, 63};
    for (size_t s = 0; s < 3; s++) {
        gt_sha256_ctx c;
        gt_sha256_init(&c);
        for (size_t i = 0; i < len; i += steps[s])
            gt_sha256_update(&c, msg + i, len - i < steps[s] ? len - i : steps[s]);
        gt_sha256_final(&c, d);
        gt_sha256_hex(d, out);
        assert_string_equal(out, hex);
    }
}

static void test_sha256_vectors(void **state) {
    (void)state;
    expect_sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect_sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    expect_sha(m448, strlen(m448),
               "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnop"
                       "jklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    expect_sha(m896, strlen(m896),
               "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    /* lengths around the padding's edges (55 fits one block, 56 needs two) */
    static char a[1000000];
    memset(a, 'a', sizeof a);
    expect_sha(a, 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    expect_sha(a, 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    expect_sha(a, 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34");
    expect_sha(a, 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
    expect_sha(a, 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb");
    uint8_t d[GT_SHA256_LEN];
    char out[2 * GT_SHA256_LEN + 1];
    gt_sha256(a, sizeof a, d); /* one million 'a' */
    gt_sha256_hex(d, out);
    assert_string_equal(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_secret_compare(void **state) {
    (void)state;
    assert_true(gt_secret_streq("node-token-0123456789", "node-token-0123456789"));
    assert_false(gt_secret_streq("node-token-0123456789", "node-token-0123456788"));
    assert_false(gt_secret_streq("node-token-0123456789", "node-token-012345678"));
    assert_false(gt_secret_streq("node-token-012345678", "node-token-0123456789"));
    assert_false(gt_secret_streq("", "x"));
    assert_true(gt_secret_streq("", ""));
    assert_false(gt_secret_streq(NULL, ""));
    assert_false(gt_secret_streq("", NULL));
    assert_true(gt_secret_memeq("ab\0c", "ab\0c", 4));
    assert_false(gt_secret_memeq("ab\0c", "ab\0d", 4));
    assert_true(gt_secret_memeq("x", "y", 0));
    char buf[8] = "secret";
    gt_secret_wipe(buf, sizeof buf);
    for (size_t i = 0; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0);
    gt_secret_wipe(NULL, 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_find), cmocka_unit_test(test_no_plain_token_kept),
        cmocka_unit_test(test_hashed_lines),   cmocka_unit_test(test_hash_roundtrip),
        cmocka_unit_test(test_bad_lines),      cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_secret_compare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
