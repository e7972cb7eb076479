#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The layout the sources keep: every file of the module and the reader
# opens with a comment saying what it holds, and no two units (x.c with
# x.h) include each other, directly or round a longer cycle.  Each check
# is first run on a made-up tree that breaks it, so it is known to fail.
# Prints "ok - NAME" or "not ok - NAME" for each.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT

# Files of $1 whose first line of substance (after the SPDX line and the
# defines that must come first) is not a comment.
unsaid() {
	local f
	for f in "$1"/*.c "$1"/*.h; do
		awk 'NR == 1 && /SPDX-License-Identifier/ { next }
		     /^$/ || /^#define (pr_fmt|_GNU_SOURCE)/ { next }
		     { exit !/^\/\*/ }' "$f" || echo "${f#"$top"/}"
	done
}

# "unit unit" pairs, one per quoted include of another unit's header, as
# tsort reads them; it says "input contains a loop" on a cycle.
cycles() {
	local f unit h
	for f in "$1"/*.c "$1"/*.h; do
		unit=$(basename "${f%.*}")
		sed -n 's/^#include "\([^/"]*\)\.h"$/\1/p' "$f" |
			while read -r h; do [ "$h" = "$unit" ] || echo "$unit $h"; done
	done | tsort 2>&1 >/dev/null | grep -v '^tsort: input contains a loop:$' | sed 's/^tsort: //'
}

mkdir -p "$fake/cycle"
printf '/* a */\n#include "b.h"\n' >"$fake/cycle/a.c"
printf '/* a */\n' >"$fake/cycle/a.h"
printf '/* b */\n#include "c.h"\n' >"$fake/cycle/b.c"
printf '/* b */\n' >"$fake/cycle/b.h"
printf '// SPDX-License-Identifier: GPL-2.0\n#include "a.h"\n' >"$fake/cycle/c.c"
printf '/* c */\n' >"$fake/cycle/c.h"
if [ -n "$(cycles "$fake/cycle")" ] && [ "$(unsaid "$fake/cycle")" = "${fake#"$top"/}/cycle/c.c" ]
then echo "ok - layout-checks-catch-a-cycle-and-a-silent-file"
else echo "not ok - layout-checks-catch-a-cycle-and-a-silent-file"; fi

for dir in module userspace; do
	out=$(unsaid "$top/$dir")
	if [ -z "$out" ]; then echo "ok - layout-$dir-files-say-what-they-hold"
	else echo "not ok - layout-$dir-files-say-what-they-hold: $(echo $out)"; fi
	out=$(cycles "$top/$dir")
	if [ -z "$out" ]; then echo "ok - layout-$dir-units-include-no-cycle"
	else echo "not ok - layout-$dir-units-include-no-cycle: $(echo $out)"; fi
done
