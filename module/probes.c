// SPDX-License-Identifier: GPL-2.0
/* Probe registration: the table, the call sites found at load, the probes file. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysctl.h>
#include <linux/uaccess.h>
#include <net/inet_connection_sock.h>
#include <net/inet_hashtables.h>
#include <net/net_namespace.h>
#include <net/udp.h>

#include "compat.h"
#include "connect.h"
#include "probes.h"
#include "reserved.h"
#include "search.h"

/*
 * Registered last to first: a search's helpers are watched before it
 * starts, but for the places inside udp_lib_get_port() (its draw) and
 * __inet_hash_connect() (its range, lock and port found), found in their
 * code once those are attached (no search starts before all are:
 * callers_known).
 */
enum ephport_probe_id {
	PROBE_GET_PORT,
	PROBE_UDP_DRAW,
	PROBE_UDP_GET_PORT,
	PROBE_CONNECT_RANGED,
	PROBE_CONNECT_LOCKED,
	PROBE_CONNECT_OK,
	PROBE_CONNECT,
	PROBE_CHECK,
	PROBE_CHECK6,
	PROBE_BUCKET,
	PROBE_BUCKET2,
	PROBE_FIND_OPEN_PORT,
	PROBE_DRAW,
	PROBE_LOOKUP,
	PROBE_RESERVED,
	PROBE_COUNT,
};

/*
 * Argument positions in the probed functions' signatures.  Kbuild admits
 * only kernels with bind2 buckets (6.1+), where find_open_port takes
 * (sk, tb_ret, tb2_ret, head2_ret, port_ret); 5.x had three arguments.
 */
#define ARG_SK		0
#define ARG_SNUM	1
#define ARG_DRAW_CEIL	0
#define ARG_PORT_RET	4
/* proc_do_large_bitmap(table, write, buffer, lenp, ppos) */
#define ARG_BITMAP_WRITE 1
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

/*
 * The argument layouts read above, as this build's headers declare them:
 * the build stops if a kernel changes one (Kbuild checks them first).
 */
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
#ifdef EPHPORT_CONST_CTL_TABLE
static_assert(__same_type(&proc_do_large_bitmap,
			  int (*)(const struct ctl_table *, int, void *, size_t *, loff_t *)));
#else
/* the table is const from 6.11 (a parameter's own const changes no type) */
static_assert(__same_type(&proc_do_large_bitmap,
			  int (*)(struct ctl_table *const, int, void *, size_t *, loff_t *)));
#endif
static_assert(__same_type(&__get_random_u32_below, u32 (*)(u32)));
static_assert(__same_type(&udp_lib_get_port,
			  int (*)(struct sock *, unsigned short, unsigned int)));
static_assert(__same_type(&get_random_u32, u32 (*)(void)));
static_assert(__same_type(&inet_csk_get_port, int (*)(struct sock *, unsigned short)));

/*
 * An instance of the draw, connect and bucket probes is held across the
 * call only for a search's own call (one per search in flight); any other
 * call takes one just long enough to be turned down, one per CPU at a time
 * (a nested kprobe hit is only counted as missed), with a margin for 6.1's
 * freelist nodes briefly off the list.
 */
#define TRANSIENT_PER_CPU 2
/* Writers of ip_local_reserved_ports in flight at once, per CPU. */
#define BITMAP_WRITERS_PER_CPU 4

struct ephport_probe {
	/* candidate symbols, best first: the first that exists is used */
	const char *const *symbols;
	const char *purpose;
	bool required;
	bool is_kretprobe;
	struct kretprobe rp;
	struct kprobe kp;
	const char *symbol;	/* the one attached, or NULL */
	int err;		/* why none attached */
};

static struct ephport_probe probes[PROBE_COUNT];

/* Text of a function a search's draw may be called from. */
struct text_extent {
	unsigned long start;
	unsigned long end;
};

/* get_port, and find_open_port where it is a function of its own */
static struct text_extent draw_callers[2];
/* __inet_hash_connect: its 4-tuple checks, and its stride's draw (7.x) */
static struct text_extent check_caller;
/* draw_callers is filled in: searches may start */
static bool callers_known;
static DEFINE_PER_CPU(u64[PROBE_COUNT], probe_hits);
/* Serialises registering against showing the probes. */
static DEFINE_MUTEX(probes_mutex);
/*
 * The lookup probe is attached at load with detail=candidates (its symbol
 * is then set), and never attached or detached later: adding and removing
 * kprobes while their functions run is the one thing that crashed the test
 * VM, with or without ephport (tests/guest/kprobe-events.sh), so it happens
 * only at load and unload.
 */

