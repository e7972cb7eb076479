// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int write_bytes(const char *path, const char *bytes, size_t n)
{
	int fd = open(path, O_WRONLY);
	ssize_t done;
	int err;

	if (fd < 0)
		return errno;
	done = write(fd, bytes, n);
	err = done < 0 ? errno : (size_t)done == n ? 0 : EIO;
	close(fd);
	return err;
}

int write_file(const char *path, const char *text)
{
	return write_bytes(path, text, strlen(text));
}

void set_other_cpus_online(bool online)
{
	long cpu, cpus = sysconf(_SC_NPROCESSORS_CONF);
	char path[64];

	for (cpu = 1; cpu < cpus; cpu++) {
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%ld/online", cpu);
		write_file(path, online ? "1" : "0");
	}
}

bool read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return true;
}

long read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n = 0;

	while (len < size && (n = read(fd, buf + len, size - len)) > 0)
		len += (size_t)n;
	return n < 0 && !len ? -1 : (long)len;
}

double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

long long module_stat(const char *key)
{
	char line[256];
	size_t len = strlen(key);
	long long value = -1;
	FILE *f = fopen(EP_STATS, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ' ')
			value = atoll(line + len + 1);
	fclose(f);
	return value;
}

/*
 * Tells the module where table_perturb is, from /proc/kallsyms, unless it
 * knows (found at load in __inet_hash_connect()'s code), as the reader
 * does: 0 or errno.
 */
int perturb_table_from_kallsyms(void)
{
	char line[256], addr[32], type[8], name[128], words[64];
	FILE *f;
	int err = ENOENT;

	if (read_file("/sys/kernel/debug/ephport/control", line, sizeof(line)) &&
	    strstr(line, "perturb_table=set"))
		return 0;
	f = fopen("/proc/kallsyms", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %7s %127s", addr, type, name) == 3 &&
		    !strcmp(name, "table_perturb")) {
			snprintf(words, sizeof(words), "perturb_table=%s", addr);
			err = write_file("/sys/kernel/debug/ephport/control", words);
			break;
		}
	if (f)
		fclose(f);
	return err;
}
