/* SPDX-License-Identifier: MIT
 * Placement: exact expected placements on small fleets, and the fast search checked
 * against an exhaustive one on random fleets and occupancies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/place.h"
#include "fixture.h"
#include "util/rng.h"

static gt_shape gpu_shape(int nodes, int per_node) {
    gt_shape s = {nodes, per_node, 1, 0, -1, 0, 0, 0, 0};
    return s;
}

static void occupy(gt_topo *t, const char *node, uint32_t mask) {
    gt_topo_take(t, gt_topo_find(t, node), mask, 0, 0, 1, 0);
}

static int place(const gt_topo *t, gt_shape sh, gt_place_mode m, gt_slot *out, uint32_t *span) {
    gt_place_scratch s;
    assert_int_equal(gt_place_scratch_init(&s, t), GT_E_OK);
    int ok = gt_place(t, &sh, m, 0, &s, out, span);
    for (uint32_t v = 0; v < t->nv; v++)
        assert_int_equal(s.mark[v], 0); /* scratch is left clean */
    gt_place_scratch_free(&s);
    return ok;
}

static void test_single_gpu_goes_to_fullest_node(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(2, 2, 2, 4, 16, 0);
    gt_topo *t = c->topo;
    occupy(t, "b1d1n1", 0x7); /* 1 free: exact fit for 1 GPU */
    occupy(t, "b0d0n0", 0x3); /* 2 free */
    gt_slot out[4];
    uint32_t span;
    assert_true(place(t, gpu_shape(1, 1), GT_PLACE_BESTFIT, out, &span));
    assert_string_equal(gt_topo_name(t, out[0].node), "b1d1n1");
    assert_int_equal(out[0].mask, 0x8);
    assert_true(place(t, gpu_shape(1, 2), GT_PLACE_BESTFIT, out, &span));
    assert_string_equal(gt_topo_name(t, out[0].node), "b0d0n0");
    assert_int_equal(out[0].mask, 0xc);
    assert_true(gt_topo_is_node(t, span));
    gt_config_free(c);
}

static void test_gang_prefers_fullest_domain(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(2, 2, 4, 4, 16, 0);
    gt_topo *t = c->topo;
    occupy(t, "b1d0n0", 0xf);
    occupy(t, "b1d0n1", 0xf); /* b1d0 has exactly 2 whole nodes left */
    gt_slot out[8];
    uint32_t span;
    assert_true(place(t, gpu_shape(2, 4), GT_PLACE_BESTFIT, out, &span));
    assert_string_equal(gt_topo_name(t, span), "b1d0");
    assert_string_equal(gt_topo_name(t, out[0].node), "b1d0n2");
    assert_string_equal(gt_topo_name(t, out[1].node), "b1d0n3");
    /* First fit takes the first nodes in index order instead. */
    assert_true(place(t, gpu_shape(2, 4), GT_PLACE_FIRSTFIT, out, &span));
    assert_string_equal(gt_topo_name(t, out[0].node), "b0d0n0");
    gt_config_free(c);
}

static void test_gang_spans_block_when_no_domain_fits(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(2, 2, 2, 4, 16, 0);
    gt_topo *t = c->topo;
    occupy(t, "b0d0n0", 0x1); /* b0 can hold only 3 whole nodes; b1 holds 4 */
    gt_slot out[8];
    uint32_t span;
    assert_true(place(t, gpu_shape(4, 4), GT_PLACE_BESTFIT, out, &span));
    assert_string_equal(gt_topo_name(t, span), "b1");
    assert_true(place(t, gpu_shape(3, 4), GT_PLACE_BESTFIT, out, &span));
    assert_string_equal(gt_topo_name(t, span), "b0"); /* fullest block that fits */
    gt_shape within = gpu_shape(3, 4);
    within.max_level = 2; /* within one domain: impossible with 2-node domains */
    assert_false(place(t, within, GT_PLACE_BESTFIT, out, &span));
    assert_false(gt_place_possible(t, &within));
    assert_false(place(t, gpu_shape(9, 4), GT_PLACE_BESTFIT, out, &span));
    gt_config_free(c);
}

