/* SPDX-License-Identifier: MIT
 * gantry-agent's options (see args.h): the table, and the loop that walks it. */
#include "agent/args.h"

#include "util/opts.h"

enum {
    OPT_SERVER,
    OPT_TOKEN_FILE,
    OPT_NODE,
    OPT_STATE_DIR,
    OPT_LISTEN,
    OPT_ADVERTISE,
    OPT_FAKE_GPUS,
    OPT_FAKE_MODEL,
    OPT_CPUS,
    OPT_MEMORY_MB,
    OPT_EMULATE,
    OPT_CONFIG,
    OPT_JOB_USER,
    OPT_NO_CGROUPS,
    OPT_CGROUP_PARENT,
    OPT_KEEP_LOGS_S,
    OPT_SHIM,
    OPT_PORTS,
    OPT_HEALTH_CMD,
    OPT_HEALTH_EVERY,
    OPT_PORT_GRACE,
    OPT_POOL,
    OPT_MPS_CONTROL,
    OPT_QUIET,
    OPT_VERSION,
    OPT_HELP,
};

#define KEEP_LOGS_MAX (10LL * 366 * 86400)
static const gt_opt options[] = {
    [OPT_SERVER] = {"--server", 0, GT_OPT_STRING, "URL",
                    "controller (default http://127.0.0.1:7070, env GANTRY_SERVER)", 0, 0, NULL,
                    NULL},
    [OPT_TOKEN_FILE] = {"--token-file", 0, GT_OPT_STRING, "FILE",
                        "read the node token from FILE (else env GANTRY_NODE_TOKEN, else "
                        "gantry-data/node.token)",
                        0, 0, NULL, NULL},
    [OPT_NODE] =
        {"--node", 0, GT_OPT_STRING, "NAME",
         "this node's name in the cluster config (env GANTRY_NODE; default: the short host "
         "name)",
         0, 0, NULL, NULL},
    [OPT_STATE_DIR] = {"--state-dir", 0, GT_OPT_STRING, "DIR",
                       "unit records and logs (default gantry-agent-NODE)", 0, 0, NULL, NULL},
    [OPT_LISTEN] = {"--listen", 0, GT_OPT_STRING, "ADDR:PORT",
                    "logs endpoint (default 127.0.0.1:0)", 0, 0, NULL, NULL},
    [OPT_ADVERTISE] = {"--advertise", 0, GT_OPT_STRING, "HOST",
                       "address peers reach this node at (default: --listen's)", 0, 0, NULL, NULL},
    [OPT_FAKE_GPUS] = {"--fake-gpus", 0, GT_OPT_INT, "N",
                       "GPUs to report when NVML finds none (default 4)", 0, 32, NULL, NULL},
    [OPT_FAKE_MODEL] = {"--fake-model", 0, GT_OPT_STRING, "NAME", "their model (default fake)", 0,
                        0, NULL, NULL},
    [OPT_CPUS] = {"--cpus", 0, GT_OPT_INT, "N", "override the cores discovery finds", 1, 1 << 20,
                  NULL, NULL},
    [OPT_MEMORY_MB] = {"--memory-mb", 0, GT_OPT_INT, "N", "override the memory discovery finds", 1,
                       1LL << 40, NULL, NULL},
    [OPT_EMULATE] = {"--emulate", 0, GT_OPT_INT, "N",
                     "stand in for the first N nodes of --config's fleet", 1, 1000000, NULL, NULL},
    [OPT_CONFIG] = {"--config", 0, GT_OPT_STRING, "FILE", "the cluster config --emulate reads", 0,
                    0, NULL, NULL},
    [OPT_JOB_USER] = {"--job-user", 0, GT_OPT_STRING, "NAME",
                      "user for jobs that name none, when run as root (default nobody)", 0, 0, NULL,
                      NULL},
    [OPT_NO_CGROUPS] = {"--no-cgroups", 0, GT_OPT_SWITCH, NULL,
                        "do not put units in cgroups (default: when run as root)", 0, 0, NULL,
                        NULL},
    [OPT_CGROUP_PARENT] = {"--cgroup-parent", 0, GT_OPT_STRING, "DIR",
                           "folder for units in each cgroup hierarchy (default gantry)", 0, 0, NULL,
                           NULL},
    [OPT_KEEP_LOGS_S] = {"--keep-logs-s", 0, GT_OPT_INT, "N",
                         "keep a finished unit's record and logs N seconds (default 7 days)", 0,
                         KEEP_LOGS_MAX, NULL, NULL},
    [OPT_SHIM] = {"--shim", 0, GT_OPT_STRING, "PATH",
                  "rank supervisor (default: gantry-shim beside gantry-agent)", 0, 0, NULL, NULL},
    [OPT_PORTS] = {"--ports", 0, GT_OPT_RANGE, "LO:HI",
                   "TCP ports given to units that ask for some (default 20000:29999)", 1, 65535,
                   NULL, NULL},
    [OPT_HEALTH_CMD] = {"--health-cmd", 0, GT_OPT_STRING, "CMD",
                        "the node's health check (sh -c CMD; exit 0: healthy; a failing node "
                        "is drained until it passes)",
                        0, 0, NULL, NULL},
    [OPT_HEALTH_EVERY] = {"--health-every", 0, GT_OPT_INT, "SECONDS",
                          "run the health check this often (default 30)", 1, 86400, NULL, NULL},
    [OPT_PORT_GRACE] = {"--port-grace", 0, GT_OPT_INT, "SECONDS",
                        "report a replica (without a readiness probe) that does not listen on its "
                        "first port this long after it started (default 30)",
                        1, 86400, NULL, NULL},
    [OPT_POOL] = {"--pool", 0, GT_OPT_STRING, "NAME",
                  "join this node pool of the cluster config: gantryd binds the node to a free "
                  "slot and names it after it",
                  0, 0, NULL, NULL},
    [OPT_MPS_CONTROL] = {"--mps-control", 0, GT_OPT_STRING, "PATH",
                         "CUDA MPS control program that enforces shares of a GPU (default: "
                         "nvidia-cuda-mps-control on PATH; none: do not use MPS)",
                         0, 0, NULL, NULL},
    [OPT_QUIET] = {"--quiet", 0, GT_OPT_SWITCH, NULL, "no log lines", 0, 0, NULL, NULL},
    [OPT_VERSION] = {"--version", 0, GT_OPT_SWITCH, NULL, "print the version and exit", 0, 0, NULL,
                     NULL},
    [OPT_HELP] = {"--help", 'h', GT_OPT_SWITCH, NULL, "print this help and exit", 0, 0, NULL, NULL},
    {0},
};

