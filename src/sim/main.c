/* SPDX-License-Identifier: MIT
 * gantry-sim: replay a job trace on a fleet through the scheduling core.
 *
 *   gantry-sim --cluster FILE (--trace FILE | --synth N) [--policy A,B,..] [--json]
 *              [--svg DIR] [--timing] [--load F] [--seed N] [--write-trace FILE]
 *
 * Options: sim/args.c. Exit codes: 0 ok, 1 out of memory, 2 bad usage or input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/args.h"
#include "sim/report.h"
#include "sim/sim.h"
#include "util/vec.h"
#include "util/version.h"

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, r;
    do { /* room for 64 KiB more, doubling from 1 MiB */
        if (!gt_vec_reserve_from((void **)&buf, &cap, n + 65536, 1, 1 << 20)) {
            free(buf);
            fclose(f);
            return NULL;
        }
        r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
    } while (r > 0);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static int write_file(const char *path, const gt_sb *b) {
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    int ok = fwrite(gt_sb_str(b), 1, b->len, f) == b->len;
    return fclose(f) == 0 && ok;
}

static int fail(const char *what, const gt_error *err) {
    char buf[512];
    fprintf(stderr, "gantry-sim: %s: %s\n", what, gt_error_str(err, buf, sizeof buf));
    return 2;
}

/* Synthetic trace sized to the fleet in the config. */
static int synth_trace(const gt_sim_args *a, const char *cfg, size_t len, gt_trace *tr) {
    gt_config *c;
    gt_error err;
    if (gt_config_parse(cfg, len, a->cluster, &c, &err) != GT_E_OK)
        return fail("cluster config", &err);
    gt_synth_params p;
    gt_synth_defaults(&p);
    p.jobs = (size_t)a->synth;
    p.seed = (uint64_t)(a->seed ? a->seed : 1);
    p.load = a->load > 0 ? a->load : 0.9;
    p.fleet_gpus = c->topo->gpus_total[0];
    int64_t cpu_only = 0;
    for (uint32_t v = 0; v < c->topo->nv; v++)
        if (gt_topo_is_node(c->topo, v) && c->topo->n_gpus[v] == 0)
            cpu_only += c->topo->n_cpus[v];
    p.fleet_cpus = cpu_only;
    p.gpus_per_node = c->topo->max_node_gpus > 0 ? (int)c->topo->max_node_gpus : 8;
    const char *names[GT_MAX_TENANTS];
    for (int i = 0; i < c->ntenants; i++)
        names[i] = c->tenants[i].name; /* the config's tenants, in order: quotas apply */
    if (c->ntenants > 0) {
        p.ntenants = c->ntenants;
        p.tenant_names = names;
    }
    gt_err e = gt_synth_generate(tr, &p, &err);
    gt_config_free(c);
    if (e != GT_E_OK)
        return fail("--synth", &err);
    if (a->write_trace) {
        gt_sb b;
        gt_sb_init(&b);
        gt_trace_write_csv(tr, &b);
        int ok = !b.oom && write_file(a->write_trace, &b);
        gt_sb_free(&b);
        if (!ok) {
            fprintf(stderr, "gantry-sim: --write-trace: cannot write '%s': %s\n", a->write_trace,
                    strerror(errno));
            return 2;
        }
    }
    return 0;
}

typedef struct {
    const char *id;
    size_t at; /* index in the trace */
} id_at;

static int cmp_id(const void *a, const void *b) {
    const id_at *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->at > y->at) - (x->at < y->at);
}

/* Job ids must be unique (empty ones aside); the trace loader does not check. 0, or after
 * one message (the id that repeats first in the trace, how many jobs use it, how many
 * other ids repeat) 2; 1 when out of memory. The trace keeps no line numbers. */
static int check_ids(const gt_trace *tr, const char *name) {
    id_at *v = malloc((tr->n + 1) * sizeof *v);
    if (!v) {
        fputs("gantry-sim: trace: out of memory\n", stderr);
        return 1;
    }
    size_t m = 0, first = SIZE_MAX, uses = 0, ids = 0;
    for (size_t i = 0; i < tr->n; i++)
        if (tr->jobs[i].id[0])
            v[m++] = (id_at){tr->jobs[i].id, i};
    qsort(v, m, sizeof *v, cmp_id);
    for (size_t k = 1, run = 1; k <= m; k++) { /* runs of equal ids, each in trace order */
        if (k < m && !strcmp(v[k].id, v[k - 1].id)) {
            run++;
            continue;
        }
        if (run > 1) {
            ids++;
            if (v[k - run + 1].at < first) { /* its second use comes first so far */
                first = v[k - run + 1].at;
                uses = run;
            }
        }
        run = 1;
    }
    char more[64] = "";
    if (ids > 1)
        snprintf(more, sizeof more, " (%zu more %s)", ids - 1,
                 ids > 2 ? "ids repeat" : "id repeats");
    if (ids)
        fprintf(stderr,
                "gantry-sim: trace: %s: job id '%s' is used by %zu jobs: ids must be "
                "unique%s\n",
                name, tr->jobs[first].id, uses, more);
    free(v);
    return ids ? 2 : 0;
}

