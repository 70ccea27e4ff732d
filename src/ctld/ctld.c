/* SPDX-License-Identifier: MIT
 * The controller's lifecycle: open the data folder and the journal, rebuild the state by
 * replaying the journal through the core, then serve.
 *
 * Start-up state. Every node starts down (no agent has registered yet); an agent's
 * registration brings its nodes up (an "up" op in the journal). After a restart the
 * replayed state has nodes up whose agents are not connected yet: they get
 * server.node_timeout_s to register again before they are marked down, and their running
 * units are kept meanwhile (the agents keep running them). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctld/ctld_int.h"
#include "sys/clock.h"
#include "sys/http_client.h"
#include "sys/notify.h"

/* One journal entry, replayed (gt_journal_fn). A body that is not a JSON object, an
 * unknown op and an op that fails are a bad entry (GT_E_PARSE: replay stops, damage.c
 * reports it); a submission never fails on replay (apply.c keeps its id, failing the job
 * when the fleet cannot hold it any more), and STATE / NOT_FOUND are what an op on a job
 * already over gets. */
static gt_err replay_one(void *ctx, int64_t seq, int64_t t, const char *op, const char *body,
                         gt_error *err) {
    gt_ctld *c = ctx;
    json_error_t je;
    json_t *b = json_loads(body, 0, &je);
    if (!json_is_object(b)) {
        json_decref(b);
        return b ? gt_fail(err, GT_E_PARSE, "journal", "its body is not a JSON object")
                 : gt_fail(err, GT_E_PARSE, "journal", "its body is not valid JSON: %s at %d",
                           je.text, je.position);
    }
    gt_error e = {0};
    gt_err r = ctld_apply(c, t, op, b, &e);
    json_decref(b);
    if (r == GT_E_NOMEM)
        return gt_fail(err, r, e.where, "%s", e.msg);
    if (r && r != GT_E_STATE && r != GT_E_NOT_FOUND)
        return gt_fail(err, GT_E_PARSE, "journal", "not valid for its op: %s%s%s", e.where,
                       e.where[0] ? ": " : "", e.msg);
    atomic_store(&c->journal_seq, seq);
    return GT_E_OK;
}

static gt_err make_dir(const char *dir, gt_error *err) {
    if (mkdir(dir, 0700) && errno != EEXIST)
        return gt_fail(err, GT_E_IO, dir, "cannot create the data folder: %s", strerror(errno));
    return GT_E_OK;
}

static gt_err init_nodes(gt_ctld *c, gt_error *err) {
    const gt_topo *t = gt_sched_topo(c->sched);
    c->node_agent = malloc(t->nv * sizeof *c->node_agent);
    c->node_reason = calloc(t->nv ? t->nv : 1, sizeof *c->node_reason);
    c->node_health = calloc(t->nv ? t->nv : 1, sizeof *c->node_health);
    c->node_gpu_note = calloc(t->nv ? t->nv : 1, sizeof *c->node_gpu_note);
    c->slot_as = calloc(t->nv ? t->nv : 1, sizeof *c->slot_as);
    c->slot_leaving = calloc(t->nv ? t->nv : 1, sizeof *c->slot_leaving);
    if (!c->node_agent || !c->node_reason || !c->node_health || !c->node_gpu_note || !c->slot_as ||
        !c->slot_leaving)
        return gt_fail(err, GT_E_NOMEM, "fleet", "out of memory");
    for (uint32_t v = 0; v < t->nv; v++) {
        c->node_agent[v] = -1;
        size_t n;
        if (t->level[v] == t->nlevels - 1)
            gt_sched_node_state(c->sched, v, GT_NODE_DOWN, 0, &n);
    }
    return GT_E_OK;
}

/* One controller per data folder: a second one would interleave its journal writes. The
 * lock (flock on DATA_DIR/lock) goes away with the process, even after kill -9. */
static gt_err lock_dir(gt_ctld *c, const char *dir, gt_error *err) {
    char path[300];
    snprintf(path, sizeof path, "%s/lock", dir);
    c->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (c->lock_fd < 0)
        return gt_fail(err, GT_E_IO, path, "cannot open the lock file: %s", strerror(errno));
    if (flock(c->lock_fd, LOCK_EX | LOCK_NB))
        return gt_fail(err, GT_E_STATE, dir,
                       "another gantryd is using this data folder (it holds %s)", path);
    return GT_E_OK;
}

static gt_err open_state(gt_ctld *c, const gt_ctld_opts *opts, gt_error *err) {
    const gt_server_conf *sc = &c->server;
    if (!gt_policy_by_name(opts && opts->policy ? opts->policy : "gantry", &c->policy))
        return gt_fail(err, GT_E_INVALID, "policy", "unknown policy (expected one of %s)",
                       gt_policy_names());
    gt_err e = make_dir(sc->data_dir, err);
    if (!e)
        e = lock_dir(c, sc->data_dir, err);
    if (!e)
        e = ctld_tokens_load(sc, &c->tokens, err);
    if (e)
        return e;
    c->sched = gt_sched_new(c->cfg, &c->policy);
    if (!c->sched)
        return gt_fail(err, GT_E_NOMEM, "scheduler", "out of memory");
    if ((e = init_nodes(c, err)))
        return e;
    char path[300];
    snprintf(path, sizeof path, "%s/journal.db", sc->data_dir);
    if (!(c->journal = gt_journal_open(path, c->nosync, err)))
        return err ? err->code : GT_E_IO;
    if ((e = ctld_damage_check(c, err)))
        return e;
    int64_t t0 = gt_clock_mono_ms(), after = 0;
    c->replaying = 1;
    e = ctld_snapshot_restore(c, &after, err);
    if (!e)
        atomic_store(&c->journal_seq, after);
    gt_journal_bad bad;
    if (!e && (e = gt_journal_replay(c->journal, after, replay_one, c, &bad, err)) && bad.seq)
        e = ctld_damage_refuse(c, &bad, err);
    c->replaying = 0;
    c->dirty = 1;
    if (!e && c->njobs)
        ctld_log(c,
                 "loaded the snapshot at entry %lld and replayed %lld entries after it (%u "
                 "jobs) in %lld ms",
                 (long long)after, (long long)(atomic_load(&c->journal_seq) - after), c->njobs,
                 (long long)(gt_clock_mono_ms() - t0));
    return e;
}

