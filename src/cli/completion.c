/* SPDX-License-Identifier: MIT
 * `gantry completion bash|zsh`: a shell completion script written from the command table.
 *
 * Design notes
 *  1. The script holds what the tables say (commands, each command's options and the
 *     global ones, which take a value, a choice's values, what the arguments are) and asks
 *     the controller only for what changes: job ids (`gantry jobs --noheader -o id`) and
 *     node names (the first column of `gantry nodes`), through the --server, --context and
 *     --token-file already typed on the line. A controller that does not answer offers
 *     nothing, silently.
 *  2. A value that names a file (an option whose value is FILE, PATH or DIR, or a command
 *     whose arguments are files) is left to the shell's own file completion; so is every
 *     word after "--" (a job's command line).
 *  3. Bash: one function, _gantry, for `complete -o default -F`. It reads COMP_WORDS and
 *     COMP_CWORD only (no bash-completion helpers needed) and joins what bash splits at
 *     '=' and ':' (`--kind=tr`, `--server http://h:7070`). Two functions generated from the
 *     tables answer its questions: _gantry_opt CMD OPTION (does it take a value, from which
 *     list) and _gantry_cmd CMD (its options, its arguments).
 *  4. Zsh: an _arguments spec per command, with the summaries and help lines as
 *     descriptions; a command's own option wins over a global option of the same name
 *     (`wait --timeout`), as in dispatch. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char *const shells[] = {"bash", "zsh", NULL};

/* A global option that the command's own table does not shadow. */
static int global_applies(const gt_cli_cmd *c, const gt_opt *g) {
    for (const gt_opt *o = c ? c->opts : NULL; o && o->name; o++)
        if (strcmp(o->name, g->name) == 0)
            return 0;
    return 1;
}

/* A value the shell's file completion should offer. */
static int takes_file(const gt_opt *o) {
    return o->arg && (strstr(o->arg, "FILE") || strstr(o->arg, "PATH") || strstr(o->arg, "DIR"));
}

/* ---- bash ----------------------------------------------------------------------------- */

static void bash_words(FILE *f, const char *const *w) {
    for (; w && *w; w++)
        fprintf(f, " %s", *w);
}

/* The case arms of _gantry_opt for one table: "CMD:-J | CMD:--name) REPLY=value ;;"; the
 * global options' (cmd NULL) match any command, after the command's own. */
static void bash_opt_arms(FILE *f, const char *cmd, const gt_opt *opts) {
    for (const gt_opt *o = opts; o && o->name; o++) {
        fprintf(f, "    ");
        if (o->short_name)
            fprintf(f, "%s:-%c | ", cmd ? cmd : "*", o->short_name);
        fprintf(f, "%s:%s) REPLY=%s", cmd ? cmd : "*", o->name,
                o->type == GT_OPT_SWITCH ? "switch" : "'value");
        if (o->type == GT_OPT_CHOICE)
            bash_words(f, o->choices);
        fprintf(f, "%s ;;\n", o->type == GT_OPT_SWITCH ? "" : "'");
    }
}

static const char *bash_args(gt_cli_args_kind k) {
    switch (k) {
    case GT_CLI_ARGS_JOBS:
        return "job";
    case GT_CLI_ARGS_NODE:
        return "node";
    case GT_CLI_ARGS_FILE:
        return "file";
    case GT_CLI_ARGS_COMMAND:
        return "command";
    case GT_CLI_ARGS_SHELL:
        return "words bash zsh";
    default:
        return "";
    }
}

/* The long names of command c's options and of the global ones it does not shadow (c
 * NULL: the global ones). */
static void bash_names(FILE *f, const gt_cli_cmd *c) {
    const char *sep = "";
    for (const gt_opt *o = c ? c->opts : NULL; o && o->name; o++, sep = " ")
        fprintf(f, "%s%s", sep, o->name);
    for (const gt_opt *g = gt_cli_global_opts; g->name; g++)
        if (global_applies(c, g)) {
            fprintf(f, "%s%s", sep, g->name);
            sep = " ";
        }
}

