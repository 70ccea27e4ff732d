/* SPDX-License-Identifier: MIT
 * Fragmentation: the measure on hand-made nodes, the model learned from requests, and
 * placement scored by it choosing otherwise than plain best fit where that strands GPUs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/frag.h"
#include "fixture.h"

static gt_shape share(int milli, int cpus) {
    gt_shape s = {1, 1, cpus, 0, -1, 0, 0, milli, 0};
    return s;
}

static gt_shape whole(int gpus, int cpus) {
    gt_shape s = {1, gpus, cpus, 0, -1, 0, 0, 0, 0};
    return s;
}

/* A flat fleet of n nodes of `gpus` GPUs and `cpus` cores (one model). */
static gt_topo *flat(int n, int gpus, int cpus) {
    static const char *const levels[] = {"cluster", "node"};
    gt_error err;
    gt_topo *t = gt_topo_new(levels, 2, "c", &err);
    gt_node_spec ns = {gpus, "T4", cpus, 0, 0, 0};
    char name[16];
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "n%d", i);
        gt_topo_add(t, 0, 1, name, &ns, &err);
    }
    assert_int_equal(gt_topo_finalize(t, &err), GT_E_OK);
    return t;
}

static void test_measure(void **state) {
    (void)state;
    gt_frag_model m;
    gt_frag_init(&m, 0);
    gt_frag_node v = {.ngpus = 2, .model = 0, .room = {1000, 190}, .cpus = 16, .mem = 0};
    assert_true(gt_frag_of(&m, &v) == 0); /* no classes: nothing is known to be stranded */
    gt_shape w1 = whole(1, 4), s5 = share(500, 4), cpu = whole(0, 2);
    gt_frag_observe(&m, &w1, 1);
    gt_frag_observe(&m, &s5, 1);
    /* whole GPU: the 190 of the used GPU; a 500 share: the same 190 */
    assert_true(gt_frag_of(&m, &v) > 189.99 && gt_frag_of(&m, &v) < 190.01);
    gt_frag_observe(&m, &cpu, 2); /* CPU-only work can use none of it: all 1190 */
    assert_true(gt_frag_of(&m, &v) > (190.0 + 190.0 + 2 * 1190.0) / 4 - 0.01);
    assert_true(gt_frag_of(&m, &v) < (190.0 + 190.0 + 2 * 1190.0) / 4 + 0.01);
    v.cpus = 3; /* too few cores for the GPU classes: everything is stranded */
    assert_true(gt_frag_of(&m, &v) > 1189.99);
    gt_frag_node_take(&v, &s5, 0x1);
    assert_int_equal(v.room[0], 500);
    assert_int_equal(v.cpus, -1);
}

static void test_model_learns_and_forgets(void **state) {
    (void)state;
    gt_frag_model m;
    gt_frag_init(&m, 10); /* half-life: 10 requests */
    gt_shape a = share(500, 4), b = share(510, 5), c = whole(2, 8);
    gt_frag_observe(&m, &a, 1);
    gt_frag_observe(&m, &b, 1); /* within 1/40 of a GPU and the same core bucket: one class */
    assert_int_equal(m.n, 1);
    gt_frag_observe(&m, &c, 10);
    assert_int_equal(m.n, 2);
    gt_shape h = whole(1, 8);
    h.model = 3; /* a model named: one class however often it comes */
    gt_frag_observe(&m, &h, 1);
    gt_frag_observe(&m, &h, 1);
    assert_int_equal(m.n, 3);
    assert_int_equal(m.c[2].models, 1u << 3);
    assert_true(m.c[0].w < 1.0 && m.c[0].w > 0.8); /* 2 halved by 12 later requests */
    double total = 0;
    for (int i = 0; i < m.n; i++)
        total += m.c[i].w;
    assert_true(total > m.total - 1e-9 && total < m.total + 1e-9);
    for (int i = 0; i < 3 * GT_FRAG_CLASSES; i++) { /* more classes than room: lightest go */
        gt_shape x = whole(0, 1 << (i % 20));
        x.mem_per_node = (int64_t)1 << (i / 20);
        gt_frag_observe(&m, &x, 1);
    }
    assert_int_equal(m.n, GT_FRAG_CLASSES);
}

/* A 200 share next to 300 or 400 used: best fit takes the tighter GPU (400 used, 600 left);
 * scored for a workload of 500 shares it takes the other, whose 500 left still fit one. */
