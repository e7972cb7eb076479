// SPDX-License-Identifier: GPL-2.0
/*
 * latency KIND SECONDS: the worst searches of KIND (udp, bind, connect), one
 * after another on CPU 0 for SECONDS, for the latency job to watch with the
 * kernel's timerlat tracer.  Every port of ip_local_port_range but its last
 * is held first, so each search walks the whole range before it finds one
 * (and at detail=candidates writes as many candidates as a half pass may).
 * Prints "searches N" and exits 0, or says why it could not and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define PORT_RANGE "/proc/sys/net/ipv4/ip_local_port_range"
/* connect()'s listener, outside any range the job sets */
#define LISTENER_PORT 5000
#define MAX_HELD 4096

static int held[2 * MAX_HELD];
/* connect()'s listener, or -1 */
static int listener = -1;

static int fail(const char *what)
{
	fprintf(stderr, "latency: %s: %s\n", what, strerror(errno));
	return 1;
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/*
 * One search of @kind, its socket closed without a TIME_WAIT (and a
 * connect()'s peer accepted and closed: a full accept queue would drop
 * the next SYNs, and the connect() time out); 0 or errno.
 */
static int search(const char *kind)
{
	struct sockaddr_in any = { .sin_family = AF_INET }, peer = loopback(LISTENER_PORT);
	struct linger reset = { .l_onoff = 1 };
	bool udp = !strcmp(kind, "udp"), tcp_connect = !strcmp(kind, "connect");
	int fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0), err = 0;

	if (fd < 0)
		return errno;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
	if (tcp_connect ? connect(fd, (struct sockaddr *)&peer, sizeof(peer)) :
			  bind(fd, (struct sockaddr *)&any, sizeof(any)))
		err = errno;
	else if (tcp_connect)
		close(accept(listener, NULL, NULL));
	close(fd);
	return err;
}

int main(int argc, char **argv)
{
	struct rlimit files = { 4 * MAX_HELD + 64, 4 * MAX_HELD + 64 };
	struct sockaddr_in peer = loopback(LISTENER_PORT);
	int low, high, port, n = 0, one = 1;
	unsigned long searches = 0;
	char text[64];
	cpu_set_t cpu;
	double end;

	if (argc != 3)
		return fprintf(stderr, "usage: latency udp|bind|connect SECONDS\n"), 2;
	if (!read_file(PORT_RANGE, text, sizeof(text)) || sscanf(text, "%d %d", &low, &high) != 2 ||
	    high - low + 1 > MAX_HELD)
		return fprintf(stderr, "latency: a range of at most %d ports, please\n", MAX_HELD), 1;
	CPU_ZERO(&cpu);
	CPU_SET(0, &cpu);
	if (setrlimit(RLIMIT_NOFILE, &files) || sched_setaffinity(0, sizeof(cpu), &cpu))
		return fail("limits");
	if (!strcmp(argv[1], "connect")) {
		/*
		 * the module (when loaded) told where the slot's value is: on
		 * PREEMPT_RT the kernel's locks cannot stand in for it
		 */
		perturb_table_from_kallsyms();
		listener = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (listener < 0 || bind(listener, (struct sockaddr *)&peer, sizeof(peer)) ||
		    listen(listener, 4096))
			return fail("listener");
	}
	/* every port but the last held: connect()'s by connections to the listener */
	for (port = low; port < high; port++) {
		struct sockaddr_in at = loopback(port);
		int fd = socket(AF_INET, !strcmp(argv[1], "udp") ? SOCK_DGRAM : SOCK_STREAM, 0);

		at.sin_addr.s_addr = htonl(INADDR_ANY);
		if (fd < 0 || bind(fd, (struct sockaddr *)&at, sizeof(at)))
			return fail("holding the range");
		held[n++] = fd;
		if (listener >= 0) {
			if (connect(fd, (struct sockaddr *)&peer, sizeof(peer)))
				return fail("connecting a held port");
			held[n++] = accept(listener, NULL, NULL);
		}
	}
	for (end = now_seconds() + atoi(argv[2]); now_seconds() < end; searches++) {
		int err = search(argv[1]);

		if (err) {
			errno = err;
			return fail(argv[1]);
		}
	}
	printf("searches %lu\n", searches);
	return 0;
}
