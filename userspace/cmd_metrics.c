// SPDX-License-Identifier: GPL-2.0
/* metrics: ports in use and the module's counters, for Prometheus. */
#include <stdio.h>

#include "cli.h"
#include "metrics.h"

static const struct argp_option options[] = {
	{ "proc", 'p', "DIR", 0, "Read DIR instead of /proc (another namespace's, or a test's)", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	const char **proc = state->input;

	switch (key) {
	case 'p':
		*proc = arg;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	options, parse, NULL,
	"Prints, in the Prometheus text format, net.ipv4.ip_local_port_range, how many of its "
	"ports each half of bind()'s search has, and how many of them have a local TCP or UDP "
	"socket in this network namespace (from /proc, so no module is needed), then the "
	"module's counters when it is loaded: in total, and by network namespace and walk "
	"(bind, connect, udp), with failures by errno and a histogram of the ports examined.\n"
	"\vFor node_exporter's textfile collector, e.g. from cron:\n"
	"  ephport metrics > /var/lib/prometheus/node-exporter/ephport.prom.$$ &&\n"
	"    mv /var/lib/prometheus/node-exporter/ephport.prom.$$ \\\n"
	"       /var/lib/prometheus/node-exporter/ephport.prom",
	NULL, NULL, NULL
};

static int run(int argc, char **argv)
{
	const char *proc = "/proc";
	int code = ep_parse_args(&argp, argc, argv, &proc);

	/* a full disk fails in main(), so no cut file is left for mv to install */
	return code ? code : ep_metrics(stdout, proc);
}

const struct ep_command ep_cmd_metrics = {
	"metrics", "ports in use and the module's counters, for Prometheus", run
};