static void bash_tables(FILE *f) {
    fprintf(f, "_gantry_commands='");
    for (const gt_cli_cmd *c = gt_cli_commands; c->name; c++)
        fprintf(f, "%s%s", c == gt_cli_commands ? "" : " ", c->name);
    fprintf(f, "'\n\n# _gantry_opt CMD OPTION: REPLY=switch, value (it takes one) or 'value W...' "
               "(one of the\n# words W); empty when CMD has no such option.\n"
               "_gantry_opt() {\n    case $1:$2 in\n");
    for (const gt_cli_cmd *c = gt_cli_commands; c->name; c++)
        bash_opt_arms(f, c->name, c->opts);
    bash_opt_arms(f, NULL, gt_cli_global_opts);
    fprintf(f, "    *) REPLY= ;;\n    esac\n}\n\n");
    fprintf(f, "# _gantry_cmd CMD: REPLY=its options, REPLY2=what its arguments are (job, node, "
               "file,\n# command, 'words W...' or nothing).\n"
               "_gantry_cmd() {\n    case $1 in\n");
    for (const gt_cli_cmd *c = gt_cli_commands; c->name; c++) {
        fprintf(f, "    %s) REPLY='", c->name);
        bash_names(f, c);
        fprintf(f, "' REPLY2='%s' ;;\n", bash_args(c->args));
    }
    fprintf(f, "    *) REPLY='");
    bash_names(f, NULL);
    fprintf(f, "' REPLY2= ;;\n    esac\n}\n\n");
}

/* The part that does not depend on the tables. */
static const char bash_main[] =
    "# gantry with the --server, --token-file and --context typed on the line; quiet.\n"
    "_gantry_run() {\n"
    "    gantry \"${_gantry_globals[@]}\" \"$@\" 2>/dev/null\n"
    "}\n"
    "\n"
    "# _gantry_offer WORDS: COMPREPLY=those of WORDS that start with $cur (status 0 even when\n"
    "# none does, for shells run with set -e).\n"
    "_gantry_offer() {\n"
    "    COMPREPLY=($(compgen -W \"$1\" -- \"$cur\" || :))\n"
    "}\n"
    "\n"
    "_gantry() {\n"
    "    local cur=${COMP_WORDS[COMP_CWORD]} cmd= want= w v i REPLY REPLY2\n"
    "    local -a _gantry_globals=()\n"
    "    COMPREPLY=()\n"
    "    [[ $cur == = ]] && cur=\n"
    "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
    "        w=${COMP_WORDS[i]}\n"
    "        if [[ $w == -- && -n $cmd ]]; then\n"
    "            return 0 # a job's command line: the shell's own completion\n"
    "        elif [[ $w == -?* ]]; then\n"
    "            _gantry_opt \"$cmd\" \"$w\"\n"
    "            [[ $REPLY == value* ]] || continue\n"
    "            # its value: the next word, after '=' if bash split one off, with the\n"
    "            # pieces bash split at ':' joined again\n"
    "            ((i + 1 < COMP_CWORD)) || { want=$w; break; }\n"
    "            ((i++))\n"
    "            if [[ ${COMP_WORDS[i]} == = ]]; then\n"
    "                ((i + 1 < COMP_CWORD)) || { want=$w; break; }\n"
    "                ((i++))\n"
    "            fi\n"
    "            v=${COMP_WORDS[i]}\n"
    "            while ((i + 2 < COMP_CWORD)) && [[ ${COMP_WORDS[i + 1]} == : ]]; do\n"
    "                v+=:${COMP_WORDS[i + 2]}\n"
    "                ((i += 2))\n"
    "            done\n"
    "            case $w in --server | --token-file | --context) _gantry_globals+=(\"$w\" \"$v\") "
    ";; esac\n"
    "        elif [[ -z $cmd ]]; then\n"
    "            cmd=$w\n"
    "        fi\n"
    "    done\n"
    "    if [[ -n $want ]]; then\n"
    "        _gantry_opt \"$cmd\" \"$want\"\n"
    "        _gantry_offer \"${REPLY#value}\"\n"
    "        return 0\n"
    "    fi\n"
    "    _gantry_cmd \"$cmd\"\n"
    "    if [[ $cur == -* ]]; then\n"
    "        _gantry_offer \"$REPLY\"\n"
    "    elif [[ -z $cmd ]]; then\n"
    "        _gantry_offer \"$_gantry_commands\"\n"
    "    else\n"
    "        case $REPLY2 in\n"
    "        job) _gantry_offer \"$(_gantry_run jobs --noheader -o id)\" ;;\n"
    "        node) _gantry_offer \"$(_gantry_run nodes | awk 'NR > 1 {print $1}')\" ;;\n"
    "        command) _gantry_offer \"$_gantry_commands\" ;;\n"
    "        words\\ *) _gantry_offer \"${REPLY2#words}\" ;;\n"
    "        esac\n"
    "    fi\n"
    "    return 0\n"
    "}\n"
    "\n"
    "complete -o default -F _gantry gantry\n";

