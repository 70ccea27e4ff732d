/* SPDX-License-Identifier: MIT
 * Control groups of units: detection, creation with limits, OOM counts, kill, removal.
 * See cgroup.h. Every control file is written whole with one write(2), as the kernel
 * expects; the fake twin (plain folders) gets the same bytes in ordinary files. */
#define _GNU_SOURCE
#include "sys/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const ctl_names[GT_CG__N] = {"cpu", "cpuset", "memory", "pids", "devices"};

/* ---- detection ------------------------------------------------------------------------- */

/* The mount table escapes ' ', '\t', '\n' and '\\' as \ooo. */
static void unescape(char *s) {
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = 0;
}

static int has_option(const char *opts, const char *name) {
    size_t n = strlen(name);
    for (const char *p = opts; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && !memcmp(p, name, n))
            return 1;
        p = end ? end + 1 : NULL;
    }
    return 0;
}

static ssize_t read_small(const char *path, char *buf, size_t cap) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got + 1 < cap) {
        ssize_t n = read(fd, buf + got, cap - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = 0;
    return (ssize_t)got;
}

static int word_in(const char *text, const char *word) {
    size_t n = strlen(word);
    for (const char *p = text; (p = strstr(p, word)); p += n)
        if ((p == text || p[-1] == ' ' || p[-1] == '\n') &&
            (p[n] == 0 || p[n] == ' ' || p[n] == '\n'))
            return 1;
    return 0;
}

gt_err gt_cg_detect(gt_cg_sys *cg, const char *mounts, const char *parent, gt_error *err) {
    memset(cg, 0, sizeof *cg);
    parent = parent ? parent : "gantry";
    if (!*parent || strchr(parent, '/') || !strcmp(parent, ".") || !strcmp(parent, "..") ||
        strlen(parent) >= sizeof cg->parent)
        return gt_fail(err, GT_E_INVALID, "cgroup parent", "expected one folder name, got '%s'",
                       parent);
    snprintf(cg->parent, sizeof cg->parent, "%s", parent);
    mounts = mounts ? mounts : "/proc/self/mounts";
    FILE *f = fopen(mounts, "re");
    if (!f)
        return gt_fail(err, GT_E_IO, mounts, "%s", strerror(errno));
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        char dev[256], dir[1024], type[64], opts[1024];
        if (sscanf(line, "%255s %1023s %63s %1023s", dev, dir, type, opts) != 4)
            continue;
        unescape(dir);
        size_t len = strlen(dir);
        if (len >= GT_CG_PATH)
            continue;
        if (!strcmp(type, "cgroup2") && !cg->v2[0]) {
            memcpy(cg->v2, dir, len + 1);
        } else if (!strcmp(type, "cgroup")) {
            for (int c = 0; c < GT_CG__N; c++)
                if (!cg->where[c] && has_option(opts, ctl_names[c])) {
                    cg->where[c] = 1;
                    memcpy(cg->v1[c], dir, len + 1);
                }
        }
    }
    fclose(f);
    if (cg->v2[0]) {
        char path[GT_CG_PATH + 32], ctls[1024];
        snprintf(path, sizeof path, "%s/cgroup.controllers", cg->v2);
        if (read_small(path, ctls, sizeof ctls) >= 0)
            for (int c = 0; c < GT_CG__N; c++)
                if (!cg->where[c] && c != GT_CG_DEVICES && word_in(ctls, ctl_names[c]))
                    cg->where[c] = 2;
    }
    return GT_E_OK;
}

int gt_cg_any(const gt_cg_sys *cg) {
    for (int c = 0; c < GT_CG__N; c++)
        if (cg->where[c])
            return 1;
    return 0;
}

const char *gt_cg_describe(const gt_cg_sys *cg, char *buf, size_t len) {
    size_t at = 0;
    buf[0] = 0;
    for (int v = 1; v <= 2; v++) {
        int first = 1;
        for (int c = 0; c < GT_CG__N; c++) {
            if (cg->where[c] != v)
                continue;
            const char *sep = first ? (at ? "; v" : "v") : " ";
            int n = first ? snprintf(buf + at, at < len ? len - at : 0, "%s%d: %s", sep, v,
                                     ctl_names[c])
                          : snprintf(buf + at, at < len ? len - at : 0, " %s", ctl_names[c]);
            at += n > 0 ? (size_t)n : 0;
            first = 0;
        }
    }
    if (!at)
        snprintf(buf, len, "none");
    return buf;
}

/* ---- a unit's folders ------------------------------------------------------------------ */

