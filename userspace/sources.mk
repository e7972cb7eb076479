# SPDX-License-Identifier: GPL-2.0
# The reader's sources, for its Makefile and the host tests' (one list).
# EP_VIEW_SRCS: reading records into searches and their views (the fuzzer's).
EP_VIEW_SRCS := record.c search.c render.c explain.c json.c
EP_READER_SRCS := main.c cli.c view.c cmd_watch.c cmd_record.c cmd_stats.c cmd_explain.c \
	cmd_simulate.c cmd_metrics.c cmd_capacity.c cmd_who.c hist.c simulate.c source.c \
	metrics.c netns.c sockdiag.c capacity.c procs.c capture.c $(EP_VIEW_SRCS)
