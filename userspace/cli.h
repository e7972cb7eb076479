/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command line's shared pieces: the global options (the module's
 * folder among them), the exit codes, errors (sentences, or JSON objects
 * under --json), value parsers, and the command table.
 */
#ifndef EPHPORT_CLI_H
#define EPHPORT_CLI_H

#include <argp.h>
#include <errno.h>
#include <stdbool.h>

/* Exit codes, documented in --help and ephport(8). */
enum ep_exit {
	EP_EXIT_OK = 0,
	EP_EXIT_FAIL = 1,	/* no such search, a write or read that failed */
	EP_EXIT_USAGE = 2,
	EP_EXIT_NO_MODULE = 3,
	EP_EXIT_NO_DEBUGFS = 4,
	EP_EXIT_PERMISSION = 5,
	EP_EXIT_LOCKDOWN = 6,
	EP_EXIT_UNPARSABLE = 7,	/* records were skipped */
};

#define EP_DEFAULT_DIR "/sys/kernel/debug/ephport"

/* The module's debugfs folder: --dir, else $EPHPORT_DIR, else the default. */
extern const char *ep_dir;

/* Set by the global options, before the command or among its own. */
struct ep_cli {
	bool json;		/* --json: views and errors as JSON */
	bool color;		/* terminal highlighting: a terminal, no NO_COLOR */
	bool text;		/* --text: the text files, not the binary ones */
	const char *input;	/* --input: a capture by ephport record, not the module */
};

extern struct ep_cli ep_cli;

/* --dir, --input, --json, --no-color, --text: parsed once, wherever they come. */
extern const struct argp ep_common_argp;

/* A failure in a sentence: "ephport: ..." on stderr, or {"error": ...}. */
void ep_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error, pointing at the command's --help: returns EP_EXIT_USAGE. */
int ep_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

bool ep_parse_long(const char *s, long min, long max, long *out);
/* "LO-HI" within 1-65535, LO <= HI. */
bool ep_parse_port_range(const char *s, int *low, int *high);
/* "40001,40010-40020" into a set of 65536 entries. */
bool ep_parse_port_list(const char *s, bool *set);

/* What an argp parser returns once it has said what was wrong. */
#define EP_ARGP_SAID ECANCELED

/*
 * Runs a command's argp over its arguments, with the common options as a
 * child: 0, or the exit code to return (usage errors said, --help shown).
 */
int ep_parse_args(const struct argp *argp, int argc, char **argv, void *input);

/* One command, defined in its own file (cmd_NAME.c). */
struct ep_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

extern const struct ep_command ep_cmd_watch, ep_cmd_show, ep_cmd_record, ep_cmd_stats,
	ep_cmd_explain, ep_cmd_simulate, ep_cmd_metrics, ep_cmd_capacity, ep_cmd_who;

#endif /* EPHPORT_CLI_H */
