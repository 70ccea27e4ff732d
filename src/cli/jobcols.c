/* SPDX-License-Identifier: MIT
 * The columns of `gantry jobs` (and of `gantry top`'s job list): one table row per column
 * (its name for --format, its title, its alignment, how its cell is written from the job
 * object of docs/api.md), so a column is added by adding a row.
 *
 * Design notes
 *  1. Cells read only the job object; a field an older controller does not send shows as
 *     "-" (REASON) or is worked out from what is there (USER from the spec).
 *  2. NODELIST is the nodes of the running units for a running job and of the latest run
 *     of each unit for a finished one (the API lists at most 64 units), as a Slurm host
 *     list (hostlist.h); a pending job has none. TIME is squeue's: how long it has run,
 *     since its running units started, or for a pending job how long it has waited; for
 *     a finished job, its start to its end. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/fmt.h"
#include "cli/hostlist.h"
#include "cli/view.h"

#define MAX_COLS 16

typedef void (*cell_fn)(const json_t *job, double now, gt_sb *b);

static int is_state(const json_t *job, const char *state) {
    return strcmp(gt_cli_jstr(job, "state", ""), state) == 0;
}

static void c_id(const json_t *j, double now, gt_sb *b) {
    (void)now;
    gt_sb_printf(b, "%lld", gt_cli_jint(j, "id"));
}

static void c_name(const json_t *j, double now, gt_sb *b) {
    (void)now;
    const char *s = gt_cli_job_str(j, "name", "");
    gt_sb_puts(b, *s ? s : "-");
}

static void c_user(const json_t *j, double now, gt_sb *b) {
    (void)now;
    gt_sb_puts(b, gt_cli_job_str(j, "user", "-"));
}

static void c_tenant(const json_t *j, double now, gt_sb *b) {
    (void)now;
    gt_sb_puts(b, gt_cli_job_str(j, "tenant", "default"));
}

static void c_kind(const json_t *j, double now, gt_sb *b) {
    (void)now;
    gt_sb_puts(b, gt_cli_job_str(j, "kind", "train"));
}

static void c_prio(const json_t *j, double now, gt_sb *b) {
    (void)now;
    gt_sb_puts(b, gt_cli_job_str(j, "priority", "normal"));
}

static void c_state(const json_t *j, double now, gt_sb *b) {
    char st[48];
    (void)now;
    gt_sb_puts(b, gt_cli_job_state(j, st, sizeof st));
}

/* The whole job's: the controller's total, else per-unit GPUs times units. */
static void c_gpus(const json_t *j, double now, gt_sb *b) {
    (void)now;
    json_t *g = json_object_get(json_object_get(j, "spec"), "gpus");
    long long total = gt_cli_jint(json_object_get(j, "units"), "total");
    if (json_is_integer(json_object_get(j, "gpus")))
        gt_sb_printf(b, "%lld", gt_cli_jint(j, "gpus"));
    else
        gt_sb_printf(b, "%lld", (g ? (long long)json_integer_value(g) : 1) * (total ? total : 1));
}

static void c_units(const json_t *j, double now, gt_sb *b) {
    (void)now;
    const json_t *u = json_object_get(j, "units");
    gt_sb_printf(b, "%lld/%lld", gt_cli_jint(u, "running"), gt_cli_jint(u, "total"));
}

int gt_cli_task_progress(const json_t *job, double now, gt_cli_progress *p) {
    const json_t *u = json_object_get(job, "units");
    memset(p, 0, sizeof *p);
    p->eta_s = -1;
    if (strcmp(gt_cli_job_str(job, "kind", "train"), "tasks") != 0 ||
        (p->total = gt_cli_jint(u, "total")) < 2)
        return 0;
    /* done counts the failed ones too; cancelled tasks are settled without running */
    long long ran = gt_cli_jint(u, "done");
    p->ended = ran + gt_cli_jint(u, "cancelled");
    double start = gt_cli_jnum(job, "start_time"), end = gt_cli_jnum(job, "end_time");
    double span = (end > start ? end : now) - start;
    if (start > 0 && span > 0 && ran >= 2)
        p->rate = (double)ran / span;
    if (p->ended >= p->total)
        p->eta_s = 0;
    else if (p->rate > 0)
        p->eta_s = (double)(p->total - p->ended) / p->rate;
    return 1;
}

/* "37% 1m20s": the share of an array's tasks ended and the time the rest would take. */
static void c_progress(const json_t *j, double now, gt_sb *b) {
    gt_cli_progress p;
    char d[48];
    if (!gt_cli_task_progress(j, now, &p)) {
        gt_sb_putc(b, '-');
        return;
    }
    gt_sb_printf(b, "%lld%%", p.ended * 100 / p.total);
    if (p.eta_s > 0 && !is_state(j, "failed") && !is_state(j, "cancelled"))
        gt_sb_printf(b, " %s", gt_cli_fmt_elapsed(p.eta_s, d, sizeof d));
}

static void c_age(const json_t *j, double now, gt_sb *b) {
    char age[32];
    gt_sb_puts(b, gt_cli_fmt_age(now - gt_cli_jnum(j, "submit_time"), age, sizeof age));
}

/* When the running units started: the earliest start of a running run, else the job's. */
static double run_start(const json_t *j) {
    double t = 0;
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(j, "placement"), i, r) {
        double s = gt_cli_jnum(r, "start_time");
        if (strcmp(gt_cli_jstr(r, "state", ""), "running") == 0 && s > 0 && (t == 0 || s < t))
            t = s;
    }
    return t > 0 ? t : gt_cli_jnum(j, "start_time");
}

