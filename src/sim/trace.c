/* SPDX-License-Identifier: MIT
 * Job traces as CSV: a strict hand-written reader and a writer that round-trips.
 *
 * Format (see trace.h for the columns)
 *  - One header row, then one row per job. Lines end in "\n" or "\r\n"; the last line may
 *    lack its newline. Empty lines are skipped, and so are lines starting with '#'
 *    (comments), before and after the header. A UTF-8 byte-order mark before the header
 *    is skipped.
 *  - No quoting: a '"' anywhere is an error (no field of ours needs one). Cells are taken
 *    as they are, without trimming spaces.
 *  - Integers: digits only (no sign, no spaces, no junk), bounded by the spec limits.
 *    Times (submit_s, duration_s, estimate_s, time_limit_s): digits with an optional
 *    fraction ("12", "12.5"), rounded to milliseconds without going through floating
 *    point. Negative numbers are a range error.
 *  - Lines are at most GT_TRACE_MAX_LINE bytes (GT_E_LIMIT beyond).
 *  - `count` is the array size for kind tasks and the maximum replicas for serve;
 *    `min_count` the minimum replicas (serve only, default: count). Both must be empty
 *    for train.
 *
 * Invariants
 *  1. Errors name "NAME:LINE" (1-based physical line) in gt_error.where and start the
 *     message with the column name.
 *  2. On error the trace is unchanged: rows are parsed into a temporary trace that is
 *     appended only when the whole text parsed.
 *  3. t->jobs is always sorted by submit_ms, stable: rows with equal submit times keep
 *     their order (earlier appends first, then file order).
 *  4. The writer emits every column, numbers exactly (times with 3 decimals when not whole
 *     seconds), so parse(write(t)) == t for valid specs. The spec's `name` has no column
 *     and is not written. */
#include "sim/trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/vec.h"

#define GT_TRACE_MAX_LINE 4096
#define MAX_COLS 25

void gt_trace_init(gt_trace *t) {
    memset(t, 0, sizeof *t);
}

void gt_trace_free(gt_trace *t) {
    if (!t)
        return;
    free(t->jobs);
    gt_trace_init(t);
}

static int trace_reserve(gt_trace *t, size_t want) {
    return gt_vec_reserve_from((void **)&t->jobs, &t->cap, want, sizeof *t->jobs, 64);
}

/* ---- cells ------------------------------------------------------------------------------ */

/* One row being read: the spec plus the counts that are mapped once the kind is known. */
/* One cell: its text, its column's name and where to report errors. */
typedef struct {
    const char *p;
    size_t n;
    const char *col;
    const char *where;
    gt_error *err;
} cell;

typedef struct {
    gt_jobspec s;
    int64_t count, min_count; /* -1: empty */
    int64_t gpu_milli;        /* -1: empty; 1000: whole GPUs */
    int kind_given, cpus_given, mem_given;
    cell deps; /* depends_on, read once the row is (it names earlier rows) */
} row;

static gt_err cell_fail(const cell *c, gt_err code, const char *what) {
    int n = c->n > 40 ? 40 : (int)c->n;
    return gt_fail(c->err, code, c->where, "%s: %s, got '%.*s'%s", c->col, what, n, c->p,
                   c->n > 40 ? "..." : "");
}

static int all_digits(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return n > 0;
}

/* A non-negative integer <= max (max < INT64_MAX / 10). */
static gt_err cell_int(const cell *c, int64_t max, int64_t *out) {
    if (c->n == 0)
        return gt_fail(c->err, GT_E_INVALID, c->where, "%s: empty", c->col);
    if (c->p[0] == '-' && all_digits(c->p + 1, c->n - 1))
        return cell_fail(c, GT_E_RANGE, "must not be negative");
    if (!all_digits(c->p, c->n))
        return cell_fail(c, GT_E_INVALID, "expected a non-negative integer");
    int64_t v = 0;
    for (size_t i = 0; i < c->n; i++) {
        v = v * 10 + (c->p[i] - '0');
        if (v > max)
            return gt_fail(c->err, GT_E_RANGE, c->where, "%s: must be at most %lld", c->col,
                           (long long)max);
    }
    *out = v;
    return GT_E_OK;
}

