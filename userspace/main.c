// SPDX-License-Identifier: GPL-2.0
/*
 * ephport: watch, explain and simulate the kernel's ephemeral port
 * searches, as traced by the ephport module.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../module/ephport_model.h"
#include "hist.h"
#include "render.h"
#include "search.h"
#include "simulate.h"
#include "metrics.h"
#include "source.h"

#define READ_CHUNK 65536
#define MS_PER_S 1000

static const char usage_main[] =
"Usage: ephport [watch] [OPTIONS]\n"
"       ephport show [OPTIONS]\n"
"       ephport stats [--svg FILE]\n"
"       ephport explain [SEARCH | --failed]\n"
"       ephport simulate --range LO-HI [OPTIONS]\n"
"       ephport metrics [--proc DIR]\n"
"\n"
"Shows how the Linux kernel picks an ephemeral port when a socket binds or\n"
"listens on port 0, connects without a port, or uses UDP without one, as\n"
"traced by the ephport kernel module in " EP_DEFAULT_DIR ".\n"
"\n"
"Commands:\n"
"  watch      follow new searches as they happen (the default)\n"
"  show       print the searches buffered in the module, then exit\n"
"  stats      the module's counters and a histogram of the ports chosen\n"
"  explain    one search's decisions in plain sentences\n"
"  simulate   run one of the kernel's searches in userspace, without the module\n"
"  metrics    ports in use and the module's counters, for Prometheus\n"
"\n"
"'ephport COMMAND --help' describes each command's options.\n"
"\n"
"Common options:\n"
"  --dir PATH   the module's debugfs folder (default " EP_DEFAULT_DIR ",\n"
"               or $EPHPORT_DIR)\n"
"  -h, --help   this text\n"
"\n"
"Exit status:\n"
"  0  success\n"
"  1  failure: no such search, a read or write that failed\n"
"  2  usage error\n"
"  3  the ephport module is not loaded\n"
"  4  debugfs is not mounted\n"
"  5  permission denied: run as root\n"
"  6  kernel lockdown closes debugfs\n"
"  7  some records could not be parsed and were skipped\n"
"\n"
"See ephport(8).\n";

static const char usage_watch[] =
"Usage: ephport [watch|show] [OPTIONS]\n"
"\n"
"watch reads events_pipe and prints each search as it ends, until Ctrl-C,\n"
"--count or --duration; show prints what the module has buffered (events)\n"
"and exits. Records consumed by watch are gone from events.\n"
"\n"
"Filters (a search is shown when it matches all of them):\n"
"  --pid N          searches made by process N\n"
"  --comm NAME      searches made by a command named NAME\n"
"  --family F       inet or inet6\n"
"  --walk W         bind (TCP, DCCP), connect or udp: which of the kernel's\n"
"                   searches\n"
"  --port LO-HI     searches that chose a port in LO-HI\n"
"  --errors         failed searches only\n"
"\n"
"Detail (watch only; the module's detail is restored on exit):\n"
"  --passes         one line per pass (the module's default)\n"
"  --candidates     every port tried, with its verdict\n"
"\n"
"Output:\n"
"  (default)        a block per search: who, the range as a bar with the\n"
"                   half point '|', the start 'S' and the port 'P', each\n"
"                   pass, and the result with the time it took\n"
"  --json           one JSON object per search (schema in README.md)\n"
"  --raw            the module's lines unchanged (no filters)\n"
"  --no-color       no terminal highlighting\n"
"\n"
"Stopping (watch only):\n"
"  --count N        after N searches shown\n"
"  --duration S     after S seconds\n"
"\n"
"Lost records (a gap in seq) are always reported, never hidden.\n";

static const char usage_stats[] =
"Usage: ephport stats [--svg FILE]\n"
"\n"
"Prints the module's counters (searches, passes, candidates, found, failed,\n"
"records written and dropped, and each probe's hits and misses), then a\n"
"histogram of the ports chosen in the buffered searches over the range,\n"
"with the half point and the odd/even split.\n"
"\n"
"  --svg FILE   also write the histogram as an SVG picture\n";

static const char usage_metrics[] =
"Usage: ephport metrics [--proc DIR]\n"
"\n"
"Prints, in the Prometheus text format, net.ipv4.ip_local_port_range, how\n"
"many of its ports each half of bind()'s search has, and how many of them\n"
"have a local TCP or UDP socket in this network namespace (from /proc, so\n"
"no module is needed), then the module's counters when it is loaded.  For\n"
"node_exporter's textfile collector, e.g. from cron:\n"
"\n"
"  ephport metrics > /var/lib/prometheus/node-exporter/ephport.prom.$$ &&\n"
"    mv /var/lib/prometheus/node-exporter/ephport.prom.$$ \\\n"
"       /var/lib/prometheus/node-exporter/ephport.prom\n"
"\n"
"  --proc DIR   read DIR instead of /proc (another namespace's, or a test's)\n";

static const char usage_explain[] =
"Usage: ephport explain [SEARCH | --failed]\n"
"\n"
"Explains one buffered search in plain sentences: the range and where it\n"
"came from, why only the lower half, why odd ports, which ports were in\n"
"use or reserved, why the upper half or the relax round, why EADDRINUSE.\n"
"SEARCH is the number after '#' in the other views; without it, the\n"
"latest search.  Candidate detail (ephport watch --candidates, or\n"
"'detail=candidates' in control) adds the ports in use and reserved.\n"
"\n"
"  --failed     the latest search that failed\n";

static const char usage_simulate[] =
"Usage: ephport simulate --range LO-HI [--connect | --udp] [OPTIONS]\n"
"\n"
"Runs one of the kernel's searches on the same model the module uses and\n"
"prints it in the module's record format: bind()'s (Linux 6.1\n"
"inet_csk_find_open_port, the default), connect()'s (__inet_hash_connect)\n"
"or UDP's (udp_lib_get_port).\n"
"\n"
"  --range LO-HI        net.ipv4.ip_local_port_range (required)\n"
"  --reuse              bind: the socket has SO_REUSEADDR\n"
"  --autobind-reuse     bind: net.ipv4.ip_autobind_reuse is set\n"
"  --offset N[,N...]    bind: the random draw of each half pass (the last\n"
"                       one repeats); connect: the perturbation slot's value\n"
"                       plus the hash's upper 32 bits; default: random\n"
"  --connect            connect()'s walk: low's parity first, then the other\n"
"  --one-sweep          connect: the socket set IP_LOCAL_PORT_RANGE (6.8+:\n"
"                       one sweep in steps of 1)\n"
"  --udp                UDP's walk, slot by slot\n"
"  --rand N             UDP: its random draw; default: random\n"
"  --slots N            UDP: the hash table's slots, a power of 2 from 1\n"
"                       to 65536 (dmesg: 'UDP hash table entries'); default 256\n"
"  --used LIST          ports already bound (connect: towards that peer),\n"
"                       e.g. 40001,40010-40020\n"
"  --reserved LIST      net.ipv4.ip_local_reserved_ports\n"
"  --candidates         also print every port tried\n"
"  --json, --human      the other views instead of records\n";

enum view { VIEW_HUMAN, VIEW_JSON, VIEW_RAW };

struct filter {
	int pid;
	const char *comm;
	const char *family;
	int walk;		/* enum ep_walk, or -1 for any */
	int port_low, port_high;
	bool errors;
};

