/* SPDX-License-Identifier: MIT
 * An LD_PRELOAD library for tests that fail allocations on purpose (STYLE.md point 6):
 * with GT_FAIL_MALLOC=N in the environment, the Nth call to malloc, calloc or realloc of
 * the process (counted from its start) and every GT_FAIL_MALLOC_EVERY-th one after it (0
 * or unset: only the Nth) return NULL with errno ENOMEM, as a machine out of memory
 * would. Everything else goes to glibc's own allocator. At a clean exit it says on stderr
 * how many allocations there were and how many failed. Not for sanitizer builds (they
 * bring their own allocator). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);

static _Atomic long calls, failed;
static long at = -1, every; /* -1: not read yet */

static int fail_now(void) {
    if (at < 0) { /* getenv does not allocate */
        const char *a = getenv("GT_FAIL_MALLOC"), *e = getenv("GT_FAIL_MALLOC_EVERY");
        every = e ? atol(e) : 0;
        at = a ? atol(a) : 0;
    }
    if (at <= 0)
        return 0;
    long n = atomic_fetch_add(&calls, 1) + 1;
    if (n == at || (every > 0 && n > at && (n - at) % every == 0)) {
        atomic_fetch_add(&failed, 1);
        errno = ENOMEM;
        return 1;
    }
    return 0;
}

void *malloc(size_t n) {
    return fail_now() ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size) {
    return fail_now() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n) {
    return fail_now() ? NULL : __libc_realloc(p, n);
}

/* At exit (a clean one): how many allocations there were and how many failed, on stderr,
 * so that a test can tell the failures happened. */
__attribute__((destructor)) static void report(void) {
    if (at <= 0)
        return;
    char line[128];
    int n = snprintf(line, sizeof line, "failmalloc: %ld allocations, %ld failed\n",
                     atomic_load(&calls), atomic_load(&failed));
    if (n > 0 && write(2, line, (size_t)n) < 0)
        return;
}
