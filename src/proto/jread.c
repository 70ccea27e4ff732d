/* SPDX-License-Identifier: MIT
 * The JSON reader (jread.h): recursive descent over the text, values pushed on a stack
 * while their container is open and moved into the arena, side by side, when it closes.
 * The arena grows in chunks (never moved, so committed values keep their addresses).
 *
 * Invariants: every value in the arena is complete; stack[base..n) are the open
 * container's values so far; a failure sets d->failed once (the first message wins) and
 * every caller returns at once. */
#include "proto/jread.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

#define MAX_DEPTH 2048 /* as jansson's JSON_PARSER_MAX_DEPTH */
#define MIN_CHUNK 4096

typedef struct chunk {
    struct chunk *next;
    size_t cap, used;
    max_align_t data[];
} chunk;

struct gt_jdoc {
    chunk *chunks;
    gt_jv root;
    gt_jv *stack; /* values of the open containers */
    size_t sn, scap;
    const char *text, *p, *end;
    int depth, failed;
    char *msg;
    size_t msgsize, *pos;
};

static void fail(gt_jdoc *d, const char *at, const char *fmt, ...) {
    if (d->failed)
        return;
    d->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, d->msgsize, fmt, ap);
    va_end(ap);
    *d->pos = (size_t)(at - d->text);
}

/* n bytes of the arena (aligned for any value), or NULL with d failed. */
static void *arena(gt_jdoc *d, size_t n) {
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    chunk *c = d->chunks;
    if (!c || c->cap - c->used < n) {
        size_t cap = c ? c->cap * 2 : MIN_CHUNK;
        if (cap < n)
            cap = n;
        if (!(c = malloc(sizeof *c + cap))) {
            fail(d, d->p, "out of memory");
            return NULL;
        }
        *c = (chunk){d->chunks, cap, 0};
        d->chunks = c;
    }
    void *r = (char *)c->data + c->used;
    c->used += n;
    return r;
}

static gt_jv *push(gt_jdoc *d) {
    if (d->sn == d->scap) {
        size_t cap = d->scap ? d->scap * 2 : 64;
        gt_jv *s = realloc(d->stack, cap * sizeof *s);
        if (!s) {
            fail(d, d->p, "out of memory");
            return NULL;
        }
        d->stack = s;
        d->scap = cap;
    }
    gt_jv *v = &d->stack[d->sn++];
    memset(v, 0, sizeof *v);
    return v;
}

static void skip_ws(gt_jdoc *d) {
    while (d->p < d->end && (*d->p == ' ' || *d->p == '\n' || *d->p == '\r' || *d->p == '\t'))
        d->p++;
}

static int hex4(const char *p, const char *end, unsigned *out) {
    unsigned x = 0;
    if (end - p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned h = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16u;
        if (h == 16)
            return -1;
        x = x * 16 + h;
    }
    *out = x;
    return 0;
}

static char *put_utf8(char *o, unsigned cp) {
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* A \u escape at p (just after "\u"), written at *o; p moves past it. */
static int unicode_escape(gt_jdoc *d, const char **pp, char **o) {
    const char *p = *pp;
    unsigned cp, lo;
    if (hex4(p, d->end, &cp)) {
        fail(d, p, "invalid escape");
        return -1;
    }
    p += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
        fail(d, p - 6, "invalid Unicode '\\u%04X'", cp);
        return -1;
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (d->end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, d->end, &lo) ||
            lo < 0xDC00 || lo > 0xDFFF) {
            fail(d, p - 6, "invalid Unicode '\\u%04X'", cp);
            return -1;
        }
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        p += 6;
    }
    if (cp == 0) {
        fail(d, p - 6, "\\u0000 is not allowed");
        return -1;
    }
    *o = put_utf8(*o, cp);
    *pp = p;
    return 0;
}

/* The string whose opening quote is at d->p: its text (NUL-terminated, in the arena) and
 * length, or NULL with d failed. Escapes only shorten a string, so the raw length is
 * room enough. */
