/* SPDX-License-Identifier: MIT
 * libFuzzer harness for the launch message gantry-shim reads (sys/proc_launch.c): any body
 * returns cleanly; on failure the error names the launch; what decodes encodes to a message
 * that decodes to the same spec. */
#include <stdlib.h>
#include <string.h>

#include "sys/proc_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_list(const char *const *a, const char *const *b) {
    size_t i = 0;
    for (; a && b && a[i] && b[i]; i++)
        if (strcmp(a[i], b[i]))
            return 0;
    return (!a || !a[i]) && (!b || !b[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *body = malloc(size ? size : 1);
    memcpy(body, data, size);
    struct launch_msg m, again;
    gt_error err = {0};
    gt_err e = sys_proc_launch_decode(body, size, &m, &err);
    if (e) {
        if (err.code != e || !err.msg[0] || strcmp(err.where, "launch"))
            abort();
        free(body);
        return 0;
    }
    size_t len;
    char *msg = sys_proc_launch_encode(&m.spec, m.boot_id, &len);
    if (!msg || sys_proc_launch_decode(msg + 4, len - 4, &again, &err) != GT_E_OK)
        abort();
    if (strcmp(m.spec.dir, again.spec.dir) || !same_list(m.spec.argv, again.spec.argv) ||
        !same_list(m.spec.envp, again.spec.envp) ||
        !same_list(m.spec.cgroups, again.spec.cgroups) || m.spec.set_ids != again.spec.set_ids ||
        m.spec.ngroups != again.spec.ngroups ||
        (m.spec.set_ids && (m.spec.uid != again.spec.uid || m.spec.gid != again.spec.gid)))
        abort();
    sys_proc_launch_msg_free(&again);
    sys_proc_launch_msg_free(&m);
    free(msg);
    free(body);
    return 0;
}
