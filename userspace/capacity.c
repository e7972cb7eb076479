// SPDX-License-Identifier: GPL-2.0
/*
 * The room left in the range, by the kernel's rules:
 * - bind(0) (inet_csk_find_open_port) takes a port no TCP socket holds for
 *   an address that 0.0.0.0 overlaps, whatever its state, SO_REUSEADDR or
 *   not (without ip_autobind_reuse it never shares);
 * - UDP (udp_lib_get_port) the same among UDP sockets;
 * - connect() (__inet_hash_connect) passes by a port whose bind bucket a
 *   bind() user made (a listening or bound socket, of either family, on any
 *   address), and one in a 4-tuple with the same source and destination,
 *   unless that is a TIME_WAIT that tcp_twsk_unique() takes over.
 * TCP's walks round an odd number of ports down to even: each search leaves
 * one port of an "edge pair" untried, which one as its draw falls, so the
 * last port of all may or may not be found: the forecast gives both.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capacity.h"
#include "cli.h"

const char *const ep_cap_why_name[EP_CAP_WHY_COUNT] = {
	[EP_CAP_FREE] = "free",
	[EP_CAP_OUTSIDE] = "outside",
	[EP_CAP_RESERVED] = "reserved",
	[EP_CAP_LISTEN] = "listening",
	[EP_CAP_BOUND] = "bound",
	[EP_CAP_CONNECTED] = "connected",
	[EP_CAP_TIMEWAIT] = "time_wait",
	[EP_CAP_TIMEWAIT_REUSE] = "time_wait_reusable",
};

/* What the sockets on one port amount to, for one search. */
enum {
	HELD_LISTEN = 1 << 0,
	HELD_BOUND = 1 << 1,
	HELD_CONNECTED = 1 << 2,
	HELD_TIMEWAIT = 1 << 3,
	HELD_TIMEWAIT_REUSE = 1 << 4,
};

/* What the sockets on a port hold of it for one search (@d: connect()'s). */
typedef int (*held_fn)(const struct ep_cap_config *c, const struct ep_sock *k,
		       const struct ep_dest *d);

int ep_cap_half_point(const struct ep_cap_config *c)
{
	struct ephport_walk walk;
	struct ephport_half_pass lower;

	ephport_walk_init(&walk, true);
	ephport_half_pass_begin(&walk, c->low, c->high, &lower);
	return lower.high;
}

/*
 * The pair of ports one of which a TCP walk over an odd count leaves untried:
 * its first and last, or, for SO_REUSEADDR, the upper half's (the lower half
 * is even).  A connect() stride (7.x) moves it: then any port, @a = -1.
 */
static bool edge_pair(const struct ep_cap_config *c, enum ep_sim_kind kind, bool reuse,
		      int *a, int *b)
{
	int count = c->high - c->low + 1;

	*a = c->low;
	*b = c->high;
	if (kind == EP_SIM_UDP || count < 2 || !(count & 1))
		return false;
	if (kind == EP_SIM_BIND && reuse && ep_cap_half_point(c) <= c->high)
		*a = ep_cap_half_point(c);
	if (kind == EP_SIM_CONNECT && c->step_width > 0)
		*a = -1;
	return true;
}

static bool tcp_state_holds(const struct ep_sock *k)
{
	/* a request socket sits on its listener's port */
	return !k->udp && k->state != EP_TCP_NEW_SYN_RECV;
}

/* A socket that 0.0.0.0:port would overlap: IPv4, or IPv6 not v6only. */
static bool overlaps_any4(const struct ep_sock *k)
{
	return !k->v6 || !k->v6only || ep_addr_is_v4(&k->saddr);
}

static int bind_held(const struct ep_cap_config *c, const struct ep_sock *k,
		     const struct ep_dest *d)
{
	(void)c, (void)d;
	if (k->udp || !tcp_state_holds(k) || !overlaps_any4(k))
		return 0;
	if (k->timewait)
		return HELD_TIMEWAIT;
	if (k->state == EP_TCP_LISTEN)
		return HELD_LISTEN;
	return k->state == EP_TCP_BOUND_INACTIVE ? HELD_BOUND : HELD_CONNECTED;
}

