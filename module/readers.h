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
/*
 * events_pipe and records_pipe: one set of operations, the form of its
 * records the file's data (debugfs_create_file()'s @data; NULL is text)
 */
enum ephport_pipe_form {
	EPHPORT_PIPE_TEXT,
	EPHPORT_PIPE_BINARY,
};

extern const struct file_operations ephport_pipe_fops;

#endif /* EPHPORT_READERS_H */