struct get_port_data {
	struct ephport_search *search;
};

struct find_open_port_data {
	struct ephport_search *search;
	int *port_ret;
};

struct draw_data {
	struct ephport_search *search;
};

struct connect_data {
	struct ephport_search *search;
};

struct bucket_data {
	struct ephport_search *search;
};

struct check_data {
	struct ephport_search *search;
	u16 port;
	bool rcu_lookup;	/* 6.15+: the lockless pre-check */
	struct inet_timewait_sock **twp;
};

static unsigned long kretprobe_missed(const struct ephport_probe *p)
{
	return READ_ONCE(p->rp.nmissed) + READ_ONCE(p->rp.kp.nmissed);
}

/* Calls of the draw its probe lost, for want of an instance or nested. */
static unsigned long draw_missed(void)
{
	return kretprobe_missed(&probes[PROBE_DRAW]);
}

/* Bucket allocations the bucket probes lost, for want of an instance or nested. */
static unsigned long bucket_missed(void)
{
	return kretprobe_missed(&probes[PROBE_BUCKET]) + kretprobe_missed(&probes[PROBE_BUCKET2]);
}

/*
 * inet_csk_get_port(sk, snum) or udp_lib_get_port(sk, snum, ...), probe
 * @id: a search when snum is 0.
 */
static int port_search_enter(struct get_port_data *data, struct pt_regs *regs,
			     enum ephport_probe_id id)
{
	struct sock *sk = (void *)regs_get_kernel_argument(regs, ARG_SK);

	this_cpu_inc(probe_hits[id]);
	/* listen() calls again with the bound port: only 0 is a search */
	if ((unsigned short)regs_get_kernel_argument(regs, ARG_SNUM))
		return 1;
	/* pairs with the release at load: the draws' callers are known */
	if (!smp_load_acquire(&callers_known))
		return 1;
	data->search = ephport_search_begin(sk);
	if (!data->search)
		return 1;
	data->search->draw_missed = id == PROBE_UDP_GET_PORT ?
				    READ_ONCE(probes[PROBE_UDP_DRAW].kp.nmissed) : draw_missed();
	/* bind()'s buckets only: UDP allocates none of them */
	if (id == PROBE_GET_PORT)
		data->search->bucket_missed = bucket_missed();
	return 0;
}

static int get_port_enter(struct get_port_data *data, struct pt_regs *regs)
{
	return port_search_enter(data, regs, PROBE_GET_PORT);
}

static void get_port_leave(struct get_port_data *data, struct pt_regs *regs)
{
	/* a lost draw may have been the search's last: its entry never ran */
	if (draw_missed() != data->search->draw_missed)
		ephport_search_draws_lost(data->search);
	/* ... and a lost bucket allocation, why it failed */
	if (regs_return_value(regs) && bucket_missed() != data->search->bucket_missed)
		ephport_search_alloc_failed(data->search);
	ephport_search_end(data->search, (int)regs_return_value(regs),
			   !!probes[PROBE_LOOKUP].symbol);
}

static int get_port_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return get_port_enter((void *)ri->data, regs);
}

static int get_port_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	get_port_leave((void *)ri->data, regs);
	return 0;
}

static int find_open_port_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	struct find_open_port_data *data = (void *)ri->data;

	this_cpu_inc(probe_hits[PROBE_FIND_OPEN_PORT]);
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
static int find_open_port_return(struct kretprobe_instance *ri,
				 struct pt_regs *regs)
{
	struct find_open_port_data *data = (void *)ri->data;

	if (regs_return_value(regs))
		data->search->found_port = *data->port_ret;
	return 0;
}

static bool in_extent(const struct text_extent *e, unsigned long addr)
{
	return addr - e->start < e->end - e->start;
}

/*
 * A draw is the search's own only when the search's code made it: slab
 * freelist shuffling, for one, draws below its objects per slab from
 * inside get_port when a bind bucket needs a new slab.  @caller is the
 * draw's return address.
 */
static bool draw_is_searchs(unsigned long caller)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(draw_callers); i++)
		if (in_extent(&draw_callers[i], caller))
			return true;
	return false;
}

