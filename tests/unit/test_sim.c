/* SPDX-License-Identifier: MIT
 * gantry-sim's engine: exact figures on hand-made traces (queueing, slowdown by span,
 * checkpointed preemption), determinism, and the reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/report.h"
#include "sim/sim.h"
#include "sim/svcload.h"
#include "srcfile.h"

/* 2 blocks x 1 domain x 1 node x 4 GPUs; a gang over both blocks runs 1.5x slower. */
static const char *fleet_yaml = "slowdown: {domain: 1.0, block: 1.0, cluster: 1.5}\n"
                                "fleet:\n"
                                "  - generate:\n"
                                "      prefix: g\n"
                                "      shape: {block: 2, domain: 1, node: 1}\n"
                                "      node: {gpus: 4, gpu_model: H100, cpus: 16}\n";

static void run(const char *csv, const char *policy, gt_time ckpt, gt_sim_result *r) {
    gt_trace tr;
    gt_trace_init(&tr);
    gt_error err;
    if (gt_trace_parse_csv(&tr, csv, strlen(csv), "t.csv", &err) != GT_E_OK)
        fail_msg("trace: %s: %s", err.where, err.msg);
    gt_policy p;
    assert_true(gt_policy_by_name(policy, &p));
    gt_sim_opts o = {.checkpoint_ms = ckpt, .samples = 400};
    if (gt_sim_run(fleet_yaml, strlen(fleet_yaml), "f.yaml", &tr, &p, &o, r, &err) != GT_E_OK)
        fail_msg("sim: %s: %s", err.where, err.msg);
    gt_trace_free(&tr);
}

static void test_queueing_figures(void **state) {
    (void)state;
    /* a: all 8 GPUs for 100 s (across blocks: 150 s); b: 4 GPUs for 50 s, waits for a. */
    const char *csv = "job_id,submit_s,gpus,duration_s,tenant,status,gpus_per_node\n"
                      "a,0,8,100,t,unknown,4\n"
                      "b,10,4,50,t,unknown,\n";
    gt_sim_result r;
    run(csv, "gantry", 0, &r);
    assert_int_equal(r.completed, 2);
    assert_float_equal(r.makespan_s, 200, 1e-9); /* a ends 150, b 150..200 */
    assert_float_equal(r.jct_mean_s, (150 + 190) / 2.0, 1e-6);
    assert_float_equal(r.wait_mean_s, (0 + 140) / 2.0, 1e-6);
    assert_float_equal(r.gpu_util, (8 * 150 + 4 * 50) / (8 * 200.0), 1e-9);
    assert_int_equal(r.gangs, 2);         /* both use more than one GPU */
    assert_int_equal(r.span_count[0], 1); /* the 8-GPU gang spans the cluster */
    assert_int_equal(r.span_count[3], 1); /* b fits one node */
    gt_sim_result_free(&r);
}

/* Pipelines: a job waits for what it depends on; the critical path follows, from the
 * dependent job that ended last, the dependency of each that ended last; a job that depends
 * on a refused one is refused. */
static void test_pipeline(void **state) {
    (void)state;
    /* prep 100 s, then train (all 8 GPUs, across blocks: 150 s); side 30 s runs alongside;
     * eval waits for train and side: starts at 250, ends 260; report afterany eval: 265 */
    const char *csv = "job_id,submit_s,gpus,duration_s,tenant,status,gpus_per_node,depends_on\n"
                      "prep,0,4,100,t,x,,\n"
                      "side,0,1,30,t,x,,\n"
                      "train,0,8,100,t,x,4,afterok:prep\n"
                      "eval,0,1,10,t,x,,afterok:train;afterok:side\n"
                      "report,5,1,5,t,x,,afterany:eval\n"
                      "huge,6,64,5,t,x,,\n"
                      "orphan,7,1,5,t,x,,afterok:huge\n";
    gt_sim_result r;
    run(csv, "gantry", 0, &r);
    assert_int_equal(r.completed, 5);
    assert_int_equal(r.rejected, 2); /* huge cannot fit; orphan depends on it */
    assert_float_equal(r.makespan_s, 265, 1e-9);
    assert_int_equal(r.dep_jobs, 4); /* train, eval, report, and orphan (refused) */
    assert_int_equal(r.critical_jobs, 4);
    assert_string_equal(r.critical_ids, "prep -> train -> eval -> report");
    assert_float_equal(r.critical_path_s, 265, 1e-9);
    gt_sb out;
    gt_sb_init(&out);
    gt_report_table(&r, 1, 0, &out);
    assert_non_null(strstr(out.s, "critical path, gantry: prep -> train -> eval -> report"));
    gt_sb_free(&out);
    gt_sim_result_free(&r);
}

