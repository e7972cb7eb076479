// SPDX-License-Identifier: GPL-2.0
/*
 * The trace's four read files (readers.h): events and records, a snapshot
 * of what the ring buffers, as text and as binary records; events_pipe and
 * records_pipe, which consume it.  They only read the ring (ring.h) and
 * format its records (record.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "readers.h"
#include "record.h"
#include "ring.h"
#include "search.h"

/*
 * Records copied out of the ring per lock round trip by a reader: enough
 * to make the lock's cost small next to formatting, few enough to keep the
 * copy short with interrupts off.
 */
#define READ_BATCH 16

/* events: a snapshot of what is buffered, up to what existed at open. */
struct events_iter {
	u64 end;
	unsigned int n, i;	/* records fetched, and the one shown next */
	struct ephport_record rec[READ_BATCH];
};

/* The record at iter->i, refetching from @pos when all are shown. */
static void *events_fetch(struct events_iter *iter, loff_t *pos)
{
	const struct ephport_record *rec;

	if (iter->i >= iter->n) {
		u64 cursor = *pos;

		iter->i = 0;
		iter->n = ephport_ring_peek(&cursor, iter->rec, READ_BATCH);
		if (!iter->n)
			return NULL;
	}
	rec = &iter->rec[iter->i];
	if (rec->seq >= iter->end)
		return NULL;
	*pos = rec->seq;
	return (void *)rec;
}

static void *events_start(struct seq_file *m, loff_t *pos)
{
	struct events_iter *iter = m->private;

	/* seq_file may restart anywhere: fetch afresh */
	iter->n = 0;
	return events_fetch(iter, pos);
}

static void *events_next(struct seq_file *m, void *v, loff_t *pos)
{
	const struct ephport_record *rec = v;
	struct events_iter *iter = m->private;

	*pos = rec->seq + 1;
	iter->i++;
	return events_fetch(iter, pos);
}

static void events_stop(struct seq_file *m, void *v)
{
}

static int events_show(struct seq_file *m, void *v)
{
	char line[EPHPORT_LINE_MAX];
	int len = ephport_record_format(v, line, sizeof(line));

	seq_write(m, line, len);
	return 0;
}

static const struct seq_operations events_seq_ops = {
	.start = events_start,
	.next = events_next,
	.stop = events_stop,
	.show = events_show,
};

static int events_open(struct inode *inode, struct file *file)
{
	struct ephport_ring_stats stats;
	struct events_iter *iter;

	iter = __seq_open_private(file, &events_seq_ops, sizeof(*iter));
	if (!iter)
		return -ENOMEM;
	ephport_search_flush();
	ephport_ring_get_stats(&stats);
	iter->end = stats.written + 1;
	return 0;
}

const struct file_operations ephport_events_fops = {
	.owner = THIS_MODULE,
	.open = events_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = seq_release_private,
};

/* Binary records given out packed, each its own size (ephport_record.h). */
#define PACKED_SIZE (READ_BATCH * sizeof(struct ephport_record))

/*
 * Packs @n records into @buf; returns the bytes.  Each is copied whole, a
 * size known when compiling (a few moves, where a size known only when
 * running is a loop over bytes), and the next overwrites what is past its
 * own size: @buf holds @n of the largest.
 */
static size_t pack_records(char *buf, struct ephport_record *recs, unsigned int n)
{
	size_t len = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		ephport_record_withhold(&recs[i]);
		memcpy(buf + len, &recs[i], sizeof(recs[i]));
		len += recs[i].size;
	}
	return len;
}

/* Of the @n bytes of packed records at @buf, those of whole records; *@count of them. */
static size_t whole_records(const char *buf, size_t n, unsigned int *count)
{
	size_t off = 0;
	u16 size;

	*count = 0;
	while (n - off >= EPHPORT_RECORD_HEADER) {
		memcpy(&size, buf + off + offsetof(struct ephport_record, size), sizeof(size));
		/* sizes are ring_put()'s: a header at least, the largest at most */
		if (size < EPHPORT_RECORD_HEADER || size > n - off)
			break;
		off += size;
		++*count;
	}
	return off;
}

