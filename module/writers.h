/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Writers of the sysctls a search reads without their lock, as the probes
 * on their handlers see them: ip_local_reserved_ports, and
 * ip_local_port_range (from 6.8 one word, which a write and another back
 * leave as it was).  A stamp that is equal on both sides of a read says no
 * writer ran in between, nor one that was running at load.  It holds no
 * probe and knows no search.
 */
#ifndef EPHPORT_WRITERS_H
#define EPHPORT_WRITERS_H

#include <linux/types.h>

struct kretprobe;

enum ephport_sysctl {
	EPHPORT_SYSCTL_RESERVED,	/* ip_local_reserved_ports */
	EPHPORT_SYSCTL_RANGE,		/* ip_local_port_range */
	EPHPORT_SYSCTL_COUNT,
};

/* The handler's probe, once attached (NULL: none, or it is going away). */
void ephport_writers_watch(enum ephport_sysctl which, const struct kretprobe *rp);
bool ephport_writers_watched(enum ephport_sysctl which);
/*
 * Once every probe is attached (process context): looks for calls of the
 * handlers that may have been running already, and refuses stamps until
 * they have ended (a work looks again, every 10 ms to 1 s).
 * ephport_writers_stop() once the probes are gone.
 */
void ephport_writers_settle(void);
bool ephport_writers_settled(void);
void ephport_writers_stop(void);
/* A write through the handler begins (before it touches the value), and ends. */
void ephport_writers_begun(enum ephport_sysctl which);
void ephport_writers_done(enum ephport_sysctl which);
/*
 * A stamp of @which's writers: the value did not change between two equal
 * stamps.  False when no stamp can be had (a writer is running, or its
 * probe is missing or missed one).
 */
bool ephport_writers_stamp(enum ephport_sysctl which, u32 *stamp);

#endif /* EPHPORT_WRITERS_H */
