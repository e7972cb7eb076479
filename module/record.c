// SPDX-License-Identifier: GPL-2.0
/* Text form of a record: space-separated key=value, one line each. */

#include <linux/in.h>
#include <linux/kernel.h>
#include <linux/socket.h>

#include "ephport_model.h"
#include "record.h"

static const char *const half_names[] = {
	[EPHPORT_HALF_WHOLE] = "whole",
	[EPHPORT_HALF_LOWER] = "lower",
	[EPHPORT_HALF_UPPER] = "upper",
};

static const char *const verdict_names[] = {
	[EPHPORT_FREE] = "free",
	[EPHPORT_INUSE] = "inuse",
	[EPHPORT_RESERVED] = "reserved",
};

static int format_begin(const struct ephport_begin *b, char *buf, size_t size)
{
	int len;

	len = scnprintf(buf, size,
			"type=begin pid=%d tid=%d comm=%.*s netns=%u family=%s proto=%s ",
			b->pid, b->tid, TASK_COMM_LEN, b->comm, b->netns,
			b->family == AF_INET6 ? "inet6" : "inet",
			b->proto == IPPROTO_DCCP ? "dccp" : "tcp");
	if (b->family == AF_INET6)
		len += scnprintf(buf + len, size - len, "addr=%pI6c ", b->addr);
	else
		len += scnprintf(buf + len, size - len, "addr=%pI4 ", b->addr);
	len += scnprintf(buf + len, size - len,
			 "reuse=%u reuseport=%u range=%u-%u ",
			 b->reuse, b->reuseport, b->range_low, b->range_high);
	if (b->sock_low || b->sock_high)
		len += scnprintf(buf + len, size - len, "sockrange=%u-%u\n",
				 b->sock_low, b->sock_high);
	else
		len += scnprintf(buf + len, size - len, "sockrange=none\n");
	return len;
}

static int format_pass(const struct ephport_pass_rec *p, char *buf, size_t size)
{
	return scnprintf(buf, size,
			 "type=pass pass=%u half=%s low=%d high=%d relax=%u parity=%s offset=%u start=%d examined=%u\n",
			 p->pass, half_names[p->half], p->low, p->high, p->relax,
			 p->start & 1 ? "odd" : "even", p->offset, p->start,
			 p->examined);
}

static int format_end(const struct ephport_end_rec *e, char *buf, size_t size)
{
	int len;

	len = scnprintf(buf, size,
			"type=end port=%u err=%d passes=%u examined=%u ns=%llu incomplete=%u",
			e->port, e->err, e->passes, e->examined, e->ns,
			e->incomplete);
	if (e->probed_valid)
		len += scnprintf(buf + len, size - len, " probed=%u", e->probed);
	return len + scnprintf(buf + len, size - len, "\n");
}

int ephport_record_format(const struct ephport_record *rec, char *buf, size_t size)
{
	int len = scnprintf(buf, size, "seq=%llu search=%llu ", rec->seq,
			    rec->search);

	switch (rec->type) {
	case EPHPORT_REC_BEGIN:
		return len + format_begin(&rec->begin, buf + len, size - len);
	case EPHPORT_REC_PASS:
		return len + format_pass(&rec->pass, buf + len, size - len);
	case EPHPORT_REC_CAND:
		return len + scnprintf(buf + len, size - len,
				       "type=cand pass=%u port=%u verdict=%s\n",
				       rec->cand.pass, rec->cand.port,
				       verdict_names[rec->cand.verdict]);
	case EPHPORT_REC_CLEAR:
		return len + scnprintf(buf + len, size - len,
				       "type=clear cleared=%llu\n",
				       rec->clear.cleared);
	default:
		return len + format_end(&rec->end, buf + len, size - len);
	}
}
