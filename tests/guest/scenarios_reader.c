// SPDX-License-Identifier: GPL-2.0
/* Guest scenarios of what leaves the module for readers: the reader, metrics, binary records, counters, lockdown. */
#define _GNU_SOURCE
#include "scenarios.h"

/*
 * A connect()'s search_begin trace event leaves out the hash, the slot and
 * its value, which events (root's alone) carries: tracefs may be opened to
 * a group.
 */
bool trace_connect_keeps_secrets(void)
{
	static char line[1024];
	struct sockaddr_storage peer;
	struct bound c;
	bool seen = false;
	int lfd;
	FILE *f;

	if (!tracefs_ready())
		return false;
	lfd = loopback_listener(AF_INET, SOCK_STREAM, 5006, &peer);
	EXPECT(lfd >= 0, "listener: %s", strerror(errno));
	EXPECT(!write_file(TRACEFS "events/ephport/enable", "1"), "no ephport events");
	c = connect_socket(&peer, SOCK_STREAM, 0, 0);
	write_file(TRACEFS "events/ephport/enable", "0");
	close_all(&c, 1);
	close(lfd);
	EXPECT(!c.err, "connect: %s", strerror(c.err));
	f = fopen(TRACEFS "trace", "r");
	EXPECT(f, "trace: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "type=begin") || !strstr(line, "op=connect"))
			continue;
		seen = true;
		if (strstr(line, " hash=") || strstr(line, " slot=") || strstr(line, " perturb=")) {
			fclose(f);
			EXPECT(false, "a connect()'s trace event carries a secret: %.300s", line);
		}
	}
	fclose(f);
	EXPECT(seen, "no connect() search_begin event in the trace");
	return true;
}

/* A "KEY N" line of the module's stats, or 0. */
static unsigned long long trace_stat(const char *key)
{
	static char stats[8192];
	char pattern[64];
	const char *at;

	if (!read_file(DEBUGFS "stats", stats, sizeof(stats)))
		return 0;
	snprintf(pattern, sizeof(pattern), "\n%s ", key);
	at = strstr(stats, pattern);
	return at ? strtoull(at + strlen(pattern), NULL, 10) : 0;
}

/*
 * control's netns= traces one namespace: a bind in a new namespace is
 * neither traced nor counted, this namespace's is.
 */
bool netns_filter(void)
{
	unsigned long long before, after;
	struct stat self;
	char words[96];
	struct bound b;
	int status, i, ours = 0, others = 0;
	pid_t child;

	EXPECT(!stat("/proc/self/ns/net", &self), "no network namespace");
	before = trace_stat("searches");
	snprintf(words, sizeof(words), "clear detail=passes netns=%lu", (unsigned long)self.st_ino);
	control(words);
	child = fork();
	if (!child) {
		if (unshare(CLONE_NEWNET))
			_exit(2);
		b = bind_socket(AF_INET, SOCK_STREAM, 0, false, true, 0, 0);
		_exit(b.err ? 1 : 0);
	}
	waitpid(child, &status, 0);
	b = bind_socket(AF_INET, SOCK_STREAM, 0, false, true, 0, 0);
	load_trace();
	after = trace_stat("searches");
	close_all(&b, 1);
	control("netns=0");
	EXPECT(WIFEXITED(status) && !WEXITSTATUS(status), "the bind in a new namespace failed");
	EXPECT(!b.err, "bind: %s", strerror(b.err));
	for (i = 0; i < trace.n; i++) {
		ours += trace.s[i].begin.netns == (unsigned long)self.st_ino;
		others += trace.s[i].begin.netns != (unsigned long)self.st_ino;
	}
	EXPECT(ours == 1 && others == 0, "traced %d searches here, %d elsewhere", ours, others);
	EXPECT(after - before == 1, "stats counted %llu searches, not 1", after - before);
	return true;
}

/* A metric's value in the reader's Prometheus text, or -1. */
static long long metric(const char *text, const char *series)
{
	char needle[256];
	const char *p;

	snprintf(needle, sizeof(needle), "\n%s ", series);
	p = strstr(text, needle);
	return p ? atoll(p + strlen(needle)) : -1;
}

/*
 * ephport metrics counts the ports of each half that have a socket, as the
 * kernel lists them, and carries the module's counters.
 */
