/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's port searches (bind, connect, UDP) run in userspace on the
 * shared model, with ports in use and reserved ports supplied by the caller.
 */
#ifndef EPHPORT_SIMULATE_H
#define EPHPORT_SIMULATE_H

#include <stdbool.h>

#include "../module/ephport_model.h"
#include "record.h"

#define EP_PORTS EPHPORT_PORTS
/* UDP's table in a small machine: 256 slots, UDP_HTABLE_SIZE_MIN */
#define EP_SIM_UDP_SLOTS 256

enum ep_sim_kind {
	EP_SIM_BIND,		/* TCP bind(0) or listen() */
	EP_SIM_CONNECT,		/* TCP connect() */
	EP_SIM_UDP,		/* UDP bind(0) or implicit bind */
};

struct ep_sim {
	enum ep_sim_kind kind;
	int low, high;			/* ip_local_port_range, inclusive */
	bool reuse;			/* SO_REUSEADDR */
	bool autobind_reuse;		/* net.ipv4.ip_autobind_reuse */
	/* bind: the draw of each half pass, the last one repeating; UDP: one */
	const unsigned int *draws;
	int ndraws;
	/* connect: perturbation slot's value and hash; one sweep (6.8+) */
	unsigned int perturb;
	unsigned long long port_offset;
	bool sock_range;
	/* connect (7.x): ip_local_port_step_width's stride, coprime with a sweep; 0: none */
	unsigned int stride;
	unsigned int slots;		/* UDP: the hash table's slots */
	/* EP_PORTS entries: bound, conflicting (connect: towards that peer) */
	const bool *used;
	const bool *reserved;		/* EP_PORTS entries: ip_local_reserved_ports */
};

/* Receives the records a search produces, as the module would write them. */
typedef void (*ep_sim_emit)(const struct ep_record *rec, void *ctx);

/*
 * Runs one search.  Emits a begin, a pass record per parity sweep (UDP:
 * one for the whole walk), a cand record per port tried when @candidates,
 * and an end record.  Returns the port chosen, or the kernel's error:
 * -EADDRINUSE, or -EADDRNOTAVAIL for connect().
 */
int ep_simulate(const struct ep_sim *sim, bool candidates, ep_sim_emit emit,
		void *ctx);

#endif /* EPHPORT_SIMULATE_H */