static int load_trace(const gt_sim_args *a, const char *cfg, size_t len, gt_trace *tr) {
    if (a->synth > 0)
        return synth_trace(a, cfg, len, tr);
    size_t n;
    char *text = read_file(a->trace, &n);
    if (!text) {
        fprintf(stderr, "gantry-sim: --trace: cannot read '%s': %s\n", a->trace, strerror(errno));
        return 2;
    }
    gt_error err;
    gt_err e = gt_trace_parse_csv(tr, text, n, a->trace, &err);
    free(text);
    return e == GT_E_OK ? check_ids(tr, a->trace) : fail("trace", &err);
}

/* Policy names --policy lists, at most; more are an error. */
#define MAX_POLICIES 8

/* One name of the --policy list (len bytes at name) into *out; 0 when unknown. */
static int policy_named(const char *name, size_t len, gt_policy *out) {
    char buf[64];
    if (len >= sizeof buf)
        return 0;
    memcpy(buf, name, len);
    buf[len] = 0;
    return gt_policy_by_name(buf, out);
}

/* The policies of --policy (default gantry) into out[0 .. MAX_POLICIES - 1]: their number,
 * or -1 after one message on stderr: an empty name (or none at all), unknown names (the
 * first 5 of them and a count), or more than MAX_POLICIES. */
static int split_policies(const char *list, gt_policy *out) {
    int n = 0, unknown = 0, empty = 0;
    gt_sb bad;
    gt_sb_init(&bad);
    list = list ? list : "gantry";
    for (const char *p = list;; p++) {
        size_t len = strcspn(p, ",");
        gt_policy pol;
        if (len == 0) {
            empty = 1;
        } else if (!policy_named(p, len, &pol)) {
            if (unknown++ < 5)
                gt_sb_printf(&bad, "%s'%.*s'", unknown > 1 ? ", " : "", (int)len, p);
        } else {
            if (n < MAX_POLICIES)
                out[n] = pol;
            n++;
        }
        p += len;
        if (!*p)
            break;
    }
    if (unknown > 5)
        gt_sb_printf(&bad, " and %d more", unknown - 5);
    if (empty)
        fprintf(stderr, "gantry-sim: --policy: %s in '%s' (known: %s)\n",
                strspn(list, ",") == strlen(list) ? "no policy named" : "an empty name", list,
                gt_policy_names());
    else if (unknown)
        fprintf(stderr, "gantry-sim: --policy: unknown %s %s (known: %s)\n",
                unknown > 1 ? "policies" : "policy", gt_sb_str(&bad), gt_policy_names());
    else if (n > MAX_POLICIES)
        fprintf(stderr, "gantry-sim: --policy: at most %d policies, got %d\n", MAX_POLICIES, n);
    gt_sb_free(&bad);
    return empty || unknown || n > MAX_POLICIES ? -1 : n;
}

static int write_svgs(const char *dir, const gt_sim_result *r, int n) {
    char path[4096];
    mkdir(dir, 0755);
    gt_sb b;
    int ok = 1;
    for (int k = 0; k < 2 && ok; k++) {
        gt_sb_init(&b);
        (k ? gt_report_svg_jct : gt_report_svg_util)(r, n, &b);
        snprintf(path, sizeof path, "%s/%s", dir, k ? "jct-cdf.svg" : "utilisation.svg");
        ok = !b.oom && write_file(path, &b);
        gt_sb_free(&b);
    }
    if (!ok)
        fprintf(stderr, "gantry-sim: --svg: cannot write '%s': %s\n", path, strerror(errno));
    return ok;
}

static int same_rejects(const gt_sim_result *x, const gt_sim_result *y) {
    if (x->rejected != y->rejected || x->rejected_other != y->rejected_other)
        return 0;
    for (int k = 0; k < GT_SIM_REJECT_KINDS; k++)
        if (x->reject[k].count != y->reject[k].count || strcmp(x->reject[k].msg, y->reject[k].msg))
            return 0;
    return 1;
}

