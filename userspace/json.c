// SPDX-License-Identifier: GPL-2.0
/* The streaming JSON writer (json.h). */
#include <math.h>

#include "json.h"

void ep_json_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
}

void ep_json_init(struct ep_json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->first[0] = true;
}

/* Before a value: the comma after a sibling, unless it follows a key. */
static void value_begins(struct ep_json *j)
{
	if (!j->first[j->depth])
		fputc(',', j->out);
	j->first[j->depth] = false;
}

static void begin_container(struct ep_json *j, char c)
{
	value_begins(j);
	fputc(c, j->out);
	if (j->depth + 1 < EP_JSON_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void end_container(struct ep_json *j, char c)
{
	fputc(c, j->out);
	if (j->depth > 0)
		j->depth--;
	if (!j->depth) {
		fputc('\n', j->out);
		j->first[0] = true;
	}
}

void ep_json_start_object(struct ep_json *j)
{
	begin_container(j, '{');
}

void ep_json_end_object(struct ep_json *j)
{
	end_container(j, '}');
}

void ep_json_start_array(struct ep_json *j)
{
	begin_container(j, '[');
}

void ep_json_end_array(struct ep_json *j)
{
	end_container(j, ']');
}

void ep_json_key(struct ep_json *j, const char *key)
{
	value_begins(j);
	fputc('"', j->out);
	ep_json_escaped(j->out, key);
	fputs("\":", j->out);
	/* the value comes next, with no comma of its own */
	j->first[j->depth] = true;
}

void ep_json_string(struct ep_json *j, const char *s)
{
	if (!s) {
		ep_json_null(j);
		return;
	}
	value_begins(j);
	fputc('"', j->out);
	ep_json_escaped(j->out, s);
	fputc('"', j->out);
}

void ep_json_uint(struct ep_json *j, unsigned long long v)
{
	value_begins(j);
	fprintf(j->out, "%llu", v);
}

void ep_json_int(struct ep_json *j, long long v)
{
	value_begins(j);
	fprintf(j->out, "%lld", v);
}

void ep_json_float(struct ep_json *j, double v)
{
	value_begins(j);
	/* JSON has no NaN or infinity */
	if (isfinite(v))
		fprintf(j->out, "%.10g", v);
	else
		fputs("null", j->out);
}

void ep_json_bool(struct ep_json *j, bool v)
{
	value_begins(j);
	fputs(v ? "true" : "false", j->out);
}

void ep_json_null(struct ep_json *j)
{
	value_begins(j);
	fputs("null", j->out);
}

void ep_json_kstring(struct ep_json *j, const char *key, const char *s)
{
	ep_json_key(j, key);
	ep_json_string(j, s);
}

void ep_json_kuint(struct ep_json *j, const char *key, unsigned long long v)
{
	ep_json_key(j, key);
	ep_json_uint(j, v);
}

void ep_json_kint(struct ep_json *j, const char *key, long long v)
{
	ep_json_key(j, key);
	ep_json_int(j, v);
}

void ep_json_kbool(struct ep_json *j, const char *key, bool v)
{
	ep_json_key(j, key);
	ep_json_bool(j, v);
}
