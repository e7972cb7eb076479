// SPDX-License-Identifier: GPL-2.0
/* Search slots, configuration and records: the walks' shared core (search.h). */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/ctype.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/hash.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <net/inet_hashtables.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "compat.h"
#include "perturb.h"
#include "probe.h"
#include "counters.h"
#include "record.h"
#include "writers.h"
#include "ring.h"
#include "search.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

const char *const ephport_detail_names[EPHPORT_DETAIL_COUNT] = {
	[EPHPORT_DETAIL_SEARCHES] = "searches",
	[EPHPORT_DETAIL_PASSES] = "passes",
	[EPHPORT_DETAIL_CANDIDATES] = "candidates",
};

static struct ephport_search slots[EPHPORT_MAX_SEARCHES];
atomic_t ephport_searches_active = ATOMIC_INIT(0);
static atomic64_t next_search_id = ATOMIC64_INIT(0);
static DEFINE_PER_CPU(struct ephport_search_stats, search_stats);

/* Plain words so probe handlers never wait on a lock (spinlocks sleep on RT). */
static enum ephport_detail config_detail = EPHPORT_DETAIL_PASSES;
static pid_t config_pid;
static u32 config_netns;

#define count(field) this_cpu_inc(search_stats.field)

void ephport_batch_flush(struct ephport_batch *b)
{
	if (b->n)
		ephport_ring_write(b->rec, b->n);
	b->n = 0;
}

void ephport_batch_add(struct ephport_batch *b, const struct ephport_record *rec)
{
	b->rec[b->n++] = *rec;
	if (b->n == EPHPORT_BATCH)
		ephport_batch_flush(b);
}

/* A task's slot is looked for first where its pointer hashes to. */
static unsigned int slot_of(const struct task_struct *task, unsigned int i)
{
	return (hash_ptr(task, EPHPORT_SEARCH_BITS) + i) & (EPHPORT_MAX_SEARCHES - 1);
}

void ephport_config_get(struct ephport_config *config)
{
	config->detail = READ_ONCE(config_detail);
	config->pid = READ_ONCE(config_pid);
	config->netns = READ_ONCE(config_netns);
}

void ephport_config_set(const struct ephport_config *config)
{
	WRITE_ONCE(config_detail, config->detail);
	WRITE_ONCE(config_pid, config->pid);
	WRITE_ONCE(config_netns, config->netns);
}

/*
 * comm goes into a space-separated line: keep it one printable word.
 * Copied without task_lock(), which sleeps on PREEMPT_RT, as ftrace does.
 */
static void copy_comm(char *dst)
{
	int i;

	memcpy(dst, current->comm, TASK_COMM_LEN);
	dst[TASK_COMM_LEN - 1] = '\0';
	for (i = 0; i < TASK_COMM_LEN && dst[i]; i++)
		if (!isgraph(dst[i]) || dst[i] == '=')
			dst[i] = '?';
	/* a shorter name set later leaves the old one's tail: not given out */
	memset(dst + i, 0, TASK_COMM_LEN - i);
}

/* The begin as the search starts: its range read now, as the kernel's is. */
void ephport_search_build_begin(struct ephport_search *s, struct ephport_record *rec)
{
	struct ephport_begin *b = &rec->begin;
	const struct sock *sk = s->sk;
	int low = 0, high = 0;

	memset(rec, 0, sizeof(*rec));
	rec->search = s->id;
	rec->type = EPHPORT_REC_BEGIN;

	b->pid = task_tgid_nr(current);
	b->tid = task_pid_nr(current);
	b->netns = s->net->ns.inum;
	b->family = ephport_family_of(sk->sk_family);
	b->proto = ephport_proto_of(sk->sk_protocol);
	b->reuse = s->walk.reuse;
	b->reuseport = sk->sk_reuseport;
	b->op = s->kind == EPHPORT_WALK_CONNECT ? EPHPORT_OP_CONNECT : EPHPORT_OP_BIND;
	/* 0-0 (and incomplete): a writer kept the range changing */
	if (!ephport_net_range(s->net, &low, &high, &s->range_stamp)) {
		s->incomplete = true;
		/* without a first stamp, no later read proves anything */
		s->draws_lost = true;
	}
	b->range_low = low;
	b->range_high = high;
	ephport_sock_range(sk, &low, &high);
	b->sock_low = low;
	b->sock_high = high;
	s->sock_low = low;
	s->sock_high = high;
	/* connect and UDP: the range their walk reads just after entry */
	s->range_low = b->range_low;
	s->range_high = b->range_high;
	ephport_apply_sock_range(&s->range_low, &s->range_high, low, high);
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6)
		memcpy(b->addr, &sk->sk_v6_rcv_saddr, sizeof(struct in6_addr));
	else
