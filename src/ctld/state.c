/* SPDX-License-Identifier: MIT
 * The state thread: the single writer. Each round it
 *   1. takes every queued request (a batch),
 *   2. opens a journal transaction and applies each request in order,
 *   3. runs the timers (silent agents) and a scheduling pass if anything changed or a
 *      periodic pass is due while work is pending,
 *   4. records a snapshot the writer thread finished and deletes one step of the entries
 *      it covers (snapwriter.c),
 *   5. commits the transaction (fsync), and only then
 *   6. answers the batch and hands new assignments to agents,
 *   7. every server.snapshot_every entries, builds a snapshot in memory and hands it to the
 *      writer thread (snapwriter.c); a clean stop writes the last one itself.
 * A journal failure stops the thread (c->failed) without answering the batch with
 * success: the process then exits and a restart replays what was committed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"
#include "sys/clock.h"

#define TICK_MS 200        /* timers and periodic passes are checked this often */
#define COMPACT_TICK_MS 10 /* ... and rounds come this often while compaction goes on */
#define PERIODIC_PASS_MS 1000

void ctld_log(const gt_ctld *c, const char *fmt, ...) {
    if (c->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    gt_vlog(GT_LOG_INFO, "gantryd", fmt, ap);
    va_end(ap);
}

void ctld_log_at(const gt_ctld *c, gt_log_level level, const char *fmt, ...) {
    if (c->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    gt_vlog(level, "gantryd", fmt, ap);
    va_end(ap);
}

/* Queue r for the state thread (takes c->mu and returns holding it). 0 when the controller
 * is stopping: r then holds its 503 answer and is not queued. */
static int enqueue(gt_ctld *c, ctld_req *r) {
    r->done = 0;
    r->next = NULL;
    pthread_mutex_lock(&c->mu);
    if (c->stopping || c->failed) {
        gt_error e;
        gt_fail(&e, GT_E_UNAVAILABLE, "controller", "the controller is stopping");
        ctld_answer_err(r, &e);
        return 0;
    }
    if (c->qtail)
        c->qtail->next = r;
    else
        c->qhead = r;
    c->qtail = r;
    pthread_cond_signal(&c->cv);
    return 1;
}

void ctld_call(gt_ctld *c, ctld_req *r) {
    pthread_cond_init(&r->cv, NULL);
    if (enqueue(c, r))
        while (!r->done)
            pthread_cond_wait(&r->cv, &c->mu);
    pthread_mutex_unlock(&c->mu);
    pthread_cond_destroy(&r->cv);
}

/* The HTTP answer of a request nobody waits for, then the request is freed. */
static void answer_later(gt_ctld *c, ctld_req *r) {
    gt_http_resp resp = {.status = r->status,
                         .body = r->out,
                         .len = r->out ? strlen(r->out) : 0,
                         .content_type = r->ctype};
    r->out = NULL;
    gt_http_answer_later(r->later, &resp);
    ctld_hist_observe(&c->api_hist[r->hist], gt_clock_mono_ns() - r->t0_ns);
    ctld_req_release(r);
    free(r);
}

void ctld_answer_parked(gt_ctld *c, ctld_req *r) {
    answer_later(c, r);
}

void ctld_req_release(ctld_req *r) {
    json_decref(r->body);
    r->body = NULL;
    free(r->doc);
    r->doc = NULL;
    gt_proto_register_free(&r->reg);
    gt_proto_events_free(&r->evs);
    gt_proto_health_free(&r->health);
}

void ctld_call_later(gt_ctld *c, ctld_req *r) {
    int queued = enqueue(c, r);
    pthread_mutex_unlock(&c->mu);
    if (!queued)
        answer_later(c, r);
}

/* The next requests; with none queued, wait up to a tick for one, unless the last pass
 * stopped at its limit (sched.max_starts_per_pass): the next pass goes on at once (it
 * waited for a request or a tick: an array that fills a large fleet started 2,000 tasks
 * per 200 ms when nothing else woke the state thread). */
static ctld_req *take_batch(gt_ctld *c) {
    int more = gt_sched_pass_truncated(c->sched);
    pthread_mutex_lock(&c->mu);
    if (!c->qhead && !more && !c->stopping && !atomic_load(&c->stop_flag)) {
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_nsec += (c->compact_more ? COMPACT_TICK_MS : TICK_MS) * 1000000L;
        if (dl.tv_nsec >= 1000000000L)
            dl.tv_sec++, dl.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&c->cv, &c->mu, &dl);
    }
    ctld_req *b = c->qhead;
    c->qhead = c->qtail = NULL;
    pthread_mutex_unlock(&c->mu);
    return b;
}

static void finish_batch(gt_ctld *c, ctld_req *b, int ok) {
    ctld_req *later = NULL;
    pthread_mutex_lock(&c->mu);
    for (ctld_req *r = b, *nx; r; r = nx) {
        nx = r->next;
        if (r->parked)
            continue; /* a watch: service.c answers it (all of them when stopping) */
        if (!ok) {
            free(r->out);
            r->out = strdup("{\"error\":{\"code\":\"io\",\"message\":\"the journal failed; "
                            "nothing was changed\"}}");
            r->status = 500;
        }
        if (r->later) { /* answered below, without holding mu */
            r->next = later;
            later = r;
            continue;
        }
        r->done = 1;
        pthread_cond_signal(&r->cv);
    }
    pthread_mutex_unlock(&c->mu);
    for (ctld_req *r = later, *nx; r; r = nx) {
        nx = r->next;
        answer_later(c, r);
    }
}

static void maybe_pass(gt_ctld *c, int64_t t, int64_t now_mono) {
    gt_sched_stats st;
    gt_sched_get_stats(c->sched, &st);
    int due = st.pending_jobs && now_mono >= c->next_pass;
    if (!c->dirty && !due)
        return;
    c->dirty = 0;
    c->next_pass = now_mono + PERIODIC_PASS_MS;
    int64_t t0 = gt_clock_mono_ns();
    /* the limit in force is journaled: a replay makes the same decisions whatever the
     * config says then (apply.c's op_pass) */
    json_t *b = json_pack("{s:i}", "max", c->cfg->sched.max_starts_per_pass);
    gt_error e;
    ctld_do(c, t, "pass", b, &e);
    json_decref(b);
    ctld_hist_observe(&c->pass_hist, gt_clock_mono_ns() - t0);
    if (gt_sched_pass_truncated(c->sched)) /* at its most decisions: the next round goes on */
        c->dirty = 1;
}

/* A route that only reads (GET): its answer needs no journal entry and no pass. */
static int reads_only(ctld_req_kind k) {
    switch (k) {
#define CTLD_ROUTE(KIND, METHOD, PATTERN, ROLES, NAME, PREPARE, EXEC, HTTP)                        \
    case REQ_##KIND:                                                                               \
        return (METHOD)[0] == 'G';
#include "ctld/routes.def"
#undef CTLD_ROUTE
    default:
        return 0;
    }
}

/* The reads of a batch are answered first, from the state the last round committed: they
 * wait neither for this round's writes nor for its pass and commit (a read queued behind
 * an agent's report of 4,096 exits and a pass of thousands of starts waited for both).
 * Requests of one batch came at once, so answering the reads before the writes is one
 * order they could have had; a client that writes and then reads sends the read after
 * the write's answer, in a later batch. */
static ctld_req *answer_reads(gt_ctld *c, ctld_req *b, int64_t t) {
    ctld_req *reads = NULL, **rt = &reads, *rest = NULL, **wt = &rest;
    for (ctld_req *r = b, *nx; r; r = nx) {
        nx = r->next;
        r->next = NULL;
        if (reads_only(r->kind)) {
            *rt = r;
            rt = &r->next;
        } else {
            *wt = r;
            wt = &r->next;
        }
    }
    if (!reads)
        return rest;
    for (ctld_req *r = reads; r; r = r->next)
        ctld_exec(c, r, t);
    finish_batch(c, reads, 1);
    return rest;
}

static int round_once(gt_ctld *c) {
    ctld_req *b = take_batch(c);
    int64_t t = CTLD_NOW(), now_mono = gt_clock_mono_ms();
    if (!c->failed)
        b = answer_reads(c, b, t);
    gt_error e;
    if (gt_journal_begin(c->journal, &e)) {
        c->failed = 1;
        finish_batch(c, b, 0);
        return 0;
    }
    for (ctld_req *r = b; r && !c->failed; r = r->next)
        ctld_exec(c, r, t);
    if (!c->failed)
        ctld_agents_check(c, now_mono, t);
    if (!c->failed)
        ctld_autoscale_tick(c, t);
    if (!c->failed)
        ctld_rollout_tick(c, t);
    if (!c->failed)
        ctld_pools_tick(c, t);
    if (!c->failed)
        maybe_pass(c, t, now_mono);
    if (!c->failed && ctld_snapshot_round(c, &e)) {
        gt_log(GT_LOG_ERR, "gantryd", "recording a snapshot or compacting failed: %s", e.msg);
        c->failed = 1;
    }
    int committed = !c->failed && gt_journal_commit(c->journal, &e) == GT_E_OK;
    if (!c->failed && !committed)
        gt_log(GT_LOG_ERR, "gantryd", "journal: the commit failed: %s: %s", e.where, e.msg);
    if (!committed) {
        gt_journal_rollback(c->journal);
        c->failed = 1;
        finish_batch(c, b, 0);
        return 0;
    }
    ctld_snapshot_committed(c);
    ctld_agents_flush(c);
    finish_batch(c, b, 1);
    ctld_endpoints_tick(c, now_mono, 0);
    ctld_events_tick(c, now_mono, 0);
    ctld_snapshot_due(c);
    return 1;
}

static void *state_main(void *arg) {
    gt_ctld *c = arg;
    while (round_once(c)) {
        pthread_mutex_lock(&c->mu);
        int stop = (c->stopping || atomic_load(&c->stop_flag)) && !c->qhead;
        pthread_mutex_unlock(&c->mu);
        if (stop)
            break;
    }
    gt_error e = {0};
    if (c->failed)
        gt_log(GT_LOG_ERR, "gantryd", "the journal failed; stopping (restart replays it)");
    else if (ctld_snapshot_sync(c, 0, &e)) /* the next start loads it instead of replaying */
        gt_log(GT_LOG_WARNING, "gantryd",
               "the snapshot at the stop failed (the journal keeps everything): %s: %s", e.where,
               e.msg);
    pthread_mutex_lock(&c->mu);
    c->stopping = 1;
    ctld_req *b = c->qhead;
    c->qhead = c->qtail = NULL;
    pthread_mutex_unlock(&c->mu);
    finish_batch(c, b, 0);
    ctld_endpoints_tick(c, gt_clock_mono_ms(), 1);
    ctld_events_tick(c, gt_clock_mono_ms(), 1);
    ctld_agents_wake_all(c);
    return NULL;
}

int ctld_state_start(gt_ctld *c, gt_error *err) {
    if (!ctld_snapw_start(c, err))
        return 0;
    if (pthread_create(&c->thread, NULL, state_main, c)) {
        gt_fail(err, GT_E_IO, "thread", "cannot start the state thread");
        return 0;
    }
    c->thread_started = 1;
    return 1;
}

void ctld_state_stop(gt_ctld *c) {
    if (c->thread_started) {
        pthread_mutex_lock(&c->mu);
        c->stopping = 1;
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->thread, NULL);
        c->thread_started = 0;
    }
    ctld_snapw_stop(c); /* after the state thread: it may have handed over one more prune */
}
