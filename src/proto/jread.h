/* SPDX-License-Identifier: MIT
 * A JSON reader for the protocol's decoders: a whole text parsed into a tree of read-only
 * values that live in one arena, freed at once.
 *
 * Why not jansson's json_loadb: a batch of 4,096 start items has some 100,000 values, and
 * jansson allocates each value, each string and each object's hash table on its own, then
 * frees them one by one: at 30,000 tasks a second that was over half of the agent's time
 * (json_loadb 41%, json_delete 12%). Here the values are laid out in chunks of a growing
 * arena, an object's members and an array's elements side by side, so that reading a
 * member is a short scan from where the last one was found (decoders read fields in the
 * order encoders write them).
 *
 * It accepts what json_loadb(text, len, JSON_REJECT_DUPLICATES) accepts, with the same
 * values (but for a NUL byte right after a number or a literal, which jansson skips and
 * this reader refuses) (tests/unit/test_jread.c compares the two on every corpus document and on
 * hand-made texts): RFC 8259 text whose root is an object or an array; strings of valid
 * UTF-8 without a \u0000; integers that fit in 64 bits (a larger one is an error, not a
 * real); duplicate keys refused; at most 2,048 levels of nesting. Errors name what is
 * wrong and the byte where it is. */
#ifndef GT_PROTO_JREAD_H
#define GT_PROTO_JREAD_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    GT_JV_NULL = 0,
    GT_JV_TRUE,
    GT_JV_FALSE,
    GT_JV_INT,
    GT_JV_REAL,
    GT_JV_STR,
    GT_JV_ARR,
    GT_JV_OBJ,
} gt_jv_type;

/* One value. A member of an object carries its key. */
typedef struct gt_jv {
    uint8_t type;    /* gt_jv_type */
    uint32_t n;      /* string: bytes; array: elements; object: members */
    uint32_t keylen; /* bytes of key (a member of an object) */
    uint32_t hint;   /* object: where gt_jv_get looks first (a cache, not content) */
    const char *key; /* NUL-terminated; NULL outside objects */
    union {
        int64_t i;          /* INT */
        double d;           /* REAL */
        const char *s;      /* STR: NUL-terminated */
        struct gt_jv *kids; /* ARR, OBJ: n values side by side */
    };
} gt_jv;

typedef struct gt_jdoc gt_jdoc;

/* Parse len bytes of text (no NUL needed). Returns the document (its root in *root), or
 * NULL with why in msg (and the byte offset in *pos) when the text is not JSON, or with msg
 * "out of memory". The document owns every value; free it with gt_jdoc_free. */
gt_jdoc *gt_jdoc_parse(const char *text, size_t len, const gt_jv **root, char *msg, size_t msgsize,
                       size_t *pos);
void gt_jdoc_free(gt_jdoc *d); /* NULL is fine */

/* The member of object o named key, or NULL (absent, or o is not an object). Finding
 * members in the order they appear costs one comparison each. */
const gt_jv *gt_jv_get(const gt_jv *o, const char *key);
/* Element i of an array, member i of an object; NULL when out of range. */
const gt_jv *gt_jv_at(const gt_jv *v, size_t i);
/* Elements of an array, members of an object, else 0. */
size_t gt_jv_size(const gt_jv *v);

/* Each member of object o in text order: k its key, v its value (o not an object: none). */
#define gt_jv_foreach(o, k, v)                                                                     \
    for (size_t gt_jv_i_ = 0;                                                                      \
         gt_jv_i_ < gt_jv_size(o) && ((v) = gt_jv_at(o, gt_jv_i_), (k) = (v)->key, 1); gt_jv_i_++)

static inline int gt_jv_is(const gt_jv *v, gt_jv_type t) {
    return v && v->type == t;
}
static inline int gt_jv_is_number(const gt_jv *v) {
    return v && (v->type == GT_JV_INT || v->type == GT_JV_REAL);
}
static inline int gt_jv_is_bool(const gt_jv *v) {
    return v && (v->type == GT_JV_TRUE || v->type == GT_JV_FALSE);
}
/* An integer's value (0 for anything else). */
static inline int64_t gt_jv_int(const gt_jv *v) {
    return v && v->type == GT_JV_INT ? v->i : 0;
}
/* A number's value as a double (0 for anything else), as jansson's json_number_value. */
static inline double gt_jv_number(const gt_jv *v) {
    return !v ? 0 : v->type == GT_JV_INT ? (double)v->i : v->type == GT_JV_REAL ? v->d : 0;
}
/* A string's text (NULL for anything else). */
static inline const char *gt_jv_str(const gt_jv *v) {
    return v && v->type == GT_JV_STR ? v->s : NULL;
}

#endif
