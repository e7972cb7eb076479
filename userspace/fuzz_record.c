// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: arbitrary bytes as module output, through the parser
 * (text lines) and the binary decoder (packed records, as records and
 * captures hold them: the first byte picks which), the assembler and every
 * view.  Nothing may crash or leak.
 */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "record.h"
#include "render.h"
#include "search.h"

static FILE *sink;

static bool render_all(struct ep_search *s, void *ctx)
{
	(void)ctx;
	ep_render_human(sink, s, 1, true);
	ep_render_oneline(sink, s, true);
	ep_render_json(sink, s);
	ep_explain(sink, s);
	return false;
}

/* Packed binary records, decoded and printed back as lines, as view.c does. */
static void binary(struct ep_assembler *a, const uint8_t *data, size_t size)
{
	char line[EPHPORT_LINE_MAX];
	struct ephport_record w;
	struct ep_record rec;
	size_t off = 0;
	long n;

	while ((n = ep_record_unpack(data + off, size - off, &w)) > 0) {
		off += n;
		if (ep_record_decode(&w, &rec))
			continue;
		ep_record_format(&rec, line, sizeof(line));
		fputs(line, sink);
		ep_asm_record(a, &rec);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ep_assembler a;
	char *text, *line, *cursor;

	if (!sink)
		sink = fopen("/dev/null", "w");
	if (size && data[0] == 'B') {
		ep_asm_init(&a, render_all, NULL, NULL);
		binary(&a, data + 1, size - 1);
		ep_asm_finish(&a, true);
		return 0;
	}
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	ep_asm_init(&a, render_all, NULL, NULL);
	for (cursor = text; (line = strsep(&cursor, "\n"));)
		ep_asm_line(&a, line);
	ep_asm_finish(&a, true);
	free(text);
	return 0;
}
