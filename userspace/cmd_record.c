// SPDX-License-Identifier: GPL-2.0
/*
 * record: the module's binary records, consumed from records_pipe and
 * written as they are to a file, to be read later with --input: the
 * cheapest way to keep a trace on a busy machine.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "cli.h"
#include "record.h"
#include "source.h"
#include "view.h"

#define MS_PER_S 1000
/* Reads of this much at most: the module gives whole records that fit. */
#define RECORD_CHUNK 65536
/* A capture names processes and their sockets: its owner's alone. */
#define CAPTURE_MODE 0600

struct record_args {
	const char *output;	/* NULL: standard output */
	const char *detail;	/* to set while recording, or NULL */
	long duration;		/* seconds, -1: none */
};

enum { OPT_PASSES = 0x100, OPT_CANDIDATES, OPT_DURATION };

static const struct argp_option options[] = {
	{ "output", 'o', "FILE", 0,
	  "Write to FILE (made or emptied, mode 0600) instead of standard output", 0 },
	{ "passes", OPT_PASSES, NULL, 0, "Set the module's detail to passes while recording", 0 },
	{ "candidates", OPT_CANDIDATES, NULL, 0,
	  "Set the module's detail to candidates while recording", 0 },
	{ "duration", OPT_DURATION, "S", 0, "Stop after S seconds (else at Ctrl-C)", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct record_args *r = state->input;

	switch (key) {
	case 'o':
		r->output = arg;
		return 0;
	case OPT_PASSES:
		r->detail = "passes";
		return 0;
	case OPT_CANDIDATES:
		r->detail = "candidates";
		return 0;
	case OPT_DURATION:
		if (!ep_parse_long(arg, 1, INT_MAX / MS_PER_S, &r->duration))
			return ep_usage_error("--duration wants seconds, not '%s'", arg), EP_ARGP_SAID;
		return 0;
	case ARGP_KEY_ARG:
		return ep_usage_error("record takes no argument ('%s')", arg), EP_ARGP_SAID;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static bool write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		if (!n) {
			errno = EIO;
			return false;
		}
		buf += n;
		len -= n;
	}
	return true;
}

/* Whole records, each giving its size: how many @n bytes of them hold. */
static unsigned long long count_records(const char *buf, size_t n)
{
	unsigned long long count = 0;
	struct ephport_record w;
	size_t off = 0;
	long size;

	while ((size = ep_record_unpack(buf + off, n - off, &w)) > 0) {
		off += size;
		count++;
	}
	return count;
}

/* records_pipe into @out until a stop or @deadline_ms; counts what it wrote. */
static int capture(int in, int out, const char *name, long long deadline_ms,
		   unsigned long long *records)
{
	static char buf[RECORD_CHUNK];
	int ready;

	while ((ready = ep_wait_readable(in, deadline_ms)) > 0) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			ep_error("reading records_pipe: %s", strerror(errno));
			return EP_EXIT_FAIL;
		}
		if (!n)
			break;
		if (!write_all(out, buf, n)) {
			ep_error("writing %s: %s", name, strerror(errno));
			return EP_EXIT_FAIL;
		}
		*records += count_records(buf, n);
	}
	return ready < 0 ? EP_EXIT_FAIL : EP_EXIT_OK;
}

static int run(int argc, char **argv)
{
	static const struct argp argp = {
		options, parse, NULL,
		"Consumes the module's binary records (records_pipe) and writes them unchanged, "
		"after a 512-byte header (format, versions, kernel, host: head -c 512 shows it), "
		"until Ctrl-C or --duration: no decoding and no text, so it costs the traced "
		"machine least. Read the capture later with --input, in any view: show, watch, "
		"stats, explain. --input also reads a text trace (show --raw's lines).\n"
		"\vExamples:\n"
		"  ephport record -o trace.bin --duration 60\n"
		"  ephport --input trace.bin show --errors\n"
		"  ephport --input trace.bin stats",
		NULL, NULL, NULL
	};
	struct record_args r = { .duration = -1 };
	unsigned long long records = 0;
	char saved[32] = "";
	struct ep_source src;
	int out, code;

	code = ep_parse_args(&argp, argc, argv, &r);
	if (code)
		return code;
	if (ep_cli.input || ep_cli.text || ep_cli.json)
		return ep_usage_error("record captures the module's binary records: not --input, --text or --json");
	if (!r.output && isatty(STDOUT_FILENO))
		return ep_usage_error("binary records are not for a terminal: give -o FILE or redirect");
	if (ep_open_records(&src, true, false, &code) < 0)
		return code;
	if (!src.binary) {
		close(src.fd);
		ep_error("the module in %s has no records_pipe: it is older than this reader; 'ephport watch --raw' keeps its text",
			 ep_dir);
		return EP_EXIT_FAIL;
	}
	out = r.output ? open(r.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, CAPTURE_MODE) :
			 STDOUT_FILENO;
	if (out < 0) {
		ep_error("%s: %s", r.output, strerror(errno));
		close(src.fd);
		return EP_EXIT_FAIL;
	}
	if (r.output && isatty(out)) {
		close(out);
		close(src.fd);
		return ep_usage_error("binary records are not for a terminal: %s is one", r.output);
	}
	if (!ep_capture_write_header(out, ep_stats_value("format_version"))) {
		ep_error("writing %s: %s", r.output ?: "standard output", strerror(errno));
		if (r.output)
			close(out);
		close(src.fd);
		return EP_EXIT_FAIL;
	}
	/* before the detail is set: a signal then restores it */
	ep_stop_on_signals();
	if (!r.detail || (ep_detail_get(saved, sizeof(saved), &code) &&
			  !(code = ep_detail_set(r.detail)))) {
		code = capture(src.fd, out, r.output ?: "standard output",
			       r.duration > 0 ? ep_now_ms() + r.duration * MS_PER_S : -1, &records);
	}
	close(src.fd);
	if (*saved)
		ep_detail_set(saved);
	if (r.output && close(out) && !code) {
		ep_error("writing %s: %s", r.output, strerror(errno));
		code = EP_EXIT_FAIL;
	}
	fprintf(stderr, "ephport: %llu records written to %s\n", records,
		r.output ?: "standard output");
	return code;
}

const struct ep_command ep_cmd_record = {
	"record", "capture binary records to a file, to read later with --input", run
};