/*
 * records: the binary form of events.  A read gives whole records, packed,
 * from the oldest buffered on, up to what existed at open.
 */
struct records_iter {
	struct mutex lock;	/* readers sharing one open file */
	u64 cursor, end;	/* the next seq to give, and the first not to */
	struct ephport_record rec[READ_BATCH];
	char packed[PACKED_SIZE];
};

static int records_open(struct inode *inode, struct file *file)
{
	struct records_iter *it = kzalloc(sizeof(*it), GFP_KERNEL);
	struct ephport_ring_stats stats;

	if (!it)
		return -ENOMEM;
	mutex_init(&it->lock);
	ephport_search_flush();
	ephport_ring_get_stats(&stats);
	it->end = stats.written + 1;
	file->private_data = it;
	/* no f_pos: the cursor is the file's own */
	return stream_open(inode, file);
}

static int records_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static ssize_t records_read(struct file *file, char __user *ubuf, size_t count,
			    loff_t *ppos)
{
	struct records_iter *it = file->private_data;
	size_t copied = 0, room, len, left, done;
	unsigned int n;
	u64 cursor;
	int err = 0;

	if (!count)
		return 0;
	if (count < sizeof(struct ephport_record))
		return -EINVAL;
	if (mutex_lock_interruptible(&it->lock))
		return -ERESTARTSYS;
	/* as many records as surely fit: every one is at most the largest */
	while ((room = (count - copied) / sizeof(struct ephport_record))) {
		if (copied && fatal_signal_pending(current))
			break;
		cursor = it->cursor;
		n = ephport_ring_peek(&cursor, it->rec, min_t(size_t, room, READ_BATCH));
		/* seqs are consecutive: the newer ones are at the end */
		while (n && it->rec[n - 1].seq >= it->end)
			n--;
		if (!n)
			break;
		len = pack_records(it->packed, it->rec, n);
		left = copy_to_user(ubuf + copied, it->packed, len);
		/* a fault keeps the whole records copied before it */
		done = whole_records(it->packed, len - left, &n);
		if (n) {
			it->cursor = it->rec[n - 1].seq + 1;
			copied += done;
		}
		if (left) {
			err = -EFAULT;
			break;
		}
		cond_resched();
	}
	mutex_unlock(&it->lock);
	return copied ?: err;
}

const struct file_operations ephport_records_fops = {
	.owner = THIS_MODULE,
	.open = records_open,
	.read = records_read,
	.release = records_release,
	.llseek = ephport_no_llseek,
};

/*
 * events_pipe and records_pipe: a consuming read, blocking for a record
 * unless O_NONBLOCK.  Records taken from the ring become this open file's
 * pending bytes: the reads of one file see one stream whatever their
 * sizes, a record is never split between files, and a fault leaves the
 * rest for the next read.  Each take is as many records as the room left
 * surely holds, and at least one: pending bytes outlive a read only when
 * its room ran short of a record, or after a fault.  events_pipe gives
 * text, any number of bytes at a time; records_pipe whole binary records.
 */
#define PIPE_TEXT_SIZE (READ_BATCH * EPHPORT_LINE_MAX)

struct pipe_reader {
	struct mutex lock;	/* readers sharing one open file */
	bool binary;		/* records_pipe */
	size_t len, off;	/* the pending bytes, and how many were read */
	struct ephport_record rec[READ_BATCH];
	char pending[];		/* lines (PIPE_TEXT_SIZE) or packed records */
};

/* What a read of @r needs room for: the largest record, or a byte of a line. */
static size_t pipe_unit(const struct pipe_reader *r)
{
	return r->binary ? sizeof(struct ephport_record) : 1;
}

/* Of @n pending bytes from off, those a read may give: whole records, or any. */
static size_t pipe_whole(const struct pipe_reader *r, size_t n)
{
	unsigned int count;

	return r->binary ? whole_records(r->pending + r->off, n, &count) : n;
}

