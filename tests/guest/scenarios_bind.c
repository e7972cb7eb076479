// SPDX-License-Identifier: GPL-2.0
/* Guest scenarios of bind()'s and listen()'s search (inet_csk_get_port). */
#define _GNU_SOURCE
#include "scenarios.h"

/* The blog post: listen(0) with SO_REUSEADDR, as Node.js does. */
static bool seed_family(int family)
{
	const int count = 24;
	struct timespec t0, t1;
	struct bound b[MAX_SOCKETS];
	int i, mid = half_point(32768, 60999);

	set_range(32768, 60999);
	control("clear detail=passes");
	clock_gettime(CLOCK_REALTIME, &t0);
	for (i = 0; i < count; i++)
		b[i] = bind_socket(family, SOCK_STREAM, 0, true, true, 0, 0);
	clock_gettime(CLOCK_REALTIME, &t1);
	load_trace();
	close_all(b, count);
	EXPECT(!trace.bad_lines, "%d unparsable lines", trace.bad_lines);
	for (i = 0; i < count; i++) {
		struct search *s = search_ending(b[i].port, 0);

		EXPECT(!b[i].err, "listen: %s", strerror(b[i].err));
		EXPECT(b[i].port & 1, "port %d is even", b[i].port);
		EXPECT(b[i].port < mid, "port %d not below the half point %d",
		       b[i].port, mid);
		if (!check_search_matches(s, b[i].port))
			return false;
		EXPECT(s->begin.family == (family == AF_INET6 ? EPHPORT_INET6 : EPHPORT_INET),
		       "family %s", ephport_family_words[s->begin.family]);
		EXPECT(s->begin.reuse == 1, "reuse=%d", s->begin.reuse);
		/* the end's wall clock is the kernel's return: within the calls (1 ms of slack) */
		EXPECT(s->end.ts + NS_SLACK >= realtime_ns(&t0) &&
		       s->end.ts <= realtime_ns(&t1) + NS_SLACK,
		       "search %llu ended at %llu, the binds ran %llu-%llu", s->id, s->end.ts,
		       realtime_ns(&t0), realtime_ns(&t1));
		EXPECT(s->pass[0].half == EPHPORT_HALF_LOWER &&
		       s->pass[0].parity == EPHPORT_ODD && s->pass[0].pass == 1,
		       "pass 1 is half=%s parity=%s", ephport_half_words[s->pass[0].half],
		       ephport_parity_words[s->pass[0].parity]);
		EXPECT(s->pass[0].low == 32768 && s->pass[0].high == mid,
		       "pass 1 covers %d-%d", s->pass[0].low, s->pass[0].high);
	}
	/* one search per listen(): the bound port's second call is not one */
	EXPECT(trace.n == count, "%d searches traced for %d sockets", trace.n, count);
	return true;
}

bool seed_ipv6(void)
{
	return seed_family(AF_INET6);
}

bool seed_ipv4(void)
{
	return seed_family(AF_INET);
}

bool whole_range_without_reuse(void)
{
	struct bound b;
	struct search *s;

	set_range(32768, 60999);
	control("clear");
	b = bind_socket(AF_INET, SOCK_STREAM, 0, false, true, 0, 0);
	load_trace();
	close_all(&b, 1);
	EXPECT(!b.err, "bind: %s", strerror(b.err));
	s = search_ending(b.port, 0);
	if (!check_search_matches(s, b.port))
		return false;
	EXPECT(s->pass[0].half == EPHPORT_HALF_WHOLE && s->pass[0].low == 32768 &&
	       s->pass[0].high == 61000, "pass 1 half=%s %d-%d",
	       ephport_half_words[s->pass[0].half], s->pass[0].low, s->pass[0].high);
	EXPECT(s->begin.reuse == 0, "reuse=%d", s->begin.reuse);
	return true;
}

