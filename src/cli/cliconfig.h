/* SPDX-License-Identifier: MIT
 * gantry's configuration file, like kubectl's: named contexts, each a controller, a token
 * file and a tenant, and the one in use. $XDG_CONFIG_HOME/gantry/config, by default
 * ~/.config/gantry/config (docs/cli.md, "Contexts"). The format is line-based:
 *
 *     # a comment
 *     current-context = lab
 *
 *     [context lab]
 *     server = http://10.0.0.5:7070
 *     token-file = /home/alice/.config/gantry/lab.token
 *     tenant = research
 *
 * Design notes
 *  1. Parsing and writing are pure (text in, text out); context.c reads and writes the file.
 *  2. Every error names FILE:LINE and what was expected; nothing is half-read: on error the
 *     config is empty.
 *  3. A context name is 1 to 63 letters, digits, '.', '_' or '-'; server is an http(s) URL;
 *     token-file an absolute path or ~/PATH (never the token itself: the file is for
 *     sharing between machines, the token stays in its own file of mode 0600).
 *  4. Writing gives the same document back in a canonical form (comments are not kept). */
#ifndef GT_CLI_CLICONFIG_H
#define GT_CLI_CLICONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "util/error.h"

#define GT_CLI_CTX_NAME 64
#define GT_CLI_CTX_MAX 256 /* contexts in one file */

typedef struct {
    char name[GT_CLI_CTX_NAME];
    char server[512];      /* "" when not set */
    char token_file[1024]; /* "" when not set; as written (~/ not expanded) */
    char tenant[GT_CLI_CTX_NAME];
    int line; /* of its [context NAME] line; 0 for one made here */
} gt_cli_context;

typedef struct {
    char current[GT_CLI_CTX_NAME]; /* current-context, "" when not set */
    int current_line;              /* its line, 0 when not set or set here */
    gt_cli_context *ctx;           /* owned; n of them, in file order */
    size_t n;
} gt_cli_config;

/* Parse len bytes of text (not NUL-terminated), `path` naming it in errors ("PATH:LINE:
 * unknown key 'x' (server, token-file, tenant)"). On success *cfg is the caller's (free it
 * with gt_cli_config_free); on error it is empty and *err says why. */
gt_err gt_cli_config_parse(const char *text, size_t len, const char *path, gt_cli_config *cfg,
                           gt_error *err);
/* The context called name, or NULL. */
gt_cli_context *gt_cli_config_find(const gt_cli_config *cfg, const char *name);
/* The context called name, added (empty) when there is none; NULL when out of memory or the
 * file has GT_CLI_CTX_MAX already. name must pass gt_cli_context_name_ok. */
gt_cli_context *gt_cli_config_add(gt_cli_config *cfg, const char *name);
/* 1 when name is a valid context name (note 3). */
int gt_cli_context_name_ok(const char *name);
/* The document, canonical, onto f. */
void gt_cli_config_write(FILE *f, const gt_cli_config *cfg);
void gt_cli_config_free(gt_cli_config *cfg); /* accepts a zeroed config */

/* The fuzzers' check (tests/fuzz/fuzz_cliconfig.c, tests/unit/test_fuzz_corpus.c): parse
 * text; an error must have a location and a message and leave no contexts; a success must
 * write out, parse back and write out the same text. 0 when it holds, else -1 and why. */
int gt_cli_config_roundtrip(const char *text, size_t len, char *why, size_t size);

#endif
