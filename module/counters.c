// SPDX-License-Identifier: GPL-2.0
/*
 * A namespace's row is claimed with cmpxchg on its first search and never
 * given back (the counters are totals since load); the counters are
 * atomic64_t, so probe handlers add to them without a lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/errno.h>
#include <linux/hash.h>

#include "counters.h"

#define ROW_BITS 6

struct counter_row {
	u32 netns;		/* 0: free */
	atomic64_t searches[EPHPORT_WALK_COUNT];
	atomic64_t failed[EPHPORT_WALK_COUNT][EPHPORT_FAIL_COUNT];
	/* complete searches only: an incomplete one may not know its ports */
	atomic64_t examined[EPHPORT_WALK_COUNT][EPHPORT_EXAMINED_BUCKETS];
	atomic64_t examined_sum[EPHPORT_WALK_COUNT];
};

static_assert(BIT(ROW_BITS) == EPHPORT_COUNTER_ROWS);

static struct counter_row rows[EPHPORT_COUNTER_ROWS];
/* the namespaces that found every row taken */
static struct counter_row others;

static struct counter_row *row_of(u32 netns)
{
	unsigned int i, start = hash_32(netns, ROW_BITS);

	for (i = 0; i < EPHPORT_COUNTER_ROWS; i++) {
		struct counter_row *r = &rows[(start + i) % EPHPORT_COUNTER_ROWS];
		u32 owner = READ_ONCE(r->netns);

		if (!owner)
			owner = cmpxchg(&r->netns, 0, netns) ?: netns;
		if (owner == netns)
			return r;
	}
	return &others;
}

static enum ephport_failure failure_of(int err)
{
	switch (err) {
	case -EADDRINUSE:
		return EPHPORT_FAIL_EADDRINUSE;
	case -EADDRNOTAVAIL:
		return EPHPORT_FAIL_EADDRNOTAVAIL;
	default:
		return EPHPORT_FAIL_OTHER;
	}
}

void ephport_counters_add(u32 netns, enum ephport_walk_kind walk, int err, u32 examined,
			  bool complete)
{
	struct counter_row *r = row_of(netns);

	atomic64_inc(&r->searches[walk]);
	if (err)
		atomic64_inc(&r->failed[walk][failure_of(err)]);
	if (complete) {
		atomic64_inc(&r->examined[walk][ephport_examined_bucket(examined)]);
		atomic64_add(examined, &r->examined_sum[walk]);
	}
}

static void show_row(struct seq_file *m, struct counter_row *r, u32 netns)
{
	unsigned int w, i;

	for (w = 0; w < EPHPORT_WALK_COUNT; w++) {
		if (!atomic64_read(&r->searches[w]))
			continue;
		seq_printf(m, "netns=%u walk=%s searches=%lld", netns, ephport_walk_words[w],
			   atomic64_read(&r->searches[w]));
		for (i = 0; i < EPHPORT_FAIL_COUNT; i++)
			seq_printf(m, " %s=%lld", ephport_failure_words[i],
				   atomic64_read(&r->failed[w][i]));
		seq_printf(m, " examined_sum=%lld examined=", atomic64_read(&r->examined_sum[w]));
		for (i = 0; i < EPHPORT_EXAMINED_BUCKETS; i++)
			seq_printf(m, "%s%lld", i ? "," : "", atomic64_read(&r->examined[w][i]));
		seq_putc(m, '\n');
	}
}

void ephport_counters_show(struct seq_file *m)
{
	unsigned int i;

	for (i = 0; i < EPHPORT_COUNTER_ROWS; i++) {
		u32 netns = READ_ONCE(rows[i].netns);

		if (netns)
			show_row(m, &rows[i], netns);
	}
	show_row(m, &others, 0);
}
