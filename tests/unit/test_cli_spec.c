/* SPDX-License-Identifier: MIT
 * Unit tests for `gantry submit`'s document: options -> JSON, spec files (JSON and YAML)
 * with options on top, the defaults it adds (workdir, implied kind), and the errors it
 * gives before any request: bad options, bad files, specs the core refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/spec.h"
#include "srcfile.h"

/* Build the document from an argument list (after "submit") and an optional file text. */
static gt_err build(const char *const *args, const char *file, const char *text, json_t **out,
                    gt_error *err) {
    char *argv[64] = {"submit"};
    int argc = 1;
    for (; args && args[argc - 1]; argc++)
        argv[argc] = (char *)args[argc - 1];
    gt_cli_submit_req req;
    memset(err, 0, sizeof *err);
    *out = NULL;
    gt_err e = gt_cli_submit_parse(argc, argv, &req, err);
    if (e)
        return e;
    if (file)
        req.file = file;
    e = gt_cli_submit_rest(&req, text, text ? strlen(text) : 0, NULL, err);
    if (e) {
        gt_cli_submit_req_free(&req);
        return e;
    }
    e = gt_cli_submit_doc(&req, text, text ? strlen(text) : 0, "/home/u/proj", out, err);
    gt_cli_submit_req_free(&req);
    return e;
}

/* The document built from args (and file) must equal `want` (JSON text). */
static void expect_doc(const char *const *args, const char *file, const char *text,
                       const char *want) {
    json_t *doc;
    gt_error err;
    if (build(args, file, text, &doc, &err) != GT_E_OK)
        fail_msg("refused: %s: %s", err.where, err.msg);
    json_t *w = json_loads(want, 0, NULL);
    assert_non_null(w);
    if (!json_equal(doc, w)) {
        char *got = json_dumps(doc, JSON_COMPACT);
        fail_msg("got %s\nwant %s", got, want);
    }
    json_decref(w);
    json_decref(doc);
}