/* A summary of the jobs the core refused, on stderr: a count and the first few reasons,
 * once when every policy refused the same jobs (the usual case: a job that fits no node
 * or exceeds its tenant's cap does so under any policy). */
static void print_rejects(const gt_sim_result *r, int n) {
    int all_same = 1;
    for (int i = 1; i < n; i++)
        all_same = all_same && same_rejects(&r[0], &r[i]);
    for (int i = 0; i < (all_same ? 1 : n); i++) {
        if (r[i].rejected == 0)
            continue;
        fprintf(stderr,
                "gantry-sim: %llu of %llu jobs rejected %s%s (they ask for what the fleet "
                "can never give):\n",
                (unsigned long long)r[i].rejected, (unsigned long long)r[i].jobs,
                all_same ? "under every policy" : "under ", all_same ? "" : r[i].policy);
        for (int k = 0; k < GT_SIM_REJECT_KINDS && r[i].reject[k].count; k++)
            fprintf(stderr, "  %6llu  %s (first: job %s)\n",
                    (unsigned long long)r[i].reject[k].count, r[i].reject[k].msg,
                    r[i].reject[k].first_id);
        if (r[i].rejected_other)
            fprintf(stderr, "  %6llu  for other reasons\n",
                    (unsigned long long)r[i].rejected_other);
    }
}

static int run_all(const gt_sim_args *a, const char *cfg, size_t len, const gt_trace *tr,
                   const gt_policy *pol, int np) {
    gt_sim_result res[MAX_POLICIES];
    gt_sim_opts o = {.timing = a->timing,
                     .checkpoint_ms = (gt_time)a->checkpoint_min * 60000, /* <= 6e13 */
                     .samples = 400,
                     .estimate_factor = a->estimate_factor,
                     .mtbf_h = a->mtbf_h,
                     .repair_h = a->repair_h,
                     .seed = (uint64_t)a->seed,
                     .autoscale = a->autoscale};
    int rc = 0, done = 0;
    for (; done < np; done++) {
        gt_error err;
        gt_err e = gt_sim_run(cfg, len, a->cluster, tr, &pol[done], &o, &res[done], &err);
        if (e != GT_E_OK) {
            fail(e == GT_E_NOMEM ? "replay" : "cluster config", &err);
            rc = e == GT_E_NOMEM ? 1 : 2;
            break;
        }
    }
    if (rc == 0) {
        gt_sb b;
        gt_sb_init(&b);
        (a->json ? gt_report_json : gt_report_table)(res, np, a->timing, &b);
        if (b.oom) {
            fputs("gantry-sim: report: out of memory\n", stderr);
            rc = 1;
        } else {
            fputs(gt_sb_str(&b), stdout);
        }
        gt_sb_free(&b);
        if (!a->quiet)
            print_rejects(res, np);
        if (rc == 0 && a->svg && !write_svgs(a->svg, res, np))
            rc = 2;
    }
    for (int i = 0; i < done; i++)
        gt_sim_result_free(&res[i]);
    return rc;
}

int main(int argc, char **argv) {
    gt_sim_args a;
    gt_error err = {0};
    if (gt_sim_args_parse(argc, argv, &a, &err) != GT_E_OK) {
        fprintf(stderr, "gantry-sim: %s (see --help)\n", err.msg);
        return 2;
    }
    if (a.help) {
        gt_sim_usage(stdout);
        return 0;
    }
    if (a.version) {
        char ver[128];
        fputs(gt_version_line("gantry-sim", ver, sizeof ver), stdout);
        return 0;
    }
    if (!a.cluster || (!a.trace == !(a.synth > 0))) {
        fprintf(stderr, "gantry-sim: need --cluster and exactly one of --trace or --synth\n");
        gt_sim_usage(stderr);
        return 2;
    }
    gt_policy pol[MAX_POLICIES];
    int np = split_policies(a.policies, pol);
    if (np < 0)
        return 2;
    size_t len;
    char *cfg = read_file(a.cluster, &len);
    if (!cfg) {
        fprintf(stderr, "gantry-sim: --cluster: cannot read '%s': %s\n", a.cluster,
                strerror(errno));
        return 2;
    }
    gt_trace tr;
    gt_trace_init(&tr);
    int rc = load_trace(&a, cfg, len, &tr);
    if (rc == 0)
        rc = run_all(&a, cfg, len, &tr, pol, np);
    gt_trace_free(&tr);
    free(cfg);
    return rc;
}
