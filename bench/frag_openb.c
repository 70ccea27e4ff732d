/* SPDX-License-Identifier: MIT
 * GPU fragmentation on the Alibaba GPU cluster trace of 2023 (openb), the experiment of the
 * FGD paper (Weng et al., "Beware of Fragmentation", USENIX ATC '23), with gantry's placement.
 *
 *   frag_openb [--nodes NODES.csv] [--pods PODS.csv] [--seeds N] [--svg OUT.svg]
 *              [--only firstfit|bestfit|gantry] [--no-memory]
 *
 * Defaults: ../shared/traces/alibaba_openb_2023_gpu_nodes.csv and _ext.csv (provenance in
 * that folder's README). The fleet: the trace's 1,213 GPU nodes (6,212 GPUs) under one
 * root; cores are counted in thousandths (the trace's cpu_milli). Arrivals: for each seed
 * 42, 43, ... the pod list is shuffled, then pods drawn from it with replacement are
 * appended until the GPUs asked for reach 130% of the fleet's; pods arrive one at a time,
 * are placed at once or dropped, and never leave. Printed: the share of the fleet's GPU
 * capacity allocated when the arrived demand reaches 100% and 130% (mean of the seeds),
 * beside the paper's six policies, for gantry's first fit, best fit, and best fit scored
 * by fragmentation (the workload learned online from the arrivals); and the placement time
 * per pod. --svg writes the allocation and fragmentation over arrived demand (seed 42).
 * --no-memory drops the pods' memory requests (a model of CPU and GPU only, as FGD's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/frag.h"
#include "core/place.h"
#include "util/rng.h"

typedef struct {
    int32_t gpus, milli, cpus;
    int64_t mem;
    uint32_t models;
} pod_t;

typedef struct {
    char sn[32], model[32];
    int cpus, gpus;
    int64_t mem;
} node_t;

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Split a CSV line in place (no quoting in these files); returns the field count. */
static int split(char *line, char **f, int max) {
    int n = 0;
    line[strcspn(line, "\r\n")] = 0;
    for (char *p = line; n < max;) {
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = 0;
        p = c + 1;
    }
    return n;
}

static node_t *load_nodes(const char *path, int *count) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "frag_openb: %s: cannot open\n", path);
        return NULL;
    }
    char line[512];
    char *fl[8];
    node_t *v = NULL;
    int n = 0, cap = 0, ln = 0;
    while (fgets(line, sizeof line, f)) {
        if (++ln == 1)
            continue;
        if (split(line, fl, 8) != 5) {
            fprintf(stderr, "frag_openb: %s:%d: want 5 fields\n", path, ln);
            exit(2);
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            v = realloc(v, sizeof *v * (size_t)cap);
            if (!v)
                exit(1);
        }
        node_t *x = &v[n++];
        snprintf(x->sn, sizeof x->sn, "%.31s", fl[0]);
        x->cpus = atoi(fl[1]);
        x->mem = atoll(fl[2]);
        x->gpus = atoi(fl[3]);
        snprintf(x->model, sizeof x->model, "%.31s", fl[4]);
    }
    fclose(f);
    *count = n;
    return v;
}

static uint32_t model_set(const gt_topo *t, char *spec) {
    uint32_t m = 0;
    for (char *p = strtok(spec, "|"); p; p = strtok(NULL, "|")) {
        int i = gt_topo_model_index(t, p);
        if (i >= 0)
            m |= 1u << i;
    }
    return m;
}

static int no_memory; /* --no-memory: pods ask for no memory (CPU and GPU only) */

