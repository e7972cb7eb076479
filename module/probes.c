// SPDX-License-Identifier: GPL-2.0
/*
 * Every probe the module attaches (probes.h): the searches' own, from
 * bind.c, connect.c and udp.c, and the watch on the writers of
 * ip_local_reserved_ports and ip_local_port_range; registered in an order
 * that starts no search before its helpers are watched, and shown in the
 * probes and stats files.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/kprobes.h>
#include <linux/mutex.h>
#include <linux/ptrace.h>
#include <linux/sysctl.h>

#include "bind.h"
#include "compat.h"
#include "connect.h"
#include "perturb.h"
#include "probe.h"
#include "probes.h"
#include "udp.h"
#include "writers.h"

/* The sysctls' handlers, proc_handler(table, write, buffer, lenp, ppos) */
#define ARG_HANDLER_WRITE 1

/*
 * The layout read above: ipv4_local_port_range() is static, but it is a
 * proc_handler, and proc_do_large_bitmap() is one by name.
 */
#ifdef EPHPORT_CONST_CTL_TABLE
static_assert(__same_type(proc_handler *,
			  int (*)(const struct ctl_table *, int, void *, size_t *, loff_t *)));
static_assert(__same_type(&proc_do_large_bitmap,
			  int (*)(const struct ctl_table *, int, void *, size_t *, loff_t *)));
#else
/* the table is const from 6.11 (a parameter's own const changes no type) */
static_assert(__same_type(proc_handler *,
			  int (*)(struct ctl_table *const, int, void *, size_t *, loff_t *)));
static_assert(__same_type(&proc_do_large_bitmap,
			  int (*)(struct ctl_table *const, int, void *, size_t *, loff_t *)));
#endif
/* Writers of one sysctl in flight at once, per CPU. */
#define WRITERS_PER_CPU 4

/* Serialises registering against showing the probes. */
static DEFINE_MUTEX(probes_mutex);

/* Which sysctl's handler @ri's probe is on. */
static enum ephport_sysctl sysctl_of(struct kretprobe_instance *ri)
{
	return get_kretprobe(ri) == &ephport_probe_of(PROBE_RANGE)->rp ?
	       EPHPORT_SYSCTL_RANGE : EPHPORT_SYSCTL_RESERVED;
}

static int writer_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	enum ephport_sysctl which = sysctl_of(ri);

	ephport_probe_hit(ephport_probe_of(which == EPHPORT_SYSCTL_RANGE ?
					   PROBE_RANGE : PROBE_RESERVED));
	/* readers leave the value as it is */
	if (!(int)regs_get_kernel_argument(regs, ARG_HANDLER_WRITE))
		return 1;
	ephport_writers_begun(which);
	return 0;
}

static int writer_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	ephport_writers_done(sysctl_of(ri));
	return 0;
}

static const char *const bitmap_symbols[] = { "proc_do_large_bitmap", NULL };
static const char *const range_symbols[] = { "ipv4_local_port_range", NULL };

static struct ephport_probe reserved_probe = {
	.id = PROBE_RESERVED,
	.symbols = bitmap_symbols,
	.purpose = "ip_local_reserved_ports writes: verdicts read across one are unsure",
	.is_kretprobe = true,
	/* writers may sleep (allocating) or be preempted while they hold one */
	.active_per_cpu = WRITERS_PER_CPU,
	.rp = { .entry_handler = writer_entry, .handler = writer_return },
};

static struct ephport_probe range_probe = {
	.id = PROBE_RANGE,
	.symbols = range_symbols,
	.purpose = "ip_local_port_range writes: a range moved and back mid-search is seen (6.8+)",
	.is_kretprobe = true,
	.active_per_cpu = WRITERS_PER_CPU,
	.rp = { .entry_handler = writer_entry, .handler = writer_return },
};

/*
 * Registered last to first: a search's helpers are watched before it
 * starts, but for the places inside inet_csk_get_port() (its draw and
 * buckets created), udp_lib_get_port() (its draw) and __inet_hash_connect()
 * (its range, slot's load, stride, lock and port found),
 * found in their code once those are attached (no search starts before
 * all are: ephport_probes_ready()).
 *
 * The lookup probe is attached at load with detail=candidates (its symbol
 * is then set), and never attached or detached later: adding and removing
 * kprobes while their functions run is the one thing that crashed the test
 * VM, with or without ephport (tests/guest/kprobe-events.sh), so it happens
 * only at load and unload.
 */
