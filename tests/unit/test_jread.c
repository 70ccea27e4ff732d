/* SPDX-License-Identifier: MIT
 * The protocol's JSON reader (proto/jread.c) against the obvious one, jansson's
 * json_loadb(JSON_REJECT_DUPLICATES): on hand-made texts, on every fuzz corpus document, and
 * on some hundred thousand mutations of them, both accept the same texts and read the same
 * values (types, integers, reals, strings byte for byte, members in the same order). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jread_same.h"
#include "proto/jread.h"
#include "srcfile.h"

/* Both readers on one text: the same verdict and, when it parses, the same values. */
static void compare(const char *text, size_t len, const char *what) {
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    const gt_jv *root = NULL;
    char msg[96];
    size_t pos = 0;
    gt_jdoc *d = gt_jdoc_parse(text, len, &root, msg, sizeof msg, &pos);
    if (!jread_verdicts_agree(j != NULL, d != NULL, text, len))
        fail_msg("%s: jansson %s (%s), ours %s (%s at %zu): %.*s", what, j ? "accepts" : "refuses",
                 j ? "" : je.text, d ? "accepts" : "refuses", d ? "" : msg, pos,
                 (int)(len < 200 ? len : 200), text);
    if (d && !jread_same(root, j))
        fail_msg("%s: values differ: %.*s", what, (int)(len < 200 ? len : 200), text);
    if (!d)
        assert_true(msg[0] && pos <= len);
    json_decref(j);
    gt_jdoc_free(d);
}

static void compare_str(const char *text) {
    compare(text, strlen(text), "hand-made");
}

static void test_hand_made(void **state) {
    (void)state;
    static const char *const texts[] = {
        "{}",
        "[]",
        " { } ",
        "{\"a\":1}",
        "[1,2,3]",
        "[-0]",
        "[0]",
        "[01]",
        "[1.]",
        "[.5]",
        "[1e5]",
        "[1E+5]",
        "[1e-400]",
        "[1e400]",
        "[-1e400]",
        "[-]",
        "[+1]",
        "[1.5e3]",
        "[9223372036854775807]",
        "[9223372036854775808]",
        "[-9223372036854775808]",
        "[-9223372036854775809]",
        "[18446744073709551616]",
        "[true,false,null]",
        "[tru]",
        "[nul]",
        "[True]",
        "{\"a\":1,\"a\":2}",
        "{\"a\":1,\"b\":{\"a\":2}}",
        "{\"a\" 1}",
        "{\"a\":1,}",
        "[1,]",
        "[,1]",
        "{,}",
        "{\"a\"}",
        "{1:2}",
        "\"x\"",
        "1",
        "true",
        "",
        "   ",
        "[1] [2]",
        "[1] x",
        "{\"a\":\"\\u0041\\u00e9\\u20ac\\ud83d\\ude00\"}",
        "[\"\\ud83d\"]",
        "[\"\\ude00\"]",
        "[\"\\ud83d\\u0041\"]",
        "[\"\\u0000\"]",
        "[\"\\u00\"]",
        "[\"\\x\"]",
        "[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"]",
        "[\"\x01\"]",
        "[\"\x7f\"]",
        "[\"\xc3\xa9\"]",
        "[\"\xc3\"]",
        "[\"\xe2\x82\"]",
        "[\"\xed\xa0\x80\"]",
        "[\"\xf4\x90\x80\x80\"]",
        "[\"\xc0\xaf\"]",
        "[\"\xff\"]",
        "[\"abc",
        "[\"abc\\",
        "{\"\":0}",
        "{\"\":0,\"\":1}",
        "[[[[[]]]]]",
        "[{\"a\":[{\"b\":[]}]}]",
        "\t[\r\n1\n]\t",
        "[1\x0b]",
        "[1,\n2 ,3 ]",
        "{\"env\":{\"B\":\"1\",\"A\":\"2\",\"C\":\"3\"}}",
        "[-0.0]",
        "[0e0]",
        "[123456789012345678901234567890.5]",
        "[1e]",
        "[1e+]",
        "[-a]",
        "{\"a\":}",
        "[\"\\u00E9\\u00e9\"]",
        "[\"\\uDBFF\\uDFFF\"]",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        compare_str(texts[i]);
    compare("[1]\0", 4, "a NUL after the value");
    compare("[\"a\0b\"]", 7, "a NUL in a string");
}