static pod_t *load_pods(const char *path, const gt_topo *t, int *count) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "frag_openb: %s: cannot open\n", path);
        return NULL;
    }
    char line[1024];
    char *fl[16];
    pod_t *v = NULL;
    int n = 0, cap = 0, ln = 0;
    while (fgets(line, sizeof line, f)) {
        if (++ln == 1)
            continue;
        if (split(line, fl, 16) != 12) {
            fprintf(stderr, "frag_openb: %s:%d: want 12 fields\n", path, ln);
            exit(2);
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 8192;
            v = realloc(v, sizeof *v * (size_t)cap);
            if (!v)
                exit(1);
        }
        pod_t *x = &v[n++];
        x->gpus = atoi(fl[2]);
        x->milli = fl[6][0] ? atoi(fl[6]) : 1000;
        if (x->gpus == 0 || x->milli >= 1000)
            x->milli = 0;
        x->models = fl[7][0] ? model_set(t, fl[7]) : 0;
        x->cpus = atoi(fl[9]);
        x->mem = no_memory ? 0 : atoll(fl[10]);
    }
    fclose(f);
    *count = n;
    return v;
}

static gt_topo *build_fleet(const node_t *nodes, int n) {
    static const char *const levels[] = {"cluster", "node"};
    gt_error err;
    gt_topo *t = gt_topo_new(levels, 2, "openb", &err);
    for (int i = 0; t && i < n; i++) {
        gt_node_spec ns = {nodes[i].gpus, nodes[i].model, nodes[i].cpus, nodes[i].mem, 0, 0};
        if (gt_topo_add(t, 0, 1, nodes[i].sn, &ns, &err) == GT_NONE) {
            fprintf(stderr, "frag_openb: node %s: %s\n", nodes[i].sn, err.msg);
            exit(2);
        }
    }
    if (t && gt_topo_finalize(t, &err) != GT_E_OK) {
        fprintf(stderr, "frag_openb: fleet: %s\n", err.msg);
        exit(2);
    }
    return t;
}

static int64_t demand(const pod_t *p) {
    return p->milli ? p->milli : (int64_t)p->gpus * GT_MILLI;
}

static gt_shape shape_of(const pod_t *p) {
    gt_shape sh = {1, p->milli ? 1 : p->gpus, p->cpus, p->mem, -1, 0, p->models, p->milli, 0};
    return sh;
}

enum { POL_FIRSTFIT, POL_BESTFIT, POL_GANTRY, NPOL };
static const char *const pol_name[NPOL] = {"gantry first fit", "gantry best fit (no score)",
                                           "gantry (best fit + fragmentation)"};

#define CURVE 200 /* points of the chart per policy */

typedef struct {
    double at100, at130, us_total;
    long placed, tried;
    double curve_alloc[CURVE + 1], curve_frag[CURVE + 1];
} result_t;

/* Fleet fragmentation in thousandths, under the model (for the chart). */
static double fleet_frag(const gt_topo *t, const gt_frag_model *m) {
    double f = 0;
    for (uint32_t v = 0; v < t->nv; v++)
        if (gt_topo_is_node(t, v)) {
            gt_frag_node fn;
            gt_frag_node_of(t, v, &fn);
            f += gt_frag_of(m, &fn);
        }
    return f;
}

static void run(const node_t *nodes, int nn, const pod_t *arr, int na, int pol, int chart,
                result_t *r) {
    gt_topo *t = build_fleet(nodes, nn);
    gt_place_scratch ps;
    gt_slot out[1];
    gt_frag_model fm;
    gt_frag_init(&fm, 4096); /* as gantryd's scheduler (CORE_FRAG_HALF_LIFE) */
    if (!t || gt_place_scratch_init(&ps, t) != GT_E_OK)
        exit(1);
    if (pol == POL_GANTRY)
        ps.frag = &fm;
    int64_t cap = (int64_t)t->gpus_total[0] * GT_MILLI, asked = 0, alloc = 0;
    memset(r, 0, sizeof *r);
    r->at100 = -1;
    int next_pt = 0;
    for (int i = 0; i < na; i++) {
        gt_shape sh = shape_of(&arr[i]);
        gt_frag_observe(&fm, &sh, 1);
        double t0 = now_us();
        int ok = gt_place(t, &sh, pol == POL_FIRSTFIT ? GT_PLACE_FIRSTFIT : GT_PLACE_BESTFIT, 0,
                          &ps, out, NULL);
        r->us_total += now_us() - t0;
        r->tried++;
        if (ok) {
            gt_place_take(t, out, 0, 0);
            alloc += demand(&arr[i]);
            r->placed++;
        }
        asked += demand(&arr[i]);
        if (r->at100 < 0 && asked >= cap)
            r->at100 = 100.0 * (double)alloc / (double)cap;
        if (chart && next_pt <= CURVE && asked * CURVE >= (int64_t)next_pt * cap * 13 / 10) {
            r->curve_alloc[next_pt] = 100.0 * (double)alloc / (double)cap;
            r->curve_frag[next_pt] = 100.0 * fleet_frag(t, &fm) / (double)cap;
            next_pt++;
        }
    }
    r->at130 = 100.0 * (double)alloc / (double)cap;
    gt_error err;
    if (gt_topo_check(t, &err) != GT_E_OK) {
        fprintf(stderr, "frag_openb: fleet invariant broken: %s\n", err.msg);
        exit(1);
    }
    gt_place_scratch_free(&ps);
    gt_topo_free(t);
}

