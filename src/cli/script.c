/* SPDX-License-Identifier: MIT
 * Batch scripts: #GANTRY directives and the command that runs the script (see script.h).
 *
 * Design notes
 *  1. A directive's words go through submit's own option table (gt_cli_submit_words), so
 *     a directive is exactly a command-line option: same names, same checks, same
 *     messages, located at FILE:LINE.
 *  2. The job carries the script's text, not its path: the node need not have the file.
 *     Interpreters that take a program as an argument are a table (name, flag, whether
 *     the next argument is $0); "#!/usr/bin/env NAME" looks NAME up there. A script for
 *     another interpreter is refused before anything is sent. */
#include "cli/script.h"

#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 64

static const struct {
    const char *name; /* the program's name, as "#!" gives it (a version may follow) */
    const char *flag; /* the option whose argument is the program text */
    int dollar0;      /* a shell: the argument after the text is $0 */
} interpreters[] = {
    {"sh", "-c", 1},  {"bash", "-c", 1},   {"dash", "-c", 1}, {"ksh", "-c", 1},
    {"zsh", "-c", 1}, {"python", "-c", 0}, {"perl", "-e", 0},
};

static int blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

int gt_cli_is_script(const char *text, size_t len) {
    return text && len >= 2 && text[0] == '#' && text[1] == '!';
}

/* ---- directives --------------------------------------------------------------------------- */

/* A directive's words (the n bytes after "#GANTRY") into buf (2n + 2 bytes), pointers in w.
 * The number of words, or -1 with *why. */
static int split_words(const char *s, size_t n, char *buf, char **w, const char **why) {
    size_t i = 0, o = 0;
    int nw = 0;
    for (;;) {
        while (i < n && blank(s[i]))
            i++;
        if (i == n || s[i] == '#')
            return nw;
        if (nw == MAX_WORDS) {
            *why = "more than 64 words on one line";
            return -1;
        }
        w[nw++] = buf + o;
        char q = 0;
        for (; i < n && (q || !blank(s[i])); i++) {
            if (q && s[i] == q)
                q = 0;
            else if (!q && (s[i] == '\'' || s[i] == '"'))
                q = s[i];
            else if (q != '\'' && s[i] == '\\' && i + 1 < n)
                buf[o++] = s[++i];
            else
                buf[o++] = s[i];
        }
        if (q) {
            *why = "a quote is not closed";
            return -1;
        }
        buf[o++] = 0;
    }
}

enum { L_BLANK, L_COMMENT, L_DIRECTIVE, L_CODE };

/* What a line is; for a directive, *at is where its words start. */
static int line_kind(const char *s, size_t n, size_t *at) {
    size_t i = 0;
    while (i < n && blank(s[i]))
        i++;
    if (i == n)
        return L_BLANK;
    if (s[i] != '#')
        return L_CODE;
    if (n - i >= 7 && memcmp(s + i, "#GANTRY", 7) == 0 && (i + 7 == n || blank(s[i + 7]))) {
        *at = i + 7;
        return L_DIRECTIVE;
    }
    return L_COMMENT;
}

/* One directive (the n bytes of its words) into d; errors located at file:line. */
static gt_err directive(const char *s, size_t n, const char *file, int line, gt_cli_submit_req *d,
                        gt_error *err) {
    char loc[160], *w[MAX_WORDS + 1], *buf = malloc(2 * n + 2);
    const char *why = NULL;
    snprintf(loc, sizeof loc, "%s:%d", file, line);
    if (!buf)
        return gt_fail(err, GT_E_NOMEM, loc, "out of memory");
    w[0] = "#GANTRY";
    int nw = split_words(s, n, buf, w + 1, &why);
    gt_err e = nw < 0 ? gt_fail(err, GT_E_INVALID, loc, "%s", why)
                      : gt_cli_submit_words(d, nw + 1, w, err);
    free(buf);
    if (e && nw >= 0) {
        char msg[sizeof err->msg];
        memcpy(msg, err->msg, sizeof msg);
        gt_fail(err, e, loc, "%s", msg);
    }
    return e;
}

gt_err gt_cli_script_directives(const char *text, size_t len, const char *file,
                                gt_cli_submit_req *d, gt_error *err) {
    memset(d, 0, sizeof *d);
    if (!(d->fields = json_object()))
        return gt_fail(err, GT_E_NOMEM, file, "out of memory");
    const char *p = memchr(text, '\n', len), *end = text + len; /* past the "#!" line */
    for (int line = 2; p && ++p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p), at = 0;
        int kind = line_kind(p, n, &at);
        if (kind == L_CODE)
            break;
        gt_err e = kind == L_DIRECTIVE ? directive(p + at, n - at, file, line, d, err) : GT_E_OK;
        if (e) {
            gt_cli_submit_req_free(d);
            return e;
        }
        p = nl;
    }
    return GT_E_OK;
}

