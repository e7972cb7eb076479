// SPDX-License-Identifier: GPL-2.0
/* Opening the module's files, and the sentence and exit code when one fails. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "capture.h"
#include "cli.h"
#include "record.h"
#include "source.h"

#define DEBUGFS_ROOT "/sys/kernel/debug"
#define DEBUGFS_MAGIC 0x64626720
#define LOCKDOWN_FILE "/sys/kernel/security/lockdown"


static bool debugfs_mounted(void)
{
	struct statfs st;

	return !statfs(DEBUGFS_ROOT, &st) && st.f_type == DEBUGFS_MAGIC;
}

/* debugfs=off or debugfs=no-mount on the kernel command line: which. */
static bool debugfs_off(char *word, size_t size)
{
	char buf[4096], *opt = NULL, *cursor = buf, *tok;
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f))
		while ((tok = strsep(&cursor, " \n")))
			if (!strcmp(tok, "debugfs=off") || !strcmp(tok, "debugfs=no-mount"))
				opt = tok;
	fclose(f);
	if (opt)
		snprintf(word, size, "%s", opt);
	return opt != NULL;
}

/* "none [integrity] confidentiality": the bracketed word is in force. */
static bool locked_down(char *mode, size_t size)
{
	char buf[128], *open_b, *close_b;
	FILE *f = fopen(LOCKDOWN_FILE, "r");
	bool locked = false;

	if (!f)
		return false;
	if (fgets(buf, sizeof(buf), f)) {
		open_b = strchr(buf, '[');
		close_b = open_b ? strchr(open_b, ']') : NULL;
		if (close_b) {
			*close_b = '\0';
			snprintf(mode, size, "%s", open_b + 1);
			locked = strcmp(open_b + 1, "none") != 0;
		}
	}
	fclose(f);
	return locked;
}

static int explain_errno(const char *path, int err)
{
	bool default_dir = !strcmp(ep_dir, EP_DEFAULT_DIR);
	char mode[32];

	if (err == ENOENT && default_dir && !debugfs_mounted() && debugfs_off(mode, sizeof(mode))) {
		ep_error("debugfs is switched off on the kernel command line (%s, see /proc/cmdline): the module cannot publish its trace; boot without it.",
			mode);
		return EP_EXIT_NO_DEBUGFS;
	}
	if (err == ENOENT && default_dir && !debugfs_mounted()) {
		ep_error("debugfs is not mounted on %s: mount it with 'mount -t debugfs none %s'.",
			DEBUGFS_ROOT, DEBUGFS_ROOT);
		return EP_EXIT_NO_DEBUGFS;
	}
	if (err == ENOENT && default_dir) {
		ep_error("the ephport module is not loaded: load it with 'modprobe ephport' (or insmod ephport.ko).");
		return EP_EXIT_NO_MODULE;
	}
	if ((err == EPERM || err == EACCES) && geteuid() == 0 &&
	    locked_down(mode, sizeof(mode))) {
		ep_error("kernel lockdown (%s) closes %s: only read-only debugfs files open under lockdown; set the detail with the module parameter (options ephport detail=...) instead.",
			mode, path);
		return EP_EXIT_LOCKDOWN;
	}
	if (err == EPERM || err == EACCES) {
		ep_error("permission denied on %s: debugfs is for root, run ephport with sudo.",
			path);
		return EP_EXIT_PERMISSION;
	}
	ep_error("%s: %s", path, strerror(err));
	return err == ENOENT ? EP_EXIT_NO_MODULE : EP_EXIT_FAIL;
}

int ep_open(const char *name, int flags, int *code)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", ep_dir, name);
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		*code = explain_errno(path, errno);
	return fd;
}