static void test_cpu_tasks_go_to_cpu_nodes(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(1, 1, 2, 4, 64, 2);
    gt_topo *t = c->topo;
    gt_topo_take(t, gt_topo_find(t, "c1"), 0, 20, 0, 0, 0); /* c1 has 12 free, c0 32 */
    gt_shape sh = {1, 0, 8, 0, -1, 0, 0, 0, 0};
    gt_slot out[2];
    uint32_t span;
    assert_true(place(t, sh, GT_PLACE_BESTFIT, out, &span));
    assert_string_equal(gt_topo_name(t, out[0].node), "c1");
    sh.cpus_per_node = 20;
    assert_true(place(t, sh, GT_PLACE_BESTFIT, out, &span));
    assert_string_equal(gt_topo_name(t, out[0].node), "c0");
    sh.cpus_per_node = 40; /* GPU nodes have 64 cores but CPU work stays off them */
    assert_false(place(t, sh, GT_PLACE_BESTFIT, out, &span));
    gt_config_free(c);
}

/* Shares go to a GPU shares already use when one has room (the tightest), else a free one;
 * first fit too; one that fits nowhere fails; taking and giving the slot keeps the fleet
 * consistent. */
static void test_shares_pack(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(1, 1, 2, 2, 16, 0);
    gt_topo *t = c->topo;
    gt_shape sh = {1, 1, 1, 0, -1, 0, 0, 600, 0};
    gt_slot out[1];
    uint32_t span;
    for (int mode = 0; mode < 2; mode++) {
        assert_true(place(t, sh, (gt_place_mode)mode, out, &span));
        assert_int_equal(out[0].milli, 600);
        assert_int_equal(__builtin_popcount(out[0].mask), 1);
    }
    gt_place_take(t, out, 0, 0);
    uint32_t first = out[0].node, gpu = out[0].mask;
    gt_shape small = sh;
    small.gpu_milli = 300; /* fits the 400 left beside the first share */
    assert_true(place(t, small, GT_PLACE_BESTFIT, out, &span));
    assert_int_equal(out[0].node, first);
    assert_int_equal(out[0].mask, gpu);
    gt_place_take(t, out, 0, 0);
    assert_true(place(t, sh, GT_PLACE_BESTFIT, out, &span)); /* 600: a GPU of its own */
    assert_true(out[0].node != first || out[0].mask != gpu);
    gt_slot keep = out[0];
    gt_place_take(t, &keep, 0, 0);
    occupy(t, "b0d0n0", t->n_gpu_free_mask[gt_topo_find(t, "b0d0n0")]);
    occupy(t, "b0d0n1", t->n_gpu_free_mask[gt_topo_find(t, "b0d0n1")]);
    assert_false(place(t, sh, GT_PLACE_BESTFIT, out, &span)); /* 100 and 400 left: no room */
    small.gpu_milli = 400;
    assert_true(place(t, small, GT_PLACE_FIRSTFIT, out, &span));
    gt_error err;
    assert_int_equal(gt_topo_check(t, &err), GT_E_OK);
    gt_place_give(t, &keep, 0, 0);
    assert_int_equal(gt_topo_check(t, &err), GT_E_OK);
    /* A share of a whole GPU or of several is not one; GPU memory no GPU has is impossible. */
    sh.gpu_milli = 1000;
    assert_false(gt_place_possible(t, &sh));
    sh.gpu_milli = 500;
    sh.gpu_mem = 1;
    assert_false(gt_place_possible(t, &sh)); /* no node says its GPUs' memory */
    gt_config_free(c);
}

/* A set of models: any node of those models; a set the fleet has none of fits nowhere. */
static void test_model_set(void **state) {
    (void)state;
    gt_error err;
    gt_topo *t = gt_topo_new(NULL, 0, "c", &err);
    uint32_t b = gt_topo_add(t, 0, 1, "b", NULL, &err);
    uint32_t d = gt_topo_add(t, b, 2, "d", NULL, &err);
    gt_node_spec v16 = {2, "V100M16", 32, 0, 0, 16384}, v32 = {2, "V100M32", 32, 0, 0, 32768},
                 t4 = {2, "T4", 32, 0, 0, 16384};
    gt_topo_add(t, d, 3, "t0", &t4, &err);
    gt_topo_add(t, d, 3, "a0", &v16, &err);
    gt_topo_add(t, d, 3, "b0", &v32, &err);
    assert_int_equal(gt_topo_finalize(t, &err), GT_E_OK);
    gt_shape sh = gpu_shape(1, 2);
    sh.models = 1u << gt_topo_model_index(t, "V100M16") | 1u << gt_topo_model_index(t, "V100M32");
    gt_slot out[1];
    uint32_t span;
    assert_true(place(t, sh, GT_PLACE_FIRSTFIT, out, &span));
    assert_string_equal(gt_topo_name(t, out[0].node), "a0");
    occupy(t, "a0", 0x3);
    assert_true(place(t, sh, GT_PLACE_BESTFIT, out, &span));
    assert_string_equal(gt_topo_name(t, out[0].node), "b0");
    occupy(t, "b0", 0x3);
    assert_false(place(t, sh, GT_PLACE_BESTFIT, out, &span)); /* t0 is free, but a T4 */
    sh = (gt_shape){1, 1, 1, 0, -1, 0, 0, 250, 20000};        /* 20000 MiB: only a V100M32 */
    assert_true(gt_place_possible(t, &sh));
    sh.gpu_mem = 40000;
    assert_false(gt_place_possible(t, &sh));
    gt_topo_free(t);
}

