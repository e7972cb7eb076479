/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Records: the text line each binary record (ephport_record.h) becomes
 * when read (the format documented in README.md).
 */
#ifndef EPHPORT_RECORD_H
#define EPHPORT_RECORD_H

#include <linux/sched.h>
#include <linux/types.h>

#include "ephport_record.h"

/* Bumped whenever a key changes meaning or disappears. */
#define EPHPORT_FORMAT_VERSION 1

/* The binary record is copied out as the ring keeps it. */
static_assert(TASK_COMM_LEN == EPHPORT_COMM_LEN);

/* The vocabulary's words for a socket's AF_* and IPPROTO_*. */
enum ephport_family ephport_family_of(u16 family);
enum ephport_proto ephport_proto_of(u8 proto);

/*
 * A connect()'s begin as it may leave the module: under
 * lockdown=confidentiality, hash, slot and perturb zeroed and withheld set.
 */
void ephport_record_withhold(struct ephport_record *rec);

/* Formats one record as a newline-terminated line; returns its length. */
int ephport_record_format(const struct ephport_record *rec, char *buf, size_t size);

/*
 * The keys of a begin or pass that only some searches have, as they end
 * its line (without the newline), for the trace events to print as text:
 * a connect()'s begin without its hash, slot and perturbation value.
 */
#define EPHPORT_TAIL_MAX 160
void ephport_begin_tail(const struct ephport_begin *b, char *buf, size_t size);
void ephport_pass_tail(const struct ephport_pass_rec *p, char *buf, size_t size);

#endif /* EPHPORT_RECORD_H */
