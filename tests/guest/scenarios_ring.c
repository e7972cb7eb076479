// SPDX-License-Identifier: GPL-2.0
/* Guest scenarios of the record ring: searches seen mid-way, clear, overflow, the model's lookups. */
#define _GNU_SOURCE
#include "scenarios.h"

/* Binds every port of [@low, @low + @n) in @held, raising the file limit. */
static bool hold_ports(struct bound *held, int low, int n)
{
	struct rlimit files = { n + 64, n + 64 };
	int i;

	setrlimit(RLIMIT_NOFILE, &files);
	for (i = 0; i < n; i++) {
		held[i] = bind_socket(AF_INET, SOCK_STREAM, low + i, false, true, 0, 0);
		if (held[i].err) {
			snprintf(why, sizeof(why), "holding port %d: %s", low + i,
				 strerror(held[i].err));
			close_all(held, i + 1);
			return false;
		}
	}
	return true;
}

/* What a reader on events_pipe saw while this process searched. */
struct progress {
	volatile int bind_done;		/* set by the binder once bind() returned */
	volatile pid_t hog;		/* the busy task beside it */
	volatile int polling;		/* set by the reader once it polls */
	int width;			/* of the full range (0: 4000) */
	int clear_mid;			/* clear once the lower half is written */
	int reserve_mid;		/* write ip_local_reserved_ports in the upper half */
	unsigned long long reserved_at;	/* ... done then (CLOCK_REALTIME ns) */
	int begin_read;			/* the binder's begin was read ... */
	int begin_before_return;	/* ... while bind() had not returned */
	int end_with_begin;		/* ... in the same read as its end */
	int lower_before_return;	/* lower half's passes read before that */
	int lower_with_end;		/* ... or only in the same read as the end */
	/* the lower half's passes read */
	int lower_passes, lower_last_pass;
	long long lower_examined;
	int cleared_before_return;	/* records of it cleared before that */
	int cleared_tried;		/* the clear was made (once a search) */
	int end_read, end_err, end_incomplete;
	unsigned long long end_ns, end_ts;
	unsigned long long begin_seq;
};

/* What a record the reader read says of the binder's search. */
static void progress_record(struct progress *p, const struct ep_record *rec,
			    pid_t binder, unsigned long long *id, bool *begin_now,
			    bool *lower_now)
{
	if (rec->type == EP_BEGIN && rec->pid == binder && !*id) {
		*id = rec->search;
		*begin_now = true;
		p->begin_seq = rec->seq;
		p->begin_read = 1;
		p->begin_before_return = !p->bind_done;
	} else if (rec->type == EP_PASS && *id && rec->search == *id &&
		   rec->half == EPHPORT_HALF_LOWER) {
		p->lower_before_return |= !p->bind_done;
		*lower_now = true;
		p->lower_passes++;
		p->lower_last_pass = rec->pass;
		p->lower_examined += rec->examined;
	} else if (rec->type == EP_END && *id && rec->search == *id) {
		p->end_read = 1;
		p->end_err = rec->err;
		p->end_ns = rec->ns;
		p->end_ts = rec->ts;
		p->end_incomplete = rec->incomplete;
		p->end_with_begin = *begin_now;
		p->lower_with_end = *lower_now;
	}
}

/*
 * After the begin, reads nothing until the lower half's two passes are
 * written, then clears them.  More at once means they came with the end
 * (the upper draw was not seen): nothing to clear then.
 */
static void clear_lower_half(struct progress *p)
{
	while (!p->cleared_before_return && !p->cleared_tried && !p->bind_done) {
		long long written = module_stat("records_written");

		if (written > (long long)p->begin_seq + 2)
			break;
		if (written == (long long)p->begin_seq + 2) {
			long long cleared = module_stat("records_cleared");

			control("clear");
			p->cleared_tried = 1;
			/* landed only if it discarded records (the passes) */
			p->cleared_before_return = !p->bind_done &&
						   module_stat("records_cleared") > cleared;
		}
	}
}

/*
 * SCHED_FIFO: the hog takes the binder's CPU from it at its next
 * preemption point, so that its upper half waits for the write.
 */
