/* SPDX-License-Identifier: MIT
 * The HTTP client (see http_client.h).
 *
 * Design notes
 *  1. One easy handle per client, reset per call (curl_easy_reset keeps the connection
 *     cache): the connection stays open between calls.
 *  2. The body grows in one malloc'd buffer; the X-Gantry-* headers are picked out by the
 *     header callback. The caller owns the answer.
 *  3. Transport failures read the same whatever the libcurl version: the OS's reason when
 *     there is one, a timeout as such, else libcurl's own text. */
#include "sys/http_client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct gt_http_client {
    CURL *curl;
    struct curl_slist *headers, *headers_json; /* without and with a JSON body */
    const volatile int *abort_flag;
    char errbuf[CURL_ERROR_SIZE];
    char noproxy[512];
};

static int on_progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d) {
    (void)a, (void)b, (void)c, (void)d;
    const volatile int *flag = ud;
    return *flag != 0;
}

void gt_http_client_abort_on(gt_http_client *h, const volatile int *flag) {
    h->abort_flag = flag;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    gt_http_answer *a = ud;
    size_t len = size * n;
    char *nb = realloc(a->body, a->len + len + 1);
    if (!nb)
        return 0;
    memcpy(nb + a->len, p, len);
    a->body = nb;
    a->len += len;
    a->body[a->len] = 0;
    return len;
}

/* The value of header `name` in the line p (len bytes) into out, or NULL. */
static const char *header_value(const char *p, size_t len, const char *name, char *out,
                                size_t outlen) {
    size_t n = strlen(name);
    if (len <= n || strncasecmp(p, name, n) != 0 || p[n] != ':')
        return NULL;
    p += n + 1;
    len -= n + 1;
    while (len > 0 && (*p == ' ' || *p == '\t'))
        p++, len--;
    while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n' || p[len - 1] == ' '))
        len--;
    if (len >= outlen)
        len = outlen - 1;
    memcpy(out, p, len);
    out[len] = 0;
    return out;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
    gt_http_answer *a = ud;
    char v[64];
    if (header_value(p, size * n, "X-Gantry-Offset", v, sizeof v))
        a->offset = strtoll(v, NULL, 10);
    else if (header_value(p, size * n, "X-Gantry-Done", v, sizeof v))
        a->done = strcmp(v, "1") == 0;
    return size * n;
}

static struct curl_slist *make_headers(const char *token, int json_body) {
    struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json"), *more = h;
    if (h && json_body)
        more = curl_slist_append(h, "Content-Type: application/json");
    if (more && token && *token) {
        char auth[600];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        more = curl_slist_append(h, auth);
    }
    if (!more) {
        curl_slist_free_all(h);
        return NULL;
    }
    return h;
}

gt_http_client *gt_http_client_new(const char *token) {
    static int inited; /* the first call comes from the main thread, before any other */
    if (!inited && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return NULL;
    inited = 1;
    gt_http_client *h = calloc(1, sizeof *h);
    if (!h || !(h->curl = curl_easy_init()) || !(h->headers = make_headers(token, 0)) ||
        !(h->headers_json = make_headers(token, 1))) {
        gt_http_client_free(h);
        return NULL;
    }
    const char *np = getenv("no_proxy") ? getenv("no_proxy") : getenv("NO_PROXY");
    snprintf(h->noproxy, sizeof h->noproxy, "localhost,127.0.0.1,::1%s%s", np && *np ? "," : "",
             np && *np ? np : "");
    return h;
}

int gt_http_client_token(gt_http_client *h, const char *token) {
    struct curl_slist *a = make_headers(token, 0), *b = a ? make_headers(token, 1) : NULL;
    if (!b) {
        curl_slist_free_all(a);
        return 0;
    }
    curl_slist_free_all(h->headers);
    curl_slist_free_all(h->headers_json);
    h->headers = a;
    h->headers_json = b;
    return 1;
}

int gt_http_client_header(gt_http_client *h, const char *line) {
    struct curl_slist *a = curl_slist_append(h->headers, line);
    if (!a)
        return 0;
    h->headers = a;
    struct curl_slist *b = curl_slist_append(h->headers_json, line);
    if (!b)
        return 0; /* (the call without a body has it; one with a body does not) */
    h->headers_json = b;
    return 1;
}

void gt_http_client_free(gt_http_client *h) {
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->headers);
    curl_slist_free_all(h->headers_json);
    free(h);
}

/* The method and the body of this call. */
static void set_method(CURL *c, const char *method, const char *body) {
    if (!strcmp(method, "GET"))
        return; /* curl_easy_reset made it a GET */
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
    if (strcmp(method, "POST"))
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
}

static void set_options(gt_http_client *h, const char *url, long timeout_ms, gt_http_answer *out,
                        const char *body) {
    CURL *c = h->curl;
    curl_easy_reset(c);
    h->errbuf[0] = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, body ? h->headers_json : h->headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     timeout_ms > 0 && timeout_ms < 5000 ? timeout_ms : 5000);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
    curl_easy_setopt(c, CURLOPT_NOPROXY, h->noproxy);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "gantry");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    if (h->abort_flag) {
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)h->abort_flag);
    }
}

static gt_err failed(gt_http_client *h, CURLcode rc, const char *url, long timeout_ms,
                     gt_error *err) {
    long os_errno = 0;
    curl_easy_getinfo(h->curl, CURLINFO_OS_ERRNO, &os_errno);
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return gt_fail(err, GT_E_UNAVAILABLE, url, "no answer within %.3g s",
                       (double)timeout_ms / 1000.0);
    if (os_errno != 0)
        return gt_fail(err, GT_E_UNAVAILABLE, url, "%s", strerror((int)os_errno));
    return gt_fail(err, GT_E_UNAVAILABLE, url, "%s",
                   h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
}

gt_err gt_http_call(gt_http_client *h, const char *method, const char *url, const char *body,
                    long timeout_ms, gt_http_answer *out, gt_error *err) {
    memset(out, 0, sizeof *out);
    out->offset = -1;
    set_options(h, url, timeout_ms, out, body);
    set_method(h->curl, method, body);
    CURLcode rc = curl_easy_perform(h->curl);
    if (rc != CURLE_OK) {
        gt_http_answer_free(out);
        return failed(h, rc, url, timeout_ms, err);
    }
    long status = 0;
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
    out->status = (int)status;
    if (!out->body && !(out->body = calloc(1, 1))) {
        out->len = 0;
        return gt_fail(err, GT_E_NOMEM, url, "out of memory");
    }
    return GT_E_OK;
}

void gt_http_answer_free(gt_http_answer *a) {
    if (!a)
        return;
    free(a->body);
    a->body = NULL;
    a->len = 0;
}
