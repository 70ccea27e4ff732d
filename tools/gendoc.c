/* SPDX-License-Identifier: MIT
 * gt-gendoc: the manual pages and shell completion scripts, written at build time from the
 * tables the programs themselves use, so that they can never say something else.
 *
 *   gt-gendoc [--date YYYY-MM-DD] OUTDIR
 *
 * writes OUTDIR/man/gantry.1, gantryd.8, gantry-agent.8, gantry-shim.8, gantry-sim.1 and
 * OUTDIR/completion/gantry (bash), _gantry (zsh). CMake runs it after building the
 * programs' libraries and installs what it writes (CMakeLists.txt).
 *
 * Design notes
 *  1. Every list in a page comes from a table: gantry's commands (usage, summary,
 *     options) from gt_cli_commands, its global options and environment from gt_cli_prog,
 *     its exit codes from gt_cli_exit_codes (util/errors.def), each daemon's options,
 *     synopsis and description from its gt_opt_prog (ctld/args.c, agent/args.c,
 *     sim/args.c), the simulator's policies from the core. What is written here is only
 *     what the sections around them say, and gantry-shim's page, which has no command line
 *     to take it from.
 *  2. The date is the caller's (CMake's, which follows SOURCE_DATE_EPOCH), so a package
 *     built twice from the same tree holds the same pages.
 *  3. roff comes out of util/roff.c only: the text of the tables is escaped there. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/args.h"
#include "cli/cli.h"
#include "core/sched.h"
#include "ctld/args.h"
#include "sim/args.h"
#include "util/roff.h"
#include "util/version.h"

static char source[64]; /* "gantry 0.1.0" */
static const char *date = "";

/* .TH, NAME, SYNOPSIS and DESCRIPTION of a program. */
static void head(FILE *f, const gt_opt_prog *p) {
    char name[160];
    gt_roff_title(f, p->name, p->section, date, source, "gantry manual");
    gt_roff_section(f, "NAME", 0);
    snprintf(name, sizeof name, "%s - %s", p->name, p->purpose);
    gt_roff_line(f, NULL, name);
    gt_roff_section(f, "SYNOPSIS", 0);
    gt_roff_line(f, p->name, p->synopsis);
    gt_roff_section(f, "DESCRIPTION", 0);
    gt_roff_paras(f, p->about);
}

static void environment(FILE *f, const gt_opt_env *envs) {
    if (!envs || !envs->name)
        return;
    gt_roff_section(f, "ENVIRONMENT", 0);
    for (const gt_opt_env *e = envs; e->name; e++)
        gt_roff_item(f, e->name, e->help);
}

/* SEE ALSO: the other pages. */
static void see_also(FILE *f, const char *self) {
    static const struct {
        const char *name;
        int section;
    } pages[] = {
        {"gantry", 1}, {"gantryd", 8}, {"gantry-agent", 8}, {"gantry-shim", 8}, {"gantry-sim", 1}};
    const size_t n = sizeof pages / sizeof pages[0];
    size_t last = strcmp(pages[n - 1].name, self) == 0 ? n - 2 : n - 1;
    gt_roff_section(f, "SEE ALSO", 0);
    for (size_t i = 0; i < n; i++)
        if (strcmp(pages[i].name, self) != 0)
            gt_roff_ref(f, pages[i].name, pages[i].section, i == last);
    fputs(".PP\n", f);
    gt_roff_paras(f, "The documentation in the source tree: docs/cli.md, docs/operations.md, "
                     "docs/cluster-config.md, docs/simulator.md.");
}

/* A daemon, the simulator or the shim: its head, options, environment, the page's own
 * extras, how it exits. */
static void program_page(FILE *f, const gt_opt_prog *p, void (*extra)(FILE *f), const char *exits) {
    head(f, p);
    if (p->opts && p->opts->name) {
        gt_roff_section(f, "OPTIONS", 0);
        gt_roff_opts(f, p->opts);
    }
    environment(f, p->envs);
    if (extra)
        extra(f);
    gt_roff_section(f, "EXIT STATUS", 0);
    gt_roff_paras(f, exits);
    see_also(f, p->name);
}

static const char daemon_exits[] =
    "0 when it ran (or printed what was asked) and stopped as asked, 2 for a usage error, "
    "another code when it could not start or run; the message on stderr says why.";

/* gantry-shim has no command line (the agent hands it a rank's launch on fd 3), so no
 * table of its own: its page is these words. */
static const gt_opt none[] = {{0}};
static const gt_opt_prog shim_prog = {
    .name = "gantry-shim",
    .section = 8,
    .purpose = "the supervisor gantry-agent runs for each rank",
    .synopsis = "",
    .about = "gantry-agent starts one gantry-shim for each rank of a job, from the same "
             "folder as itself (its --shim option names another). The shim reads the rank's "
             "launch from a socket on file descriptor 3, starts the rank's process in a "
             "process group of its own, reaps the rank's orphans, and when the rank ends kills "
             "what is left of its group and writes how it ended into the rank's record. It "
             "takes no options and is not run by hand: without the agent's socket it says so "
             "and exits.",
    .opts = none,
};

