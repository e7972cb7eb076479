// SPDX-License-Identifier: GPL-2.0
/*
 * The shared model against a line-by-line transcription of Linux 6.1's
 * inet_csk_find_open_port(), over every small range, draw and occupancy,
 * plus the edge cases the README describes.
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
	      !strcmp(r.rec[0].parity, "even"), "one port: %d records", r.n);
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
	return check_summary("model");
}
