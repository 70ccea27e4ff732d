/* SPDX-License-Identifier: MIT
 * proto/: the controller <-> agent messages. Every message round-trips (encode, decode,
 * equal); the JSON that gantryd and gantry-agent sent before the module existed (no
 * "proto" field) still decodes, as version 1; a bad field is refused with its path; the
 * version check names both versions and which side to upgrade. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"

static char *argv_[] = {"python3", "-c", "print('a b \\\" ü')", ""};
static gt_proto_env env_[] = {{"PATH", "/usr/bin"}, {"EMPTY", ""}, {"X", "a=b"}};
static gt_proto_rank ranks_[] = {{8, 0, 0x3, 4}, {9, 1, 1ull << 63, 4}};
static gt_proto_host hosts_[] = {{"10.0.0.1", 8}, {"node-b.example", 2}};

static gt_proto_start full_start(void) {
    gt_proto_start m = {.job = 7,
                        .unit = 3,
                        .gen = 2,
                        .node = "b0d0n1",
                        .world_size = 10,
                        .local_world_size = 2,
                        .node_rank = 1,
                        .nnodes = 2,
                        .master_addr = "10.0.0.1",
                        .master_port = 29500,
                        .cpus = 8,
                        .restarts = 4,
                        .ranks = ranks_,
                        .nranks = 2,
                        .hosts = hosts_,
                        .nhosts = 2};
    m.launch = (gt_proto_launch){.name = "llm",
                                 .tenant = "research",
                                 .kind = "train",
                                 .argv = argv_,
                                 .argc = 4,
                                 .env = env_,
                                 .nenv = 3,
                                 .workdir = "/tmp/w d",
                                 .user = "alice",
                                 .grace_ms = 2500,
                                 .duration_ms = 60000,
                                 .time_limit_ms = 7200000,
                                 .memory_mb = 4096,
                                 .pids_max = 512};
    return m;
}

static void decode_item_ok(const char *text, gt_proto_item *out) {
    gt_error err = {0};
    if (gt_proto_item_decode(text, strlen(text), out, &err) != GT_E_OK)
        fail_msg("decode '%s': %s: %s", text, err.where, err.msg);
}

static void test_start_round_trips(void **state) {
    (void)state;
    gt_proto_item in = {.kind = GT_PROTO_ITEM_START, .start = full_start()}, out, again;
    char *text = gt_proto_item_encode(&in);
    assert_non_null(text);
    decode_item_ok(text, &out);
    assert_true(gt_proto_item_equal(&in, &out));
    assert_int_equal(out.start.ranks[1].gpus, 1ull << 63);
    assert_string_equal(out.start.launch.argv[2], "print('a b \\\" ü')");
    assert_string_equal(out.start.launch.env[2].value, "a=b");
    char *text2 = gt_proto_item_encode(&out);
    assert_string_equal(text, text2);
    /* The launch written once (an array's tasks share it) gives the same item. */
    char *fields = gt_proto_launch_fields(&in.start.launch);
    assert_non_null(fields);
    assert_non_null(strstr(fields, "\"name\":\"llm\""));
    assert_true(fields[0] == '"');
    in.start.launch_fields = fields;
    char *text3 = gt_proto_item_encode(&in);
    assert_string_equal(text, text3);
    free(text3);
    free(fields);
    /* A deep copy is equal and owns its own memory. */
    gt_proto_start copy;
    assert_int_equal(gt_proto_start_copy(&out.start, &copy), GT_E_OK);
    gt_proto_item_free(&out);
    again = (gt_proto_item){.kind = GT_PROTO_ITEM_START, .start = copy};
    assert_true(gt_proto_item_equal(&in, &again));
    gt_proto_item_free(&again);
    gt_proto_item_free(&again); /* freeing twice is harmless */
    free(text);
    free(text2);
}