static void sim_policies(FILE *f) {
    gt_roff_section(f, "POLICIES", 0);
    gt_roff_paras(f, "The scheduling policies --policy takes, comma-separated, each replayed on "
                     "its own:");
    gt_roff_line(f, gt_policy_names(), "");
}

/* ---- gantry.1 ------------------------------------------------------------------------- */

static void command(FILE *f, const gt_cli_cmd *c) {
    char name[64];
    snprintf(name, sizeof name, "gantry %s", c->name);
    gt_roff_section(f, name, 1);
    gt_roff_line(f, name, c->usage);
    fputs(".PP\n", f);
    gt_roff_line(f, NULL, c->summary);
    gt_roff_opts(f, c->opts);
}

static void exit_code(void *f, int code, const char *meaning) {
    char tag[16];
    snprintf(tag, sizeof tag, "%d", code);
    gt_roff_item(f, tag, meaning);
}

static void gantry_page(FILE *f) {
    head(f, &gt_cli_prog);
    gt_roff_section(f, "GLOBAL OPTIONS", 0);
    gt_roff_opts(f, gt_cli_global_opts);
    gt_roff_section(f, "COMMANDS", 0);
    for (const gt_cli_cmd *c = gt_cli_commands; c->name; c++)
        command(f, c);
    gt_roff_section(f, "EXIT STATUS", 0);
    gt_roff_paras(f, "The exit code says what happened. For an error that the controller "
                     "reports, it is the one of the error's code (the API's names of the codes "
                     "follow each number).");
    gt_cli_exit_codes(exit_code, f);
    environment(f, gt_cli_prog.envs);
    gt_roff_section(f, "FILES", 0);
    gt_roff_item(f, "./" GT_CLI_DEFAULT_TOKEN_FILE,
                 "the token, when no option or variable names one: where gantryd started with "
                 "no arguments writes its admin token");
    see_also(f, "gantry");
}

/* ---- main ----------------------------------------------------------------------------- */

static int write_file(const char *dir, const char *name, void (*fn)(FILE *f, const void *arg),
                      const void *arg) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "gt-gendoc: %s: %s\n", path, strerror(errno));
        return 1;
    }
    fn(f, arg);
    if (ferror(f) | fclose(f)) {
        fprintf(stderr, "gt-gendoc: %s: write failed\n", path);
        return 1;
    }
    return 0;
}

static void w_gantry(FILE *f, const void *arg) {
    (void)arg;
    gantry_page(f);
}

static void w_ctld(FILE *f, const void *arg) {
    (void)arg;
    program_page(f, &gt_ctld_prog, NULL, daemon_exits);
}

static void w_agent(FILE *f, const void *arg) {
    (void)arg;
    program_page(f, &gt_agent_prog, NULL, daemon_exits);
}

static void w_sim(FILE *f, const void *arg) {
    (void)arg;
    program_page(f, &gt_sim_prog, sim_policies, daemon_exits);
}

static void w_shim(FILE *f, const void *arg) {
    (void)arg;
    program_page(
        f, &shim_prog, NULL,
        "2 when it was not started by gantry-agent; otherwise 0 once the rank's end "
        "is recorded, 1 when it could not take the launch, start the rank or keep its record.");
}

static void w_completion(FILE *f, const void *shell) {
    gt_cli_completion(f, shell);
}

static int make_dir(const char *dir, const char *sub, char *out, size_t len) {
    snprintf(out, len, "%s/%s", dir, sub);
    if (mkdir(out, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "gt-gendoc: %s: %s\n", out, strerror(errno));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    char man[4096], comp[4096];
    int i = 1;
    if (argc == 4 && strcmp(argv[1], "--date") == 0) {
        date = argv[2];
        i = 3;
    }
    if (argc != i + 1) {
        fprintf(stderr, "usage: gt-gendoc [--date YYYY-MM-DD] OUTDIR\n");
        return 2;
    }
    snprintf(source, sizeof source, "gantry %s", gt_version());
    if (make_dir(argv[i], "man", man, sizeof man) ||
        make_dir(argv[i], "completion", comp, sizeof comp))
        return 1;
    int rc = write_file(man, "gantry.1", w_gantry, NULL) |
             write_file(man, "gantryd.8", w_ctld, NULL) |
             write_file(man, "gantry-agent.8", w_agent, NULL) |
             write_file(man, "gantry-sim.1", w_sim, NULL) |
             write_file(man, "gantry-shim.8", w_shim, NULL) |
             write_file(comp, "gantry", w_completion, "bash") |
             write_file(comp, "_gantry", w_completion, "zsh");
    return rc;
}
