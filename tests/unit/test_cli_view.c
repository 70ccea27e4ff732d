/* SPDX-License-Identifier: MIT
 * Unit tests for the CLI's human output: tables (alignment, UTF-8 widths), the views of
 * jobs, nodes, tenants and the cluster built from docs/api.md's shapes, `top`'s frame,
 * value formatting, and URL encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/fmt.h"
#include "cli/hostlist.h"
#include "cli/table.h"
#include "cli/view.h"

#define NOW 1764061530.0 /* 330 s after the example job's submission */

static const char job12[] =
    "{\"id\": 12, \"name\": \"llm\", \"tenant\": \"research\", \"kind\": \"train\", "
    "\"priority\": \"high\", \"state\": \"running\", \"held\": false, \"restarts\": 1, "
    "\"preemptions\": 2, \"submit_time\": 1764061200.123, \"start_time\": 1764061200.250, "
    "\"end_time\": null, \"units\": {\"total\": 1, \"pending\": 0, \"running\": 1, \"done\": 0, "
    "\"failed\": 0}, \"placement\": [{\"unit\": 0, \"gen\": 1, \"nodes\": [{\"node\": \"local\", "
    "\"gpus\": [0, 1, 2, 3], \"cpus\": 4}], \"failure\": {\"rank\": 1, \"exit_code\": 0, "
    "\"signal\": 9, \"reason\": \"OUT_OF_MEMORY: over 64 MiB\"}}], \"spec\": {\"name\": \"llm\", "
    "\"gpus\": 4, \"gpus_per_node\": 4, \"memory_mb\": 65536, \"time_limit_s\": 5400, "
    "\"command\": [\"python3\", \"train.py\", \"--msg\", \"it's here\"]}}";

static const char job13[] = "{\"id\": 13, \"tenant\": \"inference\", \"kind\": \"serve\", "
                            "\"priority\": \"normal\", \"state\": \"pending\", \"held\": true, "
                            "\"reason\": \"held\", "
                            "\"submit_time\": 1764061490, \"units\": {\"total\": 6, "
                            "\"running\": 0}, \"spec\": {\"gpus\": 8, \"kind\": \"serve\", "
                            "\"replicas\": {\"min\": 2, \"max\": 6}}}";

/* A running task array: four units running on five nodes (one twice), one done. */
static const char job14[] =
    "{\"id\": 14, \"name\": \"big\", \"user\": \"alice\", \"tenant\": \"research\", "
    "\"kind\": \"tasks\", \"priority\": \"normal\", \"state\": \"running\", \"held\": false, "
    "\"reason\": null, \"submit_time\": 1764050000, \"start_time\": 1764052000, \"gpus\": 16, "
    "\"units\": {\"total\": 5, \"running\": 4}, \"placement\": ["
    "{\"unit\": 0, \"state\": \"running\", \"start_time\": 1764058000, \"nodes\": "
    "[{\"node\": \"gb-b00-d01-n00\"}, {\"node\": \"gb-b00-d01-n01\"}]}, "
    "{\"unit\": 1, \"state\": \"running\", \"start_time\": 1764057930, \"nodes\": "
    "[{\"node\": \"gb-b00-d01-n02\"}]}, "
    "{\"unit\": 2, \"state\": \"done\", \"nodes\": [{\"node\": \"gb-b00-d01-n09\"}]}, "
    "{\"unit\": 3, \"state\": \"running\", \"start_time\": 1764059000, \"nodes\": "
    "[{\"node\": \"gb-b00-d01-n05\"}, {\"node\": \"gb-b00-d01-n01\"}]}], "
    "\"spec\": {\"gpus\": 4, \"kind\": \"tasks\"}}";

/* A finished one: its nodes, and how long it ran. */
static const char job15[] =
    "{\"id\": 15, \"tenant\": \"research\", \"state\": \"failed\", \"start_time\": 1764000000, "
    "\"end_time\": 1764090061, \"submit_time\": 1763990000, \"placement\": [{\"unit\": 0, "
    "\"state\": \"done\", \"nodes\": [{\"node\": \"n3\"}, {\"node\": \"n1\"}]}], "
    "\"spec\": {\"gpus\": 2, \"user\": \"bob\"}}";

