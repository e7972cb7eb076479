/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's socket tables of this network namespace, as NETLINK_SOCK_DIAG
 * dumps them (the way ss reads them), and the source address the kernel
 * would pick for a destination (RTM_GETROUTE, as "ip route get").
 */
#ifndef EPHPORT_SOCKDIAG_H
#define EPHPORT_SOCKDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An IPv4 address is kept as IPv4-mapped IPv6, as connect() treats it. */
struct ep_addr {
	uint8_t b[16];
};

/* TCP's states as inet_diag reports them (include/net/tcp_states.h). */
enum ep_tcp_state {
	EP_TCP_ESTABLISHED = 1, EP_TCP_SYN_SENT, EP_TCP_SYN_RECV, EP_TCP_FIN_WAIT1,
	EP_TCP_FIN_WAIT2, EP_TCP_TIME_WAIT, EP_TCP_CLOSE, EP_TCP_CLOSE_WAIT,
	EP_TCP_LAST_ACK, EP_TCP_LISTEN, EP_TCP_CLOSING, EP_TCP_NEW_SYN_RECV,
	EP_TCP_BOUND_INACTIVE,	/* bound, neither listening nor connected (6.9+ dumps them) */
	EP_TCP_STATES,
};

struct ep_sock {
	bool udp;
	bool v6;		/* an AF_INET6 socket (its addresses may be mapped) */
	bool v6only;
	bool timewait;		/* a TIME_WAIT entry: state is its substate */
	uint8_t state;		/* enum ep_tcp_state; UDP: ESTABLISHED or CLOSE */
	uint16_t sport, dport;
	struct ep_addr saddr, daddr;
	uint32_t uid;
	uint64_t inode;		/* 0: no socket file (TIME_WAIT, request) */
};

struct ep_socks {
	struct ep_sock *v;
	size_t n, cap;
	/* the kernel dumps sockets that are only bound (6.9+) */
	bool bound_visible;
};

/*
 * Dumps TCP and UDP sockets of both families; false after saying why
 * (no inet_diag in this kernel, no permission).
 */
bool ep_socks_read(struct ep_socks *s);
void ep_socks_free(struct ep_socks *s);

/* The source address a socket connecting to @dst would get; false if unroutable. */
bool ep_route_source(const struct ep_addr *dst, struct ep_addr *src);

/*
 * --to's "ADDR:PORT": the destination, and the source the routing table
 * gives it; NULL, or what is wrong with @arg.
 */
const char *ep_destination(const char *arg, struct ep_addr *daddr, int *dport,
			   struct ep_addr *saddr);

/* "ADDR:PORT" or "[ADDR6]:PORT" into an address and a port (1-65535). */
bool ep_parse_endpoint(const char *s, struct ep_addr *addr, int *port);
/* Writes "ADDR" (IPv4 unmapped) into @buf. */
void ep_addr_format(const struct ep_addr *a, char *buf, size_t size);
bool ep_addr_is_v4(const struct ep_addr *a);
bool ep_addr_is_loopback(const struct ep_addr *a);
bool ep_addr_is_any(const struct ep_addr *a);
int ep_addr_cmp(const struct ep_addr *a, const struct ep_addr *b);

#endif /* EPHPORT_SOCKDIAG_H */
