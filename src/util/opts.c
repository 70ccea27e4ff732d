/* SPDX-License-Identifier: MIT
 * Table-driven option parsing (see opts.h).
 *
 * Design notes
 *  1. One pass, one token per call; the caller's loop decides what each token means. The
 *     parser never prints and never exits, so the tests drive it directly.
 *  2. Values are checked where they are read: a token of kind GT_TOK_OPT always carries a
 *     value within its row's range.
 *  3. No strings are copied: a token's text points into argv. */
#include "util/opts.h"

#include <string.h>

#include "util/parse.h"

static const gt_opt *find_long(const gt_opt *t, const char *name, size_t len) {
    for (; t && t->name; t++)
        if (strlen(t->name) == len && strncmp(t->name, name, len) == 0)
            return t;
    return NULL;
}

static const gt_opt *find_short(const gt_opt *t, char c) {
    for (; t && t->name; t++)
        if (t->short_name && t->short_name == c)
            return t;
    return NULL;
}

static gt_err bad(const gt_opt *o, const char *val, const char *why, gt_error *err) {
    return gt_fail(err, GT_E_INVALID, NULL, "%s: %s, got '%s'", o->name, why, val);
}

static gt_err in_range(const gt_opt *o, const char *val, long long v, long long scale,
                       const char *unit, gt_error *err) {
    if (v >= o->lo * scale && v <= o->hi * scale)
        return GT_E_OK;
    return gt_fail(err, GT_E_RANGE, NULL, "%s: must be between %lld and %lld%s, got '%s'", o->name,
                   o->lo, o->hi, unit, val);
}

static gt_err int_value(const gt_opt *o, const char *val, long long *n, gt_error *err) {
    const char *why;
    char what[96];
    if (gt_parse_int(val, n, &why) != 0) {
        snprintf(what, sizeof what, "expected an integer from %lld to %lld", o->lo, o->hi);
        return bad(o, val, what, err);
    }
    return in_range(o, val, *n, 1, "", err);
}

/* A number x with lo < x <= hi (the simulator's factors and hours: 0 means "unset"). */
static gt_err real_value(const gt_opt *o, const char *val, gt_opt_tok *t, gt_error *err) {
    const char *why;
    char what[96];
    if (gt_parse_real(val, &t->x, &why) == 0 && t->x > (double)o->lo && t->x <= (double)o->hi)
        return GT_E_OK;
    snprintf(what, sizeof what, "expected a number above %lld and at most %lld", o->lo, o->hi);
    return bad(o, val, what, err);
}

static gt_err choice_value(const gt_opt *o, const char *val, gt_opt_tok *t, gt_error *err) {
    char list[160] = "";
    for (int i = 0; o->choices[i]; i++) {
        if (strcmp(val, o->choices[i]) == 0) {
            t->n = i;
            return GT_E_OK;
        }
        size_t n = strlen(list);
        snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "expected one of ", o->choices[i]);
    }
    return bad(o, val, list, err);
}

/* MIN[:MAX]: both integers within the row's range, MIN <= MAX. */
static gt_err range_value(const gt_opt *o, const char *val, gt_opt_tok *t, gt_error *err) {
    char buf[64];
    const char *why;
    const char *colon = strchr(val, ':');
    size_t n = colon ? (size_t)(colon - val) : strlen(val);
    if (n >= sizeof buf)
        return bad(o, val, "expected MIN or MIN:MAX", err);
    memcpy(buf, val, n);
    buf[n] = 0;
    t->n2 = -1;
    if (gt_parse_int(buf, &t->n, &why) != 0 ||
        (colon && gt_parse_int(colon + 1, &t->n2, &why) != 0))
        return bad(o, val, "expected MIN or MIN:MAX (integers)", err);
    if (t->n < o->lo || t->n > o->hi || (colon && (t->n2 < t->n || t->n2 > o->hi)))
        return gt_fail(err, GT_E_RANGE, NULL, "%s: need %lld <= MIN <= MAX <= %lld, got '%s'",
                       o->name, o->lo, o->hi, val);
    return GT_E_OK;
}

gt_err gt_opt_value(const gt_opt *o, const char *val, gt_opt_tok *t, gt_error *err) {
    const char *why;
    int64_t v = 0;
    t->val = val;
    switch (o->type) {
    case GT_OPT_SWITCH:
    case GT_OPT_STRING:
        return GT_E_OK;
    case GT_OPT_INT:
        return int_value(o, val, &t->n, err);
    case GT_OPT_DURATION:
    case GT_OPT_TIME:
        if ((o->type == GT_OPT_TIME ? gt_parse_time_ms(val, &v, &why)
                                    : gt_parse_duration_ms(val, &v, &why)) != 0)
            return bad(o, val, why, err);
        t->n = v;
        return in_range(o, val, v, 1000, " seconds", err);
    case GT_OPT_SIZE:
        if (gt_parse_size_mb(val, &v, &why) != 0)
            return bad(o, val, why, err);
        t->n = v;
        return in_range(o, val, v, 1, " MiB", err);
    case GT_OPT_CHOICE:
        return choice_value(o, val, t, err);
    case GT_OPT_RANGE:
        return range_value(o, val, t, err);
    case GT_OPT_REAL:
        return real_value(o, val, t, err);
    case GT_OPT_KEYVAL:
        if (!strchr(val, '=') || val[0] == '=')
            return bad(o, val, "expected KEY=VALUE", err);
        t->n = strchr(val, '=') - val;
        return GT_E_OK;
    }
    return gt_fail(err, GT_E_INVALID, NULL, "%s: unknown kind of option", o->name);
}

