// SPDX-License-Identifier: GPL-2.0
/*
 * The views of one search: the human block with its bar, one line, and
 * JSON (its sentences are explain.c's).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../module/ephport_model.h"
#include "json.h"
#include "render.h"

#define BAR_WIDTH 56

static const char *bold(int color)
{
	return color ? "\033[1m" : "";
}

static const char *plain(int color)
{
	return color ? "\033[0m" : "";
}

void ep_effective_range(const struct ep_search *s, int *low, int *high)
{
	const struct ep_record *b = &s->begin;

	*low = b->range_low;
	*high = b->range_high;
	ephport_apply_sock_range(low, high, b->sock_low, b->sock_high);
}

const char *const ep_walk_names[EPHPORT_WALK_COUNT] = {
	[EPHPORT_WALK_BIND] = "bind()",
	[EPHPORT_WALK_CONNECT] = "connect()",
	[EPHPORT_WALK_UDP] = "UDP",
};

enum ephport_walk_kind ep_walk_of(const struct ep_search *s)
{
	if (s->begin.op == EPHPORT_OP_CONNECT)
		return EPHPORT_WALK_CONNECT;
	if (s->begin.proto == EPHPORT_UDP || s->begin.proto == EPHPORT_UDPLITE)
		return EPHPORT_WALK_UDP;
	return EPHPORT_WALK_BIND;
}

const char *ep_err_name(int err)
{
	switch (-err) {
	case EADDRINUSE:
		return "EADDRINUSE";
	case EADDRNOTAVAIL:
		return "EADDRNOTAVAIL";
	case ENOMEM:
		return "ENOMEM";
	default:
		return strerror(-err);
	}
}

static bool is_connect(const struct ep_search *s)
{
	return s->has_begin && ep_walk_of(s) == EPHPORT_WALK_CONNECT;
}

static int column(int port, int low, int high)
{
	long long span = (long long)high - low + 1;

	if (port < low || port > high)
		return -1;
	return (int)((long long)(port - low) * BAR_WIDTH / span);
}

/* "HH:MM:SS.uuuuuu " of the search's return, local time; "" when unknown */
static void print_time(FILE *out, const struct ep_search *s, bool timestamps)
{
	time_t secs;
	struct tm tm;
	char hms[16];

	if (!timestamps)
		return;
	if (!s->has_end || !s->end.ts) {
		fprintf(out, "%-16s", "?");
		return;
	}
	secs = (time_t)(s->end.ts / 1000000000ULL);
	localtime_r(&secs, &tm);
	strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
	fprintf(out, "%s.%06llu ", hms, s->end.ts % 1000000000ULL / 1000);
}

/* A pass's ports in the kernel's order, from what its record says, or -1 if unknown. */
static int pass_port(const struct ep_record *p, long long i)
{
	long long width = p->high - p->low, step = p->step >= 0 ? p->step : 2;

	/* bind() and connect() round a sweep down to even; UDP walks slots */
	if (p->slots || width < 1)
		return -1;
	if (width > 1 && step == 2)
		width &= ~1LL;
	step *= p->stride > 1 ? p->stride : 1;
	return p->low + (int)(((p->start - p->low) + i * step) % width);
}

/*
 * The range as a bar: '=' the ports the passes tried (each candidate, or
 * the sweep its record describes), '|' the half point, 'S' the first port
 * tried, 'P' the port chosen, '*' both in one column.
 */
static void draw_bar(FILE *out, const struct ep_search *s, int low, int high)
{
	char bar[BAR_WIDTH + 1];
	int i, j, c;
	long long k;

	memset(bar, '.', BAR_WIDTH);
	bar[BAR_WIDTH] = '\0';
	for (i = 0; i < s->npass; i++) {
		const struct ep_pass *pass = &s->passes[i];
		const struct ep_record *p = &pass->rec;
		int from = column(p->low, low, high), to = column(p->high - 1, low, high);
		bool whole = pass_port(p, 0) < 0 || p->examined < 0 ||
			     p->examined * (p->step > 0 ? p->step : 2) >= p->high - p->low;

		for (j = 0; j < pass->ncand; j++)
			if ((c = column(pass->cands[j].port, low, high)) >= 0)
				bar[c] = '=';
		for (k = 0; !pass->ncand && !whole && k < p->examined; k++)
			if ((c = column(pass_port(p, k), low, high)) >= 0)
				bar[c] = '=';
		for (c = from; !pass->ncand && whole && c >= 0 && c <= to; c++)
			bar[c] = '=';
	}
	for (i = 0; i < s->npass; i++)
		if (s->passes[i].rec.half == EPHPORT_HALF_LOWER &&
		    (c = column(s->passes[i].rec.high, low, high)) >= 0)
			bar[c] = '|';
	if (s->npass && (c = column((int)s->passes[0].rec.start, low, high)) >= 0)
		bar[c] = 'S';
	if (s->has_end && !s->end.err && (c = column(s->end.port, low, high)) >= 0)
		bar[c] = bar[c] == 'S' ? '*' : 'P';
	fprintf(out, "  %5d [%s] %d\n", low, bar, high);
}

