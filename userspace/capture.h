/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Captures: the file ephport record writes, a header then the module's
 * binary records unchanged; and what --input reads: a capture, one of an
 * older reader without a header, or a text trace (show --raw's lines).
 */
#ifndef EPHPORT_CAPTURE_H
#define EPHPORT_CAPTURE_H

#include <stdbool.h>

/*
 * The header: this magic line, then "key value" lines (format, record
 * version, the reader's and the module's versions, kernel release, host),
 * NUL-padded to EP_CAPTURE_HEADER bytes: `head -c 512 FILE` shows it.
 */
#define EP_CAPTURE_MAGIC "ephport-capture\n"
#define EP_CAPTURE_HEADER 512
#define EP_CAPTURE_FORMAT 1

/* Writes the header to @fd (@module_format: -1 unknown); false, errno set, if it failed. */
bool ep_capture_write_header(int fd, long module_format);

/*
 * Opens --input's @path and says what it holds: *@binary records (after the
 * header, if any) or text lines; -1 after saying why (not a capture, of
 * another version).
 */
int ep_capture_open(const char *path, bool *binary);

#endif /* EPHPORT_CAPTURE_H */