static const gt_opt_env envs[] = {
    {"GANTRY_SERVER", "the controller's URL when --server is not given"},
    {"GANTRY_NODE", "this node's name when --node is not given (default: the short host name, "
                    "as gantryd's embedded config names its node)"},
    {"GANTRY_NVML_LIB", "the NVML library to load (default libnvidia-ml.so.1; tests name a "
                        "stand-in)"},
    {"GANTRY_NODE_TOKEN", "the node token when --token-file is not given (a token is never "
                          "taken from the command line, which ps shows to every user)"},
    {0},
};

const gt_opt_prog gt_agent_prog = {
    .name = "gantry-agent",
    .section = 8,
    .purpose = "the gantry node agent",
    .synopsis = "[OPTIONS]",
    .about = "Serves this machine as a node of the cluster: it tells the controller what the "
             "machine has (GPUs found through NVML, cores, memory), runs the ranks the controller "
             "places here, each under gantry-shim and in cgroups of its own when run as root, "
             "and reports how they end.\n\n"
             "With --emulate N --config FILE it stands in for the first N nodes of FILE's fleet "
             "instead: units run for their duration_s without processes. --shim none runs ranks "
             "from a fork of the agent (slower).",
    .opts = options,
    .envs = envs,
};

void gt_agent_usage(FILE *f) {
    gt_opt_usage(f, &gt_agent_prog);
}

/* The place of each string option's value in the options, or NULL. */
static const char **string_dst(gt_agent_args *a, int which) {
    gt_agent_opts *o = &a->o;
    switch (which) {
    case OPT_SERVER:
        return &o->server;
    case OPT_TOKEN_FILE:
        return &a->token_file;
    case OPT_NODE:
        return &o->node;
    case OPT_STATE_DIR:
        return &o->state_dir;
    case OPT_LISTEN:
        return &o->listen;
    case OPT_ADVERTISE:
        return &o->advertise;
    case OPT_FAKE_MODEL:
        return &o->fake_model;
    case OPT_CONFIG:
        return &o->emulate_config;
    case OPT_JOB_USER:
        return &o->job_user;
    case OPT_CGROUP_PARENT:
        return &o->cgroup_parent;
    case OPT_SHIM:
        return &o->shim;
    case OPT_HEALTH_CMD:
        return &o->health_cmd;
    case OPT_POOL:
        return &o->pool;
    case OPT_MPS_CONTROL:
        return &o->mps_control;
    }
    return NULL;
}

/* One option other than a string into *a; 1 when it ends the parse (--help, --version). */
static int set_option(gt_agent_args *a, int which, const gt_opt_tok *t) {
    gt_agent_opts *o = &a->o;
    switch (which) {
    case OPT_FAKE_GPUS:
        o->fake_gpus = (int)t->n;
        break;
    case OPT_CPUS:
        o->cpus = (int)t->n;
        break;
    case OPT_MEMORY_MB:
        o->memory_mb = t->n;
        break;
    case OPT_KEEP_LOGS_S:
        o->keep_logs_s = t->n;
        break;
    case OPT_EMULATE:
        o->emulate = (int)t->n;
        break;
    case OPT_HEALTH_EVERY:
        o->health_every_s = (int)t->n;
        break;
    case OPT_PORT_GRACE:
        o->port_grace_s = (int)t->n;
        break;
    case OPT_PORTS:
        o->ports_lo = (int)t->n;
        o->ports_hi = t->n2 < 0 ? (int)t->n : (int)t->n2;
        break;
    case OPT_NO_CGROUPS:
        o->no_cgroups = 1;
        break;
    case OPT_QUIET:
        o->quiet = 1;
        break;
    case OPT_VERSION:
        a->action = GT_AGENT_VERSION;
        return 1;
    case OPT_HELP:
        a->action = GT_AGENT_HELP;
        return 1;
    }
    return 0;
}

gt_err gt_agent_args_parse(int argc, char **argv, gt_agent_args *a, gt_error *err) {
    gt_opt_args in = {argc, argv, 1};
    a->action = GT_AGENT_RUN;
    for (;;) {
        gt_opt_tok t = gt_opt_next_option(&in, options, err);
        if (t.kind == GT_TOK_END)
            return GT_E_OK;
        if (t.kind == GT_TOK_ERR && err && gt_opt_unknown_is(err, "--token"))
            return gt_fail(err, GT_E_INVALID, NULL,
                           "--token: a token is never taken from the command line (ps shows it "
                           "to every user); use --token-file FILE or GANTRY_NODE_TOKEN");
        if (t.kind == GT_TOK_ERR)
            return err ? err->code : GT_E_INVALID;
        int which = (int)(t.opt - options);
        const char **dst = string_dst(a, which);
        if (dst)
            *dst = t.val;
        else if (set_option(a, which, &t))
            return GT_E_OK;
    }
}
