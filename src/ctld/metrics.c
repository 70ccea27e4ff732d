/* SPDX-License-Identifier: MIT
 * Latency histograms (lock-free counters; any thread observes) and the /metrics page,
 * the cluster summary and the health answer (state thread). */
#include <stdlib.h>
#include <string.h>

#include "ctld/ctld_int.h"
#include "util/strbuf.h"
#include "util/version.h"

/* Upper bounds in seconds: 10 us .. 10 s, roughly x3 per step. */
static const double bounds[HIST_BUCKETS] = {1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2,
                                            3e-2, 0.1,  0.3,  1.0,  3.0,  10.0, 30.0};

void ctld_hist_observe(ctld_hist *h, int64_t ns) {
    double s = (double)ns / 1e9;
    for (int i = 0; i < HIST_BUCKETS; i++)
        if (s <= bounds[i]) {
            atomic_fetch_add(&h->bucket[i], 1);
            break;
        }
    atomic_fetch_add(&h->count, 1);
    atomic_fetch_add(&h->sum_ns, (uint64_t)(ns > 0 ? ns : 0));
}

void ctld_hist_render(const ctld_hist *h, const char *name, const char *labels, void *sbv) {
    gt_sb *sb = sbv;
    uint64_t cum = 0;
    const char *sep = *labels ? "," : "";
    for (int i = 0; i < HIST_BUCKETS; i++) {
        cum += atomic_load(&h->bucket[i]);
        gt_sb_printf(sb, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep, bounds[i],
                     (unsigned long long)cum);
    }
    gt_sb_printf(sb, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
                 (unsigned long long)atomic_load(&h->count));
    gt_sb_printf(sb, "%s_sum{%s} %.9f\n%s_count{%s} %llu\n", name, labels,
                 (double)atomic_load(&h->sum_ns) / 1e9, name, labels,
                 (unsigned long long)atomic_load(&h->count));
}

/* Per level: subtrees, GPUs and CPUs in all and free, and the most free GPUs in one
 * subtree (the largest gang that could start there now). */
static void level_sums(const gt_topo *t, int l, int64_t out[6]) {
    memset(out, 0, 6 * sizeof *out);
    for (uint32_t v = 0; v < t->nv; v++) {
        if (t->level[v] != l)
            continue;
        out[0]++;
        out[1] += t->gpus_total[v];
        out[2] += t->gpus_free[v];
        out[3] += t->cpus_total[v];
        out[4] += t->cpus_free[v];
        if (t->gpus_free[v] > out[5])
            out[5] = t->gpus_free[v];
    }
}

/* The core keeps the counts as jobs change state: no walk over every job. */
static void job_counts(gt_ctld *c, uint32_t n[GT_JOB__NSTATES][GT_KIND__COUNT]) {
    gt_sched_stats st;
    gt_sched_get_stats(c->sched, &st);
    memcpy(n, st.jobs, sizeof st.jobs);
}

static void node_counts(gt_ctld *c, uint32_t n[3]) {
    const gt_topo *t = gt_sched_topo(c->sched);
    n[0] = n[1] = n[2] = 0;
    for (uint32_t v = 0; v < t->nv; v++)
        if (t->level[v] == t->nlevels - 1 && t->n_state[v] < 3)
            n[t->n_state[v]]++;
}

