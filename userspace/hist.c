// SPDX-License-Identifier: GPL-2.0
/* Histograms of chosen ports, ports examined and search times (hist.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "json.h"
#include "render.h"

#define ROWS 8
#define SVG_BIN_WIDTH 10
#define SVG_HEIGHT 200
#define SVG_MARGIN 40
#define PARITY_BAR 40

void ep_hist_init(struct ep_hist *h)
{
	memset(h, 0, sizeof(*h));
}

void ep_hist_free(struct ep_hist *h)
{
	int w;

	for (w = 0; w < EPHPORT_WALK_COUNT; w++) {
		free(h->effort[w].examined);
		free(h->effort[w].ns);
	}
	ep_hist_init(h);
}

/* A complete search's effort; an incomplete one's count may be short. */
static void add_effort(struct ep_effort *e, const struct ep_search *s)
{
	if (s->end.incomplete) {
		e->incomplete++;
		return;
	}
	if (e->n == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 64;
		unsigned long long *x = realloc(e->examined, cap * sizeof(*x));

		if (!x)
			return;
		e->examined = x;
		x = realloc(e->ns, cap * sizeof(*x));
		if (!x)
			return;
		e->ns = x;
		e->cap = cap;
	}
	e->examined[e->n] = (unsigned long long)s->end.examined;
	e->ns[e->n++] = s->end.ns;
}

static int by_value(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

/* The nearest-rank @pct percentile of the sorted @v. */
static unsigned long long percentile(const unsigned long long *v, size_t n, unsigned int pct)
{
	size_t rank = (n * pct + 99) / 100;

	return v[rank ? rank - 1 : 0];
}

static void print_ns(FILE *out, unsigned long long ns)
{
	if (ns < 10000)
		fprintf(out, "%llu ns", ns);
	else if (ns < 10000000)
		fprintf(out, "%.1f us", ns / 1e3);
	else
		fprintf(out, "%.1f ms", ns / 1e6);
}

/* Per walk: ports examined and time of its complete searches, p50, p99, max. */
static void print_effort(FILE *out, struct ep_hist *h)
{
	int w;

	for (w = 0; w < EPHPORT_WALK_COUNT; w++) {
		struct ep_effort *e = &h->effort[w];

		if (!e->n && !e->incomplete)
			continue;
		fprintf(out, "  %s: %zu complete searches", ep_walk_names[w], e->n);
		if (e->incomplete)
			fprintf(out, " (%lu incomplete left out)", e->incomplete);
		if (e->n) {
			qsort(e->examined, e->n, sizeof(*e->examined), by_value);
			qsort(e->ns, e->n, sizeof(*e->ns), by_value);
			fprintf(out, ", ports examined p50 %llu p99 %llu max %llu; time p50 ",
				percentile(e->examined, e->n, 50),
				percentile(e->examined, e->n, 99), e->examined[e->n - 1]);
			print_ns(out, percentile(e->ns, e->n, 50));
			fprintf(out, " p99 ");
			print_ns(out, percentile(e->ns, e->n, 99));
			fprintf(out, " max ");
			print_ns(out, e->ns[e->n - 1]);
		}
		fprintf(out, "\n");
	}
}

static int bin_of(const struct ep_hist *h, int port)
{
	long long span = (long long)h->high - h->low + 1;

	return (int)((long long)(port - h->low) * EP_HIST_BINS / span);
}

void ep_hist_add(struct ep_hist *h, const struct ep_search *s)
{
	int i;

	if (!s->has_begin || !s->has_end)
		return;
	add_effort(&h->effort[ep_walk_of(s)], s);
	if (!h->searches++) {
		ep_effective_range(s, &h->low, &h->high);
		for (i = 0; i < s->npass; i++)
			if (s->passes[i].rec.half == EPHPORT_HALF_LOWER)
				h->half = s->passes[i].rec.high;
	}
	if (s->end.err) {
		h->failed++;
		return;
	}
	if (s->end.port < h->low || s->end.port > h->high) {
		h->outside++;
		return;
	}
	h->bins[bin_of(h, s->end.port)]++;
	if (s->end.port & 1) {
		h->odd++;
		h->odd_by[ep_walk_of(s)]++;
	} else {
		h->even++;
		h->even_by[ep_walk_of(s)]++;
	}
}

static unsigned long tallest(const struct ep_hist *h)
{
	unsigned long max = 1;
	int i;

	for (i = 0; i < EP_HIST_BINS; i++)
		if (h->bins[i] > max)
			max = h->bins[i];
	return max;
}

static void parity_bar(FILE *out, const char *walk, const char *name,
		       unsigned long n, unsigned long total)
{
	unsigned long i, len = total ? n * PARITY_BAR / total : 0;

	fprintf(out, "  %-9s %-4s %6lu ", walk, name, n);
	for (i = 0; i < len; i++)
		fputc('#', out);
	fputc('\n', out);
}

void ep_hist_print(FILE *out, struct ep_hist *h)
{
	unsigned long max = tallest(h), chosen = h->odd + h->even;
	int row, i, half_bin = h->half ? bin_of(h, h->half) : -1;

	if (!h->searches) {
		fprintf(out, "no searches buffered: bind some sockets to port 0, or raise the detail\n");
		return;
	}
	fprintf(out, "ports chosen in %lu searches over %d-%d (%d ports a column)",
		h->searches, h->low, h->high,
		(h->high - h->low + EP_HIST_BINS) / EP_HIST_BINS);
	if (h->half)
		fprintf(out, ", '|' marks the half point %d", h->half);
	fprintf(out, "\n");
	for (row = ROWS; row > 0; row--) {
		if (row == ROWS)
			fprintf(out, "  %6lu ", max);
		else
			fprintf(out, "%9s", "");
		for (i = 0; i < EP_HIST_BINS; i++) {
			bool filled = h->bins[i] * ROWS >= (unsigned long)row * max &&
				      h->bins[i];

			fputc(filled ? '#' : i == half_bin ? '|' : ' ', out);
		}
		fputc('\n', out);
	}
	fprintf(out, "         %-*d%d\n", EP_HIST_BINS - 5, h->low, h->high);
	for (i = 0; i < EPHPORT_WALK_COUNT; i++) {
		if (!h->odd_by[i] && !h->even_by[i])
			continue;
		parity_bar(out, ep_walk_names[i], "odd", h->odd_by[i], chosen);
		parity_bar(out, ep_walk_names[i], "even", h->even_by[i], chosen);
	}
	if (h->failed || h->outside)
		fprintf(out, "  %lu failed, %lu outside the first search's range\n",
			h->failed, h->outside);
	fprintf(out, "how hard each walk searched:\n");
	print_effort(out, h);
}

void ep_hist_svg(FILE *out, const struct ep_hist *h)
{
	int width = EP_HIST_BINS * SVG_BIN_WIDTH + 2 * SVG_MARGIN;
	int height = SVG_HEIGHT + 4 * SVG_MARGIN, i, row;
	unsigned long max = tallest(h), chosen = h->odd + h->even;

	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"monospace\" font-size=\"12\">\n",
		width, height);
	fprintf(out, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(out, "<text x=\"%d\" y=\"20\">ports chosen in %lu searches over %d-%d</text>\n",
		SVG_MARGIN, h->searches, h->low, h->high);
	for (i = 0; i < EP_HIST_BINS; i++) {
		int bar = (int)(h->bins[i] * SVG_HEIGHT / max);

		fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"steelblue\"><title>%lu</title></rect>\n",
			SVG_MARGIN + i * SVG_BIN_WIDTH,
			SVG_MARGIN + SVG_HEIGHT - bar, SVG_BIN_WIDTH - 1, bar,
			h->bins[i]);
	}
	if (h->half) {
		int x = SVG_MARGIN + bin_of(h, h->half) * SVG_BIN_WIDTH;

		fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"red\" stroke-dasharray=\"4\"/>\n",
			x, SVG_MARGIN, x, SVG_MARGIN + SVG_HEIGHT);
		fprintf(out, "<text x=\"%d\" y=\"%d\" fill=\"red\">half %d</text>\n",
			x + 4, SVG_MARGIN + 12, h->half);
	}
	fprintf(out, "<text x=\"%d\" y=\"%d\">%d</text>\n", SVG_MARGIN,
		SVG_MARGIN + SVG_HEIGHT + 16, h->low);
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d</text>\n",
		width - SVG_MARGIN, SVG_MARGIN + SVG_HEIGHT + 16, h->high);
	for (i = 0, row = 0; i < EPHPORT_WALK_COUNT; i++)
		if (h->odd_by[i] || h->even_by[i])
			fprintf(out, "<text x=\"%d\" y=\"%d\">%s: odd %lu (%lu%%)  even %lu (%lu%%)</text>\n",
				SVG_MARGIN, SVG_MARGIN + SVG_HEIGHT + 40 + 16 * row++,
				ep_walk_names[i], h->odd_by[i],
				chosen ? h->odd_by[i] * 100 / chosen : 0, h->even_by[i],
				chosen ? h->even_by[i] * 100 / chosen : 0);
	fprintf(out, "</svg>\n");
}

