/* SPDX-License-Identifier: MIT
 * A rank's launch: the paths and buffers its shim and child use (struct launch, built
 * before fork or in gantry-shim), and the message that carries a spawn's spec from the
 * agent to an exec'd gantry-shim (proc_int.h). */
#define _GNU_SOURCE
#include "sys/proc_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

extern char **environ;

static const char *env_path(char *const *envp) {
    for (size_t i = 0; envp[i]; i++)
        if (strncmp(envp[i], "PATH=", 5) == 0)
            return envp[i] + 5;
    return DEFAULT_PATH;
}

void sys_proc_launch_free(struct launch *l) {
    if (!l)
        return;
    free(l->cand);
    free(l->sh_argv);
    free(l);
}

struct launch *sys_proc_launch_new(const gt_proc_spec *spec, const char *boot_id) {
    struct launch *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    for (int f = 0; f < F__COUNT; f++)
        snprintf(l->path[f], sizeof l->path[f], "%s/%s", spec->dir, sys_proc_file_names[f]);
    l->argv = spec->argv;
    l->envp = spec->envp ? (char *const *)spec->envp : environ;
    l->workdir = spec->workdir;
    l->out_file = spec->stdout_path;
    l->err_file = spec->stderr_path;
    l->set_ids = spec->set_ids;
    l->uid = spec->uid;
    l->gid = spec->gid;
    l->groups = spec->groups;
    l->ngroups = spec->ngroups;
    for (size_t i = 0; spec->cgroups && spec->cgroups[i] && i < PROC_MAX_CGROUPS; i++)
        snprintf(l->cgroup[l->ncgroups++], sizeof l->cgroup[0], "%s", spec->cgroups[i]);
    l->search = env_path(l->envp);
    size_t argc = 0;
    while (spec->argv[argc])
        argc++;
    l->cand = malloc(strlen(l->search) + strlen(spec->argv[0]) + 2);
    l->sh_argv = calloc(argc + 2, sizeof *l->sh_argv);
    if (!l->cand || !l->sh_argv) {
        sys_proc_launch_free(l);
        return NULL;
    }
    l->sh_argv[0] = "/bin/sh";
    for (size_t i = 1; i < argc; i++)
        l->sh_argv[i + 1] = spec->argv[i];
    snprintf(l->boot_id, sizeof l->boot_id, "%s", boot_id ? boot_id : "");
    long max = sysconf(_SC_OPEN_MAX);
    l->max_fd = max < 0 || max > 65536 ? 65536 : (int)max;
    return l;
}

/* ---- the message to gantry-shim ---------------------------------------------------------
 * A 4-byte length (host order, the shim runs on the same machine) and then that many bytes
 * of NUL-terminated "K=VALUE" fields, K one letter:
 *   v version (PROC_LAUNCH_VERSION), first     d the record directory (once)
 *   b boot id      w workdir      u uid, g gid (both or neither: set_ids)
 *   o stdout file  r stderr file (stdout_path, stderr_path)
 *   G a supplementary group      c a cgroup.procs file to join
 *   e an environment entry       a an argument, in order (at least one) */

static void put(char **at, char key, const char *val, size_t vlen) {
    (*at)[0] = key;
    (*at)[1] = '=';
    memcpy(*at + 2, val, vlen);
    (*at)[2 + vlen] = 0;
    *at += vlen + 3;
}

static void put_str(char **at, char key, const char *s) {
    put(at, key, s, strlen(s));
}

static void put_num(char **at, char key, unsigned long long v) {
    char buf[24];
    put(at, key, buf, (size_t)snprintf(buf, sizeof buf, "%llu", v));
}

static size_t list_size(const char *const *v, size_t *count) {
    size_t n = 0, bytes = 0;
    while (v && v[n])
        bytes += strlen(v[n++]) + 3;
    *count = n;
    return bytes;
}

char *sys_proc_launch_encode(const gt_proc_spec *spec, const char *boot_id, size_t *len) {
    const char *const *envp = spec->envp ? spec->envp : (const char *const *)environ;
    size_t nargs, nenv, ncg;
    size_t size = 4 + 3 + sizeof PROC_LAUNCH_VERSION + strlen(spec->dir) + 3 +
                  strlen(boot_id ? boot_id : "") + 3 + list_size(spec->argv, &nargs) +
                  list_size(envp, &nenv) + list_size(spec->cgroups, &ncg);
    size += spec->workdir ? strlen(spec->workdir) + 3 : 0;
    size += spec->stdout_path ? strlen(spec->stdout_path) + 3 : 0;
    size += spec->stderr_path ? strlen(spec->stderr_path) + 3 : 0;
    size += spec->set_ids ? (size_t)(2 + (spec->ngroups > 0 ? spec->ngroups : 0)) * 24 : 0;
    char *buf = malloc(size), *at = buf + 4;
    if (!buf)
        return NULL;
    put_str(&at, 'v', PROC_LAUNCH_VERSION);
    put_str(&at, 'd', spec->dir);
    put_str(&at, 'b', boot_id ? boot_id : "");
    if (spec->workdir)
        put_str(&at, 'w', spec->workdir);
    if (spec->stdout_path)
        put_str(&at, 'o', spec->stdout_path);
    if (spec->stderr_path)
        put_str(&at, 'r', spec->stderr_path);
    if (spec->set_ids) {
        put_num(&at, 'u', spec->uid);
        put_num(&at, 'g', spec->gid);
        for (int i = 0; i < spec->ngroups; i++)
            put_num(&at, 'G', spec->groups[i]);
    }
    for (size_t i = 0; i < ncg; i++)
        put_str(&at, 'c', spec->cgroups[i]);
    for (size_t i = 0; i < nenv; i++)
        put_str(&at, 'e', envp[i]);
    for (size_t i = 0; i < nargs; i++)
        put_str(&at, 'a', spec->argv[i]);
    uint32_t body = (uint32_t)(at - buf - 4);
    memcpy(buf, &body, 4);
    *len = (size_t)(at - buf);
    return buf;
}

