// SPDX-License-Identifier: GPL-2.0
/*
 * ephport metrics: how close this network namespace is to running out of
 * ephemeral ports, in the Prometheus text format (for node_exporter's
 * textfile collector).  The range and the ports in use come from the
 * kernel itself (/proc), so they need no module; the module's counters
 * are added when it is loaded.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../module/ephport_model.h"
#include "cli.h"
#include "capacity.h"
#include "metrics.h"
#include "netns.h"
#include "record.h"
#include "source.h"

#define PORTS 65536

/* Local ports with a socket of one protocol, from /proc/net files. */
struct used {
	unsigned char bit[PORTS / 8];
};

static void mark(struct used *u, unsigned int port)
{
	u->bit[port / 8] |= 1 << port % 8;
}

static bool marked(const struct used *u, unsigned int port)
{
	return u->bit[port / 8] & 1 << port % 8;
}

/*
 * Every socket line of /proc/net/{tcp,tcp6,udp,udp6} starts "N: ADDR:PORT"
 * with the port in hex.  A file that is missing (no IPv6) adds nothing.
 */
static bool read_sockets(const char *proc, const char *name, struct used *u)
{
	char path[4096], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/net/%s", proc, name);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned int port;
		char *colon = strchr(line, ':');

		/* the header has no "N:" before its first column */
		if (!colon || !(colon = strchr(colon + 1, ':')))
			continue;
		if (sscanf(colon + 1, "%x", &port) == 1 && port < PORTS)
			mark(u, port);
	}
	fclose(f);
	return true;
}

static void help(FILE *out, const char *name, const char *type, const char *text)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/*
 * The module's stats file, as counters (searches and failures are the
 * walk families' below, by namespace); whether it is loaded, in any case.
 */
static void module_counters(FILE *out)
{
	static const struct {
		const char *key, *name, *help;
	} counters[] = {
		{ "incomplete", "ephport_searches_incomplete_total",
		  "Traced searches whose records may miss passes or candidates." },
		{ "passes", "ephport_passes_total", "Parity sweeps of traced searches." },
		{ "candidates", "ephport_candidates_examined_total",
		  "Ports the traced searches tried." },
		{ "records_dropped", "ephport_records_dropped_total",
		  "Records overwritten before a reader took them." },
	};
	char path[4096], line[256], key[64];
	unsigned long long value;
	size_t i;
	FILE *f;

	help(out, "ephport_build_info", "gauge", "The reader's version, always 1.");
	fprintf(out, "ephport_build_info{version=\"%s\"} 1\n", EPHPORT_VERSION);
	snprintf(path, sizeof(path), "%s/stats", ep_dir);
	f = fopen(path, "r");
	help(out, "ephport_module_loaded", "gauge",
	     "1 when the ephport module's files could be read, else 0.");
	fprintf(out, "ephport_module_loaded %d\n", !!f);
	if (!f) {
		fprintf(out, "# the ephport module is not loaded: no search counters\n");
		return;
	}
	/* line by line: "probe NAME hits N missed M" lines sit among the keys */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %llu", key, &value) != 2)
			continue;
		for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
			if (!strcmp(key, counters[i].key)) {
				help(out, counters[i].name, "counter", counters[i].help);
				fprintf(out, "%s %llu\n", counters[i].name, value);
			}
	}
	fclose(f);
}

/* One line of the module's counters file. */
struct counter_line {
	unsigned long netns;
	int walk;
	unsigned long long searches, failed[EPHPORT_FAIL_COUNT], sum;
	unsigned long long buckets[EPHPORT_EXAMINED_BUCKETS];
	/* a module before search times has none: the family is left out */
	bool have_ns;
	unsigned long long ns_sum, ns[EPHPORT_NS_BUCKETS];
};

/* "b0,b1,...": @n numbers, comma-separated; the end, or NULL */
static char *parse_buckets(char *p, unsigned long long *v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		char *end;

		v[i] = strtoull(p, &end, 10);
		if (end == p || (i + 1 < n && *end != ','))
			return NULL;
		p = i + 1 < n ? end + 1 : end;
	}
	return p;
}