static struct ephport_probe *const probes[PROBE_COUNT] = {
	[PROBE_BUCKET] = &ephport_probe_bucket,
	[PROBE_BUCKET2] = &ephport_probe_bucket2,
	[PROBE_DRAW] = &ephport_probe_draw,
	[PROBE_GET_PORT] = &ephport_probe_get_port,
	[PROBE_UDP_DRAW] = &ephport_probe_udp_draw,
	[PROBE_UDP_GET_PORT] = &ephport_probe_udp_get_port,
	[PROBE_CONNECT_RANGED] = &ephport_probe_connect_ranged,
	[PROBE_CONNECT_READ] = &ephport_probe_connect_read,
	[PROBE_CONNECT_LOCKED] = &ephport_probe_connect_locked,
	[PROBE_CONNECT_OK] = &ephport_probe_connect_ok,
	[PROBE_CONNECT_STRIDE] = &ephport_probe_connect_stride,
	[PROBE_CONNECT] = &ephport_probe_connect,
	[PROBE_CHECK] = &ephport_probe_check,
	[PROBE_CHECK6] = &ephport_probe_check6,
	[PROBE_FIND_OPEN_PORT] = &ephport_probe_find_open_port,
	[PROBE_LOOKUP] = &ephport_probe_lookup,
	[PROBE_RESERVED] = &reserved_probe,
	[PROBE_RANGE] = &range_probe,
};

/* The sysctl whose writers @p counts, or -1. */
static int sysctl_watched_by(const struct ephport_probe *p)
{
	return p == &reserved_probe ? EPHPORT_SYSCTL_RESERVED :
	       p == &range_probe ? EPHPORT_SYSCTL_RANGE : -1;
}

/* @p starts and ends searches. */
static bool starts_searches(const struct ephport_probe *p)
{
	return p->id == PROBE_GET_PORT || p->id == PROBE_UDP_GET_PORT || p->id == PROBE_CONNECT;
}

/*
 * Why @p is of no use on this kernel, or NULL: connect() draws a stride
 * from 7.x on; 6.1's range has a seqcount that counts its writes, and its
 * writer takes a lock that sleeps on PREEMPT_RT.
 */
static const char *unneeded(const struct ephport_probe *p)
{
	if (p == &ephport_probe_connect_stride && !EPHPORT_CONNECT_STRIDE)
		return "connect() draws no stride here";
#ifndef EPHPORT_NET_RANGE_PACKED
	if (p == &range_probe)
		return "the range's seqcount counts its writes here";
#endif
	return NULL;
}

static void unregister_one(struct ephport_probe *p)
{
	/* the stamp stops trusting the writers' counts before they stop */
	if (sysctl_watched_by(p) >= 0)
		ephport_writers_watch(sysctl_watched_by(p), NULL);
	ephport_probe_unregister(p);
}

