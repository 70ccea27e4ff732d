/* SPDX-License-Identifier: MIT
 * gantry scale ID N: how many replicas a service should run (POST /v1/jobs/ID/scale),
 * within its replicas.min .. max. Fewer than run now: the others stop (least loaded first
 * when the service scales on a metric); more: they start as room allows. A service that
 * scales on a metric starts from the count given here. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/fmt.h"
#include "util/parse.h"

int gt_cli_cmd_scale(gt_cli *c, int argc, char **argv) {
    long long id, n;
    const char *why = NULL;
    int rc = gt_cli_nargs(c, argc, argv, 2, 2, "ID and REPLICAS");
    if (rc || (rc = gt_cli_job_id(c, argv[1], &id)))
        return rc;
    if (gt_parse_int(argv[2], &n, &why) != 0 || n < 0 || n > 100000)
        return gt_cli_usage(c, "REPLICAS: expected a count from 0 to 100000, got '%.32s'", argv[2]);
    char path[96], body[64];
    snprintf(path, sizeof path, "/v1/jobs/%lld/scale", id);
    snprintf(body, sizeof body, "{\"replicas\":%lld}", n);
    json_t *job = NULL;
    if ((rc = gt_cli_request(c, "POST", path, body, &job)))
        return rc;
    if (c->json) {
        gt_cli_print_last(c);
    } else {
        const json_t *svc = json_object_get(job, "service");
        printf("job %lld: %lld replica(s) wanted, %lld ready\n", id, gt_cli_jint(svc, "desired"),
               gt_cli_jint(svc, "ready"));
    }
    json_decref(job);
    return 0;
}
