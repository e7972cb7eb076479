// SPDX-License-Identifier: GPL-2.0
/* Socket inodes to processes, from /proc/PID/fd. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "procs.h"

static void read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f && fgets(buf, (int)size, f))
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

static void describe(struct ep_proc *proc, int pid)
{
	char path[64], line[256 + EP_PROC_CGROUP], link[64];
	ssize_t n;

	proc->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	read_line(path, proc->comm, sizeof(proc->comm));
	/* cgroup v2's one line, "0::/system.slice/nginx.service" */
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	read_line(path, line, sizeof(line));
	snprintf(proc->cgroup, sizeof(proc->cgroup), "%.*s", (int)sizeof(proc->cgroup) - 1,
		 strncmp(line, "0::", 3) ? "" : line + 3);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	proc->netns = 0;
	sscanf(link, "net:[%lu]", &proc->netns);
}

/* By inode, then in the order /proc listed the processes (by pid) */
static int by_inode(const void *a, const void *b)
{
	const struct ep_owner *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return x->proc < y->proc ? -1 : x->proc > y->proc;
}

static int inode_only(const void *a, const void *b)
{
	const struct ep_owner *x = a, *y = b;

	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

/* The socket inodes among one process's descriptors; false when out of memory. */
static bool scan_fds(struct ep_procs *p, int pid, size_t *cap)
{
	char path[64], link[64];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return true;	/* gone, or not ours to read */
	while ((e = readdir(d))) {
		unsigned long long inode;
		char fd_path[320];
		ssize_t n;

		snprintf(fd_path, sizeof(fd_path), "%s/%s", path, e->d_name);
		n = readlink(fd_path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%llu]", &inode) != 1)
			continue;
		if (p->nowners == *cap) {
			size_t more = *cap ? 2 * *cap : 1024;
			struct ep_owner *o = realloc(p->owners, more * sizeof(*o));

			if (!o) {
				closedir(d);
				return false;
			}
			p->owners = o;
			*cap = more;
		}
		p->owners[p->nowners].inode = inode;
		p->owners[p->nowners++].proc = p->n;
		found = true;
	}
	closedir(d);
	if (found) {
		struct ep_proc *v = realloc(p->v, (p->n + 1) * sizeof(*v));

		if (!v)
			return false;
		p->v = v;
		describe(&p->v[p->n++], pid);
	}
	return true;
}

bool ep_procs_read(struct ep_procs *p)
{
	size_t cap = 0;
	struct dirent *e;
	bool ok = true;
	DIR *d;

	memset(p, 0, sizeof(*p));
	d = opendir("/proc");
	if (!d) {
		ep_error("cannot read /proc: %s", strerror(errno));
		return false;
	}
	/* not this reader's own: it holds no port, only its netlink sockets */
	while (ok && (e = readdir(d)))
		if (isdigit((unsigned char)e->d_name[0]) && atoi(e->d_name) != getpid())
			ok = scan_fds(p, atoi(e->d_name), &cap);
	closedir(d);
	if (!ok) {
		ep_procs_free(p);
		ep_error("out of memory reading /proc");
		return false;
	}
	if (p->nowners)
		qsort(p->owners, p->nowners, sizeof(*p->owners), by_inode);
	return true;
}

void ep_procs_free(struct ep_procs *p)
{
	free(p->v);
	free(p->owners);
	memset(p, 0, sizeof(*p));
}

const struct ep_proc *ep_procs_owner(const struct ep_procs *p, uint64_t inode)
{
	struct ep_owner key = { .inode = inode };
	const struct ep_owner *o;

	if (!inode || !p->nowners)
		return NULL;
	o = bsearch(&key, p->owners, p->nowners, sizeof(*p->owners), inode_only);
	/* shared by a fork: the first process listed */
	while (o && o > p->owners && o[-1].inode == inode)
		o--;
	return o ? &p->v[o->proc] : NULL;
}
