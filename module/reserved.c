// SPDX-License-Identifier: GPL-2.0
/*
 * Writes through ip_local_reserved_ports' handler begun and ended (reads,
 * which leave the set as it is, are not counted), for the stamp the search
 * tracker takes at a search's start and end.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/kprobes.h>
#include <linux/printk.h>

#include "reserved.h"

static atomic_t calls_begun = ATOMIC_INIT(0);
static atomic_t calls_done = ATOMIC_INIT(0);
static const struct kretprobe *watched;

void ephport_reserved_watch(const struct kretprobe *rp)
{
	WRITE_ONCE(watched, rp);
}

void ephport_reserved_write_begun(void)
{
	atomic_inc(&calls_begun);
	/* counted before the writer touches the bitmap */
	smp_mb__after_atomic();
}

void ephport_reserved_write_done(void)
{
	atomic_inc(&calls_done);
}

bool ephport_reserved_stamp(u64 *stamp)
{
	const struct kretprobe *rp;
	u32 begun;

	/* the verdicts read before a closing stamp are read before it */
	smp_rmb();
	begun = atomic_read(&calls_begun);
	/* pairs with the writer's entry: one begun since is seen as running */
	smp_rmb();
	if (atomic_read(&calls_done) != begun)
		return false;
	/* the probe last: one going away is never trusted for the counts read */
	smp_rmb();
	rp = READ_ONCE(watched);
	if (!rp)
		return false;
	/* a writer missed (no instance, or nested) is never seen to end */
	if (READ_ONCE(rp->nmissed) || READ_ONCE(rp->kp.nmissed)) {
		pr_warn_once("proc_do_large_bitmap writers missed: verdicts are unsure from now on\n");
		return false;
	}
	*stamp = begun;
	return true;
}
