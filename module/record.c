// SPDX-License-Identifier: GPL-2.0
/*
 * Text form of a record: space-separated key=value, one line each.  Built
 * by hand rather than with vsnprintf(), which parses its format and walks
 * its argument list field by field: reading was dominated by that.
 */

#include <linux/in.h>
#include <linux/kernel.h>
#include <linux/socket.h>
#include <linux/string.h>

#include "perturb.h"
#include "ephport_model.h"
#include "record.h"

/* Longest decimal u64. */
#define U64_DIGITS 20

/* A line being built: what does not fit is cut, as scnprintf() would. */
struct line {
	char *buf;
	size_t len, size;
};

/* Whole pieces at a time: a bounds check per piece, not per character. */
static void put_mem(struct line *l, const char *s, size_t n)
{
	n = min(n, l->size - l->len);
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/* A string literal: its length is known when compiling. */
#define put_lit(l, lit) put_mem(l, lit, sizeof(lit) - 1)

static void put_char(struct line *l, char c)
{
	if (l->len < l->size)
		l->buf[l->len++] = c;
}

static void put_str(struct line *l, const char *s)
{
	put_mem(l, s, strlen(s));
}

static void put_u64(struct line *l, u64 v)
{
	char digits[U64_DIGITS];
	char *p = digits + sizeof(digits);

	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	put_mem(l, p, digits + sizeof(digits) - p);
}

static void put_s64(struct line *l, s64 v)
{
	if (v < 0) {
		put_char(l, '-');
		put_u64(l, -(u64)v);
	} else {
		put_u64(l, v);
	}
}

/* " key=value", the shape of every field but the first */
static void put_key_n(struct line *l, const char *key, size_t n, u64 v)
{
	put_mem(l, key, n);
	put_u64(l, v);
}

/* @key is a literal, " key="; @v is unsigned (err is the one signed key) */
#define put_key(l, key, v) put_key_n(l, key, sizeof(key) - 1, v)

static void put_range(struct line *l, int low, int high)
{
	put_u64(l, low);
	put_char(l, '-');
	put_u64(l, high);
}

static void put_addr(struct line *l, u8 family, const u8 *addr)
{
	unsigned int i;

	if (family == EPHPORT_INET6) {
		/* one call per IPv6 address: %pI6c's compression rules, exactly */
		l->len += scnprintf(l->buf + l->len, l->size - l->len, "%pI6c", addr);
		return;
	}
	for (i = 0; i < sizeof(struct in_addr); i++) {
		if (i)
			put_char(l, '.');
		put_u64(l, addr[i]);
	}
}

enum ephport_family ephport_family_of(u16 family)
{
	return family == AF_INET6 ? EPHPORT_INET6 : EPHPORT_INET;
}

enum ephport_proto ephport_proto_of(u8 proto)
{
	switch (proto) {
	case IPPROTO_DCCP:
		return EPHPORT_DCCP;
	case IPPROTO_UDP:
		return EPHPORT_UDP;
	case IPPROTO_UDPLITE:
		return EPHPORT_UDPLITE;
	default:
		return EPHPORT_TCP;
	}
}

/*
 * After sockrange: what connect() adds.  @secrets: the peer's hash, its
 * slot and the slot's value, what keeps connect()'s ports from being
 * predicted; debugfs is root's alone, tracefs may be opened to a group,
 * and lockdown=confidentiality keeps them in (secrets=withheld says so).
 */
static void begin_tail(const struct ephport_begin *b, struct line *l, bool secrets)
{
	put_lit(l, " op=");
	put_str(l, ephport_op_words[b->op]);
	if (b->op != EPHPORT_OP_CONNECT)
		return;
	put_lit(l, " daddr=");
	put_addr(l, b->family, b->daddr);
	put_key(l, " dport=", b->dport);
	if (!secrets)
		return;
	if (b->withheld || !ephport_secrets_allowed()) {
		put_lit(l, " secrets=withheld");
		return;
	}
	put_key(l, " hash=", b->hash);
	put_key(l, " slot=", b->slot);
	if (b->perturb_known)
		put_key(l, " perturb=", b->perturb);
	else
		put_lit(l, " perturb=unknown");
}

/* After examined: connect()'s and UDP's strides. */
static void pass_tail(const struct ephport_pass_rec *p, struct line *l)
{
	if (p->has_step)
		put_key(l, " step=", p->step);
	if (p->stride)
		put_key(l, " stride=", p->stride);
	if (p->slots)
		put_key(l, " slots=", p->slots);
}

void ephport_begin_tail(const struct ephport_begin *b, char *buf, size_t size)
{
	struct line l = { .buf = buf, .size = size - 1 };

	begin_tail(b, &l, false);
	buf[l.len] = '\0';
}

void ephport_pass_tail(const struct ephport_pass_rec *p, char *buf, size_t size)
{
	struct line l = { .buf = buf, .size = size - 1 };

	pass_tail(p, &l);
	buf[l.len] = '\0';
}

static void format_begin(const struct ephport_begin *b, struct line *l)
{
	put_key(l, " pid=", b->pid);
	put_key(l, " tid=", b->tid);
	put_lit(l, " comm=");
	/* copy_comm() made it one NUL-terminated word */
	put_str(l, b->comm);
	put_key(l, " netns=", b->netns);
	put_lit(l, " family=");
	put_str(l, ephport_family_words[b->family]);
	put_lit(l, " proto=");
	put_str(l, ephport_proto_words[b->proto]);
	put_lit(l, " addr=");
	put_addr(l, b->family, b->addr);
	put_key(l, " reuse=", b->reuse);
	put_key(l, " reuseport=", b->reuseport);
	put_lit(l, " range=");
	put_range(l, b->range_low, b->range_high);
	put_lit(l, " sockrange=");
	if (b->sock_low || b->sock_high)
		put_range(l, b->sock_low, b->sock_high);
	else
		put_lit(l, "none");
	begin_tail(b, l, true);
}

static void format_pass(const struct ephport_pass_rec *p, struct line *l)
{
	put_key(l, " pass=", p->pass);
	put_lit(l, " half=");
	put_str(l, ephport_half_words[p->half]);
	put_key(l, " low=", p->low);
	put_key(l, " high=", p->high);
	put_key(l, " relax=", p->relax);
	put_lit(l, " parity=");
	put_str(l, ephport_parity_words[p->start & 1]);
	put_key(l, " offset=", p->offset);
	put_key(l, " start=", p->start);
	put_key(l, " examined=", p->examined);
	pass_tail(p, l);
}

static void format_cand(const struct ephport_cand_rec *c, struct line *l)
{
	put_key(l, " pass=", c->pass);
	put_key(l, " port=", c->port);
	put_lit(l, " verdict=");
	put_str(l, ephport_verdict_words[c->verdict]);
}

static void format_end(const struct ephport_end_rec *e, struct line *l)
{
	put_key(l, " port=", e->port);
	put_lit(l, " err=");
	put_s64(l, e->err);
	put_key(l, " passes=", e->passes);
	put_key(l, " examined=", e->examined);
	put_key(l, " ns=", e->ns);
	put_key(l, " incomplete=", e->incomplete);
	if (e->probed_valid)
		put_key(l, " probed=", e->probed);
	put_key(l, " ts=", e->ts);
}

void ephport_record_withhold(struct ephport_record *rec)
{
	struct ephport_begin *b = &rec->begin;

	if (rec->type != EPHPORT_REC_BEGIN || b->op != EPHPORT_OP_CONNECT ||
	    ephport_secrets_allowed())
		return;
	b->hash = 0;
	b->slot = 0;
	b->perturb = 0;
	b->perturb_known = 0;
	b->withheld = 1;
}

int ephport_record_format(const struct ephport_record *rec, char *buf, size_t size)
{
	struct line l = { .buf = buf, .size = size - 1 };

	if (!size)
		return 0;
	put_lit(&l, "seq=");
	put_u64(&l, rec->seq);
	put_lit(&l, " search=");
	put_u64(&l, rec->search);
	put_lit(&l, " type=");
	put_str(&l, ephport_record_type_words[rec->type]);
	switch (rec->type) {
	case EPHPORT_REC_BEGIN:
		format_begin(&rec->begin, &l);
		break;
	case EPHPORT_REC_PASS:
		format_pass(&rec->pass, &l);
		break;
	case EPHPORT_REC_CAND:
		format_cand(&rec->cand, &l);
		break;
	case EPHPORT_REC_CLEAR:
		put_key(&l, " cleared=", rec->clear.cleared);
		break;
	default:
		format_end(&rec->end, &l);
		break;
	}
	put_char(&l, '\n');
	buf[l.len] = '\0';
	return l.len;
}
