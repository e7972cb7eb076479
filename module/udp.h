/* SPDX-License-Identifier: GPL-2.0 */
/*
 * UDP's search, udp_lib_get_port(sk, 0): its two probes (the function, and
 * the place in its code where it receives its one draw) and the walk
 * derived from that draw.
 */
#ifndef EPHPORT_UDP_H
#define EPHPORT_UDP_H

#include "probe.h"

extern struct ephport_probe ephport_probe_udp_get_port;
extern struct ephport_probe ephport_probe_udp_draw;

#endif /* EPHPORT_UDP_H */
