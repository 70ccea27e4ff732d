/* SPDX-License-Identifier: MIT
 * Idempotent submissions. A client that sends `Idempotency-Key: KEY` with POST /v1/jobs
 * gets one job for that key in its job's tenant, however often it retries (a retry after
 * a timeout, whose first try may or may not have arrived): the first request submits the
 * job and records the key with it; a later one with the same key and the same spec gets
 * that job again (200 instead of 201), one with another spec is refused (409), since the
 * key is already spent on something else. "The same spec" is the document as submitted
 * (a hash of it kept with the key: a rolling update changes the job's document later).
 *
 * The key is journaled (op "idem" {"job", "key"}, in the round of the submission, so both
 * commit or neither does), kept on the job (ctld_job.idem_key) and in its snapshot
 * records, and found through a hash of (tenant, key) -> job. A key lives as long as its
 * job does (memory bounded by the jobs kept). Keys are 1 to 200 visible ASCII characters
 * (request.c checks). */
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"

/* FNV-1a over tenant, a NUL, key; never UINT64_MAX (the map's empty marker). */
static uint64_t key_hash(const char *tenant, const char *key) {
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = tenant; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    h = (h ^ 0) * 1099511628211ULL;
    for (const char *p = key; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    return h == UINT64_MAX ? h - 1 : h;
}

/* The tenant job j belongs to (as its spec says; "default" when none). */
static const char *tenant_of(gt_ctld *c, uint32_t j) {
    gt_job_info ji;
    gt_tenant_info ti;
    if (gt_sched_job(c->sched, j, &ji) && gt_sched_tenant(c->sched, ji.tenant, &ti))
        return ti.name;
    return "";
}

uint64_t ctld_idem_doc_hash(const char *doc) {
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = doc; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    return h;
}

uint32_t ctld_idem_find(gt_ctld *c, const char *tenant, const char *key) {
    uint32_t j = gt_u64map_get(&c->idem, key_hash(tenant, key));
    if (j >= c->njobs || !c->jobs[j].idem_key || strcmp(c->jobs[j].idem_key, key) ||
        strcmp(tenant_of(c, j), tenant))
        return GT_NONE; /* (a 64-bit hash collision: a miss, never another job) */
    return j;
}

int ctld_idem_put(gt_ctld *c, uint32_t job, const char *key, uint64_t doc_hash) {
    if (job >= c->njobs)
        return 0;
    char *k = strdup(key);
    if (!k || !gt_u64map_put(&c->idem, key_hash(tenant_of(c, job), key), job)) {
        free(k);
        return 0;
    }
    free(c->jobs[job].idem_key);
    c->jobs[job].idem_key = k;
    c->jobs[job].idem_doc = doc_hash;
    return 1;
}

void ctld_idem_free(gt_ctld *c) {
    gt_u64map_free(&c->idem);
}