/* Seconds "D+(.D+)?" to milliseconds, rounded half up on the fourth decimal. */
static gt_err cell_time(const cell *c, gt_time *ms) {
    const char *dot = memchr(c->p, '.', c->n);
    size_t ni = dot ? (size_t)(dot - c->p) : c->n, nf = dot ? c->n - ni - 1 : 0;
    if (c->n > 0 && c->p[0] == '-')
        return cell_fail(c, GT_E_RANGE, "must not be negative");
    if (!all_digits(c->p, ni) || (dot && !all_digits(dot + 1, nf)))
        return cell_fail(c, GT_E_INVALID, "expected seconds (digits with an optional fraction)");
    int64_t v = 0, frac = 0;
    for (size_t i = 0; i < ni; i++) {
        v = v * 10 + (c->p[i] - '0');
        if (v > GT_SPEC_MAX_TIME_S)
            return gt_fail(c->err, GT_E_RANGE, c->where, "%s: must be at most %lld seconds", c->col,
                           (long long)GT_SPEC_MAX_TIME_S);
    }
    for (size_t i = 0; i < 3; i++)
        frac = frac * 10 + (i < nf ? dot[1 + i] - '0' : 0);
    if (nf > 3 && dot[4] >= '5')
        frac++;
    *ms = v * 1000 + frac;
    if (*ms > GT_SPEC_MAX_TIME_S * 1000)
        return gt_fail(c->err, GT_E_RANGE, c->where, "%s: must be at most %lld seconds", c->col,
                       (long long)GT_SPEC_MAX_TIME_S);
    return GT_E_OK;
}

/* Copy into a fixed array; control characters and over-long text are errors. */
static gt_err cell_str(const cell *c, char *dst, size_t size) {
    if (c->n >= size)
        return gt_fail(c->err, GT_E_RANGE, c->where, "%s: longer than %zu bytes", c->col, size - 1);
    for (size_t i = 0; i < c->n; i++)
        if ((unsigned char)c->p[i] < 0x20 || c->p[i] == 0x7f)
            return gt_fail(c->err, GT_E_INVALID, c->where, "%s: control character", c->col);
    memcpy(dst, c->p, c->n);
    dst[c->n] = 0;
    return GT_E_OK;
}

/* A short word (kind, priority) as a C string; too long means unknown. */
static void cell_word(const cell *c, char *dst, size_t size) {
    size_t n = c->n < size ? c->n : 0;
    memcpy(dst, c->p, n);
    dst[n] = 0;
}

/* ---- columns ---------------------------------------------------------------------------- */

typedef gt_err (*cell_fn)(row *r, const cell *c);

static gt_err c_id(row *r, const cell *c) {
    return cell_str(c, r->s.id, sizeof r->s.id);
}

static gt_err c_tenant(row *r, const cell *c) {
    return c->n ? cell_str(c, r->s.tenant, sizeof r->s.tenant) : GT_E_OK;
}

static gt_err c_model(row *r, const cell *c) {
    return cell_str(c, r->s.gpu_model, sizeof r->s.gpu_model);
}

static gt_err c_gpu_spec(row *r, const cell *c) {
    return c->n ? cell_str(c, r->s.gpu_model, sizeof r->s.gpu_model) : GT_E_OK;
}

static gt_err c_within(row *r, const cell *c) {
    return cell_str(c, r->s.within, sizeof r->s.within);
}

static gt_err c_ignore(row *r, const cell *c) {
    (void)r;
    (void)c;
    return GT_E_OK;
}

static gt_err c_submit(row *r, const cell *c) {
    return cell_time(c, &r->s.submit_ms);
}