static void hog_policy(const struct progress *p, int policy)
{
	struct sched_param param = { .sched_priority = policy == SCHED_FIFO };

	sched_setscheduler(p->hog, policy, &param);
}

/* Seconds a reader waits for an end written by the candidates' worker. */
#define END_GRACE 1.0

/* Polls events_pipe (no wake-up delay) until the binder's search ends. */
static void read_progress(struct progress *p, pid_t binder)
{
	static char buf[1 << 16];
	unsigned long long id = 0;
	int fd = open(DEBUGFS "events_pipe", O_RDONLY | O_NONBLOCK);
	size_t have = 0;	/* a line's start, left by the last read */
	double done_at = 0;	/* when bind() was first seen returned */
	ssize_t n;

	while (fd >= 0 && !p->end_read) {
		bool begin_now = false, lower_now = false;
		char *line, *nl;
		int done;

		if (p->clear_mid && id)
			clear_lower_half(p);
		/*
		 * the begin read while bind() runs: the hog keeps the binder's
		 * CPU while the write is made, before its search returns and so
		 * before any of its verdicts is read (detail=candidates: once
		 * it has returned)
		 */
		if (p->reserve_mid == 1 && p->begin_before_return) {
			struct timespec now;

			hog_policy(p, SCHED_FIFO);
			write_file(RESERVED, "65000");
			clock_gettime(CLOCK_REALTIME, &now);
			p->reserved_at = now.tv_sec * 1000000000ULL + now.tv_nsec;
			p->reserve_mid = 2 + !p->bind_done;
			hog_policy(p, SCHED_OTHER);
		}
		/*
		 * bind() returned after its end was written: an empty read
		 * begun after that has nothing more to come (one begun before
		 * may have missed the end).  At detail=candidates the worker
		 * writes it within a tick of the return: a second's grace.
		 */
		if (p->bind_done && !done_at)
			done_at = now_seconds();
		done = done_at && (!p->reserve_mid || now_seconds() - done_at > END_GRACE);
		/*
		 * a line at a time when clearing, so the rest stays in the
		 * ring, and until the begin, so that the write follows it at once
		 */
		n = read(fd, buf + have, p->clear_mid || p->reserve_mid == 1 ?
			 EPHPORT_LINE_MAX : sizeof(buf) - 1 - have);
		p->polling = 1;
		if (n <= 0 && done)
			break;
		if (n <= 0)
			continue;
		have += n;
		for (line = buf; (nl = memchr(line, '\n', buf + have - line)); line = nl + 1) {
			struct ep_record rec;

			*nl = '\0';
			if (!ep_record_parse(line, &rec))
				progress_record(p, &rec, binder, &id, &begin_now, &lower_now);
		}
		have -= line - buf;
		memmove(buf, line, have);
	}
	close(fd);
}

/*
 * The reader ends at its first empty read after bind() returned: one still
 * reading @secs later is stuck, and is killed.  Timed from the return, since
 * a search on a debug kernel under a busy task takes minutes.
 */
