/* SPDX-License-Identifier: MIT
 * gantryd's tokens (auth.c): loaded at start, read-only afterwards, so any thread may
 * read them. */
#ifndef GT_CTLD_AUTH_H
#define GT_CTLD_AUTH_H

#include <stddef.h>

#include "ctld/server_config.h"
#include "util/error.h"

/* ---- auth (auth.c) ---- */
typedef enum { ROLE_USER = 0, ROLE_ADMIN, ROLE_NODE } ctld_role;
typedef struct {
    char token[128];
    char tenant[48];
    char user[33]; /* "" or the Unix user its jobs run as */
    int role;
} ctld_principal;
typedef struct {
    ctld_principal *v;
    size_t n;
} ctld_tokens;

/* Parse a tokens file ("TOKEN TENANT ROLE" lines, '#' comments). where names the file. */
gt_err ctld_tokens_parse(const char *text, size_t len, const char *where, ctld_tokens *out,
                         gt_error *err);
const ctld_principal *ctld_tokens_find(const ctld_tokens *t, const char *token);
void ctld_tokens_free(ctld_tokens *t);
/* Load server.tokens, or create DATA_DIR/tokens (+ admin.token, node.token) if unset. */
gt_err ctld_tokens_load(const gt_server_conf *sc, ctld_tokens *out, gt_error *err);
const char *ctld_role_name(int role);

#endif
