// SPDX-License-Identifier: GPL-2.0
/*
 * bind()'s and listen()'s search (bind.h): inet_csk_get_port() starts and
 * ends it; each half pass is known from its own draw, read where get_port's
 * code receives it, and written once it has run dry or, the last, at the
 * end (at detail=candidates, all of them after the search).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <net/inet_connection_sock.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "bind.h"
#include "compat.h"
#include "writers.h"
#include "ring.h"
#include "search.h"

/*
 * Argument positions in the probed functions' signatures.  Kbuild admits
 * only kernels with bind2 buckets (6.1+), where find_open_port takes
 * (sk, tb_ret, tb2_ret, head2_ret, port_ret); 5.x had three arguments.
 */
#define ARG_SK		0
#define ARG_SNUM	1
#define ARG_PORT_RET	4

/* The layouts read above, as this build's headers declare them. */
static_assert(__same_type(&__get_random_u32_below, u32 (*)(u32)));
static_assert(__same_type(&inet_csk_get_port, int (*)(struct sock *, unsigned short)));

struct get_port_data {
	struct ephport_search *search;
};

struct find_open_port_data {
	struct ephport_search *search;
	int *port_ret;
};

static unsigned long draw_missed(void)
{
	return ephport_probe_missed(&ephport_probe_draw);
}

/* Both bucket creations are watched: where not, a failure may be one. */
static bool buckets_watched(void)
{
	return ephport_probe_attached(PROBE_BUCKET) && ephport_probe_attached(PROBE_BUCKET2);
}

/* The half passes that ran dry and are not written yet: written now. */
static void write_dry(struct ephport_search *s)
{
	if (s->nr_written == s->nr_dry)
		return;
	while (s->nr_written < s->nr_dry)
		ephport_search_emit_half_pass(s, s->nr_written, -1);
	ephport_ring_kick();
}

/*
 * @ceil is the bound of a draw made by the search's own code, so the half
 * pass before it, if any, ran dry: it is written now (at detail=candidates,
 * after the search; from an NMI, at the return).  The kernel has just read
 * the range and split it, so the model's next half pass must have the same
 * width.  When the model cannot follow (a draw @missed, range unreadable or
 * changed), no further pass is reconstructed and the search ends incomplete.
 */
static bool half_pass(struct ephport_search *s, u32 ceil, bool missed)
{
	struct ephport_walk walk = s->walk;
	struct ephport_half_pass hp;
	unsigned int n = s->nr_half;
	int low, high, sock_low, sock_high;
	u64 stamp;

	if (s->draws_lost)
		goto lost;
	s->nr_dry = n;
	/* no record from an NMI (the ring's lock): those wait for the return */
	if (!ephport_search_deferred(s) && !in_nmi())
		write_dry(s);
	/*
	 * The kernel read the range between the module's read at the
	 * search's start and this one (the previous half's draw, if any,
	 * read it too): a write in between may have given it another, even
	 * of the same width.  The socket's own is set without its lock.
	 */
	if (missed || n == EPHPORT_MAX_HALF_PASSES ||
	    !ephport_search_range(s->sk, &low, &high, &stamp) || stamp != s->range_stamp)
		goto lost;
	ephport_sock_range(s->sk, &sock_low, &sock_high);
	if (sock_low != s->sock_low || sock_high != s->sock_high)
		goto lost;
	if (n && ephport_half_pass_end(&walk,
				       READ_ONCE(s->net->ipv4.sysctl_ip_autobind_reuse)) ==
		 EPHPORT_NEXT_FAIL)
		goto lost;
	ephport_half_pass_begin(&walk, low, high, &hp);
	if (hp.remaining != ceil)
		goto lost;
	s->walk = walk;
	s->half[n] = hp;
	s->nr_half = n + 1;
	return true;

lost:
	s->draws_lost = true;
	return false;
}

/* The half passes not written yet, the one still open last, then the end. */
static void write_rest(struct ephport_search *s)
{
	bool found = s->chosen > 0;

	write_dry(s);
	/* the half pass still open: incomplete if the model disagrees */
	if (s->nr_dry < s->nr_half &&
	    ephport_search_emit_half_pass(s, s->nr_half - 1, s->chosen) == found)
		s->incomplete = true;
	ephport_search_finish(s);
}

