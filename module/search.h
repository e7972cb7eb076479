/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The searches' core: one slot per port-0 search in flight, found by the
 * task that runs it (the search drops its locks and may resched onto
 * another CPU between candidates, so per-CPU state would not do), its
 * begin, passes, verdicts and end written to the ring and trace events.
 * bind.c, connect.c and udp.c drive it from their probes; it calls none
 * of them.
 */
#ifndef EPHPORT_SEARCH_H
#define EPHPORT_SEARCH_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/llist.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/types.h>

#include "ephport_model.h"
#include "probe.h"
#include "record.h"

/* connect()'s failed 4-tuple checks a search remembers, for its verdicts. */
#define EPHPORT_CONNECT_CHECKS 64

/* Searches traced at once; also the get_port kretprobe's maxactive. */
#define EPHPORT_SEARCH_BITS 6
#define EPHPORT_MAX_SEARCHES BIT(EPHPORT_SEARCH_BITS)

enum ephport_detail {
	EPHPORT_DETAIL_SEARCHES,
	EPHPORT_DETAIL_PASSES,
	EPHPORT_DETAIL_CANDIDATES,
	EPHPORT_DETAIL_COUNT,
};

extern const char *const ephport_detail_names[EPHPORT_DETAIL_COUNT];

struct sock;
struct net;

/*
 * Candidate records written for one half pass (UDP: its walk) at most: a
 * whole-range pass without SO_REUSEADDR tries up to 65534 ports, eight
 * times the default ring.  Past this share the pass records still say how
 * many were examined, and the search ends incomplete (counted as capped).
 */
#define EPHPORT_CANDIDATES_CAP 1024

/*
 * Searches handed to the worker at detail=candidates and not yet written,
 * at most (see ephport_search_write_rest()).
 */
#define EPHPORT_HANDED_OVER_MAX 256

/* Records handed to the ring under one lock round trip. */
#define EPHPORT_BATCH 4

struct ephport_batch {
	struct ephport_record rec[EPHPORT_BATCH];
	unsigned int n;		/* 0 between writes */
};

