// SPDX-License-Identifier: GPL-2.0
/*
 * ephport capacity's forecasts, proved: with listeners, bound sockets,
 * connections to four destinations, TIME_WAITs and UDP sockets held in a
 * small odd range, it asks the reader how many more searches will succeed,
 * then makes them until the kernel says EADDRINUSE or EADDRNOTAVAIL, and
 * the count must be the forecast (within its bounds where TIME_WAIT reuse
 * depends on time).  Prints "ok - capacity-..." lines; exits 1 on a failure.
 * Its sockets are close-on-exec, so the reader it runs holds none of them.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* An even count: TCP's walks try every port (an odd count leaves one to chance) */
#define RANGE "20000 20199"
#define RESERVED "20010-20014,20100"
#define MAX_SOCKS 4096

static int socks[MAX_SOCKS], nsocks;
static bool failed;
static char saved_range[64], saved_reserved[256], saved_tw[16];

static void result(bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void result(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("%s - capacity-%s", ok ? "ok" : "not ok", name);
	if (!ok) {
		printf(": ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		failed = true;
	}
	printf("\n");
	fflush(stdout);
}

static bool sysctl(const char *name, const char *value, char *save, size_t size)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s", name);
	if (save) {
		f = fopen(path, "r");
		if (!f || !fgets(save, size, f))
			return false;
		fclose(f);
		save[strcspn(save, "\n")] = '\0';
	}
	f = fopen(path, "w");
	if (!f)
		return false;
	fprintf(f, "%s\n", value);
	return !fclose(f);
}

static int keep(int fd)
{
	if (fd >= 0 && nsocks < MAX_SOCKS)
		socks[nsocks++] = fd;
	return fd;
}

static void close_from(int mark)
{
	while (nsocks > mark)
		close(socks[--nsocks]);
}

static socklen_t sockaddr_of(const char *addr, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		return sizeof(*in);
	}
	inet_pton(AF_INET6, addr, &in6->sin6_addr);
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	return sizeof(*in6);
}

/* A socket bound to ADDR:PORT (listening when @backlog): its fd, or -1. */
static int bound(int type, const char *addr, int port, bool v6only, int backlog)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(addr, port, &ss);
	int fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0), one = 1;

	if (v6only)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || (backlog && listen(fd, backlog))) {
		close(fd);
		return -1;
	}
	return keep(fd);
}

/* connect() to ADDR:PORT from a port the kernel picks: 0, or its errno. */
static int connect_to(const char *addr, int port, int *fdp)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(addr, port, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (connect(fd, (struct sockaddr *)&ss, len)) {
		int err = errno;

		close(fd);
		return err;
	}
	keep(fd);
	if (fdp)
		*fdp = fd;
	return 0;
}

/* Port-0 binds of @type (SO_REUSEADDR when @reuse) until one fails: how many, and its errno. */
static int bind_until_full(int type, bool reuse, int *err)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	int n = 0, one = 1;

	for (;;) {
		int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

		if (reuse)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&in, sizeof(in))) {
			*err = errno;
			close(fd);
			return n;
		}
		keep(fd);
		n++;
	}
}

static int connect_until_full(const char *addr, int port, int *err)
{
	int n = 0;

	while (!(*err = connect_to(addr, port, NULL)))
		n++;
	return n;
}

/* The reader's output for @args ("" if it failed), in a static buffer. */
static const char *reader(const char *args)
{
	static char out[65536];
	char cmd[256];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ephport %s", args);
	p = popen(cmd, "r");
	if (!p)
		return "";
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	return pclose(p) ? "" : out;
}

static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
		     ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/*
 * ephport who, against the sockets this process holds: its count of the
 * range's, a listener's port, and a connected port's verdicts.
 */
static void prove_who(const char *connected_to)
{
	char args[160], want[96];
	const char *out;
	int i, ours = 0, port = -1, mine = getpid();

	for (i = 0; i < nsocks; i++) {
		int p = local_port(socks[i]);

		ours += p >= 20000 && p <= 20199;
	}
	out = reader("who --json");
	snprintf(want, sizeof(want), "{\"pid\":%d,", mine);
	out = strstr(out, want);
	snprintf(want, sizeof(want), "\"sockets\":%d,", ours);
	result(out && strstr(out, want) && strstr(out, want) < strchr(out, '}'), "who",
	       "this process (pid %d) holds %d sockets in the range: %.200s", mine, ours,
	       out ? out : "not listed");
	out = reader("who --port 20050 --json");
	snprintf(want, sizeof(want), "\"pid\":%d,", mine);
	result(strstr(out, want) && strstr(out, "\"state\":\"listening\"") &&
	       strstr(out, "\"bind\":\"listening\""), "who-port-listener", "%.300s", out);
	/* a port this process connected to one destination: free to another */
	for (i = nsocks - 1; i >= 0 && port < 0; i--) {
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);

		if (!getpeername(socks[i], (struct sockaddr *)&peer, &len) &&
		    peer.sin_family == AF_INET && !strcmp(inet_ntoa(peer.sin_addr), connected_to))
			port = local_port(socks[i]);
	}
	snprintf(args, sizeof(args), "who --json --port %d --to %s:%d --to 127.0.0.5:7006", port,
		 connected_to, 7001);
	out = reader(args);
	result(strstr(out, "\"why\":\"connected\"},{\"to\":\"127.0.0.5:7006\",\"why\":\"free\"") != NULL,
	       "who-port-connected", "port %d: %.300s", port, out);
}