static void reap_within(pid_t pid, int secs)
{
	int i;

	for (i = 0; i < secs * 100 && !waitpid(pid, NULL, WNOHANG); i++)
		usleep(10000);
	if (i == secs * 100) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/*
 * A reader polls events_pipe on another CPU while this process binds port
 * 0 with SO_REUSEADDR over a full range (lower half, then upper half, then
 * EADDRINUSE).  A busy task beside the SCHED_IDLE search stretches it far
 * past any hiccup of the host.
 */
static bool watch_search(struct progress *p)
{
	enum { LOW = 20000, WIDTH = 4000 };
	static struct bound held[WIDTH];
	const int width = p->width ? p->width : WIDTH;
	struct sched_param normal = { 0 };
	pid_t reader, hog;
	cpu_set_t cpus;
	struct bound b;

	EXPECT(sysconf(_SC_NPROCESSORS_ONLN) >= 2, "needs 2 CPUs");
	set_range(LOW, LOW + width - 1);
	if (!hold_ports(held, LOW, width)) {
		set_range(32768, 60999);
		return false;
	}
	control(p->reserve_mid ? "clear detail=candidates" : "clear detail=passes");
	sched_getaffinity(0, sizeof(cpus), &cpus);
	reader = fork();
	if (!reader) {
		pin_to_cpu(1);
		read_progress(p, getppid());
		_exit(0);
	}
	pin_to_cpu(0);
	hog = fork();
	if (!hog)
		for (;;)
			;
	p->hog = hog;
	while (!p->polling)
		usleep(1000);
	sched_setscheduler(0, SCHED_IDLE, &normal);
	b = bind_socket(AF_INET, SOCK_STREAM, 0, true, true, 0, 0);
	p->bind_done = 1;
	sched_setscheduler(0, SCHED_OTHER, &normal);
	kill(hog, SIGKILL);
	waitpid(hog, NULL, 0);
	close_all(&b, 1);
	reap_within(reader, 10);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	close_all(held, width);
	set_range(32768, 60999);
	EXPECT(b.err == EADDRINUSE, "bind over a full range: %s", strerror(b.err));
	/* a clear that came too late took the end with it: the caller retries */
	if (p->clear_mid && !p->end_read)
		return true;
	EXPECT(p->begin_read && p->end_read, "reader saw begin %d end %d",
	       p->begin_read, p->end_read);
	EXPECT(p->end_err == -EADDRINUSE, "end says err=%d", p->end_err);
	return true;
}

/*
 * The reader read the begin while bind() still ran, before the end: else
 * its vCPU did not run during the search (a host under load), or the
 * module held the begin back.  Callers try again, and fail if it never is.
 */
static bool reader_kept_up(const struct progress *p)
{
	if (p->end_with_begin)
		snprintf(why, sizeof(why), "the begin came in the same read as the end (search took %llu ns)",
			 p->end_ns);
	else if (!p->begin_before_return)
		snprintf(why, sizeof(why), "the begin was read only after bind() returned");
	return !p->end_with_begin && p->begin_before_return;
}

/* Tries for a search whose middle a reader (and an action) could see. */
#define MID_SEARCH_TRIES 5

static struct progress *shared_progress(void)
{
	struct progress *p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, sizeof(*p));
	return p;
}

/*
 * The begin record is written when the search starts, and the lower half's
 * passes when the upper half begins: a reader sees both while bind() still
 * runs, before the end exists.
 */
bool progress_visible(void)
{
	struct progress *p = shared_progress();
	bool ok, seen = false;
	int tries = 0;

	EXPECT(p, "mmap: %s", strerror(errno));
	do {
		memset(p, 0, sizeof(*p));
		ok = watch_search(p);
		printf("# progress-visible: the search took %llu ns\n", p->end_ns);
		seen = ok && reader_kept_up(p);
		if (seen && (!p->lower_before_return || p->lower_with_end)) {
			snprintf(why, sizeof(why), "the lower half's passes came only with the end");
			seen = false;
		}
	} while (ok && !seen && ++tries < MID_SEARCH_TRIES);
	munmap(p, sizeof(*p));
	return ok && seen;
}

/*
 * Runs watch_search() from @start until the action it takes in the middle
 * of the search landed there: a quick search, or an upper draw not seen
 * (then every pass comes with the end), leaves no middle to act in.
 */
static bool watch_mid_search(struct progress *p, const struct progress *start,
			     bool (*landed)(const struct progress *p))
{
	int tries = 0;
	bool ok, kept_up = false;

	do {
		*p = *start;
		ok = watch_search(p);
		kept_up = ok && reader_kept_up(p);
	} while (ok && (!kept_up || !landed(p)) && ++tries < MID_SEARCH_TRIES);
	if (ok && !kept_up)
		return false;
	if (ok && !landed(p)) {
		snprintf(why, sizeof(why), "%d times the action missed the search's middle",
			 MID_SEARCH_TRIES);
		return false;
	}
	if (ok && !p->end_incomplete) {
		snprintf(why, sizeof(why), "a search changed under its feet says incomplete=0");
		return false;
	}
	return ok;
}

