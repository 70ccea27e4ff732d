/* SPDX-License-Identifier: MIT
 * CRC-32 and CRC-32C, slicing by 8 (see crc32.h): table k maps a byte to its CRC
 * contribution k bytes further on, so eight bytes are folded with eight look-ups instead of
 * eight dependent steps. Words are assembled from bytes, so the result does not depend on
 * byte order. The two differ only in their polynomial, hence in their tables. */
#include "util/crc32.h"

#include <threads.h>

#define POLY 0xEDB88320u  /* reflected 0x04C11DB7 */
#define POLYC 0x82F63B78u /* reflected 0x1EDC6F41 (Castagnoli) */

static uint32_t tab[8][256], tabc[8][256];
static once_flag tab_once = ONCE_FLAG_INIT, tabc_once = ONCE_FLAG_INIT;

static void tab_fill(uint32_t t[8][256], uint32_t poly) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? poly ^ (c >> 1) : c >> 1;
        t[0][i] = c;
    }
    for (int k = 1; k < 8; k++)
        for (uint32_t i = 0; i < 256; i++)
            t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
}

static void tab_init(void) {
    tab_fill(tab, POLY);
}

static void tabc_init(void) {
    tab_fill(tabc, POLYC);
}

static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t crc_run(uint32_t t[8][256], uint32_t crc, const void *data, size_t len) {
    const unsigned char *p = data;
    crc = ~crc;
    for (; len >= 8; p += 8, len -= 8) {
        uint32_t a = crc ^ le32(p), b = le32(p + 4);
        crc = t[7][a & 0xff] ^ t[6][(a >> 8) & 0xff] ^ t[5][(a >> 16) & 0xff] ^ t[4][a >> 24] ^
              t[3][b & 0xff] ^ t[2][(b >> 8) & 0xff] ^ t[1][(b >> 16) & 0xff] ^ t[0][b >> 24];
    }
    while (len--)
        crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

uint32_t gt_crc32(uint32_t crc, const void *data, size_t len) {
    call_once(&tab_once, tab_init);
    return crc_run(tab, crc, data, len);
}

uint32_t gt_crc32c(uint32_t crc, const void *data, size_t len) {
    call_once(&tabc_once, tabc_init);
    return crc_run(tabc, crc, data, len);
}
