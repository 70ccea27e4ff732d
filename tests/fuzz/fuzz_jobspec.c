/* SPDX-License-Identifier: MIT
 * libFuzzer harness for the job spec JSON parser. Any input must return cleanly; when it
 * parses, rendering it with gt_jobspec_to_json and parsing that again must give the same
 * spec field for field (jobspec.h: "Parsing the result gives back an equal spec"), and
 * rendering the second spec must give the same text. A document with roles goes through
 * gt_jobspec_roles too: an error has its message, and every role's document it makes
 * parses as a spec. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/jobspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(gt_err e, const gt_error *err, const char *what) {
    if (err->code != e || !err->msg[0]) {
        fprintf(stderr, "jobspec: %s: error %d without a message\n", what, (int)e);
        abort();
    }
}

static void roles(const uint8_t *data, size_t size) {
    json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL), *out = NULL;
    gt_error err = {0};
    gt_err e = json_is_object(root) ? gt_jobspec_roles(root, "fuzz.json", &out, &err) : GT_E_OK;
    if (e != GT_E_OK)
        check_error(e, &err, "roles");
    for (size_t i = 0; i < json_array_size(out); i++) {
        gt_jobspec sp;
        gt_error re = {0};
        if (gt_jobspec_from_json(json_array_get(out, i), "role.json", &sp, &re) != GT_E_OK) {
            fprintf(stderr, "jobspec: role %zu does not parse: %s\n", i, re.msg);
            abort();
        }
    }
    json_decref(out);
    json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gt_jobspec a, b;
    gt_error err = {0};
    roles(data, size);
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
    if (!gt_jobspec_equal(&a, &b, 1)) {
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
