// SPDX-License-Identifier: GPL-2.0
/* Guest scenarios of the module's interface: control, filters, the pipes, trace events. */
#define _GNU_SOURCE
#include <ctype.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>

#include "scenarios.h"

bool bad_control(void)
{
	static const char *const bad[] = {
		"detail=bogus", "frobnicate", "pid=-1", "pid=abc", "netns=",
		"detail=candidates pid=xyz", "clear bogus", " ", "detail",
		"pid=99999999999999999999",
	};
	char before[128], after[128], longline[300];
	size_t i;
	int err;

	control("detail=passes pid=0 netns=0");
	read_file(DEBUGFS "control", before, sizeof(before));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = write_file(DEBUGFS "control", bad[i]);
		EXPECT(err == EINVAL, "'%s' gave %s, expected EINVAL", bad[i],
		       strerror(err));
	}
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	err = write_file(DEBUGFS "control", longline);
	EXPECT(err == EINVAL, "long write gave %s", strerror(err));
	err = write_bytes(DEBUGFS "control", "detail=candidates\0pid=1", 24);
	EXPECT(err == EINVAL, "a write with a NUL gave %s", strerror(err));
	/* random bytes: never a valid word, so never a change */
	srand(7);
	for (i = 0; i < 500; i++) {
		size_t j, n = 1 + rand() % (sizeof(longline) / 2);

		for (j = 0; j < n; j++)
			longline[j] = (char)(rand() % 256);
		err = write_bytes(DEBUGFS "control", longline, n);
		EXPECT(err == EINVAL, "random write %zu gave %s", i, strerror(err));
	}
	read_file(DEBUGFS "control", after, sizeof(after));
	EXPECT(!strcmp(before, after), "control changed: '%s' -> '%s'", before,
	       after);
	return true;
}

/* Writers racing on control: each write is all or nothing, never a mix. */
bool control_race(void)
{
	static const char *const words[] = {
		"detail=candidates pid=0 netns=0", "detail=searches pid=7 netns=0",
		"detail=passes pid=0 netns=5",
	};
	enum { WRITERS = 3, ROUNDS = 300 };
	char now[128];
	pid_t pids[WRITERS];
	int i, status, ok = 0;
	bool one_of = false;

	for (i = 0; i < WRITERS; i++) {
		pids[i] = fork();
		if (!pids[i]) {
			int r;

			for (r = 0; r < ROUNDS; r++)
				if (write_file(DEBUGFS "control", words[(i + r) % WRITERS]))
					_exit(1);
			_exit(0);
		}
	}
	for (i = 0; i < WRITERS; i++) {
		waitpid(pids[i], &status, 0);
		ok += WIFEXITED(status) && !WEXITSTATUS(status);
	}
	read_file(DEBUGFS "control", now, sizeof(now));
	control("detail=passes pid=0 netns=0");
	EXPECT(ok == WRITERS, "a valid control write failed");
	for (i = 0; i < WRITERS; i++) {
		char want[64];

		/* the table's address is not what the writers race on */
		snprintf(want, sizeof(want), "%s perturb_table=", words[i]);
		one_of |= !strncmp(now, want, strlen(want));
	}
	EXPECT(one_of, "control after the race is a mix: %s", now);
	return true;
}

/* pid= filters at the start of a search: another process is not traced. */
bool pid_filter(void)
{
	char words[64];
	struct bound b;
	pid_t child;
	int status;

	snprintf(words, sizeof(words), "clear pid=%d", getpid());
	control(words);
	child = fork();
	if (!child) {
		b = bind_socket(AF_INET, SOCK_STREAM, 0, false, true, 0, 0);
		_exit(b.err ? 1 : 0);
	}
	waitpid(child, &status, 0);
	b = bind_socket(AF_INET, SOCK_STREAM, 0, false, true, 0, 0);
	load_trace();
	close_all(&b, 1);
	control("pid=0");
	EXPECT(WIFEXITED(status) && !WEXITSTATUS(status), "child bind failed");
	EXPECT(trace.n == 1 && search_ending(b.port, 0),
	       "%d searches traced with pid filter", trace.n);
	return true;
}

