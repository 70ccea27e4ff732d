/* SPDX-License-Identifier: MIT
 * gantry-agent: the node daemon. `gantry-agent` alone serves this machine as node "local"
 * to the controller on 127.0.0.1:7070, with the node token from gantry-data/node.token. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "util/version.h"

static void on_signal(int sig) {
    (void)sig;
    gt_agent_stop();
}

static void usage(FILE *f) {
    fprintf(
        f, "usage: gantry-agent [options]\n"
           "  --server URL        controller (default http://127.0.0.1:7070, env GANTRY_SERVER)\n"
           "  --token TOKEN       node token (env GANTRY_NODE_TOKEN)\n"
           "  --token-file FILE   read the token from FILE (default gantry-data/node.token)\n"
           "  --node NAME         this node's name in the cluster config (default local)\n"
           "  --state-dir DIR     unit records and logs (default gantry-agent-NODE)\n"
           "  --listen ADDR:PORT  logs endpoint (default 127.0.0.1:0)\n"
           "  --advertise HOST    address peers reach this node at (default: --listen's)\n"
           "  --fake-gpus N       GPUs to report when NVML finds none (default 4)\n"
           "  --fake-model NAME   their model (default fake)\n"
           "  --cpus N, --memory-mb N   override what discovery finds\n"
           "  --emulate N --config FILE  stand in for the first N nodes of FILE's fleet;\n"
           "                      units run for their duration_s without processes\n"
           "  --job-user NAME     user for jobs that name none, when run as root (default nobody)\n"
           "  --no-cgroups        do not put units in cgroups (default: when run as root)\n"
           "  --cgroup-parent DIR folder for units in each cgroup hierarchy (default gantry)\n"
           "  --keep-logs-s N     keep a finished unit's record and logs N seconds (default\n"
           "                      604800, 7 days)\n"
           "  --shim PATH         rank supervisor (default: gantry-shim beside gantry-agent;\n"
           "                      none: a fork of the agent, slower)\n"
           "  --quiet\n"
           "  --version           print the version and exit\n");
}

static int read_token(const char *path, char *buf, size_t size) {
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int ok = fgets(buf, (int)size, f) != NULL;
    fclose(f);
    buf[strcspn(buf, "\r\n")] = 0;
    return ok && buf[0];
}

static int int_arg(const char *flag, const char *v, long lo, long hi, long *out) {
    char *end;
    long x = strtol(v, &end, 10);
    if (!*v || *end || x < lo || x > hi) {
        fprintf(stderr, "gantry-agent: %s: expected an integer from %ld to %ld, got '%s'\n", flag,
                lo, hi, v);
        return 0;
    }
    *out = x;
    return 1;
}

static int parse(int argc, char **argv, gt_agent_opts *o, const char **token_file) {
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **s = !strcmp(f, "--server")          ? &o->server
                         : !strcmp(f, "--token")         ? &o->token
                         : !strcmp(f, "--token-file")    ? token_file
                         : !strcmp(f, "--node")          ? &o->node
                         : !strcmp(f, "--state-dir")     ? &o->state_dir
                         : !strcmp(f, "--listen")        ? &o->listen
                         : !strcmp(f, "--advertise")     ? &o->advertise
                         : !strcmp(f, "--fake-model")    ? &o->fake_model
                         : !strcmp(f, "--config")        ? &o->emulate_config
                         : !strcmp(f, "--job-user")      ? &o->job_user
                         : !strcmp(f, "--cgroup-parent") ? &o->cgroup_parent
                         : !strcmp(f, "--shim")          ? &o->shim
                                                         : NULL;
        long x = 0;
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(f, "--version")) {
            char ver[128];
            fputs(gt_version_line("gantry-agent", ver, sizeof ver), stdout);
            exit(0);
        } else if (!strcmp(f, "--quiet")) {
            o->quiet = 1;
            continue;
        } else if (!strcmp(f, "--no-cgroups")) {
            o->no_cgroups = 1;
            continue;
        } else if (!v) {
            fprintf(stderr, "gantry-agent: %s: %s\n", f,
                    s || !strncmp(f, "--", 2) ? "needs a value (see --help)" : "unknown option");
            return 0;
        } else if (s) {
            *s = v;
        } else if (!strcmp(f, "--fake-gpus") && int_arg(f, v, 0, 32, &x)) {
            o->fake_gpus = (int)x;
        } else if (!strcmp(f, "--cpus") && int_arg(f, v, 1, 1 << 20, &x)) {
            o->cpus = (int)x;
        } else if (!strcmp(f, "--memory-mb") && int_arg(f, v, 1, 1L << 40, &x)) {
            o->memory_mb = x;
        } else if (!strcmp(f, "--keep-logs-s") && int_arg(f, v, 0, 10L * 366 * 86400, &x)) {
            o->keep_logs_s = x;
        } else if (!strcmp(f, "--emulate") && int_arg(f, v, 1, 1000000, &x)) {
            o->emulate = (int)x;
        } else {
            if (!x)
                fprintf(stderr, "gantry-agent: %s: unknown option (see --help)\n", f);
            return 0;
        }
        i++;
    }
    return 1;
}

int main(int argc, char **argv) {
    gt_agent_opts o = {0};
    o.server = getenv("GANTRY_SERVER") ? getenv("GANTRY_SERVER") : "http://127.0.0.1:7070";
    o.token = getenv("GANTRY_NODE_TOKEN");
    o.node = "local";
    o.listen = "127.0.0.1:0";
    o.fake_gpus = 4;
    o.job_user = "nobody";
    o.keep_logs_s = 7 * 86400;
    const char *token_file = "gantry-data/node.token";
    if (!parse(argc, argv, &o, &token_file))
        return 2;
    char token[256], state[300];
    if (!o.token) {
        if (!read_token(token_file, token, sizeof token)) {
            fprintf(stderr, "gantry-agent: no node token: pass --token, GANTRY_NODE_TOKEN or "
                            "--token-file (gantryd writes DATA_DIR/node.token)\n");
            return 2;
        }
        o.token = token;
    }
    if (o.emulate && !o.emulate_config) {
        fprintf(stderr, "gantry-agent: --emulate needs --config FILE\n");
        return 2;
    }
    if (!o.state_dir) {
        snprintf(state, sizeof state, "gantry-agent-%s", o.emulate ? "emulated" : o.node);
        o.state_dir = state;
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return gt_agent_main(&o);
}
