/* SPDX-License-Identifier: MIT
 * libFuzzer harness for the controller <-> agent messages (proto/). The first input byte
 * picks the decoder, counted from '0' modulo 7: item, register, welcome, heartbeat, batch,
 * events, health (the seed corpus, tests/fuzz/corpus/proto, writes it as '0'..'6'); the
 * rest is the JSON text.
 *
 * Any text returns cleanly. On failure the error record has the returned code, a message
 * and a field, and the output is empty (every pointer and count 0). What decodes encodes
 * (welcome and batch: item by item, then the envelope from the items' texts, as gantryd
 * sends them) to a text that decodes to an equal message, and that message encodes to the
 * same text. Any broken check prints its name and the texts, then aborts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *check, const char *text, size_t len) {
    fprintf(stderr, "fuzz_proto: %s\ninput: %.*s\n", check, (int)len, text);
    abort();
}

/* A failed decode: the record matches the code and says what and where. */
static void check_error(gt_err e, const gt_error *err, const char *text, size_t len) {
    if (err->code != e || !err->msg[0] || !err->where[0])
        fail("error record without code, message or field", text, len);
}

/* The second encoding of the message must read as the first. */
static void check_same_text(const char *a, const char *b) {
    if (!b || strcmp(a, b)) {
        fprintf(stderr, "fuzz_proto: encodings differ\nfirst:  %s\nsecond: %s\n", a,
                b ? b : "(null)");
        abort();
    }
}

/* What an encoder returned: NULL (out of memory) cannot happen here. */
static char *encoded(char *t) {
    if (!t)
        fail("encoder returned NULL", "", 0);
    return t;
}

/* e: what decoding the encoder's text t returned; it must be success. */
static void check_own(gt_err e, const char *t, const gt_error *err) {
    if (e != GT_E_OK) {
        fprintf(stderr, "fuzz_proto: %s: %s\n", err->where, err->msg);
        fail("the encoder's text does not decode", t, strlen(t));
    }
}

/* ---- items ---- */

static int launch_empty(const gt_proto_launch *l) {
    return !l->name && !l->tenant && !l->kind && !l->argv && !l->argc && !l->env && !l->nenv &&
           !l->workdir && !l->user;
}

static int item_empty(const gt_proto_item *m) {
    const gt_proto_start *s = &m->start;
    return !m->kind && !s->node && !s->master_addr && !s->ranks && !s->nranks && !s->hosts &&
           !s->nhosts && launch_empty(&s->launch) && !m->stop.node && !m->stop.reason;
}

static void fuzz_item(const char *text, size_t len) {
    gt_proto_item m, again;
    gt_error err = {0};
    gt_err e = gt_proto_item_decode(text, len, &m, &err);
    if (e) {
        check_error(e, &err, text, len);
        if (!item_empty(&m))
            fail("item: output not empty after an error", text, len);
        return;
    }
    char *t1 = encoded(gt_proto_item_encode(&m));
    check_own(gt_proto_item_decode(t1, strlen(t1), &again, &err), t1, &err);
    if (!gt_proto_item_equal(&m, &again))
        fail("item: decode(encode(m)) != m", t1, strlen(t1));
    char *t2 = gt_proto_item_encode(&again);
    check_same_text(t1, t2);
    gt_proto_item_free(&m);
    gt_proto_item_free(&again);
    free(t1);
    free(t2);
}

/* Each item's text (the caller frees them with texts_free). */
static char **item_texts(const gt_proto_item *items, size_t n) {
    char **t = calloc(n ? n : 1, sizeof *t);
    if (!t)
        abort();
    for (size_t i = 0; i < n; i++)
        if (!(t[i] = gt_proto_item_encode(&items[i])))
            fail("item encoder returned NULL", "", 0);
    return t;
}

static void texts_free(char **t, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(t[i]);
    free(t);
}

static int items_equal(const gt_proto_item *a, const gt_proto_item *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!gt_proto_item_equal(&a[i], &b[i]))
            return 0;
    return 1;
}

/* ---- register ---- */

static void fuzz_register(const char *text, size_t len) {
    gt_proto_register m, again;
    gt_error err = {0};
    gt_err e = gt_proto_register_decode(text, len, &m, &err);
    if (e) {
        check_error(e, &err, text, len);
        if (m.proto || m.agent || m.url || m.nodes || m.nnodes)
            fail("register: output not empty after an error", text, len);
        return;
    }
    char *t1 = encoded(gt_proto_register_encode(&m));
    check_own(gt_proto_register_decode(t1, strlen(t1), &again, &err), t1, &err);
    if (!gt_proto_register_equal(&m, &again))
        fail("register: decode(encode(m)) != m", t1, strlen(t1));
    char *t2 = gt_proto_register_encode(&again);
    check_same_text(t1, t2);
    gt_proto_register_free(&m);
    gt_proto_register_free(&again);
    free(t1);
    free(t2);
}

/* ---- welcome ---- */

static char *welcome_text(const gt_proto_welcome *m) {
    char **t = item_texts(m->items, m->nitems);
    char *s = gt_proto_welcome_encode(m, (const char *const *)t, m->nitems);
    texts_free(t, m->nitems);
    return s;
}

