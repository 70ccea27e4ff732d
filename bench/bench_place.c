/* SPDX-License-Identifier: MIT
 * Placement latency on a large fleet at 80% occupancy.
 *
 *   bench_place [FLEET.yaml] [OCCUPANCY]     (defaults: examples/fleet-large.yaml, 0.8)
 *
 * Fills the fleet through the scheduler with a mix of 1-64 GPU jobs until OCCUPANCY of the
 * GPUs are held, then times gt_place (search only; the fleet is not changed) for gangs of
 * 1 .. 1024 GPUs, best fit and first fit, and prints median and p99 per size and the
 * span each placement got; then single-node requests scored by fragmentation (a GPU, a
 * quarter of one, CPU work), as the scheduler places them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/frag.h"
#include "core/sched.h"
#include "util/rng.h"

#define REPS 2001

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b)
        b[n] = 0;
    *len = (size_t)n;
    return b;
}

/* Submit random jobs and run passes until `occ` of the GPUs are held. */
static void fill(gt_sched *s, const gt_topo *t, double occ, gt_rng *r) {
    static const int sizes[] = {1, 1, 1, 2, 2, 4, 4, 4, 8, 16, 32, 64};
    gt_time now = 0;
    size_t n;
    while (t->gpus_total[0] - t->gpus_free[0] < occ * t->gpus_total[0]) {
        for (int i = 0; i < 2000; i++) {
            gt_jobspec sp;
            gt_jobspec_init(&sp);
            sp.gpus = sizes[gt_rng_below(r, sizeof sizes / sizeof sizes[0])];
            gt_error err;
            gt_sched_submit(s, &sp, now, &err);
        }
        gt_sched_pass(s, now++, &n);
    }
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void measure(const gt_topo *t, int gpus, gt_place_mode mode, gt_place_scratch *ps,
                    gt_slot *out, double *lat) {
    int per = gpus < 4 ? gpus : 4;
    gt_shape sh = {gpus / per, per, per, 0, -1, 0, 0, 0, 0};
    int spans[GT_MAX_LEVELS] = {0}, ok = 0;
    for (int i = 0; i < REPS; i++) {
        uint32_t span = 0;
        double t0 = now_us();
        int r = gt_place(t, &sh, mode, 0, ps, out, &span);
        lat[i] = now_us() - t0;
        if (r) {
            ok++;
            spans[t->level[span]]++;
        }
    }
    qsort(lat, REPS, sizeof *lat, cmp);
    printf("%-9s %6d %6d %10.2f %10.2f %8s", mode == GT_PLACE_BESTFIT ? "best-fit" : "first-fit",
           gpus, sh.nodes, lat[REPS / 2], lat[REPS * 99 / 100], ok ? "yes" : "no");
    for (int l = t->nlevels - 1; l >= 0; l--)
        if (spans[l])
            printf("  %s", t->level_names[l]);
    printf("\n");
}

/* One node's worth, scored by fragmentation (the scheduler's default for such units): a whole
 * GPU, a quarter of one, CPU work. */
static void measure_scored(const gt_topo *t, gt_place_scratch *ps, gt_slot *out, double *lat) {
    static const struct {
        const char *what;
        gt_shape sh;
    } shapes[] = {{"1 GPU", {1, 1, 1, 0, -1, 0, 0, 0, 0}},
                  {"1/4 GPU", {1, 1, 1, 0, -1, 0, 0, 250, 0}},
                  {"4 cores", {1, 0, 4, 0, -1, 0, 0, 0, 0}}};
    gt_frag_model m;
    gt_frag_init(&m, 4096);
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        gt_frag_observe(&m, &shapes[i].sh, 100);
    gt_shape four = {1, 4, 4, 0, -1, 0, 0, 0, 0};
    gt_frag_observe(&m, &four, 100);
    ps->frag = &m;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        int ok = 0;
        for (int k = 0; k < REPS; k++) {
            double t0 = now_us();
            ok += gt_place(t, &shapes[i].sh, GT_PLACE_BESTFIT, 0, ps, out, NULL);
            lat[k] = now_us() - t0;
        }
        qsort(lat, REPS, sizeof *lat, cmp);
        printf("%-9s %6s %6d %10.2f %10.2f %8s  (%s)\n", "scored", "-", 1, lat[REPS / 2],
               lat[REPS * 99 / 100], ok ? "yes" : "no", shapes[i].what);
    }
    ps->frag = NULL;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "examples/fleet-large.yaml";
    double occ = argc > 2 ? atof(argv[2]) : 0.8;
    size_t len;
    char *text = slurp(path, &len);
    gt_config *cfg;
    gt_error err;
    if (!text || gt_config_parse(text, len, path, &cfg, &err) != GT_E_OK) {
        fprintf(stderr, "bench_place: cannot load %s\n", path);
        return 1;
    }
    gt_policy pol;
    gt_policy_by_name("gantry", &pol);
    gt_sched *s = gt_sched_new(cfg, &pol);
    gt_rng r;
    gt_rng_seed(&r, 7);
    double t0 = now_us();
    fill(s, cfg->topo, occ, &r);
    const gt_topo *t = cfg->topo;
    printf("fleet %s: %d GPUs, %u nodes; %.1f%% of GPUs held after filling (%.1f s)\n", path,
           t->gpus_total[0], t->nnodes,
           100.0 * (t->gpus_total[0] - t->gpus_free[0]) / t->gpus_total[0], (now_us() - t0) / 1e6);
    printf("%-9s %6s %6s %10s %10s %8s  %s\n", "mode", "gpus", "nodes", "median us", "p99 us",
           "placed", "span");
    gt_place_scratch ps;
    gt_place_scratch_init(&ps, t);
    gt_slot *out = malloc(sizeof *out * 1024);
    double *lat = malloc(sizeof *lat * REPS);
    const int gangs[] = {1, 4, 8, 64, 256, 1024};
    for (size_t g = 0; g < sizeof gangs / sizeof gangs[0]; g++) {
        measure(t, gangs[g], GT_PLACE_BESTFIT, &ps, out, lat);
        measure(t, gangs[g], GT_PLACE_FIRSTFIT, &ps, out, lat);
    }
    measure_scored(t, &ps, out, lat);
    free(out);
    free(lat);
    gt_place_scratch_free(&ps);
    gt_sched_free(s);
    gt_config_free(cfg);
    free(text);
    return 0;
}
