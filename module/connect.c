// SPDX-License-Identifier: GPL-2.0
/*
 * connect()'s search (connect.h), __inet_hash_connect() for a socket
 * without a port: its probes' handlers, and what they see for
 * connect_walk.c to derive its walk from at its end.  The slot's value
 * the kernel read is taken from the register its load wrote, where that
 * load is found in its code; else read on both sides of the kernel's own
 * read (perturb.c): before, where it gets back from reading its range;
 * after, at its first step (a port about to be locked, a 4-tuple check,
 * 7.x's stride, the port found, or a failed return).  The 4-tuple checks
 * give the reasons ports were passed by.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <linux/sched/task_stack.h>
#include <net/inet_hashtables.h>
#include <net/inet_sock.h>
#include <net/net_namespace.h>

#include "compat.h"
#include "connect.h"
#include "connect_walk.h"
#include "perturb.h"
#include "search.h"

/*
 * __inet_hash_connect(death_row, sk, port_offset, check_established);
 * 6.15+ adds hash_port0 before the check.
 */
#define ARG_CONNECT_SK	1
#define ARG_CONNECT_HASH 2
/*
 * check_established(death_row, sk, lport, twp); 6.15+ adds rcu_lookup (a
 * lockless pre-check whose pass the locked check decides) and the hash.
 */
#define ARG_CHECK_PORT	2
#define ARG_CHECK_TWP	3
#define ARG_CHECK_RCU	4

/* The layouts read above, as this build's headers declare them. */
#ifdef EPHPORT_CONNECT_RCU_CHECK
static_assert(__same_type(&__inet_hash_connect,
			  int (*)(struct inet_timewait_death_row *, struct sock *, u64, u32,
				  int (*)(struct inet_timewait_death_row *, struct sock *,
					  __u16, struct inet_timewait_sock **, bool, u32))));
#else
static_assert(__same_type(&__inet_hash_connect,
			  int (*)(struct inet_timewait_death_row *, struct sock *, u64,
				  int (*)(struct inet_timewait_death_row *, struct sock *,
					  __u16, struct inet_timewait_sock **))));
#endif

/* connect()s that take an instance only to be turned down, per CPU */
#define TRANSIENT_PER_CPU 2

struct connect_data {
	struct ephport_search *search;
};

struct check_data {
	struct ephport_search *search;
	u16 port;
	bool rcu_lookup;	/* 6.15+: the lockless pre-check */
	struct inet_timewait_sock **twp;
};

static unsigned long draw_missed(void)
{
	return ephport_probe_missed(&ephport_probe_connect_stride);
}

/*
 * __inet_hash_connect() entry for a socket without a port.
 * @begin_later: the search is followed from entry, but its begin, with
 * the slot's value, is made when it has read its range, just before it
 * reads the slot (ranged()), and written with its end.
 */
static struct ephport_search *begin(struct sock *sk, u64 hash, bool checks_probed,
				    bool begin_later, bool locks_probed)
{
	struct ephport_search *s = ephport_search_claim(sk, EPHPORT_WALK_CONNECT);

	if (!s)
		return NULL;
	s->hash = hash;
	s->nr_established = 0;
	s->tw_reused = false;
	s->reasons_known = checks_probed;
	s->perturb_settled = false;
	s->perturb_used = false;
	s->slot_loading = false;
	s->locks_counted = locks_probed && !EPHPORT_CHECK_PRECHECK;
	s->locked = 0;
	s->step_width = ephport_port_step_width(s->net);
	s->stride_drawn = false;
	s->stride_upper = 0;
	s->begin_pending = begin_later;
	s->ranged = false;
	if (begin_later) {
		int low, high;

		s->perturb_known = false;
		/* the stamps the range site's reads must match */
		if (!ephport_net_range(s->net, &low, &high, &s->range_stamp))
			s->draws_lost = true;
		ephport_sock_range(sk, &s->sock_low, &s->sock_high);
		return ephport_search_track(s, false);
	}
	s->perturb_known = ephport_perturb_read(hash, &s->perturb);
	return ephport_search_track(s, true);
}

