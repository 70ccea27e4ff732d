/* SPDX-License-Identifier: MIT
 * libFuzzer harness for the tokens file parser: any input returns cleanly; on success
 * every token is found by lookup and has a valid role; on failure the error names where. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ctld_tokens t;
    gt_error err = {0};
    gt_err e = ctld_tokens_parse((const char *)data, size, "tokens", &t, &err);
    if (e) {
        if (err.code != e || !err.msg[0] || strncmp(err.where, "tokens", 6))
            abort();
        return 0;
    }
    for (size_t i = 0; i < t.n; i++)
        if (ctld_tokens_find(&t, t.v[i].token) != &t.v[i] || t.v[i].role < 0 ||
            t.v[i].role > ROLE_NODE || !t.v[i].tenant[0])
            abort();
    ctld_tokens_free(&t);
    return 0;
}