void sys_proc_launch_msg_free(struct launch_msg *m) {
    if (!m)
        return;
    free(m->argv);
    free(m->envp);
    free(m->groups);
    free(m->cgroups);
    memset(m, 0, sizeof *m);
}

static int parse_id(const char *s, unsigned *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *s == '-' || *end || errno || v >= UINT32_MAX)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* Append p to a NULL-terminated growing array *v of *n entries. */
static int push(const char ***v, size_t *n, const char *p) {
    const char **grown = realloc(*v, (*n + 2) * sizeof *grown);
    if (!grown)
        return -1;
    grown[(*n)++] = p;
    grown[*n] = NULL;
    *v = grown;
    return 0;
}

static gt_err bad(gt_error *err, size_t at, const char *what) {
    return gt_fail(err, GT_E_PARSE, "launch", "field at byte %zu: %s", at, what);
}

gt_err sys_proc_launch_decode(char *body, size_t len, struct launch_msg *m, gt_error *err) {
    memset(m, 0, sizeof *m);
    size_t nargs = 0, nenv = 0, ncg = 0, at = 0;
    int have_uid = 0, have_gid = 0;
    gt_err rc = GT_E_OK;
    if (len == 0 || body[len - 1] != 0)
        return gt_fail(err, GT_E_PARSE, "launch", "empty or not NUL-terminated");
    while (at < len && rc == GT_E_OK) {
        char *f = body + at, *val = f + 2;
        size_t flen = strlen(f);
        unsigned id;
        if (flen < 2 || f[1] != '=') {
            rc = bad(err, at, "not K=VALUE");
        } else if (at == 0 && (f[0] != 'v' || strcmp(val, PROC_LAUNCH_VERSION) != 0)) {
            rc = bad(err, at, "not a launch of this gantry version");
        } else if (f[0] == 'v') {
            rc = at == 0 ? GT_E_OK : bad(err, at, "a second version");
        } else if (strchr("dbwor", f[0])) {
            const char **slot = f[0] == 'd'   ? &m->spec.dir
                                : f[0] == 'b' ? &m->boot_id
                                : f[0] == 'o' ? &m->spec.stdout_path
                                : f[0] == 'r' ? &m->spec.stderr_path
                                              : &m->spec.workdir;
            if (*slot)
                rc = bad(err, at, "a field given twice");
            *slot = val;
        } else if (f[0] == 'u' || f[0] == 'g') {
            int *seen = f[0] == 'u' ? &have_uid : &have_gid;
            if (*seen || parse_id(val, &id) != 0)
                rc = bad(err, at, "a bad or second uid/gid");
            else if (f[0] == 'u')
                m->spec.uid = (uid_t)id;
            else
                m->spec.gid = (gid_t)id;
            *seen = 1;
        } else if (f[0] == 'G') {
            gid_t *grown = parse_id(val, &id) == 0 && m->spec.ngroups < 65536
                               ? realloc(m->groups, (size_t)(m->spec.ngroups + 1) * sizeof *grown)
                               : NULL;
            if (!grown)
                rc = bad(err, at, "a bad group, or too many");
            else
                (m->groups = grown)[m->spec.ngroups++] = (gid_t)id;
        } else if (f[0] == 'c') {
            if (ncg >= PROC_MAX_CGROUPS || push(&m->cgroups, &ncg, val) != 0)
                rc = bad(err, at, "too many cgroups");
        } else if (f[0] == 'e') {
            if (push(&m->envp, &nenv, val) != 0)
                rc = gt_fail(err, GT_E_NOMEM, "launch", "out of memory");
        } else if (f[0] == 'a') {
            if (push(&m->argv, &nargs, val) != 0)
                rc = gt_fail(err, GT_E_NOMEM, "launch", "out of memory");
        } else {
            rc = bad(err, at, "unknown field");
        }
        at += flen + 1;
    }
    if (rc == GT_E_OK && (!m->spec.dir || !m->spec.dir[0]))
        rc = gt_fail(err, GT_E_PARSE, "launch", "no record directory");
    else if (rc == GT_E_OK && (nargs == 0 || !m->argv[0][0]))
        rc = gt_fail(err, GT_E_PARSE, "launch", "no command");
    else if (rc == GT_E_OK && have_uid != have_gid)
        rc = gt_fail(err, GT_E_PARSE, "launch", "a uid without a gid or the other way round");
    else if (rc == GT_E_OK && !have_uid && m->spec.ngroups > 0)
        rc = gt_fail(err, GT_E_PARSE, "launch", "supplementary groups without a uid and gid");
    else if (rc == GT_E_OK && !nenv && !(m->envp = calloc(1, sizeof *m->envp)))
        rc = gt_fail(err, GT_E_NOMEM, "launch", "out of memory"); /* an empty environment */
    if (rc != GT_E_OK) {
        sys_proc_launch_msg_free(m);
        return rc;
    }
    m->spec.argv = m->argv;
    m->spec.envp = m->envp;
    m->spec.cgroups = m->cgroups;
    m->spec.groups = m->groups;
    m->spec.set_ids = have_uid;
    return GT_E_OK;
}
