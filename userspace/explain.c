// SPDX-License-Identifier: GPL-2.0
/*
 * A search told in sentences (ephport explain): who asked, the range and
 * half, each pass and why its ports were passed by, and how it ended.
 * Reads only what the records say; the views' helpers are render.c's.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../module/ephport_model.h"
#include "explain.h"
#include "render.h"

static void explain_range(FILE *out, const struct ep_search *s)
{
	const struct ep_record *b = &s->begin;
	int low, high;

	ep_effective_range(s, &low, &high);
	fprintf(out, "The range came from net.ipv4.ip_local_port_range, %d-%d.",
		b->range_low, b->range_high);
	if (b->sock_low || b->sock_high) {
		if (low != b->range_low || high != b->range_high)
			fprintf(out, " The socket narrowed it with IP_LOCAL_PORT_RANGE (%d-%d) to %d-%d.",
				b->sock_low, b->sock_high, low, high);
		else
			fprintf(out, " The socket's IP_LOCAL_PORT_RANGE (%d-%d) lies outside it, so the kernel ignored it.",
				b->sock_low, b->sock_high);
	}
	fprintf(out, "\n");
}

static void explain_half(FILE *out, const struct ep_search *s)
{
	const struct ep_record *first = &s->passes[0].rec;
	int low, high;

	ep_effective_range(s, &low, &high);
	if (first->half == EPHPORT_HALF_LOWER)
		fprintf(out, "The socket has SO_REUSEADDR, so the kernel scanned only the lower half of the range first, %d-%d, keeping %d-%d for a second round.\n",
			first->low, first->high - 1, first->high, high);
	else if (s->begin.reuse)
		fprintf(out, "The socket has SO_REUSEADDR, but a range of fewer than %d ports is never split, so the kernel scanned all of it, %d-%d.\n",
			EPHPORT_MIN_SPLIT_WIDTH, first->low, first->high - 1);
	else
		fprintf(out, "Without SO_REUSEADDR the kernel scans the whole range at once, %d-%d.\n",
			first->low, first->high - 1);
}

/* Ports of each verdict (enum ephport_verdict) among a pass's candidates. */
static void count_verdicts(const struct ep_pass *p, int n[EPHPORT_VERDICT_COUNT])
{
	int j, v;

	memset(n, 0, EPHPORT_VERDICT_COUNT * sizeof(*n));
	for (j = 0; j < p->ncand; j++)
		for (v = 0; v < EPHPORT_VERDICT_COUNT; v++)
			n[v] += p->cands[j].verdict == (enum ephport_verdict)v;
}

static void explain_passes(FILE *out, const struct ep_search *s)
{
	const struct ep_record *first = &s->passes[0].rec;
	int i;

	fprintf(out, "It drew a random offset and made it odd (%lld), so the first port tried was %lld",
		first->offset, first->start);
	if (first->start != first->low + first->offset)
		fprintf(out, " (%lld wrapped around past the end)",
			first->low + first->offset);
	fprintf(out, "; from there it walked %s ports in steps of 2, wrapping at the top. Odd offsets from the low end are bind()'s: connect() starts on the even ones, and this keeps the two out of each other's way.\n",
		ephport_parity_words[first->parity]);
	for (i = 0; i < s->npass; i++) {
		const struct ep_pass *p = &s->passes[i];
		int n[EPHPORT_VERDICT_COUNT];

		count_verdicts(p, n);
		fprintf(out, "Pass %d (%s half, %s ports%s) tried %lld port%s from %lld",
			p->rec.pass, EP_NAME(&p->rec, half, ephport_half_words), ephport_parity_words[p->rec.parity],
			p->rec.relax ? ", relaxed" : "", p->rec.examined,
			p->rec.examined == 1 ? "" : "s", p->rec.start);
		if (p->ncand)
			fprintf(out, ": %d in use, %d skipped as ip_local_reserved_ports",
				n[EPHPORT_INUSE], n[EPHPORT_RESERVED]);
		fprintf(out, ".\n");
		if (i + 1 < s->npass) {
			const struct ep_record *next = &s->passes[i + 1].rec;

			if (next->relax && !p->rec.relax)
				fprintf(out, "Every port was taken, but net.ipv4.ip_autobind_reuse is set, so the kernel started over with relax: a port held by SO_REUSEADDR sockets that are not listening may now be shared.\n");
			else if (next->half != p->rec.half)
				fprintf(out, "The lower half was full, so the kernel moved on to the upper half, %d-%d.\n",
					next->low, next->high - 1);
			else if (next->parity != p->rec.parity)
				fprintf(out, "No %s port was free, so it tried the %s ones.\n",
					ephport_parity_words[p->rec.parity], ephport_parity_words[next->parity]);
			else
				fprintf(out, "Nothing was free, so it tried the even offsets, which in a range this small lead to the same port again.\n");
		}
	}
}

