/* SPDX-License-Identifier: MIT
 * Snapshot files (see snapfile.h). The checksum is computed a chunk at a time just before
 * the chunk is written, while it is still in the cache. */
#include "sys/snapfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/readfile.h"
#include "util/crc32.h"

#define MAGIC "GTSF"
#define CHUNK ((size_t)4 << 20)

char *gt_snapfile_name(int64_t seq, char *name, size_t size) {
    snprintf(name, size, "snapshot-%" PRId64, seq);
    return name;
}

static void put_le(unsigned char *p, uint64_t v, int n) {
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Write data and fold it into *crc, a chunk at a time. */
static int write_crc(int fd, const void *data, size_t n, uint32_t *crc) {
    const char *p = data;
    for (size_t off = 0; off < n; off += CHUNK) {
        size_t k = n - off < CHUNK ? n - off : CHUNK;
        *crc = gt_crc32(*crc, p + off, k);
        if (gt_write_all(fd, p + off, k))
            return -1;
    }
    return 0;
}

static int fsync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

static int write_body(int fd, int64_t seq, const void *p0, size_t n0, const void *p1, size_t n1) {
    unsigned char h[GT_SNAPFILE_HEADER], tail[4];
    memcpy(h, MAGIC, 4);
    put_le(h + 4, GT_SNAPFILE_VERSION, 4);
    put_le(h + 8, (uint64_t)seq, 8);
    put_le(h + 16, n0, 8);
    put_le(h + 24, n1, 8);
    uint32_t crc = 0;
    if (write_crc(fd, h, sizeof h, &crc) || write_crc(fd, p0, n0, &crc) ||
        write_crc(fd, p1, n1, &crc))
        return -1;
    put_le(tail, crc, 4);
    return gt_write_all(fd, tail, sizeof tail);
}

gt_err gt_snapfile_write(const char *dir, int64_t seq, const void *p0, size_t n0, const void *p1,
                         size_t n1, int nosync, gt_error *err) {
    char name[48], tmp[608], path[600];
    gt_snapfile_name(seq, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return gt_fail(err, GT_E_IO, tmp, "cannot create the snapshot file: %s", strerror(errno));
    const char *step = "write";
    errno = 0;
    int bad = write_body(fd, seq, p0, n0, p1, n1);
    if (!bad && !nosync && (bad = fsync(fd)))
        step = "fsync";
    if (close(fd) && !bad)
        bad = 1, step = "close";
    if (!bad && rename(tmp, path))
        bad = 1, step = "rename";
    if (!bad && !nosync && fsync_dir(dir))
        return gt_fail(err, GT_E_IO, dir, "snapshot: cannot fsync the folder: %s", strerror(errno));
    if (!bad)
        return GT_E_OK;
    int saved = errno;
    unlink(tmp);
    return gt_fail(err, GT_E_IO, tmp, "snapshot %s failed: %s", step,
                   saved ? strerror(saved) : "short write");
}

/* ---- reading ---- */

static gt_err read_whole(const char *path, void **mem, size_t *len, gt_error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return gt_fail(err, errno == ENOENT ? GT_E_NOT_FOUND : GT_E_IO, path,
                       "cannot open the snapshot file: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st)) {
        close(fd);
        return gt_fail(err, GT_E_IO, path, "cannot stat: %s", strerror(errno));
    }
    size_t n = (size_t)st.st_size, off = 0;
    char *p = malloc(n ? n : 1);
    while (p && off < n) {
        ssize_t r = read(fd, p + off, n - off < CHUNK ? n - off : CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    close(fd);
    if (!p)
        return gt_fail(err, GT_E_NOMEM, path, "out of memory for a %zu-byte snapshot", n);
    if (off < n) {
        free(p);
        return gt_fail(err, GT_E_IO, path, "read error after %zu of %zu bytes", off, n);
    }
    *mem = p;
    *len = n;
    return GT_E_OK;
}

/* Check the header, the length and the checksum of a file read whole. */
static gt_err verify(const char *path, const unsigned char *p, size_t n, int64_t seq,
                     gt_snapfile *out, gt_error *err) {
    if (n < GT_SNAPFILE_HEADER + 4 || memcmp(p, MAGIC, 4))
        return gt_fail(err, GT_E_PARSE, path, "not a gantry snapshot file (%s)",
                       n < GT_SNAPFILE_HEADER + 4 ? "too short" : "bad magic");
    uint32_t ver = (uint32_t)get_le(p + 4, 4);
    if (ver != GT_SNAPFILE_VERSION)
        return gt_fail(err, GT_E_PARSE, path, "snapshot format version %u (this build reads %d)",
                       ver, GT_SNAPFILE_VERSION);
    int64_t fseq = (int64_t)get_le(p + 8, 8);
    uint64_t n0 = get_le(p + 16, 8), n1 = get_le(p + 24, 8);
    uint64_t want = n - GT_SNAPFILE_HEADER - 4;
    if (n0 > want || n1 > want - n0 || n0 + n1 != want)
        return gt_fail(err, GT_E_PARSE, path,
                       "truncated or damaged: %zu bytes, the header says %" PRIu64, n,
                       GT_SNAPFILE_HEADER + 4 + n0 + n1);
    uint32_t stored = (uint32_t)get_le(p + n - 4, 4), crc = gt_crc32(0, p, n - 4);
    if (stored != crc)
        return gt_fail(err, GT_E_PARSE, path,
                       "checksum mismatch (stored %08x, computed %08x): the file is damaged",
                       stored, crc);
    if (fseq != seq)
        return gt_fail(err, GT_E_PARSE, path, "holds entry %" PRId64 ", expected %" PRId64, fseq,
                       seq);
    out->seq = fseq;
    out->part[0] = p + GT_SNAPFILE_HEADER;
    out->len[0] = (size_t)n0;
    out->part[1] = p + GT_SNAPFILE_HEADER + n0;
    out->len[1] = (size_t)n1;
    return GT_E_OK;
}

gt_err gt_snapfile_read(const char *dir, const char *name, int64_t seq, gt_snapfile *out,
                        gt_error *err) {
    memset(out, 0, sizeof *out);
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    void *mem = NULL;
    size_t n = 0;
    gt_err e = read_whole(path, &mem, &n, err);
    if (!e && (e = verify(path, mem, n, seq, out, err)))
        free(mem);
    if (!e)
        out->mem = mem;
    return e;
}

void gt_snapfile_free(gt_snapfile *f) {
    if (!f)
        return;
    free(f->mem);
    memset(f, 0, sizeof *f);
}

/* The N of "snapshot-N" or "snapshot-N.tmp" (*tmp set to which); -1 for any other name. */
static int64_t name_seq(const char *s, int *tmp) {
    if (strncmp(s, "snapshot-", 9))
        return -1;
    s += 9;
    int64_t v = 0;
    int digits = 0;
    for (; *s >= '0' && *s <= '9' && digits < 18; s++, digits++)
        v = v * 10 + (*s - '0');
    *tmp = !strcmp(s, ".tmp");
    return digits && (!*s || *tmp) ? v : -1;
}

/* What to do with one snapshot file of the folder. */
typedef enum { PRUNE, NEWEST, ASIDE } walk_op;

/* PRUNE: delete files (and .tmp) below `seq`, returns how many; NEWEST: the highest N of a
 * whole file (0 when none); ASIDE: rename whole files above `seq`, returns how many. */
static int64_t walk(const char *dir, walk_op op, int64_t seq) {
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int64_t n = 0;
    struct dirent *de;
    char path[600], to[620];
    while ((de = readdir(d))) {
        int tmp;
        int64_t s = name_seq(de->d_name, &tmp);
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (s < 0)
            continue;
        if (op == PRUNE && s < seq)
            n += unlink(path) == 0;
        else if (op == NEWEST && !tmp && s > n)
            n = s;
        else if (op == ASIDE && !tmp && s > seq) {
            snprintf(to, sizeof to, "%s.dropped", path);
            n += rename(path, to) == 0;
        }
    }
    closedir(d);
    return n;
}

int gt_snapfile_prune(const char *dir, int64_t below) {
    return (int)walk(dir, PRUNE, below);
}

int64_t gt_snapfile_newest(const char *dir) {
    return walk(dir, NEWEST, 0);
}

int gt_snapfile_set_aside(const char *dir, int64_t above) {
    return (int)walk(dir, ASIDE, above);
}