static int udp_held(const struct ep_cap_config *c, const struct ep_sock *k,
		    const struct ep_dest *d)
{
	(void)c, (void)d;
	return k->udp && overlaps_any4(k) ? HELD_CONNECTED : 0;
}

static bool same_dest(const struct ep_sock *k, const struct ep_dest *d)
{
	return k->dport == d->dport && !ep_addr_cmp(&k->daddr, &d->daddr) &&
	       !ep_addr_cmp(&k->saddr, &d->saddr);
}

/* tcp_twsk_unique(): tw_reuse 1, or 2 when an end is loopback; never FIN_WAIT2's */
static bool tw_reusable(const struct ep_cap_config *c, const struct ep_sock *k)
{
	if (k->state != EP_TCP_TIME_WAIT)
		return false;
	return c->tw_reuse == 1 ||
	       (c->tw_reuse == 2 && (ep_addr_is_loopback(&k->daddr) ||
				     ep_addr_is_loopback(&k->saddr)));
}

static int connect_held(const struct ep_cap_config *c, const struct ep_sock *k,
			const struct ep_dest *d)
{
	if (k->udp || !tcp_state_holds(k))
		return 0;
	/* a bind() user's bucket, whatever its address or family */
	if (!k->timewait && k->state == EP_TCP_LISTEN)
		return HELD_LISTEN;
	if (!k->timewait && k->state == EP_TCP_BOUND_INACTIVE)
		return HELD_BOUND;
	if (!same_dest(k, d))
		return 0;
	if (!k->timewait)
		return HELD_CONNECTED;
	return tw_reusable(c, k) ? HELD_TIMEWAIT_REUSE : HELD_TIMEWAIT;
}

static bool in_range(const struct ep_cap_config *c, int port)
{
	return port >= c->low && port <= c->high;
}

static enum ep_cap_why why_of(const struct ep_cap_config *c, int port, int held)
{
	if (!in_range(c, port))
		return EP_CAP_OUTSIDE;
	if (c->reserved[port])
		return EP_CAP_RESERVED;
	if (held & HELD_LISTEN)
		return EP_CAP_LISTEN;
	if (held & HELD_BOUND)
		return EP_CAP_BOUND;
	if (held & HELD_CONNECTED)
		return EP_CAP_CONNECTED;
	if (held & HELD_TIMEWAIT)
		return EP_CAP_TIMEWAIT;
	return held & HELD_TIMEWAIT_REUSE ? EP_CAP_TIMEWAIT_REUSE : EP_CAP_FREE;
}

static bool usable(enum ep_cap_why why)
{
	return why == EP_CAP_FREE || why == EP_CAP_TIMEWAIT_REUSE;
}

/* One search's share of the range: its ports by what holds them, and the room left. */
static void share(const struct ep_cap_config *c, const struct ep_socks *s, enum ep_sim_kind kind,
		  bool reuse, held_fn held_by, const struct ep_dest *d, struct ep_cap *out)
{
	static uint8_t held[EP_PORTS];
	bool edge_usable = false;
	int port, a, b;
	size_t i;

	memset(held, 0, sizeof(held));
	for (i = 0; i < s->n; i++)
		if (in_range(c, s->v[i].sport))
			held[s->v[i].sport] |= held_by(c, &s->v[i], d);
	memset(out, 0, sizeof(*out));
	out->ports = c->high - c->low + 1;
	for (port = c->low; port <= c->high; port++)
		out->why[why_of(c, port, held[port])]++;
	out->left_max = out->why[EP_CAP_FREE] + out->why[EP_CAP_TIMEWAIT_REUSE];
	if (edge_pair(c, kind, reuse, &a, &b))
		edge_usable = a < 0 ? out->left_max > 0 :
			      usable(why_of(c, a, held[a])) || usable(why_of(c, b, held[b]));
	/* TIME_WAITs are taken over only a second after they began */
	out->left_min = out->why[EP_CAP_FREE] - (edge_usable && out->why[EP_CAP_FREE]);
}

static enum ep_cap_why port_why(const struct ep_cap_config *c, const struct ep_socks *s,
				held_fn held_by, const struct ep_dest *d, int port)
{
	int held = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].sport == port)
			held |= held_by(c, &s->v[i], d);
	return why_of(c, port, held);
}

