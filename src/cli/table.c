/* SPDX-License-Identifier: MIT
 * Text tables (see table.h). Widths count UTF-8 characters, not bytes, so names with
 * accents stay aligned. */
#include "cli/table.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/vec.h"

#define MAX_COLS 16

struct gt_table {
    int ncols;
    const char *heads[MAX_COLS];
    char align[MAX_COLS];
    int noheader;
    const char *sep; /* parsable: this between cells, no padding */
    char **cells;
    size_t n, cap;
};

gt_table *gt_table_new(int ncols, const char *const *heads, const char *align) {
    if (ncols < 1 || ncols > MAX_COLS)
        return NULL;
    gt_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ncols = ncols;
    for (int i = 0; i < ncols; i++) {
        t->heads[i] = heads[i];
        t->align[i] = align && align[i] == 'r' ? 'r' : 'l';
    }
    return t;
}

void gt_table_style(gt_table *t, int noheader, const char *sep) {
    if (!t)
        return;
    t->noheader = noheader;
    t->sep = sep;
}

void gt_table_free(gt_table *t) {
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}

void gt_table_add(gt_table *t, const char *fmt, ...) {
    if (!t)
        return;
    if (!gt_vec_reserve_from((void **)&t->cells, &t->cap, t->n + 1, sizeof *t->cells, 64))
        return;
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    char *cell = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (cell)
        vsnprintf(cell, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    va_end(ap);
    if (!cell)
        return;
    t->cells[t->n++] = cell;
}

size_t gt_table_rows(const gt_table *t) {
    return t ? t->n / (size_t)t->ncols : 0;
}

static size_t width(const char *s) {
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

static void put_row(const gt_table *t, const char *const *row, const size_t *w, gt_sb *out) {
    for (int c = 0; c < t->ncols && t->sep; c++)
        gt_sb_printf(out, "%s%s", c ? t->sep : "", row[c]);
    for (int c = 0; c < t->ncols && !t->sep; c++) {
        size_t pad = w[c] - width(row[c]);
        int last = c == t->ncols - 1;
        if (t->align[c] == 'r')
            gt_sb_printf(out, "%*s", (int)pad, "");
        gt_sb_puts(out, row[c]);
        if (t->align[c] == 'l' && !last)
            gt_sb_printf(out, "%*s", (int)pad, "");
        if (!last)
            gt_sb_puts(out, "  ");
    }
    gt_sb_putc(out, '\n');
}

void gt_table_render(const gt_table *t, size_t max_rows, gt_sb *out) {
    if (!t)
        return;
    size_t rows = gt_table_rows(t), w[MAX_COLS] = {0};
    if (max_rows && rows > max_rows)
        rows = max_rows;
    for (int c = 0; c < t->ncols; c++) {
        w[c] = width(t->heads[c]);
        for (size_t r = 0; r < rows; r++) {
            size_t x = width(t->cells[r * (size_t)t->ncols + (size_t)c]);
            w[c] = x > w[c] ? x : w[c];
        }
    }
    if (!t->noheader)
        put_row(t, t->heads, w, out);
    for (size_t r = 0; r < rows; r++)
        put_row(t, (const char *const *)t->cells + r * (size_t)t->ncols, w, out);
}

void gt_table_print(const gt_table *t) {
    gt_sb b;
    gt_sb_init(&b);
    gt_table_render(t, 0, &b);
    fputs(gt_sb_str(&b), stdout);
    gt_sb_free(&b);
}