/* A share of one GPU round-trips; one on several ranks or GPUs is refused with the field. */
static void test_share_start_round_trips(void **state) {
    (void)state;
    gt_proto_rank one[] = {{0, 0, 1ull << 2, 2}};
    gt_proto_item in = {.kind = GT_PROTO_ITEM_START, .start = full_start()}, out;
    in.start.ranks = one;
    in.start.nranks = 1;
    in.start.gpu_milli = 250;
    in.start.gpu_memory_mb = 2048;
    char *text = gt_proto_item_encode(&in);
    assert_non_null(strstr(text, "\"gpu_milli\":250"));
    decode_item_ok(text, &out);
    assert_true(gt_proto_item_equal(&in, &out));
    assert_int_equal(out.start.gpu_memory_mb, 2048);
    gt_proto_start copy;
    assert_int_equal(gt_proto_start_copy(&out.start, &copy), GT_E_OK);
    assert_int_equal(copy.gpu_milli, 250);
    gt_proto_start_free(&copy);
    gt_proto_item_free(&out);
    free(text);
    in.start = full_start(); /* two ranks: not a share */
    in.start.gpu_milli = 500;
    text = gt_proto_item_encode(&in);
    gt_error err = {0};
    assert_int_equal(gt_proto_item_decode(text, strlen(text), &out, &err), GT_E_INVALID);
    assert_non_null(strstr(err.where, "gpu_milli"));
    assert_non_null(strstr(err.msg, "one rank with one GPU"));
    free(text);
}

static char *ports_[] = {"http", "metrics"};
static char *probe_argv_[] = {"test", "-f", "/tmp/alive"};

/* A service's start: ports and both kinds of probe survive the round trip. */
static void test_serve_start_round_trips(void **state) {
    (void)state;
    gt_proto_item in = {.kind = GT_PROTO_ITEM_START, .start = full_start()}, out;
    gt_proto_launch *l = &in.start.launch;
    l->kind = "serve";
    l->ports = ports_;
    l->nports = 2;
    l->readiness =
        (gt_proto_probe){GT_PROTO_PROBE_HTTP, "/ready", "metrics", NULL, 0, 250, 100, 1500, 2, 1};
    l->liveness =
        (gt_proto_probe){GT_PROTO_PROBE_COMMAND, NULL, NULL, probe_argv_, 3, 10000, 1000, 0, 3, 1};
    l->scale = (gt_proto_scale){"model_requests_in_flight", "metrics", "/m", 2.5, 500, 0, 60000};
    l->progress_ms = 1500;
    l->progress_file = "beat";
    char *text = gt_proto_item_encode(&in);
    decode_item_ok(text, &out);
    assert_true(gt_proto_item_equal(&in, &out));
    assert_int_equal(out.start.launch.progress_ms, 1500);
    gt_proto_start copy;
    assert_int_equal(gt_proto_start_copy(&out.start, &copy), GT_E_OK);
    assert_string_equal(copy.launch.progress_file, "beat");
    assert_string_equal(copy.launch.liveness.argv[2], "/tmp/alive");
    assert_string_equal(copy.launch.readiness.port, "metrics");
    gt_proto_start_free(&copy);
    gt_proto_item_free(&out);
    free(text);
    /* A service without ports gets "http"; probe timings take their defaults. */
    decode_item_ok("{\"op\":\"start\",\"job\":1,\"unit\":0,\"gen\":0,\"node\":\"n\","
                   "\"ranks\":[{\"rank\":0}],\"kind\":\"serve\",\"readiness\":{\"http\":"
                   "{\"path\":\"/\",\"port\":\"http\"}}}",
                   &out);
    assert_int_equal(out.start.launch.nports, 1);
    assert_string_equal(out.start.launch.ports[0], "http");
    assert_int_equal(out.start.launch.readiness.period_ms, 10000);
    assert_int_equal(out.start.launch.readiness.timeout_ms, 1000);
    assert_int_equal(out.start.launch.readiness.failure_threshold, 3);
    assert_int_equal(out.start.launch.readiness.success_threshold, 1);
    assert_int_equal(out.start.launch.liveness.kind, GT_PROTO_PROBE_NONE);
    assert_null(out.start.launch.scale.metric);
    gt_proto_item_free(&out);
    /* scale's defaults: the first port, /metrics, 1 s, 30 s up, 600 s down. */
    decode_item_ok("{\"op\":\"start\",\"job\":1,\"unit\":0,\"gen\":0,\"node\":\"n\","
                   "\"ranks\":[{\"rank\":0}],\"kind\":\"serve\",\"scale\":{\"metric\":\"q\","
                   "\"target\":3}}",
                   &out);
    const gt_proto_scale *sc = &out.start.launch.scale;
    assert_string_equal(sc->port, "http");
    assert_string_equal(sc->path, "/metrics");
    assert_true(sc->target == 3.0);
    assert_int_equal(sc->period_ms, 1000);
    assert_int_equal(sc->up_ms, 30000);
    assert_int_equal(sc->down_ms, 600000);
    gt_proto_item_free(&out);
    /* Other kinds get no port unless they ask. */
    decode_item_ok("{\"op\":\"start\",\"job\":1,\"unit\":0,\"gen\":0,\"node\":\"n\","
                   "\"ranks\":[{\"rank\":0}]}",
                   &out);
    assert_int_equal(out.start.launch.nports, 0);
    gt_proto_item_free(&out);
}