/*
 * inet_csk_get_port() returned @ret: 0 with the port in inet_num, or an
 * errno.
 */
static void end(struct ephport_search *s, int ret)
{
	int chosen = ephport_search_chosen_port(s, ret);
	bool found = chosen > 0;

	s->ret = ret;
	s->chosen = found ? chosen : -1;
	if (!s->nr_half)
		s->incomplete = true;
	/*
	 * A port was found but its bucket not allocated (or may have been:
	 * a creation lost or unwatched), so get_port failed: where the open
	 * half pass stopped is known only from find_open_port, and the range
	 * may never have run dry.
	 */
	if (s->alloc_failed) {
		s->incomplete = true;
		if (!found)
			s->nr_half = s->nr_dry;
	}
	/* the model's count of lookups holds for bind()'s hash only */
	s->probed_valid = s->detail == EPHPORT_DETAIL_CANDIDATES &&
			  ephport_probe_attached(PROBE_LOOKUP) && !ephport_use_hash2_on_bind(s->sk);
	ephport_search_write_rest(s, write_rest, s->nr_written < s->nr_half);
}

/* inet_csk_get_port(sk, snum): a search when snum is 0. */
static int get_port_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct get_port_data *data = (void *)ri->data;

	ephport_probe_hit(&ephport_probe_get_port);
	data->search = ephport_search_begin((void *)regs_get_kernel_argument(regs, ARG_SK),
					    regs_get_kernel_argument(regs, ARG_SNUM));
	if (!data->search)
		return 1;
	data->search->draw_missed = draw_missed();
	return 0;
}

static int get_port_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct ephport_search *s = ((struct get_port_data *)ri->data)->search;
	int ret = (int)regs_return_value(regs);

	ephport_search_returned(s);
	/* a lost draw may have been the search's last: its handler never ran */
	if (draw_missed() != s->draw_missed)
		s->draws_lost = true;
	/*
	 * A bucket created for the port found, or creations not watched: an
	 * allocation failed, or may have (for port 0 nothing else fails
	 * get_port once its scan found a port).
	 */
	if (ret && (s->bucket_created || !buckets_watched()))
		s->alloc_failed = true;
	end(s, ret);
	return 0;
}

static int find_open_port_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct find_open_port_data *data = (void *)ri->data;

	ephport_probe_hit(&ephport_probe_find_open_port);
	data->search = ephport_search_current();
	if (!data->search)
		return 1;
	/* &port is a local of the caller's frame: else not the layout built for */
	data->port_ret = (int *)regs_get_kernel_argument(regs, ARG_PORT_RET);
	if ((unsigned long)data->port_ret <= regs->sp ||
	    !object_is_on_stack(data->port_ret)) {
		data->search->incomplete = true;
		return 1;
	}
	return 0;
}

/* Where find_open_port exists, its port survives a later failure in get_port. */
static int find_open_port_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct find_open_port_data *data = (void *)ri->data;

	if (regs_return_value(regs))
		data->search->found_port = *data->port_ret;
	return 0;
}

/*
 * Each half pass's draw, read where find_open_port's code (get_port's,
 * where it is inlined) receives it: the return from its call of
 * __get_random_u32_below(), the draw in the return register and its bound
 * (the half's width) where the code before the call left it.  Only
 * get_port's own search runs that place: no other caller of
 * the draw (slab freelist shuffling, for one, from inside get_port too)
 * pays for the probe or is taken for the search's.  Until optimized into a
 * jump, the probe is an int3, handled as an NMI: the dry half passes are
 * then written at the search's return.
 */
static int draw_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct ephport_search *s;
	u32 ceil;

	s = ephport_search_at_site(&ephport_probe_draw, EPHPORT_WALK_BIND);
	if (!s)
		return 0;
	if (!ephport_probe_site_arg(&ephport_probe_draw, regs, &ceil))
		s->draws_lost = true;
	/* a draw the probe missed may have been this search's */
	else if (half_pass(s, ceil, draw_missed() != s->draw_missed))
		s->draw[s->nr_half - 1] = (u32)regs_return_value(regs);
	return 0;
}