/* debugfs.c gives each pipe its form as the file's data. */
static int pipe_open(struct inode *inode, struct file *file)
{
	bool binary = (uintptr_t)inode->i_private == EPHPORT_PIPE_BINARY;
	struct pipe_reader *r = kvzalloc(struct_size(r, pending,
						     binary ? PACKED_SIZE : PIPE_TEXT_SIZE),
					 GFP_KERNEL);

	if (!r)
		return -ENOMEM;
	mutex_init(&r->lock);
	r->binary = binary;
	file->private_data = r;
	/* no f_pos lock: a reader sharing the file must not wait behind one blocked */
	return stream_open(inode, file);
}

static int pipe_release(struct inode *inode, struct file *file)
{
	struct pipe_reader *r = file->private_data;
	unsigned int unread = 0;
	size_t i;

	/* records taken from the ring and closed before they were read in full */
	if (r->binary)
		whole_records(r->pending + r->off, r->len - r->off, &unread);
	else
		for (i = r->off; i < r->len; i++)
			unread += r->pending[i] == '\n';
	if (unread)
		ephport_ring_count_discarded(unread);
	kvfree(r);
	return 0;
}

/* Takes the oldest records that fit in @room into @r; false when none. */
static bool pipe_take(struct pipe_reader *r, size_t room)
{
	size_t size = r->binary ? sizeof(struct ephport_record) : EPHPORT_LINE_MAX;
	unsigned int i, n;
	size_t len = 0;

	n = ephport_ring_take(r->rec, clamp_t(size_t, room / size, 1, READ_BATCH));
	if (r->binary)
		len = pack_records(r->pending, r->rec, n);
	else
		for (i = 0; i < n; i++)
			len += ephport_record_format(&r->rec[i], r->pending + len,
						     PIPE_TEXT_SIZE - len);
	WRITE_ONCE(r->len, len);
	WRITE_ONCE(r->off, 0);
	return n;
}

static ssize_t pipe_read(struct file *file, char __user *ubuf, size_t count,
			 loff_t *ppos)
{
	struct pipe_reader *r = file->private_data;
	size_t copied = 0, n, left, unit = pipe_unit(r);
	int err = 0;

	if (!count)
		return 0;
	if (count < unit)
		return -EINVAL;
	if (mutex_lock_interruptible(&r->lock))
		return -ERESTARTSYS;
	while (count - copied >= unit) {
		if (r->off < r->len) {
			n = pipe_whole(r, min(count - copied, r->len - r->off));
			if (!n)
				break;
			left = copy_to_user(ubuf + copied, r->pending + r->off, n);
			/* a fault keeps what was copied before it: whole records, or bytes */
			n = pipe_whole(r, n - left);
			WRITE_ONCE(r->off, r->off + n);
			copied += n;
			if (left) {
				err = -EFAULT;
				break;
			}
			continue;
		}
		cond_resched();
		if (copied && fatal_signal_pending(current))
			break;
		if (pipe_take(r, count - copied))
			continue;
		if (copied)
			break;
		if (file->f_flags & O_NONBLOCK) {
			err = -EAGAIN;
			break;
		}
		/* wait without the file's lock: other readers of it go on */
		mutex_unlock(&r->lock);
		/* another reader of this file may leave it bytes after a fault */
		err = wait_event_interruptible(ephport_ring_wait,
					       READ_ONCE(r->off) < READ_ONCE(r->len) ||
					       !ephport_ring_empty());
		if (err)
			return err;
		if (mutex_lock_interruptible(&r->lock))
			return -ERESTARTSYS;
	}
	/* what is left is readable: pollers of this file may sleep on it */
	if (r->off < r->len)
		wake_up_interruptible(&ephport_ring_wait);
	mutex_unlock(&r->lock);
	return copied ? copied : err;
}

static __poll_t pipe_poll(struct file *file, struct poll_table_struct *wait)
{
	struct pipe_reader *r = file->private_data;

	poll_wait(file, &ephport_ring_wait, wait);
	return READ_ONCE(r->off) < READ_ONCE(r->len) || !ephport_ring_empty() ?
	       EPOLLIN | EPOLLRDNORM : 0;
}

const struct file_operations ephport_pipe_fops = {
	.owner = THIS_MODULE,
	.open = pipe_open,
	.read = pipe_read,
	.poll = pipe_poll,
	.release = pipe_release,
	.llseek = ephport_no_llseek,
};
