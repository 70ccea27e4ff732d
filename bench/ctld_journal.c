/* SPDX-License-Identifier: MIT
 * Writes the journal that gantryd would write for N jobs, the way gantryd writes it: an
 * in-process controller (ctld_open: the real state, apply and journal code, no HTTP)
 * driven by a virtual clock. Every node registers ("up"), jobs of a synthetic mixed
 * workload are submitted at their times, each started unit exits after the job's
 * duration (one "exit" entry per node of the unit, as agents report them), services are cancelled
 * after theirs, and a pass runs after each step; each step is one journal transaction,
 * and a snapshot is taken every server.snapshot_every entries, as gantryd does.
 * bench/ctld_journal.sh then starts the real gantryd on the result to measure restart
 * time and memory.
 *
 * Usage: ctld_journal --cluster FILE --data-dir DIR [--jobs N] [--load X] [--seed S] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctld/ctld_int.h"
#include "sim/trace.h"
#include "sys/clock.h"

typedef struct {
    int64_t t;
    uint32_t job, unit, gen, ranks;
    int cancel; /* serve: cancel the job instead of rank exits */
} ev;

typedef struct {
    ev *v;
    size_t n, cap;
} heap;

static void heap_push(heap *h, ev e) {
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 1024;
        h->v = realloc(h->v, h->cap * sizeof *h->v);
        if (!h->v)
            abort();
    }
    size_t i = h->n++;
    for (; i && h->v[(i - 1) / 2].t > e.t; i = (i - 1) / 2)
        h->v[i] = h->v[(i - 1) / 2];
    h->v[i] = e;
}

static ev heap_pop(heap *h) {
    ev top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t k = 2 * i + 1;
        if (k >= h->n)
            break;
        if (k + 1 < h->n && h->v[k + 1].t < h->v[k].t)
            k++;
        if (h->v[k].t >= last.t)
            break;
        h->v[i] = h->v[k];
        i = k;
    }
    if (h->n)
        h->v[i] = last;
    return top;
}

typedef struct {
    heap h;
    const gt_trace *tr;
    uint32_t *job_of_row; /* controller job id -> trace row */
    uint8_t *cancel_set;  /* serve jobs whose cancel is scheduled */
    uint64_t exits, starts;
} bench;

static void on_start(void *ctx, uint32_t job, const ctld_run *r) {
    bench *b = ctx;
    const gt_jobspec *s = &b->tr->jobs[b->job_of_row[job]];
    int64_t dur = s->duration_ms > 0 ? s->duration_ms : 60000;
    b->starts++;
    if (s->kind == GT_KIND_SERVE) {
        if (!b->cancel_set[job]) {
            b->cancel_set[job] = 1;
            heap_push(&b->h, (ev){r->start_ms + dur, job, 0, 0, 0, 1});
        }
        return;
    }
    heap_push(&b->h, (ev){r->start_ms + dur, job, r->unit, r->gen, r->ranks, 0});
}

static void die(const char *what, const gt_error *e) {
    fprintf(stderr, "ctld_journal: %s: %s: %s\n", what, e->where, e->msg);
    exit(1);
}

static void op(gt_ctld *c, int64_t t, const char *name, json_t *body) {
    gt_error e = {0};
    gt_err r = ctld_do(c, t, name, body, &e);
    json_decref(body);
    if (r && r != GT_E_STATE && r != GT_E_IMPOSSIBLE && r != GT_E_NOT_FOUND)
        die(name, &e);
}

static void nodes_up(gt_ctld *c) {
    const gt_topo *t = gt_sched_topo(c->sched);
    gt_error e;
    gt_journal_begin(c->journal, &e);
    for (uint32_t v = 0; v < t->nv; v++)
        if (t->level[v] == t->nlevels - 1)
            op(c, 1, "up", json_pack("{s:s}", "node", gt_topo_name(t, v)));
    if (gt_journal_commit(c->journal, &e))
        die("commit", &e);
}

static void finish_ev(gt_ctld *c, bench *b, ev e) {
    if (e.cancel) {
        op(c, e.t, "cancel", json_pack("{s:I}", "job", (json_int_t)e.job));
        return;
    }
    for (uint32_t k = 0; k < e.ranks; k++) {
        op(c, e.t, "exit",
           json_pack("{s:I, s:I, s:I, s:I, s:i, s:i, s:s}", "job", (json_int_t)e.job, "unit",
                     (json_int_t)e.unit, "gen", (json_int_t)e.gen, "rank", (json_int_t)k, "code", 0,
                     "sig", 0, "reason", ""));
        b->exits++;
    }
}

static void submit_row(gt_ctld *c, bench *b, size_t i) {
    char doc[4096];
    gt_jobspec_to_json(&b->tr->jobs[i], doc, sizeof doc);
    json_t *body = json_loads(doc, 0, NULL);
    json_object_del(body, "submit_s");
    uint32_t before = c->njobs;
    op(c, b->tr->jobs[i].submit_ms, "submit", body);
    if (c->njobs > before)
        b->job_of_row[before] = (uint32_t)i;
}

