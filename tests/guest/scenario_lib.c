// SPDX-License-Identifier: GPL-2.0
/* Helpers the guest scenarios share: control, the range, the trace read back, sockets. */
#define _GNU_SOURCE
#include "scenarios.h"

struct trace trace;

void control(const char *words)
{
	if (write_file(DEBUGFS "control", words))
		fprintf(stderr, "control %s: %s\n", words, strerror(errno));
}

void set_range(int low, int high)
{
	char text[32];

	snprintf(text, sizeof(text), "%d %d", low, high);
	write_file(PORT_RANGE, text);
}

/*
 * tracefs mounted and its trace emptied, for a scenario that enables
 * ephport's events; comms not recorded, or enabling an event would also
 * hook sched_switch: patching __schedule under TCG once left a 6.1 guest's
 * CPU taking the same int3 there for good (soft lockup, with the other CPU
 * waiting for it in text_poke_bp()'s IPI), as bench.sh notes too.
 */
bool tracefs_ready(void)
{
	int fd;

	mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	write_file(TRACEFS "options/record-cmd", "0");
	fd = open(TRACEFS "trace", O_WRONLY | O_TRUNC);
	if (fd < 0) {
		snprintf(why, sizeof(why), "tracefs: %s", strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

/*
 * A search as the reader's own assembler (userspace/search.c) handed it
 * over, kept in the trace with its candidates counted by verdict.
 */
static bool keep_search(struct ep_search *found, void *ctx)
{
	struct search *s;
	int i, j;

	(void)ctx;
	if (trace.n == MAX_SEARCHES)
		return false;
	s = &trace.s[trace.n++];
	memset(s, 0, sizeof(*s));
	s->id = found->id;
	s->begin = found->begin;
	s->end = found->end;
	s->has_begin = found->has_begin;
	s->has_end = found->has_end;
	for (i = 0; i < found->npass; i++) {
		if (s->npass < MAX_PASSES)
			s->pass[s->npass++] = found->passes[i].rec;
		for (j = 0; j < found->passes[i].ncand; j++) {
			enum ephport_verdict v = found->passes[i].cands[j].verdict;

			/* a verdict newer than this test counts in none */
			if (v < EPHPORT_VERDICT_COUNT)
				s->nverdict[v]++;
		}
		s->ncand += found->passes[i].ncand;
	}
	s->ncand_reserved = s->nverdict[EPHPORT_RESERVED];
	s->ncand_free = s->nverdict[EPHPORT_FREE];
	return false;
}

bool probes_say(const char *text)
{
	static char probes[16384];

	return read_file(DEBUGFS "probes", probes, sizeof(probes)) && strstr(probes, text);
}

/* Reads the whole buffered trace (events does not consume it). */
bool load_trace(void)
{
	FILE *f = fopen(DEBUGFS "events", "r");
	static char line[512], again[512];
	struct ep_assembler a;
	struct ep_record rec;

	memset(&trace, 0, sizeof(trace));
	if (!f)
		return false;
	ep_asm_init(&a, keep_search, NULL, NULL);
	while (fgets(line, sizeof(line), f)) {
		if (ep_record_parse(line, &rec)) {
			trace.bad_lines++;
			continue;
		}
		/* the module's hand-made lines are byte for byte the reader's */
		ep_record_format(&rec, again, sizeof(again));
		if (strcmp(again, line) && !trace.noncanonical++)
			fprintf(stderr, "# module: %s# reader: %s", line, again);
		ep_asm_record(&a, &rec);
		/* the mark of this scenario's own clear */
		if (rec.type == EP_CLEAR)
			continue;
		if (!trace.nrec++)
			trace.first_seq = rec.seq;
		trace.last_seq = rec.seq;
	}
	/* searches still open (their end overwritten or not yet written) too */
	ep_asm_finish(&a, true);
	fclose(f);
	return true;
}

/*
 * The traced search of @op (EPHPORT_OP_COUNT: of any) that ended on @port
 * (0: the n-th failed one).
 */
struct search *op_ending(enum ephport_op op, int port, int nth_failure)
{
	int i;

	for (i = 0; i < trace.n; i++) {
		struct search *s = &trace.s[i];

		if (!s->has_end ||
		    (op != EPHPORT_OP_COUNT && (!s->has_begin || s->begin.op != op)))
			continue;
		if (port && s->end.port == port && !s->end.err)
			return s;
		if (!port && s->end.err && !nth_failure--)
			return s;
	}
	return NULL;
}

struct search *search_ending(int port, int nth_failure)
{
	return op_ending(EPHPORT_OP_COUNT, port, nth_failure);
}

/* socket + options + bind(port) + optional listen: what Node.js does. */
struct bound bind_socket(int family, int type, int port, bool reuse,
				bool do_listen, int sock_low, int sock_high)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len = sizeof(ss);
	struct bound b = { .fd = -1 };
	int one = 1;

	b.fd = socket(family, type, type == SOCK_DCCP ? IPPROTO_DCCP : 0);
	if (b.fd < 0) {
		b.err = errno;
		return b;
	}
	if (reuse)
		setsockopt(b.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sock_low || sock_high) {
		unsigned int range = (unsigned int)sock_high << 16 | sock_low;

		if (setsockopt(b.fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &range,
			       sizeof(range)))
			b.err = errno;
	}
	ss.ss_family = family;
	if (family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	if (!b.err && bind(b.fd, (struct sockaddr *)&ss,
			   family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						sizeof(struct sockaddr_in)))
		b.err = errno;
	if (!b.err && do_listen && listen(b.fd, 1))
		b.err = errno;
	if (!b.err && !getsockname(b.fd, (struct sockaddr *)&ss, &len))
		b.port = ntohs(family == AF_INET6 ?
			       ((struct sockaddr_in6 *)&ss)->sin6_port :
			       ((struct sockaddr_in *)&ss)->sin_port);
	return b;
}

void close_all(struct bound *b, int n)
{
	while (n--)
		if (b[n].fd >= 0)
			close(b[n].fd);
}

/* The lower half's end, as the kernel splits [low, high]. */
int half_point(int low, int high)
{
	struct ephport_walk walk;
	struct ephport_half_pass hp;

	ephport_walk_init(&walk, true);
	ephport_half_pass_begin(&walk, low, high, &hp);
	return hp.high;
}

bool check_search_matches(const struct search *s, int port)
{
	EXPECT(!trace.noncanonical, "%d lines differ from the reader's format of them",
	       trace.noncanonical);
	EXPECT(s, "no traced search ended on port %d", port);
	EXPECT(s->has_begin, "search %llu: no begin record", s->id);
	EXPECT(s->begin.pid == getpid(), "search %llu: pid %d, expected %d",
	       s->id, s->begin.pid, getpid());
	EXPECT(!s->end.incomplete, "search %llu incomplete", s->id);
	EXPECT(s->npass == s->end.passes, "search %llu: %d pass records, end says %d",
	       s->id, s->npass, s->end.passes);
	return true;
}

unsigned long long realtime_ns(const struct timespec *t)
{
	return (unsigned long long)t->tv_sec * 1000000000ULL + t->tv_nsec;
}

/* Runs the reader; returns its exit status, its output in @out. */
int run_reader(char *out, size_t size, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	size_t len = 0;
	FILE *p;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (len + 1 < size && fgets(out + len, size - len, p))
		len += strlen(out + len);
	out[len] = '\0';
	/* the rest is read too: a reader stopped by SIGPIPE would not exit */
	while (fgets(cmd, sizeof(cmd), p))
		;
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* connect() and UDP: the other two walks. */