/* Drains events_pipe with reads of @size (0: random 1-64) into @out. */
static size_t drain_pipe(int fd, size_t size, char *out, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap) {
		size_t want = size ? size : (size_t)(1 + rand() % 64);

		n = read(fd, out + len, want < cap - len ? want : cap - len);
		if (n <= 0)
			break;
		len += n;
	}
	return len;
}

/* Records made, and what events (which does not consume) holds of them. */
static size_t make_records(char *snapshot, size_t cap)
{
	struct bound b[4];
	int fd, i;
	ssize_t n;
	size_t len = 0;

	control("clear detail=passes");
	for (i = 0; i < 4; i++)
		b[i] = bind_socket(AF_INET, SOCK_STREAM, 0, true, true, 0, 0);
	close_all(b, 4);
	fd = open(DEBUGFS "events", O_RDONLY);
	while (fd >= 0 && len < cap && (n = read(fd, snapshot + len, cap - len)) > 0)
		len += n;
	close(fd);
	return len;
}

/*
 * events_pipe gives one byte stream whatever the read sizes; a zero-length
 * read returns 0; two readers split the records without duplicates.
 */
bool pipe_reads(void)
{
	static const size_t sizes[] = { 1, 7, 63, 4095 };
	static char snapshot[16384], got[16384], mine[2][16384];
	static unsigned char seen[1 << 16];
	long long discarded;
	size_t len, glen, i, lens[2];
	int fd, k, lines = 0;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		len = make_records(snapshot, sizeof(snapshot));
		EXPECT(len > 0, "events holds nothing");
		fd = open(DEBUGFS "events_pipe", O_RDONLY | O_NONBLOCK);
		EXPECT(fd >= 0, "open events_pipe: %s", strerror(errno));
		EXPECT(read(fd, got, 0) == 0, "0-byte read: %s", strerror(errno));
		glen = drain_pipe(fd, sizes[i], got, sizeof(got));
		EXPECT(read(fd, got + glen, 1) < 0 && errno == EAGAIN,
		       "drained pipe: %s", strerror(errno));
		close(fd);
		EXPECT(glen == len && !memcmp(got, snapshot, len),
		       "%zu-byte reads gave %zu bytes, events had %zu", sizes[i], glen, len);
	}

	/* two readers at once, random sizes: every line once, none split */
	len = make_records(snapshot, sizeof(snapshot));
	for (k = 0; k < 2; k++) {
		int fds[2];
		pid_t child;

		if (pipe(fds))
			return false;
		child = fork();
		if (!child) {
			size_t n;

			srand(k + 1);
			fd = open(DEBUGFS "events_pipe", O_RDONLY | O_NONBLOCK);
			n = drain_pipe(fd, 0, mine[k], sizeof(mine[k]));
			_exit(write(fds[1], mine[k], n) == (ssize_t)n ? 0 : 1);
		}
		close(fds[1]);
		lens[k] = 0;
		for (;;) {
			ssize_t n = read(fds[0], mine[k] + lens[k], sizeof(mine[k]) - 1 - lens[k]);

			if (n <= 0)
				break;
			lens[k] += n;
		}
		mine[k][lens[k]] = '\0';
		close(fds[0]);
		waitpid(child, NULL, 0);
	}
	snapshot[len] = '\0';
	EXPECT(lens[0] + lens[1] == len, "two readers got %zu + %zu bytes of %zu",
	       lens[0], lens[1], len);
	for (k = 0; k < 2; k++) {
		char *cursor = mine[k], *line;

		EXPECT(!lens[k] || mine[k][lens[k] - 1] == '\n', "reader %d ends mid-line", k);
		while ((line = strsep(&cursor, "\n")) && *line) {
			char needle[600];
			struct ep_record rec;

			snprintf(needle, sizeof(needle), "%s\n", line);
			EXPECT(strstr(snapshot, needle), "reader %d: a line not in events: %.200s",
			       k, line);
			EXPECT(!ep_record_parse(line, &rec) && rec.seq < sizeof(seen) * 8,
			       "unparsable: %.200s", line);
			EXPECT(!(seen[rec.seq / 8] & (1 << rec.seq % 8)),
			       "both readers got seq %llu", rec.seq);
			seen[rec.seq / 8] |= 1 << rec.seq % 8;
			lines++;
		}
	}
	/* 4 searches of begin, pass and end, after clear's own record */
	EXPECT(lines == 13, "%d lines read, expected 13", lines);

	/* closed mid-line: the rest of that record is counted as discarded */
	make_records(snapshot, sizeof(snapshot));
	discarded = module_stat("records_discarded");
	fd = open(DEBUGFS "events_pipe", O_RDONLY | O_NONBLOCK);
	EXPECT(fd >= 0 && read(fd, got, 5) == 5, "5-byte read: %s", strerror(errno));
	close(fd);
	EXPECT(module_stat("records_discarded") == discarded + 1,
	       "records_discarded went from %lld to %lld", discarded,
	       module_stat("records_discarded"));
	control("clear");
	return true;
}