/* Back from reading its range, just before reading its slot. */
static void ranged(struct ephport_search *s)
{
	struct ephport_begin *b = &s->begin.begin;
	u64 entry_stamp = s->range_stamp;
	int sock_low = s->sock_low, sock_high = s->sock_high;

	if (!s->begin_pending || s->ranged)
		return;
	s->ranged = true;
	ephport_search_build_begin(s, &s->begin);
	/* the kernel read the range between entry and here: written meanwhile? */
	if (s->range_stamp != entry_stamp || s->sock_low != sock_low || s->sock_high != sock_high)
		s->draws_lost = true;
	/* last, nearest the kernel's own read */
	s->perturb_known = ephport_perturb_read(s->hash, &s->perturb);
	b->perturb = s->perturb;
}

/*
 * connect()'s begin, held back until its end: some of its helpers are
 * instruction probes, whose int3 handlers run as NMIs, where the ring's
 * lock is not taken.  By then it is known which value the kernel read,
 * from its load or from the slot read the same before and after, if any.
 */
static void write_held_begin(struct ephport_search *s)
{
	if (!s->begin_pending)
		return;
	s->begin_pending = false;
	if (!s->ranged)
		ephport_search_build_begin(s, &s->begin);
	/* the slot's value only when it is the one the kernel read */
	s->begin.begin.perturb_known = s->perturb_used;
	s->begin.begin.perturb = s->perturb_used ? s->perturb : 0;
	ephport_search_write_begin(s, &s->begin);
}

/*
 * connect()'s search has read its slot and not yet moved it: called from
 * each of its helpers between the two (a port about to be locked, a
 * 4-tuple check, 7.x's stride, the port found), and at a failed return (a
 * failure moves nothing).  NMI-safe: it reads, and writes no record.
 */
static void walking(struct ephport_search *s)
{
	u32 now;

	/* read again already, or taken from the kernel's own load */
	if (s->perturb_settled)
		return;
	s->perturb_settled = true;
	/*
	 * Each connect() adds to the slot: the same value on both sides of
	 * the kernel's read is the value it read.  Beyond sight: writes that
	 * took it away and back in between, which needs a writer that read
	 * before our entry and stored, after another's store, exactly that
	 * other's sum.
	 */
	s->perturb_used = s->perturb_known && ephport_perturb_read(s->hash, &now) &&
			  now == s->perturb;
}

static void about_to_lock(struct ephport_search *s, bool seen_all)
{
	if (!seen_all)
		s->locks_counted = false;
	s->locked++;
	walking(s);
}

static void checked(struct ephport_search *s, u16 port, int ret, bool tw, bool seen_all)
{
	if (!seen_all)
		s->reasons_known = false;
	if (!ret)
		s->tw_reused = tw;
	else if (s->nr_established < EPHPORT_CONNECT_CHECKS)
		s->established[s->nr_established++] = port;
	else
		s->reasons_known = false;
}

/* The walk, if the model has it (one half pass), then the end. */
static void write_rest(struct ephport_search *s)
{
	/* the walk ran dry where the kernel found nothing, and the reverse */
	if (s->nr_half && (ephport_search_emit_half_pass(s, 0, s->chosen) == !s->ret ||
			   !ephport_connect_locks_agree(s)))
		s->incomplete = true;
	ephport_search_finish(s);
}

/*
 * __inet_hash_connect() returned @ret.  @checks_seen: no 4-tuple check
 * was missed.
 */
static void end(struct ephport_search *s, int ret, bool checks_seen)
{
	int chosen = ret ? -1 : ephport_search_chosen_port(s, ret);
	unsigned int offset;

	s->ret = ret;
	s->chosen = chosen;
	if (!checks_seen)
		s->reasons_known = false;
	/* the last lock's hit, the chosen port's, lost too */
	if (ephport_probe_missed(&ephport_probe_connect_locked) != s->locks_missed)
		s->locks_counted = false;
	/* a success moved the slot first: its walk was seen before, or not at all */
	if (ret)
		walking(s);
	if (ephport_connect_walk(s, ret, chosen, &offset)) {
		s->draw[0] = offset;
		s->nr_half = 1;
	} else {
		s->incomplete = true;
	}
	write_held_begin(s);
	ephport_search_write_rest(s, write_rest, s->nr_half);
}

/* Both checks probed, and their caller known (else every check is turned down). */
static bool checks_probed(void)
{
	return READ_ONCE(ephport_probe_check.symbol) && READ_ONCE(ephport_probe_check6.symbol) &&
	       ephport_probe_connect.extent.end;
}

