/* SPDX-License-Identifier: MIT
 * libmicrohttpd glue. MHD calls the access handler several times per request: first with
 * the headers (we allocate the request's state in *con_cls), then with body chunks, then
 * once with no data, when we call the user's handler and queue the response. Bodies over
 * max_body are answered 413 at once (the rest of the upload is discarded by MHD).
 *
 * Deferred answers: when the handler called gt_http_defer, the connection is suspended
 * (MHD stops polling it; no thread waits). gt_http_answer_later stores the response and
 * resumes it; MHD then calls the access handler once more, which queues the stored
 * response. The later's mutex orders an answer that comes before the suspend: the
 * connection is then not suspended at all. */
#define _GNU_SOURCE
#include "sys/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "util/vec.h"

struct gt_http_server {
    struct MHD_Daemon *d;
    gt_http_handler h;
    void *ctx;
    size_t max_body;
    int port;
    pthread_mutex_t mu; /* the laters list */
    gt_http_later *laters;
    int stopping;
};

struct gt_http_later {
    gt_http_server *s;
    struct MHD_Connection *c;
    pthread_mutex_t mu;
    int answered, suspended;
    int dead; /* the connection ended before the answer: answer_later frees */
    gt_http_resp resp;
    gt_http_later *prev, *next; /* s->laters (s->mu) */
};

typedef struct { /* one request's state (*con_cls) */
    char *buf;
    size_t len, cap;
    int too_big;
    gt_http_later *later; /* the handler deferred its answer */
} body_buf;

static const char *kv_find(const char *const *kv, const char *key, int nocase) {
    for (; kv && kv[0] && kv[1]; kv += 2)
        if (nocase ? !strcasecmp(kv[0], key) : !strcmp(kv[0], key))
            return kv[1];
    return NULL;
}

const char *gt_http_query(const gt_http_req *r, const char *key) {
    if (!r->conn)
        return kv_find(r->query_kv, key, 0);
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *gt_http_header(const gt_http_req *r, const char *key) {
    if (!r->conn)
        return kv_find(r->header_kv, key, 1);
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, key);
}

typedef struct {
    const char *const *allowed;
    const char *bad;
} unknown_ctx;

static enum MHD_Result check_key(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value) {
    (void)kind, (void)value;
    unknown_ctx *u = cls;
    for (const char *const *a = u->allowed; *a; a++)
        if (!strcmp(*a, key))
            return MHD_YES;
    u->bad = key;
    return MHD_NO;
}

const char *gt_http_query_unknown(const gt_http_req *r, const char *const *allowed) {
    unknown_ctx u = {allowed, NULL};
    if (!r->conn) {
        for (const char *const *kv = r->query_kv; kv && kv[0] && kv[1] && !u.bad; kv += 2)
            check_key(&u, MHD_GET_ARGUMENT_KIND, kv[0], kv[1]);
        return u.bad;
    }
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, check_key, &u);
    return u.bad;
}

void gt_http_resp_header(gt_http_resp *r, const char *name, const char *value) {
    if (r->nheaders >= GT_HTTP_MAX_HEADERS)
        return;
    snprintf(r->header[r->nheaders][0], 64, "%s", name);
    snprintf(r->header[r->nheaders][1], 64, "%s", value);
    r->nheaders++;
}

static enum MHD_Result send_static(struct MHD_Connection *c, int status, const char *body) {
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ok;
}

static int body_append(body_buf *b, const char *data, size_t n, size_t max) {
    if (b->len + n > max) {
        b->too_big = 1;
        return 0;
    }
    if (!gt_vec_reserve_from((void **)&b->buf, &b->cap, b->len + n + 1, 1, 1024))
        return 0;
    memcpy(b->buf + b->len, data, n);
    b->len += n;
    b->buf[b->len] = 0;
    return 1;
}

