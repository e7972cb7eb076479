/* SPDX-License-Identifier: GPL-2.0 */
/* The reader's views of one search: human block, one line, JSON; their helpers. */
#ifndef EPHPORT_RENDER_H
#define EPHPORT_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "search.h"

/* Records count time in ns; the views print microseconds. */
#define EP_NS_PER_US 1000.0

/* "bind()", "connect()", "UDP": how the views name the walks. */
extern const char *const ep_walk_names[EPHPORT_WALK_COUNT];

/* Which of the kernel's three walks a search is (ephport_model.h). */
enum ephport_walk_kind ep_walk_of(const struct ep_search *s);

/* "EADDRINUSE" for -EADDRINUSE: the errno's name, else its text. */
const char *ep_err_name(int err);

/* The range the kernel searched: the sysctl, narrowed by IP_LOCAL_PORT_RANGE. */
void ep_effective_range(const struct ep_search *s, int *low, int *high);

/* @timestamps: the time it returned first (-T) */
void ep_render_human(FILE *out, const struct ep_search *s, int color, bool timestamps);
/* What the human view's bar marks, once before its first search. */
void ep_render_legend(FILE *out);
/* One line per search, as bindsnoop prints them: who, which walk, the result. */
void ep_render_oneline(FILE *out, const struct ep_search *s, bool timestamps);
void ep_render_json(FILE *out, const struct ep_search *s);
void ep_render_lost(FILE *out, unsigned long long lost, unsigned long long seq,
		    int json);

#endif /* EPHPORT_RENDER_H */
