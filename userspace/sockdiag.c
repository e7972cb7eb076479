// SPDX-License-Identifier: GPL-2.0
/*
 * NETLINK_SOCK_DIAG dumps of TCP and UDP sockets, and RTM_GETROUTE for the
 * source address of a destination: raw netlink, one request at a time.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli.h"
#include "sockdiag.h"

/* Netlink replies arrive in datagrams of up to a page or so each. */
#define EP_NL_BUF 32768

static const uint8_t v4_prefix[12] = { [10] = 0xff, [11] = 0xff };

static void addr_from_v4(struct ep_addr *a, const void *v4)
{
	memcpy(a->b, v4_prefix, sizeof(v4_prefix));
	memcpy(a->b + 12, v4, 4);
}

bool ep_addr_is_v4(const struct ep_addr *a)
{
	return !memcmp(a->b, v4_prefix, sizeof(v4_prefix));
}

bool ep_addr_is_any(const struct ep_addr *a)
{
	static const uint8_t zero[16];

	return !memcmp(a->b, zero, 16) || (ep_addr_is_v4(a) && !memcmp(a->b + 12, zero, 4));
}

bool ep_addr_is_loopback(const struct ep_addr *a)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };

	return ep_addr_is_v4(a) ? a->b[12] == 127 : !memcmp(a->b, v6_loopback, 16);
}

int ep_addr_cmp(const struct ep_addr *a, const struct ep_addr *b)
{
	return memcmp(a->b, b->b, sizeof(a->b));
}

void ep_addr_format(const struct ep_addr *a, char *buf, size_t size)
{
	if (ep_addr_is_v4(a))
		inet_ntop(AF_INET, a->b + 12, buf, size);
	else
		inet_ntop(AF_INET6, a->b, buf, size);
}

bool ep_parse_endpoint(const char *s, struct ep_addr *addr, int *port)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	uint8_t v4[4];
	size_t len;
	long p;

	if (!colon || !ep_parse_long(colon + 1, 1, 65535, &p))
		return false;
	len = colon - s;
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	} else if (memchr(s, ':', len)) {
		return false;	/* an IPv6 address wants its brackets */
	}
	if (!len || len >= sizeof(host))
		return false;
	memcpy(host, s, len);
	host[len] = '\0';
	*port = (int)p;
	if (inet_pton(AF_INET, host, v4) == 1) {
		addr_from_v4(addr, v4);
		return true;
	}
	return inet_pton(AF_INET6, host, addr->b) == 1;
}

static bool push(struct ep_socks *s, const struct ep_sock *sock)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		struct ep_sock *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return false;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *sock;
	return true;
}

static void parse_msg(const struct nlmsghdr *h, bool udp, struct ep_sock *sock)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	int len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
	const struct rtattr *a = (const struct rtattr *)(m + 1);

	memset(sock, 0, sizeof(*sock));
	sock->udp = udp;
	sock->v6 = m->idiag_family == AF_INET6;
	sock->state = m->idiag_state;
	/* the bound-only sockets 6.9+ dumps are the only TCP ones it shows as CLOSE */
	if (!udp && sock->state == EP_TCP_CLOSE)
		sock->state = EP_TCP_BOUND_INACTIVE;
	/* a TIME_WAIT entry has no owner and no socket file */
	sock->timewait = !udp && !m->idiag_inode &&
			 (m->idiag_state == EP_TCP_TIME_WAIT || m->idiag_state == EP_TCP_FIN_WAIT2);
	sock->sport = ntohs(m->id.idiag_sport);
	sock->dport = ntohs(m->id.idiag_dport);
	if (sock->v6) {
		memcpy(sock->saddr.b, m->id.idiag_src, 16);
		memcpy(sock->daddr.b, m->id.idiag_dst, 16);
	} else {
		addr_from_v4(&sock->saddr, m->id.idiag_src);
		addr_from_v4(&sock->daddr, m->id.idiag_dst);
	}
	sock->uid = m->idiag_uid;
	sock->inode = m->idiag_inode;
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == INET_DIAG_SKV6ONLY && RTA_PAYLOAD(a) >= 1)
			sock->v6only = *(const uint8_t *)RTA_DATA(a);
}

/* Sends @req, then reads replies until DONE: each to @msg; -errno or 0. */
static int talk(int fd, const void *req, size_t len,
		bool (*msg)(const struct nlmsghdr *h, void *ctx), void *ctx)
{
	static char buf[EP_NL_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	if (sendto(fd, req, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -EIO;
		for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			/* a dump's DONE carries its error: a table this kernel lacks */
			if (h->nlmsg_type == NLMSG_DONE)
				return h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) ?
				       *(const int *)NLMSG_DATA(h) : 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error;
			}
			if (!msg(h, ctx))
				return -ENOMEM;
			if (!(h->nlmsg_flags & NLM_F_MULTI))
				return 0;
		}
	}
}

