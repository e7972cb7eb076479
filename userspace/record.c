// SPDX-License-Identifier: GPL-2.0
/* Record parsing: a text line or a binary record into struct ep_record. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../module/ephport_model.h"
#include "record.h"

/* Key bits: which keys a line carried, to check the ones its type needs. */
enum {
	K_SEQ = 1 << 0, K_SEARCH = 1 << 1, K_TYPE = 1 << 2, K_PID = 1 << 3,
	K_COMM = 1 << 4, K_FAMILY = 1 << 5, K_PROTO = 1 << 6, K_RANGE = 1 << 7,
	K_REUSE = 1 << 8, K_PASS = 1 << 9, K_HALF = 1 << 10, K_LOW = 1 << 11,
	K_HIGH = 1 << 12, K_OFFSET = 1 << 13, K_START = 1 << 14,
	K_PORT = 1 << 15, K_VERDICT = 1 << 16, K_ERR = 1 << 17,
	K_PASSES = 1 << 18, K_EXAMINED = 1 << 19, K_NS = 1 << 20,
	K_PARITY = 1 << 21, K_RELAX = 1 << 22, K_CLEARED = 1 << 23,
	K_NEW_TYPE = 1 << 24,
};

static const unsigned long required[] = {
	[EP_BEGIN] = K_PID | K_COMM | K_FAMILY | K_PROTO | K_RANGE | K_REUSE,
	[EP_PASS] = K_PASS | K_HALF | K_LOW | K_HIGH | K_OFFSET | K_START |
		    K_PARITY | K_RELAX,
	[EP_CAND] = K_PASS | K_PORT | K_VERDICT,
	[EP_END] = K_PORT | K_ERR | K_PASSES | K_EXAMINED | K_NS,
	[EP_CLEAR] = K_CLEARED,
};