bool metrics(void)
{
	enum { LOW = 40000, HIGH = 40009 };
	static char out[65536];
	struct bound b[3];
	int rc, mid = half_point(LOW, HIGH);

	set_range(LOW, HIGH);
	b[0] = bind_socket(AF_INET, SOCK_STREAM, LOW + 1, false, true, 0, 0);
	b[1] = bind_socket(AF_INET6, SOCK_STREAM, mid + 1, false, true, 0, 0);
	b[2] = bind_socket(AF_INET, SOCK_DGRAM, LOW + 2, false, false, 0, 0);
	rc = run_reader(out, sizeof(out), "ephport metrics");
	close_all(b, 3);
	set_range(32768, 60999);
	EXPECT(rc == 0, "ephport metrics exited %d", rc);
	EXPECT(!b[0].err && !b[1].err && !b[2].err, "binds failed");
	EXPECT(metric(out, "ephport_port_range_low") == LOW &&
	       metric(out, "ephport_port_range_high") == HIGH, "range: %.300s", out);
	EXPECT(metric(out, "ephport_ports{half=\"lower\"}") == mid - LOW &&
	       metric(out, "ephport_ports{half=\"upper\"}") == HIGH + 1 - mid,
	       "halves, split at %d: %.300s", mid, out);
	EXPECT(metric(out, "ephport_ports_in_use{proto=\"tcp\",half=\"lower\"}") == 1 &&
	       metric(out, "ephport_ports_in_use{proto=\"tcp\",half=\"upper\"}") == 1 &&
	       metric(out, "ephport_ports_in_use{proto=\"udp\",half=\"lower\"}") == 1 &&
	       metric(out, "ephport_ports_in_use{proto=\"udp\",half=\"upper\"}") == 0,
	       "ports in use: %.300s", out + strlen(out) / 2);
	/* searches are counted once, by namespace and walk (metrics-walks) */
	EXPECT(!strstr(out, "ephport_searches_total") &&
	       metric(out, "ephport_module_loaded") == 1, "module-wide searches, or not loaded");
	return true;
}

/* A walk's series for this network namespace, from ephport metrics. */
static long long walk_metric(const char *text, const char *family, const char *walk,
			     const char *extra)
{
	char series[256];
	struct stat ns;

	if (stat("/proc/self/ns/net", &ns))
		return -1;
	snprintf(series, sizeof(series), "%s{netns=\"%lu\",walk=\"%s\"%s}", family,
		 (unsigned long)ns.st_ino, walk, extra);
	return metric(text, series);
}

/* A walk's seconds (a _sum) for this network namespace, or -1. */
static double walk_seconds(const char *text, const char *family, const char *walk)
{
	char needle[256];
	struct stat ns;
	const char *p;

	if (stat("/proc/self/ns/net", &ns))
		return -1;
	snprintf(needle, sizeof(needle), "\n%s{netns=\"%lu\",walk=\"%s\"} ", family,
		 (unsigned long)ns.st_ino, walk);
	p = strstr(text, needle);
	return p ? strtod(p + strlen(needle), NULL) : -1;
}

/*
 * The counters by namespace and walk: UDP binds and connects, some of them
 * failing, move them by what the programs saw (errno), and the histogram
 * counts the complete searches the trace shows.
 */
