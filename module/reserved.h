/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Writers of ip_local_reserved_ports, as the probe on its handler sees
 * them, and the stamp the search tracker compares across a search: it holds
 * no probe and knows no search.
 */
#ifndef EPHPORT_RESERVED_H
#define EPHPORT_RESERVED_H

#include <linux/types.h>

struct kretprobe;

/* The handler's probe, once attached (NULL: none, or it is going away). */
void ephport_reserved_watch(const struct kretprobe *rp);
/* A write through the handler begins (before it touches the set), and ends. */
void ephport_reserved_write_begun(void);
void ephport_reserved_write_done(void);
/*
 * A stamp of the writers of ip_local_reserved_ports: the set did not change
 * between two equal stamps.  False when no stamp can be had (a writer is
 * running, or its probe is missing or missed one).
 */
bool ephport_reserved_stamp(u64 *stamp);

#endif /* EPHPORT_RESERVED_H */