/* "KEY":{"left_min":N,"left_max":M: the first after @key in ephport capacity --json */
static bool forecast(const char *to, const char *key, long *min, long *max)
{
	char cmd[256], out[8192], pattern[64], *at;
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ephport capacity --json%s%s", to ? " --to " : "",
		 to ? to : "");
	p = popen(cmd, "r");
	if (!p)
		return false;
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	if (pclose(p))
		return false;
	snprintf(pattern, sizeof(pattern), "\"%s\":{\"left_min\":", key);
	at = strstr(out, pattern);
	return at && sscanf(at + strlen(pattern), "%ld,\"left_max\":%ld", min, max) == 2;
}

static bool bound_sockets_visible(void)
{
	FILE *p = popen("ephport capacity --json", "r");
	char out[8192];
	size_t n;

	if (!p)
		return false;
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	pclose(p);
	return strstr(out, "\"bound_sockets_visible\":true");
}

/*
 * One forecast, then the searches it counted: exact, or (@exact false)
 * within bounds that must differ.
 */
static void prove_bind(const char *name, int type, bool reuse, const char *key, bool exact)
{
	int mark = nsocks, err = 0, n;
	long min, max;

	if (!forecast(NULL, key, &min, &max)) {
		result(false, name, "ephport capacity gave no %s forecast", key);
		return;
	}
	n = bind_until_full(type, reuse, &err);
	result(n >= min && n <= max && err == EADDRINUSE && exact == (min == max), name,
	       "forecast %ld-%ld, %d bind()s succeeded, then %s", min, max, n, strerror(err));
	close_from(mark);
}

static long prove_connect(const char *name, const char *addr, int port, bool exact)
{
	char to[96];
	long min, max;
	int err = 0, n;

	snprintf(to, sizeof(to), strchr(addr, ':') ? "[%s]:%d" : "%s:%d", addr, port);
	if (!forecast(to, "connect", &min, &max)) {
		result(false, name, "ephport capacity gave no forecast for %s", to);
		return -1;
	}
	/* ephport metrics gives the same figure for a destination in use */
	if (exact && !strchr(addr, ':')) {
		char want[160], check[64];
		const char *line;

		snprintf(want, sizeof(want), "destination=\"%s\"} ", to);
		line = strstr(reader("metrics --top 0"), want);
		snprintf(check, sizeof(check), "%s-metrics", name);
		result(line && atol(line + strlen(want)) == min, check,
		       "metrics --top 0 says %.40s for %s, capacity %ld", line ? line : "nothing",
		       to, min);
	}
	n = connect_until_full(addr, port, &err);
	result(n >= min && n <= max && err == EADDRNOTAVAIL && exact == (min == max), name,
	       "forecast %ld-%ld to %s, %d connect()s succeeded, then %s", min, max, to, n,
	       strerror(err));
	return min;
}

/* @n connections to ADDR:PORT that end in the client's TIME_WAIT. */
static void time_waits(int listener, const char *addr, int port, int n)
{
	while (n--) {
		int fd, peer;

		if (connect_to(addr, port, &fd))
			return;
		peer = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
		/* the client closes first, so the TIME_WAIT is on its port */
		shutdown(fd, SHUT_WR);
		close(peer);
		usleep(20000);
		nsocks--;
		close(fd);
	}
}

