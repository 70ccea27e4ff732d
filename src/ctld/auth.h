/* SPDX-License-Identifier: MIT
 * gantryd's tokens (auth.c): loaded at start and never changed afterwards, except for the
 * lookup cache (under the table's own lock), so any thread may look a token up.
 *
 * No token is kept in memory: each principal holds a salted SHA-256 of its token (from a
 * "sha256:SALT:HEX" line, or made at load from a plain token, which is then wiped). A
 * lookup hashes the presented token once with a key made at load and finds it in the
 * cache; a token not seen before is hashed with the salt of each principal not yet cached
 * (one pass, at its first use), and compared in constant time. */
#ifndef GT_CTLD_AUTH_H
#define GT_CTLD_AUTH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ctld/server_config.h"
#include "util/error.h"
#include "util/sha256.h"
#include "util/u64map.h"

/* ---- auth (auth.c) ---- */
typedef enum { ROLE_USER = 0, ROLE_ADMIN, ROLE_NODE } ctld_role;
typedef struct {
    char salt[65];                /* hex digits */
    uint8_t hash[GT_SHA256_LEN];  /* SHA-256(salt text, token) */
    uint8_t quick[GT_SHA256_LEN]; /* SHA-256(the table's key, token), once known */
    _Atomic int known;            /* quick is set (and in the table's cache) */
    char tenant[48];
    char user[33]; /* "" or the Unix user its jobs run as */
    char node[64]; /* role node: "" for the shared node token, else the one node it is for */
    int role;
    int line; /* its line in the tokens file */
} ctld_principal;
typedef struct {
    ctld_principal *v;
    size_t n;
    const ctld_principal **by_node; /* the principals bound to a node, by node name */
    size_t nbound;
    uint8_t key[GT_SHA256_LEN]; /* random, made at load: the cache's hash key */
    pthread_mutex_t mu;         /* the cache */
    gt_u64map cache;            /* first 8 bytes of quick -> index */
    int mu_init;
} ctld_tokens;

/* Parse a tokens file ("TOKEN TENANT ROLE [USER]" lines, '#' comments; TOKEN plain or
 * sha256:SALT:HEX, ROLE admin, user, node or node:NAME). where names the file; errors
 * name its line ("tokens:3"). The caller should wipe text afterwards (it may hold plain
 * tokens). *out is freed with ctld_tokens_free, also after an error. */
gt_err ctld_tokens_parse(const char *text, size_t len, const char *where, ctld_tokens *out,
                         gt_error *err);
/* The principal of token, or NULL. The pointer is valid until ctld_tokens_free. */
const ctld_principal *ctld_tokens_find(ctld_tokens *t, const char *token);
/* 1 when some node token is bound to this node name (node:NAME). */
int ctld_tokens_node_bound(const ctld_tokens *t, const char *node);
void ctld_tokens_free(ctld_tokens *t); /* accepts a zeroed table */
/* Tests and fuzzers: t's invariants hold, and every plain token of text (the file t was
 * parsed from) finds the principal of its line. 0, or -1 with why. */
int ctld_tokens_check(ctld_tokens *t, const char *text, size_t len, char *why, size_t n);
/* Load server.tokens, or create DATA_DIR/tokens (+ admin.token, node.token) if unset. */
gt_err ctld_tokens_load(const gt_server_conf *sc, ctld_tokens *out, gt_error *err);
/* The stored form of token with a new random salt: "sha256:SALT:HEX" into out (size
 * >= CTLD_HASHED_LEN). 0, or -1 when no random bytes came. */
#define CTLD_HASHED_LEN 112
int ctld_token_hash(const char *token, char *out, size_t size);
const char *ctld_role_name(int role);

#endif
