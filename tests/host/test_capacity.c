// SPDX-License-Identifier: GPL-2.0
/*
 * ephport capacity's arithmetic: its rules on made-up socket tables, and its
 * forecasts against the shared model's walks run until they fail, with the
 * kernel's random draws, over small ranges of both parities.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "../../userspace/capacity.h"
#include "check.h"

static bool reserved[EP_PORTS];
static struct ep_sock table[64];
static struct ep_socks socks = { table, 0, 64, true };

static struct ep_addr addr(const char *s)
{
	struct ep_addr a;
	int port;
	char buf[64];

	snprintf(buf, sizeof(buf), strchr(s, ':') ? "[%s]:1" : "%s:1", s);
	ep_parse_endpoint(buf, &a, &port);
	return a;
}

static struct ep_sock *add(int sport, int state, const char *src, const char *dst, int dport)
{
	struct ep_sock *k = &table[socks.n++];

	memset(k, 0, sizeof(*k));
	k->state = state;
	k->sport = sport;
	k->saddr = addr(src);
	k->daddr = addr(dst);
	k->dport = dport;
	k->v6 = !ep_addr_is_v4(&k->saddr);
	k->timewait = state == EP_TCP_TIME_WAIT || state == EP_TCP_FIN_WAIT2;
	return k;
}

static struct ep_cap_config config(int low, int high, int tw_reuse)
{
	struct ep_cap_config c = { low, high, reserved, tw_reuse, false, 0 };

	memset(reserved, 0, sizeof(reserved));
	socks.n = 0;
	return c;
}

static void rules(void)
{
	struct ep_cap_config c = config(100, 199, 0);
	struct ep_dest d = { .saddr = addr("127.0.0.1"), .daddr = addr("127.0.0.2"), .dport = 80 };
	struct ep_cap bind, udp;
	struct ep_dest *dests;
	size_t n;

	reserved[150] = true;
	add(110, EP_TCP_LISTEN, "0.0.0.0", "0.0.0.0", 0);
	add(111, EP_TCP_LISTEN, "::1", "::", 0)->v6only = true;
	add(112, EP_TCP_BOUND_INACTIVE, "127.0.0.9", "0.0.0.0", 0);
	add(120, EP_TCP_ESTABLISHED, "127.0.0.1", "127.0.0.2", 80);
	add(121, EP_TCP_ESTABLISHED, "127.0.0.1", "127.0.0.3", 80);
	add(122, EP_TCP_TIME_WAIT, "127.0.0.1", "127.0.0.2", 80);
	add(123, EP_TCP_FIN_WAIT2, "127.0.0.1", "127.0.0.2", 80);
	/* the server's end of a connection to a listener in the range */
	add(110, EP_TCP_ESTABLISHED, "127.0.0.1", "127.0.0.7", 5555);
	add(130, EP_TCP_CLOSE, "0.0.0.0", "0.0.0.0", 0)->udp = true;
	add(131, EP_TCP_CLOSE, "::", "::", 0)->udp = true;
	table[socks.n - 1].v6only = true;
	add(300, EP_TCP_LISTEN, "0.0.0.0", "0.0.0.0", 0);

	ep_cap_bind(&c, &socks, false, &bind);
	/* v6only listener: not 0.0.0.0's; all the others are, TIME_WAITs too */
	CHECK(bind.why[EP_CAP_RESERVED] == 1 && bind.why[EP_CAP_LISTEN] == 1 &&
	      bind.why[EP_CAP_BOUND] == 1 && bind.why[EP_CAP_CONNECTED] == 2 &&
	      bind.why[EP_CAP_TIMEWAIT] == 2, "bind's reasons");
	CHECK(bind.left_min == 100 - 7 && bind.left_max == bind.left_min, "bind left %u-%u",
	      bind.left_min, bind.left_max);
	ep_cap_udp(&c, &socks, &udp);
	CHECK(udp.left_min == 100 - 2 && udp.why[EP_CAP_CONNECTED] == 1, "udp left %u",
	      udp.left_min);

	ep_cap_connect(&c, &socks, &d);
	/* bind() users of both families; this destination's 120, 122, 123; not 121 */
	CHECK(d.cap.why[EP_CAP_LISTEN] == 2 && d.cap.why[EP_CAP_BOUND] == 1 &&
	      d.cap.why[EP_CAP_CONNECTED] == 1 && d.cap.why[EP_CAP_TIMEWAIT] == 2 &&
	      d.cap.left_min == 100 - 7 && d.cap.left_max == d.cap.left_min && d.sockets == 3,
	      "connect's reasons, %u left", d.cap.left_min);
	CHECK(ep_cap_port_connect(&c, &socks, &d, 121) == EP_CAP_FREE &&
	      ep_cap_port_connect(&c, &socks, &d, 111) == EP_CAP_LISTEN &&
	      ep_cap_port_bind(&c, &socks, 111) == EP_CAP_FREE &&
	      ep_cap_port_udp(&c, &socks, 131) == EP_CAP_FREE &&
	      ep_cap_port_bind(&c, &socks, 300) == EP_CAP_OUTSIDE, "one port's reason");

	/* tcp_tw_reuse=2 takes over loopback TIME_WAITs (after a second), never FIN_WAIT2's */
	c.tw_reuse = 2;
	ep_cap_connect(&c, &socks, &d);
	CHECK(d.cap.why[EP_CAP_TIMEWAIT_REUSE] == 1 && d.cap.left_max == d.cap.left_min + 1,
	      "tw_reuse=2 on loopback: %u-%u", d.cap.left_min, d.cap.left_max);
	table[5].saddr = addr("10.0.0.1");
	table[5].daddr = addr("10.0.0.2");
	d.saddr = table[5].saddr;
	d.daddr = table[5].daddr;
	ep_cap_connect(&c, &socks, &d);
	CHECK(d.cap.why[EP_CAP_TIMEWAIT] == 1 && d.cap.left_max == d.cap.left_min,
	      "tw_reuse=2 off loopback");
	c.tw_reuse = 1;
	ep_cap_connect(&c, &socks, &d);
	CHECK(d.cap.why[EP_CAP_TIMEWAIT_REUSE] == 1, "tw_reuse=1 anywhere");

	/* ip_autobind_reuse: SO_REUSEADDR's last pass may share non-listening ports */
	c.autobind_reuse = true;
	ep_cap_bind(&c, &socks, true, &bind);
	CHECK(bind.left_max == bind.left_min + 5, "autobind_reuse: %u-%u", bind.left_min,
	      bind.left_max);

	/* destinations: the fullest first; a listener's own port is no client's */
	c = config(100, 199, 0);
	add(101, EP_TCP_ESTABLISHED, "127.0.0.1", "127.0.0.2", 80);
	add(102, EP_TCP_ESTABLISHED, "127.0.0.1", "127.0.0.3", 80);
	add(103, EP_TCP_ESTABLISHED, "127.0.0.1", "127.0.0.3", 80);
	add(104, EP_TCP_LISTEN, "0.0.0.0", "0.0.0.0", 0);
	add(104, EP_TCP_ESTABLISHED, "127.0.0.1", "127.0.0.9", 4000);
	dests = ep_cap_dests(&c, &socks, &n);
	CHECK(dests && n == 2 && dests[0].sockets == 2 && dests[0].cap.left_min == 97 &&
	      dests[1].cap.left_min == 98, "destinations");
	free(dests);
}