/* ---- the command -------------------------------------------------------------------------- */

/* The table's row for a program name ("python3.11" is python's), or -1. */
static int interpreter(const char *prog) {
    const char *base = strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog;
    for (size_t i = 0; i < sizeof interpreters / sizeof interpreters[0]; i++) {
        size_t n = strlen(interpreters[i].name);
        if (strncmp(base, interpreters[i].name, n) == 0 &&
            strspn(base + n, "0123456789.") == strlen(base + n))
            return (int)i;
    }
    return -1;
}

/* The next word of [*p, end) into out (len bytes); 0 when there is none or it is too long. */
static size_t word(const char **p, const char *end, char *out, size_t len) {
    while (*p < end && blank(**p))
        (*p)++;
    const char *w = *p;
    while (*p < end && !blank(**p))
        (*p)++;
    size_t n = (size_t)(*p - w);
    if (n == 0 || n >= len)
        return 0;
    memcpy(out, w, n);
    out[n] = 0;
    return n;
}

/* The "#!" line: the interpreter's path and its one argument ("" when none; Linux passes
 * the rest of the line as one argument, and so do we). */
static gt_err shebang(const char *text, size_t len, const char *loc, char *path, char *arg,
                      size_t size, gt_error *err) {
    const char *nl = memchr(text, '\n', len), *end = nl ? nl : text + len, *p = text + 2;
    while (end > p && blank(end[-1]))
        end--;
    arg[0] = 0;
    if (!word(&p, end, path, size))
        return gt_fail(err, GT_E_INVALID, loc, "expected '#!INTERPRETER [ARGUMENT]'");
    while (p < end && blank(*p))
        p++;
    if (p < end && (size_t)(end - p) >= size)
        return gt_fail(err, GT_E_INVALID, loc, "the '#!' line is too long");
    memcpy(arg, p, (size_t)(end - p));
    arg[end - p] = 0;
    return GT_E_OK;
}

/* Append s to the command; 0 (err filled, naming `what`) when it is not valid UTF-8 (a
 * JSON string cannot hold it) or memory runs out. */
static int append(json_t *cmd, const char *s, const char *file, const char *what, gt_error *err) {
    json_t *v = json_string(s);
    if (v && json_array_append_new(cmd, v) == 0)
        return 1;
    gt_fail(err, GT_E_INVALID, file, "%s '%.64s' is not valid UTF-8", what, s);
    return 0;
}

/* Why the script cannot run from its text, into *err; NULL when it can. */
static const char *unfit(const char *text, size_t len, const char *file, gt_error *err) {
    if (len > GT_CLI_SCRIPT_MAX)
        gt_fail(err, GT_E_INVALID, file,
                "larger than 128 KiB, the most one argument of a program holds (the job "
                "carries the script's text)");
    else if (memchr(text, 0, len))
        gt_fail(err, GT_E_INVALID, file, "holds a NUL byte");
    else
        return NULL;
    return err ? err->msg : "";
}

json_t *gt_cli_script_command(const char *text, size_t len, const char *file, const char *name,
                              char *const *args, int nargs, gt_error *err) {
    char path[256], arg[256], loc[160];
    snprintf(loc, sizeof loc, "%s:1", file);
    if (unfit(text, len, file, err) || shebang(text, len, loc, path, arg, sizeof path, err))
        return NULL;
    int env = strcmp(path, "/usr/bin/env") == 0 || strcmp(path, "/bin/env") == 0;
    int k = interpreter(env ? arg : path);
    if (k < 0) {
        gt_fail(err, GT_E_INVALID, loc,
                "cannot run a script for '%s' from its text: gantry runs sh, bash, dash, ksh, "
                "zsh and python scripts (-c) and perl ones (-e)",
                env ? arg : path);
        return NULL;
    }
    json_t *cmd = json_array(), *body = json_stringn(text, len);
    if (!cmd || !body) {
        json_decref(cmd);
        json_decref(body);
        gt_fail(err, GT_E_INVALID, file, "not valid UTF-8");
        return NULL;
    }
    int ok = append(cmd, path, file, "interpreter", err) &&
             (!arg[0] || append(cmd, arg, file, "interpreter argument", err)) &&
             append(cmd, interpreters[k].flag, file, "flag", err);
    if (ok && json_array_append_new(cmd, body))
        ok = !gt_fail(err, GT_E_NOMEM, file, "out of memory");
    if (ok && interpreters[k].dollar0)
        ok = append(cmd, name, file, "the script's name", err);
    for (int i = 0; ok && i < nargs; i++)
        ok = append(cmd, args[i], file, "argument", err);
    if (!ok) {
        json_decref(cmd);
        return NULL;
    }
    return cmd;
}
