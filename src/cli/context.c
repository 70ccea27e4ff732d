/* SPDX-License-Identifier: MIT
 * Contexts: which controller, token file and tenant gantry uses when the command line and
 * the environment do not say (cliconfig.h has the file's format), and `gantry config`.
 *
 * Design notes
 *  1. The file is read once, on the first request or submit (gt_cli_context_apply), so
 *     --help, `completion` and a broken file in the way of `config set-context` do not
 *     meet. The context is --context's, else GANTRY_CONTEXT's, else current-context's.
 *  2. What the command line or the environment says wins: --server and GANTRY_SERVER over
 *     the context's server; --token-file, GANTRY_TOKEN and GANTRY_TOKEN_FILE over its
 *     token-file (call.c); --tenant or the spec's tenant over its tenant (submit.c).
 *  3. Every mistake is a usage error (exit 2) naming the file and line, or the option or
 *     variable that named a context that is not there.
 *  4. `config set-context` and `use-context` write a new file next to the old one (mode
 *     0600; the folder 0700 when made) and rename it over, so a reader never sees half. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cliconfig.h"
#include "cli/table.h"

enum { OPT_SERVER, OPT_TOKEN_FILE, OPT_TENANT };
const gt_opt gt_cli_config_opts[] = {
    [OPT_SERVER] = {"--server", 0, GT_OPT_STRING, "URL", "set-context: the controller", 0, 0, NULL,
                    NULL},
    [OPT_TOKEN_FILE] = {"--token-file", 0, GT_OPT_STRING, "PATH",
                        "set-context: the file holding the token (made absolute)", 0, 0, NULL,
                        NULL},
    [OPT_TENANT] = {"--tenant", 0, GT_OPT_STRING, "TENANT",
                    "set-context: the tenant 'submit' uses when the job names none", 0, 0, NULL,
                    NULL},
    {0},
};

int gt_cli_config_path(char *buf, size_t size) {
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0] == '/') /* the XDG spec: a relative one is ignored */
        snprintf(buf, size, "%s/gantry/config", xdg);
    else if (home && home[0])
        snprintf(buf, size, "%s/.config/gantry/config", home);
    else {
        gt_cli_say("no configuration folder: neither XDG_CONFIG_HOME nor HOME is set");
        return GT_CLI_EXIT_USAGE;
    }
    return 0;
}

/* The file at path into *cfg: 0, 1 when it does not exist (*cfg empty), or an exit code
 * after saying why. */
static int load(const char *path, gt_cli_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return 1;
    const char *why;
    size_t len = 0;
    char *text = gt_cli_slurp(path, &len, &why);
    if (!text) {
        gt_cli_say("cannot read '%s' (%s)", path, why);
        return GT_CLI_EXIT_USAGE;
    }
    gt_error err;
    gt_err e = gt_cli_config_parse(text, len, path, cfg, &err);
    free(text);
    if (e) {
        char msg[512];
        gt_cli_say("%s", gt_error_str(&err, msg, sizeof msg));
        return GT_CLI_EXIT_USAGE;
    }
    return 0;
}

/* ~/PATH with HOME in front; other paths as they are. */
static void expand_home(const char *in, char *out, size_t size) {
    const char *home = getenv("HOME");
    if (strncmp(in, "~/", 2) == 0 && home)
        snprintf(out, size, "%s/%s", home, in + 2);
    else
        snprintf(out, size, "%s", in);
}

/* Take what the context says into c (note 2). */
static void use(gt_cli *c, const char *path, const gt_cli_context *x) {
    if (!c->server_given && x->server[0])
        snprintf(c->server, sizeof c->server, "%s", x->server);
    if (x->token_file[0])
        expand_home(x->token_file, c->ctx_token_file, sizeof c->ctx_token_file);
    snprintf(c->ctx_tenant, sizeof c->ctx_tenant, "%s", x->tenant);
    snprintf(c->ctx_where, sizeof c->ctx_where, "context '%s' (%.900s:%d)", x->name, path, x->line);
}

/* The context to use: its name, and what named it (for messages); NULL name when none. */
static const char *chosen(const gt_cli *c, const gt_cli_config *cfg, const char **by) {
    const char *env = getenv(GT_CLI_ENV_CONTEXT);
    *by = c->context ? "--context" : GT_CLI_ENV_CONTEXT;
    if (c->context)
        return c->context;
    if (env && *env)
        return env;
    *by = NULL;
    return cfg->current[0] ? cfg->current : NULL;
}