static void bash_script(FILE *f) {
    fprintf(f, "# bash completion for gantry, written by 'gantry completion bash' from gantry's "
               "own\n# command table, so it knows this version's commands and options.\n"
               "# Enable: source <(gantry completion bash) in ~/.bashrc, or install it as\n"
               "# /usr/share/bash-completion/completions/gantry (the Debian package does).\n\n");
    bash_tables(f);
    fputs(bash_main, f);
}

/* ---- zsh ------------------------------------------------------------------------------ */

/* Text inside a single-quoted _arguments spec: ' closes and reopens the quotes; in a
 * description ('[...]') the brackets are escaped, in a message (':...:') the colon. */
static void zsh_text(FILE *f, const char *s, const char *special) {
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else if (strchr(special, *s))
            fprintf(f, "\\%c", *s);
        else
            fputc(*s, f);
    }
}

static void zsh_opt(FILE *f, const gt_opt *o) {
    const char *repeat = o->type == GT_OPT_KEYVAL ? "*" : "";
    const char *eq = o->type == GT_OPT_SWITCH ? "" : "=";
    if (o->short_name && *repeat)
        fprintf(f, "    '*'{-%c+,%s%s}'[", o->short_name, o->name, eq);
    else if (o->short_name)
        fprintf(f, "    '(-%c %s)'{-%c%s,%s%s}'[", o->short_name, o->name, o->short_name,
                o->type == GT_OPT_SWITCH ? "" : "+", o->name, eq);
    else
        fprintf(f, "    '%s%s%s[", repeat, o->name, eq);
    zsh_text(f, o->help, "[]\\");
    fputc(']', f);
    if (o->type != GT_OPT_SWITCH) {
        fputc(':', f);
        zsh_text(f, o->arg ? o->arg : "value", ":\\");
        fputc(':', f);
        if (o->type == GT_OPT_CHOICE) {
            fputc('(', f);
            for (const char *const *c = o->choices; c && *c; c++)
                fprintf(f, "%s%s", c == o->choices ? "" : " ", *c);
            fputc(')', f);
        } else if (takes_file(o)) {
            fputs(strstr(o->arg, "DIR") ? "_files -/" : "_files", f);
        }
    }
    fputs("' \\\n", f);
}

static const char *zsh_args(gt_cli_args_kind k) {
    switch (k) {
    case GT_CLI_ARGS_JOBS:
        return "'*: :_gantry_job_ids'";
    case GT_CLI_ARGS_NODE:
        return "'1: :_gantry_nodes'";
    case GT_CLI_ARGS_FILE:
        return "'*:file:_files'";
    case GT_CLI_ARGS_COMMAND:
        return "'1: :_gantry_commands'";
    case GT_CLI_ARGS_SHELL:
        return "'1:shell:(bash zsh)'";
    default:
        return NULL;
    }
}

static void zsh_command(FILE *f, const gt_cli_cmd *c) {
    fprintf(f, "  %s)\n    _arguments -S \\\n", c->name);
    for (const gt_opt *o = c->opts; o && o->name; o++)
        zsh_opt(f, o);
    for (const gt_opt *g = gt_cli_global_opts; g->name; g++)
        if (global_applies(c, g))
            zsh_opt(f, g);
    const char *args = zsh_args(c->args);
    fprintf(f, "    %s%s&& ret=0\n    ;;\n", args ? args : "", args ? " " : "");
}