struct ephport_search {
	struct task_struct *task;	/* owner; NULL while the slot is free */
	u64 id;
	u64 begin_ns;
	/*
	 * when its function returned (monotonic, and CLOCK_REALTIME for the
	 * end's ts), taken before the end reads anything, verdicts included
	 */
	u64 return_ns, return_ts;
	struct sock *sk;
	struct net *net;
	enum ephport_walk_kind kind;	/* bind()'s, connect()'s or UDP's */
	enum ephport_detail detail;
	struct ephport_walk walk;
	unsigned int nr_half;
	struct ephport_half_pass half[EPHPORT_MAX_HALF_PASSES];
	u32 draw[EPHPORT_MAX_HALF_PASSES];
	unsigned int nr_dry;		/* bind: half passes known to have run dry */
	unsigned int nr_written;	/* half passes whose records are written */
	u8 pass_no;			/* passes written so far */
	u32 examined;
	u32 reserved;			/* examined candidates found reserved */
	u64 first_seq;			/* the begin record's */
	u32 reserved_stamp;		/* reserved ports' writers at the start */
	bool reserved_stable;		/* ... and no writer was running then */
	int found_port;			/* from find_open_port, if probed */
	u32 probed;			/* candidate lookups seen */
	bool incomplete;
	bool alloc_failed;		/* bind: a bucket for the port found failed (or may have) */
	bool bucket_created;		/* bind: get_port created one for the port found */
	bool capped;			/* candidates left unwritten */
	bool draws_lost;		/* later passes cannot be reconstructed */
	unsigned long draw_missed;	/* the draw probe's misses at the start */
	int range_low, range_high;	/* connect, UDP: the range read at entry */
	u64 range_stamp;		/* the range's stamp at the start, all walks */
	int sock_low, sock_high;	/* ... and the socket's own, as set then */
	/*
	 * connect: the peer's hash and its perturbation slot's value just
	 * before the kernel reads it, or as the kernel's own load put it in a
	 * register (the value it read, once perturb_used); whether that is
	 * settled (the slot read again once the kernel had, or the load seen),
	 * and whether the value is the one the kernel read.  slot_loading:
	 * the load's probe is between its two handlers.
	 */
	u64 hash;
	u32 perturb;
	bool perturb_known;
	bool perturb_settled;
	bool perturb_used;
	bool slot_loading;
	/*
	 * ... and, where the lock site is probed and nothing passes a port
	 * by before locking it (before 6.15), the ports it was about to lock
	 * while every one was seen
	 */
	bool locks_counted;
	u32 locked;
	unsigned long locks_missed;	/* the lock site's misses at the start */
	bool ranged;			/* ... read with its range, into @begin */
	bool begin_pending;		/* ... the begin not written yet */
	/*
	 * connect: the ports whose 4-tuple check failed, and whether the
	 * chosen one took over a TIME_WAIT socket; reasons_known while every
	 * check was seen and listed.
	 */
	u16 established[EPHPORT_CONNECT_CHECKS];
	unsigned int nr_established;
	bool tw_reused;
	bool reasons_known;
	unsigned long check_missed;	/* the check probes' misses at the start */
	/*
	 * connect (7.x): ip_local_port_step_width at entry, and the random
	 * stride's draw, its bound and value
	 */
	u32 step_width;
	bool stride_drawn;
	u32 stride_upper;
	u32 stride_draw;
	/* UDP: the table's slots (0: unusable) and the draw, once seen */
	u32 udp_slots;
	bool udp_drawn;
	u32 udp_draw;
	/*
	 * what its function returned, and the port it settled on (-1: none),
	 * for the records written after it (ephport_search_write_rest())
	 */
	int ret;
	int chosen;
	bool probed_valid;		/* bind: its lookups counted, to check */
	void (*write)(struct ephport_search *s);
	struct llist_node deferred;
	bool handed;			/* a copy handed over, not a slot */
	/*
	 * Not copied when handed over (ephport_search_write_rest()): empty
	 * between writes, and the begin written by then.
	 */
	/* in the slot, not on a probe handler's stack, which would zero it */
	struct ephport_batch batch;
	struct ephport_record begin;	/* connect: held from its range to its walk */
};

struct ephport_search_stats {
	u64 searches;
	u64 passes;
	u64 candidates;
	u64 found;
	u64 failed;
	u64 untracked;		/* no free slot */
	u64 incomplete;
	u64 capped;		/* some candidates unwritten (also incomplete) */
	u64 model_mismatch;	/* probed lookups disagree with the model */
};

/* What `control` sets; read once at the start of each search. */
struct ephport_config {
	enum ephport_detail detail;
	pid_t pid;		/* 0: every process */
	u32 netns;		/* 0: every namespace */
};

void ephport_config_get(struct ephport_config *config);
void ephport_config_set(const struct ephport_config *config);

/*
 * A slot for a search of @kind by the current task, or NULL when it is not
 * traced (filtered out, or no slot free).  Helpers do not see it before
 * ephport_search_track(), which writes its begin first if @write_begin.
 */
struct ephport_search *ephport_search_claim(struct sock *sk, enum ephport_walk_kind kind);
struct ephport_search *ephport_search_track(struct ephport_search *s, bool write_begin);
/*
 * inet_csk_get_port(sk, @snum) or udp_lib_get_port(sk, @snum) entry: a
 * search when @snum is 0 and every probe is ready; its begin written.
 */
struct ephport_search *ephport_search_begin(struct sock *sk, unsigned short snum);
/* The begin as the search stands (its range read now, as the kernel's is), and writing it. */
void ephport_search_build_begin(struct ephport_search *s, struct ephport_record *rec);
void ephport_search_write_begin(struct ephport_search *s, struct ephport_record *rec);
/* Slots in use: every helper probe asks first, inline. */
extern atomic_t ephport_searches_active;
struct ephport_search *ephport_search_lookup(void);

