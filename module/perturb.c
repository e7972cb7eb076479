// SPDX-License-Identifier: GPL-2.0
/*
 * __inet_hash_connect() starts at (table_perturb[hash & (size - 1)] +
 * (hash >> 32)) % remaining.  The table is static in the kernel: the
 * module finds it at load where __inet_hash_connect()'s code adds it to an
 * index (GCC's, on every Debian kernel), else root tells it (control's
 * perturb_table=, from /proc/kallsyms); kallsyms must name exactly that
 * pointer before the module reads through it.
 *
 * Where the kernel's own load of the slot is found, its value is taken
 * from the register it loads; else the slot is read just before the
 * kernel reads it (or at the search's entry, where that place is not
 * found either) and again at its first step after (connect.c's
 * walking()): the kernel's own read lies between the two.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kallsyms.h>
#include <linux/security.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "perturb.h"

/* &table_perturb, the kernel's pointer to its table, or NULL */
static u32 **table_ptr;

int ephport_perturb_set_table(unsigned long addr)
{
	static const char name[] = EPHPORT_PERTURB_TABLE "+0x0/";
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

bool ephport_secrets_allowed(void)
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

bool ephport_perturb_table_known(void)
{
	return READ_ONCE(table_ptr);
}

u32 *ephport_perturb_slot(u64 hash)
{
	u32 **ptr = READ_ONCE(table_ptr);
	u32 *table;

	/* never faults on a checked address; nofault all the same */
	if (!ptr || get_kernel_nofault(table, ptr) || !table)
		return NULL;
	return table + (hash & (EPHPORT_PERTURB_SIZE - 1));
}

bool ephport_perturb_read(u64 hash, u32 *value)
{
	u32 *slot = ephport_perturb_slot(hash);

	return slot && !get_kernel_nofault(*value, slot);
}