bool metrics_walks(void)
{
	enum { LOW = 43000, HIGH = 43001 };
	static char before[65536], after[65536];
	struct sockaddr_storage peer;
	struct bound u[3], c[3];
	int lfd, i, complete = 0, udp_busy = 0, refused = 0;
	unsigned long long ns = 0;
	struct stat self;
	double sum;

	lfd = loopback_listener(AF_INET, SOCK_STREAM, 5005, &peer);
	EXPECT(lfd >= 0 && !perturb_table_from_kallsyms(), "listener or perturb_table");
	c[0] = connect_socket(&peer, SOCK_STREAM, 0, 0);
	close_all(c, 1);
	set_range(LOW, HIGH);
	control("clear");
	EXPECT(!run_reader(before, sizeof(before), "ephport metrics"), "metrics before");
	for (i = 0; i < 3; i++) {
		u[i] = bind_socket(AF_INET, SOCK_DGRAM, 0, false, false, 0, 0);
		udp_busy += u[i].err == EADDRINUSE;
	}
	for (i = 0; i < 3; i++) {
		c[i] = connect_socket(&peer, SOCK_STREAM, 0, 0);
		refused += c[i].err == EADDRNOTAVAIL;
	}
	EXPECT(!run_reader(after, sizeof(after), "ephport metrics"), "metrics after");
	load_trace();
	set_range(32768, 60999);
	close_all(u, 3);
	close_all(c, 3);
	close(lfd);
	for (i = 0; i < trace.n; i++)
		complete += trace.s[i].has_end && !trace.s[i].end.incomplete &&
			    trace.s[i].begin.op == EPHPORT_OP_CONNECT;
	EXPECT(udp_busy == 1 && refused == 1, "%d UDP binds refused, %d connects", udp_busy,
	       refused);
	EXPECT(walk_metric(after, "ephport_walk_searches_total", "udp", "") -
	       walk_metric(before, "ephport_walk_searches_total", "udp", "") == 3 &&
	       walk_metric(after, "ephport_walk_searches_total", "connect", "") -
	       walk_metric(before, "ephport_walk_searches_total", "connect", "") == 3,
	       "searches by walk did not move by 3 and 3:\n%.400s", after);
	EXPECT(walk_metric(after, "ephport_walk_failures_total", "udp", ",errno=\"EADDRINUSE\"") -
	       walk_metric(before, "ephport_walk_failures_total", "udp", ",errno=\"EADDRINUSE\"") == 1 &&
	       walk_metric(after, "ephport_walk_failures_total", "connect",
			   ",errno=\"EADDRNOTAVAIL\"") -
	       walk_metric(before, "ephport_walk_failures_total", "connect",
			   ",errno=\"EADDRNOTAVAIL\"") == 1, "failures by errno did not move by 1");
	EXPECT(walk_metric(after, "ephport_examined_ports_count", "connect", "") -
	       walk_metric(before, "ephport_examined_ports_count", "connect", "") == complete &&
	       complete == 3, "histogram of connect(): %lld complete searches, the trace has %d",
	       walk_metric(after, "ephport_examined_ports_count", "connect", "") -
	       walk_metric(before, "ephport_examined_ports_count", "connect", ""), complete);
	/* every search's time, complete or not: this namespace's ends, to the nanosecond */
	EXPECT(!stat("/proc/self/ns/net", &self), "no network namespace");
	for (i = 0; i < trace.n; i++)
		ns += trace.s[i].has_end && trace.s[i].begin.op == EPHPORT_OP_CONNECT &&
		      trace.s[i].begin.netns == (unsigned long)self.st_ino ? trace.s[i].end.ns : 0;
	EXPECT(walk_metric(after, "ephport_search_duration_seconds_count", "connect", "") -
	       walk_metric(before, "ephport_search_duration_seconds_count", "connect", "") == 3 &&
	       walk_metric(after, "ephport_search_duration_seconds_count", "udp", "") -
	       walk_metric(before, "ephport_search_duration_seconds_count", "udp", "") == 3,
	       "search times did not count 3 and 3:\n%.400s", after);
	sum = walk_seconds(after, "ephport_search_duration_seconds_sum", "connect") -
	      walk_seconds(before, "ephport_search_duration_seconds_sum", "connect");
	EXPECT(ns && llabs((long long)(sum * 1e9 + 0.5) - (long long)ns) <= 1,
	       "connect()'s time sum moved by %.9f s, the trace's ends say %llu ns", sum, ns);
	return true;
}

/*
 * A reader blocked on records_pipe is woken by the next search, within the
 * wake-up delay (50 ms; 2 s allowed for a slow VM), with whole records.
 */
bool pipe_wakes(void)
{
	static char buf[65536];
	double start, waited;
	int fd, fds[2], status;
	struct bound b;
	ssize_t n;
	pid_t child;

	control("clear");
	if (pipe(fds))
		return false;
	child = fork();
	if (!child) {
		/* a reader never woken fails the scenario rather than hanging it */
		alarm(10);
		fd = open(DEBUGFS "records_pipe", O_RDONLY | O_NONBLOCK);
		if (fd < 0)
			_exit(3);
		/* clear's record first, then block on an empty ring */
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		fcntl(fd, F_SETFL, 0);
		if (write(fds[1], "r", 1) != 1)
			_exit(1);
		n = read(fd, buf, sizeof(buf));
		_exit(n >= (ssize_t)ephport_record_bytes(EPHPORT_REC_BEGIN) ? 0 : 2);
	}
	close(fds[1]);
	EXPECT(read(fds[0], buf, 1) == 1, "the reader did not start");
	close(fds[0]);
	usleep(200000);
	start = now_seconds();
	b = bind_socket(AF_INET, SOCK_STREAM, 0, true, true, 0, 0);
	waitpid(child, &status, 0);
	waited = now_seconds() - start;
	close_all(&b, 1);
	EXPECT(WIFEXITED(status) && !WEXITSTATUS(status), "the blocked reader exited %d",
	       WEXITSTATUS(status));
	EXPECT(waited < 2, "the blocked reader was woken after %.2f s", waited);
	return true;
}

