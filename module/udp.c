// SPDX-License-Identifier: GPL-2.0
/*
 * UDP's search (udp.h), udp_lib_get_port(sk, 0): a bind(0) or an implicit
 * bind.  One random draw, read where udp_lib_get_port() receives it, gives
 * the whole walk, derived once the search is over.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/log2.h>
#include <linux/ptrace.h>
#include <net/sock.h>
#include <net/udp.h>

#include "compat.h"
#include "search.h"
#include "trace.h"
#include "udp.h"

/* udp_lib_get_port(sk, snum, hash2_nulladdr) */
#define ARG_SK		0
#define ARG_SNUM	1

/* The layout read above, as this build's headers declare it. */
static_assert(__same_type(&udp_lib_get_port,
			  int (*)(struct sock *, unsigned short, unsigned int)));
static_assert(__same_type(&get_random_u32, u32 (*)(void)));

struct udp_data {
	struct ephport_search *search;
};

/*
 * UDP's walk, derived from the draw once the search is over: one pass
 * record for the slots walked, and the ports in range it visited.
 */
static void emit_walk(struct ephport_search *s, int chosen)
{
	struct ephport_record rec = {
		.search = s->id,
		.type = EPHPORT_REC_PASS,
		.pass.pass = 1,
		.pass.half = EPHPORT_HALF_WHOLE,
		.pass.has_step = 1,
	};
	struct ephport_record cand = {
		.search = s->id,
		.type = EPHPORT_REC_CAND,
		.cand.pass = 1,
	};
	unsigned int budget = EPHPORT_CANDIDATES_CAP;
	struct ephport_batch *batch = &s->batch;
	struct ephport_udp_walk w;
	struct ephport_udp_iter it;
	int port;

	ephport_udp_begin(s->range_low, s->range_high, s->udp_draw, s->udp_slots, &w);
	s->examined = chosen > 0 ? ephport_udp_examined_to(&w, chosen) :
		      ephport_udp_in_slots(&w, w.slots);
	/* the kernel's port is one the walk never reaches: not this model */
	if (chosen > 0 && !s->examined) {
		s->incomplete = true;
		return;
	}
	s->pass_no = 1;
	rec.pass.low = w.low;
	rec.pass.high = w.high + 1;
	rec.pass.offset = w.first - w.low;
	rec.pass.start = w.first;
	rec.pass.examined = s->examined;
	rec.pass.step = w.stride;
	rec.pass.slots = w.slots;
	if (s->detail >= EPHPORT_DETAIL_PASSES) {
		trace_pass(s->id, &rec.pass);
		ephport_batch_add(batch, &rec);
	}
	/*
	 * After the search, by a worker: a few steps a port in range (the
	 * iterator jumps over the rest), EPHPORT_CANDIDATES_CAP ports at most
	 */
	if (s->detail == EPHPORT_DETAIL_CANDIDATES)
		ephport_udp_iter_init(&it, &w, 0);
	while (s->detail == EPHPORT_DETAIL_CANDIDATES && (port = ephport_udp_next(&it)) >= 0) {
		if (!budget--) {
			s->capped = true;
			break;
		}
		cand.cand.port = port;
		cand.cand.verdict = ephport_search_verdict(s, port, port == chosen);
		trace_candidate(s->id, &cand.cand);
		ephport_batch_add(batch, &cand);
		if (port == chosen)
			break;
	}
	ephport_search_check_verdicts(s);
	ephport_batch_flush(batch);
}

/* UDP's get_random_u32(), made by udp_lib_get_port() itself, returned @draw. */
static void drawn(struct ephport_search *s, u32 draw)
{
	/* the range the kernel read just before its draw is still the entry's */
	if (!ephport_search_range_unchanged(s))
		s->draws_lost = true;
	s->udp_draw = draw;
	s->udp_drawn = true;
}