/* The distinct mounts in use, each with its version. */
static int mounts_in_use(const gt_cg_sys *cg, const char **mnt, int *ver) {
    int n = 0;
    for (int c = 0; c < GT_CG__N; c++) {
        const char *m = cg->where[c] == 1 ? cg->v1[c] : cg->where[c] == 2 ? cg->v2 : NULL;
        int dup = !m;
        for (int i = 0; i < n && !dup; i++)
            dup = !strcmp(mnt[i], m);
        if (!dup) {
            mnt[n] = m;
            ver[n++] = cg->where[c];
        }
    }
    return n;
}

gt_err gt_cg_unit_of(const gt_cg_sys *cg, const char *name, gt_cg_unit *out, gt_error *err) {
    memset(out, 0, sizeof *out);
    if (!name || !*name || strchr(name, '/') || name[0] == '.' || strlen(name) > 160)
        return gt_fail(err, GT_E_INVALID, "cgroup", "bad unit name '%.64s'", name ? name : "");
    const char *mnt[GT_CG_MAX_DIRS];
    int ver[GT_CG_MAX_DIRS];
    out->n = mounts_in_use(cg, mnt, ver);
    for (int i = 0; i < out->n; i++) {
        snprintf(out->dir[i], sizeof out->dir[i], "%s/%s/%s", mnt[i], cg->parent, name);
        out->v2[i] = ver[i] == 2;
    }
    return GT_E_OK;
}

/* Write value to dir/file in one write(2). Returns 0 or an errno. */
static int put(const char *dir, const char *file, const char *value) {
    char path[GT_CG_PATH + 256];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno;
    size_t n = strlen(value);
    ssize_t w = write(fd, value, n);
    int e = w == (ssize_t)n ? 0 : w < 0 ? errno : EIO;
    if (close(fd) != 0 && !e)
        e = errno;
    return e;
}

static gt_err put_or_fail(const char *dir, const char *file, const char *value, gt_error *err) {
    int e = put(dir, file, value);
    return e ? gt_fail(err, GT_E_IO, file, "%s/%s: writing '%s': %s", dir, file, value, strerror(e))
             : GT_E_OK;
}

static const char *dir_of(const gt_cg_sys *cg, const gt_cg_unit *u, gt_cg_ctl c) {
    const char *m = cg->where[c] == 1 ? cg->v1[c] : cg->where[c] == 2 ? cg->v2 : NULL;
    size_t n = m ? strlen(m) : 0;
    for (int i = 0; m && i < u->n; i++)
        if (!strncmp(u->dir[i], m, n) && u->dir[i][n] == '/')
            return u->dir[i];
    return NULL;
}

/* v1 cpuset: a new folder has empty cpus and mems, and no task may join it until both are
 * set: copy them from the folder above. */
static gt_err cpuset_inherit(const char *above, const char *dir, gt_error *err) {
    static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
    for (int i = 0; i < 2; i++) {
        char path[GT_CG_PATH + 256], val[4096];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (read_small(path, val, sizeof val) > 0 && val[0] != '\n')
            continue;
        snprintf(path, sizeof path, "%s/%s", above, files[i]);
        if (read_small(path, val, sizeof val) < 0)
            return gt_fail(err, GT_E_IO, files[i], "%s: %s", path, strerror(errno));
        if (put_or_fail(dir, files[i], val, err))
            return err->code;
    }
    return GT_E_OK;
}

/* MOUNT/PARENT, with (v2) the controllers delegated to it and (v1 cpuset) its CPU set. */
static gt_err make_parent(const gt_cg_sys *cg, const char *mnt, int ver, gt_error *err) {
    char dir[GT_CG_PATH + 80];
    snprintf(dir, sizeof dir, "%s/%s", mnt, cg->parent);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return gt_fail(err, GT_E_IO, "cgroup", "mkdir %s: %s", dir, strerror(errno));
    if (ver == 2) {
        for (int c = 0; c < GT_CG__N; c++) {
            if (cg->where[c] != 2)
                continue;
            char v[32];
            snprintf(v, sizeof v, "+%s", ctl_names[c]);
            /* The root may refuse one (a controller busy elsewhere): the limit is then
             * missing, which gt_cg_create reports when it writes it. */
            put(mnt, "cgroup.subtree_control", v);
            put(dir, "cgroup.subtree_control", v);
        }
    } else if (cg->where[GT_CG_CPUSET] == 1 && !strcmp(mnt, cg->v1[GT_CG_CPUSET])) {
        return cpuset_inherit(mnt, dir, err);
    }
    return GT_E_OK;
}