void ctld_exec_cluster(gt_ctld *c, ctld_req *r, int64_t t) {
    (void)t;
    const gt_topo *topo = gt_sched_topo(c->sched);
    json_t *levels = json_array();
    for (int l = 0; l < topo->nlevels; l++) {
        int64_t s[6];
        level_sums(topo, l, s);
        json_array_append_new(
            levels, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "level", topo->level_names[l],
                              "subtrees", (json_int_t)s[0], "gpus", (json_int_t)s[1], "gpus_free",
                              (json_int_t)s[2], "cpus", (json_int_t)s[3], "cpus_free",
                              (json_int_t)s[4], "most_free_gpus", (json_int_t)s[5]));
    }
    uint32_t jc[GT_JOB__NSTATES][GT_KIND__COUNT], nc[3];
    job_counts(c, jc);
    node_counts(c, nc);
    json_t *jobs = json_object();
    for (int s = 0; s < GT_JOB__NSTATES; s++)
        json_object_set_new(jobs, ctld_job_state_name(s),
                            json_integer((json_int_t)jc[s][0] + jc[s][1] + jc[s][2]));
    ctld_answer_json(r, 200,
                     json_pack("{s:o, s:o, s:{s:i, s:i, s:i}}", "levels", levels, "jobs", jobs,
                               "nodes", "up", (int)nc[0], "draining", (int)nc[1], "down",
                               (int)nc[2]));
}

void ctld_exec_health(gt_ctld *c, ctld_req *r, int64_t t) {
    (void)t;
    uint32_t nc[3];
    node_counts(c, nc);
    ctld_answer_json(r, 200,
                     json_pack("{s:b, s:I, s:i, s:I}", "ok", 1, "jobs", (json_int_t)c->njobs,
                               "nodes_up", (int)nc[0], "journal_seq",
                               (json_int_t)atomic_load(&c->journal_seq)));
}

