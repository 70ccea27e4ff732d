/* SPDX-License-Identifier: MIT
 * CRC-32 (ISO-HDLC: the polynomial of zlib, gzip and PNG; the CRC of "123456789" is
 * 0xCBF43926), for checking that a file reads back as it was written. Slicing by 8, about
 * 1.5 cycles a byte. Thread-safe (the tables are built once, on first use). */
#ifndef GT_UTIL_CRC32_H
#define GT_UTIL_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* The CRC of data[0..len) continued from crc (0 to start): gt_crc32(gt_crc32(0, a, n), b, m)
 * equals the CRC of a and b one after the other. */
uint32_t gt_crc32(uint32_t crc, const void *data, size_t len);

/* The same with CRC-32C (Castagnoli, iSCSI, ext4's metadata: the CRC of "123456789" is
 * 0xE3069283), which detects more errors in short records: the journal checks its entries
 * with it. */
uint32_t gt_crc32c(uint32_t crc, const void *data, size_t len);

#endif
