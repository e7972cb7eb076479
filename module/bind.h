/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bind()'s and listen()'s search, inet_csk_get_port(sk, 0): its probes
 * (get_port, find_open_port, the draw of each half pass, the buckets'
 * allocations, the bucket lookups) and the half passes derived from them.
 */
#ifndef EPHPORT_BIND_H
#define EPHPORT_BIND_H

#include "probe.h"

extern struct ephport_probe ephport_probe_get_port;
extern struct ephport_probe ephport_probe_find_open_port;
extern struct ephport_probe ephport_probe_draw;
extern struct ephport_probe ephport_probe_bucket;
extern struct ephport_probe ephport_probe_bucket2;
/* attached at load with detail=candidates only */
extern struct ephport_probe ephport_probe_lookup;

#endif /* EPHPORT_BIND_H */
