/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where the module's files are, and why one cannot be opened, turned into
 * one sentence and an exit code a person can act on.
 */
#ifndef EPHPORT_SOURCE_H
#define EPHPORT_SOURCE_H

#include <stdbool.h>

#include "cli.h"

/* Opens a module file; on failure prints why and returns -1 with *code set. */
int ep_open(const char *name, int flags, int *code);
/* The module's records: opened by ep_open_records(). */
struct ep_source {
	int fd;
	bool binary;		/* records or records_pipe, else events(_pipe) */
};

/*
 * Opens the buffered records (@follow: the consuming pipe), binary unless
 * --text, @text_only or a module without them; or --input's file.  On
 * failure prints why and returns -1 with *code set.
 */
int ep_open_records(struct ep_source *src, bool follow, bool text_only, int *code);
/* A number the module's stats shows as "KEY N", or -1: no such key, or no stats. */
long ep_stats_value(const char *key);
/* Reads a whole (small) module file into a NUL-terminated malloc'd buffer. */
char *ep_read_all(const char *name, int *code);
/* Writes words to control; prints why and returns an exit code on failure. */
int ep_control(const char *words);

/* The module's detail now, as control shows it; false (with *code) if unreadable. */
bool ep_detail_get(char *detail, size_t size, int *code);
/* Sets the module's detail; an exit code. */
int ep_detail_set(const char *detail);

#endif /* EPHPORT_SOURCE_H */