/* CPU work on a fleet without CPU-only nodes goes where it strands no GPU: the node whose
 * GPUs are all taken, not the one with the fewest free cores. */
static void test_cpu_work_spares_gpus(void **state) {
    (void)state;
    gt_config *c = fixture_fleet(1, 2, 1, 4, 16, 0);
    gt_topo *t = c->topo;
    gt_topo_take(t, gt_topo_find(t, "b0d0n0"), 0, 12, 0, 0, 0);  /* 4 cores left, GPUs free */
    gt_topo_take(t, gt_topo_find(t, "b0d1n0"), 0xf, 4, 0, 0, 0); /* 12 cores left, no GPU */
    gt_shape sh = {1, 0, 2, 0, -1, 0, 0, 0, 0};
    gt_slot out[1];
    uint32_t span;
    assert_true(place(t, sh, GT_PLACE_BESTFIT, out, &span));
    assert_string_equal(gt_topo_name(t, out[0].node), "b0d1n0");
    gt_config_free(c);
}

static void test_gpu_model_constraint(void **state) {
    (void)state;
    gt_error err;
    gt_topo *t = gt_topo_new(NULL, 0, "c", &err);
    uint32_t b = gt_topo_add(t, 0, 1, "b", NULL, &err);
    uint32_t dh = gt_topo_add(t, b, 2, "dh", NULL, &err),
             da = gt_topo_add(t, b, 2, "da", NULL, &err);
    gt_node_spec h = {8, "H100", 32, 0, 0, 0}, a = {4, "A100", 32, 0, 0, 0};
    gt_topo_add(t, dh, 3, "h0", &h, &err);
    gt_topo_add(t, dh, 3, "h1", &h, &err);
    gt_topo_add(t, da, 3, "a0", &a, &err);
    gt_topo_add(t, da, 3, "a1", &a, &err);
    assert_int_equal(gt_topo_finalize(t, &err), GT_E_OK);
    gt_shape sh = gpu_shape(2, 4);
    sh.model = gt_topo_model_index(t, "A100");
    gt_slot out[2];
    uint32_t span;
    assert_true(place(t, sh, GT_PLACE_BESTFIT, out, &span));
    assert_string_equal(gt_topo_name(t, span), "da");
    sh.gpus_per_node = 8; /* no A100 node has 8 GPUs */
    assert_false(place(t, sh, GT_PLACE_BESTFIT, out, &span));
    assert_false(gt_place_possible(t, &sh));
    sh.model = gt_topo_model_index(t, "H100");
    assert_true(place(t, sh, GT_PLACE_FIRSTFIT, out, &span));
    assert_string_equal(gt_topo_name(t, out[0].node), "h0");
    /* No model named: a 2-node gang still stays on one model. With h0 and a0 full, only
     * h1 + a1 are free: no placement, in either mode. */
    occupy(t, "h0", 0xff);
    occupy(t, "a0", 0xf);
    gt_shape any = gpu_shape(2, 4);
    assert_false(place(t, any, GT_PLACE_BESTFIT, out, &span));
    assert_false(place(t, any, GT_PLACE_FIRSTFIT, out, &span));
    gt_topo_give(t, gt_topo_find(t, "a0"), 0xf, 0, 0, 1, 0);
    assert_true(place(t, any, GT_PLACE_BESTFIT, out, &span));
    assert_string_equal(gt_topo_name(t, span), "da");
    assert_true(place(t, any, GT_PLACE_FIRSTFIT, out, &span));
    assert_string_equal(gt_topo_name(t, span), "da");
    gt_topo_free(t);
}

