/* SPDX-License-Identifier: MIT
 * The agent's units on fake processes and a fake clock (sys/proc.h's gt_proc_fake, a->clock):
 * a start gives each rank its environment (ranks, ports) and reports the starts with the
 * unit's ports; ranks that end well make one exit event for the node, a failed rank its own
 * at once; a unit past its time limit is stopped and its exit says TIMEOUT; a rank that
 * ignores SIGTERM is killed when the grace ends; a restarted agent adopts the running unit
 * with its ports and never starts it twice; a stop item stops it. No process, no controller:
 * the agent's own code, driven step by step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent_int.h"

static int64_t now_ms;
static int64_t fake_clock(void) {
    return now_ms;
}

static char dir_[256];

static agent *new_agent(void) {
    agent *a = calloc(1, sizeof *a);
    assert_non_null(a);
    snprintf(a->state_dir, sizeof a->state_dir, "%s", dir_);
    a->o.state_dir = a->state_dir;
    a->o.quiet = 1;
    a->o.ports_lo = 31000;
    a->o.ports_hi = 31009;
    a->procs = &gt_proc_fake;
    a->clock = fake_clock;
    a->proto = 2;
    return a;
}

static void free_agent(agent *a) {
    agent_units_free(a);
    agent_records_free(a);
    agent_events_free(a);
    free(a);
}

static int setup(void **state) {
    (void)state;
    snprintf(dir_, sizeof dir_, "/tmp/gt-agent-units.XXXXXX");
    assert_non_null(mkdtemp(dir_));
    char p[300];
    snprintf(p, sizeof p, "%s/runs", dir_);
    mkdir(p, 0711);
    snprintf(p, sizeof p, "%s/done", dir_);
    mkdir(p, 0711);
    now_ms = 1000;
    gt_proc_fake_reset();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir_);
    assert_int_equal(system(cmd), 0);
    gt_proc_fake_reset();
    return 0;
}

static char *argv_[] = {"python3", "serve.py"};
static char *ports_[] = {"http", "metrics"};

/* A start item for unit `unit` of job 7: `nranks` ranks on node n1. */
static gt_proto_start start_item(uint32_t unit, uint32_t nranks, int64_t limit_ms) {
    gt_proto_start s = {.job = 7,
                        .unit = unit,
                        .gen = 1,
                        .node = strdup("n1"),
                        .world_size = nranks,
                        .local_world_size = nranks,
                        .nnodes = 1,
                        .master_addr = strdup("127.0.0.1"),
                        .master_port = 29500,
                        .nranks = nranks};
    s.ranks = calloc(nranks, sizeof *s.ranks);
    for (uint32_t i = 0; i < nranks; i++)
        s.ranks[i] = (gt_proto_rank){i, i, 1ull << i, 1};
    gt_proto_launch *l = &s.launch;
    l->name = strdup("web");
    l->tenant = strdup("t");
    l->kind = strdup("serve");
    l->argv = calloc(2, sizeof *l->argv);
    l->argv[0] = strdup(argv_[0]);
    l->argv[1] = strdup(argv_[1]);
    l->argc = 2;
    l->grace_ms = 5000;
    l->duration_ms = -1;
    l->time_limit_ms = limit_ms;
    l->ports = calloc(2, sizeof *l->ports);
    l->ports[0] = strdup(ports_[0]);
    l->ports[1] = strdup(ports_[1]);
    l->nports = 2;
    return s;
}

static const gt_proto_event *event(const agent *a, size_t i) {
    assert_true(i < a->ev.nevents);
    return &a->ev.events[i];
}

static void test_start_env_and_events(void **state) {
    (void)state;
    agent *a = new_agent();
    gt_proto_start m = start_item(3, 2, 0);
    agent_unit_start(a, &m);
    assert_int_equal(a->nunits, 1);
    assert_int_equal(gt_proc_fake_spawned(), 2);
    a_unit *u = a->units[0];
    assert_string_equal(gt_proc_fake_env(&u->ranks[1].proc, "RANK"), "1");
    assert_string_equal(gt_proc_fake_env(&u->ranks[1].proc, "CUDA_VISIBLE_DEVICES"), "1");
    assert_string_equal(gt_proc_fake_env(&u->ranks[0].proc, "PORT"), "31000");
    assert_string_equal(gt_proc_fake_env(&u->ranks[0].proc, "GANTRY_PORTS"),
                        "http=31000,metrics=31001");
    assert_string_equal(gt_proc_fake_env(&u->ranks[0].proc, "GANTRY_PORT_METRICS"), "31001");
    assert_string_equal(gt_proc_fake_env(&u->ranks[0].proc, "GANTRY_UNIT"), "3");
    assert_int_equal(a->ev.nevents, 2);
    assert_int_equal(event(a, 0)->kind, GT_PROTO_EV_STARTED);
    assert_int_equal(event(a, 0)->nports, 2);
    assert_int_equal(event(a, 0)->ports[1].port, 31001);
    /* A second unit on the node gets the next free ports. */
    gt_proto_start m2 = start_item(4, 1, 0);
    agent_unit_start(a, &m2);
    assert_string_equal(gt_proc_fake_env(&a->units[1]->ranks[0].proc, "PORT"), "31002");
    /* The same start again: never twice. */
    gt_proto_start again = start_item(3, 2, 0);
    agent_unit_start(a, &again);
    assert_int_equal(gt_proc_fake_spawned(), 3);
    free_agent(a);
}

