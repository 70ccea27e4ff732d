/* SPDX-License-Identifier: MIT
 * The fleet tree: building, aggregates under take/give/state changes, lookups, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "fixture.h"

static void assert_consistent(const gt_topo *t) {
    gt_error err;
    gt_err e = gt_topo_check(t, &err);
    if (e != GT_E_OK)
        fail_msg("%s: %s", err.where, err.msg);
}

static void test_build_and_aggregates(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(2, 2, 2, 4, 16, 3);
    assert_non_null(c);
    const gt_topo *t = c->topo;
    assert_int_equal(t->nnodes, 11);
    assert_int_equal(t->gpus_total[0], 32);
    assert_int_equal(t->gpus_free[0], 32);
    assert_int_equal(gt_topo_cap(t, 0, 4), 8);
    assert_int_equal(gt_topo_cap(t, 0, 5), 0);
    assert_int_equal(t->cpus_total[0], 8 * 16 + 3 * 32);
    /* CPU-only nodes exist, so max_cpus counts only them. */
    assert_int_equal(t->max_cpus[0], 32);
    uint32_t d = gt_topo_find(t, "b1d0");
    assert_true(d != GT_NONE);
    assert_string_equal(t->level_names[t->level[d]], "domain");
    assert_int_equal(t->nchild[d], 2);
    assert_string_equal(gt_topo_name(t, t->parent[d]), "b1");
    assert_int_equal(t->level_max_nodes[2], 2);
    assert_int_equal(t->level_max_nodes[1], 4);
    assert_true(gt_topo_find(t, "nope") == GT_NONE);
    assert_consistent(t);
    gt_config_free(c);
}

/* Shares of a GPU: a GPU leaves the free mask while shares hold it and comes back with the
 * last one; share_max (most room on one GPU) follows up the tree, also through state
 * changes and GPUs taken off; the checker catches a share that overflows its GPU. */
static void test_shares(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(1, 2, 2, 4, 16, 0);
    gt_topo *t = c->topo;
    uint32_t n = gt_topo_find(t, "b0d1n0"), d = t->parent[n];
    assert_int_equal(t->share_max[0], 1000);
    for (uint32_t v = 0; v < t->nv; v++) /* every GPU of the fleet but n's GPU 2 held whole */
        if (gt_topo_is_node(t, v))
            gt_topo_take(t, v, v == n ? 0xb : 0xf, 0, 0, 1, 0);
    gt_topo_take_share(t, n, 2, 600, 0, 2, 10);
    assert_int_equal(t->gpus_free[n], 0);
    assert_int_equal(gt_topo_gpu_room(t, n, 2), 400);
    assert_int_equal(t->share_max[n], 400);
    assert_int_equal(t->share_max[d], 400);
    assert_int_equal(t->share_max[0], 400);
    assert_int_equal(t->n_cpus_free[n], 14);
    assert_consistent(t);
    gt_topo_take_share(t, n, 2, 400, 0, 1, 0);
    assert_int_equal(t->share_max[0], 0);
    assert_int_equal(gt_topo_gpu_room(t, n, 2), 0);
    assert_consistent(t);
    gt_topo_give_share(t, n, 2, 600, 0, 2, 10);
    assert_int_equal(t->share_max[0], 600);
    gt_topo_set_state(t, n, GT_NODE_DOWN); /* a node that is not up offers no share */
    assert_int_equal(t->share_max[0], 0);
    assert_int_equal(gt_topo_gpu_room(t, n, 2), 0);
    assert_consistent(t);
    gt_topo_set_state(t, n, GT_NODE_UP);
    gt_topo_gpus_off(t, n, 0x4, 0xf); /* GPU 2 off: its shares stay, its room goes */
    assert_int_equal(t->share_max[0], 0);
    assert_consistent(t);
    gt_topo_gpus_off(t, n, 0, 0xf);
    gt_topo_give_share(t, n, 2, 400, 0, 1, 0);
    assert_int_equal(t->gpus_free[n], 1); /* the last share gone: free whole again */
    assert_int_equal(t->share_max[d], 1000);
    assert_consistent(t);
    t->gpu_milli[t->n_gpu0[n] + 2] = 5; /* a free GPU that shares also hold */
    gt_error err;
    assert_int_equal(gt_topo_check(t, &err), GT_E_STATE);
    t->gpu_milli[t->n_gpu0[n] + 2] = 0;
    gt_config_free(c);
}

