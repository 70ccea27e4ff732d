/* SPDX-License-Identifier: MIT
 * Table and JSON reports. Rows of the table are declared in one array (label, how to
 * format), so adding a figure is one line. */
#include "sim/report.h"

#include <jansson.h>
#include <string.h>

typedef struct {
    const char *label, *key;
    double (*get)(const gt_sim_result *);
    const char *fmt;
    int count; /* a count: an integer in the JSON (else a real) */
} row_t;

#define GET(name, expr)                                                                            \
    static double name(const gt_sim_result *r) {                                                   \
        return (double)(expr);                                                                     \
    }
GET(g_jobs, r->jobs)
GET(g_completed, r->completed)
GET(g_failed, r->failed)
GET(g_rejected, r->rejected)
GET(g_unfinished, r->unfinished)
GET(g_jct_mean, r->jct_mean_s / 3600)
GET(g_jct_p50, r->jct_p50_s / 3600)
GET(g_jct_p99, r->jct_p99_s / 3600)
GET(g_wait_mean, r->wait_mean_s / 3600)
GET(g_wait_p50, r->wait_p50_s / 3600)
GET(g_wait_p99, r->wait_p99_s / 3600)
GET(g_makespan, r->makespan_s / 3600)
GET(g_util, r->gpu_util * 100)
GET(g_cpu_util, r->cpu_util * 100)
GET(g_util_w, r->gpu_util_window * 100)
GET(g_cpu_util_w, r->cpu_util_window * 100)
GET(g_frag, r->fragmentation * 100)
GET(g_preempt, r->preemptions)
GET(g_requeue, r->requeues)
GET(g_failures, r->node_failures)
GET(g_lost, r->lost_gpu_hours)
GET(g_gangs, r->gangs)
GET(g_w_low, r->prio_done[0] ? r->prio_wait_s[0] / (double)r->prio_done[0] / 3600 : 0)
GET(g_w_norm, r->prio_done[1] ? r->prio_wait_s[1] / (double)r->prio_done[1] / 3600 : 0)
GET(g_w_high, r->prio_done[2] ? r->prio_wait_s[2] / (double)r->prio_done[2] / 3600 : 0)
GET(g_w_crit, r->prio_done[3] ? r->prio_wait_s[3] / (double)r->prio_done[3] / 3600 : 0)
#undef GET

static const row_t rows[] = {
    {"jobs", "jobs", g_jobs, "%.0f", 1},
    {"completed", "completed", g_completed, "%.0f", 1},
    {"failed (time limit)", "failed", g_failed, "%.0f", 1},
    {"rejected", "rejected", g_rejected, "%.0f", 1},
    {"unfinished", "unfinished", g_unfinished, "%.0f", 1},
    {"JCT mean (h)", "jct_mean_h", g_jct_mean, "%.3f", 0},
    {"JCT p50 (h)", "jct_p50_h", g_jct_p50, "%.3f", 0},
    {"JCT p99 (h)", "jct_p99_h", g_jct_p99, "%.3f", 0},
    {"wait mean (h)", "wait_mean_h", g_wait_mean, "%.3f", 0},
    {"wait p50 (h)", "wait_p50_h", g_wait_p50, "%.3f", 0},
    {"wait p99 (h)", "wait_p99_h", g_wait_p99, "%.3f", 0},
    {"wait mean, low (h)", "wait_mean_low_h", g_w_low, "%.3f", 0},
    {"wait mean, normal (h)", "wait_mean_normal_h", g_w_norm, "%.3f", 0},
    {"wait mean, high (h)", "wait_mean_high_h", g_w_high, "%.3f", 0},
    {"wait mean, critical (h)", "wait_mean_critical_h", g_w_crit, "%.3f", 0},
    {"makespan (h)", "makespan_h", g_makespan, "%.2f", 0},
    {"GPU utilisation %", "gpu_util_pct", g_util, "%.1f", 0},
    {"CPU utilisation %", "cpu_util_pct", g_cpu_util, "%.1f", 0},
    {"GPU util, arrivals %", "gpu_util_arrivals_pct", g_util_w, "%.1f", 0},
    {"CPU util, arrivals %", "cpu_util_arrivals_pct", g_cpu_util_w, "%.1f", 0},
    {"fragmentation %", "fragmentation_pct", g_frag, "%.2f", 0},
    {"preemptions", "preemptions", g_preempt, "%.0f", 1},
    {"requeues", "requeues", g_requeue, "%.0f", 1},
    {"node failures", "node_failures", g_failures, "%.0f", 1},
    {"lost GPU-hours", "lost_gpu_hours", g_lost, "%.1f", 0},
    {"multi-GPU gangs", "gangs", g_gangs, "%.0f", 1},
};
#define NROWS (sizeof rows / sizeof rows[0])