#endif
		memcpy(b->addr, &sk->sk_rcv_saddr, sizeof(sk->sk_rcv_saddr));
	if (s->kind == EPHPORT_WALK_CONNECT) {
#if IS_ENABLED(CONFIG_IPV6)
		if (sk->sk_family == AF_INET6)
			memcpy(b->daddr, &sk->sk_v6_daddr, sizeof(struct in6_addr));
		else
#endif
			memcpy(b->daddr, &sk->sk_daddr, sizeof(sk->sk_daddr));
		b->dport = ntohs(sk->sk_dport);
		b->hash = s->hash;
		b->slot = s->hash & (EPHPORT_PERTURB_SIZE - 1);
		b->perturb = s->perturb;
		b->perturb_known = s->perturb_known;
	}
	copy_comm(b->comm);
}

void ephport_search_write_begin(struct ephport_search *s, struct ephport_record *rec)
{
	trace_search_begin(s->id, &rec->begin);
	ephport_ring_write(rec, 1);
	s->first_seq = rec->seq;
	ephport_ring_kick();
}

static void emit_begin(struct ephport_search *s)
{
	struct ephport_record rec;

	ephport_search_build_begin(s, &rec);
	ephport_search_write_begin(s, &rec);
}

/*
 * A slot for a search by the current task, or NULL if not traced:
 * @connect's, or else bind()'s or UDP's by the socket's protocol.
 */
struct ephport_search *ephport_search_claim(struct sock *sk, enum ephport_walk_kind kind)
{
	struct ephport_config config;
	struct ephport_search *s;
	struct net *net = sock_net(sk);
	int i;

	ephport_config_get(&config);
	if (config.pid && config.pid != task_tgid_nr(current))
		return NULL;
	if (config.netns && config.netns != net->ns.inum)
		return NULL;

	for (i = 0; i < EPHPORT_MAX_SEARCHES; i++) {
		s = &slots[slot_of(current, i)];
		if (!cmpxchg(&s->task, NULL, current))
			break;
	}
	if (i == EPHPORT_MAX_SEARCHES) {
		count(untracked);
		return NULL;
	}
	s->id = atomic64_inc_return(&next_search_id);
	s->begin_ns = ktime_get_mono_fast_ns();
	s->sk = sk;
	s->net = net;
	s->detail = config.detail;
	ephport_walk_init(&s->walk, sk->sk_reuse == SK_CAN_REUSE);
	s->nr_half = 0;
	s->nr_dry = 0;
	s->nr_written = 0;
	s->pass_no = 0;
	s->examined = 0;
	s->reserved = 0;
	s->found_port = 0;
	s->probed = 0;
	s->incomplete = false;
	s->alloc_failed = false;
	s->bucket_created = false;
	s->capped = false;
	s->draws_lost = false;
	s->kind = kind;
	s->perturb_known = false;
	s->udp_drawn = false;
	s->udp_slots = 0;
	s->probed_valid = false;
	/*
	 * Verdicts are read once the search is over, so reserved ports must
	 * not have changed since it began; connect's count of locks too,
	 * which reserved ports skip.
	 */
	if (kind == EPHPORT_WALK_CONNECT || s->detail == EPHPORT_DETAIL_CANDIDATES)
		s->reserved_stable = ephport_writers_stamp(EPHPORT_SYSCTL_RESERVED,
							   &s->reserved_stamp);
	return s;
}

