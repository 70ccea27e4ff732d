/* SPDX-License-Identifier: MIT
 * libFuzzer harness for gantry's configuration file (cli/cliconfig.h: contexts). Any input
 * must return cleanly: an error with a FILE:LINE and a message and no contexts, or a config
 * that writes out, parses back and writes out the same. Everything is freed, so
 * LeakSanitizer checks the error paths too. tests/unit/test_fuzz_corpus.c replays the corpus
 * (tests/fuzz/corpus/cliconfig/) with the same checks (gt_cli_config_roundtrip). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cliconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char why[300];
    if (gt_cli_config_roundtrip((const char *)data, size, why, sizeof why) != 0) {
        fprintf(stderr, "cliconfig: %s\n", why);
        abort();
    }
    return 0;
}