/*
 * The write ended before the search returned (end_ts, taken before its
 * last verdicts are read): bind() returning later is not enough, as the
 * write may then have begun after them.
 */
static bool reserved_landed(const struct progress *p)
{
	return p->reserve_mid == 3 && p->reserved_at < p->end_ts;
}

/*
 * ip_local_reserved_ports written while a search at detail=candidates
 * runs (once its begin was read, and done before it returned): its
 * verdicts, read after that, may not be what the kernel saw, so its end
 * must say incomplete=1.  Halves of 1000 candidates, under the cap, are
 * written whole.
 */
bool reserved_mid_search(void)
{
	const struct progress start = { .width = 2000, .reserve_mid = 1 };
	struct progress *p = shared_progress();
	bool ok;

	EXPECT(p, "mmap: %s", strerror(errno));
	ok = watch_mid_search(p, &start, reserved_landed);
	write_file(RESERVED, "\n");
	munmap(p, sizeof(*p));
	return ok;
}

static bool clear_landed(const struct progress *p)
{
	return p->cleared_before_return && p->end_read;
}

/*
 * A clear while a search runs discards its lower half's passes: its end,
 * written later, must say incomplete=1 although no record was dropped.
 */
bool clear_mid_search(void)
{
	const struct progress start = { .clear_mid = 1 };
	struct progress *p = shared_progress();
	bool ok;

	EXPECT(p, "mmap: %s", strerror(errno));
	ok = watch_mid_search(p, &start, clear_landed);
	munmap(p, sizeof(*p));
	return ok;
}

/*
 * At detail=candidates at most 256 searches (EPHPORT_HANDED_OVER_MAX)
 * wait for the worker that writes their candidates, each a copy that
 * leaves its slot free; past that a search is written at once, its passes
 * and end but no candidate, capped and incomplete.  With one CPU online,
 * a SCHED_FIFO binder and RT throttling off, no worker runs until the
 * binds are over: the first 256 keep their candidates, and none goes
 * untracked for want of a slot (64).
 */
bool candidates_backlog(void)
{
	enum { SEARCHES = 264, WAITING_MAX = 256 };
	struct sched_param fifo = { .sched_priority = 1 }, normal = { 0 };
	long long capped = module_stat("capped"), untracked = module_stat("untracked");
	int i, whole = 0, without = 0;
	struct bound b[SEARCHES];
	char runtime[32] = "";
	bool fifo_set;

	EXPECT(read_file("/proc/sys/kernel/sched_rt_runtime_us", runtime, sizeof(runtime)),
	       "sched_rt_runtime_us: %s", strerror(errno));
	write_file("/proc/sys/kernel/sched_rt_runtime_us", "-1");
	set_other_cpus_online(false);
	set_range(40000, 40999);
	control("clear detail=candidates");
	fifo_set = !sched_setscheduler(0, SCHED_FIFO, &fifo);
	for (i = 0; i < SEARCHES; i++)
		b[i] = bind_socket(AF_INET, SOCK_STREAM, 0, false, false, 0, 0);
	sched_setscheduler(0, SCHED_OTHER, &normal);
	load_trace();
	set_other_cpus_online(true);
	write_file("/proc/sys/kernel/sched_rt_runtime_us", runtime);
	control("detail=passes");
	set_range(32768, 60999);
	close_all(b, SEARCHES);
	EXPECT(fifo_set, "SCHED_FIFO: %s", strerror(errno));
	for (i = 0; i < SEARCHES; i++)
		EXPECT(b[i].port, "bind %d: %s", i, strerror(b[i].err));
	for (i = 0; i < trace.n; i++) {
		const struct search *s = &trace.s[i];

		if (!s->has_begin || s->begin.pid != getpid())
			continue;
		EXPECT(s->has_end && s->npass, "search %llu: no end or no pass", s->id);
		if (s->ncand && !s->end.incomplete)
			whole++;
		else
			EXPECT(!s->ncand && s->end.incomplete,
			       "search %llu: %d candidates, incomplete=%d", s->id, s->ncand,
			       (int)s->end.incomplete);
		without += !s->ncand;
	}
	printf("# candidates-backlog: %d of %d searches with their candidates, %d without\n",
	       whole, SEARCHES, without);
	EXPECT(whole + without == SEARCHES, "%d searches traced of %d", whole + without, SEARCHES);
	EXPECT(whole >= WAITING_MAX && without, "%d with candidates, %d without", whole, without);
	EXPECT(module_stat("capped") - capped == without && module_stat("untracked") == untracked,
	       "stats: capped %lld more, untracked %lld more", module_stat("capped") - capped,
	       module_stat("untracked") - untracked);
	return true;
}

