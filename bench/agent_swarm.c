/* SPDX-License-Identifier: MIT
 * A swarm of node agents for gantryd's scale benchmark: N agents, each serving one node of
 * a cluster config's fleet, speaking the agent protocol over real TCP connections, all
 * from one process (epoll). Each agent, like gantry-agent, holds two keep-alive
 * connections: one for its long-poll of assignments, one for registration, heartbeats and
 * exit events. Units "run" for their duration_s, like `gantry-agent --emulate`, and their
 * exits are reported as one event per unit and node.
 *
 *   agent_swarm --url http://127.0.0.1:7070 --token NODE_TOKEN --config FLEET.yaml
 *               [--agents N] [--seconds D] [--json]
 *
 * It measures what the controller gives 10,000 real agents: the time to register them all,
 * heartbeat latency (send to answer, p50/p99/max), the long-polls answered, the items
 * received and the exits reported, and every error. It runs D seconds after the last
 * registration (default 60), or until SIGTERM, then prints a summary (and one JSON line
 * with --json). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/topo.h"
#include "sys/readfile.h"

enum { K_NONE, K_REGISTER, K_HEARTBEAT, K_EVENTS, K_POLL };

typedef struct {
    int fd, kind; /* kind: the request in flight, K_NONE when idle */
    char *out;
    size_t out_len, out_off;
    char *in;
    size_t in_len, in_cap;
    int64_t sent_ns;
} sock_t;

typedef struct {
    uint32_t job, unit, gen, rank;
    int ranks;
    int64_t end_ms;
} run_t;

typedef struct {
    char id[32];
    const char *node;
    json_t *node_json;
    uint64_t session, seq;
    int registered;
    int64_t next_hb_ms;
    sock_t s[2]; /* 0: control, 1: poll */
    run_t *runs;
    size_t nruns, cap;
    json_t *events;
} agent_t;

static struct {
    struct sockaddr_in addr;
    char host[64], token[256];
    int epfd;
    int heartbeat_s;
    double *hb_ms;
    size_t nhb, hb_cap;
    long polls, items, starts, stops, exits, registered, errors[5], reconnects;
} G;

static volatile sig_atomic_t stop_flag;
static void on_term(int sig) {
    (void)sig;
    stop_flag = 1;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
static int64_t now_ms(void) {
    return now_ns() / 1000000;
}

static void die(const char *msg) {
    fprintf(stderr, "agent_swarm: %s\n", msg);
    exit(2);
}

/* ---- connections ---- */

static int sock_open(sock_t *s, void *owner) {
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0)
        return 0;
    int one = 1;
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(s->fd, (struct sockaddr *)&G.addr, sizeof G.addr) != 0 && errno != EINPROGRESS) {
        close(s->fd);
        s->fd = -1;
        return 0;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = owner};
    epoll_ctl(G.epfd, EPOLL_CTL_ADD, s->fd, &ev);
    s->kind = K_NONE;
    s->in_len = 0;
    return 1;
}

static void sock_close(sock_t *s) {
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    s->kind = K_NONE;
    free(s->out);
    s->out = NULL;
    s->in_len = 0;
}

static void sock_flush(sock_t *s) {
    while (s->out && s->out_off < s->out_len) {
        ssize_t n = send(s->fd, s->out + s->out_off, s->out_len - s->out_off, MSG_NOSIGNAL);
        if (n <= 0)
            return; /* EAGAIN: epoll says when to go on; errors show up as EOF on read */
        s->out_off += (size_t)n;
    }
}

