/* SPDX-License-Identifier: MIT
 * The protocol's JSON reader compared with jansson, value by value (test_jread and the
 * fuzz_jread harness share it). */
#ifndef GT_TEST_JREAD_SAME_H
#define GT_TEST_JREAD_SAME_H

#include <jansson.h>
#include <string.h>

#include "proto/jread.h"

/* 1 when ours and jansson's values are the same. */
static inline int jread_same(const gt_jv *a, const json_t *b) {
    switch (a->type) {
    case GT_JV_NULL:
        return json_is_null(b);
    case GT_JV_TRUE:
        return json_is_true(b);
    case GT_JV_FALSE:
        return json_is_false(b);
    case GT_JV_INT:
        return json_is_integer(b) && json_integer_value(b) == a->i;
    case GT_JV_REAL:
        return json_is_real(b) && json_real_value(b) == a->d;
    case GT_JV_STR:
        return json_is_string(b) && json_string_length(b) == a->n &&
               !memcmp(json_string_value(b), a->s, a->n) && !a->s[a->n];
    case GT_JV_ARR:
        if (!json_is_array(b) || json_array_size(b) != a->n)
            return 0;
        for (size_t i = 0; i < a->n; i++)
            if (!jread_same(gt_jv_at(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    case GT_JV_OBJ: {
        if (!json_is_object(b) || json_object_size(b) != a->n)
            return 0;
        size_t i = 0;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)b, k, v) {
            const gt_jv *m = gt_jv_at(a, i++);
            if (strcmp(m->key, k) || strlen(k) != m->keylen || !jread_same(m, v) ||
                gt_jv_get(a, k) != m)
                return 0;
        }
        return 1;
    }
    }
    return 0;
}

/* 1 when the two verdicts on a text agree. jansson skips a NUL byte right after a number
 * or a literal ("[null\0]" parses: its lexer puts the NUL back where it means "read
 * more"); our reader refuses every NUL outside a string, so on a text with a NUL only
 * jansson may accept. */
static inline int jread_verdicts_agree(int jansson_ok, int ours_ok, const char *text, size_t len) {
    return jansson_ok == ours_ok || (jansson_ok && memchr(text, 0, len));
}

#endif
