/* SPDX-License-Identifier: MIT
 * Workflows (core/workflow.h): the order of the steps, step names in depends_on rewritten
 * to job ids, and every way a workflow is refused, with where and why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "core/jobspec.h"
#include "core/workflow.h"

static json_t *load(const char *text) {
    json_error_t je;
    json_t *v = json_loads(text, 0, &je);
    assert_non_null(v);
    return v;
}

/* The plan of text with head, which must succeed; *names as one "a,b,c" string. */
static json_t *plan_ok(const char *text, uint32_t head, char *order, size_t len) {
    json_t *body = load(text), *docs = NULL, *names = NULL;
    gt_error err = {0};
    gt_err e = gt_workflow_plan(body, head, &docs, &names, &err);
    if (e)
        fail_msg("%s: %s", err.where, err.msg);
    order[0] = 0;
    for (size_t i = 0; i < json_array_size(names); i++) {
        strncat(order, i ? "," : "", len - strlen(order) - 1);
        strncat(order, json_string_value(json_array_get(names, i)), len - strlen(order) - 1);
    }
    json_decref(names);
    json_decref(body);
    return docs;
}

/* The plan of text must fail with code, where and a message holding `has`. */
static void plan_bad(const char *text, uint32_t head, gt_err code, const char *where,
                     const char *has) {
    json_t *body = load(text), *docs = (json_t *)1, *names = (json_t *)1;
    gt_error err = {0};
    gt_err e = gt_workflow_plan(body, head, &docs, &names, &err);
    if (e != code || strcmp(err.where, where) || !strstr(err.msg, has))
        fail_msg("%s: got %d %s: %s", text, e, err.where, err.msg);
    assert_null(docs);
    assert_null(names);
    json_decref(body);
}

static const char *field(json_t *docs, size_t i, const char *key) {
    return json_string_value(json_object_get(json_array_get(docs, i), key));
}

static void test_order_and_ids(void **state) {
    (void)state;
    char order[128];
    /* written out of order: eval waits on index, index on embed; fetch is free */
    json_t *docs =
        plan_ok("{\"name\": \"rag\", \"steps\": {"
                "\"eval\": {\"command\": [\"true\"], \"depends_on\": "
                "\"afterok:index,afterany:3\"},"
                "\"index\": {\"command\": [\"true\"], \"depends_on\": \"afterok:embed\"},"
                "\"embed\": {\"command\": [\"true\"], \"kind\": \"tasks\", \"tasks\": 4},"
                "\"fetch\": {\"command\": [\"true\"], \"name\": \"mine\"}}}",
                10, order, sizeof order);
    assert_string_equal(order, "embed,index,eval,fetch");
    assert_string_equal(field(docs, 0, "name"), "rag.embed");
    assert_null(field(docs, 0, "depends_on"));
    assert_string_equal(field(docs, 1, "depends_on"), "afterok:10");
    assert_string_equal(field(docs, 2, "depends_on"), "afterok:11,afterany:3");
    assert_string_equal(field(docs, 3, "name"), "mine"); /* a step's own name stays */
    gt_jobspec sp;
    gt_error err;
    assert_int_equal(gt_jobspec_from_json(json_array_get(docs, 2), "x", &sp, &err), GT_E_OK);
    assert_int_equal(sp.ndeps, 2);
    assert_int_equal(sp.dep_job[0], 11);
    assert_int_equal(sp.dep_type[0], GT_DEP_AFTEROK);
    assert_int_equal(sp.dep_job[1], 3);
    json_decref(docs);
    /* several steps in one item, no workflow name: the step's name is the job's */
    docs =
        plan_ok("{\"steps\": {\"c\": {\"command\": [\"true\"], \"depends_on\": \"afterany:a:b\"},"
                "\"a\": {\"command\": [\"true\"]}, \"b\": {\"command\": [\"true\"]}}}",
                0, order, sizeof order);
    assert_string_equal(order, "a,b,c");
    assert_string_equal(field(docs, 2, "depends_on"), "afterany:0:1");
    assert_string_equal(field(docs, 0, "name"), "a");
    json_decref(docs);
    /* checking the file alone: any job id passes */
    docs = plan_ok("{\"steps\": {\"a\": {\"command\": [\"true\"], \"depends_on\": \"after:99\"}}}",
                   GT_WORKFLOW_ANY_HEAD, order, sizeof order);
    json_decref(docs);
}

