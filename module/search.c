// SPDX-License-Identifier: GPL-2.0
/* Search slots, configuration and records: the walks' shared core (search.h). */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/hash.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <net/inet_hashtables.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "compat.h"
#include "connect.h"
#include "counters.h"
#include "record.h"
#include "reserved.h"
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
/* Slots in use: lets helper probes bail out without scanning. */
static atomic_t active = ATOMIC_INIT(0);
static atomic64_t next_search_id = ATOMIC64_INIT(0);
static DEFINE_PER_CPU(struct ephport_search_stats, search_stats);

/* Plain words so probe handlers never wait on a lock (spinlocks sleep on RT). */
static enum ephport_detail config_detail = EPHPORT_DETAIL_PASSES;
static pid_t config_pid;
static u32 config_netns;

#define count(field) this_cpu_inc(search_stats.field)

/*
 * Candidate records one probe handler writes at most: the handler runs
 * with preemption off, and a whole-range pass without SO_REUSEADDR tries
 * up to 65534 ports.  Past this share the pass records still say how many
 * were examined, and the search ends incomplete (counted as capped).
 */
#define EPHPORT_CANDIDATES_PER_HANDLER 1024

static void batch_flush(struct ephport_batch *b)
{
	if (b->n)
		ephport_ring_write(b->rec, b->n);
	b->n = 0;
}

static void batch_add(struct ephport_batch *b, const struct ephport_record *rec)
{
	b->rec[b->n++] = *rec;
	if (b->n == EPHPORT_BATCH)
		batch_flush(b);
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
static void build_begin(struct ephport_search *s, struct ephport_record *rec)
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

static void write_begin(struct ephport_search *s, struct ephport_record *rec)
{
	trace_search_begin(s->id, &rec->begin);
	ephport_ring_write(rec, 1);
	s->first_seq = rec->seq;
	ephport_ring_kick();
}

static void emit_begin(struct ephport_search *s)
{
	struct ephport_record rec;

	build_begin(s, &rec);
	write_begin(s, &rec);
}

/*
 * A slot for a search by the current task, or NULL if not traced:
 * @connect's, or else bind()'s or UDP's by the socket's protocol.
 */
static struct ephport_search *claim(struct sock *sk, bool connect)
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
	s->nr_written = 0;
	s->pass_no = 0;
	s->examined = 0;
	s->reserved = 0;
	s->found_port = 0;
	s->probed = 0;
	s->incomplete = false;
	s->alloc_failed = false;
	s->capped = false;
	s->draws_lost = false;
	if (connect)
		s->kind = EPHPORT_WALK_CONNECT;
	else if (sk->sk_protocol == IPPROTO_UDP || sk->sk_protocol == IPPROTO_UDPLITE)
		s->kind = EPHPORT_WALK_UDP;
	else
		s->kind = EPHPORT_WALK_BIND;
	s->perturb_known = false;
	s->udp_drawn = false;
	s->udp_slots = 0;
	/* connect and UDP: verdicts read after one walk (bind: per half pass) */
	if (s->kind != EPHPORT_WALK_BIND && s->detail == EPHPORT_DETAIL_CANDIDATES)
		s->reserved_stable = ephport_reserved_stamp(&s->reserved_stamp);
	return s;
}

/* The search is followed: its helpers find it from now on. */
static struct ephport_search *tracked(struct ephport_search *s)
{
	count(searches);
	atomic_inc(&active);
	return s;
}

static struct ephport_search *started(struct ephport_search *s)
{
	emit_begin(s);
	return tracked(s);
}

struct ephport_search *ephport_search_begin(struct sock *sk)
{
	struct ephport_search *s = claim(sk, false);
	unsigned int slots;

	if (!s)
		return NULL;
	if (s->kind == EPHPORT_WALK_UDP) {
		const struct udp_table *table = ephport_udp_table(sk);

		/* a power of 2 up to one slot per port, or the walk is not the model's */
		slots = table ? READ_ONCE(table->mask) + 1 : 0;
		s->udp_slots = is_power_of_2(slots) && slots <= EPHPORT_PORTS ? slots : 0;
	}
	return started(s);
}