static void test_take_give_state(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(1, 2, 2, 4, 16, 0);
    gt_topo *t = c->topo;
    uint32_t n = gt_topo_find(t, "b0d1n0"), d = t->parent[n];
    gt_topo_take(t, n, 0x7, 3, 100, 1, 1);
    assert_int_equal(t->gpus_free[n], 1);
    assert_int_equal(t->gpus_free[d], 5);
    assert_int_equal(t->gpus_free[0], 13);
    assert_int_equal(gt_topo_cap(t, d, 2), 1);
    assert_int_equal(gt_topo_cap(t, 0, 1), 4);
    assert_int_equal(t->held[0 * GT_NPRIO + 1], 3);
    assert_int_equal(t->borrowed[0], 3);
    assert_int_equal(t->max_cpus[d], 16);
    assert_consistent(t);
    gt_topo_set_state(t, n, GT_NODE_DOWN);
    assert_int_equal(t->gpus_free[d], 4);
    assert_int_equal(gt_topo_cap(t, 0, 1), 3);
    assert_consistent(t);
    gt_topo_give(t, n, 0x7, 3, 100, 1, 1);
    assert_int_equal(t->gpus_free[d], 4); /* still down: offers nothing */
    assert_int_equal(t->borrowed[0], 0);
    gt_topo_set_state(t, n, GT_NODE_UP);
    assert_int_equal(t->gpus_free[0], 16);
    assert_int_equal(gt_topo_cap(t, 0, 4), 4);
    assert_consistent(t);
    gt_config_free(c);
}

static void test_max_cpus_follows_decrease(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(1, 1, 3, 0, 8, 0); /* GPU-less "GPU" nodes: all count */
    gt_topo *t = c->topo;
    uint32_t a = gt_topo_find(t, "b0d0n0"), b = gt_topo_find(t, "b0d0n1"),
             x = gt_topo_find(t, "b0d0n2");
    gt_topo_take(t, a, 0, 8, 0, 0, 0);
    gt_topo_take(t, b, 0, 8, 0, 0, 0);
    assert_int_equal(t->max_cpus[0], 8);
    gt_topo_take(t, x, 0, 5, 0, 0, 0);
    assert_int_equal(t->max_cpus[0], 3);
    gt_topo_give(t, b, 0, 6, 0, 0, 0);
    assert_int_equal(t->max_cpus[0], 6);
    assert_consistent(t);
    gt_config_free(c);
}

static void test_errors(void **state) {
    (void)state;
    gt_error err;
    const char *lv[] = {"cluster", "node"};
    assert_null(gt_topo_new(lv, 1, NULL, &err));
    assert_int_equal(err.code, GT_E_RANGE);
    const char *dup[] = {"a", "a"};
    assert_null(gt_topo_new(dup, 2, NULL, &err));
    gt_topo *t = gt_topo_new(lv, 2, "root", &err);
    gt_node_spec ns = {4, "H100", 8, 0, 0, 0};
    assert_true(gt_topo_add(t, 0, 0, "bad", NULL, &err) == GT_NONE); /* not deeper */
    gt_node_spec bad = {40, "H100", 8, 0, 0, 0};
    assert_true(gt_topo_add(t, 0, 1, "n", &bad, &err) == GT_NONE);
    assert_int_equal(err.code, GT_E_RANGE);
    gt_node_spec nomodel = {4, NULL, 8, 0, 0, 0};
    assert_true(gt_topo_add(t, 0, 1, "n", &nomodel, &err) == GT_NONE);
    assert_true(gt_topo_add(t, 0, 1, "n", &ns, &err) != GT_NONE);
    assert_true(gt_topo_add(t, 0, 1, "n", &ns, &err) != GT_NONE);
    assert_int_equal(gt_topo_finalize(t, &err), GT_E_EXISTS);
    assert_non_null(strstr(err.msg, "'n'"));
    gt_topo_free(t);
    t = gt_topo_new(NULL, 0, NULL, &err);
    gt_topo_add(t, 0, 1, "empty-block", NULL, &err);
    assert_int_equal(gt_topo_finalize(t, &err), GT_E_INVALID);
    gt_topo_free(t);
    gt_topo_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_and_aggregates),
        cmocka_unit_test(test_take_give_state),
        cmocka_unit_test(test_shares),
        cmocka_unit_test(test_max_cpus_follows_decrease),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