/* Waits up to 5 s for control to show @words (a reader setting the detail). */
static void wait_for_detail(const char *words)
{
	char control_text[128];
	int i;

	for (i = 0; i < 100; i++) {
		read_file(DEBUGFS "control", control_text, sizeof(control_text));
		if (strstr(control_text, words))
			return;
		usleep(50000);
	}
}

/* ephport watch: follows live searches, sets and restores the detail. */
bool reader_watch(void)
{
	enum { COUNT = 3 };
	static char out[65536];
	struct bound b[COUNT];
	char detail[128];
	int fds[2], i, status;
	size_t len = 0;
	ssize_t n;
	pid_t child;

	control("clear detail=passes");
	if (pipe(fds))
		return false;
	child = fork();
	if (!child) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		execlp("ephport", "ephport", "watch", "--json", "--candidates",
		       "--count", "3", "--duration", "60", NULL);
		_exit(127);
	}
	close(fds[1]);
	/* until the reader has switched the module to candidates */
	wait_for_detail("detail=candidates");
	for (i = 0; i < COUNT; i++)
		b[i] = bind_socket(AF_INET6, SOCK_STREAM, 0, true, true, 0, 0);
	while (len + 1 < sizeof(out) && (n = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += n;
	out[len] = '\0';
	close(fds[0]);
	waitpid(child, &status, 0);
	close_all(b, COUNT);
	read_file(DEBUGFS "control", detail, sizeof(detail));
	EXPECT(WIFEXITED(status) && !WEXITSTATUS(status), "watch exited %d",
	       WEXITSTATUS(status));
	for (i = 0; i < COUNT; i++) {
		char key[32];

		snprintf(key, sizeof(key), "\"port\":%d,", b[i].port);
		EXPECT(strstr(out, key), "watch output lacks port %d:\n%.300s",
		       b[i].port, out);
	}
	EXPECT(strstr(out, "\"verdict\":\"free\""), "no candidates in watch output");
	EXPECT(strstr(detail, "detail=passes"), "detail not restored: %s", detail);
	return true;
}

/*
 * ephport record captures what bind() did while it ran, and --input reads
 * it back: the ports are getsockname()'s; the detail is restored.
 */
bool reader_record(void)
{
	enum { COUNT = 3 };
	static char out[65536];
	struct bound b[COUNT];
	char detail[128];
	int i, status, rc;
	pid_t child;

	control("clear detail=passes");
	child = fork();
	if (!child) {
		execlp("ephport", "ephport", "record", "--candidates", "--duration", "4",
		       "-o", "/tmp/capture", NULL);
		_exit(127);
	}
	/* until the recorder has switched the module to candidates */
	wait_for_detail("detail=candidates");
	for (i = 0; i < COUNT; i++)
		b[i] = bind_socket(i & 1 ? AF_INET6 : AF_INET, SOCK_STREAM, 0, true, true, 0, 0);
	waitpid(child, &status, 0);
	close_all(b, COUNT);
	EXPECT(WIFEXITED(status) && !WEXITSTATUS(status), "record exited %d",
	       WEXITSTATUS(status));
	read_file(DEBUGFS "control", detail, sizeof(detail));
	EXPECT(strstr(detail, "detail=passes"), "detail not restored: %s", detail);
	rc = run_reader(out, sizeof(out), "ephport --input /tmp/capture show --json");
	EXPECT(rc == 0, "show --input exited %d: %.300s", rc, out);
	for (i = 0; i < COUNT; i++) {
		char key[32];

		EXPECT(!b[i].err, "bind: %s", strerror(b[i].err));
		snprintf(key, sizeof(key), "\"port\":%d,", b[i].port);
		EXPECT(strstr(out, key), "the capture lacks port %d:\n%.300s", b[i].port, out);
	}
	EXPECT(strstr(out, "\"verdict\":\"free\""), "no candidates in the capture");
	unlink("/tmp/capture");
	return true;
}

/* As an ordinary user the reader says permission denied, exit 5. */
bool reader_not_root(void)
{
	pid_t child = fork();
	int status;

	if (!child) {
		if (setgid(65534) || setuid(65534))
			_exit(100);
		execlp("ephport", "ephport", "show", NULL);
		_exit(127);
	}
	waitpid(child, &status, 0);
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 5,
	       "ephport as nobody exited %d, expected 5", WEXITSTATUS(status));
	return true;
}

