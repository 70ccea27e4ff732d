/* SPDX-License-Identifier: MIT
 * libFuzzer harness for the WAL check (sys/walcheck.h): any input returns cleanly, and
 * what it says is consistent (counts within the file's frames, a sentence when damaged). */
#include <stdlib.h>

#include "sys/walcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gt_walcheck w;
    gt_walcheck_scan(data, size, &w);
    if (w.damaged != (w.what[0] != 0) || w.valid > w.frames || w.bad_frame > w.frames ||
        w.lost_commits > w.frames || w.commits > w.frames ||
        (w.bad_frame && w.valid >= w.bad_frame))
        abort();
    return 0;
}
