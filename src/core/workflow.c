/* SPDX-License-Identifier: MIT
 * Workflows (workflow.h): steps to job documents in dependency order.
 *
 * Design notes
 *  1. depends_on is split here only to find step names; everything else about it (the
 *     types, the number of jobs) is the job spec parser's, run on the rewritten text, so
 *     a step and a job submitted alone accept exactly the same dependencies.
 *  2. The order is Kahn's: repeatedly the first step (as written) whose steps are all
 *     placed. What is left when none is free holds a cycle; following any left step's
 *     first left dependency must come back to a step seen, and that loop is the one named.
 *  3. At most 64 steps and 8 dependencies each (the job spec's limit), so the graph is a
 *     64-bit mask per step and nothing here needs to grow. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jobspec.h"
#include "core/workflow.h"
#include "util/strbuf.h"

#define MAX GT_WORKFLOW_MAX_STEPS
#define NAME_MAX_LEN 63

typedef struct {
    const char *name[MAX];
    json_t *doc[MAX];
    uint64_t needs[MAX]; /* steps it depends on */
    uint32_t id[MAX];    /* the job id each step gets */
    int n;
    uint32_t head; /* the first step's id; jobs below it exist */
    gt_error *err;
    char where[80]; /* "steps.NAME": the step being read */
} plan;