static const char zsh_helpers[] =
    "# gantry with the --server, --token-file and --context typed before the command; quiet.\n"
    "_gantry_call() {\n"
    "  local o\n"
    "  local -a g\n"
    "  for o in --server --token-file --context; do\n"
    "    (( ${+_gantry_opts[$o]} )) && g+=($o \"${_gantry_opts[$o]//\\\\:/:}\")\n"
    "  done\n"
    "  _call_program gantry gantry \"${g[@]}\" \"$@\" 2>/dev/null\n"
    "}\n"
    "\n"
    "_gantry_job_ids() {\n"
    "  local -a ids\n"
    "  ids=(${=\"$(_gantry_call jobs --noheader -o id)\"})\n"
    "  _wanted jobs expl 'job id' compadd -a ids\n"
    "}\n"
    "\n"
    "_gantry_nodes() {\n"
    "  local -a lines nodes\n"
    "  lines=(${(f)\"$(_gantry_call nodes)\"})\n"
    "  nodes=(${${lines[2,-1]}%% *})\n"
    "  _wanted nodes expl node compadd -a nodes\n"
    "}\n"
    "\n";

static void zsh_script(FILE *f) {
    fprintf(f, "#compdef gantry\n# zsh completion for gantry, written by 'gantry completion zsh' "
               "from gantry's own\n# command table, so it knows this version's commands and "
               "options.\n# Enable: source <(gantry completion zsh) in ~/.zshrc (after "
               "compinit), or install it\n# as _gantry in a folder of $fpath "
               "(/usr/share/zsh/vendor-completions in Debian's package).\n\n");
    fputs(zsh_helpers, f);
    fprintf(f, "_gantry_commands() {\n  local -a cmds\n  cmds=(\n");
    for (const gt_cli_cmd *c = gt_cli_commands; c->name; c++) {
        fprintf(f, "    '%s:", c->name);
        zsh_text(f, c->summary, ":\\");
        fputs("'\n", f);
    }
    fprintf(f, "  )\n  _describe -t commands 'gantry command' cmds\n}\n\n");
    fprintf(f, "_gantry() {\n  local curcontext=$curcontext state line ret=1\n"
               "  local -A opt_args\n  _arguments -C \\\n");
    for (const gt_opt *g = gt_cli_global_opts; g->name; g++)
        zsh_opt(f, g);
    fprintf(f, "    '1: :_gantry_commands' \\\n    '*:: :->args' && ret=0\n"
               "  [[ $state == args ]] || return ret\n"
               "  local -A _gantry_opts\n  _gantry_opts=(\"${(@kv)opt_args}\")\n"
               "  curcontext=${curcontext%%:*:*}:gantry-$words[1]:\n"
               "  case $words[1] in\n");
    for (const gt_cli_cmd *c = gt_cli_commands; c->name; c++)
        zsh_command(f, c);
    fprintf(f, "  esac\n  return ret\n}\n\n"
               "if [[ $funcstack[1] == _gantry ]]; then\n  _gantry \"$@\"\n"
               "else\n  compdef _gantry gantry\nfi\n");
}

/* ---- the command ---------------------------------------------------------------------- */

gt_err gt_cli_completion(FILE *f, const char *shell) {
    if (strcmp(shell, "bash") == 0)
        bash_script(f);
    else if (strcmp(shell, "zsh") == 0)
        zsh_script(f);
    else
        return GT_E_INVALID;
    return GT_E_OK;
}

int gt_cli_cmd_completion(gt_cli *c, int argc, char **argv) {
    int rc = gt_cli_nargs(c, argc, argv, 1, 1, "shell (bash or zsh)");
    if (rc)
        return rc;
    if (gt_cli_completion(stdout, argv[1]) != GT_E_OK)
        return gt_cli_usage(c, "unknown shell '%s' (the shells: %s, %s)", argv[1], shells[0],
                            shells[1]);
    return 0;
}