static void test_depth(void **state) {
    (void)state;
    for (size_t depth = 2046; depth <= 2050; depth++) {
        char *t = malloc(2 * depth);
        assert_non_null(t);
        memset(t, '[', depth);
        memset(t + depth, ']', depth);
        compare(t, 2 * depth, "deep");
        free(t);
    }
}

static void test_big_object(void **state) {
    (void)state;
    /* more members than the small-object table holds, with and without a duplicate */
    for (int dup = 0; dup < 2; dup++) {
        size_t cap = 64 * 3000, n = 0;
        char *t = malloc(cap);
        assert_non_null(t);
        n += (size_t)snprintf(t + n, cap - n, "{");
        for (int i = 0; i < 3000; i++)
            n += (size_t)snprintf(t + n, cap - n, "%s\"k%d\":%d", i ? "," : "",
                                  dup && i == 2999 ? 17 : i, i);
        n += (size_t)snprintf(t + n, cap - n, "}");
        compare(t, n, dup ? "big object with a duplicate" : "big object");
        free(t);
    }
}

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A text changed at random: bytes flipped, replaced by JSON's own, removed or repeated. */
static size_t mutate(const char *in, size_t len, char *out) {
    static const char tokens[] = "{}[]\",:\\u0123456789eE.-+ tfn\xc3\xa9\xff";
    memcpy(out, in, len);
    int edits = 1 + (int)(next() % 3);
    for (int e = 0; e < edits && len; e++) {
        size_t at = next() % len;
        switch (next() % 4) {
        case 0:
            out[at] ^= (char)(1u << (next() % 8));
            break;
        case 1:
            out[at] = tokens[next() % (sizeof tokens - 1)];
            break;
        case 2:
            memmove(out + at, out + at + 1, len - at - 1);
            len--;
            break;
        default:
            memmove(out + at + 1, out + at, len - at);
            len++;
            break;
        }
    }
    return len;
}

static void test_corpus_and_mutations(void **state) {
    (void)state;
    char root[4096];
    src_path(root, sizeof root, "tests/fuzz/corpus");
    DIR *top = opendir(root);
    assert_non_null(top);
    size_t files = 0, accepted = 0;
    struct dirent *h;
    while ((h = readdir(top))) {
        if (h->d_name[0] == '.')
            continue;
        char dir[4500];
        snprintf(dir, sizeof dir, "%s/%s", root, h->d_name);
        DIR *dd = opendir(dir);
        if (!dd)
            continue;
        struct dirent *f;
        while ((f = readdir(dd))) {
            if (f->d_name[0] == '.')
                continue;
            char path[5000];
            snprintf(path, sizeof path, "%s/%s", dir, f->d_name);
            size_t len = 0;
            char *text = read_file(path, &len);
            if (!text)
                continue;
            char *m = malloc(len + 8);
            assert_non_null(m);
            for (int k = 0; k < 1000; k++) {
                size_t n = mutate(text, len, m);
                compare(m, n, path);
            }
            /* the protocol harness's seeds start with a byte that picks the decoder */
            for (size_t skip = 0; skip < 2 && skip < len; skip++) {
                compare(text + skip, len - skip, path);
                json_t *j = json_loadb(text + skip, len - skip, JSON_REJECT_DUPLICATES, NULL);
                accepted += j != NULL;
                json_decref(j);
            }
            free(m);
            free(text);
            files++;
        }
        closedir(dd);
    }
    closedir(top);
    assert_true(files > 100 && accepted > 80); /* the corpus was found and holds JSON */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_made),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_big_object),
        cmocka_unit_test(test_corpus_and_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