static void test_stop_round_trips(void **state) {
    (void)state;
    gt_proto_item in = {.kind = GT_PROTO_ITEM_STOP,
                        .stop = {.job = 1,
                                 .unit = 2,
                                 .gen = 3,
                                 .node = "n",
                                 .reason = "preempted",
                                 .grace_ms = 30000}},
                  out;
    char *text = gt_proto_item_encode(&in);
    decode_item_ok(text, &out);
    assert_true(gt_proto_item_equal(&in, &out));
    gt_proto_item_free(&out);
    free(text);
    /* No grace: -1 both ways. */
    decode_item_ok("{\"op\":\"stop\",\"job\":1,\"unit\":0,\"gen\":0,\"node\":\"n\"}", &out);
    assert_int_equal(out.stop.grace_ms, -1);
    assert_string_equal(out.stop.reason, "");
    gt_proto_item_free(&out);
}

/* The start item gantryd sent before proto/ existed (items.c's json_pack), verbatim. */
static void test_old_start_item_decodes(void **state) {
    (void)state;
    const char *old =
        "{\"op\":\"start\",\"job\":0,\"unit\":0,\"gen\":0,\"node\":\"local\",\"ranks\":[{\"rank\":"
        "0,"
        "\"local_rank\":0,\"gpus\":[0],\"cpus\":1},{\"rank\":1,\"local_rank\":1,\"gpus\":[1],"
        "\"cpus\":1}],\"world_size\":2,\"local_world_size\":2,\"node_rank\":0,\"nnodes\":1,"
        "\"master_addr\":\"127.0.0.1\",\"master_port\":29400,\"hosts\":[{\"host\":\"127.0.0.1\","
        "\"slots\":2}],\"cpus\":1,\"restarts\":0,\"name\":\"train\",\"tenant\":\"default\","
        "\"kind\":\"train\",\"command\":[\"sh\",\"-c\",\"echo hi\"],\"env\":{\"A\":\"1\"},"
        "\"workdir\":\"/tmp\",\"grace_s\":2.5,\"time_limit_s\":60}";
    gt_proto_item m;
    decode_item_ok(old, &m);
    assert_int_equal(m.kind, GT_PROTO_ITEM_START);
    assert_int_equal(m.start.nranks, 2);
    assert_int_equal(m.start.ranks[1].gpus, 2);
    assert_int_equal(m.start.launch.grace_ms, 2500);
    assert_int_equal(m.start.launch.time_limit_ms, 60000);
    assert_int_equal(m.start.launch.duration_ms, -1);
    assert_null(m.start.launch.user);
    assert_string_equal(m.start.launch.env[0].key, "A");
    gt_proto_item_free(&m);
}

