// SPDX-License-Identifier: GPL-2.0
/* The capture header, written by record and recognised by --input. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../module/ephport_record.h"
#include "capture.h"
#include "cli.h"

#ifndef EPHPORT_VERSION
#define EPHPORT_VERSION "unknown"
#endif

bool ep_capture_write_header(int fd, long module_format)
{
	char header[EP_CAPTURE_HEADER] = { 0 };
	struct utsname u;
	size_t done = 0;

	if (uname(&u))
		memset(&u, 0, sizeof(u));
	snprintf(header, sizeof(header),
		 EP_CAPTURE_MAGIC "format %d\nrecord_version %d\nreader %s\nmodule_format %ld\n"
		 "kernel %.64s\nhost %.64s\n", EP_CAPTURE_FORMAT, EPHPORT_RECORD_VERSION,
		 EPHPORT_VERSION, module_format, u.release, u.nodename);
	while (done < sizeof(header)) {
		ssize_t n = write(fd, header + done, sizeof(header) - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += n;
	}
	return true;
}

/* A header's "KEY N", or -1. */
static long header_value(const char *header, const char *key)
{
	char pattern[64];
	const char *at;
	long value;

	snprintf(pattern, sizeof(pattern), "\n%s ", key);
	at = strstr(header, pattern);
	return at && sscanf(at + strlen(pattern), "%ld", &value) == 1 ? value : -1;
}

int ep_capture_open(const char *path, bool *binary)
{
	char head[EP_CAPTURE_HEADER + 1] = { 0 };
	struct ephport_record rec = { 0 };
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		ep_error("%s: %s", path, strerror(errno));
		return -1;
	}
	n = pread(fd, head, EP_CAPTURE_HEADER, 0);
	if (n < 0) {
		ep_error("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	*binary = true;
	if (n >= (ssize_t)strlen(EP_CAPTURE_MAGIC) && !memcmp(head, EP_CAPTURE_MAGIC,
							   strlen(EP_CAPTURE_MAGIC))) {
		long format = header_value(head, "format");
		long version = header_value(head, "record_version");

		if (n < EP_CAPTURE_HEADER) {
			ep_error("%s: cut short in its header (%zd of %d bytes)", path, n,
				 EP_CAPTURE_HEADER);
		} else if (format != EP_CAPTURE_FORMAT || version != EPHPORT_RECORD_VERSION) {
			ep_error("%s: a capture of format %ld with records of version %ld; this reader reads format %d, version %d",
				 path, format, version, EP_CAPTURE_FORMAT, EPHPORT_RECORD_VERSION);
		} else if (lseek(fd, EP_CAPTURE_HEADER, SEEK_SET) == EP_CAPTURE_HEADER) {
			return fd;
		}
		close(fd);
		return -1;
	}
	/* a text trace: the module's lines, as show --raw or events give them */
	if (!strncmp(head, "seq=", 4)) {
		*binary = false;
		return fd;
	}
	/* an older reader's capture: records from the first byte */
	memcpy(&rec, head, n < (ssize_t)sizeof(rec) ? (size_t)n : sizeof(rec));
	if (!n || (n >= EPHPORT_RECORD_HEADER && rec.version == EPHPORT_RECORD_VERSION &&
		   rec.size >= EPHPORT_RECORD_HEADER))
		return fd;
	ep_error("%s: not an ephport capture: no capture header, no record lines, no records of version %d",
		 path, EPHPORT_RECORD_VERSION);
	close(fd);
	return -1;
}
