/* SPDX-License-Identifier: GPL-2.0 */
/* Small helpers shared by the guest programs. */
#ifndef EPHPORT_GUEST_UTIL_H
#define EPHPORT_GUEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#define EP_STATS "/sys/kernel/debug/ephport/stats"

/* One write(2) of @n bytes: 0 or its errno (a short write is EIO). */
int write_bytes(const char *path, const char *bytes, size_t n);
/* write_bytes() of a string. */
int write_file(const char *path, const char *text);
/* One read(2) into @buf, NUL-terminated; false when it failed. */
bool read_file(const char *path, char *buf, size_t size);
/* read(2)s from @fd until its end or @size bytes: their count, or -1. */
long read_all(int fd, char *buf, size_t size);
/* CLOCK_MONOTONIC in seconds. */
double now_seconds(void);
/* A counter from the module's stats, or -1 when it is not loaded. */
long long module_stat(const char *key);

/* Every CPU but the first taken offline, or brought back online. */
void set_other_cpus_online(bool online);

/* Tells the module where table_perturb is, from /proc/kallsyms: 0 or errno. */
int perturb_table_from_kallsyms(void);

#endif /* EPHPORT_GUEST_UTIL_H */
