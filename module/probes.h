/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Probe points: which kernel functions the module attaches to, what each
 * one tells the search tracker, and which of them this kernel has: the
 * list that registers them, whose entries bind.c, connect.c and udp.c define.
 */
#ifndef EPHPORT_PROBES_H
#define EPHPORT_PROBES_H

#include <linux/seq_file.h>

#include "search.h"

/*
 * Fails only when the one required probe, inet_csk_get_port, is missing.
 * @slot_load: connect()'s load of its slot is probed where found.
 */
int ephport_probes_register(enum ephport_detail detail, bool slot_load);
void ephport_probes_unregister(void);
void ephport_probes_show(struct seq_file *m);
void ephport_probes_show_stats(struct seq_file *m);

#endif /* EPHPORT_PROBES_H */