/* The walk, if the model has it (udp_drawn), then the end. */
static void write_rest(struct ephport_search *s)
{
	if (s->udp_drawn)
		emit_walk(s, s->chosen);
	ephport_search_finish(s);
}

/*
 * udp_lib_get_port() returned @ret: 0 with the port in inet_num, or an
 * errno.  With SO_REUSEPORT a port found can still fail (joining its
 * group): a failure is a walk that ran dry only without it.
 */
static void end(struct ephport_search *s, int ret)
{
	int chosen = ephport_search_chosen_port(s, ret);

	s->ret = ret;
	s->chosen = chosen > 0 ? chosen : -1;
	if (!s->udp_drawn || !s->udp_slots || s->draws_lost ||
	    (ret && (ret != -EADDRINUSE || s->sk->sk_reuseport))) {
		s->incomplete = true;
		s->udp_drawn = false;
	}
	ephport_search_write_rest(s, write_rest, s->udp_drawn);
}

static int get_port_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct udp_data *data = (void *)ri->data;
	struct sock *sk = (void *)regs_get_kernel_argument(regs, ARG_SK);
	const struct udp_table *table;
	struct ephport_search *s;
	unsigned int slots;

	ephport_probe_hit(&ephport_probe_udp_get_port);
	s = ephport_search_begin(sk, regs_get_kernel_argument(regs, ARG_SNUM));
	data->search = s;
	if (!s)
		return 1;
	s->draw_missed = ephport_probe_missed(&ephport_probe_udp_draw);
	/* a power of 2 up to one slot per port, or the walk is not the model's */
	table = ephport_udp_table(sk);
	slots = table ? READ_ONCE(table->mask) + 1 : 0;
	s->udp_slots = is_power_of_2(slots) && slots <= EPHPORT_PORTS ? slots : 0;
	return 0;
}

static int get_port_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct ephport_search *s = ((struct udp_data *)ri->data)->search;

	ephport_search_returned(s);
	/* one draw per search: lost only if it was never seen */
	if (!s->udp_drawn && ephport_probe_missed(&ephport_probe_udp_draw) != s->draw_missed)
		s->draws_lost = true;
	end(s, (int)regs_return_value(regs));
	return 0;
}

/*
 * UDP's draw is read where udp_lib_get_port() receives it: the instruction
 * after its call of get_random_u32(), whose return value is still in the
 * return register there.  That instruction runs only in udp_lib_get_port()'s
 * own search, once, so nothing else pays for the probe: get_random_u32()
 * itself is called from all over the kernel (bind's draw included).
 */
static int draw_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct ephport_search *s;

	s = ephport_search_at_site(&ephport_probe_udp_draw, EPHPORT_WALK_UDP);
	if (s && !s->udp_drawn)
		drawn(s, (u32)regs_return_value(regs));
	return 0;
}

static const char *const get_port_symbols[] = { "udp_lib_get_port", NULL };
/* not a symbol: the return from get_random_u32() inside udp_lib_get_port() */
static const char *const draw_symbols[] = { "udp_lib_get_port:get_random_u32", NULL };

struct ephport_probe ephport_probe_udp_get_port = {
	.id = PROBE_UDP_GET_PORT,
	.symbols = get_port_symbols,
	.purpose = "UDP search start (snum == 0) and result",
	.is_kretprobe = true,
	.rp = EPHPORT_KRETPROBE(get_port_entry, get_port_return, struct udp_data,
				EPHPORT_MAX_SEARCHES),
};

/* where udp_lib_get_port() receives its draw: no probe on get_random_u32() */
struct ephport_probe ephport_probe_udp_draw = {
	.id = PROBE_UDP_DRAW,
	.symbols = draw_symbols,
	.purpose = "UDP's one random draw, read where udp_lib_get_port receives it",
	.site_in = PROBE_UDP_GET_PORT,
	.site_call = "get_random_u32",
	.kp = { .pre_handler = draw_pre },
};