int ephport_probes_register(enum ephport_detail detail, bool slot_load)
{
	bool lookup = detail == EPHPORT_DETAIL_CANDIDATES;
	unsigned long table;
	int i, err;

	mutex_lock(&probes_mutex);
	ephport_probe_list(probes);
	/*
	 * One by one: register_kprobes() would fail all for one missing.
	 * The functions' probes go before the places in their code, and
	 * searches start only once every probe is attached and every
	 * extent known, so no search starts before its helpers are watched.
	 * (Registering get_port disabled and enabling it later would leave
	 * it off for good if kprobes were switched off at load.)
	 */
	for (i = PROBE_COUNT - 1; i >= 0; i--) {
		struct ephport_probe *p = probes[i];

		if ((i == PROBE_LOOKUP && !lookup) || (i == PROBE_CONNECT_READ && !slot_load) ||
		    unneeded(p))
			continue;
		err = ephport_probe_register(p);
		if (!err && sysctl_watched_by(p) >= 0)
			ephport_writers_watch(sysctl_watched_by(p), &p->rp);
		if (err && p->required) {
			pr_err("cannot probe %s: %d\n", p->symbols[0], err);
			goto unwind;
		}
		if (err)
			pr_info("%s not probed (%d): %s unavailable\n",
				p->symbols[0], err, p->purpose);
	}
	/* before any search trusts the writers' counts */
	ephport_writers_settle();
	/*
	 * Before any search: connect()'s table, where its own code names it
	 * (checked by kallsyms there already: the setter cannot refuse it).
	 */
	table = ephport_probe_variable(probes[PROBE_CONNECT], EPHPORT_PERTURB_TABLE);
	if (table)
		ephport_perturb_set_table(table);
	else if (probes[PROBE_CONNECT]->symbol)
		pr_info("%s not found in %s's code: control's perturb_table= tells it\n",
			EPHPORT_PERTURB_TABLE, probes[PROBE_CONNECT]->symbol);
	ephport_probes_set_ready(true);
	mutex_unlock(&probes_mutex);
	return 0;

unwind:
	for (i++; i < PROBE_COUNT; i++)
		unregister_one(probes[i]);
	ephport_writers_stop();
	mutex_unlock(&probes_mutex);
	return err;
}

void ephport_probes_unregister(void)
{
	int i;

	mutex_lock(&probes_mutex);
	/*
	 * The search boundaries go first, so that no search starts, and none
	 * in flight ends having lost its helpers' calls (its end never comes).
	 */
	for (i = 0; i < PROBE_COUNT; i++)
		if (starts_searches(probes[i]))
			unregister_one(probes[i]);
	for (i = 0; i < PROBE_COUNT; i++)
		unregister_one(probes[i]);
	ephport_writers_stop();
	ephport_probes_set_ready(false);
	mutex_unlock(&probes_mutex);
}

void ephport_probes_show(struct seq_file *m)
{
	int i;

	mutex_lock(&probes_mutex);
	for (i = 0; i < PROBE_COUNT; i++) {
		const struct ephport_probe *p = probes[i];
		const char *kind = p->is_kretprobe ? "kretprobe" :
				   p->site_calls ? "ftrace" : "kprobe";

		if (p->symbol && p->site_calls)
			seq_printf(m, "%s %s attached (%u calls): %s\n", p->symbol, kind,
				   p->nr_sites, p->purpose);
		else if (p->symbol)
			seq_printf(m, "%s %s attached: %s\n", p->symbol, kind,
				   p->purpose);
		else if (i == PROBE_LOOKUP && !p->err)
			seq_printf(m, "%s %s not attached (load with detail=candidates): %s\n",
				   p->symbols[0], kind, p->purpose);
		else if (i == PROBE_CONNECT_READ && !p->err)
			seq_printf(m, "%s %s not attached (loaded with slot_load=0): %s\n",
				   p->symbols[0], kind, p->purpose);
		else if (unneeded(p))
			seq_printf(m, "%s %s not attached (%s): %s\n",
				   p->symbols[0], kind, unneeded(p), p->purpose);
		else
			seq_printf(m, "%s %s missing (%pe%s): %s\n",
				   p->symbols[0], kind, ERR_PTR(p->err),
				   p->required ? ", required" :
				   p->err == -ENOEXEC ?
				   ", its call's argument not found in the code before it" :
				   p->err != -ENOENT ? "" : p->site_calls ?
				   ", not found in its caller's code, or too often" :
				   p->site_call || p->site_load ?
				   ", not found once in its caller's code" :
				   ", no such symbol: inlined or absent",
				   p->purpose);
	}
	mutex_unlock(&probes_mutex);
	if (!ephport_writers_settled())
		seq_puts(m, "net/ipv4 sysctl tables in use at load, not yet free: searches' reserved ports and range unsure\n");
	if (!ephport_secrets_allowed())
		seq_puts(m, EPHPORT_WITHHELD "\n");
}

void ephport_probes_show_stats(struct seq_file *m)
{
	int i;

	for (i = 0; i < PROBE_COUNT; i++) {
		const struct ephport_probe *p = probes[i];

		seq_printf(m, "probe %s hits %llu missed %lu\n", p->symbol ?: p->symbols[0],
			   ephport_probe_hits(p), ephport_probe_missed(p));
	}
}