static void expect_error(const char *const *args, const char *file, const char *text,
                         const char *where, const char *msg) {
    json_t *doc = (json_t *)1;
    gt_error err;
    if (build(args, file, text, &doc, &err) == GT_E_OK)
        fail_msg("accepted, want '%s'", msg);
    assert_null(doc);
    assert_string_equal(err.msg, msg);
    assert_string_equal(err.where, where ? where : "");
    assert_true(gt_err_exit(err.code) == 2);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_flags(void **state) {
    (void)state;
    expect_doc(NULL, NULL, NULL, "{}");
    expect_doc(ARGS("--gpus", "8", "--duration", "90"), NULL, NULL,
               "{\"gpus\": 8, \"duration_s\": 90}");
    expect_doc(ARGS("--name", "llm", "--tenant", "research", "--priority", "high", "--gpus", "16",
                    "--gpus-per-node", "8", "--gpu-model", "H100", "--cpus", "32", "--memory",
                    "64G", "--within", "domain", "--time-limit", "2h", "--estimate", "1h30m",
                    "--grace", "1.5", "--duration", "10m"),
               NULL, NULL,
               "{\"name\": \"llm\", \"tenant\": \"research\", \"priority\": \"high\", "
               "\"gpus\": 16, \"gpus_per_node\": 8, \"gpu_model\": \"H100\", \"cpus\": 32, "
               "\"memory_mb\": 65536, \"within\": \"domain\", \"time_limit_s\": 7200, "
               "\"estimate_s\": 5400, \"grace_s\": 1.5, \"duration_s\": 600}");
    /* --tasks and --replicas imply the kind; an explicit kind stays (and is checked). */
    expect_doc(ARGS("--tasks", "10", "--gpus", "1", "--duration", "5"), NULL, NULL,
               "{\"tasks\": 10, \"gpus\": 1, \"duration_s\": 5, \"kind\": \"tasks\"}");
    /* Slurm's array syntax: N%M and 0-K%M set the throttle too */
    expect_doc(ARGS("-n", "1000%50", "-G", "0", "-c", "1"), NULL, NULL,
               "{\"tasks\": 1000, \"max_running\": 50, \"gpus\": 0, \"cpus\": 1, "
               "\"kind\": \"tasks\"}");
    expect_doc(ARGS("--tasks", "0-999%50", "-G", "0"), NULL, NULL,
               "{\"tasks\": 1000, \"max_running\": 50, \"gpus\": 0, \"kind\": \"tasks\"}");
    expect_doc(ARGS("--tasks", "0-0"), NULL, NULL, "{\"tasks\": 1, \"kind\": \"tasks\"}");
    expect_doc(ARGS("--replicas", "2:6", "--gpus", "8"), NULL, NULL,
               "{\"replicas\": {\"min\": 2, \"max\": 6}, \"gpus\": 8, \"kind\": \"serve\"}");
    expect_doc(ARGS("--replicas", "3"), NULL, NULL,
               "{\"replicas\": {\"min\": 3}, \"kind\": \"serve\"}");
    expect_error(ARGS("--kind", "train", "--replicas", "2"), NULL, NULL, NULL,
                 "replicas: only for kind serve");
    /* -t / --time take sbatch's syntax (a bare number is minutes); --time-limit takes
     * seconds and the clock forms; the last of them wins */
    expect_doc(ARGS("-t", "90"), NULL, NULL, "{\"time_limit_s\": 5400}");
    expect_doc(ARGS("--time", "1-02:03:04"), NULL, NULL, "{\"time_limit_s\": 93784}");
    expect_doc(ARGS("--time=5:30"), NULL, NULL, "{\"time_limit_s\": 330}");
    expect_doc(ARGS("--time-limit", "90", "-t", "2:00:00"), NULL, NULL, "{\"time_limit_s\": 7200}");
    expect_doc(ARGS("-t", "2:00:00", "--time-limit", "90"), NULL, NULL, "{\"time_limit_s\": 90}");
    expect_doc(ARGS("--time-limit", "1-12"), NULL, NULL, "{\"time_limit_s\": 129600}");
    /* sbatch's short options; -N spreads the gang: gpus_per_node = gpus / N */
    expect_doc(ARGS("-J", "llm", "-G", "16", "-N", "2", "-c", "4", "-t", "60"), NULL, NULL,
               "{\"name\": \"llm\", \"gpus\": 16, \"gpus_per_node\": 8, \"cpus\": 4, "
               "\"time_limit_s\": 3600}");
    expect_doc(ARGS("-n", "10", "-G", "0", "-c", "1", "--duration", "5"), NULL, NULL,
               "{\"tasks\": 10, \"gpus\": 0, \"cpus\": 1, \"duration_s\": 5, \"kind\": \"tasks\"}");
    expect_doc(ARGS("-N", "1", "-G", "4"), NULL, NULL, "{\"gpus\": 4, \"gpus_per_node\": 4}");
    expect_doc(ARGS("-N", "1"), NULL, NULL, "{\"gpus_per_node\": 1}"); /* gpus: 1 by default */
    expect_doc(ARGS("-N", "1", "-G", "0", "-c", "2"), NULL, NULL, "{\"gpus\": 0, \"cpus\": 2}");
    expect_doc(ARGS("-n", "3", "-N", "1", "-G", "1"), NULL, NULL,
               "{\"tasks\": 3, \"gpus\": 1, \"kind\": \"tasks\"}");
    expect_doc(ARGS("-G", "16", "-N", "4", "--gpus-per-node", "4"), NULL, NULL,
               "{\"gpus\": 16, \"gpus_per_node\": 4}");
    expect_doc(ARGS("-N", "4"), "job.json", "{\"gpus\": 16, \"gpus_per_node\": 8}",
               "{\"gpus\": 16, \"gpus_per_node\": 4}"); /* over the file's */
    expect_error(ARGS("-G", "16", "-N", "3"), NULL, NULL, NULL,
                 "--nodes: 3 does not divide gpus (16)");
    expect_error(ARGS("-N", "3"), "job.json", "{\"gpus\": 16}", NULL,
                 "--nodes: 3 does not divide gpus (16)");
    expect_error(ARGS("-G", "0", "-c", "1", "-N", "2"), NULL, NULL, NULL,
                 "--nodes: a task, or a job without GPUs, runs on one node, got 2");
    expect_error(ARGS("-n", "4", "-N", "2"), NULL, NULL, NULL,
                 "--nodes: a task, or a job without GPUs, runs on one node, got 2");
    expect_error(ARGS("-G", "16", "-N", "2", "--gpus-per-node", "4"), NULL, NULL, NULL,
                 "--nodes: 2 nodes of --gpus-per-node 4 are not gpus (16)");
    expect_error(ARGS("-G", "128", "-N", "2"), NULL, NULL, NULL,
                 "--nodes: gpus (128) on 2 nodes is more than 32 GPUs a node");
    /* the last value of a repeated option wins; --env accumulates */
    expect_doc(ARGS("--gpus", "1", "--gpus", "2", "--env", "A=1", "--env", "B=x=y", "--env", "A=3"),
               NULL, NULL, "{\"gpus\": 2, \"env\": {\"A\": \"3\", \"B\": \"x=y\"}}");
}

static void test_command_workdir(void **state) {
    (void)state;
    /* a command gets the current directory as workdir; the arguments stay as they are */
    expect_doc(ARGS("--gpus", "1", "--", "python3", "train.py", "--lr", "3e-4", "--gpus", "x"),
               NULL, NULL,
               "{\"gpus\": 1, \"command\": [\"python3\", \"train.py\", \"--lr\", \"3e-4\", "
               "\"--gpus\", \"x\"], \"workdir\": \"/home/u/proj\"}");
    expect_doc(ARGS("--workdir", "/data", "--", "ls"), NULL, NULL,
               "{\"workdir\": \"/data\", \"command\": [\"ls\"]}");
    expect_doc(ARGS("--workdir", "run/3", "--", "ls"), NULL, NULL,
               "{\"workdir\": \"/home/u/proj/run/3\", \"command\": [\"ls\"]}");
    expect_doc(ARGS("--workdir", "./x", "--", "ls"), NULL, NULL,
               "{\"workdir\": \"/home/u/proj/x\", \"command\": [\"ls\"]}");
    expect_doc(ARGS("--workdir", ".", "--", "ls"), NULL, NULL,
               "{\"workdir\": \"/home/u/proj\", \"command\": [\"ls\"]}");
    /* no command, no workdir: an emulated job goes out as written */
    expect_doc(ARGS("--duration", "30"), NULL, NULL, "{\"duration_s\": 30}");
    /* the file's command and workdir are kept; options replace them */
    const char *file = "{\"command\": [\"a\"], \"workdir\": \"/w\", \"env\": {\"X\": \"1\"}}";
    expect_doc(NULL, "job.json", file, file);
    expect_doc(ARGS("--env", "Y=2", "--", "b", "c"), "job.json", file,
               "{\"command\": [\"b\", \"c\"], \"workdir\": \"/w\", "
               "\"env\": {\"X\": \"1\", \"Y\": \"2\"}}");
    expect_doc(ARGS("--workdir", "/v"), "job.json", file,
               "{\"command\": [\"a\"], \"workdir\": \"/v\", \"env\": {\"X\": \"1\"}}");
}

static void test_file_and_flags(void **state) {
    (void)state;
    const char *file = "{\"name\": \"a\", \"gpus\": 8, \"gpus_per_node\": 8, \"duration_s\": 60}";
    expect_doc(ARGS("--gpus", "16", "--priority", "low"), "job.json", file,
               "{\"name\": \"a\", \"gpus\": 16, \"gpus_per_node\": 8, \"duration_s\": 60, "
               "\"priority\": \"low\"}");
    /* the file's own kind is not overridden by an implied one */
    expect_error(ARGS("--tasks", "4"), "job.json", "{\"kind\": \"train\"}", "job.json",
                 "tasks: only for kind tasks");
    /* errors found in the whole document are the core's, located in the file */
    expect_error(ARGS("--gpus-per-node", "3"), "job.json", file, "job.json",
                 "gpus_per_node: 3 does not divide gpus (8)");
    expect_error(NULL, "job.json", "{\"gpu\": 2}", "job.json", "gpu: unknown field");
    expect_error(NULL, "job.json", "{\"gpus\": \"2\"}", "job.json", "gpus: expected an integer");
    expect_error(NULL, "job.json", "{\"command\": \"python train.py\"}", "job.json",
                 "command: expected an array of strings");
    expect_error(NULL, "job.json", "{\"gpus\": 8,}", "job.json:1:12",
                 "string or '}' expected near '}'");
    expect_error(NULL, "job.json", "{\"gpus\": 1, \"gpus\": 2}", "job.json:1:18",
                 "duplicate object key near '\"gpus\"'");
    expect_error(NULL, "job.json", "[]", "job.json", "expected a JSON object");
    expect_error(NULL, "job.json", "", "job.json:1:0", "'[' or '{' expected near end of file");
    /* no file: errors have no location */
    expect_error(ARGS("--gpus", "0"), NULL, NULL, NULL,
                 "gpus: must be between 1 and 1048576 (0 only for a CPU job with cpus >= 1)");
}

/* Bad options: the message names the option and what was expected. */
static const struct {
    const char *args[4];
    const char *msg;
} bad_options[] = {
    {{"--bogus"}, "unknown option '--bogus'"},
    {{"--gpus", "-1"}, "--gpus: must be between 0 and 1048576, got '-1'"},
    {{"--gpus", "2x"}, "--gpus: expected an integer from 0 to 1048576, got '2x'"},
    {{"--gpus", "99999999999999999999"},
     "--gpus: expected an integer from 0 to 1048576, got '99999999999999999999'"},
    {{"--gpus-per-node", "33"}, "--gpus-per-node: must be between 0 and 32, got '33'"},
    {{"--memory", "1.3M"}, "--memory: not a whole number of MiB, got '1.3M'"},
    {{"--time-limit", "-5m"},
     "--time-limit: expected a duration like 90, 90s, 30m, 2h, 1h30m or [D-]HH:MM:SS, got '-5m'"},
    {{"-t", "1.5"},
     "--time: expected minutes or a time like MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS, "
     "got '1.5'"},
    {{"--time", "1:60"},
     "--time: minutes and seconds go up to 59, and hours up to 23 after a day count, got "
     "'1:60'"},
    {{"-t", "5256001"}, "--time: must be between 0 and 315360000 seconds, got '5256001'"},
    {{"-N", "0"}, "--nodes: must be between 1 and 1048576, got '0'"},
    {{"-G"}, "--gpus needs a value (N)"},
    {{"-J"}, "--name needs a value (NAME)"},
    {{"-c", "x"}, "--cpus: expected an integer from 0 to 1048576, got 'x'"},
    {{"-n", "0"}, "--tasks: want N (1 to 10000000) or 0-K, then %M for at most M at once, got '0'"},
    {{"-n", "10%0"}, "--tasks: after % comes how many may run at once (at least 1), got '10%0'"},
    {{"-n", "10%11"}, "--tasks: %11 is more than the array's 10 tasks"},
    {{"-n", "1-9"}, "--tasks: a range of task ids starts at 0 (0-K), got '1-9'"},
    {{"-n", "0-"},
     "--tasks: want N (1 to 10000000) or 0-K, then %M for at most M at once, got '0-'"},
    {{"-n", "5%2x"}, "--tasks: unexpected 'x' in '5%2x'"},
    {{"-n", "10000001"},
     "--tasks: want N (1 to 10000000) or 0-K, then %M for at most M at once, got '10000001'"},
    {{"-x", "out.txt"}, "unknown option '-x'"},
    {{"-o", "out-%x.txt"},
     "--output: unknown %x in 'out-%x.txt': use %j (job id), %t (rank), %a (task id) or %% "
     "(a '%')"},
    {{"-e", "%"}, "--error: a lone '%' at the end of '%' (%% is a '%')"},
    {{"--output", ""}, "--output: expected a file pattern of 1 to 1023 bytes"},
    {{"--time-limit", "3651d"},
     "--time-limit: must be between 0 and 315360000 seconds, got '3651d'"},
    {{"--kind", "batch"}, "--kind: expected one of train, serve, tasks, got 'batch'"},
    {{"--priority", "urgent"},
     "--priority: expected one of low, normal, high, critical, got 'urgent'"},
    {{"--tasks", "0-10000000"},
     "--tasks: want N (1 to 10000000) or 0-K, then %M for at most M at once, got '0-10000000'"},
    {{"--env", "NOVALUE"}, "--env: expected KEY=VALUE, got 'NOVALUE'"},
    {{"--name", "\xff"}, "--name: '\xff' is not valid UTF-8"},
    {{"--gpus"}, "--gpus needs a value (N)"},
    {{"a.json", "b.json"},
     "one SPEC_FILE only, got 'a.json' and 'b.json' (put a command after '--')"},
    {{"--gpus", "1", "--"}, "nothing after '--': give the command to run"},
};

static void test_bad_options(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof bad_options / sizeof bad_options[0]; i++)
        expect_error(bad_options[i].args, NULL, NULL, NULL, bad_options[i].msg);
}