struct ephport_search *ephport_search_begin_connect(struct sock *sk, u64 hash,
						    bool checks_probed, bool begin_later,
						    bool locks_probed)
{
	struct ephport_search *s = claim(sk, true);

	if (!s)
		return NULL;
	s->hash = hash;
	s->nr_established = 0;
	s->tw_reused = false;
	s->reasons_known = checks_probed;
	s->perturb_rechecked = false;
	s->perturb_used = false;
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
		return tracked(s);
	}
	s->perturb_known = ephport_connect_perturb(hash, &s->perturb);
	return started(s);
}

void ephport_search_connect_ranged(struct ephport_search *s)
{
	struct ephport_begin *b = &s->begin.begin;

	u32 entry_stamp = s->range_stamp;
	int sock_low = s->sock_low, sock_high = s->sock_high;

	if (!s->begin_pending || s->ranged)
		return;
	s->ranged = true;
	build_begin(s, &s->begin);
	/* the kernel read the range between entry and here: written meanwhile? */
	if (s->range_stamp != entry_stamp || s->sock_low != sock_low || s->sock_high != sock_high)
		s->draws_lost = true;
	/* last, nearest the kernel's own read */
	s->perturb_known = ephport_connect_perturb(s->hash, &s->perturb);
	b->perturb = s->perturb;
	b->perturb_known = s->perturb_known;
}

/*
 * connect()'s begin, held back until its end: some of its helpers are
 * instruction probes, whose int3 handlers run as NMIs, where the ring's
 * lock is not taken.
 */
static void write_held_begin(struct ephport_search *s)
{
	if (!s->begin_pending)
		return;
	s->begin_pending = false;
	if (s->ranged)
		write_begin(s, &s->begin);
	else
		emit_begin(s);
}

struct ephport_search *ephport_search_current(void)
{
	return in_task() ? ephport_search_of_task() : NULL;
}

struct ephport_search *ephport_search_of_task(void)
{
	int i;

	if (likely(!atomic_read(&active)))
		return NULL;
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
static enum ephport_verdict verdict_of(const struct ephport_search *s, int port,
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
		rec.cand.verdict = verdict_of(s, port, i == chosen_index);
		s->reserved += rec.cand.verdict == EPHPORT_RESERVED;
		trace_candidate(s->id, &rec.cand);
		batch_add(batch, &rec);
	}
}

/*
 * Verdicts are read once the walk is over, after the kernel's own checks:
 * they are what the kernel saw only if ip_local_reserved_ports did not
 * change since the walk (bind: the half pass) began.
 */
static void check_verdicts(struct ephport_search *s)
{
	u64 stamp;

	if (s->detail == EPHPORT_DETAIL_CANDIDATES &&
	    (!s->reserved_stable || !ephport_reserved_stamp(&stamp) ||
	     stamp != s->reserved_stamp))
		s->incomplete = true;
}

/*
 * Writes the passes of half pass @h, derived from its range and draw, once
 * it is over: each pass runs until the chosen port (@chosen, or -1) or to
 * its end.  Returns false once the chosen port is reached.
 */
static bool emit_half_pass(struct ephport_search *s, unsigned int h, int chosen)
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
	unsigned int budget = EPHPORT_CANDIDATES_PER_HANDLER;
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
			batch_add(batch, &rec);
		}
		if (s->detail == EPHPORT_DETAIL_CANDIDATES)
			emit_candidates(s, batch, &sw, count, index, &budget);
		s->examined += count;
		if (index >= 0) {
			exhausted = false;
			break;
		}
	}
	check_verdicts(s);
	batch_flush(batch);
	s->nr_written = h + 1;
	return exhausted;
}

/*
 * @ceil is the bound of a draw made by the search's own code (the caller
 * is checked), so the half pass before it, if any, ran dry: it is written
 * now.  The kernel has just read the range and split it, so the model's
 * next half pass must have the same width.  When the model cannot follow
 * (a draw @missed, range unreadable or changed), no further pass is
 * reconstructed and the search ends incomplete.
 */