/* ---- exhaustive reference ---- */

static int fits(const gt_topo *t, uint32_t n, const gt_shape *sh) {
    return t->n_state[n] == GT_NODE_UP &&
           __builtin_popcount(t->n_gpu_free_mask[n]) >= sh->gpus_per_node &&
           t->n_cpus_free[n] >= sh->cpus_per_node;
}

static uint32_t count_fit(const gt_topo *t, uint32_t v, const gt_shape *sh) {
    if (gt_topo_is_node(t, v))
        return fits(t, v, sh);
    uint32_t k = 0;
    for (uint32_t c = t->child0[v]; c < t->child0[v] + t->nchild[v]; c++)
        k += count_fit(t, c, sh);
    return k;
}

/* Deepest level at which some vertex holds the gang; -1 if none. */
static int best_level(const gt_topo *t, const gt_shape *sh) {
    for (int L = t->nlevels - 1; L >= 0; L--)
        for (uint32_t v = 0; v < t->nv; v++)
            if (t->level[v] == L && count_fit(t, v, sh) >= (uint32_t)sh->nodes)
                return L;
    return -1;
}

static int min_free_fit(const gt_topo *t, const gt_shape *sh) {
    int best = 1 << 30;
    for (uint32_t v = 0; v < t->nv; v++)
        if (gt_topo_is_node(t, v) && fits(t, v, sh) &&
            __builtin_popcount(t->n_gpu_free_mask[v]) < best)
            best = __builtin_popcount(t->n_gpu_free_mask[v]);
    return best;
}

static void random_occupancy(gt_topo *t, gt_rng *r) {
    for (uint32_t v = 0; v < t->nv; v++) {
        if (!gt_topo_is_node(t, v))
            continue;
        uint32_t m = (uint32_t)gt_rng_below(r, 1u << t->n_gpus[v]);
        if (gt_rng_below(r, 3) == 0)
            m = 0;
        gt_topo_take(t, v, m, 0, 0, 0, 0);
        if (gt_rng_below(r, 20) == 0)
            gt_topo_set_state(t, v, GT_NODE_DOWN);
    }
}

static void test_against_exhaustive(void **state) {
    (void)state;
    gt_rng r;
    gt_rng_seed(&r, 42);
    for (int round = 0; round < 300; round++) {
        gt_config *c = fixture_fleet(1 + (int)gt_rng_below(&r, 3), 1 + (int)gt_rng_below(&r, 4),
                                     1 + (int)gt_rng_below(&r, 5), 8, 16, 0);
        gt_topo *t = c->topo;
        random_occupancy(t, &r);
        gt_shape sh = gpu_shape(1 + (int)gt_rng_below(&r, 6), 1 + (int)gt_rng_below(&r, 8));
        gt_slot out[64];
        uint32_t span;
        int ok = place(t, sh, GT_PLACE_BESTFIT, out, &span);
        int want = best_level(t, &sh);
        assert_int_equal(ok, want >= 0);
        if (ok) {
            assert_int_equal(t->level[span], want); /* smallest possible span */
            for (int i = 0; i < sh.nodes; i++) {
                assert_true(fits(t, out[i].node, &sh));
                assert_int_equal(__builtin_popcount(out[i].mask), sh.gpus_per_node);
                assert_int_equal(out[i].mask & ~t->n_gpu_free_mask[out[i].node], 0);
                for (int k = 0; k < i; k++)
                    assert_true(out[k].node != out[i].node);
            }
            if (sh.nodes == 1)
                assert_int_equal(__builtin_popcount(t->n_gpu_free_mask[out[0].node]),
                                 min_free_fit(t, &sh));
        }
        assert_int_equal(place(t, sh, GT_PLACE_FIRSTFIT, out, &span),
                         count_fit(t, 0, &sh) >= (uint32_t)sh.nodes);
        gt_config_free(c);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_gpu_goes_to_fullest_node),
        cmocka_unit_test(test_gang_prefers_fullest_domain),
        cmocka_unit_test(test_gang_spans_block_when_no_domain_fits),
        cmocka_unit_test(test_cpu_tasks_go_to_cpu_nodes),
        cmocka_unit_test(test_gpu_model_constraint),
        cmocka_unit_test(test_shares_pack),
        cmocka_unit_test(test_model_set),
        cmocka_unit_test(test_cpu_work_spares_gpus),
        cmocka_unit_test(test_against_exhaustive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