static void sock_send(sock_t *s, int kind, const char *method, const char *path, const char *body) {
    free(s->out);
    size_t blen = body ? strlen(body) : 0;
    int n = asprintf(&s->out,
                     "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     method, path, G.host, G.token, blen, body ? body : "");
    if (n < 0)
        die("out of memory");
    s->out_len = (size_t)n;
    s->out_off = 0;
    s->kind = kind;
    s->sent_ns = now_ns();
    sock_flush(s);
}

/* A whole response in s->in: its status and body (NUL-terminated in place); 0 if not yet. */
static int sock_response(sock_t *s, int *status, char **body, size_t *used) {
    if (s->in_len < 12)
        return 0;
    char *end = memmem(s->in, s->in_len, "\r\n\r\n", 4);
    if (!end)
        return 0;
    size_t hlen = (size_t)(end - s->in) + 4, clen = 0;
    for (char *p = s->in; p && p < end; p = memchr(p, '\n', (size_t)(end - p))) {
        p += *p == '\n';
        if (!strncasecmp(p, "Content-Length:", 15))
            clen = strtoul(p + 15, NULL, 10);
    }
    if (s->in_len < hlen + clen)
        return 0;
    *status = atoi(s->in + 9);
    s->in[hlen + clen] = 0; /* one request in flight: nothing follows the body yet */
    *body = s->in + hlen;
    *used = hlen + clen;
    return 1;
}

/* ---- the protocol ---- */

static void send_register(agent_t *a) {
    json_t *b = json_pack("{s:s, s:s, s:[O]}", "agent", a->id, "url", "http://127.0.0.1:9", "nodes",
                          a->node_json);
    char *text = json_dumps(b, JSON_COMPACT);
    sock_send(&a->s[0], K_REGISTER, "POST", "/v1/agent/register", text);
    free(text);
    json_decref(b);
}

static void send_poll(agent_t *a) {
    char path[256];
    snprintf(path, sizeof path, "/v1/agent/assignments?agent=%s&session=%llu&seq=%llu&wait=20",
             a->id, (unsigned long long)a->session, (unsigned long long)a->seq);
    sock_send(&a->s[1], K_POLL, "GET", path, NULL);
}

static void run_items(agent_t *a, json_t *items) {
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        G.items++;
        const char *op = json_string_value(json_object_get(it, "op"));
        uint32_t job = (uint32_t)json_integer_value(json_object_get(it, "job"));
        uint32_t unit = (uint32_t)json_integer_value(json_object_get(it, "unit"));
        uint32_t gen = (uint32_t)json_integer_value(json_object_get(it, "gen"));
        if (op && !strcmp(op, "stop")) {
            G.stops++;
            for (size_t k = 0; k < a->nruns; k++)
                if (a->runs[k].job == job && a->runs[k].unit == unit && a->runs[k].gen == gen)
                    a->runs[k--] = a->runs[--a->nruns];
            continue;
        }
        G.starts++;
        if (a->nruns == a->cap) {
            a->cap = a->cap ? a->cap * 2 : 4;
            a->runs = realloc(a->runs, a->cap * sizeof *a->runs);
            if (!a->runs)
                die("out of memory");
        }
        json_t *ranks = json_object_get(it, "ranks"), *d = json_object_get(it, "duration_s");
        a->runs[a->nruns++] = (run_t){
            job,
            unit,
            gen,
            (uint32_t)json_integer_value(json_object_get(json_array_get(ranks, 0), "rank")),
            (int)json_array_size(ranks),
            json_is_number(d) ? now_ms() + (int64_t)(json_number_value(d) * 1000) : INT64_MAX};
    }
}

static void on_answer(agent_t *a, sock_t *s, int status, const char *body) {
    int kind = s->kind;
    s->kind = K_NONE;
    if (status != 200) {
        G.errors[kind]++;
        if (status == 404 && kind != K_REGISTER)
            a->registered = 0; /* the session is gone: register again */
        return;
    }
    json_t *j = kind == K_HEARTBEAT ? NULL : json_loads(body, 0, NULL);
    if (kind == K_HEARTBEAT) {
        if (G.nhb == G.hb_cap) {
            G.hb_cap = G.hb_cap ? G.hb_cap * 2 : 65536;
            G.hb_ms = realloc(G.hb_ms, G.hb_cap * sizeof *G.hb_ms);
            if (!G.hb_ms)
                die("out of memory");
        }
        G.hb_ms[G.nhb++] = (double)(now_ns() - s->sent_ns) / 1e6;
    } else if (kind == K_REGISTER && j) {
        a->session = (uint64_t)json_integer_value(json_object_get(j, "session"));
        a->seq = (uint64_t)json_integer_value(json_object_get(j, "seq"));
        G.heartbeat_s = (int)json_integer_value(json_object_get(j, "heartbeat_s"));
        a->nruns = 0;
        run_items(a, json_object_get(j, "items"));
        a->registered = 1;
        a->next_hb_ms = now_ms() + (G.heartbeat_s > 0 ? G.heartbeat_s : 5) * 1000;
        G.registered++;
    } else if (kind == K_POLL && j) {
        G.polls++;
        a->seq = (uint64_t)json_integer_value(json_object_get(j, "seq"));
        run_items(a, json_object_get(j, "items"));
    } else if (kind == K_EVENTS) {
        json_array_clear(a->events);
    }
    json_decref(j);
}