static void explain_connect(FILE *out, const struct ep_search *s)
{
	const struct ep_record *b = &s->begin;
	int i, n[EPHPORT_VERDICT_COUNT];

	if (b->perturb < 0 && !b->withheld && !s->npass && (!s->has_end || s->end.incomplete)) {
		fprintf(out, "The walk starts from perturbation slot %lld of the kernel's table_perturb, whose value as the kernel read it is unknown here (the module was not told where the table is: any ephport command that reads records tells it; or another connect() of the same slot moved it just then), so which ports were tried is not known.\n",
			b->slot);
		return;
	}
	if (!s->npass) {
		if (!b->withheld && s->has_end && s->end.incomplete)
			fprintf(out, "Perturbation slot %lld held %lld, but the module could not confirm a walk from it as the kernel's (another connect() of the same slot may have moved it, the range changed, or the ports whose checks failed are not on it), so which ports were tried is not known.\n",
				b->slot, b->perturb);
		return;
	}
	if (b->withheld)
		fprintf(out, "The kernel is locked down (confidentiality), so the module keeps the destination's hash and its perturbation slot's value to itself (they would let one predict other connections' ports); the walk started at offset %lld",
			s->passes[0].rec.offset);
	else if (b->perturb < 0)
		fprintf(out, "The value the kernel read from perturbation slot %lld is not known here (the module was not told where table_perturb is, or another connect() of the same slot moved it just then), but the kernel locked each port it walked to, the last the one it took, and their number fixes where it started: offset %lld",
			b->slot, s->passes[0].rec.offset);
	else
		fprintf(out, "The destination's hash %llu picks perturbation slot %lld, which held %lld; their sum modulo the range's width gives offset %lld",
			b->hash, b->slot, b->perturb, s->passes[0].rec.offset);
	if (s->passes[0].rec.step == 1)
		fprintf(out, ". The socket set IP_LOCAL_PORT_RANGE, so the kernel (6.8+) walks every port of it in one sweep, in steps of 1, from %lld.\n",
			s->passes[0].rec.start);
	else
		fprintf(out, "%s: connect() tries %s ports first, the opposite of bind(), which starts on odd offsets. It walked from %lld in steps of 2, wrapping at the top.\n",
			b->perturb < 0 && !b->withheld ? "" :
			", rounded down to the parity of the range's low end",
			ephport_parity_words[s->passes[0].rec.parity], s->passes[0].rec.start);
	if (s->passes[0].rec.stride > 1)
		fprintf(out, "net.ipv4.ip_local_port_step_width is set, so the kernel (7.x) drew a random stride, %lld (bumped until it shares no factor with the %lld ports of a sweep, so each is tried once): each port tried is %lld on from the one before, modulo the range.\n",
			s->passes[0].rec.stride,
			(s->passes[0].rec.high - s->passes[0].rec.low) / (s->passes[0].rec.step > 0 ? s->passes[0].rec.step : 2),
			s->passes[0].rec.stride * (s->passes[0].rec.step > 0 ? s->passes[0].rec.step : 2));
	for (i = 0; i < s->npass; i++) {
		const struct ep_pass *p = &s->passes[i];

		count_verdicts(p, n);
		fprintf(out, "Sweep %d (%s ports) tried %lld port%s from %lld", p->rec.pass,
			ephport_parity_words[p->rec.parity], p->rec.examined, p->rec.examined == 1 ? "" : "s",
			p->rec.start);
		if (n[EPHPORT_BIND_BUCKET] + n[EPHPORT_ESTABLISHED])
			fprintf(out, ": %d held by bind() users, %d already connected to %s port %d",
				n[EPHPORT_BIND_BUCKET], n[EPHPORT_ESTABLISHED], b->daddr, b->dport);
		else if (n[EPHPORT_INUSE])
			fprintf(out, ": %d held by bind() users or already connected to %s port %d",
				n[EPHPORT_INUSE], b->daddr, b->dport);
		if (n[EPHPORT_RESERVED])
			fprintf(out, ", %d skipped as ip_local_reserved_ports", n[EPHPORT_RESERVED]);
		if (n[EPHPORT_TIMEWAIT])
			fprintf(out, "; the port it took had a TIME_WAIT socket towards that peer, which it took over (net.ipv4.tcp_tw_reuse)");
		fprintf(out, ".\n");
		if (i + 1 < s->npass)
			fprintf(out, "No %s port was free, so it tried the %s ones.\n",
				ephport_parity_words[p->rec.parity],
				ephport_parity_words[s->passes[i + 1].rec.parity]);
	}
}