static void cell(gt_sb *out, const char *fmt, double v) {
    char buf[64];
    snprintf(buf, sizeof buf, fmt, v);
    gt_sb_printf(out, " %16s", buf);
}

/* Services that followed their load (--autoscale): only when there were any. */
static void service_rows(const gt_sim_result *r, int n, gt_sb *out) {
    int any = 0;
    for (int i = 0; i < n; i++)
        any |= r[i].svc_autoscaled > 0;
    if (!any)
        return;
    static const char *lab[] = {"services autoscaled", "scalings", "service GPU-h not held",
                                "... at night (22-06 h)", "service-h short of load %"};
    static const char *fmt[] = {"%.0f", "%.0f", "%.1f", "%.1f", "%.2f"};
    for (int k = 0; k < 5; k++) {
        gt_sb_printf(out, "%-26s", lab[k]);
        for (int i = 0; i < n; i++) {
            double v[] = {(double)r[i].svc_autoscaled, (double)r[i].svc_scalings,
                          r[i].svc_lent_gpu_hours, r[i].svc_lent_night_gpu_hours,
                          r[i].svc_hours > 0 ? 100 * r[i].svc_under_hours / r[i].svc_hours : 0};
            cell(out, fmt[k], v[k]);
        }
        gt_sb_putc(out, '\n');
    }
}

/* Pipelines (a trace's depends_on): only when the trace has any; then each policy's
 * critical path, one line each. */
static void pipeline_rows(const gt_sim_result *r, int n, gt_sb *out) {
    if (!r[0].dep_jobs)
        return;
    gt_sb_printf(out, "%-26s", "jobs with dependencies");
    for (int i = 0; i < n; i++)
        cell(out, "%.0f", (double)r[i].dep_jobs);
    gt_sb_printf(out, "\n%-26s", "critical path (h)");
    for (int i = 0; i < n; i++)
        cell(out, "%.2f", r[i].critical_path_s / 3600);
    gt_sb_printf(out, "\n%-26s", "jobs on the critical path");
    for (int i = 0; i < n; i++)
        cell(out, "%.0f", (double)r[i].critical_jobs);
    gt_sb_putc(out, '\n');
    for (int i = 0; i < n; i++)
        if (r[i].critical_jobs)
            gt_sb_printf(out, "critical path, %s: %s\n", r[i].policy, r[i].critical_ids);
}

static void span_rows(const gt_sim_result *r, int n, gt_sb *out) {
    for (int l = r[0].nlevels - 1; l >= 0; l--) {
        gt_sb_printf(out, "gangs within 1 %-9s%%", r[0].level_names[l]);
        for (int i = 0; i < n; i++) {
            uint64_t k = 0;
            for (int m = l; m < r[i].nlevels; m++)
                k += r[i].span_count[m];
            cell(out, "%.1f", r[i].gangs ? 100.0 * (double)k / (double)r[i].gangs : 0);
        }
        gt_sb_putc(out, '\n');
    }
}

static void timing_rows(const gt_sim_result *r, int n, gt_sb *out) {
    static const char *lab[] = {
        "passes",        "decisions",     "wall (s)",          "pass p50 (us)",
        "pass p99 (us)", "pass max (us)", "decision p50 (us)", "decision p99 (us)",
        "decisions/s",   "peak RSS (MiB)"};
    static const char *fmt[] = {"%.0f", "%.0f", "%.2f", "%.1f", "%.1f",
                                "%.1f", "%.2f", "%.2f", "%.0f", "%.0f"};
    for (int k = 0; k < 10; k++) {
        gt_sb_printf(out, "%-26s", lab[k]);
        for (int i = 0; i < n; i++) {
            double v[] = {(double)r[i].passes,  (double)r[i].decisions,
                          r[i].wall_s,          r[i].pass_p50_us,
                          r[i].pass_p99_us,     r[i].pass_max_us,
                          r[i].decision_p50_us, r[i].decision_p99_us,
                          r[i].decisions_per_s, (double)r[i].peak_rss_kb / 1024};
            cell(out, fmt[k], v[k]);
        }
        gt_sb_putc(out, '\n');
    }
}

static void tenant_rows(const gt_sim_result *r, gt_sb *out) {
    gt_sb_printf(out, "\n[%s] per tenant:\n%-20s %8s %8s %12s %12s %12s\n", r->policy, "tenant",
                 "jobs", "done", "JCT mean h", "wait mean h", "GPU-hours");
    for (uint32_t t = 0; t < r->ntenants; t++) {
        const gt_sim_tenant *x = &r->tenants[t];
        double d = x->done ? (double)x->done : 1;
        gt_sb_printf(out, "%-20s %8llu %8llu %12.3f %12.3f %12.1f\n", x->name,
                     (unsigned long long)x->jobs, (unsigned long long)x->done,
                     x->jct_sum_s / d / 3600, x->wait_sum_s / d / 3600, x->gpu_hours);
    }
}

