/* SPDX-License-Identifier: MIT
 * gantry's configuration file: parse and write (see cliconfig.h for the format). */
#include "cli/cliconfig.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *path;
    int line;
    gt_error *err;
} where;

static gt_err bad(const where *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static gt_err bad(const where *w, const char *fmt, ...) {
    char at[128], msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(at, sizeof at, "%.100s:%d", w->path, w->line);
    return gt_fail(w->err, GT_E_PARSE, at, "%s", msg);
}

int gt_cli_context_name_ok(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n >= GT_CLI_CTX_NAME)
        return 0;
    for (const char *p = name; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p))
            return 0;
    return 1;
}

gt_cli_context *gt_cli_config_find(const gt_cli_config *cfg, const char *name) {
    for (size_t i = 0; i < cfg->n; i++)
        if (strcmp(cfg->ctx[i].name, name) == 0)
            return &cfg->ctx[i];
    return NULL;
}

gt_cli_context *gt_cli_config_add(gt_cli_config *cfg, const char *name) {
    gt_cli_context *c = gt_cli_config_find(cfg, name);
    if (c)
        return c;
    if (cfg->n >= GT_CLI_CTX_MAX)
        return NULL;
    gt_cli_context *v = realloc(cfg->ctx, (cfg->n + 1) * sizeof *v);
    if (!v)
        return NULL;
    cfg->ctx = v;
    c = &v[cfg->n++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    return c;
}

void gt_cli_config_free(gt_cli_config *cfg) {
    if (!cfg)
        return;
    free(cfg->ctx);
    memset(cfg, 0, sizeof *cfg);
}

/* s without its leading and trailing blanks, in place. */
static char *trim(char *s) {
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

/* val into dst (size bytes) for key, once. */
static gt_err set_once(const where *w, char *dst, size_t size, const char *key, const char *val) {
    if (dst[0])
        return bad(w, "%s given twice", key);
    if (!val[0] || strlen(val) >= size)
        return bad(w, "%s: expected a value of 1 to %zu characters", key, size - 1);
    snprintf(dst, size, "%s", val);
    return GT_E_OK;
}

/* One `key = value` line inside [context NAME]. */
static gt_err context_key(const where *w, gt_cli_context *c, const char *key, const char *val) {
    if (strcmp(key, "server") == 0) {
        if (strncmp(val, "http://", 7) != 0 && strncmp(val, "https://", 8) != 0)
            return bad(w, "server: expected a URL like http://HOST:PORT, got '%.200s'", val);
        return set_once(w, c->server, sizeof c->server, key, val);
    }
    if (strcmp(key, "token-file") == 0) {
        if (val[0] != '/' && strncmp(val, "~/", 2) != 0)
            return bad(w, "token-file: expected an absolute path or ~/PATH, got '%.200s'", val);
        return set_once(w, c->token_file, sizeof c->token_file, key, val);
    }
    if (strcmp(key, "tenant") == 0) {
        if (!gt_cli_context_name_ok(val))
            return bad(w, "tenant: expected a name (letters, digits, '.', '_', '-'), got '%.60s'",
                       val);
        return set_once(w, c->tenant, sizeof c->tenant, key, val);
    }
    return bad(w, "unknown key '%.60s' in a context (server, token-file, tenant)", key);
}

/* "[context NAME]": a new context. */
static gt_err section(const where *w, gt_cli_config *cfg, char *line, gt_cli_context **cur) {
    size_t n = strlen(line);
    if (n < 2 || line[n - 1] != ']' || strncmp(line, "[context", 8) != 0 ||
        (line[8] != ' ' && line[8] != '\t'))
        return bad(w, "expected [context NAME], got '%.60s'", line);
    line[n - 1] = 0;
    char *name = trim(line + 8);
    if (!gt_cli_context_name_ok(name))
        return bad(w,
                   "context name: expected 1 to 63 letters, digits, '.', '_' or '-', got '%.60s'",
                   name);
    gt_cli_context *c = gt_cli_config_find(cfg, name);
    if (c)
        return bad(w, "context '%s' given twice (first at line %d)", name, c->line);
    if (!(c = gt_cli_config_add(cfg, name)))
        return bad(w, "more than %d contexts", GT_CLI_CTX_MAX);
    c->line = w->line;
    *cur = c;
    return GT_E_OK;
}

static gt_err top_key(const where *w, gt_cli_config *cfg, const char *key, const char *val) {
    if (strcmp(key, "current-context") != 0)
        return bad(w, "unknown key '%.60s' before any [context NAME] (current-context)", key);
    if (!gt_cli_context_name_ok(val))
        return bad(w, "current-context: expected a context name, got '%.60s'", val);
    if (cfg->current[0])
        return bad(w, "current-context given twice");
    snprintf(cfg->current, sizeof cfg->current, "%s", val);
    cfg->current_line = w->line;
    return GT_E_OK;
}

static gt_err parse_line(const where *w, gt_cli_config *cfg, char *raw, gt_cli_context **cur) {
    char *line = trim(raw);
    if (!line[0] || line[0] == '#')
        return GT_E_OK;
    if (line[0] == '[')
        return section(w, cfg, line, cur);
    char *eq = strchr(line, '=');
    if (!eq)
        return bad(w, "expected KEY = VALUE or [context NAME], got '%.60s'", line);
    *eq = 0;
    char *key = trim(line), *val = trim(eq + 1);
    return *cur ? context_key(w, *cur, key, val) : top_key(w, cfg, key, val);
}

gt_err gt_cli_config_parse(const char *text, size_t len, const char *path, gt_cli_config *cfg,
                           gt_error *err) {
    memset(cfg, 0, sizeof *cfg);
    where w = {path, 0, err};
    gt_cli_context *cur = NULL;
    size_t at = 0;
    while (at < len) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
        char line[2048];
        w.line++;
        gt_err e = GT_E_OK;
        if (n >= sizeof line)
            e = bad(&w, "line longer than 2047 bytes");
        else if (memchr(text + at, 0, n))
            e = bad(&w, "a NUL byte in the line");
        else {
            memcpy(line, text + at, n);
            line[n] = 0;
            e = parse_line(&w, cfg, line, &cur);
        }
        if (e) {
            gt_cli_config_free(cfg);
            return e;
        }
        at += n + 1;
    }
    return GT_E_OK;
}

void gt_cli_config_write(FILE *f, const gt_cli_config *cfg) {
    fprintf(f, "# gantry's contexts (docs/cli.md): written by 'gantry config', comments are not "
               "kept\n");
    if (cfg->current[0])
        fprintf(f, "current-context = %s\n", cfg->current);
    for (size_t i = 0; i < cfg->n; i++) {
        const gt_cli_context *c = &cfg->ctx[i];
        fprintf(f, "\n[context %s]\n", c->name);
        if (c->server[0])
            fprintf(f, "server = %s\n", c->server);
        if (c->token_file[0])
            fprintf(f, "token-file = %s\n", c->token_file);
        if (c->tenant[0])
            fprintf(f, "tenant = %s\n", c->tenant);
    }
}

/* cfg written into a new buffer (*len bytes), or NULL. */
static char *written(const gt_cli_config *cfg, size_t *len) {
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    gt_cli_config_write(f, cfg);
    fclose(f);
    return buf;
}

int gt_cli_config_roundtrip(const char *text, size_t len, char *why, size_t size) {
    gt_cli_config a, b;
    gt_error err = {0};
    if (gt_cli_config_parse(text, len, "fuzz", &a, &err) != GT_E_OK) {
        int ok = err.where[0] && err.msg[0] && a.n == 0 && !a.ctx;
        snprintf(why, size, "an error without a location, message, or with contexts left");
        return ok ? 0 : -1;
    }
    size_t n1 = 0, n2 = 0;
    char *w1 = written(&a, &n1), *w2 = NULL;
    int rc = -1;
    if (!w1)
        snprintf(why, size, "cannot write the config");
    else if (gt_cli_config_parse(w1, n1, "fuzz", &b, &err) != GT_E_OK)
        snprintf(why, size, "what it wrote does not parse: %s: %s", err.where, err.msg);
    else {
        w2 = written(&b, &n2);
        rc = w2 && n1 == n2 && memcmp(w1, w2, n1) == 0 ? 0 : -1;
        snprintf(why, size, "written, parsed and written again, it changed");
        gt_cli_config_free(&b);
    }
    free(w1);
    free(w2);
    gt_cli_config_free(&a);
    return rc;
}
