/* SPDX-License-Identifier: MIT
 * The HTTP client over libcurl (see http.h).
 *
 * Design notes
 *  1. One easy handle, reset per request only in what changes (URL, method, body, the
 *     callbacks' targets); the connection stays open between requests.
 *  2. The body goes into a growing gt_sb; the X-Gantry-* headers are picked out by the
 *     header callback. The caller owns the response.
 *  3. Transport failures are reported as the operating system's reason when there is one
 *     ("Connection refused"), else libcurl's, so the CLI's message reads the same
 *     whatever the libcurl version.
 *  4. Loopback never goes through a proxy, whatever http_proxy says. */
#include "cli/http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct gt_cli_http {
    CURL *curl;
    struct curl_slist *headers, *headers_json; /* without and with a JSON body */
    char base[512];
    char errbuf[CURL_ERROR_SIZE];
    char noproxy[512];
    long timeout_ms;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    gt_sb *b = ud;
    gt_sb_putn(b, p, size * n);
    return b->oom ? 0 : size * n;
}

/* The value of header `name` in the line p (len bytes), or NULL. */
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
    gt_cli_http_resp *r = ud;
    char v[64];
    if (header_value(p, size * n, "X-Gantry-Offset", v, sizeof v))
        r->offset = strtoll(v, NULL, 10);
    else if (header_value(p, size * n, "X-Gantry-Done", v, sizeof v))
        r->done = strcmp(v, "1") == 0;
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

gt_cli_http *gt_cli_http_new(const char *base_url, const char *token, double timeout_s) {
    static int inited;
    if (!inited && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return NULL;
    inited = 1;
    gt_cli_http *h = calloc(1, sizeof *h);
    if (!h || !(h->curl = curl_easy_init()) || !(h->headers = make_headers(token, 0)) ||
        !(h->headers_json = make_headers(token, 1))) {
        gt_cli_http_free(h);
        return NULL;
    }
    snprintf(h->base, sizeof h->base, "%s", base_url);
    const char *np = getenv("no_proxy") ? getenv("no_proxy") : getenv("NO_PROXY");
    snprintf(h->noproxy, sizeof h->noproxy, "localhost,127.0.0.1,::1%s%s", np && *np ? "," : "",
             np && *np ? np : "");
    h->timeout_ms = timeout_s > 0 ? (long)(timeout_s * 1000) : 0;
    CURL *c = h->curl;
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
    curl_easy_setopt(c, CURLOPT_NOPROXY, h->noproxy);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "gantry-cli");
    return h;
}

void gt_cli_http_free(gt_cli_http *h) {
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->headers);
    curl_slist_free_all(h->headers_json);
    free(h);
}

void gt_cli_http_resp_free(gt_cli_http_resp *r) {
    if (r)
        gt_sb_free(&r->body);
}

/* The method and the body of this request on the reused handle. */
static void set_method(CURL *c, const char *method, const char *body) {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        return;
    }
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
    if (strcmp(method, "POST") != 0)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
}

static void describe_failure(gt_cli_http *h, CURLcode rc, gt_cli_http_resp *r) {
    long os_errno = 0;
    curl_easy_getinfo(h->curl, CURLINFO_OS_ERRNO, &os_errno);
    if (rc == CURLE_OPERATION_TIMEDOUT)
        snprintf(r->error, sizeof r->error, "no answer within %.3g s", h->timeout_ms / 1000.0);
    else if (os_errno != 0)
        snprintf(r->error, sizeof r->error, "%s", strerror((int)os_errno));
    else
        snprintf(r->error, sizeof r->error, "%s",
                 h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
}

int gt_cli_http_do(gt_cli_http *h, const char *method, const char *path, const char *body,
                   gt_cli_http_resp *r) {
    memset(r, 0, sizeof *r);
    gt_sb_init(&r->body);
    r->offset = -1;
    char url[2048];
    snprintf(url, sizeof url, "%s%s", h->base, path);
    CURL *c = h->curl;
    h->errbuf[0] = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    set_method(c, method, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, body ? h->headers_json : h->headers);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        describe_failure(h, rc, r);
        return -1;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    return 0;
}