static void test_checkpoint_resume(void **state) {
    (void)state;
    /* low runs 3600 s on 4 GPUs; high arrives at 1800 and needs 4 GPUs within a node; the
     * other node is busy with filler. With 10-minute checkpoints low keeps 1800 s. */
    const char *csv = "job_id,submit_s,gpus,duration_s,tenant,status,priority,estimate_s\n"
                      "filler,0,4,100000,t,unknown,normal,100000\n"
                      "low,0,4,3600,t,unknown,low,7200\n"
                      "high,1800,4,100,t,unknown,high,100\n";
    gt_sim_result a, b;
    run(csv, "gantry", 600000, &a);
    run(csv, "gantry", 0, &b);
    assert_int_equal(a.preemptions, 1);
    assert_int_equal(b.preemptions, 1);
    /* JCT: filler 100000, high 100, low 1900 + 1800 = 3700 (checkpointed) or 5500. */
    assert_float_equal(a.jct_mean_s, (100000 + 100 + 3700) / 3.0, 1e-6);
    assert_float_equal(b.jct_mean_s, (100000 + 100 + 5500) / 3.0, 1e-6);
    assert_float_equal(a.lost_gpu_hours, 0, 1e-9);
    assert_float_equal(b.lost_gpu_hours, 4 * 1800 / 3600.0, 1e-9);
    assert_float_equal(a.prio_wait_s[GT_PRIO_HIGH], 0, 1e-9);
    gt_sim_result_free(&a);
    gt_sim_result_free(&b);
}

/* Nodes fail while jobs arrive; the core requeues what ran there and everything finishes.
 * The failure process is seeded, so the figures repeat exactly. */
static void test_node_failures(void **state) {
    (void)state;
    const char *csv = "job_id,submit_s,gpus,duration_s,tenant,status\n"
                      "a,0,4,180000,t,x\n"
                      "b,0,4,180000,t,x\n"
                      "c,360000,1,3600,t,x\n";
    gt_trace tr;
    gt_trace_init(&tr);
    gt_error err;
    assert_int_equal(gt_trace_parse_csv(&tr, csv, strlen(csv), "f.csv", &err), GT_E_OK);
    gt_policy p;
    gt_policy_by_name("gantry", &p);
    gt_sim_opts o = {.checkpoint_ms = 1800000, .samples = 100, .mtbf_h = 20, .seed = 5};
    gt_sim_result r, again;
    assert_int_equal(gt_sim_run(fleet_yaml, strlen(fleet_yaml), "f", &tr, &p, &o, &r, &err),
                     GT_E_OK);
    assert_int_equal(gt_sim_run(fleet_yaml, strlen(fleet_yaml), "f", &tr, &p, &o, &again, &err),
                     GT_E_OK);
    assert_true(r.node_failures > 0);
    assert_true(r.requeues > 0);
    assert_int_equal(r.completed, 3);
    assert_true(r.jct_mean_s > (180000 + 180000 + 3600) / 3.0); /* failures cost time */
    assert_int_equal(again.node_failures, r.node_failures);
    assert_float_equal(again.jct_mean_s, r.jct_mean_s, 0);
    gt_sim_result_free(&r);
    gt_sim_result_free(&again);
    gt_trace_free(&tr);
}

/* A failed node that takes 10^9 hours to repair: the replay still ends, and the
 * utilisation series stays within GT_SIM_MAX_SAMPLES (it used to grow by one point per
 * virtual minute up to the repair, gigabytes, until realloc failed). */
