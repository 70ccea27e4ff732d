/* SPDX-License-Identifier: MIT
 * The WAL check (see walcheck.h). Layout, every field big-endian:
 *   header (32 bytes): magic 0x377f0682|1, version 3007000, page size, checkpoint count,
 *     salt-1, salt-2, checksum-1, checksum-2 (of the 24 bytes before)
 *   frame (24 bytes + a page): page number, database size after a commit (0 on other
 *     frames), salt-1, salt-2, checksum-1, checksum-2 (of the frame's first 8 bytes and the
 *     page, seeded with the previous frame's checksum or the header's)
 * The checksum adds 32-bit words, little-endian when the magic's low bit is 0. */
#include "sys/walcheck.h"

#include <stdio.h>
#include <string.h>

#define HDR 32
#define FHDR 24

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* SQLite's checksum of n bytes (a multiple of 8), continued from s[2]. */
static void cksum(int big, const unsigned char *p, size_t n, uint32_t s[2]) {
    uint32_t s1 = s[0], s2 = s[1];
    for (size_t i = 0; i + 8 <= n; i += 8) {
        uint32_t a, b;
        if (big) {
            a = be32(p + i), b = be32(p + i + 4);
        } else {
            a = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 |
                (uint32_t)p[i + 3] << 24;
            b = (uint32_t)p[i + 4] | (uint32_t)p[i + 5] << 8 | (uint32_t)p[i + 6] << 16 |
                (uint32_t)p[i + 7] << 24;
        }
        s1 += a + s2;
        s2 += b + s1;
    }
    s[0] = s1, s[1] = s2;
}

/* Does frame f (at p, page size ps) check out when seeded with seed[2]? */
static int frame_ok(int big, const unsigned char *f, uint32_t ps, const uint32_t seed[2],
                    const unsigned char *salts) {
    uint32_t s[2] = {seed[0], seed[1]};
    if (memcmp(f + 8, salts, 8) || be32(f) == 0)
        return 0;
    cksum(big, f, 8, s);
    cksum(big, f + FHDR, ps, s);
    return s[0] == be32(f + 16) && s[1] == be32(f + 20);
}

static int header_ok(const unsigned char *p, uint32_t *ps) {
    uint32_t magic = be32(p), s[2] = {0, 0};
    *ps = be32(p + 8);
    if ((magic & ~1u) != 0x377f0682u || be32(p + 4) != 3007000 || *ps < 512 || *ps > 65536 ||
        (*ps & (*ps - 1)))
        return 0;
    cksum(magic & 1, p, 24, s);
    return s[0] == be32(p + 24) && s[1] == be32(p + 28);
}

/* Past the first bad frame k: the commit frames that still check out (cases 1 and 2). */
static int64_t commits_after(int big, const unsigned char *p, uint32_t ps, int64_t k,
                             int64_t frames) {
    const unsigned char *salts = p + 16;
    size_t fs = FHDR + (size_t)ps;
    const unsigned char *bad = p + HDR + (size_t)(k - 1) * fs;
    int64_t n = !memcmp(bad + 8, salts, 8) && be32(bad + 4) != 0;
    for (int64_t i = k + 1; i <= frames; i++) {
        const unsigned char *f = p + HDR + (size_t)(i - 1) * fs, *prev = f - fs;
        uint32_t seed[2] = {be32(prev + 16), be32(prev + 20)};
        if (be32(f + 4) != 0 && frame_ok(big, f, ps, seed, salts))
            n++;
    }
    return n;
}

void gt_walcheck_scan(const unsigned char *p, size_t n, gt_walcheck *out) {
    memset(out, 0, sizeof *out);
    if (n < HDR)
        return;
    uint32_t ps;
    if (!header_ok(p, &ps)) {
        if (n >= HDR + FHDR + 512) {
            out->damaged = 1;
            snprintf(out->what, sizeof out->what,
                     "its header is damaged, so SQLite ignores all of its %zu bytes", n);
        }
        return;
    }
    int big = be32(p) & 1;
    size_t fs = FHDR + (size_t)ps;
    out->page_size = ps;
    out->frames = (int64_t)((n - HDR) / fs);
    uint32_t s[2] = {be32(p + 24), be32(p + 28)};
    int64_t i = 1;
    for (; i <= out->frames; i++) {
        const unsigned char *f = p + HDR + (size_t)(i - 1) * fs;
        if (!frame_ok(big, f, ps, s, p + 16))
            break;
        s[0] = be32(f + 16), s[1] = be32(f + 20);
        if (be32(f + 4) != 0)
            out->valid = i, out->commits++;
    }
    if (i > out->frames)
        return;
    out->bad_frame = i;
    out->lost_commits = commits_after(big, p, ps, i, out->frames);
    if (out->lost_commits) {
        out->damaged = 1;
        snprintf(out->what, sizeof out->what,
                 "frame %lld of %lld is damaged: SQLite stops reading there and would drop "
                 "%lld committed transaction(s) after it",
                 (long long)i, (long long)out->frames, (long long)out->lost_commits);
    }
}
