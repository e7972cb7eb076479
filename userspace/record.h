/* SPDX-License-Identifier: GPL-2.0 */
/* Parser for the module's record lines (format 1, see README.md). */
#ifndef EPHPORT_USER_RECORD_H
#define EPHPORT_USER_RECORD_H

#include <stdbool.h>

#define EP_COMM_MAX 16
#define EP_ADDR_MAX 48
#define EP_WORD_MAX 16

enum ep_type { EP_BEGIN, EP_PASS, EP_CAND, EP_END, EP_CLEAR };

struct ep_record {
	unsigned long long seq;
	unsigned long long search;
	enum ep_type type;
	/* begin */
	int pid, tid;
	unsigned long netns;
	char comm[EP_COMM_MAX + 1];
	char family[EP_WORD_MAX];	/* inet, inet6 */
	char proto[EP_WORD_MAX];	/* tcp, dccp, udp, udplite */
	char addr[EP_ADDR_MAX];
	int reuse, reuseport;
	int range_low, range_high;
	int sock_low, sock_high;	/* both 0 for sockrange=none */
	char op[EP_WORD_MAX];		/* bind, connect; bind when absent */
	/* connect: the peer, its hash and perturbation slot (-1: unknown) */
	char daddr[EP_ADDR_MAX];
	int dport;
	unsigned long long hash;
	long long slot, perturb;
	/* pass */
	int pass;
	char half[EP_WORD_MAX];		/* whole, lower, upper */
	char parity[EP_WORD_MAX];	/* odd, even */
	int low, high;			/* high exclusive */
	long long offset, start;
	int relax;
	long long step;			/* -1: absent, bind's 2 */
	int slots;			/* UDP's hash slots; 0: absent */
	long long examined;		/* pass and end */
	/* cand */
	int port;			/* cand and end */
	char verdict[EP_WORD_MAX];	/* free, inuse, reserved */
	/* end */
	int err;
	int passes;
	unsigned long long ns;
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

/* An empty record of @type; what may be absent or unknown is -1, op bind. */
void ep_record_init(struct ep_record *rec, enum ep_type type);

/* The module's line for @rec, newline included; returns its length. */
int ep_record_format(const struct ep_record *rec, char *buf, int size);

#endif /* EPHPORT_USER_RECORD_H */
