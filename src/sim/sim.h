/* SPDX-License-Identifier: MIT
 * gantry-sim's engine: replay a trace on a fleet through the core with a virtual clock.
 *
 * Events at the same virtual time are applied together (arrivals in trace order, then
 * unit ends in the order they were scheduled), then one scheduling pass runs. A started
 * train gang runs duration x slowdown[span level]; a task runs its duration; a service
 * runs its duration from its first start. A training gang that is stopped (preempted,
 * node lost) resumes from its last checkpoint, taken every opts.checkpoint_ms of progress;
 * tasks and replicas start over. A unit that would outlive its time limit is
 * stopped at the limit and counts as failed. With opts.mtbf_h, nodes fail as a Poisson
 * process (fleet rate = nodes / MTBF, a uniformly chosen node each time, seeded) until the
 * last submission, each down for opts.repair_h: the core requeues what ran there. Everything is a
 * function of (config, trace, policy): the same inputs give byte-identical reports. Wall-clock
 * timing of passes is measured only when asked (opts.timing) and is reported apart from the
 * results. */
#ifndef GT_SIM_SIM_H
#define GT_SIM_SIM_H

#include "core/config.h"
#include "core/sched.h"
#include "sim/trace.h"

typedef struct {
    int timing;             /* measure each pass's wall time */
    gt_time checkpoint_ms;  /* training saves progress this often; 0: never */
    int samples;            /* utilisation buckets over the arrivals (default 400) */
    double estimate_factor; /* jobs with no estimate get duration x this; 0: none */
    double mtbf_h;          /* mean hours between failures of one node; 0: no failures */
    double repair_h;        /* hours a failed node stays down (0: 4 h) */
    uint64_t seed;          /* of the failure process */
    int autoscale;          /* services follow a load curve (svcload.h) */
} gt_sim_opts;

typedef struct {
    char name[48];
    uint64_t jobs, done;
    double jct_sum_s, wait_sum_s, gpu_hours;
} gt_sim_tenant;

/* Jobs the core refused at submission, grouped by its message (the first few distinct
 * ones; later distinct messages only count in rejected_other). */
#define GT_SIM_REJECT_KINDS 3
typedef struct {
    char msg[200];     /* "where: message" */
    char first_id[64]; /* the first job refused with it */
    uint64_t count;
} gt_sim_reject;

typedef struct {
    char policy[24];
    int64_t fleet_gpus, fleet_cores, fleet_nodes;
    uint64_t jobs, rejected, completed, failed, unfinished;
    gt_sim_reject reject[GT_SIM_REJECT_KINDS];
    uint64_t rejected_other; /* rejections whose message is not in reject[] */
    double jct_mean_s, jct_p50_s, jct_p99_s;
    double wait_mean_s, wait_p50_s, wait_p99_s;
    double makespan_s; /* from the first submission to the last job's end */
    /* Pipelines (a trace's depends_on): jobs that wait on others, and the critical path:
     * from the job with dependencies that ended last, back through the dependency of each
     * that ended last, to a job without any; its length runs from that first job's
     * submission to the last one's end, and `critical_ids` names its jobs "a -> b -> c" */
    uint64_t dep_jobs;
    double critical_path_s;
    uint32_t critical_jobs;
    char critical_ids[200];
    double gpu_util; /* GPU-time allocated / (GPUs x makespan) */
    double cpu_util;
    double gpu_util_window, cpu_util_window; /* between the first and last submission */
    double fragmentation; /* time-average share of GPUs free but unusable by any waiting gang */
    uint64_t preemptions, requeues, node_failures;
    double lost_gpu_hours;
    uint64_t prio_done[GT_NPRIO];
    double prio_wait_s[GT_NPRIO];       /* sums, by priority class */
    uint64_t gangs;                     /* started multi-GPU train gangs */
    uint64_t span_count[GT_MAX_LEVELS]; /* ... by span level */
    int nlevels;
    char level_names[GT_MAX_LEVELS][24];
    gt_sim_tenant *tenants;
    uint32_t ntenants;
    /* Series for charts. */
    double *util_t, *util_v; /* bucket ends in hours since start, allocated GPU share */
    uint32_t nutil;          /* at most GT_SIM_MAX_SAMPLES */
    float *jct;              /* sorted completion times of finished jobs, seconds */
    uint64_t njct;
    /* Timing (opts.timing). */
    uint64_t passes, decisions;
    double wall_s, pass_p50_us, pass_p99_us, pass_max_us, decisions_per_s;
    double decision_p50_us, decision_p99_us; /* pass time / its decisions */
    uint64_t peak_rss_kb;
    /* Services under opts.autoscale (svcload.h). */
    uint64_t svc_autoscaled, svc_scalings;
    double svc_hours, svc_lent_gpu_hours, svc_lent_night_gpu_hours, svc_under_hours;
} gt_sim_result;

/* The utilisation series holds at most this many buckets, each at least a minute long
 * (opts.samples of them over the arrivals). When it is full, neighbouring buckets merge in
 * pairs and the bucket length doubles, so a replay of any length keeps a bounded series. */
#define GT_SIM_MAX_SAMPLES 4096

/* Run one replay. cfg_text is parsed afresh (the fleet is mutated by the run). On error
 * (a bad config, GT_E_NOMEM when the replay runs out of memory) *res holds nothing to
 * free. */
gt_err gt_sim_run(const char *cfg_text, size_t cfg_len, const char *cfg_name, const gt_trace *trace,
                  const gt_policy *pol, const gt_sim_opts *opts, gt_sim_result *res, gt_error *err);
void gt_sim_result_free(gt_sim_result *r);

#endif
