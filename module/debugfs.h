/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user interface, /sys/kernel/debug/ephport/: events, events_pipe,
 * records, records_pipe, stats, probes, counters and control.  Every file
 * pins the module while open.
 */
#ifndef EPHPORT_DEBUGFS_H
#define EPHPORT_DEBUGFS_H

int ephport_debugfs_init(void);
void ephport_debugfs_exit(void);

#endif /* EPHPORT_DEBUGFS_H */
