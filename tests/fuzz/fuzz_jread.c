/* SPDX-License-Identifier: MIT
 * libFuzzer harness for the protocol's JSON reader (proto/jread.c) against jansson: any
 * input returns cleanly, both accept or both refuse it, and what they accept has the same
 * values; a refusal says why and where. Seeds: tests/fuzz/corpus/jread (test_jread also
 * replays every other corpus). */
#include <stdlib.h>

#include "../unit/jread_same.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    json_t *j = json_loadb(text, size, JSON_REJECT_DUPLICATES, NULL);
    const gt_jv *root = NULL;
    char msg[96] = "";
    size_t pos = 0;
    gt_jdoc *d = gt_jdoc_parse(text, size, &root, msg, sizeof msg, &pos);
    if (!jread_verdicts_agree(j != NULL, d != NULL, text, size) || (d && !jread_same(root, j)) ||
        (!d && (!msg[0] || pos > size)))
        abort();
    json_decref(j);
    gt_jdoc_free(d);
    return 0;
}