/* The bytes of a record past its type's fields, and past comm's NUL, are 0. */
static bool record_tail_zero(const struct ephport_record *w)
{
	static const size_t used[EPHPORT_REC_COUNT] = {
		[EPHPORT_REC_BEGIN] = sizeof(w->begin),
		[EPHPORT_REC_PASS] = sizeof(w->pass),
		[EPHPORT_REC_CAND] = sizeof(w->cand),
		[EPHPORT_REC_END] = sizeof(w->end),
		[EPHPORT_REC_CLEAR] = sizeof(w->clear),
	};
	const unsigned char *u = (const void *)&w->begin;
	size_t i;

	for (i = used[w->type]; i < sizeof(w->begin); i++)
		if (u[i])
			return false;
	if (w->type == EPHPORT_REC_BEGIN)
		for (i = strnlen(w->begin.comm, sizeof(w->begin.comm)); i < sizeof(w->begin.comm); i++)
			if (w->begin.comm[i])
				return false;
	return w->pad == 0;
}

/*
 * A read with room for a record of @first bytes and then @more of the
 * largest, all but the first unmapped: the first comes whole, the next is
 * left for the next read.  Returns what read() did; the bytes go to @out.
 */
static ssize_t read_across_fault(int fd, char *out, size_t first, size_t more)
{
	long page = sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ssize_t n;

	if (map == MAP_FAILED)
		return -1;
	mprotect(map + page, page, PROT_NONE);
	n = read(fd, map + page - first, first + more * sizeof(struct ephport_record));
	if (n > 0)
		memcpy(out, map + page - first, n);
	munmap(map, 2 * page);
	return n;
}

/*
 * Reads @fd to its end (or EAGAIN) into @buf, in reads of @size (0: odd
 * sizes): the bytes, or -1 when a read ended inside a record.
 */
static ssize_t read_packed(int fd, char *buf, size_t cap, size_t size)
{
	struct ephport_record w;
	size_t len = 0, off;
	long whole;
	ssize_t n;
	int i;

	for (i = 0; len < cap; i++) {
		size_t want = size ? size : (i % 3 + 1) * sizeof(struct ephport_record) + i % 7;

		n = read(fd, buf + len, want < cap - len ? want : cap - len);
		if (n <= 0)
			break;
		for (off = 0; (whole = ep_record_unpack(buf + len + off, n - off, &w)) > 0;)
			off += whole;
		if (off != (size_t)n)
			return -1;
		len += n;
	}
	return len;
}

/*
 * records and records_pipe: every record of a bind, a connect(), a UDP
 * bind and an IPv6 bind, decoded, is its events line; each is packed to
 * its type's size with nothing but zeros past its fields; reads give whole
 * records or EINVAL; a fault keeps the records before it and loses none;
 * the ports are getsockname()'s.
 */