static void test_refused(void **state) {
    (void)state;
    plan_bad("{\"steps\": {\"a\": {\"command\": [\"true\"], \"depends_on\": \"afterok:b\"},"
             "\"b\": {\"command\": [\"true\"], \"depends_on\": \"afterok:c\"},"
             "\"c\": {\"command\": [\"true\"], \"depends_on\": \"afterok:a\"}}}",
             0, GT_E_INVALID, "steps", "a -> b -> c -> a");
    plan_bad("{\"steps\": {\"x\": {\"command\": [\"true\"]},"
             "\"a\": {\"command\": [\"true\"], \"depends_on\": \"afterok:b,afterok:x\"},"
             "\"b\": {\"command\": [\"true\"], \"depends_on\": \"afterok:a\"}}}",
             0, GT_E_INVALID, "steps", "a -> b -> a");
    plan_bad("{\"steps\": {\"a\": {\"command\": [\"true\"], \"depends_on\": \"afterok:nope\"},"
             "\"b\": {\"command\": [\"true\"]}}}",
             0, GT_E_INVALID, "steps.a", "no step 'nope' (the steps: a, b)");
    plan_bad("{\"steps\": {\"a\": {\"command\": [\"true\"], \"depends_on\": \"afterok:a\"}}}", 0,
             GT_E_INVALID, "steps.a", "itself");
    plan_bad("{\"steps\": {\"a\": {\"command\": [\"true\"], \"depends_on\": \"afterok:7\"}}}", 7,
             GT_E_NOT_FOUND, "steps.a", "no job 7");
    plan_bad("{\"steps\": {\"a\": {\"command\": [\"true\"], \"depends_on\": \"sometime:b\"},"
             "\"b\": {\"command\": [\"true\"]}}}",
             0, GT_E_INVALID, "steps.a", "TYPE:JOB");
    plan_bad("{\"steps\": {\"a\": {\"command\": [\"true\"], \"gpus\": -1}}}", 0, GT_E_RANGE,
             "steps.a", "gpus");
    plan_bad("{\"steps\": {\"1a\": {\"command\": [\"true\"]}}}", 0, GT_E_INVALID, "steps",
             "starting with a letter");
    plan_bad("{\"steps\": {\"a\": [1]}}", 0, GT_E_INVALID, "steps", "a: expected a job spec");
    plan_bad("{\"steps\": {}}", 0, GT_E_INVALID, "steps", "named steps");
    plan_bad("{\"stages\": {}}", 0, GT_E_UNKNOWN_FIELD, "body", "stages: unknown field");
    plan_bad("{\"name\": \"a b\", \"steps\": {\"a\": {}}}", 0, GT_E_INVALID, "name", "letter");
    plan_bad("[1]", 0, GT_E_INVALID, "body", "expected a workflow");
    plan_bad("{\"steps\": {\"s\": {\"command\": [\"true\"], \"roles\": {}}}}", 0, GT_E_INVALID,
             "steps", "on its own");
    /* 65 steps */
    char text[8192] = "{\"steps\": {";
    for (int i = 0; i < GT_WORKFLOW_MAX_STEPS + 1; i++) {
        char one[64];
        snprintf(one, sizeof one, "%s\"s%d\": {}", i ? "," : "", i);
        strcat(text, one);
    }
    strcat(text, "}}");
    plan_bad(text, 0, GT_E_LIMIT, "steps", "at most 64 steps");
}

/* The most steps, in a chain written backwards: each waits on the next one written. */
static void test_long_chain(void **state) {
    (void)state;
    char text[16384] = "{\"steps\": {", order[1024];
    for (int i = 0; i < GT_WORKFLOW_MAX_STEPS; i++) {
        char one[128];
        if (i + 1 < GT_WORKFLOW_MAX_STEPS)
            snprintf(one, sizeof one,
                     "%s\"s%d\": {\"command\": [\"true\"], \"depends_on\": \"afterok:s%d\"}",
                     i ? "," : "", i, i + 1);
        else
            snprintf(one, sizeof one, ",\"s%d\": {\"command\": [\"true\"]}", i);
        strcat(text, one);
    }
    strcat(text, "}}");
    json_t *docs = plan_ok(text, 100, order, sizeof order);
    assert_int_equal(json_array_size(docs), GT_WORKFLOW_MAX_STEPS);
    assert_string_equal(field(docs, 0, "name"), "s63");
    assert_null(field(docs, 0, "depends_on"));
    for (size_t i = 1; i < GT_WORKFLOW_MAX_STEPS; i++) {
        char want[32];
        snprintf(want, sizeof want, "afterok:%zu", 100 + i - 1);
        assert_string_equal(field(docs, i, "depends_on"), want);
    }
    json_decref(docs);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_ids),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_long_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