void ep_cap_bind(const struct ep_cap_config *c, const struct ep_socks *s, bool reuse,
		 struct ep_cap *out)
{
	share(c, s, EP_SIM_BIND, reuse, bind_held, NULL, out);
	/* ip_autobind_reuse's last pass shares a port whose sockets all have SO_REUSEADDR */
	if (reuse && c->autobind_reuse)
		out->left_max += out->why[EP_CAP_BOUND] + out->why[EP_CAP_CONNECTED] +
				 out->why[EP_CAP_TIMEWAIT];
}

void ep_cap_udp(const struct ep_cap_config *c, const struct ep_socks *s, struct ep_cap *out)
{
	share(c, s, EP_SIM_UDP, false, udp_held, NULL, out);
}

void ep_cap_connect(const struct ep_cap_config *c, const struct ep_socks *s, struct ep_dest *d)
{
	size_t i;

	share(c, s, EP_SIM_CONNECT, false, connect_held, d, &d->cap);
	d->sockets = 0;
	for (i = 0; i < s->n; i++)
		d->sockets += in_range(c, s->v[i].sport) && !s->v[i].udp && same_dest(&s->v[i], d);
}

/* A socket whose port a listener has: the server's end of a connection. */
static bool accepted(const struct ep_socks *s, const struct ep_sock *k)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!s->v[i].udp && !s->v[i].timewait && s->v[i].state == EP_TCP_LISTEN &&
		    s->v[i].sport == k->sport)
			return true;
	return false;
}

static int by_room(const void *a, const void *b)
{
	const struct ep_dest *x = a, *y = b;

	if (x->cap.left_min != y->cap.left_min)
		return x->cap.left_min < y->cap.left_min ? -1 : 1;
	return x->dport - y->dport;
}

struct ep_dest *ep_cap_dests(const struct ep_cap_config *c, const struct ep_socks *s,
			     size_t *count)
{
	struct ep_dest *all = NULL;
	size_t i, j, n = 0;

	for (i = 0; i < s->n; i++) {
		const struct ep_sock *k = &s->v[i];
		struct ep_dest d = { .saddr = k->saddr, .daddr = k->daddr, .dport = k->dport };
		struct ep_dest *grown;

		if (k->udp || !in_range(c, k->sport) || !k->dport || accepted(s, k))
			continue;
		for (j = 0; j < n && !(same_dest(k, &all[j])); j++)
			;
		if (j < n)
			continue;
		grown = realloc(all, (n + 1) * sizeof(*all));
		if (!grown) {
			free(all);
			return NULL;
		}
		all = grown;
		all[n++] = d;
	}
	for (i = 0; i < n; i++)
		ep_cap_connect(c, s, &all[i]);
	if (n)
		qsort(all, n, sizeof(*all), by_room);
	*count = n;
	/* none: an empty array all the same, so NULL says out of memory */
	return all ? all : calloc(1, sizeof(*all));
}

enum ep_cap_why ep_cap_port_bind(const struct ep_cap_config *c, const struct ep_socks *s,
				 int port)
{
	return port_why(c, s, bind_held, NULL, port);
}

enum ep_cap_why ep_cap_port_udp(const struct ep_cap_config *c, const struct ep_socks *s,
				int port)
{
	return port_why(c, s, udp_held, NULL, port);
}

enum ep_cap_why ep_cap_port_connect(const struct ep_cap_config *c, const struct ep_socks *s,
				    const struct ep_dest *d, int port)
{
	return port_why(c, s, connect_held, d, port);
}

int ep_cap_add_to(const char *arg, struct ep_dest *to, int *n)
{
	const char *wrong;

	if (*n == EP_CAP_MAX_TO)
		return ep_usage_error("at most %d --to", EP_CAP_MAX_TO), EP_ARGP_SAID;
	wrong = ep_destination(arg, &to[*n].daddr, &to[*n].dport, &to[*n].saddr);
	if (wrong)
		return ep_usage_error("--to '%s' %s", arg, wrong), EP_ARGP_SAID;
	(*n)++;
	return 0;
}
