/* SPDX-License-Identifier: MIT
 * Bearer tokens. The tokens file has one "TOKEN TENANT ROLE [USER]" line per token (blank
 * lines and '#' comments skipped):
 *
 *   TOKEN  the token itself, 16..127 bytes of [A-Za-z0-9._-] (kept for hand-written files
 *          and older ones), or its stored form sha256:SALT:HEX: SALT 16 to 64 hex digits,
 *          HEX the 64 hex digits of SHA-256 over SALT's text followed by the token's
 *          (printf '%s%s' "$SALT" "$TOKEN" | sha256sum gives it)
 *   ROLE   admin, user, node (the shared node token: any node without its own credential)
 *          or node:NAME (a node's own credential: it registers and acts only as NAME)
 *   USER   binds the token to a Unix user: the jobs it submits run as that user
 *
 * Invariants once parsed: every principal has a salt and a hash (plain tokens are hashed
 * with a random salt at load and never stored); a principal whose `known` is set has its
 * quick hash in the cache; no two lines have the same salt and hash, nor two plain lines
 * the same token. A plain token and a hashed line of the same token are not detected
 * (that would take a hash per pair). The file's loading and first-start creation are in
 * auth_file.c.
 *
 * Cost: a known token, one SHA-256 and a map lookup. A token not seen since the start
 * costs one SHA-256 per hashed line not yet used, once; an unknown token costs that every
 * time (about 1 ms per 3,000 such lines): with tens of thousands of node credentials,
 * expect the first registrations after a restart to take a while, and mind who can reach
 * the API with garbage. */
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"
#include "sys/entropy.h"
#include "util/secret.h"
#include "util/vec.h"

static const char *const role_names[] = {"user", "admin", "node"};

const char *ctld_role_name(int role) {
    return role >= 0 && role < 3 ? role_names[role] : "unknown";
}

/* lo..hi characters of [A-Za-z0-9._-]: tokens (16..127), user and node names. */
static int word_ok(const char *s, size_t n, size_t lo, size_t hi) {
    if (n < lo || n > hi)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
            !(s[i] >= '0' && s[i] <= '9') && !strchr("._-", s[i]))
            return 0;
    return 1;
}

static int hex_ok(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr("0123456789abcdefABCDEF", s[i]))
            return 0;
    return 1;
}