static void test_dry_run_flag(void **state) {
    (void)state;
    char *argv[] = {"submit", "--dry-run", "spec.yaml", NULL};
    gt_cli_submit_req req;
    gt_error err;
    assert_int_equal(gt_cli_submit_parse(3, argv, &req, &err), GT_E_OK);
    assert_int_equal(req.dry_run, 1);
    assert_string_equal(req.file, "spec.yaml");
    assert_null(req.command);
    gt_cli_submit_req_free(&req);
    gt_cli_submit_req_free(&req); /* a freed request is zeroed: freeing again is harmless */
}

/* Every example job spec goes out exactly as written. */
static void test_examples(void **state) {
    (void)state;
    char dir[1024], path[2048];
    src_path(dir, sizeof dir, "examples/jobs");
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t size;
        char *text = read_file(path, &size);
        assert_non_null(text);
        /* A command without a workdir gets the folder it is submitted from. */
        json_t *want = json_loads(text, 0, NULL);
        assert_non_null(want);
        if (json_object_get(want, "command") && !json_object_get(want, "workdir"))
            json_object_set_new(want, "workdir", json_string("/home/u/proj"));
        char *w = json_dumps(want, 0);
        expect_doc(NULL, e->d_name, text, w);
        free(w);
        json_decref(want);
        free(text);
        n++;
    }
    closedir(d);
    assert_true(n >= 8);
}

