// SPDX-License-Identifier: GPL-2.0
/* The three searches run on the model's walk iterator (simulate.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../module/ephport_model.h"
#include "simulate.h"

struct sim_run {
	const struct ep_sim *sim;
	bool candidates;
	ep_sim_emit emit;
	void *ctx;
	unsigned long long seq;
	int pass_no;
	long long examined;
};

static void emit(struct sim_run *run, struct ep_record *rec)
{
	rec->seq = ++run->seq;
	rec->search = 1;
	run->emit(rec, run->ctx);
}

static bool is_free(const struct ep_sim *sim, int port)
{
	return !sim->reserved[port] && !sim->used[port];
}

static void emit_cand(struct sim_run *run, int port, bool chosen)
{
	struct ep_record cand;

	ep_record_init(&cand, EP_CAND);
	cand.pass = run->pass_no;
	cand.port = port;
	cand.verdict = chosen ? EPHPORT_FREE : run->sim->reserved[port] ? EPHPORT_RESERVED :
		       EPHPORT_INUSE;
	emit(run, &cand);
}

static void pass_init(struct sim_run *run, struct ep_record *pass,
		      const struct ephport_half_pass *hp, unsigned int offset,
		      int start)
{
	ep_record_init(pass, EP_PASS);
	pass->pass = ++run->pass_no;
	pass->half = hp->half;
	pass->low = hp->low;
	pass->high = hp->high;
	pass->relax = hp->relax;
	pass->offset = offset;
	pass->start = start;
	/* bind's passes say no step: theirs is always 2 */
	if (run->sim->kind != EP_SIM_BIND)
		pass->step = hp->step;
	/* a stride is 7.x's: simulated only when given */
	if (run->sim->kind == EP_SIM_CONNECT && run->sim->stride)
		pass->stride = hp->stride;
	pass->parity = start & 1 ? EPHPORT_ODD : EPHPORT_EVEN;
}

/* A half pass's sweeps until one settles on a port; returns it, or -1. */
static int sweeps(struct sim_run *run, const struct ephport_half_pass *hp,
		  unsigned int draw)
{
	struct ephport_sweep sw;
	int found = -1;

	ephport_sweep_init(&sw, hp, draw);
	while (found < 0 && ephport_sweep_next(&sw)) {
		struct ep_record pass;
		unsigned int i;

		pass_init(run, &pass, hp, sw.offset, ephport_sweep_port(&sw, 0));
		for (i = 0; i < sw.length && found < 0; i++)
			if (is_free(run->sim, ephport_sweep_port(&sw, i)))
				found = ephport_sweep_port(&sw, i);
		pass.examined = i;
		run->examined += i;
		emit(run, &pass);
		for (i = 0; run->candidates && i < (unsigned int)pass.examined; i++)
			emit_cand(run, ephport_sweep_port(&sw, i),
				  ephport_sweep_port(&sw, i) == found);
	}
	return found;
}

static int bind_search(struct sim_run *run)
{
	const struct ep_sim *sim = run->sim;
	struct ephport_walk walk;
	int half_no = 0, found = -1;

	ephport_walk_init(&walk, sim->reuse);
	do {
		struct ephport_half_pass hp;
		int d = half_no < sim->ndraws ? half_no : sim->ndraws - 1;

		ephport_half_pass_begin(&walk, sim->low, sim->high, &hp);
		half_no++;
		found = sweeps(run, &hp, sim->ndraws ? sim->draws[d] % hp.remaining : 0);
	} while (found < 0 &&
		 ephport_half_pass_end(&walk, sim->autobind_reuse) != EPHPORT_NEXT_FAIL);
	return found < 0 ? -EADDRINUSE : found;
}

static int connect_search(struct sim_run *run)
{
	const struct ep_sim *sim = run->sim;
	struct ephport_half_pass hp;
	int found;

	ephport_connect_begin(sim->low, sim->high, sim->sock_range, &hp);
	if (sim->stride)
		hp.stride = sim->stride;
	found = sweeps(run, &hp, ephport_connect_offset(&hp, sim->perturb, sim->port_offset));
	return found < 0 ? -EADDRNOTAVAIL : found;
}

/* Slot after slot, each slot's ports in strides; those in range count. */
static int udp_search(struct sim_run *run)
{
	const struct ep_sim *sim = run->sim;
	struct ephport_half_pass whole = {
		.low = sim->low, .high = sim->high + 1, .half = EPHPORT_HALF_WHOLE,
	};
	struct ephport_udp_walk w;
	struct ephport_udp_iter it;
	struct ep_record pass;
	int port, found = -1;

	ephport_udp_begin(sim->low, sim->high, sim->ndraws ? sim->draws[0] : 0,
			  sim->slots, &w);
	pass_init(run, &pass, &whole, w.first - sim->low, w.first);
	pass.step = w.stride;
	pass.slots = w.slots;
	ephport_udp_iter_init(&it, &w, 0);
	while (found < 0 && (port = ephport_udp_next(&it)) >= 0)
		if (is_free(sim, port))
			found = port;
	pass.examined = found < 0 ? ephport_udp_in_slots(&w, w.slots) :
			ephport_udp_examined_to(&w, found);
	run->examined = pass.examined;
	emit(run, &pass);
	ephport_udp_iter_init(&it, &w, 0);
	while (run->candidates && (port = ephport_udp_next(&it)) >= 0) {
		emit_cand(run, port, port == found);
		if (port == found)
			break;
	}
	return found < 0 ? -EADDRINUSE : found;
}

int ep_simulate(const struct ep_sim *sim, bool candidates, ep_sim_emit emit_fn,
		void *ctx)
{
	struct sim_run run = {
		.sim = sim, .candidates = candidates, .emit = emit_fn, .ctx = ctx,
	};
	struct ep_record begin, end;
	int ret;

	/* who and where are the simulator's own: an IPv4 socket */
	ep_record_init(&begin, EP_BEGIN);
	snprintf(begin.comm, sizeof(begin.comm), "simulate");
	begin.family = EPHPORT_INET;
	begin.proto = sim->kind == EP_SIM_UDP ? EPHPORT_UDP : EPHPORT_TCP;
	snprintf(begin.addr, sizeof(begin.addr), "0.0.0.0");
	begin.op = sim->kind == EP_SIM_CONNECT ? EPHPORT_OP_CONNECT : EPHPORT_OP_BIND;
	begin.reuse = sim->reuse;
	begin.range_low = sim->low;
	begin.range_high = sim->high;
	if (sim->kind == EP_SIM_CONNECT) {
		/* a peer of the simulator's own, and its hash's slot 0 */
		snprintf(begin.daddr, sizeof(begin.daddr), "0.0.0.0");
		begin.slot = 0;
		begin.perturb = sim->perturb;
		begin.hash = sim->port_offset;
	}
	emit(&run, &begin);
	ret = sim->kind == EP_SIM_CONNECT ? connect_search(&run) :
	      sim->kind == EP_SIM_UDP ? udp_search(&run) : bind_search(&run);
	ep_record_init(&end, EP_END);
	end.port = ret < 0 ? 0 : ret;
	end.err = ret < 0 ? ret : 0;
	end.passes = run.pass_no;
	end.examined = run.examined;
	emit(&run, &end);
	return ret;
}
