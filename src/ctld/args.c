/* SPDX-License-Identifier: MIT
 * gantryd's options (see args.h): the table, and the loop that walks it. */
#include "ctld/args.h"

#include <string.h>

#include "util/opts.h"

enum {
    OPT_CONFIG,
    OPT_LISTEN,
    OPT_DATA_DIR,
    OPT_POLICY,
    OPT_PORT_FILE,
    OPT_ACCEPT_LOSS,
    OPT_PRINT_DEFAULT,
    OPT_QUIET,
    OPT_VERSION,
    OPT_HELP,
};

static const gt_opt options[] = {
    [OPT_CONFIG] = {"--config", 0, GT_OPT_STRING, "FILE",
                    "cluster config with a server: section (docs/cluster-config.md)", 0, 0, NULL,
                    NULL},
    [OPT_LISTEN] = {"--listen", 0, GT_OPT_STRING, "ADDR:PORT",
                    "the API's address (overrides server.listen)", 0, 0, NULL, NULL},
    [OPT_DATA_DIR] = {"--data-dir", 0, GT_OPT_STRING, "DIR",
                      "journal, snapshots and node.token (overrides server.data_dir)", 0, 0, NULL,
                      NULL},
    [OPT_POLICY] = {"--policy", 0, GT_OPT_STRING, "NAME", "scheduling policy (default gantry)", 0,
                    0, NULL, NULL},
    [OPT_PORT_FILE] = {"--port-file", 0, GT_OPT_STRING, "FILE",
                       "once the API answers, write its port there (the file appears whole)", 0, 0,
                       NULL, NULL},
    [OPT_ACCEPT_LOSS] = {"--accept-loss-after", 0, GT_OPT_INT, "SEQ",
                         "the journal is damaged: start from the state after entry SEQ and drop "
                         "every entry after it, logging each (docs/operations.md)",
                         0, 1LL << 62, NULL, NULL},
    [OPT_PRINT_DEFAULT] = {"--print-default-config", 0, GT_OPT_SWITCH, NULL,
                           "print the config used without --config and exit", 0, 0, NULL, NULL},
    [OPT_QUIET] = {"--quiet", 0, GT_OPT_SWITCH, NULL, "no log lines on stderr", 0, 0, NULL, NULL},
    [OPT_VERSION] = {"--version", 0, GT_OPT_SWITCH, NULL, "print the version and exit", 0, 0, NULL,
                     NULL},
    [OPT_HELP] = {"--help", 'h', GT_OPT_SWITCH, NULL, "print this help and exit", 0, 0, NULL, NULL},
    {0},
};

static const gt_opt_env envs[] = {
    {"GANTRY_NODE", "with no --config, the name of the one node (default: the short host name)"},
    {0},
};

const gt_opt_prog gt_ctld_prog = {
    .name = "gantryd",
    .section = 8,
    .purpose = "the gantry controller",
    .synopsis = "[--config FILE] [--listen ADDR:PORT] [--data-dir DIR] [--policy NAME] "
                "[--port-file FILE] [--accept-loss-after SEQ] [--print-default-config] [--quiet] "
                "[--version]",
    .about =
        "Runs the gantry controller: it keeps the queue and the fleet, decides where jobs "
        "run, tells the nodes' agents what to start and stop, and serves the HTTP API "
        "that gantry, the command-line client, speaks. Every change is written to a "
        "journal in the data directory first, so a restarted controller carries on where "
        "it stopped.\n\n"
        "With no --config: this machine as a one-node cluster (the node named as "
        "GANTRY_NODE says, else after the short host name, as gantry-agent names itself; 4 fake "
        "GPUs) on 127.0.0.1:7070, data in ./gantry-data.",
    .opts = options,
    .envs = envs,
};

void gt_ctld_usage(FILE *f) {
    gt_opt_usage(f, &gt_ctld_prog);
}

/* One option into *out; 1 when it ends the parse (an action other than running). */
static int take(gt_ctld_args *out, const gt_opt_tok *t) {
    switch (t->opt - options) {
    case OPT_CONFIG:
        out->config = t->val;
        return 0;
    case OPT_LISTEN:
        out->listen = t->val;
        return 0;
    case OPT_DATA_DIR:
        out->data_dir = t->val;
        return 0;
    case OPT_POLICY:
        out->policy = t->val;
        return 0;
    case OPT_PORT_FILE:
        out->port_file = t->val;
        return 0;
    case OPT_QUIET:
        out->quiet = 1;
        return 0;
    case OPT_ACCEPT_LOSS:
        out->accept_loss = 1;
        out->accept_loss_after = t->n;
        return 0;
    case OPT_PRINT_DEFAULT:
        out->action = GT_CTLD_PRINT_DEFAULT;
        return 1;
    case OPT_VERSION:
        out->action = GT_CTLD_VERSION;
        return 1;
    default:
        out->action = GT_CTLD_HELP;
        return 1;
    }
}

gt_err gt_ctld_args_parse(int argc, char **argv, gt_ctld_args *out, gt_error *err) {
    gt_opt_args in = {argc, argv, 1};
    memset(out, 0, sizeof *out);
    for (;;) {
        gt_opt_tok t = gt_opt_next_option(&in, options, err);
        if (t.kind == GT_TOK_END)
            return GT_E_OK;
        if (t.kind == GT_TOK_ERR)
            return err ? err->code : GT_E_INVALID;
        if (take(out, &t))
            return GT_E_OK;
    }
}