bool binary_records(void)
{
	enum { N = 64 };
	static char text[65536], packed[N * EPHPORT_RECORD_SIZE], piped[N * EPHPORT_RECORD_SIZE];
	static char mine[600], theirs[600];
	/* the first record is clear's, the ring emptied just before */
	size_t first = ephport_record_bytes(EPHPORT_REC_CLEAR);
	int ports[N], nports = 0, fd, listener, i, k, nbin = 0;
	struct sockaddr_storage peer;
	struct ep_record rec, line_rec;
	char *cursor = text, *line;
	struct ephport_record w;
	size_t tlen = 0, off;
	struct bound b[4];
	long long buffered;
	ssize_t n, plen;
	long size;
	void *fault;

	control("clear detail=passes");
	listener = loopback_listener(AF_INET, SOCK_STREAM, 5001, &peer);
	b[0] = bind_socket(AF_INET, SOCK_STREAM, 0, true, true, 0, 0);
	b[1] = bind_socket(AF_INET6, SOCK_STREAM, 0, false, true, 0, 0);
	b[2] = bind_socket(AF_INET, SOCK_DGRAM, 0, false, false, 0, 0);
	b[3] = connect_socket(&peer, SOCK_STREAM, 0, 0);
	close(listener);
	for (i = 0; i < 4; i++)
		EXPECT(!b[i].err && b[i].port, "socket %d: %s", i, strerror(b[i].err));

	fd = open(DEBUGFS "events", O_RDONLY);
	while (fd >= 0 && tlen + 1 < sizeof(text) &&
	       (n = read(fd, text + tlen, sizeof(text) - 1 - tlen)) > 0)
		tlen += n;
	close(fd);
	text[tlen] = '\0';
	fd = open(DEBUGFS "records", O_RDONLY);
	EXPECT(fd >= 0, "open records: %s", strerror(errno));
	EXPECT(read(fd, packed, 0) == 0, "a zero-length read: %s", strerror(errno));
	EXPECT(read(fd, packed, EPHPORT_RECORD_SIZE - 1) < 0 && errno == EINVAL,
	       "a read shorter than the largest record: %s", strerror(errno));
	/* room for two more: the fault comes inside a batch taken at once */
	n = read_across_fault(fd, packed, first, 2);
	EXPECT(n == (ssize_t)first, "a read across a fault gave %zd: %s", n, strerror(errno));
	plen = read_packed(fd, packed + first, sizeof(packed) - first, sizeof(packed));
	close(fd);
	EXPECT(plen > 0, "a records read ended inside a record");
	plen += first;
	for (off = 0; (size = ep_record_unpack(packed + off, plen - off, &w)) > 0; off += size) {
		EXPECT(w.size == ephport_record_bytes(w.type),
		       "record %d: %u bytes for a %s", nbin, w.size, ephport_record_type_words[w.type]);
		EXPECT(!ep_record_decode(&w, &rec), "record %d does not decode", nbin);
		EXPECT(record_tail_zero(&w), "record %d (%s) has bytes past its fields", nbin,
		       ephport_record_type_words[w.type]);
		/* equal records write equal lines */
		ep_record_format(&rec, mine, sizeof(mine));
		line = strsep(&cursor, "\n");
		EXPECT(line && !ep_record_parse(line, &line_rec), "events lacks record %d", nbin);
		ep_record_format(&line_rec, theirs, sizeof(theirs));
		EXPECT(!strcmp(mine, theirs), "binary and text differ:\n%.240s%.240s", mine, theirs);
		if (rec.type == EP_END && !rec.err)
			ports[nports++] = rec.port;
		nbin++;
	}
	EXPECT(off == (size_t)plen && nbin > 4, "records gave %zd bytes, %d whole records in %zu",
	       plen, nbin, off);
	EXPECT(!cursor || !*cursor, "events has lines past the %d records", nbin);
	EXPECT(nports == 4, "%d searches ended with a port, expected 4", nports);
	for (i = 0; i < 4; i++) {
		for (k = 0; k < nports && ports[k] != b[i].port; k++)
			;
		EXPECT(k < nports, "socket %d's port %d is in no end record", i, b[i].port);
	}

	/* the consuming file: refused short reads take nothing */
	buffered = module_stat("records_buffered");
	fd = open(DEBUGFS "records_pipe", O_RDONLY | O_NONBLOCK);
	EXPECT(fd >= 0, "open records_pipe: %s", strerror(errno));
	EXPECT(read(fd, piped, EPHPORT_RECORD_SIZE - 1) < 0 && errno == EINVAL &&
	       module_stat("records_buffered") == buffered,
	       "short read: %s, buffered %lld of %lld", strerror(errno),
	       module_stat("records_buffered"), buffered);
	/* a fault leaves the record taken for the next read */
	fault = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT(fault != MAP_FAILED && read(fd, fault, EPHPORT_RECORD_SIZE) < 0 && errno == EFAULT,
	       "read into a PROT_NONE page: %s", strerror(errno));
	munmap(fault, 4096);
	n = read_across_fault(fd, piped, first, 2);
	EXPECT(n == (ssize_t)first, "a records_pipe read across a fault gave %zd: %s", n,
	       strerror(errno));
	/* odd sizes give whole records, the same bytes as records */
	n = read_packed(fd, piped + first, sizeof(piped) - first, 0);
	EXPECT(n > 0, "a records_pipe read ended inside a record");
	n += first;
	EXPECT(read(fd, piped, EPHPORT_RECORD_SIZE) < 0 && errno == EAGAIN,
	       "records_pipe not drained: %s", strerror(errno));
	close(fd);
	EXPECT(n == plen && !memcmp(piped, packed, plen),
	       "records_pipe gave %zd bytes, records %zd", n, plen);
	close_all(b, 4);
	control("clear");
	return true;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Rows of counters now: in @rows their netns= and walk= (the walk's index). */
static int counter_rows(unsigned long (*rows)[2], int max)
{
	static char text[65536];
	char *line, *cursor = text;
	unsigned long netns;
	char walk[16];
	int n = 0, w;

	if (!read_file(DEBUGFS "counters", text, sizeof(text)))
		return -1;
	while ((line = strsep(&cursor, "\n")))
		if (sscanf(line, "netns=%lu walk=%15s", &netns, walk) == 2 && n < max) {
			w = EP_WORD_INDEX(walk, strlen(walk), ephport_walk_words);
			rows[n][0] = netns;
			rows[n++][1] = (unsigned long)w;
		}
	return n;
}

/*
 * Counters across namespace churn: live namespaces claim their rows while
 * short-lived ones fill most of the table (namespace cookies are
 * consecutive and their hashes spread evenly, so a live one meets others
 * only among namespaces made later), and those rows are then given back;
 * every live namespace keeps exactly one row a walk, with all of its
 * searches, in counters and in the metrics.
 */
bool counters_churn(void)
{
	enum { LIVE = 8, ROUNDS = 8, QUIET = 2, EPHEMERAL = 50, MAX_ROWS = 256, MAX_SERIES = 4096 };
	static unsigned long rows[MAX_ROWS][2];
	static char *series[MAX_SERIES], counters_text[65536];
	static char metrics_text[1 << 17];
	int home = open("/proc/self/ns/net", O_RDONLY), live[LIVE], eph[EPHEMERAL];
	unsigned long inode[LIVE];
	int round, i, j, n, created = 0;
	double deadline;
	struct stat st;
	struct bound b;
	char *line, *cursor;

	EXPECT(home >= 0, "own netns: %s", strerror(errno));
	for (i = 0; i < LIVE; i++) {
		EXPECT(!unshare(CLONE_NEWNET) && !stat("/proc/self/ns/net", &st),
		       "unshare: %s", strerror(errno));
		live[i] = open("/proc/self/ns/net", O_RDONLY);
		inode[i] = st.st_ino;
	}
	for (round = 0; round < ROUNDS; round++) {
		/* short-lived namespaces first, each claiming a row */
		for (j = 0; j < EPHEMERAL; j++) {
			EXPECT(!unshare(CLONE_NEWNET), "unshare: %s", strerror(errno));
			eph[j] = open("/proc/self/ns/net", O_RDONLY);
			b = bind_socket(AF_INET, SOCK_STREAM, 0, false, false, 0, 0);
			close_all(&b, 1);
			created++;
		}
		for (i = 0; round >= QUIET && i < LIVE; i++) {
			setns(live[i], CLONE_NEWNET);
			b = bind_socket(AF_INET, SOCK_STREAM, 0, false, false, 0, 0);
			close_all(&b, 1);
			EXPECT(!b.err, "bind in live netns %lu: %s", inode[i], strerror(b.err));
		}
		setns(home, CLONE_NEWNET);
		for (j = 0; j < EPHEMERAL; j++)
			close(eph[j]);
		/* their rows come back as the kernel dismantles them */
		for (deadline = now_seconds() + 30; now_seconds() < deadline; usleep(100000)) {
			n = counter_rows(rows, MAX_ROWS);
			for (i = 0, j = 0; i < n; i++)
				j += rows[i][1] == EPHPORT_WALK_BIND;
			if (j <= LIVE + 1)
				break;
		}
	}
	n = counter_rows(rows, MAX_ROWS);
	for (i = 0; i < LIVE; i++)
		close(live[i]);
	close(home);
	EXPECT(n > 0, "counters unreadable");
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			EXPECT(rows[i][0] != rows[j][0] || rows[i][1] != rows[j][1],
			       "netns %lu has two rows for walk %s (of %d namespaces made)",
			       rows[i][0], ephport_walk_words[rows[i][1]], created);
	EXPECT(read_file(DEBUGFS "counters", counters_text, sizeof(counters_text)), "counters");
	for (i = 0; i < LIVE; i++) {
		static char key[64];
		char *at;
		long long searches = -1;

		snprintf(key, sizeof(key), "netns=%lu walk=bind searches=", inode[i]);
		at = strstr(counters_text, key);
		if (at)
			searches = atoll(at + strlen(key));
		EXPECT(searches == ROUNDS - QUIET, "live netns %lu: %lld bind searches counted, %d made",
		       inode[i], searches, ROUNDS - QUIET);
	}
	/* the metrics: no series twice */
	EXPECT(!run_reader(metrics_text, sizeof(metrics_text), "ephport metrics"), "ephport metrics");
	cursor = metrics_text;
	n = 0;
	while ((line = strsep(&cursor, "\n")) && n < MAX_SERIES) {
		char *space = strrchr(line, ' ');

		if (!*line || *line == '#' || !space)
			continue;
		*space = '\0';
		series[n++] = line;
	}
	qsort(series, n, sizeof(series[0]), compare_strings);
	for (i = 1; i < n; i++)
		EXPECT(strcmp(series[i - 1], series[i]), "metrics: series %s twice", series[i]);
	return true;
}

#define LOCKDOWN "/sys/kernel/security/lockdown"

/*
 * lockdown=confidentiality raised after load (the job does it, with the
 * perturbation table set before): connect()s still trace their ports, but
 * no hash, slot or perturbation value leaves the module, in the text, the
 * binary records or the probes file.
 */
bool lockdown_secrets(void)
{
	enum { N = 20 };
	static char text[65536], packed[4 * N * EPHPORT_RECORD_SIZE], probes[8192];
	struct sockaddr_storage peer;
	struct ephport_record w;
	int fd, lfd, i, nbegin = 0, withheld = 0;
	struct bound c[N];
	size_t off;
	ssize_t n;
	long size;

	fd = open(LOCKDOWN, O_RDONLY);
	n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
	if (fd >= 0)
		close(fd);
	text[n > 0 ? n : 0] = '\0';
	if (!strstr(text, "[confidentiality]")) {
		snprintf(skipped, sizeof(skipped), "not locked down for confidentiality");
		return true;
	}
	lfd = loopback_listener(AF_INET, SOCK_STREAM, 5002, &peer);
	EXPECT(lfd >= 0, "listener: %s", strerror(errno));
	for (i = 0; i < N; i++)
		c[i] = connect_socket(&peer, SOCK_STREAM, 0, 0);
	load_trace();
	close_all(c, N);
	close(lfd);
	for (i = 0; i < N; i++) {
		struct search *s = op_ending(EPHPORT_OP_CONNECT, c[i].port, 0);

		EXPECT(!c[i].err && s, "connect %d: port %d (%s) not traced", i, c[i].port,
		       strerror(c[i].err));
		EXPECT(s->begin.withheld && s->begin.perturb < 0 && s->begin.slot < 0,
		       "search %llu: withheld %d slot %lld perturb %lld", s->id,
		       s->begin.withheld, s->begin.slot, s->begin.perturb);
	}
	fd = open(DEBUGFS "events", O_RDONLY);
	n = fd >= 0 ? read_all(fd, text, sizeof(text) - 1) : -1;
	if (fd >= 0)
		close(fd);
	EXPECT(n > 0, "events: %s", strerror(errno));
	text[n] = '\0';
	EXPECT(!strstr(text, " hash=") && !strstr(text, " slot=") && !strstr(text, " perturb="),
	       "events still carries a secret");
	fd = open(DEBUGFS "records", O_RDONLY);
	n = fd >= 0 ? read_all(fd, packed, sizeof(packed)) : -1;
	if (fd >= 0)
		close(fd);
	EXPECT(n > 0, "records: %s", strerror(errno));
	for (off = 0; (size = ep_record_unpack(packed + off, n - off, &w)) > 0; off += size) {
		if (w.type != EPHPORT_REC_BEGIN || w.begin.op != EPHPORT_OP_CONNECT)
			continue;
		nbegin++;
		withheld += w.begin.withheld;
		EXPECT(!w.begin.hash && !w.begin.slot && !w.begin.perturb && !w.begin.perturb_known,
		       "binary search %llu: hash %llu slot %u perturb %u", (unsigned long long)w.search,
		       (unsigned long long)w.begin.hash, w.begin.slot, w.begin.perturb);
	}
	EXPECT(nbegin >= N && withheld == nbegin, "%d binary connect begins, %d withheld",
	       nbegin, withheld);
	fd = open(DEBUGFS "probes", O_RDONLY);
	n = fd >= 0 ? read_all(fd, probes, sizeof(probes) - 1) : -1;
	if (fd >= 0)
		close(fd);
	probes[n > 0 ? n : 0] = '\0';
	EXPECT(strstr(probes, "lockdown=confidentiality: connect()'s hash, slot and perturbation values are withheld"),
	       "probes does not say the secrets are withheld");
	return true;
}