static void test_long_repair_bounded(void **state) {
    (void)state;
    const char *csv = "job_id,submit_s,gpus,duration_s,tenant,status\n"
                      "a,0,4,180000,t,x\n"
                      "b,0,4,180000,t,x\n"
                      "c,360000,1,3600,t,x\n";
    gt_trace tr;
    gt_trace_init(&tr);
    gt_error err;
    assert_int_equal(gt_trace_parse_csv(&tr, csv, strlen(csv), "r.csv", &err), GT_E_OK);
    gt_policy p;
    gt_policy_by_name("gantry", &p);
    gt_sim_opts o = {.samples = 400, .mtbf_h = 20, .repair_h = 1e9, .seed = 5};
    gt_sim_result r;
    assert_int_equal(gt_sim_run(fleet_yaml, strlen(fleet_yaml), "f", &tr, &p, &o, &r, &err),
                     GT_E_OK);
    assert_true(r.node_failures > 0);
    assert_true(r.nutil > 0 && r.nutil <= GT_SIM_MAX_SAMPLES);
    for (uint32_t k = 1; k < r.nutil; k++)
        assert_true(r.util_t[k] > r.util_t[k - 1]);
    gt_sim_result_free(&r);
    gt_trace_free(&tr);
}

/* Nodes fail until the last submission (a job the fleet can never hold) and take 1,000
 * hours to repair: the makespan still ends at the last job's end (every finished job came
 * at 0, so at its completion time), and utilisation divides by that span: GPU-time held
 * by the tenants / (8 GPUs x makespan). It used to run to the last repair. */
static void test_makespan_ends_with_jobs(void **state) {
    (void)state;
    const char *csv = "job_id,submit_s,gpus,duration_s,tenant,status\n"
                      "a,0,4,36000,t,x\n"
                      "b,0,4,36000,t,x\n"
                      "c,0,1,3600,t,x\n"
                      "never,360000,100000,10,t,x\n";
    gt_trace tr;
    gt_trace_init(&tr);
    gt_error err;
    assert_int_equal(gt_trace_parse_csv(&tr, csv, strlen(csv), "m.csv", &err), GT_E_OK);
    gt_policy p;
    gt_policy_by_name("gantry", &p);
    gt_sim_opts o = {.samples = 100, .mtbf_h = 20, .repair_h = 1000, .seed = 3};
    gt_sim_result r;
    assert_int_equal(gt_sim_run(fleet_yaml, strlen(fleet_yaml), "f", &tr, &p, &o, &r, &err),
                     GT_E_OK);
    assert_true(r.node_failures > 0);
    assert_int_equal(r.completed, 3);
    assert_int_equal(r.rejected, 1);
    assert_float_equal(r.makespan_s, r.jct[r.njct - 1], 1);
    double held = 0;
    for (uint32_t t = 0; t < r.ntenants; t++)
        held += r.tenants[t].gpu_hours;
    assert_float_equal(r.gpu_util * 8 * r.makespan_s / 3600, held, 1e-6);
    assert_true(r.nutil > 0 && r.util_t[r.nutil - 1] <= r.makespan_s / 3600);
    gt_sim_result_free(&r);
    gt_trace_free(&tr);
}

/* A replay of 2.5 years at one-minute buckets (1.3 million of them) keeps at most
 * GT_SIM_MAX_SAMPLES, merged in pairs: the 8-GPU gang (slowed 1.5x across blocks) holds
 * the whole fleet for 1.5 years, then the 4-GPU job half of it for a year. Every bucket
 * reads 1 or 0.5 but the one where they meet, and the series still averages to the
 * utilisation. */
static void test_samples_halve(void **state) {
    (void)state;
    const char *csv = "job_id,submit_s,gpus,duration_s,tenant,status,gpus_per_node\n"
                      "a,0,8,31536000,t,x,4\n"
                      "b,0,4,31536000,t,x,\n";
    gt_sim_result r;
    run(csv, "fifo", 0, &r);
    assert_int_equal(r.completed, 2);
    assert_float_equal(r.makespan_s, 2.5 * 31536000, 1e-6);
    assert_true(r.nutil > GT_SIM_MAX_SAMPLES / 2 && r.nutil <= GT_SIM_MAX_SAMPLES);
    double period_h = r.util_t[1] - r.util_t[0], sum = 0;
    int between = 0;
    for (uint32_t k = 0; k < r.nutil; k++) {
        assert_float_equal(r.util_t[k], period_h * (k + 1), 1e-6);
        between += r.util_v[k] != 1.0 && r.util_v[k] != 0.5;
        sum += r.util_v[k];
    }
    assert_true(between <= 1);
    assert_true(r.util_t[r.nutil - 1] <= r.makespan_s / 3600 + 1e-9);
    assert_true(r.util_t[r.nutil - 1] > r.makespan_s / 3600 - period_h);
    assert_float_equal(sum / r.nutil, r.gpu_util, 1.0 / r.nutil);
    gt_sim_result_free(&r);
}

