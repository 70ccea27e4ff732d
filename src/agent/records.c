/* SPDX-License-Identifier: MIT
 * A unit's record after its ranks have ended:
 *  - once the controller has acknowledged every rank's exit, item.json is renamed to
 *    acked.json (one rename, no new file: a restarted agent sends none of its exits
 *    again). A unit acknowledged rank by rank (failures) gets `reported` in each rank's
 *    folder until then;
 *  - once its cgroup is gone too, the unit's folder moves from STATE/runs/ to STATE/done/,
 *    so that runs/ (read whole when the agent starts) holds only units still in play;
 *  - done/ keeps it --keep-logs-s seconds (its logs stay readable through `gantry logs`),
 *    then it is removed, oldest first, at most EXPIRE_PER_ROUND and EXPIRE_ROUND_MS per
 *    round of the main loop (about 10 rounds a second when idle, more when busy).
 * A unit is started only if neither runs/ nor done/ has its folder; one removed from done/
 * has ended and been acknowledged, so a controller with its journal never asks for it
 * again (one restored from an older copy of its data folder could).
 * Emulated units (--emulate) have no record: all of this does nothing for them. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent_int.h"
#include "util/vec.h"

#define EXPIRE_PER_ROUND 64 /* removals per main-loop round, and at most */
#define EXPIRE_ROUND_MS 20  /* this long: a backlog (or a huge log) never stalls the loop */

/* The folder of unit NAME under STATE/sub into out; 0 if it does not fit. */
static int unit_path(const agent *a, const char *sub, const char *name, char *out, size_t size) {
    return agent_path(out, size, "%s/%s/%s", a->o.state_dir, sub, name);
}

int agent_records_started(const agent *a, const char *name) {
    char path[700];
    struct stat st;
    if (a->o.emulate)
        return 0;
    return (unit_path(a, "runs", name, path, sizeof path) && stat(path, &st) == 0) ||
           (unit_path(a, "done", name, path, sizeof path) && stat(path, &st) == 0);
}

int agent_records_rank_dir(const agent *a, const char *name, unsigned rank, char *out,
                           size_t size) {
    static const char *const subs[] = {"runs", "done"};
    struct stat st;
    for (int i = 0; i < 2; i++)
        if (agent_path(out, size, "%s/%s/%s/rank%u", a->o.state_dir, subs[i], name, rank) &&
            stat(out, &st) == 0)
            return 1;
    return 0;
}

void agent_records_acked(agent *a, a_unit *u) {
    if (a->o.emulate)
        return;
    int all = 1;
    for (int k = 0; k < u->nranks && all; k++)
        all = u->ranks[k].state == AGENT_RANK_ACKED;
    char from[700], to[700];
    if (all && agent_path(from, sizeof from, "%s/item.json", u->dir) &&
        agent_path(to, sizeof to, "%s/acked.json", u->dir)) {
        if (rename(from, to) == 0)
            return;
        agent_log_at(a, GT_LOG_WARNING, "%s: cannot mark it acknowledged: %s", u->dir,
                     strerror(errno));
    }
    for (int k = 0; k < u->nranks; k++) { /* some ranks only: one mark each */
        a_rank *r = &u->ranks[k];
        if (r->state != AGENT_RANK_ACKED || !r->started || r->marked)
            continue;
        r->marked = 1;
        if (agent_path(to, sizeof to, "%s/reported", r->proc.dir)) {
            FILE *f = fopen(to, "we");
            if (f)
                fclose(f);
        }
    }
}

/* ---- done/ and its expiry ---- */

static int push(agent *a, int64_t when, const char *name) {
    if (a->ndone == a->done_cap) {
        if (a->done_head > 0) { /* reuse the room of what expired */
            memmove(a->done, a->done + a->done_head, (a->ndone - a->done_head) * sizeof *a->done);
            a->ndone -= a->done_head;
            a->done_head = 0;
        }
        if (!gt_vec_reserve((void **)&a->done, &a->done_cap, a->ndone + 1, sizeof *a->done))
            return 0;
    }
    if (!(a->done[a->ndone].name = strdup(name)))
        return 0;
    a->done[a->ndone++].when = when;
    return 1;
}

void agent_records_finish(agent *a, a_unit *u) {
    if (a->o.emulate)
        return;
    const char *name = strrchr(u->dir, '/') + 1;
    char to[700];
    if (!unit_path(a, "done", name, to, sizeof to) || rename(u->dir, to) != 0) {
        agent_log_at(a, GT_LOG_WARNING, "%s: cannot move it to done/: %s", u->dir, strerror(errno));
        return;
    }
    push(a, agent_wall_s(), name);
}

static int by_when(const void *x, const void *y) {
    const a_done *p = x, *q = y;
    return (p->when > q->when) - (p->when < q->when);
}

void agent_records_load(agent *a) {
    char dir[600], path[700];
    agent_path(dir, sizeof dir, "%s/done", a->o.state_dir);
    DIR *d = opendir(dir);
    if (!d)
        return;
    for (struct dirent *de; (de = readdir(d));) {
        struct stat st;
        if (de->d_name[0] != '.' && agent_path(path, sizeof path, "%s/%s", dir, de->d_name) &&
            stat(path, &st) == 0) /* moved in when it finished: the folder's change time */
            push(a, (int64_t)st.st_ctime, de->d_name);
    }
    closedir(d);
    if (a->ndone > 1)
        qsort(a->done, a->ndone, sizeof *a->done, by_when);
}

void agent_records_expire(agent *a) {
    if (a->o.emulate || a->done_head == a->ndone)
        return;
    int64_t now = agent_wall_s(), until = agent_now() + EXPIRE_ROUND_MS;
    char path[700];
    for (int n = 0; n < EXPIRE_PER_ROUND && a->done_head < a->ndone && agent_now() < until; n++) {
        a_done *d = &a->done[a->done_head];
        if (now - d->when < a->o.keep_logs_s)
            break;
        gt_error err = {0};
        if (unit_path(a, "done", d->name, path, sizeof path) && gt_proc_forget(path, &err))
            agent_log_at(a, GT_LOG_WARNING, "removing %s: %s", path, err.msg);
        free(d->name);
        a->done_head++;
    }
    if (a->done_head == a->ndone)
        a->done_head = a->ndone = 0;
}

void agent_records_free(agent *a) {
    for (size_t i = a->done_head; i < a->ndone; i++)
        free(a->done[i].name);
    free(a->done);
    a->done = NULL;
    a->ndone = a->done_cap = a->done_head = 0;
}
