/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The port sysctls of the network namespace whose /proc is @proc (normally
 * "/proc"; the host tests point it at fixtures).
 */
#ifndef EPHPORT_NETNS_H
#define EPHPORT_NETNS_H

#include <stdbool.h>

/* net.ipv4.ip_local_port_range, checked: 0 < low <= high < 65536. */
bool ep_netns_range(const char *proc, int *low, int *high);
/* net.ipv4.ip_local_reserved_ports into 65536 entries (all false: none). */
bool ep_netns_reserved(const char *proc, bool *reserved);
/* A numeric net.ipv4 sysctl (@name: "tcp_tw_reuse"), or -1 if absent. */
long ep_netns_ipv4(const char *proc, const char *name);

struct ep_cap_config;
/*
 * What capacity counts with: the range, reserved ports (into @reserved's
 * 65536 entries, which @c points to), tcp_tw_reuse, ip_autobind_reuse and
 * the 7.x stride's width; false after saying why.
 */
bool ep_netns_cap_config(const char *proc, struct ep_cap_config *c, bool *reserved);

#endif /* EPHPORT_NETNS_H */