static void test_exits(void **state) {
    (void)state;
    agent *a = new_agent();
    gt_proto_start m = start_item(0, 2, 0);
    agent_unit_start(a, &m);
    a_unit *u = a->units[0];
    agent_events_free(a); /* (the started events are not what this test looks at) */
    gt_proc_fake_end(&u->ranks[0].proc, 0, 0, NULL);
    agent_units_tick(a);
    assert_int_equal(a->ev.nevents, 0); /* waits for the other rank: one event per node */
    gt_proc_fake_end(&u->ranks[1].proc, 0, 0, NULL);
    agent_units_tick(a);
    assert_int_equal(a->ev.nevents, 1);
    assert_int_equal(event(a, 0)->kind, GT_PROTO_EV_EXITED);
    assert_int_equal(event(a, 0)->ranks, 2);
    assert_int_equal(event(a, 0)->exit_code, 0);
    /* A failed rank is reported at once, alone. */
    gt_proto_start m2 = start_item(1, 2, 0);
    agent_unit_start(a, &m2);
    size_t before = a->ev.nevents;
    gt_proc_fake_end(&a->units[1]->ranks[1].proc, 3, 0, NULL);
    agent_units_tick(a);
    assert_int_equal(a->ev.nevents, before + 1);
    assert_int_equal(event(a, before)->exit_code, 3);
    assert_int_equal(event(a, before)->rank, 1);
    assert_int_equal(event(a, before)->ranks, 1);
    free_agent(a);
}

static void test_time_limit_and_grace(void **state) {
    (void)state;
    agent *a = new_agent();
    gt_proto_start m = start_item(0, 1, 60000);
    agent_unit_start(a, &m);
    agent_events_free(a);
    now_ms += 59999;
    agent_units_tick(a);
    assert_int_equal(a->ev.nevents, 0);
    now_ms += 1;
    agent_units_tick(a); /* the limit: SIGTERM, which the fake rank obeys */
    assert_int_equal(a->ev.nevents, 1);
    assert_int_equal(event(a, 0)->signal, 15);
    assert_non_null(strstr(event(a, 0)->reason, "TIMEOUT: ran past its time limit of 60 s"));
    /* One that ignores SIGTERM is killed when its 5 s of grace end. */
    gt_proc_fake_stubborn(1);
    gt_proto_start m2 = start_item(1, 1, 0);
    agent_unit_start(a, &m2);
    a_unit *u = a->units[1];
    agent_unit_stop(a, u, 5000);
    agent_units_tick(a);
    assert_int_equal(a->ev.nevents, 2); /* (the started event of unit 1) */
    now_ms += 4999;
    agent_units_tick(a);
    assert_int_equal(a->ev.nevents, 2);
    now_ms += 1;
    agent_units_tick(a); /* the tick sends SIGKILL ... */
    agent_units_tick(a); /* ... and the next poll sees the end */
    assert_int_equal(a->ev.nevents, 3);
    assert_int_equal(event(a, 2)->signal, 9);
    free_agent(a);
}

static void test_adopt_after_restart(void **state) {
    (void)state;
    agent *a = new_agent();
    gt_proto_start m = start_item(5, 1, 0);
    agent_unit_start(a, &m);
    int spawned = gt_proc_fake_spawned();
    /* The agent goes away (its units keep running) and a new one starts on the folder. */
    agent_units_free(a);
    agent_events_free(a);
    free(a);
    agent *b = new_agent();
    agent_records_load(b);
    agent_units_adopt(b);
    assert_int_equal(b->nunits, 1);
    a_unit *u = b->units[0];
    assert_int_equal(u->unit, 5);
    assert_int_equal(u->nports, 2);
    assert_int_equal(u->ports[0].port, 31000);
    assert_int_equal(u->ranks[0].state, AGENT_RANK_RUNNING);
    gt_proto_start again = start_item(5, 1, 0);
    agent_unit_start(b, &again); /* the controller's full set names it again */
    assert_int_equal(gt_proc_fake_spawned(), spawned);
    /* A stop item stops it; the end is reported. */
    agent_unit_stop(b, u, 1000);
    agent_units_tick(b);
    assert_int_equal(b->ev.nevents, 1);
    assert_int_equal(event(b, 0)->kind, GT_PROTO_EV_EXITED);
    assert_int_equal(event(b, 0)->signal, 15);
    free_agent(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_start_env_and_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_limit_and_grace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adopt_after_restart, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
