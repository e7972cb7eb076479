// SPDX-License-Identifier: GPL-2.0
/* explain: one buffered search's decisions in plain sentences. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "json.h"
#include "explain.h"
#include "render.h"
#include "source.h"
#include "view.h"

enum { OPT_FAILED = 0x100 };

static const struct argp_option options[] = {
	/* no short option: -f is watch's --family, -e its --errors */
	{ "failed", OPT_FAILED, NULL, 0, "The latest search that failed", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct ep_collect *c = state->input;
	long id;

	switch (key) {
	case OPT_FAILED:
		c->failed = true;
		return 0;
	case ARGP_KEY_ARG:
		/* "#12" as the other views print it, or "12" */
		if (c->want || !ep_parse_long(arg + (arg[0] == '#'), 1, LONG_MAX, &id))
			return ep_usage_error("explain wants one search number, not '%s'", arg),
			       EP_ARGP_SAID;
		c->want = (unsigned long long)id;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	options, parse, "[SEARCH]",
	"Explains one buffered search in plain sentences: the range and where it came from; "
	"for bind(), why only the lower half, why odd ports, why the upper half or the relax "
	"round, why EADDRINUSE; for connect(), the perturbation slot, the parity, which ports "
	"bind() users held and which were connected to that peer, why EADDRNOTAVAIL; for UDP, "
	"the slot walk. SEARCH is the number after '#' in the other views; without it, the "
	"latest search. Candidate detail (watch --candidates, or 'detail=candidates' in "
	"control) adds the ports in use and reserved. With --json: {\"search\": N, "
	"\"explanation\": \"...\"}.\n"
	"\vExamples:\n"
	"  ephport explain --failed\n"
	"  ephport explain 42",
	NULL, NULL, NULL
};

/* {"search": N, "explanation": "the sentences"}; an exit code */
static int explain_json(const struct ep_search *s)
{
	struct ep_json j;
	size_t len = 0;
	char *text = NULL;
	FILE *f = open_memstream(&text, &len);

	if (!f) {
		ep_error("out of memory");
		return EP_EXIT_FAIL;
	}
	ep_explain(f, s);
	fclose(f);
	ep_json_init(&j, stdout);
	ep_json_start_object(&j);
	ep_json_kuint(&j, "search", s->id);
	ep_json_kstring(&j, "explanation", text);
	ep_json_end_object(&j);
	free(text);
	return EP_EXIT_OK;
}

static int run(int argc, char **argv)
{
	struct ep_collect c = { .want = 0 };
	struct ep_assembler a;
	int code = ep_parse_args(&argp, argc, argv, &c);

	if (code)
		return code;
	code = ep_read_snapshot(&c, &a);
	if (code)
		return code;
	if (!c.have) {
		ep_error("no %s search is buffered in the module: it may have been consumed by 'ephport watch' or overwritten.",
			 c.want ? "such" : c.failed ? "failed" : "");
		return ep_finish(&a, EP_EXIT_FAIL);
	}
	if (ep_cli.json)
		code = explain_json(&c.found);
	else
		ep_explain(stdout, &c.found);
	ep_search_free(&c.found);
	return ep_finish(&a, code);
}

const struct ep_command ep_cmd_explain = {
	"explain", "one search's decisions in plain sentences", run
};
