/* SPDX-License-Identifier: MIT
 * Open-loop HTTP load generator for gantryd's API.
 *
 *   api_load --url http://127.0.0.1:7070 --token TOKEN [--token TOKEN2 ...]
 *            [--rate 1000] [--threads 8] [--seconds 60] [--job-seconds 5]
 *            [--get PATH [--id-max N] | --post PATH [--body JSON]]
 *            [--timeout 30] [--drain 10] [--timeline] [--json]
 *
 * Request g (g = 0, 1, ...) is due at g / rate seconds after the start; thread g % threads
 * sends it on its own keep-alive connection. A thread never waits for an answer to decide
 * when the next request is due (open loop): when it falls behind, it sends at once, and
 * the latency of each request is measured from its scheduled time, so a stall of the
 * server shows in the percentiles instead of slowing the load down (no coordinated
 * omission). The time from the actual send is reported too ("service").
 *
 * Default requests are POST /v1/jobs with a mix of job sizes (the emulated agent "runs" a
 * unit for duration_s): 40% 1-GPU, 25% 8-GPU, 15% 16-GPU and 5% 64-GPU training gangs
 * (8 GPUs per node), 15% arrays of four 1-GPU tasks; duration_s uniform in [S/2, 3S/2]
 * for --job-seconds S. --get PATH sends GET PATH instead; a "%d" in PATH becomes a random
 * integer in [0, --id-max). --post PATH --body JSON sends that body to PATH instead (e.g.
 * agent heartbeats). Tokens are used in turn, request by request.
 *
 * Requests still unsent --drain seconds after the end are abandoned: they count as
 * "unsent", and their latency (counted in the percentiles) is a lower bound: the time
 * from their scheduled time to the abandon. Transport errors count as status 0. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_TOKENS 64
#define MAX_STATUS 600

typedef struct {
    char host[256], port[16], prefix[256];
    const char *tokens[MAX_TOKENS];
    int ntokens;
    double rate, seconds, job_s, timeout_s, drain_s;
    int threads, json, timeline;
    const char *get, *post, *body;
    long id_max;
    unsigned long seed;
} opts;

typedef struct {
    int fd;
    char *buf; /* received bytes not yet consumed */
    size_t len, cap;
} conn;

typedef struct {
    const opts *o;
    int idx;
    int64_t t0;      /* monotonic ns of request 0's due time */
    uint64_t first;  /* this thread's first global index */
    size_t n;        /* requests this thread sends */
    double *lat_ms;  /* from the scheduled time, per request (sent or abandoned) */
    double *svc_ms;  /* from the actual send, per answered request */
    double *svc_due; /* scheduled time (s after start) of each svc_ms entry */
    double *due_s;   /* scheduled time (s after start) of each lat_ms entry */
    size_t nlat, nsvc;
    uint64_t status[MAX_STATUS];
    uint64_t sent, unsent, reconnects;
    int64_t last_answer_ns;
    uint64_t rng;
    char err[160]; /* the first transport error, for the report */
} worker;

/* ---- time and randomness ---- */

