/* SPDX-License-Identifier: MIT
 * API errors to messages and exit codes (see apierr.h).
 *
 * Design notes
 *  1. The error code travels by name; the table of names is errors.def itself, walked
 *     through gt_err_name, so a code added there is understood here without a change.
 *  2. A few codes get a sentence saying what to do (hints[]); the controller's own message
 *     always comes first. */
#include "cli/apierr.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const struct {
    gt_err code;
    const char *hint;
} hints[] = {
    {GT_E_UNAUTHORIZED, "pass a token with --token-file PATH or GANTRY_TOKEN "
                        "(without a tokens file in its config, gantryd writes its admin token "
                        "to DATA_DIR/admin.token, by default gantry-data/admin.token)"},
    {GT_E_FORBIDDEN, "use a token that may (drain and resume need an admin token; a user "
                     "token reaches only its own tenant's jobs)"},
};

static const struct {
    long lo, hi;
    gt_err code;
} by_status[] = {
    {400, 400, GT_E_INVALID},    {401, 401, GT_E_UNAUTHORIZED}, {403, 403, GT_E_FORBIDDEN},
    {404, 404, GT_E_NOT_FOUND},  {409, 409, GT_E_STATE},        {413, 413, GT_E_LIMIT},
    {422, 422, GT_E_IMPOSSIBLE}, {429, 429, GT_E_LIMIT},        {502, 504, GT_E_UNAVAILABLE},
    {500, 599, GT_E_IO},         {400, 499, GT_E_INVALID},
};

gt_err gt_cli_err_by_name(const char *name) {
    for (int e = 0; name && e < GT_E__COUNT; e++)
        if (strcmp(name, gt_err_name((gt_err)e)) == 0)
            return (gt_err)e;
    return GT_E__COUNT;
}

gt_err gt_cli_err_by_status(long status) {
    for (size_t i = 0; i < sizeof by_status / sizeof by_status[0]; i++)
        if (status >= by_status[i].lo && status <= by_status[i].hi)
            return by_status[i].code;
    return GT_E__COUNT;
}

static const char *hint_for(gt_err e) {
    for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++)
        if (hints[i].code == e)
            return hints[i].hint;
    return NULL;
}

/* The first bytes of a body that is not an error document, on one line. */
static void excerpt(const char *body, size_t len, char *out, size_t outlen) {
    size_t n = 0;
    for (size_t i = 0; i < len && n + 1 < outlen && n < 80; i++)
        out[n++] = (unsigned char)body[i] < 0x20 ? ' ' : body[i];
    out[n] = 0;
}

int gt_cli_api_error(long status, const char *body, size_t len, char *msg, size_t msglen) {
    json_t *root = body ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *e = json_object_get(root, "error");
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *text = json_string_value(json_object_get(e, "message"));
    const char *where = json_string_value(json_object_get(e, "where"));
    gt_err err = gt_cli_err_by_name(code);
    if (err == GT_E__COUNT)
        err = gt_cli_err_by_status(status);
    const char *hint = hint_for(err);
    if (text) {
        snprintf(msg, msglen, "%s%s%s%s%s", where && *where ? where : "",
                 where && *where ? ": " : "", text, hint ? "; " : "", hint ? hint : "");
    } else {
        char ex[96];
        excerpt(body ? body : "", body ? len : 0, ex, sizeof ex);
        snprintf(msg, msglen, "the controller answered HTTP %ld (%s)%s%s%s%s", status,
                 err < GT_E__COUNT ? gt_err_msg(err) : "unexpected", *ex ? ": " : "", ex,
                 hint ? "; " : "", hint ? hint : "");
    }
    json_decref(root);
    return err < GT_E__COUNT ? gt_err_exit(err) : 1;
}

void gt_cli_unreachable(const char *server, const char *reason, char *msg, size_t msglen) {
    snprintf(msg, msglen,
             "cannot reach the controller at %s (%s); is gantryd running? set --server or "
             "GANTRY_SERVER",
             server, reason && *reason ? reason : "no answer");
}