static gt_err make_parents(const gt_cg_sys *cg, gt_error *err) {
    const char *mnt[GT_CG_MAX_DIRS];
    int ver[GT_CG_MAX_DIRS];
    int n = mounts_in_use(cg, mnt, ver);
    for (int i = 0; i < n; i++) {
        gt_err e = make_parent(cg, mnt[i], ver[i], err);
        if (e)
            return e;
    }
    return GT_E_OK;
}

static gt_err write_limits(const gt_cg_sys *cg, const gt_cg_unit *u, const gt_cg_limits *l,
                           gt_error *err) {
    char v[64];
    const char *d;
    gt_err e = GT_E_OK;
    if (l->cpu_millis > 0 && (d = dir_of(cg, u, GT_CG_CPU))) {
        if (cg->where[GT_CG_CPU] == 2) {
            snprintf(v, sizeof v, "%" PRId64 " 100000", l->cpu_millis * 100);
            e = put_or_fail(d, "cpu.max", v, err);
        } else {
            snprintf(v, sizeof v, "%" PRId64, l->cpu_millis * 100);
            e = put_or_fail(d, "cpu.cfs_period_us", "100000", err);
            e = e ? e : put_or_fail(d, "cpu.cfs_quota_us", v, err);
        }
    }
    if (!e && (d = dir_of(cg, u, GT_CG_CPUSET))) {
        if (cg->where[GT_CG_CPUSET] == 1) {
            char above[sizeof u->dir[0]];
            snprintf(above, sizeof above, "%s", d);
            *strrchr(above, '/') = 0;
            e = cpuset_inherit(above, d, err);
        }
        if (!e && l->cpuset && *l->cpuset)
            e = put_or_fail(d, "cpuset.cpus", l->cpuset, err);
    }
    if (!e && l->memory > 0 && (d = dir_of(cg, u, GT_CG_MEMORY))) {
        snprintf(v, sizeof v, "%" PRId64, l->memory);
        if (cg->where[GT_CG_MEMORY] == 2) {
            e = put_or_fail(d, "memory.max", v, err);
            put(d, "memory.swap.max", "0"); /* absent without swap accounting: fine */
        } else {
            e = put_or_fail(d, "memory.limit_in_bytes", v, err);
            char sw[GT_CG_PATH + 256];
            snprintf(sw, sizeof sw, "%s/memory.memsw.limit_in_bytes", d);
            if (!e && access(sw, F_OK) == 0)
                put(d, "memory.memsw.limit_in_bytes", v);
        }
    }
    if (!e && l->pids > 0 && (d = dir_of(cg, u, GT_CG_PIDS))) {
        snprintf(v, sizeof v, "%" PRId64, l->pids);
        e = put_or_fail(d, "pids.max", v, err);
    }
    if (!e && l->ndeny > 0 && (d = dir_of(cg, u, GT_CG_DEVICES)))
        for (int i = 0; i < l->ndeny && !e; i++) {
            snprintf(v, sizeof v, "c %d:%d rwm", l->dev_major, l->deny_minor[i]);
            e = put_or_fail(d, "devices.deny", v, err);
        }
    return e;
}

gt_err gt_cg_create(const gt_cg_sys *cg, const gt_cg_unit *u, const gt_cg_limits *l,
                    gt_error *err) {
    for (int i = 0; i < u->n; i++) {
        int rc = mkdir(u->dir[i], 0755);
        if (rc != 0 && errno == ENOENT) { /* PARENT is set up by the first unit only */
            gt_err e = make_parents(cg, err);
            if (e)
                return e;
            rc = mkdir(u->dir[i], 0755);
        }
        if (rc != 0 && errno != EEXIST)
            return gt_fail(err, GT_E_IO, "cgroup", "mkdir %s: %s", u->dir[i], strerror(errno));
    }
    return write_limits(cg, u, l, err);
}

int gt_cg_rank_devices(const gt_cg_sys *cg, const gt_cg_unit *u, int rank, int major,
                       const int *deny_minor, int ndeny, char *procs, size_t len, gt_error *err) {
    const char *d = cg->where[GT_CG_DEVICES] == 1 ? dir_of(cg, u, GT_CG_DEVICES) : NULL;
    if (!d)
        return 0;
    char sub[sizeof u->dir[0] + 16], v[64];
    snprintf(sub, sizeof sub, "%s/rank%d", d, rank);
    if (mkdir(sub, 0755) != 0 && errno != EEXIST) {
        gt_fail(err, GT_E_IO, "cgroup", "mkdir %s: %s", sub, strerror(errno));
        return -1;
    }
    for (int i = 0; i < ndeny; i++) {
        snprintf(v, sizeof v, "c %d:%d rwm", major, deny_minor[i]);
        if (put_or_fail(sub, "devices.deny", v, err))
            return -1;
    }
    snprintf(procs, len, "%s/cgroup.procs", sub);
    return 1;
}