/* One virtual step: everything due at time t, then a pass; one transaction. */
static void step(gt_ctld *c, bench *b, int64_t t, size_t *next) {
    gt_error e;
    if (gt_journal_begin(c->journal, &e))
        die("begin", &e);
    while (*next < b->tr->n && b->tr->jobs[*next].submit_ms <= t)
        submit_row(c, b, (*next)++);
    while (b->h.n && b->h.v[0].t <= t)
        finish_ev(c, b, heap_pop(&b->h));
    op(c, t, "pass", json_object());
    if (gt_journal_commit(c->journal, &e))
        die("commit", &e);
    ctld_agents_flush(c);
    /* As gantryd does: a snapshot every server.snapshot_every entries, and the entries it
     * covers deleted (gantryd does it in steps off its state thread; here at once). */
    int64_t every = c->server.snapshot_every;
    if (every > 0 && gt_journal_last_seq(c->journal) - c->snap_seq >= every &&
        ctld_snapshot_sync(c, 1, &e))
        die("snapshot", &e);
}

static gt_config *load(const char *path, const char *dir, gt_server_conf *server) {
    FILE *f = fopen(path, "rb");
    static char text[1 << 20];
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    gt_config *cfg = NULL;
    gt_error e = {0};
    if (!n || gt_ctld_config_parse(text, n, path, &cfg, server, &e))
        die("config", &e);
    snprintf(server->data_dir, sizeof server->data_dir, "%s", dir);
    return cfg;
}

int main(int argc, char **argv) {
    const char *cluster = NULL, *dir = NULL;
    gt_synth_params p;
    gt_synth_defaults(&p);
    p.jobs = 100000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--cluster"))
            cluster = argv[i + 1];
        else if (!strcmp(argv[i], "--data-dir"))
            dir = argv[i + 1];
        else if (!strcmp(argv[i], "--jobs"))
            p.jobs = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--load"))
            p.load = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--seed"))
            p.seed = strtoull(argv[i + 1], NULL, 10);
    }
    if (!cluster || !dir || !p.jobs) {
        fprintf(stderr, "usage: ctld_journal --cluster FILE --data-dir DIR [--jobs N] "
                        "[--load X] [--seed S]\n");
        return 2;
    }
    mkdir(dir, 0700);
    gt_server_conf server;
    gt_config *cfg = load(cluster, dir, &server);
    const gt_topo *topo = cfg->topo;
    p.fleet_gpus = topo->gpus_total[0];
    p.fleet_cpus = topo->cpus_total[0];
    p.gpus_per_node = (int)topo->max_node_gpus;
    p.ntenants = cfg->ntenants;
    const char *names[GT_MAX_TENANTS];
    for (int i = 0; i < cfg->ntenants; i++)
        names[i] = cfg->tenants[i].name;
    p.tenant_names = names;
    gt_trace tr;
    gt_trace_init(&tr);
    gt_error e = {0};
    if (gt_synth_generate(&tr, &p, &e))
        die("synth", &e);
    gt_ctld_opts opts = {.quiet = 1,
                         .journal_nosync = 1}; /* no fsync: this measures restart, not writing */
    gt_ctld *c = ctld_open(cfg, &server, &opts, &e);
    if (!c)
        die("open", &e);
    bench b = {{0}, &tr, calloc(tr.n, sizeof(uint32_t)), calloc(tr.n, 1), 0, 0};
    c->on_start = on_start;
    c->on_start_ctx = &b;
    int64_t w0 = gt_clock_mono_ms();
    nodes_up(c);
    size_t next = 0;
    int64_t t = tr.n ? tr.jobs[0].submit_ms : 0;
    while (next < tr.n || b.h.n) {
        int64_t ta = next < tr.n ? tr.jobs[next].submit_ms : INT64_MAX;
        int64_t tb = b.h.n ? b.h.v[0].t : INT64_MAX;
        t = ta < tb ? ta : tb;
        t = (t + 999) / 1000 * 1000; /* steps on whole seconds, as passes are ~1 s apart */
        step(c, &b, t, &next);
    }
    printf("{\"jobs\": %zu, \"accepted\": %u, \"starts\": %llu, \"exit_events\": %llu, "
           "\"journal_entries\": %lld, \"wall_s\": %.1f}\n",
           tr.n, c->njobs, (unsigned long long)b.starts, (unsigned long long)b.exits,
           (long long)gt_journal_last_seq(c->journal), (double)(gt_clock_mono_ms() - w0) / 1000);
    gt_ctld_free(c);
    gt_trace_free(&tr);
    free(b.h.v);
    free(b.job_of_row);
    free(b.cancel_set);
    return 0;
}