static gt_err c_duration(row *r, const cell *c) {
    return cell_time(c, &r->s.duration_ms);
}

static gt_err c_estimate(row *r, const cell *c) {
    return c->n ? cell_time(c, &r->s.estimate_ms) : GT_E_OK;
}

static gt_err c_limit(row *r, const cell *c) {
    return c->n ? cell_time(c, &r->s.time_limit_ms) : GT_E_OK;
}

static gt_err int32_cell(const cell *c, int64_t max, int32_t *dst) {
    int64_t v;
    gt_err e = cell_int(c, max, &v);
    if (!e)
        *dst = (int32_t)v;
    return e;
}

static gt_err c_gpus(row *r, const cell *c) {
    return int32_cell(c, GT_SPEC_MAX_GPUS, &r->s.gpus);
}

static gt_err c_gpn(row *r, const cell *c) {
    return c->n ? int32_cell(c, 32, &r->s.gpus_per_node) : GT_E_OK;
}

static gt_err c_cpus(row *r, const cell *c) {
    if (c->n && r->cpus_given++)
        return cell_fail(c, GT_E_INVALID, "give cpus or cpu_milli, not both");
    return c->n ? int32_cell(c, GT_SPEC_MAX_CPUS, &r->s.cpus) : GT_E_OK;
}

static gt_err c_mem(row *r, const cell *c) {
    if (c->n && r->mem_given++)
        return cell_fail(c, GT_E_INVALID, "give memory_mb or memory_mib, not both");
    return c->n ? cell_int(c, GT_SPEC_MAX_MEM_MB, &r->s.memory_mb) : GT_E_OK;
}

/* The Alibaba trace's own columns: cores in thousandths (gantry counts whole cores: rounded
 * up), memory in MiB, the share of each GPU (1000: whole), allowed models A|B. */
static gt_err c_cpu_milli(row *r, const cell *c) {
    int64_t v;
    if (!c->n)
        return GT_E_OK;
    if (r->cpus_given++)
        return cell_fail(c, GT_E_INVALID, "give cpus or cpu_milli, not both");
    gt_err e = cell_int(c, (int64_t)GT_SPEC_MAX_CPUS * 1000, &v);
    if (!e)
        r->s.cpus = (int32_t)((v + 999) / 1000);
    return e;
}

static gt_err c_gpu_milli(row *r, const cell *c) {
    return c->n ? cell_int(c, 1000, &r->gpu_milli) : GT_E_OK;
}

static gt_err c_gpu_mem(row *r, const cell *c) {
    return c->n ? cell_int(c, GT_SPEC_MAX_MEM_MB, &r->s.gpu_memory_mb) : GT_E_OK;
}

static gt_err c_count(row *r, const cell *c) {
    return c->n ? cell_int(c, GT_SPEC_MAX_TASKS, &r->count) : GT_E_OK;
}

static gt_err c_min_count(row *r, const cell *c) {
    return c->n ? cell_int(c, GT_SPEC_MAX_REPLICAS, &r->min_count) : GT_E_OK;
}

static gt_err c_deps(row *r, const cell *c) {
    r->deps = *c;
    return GT_E_OK;
}

static gt_err c_kind(row *r, const cell *c) {
    char w[16];
    cell_word(c, w, sizeof w);
    int k = c->n ? gt_kind_parse(w) : GT_KIND_TRAIN;
    if (k < 0)
        return cell_fail(c, GT_E_INVALID, "expected train, serve or tasks");
    r->s.kind = (gt_kind)k;
    r->kind_given = c->n > 0;
    return GT_E_OK;
}

static gt_err c_prio(row *r, const cell *c) {
    char w[16];
    cell_word(c, w, sizeof w);
    int p = c->n ? gt_prio_parse(w) : GT_PRIO_NORMAL;
    if (p < 0)
        return cell_fail(c, GT_E_INVALID, "expected low, normal, high, critical or 0..3");
    r->s.priority = p;
    return GT_E_OK;
}

