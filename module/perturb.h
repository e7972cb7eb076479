/* SPDX-License-Identifier: GPL-2.0 */
/*
 * connect()'s start: the perturbation table __inet_hash_connect() begins
 * its walk from, where it is, and whether its values may leave the module.
 */
#ifndef EPHPORT_PERTURB_H
#define EPHPORT_PERTURB_H

#include <linux/types.h>

/* The kernel's pointer to its table, by name. */
#define EPHPORT_PERTURB_TABLE "table_perturb"

/*
 * table_perturb's address, 0 to forget it: control's perturb_table=ADDR,
 * or found at load in __inet_hash_connect()'s code.
 */
int ephport_perturb_set_table(unsigned long addr);
bool ephport_perturb_table_known(void);

/*
 * The peer's hash and its slot's value may leave the module: false under
 * lockdown=confidentiality, for good once seen (lockdown only tightens).
 * Process context: the lockdown check may log a notice.
 */
bool ephport_secrets_allowed(void);
/* ... what the module says of it, at load and in `probes` */
#define EPHPORT_WITHHELD \
	"lockdown=confidentiality: connect()'s hash, slot and perturbation values are withheld"

/* &table_perturb[@hash's slot]: NULL while the table is not known. */
u32 *ephport_perturb_slot(u64 hash);
/* table_perturb[@hash's slot] as it is now: false when it cannot be read. */
bool ephport_perturb_read(u64 hash, u32 *value);

#endif /* EPHPORT_PERTURB_H */
