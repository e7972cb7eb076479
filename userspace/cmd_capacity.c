// SPDX-License-Identifier: GPL-2.0
/*
 * capacity: how many more port-0 bind()s, UDP binds and connect()s to each
 * destination this network namespace's range has room for, and why the
 * other ports are passed by.  Reads the kernel's sockets; needs no module.
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
#include "source.h"

#define EP_CAP_TOP 10

struct cap_args {
	struct ep_dest to[EP_CAP_MAX_TO];
	int nto;
	long top;
};

enum { OPT_TO = 't', OPT_TOP = 0x100 };

static const struct argp_option options[] = {
	{ "to", OPT_TO, "ADDR:PORT", 0,
	  "Only connect() to this destination ([ADDR6]:PORT for IPv6), from the source the "
	  "routing table gives it; repeatable", 0 },
	{ "top", OPT_TOP, "N", 0,
	  "Show the N destinations with the fewest ports left (default 10; 0: all)", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct cap_args *a = state->input;
	switch (key) {
	case OPT_TO:
		return ep_cap_add_to(arg, a->to, &a->nto);
	case OPT_TOP:
		if (!ep_parse_long(arg, 0, 1 << 20, &a->top))
			return ep_usage_error("--top wants a count, not '%s'", arg), EP_ARGP_SAID;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	options, parse, NULL,
	"Says how many more searches for a port will succeed in this network namespace "
	"before they fail: bind() of port 0 to 0.0.0.0 (without and with SO_REUSEADDR), "
	"UDP's, and connect() to each destination TCP sockets are connected to (or to "
	"--to's), with the ports passed by counted by reason. It follows the kernel's "
	"rules: connect() passes by a port a bind() user holds and a port already "
	"connected from the same source to the same destination, but shares ports with "
	"other destinations; a TIME_WAIT is taken over only as net.ipv4.tcp_tw_reuse "
	"allows, after a second, and TCP's walks over an odd count of ports each leave "
	"one of two ports untried, as their draw falls: then it gives a range. It reads the sockets through "
	"NETLINK_SOCK_DIAG, as ss does, and needs no module.\n"
	"\vA connected socket whose port a listener does not share is counted as one "
	"connect() gave its port; one bound with bind() before connect() keeps its port "
	"from every destination. Kernels before 6.9 do not show sockets that are only "
	"bound: the counts say so.",
	NULL, NULL, NULL
};

static void print_why_text(const struct ep_cap *c)
{
	const char *sep = " (";
	int w;

	for (w = EP_CAP_FREE + 1; w < EP_CAP_WHY_COUNT; w++) {
		if (!c->why[w])
			continue;
		printf("%s%u %s", sep, c->why[w], ep_cap_why_name[w]);
		sep = ", ";
	}
	printf("%s\n", *sep == ',' ? ")" : "");
}

static void print_left_text(const char *what, const struct ep_cap *c)
{
	if (c->left_min == c->left_max)
		printf("%-40s %6u left", what, c->left_min);
	else
		printf("%-40s %u-%u left", what, c->left_min, c->left_max);
	print_why_text(c);
}

static void print_cap_json(struct ep_json *j, const char *name, const struct ep_cap *c)
{
	int w;

	ep_json_key(j, name);
	ep_json_start_object(j);
	ep_json_kuint(j, "left_min", c->left_min);
	ep_json_kuint(j, "left_max", c->left_max);
	ep_json_key(j, "ports");
	ep_json_start_object(j);
	for (w = 0; w < EP_CAP_WHY_COUNT; w++)
		ep_json_kuint(j, ep_cap_why_name[w], c->why[w]);
	ep_json_end_object(j);
	ep_json_end_object(j);
}

static void dest_text(const struct ep_dest *d)
{
	char from[INET6_ADDRSTRLEN], to[INET6_ADDRSTRLEN], what[128];

	ep_addr_format(&d->saddr, from, sizeof(from));
	ep_addr_format(&d->daddr, to, sizeof(to));
	snprintf(what, sizeof(what), ep_addr_is_v4(&d->daddr) ? "connect() %s -> %s:%d" :
		 "connect() %s -> [%s]:%d", from, to, d->dport);
	print_left_text(what, &d->cap);
}

static void dest_json(struct ep_json *j, const struct ep_dest *d)
{
	char from[INET6_ADDRSTRLEN], to[INET6_ADDRSTRLEN];

	ep_addr_format(&d->saddr, from, sizeof(from));
	ep_addr_format(&d->daddr, to, sizeof(to));
	ep_json_start_object(j);
	ep_json_kstring(j, "from", from);
	ep_json_kstring(j, "to", to);
	ep_json_kint(j, "port", d->dport);
	ep_json_kuint(j, "sockets", d->sockets);
	print_cap_json(j, "connect", &d->cap);
	ep_json_end_object(j);
}

static int run(int argc, char **argv)
{
	struct cap_args a = { .top = EP_CAP_TOP };
	struct ep_cap bind, bind_reuse, udp;
	static bool reserved[EP_PORTS];
	struct ep_cap_config c;
	struct ep_dest *dests = a.to;
	struct ep_socks s;
	size_t n, shown, i;
	int code = ep_parse_args(&argp, argc, argv, &a);

	if (code)
		return code;
	if (!ep_netns_cap_config("/proc", &c, reserved))
		return EP_EXIT_FAIL;
	if (!ep_socks_read(&s))
		return EP_EXIT_FAIL;
	ep_cap_bind(&c, &s, false, &bind);
	ep_cap_bind(&c, &s, true, &bind_reuse);
	ep_cap_udp(&c, &s, &udp);
	if (a.nto) {
		for (i = 0; i < (size_t)a.nto; i++)
			ep_cap_connect(&c, &s, &a.to[i]);
		n = shown = a.nto;
	} else {
		dests = ep_cap_dests(&c, &s, &n);
		if (!dests) {
			ep_socks_free(&s);
			ep_error("out of memory");
			return EP_EXIT_FAIL;
		}
		shown = a.top && (size_t)a.top < n ? (size_t)a.top : n;
	}
	if (ep_cli.json) {
		struct ep_json j;

		ep_json_init(&j, stdout);
		ep_json_start_object(&j);
		ep_json_key(&j, "range");
		ep_json_start_object(&j);
		ep_json_kint(&j, "low", c.low);
		ep_json_kint(&j, "high", c.high);
		ep_json_kint(&j, "ports", c.high - c.low + 1);
		ep_json_end_object(&j);
		ep_json_kint(&j, "tcp_tw_reuse", c.tw_reuse);
		ep_json_kint(&j, "ip_autobind_reuse", c.autobind_reuse);
		ep_json_kbool(&j, "bound_sockets_visible", s.bound_visible);
		print_cap_json(&j, "bind", &bind);
		print_cap_json(&j, "bind_reuseaddr", &bind_reuse);
		print_cap_json(&j, "udp", &udp);
		ep_json_kuint(&j, "destinations", n);
		ep_json_key(&j, "connect");
		ep_json_start_array(&j);
		for (i = 0; i < shown; i++)
			dest_json(&j, &dests[i]);
		ep_json_end_array(&j);
		ep_json_end_object(&j);
	} else {
		printf("range %d-%d (%d ports), net.ipv4.tcp_tw_reuse=%d%s\n", c.low, c.high,
		       c.high - c.low + 1, c.tw_reuse,
		       c.autobind_reuse ? ", net.ipv4.ip_autobind_reuse=1" : "");
		if (!s.bound_visible)
			printf("(this kernel does not show sockets that are only bound: they are "
			       "not counted)\n");
		print_left_text("bind() to 0.0.0.0:0", &bind);
		print_left_text("bind() with SO_REUSEADDR", &bind_reuse);
		print_left_text("UDP bind() to 0.0.0.0:0", &udp);
		for (i = 0; i < shown; i++)
			dest_text(&dests[i]);
		if (shown < n)
			printf("(%zu more destinations: --top 0 shows all)\n", n - shown);
		if (!n)
			printf("no TCP socket of the range is connected: --to ADDR:PORT asks for one "
			       "destination\n");
	}
	if (dests != a.to)
		free(dests);
	ep_socks_free(&s);
	return EP_EXIT_OK;
}

const struct ep_command ep_cmd_capacity = {
	"capacity", "how many more bind()s, UDP binds and connect()s will succeed", run
};
