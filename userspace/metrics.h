/* SPDX-License-Identifier: GPL-2.0 */
/* ephport metrics: the Prometheus text format of ports in use and counters. */
#ifndef EPHPORT_METRICS_H
#define EPHPORT_METRICS_H

#include <stdio.h>

/*
 * Writes the metrics of the namespace whose /proc is @proc (when it is
 * "/proc", with capacity's, @top destinations at most, 0: all); an exit code.
 */
int ep_metrics(FILE *out, const char *proc, long top);

#endif /* EPHPORT_METRICS_H */
