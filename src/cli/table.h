/* SPDX-License-Identifier: MIT
 * Text tables for the listing commands: columns as wide as their widest cell, two spaces
 * apart, numbers right-aligned, no trailing blanks. Cells are copied; the table owns them. */
#ifndef GT_CLI_TABLE_H
#define GT_CLI_TABLE_H

#include <stddef.h>

#include "util/strbuf.h"

typedef struct gt_table gt_table;

/* A table of ncols columns (at most 16). heads: the column titles (the strings are
 * borrowed, the array is not); align: one 'l' or 'r' per column. NULL on allocation
 * failure. */
gt_table *gt_table_new(int ncols, const char *const *heads, const char *align);
/* How it is written: without the header line (noheader); with sep between cells and no
 * padding (parsable output, sep "|"), or aligned columns when sep is NULL (the default). */
void gt_table_style(gt_table *t, int noheader, const char *sep);
void gt_table_free(gt_table *t); /* accepts NULL */

/* Append the next cell (rows fill left to right, then the next row starts). */
void gt_table_add(gt_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t gt_table_rows(const gt_table *t);

/* The header and the first max_rows rows (all of them when max_rows is 0) into out. */
void gt_table_render(const gt_table *t, size_t max_rows, gt_sb *out);
/* Render the whole table to stdout. */
void gt_table_print(const gt_table *t);

#endif