bool ephport_search_half_pass(struct ephport_search *s, u32 ceil, bool missed)
{
	struct ephport_walk walk = s->walk;
	struct ephport_half_pass hp;
	unsigned int n = s->nr_half;
	int low, high, sock_low, sock_high;
	u32 stamp;

	/* a kprobe that traps rather than going through ftrace runs as an NMI */
	if (s->draws_lost || in_nmi())
		goto lost;
	if (n > s->nr_written) {
		emit_half_pass(s, n - 1, -1);
		ephport_ring_kick();
	}
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
	if (s->detail == EPHPORT_DETAIL_CANDIDATES)
		s->reserved_stable = ephport_reserved_stamp(&s->reserved_stamp);
	return true;

lost:
	ephport_search_draws_lost(s);
	return false;
}

void ephport_search_draws_lost(struct ephport_search *s)
{
	s->draws_lost = true;
}

bool ephport_search_stride_draw(struct ephport_search *s, u32 upper)
{
	/* one stride a connect(): a second draw is not the model's */
	if (s->stride_upper) {
		s->draws_lost = true;
		return false;
	}
	s->stride_upper = upper;
	return true;
}

void ephport_search_draw(struct ephport_search *s, u32 draw)
{
	if (s->kind == EPHPORT_WALK_CONNECT) {
		s->stride_draw = draw;
		s->stride_drawn = true;
		return;
	}
	s->draw[s->nr_half - 1] = draw;
}

static void release(struct ephport_search *s)
{
	atomic_dec(&active);
	/* the slot's contents are done with before another task claims it */
	smp_store_release(&s->task, NULL);
}

/* Writes the end, @err and the port chosen (0 on failure), and lets the slot go. */
static void finish(struct ephport_search *s, int err, int port, bool probed_valid)
{
	struct ephport_record rec = {
		.search = s->id,
		.type = EPHPORT_REC_END,
		.end.err = err,
		.end.port = port,
	};
	struct ephport_end_rec *e = &rec.end;

	/* the fast clock may read a few ns behind on another CPU: never wrap */
	e->ns = max_t(s64, ktime_get_mono_fast_ns() - s->begin_ns, 0);
	/* the wall clock, NMI-safe as a probe handler needs */
	e->ts = ktime_get_real_fast_ns();
	e->passes = s->pass_no;
	e->examined = s->examined;
	e->incomplete = s->incomplete || s->draws_lost || s->capped;
	if (probed_valid && s->kind == EPHPORT_WALK_BIND &&
	    s->detail == EPHPORT_DETAIL_CANDIDATES && !ephport_use_hash2_on_bind(s->sk)) {
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

/* The port the search settled on, from get_port's or connect's @ret. */
static int chosen_port(struct ephport_search *s, int ret)
{
	if (!ret && !s->found_port)
		return inet_sk(s->sk)->inet_num;
	return s->found_port;
}

/*
 * UDP's walk, derived from the draw once the search is over: one pass
 * record for the slots walked, and the ports in range it visited.
 */
static void emit_udp(struct ephport_search *s, int chosen)
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
	unsigned int budget = EPHPORT_CANDIDATES_PER_HANDLER;
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
		batch_add(batch, &rec);
	}
	/* at most 2^16 steps, each a few instructions, with preemption off */
	ephport_udp_iter_init(&it, &w, 0);
	while (s->detail == EPHPORT_DETAIL_CANDIDATES && (port = ephport_udp_next(&it)) >= 0) {
		if (!budget--) {
			s->capped = true;
			break;
		}
		cand.cand.port = port;
		cand.cand.verdict = verdict_of(s, port, port == chosen);
		trace_candidate(s->id, &cand.cand);
		batch_add(batch, &cand);
		if (port == chosen)
			break;
	}
	check_verdicts(s);
	batch_flush(batch);
}

/*
 * inet_csk_get_port() or udp_lib_get_port() returned @ret: 0 with the port
 * in inet_num, an errno, or 1 on kernels before 6.0, which meant
 * EADDRINUSE.  The half pass still open is written, then the end.
 */
