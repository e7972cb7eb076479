// SPDX-License-Identifier: GPL-2.0
/*
 * The debugfs directory (debugfs.h): it creates every file, and holds
 * stats, probes, counters and control (what each shows and accepts); the
 * trace's read files are readers.c's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "perturb.h"
#include "counters.h"
#include "debugfs.h"
#include "probes.h"
#include "readers.h"
#include "record.h"
#include "ring.h"
#include "search.h"

/* Longest write `control` takes: a few key=value words. */
#define CONTROL_MAX 128
/* Only root reads the trace: it names processes and their sockets. */
#define ROOT_READ 0400
#define ROOT_READ_WRITE 0600

static struct dentry *ephport_dir;

static int stats_show(struct seq_file *m, void *v)
{
	struct ephport_search_stats search;
	struct ephport_ring_stats ring;

	ephport_search_flush();
	ephport_search_get_stats(&search);
	ephport_ring_get_stats(&ring);
	seq_printf(m, "format_version %d\n", EPHPORT_FORMAT_VERSION);
	seq_printf(m, "searches %llu\n", search.searches);
	seq_printf(m, "passes %llu\n", search.passes);
	seq_printf(m, "candidates %llu\n", search.candidates);
	seq_printf(m, "found %llu\n", search.found);
	seq_printf(m, "failed %llu\n", search.failed);
	seq_printf(m, "untracked %llu\n", search.untracked);
	seq_printf(m, "incomplete %llu\n", search.incomplete);
	seq_printf(m, "model_mismatch %llu\n", search.model_mismatch);
	seq_printf(m, "records_written %llu\n", ring.written);
	seq_printf(m, "records_dropped %llu\n", ring.dropped);
	seq_printf(m, "records_buffered %llu\n", ring.buffered);
	seq_printf(m, "ring_size %u\n", ring.size);
	seq_printf(m, "ring_bytes %zu\n", ring.size * sizeof(struct ephport_record));
	ephport_probes_show_stats(m);
	seq_printf(m, "records_discarded %llu\n", ring.discarded);
	seq_printf(m, "records_cleared %llu\n", ring.cleared);
	seq_printf(m, "capped %llu\n", search.capped);
	seq_printf(m, "record_version %d\n", EPHPORT_RECORD_VERSION);
	seq_printf(m, "record_bytes %zu\n", sizeof(struct ephport_record));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

static int probes_show(struct seq_file *m, void *v)
{
	ephport_probes_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(probes);

static int counters_show(struct seq_file *m, void *v)
{
	ephport_search_flush();
	ephport_counters_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(counters);

static int control_show(struct seq_file *m, void *v)
{
	struct ephport_config config;

	ephport_config_get(&config);
	seq_printf(m, "detail=%s pid=%d netns=%u perturb_table=%s\n",
		   ephport_detail_names[config.detail], config.pid,
		   config.netns, ephport_perturb_table_known() ? "set" : "unset");
	return 0;
}

static int control_open(struct inode *inode, struct file *file)
{
	return single_open(file, control_show, NULL);
}

/* What a write does besides the config, once all its words are good. */
struct control_actions {
	bool clear;
	bool set_table;
	unsigned long table;
};

static int parse_word(char *word, struct ephport_config *config,
		      struct control_actions *act)
{
	char *value;
	int detail;

	if (!strcmp(word, "clear")) {
		act->clear = true;
		return 0;
	}
	value = strchr(word, '=');
	if (!value)
		return -EINVAL;
	*value++ = '\0';
	if (!strcmp(word, "detail")) {
		detail = match_string(ephport_detail_names, EPHPORT_DETAIL_COUNT,
				      value);
		if (detail < 0)
			return -EINVAL;
		config->detail = detail;
		return 0;
	}
	/* kstrto*() say -ERANGE for overflow: control says -EINVAL for all */
	if (!strcmp(word, "pid"))
		return kstrtoint(value, 10, &config->pid) || config->pid < 0 ?
		       -EINVAL : 0;
	if (!strcmp(word, "netns"))
		return kstrtou32(value, 10, &config->netns) ? -EINVAL : 0;
	/* an address as /proc/kallsyms prints it, checked when applied */
	if (!strcmp(word, "perturb_table")) {
		act->set_table = true;
		return kstrtoul(value, 16, &act->table) ? -EINVAL : 0;
	}
	return -EINVAL;
}

/* One writer at a time: each write reads, changes and stores the whole config. */
static DEFINE_MUTEX(control_mutex);

/* All words are checked before any takes effect. */
static ssize_t control_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct control_actions act = { .clear = false };
	struct ephport_config config;
	char buf[CONTROL_MAX];
	char *cursor = buf, *word;
	int err;

	if (!count || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	/* a NUL would hide the words after it */
	if (memchr(buf, '\0', count))
		return -EINVAL;
	buf[count] = '\0';

	mutex_lock(&control_mutex);
	ephport_config_get(&config);
	err = -EINVAL;
	while ((word = strsep(&cursor, " \t\n"))) {
		if (!*word)
			continue;
		err = parse_word(word, &config, &act);
		if (err)
			break;
	}
	/*
	 * What can still be refused goes first: all or nothing (a pool
	 * allocated for a write refused later stays, unused, till unload).
	 */
	if (!err && config.detail == EPHPORT_DETAIL_CANDIDATES)
		err = ephport_search_want_candidates();
	if (!err && act.set_table)
		err = ephport_perturb_set_table(act.table);
	/* still -EINVAL when there was no word */
	if (!err) {
		ephport_config_set(&config);
		if (act.clear) {
			ephport_search_flush();
			ephport_ring_clear();
		}
	}
	mutex_unlock(&control_mutex);
	return err ?: count;
}

static const struct file_operations control_fops = {
	.owner = THIS_MODULE,
	.open = control_open,
	.read = seq_read,
	.write = control_write,
	.llseek = seq_lseek,
	.release = single_release,
};

int ephport_debugfs_init(void)
{
	ephport_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	if (IS_ERR(ephport_dir)) {
		pr_err("debugfs is unavailable (%pe), so the trace has nowhere to go: is debugfs=off on the kernel command line?\n",
		       ephport_dir);
		return PTR_ERR(ephport_dir);
	}
	debugfs_create_file("events", ROOT_READ, ephport_dir, NULL, &ephport_events_fops);
	debugfs_create_file("events_pipe", ROOT_READ, ephport_dir,
			    (void *)EPHPORT_PIPE_TEXT, &ephport_pipe_fops);
	debugfs_create_file("records", ROOT_READ, ephport_dir, NULL, &ephport_records_fops);
	debugfs_create_file("records_pipe", ROOT_READ, ephport_dir,
			    (void *)EPHPORT_PIPE_BINARY, &ephport_pipe_fops);
	debugfs_create_file("stats", ROOT_READ, ephport_dir, NULL, &stats_fops);
	debugfs_create_file("probes", ROOT_READ, ephport_dir, NULL, &probes_fops);
	debugfs_create_file("counters", ROOT_READ, ephport_dir, NULL, &counters_fops);
	debugfs_create_file("control", ROOT_READ_WRITE, ephport_dir, NULL,
			    &control_fops);
	return 0;
}

void ephport_debugfs_exit(void)
{
	debugfs_remove_recursive(ephport_dir);
}