static unsigned long checks_missed(void)
{
	return ephport_probe_missed(&ephport_probe_check) +
	       ephport_probe_missed(&ephport_probe_check6);
}

/*
 * The 4-tuple check of a port a connect() search walks to (IPv4's and
 * IPv6's), made by __inet_hash_connect() itself: why the port was passed
 * by, or whether it took over a TIME_WAIT socket.
 */
static int check_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct check_data *data = (void *)ri->data;

	ephport_probe_hit(get_kretprobe(ri) == &ephport_probe_check6.rp ?
			  &ephport_probe_check6 : &ephport_probe_check);
	data->search = ephport_search_current();
	if (!data->search || data->search->kind != EPHPORT_WALK_CONNECT ||
	    !ephport_in_extent(&ephport_probe_connect.extent, regs_get_kernel_stack_nth(regs, 0)))
		return 1;
	walking(data->search);
	data->port = regs_get_kernel_argument(regs, ARG_CHECK_PORT);
	/* a bool: its register's low byte (only bit 0 is set) */
	data->rcu_lookup = EPHPORT_CHECK_PRECHECK &&
			   (regs_get_kernel_argument(regs, ARG_CHECK_RCU) & 1);
	/* &tw is a local of the caller's frame: else not the layout built for */
	data->twp = (void *)regs_get_kernel_argument(regs, ARG_CHECK_TWP);
	if ((unsigned long)data->twp <= regs->sp || !object_is_on_stack(data->twp)) {
		data->search->reasons_known = false;
		return 1;
	}
	return 0;
}

static int check_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct check_data *data = (void *)ri->data;
	int ret = (int)regs_return_value(regs);

	/*
	 * A port the pre-check let through is decided by the locked check
	 * that follows (which may find it taken meanwhile): one verdict a port.
	 */
	if (data->rcu_lookup && !ret)
		return 0;
	checked(data->search, data->port, ret, !ret && *data->twp,
		checks_missed() == data->search->check_missed);
	return 0;
}

/*
 * Inside __inet_hash_connect(), back from reading its range: this runs
 * only in connect()'s own search, just before its read of the slot.
 */
static int connect_ranged_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct ephport_search *s;

	s = ephport_search_at_site(&ephport_probe_connect_ranged, EPHPORT_WALK_CONNECT);
	if (s)
		ranged(s);
	return 0;
}

/*
 * Inside __inet_hash_connect(), about to load its slot's value: in
 * connect()'s own search, with its range read and before any step.  Its
 * update's load of the slot comes after the port found, whose probe
 * makes a step: without that probe, a load cannot be told from the
 * update's.  Where the table's address is known, the load must read that
 * search's very slot.
 */
static int connect_read_pre(struct kprobe *kp, struct pt_regs *regs)
{
	u8 base = ephport_probe_connect_read.site_base;
	struct ephport_search *s;
	u32 *slot;

	s = ephport_search_at_site(&ephport_probe_connect_read, EPHPORT_WALK_CONNECT);
	if (!s)
		return 0;
	s->slot_loading = false;
	if (!s->begin_pending || !s->ranged || s->perturb_settled ||
	    !READ_ONCE(ephport_probe_connect_ok.symbol))
		return 0;
	slot = ephport_perturb_slot(s->hash);
	s->slot_loading = !slot || (unsigned long)slot == ephport_probe_reg(regs, base);
	return 0;
}

/*
 * ... and has loaded it: the value it read is in the register it loaded,
 * whatever the slot holds later; walking() has nothing left to settle.
 */
static void connect_read_post(struct kprobe *kp, struct pt_regs *regs, unsigned long flags)
{
	struct ephport_search *s = ephport_search_of_task();

	if (!s || s->kind != EPHPORT_WALK_CONNECT || !s->slot_loading)
		return;
	s->slot_loading = false;
	s->perturb = (u32)ephport_probe_reg(regs, ephport_probe_connect_read.site_dest);
	s->perturb_known = true;
	s->perturb_used = true;
	s->perturb_settled = true;
}

/*
 * 7.x's random stride, read where __inet_hash_connect() receives it: the
 * return from its call of __get_random_u32_below(), the draw in the return
 * register and its bound where the code before the call left it.  Only
 * connect()'s own search runs that place.
 */