static int64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until(int64_t ns) {
    struct timespec ts = {(time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static uint64_t rng_next(uint64_t *s) { /* xorshift64* */
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static double rng_unit(uint64_t *s) {
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

/* ---- connections ---- */

static void conn_close(conn *c) {
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->len = 0;
}

static int conn_open(conn *c, const opts *o, char *err, size_t errsz) {
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(o->host, o->port, &hints, &res);
    if (rc) {
        snprintf(err, errsz, "%.64s:%.15s: %.60s", o->host, o->port, gai_strerror(rc));
        return 0;
    }
    int fd = -1;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen)) {
            snprintf(err, errsz, "connect %.64s:%.15s: %.60s", o->host, o->port, strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        return 0;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->fd = fd;
    c->len = 0;
    return 1;
}

static int send_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return 0;
        p += w;
        n -= (size_t)w;
    }
    return 1;
}

/* Read more bytes into c->buf before deadline_ns. 1: got some; 0: the peer closed;
 * -1: error or timeout. */
static int conn_fill(conn *c, int64_t deadline_ns) {
    if (c->cap - c->len < 4096) {
        size_t cap = c->cap ? c->cap * 2 : 65536;
        char *nb = realloc(c->buf, cap);
        if (!nb)
            return -1;
        c->buf = nb;
        c->cap = cap;
    }
    for (;;) {
        int64_t left = deadline_ns - mono_ns();
        if (left <= 0)
            return -1;
        struct pollfd p = {c->fd, POLLIN, 0};
        int r = poll(&p, 1, (int)(left / 1000000 + 1));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        c->len += (size_t)n;
        c->buf[c->len] = 0;
        return 1;
    }
}

/* Value of header `name` in the header block [h, end), or NULL; *vlen its length. */
static const char *header(const char *h, const char *end, const char *name, size_t *vlen) {
    size_t nl = strlen(name);
    for (const char *line = h; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            eol = end;
        if ((size_t)(eol - line) > nl && !strncasecmp(line, name, nl) && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = eol;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            *vlen = (size_t)(ve - v);
            return v;
        }
        line = eol + 1;
    }
    return NULL;
}

/* Read one response. Returns the status (> 0), 0 when the connection was closed before
 * any byte of it arrived (a stale keep-alive connection: resend), -1 on an error. *keep
 * says whether the connection may be reused. */
static int read_response(conn *c, int64_t deadline_ns, int *keep, char *err, size_t errsz) {
    *keep = 0;
    char *eoh = NULL;
    while (!(c->len && (eoh = strstr(c->buf, "\r\n\r\n")))) {
        int r = conn_fill(c, deadline_ns);
        if (r == 0 && c->len == 0)
            return 0;
        if (r <= 0) {
            snprintf(err, errsz, "%s while reading the headers",
                     r == 0 ? "connection closed" : "timeout or error");
            return -1;
        }
    }
    int major = 0, minor = 0, status = 0;
    if (sscanf(c->buf, "HTTP/%d.%d %d", &major, &minor, &status) != 3 || status < 100 ||
        status >= MAX_STATUS) {
        snprintf(err, errsz, "bad status line: %.40s", c->buf);
        return -1;
    }
    const char *hs = strstr(c->buf, "\r\n") + 2, *he = eoh + 2;
    size_t vl;
    const char *v = header(hs, he, "Transfer-Encoding", &vl);
    if (v && !(vl == 8 && !strncasecmp(v, "identity", 8))) {
        snprintf(err, errsz, "Transfer-Encoding %.*s is not supported", (int)vl, v);
        return -1;
    }
    const char *cl = header(hs, he, "Content-Length", &vl);
    const char *co = header(hs, he, "Connection", &vl);
    int close_after = co ? (vl == 5 && !strncasecmp(co, "close", 5)) : (major == 1 && minor == 0);
    size_t hlen = (size_t)(eoh + 4 - c->buf);
    size_t blen = 0;
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long x = strtoull(cl, &end, 10);
        if (errno || end == cl) {
            snprintf(err, errsz, "bad Content-Length");
            return -1;
        }
        blen = (size_t)x;
    } else if (status == 204 || status == 304 || status < 200) {
        blen = 0;
    } else { /* the body runs to the end of the connection */
        int r;
        while ((r = conn_fill(c, deadline_ns)) > 0)
            ;
        if (r < 0) {
            snprintf(err, errsz, "timeout reading a body without Content-Length");
            return -1;
        }
        c->len = 0;
        return status;
    }
    while (c->len < hlen + blen) {
        if (conn_fill(c, deadline_ns) <= 0) {
            snprintf(err, errsz, "connection closed or timeout in the body (%zu of %zu bytes)",
                     c->len - hlen, blen);
            return -1;
        }
    }
    /* Drop this response; keep anything after it (there should be none). */
    memmove(c->buf, c->buf + hlen + blen, c->len - hlen - blen);
    c->len -= hlen + blen;
    c->buf[c->len] = 0;
    *keep = !close_after;
    return status;
}

/* ---- requests ---- */

static size_t job_body(worker *w, char *out, size_t size) {
    double r = rng_unit(&w->rng);
    double d = w->o->job_s * (0.5 + rng_unit(&w->rng));
    int ms = (int)(d * 1000);
    if (ms < 1)
        ms = 1;
    int n;
    if (r < 0.40)
        n = snprintf(out, size, "{\"name\":\"load-1\",\"gpus\":1,\"duration_s\":%d.%03d}",
                     ms / 1000, ms % 1000);
    else if (r < 0.85) {
        int g = r < 0.65 ? 8 : r < 0.80 ? 16 : 64;
        n = snprintf(out, size,
                     "{\"name\":\"load-%d\",\"gpus\":%d,\"gpus_per_node\":8,\"cpus\":64,"
                     "\"duration_s\":%d.%03d}",
                     g, g, ms / 1000, ms % 1000);
    } else {
        n = snprintf(out, size,
                     "{\"name\":\"load-tasks\",\"kind\":\"tasks\",\"tasks\":4,\"gpus\":1,"
                     "\"cpus\":4,\"duration_s\":%d.%03d}",
                     ms / 1000, ms % 1000);
    }
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

static size_t make_request(worker *w, uint64_t g, char *out, size_t size) {
    const opts *o = w->o;
    const char *tok = o->ntokens ? o->tokens[g % (uint64_t)o->ntokens] : NULL;
    char auth[400] = "";
    if (tok)
        snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", tok);
    int n;
    if (o->get) {
        char path[600];
        const char *pc = strstr(o->get, "%d");
        if (pc)
            snprintf(path, sizeof path, "%.*s%ld%s", (int)(pc - o->get), o->get,
                     o->id_max > 0 ? (long)(rng_next(&w->rng) % (uint64_t)o->id_max) : 0L, pc + 2);
        else
            snprintf(path, sizeof path, "%s", o->get);
        n = snprintf(out, size, "GET %s%s HTTP/1.1\r\nHost: %s:%s\r\n%s\r\n", o->prefix, path,
                     o->host, o->port, auth);
    } else {
        char body[512];
        size_t bl = o->post ? strlen(o->body) : job_body(w, body, sizeof body);
        n = snprintf(out, size,
                     "POST %s%s HTTP/1.1\r\nHost: %s:%s\r\n%sContent-Type: "
                     "application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     o->prefix, o->post ? o->post : "/v1/jobs", o->host, o->port, auth, bl,
                     o->post ? o->body : body);
    }
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

static void note_err(worker *w, const char *msg) {
    if (!w->err[0])
        snprintf(w->err, sizeof w->err, "%s", msg);
}

static void *worker_main(void *arg) {
    worker *w = arg;
    const opts *o = w->o;
    conn c = {-1, NULL, 0, 0};
    char req[4096], err[160];
    const int64_t step = (int64_t)(1e9 / o->rate * o->threads);
    const int64_t off = (int64_t)(1e9 / o->rate * w->idx);
    const int64_t stop_ns = w->t0 + (int64_t)((o->seconds + o->drain_s) * 1e9);
    for (size_t k = 0; k < w->n; k++) {
        int64_t due = w->t0 + off + (int64_t)k * step;
        uint64_t g = w->first + (uint64_t)k * (uint64_t)o->threads;
        size_t rl = make_request(w, g, req, sizeof req);
        int64_t now = mono_ns();
        if (now >= stop_ns) { /* abandoned: the rest are unsent */
            for (; k < w->n; k++) {
                due = w->t0 + off + (int64_t)k * step;
                w->due_s[w->nlat] = (double)(due - w->t0) / 1e9;
                w->lat_ms[w->nlat++] = (double)(now - due) / 1e6;
                w->unsent++;
            }
            break;
        }
        if (now < due)
            sleep_until(due);
        int status = -1;
        int64_t sent_at = 0;
        for (int attempt = 0; attempt < 2 && status < 0; attempt++) {
            if (c.fd < 0) {
                if (!conn_open(&c, o, err, sizeof err)) {
                    note_err(w, err);
                    break;
                }
                if (attempt || w->sent)
                    w->reconnects++;
            }
            sent_at = mono_ns();
            if (!rl || !send_all(c.fd, req, rl)) {
                conn_close(&c);
                snprintf(err, sizeof err, "send: %s", rl ? strerror(errno) : "request too long");
                continue; /* a stale connection: reconnect and send again */
            }
            int keep = 0;
            int r =
                read_response(&c, sent_at + (int64_t)(o->timeout_s * 1e9), &keep, err, sizeof err);
            if (r == 0) { /* closed before answering: resend once on a new connection */
                conn_close(&c);
                snprintf(err, sizeof err, "connection closed before the answer");
                continue;
            }
            if (r < 0 || !keep)
                conn_close(&c);
            status = r;
            if (r < 0)
                break;
        }
        int64_t end = mono_ns();
        w->sent++;
        if (status > 0) {
            w->status[status]++;
            w->svc_due[w->nsvc] = (double)(due - w->t0) / 1e9;
            w->svc_ms[w->nsvc++] = (double)(end - sent_at) / 1e6;
            w->last_answer_ns = end;
        } else {
            w->status[0]++;
            note_err(w, err);
        }
        w->due_s[w->nlat] = (double)(due - w->t0) / 1e9;
        w->lat_ms[w->nlat++] = (double)(end - due) / 1e6;
    }
    conn_close(&c);
    free(c.buf);
    return NULL;
}

/* ---- report ---- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[n]. */
static double pct(const double *v, size_t n, double p) {
    if (!n)
        return 0;
    size_t i = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (i < 1)
        i = 1;
    if (i > n)
        i = n;
    return v[i - 1];
}

typedef struct {
    double p50, p90, p99, p999, max, mean;
} summary;

static summary summarize(double *v, size_t n) {
    summary s = {0};
    if (!n)
        return s;
    qsort(v, n, sizeof *v, cmp_double);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    s.p50 = pct(v, n, 50);
    s.p90 = pct(v, n, 90);
    s.p99 = pct(v, n, 99);
    s.p999 = pct(v, n, 99.9);
    s.max = v[n - 1];
    s.mean = sum / (double)n;
    return s;
}

static void print_summary_json(const char *name, const summary *s) {
    printf("\"%s\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f,"
           "\"mean\":%.3f}",
           name, s->p50, s->p90, s->p99, s->p999, s->max, s->mean);
}

/* ---- options ---- */

static void usage(FILE *f) {
    fprintf(f, "usage: api_load --url URL --token TOKEN [options]\n"
               "  --url URL          gantryd, http://HOST:PORT (default http://127.0.0.1:7070)\n"
               "  --token TOKEN      bearer token; repeat to use several in turn\n"
               "  --rate R           requests per second in all (default 1000)\n"
               "  --threads T        threads, each with its own keep-alive connection (default 8)\n"
               "  --seconds D        how long to send (default 60)\n"
               "  --job-seconds S    mean duration_s of the submitted jobs (default 5)\n"
               "  --get PATH         GET PATH instead of submitting; %%d: random id in [0, N)\n"
               "  --id-max N         N for --get's %%d (default 1)\n"
               "  --post PATH        POST --body to PATH instead of submitting jobs\n"
               "  --body JSON        the body for --post (default {})\n"
               "  --timeout S        per-request timeout in seconds (default 30)\n"
               "  --drain S          after D, finish late requests for up to S s (default 10)\n"
               "  --seed N           random seed (default 1)\n"
               "  --timeline         also print per-second counts, p99 and max\n"
               "  --json             print one JSON object instead of text\n");
}

static int num_arg(const char *flag, const char *v, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double x = v ? strtod(v, &end) : 0;
    if (!v || !*v || *end || errno || !(x >= lo && x <= hi)) {
        fprintf(stderr, "api_load: %s: expected a number from %g to %g, got '%s'\n", flag, lo, hi,
                v ? v : "(nothing)");
        return 0;
    }
    *out = x;
    return 1;
}

static int parse_url(const char *url, opts *o) {
    if (strncmp(url, "http://", 7)) {
        fprintf(stderr, "api_load: --url: only http://HOST:PORT is supported, got '%s'\n", url);
        return 0;
    }
    const char *h = url + 7, *slash = strchr(h, '/');
    size_t hl = slash ? (size_t)(slash - h) : strlen(h);
    snprintf(o->prefix, sizeof o->prefix, "%s", slash ? slash : "");
    size_t pl = strlen(o->prefix);
    while (pl && o->prefix[pl - 1] == '/')
        o->prefix[--pl] = 0;
    const char *colon = NULL;
    if (hl && h[0] == '[') { /* [v6]:port */
        const char *rb = memchr(h, ']', hl);
        if (!rb)
            return 0;
        snprintf(o->host, sizeof o->host, "%.*s", (int)(rb - h - 1), h + 1);
        colon = rb + 1 < h + hl && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = memchr(h, ':', hl);
        snprintf(o->host, sizeof o->host, "%.*s", (int)(colon ? (size_t)(colon - h) : hl), h);
    }
    if (colon)
        snprintf(o->port, sizeof o->port, "%.*s", (int)(h + hl - colon - 1), colon + 1);
    else
        snprintf(o->port, sizeof o->port, "80");
    if (!o->host[0] || !o->port[0]) {
        fprintf(stderr, "api_load: --url: cannot read host and port from '%s'\n", url);
        return 0;
    }
    return 1;
}

static int parse_opts(int argc, char **argv, opts *o) {
    const char *url = "http://127.0.0.1:7070";
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double x = 0;
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(f, "--json")) {
            o->json = 1;
            continue;
        } else if (!strcmp(f, "--timeline")) {
            o->timeline = 1;
            continue;
        } else if (!strcmp(f, "--url") && v) {
            url = v;
        } else if (!strcmp(f, "--token") && v) {
            if (o->ntokens == MAX_TOKENS) {
                fprintf(stderr, "api_load: at most %d tokens\n", MAX_TOKENS);
                return 0;
            }
            if (strlen(v) > 300 || strpbrk(v, "\r\n")) {
                fprintf(stderr, "api_load: --token: not a usable token\n");
                return 0;
            }
            o->tokens[o->ntokens++] = v;
        } else if (!strcmp(f, "--get") && v) {
            if (v[0] != '/' || strlen(v) > 400 || strpbrk(v, " \r\n")) {
                fprintf(stderr, "api_load: --get: expected a path starting with /\n");
                return 0;
            }
            o->get = v;
        } else if ((!strcmp(f, "--post") || !strcmp(f, "--body")) && v) {
            if (strlen(v) > 1000 || strpbrk(v, "\r\n") || (f[2] == 'p' && v[0] != '/')) {
                fprintf(stderr, "api_load: %s: expected %s without line breaks\n", f,
                        f[2] == 'p' ? "a path starting with /" : "at most 1000 bytes");
                return 0;
            }
            *(f[2] == 'p' ? &o->post : &o->body) = v;
        } else if (!strcmp(f, "--rate")) {
            if (!num_arg(f, v, 0.001, 1e7, &o->rate))
                return 0;
        } else if (!strcmp(f, "--threads")) {
            if (!num_arg(f, v, 1, 1024, &x))
                return 0;
            o->threads = (int)x;
        } else if (!strcmp(f, "--seconds")) {
            if (!num_arg(f, v, 0.001, 86400, &o->seconds))
                return 0;
        } else if (!strcmp(f, "--job-seconds")) {
            if (!num_arg(f, v, 0.002, 86400, &o->job_s))
                return 0;
        } else if (!strcmp(f, "--id-max")) {
            if (!num_arg(f, v, 1, 4e9, &x))
                return 0;
            o->id_max = (long)x;
        } else if (!strcmp(f, "--timeout")) {
            if (!num_arg(f, v, 0.001, 3600, &o->timeout_s))
                return 0;
        } else if (!strcmp(f, "--drain")) {
            if (!num_arg(f, v, 0, 3600, &o->drain_s))
                return 0;
        } else if (!strcmp(f, "--seed")) {
            if (!num_arg(f, v, 0, 1e15, &x))
                return 0;
            o->seed = (unsigned long)x;
        } else {
            static const char *const valued[] = {
                "--url",     "--token",   "--get",     "--post",        "--body",
                "--rate",    "--threads", "--seconds", "--job-seconds", "--id-max",
                "--timeout", "--drain",   "--seed"};
            int known = 0;
            for (size_t k = 0; k < sizeof valued / sizeof *valued; k++)
                known |= !strcmp(f, valued[k]);
            fprintf(stderr, "api_load: %s: %s (see --help)\n", f,
                    known ? "needs a value" : "unknown option");
            return 0;
        }
        i++;
    }
    if (o->get && o->post) {
        fprintf(stderr, "api_load: --get and --post exclude each other\n");
        return 0;
    }
    if (o->rate * o->seconds > 1e8) {
        fprintf(stderr, "api_load: --rate x --seconds is over 100,000,000 requests\n");
        return 0;
    }
    return parse_url(url, o);
}

/* ---- main ---- */

int main(int argc, char **argv) {
    opts o;
    memset(&o, 0, sizeof o);
    o.rate = 1000;
    o.threads = 8;
    o.seconds = 60;
    o.job_s = 5;
    o.timeout_s = 30;
    o.drain_s = 10;
    o.id_max = 1;
    o.seed = 1;
    o.body = "{}";
    if (!parse_opts(argc, argv, &o))
        return 2;
    signal(SIGPIPE, SIG_IGN);

    uint64_t total = (uint64_t)(o.rate * o.seconds);
    if (total == 0)
        total = 1;
    if ((uint64_t)o.threads > total)
        o.threads = (int)total;
    worker *ws = calloc((size_t)o.threads, sizeof *ws);
    pthread_t *tids = calloc((size_t)o.threads, sizeof *tids);
    if (!ws || !tids) {
        fprintf(stderr, "api_load: out of memory\n");
        return 1;
    }
    int64_t t0 = mono_ns() + 50000000LL; /* 50 ms to start the threads */
    int fail = 0;
    for (int i = 0; i < o.threads && !fail; i++) {
        worker *w = &ws[i];
        w->o = &o;
        w->idx = i;
        w->t0 = t0;
        w->first = (uint64_t)i;
        w->n = (size_t)((total - (uint64_t)i + (uint64_t)o.threads - 1) / (uint64_t)o.threads);
        w->rng = (o.seed + 1) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(i + 1) * 0xBF58476D1CE4E5B9ULL;
        if (!w->rng)
            w->rng = 1;
        w->lat_ms = malloc((w->n + 1) * sizeof *w->lat_ms);
        w->svc_ms = malloc((w->n + 1) * sizeof *w->svc_ms);
        w->svc_due = malloc((w->n + 1) * sizeof *w->svc_due);
        w->due_s = malloc((w->n + 1) * sizeof *w->due_s);
        if (!w->lat_ms || !w->svc_ms || !w->svc_due || !w->due_s ||
            pthread_create(&tids[i], NULL, worker_main, w)) {
            fprintf(stderr, "api_load: cannot start thread %d\n", i);
            fail = 1;
            o.threads = i;
            free(w->lat_ms);
            free(w->svc_ms);
            free(w->svc_due);
            free(w->due_s);
        }
    }
    for (int i = 0; i < o.threads; i++)
        pthread_join(tids[i], NULL);
    if (fail) {
        for (int i = 0; i < o.threads; i++) {
            free(ws[i].lat_ms);
            free(ws[i].svc_ms);
            free(ws[i].svc_due);
            free(ws[i].svc_due);
            free(ws[i].due_s);
        }
        free(ws);
        free(tids);
        return 1;
    }

    /* Merge. */
    uint64_t status[MAX_STATUS] = {0}, sent = 0, unsent = 0, reconnects = 0;
    size_t nlat = 0, nsvc = 0;
    int64_t last = t0;
    for (int i = 0; i < o.threads; i++) {
        for (int s = 0; s < MAX_STATUS; s++)
            status[s] += ws[i].status[s];
        sent += ws[i].sent;
        unsent += ws[i].unsent;
        reconnects += ws[i].reconnects;
        nlat += ws[i].nlat;
        nsvc += ws[i].nsvc;
        if (ws[i].last_answer_ns > last)
            last = ws[i].last_answer_ns;
    }
    double *lat = malloc((nlat + 1) * sizeof *lat), *svc = malloc((nsvc + 1) * sizeof *svc);
    double *due = malloc((nlat + 1) * sizeof *due), *sdue = malloc((nsvc + 1) * sizeof *sdue);
    if (!lat || !svc || !due || !sdue) {
        fprintf(stderr, "api_load: out of memory\n");
        return 1;
    }
    size_t a = 0, b = 0;
    const char *first_err = NULL;
    for (int i = 0; i < o.threads; i++) {
        memcpy(lat + a, ws[i].lat_ms, ws[i].nlat * sizeof *lat);
        memcpy(due + a, ws[i].due_s, ws[i].nlat * sizeof *due);
        memcpy(svc + b, ws[i].svc_ms, ws[i].nsvc * sizeof *svc);
        memcpy(sdue + b, ws[i].svc_due, ws[i].nsvc * sizeof *sdue);
        a += ws[i].nlat;
        b += ws[i].nsvc;
        if (!first_err && ws[i].err[0])
            first_err = ws[i].err;
    }
    uint64_t ok = 0;
    for (int s = 200; s < 300; s++)
        ok += status[s];
    double span_s = (double)(last - t0) / 1e9;
    if (span_s < o.seconds)
        span_s = o.seconds;
    double achieved = (double)(sent - status[0]) / span_s;
    double ok_rate = (double)ok / span_s;

    /* Per-second timeline (by scheduled second), before the arrays are sorted. */
    size_t nsec = (size_t)o.seconds + 1;
    size_t *tl_n = NULL;
    double **tl_v = NULL, *tl_smax = NULL;
    if (o.timeline) {
        tl_n = calloc(nsec, sizeof *tl_n);
        tl_v = calloc(nsec, sizeof *tl_v);
        tl_smax = calloc(nsec, sizeof *tl_smax);
        size_t *fill = calloc(nsec, sizeof *fill);
        if (!tl_n || !tl_v || !tl_smax || !fill) {
            fprintf(stderr, "api_load: out of memory\n");
            return 1;
        }
        for (size_t i = 0; i < nlat; i++) {
            size_t s = (size_t)due[i];
            tl_n[s < nsec ? s : nsec - 1]++;
        }
        for (size_t s = 0; s < nsec; s++)
            tl_v[s] = malloc((tl_n[s] + 1) * sizeof **tl_v);
        for (size_t i = 0; i < nlat; i++) {
            size_t s = (size_t)due[i];
            s = s < nsec ? s : nsec - 1;
            if (tl_v[s])
                tl_v[s][fill[s]++] = lat[i];
        }
        for (size_t i = 0; i < nsvc; i++) {
            size_t s = (size_t)sdue[i];
            s = s < nsec ? s : nsec - 1;
            if (svc[i] > tl_smax[s])
                tl_smax[s] = svc[i];
        }
        free(fill);
    }

    summary L = summarize(lat, nlat), S = summarize(svc, nsvc);
    const char *what = o.get ? o.get : o.post ? o.post : "/v1/jobs";
    if (o.json) {
        printf("{\"method\":\"%s\",\"path\":\"%s\",\"target_rate\":%.3f,\"threads\":%d,"
               "\"seconds\":%.3f,\"scheduled\":%llu,\"sent\":%llu,\"unsent\":%llu,"
               "\"answered\":%llu,\"ok\":%llu,\"errors\":%llu,\"reconnects\":%llu,"
               "\"achieved_rate\":%.3f,\"ok_rate\":%.3f,\"status\":{",
               o.get ? "GET" : "POST", what, o.rate, o.threads, o.seconds,
               (unsigned long long)total, (unsigned long long)sent, (unsigned long long)unsent,
               (unsigned long long)(sent - status[0]), (unsigned long long)ok,
               (unsigned long long)status[0], (unsigned long long)reconnects, achieved, ok_rate);
        int first = 1;
        for (int s = 0; s < MAX_STATUS; s++)
            if (status[s]) {
                printf("%s\"%d\":%llu", first ? "" : ",", s, (unsigned long long)status[s]);
                first = 0;
            }
        printf("},");
        print_summary_json("latency_ms", &L);
        printf(",");
        print_summary_json("service_ms", &S);
        if (first_err) {
            printf(",\"first_error\":\"");
            for (const char *p = first_err; *p; p++) {
                if (*p == '"' || *p == '\\')
                    putchar('\\');
                putchar((unsigned char)*p < 32 ? '?' : *p);
            }
            printf("\"");
        }
        if (o.timeline) {
            printf(",\"timeline\":[");
            for (size_t s = 0; s < nsec; s++) {
                summary T = summarize(tl_v[s], tl_n[s]);
                printf("%s{\"s\":%zu,\"n\":%zu,\"p99\":%.3f,\"max\":%.3f,\"service_max\":%.3f}",
                       s ? "," : "", s, tl_n[s], T.p99, T.max, tl_smax[s]);
            }
            printf("]");
        }
        printf("}\n");
    } else {
        printf("api_load: %s %s, target %.1f/s for %.1f s, %d threads\n", o.get ? "GET" : "POST",
               what, o.rate, o.seconds, o.threads);
        printf("  requests   scheduled %llu, sent %llu, unsent %llu, transport errors %llu, "
               "reconnects %llu\n",
               (unsigned long long)total, (unsigned long long)sent, (unsigned long long)unsent,
               (unsigned long long)status[0], (unsigned long long)reconnects);
        printf("  rate       achieved %.1f/s answered, %.1f/s 2xx (over %.2f s)\n", achieved,
               ok_rate, span_s);
        printf("  status    ");
        for (int s = 0; s < MAX_STATUS; s++)
            if (status[s])
                printf(" %s%d=%llu", s ? "" : "error:", s, (unsigned long long)status[s]);
        printf("\n");
        printf("  latency ms (from the scheduled time) p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f"
               "  max %.2f  mean %.2f\n",
               L.p50, L.p90, L.p99, L.p999, L.max, L.mean);
        printf("  service ms (from the actual send)    p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f"
               "  max %.2f  mean %.2f\n",
               S.p50, S.p90, S.p99, S.p999, S.max, S.mean);
        if (first_err)
            printf("  first error: %s\n", first_err);
        if (o.timeline) {
            printf("  second      n     p99_ms     max_ms  service_max_ms\n");
            for (size_t s = 0; s < nsec; s++) {
                summary T = summarize(tl_v[s], tl_n[s]);
                if (tl_n[s])
                    printf("  %6zu %6zu %10.2f %10.2f %15.2f\n", s, tl_n[s], T.p99, T.max,
                           tl_smax[s]);
            }
        }
    }
    if (o.timeline) {
        for (size_t s = 0; s < nsec; s++)
            free(tl_v[s]);
        free(tl_v);
        free(tl_n);
        free(tl_smax);
    }
    for (int i = 0; i < o.threads; i++) {
        free(ws[i].lat_ms);
        free(ws[i].svc_ms);
        free(ws[i].svc_due);
        free(ws[i].due_s);
    }
    free(ws);
    free(tids);
    free(lat);
    free(svc);
    free(due);
    free(sdue);
    return ok == total ? 0 : 1;
}
