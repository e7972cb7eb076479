// SPDX-License-Identifier: GPL-2.0
/*
 * who: the processes holding the range's ports (by half, parity and
 * destination), or, with --port, the sockets on one port and why each
 * search would pass it by.  Reads the kernel's sockets; needs no module.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capacity.h"
#include "cli.h"
#include "json.h"
#include "netns.h"
#include "procs.h"
#include "source.h"


struct who_args {
	long port;			/* 0: the whole range */
	struct ep_dest to[EP_CAP_MAX_TO];
	int nto;
};

/* -P is --port as in watch (-p is --pid there), -t is --to as in capacity */
enum { OPT_PORT = 'P', OPT_TO = 't' };

static const struct argp_option options[] = {
	{ "port", OPT_PORT, "N", 0,
	  "The sockets on port N, and why bind(), UDP and connect() would pass it by", 0 },
	{ "to", OPT_TO, "ADDR:PORT", 0,
	  "With --port: connect() to this destination ([ADDR6]:PORT for IPv6); repeatable", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct who_args *a = state->input;
	switch (key) {
	case OPT_PORT:
		if (!ep_parse_long(arg, 1, 65535, &a->port))
			return ep_usage_error("--port wants a port from 1 to 65535, not '%s'", arg),
			       EP_ARGP_SAID;
		return 0;
	case OPT_TO:
		return ep_cap_add_to(arg, a->to, &a->nto);
	case ARGP_KEY_END:
		if (a->nto && !a->port)
			return ep_usage_error("--to goes with --port"), EP_ARGP_SAID;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	options, parse, NULL,
	"Says which processes hold the ports of net.ipv4.ip_local_port_range in this "
	"network namespace: for each (pid, command, cgroup, network namespace), its "
	"sockets in the range, by bind()'s halves (SO_REUSEADDR searches the lower "
	"first) and by parity (bind() starts odd, connect() even), TCP and UDP, and the "
	"destination it holds most ports to. TIME_WAITs belong to no process. With "
	"--port, the sockets on that port and why bind() of port 0, UDP's bind and "
	"connect() (to --to's, else to a destination it is not connected to) would pass "
	"it by. From NETLINK_SOCK_DIAG and /proc/PID/fd, as ss -p; no module needed. "
	"Another user's processes are seen only by root.",
	NULL, NULL, NULL
};

static const char *const tcp_state_name[EP_TCP_STATES] = {
	[EP_TCP_ESTABLISHED] = "established", [EP_TCP_SYN_SENT] = "syn-sent",
	[EP_TCP_SYN_RECV] = "syn-recv", [EP_TCP_FIN_WAIT1] = "fin-wait-1",
	[EP_TCP_FIN_WAIT2] = "fin-wait-2", [EP_TCP_TIME_WAIT] = "time-wait",
	[EP_TCP_CLOSE] = "close", [EP_TCP_CLOSE_WAIT] = "close-wait",
	[EP_TCP_LAST_ACK] = "last-ack", [EP_TCP_LISTEN] = "listening",
	[EP_TCP_CLOSING] = "closing", [EP_TCP_NEW_SYN_RECV] = "syn-recv",
	[EP_TCP_BOUND_INACTIVE] = "bound",
};

static const char *state_of(const struct ep_sock *k)
{
	if (k->udp)
		return k->state == EP_TCP_ESTABLISHED ? "connected" : "bound";
	return k->state < EP_TCP_STATES && tcp_state_name[k->state] ?
	       tcp_state_name[k->state] : "unknown";
}

static void endpoint(char *buf, size_t size, const struct ep_addr *a, int port)
{
	char text[INET6_ADDRSTRLEN];

	ep_addr_format(a, text, sizeof(text));
	snprintf(buf, size, ep_addr_is_v4(a) ? "%s:%d" : "[%s]:%d", text, port);
}

/* One process's share of the range (or, with no process, the TIME_WAITs'). */
struct holder {
	const struct ep_proc *proc;
	unsigned int sockets, lower, upper, odd, even, tcp, udp;
	/* the destination it holds most sockets to */
	struct ep_addr top_addr;
	int top_port;
	unsigned int top_count;
};

static int by_sockets(const void *a, const void *b)
{
	const struct holder *x = a, *y = b;

	if (x->sockets != y->sockets)
		return x->sockets > y->sockets ? -1 : 1;
	return (x->proc ? x->proc->pid : 0) - (y->proc ? y->proc->pid : 0);
}

static void tally(struct holder *h, const struct ep_sock *k, int half)
{
	h->sockets++;
	*(k->sport < half ? &h->lower : &h->upper) += 1;
	*(k->sport & 1 ? &h->odd : &h->even) += 1;
	*(k->udp ? &h->udp : &h->tcp) += 1;
}

/* A connected socket of the range: its holder and destination. */
struct held_to {
	size_t holder;
	struct ep_addr daddr;
	int dport;
};

static int by_holder_to(const void *a, const void *b)
{
	const struct held_to *x = a, *y = b;
	int d;

	if (x->holder != y->holder)
		return x->holder < y->holder ? -1 : 1;
	d = ep_addr_cmp(&x->daddr, &y->daddr);
	return d ? d : x->dport - y->dport;
}

/* Each holder's destination with the most sockets, from the sorted runs of @v. */
static void top_destinations(struct holder *h, struct held_to *v, size_t n)
{
	size_t i, run;

	if (n)
		qsort(v, n, sizeof(*v), by_holder_to);
	for (i = 0; i < n; i += run) {
		struct holder *owner = &h[v[i].holder];

		for (run = 1; i + run < n && !by_holder_to(&v[i], &v[i + run]); run++)
			;
		if (run > owner->top_count) {
			owner->top_count = (unsigned int)run;
			owner->top_addr = v[i].daddr;
			owner->top_port = v[i].dport;
		}
	}
}

static void holder_text(const struct holder *h)
{
	char to[INET6_ADDRSTRLEN + 16] = "-";

	if (h->top_count)
		endpoint(to, sizeof(to), &h->top_addr, h->top_port);
	if (h->proc)
		printf("%-7d %-15s", h->proc->pid, h->proc->comm);
	else
		printf("%-7s %-15s", "-", "(no process)");
	printf(" %7u %6u %6u %6u %6u %5u %5u  %s", h->sockets, h->lower, h->upper, h->odd,
	       h->even, h->tcp, h->udp, to);
	if (h->top_count)
		printf(" (%u)", h->top_count);
	if (h->proc)
		printf("  netns %lu%s%s", h->proc->netns, *h->proc->cgroup ? " " : "",
		       h->proc->cgroup);
	printf("\n");
}

static void holder_json(struct ep_json *j, const struct holder *h)
{
	char to[INET6_ADDRSTRLEN + 16];

	ep_json_start_object(j);
	ep_json_kint(j, "pid", h->proc ? h->proc->pid : 0);
	ep_json_kstring(j, "comm", h->proc ? h->proc->comm : NULL);
	ep_json_kstring(j, "cgroup", h->proc ? h->proc->cgroup : NULL);
	ep_json_kuint(j, "netns", h->proc ? h->proc->netns : 0);
	ep_json_kuint(j, "sockets", h->sockets);
	ep_json_kuint(j, "lower", h->lower);
	ep_json_kuint(j, "upper", h->upper);
	ep_json_kuint(j, "odd", h->odd);
	ep_json_kuint(j, "even", h->even);
	ep_json_kuint(j, "tcp", h->tcp);
	ep_json_kuint(j, "udp", h->udp);
	if (h->top_count) {
		endpoint(to, sizeof(to), &h->top_addr, h->top_port);
		ep_json_kstring(j, "top_destination", to);
		ep_json_kuint(j, "top_destination_sockets", h->top_count);
	}
	ep_json_end_object(j);
}

static int holders(const struct ep_cap_config *c, const struct ep_socks *s,
		   const struct ep_procs *p)
{
	struct holder *h = calloc(p->n + 1, sizeof(*h));
	struct held_to *to = calloc(s->n + 1, sizeof(*to));
	int half = ep_cap_half_point(c);
	size_t i, n = p->n + 1, nto = 0;

	if (!h || !to) {
		free(h);
		free(to);
		ep_error("out of memory");
		return EP_EXIT_FAIL;
	}
	for (i = 0; i < p->n; i++)
		h[i].proc = &p->v[i];
	for (i = 0; i < s->n; i++) {
		const struct ep_sock *k = &s->v[i];
		const struct ep_proc *owner = ep_procs_owner(p, k->inode);
		size_t holder = owner ? (size_t)(owner - p->v) : p->n;

		if (k->sport < c->low || k->sport > c->high)
			continue;
		tally(&h[holder], k, half);
		if (k->dport)
			to[nto++] = (struct held_to){ holder, k->daddr, k->dport };
	}
	top_destinations(h, to, nto);
	free(to);
	qsort(h, n, sizeof(*h), by_sockets);
	if (ep_cli.json) {
		struct ep_json j;

		ep_json_init(&j, stdout);
		ep_json_start_object(&j);
		ep_json_key(&j, "range");
		ep_json_start_object(&j);
		ep_json_kint(&j, "low", c->low);
		ep_json_kint(&j, "high", c->high);
		ep_json_kint(&j, "half", half);
		ep_json_end_object(&j);
		ep_json_key(&j, "holders");
		ep_json_start_array(&j);
		for (i = 0; i < n && h[i].sockets; i++)
			holder_json(&j, &h[i]);
		ep_json_end_array(&j);
		ep_json_end_object(&j);
	} else {
		printf("range %d-%d: lower half %d-%d, upper %d-%d\n", c->low, c->high, c->low,
		       half - 1, half, c->high);
		printf("%-7s %-15s %7s %6s %6s %6s %6s %5s %5s  %s\n", "PID", "COMM", "SOCKETS",
		       "LOWER", "UPPER", "ODD", "EVEN", "TCP", "UDP", "MOST TO");
		for (i = 0; i < n && h[i].sockets; i++)
			holder_text(&h[i]);
		if (!h[0].sockets)
			printf("(no socket holds a port of the range)\n");
	}
	free(h);
	return EP_EXIT_OK;
}

/* The searches asked about: bind(), UDP, and connect() to each --to (or to a new one). */
struct asked {
	const char *label;
	enum ep_cap_why why;
	const char *to;		/* connect()'s, or NULL: a new destination */
};

static int verdicts(const struct ep_cap_config *c, const struct ep_socks *s,
		    const struct who_args *a, int port, struct asked *v, char (*to)[64])
{
	/* a destination none of its sockets is connected to */
	static const struct ep_dest any = { .dport = 0 };
	static char labels[EP_CAP_MAX_TO + 1][96];
	int i, n = 0;

	v[n++] = (struct asked){ "bind() to 0.0.0.0:0", ep_cap_port_bind(c, s, port), NULL };
	v[n++] = (struct asked){ "UDP bind() to 0.0.0.0:0", ep_cap_port_udp(c, s, port), NULL };
	for (i = 0; i < (a->nto ? a->nto : 1); i++) {
		const struct ep_dest *d = a->nto ? &a->to[i] : &any;

		if (a->nto)
			endpoint(to[i], sizeof(to[i]), &d->daddr, d->dport);
		snprintf(labels[i], sizeof(labels[i]), "connect() to %s",
			 a->nto ? to[i] : "a new destination");
		v[n++] = (struct asked){ labels[i], ep_cap_port_connect(c, s, d, port),
					 a->nto ? to[i] : NULL };
	}
	return n;
}

/* A socket on the port asked about, its ends written out and its holder. */
struct on_port {
	const struct ep_sock *sk;
	const struct ep_proc *owner;
	char local[INET6_ADDRSTRLEN + 16], remote[INET6_ADDRSTRLEN + 16];
};

/* The next socket on @port from index @k on into @on: the index after it, or 0. */
static size_t next_on_port(const struct ep_socks *s, const struct ep_procs *p, int port,
			   size_t k, struct on_port *on)
{
	for (; k < s->n; k++) {
		if (s->v[k].sport != port)
			continue;
		on->sk = &s->v[k];
		on->owner = ep_procs_owner(p, on->sk->inode);
		endpoint(on->local, sizeof(on->local), &on->sk->saddr, on->sk->sport);
		endpoint(on->remote, sizeof(on->remote), &on->sk->daddr, on->sk->dport);
		return k + 1;
	}
	return 0;
}

static void port_json(const struct ep_cap_config *c, const struct ep_socks *s,
		      const struct ep_procs *p, int port, const struct asked *v, int n)
{
	struct on_port on;
	struct ep_json j;
	size_t k;
	int i;

	ep_json_init(&j, stdout);
	ep_json_start_object(&j);
	ep_json_kint(&j, "port", port);
	ep_json_kbool(&j, "in_range", port >= c->low && port <= c->high);
	ep_json_key(&j, "sockets");
	ep_json_start_array(&j);
	for (k = 0; (k = next_on_port(s, p, port, k, &on)); ) {
		ep_json_start_object(&j);
		ep_json_kstring(&j, "proto", on.sk->udp ? "udp" : "tcp");
		ep_json_kstring(&j, "state", state_of(on.sk));
		ep_json_kstring(&j, "local", on.local);
		ep_json_kstring(&j, "remote", on.remote);
		ep_json_kint(&j, "pid", on.owner ? on.owner->pid : 0);
		ep_json_kstring(&j, "comm", on.owner ? on.owner->comm : NULL);
		ep_json_end_object(&j);
	}
	ep_json_end_array(&j);
	ep_json_kstring(&j, "bind", ep_cap_why_name[v[0].why]);
	ep_json_kstring(&j, "udp", ep_cap_why_name[v[1].why]);
	ep_json_key(&j, "connect");
	ep_json_start_array(&j);
	for (i = 2; i < n; i++) {
		ep_json_start_object(&j);
		ep_json_kstring(&j, "to", v[i].to);
		ep_json_kstring(&j, "why", ep_cap_why_name[v[i].why]);
		ep_json_end_object(&j);
	}
	ep_json_end_array(&j);
	ep_json_end_object(&j);
}

static void port_text(const struct ep_cap_config *c, const struct ep_socks *s,
		      const struct ep_procs *p, int port, const struct asked *v, int n)
{
	struct on_port on;
	size_t k;
	int i;

	printf("port %d%s\n", port, port >= c->low && port <= c->high ? "" :
	       " (outside net.ipv4.ip_local_port_range: no search takes it)");
	for (k = 0; (k = next_on_port(s, p, port, k, &on)); ) {
		printf("  %s %-11s %s -> %s", on.sk->udp ? "udp" : "tcp", state_of(on.sk), on.local,
		       on.sk->dport ? on.remote : "*");
		if (on.owner)
			printf("  pid %d %s", on.owner->pid, on.owner->comm);
		printf("\n");
	}
	for (i = 0; i < n; i++)
		if (v[i].why == EP_CAP_FREE)
			printf("%s would take it\n", v[i].label);
		else
			printf("%s passes it by: %s\n", v[i].label, ep_cap_why_name[v[i].why]);
}

static int one_port(const struct ep_cap_config *c, const struct ep_socks *s,
		    const struct ep_procs *p, const struct who_args *a)
{
	struct asked v[EP_CAP_MAX_TO + 2];
	static char to[EP_CAP_MAX_TO][64];
	int n = verdicts(c, s, a, (int)a->port, v, to);

	if (ep_cli.json)
		port_json(c, s, p, (int)a->port, v, n);
	else
		port_text(c, s, p, (int)a->port, v, n);
	return EP_EXIT_OK;
}

static int run(int argc, char **argv)
{
	struct who_args a = { 0 };
	static bool reserved[EP_PORTS];
	struct ep_cap_config c;
	struct ep_procs p;
	struct ep_socks s;
	int code = ep_parse_args(&argp, argc, argv, &a);

	if (code)
		return code;
	if (!ep_netns_cap_config("/proc", &c, reserved))
		return EP_EXIT_FAIL;
	if (!ep_socks_read(&s))
		return EP_EXIT_FAIL;
	if (!ep_procs_read(&p)) {
		ep_socks_free(&s);
		return EP_EXIT_FAIL;
	}
	code = a.port ? one_port(&c, &s, &p, &a) : holders(&c, &s, &p);
	ep_procs_free(&p);
	ep_socks_free(&s);
	return code;
}

const struct ep_command ep_cmd_who = {
	"who", "which processes hold the range's ports, or one port and why it is passed by", run
};
