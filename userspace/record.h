/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module's records, from their lines (format 1, see README.md) or their
 * binary form (ephport_record.h).
 */
#ifndef EPHPORT_USER_RECORD_H
#define EPHPORT_USER_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "../module/ephport_model.h"
#include "../module/ephport_record.h"

#define EP_COMM_MAX 16
#define EP_ADDR_MAX 48
#define EP_WORD_MAX 16

/* The record types, as the model's vocabulary numbers them. */
enum ep_type {
	EP_BEGIN = EPHPORT_REC_BEGIN,
	EP_PASS = EPHPORT_REC_PASS,
	EP_CAND = EPHPORT_REC_CAND,
	EP_END = EPHPORT_REC_END,
	EP_CLEAR = EPHPORT_REC_CLEAR,
};

struct ep_record {
	unsigned long long seq;
	unsigned long long search;
	enum ep_type type;
	/* begin */
	int pid, tid;
	unsigned long netns;
	char comm[EP_COMM_MAX + 1];
	enum ephport_family family;
	enum ephport_proto proto;
	char proto_word[EP_WORD_MAX];	/* a newer module's (proto == the count) */
	char addr[EP_ADDR_MAX];
	int reuse, reuseport;
	int range_low, range_high;
	int sock_low, sock_high;	/* both 0 for sockrange=none */
	enum ephport_op op;		/* bind when absent */
	char op_word[EP_WORD_MAX];
	/* connect: the peer, its hash and perturbation slot (-1: unknown) */
	char daddr[EP_ADDR_MAX];
	int dport;
	unsigned long long hash;
	long long slot, perturb;
	int withheld;			/* lockdown: hash, slot and perturb kept in */
	/* pass */
	int pass;
	enum ephport_half half;
	char half_word[EP_WORD_MAX];
	enum ephport_parity parity;
	int low, high;			/* high exclusive */
	long long offset, start;
	int relax;
	long long step;			/* -1: absent, bind's 2 */
	int slots;			/* UDP's hash slots; 0: absent */
	long long stride;		/* connect(): step * stride apart; -1: absent */
	long long examined;		/* pass and end */
	/* cand */
	int port;			/* cand and end */
	enum ephport_verdict verdict;
	char verdict_word[EP_WORD_MAX];
	/* end */
	int err;
	int passes;
	unsigned long long ns;
	unsigned long long ts;		/* when it returned, CLOCK_REALTIME ns; 0: unknown */
	int incomplete;
	long long probed;		/* -1 when not counted */
	/* clear: unread records discarded just before this one */
	unsigned long long cleared;
};

/*
 * Parses one line (with or without its newline).  Returns 0; 1 for a
 * record of a type this reader does not know, which it skips; or -1 when
 * the line is not a record of format 1: a key is missing or malformed.
 * Unknown keys and types are skipped so that newer modules stay readable.
 */
int ep_record_parse(const char *line, struct ep_record *rec);

/*
 * Decodes one binary record, whose version and size the caller checked:
 * returns as ep_record_parse() does.  Addresses are written as the
 * module's lines write them.
 */
int ep_record_decode(const struct ephport_record *w, struct ep_record *rec);

/*
 * The packed binary record at @buf, of which @len bytes are there, into @w
 * (zero past what it carries): its size in bytes; 0 when the record is not
 * all there; -1 when it is not a record of this reader's version.
 */
long ep_record_unpack(const void *buf, size_t len, struct ephport_record *w);

/* The index of @s (@n bytes) among @count words, or -1. */
int ep_word_index(const char *s, size_t n, const char *const *words, size_t count);
/* ... among the words of one of the model's vocabulary tables */
#define EP_WORD_INDEX(s, n, words) ep_word_index(s, n, words, sizeof(words) / sizeof(words[0]))

/*
 * A word-valued field as the module wrote it: proto, op, half and verdict
 * take a newer module's words too, kept in FIELD_word with the field set
 * to its vocabulary's count, and passed through (format 1 grows so).
 */
#define EP_NAME(rec, field, words)						\
	((size_t)(rec)->field < sizeof(words) / sizeof(words[0]) ?		\
	 (words)[(rec)->field] : (rec)->field##_word)

/*
 * An empty record of @type; what may be absent or unknown is -1, op bind.
 * Words are parsed into the model's enums (ephport_model.h).
 */
void ep_record_init(struct ep_record *rec, enum ep_type type);

/* The module's line for @rec, newline included; returns its length. */
int ep_record_format(const struct ep_record *rec, char *buf, int size);

#endif /* EPHPORT_USER_RECORD_H */
