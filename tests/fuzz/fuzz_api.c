/* SPDX-License-Identifier: MIT
 * libFuzzer harness for gantryd's request handling: one controller (in-process, journal
 * without fsync in a temporary folder) takes fuzzed requests through the same handler the
 * HTTP server calls -- route matching, authentication, body and query validation, the
 * state thread's execution. Any request must get a status from 200 to 599 and, unless it
 * is text, a JSON body; an error body must carry a code and a message.
 *
 * Input: line 1 "METHOD PATH", line 2 the query "k=v&k=v" (no decoding), line 3 the token
 * to send (0 none, 1 admin, 2 user of tenant a, 3 node, else the line itself), the rest
 * is the body. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctld/ctld_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void fuzz_api_cleanup(void);

static gt_ctld *ctld;
static char dir[] = "/tmp/gt-fuzz-api.XXXXXX";

static const char *const tokens[] = {"", "fuzz-admin-0123456789", "fuzz-user-a-0123456789",
                                     "fuzz-node-0123456789"};

/* For the corpus replay in the unit tests: stop the controller, remove its folder. */
void fuzz_api_cleanup(void) {
    gt_ctld_free(ctld);
    ctld = NULL;
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (dir[strlen(dir) - 1] != 'X' && system(cmd) != 0)
        fprintf(stderr, "fuzz_api: could not remove %s\n", dir);
}

static void setup(void) {
    if (!mkdtemp(dir))
        abort();
    char path[128], cfgtext[1024];
    snprintf(path, sizeof path, "%s/tokens", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fprintf(f, "%s ops admin\n%s a user\n%s ops node\n", tokens[1], tokens[2], tokens[3]);
    fclose(f);
    snprintf(cfgtext, sizeof cfgtext,
             "levels: [cluster, node]\ntenants: [{name: a}, {name: ops}]\n"
             "server: {listen: '127.0.0.1:0', data_dir: %s/data, tokens: %s}\n"
             "fleet:\n  - {name: n1, gpus: 4, gpu_model: fake, cpus: 4, memory_gb: 1}\n"
             "  - {name: n2, gpus: 4, gpu_model: fake, cpus: 4, memory_gb: 1}\n",
             dir, path);
    gt_config *cfg = NULL;
    gt_server_conf server;
    gt_error err = {0};
    if (gt_ctld_config_parse(cfgtext, strlen(cfgtext), "fuzz", &cfg, &server, &err))
        abort();
    gt_ctld_opts opts = {.quiet = 1, .journal_nosync = 1};
    ctld = gt_ctld_start(cfg, &server, &opts, &err);
    if (!ctld) {
        fprintf(stderr, "fuzz_api: %s\n", err.msg);
        abort();
    }
}

/* Split "k=v&k2=v2" into kv (pointers into buf). */
static void split_query(char *buf, const char *kv[], int max) {
    int n = 0;
    for (char *save = NULL, *p = strtok_r(buf, "&", &save); p && n + 2 < max;
         p = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(p, '=');
        kv[n++] = p;
        kv[n++] = eq ? (*eq = 0, eq + 1) : "";
    }
    kv[n] = kv[n + 1] = NULL;
}

static void check_answer(const gt_http_resp *r) {
    if (r->status < 200 || r->status > 599)
        abort();
    if (r->content_type && strncmp(r->content_type, "application/json", 16))
        return;
    json_t *v = json_loadb(r->body ? r->body : "", r->len, 0, NULL);
    if (!v) {
        fprintf(stderr, "fuzz_api: status %d with a body that is not JSON: %.*s\n", r->status,
                (int)r->len, r->body ? r->body : "");
        abort();
    }
    json_t *e = json_object_get(v, "error");
    if (r->status >= 400 && (!json_is_string(json_object_get(e, "code")) ||
                             !json_is_string(json_object_get(e, "message"))))
        abort();
    json_decref(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!ctld)
        setup();
    char *buf = malloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = 0;
    char *lines[3] = {buf, NULL, NULL}, *body = buf + size;
    for (int i = 0; i < 3; i++) {
        char *nl = strchr(lines[i], '\n');
        if (!nl) {
            free(buf);
            return 0;
        }
        *nl = 0;
        if (i < 2)
            lines[i + 1] = nl + 1;
        else
            body = nl + 1;
    }
    char method[16] = "", path[256] = "";
    sscanf(lines[0], "%15s %255s", method, path);
    const char *query[34], *hdr[4] = {NULL, NULL, NULL, NULL};
    split_query(lines[1], query, 34);
    char auth[300];
    int t = lines[2][0] >= '0' && lines[2][0] <= '3' && !lines[2][1] ? lines[2][0] - '0' : -1;
    if (t != 0) {
        snprintf(auth, sizeof auth, "Bearer %s", t > 0 ? tokens[t] : lines[2]);
        hdr[0] = "Authorization";
        hdr[1] = auth;
    }
    gt_http_req req = {method, path, body, (size_t)(buf + size - body), NULL, query, hdr, NULL};
    gt_http_resp resp = {.status = 200};
    ctld_http_handler(ctld, &req, &resp);
    check_answer(&resp);
    free(resp.body);
    free(buf);
    return 0;
}