static void fuzz_welcome(const char *text, size_t len) {
    gt_proto_welcome m, again;
    gt_error err = {0};
    gt_err e = gt_proto_welcome_decode(text, len, &m, &err);
    if (e) {
        check_error(e, &err, text, len);
        if (m.proto || m.session || m.heartbeat_s || m.seq || m.items || m.nitems)
            fail("welcome: output not empty after an error", text, len);
        return;
    }
    char *t1 = encoded(welcome_text(&m));
    check_own(gt_proto_welcome_decode(t1, strlen(t1), &again, &err), t1, &err);
    if (again.proto != m.proto || again.session != m.session ||
        again.heartbeat_s != m.heartbeat_s || again.lease_s != m.lease_s || again.seq != m.seq ||
        again.nitems != m.nitems || !items_equal(m.items, again.items, m.nitems))
        fail("welcome: decode(encode(m)) != m", t1, strlen(t1));
    char *t2 = welcome_text(&again);
    check_same_text(t1, t2);
    gt_proto_welcome_free(&m);
    gt_proto_welcome_free(&again);
    free(t1);
    free(t2);
}

/* ---- heartbeat ---- */

static void fuzz_heartbeat(const char *text, size_t len) {
    gt_proto_heartbeat m, again;
    gt_error err = {0};
    gt_err e = gt_proto_heartbeat_decode(text, len, &m, &err);
    if (e) {
        check_error(e, &err, text, len);
        if (m.agent || m.session)
            fail("heartbeat: output not empty after an error", text, len);
        return;
    }
    char *t1 = encoded(gt_proto_heartbeat_encode(&m));
    check_own(gt_proto_heartbeat_decode(t1, strlen(t1), &again, &err), t1, &err);
    if (!m.agent || !again.agent || strcmp(m.agent, again.agent) || m.session != again.session)
        fail("heartbeat: decode(encode(m)) != m", t1, strlen(t1));
    char *t2 = gt_proto_heartbeat_encode(&again);
    check_same_text(t1, t2);
    gt_proto_heartbeat_free(&m);
    gt_proto_heartbeat_free(&again);
    free(t1);
    free(t2);
}

/* ---- batch ---- */

static char *batch_text(const gt_proto_batch *m) {
    char **t = item_texts(m->items, m->nitems);
    char *s = gt_proto_batch_encode(m->seq, (const char *const *)t, m->nitems);
    texts_free(t, m->nitems);
    return s;
}

static void fuzz_batch(const char *text, size_t len) {
    gt_proto_batch m, again;
    gt_error err = {0};
    gt_err e = gt_proto_batch_decode(text, len, &m, &err);
    if (e) {
        check_error(e, &err, text, len);
        if (m.seq || m.items || m.nitems)
            fail("batch: output not empty after an error", text, len);
        return;
    }
    char *t1 = encoded(batch_text(&m));
    check_own(gt_proto_batch_decode(t1, strlen(t1), &again, &err), t1, &err);
    if (again.seq != m.seq || again.nitems != m.nitems ||
        !items_equal(m.items, again.items, m.nitems))
        fail("batch: decode(encode(m)) != m", t1, strlen(t1));
    char *t2 = batch_text(&again);
    check_same_text(t1, t2);
    gt_proto_batch_free(&m);
    gt_proto_batch_free(&again);
    free(t1);
    free(t2);
}

/* ---- events ---- */

static void fuzz_events(const char *text, size_t len) {
    gt_proto_events m, again;
    gt_error err = {0};
    gt_err e = gt_proto_events_decode(text, len, &m, &err);
    if (e) {
        check_error(e, &err, text, len);
        if (m.agent || m.session || m.events || m.nevents)
            fail("events: output not empty after an error", text, len);
        return;
    }
    char *t1 = encoded(gt_proto_events_encode(&m));
    check_own(gt_proto_events_decode(t1, strlen(t1), &again, &err), t1, &err);
    if (!gt_proto_events_equal(&m, &again))
        fail("events: decode(encode(m)) != m", t1, strlen(t1));
    char *t2 = gt_proto_events_encode(&again);
    check_same_text(t1, t2);
    gt_proto_events_free(&m);
    gt_proto_events_free(&again);
    free(t1);
    free(t2);
}

/* ---- health ---- */

static void fuzz_health(const char *text, size_t len) {
    gt_proto_health m, again;
    gt_error err = {0};
    gt_err e = gt_proto_health_decode(text, len, &m, &err);
    if (e) {
        check_error(e, &err, text, len);
        if (m.agent || m.session || m.nodes || m.nnodes)
            fail("health: output not empty after an error", text, len);
        return;
    }
    char *t1 = encoded(gt_proto_health_encode(&m));
    check_own(gt_proto_health_decode(t1, strlen(t1), &again, &err), t1, &err);
    if (!gt_proto_health_equal(&m, &again))
        fail("health: decode(encode(m)) != m", t1, strlen(t1));
    char *t2 = gt_proto_health_encode(&again);
    check_same_text(t1, t2);
    gt_proto_health_free(&m);
    gt_proto_health_free(&again);
    free(t1);
    free(t2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static void (*const decoders[])(const char *, size_t) = {
        fuzz_item,  fuzz_register, fuzz_welcome, fuzz_heartbeat,
        fuzz_batch, fuzz_events,   fuzz_health};
    if (size == 0)
        return 0;
    /* An exact-size copy, not NUL-terminated: ASan sees any read past the end. */
    size_t len = size - 1;
    char *text = malloc(len ? len : 1);
    if (!text)
        abort();
    memcpy(text, data + 1, len);
    decoders[(uint8_t)(data[0] - '0') % 7](text, len);
    free(text);
    return 0;
}
