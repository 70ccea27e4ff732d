/* SPDX-License-Identifier: MIT
 * Unit tests for util/roff.h (manual pages from plain text) and gt_opt_usage's wrapping:
 * text that looks like roff stays text (a leading '.', a quote, backslashes, hyphens),
 * long lines are broken at spaces, paragraphs become .PP, an option table becomes tagged
 * paragraphs; --help's synopsis breaks between bracketed groups, never inside one. The
 * pages themselves are rendered with groff and mandoc by tests/system/test_man.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/opts.h"
#include "util/roff.h"

/* What fn(f, arg) writes, malloc'd. */
#define CAPTURE(out, call)                                                                         \
    do {                                                                                           \
        size_t len_ = 0;                                                                           \
        FILE *f = open_memstream(&(out), &len_);                                                   \
        assert_non_null(f);                                                                        \
        call;                                                                                      \
        fclose(f);                                                                                 \
    } while (0)

static void test_escapes(void **state) {
    (void)state;
    char *s = NULL;
    CAPTURE(s, gt_roff_line(f, NULL, ".not a request, 'nor this; a\\b --x"));
    assert_string_equal(s, "\\&.not a request, 'nor this; a\\eb \\-\\-x\n");
    free(s);
    CAPTURE(s, gt_roff_line(f, "gantry show", "ID"));
    assert_string_equal(s, "\\fBgantry show\\fR ID\n");
    free(s);
    CAPTURE(s, gt_roff_section(f, "SEE \"ALSO\"-x", 1));
    assert_string_equal(s, ".SS \"SEE \\(dqALSO\\(dq\\-x\"\n");
    free(s);
    CAPTURE(s, gt_roff_title(f, "gantry-sim", 1, "2024-01-02", "gantry 1.0", "gantry manual"));
    assert_string_equal(s,
                        ".TH \"GANTRY\\-SIM\" 1 \"2024-01-02\" \"gantry 1.0\" \"gantry manual\"\n"
                        ".nh\n.ad l\n");
    free(s);
}

static void test_lines_and_paragraphs(void **state) {
    (void)state;
    char long_text[400] = "";
    for (int i = 0; i < 30; i++)
        strcat(long_text, i == 20 ? ".dot " : "word-word ");
    char *s = NULL;
    CAPTURE(s, gt_roff_line(f, NULL, long_text));
    int lines = 0;
    for (char *line = s, *nl; (nl = strchr(line, '\n')); line = nl + 1, lines++) {
        assert_true(nl - line <= 78);
        assert_true(line[0] != ' ');
        assert_true(line[0] != '.' || strncmp(line, "\\&.", 3) == 0);
    }
    assert_true(lines > 1);
    free(s);
    CAPTURE(s, gt_roff_paras(f, "one\ntwo\n\n  three.\n"));
    assert_string_equal(s, "one\ntwo\n.PP\nthree.\n");
    free(s);
}

static const char *const colours[] = {"red", "green", NULL};
static const gt_opt table[] = {
    {"--count", 'c', GT_OPT_INT, "N", "a count", 1, 10, NULL, NULL},
    {"--colour", 0, GT_OPT_CHOICE, "C", "red or green", 0, 0, colours, NULL},
    {"--quiet", 0, GT_OPT_SWITCH, NULL, "no log lines", 0, 0, NULL, NULL},
    {0},
};

static void test_options(void **state) {
    (void)state;
    char *s = NULL;
    CAPTURE(s, gt_roff_opts(f, table));
    assert_string_equal(s, ".TP\n\\fB\\-c\\fR, \\fB\\-\\-count\\fR \\fIN\\fR\na count\n"
                           ".TP\n\\fB\\-\\-colour\\fR \\fIC\\fR\nred or green\n"
                           ".TP\n\\fB\\-\\-quiet\\fR\nno log lines\n");
    free(s);
    CAPTURE(s, gt_roff_ref(f, "gantry-agent", 8, 0); gt_roff_ref(f, "gantry", 1, 1));
    assert_string_equal(s, ".BR \"gantry\\-agent\" (8),\n.BR \"gantry\" (1)\n");
    free(s);
}

static void test_usage(void **state) {
    (void)state;
    const gt_opt_prog prog = {
        .name = "prog",
        .synopsis = "[--count N] [--colour C] [--quiet] [--a-long-option VALUE] "
                    "[--another-long-one VALUE] [--third VALUE]",
        .about = "Does things.\n\nIn two paragraphs.",
        .opts = table,
    };
    char *s = NULL;
    CAPTURE(s, gt_opt_usage(f, &prog));
    assert_string_equal(s,
                        "usage: prog [--count N] [--colour C] [--quiet] [--a-long-option VALUE]\n"
                        "            [--another-long-one VALUE] [--third VALUE]\n"
                        "Does things.\n\nIn two paragraphs.\n\noptions:\n"
                        "  -c, --count N            a count\n"
                        "  --colour C               red or green\n"
                        "  --quiet                  no log lines\n");
    free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_lines_and_paragraphs),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