/* The points of the first polyline in svg (its "x,y" pairs); the text of the first point
 * whose y is `y` in *hit (NULL: none). */
static size_t svg_points(const char *svg, const char *y, const char **hit) {
    const char *p = strstr(svg, "points=\""), *end = p ? strchr(p + 8, '"') : NULL;
    assert_non_null(end);
    size_t n = 0;
    *hit = NULL;
    for (const char *q = p + 8; q < end; q++) {
        if (*q != ',')
            continue;
        n++;
        if (!*hit && !strncmp(q + 1, y, strlen(y)) && q[1 + strlen(y)] == ' ')
            *hit = q;
    }
    return n;
}

/* Charts stay small whatever the length of their series (one job of ten years gave a
 * 63 MB utilisation.svg of 5 million points): a million points become at most 2,000, the
 * lowest and highest of each run, so a one-minute peak to 100% (y = 40.0, the top of the
 * plot) still shows, and the CDF still reaches 100% of the jobs. */
static void test_svg_small(void **state) {
    (void)state;
    gt_sim_result r;
    memset(&r, 0, sizeof r);
    snprintf(r.policy, sizeof r.policy, "gantry");
    uint32_t n = 1000000;
    r.util_t = malloc(n * sizeof *r.util_t);
    r.util_v = calloc(n, sizeof *r.util_v);
    r.jct = malloc(n * sizeof *r.jct);
    assert_true(r.util_t && r.util_v && r.jct);
    for (uint32_t k = 0; k < n; k++) {
        r.util_t[k] = (k + 1) / 60.0;
        r.jct[k] = (float)k;
    }
    r.util_v[n / 2 + 123] = 1.0;
    r.nutil = n;
    r.njct = n;
    const char *hit;
    gt_sb b;
    gt_sb_init(&b);
    gt_report_svg_util(&r, 1, &b);
    assert_true(b.len < 1000000);
    assert_true(svg_points(gt_sb_str(&b), "40.0", &hit) <= 2000);
    assert_non_null(hit);
    gt_sb_free(&b);
    gt_report_svg_jct(&r, 1, &b);
    assert_true(b.len < 1000000);
    assert_true(svg_points(gt_sb_str(&b), "40.0", &hit) <= 2000);
    assert_non_null(hit);
    gt_sb_free(&b);
    gt_sim_result_free(&r);
}

/* --autoscale: a service of 1..4 one-GPU replicas running two days follows its load curve:
 * it scales (both ways), holds fewer GPUs than 4 all the time (most of all at night), is
 * sometimes short of its load (the up window), and the replay is deterministic. The load
 * curve itself stays within 0 .. 1.5 x max and is lowest at 04:00. */
static void test_autoscale(void **state) {
    (void)state;
    const char *csv = "job_id,submit_s,gpus,duration_s,tenant,status,kind,count,min_count\n"
                      "web,0,1,172800,t,x,serve,4,1\n";
    gt_trace tr;
    gt_trace_init(&tr);
    gt_error err;
    assert_int_equal(gt_trace_parse_csv(&tr, csv, strlen(csv), "a.csv", &err), GT_E_OK);
    gt_policy p;
    gt_policy_by_name("gantry", &p);
    gt_sim_opts o = {.samples = 100, .autoscale = 1};
    gt_sim_result r, again;
    assert_int_equal(gt_sim_run(fleet_yaml, strlen(fleet_yaml), "f", &tr, &p, &o, &r, &err),
                     GT_E_OK);
    assert_int_equal(gt_sim_run(fleet_yaml, strlen(fleet_yaml), "f", &tr, &p, &o, &again, &err),
                     GT_E_OK);
    assert_int_equal(r.svc_autoscaled, 1);
    assert_true(r.svc_scalings >= 4); /* up and down, each day */
    assert_float_equal(r.svc_hours, 48, 0.1);
    assert_true(r.svc_lent_gpu_hours > 48);     /* more than one idle replica on average */
    assert_true(r.svc_lent_gpu_hours < 3 * 48); /* never fewer than 1 replica */
    assert_true(r.svc_lent_night_gpu_hours > r.svc_lent_gpu_hours / 3); /* 8 h of 24 */
    assert_true(r.svc_under_hours > 0 && r.svc_under_hours < 48);
    assert_int_equal(again.svc_scalings, r.svc_scalings);
    assert_float_equal(again.svc_lent_gpu_hours, r.svc_lent_gpu_hours, 0);
    assert_int_equal(r.completed, 1);
    gt_sim_result_free(&r);
    gt_sim_result_free(&again);
    gt_trace_free(&tr);
    for (gt_time t = 0; t < 48 * 3600000LL; t += 600000) {
        double l = sim_svc_load(1, 4, t);
        assert_true(l >= 0 && l <= 6.0 + 1e-9);
    }
    assert_true(sim_svc_load(7, 4, 4 * 3600000LL) < sim_svc_load(7, 4, 16 * 3600000LL));
}