int gt_cli_context_apply(gt_cli *c) {
    if (c->ctx_applied)
        return 0;
    c->ctx_applied = 1;
    char path[1024];
    gt_cli_config cfg;
    const char *by;
    int rc = gt_cli_config_path(path, sizeof path);
    if (rc == 0 && (rc = load(path, &cfg)) == 1) {
        const char *name = chosen(c, &cfg, &by);
        if (!name)
            return 0; /* no file and no context asked for: the defaults */
        gt_cli_say("%s: no context '%s': there is no configuration file '%s' ('gantry config "
                   "set-context' writes it)",
                   by, name, path);
        return GT_CLI_EXIT_USAGE;
    }
    if (rc != 0)
        return rc;
    const char *name = chosen(c, &cfg, &by);
    const gt_cli_context *x = name ? gt_cli_config_find(&cfg, name) : NULL;
    if (x)
        use(c, path, x);
    else if (name && by)
        gt_cli_say("%s: no context '%s' in '%s' ('gantry config get-contexts' lists them)", by,
                   name, path);
    else if (name)
        gt_cli_say("%s:%d: current-context '%s': no such context in the file", path,
                   cfg.current_line, name);
    gt_cli_config_free(&cfg);
    return !name || x ? 0 : GT_CLI_EXIT_USAGE;
}

/* ---- gantry config ---------------------------------------------------------------------- */

/* mkdir -p of path's folder, new folders 0700. */
static int make_parent(const char *path) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

static int save(const char *path, const gt_cli_config *cfg) {
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    mode_t old = umask(077);
    FILE *f = make_parent(path) == 0 ? fopen(tmp, "w") : NULL;
    umask(old);
    int ok = f != NULL;
    if (f) {
        gt_cli_config_write(f, cfg);
        ok = fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) == 0;
        ok = fclose(f) == 0 && ok && rename(tmp, path) == 0;
    }
    if (!ok) {
        gt_cli_say("cannot write '%s' (%s)", path, strerror(errno));
        unlink(tmp);
        return gt_err_exit(GT_E_IO);
    }
    return 0;
}

/* The file, which must exist (the commands that read it): 0 or an exit code. */
static int load_existing(const gt_cli *c, const char *path, gt_cli_config *cfg) {
    int rc = load(path, cfg);
    if (rc == 1)
        return gt_cli_usage(c,
                            "there is no configuration file '%s' ('gantry config set-context "
                            "NAME --server URL' writes it)",
                            path);
    return rc;
}

static int current_context(const gt_cli *c, const char *path) {
    gt_cli_config cfg;
    int rc = load_existing(c, path, &cfg);
    if (rc == 0 && !cfg.current[0])
        rc = gt_cli_usage(c,
                          "no current-context in '%s' ('gantry config use-context NAME' sets "
                          "it)",
                          path);
    else if (rc == 0)
        printf("%s\n", cfg.current);
    gt_cli_config_free(&cfg);
    return rc;
}

static json_t *context_json(const gt_cli_config *cfg, const gt_cli_context *x) {
    return json_pack("{sssbssssss}", "name", x->name, "current", strcmp(cfg->current, x->name) == 0,
                     "server", x->server, "token_file", x->token_file, "tenant", x->tenant);
}

static int get_contexts(const gt_cli *c, const char *path) {
    gt_cli_config cfg;
    int rc = load_existing(c, path, &cfg);
    if (rc != 0)
        return rc;
    static const char *const heads[] = {"CURRENT", "NAME", "SERVER", "TOKEN-FILE", "TENANT"};
    gt_table *t = c->json ? NULL : gt_table_new(5, heads, "lllll");
    json_t *list = c->json ? json_array() : NULL;
    for (size_t i = 0; i < cfg.n; i++) {
        const gt_cli_context *x = &cfg.ctx[i];
        if (list)
            json_array_append_new(list, context_json(&cfg, x));
        if (!t)
            continue;
        gt_table_add(t, "%s", strcmp(cfg.current, x->name) == 0 ? "*" : "");
        gt_table_add(t, "%s", x->name);
        gt_table_add(t, "%s", x->server[0] ? x->server : "-");
        gt_table_add(t, "%s", x->token_file[0] ? x->token_file : "-");
        gt_table_add(t, "%s", x->tenant[0] ? x->tenant : "-");
    }
    if (t)
        gt_table_print(t);
    if (list) {
        json_t *doc = json_pack("{sssO}", "file", path, "contexts", list);
        gt_cli_print_json(doc);
        json_decref(doc);
    }
    json_decref(list);
    gt_table_free(t);
    gt_cli_config_free(&cfg);
    return 0;
}