/* Candidates past this many are summarised: the first and last, and counts. */
#define CANDS_SHOWN 48
#define CANDS_HEAD 32
#define CANDS_PER_LINE 8

static void print_cands(FILE *out, const struct ep_pass *pass)
{
	int j, v, hidden[EPHPORT_VERDICT_COUNT + 1] = { 0 };
	bool cut = pass->ncand > CANDS_SHOWN;

	for (j = 0; j < pass->ncand; j++) {
		const struct ep_record *c = &pass->cands[j];

		if (cut && j >= CANDS_HEAD && j < pass->ncand - (CANDS_SHOWN - CANDS_HEAD)) {
			hidden[c->verdict < EPHPORT_VERDICT_COUNT ? c->verdict :
			       EPHPORT_VERDICT_COUNT]++;
			if (j + 1 < pass->ncand - (CANDS_SHOWN - CANDS_HEAD))
				continue;
			fprintf(out, "\n          ... %d more:", pass->ncand - CANDS_SHOWN);
			for (v = 0; v <= EPHPORT_VERDICT_COUNT; v++)
				if (hidden[v])
					fprintf(out, " %d %s", hidden[v], v < EPHPORT_VERDICT_COUNT ?
						ephport_verdict_words[v] : "other");
			fprintf(out, " ...");
			continue;
		}
		fprintf(out, "%s %d:%s", !j ? "         " : j % CANDS_PER_LINE ? "" : "\n          ",
			c->port, EP_NAME(c, verdict, ephport_verdict_words));
	}
	fputc('\n', out);
}

void ep_render_legend(FILE *out)
{
	fprintf(out, "(bar: '=' tried  '.' not tried  '|' half point  'S' first tried  'P' chosen  '*' both)\n\n");
}

void ep_render_oneline(FILE *out, const struct ep_search *s, bool timestamps)
{
	const struct ep_record *b = &s->begin;

	print_time(out, s, timestamps);
	fprintf(out, "#%-6llu ", s->id);
	if (s->has_begin)
		fprintf(out, "%-16s %7d %-8s %-5s %-4s ", b->comm, b->pid, ep_walk_names[ep_walk_of(s)],
			ephport_family_words[b->family], EP_NAME(b, proto, ephport_proto_words));
	else
		fprintf(out, "%-16s %7s %-8s %-5s %-4s ", "?", "?", "?", "?", "?");
	if (!s->has_end)
		fprintf(out, "%-13s", "(end lost)");
	else if (s->end.err)
		fprintf(out, "%-13s", ep_err_name(s->end.err));
	else
		fprintf(out, "port %-8d", s->end.port);
	if (s->has_end && s->end.incomplete)
		fprintf(out, " ? tried");
	else if (s->has_end)
		fprintf(out, " %lld tried", s->end.examined);
	if (s->has_end)
		fprintf(out, " %.1f us", s->end.ns / EP_NS_PER_US);
	fprintf(out, "%s\n", s->has_end && s->end.incomplete ? " incomplete" : "");
}

