// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: arbitrary bytes as module output, through the parser,
 * the assembler and every view.  Nothing may crash or leak.
 */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "search.h"

static FILE *sink;

static bool render_all(struct ep_search *s, void *ctx)
{
	(void)ctx;
	ep_render_human(sink, s, 1);
	ep_render_json(sink, s);
	ep_explain(sink, s);
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ep_assembler a;
	char *text = malloc(size + 1), *line, *cursor;

	if (!text)
		return 0;
	if (!sink)
		sink = fopen("/dev/null", "w");
	memcpy(text, data, size);
	text[size] = '\0';
	ep_asm_init(&a, render_all, NULL, NULL);
	for (cursor = text; (line = strsep(&cursor, "\n"));)
		ep_asm_line(&a, line);
	ep_asm_finish(&a, true);
	free(text);
	return 0;
}