static void on_readable(agent_t *a, sock_t *s) {
    for (;;) {
        if (s->in_cap - s->in_len < 4096) {
            s->in_cap = s->in_cap ? s->in_cap * 2 : 8192;
            s->in = realloc(s->in, s->in_cap);
            if (!s->in)
                die("out of memory");
        }
        ssize_t n = recv(s->fd, s->in + s->in_len, s->in_cap - s->in_len - 1, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            G.reconnects++;
            sock_close(s);
            a->registered = s == &a->s[0] ? 0 : a->registered;
            sock_open(s, a);
            return;
        }
        if (n < 0)
            break;
        s->in_len += (size_t)n;
    }
    int status;
    char *body;
    size_t used;
    while (s->kind != K_NONE && sock_response(s, &status, &body, &used)) {
        on_answer(a, s, status, body);
        memmove(s->in, s->in + used, s->in_len - used);
        s->in_len -= used;
    }
}

/* What each agent does next, when its connections are idle. */
static void step(agent_t *a, int64_t t) {
    sock_t *c = &a->s[0], *p = &a->s[1];
    for (size_t k = 0; k < a->nruns; k++)
        if (t >= a->runs[k].end_ms) {
            run_t *r = &a->runs[k];
            json_array_append_new(a->events,
                                  json_pack("{s:s, s:I, s:I, s:I, s:s, s:I, s:i, s:i, s:s, s:i}",
                                            "type", "exited", "job", (json_int_t)r->job, "unit",
                                            (json_int_t)r->unit, "gen", (json_int_t)r->gen, "node",
                                            a->node, "rank", (json_int_t)r->rank, "exit_code", 0,
                                            "signal", 0, "reason", "", "ranks", r->ranks));
            G.exits++;
            a->runs[k--] = a->runs[--a->nruns];
        }
    if (c->fd < 0 || c->kind != K_NONE)
        return;
    if (!a->registered) {
        send_register(a);
    } else if (json_array_size(a->events)) {
        json_t *b = json_pack("{s:s, s:I, s:O}", "agent", a->id, "session", (json_int_t)a->session,
                              "events", a->events);
        char *text = json_dumps(b, JSON_COMPACT);
        sock_send(c, K_EVENTS, "POST", "/v1/agent/events", text);
        free(text);
        json_decref(b);
    } else if (t >= a->next_hb_ms) {
        char body[160];
        snprintf(body, sizeof body, "{\"agent\":\"%s\",\"session\":%llu}", a->id,
                 (unsigned long long)a->session);
        sock_send(c, K_HEARTBEAT, "POST", "/v1/agent/heartbeat", body);
        a->next_hb_ms = t + G.heartbeat_s * 1000;
    }
    if (a->registered && p->fd >= 0 && p->kind == K_NONE)
        send_poll(a);
}