gt_ctld *ctld_open(gt_config *cfg, const gt_server_conf *server, const gt_ctld_opts *opts,
                   gt_error *err) {
    gt_ctld *c = calloc(1, sizeof *c);
    if (!c) {
        gt_config_free(cfg);
        gt_fail(err, GT_E_NOMEM, "gantryd", "out of memory");
        return NULL;
    }
    c->cfg = cfg;
    c->server = *server;
    c->lock_fd = -1;
    c->quiet = opts && opts->quiet;
    c->nosync = opts && opts->journal_nosync;
    c->accept_loss = opts && opts->accept_loss;
    c->accept_loss_after = opts ? opts->accept_loss_after : 0;
    pthread_mutex_init(&c->mu, NULL);
    pthread_mutex_init(&c->snapw.mu, NULL);
    pthread_cond_init(&c->snapw.cv, NULL);
    pthread_cond_init(&c->cv, NULL);
    pthread_mutex_init(&c->agents_mu, NULL);
    if (open_state(c, opts, err)) {
        gt_ctld_free(c);
        return NULL;
    }
    return c;
}

/* Listen, retrying for a few seconds while the address is taken (a restart right after a
 * crash can find the port still held by a client socket). */
static gt_http_server *listen_retry(gt_ctld *c, gt_error *err) {
    for (int i = 0;; i++) {
        gt_http_server *h = gt_http_start(c->server.listen, 4 << 20, ctld_http_handler, c, err);
        if (h || i == 25)
            return h;
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

gt_ctld *gt_ctld_start(gt_config *cfg, const gt_server_conf *server, const gt_ctld_opts *opts,
                       gt_error *err) {
    gt_http_client_free(gt_http_client_new(NULL)); /* libcurl's global init, on this thread */
    gt_ctld *c = ctld_open(cfg, server, opts, err);
    if (!c)
        return NULL;
    c->boot_mono = gt_clock_mono_ms();
    if (!ctld_logproxy_start(c, err)) {
        gt_ctld_free(c);
        return NULL;
    }
    /* Requests wait in the queue until the state thread starts, just below. */
    c->http = listen_retry(c, err);
    if (!c->http || !ctld_state_start(c, err)) {
        gt_ctld_free(c);
        return NULL;
    }
    /* The API answers from here on: a unit of Type=notify is started (a no-op elsewhere). */
    char status[128];
    snprintf(status, sizeof status, "listening on %s (port %d)", c->server.listen,
             gt_http_port(c->http));
    c->notified = gt_notify_ready(status) > 0;
    return c;
}

int gt_ctld_port(const gt_ctld *c) {
    return gt_http_port(c->http);
}

void gt_ctld_request_stop(gt_ctld *c) {
    atomic_store(&c->stop_flag, 1);
}

int gt_ctld_wait(gt_ctld *c) {
    for (;;) {
        pthread_mutex_lock(&c->mu);
        int end = c->stopping || c->failed;
        pthread_mutex_unlock(&c->mu);
        if (end || atomic_load(&c->stop_flag))
            break;
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return c->failed;
}

void gt_ctld_free(gt_ctld *c) {
    if (!c)
        return;
    if (c->notified)
        gt_notify_stopping();
    pthread_mutex_lock(&c->mu);
    c->stopping = 1;
    pthread_mutex_unlock(&c->mu);
    /* New requests are refused from here on (stopping). The state thread answers what is
     * queued (requests the HTTP threads did not wait for among them) before it ends, the
     * parked long-polls are answered next, and only then does the server stop: no deferred
     * answer is left to it. */
    ctld_state_stop(c);
    ctld_agents_wake_all(c);
    ctld_logproxy_stop(c);
    gt_http_stop(c->http);
    ctld_logproxy_free(c);
    gt_journal_close(c->journal);
    ctld_agents_free(c);
    ctld_jobs_free(c);
    ctld_events_free(c);
    /* the reasons first: their count is the fleet's, which goes with the scheduler */
    for (uint32_t v = 0; c->node_reason && c->sched && v < gt_sched_topo(c->sched)->nv; v++)
        free(c->node_reason[v]);
    free(c->node_reason);
    for (uint32_t v = 0; c->node_health && c->sched && v < gt_sched_topo(c->sched)->nv; v++)
        free(c->node_health[v]);
    free(c->node_health);
    for (uint32_t v = 0; c->node_gpu_note && c->sched && v < gt_sched_topo(c->sched)->nv; v++)
        free(c->node_gpu_note[v]);
    free(c->node_gpu_note);
    for (uint32_t v = 0; c->slot_as && c->sched && v < gt_sched_topo(c->sched)->nv; v++)
        free(c->slot_as[v]);
    free(c->slot_as);
    free(c->slot_leaving);
    gt_sched_free(c->sched);
    gt_config_free(c->cfg);
    ctld_tokens_free(&c->tokens);
    free(c->node_agent);
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->agents_mu);
    ctld_snap_free(&c->snapw.job);
    pthread_mutex_destroy(&c->snapw.mu);
    pthread_cond_destroy(&c->snapw.cv);
    free(c);
}
