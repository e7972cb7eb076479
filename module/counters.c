// SPDX-License-Identifier: GPL-2.0
/*
 * A namespace's row is claimed on its first search, under a raw spinlock
 * (claims only: looking a row up takes none), keyed by the namespace's
 * cookie (inode numbers are reused), and given back when the namespace goes
 * away; the counters are atomic64_t, so probe handlers (and the workers
 * writing searches handed over) add to them without a lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/errno.h>
#include <linux/hash.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <net/net_namespace.h>

#include "counters.h"

#define ROW_BITS 6

struct counts {
	atomic64_t searches[EPHPORT_WALK_COUNT];
	atomic64_t failed[EPHPORT_WALK_COUNT][EPHPORT_FAIL_COUNT];
	/* complete searches only: an incomplete one may not know its ports */
	atomic64_t examined[EPHPORT_WALK_COUNT][EPHPORT_EXAMINED_BUCKETS];
	atomic64_t examined_sum[EPHPORT_WALK_COUNT];
	/* every search: how long it took, entry to return, as traced */
	atomic64_t ns[EPHPORT_WALK_COUNT][EPHPORT_NS_BUCKETS];
	atomic64_t ns_sum[EPHPORT_WALK_COUNT];
};

struct counter_row {
	u64 cookie;		/* the namespace's, never reused; 0: free */
	u32 netns;		/* its inode, which the rows are shown by */
	struct counts c;
};

static_assert(BIT(ROW_BITS) == EPHPORT_COUNTER_ROWS);

static struct counter_row rows[EPHPORT_COUNTER_ROWS];
/* the namespaces that found every row taken */
static struct counter_row others;

/* Serialises claims: a namespace never gets two rows. */
static DEFINE_RAW_SPINLOCK(claim_lock);

/*
 * The row @net owns, or NULL; lock-free, from its hash's row on.  *@free:
 * a row was free then (else a claim would find none: no lock is taken).
 */
static struct counter_row *own_row(const struct net *net, unsigned int start, bool *free)
{
	unsigned int i;

	*free = false;
	for (i = 0; i < EPHPORT_COUNTER_ROWS; i++) {
		struct counter_row *r = &rows[(start + i) % EPHPORT_COUNTER_ROWS];
		/* pairs with the releases in claim and counters_net_exit() */
		u64 owner = smp_load_acquire(&r->cookie);

		if (owner == net->net_cookie)
			return r;
		*free |= !owner;
	}
	return NULL;
}

/*
 * A row freed by a namespace that went away may come before @net's own:
 * the whole table is searched for its own before one is claimed, and
 * claims look again under the lock.
 */
static struct counter_row *row_of(const struct net *net)
{
	unsigned int i, start = hash_64(net->net_cookie, ROW_BITS);
	struct counter_row *r;
	unsigned long flags;
	bool free;

	/*
	 * A dismantling namespace's searches (its kernel sockets') count in
	 * others: its row is left alone from the moment its count fell to 0,
	 * and the grace period before the exit methods waits out every
	 * handler that saw it above (a worker holds a reference on it).
	 */
	if (!check_net(net))
		return &others;
	r = own_row(net, start, &free);
	if (r)
		return r;
	if (!free)
		return &others;
	raw_spin_lock_irqsave(&claim_lock, flags);
	r = own_row(net, start, &free);
	for (i = 0; !r && i < EPHPORT_COUNTER_ROWS; i++) {
		struct counter_row *row = &rows[(start + i) % EPHPORT_COUNTER_ROWS];

		if (READ_ONCE(row->cookie))
			continue;
		WRITE_ONCE(row->netns, net->ns.inum);
		/* its netns is set before the row is seen as its */
		smp_store_release(&row->cookie, net->net_cookie);
		r = row;
	}
	raw_spin_unlock_irqrestore(&claim_lock, flags);
	return r ?: &others;
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

void ephport_counters_add(const struct net *net, enum ephport_walk_kind walk,
			  const struct ephport_end_rec *e)
{
	struct counter_row *r = row_of(net);

	atomic64_inc(&r->c.searches[walk]);
	atomic64_inc(&r->c.ns[walk][ephport_ns_bucket(e->ns)]);
	atomic64_add(e->ns, &r->c.ns_sum[walk]);
	if (e->err)
		atomic64_inc(&r->c.failed[walk][failure_of(e->err)]);
	if (!e->incomplete) {
		atomic64_inc(&r->c.examined[walk][ephport_examined_bucket(e->examined)]);
		atomic64_add(e->examined, &r->c.examined_sum[walk]);
	}
}

static void show_row(struct seq_file *m, struct counter_row *r, u32 netns)
{
	unsigned int w, i;

	for (w = 0; w < EPHPORT_WALK_COUNT; w++) {
		if (!atomic64_read(&r->c.searches[w]))
			continue;
		seq_printf(m, "netns=%u walk=%s searches=%lld", netns, ephport_walk_words[w],
			   atomic64_read(&r->c.searches[w]));
		for (i = 0; i < EPHPORT_FAIL_COUNT; i++)
			seq_printf(m, " %s=%lld", ephport_failure_words[i],
				   atomic64_read(&r->c.failed[w][i]));
		seq_printf(m, " examined_sum=%lld examined=", atomic64_read(&r->c.examined_sum[w]));
		for (i = 0; i < EPHPORT_EXAMINED_BUCKETS; i++)
			seq_printf(m, "%s%lld", i ? "," : "", atomic64_read(&r->c.examined[w][i]));
		seq_printf(m, " ns_sum=%lld ns=", atomic64_read(&r->c.ns_sum[w]));
		for (i = 0; i < EPHPORT_NS_BUCKETS; i++)
			seq_printf(m, "%s%lld", i ? "," : "", atomic64_read(&r->c.ns[w][i]));
		seq_putc(m, '\n');
	}
}

void ephport_counters_show(struct seq_file *m)
{
	unsigned int i;

	for (i = 0; i < EPHPORT_COUNTER_ROWS; i++)
		/* pairs with the release in counters_net_exit() */
		if (smp_load_acquire(&rows[i].cookie))
			show_row(m, &rows[i], READ_ONCE(rows[i].netns));
	show_row(m, &others, 0);
}

/*
 * A namespace that went away gives its row back, its counters with it: no
 * handler or worker still adds to it (row_of()).  At unload the probes are gone first.
 */
static void counters_net_exit(struct net *net)
{
	unsigned int i;

	for (i = 0; i < EPHPORT_COUNTER_ROWS; i++) {
		struct counter_row *r = &rows[i];

		if (READ_ONCE(r->cookie) != net->net_cookie)
			continue;
		memset(&r->c, 0, sizeof(r->c));
		/* zeroed before another namespace can claim the row */
		smp_store_release(&r->cookie, 0);
	}
}

static struct pernet_operations counters_net_ops = {
	.exit = counters_net_exit,
};

int ephport_counters_init(void)
{
	return register_pernet_subsys(&counters_net_ops);
}

void ephport_counters_exit(void)
{
	unregister_pernet_subsys(&counters_net_ops);
}
