/* SPDX-License-Identifier: MIT
 * libcurl easy interface, one handle reused per client (keep-alive). */
#include "sys/http_client.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct gt_http_client {
    CURL *curl;
    struct curl_slist *headers;
    const volatile int *abort_flag;
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

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
    gt_http_answer *a = ud;
    size_t len = size * n;
    if (len > 16 && !strncasecmp(p, "X-Gantry-Offset:", 16))
        a->offset = strtoll(p + 16, NULL, 10);
    else if (len > 14 && !strncasecmp(p, "X-Gantry-Done:", 14))
        a->done = atoi(p + 14) == 1;
    return len;
}

gt_http_client *gt_http_client_new(const char *token) {
    static int inited;
    if (!inited) {
        curl_global_init(CURL_GLOBAL_DEFAULT); /* first call from the main thread */
        inited = 1;
    }
    gt_http_client *h = calloc(1, sizeof *h);
    if (!h || !(h->curl = curl_easy_init())) {
        free(h);
        return NULL;
    }
    h->headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (token) {
        char auth[300];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        h->headers = curl_slist_append(h->headers, auth);
    }
    return h;
}

void gt_http_client_free(gt_http_client *h) {
    if (!h)
        return;
    curl_slist_free_all(h->headers);
    curl_easy_cleanup(h->curl);
    free(h);
}

gt_err gt_http_call(gt_http_client *h, const char *method, const char *url, const char *body,
                    long timeout_ms, gt_http_answer *out, gt_error *err) {
    memset(out, 0, sizeof *out);
    out->offset = -1;
    CURL *c = h->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 5000 ? timeout_ms : 5000);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    if (h->abort_flag) {
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)h->abort_flag);
    }
    if (!strcmp(method, "POST")) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        gt_http_answer_free(out);
        return gt_fail(err, GT_E_UNAVAILABLE, url, "%s", curl_easy_strerror(rc));
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    out->status = (int)status;
    if (!out->body)
        out->body = calloc(1, 1);
    return GT_E_OK;
}

void gt_http_answer_free(gt_http_answer *a) {
    free(a->body);
    a->body = NULL;
    a->len = 0;
}