static void on_signal(int sig)
{
	(void)sig;
}

/* A blocked pipe reader: a signal interrupts it; it pins the module. */
bool blocked_reader(void)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	int fds[2], status, result = -1;
	pid_t child;
	char buf[512];

	control("clear");
	if (pipe(fds))
		return false;
	child = fork();
	if (!child) {
		int fd = open(DEBUGFS "events_pipe", O_RDONLY | O_NONBLOCK);
		ssize_t n;

		/* clear's own record first, then block on an empty ring */
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		fcntl(fd, F_SETFL, 0);
		sigaction(SIGUSR1, &sa, NULL);
		n = read(fd, buf, sizeof(buf));
		result = n < 0 ? errno : 0;
		if (write(fds[1], &result, sizeof(result)) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	sleep(1);
	EXPECT(syscall(SYS_delete_module, "ephport", O_NONBLOCK) < 0 &&
	       (errno == EWOULDBLOCK || errno == EBUSY),
	       "rmmod with a blocked reader: %s", strerror(errno));
	kill(child, SIGUSR1);
	EXPECT(read(fds[0], &result, sizeof(result)) == sizeof(result),
	       "reader did not return after a signal");
	EXPECT(result == EINTR, "read returned %s, expected EINTR",
	       strerror(result));
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	close(fds[0]);
	return true;
}

/* @line without its "seq=N " (NULL for a clear record), in @out. */
static const char *without_seq(const char *line, char *out, size_t size)
{
	const char *rest = strchr(line, ' ');

	if (!rest || strstr(line, " type=clear"))
		return NULL;
	snprintf(out, size, "%s", rest + 1);
	return out;
}

/*
 * A trace line's event, as the module's record line it stands for: its
 * payload has the record's keys, sockrange as 0-0 for none and probed -1
 * when not counted.
 */
static bool trace_to_record(const char *line, char *out, size_t size)
{
	const char *payload = strstr(line, ": search=");
	char text[512], *probed;
	struct ep_record rec;

	if (!payload)
		return false;
	snprintf(text, sizeof(text), "seq=0 %s", payload + 2);
	probed = strstr(text, " probed=-1");
	if (probed)
		memmove(probed, probed + strlen(" probed=-1"),
			strlen(probed + strlen(" probed=-1")) + 1);
	if (ep_record_parse(text, &rec))
		return false;
	ep_record_format(&rec, text, sizeof(text));
	return without_seq(text, out, size);
}

/*
 * perf and trace-cmd read the events' formats: the enum names in them must
 * have been replaced by their values.
 */
static bool trace_formats_resolved(void)
{
	static const char *const events[] = {
		"search_begin", "pass", "candidate", "search_end"
	};
	static const char *const names[] = { "EPHPORT_", "IPPROTO_", "TASK_COMM_LEN" };
	char path[128], format[8192];
	size_t i, j;

	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		snprintf(path, sizeof(path), TRACEFS "events/ephport/%s/format", events[i]);
		EXPECT(read_file(path, format, sizeof(format)), "%s: %s", path, strerror(errno));
		for (j = 0; j < sizeof(names) / sizeof(names[0]); j++)
			EXPECT(!strstr(format, names[j]), "%s's format still names %s...",
			       events[i], names[j]);
	}
	return true;
}

