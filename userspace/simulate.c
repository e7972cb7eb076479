// SPDX-License-Identifier: GPL-2.0
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

/* One parity sweep; returns the port it settles on, or -1. */
static int sweep(struct sim_run *run, const struct ephport_half_pass *hp,
		 unsigned int offset)
{
	const struct ep_sim *sim = run->sim;
	unsigned int i, length = ephport_pass_length(hp);
	struct ep_record pass, cand;
	int found = -1;

	ep_record_init(&pass, EP_PASS);
	ep_record_init(&cand, EP_CAND);
	pass.pass = cand.pass = ++run->pass_no;
	snprintf(pass.half, sizeof(pass.half), "%s", ephport_half_words[hp->half]);
	pass.low = hp->low;
	pass.high = hp->high;
	pass.relax = hp->relax;
	pass.offset = offset;
	pass.start = ephport_candidate(hp, offset, 0);
	snprintf(pass.parity, sizeof(pass.parity), "%s", ephport_parity_words[pass.start & 1]);
	for (i = 0; i < length && found < 0; i++) {
		int port = ephport_candidate(hp, offset, i);

		if (!sim->reserved[port] && !sim->used[port])
			found = port;
	}
	pass.examined = i;
	run->examined += i;
	emit(run, &pass);
	if (!run->candidates)
		return found;
	for (i = 0; i < (unsigned int)pass.examined; i++) {
		int port = ephport_candidate(hp, offset, i);

		cand.port = port;
		snprintf(cand.verdict, sizeof(cand.verdict), "%s",
			 ephport_verdict_words[port == found ? EPHPORT_FREE :
					       sim->reserved[port] ? EPHPORT_RESERVED :
					       EPHPORT_INUSE]);
		emit(run, &cand);
	}
	return found;
}

int ep_simulate(const struct ep_sim *sim, bool candidates, ep_sim_emit emit_fn,
		void *ctx)
{
	struct sim_run run = {
		.sim = sim, .candidates = candidates, .emit = emit_fn, .ctx = ctx,
	};
	struct ep_record begin, end;
	struct ephport_walk walk;
	int half_no = 0, found = -1;

	/* who and where are the simulator's own: an IPv4 TCP socket */
	ep_record_init(&begin, EP_BEGIN);
	snprintf(begin.comm, sizeof(begin.comm), "simulate");
	snprintf(begin.family, sizeof(begin.family), "inet");
	snprintf(begin.proto, sizeof(begin.proto), "tcp");
	snprintf(begin.addr, sizeof(begin.addr), "0.0.0.0");
	begin.reuse = sim->reuse;
	begin.range_low = sim->low;
	begin.range_high = sim->high;
	emit(&run, &begin);
	ep_record_init(&end, EP_END);
	ephport_walk_init(&walk, sim->reuse);
	do {
		struct ephport_half_pass hp;
		unsigned int draw, parity;
		int d = half_no < sim->ndraws ? half_no : sim->ndraws - 1;

		ephport_half_pass_begin(&walk, sim->low, sim->high, &hp);
		draw = sim->ndraws ? sim->draws[d] % hp.remaining : 0;
		half_no++;
		for (parity = 0; parity < EPHPORT_PARITY_PASSES && found < 0; parity++)
			found = sweep(&run, &hp, ephport_pass_offset(draw, parity));
	} while (found < 0 &&
		 ephport_half_pass_end(&walk, sim->autobind_reuse) != EPHPORT_NEXT_FAIL);

	end.port = found < 0 ? 0 : found;
	end.err = found < 0 ? -EADDRINUSE : 0;
	end.passes = run.pass_no;
	end.examined = run.examined;
	emit(&run, &end);
	return found < 0 ? -EADDRINUSE : found;
}
