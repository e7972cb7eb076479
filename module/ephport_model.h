/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's three ephemeral port searches as pure integer arithmetic:
 * inet_csk_find_open_port() for bind() and listen() (Linux 6.1,
 * net/ipv4/inet_connection_sock.c), __inet_hash_connect() for connect()
 * (net/ipv4/inet_hashtables.c) and udp_lib_get_port() for UDP
 * (net/ipv4/udp.c).
 *
 * The module observes only the range and each walk's random or hashed
 * start and derives every candidate from them; the reader uses the same
 * functions to simulate searches.  Nothing here calls the kernel or libc.
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

/* Ports there are: UDP's walk counts modulo this. */
#define EPHPORT_PORTS 65536

/* Which walk picked the port: the begin record's op= and proto=. */
enum ephport_op {
	EPHPORT_OP_BIND,	/* bind(), listen(), UDP's implicit bind */
	EPHPORT_OP_CONNECT,	/* connect() of a socket without a port */
	EPHPORT_OP_COUNT,
};

/* What a record is: its type= */
enum ephport_record_type {
	EPHPORT_REC_BEGIN,
	EPHPORT_REC_PASS,
	EPHPORT_REC_CAND,
	EPHPORT_REC_END,
	EPHPORT_REC_CLEAR,
	EPHPORT_REC_COUNT,
};

/* The socket's family= and proto= */
enum ephport_family {
	EPHPORT_INET,
	EPHPORT_INET6,
	EPHPORT_FAMILY_COUNT,
};

enum ephport_proto {
	EPHPORT_TCP,
	EPHPORT_DCCP,
	EPHPORT_UDP,
	EPHPORT_UDPLITE,
	EPHPORT_PROTO_COUNT,
};

/* Which of the three searches: bind()'s (TCP, DCCP), connect()'s, UDP's. */
enum ephport_walk_kind {
	EPHPORT_WALK_BIND,
	EPHPORT_WALK_CONNECT,
	EPHPORT_WALK_UDP,
	EPHPORT_WALK_COUNT,
};

/* How a search failed, for the counters. */
enum ephport_failure {
	EPHPORT_FAIL_EADDRINUSE,
	EPHPORT_FAIL_EADDRNOTAVAIL,
	EPHPORT_FAIL_OTHER,
	EPHPORT_FAIL_COUNT,
};

/* Histogram of ports examined: up to 1, 2, 4, ... 65536. */
#define EPHPORT_EXAMINED_BUCKETS 17
/* Search times: 1 us, 2 us, ... 16.4 ms, and above. */
#define EPHPORT_NS_BUCKETS 16
#define EPHPORT_NS_BUCKET_UNIT 1000ULL

/* A port's parity is its low bit. */
enum ephport_parity {
	EPHPORT_EVEN,
	EPHPORT_ODD,
	EPHPORT_PARITY_COUNT,
};

enum ephport_verdict {
	EPHPORT_FREE,
	EPHPORT_INUSE,		/* taken, the reason not known */
	EPHPORT_RESERVED,
	/* connect()'s reasons, where the module saw them */
	EPHPORT_BIND_BUCKET,	/* held by bind() users */
	EPHPORT_ESTABLISHED,	/* the 4-tuple is taken (or a TIME_WAIT kept) */
	EPHPORT_TIMEWAIT,	/* free after taking over a TIME_WAIT socket */
	EPHPORT_VERDICT_COUNT,
};

/*
 * The words records use for them, defined here once for the module, its
 * trace events, the reader and the tests.
 */
static const char *const ephport_record_type_words[EPHPORT_REC_COUNT] = {
	[EPHPORT_REC_BEGIN] = "begin",
	[EPHPORT_REC_PASS] = "pass",
	[EPHPORT_REC_CAND] = "cand",
	[EPHPORT_REC_END] = "end",
	[EPHPORT_REC_CLEAR] = "clear",
};

static const char *const ephport_family_words[EPHPORT_FAMILY_COUNT] = {
	[EPHPORT_INET] = "inet",
	[EPHPORT_INET6] = "inet6",
};