static void explain_udp(FILE *out, const struct ep_search *s)
{
	const struct ep_record *p;
	int n[EPHPORT_VERDICT_COUNT];

	if (!s->npass)
		return;
	p = &s->passes[0].rec;
	fprintf(out, "It drew one random number, which made %lld the first port tried. UDP walks its hash table (%d slots) slot by slot; within a slot it tries the ports first, first + %lld, ... modulo 65536 (an odd multiple of the slots, so every port of the slot comes once), keeping those inside the range.\n",
		p->start, p->slots, p->step);
	count_verdicts(&s->passes[0], n);
	fprintf(out, "It tried %lld port%s of the range", p->examined,
		p->examined == 1 ? "" : "s");
	if (s->passes[0].ncand)
		fprintf(out, ": %d in use, %d skipped as ip_local_reserved_ports",
			n[EPHPORT_INUSE], n[EPHPORT_RESERVED]);
	fprintf(out, ".\n");
}

/* Who asked, and which of the kernel's functions searched. */
static void explain_who(FILE *out, const struct ep_search *s)
{
	const struct ep_record *b = &s->begin;

	switch (ep_walk_of(s)) {
	case EPHPORT_WALK_CONNECT:
		fprintf(out, ": %s (pid %d) connected an %s %s socket without a port to %s port %d, so the kernel picked one in __inet_hash_connect().\n",
			b->comm, b->pid, ephport_family_words[b->family], EP_NAME(b, proto, ephport_proto_words), b->daddr, b->dport);
		break;
	case EPHPORT_WALK_UDP:
		fprintf(out, ": %s (pid %d) bound an %s %s socket at %s to port 0 (or sent or connected before binding), so the kernel picked a port in udp_lib_get_port().\n",
			b->comm, b->pid, ephport_family_words[b->family], EP_NAME(b, proto, ephport_proto_words), b->addr);
		break;
	default:
		fprintf(out, ": %s (pid %d) bound an %s %s socket at %s to port 0, so the kernel picked a port in inet_csk_get_port().\n",
			b->comm, b->pid, ephport_family_words[b->family], EP_NAME(b, proto, ephport_proto_words), b->addr);
		break;
	}
}

static void explain_end(FILE *out, const struct ep_search *s)
{
	enum ephport_walk_kind walk = s->has_begin ? ep_walk_of(s) : EPHPORT_WALK_BIND;

	if (!s->has_end)
		fprintf(out, "Its end was not seen.\n");
	else if (s->end.err == -EADDRNOTAVAIL && walk == EPHPORT_WALK_CONNECT)
		fprintf(out, "All %lld ports it tried were reserved, held by bind() users, or already connected from this address to %s port %d, so connect() failed with EADDRNOTAVAIL. Connections to another destination can still use them.\n",
			s->end.examined, s->begin.daddr, s->begin.dport);
	else if (s->end.err == -EADDRINUSE && walk == EPHPORT_WALK_UDP)
		fprintf(out, "All %lld ports of the range were in use or reserved, so bind() failed with EADDRINUSE (sendto() and connect() on an unbound socket report EAGAIN).\n",
			s->end.examined);
	else if (s->end.err == -EADDRINUSE)
		fprintf(out, "All %lld ports it tried were in use or reserved%s, and bind()/listen() failed with EADDRINUSE.\n",
			s->end.examined,
			s->npass && s->passes[s->npass - 1].rec.relax ?
			", even in the relaxed round" :
			"; net.ipv4.ip_autobind_reuse is off, so there was no relaxed round");
	else if (s->end.err)
		fprintf(out, "The search failed with %s.\n", ep_err_name(s->end.err));
	else
		fprintf(out, "Port %d was free, so the socket got it after %lld tr%s in %.1f us.\n",
			s->end.port, s->end.examined,
			s->end.examined == 1 ? "y" : "ies", s->end.ns / EP_NS_PER_US);
}

void ep_explain(FILE *out, const struct ep_search *s)
{
	fprintf(out, "Search #%llu", s->id);
	if (s->has_begin) {
		explain_who(out, s);
		explain_range(out, s);
	} else {
		fprintf(out, ": its first record was lost, so who asked is unknown.\n");
	}
	if (s->has_begin && ep_walk_of(s) == EPHPORT_WALK_CONNECT) {
		explain_connect(out, s);
	} else if (s->has_begin && ep_walk_of(s) == EPHPORT_WALK_UDP) {
		explain_udp(out, s);
	} else if (s->npass) {
		if (s->has_begin)
			explain_half(out, s);
		explain_passes(out, s);
	}
	if (!s->npass && (!s->has_begin || ep_walk_of(s) != EPHPORT_WALK_CONNECT ||
			  s->begin.perturb >= 0 || (s->has_end && !s->end.incomplete)))
		fprintf(out, "No pass was recorded: the module ran at detail=searches, or the records were lost.\n");
	explain_end(out, s);
}
