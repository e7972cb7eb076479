// SPDX-License-Identifier: GPL-2.0
/*
 * Writes through the handlers of ip_local_reserved_ports and
 * ip_local_port_range begun and ended (reads, which leave the value as it
 * is, are not counted), for the stamps a search compares (writers.h), and
 * the calls already running when their probes were attached.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/kprobes.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/sysctl.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "writers.h"

struct writers {
	atomic_t begun;
	atomic_t done;
	const struct kretprobe *watched;
	const char *handler;
};

static struct writers writers[EPHPORT_SYSCTL_COUNT] = {
	[EPHPORT_SYSCTL_RESERVED] = { .handler = "proc_do_large_bitmap" },
	[EPHPORT_SYSCTL_RANGE] = { .handler = "ipv4_local_port_range" },
};

/*
 * A handler already running when its probe was attached is never seen to
 * begin.  Every call of these two sysctls holds its netns's net/ipv4
 * sysctl table (the header's use count, which lookups, opens and stats
 * take too) from before its handler runs to after it returns: once each
 * netns's table has been seen unused since the probes were attached, none
 * is left.  Until then no stamp is given.  A netns made later has had all
 * its calls seen.  Namespaces still to be seen unused, by cookie (unique,
 * never reused), in list order, in an array sized at the first look:
 */
#define SETTLE_POLL_MIN_MS 10
#define SETTLE_POLL_MAX_MS 1000

static u64 *pending;
static unsigned int nr_pending, pending_size, poll_ms;
static bool looked;	/* the first look is done */
static bool settled;
static void settle_again(struct work_struct *work);
static DECLARE_DELAYED_WORK(settle_work, settle_again);

static bool table_in_use(const struct net *net)
{
#ifdef CONFIG_SYSCTL
	const struct ctl_table_header *h = READ_ONCE(net->ipv4.ipv4_hdr);

	return h && READ_ONCE(h->used);
#else
	return false;
#endif
}

/* From @from on: kept entries go before it, the list's order being kept. */
static bool was_pending(u64 cookie, unsigned int from)
{
	unsigned int i;

	for (i = from; i < nr_pending; i++)
		if (pending[i] == cookie)
			return true;
	return false;
}

/*
 * Keeps the namespaces whose table is in use now and was at every look
 * before (at the first, all in use): how many, which is more than
 * pending_size when they did not fit (only at the first).  Listed (under
 * RCU), a netns's table is registered while it is read.
 */
static unsigned int look(void)
{
	unsigned int n = 0;
	struct net *net;

	rcu_read_lock();
	for_each_net_rcu(net) {
		if (!table_in_use(net) || (looked && !was_pending(net->net_cookie, n)))
			continue;
		if (n < pending_size)
			pending[n] = net->net_cookie;
		n++;
	}
	rcu_read_unlock();
	return n;
}

/* True once no netns in use at the first look still is. */
static bool settle_look(void)
{
	unsigned int n = look();

	if (n > pending_size) {
		/* room for them and a few more, for the next first look */
		kvfree(pending);
		pending_size = 2 * n;
		pending = kvmalloc_array(pending_size, sizeof(*pending), GFP_KERNEL);
		if (!pending)
			pending_size = 0;
		return false;
	}
	looked = true;
	nr_pending = n;
	if (n)
		return false;
	kvfree(pending);
	pending = NULL;
	pending_size = 0;
	/*
	 * The tables seen unused before any stamp trusts the counts (the
	 * writer's stores come before its table's release on x86-64, the
	 * one architecture Kbuild builds for)
	 */
	smp_store_release(&settled, true);
	return true;
}

static void settle_again(struct work_struct *work)
{
	if (settle_look()) {
		pr_info("the net/ipv4 sysctl tables in use at load are free again\n");
		return;
	}
	poll_ms = min_t(unsigned int, 2 * poll_ms, SETTLE_POLL_MAX_MS);
	schedule_delayed_work(&settle_work, msecs_to_jiffies(poll_ms));
}

void ephport_writers_settle(void)
{
	/*
	 * Attaching waited for every CPU to see the probes: a handler that
	 * ran unprobed took its table before.  The looks come after.
	 */
	smp_mb();
	if (settle_look())
		return;
	pr_info("net/ipv4 sysctl tables in use at load: searches' reserved ports and range unsure until they are free\n");
	poll_ms = SETTLE_POLL_MIN_MS;
	schedule_delayed_work(&settle_work, msecs_to_jiffies(poll_ms));
}

bool ephport_writers_settled(void)
{
	/* pairs with the release once the tables were seen unused */
	return smp_load_acquire(&settled);
}

void ephport_writers_stop(void)
{
	cancel_delayed_work_sync(&settle_work);
	WRITE_ONCE(settled, false);
	kvfree(pending);
	pending = NULL;
	pending_size = 0;
	looked = false;
}

void ephport_writers_watch(enum ephport_sysctl which, const struct kretprobe *rp)
{
	WRITE_ONCE(writers[which].watched, rp);
}

bool ephport_writers_watched(enum ephport_sysctl which)
{
	return READ_ONCE(writers[which].watched);
}

void ephport_writers_begun(enum ephport_sysctl which)
{
	atomic_inc(&writers[which].begun);
	/* counted before the writer touches the value */
	smp_mb__after_atomic();
}

void ephport_writers_done(enum ephport_sysctl which)
{
	/* the value written before the writer is counted done */
	smp_mb__before_atomic();
	atomic_inc(&writers[which].done);
}

bool ephport_writers_stamp(enum ephport_sysctl which, u32 *stamp)
{
	struct writers *w = &writers[which];
	const struct kretprobe *rp;
	u32 begun;

	/* the values read before a closing stamp are read before it */
	smp_rmb();
	begun = atomic_read(&w->begun);
	/* pairs with the writer's entry: one begun since is seen as running */
	smp_rmb();
	if (atomic_read(&w->done) != begun)
		return false;
	/* the probe last: one going away is never trusted for the counts read */
	smp_rmb();
	rp = READ_ONCE(w->watched);
	if (!rp || !ephport_writers_settled())
		return false;
	/* a writer missed (no instance, or nested) is never seen to end */
	if (READ_ONCE(rp->nmissed) || READ_ONCE(rp->kp.nmissed)) {
		pr_warn_once("%s writers missed: searches reading its value are unsure from now on\n",
			     w->handler);
		return false;
	}
	*stamp = begun;
	/* ... and the values read after an opening stamp, after it */
	smp_rmb();
	return true;
}
