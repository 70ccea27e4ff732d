/* SPDX-License-Identifier: MIT
 * gantry-agent: the node daemon. `gantry-agent` alone serves this machine as node "local"
 * to the controller on 127.0.0.1:7070, with the node token from gantry-data/node.token. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/args.h"
#include "util/version.h"

static void on_signal(int sig) {
    (void)sig;
    gt_agent_stop();
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

/* --help or --version: print, and exit 0. */
static _Noreturn void print_and_exit(gt_agent_action action) {
    char ver[128];
    if (action == GT_AGENT_HELP)
        gt_agent_usage(stdout);
    else
        fputs(gt_version_line("gantry-agent", ver, sizeof ver), stdout);
    exit(0);
}

int main(int argc, char **argv) {
    gt_agent_args a = {0};
    gt_agent_opts *o = &a.o;
    o->server = getenv("GANTRY_SERVER") ? getenv("GANTRY_SERVER") : "http://127.0.0.1:7070";
    o->token = getenv("GANTRY_NODE_TOKEN");
    o->node = "local";
    o->listen = "127.0.0.1:0";
    o->fake_gpus = 4;
    o->job_user = "nobody";
    o->keep_logs_s = 7 * 86400;
    a.token_file = "gantry-data/node.token";
    gt_error err = {0};
    if (gt_agent_args_parse(argc, argv, &a, &err) != GT_E_OK) {
        fprintf(stderr, "gantry-agent: %s (see --help)\n", err.msg);
        return 2;
    }
    if (a.action != GT_AGENT_RUN)
        print_and_exit(a.action);
    char token[256], state[300];
    if (!o->token) {
        if (!read_token(a.token_file, token, sizeof token)) {
            fprintf(stderr, "gantry-agent: no node token: pass --token, GANTRY_NODE_TOKEN or "
                            "--token-file (gantryd writes DATA_DIR/node.token)\n");
            return 2;
        }
        o->token = token;
    }
    if (o->emulate && !o->emulate_config) {
        fprintf(stderr, "gantry-agent: --emulate needs --config FILE\n");
        return 2;
    }
    if (!o->state_dir) {
        snprintf(state, sizeof state, "gantry-agent-%s", o->emulate ? "emulated" : o->node);
        o->state_dir = state;
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return gt_agent_main(o);
}
