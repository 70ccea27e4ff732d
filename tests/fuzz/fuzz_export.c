/* SPDX-License-Identifier: MIT
 * libFuzzer harness for `gantry submit --export` (cli/export.c): any value must be either
 * refused with a reason, or accepted and then applied to a job with a command without
 * error (the environment here is valid UTF-8), leaving an env of strings or none. Shares its
 * check with tests/unit/test_fuzz_corpus.c, which replays tests/fuzz/corpus/export/. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char why[300];
    if (gt_cli_export_roundtrip((const char *)data, size, why, sizeof why) != 0) {
        fprintf(stderr, "export: %s\n", why);
        abort();
    }
    return 0;
}
