/* SPDX-License-Identifier: MIT
 * sys/hw: discovery of this machine's CPUs and memory, fake GPUs without NVML, overrides and
 * option checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/hw.h"

static void test_fake_gpus(void **state) {
    (void)state;
    gt_hw_opts o;
    gt_hw hw;
    gt_error err;
    gt_hw_opts_init(&o);
    o.no_nvml = 1;
    o.fake_gpus = 4;
    o.fake_gpu_memory_mb = 81920;
    assert_int_equal(gt_hw_discover(&o, &hw, &err), GT_E_OK);
    assert_int_equal(hw.gpus, 4);
    assert_string_equal(hw.gpu_model, "fake");
    assert_int_equal(hw.nvml, 0);
    for (int i = 0; i < 4; i++) {
        assert_string_equal(hw.gpu[i].name, "fake");
        assert_int_equal(hw.gpu[i].memory_mb, 81920);
    }
    assert_int_equal(hw.gpu[4].memory_mb, 0);
    assert_true(hw.cpus >= 1);
    assert_true(hw.memory_mb > 0);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    assert_true(hw.cpus <= online); /* PUs this process may use */
    o.fake_model = "H100";
    o.fake_gpus = 0;
    assert_int_equal(gt_hw_discover(&o, &hw, &err), GT_E_OK);
    assert_int_equal(hw.gpus, 0);
    assert_string_equal(hw.gpu_model, "");
}

static void test_no_nvml_library(void **state) {
    (void)state;
    gt_hw_opts o;
    gt_hw hw;
    gt_error err;
    gt_hw_opts_init(&o);
    o.nvml_lib = "libgantry-no-such-nvml.so.1"; /* dlopen fails: fake GPUs */
    o.fake_gpus = 2;
    o.fake_model = "H100";
    assert_int_equal(gt_hw_discover(&o, &hw, &err), GT_E_OK);
    assert_int_equal(hw.gpus, 2);
    assert_int_equal(hw.nvml, 0);
    assert_string_equal(hw.gpu_model, "H100");
    assert_string_equal(hw.gpu[1].name, "H100");
}

/* The NVML path through a stand-in library (tests/unit/fake_nvml.c, built by CMake). */
static void test_nvml(void **state) {
    (void)state;
    gt_hw_opts o;
    gt_hw hw;
    gt_error err;
    gt_hw_opts_init(&o);
    o.nvml_lib = FAKE_NVML_LIB;
    o.fake_gpus = 2;
    unsetenv("FAKE_NVML_FAIL");
    assert_int_equal(gt_hw_discover(&o, &hw, &err), GT_E_OK);
    assert_int_equal(hw.nvml, 1);
    assert_int_equal(hw.gpus, 4);
    assert_string_equal(hw.gpu_model, "H100 80GB HBM3");
    assert_string_equal(hw.gpu[0].name, "NVIDIA H100 80GB HBM3");
    assert_int_equal(hw.gpu[3].memory_mb, 81559);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(hw.gpu[i].minor, 3 - i);
        assert_int_equal(hw.gpu[i].nvlinks, 2);
        assert_int_equal(hw.gpu[i].nvlink_peers, 1ULL << (i ^ 1));
    }
    assert_string_equal(hw.gpu[1].bus_id, "00000000:41:00.0");
    /* one device failing: none is trusted, the fakes stand in */
    setenv("FAKE_NVML_FAIL", "name", 1);
    assert_int_equal(gt_hw_discover(&o, &hw, &err), GT_E_OK);
    assert_int_equal(hw.nvml, 0);
    assert_int_equal(hw.gpus, 2);
    assert_int_equal(hw.gpu[1].nvlink_peers, 0);
    setenv("FAKE_NVML_FAIL", "init", 1);
    assert_int_equal(gt_hw_discover(&o, &hw, &err), GT_E_OK);
    assert_int_equal(hw.nvml, 0);
    assert_int_equal(hw.gpus, 2);
    unsetenv("FAKE_NVML_FAIL");
}

