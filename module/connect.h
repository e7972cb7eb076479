/* SPDX-License-Identifier: GPL-2.0 */
/*
 * connect()'s start: the perturbation table __inet_hash_connect() begins
 * its walk from, where it is, and whether the value read from it at a
 * search's entry is the one the kernel used.
 */
#ifndef EPHPORT_CONNECT_H
#define EPHPORT_CONNECT_H

#include <linux/types.h>

/* One port-0 connect() from its entry to its return, traced or not. */
struct ephport_connect_stamp {
	u32 group;
	u32 begun;		/* the group's count, this call included */
	bool alone;		/* no other call of the group in flight at entry */
};

/* control's perturb_table=ADDR: table_perturb's address, 0 to forget it. */
int ephport_connect_set_table(unsigned long addr);
bool ephport_connect_table_known(void);

/*
 * The peer's hash and its slot's value may leave the module: false under
 * lockdown=confidentiality, for good once seen (lockdown only tightens).
 * Process context: the lockdown check may log a notice.
 */
bool ephport_connect_secrets_allowed(void);
/* ... what the module says of it, at load and in `probes` */
#define EPHPORT_WITHHELD \
	"lockdown=confidentiality: connect()'s hash, slot and perturbation values are withheld"

void ephport_connect_enter(u64 hash, struct ephport_connect_stamp *st);
void ephport_connect_leave(const struct ephport_connect_stamp *st);
/* table_perturb[@hash's slot] as it is now: false when it cannot be read. */
bool ephport_connect_perturb(u64 hash, u32 *value);
/*
 * Nobody else's call could have changed the slot since @st's entry: no
 * other call of the group then or since, and the table was filled before
 * (a port-0 call returned before @st's began).  @missed is the probe's
 * misses since load: a call missed at any time may still be running
 * unseen, so after one no slot is sure again.
 */
bool ephport_connect_undisturbed(const struct ephport_connect_stamp *st,
				 unsigned long missed);

#endif /* EPHPORT_CONNECT_H */
