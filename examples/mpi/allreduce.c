/* SPDX-License-Identifier: MIT
 * An MPI allreduce across every process of the job, for gantry's MPI example.
 *
 * Each process contributes (rank + 1) and a vector whose element i is rank * i; the sums
 * must be n(n+1)/2 and i * n(n-1)/2 everywhere. Rank 0 prints one line per process (its
 * rank, the gantry node and the network address it ran on, the sum it got) and
 * "allreduce ok" or "allreduce WRONG"; the exit status is 0 only when every process got the
 * right sums. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <mpi.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEN 1024

/* This host's first IPv4 address that is not loopback ("-" when none). */
static void my_address(char *out, size_t len) {
    struct ifaddrs *ifs, *i;
    snprintf(out, len, "-");
    if (getifaddrs(&ifs))
        return;
    for (i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
            continue;
        struct in_addr a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
        if ((ntohl(a.s_addr) >> 24) != 127) {
            inet_ntop(AF_INET, &a, out, (socklen_t)len);
            break;
        }
    }
    freeifaddrs(ifs);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    char addr[64];
    const char *node = getenv("GANTRY_NODE");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    my_address(addr, sizeof addr);

    static double v[LEN], sum[LEN];
    for (int i = 0; i < LEN; i++)
        v[i] = (double)rank * i;
    long one = rank + 1, total = 0;
    MPI_Allreduce(&one, &total, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
    MPI_Allreduce(v, sum, LEN, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    int ok = total == (long)size * (size + 1) / 2;
    for (int i = 0; i < LEN; i++)
        ok = ok && sum[i] == (double)i * size * (size - 1) / 2;

    /* Every process's report, gathered at rank 0 (the hosts come from the processes). */
    char line[256], *all = NULL;
    snprintf(line, sizeof line, "rank %d of %d on node %s address %s: sum %ld %s", rank, size,
             node ? node : "-", addr, total, ok ? "ok" : "WRONG");
    static char lines[1024][256];
    if (size <= 1024)
        all = (char *)lines;
    MPI_Gather(line, sizeof line, MPI_CHAR, all, sizeof line, MPI_CHAR, 0, MPI_COMM_WORLD);
    int all_ok = 0;
    MPI_Reduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        for (int r = 0; r < size && r < 1024; r++)
            printf("%s\n", lines[r]);
        printf("allreduce %s\n", all_ok ? "ok" : "WRONG");
    }
    MPI_Finalize();
    return rank == 0 && !all_ok;
}