void ep_render_human(FILE *out, const struct ep_search *s, int color, bool timestamps)
{
	const struct ep_record *b = &s->begin;
	char tried[24];
	int low, high, i;

	print_time(out, s, timestamps);
	if (s->has_begin) {
		bool v6 = b->family == EPHPORT_INET6;

		fprintf(out, "%s#%llu %s[%d]%s %s %s %s %s%s%s:0",
			bold(color), s->id, b->comm, b->pid, plain(color),
			EP_NAME(b, op, ephport_op_words), ephport_family_words[b->family], EP_NAME(b, proto, ephport_proto_words), v6 ? "[" : "", b->addr,
			v6 ? "]" : "");
		if (is_connect(s))
			fprintf(out, " -> %s%s%s:%d", v6 ? "[" : "", b->daddr,
				v6 ? "]" : "", b->dport);
		fprintf(out, "%s%s netns %lu\n", b->reuse ? "  SO_REUSEADDR" : "",
			b->reuseport ? "  SO_REUSEPORT" : "", b->netns);
		if (is_connect(s) && b->withheld)
			fprintf(out, "  hash, slot and its value withheld (lockdown=confidentiality)\n");
		else if (is_connect(s) && b->perturb >= 0 && s->has_end && s->end.incomplete)
			fprintf(out, "  perturbation slot %lld = %lld, the walk not verified as the kernel's (incomplete)\n",
				b->slot, b->perturb);
		else if (is_connect(s) && b->perturb >= 0)
			fprintf(out, "  perturbation slot %lld = %lld, hash %llu\n",
				b->slot, b->perturb, b->hash);
		else if (is_connect(s) && s->has_end && !s->end.incomplete)
			fprintf(out, "  perturbation slot %lld unknown: the walk's start comes from the ports the kernel locked\n",
				b->slot);
		else if (is_connect(s))
			fprintf(out, "  perturbation slot %lld unknown: where the walk starts is not known\n",
				b->slot);
		ep_effective_range(s, &low, &high);
		/* the module writes 0-0 when it could not read the range */
		if (!b->range_low && !b->range_high)
			fprintf(out, "  range unknown (it kept changing while read)\n");
		else if (b->sock_low || b->sock_high)
			fprintf(out, "  range %d-%d (IP_LOCAL_PORT_RANGE %d-%d within sysctl %d-%d)\n",
				low, high, b->sock_low, b->sock_high, b->range_low,
				b->range_high);
		else
			fprintf(out, "  range %d-%d (net.ipv4.ip_local_port_range)\n",
				low, high);
		draw_bar(out, s, low, high);
	} else {
		fprintf(out, "%s#%llu%s (start of the search lost)\n", bold(color),
			s->id, plain(color));
	}
	for (i = 0; i < s->npass; i++) {
		const struct ep_record *p = &s->passes[i].rec;

		fprintf(out, "  pass %d  %-5s %-4s %5d-%-5d  start %-5lld  tried %lld%s",
			p->pass, EP_NAME(p, half, ephport_half_words), ephport_parity_words[p->parity], p->low, p->high - 1,
			p->start, p->examined, p->relax ? "  relax" : "");
		if (p->slots)
			fprintf(out, "  %d hash slots, stride %lld", p->slots, p->step);
		else if (p->step >= 0 && p->step != 2)
			fprintf(out, "  step %lld", p->step);
		if (p->stride > 1)
			fprintf(out, "  stride %lld", p->stride);
		fputc('\n', out);
		if (s->passes[i].ncand)
			print_cands(out, &s->passes[i]);
	}
	if (!s->has_end) {
		fprintf(out, "  => end of the search lost or not yet seen\n\n");
		return;
	}
	/* an incomplete search may not know how many it tried */
	if (s->end.incomplete)
		snprintf(tried, sizeof(tried), "?");
	else
		snprintf(tried, sizeof(tried), "%lld", s->end.examined);
	if (s->end.err)
		fprintf(out, "  => %s%s%s after %d passes, %s ports tried (%.1f us)",
			bold(color), ep_err_name(s->end.err), plain(color),
			s->end.passes, tried, s->end.ns / EP_NS_PER_US);
	else
		fprintf(out, "  => port %s%d%s (%s tried, %.1f us)", bold(color),
			s->end.port, plain(color), tried, s->end.ns / EP_NS_PER_US);
	fprintf(out, "%s\n\n", s->end.incomplete ?
		"  [incomplete: some passes or candidates are missing]" : "");
}

static void json_pair(struct ep_json *j, const char *key, int a, int b)
{
	ep_json_key(j, key);
	ep_json_start_array(j);
	ep_json_int(j, a);
	ep_json_int(j, b);
	ep_json_end_array(j);
}

