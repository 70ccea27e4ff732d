/* SPDX-License-Identifier: MIT
 * Host lists (see hostlist.h).
 *
 * Design notes
 *  1. Each name is split once into prefix, number and suffix; the split names are sorted
 *     by (prefix, suffix, number, width), so that the names that can share brackets are
 *     neighbours (the number before the width lets "n10" follow "n09"; names that differ
 *     only in padding, "n1" and "n01", then alternate and get a group each), then written
 *     group by group, each group's numbers as ranges.
 *  2. A group's width is 0 for unpadded numbers and the digit count for zero-padded
 *     ones; an unpadded number joins a padded group of its own digit count ("n10" with
 *     "n09"), since it prints the same there. */
#include "cli/hostlist.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DIGITS 18

typedef struct {
    const char *name;
    size_t pre, len;  /* the prefix is name[0..pre); the number name[pre..pre+len) */
    long long number; /* -1: no number */
    int padded;       /* the number starts with 0 and has more than one digit */
} host;

static void split(const char *name, host *h) {
    size_t n = strlen(name), end = n;
    while (end > 0 && (name[end - 1] < '0' || name[end - 1] > '9'))
        end--;
    size_t start = end;
    while (start > 0 && name[start - 1] >= '0' && name[start - 1] <= '9')
        start--;
    h->name = name;
    h->pre = start;
    h->len = end - start;
    h->number = -1;
    h->padded = 0;
    if (h->len == 0 || h->len > MAX_DIGITS) {
        h->pre = n;
        h->len = 0;
        return;
    }
    h->number = strtoll(name + start, NULL, 10);
    h->padded = name[start] == '0' && h->len > 1;
}

static const char *suffix(const host *h) {
    return h->name + h->pre + h->len;
}

static int width(const host *h) {
    return h->padded ? (int)h->len : 0;
}

/* Prefix and suffix equal. */
static int same_frame(const host *a, const host *b) {
    return a->pre == b->pre && strncmp(a->name, b->name, a->pre) == 0 &&
           strcmp(suffix(a), suffix(b)) == 0;
}

static int cmp_host(const void *x, const void *y) {
    const host *a = x, *b = y;
    size_t m = a->pre < b->pre ? a->pre : b->pre;
    int c = strncmp(a->name, b->name, m);
    if (c == 0 && a->pre != b->pre)
        c = a->pre < b->pre ? -1 : 1;
    if (c == 0)
        c = strcmp(suffix(a), suffix(b));
    if (c == 0)
        c = (a->number > b->number) - (a->number < b->number);
    if (c == 0)
        c = width(a) - width(b);
    return c;
}

/* May h join the group that g (its first member) started? */
static int joins(const host *g, const host *h) {
    if (g->number < 0 || h->number < 0 || !same_frame(g, h))
        return 0;
    return width(h) == width(g) || (!h->padded && width(g) == (int)h->len);
}

/* Write hosts [g, end) of one group: "pre[a-b,c]suf", or the name alone. */
static void put_group(const host *g, const host *end, gt_sb *out) {
    int w = width(g);
    if (end - g == 1 || g->number < 0) {
        gt_sb_puts(out, g->name);
        return;
    }
    gt_sb_putn(out, g->name, g->pre);
    gt_sb_putc(out, '[');
    for (const host *r = g; r < end;) {
        const host *last = r;
        while (last + 1 < end && last[1].number == last->number + 1)
            last++;
        gt_sb_printf(out, "%s%0*lld", r == g ? "" : ",", w, r->number);
        if (last > r)
            gt_sb_printf(out, "-%0*lld", w, last->number);
        r = last + 1;
    }
    gt_sb_putc(out, ']');
    gt_sb_puts(out, suffix(g));
}

void gt_cli_hostlist(const char *const *names, size_t n, gt_sb *out) {
    host *h = n ? calloc(n, sizeof *h) : NULL;
    size_t k = 0;
    if (!h)
        return;
    for (size_t i = 0; i < n; i++)
        split(names[i], &h[i]);
    qsort(h, n, sizeof *h, cmp_host);
    for (size_t i = 0; i < n; i++) /* drop duplicates */
        if (k == 0 || strcmp(h[k - 1].name, h[i].name) != 0)
            h[k++] = h[i];
    for (size_t i = 0; i < k;) {
        size_t j = i + 1;
        while (j < k && joins(&h[i], &h[j]))
            j++;
        gt_sb_puts(out, i ? "," : "");
        put_group(&h[i], &h[j], out);
        i = j;
    }
    free(h);
}
