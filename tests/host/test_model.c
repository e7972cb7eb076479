// SPDX-License-Identifier: GPL-2.0
/*
 * The shared model against line-by-line transcriptions of the kernel's
 * three walks (6.1's inet_csk_find_open_port(), 7.3's __inet_hash_connect(),
 * which is 6.12's without a stride, and udp_lib_get_port()), over every small range,
 * draw and occupancy, plus the edge cases the README describes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../module/ephport_model.h"
#include "../../userspace/simulate.h"
#include "check.h"

static bool used[EP_PORTS], reserved[EP_PORTS];

/* The kernel's loop, labels and all; returns the port or -EADDRINUSE. */
static int kernel_find_open_port(int range_low, int range_high, bool reuse,
				 bool autobind, const unsigned int *draws,
				 int ndraws, int *tried, int *ntried)
{
	int i, low, high, attempt_half, port, half_no = 0;
	unsigned int remaining, offset;
	bool relax = false;

	*ntried = 0;
ports_exhausted:
	attempt_half = reuse ? 1 : 0;
other_half_scan:
	low = range_low;
	high = range_high;
	high++;
	if (high - low < 4)
		attempt_half = 0;
	if (attempt_half) {
		int half = low + (((high - low) >> 2) << 1);

		if (attempt_half == 1)
			high = half;
		else
			low = half;
	}
	remaining = high - low;
	if (remaining > 1)
		remaining &= ~1U;
	offset = draws[half_no < ndraws ? half_no : ndraws - 1] % remaining;
	half_no++;
	offset |= 1U;
other_parity_scan:
	port = low + offset;
	for (i = 0; i < (int)remaining; i += 2, port += 2) {
		if (port >= high)
			port -= remaining;
		tried[(*ntried)++] = port;
		if (reserved[port])
			continue;
		if (!used[port])
			return port;
	}
	offset--;
	if (!(offset & 1))
		goto other_parity_scan;
	if (attempt_half == 1) {
		attempt_half = 2;
		goto other_half_scan;
	}
	if (autobind && !relax) {
		relax = true;
		goto ports_exhausted;
	}
	return -EADDRINUSE;
}