/* The blog post's second experiment, plus the relax rerun. */
static bool one_port_range(bool autobind)
{
	struct bound b[2];
	struct search *s;
	int expect_passes = autobind ? 4 : 2, i;

	set_range(32768, 32768);
	write_file(AUTOBIND, autobind ? "1" : "0");
	control("clear");
	b[0] = bind_socket(AF_INET6, SOCK_STREAM, 0, true, true, 0, 0);
	b[1] = bind_socket(AF_INET6, SOCK_STREAM, 0, true, true, 0, 0);
	load_trace();
	close_all(b, 2);
	write_file(AUTOBIND, "0");
	set_range(32768, 60999);
	EXPECT(!b[0].err && b[0].port == 32768, "first: port %d, %s", b[0].port,
	       strerror(b[0].err));
	EXPECT(b[1].err == EADDRINUSE, "second: %s", strerror(b[1].err));
	s = search_ending(32768, 0);
	if (!check_search_matches(s, 32768))
		return false;
	s = search_ending(0, 0);
	EXPECT(s && s->end.err == -EADDRINUSE, "no failed search traced");
	EXPECT(s->end.passes == expect_passes && s->npass == expect_passes,
	       "failed search made %d passes, expected %d", s->end.passes,
	       expect_passes);
	for (i = 0; i < s->npass; i++) {
		EXPECT(s->pass[i].half == EPHPORT_HALF_WHOLE &&
		       s->pass[i].start == 32768 && s->pass[i].examined == 1,
		       "pass %d: half=%s start=%lld examined=%lld", i + 1,
		       ephport_half_words[s->pass[i].half], s->pass[i].start, s->pass[i].examined);
		EXPECT(s->pass[i].relax == (i >= 2), "pass %d relax=%d", i + 1,
		       s->pass[i].relax);
	}
	return true;
}

bool one_port_fails(void)
{
	return one_port_range(false);
}

bool one_port_relax(void)
{
	return one_port_range(true);
}

/* Ten ports, four reserved: six binds succeed, none on a reserved port. */
bool reserved_skipped(void)
{
	static const int reserved[] = { 40001, 40004, 40005, 40008 };
	const int low = 40000, high = 40009;
	struct bound b[MAX_SOCKETS];
	int n, i, j, cand_reserved = 0;

	set_range(low, high);
	write_file(RESERVED, "40001,40004-40005,40008");
	control("clear detail=candidates");
	for (n = 0; n < 8; n++) {
		b[n] = bind_socket(AF_INET, SOCK_STREAM, 0, false, true, 0, 0);
		if (b[n].err)
			break;
	}
	load_trace();
	close_all(b, n + 1);
	/* a write of nothing never reaches the sysctl handler */
	write_file(RESERVED, "\n");
	set_range(32768, 60999);
	control("detail=passes");
	EXPECT(n == 6, "%d binds succeeded, expected 6", n);
	EXPECT(b[n].err == EADDRINUSE, "bind 7: %s", strerror(b[n].err));
	for (i = 0; i < n; i++) {
		struct search *s = search_ending(b[i].port, 0);

		for (j = 0; j < 4; j++)
			EXPECT(b[i].port != reserved[j], "got reserved port %d",
			       b[i].port);
		if (!check_search_matches(s, b[i].port))
			return false;
		EXPECT(s->ncand_free == 1 && s->ncand == s->end.examined,
		       "search %llu: %d candidates, %d free, examined %lld",
		       s->id, s->ncand, s->ncand_free, s->end.examined);
		cand_reserved += s->ncand_reserved;
	}
	EXPECT(cand_reserved > 0, "no candidate was marked reserved");
	EXPECT(search_ending(0, 0) && search_ending(0, 0)->ncand_reserved == 4,
	       "the failed search did not see the 4 reserved ports once each");
	return true;
}

bool socket_range(void)
{
	struct bound b;
	struct search *s;

	set_range(32768, 60999);
	control("clear");
	b = bind_socket(AF_INET, SOCK_STREAM, 0, false, true, 50000, 50099);
	load_trace();
	close_all(&b, 1);
	EXPECT(!b.err, "bind: %s", strerror(b.err));
	EXPECT(b.port >= 50000 && b.port <= 50099, "port %d outside 50000-50099",
	       b.port);
	s = search_ending(b.port, 0);
	if (!check_search_matches(s, b.port))
		return false;
	EXPECT(s->begin.sock_low == 50000 && s->begin.sock_high == 50099,
	       "sockrange=%d-%d", s->begin.sock_low, s->begin.sock_high);
	EXPECT(s->begin.range_low == 32768 && s->begin.range_high == 60999,
	       "range=%d-%d", s->begin.range_low, s->begin.range_high);
	EXPECT(s->pass[0].low == 50000 && s->pass[0].high == 50100,
	       "pass 1 covers %d-%d", s->pass[0].low, s->pass[0].high);
	return true;
}

