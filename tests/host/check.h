/* SPDX-License-Identifier: GPL-2.0 */
/* The host tests' one assertion macro and their summary line. */
#ifndef EPHPORT_CHECK_H
#define EPHPORT_CHECK_H

#include <stdio.h>

static int check_passed, check_failed;

#define CHECK(cond, ...)						\
	do {								\
		if (cond) {						\
			check_passed++;					\
		} else {						\
			check_failed++;					\
			fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);	\
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
		}							\
	} while (0)

/* One "ok"/"not ok" line per test program, for the suite to count. */
static inline int check_summary(const char *name)
{
	if (check_failed)
		printf("not ok - host-%s: %d of %d checks failed\n", name,
		       check_failed, check_passed + check_failed);
	else
		printf("ok - host-%s: %d checks\n", name, check_passed);
	return check_failed ? 1 : 0;
}

#endif /* EPHPORT_CHECK_H */