struct session {
	struct filter filter;
	enum view view;
	int color;
	long count;		/* searches still to show; -1 unbounded */
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "ephport: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see 'ephport --help')\n");
	return EP_EXIT_USAGE;
}

static bool parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_port_range(const char *s, int *low, int *high)
{
	char buf[32], *dash;
	long lo, hi;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (!dash)
		return false;
	*dash = '\0';
	if (!parse_long(buf, 1, 65535, &lo) || !parse_long(dash + 1, 1, 65535, &hi) ||
	    lo > hi)
		return false;
	*low = (int)lo;
	*high = (int)hi;
	return true;
}

/* "40001,40010-40020" into a port set. */
static bool parse_port_list(const char *s, bool *set)
{
	char *copy = strdup(s), *cursor = copy, *item;
	bool ok = copy && *s;

	while (ok && (item = strsep(&cursor, ","))) {
		int low, high;
		long one;

		if (strchr(item, '-'))
			ok = parse_port_range(item, &low, &high);
		else if ((ok = parse_long(item, 1, 65535, &one)))
			low = high = (int)one;
		while (ok && low <= high)
			set[low++] = true;
	}
	free(copy);
	return ok;
}

static bool matches(const struct filter *f, const struct ep_search *s)
{
	const struct ep_record *b = &s->begin;

	if ((f->pid || f->comm || f->family || f->walk >= 0) && !s->has_begin)
		return false;
	if (f->walk >= 0 && (int)ep_walk_of(s) != f->walk)
		return false;
	if (f->pid && b->pid != f->pid)
		return false;
	if (f->comm && strcmp(b->comm, f->comm))
		return false;
	if (f->family && strcmp(b->family, f->family))
		return false;
	if (f->errors && (!s->has_end || !s->end.err))
		return false;
	if (f->port_low && (!s->has_end || s->end.err || s->end.port < f->port_low ||
			    s->end.port > f->port_high))
		return false;
	return true;
}