static int cmp_d(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

int main(int argc, char **argv) {
    const char *url = NULL, *token = NULL, *config = NULL;
    int n = 10000, json_out = 0;
    double seconds = 60;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--json"))
            json_out = 1;
        else if (!v)
            die("usage: agent_swarm --url URL --token T --config FLEET [--agents N] "
                "[--seconds D] [--json]");
        else if (!strcmp(argv[i], "--url") && ++i)
            url = v;
        else if (!strcmp(argv[i], "--token") && ++i)
            token = v;
        else if (!strcmp(argv[i], "--config") && ++i)
            config = v;
        else if (!strcmp(argv[i], "--agents") && ++i)
            n = atoi(v);
        else if (!strcmp(argv[i], "--seconds") && ++i)
            seconds = atof(v);
        else
            die("unknown option (see the header of bench/agent_swarm.c)");
    }
    int port = 0;
    if (!url || !token || !config || sscanf(url, "http://%63[^:]:%d", G.host, &port) != 2 || n < 1)
        die("need --url http://HOST:PORT, --token and --config");
    snprintf(G.token, sizeof G.token, "%s", token);
    G.addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, G.host, &G.addr.sin_addr) != 1)
        die("--url: an IPv4 address, please");
    struct rlimit rl, want = {1 << 17, 1 << 17};
    if (setrlimit(RLIMIT_NOFILE, &want) != 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    size_t len;
    gt_error err = {0};
    char *text = gt_file_read(config, 64 << 20, &len, &err);
    gt_config *cfg = NULL;
    if (!text || gt_config_parse(text, len, config, &cfg, &err))
        die(err.msg);
    free(text);
    const gt_topo *t = cfg->topo;
    agent_t *ag = calloc((size_t)n, sizeof *ag);
    int na = 0;
    for (uint32_t v = 0; v < t->nv && na < n; v++) {
        if (t->level[v] != t->nlevels - 1)
            continue;
        agent_t *a = &ag[na];
        snprintf(a->id, sizeof a->id, "swarm-%d", na);
        a->node = gt_topo_name(t, v);
        a->node_json =
            json_pack("{s:s, s:i, s:s, s:i, s:I}", "name", a->node, "gpus", (int)t->n_gpus[v],
                      "gpu_model", t->n_gpus[v] ? t->model_names[t->n_model[v]] : "", "cpus",
                      (int)t->n_cpus[v], "memory_mb", (json_int_t)t->n_mem[v]);
        a->events = json_array();
        a->s[0].fd = a->s[1].fd = -1;
        na++;
    }
    G.epfd = epoll_create1(EPOLL_CLOEXEC);
    G.heartbeat_s = 5;
    int64_t t0 = now_ms(), t_reg = 0, t_end = INT64_MAX;
    struct epoll_event evs[1024];
    int opened = 0;
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    signal(SIGPIPE, SIG_IGN);
    while (now_ms() < t_end && !stop_flag) {
        /* Open connections a thousand at a time: a SYN flood would only be dropped. */
        for (int k = 0; k < 1000 && opened < na; k++, opened++)
            if (!sock_open(&ag[opened].s[0], &ag[opened]) ||
                !sock_open(&ag[opened].s[1], &ag[opened]))
                die(strerror(errno));
        int ne = epoll_wait(G.epfd, evs, 1024, 20);
        for (int e = 0; e < ne; e++) {
            agent_t *a = evs[e].data.ptr;
            for (int k = 0; k < 2; k++) {
                if (a->s[k].fd < 0)
                    continue;
                sock_flush(&a->s[k]);
                on_readable(a, &a->s[k]);
            }
        }
        int64_t tn = now_ms();
        for (int i = 0; i < opened; i++)
            step(&ag[i], tn);
        if (!t_reg && G.registered >= na) {
            t_reg = tn;
            t_end = tn + (int64_t)(seconds * 1000);
            G.nhb = 0; /* heartbeat latency in the steady state only */
            fprintf(stderr, "agent_swarm: %d agents registered in %.1f s\n", na,
                    (double)(t_reg - t0) / 1000);
        }
    }
    qsort(G.hb_ms, G.nhb, sizeof *G.hb_ms, cmp_d);
    double p50 = G.nhb ? G.hb_ms[G.nhb / 2] : 0, p99 = G.nhb ? G.hb_ms[G.nhb * 99 / 100] : 0;
    double mx = G.nhb ? G.hb_ms[G.nhb - 1] : 0;
    long errs = G.errors[1] + G.errors[2] + G.errors[3] + G.errors[4];
    printf("agents %d (connections %d), registered in %.1f s\n", na, 2 * na,
           (double)(t_reg - t0) / 1000);
    double span = t_reg ? (double)(now_ms() - t_reg) / 1000 : 0;
    printf("heartbeats %zu in %.0f s: latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", G.nhb, span,
           p50, p99, mx);
    printf("long-polls answered %ld, items %ld (%ld starts, %ld stops), exits reported %ld\n",
           G.polls, G.items, G.starts, G.stops, G.exits);
    printf("errors: register %ld, heartbeat %ld, events %ld, poll %ld; reconnects %ld\n",
           G.errors[1], G.errors[2], G.errors[3], G.errors[4], G.reconnects);
    if (json_out)
        printf("{\"agents\":%d,\"register_s\":%.2f,\"heartbeats\":%zu,\"hb_p50_ms\":%.3f,"
               "\"hb_p99_ms\":%.3f,\"hb_max_ms\":%.3f,\"polls\":%ld,\"starts\":%ld,\"exits\":%ld,"
               "\"errors\":%ld,\"reconnects\":%ld}\n",
               na, (double)(t_reg - t0) / 1000, G.nhb, p50, p99, mx, G.polls, G.starts, G.exits,
               errs, G.reconnects);
    gt_config_free(cfg);
    return errs ? 1 : 0;
}