struct dump_ctx {
	struct ep_socks *s;
	bool udp;
};

static bool dump_msg(const struct nlmsghdr *h, void *ctx)
{
	struct dump_ctx *d = ctx;
	struct ep_sock sock;

	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
		return true;
	parse_msg(h, d->udp, &sock);
	return push(d->s, &sock);
}

static int dump(int fd, int family, int proto, struct ep_socks *s)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		},
		/* every state, with 6.9's bound-only pseudo-state among them */
		.r = { .sdiag_family = family, .sdiag_protocol = proto, .idiag_states = ~0U },
	};
	struct dump_ctx d = { s, proto == IPPROTO_UDP };

	return talk(fd, &req, sizeof(req), dump_msg, &d);
}

/* Since 6.9 (commit 91051f003948) inet_diag dumps bound-only TCP sockets. */
static bool kernel_dumps_bound(void)
{
	struct utsname u;
	int major, minor;

	return !uname(&u) && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
	       (major > 6 || (major == 6 && minor >= 9));
}

bool ep_socks_read(struct ep_socks *s)
{
	static const struct {
		int family, proto;
		const char *name, *module;
	} tables[] = {
		{ AF_INET, IPPROTO_TCP, "TCP", "tcp_diag" },
		{ AF_INET6, IPPROTO_TCP, "TCPv6", "tcp_diag" },
		{ AF_INET, IPPROTO_UDP, "UDP", "udp_diag" },
		{ AF_INET6, IPPROTO_UDP, "UDPv6", "udp_diag" },
	};
	size_t i;
	int fd, err;

	memset(s, 0, sizeof(*s));
	s->bound_visible = kernel_dumps_bound();
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		ep_error("cannot open a NETLINK_SOCK_DIAG socket: %s", strerror(errno));
		return false;
	}
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		err = dump(fd, tables[i].family, tables[i].proto, s);
		/* a kernel without IPv6 has no such table */
		if (err == -EAFNOSUPPORT && tables[i].family == AF_INET6)
			continue;
		if (err == -ENOENT) {
			ep_error("this kernel dumps no %s sockets: load inet_diag and %s "
				 "(CONFIG_INET_DIAG)", tables[i].name, tables[i].module);
			break;
		}
		if (err) {
			ep_error("cannot dump the %s sockets: %s", tables[i].name, strerror(-err));
			break;
		}
	}
	close(fd);
	if (i < sizeof(tables) / sizeof(tables[0])) {
		ep_socks_free(s);
		return false;
	}
	return true;
}

void ep_socks_free(struct ep_socks *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

struct route_ctx {
	struct ep_addr *src;
	bool found;
};

static bool route_msg(const struct nlmsghdr *h, void *ctx)
{
	struct route_ctx *r = ctx;
	const struct rtmsg *m = NLMSG_DATA(h);
	int len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
	const struct rtattr *a = RTM_RTA(m);

	if (h->nlmsg_type != RTM_NEWROUTE || len < 0)
		return true;
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type != RTA_PREFSRC)
			continue;
		if (m->rtm_family == AF_INET && RTA_PAYLOAD(a) == 4)
			addr_from_v4(r->src, RTA_DATA(a));
		else if (m->rtm_family == AF_INET6 && RTA_PAYLOAD(a) == 16)
			memcpy(r->src->b, RTA_DATA(a), 16);
		else
			continue;
		r->found = true;
	}
	return true;
}

bool ep_route_source(const struct ep_addr *dst, struct ep_addr *src)
{
	struct {
		struct nlmsghdr nlh;
		struct rtmsg r;
		struct rtattr a;
		uint8_t addr[16];
	} req = {
		.nlh = { .nlmsg_type = RTM_GETROUTE, .nlmsg_flags = NLM_F_REQUEST },
	};
	struct route_ctx r = { src, false };
	bool v4 = ep_addr_is_v4(dst);
	int fd, err;

	req.r.rtm_family = v4 ? AF_INET : AF_INET6;
	req.r.rtm_dst_len = v4 ? 32 : 128;
	req.a.rta_type = RTA_DST;
	req.a.rta_len = RTA_LENGTH(v4 ? 4 : 16);
	memcpy(req.addr, v4 ? dst->b + 12 : dst->b, v4 ? 4 : 16);
	req.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(req.r)) + RTA_ALIGN(req.a.rta_len);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return false;
	err = talk(fd, &req, req.nlh.nlmsg_len, route_msg, &r);
	close(fd);
	return !err && r.found;
}

const char *ep_destination(const char *arg, struct ep_addr *daddr, int *dport,
			   struct ep_addr *saddr)
{
	if (!ep_parse_endpoint(arg, daddr, dport))
		return "wants ADDR:PORT or [ADDR6]:PORT";
	if (!ep_route_source(daddr, saddr))
		return "has no route: no source address to count from";
	return NULL;
}
