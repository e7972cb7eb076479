/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading records into searches for the commands: a session that filters
 * and shows them as they end (watch, show, simulate), and a snapshot of the
 * buffered ones (stats, explain).
 */
#ifndef EPHPORT_VIEW_H
#define EPHPORT_VIEW_H

#include <signal.h>
#include <stdbool.h>

#include "hist.h"
#include "search.h"
#include "source.h"

enum ep_view { EP_VIEW_HUMAN, EP_VIEW_JSON, EP_VIEW_RAW, EP_VIEW_ONELINE };

struct ep_filter {
	int pid;
	const char *comm;
	int family;		/* enum ephport_family, or -1 for any */
	int walk;		/* enum ephport_walk_kind, or -1 for any */
	int port_low, port_high;
	bool errors;
};

struct ep_session {
	struct ep_filter filter;
	enum ep_view view;
	long count;		/* searches still to show; -1 unbounded */
	bool legend_shown;	/* the human view's legend, before its first search */
	bool timestamps;	/* -T: when each search returned */
};

/* Set by SIGINT/SIGTERM (and by --count): the pump stops. */
extern volatile sig_atomic_t ep_stop;

/* A session showing every search in @view. */
void ep_session_init(struct ep_session *session, enum ep_view view);
/* ep_search_done: shows @s if it matches (the assembler frees it). */
bool ep_show_search(struct ep_search *s, void *ctx);
/* ep_search_gap: reports lost records in the session's view. */
void ep_show_gap(unsigned long long lost, unsigned long long seq, void *ctx);
/* SIGINT, SIGTERM and SIGHUP set ep_stop; SIGPIPE is a failed write. */
void ep_stop_on_signals(void);
/*
 * Flushes what was shown, then waits for @fd to be readable: 1; 0 at
 * @deadline_ms (-1: none) or a stop; -1 after saying why poll failed.
 */
int ep_wait_readable(int fd, long long deadline_ms);
/* The records from @src until EOF, a stop, or @deadline_ms (-1: none). */
int ep_pump(const struct ep_source *src, struct ep_assembler *a,
	    struct ep_session *session, long long deadline_ms);
long long ep_now_ms(void);
/* Says how many lines were skipped, and turns @code into 7 if they were. */
int ep_finish(struct ep_assembler *a, int code);

/* The buffered searches: the one wanted, and the histogram of all. */
struct ep_collect {
	unsigned long long want;	/* 0: the latest */
	bool failed;			/* the latest that failed */
	struct ep_search found;
	bool have;
	struct ep_hist *hist;		/* NULL: none */
};

/* Assembles the module's events (a snapshot) into @c. */
int ep_read_snapshot(struct ep_collect *c, struct ep_assembler *a);

#endif /* EPHPORT_VIEW_H */