static int draw_enter(struct draw_data *data, struct pt_regs *regs,
		      unsigned long caller)
{
	u32 ceil = regs_get_kernel_argument(regs, ARG_DRAW_CEIL);

	this_cpu_inc(probe_hits[PROBE_DRAW]);
	data->search = ephport_search_current();
	if (!data->search)
		return 1;
	/* 7.x: connect()'s random stride, drawn by __inet_hash_connect() itself */
	if (data->search->kind == EPHPORT_WALK_CONNECT) {
		if (!EPHPORT_CONNECT_STRIDE || !in_extent(&check_caller, caller))
			return 1;
		ephport_search_connect_walking(data->search);
		return ephport_search_stride_draw(data->search, ceil) ? 0 : 1;
	}
	if (!draw_is_searchs(caller))
		return 1;
	/* a draw lost to a full instance pool may have been this search's */
	return ephport_search_half_pass(data->search, ceil,
					draw_missed() != data->search->draw_missed) ?
	       0 : 1;
}

/* At a kprobe on the entry of a function, its return address tops the stack. */
static int draw_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return draw_enter((void *)ri->data, regs, regs_get_kernel_stack_nth(regs, 0));
}

static void draw_leave(struct draw_data *data, struct pt_regs *regs)
{
	ephport_search_draw(data->search, (u32)regs_return_value(regs));
}

static int draw_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	draw_leave((void *)ri->data, regs);
	return 0;
}

/* udp_lib_get_port(sk, 0): UDP's search, bind(0) or an implicit bind. */
static int udp_get_port_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return port_search_enter((void *)ri->data, regs, PROBE_UDP_GET_PORT);
}

static int udp_get_port_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct get_port_data *data = (void *)ri->data;
	struct ephport_search *s = data->search;

	/* one draw per search: lost only if it was never seen */
	if (!s->udp_drawn &&
	    READ_ONCE(probes[PROBE_UDP_DRAW].kp.nmissed) != s->draw_missed)
		ephport_search_draws_lost(s);
	ephport_search_end(s, (int)regs_return_value(regs), false);
	return 0;
}

/*
 * UDP's draw is read where udp_lib_get_port() receives it: the instruction
 * after its call of get_random_u32(), whose return value is still in the
 * return register there.  That instruction runs only in udp_lib_get_port()'s
 * own search, once, so nothing else pays for the probe: get_random_u32()
 * itself is called from all over the kernel (bind's draw included).
 */
static int udp_draw_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct ephport_search *s;

	this_cpu_inc(probe_hits[PROBE_UDP_DRAW]);
	s = ephport_search_of_task();
	if (s && s->kind == EPHPORT_WALK_UDP && !s->udp_drawn)
		ephport_search_udp_draw(s, (u32)regs_return_value(regs));
	return 0;
}

/* Both checks probed, and their caller known (else every check is turned down). */
static bool checks_probed(void)
{
	return READ_ONCE(probes[PROBE_CHECK].symbol) && READ_ONCE(probes[PROBE_CHECK6].symbol) &&
	       check_caller.end;
}

static unsigned long checks_missed(void)
{
	return kretprobe_missed(&probes[PROBE_CHECK]) + kretprobe_missed(&probes[PROBE_CHECK6]);
}

/*
 * The 4-tuple check of a port a connect() search walks to (IPv4's and
 * IPv6's), made by __inet_hash_connect() itself: why the port was passed
 * by, or whether it took over a TIME_WAIT socket.
 */
static int check_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct check_data *data = (void *)ri->data;

	this_cpu_inc(probe_hits[get_kretprobe(ri) == &probes[PROBE_CHECK6].rp ?
				PROBE_CHECK6 : PROBE_CHECK]);
	data->search = ephport_search_current();
	if (!data->search || data->search->kind != EPHPORT_WALK_CONNECT ||
	    !in_extent(&check_caller, regs_get_kernel_stack_nth(regs, 0)))
		return 1;
	ephport_search_connect_walking(data->search);
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
	ephport_search_checked(data->search, data->port, ret, !ret && *data->twp,
			       checks_missed() == data->search->check_missed);
	return 0;
}

/*
 * bind()'s buckets for the port its scan found (IPv4's and IPv6's share
 * them, and bind2's): a failure fails bind() as a range that ran dry
 * would.  Created by get_port itself (connect() inlines its own).
 */
static int bucket_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct bucket_data *data = (void *)ri->data;
	unsigned long caller = regs_get_kernel_stack_nth(regs, 0);

	this_cpu_inc(probe_hits[get_kretprobe(ri) == &probes[PROBE_BUCKET2].rp ?
				PROBE_BUCKET2 : PROBE_BUCKET]);
	data->search = ephport_search_current();
	return data->search && data->search->kind == EPHPORT_WALK_BIND &&
	       draw_is_searchs(caller) ? 0 : 1;
}