/* The arrivals for one seed: the list shuffled, then draws with replacement up to 130%. */
static pod_t *arrivals(const pod_t *pods, int np, int64_t cap, uint64_t seed, int *na) {
    int max = np * 3;
    pod_t *a = malloc(sizeof *a * (size_t)max);
    if (!a)
        exit(1);
    memcpy(a, pods, sizeof *a * (size_t)np);
    gt_rng r;
    gt_rng_seed(&r, seed);
    for (int i = np - 1; i > 0; i--) {
        int j = (int)gt_rng_below(&r, (uint64_t)i + 1);
        pod_t x = a[i];
        a[i] = a[j];
        a[j] = x;
    }
    int64_t asked = 0;
    for (int i = 0; i < np; i++)
        asked += demand(&a[i]);
    int n = np;
    while (asked * 10 < cap * 13 && n < max) {
        a[n] = pods[gt_rng_below(&r, (uint64_t)np)];
        asked += demand(&a[n++]);
    }
    *na = n;
    return a;
}

static void write_svg(const char *path, result_t res[NPOL]) {
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "frag_openb: %s: cannot write\n", path);
        return;
    }
    static const char *const color[NPOL] = {"#999999", "#1f77b4", "#d62728"};
    int W = 720, H = 420, L = 60, B = 50;
    fprintf(f,
            "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
            "font-family='sans-serif' font-size='12'>\n"
            "<text x='%d' y='20'>openb trace, seed 42: GPU capacity allocated (solid) and "
            "fragmented (dashed), %% of the fleet</text>\n",
            W, H, L);
    fprintf(f, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>\n", L, H - B, W - 20, H - B);
    fprintf(f, "<line x1='%d' y1='%d' x2='%d' y2='40' stroke='black'/>\n", L, H - B, L);
    for (int k = 0; k <= 130; k += 10)
        fprintf(f, "<text x='%.0f' y='%d' text-anchor='middle'>%d</text>\n",
                L + (W - 20 - L) * k / 130.0, H - B + 16, k);
    fprintf(f, "<text x='%d' y='%d'>arrived GPU demand, %% of capacity</text>\n", W / 2 - 80,
            H - 12);
    for (int k = 0; k <= 100; k += 20)
        fprintf(f, "<text x='%d' y='%.0f' text-anchor='end'>%d</text>\n", L - 6,
                H - B - (H - B - 40) * k / 100.0 + 4, k);
    for (int p = 0; p < NPOL; p++) {
        for (int which = 0; which < 2; which++) {
            fprintf(f, "<polyline fill='none' stroke='%s'%s points='", color[p],
                    which ? " stroke-dasharray='4 3'" : "");
            for (int i = 0; i <= CURVE; i++) {
                double y = which ? res[p].curve_frag[i] : res[p].curve_alloc[i];
                fprintf(f, "%.1f,%.1f ", L + (W - 20 - L) * (double)i / CURVE,
                        H - B - (H - B - 40) * y / 100.0);
            }
            fprintf(f, "'/>\n");
        }
        fprintf(f, "<text x='%d' y='%d' fill='%s'>%s</text>\n", L + 10, 60 + 16 * p, color[p],
                pol_name[p]);
    }
    fprintf(f, "</svg>\n");
    fclose(f);
}