struct ephport_search *ephport_search_track(struct ephport_search *s, bool write_begin)
{
	if (write_begin)
		emit_begin(s);
	count(searches);
	atomic_inc(&ephport_searches_active);
	return s;
}

struct ephport_search *ephport_search_begin(struct sock *sk, unsigned short snum)
{
	struct ephport_search *s;
	bool udp;

	/* listen() calls again with the bound port: only 0 is a search */
	if (snum || !ephport_probes_ready())
		return NULL;
	udp = sk->sk_protocol == IPPROTO_UDP || sk->sk_protocol == IPPROTO_UDPLITE;
	s = ephport_search_claim(sk, udp ? EPHPORT_WALK_UDP : EPHPORT_WALK_BIND);
	return s ? ephport_search_track(s, true) : NULL;
}

/* Past the inline check: some search is in flight, maybe the task's. */
struct ephport_search *ephport_search_lookup(void)
{
	int i;

	for (i = 0; i < EPHPORT_MAX_SEARCHES; i++) {
		struct ephport_search *s = &slots[slot_of(current, i)];

		if (READ_ONCE(s->task) == current)
			return s;
	}
	return NULL;
}

static bool check_failed(const struct ephport_search *s, int port)
{
	unsigned int i;

	for (i = 0; i < s->nr_established; i++)
		if (s->established[i] == port)
			return true;
	return false;
}

/*
 * Why the walk passed @port by, or took it.  connect() skips a port a
 * bind() user holds without checking its 4-tuple: a port neither reserved
 * nor checked was held by one, when every check was seen (before 6.15).
 */
enum ephport_verdict ephport_search_verdict(const struct ephport_search *s, int port,
					    bool chosen)
{
	bool reasons = s->kind == EPHPORT_WALK_CONNECT && s->reasons_known;

	if (chosen)
		return reasons && s->tw_reused ? EPHPORT_TIMEWAIT : EPHPORT_FREE;
	if (inet_is_local_reserved_port(s->net, port))
		return EPHPORT_RESERVED;
	if (!reasons)
		return EPHPORT_INUSE;
	if (check_failed(s, port))
		return EPHPORT_ESTABLISHED;
	/*
	 * 6.15+ passes by a port whose bucket looks bind()'s without a
	 * check, and a bucket another connect() is creating looks so for an
	 * instant (its fastreuse is set after it is hashed): in use, no more.
	 */
	return EPHPORT_CHECK_PRECHECK ? EPHPORT_INUSE : EPHPORT_BIND_BUCKET;
}

static void emit_candidates(struct ephport_search *s, struct ephport_batch *batch,
			    const struct ephport_sweep *sw, unsigned int count,
			    int chosen_index, unsigned int *budget)
{
	struct ephport_record rec = {
		.search = s->id,
		.type = EPHPORT_REC_CAND,
		.cand.pass = s->pass_no,
	};
	unsigned int i;

	for (i = 0; i < count; i++) {
		int port = ephport_sweep_port(sw, i);

		if (!*budget) {
			s->capped = true;
			return;
		}
		--*budget;
		rec.cand.port = port;
		rec.cand.verdict = ephport_search_verdict(s, port, i == chosen_index);
		s->reserved += rec.cand.verdict == EPHPORT_RESERVED;
		trace_candidate(s->id, &rec.cand);
		ephport_batch_add(batch, &rec);
	}
}

/*
 * Verdicts are read once the search is over, after the kernel's own
 * checks: they are what the kernel saw only if ip_local_reserved_ports
 * did not change since the search began.
 */
void ephport_search_check_verdicts(struct ephport_search *s)
{
	u32 stamp;

	if (s->detail == EPHPORT_DETAIL_CANDIDATES &&
	    (!s->reserved_stable || !ephport_writers_stamp(EPHPORT_SYSCTL_RESERVED, &stamp) ||
	     stamp != s->reserved_stamp))
		s->incomplete = true;
}

/*
 * Writes the passes of half pass @h, derived from its range and draw, once
 * it is over: each pass runs until the chosen port (@chosen, or -1) or to
 * its end.  Returns false once the chosen port is reached.
 */