/* Lower half 40000-40003 held by explicit binds: the search goes up. */
bool upper_half(void)
{
	struct bound held[4], b;
	struct search *s;
	int i;

	set_range(40000, 40007);
	control("clear");
	for (i = 0; i < 4; i++)
		held[i] = bind_socket(AF_INET, SOCK_STREAM, 40000 + i, false,
				      true, 0, 0);
	b = bind_socket(AF_INET, SOCK_STREAM, 0, true, true, 0, 0);
	load_trace();
	close_all(held, 4);
	close_all(&b, 1);
	set_range(32768, 60999);
	for (i = 0; i < 4; i++)
		EXPECT(!held[i].err, "explicit bind %d: %s", 40000 + i,
		       strerror(held[i].err));
	EXPECT(!b.err && b.port >= 40004 && b.port <= 40007,
	       "port %d (%s), expected the upper half", b.port, strerror(b.err));
	s = search_ending(b.port, 0);
	if (!check_search_matches(s, b.port))
		return false;
	EXPECT(trace.n == 1, "%d searches: explicit binds must not search", trace.n);
	EXPECT(s->npass >= 3 && s->pass[0].half == EPHPORT_HALF_LOWER &&
	       s->pass[1].half == EPHPORT_HALF_LOWER &&
	       s->pass[2].half == EPHPORT_HALF_UPPER && s->pass[2].low == 40004,
	       "passes do not go lower, lower, upper");
	EXPECT(s->pass[0].examined == 2 && s->pass[1].examined == 2,
	       "lower passes examined %lld and %lld ports", s->pass[0].examined,
	       s->pass[1].examined);
	return true;
}

bool explicit_binds_no_search(void)
{
	struct bound b[2];

	control("clear");
	b[0] = bind_socket(AF_INET, SOCK_STREAM, 45000, true, true, 0, 0);
	b[1] = bind_socket(AF_INET6, SOCK_STREAM, 45001, false, true, 0, 0);
	load_trace();
	close_all(b, 2);
	EXPECT(!b[0].err && !b[1].err, "explicit bind failed");
	EXPECT(trace.nrec == 0, "%llu records for explicit binds", trace.nrec);
	return true;
}

bool dccp(void)
{
	struct bound b;
	struct search *s;

	control("clear");
	b = bind_socket(AF_INET, SOCK_DCCP, 0, false, false, 0, 0);
	load_trace();
	close_all(&b, 1);
	/* DCCP left the kernel in 6.16, and a kernel may be built without it */
	if (b.fd < 0 && (b.err == ESOCKTNOSUPPORT || b.err == EPROTONOSUPPORT ||
			 b.err == EAFNOSUPPORT)) {
		snprintf(skipped, sizeof(skipped), "no DCCP in this kernel (socket: %s)",
			 strerror(b.err));
		return true;
	}
	EXPECT(!b.err, "dccp bind: %s", strerror(b.err));
	s = search_ending(b.port, 0);
	if (!check_search_matches(s, b.port))
		return false;
	EXPECT(s->begin.proto == EPHPORT_DCCP, "proto=%s", ephport_proto_words[s->begin.proto]);
	return true;
}

/* Objects per slab of a kmem cache (SLUB's sysfs follows merged caches). */
static int slab_objects(const char *cache)
{
	char path[128], text[32];

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/objs_per_slab", cache);
	return read_file(path, text, sizeof(text)) ? atoi(text) : 0;
}