int gt_cg_procs_files(const gt_cg_unit *u, char (*paths)[GT_CG_PATH + 208]) {
    for (int i = 0; i < u->n; i++)
        snprintf(paths[i], sizeof paths[i], "%s/cgroup.procs", u->dir[i]);
    return u->n;
}

/* ---- reading and ending ---------------------------------------------------------------- */

static int64_t field(const char *text, const char *key) {
    size_t n = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, key, n) && p[n] == ' ')
            return strtoll(p + n + 1, NULL, 10);
    return 0;
}

int64_t gt_cg_oom_kills(const gt_cg_unit *u) {
    char path[sizeof u->dir[0] + 32], text[1024];
    int64_t kills = 0;
    for (int i = 0; i < u->n; i++) {
        snprintf(path, sizeof path, "%s/%s", u->dir[i],
                 u->v2[i] ? "memory.events" : "memory.oom_control");
        if (read_small(path, text, sizeof text) > 0)
            kills += field(text, "oom_kill");
    }
    return kills;
}

/* Calls fn(pid, arg) for each pid in DIR/cgroup.procs and in its sub-folders' (rank
 * folders); returns how many. */
static int each_pid(const char *dir, void (*fn)(pid_t, void *), void *arg) {
    char path[GT_CG_PATH + 512];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    int n = 0;
    FILE *f = fopen(path, "re");
    if (f) {
        long long pid;
        while (fscanf(f, "%lld", &pid) == 1)
            if (pid > 0) {
                n++;
                if (fn)
                    fn((pid_t)pid, arg);
            }
        fclose(f);
    }
    DIR *d = strlen(dir) < GT_CG_PATH + 256 ? opendir(dir) : NULL;
    for (struct dirent *de; d && (de = readdir(d));)
        if (de->d_type == DT_DIR && de->d_name[0] != '.') {
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            n += each_pid(path, fn, arg);
        }
    if (d)
        closedir(d);
    return n;
}

int gt_cg_count(const gt_cg_unit *u) {
    int n = 0;
    for (int i = 0; i < u->n; i++)
        n += each_pid(u->dir[i], NULL, NULL);
    return n;
}

static void kill_one(pid_t pid, void *arg) {
    (void)arg;
    kill(pid, SIGKILL);
}

int gt_cg_kill(const gt_cg_unit *u) {
    int n = 0;
    for (int i = 0; i < u->n; i++) {
        char path[sizeof u->dir[0] + 16];
        snprintf(path, sizeof path, "%s/cgroup.kill", u->dir[i]);
        if (u->v2[i] && access(path, F_OK) == 0 && put(u->dir[i], "cgroup.kill", "1") == 0)
            n += each_pid(u->dir[i], NULL, NULL) > 0;
        else
            n += each_pid(u->dir[i], kill_one, NULL);
    }
    return n;
}

/* The fake twin's folders hold ordinary files, which rmdir refuses: remove them (a real
 * cgroup folder never says ENOTEMPTY when it has no sub-folders). */
static int rmdir_plain(const char *dir) {
    if (rmdir(dir) == 0)
        return 0;
    if (errno != ENOTEMPTY)
        return -1;
    if (each_pid(dir, NULL, NULL) > 0)
        return errno = EBUSY, -1;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    for (struct dirent *de; (de = readdir(d));)
        if (de->d_type == DT_REG)
            unlinkat(dirfd(d), de->d_name, 0);
    closedir(d);
    return rmdir(dir);
}

/* Remove the sub-folders of dir (rank folders): -1 with errno when one cannot go. */
static int rmdir_children(const char *dir) {
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    int rc = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        char sub[GT_CG_PATH + 512];
        snprintf(sub, sizeof sub, "%s/%s", dir, de->d_name);
        if (rmdir_plain(sub) != 0 && errno != ENOENT)
            rc = -1;
    }
    int e = errno;
    closedir(d);
    errno = e;
    return rc;
}

gt_err gt_cg_remove(const gt_cg_unit *u, gt_error *err) {
    for (int i = 0; i < u->n; i++) {
        if ((rmdir_children(u->dir[i]) == 0 && rmdir_plain(u->dir[i]) == 0) || errno == ENOENT)
            continue;
        if (errno == EBUSY || each_pid(u->dir[i], NULL, NULL) > 0)
            return gt_fail(err, GT_E_STATE, "cgroup", "%s: processes are left in it", u->dir[i]);
        return gt_fail(err, GT_E_IO, "cgroup", "rmdir %s: %s", u->dir[i], strerror(errno));
    }
    return GT_E_OK;
}
