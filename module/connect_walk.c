// SPDX-License-Identifier: GPL-2.0
/*
 * connect()'s walk (connect_walk.h): where it started and what it passed
 * by, derived at its end from what connect.c's probes saw (the slot's
 * value the kernel read, or the ports it locked; the range, 7.x's stride,
 * the failed 4-tuple checks), each fact checked against the others.
 */
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/minmax.h>
#include <net/net_namespace.h>

#include "compat.h"
#include "connect_walk.h"
#include "search.h"
#include "writers.h"

/* A port of @s's range is reserved: passed by without a lock (or a check). */
static bool reserved_in_range(const struct ephport_search *s)
{
	const unsigned long *reserved = READ_ONCE(s->net->ipv4.sysctl_local_reserved_ports);

	return reserved && find_next_bit(reserved, s->range_high + 1, s->range_low) <=
			   s->range_high;
}

/*
 * ... and none was all along: the reserved ports' writers are the same
 * as at the search's start (a port reserved and freed during the walk is
 * passed by without a lock too).
 */
static bool none_reserved_throughout(const struct ephport_search *s)
{
	u32 stamp;

	return s->reserved_stable &&
	       ephport_writers_stamp(EPHPORT_SYSCTL_RESERVED, &stamp) &&
	       stamp == s->reserved_stamp && !reserved_in_range(s);
}

/*
 * Before 6.15 connect() locks every port it walks to but the reserved:
 * with none of those in its range and every lock seen, as many locks as
 * ports examined, or the walk derived is not the kernel's (a slot's value
 * taken away and back between the module's two reads, say).  True when it
 * cannot tell.
 */
bool ephport_connect_locks_agree(const struct ephport_search *s)
{
	return !s->locks_counted || reserved_in_range(s) || s->locked == s->examined;
}

/*
 * 7.x: the stride the kernel walked with, into @hp.  It reads
 * ip_local_port_step_width once, between the module's reads at entry and
 * now: with both equal, the stride's draw was seen with the bound that
 * width gives, or there was none (width 0, or a range of one port).  A
 * width changed and changed back in between is beyond what can be seen.
 */
static bool connect_stride_known(const struct ephport_search *s,
				 struct ephport_half_pass *hp)
{
	u32 width = ephport_port_step_width(s->net), sweep = hp->remaining / hp->step;

	if (!EPHPORT_CONNECT_STRIDE)
		return true;
	if (width != s->step_width)
		return false;
	if (!width || hp->remaining <= 1)
		return !s->stride_upper;
	return s->stride_drawn && s->stride_upper == min(sweep, width) &&
	       ephport_connect_stride(hp, s->stride_upper, s->stride_draw);
}

/*
 * Every failed 4-tuple check was of a port the walk passed by before it
 * reached the chosen one (@index in its last sweep), or before it ran dry,
 * and they came in the walk's order: for a failed search, whose walk
 * covers every port whatever its start, the order is what tells.
 */
static bool checks_on_walk(const struct ephport_search *s, const struct ephport_half_pass *hp,
			   unsigned int offset, unsigned int sweeps, int index)
{
	long long last = -1;
	unsigned int i;

	for (i = 0; i < s->nr_established; i++) {
		struct ephport_sweep sw;
		long long at_walk = -1;

		ephport_sweep_init(&sw, hp, offset);
		while (at_walk < 0 && sw.n < sweeps && ephport_sweep_next(&sw)) {
			int at = ephport_sweep_index(&sw, s->established[i]);

			if (at >= 0 && (sw.n < sweeps || index < 0 || at < index))
				at_walk = (long long)(sw.n - 1) * EPHPORT_PORTS + at;
		}
		if (at_walk <= last)
			return false;
		last = at_walk;
	}
	return true;
}

/*
 * Before 6.15, where every lock was seen and no port of the range is
 * reserved, a connect() that took @chosen locked exactly the ports it
 * walked to, @chosen last: their count fixes where the walk started,
 * whatever the slot held.  Its parity says which sweep found it (the
 * first sweep has the offsets of low's parity).  False when the count
 * fits no walk.
 */
static bool offset_from_locks(const struct ephport_search *s, const struct ephport_half_pass *hp,
			      int chosen, unsigned int *offset)
{
	unsigned int sweep = hp->sweeps > 1 ? (unsigned int)(chosen - hp->low) & 1 : 0;
	unsigned int length = ephport_pass_length(hp), index, start;
	struct ephport_sweep sw;

	if (!s->locks_counted || !none_reserved_throughout(s) || s->locked <= sweep * length ||
	    s->locked - sweep * length > length)
		return false;
	index = s->locked - 1 - sweep * length;
	/* where the sweep started: @index steps back from @chosen, modulo the range */
	start = (unsigned int)(((long long)(chosen - hp->low) - (long long)hp->step * index) %
			       hp->remaining + hp->remaining) % hp->remaining;
	if (start < sweep)
		return false;
	*offset = start - sweep;
	/* the model's walk from there must reach @chosen at that very step */
	ephport_sweep_init(&sw, hp, *offset);
	while (ephport_sweep_next(&sw) && sw.n <= sweep)
		;
	return sw.n == sweep + 1 && ephport_sweep_index(&sw, chosen) == (int)index;
}

/*
 * connect()'s walk, from what the kernel surely used: its first sweep's
 * offset, into @offset and @s's half pass, from the slot's value as the
 * kernel read it (see walking()) or, failing that, from
 * the ports it locked; the range unchanged since entry, and 7.x's stride.
 * The ports its checks failed on must lie on that walk, before the one
 * taken.  A failure other than running out of ports (-ENOMEM) came after
 * a port was picked: not a walk that ran dry.  False when the walk is not
 * known.
 */
bool ephport_connect_walk(struct ephport_search *s, int ret, int chosen, unsigned int *offset)
{
	struct ephport_half_pass *hp = &s->half[0];
	struct ephport_sweep sw;
	int index = -1;

	/* a range site that never fired leaves the range the kernel read unknown */
	if ((ret && ret != -EADDRNOTAVAIL) || s->draws_lost || (s->begin_pending && !s->ranged) ||
	    !ephport_search_range_unchanged(s))
		return false;
	ephport_connect_begin(s->range_low, s->range_high,
			      ephport_connect_one_sweep(s->sock_low, s->sock_high), hp);
	if (!connect_stride_known(s, hp))
		return false;
	if (s->perturb_used)
		*offset = ephport_connect_offset(hp, s->perturb, s->hash);
	/* a begin already written gave a value not confirmed: no other start */
	else if (!(s->begin_pending && chosen > 0 && hp->stride == 1 &&
		   offset_from_locks(s, hp, chosen, offset)))
		return false;
	ephport_sweep_init(&sw, hp, *offset);
	while (chosen > 0 && index < 0 && ephport_sweep_next(&sw))
		index = ephport_sweep_index(&sw, chosen);
	return (chosen <= 0 || index >= 0) &&
	       checks_on_walk(s, hp, *offset, chosen > 0 ? sw.n : hp->sweeps, index);
}