static int bucket_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct bucket_data *data = (void *)ri->data;

	if (!regs_return_value(regs))
		ephport_search_alloc_failed(data->search);
	return 0;
}

/*
 * Inside __inet_hash_connect(), back from reading its range: this runs
 * only in connect()'s own search, just before its read of the slot.
 */
static int connect_ranged_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct ephport_search *s;

	this_cpu_inc(probe_hits[PROBE_CONNECT_RANGED]);
	s = ephport_search_of_task();
	if (s && s->kind == EPHPORT_WALK_CONNECT)
		ephport_search_connect_ranged(s);
	return 0;
}

/*
 * Inside __inet_hash_connect(), about to lock a port's bucket, or back from
 * looking up the bind2 bucket of the port it found: this runs only in
 * connect()'s own search, after its read of the slot and before its update.
 */
static int connect_walking_pre(struct kprobe *kp, struct pt_regs *regs)
{
	bool locking = kp == &probes[PROBE_CONNECT_LOCKED].kp;
	struct ephport_search *s;

	this_cpu_inc(probe_hits[locking ? PROBE_CONNECT_LOCKED : PROBE_CONNECT_OK]);
	s = ephport_search_of_task();
	if (!s || s->kind != EPHPORT_WALK_CONNECT)
		return 0;
	if (locking)
		ephport_search_connect_locking(s, READ_ONCE(kp->nmissed) == s->locks_missed);
	else
		ephport_search_connect_walking(s);
	return 0;
}

/* __inet_hash_connect() for a socket without a port: connect()'s search. */
static int connect_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct connect_data *data = (void *)ri->data;
	struct sock *sk = (void *)regs_get_kernel_argument(regs, ARG_CONNECT_SK);
	u64 hash = regs_get_kernel_argument(regs, ARG_CONNECT_HASH);
	bool ranged;

	this_cpu_inc(probe_hits[PROBE_CONNECT]);
	/* a socket with a port only checks its 4-tuple */
	if (READ_ONCE(inet_sk(sk)->inet_num))
		return 1;
	/* pairs with the release at load: check_caller is filled in */
	if (!smp_load_acquire(&callers_known))
		return 1;
	/* the begin waits for the range where that is seen */
	ranged = READ_ONCE(probes[PROBE_CONNECT_RANGED].symbol);
	data->search = ephport_search_begin_connect(sk, hash, checks_probed(), ranged,
						    READ_ONCE(probes[PROBE_CONNECT_LOCKED].symbol));
	if (!data->search)
		return 1;
	data->search->locks_missed = READ_ONCE(probes[PROBE_CONNECT_LOCKED].kp.nmissed);
	data->search->check_missed = checks_missed();
	/* 7.x only: no other kernel's connect() draws */
	if (EPHPORT_CONNECT_STRIDE)
		data->search->draw_missed = draw_missed();
	return 0;
}

static int connect_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct connect_data *data = (void *)ri->data;

	/*
	 * 7.x: a draw lost meanwhile may have been a stride the kernel drew
	 * from a width that read 0 at entry and return
	 */
	if (EPHPORT_CONNECT_STRIDE && !data->search->stride_drawn &&
	    draw_missed() != data->search->draw_missed)
		ephport_search_draws_lost(data->search);
	ephport_search_end_connect(data->search, (int)regs_return_value(regs),
				   checks_missed() == data->search->check_missed);
	return 0;
}

static int lookup_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct ephport_search *s = ephport_search_current();

	this_cpu_inc(probe_hits[PROBE_LOOKUP]);
	if (s)
		s->probed++;
	return 0;
}

static int bitmap_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	this_cpu_inc(probe_hits[PROBE_RESERVED]);
	/* readers leave the set as it is */
	if (!regs_get_kernel_argument(regs, ARG_BITMAP_WRITE))
		return 1;
	ephport_reserved_write_begun();
	return 0;
}

static int bitmap_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	ephport_reserved_write_done();
	return 0;
}

static const char *const get_port_symbols[] = { "inet_csk_get_port", NULL };
static const char *const find_open_port_symbols[] = {
	"inet_csk_find_open_port", NULL
};

static const char *const draw_symbols[] = { "__get_random_u32_below", NULL };
static const char *const udp_get_port_symbols[] = { "udp_lib_get_port", NULL };
/* not a symbol: the return from get_random_u32() inside udp_lib_get_port() */
static const char *const udp_draw_symbols[] = { "udp_lib_get_port:get_random_u32", NULL };
static const char *const connect_symbols[] = { "__inet_hash_connect", NULL };
static const char *const check_symbols[] = { "__inet_check_established", NULL };
static const char *const check6_symbols[] = { "__inet6_check_established", NULL };
/* not symbols: calls inside __inet_hash_connect() */
static const char *const connect_ranged_symbols[] = {
	"__inet_hash_connect:inet_sk_get_local_port_range", NULL,
};

