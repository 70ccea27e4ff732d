/* SPDX-License-Identifier: MIT
 * The tokens file on disk (the format is in auth.c). With no tokens file configured, the
 * first start makes a random admin and a random node token (getrandom), writes each alone
 * to DATA_DIR/admin.token and DATA_DIR/node.token (mode 0600: the CLI and the agent read
 * them by default), and only their stored forms (sha256:SALT:HEX) to DATA_DIR/tokens,
 * written last: a start that fails half-way writes them all again. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctld/ctld_int.h"
#include "sys/entropy.h"
#include "sys/readfile.h"
#include "util/secret.h"

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return 0;
    size_t n = strlen(text);
    int ok = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
    return close(fd) == 0 && ok;
}

/* A new token (32 hex digits) into DIR/NAME and its stored form into hashed. */
static int new_token(const char *dir, const char *name, char hashed[CTLD_HASHED_LEN]) {
    char tok[40], path[400];
    int ok = gt_random_hex(tok, 16) == 0 && ctld_token_hash(tok, hashed, CTLD_HASHED_LEN) == 0;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t n = strlen(tok);
    tok[n] = '\n', tok[n + 1] = 0;
    ok = ok && write_file(path, tok);
    gt_secret_wipe(tok, sizeof tok);
    return ok;
}

static gt_err create_tokens(const char *dir, const char *path, gt_error *err) {
    char admin[CTLD_HASHED_LEN], node[CTLD_HASHED_LEN], text[600];
    if (!new_token(dir, "admin.token", admin) || !new_token(dir, "node.token", node))
        return gt_fail(err, GT_E_IO, dir, "cannot make or write the first tokens");
    snprintf(text, sizeof text,
             "# gantry tokens: TOKEN TENANT ROLE [USER]. TOKEN is the token or its stored form\n"
             "# sha256:SALT:HEX; ROLE is admin, user, node or node:NAME (docs/operations.md).\n"
             "# The secrets of these two are in admin.token and node.token.\n"
             "%s default admin\n%s default node\n",
             admin, node);
    return write_file(path, text) ? GT_E_OK
                                  : gt_fail(err, GT_E_IO, path, "cannot write the tokens");
}

gt_err ctld_tokens_load(const gt_server_conf *sc, ctld_tokens *out, gt_error *err) {
    char path[300];
    snprintf(path, sizeof path, "%s", sc->tokens);
    memset(out, 0, sizeof *out);
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
    gt_secret_wipe(buf, n); /* it may hold plain tokens */
    free(buf);
    return e;
}
