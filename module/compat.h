/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences between the lines ephport supports (Debian's 6.1,
 * 6.12 and 7.x), detected by Kbuild from the headers of the kernel being built
 * for (EPHPORT_HAVE_* and EPHPORT_*_PACKED), never from version numbers.
 *
 * The module reads the port ranges itself instead of calling
 * inet_get_local_port_range() or inet_sk_get_local_port_range(): on 6.1
 * they wait on a seqlock, which sleeps on PREEMPT_RT and spins forever
 * behind a preempted writer, and their form changed (inline from 6.8, bool
 * from 6.8).  Reading the fields directly sidesteps both.
 */
#ifndef EPHPORT_COMPAT_H
#define EPHPORT_COMPAT_H

#include <linux/bits.h>
#include <linux/fs.h>
#include <linux/processor.h>
#include <linux/seqlock.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/udp.h>

#include "ephport_model.h"
#include "writers.h"

/* 6.12 removed no_llseek: a NULL llseek now means "not seekable". */
#ifdef EPHPORT_HAVE_NO_LLSEEK
#define ephport_no_llseek no_llseek
#else
#define ephport_no_llseek NULL
#endif

/*
 * system_wq became system_percpu_wq (6.17, and 6.12.y); 7.x warns once when
 * work is queued on the old name, which is to be removed.
 */
#ifdef EPHPORT_HAVE_SYSTEM_PERCPU_WQ
#define ephport_percpu_wq system_percpu_wq
#else
#define ephport_percpu_wq system_wq
#endif

/* Times a range read retries behind a writer before it gives up. */
#define EPHPORT_RANGE_TRIES 64

/*
 * net.ipv4.ip_local_port_range, both ends inclusive, without waiting:
 * false, with nothing stored, when a writer kept it changing (or is
 * preempted mid-update on RT, or is running now, 6.8+).  @stamp: equal for
 * two reads with no write in between: the seqcount, or, where the range is
 * one word (6.8+), the word and its writers' count, read before and after
 * it (the word alone where the handler is not probed: a range moved and
 * moved back between two reads is then beyond sight).
 */
static inline bool ephport_net_range(struct net *net, int *low, int *high, u64 *stamp)
{
#ifdef EPHPORT_NET_RANGE_PACKED
	/* one word, high << 16 | low, written with WRITE_ONCE() */
	bool counted = ephport_writers_watched(EPHPORT_SYSCTL_RANGE);
	u32 range, before = 0, after = 0;

	if (counted && !ephport_writers_stamp(EPHPORT_SYSCTL_RANGE, &before))
		return false;
	range = READ_ONCE(net->ipv4.ip_local_ports.range);
	if (counted && (!ephport_writers_stamp(EPHPORT_SYSCTL_RANGE, &after) || after != before))
		return false;
	*low = range & 0xffff;
	*high = range >> 16;
	*stamp = (u64)before << 32 | range;
	return true;
#else
	/* the seqlock's bare seqcount: its reader never takes the lock */
	seqcount_t *sc = &net->ipv4.ip_local_ports.lock.seqcount.seqcount;
	unsigned int tries, seq;
	int lo, hi;

	for (tries = 0; tries < EPHPORT_RANGE_TRIES; tries++) {
		seq = raw_read_seqcount(sc);
		if (!(seq & 1)) {
			lo = READ_ONCE(net->ipv4.ip_local_ports.range[0]);
			hi = READ_ONCE(net->ipv4.ip_local_ports.range[1]);
			if (!read_seqcount_retry(sc, seq)) {
				*low = lo;
				*high = hi;
				*stamp = seq;
				return true;
			}
		}
		cpu_relax();
	}
	return false;
#endif
}

