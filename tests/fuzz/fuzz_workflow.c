/* SPDX-License-Identifier: MIT
 * libFuzzer harness for workflows (core/workflow.h): any input is refused with a message
 * or planned into valid job specs in an order where each depends only on what came before
 * (gt_workflow_fuzz_check). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/workflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char why[512];
    if (gt_workflow_fuzz_check((const char *)data, size, why, sizeof why) != 0) {
        fprintf(stderr, "workflow: %s\n", why);
        abort();
    }
    return 0;
}