/* Every traced pass of @s agrees with the kernel's walk that chose @port. */
static bool passes_agree(const struct search *s, bool reuse, int range_low,
			 int range_high)
{
	const struct ep_record *last = &s->pass[s->npass - 1];
	int i, port = s->end.port;

	EXPECT(s->npass, "search %llu: no passes", s->id);
	for (i = 0; i < s->npass; i++)
		EXPECT(!s->pass[i].relax,
		       "search %llu: relax pass %d with ip_autobind_reuse=0", s->id,
		       s->pass[i].pass);
	EXPECT(port >= last->low && port < last->high && (port & 1) == (last->start & 1),
	       "search %llu: port %d not in its last pass (%s %d-%d %s)", s->id,
	       port, ephport_half_words[last->half], last->low, last->high, ephport_parity_words[last->parity]);
	if (reuse && port < half_point(range_low, range_high))
		for (i = 0; i < s->npass; i++)
			EXPECT(s->pass[i].half != EPHPORT_HALF_UPPER,
			       "search %llu: upper pass though port %d is in the lower half",
			       s->id, port);
	return true;
}

/*
 * Draws that are not the search's: when a bind bucket needs a new slab,
 * the freelist shuffle draws below the objects per slab, in the binding
 * task, inside get_port.  With a range (or half) that wide, such a draw has
 * the width of the search's next half pass.  Fresh namespaces keep the
 * narrow range free; every traced pass must still be the kernel's.
 */
bool foreign_draws(void)
{
	enum { NAMESPACES = 40, EACH = 16, LOW = 40000 };
	static struct bound b[NAMESPACES][EACH];
	static unsigned long netns[NAMESPACES];
	int objs = slab_objects("tcp_bind_bucket");
	int home = open("/proc/self/ns/net", O_RDONLY);
	int n, i, j, width[2] = { objs, 2 * objs };
	struct stat st;

	EXPECT(objs >= EACH && home >= 0, "tcp_bind_bucket: %d objects per slab",
	       objs);
	control("clear detail=passes");
	for (n = 0; n < NAMESPACES; n++) {
		bool reuse = n & 1;

		if (unshare(CLONE_NEWNET) || stat("/proc/self/ns/net", &st))
			break;
		netns[n] = st.st_ino;
		set_range(LOW, LOW + width[reuse] - 1);
		for (i = 0; i < EACH; i++)
			b[n][i] = bind_socket(AF_INET, SOCK_STREAM, 0, reuse, true, 0, 0);
	}
	load_trace();
	for (j = 0; j < n; j++)
		close_all(b[j], EACH);
	setns(home, CLONE_NEWNET);
	close(home);
	EXPECT(n == NAMESPACES, "unshare: %s", strerror(errno));
	EXPECT(!trace.bad_lines, "%d unparsable lines", trace.bad_lines);
	EXPECT(trace.n == NAMESPACES * EACH, "%d searches traced for %d binds",
	       trace.n, NAMESPACES * EACH);
	for (i = 0; i < trace.n; i++) {
		const struct search *s = &trace.s[i];
		bool bound = false;

		for (n = 0; n < NAMESPACES && netns[n] != s->begin.netns; n++)
			;
		EXPECT(n < NAMESPACES, "search %llu in netns %lu", s->id, s->begin.netns);
		for (j = 0; j < EACH; j++) {
			EXPECT(!b[n][j].err, "bind: %s", strerror(b[n][j].err));
			bound |= b[n][j].port == s->end.port;
		}
		EXPECT(bound, "search %llu: port %d was not bound in its netns",
		       s->id, s->end.port);
		if (!check_search_matches(s, s->end.port) ||
		    !passes_agree(s, n & 1, LOW, LOW + width[n & 1] - 1))
			return false;
	}
	return true;
}

void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * PREEMPT_RT: a writer of ip_local_port_range is preempted inside its
 * seqlock section by a SCHED_FIFO task on its CPU, while this process
 * binds port 0 over and over on the other CPU.  The kernel's own reader
 * then sleeps on the writer's lock; a probe handler, which runs with
 * preemption off, must neither sleep nor spin on it.  The console check
 * catches "scheduling while atomic"; every traced port must be one bound.
 */