static void test_yaml_values(void **state) {
    (void)state;
    gt_error err;
    const char *y = "i: 12\nneg: -3\nr: 1.5\ne: 1e3\nt: true\nf: False\nn: null\nt2: ~\n"
                    "s: hello\nq: \"12\"\nq2: 'true'\nyes: yes\nver: 1.2.3\nlist: [a, 2]\n"
                    "map: {k: v}\nblock: |\n  two\n  lines\n";
    json_t *j = gt_cli_yaml_to_json(y, strlen(y), "t.yaml", &err);
    assert_non_null(j);
    json_t *w = json_loads("{\"i\": 12, \"neg\": -3, \"r\": 1.5, \"e\": 1000.0, \"t\": true, "
                           "\"f\": false, \"n\": null, \"t2\": null, \"s\": \"hello\", "
                           "\"q\": \"12\", \"q2\": \"true\", \"yes\": \"yes\", \"ver\": \"1.2.3\", "
                           "\"list\": [\"a\", 2], \"map\": {\"k\": \"v\"}, "
                           "\"block\": \"two\\nlines\\n\"}",
                           0, NULL);
    if (!json_equal(j, w))
        fail_msg("got %s", json_dumps(j, JSON_COMPACT));
    assert_true(json_is_integer(json_object_get(j, "i")));
    assert_true(json_is_real(json_object_get(j, "e")));
    json_decref(j);
    json_decref(w);
}

