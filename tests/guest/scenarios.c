// SPDX-License-Identifier: GPL-2.0
/*
 * Guest scenarios: runs inside the test VM with ephport loaded and checks
 * the trace against what the kernel itself reports (getsockname(), errno).
 * Prints "ok - NAME" or "not ok - NAME: why" per scenario, then a count.
 * This file is the runner and its table; the scenarios are in
 * scenarios_*.c, their helpers in scenario_lib.c.
 */
#define _GNU_SOURCE
#include "scenarios.h"

char why[512];
char skipped[128];
static int passed, failed;

struct scenario {
	const char *name;
	bool (*run)(void);
};

static const struct scenario scenarios[] = {
	{ "seed-ipv6", seed_ipv6 },
	{ "seed-ipv4", seed_ipv4 },
	{ "whole-range-without-reuse", whole_range_without_reuse },
	{ "one-port-range", one_port_fails },
	{ "one-port-range-relax", one_port_relax },
	{ "reserved-ports", reserved_skipped },
	{ "socket-range", socket_range },
	{ "upper-half", upper_half },
	{ "explicit-binds", explicit_binds_no_search },
	{ "dccp", dccp },
	{ "foreign-draws", foreign_draws },
	{ "preempted-writer", preempted_writer },
	{ "concurrent", concurrent },
	{ "bad-control", bad_control },
	{ "control-race", control_race },
	{ "pid-filter", pid_filter },
	{ "pipe-reads", pipe_reads },
	{ "binary-records", binary_records },
	{ "pipe-wakes", pipe_wakes },
	{ "blocked-reader", blocked_reader },
	{ "model-predicts", model_predicts },
	{ "reader-watch", reader_watch },
	{ "reader-not-root", reader_not_root },
	{ "reader-record", reader_record },
	{ "ring-overflow", ring_overflow },
	{ "search-larger-than-ring", search_larger_than_ring },
	{ "end-pushes-out-begin", end_pushes_out_begin },
	{ "progress-visible", progress_visible },
	{ "clear-mid-search", clear_mid_search },
	{ "reserved-mid-search", reserved_mid_search },
	{ "candidates-capped", candidates_capped },
	{ "candidates-backlog", candidates_backlog },
	{ "clear-mark", clear_mark },
	{ "trace-events", trace_events },
	{ "candidates-preemptible", candidates_preemptible },
	{ "trace-connect-keeps-secrets", trace_connect_keeps_secrets },
	{ "netns-filter", netns_filter },
	{ "metrics", metrics },
	{ "connect-ipv4", connect_ipv4 },
	{ "connect-ipv6", connect_ipv6 },
	{ "connect-stride", connect_stride },
	{ "lockdown-secrets", lockdown_secrets },
	{ "sysctl-in-flight-at-load", sysctl_in_flight_at_load },
	{ "counters-netns-churn", counters_churn },
	{ "connect-socket-range", connect_socket_range },
	{ "connect-timewait", connect_timewait },
	{ "connect-perturb-unknown", connect_perturb_unknown },
	{ "connect-concurrent", connect_concurrent },
	{ "bind-range-same-width", bind_range_same_width },
	{ "bind-alloc-failure", bind_alloc_failure },
	{ "bucket-calls-attributed", bucket_calls_attributed },
	{ "connect-first-after-load", connect_first_after_load },
	{ "udp-ipv4", udp_ipv4 },
	{ "udp-ipv6", udp_ipv6 },
	{ "udp-sendto", udp_sendto },
	{ "udp-draw-int3", udp_draw_int3 },
	{ "metrics-walks", metrics_walks },
};

/* A crash says where, for addr2line on the host: the guest has no debugger. */
static void on_crash(int sig)
{
	void *frames[32];
	int n = backtrace(frames, 32);

	fprintf(stderr, "# scenarios: signal %d, backtrace:\n", sig);
	backtrace_symbols_fd(frames, n, STDERR_FILENO);
	signal(sig, SIG_DFL);
	raise(sig);
}

int main(int argc, char **argv)
{
	size_t i;
	bool ok;
	int a;

	signal(SIGSEGV, on_crash);
	signal(SIGBUS, on_crash);

	if (argc < 2) {
		fprintf(stderr, "usage: %s all|NAME...\n", argv[0]);
		return 2;
	}
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		bool wanted = false;

		for (a = 1; a < argc; a++)
			wanted |= !strcmp(argv[a], scenarios[i].name) ||
				  (!strcmp(argv[a], "all") &&
				   strcmp(scenarios[i].name, "ring-overflow") &&
				   strcmp(scenarios[i].name, "search-larger-than-ring") &&
				   strcmp(scenarios[i].name, "end-pushes-out-begin") &&
				   strcmp(scenarios[i].name, "connect-first-after-load") &&
				   strcmp(scenarios[i].name, "sysctl-in-flight-at-load"));
		if (!wanted)
			continue;
		why[0] = '\0';
		skipped[0] = '\0';
		ok = scenarios[i].run();
		if (ok && skipped[0]) {
			printf("ok - %s # SKIP %s\n", scenarios[i].name, skipped);
		} else if (ok) {
			printf("ok - %s\n", scenarios[i].name);
			passed++;
		} else {
			printf("not ok - %s: %s\n", scenarios[i].name, why);
			failed++;
		}
		fflush(stdout);
	}
	return failed ? 1 : 0;
}
