/* SPDX-License-Identifier: MIT
 * Requests to the controller from the commands: the token, the client, error messages.
 *
 * Design notes
 *  1. The token is looked for in this order: --token-file, GANTRY_TOKEN,
 *     GANTRY_TOKEN_FILE, the context's token-file (context.c), then
 *     ./gantry-data/admin.token if it exists (where gantryd started
 *     with no arguments writes it). A token file named explicitly must be readable; the
 *     default one is only used when it is there. No token at all is not an error here:
 *     the controller answers 401 and the message says how to pass one.
 *  2. Every request goes through gt_cli_send, which turns a transport failure into exit 10
 *     and an error answer into the exit code of its error code (apierr.h), printing one
 *     line each time. Handlers just return what it returns. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/apierr.h"
#include "cli/cli.h"

/* The first word of the first line that is not blank or a comment. */
static int token_from_file(const char *path, char *out, size_t len, int *sys_errno) {
    FILE *f = fopen(path, "r");
    if (!f) {
        *sys_errno = errno;
        return -1;
    }
    char line[1024];
    out[0] = 0;
    while (!out[0] && fgets(line, sizeof line, f)) {
        char *w = line + strspn(line, " \t\r\n");
        size_t n = strcspn(w, " \t\r\n");
        if (n > 0 && w[0] != '#' && n < len) {
            memcpy(out, w, n);
            out[n] = 0;
        }
    }
    fclose(f);
    *sys_errno = 0;
    return out[0] ? 0 : -1;
}

static int resolve_token(const gt_cli *c, char *tok, size_t len) {
    const char *env_tok = getenv(GT_CLI_ENV_TOKEN), *env_file = getenv(GT_CLI_ENV_TOKEN_FILE);
    const char *file = NULL;
    int e = 0;
    tok[0] = 0;
    if (c->token_file)
        file = c->token_file;
    else if (env_tok && *env_tok) {
        snprintf(tok, len, "%s", env_tok);
        return 0;
    } else if (env_file && *env_file)
        file = env_file;
    else if (c->ctx_token_file[0])
        file = c->ctx_token_file;
    if (!file) {
        token_from_file(GT_CLI_DEFAULT_TOKEN_FILE, tok, len, &e);
        return 0;
    }
    if (token_from_file(file, tok, len, &e) != 0) {
        gt_cli_say("cannot read a token from '%s'%s%s (%s); pass --token-file PATH or set "
                   "GANTRY_TOKEN",
                   file, file == c->ctx_token_file ? ", the token-file of " : "",
                   file == c->ctx_token_file ? c->ctx_where : "",
                   e ? strerror(e) : "no token in it");
        return GT_CLI_EXIT_USAGE;
    }
    return 0;
}

int gt_cli_open(gt_cli *c) {
    if (c->http)
        return 0;
    int rc = gt_cli_context_apply(c);
    if (rc != 0)
        return rc;
    if (strncmp(c->server, "http://", 7) != 0 && strncmp(c->server, "https://", 8) != 0) {
        gt_cli_say("GANTRY_SERVER: expected a URL like http://HOST:PORT, got '%s'", c->server);
        return GT_CLI_EXIT_USAGE;
    }
    size_t n = strlen(c->server);
    while (n > 0 && c->server[n - 1] == '/')
        c->server[--n] = 0;
    char tok[512];
    rc = resolve_token(c, tok, sizeof tok);
    if (rc != 0)
        return rc;
    if (!(c->http = gt_cli_http_new(c->server, tok, c->timeout_s))) {
        gt_cli_say("cannot start the HTTP client (libcurl)");
        return gt_err_exit(GT_E_NOMEM);
    }
    return 0;
}

int gt_cli_send(gt_cli *c, const char *method, const char *path, const char *body) {
    int rc = gt_cli_open(c);
    if (rc != 0)
        return rc;
    char msg[1024];
    gt_cli_http_resp_free(&c->last);
    if (gt_cli_http_do(c->http, method, path, body, &c->last) != 0) {
        gt_cli_unreachable(c->server, c->last.error, msg, sizeof msg);
        gt_cli_say("%s", msg);
        return gt_err_exit(GT_E_UNAVAILABLE);
    }
    if (c->last.status >= 200 && c->last.status < 300)
        return 0;
    rc = gt_cli_api_error(c->last.status, c->last.body.s, c->last.body.len, msg, sizeof msg);
    gt_cli_say("%s", msg);
    return rc;
}

int gt_cli_request(gt_cli *c, const char *method, const char *path, const char *body,
                   json_t **out) {
    int rc = gt_cli_send(c, method, path, body);
    if (rc != 0 || !out)
        return rc;
    json_error_t je;
    *out = json_loadb(gt_sb_str(&c->last.body), c->last.body.len, 0, &je);
    if (!*out) {
        gt_cli_say("the controller's answer to %s %s is not JSON (%s)", method, path, je.text);
        return gt_err_exit(GT_E_IO);
    }
    return 0;
}

int gt_cli_request_quiet(gt_cli *c, const char *method, const char *path, json_t **out) {
    *out = NULL;
    if (gt_cli_open(c) != 0)
        return 1;
    gt_cli_http_resp_free(&c->last);
    if (gt_cli_http_do(c->http, method, path, NULL, &c->last) != 0 || c->last.status < 200 ||
        c->last.status >= 300)
        return 1;
    *out = json_loadb(gt_sb_str(&c->last.body), c->last.body.len, 0, NULL);
    return *out ? 0 : 1;
}

void gt_cli_print_last(const gt_cli *c) {
    fwrite(gt_sb_str(&c->last.body), 1, c->last.body.len, stdout);
    if (c->last.body.len == 0 || c->last.body.s[c->last.body.len - 1] != '\n')
        fputc('\n', stdout);
}

void gt_cli_print_json(const json_t *doc) {
    json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
    fputc('\n', stdout);
}

void gt_cli_urlenc(gt_sb *b, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p)) {
            gt_sb_putc(b, (char)*p);
        } else {
            gt_sb_putc(b, '%');
            gt_sb_putc(b, hex[*p >> 4]);
            gt_sb_putc(b, hex[*p & 15]);
        }
    }
}
