// SPDX-License-Identifier: GPL-2.0
/* The shared command-line pieces (cli.h): global options, exit codes, errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"

struct ep_cli ep_cli;

static void say(const char *fmt, va_list ap, const char *hint)
{
	char text[1024];

	vsnprintf(text, sizeof(text), fmt, ap);
	if (ep_cli.json) {
		/* on stdout, where a --json consumer reads, as bpftool does */
		fputs("{\"error\":\"", stdout);
		ep_json_escaped(stdout, text);
		fputs("\"}\n", stdout);
		fflush(stdout);
	} else {
		fprintf(stderr, "ephport: %s%s\n", text, hint);
	}
}

void ep_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap, "");
	va_end(ap);
}

int ep_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap, " (see --help)");
	va_end(ap);
	return EP_EXIT_USAGE;
}

bool ep_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool ep_parse_port_range(const char *s, int *low, int *high)
{
	char buf[32], *dash;
	long lo, hi;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (!dash)
		return false;
	*dash = '\0';
	if (!ep_parse_long(buf, 1, 65535, &lo) || !ep_parse_long(dash + 1, 1, 65535, &hi) ||
	    lo > hi)
		return false;
	*low = (int)lo;
	*high = (int)hi;
	return true;
}

bool ep_parse_port_list(const char *s, bool *set)
{
	char *copy = strdup(s), *cursor = copy, *item;
	bool ok = copy && *s;

	while (ok && (item = strsep(&cursor, ","))) {
		int low, high;
		long one;

		if (strchr(item, '-'))
			ok = ep_parse_port_range(item, &low, &high);
		else if ((ok = ep_parse_long(item, 1, 65535, &one)))
			low = high = (int)one;
		while (ok && low <= high)
			set[low++] = true;
	}
	free(copy);
	return ok;
}

const char *ep_dir = EP_DEFAULT_DIR;

enum { OPT_NO_COLOR = 0x100, OPT_TEXT };

static const struct argp_option common_options[] = {
	{ "dir", 'D', "PATH", 0,
	  "The module's debugfs folder (default " EP_DEFAULT_DIR ", or $EPHPORT_DIR)", 0 },
	{ "input", 'i', "FILE", 0,
	  "Read the records ephport record captured in FILE instead of the module's", 0 },
	{ "json", 'j', NULL, 0, "Views and errors as JSON objects, one per line", 0 },
	{ "no-color", OPT_NO_COLOR, NULL, 0,
	  "No terminal highlighting (none either when NO_COLOR is set or the output is not a terminal)",
	  0 },
	{ "text", OPT_TEXT, NULL, 0,
	  "Read the module's text files (events, events_pipe) even where it has the binary ones "
	  "(records, records_pipe), which cost it less", 0 },
	{ 0 }
};

static error_t common_parse(int key, char *arg, struct argp_state *state)
{
	(void)state;
	switch (key) {
	case 'D':
		ep_dir = arg;
		return 0;
	case 'i':
		ep_cli.input = arg;
		return 0;
	case 'j':
		ep_cli.json = true;
		return 0;
	case OPT_NO_COLOR:
		ep_cli.color = false;
		return 0;
	case OPT_TEXT:
		ep_cli.text = true;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp ep_common_argp = { common_options, common_parse, NULL, NULL, NULL, NULL, NULL };

static bool known_in(const struct argp_option *o, const char *arg)
{
	size_t len = strcspn(arg + 2, "=");

	for (; o && (o->name || o->key || o->doc); o++) {
		if (arg[1] == '-' && o->name && strlen(o->name) == len &&
		    !strncmp(o->name, arg + 2, len))
			return true;
		if (arg[1] != '-' && o->key > 0 && o->key < 0x100 && o->key == arg[1])
			return true;
	}
	return false;
}

/* The first argument argp would not take, for a JSON error that names it. */
static const char *unknown_option(const struct argp *argp, int argc, char **argv)
{
	static const struct argp_option builtin[] = {
		{ "help", '?', NULL, 0, NULL, 0 }, { "usage", 0, NULL, 0, NULL, 0 }, { 0 }
	};
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (argv[i][0] == '-' && argv[i][1] && !known_in(argp->options, argv[i]) &&
		    !known_in(ep_common_argp.options, argv[i]) && !known_in(builtin, argv[i]))
			return argv[i];
	return NULL;
}

int ep_parse_args(const struct argp *argp, int argc, char **argv, void *input)
{
	const struct argp_child children[] = {
		{ &ep_common_argp, 0, "Common options:", 0 },
		{ 0 }
	};
	struct argp with_common = *argp;
	bool help = false, json = ep_cli.json;
	const char *bad;
	error_t err;
	int i;

	with_common.children = children;
	/* a usage error exits with our code; under --json argp says nothing */
	argp_err_exit_status = EP_EXIT_USAGE;
	/*
	 * -j anywhere makes argp's errors ours, as JSON; help is help under
	 * --json too (ARGP_NO_ERRS would keep it from printing)
	 */
	for (i = 1; i < argc; i++) {
		json |= !strcmp(argv[i], "-j") || !strcmp(argv[i], "--json");
		help |= !strcmp(argv[i], "--help") || !strcmp(argv[i], "-?") ||
			!strcmp(argv[i], "--usage");
	}
	err = argp_parse(&with_common, argc, argv, json && !help ? ARGP_NO_ERRS : 0, NULL, input);
	if (err && err != EP_ARGP_SAID && json) {
		ep_cli.json = true;
		bad = unknown_option(argp, argc, argv);
		if (bad)
			return ep_usage_error("%s takes no option %s", argv[0], bad);
		return ep_usage_error("%s: an option without its value, or an argument it does not take",
				      argv[0]);
	}
	return err ? EP_EXIT_USAGE : 0;
}