static const char *string(gt_jdoc *d, uint32_t *len) {
    const char *p = ++d->p, *q = p;
    int plain = 1;
    while (q < d->end && *q != '"') {
        unsigned char c = (unsigned char)*q;
        if (c == '\\') {
            plain = 0;
            if (++q == d->end)
                break;
        } else if (c < 0x20) {
            fail(d, q, "control character 0x%x", c);
            return NULL;
        } else if (c >= 0x80) {
            plain = 0;
        }
        q++;
    }
    if (q >= d->end) {
        fail(d, q, "premature end of input");
        return NULL;
    }
    if ((size_t)(q - p) > UINT32_MAX - 1) {
        fail(d, p, "string too long");
        return NULL;
    }
    char *s = arena(d, (size_t)(q - p) + 1), *o = s;
    if (!s)
        return NULL;
    if (plain) {
        memcpy(s, p, (size_t)(q - p));
        o = s + (q - p);
    } else {
        while (p < q) {
            unsigned char c = (unsigned char)*p;
            if (c >= 0x80) {
                size_t n = gt_utf8_seq((const unsigned char *)p, (size_t)(q - p));
                if (!n) {
                    fail(d, p, "unable to decode byte 0x%x", c);
                    return NULL;
                }
                memcpy(o, p, n);
                o += n;
                p += n;
                continue;
            }
            if (c != '\\') {
                *o++ = (char)c;
                p++;
                continue;
            }
            char e = p[1];
            p += 2;
            switch (e) {
            case '"':
                *o++ = '"';
                break;
            case '\\':
                *o++ = '\\';
                break;
            case '/':
                *o++ = '/';
                break;
            case 'b':
                *o++ = '\b';
                break;
            case 'f':
                *o++ = '\f';
                break;
            case 'n':
                *o++ = '\n';
                break;
            case 'r':
                *o++ = '\r';
                break;
            case 't':
                *o++ = '\t';
                break;
            case 'u':
                if (unicode_escape(d, &p, &o))
                    return NULL;
                break;
            default:
                fail(d, p - 2, "invalid escape");
                return NULL;
            }
        }
    }
    *o = 0;
    *len = (uint32_t)(o - s);
    d->p = q + 1;
    return s;
}