/* The search a record (or event) line without its seq is of. */
static unsigned long long search_of(const char *line)
{
	const char *key = strstr(line, "search=");

	return key ? strtoull(key + strlen("search="), NULL, 10) : 0;
}

static char (*sorted_lines)[256];

static int by_search(const void *a, const void *b)
{
	int i = *(const int *)a, j = *(const int *)b;
	unsigned long long x = search_of(sorted_lines[i]), y = search_of(sorted_lines[j]);

	return x < y ? -1 : x > y ? 1 : i - j;
}

/* @order: @lines' indexes by search, each search's in the order read. */
static void order_by_search(char (*lines)[256], int *order, int n)
{
	int i;

	for (i = 0; i < n; i++)
		order[i] = i;
	sorted_lines = lines;
	qsort(order, n, sizeof(*order), by_search);
}

/*
 * Trace events: enabled through tracefs, the same searches appear in the
 * trace as in events, with the same keys and values, each search's in the
 * same order (at detail=candidates the workers writing them after the
 * search batch their records, so searches interleave differently).
 */
bool trace_events(void)
{
	enum { LINES = MAX_RECORDS / 8 };
	static char ring[LINES][256], events[LINES][256], line[512];
	static int ring_order[LINES], event_order[LINES];
	struct bound b[MAX_SOCKETS];
	int n = 0, i, nring = 0, ntrace = 0;
	FILE *f;

	if (!tracefs_ready())
		return false;
	EXPECT(!write_file(TRACEFS "events/ephport/enable", "1"),
	       "no ephport events in tracefs: %s", strerror(errno));
	set_range(40000, 40009);
	write_file(RESERVED, "40003");
	control("clear detail=candidates");
	for (i = 0; i < 12; i++) {
		b[n] = bind_socket(i % 2 ? AF_INET6 : AF_INET, SOCK_STREAM, 0, i % 3 == 0,
				   true, 0, 0);
		n++;
	}
	/* UDP's end counts no lookups: probed=-1 */
	b[n++] = bind_socket(AF_INET, SOCK_DGRAM, 0, false, false, 0, 0);
	/* opening events waits for candidates' deferred writes, and events' */
	f = fopen(DEBUGFS "events", "r");
	write_file(TRACEFS "events/ephport/enable", "0");
	close_all(b, n);
	write_file(RESERVED, "\n");
	set_range(32768, 60999);
	control("detail=passes");

	while (f && fgets(line, sizeof(line), f) && nring < LINES)
		if (without_seq(line, ring[nring], sizeof(ring[0])))
			nring++;
	if (f)
		fclose(f);
	f = fopen(TRACEFS "trace", "r");
	EXPECT(f, "trace: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || !strstr(line, ": search="))
			continue;
		if (ntrace == LINES || !trace_to_record(line, events[ntrace], sizeof(events[0]))) {
			fclose(f);
			EXPECT(false, "unreadable event, or over %d: %.200s", LINES, line);
		}
		ntrace++;
	}
	fclose(f);
	EXPECT(nring > 3 * n, "only %d records for %d binds", nring, n);
	EXPECT(ntrace == nring, "%d events for %d records", ntrace, nring);
	order_by_search(ring, ring_order, nring);
	order_by_search(events, event_order, ntrace);
	for (i = 0; i < nring; i++)
		EXPECT(!strcmp(events[event_order[i]], ring[ring_order[i]]),
		       "event %d is\n# %.220s# the record is\n# %.220s", event_order[i],
		       events[event_order[i]], ring[ring_order[i]]);
	return trace_formats_resolved();
}

