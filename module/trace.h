/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trace events: each record also goes to ftrace, perf and BPF as an
 * ephport:* event, printed with the record's own keys (no seq: the trace
 * has its own order).  Disabled, each is a patched-out branch.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ephport

#if !defined(EPHPORT_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define EPHPORT_TRACE_H

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include "ephport_model.h"
#include "record.h"

#ifndef EPHPORT_TRACE_SOCKADDR
#define EPHPORT_TRACE_SOCKADDR
/* The begin's address as a sockaddr, which %pISc prints in either family. */
static inline void ephport_trace_sockaddr(u8 *dst, const struct ephport_begin *b)
{
	struct sockaddr_in6 *sa6 = (void *)dst;
	struct sockaddr_in *sa4 = (void *)dst;

	memset(sa6, 0, sizeof(*sa6));
	sa6->sin6_family = b->family == EPHPORT_INET6 ? AF_INET6 : AF_INET;
	if (b->family == EPHPORT_INET6)
		memcpy(&sa6->sin6_addr, b->addr, sizeof(sa6->sin6_addr));
	else
		memcpy(&sa4->sin_addr, b->addr, sizeof(sa4->sin_addr));
}
#endif

/* Enum names in the formats below, resolved for perf and trace-cmd. */
TRACE_DEFINE_ENUM(TASK_COMM_LEN);

TRACE_EVENT(search_begin,
	    TP_PROTO(u64 search, const struct ephport_begin *b),
	    TP_ARGS(search, b),
	    TP_STRUCT__entry(__field(u64, search)
			     __field(pid_t, pid)
			     __field(pid_t, tid)
			     __array(char, comm, TASK_COMM_LEN)
			     /* a sockaddr, so that %pISc prints either family */
			     __array(u8, addr, sizeof(struct sockaddr_in6))
			     __field(u32, netns)
			     __array(char, family, EPHPORT_WORD_MAX)
			     __array(char, proto, EPHPORT_WORD_MAX)
			     __field(u8, reuse)
			     __field(u8, reuseport)
			     __field(u16, range_low)
			     __field(u16, range_high)
			     __field(u16, sock_low)
			     __field(u16, sock_high)
			     /* op and connect()'s keys, as the record has them */
			     __array(char, tail, EPHPORT_TAIL_MAX)),
	    TP_fast_assign(__entry->search = search;
			   __entry->pid = b->pid;
			   __entry->tid = b->tid;
			   memcpy(__entry->comm, b->comm, TASK_COMM_LEN);
			   __entry->netns = b->netns;
			   strscpy(__entry->family,
				   ephport_family_words[b->family],
				   EPHPORT_WORD_MAX);
			   strscpy(__entry->proto, ephport_proto_words[b->proto],
				   EPHPORT_WORD_MAX);
			   ephport_trace_sockaddr(__entry->addr, b);
			   __entry->reuse = b->reuse;
			   __entry->reuseport = b->reuseport;
			   __entry->range_low = b->range_low;
			   __entry->range_high = b->range_high;
			   __entry->sock_low = b->sock_low;
			   __entry->sock_high = b->sock_high;
			   ephport_begin_tail(b, __entry->tail, EPHPORT_TAIL_MAX);),
	    TP_printk("search=%llu type=begin pid=%d tid=%d comm=%s netns=%u family=%s proto=%s addr=%pISc reuse=%u reuseport=%u range=%u-%u sockrange=%u-%u%s",
		      __entry->search, __entry->pid, __entry->tid, __entry->comm,
		      __entry->netns, __entry->family, __entry->proto, __entry->addr,
		      __entry->reuse, __entry->reuseport, __entry->range_low,
		      __entry->range_high, __entry->sock_low, __entry->sock_high,
		      __entry->tail)
);

TRACE_EVENT(pass,
	    TP_PROTO(u64 search, const struct ephport_pass_rec *p),
	    TP_ARGS(search, p),
	    TP_STRUCT__entry(__field(u64, search)
			     __field(u8, pass)
			     /* the words themselves: perf needs no table */
			     __array(char, half, EPHPORT_WORD_MAX)
			     __array(char, parity, EPHPORT_WORD_MAX)
			     __field(u8, relax)
			     __field(int, low)
			     __field(int, high)
			     __field(u32, offset)
			     __field(int, start)
			     __field(u32, examined)
			     /* connect()'s and UDP's strides */
			     __array(char, tail, EPHPORT_TAIL_MAX)),
	    TP_fast_assign(__entry->search = search;
			   __entry->pass = p->pass;
			   strscpy(__entry->half, ephport_half_words[p->half],
				   EPHPORT_WORD_MAX);
			   strscpy(__entry->parity, ephport_parity_words[p->start & 1],
				   EPHPORT_WORD_MAX);
			   __entry->relax = p->relax;
			   __entry->low = p->low;
			   __entry->high = p->high;
			   __entry->offset = p->offset;
			   __entry->start = p->start;
			   __entry->examined = p->examined;
			   ephport_pass_tail(p, __entry->tail, EPHPORT_TAIL_MAX);),
	    TP_printk("search=%llu type=pass pass=%u half=%s low=%d high=%d relax=%u parity=%s offset=%u start=%d examined=%u%s",
		      __entry->search, __entry->pass, __entry->half,
		      __entry->low, __entry->high, __entry->relax,
		      __entry->parity, __entry->offset,
		      __entry->start, __entry->examined, __entry->tail)
);

TRACE_EVENT(candidate,
	    TP_PROTO(u64 search, const struct ephport_cand_rec *c),
	    TP_ARGS(search, c),
	    TP_STRUCT__entry(__field(u64, search)
			     __field(u16, port)
			     __field(u8, pass)
			     __array(char, verdict, EPHPORT_WORD_MAX)),
	    TP_fast_assign(__entry->search = search;
			   __entry->port = c->port;
			   __entry->pass = c->pass;
			   strscpy(__entry->verdict, ephport_verdict_words[c->verdict],
				   EPHPORT_WORD_MAX);),
	    TP_printk("search=%llu type=cand pass=%u port=%u verdict=%s",
		      __entry->search, __entry->pass, __entry->port, __entry->verdict)
);

TRACE_EVENT(search_end,
	    TP_PROTO(u64 search, const struct ephport_end_rec *e),
	    TP_ARGS(search, e),
	    TP_STRUCT__entry(__field(u64, search)
			     __field(u16, port)
			     __field(int, err)
			     __field(u8, passes)
			     __field(u32, examined)
			     __field(u64, ns)
			     __field(u8, incomplete)
			     /* -1: not counted */
			     __field(s64, probed)
			     __field(u64, ts)),
	    TP_fast_assign(__entry->search = search;
			   __entry->port = e->port;
			   __entry->err = e->err;
			   __entry->passes = e->passes;
			   __entry->examined = e->examined;
			   __entry->ns = e->ns;
			   __entry->incomplete = e->incomplete;
			   __entry->probed = e->probed_valid ? (s64)e->probed : -1;
			   __entry->ts = e->ts;),
	    TP_printk("search=%llu type=end port=%u err=%d passes=%u examined=%u ns=%llu incomplete=%u probed=%lld ts=%llu",
		      __entry->search, __entry->port, __entry->err, __entry->passes,
		      __entry->examined, __entry->ns, __entry->incomplete,
		      __entry->probed, __entry->ts)
);

#endif /* EPHPORT_TRACE_H */

/* out of the kernel tree: define_trace.h finds this file by its own path */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
