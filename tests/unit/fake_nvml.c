/* SPDX-License-Identifier: MIT
 * A stand-in for libnvidia-ml.so.1 with the entry points sys/hw.c looks up, for
 * tests/unit/test_hw.c: four "NVIDIA H100 80GB HBM3" GPUs whose minor numbers run
 * backwards, NVLinked in pairs (0-1, 2-3) with two links each. FAKE_NVML_FAIL=init makes
 * nvmlInit fail, FAIL=name makes GPU 2's name fail (then no GPU may be trusted).
 * FAKE_NVML_MIG=1 puts every GPU in MIG mode with two "3g.40gb" instances (at instance
 * indices 0 and 2 of 7; UUIDs MIG-fake-GPU-INDEX). Handles of instances are 100 + 10 x GPU
 * + index. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char bus_id_legacy[16];
    unsigned domain, bus, device, pci_device_id, pci_subsystem_id;
    char bus_id[32];
} nvml_pci;
typedef struct {
    unsigned long long total, free, used;
} nvml_memory;

/* A device handle is a pointer to its index. */
static int devs[4] = {0, 1, 2, 3};
static int migs[4][7];
static const unsigned buses[4] = {0x1a, 0x41, 0x9c, 0xc6};

static int fail(const char *what) {
    const char *f = getenv("FAKE_NVML_FAIL");
    return f && !strcmp(f, what);
}

int nvmlInit_v2(void);
int nvmlShutdown(void);
int nvmlDeviceGetCount_v2(unsigned *n);
int nvmlDeviceGetHandleByIndex_v2(unsigned i, int **dev);
int nvmlDeviceGetName(int *dev, char *name, unsigned len);
int nvmlDeviceGetMemoryInfo(int *dev, nvml_memory *m);
int nvmlDeviceGetMinorNumber(int *dev, unsigned *minor);
int nvmlDeviceGetPciInfo_v3(int *dev, nvml_pci *p);
int nvmlDeviceGetNvLinkState(int *dev, unsigned link, int *on);
int nvmlDeviceGetNvLinkRemotePciInfo_v2(int *dev, unsigned link, nvml_pci *p);
int nvmlDeviceGetUUID(int *dev, char *uuid, unsigned len);
int nvmlDeviceGetMigMode(int *dev, unsigned *cur, unsigned *pending);
int nvmlDeviceGetMaxMigDeviceCount(int *dev, unsigned *n);
int nvmlDeviceGetMigDeviceHandleByIndex(int *dev, unsigned i, int **mig);

static int mig_on(void) {
    const char *m = getenv("FAKE_NVML_MIG");
    return m && !strcmp(m, "1");
}
int nvmlDeviceGetUUID(int *dev, char *uuid, unsigned len) {
    if (*dev >= 100)
        snprintf(uuid, len, "MIG-fake-%d-%d", (*dev - 100) / 10, (*dev - 100) % 10);
    else
        snprintf(uuid, len, "GPU-fake-%d", *dev);
    return 0;
}
int nvmlDeviceGetMigMode(int *dev, unsigned *cur, unsigned *pending) {
    *cur = *pending = *dev < 100 && mig_on();
    return 0;
}
int nvmlDeviceGetMaxMigDeviceCount(int *dev, unsigned *n) {
    *n = *dev < 100 && mig_on() ? 7 : 0;
    return 0;
}
int nvmlDeviceGetMigDeviceHandleByIndex(int *dev, unsigned i, int **mig) {
    if (*dev >= 100 || i >= 7 || (i != 0 && i != 2))
        return 6; /* NVML_ERROR_NOT_FOUND */
    migs[*dev][i] = 100 + 10 * *dev + (int)i;
    *mig = &migs[*dev][i];
    return 0;
}

int nvmlInit_v2(void) {
    return fail("init") ? 1 : 0;
}
int nvmlShutdown(void) {
    return 0;
}
int nvmlDeviceGetCount_v2(unsigned *n) {
    *n = 4;
    return 0;
}
int nvmlDeviceGetHandleByIndex_v2(unsigned i, int **dev) {
    if (i >= 4)
        return 2; /* NVML_ERROR_INVALID_ARGUMENT */
    *dev = &devs[i];
    return 0;
}
int nvmlDeviceGetName(int *dev, char *name, unsigned len) {
    if (*dev == 2 && fail("name"))
        return 999;
    snprintf(name, len,
             *dev >= 100 ? "NVIDIA H100 80GB HBM3 MIG 3g.40gb" : "NVIDIA H100 80GB HBM3");
    return 0;
}
int nvmlDeviceGetMemoryInfo(int *dev, nvml_memory *m) {
    m->total = *dev >= 100 ? 40192ULL << 20 : 81559ULL << 20;
    m->free = m->total;
    m->used = 0;
    return 0;
}
int nvmlDeviceGetMinorNumber(int *dev, unsigned *minor) {
    if (*dev >= 100)
        return 3; /* NVML_ERROR_NOT_SUPPORTED: MIG instances have no minor of their own */
    *minor = 3u - (unsigned)*dev;
    return 0;
}
static void pci_of(int i, nvml_pci *p) {
    memset(p, 0, sizeof *p);
    p->bus = buses[i];
    snprintf(p->bus_id, sizeof p->bus_id, "00000000:%02X:00.0", buses[i]);
}
int nvmlDeviceGetPciInfo_v3(int *dev, nvml_pci *p) {
    if (*dev >= 100)
        return 3; /* NVML_ERROR_NOT_SUPPORTED: an instance is on its GPU's bus */
    pci_of(*dev, p);
    return 0;
}
int nvmlDeviceGetNvLinkState(int *dev, unsigned link, int *on) {
    (void)dev;
    *on = link < 2; /* links 0 and 1 up, the other 16 down */
    return link < 18 ? 0 : 2;
}
int nvmlDeviceGetNvLinkRemotePciInfo_v2(int *dev, unsigned link, nvml_pci *p) {
    (void)link;
    pci_of(*dev ^ 1, p); /* 0<->1, 2<->3 */
    return 0;
}