bool preempted_writer(void)
{
	enum { SECONDS = 8, LOW = 40000, WIDTH = 1000, HELD = 900, MAX_BINDS = 200000 };
	static int ports[MAX_BINDS];
	static struct bound held[HELD];
	struct rlimit files = { HELD + 64, HELD + 64 };
	int i, n = 0, unknown = 0, traced = 0;
	pid_t writer, hog;
	struct utsname u;
	cpu_set_t cpus;
	double end;

	/* /sys/kernel/realtime up to 6.x; the version says it everywhere */
	uname(&u);
	if (access("/sys/kernel/realtime", F_OK) && !strstr(u.version, "PREEMPT_RT")) {
		snprintf(skipped, sizeof(skipped), "not a PREEMPT_RT kernel");
		return true;
	}
	EXPECT(sysconf(_SC_NPROCESSORS_ONLN) >= 2, "needs 2 CPUs");
	setrlimit(RLIMIT_NOFILE, &files);
	set_range(LOW, LOW + WIDTH - 1);
	control("clear detail=searches");
	writer = fork();
	if (!writer) {
		pin_to_cpu(1);
		for (i = 0;; i++)
			set_range(LOW, LOW + WIDTH - 1 - (i & 1));
	}
	hog = fork();
	if (!hog) {
		struct sched_param prio = { .sched_priority = 50 };

		pin_to_cpu(1);
		if (sched_setscheduler(0, SCHED_FIFO, &prio))
			_exit(1);
		for (;;) {
			double until;

			usleep(700);
			for (until = now_seconds() + 0.002; now_seconds() < until;)
				;
		}
	}
	sched_getaffinity(0, sizeof(cpus), &cpus);
	pin_to_cpu(0);
	/* a nearly full range keeps each search long */
	for (i = 0; i < HELD; i++)
		held[i] = bind_socket(AF_INET, SOCK_STREAM, LOW + 1 + i, false, true, 0, 0);
	for (end = now_seconds() + SECONDS; now_seconds() < end && n < MAX_BINDS;) {
		struct bound b = bind_socket(AF_INET, SOCK_STREAM, 0, false, false, 0, 0);

		if (!b.err)
			ports[n++] = b.port;
		close_all(&b, 1);
	}
	kill(writer, SIGKILL);
	kill(hog, SIGKILL);
	waitpid(writer, NULL, 0);
	waitpid(hog, NULL, 0);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	load_trace();
	close_all(held, HELD);
	set_range(32768, 60999);
	control("detail=passes");
	EXPECT(n > 0, "no bind succeeded");
	for (i = 0; i < trace.n; i++) {
		const struct search *s = &trace.s[i];
		bool bound = false;
		int j;

		if (!s->has_end || s->end.err || !s->has_begin || s->begin.pid != getpid())
			continue;
		traced++;
		unknown += !s->begin.range_low;
		for (j = 0; j < n && !bound; j++)
			bound = ports[j] == s->end.port;
		EXPECT(bound, "search %llu: port %d was never bound", s->id, s->end.port);
	}
	EXPECT(traced, "no search traced");
	printf("# preempted-writer: %d binds, %d traced, %d with the range unreadable\n",
	       n, traced, unknown);
	return true;
}

/* Several processes at once: each search once, under its own pid. */
bool concurrent(void)
{
	enum { CHILDREN = 4, EACH = 12 };
	int fds[2], i, j, status, got = 0;
	pid_t pids[CHILDREN];

	set_range(32768, 60999);
	control("clear");
	if (pipe(fds))
		return false;
	for (i = 0; i < CHILDREN; i++) {
		pids[i] = fork();
		if (!pids[i]) {
			struct bound b[EACH];
			int record[2];

			close(fds[0]);
			for (j = 0; j < EACH; j++)
				b[j] = bind_socket(j & 1 ? AF_INET : AF_INET6,
						   SOCK_STREAM, 0, j % 3 == 0,
						   true, 0, 0);
			for (j = 0; j < EACH; j++) {
				record[0] = getpid();
				record[1] = b[j].err ? -b[j].err : b[j].port;
				if (write(fds[1], record, sizeof(record)) < 0)
					_exit(1);
			}
			_exit(0);
		}
	}
	close(fds[1]);
	for (i = 0; i < CHILDREN; i++)
		waitpid(pids[i], &status, 0);
	load_trace();
	for (;;) {
		int record[2];
		struct search *s;

		if (read(fds[0], record, sizeof(record)) != sizeof(record))
			break;
		got++;
		EXPECT(record[1] > 0, "child %d: bind failed: %s", record[0],
		       strerror(-record[1]));
		/* a port freed by a child that exited may go to another */
		for (s = NULL, i = 0; i < trace.n && !s; i++)
			if (trace.s[i].has_begin && trace.s[i].has_end &&
			    trace.s[i].end.port == record[1] &&
			    trace.s[i].begin.pid == record[0])
				s = &trace.s[i];
		EXPECT(s, "port %d: no search traced under pid %d", record[1], record[0]);
		EXPECT(!s->end.incomplete, "port %d: incomplete", record[1]);
	}
	close(fds[0]);
	EXPECT(got == CHILDREN * EACH, "%d results from children", got);
	EXPECT(trace.n == CHILDREN * EACH, "%d searches traced, expected %d",
	       trace.n, CHILDREN * EACH);
	return true;
}