bool ephport_search_emit_half_pass(struct ephport_search *s, unsigned int h, int chosen)
{
	const struct ephport_half_pass *hp = &s->half[h];
	struct ephport_record rec = {
		.search = s->id,
		.type = EPHPORT_REC_PASS,
		.pass.half = hp->half,
		.pass.relax = hp->relax,
		.pass.low = hp->low,
		.pass.high = hp->high,
	};
	unsigned int budget = EPHPORT_CANDIDATES_CAP;
	struct ephport_batch *batch = &s->batch;
	struct ephport_sweep sw;
	bool exhausted = true;

	rec.pass.has_step = s->kind != EPHPORT_WALK_BIND;
	rec.pass.step = hp->step;
	if (EPHPORT_CONNECT_STRIDE && s->kind == EPHPORT_WALK_CONNECT)
		rec.pass.stride = hp->stride;
	ephport_sweep_init(&sw, hp, s->draw[h]);
	while (ephport_sweep_next(&sw)) {
		int index = chosen < 0 ? -1 : ephport_sweep_index(&sw, chosen);
		unsigned int count = index < 0 ? sw.length : index + 1;

		rec.pass.pass = ++s->pass_no;
		rec.pass.offset = sw.offset;
		rec.pass.start = ephport_sweep_port(&sw, 0);
		rec.pass.examined = count;
		if (s->detail >= EPHPORT_DETAIL_PASSES) {
			trace_pass(s->id, &rec.pass);
			ephport_batch_add(batch, &rec);
		}
		if (s->detail == EPHPORT_DETAIL_CANDIDATES)
			emit_candidates(s, batch, &sw, count, index, &budget);
		s->examined += count;
		if (index >= 0) {
			exhausted = false;
			break;
		}
	}
	ephport_search_check_verdicts(s);
	ephport_batch_flush(batch);
	s->nr_written = h + 1;
	return exhausted;
}

/*
 * Searches handed over and not yet written: copies, so that their slots
 * are free at once, in a pool allocated the first time candidates are
 * asked for.  Even a high-priority worker may wait tens of ms for its CPU
 * on a busy box (31 ms behind three nice-0 tasks was seen on 6.12 under
 * TCG), so the pool holds a few hundred; past that a search is written at
 * once, without its candidates.
 */
static struct ephport_search *handed_pool;
static DECLARE_BITMAP(handed_used, EPHPORT_HANDED_OVER_MAX);
static atomic_t handed_over = ATOMIC_INIT(0);

static void release(struct ephport_search *s)
{
	if (s->handed) {
		clear_bit_unlock(s - handed_pool, handed_used);
		atomic_dec(&handed_over);
		return;
	}
	atomic_dec(&ephport_searches_active);
	/* the slot's contents are done with before another task claims it */
	smp_store_release(&s->task, NULL);
}

void ephport_search_returned(struct ephport_search *s)
{
	s->return_ns = ktime_get_mono_fast_ns();
	/* the wall clock, NMI-safe as a probe handler needs */
	s->return_ts = ktime_get_real_fast_ns();
}

/*
 * Writes the end, ret and the port chosen (0 on failure or none), and lets
 * the slot (or pool entry) go.
 */
void ephport_search_finish(struct ephport_search *s)
{
	struct ephport_record rec = {
		.search = s->id,
		.type = EPHPORT_REC_END,
		.end.err = s->ret,
		.end.port = s->ret || s->chosen < 0 ? 0 : s->chosen,
	};
	struct ephport_end_rec *e = &rec.end;

	/* the fast clock may read a few ns behind on another CPU: never wrap */
	e->ns = max_t(s64, s->return_ns - s->begin_ns, 0);
	e->ts = s->return_ts;
	e->passes = s->pass_no;
	e->examined = s->examined;
	e->incomplete = s->incomplete || s->draws_lost || s->capped;
	if (s->probed_valid) {
		e->probed_valid = 1;
		e->probed = s->probed;
		if (!e->incomplete && s->probed != s->examined - s->reserved)
			count(model_mismatch);
	}
	/* a search whose own records were overwritten ends incomplete */
	ephport_ring_write_end(&rec, s->first_seq);
	trace_search_end(s->id, e);
	ephport_ring_kick();
	ephport_counters_add(s->net, s->kind, e);

	this_cpu_add(search_stats.passes, s->pass_no);
	this_cpu_add(search_stats.candidates, s->examined);
	if (e->err)
		count(failed);
	else
		count(found);
	if (e->incomplete)
		count(incomplete);
	if (s->capped)
		count(capped);
	release(s);
}

