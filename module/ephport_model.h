/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The port-0 search of inet_csk_find_open_port() (Linux 6.1,
 * net/ipv4/inet_connection_sock.c) as pure integer arithmetic.
 *
 * The module observes only the range and the random draw of each half pass
 * and derives every candidate from them; the reader uses the same functions
 * to simulate searches.  Nothing here calls the kernel or libc.
 */
#ifndef EPHPORT_MODEL_H
#define EPHPORT_MODEL_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#endif

/* A range narrower than this is searched whole even with SO_REUSEADDR. */
#define EPHPORT_MIN_SPLIT_WIDTH 4
/* lower and upper half, then both again with relax */
#define EPHPORT_MAX_HALF_PASSES 4
/* the odd-offset sweep, then the other parity */
#define EPHPORT_PARITY_PASSES 2

enum ephport_half {
	EPHPORT_HALF_WHOLE,
	EPHPORT_HALF_LOWER,
	EPHPORT_HALF_UPPER,
	EPHPORT_HALF_COUNT,
};

/* A port's parity is its low bit. */
enum ephport_parity {
	EPHPORT_EVEN,
	EPHPORT_ODD,
	EPHPORT_PARITY_COUNT,
};

enum ephport_verdict {
	EPHPORT_FREE,
	EPHPORT_INUSE,
	EPHPORT_RESERVED,
	EPHPORT_VERDICT_COUNT,
};

/*
 * The words records use for them, defined here once for the module, its
 * trace events, the reader and the tests.
 */
static const char *const ephport_half_words[EPHPORT_HALF_COUNT] = {
	[EPHPORT_HALF_WHOLE] = "whole",
	[EPHPORT_HALF_LOWER] = "lower",
	[EPHPORT_HALF_UPPER] = "upper",
};

static const char *const ephport_parity_words[EPHPORT_PARITY_COUNT] = {
	[EPHPORT_EVEN] = "even",
	[EPHPORT_ODD] = "odd",
};

static const char *const ephport_verdict_words[EPHPORT_VERDICT_COUNT] = {
	[EPHPORT_FREE] = "free",
	[EPHPORT_INUSE] = "inuse",
	[EPHPORT_RESERVED] = "reserved",
};

/* Room for the longest of those words and its NUL. */
#define EPHPORT_WORD_MAX 9

/*
 * Room for a record's line: the longest (a begin with 20-digit seq and
 * search and an IPv6 address) is 255 bytes, newline included.
 */
#define EPHPORT_LINE_MAX 320

/* What the kernel carries from one half pass to the next. */
struct ephport_walk {
	bool reuse;		/* sk_reuse == SK_CAN_REUSE */
	int attempt_half;	/* 0 whole, 1 lower, 2 upper: as in the kernel */
	bool relax;
};

/* One read of the range, split into the half the kernel scans. */
struct ephport_half_pass {
	int low;		/* first port */
	int high;		/* one past the last port */
	unsigned int remaining;	/* width, rounded down to even when above 1 */
	enum ephport_half half;
	bool relax;
};

static inline void ephport_walk_init(struct ephport_walk *walk, bool reuse)
{
	walk->reuse = reuse;
	walk->attempt_half = reuse ? 1 : 0;
	walk->relax = false;
}

/*
 * IP_LOCAL_PORT_RANGE narrows the netns range: each end of the socket's
 * range counts only if it lies inside the netns range (0 never does).
 */
static inline void ephport_apply_sock_range(int *low, int *high,
					    int sock_low, int sock_high)
{
	int lo = *low, hi = *high;

	if (lo <= sock_low && sock_low <= hi)
		lo = sock_low;
	if (lo <= sock_high && sock_high <= hi)
		hi = sock_high;
	*low = lo;
	*high = hi;
}

/*
 * Start a half pass from the range the kernel just read, both ends
 * inclusive (the kernel's "high++" makes the upper end exclusive).
 */
static inline void ephport_half_pass_begin(struct ephport_walk *walk,
					   int range_low, int range_high,
					   struct ephport_half_pass *hp)
{
	int low = range_low, high = range_high + 1;

	if (high - low < EPHPORT_MIN_SPLIT_WIDTH)
		walk->attempt_half = 0;
	hp->half = EPHPORT_HALF_WHOLE;
	if (walk->attempt_half) {
		int mid = low + (((high - low) >> 2) << 1);

		if (walk->attempt_half == 1) {
			high = mid;
			hp->half = EPHPORT_HALF_LOWER;
		} else {
			low = mid;
			hp->half = EPHPORT_HALF_UPPER;
		}
	}
	hp->low = low;
	hp->high = high;
	hp->remaining = (unsigned int)(high - low);
	if (hp->remaining > 1)
		hp->remaining &= ~1U;
	hp->relax = walk->relax;
}

enum ephport_next {
	EPHPORT_NEXT_UPPER,	/* the lower half is exhausted */
	EPHPORT_NEXT_RELAX,	/* ip_autobind_reuse: start over with relax */
	EPHPORT_NEXT_FAIL,	/* EADDRINUSE */
};

/* Where the kernel goes once both parities of a half pass are exhausted. */
static inline enum ephport_next ephport_half_pass_end(struct ephport_walk *walk,
						      bool autobind_reuse)
{
	if (walk->attempt_half == 1) {
		walk->attempt_half = 2;
		return EPHPORT_NEXT_UPPER;
	}
	if (autobind_reuse && !walk->relax) {
		walk->relax = true;
		walk->attempt_half = walk->reuse ? 1 : 0;
		return EPHPORT_NEXT_RELAX;
	}
	return EPHPORT_NEXT_FAIL;
}

/*
 * Offset of parity pass 0 or 1 from the random draw (which is below
 * remaining): odd first, because __inet_hash_connect() favours the
 * other parity, then one less.
 */
static inline unsigned int ephport_pass_offset(unsigned int draw,
					       unsigned int parity_pass)
{
	return (draw | 1U) - parity_pass;
}

/* Ports one parity pass tries: the loop runs i = 0, 2, ... < remaining. */
static inline unsigned int ephport_pass_length(const struct ephport_half_pass *hp)
{
	return (hp->remaining + 1) / 2;
}

/* The i-th port of a pass: steps of 2 from low + offset, wrapping once. */
static inline int ephport_candidate(const struct ephport_half_pass *hp,
				    unsigned int offset, unsigned int i)
{
	int port = hp->low + (int)(offset + 2 * i);

	if (port >= hp->high)
		port -= (int)hp->remaining;
	return port;
}

/* Position of @port in a pass, or -1 when the pass never tries it. */
static inline int ephport_candidate_index(const struct ephport_half_pass *hp,
					  unsigned int offset, int port)
{
	int distance = port - (hp->low + (int)offset);
	unsigned int i;

	if (distance < 0)
		distance += (int)hp->remaining;
	if (distance < 0 || (distance & 1))
		return -1;
	i = (unsigned int)distance / 2;
	if (i >= ephport_pass_length(hp) || ephport_candidate(hp, offset, i) != port)
		return -1;
	return (int)i;
}

#endif /* EPHPORT_MODEL_H */
