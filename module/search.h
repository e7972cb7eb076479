/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Search tracking: one slot per port-0 search in flight, found by the task
 * that runs it (the search drops its locks and may resched onto another
 * CPU between candidates, so per-CPU state would not do).
 */
#ifndef EPHPORT_SEARCH_H
#define EPHPORT_SEARCH_H

#include <linux/bits.h>
#include <linux/types.h>

#include "ephport_model.h"
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

/* Records handed to the ring under one lock round trip. */
#define EPHPORT_BATCH 4

struct ephport_batch {
	struct ephport_record rec[EPHPORT_BATCH];
	unsigned int n;		/* 0 between handlers */
};

struct ephport_search {
	struct task_struct *task;	/* owner; NULL while the slot is free */
	u64 id;
	u64 begin_ns;
	struct sock *sk;
	struct net *net;
	enum ephport_walk_kind kind;	/* bind()'s, connect()'s or UDP's */
	enum ephport_detail detail;
	struct ephport_walk walk;
	unsigned int nr_half;
	struct ephport_half_pass half[EPHPORT_MAX_HALF_PASSES];
	u32 draw[EPHPORT_MAX_HALF_PASSES];
	unsigned int nr_written;	/* half passes whose records are written */
	u8 pass_no;			/* passes written so far */
	u32 examined;
	u32 reserved;			/* examined candidates found reserved */
	u64 first_seq;			/* the begin record's */
	u64 reserved_stamp;		/* reserved ports' writers, open half pass */
	bool reserved_stable;		/* ... and no writer was running then */
	int found_port;			/* from find_open_port, if probed */
	u32 probed;			/* candidate lookups seen */
	bool incomplete;
	bool alloc_failed;		/* bind: a bucket of the port found was not allocated */
	unsigned long bucket_missed;	/* ... the bucket probes' misses at the start */
	bool capped;			/* candidates left unwritten */
	bool draws_lost;		/* later passes cannot be reconstructed */
	unsigned long draw_missed;	/* the draw probe's misses at the start */
	int range_low, range_high;	/* connect, UDP: the range read at entry */
	u32 range_stamp;		/* the range's stamp at the start, all walks */
	int sock_low, sock_high;	/* ... and the socket's own, as set then */
	/*
	 * connect: the peer's hash and its perturbation slot's value just
	 * before the kernel reads it; whether the slot was read again once
	 * the kernel had, and held that value still
	 */
	u64 hash;
	u32 perturb;
	bool perturb_known;
	bool perturb_rechecked;
	bool perturb_used;
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
 * inet_csk_get_port(sk, 0) or udp_lib_get_port(sk, 0) entry, writes the
 * begin: NULL when not traced.
 */
struct ephport_search *ephport_search_begin(struct sock *sk);
/* __inet_hash_connect() entry for a socket without a port. */
struct ephport_search *ephport_search_begin_connect(struct sock *sk, u64 hash,
						    bool checks_probed, bool begin_later,
						    bool locks_probed);
/*
 * @begin_later: connect() is followed from entry, but its begin, with the
 * slot's value, is made when it has read its range, just before it reads
 * the slot (here, from an instruction probe), and written with its end.
 */
void ephport_search_connect_ranged(struct ephport_search *s);
/* The owning task's search in flight, or NULL: the helpers' cheap check. */
struct ephport_search *ephport_search_current(void);
/*
 * The same without the interrupt check, for a probe on an instruction of
 * the search's own code: a kernel int3 is handled as an NMI, but current
 * is the task it trapped.
 */
struct ephport_search *ephport_search_of_task(void);
/*
 * The search's own __get_random_u32_below(@ceil): the next half pass?  The
 * previous one ran dry, and its records are written.  @missed: a draw was
 * lost since the search began, maybe its own.
 */
bool ephport_search_half_pass(struct ephport_search *s, u32 ceil, bool missed);
/*
 * connect()'s own __get_random_u32_below(@upper): its random stride (7.x).
 * False when the draw is not followed.
 */
bool ephport_search_stride_draw(struct ephport_search *s, u32 upper);
/* A draw may have been this search's but was not seen: stop following. */
void ephport_search_draws_lost(struct ephport_search *s);
/* ... and its return: the random draw of that half pass, or the stride's. */
void ephport_search_draw(struct ephport_search *s, u32 draw);
void ephport_search_end(struct ephport_search *s, int ret, bool probed_valid);
/* UDP's get_random_u32(), made by udp_lib_get_port() itself, returned @draw. */
void ephport_search_udp_draw(struct ephport_search *s, u32 draw);
/*
 * connect()'s own check_established(@port) returned @ret; @tw: it took
 * over a TIME_WAIT socket.  @seen_all: no check was missed so far.
 */
void ephport_search_checked(struct ephport_search *s, u16 port, int ret, bool tw,
			    bool seen_all);
/*
 * connect()'s search has read its slot and not yet moved it: called from
 * each of its helpers between the two (a port about to be locked, a
 * 4-tuple check, 7.x's stride, the port found), and at a failed return (a
 * failure moves nothing).  NMI-safe: it reads, and writes no record.
 */
void ephport_search_connect_walking(struct ephport_search *s);
/* ... about to lock a port it walks to; @seen_all: no such call missed so far */
void ephport_search_connect_locking(struct ephport_search *s, bool seen_all);
/*
 * bind()'s own bucket allocation failed: get_port fails as if the range
 * had run dry.
 */
void ephport_search_alloc_failed(struct ephport_search *s);
/*
 * __inet_hash_connect() returned @ret.  @checks_seen: no 4-tuple check
 * was missed.
 */
void ephport_search_end_connect(struct ephport_search *s, int ret, bool checks_seen);

void ephport_search_get_stats(struct ephport_search_stats *stats);

#endif /* EPHPORT_SEARCH_H */
