/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A streaming JSON writer, in the shape of iproute2's and bpftool's
 * json_writer: objects and arrays opened and closed in order, commas and
 * escaping done here, one document per line.
 */
#ifndef EPHPORT_JSON_H
#define EPHPORT_JSON_H

#include <stdbool.h>
#include <stdio.h>

#define EP_JSON_DEPTH 16

struct ep_json {
	FILE *out;
	int depth;
	bool first[EP_JSON_DEPTH];	/* nothing written yet at that depth */
};

/* @s inside a JSON string: quotes, backslashes and control bytes escaped. */
void ep_json_escaped(FILE *out, const char *s);

void ep_json_init(struct ep_json *j, FILE *out);
void ep_json_start_object(struct ep_json *j);
/* Closing the outermost ends the line. */
void ep_json_end_object(struct ep_json *j);
void ep_json_start_array(struct ep_json *j);
void ep_json_end_array(struct ep_json *j);
/* An object's key: the value follows. */
void ep_json_key(struct ep_json *j, const char *key);
void ep_json_string(struct ep_json *j, const char *s);	/* NULL: null */
void ep_json_uint(struct ep_json *j, unsigned long long v);
void ep_json_int(struct ep_json *j, long long v);
void ep_json_float(struct ep_json *j, double v);
void ep_json_bool(struct ep_json *j, bool v);
void ep_json_null(struct ep_json *j);

/* A key and its value at once. */
void ep_json_kstring(struct ep_json *j, const char *key, const char *s);
void ep_json_kuint(struct ep_json *j, const char *key, unsigned long long v);
void ep_json_kint(struct ep_json *j, const char *key, long long v);
void ep_json_kbool(struct ep_json *j, const char *key, bool v);

#endif /* EPHPORT_JSON_H */