long ep_stats_value(const char *key)
{
	char path[4096], line[128], name[64];
	long value = -1, v;
	FILE *f;

	snprintf(path, sizeof(path), "%s/stats", ep_dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", name, &v) == 2 && !strcmp(name, key))
			value = v;
	if (f)
		fclose(f);
	return value;
}

/*
 * The module's binary records are ones this reader decodes: checked before
 * records_pipe is read, since what it gives is gone for other readers.
 * Unknown (no stats, as in a copy of the files) counts as decodable: each
 * record says its version again.
 */
static bool records_decodable(void)
{
	long version = ep_stats_value("record_version"), bytes = ep_stats_value("record_bytes");

	return (version < 0 || version == EPHPORT_RECORD_VERSION) &&
	       (bytes < 0 || bytes >= (long)sizeof(struct ephport_record));
}

/*
 * connect()'s walks need table_perturb's address, which only kallsyms
 * tells: set it when the module has none and this reader may (root; the
 * module checks it against kallsyms itself).  Quietly: without it the
 * searches still trace, with perturb=unknown.
 */
static void perturb_table_ensure(void)
{
	char path[4096], line[256], addr[32], type[8], name[128], words[64];
	bool unset = false;
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/control", ep_dir);
	f = fopen(path, "r");
	if (f && fgets(line, sizeof(line), f))
		unset = strstr(line, "perturb_table=unset");
	if (f)
		fclose(f);
	if (!unset || access(path, W_OK) || !(f = fopen("/proc/kallsyms", "r")))
		return;
	words[0] = '\0';
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %7s %127s", addr, type, name) == 3 &&
		    !strcmp(name, "table_perturb") && strspn(addr, "0") != strlen(addr)) {
			snprintf(words, sizeof(words), "perturb_table=0x%s", addr);
			break;
		}
	fclose(f);
	fd = words[0] ? open(path, O_WRONLY | O_CLOEXEC) : -1;
	if (fd >= 0 && write(fd, words, strlen(words)) < 0)
		ep_error("control rejected '%s' from /proc/kallsyms: %s", words, strerror(errno));
	if (fd >= 0)
		close(fd);
}

int ep_open_records(struct ep_source *src, bool follow, bool text_only, int *code)
{
	char path[4096];

	/* a capture by ephport record, an older one, or a text trace */
	if (ep_cli.input) {
		src->fd = ep_capture_open(ep_cli.input, &src->binary);
		if (src->fd < 0)
			*code = EP_EXIT_FAIL;
		return src->fd;
	}
	perturb_table_ensure();
	/* a module whose records this reader cannot decode: its text */
	src->binary = !text_only && !ep_cli.text && records_decodable();
	if (src->binary) {
		snprintf(path, sizeof(path), "%s/%s", ep_dir, follow ? "records_pipe" : "records");
		src->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (src->fd >= 0)
			return src->fd;
		if (errno != ENOENT) {
			*code = explain_errno(path, errno);
			return -1;
		}
		/* a folder of text alone (an older module, a copy): its text */
		src->binary = false;
	}
	src->fd = ep_open(follow ? "events_pipe" : "events", O_RDONLY, code);
	return src->fd;
}

char *ep_read_all(const char *name, int *code)
{
	size_t len = 0, cap = 4096;
	ssize_t n = 0;
	char *buf;
	int fd = ep_open(name, O_RDONLY, code);

	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	while (buf && (n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (len + 1 == cap) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	close(fd);
	if (!buf || n < 0) {
		ep_error("reading %s/%s: %s", ep_dir, name,
			buf ? strerror(errno) : "out of memory");
		free(buf);
		*code = EP_EXIT_FAIL;
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

bool ep_detail_get(char *detail, size_t size, int *code)
{
	char *text = ep_read_all("control", code), *p, *end;

	if (!text)
		return false;
	/* "detail=passes pid=0 netns=0 ..." -> "passes" */
	p = strstr(text, "detail=");
	if (p) {
		p += strlen("detail=");
		end = p + strcspn(p, " \n");
		*end = '\0';
		snprintf(detail, size, "%s", p);
	}
	free(text);
	if (!p)
		*code = EP_EXIT_FAIL;
	return p != NULL;
}

int ep_detail_set(const char *detail)
{
	char words[64];

	snprintf(words, sizeof(words), "detail=%s", detail);
	return ep_control(words);
}

int ep_control(const char *words)
{
	int code = EP_EXIT_OK, fd = ep_open("control", O_WRONLY, &code);

	if (fd < 0)
		return code;
	if (write(fd, words, strlen(words)) < 0) {
		ep_error("control rejected '%s': %s", words,
			strerror(errno));
		code = EP_EXIT_FAIL;
	}
	close(fd);
	return code;
}
