/* SPDX-License-Identifier: MIT
 * gantryd: the controller. `gantryd` alone runs this machine as a one-node cluster on
 * 127.0.0.1:7070 with its journal in ./gantry-data; `--config FILE` gives a cluster
 * config (docs/cluster-config.md) with a `server:` section. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctld/args.h"
#include "ctld/ctld.h"
#include "sys/readfile.h"
#include "util/version.h"

static gt_ctld *the_ctld;

static void on_signal(int sig) {
    (void)sig;
    if (the_ctld)
        gt_ctld_request_stop(the_ctld);
}

/* --help, --version, --print-default-config: print, and exit 0. */
static _Noreturn void print_and_exit(gt_ctld_action action) {
    char v[128];
    char *s;
    if (action == GT_CTLD_HELP) {
        gt_ctld_usage(stdout);
    } else if (action == GT_CTLD_VERSION) {
        fputs(gt_version_line("gantryd", v, sizeof v), stdout);
    } else {
        s = gt_ctld_default_config();
        fputs(s ? s : "", stdout);
        free(s);
    }
    exit(0);
}

static int set_str(char *dst, size_t size, const char *v, const char *what) {
    if (strlen(v) >= size) {
        fprintf(stderr, "gantryd: %s: longer than %zu characters\n", what, size - 1);
        return 0;
    }
    memcpy(dst, v, strlen(v) + 1);
    return 1;
}

/* The config and its server section, with --listen and --data-dir over the section's. */
static gt_config *load_config(const gt_ctld_args *a, gt_server_conf *server) {
    size_t len = 0;
    gt_error rerr = {0};
    char *text =
        a->config ? gt_file_read(a->config, 64 << 20, &len, &rerr) : gt_ctld_default_config();
    if (!text) {
        fprintf(stderr, "gantryd: %s: %s\n", rerr.where, rerr.msg);
        return NULL;
    }
    if (!a->config)
        len = strlen(text);
    gt_config *cfg = NULL;
    gt_error err = {0};
    char msg[512];
    if (gt_ctld_config_parse(text, len, a->config ? a->config : "default config", &cfg, server,
                             &err))
        fprintf(stderr, "gantryd: %s\n", gt_error_str(&err, msg, sizeof msg));
    free(text);
    if (cfg &&
        ((a->listen && !set_str(server->listen, sizeof server->listen, a->listen, "--listen")) ||
         (a->data_dir &&
          !set_str(server->data_dir, sizeof server->data_dir, a->data_dir, "--data-dir")))) {
        gt_config_free(cfg);
        return NULL;
    }
    return cfg;
}

/* The port in a file that appears whole: a script waits for the file, never for a log
 * line that may not be written yet. */
static int write_port_file(const char *path, int port) {
    char tmp[4096], text[16];
    int n = snprintf(text, sizeof text, "%d\n", port);
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp ||
        gt_file_write_atomic(tmp, path, text, (size_t)n) != 0) {
        fprintf(stderr, "gantryd: --port-file: cannot write '%s': %s\n", path, strerror(errno));
        return 0;
    }
    return 1;
}

int main(int argc, char **argv) {
    gt_ctld_args a;
    gt_error err = {0};
    if (gt_ctld_args_parse(argc, argv, &a, &err) != GT_E_OK) {
        fprintf(stderr, "gantryd: %s (see --help)\n", err.msg);
        return 2;
    }
    if (a.action != GT_CTLD_RUN)
        print_and_exit(a.action);
    gt_server_conf server;
    gt_config *cfg = load_config(&a, &server);
    if (!cfg)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    gt_ctld_opts opts = {a.policy, a.quiet, 0, a.accept_loss, a.accept_loss_after};
#ifdef GT_FAULT_INJECTION
    for (const char *const *v =
             (const char *const[]){"GT_FAULT_JOURNAL_APPEND", "GT_FAULT_JOURNAL_COMMIT", NULL};
         *v; v++)
        if (getenv(*v))
            fprintf(stderr, "gantryd: fault injection: %s=%s\n", *v, getenv(*v));
#endif
    the_ctld = gt_ctld_start(cfg, &server, &opts, &err);
    if (!the_ctld) {
        char msg[512];
        fprintf(stderr, "gantryd: %s\n", gt_error_str(&err, msg, sizeof msg));
        return gt_err_exit(err.code) ? gt_err_exit(err.code) : 1;
    }
    if (!a.quiet)
        fprintf(stderr, "gantryd: listening on %s (port %d)\n", server.listen,
                gt_ctld_port(the_ctld));
    int no_port_file = a.port_file && !write_port_file(a.port_file, gt_ctld_port(the_ctld));
    if (no_port_file)
        gt_ctld_request_stop(the_ctld);
    int failed = gt_ctld_wait(the_ctld) || no_port_file;
    gt_ctld_free(the_ctld);
    the_ctld = NULL;
    if (!a.quiet)
        fprintf(stderr, "gantryd: stopped\n");
    return failed ? 1 : 0;
}
