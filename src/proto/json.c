/* SPDX-License-Identifier: MIT
 * JSON text, whole or NULL (json.h). */
#include "proto/json.h"

#include <stdlib.h>

#include "util/strbuf.h"

/* jansson's writer callback: append to the gt_sb at data. The buffer keeps a failure
 * (it ignores later appends), so one that jansson does not pass on is still seen. */
static int append(const char *s, size_t n, void *data) {
    gt_sb *b = data;
    gt_sb_putn(b, s, n);
    return b->oom ? -1 : 0;
}

char *gt_json_dumps(const json_t *v, size_t flags) {
    gt_sb b;
    gt_sb_init(&b);
    if (!v || json_dump_callback(v, append, &b, flags)) {
        gt_sb_free(&b);
        return NULL;
    }
    size_t len = b.len;
    char *s = gt_sb_take(&b); /* NULL when any append failed */
    /* as long as the text, not the buffer (gantryd keeps every job's document) */
    char *fit = s ? realloc(s, len + 1) : NULL;
    return fit ? fit : s;
}
