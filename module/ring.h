/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The record buffer: a fixed ring that probe handlers (and the workers
 * writing searches handed over) write without sleeping or allocating.
 * When it is full the oldest unread record is overwritten and counted as
 * dropped; seq numbers every record ever produced, so a reader sees each
 * loss as a gap.
 */
#ifndef EPHPORT_RING_H
#define EPHPORT_RING_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "record.h"

#define EPHPORT_RING_MIN 64
#define EPHPORT_RING_MAX BIT(20)

struct ephport_ring_stats {
	u64 written;		/* also the seq of the newest record */
	u64 dropped;
	u64 cleared;		/* unread when `clear` was written */
	u64 discarded;		/* taken by a pipe reader that closed mid-line */
	u64 buffered;
	u32 size;
};

int ephport_ring_init(unsigned int records);
void ephport_ring_exit(void);

/* Probe context: stamps @n records with the next seqs and stores them. */
void ephport_ring_write(struct ephport_record *recs, unsigned int n);
/*
 * Stores a search's @end, marked incomplete if any record since the
 * search's begin (seq @first) was overwritten or cleared before it was
 * read: maybe one of the search's own.
 */
void ephport_ring_write_end(struct ephport_record *end, u64 first);
/* Wakes pipe readers; deferred, so safe from any probe handler. */
void ephport_ring_kick(void);

/*
 * Copies up to @max buffered records from *@cursor on, under one lock
 * round trip, and advances *@cursor past them.  Returns how many.
 */
unsigned int ephport_ring_peek(u64 *cursor, struct ephport_record *recs,
			       unsigned int max);
/* Consumes up to @max of the oldest records into @recs; returns how many. */
unsigned int ephport_ring_take(struct ephport_record *recs, unsigned int max);
bool ephport_ring_empty(void);
/* @n records taken by a pipe reader that closed before reading them. */
void ephport_ring_count_discarded(unsigned int n);
/* Discards the unread records, and writes a clear record that counts them. */
void ephport_ring_clear(void);
void ephport_ring_get_stats(struct ephport_ring_stats *stats);

extern wait_queue_head_t ephport_ring_wait;

#endif /* EPHPORT_RING_H */