static int use_context(const gt_cli *c, const char *path, const char *name) {
    gt_cli_config cfg;
    int rc = load_existing(c, path, &cfg);
    if (rc == 0 && !gt_cli_config_find(&cfg, name))
        rc = gt_cli_usage(c, "no context '%s' in '%s' ('gantry config get-contexts' lists them)",
                          name, path);
    if (rc == 0) {
        snprintf(cfg.current, sizeof cfg.current, "%s", name);
        if ((rc = save(path, &cfg)) == 0)
            gt_cli_say("using context '%s'", name);
    }
    gt_cli_config_free(&cfg);
    return rc;
}

/* set-context's options into x; 0 or an exit code. */
static int set_fields(const gt_cli *c, gt_cli_context *x, int argc, char **argv) {
    gt_opt_args a = {argc, argv, 3};
    gt_error err;
    for (;;) {
        gt_opt_tok t = gt_opt_next_option(&a, gt_cli_config_opts, &err);
        if (t.kind == GT_TOK_END)
            return 0;
        if (t.kind == GT_TOK_ERR)
            return gt_cli_opt_error(c, &err);
        int which = (int)(t.opt - gt_cli_config_opts);
        if (which == OPT_SERVER && strncmp(t.val, "http://", 7) && strncmp(t.val, "https://", 8))
            return gt_cli_usage(c, "--server: expected a URL like http://HOST:PORT, got '%s'",
                                t.val);
        if (which == OPT_TENANT && !gt_cli_context_name_ok(t.val))
            return gt_cli_usage(c,
                                "--tenant: expected a name (letters, digits, '.', '_', '-'), "
                                "got '%s'",
                                t.val);
        if (which == OPT_TOKEN_FILE && !t.val[0])
            return gt_cli_usage(c, "--token-file: expected a path");
        char cwd[512] = "";
        if (which == OPT_TOKEN_FILE && t.val[0] != '/' && strncmp(t.val, "~/", 2) &&
            !getcwd(cwd, sizeof cwd))
            return gt_cli_usage(c, "--token-file: cannot make '%s' absolute", t.val);
        if (which == OPT_SERVER)
            snprintf(x->server, sizeof x->server, "%s", t.val);
        else if (which == OPT_TENANT)
            snprintf(x->tenant, sizeof x->tenant, "%s", t.val);
        else
            snprintf(x->token_file, sizeof x->token_file, "%s%s%s", cwd, cwd[0] ? "/" : "", t.val);
    }
}

static int set_context(const gt_cli *c, const char *path, int argc, char **argv) {
    const char *name = argv[2];
    if (!gt_cli_context_name_ok(name))
        return gt_cli_usage(c,
                            "set-context: expected a context name (1 to 63 letters, digits, "
                            "'.', '_' or '-'), got '%s'",
                            name);
    gt_cli_config cfg;
    int rc = load(path, &cfg);
    if (rc > 1)
        return rc;
    gt_cli_context *x = gt_cli_config_add(&cfg, name);
    rc = x ? set_fields(c, x, argc, argv) : gt_err_exit(GT_E_NOMEM);
    if (rc == 0 && (rc = save(path, &cfg)) == 0)
        gt_cli_say("context '%s' written to '%s'", name, path);
    gt_cli_config_free(&cfg);
    return rc;
}

int gt_cli_cmd_config(gt_cli *c, int argc, char **argv) {
    char path[1024];
    const char *sub = argc > 1 ? argv[1] : "";
    int named = !strcmp(sub, "use-context") || !strcmp(sub, "set-context");
    int known = named || !strcmp(sub, "current-context") || !strcmp(sub, "get-contexts");
    int rc = gt_cli_config_path(path, sizeof path);
    if (rc != 0)
        return rc;
    if (!known)
        return gt_cli_usage(c,
                            "%s '%s': expected use-context, get-contexts, current-context or "
                            "set-context",
                            argc > 1 ? "unknown subcommand" : "missing a subcommand", sub);
    if (named && argc < 3)
        return gt_cli_usage(c, "%s: missing the context's NAME", sub);
    if (!strcmp(sub, "set-context"))
        return set_context(c, path, argc, argv);
    if (argc > 2 + named)
        return gt_cli_usage(c, "%s: unexpected argument '%s'", sub, argv[2 + named]);
    if (!strcmp(sub, "current-context"))
        return current_context(c, path);
    if (!strcmp(sub, "get-contexts"))
        return get_contexts(c, path);
    return use_context(c, path, argv[2]);
}