static void test_yaml_spec(void **state) {
    (void)state;
    const char *yaml = "# the train-command example, in YAML\n"
                       "id: ft-2024-001\nname: finetune-7b\ntenant: research\ngpus: 16\n"
                       "gpus_per_node: 8\ngpu_model: H100\nwithin: domain\ntime_limit_s: 21600\n"
                       "command: [torchrun, train.py, --config, ft7b.yaml]\n"
                       "env:\n  NCCL_DEBUG: WARN\nworkdir: /home/alice/ft\ngrace_s: 120\n";
    char path[1024];
    src_path(path, sizeof path, "examples/jobs/train-command.json");
    size_t size;
    char *want = read_file(path, &size);
    assert_non_null(want);
    expect_doc(NULL, "job.yaml", yaml, want);
    expect_doc(NULL, "job.yml", yaml, want);
    free(want);
    expect_doc(ARGS("--gpus", "8"), "job.yaml", "gpus: 4\nduration_s: 2.5\n",
               "{\"gpus\": 8, \"duration_s\": 2.5}");
    expect_doc(ARGS("-"), NULL, "gpus: 4\n", "{\"gpus\": 4}");      /* stdin: YAML */
    expect_doc(ARGS("-"), NULL, " {\"gpus\": 4}", "{\"gpus\": 4}"); /* stdin: JSON */
    /* a quoted number stays a string, and the core says so as for JSON */
    expect_error(NULL, "job.yaml", "gpus: \"2\"\n", "job.yaml", "gpus: expected an integer");
}