static bool parse_ll(const char *s, size_t n, long long min, long long max,
		     long long *out)
{
	char buf[24], *end;
	long long v;

	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || *end || end == buf || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_int(const char *s, size_t n, long long min, long long max, int *out)
{
	long long v;

	if (!parse_ll(s, n, min, max, &v))
		return false;
	*out = (int)v;
	return true;
}

static bool parse_count(const char *s, size_t n, long long *out)
{
	return parse_ll(s, n, 0, LLONG_MAX, out);
}

static bool parse_ull(const char *s, size_t n, unsigned long long *out)
{
	long long v;

	if (!parse_ll(s, n, 0, LLONG_MAX, &v))
		return false;
	*out = (unsigned long long)v;
	return true;
}

/* A hash is a full u64, above what strtoll() takes. */
static bool parse_u64(const char *s, size_t n, unsigned long long *out)
{
	char buf[24], *end;

	if (!n || n >= sizeof(buf) || *s < '0' || *s > '9')
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	*out = strtoull(buf, &end, 10);
	return !errno && !*end;
}

static bool copy_word(const char *s, size_t n, char *dst, size_t size)
{
	if (!n || n >= size)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

int ep_word_index(const char *s, size_t n, const char *const *words, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (strlen(words[i]) == n && !memcmp(s, words[i], n))
			return (int)i;
	return -1;
}

/* @dst, an enum of the vocabulary @words, gets @s's index (through @tmp) */
#define one_of(s, n, words, dst, tmp)						\
	(((tmp) = EP_WORD_INDEX(s, n, words)) >= 0 &&				\
	 ((*(dst) = (tmp)), true))

/* ... or, a word a newer module added, the vocabulary's count and the word in @other */
#define one_or_newer(s, n, words, dst, other, tmp)				\
	(one_of(s, n, words, dst, tmp) ||					\
	 ((*(dst) = sizeof(words) / sizeof(words[0])),				\
	  copy_word(s, n, other, sizeof(other))))

static bool parse_range(const char *s, size_t n, int *low, int *high)
{
	const char *dash = memchr(s, '-', n);

	if (!dash)
		return false;
	return parse_int(s, dash - s, 0, 65535, low) &&
	       parse_int(dash + 1, n - (dash - s) - 1, 0, 65535, high);
}


#define KEY(name) (klen == strlen(name) && !memcmp(key, name, klen))

static bool parse_pair(const char *key, size_t klen, const char *v, size_t n,
		       struct ep_record *r, unsigned long *seen)
{
	long long ll;
	int word;

	if (KEY("seq"))
		return (*seen |= K_SEQ), parse_ull(v, n, &r->seq);
	if (KEY("search"))
		return (*seen |= K_SEARCH), parse_ull(v, n, &r->search);
	if (KEY("type")) {
		*seen |= K_TYPE;
		/* a type from a newer module: the line is skipped */
		if (!one_of(v, n, ephport_record_type_words, &r->type, word))
			return n && n < EP_WORD_MAX && (*seen |= K_NEW_TYPE);
		return true;
	}
	if (KEY("pid"))
		return (*seen |= K_PID), parse_int(v, n, 0, INT_MAX, &r->pid);
	if (KEY("tid"))
		return parse_int(v, n, 0, INT_MAX, &r->tid);
	if (KEY("netns"))
		return parse_ll(v, n, 0, UINT_MAX, &ll) && ((r->netns = ll), true);
	if (KEY("comm"))
		return (*seen |= K_COMM), copy_word(v, n, r->comm, sizeof(r->comm));
	if (KEY("family"))
		return (*seen |= K_FAMILY), one_of(v, n, ephport_family_words, &r->family, word);
	if (KEY("proto"))
		return (*seen |= K_PROTO),
		       one_or_newer(v, n, ephport_proto_words, &r->proto, r->proto_word, word);
	if (KEY("addr"))
		return copy_word(v, n, r->addr, sizeof(r->addr));
	if (KEY("reuse"))
		return (*seen |= K_REUSE), parse_int(v, n, 0, 1, &r->reuse);
	if (KEY("reuseport"))
		return parse_int(v, n, 0, 1, &r->reuseport);
	if (KEY("range"))
		return (*seen |= K_RANGE), parse_range(v, n, &r->range_low, &r->range_high);
	if (KEY("sockrange")) {
		if (n == strlen("none") && !memcmp(v, "none", n))
			return true;
		return parse_range(v, n, &r->sock_low, &r->sock_high);
	}
	if (KEY("op"))
		return one_or_newer(v, n, ephport_op_words, &r->op, r->op_word, word);
	if (KEY("daddr"))
		return copy_word(v, n, r->daddr, sizeof(r->daddr));
	if (KEY("dport"))
		return parse_int(v, n, 0, 65535, &r->dport);
	if (KEY("hash"))
		return parse_u64(v, n, &r->hash);
	if (KEY("slot"))
		return parse_ll(v, n, 0, UINT_MAX, &r->slot);
	if (KEY("secrets")) {
		r->withheld = n == strlen("withheld") && !memcmp(v, "withheld", n);
		return true;
	}
	if (KEY("perturb")) {
		if (n == strlen("unknown") && !memcmp(v, "unknown", n))
			return true;
		return parse_ll(v, n, 0, UINT_MAX, &r->perturb);
	}
	if (KEY("step"))
		return parse_ll(v, n, 0, 65535, &r->step);
	if (KEY("slots"))
		return parse_int(v, n, 1, 65536, &r->slots);
	if (KEY("stride"))
		return parse_ll(v, n, 1, 65535, &r->stride);
	if (KEY("pass"))
		return (*seen |= K_PASS), parse_int(v, n, 1, 255, &r->pass);
	if (KEY("half"))
		return (*seen |= K_HALF),
		       one_or_newer(v, n, ephport_half_words, &r->half, r->half_word, word);
	if (KEY("parity"))
		return (*seen |= K_PARITY), one_of(v, n, ephport_parity_words, &r->parity, word);
	if (KEY("low"))
		return (*seen |= K_LOW), parse_int(v, n, 0, 65536, &r->low);
	if (KEY("high"))
		return (*seen |= K_HIGH), parse_int(v, n, 0, 65536, &r->high);
	if (KEY("offset"))
		return (*seen |= K_OFFSET), parse_count(v, n, &r->offset);
	if (KEY("start"))
		return (*seen |= K_START), parse_count(v, n, &r->start);
	if (KEY("relax"))
		return (*seen |= K_RELAX), parse_int(v, n, 0, 1, &r->relax);
	if (KEY("examined"))
		return (*seen |= K_EXAMINED), parse_count(v, n, &r->examined);
	if (KEY("port"))
		return (*seen |= K_PORT), parse_int(v, n, 0, 65535, &r->port);
	if (KEY("verdict"))
		return (*seen |= K_VERDICT),
		       one_or_newer(v, n, ephport_verdict_words, &r->verdict, r->verdict_word, word);
	if (KEY("err"))
		return (*seen |= K_ERR), parse_int(v, n, -4095, 0, &r->err);
	if (KEY("passes"))
		return (*seen |= K_PASSES), parse_int(v, n, 0, 255, &r->passes);
	if (KEY("ns"))
		return (*seen |= K_NS), parse_ull(v, n, &r->ns);
	if (KEY("ts"))
		return parse_ull(v, n, &r->ts);
	if (KEY("incomplete"))
		return parse_int(v, n, 0, 1, &r->incomplete);
	if (KEY("probed"))
		return parse_count(v, n, &r->probed);
	if (KEY("cleared"))
		return (*seen |= K_CLEARED), parse_ull(v, n, &r->cleared);
	return true;
}

void ep_record_init(struct ep_record *rec, enum ep_type type)
{
	memset(rec, 0, sizeof(*rec));
	rec->type = type;
	rec->probed = -1;
	rec->slot = -1;
	rec->perturb = -1;
	rec->step = -1;
	rec->stride = -1;
	rec->op = EPHPORT_OP_BIND;
}

int ep_record_parse(const char *line, struct ep_record *rec)
{
	unsigned long seen = 0;
	const char *p = line;

	ep_record_init(rec, EP_BEGIN);
	while (*p && *p != '\n') {
		const char *word = p, *eq;
		size_t len;

		while (*p && *p != ' ' && *p != '\n')
			p++;
		len = p - word;
		while (*p == ' ')
			p++;
		if (!len)
			continue;
		eq = memchr(word, '=', len);
		if (!eq || eq == word)
			return -1;
		if (!parse_pair(word, eq - word, eq + 1, len - (eq - word) - 1,
				rec, &seen))
			return -1;
	}
	if ((seen & (K_SEQ | K_SEARCH | K_TYPE)) != (K_SEQ | K_SEARCH | K_TYPE))
		return -1;
	if (seen & K_NEW_TYPE)
		return 1;
	if ((seen & required[rec->type]) != required[rec->type])
		return -1;
	return 0;
}

/* IPv4 in the first 4 bytes, as the kernel's %pI4 writes it. */
static int format_ip4(char *buf, size_t size, const unsigned char *a)
{
	return snprintf(buf, size, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

/* Words of an IPv6 address, and how many of them are written in hex. */
#define IP6_WORDS 8
#define IP6_HEX_WORDS_V4 6

/*
 * As the kernel's %pI6c writes it (lib/vsprintf.c, ip6_compressed_string):
 * the longest run of two or more zero words, the first of equals, is
 * "::"; v4-mapped and ISATAP addresses end in dotted IPv4.  inet_ntop()
 * differs, for IPv4-compatible addresses among others.
 */
static void format_ip6(char *buf, size_t size, const unsigned char *a)
{
	bool v4 = (!memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) ||
		  (!(a[8] & ~0x02) && !a[9] && a[10] == 0x5e && a[11] == 0xfe);
	int words = v4 ? IP6_HEX_WORDS_V4 : IP6_WORDS, longest = 1, colonpos = -1;
	int i, j, len = 0;
	bool needcolon = false;

	for (i = 0; i < words; i++) {
		for (j = i; j < words && !a[2 * j] && !a[2 * j + 1]; j++)
			;
		if (j - i > longest) {
			longest = j - i;
			colonpos = i;
		}
	}
	buf[0] = '\0';
	for (i = 0; i < words && len < (int)size; i++) {
		if (i == colonpos) {
			len += snprintf(buf + len, size - len, "%s:",
					needcolon || !i ? ":" : "");
			needcolon = false;
			i += longest - 1;
			continue;
		}
		len += snprintf(buf + len, size - len, "%s%x", needcolon ? ":" : "",
				a[2 * i] << 8 | a[2 * i + 1]);
		needcolon = true;
	}
	if (v4 && len < (int)size)
		snprintf(buf + len, size - len, "%s%u.%u.%u.%u", needcolon ? ":" : "",
			 a[12], a[13], a[14], a[15]);
}

static void format_addr(char *buf, size_t size, enum ephport_family family,
			const unsigned char *a)
{
	if (family == EPHPORT_INET6)
		format_ip6(buf, size, a);
	else
		format_ip4(buf, size, a);
}

/* A vocabulary's enum from a byte: false when beyond its words. */
#define in_vocab(v, words) ((v) < sizeof(words) / sizeof(words[0]))

/*
 * @dst gets binary value @v of @words, or, a newer module's value, the
 * vocabulary's count and "NAMEv" in @other: it has no word here.
 */
#define value_or_newer(v, words, name, dst, other)				\
	(in_vocab(v, words) ? (void)(*(dst) = (v)) :				\
	 (void)((*(dst) = sizeof(words) / sizeof(words[0])),			\
		snprintf(other, sizeof(other), name "%u", (unsigned int)(v))))

/* The module writes a name as one word: anything else is not its record. */
static bool comm_is_word(const char *comm, size_t size)
{
	size_t i;

	for (i = 0; i < size && comm[i]; i++)
		if (!isgraph((unsigned char)comm[i]) || comm[i] == '=')
			return false;
	return i > 0;
}

static int decode_begin(const struct ephport_begin *b, struct ep_record *r)
{
	if (!in_vocab(b->family, ephport_family_words) ||
	    !comm_is_word(b->comm, sizeof(b->comm)))
		return -1;
	r->pid = b->pid;
	r->tid = b->tid;
	r->netns = b->netns;
	snprintf(r->comm, sizeof(r->comm), "%.*s", (int)sizeof(b->comm), b->comm);
	r->family = b->family;
	value_or_newer(b->proto, ephport_proto_words, "proto", &r->proto, r->proto_word);
	format_addr(r->addr, sizeof(r->addr), r->family, b->addr);
	r->reuse = b->reuse;
	r->reuseport = b->reuseport;
	r->range_low = b->range_low;
	r->range_high = b->range_high;
	r->sock_low = b->sock_low;
	r->sock_high = b->sock_high;
	value_or_newer(b->op, ephport_op_words, "op", &r->op, r->op_word);
	if (r->op != EPHPORT_OP_CONNECT)
		return 0;
	format_addr(r->daddr, sizeof(r->daddr), r->family, b->daddr);
	r->dport = b->dport;
	r->withheld = b->withheld;
	if (r->withheld)
		return 0;
	r->hash = b->hash;
	r->slot = b->slot;
	if (b->perturb_known)
		r->perturb = b->perturb;
	return 0;
}

static int decode_pass(const struct ephport_pass_rec *p, struct ep_record *r)
{
	r->pass = p->pass;
	value_or_newer(p->half, ephport_half_words, "half", &r->half, r->half_word);
	r->relax = p->relax;
	r->low = p->low;
	r->high = p->high;
	r->parity = p->start & 1 ? EPHPORT_ODD : EPHPORT_EVEN;
	r->offset = p->offset;
	r->start = p->start;
	r->examined = p->examined;
	if (p->has_step)
		r->step = p->step;
	r->slots = p->slots;
	if (p->stride)
		r->stride = p->stride;
	return 0;
}

static int decode_end(const struct ephport_end_rec *e, struct ep_record *r)
{
	r->port = e->port;
	r->err = e->err;
	r->passes = e->passes;
	r->examined = e->examined;
	r->ns = e->ns;
	r->ts = e->ts;
	r->incomplete = e->incomplete;
	if (e->probed_valid)
		r->probed = e->probed;
	return 0;
}

long ep_record_unpack(const void *buf, size_t len, struct ephport_record *w)
{
	if (len < EPHPORT_RECORD_HEADER)
		return 0;
	memset(w, 0, sizeof(*w));
	/* a copy: packed records sit at any offset of a reader's buffer */
	memcpy(w, buf, EPHPORT_RECORD_HEADER);
	/* a type this reader does not know needs only its header: it is skipped */
	if (w->version != EPHPORT_RECORD_VERSION ||
	    w->size < (w->type < EPHPORT_REC_COUNT ? ephport_record_min_bytes(w->type) :
			EPHPORT_RECORD_HEADER))
		return -1;
	if (len < w->size)
		return 0;
	/* a newer module's fields past ours are skipped */
	memcpy(w, buf, w->size < sizeof(*w) ? w->size : sizeof(*w));
	return w->size;
}

int ep_record_decode(const struct ephport_record *w, struct ep_record *rec)
{
	/* a type from a newer module: skipped, as its line would be */
	if (w->type >= EPHPORT_REC_COUNT)
		return 1;
	ep_record_init(rec, w->type);
	rec->seq = w->seq;
	rec->search = w->search;
	switch (rec->type) {
	case EP_BEGIN:
		return decode_begin(&w->begin, rec);
	case EP_PASS:
		return decode_pass(&w->pass, rec);
	case EP_CAND:
		rec->pass = w->cand.pass;
		rec->port = w->cand.port;
		value_or_newer(w->cand.verdict, ephport_verdict_words, "verdict", &rec->verdict,
			       rec->verdict_word);
		return 0;
	case EP_END:
		return decode_end(&w->end, rec);
	case EP_CLEAR:
		rec->cleared = w->clear.cleared;
		return 0;
	}
	return 1;
}

int ep_record_format(const struct ep_record *r, char *buf, int size)
{
	char sockrange[16];
	int len = snprintf(buf, size, "seq=%llu search=%llu type=%s ", r->seq,
			   r->search, ephport_record_type_words[r->type]);

	switch (r->type) {
	case EP_BEGIN:
		if (r->sock_low || r->sock_high)
			snprintf(sockrange, sizeof(sockrange), "%d-%d",
				 r->sock_low, r->sock_high);
		else
			snprintf(sockrange, sizeof(sockrange), "none");
		len += snprintf(buf + len, size - len,
				"pid=%d tid=%d comm=%s netns=%lu family=%s proto=%s addr=%s reuse=%d reuseport=%d range=%d-%d sockrange=%s op=%s",
				r->pid, r->tid, r->comm, r->netns,
				ephport_family_words[r->family], EP_NAME(r, proto, ephport_proto_words),
				r->addr, r->reuse, r->reuseport, r->range_low, r->range_high,
				sockrange, EP_NAME(r, op, ephport_op_words));
		if (r->op == EPHPORT_OP_CONNECT && r->withheld)
			len += snprintf(buf + len, size - len, " daddr=%s dport=%d secrets=withheld",
					r->daddr, r->dport);
		else if (r->op == EPHPORT_OP_CONNECT)
			len += snprintf(buf + len, size - len,
					" daddr=%s dport=%d hash=%llu slot=%lld",
					r->daddr, r->dport, r->hash, r->slot);
		if (r->withheld)
			;
		else if (r->perturb >= 0)
			len += snprintf(buf + len, size - len, " perturb=%lld", r->perturb);
		else if (r->op == EPHPORT_OP_CONNECT)
			len += snprintf(buf + len, size - len, " perturb=unknown");
		len += snprintf(buf + len, size - len, "\n");
		break;
	case EP_PASS:
		len += snprintf(buf + len, size - len,
				"pass=%d half=%s low=%d high=%d relax=%d parity=%s offset=%lld start=%lld examined=%lld",
				r->pass, EP_NAME(r, half, ephport_half_words), r->low, r->high, r->relax,
				ephport_parity_words[r->parity], r->offset, r->start, r->examined);
		if (r->step >= 0)
			len += snprintf(buf + len, size - len, " step=%lld", r->step);
		if (r->slots)
			len += snprintf(buf + len, size - len, " slots=%d", r->slots);
		if (r->stride >= 0)
			len += snprintf(buf + len, size - len, " stride=%lld", r->stride);
		len += snprintf(buf + len, size - len, "\n");
		break;
	case EP_CAND:
		len += snprintf(buf + len, size - len, "pass=%d port=%d verdict=%s\n",
				r->pass, r->port, EP_NAME(r, verdict, ephport_verdict_words));
		break;
	case EP_END:
		len += snprintf(buf + len, size - len,
				"port=%d err=%d passes=%d examined=%lld ns=%llu incomplete=%d",
				r->port, r->err, r->passes, r->examined, r->ns,
				r->incomplete);
		if (r->probed >= 0)
			len += snprintf(buf + len, size - len, " probed=%lld",
					r->probed);
		if (r->ts)
			len += snprintf(buf + len, size - len, " ts=%llu", r->ts);
		len += snprintf(buf + len, size - len, "\n");
		break;
	case EP_CLEAR:
		len += snprintf(buf + len, size - len, "cleared=%llu\n", r->cleared);
		break;
	}
	return len;
}