static const char *const ephport_proto_words[EPHPORT_PROTO_COUNT] = {
	[EPHPORT_TCP] = "tcp",
	[EPHPORT_DCCP] = "dccp",
	[EPHPORT_UDP] = "udp",
	[EPHPORT_UDPLITE] = "udplite",
};

static const char *const ephport_walk_words[EPHPORT_WALK_COUNT] = {
	[EPHPORT_WALK_BIND] = "bind",
	[EPHPORT_WALK_CONNECT] = "connect",
	[EPHPORT_WALK_UDP] = "udp",
};

static const char *const ephport_failure_words[EPHPORT_FAIL_COUNT] = {
	[EPHPORT_FAIL_EADDRINUSE] = "EADDRINUSE",
	[EPHPORT_FAIL_EADDRNOTAVAIL] = "EADDRNOTAVAIL",
	[EPHPORT_FAIL_OTHER] = "other",
};

static const char *const ephport_op_words[EPHPORT_OP_COUNT] = {
	[EPHPORT_OP_BIND] = "bind",
	[EPHPORT_OP_CONNECT] = "connect",
};

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
	[EPHPORT_BIND_BUCKET] = "bind-bucket",
	[EPHPORT_ESTABLISHED] = "established",
	[EPHPORT_TIMEWAIT] = "timewait-reused",
};

/* Room for the longest of those words and its NUL. */
#define EPHPORT_WORD_MAX 16

/*
 * Room for a record's line: the longest (a connect()'s begin with 20-digit
 * seq, search and hash and two IPv6 addresses) is 385 bytes, newline
 * included.
 */
#define EPHPORT_LINE_MAX 400

/* The histogram bucket of a search that examined @n ports: n <= 2^bucket. */
static inline unsigned int ephport_examined_bucket(unsigned int n)
{
	unsigned int bucket = 0;

	while (bucket + 1 < EPHPORT_EXAMINED_BUCKETS && n > 1U << bucket)
		bucket++;
	return bucket;
}

/*
 * The histogram bucket of a search that took @ns: ns <= 1 us * 2^bucket,
 * the last one above 2^(EPHPORT_NS_BUCKETS - 2) us.
 */
static inline unsigned int ephport_ns_bucket(unsigned long long ns)
{
	unsigned int bucket = 0;

	while (bucket + 1 < EPHPORT_NS_BUCKETS && ns > EPHPORT_NS_BUCKET_UNIT << bucket)
		bucket++;
	return bucket;
}

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
	bool connect;		/* sweeps from low's parity up, not odd first */
	unsigned int step;	/* 2; 1 for connect() with a socket range (6.8+) */
	unsigned int sweeps;	/* parity sweeps: 2, or 1 */
	/*
	 * connect() with ip_local_port_step_width (7.x): candidates are
	 * step * stride ports apart, stride coprime with the sweep's length;
	 * 1 otherwise.
	 */
	unsigned int stride;
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
	hp->connect = false;
	hp->step = 2;
	hp->sweeps = EPHPORT_PARITY_PASSES;
	hp->stride = 1;
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

/* Ports one parity pass tries: the loop runs i = 0, step, ... < remaining. */
static inline unsigned int ephport_pass_length(const struct ephport_half_pass *hp)
{
	return (hp->remaining + hp->step - 1) / hp->step;
}

/*
 * The i-th port of a pass: steps from low + offset; the kernel takes
 * remaining off a port past high.  Over an odd width remaining is one
 * short, so where the walk comes back to low it tries high - 1 instead.
 */
static inline int ephport_candidate(const struct ephport_half_pass *hp,
				    unsigned int offset, unsigned int i)
{
	unsigned int d;
	int port;

	if (hp->stride != 1) {
		d = (offset + (unsigned long long)hp->step * hp->stride * i) % hp->remaining;
		if (!d && i && hp->high - hp->low > (int)hp->remaining)
			d = hp->remaining;
		return hp->low + (int)d;
	}
	/* one stride: at most one wrap, no division */
	port = hp->low + (int)(offset + hp->step * i);
	if (port >= hp->high)
		port -= (int)hp->remaining;
	return port;
}

