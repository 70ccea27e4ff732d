/* SPDX-License-Identifier: MIT
 * libFuzzer harness for the job spec JSON parser. Any input must return cleanly; when it
 * parses, rendering it with gt_jobspec_to_json and parsing that again must give the same
 * spec field for field (jobspec.h: "Parsing the result gives back an equal spec"), and
 * rendering the second spec must give the same text. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jobspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Field by field (the struct has padding, so no memcmp over the whole of it). String
 * arrays are compared whole: parsing starts from a zeroed spec, so the bytes after the
 * NUL are zero in both. */
static int spec_equal(const gt_jobspec *a, const gt_jobspec *b) {
    return !memcmp(a->id, b->id, sizeof a->id) && !memcmp(a->name, b->name, sizeof a->name) &&
           !memcmp(a->tenant, b->tenant, sizeof a->tenant) && a->kind == b->kind &&
           a->priority == b->priority && a->gpus == b->gpus &&
           a->gpus_per_node == b->gpus_per_node && a->cpus == b->cpus &&
           a->memory_mb == b->memory_mb &&
           !memcmp(a->gpu_model, b->gpu_model, sizeof a->gpu_model) &&
           !memcmp(a->within, b->within, sizeof a->within) && a->replicas_min == b->replicas_min &&
           a->replicas_max == b->replicas_max && a->tasks == b->tasks &&
           a->submit_ms == b->submit_ms && a->time_limit_ms == b->time_limit_ms &&
           a->estimate_ms == b->estimate_ms && a->duration_ms == b->duration_ms;
}

static void check_error(gt_err e, const gt_error *err, const char *what) {
    if (err->code != e || !err->msg[0]) {
        fprintf(stderr, "jobspec: %s: error %d without a message\n", what, (int)e);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gt_jobspec a, b;
    gt_error err = {0};
    gt_err e = gt_jobspec_parse_json((const char *)data, size, "fuzz.json", &a, &err);
    if (e != GT_E_OK) {
        check_error(e, &err, "parse");
        return 0;
    }
    char json[4096], json2[4096];
    size_t n = gt_jobspec_to_json(&a, json, sizeof json);
    if (n >= sizeof json || strlen(json) != n) {
        fprintf(stderr, "jobspec: rendering needs %zu bytes\n", n);
        abort();
    }
    gt_error err2 = {0};
    e = gt_jobspec_parse_json(json, n, "render.json", &b, &err2);
    if (e != GT_E_OK) {
        char buf[512];
        fprintf(stderr, "jobspec: rendered spec does not parse: %s\n  %s\n",
                gt_error_str(&err2, buf, sizeof buf), json);
        abort();
    }
    if (!spec_equal(&a, &b)) {
        fprintf(stderr, "jobspec: parse(render(s)) != s\n  %s\n", json);
        abort();
    }
    size_t n2 = gt_jobspec_to_json(&b, json2, sizeof json2);
    if (n2 != n || memcmp(json, json2, n)) {
        fprintf(stderr, "jobspec: render is not stable\n  %s\n  %s\n", json, json2);
        abort();
    }
    return 0;
}