/*
 * get_port creating a bucket (bind2's: a bind2 bucket) for the port its
 * scan found, from one of its calls (GCC duplicates them on the paths it
 * splits): the call is get_port's own, so its search's, if any.  Should
 * the search fail, the port was not exhausted: the GFP_ATOMIC allocation
 * failed, which fails bind() as a range run dry would.  connect()'s own
 * bucket creations pay only ftrace's entry.
 */
static void bucket_creating(const struct ephport_probe *p)
{
	/* get_port runs in task context only: current's search is the call's */
	struct ephport_search *s = ephport_search_at_site(p, EPHPORT_WALK_BIND);

	if (s)
		s->bucket_created = true;
}

static int lookup_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct ephport_search *s = ephport_search_current();

	ephport_probe_hit(&ephport_probe_lookup);
	if (s)
		s->probed++;
	return 0;
}

static const char *const get_port_symbols[] = { "inet_csk_get_port", NULL };
static const char *const find_open_port_symbols[] = { "inet_csk_find_open_port", NULL };
static const char *const lookup_symbols[] = { "inet_bind2_bucket_find", NULL };

/*
 * not symbols: the returns from the draw inside inet_csk_find_open_port()
 * or, where that is inlined, inet_csk_get_port(), and the bucket
 * creations the latter calls
 */
static const char *const draw_symbols[] = {
	"inet_csk_find_open_port:__get_random_u32_below",
	"inet_csk_get_port:__get_random_u32_below", NULL,
};

static const char *const bucket_symbols[] = {
	"inet_csk_get_port:inet_bind_bucket_create", NULL
};

static const char *const bucket2_symbols[] = {
	"inet_csk_get_port:inet_bind2_bucket_create", NULL
};

struct ephport_probe ephport_probe_get_port = {
	.id = PROBE_GET_PORT,
	.symbols = get_port_symbols,
	.purpose = "search start (snum == 0) and result (return value, inet_num)",
	.required = true,
	.is_kretprobe = true,
	.rp = EPHPORT_KRETPROBE(get_port_entry, get_port_return,
				struct get_port_data, EPHPORT_MAX_SEARCHES),
};

struct ephport_probe ephport_probe_find_open_port = {
	.id = PROBE_FIND_OPEN_PORT,
	.symbols = find_open_port_symbols,
	.purpose = "port found by the scan, before get_port creates its buckets",
	.is_kretprobe = true,
	.rp = EPHPORT_KRETPROBE(find_open_port_entry, find_open_port_return,
				struct find_open_port_data, EPHPORT_MAX_SEARCHES),
};

struct ephport_probe ephport_probe_draw = {
	.id = PROBE_DRAW,
	.symbols = draw_symbols,
	.purpose = "once per half pass: its width (checked) and random offset",
	.site_in = PROBE_FIND_OPEN_PORT,
	.site_has_inlined = true,
	.site_inlined = PROBE_GET_PORT,
	.site_call = "__get_random_u32_below",
	.site_arg = true,
	.kp = { .pre_handler = draw_pre },
};

struct ephport_probe ephport_probe_bucket = {
	.id = PROBE_BUCKET,
	.symbols = bucket_symbols,
	.purpose = "bind(): its bucket's allocation failing, not a range run dry",
	.site_in = PROBE_GET_PORT,
	.site_call = "inet_bind_bucket_create",
	.site_calls = true,
	.called = bucket_creating,
};

struct ephport_probe ephport_probe_bucket2 = {
	.id = PROBE_BUCKET2,
	.symbols = bucket2_symbols,
	.purpose = "bind(): its bind2 bucket's allocation failing, not a range run dry",
	.site_in = PROBE_GET_PORT,
	.site_call = "inet_bind2_bucket_create",
	.site_calls = true,
	.called = bucket_creating,
};

struct ephport_probe ephport_probe_lookup = {
	.id = PROBE_LOOKUP,
	.symbols = lookup_symbols,
	.purpose = "detail=candidates at load: counts bucket lookups to check the model",
	.kp = { .pre_handler = lookup_pre },
};
