/* SPDX-License-Identifier: MIT
 * Agent start-up: the state folder, what nodes it serves (this machine via sys/hw.h, or N
 * emulated nodes taken in order from a cluster config's fleet), the logs endpoint, the
 * poller thread, and the records of units from before a restart. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent_int.h"
#include "core/config.h"
#include "sys/hw.h"
#include "sys/readfile.h"

int agent_setup(agent *a, const gt_agent_opts *o);

/* Append a node to what the agent registers; 0 when out of memory. */
static int add_node(gt_proto_register *r, const char *name, int gpus, const char *model, int cpus,
                    int64_t memory_mb) {
    gt_proto_node *nv = realloc(r->nodes, (r->nnodes + 1) * sizeof *nv);
    if (!nv)
        return 0;
    r->nodes = nv;
    gt_proto_node *n = &nv[r->nnodes];
    *n = (gt_proto_node){strdup(name), gpus, cpus, memory_mb, strdup(model), NULL, 0};
    if (!n->name || !n->gpu_model) {
        free(n->name);
        free(n->gpu_model);
        return 0;
    }
    r->nnodes++;
    return 1;
}

static int this_node(agent *a) {
    gt_hw_opts ho;
    gt_hw_opts_init(&ho);
    ho.fake_gpus = a->o.fake_gpus;
    ho.fake_model = a->o.fake_model;
    ho.cpus = a->o.cpus;
    ho.memory_mb = a->o.memory_mb;
    ho.nvml_lib = getenv("GANTRY_NVML_LIB"); /* NULL: libnvidia-ml.so.1 */
    gt_hw hw;
    gt_error err = {0};
    if (gt_hw_discover(&ho, &hw, &err)) {
        agent_log_at(a, GT_LOG_ERR, "hardware discovery failed: %s", err.msg);
        return 0;
    }
    a->ngpus = hw.gpus < 64 ? hw.gpus : 64;
    for (int i = 0; i < a->ngpus; i++) {
        a->gpu_minor[i] = hw.gpu[i].minor;
        if (hw.gpu[i].mig)
            snprintf(a->gpu_uuid[i], sizeof a->gpu_uuid[i], "%s", hw.gpu[i].uuid);
        if (hw.nvml)
            agent_log(a, "GPU %d: %s, %lld MiB, /dev/nvidia%d, PCI %s, %d NVLink(s), peers 0x%llx",
                      i, hw.gpu[i].name, (long long)hw.gpu[i].memory_mb, hw.gpu[i].minor,
                      hw.gpu[i].bus_id[0] ? hw.gpu[i].bus_id : "?", hw.gpu[i].nvlinks,
                      (unsigned long long)hw.gpu[i].nvlink_peers);
    }
    if (hw.gpus && hw.gpu[0].mig)
        agent_log(a,
                  "MIG: each instance is a GPU of model %s (ranks get them by UUID; devices "
                  "are isolated per physical GPU)",
                  hw.gpu_model);
    agent_log(a, "node %s: %d CPUs, %lld MiB, %d %s GPU(s)%s", a->o.node, hw.cpus,
              (long long)hw.memory_mb, hw.gpus, hw.gpu_model, hw.nvml ? "" : " (fake)");
    if (!add_node(&a->reg, a->o.node, hw.gpus, hw.gpu_model, hw.cpus, hw.memory_mb))
        return 0;
    if (a->o.pool && !(a->reg.nodes[a->reg.nnodes - 1].pool = strdup(a->o.pool)))
        return 0;
    return 1;
}

static int emulated_nodes(agent *a) {
    size_t len;
    gt_error err = {0};
    char *text =
        a->o.emulate_config ? gt_file_read(a->o.emulate_config, 64 << 20, &len, &err) : NULL;
    gt_config *cfg = NULL;
    if (!text || gt_config_parse(text, len, a->o.emulate_config, &cfg, &err)) {
        agent_log_at(a, GT_LOG_ERR,
                     "--emulate needs --config FILE (the controller's cluster config): %s",
                     err.msg[0] ? err.msg : "cannot read it");
        free(text);
        return 0;
    }
    free(text);
    const gt_topo *t = cfg->topo;
    int ok = 1;
    for (uint32_t v = 0; v < t->nv && ok && (int)a->reg.nnodes < a->o.emulate; v++)
        if (t->level[v] == t->nlevels - 1)
            ok = add_node(&a->reg, gt_topo_name(t, v), (int)t->n_gpus[v],
                          t->n_gpus[v] ? t->model_names[t->n_model[v]] : "", (int)t->n_cpus[v],
                          t->n_mem[v]);
    gt_config_free(cfg);
    agent_log(a, "emulating %u node(s)", a->reg.nnodes);
    return ok;
}

