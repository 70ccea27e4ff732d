/* SPDX-License-Identifier: MIT
 * libFuzzer harness for the CSV trace reader. Any input must return cleanly, leave the
 * trace empty on error, and when it parses, gt_trace_write_csv then parsing again must give
 * the same jobs in the same order (trace.h: parse(write(t)) == t). The spec's name has no
 * CSV column, so names are compared cleared. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/trace.h"
#include "util/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gt_trace t, t2;
    gt_trace_init(&t);
    gt_trace_init(&t2);
    gt_error err = {0};
    gt_err e = gt_trace_parse_csv(&t, (const char *)data, size, "fuzz.csv", &err);
    if (e != GT_E_OK) {
        if (t.n != 0 || err.code != e || !err.msg[0]) {
            fprintf(stderr, "trace: error %d without a message or with jobs\n", (int)e);
            abort();
        }
        gt_trace_free(&t);
        return 0;
    }
    for (size_t i = 1; i < t.n; i++)
        if (t.jobs[i - 1].submit_ms > t.jobs[i].submit_ms) {
            fprintf(stderr, "trace: jobs %zu and %zu out of submit order\n", i - 1, i);
            abort();
        }
    gt_sb sb;
    gt_sb_init(&sb);
    gt_trace_write_csv(&t, &sb);
    if (sb.oom) {
        gt_sb_free(&sb);
        gt_trace_free(&t);
        return 0;
    }
    gt_error err2 = {0};
    e = gt_trace_parse_csv(&t2, sb.s, sb.len, "written.csv", &err2);
    if (e != GT_E_OK) {
        char buf[512];
        fprintf(stderr, "trace: written CSV does not parse: %s\n%s\n",
                gt_error_str(&err2, buf, sizeof buf), gt_sb_str(&sb));
        abort();
    }
    if (t2.n != t.n) {
        fprintf(stderr, "trace: %zu jobs written, %zu read back\n", t.n, t2.n);
        abort();
    }
    for (size_t i = 0; i < t.n; i++) {
        if (!gt_jobspec_equal(&t.jobs[i], &t2.jobs[i], 0)) {
            fprintf(stderr, "trace: job %zu differs after write and read\n%s\n", i, gt_sb_str(&sb));
            abort();
        }
    }
    gt_sb_free(&sb);
    gt_trace_free(&t);
    gt_trace_free(&t2);
    return 0;
}
