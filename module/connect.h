/* SPDX-License-Identifier: GPL-2.0 */
/*
 * connect()'s search, __inet_hash_connect() for a socket without a port:
 * its probes (the function, four places in its code, the 4-tuple checks)
 * and the walk derived from the slot's value the kernel read.  bind.c's
 * draw probe hands it 7.x's stride.
 */
#ifndef EPHPORT_CONNECT_H
#define EPHPORT_CONNECT_H

#include <linux/types.h>

#include "probe.h"

struct ephport_search;

extern struct ephport_probe ephport_probe_connect;
extern struct ephport_probe ephport_probe_connect_ranged;
extern struct ephport_probe ephport_probe_connect_read;
extern struct ephport_probe ephport_probe_connect_locked;
extern struct ephport_probe ephport_probe_connect_ok;
extern struct ephport_probe ephport_probe_connect_stride;
extern struct ephport_probe ephport_probe_check;
extern struct ephport_probe ephport_probe_check6;

#endif /* EPHPORT_CONNECT_H */
