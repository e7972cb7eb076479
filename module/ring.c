// SPDX-License-Identifier: GPL-2.0
/* The record ring (ring.h): written without waiting, the oldest unread overwritten. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/irq_work.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "ring.h"

static struct ephport_record *records;
static u32 ring_mask;
/* seq of the next record to write; seq 0 is never used */
static u64 ring_head = 1;
/* seq of the oldest unconsumed record still held */
static u64 ring_tail = 1;
static u64 ring_dropped;
static u64 ring_cleared;
/* seq of the newest record overwritten before it was read (0: none) */
static u64 ring_lost_upto;
/* seq of the newest record a clear discarded (0: none) */
static u64 ring_cleared_upto;
static atomic64_t ring_discarded = ATOMIC64_INIT(0);
static DEFINE_RAW_SPINLOCK(ring_lock);

DECLARE_WAIT_QUEUE_HEAD(ephport_ring_wait);

/*
 * Readers are woken once per batch, not per search: after
 * EPHPORT_WAKE_DELAY_MS, or at once when the ring is a quarter full.  A
 * wake-up per search costs a reader more than copying its records does;
 * 50 ms rather than 10 cut a binary reader's cost by a fifth (make bench),
 * and is still below what a person watching notices.
 */
#define EPHPORT_WAKE_DELAY_MS 50
#define EPHPORT_WAKE_NOW_SHIFT 2

static void ring_wake(struct work_struct *work)
{
	wake_up_interruptible(&ephport_ring_wait);
}

static DECLARE_DELAYED_WORK(ring_wake_work, ring_wake);

static bool ring_filling(void)
{
	return READ_ONCE(ring_head) - READ_ONCE(ring_tail) >
	       ring_mask >> EPHPORT_WAKE_NOW_SHIFT;
}

static void ring_schedule_wake(struct irq_work *work)
{
	if (ring_filling())
		mod_delayed_work(ephport_percpu_wq, &ring_wake_work, 0);
	else
		schedule_delayed_work(&ring_wake_work,
				      msecs_to_jiffies(EPHPORT_WAKE_DELAY_MS));
}

static DEFINE_IRQ_WORK(ring_wakeup, ring_schedule_wake);

int ephport_ring_init(unsigned int size)
{
	size = roundup_pow_of_two(size);
	records = vzalloc(array_size(size, sizeof(*records)));
	if (!records)
		return -ENOMEM;
	ring_mask = size - 1;
	return 0;
}

void ephport_ring_exit(void)
{
	irq_work_sync(&ring_wakeup);
	cancel_delayed_work_sync(&ring_wake_work);
	vfree(records);
	records = NULL;
}

/* The next seq; the oldest unread record makes room when the ring is full. */
static u64 ring_reserve(void)
{
	lockdep_assert_held(&ring_lock);
	if (ring_head - ring_tail == ring_mask + 1) {
		ring_lost_upto = ring_tail;
		ring_tail++;
		ring_dropped++;
	}
	return ring_head++;
}

/*
 * Every record leaves the ring as it is kept: stamped for the binary
 * readers, and zero past its type's fields (an initializer of one union
 * member leaves the rest of the union unspecified).
 */
static void ring_put(struct ephport_record *rec)
{
	rec->size = ephport_record_bytes(rec->type);
	rec->version = EPHPORT_RECORD_VERSION;
	memset((char *)rec + rec->size, 0, sizeof(*rec) - rec->size);
	records[rec->seq & ring_mask] = *rec;
}

static void ring_store(struct ephport_record *rec)
{
	rec->seq = ring_reserve();
	ring_put(rec);
}

void ephport_ring_write(struct ephport_record *recs, unsigned int n)
{
	unsigned long flags;
	unsigned int i;

	raw_spin_lock_irqsave(&ring_lock, flags);
	for (i = 0; i < n; i++)
		ring_store(&recs[i]);
	raw_spin_unlock_irqrestore(&ring_lock, flags);
}

void ephport_ring_write_end(struct ephport_record *end, u64 first)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&ring_lock, flags);
	/* after making room for the end, which may push out the begin */
	end->seq = ring_reserve();
	if (max(ring_lost_upto, ring_cleared_upto) >= first)
		end->end.incomplete = 1;
	ring_put(end);
	raw_spin_unlock_irqrestore(&ring_lock, flags);
}

void ephport_ring_kick(void)
{
	/* No wake_up() or timers here: their own paths may be probed. */
	if (wq_has_sleeper(&ephport_ring_wait))
		irq_work_queue(&ring_wakeup);
}

/* Under ring_lock: copies up to @max records from seq @from on. */
static unsigned int ring_copy(u64 from, struct ephport_record *recs,
			      unsigned int max)
{
	unsigned int i, n = min_t(u64, ring_head - from, max);

	lockdep_assert_held(&ring_lock);
	for (i = 0; i < n; i++)
		recs[i] = records[(from + i) & ring_mask];
	return n;
}

unsigned int ephport_ring_peek(u64 *cursor, struct ephport_record *recs,
			       unsigned int max)
{
	unsigned long flags;
	unsigned int n;

	raw_spin_lock_irqsave(&ring_lock, flags);
	if (*cursor < ring_tail)
		*cursor = ring_tail;
	n = ring_copy(*cursor, recs, max);
	*cursor += n;
	raw_spin_unlock_irqrestore(&ring_lock, flags);
	return n;
}

unsigned int ephport_ring_take(struct ephport_record *recs, unsigned int max)
{
	unsigned long flags;
	unsigned int n;

	raw_spin_lock_irqsave(&ring_lock, flags);
	n = ring_copy(ring_tail, recs, max);
	ring_tail += n;
	raw_spin_unlock_irqrestore(&ring_lock, flags);
	return n;
}

bool ephport_ring_empty(void)
{
	struct ephport_ring_stats stats;

	ephport_ring_get_stats(&stats);
	return !stats.buffered;
}

void ephport_ring_count_discarded(unsigned int n)
{
	atomic64_add(n, &ring_discarded);
}

void ephport_ring_clear(void)
{
	struct ephport_record mark = { .type = EPHPORT_REC_CLEAR };
	unsigned long flags;

	raw_spin_lock_irqsave(&ring_lock, flags);
	mark.clear.cleared = ring_head - ring_tail;
	ring_cleared += mark.clear.cleared;
	if (mark.clear.cleared)
		ring_cleared_upto = ring_head - 1;
	ring_tail = ring_head;
	ring_store(&mark);
	raw_spin_unlock_irqrestore(&ring_lock, flags);
	ephport_ring_kick();
}

void ephport_ring_get_stats(struct ephport_ring_stats *stats)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&ring_lock, flags);
	stats->written = ring_head - 1;
	stats->dropped = ring_dropped;
	stats->cleared = ring_cleared;
	stats->discarded = atomic64_read(&ring_discarded);
	stats->buffered = ring_head - ring_tail;
	stats->size = ring_mask + 1;
	raw_spin_unlock_irqrestore(&ring_lock, flags);
}