/* The columns, in the order the writer emits them; the first six are required. */
static const struct {
    const char *name;
    cell_fn fn;
} columns[MAX_COLS] = {
    {"job_id", c_id},
    {"submit_s", c_submit},
    {"gpus", c_gpus},
    {"duration_s", c_duration},
    {"tenant", c_tenant},
    {"status", c_ignore},
    {"kind", c_kind},
    {"gpus_per_node", c_gpn},
    {"cpus", c_cpus},
    {"memory_mb", c_mem},
    {"gpu_model", c_model},
    {"priority", c_prio},
    {"estimate_s", c_estimate},
    {"time_limit_s", c_limit},
    {"within", c_within},
    {"count", c_count},
    {"min_count", c_min_count},
    {"gpu_milli", c_gpu_milli},
    {"gpu_memory_mb", c_gpu_mem},
    {"cpu_milli", c_cpu_milli},
    {"memory_mib", c_mem},
    {"gpu_spec", c_gpu_spec},
    {"qos", c_ignore},
    {"queue_s", c_ignore},
    {"depends_on", c_deps},
};
#define NREQUIRED 6

/* gpu_milli: 1000 (or empty) is whole GPUs; less is a share of one GPU, which a row that
 * names no kind runs as a task (a trace's pod). */
static gt_err apply_share(row *r, const char *where, gt_error *err) {
    gt_jobspec *s = &r->s;
    if (r->gpu_milli < 0 || r->gpu_milli == 1000 || (s->gpus == 0 && r->gpu_milli == 0))
        return GT_E_OK;
    if (r->gpu_milli == 0)
        return gt_fail(err, GT_E_RANGE, where, "gpu_milli: 0 with gpus %d: expected 1 to 1000",
                       s->gpus);
    s->gpu_milli = (int32_t)r->gpu_milli;
    if (!r->kind_given)
        s->kind = GT_KIND_TASKS;
    return GT_E_OK;
}

/* Map count/min_count once the kind is known. */
static gt_err apply_counts(row *r, const char *where, gt_error *err) {
    gt_jobspec *s = &r->s;
    if (s->kind == GT_KIND_TRAIN && (r->count >= 0 || r->min_count >= 0))
        return gt_fail(err, GT_E_INVALID, where, "%s: only for kind serve or tasks",
                       r->count >= 0 ? "count" : "min_count");
    if (s->kind == GT_KIND_TASKS) {
        if (r->min_count >= 0)
            return gt_fail(err, GT_E_INVALID, where, "min_count: only for kind serve");
        s->tasks = r->count >= 0 ? (int32_t)r->count : 1;
        if (s->tasks < 1)
            return gt_fail(err, GT_E_RANGE, where, "count: must be at least 1");
    } else if (s->kind == GT_KIND_SERVE) {
        int64_t max = r->count >= 0 ? r->count : r->min_count >= 0 ? r->min_count : 1;
        int64_t min = r->min_count >= 0 ? r->min_count : max;
        if (max < 1 || max > GT_SPEC_MAX_REPLICAS)
            return gt_fail(err, GT_E_RANGE, where, "count: must be between 1 and %d",
                           GT_SPEC_MAX_REPLICAS);
        if (min < 1 || min > max)
            return gt_fail(err, GT_E_RANGE, where, "min_count: must be between 1 and count (%lld)",
                           (long long)max);
        s->replicas_min = (int32_t)min;
        s->replicas_max = (int32_t)max;
    }
    return GT_E_OK;
}

/* ---- rows and lines --------------------------------------------------------------------- */

typedef struct {
    const char *name;
    gt_error *err;
    size_t line;
    char where[112];
    int ncols;
    int col[MAX_COLS]; /* column id of each position */
    /* job_id -> the row's position in the trace (base + its index in this file) + 1, for
     * depends_on: open addressing, at most half full; built only for a trace with that
     * column, whose job_ids must then be unique */
    size_t base;
    uint32_t *ids;
    size_t ids_cap, nids;
    int deps_col; /* the header has depends_on: job_ids must then be unique */
} parser;

