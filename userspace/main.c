// SPDX-License-Identifier: GPL-2.0
/*
 * ephport: watch, explain and simulate the kernel's ephemeral port
 * searches, as traced by the ephport kernel module.  The global options
 * and the command table; each command lives in its own file (cmd_*.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "record.h"
#include "source.h"

#ifndef EPHPORT_VERSION
#define EPHPORT_VERSION "unknown"
#endif

/* The record format this reader parses (stats' format_version). */
#define READER_FORMAT 1

static const struct ep_command *const commands[] = {
	&ep_cmd_watch, &ep_cmd_show, &ep_cmd_record, &ep_cmd_stats, &ep_cmd_explain,
	&ep_cmd_simulate, &ep_cmd_metrics, &ep_cmd_capacity, &ep_cmd_who,
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

enum { OPT_VERSION = 0x200 };

struct global_args {
	int command;		/* index in argv of the command word, 0: none */
	bool version;		/* --version: printed once every option is read */
};

static const struct argp_option options[] = {
	{ "version", OPT_VERSION, NULL, 0,
	  "The reader's version and record format, and the loaded module's", 0 },
	{ 0 }
};

/* The reader's, and the loaded module's format from its stats, if it can be read. */
static void print_version(void)
{
	long format = ep_stats_value("format_version");
	struct ep_json j;

	if (ep_cli.json) {
		ep_json_init(&j, stdout);
		ep_json_start_object(&j);
		ep_json_kstring(&j, "version", EPHPORT_VERSION);
		ep_json_kint(&j, "record_format", READER_FORMAT);
		ep_json_key(&j, "module_record_format");
		if (format >= 0)
			ep_json_int(&j, format);
		else
			ep_json_null(&j);
		ep_json_end_object(&j);
		return;
	}
	printf("ephport %s, record format %d\n", EPHPORT_VERSION, READER_FORMAT);
	if (format >= 0)
		printf("module in %s: record format %ld%s\n", ep_dir, format,
		       format > READER_FORMAT ? " (newer than this reader)" : "");
}

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct global_args *g = state->input;

	(void)arg;
	switch (key) {
	case OPT_VERSION:
		g->version = true;
		return 0;
	case ARGP_KEY_ARG:
		/* the command word: the rest is the command's */
		g->command = state->next - 1;
		state->next = state->argc;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* The command table in --help, between the doc and the options. */
static char *help_filter(int key, const char *text, void *input)
{
	char *out = NULL;
	size_t len = 0, i;
	FILE *f;

	(void)input;
	if (key != ARGP_KEY_HELP_PRE_DOC)
		return (char *)text;
	f = open_memstream(&out, &len);
	if (!f)
		return (char *)text;
	fprintf(f, "%s\n\nCommands:\n", text);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f, "\n'ephport COMMAND --help' describes each command's options.");
	fclose(f);
	return out;
}

static const struct argp_child children[] = {
	{ &ep_common_argp, 0, "Common options (also after the command):", 0 },
	{ 0 }
};

static const struct argp argp = {
	options, parse, "[COMMAND [ARG...]]",
	"Shows how the Linux kernel picks an ephemeral port when a socket binds or listens on "
	"port 0, connects without a port, or uses UDP without one, as traced by the ephport "
	"kernel module in " EP_DEFAULT_DIR ".\v"
	"Exit status:\n"
	"  0  success\n"
	"  1  failure: no such search, a read or write that failed\n"
	"  2  usage error\n"
	"  3  the ephport module is not loaded\n"
	"  4  debugfs is not mounted\n"
	"  5  permission denied: run as root\n"
	"  6  kernel lockdown closes debugfs\n"
	"  7  some records could not be parsed and were skipped\n\n"
	"See ephport(8).",
	children, help_filter, NULL
};

int main(int argc, char **argv)
{
	struct global_args g = { 0 };
	const char *env = getenv("EPHPORT_DIR"), *name;
	static char prog[32];
	size_t i;
	int code;

	if (env && *env)
		ep_dir = env;
	ep_cli.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	argp_err_exit_status = EP_EXIT_USAGE;
	/* -h is --help, for every command (none has an -h of its own) */
	for (i = 1; i < (size_t)argc; i++)
		if (!strcmp(argv[i], "-h"))
			argv[i] = "--help";
	/* "ephport help [COMMAND]": that --help; a bare ephport: the usage */
	if (argc == 1 || (argc == 2 && !strcmp(argv[1], "help"))) {
		static char *usage[] = { NULL, "--help", NULL };

		usage[0] = argv[0];
		argv = usage;
		argc = 2;
	} else if (argc == 3 && !strcmp(argv[1], "help")) {
		argv[1] = argv[2];
		argv[2] = "--help";
	}
	if (argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, &g))
		return EP_EXIT_USAGE;
	if (g.version) {
		print_version();
		return fflush(stdout) ? EP_EXIT_FAIL : EP_EXIT_OK;
	}
	if (!g.command)
		return ep_usage_error("which command? 'ephport help' lists them");
	name = argv[g.command];
	for (i = 0; i < NCOMMANDS && strcmp(name, commands[i]->name); i++)
		;
	if (i == NCOMMANDS)
		return ep_usage_error("unknown command '%s'", name);
	/* the command's argp sees its own arguments, named after it */
	snprintf(prog, sizeof(prog), "ephport %s", name);
	argv += g.command;
	argc -= g.command;
	argv[0] = prog;
	code = commands[i]->run(argc, argv);
	/* every command's output checked once: a full disk is a failure */
	if (fflush(stdout) || ferror(stdout)) {
		if (errno != EPIPE)
			ep_error("cannot write the output: %s", strerror(errno));
		return code ? code : EP_EXIT_FAIL;
	}
	return code;
}
