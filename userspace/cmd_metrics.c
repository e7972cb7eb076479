// SPDX-License-Identifier: GPL-2.0
/* metrics: ports in use, capacity and the module's counters, for Prometheus. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "metrics.h"
#include "source.h"

#define EP_METRICS_TOP 10

struct metrics_args {
	const char *proc;
	const char *output;
	long top;
};

/* short options mean one thing in every command: -p is watch's --pid */
enum { OPT_PROC = 0x100, OPT_TOP };

static const struct argp_option options[] = {
	{ "proc", OPT_PROC, "DIR", 0,
	  "Read DIR instead of /proc (a test's; capacity's figures only with /proc)", 0 },
	{ "top", OPT_TOP, "N", 0,
	  "Per-destination figures for the N destinations with the fewest ports left "
	  "(default 10; 0: all)", 0 },
	{ "output", 'o', "FILE", 0,
	  "Write FILE whole or not at all (a temporary file renamed over it), for "
	  "node_exporter's textfile collector", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct metrics_args *a = state->input;

	switch (key) {
	case OPT_PROC:
		a->proc = arg;
		return 0;
	case OPT_TOP:
		if (!ep_parse_long(arg, 0, 1 << 20, &a->top))
			return ep_usage_error("--top wants a count, not '%s'", arg), EP_ARGP_SAID;
		return 0;
	case 'o':
		a->output = arg;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* The metrics into @path.tmp.PID, flushed to disk, then renamed over @path. */
static int write_file(const struct metrics_args *a)
{
	char tmp[4096];
	int code;
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", a->output, (int)getpid()) >=
	    (int)sizeof(tmp))
		return ep_usage_error("--output's path is too long");
	f = fopen(tmp, "w");
	if (!f) {
		ep_error("cannot write %s: %s", tmp, strerror(errno));
		return EP_EXIT_FAIL;
	}
	code = ep_metrics(f, a->proc, a->top);
	if (!code && (fflush(f) || fsync(fileno(f)))) {
		ep_error("cannot write %s: %s", tmp, strerror(errno));
		code = EP_EXIT_FAIL;
	}
	if (fclose(f) && !code) {
		ep_error("cannot write %s: %s", tmp, strerror(errno));
		code = EP_EXIT_FAIL;
	}
	if (!code && rename(tmp, a->output)) {
		ep_error("cannot rename %s to %s: %s", tmp, a->output, strerror(errno));
		code = EP_EXIT_FAIL;
	}
	if (code)
		unlink(tmp);
	return code;
}

static const struct argp argp = {
	options, parse, NULL,
	"Prints, in the Prometheus text format, net.ipv4.ip_local_port_range, how many of its "
	"ports each half of bind()'s search has, and how many of them have a local TCP or UDP "
	"socket in this network namespace (from /proc, so no module is needed), ephport "
	"capacity's figures (the bind()s, UDP binds and connect()s to the fullest "
	"destinations that will still succeed), then the module's counters when it is "
	"loaded: in total, and by network namespace and walk (bind, connect, udp), with "
	"failures by errno and a histogram of the ports examined.\n"
	"\vFor node_exporter's textfile collector (the ephport package's "
	"ephport-metrics.timer runs this every minute):\n"
	"  ephport metrics --output /var/lib/prometheus/node-exporter/ephport.prom",
	NULL, NULL, NULL
};

static int run(int argc, char **argv)
{
	struct metrics_args a = { "/proc", NULL, EP_METRICS_TOP };
	int code = ep_parse_args(&argp, argc, argv, &a);

	if (code)
		return code;
	if (ep_cli.json)
		return ep_usage_error("metrics writes the Prometheus text format: --json does not apply");
	/* to stdout, a full disk fails in main(), so no cut file is left for mv to install */
	return a.output ? write_file(&a) : ep_metrics(stdout, a.proc, a.top);
}

const struct ep_command ep_cmd_metrics = {
	"metrics", "ports in use and the module's counters, for Prometheus", run
};
