/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which processes hold which sockets: every /proc/PID/fd link to
 * "socket:[INODE]", with the process's command, cgroup and network
 * namespace, as ss -p finds them.
 */
#ifndef EPHPORT_PROCS_H
#define EPHPORT_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EP_PROC_COMM 16
#define EP_PROC_CGROUP 256

struct ep_proc {
	int pid;
	char comm[EP_PROC_COMM];
	char cgroup[EP_PROC_CGROUP];	/* the unified hierarchy's path, or "" */
	unsigned long netns;		/* the process's network namespace inode */
};

/* A socket inode and a process holding it (a fork shares it with its parent). */
struct ep_owner {
	uint64_t inode;
	size_t proc;			/* index in ep_procs.v */
};

struct ep_procs {
	struct ep_proc *v;
	size_t n;
	struct ep_owner *owners;	/* sorted by inode */
	size_t nowners;
};

/* Reads /proc; false (after saying why) when out of memory or /proc is unreadable. */
bool ep_procs_read(struct ep_procs *p);
void ep_procs_free(struct ep_procs *p);
/*
 * The process holding socket @inode, the first /proc lists where a fork
 * shares it; NULL: none (a TIME_WAIT) or one not ours to see.
 */
const struct ep_proc *ep_procs_owner(const struct ep_procs *p, uint64_t inode);

#endif /* EPHPORT_PROCS_H */
