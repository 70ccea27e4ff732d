/* SPDX-License-Identifier: MIT
 * The agent's units by (job, unit, gen, node): an open-addressing table of pointers into
 * a->units, at most half full, so that a start item is checked against the units already
 * there in O(1) (an emulating agent holds a hundred thousand of them; a scan per start
 * was quadratic). Units leave only in agent_units_gc, which rebuilds the table. */
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"

static uint64_t key_hash(uint32_t job, uint32_t unit, uint32_t gen, const char *node) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a over the ids, then the node's name */
    uint32_t ids[3] = {job, unit, gen};
    const unsigned char *p = (const unsigned char *)ids;
    for (size_t i = 0; i < sizeof ids; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    for (p = (const unsigned char *)node; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

static int same(const a_unit *u, uint32_t job, uint32_t unit, uint32_t gen, const char *node) {
    return u->job == job && u->unit == unit && u->gen == gen && !strcmp(u->node, node);
}

static void put(a_unit **t, size_t cap, a_unit *u) {
    size_t i = (size_t)key_hash(u->job, u->unit, u->gen, u->node) & (cap - 1);
    while (t[i])
        i = (i + 1) & (cap - 1);
    t[i] = u;
}

void agent_unit_index_free(agent *a) {
    free(a->uidx);
    a->uidx = NULL;
    a->uidx_cap = 0;
}

void agent_unit_index_rebuild(agent *a) {
    size_t cap = 64;
    while (cap < 2 * (a->nunits + 1))
        cap *= 2;
    if (cap != a->uidx_cap || !a->uidx) {
        agent_unit_index_free(a);
        if (!(a->uidx = calloc(cap, sizeof *a->uidx)))
            return; /* lookups scan */
        a->uidx_cap = cap;
    } else {
        memset(a->uidx, 0, cap * sizeof *a->uidx);
    }
    for (size_t i = 0; i < a->nunits; i++)
        put(a->uidx, cap, a->units[i]);
}

void agent_unit_index_add(agent *a, a_unit *u) {
    if (a->uidx && 2 * (a->nunits + 1) <= a->uidx_cap)
        put(a->uidx, a->uidx_cap, u);
    else
        agent_unit_index_rebuild(a); /* u is in a->units already */
}

a_unit *agent_unit_find(agent *a, uint32_t job, uint32_t unit, uint32_t gen, const char *node) {
    if (!a->uidx) {
        for (size_t i = 0; i < a->nunits; i++)
            if (same(a->units[i], job, unit, gen, node))
                return a->units[i];
        return NULL;
    }
    size_t i = (size_t)key_hash(job, unit, gen, node) & (a->uidx_cap - 1);
    for (; a->uidx[i]; i = (i + 1) & (a->uidx_cap - 1))
        if (same(a->uidx[i], job, unit, gen, node))
            return a->uidx[i];
    return NULL;
}
