/* SPDX-License-Identifier: MIT
 * Manual pages (roff with the man(7) macros) written from text that knows nothing of roff:
 * the option tables' help, the commands' usage lines, the programs' about text.
 * tools/gendoc.c writes gantry's pages with these; nothing else does.
 *
 * Design notes
 *  1. Text goes out literally: a backslash becomes \e, every '-' becomes \- (which the
 *     terminal shows as an ASCII hyphen-minus, so an option copied from the page works),
 *     and a line that would start with '.' or '\'' starts with \& so that roff never takes
 *     it for a request.
 *  2. Only these functions write macros, one a line, their arguments quoted where they may
 *     hold spaces, so a page renders without warnings from `groff -ww` or `mandoc -Tlint`
 *     whatever the tables hold.
 *  3. Each function writes whole lines: it starts at the beginning of one and ends with a
 *     newline, so calls can follow one another in any order. */
#ifndef GT_UTIL_ROFF_H
#define GT_UTIL_ROFF_H

#include <stdio.h>

#include "util/opts.h"

/* The title line: .TH NAME SECTION DATE SOURCE MANUAL, NAME upper-cased; then no
 * hyphenation (a word like --token-file stays whole) and a ragged right margin. */
void gt_roff_title(FILE *f, const char *name, int section, const char *date, const char *source,
                   const char *manual);
/* .SH TITLE (a section) or, when sub, .SS TITLE (a subsection). */
void gt_roff_section(FILE *f, const char *title, int sub);
/* A line of literal text, with `bold` (may be NULL) in bold before it and a space between. */
void gt_roff_line(FILE *f, const char *bold, const char *text);
/* Paragraphs: a blank line in text ("\n\n") starts a new one (.PP), any other newline is a
 * space. */
void gt_roff_paras(FILE *f, const char *text);
/* A tagged paragraph (.TP): the tag in bold, then the text. */
void gt_roff_item(FILE *f, const char *tag, const char *text);
/* A reference to another page: .BR NAME (SECTION), with a comma unless last. */
void gt_roff_ref(FILE *f, const char *name, int section, int last);
/* One tagged paragraph per option of the table: "-J, --name NAME" (names in bold, the
 * value's name in italics), then its help line as --help shows it. */
void gt_roff_opts(FILE *f, const gt_opt *opts);

#endif