/* GPUs in MIG mode: each replaced by its instances, of a model with the profile, each with
 * its UUID, its parent's minor and PCI address, and no NVLinks. */
static void test_nvml_mig(void **state) {
    (void)state;
    gt_hw_opts o;
    gt_hw hw;
    gt_error err;
    gt_hw_opts_init(&o);
    o.nvml_lib = FAKE_NVML_LIB;
    unsetenv("FAKE_NVML_FAIL");
    setenv("FAKE_NVML_MIG", "1", 1);
    assert_int_equal(gt_hw_discover(&o, &hw, &err), GT_E_OK);
    unsetenv("FAKE_NVML_MIG");
    assert_int_equal(hw.nvml, 1);
    assert_int_equal(hw.gpus, 8);
    assert_string_equal(hw.gpu_model, "H100-3g.40gb");
    for (int i = 0; i < 8; i++) {
        char uuid[32];
        snprintf(uuid, sizeof uuid, "MIG-fake-%d-%d", i / 2, i % 2 ? 2 : 0);
        assert_int_equal(hw.gpu[i].mig, 1);
        assert_int_equal(hw.gpu[i].parent, i / 2);
        assert_string_equal(hw.gpu[i].uuid, uuid);
        assert_int_equal(hw.gpu[i].memory_mb, 40192);
        assert_int_equal(hw.gpu[i].minor, 3 - i / 2);
        assert_int_equal(hw.gpu[i].nvlink_peers, 0);
    }
    assert_string_equal(hw.gpu[5].bus_id, "00000000:9C:00.0");
    assert_int_equal(gt_hw_discover(&o, &hw, &err), GT_E_OK); /* MIG off again: 4 GPUs */
    assert_int_equal(hw.gpus, 4);
    assert_int_equal(hw.gpu[0].mig, 0);
    assert_string_equal(hw.gpu[0].uuid, "GPU-fake-0");
}

static void test_overrides(void **state) {
    (void)state;
    gt_hw_opts o;
    gt_hw hw;
    gt_error err;
    gt_hw_opts_init(&o);
    o.no_nvml = 1;
    o.cpus = 7;
    o.memory_mb = 12345;
    assert_int_equal(gt_hw_discover(&o, &hw, &err), GT_E_OK);
    assert_int_equal(hw.cpus, 7);
    assert_int_equal(hw.memory_mb, 12345);
    o.cpus = 0; /* only memory overridden */
    assert_int_equal(gt_hw_discover(&o, &hw, &err), GT_E_OK);
    assert_true(hw.cpus >= 1);
    assert_int_equal(hw.memory_mb, 12345);
    assert_int_equal(gt_hw_discover(NULL, &hw, &err), GT_E_OK); /* defaults */
    assert_true(hw.cpus >= 1 && hw.memory_mb > 0);
}

static void test_bad_options(void **state) {
    (void)state;
    gt_hw_opts o;
    gt_hw hw;
    gt_error err;
    gt_hw_opts_init(&o);
    o.no_nvml = 1;
    o.fake_gpus = GT_HW_MAX_GPUS + 1;
    assert_int_equal(gt_hw_discover(&o, &hw, &err), GT_E_RANGE);
    assert_non_null(strstr(err.msg, "fake_gpus"));
    assert_int_equal(hw.cpus, 0);
    o.fake_gpus = GT_HW_MAX_GPUS;
    assert_int_equal(gt_hw_discover(&o, &hw, &err), GT_E_OK);
    assert_int_equal(hw.gpus, GT_HW_MAX_GPUS);
    o.cpus = -1;
    assert_int_equal(gt_hw_discover(&o, &hw, &err), GT_E_RANGE);
    o.cpus = 0;
    o.memory_mb = -5;
    assert_int_equal(gt_hw_discover(&o, &hw, &err), GT_E_RANGE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fake_gpus), cmocka_unit_test(test_no_nvml_library),
        cmocka_unit_test(test_nvml),      cmocka_unit_test(test_nvml_mig),
        cmocka_unit_test(test_overrides), cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
