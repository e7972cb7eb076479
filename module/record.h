/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Records: the fixed-size binary form kept in the ring, and the text line
 * each one becomes when read (the format documented in README.md).
 */
#ifndef EPHPORT_RECORD_H
#define EPHPORT_RECORD_H

#include <linux/sched.h>
#include <linux/types.h>

#include "ephport_model.h"

/* Bumped whenever a key changes meaning or disappears. */
#define EPHPORT_FORMAT_VERSION 1

struct ephport_begin {
	pid_t pid;
	pid_t tid;
	u32 netns;
	u16 family;
	u8 proto;
	u8 reuse;
	u8 reuseport;
	u16 range_low, range_high;
	u16 sock_low, sock_high;	/* 0-0 when the socket sets none */
	u8 addr[16];			/* IPv4 in the first 4 bytes */
	char comm[TASK_COMM_LEN];
	u8 op;				/* enum ephport_op */
	/* connect: the peer, its hash (port_offset) and perturbation slot */
	u8 perturb_known;
	u16 dport;
	u8 daddr[16];
	u64 hash;
	u32 slot;
	u32 perturb;
};

struct ephport_pass_rec {
	u8 pass;		/* 1-based, counting every parity sweep */
	u8 half;		/* enum ephport_half */
	u8 relax;
	int low, high;		/* high exclusive */
	u32 offset;
	int start;
	u32 examined;
	u8 has_step;		/* bind's step, 2, goes without saying */
	u32 step;
	u32 slots;		/* UDP's hash slots, 0 for the others */
};

struct ephport_cand_rec {
	u16 port;
	u8 pass;
	u8 verdict;		/* enum ephport_verdict */
};

struct ephport_end_rec {
	u16 port;
	u8 passes;
	u8 incomplete;		/* passes or candidates may be missing */
	int err;
	u32 examined;
	u32 probed;		/* candidates the kernel looked up, if counted */
	u8 probed_valid;
	u64 ns;
};

/* `clear` discarded the @cleared records before this one. */
struct ephport_clear_rec {
	u64 cleared;
};

struct ephport_record {
	u64 seq;
	u64 search;
	u8 type;		/* enum ephport_record_type */
	union {
		struct ephport_begin begin;
		struct ephport_pass_rec pass;
		struct ephport_cand_rec cand;
		struct ephport_end_rec end;
		struct ephport_clear_rec clear;
	};
};

/* The vocabulary's words for a socket's AF_* and IPPROTO_*. */
enum ephport_family ephport_family_of(u16 family);
enum ephport_proto ephport_proto_of(u8 proto);

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
