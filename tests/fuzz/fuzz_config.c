/* SPDX-License-Identifier: MIT
 * libFuzzer harness for the cluster config parser (gt_config_parse, and gantryd's
 * gt_ctld_config_parse that also reads the server section). Any input must return cleanly:
 * either a config whose fleet passes gt_topo_check, or an error with a message. Everything
 * is freed, so LeakSanitizer checks the error paths too. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/config.h"
#include "core/topo.h"
#include "ctld/server_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gt_config *cfg = NULL;
    gt_error err = {0};
    gt_err e = gt_config_parse((const char *)data, size, "fuzz.yaml", &cfg, &err);
    if (e != GT_E_OK) {
        if (cfg || err.code != e || !err.msg[0]) {
            fprintf(stderr, "config: error %d without a message or with a config\n", (int)e);
            abort();
        }
        return 0;
    }
    if (!cfg || !cfg->topo) {
        fprintf(stderr, "config: success without a config or a fleet\n");
        abort();
    }
    gt_error terr = {0};
    if (gt_topo_check(cfg->topo, &terr) != GT_E_OK) {
        char buf[512];
        fprintf(stderr, "config: gt_topo_check failed: %s\n", gt_error_str(&terr, buf, sizeof buf));
        abort();
    }
    gt_config_free(cfg);
    gt_server_conf server;
    e = gt_ctld_config_parse((const char *)data, size, "fuzz.yaml", &cfg, &server, &err);
    if (e == GT_E_OK ? !cfg : (cfg || err.code != e || !err.msg[0])) {
        fprintf(stderr, "config: gantryd's reading returned %d inconsistently\n", (int)e);
        abort();
    }
    gt_config_free(cfg);
    return 0;
}
