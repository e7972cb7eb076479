// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark workload for the test VM: N x (socket, bind port 0, listen,
 * close), with a share of the range held by explicit binds first.  Prints
 * one CSV line: the per-bind() median and p99 (the search), the rate of
 * whole iterations, and the candidates the module counted per search.
 *
 *   bench CONFIG ROUND OCCUPANCY% ITERATIONS LOW HIGH
 *   bench loss LOW HIGH ITERATIONS    (seq gaps against records_dropped)
 *   bench read LABEL FILE SEARCHES    (the time to read a file of records)
 *   bench walk udp|connect CONFIG ROUND ITERATIONS
 *                                     (UDP bind(0), or connect() to a
 *                                     loopback listener, timed alone)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../userspace/record.h"
#include "util.h"

#define EVENTS "/sys/kernel/debug/ephport/events"
#define RANGE "/proc/sys/net/ipv4/ip_local_port_range"
#define NS_PER_S 1000000000LL
#define PERCENT 100
#define P99 99

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

static int bind_port(int port, int *fd)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(port) };

	*fd = socket(AF_INET, SOCK_STREAM, 0);
	if (*fd < 0)
		return -1;
	return bind(*fd, (struct sockaddr *)&addr, sizeof(addr));
}

static void set_range(int low, int high)
{
	FILE *f = fopen(RANGE, "w");

	if (f) {
		fprintf(f, "%d %d\n", low, high);
		fclose(f);
	}
}

/* Holds OCCUPANCY% of [low, high] with listening sockets, at random places. */
static int *occupy(int low, int high, int percent, int *nheld)
{
	int width = high - low + 1, i, *fds = calloc(width, sizeof(int));
	struct rlimit rl = { .rlim_cur = width + 64, .rlim_max = width + 64 };
	unsigned int seed = 1;

	setrlimit(RLIMIT_NOFILE, &rl);
	*nheld = 0;
	for (i = 0; i < width && fds; i++) {
		/* the same places every run, of both parities */
		seed = seed * 1103515245 + 12345;
		if ((seed >> 16) % PERCENT >= (unsigned int)percent)
			continue;
		if (bind_port(low + i, &fds[*nheld]) || listen(fds[*nheld], 1)) {
			fprintf(stderr, "bench: holding port %d: %s\n", low + i,
				strerror(errno));
			close(fds[*nheld]);
			continue;
		}
		(*nheld)++;
	}
	return fds;
}

static int run(const char *config, int round, int percent, int iterations,
	       int low, int high)
{
	long long *bind_ns = calloc(iterations, sizeof(long long));
	long long searches0 = module_stat("searches");
	long long candidates0 = module_stat("candidates");
	long long dropped0 = module_stat("records_dropped");
	long long start, total, searches, candidates;
	int i, fd, nheld, *held;

	if (!bind_ns)
		return 1;
	set_range(low, high);
	held = occupy(low, high, percent, &nheld);
	start = now_ns();
	for (i = 0; i < iterations; i++) {
		long long t0 = now_ns();
		int err = bind_port(0, &fd);

		bind_ns[i] = now_ns() - t0;
		if (err || listen(fd, 1)) {
			fprintf(stderr, "bench: bind(0): %s\n", strerror(errno));
			return 1;
		}
		close(fd);
	}
	total = now_ns() - start;
	qsort(bind_ns, iterations, sizeof(long long), cmp_ll);
	searches = module_stat("searches") - searches0;
	candidates = module_stat("candidates") - candidates0;
	/* BENCH,config,ports,occupancy,round,median_ns,p99_ns,rate,examined,dropped */
	printf("BENCH,%s,%d,%d,%d,%lld,%lld,%.0f,", config, high - low + 1, percent, round,
	       bind_ns[iterations / 2], bind_ns[iterations * P99 / PERCENT],
	       (double)iterations * NS_PER_S / total);
	if (searches0 >= 0 && searches > 0)
		printf("%.2f,%lld\n", (double)candidates / searches,
		       module_stat("records_dropped") - dropped0);
	else
		printf(",\n");
	for (i = 0; i < nheld; i++)
		close(held[i]);
	free(held);
	free(bind_ns);
	return 0;
}

/* Records lost by seq (before the first buffered, and between) vs dropped. */
static int loss(int low, int high, int iterations)
{
	long long written0 = module_stat("records_written");
	long long dropped0 = module_stat("records_dropped");
	unsigned long long first = 0, last = 0, count = 0;
	struct ep_record rec;
	char line[512];
	int i, fd;
	FILE *f;

	set_range(low, high);
	for (i = 0; i < iterations; i++) {
		if (bind_port(0, &fd) == 0)
			listen(fd, 1);
		close(fd);
	}
	f = fopen(EVENTS, "r");
	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f)) {
		if (ep_record_parse(line, &rec) || rec.seq <= (unsigned long long)written0)
			continue;
		if (!first)
			first = rec.seq;
		last = rec.seq;
		count++;
	}
	fclose(f);
	printf("LOSS,%llu,%lld\n",
	       count ? (first - written0 - 1) + (last - first + 1 - count) : 0,
	       module_stat("records_dropped") - dropped0);
	return 0;
}

