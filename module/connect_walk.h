/* SPDX-License-Identifier: GPL-2.0 */
/*
 * connect()'s walk, derived at its end from what its probes saw
 * (connect.c): its start, and whether the ports it locked agree with it.
 */
#ifndef EPHPORT_CONNECT_WALK_H
#define EPHPORT_CONNECT_WALK_H

#include <linux/types.h>

struct ephport_search;

/*
 * The first sweep's offset of @s, into @offset and @s's half pass, for a
 * search that returned @ret having taken @chosen (or -1): false when the
 * walk is not known.
 */
bool ephport_connect_walk(struct ephport_search *s, int ret, int chosen, unsigned int *offset);
/* Before 6.15: as many ports locked as examined, or no telling. */
bool ephport_connect_locks_agree(const struct ephport_search *s);

#endif /* EPHPORT_CONNECT_WALK_H */