static inline unsigned int ephport_gcd(unsigned int a, unsigned int b)
{
	while (b) {
		unsigned int t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* x with a * x = 1 modulo m, for a coprime with m (0 when m is 1). */
static inline unsigned int ephport_inverse(unsigned int a, unsigned int m)
{
	long long r0 = m, r1 = a % m, t0 = 0, t1 = 1;

	while (r1) {
		long long q = r0 / r1, t;

		t = r0 - q * r1;
		r0 = r1;
		r1 = t;
		t = t0 - q * t1;
		t0 = t1;
		t1 = t;
	}
	return (unsigned int)(t0 < 0 ? t0 + m : t0);
}

/* Position of @port in a pass, or -1 when the pass never tries it. */
static inline int ephport_candidate_index(const struct ephport_half_pass *hp,
					  unsigned int offset, int port)
{
	int distance = port - (hp->low + (int)offset);
	unsigned int i, sweep = hp->remaining / hp->step;

	/* high - 1 over an odd width stands for low (see above) */
	if (hp->stride != 1 && port - hp->low == (int)hp->remaining)
		distance -= (int)hp->remaining;
	if (distance < 0)
		distance += (int)hp->remaining;
	if (distance < 0 || distance % hp->step)
		return -1;
	i = (unsigned int)distance / hp->step;
	/* with a stride, the i-th candidate is i * stride steps on */
	if (hp->stride != 1 && sweep)
		i = (unsigned int)((unsigned long long)i * ephport_inverse(hp->stride, sweep) %
				   sweep);
	if (i >= ephport_pass_length(hp) || ephport_candidate(hp, offset, i) != port)
		return -1;
	return (int)i;
}

/*
 * The walk, in the kernel's order: a half pass's sweeps one after the
 * other, each trying ephport_sweep_port(sw, 0 .. length - 1).  bind()
 * sweeps from its draw's odd offset, then one less; connect() from its
 * offset (already of low's parity), then one more.  Module, simulator and
 * tests walk with this and nothing else.
 */
struct ephport_sweep {
	const struct ephport_half_pass *hp;
	unsigned int draw;	/* bind's draw, or connect's offset */
	unsigned int n;		/* sweeps begun */
	unsigned int offset;	/* the current sweep's */
	unsigned int length;	/* ports it tries when nothing stops it */
};

static inline void ephport_sweep_init(struct ephport_sweep *sw,
				      const struct ephport_half_pass *hp,
				      unsigned int draw)
{
	sw->hp = hp;
	sw->draw = draw;
	sw->n = 0;
	sw->offset = 0;
	sw->length = 0;
}

/* Moves on to the next sweep; false once the half pass has none left. */
static inline bool ephport_sweep_next(struct ephport_sweep *sw)
{
	if (sw->n == sw->hp->sweeps)
		return false;
	sw->offset = sw->hp->connect ? sw->draw + sw->n :
		     ephport_pass_offset(sw->draw, sw->n);
	sw->length = ephport_pass_length(sw->hp);
	sw->n++;
	return true;
}

static inline int ephport_sweep_port(const struct ephport_sweep *sw,
				     unsigned int i)
{
	return ephport_candidate(sw->hp, sw->offset, i);
}

/* Where the current sweep tries @port, or -1. */
static inline int ephport_sweep_index(const struct ephport_sweep *sw, int port)
{
	return ephport_candidate_index(sw->hp, sw->offset, port);
}

/*
 * __inet_hash_connect()'s one read of the range, both ends inclusive.
 * @sock_range: the socket set IP_LOCAL_PORT_RANGE and the kernel (6.8+)
 * then walks every port in one sweep; otherwise ports of low's parity
 * first, then the others, as inet_csk_get_port() does the other way round.
 */
static inline void ephport_connect_begin(int range_low, int range_high,
					 bool sock_range,
					 struct ephport_half_pass *hp)
{
	hp->low = range_low;
	hp->high = range_high + 1;
	hp->remaining = (unsigned int)(hp->high - hp->low);
	hp->half = EPHPORT_HALF_WHOLE;
	hp->relax = false;
	hp->connect = true;
	hp->step = sock_range ? 1 : 2;
	hp->sweeps = 1;
	hp->stride = 1;
	if (!sock_range && hp->remaining > 1) {
		hp->remaining &= ~1U;
		hp->sweeps = EPHPORT_PARITY_PASSES;
	}
}

/*
 * The first sweep's offset: the destination's perturbation slot plus the
 * upper half of its hash (port_offset), in 32 bits, modulo remaining.
 */
static inline unsigned int ephport_connect_offset(const struct ephport_half_pass *hp,
						  unsigned int perturb,
						  unsigned long long port_offset)
{
	unsigned int offset = (perturb + (unsigned int)(port_offset >> 32)) %
			      hp->remaining;

	return hp->step == 2 ? offset & ~1U : offset;
}

/*
 * 7.x, net.ipv4.ip_local_port_step_width: connect() draws
 * get_random_u32_inclusive(1, @upper), @draw + 1, with @upper the smaller
 * of the width and the sweep's length, then bumps it until it is coprime
 * with that length (stepping over even ones when the length is even), or
 * takes 1 past @upper.  False when @upper is not one the kernel can draw
 * below for this pass.
 */
static inline bool ephport_connect_stride(struct ephport_half_pass *hp,
					  unsigned int upper, unsigned int draw)
{
	unsigned int range = hp->remaining / hp->step, stride = draw + 1;

	if (hp->remaining <= 1 || !upper || upper > range || draw >= upper)
		return false;
	while (ephport_gcd(stride, range) != 1) {
		stride++;
		if (!(stride & 1) && !(range & 1))
			stride++;
		if (stride > upper) {
			stride = 1;
			break;
		}
	}
	hp->stride = stride;
	return true;
}

/*
 * udp_lib_get_port()'s walk: from one random draw, hash slot after hash
 * slot, each slot's ports in strides of an odd multiple of the slots.
 */
struct ephport_udp_walk {
	int low, high;		/* both inclusive */
	unsigned int slots;	/* the table's, mask + 1: a power of 2 */
	unsigned int first;	/* the first slot's first port */
	unsigned int stride;	/* (draw | 1) * slots, modulo 2^16 */
};

static inline void ephport_udp_begin(int low, int high, unsigned int draw,
				     unsigned int slots, struct ephport_udp_walk *w)
{
	unsigned int remaining = (unsigned int)(high - low + 1);

	w->low = low;
	w->high = high;
	w->slots = slots;
	/* reciprocal_scale(draw, remaining) + low, kept in 16 bits */
	w->first = (unsigned int)((((unsigned long long)draw * remaining) >> 32) +
				  (unsigned int)low) % EPHPORT_PORTS;
	w->stride = (draw | 1U) * slots % EPHPORT_PORTS;
}

/* Ports a slot's walk visits before it comes back to its first. */
static inline unsigned int ephport_udp_slot_length(const struct ephport_udp_walk *w)
{
	return EPHPORT_PORTS / w->slots;
}

/* The @k-th port visited in the @s-th slot walked, in range or not. */
static inline int ephport_udp_port(const struct ephport_udp_walk *w,
				   unsigned int s, unsigned int k)
{
	return (int)((w->first + s + k * w->stride) % EPHPORT_PORTS);
}

static inline bool ephport_udp_in_range(const struct ephport_udp_walk *w, int port)
{
	return w->low <= port && port <= w->high;
}

/*
 * Ports in range the first @n slots' walks visit, without walking them:
 * ports x of the range with (x - first) mod slots < n.
 */
static inline unsigned int ephport_udp_in_slots(const struct ephport_udp_walk *w,
						unsigned int n)
{
	unsigned int c = ((unsigned int)w->low - w->first) & (w->slots - 1);
	unsigned int end = c + (unsigned int)(w->high - w->low + 1);
	unsigned int below_end = end / w->slots * n +
				 (end % w->slots < n ? end % w->slots : n);
	unsigned int below_c = c < n ? c : n;

	return below_end - below_c;
}

/* The slot (counted from the first walked) whose walk visits @port. */
static inline unsigned int ephport_udp_slot_of(const struct ephport_udp_walk *w,
					       int port)
{
	return ((unsigned int)port - w->first) & (w->slots - 1);
}

/* A slot's ports in range at most this many are put in order, not stepped to. */
#define EPHPORT_UDP_SORTED 32

/*
 * UDP's walk in the kernel's order: the ports in range it visits, slot
 * after slot from @slot on, without stepping through the ports out of it.
 * Slot s visits (first + s + k * stride) mod 2^16 for k = 0 .. L - 1, L =
 * 2^16 / slots: r + slots * ((c + k * a) mod L), with r and c the
 * remainder and quotient of its first port by slots and a = (draw | 1)
 * mod L, odd, so k = (q - c) / a mod L for each q = (port - r) / slots in
 * range.  A slot with few such ports has them sorted by k; one with more
 * is stepped through, each step as likely as not a port in range.  A range
 * narrower than the table has one port in some slots, none in the others,
 * and those are jumped over.
 */
struct ephport_udp_iter {
	const struct ephport_udp_walk *w;
	unsigned int slot;
	unsigned int r, c, a;		/* the slot's, as above */
	unsigned int n, i;		/* its ports in range, and those given */
	unsigned int k[EPHPORT_UDP_SORTED];	/* their steps, sorted, if n fits */
};

/* 1 / a mod L, for odd a and L a power of 2 (Newton's iteration). */
static inline unsigned int ephport_udp_inverse(unsigned int a, unsigned int length)
{
	unsigned int x = a, i;

	/* each round doubles the bits that are right: 5 rounds for 2^32 */
	for (i = 0; i < 5; i++)
		x *= 2 - a * x;
	return x & (length - 1);
}

/*
 * Slot @slot's first port's remainder @r and quotient @c by the slots, its
 * multiplier @a, and its ports in range as q in [@qlo, @qhi) (see above).
 */
static inline void ephport_udp_slot_geometry(const struct ephport_udp_walk *w,
					     unsigned int slot, unsigned int *r,
					     unsigned int *c, unsigned int *a,
					     unsigned int *qlo, unsigned int *qhi)
{
	unsigned int base = (w->first + slot) % EPHPORT_PORTS;
	unsigned int length = EPHPORT_PORTS / w->slots;

	*r = base & (w->slots - 1);
	*c = base / w->slots;
	*a = (w->stride / w->slots) & (length - 1);
	*qlo = (unsigned int)w->low <= *r ? 0 :
	       ((unsigned int)w->low - *r + w->slots - 1) / w->slots;
	*qhi = (unsigned int)w->high < *r ? 0 : ((unsigned int)w->high - *r) / w->slots + 1;
}

/* The step at which a slot visits its port r + slots * @q (@inv: 1 / a mod L). */
static inline unsigned int ephport_udp_step_of(unsigned int q, unsigned int c,
					       unsigned int inv, unsigned int length)
{
	return (q - c) * inv & (length - 1);
}

/* Sets up slot @it->slot, or the next one with a port in range. */
static inline void ephport_udp_slot_begin(struct ephport_udp_iter *it)
{
	const struct ephport_udp_walk *w = it->w;
	unsigned int width = (unsigned int)(w->high - w->low + 1);
	unsigned int length = EPHPORT_PORTS / w->slots;
	unsigned int qlo = 0, qhi, inv, j;

	it->n = 0;
	it->i = 0;
	it->r = 0;
	it->c = 0;
	it->a = 0;
	/* the range narrower than the table: ephport_udp_next() needs nothing */
	while (width >= w->slots && it->slot < w->slots) {
		ephport_udp_slot_geometry(w, it->slot, &it->r, &it->c, &it->a, &qlo, &qhi);
		it->n = qhi > qlo ? qhi - qlo : 0;
		if (it->n)
			break;
		it->slot++;
	}
	if (!it->n || it->n > EPHPORT_UDP_SORTED)
		return;
	inv = ephport_udp_inverse(it->a, length);
	for (j = 0; j < it->n; j++) {
		unsigned int k = ephport_udp_step_of(qlo + j, it->c, inv, length), m = j;

		/* insertion: at most EPHPORT_UDP_SORTED squared over 2 moves */
		while (m && it->k[m - 1] > k) {
			it->k[m] = it->k[m - 1];
			m--;
		}
		it->k[m] = k;
	}
}

static inline void ephport_udp_iter_init(struct ephport_udp_iter *it,
					 const struct ephport_udp_walk *w,
					 unsigned int slot)
{
	it->w = w;
	it->slot = slot;
	ephport_udp_slot_begin(it);
}

/* The next port in range, or -1 past the last slot. */
static inline int ephport_udp_next(struct ephport_udp_iter *it)
{
	const struct ephport_udp_walk *w = it->w;
	unsigned int length = EPHPORT_PORTS / w->slots;
	unsigned int width = (unsigned int)(w->high - w->low + 1), d;

	/*
	 * The range narrower than the table: slot s's one port in range is
	 * low + (first - low + s) mod slots, so they come in order from first
	 * to high, then from low.
	 */
	while (width < w->slots && it->slot < w->slots) {
		d = (w->first - (unsigned int)w->low + it->slot) & (w->slots - 1);
		if (d < width) {
			it->slot++;
			return w->low + (int)d;
		}
		it->slot += w->slots - d;
	}
	while (it->slot < w->slots) {
		if (it->n <= EPHPORT_UDP_SORTED && it->i < it->n) {
			unsigned int k = it->k[it->i++];

			return (int)(it->r + w->slots * ((it->c + k * it->a) & (length - 1)));
		}
		/* a slot with many ports in range: stepped through, it->i the next step */
		while (it->n > EPHPORT_UDP_SORTED && it->i < length) {
			int port = ephport_udp_port(w, it->slot, it->i++);

			if (ephport_udp_in_range(w, port))
				return port;
		}
		it->slot++;
		ephport_udp_slot_begin(it);
	}
	return -1;
}

/*
 * Ports in range visited up to and including @port, which the walk found:
 * the slots before its own in closed form; in its own, the ports in range
 * whose step comes no later than @port's (a port r + slots * q is visited
 * at step (q - c) / a mod L), counted by walking there or over those
 * ports, whichever is shorter.  0 when the walk never visits @port.
 */
static inline unsigned int ephport_udp_examined_to(const struct ephport_udp_walk *w,
						   int port)
{
	unsigned int s = ephport_udp_slot_of(w, port), length = EPHPORT_PORTS / w->slots;
	unsigned int n, r, c, a, qlo, qhi, q, inv, at;

	if (!ephport_udp_in_range(w, port))
		return 0;
	n = ephport_udp_in_slots(w, s);
	/* the range narrower than the table: one port a slot */
	if ((unsigned int)(w->high - w->low + 1) < w->slots)
		return n + 1;
	ephport_udp_slot_geometry(w, s, &r, &c, &a, &qlo, &qhi);
	inv = ephport_udp_inverse(a, length);
	at = ephport_udp_step_of(((unsigned int)port - r) / w->slots, c, inv, length);
	/* the steps up to @port's, or the ports in range: whichever are fewer */
	if (at < qhi - qlo) {
		for (q = 0; q <= at; q++)
			n += ephport_udp_in_range(w, ephport_udp_port(w, s, q));
		return n;
	}
	for (q = qlo; q < qhi; q++)
		n += ephport_udp_step_of(q, c, inv, length) <= at;
	return n;
}

#endif /* EPHPORT_MODEL_H */
