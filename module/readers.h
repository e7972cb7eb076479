/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The trace's read files, for debugfs.c to create: events and records (a
 * snapshot each), events_pipe and records_pipe (consuming reads).
 */
#ifndef EPHPORT_READERS_H
#define EPHPORT_READERS_H

#include <linux/fs.h>

extern const struct file_operations ephport_events_fops;
extern const struct file_operations ephport_records_fops;
extern const struct file_operations ephport_events_pipe_fops;
extern const struct file_operations ephport_records_pipe_fops;

#endif /* EPHPORT_READERS_H */