static enum MHD_Result queue(struct MHD_Connection *c, gt_http_resp resp) {
    struct MHD_Response *r =
        MHD_create_response_from_buffer(resp.len, resp.body ? resp.body : (void *)"",
                                        resp.body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(resp.body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type",
                            resp.content_type ? resp.content_type : "application/json");
    for (int i = 0; i < resp.nheaders; i++)
        MHD_add_response_header(r, resp.header[i][0], resp.header[i][1]);
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)resp.status, r);
    MHD_destroy_response(r);
    return ok;
}

static void later_unlink(gt_http_later *l);

/* Queue the stored answer of a deferred request and free its handle. */
static enum MHD_Result answer_deferred(struct MHD_Connection *c, body_buf *b) {
    gt_http_later *l = b->later;
    b->later = NULL;
    later_unlink(l);
    gt_http_resp resp = l->resp;
    pthread_mutex_destroy(&l->mu);
    free(l);
    return queue(c, resp);
}

gt_http_later *gt_http_defer(const gt_http_req *req) {
    body_buf *b = req->priv;
    if (!b || b->later)
        return NULL;
    gt_http_later *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->c = req->conn;
    pthread_mutex_init(&l->mu, NULL);
    b->later = l;
    return l;
}

static void later_unlink(gt_http_later *l) {
    gt_http_server *s = l->s;
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    if (l->prev)
        l->prev->next = l->next;
    else if (s->laters == l)
        s->laters = l->next;
    if (l->next)
        l->next->prev = l->prev;
    l->prev = l->next = NULL;
    pthread_mutex_unlock(&s->mu);
}

static void later_free(gt_http_later *l) {
    later_unlink(l);
    free(l->resp.body);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

void gt_http_answer_later(gt_http_later *l, gt_http_resp *resp) {
    pthread_mutex_lock(&l->mu);
    if (l->dead) { /* nobody to answer any more */
        pthread_mutex_unlock(&l->mu);
        free(resp->body);
        resp->body = NULL;
        later_free(l);
        return;
    }
    l->resp = *resp;
    resp->body = NULL;
    l->answered = 1;
    int resume = l->suspended;
    pthread_mutex_unlock(&l->mu);
    if (resume)
        MHD_resume_connection(l->c);
}

static enum MHD_Result respond(gt_http_server *s, struct MHD_Connection *c, const char *url,
                               const char *method, body_buf *b) {
    gt_http_req req = {method, url, b->buf ? b->buf : "", b->len, c, NULL, NULL, b};
    gt_http_resp resp = {.status = 200};
    s->h(s->ctx, &req, &resp);
    gt_http_later *l = b->later;
    if (!l)
        return queue(c, resp);
    free(resp.body); /* a deferring handler leaves resp alone; be safe */
    l->s = s;
    pthread_mutex_lock(&s->mu);
    l->next = s->laters;
    if (s->laters)
        s->laters->prev = l;
    s->laters = l;
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_lock(&l->mu);
    if (!l->answered) {
        l->suspended = 1;
        MHD_suspend_connection(c);
    }
    int now = l->answered;
    pthread_mutex_unlock(&l->mu);
    return now ? answer_deferred(c, b) : MHD_YES;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *data,
                                 size_t *data_size, void **con_cls) {
    (void)version;
    gt_http_server *s = cls;
    body_buf *b = *con_cls;
    if (!b) {
        b = calloc(1, sizeof *b);
        if (!b)
            return MHD_NO;
        *con_cls = b;
        return MHD_YES;
    }
    if (b->later) { /* resumed: the deferred answer is there */
        pthread_mutex_lock(&b->later->mu);
        int ready = b->later->answered;
        pthread_mutex_unlock(&b->later->mu);
        return ready ? answer_deferred(c, b) : MHD_YES;
    }
    if (*data_size) {
        if (!b->too_big && !body_append(b, data, *data_size, s->max_body) && !b->too_big)
            return MHD_NO;
        *data_size = 0;
        return MHD_YES;
    }
    if (b->too_big)
        return send_static(c, 413,
                           "{\"error\":{\"code\":\"limit\",\"message\":\"request body too large\","
                           "\"where\":\"body\"}}");
    return respond(s, c, url, method, b);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe) {
    (void)cls, (void)c, (void)toe;
    body_buf *b = *con_cls;
    if (b && b->later) { /* ended while deferred: whoever comes last frees the handle */
        gt_http_later *l = b->later;
        pthread_mutex_lock(&l->mu);
        int answered = l->answered;
        l->dead = 1;
        pthread_mutex_unlock(&l->mu);
        if (answered)
            later_free(l);
    }
    if (b) {
        free(b->buf);
        free(b);
        *con_cls = NULL;
    }
}

int gt_http_parse_listen(const char *listen, char addr[64], int *port) {
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || (size_t)(colon - listen) >= 64)
        return 0;
    memcpy(addr, listen, (size_t)(colon - listen));
    addr[colon - listen] = 0;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    struct in_addr ia;
    if (!colon[1] || *end || p < 0 || p > 65535 || inet_pton(AF_INET, addr, &ia) != 1)
        return 0;
    *port = (int)p;
    return 1;
}

