// SPDX-License-Identifier: GPL-2.0
/* Record lines assembled into whole searches; gaps in seq counted as lost. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search.h"

/* Searches in flight at once: beyond this, ends were lost; flush the oldest. */
#define MAX_OPEN 1024

static void *grow(void *array, int *cap, int need, size_t size)
{
	int cap2 = *cap ? *cap * 2 : 4;

	if (need <= *cap)
		return array;
	while (cap2 < need)
		cap2 *= 2;
	array = realloc(array, (size_t)cap2 * size);
	if (!array) {
		perror("ephport");
		exit(1);
	}
	*cap = cap2;
	return array;
}

void ep_asm_init(struct ep_assembler *a, ep_search_done done, ep_search_gap gap,
		 void *ctx)
{
	memset(a, 0, sizeof(*a));
	a->done = done;
	a->gap = gap;
	a->ctx = ctx;
}

void ep_search_free(struct ep_search *s)
{
	int i;

	for (i = 0; i < s->npass; i++)
		free(s->passes[i].cands);
	free(s->passes);
	memset(s, 0, sizeof(*s));
}

static void hand_over(struct ep_assembler *a, int i)
{
	struct ep_search s = a->open[i];

	memmove(&a->open[i], &a->open[i + 1],
		(size_t)(a->nopen - i - 1) * sizeof(s));
	a->nopen--;
	if (!a->done(&s, a->ctx))
		ep_search_free(&s);
}

static struct ep_search *find(struct ep_assembler *a, unsigned long long id)
{
	int i;

	for (i = a->nopen - 1; i >= 0; i--)
		if (a->open[i].id == id)
			return &a->open[i];
	if (a->nopen == MAX_OPEN)
		hand_over(a, 0);
	a->open = grow(a->open, &a->capopen, a->nopen + 1, sizeof(*a->open));
	memset(&a->open[a->nopen], 0, sizeof(*a->open));
	a->open[a->nopen].id = id;
	return &a->open[a->nopen++];
}

/*
 * Record @seq arrived; the first after the ones a clear discarded is
 * @next: anything missing between the last one and it was lost.
 */
static void arrived(struct ep_assembler *a, unsigned long long next, unsigned long long seq)
{
	if (a->last_seq && next > a->last_seq + 1) {
		a->lost += next - a->last_seq - 1;
		if (a->gap)
			a->gap(next - a->last_seq - 1, next, a->ctx);
	}
	if (seq > a->last_seq)
		a->last_seq = seq;
}

void ep_asm_seq(struct ep_assembler *a, unsigned long long seq)
{
	arrived(a, seq, seq);
}

void ep_asm_record(struct ep_assembler *a, const struct ep_record *rec)
{
	/* the records a clear discarded are not lost */
	unsigned long long next = rec->seq;
	struct ep_search *s;
	struct ep_pass *p;

	if (rec->type == EP_CLEAR)
		next = rec->cleared < next ? next - rec->cleared : 0;
	arrived(a, next, rec->seq);
	if (rec->type == EP_CLEAR) {
		a->cleared += rec->cleared;
		return;
	}
	s = find(a, rec->search);
	switch (rec->type) {
	case EP_BEGIN:
		s->begin = *rec;
		s->has_begin = true;
		break;
	case EP_PASS:
		s->passes = grow(s->passes, &s->cappass, s->npass + 1,
				 sizeof(*s->passes));
		memset(&s->passes[s->npass], 0, sizeof(*s->passes));
		s->passes[s->npass++].rec = *rec;
		break;
	case EP_CAND:
		/* a candidate belongs to the latest pass with its number */
		if (!s->npass || s->passes[s->npass - 1].rec.pass != rec->pass)
			break;
		p = &s->passes[s->npass - 1];
		p->cands = grow(p->cands, &p->capcand, p->ncand + 1,
				sizeof(*p->cands));
		p->cands[p->ncand++] = *rec;
		break;
	case EP_END:
		s->end = *rec;
		s->has_end = true;
		hand_over(a, (int)(s - a->open));
		break;
	case EP_CLEAR:
		break;
	}
}

void ep_asm_line(struct ep_assembler *a, const char *line)
{
	struct ep_record rec;
	int rc = ep_record_parse(line, &rec);

	if (rc < 0)
		a->unparsable++;
	if (rc)
		ep_asm_skipped_line(a, line);
	else
		ep_asm_record(a, &rec);
}

void ep_asm_skipped_line(struct ep_assembler *a, const char *line)
{
	unsigned long long seq;

	if (sscanf(line, "seq=%llu ", &seq) == 1)
		ep_asm_seq(a, seq);
}

void ep_asm_finish(struct ep_assembler *a, bool deliver)
{
	while (deliver && a->nopen)
		hand_over(a, 0);
	while (a->nopen)
		ep_search_free(&a->open[--a->nopen]);
	free(a->open);
	a->open = NULL;
	a->capopen = 0;
}
