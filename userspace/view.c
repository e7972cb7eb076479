// SPDX-License-Identifier: GPL-2.0
/* The read loop: records into searches, filtered, shown as they end or snapshot. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "render.h"
#include "source.h"
#include "view.h"

#define READ_CHUNK 65536
#define MS_PER_S 1000
#define NS_PER_MS 1000000

volatile sig_atomic_t ep_stop;

void ep_session_init(struct ep_session *session, enum ep_view view)
{
	memset(session, 0, sizeof(*session));
	session->view = view;
	session->count = -1;
	session->filter.walk = -1;
	session->filter.family = -1;
}

static bool matches(const struct ep_filter *f, const struct ep_search *s)
{
	const struct ep_record *b = &s->begin;

	if ((f->pid || f->comm || f->family >= 0 || f->walk >= 0) && !s->has_begin)
		return false;
	if (f->walk >= 0 && (int)ep_walk_of(s) != f->walk)
		return false;
	if (f->pid && b->pid != f->pid)
		return false;
	if (f->comm && strcmp(b->comm, f->comm))
		return false;
	if (f->family >= 0 && (int)b->family != f->family)
		return false;
	if (f->errors && (!s->has_end || !s->end.err))
		return false;
	if (f->port_low && (!s->has_end || s->end.err || s->end.port < f->port_low ||
			    s->end.port > f->port_high))
		return false;
	return true;
}

bool ep_show_search(struct ep_search *s, void *ctx)
{
	struct ep_session *session = ctx;

	if (!session->count || !matches(&session->filter, s))
		return false;
	if (session->view == EP_VIEW_HUMAN && !session->legend_shown) {
		ep_render_legend(stdout);
		session->legend_shown = true;
	}
	if (session->view == EP_VIEW_JSON)
		ep_render_json(stdout, s);
	else if (session->view == EP_VIEW_HUMAN)
		ep_render_human(stdout, s, ep_cli.color, session->timestamps);
	else if (session->view == EP_VIEW_ONELINE)
		ep_render_oneline(stdout, s, session->timestamps);
	if (session->count > 0 && !--session->count)
		ep_stop = 1;
	return false;
}

void ep_show_gap(unsigned long long lost, unsigned long long seq, void *ctx)
{
	struct ep_session *session = ctx;

	if (session->view != EP_VIEW_RAW)
		ep_render_lost(stdout, lost, seq, session->view == EP_VIEW_JSON);
	else
		fprintf(stderr, "ephport: %llu records lost before seq %llu\n",
			lost, seq);
}

/* Feeds whole lines from @buf; returns how many bytes of a partial line remain. */
static size_t feed_lines(struct ep_assembler *a, struct ep_session *session,
			 char *buf, size_t len)
{
	char *line = buf, *nl;

	while (!ep_stop && (nl = memchr(line, '\n', len - (line - buf)))) {
		*nl = '\0';
		if (session->view == EP_VIEW_RAW) {
			struct ep_record rec;
			int rc = ep_record_parse(line, &rec);

			if (rc)
				ep_asm_skipped_line(a, line);
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

/*
 * Feeds the whole binary records in @buf; returns how many bytes of a
 * partial one remain, or -1 after saying that they cannot be decoded.
 */
static long feed_records(struct ep_assembler *a, const struct ep_session *session,
			 char *buf, size_t len)
{
	char line[EPHPORT_LINE_MAX];
	struct ephport_record w;
	struct ep_record rec;
	size_t off = 0;
	long size;

	while (!ep_stop && (size = ep_record_unpack(buf + off, len - off, &w))) {
		if (size < 0) {
			ep_error("a binary record this reader cannot decode (version %u, type %u, %u bytes; it decodes version %d): read the module's text with --text, or update the reader",
				 w.version, w.type, w.size, EPHPORT_RECORD_VERSION);
			return -1;
		}
		off += size;
		switch (ep_record_decode(&w, &rec)) {
		case 0:
			/* --raw of a capture: the lines the module would have written */
			if (session->view == EP_VIEW_RAW) {
				ep_record_format(&rec, line, sizeof(line));
				fputs(line, stdout);
			}
			ep_asm_record(a, &rec);
			break;
		case -1:
			a->unparsable++;
			ep_asm_seq(a, w.seq);
			break;
		default:
			/* a newer module's type: skipped, and no gap */
			ep_asm_seq(a, w.seq);
			break;
		}
	}
	memmove(buf, buf + off, len - off);
	return len - off;
}

static void on_stop(int sig)
{
	(void)sig;
	ep_stop = 1;
}

void ep_stop_on_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* a closed pipe is a failed write, seen by the caller, not a death */
	signal(SIGPIPE, SIG_IGN);
}

long long ep_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * MS_PER_S + ts.tv_nsec / NS_PER_MS;
}

int ep_wait_readable(int fd, long long deadline_ms)
{
	while (!ep_stop) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int timeout = -1;

		if (deadline_ms >= 0) {
			long long left = deadline_ms - ep_now_ms();

			if (left <= 0)
				return 0;
			timeout = left > INT_MAX ? INT_MAX : (int)left;
		}
		/* what was shown goes out before waiting, in one write per batch */
		if (fflush(stdout) == EOF) {
			/* the reader of a pipe went away: nothing more to show */
			if (errno == EPIPE)
				return 0;
			ep_error("writing the output: %s", strerror(errno));
			return -1;
		}
		if (poll(&pfd, 1, timeout) < 0 && errno != EINTR) {
			ep_error("poll: %s", strerror(errno));
			return -1;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
			return 1;
	}
	return 0;
}

int ep_pump(const struct ep_source *src, struct ep_assembler *a,
	    struct ep_session *session, long long deadline_ms)
{
	static char buf[READ_CHUNK + 1];
	size_t held = 0;
	int ready;

	while ((ready = ep_wait_readable(src->fd, deadline_ms)) > 0) {
		long left;
		ssize_t n;

		n = read(src->fd, buf + held, READ_CHUNK - held);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			ep_error("read: %s", strerror(errno));
			return EP_EXIT_FAIL;
		}
		if (!n) {
			/* a copy cut short: its last record is not whole */
			if (src->binary && held) {
				ep_error("%s: cut short: its last record is not whole (%zu bytes of it)",
					 ep_cli.input ? ep_cli.input : "the module's records", held);
				return EP_EXIT_UNPARSABLE;
			}
			break;
		}
		if (!src->binary) {
			held = feed_lines(a, session, buf, held + n);
			if (held == READ_CHUNK)		/* a line longer than any record */
				held = 0;
			continue;
		}
		left = feed_records(a, session, buf, held + n);
		if (left < 0)
			return EP_EXIT_UNPARSABLE;
		held = left;
	}
	return ready < 0 ? EP_EXIT_FAIL : EP_EXIT_OK;
}

int ep_finish(struct ep_assembler *a, int code)
{
	if (a->unparsable) {
		ep_error("%llu records could not be parsed and were skipped: is the reader older than the module?",
			 a->unparsable);
		if (!code)
			code = EP_EXIT_UNPARSABLE;
	}
	return code;
}

static bool collect_search(struct ep_search *s, void *ctx)
{
	struct ep_collect *c = ctx;

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

int ep_read_snapshot(struct ep_collect *c, struct ep_assembler *a)
{
	struct ep_session session;
	struct ep_source src;
	int code = EP_EXIT_OK;

	if (ep_open_records(&src, false, false, &code) < 0)
		return code;
	ep_session_init(&session, EP_VIEW_HUMAN);
	ep_asm_init(a, collect_search, NULL, c);
	code = ep_pump(&src, a, &session, -1);
	close(src.fd);
	ep_asm_finish(a, true);
	return code;
}