/*
 * The same without the interrupt check, for a probe on an instruction of
 * the search's own code: a kernel int3 is handled as an NMI, but current
 * is the task it trapped.
 */
static inline struct ephport_search *ephport_search_of_task(void)
{
	if (likely(!atomic_read(&ephport_searches_active)))
		return NULL;
	return ephport_search_lookup();
}

/* The owning task's search in flight, or NULL: the helpers' cheap check. */
static inline struct ephport_search *ephport_search_current(void)
{
	return in_task() ? ephport_search_of_task() : NULL;
}

/* At such a probe @p: its hit counted, and the task's search if of @kind. */
static inline struct ephport_search *ephport_search_at_site(const struct ephport_probe *p,
							    enum ephport_walk_kind kind)
{
	struct ephport_search *s;

	ephport_probe_hit(p);
	s = ephport_search_of_task();
	return s && s->kind == kind ? s : NULL;
}

/*
 * The range the search's walk read is still the one read at entry, the
 * netns's and the socket's own.
 */
bool ephport_search_range_unchanged(struct ephport_search *s);
/* Why the walk passed @port by, or took it (@chosen). */
enum ephport_verdict ephport_search_verdict(const struct ephport_search *s, int port,
					    bool chosen);
/* Verdicts read after the search: incomplete if reserved ports changed since its start. */
void ephport_search_check_verdicts(struct ephport_search *s);
/*
 * Writes half pass @h's sweeps (bind(), connect()), each until the chosen
 * port (@chosen, or -1) or to its end.  False once the chosen port is
 * reached: true when the half pass ran dry.
 */
bool ephport_search_emit_half_pass(struct ephport_search *s, unsigned int h, int chosen);
/* The search's function has returned: first thing in its return handler. */
void ephport_search_returned(struct ephport_search *s);
/* The port the search settled on, from get_port's or connect's @ret. */
int ephport_search_chosen_port(struct ephport_search *s, int ret);
/*
 * At detail=candidates a search with candidates to write has them, its
 * passes and its end written after its function returned, by a worker,
 * out of probe context: a handler with preemption off then does no more
 * than at detail=passes.
 */
static inline bool ephport_search_deferred(const struct ephport_search *s)
{
	return s->detail == EPHPORT_DETAIL_CANDIDATES;
}

/*
 * The search's function has returned (ret and chosen set): @write
 * writes the rest of its records, ending with ephport_search_finish().
 * At once, or, at detail=candidates when it has @candidates to write,
 * deferred to a worker: a copy of the search (its slot let go at once)
 * and a reference on its netns (the verdicts read its reserved ports),
 * held until it has run.  Past EPHPORT_HANDED_OVER_MAX waiting, or before
 * ephport_search_want_candidates(), at once without its candidates
 * (capped).
 */
void ephport_search_write_rest(struct ephport_search *s, void (*write)(struct ephport_search *s),
			       bool candidates);
/*
 * Process context, before detail=candidates is set: the hand-over pool
 * (EPHPORT_HANDED_OVER_MAX searches), allocated once; -ENOMEM changes
 * nothing.
 */
int ephport_search_want_candidates(void);
/* Writes the end (ret, chosen, probed_valid) and lets the slot (or pool entry) go. */
void ephport_search_finish(struct ephport_search *s);
/* Before any probe is attached: the workers' lists. */
void ephport_search_init(void);
/*
 * Waits for the searches that have returned to be written whole, their
 * slots and pool entries let go: what a file read (or `clear` written) after a search
 * returned shows of it does not depend on when the worker ran.  Process
 * context; at unload, once no probe handler can run.
 */
void ephport_search_flush(void);
/* At unload, after the last ephport_search_flush(): frees the pool. */
void ephport_search_exit(void);
/* Records handed to the ring in batches, from one handler or worker. */
void ephport_batch_add(struct ephport_batch *b, const struct ephport_record *rec);
void ephport_batch_flush(struct ephport_batch *b);

void ephport_search_get_stats(struct ephport_search_stats *stats);

#endif /* EPHPORT_SEARCH_H */
