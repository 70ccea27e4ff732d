/* SPDX-License-Identifier: MIT
 * CRC-32, slicing by 8 (see crc32.h): table k maps a byte to its CRC contribution k bytes
 * further on, so eight bytes are folded with eight look-ups instead of eight dependent
 * steps. Words are assembled from bytes, so the result does not depend on byte order. */
#include "util/crc32.h"

#include <threads.h>

#define POLY 0xEDB88320u /* reflected 0x04C11DB7 */

static uint32_t tab[8][256];
static once_flag tab_once = ONCE_FLAG_INIT;

static void tab_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? POLY ^ (c >> 1) : c >> 1;
        tab[0][i] = c;
    }
    for (int k = 1; k < 8; k++)
        for (uint32_t i = 0; i < 256; i++)
            tab[k][i] = (tab[k - 1][i] >> 8) ^ tab[0][tab[k - 1][i] & 0xff];
}

static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t gt_crc32(uint32_t crc, const void *data, size_t len) {
    call_once(&tab_once, tab_init);
    const unsigned char *p = data;
    crc = ~crc;
    for (; len >= 8; p += 8, len -= 8) {
        uint32_t a = crc ^ le32(p), b = le32(p + 4);
        crc = tab[7][a & 0xff] ^ tab[6][(a >> 8) & 0xff] ^ tab[5][(a >> 16) & 0xff] ^
              tab[4][a >> 24] ^ tab[3][b & 0xff] ^ tab[2][(b >> 8) & 0xff] ^
              tab[1][(b >> 16) & 0xff] ^ tab[0][b >> 24];
    }
    while (len--)
        crc = tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}
