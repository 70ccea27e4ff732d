/* SPDX-License-Identifier: MIT
 * libFuzzer harness for the tokens file parser: any input returns cleanly; on success
 * the table's invariants hold and every plain token is found by lookup (ctld_tokens_check);
 * on failure the error names where. */
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
    char why[200];
    if (ctld_tokens_check(&t, (const char *)data, size, why, sizeof why))
        abort();
    ctld_tokens_free(&t);
    return 0;
}