static int connect_stride_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct ephport_search *s;
	u32 upper;

	s = ephport_search_at_site(&ephport_probe_connect_stride, EPHPORT_WALK_CONNECT);
	if (!s)
		return 0;
	walking(s);
	/* one stride a connect(): a second draw is not the model's */
	if (s->stride_upper ||
	    !ephport_probe_site_arg(&ephport_probe_connect_stride, regs, &upper)) {
		s->draws_lost = true;
		return 0;
	}
	s->stride_upper = upper;
	s->stride_draw = (u32)regs_return_value(regs);
	s->stride_drawn = true;
	return 0;
}

/*
 * Inside __inet_hash_connect(), about to lock a port's bucket, or back from
 * looking up the bind2 bucket of the port it found: this runs only in
 * connect()'s own search, after its read of the slot and before its update.
 */
static int connect_walking_pre(struct kprobe *kp, struct pt_regs *regs)
{
	bool locking = kp == &ephport_probe_connect_locked.kp;
	struct ephport_search *s;

	s = ephport_search_at_site(locking ? &ephport_probe_connect_locked :
					     &ephport_probe_connect_ok, EPHPORT_WALK_CONNECT);
	if (!s)
		return 0;
	if (locking)
		about_to_lock(s, READ_ONCE(kp->nmissed) == s->locks_missed);
	else
		walking(s);
	return 0;
}

/* __inet_hash_connect() for a socket without a port: connect()'s search. */
static int connect_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct connect_data *data = (void *)ri->data;
	struct sock *sk = (void *)regs_get_kernel_argument(regs, ARG_CONNECT_SK);
	u64 hash = regs_get_kernel_argument(regs, ARG_CONNECT_HASH);

	ephport_probe_hit(&ephport_probe_connect);
	/* a socket with a port only checks its 4-tuple */
	if (READ_ONCE(inet_sk(sk)->inet_num))
		return 1;
	/* its extent is filled in */
	if (!ephport_probes_ready())
		return 1;
	/* the begin waits for the range where that is seen */
	data->search = begin(sk, hash, checks_probed(),
			     READ_ONCE(ephport_probe_connect_ranged.symbol),
			     READ_ONCE(ephport_probe_connect_locked.symbol));
	if (!data->search)
		return 1;
	data->search->locks_missed = ephport_probe_missed(&ephport_probe_connect_locked);
	data->search->check_missed = checks_missed();
	/* 7.x only: no other kernel's connect() draws */
	if (EPHPORT_CONNECT_STRIDE)
		data->search->draw_missed = draw_missed();
	return 0;
}

static int connect_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct connect_data *data = (void *)ri->data;

	ephport_search_returned(data->search);
	/*
	 * 7.x: a draw lost meanwhile may have been a stride the kernel drew
	 * from a width that read 0 at entry and return
	 */
	if (EPHPORT_CONNECT_STRIDE && !data->search->stride_drawn &&
	    draw_missed() != data->search->draw_missed)
		data->search->draws_lost = true;
	end(data->search, (int)regs_return_value(regs),
	    checks_missed() == data->search->check_missed);
	return 0;
}

static const char *const connect_symbols[] = { "__inet_hash_connect", NULL };
static const char *const check_symbols[] = { "__inet_check_established", NULL };
static const char *const check6_symbols[] = { "__inet6_check_established", NULL };
/* not symbols: calls inside __inet_hash_connect() */
static const char *const connect_ranged_symbols[] = {
	"__inet_hash_connect:inet_sk_get_local_port_range", NULL,
};

static const char *const connect_read_symbols[] = {
	"__inet_hash_connect:" EPHPORT_PERTURB_TABLE, NULL,
};

static const char *const connect_locked_symbols[] = {
	"__inet_hash_connect:_raw_spin_lock_bh", NULL,
};

static const char *const connect_ok_symbols[] = {
	"__inet_hash_connect:inet_bind2_bucket_find", NULL,
};

static const char *const connect_stride_symbols[] = {
	"__inet_hash_connect:__get_random_u32_below", NULL,
};