gt_http_server *gt_http_start(const char *listen, size_t max_body, gt_http_handler h, void *ctx,
                              gt_error *err) {
    char addr[64];
    int port;
    if (!gt_http_parse_listen(listen, addr, &port)) {
        gt_fail(err, GT_E_INVALID, "listen", "'%s': expected IPV4-ADDRESS:PORT", listen);
        return NULL;
    }
    gt_http_server *s = calloc(1, sizeof *s);
    if (!s) {
        gt_fail(err, GT_E_NOMEM, "listen", "out of memory");
        return NULL;
    }
    *s = (gt_http_server){.h = h, .ctx = ctx, .max_body = max_body, .port = port};
    pthread_mutex_init(&s->mu, NULL);
    /* One descriptor per connection: take what the hard limit allows. */
    struct rlimit rl;
    const rlim_t want = 1 << 17;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
        struct rlimit up = {want, rl.rlim_max >= want ? rl.rlim_max : want};
        if (setrlimit(RLIMIT_NOFILE, &up) != 0) { /* may not raise the hard limit: up to it */
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
    }
    unsigned limit = 8192;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        limit = rl.rlim_cur > 65536 + 256 ? 65536
                : rl.rlim_cur > 512       ? (unsigned)rl.rlim_cur - 256
                                          : 256;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, addr, &sa.sin_addr);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    s->d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_access, s, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)GT_HTTP_THREADS, MHD_OPTION_CONNECTION_LIMIT, limit,
        /* headers and read buffer per connection (bodies stream
         * through in chunks): 8 KB keeps 20,000 idle connections
         * at about 160 MB instead of MHD's default 32 KB each */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)8192, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)120, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)4096, MHD_OPTION_THREAD_STACK_SIZE,
        (size_t)(512 * 1024), MHD_OPTION_END);
    if (!s->d) {
        gt_fail(err, GT_E_IO, "listen", "cannot listen on %s (in use, or not an address here)",
                listen);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    if (info)
        s->port = info->port;
    return s;
}

int gt_http_port(const gt_http_server *s) {
    return s->port;
}

void gt_http_stop(gt_http_server *s) {
    if (!s)
        return;
    /* The owner answers its deferred requests before stopping (see the header); one it
     * forgot is answered 503 here so that its connection can close. */
    pthread_mutex_lock(&s->mu);
    for (gt_http_later *l = s->laters; l; l = l->next) {
        pthread_mutex_lock(&l->mu);
        int resume = !l->answered && l->suspended;
        if (!l->answered) {
            l->answered = 1;
            l->resp = (gt_http_resp){.status = 503};
            l->resp.body = strdup("{\"error\":{\"code\":\"unavailable\",\"message\":\"the "
                                  "server is stopping\"}}");
            l->resp.len = l->resp.body ? strlen(l->resp.body) : 0;
        }
        pthread_mutex_unlock(&l->mu);
        if (resume)
            MHD_resume_connection(l->c);
    }
    pthread_mutex_unlock(&s->mu);
    MHD_stop_daemon(s->d);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
