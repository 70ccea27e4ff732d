/* SPDX-License-Identifier: MIT
 * gantry top: a one-screen summary redrawn every --interval seconds until Ctrl-C.
 *
 * Design notes
 *  1. Each frame is four GETs (cluster, tenants, running jobs, pending jobs) and one
 *     pure render (gt_cli_top_frame), written at once after "clear screen", so the screen
 *     never shows half a frame.
 *  2. --once draws one frame without the clear codes and exits (scripts, tests); --json
 *     prints the four answers as one document and exits. When stdout is not a terminal
 *     (a pipe, a file), frames follow each other without escape codes, a blank line
 *     apart: nothing but text reaches a pipe.
 *  3. Ctrl-C ends the loop at the next frame boundary with exit 0. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/fmt.h"
#include "cli/view.h"

const gt_opt gt_cli_top_opts[] = {
    {"--interval", 0, GT_OPT_DURATION, "SECONDS", "time between frames (default 2)", 0, 3600, NULL,
     NULL},
    {"--once", 0, GT_OPT_SWITCH, NULL, "draw one frame without clearing the screen and exit", 0, 0,
     NULL, NULL},
    {0},
};

static volatile sig_atomic_t stop;

static void on_sigint(int sig) {
    (void)sig;
    stop = 1;
}

typedef struct {
    json_t *cluster, *tenants, *jobs;
} snapshot;

static void snapshot_free(snapshot *s) {
    json_decref(s->cluster);
    json_decref(s->tenants);
    json_decref(s->jobs);
    memset(s, 0, sizeof *s);
}

static int take(gt_cli *c, snapshot *s, int limit) {
    static const char *const states[] = {"running", "pending"};
    int rc = gt_cli_request(c, "GET", "/v1/cluster", NULL, &s->cluster);
    json_t *t = NULL;
    if (rc == 0 && (rc = gt_cli_request(c, "GET", "/v1/tenants", NULL, &t)) == 0)
        s->tenants = json_incref(json_object_get(t, "tenants"));
    json_decref(t);
    s->jobs = json_array();
    for (int i = 0; rc == 0 && i < 2; i++) {
        char path[96];
        json_t *page = NULL;
        snprintf(path, sizeof path, "/v1/jobs?state=%s&limit=%d", states[i], limit);
        if ((rc = gt_cli_request(c, "GET", path, NULL, &page)) == 0)
            json_array_extend(s->jobs, json_object_get(page, "jobs"));
        json_decref(page);
    }
    return rc;
}

static int screen_rows(void) {
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
        return ws.ws_row;
    const char *lines = getenv("LINES");
    return lines && atoi(lines) > 0 ? atoi(lines) : 0;
}

/* One frame; once: no clear codes and the whole screen's rows; tty: stdout is a terminal
 * (clear before the frame), else the frames are separated by a blank line. */
static int draw(gt_cli *c, int once, int tty) {
    snapshot s = {0};
    int rows = screen_rows();
    int rc = take(c, &s, rows > 0 && rows < 1000 ? rows : 100);
    if (rc == 0 && c->json) {
        json_t *doc =
            json_pack("{sOsOsO}", "cluster", s.cluster, "tenants", s.tenants, "jobs", s.jobs);
        gt_cli_print_json(doc);
        json_decref(doc);
    } else if (rc == 0) {
        gt_sb b;
        gt_sb_init(&b);
        if (!once && tty)
            gt_sb_puts(&b, "\033[H\033[2J");
        gt_cli_top_frame(&b, c->server, s.cluster, s.tenants, s.jobs, gt_cli_now(),
                         once || !tty ? rows : rows - 1);
        if (!once && !tty)
            gt_sb_puts(&b, "\n");
        fputs(gt_sb_str(&b), stdout);
        fflush(stdout);
        gt_sb_free(&b);
    }
    snapshot_free(&s);
    return rc;
}

int gt_cli_cmd_top(gt_cli *c, int argc, char **argv) {
    gt_opt_args a = {argc, argv, 1};
    gt_error err;
    double interval = 2;
    int once = 0;
    for (gt_opt_tok t; (t = gt_opt_next(&a, gt_cli_top_opts, NULL, &err)).kind != GT_TOK_END;) {
        if (t.kind == GT_TOK_ERR)
            return gt_cli_usage(c, "%s", err.msg);
        if (t.kind != GT_TOK_OPT)
            return gt_cli_usage(c, "unexpected argument '%s'", t.val ? t.val : "--");
        if (strcmp(t.opt->name, "--once") == 0)
            once = 1;
        else
            interval = t.n < 100 ? 0.1 : (double)t.n / 1000.0;
    }
    int tty = isatty(STDOUT_FILENO);
    if (once || c->json)
        return draw(c, 1, tty);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    int rc = 0;
    while (!stop && (rc = draw(c, 0, tty)) == 0)
        gt_cli_sleep(interval);
    return rc;
}