static void test_yaml_errors(void **state) {
    (void)state;
    expect_error(NULL, "j.yaml", "gpus: 1\ngpus: 2\n", "j.yaml:2:1", "duplicate key 'gpus'");
    expect_error(NULL, "j.yaml", "gpus: [1\n", "j.yaml:2:1", "did not find expected ',' or ']'");
    expect_error(NULL, "j.yaml", "a: &x [*x]\n", "j.yaml:1:4",
                 "nested too deeply (an alias to itself?)");
    expect_error(NULL, "j.yaml", "", "j.yaml:1:1", "empty document: expected field: value lines");
    expect_error(NULL, "j.yaml", "# only a comment\n", "j.yaml:2:1",
                 "empty document: expected field: value lines");
    expect_error(NULL, "j.yaml", "gpus: 1\n---\ngpus: 2\n", "j.yaml:2:1", "one document only");
    expect_error(NULL, "j.yaml", "- 1\n- 2\n", "j.yaml", "expected a JSON object");
    expect_error(NULL, "j.yaml", "[a]: 1\n", "j.yaml:1:1", "a key must be a plain string");
    expect_error(NULL, "j.yaml", "gpus: 99999999999999999999\n", "j.yaml:1:7",
                 "integer out of range: '99999999999999999999'");
    /* billion laughs: each level doubles; the walk stops at 100,000 values */
    char lol[2048] = "a: &a [x, x]\n";
    for (char c = 'b'; c <= 'z'; c++) {
        size_t n = strlen(lol);
        snprintf(lol + n, sizeof lol - n, "%c: &%c [*%c, *%c]\n", c, c, c - 1, c - 1);
    }
    json_t *doc;
    gt_error err;
    assert_int_equal(build(NULL, "lol.yaml", lol, &doc, &err), GT_E_LIMIT);
    assert_string_equal(err.msg, "too many values (aliases?)");
}

/* Workflows: options apply to every step, the file is checked whole, -f wants one. */
static void test_workflow(void **state) {
    (void)state;
    const char *wf = "name: w\nsteps:\n"
                     "  b: {depends_on: 'afterok:a', gpus: 0, cpus: 1, command: [\"true\"]}\n"
                     "  a: {gpus: 0, cpus: 1, command: [\"true\"], workdir: /data}\n";
    expect_doc((const char *const[]){"-f", "wf.yaml", "--priority", "high", NULL}, NULL, wf,
               "{\"name\": \"w\", \"steps\": {"
               "\"b\": {\"depends_on\": \"afterok:a\", \"gpus\": 0, \"cpus\": 1,"
               " \"command\": [\"true\"], \"priority\": \"high\", \"workdir\": \"/home/u/proj\"},"
               "\"a\": {\"gpus\": 0, \"cpus\": 1, \"command\": [\"true\"], \"workdir\": \"/data\","
               " \"priority\": \"high\"}}}");
    /* a spec file with steps is a workflow without -f too */
    expect_doc(NULL, "wf.yaml", "steps: {a: {gpus: 0, cpus: 1, duration_s: 5}}\n",
               "{\"steps\": {\"a\": {\"gpus\": 0, \"cpus\": 1, \"duration_s\": 5}}}");
    expect_error((const char *const[]){"-f", "wf.yaml", NULL}, NULL, "gpus: 2\n", "wf.yaml",
                 "not a workflow (it has no steps): a job spec goes without -f");
    expect_error((const char *const[]){"-f", "wf.yaml", "--", "true", NULL}, NULL, wf, "wf.yaml",
                 "a workflow's steps have their own commands: nothing goes after '--'");
    expect_error((const char *const[]){"-f", "wf.yaml", "-d", "afterok:3", NULL}, NULL, wf,
                 "wf.yaml",
                 "a workflow's steps have their own dependencies (-d): put it in the steps");
    expect_error((const char *const[]){"-f", "wf.yaml", "-J", "x", NULL}, NULL, wf, "wf.yaml",
                 "a workflow's steps have their own names (-J): put it in the steps");
    expect_error((const char *const[]){"-f", "wf.yaml", "spec.json", NULL}, NULL, wf, NULL,
                 "one SPEC_FILE only, got 'wf.yaml' and 'spec.json' (put a command after '--')");
    expect_error(NULL, "wf.yaml",
                 "steps: {a: {depends_on: 'afterok:b', command: [x]},"
                 " b: {depends_on: 'afterok:a', command: [x]}}\n",
                 "wf.yaml: steps", "the steps wait on each other: a -> b -> a");
    expect_error(NULL, "wf.yaml", "steps: {a: {gpus: -2, command: [x]}}\n", "wf.yaml: steps.a",
                 "gpus: must be between 0 and 1048576, got -2");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_workflow),        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_command_workdir), cmocka_unit_test(test_file_and_flags),
        cmocka_unit_test(test_bad_options),     cmocka_unit_test(test_dry_run_flag),
        cmocka_unit_test(test_examples),        cmocka_unit_test(test_yaml_values),
        cmocka_unit_test(test_yaml_spec),       cmocka_unit_test(test_yaml_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