/*
 * Each CPU's searches handed over, and the work that writes them on that
 * CPU's high-priority pool.  It is queued for the next tick, so that it
 * writes a tick's searches in one run (queued at once for each, it cost
 * every search two context switches, which made detail=candidates far
 * dearer than passes: make bench), unless a quarter of the pool is
 * already waiting: then it is queued at once and, woken on this CPU,
 * takes it from the searching task (an unbound worker, woken wherever,
 * let connect()s on two busy CPUs get dozens of searches ahead of it).
 */
#define DEFERRED_WRITE_DELAY 1	/* jiffies */
#define DEFERRED_WRITE_NOW (EPHPORT_HANDED_OVER_MAX / 4)

struct deferred_writes {
	struct llist_head searches;
	struct delayed_work work;
};

static DEFINE_PER_CPU(struct deferred_writes, deferred_writes);

int ephport_search_want_candidates(void)
{
	struct ephport_search *pool;

	if (READ_ONCE(handed_pool))
		return 0;
	pool = vcalloc(EPHPORT_HANDED_OVER_MAX, sizeof(*pool));
	if (!pool)
		return -ENOMEM;
	/* fully ordered: the pool is there before detail=candidates is set */
	if (cmpxchg(&handed_pool, NULL, pool))
		vfree(pool);
	return 0;
}

/* Looks for a free entry in the pool before taking the search as capped. */
#define HAND_OVER_TRIES 4

/*
 * A copy of @s in the pool, or NULL when it is full (or not allocated).
 * Bits are set only by those counted in handed_over, and cleared before
 * they leave it, so one counted within the bound has a clear bit to find;
 * each CPU starts from a word of its own, so that they seldom race for a
 * bit (a lost race, or a scan that others' clears and sets made miss the
 * free bit, looks again, HAND_OVER_TRIES times in all).
 */
static struct ephport_search *hand_over(const struct ephport_search *s)
{
	struct ephport_search *pool = READ_ONCE(handed_pool);
	unsigned int i, start, tries;

	if (!pool)
		return NULL;
	if (atomic_inc_return(&handed_over) > EPHPORT_HANDED_OVER_MAX)
		goto full;
	start = smp_processor_id() % BITS_TO_LONGS(EPHPORT_HANDED_OVER_MAX) * BITS_PER_LONG;
	for (tries = 0; tries < HAND_OVER_TRIES; tries++) {
		i = find_next_zero_bit(handed_used, EPHPORT_HANDED_OVER_MAX, start);
		if (i == EPHPORT_HANDED_OVER_MAX)
			i = find_first_zero_bit(handed_used, EPHPORT_HANDED_OVER_MAX);
		if (i < EPHPORT_HANDED_OVER_MAX && !test_and_set_bit_lock(i, handed_used)) {
			/* half the struct, with preemption off; the entry's batch is empty */
			memcpy(&pool[i], s, offsetof(struct ephport_search, batch));
			pool[i].handed = true;
			return &pool[i];
		}
	}
full:
	atomic_dec(&handed_over);
	return NULL;
}

/* Writes the searches @d holds, oldest first within the batch: the worker's, or a flusher's. */
static void write_handed_over(struct deferred_writes *d)
{
	struct llist_node *list = llist_reverse_order(llist_del_all(&d->searches));
	struct ephport_search *s, *next;

	llist_for_each_entry_safe(s, next, list, deferred) {
		/* the copy is let go, maybe taken again, by its write */
		struct net *net = s->net;

		s->write(s);
		put_net(net);
		cond_resched();
	}
}