static unsigned int kernel_gcd(unsigned int a, unsigned int b)
{
	while (b) {
		unsigned int t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * __inet_hash_connect()'s loop as in 7.3, with the port's checks folded
 * into used[]: net.ipv4.ip_local_port_step_width (@max_rand_step) draws a
 * stride, get_random_u32_inclusive(1, upper_bound) being @draw + 1.  With
 * @max_rand_step 0 it is 6.12's (and 6.1's, with @local_ports false).
 */
static int kernel_hash_connect(int low, int high, bool local_ports,
				  unsigned int perturb, unsigned long long port_offset,
				  unsigned int max_rand_step, unsigned int draw,
				  int *tried, int *ntried)
{
	unsigned int remaining, offset;
	int i, port, step, scan_step;

	*ntried = 0;
	step = local_ports ? 1 : 2;
	scan_step = step;
	high++;
	remaining = high - low;
	if (!local_ports && remaining > 1)
		remaining &= ~1U;
	offset = perturb + (unsigned int)(port_offset >> 32);
	offset %= remaining;
	if (!local_ports)
		offset &= ~1U;
	if (max_rand_step && remaining > 1) {
		unsigned int range = remaining / step;
		unsigned int upper_bound;

		upper_bound = range < max_rand_step ? range : max_rand_step;
		scan_step = draw % upper_bound + 1;
		while (kernel_gcd(scan_step, range) != 1) {
			scan_step++;
			if (!(scan_step & 1) && !(range & 1))
				scan_step++;
			if (scan_step > (int)upper_bound) {
				scan_step = 1;
				break;
			}
		}
		scan_step *= step;
	}
other_parity_scan:
	port = low + offset;
	for (i = 0; i < (int)remaining; i += step, port += scan_step) {
		if (port >= high)
			port -= remaining;
		tried[(*ntried)++] = port;
		if (reserved[port])
			continue;
		if (!used[port])
			return port;
	}
	if (!local_ports) {
		offset++;
		if ((offset & 1) && remaining > 1)
			goto other_parity_scan;
	}
	return -EADDRNOTAVAIL;
}

/* udp_lib_get_port()'s snum == 0 branch; tried[] gets the ports in range. */
static int kernel_udp_get_port(int low, int high, unsigned int rand,
			       unsigned int slots, int *tried, int *ntried)
{
	unsigned short first, last, snum;
	int remaining = (high - low) + 1;

	*ntried = 0;
	first = (unsigned int)(((unsigned long long)rand * remaining) >> 32) + low;
	rand = (rand | 1) * slots;
	last = first + slots;
	do {
		snum = first;
		do {
			if (low <= snum && snum <= high) {
				tried[(*ntried)++] = snum;
				if (!used[snum] && !reserved[snum])
					return snum;
			}
			snum += rand;
		} while (snum != first);
	} while (++first != last);
	return -EADDRINUSE;
}

struct collected {
	int tried[4 * EP_PORTS];
	int ntried;
	struct ep_record end;
	int passes;
};

static void collect(const struct ep_record *rec, void *ctx)
{
	struct collected *c = ctx;

	if (rec->type == EP_CAND)
		c->tried[c->ntried++] = rec->port;
	else if (rec->type == EP_END)
		c->end = *rec;
	else if (rec->type == EP_PASS)
		c->passes++;
}

static struct collected got;
static int want_tried[4 * EP_PORTS];

static void compare(int low, int high, bool reuse, bool autobind,
		    const unsigned int *draws, int ndraws)
{
	struct ep_sim sim = {
		.low = low, .high = high, .reuse = reuse,
		.autobind_reuse = autobind, .draws = draws, .ndraws = ndraws,
		.used = used, .reserved = reserved,
	};
	int want_n, want, port;

	want = kernel_find_open_port(low, high, reuse, autobind, draws, ndraws,
				     want_tried, &want_n);
	memset(&got, 0, sizeof(got));
	port = ep_simulate(&sim, true, collect, &got);
	CHECK(port == want, "range %d-%d reuse=%d: model %d, kernel %d", low,
	      high, reuse, port, want);
	CHECK(got.ntried == want_n && !memcmp(got.tried, want_tried,
					      want_n * sizeof(int)),
	      "range %d-%d reuse=%d draw=%u: candidates differ (%d vs %d)",
	      low, high, reuse, draws[0], got.ntried, want_n);
	CHECK(got.end.examined == want_n, "examined %lld, tried %d",
	      got.end.examined, want_n);
	CHECK(got.end.passes == got.passes, "end says %d passes, emitted %d",
	      got.end.passes, got.passes);
}

/* Every width 1..12 at an even and an odd low, every draw, random occupancy. */
static void exhaustive(void)
{
	static const int lows[] = { 40000, 40001 };
	unsigned int draw, seed = 1;
	int l, width, round;

	for (l = 0; l < 2; l++)
		for (width = 1; width <= 12; width++)
			for (draw = 0; draw < 12; draw++)
				for (round = 0; round < 40; round++) {
					int low = lows[l], p;
					unsigned int draws[2] = { draw, draw * 7 + 3 };

					memset(used, 0, sizeof(used));
					memset(reserved, 0, sizeof(reserved));
					for (p = low; p < low + width; p++) {
						seed = seed * 1103515245 + 12345;
						used[p] = (seed >> 16) % 4 < (unsigned int)round % 4;
						reserved[p] = (seed >> 20) % 8 == 0;
					}
					compare(low, low + width - 1, round & 1,
						round & 2, draws, 2);
				}
}

static void compare_sim(const struct ep_sim *sim, int want, int want_n,
			const char *what)
{
	int port;

	memset(&got, 0, sizeof(got));
	port = ep_simulate(sim, true, collect, &got);
	CHECK(port == want, "%s %d-%d: model %d, kernel %d", what, sim->low,
	      sim->high, port, want);
	CHECK(got.ntried == want_n && !memcmp(got.tried, want_tried,
					      want_n * sizeof(int)),
	      "%s %d-%d: candidates differ (%d vs %d)", what, sim->low,
	      sim->high, got.ntried, want_n);
	CHECK(got.end.examined == want_n && got.end.err == (want < 0 ? want : 0),
	      "%s: examined %lld, tried %d", what, got.end.examined, want_n);
}

static void fill(int low, int width, unsigned int *seed, int density)
{
	int p;

	memset(used, 0, sizeof(used));
	memset(reserved, 0, sizeof(reserved));
	for (p = low; p < low + width; p++) {
		*seed = *seed * 1103515245 + 12345;
		used[p] = (*seed >> 16) % 4 < (unsigned int)density;
		reserved[p] = (*seed >> 20) % 8 == 0;
	}
}

/*
 * connect(): widths 1..12 at an even and an odd low, with and without a
 * socket range, perturbations that wrap 32 bits, every occupancy density.
 */
static void exhaustive_connect(void)
{
	static const int lows[] = { 40000, 40001 };
	static const unsigned int perturbs[] = { 0, 1, 7, 0xfffffffeU };
	unsigned int seed = 7, pi, hash;
	int l, width, density, sock, want, want_n;

	for (l = 0; l < 2; l++)
		for (width = 1; width <= 12; width++)
			for (pi = 0; pi < 4; pi++)
				for (hash = 0; hash < 5; hash++)
					for (density = 0; density < 5; density++)
						for (sock = 0; sock < 2; sock++) {
							struct ep_sim sim = {
								.kind = EP_SIM_CONNECT,
								.low = lows[l],
								.high = lows[l] + width - 1,
								.perturb = perturbs[pi],
								.port_offset = (unsigned long long)hash << 32 | 0xbeef,
								.sock_range = sock,
								.used = used, .reserved = reserved,
							};

							fill(sim.low, width, &seed, density);
							want = kernel_hash_connect(sim.low, sim.high, sock,
										   sim.perturb, sim.port_offset,
										   0, 0, want_tried, &want_n);
							compare_sim(&sim, want, want_n, "connect");
						}
}

/*
 * connect() with 7.x's random stride: step widths 1, 8 and 1000 (and one
 * past any sweep), every draw below the kernel's bound for widths 1..40,
 * wide ranges; the model's stride from the draw (as the module derives
 * it) walked by the simulator, and every candidate's index found back.
 */
static void stride_connect(void)
{
	static const unsigned int widths[] = { 1, 8, 1000, 70000 };
	static const int ranges[][2] = {
		{ 40000, 40000 }, { 40000, 40001 }, { 40001, 40040 }, { 32768, 60999 },
		{ 1, 65535 },
	};
	unsigned int seed = 5, wi, r, draw, sock, upper, range;
	int want, want_n, width, i;

	for (r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++)
		for (width = ranges[r][1] - ranges[r][0] + 1; width >= 1;
		     width = r < 3 && width > 1 ? width - 1 : 0)
			for (wi = 0; wi < 4; wi++)
				for (sock = 0; sock < 2; sock++) {
					struct ephport_half_pass hp;
					struct ep_sim sim = {
						.kind = EP_SIM_CONNECT,
						.low = ranges[r][0],
						.high = ranges[r][0] + width - 1,
						.perturb = seed, .port_offset = 0x1234,
						.sock_range = sock, .used = used, .reserved = reserved,
					};

					ephport_connect_begin(sim.low, sim.high, sock, &hp);
					range = hp.remaining / hp.step;
					upper = range < widths[wi] ? range : widths[wi];
					if (hp.remaining <= 1) {
						CHECK(!ephport_connect_stride(&hp, 1, 0),
						      "no stride for a range of one");
						continue;
					}
					for (draw = 0; draw < upper; draw += upper > 64 ? upper / 16 + 1 : 1) {
						CHECK(ephport_connect_stride(&hp, upper, draw),
						      "stride %u below %u", draw, upper);
						for (i = 0; i < (int)ephport_pass_length(&hp); i++)
							CHECK(ephport_candidate_index(&hp, 3 & ~(hp.step - 1),
										      ephport_candidate(&hp, 3 & ~(hp.step - 1), i)) == i,
							      "stride %u: candidate %d found back", hp.stride, i);
						sim.stride = hp.stride;
						fill(sim.low, width, &seed, 3);
						want = kernel_hash_connect(sim.low, sim.high, sock,
									      sim.perturb, sim.port_offset,
									      widths[wi], draw,
									      want_tried, &want_n);
						compare_sim(&sim, want, want_n, "stride connect");
					}
					CHECK(!ephport_connect_stride(&hp, range + 1, 0),
					      "a bound past the sweep is no kernel's");
				}
}

/*
 * UDP: narrow and wide ranges (one ending at 65535), table sizes from the
 * per-netns minimum to one slot per port, draws at both ends.
 */
static void exhaustive_udp(void)
{
	static const int ranges[][2] = {
		{ 40000, 40000 }, { 40000, 40007 }, { 40001, 40300 },
		{ 65500, 65535 }, { 1024, 65535 }, { 32768, 60999 },
	};
	static const unsigned int slotss[] = { 128, 256, 4096, 65536 };
	static const unsigned int draws[] = { 0, 1, 0x80000000U, 0xffffffffU, 0x12345679U };
	unsigned int seed = 11, si, di, r;
	int density, want, want_n;

	for (r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++)
		for (si = 0; si < 4; si++)
			for (di = 0; di < 5; di++)
				for (density = 0; density < 5; density++) {
					struct ep_sim sim = {
						.kind = EP_SIM_UDP,
						.low = ranges[r][0], .high = ranges[r][1],
						.draws = &draws[di], .ndraws = 1,
						.slots = slotss[si],
						.used = used, .reserved = reserved,
					};

					fill(sim.low, sim.high - sim.low + 1, &seed, density);
					want = kernel_udp_get_port(sim.low, sim.high, draws[di],
								   sim.slots, want_tried, &want_n);
					compare_sim(&sim, want, want_n, "udp");
				}
}

/* connect() over wide and full ranges, mostly taken, and all taken. */
/* A pseudo-random number below @bound. */
static unsigned int below(unsigned int *seed, unsigned int bound)
{
	*seed = *seed * 1103515245 + 12345;
	return (*seed >> 8) % bound;
}

/*
 * The UDP walk's iterator, which jumps over ports out of range, against the
 * kernel's loop stepping through every port with all of them in use, over
 * random ranges from one port to all, tables from 1 slot to 65536, draws.
 */
static void udp_iterator(void)
{
	static const unsigned int slotss[] = { 1, 2, 128, 256, 512, 1024, 4096, 65536 };
	static const int widths[] = { 8, 300, 5000, 65536 };
	unsigned int seed = 17, t;

	for (t = 0; t < 3000; t++) {
		unsigned int slots = slotss[below(&seed, 8)], draw = seed * 2654435761U;
		int width = widths[below(&seed, 4)];
		int low, high, n, i, p;
		struct ephport_udp_walk w;
		struct ephport_udp_iter it;

		width = 1 + (int)below(&seed, (unsigned int)width);
		low = (int)below(&seed, (unsigned int)(EP_PORTS - width + 1));
		high = low + width - 1;

		memset(used + low, 1, width);
		kernel_udp_get_port(low, high, draw, slots, want_tried, &n);
		memset(used + low, 0, width);
		ephport_udp_begin(low, high, draw, slots, &w);
		ephport_udp_iter_init(&it, &w, 0);
		for (i = 0; (p = ephport_udp_next(&it)) >= 0 && i < n && p == want_tried[i]; i++)
			;
		CHECK(i == n && p < 0, "udp %d-%d, %u slots, draw %u: port %d is %d, kernel %d of %d",
		      low, high, slots, draw, i, p, i < n ? want_tried[i] : -1, n);
		i = n ? (int)below(&seed, (unsigned int)n) : 0;
		CHECK(!n || ephport_udp_examined_to(&w, want_tried[i]) == (unsigned int)i + 1,
		      "udp %d-%d, %u slots: %d examined to its %dth port", low, high, slots,
		      ephport_udp_examined_to(&w, want_tried[i]), i + 1);
	}
}

static void wide_connect(void)
{
	static const int ranges[][2] = { { 1, 65535 }, { 32768, 60999 }, { 1024, 65535 } };
	unsigned int seed = 3, r, sock, density;
	int want, want_n;

	for (r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++)
		for (sock = 0; sock < 2; sock++)
			for (density = 3; density <= 4; density++) {
				struct ep_sim sim = {
					.kind = EP_SIM_CONNECT,
					.low = ranges[r][0], .high = ranges[r][1],
					.perturb = seed, .port_offset = (unsigned long long)seed << 32,
					.sock_range = sock, .used = used, .reserved = reserved,
				};

				fill(sim.low, sim.high - sim.low + 1, &seed, density);
				want = kernel_hash_connect(sim.low, sim.high, sock, sim.perturb,
							   sim.port_offset, 0, 0, want_tried, &want_n);
				compare_sim(&sim, want, want_n, "wide connect");
			}
}

static void connect_and_udp_edges(void)
{
	struct ephport_half_pass hp;
	struct ephport_udp_walk w;

	/* connect: low's parity first, the other one second (bind's reverse) */
	ephport_connect_begin(32768, 60999, false, &hp);
	CHECK(hp.remaining == 28232 && hp.sweeps == 2 && hp.step == 2,
	      "connect default range: %u ports, %u sweeps", hp.remaining, hp.sweeps);
	CHECK(ephport_connect_offset(&hp, 28233, 0) == 0,
	      "connect offset is rounded down to low's parity");
	CHECK(ephport_connect_offset(&hp, 0xffffffffU, 1ULL << 32) == 0,
	      "perturb + hash wrap in 32 bits");
	/* a socket range: one sweep of step 1, width not rounded */
	ephport_connect_begin(40000, 40004, true, &hp);
	CHECK(hp.remaining == 5 && hp.sweeps == 1 && hp.step == 1 &&
	      ephport_connect_offset(&hp, 3, 0) == 3, "socket range: one sweep");
	/* one port: a single sweep */
	ephport_connect_begin(40000, 40000, false, &hp);
	CHECK(hp.sweeps == 1 && ephport_pass_length(&hp) == 1, "one port, one try");

	/* UDP: the first port scales the draw, the stride is odd * slots */
	ephport_udp_begin(32768, 60999, 0x80000000U, 256, &w);
	CHECK(w.first == 32768 + 14116 && w.stride == 256,
	      "udp first %u stride %u", w.first, w.stride);
	CHECK(ephport_udp_in_slots(&w, w.slots) == 28232, "every port once");
	CHECK(ephport_udp_examined_to(&w, w.first) == 1, "first port first");
	CHECK(ephport_udp_examined_to(&w, 61000) == 0, "out of range: never");
}

struct recorder {
	struct ep_record rec[64];
	int n;
};

static void record(const struct ep_record *rec, void *ctx)
{
	struct recorder *r = ctx;

	/* the edge cases index passes and candidates from 0 */
	if (rec->type != EP_BEGIN && r->n < 64)
		r->rec[r->n++] = *rec;
}

static int run(int low, int high, bool reuse, bool autobind, unsigned int draw,
	       struct recorder *r)
{
	struct ep_sim sim = {
		.low = low, .high = high, .reuse = reuse,
		.autobind_reuse = autobind, .draws = &draw, .ndraws = 1,
		.used = used, .reserved = reserved,
	};

	memset(r, 0, sizeof(*r));
	return ep_simulate(&sim, true, record, r);
}

static void edge_cases(void)
{
	struct recorder r;
	struct ephport_walk walk;
	struct ephport_half_pass hp;
	int port;

	memset(used, 0, sizeof(used));
	memset(reserved, 0, sizeof(reserved));

	/* one port: both parity passes try it, and it is even */
	used[32768] = true;
	port = run(32768, 32768, true, false, 0, &r);
	CHECK(port == -EADDRINUSE, "one busy port: %d", port);
	CHECK(r.n == 5 && r.rec[0].start == 32768 && r.rec[2].start == 32768 &&
	      r.rec[0].parity == EPHPORT_EVEN, "one port: %d records", r.n);
	CHECK(r.rec[4].examined == 2, "one port examined %lld", r.rec[4].examined);
	port = run(32768, 32768, true, true, 0, &r);
	CHECK(r.rec[r.n - 1].passes == 4 && r.rec[r.n - 3].type == EP_PASS &&
	      r.rec[r.n - 3].relax == 1,
	      "relax reruns both parities: %d passes", r.rec[r.n - 1].passes);
	used[32768] = false;
	CHECK(run(32768, 32768, true, false, 0, &r) == 32768, "one free port");

	/* two ports: odd first */
	CHECK(run(100, 101, false, false, 0, &r) == 101, "two ports: odd first");

	/* three ports: the kernel rounds the width down to 2, 102 is never tried */
	used[100] = used[101] = true;
	CHECK(run(100, 102, true, false, 1, &r) == -EADDRINUSE,
	      "three ports: the top one is never tried");
	used[100] = used[101] = false;

	/* four ports with SO_REUSEADDR: halves of 2 */
	ephport_walk_init(&walk, true);
	ephport_half_pass_begin(&walk, 200, 203, &hp);
	CHECK(hp.half == EPHPORT_HALF_LOWER && hp.low == 200 && hp.high == 202,
	      "four ports: lower half %d-%d", hp.low, hp.high);
	CHECK(ephport_half_pass_end(&walk, false) == EPHPORT_NEXT_UPPER, "then upper");
	ephport_half_pass_begin(&walk, 200, 203, &hp);
	CHECK(hp.half == EPHPORT_HALF_UPPER && hp.low == 202 && hp.high == 204,
	      "four ports: upper half %d-%d", hp.low, hp.high);
	CHECK(ephport_half_pass_end(&walk, false) == EPHPORT_NEXT_FAIL, "then fail");

	/* five ports without reuse: 204 only in the even pass, 200 never */
	used[201] = used[203] = true;
	CHECK(run(200, 204, false, false, 3, &r) == 202, "five ports: even pass");
	CHECK(r.rec[0].start == 203 && r.n == 3 + 2 + 1 && r.rec[3].start == 202,
	      "five ports: starts %lld then %lld", r.rec[0].start, r.rec[3].start);
	used[201] = used[203] = false;

	/* odd low: the first pass tries even ports */
	CHECK(run(32769, 61000, false, false, 0, &r) == 32770,
	      "odd low: first port tried is even");

	/* wrap-around: a draw near the top wraps to the bottom */
	used[40009] = true;
	CHECK(run(40000, 40009, false, false, 9, &r) == 40001, "wrap to the bottom");
	used[40009] = false;

	/* a full lower half sends the search up */
	used[40000] = used[40001] = used[40002] = used[40003] = true;
	port = run(40000, 40007, true, false, 0, &r);
	CHECK(port >= 40004 && port <= 40007, "full lower half: %d", port);
	CHECK(r.rec[r.n - 1].passes == 3, "lower odd, lower even, upper odd");
	memset(used, 0, sizeof(used));

	/* everything reserved */
	memset(reserved + 50000, 1, 10);
	CHECK(run(50000, 50009, true, true, 5, &r) == -EADDRINUSE, "all reserved");
	memset(reserved, 0, sizeof(reserved));

	/* the default range: the seed's half point */
	ephport_walk_init(&walk, true);
	ephport_half_pass_begin(&walk, 32768, 60999, &hp);
	CHECK(hp.high == 46884 && hp.remaining == 14116, "default lower half ends %d",
	      hp.high);

	/* candidate_index inverts candidate, and rejects what a pass skips */
	ephport_walk_init(&walk, false);
	ephport_half_pass_begin(&walk, 200, 204, &hp);
	CHECK(ephport_candidate_index(&hp, 3, 201) == 1, "index of a wrapped port");
	CHECK(ephport_candidate_index(&hp, 3, 200) == -1, "200 is never tried");
	CHECK(ephport_candidate_index(&hp, 2, 203) == -1, "other parity");
}

int main(void)
{
	exhaustive();
	edge_cases();
	exhaustive_connect();
	udp_iterator();
	wide_connect();
	stride_connect();
	exhaustive_udp();
	connect_and_udp_edges();
	return check_summary("model");
}