/* The socket's IP_LOCAL_PORT_RANGE as set, 0-0 when it sets none. */
static inline void ephport_sock_range(const struct sock *sk, int *low,
				      int *high)
{
#if defined(EPHPORT_SOCK_RANGE_PACKED)
	u32 range = READ_ONCE(inet_sk(sk)->local_port_range);

	*low = range & 0xffff;
	*high = range >> 16;
#elif defined(EPHPORT_HAVE_SOCK_RANGE)
	*low = READ_ONCE(inet_sk(sk)->local_port_range.lo);
	*high = READ_ONCE(inet_sk(sk)->local_port_range.hi);
#else
	*low = 0;
	*high = 0;
#endif
}

/*
 * The range this socket's search uses, as inet_sk_get_local_port_range();
 * @stamp as ephport_net_range()'s.
 */
static inline bool ephport_search_range(struct sock *sk, int *low, int *high, u64 *stamp)
{
	int sock_low, sock_high;

	if (!ephport_net_range(sock_net(sk), low, high, stamp))
		return false;
	ephport_sock_range(sk, &sock_low, &sock_high);
	ephport_apply_sock_range(low, high, sock_low, sock_high);
	return true;
}

/*
 * 6.8+: a socket with IP_LOCAL_PORT_RANGE set (@sock_low-@sock_high, as
 * ephport_sock_range() read it) connect()s in one sweep of step 1
 * (inet_sk_get_local_port_range() says so by returning true).
 */
static inline bool ephport_connect_one_sweep(int sock_low, int sock_high)
{
#ifdef EPHPORT_CONNECT_ONE_SWEEP
	return sock_low || sock_high;
#else
	return false;
#endif
}

/* 7.x: connect() may draw a random stride (net.ipv4.ip_local_port_step_width) */
#ifdef EPHPORT_HAVE_PORT_STEP_WIDTH
#define EPHPORT_CONNECT_STRIDE true
#else
#define EPHPORT_CONNECT_STRIDE false
#endif

/* ... as wide as this, 0 for none (and where the kernel has no such thing) */
static inline u32 ephport_port_step_width(const struct net *net)
{
#ifdef EPHPORT_HAVE_PORT_STEP_WIDTH
	return READ_ONCE(net->ipv4.sysctl_ip_local_port_step_width);
#else
	return 0;
#endif
}

/* 6.15+: connect() checks a 4-tuple under RCU first, then locked */
#ifdef EPHPORT_CONNECT_RCU_CHECK
#define EPHPORT_CHECK_PRECHECK true
#else
#define EPHPORT_CHECK_PRECHECK false
#endif

/* __inet_hash_connect()'s perturbation slots (a power of 2) */
#define EPHPORT_PERTURB_SIZE BIT(CONFIG_INET_TABLE_PERTURB_ORDER)

/*
 * The table udp_lib_get_port() walks: the protocol's, else (6.2+) the
 * netns's; 7.x keeps only the netns's.
 */
static inline const struct udp_table *ephport_udp_table(const struct sock *sk)
{
#if defined(EPHPORT_HAVE_PROTO_UDP_TABLE) && defined(EPHPORT_HAVE_NETNS_UDP_TABLE)
	return sk->sk_prot->h.udp_table ?: sock_net(sk)->ipv4.udp_table;
#elif defined(EPHPORT_HAVE_PROTO_UDP_TABLE)
	return sk->sk_prot->h.udp_table;
#else
	return sock_net(sk)->ipv4.udp_table;
#endif
}

/*
 * inet_use_hash2_on_bind() is in the headers only where a 2026 stable
 * change moved it there: the same few lines, so the build does not
 * depend on which side of that change the kernel is.
 */
static inline bool ephport_use_hash2_on_bind(const struct sock *sk)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		if (ipv6_addr_any(&sk->sk_v6_rcv_saddr))
			return false;
		if (!ipv6_addr_v4mapped(&sk->sk_v6_rcv_saddr))
			return true;
	}
#endif
	return sk->sk_rcv_saddr != htonl(INADDR_ANY);
}

#endif /* EPHPORT_COMPAT_H */
