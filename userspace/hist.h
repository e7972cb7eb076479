/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Histogram of the ports chosen over the range (terminal and SVG), and how
 * hard each walk searched: ports examined and time per complete search.
 */
#ifndef EPHPORT_HIST_H
#define EPHPORT_HIST_H

#include <stdio.h>

#include "render.h"
#include "search.h"

#define EP_HIST_BINS 64

/* One walk's complete searches: what each examined and how long it took. */
struct ep_effort {
	unsigned long long *examined, *ns;
	size_t n, cap;
	unsigned long incomplete;	/* searches left out: they may not know */
};

struct ep_hist {
	int low, high;		/* the range of the first search seen */
	int half;		/* first port of the upper half, 0 if none */
	unsigned long bins[EP_HIST_BINS];
	unsigned long odd, even, failed, outside, searches;
	/* the parity story: bind() odd, connect() low's parity */
	unsigned long odd_by[EPHPORT_WALK_COUNT], even_by[EPHPORT_WALK_COUNT];
	struct ep_effort effort[EPHPORT_WALK_COUNT];
};

void ep_hist_init(struct ep_hist *h);
void ep_hist_free(struct ep_hist *h);
void ep_hist_add(struct ep_hist *h, const struct ep_search *s);
/* Sorts the effort samples it prints. */
void ep_hist_print(FILE *out, struct ep_hist *h);
void ep_hist_svg(FILE *out, const struct ep_hist *h);
struct ep_json;
/* "chosen" and "walks" keys into the open object @j (sorts the samples too). */
void ep_hist_json(struct ep_json *j, struct ep_hist *h);

#endif /* EPHPORT_HIST_H */
