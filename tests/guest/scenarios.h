/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the guest scenarios share: the paths they use, EXPECT, the trace
 * as the reader's assembler hands it over, and the helpers of
 * scenario_lib.c; then each scenario, by the file that holds it
 * (scenarios_bind.c, _connect.c, _udp.c, _ring.c, _control.c, _reader.c),
 * for the runner's table in scenarios.c.
 */
#ifndef EPHPORT_GUEST_SCENARIOS_H
#define EPHPORT_GUEST_SCENARIOS_H

#include <arpa/inet.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../module/ephport_model.h"
#include "../../userspace/record.h"
#include "../../userspace/search.h"
#include "util.h"

#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51
#endif

#define DEBUGFS "/sys/kernel/debug/ephport/"
#define PORT_RANGE "/proc/sys/net/ipv4/ip_local_port_range"
#define RESERVED "/proc/sys/net/ipv4/ip_local_reserved_ports"
#define AUTOBIND "/proc/sys/net/ipv4/ip_autobind_reuse"
#define MAX_SOCKETS 64
#define MAX_RECORDS 65536
#define MAX_SEARCHES 4096
#define MAX_PASSES 8

/* why the scenario running failed, or was skipped: set by it */
extern char why[512];
extern char skipped[128];

/* Off, the kernel's kprobes stay int3s, which it handles as NMIs. */
#define KPROBES_OPTIMIZATION "/proc/sys/debug/kprobes-optimization"

/* A scenario fails with the first broken expectation it meets. */
#define EXPECT(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			snprintf(why, sizeof(why), __VA_ARGS__);	\
			return false;					\
		}							\
	} while (0)

struct search {
	unsigned long long id;
	struct ep_record begin, end;
	bool has_begin, has_end;
	struct ep_record pass[MAX_PASSES];
	int npass;
	int ncand, ncand_reserved, ncand_free;
	int nverdict[EPHPORT_VERDICT_COUNT];	/* candidates by verdict */
};

struct trace {
	struct search s[MAX_SEARCHES];
	int n;
	int bad_lines;
	int noncanonical;	/* lines the reader would format otherwise */
	unsigned long long first_seq, last_seq, nrec;
};

/* The records read by load_trace(), as searches. */
extern struct trace trace;

void control(const char *words);

void set_range(int low, int high);

bool load_trace(void);

/* The module's probes file has @text in it. */
bool probes_say(const char *text);

/* tracefs mounted, its trace empty, comms not recorded; false (why set) if not. */
bool tracefs_ready(void);

/* op_ending() of any op */
struct search *search_ending(int port, int nth_failure);

struct bound {
	int fd;
	int port;	/* from getsockname(), or 0 */
	int err;	/* errno of bind(), or 0 */
};

struct bound bind_socket(int family, int type, int port, bool reuse,
			 bool do_listen, int sock_low, int sock_high);

void close_all(struct bound *b, int n);

int half_point(int low, int high);

bool check_search_matches(const struct search *s, int port);

#define NS_SLACK 1000000ULL

unsigned long long realtime_ns(const struct timespec *t);

void pin_to_cpu(int cpu);

#define TRACEFS "/sys/kernel/tracing/"

int run_reader(char *out, size_t size, const char *fmt, ...);

#define TW_REUSE "/proc/sys/net/ipv4/tcp_tw_reuse"

struct bound connect_socket(const struct sockaddr_storage *peer,
			    int type, int sock_low, int sock_high);

int loopback_listener(int family, int type, int port,
		      struct sockaddr_storage *peer);

struct search *op_ending(enum ephport_op op, int port, int nth_failure);

#define FAILSLAB "/sys/kernel/debug/failslab/"

/* The scenarios, for the runner's table: */

/* scenarios_bind.c */
bool seed_ipv6(void);
bool seed_ipv4(void);
bool whole_range_without_reuse(void);
bool one_port_fails(void);
bool one_port_relax(void);
bool reserved_skipped(void);
bool socket_range(void);
bool upper_half(void);
bool explicit_binds_no_search(void);
bool dccp(void);
bool foreign_draws(void);
bool preempted_writer(void);
bool concurrent(void);
bool bind_alloc_failure(void);
bool bucket_calls_attributed(void);
bool bind_range_same_width(void);

/* scenarios_connect.c */
bool connect_ipv4(void);
bool connect_ipv6(void);
bool connect_stride(void);
bool connect_socket_range(void);
bool connect_timewait(void);
bool connect_first_after_load(void);
bool connect_concurrent(void);
bool connect_perturb_unknown(void);

/* scenarios_udp.c */
bool udp_ipv4(void);
bool udp_ipv6(void);
bool udp_draw_int3(void);
bool udp_sendto(void);

/* scenarios_ring.c */
bool progress_visible(void);
bool reserved_mid_search(void);
bool clear_mid_search(void);
bool candidates_capped(void);
bool candidates_backlog(void);
bool clear_mark(void);
bool search_larger_than_ring(void);
bool end_pushes_out_begin(void);
bool ring_overflow(void);
bool model_predicts(void);

/* scenarios_control.c */
bool bad_control(void);
bool control_race(void);
bool pid_filter(void);
bool pipe_reads(void);
bool blocked_reader(void);
bool trace_events(void);
bool candidates_preemptible(void);
bool sysctl_in_flight_at_load(void);

/* scenarios_reader.c */
bool trace_connect_keeps_secrets(void);
bool netns_filter(void);
bool metrics(void);
bool metrics_walks(void);
bool pipe_wakes(void);
bool reader_watch(void);
bool reader_record(void);
bool reader_not_root(void);
bool binary_records(void);
bool counters_churn(void);
bool lockdown_secrets(void);

#endif /* EPHPORT_GUEST_SCENARIOS_H */