/*
 * The preempt depth ftrace stamped on an ephport event in the trace ('.'
 * for none), or -1 for another line.  Its flag's place, @col, is the one
 * the trace's legend gives it: rt kernels have more flags before it.
 */
static int event_preempt_depth(const char *line, int col)
{
	const char *flags = strstr(line, "] ");

	if (line[0] == '#' || col < 0 || !flags || !strstr(line, ": search=") ||
	    (int)strlen(flags) < col + 3)
		return -1;
	flags += 2;
	if (flags[col] == '.')
		return 0;
	return isxdigit((unsigned char)flags[col]) ? 1 : -1;
}

/*
 * At detail=candidates a search's passes, candidates and end are written
 * once it has returned, by a worker, with preemption on: only its begin
 * comes from a probe handler, with preemption off.  ftrace stamps each
 * event with the preempt depth it was written at: TCP's and UDP's bind(0)
 * and a connect().
 */
bool candidates_preemptible(void)
{
	enum { SEARCHES = 4 };
	struct sockaddr_storage peer;
	struct bound b[SEARCHES];
	int listener, begins = 0, later = 0, legend = 0, col = -1, i;
	char line[512];
	FILE *f;

	if (!tracefs_ready())
		return false;
	listener = loopback_listener(AF_INET, SOCK_STREAM, 39999, &peer);
	EXPECT(listener >= 0, "listener: %s", strerror(errno));
	EXPECT(!write_file(TRACEFS "events/ephport/enable", "1"),
	       "no ephport events in tracefs: %s", strerror(errno));
	set_range(40000, 40009);
	control("clear detail=candidates");
	b[0] = bind_socket(AF_INET, SOCK_STREAM, 0, false, true, 0, 0);
	b[1] = bind_socket(AF_INET6, SOCK_STREAM, 0, true, true, 0, 0);
	b[2] = bind_socket(AF_INET, SOCK_DGRAM, 0, false, false, 0, 0);
	b[3] = connect_socket(&peer, SOCK_STREAM, 0, 0);
	/* opening events waits for the searches' deferred writes */
	f = fopen(DEBUGFS "events", "r");
	if (f)
		fclose(f);
	write_file(TRACEFS "events/ephport/enable", "0");
	close_all(b, SEARCHES);
	close(listener);
	set_range(32768, 60999);
	control("detail=passes");
	for (i = 0; i < SEARCHES; i++)
		EXPECT(b[i].port, "search %d: %s", i, strerror(b[i].err));

	f = fopen(TRACEFS "trace", "r");
	EXPECT(f, "trace: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		int depth = event_preempt_depth(line, col);
		bool begin = strstr(line, "type=begin");

		/* "#  ... / _--=> preempt-depth": a flag a legend line, in order */
		if (line[0] == '#' && strstr(line, "=> ")) {
			if (strstr(line, "=> preempt-depth"))
				col = legend;
			legend++;
		}
		if (depth < 0)
			continue;
		begins += begin;
		later += !begin;
		/* a begin from a handler, the rest from the worker */
		if (begin == (depth > 0))
			continue;
		fclose(f);
		EXPECT(false, "preempt depth %s: %.200s", depth ? "not 0" : "0 in a handler",
		       line);
	}
	fclose(f);
	EXPECT(col >= 0, "no preempt-depth in the trace's legend");
	EXPECT(begins == SEARCHES && later >= 3 * SEARCHES, "%d begins and %d other events",
	       begins, later);
	return true;
}

/* The module tests.sh loads, reloaded by scenarios that need its load. */
#define MODULE_KO "/modules/ephport.ko"

/* Reads ip_local_reserved_ports into @arg, a page userfaultfd holds back. */
static void *read_reserved(void *arg)
{
	int fd = open(RESERVED, O_RDONLY | O_CLOEXEC);
	long n = fd < 0 ? -1 : read(fd, arg, 64);

	if (fd >= 0)
		close(fd);
	return (void *)n;
}

/* A bind(0) at detail=candidates in a cleared trace: its search, or NULL. */
static struct search *one_traced_bind(void)
{
	struct bound b;
	struct search *s;