/* An integer or a real at d->p, into v. */
static void number(gt_jdoc *d, gt_jv *v) {
    const char *s = d->p, *p = s;
    int neg = p < d->end && *p == '-', real = 0;
    p += neg;
    if (p < d->end && *p == '0') {
        p++;
    } else if (p < d->end && *p >= '1' && *p <= '9') {
        while (p < d->end && *p >= '0' && *p <= '9')
            p++;
    } else {
        fail(d, s, "invalid token");
        return;
    }
    if (p < d->end && *p >= '0' && *p <= '9') {
        fail(d, s, "invalid token"); /* a leading zero */
        return;
    }
    if (p < d->end && *p == '.') {
        real = 1;
        if (++p == d->end || *p < '0' || *p > '9') {
            fail(d, s, "invalid token");
            return;
        }
        while (p < d->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < d->end && (*p == 'e' || *p == 'E')) {
        real = 1;
        p++;
        if (p < d->end && (*p == '+' || *p == '-'))
            p++;
        if (p == d->end || *p < '0' || *p > '9') {
            fail(d, s, "invalid token");
            return;
        }
        while (p < d->end && *p >= '0' && *p <= '9')
            p++;
    }
    d->p = p;
    if (!real) {
        uint64_t x = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        for (const char *q = s + neg; q < p; q++) {
            unsigned dig = (unsigned)(*q - '0');
            if (x > (lim - dig) / 10) {
                fail(d, s, neg ? "too big negative integer" : "too big integer");
                return;
            }
            x = x * 10 + dig;
        }
        v->type = GT_JV_INT;
        v->i = neg ? (int64_t)(0 - x) : (int64_t)x;
        return;
    }
    char buf[64], *t = (size_t)(p - s) < sizeof buf ? buf : arena(d, (size_t)(p - s) + 1);
    if (!t)
        return;
    memcpy(t, s, (size_t)(p - s));
    t[p - s] = 0;
    errno = 0;
    double x = strtod(t, NULL);
    if ((x == HUGE_VAL || x == -HUGE_VAL) && errno == ERANGE) {
        fail(d, s, "real number overflow");
        return;
    }
    v->type = GT_JV_REAL;
    v->d = x;
}

static int literal(gt_jdoc *d, const char *word, size_t n) {
    if ((size_t)(d->end - d->p) < n || memcmp(d->p, word, n)) {
        fail(d, d->p, "invalid token");
        return -1;
    }
    d->p += n;
    return 0;
}

static void value(gt_jdoc *d, gt_jv *v);

static int key_cmp(const void *a, const void *b) {
    const gt_jv *x = *(const gt_jv *const *)a, *y = *(const gt_jv *const *)b;
    if (x->keylen != y->keylen)
        return x->keylen < y->keylen ? -1 : 1;
    return memcmp(x->key, y->key, x->keylen);
}

static int same_key(const gt_jv *a, const gt_jv *b) {
    return a->keylen == b->keylen && !memcmp(a->key, b->key, a->keylen);
}

/* 1 when two of the n members share a key (0 when not, -1 out of memory). Objects of up
 * to SMALL_OBJ members (every message's own) use an open-addressed table on the stack. */
#define SMALL_OBJ 1024
static int has_duplicate(const gt_jv *m, size_t n) {
    if (n < 2)
        return 0;
    if (n <= SMALL_OBJ) {
        uint16_t slot[2 * SMALL_OBJ]; /* member index + 1; 0: empty */
        size_t size = 4;
        while (size < 2 * n)
            size *= 2;
        memset(slot, 0, size * sizeof *slot);
        for (size_t i = 0; i < n; i++) {
            uint32_t h = 2166136261u; /* FNV-1a */
            for (uint32_t k = 0; k < m[i].keylen; k++)
                h = (h ^ (unsigned char)m[i].key[k]) * 16777619u;
            for (size_t j = h & (size - 1);; j = (j + 1) & (size - 1)) {
                if (!slot[j]) {
                    slot[j] = (uint16_t)(i + 1);
                    break;
                }
                if (same_key(&m[slot[j] - 1], &m[i]))
                    return 1;
            }
        }
        return 0;
    }
    const gt_jv **s = malloc(n * sizeof *s);
    if (!s)
        return -1;
    for (size_t i = 0; i < n; i++)
        s[i] = &m[i];
    qsort(s, n, sizeof *s, key_cmp);
    int dup = 0;
    for (size_t i = 1; i < n && !dup; i++)
        dup = !key_cmp(&s[i - 1], &s[i]);
    free(s);
    return dup;
}

/* The open container's values (stack[base..]) moved into the arena as v's kids. */
static void close_container(gt_jdoc *d, gt_jv *v, size_t base) {
    size_t n = d->sn - base;
    if (n > UINT32_MAX) {
        fail(d, d->p, "too many values");
        return;
    }
    gt_jv *kids = n ? arena(d, n * sizeof *kids) : NULL;
    if (n && !kids)
        return;
    if (n)
        memcpy(kids, &d->stack[base], n * sizeof *kids);
    d->sn = base;
    v->kids = kids;
    v->n = (uint32_t)n;
    if (v->type == GT_JV_OBJ) {
        int dup = has_duplicate(kids, n);
        if (dup)
            fail(d, d->p, dup < 0 ? "out of memory" : "duplicate object key");
    }
}

/* An array or an object at d->p ('[' or '{'), into *out (a stack slot, by index: the
 * stack moves while the children are pushed). */
static void container(gt_jdoc *d, size_t slot) {
    int obj = *d->p == '{';
    char close = obj ? '}' : ']';
    size_t base = d->sn;
    if (++d->depth > MAX_DEPTH) {
        fail(d, d->p, "maximum parsing depth reached");
        return;
    }
    d->p++;
    skip_ws(d);
    if (d->p < d->end && *d->p == close) {
        d->p++;
    } else {
        for (;;) {
            const char *key = NULL;
            uint32_t keylen = 0;
            if (obj) {
                if (d->p >= d->end || *d->p != '"') {
                    fail(d, d->p,
                         d->p >= d->end ? "premature end of input" : "string or '}' expected");
                    return;
                }
                if (!(key = string(d, &keylen)))
                    return;
                skip_ws(d);
                if (d->p >= d->end || *d->p != ':') {
                    fail(d, d->p, "':' expected");
                    return;
                }
                d->p++;
                skip_ws(d);
            }
            gt_jv *kid = push(d);
            if (!kid)
                return;
            kid->key = key;
            kid->keylen = keylen;
            value(d, kid); /* it reads a nested container's slot by index: pushes move it */
            if (d->failed)
                return;
            skip_ws(d);
            if (d->p < d->end && *d->p == ',') {
                d->p++;
                skip_ws(d);
                continue;
            }
            if (d->p < d->end && *d->p == close) {
                d->p++;
                break;
            }
            fail(d, d->p,
                 d->p >= d->end ? "premature end of input"
                 : obj          ? "'}' expected"
                                : "']' expected");
            return;
        }
    }
    d->depth--;
    close_container(d, &d->stack[slot], base);
}

static void value(gt_jdoc *d, gt_jv *v) {
    if (d->p >= d->end) {
        fail(d, d->p, "premature end of input");
        return;
    }
    switch (*d->p) {
    case '{':
    case '[': {
        v->type = *d->p == '{' ? GT_JV_OBJ : GT_JV_ARR;
        container(d, (size_t)(v - d->stack));
        return;
    }
    case '"':
        v->type = GT_JV_STR;
        v->s = string(d, &v->n);
        return;
    case 't':
        v->type = GT_JV_TRUE;
        literal(d, "true", 4);
        return;
    case 'f':
        v->type = GT_JV_FALSE;
        literal(d, "false", 5);
        return;
    case 'n':
        v->type = GT_JV_NULL;
        literal(d, "null", 4);
        return;
    default:
        number(d, v);
        return;
    }
}

gt_jdoc *gt_jdoc_parse(const char *text, size_t len, const gt_jv **root, char *msg, size_t msgsize,
                       size_t *pos) {
    gt_jdoc *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(msg, msgsize, "out of memory");
        *pos = 0;
        return NULL;
    }
    *d = (gt_jdoc){
        .text = text, .p = text, .end = text + len, .msg = msg, .msgsize = msgsize, .pos = pos};
    skip_ws(d);
    if (d->p >= d->end || (*d->p != '{' && *d->p != '[')) {
        fail(d, d->p, "'[' or '{' expected");
    } else {
        if (push(d)) {
            value(d, &d->stack[0]);
            skip_ws(d);
            if (!d->failed && d->p != d->end)
                fail(d, d->p, "end of file expected");
            if (!d->failed)
                d->root = d->stack[0];
        }
    }
    free(d->stack);
    d->stack = NULL;
    if (d->failed) {
        gt_jdoc_free(d);
        return NULL;
    }
    *root = &d->root;
    return d;
}

void gt_jdoc_free(gt_jdoc *d) {
    if (!d)
        return;
    for (chunk *c = d->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(d->stack);
    free(d);
}

const gt_jv *gt_jv_get(const gt_jv *o, const char *key) {
    if (!o || o->type != GT_JV_OBJ || !o->n)
        return NULL;
    size_t klen = strlen(key), n = o->n, h = o->hint < n ? o->hint : 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = h + k < n ? h + k : h + k - n;
        const gt_jv *m = &o->kids[i];
        if (m->keylen == klen && !memcmp(m->key, key, klen)) {
            /* the next field is most likely the one after; the object was malloc'd by
             * this reader, so writing its cache through the const pointer is sound */
            ((gt_jv *)o)->hint = (uint32_t)(i + 1);
            return m;
        }
    }
    return NULL;
}

const gt_jv *gt_jv_at(const gt_jv *v, size_t i) {
    return v && (v->type == GT_JV_ARR || v->type == GT_JV_OBJ) && i < v->n ? &v->kids[i] : NULL;
}

size_t gt_jv_size(const gt_jv *v) {
    return v && (v->type == GT_JV_ARR || v->type == GT_JV_OBJ) ? v->n : 0;
}