/* The sample trace on the small fleet under every policy: everything accounted for, and
 * the same inputs give byte-identical JSON. */
static char *read_src(const char *rel, size_t *len) {
    char path[1024];
    src_path(path, sizeof path, rel);
    char *text = read_file(path, len);
    if (!text)
        fail_msg("cannot read %s", path);
    return text;
}

static void test_sample_deterministic(void **state) {
    (void)state;
    size_t cl, tl;
    char *cfg = read_src("examples/fleet-small.yaml", &cl),
         *csv = read_src("tests/data/sample.csv", &tl);
    gt_trace tr;
    gt_trace_init(&tr);
    gt_error err;
    assert_int_equal(gt_trace_parse_csv(&tr, csv, tl, "sample.csv", &err), GT_E_OK);
    const char *names[] = {"fifo", "fifo-bf", "gantry", "gantry-firstfit", "gantry-nopreempt"};
    gt_sim_result r[5], again;
    gt_sim_opts o = {.checkpoint_ms = 1800000, .samples = 100};
    for (int i = 0; i < 5; i++) {
        gt_policy p;
        assert_true(gt_policy_by_name(names[i], &p));
        assert_int_equal(gt_sim_run(cfg, cl, "small", &tr, &p, &o, &r[i], &err), GT_E_OK);
        assert_int_equal(r[i].jobs, tr.n);
        assert_int_equal(r[i].completed + r[i].failed + r[i].rejected + r[i].unfinished, tr.n);
        assert_true(r[i].completed > 0);
    }
    gt_policy p;
    gt_policy_by_name("gantry", &p);
    assert_int_equal(gt_sim_run(cfg, cl, "small", &tr, &p, &o, &again, &err), GT_E_OK);
    gt_sb a, b;
    gt_sb_init(&a);
    gt_sb_init(&b);
    gt_report_json(&r[2], 1, 0, &a);
    gt_report_json(&again, 1, 0, &b);
    assert_string_equal(gt_sb_str(&a), gt_sb_str(&b));
    char jobs[32]; /* counts are integers, not "30.0" */
    snprintf(jobs, sizeof jobs, "\"jobs\": %zu,", tr.n);
    assert_non_null(strstr(gt_sb_str(&a), jobs));
    gt_sb_free(&a);
    gt_report_table(r, 5, 0, &a);
    for (int i = 0; i < 5; i++)
        assert_non_null(strstr(gt_sb_str(&a), names[i]));
    gt_sb_free(&b);
    gt_report_svg_util(r, 5, &b);
    assert_non_null(strstr(gt_sb_str(&b), "<svg"));
    assert_non_null(strstr(gt_sb_str(&b), "<polyline"));
    assert_non_null(strstr(gt_sb_str(&b), "gantry-firstfit"));
    gt_sb_free(&b);
    gt_report_svg_jct(r, 5, &b);
    assert_non_null(strstr(gt_sb_str(&b), "</svg>"));
    gt_sb_free(&a);
    gt_sb_free(&b);
    for (int i = 0; i < 5; i++)
        gt_sim_result_free(&r[i]);
    gt_sim_result_free(&again);
    gt_trace_free(&tr);
    free(cfg);
    free(csv);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queueing_figures),
        cmocka_unit_test(test_pipeline),
        cmocka_unit_test(test_checkpoint_resume),
        cmocka_unit_test(test_node_failures),
        cmocka_unit_test(test_autoscale),
        cmocka_unit_test(test_sample_deterministic),
        cmocka_unit_test(test_long_repair_bounded),
        cmocka_unit_test(test_samples_halve),
        cmocka_unit_test(test_makespan_ends_with_jobs),
        cmocka_unit_test(test_svg_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