	control("clear detail=candidates");
	b = bind_socket(AF_INET, SOCK_STREAM, 0, false, false, 0, 0);
	load_trace();
	s = b.err ? NULL : op_ending(EPHPORT_OP_BIND, b.port, 0);
	close_all(&b, 1);
	return s;
}

/* The module's probes file says a sysctl table in use at load still is. */
static bool table_held_since_load(void)
{
	return probes_say("sysctl tables in use at load, not yet free");
}

/*
 * A net/ipv4 sysctl call running when the module is loaded (here a read of
 * ip_local_reserved_ports held in its copy to user space by a userfaultfd
 * page, which holds the table as a write inside its handler would): its
 * probe never saw it begin, so until it ends the reserved ports are unsure
 * and a search at detail=candidates says incomplete=1; the next search
 * once it has ended is complete.  Reloads the module, and loads it again
 * whatever failed.
 */
bool sysctl_in_flight_at_load(void)
{
	long page = sysconf(_SC_PAGESIZE), got = -1;
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_zeropage zero = { .mode = 0 };
	bool faulted = false, unloaded, loaded, held, ended = false;
	struct search *during = NULL, *after = NULL;
	int uffd, incomplete_during = -1;
	struct pollfd pfd;
	struct uffd_msg msg;
	pthread_t reader;
	double deadline;
	char *buf;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0 && errno == ENOSYS) {
		snprintf(skipped, sizeof(skipped), "no userfaultfd in this kernel");
		return true;
	}
	EXPECT(uffd >= 0 && !ioctl(uffd, UFFDIO_API, &api), "userfaultfd: %s", strerror(errno));
	buf = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (unsigned long)buf;
	reg.range.len = page;
	if (buf == MAP_FAILED || ioctl(uffd, UFFDIO_REGISTER, &reg) ||
	    pthread_create(&reader, NULL, read_reserved, buf)) {
		close(uffd);
		EXPECT(false, "mmap, UFFDIO_REGISTER or pthread_create: %s", strerror(errno));
	}
	/* the reader's fault: from here it holds the table */
	pfd.fd = uffd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 5000) == 1 && read(uffd, &msg, sizeof(msg)) == sizeof(msg))
		faulted = msg.event == UFFD_EVENT_PAGEFAULT;
	unloaded = !system("rmmod ephport");
	loaded = unloaded && !system("insmod " MODULE_KO " detail=candidates");
	held = loaded && table_held_since_load();
	if (loaded)
		during = one_traced_bind();
	if (during)
		incomplete_during = during->end.incomplete;
	/* the reader goes on and ends (closing the fd wakes it with EFAULT) */
	zero.range.start = (unsigned long)buf;
	zero.range.len = page;
	if (ioctl(uffd, UFFDIO_ZEROPAGE, &zero)) {
		close(uffd);
		uffd = -1;
	}
	pthread_join(reader, (void **)&got);
	for (deadline = now_seconds() + 2; loaded && !ended && now_seconds() < deadline;
	     usleep(10000))
		ended = !table_held_since_load();
	if (ended)
		after = one_traced_bind();
	if (!loaded && access("/sys/module/ephport", F_OK))
		system("insmod " MODULE_KO);
	control("detail=passes");
	munmap(buf, page);
	if (uffd >= 0)
		close(uffd);
	EXPECT(faulted, "the reader never faulted on the held page");
	EXPECT(unloaded && loaded, "rmmod, then insmod with the reader held");
	EXPECT(got > 0, "the reader's read: %ld", got);
	EXPECT(incomplete_during == 1, "the bind while it ran: %s",
	       during ? "complete" : "not traced");
	EXPECT(held, "probes does not say a sysctl table is in use since load");
	EXPECT(ended, "probes still says a sysctl table is in use, 2 s after the read ended");
	EXPECT(after && !after->end.incomplete && after->ncand,
	       "the bind after it ended: %s", after ? "incomplete or no candidate" : "not traced");
	return true;
}