static void noop(const struct ep_record *rec, void *ctx)
{
	(void)rec, (void)ctx;
}

/* The model's searches of one kind, with random draws, until one fails. */
static unsigned int run_until_full(const struct ep_cap_config *c, enum ep_sim_kind kind,
				   bool reuse, bool *used)
{
	unsigned int draws[EPHPORT_MAX_HALF_PASSES], n = 0;
	int i, port;

	for (;;) {
		struct ep_sim sim = {
			.kind = kind, .low = c->low, .high = c->high, .reuse = reuse,
			.draws = draws, .ndraws = EPHPORT_MAX_HALF_PASSES,
			.perturb = (unsigned int)rand(),
			.port_offset = (unsigned long long)rand() << 32 | (unsigned int)rand(),
			.slots = 16, .used = used, .reserved = c->reserved,
		};

		for (i = 0; i < EPHPORT_MAX_HALF_PASSES; i++)
			draws[i] = (unsigned int)rand() << 1 ^ (unsigned int)rand();
		port = ep_simulate(&sim, false, noop, NULL);
		if (port < 0)
			return n;
		used[port] = true;
		n++;
	}
}

/*
 * Random tables over ranges of 2 to 41 ports: every count the model's
 * searches reach lies within the forecast, and each bound is reached.
 */