static char *render(gt_table *t) {
    gt_sb b;
    gt_sb_init(&b);
    gt_table_render(t, 0, &b);
    gt_table_free(t);
    char *s = strdup(gt_sb_str(&b));
    gt_sb_free(&b);
    return s;
}

static void test_table(void **state) {
    (void)state;
    static const char *const heads[] = {"NAME", "N", "NOTE"};
    gt_table *t = gt_table_new(3, heads, "lrl");
    gt_table_add(t, "%s", "a");
    gt_table_add(t, "%d", 1000);
    gt_table_add(t, "%s", "x");
    gt_table_add(t, "%s", "été");
    gt_table_add(t, "%d", 7);
    gt_table_add(t, "%s", "");
    assert_int_equal(gt_table_rows(t), 2);
    char *s = render(t);
    assert_string_equal(s, "NAME     N  NOTE\n"
                           "a     1000  x\n"
                           "été      7  \n");
    free(s);
    assert_null(gt_table_new(0, heads, "l"));
    gt_table_free(NULL);
}

static json_t *jobs4(void) {
    return json_pack("[oooo]", json_loads(job12, 0, NULL), json_loads(job13, 0, NULL),
                     json_loads(job14, 0, NULL), json_loads(job15, 0, NULL));
}

static void test_jobs_table(void **state) {
    (void)state;
    json_t *jobs = jobs4();
    gt_error err;
    char *s = render(gt_cli_jobs_table(jobs, NOW, GT_CLI_TOP_FORMAT, &err));
    assert_string_equal(
        s, "ID  NAME  TENANT     KIND   PRIO    STATE         GPUS  UNITS  PROGRESS  AGE\n"
           "12  llm   research   train  high    running          4    1/1         -   5m\n"
           "13  -     inference  serve  normal  pending/held    48    0/6         -  40s\n"
           "14  big   research   tasks  normal  running         16    4/5        0%   3h\n"
           "15  -     research   train  normal  failed           2    0/0         -  19h\n");
    free(s);
    /* squeue's columns: USER, TIME (running: since its running units started; pending:
     * waiting; finished: start to end), NODELIST(REASON) */
    s = render(gt_cli_jobs_table(jobs, NOW, GT_CLI_JOBS_FORMAT, &err));
    assert_string_equal(
        s,
        "ID  NAME  USER   TENANT     KIND   PRIO    STATE         GPUS  UNITS        TIME  "
        "NODELIST(REASON)\n"
        "12  llm   -      research   train  high    running          4    1/1        5:29  -\n"
        "13  -     -      inference  serve  normal  pending/held    48    0/6        0:40  (held)\n"
        "14  big   alice  research   tasks  normal  running         16    4/5     1:00:00  "
        "gb-b00-d01-n[00-02,05]\n"
        "15  -     bob    research   train  normal  failed           2    0/0  1-01:01:01  "
        "n[1,3]\n");
    free(s);
    /* any columns, in any case; reason alone; parsable and without the header */
    gt_table *t = gt_cli_jobs_table(jobs, NOW, "ID,nodelist,Reason,user", &err);
    gt_table_style(t, 1, "|");
    s = render(t);
    assert_string_equal(s, "12|-|-|-\n13|-|held|-\n14|gb-b00-d01-n[00-02,05]|-|alice\n"
                           "15|n[1,3]|-|bob\n");
    free(s);
    t = gt_cli_jobs_table(jobs, NOW, "id,name", &err);
    gt_table_style(t, 0, "|");
    s = render(t);
    assert_string_equal(s, "ID|NAME\n12|llm\n13|-\n14|big\n15|-\n");
    free(s);
    assert_null(gt_cli_jobs_table(jobs, NOW, "id,colour", &err));
    assert_string_equal(err.msg,
                        "unknown column 'colour' (the columns: id, name, user, tenant, "
                        "kind, prio, state, gpus, units, progress, age, time, reason, nodelist, "
                        "nodelist(reason))");
    assert_null(gt_cli_jobs_table(jobs, NOW, "id,", &err));
    assert_string_equal(err.msg, "unknown column '' (the columns: id, name, user, tenant, kind, "
                                 "prio, state, gpus, units, progress, age, time, reason, nodelist, "
                                 "nodelist(reason))");
    assert_null(
        gt_cli_jobs_table(jobs, NOW, "id,id,id,id,id,id,id,id,id,id,id,id,id,id,id,id,id", &err));
    assert_string_equal(err.msg, "at most 16 columns");
    json_decref(jobs);
}