static uint64_t id_hash(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* The slot of job_id s (n bytes) in ps->ids: its entry, or the empty slot it would take. */
static size_t id_slot(const parser *ps, const gt_trace *tmp, const char *s, size_t n) {
    size_t i = (size_t)id_hash(s, n) & (ps->ids_cap - 1);
    for (; ps->ids[i]; i = (i + 1) & (ps->ids_cap - 1)) {
        const char *id = tmp->jobs[(ps->ids[i] - 1) - ps->base].id;
        if (strlen(id) == n && !memcmp(id, s, n))
            return i;
    }
    return i;
}

/* Row `at` (an index in tmp) into the map; 0 when out of memory, -1 when its job_id is
 * another row's. */
static int id_add(parser *ps, const gt_trace *tmp, size_t at) {
    if (2 * (ps->nids + 1) > ps->ids_cap) {
        size_t cap = ps->ids_cap ? 2 * ps->ids_cap : 1024;
        uint32_t *old = ps->ids, *t = calloc(cap, sizeof *t);
        if (!t)
            return 0;
        size_t oldcap = ps->ids_cap;
        ps->ids = t;
        ps->ids_cap = cap;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i]) {
                const char *id = tmp->jobs[(old[i] - 1) - ps->base].id;
                ps->ids[id_slot(ps, tmp, id, strlen(id))] = old[i];
            }
        free(old);
    }
    const char *id = tmp->jobs[at].id;
    size_t i = id_slot(ps, tmp, id, strlen(id));
    if (ps->ids[i])
        return -1;
    ps->ids[i] = (uint32_t)(ps->base + at + 1);
    ps->nids++;
    return 1;
}

/* depends_on of a row: TYPE:JOB_ID[:JOB_ID...][;TYPE:...] (';' between items: a comma ends
 * the cell), each JOB_ID a row above this one; into s as trace positions (commit() turns
 * them into positions in submission order). */
static gt_err parse_deps(const parser *ps, const gt_trace *tmp, const cell *c, gt_jobspec *s) {
    const char *p = c->p, *end = c->p + c->n;
    s->ndeps = 0;
    while (p < end) {
        const char *item = memchr(p, ';', (size_t)(end - p)), *colon;
        item = item ? item : end;
        colon = memchr(p, ':', (size_t)(item - p));
        int type = -1;
        for (int t = 0; colon && t <= GT_DEP_AFTERANY; t++)
            if (strlen(gt_dep_type_name(t)) == (size_t)(colon - p) &&
                !memcmp(p, gt_dep_type_name(t), (size_t)(colon - p)))
                type = t;
        if (type < 0 || colon + 1 >= item)
            return cell_fail(c, GT_E_INVALID,
                             "expected TYPE:JOB_ID[:JOB_ID...][;...] with TYPE after, afterok, "
                             "afternotok or afterany");
        for (const char *q = colon + 1; q <= item;) {
            const char *e = memchr(q, ':', (size_t)(item - q));
            e = e ? e : item;
            size_t n = (size_t)(e - q);
            size_t slot = ps->ids_cap && n ? id_slot(ps, tmp, q, n) : 0;
            uint32_t v = ps->ids_cap && n ? ps->ids[slot] : 0;
            char msg[160];
            snprintf(msg, sizeof msg, "job_id '%.*s' is not in a row above", (int)(n > 64 ? 64 : n),
                     q);
            if (!v)
                return cell_fail(c, GT_E_INVALID, msg);
            if (tmp->jobs[v - 1 - ps->base].submit_ms > s->submit_ms) {
                snprintf(msg, sizeof msg, "job_id '%.*s' is submitted after this job",
                         (int)(n > 64 ? 64 : n), q);
                return cell_fail(c, GT_E_INVALID, msg);
            }
            if (s->ndeps == GT_SPEC_MAX_DEPS)
                return cell_fail(c, GT_E_LIMIT, "at most 8 jobs");
            s->dep_job[s->ndeps] = v - 1;
            s->dep_type[s->ndeps++] = (uint8_t)type;
            q = e + 1;
        }
        p = item + 1;
    }
    return GT_E_OK;
}

