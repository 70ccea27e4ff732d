/* SPDX-License-Identifier: MIT
 * Human views of the controller's objects (see view.h). */
#include "cli/view.h"

#include <string.h>

#include "cli/fmt.h"

const char *gt_cli_job_state(const json_t *job, char *buf, size_t len) {
    const char *st = gt_cli_jstr(job, "state", "-");
    snprintf(buf, len, "%s%s", st, json_is_true(json_object_get(job, "held")) ? "/held" : "");
    return buf;
}

const char *gt_cli_job_str(const json_t *job, const char *key, const char *dflt) {
    const char *s = gt_cli_jstr(job, key, NULL);
    return s ? s : gt_cli_jstr(json_object_get(job, "spec"), key, dflt);
}

gt_table *gt_cli_nodes_table(const json_t *nodes, double now) {
    static const char *const heads[] = {"NAME",   "STATE", "GPUS", "MODEL", "CPUS",
                                        "MEMORY", "SEEN",  "PATH", "REASON"};
    gt_table *t = gt_table_new(9, heads, "llrlrrrll");
    size_t i;
    const json_t *n;
    json_array_foreach(nodes, i, n) {
        char mem[32], seen[32] = "-";
        const char *st = gt_cli_jstr(n, "state", "-");
        int dead = json_is_false(json_object_get(n, "alive"));
        if (json_is_number(json_object_get(n, "last_heartbeat")))
            gt_cli_fmt_age(now - gt_cli_jnum(n, "last_heartbeat"), seen, sizeof seen);
        gt_table_add(t, "%s", gt_cli_jstr(n, "name", "-"));
        gt_table_add(t, "%s%s", st, dead && strcmp(st, "down") != 0 ? "/dead" : "");
        gt_table_add(t, "%lld/%lld", gt_cli_jint(n, "gpus_free"), gt_cli_jint(n, "gpus"));
        gt_table_add(t, "%s",
                     gt_cli_jstr(n, "gpu_model", "-")[0] ? gt_cli_jstr(n, "gpu_model", "-") : "-");
        gt_table_add(t, "%lld/%lld", gt_cli_jint(n, "cpus_free"), gt_cli_jint(n, "cpus"));
        gt_table_add(t, "%s", gt_cli_fmt_mb(gt_cli_jint(n, "memory_mb"), mem, sizeof mem));
        gt_table_add(t, "%s", seen);
        gt_table_add(t, "%s", gt_cli_jstr(n, "path", "-"));
        gt_table_add(t, "%s", gt_cli_jstr(n, "reason", "-"));
    }
    return t;
}

gt_table *gt_cli_tenants_table(const json_t *tenants) {
    static const char *const heads[] = {"TENANT", "GPUS",  "CPUS",      "QUOTA",
                                        "LIMIT",  "SHARE", "FAIRSHARE", "GPU-HOURS"};
    gt_table *t = gt_table_new(8, heads, "lrrrrrrr");
    size_t i;
    const json_t *x;
    json_array_foreach(tenants, i, x) {
        gt_table_add(t, "%s", gt_cli_jstr(x, "name", "-"));
        gt_table_add(t, "%lld", gt_cli_jint(x, "gpus_held"));
        gt_table_add(t, "%lld", gt_cli_jint(x, "cpus_held"));
        gt_table_add(t, "%lld", gt_cli_jint(x, "quota_gpus"));
        if (gt_cli_jint(x, "limit_gpus") > 0)
            gt_table_add(t, "%lld", gt_cli_jint(x, "limit_gpus"));
        else
            gt_table_add(t, "-");
        gt_table_add(t, "%g", gt_cli_jnum(x, "share"));
        gt_table_add(t, "%.3f", gt_cli_jnum(x, "fairshare"));
        gt_table_add(t, "%.1f", gt_cli_jnum(x, "usage_gpu_hours"));
    }
    return t;
}

gt_table *gt_cli_levels_table(const json_t *cluster) {
    static const char *const heads[] = {"LEVEL",     "SUBTREES", "GPUS",
                                        "GPUS-FREE", "CPUS",     "CPUS-FREE"};
    gt_table *t = gt_table_new(6, heads, "lrrrrr");
    size_t i;
    const json_t *l;
    json_array_foreach(json_object_get(cluster, "levels"), i, l) {
        gt_table_add(t, "%s", gt_cli_jstr(l, "level", "-"));
        gt_table_add(t, "%lld", gt_cli_jint(l, "subtrees"));
        gt_table_add(t, "%lld", gt_cli_jint(l, "gpus"));
        gt_table_add(t, "%lld", gt_cli_jint(l, "gpus_free"));
        gt_table_add(t, "%lld", gt_cli_jint(l, "cpus"));
        gt_table_add(t, "%lld", gt_cli_jint(l, "cpus_free"));
    }
    return t;
}