static void test_scored_share(void **state) {
    (void)state;
    gt_topo *t = flat(2, 1, 16);
    gt_topo_take_share(t, gt_topo_find(t, "n0"), 0, 300, 0, 1, 0);
    gt_topo_take_share(t, gt_topo_find(t, "n1"), 0, 400, 0, 1, 0);
    gt_place_scratch ps;
    assert_int_equal(gt_place_scratch_init(&ps, t), GT_E_OK);
    gt_shape sh = share(200, 1);
    gt_slot out[1];
    assert_true(gt_place(t, &sh, GT_PLACE_BESTFIT, 0, &ps, out, NULL));
    assert_string_equal(gt_topo_name(t, out[0].node), "n1");
    gt_frag_model m;
    gt_frag_init(&m, 0);
    gt_shape s5 = share(500, 1);
    gt_frag_observe(&m, &s5, 10);
    ps.frag = &m;
    assert_true(gt_place(t, &sh, GT_PLACE_BESTFIT, 0, &ps, out, NULL));
    assert_string_equal(gt_topo_name(t, out[0].node), "n0");
    assert_int_equal(out[0].milli, 200);
    gt_place_scratch_free(&ps);
    gt_topo_free(t);
}

/* CPU work: best fit on cores takes the node with the fewest left; scored for GPU work that
 * needs 8 cores a GPU, it keeps the cores a free GPU needs. */
static void test_scored_cpu_work(void **state) {
    (void)state;
    gt_topo *t = flat(2, 1, 32);
    gt_topo_take(t, gt_topo_find(t, "n0"), 0, 22, 0, 0, 0); /* 10 cores left */
    gt_place_scratch ps;
    assert_int_equal(gt_place_scratch_init(&ps, t), GT_E_OK);
    gt_shape sh = whole(0, 4);
    gt_slot out[1];
    gt_frag_model m;
    gt_frag_init(&m, 0);
    gt_shape g = whole(1, 8);
    gt_frag_observe(&m, &g, 5);
    gt_frag_observe(&m, &sh, 1);
    ps.frag = &m;
    assert_true(gt_place(t, &sh, GT_PLACE_BESTFIT, 0, &ps, out, NULL));
    assert_string_equal(gt_topo_name(t, out[0].node), "n1");
    sh.cpus_per_node = 2; /* 8 left on n0: its GPU still usable, and it is the fuller */
    assert_true(gt_place(t, &sh, GT_PLACE_BESTFIT, 0, &ps, out, NULL));
    assert_string_equal(gt_topo_name(t, out[0].node), "n0");
    gt_place_scratch_free(&ps);
    gt_topo_free(t);
}

/* A whole GPU when no node has exactly one free: n0 has 2 free GPUs but 5 cores, n1 3 free
 * GPUs and 32 cores; the work needs 4 cores a GPU. While gangs are about (or little has been
 * seen) it takes the node with the fewest free GPUs, n0, as plain best fit would, though
 * that strands n0's other GPU; once the workload is single-node, the score takes n1. */
static void test_scored_whole_gpu(void **state) {
    (void)state;
    gt_topo *t = flat(2, 4, 32);
    gt_topo_take(t, gt_topo_find(t, "n0"), 0x3, 27, 0, 0, 0);
    gt_topo_take(t, gt_topo_find(t, "n1"), 0x1, 0, 0, 0, 0);
    gt_place_scratch ps;
    assert_int_equal(gt_place_scratch_init(&ps, t), GT_E_OK);
    gt_frag_model m;
    gt_frag_init(&m, 0);
    gt_shape sh = whole(1, 4), gang = whole(4, 8);
    gang.nodes = 4;
    gt_frag_observe(&m, &sh, 1000);
    gt_frag_observe(&m, &gang, 100);
    ps.frag = &m;
    assert_true(gt_frag_gangs_matter(&m));
    gt_slot out[1];
    assert_true(gt_place(t, &sh, GT_PLACE_BESTFIT, 0, &ps, out, NULL));
    assert_string_equal(gt_topo_name(t, out[0].node), "n0");
    gt_frag_init(&m, 0);
    gt_frag_observe(&m, &sh, 100);
    assert_true(gt_frag_gangs_matter(&m)); /* too little seen yet */
    gt_frag_observe(&m, &sh, 1000);
    assert_false(gt_frag_gangs_matter(&m));
    assert_true(gt_place(t, &sh, GT_PLACE_BESTFIT, 0, &ps, out, NULL));
    assert_string_equal(gt_topo_name(t, out[0].node), "n1");
    gt_place_scratch_free(&ps);
    gt_topo_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_measure),          cmocka_unit_test(test_model_learns_and_forgets),
        cmocka_unit_test(test_scored_share),     cmocka_unit_test(test_scored_cpu_work),
        cmocka_unit_test(test_scored_whole_gpu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
