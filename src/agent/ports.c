/* SPDX-License-Identifier: MIT
 * Ports for units: each unit whose launch names ports ("http", "metrics") gets that many
 * TCP ports of its node from the agent's range (--ports, default 20000-29999), the lowest
 * free ones: no two live units of a node share one, and in real mode none that something
 * on this machine already listens on. A unit holds its ports until its ranks have all
 * ended. They are part of the unit's record (runs/NAME/ports, "NAME PORT" lines), so a
 * restarted agent adopts a running replica with the ports it has. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "sys/probe.h"
#include "sys/readfile.h"

#define DEFAULT_LO 20000
#define DEFAULT_HI 29999

static void range(const agent *a, int *lo, int *hi) {
    *lo = a->o.ports_lo > 0 ? a->o.ports_lo : DEFAULT_LO;
    *hi = a->o.ports_hi > 0 ? a->o.ports_hi : DEFAULT_HI;
}

static int held(const agent *a, const a_unit *self, const char *node, int port) {
    for (size_t i = 0; i < a->nunits; i++) {
        const a_unit *u = a->units[i];
        if (u == self || strcmp(u->node, node))
            continue;
        int alive = 0;
        for (int k = 0; k < u->nranks && !alive; k++)
            alive = !agent_rank_ended(&u->ranks[k]);
        for (uint32_t p = 0; alive && p < u->nports; p++)
            if (u->ports[p].port == port)
                return 1;
    }
    for (uint32_t p = 0; p < self->nports; p++)
        if (self->ports[p].port == port)
            return 1;
    return 0;
}

int agent_ports_assign(agent *a, a_unit *u, char *why, size_t len) {
    const gt_proto_launch *l = &u->start.launch;
    int lo, hi, next;
    range(a, &lo, &hi);
    next = lo;
    u->nports = 0;
    for (uint32_t i = 0; i < l->nports && i < GT_PROTO_MAX_PORTS; i++) {
        while (next <= hi && (held(a, u, u->node, next) || (!a->o.emulate && gt_port_busy(next))))
            next++;
        if (next > hi) {
            snprintf(why, len, "CANNOT_START: no free port left in %d-%d on %s for '%s'", lo, hi,
                     u->node, l->ports[i]);
            u->nports = 0;
            return 0;
        }
        snprintf(u->ports[i].name, sizeof u->ports[i].name, "%s", l->ports[i]);
        u->ports[i].port = (uint16_t)next++;
        u->nports++;
    }
    return 1;
}

int agent_ports_save(const a_unit *u) {
    char path[600], tmp[620], text[GT_PROTO_MAX_PORTS * 24 + 1] = "";
    size_t n = 0;
    for (uint32_t i = 0; i < u->nports; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s %u\n", u->ports[i].name,
                              u->ports[i].port);
    if (!agent_path(path, sizeof path, "%s/ports", u->dir) ||
        !agent_path(tmp, sizeof tmp, "%s/ports.tmp", u->dir))
        return 0;
    return gt_file_write_atomic(tmp, path, text, n) == 0;
}

int agent_ports_load(a_unit *u) {
    char path[600];
    size_t len = 0;
    gt_error err;
    u->nports = 0;
    if (!agent_path(path, sizeof path, "%s/ports", u->dir))
        return 0;
    char *text = gt_file_read(path, 4096, &len, &err);
    if (!text)
        return 0;
    char name[16];
    unsigned port;
    int used = 0;
    for (const char *s = text;
         u->nports < GT_PROTO_MAX_PORTS && sscanf(s, "%15s %u\n%n", name, &port, &used) == 2 &&
         port > 0 && port < 65536;
         s += used) {
        snprintf(u->ports[u->nports].name, sizeof u->ports[0].name, "%s", name);
        u->ports[u->nports++].port = (uint16_t)port;
    }
    free(text);
    return 1;
}

void agent_ports_list(const a_unit *u, char *out, size_t size) {
    size_t n = 0;
    out[0] = 0;
    for (uint32_t i = 0; i < u->nports && n < size; i++)
        n += (size_t)snprintf(out + n, size - n, "%s%s=%u", i ? "," : "", u->ports[i].name,
                              u->ports[i].port);
}