static void c_time(const json_t *j, double now, gt_sb *b) {
    char buf[48];
    double start = gt_cli_jnum(j, "start_time"), end = gt_cli_jnum(j, "end_time"), s = 0;
    if (is_state(j, "running"))
        s = now - run_start(j);
    else if (is_state(j, "pending"))
        s = now - gt_cli_jnum(j, "submit_time");
    else if (start > 0 && end > start)
        s = end - start;
    gt_sb_puts(b, gt_cli_fmt_elapsed(s, buf, sizeof buf));
}

/* A running service that keeps losing a replica says so where a pending job says why it
 * waits. */
static int degraded(const json_t *j) {
    return json_is_true(json_object_get(json_object_get(j, "service"), "degraded"));
}

/* The wait reason, ",degraded" after it for such a service ("backoff,degraded"). */
static void reason_text(const json_t *j, gt_sb *b) {
    const char *r = gt_cli_jstr(j, "reason", NULL);
    if (degraded(j))
        gt_sb_printf(b, "%s%sdegraded", r ? r : "", r ? "," : "");
    else
        gt_sb_puts(b, r ? r : "-");
}

static void c_reason(const json_t *j, double now, gt_sb *b) {
    (void)now;
    reason_text(j, b);
}

/* The nodes of note 2, as a host list; "-" when there are none. */
static void c_nodelist(const json_t *j, double now, gt_sb *b) {
    (void)now;
    const json_t *runs = json_object_get(j, "placement"), *r, *n;
    int running = is_state(j, "running");
    size_t i, k, count = 0, len = b->len;
    json_array_foreach(runs, i, r) count += json_array_size(json_object_get(r, "nodes"));
    const char **names = count && !is_state(j, "pending") ? calloc(count, sizeof *names) : NULL;
    count = 0;
    json_array_foreach(runs, i, r) {
        if (!names || (running && strcmp(gt_cli_jstr(r, "state", ""), "running") != 0))
            continue;
        json_array_foreach(json_object_get(r, "nodes"), k, n) names[count++] =
            gt_cli_jstr(n, "node", "?");
    }
    gt_cli_hostlist(names, count, b);
    free(names);
    if (b->len == len)
        gt_sb_putc(b, '-');
}

/* squeue's NODELIST(REASON): the nodes, or for a pending job why it waits. */
static void c_where(const json_t *j, double now, gt_sb *b) {
    if ((is_state(j, "pending") && gt_cli_jstr(j, "reason", NULL)) || degraded(j)) {
        gt_sb_putc(b, '(');
        reason_text(j, b);
        gt_sb_putc(b, ')');
    } else
        c_nodelist(j, now, b);
}

static const struct col {
    const char *name, *head;
    char align;
    cell_fn fn;
} cols[] = {
    {"id", "ID", 'r', c_id},
    {"name", "NAME", 'l', c_name},
    {"user", "USER", 'l', c_user},
    {"tenant", "TENANT", 'l', c_tenant},
    {"kind", "KIND", 'l', c_kind},
    {"prio", "PRIO", 'l', c_prio},
    {"state", "STATE", 'l', c_state},
    {"gpus", "GPUS", 'r', c_gpus},
    {"units", "UNITS", 'r', c_units},
    {"progress", "PROGRESS", 'r', c_progress},
    {"age", "AGE", 'r', c_age},
    {"time", "TIME", 'r', c_time},
    {"reason", "REASON", 'l', c_reason},
    {"nodelist", "NODELIST", 'l', c_nodelist},
    {"nodelist(reason)", "NODELIST(REASON)", 'l', c_where},
};
#define NCOLS (sizeof cols / sizeof cols[0])

void gt_cli_jobs_column_names(gt_sb *b) {
    for (size_t i = 0; i < NCOLS; i++)
        gt_sb_printf(b, "%s%s", i ? ", " : "", cols[i].name);
}

/* format's names into use[]; the count, or -1 with *err. */
static int parse_format(const char *format, const struct col **use, gt_error *err) {
    int n = 0;
    const char *p = format;
    for (;;) {
        size_t len = strcspn(p, ",");
        const struct col *c = NULL;
        for (size_t i = 0; i < NCOLS && !c; i++)
            if (strlen(cols[i].name) == len && strncasecmp(p, cols[i].name, len) == 0)
                c = &cols[i];
        if (!c || n == MAX_COLS) {
            gt_sb known;
            gt_sb_init(&known);
            gt_cli_jobs_column_names(&known);
            if (c)
                gt_fail(err, GT_E_INVALID, NULL, "at most %d columns", MAX_COLS);
            else
                gt_fail(err, GT_E_INVALID, NULL, "unknown column '%.*s' (the columns: %s)",
                        (int)len, p, gt_sb_str(&known));
            gt_sb_free(&known);
            return -1;
        }
        use[n++] = c;
        if (!p[len])
            return n;
        p += len + 1;
    }
}

gt_table *gt_cli_jobs_table(const json_t *jobs, double now, const char *format, gt_error *err) {
    const struct col *use[MAX_COLS];
    const char *heads[MAX_COLS];
    char align[MAX_COLS + 1] = "";
    int n = parse_format(format, use, err);
    if (n < 0)
        return NULL;
    for (int c = 0; c < n; c++) {
        heads[c] = use[c]->head;
        align[c] = use[c]->align;
    }
    gt_table *t = gt_table_new(n, heads, align);
    size_t i;
    const json_t *j;
    gt_sb cell;
    gt_sb_init(&cell);
    json_array_foreach(jobs, i, j) {
        for (int c = 0; c < n; c++) {
            cell.len = 0;
            use[c]->fn(j, now, &cell);
            gt_table_add(t, "%.*s", (int)cell.len, gt_sb_str(&cell));
        }
    }
    gt_sb_free(&cell);
    return t;
}
