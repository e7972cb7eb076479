/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Search counters by network namespace and walk: how many, how they
 * failed, and histograms of the ports they examined and of the time they
 * took (debugfs `counters`, read by ephport metrics).
 */
#ifndef EPHPORT_COUNTERS_H
#define EPHPORT_COUNTERS_H

#include <linux/seq_file.h>
#include <linux/types.h>

#include "ephport_model.h"
#include "ephport_record.h"

/*
 * Namespaces counted apart at once (a row is given back when its namespace
 * goes away); the ones past that share one row, shown as netns=0.
 */
#define EPHPORT_COUNTER_ROWS 64

struct net;

/* One search's end, as its record says: the same err, examined and ns as the trace. */
void ephport_counters_add(const struct net *net, enum ephport_walk_kind walk,
			  const struct ephport_end_rec *e);
void ephport_counters_show(struct seq_file *m);
/* Watches namespaces go away, to give their rows back. */
int ephport_counters_init(void);
void ephport_counters_exit(void);

#endif /* EPHPORT_COUNTERS_H */