/*
 * At detail=candidates a half pass writes at most 1024 candidates: a
 * search over a larger full half pass keeps its pass records, writes
 * fewer candidates and ends incomplete.  A small one stays complete.
 */
bool candidates_capped(void)
{
	enum { LOW = 20000, WIDTH = 6000, SHARE = 1024 };
	static struct bound held[WIDTH];
	long long capped = module_stat("capped");
	struct bound b, small;
	struct search *s;
	int i;

	set_range(LOW, LOW + WIDTH - 1);
	if (!hold_ports(held, LOW, WIDTH)) {
		set_range(32768, 60999);
		return false;
	}
	control("clear detail=candidates");
	b = bind_socket(AF_INET, SOCK_STREAM, 0, false, true, 0, 0);
	close_all(held, WIDTH);
	set_range(LOW, LOW + 99);
	small = bind_socket(AF_INET, SOCK_STREAM, 0, false, true, 0, 0);
	load_trace();
	close_all(&small, 1);
	set_range(32768, 60999);
	control("detail=passes");
	EXPECT(b.err == EADDRINUSE, "bind over a full range: %s", strerror(b.err));
	s = search_ending(0, 0);
	EXPECT(s && s->has_begin && s->begin.pid == getpid(), "no traced failure");
	EXPECT(s->end.incomplete, "search %llu: candidates capped but incomplete=0", s->id);
	EXPECT(s->end.examined == WIDTH, "search %llu examined %lld of %d", s->id,
	       s->end.examined, WIDTH);
	EXPECT(s->npass == s->end.passes, "%d pass records, end says %d", s->npass,
	       s->end.passes);
	for (i = 0; i < s->npass; i++)
		EXPECT(s->pass[i].examined == WIDTH / 2, "pass %d examined %lld", i + 1,
		       s->pass[i].examined);
	EXPECT(s->ncand == SHARE, "%d candidate records, expected %d", s->ncand, SHARE);
	EXPECT(module_stat("capped") == capped + 1, "capped went from %lld to %lld",
	       capped, module_stat("capped"));
	EXPECT(!small.err, "small bind: %s", strerror(small.err));
	return check_search_matches(search_ending(small.port, 0), small.port);
}

/*
 * `clear` writes a record that counts what it discarded: seq minus that
 * count follows the last record read, so a reader can tell it from loss.
 */
bool clear_mark(void)
{
	static char buf[16384];
	struct ep_record rec, mark = { 0 };
	unsigned long long last = 0;
	struct bound b;
	char *cursor, *line;
	int fd, i;
	ssize_t n;

	control("clear detail=searches");
	fd = open(DEBUGFS "events_pipe", O_RDONLY | O_NONBLOCK);
	EXPECT(fd >= 0, "open events_pipe: %s", strerror(errno));
	for (i = 0; i < 5; i++) {
		b = bind_socket(AF_INET, SOCK_STREAM, 0, false, false, 0, 0);
		close_all(&b, 1);
		/* read the first two searches, leave three unread */
		while (i == 1 && (n = read(fd, buf, sizeof(buf) - 1)) > 0) {
			buf[n] = '\0';
			for (cursor = buf; (line = strsep(&cursor, "\n")) && *line;)
				if (!ep_record_parse(line, &rec))
					last = rec.seq;
		}
	}
	control("clear");
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	control("detail=passes");
	buf[n > 0 ? n : 0] = '\0';
	EXPECT(!ep_record_parse(buf, &mark) && mark.type == EP_CLEAR,
	       "after clear the pipe gave: %.200s", buf);
	EXPECT(mark.cleared == 6, "clear counted %llu records, 3 searches left 6",
	       mark.cleared);
	EXPECT(mark.seq - mark.cleared == last + 1,
	       "clear at seq %llu of %llu records, last read %llu", mark.seq,
	       mark.cleared, last);
	return true;
}