static bool show_search(struct ep_search *s, void *ctx)
{
	struct session *session = ctx;

	if (!session->count || !matches(&session->filter, s))
		return false;
	if (session->view == VIEW_JSON)
		ep_render_json(stdout, s);
	else if (session->view == VIEW_HUMAN)
		ep_render_human(stdout, s, session->color);
	fflush(stdout);
	if (session->count > 0 && !--session->count)
		stop = 1;
	return false;
}

static void show_gap(unsigned long long lost, unsigned long long seq, void *ctx)
{
	struct session *session = ctx;

	if (session->view != VIEW_RAW)
		ep_render_lost(stdout, lost, seq, session->view == VIEW_JSON);
	else
		fprintf(stderr, "ephport: %llu records lost before seq %llu\n",
			lost, seq);
}

/* Feeds whole lines from @buf; returns how many bytes of a partial line remain. */
static size_t feed_lines(struct ep_assembler *a, struct session *session,
			 char *buf, size_t len)
{
	char *line = buf, *nl;

	while (!stop && (nl = memchr(line, '\n', len - (line - buf)))) {
		*nl = '\0';
		if (session->view == VIEW_RAW) {
			struct ep_record rec;
			int rc = ep_record_parse(line, &rec);

			if (rc < 0) {
				a->unparsable++;
			} else {
				printf("%s\n", line);
				if (!rc)
					ep_asm_record(a, &rec);
			}
		} else {
			ep_asm_line(a, line);
		}
		line = nl + 1;
	}
	len -= line - buf;
	memmove(buf, line, len);
	return len;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * MS_PER_S + ts.tv_nsec / 1000000;
}

/* The records from @fd until EOF, a stop, or the deadline (-1: none). */
static int pump(int fd, struct ep_assembler *a, struct session *session,
		long long deadline)
{
	static char buf[READ_CHUNK + 1];
	size_t held = 0;

	while (!stop) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int timeout = -1;
		ssize_t n;

		if (deadline >= 0) {
			long long left = deadline - now_ms();

			if (left <= 0)
				break;
			timeout = left > INT_MAX ? INT_MAX : (int)left;
		}
		if (poll(&pfd, 1, timeout) < 0) {
			if (errno == EINTR)
				continue;
			perror("ephport: poll");
			return EP_EXIT_FAIL;
		}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(fd, buf + held, READ_CHUNK - held);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			perror("ephport: read");
			return EP_EXIT_FAIL;
		}
		if (!n)
			break;
		held = feed_lines(a, session, buf, held + n);
		if (held == READ_CHUNK)		/* a line longer than any record */
			held = 0;
	}
	return EP_EXIT_OK;
}