void ephport_search_end(struct ephport_search *s, int ret, bool probed_valid)
{
	int chosen = chosen_port(s, ret), err = ret > 0 ? -EADDRINUSE : ret;
	int port = ret ? 0 : chosen;
	bool found = chosen > 0;

	if (!found)
		chosen = -1;
	if (s->kind == EPHPORT_WALK_UDP) {
		/*
		 * With SO_REUSEPORT a port found can still fail (joining its
		 * group): a failure is a walk that ran dry only without it.
		 */
		if (s->udp_drawn && s->udp_slots && !s->draws_lost &&
		    (!err || (err == -EADDRINUSE && !s->sk->sk_reuseport)))
			emit_udp(s, chosen);
		else
			s->incomplete = true;
	} else {
		if (!s->nr_half)
			s->incomplete = true;
		/*
		 * A port was found but its bucket not allocated, so get_port
		 * failed: where the open half pass stopped is known only from
		 * find_open_port, and never was the range dry.
		 */
		if (s->alloc_failed) {
			s->incomplete = true;
			if (!found)
				s->nr_half = s->nr_written;
		}
		/*
		 * The half pass still open: incomplete if the model found a
		 * port where the kernel found nothing, or the reverse.
		 */
		if (s->nr_written < s->nr_half &&
		    emit_half_pass(s, s->nr_half - 1, chosen) == found)
			s->incomplete = true;
	}
	finish(s, err, port, probed_valid);
}

/*
 * The range the search's walk read is still the one read at entry: the
 * netns's and the socket's own (another thread may set IP_LOCAL_PORT_RANGE
 * without the socket lock).
 */
static bool range_unchanged(struct ephport_search *s)
{
	int low, high, sock_low, sock_high;
	u32 stamp;

	ephport_sock_range(s->sk, &sock_low, &sock_high);
	return ephport_search_range(s->sk, &low, &high, &stamp) && stamp == s->range_stamp &&
	       low == s->range_low &&
	       high == s->range_high && sock_low == s->sock_low && sock_high == s->sock_high;
}

void ephport_search_udp_draw(struct ephport_search *s, u32 draw)
{
	/* the range the kernel read just before its draw is still the entry's */
	if (!range_unchanged(s))
		s->draws_lost = true;
	s->udp_draw = draw;
	s->udp_drawn = true;
}

void ephport_search_connect_walking(struct ephport_search *s)
{
	u32 now;

	if (s->perturb_rechecked)
		return;
	s->perturb_rechecked = true;
	/*
	 * Each connect() adds to the slot: the same value on both sides of
	 * the kernel's read is the value it read.  Beyond sight: writes that
	 * took it away and back in between, which needs a writer that read
	 * before our entry and stored, after another's store, exactly that
	 * other's sum.
	 */
	s->perturb_used = s->perturb_known && ephport_connect_perturb(s->hash, &now) &&
			  now == s->perturb;
}

void ephport_search_connect_locking(struct ephport_search *s, bool seen_all)
{
	if (!seen_all)
		s->locks_counted = false;
	s->locked++;
	ephport_search_connect_walking(s);
}

/*
 * Before 6.15 connect() locks every port it walks to but the reserved:
 * with none of those in its range, as many locks as ports examined, or
 * the walk derived is not the kernel's (a slot's value taken away and
 * back between the module's two reads, say).  True when it cannot tell.
 */
static bool locks_agree(const struct ephport_search *s, int low, int high)
{
	const unsigned long *reserved = READ_ONCE(s->net->ipv4.sysctl_local_reserved_ports);

	if (!s->locks_counted ||
	    (reserved && find_next_bit(reserved, high + 1, low) <= high))
		return true;
	return s->locked == s->examined;
}

void ephport_search_alloc_failed(struct ephport_search *s)
{
	s->alloc_failed = true;
}

void ephport_search_checked(struct ephport_search *s, u16 port, int ret, bool tw,
			    bool seen_all)
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