static void test_register_round_trips(void **state) {
    (void)state;
    gt_proto_node nodes[] = {{"n1", 4, 32, 65536, "H100", NULL, 1},
                             {"cpu1", 0, 96, 1 << 20, "", "spot", 0}};
    gt_proto_register in = {GT_PROTO_VERSION, "host-a:1", "http://10.0.0.1:7071", nodes, 2}, out;
    char *text = gt_proto_register_encode(&in);
    gt_error err = {0};
    assert_int_equal(gt_proto_register_decode(text, strlen(text), &out, &err), GT_E_OK);
    assert_true(gt_proto_register_equal(&in, &out));
    gt_proto_register_free(&out);
    free(text);
    /* An agent from before the version field: version 1. */
    const char *old = "{\"agent\":\"a\",\"url\":\"\",\"nodes\":[{\"name\":\"local\",\"gpus\":4,"
                      "\"gpu_model\":\"fake\",\"cpus\":2,\"memory_mb\":1024}]}";
    assert_int_equal(gt_proto_register_decode(old, strlen(old), &out, &err), GT_E_OK);
    assert_int_equal(out.proto, 1);
    assert_int_equal(out.nodes[0].gpus, 4);
    gt_proto_register_free(&out);
}

static void test_events_round_trip(void **state) {
    (void)state;
    gt_proto_event evs[] = {
        {.kind = GT_PROTO_EV_STARTED,
         .job = 1,
         .unit = 2,
         .gen = 0,
         .rank = 5,
         .node = "n",
         .pid = 4242},
        {.kind = GT_PROTO_EV_EXITED,
         .job = 1,
         .unit = 2,
         .rank = 5,
         .node = "n",
         .exit_code = 137,
         .signal = 9,
         .reason = "OUT_OF_MEMORY: went over",
         .ranks = 1},
        {.kind = GT_PROTO_EV_EXITED, .job = 3, .node = "n", .reason = "", .ranks = 8},
        {.kind = GT_PROTO_EV_STARTED,
         .job = 4,
         .node = "n",
         .pid = 7,
         .ports = (gt_proto_port[]){{"http", 20001}, {"metrics", 65535}},
         .nports = 2},
        {.kind = GT_PROTO_EV_READY, .job = 4, .node = "n", .reason = ""},
        {.kind = GT_PROTO_EV_UNREADY, .job = 4, .node = "n", .reason = "HTTP 503 from /ready"},
        {.kind = GT_PROTO_EV_METRIC, .job = 4, .node = "n", .reason = "", .value = 2.75},
        {.kind = GT_PROTO_EV_METRIC,
         .job = 4,
         .node = "n",
         .reason = "no such metric",
         .value = -1},
        {.kind = GT_PROTO_EV_PORT, .job = 4, .node = "n", .reason = "nothing listens on it"},
        {.kind = GT_PROTO_EV_PORT, .job = 4, .node = "n", .reason = ""}};
    gt_proto_events in = {"agent-1", 99, evs, 10}, out;
    char *text = gt_proto_events_encode(&in);
    gt_error err = {0};
    assert_int_equal(gt_proto_events_decode(text, strlen(text), &out, &err), GT_E_OK);
    assert_true(gt_proto_events_equal(&in, &out));
    assert_int_equal(out.events[3].ports[1].port, 65535);
    assert_string_equal(out.events[5].reason, "HTTP 503 from /ready");
    assert_true(out.events[6].value == 2.75);
    assert_string_equal(out.events[7].reason, "no such metric");
    assert_int_equal(out.events[8].kind, GT_PROTO_EV_PORT);
    assert_string_equal(out.events[8].reason, "nothing listens on it");
    gt_proto_events_free(&out);
    free(text);
}

