/* SPDX-License-Identifier: MIT
 * A stand-in for libnvidia-ml.so.1 with the entry points sys/hw.c looks up, for
 * tests/unit/test_hw.c: four "NVIDIA H100 80GB HBM3" GPUs whose minor numbers run
 * backwards, NVLinked in pairs (0-1, 2-3) with two links each. FAKE_NVML_FAIL=init makes
 * nvmlInit fail, FAIL=name makes GPU 2's name fail (then no GPU may be trusted). */
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
    snprintf(name, len, "NVIDIA H100 80GB HBM3");
    return 0;
}
int nvmlDeviceGetMemoryInfo(int *dev, nvml_memory *m) {
    (void)dev;
    m->total = 81559ULL << 20;
    m->free = m->total;
    m->used = 0;
    return 0;
}
int nvmlDeviceGetMinorNumber(int *dev, unsigned *minor) {
    *minor = 3u - (unsigned)*dev;
    return 0;
}
static void pci_of(int i, nvml_pci *p) {
    memset(p, 0, sizeof *p);
    p->bus = buses[i];
    snprintf(p->bus_id, sizeof p->bus_id, "00000000:%02X:00.0", buses[i]);
}
int nvmlDeviceGetPciInfo_v3(int *dev, nvml_pci *p) {
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
