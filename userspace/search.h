/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Assembles record lines into whole searches (begin, passes with their
 * candidates, end) and notices lost records from gaps in seq.
 */
#ifndef EPHPORT_SEARCH_H
#define EPHPORT_SEARCH_H

#include <stdbool.h>

#include "record.h"

struct ep_pass {
	struct ep_record rec;
	struct ep_record *cands;
	int ncand, capcand;
};

struct ep_search {
	unsigned long long id;
	bool has_begin, has_end;
	struct ep_record begin, end;
	struct ep_pass *passes;
	int npass, cappass;
};

/* Called with each finished search; return true to keep it (then free it
 * with ep_search_free()), false to let the assembler free it. */
typedef bool (*ep_search_done)(struct ep_search *s, void *ctx);
/* Called when @lost records went missing before the record numbered @seq. */
typedef void (*ep_search_gap)(unsigned long long lost, unsigned long long seq,
			      void *ctx);

struct ep_assembler {
	ep_search_done done;
	ep_search_gap gap;
	void *ctx;
	struct ep_search *open;		/* searches still waiting for their end */
	int nopen, capopen;
	unsigned long long last_seq;
	unsigned long long lost;	/* records missing by seq */
	unsigned long long cleared;	/* discarded by `clear` */
	unsigned long long unparsable;	/* lines skipped */
};

void ep_asm_init(struct ep_assembler *a, ep_search_done done, ep_search_gap gap,
		 void *ctx);
/* Feeds one line; unparsable lines are counted and skipped. */
void ep_asm_line(struct ep_assembler *a, const char *line);
/*
 * Record @seq was read but not assembled (a type this reader does not
 * know, or not parsable): it is no loss, and the next one is no gap.
 */
void ep_asm_seq(struct ep_assembler *a, unsigned long long seq);
/* ... the same for a line, by the seq= it starts with, if any */
void ep_asm_skipped_line(struct ep_assembler *a, const char *line);
void ep_asm_record(struct ep_assembler *a, const struct ep_record *rec);
/* Hands over (if @deliver) or drops the searches whose end never came. */
void ep_asm_finish(struct ep_assembler *a, bool deliver);

void ep_search_free(struct ep_search *s);

#endif /* EPHPORT_SEARCH_H */
