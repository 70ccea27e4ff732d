/* SPDX-License-Identifier: MIT
 * The fake twin of proc.c (proc.h): ranks without processes, for the agent's unit tests.
 * Each fake rank is a record in a small table keyed by its directory, so that an "adopt"
 * after a simulated agent restart finds the rank a spawn made. A gt_proc points at its
 * record through its pid (1000 + index). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sys/proc.h"
#include "util/strbuf.h"

#define MAX_FAKE 256

typedef struct {
    char *dir;
    char **env; /* NULL-terminated copy */
    int ended;
    gt_proc_status st;
} fake_rank;

static fake_rank fakes[MAX_FAKE];
static int nfakes, spawned, stubborn;

static fake_rank *of(const gt_proc *p) {
    int i = p->pid - 1000;
    return i >= 0 && i < nfakes ? &fakes[i] : NULL;
}

static gt_err fake_spawn(const gt_proc_spec *spec, gt_proc *out, gt_error *err) {
    memset(out, 0, sizeof *out);
    if (!spec->argv || !spec->argv[0] || !spec->dir)
        return gt_fail(err, GT_E_INVALID, "spec", "no command or no record directory");
    if (nfakes == MAX_FAKE)
        return gt_fail(err, GT_E_NOMEM, "fake", "too many fake ranks");
    mkdir(spec->dir, 0700);
    fake_rank *f = &fakes[nfakes];
    memset(f, 0, sizeof *f);
    f->dir = strdup(spec->dir);
    size_t n = 0;
    while (spec->envp && spec->envp[n])
        n++;
    f->env = calloc(n + 1, sizeof *f->env);
    for (size_t i = 0; f->env && i < n; i++)
        f->env[i] = strdup(spec->envp[i]);
    out->dir = strdup(spec->dir);
    out->pid = 1000 + nfakes++;
    out->kill_at = GT_TIME_NEVER;
    spawned++;
    return GT_E_OK;
}

static gt_err fake_adopt(const char *dir, gt_proc *out, gt_error *err) {
    memset(out, 0, sizeof *out);
    for (int i = 0; i < nfakes; i++)
        if (fakes[i].dir && !strcmp(fakes[i].dir, dir)) {
            out->dir = strdup(dir);
            out->pid = 1000 + i;
            out->kill_at = GT_TIME_NEVER;
            return GT_E_OK;
        }
    return gt_fail(err, GT_E_NOT_FOUND, dir, "no fake rank here");
}

static int fake_poll(gt_proc *p, gt_proc_status *st) {
    fake_rank *f = of(p);
    if (!f || !f->ended)
        return 0;
    p->ended = 1;
    p->st = f->st;
    if (st)
        *st = f->st;
    return 1;
}

static void fake_stop(gt_proc *p, gt_time grace_ms, gt_time now_ms) {
    fake_rank *f = of(p);
    if (!f || f->ended)
        return;
    if (!p->stopping)
        p->kill_at = now_ms + (grace_ms > 0 ? grace_ms : 0);
    p->stopping = 1;
    if (!stubborn || grace_ms <= 0) {
        f->ended = 1;
        f->st = (gt_proc_status){.signal = stubborn ? 9 : 15};
    }
}

static gt_time fake_tick(gt_proc *p, gt_time now_ms) {
    fake_rank *f = of(p);
    if (f && !f->ended && p->stopping && now_ms >= p->kill_at) {
        f->ended = 1;
        f->st = (gt_proc_status){.signal = 9};
        p->killed = 1;
    }
    return f && !f->ended && p->stopping ? p->kill_at : GT_TIME_NEVER;
}

static void fake_free(gt_proc *p) {
    if (p) {
        free(p->dir);
        memset(p, 0, sizeof *p);
    }
}

const gt_proc_ops gt_proc_fake = {fake_spawn, fake_adopt, fake_poll,
                                  fake_stop,  fake_tick,  fake_free};

void gt_proc_fake_end(gt_proc *p, int code, int sig, const char *reason) {
    fake_rank *f = of(p);
    if (!f)
        return;
    f->ended = 1;
    f->st = (gt_proc_status){.exit_code = code, .signal = sig};
    if (reason)
        strncpy(f->st.reason, reason, sizeof f->st.reason - 1);
}

const char *gt_proc_fake_env(const gt_proc *p, const char *key) {
    fake_rank *f = of(p);
    size_t kl = strlen(key);
    for (size_t i = 0; f && f->env && f->env[i]; i++)
        if (!strncmp(f->env[i], key, kl) && f->env[i][kl] == '=')
            return f->env[i] + kl + 1;
    return NULL;
}

int gt_proc_fake_spawned(void) {
    return spawned;
}

void gt_proc_fake_stubborn(int on) {
    stubborn = on;
}

void gt_proc_fake_reset(void) {
    for (int i = 0; i < nfakes; i++) {
        free(fakes[i].dir);
        for (size_t k = 0; fakes[i].env && fakes[i].env[k]; k++)
            free(fakes[i].env[k]);
        free(fakes[i].env);
    }
    nfakes = spawned = stubborn = 0;
}