/* Split a line at commas into up to max cells; returns the number of fields it has. */
static size_t split(const char *p, size_t n, cell *cells, size_t max) {
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] != ',')
            continue;
        if (k < max) {
            cells[k].p = p + start;
            cells[k].n = i - start;
        }
        k++;
        start = i + 1;
    }
    return k;
}

static gt_err parse_header(parser *ps, const char *p, size_t n) {
    /* One spare cell: with more than MAX_COLS fields, one of the first MAX_COLS + 1 is
     * unknown or a duplicate, so the loop stops before it runs past the arrays. */
    cell cells[MAX_COLS + 1];
    size_t k = split(p, n, cells, MAX_COLS + 1);
    int seen[MAX_COLS] = {0};
    for (size_t i = 0; i < k; i++) {
        int id = -1;
        for (int j = 0; j < MAX_COLS && id < 0; j++)
            if (strlen(columns[j].name) == cells[i].n &&
                !memcmp(columns[j].name, cells[i].p, cells[i].n))
                id = j;
        if (id < 0)
            return gt_fail(ps->err, GT_E_UNKNOWN_FIELD, ps->where, "%.*s: unknown column",
                           (int)cells[i].n, cells[i].p);
        if (seen[id]++)
            return gt_fail(ps->err, GT_E_INVALID, ps->where, "%s: duplicate column",
                           columns[id].name);
        ps->col[i] = id;
        ps->deps_col |= !strcmp(columns[id].name, "depends_on");
    }
    for (int j = 0; j < NREQUIRED; j++)
        if (!seen[j])
            return gt_fail(ps->err, GT_E_INVALID, ps->where, "%s: missing required column",
                           columns[j].name);
    ps->ncols = (int)k;
    return GT_E_OK;
}

static gt_err parse_row(parser *ps, const gt_trace *tmp, const char *p, size_t n, gt_jobspec *out) {
    cell cells[MAX_COLS];
    size_t k = split(p, n, cells, MAX_COLS);
    if (k != (size_t)ps->ncols)
        return gt_fail(ps->err, GT_E_PARSE, ps->where, "expected %d fields, got %zu", ps->ncols, k);
    row r = {.count = -1, .min_count = -1, .gpu_milli = -1};
    gt_jobspec_init(&r.s);
    for (int i = 0; i < ps->ncols; i++) {
        cells[i].col = columns[ps->col[i]].name;
        cells[i].where = ps->where;
        cells[i].err = ps->err;
        gt_err e = columns[ps->col[i]].fn(&r, &cells[i]);
        if (e)
            return e;
    }
    gt_err e = apply_share(&r, ps->where, ps->err);
    if (!e)
        e = apply_counts(&r, ps->where, ps->err);
    if (!e && r.deps.n)
        e = parse_deps(ps, tmp, &r.deps, &r.s);
    if (!e)
        e = gt_jobspec_validate(&r.s, ps->where, ps->err);
    if (!e)
        *out = r.s;
    return e;
}

