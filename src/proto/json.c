/* SPDX-License-Identifier: MIT
 * JSON text, whole or NULL (json.h).
 *
 * The compact text gantryd writes on its hot paths (every start item, journal entry and
 * event) is written here, by walking the value, instead of by jansson's json_dumps, which
 * formats every integer through snprintf and every piece through a callback: a task's
 * start item cost more in formatting than in everything else gantryd does for it. The
 * text is byte for byte what json_dumps writes with the same flags (test_json_nomem and
 * the fuzz corpora compare them): keys in the object's order, integers in decimal, reals
 * as jansson writes them (through jansson itself: they are rare), strings with jansson's
 * escapes (\" \\ \b \f \n \r \t, \u00XX for other control characters and, with
 * JSON_ENSURE_ASCII, \uXXXX or a surrogate pair for each non-ASCII code point). Other
 * flags (indentation, sorted keys) go to jansson as before. */
#include "proto/json.h"

#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/utf8.h"

/* jansson's writer callback: append to the gt_sb at data. The buffer keeps a failure
 * (it ignores later appends), so one that jansson does not pass on is still seen. */
static int append(const char *s, size_t n, void *data) {
    gt_sb *b = data;
    gt_sb_putn(b, s, n);
    return b->oom ? -1 : 0;
}

void gt_json_put_int(gt_sb *b, json_int_t v) {
    char d[24];
    int i = (int)sizeof d;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do
        d[--i] = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        d[--i] = '-';
    gt_sb_putn(b, d + i, sizeof d - (size_t)i);
}

static void put_u16(gt_sb *b, unsigned x) {
    static const char hex[] = "0123456789ABCDEF";
    char e[6] = {'\\', 'u', hex[x >> 12 & 15], hex[x >> 8 & 15], hex[x >> 4 & 15], hex[x & 15]};
    gt_sb_putn(b, e, sizeof e);
}

/* The code point of the valid UTF-8 sequence p[0..n). */
static unsigned code_point(const unsigned char *p, size_t n) {
    if (n == 1)
        return p[0];
    unsigned c = p[0] & (0x7f >> n);
    for (size_t i = 1; i < n; i++)
        c = c << 6 | (p[i] & 0x3f);
    return c;
}

/* 0, or -1 for text that is not valid UTF-8 (jansson refuses it too). */
static int put_str(gt_sb *b, const char *s, size_t len, int ascii) {
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    size_t at = b->len; /* cut back to here when the text is refused */
    gt_sb_putc(b, '"');
    while (p < end) {
        const unsigned char *run = p; /* bytes written as they are */
        while (p < end && *p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80)
            p++;
        gt_sb_putn(b, (const char *)run, (size_t)(p - run));
        if (p == end)
            break;
        unsigned c = *p;
        if (c >= 0x80) {
            size_t n = gt_utf8_seq(p, (size_t)(end - p));
            if (!n) {
                if (!b->oom && b->len >= at) {
                    b->len = at;
                    b->s[at] = 0;
                }
                return -1;
            }
            if (!ascii) {
                gt_sb_putn(b, (const char *)p, n);
            } else {
                unsigned cp = code_point(p, n);
                if (cp < 0x10000) {
                    put_u16(b, cp);
                } else {
                    cp -= 0x10000;
                    put_u16(b, 0xD800 | (cp >> 10));
                    put_u16(b, 0xDC00 | (cp & 0x3ff));
                }
            }
            p += n;
            continue;
        }
        static const char esc[] = {['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r',
                                   ['\t'] = 't', ['"'] = '"',  ['\\'] = '\\'};
        if (c < sizeof esc && esc[c]) {
            char e[2] = {'\\', esc[c]};
            gt_sb_putn(b, e, 2);
        } else {
            put_u16(b, c);
        }
        p++;
    }
    gt_sb_putc(b, '"');
    return 0;
}

int gt_json_put_str(gt_sb *b, const char *s, int ascii) {
    return put_str(b, s, strlen(s), ascii);
}

/* jansson's own text for a real (json_dumps with JSON_ENCODE_ANY). */
static int put_real(gt_sb *b, const json_t *v) {
    gt_sb t;
    gt_sb_init(&t);
    if (json_dump_callback(v, append, &t, JSON_ENCODE_ANY | JSON_COMPACT) || t.oom) {
        gt_sb_free(&t);
        return -1;
    }
    gt_sb_putn(b, t.s, t.len);
    gt_sb_free(&t);
    return 0;
}

int gt_json_put_real(gt_sb *b, double d) {
    json_t *v = json_real(d);
    int r = v ? put_real(b, v) : -1;
    json_decref(v);
    return r;
}

/* Deeper than this is refused (a guard for the stack: jansson's parser refuses input
 * deeper than 2048 levels, and the values gantryd builds are a few levels deep; jansson's
 * writer itself has no such limit). */
#define MAX_DEPTH 2048

static int put_value(gt_sb *b, const json_t *v, int ascii, int depth) {
    if (depth > MAX_DEPTH)
        return -1;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        const json_t *x;
        int first = 1;
        gt_sb_putc(b, '{');
        json_object_foreach((json_t *)v, key, x) {
            if (!first)
                gt_sb_putc(b, ',');
            first = 0;
            /* (a key set through the API may hold a NUL: its whole length, as jansson) */
            if (put_str(b, key, json_object_iter_key_len(json_object_key_to_iter(key)), ascii))
                return -1;
            gt_sb_putc(b, ':');
            if (put_value(b, x, ascii, depth + 1))
                return -1;
        }
        gt_sb_putc(b, '}');
        return 0;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        gt_sb_putc(b, '[');
        for (size_t i = 0; i < n; i++) {
            if (i)
                gt_sb_putc(b, ',');
            if (put_value(b, json_array_get(v, i), ascii, depth + 1))
                return -1;
        }
        gt_sb_putc(b, ']');
        return 0;
    }
    case JSON_STRING:
        return put_str(b, json_string_value(v), json_string_length(v), ascii);
    case JSON_INTEGER:
        gt_json_put_int(b, json_integer_value(v));
        return 0;
    case JSON_REAL:
        return put_real(b, v);
    case JSON_TRUE:
        gt_sb_puts(b, "true");
        return 0;
    case JSON_FALSE:
        gt_sb_puts(b, "false");
        return 0;
    default:
        gt_sb_puts(b, "null");
        return 0;
    }
}

char *gt_json_dumps(const json_t *v, size_t flags) {
    gt_sb b;
    gt_sb_init(&b);
    int ours = (flags & JSON_COMPACT) && !(flags & ~(size_t)(JSON_COMPACT | JSON_ENSURE_ASCII));
    if (!v || (ours && !json_is_object(v) && !json_is_array(v)) ||
        (ours ? put_value(&b, v, (flags & JSON_ENSURE_ASCII) != 0, 0)
              : json_dump_callback(v, append, &b, flags))) {
        gt_sb_free(&b);
        return NULL;
    }
    size_t len = b.len;
    char *s = gt_sb_take(&b); /* NULL when any append failed */
    /* as long as the text, not the buffer (gantryd keeps every job's document) */
    char *fit = s ? realloc(s, len + 1) : NULL;
    return fit ? fit : s;
}
