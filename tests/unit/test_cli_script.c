/* SPDX-License-Identifier: MIT
 * Unit tests for batch scripts (cli/script.h): which files are scripts, #GANTRY directives
 * (where they stop, quoting, comments, every error located at FILE:LINE), the command
 * that carries the script's text for each kind of "#!" line, and the whole document
 * through submit's own functions (directives under the command line's options, the
 * script's arguments, its name). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cli/script.h"
#include "cli/spec.h"

static void test_is_script(void **state) {
    (void)state;
    assert_true(gt_cli_is_script("#!/bin/sh\n", 10));
    assert_true(gt_cli_is_script("#!", 2));
    assert_false(gt_cli_is_script("#", 1));
    assert_false(gt_cli_is_script(" #!/bin/sh", 10));
    assert_false(gt_cli_is_script("{\"gpus\": 1}", 11));
    assert_false(gt_cli_is_script("# gpus: 1\n", 10));
    assert_false(gt_cli_is_script(NULL, 0));
}

/* The fields the directives of `text` set, as compact JSON (a NULL-terminated array of
 * lines is joined with '\n'). */
static char *directives(const char *text) {
    gt_cli_submit_req d;
    gt_error err;
    if (gt_cli_script_directives(text, strlen(text), "job.sh", &d, &err) != GT_E_OK)
        fail_msg("refused: %s: %s", err.where, err.msg);
    json_t *all = json_copy(d.fields);
    if (d.env)
        json_object_set(all, "env", d.env);
    if (d.nodes)
        json_object_set_new(all, "-N", json_integer(d.nodes));
    char *s = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(all);
    gt_cli_submit_req_free(&d);
    return s;
}

static void expect_fields(const char *text, const char *want) {
    char *got = directives(text);
    if (strcmp(got, want) != 0)
        fail_msg("got %s\nwant %s", got, want);
    free(got);
}

static void expect_refused(const char *text, const char *where, const char *msg) {
    gt_cli_submit_req d;
    gt_error err;
    memset(&err, 0, sizeof err);
    if (gt_cli_script_directives(text, strlen(text), "job.sh", &d, &err) == GT_E_OK) {
        gt_cli_submit_req_free(&d);
        fail_msg("accepted, want %s: %s", where, msg);
    }
    assert_null(d.fields);
    assert_string_equal(err.where, where);
    assert_string_equal(err.msg, msg);
    assert_int_equal(gt_err_exit(err.code), 2);
}

static void test_directives(void **state) {
    (void)state;
    expect_fields("#!/bin/sh\n", "{}");
    expect_fields("#!/bin/sh\n#GANTRY -J train -G 8 -t 2:00:00\n",
                  "{\"gpus\":8,\"name\":\"train\",\"time_limit_s\":7200}");
    /* blanks and comments between them; the first command ends them */
    expect_fields("#!/bin/bash\n\n# setup\n  #GANTRY -G 2\n\t\n#GANTRY --cpus=3\necho hi\n"
                  "#GANTRY -G 99\n",
                  "{\"cpus\":3,\"gpus\":2}");
    /* a directive without a blank after it is a comment, as is one in lower case */
    expect_fields("#!/bin/sh\n#GANTRYX -G 5\n#gantry -G 6\n#GANTRY\n#GANTRY\t-G 7\r\n",
                  "{\"gpus\":7}");
    /* quotes, escapes, a comment after the options, repeated options, env, -N */
    expect_fields("#!/bin/sh\n#GANTRY --env 'A=x y' --env \"B=say \\\"hi\\\"\" -J a\\ b\n"
                  "#GANTRY -G 4 -N 2 # four GPUs on two nodes\n#GANTRY -G 8 --env A=z\n",
                  "{\"-N\":2,\"env\":{\"A\":\"z\",\"B\":\"say \\\"hi\\\"\"},\"gpus\":8,"
                  "\"name\":\"a b\"}");
    expect_fields("#!/bin/sh\n#GANTRY -J ''\n", "{\"name\":\"\"}");
    /* no newline at the end */
    expect_fields("#!/bin/sh\n#GANTRY -G 3", "{\"gpus\":3}");
}

