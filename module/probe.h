/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The probe kit: what a probe point is (a kprobe, a kretprobe, a kprobe
 * on an instruction found in its caller's code: a call's return or a
 * load from a kernel variable's table, or ftrace's entry of a function
 * for its calls from one caller's code), its counters, and the
 * text of the function it is on.  The searches' units define their probes
 * with it; probes.c lists and registers them.  It knows no search.
 */
#ifndef EPHPORT_PROBE_H
#define EPHPORT_PROBE_H

#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/percpu.h>
#include <linux/types.h>

/* Every probe point, in the order probes.c registers them last to first. */
enum ephport_probe_id {
	PROBE_BUCKET,
	PROBE_BUCKET2,
	PROBE_DRAW,
	PROBE_GET_PORT,
	PROBE_UDP_DRAW,
	PROBE_UDP_GET_PORT,
	PROBE_CONNECT_RANGED,
	PROBE_CONNECT_READ,
	PROBE_CONNECT_LOCKED,
	PROBE_CONNECT_OK,
	PROBE_CONNECT_STRIDE,
	PROBE_CONNECT,
	PROBE_CHECK,
	PROBE_CHECK6,
	PROBE_FIND_OPEN_PORT,
	PROBE_LOOKUP,
	PROBE_RESERVED,
	PROBE_RANGE,
	PROBE_COUNT,
};

/* Text of a function: where a call it makes returns to. */
struct text_extent {
	unsigned long start;
	unsigned long end;
};

/* The places a probe with site_calls may have */
#define EPHPORT_SITES_MAX 4

struct ephport_probe {
	enum ephport_probe_id id;
	/* candidate symbols, best first: the first that exists is used */
	const char *const *symbols;
	const char *purpose;
	bool required;
	bool is_kretprobe;
	/*
	 * A kprobe inside function probe @site_in's code, where it returns
	 * from its one direct call of @site_call (or at the call, with
	 * @site_at_call): its symbols name the place for people.
	 */
	enum ephport_probe_id site_in;
	const char *site_call;
	bool site_at_call;
	/*
	 * With @site_has_inlined, where probe @site_in's function is not
	 * attached (inlined), in probe @site_inlined's code instead: its
	 * symbols name the place in the one, then in the other.
	 */
	bool site_has_inlined;
	enum ephport_probe_id site_inlined;
	/*
	 * With @site_arg, at the one return of @site_call itself (not a
	 * clone): where its first argument (32 bits) still is, read from the
	 * code before the call when attached: the callee-saved register
	 * @site_arg_reg, or else the caller's stack slot the argument's
	 * register was stored to, @site_arg_slot bytes above the stack pointer.
	 */
	bool site_arg;
	bool site_arg_in_slot;
	u8 site_arg_reg;
	u8 site_arg_slot;
	/*
	 * ... or, with @site_calls, not a kprobe but ftrace's entry of the
	 * function each of @site_in's direct calls of @site_call goes to (a
	 * quarter of a kprobe's cost), its @called handler run for those
	 * calls only: ftrace gives the return address, which is one of the
	 * calls' own (up to EPHPORT_SITES_MAX: GCC duplicates a call on the
	 * paths it splits).  Process context; preemption may be on.
	 */
	bool site_calls;
	void (*called)(const struct ephport_probe *p);
	/*
	 * Or where @site_in's code loads 32 bits through the pointer it has
	 * just added the kernel variable @site_load to (the variable's own
	 * start, by kallsyms): the registers the load reads through and
	 * writes, found with it.
	 */
	const char *site_load;
	u8 site_base;
	u8 site_dest;
	/*
	 * kretprobe instances: @active_searches plus @active_per_cpu for
	 * each possible CPU, when the latter is set
	 */
	unsigned int active_searches;
	unsigned int active_per_cpu;
	/* fill @extent once attached: calls from this function are its search's */
	bool wants_extent;
	struct text_extent extent;
	struct kretprobe rp;
	struct kprobe kp;
#ifdef CONFIG_DYNAMIC_FTRACE
	struct ftrace_ops ops;
#endif
	unsigned long sites[EPHPORT_SITES_MAX];
	unsigned int nr_sites;	/* site_calls' sites watched */
	const char *symbol;	/* the one attached, or NULL */
	int err;		/* why none attached */
};

#define EPHPORT_KRETPROBE(entry, ret, data_type, active)	\
	{						\
		.entry_handler = (entry),		\
		.handler = (ret),			\
		.data_size = sizeof(data_type),		\
		.maxactive = (active),			\
	}

/* @addr returns into @e's function. */
static inline bool ephport_in_extent(const struct text_extent *e, unsigned long addr)
{
	return addr - e->start < e->end - e->start;
}

/* A register of @regs, in the instruction set's own numbering (0-15). */
unsigned long ephport_probe_reg(struct pt_regs *regs, u8 reg);

/* At a site_arg probe @p: the call's first argument, false when unreadable. */
bool ephport_probe_site_arg(const struct ephport_probe *p, struct pt_regs *regs, u32 *arg);

DECLARE_PER_CPU(u64[PROBE_COUNT], ephport_probe_hits_pcpu);

/* A hit of @p, for the stats file: inline, every probe counts one. */
static inline void ephport_probe_hit(const struct ephport_probe *p)
{
	this_cpu_inc(ephport_probe_hits_pcpu[p->id]);
}

/* Hits @p lost (no kretprobe instance free, or hit while another probe ran). */
unsigned long ephport_probe_missed(const struct ephport_probe *p);

/*
 * The probes by id, once probes.c has listed them, for a unit that must
 * know whether another's probe is attached or how many calls it missed.
 */
void ephport_probe_list(struct ephport_probe *const *list);
struct ephport_probe *ephport_probe_of(enum ephport_probe_id id);
bool ephport_probe_attached(enum ephport_probe_id id);

/*
 * Every probe is attached, and every extent filled in: searches may
 * start.  Acquire, pairing with ephport_probes_set_ready()'s release.
 */
bool ephport_probes_ready(void);
void ephport_probes_set_ready(bool ready);

/*
 * The kernel variable @name (its start, by kallsyms), as the code of the
 * function probe @in adds it to a register: 0 when @in is not attached,
 * its code cannot be copied (too large, unreadable, no memory) or names no
 * such variable.  Process context.
 */
unsigned long ephport_probe_variable(const struct ephport_probe *in, const char *name);

/* Attaches @p, finding its place first when it is a site; 0 or an errno. */
int ephport_probe_register(struct ephport_probe *p);
void ephport_probe_unregister(struct ephport_probe *p);
u64 ephport_probe_hits(const struct ephport_probe *p);

#endif /* EPHPORT_PROBE_H */