static const char *const connect_locked_symbols[] = {
	"__inet_hash_connect:_raw_spin_lock_bh", NULL,
};

static const char *const connect_ok_symbols[] = {
	"__inet_hash_connect:inet_bind2_bucket_find", NULL,
};

static const char *const bucket_symbols[] = { "inet_bind_bucket_create", NULL };
static const char *const bucket2_symbols[] = { "inet_bind2_bucket_create", NULL };
static const char *const lookup_symbols[] = { "inet_bind2_bucket_find", NULL };
static const char *const bitmap_symbols[] = { "proc_do_large_bitmap", NULL };

#define EPHPORT_KRETPROBE(entry, ret, data_type, active)	\
	{						\
		.entry_handler = (entry),		\
		.handler = (ret),			\
		.data_size = sizeof(data_type),		\
		.maxactive = (active),			\
	}

static struct ephport_probe probes[PROBE_COUNT] = {
	[PROBE_GET_PORT] = {
		.symbols = get_port_symbols,
		.purpose = "search start (snum == 0) and result (return value, inet_num)",
		.required = true,
		.is_kretprobe = true,
		.rp = EPHPORT_KRETPROBE(get_port_entry, get_port_return,
					struct get_port_data, EPHPORT_MAX_SEARCHES),
	},
	[PROBE_UDP_GET_PORT] = {
		.symbols = udp_get_port_symbols,
		.purpose = "UDP search start (snum == 0) and result",
		.is_kretprobe = true,
		.rp = EPHPORT_KRETPROBE(udp_get_port_entry, udp_get_port_return,
					struct get_port_data, EPHPORT_MAX_SEARCHES),
	},
	[PROBE_CONNECT] = {
		.symbols = connect_symbols,
		.purpose = "connect() search start (no port yet), its hash, and result",
		.is_kretprobe = true,
		/* maxactive set at load */
		.rp = EPHPORT_KRETPROBE(connect_entry, connect_return,
					struct connect_data, 0),
	},
	[PROBE_CONNECT_RANGED] = {
		.symbols = connect_ranged_symbols,
		.purpose = "connect(): range read, slot about to be (else read at entry)",
		/* at an address learned at load, not a symbol */
		.kp = { .pre_handler = connect_ranged_pre },
	},
	[PROBE_CONNECT_LOCKED] = {
		.symbols = connect_locked_symbols,
		.purpose = "connect(): a port about to be locked, just after the slot was read",
		/* at an address learned at load, not a symbol */
		.kp = { .pre_handler = connect_walking_pre },
	},
	[PROBE_CONNECT_OK] = {
		.symbols = connect_ok_symbols,
		.purpose = "connect(): port found, slot not yet moved (else successes are unsure)",
		/* at an address learned at load, not a symbol */
		.kp = { .pre_handler = connect_walking_pre },
	},
	[PROBE_BUCKET] = {
		.symbols = bucket_symbols,
		.purpose = "bind(): its bucket's allocation failing, not a range run dry",
		.is_kretprobe = true,
		/* maxactive set at load */
		.rp = EPHPORT_KRETPROBE(bucket_entry, bucket_return, struct bucket_data, 0),
	},
	[PROBE_BUCKET2] = {
		.symbols = bucket2_symbols,
		.purpose = "bind(): its bind2 bucket's allocation failing, not a range run dry",
		.is_kretprobe = true,
		/* maxactive set at load */
		.rp = EPHPORT_KRETPROBE(bucket_entry, bucket_return, struct bucket_data, 0),
	},
	[PROBE_CHECK] = {
		.symbols = check_symbols,
		.purpose = "connect(): IPv4 4-tuple checks, the reasons of its verdicts",
		.is_kretprobe = true,
		.rp = EPHPORT_KRETPROBE(check_entry, check_return, struct check_data,
					EPHPORT_MAX_SEARCHES),
	},
	[PROBE_CHECK6] = {
		.symbols = check6_symbols,
		.purpose = "connect(): IPv6 4-tuple checks, the reasons of its verdicts",
		.is_kretprobe = true,
		.rp = EPHPORT_KRETPROBE(check_entry, check_return, struct check_data,
					EPHPORT_MAX_SEARCHES),
	},
	[PROBE_FIND_OPEN_PORT] = {
		.symbols = find_open_port_symbols,
		.purpose = "port found by the scan, before get_port creates its buckets",
		.is_kretprobe = true,
		.rp = EPHPORT_KRETPROBE(find_open_port_entry, find_open_port_return,
					struct find_open_port_data,
					EPHPORT_MAX_SEARCHES),
	},
	[PROBE_DRAW] = {
		.symbols = draw_symbols,
		.purpose = "once per half pass: its width (checked) and random offset",
		.is_kretprobe = true,
		/* maxactive set at load: the draw is called from everywhere */
		.rp = EPHPORT_KRETPROBE(draw_entry, draw_return,
					struct draw_data, 0),
	},
	[PROBE_UDP_DRAW] = {
		.symbols = udp_draw_symbols,
		.purpose = "UDP's one random draw, read where udp_lib_get_port receives it",
		/* at an address learned at load, not a symbol */
		.kp = { .pre_handler = udp_draw_pre },
	},
	[PROBE_LOOKUP] = {
		.symbols = lookup_symbols,
		.purpose = "detail=candidates at load: counts bucket lookups to check the model",
		.kp = { .pre_handler = lookup_pre },
	},
	[PROBE_RESERVED] = {
		.symbols = bitmap_symbols,
		.purpose = "ip_local_reserved_ports writes: verdicts read across one are unsure",
		.is_kretprobe = true,
		/* maxactive set at load */
		.rp = { .entry_handler = bitmap_entry, .handler = bitmap_return },
	},
};