static void json_pass(struct ep_json *j, const struct ep_pass *p)
{
	const struct ep_record *r = &p->rec;
	int i;

	ep_json_start_object(j);
	ep_json_kint(j, "pass", r->pass);
	ep_json_kstring(j, "half", EP_NAME(r, half, ephport_half_words));
	ep_json_kstring(j, "parity", ephport_parity_words[r->parity]);
	ep_json_kint(j, "low", r->low);
	ep_json_kint(j, "high", r->high);
	ep_json_kbool(j, "relax", r->relax);
	ep_json_kint(j, "offset", r->offset);
	ep_json_kint(j, "start", r->start);
	ep_json_kint(j, "examined", r->examined);
	/* bind's step goes without saying in the records: 2 */
	ep_json_kint(j, "step", r->step >= 0 ? r->step : 2);
	if (r->slots)
		ep_json_kint(j, "slots", r->slots);
	if (r->stride >= 0)
		ep_json_kint(j, "stride", r->stride);
	ep_json_key(j, "candidates");
	ep_json_start_array(j);
	for (i = 0; i < p->ncand; i++) {
		ep_json_start_object(j);
		ep_json_kint(j, "port", p->cands[i].port);
		ep_json_kstring(j, "verdict", EP_NAME(&p->cands[i], verdict, ephport_verdict_words));
		ep_json_end_object(j);
	}
	ep_json_end_array(j);
	ep_json_end_object(j);
}

static void json_begin(struct ep_json *j, const struct ep_search *s)
{
	const struct ep_record *b = &s->begin;

	ep_json_kint(j, "pid", b->pid);
	ep_json_kint(j, "tid", b->tid);
	ep_json_kstring(j, "comm", b->comm);
	ep_json_kuint(j, "netns", b->netns);
	ep_json_kstring(j, "family", ephport_family_words[b->family]);
	ep_json_kstring(j, "proto", EP_NAME(b, proto, ephport_proto_words));
	ep_json_kstring(j, "addr", b->addr);
	ep_json_kbool(j, "reuse", b->reuse);
	ep_json_kbool(j, "reuseport", b->reuseport);
	json_pair(j, "range", b->range_low, b->range_high);
	if (b->sock_low || b->sock_high) {
		json_pair(j, "sockrange", b->sock_low, b->sock_high);
	} else {
		ep_json_key(j, "sockrange");
		ep_json_null(j);
	}
	ep_json_kstring(j, "op", EP_NAME(b, op, ephport_op_words));
	if (!is_connect(s))
		return;
	ep_json_kstring(j, "daddr", b->daddr);
	ep_json_kint(j, "dport", b->dport);
	if (b->withheld) {
		ep_json_kstring(j, "secrets", "withheld");
		ep_json_kstring(j, "hash", NULL);
		ep_json_kstring(j, "slot", NULL);
	} else {
		ep_json_kuint(j, "hash", b->hash);
		ep_json_kint(j, "slot", b->slot);
	}
	ep_json_key(j, "perturb");
	if (b->perturb >= 0)
		ep_json_int(j, b->perturb);
	else
		ep_json_null(j);
}

void ep_render_json(FILE *out, const struct ep_search *s)
{
	struct ep_json j;
	int i;

	ep_json_init(&j, out);
	ep_json_start_object(&j);
	ep_json_kuint(&j, "search", s->id);
	if (s->has_begin)
		json_begin(&j, s);
	ep_json_key(&j, "passes");
	ep_json_start_array(&j);
	for (i = 0; i < s->npass; i++)
		json_pass(&j, &s->passes[i]);
	ep_json_end_array(&j);
	if (s->has_end) {
		ep_json_kint(&j, "port", s->end.err ? 0 : s->end.port);
		ep_json_kint(&j, "err", s->end.err);
		ep_json_kstring(&j, "error", s->end.err ? ep_err_name(s->end.err) : NULL);
		ep_json_kint(&j, "examined", s->end.examined);
		ep_json_kuint(&j, "ns", s->end.ns);
		ep_json_kbool(&j, "incomplete", s->end.incomplete);
		ep_json_key(&j, "ts");
		if (s->end.ts)
			ep_json_uint(&j, s->end.ts);
		else
			ep_json_null(&j);
	}
	ep_json_kbool(&j, "complete", s->has_begin && s->has_end);
	ep_json_end_object(&j);
}

void ep_render_lost(FILE *out, unsigned long long lost, unsigned long long seq,
		    int json)
{
	struct ep_json j;

	if (json) {
		ep_json_init(&j, out);
		ep_json_start_object(&j);
		ep_json_kuint(&j, "lost", lost);
		ep_json_kuint(&j, "before_seq", seq);
		ep_json_end_object(&j);
	} else {
		fprintf(out, "!! %llu records lost before seq %llu (ring overflow: read faster or raise ring_size)\n\n",
			lost, seq);
	}
}
