/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How many more port-0 bind()s, UDP binds and connect()s to a destination
 * the range has room for, with the kernel's own rules: which ports its walk
 * passes by and why.  Pure arithmetic over a socket
 * table, so the host tests feed it made-up tables.
 */
#ifndef EPHPORT_CAPACITY_H
#define EPHPORT_CAPACITY_H

#include <stdbool.h>

#include "simulate.h"
#include "sockdiag.h"

/* What this network namespace's sysctls say. */
struct ep_cap_config {
	int low, high;			/* net.ipv4.ip_local_port_range */
	const bool *reserved;		/* EP_PORTS: net.ipv4.ip_local_reserved_ports */
	int tw_reuse;			/* net.ipv4.tcp_tw_reuse: 0, 1, 2 (loopback only) */
	bool autobind_reuse;		/* net.ipv4.ip_autobind_reuse */
	int step_width;			/* net.ipv4.ip_local_port_step_width (7.x), or 0 */
};

/* Why a port of the range is not another search's: the first that applies. */
enum ep_cap_why {
	EP_CAP_FREE,
	EP_CAP_OUTSIDE,		/* not in the range (a port query's) */
	EP_CAP_RESERVED,
	EP_CAP_LISTEN,		/* a listening socket's (bind()'s) */
	EP_CAP_BOUND,		/* a socket only bound (bind()'s) */
	EP_CAP_CONNECTED,	/* a socket in another state (connect: to this destination) */
	EP_CAP_TIMEWAIT,	/* TIME_WAIT that this search does not take over */
	EP_CAP_TIMEWAIT_REUSE,	/* connect: TIME_WAIT that tcp_tw_reuse takes over after 1 s */
	EP_CAP_WHY_COUNT,
};

extern const char *const ep_cap_why_name[EP_CAP_WHY_COUNT];

/* One search's share of the range. */
struct ep_cap {
	unsigned int ports;			/* the range's */
	unsigned int why[EP_CAP_WHY_COUNT];	/* ports by reason; FREE: usable */
	unsigned int left_min, left_max;	/* searches that will still succeed */
};

/* A destination connect() reaches: its 4-tuple's fixed three. */
struct ep_dest {
	struct ep_addr saddr, daddr;
	int dport;
	unsigned int sockets;		/* this destination's sockets in the range */
	struct ep_cap cap;
};

/*
 * bind()'s halves as the model splits them: the first port of the upper
 * half (SO_REUSEADDR's second pass), or one past the range when too narrow
 * to split.
 */
int ep_cap_half_point(const struct ep_cap_config *c);

/* --to's destinations a command takes at most */
#define EP_CAP_MAX_TO 16

/*
 * --to ADDR:PORT into @to[*@n] (its source from the routing table): 0, or
 * after saying what is wrong, an argp error.
 */
int ep_cap_add_to(const char *arg, struct ep_dest *to, int *n);

/* Port-0 bind() of TCP to 0.0.0.0 (@reuse: with SO_REUSEADDR). */
void ep_cap_bind(const struct ep_cap_config *c, const struct ep_socks *s, bool reuse,
		 struct ep_cap *out);
/* Port-0 bind() of UDP to 0.0.0.0, without SO_REUSEADDR. */
void ep_cap_udp(const struct ep_cap_config *c, const struct ep_socks *s, struct ep_cap *out);
/* connect() from d->saddr to d->daddr:d->dport. */
void ep_cap_connect(const struct ep_cap_config *c, const struct ep_socks *s, struct ep_dest *d);

/*
 * The destinations TCP sockets of the range are connected to, the fullest
 * first, in a malloc'd array of *@count (NULL: out of memory).  A socket
 * sharing a listener's port is the server's end, not a destination.
 */
struct ep_dest *ep_cap_dests(const struct ep_cap_config *c, const struct ep_socks *s,
			     size_t *count);

/* The reason a port is not one search's (EP_CAP_FREE: it is). */
enum ep_cap_why ep_cap_port_bind(const struct ep_cap_config *c, const struct ep_socks *s,
				 int port);
enum ep_cap_why ep_cap_port_udp(const struct ep_cap_config *c, const struct ep_socks *s,
				int port);
enum ep_cap_why ep_cap_port_connect(const struct ep_cap_config *c, const struct ep_socks *s,
				    const struct ep_dest *d, int port);

#endif /* EPHPORT_CAPACITY_H */
