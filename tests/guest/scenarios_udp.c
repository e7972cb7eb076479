// SPDX-License-Identifier: GPL-2.0
/* Guest scenarios of UDP's search (udp_lib_get_port). */
#define _GNU_SOURCE
#include "scenarios.h"

/*
 * Ground truth for the walk the records describe: its first port in range
 * that neither a held socket nor one of the first @n binds has.
 */
static int udp_first_free(const struct ephport_udp_walk *w, const bool *held,
			  const struct bound *b, int n)
{
	unsigned int slot, k;
	int i;

	for (slot = 0; slot < w->slots; slot++)
		for (k = 0; k < ephport_udp_slot_length(w); k++) {
			int port = ephport_udp_port(w, slot, k);
			bool taken = false;

			if (!ephport_udp_in_range(w, port) || held[port - w->low])
				continue;
			for (i = 0; i < n; i++)
				taken |= b[i].port == port;
			if (!taken)
				return port;
		}
	return -1;
}

static bool udp_family(int family)
{
	enum { LOW = 42000, WIDTH = 300, FREE = 6 };
	static struct bound held[WIDTH];
	struct bound b[FREE + 1];
	bool is_held[WIDTH] = { false };
	int i, nheld = 0, n;
	struct search *s;

	set_range(LOW, LOW + WIDTH - 1);
	/* all but a few ports held: the walk goes through many slots */
	for (i = 0; i < WIDTH; i++)
		if (i % (WIDTH / FREE)) {
			held[nheld++] = bind_socket(family, SOCK_DGRAM, LOW + i, false, false, 0, 0);
			is_held[i] = true;
		}
	control("clear detail=candidates");
	for (n = 0; n <= FREE; n++) {
		b[n] = bind_socket(family, SOCK_DGRAM, 0, false, false, 0, 0);
		if (b[n].err)
			break;
	}
	load_trace();
	control("detail=passes");
	set_range(32768, 60999);
	close_all(b, n);
	close_all(held, nheld);
	EXPECT(n == FREE && b[n].err == EADDRINUSE, "%d binds, then %s", n,
	       strerror(b[n].err));
	EXPECT(!trace.noncanonical, "%d lines differ from the reader's format",
	       trace.noncanonical);
	for (i = 0; i < n; i++) {
		struct ephport_udp_walk w;

		s = op_ending(EPHPORT_OP_BIND, b[i].port, 0);
		EXPECT(s && !s->end.incomplete, "no complete traced search on %d", b[i].port);
		EXPECT(s->begin.proto == EPHPORT_UDP && s->npass == 1 && s->pass[0].slots,
		       "search %llu: proto %s, %d passes", s->id, ephport_proto_words[s->begin.proto], s->npass);
		w.low = LOW;
		w.high = LOW + WIDTH - 1;
		w.slots = s->pass[0].slots;
		w.first = s->pass[0].start;
		w.stride = s->pass[0].step;
		EXPECT(udp_first_free(&w, is_held, b, i) == b[i].port,
		       "search %llu: the walk's first free port is %d, the kernel's %d",
		       s->id, udp_first_free(&w, is_held, b, i), b[i].port);
		EXPECT(ephport_udp_examined_to(&w, b[i].port) == s->end.examined &&
		       s->ncand == s->end.examined && s->ncand_free == 1,
		       "search %llu: examined %lld, the walk reaches %d after %u, %d candidates",
		       s->id, s->end.examined, b[i].port, ephport_udp_examined_to(&w, b[i].port),
		       s->ncand);
	}
	s = op_ending(EPHPORT_OP_BIND, 0, 0);
	EXPECT(s && s->end.err == -EADDRINUSE && !s->end.incomplete &&
	       s->end.examined == WIDTH, "the failed search: err %d examined %lld",
	       s ? s->end.err : 0, s ? s->end.examined : 0);
	return true;
}

bool udp_ipv4(void)
{
	return udp_family(AF_INET);
}

bool udp_ipv6(void)
{
	return udp_family(AF_INET6);
}

/*
 * The draw's probe on one instruction of udp_lib_get_port() is an int3
 * until the kernel optimizes it into a jump, and a kernel int3 is handled
 * as an NMI: with optimization off, the draws are still the searches'.
 */
bool udp_draw_int3(void)
{
	struct bound b[3];
	struct search *s;
	int i;

	if (write_file(KPROBES_OPTIMIZATION, "0")) {
		snprintf(skipped, sizeof(skipped), "no %s", KPROBES_OPTIMIZATION);
		return true;
	}
	control("clear");
	for (i = 0; i < 3; i++)
		b[i] = bind_socket(i & 1 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0, false, false, 0, 0);
	load_trace();
	write_file(KPROBES_OPTIMIZATION, "1");
	close_all(b, 3);
	for (i = 0; i < 3; i++) {
		EXPECT(!b[i].err, "bind: %s", strerror(b[i].err));
		s = op_ending(EPHPORT_OP_BIND, b[i].port, 0);
		EXPECT(s && !s->end.incomplete && s->npass == 1,
		       "UDP search on %d with an int3 probe: %s", b[i].port,
		       !s ? "not traced" : s->end.incomplete ? "incomplete" : "no pass");
	}
	return true;
}

/*
 * The implicit bind of sendto() on an unbound socket: traced as UDP's
 * search, its port getsockname()'s; on a full range sendto() says EAGAIN
 * for the search's EADDRINUSE.
 */
bool udp_sendto(void)
{
	struct sockaddr_storage peer, ss;
	socklen_t len = sizeof(ss);
	struct bound held;
	int sink, fd, port, err, full_err;
	struct search *s;

	sink = loopback_listener(AF_INET6, SOCK_DGRAM, 5004, &peer);
	EXPECT(sink >= 0, "sink: %s", strerror(errno));
	control("clear");
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	err = sendto(fd, "x", 1, 0, (struct sockaddr *)&peer, sizeof(struct sockaddr_in6)) == 1 ?
	      0 : errno;
	getsockname(fd, (struct sockaddr *)&ss, &len);
	port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	close(fd);
	set_range(43000, 43000);
	held = bind_socket(AF_INET6, SOCK_DGRAM, 43000, false, false, 0, 0);
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	full_err = sendto(fd, "x", 1, 0, (struct sockaddr *)&peer,
			  sizeof(struct sockaddr_in6)) < 0 ? errno : 0;
	close(fd);
	load_trace();
	set_range(32768, 60999);
	close_all(&held, 1);
	close(sink);
	EXPECT(!err && port, "sendto: %s", strerror(err));
	s = op_ending(EPHPORT_OP_BIND, port, 0);
	EXPECT(s && !s->end.incomplete && s->begin.proto == EPHPORT_UDP &&
	       s->begin.family == EPHPORT_INET6, "no complete UDP search on %d", port);
	s = op_ending(EPHPORT_OP_BIND, 0, 0);
	EXPECT(s && s->end.err == -EADDRINUSE, "no failed UDP search");
	EXPECT(full_err == EAGAIN, "sendto() on a full range: %s", strerror(full_err));
	return true;
}
