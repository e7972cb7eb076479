// SPDX-License-Identifier: GPL-2.0
/* watch and show: the searches as they end, or as buffered, in a view. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "render.h"
#include "source.h"
#include "view.h"

#define MS_PER_S 1000

struct watch_args {
	struct ep_session session;
	bool follow;		/* watch: events_pipe; show: events */
	bool filtered;
	bool raw, oneline;
	const char *detail;	/* to set while watching, or NULL */
	long duration;		/* seconds, -1: none */
};

enum { OPT_PASSES = 0x100, OPT_CANDIDATES, OPT_RAW, OPT_COUNT, OPT_DURATION, OPT_WALK,
	OPT_ONELINE, OPT_TIMESTAMPS = 'T' };

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Filters (a search is shown when it matches all of them):", 1 },
	{ "pid", 'p', "N", 0, "Searches made by process N", 1 },
	{ "comm", 'c', "NAME", 0, "Searches made by a command named NAME", 1 },
	{ "family", 'f', "F", 0, "inet or inet6", 1 },
	{ "walk", OPT_WALK, "W", 0, "bind (TCP, DCCP), connect or udp: which of the kernel's searches", 1 },
	{ "port", 'P', "LO-HI", 0, "Searches that chose a port in LO-HI", 1 },
	{ "errors", 'e', NULL, 0, "Failed searches only", 1 },
	{ NULL, 0, NULL, 0, "Detail (watch only; the module's detail is restored on exit):", 2 },
	{ "passes", OPT_PASSES, NULL, 0, "One line per pass (the module's default)", 2 },
	{ "candidates", OPT_CANDIDATES, NULL, 0, "Every port tried, with its verdict", 2 },
	{ NULL, 0, NULL, 0, "Output (the default: a block per search, the range as a bar with the half point '|', the start 'S' and the port 'P', each pass, and the result with its time):", 3 },
	{ "raw", OPT_RAW, NULL, 0, "The module's lines unchanged (no filters)", 3 },
	{ "oneline", OPT_ONELINE, NULL, 0,
	  "One line per search: who, which walk, the port or error, ports tried, time", 3 },
	{ "timestamps", OPT_TIMESTAMPS, NULL, 0,
	  "Each search's return time first (local time, the module's wall clock)", 3 },
	{ NULL, 0, NULL, 0, "Stopping:", 4 },
	{ "count", OPT_COUNT, "N", 0, "After N searches shown", 4 },
	{ "duration", OPT_DURATION, "S", 0, "After S seconds (watch)", 4 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct watch_args *w = state->input;
	struct ep_filter *f = &w->session.filter;
	long value;

	switch (key) {
	case 'p':
		if (!ep_parse_long(arg, 1, INT_MAX, &value))
			return ep_usage_error("--pid wants a process id, not '%s'", arg), EP_ARGP_SAID;
		f->pid = (int)value;
		break;
	case 'c':
		f->comm = arg;
		break;
	case 'f':
		f->family = EP_WORD_INDEX(arg, strlen(arg), ephport_family_words);
		if (f->family < 0)
			return ep_usage_error("--family wants inet or inet6, not '%s'", arg), EP_ARGP_SAID;
		break;
	case OPT_WALK:
		f->walk = EP_WORD_INDEX(arg, strlen(arg), ephport_walk_words);
		if (f->walk < 0)
			return ep_usage_error("--walk wants bind, connect or udp, not '%s'", arg),
			       EP_ARGP_SAID;
		break;
	case 'P':
		if (!ep_parse_port_range(arg, &f->port_low, &f->port_high))
			return ep_usage_error("--port wants LO-HI within 1-65535, not '%s'", arg),
			       EP_ARGP_SAID;
		break;
	case 'e':
		f->errors = true;
		break;
	case OPT_PASSES:
		w->detail = "passes";
		return 0;
	case OPT_CANDIDATES:
		w->detail = "candidates";
		return 0;
	case OPT_ONELINE:
		w->oneline = true;
		return 0;
	case OPT_TIMESTAMPS:
		w->session.timestamps = true;
		return 0;
	case OPT_RAW:
		w->raw = true;
		return 0;
	case OPT_COUNT:
		if (!ep_parse_long(arg, 1, LONG_MAX, &w->session.count))
			return ep_usage_error("--count wants a positive number, not '%s'", arg),
			       EP_ARGP_SAID;
		return 0;
	case OPT_DURATION:
		if (!ep_parse_long(arg, 1, INT_MAX / MS_PER_S, &w->duration))
			return ep_usage_error("--duration wants seconds, not '%s'", arg), EP_ARGP_SAID;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	w->filtered = true;
	return 0;
}

static int run(int argc, char **argv, bool follow, const struct argp *argp)
{
	struct watch_args w = { .follow = follow, .duration = -1 };
	struct ep_assembler a;
	struct ep_source src;
	char saved[32] = "";
	int code;

	ep_session_init(&w.session, EP_VIEW_HUMAN);
	code = ep_parse_args(argp, argc, argv, &w);
	if (code)
		return code;
	w.session.view = w.raw ? EP_VIEW_RAW : ep_cli.json ? EP_VIEW_JSON :
			 w.oneline ? EP_VIEW_ONELINE : EP_VIEW_HUMAN;
	if (w.oneline && (w.raw || ep_cli.json))
		return ep_usage_error("--oneline is a view of its own: not with --raw or --json");
	if (w.raw && (w.filtered || ep_cli.json))
		return ep_usage_error("--raw prints every line unchanged: filters need the human view or --json");
	if (w.detail && ep_cli.input)
		return ep_usage_error("--passes and --candidates set the module's detail: not with --input");

	/* --raw prints the module's own lines */
	if (ep_open_records(&src, follow, w.raw, &code) < 0)
		return code;
	/* before the detail is set: a signal then restores it */
	if (follow)
		ep_stop_on_signals();
	if (w.detail && (!ep_detail_get(saved, sizeof(saved), &code) ||
			 (code = ep_detail_set(w.detail)))) {
		close(src.fd);
		return code;
	}
	ep_asm_init(&a, ep_show_search, ep_show_gap, &w.session);
	code = ep_pump(&src, &a, &w.session,
		       w.duration > 0 ? ep_now_ms() + w.duration * MS_PER_S : -1);
	close(src.fd);
	/* a snapshot may end mid-search: show it; a stopped watch need not */
	ep_asm_finish(&a, !follow);
	if (*saved)
		ep_detail_set(saved);
	return ep_finish(&a, code);
}

static const struct argp watch_argp = {
	options, parse, NULL,
	"Follows new searches from records_pipe (events_pipe with --raw or --text) and prints each as it ends, until Ctrl-C, "
	"--count or --duration. Records it reads are consumed: they are gone from events. "
	"Lost records (a gap in seq) are always reported, never hidden.\n"
	"\vExamples:\n"
	"  ephport watch --candidates --comm node\n"
	"  ephport watch --walk connect --errors --json\n"
	"  ephport watch --duration 60 --raw > trace.txt",
	NULL, NULL, NULL
};

/* show's: watch's but the detail and --duration, which a snapshot has no use for */
static const struct argp_option *show_options(void)
{
	static struct argp_option opts[sizeof(options) / sizeof(options[0])];
	static bool built;
	size_t i, n = 0;

	for (i = 0; !built && i < sizeof(options) / sizeof(options[0]); i++)
		if (options[i].group != 2 && options[i].key != OPT_DURATION)
			opts[n++] = options[i];
	built = true;
	return opts;
}

static struct argp show_argp = {
	NULL, parse, NULL,
	"Prints the searches the module has buffered (records, or events) and exits; reading does not "
	"consume them.\n"
	"\vExamples:\n"
	"  ephport show --errors\n"
	"  ephport show --json --port 40000-40999",
	NULL, NULL, NULL
};

static int run_watch(int argc, char **argv)
{
	return run(argc, argv, true, &watch_argp);
}

static int run_show(int argc, char **argv)
{
	show_argp.options = show_options();
	return run(argc, argv, false, &show_argp);
}

const struct ep_command ep_cmd_watch = {
	"watch", "follow new searches as they happen (the default)", run_watch
};

const struct ep_command ep_cmd_show = {
	"show", "print the searches buffered in the module, then exit", run_show
};
