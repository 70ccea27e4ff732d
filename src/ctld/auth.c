/* SPDX-License-Identifier: MIT
 * Bearer tokens. The tokens file has one "TOKEN TENANT ROLE [USER]" line per token (blank
 * lines and '#' comments skipped); roles are admin, user and node. USER binds the token to
 * a Unix user: the jobs it submits run as that user on the nodes. Tokens are 16..127 bytes of
 * [A-Za-z0-9._-]. Lookups are a binary search over the sorted list.
 *
 * With no tokens file configured, the first start writes DATA_DIR/tokens with a random
 * admin and a random node token (from /dev/urandom), and each alone in admin.token and
 * node.token (mode 0600), which the CLI and the agent read by default. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctld/ctld_int.h"
#include "sys/readfile.h"
#include "util/vec.h"

static const char *const role_names[] = {"user", "admin", "node"};

const char *ctld_role_name(int role) {
    return role >= 0 && role < 3 ? role_names[role] : "unknown";
}

static int cmp_token(const void *a, const void *b) {
    return strcmp(((const ctld_principal *)a)->token, ((const ctld_principal *)b)->token);
}

/* lo..hi characters of [A-Za-z0-9._-]: tokens (16..127) and user names (1..32, not
 * starting with '-'). */
static int word_ok(const char *s, size_t n, size_t lo, size_t hi) {
    if (n < lo || n > hi)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
            !(s[i] >= '0' && s[i] <= '9') && !strchr("._-", s[i]))
            return 0;
    return 1;
}

/* Split one line into up to 5 words; returns the count. */
static int words(char *line, char *w[5]) {
    int n = 0;
    char *save = NULL;
    for (char *p = strtok_r(line, " \t\r", &save); p && n < 5; p = strtok_r(NULL, " \t\r", &save))
        w[n++] = p;
    return n;
}

static gt_err parse_line(char *line, const char *where, int lineno, ctld_principal *p,
                         gt_error *err) {
    char *w[5], loc[160];
    snprintf(loc, sizeof loc, "%s:%d", where, lineno);
    int n = words(line, w);
    if (n != 3 && n != 4)
        return gt_fail(err, GT_E_PARSE, loc, "expected 'TOKEN TENANT ROLE [USER]', got %d word(s)",
                       n);
    if (n == 4 && (w[3][0] == '-' || !word_ok(w[3], strlen(w[3]), 1, 32)))
        return gt_fail(err, GT_E_INVALID, loc,
                       "user: 1 to 32 letters, digits, '.', '_', '-', not starting with '-'");
    if (!word_ok(w[0], strlen(w[0]), 16, 127))
        return gt_fail(err, GT_E_INVALID, loc,
                       "token: 16 to 127 characters of letters, digits, '.', '_', '-'");
    if (strlen(w[1]) >= sizeof p->tenant)
        return gt_fail(err, GT_E_INVALID, loc, "tenant: at most %zu characters",
                       sizeof p->tenant - 1);
    int role = -1;
    for (int i = 0; i < 3; i++)
        if (!strcmp(w[2], role_names[i]))
            role = i;
    if (role < 0)
        return gt_fail(err, GT_E_INVALID, loc, "role: expected admin, user or node, got '%.32s'",
                       w[2]);
    memset(p, 0, sizeof *p);
    memcpy(p->token, w[0], strlen(w[0]));
    memcpy(p->tenant, w[1], strlen(w[1]));
    if (n == 4)
        memcpy(p->user, w[3], strlen(w[3]));
    p->role = role;
    return GT_E_OK;
}

gt_err ctld_tokens_parse(const char *text, size_t len, const char *where, ctld_tokens *out,
                         gt_error *err) {
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    int lineno = 0;
    for (size_t i = 0; i < len;) {
        size_t n = 0;
        while (i + n < len && text[i + n] != '\n')
            n++;
        char line[512];
        lineno++;
        if (n >= sizeof line || memchr(text + i, 0, n)) {
            ctld_tokens_free(out);
            return gt_fail(err, GT_E_PARSE, where, "line %d: too long or not text", lineno);
        }
        memcpy(line, text + i, n);
        line[n] = 0;
        i += n + 1;
        char *p = line + strspn(line, " \t\r");
        if (!*p || *p == '#')
            continue;
        if (!gt_vec_reserve_from((void **)&out->v, &cap, out->n + 1, sizeof *out->v, 8)) {
            ctld_tokens_free(out);
            return gt_fail(err, GT_E_NOMEM, where, "out of memory");
        }
        if (parse_line(p, where, lineno, &out->v[out->n], err)) {
            ctld_tokens_free(out);
            return err ? err->code : GT_E_PARSE;
        }
        out->n++;
    }
    if (out->n > 1)
        qsort(out->v, out->n, sizeof *out->v, cmp_token);
    for (size_t i = 1; i < out->n; i++)
        if (!strcmp(out->v[i].token, out->v[i - 1].token)) {
            ctld_tokens_free(out);
            return gt_fail(err, GT_E_EXISTS, where, "a token is listed twice");
        }
    return GT_E_OK;
}

const ctld_principal *ctld_tokens_find(const ctld_tokens *t, const char *token) {
    ctld_principal key;
    if (!token || strlen(token) >= sizeof key.token)
        return NULL;
    snprintf(key.token, sizeof key.token, "%s", token);
    return t->n ? bsearch(&key, t->v, t->n, sizeof *t->v, cmp_token) : NULL;
}

void ctld_tokens_free(ctld_tokens *t) {
    free(t->v);
    memset(t, 0, sizeof *t);
}

static int random_token(char out[33]) {
    unsigned char b[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    int ok = fd >= 0 && read(fd, b, sizeof b) == (ssize_t)sizeof b;
    if (fd >= 0)
        close(fd);
    for (int i = 0; ok && i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    return ok;
}

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return 0;
    size_t n = strlen(text);
    int ok = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
    return close(fd) == 0 && ok;
}

static gt_err create_tokens(const char *dir, const char *path, gt_error *err) {
    char admin[33], node[33], text[512], p2[400];
    if (!random_token(admin) || !random_token(node))
        return gt_fail(err, GT_E_IO, "/dev/urandom", "cannot read random bytes");
    snprintf(text, sizeof text,
             "# gantry tokens: TOKEN TENANT ROLE (admin, user or node)\n%s default admin\n"
             "%s default node\n",
             admin, node);
    int ok = write_file(path, text);
    snprintf(p2, sizeof p2, "%s/admin.token", dir);
    snprintf(text, sizeof text, "%s\n", admin);
    ok = ok && write_file(p2, text);
    snprintf(p2, sizeof p2, "%s/node.token", dir);
    snprintf(text, sizeof text, "%s\n", node);
    ok = ok && write_file(p2, text);
    return ok ? GT_E_OK : gt_fail(err, GT_E_IO, path, "cannot write the tokens");
}

gt_err ctld_tokens_load(const gt_server_conf *sc, ctld_tokens *out, gt_error *err) {
    char path[300];
    snprintf(path, sizeof path, "%s", sc->tokens);
    if (!sc->tokens[0]) {
        snprintf(path, sizeof path, "%s/tokens", sc->data_dir);
        struct stat st;
        gt_err e = stat(path, &st) ? create_tokens(sc->data_dir, path, err) : GT_E_OK;
        if (e)
            return e;
    }
    size_t n;
    char *buf = gt_file_read(path, 1 << 20, &n, err);
    if (!buf)
        return err ? err->code : GT_E_IO;
    gt_err e = ctld_tokens_parse(buf, n, path, out, err);
    free(buf);
    return e;
}
