// SPDX-License-Identifier: GPL-2.0
/* stats: the module's counters, and a histogram of the ports chosen. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hist.h"
#include "json.h"
#include "source.h"
#include "view.h"

/* The next line of @text into @line (cut to its size); NULL past the end. */
static const char *next_line(const char *text, char *line, size_t size)
{
	size_t len = strcspn(text, "\n");

	if (!*text)
		return NULL;
	snprintf(line, size, "%.*s", (int)len, text);
	return text + len + (text[len] == '\n');
}

/*
 * The module's stats as JSON: "KEY N" lines as numbers under "module",
 * "probe NAME hits N missed M" lines as the "probes" array.
 */
static void stats_json(struct ep_json *j, const char *text)
{
	unsigned long long hits, missed, value;
	char line[256], key[64], name[128];
	const char *at;

	ep_json_key(j, "module");
	ep_json_start_object(j);
	for (at = next_line(text, line, sizeof(line)); at; at = next_line(at, line, sizeof(line)))
		if (strncmp(line, "probe ", 6) && sscanf(line, "%63s %llu", key, &value) == 2)
			ep_json_kuint(j, key, value);
	ep_json_end_object(j);
	ep_json_key(j, "probes");
	ep_json_start_array(j);
	for (at = next_line(text, line, sizeof(line)); at; at = next_line(at, line, sizeof(line))) {
		if (sscanf(line, "probe %127s hits %llu missed %llu", name, &hits, &missed) != 3)
			continue;
		ep_json_start_object(j);
		ep_json_kstring(j, "name", name);
		ep_json_kuint(j, "hits", hits);
		ep_json_kuint(j, "missed", missed);
		ep_json_end_object(j);
	}
	ep_json_end_array(j);
}

static const struct argp_option options[] = {
	{ "svg", 's', "FILE", 0, "Also write the histogram as an SVG picture", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	const char **svg = state->input;

	switch (key) {
	case 's':
		*svg = arg;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	options, parse, NULL,
	"Prints the module's counters (searches, passes, candidates, found, failed, records "
	"written and dropped, and each probe's hits and misses), then a histogram of the ports "
	"chosen in the buffered searches over the range, with the half point and the odd/even "
	"split of each walk (bind, connect, UDP), and how hard each walk searched: the ports "
	"examined and the time of its complete searches, p50, p99 and max. With --input, the "
	"capture's.\n"
	"\vExample:\n"
	"  ephport stats --svg ports.svg",
	NULL, NULL, NULL
};

static int write_svg(const char *path, const struct ep_hist *hist)
{
	FILE *out = fopen(path, "w");

	if (!out) {
		ep_error("cannot write %s: %s", path, strerror(errno));
		return EP_EXIT_FAIL;
	}
	ep_hist_svg(out, hist);
	if (fclose(out)) {
		ep_error("writing %s: %s", path, strerror(errno));
		return EP_EXIT_FAIL;
	}
	return EP_EXIT_OK;
}

static int run(int argc, char **argv)
{
	struct ep_hist hist;
	struct ep_collect c = { .hist = &hist };
	struct ep_assembler a;
	const char *svg = NULL;
	int code = ep_parse_args(&argp, argc, argv, &svg);
	char *text = NULL;

	if (code)
		return code;
	/* a capture has searches, not the module's counters */
	if (!ep_cli.input) {
		text = ep_read_all("stats", &code);
		if (!text)
			return code;
	}
	ep_hist_init(&hist);
	code = ep_read_snapshot(&c, &a);
	if (code) {
		ep_hist_free(&hist);
		free(text);
		return code;
	}
	if (c.have)
		ep_search_free(&c.found);
	if (ep_cli.json) {
		struct ep_json j;

		ep_json_init(&j, stdout);
		ep_json_start_object(&j);
		if (text)
			stats_json(&j, text);
		ep_hist_json(&j, &hist);
		ep_json_end_object(&j);
	} else {
		if (text)
			printf("%s\n", text);
		ep_hist_print(stdout, &hist);
	}
	free(text);
	code = svg ? write_svg(svg, &hist) : EP_EXIT_OK;
	ep_hist_free(&hist);
	return code ? code : ep_finish(&a, EP_EXIT_OK);
}

const struct ep_command ep_cmd_stats = {
	"stats", "the module's counters and a histogram of the ports chosen", run
};