static int valid_name(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > NAME_MAX_LEN ||
        !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static int step_index(const plan *p, const char *name, size_t len) {
    for (int i = 0; i < p->n; i++)
        if (strlen(p->name[i]) == len && !strncmp(p->name[i], name, len))
            return i;
    return -1;
}

static void list_steps(const plan *p, gt_sb *b) {
    for (int i = 0; i < p->n; i++)
        gt_sb_printf(b, "%s%s", i ? ", " : "", p->name[i]);
}

/* Calls fn on each JOB of a depends_on text (TYPE:JOB[:JOB...],...): its text and length.
 * Items without a ':' are left to the job spec parser. fn returns 0 to go on. */
typedef int (*job_fn)(plan *p, int step, const char *job, size_t len, gt_sb *out);

static int is_id(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return len > 0;
}

/* The depends_on text of step i with fn applied to each JOB; out gets the text with each
 * JOB as fn writes it. */
static int each_job(plan *p, int i, const char *text, job_fn fn, gt_sb *out) {
    const char *s = text;
    while (*s) {
        size_t item = strcspn(s, ",");
        const char *colon = memchr(s, ':', item);
        if (!colon) {
            gt_sb_printf(out, "%.*s", (int)item, s);
        } else {
            gt_sb_printf(out, "%.*s", (int)(colon - s), s);
            const char *j = colon;
            while (j < s + item && *j == ':') {
                j++;
                size_t len = strcspn(j, ":,");
                gt_sb_putc(out, ':');
                if (fn(p, i, j, len, out))
                    return -1;
                j += len;
            }
        }
        s += item;
        if (*s == ',')
            gt_sb_putc(out, *s++);
    }
    return 0;
}

/* Pass 1: a step named in depends_on becomes an edge (and must exist). */
static int edge(plan *p, int i, const char *job, size_t len, gt_sb *out) {
    gt_sb_printf(out, "%.*s", (int)len, job);
    if (len == 0 || (is_id(job, len) && (len > 10 || strtoull(job, NULL, 10) < p->head)))
        return 0; /* nothing, or a job that exists (or too large): the job spec parser's */
    if (is_id(job, len)) {
        gt_fail(p->err, GT_E_NOT_FOUND, p->where, "depends_on: no job %.*s to depend on", (int)len,
                job);
        return -1;
    }
    int k = step_index(p, job, len);
    if (k < 0) {
        gt_sb all;
        gt_sb_init(&all);
        list_steps(p, &all);
        gt_fail(p->err, GT_E_INVALID, p->where, "depends_on: no step '%.*s' (the steps: %s)",
                (int)(len > 64 ? 64 : len), job, gt_sb_str(&all));
        gt_sb_free(&all);
        return -1;
    }
    if (k == i) {
        gt_fail(p->err, GT_E_INVALID, p->where, "depends_on: a step cannot depend on itself");
        return -1;
    }
    p->needs[i] |= 1ULL << k;
    return 0;
}

/* Pass 2: a step's name becomes its job id. */
static int rewrite(plan *p, int i, const char *job, size_t len, gt_sb *out) {
    (void)i;
    int k = is_id(job, len) || len == 0 ? -1 : step_index(p, job, len);
    if (k < 0)
        gt_sb_printf(out, "%.*s", (int)len, job);
    else
        gt_sb_printf(out, "%u", p->id[k]);
    return 0;
}

/* A cycle among the steps not placed (left): "a -> b -> a" into b. */
static void name_cycle(const plan *p, uint64_t left, gt_sb *b) {
    int at = __builtin_ctzll(left), seen[MAX], path[MAX + 1], n = 0;
    memset(seen, -1, sizeof seen);
    while (seen[at] < 0) {
        seen[at] = n;
        path[n++] = at;
        at = __builtin_ctzll(p->needs[at] & left); /* a left step waits on a left step */
    }
    for (int k = seen[at]; k < n; k++)
        gt_sb_printf(b, "%s -> ", p->name[path[k]]);
    gt_sb_puts(b, p->name[at]);
}

/* The steps, checked, into p (borrowed from body). */
static gt_err read_steps(const json_t *body, plan *p) {
    const json_t *steps = json_object_get(body, "steps"), *name = json_object_get(body, "name");
    const char *k;
    json_t *v;
    if (!json_is_object(body))
        return gt_fail(p->err, GT_E_INVALID, "body", "expected a workflow: {\"steps\": {...}}");
    json_object_foreach((json_t *)body, k, v) {
        if (strcmp(k, "steps") && strcmp(k, "name"))
            return gt_fail(p->err, GT_E_UNKNOWN_FIELD, "body",
                           "%.64s: unknown field (a workflow has name and steps)", k);
    }
    if (name && (!json_is_string(name) || !valid_name(json_string_value(name))))
        return gt_fail(p->err, GT_E_INVALID, "name",
                       "expected a name of 1 to 63 letters, digits, '_' or '-', starting with a "
                       "letter");
    if (!json_is_object(steps) || json_object_size(steps) == 0)
        return gt_fail(p->err, GT_E_INVALID, "steps",
                       "expected an object of named steps, each a job spec");
    if (json_object_size(steps) > MAX)
        return gt_fail(p->err, GT_E_LIMIT, "steps", "at most %d steps, got %zu", MAX,
                       json_object_size(steps));
    json_object_foreach((json_t *)steps, k, v) {
        if (!valid_name(k))
            return gt_fail(p->err, GT_E_INVALID, "steps",
                           "step '%.64s': a name is 1 to 63 letters, digits, '_' or '-', "
                           "starting with a letter",
                           k);
        if (!json_is_object(v))
            return gt_fail(p->err, GT_E_INVALID, "steps", "%s: expected a job spec", k);
        if (json_object_get(v, "roles") || json_object_get(v, "ratio"))
            return gt_fail(p->err, GT_E_INVALID, "steps",
                           "%s: a service of several roles is submitted on its own", k);
        p->name[p->n] = k;
        p->doc[p->n++] = v;
    }
    return GT_E_OK;
}

/* Kahn's order (note 2) into order[]; -1 with the cycle named when there is one. */
static int order_steps(plan *p, int *order) {
    uint64_t placed = 0, all = p->n == 64 ? ~0ULL : (1ULL << p->n) - 1;
    for (int n = 0; n < p->n; n++) {
        int next = -1;
        for (int i = 0; i < p->n && next < 0; i++)
            if (!(placed >> i & 1) && (p->needs[i] & ~placed) == 0)
                next = i;
        if (next < 0) {
            gt_sb b;
            gt_sb_init(&b);
            name_cycle(p, all & ~placed, &b);
            gt_fail(p->err, GT_E_INVALID, "steps", "the steps wait on each other: %s",
                    gt_sb_str(&b));
            gt_sb_free(&b);
            return -1;
        }
        placed |= 1ULL << next;
        order[n] = next;
    }
    return 0;
}

/* Step i's document as it is submitted: depends_on rewritten, the name set. NULL with
 * *err on error. */
static json_t *step_doc(plan *p, int i, const char *wf) {
    json_t *d = json_deep_copy(p->doc[i]);
    const json_t *deps = json_object_get(p->doc[i], "depends_on");
    if (!d)
        goto nomem;
    if (json_is_string(deps)) {
        gt_sb b;
        gt_sb_init(&b);
        each_job(p, i, json_string_value(deps), rewrite, &b);
        json_t *s = b.s ? json_string(gt_sb_str(&b)) : NULL;
        gt_sb_free(&b);
        if (!s || json_object_set_new(d, "depends_on", s))
            goto nomem;
    }
    if (!json_object_get(d, "name")) {
        char name[NAME_MAX_LEN + 1];
        int n = wf ? snprintf(name, sizeof name, "%s.%s", wf, p->name[i]) : -1;
        if (json_object_set_new(d, "name",
                                json_string(n > 0 && n < (int)sizeof name ? name : p->name[i])))
            goto nomem;
    }
    char where[80];
    gt_jobspec spec;
    snprintf(where, sizeof where, "steps.%s", p->name[i]);
    if (gt_jobspec_from_json(d, where, &spec, p->err)) {
        json_decref(d);
        return NULL;
    }
    return d;
nomem:
    json_decref(d);
    gt_fail(p->err, GT_E_NOMEM, "steps", "out of memory");
    return NULL;
}

gt_err gt_workflow_plan(const json_t *body, uint32_t head, json_t **docs, json_t **names,
                        gt_error *err) {
    plan p;
    int order[MAX];
    memset(&p, 0, sizeof p);
    p.err = err;
    p.head = head;
    *docs = *names = NULL;
    gt_err e = read_steps(body, &p);
    if (e)
        return e;
    for (int i = 0; i < p.n; i++) {
        const json_t *deps = json_object_get(p.doc[i], "depends_on");
        gt_sb b;
        gt_sb_init(&b);
        snprintf(p.where, sizeof p.where, "steps.%s", p.name[i]);
        int bad = json_is_string(deps) && each_job(&p, i, json_string_value(deps), edge, &b);
        gt_sb_free(&b);
        if (bad)
            return err->code;
    }
    if (order_steps(&p, order))
        return err->code;
    for (int n = 0; n < p.n; n++)
        p.id[order[n]] = head + (uint32_t)n;
    const char *wf = json_string_value(json_object_get(body, "name"));
    json_t *d = json_array(), *nm = json_array();
    for (int n = 0; d && nm && n < p.n; n++) {
        json_t *doc = step_doc(&p, order[n], wf);
        if (!doc) {
            json_decref(d);
            json_decref(nm);
            return err->code;
        }
        json_array_append_new(d, doc);
        json_array_append_new(nm, json_string(p.name[order[n]]));
    }
    if (!d || !nm || json_array_size(nm) != (size_t)p.n) {
        json_decref(d);
        json_decref(nm);
        return gt_fail(err, GT_E_NOMEM, "steps", "out of memory");
    }
    *docs = d;
    *names = nm;
    return GT_E_OK;
}

int gt_workflow_fuzz_check(const char *data, size_t len, char *why, size_t size) {
    json_t *body = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL), *docs, *names;
    gt_error err = {0};
    const uint32_t head = 10;
    int bad = 0;
    gt_err e = body ? gt_workflow_plan(body, head, &docs, &names, &err) : GT_E_OK;
    if (e && (err.code != e || !err.msg[0] || docs || names))
        bad = snprintf(why, size, "error %d without its message, or with output", (int)e);
    size_t n = e || !body ? 0 : json_array_size(docs);
    if (!e && body && (n == 0 || n > MAX || json_array_size(names) != n))
        bad = snprintf(why, size, "%zu documents for %zu steps", n, json_array_size(names));
    for (size_t i = 0; !bad && i < n; i++) {
        gt_jobspec sp;
        gt_error se = {0};
        const char *step = json_string_value(json_array_get(names, i));
        if (!step || !json_object_get(json_object_get(body, "steps"), step))
            bad = snprintf(why, size, "document %zu names no step", i);
        else if (gt_jobspec_from_json(json_array_get(docs, i), "doc", &sp, &se))
            bad = snprintf(why, size, "step %s: %s: %s", step, se.where, se.msg);
        for (int d = 0; !bad && d < sp.ndeps; d++)
            if (sp.dep_job[d] >= head + i)
                bad = snprintf(why, size, "step %s depends on job %u, not an earlier one", step,
                               sp.dep_job[d]);
    }
    if (!e && body) {
        json_decref(docs);
        json_decref(names);
    }
    json_decref(body);
    return bad ? -1 : 0;
}