static void test_directive_errors(void **state) {
    (void)state;
    expect_refused("#!/bin/sh\n#GANTRY -G 2\n\n#GANTRY --bogus\n", "job.sh:4",
                   "unknown option '--bogus'");
    expect_refused("#!/bin/sh\n#GANTRY -G x\n", "job.sh:2",
                   "--gpus: expected an integer from 0 to 1048576, got 'x'");
    expect_refused("#!/bin/sh\n#GANTRY -t 1:75\n", "job.sh:2",
                   "--time: minutes and seconds go up to 59, and hours up to 23 after a day "
                   "count, got '1:75'");
    expect_refused("#!/bin/sh\n#GANTRY -G\n", "job.sh:2", "--gpus needs a value (N)");
    expect_refused("#!/bin/sh\n#GANTRY -G 2 train.py\n", "job.sh:2",
                   "unexpected argument 'train.py' (a directive holds options only)");
    expect_refused("#!/bin/sh\n#GANTRY -- ls\n", "job.sh:2", "'--' has no place in a directive");
    expect_refused("#!/bin/sh\n#GANTRY --dry-run\n", "job.sh:2",
                   "--dry-run: only on the command line");
    expect_refused("#!/bin/sh\n#GANTRY -J 'abc\n", "job.sh:2", "a quote is not closed");
    expect_refused("#!/bin/sh\n#GANTRY --name \"\xff\"\n", "job.sh:2",
                   "--name: '\xff' is not valid UTF-8");
    char many[512] = "#!/bin/sh\n#GANTRY";
    for (int i = 0; i < 65; i++)
        strcat(many, " -G1");
    expect_refused(many, "job.sh:2", "more than 64 words on one line");
}

/* The command for `text` with arguments, as compact JSON. */
static void expect_command(const char *text, const char *want) {
    char *args[] = {"a", "b c"};
    gt_error err;
    json_t *cmd = gt_cli_script_command(text, strlen(text), "dir/job.sh", "job.sh", args, 2, &err);
    if (!cmd)
        fail_msg("refused: %s: %s", err.where, err.msg);
    char *got = json_dumps(cmd, JSON_COMPACT);
    if (strcmp(got, want) != 0)
        fail_msg("got %s\nwant %s", got, want);
    free(got);
    json_decref(cmd);
}

static void expect_no_command(const char *text, size_t len, const char *where, const char *msg) {
    gt_error err;
    memset(&err, 0, sizeof err);
    json_t *cmd = gt_cli_script_command(text, len, "dir/job.sh", "job.sh", NULL, 0, &err);
    if (cmd)
        fail_msg("accepted, want %s", msg);
    assert_string_equal(err.where, where);
    assert_string_equal(err.msg, msg);
}