/*
 * One search larger than the ring (ring_size=64, no reader): its first
 * records are overwritten by its own later ones, and its end says so.
 */
bool search_larger_than_ring(void)
{
	enum { LOW = 40000, WIDTH = 200 };
	static struct bound held[WIDTH];
	struct bound b;
	struct search *s;
	char stats[2048];
	int i;

	EXPECT(read_file(DEBUGFS "stats", stats, sizeof(stats)) &&
	       strstr(stats, "ring_size 64\n"), "needs ring_size=64");
	set_range(LOW, LOW + WIDTH - 1);
	/* every port but the last even one: about 150 candidates */
	for (i = 0; i < WIDTH - 2; i++)
		held[i] = bind_socket(AF_INET, SOCK_STREAM, LOW + i, false, true, 0, 0);
	held[WIDTH - 2] = bind_socket(AF_INET, SOCK_STREAM, LOW + WIDTH - 1, false, true, 0, 0);
	control("clear detail=candidates");
	b = bind_socket(AF_INET, SOCK_STREAM, 0, false, true, 0, 0);
	load_trace();
	close_all(held, WIDTH - 1);
	close_all(&b, 1);
	set_range(32768, 60999);
	control("detail=searches");
	EXPECT(!b.err && b.port == LOW + WIDTH - 2, "bind gave port %d (%s)", b.port,
	       strerror(b.err));
	s = search_ending(b.port, 0);
	EXPECT(s && s->has_end, "no end record for port %d", b.port);
	EXPECT(!s->has_begin, "the begin survived a ring of 64");
	EXPECT(s->end.incomplete, "search %llu lost its start but says incomplete=0", s->id);
	return true;
}

/*
 * ring_size=64, no reader, detail=candidates: a search of exactly 65
 * records (begin, passes, candidates, end) has its begin pushed out by its
 * own end, and nothing of it lost before: the end must still say so.  The
 * record count follows the random start, so searches over a range with
 * one free port, of the second pass's parity, are repeated until one has
 * 65: begin, both passes, 32 + 29 candidates, end.
 */
bool end_pushes_out_begin(void)
{
	enum { LOW = 40000, WIDTH = 64, FREE = LOW + 30, RECORDS = 65, TRIES = 600 };
	static struct bound held[WIDTH];
	struct search *s = NULL;
	struct bound b;
	char stats[2048];
	int i, tries;

	EXPECT(read_file(DEBUGFS "stats", stats, sizeof(stats)) &&
	       strstr(stats, "ring_size 64\n"), "needs ring_size=64");
	set_range(LOW, LOW + WIDTH - 1);
	if (!hold_ports(held, LOW, WIDTH)) {
		set_range(32768, 60999);
		return false;
	}
	close_all(&held[FREE - LOW], 1);
	for (tries = 0; tries < TRIES; tries++) {
		control("clear detail=candidates");
		b = bind_socket(AF_INET, SOCK_STREAM, 0, false, true, 0, 0);
		close_all(&b, 1);
		load_trace();
		s = search_ending(b.port, 0);
		if (b.err || !s || s->end.passes + s->end.examined + 2 == RECORDS)
			break;
	}
	for (i = 0; i < WIDTH; i++)
		if (i != FREE - LOW)
			close_all(&held[i], 1);
	set_range(32768, 60999);
	control("detail=searches");
	EXPECT(!b.err && b.port == FREE, "bind gave port %d (%s)", b.port, strerror(b.err));
	EXPECT(s && s->has_end, "no end for port %d", b.port);
	EXPECT(tries < TRIES, "no search of %d records in %d", RECORDS, TRIES);
	EXPECT(!s->has_begin, "the begin survived a search of %d records", RECORDS);
	EXPECT(s->end.incomplete, "the end pushed out its begin but says incomplete=0");
	return true;
}

