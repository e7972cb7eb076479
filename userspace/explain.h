/* SPDX-License-Identifier: GPL-2.0 */
/* A search told in sentences: ephport explain's view. */
#ifndef EPHPORT_EXPLAIN_H
#define EPHPORT_EXPLAIN_H

#include <stdio.h>

#include "search.h"

void ep_explain(FILE *out, const struct ep_search *s);

#endif /* EPHPORT_EXPLAIN_H */