static void test_welcome_and_batch(void **state) {
    (void)state;
    gt_proto_item in = {.kind = GT_PROTO_ITEM_START, .start = full_start()};
    char *item = gt_proto_item_encode(&in);
    const char *items[] = {item, "{\"op\":\"stop\",\"job\":7,\"unit\":3,\"gen\":2,\"node\":\"x\"}"};
    gt_proto_rename rn = {"host-7", "spot-n003"};
    gt_proto_welcome hdr = {.proto = GT_PROTO_VERSION,
                            .session = 123,
                            .heartbeat_s = 5,
                            .lease_s = 4,
                            .renames = &rn,
                            .nrenames = 1,
                            .logs_key = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"};
    char *w = gt_proto_welcome_encode(&hdr, items, 2);
    gt_proto_welcome wm;
    gt_error err = {0};
    assert_int_equal(gt_proto_welcome_decode(w, strlen(w), &wm, &err), GT_E_OK);
    assert_int_equal(wm.session, 123);
    assert_int_equal(wm.heartbeat_s, 5);
    assert_int_equal(wm.lease_s, 4);
    assert_int_equal(wm.nrenames, 1);
    assert_string_equal(wm.renames[0].from, "host-7");
    assert_string_equal(wm.renames[0].to, "spot-n003");
    assert_string_equal(wm.logs_key, "0f1e2d3c4b5a69788796a5b4c3d2e1f0");
    assert_int_equal(wm.nitems, 2);
    assert_true(gt_proto_item_equal(&in, &wm.items[0]));
    assert_int_equal(wm.items[1].kind, GT_PROTO_ITEM_STOP);
    gt_proto_welcome_free(&wm);
    char *b = gt_proto_batch_encode(42, items, 2);
    gt_proto_batch bm;
    assert_int_equal(gt_proto_batch_decode(b, strlen(b), &bm, &err), GT_E_OK);
    assert_int_equal(bm.seq, 42);
    assert_int_equal(bm.nitems, 2);
    gt_proto_batch_free(&bm);
    /* A controller from before the version field: version 1. */
    const char *old = "{\"session\":1,\"heartbeat_s\":5,\"seq\":0,\"items\":[]}";
    assert_int_equal(gt_proto_welcome_decode(old, strlen(old), &wm, &err), GT_E_OK);
    assert_int_equal(wm.proto, 1);
    assert_null(wm.logs_key); /* nor a logs key: the agent serves logs to its node token */
    gt_proto_welcome_free(&wm);
    free(item);
    free(w);
    free(b);
}

/* Bad fields: refused, with the field's path. */
static void test_health_round_trips(void **state) {
    (void)state;
    gt_proto_node_health nodes[] = {{"n1", 1, ""}, {"n2", 0, "gpu 3: XID 79 (fell off the bus)"}};
    gt_proto_health in = {"agent-1", 7, nodes, 2}, out;
    char *text = gt_proto_health_encode(&in);
    gt_error err = {0};
    assert_int_equal(gt_proto_health_decode(text, strlen(text), &out, &err), GT_E_OK);
    assert_true(gt_proto_health_equal(&in, &out));
    assert_false(out.nodes[1].healthy);
    gt_proto_health_free(&out);
    free(text);
    static const struct {
        const char *text, *where;
    } bad[] = {
        {"{\"nodes\":[]}", "nodes"},
        {"{\"nodes\":[{\"node\":\"n\"}]}", "nodes[0].healthy"},
        {"{\"nodes\":[{\"node\":\"n\",\"healthy\":1}]}", "nodes[0].healthy"},
        {"{\"nodes\":[{\"healthy\":true}]}", "nodes[0].node"},
        {"{\"nodes\":[{\"node\":\"n\",\"healthy\":false,\"reason\":3}]}", "nodes[0].reason"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(gt_proto_health_decode(bad[i].text, strlen(bad[i].text), &out, &err),
                         GT_E_INVALID);
        assert_string_equal(err.where, bad[i].where);
        assert_null(out.nodes);
    }
}

static void test_bad_fields_are_named(void **state) {
    (void)state;
    static const struct {
        const char *text, *where;
        gt_err code;
    } cases[] = {
        {"[1]", "message", GT_E_INVALID},
        {"{\"op\":", "message", GT_E_PARSE},
        {"{\"op\":\"go\"}", "op", GT_E_INVALID},
        {"{\"op\":\"stop\",\"unit\":0,\"gen\":0,\"node\":\"n\"}", "job", GT_E_INVALID},
        {"{\"op\":\"stop\",\"job\":-1,\"unit\":0,\"gen\":0,\"node\":\"n\"}", "job", GT_E_INVALID},
        {"{\"op\":\"stop\",\"job\":1,\"unit\":0,\"gen\":0,\"node\":\"n\",\"grace_s\":\"x\"}",
         "grace_s", GT_E_INVALID},
        {"{\"op\":\"start\",\"job\":1,\"unit\":0,\"gen\":0,\"node\":\"n\",\"ranks\":[]}", "ranks",
         GT_E_INVALID},
        {"{\"op\":\"start\",\"job\":1,\"unit\":0,\"gen\":0,\"node\":\"n\",\"ranks\":[{\"rank\":0,"
         "\"gpus\":[0,64]}]}",
         "ranks[0].gpus[1]", GT_E_INVALID},
        {"{\"op\":\"start\",\"job\":1,\"unit\":0,\"gen\":0,\"node\":\"n\",\"ranks\":[{\"rank\":0}],"
         "\"command\":[\"a\",3]}",
         "command[1]", GT_E_INVALID},
        {"{\"op\":\"start\",\"job\":1,\"unit\":0,\"gen\":0,\"node\":\"n\",\"ranks\":[{\"rank\":0}],"
         "\"env\":{\"A\":1}}",
         "env.A", GT_E_INVALID},
        {"{\"op\":\"start\",\"job\":1,\"unit\":0,\"gen\":0,\"node\":\"n\",\"ranks\":[{\"rank\":0}],"
         "\"hosts\":[{\"host\":\"h\"},{\"host\":1}]}",
         "hosts[1].host", GT_E_INVALID},
        {"{\"op\":\"stop\",\"job\":1,\"job\":2,\"unit\":0,\"gen\":0,\"node\":\"n\"}", "message",
         GT_E_PARSE},
        {"{\"op\":\"start\",\"job\":1,\"unit\":0,\"gen\":0,\"node\":\"n\",\"ranks\":[{\"rank\":0,"
         "\"gpus\":[1,1]}]}",
         "ranks[0].gpus[1]", GT_E_INVALID},
        {"{\"op\":\"start\",\"job\":1,\"unit\":0,\"gen\":0,\"node\":\"n\",\"ranks\":[{\"rank\":0}],"
         "\"ports\":[\"a\",\"\"]}",
         "ports[1]", GT_E_INVALID},
        {"{\"op\":\"start\",\"job\":1,\"unit\":0,\"gen\":0,\"node\":\"n\",\"ranks\":[{\"rank\":0}],"
         "\"readiness\":{\"http\":{\"path\":\"/\"}}}",
         "readiness.http.port", GT_E_INVALID},
        {"{\"op\":\"start\",\"job\":1,\"unit\":0,\"gen\":0,\"node\":\"n\",\"ranks\":[{\"rank\":0}],"
         "\"liveness\":{\"command\":[]}}",
         "liveness.command", GT_E_INVALID},
        {"{\"op\":\"start\",\"job\":1,\"unit\":0,\"gen\":0,\"node\":\"n\",\"ranks\":[{\"rank\":0}],"
         "\"liveness\":{\"command\":[\"x\"],\"failure_threshold\":0}}",
         "liveness.failure_threshold", GT_E_INVALID},
        {"{\"op\":\"start\",\"job\":1,\"unit\":0,\"gen\":0,\"node\":\"n\",\"ranks\":[{\"rank\":0}],"
         "\"liveness\":{\"command\":[\"x\"],\"period_s\":0}}",
         "liveness.period_s", GT_E_INVALID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gt_proto_item m;
        gt_error err = {0};
        gt_err e = gt_proto_item_decode(cases[i].text, strlen(cases[i].text), &m, &err);
        if (e != cases[i].code || strcmp(err.where, cases[i].where) || !err.msg[0])
            fail_msg("case %zu: got %s at '%s' (%s), want %s at '%s'", i, gt_err_name(e), err.where,
                     err.msg, gt_err_name(cases[i].code), cases[i].where);
        assert_int_equal(m.kind, 0); /* nothing left behind */
    }
    const char *evs = "{\"events\":[{\"type\":\"exited\",\"job\":1,\"unit\":0,\"gen\":0,"
                      "\"rank\":0},{\"type\":\"born\"}]}";
    gt_proto_events em;
    gt_error err = {0};
    assert_int_equal(gt_proto_events_decode(evs, strlen(evs), &em, &err), GT_E_INVALID);
    assert_string_equal(err.where, "events[1].type");
    assert_null(em.events);
    const char *zero = "{\"proto\":0,\"agent\":\"a\",\"nodes\":[{\"name\":\"n\"}]}";
    gt_proto_register zm;
    assert_int_equal(gt_proto_register_decode(zero, strlen(zero), &zm, &err), GT_E_INVALID);
    assert_string_equal(err.where, "proto"); /* absent is 1; an explicit 0 is no version */
    const char *r0 = "{\"events\":[{\"type\":\"exited\",\"job\":1,\"unit\":0,\"gen\":0,"
                     "\"rank\":0,\"ranks\":0}]}";
    assert_int_equal(gt_proto_events_decode(r0, strlen(r0), &em, &err), GT_E_INVALID);
    assert_string_equal(err.where, "events[0].ranks");
    const char *reg = "{\"agent\":\"a\",\"nodes\":[{\"name\":\"n\"},{\"gpus\":1}]}";
    gt_proto_register rm;
    assert_int_equal(gt_proto_register_decode(reg, strlen(reg), &rm, &err), GT_E_INVALID);
    assert_string_equal(err.where, "nodes[1].name");
    assert_null(rm.nodes);
    const char *pt = "{\"events\":[{\"type\":\"started\",\"job\":1,\"unit\":0,\"gen\":0,"
                     "\"rank\":0,\"ports\":{\"http\":0}}]}";
    assert_int_equal(gt_proto_events_decode(pt, strlen(pt), &em, &err), GT_E_INVALID);
    assert_string_equal(err.where, "events[0].ports.http");
}

static void test_version_check(void **state) {
    (void)state;
    gt_error err = {0};
    assert_int_equal(gt_proto_check_version(GT_PROTO_VERSION, "agent", &err), GT_E_OK);
    assert_int_equal(gt_proto_check_version(GT_PROTO_VERSION + 1, "agent", &err),
                     GT_E_PROTO_VERSION);
    assert_non_null(strstr(err.msg, "upgrade gantryd"));
    assert_int_equal(gt_proto_check_version(GT_PROTO_MIN - 1, "agent", &err), GT_E_PROTO_VERSION);
    assert_non_null(strstr(err.msg, "upgrade the agent"));
    assert_int_equal(gt_proto_check_version(GT_PROTO_VERSION + 1, "gantryd", &err),
                     GT_E_PROTO_VERSION);
    assert_non_null(strstr(err.msg, "upgrade the agent"));
    assert_string_equal(err.where, "proto");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_start_round_trips),
        cmocka_unit_test(test_stop_round_trips),
        cmocka_unit_test(test_share_start_round_trips),
        cmocka_unit_test(test_serve_start_round_trips),
        cmocka_unit_test(test_health_round_trips),
        cmocka_unit_test(test_old_start_item_decodes),
        cmocka_unit_test(test_register_round_trips),
        cmocka_unit_test(test_events_round_trip),
        cmocka_unit_test(test_welcome_and_batch),
        cmocka_unit_test(test_bad_fields_are_named),
        cmocka_unit_test(test_version_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