/* One line: a comment, the header or a row. */
static gt_err parse_line(parser *ps, gt_trace *tmp, const char *p, size_t n) {
    snprintf(ps->where, sizeof ps->where, "%s:%zu", ps->name, ps->line);
    if (n > GT_TRACE_MAX_LINE)
        return gt_fail(ps->err, GT_E_LIMIT, ps->where, "line longer than %d bytes",
                       GT_TRACE_MAX_LINE);
    if (ps->line == 1 && n >= 3 && !memcmp(p, "\xef\xbb\xbf", 3)) {
        p += 3; /* byte-order mark */
        n -= 3;
    }
    if (n == 0 || p[0] == '#')
        return GT_E_OK;
    const char *q = memchr(p, '"', n);
    if (q)
        return gt_fail(ps->err, GT_E_PARSE, ps->where,
                       "quoted fields are not supported ('\"' at column %zu)", (size_t)(q - p) + 1);
    if (ps->ncols == 0)
        return parse_header(ps, p, n);
    if (!trace_reserve(tmp, tmp->n + 1))
        return gt_fail(ps->err, GT_E_NOMEM, ps->where, "out of memory");
    gt_err e = parse_row(ps, tmp, p, n, &tmp->jobs[tmp->n]);
    int added = e || !ps->deps_col ? 1 : id_add(ps, tmp, tmp->n); /* only where it is read */
    if (added == 0)
        e = gt_fail(ps->err, GT_E_NOMEM, ps->where, "out of memory");
    if (added < 0)
        e = gt_fail(ps->err, GT_E_INVALID, ps->where,
                    "job_id: '%s' is another row's (a trace with depends_on needs unique job ids)",
                    tmp->jobs[tmp->n].id);
    if (!e)
        tmp->n++;
    return e;
}

static gt_err parse_lines(parser *ps, gt_trace *tmp, const char *text, size_t len) {
    size_t pos = 0;
    while (pos < len) {
        const char *p = text + pos;
        const char *nl = memchr(p, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - p) : len - pos;
        pos += n + (nl ? 1 : 0);
        ps->line++;
        if (n > 0 && p[n - 1] == '\r')
            n--;
        gt_err e = parse_line(ps, tmp, p, n);
        if (e)
            return e;
    }
    if (ps->ncols == 0)
        return gt_fail(ps->err, GT_E_PARSE, ps->name, "no header row");
    return GT_E_OK;
}

/* ---- sorting and committing ------------------------------------------------------------- */

typedef struct {
    gt_time key;
    size_t idx;
} sort_key;