static void test_command(void **state) {
    (void)state;
    /* shells: the text after -c, then $0, then the arguments */
    expect_command("#!/bin/bash\necho hi\n",
                   "[\"/bin/bash\",\"-c\",\"#!/bin/bash\\necho hi\\n\",\"job.sh\",\"a\",\"b c\"]");
    expect_command("#!/bin/sh", "[\"/bin/sh\",\"-c\",\"#!/bin/sh\",\"job.sh\",\"a\",\"b c\"]");
    /* the line's one argument, as Linux passes it; blanks around it dropped */
    expect_command("#! /bin/bash -l  \nx\n",
                   "[\"/bin/bash\",\"-l\",\"-c\",\"#! /bin/bash -l  \\nx\\n\",\"job.sh\",\"a\","
                   "\"b c\"]");
    expect_command("#!/usr/bin/env bash\nx\n", "[\"/usr/bin/env\",\"bash\",\"-c\","
                                               "\"#!/usr/bin/env bash\\nx\\n\",\"job.sh\",\"a\","
                                               "\"b c\"]");
    expect_command("#!/bin/zsh\n", "[\"/bin/zsh\",\"-c\",\"#!/bin/zsh\\n\",\"job.sh\",\"a\","
                                   "\"b c\"]");
    /* python and perl: no $0 */
    expect_command("#!/usr/bin/env python3\nprint(1)\n",
                   "[\"/usr/bin/env\",\"python3\",\"-c\",\"#!/usr/bin/env python3\\nprint(1)\\n\","
                   "\"a\",\"b c\"]");
    expect_command("#!/usr/bin/python3.11 -u\n", "[\"/usr/bin/python3.11\",\"-u\",\"-c\","
                                                 "\"#!/usr/bin/python3.11 -u\\n\",\"a\",\"b c\"]");
    expect_command("#!/usr/bin/perl\n",
                   "[\"/usr/bin/perl\",\"-e\",\"#!/usr/bin/perl\\n\",\"a\",\"b c\"]");
    const char *which = "cannot run a script for '%s' from its text: gantry runs sh, bash, dash, "
                        "ksh, zsh and python scripts (-c) and perl ones (-e)";
    char msg[256];
    snprintf(msg, sizeof msg, which, "/usr/bin/ruby");
    expect_no_command("#!/usr/bin/ruby\n", 16, "dir/job.sh:1", msg);
    snprintf(msg, sizeof msg, which, "node");
    expect_no_command("#!/usr/bin/env node\n", 20, "dir/job.sh:1", msg);
    snprintf(msg, sizeof msg, which, "/bin/bashful");
    expect_no_command("#!/bin/bashful\n", 15, "dir/job.sh:1", msg);
    expect_no_command("#!\n", 3, "dir/job.sh:1", "expected '#!INTERPRETER [ARGUMENT]'");
    expect_no_command("#!/bin/sh\necho \0x\n", 18, "dir/job.sh", "holds a NUL byte");
    expect_no_command("#!/bin/sh\necho \xff\n", 16, "dir/job.sh", "not valid UTF-8");
    char *big = malloc(GT_CLI_SCRIPT_MAX + 2);
    memset(big, ' ', GT_CLI_SCRIPT_MAX + 1);
    memcpy(big, "#!/bin/sh\n", 10);
    big[GT_CLI_SCRIPT_MAX + 1] = 0;
    expect_no_command(big, GT_CLI_SCRIPT_MAX + 1, "dir/job.sh",
                      "larger than 128 KiB, the most one argument of a program holds (the job "
                      "carries the script's text)");
    big[GT_CLI_SCRIPT_MAX] = 0;
    gt_error err;
    json_t *cmd = gt_cli_script_command(big, GT_CLI_SCRIPT_MAX, "f", "f", NULL, 0, &err);
    assert_non_null(cmd); /* exactly the most */
    json_decref(cmd);
    free(big);
}

