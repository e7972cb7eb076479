// SPDX-License-Identifier: GPL-2.0
/*
 * Every probe the module attaches (probes.h): the searches' own, from
 * bind.c, connect.c and udp.c, and the watch on ip_local_reserved_ports'
 * writers; registered in an order that starts no search before its
 * helpers are watched, and shown in the probes and stats files.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/kprobes.h>
#include <linux/mutex.h>
#include <linux/ptrace.h>
#include <linux/sysctl.h>

#include "bind.h"
#include "connect.h"
#include "perturb.h"
#include "probe.h"
#include "probes.h"
#include "reserved.h"
#include "udp.h"

/* proc_do_large_bitmap(table, write, buffer, lenp, ppos) */
#define ARG_BITMAP_WRITE 1

#ifdef EPHPORT_CONST_CTL_TABLE
static_assert(__same_type(&proc_do_large_bitmap,
			  int (*)(const struct ctl_table *, int, void *, size_t *, loff_t *)));
#else
/* the table is const from 6.11 (a parameter's own const changes no type) */
static_assert(__same_type(&proc_do_large_bitmap,
			  int (*)(struct ctl_table *const, int, void *, size_t *, loff_t *)));
#endif
/* Writers of ip_local_reserved_ports in flight at once, per CPU. */
#define BITMAP_WRITERS_PER_CPU 4

/* Serialises registering against showing the probes. */
static DEFINE_MUTEX(probes_mutex);

static int bitmap_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	ephport_probe_hit(ephport_probe_of(PROBE_RESERVED));
	/* readers leave the set as it is */
	if (!regs_get_kernel_argument(regs, ARG_BITMAP_WRITE))
		return 1;
	ephport_reserved_write_begun();
	return 0;
}

static int bitmap_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	ephport_reserved_write_done();
	return 0;
}

static const char *const bitmap_symbols[] = { "proc_do_large_bitmap", NULL };

static struct ephport_probe reserved_probe = {
	.id = PROBE_RESERVED,
	.symbols = bitmap_symbols,
	.purpose = "ip_local_reserved_ports writes: verdicts read across one are unsure",
	.is_kretprobe = true,
	/* writers may sleep (allocating) or be preempted while they hold one */
	.active_per_cpu = BITMAP_WRITERS_PER_CPU,
	.rp = { .entry_handler = bitmap_entry, .handler = bitmap_return },
};

/*
 * Registered last to first: a search's helpers are watched before it
 * starts, but for the places inside udp_lib_get_port() (its draw) and
 * __inet_hash_connect() (its range, lock and port found), found in their
 * code once those are attached (no search starts before all are:
 * ephport_probes_ready()).
 *
 * The lookup probe is attached at load with detail=candidates (its symbol
 * is then set), and never attached or detached later: adding and removing
 * kprobes while their functions run is the one thing that crashed the test
 * VM, with or without ephport (tests/guest/kprobe-events.sh), so it happens
 * only at load and unload.
 */
static struct ephport_probe *const probes[PROBE_COUNT] = {
	[PROBE_GET_PORT] = &ephport_probe_get_port,
	[PROBE_UDP_DRAW] = &ephport_probe_udp_draw,
	[PROBE_UDP_GET_PORT] = &ephport_probe_udp_get_port,
	[PROBE_CONNECT_RANGED] = &ephport_probe_connect_ranged,
	[PROBE_CONNECT_LOCKED] = &ephport_probe_connect_locked,
	[PROBE_CONNECT_OK] = &ephport_probe_connect_ok,
	[PROBE_CONNECT] = &ephport_probe_connect,
	[PROBE_CHECK] = &ephport_probe_check,
	[PROBE_CHECK6] = &ephport_probe_check6,
	[PROBE_BUCKET] = &ephport_probe_bucket,
	[PROBE_BUCKET2] = &ephport_probe_bucket2,
	[PROBE_FIND_OPEN_PORT] = &ephport_probe_find_open_port,
	[PROBE_DRAW] = &ephport_probe_draw,
	[PROBE_LOOKUP] = &ephport_probe_lookup,
	[PROBE_RESERVED] = &reserved_probe,
};

static void unregister_one(struct ephport_probe *p)
{
	/* the stamp stops trusting the writers' counts before they stop */
	if (p == &reserved_probe)
		ephport_reserved_watch(NULL);
	ephport_probe_unregister(p);
}

int ephport_probes_register(enum ephport_detail detail)
{
	bool lookup = detail == EPHPORT_DETAIL_CANDIDATES;
	int i, err;

	mutex_lock(&probes_mutex);
	ephport_probe_list(probes);
	/*
	 * One by one: register_kprobes() would fail all for one missing.
	 * get_port goes last, and starts searches only once every extent
	 * is known, so no search starts before its helpers are watched.
	 * (Registering it disabled and enabling it later would leave it off
	 * for good if kprobes were switched off at load.)
	 */
	for (i = PROBE_COUNT - 1; i >= 0; i--) {
		struct ephport_probe *p = probes[i];

		if (i == PROBE_LOOKUP && !lookup)
			continue;
		err = ephport_probe_register(p);
		if (!err && p == &reserved_probe)
			ephport_reserved_watch(&p->rp);
		if (err && p->required) {
			pr_err("cannot probe %s: %d\n", p->symbols[0], err);
			goto unwind;
		}
		if (err)
			pr_info("%s not probed (%d): %s unavailable\n",
				p->symbols[0], err, p->purpose);
	}
	ephport_probes_set_ready(true);
	mutex_unlock(&probes_mutex);
	return 0;

unwind:
	for (i++; i < PROBE_COUNT; i++)
		unregister_one(probes[i]);
	mutex_unlock(&probes_mutex);
	return err;
}

void ephport_probes_unregister(void)
{
	int i;

	mutex_lock(&probes_mutex);
	/* The search boundaries go first, so no new search starts. */
	for (i = 0; i < PROBE_COUNT; i++)
		unregister_one(probes[i]);
	ephport_probes_set_ready(false);
	mutex_unlock(&probes_mutex);
}

void ephport_probes_show(struct seq_file *m)
{
	int i;

	mutex_lock(&probes_mutex);
	for (i = 0; i < PROBE_COUNT; i++) {
		const struct ephport_probe *p = probes[i];
		const char *kind = p->is_kretprobe ? "kretprobe" : "kprobe";

		if (p->symbol)
			seq_printf(m, "%s %s attached: %s\n", p->symbol, kind,
				   p->purpose);
		else if (i == PROBE_LOOKUP && !p->err)
			seq_printf(m, "%s %s not attached (load with detail=candidates): %s\n",
				   p->symbols[0], kind, p->purpose);
		else
			seq_printf(m, "%s %s missing (%pe%s): %s\n",
				   p->symbols[0], kind, ERR_PTR(p->err),
				   p->required ? ", required" :
				   p->err != -ENOENT ? "" : p->site_call ?
				   ", not found once in its caller's code" :
				   ", no such symbol: inlined or absent",
				   p->purpose);
	}
	mutex_unlock(&probes_mutex);
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