static int cmp_key(const void *a, const void *b) {
    const sort_key *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Stable sort by submit_ms through an index (jobs are large; move each one once); the
 * positions in depends_on follow their jobs. */
static int sort_jobs(gt_trace *t) {
    size_t i = 1;
    while (i < t->n && t->jobs[i - 1].submit_ms <= t->jobs[i].submit_ms)
        i++;
    if (i >= t->n)
        return 1;
    sort_key *k = malloc(t->n * sizeof *k);
    uint32_t *at = malloc(t->n * sizeof *at);
    gt_jobspec *jobs = malloc(t->cap * sizeof *jobs);
    if (!k || !jobs || !at) {
        free(k);
        free(at);
        free(jobs);
        return 0;
    }
    for (i = 0; i < t->n; i++)
        k[i] = (sort_key){t->jobs[i].submit_ms, i};
    qsort(k, t->n, sizeof *k, cmp_key);
    for (i = 0; i < t->n; i++) {
        jobs[i] = t->jobs[k[i].idx];
        at[k[i].idx] = (uint32_t)i;
    }
    for (i = 0; i < t->n; i++)
        for (int d = 0; d < jobs[i].ndeps; d++)
            jobs[i].dep_job[d] = at[jobs[i].dep_job[d]];
    free(k);
    free(at);
    free(t->jobs);
    t->jobs = jobs;
    return 1;
}

static gt_err commit(gt_trace *t, const gt_trace *tmp, const char *name, gt_error *err) {
    size_t n0 = t->n;
    if (!trace_reserve(t, n0 + tmp->n))
        return gt_fail(err, GT_E_NOMEM, name, "out of memory");
    if (tmp->n)
        memcpy(t->jobs + n0, tmp->jobs, tmp->n * sizeof *tmp->jobs);
    t->n = n0 + tmp->n;
    if (!sort_jobs(t)) {
        t->n = n0;
        return gt_fail(err, GT_E_NOMEM, name, "out of memory");
    }
    return GT_E_OK;
}

gt_err gt_trace_parse_csv(gt_trace *t, const char *text, size_t len, const char *name,
                          gt_error *err) {
    parser ps = {.name = name ? name : "trace", .err = err, .base = t->n};
    gt_trace tmp;
    gt_trace_init(&tmp);
    gt_err e = parse_lines(&ps, &tmp, text ? text : "", text ? len : 0);
    if (!e)
        e = commit(t, &tmp, ps.name, err);
    gt_trace_free(&tmp);
    free(ps.ids);
    return e;
}

/* ---- writing ---------------------------------------------------------------------------- */

static void put_time(gt_sb *b, gt_time ms) {
    if (ms % 1000)
        gt_sb_printf(b, "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
    else
        gt_sb_printf(b, "%lld", (long long)(ms / 1000));
}

/* A number, or nothing when it is zero (the default). */
static void put_opt(gt_sb *b, long long v) {
    gt_sb_putc(b, ',');
    if (v)
        gt_sb_printf(b, "%lld", v);
}

static void put_opt_time(gt_sb *b, gt_time ms) {
    gt_sb_putc(b, ',');
    if (ms)
        put_time(b, ms);
}

static void write_row(gt_sb *b, const gt_trace *t, const gt_jobspec *s, int deps) {
    gt_sb_printf(b, "%s,", s->id);
    put_time(b, s->submit_ms);
    gt_sb_printf(b, ",%d,", s->gpus);
    put_time(b, s->duration_ms);
    gt_sb_printf(b, ",%s,,%s", s->tenant, gt_kind_name(s->kind));
    put_opt(b, s->gpus_per_node);
    put_opt(b, s->cpus);
    put_opt(b, s->memory_mb);
    gt_sb_printf(b, ",%s,%s", s->gpu_model, gt_prio_name(s->priority));
    put_opt_time(b, s->estimate_ms);
    put_opt_time(b, s->time_limit_ms);
    gt_sb_printf(b, ",%s", s->within);
    if (s->kind == GT_KIND_TASKS)
        gt_sb_printf(b, ",%d,", s->tasks);
    else if (s->kind == GT_KIND_SERVE && s->replicas_min != s->replicas_max)
        gt_sb_printf(b, ",%d,%d", s->replicas_max, s->replicas_min);
    else if (s->kind == GT_KIND_SERVE)
        gt_sb_printf(b, ",%d,", s->replicas_max);
    else
        gt_sb_puts(b, ",,");
    put_opt(b, s->gpu_milli);
    put_opt(b, s->gpu_memory_mb);
    gt_sb_puts(b, ",,,,,"); /* cpu_milli, memory_mib, gpu_spec, qos, queue_s: read only */
    if (deps)
        gt_sb_putc(b, ',');
    for (int d = 0; d < s->ndeps; d++)
        gt_sb_printf(b, "%s%s:%s", d ? ";" : "", gt_dep_type_name(s->dep_type[d]),
                     t->jobs[s->dep_job[d]].id);
    gt_sb_putc(b, '\n');
}

void gt_trace_write_csv(const gt_trace *t, struct gt_sb *out) {
    /* trace.h names `struct gt_sb`; strbuf.h's gt_sb is an untagged struct, hence the cast. */
    gt_sb *b = (gt_sb *)(void *)out;
    int deps = 0; /* the depends_on column only for a trace with dependencies */
    for (size_t i = 0; i < t->n && !deps; i++)
        deps = t->jobs[i].ndeps > 0;
    for (int i = 0; i < MAX_COLS - !deps; i++)
        gt_sb_printf(b, "%s%s", i ? "," : "", columns[i].name);
    gt_sb_putc(b, '\n');
    for (size_t i = 0; i < t->n; i++)
        write_row(b, t, &t->jobs[i], deps);
}
