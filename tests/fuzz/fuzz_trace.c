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

#include "core/trace.h"
#include "util/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Field by field (the struct has padding, so no memcmp over the whole of it); the name is
 * left out because CSV has no column for it. String arrays are compared whole: parsing
 * starts from a zeroed spec, so the bytes after the NUL are zero in both. */
static int spec_equal_but_name(const gt_jobspec *a, const gt_jobspec *b) {
    return !memcmp(a->id, b->id, sizeof a->id) && !memcmp(a->tenant, b->tenant, sizeof a->tenant) &&
           a->kind == b->kind && a->priority == b->priority && a->gpus == b->gpus &&
           a->gpus_per_node == b->gpus_per_node && a->cpus == b->cpus &&
           a->memory_mb == b->memory_mb &&
           !memcmp(a->gpu_model, b->gpu_model, sizeof a->gpu_model) &&
           !memcmp(a->within, b->within, sizeof a->within) && a->replicas_min == b->replicas_min &&
           a->replicas_max == b->replicas_max && a->tasks == b->tasks &&
           a->submit_ms == b->submit_ms && a->time_limit_ms == b->time_limit_ms &&
           a->estimate_ms == b->estimate_ms && a->duration_ms == b->duration_ms;
}

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
        if (!spec_equal_but_name(&t.jobs[i], &t2.jobs[i])) {
            fprintf(stderr, "trace: job %zu differs after write and read\n%s\n", i, gt_sb_str(&sb));
            abort();
        }
    }
    gt_sb_free(&sb);
    gt_trace_free(&t);
    gt_trace_free(&t2);
    return 0;
}