/*
 * "netns=N walk=W searches=S EADDRINUSE=A EADDRNOTAVAIL=B other=C
 * examined_sum=X examined=b0,...,b16[ ns_sum=T ns=b0,...,b15]"
 */
static bool parse_counter_line(char *line, struct counter_line *c)
{
	char walk[16], *p;
	int n;

	if (sscanf(line, "netns=%lu walk=%15s searches=%llu EADDRINUSE=%llu EADDRNOTAVAIL=%llu other=%llu examined_sum=%llu examined=%n",
		   &c->netns, walk, &c->searches, &c->failed[EPHPORT_FAIL_EADDRINUSE],
		   &c->failed[EPHPORT_FAIL_EADDRNOTAVAIL], &c->failed[EPHPORT_FAIL_OTHER],
		   &c->sum, &n) != 7)
		return false;
	c->walk = EP_WORD_INDEX(walk, strlen(walk), ephport_walk_words);
	if (c->walk < 0)
		return false;
	p = parse_buckets(line + n, c->buckets, EPHPORT_EXAMINED_BUCKETS);
	if (!p)
		return false;
	c->have_ns = sscanf(p, " ns_sum=%llu ns=%n", &c->ns_sum, &n) == 1 &&
		     parse_buckets(p + n, c->ns, EPHPORT_NS_BUCKETS);
	return true;
}

/* netns="N" (0: the namespaces past the module's rows) and walk="W" */
static void labels(FILE *out, const struct counter_line *c)
{
	if (c->netns)
		fprintf(out, "netns=\"%lu\",walk=\"%s\"", c->netns, ephport_walk_words[c->walk]);
	else
		fprintf(out, "netns=\"other\",walk=\"%s\"", ephport_walk_words[c->walk]);
}

/* One row's search times: buckets of 1 us * 2^i, the last one +Inf's alone. */
static void duration(FILE *out, const struct counter_line *c)
{
	unsigned long long cumulative = 0;
	int i;

	for (i = 0; i < EPHPORT_NS_BUCKETS; i++) {
		cumulative += c->ns[i];
		if (i + 1 == EPHPORT_NS_BUCKETS)
			break;
		fprintf(out, "ephport_search_duration_seconds_bucket{");
		labels(out, c);
		fprintf(out, ",le=\"%g\"} %llu\n",
			(double)(EPHPORT_NS_BUCKET_UNIT << i) / 1e9, cumulative);
	}
	fprintf(out, "ephport_search_duration_seconds_bucket{");
	labels(out, c);
	fprintf(out, ",le=\"+Inf\"} %llu\nephport_search_duration_seconds_sum{", cumulative);
	labels(out, c);
	fprintf(out, "} %.9f\nephport_search_duration_seconds_count{", c->ns_sum / 1e9);
	labels(out, c);
	fprintf(out, "} %llu\n", cumulative);
}

/*
 * The module's counters by namespace and walk: searches, failures by errno
 * and a histogram of the ports each complete search examined.  Each family
 * is printed whole, so the file is read once per family.
 */