static void write_deferred(struct work_struct *work)
{
	write_handed_over(container_of(to_delayed_work(work), struct deferred_writes, work));
}

void ephport_search_write_rest(struct ephport_search *s, void (*write)(struct ephport_search *s),
			       bool candidates)
{
	struct ephport_search *copy;
	struct deferred_writes *d;

	if (!candidates || !ephport_search_deferred(s)) {
		write(s);
		return;
	}
	/*
	 * A backlog, or a netns already on its way out: its passes now, its
	 * candidates never
	 */
	copy = hand_over(s);
	/* claimed first: the handler never puts a netns reference */
	if (copy && !maybe_get_net(s->net)) {
		release(copy);
		copy = NULL;
	}
	if (!copy) {
		s->detail = EPHPORT_DETAIL_PASSES;
		s->capped = true;
		s->probed_valid = false;
		write(s);
		return;
	}
	/* the task's next search, which may start at once, takes a free slot */
	release(s);
	copy->write = write;
	/* the socket may be gone by then: nothing written later reads it */
	copy->sk = NULL;
	/*
	 * A return handler, with preemption off: queueing takes only raw
	 * locks (the workqueue's, the timer base's), and the probed
	 * functions, which take spinlock_t (sleeping on PREEMPT_RT), never
	 * run under them.  Already pending for the next tick, it is left
	 * as it is, or brought forward.
	 */
	d = this_cpu_ptr(&deferred_writes);
	llist_add(&copy->deferred, &d->searches);
	if (atomic_read(&handed_over) >= DEFERRED_WRITE_NOW)
		mod_delayed_work_on(smp_processor_id(), system_highpri_wq, &d->work, 0);
	else
		queue_delayed_work_on(smp_processor_id(), system_highpri_wq, &d->work,
				      DEFERRED_WRITE_DELAY);
}

void ephport_search_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct deferred_writes *d = per_cpu_ptr(&deferred_writes, cpu);

		init_llist_head(&d->searches);
		INIT_DELAYED_WORK(&d->work, write_deferred);
	}
}

void ephport_search_flush(void)
{
	int cpu;

	/*
	 * What no worker has taken yet is written here: a CPU kept by
	 * another task (an RT one) holds back only a write already begun.
	 */
	for_each_possible_cpu(cpu) {
		struct deferred_writes *d = per_cpu_ptr(&deferred_writes, cpu);

		write_handed_over(d);
		flush_delayed_work(&d->work);
	}
}

void ephport_search_exit(void)
{
	vfree(handed_pool);
}

/* The port the search settled on, from get_port's or connect's @ret. */
int ephport_search_chosen_port(struct ephport_search *s, int ret)
{
	if (!ret && !s->found_port)
		return inet_sk(s->sk)->inet_num;
	return s->found_port;
}

/*
 * The range the search's walk read is still the one read at entry: the
 * netns's and the socket's own (another thread may set IP_LOCAL_PORT_RANGE
 * without the socket lock).
 */
bool ephport_search_range_unchanged(struct ephport_search *s)
{
	int low, high, sock_low, sock_high;
	u64 stamp;

	ephport_sock_range(s->sk, &sock_low, &sock_high);
	return ephport_search_range(s->sk, &low, &high, &stamp) && stamp == s->range_stamp &&
	       low == s->range_low &&
	       high == s->range_high && sock_low == s->sock_low && sock_high == s->sock_high;
}

void ephport_search_get_stats(struct ephport_search_stats *stats)
{
	int cpu;

	memset(stats, 0, sizeof(*stats));
	for_each_possible_cpu(cpu) {
		const struct ephport_search_stats *c = per_cpu_ptr(&search_stats, cpu);

		stats->searches += c->searches;
		stats->passes += c->passes;
		stats->candidates += c->candidates;
		stats->found += c->found;
		stats->failed += c->failed;
		stats->untracked += c->untracked;
		stats->incomplete += c->incomplete;
		stats->capped += c->capped;
		stats->model_mismatch += c->model_mismatch;
	}
}