/* The document `gantry submit ARGS` sends for a script of `text` in /home/u. */
static json_t *submit_doc(const char *const *args, const char *text, gt_error *err) {
    char *argv[32] = {"submit"};
    int argc = 1;
    while (args[argc - 1])
        argv[argc] = (char *)args[argc - 1], argc++;
    gt_cli_submit_req req;
    json_t *doc = NULL;
    memset(err, 0, sizeof *err);
    if (gt_cli_submit_parse(argc, argv, &req, err) != GT_E_OK)
        return NULL;
    if (gt_cli_submit_rest(&req, text, strlen(text), NULL, err) == GT_E_OK)
        gt_cli_submit_doc(&req, text, strlen(text), "/home/u", &doc, err);
    gt_cli_submit_req_free(&req);
    return doc;
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void expect_submit(const char *const *args, const char *text, const char *want) {
    gt_error err;
    json_t *doc = submit_doc(args, text, &err), *w = json_loads(want, 0, NULL);
    if (!doc)
        fail_msg("refused: %s: %s", err.where, err.msg);
    assert_non_null(w);
    json_object_del(doc, "command"); /* test_command's */
    if (!json_equal(doc, w))
        fail_msg("got %s\nwant %s", json_dumps(doc, JSON_COMPACT), want);
    json_decref(doc);
    json_decref(w);
}

static void test_submit(void **state) {
    (void)state;
    const char *text = "#!/bin/sh\n#GANTRY -J train -G 8 -N 2 -t 60 --env A=1 --workdir run\n"
                       "exec python3 train.py \"$@\"\n";
    /* directives, the workdir made absolute */
    expect_submit(ARGS("dir/job.sh"), text,
                  "{\"name\": \"train\", \"gpus\": 8, \"gpus_per_node\": 4, \"time_limit_s\": "
                  "3600, \"env\": {\"A\": \"1\"}, \"workdir\": \"/home/u/run\"}");
    /* the command line overrides them; options after the script are the script's */
    expect_submit(ARGS("-J", "other", "-G", "4", "--env", "B=2", "-t", "1:00", "--workdir", "/w",
                       "dir/job.sh", "-G", "16", "--bogus"),
                  text,
                  "{\"name\": \"other\", \"gpus\": 4, \"gpus_per_node\": 2, \"time_limit_s\": "
                  "60, \"env\": {\"A\": \"1\", \"B\": \"2\"}, \"workdir\": \"/w\"}");
    /* the command line's gpus_per_node wins over a directive's -N; its -N over the
     * directive's gpus_per_node */
    expect_submit(ARGS("--gpus-per-node", "8", "dir/job.sh"), text,
                  "{\"name\": \"train\", \"gpus\": 8, \"gpus_per_node\": 8, \"time_limit_s\": "
                  "3600, \"env\": {\"A\": \"1\"}, \"workdir\": \"/home/u/run\"}");
    expect_submit(ARGS("-N", "1", "job.sh"), "#!/bin/sh\n#GANTRY -G 4 --gpus-per-node 2\n",
                  "{\"name\": \"job.sh\", \"gpus\": 4, \"gpus_per_node\": 4, \"workdir\": "
                  "\"/home/u\"}");
    /* no -J: the job is named after the script; a task array's kind is implied */
    expect_submit(ARGS("dir/job.sh"), "#!/bin/sh\n#GANTRY -n 4 -G 0 -c 1\n",
                  "{\"name\": \"job.sh\", \"tasks\": 4, \"gpus\": 0, \"cpus\": 1, \"kind\": "
                  "\"tasks\", \"workdir\": \"/home/u\"}");
    /* the script's arguments follow its text and $0 */
    gt_error err;
    json_t *doc = submit_doc(ARGS("job.sh", "--lr", "3e-4", "--", "x"), "#!/bin/sh\n", &err);
    assert_non_null(doc);
    char *cmd = json_dumps(json_object_get(doc, "command"), JSON_COMPACT);
    assert_string_equal(cmd, "[\"/bin/sh\",\"-c\",\"#!/bin/sh\\n\",\"job.sh\",\"--lr\",\"3e-4\","
                             "\"--\",\"x\"]");
    free(cmd);
    json_decref(doc);
    /* errors: a directive's, a cross-field one, the core's, all located in the script */
    assert_null(submit_doc(ARGS("job.sh"), "#!/bin/sh\n#GANTRY -G 16\n#GANTRY -N 3\n", &err));
    assert_string_equal(err.where, "job.sh");
    assert_string_equal(err.msg, "--nodes: 3 does not divide gpus (16)");
    assert_null(submit_doc(ARGS("job.sh"), "#!/bin/sh\n#GANTRY -G 16 --gpus-per-node 3\n", &err));
    assert_string_equal(err.where, "job.sh");
    assert_string_equal(err.msg, "gpus_per_node: 3 does not divide gpus (16)");
    assert_null(submit_doc(ARGS("job.sh"), "#!/bin/sh\n\n#GANTRY -X\n", &err));
    assert_string_equal(err.where, "job.sh:3");
    assert_string_equal(err.msg, "unknown option '-X'");
    /* after a job spec, what follows it is options again */
    assert_null(submit_doc(ARGS("job.json", "--bogus"), "{\"gpus\": 1}", &err));
    assert_string_equal(err.msg, "unknown option '--bogus'");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_script),        cmocka_unit_test(test_directives),
        cmocka_unit_test(test_directive_errors), cmocka_unit_test(test_command),
        cmocka_unit_test(test_submit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