static void walk_counters(FILE *out)
{
	/* a row is under 1 KB: 33 numbers of up to 20 digits, and its keys */
	char path[4096], line[2048];
	struct counter_line c;
	int family, i;

	snprintf(path, sizeof(path), "%s/counters", ep_dir);
	for (family = 0; family < 4; family++) {
		FILE *f = fopen(path, "r");

		if (!f)
			return;
		if (family == 0)
			help(out, "ephport_walk_searches_total", "counter",
			     "Traced searches by network namespace and walk (bind: TCP and DCCP bind() and listen(); connect; udp).");
		else if (family == 1)
			help(out, "ephport_walk_failures_total", "counter",
			     "Traced searches that found no port, by errno.");
		else if (family == 2)
			help(out, "ephport_examined_ports", "histogram",
			     "Ports each complete traced search examined.");
		else
			help(out, "ephport_search_duration_seconds", "histogram",
			     "Time each traced search took, from the kernel's entry to its return, as traced (the probes' own cost included).");
		while (fgets(line, sizeof(line), f)) {
			unsigned long long cumulative = 0;

			if (!parse_counter_line(line, &c))
				continue;
			if (family == 0) {
				fprintf(out, "ephport_walk_searches_total{");
				labels(out, &c);
				fprintf(out, "} %llu\n", c.searches);
			}
			for (i = 0; family == 1 && i < EPHPORT_FAIL_COUNT; i++) {
				fprintf(out, "ephport_walk_failures_total{");
				labels(out, &c);
				fprintf(out, ",errno=\"%s\"} %llu\n", ephport_failure_words[i],
					c.failed[i]);
			}
			/* the module's last bucket holds all above 2^15: +Inf's alone */
			for (i = 0; family == 2 && i < EPHPORT_EXAMINED_BUCKETS; i++) {
				cumulative += c.buckets[i];
				if (i + 1 == EPHPORT_EXAMINED_BUCKETS)
					break;
				fprintf(out, "ephport_examined_ports_bucket{");
				labels(out, &c);
				fprintf(out, ",le=\"%u\"} %llu\n", 1U << i, cumulative);
			}
			if (family == 3 && c.have_ns)
				duration(out, &c);
			if (family == 2) {
				fprintf(out, "ephport_examined_ports_bucket{");
				labels(out, &c);
				fprintf(out, ",le=\"+Inf\"} %llu\nephport_examined_ports_sum{", cumulative);
				labels(out, &c);
				fprintf(out, "} %llu\nephport_examined_ports_count{", c.sum);
				labels(out, &c);
				fprintf(out, "} %llu\n", cumulative);
			}
		}
		fclose(f);
	}
}

static void dest_labels(FILE *out, const struct ep_dest *d)
{
	char from[64], to[64];

	ep_addr_format(&d->saddr, from, sizeof(from));
	ep_addr_format(&d->daddr, to, sizeof(to));
	fprintf(out, ep_addr_is_v4(&d->daddr) ? "{source=\"%s\",destination=\"%s:%d\"}" :
		"{source=\"%s\",destination=\"[%s]:%d\"}", from, to, d->dport);
}

/*
 * ephport capacity's figures for the namespace the reader runs in: the
 * port-0 searches that will still succeed (the lower bound), and the @top
 * destinations with the fewest ports left (bounded cardinality).
 */
static void capacity_metrics(FILE *out, long top)
{
	static bool reserved[EP_PORTS];
	struct ep_cap bind, reuse, udp;
	struct ep_cap_config c;
	struct ep_dest *dests;
	struct ep_socks s;
	size_t n, i;

	if (!ep_netns_cap_config("/proc", &c, reserved) || !ep_socks_read(&s)) {
		fprintf(out, "# no socket tables (NETLINK_SOCK_DIAG): no capacity figures\n");
		return;
	}
	ep_cap_bind(&c, &s, false, &bind);
	ep_cap_bind(&c, &s, true, &reuse);
	ep_cap_udp(&c, &s, &udp);
	help(out, "ephport_reserved_ports", "gauge",
	     "Ports of the range in net.ipv4.ip_local_reserved_ports.");
	fprintf(out, "ephport_reserved_ports %u\n", bind.why[EP_CAP_RESERVED]);
	help(out, "ephport_ports_left", "gauge",
	     "Port-0 searches that will still succeed (at least), as ephport capacity counts "
	     "them: bind() to 0.0.0.0, with SO_REUSEADDR, and UDP.");
	fprintf(out, "ephport_ports_left{search=\"bind\"} %u\n", bind.left_min);
	fprintf(out, "ephport_ports_left{search=\"bind_reuseaddr\"} %u\n", reuse.left_min);
	fprintf(out, "ephport_ports_left{search=\"udp\"} %u\n", udp.left_min);
	dests = ep_cap_dests(&c, &s, &n);
	ep_socks_free(&s);
	if (!dests)
		return;
	help(out, "ephport_destinations", "gauge",
	     "Destinations TCP sockets of the range are connected to.");
	fprintf(out, "ephport_destinations %zu\n", n);
	if (top && (size_t)top < n)
		n = (size_t)top;
	help(out, "ephport_destination_ports_left", "gauge",
	     "connect()s to the destination from its source that will still succeed (at least), "
	     "for the destinations with the fewest left.");
	for (i = 0; i < n; i++) {
		fprintf(out, "ephport_destination_ports_left");
		dest_labels(out, &dests[i]);
		fprintf(out, " %u\n", dests[i].cap.left_min);
	}
	help(out, "ephport_destination_fill_ratio", "gauge",
	     "Share of the range connect() cannot use toward the destination (1: EADDRNOTAVAIL).");
	for (i = 0; i < n; i++) {
		fprintf(out, "ephport_destination_fill_ratio");
		dest_labels(out, &dests[i]);
		fprintf(out, " %.4f\n", 1.0 - (double)dests[i].cap.left_min / dests[i].cap.ports);
	}
	free(dests);
}