static int hexval(char c) {
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* SHA-256(a[0..na), b[0..nb)) */
static void hash2(const void *a, size_t na, const char *b, size_t nb, uint8_t out[GT_SHA256_LEN]) {
    gt_sha256_ctx s;
    gt_sha256_init(&s);
    gt_sha256_update(&s, a, na);
    gt_sha256_update(&s, b, nb);
    gt_sha256_final(&s, out);
}

int ctld_token_hash(const char *token, char *out, size_t size) {
    char salt[33], hex[2 * GT_SHA256_LEN + 1];
    uint8_t d[GT_SHA256_LEN];
    if (gt_random_hex(salt, 16))
        return -1;
    hash2(salt, 32, token, strlen(token), d);
    gt_sha256_hex(d, hex);
    snprintf(out, size, "sha256:%s:%s", salt, hex);
    return 0;
}

/* Split one line into up to 5 words; returns the count. */
static int words(char *line, char *w[5]) {
    int n = 0;
    char *save = NULL;
    for (char *p = strtok_r(line, " \t\r", &save); p && n < 5; p = strtok_r(NULL, " \t\r", &save))
        w[n++] = p;
    return n;
}

/* "sha256:SALT:HEX" into p's salt and hash. */
static gt_err hashed_token(const char *w, const char *loc, ctld_principal *p, gt_error *err) {
    if (strncmp(w, "sha256:", 7))
        return gt_fail(err, GT_E_INVALID, loc,
                       "token: a stored token is sha256:SALT:HEX (no other hash is known)");
    const char *salt = w + 7, *hex = strchr(salt, ':');
    size_t ns = hex ? (size_t)(hex - salt) : 0;
    if (!hex || ns < 16 || ns > 64 || !hex_ok(salt, ns) || strlen(hex + 1) != 64 ||
        !hex_ok(hex + 1, 64))
        return gt_fail(err, GT_E_INVALID, loc,
                       "token: sha256:SALT:HEX needs SALT of 16 to 64 hex digits and HEX of 64 "
                       "(SHA-256 of SALT then the token)");
    memcpy(p->salt, salt, ns);
    p->salt[ns] = 0;
    for (int i = 0; i < GT_SHA256_LEN; i++)
        p->hash[i] = (uint8_t)(hexval(hex[1 + 2 * i]) << 4 | hexval(hex[2 + 2 * i]));
    return GT_E_OK;
}

/* A plain token: hashed with a new salt, its quick hash known at once. */
static gt_err plain_token(const ctld_tokens *t, const char *w, const char *loc, ctld_principal *p,
                          gt_error *err) {
    size_t n = strlen(w);
    if (!word_ok(w, n, 16, 127))
        return gt_fail(err, GT_E_INVALID, loc,
                       "token: 16 to 127 characters of letters, digits, '.', '_', '-' (or its "
                       "stored form sha256:SALT:HEX)");
    if (gt_random_hex(p->salt, 16))
        return gt_fail(err, GT_E_IO, loc, "no random bytes for a salt (getrandom)");
    hash2(p->salt, 32, w, n, p->hash);
    hash2(t->key, sizeof t->key, w, n, p->quick);
    atomic_store(&p->known, 1);
    return GT_E_OK;
}

/* ROLE: admin, user, node or node:NAME. */
static gt_err role_of(const char *w, const char *loc, ctld_principal *p, gt_error *err) {
    p->role = -1;
    for (int i = 0; i < 3; i++)
        if (!strcmp(w, role_names[i]))
            p->role = i;
    if (p->role < 0 && !strncmp(w, "node:", 5)) {
        if (!word_ok(w + 5, strlen(w + 5), 1, sizeof p->node - 1))
            return gt_fail(err, GT_E_INVALID, loc,
                           "role node:NAME: NAME is 1 to %zu letters, digits, '.', '_', '-'",
                           sizeof p->node - 1);
        p->role = ROLE_NODE;
        memcpy(p->node, w + 5, strlen(w + 5) + 1);
    }
    if (p->role < 0)
        return gt_fail(err, GT_E_INVALID, loc,
                       "role: expected admin, user, node or node:NAME, got '%.32s'", w);
    return GT_E_OK;
}

static gt_err parse_line(const ctld_tokens *t, char *line, const char *where, int lineno,
                         ctld_principal *p, gt_error *err) {
    char *w[5], loc[160];
    snprintf(loc, sizeof loc, "%s:%d", where, lineno);
    int n = words(line, w);
    memset(p, 0, sizeof *p);
    p->line = lineno;
    if (n != 3 && n != 4)
        return gt_fail(err, GT_E_PARSE, loc, "expected 'TOKEN TENANT ROLE [USER]', got %d word(s)",
                       n);
    if (n == 4 && (w[3][0] == '-' || !word_ok(w[3], strlen(w[3]), 1, 32)))
        return gt_fail(err, GT_E_INVALID, loc,
                       "user: 1 to 32 letters, digits, '.', '_', '-', not starting with '-'");
    gt_err e =
        strchr(w[0], ':') ? hashed_token(w[0], loc, p, err) : plain_token(t, w[0], loc, p, err);
    if (e)
        return e;
    if (strlen(w[1]) >= sizeof p->tenant)
        return gt_fail(err, GT_E_INVALID, loc, "tenant: at most %zu characters",
                       sizeof p->tenant - 1);
    if ((e = role_of(w[2], loc, p, err)))
        return e;
    memcpy(p->tenant, w[1], strlen(w[1]));
    if (n == 4)
        memcpy(p->user, w[3], strlen(w[3]));
    return GT_E_OK;
}

static int cmp_hash(const void *a, const void *b) {
    const ctld_principal *x = a, *y = b;
    int c = memcmp(x->hash, y->hash, sizeof x->hash);
    return c ? c : strcmp(x->salt, y->salt);
}

static uint64_t cache_key(const uint8_t q[GT_SHA256_LEN]) {
    uint64_t k = 0;
    for (int i = 0; i < 8; i++)
        k = k << 8 | q[i];
    return k == UINT64_MAX ? k - 1 : k;
}

static int cmp_node(const void *a, const void *b) {
    return strcmp((*(const ctld_principal *const *)a)->node,
                  (*(const ctld_principal *const *)b)->node);
}

static gt_err same_token(const ctld_principal *a, const ctld_principal *b, const char *where,
                         gt_error *err) {
    int x = a->line < b->line ? a->line : b->line, y = a->line < b->line ? b->line : a->line;
    return gt_fail(err, GT_E_EXISTS, where, "lines %d and %d list the same token", x, y);
}

/* After the lines are read: sorted, duplicates refused, the cache and node index built. */
static gt_err index_tokens(ctld_tokens *t, const char *where, gt_error *err) {
    if (t->n > 1)
        qsort(t->v, t->n, sizeof *t->v, cmp_hash);
    for (size_t i = 1; i < t->n; i++)
        if (!cmp_hash(&t->v[i], &t->v[i - 1]))
            return same_token(&t->v[i - 1], &t->v[i], where, err);
    for (size_t i = 0; i < t->n; i++) {
        if (!atomic_load(&t->v[i].known))
            continue;
        uint32_t j = gt_u64map_get(&t->cache, cache_key(t->v[i].quick));
        if (j != UINT32_MAX && gt_secret_memeq(t->v[j].quick, t->v[i].quick, GT_SHA256_LEN))
            return same_token(&t->v[j], &t->v[i], where, err);
        if (!gt_u64map_put(&t->cache, cache_key(t->v[i].quick), (uint32_t)i))
            return gt_fail(err, GT_E_NOMEM, where, "out of memory");
    }
    for (size_t i = 0; i < t->n; i++)
        t->nbound += t->v[i].node[0] != 0;
    if (t->nbound && !(t->by_node = malloc(t->nbound * sizeof *t->by_node)))
        return gt_fail(err, GT_E_NOMEM, where, "out of memory");
    for (size_t i = 0, k = 0; i < t->n; i++)
        if (t->v[i].node[0])
            t->by_node[k++] = &t->v[i];
    if (t->nbound > 1)
        qsort(t->by_node, t->nbound, sizeof *t->by_node, cmp_node);
    return GT_E_OK;
}

/* One line of text[i..] into line (NUL-terminated); its length, or -1 when too long or
 * not text. */
static long next_line(const char *text, size_t len, size_t i, char line[512]) {
    size_t n = 0;
    while (i + n < len && text[i + n] != '\n')
        n++;
    if (n >= 512 || memchr(text + i, 0, n))
        return -1;
    memcpy(line, text + i, n);
    line[n] = 0;
    return (long)n;
}

static gt_err parse_lines(ctld_tokens *out, const char *text, size_t len, const char *where,
                          gt_error *err) {
    size_t cap = 0;
    int lineno = 0;
    char line[512];
    gt_err e = GT_E_OK;
    for (size_t i = 0; i < len && !e;) {
        long n = next_line(text, len, i, line);
        lineno++;
        if (n < 0) {
            e = gt_fail(err, GT_E_PARSE, where, "line %d: too long or not text", lineno);
            break;
        }
        i += (size_t)n + 1;
        char *p = line + strspn(line, " \t\r");
        if (!*p || *p == '#')
            continue;
        if (!gt_vec_reserve_from((void **)&out->v, &cap, out->n + 1, sizeof *out->v, 8))
            e = gt_fail(err, GT_E_NOMEM, where, "out of memory");
        else if (!(e = parse_line(out, p, where, lineno, &out->v[out->n], err)))
            out->n++;
    }
    gt_secret_wipe(line, sizeof line);
    return e;
}

gt_err ctld_tokens_parse(const char *text, size_t len, const char *where, ctld_tokens *out,
                         gt_error *err) {
    memset(out, 0, sizeof *out);
    pthread_mutex_init(&out->mu, NULL);
    out->mu_init = 1;
    if (gt_random_bytes(out->key, sizeof out->key))
        return gt_fail(err, GT_E_IO, where, "no random bytes (getrandom)");
    gt_err e = parse_lines(out, text, len, where, err);
    if (!e)
        e = index_tokens(out, where, err);
    if (e)
        ctld_tokens_free(out);
    return e;
}

/* Principal i matched a token whose quick hash is q: cache it. */
static void remember(ctld_tokens *t, size_t i, const uint8_t q[GT_SHA256_LEN]) {
    pthread_mutex_lock(&t->mu);
    if (!atomic_load(&t->v[i].known) && gt_u64map_put(&t->cache, cache_key(q), (uint32_t)i)) {
        memcpy(t->v[i].quick, q, GT_SHA256_LEN);
        atomic_store(&t->v[i].known, 1);
    }
    pthread_mutex_unlock(&t->mu);
}

const ctld_principal *ctld_tokens_find(ctld_tokens *t, const char *token) {
    size_t n = token ? strlen(token) : 0;
    if (!t->n || !word_ok(token ? token : "", n, 16, 127))
        return NULL;
    uint8_t q[GT_SHA256_LEN], h[GT_SHA256_LEN];
    hash2(t->key, sizeof t->key, token, n, q);
    pthread_mutex_lock(&t->mu);
    uint32_t i = gt_u64map_get(&t->cache, cache_key(q));
    pthread_mutex_unlock(&t->mu);
    const ctld_principal *found = NULL;
    if (i != UINT32_MAX && atomic_load(&t->v[i].known) &&
        gt_secret_memeq(t->v[i].quick, q, GT_SHA256_LEN))
        found = &t->v[i];
    /* Not seen yet: try each principal not cached, with its salt (first use only). */
    for (size_t k = 0; k < t->n && !found; k++) {
        if (atomic_load(&t->v[k].known))
            continue;
        hash2(t->v[k].salt, strlen(t->v[k].salt), token, n, h);
        if (gt_secret_memeq(h, t->v[k].hash, GT_SHA256_LEN)) {
            remember(t, k, q);
            found = &t->v[k];
        }
    }
    gt_secret_wipe(q, sizeof q);
    gt_secret_wipe(h, sizeof h);
    return found;
}

int ctld_tokens_node_bound(const ctld_tokens *t, const char *node) {
    size_t lo = 0, hi = t->nbound;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(t->by_node[mid]->node, node);
        if (!c)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

void ctld_tokens_free(ctld_tokens *t) {
    if (t->v)
        gt_secret_wipe(t->v, t->n * sizeof *t->v);
    free(t->v);
    free(t->by_node);
    gt_u64map_free(&t->cache);
    if (t->mu_init)
        pthread_mutex_destroy(&t->mu);
    gt_secret_wipe(t, sizeof *t);
}

/* The first word of line `lineno` of text into w (NUL-terminated; "" when none). */
static void first_word(const char *text, size_t len, int lineno, char w[128]) {
    size_t i = 0;
    for (int l = 1; l < lineno && i < len; i++)
        l += text[i] == '\n';
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r'))
        i++;
    size_t n = 0;
    while (i + n < len && n < 127 && !strchr(" \t\r\n", text[i + n]) && text[i + n])
        n++;
    memcpy(w, text + i, n);
    w[n] = 0;
}

int ctld_tokens_check(ctld_tokens *t, const char *text, size_t len, char *why, size_t n) {
    char w[128];
    for (size_t i = 0; i < t->n; i++) {
        const ctld_principal *p = &t->v[i];
        size_t ns = strlen(p->salt);
        if (p->role < 0 || p->role > ROLE_NODE || !p->tenant[0] || ns < 16 || ns > 64 ||
            !hex_ok(p->salt, ns) || (p->node[0] && p->role != ROLE_NODE)) {
            snprintf(why, n, "principal of line %d: bad role, tenant, salt or node", p->line);
            return -1;
        }
        first_word(text, len, p->line, w);
        if (!strchr(w, ':') && ctld_tokens_find(t, w) != p) {
            snprintf(why, n, "the token of line %d is not found by lookup", p->line);
            return -1;
        }
    }
    for (size_t i = 1; i < t->nbound; i++)
        if (strcmp(t->by_node[i - 1]->node, t->by_node[i]->node) > 0) {
            snprintf(why, n, "the node index is not sorted");
            return -1;
        }
    return 0;
}
