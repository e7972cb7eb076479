// SPDX-License-Identifier: GPL-2.0
/*
 * Writes through the handlers of ip_local_reserved_ports and
 * ip_local_port_range begun and ended (reads, which leave the value as it
 * is, are not counted), for the stamps a search compares (writers.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/kprobes.h>
#include <linux/printk.h>

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
	if (!rp)
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