static void against_model(void)
{
	static bool used[EP_PORTS];
	static const struct {
		enum ep_sim_kind kind;
		bool reuse;
	} kinds[] = {
		{ EP_SIM_BIND, false }, { EP_SIM_BIND, true }, { EP_SIM_UDP, false },
		{ EP_SIM_CONNECT, false },
	};
	unsigned int k, trial, run, outside = 0, min_seen = 0, max_seen = 0, ranges = 0;

	srand(7);
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		for (trial = 0; trial < 400; trial++) {
			int low = 1000, high = low + 1 + rand() % 40, p;
			struct ep_cap_config c = config(low, high, 0);
			struct ep_dest d = { .saddr = addr("127.0.0.1"),
					     .daddr = addr("127.0.0.2"), .dport = 80 };
			struct ep_cap cap;

			for (p = low; p <= high; p++) {
				int r = rand() % 8;

				if (r == 0)
					reserved[p] = true;
				else if (r == 1)
					add(p, EP_TCP_LISTEN, "0.0.0.0", "0.0.0.0", 0);
				else if (r == 2)
					add(p, EP_TCP_ESTABLISHED, "127.0.0.1", "127.0.0.2", 80);
				else if (r == 3)
					add(p, EP_TCP_CLOSE, "0.0.0.0", "0.0.0.0", 0)->udp = true;
				if (socks.n == 64)
					break;
			}
			if (kinds[k].kind == EP_SIM_CONNECT) {
				ep_cap_connect(&c, &socks, &d);
				cap = d.cap;
			} else if (kinds[k].kind == EP_SIM_UDP) {
				ep_cap_udp(&c, &socks, &cap);
			} else {
				ep_cap_bind(&c, &socks, kinds[k].reuse, &cap);
			}
			ranges += cap.left_min != cap.left_max;
			for (run = 0; run < 20; run++) {
				unsigned int n;

				memset(used, 0, sizeof(used));
				/* what the forecast counted as taken, the model's searches pass by */
				for (p = low; p <= high; p++) {
					enum ep_cap_why why = kinds[k].kind == EP_SIM_CONNECT ?
						ep_cap_port_connect(&c, &socks, &d, p) :
						kinds[k].kind == EP_SIM_UDP ?
						ep_cap_port_udp(&c, &socks, p) :
						ep_cap_port_bind(&c, &socks, p);

					used[p] = why != EP_CAP_FREE && why != EP_CAP_RESERVED;
				}
				n = run_until_full(&c, kinds[k].kind, kinds[k].reuse, used);
				outside += n < cap.left_min || n > cap.left_max;
				min_seen += cap.left_min != cap.left_max && n == cap.left_min;
				max_seen += cap.left_min != cap.left_max && n == cap.left_max;
			}
		}
	}
	CHECK(!outside, "%u runs of the model fell outside the forecast", outside);
	CHECK(ranges && min_seen && max_seen, "odd ranges: %u forecasts with bounds, low %u, high %u",
	      ranges, min_seen, max_seen);
}

int main(void)
{
	rules();
	against_model();
	return check_summary("capacity");
}
