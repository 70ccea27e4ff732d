/* SPDX-License-Identifier: MIT
 * gantry-agent: the node daemon. `gantry-agent` alone serves this machine, named as
 * GANTRY_NODE says or else after its short host name (as gantryd's embedded config names
 * it), to the controller on 127.0.0.1:7070, with the node token from --token-file,
 * GANTRY_NODE_TOKEN or gantry-data/node.token: never from the command line itself. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/args.h"
#include "sys/hw.h"
#include "util/version.h"

#define DEFAULT_TOKEN_FILE "gantry-data/node.token"

static void on_signal(int sig) {
    (void)sig;
    gt_agent_stop();
}

static int read_token(const char *path, char *buf, size_t size);

/* The token: --token-file's (it must be readable), else GANTRY_NODE_TOKEN, else the default
 * file's; NULL after saying why. */
static const char *node_token(const char *file, char *buf, size_t size) {
    const char *env = getenv("GANTRY_NODE_TOKEN");
    if (!file && env && *env)
        return env;
    if (read_token(file ? file : DEFAULT_TOKEN_FILE, buf, size))
        return buf;
    if (file)
        fprintf(stderr, "gantry-agent: --token-file: no token in '%s' (%s)\n", file,
                access(file, R_OK) ? strerror(errno) : "the file is empty");
    else
        fprintf(stderr, "gantry-agent: no node token: pass --token-file FILE or set "
                        "GANTRY_NODE_TOKEN (gantryd writes DATA_DIR/node.token)\n");
    return NULL;
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
    char host[GT_HOST_NAME_MAX];
    o->node = gt_host_node_name(host, sizeof host);
    o->listen = "127.0.0.1:0";
    o->fake_gpus = 4;
    o->job_user = "nobody";
    o->keep_logs_s = 7 * 86400;
    gt_error err = {0};
    if (gt_agent_args_parse(argc, argv, &a, &err) != GT_E_OK) {
        fprintf(stderr, "gantry-agent: %s (see --help)\n", err.msg);
        return 2;
    }
    if (a.action != GT_AGENT_RUN)
        print_and_exit(a.action);
    char token[256], state[300];
    if (!(o->token = node_token(a.token_file, token, sizeof token)))
        return 2;
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