/* failslab, for a task that asks: every allocation that cannot sleep fails. */
static int failslab_setup(int probability)
{
	static const char *const set[][2] = {
		{ "task-filter", "Y" }, { "ignore-gfp-wait", "Y" }, { "interval", "1" },
		{ "times", "-1" }, { "space", "0" }, { "verbose", "0" },
	};
	char path[128], words[16];
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < sizeof(set) / sizeof(set[0]); i++) {
		snprintf(path, sizeof(path), FAILSLAB "%s", set[i][0]);
		err = write_file(path, set[i][1]);
	}
	snprintf(words, sizeof(words), "%d", probability);
	return err ?: write_file(FAILSLAB "probability", words);
}

/*
 * bind(0) whose port's bind bucket cannot be allocated (GFP_ATOMIC, under
 * failslab): get_port fails with EADDRINUSE as if the range had run dry,
 * over an empty range.  The search must say incomplete=1 (or find the
 * port), never that every port was in use.  @how: the draw's probe,
 * jump-optimized or an int3 (the bucket creations are ftrace's).
 */
static bool alloc_failure_once(const char *how)
{
	enum { LOW = 43000, WIDTH = 100 };
	int fd, rc, err, fail;
	struct search *s;

	set_range(LOW, LOW + WIDTH - 1);
	control("clear detail=candidates");
	fd = socket(AF_INET, SOCK_STREAM, 0);
	EXPECT(fd >= 0 && !failslab_setup(100), "socket or failslab: %s", strerror(errno));
	fail = write_file("/proc/self/make-it-fail", "1");
	{
		struct sockaddr_in any = { .sin_family = AF_INET };

		rc = bind(fd, (struct sockaddr *)&any, sizeof(any));
		err = errno;
	}
	write_file("/proc/self/make-it-fail", "0");
	failslab_setup(0);
	close(fd);
	load_trace();
	control("detail=passes");
	set_range(32768, 60999);
	EXPECT(!fail, "/proc/self/make-it-fail: %s", strerror(fail));
	EXPECT(rc && err == EADDRINUSE, "bind(0) under failslab: %s", rc ? strerror(err) : "bound");
	s = op_ending(EPHPORT_OP_BIND, 0, 0);
	EXPECT(s, "no traced bind() failed (%s)", how);
	EXPECT(s->end.err == -EADDRINUSE && s->end.incomplete,
	       "search %llu (%s): err %d incomplete %d: exhaustion claimed over an empty range",
	       s->id, how, s->end.err, s->end.incomplete);
	/* what it does say: no port it passed by was in use */
	EXPECT(!s->nverdict[EPHPORT_INUSE] && s->ncand_reserved == 0,
	       "search %llu (%s): %d in use, %d reserved of %d", s->id, how,
	       s->nverdict[EPHPORT_INUSE], s->ncand_reserved, s->ncand);
	return true;
}

bool bind_alloc_failure(void)
{
	bool ok;
	int err;

	if (access(FAILSLAB, F_OK)) {
		snprintf(skipped, sizeof(skipped), "no failslab (CONFIG_FAILSLAB): the debug kernel has it");
		return true;
	}
	if (!alloc_failure_once("probes as attached"))
		return false;
	err = write_file(KPROBES_OPTIMIZATION, "0");
	EXPECT(!err, "%s: %s", KPROBES_OPTIMIZATION, strerror(err));
	ok = alloc_failure_once("probes as int3s");
	write_file(KPROBES_OPTIMIZATION, "1");
	return ok;
}

/*
 * get_port's bucket creations are watched from its own calls only (ftrace
 * gives each call's return address): every bind() of a free port creates
 * one bucket of each kind there, and connect()s, which create theirs in
 * their own code, add none.  Counted by the probes' hits in stats.
 */