static int register_one(struct ephport_probe *p)
{
	const char *const *symbol;
	int err = -ENOENT;

	for (symbol = p->symbols; *symbol; symbol++) {
		if (p->is_kretprobe) {
			p->rp.kp.symbol_name = *symbol;
			p->rp.kp.addr = NULL;
			p->rp.kp.flags = 0;
			err = register_kretprobe(&p->rp);
		} else {
			p->kp.symbol_name = *symbol;
			p->kp.addr = NULL;
			p->kp.flags = 0;
			err = register_kprobe(&p->kp);
		}
		if (!err) {
			p->symbol = *symbol;
			p->err = 0;
			return 0;
		}
	}
	p->err = err;
	return err;
}

/* A kprobe at @addr, which is in no symbol's name (0: none found). */
static int register_at(struct ephport_probe *p, unsigned long addr)
{
	int err = -ENOENT;

	if (addr) {
		p->kp.symbol_name = NULL;
		p->kp.addr = (kprobe_opcode_t *)addr;
		p->kp.flags = 0;
		err = register_kprobe(&p->kp);
	}
	p->symbol = err ? NULL : p->symbols[0];
	p->err = err;
	return err;
}

/* Where @p is attached. */
static unsigned long probe_address(const struct ephport_probe *p)
{
	return (unsigned long)(p->is_kretprobe ? p->rp.kp.addr : p->kp.addr);
}

/* The function @addr is in, from "name+0xOFF/0xSIZE" as kallsyms prints it. */
static int text_extent_of(unsigned long addr, struct text_extent *e)
{
	char buf[KSYM_SYMBOL_LEN];
	unsigned long offset, size;
	const char *plus;

	sprint_symbol(buf, addr);
	plus = strrchr(buf, '+');
	if (!plus || sscanf(plus, "+%lx/%lx", &offset, &size) != 2 ||
	    offset > addr)
		return -ENOENT;
	e->start = addr - offset;
	e->end = e->start + size;
	return 0;
}

/* A direct call: opcode and 32-bit displacement. */
#define CALL_REL32_OPCODE 0xe8
#define CALL_REL32_LEN 5
/* More code than udp_lib_get_port() or __inet_hash_connect() have (2.4 KiB at most) */
#define CALLER_CODE_MAX SZ_16K

/*
 * The call at @insn (CALL_REL32_LEN bytes, returning to @site) is a direct
 * call of the function @name (kallsyms names its start) or of a clone of
 * it, or of its call-depth thunk in the padding before it.
 */
static bool calls(const u8 *insn, unsigned long site, const char *name)
{
	static const char pfx[] = "__pfx_", start[] = "+0x0/";
	char sym[KSYM_SYMBOL_LEN];
	size_t len = strlen(name);
	const char *at = sym;
	s32 rel;

	if (insn[0] != CALL_REL32_OPCODE)
		return false;
	memcpy(&rel, insn + 1, sizeof(rel));
	sprint_symbol(sym, site + rel);
	if (str_has_prefix(sym, pfx))
		at += strlen(pfx);
	if (strncmp(at, name, len))
		return false;
	at += len;
	/* GCC's clones of it with fewer arguments keep its place */
	if (str_has_prefix(at, ".constprop.") || str_has_prefix(at, ".isra."))
		at = strchrnul(at, '+');
	/* the thunk is anywhere in the padding; the function, at its start */
	return str_has_prefix(sym, pfx) ? *at == '+' : str_has_prefix(at, start);
}

