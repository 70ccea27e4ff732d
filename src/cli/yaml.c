/* SPDX-License-Identifier: MIT
 * YAML job specs to JSON (see spec.h): libyaml's document loader, then one recursive walk.
 *
 * Design notes
 *  1. Types come from how a scalar is written, as in YAML 1.2's core schema: a plain
 *     (unquoted) 12 is an integer, 1.5 a real, true a boolean, null or ~ null; "12" in
 *     quotes stays a string, so the job spec parser reports it as the JSON one would.
 *  2. Aliases are followed (libyaml resolves them to node indices), so the walk is bounded
 *     twice: MAX_DEPTH stops an anchor that contains itself, MAX_VALUES stops an
 *     exponential tree of aliases ("billion laughs").
 *  3. Errors are located "WHERE:LINE:COLUMN" like the JSON parser's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cli/spec.h"

#define MAX_DEPTH 64
#define MAX_VALUES 100000

typedef struct {
    yaml_document_t *doc;
    const char *where;
    gt_error *err;
    int values;
} walk;

static json_t *fail_at(walk *w, const yaml_mark_t *m, gt_err code, const char *msg,
                       const char *arg) {
    char loc[160];
    snprintf(loc, sizeof loc, "%s:%zu:%zu", w->where, m->line + 1, m->column + 1);
    gt_fail(w->err, code, loc, "%s%s%s%s", msg, arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
    return NULL;
}

static int matches(const char *s, const char *const *words) {
    for (; *words; words++)
        if (strcmp(s, *words) == 0)
            return 1;
    return 0;
}

/* [-+]?digits, or a real: [-+]?(digits[.digits*]|.digits)([eE][-+]?digits)? */
static int number_kind(const char *s) {
    const char *p = s + (*s == '-' || *s == '+');
    size_t ip = strspn(p, "0123456789"), fp = 0;
    p += ip;
    if (*p == 0)
        return ip > 0 ? 'i' : 0;
    if (*p == '.')
        p += 1 + (fp = strspn(p + 1, "0123456789"));
    if (ip + fp == 0)
        return 0;
    if (*p == 'e' || *p == 'E') {
        p += 1 + (p[1] == '-' || p[1] == '+');
        size_t ep = strspn(p, "0123456789");
        if (ep == 0)
            return 0;
        p += ep;
    }
    return *p == 0 ? 'r' : 0;
}

static json_t *scalar(walk *w, yaml_node_t *n) {
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    const char *s = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || strlen(s) != len)
        return json_stringn(s, len);
    if (matches(s, nulls))
        return json_null();
    if (matches(s, trues) || matches(s, falses))
        return json_boolean(matches(s, trues));
    int kind = number_kind(s);
    errno = 0;
    if (kind == 'i') {
        long long v = strtoll(s, NULL, 10);
        return errno ? fail_at(w, &n->start_mark, GT_E_RANGE, "integer out of range:", s)
                     : json_integer(v);
    }
    if (kind == 'r')
        return json_real(strtod(s, NULL));
    return json_stringn(s, len);
}

static json_t *node_json(walk *w, yaml_node_t *n, int depth);

static json_t *sequence(walk *w, yaml_node_t *n, int depth) {
    json_t *a = json_array();
    for (yaml_node_item_t *it = n->data.sequence.items.start; a && it < n->data.sequence.items.top;
         it++) {
        json_t *v = node_json(w, yaml_document_get_node(w->doc, *it), depth + 1);
        if (!v || json_array_append_new(a, v) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *mapping(walk *w, yaml_node_t *n, int depth) {
    json_t *o = json_object();
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; o && p < n->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
        json_t *v = NULL;
        const char *key =
            k && k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : NULL;
        if (!key)
            fail_at(w, &n->start_mark, GT_E_PARSE, "a key must be a plain string", NULL);
        else if (json_object_get(o, key))
            fail_at(w, &k->start_mark, GT_E_PARSE, "duplicate key", key);
        else
            v = node_json(w, yaml_document_get_node(w->doc, p->value), depth + 1);
        if (!v || json_object_set_new(o, key, v) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

static json_t *node_json(walk *w, yaml_node_t *n, int depth) {
    if (!n)
        return NULL;
    if (depth > MAX_DEPTH)
        return fail_at(w, &n->start_mark, GT_E_LIMIT, "nested too deeply (an alias to itself?)",
                       NULL);
    if (++w->values > MAX_VALUES)
        return fail_at(w, &n->start_mark, GT_E_LIMIT, "too many values (aliases?)", NULL);
    json_t *v = n->type == YAML_SCALAR_NODE     ? scalar(w, n)
                : n->type == YAML_SEQUENCE_NODE ? sequence(w, n, depth)
                : n->type == YAML_MAPPING_NODE  ? mapping(w, n, depth)
                                                : NULL;
    if (!v && w->err && w->err->code == GT_E_OK)
        fail_at(w, &n->start_mark, GT_E_INVALID, "not valid UTF-8 or not a value", NULL);
    return v;
}

/* The parser's error as "WHERE:LINE:COLUMN: problem". */
static json_t *parser_failed(walk *w, const yaml_parser_t *p) {
    const yaml_mark_t *m = p->problem ? &p->problem_mark : &p->context_mark;
    return fail_at(w, m, GT_E_PARSE, p->problem ? p->problem : "malformed YAML", NULL);
}

/* After the first document: nothing but comments, or a parse error. */
static int only_one(walk *w, yaml_parser_t *p) {
    yaml_document_t next;
    if (!yaml_parser_load(p, &next)) {
        parser_failed(w, p);
        return 0;
    }
    int empty = yaml_document_get_root_node(&next) == NULL;
    if (!empty)
        fail_at(w, &next.start_mark, GT_E_PARSE, "one document only", NULL);
    yaml_document_delete(&next);
    return empty;
}

json_t *gt_cli_yaml_to_json(const char *text, size_t len, const char *where, gt_error *err) {
    yaml_parser_t p;
    yaml_document_t doc;
    gt_error local;
    walk w = {&doc, where ? where : "yaml", err ? err : &local, 0};
    w.err->code = GT_E_OK;
    json_t *out = NULL;
    if (!yaml_parser_initialize(&p))
        return NULL;
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    if (!yaml_parser_load(&p, &doc)) {
        parser_failed(&w, &p);
        yaml_parser_delete(&p);
        return NULL;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root)
        fail_at(&w, &p.mark, GT_E_INVALID, "empty document: expected field: value lines", NULL);
    else
        out = node_json(&w, root, 0);
    if (out && !only_one(&w, &p)) {
        json_decref(out);
        out = NULL;
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&p);
    return out;
}