/* Slurm's host lists: one number per name, as ranges. */
static void expect_hosts(const char *const *names, size_t n, const char *want) {
    gt_sb b;
    gt_sb_init(&b);
    gt_cli_hostlist(names, n, &b);
    assert_string_equal(gt_sb_str(&b), want);
    gt_sb_free(&b);
}

#define HOSTS(want, ...)                                                                           \
    expect_hosts((const char *const[]){__VA_ARGS__},                                               \
                 sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *), want)

static void test_hostlist(void **state) {
    (void)state;
    expect_hosts(NULL, 0, "");
    HOSTS("local", "local");
    HOSTS("n[1-3,5]", "n5", "n2", "n1", "n3");
    HOSTS("n[1-2,10]", "n10", "n1", "n2");
    HOSTS("n[9-10]", "n10", "n9", "n9");
    HOSTS("n[08-10]", "n10", "n08", "n09");
    HOSTS("n1,n01", "n01", "n1");
    HOSTS("a,b", "b", "a", "a");
    HOSTS("a[1-2],b1", "b1", "a2", "a1");
    HOSTS("node,node[1-2]", "node2", "node", "node1");
    HOSTS("rack3-eth,rack[1-2]-ib", "rack2-ib", "rack3-eth", "rack1-ib");
    HOSTS("x[1-2],x1234567890123456789012", "x1234567890123456789012", "x2", "x1");
    const char *gb[18];
    char names[18][32];
    for (int i = 0; i < 18; i++) {
        snprintf(names[i], sizeof names[i], "gb-b00-d01-n%02d", 17 - i);
        gb[i] = names[i];
    }
    expect_hosts(gb, 18, "gb-b00-d01-n[00-17]");
}