/* "--name[=value]" or "-x": the row, and the inline value if any. */
static const gt_opt *lookup(const char *arg, const gt_opt *opts, const gt_opt *more,
                            const char **inline_val) {
    *inline_val = NULL;
    if (arg[1] != '-') {
        if (arg[2] != 0)
            return NULL;
        const gt_opt *o = find_short(opts, arg[1]);
        return o ? o : find_short(more, arg[1]);
    }
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    if (eq)
        *inline_val = eq + 1;
    const gt_opt *o = find_long(opts, arg, len);
    return o ? o : find_long(more, arg, len);
}

gt_opt_tok gt_opt_next(gt_opt_args *a, const gt_opt *opts, const gt_opt *more, gt_error *err) {
    gt_opt_tok t = {.kind = GT_TOK_END};
    if (a->i >= a->argc)
        return t;
    const char *arg = a->argv[a->i++], *val;
    if (strcmp(arg, "--") == 0) {
        t.kind = GT_TOK_REST;
        return t;
    }
    if (arg[0] != '-' || arg[1] == 0) {
        t.kind = GT_TOK_ARG;
        t.val = arg;
        return t;
    }
    t.kind = GT_TOK_ERR;
    t.opt = lookup(arg, opts, more, &val);
    if (!t.opt) {
        gt_fail(err, GT_E_INVALID, NULL, "unknown option '%s'", arg);
        return t;
    }
    if (t.opt->type == GT_OPT_SWITCH && val) {
        gt_fail(err, GT_E_INVALID, NULL, "%s takes no value, got '%s'", t.opt->name, arg);
        return t;
    }
    if (t.opt->type != GT_OPT_SWITCH && !val) {
        if (a->i >= a->argc) {
            gt_fail(err, GT_E_INVALID, NULL, "%s needs a value (%s)", t.opt->name, t.opt->arg);
            return t;
        }
        val = a->argv[a->i++];
    }
    if (gt_opt_value(t.opt, val, &t, err) == GT_E_OK)
        t.kind = GT_TOK_OPT;
    return t;
}

int gt_opt_unknown_is(const gt_error *err, const char *name) {
    static const char pre[] = "unknown option '";
    size_t n = strlen(name);
    if (strncmp(err->msg, pre, sizeof pre - 1) != 0)
        return 0;
    const char *arg = err->msg + sizeof pre - 1;
    return strncmp(arg, name, n) == 0 && (arg[n] == '\'' || arg[n] == '=');
}

gt_opt_tok gt_opt_next_option(gt_opt_args *a, const gt_opt *opts, gt_error *err) {
    gt_opt_tok t = gt_opt_next(a, opts, NULL, err);
    if (t.kind == GT_TOK_ARG || t.kind == GT_TOK_REST) {
        gt_fail(err, GT_E_INVALID, NULL, "unexpected argument '%s'", a->argv[a->i - 1]);
        t.kind = GT_TOK_ERR;
    }
    return t;
}

void gt_opt_help(FILE *f, const gt_opt *opts) {
    for (const gt_opt *o = opts; o && o->name; o++) {
        char left[64];
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, %s%s%s", o->short_name, o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
        else
            snprintf(left, sizeof left, "%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(f, "  %-24s %s\n", left, o->help);
    }
}

/* The length of the word at p: up to a space or newline, outside brackets when `groups`
 * ("[--listen ADDR:PORT]" is one word of a synopsis). */
static size_t word_len(const char *p, int groups) {
    size_t n = 0;
    int depth = 0;
    for (; p[n] && (depth > 0 || (p[n] != ' ' && p[n] != '\n')); n++)
        if (groups)
            depth += (p[n] == '[' || p[n] == '(') - (p[n] == ']' || p[n] == ')');
    return n;
}

/* text's words on lines of at most 80 columns, the first after `col` columns already
 * written, the next ones indented by `indent`; a blank line in text starts a paragraph
 * (an empty line out), any other run of spaces and newlines is one space. */
static void wrap(FILE *f, const char *text, int col, int indent, int groups) {
    const int width = 80;
    int at_start = 1;
    for (const char *p = text; *p;) {
        size_t gap = strspn(p, " \n");
        int newlines = 0;
        for (size_t i = 0; i < gap; i++)
            newlines += p[i] == '\n';
        if (newlines > 1 && !at_start && p[gap]) {
            fprintf(f, "\n\n%*s", indent, "");
            col = indent;
            at_start = 1;
        }
        p += gap;
        size_t n = word_len(p, groups);
        if (n == 0)
            break;
        if (!at_start && col + 1 + (int)n > width) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        } else if (!at_start) {
            fputc(' ', f);
            col++;
        }
        fwrite(p, 1, n, f);
        col += (int)n;
        at_start = 0;
        p += n;
    }
    fputc('\n', f);
}

void gt_opt_wrap(FILE *f, const char *text, int col, int indent) {
    wrap(f, text, col, indent, 0);
}

void gt_opt_usage(FILE *f, const gt_opt_prog *p) {
    int col = fprintf(f, "usage: %s", p->name);
    if (p->synopsis && *p->synopsis) {
        fputc(' ', f);
        wrap(f, p->synopsis, col + 1, col + 1, 1);
    } else {
        fputc('\n', f);
    }
    if (p->about && *p->about)
        wrap(f, p->about, 0, 0, 0);
    fprintf(f, "\noptions:\n");
    gt_opt_help(f, p->opts);
}