int main(int argc, char **argv) {
    const char *npath = "../shared/traces/alibaba_openb_2023_gpu_nodes.csv",
               *ppath = "../shared/traces/alibaba_openb_2023_ext.csv", *svg = NULL;
    int seeds = 10, only = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--nodes") && i + 1 < argc)
            npath = argv[++i];
        else if (!strcmp(argv[i], "--pods") && i + 1 < argc)
            ppath = argv[++i];
        else if (!strcmp(argv[i], "--seeds") && i + 1 < argc)
            seeds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--svg") && i + 1 < argc)
            svg = argv[++i];
        else if (!strcmp(argv[i], "--no-memory"))
            no_memory = 1;
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            const char *w = argv[++i];
            only = !strcmp(w, "firstfit")  ? POL_FIRSTFIT
                   : !strcmp(w, "bestfit") ? POL_BESTFIT
                   : !strcmp(w, "gantry")  ? POL_GANTRY
                                           : -2;
            if (only == -2) {
                fprintf(stderr, "frag_openb: --only: expected firstfit, bestfit or gantry\n");
                return 2;
            }
        } else {
            fprintf(stderr, "usage: frag_openb [--nodes CSV] [--pods CSV] [--seeds N] [--svg OUT] "
                            "[--only firstfit|bestfit|gantry] [--no-memory]\n");
            return 2;
        }
    }
    if (seeds < 1 || seeds > 1000) {
        fprintf(stderr, "frag_openb: --seeds: must be 1 to 1000\n");
        return 2;
    }
    int nn = 0, np = 0;
    node_t *nodes = load_nodes(npath, &nn);
    if (!nodes)
        return 2;
    gt_topo *t = build_fleet(nodes, nn);
    pod_t *pods = load_pods(ppath, t, &np);
    if (!pods)
        return 2;
    int64_t cap = (int64_t)t->gpus_total[0] * GT_MILLI;
    printf("fleet: %d nodes, %d GPUs, %d models; pods: %d\n", nn, t->gpus_total[0], t->nmodels, np);
    gt_topo_free(t);
    double sum100[NPOL] = {0}, sum130[NPOL] = {0}, us[NPOL] = {0};
    long tried[NPOL] = {0};
    result_t chart[NPOL];
    for (int sd = 0; sd < seeds; sd++) {
        int na;
        pod_t *a = arrivals(pods, np, cap, 42 + (uint64_t)sd, &na);
        for (int p = 0; p < NPOL; p++) {
            if (only >= 0 && p != only)
                continue;
            result_t r;
            run(nodes, nn, a, na, p, svg && sd == 0, &r);
            sum100[p] += r.at100;
            sum130[p] += r.at130;
            us[p] += r.us_total;
            tried[p] += r.tried;
            if (svg && sd == 0)
                chart[p] = r;
        }
        free(a);
    }
    printf("\nGPU capacity allocated, %% (mean of seeds 42..%d)   at 100%%   at 130%%   "
           "us/pod\n",
           41 + seeds);
    static const struct {
        const char *name;
        double a100, a130;
    } paper[] = {{"Random", 86.30, 87.47},        {"DotProd", 90.62, 90.85},
                 {"GpuClustering", 91.65, 91.88}, {"GpuPacking", 91.78, 92.00},
                 {"BestFit", 92.86, 93.08},       {"FGD", 95.23, 95.39}};
    for (size_t i = 0; i < sizeof paper / sizeof paper[0]; i++)
        printf("  paper: %-40s %7.2f  %7.2f\n", paper[i].name, paper[i].a100, paper[i].a130);
    for (int p = 0; p < NPOL; p++)
        if (only < 0 || p == only)
            printf("  %-47s %7.2f  %7.2f  %7.1f\n", pol_name[p], sum100[p] / seeds,
                   sum130[p] / seeds, us[p] / (double)(tried[p] ? tried[p] : 1));
    if (svg) {
        write_svg(svg, chart);
        printf("\nchart: %s\n", svg);
    }
    free(pods);
    free(nodes);
    return 0;
}