static void family(gt_sb *sb, const char *name, const char *type, const char *help) {
    gt_sb_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value as the text format wants it: backslash, double quote and newline escaped
 * (tenant and level names come from the config). */
static const char *label(const char *v, char *buf, size_t len) {
    size_t o = 0;
    for (; *v && o + 2 < len; v++) {
        if (*v == '\\' || *v == '"' || *v == '\n')
            buf[o++] = '\\';
        buf[o++] = *v == '\n' ? 'n' : *v;
    }
    buf[o] = 0;
    return buf;
}

static void metrics_jobs(gt_ctld *c, gt_sb *sb) {
    uint32_t jc[GT_JOB__NSTATES][GT_KIND__COUNT];
    job_counts(c, jc);
    family(sb, "gantry_jobs", "gauge", "Jobs by state and kind.");
    for (int s = 0; s < GT_JOB__NSTATES; s++)
        for (int k = 0; k < GT_KIND__COUNT; k++)
            gt_sb_printf(sb, "gantry_jobs{state=\"%s\",kind=\"%s\"} %u\n", ctld_job_state_name(s),
                         gt_kind_name((gt_kind)k), jc[s][k]);
}

static void metrics_tenants(gt_ctld *c, gt_sb *sb) {
    static const struct {
        const char *name, *help;
    } fam[] = {
        {"gantry_gpus_allocated", "GPUs held by each tenant's jobs."},
        {"gantry_cpus_allocated", "CPU cores held by each tenant's jobs."},
        {"gantry_quota_gpus", "Each tenant's GPU quota (0: none)."},
        {"gantry_fairshare", "Each tenant's fair-share factor at the last pass (1: unused)."}};
    for (size_t f = 0; f < sizeof fam / sizeof fam[0]; f++) {
        family(sb, fam[f].name, "gauge", fam[f].help);
        for (uint32_t i = 0; i < gt_sched_ntenants(c->sched); i++) {
            gt_tenant_info ti;
            char t[160];
            if (!gt_sched_tenant(c->sched, i, &ti))
                continue;
            label(ti.name, t, sizeof t);
            if (f == 0)
                gt_sb_printf(sb, "%s{tenant=\"%s\"} %lld\n", fam[f].name, t,
                             (long long)ti.gpus_held);
            else if (f == 1)
                gt_sb_printf(sb, "%s{tenant=\"%s\"} %lld\n", fam[f].name, t,
                             (long long)ti.cpus_held);
            else if (f == 2)
                gt_sb_printf(sb, "%s{tenant=\"%s\"} %lld\n", fam[f].name, t,
                             (long long)ti.quota_gpus);
            else
                gt_sb_printf(sb, "%s{tenant=\"%s\"} %g\n", fam[f].name, t, ti.fairshare);
        }
    }
}

static void metrics_fleet(gt_ctld *c, gt_sb *sb) {
    const gt_topo *topo = gt_sched_topo(c->sched);
    for (int which = 0; which < 2; which++) {
        const char *name = which ? "gantry_level_cpus" : "gantry_level_gpus";
        family(sb, name, "gauge",
               which ? "CPU cores per fleet level, used and free."
                     : "GPUs per fleet level, used and free.");
        for (int l = 0; l < topo->nlevels; l++) {
            int64_t s[6];
            char n[64];
            level_sums(topo, l, s);
            label(topo->level_names[l], n, sizeof n);
            int64_t total = which ? s[3] : s[1], free_ = which ? s[4] : s[2];
            gt_sb_printf(sb,
                         "%s{level=\"%s\",state=\"used\"} %lld\n"
                         "%s{level=\"%s\",state=\"free\"} %lld\n",
                         name, n, (long long)(total - free_), name, n, (long long)free_);
        }
    }
    uint32_t nc[3];
    node_counts(c, nc);
    family(sb, "gantry_nodes", "gauge", "Nodes by state.");
    gt_sb_printf(sb,
                 "gantry_nodes{state=\"up\"} %u\ngantry_nodes{state=\"draining\"} %u\n"
                 "gantry_nodes{state=\"down\"} %u\n",
                 nc[0], nc[1], nc[2]);
    uint32_t alive = 0;
    for (uint32_t i = 0; i < c->nagents; i++)
        alive += (uint32_t)c->agents[i]->alive;
    family(sb, "gantry_agents_alive", "gauge", "Agents registered and heard from.");
    gt_sb_printf(sb, "gantry_agents_alive %u\n", alive);
}

void ctld_exec_metrics(gt_ctld *c, ctld_req *r, int64_t t) {
    (void)t;
    gt_sb sb;
    gt_sb_init(&sb);
    family(&sb, "gantry_build_info", "gauge", "The running gantryd's version (always 1).");
    gt_sb_printf(&sb, "gantry_build_info{version=\"%s\",commit=\"%s\"} 1\n", gt_version(),
                 gt_version_commit());
    metrics_jobs(c, &sb);
    metrics_tenants(c, &sb);
    metrics_fleet(c, &sb);
    ctld_service_metrics(c, &sb);
    family(&sb, "gantry_journal_entries_total", "counter",
           "Entries written to the journal (its sequence number).");
    gt_sb_printf(&sb, "gantry_journal_entries_total %lld\n",
                 (long long)atomic_load(&c->journal_seq));
    family(&sb, "gantry_events_total", "counter", "Events recorded (GET /v1/events).");
    gt_sb_printf(&sb, "gantry_events_total %llu\n",
                 (unsigned long long)(c->ev ? c->ev_next - c->ev_base : 0));
    gt_sb_puts(&sb, "# HELP gantry_pass_seconds Scheduling pass latency.\n"
                    "# TYPE gantry_pass_seconds histogram\n");
    ctld_hist_render(&c->pass_hist, "gantry_pass_seconds", "", &sb);
    gt_sb_puts(&sb, "# HELP gantry_api_seconds API request latency by route.\n"
                    "# TYPE gantry_api_seconds histogram\n");
    for (int i = 0; i < REQ__COUNT; i++) {
        if (!ctld_route_names[i] || !atomic_load(&c->api_hist[i].count))
            continue;
        char labels[64];
        snprintf(labels, sizeof labels, "route=\"%s\"", ctld_route_names[i]);
        ctld_hist_render(&c->api_hist[i], "gantry_api_seconds", labels, &sb);
    }
    r->status = 200;
    r->ctype = "text/plain; version=0.0.4";
    r->out = gt_sb_take(&sb);
}