/* A ring of 64 records overflows: drops are counted, seq shows the gap. */
bool ring_overflow(void)
{
	struct bound b;
	char stats[2048], *p;
	unsigned long long dropped = 0;
	int i;

	if (!read_file(DEBUGFS "stats", stats, sizeof(stats)) ||
	    !strstr(stats, "ring_size 64\n")) {
		snprintf(why, sizeof(why), "needs ring_size=64");
		return false;
	}
	control("clear detail=searches");
	for (i = 0; i < 50; i++) {
		b = bind_socket(AF_INET, SOCK_STREAM, 0, false, false, 0, 0);
		close_all(&b, 1);
	}
	load_trace();
	read_file(DEBUGFS "stats", stats, sizeof(stats));
	p = strstr(stats, "records_dropped ");
	if (p)
		dropped = strtoull(p + strlen("records_dropped "), NULL, 10);
	control("detail=passes");
	EXPECT(trace.nrec == 64, "%llu records buffered", trace.nrec);
	EXPECT(trace.last_seq - trace.first_seq == 63, "buffer is not contiguous");
	EXPECT(dropped >= 100 - 64, "%llu dropped, expected at least 36", dropped);
	return true;
}

/*
 * The model, fed what the trace shows (range, draws) and the ports held,
 * predicts the port the kernel chose, or EADDRINUSE.
 */
bool model_predicts(void)
{
	enum { LOW = 40000, WIDTH = 20, ROUNDS = 12 };
	static char out[8192];
	unsigned int seed = 7;
	int round;

	set_range(LOW, LOW + WIDTH - 1);
	for (round = 0; round < ROUNDS; round++) {
		struct bound held[WIDTH], b;
		char used[512] = "", draws[64] = "", *p;
		int nheld = 0, i, predicted;
		bool reuse = round & 1;
		struct search *s;

		control("clear");
		for (i = 0; i < WIDTH; i++) {
			seed = seed * 1103515245 + 12345;
			/* the last rounds hold every port: EADDRINUSE */
			if (round < ROUNDS - 2 && (seed >> 16) % 100 >= (unsigned int)round * 9)
				continue;
			held[nheld] = bind_socket(AF_INET, SOCK_STREAM, LOW + i,
						  false, true, 0, 0);
			snprintf(used + strlen(used), sizeof(used) - strlen(used),
				 "%s%d", *used ? "," : "", LOW + i);
			nheld++;
		}
		b = bind_socket(AF_INET, SOCK_STREAM, 0, reuse, true, 0, 0);
		load_trace();
		close_all(held, nheld);
		close_all(&b, 1);
		s = search_ending(b.port, 0);
		EXPECT(s && s->npass, "round %d: no traced search", round);
		/* the first pass of each half pass starts from draw | 1 */
		for (i = 0; i < s->npass; i++)
			if (s->pass[i].offset & 1)
				snprintf(draws + strlen(draws), sizeof(draws) - strlen(draws),
					 "%s%lld", *draws ? "," : "", s->pass[i].offset);
		i = run_reader(out, sizeof(out),
			       "ephport simulate --range %d-%d %s --offset %s %s%s",
			       LOW, LOW + WIDTH - 1, reuse ? "--reuse" : "", draws,
			       *used ? "--used " : "", used);
		EXPECT(i == 0, "round %d: simulate exited %d", round, i);
		p = strstr(out, "type=end port=");
		EXPECT(p, "round %d: no end record from simulate", round);
		predicted = atoi(p + strlen("type=end port="));
		if (b.err)
			EXPECT(b.err == EADDRINUSE && !predicted,
			       "round %d: kernel %s, model port %d", round,
			       strerror(b.err), predicted);
		else
			EXPECT(predicted == b.port,
			       "round %d: kernel chose %d, model %d (draws %s, used %s, pass 1 start %lld examined %lld)",
			       round, b.port, predicted, draws, used,
			       s->pass[0].start, s->pass[0].examined);
	}
	set_range(32768, 60999);
	return true;
}