void gt_cli_counts(gt_sb *b, const char *label, const json_t *counts) {
    const char *key;
    const json_t *v;
    int first = 1;
    gt_sb_printf(b, "%s:", label);
    json_object_foreach((json_t *)counts, key, v) {
        gt_sb_printf(b, "%s %s %lld", first ? "" : ",", key, (long long)json_number_value(v));
        first = 0;
    }
    gt_sb_putc(b, '\n');
}

/* ---- one job -------------------------------------------------------------------------- */

static void line(gt_sb *b, const char *key, const char *val) {
    gt_sb_printf(b, "%-13s %s\n", key, val && *val ? val : "-");
}

/* Shell-quoted words of an array of strings. */
static void words(gt_sb *b, const json_t *arr) {
    size_t i;
    const json_t *w;
    json_array_foreach(arr, i, w) {
        const char *s = json_string_value(w);
        s = s ? s : "";
        int plain = *s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789-_./=:,+@%") == strlen(s);
        gt_sb_puts(b, i ? " " : "");
        if (plain) {
            gt_sb_puts(b, s);
            continue;
        }
        gt_sb_putc(b, '\'');
        for (; *s; s++) {
            if (*s == '\'')
                gt_sb_puts(b, "'\\''");
            else
                gt_sb_putc(b, *s);
        }
        gt_sb_putc(b, '\'');
    }
}

static void resources(gt_sb *b, const json_t *spec) {
    char mem[32];
    gt_sb b2;
    gt_sb_init(&b2);
    json_t *g = json_object_get(spec, "gpus");
    if (json_is_real(g) || gt_cli_jint(spec, "gpu_milli") || gt_cli_jint(spec, "gpu_memory_mb"))
        gt_sb_puts(&b2, "a share of one GPU");
    else
        gt_sb_printf(&b2, "%lld GPU(s)", g ? (long long)json_integer_value(g) : 1);
    if (gt_cli_jint(spec, "gpus_per_node"))
        gt_sb_printf(&b2, ", %lld per node", gt_cli_jint(spec, "gpus_per_node"));
    if (gt_cli_jstr(spec, "gpu_model", NULL))
        gt_sb_printf(&b2, ", model %s", gt_cli_jstr(spec, "gpu_model", ""));
    if (gt_cli_jstr(spec, "within", NULL))
        gt_sb_printf(&b2, ", within one %s", gt_cli_jstr(spec, "within", ""));
    if (gt_cli_jint(spec, "cpus"))
        gt_sb_printf(&b2, ", %lld cores", gt_cli_jint(spec, "cpus"));
    if (gt_cli_jint(spec, "memory_mb"))
        gt_sb_printf(&b2, ", %s memory",
                     gt_cli_fmt_mb(gt_cli_jint(spec, "memory_mb"), mem, sizeof mem));
    line(b, "resources:", gt_sb_str(&b2));
    gt_sb_free(&b2);
}

