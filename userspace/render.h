/* SPDX-License-Identifier: GPL-2.0 */
/* The reader's views of one search: human block, JSON, plain sentences. */
#ifndef EPHPORT_RENDER_H
#define EPHPORT_RENDER_H

#include <stdio.h>

#include "search.h"

/* The range the kernel searched: the sysctl, narrowed by IP_LOCAL_PORT_RANGE. */
void ep_effective_range(const struct ep_search *s, int *low, int *high);

void ep_render_human(FILE *out, const struct ep_search *s, int color);
void ep_render_json(FILE *out, const struct ep_search *s);
void ep_render_lost(FILE *out, unsigned long long lost, unsigned long long seq,
		    int json);
void ep_explain(FILE *out, const struct ep_search *s);

#endif /* EPHPORT_RENDER_H */
