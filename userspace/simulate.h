/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's port-0 search run in userspace on the shared model, with
 * ports in use and reserved ports supplied by the caller.
 */
#ifndef EPHPORT_SIMULATE_H
#define EPHPORT_SIMULATE_H

#include <stdbool.h>

#include "record.h"

#define EP_PORTS 65536

struct ep_sim {
	int low, high;			/* ip_local_port_range, inclusive */
	bool reuse;			/* SO_REUSEADDR */
	bool autobind_reuse;		/* net.ipv4.ip_autobind_reuse */
	/* the random draw of each half pass; the last one repeats */
	const unsigned int *draws;
	int ndraws;
	const bool *used;		/* EP_PORTS entries: bound, conflicting */
	const bool *reserved;		/* EP_PORTS entries: ip_local_reserved_ports */
};

/* Receives the records a search produces, as the module would write them. */
typedef void (*ep_sim_emit)(const struct ep_record *rec, void *ctx);

/*
 * Runs one search.  Emits a pass record per parity sweep, a cand record
 * per port tried when @candidates, and an end record.  Returns the port
 * chosen, or -EADDRINUSE.
 */
int ep_simulate(const struct ep_sim *sim, bool candidates, ep_sim_emit emit,
		void *ctx);

#endif /* EPHPORT_SIMULATE_H */