static void test_show_job(void **state) {
    (void)state;
    json_t *job = json_loads(job12, 0, NULL);
    gt_sb b;
    gt_sb_init(&b);
    gt_cli_show_job(&b, job, NOW);
    const char *s = gt_sb_str(&b);
    const char *want[] = {
        "id:           12\n",
        "state:        running\n",
        "resources:    4 GPU(s), 4 per node, 64G memory\n",
        "units:        1: 0 pending, 1 running, 0 done, 0 failed\n",
        "history:      1 restarts, 2 preemptions\n",
        "time limit:   1h30m\n",
        "command:      python3 train.py --msg 'it'\\''s here'\n",
        "ended:        -\n",
        "placement:\n  unit 0 gen 1: local gpus 0,1,2,3 cpus 4\n",
        "failures:\n  unit 0 gen 1 rank 1: killed by signal 9 (OUT_OF_MEMORY: over 64 MiB)\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(s, want[i]))
            fail_msg("missing %s in:\n%s", want[i], s);
    assert_non_null(strstr(s, "(5m ago)"));
    gt_sb_free(&b);
    json_decref(job);
}

/* A task array's progress: 300 of 1000 ended in the 330 s since it started ("done"
 * counts the failed ones too, as the API gives it). */
static void test_task_progress(void **state) {
    (void)state;
    json_t *job =
        json_pack("{sIsssssss{sIsIsIsIsI}sfs{sssIsI}}", "id", (json_int_t)16, "kind", "tasks",
                  "state", "running", "tenant", "t", "units", "total", (json_int_t)1000, "pending",
                  (json_int_t)600, "running", (json_int_t)100, "done", (json_int_t)300, "failed",
                  (json_int_t)10, "start_time", NOW - 330, "spec", "kind", "tasks", "tasks",
                  (json_int_t)1000, "max_running", (json_int_t)100);
    gt_cli_progress p;
    assert_int_equal(gt_cli_task_progress(job, NOW, &p), 1);
    assert_int_equal(p.ended, 300);
    assert_true(p.rate > 0.909 && p.rate < 0.910);
    assert_true(p.eta_s > 769 && p.eta_s < 771); /* 700 left at 300/330 a second */
    gt_sb b;
    gt_sb_init(&b);
    gt_cli_show_job(&b, job, NOW);
    const char *s = gt_sb_str(&b);
    if (!strstr(s, "tasks:        1000, at most 100 at once\n") ||
        !strstr(s, "progress:     300 of 1000 tasks ended (30%), 0.909 a second, the rest in "
                   "about 12m50s at that rate\n"))
        fail_msg("progress lines missing in:\n%s", s);
    gt_sb_free(&b);
    json_t *jobs = json_pack("[O]", job);
    char *t = render(gt_cli_jobs_table(jobs, NOW, "id,progress", NULL));
    assert_string_equal(t, "ID   PROGRESS\n16  30% 12:50\n");
    free(t);
    /* finished: no ETA; a train job or an array of one has no progress */
    json_object_set_new(job, "state", json_string("completed"));
    json_object_set_new(json_object_get(job, "units"), "done", json_integer(1000));
    json_object_set_new(job, "end_time", json_real(NOW));
    assert_int_equal(gt_cli_task_progress(job, NOW + 100, &p), 1);
    assert_int_equal(p.ended, 1000);
    assert_true(p.eta_s == 0);
    /* cancelled tasks are settled: they count as ended, not in the rate */
    json_object_set_new(json_object_get(job, "units"), "done", json_integer(900));
    json_object_set_new(json_object_get(job, "units"), "cancelled", json_integer(100));
    assert_int_equal(gt_cli_task_progress(job, NOW + 100, &p), 1);
    assert_int_equal(p.ended, 1000);
    assert_true(p.rate > 2.72 && p.rate < 2.73); /* 900 ran in 330 s */
    gt_sb_init(&b);
    gt_cli_show_job(&b, job, NOW);
    if (!strstr(gt_sb_str(&b), "900 done, 10 failed, 100 cancelled"))
        fail_msg("cancelled tasks missing in:\n%s", gt_sb_str(&b));
    gt_sb_free(&b);
    json_object_set_new(job, "kind", json_string("train"));
    assert_int_equal(gt_cli_task_progress(job, NOW, &p), 0);
    json_decref(jobs);
    json_decref(job);
}

static void test_fleet_views(void **state) {
    (void)state;
    json_t *nodes = json_loads(
        "[{\"name\": \"n1\", \"path\": \"cluster/b0/d0/n1\", \"state\": \"up\", \"alive\": true, "
        "\"gpus\": 8, \"gpus_free\": 2, \"gpu_model\": \"H100\", \"cpus\": 64, \"cpus_free\": 60, "
        "\"memory_mb\": 1048576, \"last_heartbeat\": 1764061497, \"agent\": \"a\", "
        "\"reason\": null}, "
        "{\"name\": \"c1\", \"path\": \"cluster/cpu/c1\", \"state\": \"draining\", \"alive\": "
        "false, \"gpus\": 0, \"gpus_free\": 0, \"gpu_model\": \"\", \"cpus\": 32, \"cpus_free\": "
        "32, \"memory_mb\": 1000, \"last_heartbeat\": null, \"agent\": null, \"reason\": "
        "\"fan\"}]",
        0, NULL);
    char *s = render(gt_cli_nodes_table(nodes, NOW));
    assert_string_equal(
        s, "NAME  STATE          GPUS  MODEL   CPUS  MEMORY  SEEN  PATH              REASON\n"
           "n1    up              2/8  H100   60/64      1T   33s  cluster/b0/d0/n1  -\n"
           "c1    draining/dead   0/0  -      32/32   1000M     -  cluster/cpu/c1    fan\n");
    free(s);
    json_decref(nodes);
    json_t *tenants = json_loads("[{\"name\": \"research\", \"quota_gpus\": 64, \"limit_gpus\": 0, "
                                 "\"share\": 2, \"gpus_held\": 16, \"cpus_held\": 32, "
                                 "\"usage_gpu_hours\": 12.34, \"fairshare\": 0.5}]",
                                 0, NULL);
    s = render(gt_cli_tenants_table(tenants));
    assert_string_equal(s, "TENANT    GPUS  CPUS  QUOTA  LIMIT  SHARE  FAIRSHARE  GPU-HOURS\n"
                           "research    16    32     64      -      2      0.500       12.3\n");
    free(s);
    json_decref(tenants);
}

static const char cluster[] =
    "{\"levels\": [{\"level\": \"cluster\", \"subtrees\": 1, \"gpus\": 64, \"gpus_free\": 16, "
    "\"cpus\": 512, \"cpus_free\": 500}, {\"level\": \"domain\", \"subtrees\": 8, \"gpus\": 64, "
    "\"gpus_free\": 16, \"cpus\": 512, \"cpus_free\": 500}], \"jobs\": {\"pending\": 3, "
    "\"running\": 2}, \"nodes\": {\"up\": 8, \"draining\": 0, \"down\": 1}}";

static void test_cluster_and_top(void **state) {
    (void)state;
    json_t *c = json_loads(cluster, 0, NULL);
    char *s = render(gt_cli_levels_table(c));
    assert_string_equal(s, "LEVEL    SUBTREES  GPUS  GPUS-FREE  CPUS  CPUS-FREE\n"
                           "cluster         1    64         16   512        500\n"
                           "domain          8    64         16   512        500\n");
    free(s);
    gt_sb b;
    gt_sb_init(&b);
    gt_cli_counts(&b, "nodes", json_object_get(c, "nodes"));
    assert_string_equal(gt_sb_str(&b), "nodes: up 8, draining 0, down 1\n");
    gt_sb_free(&b);

    json_t *jobs = json_pack("[oo]", json_loads(job12, 0, NULL), json_loads(job13, 0, NULL));
    json_t *tenants = json_loads("[{\"name\": \"research\"}]", 0, NULL);
    gt_sb_init(&b);
    gt_cli_top_frame(&b, "http://h:1", c, tenants, jobs, NOW, 0);
    s = strdup(gt_sb_str(&b));
    assert_non_null(strstr(s, "gantry top  http://h:1  "));
    assert_non_null(strstr(s, "GPUs [#######################.......] 48/64 used (75%)\n"));
    assert_non_null(strstr(s, "jobs: pending 3, running 2\n"));
    assert_non_null(strstr(s, "\n12  llm "));
    assert_non_null(strstr(s, "\n13  -  "));
    gt_sb_free(&b);
    /* a short screen: the job table is cut to what fits */
    int full = 0;
    for (char *p = s; *p; p++)
        full += *p == '\n';
    free(s);
    gt_sb_init(&b);
    gt_cli_top_frame(&b, "http://h:1", c, tenants, jobs, NOW, full - 1);
    assert_non_null(strstr(gt_sb_str(&b), "\n12  llm "));
    assert_null(strstr(gt_sb_str(&b), "\n13  "));
    gt_sb_free(&b);
    json_decref(jobs);
    json_decref(tenants);
    json_decref(c);
}

static void test_fmt(void **state) {
    (void)state;
    char buf[64];
    assert_string_equal(gt_cli_fmt_age(45, buf, sizeof buf), "45s");
    assert_string_equal(gt_cli_fmt_age(600, buf, sizeof buf), "10m");
    assert_string_equal(gt_cli_fmt_age(3 * 3600, buf, sizeof buf), "3h");
    assert_string_equal(gt_cli_fmt_age(5 * 86400, buf, sizeof buf), "5d");
    assert_string_equal(gt_cli_fmt_age(-1, buf, sizeof buf), "-");
    assert_string_equal(gt_cli_fmt_duration(90, buf, sizeof buf), "1m30s");
    assert_string_equal(gt_cli_fmt_duration(0, buf, sizeof buf), "0s");
    assert_string_equal(gt_cli_fmt_duration(93784, buf, sizeof buf), "1d2h3m4s");
    assert_string_equal(gt_cli_fmt_elapsed(0, buf, sizeof buf), "0:00");
    assert_string_equal(gt_cli_fmt_elapsed(5.9, buf, sizeof buf), "0:05");
    assert_string_equal(gt_cli_fmt_elapsed(65, buf, sizeof buf), "1:05");
    assert_string_equal(gt_cli_fmt_elapsed(3599, buf, sizeof buf), "59:59");
    assert_string_equal(gt_cli_fmt_elapsed(3600, buf, sizeof buf), "1:00:00");
    assert_string_equal(gt_cli_fmt_elapsed(86399, buf, sizeof buf), "23:59:59");
    assert_string_equal(gt_cli_fmt_elapsed(90061, buf, sizeof buf), "1-01:01:01");
    assert_string_equal(gt_cli_fmt_elapsed(-3, buf, sizeof buf), "0:00");
    assert_string_equal(gt_cli_fmt_mb(0, buf, sizeof buf), "-");
    assert_string_equal(gt_cli_fmt_mb(512, buf, sizeof buf), "512M");
    assert_string_equal(gt_cli_fmt_mb(65536, buf, sizeof buf), "64G");
    assert_string_equal(gt_cli_fmt_mb(2097152, buf, sizeof buf), "2T");
    assert_string_equal(gt_cli_fmt_time(0, buf, sizeof buf), "-");
    assert_int_equal(strlen(gt_cli_fmt_time(NOW, buf, sizeof buf)), 19);
    gt_sb b;
    gt_sb_init(&b);
    gt_cli_bar(&b, 1, 4, 8);
    gt_cli_bar(&b, 5, 4, 4);
    gt_cli_bar(&b, 0, 0, 2);
    assert_string_equal(gt_sb_str(&b), "[##......][####][..]");
    gt_sb_free(&b);
}

/* `gantry wait ID` exits as the job did. */
static int wait_exit(const char *state, const char *placement) {
    char doc[512];
    snprintf(doc, sizeof doc, "{\"state\": \"%s\", \"placement\": %s}", state, placement);
    json_t *job = json_loads(doc, 0, NULL);
    assert_non_null(job);
    int x = gt_cli_wait_exit(job);
    json_decref(job);
    return x;
}

#define FAILURE(...) "[{\"unit\": 0, \"failure\": {" __VA_ARGS__ "}}]"

static void test_wait_exit(void **state) {
    (void)state;
    assert_int_equal(wait_exit("completed", "[]"), 0);
    assert_int_equal(wait_exit("cancelled", "[]"), 1);
    assert_int_equal(wait_exit("failed", "[]"), 1); /* nothing says how */
    assert_int_equal(wait_exit("failed", FAILURE("\"exit_code\": 3, \"signal\": 0")), 3);
    assert_int_equal(wait_exit("failed", FAILURE("\"exit_code\": 0, \"signal\": 9")), 137);
    assert_int_equal(wait_exit("failed", FAILURE("\"exit_code\": 0, \"signal\": 15")), 143);
    assert_int_equal(wait_exit("failed", FAILURE("\"signal\": 15, \"reason\": \"TIMEOUT: ran "
                                                 "past its time limit of 2 s\"")),
                     140);
    assert_int_equal(wait_exit("failed", FAILURE("\"signal\": 9, \"reason\": \"OUT_OF_MEMORY: "
                                                 "went over its memory limit\"")),
                     137);
    /* the cause, not the signal, decides: an OOM reported with a plain exit code */
    assert_int_equal(wait_exit("failed", FAILURE("\"exit_code\": 1, \"signal\": 0, \"reason\": "
                                                 "\"OUT_OF_MEMORY: went over its memory limit\"")),
                     137);
    assert_int_equal(wait_exit("failed", FAILURE("\"exit_code\": 127, \"reason\": "
                                                 "\"CANNOT_START: no such file\"")),
                     127);
    assert_int_equal(wait_exit("failed", FAILURE("\"exit_code\": 2, \"reason\": \"TIMEOUTS\"")),
                     2); /* not the cause's name */
    /* the first unit with a failure that tells; a completed job's failures do not count */
    assert_int_equal(wait_exit("failed", "[{\"unit\": 0}, {\"unit\": 1, \"failure\": "
                                         "{\"exit_code\": 0}}, {\"unit\": 2, \"failure\": "
                                         "{\"exit_code\": 4}}, {\"unit\": 3, \"failure\": "
                                         "{\"exit_code\": 5}}]"),
                     4);
    assert_int_equal(wait_exit("completed", FAILURE("\"exit_code\": 3")), 0);
}

static void test_urlenc(void **state) {
    (void)state;
    gt_sb b;
    gt_sb_init(&b);
    gt_cli_urlenc(&b, "node-1_a.b~c");
    gt_sb_putc(&b, '|');
    gt_cli_urlenc(&b, "a b/c?d&e=f%é");
    assert_string_equal(gt_sb_str(&b), "node-1_a.b~c|a%20b%2Fc%3Fd%26e%3Df%25%C3%A9");
    gt_sb_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),       cmocka_unit_test(test_jobs_table),
        cmocka_unit_test(test_show_job),    cmocka_unit_test(test_task_progress),
        cmocka_unit_test(test_fleet_views), cmocka_unit_test(test_cluster_and_top),
        cmocka_unit_test(test_fmt),         cmocka_unit_test(test_urlenc),
        cmocka_unit_test(test_hostlist),    cmocka_unit_test(test_wait_exit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