static int start_logs(agent *a) {
    gt_error err = {0};
    a->logs = gt_http_start(a->o.listen, 4096, agent_logs_handler, a, &err);
    if (!a->logs) {
        agent_log_at(a, GT_LOG_ERR, "logs endpoint: %s", err.msg);
        return 0;
    }
    char host[64];
    int port;
    gt_http_parse_listen(a->o.listen, host, &port);
    snprintf(a->url, sizeof a->url, "http://%s:%d", a->o.advertise ? a->o.advertise : host,
             gt_http_port(a->logs));
    return 1;
}

/* The rank supervisor: --shim, else gantry-shim beside this program, else (or with
 * --shim none) a fork of the agent. 0 when --shim names something that cannot run. */
static int find_shim(agent *a) {
    a->shim[0] = 0;
    if (a->o.shim && !strcmp(a->o.shim, "none")) {
        agent_log(a, "rank supervisor: a fork of the agent (--shim none)");
        return 1;
    }
    if (a->o.shim) {
        if (access(a->o.shim, X_OK) != 0 || !realpath(a->o.shim, a->shim)) {
            agent_log_at(a, GT_LOG_ERR, "--shim %s: %s", a->o.shim, strerror(errno));
            return 0;
        }
    } else {
        char self[sizeof a->shim];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        self[n > 0 ? n : 0] = 0;
        char *slash = strrchr(self, '/');
        if (slash && (size_t)(slash - self) + sizeof "/gantry-shim" <= sizeof a->shim)
            snprintf(a->shim, sizeof a->shim, "%.*s/gantry-shim", (int)(slash - self), self);
        if (!a->shim[0] || access(a->shim, X_OK) != 0) {
            agent_log(a, "rank supervisor: a fork of the agent (no gantry-shim beside it)");
            a->shim[0] = 0;
            return 1;
        }
    }
    agent_log(a, "rank supervisor: %s", a->shim);
    return 1;
}

int agent_setup(agent *a, const gt_agent_opts *o) {
    a->o = *o;
    /* 0711: a job may reach its own unit's hostfile by name, but list nothing; each rank's
     * record (its logs) stays 0700. */
    char runs[600], done[600];
    agent_path(runs, sizeof runs, "%s/runs", o->state_dir);
    agent_path(done, sizeof done, "%s/done", o->state_dir);
    if ((mkdir(o->state_dir, 0711) && errno != EEXIST) || chmod(o->state_dir, 0711) ||
        (mkdir(runs, 0711) && errno != EEXIST) || chmod(runs, 0711) ||
        (mkdir(done, 0711) && errno != EEXIST) || chmod(done, 0711)) {
        agent_log_at(a, GT_LOG_ERR, "%s: %s", o->state_dir, strerror(errno));
        return 0;
    }
    if (!realpath(o->state_dir, a->state_dir)) {
        agent_log_at(a, GT_LOG_ERR, "%s: %s", o->state_dir, strerror(errno));
        return 0;
    }
    a->o.state_dir = a->state_dir;
    if (!o->emulate) { /* SIGCHLD goes to the reaper thread only: blocked before any thread
                        * starts (they inherit the mask), the logs server's pool included */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
    }
    if (!o->emulate && !find_shim(a))
        return 0;
    if (!(o->emulate ? emulated_nodes(a) : this_node(a)) || !a->reg.nnodes || !start_logs(a) ||
        !agent_mps_start(a))
        return 0;
    char host[64] = "host";
    gethostname(host, sizeof host - 1);
    snprintf(a->id, sizeof a->id, "%s-%s", host, a->reg.nodes[0].name);
    a->reg.proto = GT_PROTO_VERSION;
    if (!(a->reg.agent = strdup(a->id)) || !(a->reg.url = strdup(a->url)))
        return 0;
    a->http = gt_http_client_new(o->token);
    a->need_register = 1;
    pthread_mutex_init(&a->mu, NULL);
    a->stats.healthy = -1; /* no health check verdict yet */
    pthread_cond_init(&a->cv, NULL);
    if (!o->emulate)
        a->reaper_started = pthread_create(&a->reaper, NULL, agent_reaper_main, a) == 0;
    if (!a->http || pthread_create(&a->poller, NULL, agent_poller_main, a))
        return 0;
    if (pthread_create(&a->heartbeat, NULL, agent_heartbeat_main, a))
        return 0; /* the poller is left running: the process exits */
    if (!agent_probers_start(a))
        return 0;
    if (o->health_cmd && o->health_cmd[0]) {
        if (a->o.health_every_s <= 0)
            a->o.health_every_s = 30;
        a->health_started = pthread_create(&a->health, NULL, agent_health_main, a) == 0;
        if (!a->health_started)
            return 0;
    }
    agent_isolate_setup(a);
    if (!o->emulate) {
        agent_records_load(a); /* first: what agent_units_adopt moves to done/ is queued by it */
        agent_units_adopt(a);
        agent_log(a, "finished units' records and logs are kept %lld s (--keep-logs-s); %zu now",
                  (long long)o->keep_logs_s, a->ndone);
    }
    return 1;
}
