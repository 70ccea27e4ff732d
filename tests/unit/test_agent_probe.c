/* SPDX-License-Identifier: MIT
 * agent/probe.c: a probe's verdict from its checks' results, on a fake clock (time is an
 * argument). The first check is due initial_delay after the start, the next one a period
 * after each result, never two at once; success_threshold passes in a row pass it,
 * failure_threshold failures in a row fail it; a readiness probe starts unknown (not
 * ready), no probe at all is always passing. And sys/probe.c's checks against real
 * processes and a real socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/agent_int.h"
#include "sys/probe.h"

static gt_proto_probe probe_cfg(uint32_t fail, uint32_t pass) {
    gt_proto_probe c = {.kind = GT_PROTO_PROBE_COMMAND,
                        .period_ms = 1000,
                        .timeout_ms = 500,
                        .initial_delay_ms = 5000,
                        .failure_threshold = fail,
                        .success_threshold = pass};
    return c;
}

static void test_timing(void **state) {
    (void)state;
    gt_proto_probe cfg = probe_cfg(3, 1);
    agent_probe p;
    agent_probe_init(&p, &cfg, 100);
    assert_int_equal(p.state, AGENT_PROBE_UNKNOWN);
    assert_false(agent_probe_due(&p, 5099));
    assert_true(agent_probe_due(&p, 5100));
    p.out = 1; /* handed to a prober: not due again until its result */
    assert_false(agent_probe_due(&p, 9000));
    assert_true(agent_probe_result(&p, 1, NULL, 9000)); /* UNKNOWN -> PASSING */
    assert_int_equal(p.state, AGENT_PROBE_PASSING);
    assert_false(agent_probe_due(&p, 9999));
    assert_true(agent_probe_due(&p, 10000));
}

static void test_thresholds(void **state) {
    (void)state;
    gt_proto_probe cfg = probe_cfg(3, 2);
    agent_probe p;
    agent_probe_init(&p, &cfg, 0);
    assert_false(agent_probe_result(&p, 1, NULL, 1));
    assert_true(agent_probe_result(&p, 1, NULL, 2)); /* two passes in a row */
    assert_false(agent_probe_result(&p, 0, "HTTP 503", 3));
    assert_false(agent_probe_result(&p, 1, NULL, 4)); /* a pass breaks the run of failures */
    assert_false(agent_probe_result(&p, 0, "HTTP 503", 5));
    assert_false(agent_probe_result(&p, 0, "HTTP 503", 6));
    assert_int_equal(p.state, AGENT_PROBE_PASSING);
    assert_true(agent_probe_result(&p, 0, "connection refused", 7));
    assert_int_equal(p.state, AGENT_PROBE_FAILING);
    assert_string_equal(p.detail, "connection refused");
    assert_int_equal(p.fails, 3);
    assert_false(agent_probe_result(&p, 1, NULL, 8)); /* one pass is not two */
    assert_true(agent_probe_result(&p, 1, NULL, 9));
    assert_int_equal(p.checks, 9);
}

static void test_no_probe(void **state) {
    (void)state;
    gt_proto_probe none = {0};
    agent_probe p;
    agent_probe_init(&p, &none, 0);
    assert_int_equal(p.state, AGENT_PROBE_PASSING);
    assert_false(agent_probe_due(&p, 1000000));
}

static const char *const env_[] = {"PATH=/usr/bin:/bin", NULL};

static void test_command_probe(void **state) {
    (void)state;
    char why[200] = "";
    const char *ok[] = {"true", NULL}, *bad[] = {"sh", "-c", "exit 4", NULL},
               *slow[] = {"sleep", "5", NULL}, *none[] = {"no-such-command-xyz", NULL};
    gt_probe_cmd c = {.argv = ok, .envp = env_, .timeout_ms = 2000};
    assert_int_equal(gt_probe_command(&c, why, sizeof why), 1);
    c.argv = bad;
    assert_int_equal(gt_probe_command(&c, why, sizeof why), 0);
    assert_string_equal(why, "exit code 4");
    c.argv = slow;
    c.timeout_ms = 200;
    assert_int_equal(gt_probe_command(&c, why, sizeof why), 0);
    assert_string_equal(why, "timed out after 0.2 s");
    c.argv = none;
    assert_int_equal(gt_probe_command(&c, why, sizeof why), 0);
    assert_non_null(strstr(why, "cannot run 'no-such-command-xyz'"));
}

static void test_port_busy(void **state) {
    (void)state;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s, 1), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    int port = ntohs(a.sin_port);
    assert_int_equal(gt_port_busy(port), 1);
    close(s);
    assert_int_equal(gt_port_busy(port), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timing),    cmocka_unit_test(test_thresholds),
        cmocka_unit_test(test_no_probe),  cmocka_unit_test(test_command_probe),
        cmocka_unit_test(test_port_busy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
