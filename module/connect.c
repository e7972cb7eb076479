// SPDX-License-Identifier: GPL-2.0
/*
 * __inet_hash_connect() starts at (table_perturb[hash & (size - 1)] +
 * (hash >> 32)) % remaining.  The table is static in the kernel: root
 * tells the module where it is (control's perturb_table=, from
 * /proc/kallsyms), and kallsyms must name exactly that pointer before the
 * module reads through it.
 *
 * The slot read at a search's entry is the one the kernel reads if no
 * other connect() of the same slot ran meanwhile (each one that succeeds
 * adds to it), and if the table was filled (the first connect() after
 * boot fills it with random bytes).  Calls are counted as they begin and
 * end, in groups of slots, so that the search can tell.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/kallsyms.h>
#include <linux/security.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "connect.h"

/* Groups of perturbation slots whose calls are counted together. */
#define PERTURB_GROUPS 256

static atomic_t calls_begun[PERTURB_GROUPS];
static atomic_t calls_done[PERTURB_GROUPS];
/* a port-0 call has returned since the probe was attached: the table is filled */
static bool call_returned;
/* &table_perturb, the kernel's pointer to its table, or NULL */
static u32 **table_ptr;

int ephport_connect_set_table(unsigned long addr)
{
	static const char name[] = "table_perturb+0x0/";
	char sym[KSYM_SYMBOL_LEN];

	if (addr) {
		/* the start of the kernel's own symbol, not a module's ("... [mod]") */
		sprint_symbol(sym, addr);
		if (strncmp(sym, name, sizeof(name) - 1) || strchr(sym, ' '))
			return -EINVAL;
	}
	WRITE_ONCE(table_ptr, (u32 **)addr);
	return 0;
}

/* lockdown=confidentiality was seen: the secrets stay in */
static bool secrets_locked;

bool ephport_connect_secrets_allowed(void)
{
	if (READ_ONCE(secrets_locked))
		return false;
	/* what confidentiality closes to tracers: kprobes reading the kernel */
	if (security_locked_down(LOCKDOWN_KPROBES)) {
		WRITE_ONCE(secrets_locked, true);
		return false;
	}
	return true;
}

bool ephport_connect_table_known(void)
{
	return READ_ONCE(table_ptr);
}

static u32 group_of(u64 hash)
{
	return (hash & (EPHPORT_PERTURB_SIZE - 1)) % PERTURB_GROUPS;
}

void ephport_connect_enter(u64 hash, struct ephport_connect_stamp *st)
{
	/* pairs with the release in ephport_connect_leave() */
	bool filled = smp_load_acquire(&call_returned);

	st->group = group_of(hash);
	st->begun = atomic_inc_return(&calls_begun[st->group]);
	/* fully ordered: a call of the group that has not ended is seen */
	st->alone = filled && atomic_read(&calls_done[st->group]) == st->begun - 1;
}

void ephport_connect_leave(const struct ephport_connect_stamp *st)
{
	/* the call's update of its slot is done before it counts as done */
	smp_mb__before_atomic();
	atomic_inc(&calls_done[st->group]);
	/* pairs with the acquire in ephport_connect_enter(): the table is filled */
	smp_store_release(&call_returned, true);
}

bool ephport_connect_perturb(u64 hash, u32 *value)
{
	u32 **ptr = READ_ONCE(table_ptr);
	u32 *table;

	/* never faults on a checked address; nofault all the same */
	if (!ptr || get_kernel_nofault(table, ptr) || !table)
		return false;
	return !get_kernel_nofault(*value, table + (hash & (EPHPORT_PERTURB_SIZE - 1)));
}

bool ephport_connect_undisturbed(const struct ephport_connect_stamp *st,
				 unsigned long missed)
{
	/* pairs with the full barrier of a later call's atomic_inc_return() */
	smp_rmb();
	return st->alone && !missed && atomic_read(&calls_begun[st->group]) == st->begun;
}