int ep_metrics(FILE *out, const char *proc, long top)
{
	static const char *const protos[] = { "tcp", "udp" };
	static struct used used[2];
	struct ephport_walk walk;
	struct ephport_half_pass lower;
	int low, high, p, port, in_use[2][2] = { { 0 } };

	if (!ep_netns_range(proc, &low, &high)) {
		ep_error("cannot read %s/sys/net/ipv4/ip_local_port_range",
			proc);
		return EP_EXIT_FAIL;
	}
	memset(used, 0, sizeof(used));
	for (p = 0; p < 2; p++) {
		char v6[8];

		snprintf(v6, sizeof(v6), "%s6", protos[p]);
		if (!read_sockets(proc, protos[p], &used[p])) {
			ep_error("cannot read %s/net/%s", proc, protos[p]);
			return EP_EXIT_FAIL;
		}
		read_sockets(proc, v6, &used[p]);
	}
	/* the halves bind() searches with SO_REUSEADDR, as the kernel splits them */
	ephport_walk_init(&walk, true);
	ephport_half_pass_begin(&walk, low, high, &lower);
	for (port = low; port <= high; port++)
		for (p = 0; p < 2; p++)
			in_use[p][port >= lower.high] += marked(&used[p], port);

	help(out, "ephport_port_range_low", "gauge",
	     "First port of net.ipv4.ip_local_port_range.");
	fprintf(out, "ephport_port_range_low %d\n", low);
	help(out, "ephport_port_range_high", "gauge",
	     "Last port of net.ipv4.ip_local_port_range.");
	fprintf(out, "ephport_port_range_high %d\n", high);
	help(out, "ephport_ports", "gauge",
	     "Ports of the range in each half that bind() searches (lower first with SO_REUSEADDR).");
	fprintf(out, "ephport_ports{half=\"lower\"} %d\n", lower.high - low);
	fprintf(out, "ephport_ports{half=\"upper\"} %d\n", high + 1 - lower.high);
	help(out, "ephport_ports_in_use", "gauge",
	     "Ports of each half with a local socket of the protocol, from /proc/net.");
	for (p = 0; p < 2; p++) {
		fprintf(out, "ephport_ports_in_use{proto=\"%s\",half=\"lower\"} %d\n",
			protos[p], in_use[p][0]);
		fprintf(out, "ephport_ports_in_use{proto=\"%s\",half=\"upper\"} %d\n",
			protos[p], in_use[p][1]);
	}
	/* the socket tables are the reader's own namespace's, as /proc is */
	if (!strcmp(proc, "/proc"))
		capacity_metrics(out, top);
	module_counters(out);
	walk_counters(out);
	return EP_EXIT_OK;
}
