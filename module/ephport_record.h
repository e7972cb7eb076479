/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The binary record: the one layout the ring keeps, that the files
 * `records` and `records_pipe` give out packed (each record its header and
 * its type's fields), and that the reader decodes (README.md, "Binary
 * records").  Fixed-size fields with explicit
 * padding, so that the layout is the same for every compiler and ABI;
 * words are the model's enums (ephport_model.h).  The bytes past a
 * type's own fields, and past comm's NUL, are zero.
 */
#ifndef EPHPORT_RECORD_WIRE_H
#define EPHPORT_RECORD_WIRE_H

#include <linux/types.h>
#ifdef __KERNEL__
#include <linux/build_bug.h>
#include <linux/stddef.h>
#else
#include <assert.h>
#include <stddef.h>
#endif

#include "ephport_model.h"

/*
 * Bumped when a field changes meaning or moves.  Fields may be added at
 * the end of a record type under the same version: a reader steps by each
 * record's size and decodes the prefix it knows.
 */
#define EPHPORT_RECORD_VERSION 1

/* Bytes of a process name, NUL included (the kernel's TASK_COMM_LEN). */
#define EPHPORT_COMM_LEN 16
/* An address of either family: IPv4 in the first 4 bytes. */
#define EPHPORT_ADDR_LEN 16

struct ephport_begin {
	__s32 pid;
	__s32 tid;
	__u32 netns;
	__u8 family;			/* enum ephport_family */
	__u8 proto;			/* enum ephport_proto */
	__u8 reuse;
	__u8 reuseport;
	__u16 range_low, range_high;
	__u16 sock_low, sock_high;	/* 0-0 when the socket sets none */
	__u8 addr[EPHPORT_ADDR_LEN];
	char comm[EPHPORT_COMM_LEN];	/* one word, NUL-terminated */
	__u8 op;			/* enum ephport_op */
	/* connect: the peer, its hash (port_offset) and perturbation slot */
	__u8 perturb_known;
	__u16 dport;
	__u32 slot;
	__u8 daddr[EPHPORT_ADDR_LEN];
	__aligned_u64 hash;
	__u32 perturb;
	/*
	 * lockdown=confidentiality: hash, slot and perturb are zero, not
	 * given out (older readers see a pad that was always zero)
	 */
	__u8 withheld;
	__u8 pad[3];
};

struct ephport_pass_rec {
	__u8 pass;		/* 1-based, counting every parity sweep */
	__u8 half;		/* enum ephport_half */
	__u8 relax;
	__u8 has_step;		/* bind's step, 2, goes without saying */
	__s32 low, high;	/* high exclusive */
	__u32 offset;
	__s32 start;
	__u32 examined;
	__u32 step;
	__u32 slots;		/* UDP's hash slots, 0 for the others */
	/* connect(): candidates are step * stride apart (7.x); 0 for the others */
	__u32 stride;
	__u32 pad;		/* to the record's 8-byte end: named, so zeroed */
};

struct ephport_cand_rec {
	__u16 port;
	__u8 pass;
	__u8 verdict;		/* enum ephport_verdict */
	__u32 pad;		/* to the record's 8-byte end: named, so zeroed */
};

struct ephport_end_rec {
	__u16 port;
	__u8 passes;
	__u8 incomplete;	/* passes or candidates may be missing */
	__s32 err;
	__u32 examined;
	__u32 probed;		/* candidates the kernel looked up, if counted */
	__u8 probed_valid;
	__u8 pad[7];
	__aligned_u64 ns;
	/* when the search returned: CLOCK_REALTIME, ns (added: 0 from older modules) */
	__aligned_u64 ts;
};

/* `clear` discarded the @cleared records before this one. */
struct ephport_clear_rec {
	__aligned_u64 cleared;
};

struct ephport_record {
	__aligned_u64 seq;
	__aligned_u64 search;
	__u16 size;		/* of this record as given out, in bytes */
	__u8 version;		/* EPHPORT_RECORD_VERSION */
	__u8 type;		/* enum ephport_record_type */
	__u32 pad;
	union {
		struct ephport_begin begin;
		struct ephport_pass_rec pass;
		struct ephport_cand_rec cand;
		struct ephport_end_rec end;
		struct ephport_clear_rec clear;
	};
};

/* What every record starts with: seq, search, size, version and type. */
#define EPHPORT_RECORD_HEADER 24
/* The largest record, a begin: the ring keeps every record in this much. */
#define EPHPORT_RECORD_SIZE 120
/* Records are given out packed, each a multiple of this: fields stay aligned. */
#define EPHPORT_RECORD_ALIGN 8

/*
 * The bytes of a record whose fields are @fields, as given out: its header
 * and its fields, rounded up to EPHPORT_RECORD_ALIGN.
 */
#define EPHPORT_RECORD_BYTES(fields)					\
	((EPHPORT_RECORD_HEADER + sizeof(fields) + EPHPORT_RECORD_ALIGN - 1) &	\
	 ~(EPHPORT_RECORD_ALIGN - 1))

/* ... of a record of @type (the largest for a type not known). */
static inline unsigned int ephport_record_bytes(unsigned int type)
{
	switch (type) {
	case EPHPORT_REC_BEGIN:
		return EPHPORT_RECORD_BYTES(struct ephport_begin);
	case EPHPORT_REC_PASS:
		return EPHPORT_RECORD_BYTES(struct ephport_pass_rec);
	case EPHPORT_REC_CAND:
		return EPHPORT_RECORD_BYTES(struct ephport_cand_rec);
	case EPHPORT_REC_END:
		return EPHPORT_RECORD_BYTES(struct ephport_end_rec);
	case EPHPORT_REC_CLEAR:
		return EPHPORT_RECORD_BYTES(struct ephport_clear_rec);
	default:
		return EPHPORT_RECORD_SIZE;
	}
}

/*
 * The fewest bytes a record of @type has under this version: fields added
 * since (a pass's stride, an end's ts) are zero when an older module left
 * them out.
 */
static inline unsigned int ephport_record_min_bytes(unsigned int type)
{
	if (type == EPHPORT_REC_PASS)
		return offsetof(struct ephport_record, pass.stride);
	if (type == EPHPORT_REC_END)
		return offsetof(struct ephport_record, end.ts);
	return ephport_record_bytes(type);
}

/* The layout is part of the contract: the same on every ABI. */
static_assert(sizeof(struct ephport_record) == EPHPORT_RECORD_SIZE, "record size");
static_assert(offsetof(struct ephport_record, size) == 16, "record header");
static_assert(offsetof(struct ephport_record, type) == 19, "record header");
static_assert(offsetof(struct ephport_record, begin) == EPHPORT_RECORD_HEADER, "record union");
static_assert(offsetof(struct ephport_record, begin.comm) == 64, "begin layout");
static_assert(offsetof(struct ephport_record, begin.hash) == 104, "begin layout");
static_assert(offsetof(struct ephport_record, pass.slots) == 52, "pass layout");
static_assert(offsetof(struct ephport_record, pass.stride) == 56, "pass layout");
static_assert(offsetof(struct ephport_record, end.ns) == 48, "end layout");
static_assert(offsetof(struct ephport_record, end.ts) == 56, "end layout");

#endif /* EPHPORT_RECORD_WIRE_H */