static void times(gt_sb *b, const json_t *job, const json_t *spec, double now) {
    char t[64], age[32], buf[128], d[64];
    double sub = gt_cli_jnum(job, "submit_time");
    snprintf(buf, sizeof buf, "%s (%s ago)", gt_cli_fmt_time(sub, t, sizeof t),
             gt_cli_fmt_age(now - sub, age, sizeof age));
    line(b, "submitted:", sub > 0 ? buf : "-");
    line(b, "started:", gt_cli_fmt_time(gt_cli_jnum(job, "start_time"), t, sizeof t));
    line(b, "ended:", gt_cli_fmt_time(gt_cli_jnum(job, "end_time"), t, sizeof t));
    static const char *const keys[][2] = {{"time_limit_s", "time limit:"},
                                          {"estimate_s", "estimate:"},
                                          {"duration_s", "duration:"},
                                          {"grace_s", "grace:"}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (json_is_number(json_object_get(spec, keys[i][0])))
            line(b, keys[i][1], gt_cli_fmt_duration(gt_cli_jnum(spec, keys[i][0]), d, sizeof d));
}

static void placement(gt_sb *b, const json_t *job) {
    size_t i, k, m;
    const json_t *u, *n, *g;
    if (json_array_size(json_object_get(job, "placement")))
        gt_sb_puts(b, "placement:\n");
    json_array_foreach(json_object_get(job, "placement"), i, u) {
        const char *st = gt_cli_jstr(u, "state", NULL);
        gt_sb_printf(b, "  unit %lld gen %lld%s%s%s:", gt_cli_jint(u, "unit"),
                     gt_cli_jint(u, "gen"), st ? " (" : "", st ? st : "", st ? ")" : "");
        json_array_foreach(json_object_get(u, "nodes"), k, n) {
            gt_sb_printf(b, "%s %s gpus ", k ? ";" : "", gt_cli_jstr(n, "node", "-"));
            json_array_foreach(json_object_get(n, "gpus"), m, g)
                gt_sb_printf(b, "%s%lld", m ? "," : "", (long long)json_integer_value(g));
            if (json_array_size(json_object_get(n, "gpus")) == 0)
                gt_sb_puts(b, "-");
            gt_sb_printf(b, " cpus %lld", gt_cli_jint(n, "cpus"));
        }
        gt_sb_putc(b, '\n');
    }
}

/* A service: ready replicas, probes, whether it is degraded and why. */
static void service(gt_sb *b, const json_t *job, const json_t *spec) {
    const json_t *svc = json_object_get(job, "service");
    if (!svc)
        return;
    char buf[600];
    int probe = json_object_get(spec, "readiness") != NULL;
    snprintf(buf, sizeof buf, "%lld ready replica(s)%s, %lld replica restart(s)",
             gt_cli_jint(svc, "ready"), probe ? " (readiness probe passing)" : "",
             gt_cli_jint(svc, "restarts"));
    line(b, "service:", buf);
    const json_t *g = json_object_get(job, "group");
    if (json_is_object(g)) { /* a role of a service of several */
        gt_sb r;
        gt_sb_init(&r);
        gt_sb_printf(&r, "%s of job %lld (", gt_cli_jstr(g, "role", "?"), gt_cli_jint(g, "head"));
        const char *k;
        json_t *v;
        int first = 1;
        json_object_foreach(json_object_get(g, "roles"), k, v) {
            gt_sb_printf(&r, "%s%s %lld", first ? "" : ", ", k, (long long)json_integer_value(v));
            first = 0;
        }
        gt_sb_puts(&r, ")");
        if (gt_cli_jint(g, "per") > 0)
            gt_sb_printf(&r, ", %lld per set", gt_cli_jint(g, "per"));
        line(b, "role:", gt_sb_str(&r));
        gt_sb_free(&r);
    }
    const char *why = gt_cli_jstr(svc, "degraded_reason", NULL);
    if (json_is_true(json_object_get(svc, "degraded")))
        line(b, "degraded:", why ? why : "yes");
    const json_t *ro = json_object_get(svc, "rollout");
    if (json_is_object(ro)) {
        snprintf(buf, sizeof buf, "version %lld (from %lld): %s, %lld of %lld replica(s) updated",
                 gt_cli_jint(ro, "version"), gt_cli_jint(ro, "from"), gt_cli_jstr(ro, "state", "?"),
                 gt_cli_jint(ro, "updated"), gt_cli_jint(ro, "replicas"));
        line(b, "rollout:", buf);
    }
    const json_t *as = json_object_get(svc, "autoscale");
    if (json_is_object(as)) {
        const char *st = gt_cli_jstr(as, "status", NULL);
        snprintf(
            buf, sizeof buf, "%lld replica(s) wanted: %s %g over %lld replica(s), target %g%s%s",
            gt_cli_jint(svc, "desired"), gt_cli_jstr(as, "metric", "?"), gt_cli_jnum(as, "sum"),
            gt_cli_jint(as, "reporting"), gt_cli_jnum(as, "target"), st ? "; " : "", st ? st : "");
        line(b, "autoscale:", buf);
    }
    double until = gt_cli_jnum(svc, "backoff_until");
    if (until > 0) {
        char when[64];
        snprintf(buf, sizeof buf, "every pending replica waits to start again until %s",
                 gt_cli_fmt_time(until, when, sizeof when));
        line(b, "backoff:", buf);
    }
}

/* Why units failed: the API's placement[].failure (the latest run of each unit). */
static void exits(gt_sb *b, const json_t *job) {
    size_t i;
    const json_t *u, *x;
    int any = 0;
    json_array_foreach(json_object_get(job, "placement"), i, u) {
        if (!(x = json_object_get(u, "failure")))
            continue;
        if (!any++)
            gt_sb_puts(b, "failures:\n");
        gt_sb_printf(b, "  unit %lld gen %lld rank %lld: ", gt_cli_jint(u, "unit"),
                     gt_cli_jint(u, "gen"), gt_cli_jint(x, "rank"));
        if (gt_cli_jint(x, "signal"))
            gt_sb_printf(b, "killed by signal %lld", gt_cli_jint(x, "signal"));
        else
            gt_sb_printf(b, "exit %lld", gt_cli_jint(x, "exit_code"));
        const char *why = gt_cli_jstr(x, "reason", "");
        gt_sb_printf(b, "%s%s%s\n", *why ? " (" : "", why, *why ? ")" : "");
    }
}

/* A job of shares of a GPU: how much, and whether its nodes enforce it (CUDA MPS). */
static void share_line(gt_sb *b, const json_t *job) {
    const json_t *sh = json_object_get(job, "gpu_share");
    if (!json_is_object(sh))
        return;
    gt_sb r;
    gt_sb_init(&r);
    const json_t *milli = json_object_get(sh, "milli");
    long long mem = gt_cli_jint(sh, "memory_mb");
    if (json_is_integer(milli))
        gt_sb_printf(&r, "%lld/1000 of one GPU", (long long)json_integer_value(milli));
    else
        gt_sb_puts(&r, "memory of one GPU");
    if (mem)
        gt_sb_printf(&r, "%s%lld MiB of its memory", json_is_integer(milli) ? " and " : ": ", mem);
    const json_t *enf = json_object_get(sh, "enforced");
    if (json_is_true(enf))
        gt_sb_puts(&r, ", enforced by CUDA MPS");
    else if (json_is_false(enf))
        gt_sb_puts(&r, ", accounted but not enforced (no CUDA MPS on its node)");
    line(b, "GPU share:", gt_sb_str(&r));
    gt_sb_free(&r);
}

static void spec_lines(gt_sb *b, const json_t *spec) {
    char buf[64];
    resources(b, spec);
    if (gt_cli_jint(spec, "tasks") > 1) {
        snprintf(buf, sizeof buf, "%lld", gt_cli_jint(spec, "tasks"));
        if (gt_cli_jint(spec, "max_running") > 0)
            snprintf(buf, sizeof buf, "%lld, at most %lld at once", gt_cli_jint(spec, "tasks"),
                     gt_cli_jint(spec, "max_running"));
        line(b, "tasks:", buf);
    }
    const json_t *r = json_object_get(spec, "replicas");
    if (r) {
        long long lo = gt_cli_jint(r, "min"), hi = gt_cli_jint(r, "max");
        snprintf(buf, sizeof buf, "%lld to %lld", lo ? lo : 1, hi ? hi : (lo ? lo : 1));
        line(b, "replicas:", buf);
    }
    if (json_object_get(spec, "command")) {
        gt_sb w;
        gt_sb_init(&w);
        words(&w, json_object_get(spec, "command"));
        line(b, "command:", gt_sb_str(&w));
        gt_sb_free(&w);
    }
    static const char *const keys[] = {"workdir", "output", "error"};
    static const char *const heads[] = {"workdir:", "output:", "error:"};
    for (int i = 0; i < 3; i++)
        if (gt_cli_jstr(spec, keys[i], NULL))
            line(b, heads[i], gt_cli_jstr(spec, keys[i], NULL));
}

/* A task array's "progress:" line: how many ended, at what rate, and when the rest would. */
static void progress_line(gt_sb *b, const json_t *job, double now) {
    gt_cli_progress p;
    char d[48];
    if (!gt_cli_task_progress(job, now, &p))
        return;
    gt_sb r;
    gt_sb_init(&r);
    gt_sb_printf(&r, "%lld of %lld tasks ended (%lld%%)", p.ended, p.total,
                 p.ended * 100 / p.total);
    if (p.rate > 0)
        gt_sb_printf(&r, ", %.3g a second", p.rate);
    if (p.ended < p.total && p.eta_s > 0 && !strcmp(gt_cli_job_str(job, "state", ""), "running"))
        gt_sb_printf(&r, ", the rest in about %s at that rate",
                     gt_cli_fmt_duration(p.eta_s, d, sizeof d));
    line(b, "progress:", gt_sb_str(&r));
    gt_sb_free(&r);
}

void gt_cli_show_job(gt_sb *b, const json_t *job, double now) {
    const json_t *spec = json_object_get(job, "spec"), *u = json_object_get(job, "units");
    char buf[160];
    snprintf(buf, sizeof buf, "%lld", gt_cli_jint(job, "id"));
    line(b, "id:", buf);
    line(b, "name:", gt_cli_job_str(job, "name", "-"));
    line(b, "tenant:", gt_cli_job_str(job, "tenant", "default"));
    line(b, "kind:", gt_cli_job_str(job, "kind", "train"));
    line(b, "priority:", gt_cli_job_str(job, "priority", "normal"));
    line(b, "state:", gt_cli_job_state(job, buf, sizeof buf));
    spec_lines(b, spec);
    share_line(b, job);
    gt_sb ul;
    gt_sb_init(&ul);
    gt_sb_printf(&ul, "%lld: %lld pending, %lld running, %lld done, %lld failed",
                 gt_cli_jint(u, "total"), gt_cli_jint(u, "pending"), gt_cli_jint(u, "running"),
                 gt_cli_jint(u, "done"), gt_cli_jint(u, "failed"));
    if (gt_cli_jint(u, "cancelled") > 0)
        gt_sb_printf(&ul, ", %lld cancelled", gt_cli_jint(u, "cancelled"));
    long long boff = gt_cli_jint(u, "backoff"), wait = gt_cli_jint(u, "waiting");
    if (boff > 0 || wait > 0) /* a task array's pending that cannot start yet */
        gt_sb_printf(&ul,
                     " (of the pending: %lld backing off before a retry, %lld waiting for "
                     "their aftercorr task)",
                     boff, wait);
    line(b, "units:", gt_sb_str(&ul));
    gt_sb_free(&ul);
    progress_line(b, job, now);
    snprintf(buf, sizeof buf, "%lld restarts, %lld preemptions", gt_cli_jint(job, "restarts"),
             gt_cli_jint(job, "preemptions"));
    line(b, "history:", buf);
    service(b, job, spec);
    times(b, job, spec, now);
    placement(b, job);
    exits(b, job);
}

/* ---- gantry top ----------------------------------------------------------------------- */

static int count_lines(const char *s) {
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void usage_bar(gt_sb *b, const char *what, long long total, long long free_) {
    long long used = total - free_;
    gt_sb_printf(b, "%-5s", what);
    gt_cli_bar(b, used, total, 30);
    gt_sb_printf(b, " %lld/%lld used", used, total);
    if (total > 0)
        gt_sb_printf(b, " (%lld%%)", used * 100 / total);
    gt_sb_putc(b, '\n');
}

void gt_cli_top_frame(gt_sb *b, const char *server, const json_t *cluster, const json_t *tenants,
                      const json_t *jobs, double now, int rows) {
    char t[64];
    const json_t *top = json_array_get(json_object_get(cluster, "levels"), 0);
    size_t start = b->len;
    gt_sb_printf(b, "gantry top  %s  %s\n\n", server, gt_cli_fmt_time(now, t, sizeof t));
    usage_bar(b, "GPUs", gt_cli_jint(top, "gpus"), gt_cli_jint(top, "gpus_free"));
    usage_bar(b, "CPUs", gt_cli_jint(top, "cpus"), gt_cli_jint(top, "cpus_free"));
    gt_cli_counts(b, "nodes", json_object_get(cluster, "nodes"));
    gt_cli_counts(b, "jobs", json_object_get(cluster, "jobs"));
    gt_sb_putc(b, '\n');
    gt_table *tt = gt_cli_tenants_table(tenants);
    gt_table_render(tt, 0, b);
    gt_table_free(tt);
    gt_sb_putc(b, '\n');
    int left = rows - count_lines(b->s ? b->s + start : "") - 1;
    if (rows > 0 && left < 1)
        return;
    gt_table *jt = gt_cli_jobs_table(jobs, now, GT_CLI_TOP_FORMAT, NULL);
    gt_table_render(jt, rows > 0 ? (size_t)left : 0, b);
    gt_table_free(jt);
}