struct ephport_probe ephport_probe_connect = {
	.id = PROBE_CONNECT,
	.symbols = connect_symbols,
	.purpose = "connect() search start (no port yet), its hash, and result",
	.is_kretprobe = true,
	/* its 4-tuple checks */
	.wants_extent = true,
	.active_searches = EPHPORT_MAX_SEARCHES,
	.active_per_cpu = TRANSIENT_PER_CPU,
	.rp = EPHPORT_KRETPROBE(connect_entry, connect_return, struct connect_data, 0),
};

/* connect() has read its range, and is about to read its slot */
struct ephport_probe ephport_probe_connect_ranged = {
	.id = PROBE_CONNECT_RANGED,
	.symbols = connect_ranged_symbols,
	.purpose = "connect(): range read, slot about to be (else read at entry)",
	.site_in = PROBE_CONNECT,
	.site_call = "inet_sk_get_local_port_range",
	.kp = { .pre_handler = connect_ranged_pre },
};

/*
 * Its load of the slot's value: "add reg64, [rip + table_perturb]" (the
 * index scaled beforehand), then "mov reg32, [reg64]", as GCC writes
 * "READ_ONCE(table_perturb[index])" on every line; the update's load
 * comes after the port found.  Not found (another compiler's code, a
 * sanitizer's call between the two), the value is bracketed instead.
 */
struct ephport_probe ephport_probe_connect_read = {
	.id = PROBE_CONNECT_READ,
	.symbols = connect_read_symbols,
	.purpose = "connect(): the slot's value as the kernel loads it (else read around its load)",
	.site_in = PROBE_CONNECT,
	.site_load = EPHPORT_PERTURB_TABLE,
	.kp = { .pre_handler = connect_read_pre, .post_handler = connect_read_post },
};

/*
 * About to lock a port it walks to: the first thing after its read of the
 * slot that every port it may take goes through, once per such port (the
 * reserved, and 6.15+'s pre-checked, are passed by before).  The call
 * itself: a connect() that started from the same port may hold that lock,
 * and update the slot, while this one waits.  PREEMPT_RT locks by another
 * name, twice: not found there.
 */
struct ephport_probe ephport_probe_connect_locked = {
	.id = PROBE_CONNECT_LOCKED,
	.symbols = connect_locked_symbols,
	.purpose = "connect(): a port about to be locked, just after the slot was read",
	.site_in = PROBE_CONNECT,
	.site_call = "_raw_spin_lock_bh",
	.site_at_call = true,
	.kp = { .pre_handler = connect_walking_pre },
};

/*
 * The port found, the slot not yet updated: back from looking up the
 * port's bind2 bucket, which every line calls once there (and inlines its
 * bucket creation).
 */
struct ephport_probe ephport_probe_connect_ok = {
	.id = PROBE_CONNECT_OK,
	.symbols = connect_ok_symbols,
	.purpose = "connect(): port found, slot not yet moved (else successes are unsure)",
	.site_in = PROBE_CONNECT,
	.site_call = "inet_bind2_bucket_find",
	.kp = { .pre_handler = connect_walking_pre },
};

/* 7.x: connect()'s stride (net.ipv4.ip_local_port_step_width) drawn */
struct ephport_probe ephport_probe_connect_stride = {
	.id = PROBE_CONNECT_STRIDE,
	.symbols = connect_stride_symbols,
	.purpose = "connect(): 7.x's random stride, with its bound (checked)",
	.site_in = PROBE_CONNECT,
	.site_call = "__get_random_u32_below",
	.site_arg = true,
	.kp = { .pre_handler = connect_stride_pre },
};

struct ephport_probe ephport_probe_check = {
	.id = PROBE_CHECK,
	.symbols = check_symbols,
	.purpose = "connect(): IPv4 4-tuple checks, the reasons of its verdicts",
	.is_kretprobe = true,
	.rp = EPHPORT_KRETPROBE(check_entry, check_return, struct check_data,
				EPHPORT_MAX_SEARCHES),
};

struct ephport_probe ephport_probe_check6 = {
	.id = PROBE_CHECK6,
	.symbols = check6_symbols,
	.purpose = "connect(): IPv6 4-tuple checks, the reasons of its verdicts",
	.is_kretprobe = true,
	.rp = EPHPORT_KRETPROBE(check_entry, check_return, struct check_data,
				EPHPORT_MAX_SEARCHES),
};