void gt_report_table(const gt_sim_result *r, int n, int timing, gt_sb *out) {
    gt_sb_printf(out, "%-26s", "policy");
    for (int i = 0; i < n; i++)
        gt_sb_printf(out, " %16s", r[i].policy);
    gt_sb_putc(out, '\n');
    for (size_t k = 0; k < NROWS; k++) {
        gt_sb_printf(out, "%-26s", rows[k].label);
        for (int i = 0; i < n; i++)
            cell(out, rows[k].fmt, rows[k].get(&r[i]));
        gt_sb_putc(out, '\n');
    }
    span_rows(r, n, out);
    service_rows(r, n, out);
    pipeline_rows(r, n, out);
    if (timing)
        timing_rows(r, n, out);
    for (int i = 0; i < n; i++)
        tenant_rows(&r[i], out);
}

/* json_object_set_new, noting a failure (out of memory) in *bad. */
static void set(json_t *o, const char *key, json_t *v, int *bad) {
    *bad |= json_object_set_new(o, key, v) != 0;
}

/* One run's object; NULL when out of memory (never a partial object). */
static json_t *one_json(const gt_sim_result *r, int timing) {
    json_t *o = json_object();
    int bad = 0;
    set(o, "policy", json_string(r->policy), &bad);
    set(o, "fleet",
        json_pack("{s:I,s:I,s:I}", "gpus", (json_int_t)r->fleet_gpus, "cores",
                  (json_int_t)r->fleet_cores, "nodes", (json_int_t)r->fleet_nodes),
        &bad);
    for (size_t k = 0; k < NROWS; k++)
        set(o, rows[k].key,
            rows[k].count ? json_integer((json_int_t)rows[k].get(r)) : json_real(rows[k].get(r)),
            &bad);
    json_t *sp = json_object();
    for (int l = 0; l < r->nlevels; l++)
        set(sp, r->level_names[l], json_integer((json_int_t)r->span_count[l]), &bad);
    set(o, "gang_span", sp, &bad);
    json_t *ts = json_array();
    for (uint32_t t = 0; t < r->ntenants; t++) {
        const gt_sim_tenant *x = &r->tenants[t];
        double d = x->done ? (double)x->done : 1;
        bad |= json_array_append_new(
                   ts, json_pack("{s:s,s:I,s:I,s:f,s:f,s:f}", "tenant", x->name, "jobs",
                                 (json_int_t)x->jobs, "done", (json_int_t)x->done, "jct_mean_h",
                                 x->jct_sum_s / d / 3600, "wait_mean_h", x->wait_sum_s / d / 3600,
                                 "gpu_hours", x->gpu_hours)) != 0;
    }
    set(o, "tenants", ts, &bad);
    if (r->svc_autoscaled)
        set(o, "services",
            json_pack("{s:I,s:I,s:f,s:f,s:f,s:f}", "autoscaled", (json_int_t)r->svc_autoscaled,
                      "scalings", (json_int_t)r->svc_scalings, "gpu_hours_not_held",
                      r->svc_lent_gpu_hours, "gpu_hours_not_held_night",
                      r->svc_lent_night_gpu_hours, "service_hours", r->svc_hours,
                      "service_hours_short_of_load", r->svc_under_hours),
            &bad);
    if (r->dep_jobs)
        set(o, "pipelines",
            json_pack("{s:I,s:f,s:I,s:s}", "jobs_with_dependencies", (json_int_t)r->dep_jobs,
                      "critical_path_h", r->critical_path_s / 3600, "critical_path_jobs",
                      (json_int_t)r->critical_jobs, "critical_path", r->critical_ids),
            &bad);
    if (timing)
        set(o, "timing",
            json_pack("{s:I,s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:I}", "passes", (json_int_t)r->passes,
                      "decisions", (json_int_t)r->decisions, "wall_s", r->wall_s, "pass_p50_us",
                      r->pass_p50_us, "pass_p99_us", r->pass_p99_us, "pass_max_us", r->pass_max_us,
                      "decision_p50_us", r->decision_p50_us, "decision_p99_us", r->decision_p99_us,
                      "decisions_per_s", r->decisions_per_s, "peak_rss_kb",
                      (json_int_t)r->peak_rss_kb),
            &bad);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

void gt_report_json(const gt_sim_result *r, int n, int timing, gt_sb *out) {
    json_t *a = json_array();
    int bad = 0;
    for (int i = 0; i < n; i++)
        bad |= json_array_append_new(a, one_json(&r[i], timing)) != 0;
    char *s = bad ? NULL : json_dumps(a, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    if (s)
        gt_sb_puts(out, s);
    else
        out->oom = 1;
    gt_sb_putc(out, '\n');
    free(s);
    json_decref(a);
}
