/* SPDX-License-Identifier: MIT
 * Manual pages from plain text (see roff.h). */
#include "util/roff.h"

#include <ctype.h>
#include <string.h>

#define WIDTH 78 /* the longest line of text written, but for one word longer than it */

/* The bytes that the word s[0..n) (up to a space or newline) takes once escaped. */
static int word_bytes(const char *s, size_t n) {
    int len = 0;
    for (size_t i = 0; i < n && s[i] != ' ' && s[i] != '\n'; i++)
        len += s[i] == '-' || s[i] == '\\' || s[i] == '.' || s[i] == '\'' ? 3 : 1;
    return len;
}

/* s[0..n) as literal roff text onto a line `*col` bytes along, broken at a space before a
 * word that would end past WIDTH; col NULL: a macro's argument, on its line whatever its
 * length. A newline stays one, the spaces after it are dropped (a line starting with a
 * space would break the filling). */
static void text_n(FILE *f, const char *s, size_t n, int *col) {
    int arg_col = 1, *at = col ? col : &arg_col;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (col && c == ' ' && *at + 1 + word_bytes(s + i + 1, n - i - 1) > WIDTH)
            c = '\n';
        if (*at == 0 && (c == ' ' || c == '\t'))
            continue;
        if (*at == 0 && (c == '.' || c == '\''))
            *at += fprintf(f, "\\&");
        if (c == '\n') {
            fputc('\n', f);
            *at = 0;
        } else if (c == '\\' || c == '-') {
            *at += fprintf(f, "\\%c", c == '-' ? '-' : 'e');
        } else {
            fputc(c, f);
            *at += 1;
        }
    }
}

static void text(FILE *f, const char *s, int *col) {
    text_n(f, s, strlen(s), col);
}

/* A macro's argument in double quotes ('"' as \(dq); hyphen: '-' as \- too. */
static void arg(FILE *f, const char *s, int hyphen) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputs("\\(dq", f);
        else if (*s == '-' && !hyphen)
            fputc('-', f);
        else
            text_n(f, s, 1, NULL);
    }
    fputc('"', f);
}

void gt_roff_title(FILE *f, const char *name, int section, const char *date, const char *source,
                   const char *manual) {
    fputs(".TH \"", f);
    for (const char *p = name; *p; p++)
        text_n(f, &(char){(char)toupper((unsigned char)*p)}, 1, NULL);
    fprintf(f, "\" %d ", section);
    arg(f, date, 0);
    fputc(' ', f);
    arg(f, source, 0);
    fputc(' ', f);
    arg(f, manual, 0);
    /* no hyphenation (an option's name must not break), ragged right */
    fputs("\n.nh\n.ad l\n", f);
}

void gt_roff_section(FILE *f, const char *title, int sub) {
    fputs(sub ? ".SS " : ".SH ", f);
    arg(f, title, 1);
    fputc('\n', f);
}

void gt_roff_line(FILE *f, const char *bold, const char *s) {
    int col = 0;
    if (bold) {
        col += fprintf(f, "\\fB");
        text(f, bold, &col);
        col += fprintf(f, "\\fR%s", *s ? " " : "");
    }
    text(f, s, &col);
    fputc('\n', f);
}

void gt_roff_paras(FILE *f, const char *s) {
    int first = 1;
    while (*s) {
        size_t gap = strspn(s, " \n");
        int newlines = 0;
        for (size_t i = 0; i < gap; i++)
            newlines += s[i] == '\n';
        s += gap;
        if (!*s)
            break;
        if (newlines > 1 && !first)
            fputs("\n.PP\n", f);
        else if (!first)
            fputc('\n', f);
        size_t n = strcspn(s, "\n");
        int col = 0;
        text_n(f, s, n, &col);
        s += n;
        first = 0;
    }
    if (!first)
        fputc('\n', f);
}

void gt_roff_item(FILE *f, const char *tag, const char *s) {
    fputs(".TP\n", f);
    gt_roff_line(f, tag, "");
    gt_roff_line(f, NULL, s);
}

void gt_roff_ref(FILE *f, const char *name, int section, int last) {
    fputs(".BR ", f);
    arg(f, name, 1);
    fprintf(f, " (%d)%s\n", section, last ? "" : ",");
}

/* The tag of an option: "\fB-J\fR, \fB--name\fR \fINAME\fR". */
static void opt_tag(FILE *f, const gt_opt *o) {
    int col = 0;
    if (o->short_name)
        col += fprintf(f, "\\fB\\-%c\\fR, ", o->short_name);
    col += fprintf(f, "\\fB");
    text(f, o->name, &col);
    col += fprintf(f, "\\fR");
    if (o->arg) {
        col += fprintf(f, " \\fI");
        text(f, o->arg, &col);
        fputs("\\fR", f);
    }
    fputc('\n', f);
}

void gt_roff_opts(FILE *f, const gt_opt *opts) {
    for (const gt_opt *o = opts; o && o->name; o++) {
        fputs(".TP\n", f);
        opt_tag(f, o);
        gt_roff_line(f, NULL, o->help);
    }
}