/*
 * Where the function probe @in is attached at (attached just before)
 * gets back from its one direct call of @name, read from its code:
 * the return address, or 0 unless exactly one such call is found.
 * Registering a kprobe there then checks that it is an instruction
 * boundary.
 */
static unsigned long find_call_site(const struct ephport_probe *in, const char *name)
{
	unsigned long at = in->symbol ? probe_address(in) : 0, found = 0, off;
	struct text_extent e;
	unsigned int n = 0;
	u8 *code;

	if (!at || text_extent_of(at, &e) || e.end - e.start > CALLER_CODE_MAX)
		return 0;
	code = kmalloc(e.end - e.start, GFP_KERNEL);
	if (!code || copy_from_kernel_nofault(code, (void *)e.start, e.end - e.start)) {
		kfree(code);
		return 0;
	}
	for (off = 0; off + CALL_REL32_LEN <= e.end - e.start; off++) {
		if (calls(code + off, e.start + off + CALL_REL32_LEN, name)) {
			found = e.start + off + CALL_REL32_LEN;
			n++;
		}
	}
	kfree(code);
	if (n != 1)
		pr_info("%s: %u direct calls of %s in its code (inlined, or another tracer's patch?), not one\n",
			in->symbol, n, name);
	return n == 1 ? found : 0;
}

/* Probe @i is on an instruction found in its caller's code, not a symbol. */
static bool is_site(int i)
{
	return i == PROBE_UDP_DRAW || i == PROBE_CONNECT_RANGED || i == PROBE_CONNECT_LOCKED ||
	       i == PROBE_CONNECT_OK;
}

/* Where site probe @i goes, read from its caller's code (0: not found). */
static unsigned long find_site(int i)
{
	unsigned long site;

	switch (i) {
	case PROBE_UDP_DRAW:
		/*
		 * where udp_lib_get_port() receives its draw (no probe on
		 * get_random_u32(), no socket of the module's own)
		 */
		return find_call_site(&probes[PROBE_UDP_GET_PORT], "get_random_u32");
	case PROBE_CONNECT_RANGED:
		/* connect() has read its range, and is about to read its slot */
		return find_call_site(&probes[PROBE_CONNECT], "inet_sk_get_local_port_range");
	case PROBE_CONNECT_LOCKED:
		/*
		 * about to lock a port it walks to: the first thing after its
		 * read of the slot that every port it may take goes through,
		 * once per such port (the reserved, and 6.15+'s pre-checked, are
		 * passed by before).  The call itself: a connect() that started
		 * from the same port may hold that lock, and update the slot,
		 * while this one waits.  PREEMPT_RT locks by another name,
		 * twice: not found there.
		 */
		site = find_call_site(&probes[PROBE_CONNECT], "_raw_spin_lock_bh");
		return site ? site - CALL_REL32_LEN : 0;
	case PROBE_CONNECT_OK:
		/*
		 * the port found, the slot not yet updated: back from looking up
		 * the port's bind2 bucket, which every line calls once there (and
		 * inlines its bucket creation)
		 */
		return find_call_site(&probes[PROBE_CONNECT], "inet_bind2_bucket_find");
	default:
		return 0;
	}
}

/* Where a draw made by probe @i's function counts as its search's. */
static struct text_extent *caller_extent(int i)
{
	switch (i) {
	case PROBE_GET_PORT:
		return &draw_callers[0];
	case PROBE_FIND_OPEN_PORT:
		return &draw_callers[1];
	case PROBE_CONNECT:
		return &check_caller;
	default:
		return NULL;
	}
}

static void unregister_one(struct ephport_probe *p)
{
	if (!p->symbol)
		return;
	/* the stamp stops trusting the writers' counts before they stop */
	if (p == &probes[PROBE_RESERVED])
		ephport_reserved_watch(NULL);
	if (p->is_kretprobe)
		unregister_kretprobe(&p->rp);
	else
		unregister_kprobe(&p->kp);
	p->symbol = NULL;
}