static void effort_json(struct ep_json *j, const char *name, const unsigned long long *v,
			size_t n)
{
	ep_json_key(j, name);
	ep_json_start_object(j);
	ep_json_kuint(j, "p50", percentile(v, n, 50));
	ep_json_kuint(j, "p99", percentile(v, n, 99));
	ep_json_kuint(j, "max", v[n - 1]);
	ep_json_end_object(j);
}

void ep_hist_json(struct ep_json *j, struct ep_hist *h)
{
	int i, w;

	ep_json_key(j, "chosen");
	ep_json_start_object(j);
	ep_json_kuint(j, "searches", h->searches);
	ep_json_kint(j, "low", h->low);
	ep_json_kint(j, "high", h->high);
	ep_json_kint(j, "half", h->half);
	ep_json_key(j, "bins");
	ep_json_start_array(j);
	for (i = 0; h->searches && i < EP_HIST_BINS; i++)
		ep_json_uint(j, h->bins[i]);
	ep_json_end_array(j);
	ep_json_kuint(j, "failed", h->failed);
	ep_json_kuint(j, "outside", h->outside);
	ep_json_end_object(j);
	ep_json_key(j, "walks");
	ep_json_start_object(j);
	for (w = 0; w < EPHPORT_WALK_COUNT; w++) {
		struct ep_effort *e = &h->effort[w];

		if (!e->n && !e->incomplete && !h->odd_by[w] && !h->even_by[w])
			continue;
		ep_json_key(j, ephport_walk_words[w]);
		ep_json_start_object(j);
		ep_json_kuint(j, "odd", h->odd_by[w]);
		ep_json_kuint(j, "even", h->even_by[w]);
		ep_json_kuint(j, "complete", e->n);
		ep_json_kuint(j, "incomplete", e->incomplete);
		if (e->n) {
			qsort(e->examined, e->n, sizeof(*e->examined), by_value);
			qsort(e->ns, e->n, sizeof(*e->ns), by_value);
			effort_json(j, "examined", e->examined, e->n);
			effort_json(j, "ns", e->ns, e->n);
		}
		ep_json_end_object(j);
	}
	ep_json_end_object(j);
}
