/* SPDX-License-Identifier: MIT
 * The agent's logs endpoint, for the controller's log proxy:
 *   GET /logs/JOB/UNIT/GEN/RANK/STREAM?offset=N   (Bearer: the key the controller gave this
 *                                                  agent at registration, logs_key)
 * answers up to 1 MiB of STATE/{runs,done}/JOB-UNIT-GEN-NODE/rankRANK/STREAM from offset, with
 * X-Gantry-Offset (the next offset) and X-Gantry-Done: 1 once the rank has exited and
 * everything was sent. Read-only; safe on the server's threads. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent_int.h"
#include "util/secret.h"

#define MAX_CHUNK (1 << 20)

static void answer(gt_http_resp *r, int status, const char *msg) {
    r->status = status;
    if (asprintf(&r->body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}",
                 status == 401   ? "unauthorized"
                 : status == 404 ? "not_found"
                                 : "invalid",
                 msg) < 0)
        r->body = NULL;
    r->len = r->body ? strlen(r->body) : 0;
}

/* The folder of rankRANK of unit JOB-UNIT-GEN-NODE, NODE any node of this agent. */
static int find_rank_dir(const agent *a, const char *prefix, const char *rank, char *out,
                         size_t size) {
    char name[256];
    for (uint32_t i = 0; i < a->reg.nnodes; i++) {
        snprintf(name, sizeof name, "%s%s", prefix, a->reg.nodes[i].name);
        if (agent_records_rank_dir(a, name, (unsigned)strtoul(rank, NULL, 10), out, size))
            return 1;
    }
    return 0;
}

static void send_chunk(gt_http_resp *r, const char *dir, const char *stream, long long off) {
    char path[1300], exitp[1300];
    agent_path(path, sizeof path, "%s/%s", dir, stream);
    agent_path(exitp, sizeof exitp, "%s/exit", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    long long size = fd >= 0 && fstat(fd, &st) == 0 ? (long long)st.st_size : 0;
    long long n = size > off ? size - off : 0;
    if (n > MAX_CHUNK)
        n = MAX_CHUNK;
    r->body = malloc((size_t)n + 1);
    ssize_t got = r->body && n > 0 ? pread(fd, r->body, (size_t)n, off) : 0;
    if (fd >= 0)
        close(fd);
    r->len = got > 0 ? (size_t)got : 0;
    r->content_type = "text/plain";
    char v[32];
    snprintf(v, sizeof v, "%lld", off + (long long)r->len);
    gt_http_resp_header(r, "X-Gantry-Offset", v);
    int done = access(exitp, F_OK) == 0 && off + (long long)r->len >= size;
    gt_http_resp_header(r, "X-Gantry-Done", done ? "1" : "0");
}

static int number(const char *s) {
    if (!*s || strlen(s) > 10)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* Is it the controller asking? It sends the key of this agent's session (the welcome's
 * logs_key); a controller that gave none (older builds) sends the node token. */
static int controller_asks(agent *a, const char *auth) {
    if (!auth || strncmp(auth, "Bearer ", 7))
        return 0;
    char key[sizeof a->logs_key];
    pthread_mutex_lock(&a->mu);
    memcpy(key, a->logs_key, sizeof key);
    pthread_mutex_unlock(&a->mu);
    int ok = key[0] ? gt_secret_streq(auth + 7, key) : gt_secret_streq(auth + 7, a->o.token);
    gt_secret_wipe(key, sizeof key);
    return ok;
}

void agent_logs_handler(void *ctx, const gt_http_req *req, gt_http_resp *resp) {
    agent *a = ctx;
    if (agent_metrics_handler(a, req, resp))
        return;
    if (!controller_asks(a, gt_http_header(req, "Authorization"))) {
        answer(resp, 401, "the controller's token for this agent required");
        return;
    }
    char job[16], unit[16], gen[16], rank[16], stream[16];
    if (sscanf(req->path, "/logs/%15[^/]/%15[^/]/%15[^/]/%15[^/]/%15s", job, unit, gen, rank,
               stream) != 5 ||
        !number(job) || !number(unit) || !number(gen) || !number(rank) ||
        (strcmp(stream, "stdout") && strcmp(stream, "stderr"))) {
        answer(resp, 404, "expected /logs/JOB/UNIT/GEN/RANK/stdout|stderr");
        return;
    }
    const char *o = gt_http_query(req, "offset");
    long long off = o && number(o) ? atoll(o) : 0;
    char prefix[64], dir[1200];
    snprintf(prefix, sizeof prefix, "%s-%s-%s-", job, unit, gen);
    if (!find_rank_dir(a, prefix, rank, dir, sizeof dir)) {
        answer(resp, 404, "no such rank on this node");
        return;
    }
    send_chunk(resp, dir, stream, off);
}
