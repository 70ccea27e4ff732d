/* SPDX-License-Identifier: MIT
 * `gantry submit --export`: which of the submitter's environment variables the job gets,
 * as sbatch's --export (docs/cli.md, "The submitter's environment").
 *
 * Design notes
 *  1. The value is ALL, NONE, or a comma-separated list of NAME (the submitter's value,
 *     when set) and NAME=VALUE items, ALL allowed among them. Without --export (and without
 *     GANTRY_EXPORT, its default, as SBATCH_EXPORT is sbatch's) the job gets HOME, USER and
 *     PATH: on the node it finds the submitter's home, name and programs.
 *  2. The variables go into the job's `env`, under what the spec file and --env say: those
 *     win. Among the items, a later one wins (ALL,OMP_PROC_BIND=close). Only a job with a command
 * gets them (a spec for emulated nodes, or a dry run of an example without one, goes out as
 * written), like the default workdir.
 *  3. GANTRY_* variables are never exported by ALL (tokens and the CLI's own settings);
 *     named in a list, they are. A value that is not valid UTF-8 is left out by ALL and an
 *     error when named.
 *  4. Pure: the environment is an argument, so tests pass their own. */
#include <stdio.h>
#include <string.h>

#include "cli/spec.h"

#define DEFAULT_EXPORT "HOME,USER,PATH"

static int name_ok(const char *s, size_t n) {
    if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9')))
            return 0;
    return 1;
}

int gt_cli_export_check(const char *spec, char *why, size_t size) {
    if (strcmp(spec, "ALL") == 0 || strcmp(spec, "NONE") == 0)
        return 0;
    for (const char *p = spec;;) {
        size_t n = strcspn(p, ","), k = strcspn(p, "=");
        if (n == 4 && strncmp(p, "NONE", 4) == 0) {
            snprintf(why, size, "NONE goes alone, got '%.200s'", spec);
            return -1;
        }
        if (!name_ok(p, k < n ? k : n)) {
            snprintf(why, size,
                     "expected ALL, NONE or a list of NAME and NAME=VALUE, got '%.*s' in '%.200s'",
                     (int)(n > 60 ? 60 : n), p, spec);
            return -1;
        }
        if (!p[n])
            return 0;
        p += n + 1;
    }
}

/* NAME (k bytes at item) = VALUE (vlen bytes) into exp, over an earlier item's. */
static int put(json_t *exp, const char *item, size_t k, const char *val, size_t vlen) {
    json_t *v = json_stringn(val, vlen);
    return v && json_object_setn_new(exp, item, k, v) == 0 ? 0 : -1;
}

/* The submitter's NAME (n bytes) from envp, or NULL. */
static const char *lookup(char *const *envp, const char *name, size_t n) {
    for (char *const *e = envp; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

static int export_all(char *const *envp, json_t *env) {
    for (char *const *e = envp; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || strncmp(*e, "GANTRY_", 7) == 0 || !name_ok(*e, (size_t)(eq - *e)))
            continue;
        json_t *v = json_string(eq + 1);
        if (!v) /* not UTF-8: left out (note 3) */
            continue;
        json_decref(v);
        if (put(env, *e, (size_t)(eq - *e), eq + 1, strlen(eq + 1)) != 0)
            return -1;
    }
    return 0;
}

/* One list item: NAME or NAME=VALUE (n bytes). */
static int export_item(const char *p, size_t n, char *const *envp, json_t *env, char *why,
                       size_t size) {
    size_t k = strcspn(p, "=");
    const char *val = k < n ? p + k + 1 : lookup(envp, p, n);
    size_t name = k < n ? k : n, vlen = !val ? 0 : k < n ? n - k - 1 : strlen(val);
    if (!val || put(env, p, name, val, vlen) == 0)
        return 0;
    snprintf(why, size, "--export: the value of %.*s is not valid UTF-8", (int)name, p);
    return -1;
}

/* The variables spec names, later items over earlier ones, into exp; 0 or -1 with why. */
static int collect(const char *spec, char *const *envp, json_t *exp, char *why, size_t size) {
    for (const char *p = spec;;) {
        size_t n = strcspn(p, ",");
        int rc = n == 3 && strncmp(p, "ALL", 3) == 0 ? export_all(envp, exp)
                                                     : export_item(p, n, envp, exp, why, size);
        if (rc != 0)
            return rc;
        if (!p[n])
            return 0;
        p += n + 1;
    }
}

int gt_cli_export_apply(const char *spec, char *const *envp, json_t *doc, char *why, size_t size) {
    if (!spec || !spec[0])
        spec = DEFAULT_EXPORT;
    if (!json_object_get(doc, "command") || strcmp(spec, "NONE") == 0)
        return 0;
    json_t *exp = json_object(), *env = json_object_get(doc, "env");
    why[0] = 0;
    int rc = exp ? collect(spec, envp, exp, why, size) : -1;
    if (rc == 0 && json_object_size(exp) > 0 && !json_is_object(env) &&
        json_object_set_new(doc, "env", env = json_object()) != 0)
        rc = -1;
    const char *k;
    json_t *v;
    json_object_foreach(exp, k, v) {
        if (rc == 0 && !json_object_get(env, k) && json_object_set(env, k, v) != 0)
            rc = -1;
    }
    if (rc != 0 && !why[0])
        snprintf(why, size, "--export: out of memory");
    json_decref(exp);
    return rc;
}

int gt_cli_export_roundtrip(const char *data, size_t len, char *why, size_t size) {
    static char *const envp[] = {"HOME=/h", "USER=u", "PATH=/bin", "A=1", "GANTRY_X=2", NULL};
    char spec[4096], r[300] = "";
    if (len >= sizeof spec || memchr(data, 0, len))
        return 0; /* not a value a command line can hold */
    memcpy(spec, data, len);
    spec[len] = 0;
    if (gt_cli_export_check(spec, r, sizeof r) != 0) {
        snprintf(why, size, "refused without a reason");
        return r[0] ? 0 : -1;
    }
    json_t *doc = json_pack("{s[s]}", "command", "ls");
    int rc = doc ? gt_cli_export_apply(spec, envp, doc, r, sizeof r) : -1;
    if (rc != 0 && strstr(r, "is not valid UTF-8")) /* a value given in the list */
        rc = 0;
    json_t *env = json_object_get(doc, "env"), *v;
    const char *k;
    json_object_foreach(env, k, v) rc |= json_is_string(v) ? 0 : -1;
    if (rc != 0)
        snprintf(why, size, "accepted '%.100s', then: %s", spec,
                 r[0] ? r : "an env not of strings");
    json_decref(doc);
    return rc;
}
