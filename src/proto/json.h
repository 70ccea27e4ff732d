/* SPDX-License-Identifier: MIT
 * JSON text that is whole or not there at all.
 *
 * jansson's json_dumps can return a damaged text when memory runs out: its writer ignores
 * the result of writing an object's key (dump.c, do_dump: `dump_string(key, ...)` is not
 * checked, jansson 2.14), so a failed allocation there drops the key, and the dump goes
 * on and succeeds: {"name":"c15",":0,"cpus":1} for {"name":"c15","gpus":0,"cpus":1}.
 * gantryd keeps such text as a job's document and in its journal, where no parser reads
 * it back. gt_json_dumps writes through a buffer that remembers any failed append, so it
 * returns NULL instead. Every JSON text gantryd keeps, answers or sends to an agent is
 * written with it. */
#ifndef GT_PROTO_JSON_H
#define GT_PROTO_JSON_H

#include <jansson.h>

/* json_dumps(v, flags), or NULL when v is NULL, cannot be written (as json_dumps) or
 * memory ran out anywhere on the way. The text is malloc'd: the caller frees it. */
char *gt_json_dumps(const json_t *v, size_t flags);

/* Pieces of compact JSON text written by hand where building values would cost more than
 * the rest of the work (a task's start item): a string (escaped as gt_json_dumps escapes
 * it; -1, with b unchanged in meaning, for text that is not valid UTF-8) and an integer. */
struct gt_sb;
int gt_json_put_str(struct gt_sb *b, const char *s, int ascii);
void gt_json_put_int(struct gt_sb *b, json_int_t v);
/* A real as jansson writes it (-1: not finite, or out of memory). */
int gt_json_put_real(struct gt_sb *b, double d);

#endif