bool bucket_calls_attributed(void)
{
	enum { BINDS = 10, CONNECTS = 10 };
	static const char *const keys[] = {
		"probe inet_csk_get_port:inet_bind_bucket_create hits",
		"probe inet_csk_get_port:inet_bind2_bucket_create hits",
	};
	struct sockaddr_storage peer;
	struct bound b[BINDS], c[CONNECTS];
	long long before[2], after[2];
	int i, k, lfd;

	lfd = loopback_listener(AF_INET, SOCK_STREAM, 5002, &peer);
	EXPECT(lfd >= 0, "listener: %s", strerror(errno));
	for (k = 0; k < 2; k++)
		before[k] = module_stat(keys[k]);
	for (i = 0; i < CONNECTS; i++)
		c[i] = connect_socket(&peer, SOCK_STREAM, 0, 0);
	for (k = 0; k < 2; k++)
		after[k] = module_stat(keys[k]);
	close_all(c, CONNECTS);
	for (i = 0; i < CONNECTS; i++)
		EXPECT(!c[i].err, "connect(): %s", strerror(c[i].err));
	for (k = 0; k < 2; k++)
		EXPECT(before[k] >= 0 && after[k] == before[k],
		       "%s: %lld before %d connect()s, %lld after", keys[k], before[k], CONNECTS,
		       after[k]);
	for (i = 0; i < BINDS; i++)
		b[i] = bind_socket(AF_INET, SOCK_STREAM, 0, false, false, 0, 0);
	for (k = 0; k < 2; k++)
		after[k] = module_stat(keys[k]);
	close_all(b, BINDS);
	close(lfd);
	for (i = 0; i < BINDS; i++)
		EXPECT(!b[i].err && b[i].port, "bind(0): %s", strerror(b[i].err));
	for (k = 0; k < 2; k++)
		EXPECT(after[k] - before[k] == BINDS, "%s: %lld more after %d bind(0)s", keys[k],
		       after[k] - before[k], BINDS);
	return true;
}

/*
 * bind(0) over an empty range while a writer moves it two ports on and
 * back, keeping its width: the kernel may read one range and the module,
 * at the draw, the other, with the same bound, or the same as at the
 * start with the other in between (from 6.8 the range is one word: only
 * its writers' count tells).  Every complete search must then take the
 * first port it tried (the range is empty); one the module cannot be sure
 * of says incomplete=1.
 */
bool bind_range_same_width(void)
{
	enum { LOW = 40000, WIDTH = 1000, BINDS = 1200 };
	int i, bound = 0, complete = 0, incomplete = 0;
	pid_t writer;

	set_range(LOW, LOW + WIDTH - 1);
	control("clear detail=candidates");
	writer = fork();
	if (!writer)
		for (i = 0;; i ^= 1)
			set_range(LOW + 2 * i, LOW + 2 * i + WIDTH - 1);
	for (i = 0; i < BINDS; i++) {
		struct bound b = bind_socket(AF_INET, SOCK_STREAM, 0, false, false, 0, 0);

		bound += !b.err;
		close_all(&b, 1);
	}
	kill(writer, SIGKILL);
	waitpid(writer, NULL, 0);
	load_trace();
	control("detail=passes");
	set_range(32768, 60999);
	for (i = 0; i < trace.n; i++) {
		const struct search *s = &trace.s[i];

		if (!s->has_begin || !s->has_end || s->begin.pid != getpid() || s->end.err)
			continue;
		if (s->end.incomplete) {
			incomplete++;
			continue;
		}
		complete++;
		EXPECT(s->npass == 1 && s->pass[0].examined == 1 && !s->nverdict[EPHPORT_INUSE],
		       "search %llu on %d: %d passes, %lld examined, %d in use, in an empty range",
		       s->id, s->end.port, s->npass, s->npass ? s->pass[0].examined : -1,
		       s->nverdict[EPHPORT_INUSE]);
	}
	printf("# bind-range-same-width: %d binds, %d complete, %d incomplete\n", bound,
	       complete, incomplete);
	EXPECT(bound == BINDS && complete, "%d of %d binds, %d complete", bound, BINDS, complete);
	return true;
}