/*
 * Makes @searches searches, then reads @path (events, events_pipe, or
 * their binary forms records and records_pipe) to its end in 64 KiB reads:
 * the module's cost of giving records out.
 */
static int read_cost(const char *label, const char *path, int searches)
{
	static char buf[1 << 16];
	bool binary = strstr(path, "/records");
	long long records = 0, start;
	ssize_t n;
	int i, fd;

	for (i = 0; i < searches; i++) {
		if (bind_port(0, &fd) == 0)
			listen(fd, 1);
		close(fd);
	}
	fd = open(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return 1;
	start = now_ns();
	/* memchr, so that the reader's own loop adds little to the module's time */
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		const char *p = buf, *end = buf + n;

		if (binary) {
			struct ephport_record w;
			long size;

			/* whole records, each its own size */
			while ((size = ep_record_unpack(p, end - p, &w)) > 0) {
				records++;
				p += size;
			}
			continue;
		}
		while ((p = memchr(p, '\n', end - p))) {
			records++;
			p++;
		}
	}
	/* READ,label,records,ns */
	printf("READ,%s,%lld,%lld\n", label, records, now_ns() - start);
	close(fd);
	return 0;
}

#define WALK_LISTENER_PORT 5000

/* One UDP bind(0) or one connect() without a port: ns, or -1. */
static long long walk_once(bool udp, int listener, const struct sockaddr_in *to)
{
	struct sockaddr_in any = { .sin_family = AF_INET };
	struct linger reset = { 1, 0 };
	int fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0), peer, err;
	long long t0, ns;

	if (fd < 0)
		return -1;
	/* closed with a reset: no TIME_WAIT piles up over the range */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
	t0 = now_ns();
	err = udp ? bind(fd, (struct sockaddr *)&any, sizeof(any)) :
		    connect(fd, (const struct sockaddr *)to, sizeof(*to));
	ns = now_ns() - t0;
	if (!udp && !err) {
		peer = accept(listener, NULL, NULL);
		if (peer >= 0)
			close(peer);
	}
	close(fd);
	return err ? -1 : ns;
}

/* The other two walks: UDP's bind(0) and connect()'s, their median and p99. */
static int walk(const char *kind, const char *config, int round, int iterations)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(WALK_LISTENER_PORT),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	long long *ns = calloc(iterations, sizeof(long long)), start, total;
	bool udp = !strcmp(kind, "udp");
	int listener = -1, i, one = 1;

	if (!ns)
		return 1;
	if (!udp) {
		listener = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(listener, (struct sockaddr *)&to, sizeof(to)) || listen(listener, 64)) {
			fprintf(stderr, "bench: listener: %s\n", strerror(errno));
			return 1;
		}
	}
	start = now_ns();
	for (i = 0; i < iterations; i++) {
		ns[i] = walk_once(udp, listener, &to);
		if (ns[i] < 0) {
			fprintf(stderr, "bench: %s: %s\n", kind, strerror(errno));
			return 1;
		}
	}
	total = now_ns() - start;
	qsort(ns, iterations, sizeof(long long), cmp_ll);
	/* WALK,kind,config,round,median_ns,p99_ns,rate */
	printf("WALK,%s,%s,%d,%lld,%lld,%.0f\n", kind, config, round, ns[iterations / 2],
	       ns[iterations * P99 / PERCENT], (double)iterations * NS_PER_S / total);
	if (listener >= 0)
		close(listener);
	free(ns);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "read"))
		return read_cost(argv[2], argv[3], atoi(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "loss"))
		return loss(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
	if (argc == 6 && !strcmp(argv[1], "walk") &&
	    (!strcmp(argv[2], "udp") || !strcmp(argv[2], "connect")))
		return walk(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
	if (argc != 7) {
		fprintf(stderr, "usage: bench CONFIG ROUND OCCUPANCY%% ITERATIONS LOW HIGH\n"
				"       bench loss LOW HIGH ITERATIONS\n"
				"       bench read LABEL FILE SEARCHES\n"
				"       bench walk udp|connect CONFIG ROUND ITERATIONS\n");
		return 2;
	}
	return run(argv[1], atoi(argv[2]), atoi(argv[3]), atoi(argv[4]),
		   atoi(argv[5]), atoi(argv[6]));
}