/*
 * 7.x: the stride the kernel walked with, into @hp.  It reads
 * ip_local_port_step_width once, between the module's reads at entry and
 * now: with both equal, the stride's draw was seen with the bound that
 * width gives, or there was none (width 0, or a range of one port).  A
 * width changed and changed back in between is beyond what can be seen.
 */
static bool connect_stride_known(const struct ephport_search *s,
				 struct ephport_half_pass *hp)
{
	u32 width = ephport_port_step_width(s->net), sweep = hp->remaining / hp->step;

	if (!EPHPORT_CONNECT_STRIDE)
		return true;
	if (width != s->step_width)
		return false;
	if (!width || hp->remaining <= 1)
		return !s->stride_upper;
	return s->stride_drawn && s->stride_upper == min(sweep, width) &&
	       ephport_connect_stride(hp, s->stride_upper, s->stride_draw);
}

/*
 * Every failed 4-tuple check was of a port the walk passed by before it
 * reached the chosen one (@index in its last sweep), or before it ran dry,
 * and they came in the walk's order: for a failed search, whose walk
 * covers every port whatever its start, the order is what tells.
 */
static bool checks_on_walk(const struct ephport_search *s, const struct ephport_half_pass *hp,
			   unsigned int offset, unsigned int sweeps, int index)
{
	long long last = -1;
	unsigned int i;

	for (i = 0; i < s->nr_established; i++) {
		struct ephport_sweep sw;
		long long at_walk = -1;

		ephport_sweep_init(&sw, hp, offset);
		while (at_walk < 0 && sw.n < sweeps && ephport_sweep_next(&sw)) {
			int at = ephport_sweep_index(&sw, s->established[i]);

			if (at >= 0 && (sw.n < sweeps || index < 0 || at < index))
				at_walk = (long long)(sw.n - 1) * EPHPORT_PORTS + at;
		}
		if (at_walk <= last)
			return false;
		last = at_walk;
	}
	return true;
}

/*
 * Writes connect()'s walk, derived only from what the kernel surely used:
 * the slot's value as the kernel read it (see
 * ephport_search_connect_walking()), the range unchanged since entry, and
 * 7.x's stride.  The ports its checks failed on must lie on that walk.  A
 * failure other than running out of ports (-ENOMEM) came after a port was
 * picked: not a walk that ran dry.  False when the walk is not known.
 */
static bool emit_connect_walk(struct ephport_search *s, int ret, int chosen)
{
	struct ephport_half_pass *hp = &s->half[0];
	struct ephport_sweep sw;
	unsigned int offset;
	int index = -1;

	if (!s->perturb_used || (ret && ret != -EADDRNOTAVAIL) || s->draws_lost ||
	    !range_unchanged(s))
		return false;
	ephport_connect_begin(s->range_low, s->range_high,
			      ephport_connect_one_sweep(s->sock_low, s->sock_high), hp);
	if (!connect_stride_known(s, hp))
		return false;
	offset = ephport_connect_offset(hp, s->perturb, s->hash);
	ephport_sweep_init(&sw, hp, offset);
	while (chosen > 0 && index < 0 && ephport_sweep_next(&sw))
		index = ephport_sweep_index(&sw, chosen);
	if ((chosen > 0 && index < 0) ||
	    !checks_on_walk(s, hp, offset, chosen > 0 ? sw.n : hp->sweeps, index))
		return false;
	s->draw[0] = offset;
	s->nr_half = 1;
	/* the walk ran dry where the kernel found nothing, and the reverse */
	return emit_half_pass(s, 0, chosen) != !ret &&
	       locks_agree(s, s->range_low, s->range_high);
}

void ephport_search_end_connect(struct ephport_search *s, int ret, bool checks_seen)
{
	int chosen = ret ? -1 : chosen_port(s, ret);

	if (!checks_seen)
		s->reasons_known = false;
	/* a success moved the slot first: its walk was seen before, or not at all */
	if (ret)
		ephport_search_connect_walking(s);
	write_held_begin(s);
	if (!emit_connect_walk(s, ret, chosen))
		s->incomplete = true;
	finish(s, ret, ret ? 0 : chosen, false);
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