static int finish(struct ep_assembler *a, int code)
{
	if (a->unparsable) {
		fprintf(stderr, "ephport: %llu records could not be parsed and were skipped: is the reader older than the module?\n",
			a->unparsable);
		if (!code)
			code = EP_EXIT_UNPARSABLE;
	}
	return code;
}

/* "detail=passes pid=0 netns=0" -> "passes" */
static bool current_detail(char *detail, size_t size, int *code)
{
	char *text = ep_read_all("control", code), *p, *end;

	if (!text)
		return false;
	p = strstr(text, "detail=");
	if (p) {
		p += strlen("detail=");
		end = p + strcspn(p, " \n");
		*end = '\0';
		snprintf(detail, size, "%s", p);
	}
	free(text);
	if (!p)
		*code = EP_EXIT_FAIL;
	return p != NULL;
}

static int cmd_watch(int argc, char **argv, bool follow)
{
	static const struct option options[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },
		{ "family", required_argument, NULL, 'f' },
		{ "walk", required_argument, NULL, 'w' },
		{ "port", required_argument, NULL, 'P' },
		{ "errors", no_argument, NULL, 'e' },
		{ "passes", no_argument, NULL, 'a' },
		{ "candidates", no_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "raw", no_argument, NULL, 'r' },
		{ "no-color", no_argument, NULL, 'n' },
		{ "count", required_argument, NULL, 'N' },
		{ "duration", required_argument, NULL, 'd' },
		{ "dir", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct session session = { .view = VIEW_HUMAN, .count = -1, .filter.walk = -1 };
	const char *detail = NULL;
	char saved[32] = "";
	struct ep_assembler a;
	long value, duration = -1;
	bool filtered = false;
	int opt, fd, walk, code = EP_EXIT_OK;

	session.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (!parse_long(optarg, 1, INT_MAX, &value))
				return usage_error("--pid wants a process id, not '%s'", optarg);
			session.filter.pid = (int)value;
			filtered = true;
			break;
		case 'c':
			session.filter.comm = optarg;
			filtered = true;
			break;
		case 'f':
			if (strcmp(optarg, "inet") && strcmp(optarg, "inet6"))
				return usage_error("--family wants inet or inet6, not '%s'", optarg);
			session.filter.family = optarg;
			filtered = true;
			break;
		case 'w':
			for (walk = 0; walk < EP_WALK_COUNT && strcmp(optarg, ep_walk_words[walk]); walk++)
				;
			if (walk == EP_WALK_COUNT)
				return usage_error("--walk wants bind, connect or udp, not '%s'", optarg);
			session.filter.walk = walk;
			filtered = true;
			break;
		case 'P':
			if (!parse_port_range(optarg, &session.filter.port_low,
					      &session.filter.port_high))
				return usage_error("--port wants LO-HI within 1-65535, not '%s'", optarg);
			filtered = true;
			break;
		case 'e':
			session.filter.errors = true;
			filtered = true;
			break;
		case 'a':
			detail = "passes";
			break;
		case 'C':
			detail = "candidates";
			break;
		case 'j':
			session.view = VIEW_JSON;
			break;
		case 'r':
			session.view = VIEW_RAW;
			break;
		case 'n':
			session.color = 0;
			break;
		case 'N':
			if (!parse_long(optarg, 1, LONG_MAX, &session.count))
				return usage_error("--count wants a positive number, not '%s'", optarg);
			break;
		case 'd':
			if (!parse_long(optarg, 1, INT_MAX / MS_PER_S, &duration))
				return usage_error("--duration wants seconds, not '%s'", optarg);
			break;
		case 'D':
			ep_dir = optarg;
			break;
		case 'h':
			fputs(usage_watch, stdout);
			return EP_EXIT_OK;
		default:
			return EP_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (session.view == VIEW_RAW && filtered)
		return usage_error("%s", "--raw prints every line unchanged: filters need the human view or --json");
	if (!follow && (detail || session.count > 0 || duration > 0))
		return usage_error("%s", "--passes, --candidates, --count and --duration are for watch");

	fd = ep_open(follow ? "events_pipe" : "events", O_RDONLY, &code);
	if (fd < 0)
		return code;
	if (detail) {
		char words[64];

		if (!current_detail(saved, sizeof(saved), &code)) {
			close(fd);
			return code;
		}
		snprintf(words, sizeof(words), "detail=%s", detail);
		code = ep_control(words);
		if (code) {
			close(fd);
			return code;
		}
	}
	if (follow) {
		struct sigaction sa = { .sa_handler = on_stop };

		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	ep_asm_init(&a, show_search, show_gap, &session);
	code = pump(fd, &a, &session,
		    duration > 0 ? now_ms() + duration * MS_PER_S : -1);
	close(fd);
	/* a snapshot may end mid-search: show it; a stopped watch need not */
	ep_asm_finish(&a, !follow);
	if (*saved) {
		char words[64];

		snprintf(words, sizeof(words), "detail=%s", saved);
		ep_control(words);
	}
	return finish(&a, code);
}

struct collect {
	unsigned long long want;	/* 0: the latest */
	bool failed;
	struct ep_search found;
	bool have;
	struct ep_hist *hist;
};

static bool collect_search(struct ep_search *s, void *ctx)
{
	struct collect *c = ctx;

	if (c->hist)
		ep_hist_add(c->hist, s);
	if (c->want && s->id != c->want)
		return false;
	if (c->failed && (!s->has_end || !s->end.err))
		return false;
	if (c->have)
		ep_search_free(&c->found);
	c->found = *s;
	c->have = true;
	return true;
}

/* Assembles the buffered snapshot (events) into @c. */
static int read_snapshot(struct collect *c, struct ep_assembler *a)
{
	int code = EP_EXIT_OK;
	char *text = ep_read_all("events", &code), *line, *cursor;

	if (!text)
		return code;
	ep_asm_init(a, collect_search, NULL, c);
	for (cursor = text; (line = strsep(&cursor, "\n"));)
		if (*line)
			ep_asm_line(a, line);
	ep_asm_finish(a, true);
	free(text);
	return EP_EXIT_OK;
}

static int cmd_stats(int argc, char **argv)
{
	static const struct option options[] = {
		{ "svg", required_argument, NULL, 's' },
		{ "dir", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ep_hist hist;
	struct collect c = { .hist = &hist };
	struct ep_assembler a;
	const char *svg = NULL;
	int opt, code = EP_EXIT_OK;
	char *text;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			svg = optarg;
			break;
		case 'D':
			ep_dir = optarg;
			break;
		case 'h':
			fputs(usage_stats, stdout);
			return EP_EXIT_OK;
		default:
			return EP_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	text = ep_read_all("stats", &code);
	if (!text)
		return code;
	fputs(text, stdout);
	free(text);
	ep_hist_init(&hist);
	code = read_snapshot(&c, &a);
	if (code)
		return code;
	if (c.have)
		ep_search_free(&c.found);
	fputc('\n', stdout);
	ep_hist_print(stdout, &hist);
	if (svg) {
		FILE *out = fopen(svg, "w");

		if (!out) {
			fprintf(stderr, "ephport: cannot write %s: %s\n", svg,
				strerror(errno));
			return EP_EXIT_FAIL;
		}
		ep_hist_svg(out, &hist);
		if (fclose(out)) {
			fprintf(stderr, "ephport: writing %s: %s\n", svg, strerror(errno));
			return EP_EXIT_FAIL;
		}
	}
	return finish(&a, EP_EXIT_OK);
}

static int cmd_explain(int argc, char **argv)
{
	static const struct option options[] = {
		{ "failed", no_argument, NULL, 'f' },
		{ "dir", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct collect c = { 0 };
	struct ep_assembler a;
	int opt, code;
	long id;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			c.failed = true;
			break;
		case 'D':
			ep_dir = optarg;
			break;
		case 'h':
			fputs(usage_explain, stdout);
			return EP_EXIT_OK;
		default:
			return EP_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		const char *arg = argv[optind][0] == '#' ? argv[optind] + 1 : argv[optind];

		if (!parse_long(arg, 1, LONG_MAX, &id) || optind + 1 < argc)
			return usage_error("explain wants one search number, not '%s'",
					   argv[optind]);
		c.want = (unsigned long long)id;
	}
	code = read_snapshot(&c, &a);
	if (code)
		return code;
	if (!c.have) {
		fprintf(stderr, "ephport: no %s search is buffered in the module: it may have been consumed by 'ephport watch' or overwritten.\n",
			c.want ? "such" : c.failed ? "failed" : "");
		return finish(&a, EP_EXIT_FAIL);
	}
	ep_explain(stdout, &c.found);
	ep_search_free(&c.found);
	return finish(&a, EP_EXIT_OK);
}

static void print_record(const struct ep_record *rec, void *ctx)
{
	char line[512];

	(void)ctx;
	ep_record_format(rec, line, sizeof(line));
	fputs(line, stdout);
}

static void assemble_record(const struct ep_record *rec, void *ctx)
{
	ep_asm_record(ctx, rec);
}

static int cmd_simulate(int argc, char **argv)
{
	static const struct option options[] = {
		{ "range", required_argument, NULL, 'r' },
		{ "reuse", no_argument, NULL, 'u' },
		{ "autobind-reuse", no_argument, NULL, 'a' },
		{ "offset", required_argument, NULL, 'o' },
		{ "used", required_argument, NULL, 'U' },
		{ "reserved", required_argument, NULL, 'R' },
		{ "candidates", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "human", no_argument, NULL, 'H' },
		{ "connect", no_argument, NULL, 'C' },
		{ "one-sweep", no_argument, NULL, '1' },
		{ "udp", no_argument, NULL, 'P' },
		{ "rand", required_argument, NULL, 'n' },
		{ "slots", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static bool used[EP_PORTS], reserved[EP_PORTS];
	unsigned int draws[EPHPORT_MAX_HALF_PASSES];
	struct ep_sim sim = {
		.used = used, .reserved = reserved, .draws = draws,
		.slots = EP_SIM_UDP_SLOTS,
	};
	bool have_rand = false;
	struct session session = { .count = -1, .view = VIEW_RAW, .filter.walk = -1 };
	bool candidates = false, have_range = false;
	struct ep_assembler a;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		char *copy, *cursor, *item;
		long value;

		switch (opt) {
		case 'r':
			if (!parse_port_range(optarg, &sim.low, &sim.high))
				return usage_error("--range wants LO-HI within 1-65535, not '%s'", optarg);
			have_range = true;
			break;
		case 'u':
			sim.reuse = true;
			break;
		case 'a':
			sim.autobind_reuse = true;
			break;
		case 'o':
			copy = strdup(optarg);
			cursor = copy;
			sim.ndraws = 0;
			while (copy && (item = strsep(&cursor, ","))) {
				if (sim.ndraws == EPHPORT_MAX_HALF_PASSES ||
				    !parse_long(item, 0, UINT_MAX, &value)) {
					free(copy);
					return usage_error("--offset wants up to 4 numbers, not '%s'", optarg);
				}
				draws[sim.ndraws++] = (unsigned int)value;
			}
			free(copy);
			break;
		case 'U':
			if (!parse_port_list(optarg, used))
				return usage_error("--used wants ports like 40001,40010-40020, not '%s'", optarg);
			break;
		case 'R':
			if (!parse_port_list(optarg, reserved))
				return usage_error("--reserved wants ports like 40001,40010-40020, not '%s'", optarg);
			break;
		case 'c':
			candidates = true;
			break;
		case 'C':
			sim.kind = EP_SIM_CONNECT;
			break;
		case '1':
			sim.sock_range = true;
			break;
		case 'P':
			sim.kind = EP_SIM_UDP;
			break;
		case 'n':
			if (!parse_long(optarg, 0, UINT_MAX, &value))
				return usage_error("--rand wants a number below 2^32, not '%s'", optarg);
			draws[0] = (unsigned int)value;
			have_rand = true;
			break;
		case 'S':
			if (!parse_long(optarg, 1, EP_PORTS, &value) || (value & (value - 1)))
				return usage_error("--slots wants a power of 2 from 1 to 65536, not '%s'",
						   optarg);
			sim.slots = (unsigned int)value;
			break;
		case 'j':
			session.view = VIEW_JSON;
			break;
		case 'H':
			session.view = VIEW_HUMAN;
			break;
		case 'h':
			fputs(usage_simulate, stdout);
			return EP_EXIT_OK;
		default:
			return EP_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!have_range)
		return usage_error("%s", "simulate needs --range LO-HI");
	if (sim.low > sim.high)
		return usage_error("--range wants LO-HI with LO <= HI, not %s", argv[optind - 1]);
	if ((sim.sock_range && sim.kind != EP_SIM_CONNECT) ||
	    (have_rand && sim.kind != EP_SIM_UDP) ||
	    ((sim.reuse || sim.autobind_reuse) && sim.kind != EP_SIM_BIND) ||
	    (sim.ndraws > 1 && sim.kind != EP_SIM_BIND) ||
	    (sim.ndraws && sim.kind == EP_SIM_UDP))
		return usage_error("%s", "an option of another walk: see ephport simulate --help");
	srand((unsigned int)time(NULL) ^ (unsigned int)getpid());
	if (sim.kind == EP_SIM_UDP) {
		if (!have_rand)
			draws[0] = (unsigned int)rand();
		sim.ndraws = 1;
	} else if (sim.kind == EP_SIM_CONNECT) {
		sim.perturb = sim.ndraws ? draws[0] : (unsigned int)rand();
	} else if (!sim.ndraws) {
		for (sim.ndraws = 0; sim.ndraws < EPHPORT_MAX_HALF_PASSES; sim.ndraws++)
			draws[sim.ndraws] = (unsigned int)rand();
	}
	if (session.view == VIEW_RAW) {
		ep_simulate(&sim, candidates, print_record, NULL);
		return EP_EXIT_OK;
	}
	ep_asm_init(&a, show_search, NULL, &session);
	ep_simulate(&sim, candidates, assemble_record, &a);
	ep_asm_finish(&a, true);
	return EP_EXIT_OK;
}

static int cmd_metrics(int argc, char **argv)
{
	static const struct option options[] = {
		{ "proc", required_argument, NULL, 'p' },
		{ "dir", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *proc = "/proc";
	int opt;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'p':
			proc = optarg;
			break;
		case 'D':
			ep_dir = optarg;
			break;
		case 'h':
			fputs(usage_metrics, stdout);
			return EP_EXIT_OK;
		default:
			return EP_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return ep_metrics(stdout, proc);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 && argv[1][0] != '-' ? argv[1] : "watch";
	const char *env = getenv("EPHPORT_DIR");

	if (env && *env)
		ep_dir = env;
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
			 !strcmp(argv[1], "help"))) {
		fputs(usage_main, stdout);
		return EP_EXIT_OK;
	}
	/* getopt sees the command's own arguments, and names it in errors */
	if (argc > 1 && argv[1][0] != '-') {
		static char name[32];

		snprintf(name, sizeof(name), "ephport %s", cmd);
		argv++;
		argc--;
		argv[0] = name;
	}
	if (!strcmp(cmd, "watch"))
		return cmd_watch(argc, argv, true);
	if (!strcmp(cmd, "show"))
		return cmd_watch(argc, argv, false);
	if (!strcmp(cmd, "stats"))
		return cmd_stats(argc, argv);
	if (!strcmp(cmd, "explain"))
		return cmd_explain(argc, argv);
	if (!strcmp(cmd, "simulate"))
		return cmd_simulate(argc, argv);
	if (!strcmp(cmd, "metrics"))
		return cmd_metrics(argc, argv);
	return usage_error("unknown command '%s'", cmd);
}