int ephport_probes_register(enum ephport_detail detail)
{
	bool lookup = detail == EPHPORT_DETAIL_CANDIDATES;
	int i, err;

	mutex_lock(&probes_mutex);
	probes[PROBE_DRAW].rp.maxactive = EPHPORT_MAX_SEARCHES +
					  TRANSIENT_PER_CPU * num_possible_cpus();
	probes[PROBE_CONNECT].rp.maxactive = EPHPORT_MAX_SEARCHES +
					     TRANSIENT_PER_CPU * num_possible_cpus();
	probes[PROBE_BUCKET].rp.maxactive = probes[PROBE_CONNECT].rp.maxactive;
	probes[PROBE_BUCKET2].rp.maxactive = probes[PROBE_CONNECT].rp.maxactive;
	/* writers may sleep (allocating) or be preempted while they hold one */
	probes[PROBE_RESERVED].rp.maxactive = BITMAP_WRITERS_PER_CPU * num_possible_cpus();
	memset(draw_callers, 0, sizeof(draw_callers));
	memset(&check_caller, 0, sizeof(check_caller));
	/*
	 * One by one: register_kprobes() would fail all for one missing.
	 * get_port goes last, and starts searches only once the draws'
	 * callers are known, so no search starts before its helpers are
	 * watched.  (Registering it disabled and enabling it later would
	 * leave it off for good if kprobes were switched off at load.)
	 */
	for (i = PROBE_COUNT - 1; i >= 0; i--) {
		if (i == PROBE_LOOKUP && !lookup)
			continue;
		err = is_site(i) ? register_at(&probes[i], find_site(i)) : register_one(&probes[i]);
		if (!err && caller_extent(i) &&
		    text_extent_of(probe_address(&probes[i]), caller_extent(i)))
			pr_warn("%s: extent unknown, its draws are not followed\n",
				probes[i].symbol);
		if (!err && i == PROBE_RESERVED)
			ephport_reserved_watch(&probes[i].rp);
		if (err && probes[i].required) {
			pr_err("cannot probe %s: %d\n", probes[i].symbols[0], err);
			goto unwind;
		}
		if (err)
			pr_info("%s not probed (%d): %s unavailable\n",
				probes[i].symbols[0], err, probes[i].purpose);
	}
	/* pairs with get_port_entry()'s acquire */
	smp_store_release(&callers_known, true);
	mutex_unlock(&probes_mutex);
	return 0;

unwind:
	for (i++; i < PROBE_COUNT; i++)
		unregister_one(&probes[i]);
	mutex_unlock(&probes_mutex);
	return err;
}

void ephport_probes_unregister(void)
{
	int i;

	mutex_lock(&probes_mutex);
	/* The search boundaries go first, so no new search starts. */
	for (i = 0; i < PROBE_COUNT; i++)
		unregister_one(&probes[i]);
	WRITE_ONCE(callers_known, false);
	mutex_unlock(&probes_mutex);
}

void ephport_probes_show(struct seq_file *m)
{
	int i;

	mutex_lock(&probes_mutex);
	for (i = 0; i < PROBE_COUNT; i++) {
		const struct ephport_probe *p = &probes[i];
		const char *kind = p->is_kretprobe ? "kretprobe" : "kprobe";

		if (p->symbol)
			seq_printf(m, "%s %s attached: %s\n", p->symbol, kind,
				   p->purpose);
		else if (i == PROBE_LOOKUP && !p->err)
			seq_printf(m, "%s %s not attached (load with detail=candidates): %s\n",
				   p->symbols[0], kind, p->purpose);
		else
			seq_printf(m, "%s %s missing (%pe%s): %s\n",
				   p->symbols[0], kind, ERR_PTR(p->err),
				   p->required ? ", required" :
				   p->err != -ENOENT ? "" : is_site(i) ?
				   ", not found once in its caller's code" :
				   ", no such symbol: inlined or absent",
				   p->purpose);
	}
	mutex_unlock(&probes_mutex);
	if (!ephport_connect_secrets_allowed())
		seq_puts(m, EPHPORT_WITHHELD "\n");
}

void ephport_probes_show_stats(struct seq_file *m)
{
	int i, cpu;

	for (i = 0; i < PROBE_COUNT; i++) {
		const struct ephport_probe *p = &probes[i];
		unsigned long missed;
		u64 hits = 0;

		for_each_possible_cpu(cpu)
			hits += per_cpu(probe_hits, cpu)[i];
		missed = p->is_kretprobe ? kretprobe_missed(p) : p->kp.nmissed;
		seq_printf(m, "probe %s hits %llu missed %lu\n",
			   p->symbol ?: p->symbols[0], hits, missed);
	}
}