int main(void)
{
	struct rlimit files = { MAX_SOCKS + 64, MAX_SOCKS + 64 };
	static const struct {
		const char *addr;
		int port, held;
	} dests[] = {
		{ "127.0.0.1", 7001, 10 }, { "127.0.0.2", 7002, 20 },
		{ "127.0.0.3", 7003, 5 }, { "::1", 7004, 3 }, { "127.0.0.4", 7005, 0 },
	};
	int listeners[5], i, j;
	long fa, fb;
	bool ok;

	setrlimit(RLIMIT_NOFILE, &files);
	if (system("ephport capacity > /tmp/capacity.out 2>&1")) {
		FILE *f = fopen("/tmp/capacity.out", "r");
		char why[256] = "";

		if (f && fgets(why, sizeof(why), f))
			why[strcspn(why, "\n")] = '\0';
		if (f)
			fclose(f);
		/* a kernel without inet_diag (the debug kernel's tinyconfig), not one unloaded */
		if (strstr(why, "dumps no") && access("/modules/inet_diag.ko", F_OK)) {
			printf("ok - capacity-forecasts # SKIP %s\n", why);
			return 0;
		}
		result(false, "runs", "%s", why);
		return 1;
	}
	ok = sysctl("ip_local_port_range", RANGE, saved_range, sizeof(saved_range)) &&
	     sysctl("ip_local_reserved_ports", RESERVED, saved_reserved, sizeof(saved_reserved)) &&
	     sysctl("tcp_tw_reuse", "0", saved_tw, sizeof(saved_tw));
	result(ok, "sysctls", "cannot set the range, reserved ports and tcp_tw_reuse");
	if (!ok)
		return 1;
	/* bind() users: on IPv4 and IPv6, and one only bound where the kernel shows it */
	ok = bound(SOCK_STREAM, "0.0.0.0", 20050, false, 16) >= 0 &&
	     bound(SOCK_STREAM, "::1", 20051, true, 16) >= 0 &&
	     (!bound_sockets_visible() || bound(SOCK_STREAM, "127.0.0.9", 20060, false, 0) >= 0) &&
	     bound(SOCK_DGRAM, "0.0.0.0", 20070, false, 0) >= 0 &&
	     bound(SOCK_DGRAM, "127.0.0.1", 20071, false, 0) >= 0 &&
	     bound(SOCK_DGRAM, "::1", 20072, true, 0) >= 0;
	result(ok, "held", "cannot bind the held sockets");
	for (i = 0; i < 5; i++)
		listeners[i] = bound(SOCK_STREAM, dests[i].addr, dests[i].port, false, 1024);
	/* while the accept queues are empty, so accept() gets the client's peer */
	time_waits(listeners[0], dests[0].addr, dests[0].port, 4);
	time_waits(listeners[4], dests[4].addr, dests[4].port, 4);
	for (i = 0; i < 5; i++)
		for (j = 0; j < dests[i].held; j++)
			connect_to(dests[i].addr, dests[i].port, NULL);

	prove_who(dests[0].addr);
	/* the answer the README points to (docs/capacity.txt, from the run's results) */
	fflush(stdout);
	if (system("{ ephport capacity --top 0 && echo && ephport who && echo &&"
		   " ephport who --port 20050 --to 127.0.0.2:7002 && echo &&"
		   " ephport metrics | grep -v '^#'; } | sed 's/^/# capacity| /'"))
		result(false, "text", "ephport capacity, who or metrics failed");
	prove_bind("bind", SOCK_STREAM, false, "bind", true);
	prove_bind("bind-reuseaddr", SOCK_STREAM, true, "bind_reuseaddr", true);
	prove_bind("udp", SOCK_DGRAM, false, "udp", true);
	/* tcp_tw_reuse=0: exact; connections to other destinations share ports */
	fa = prove_connect("connect-a", dests[0].addr, dests[0].port, true);
	fb = prove_connect("connect-b", dests[1].addr, dests[1].port, true);
	prove_connect("connect-c", dests[2].addr, dests[2].port, true);
	prove_connect("connect-ipv6", dests[3].addr, dests[3].port, true);
	result(fa >= 0 && fb >= 0 && fa != fb, "per-destination",
	       "destinations with 14 and 20 ports held got forecasts %ld and %ld", fa, fb);
	/* loopback TIME_WAITs are taken over after a second: a range, then within it */
	sysctl("tcp_tw_reuse", "2", NULL, 0);
	sleep(3);
	prove_connect("connect-tw-reuse", dests[4].addr, dests[4].port, false);

	/* an odd count: each TCP walk leaves one of two ports to its draw, UDP's none */
	close_from(0);
	sysctl("ip_local_port_range", "20000 20200", NULL, 0);
	bound(SOCK_STREAM, dests[2].addr, dests[2].port, false, 1024);
	prove_bind("bind-odd-range", SOCK_STREAM, false, "bind", false);
	prove_bind("bind-reuseaddr-odd-range", SOCK_STREAM, true, "bind_reuseaddr", false);
	prove_bind("udp-odd-range", SOCK_DGRAM, false, "udp", true);
	prove_connect("connect-odd-range", dests[2].addr, dests[2].port, false);

	close_from(0);
	sysctl("ip_local_port_range", saved_range, NULL, 0);
	sysctl("ip_local_reserved_ports", saved_reserved, NULL, 0);
	sysctl("tcp_tw_reuse", saved_tw, NULL, 0);
	return failed;
}
