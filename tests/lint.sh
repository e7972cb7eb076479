#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The module against the kernel's own style checks, for each kernel line:
# checkpatch.pl --strict from Debian's linux-source-LINE, and sparse
# (make C=1, warnings are errors) against the line's generic headers (the
# newest line's in its trixie chroot, with its own gcc and sparse).
# Prints "ok - NAME" or "not ok - NAME" for each.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${EPHPORT_CACHE:-/var/cache/ephport}
newest=$top/tests/vm/newest.sh

for line in $("$top/tests/vm/vm.sh" lines); do
	export EPHPORT_LINE=$line
	"$top/tests/vm/vm.sh" setup
	kdir=/usr/src/linux-headers-$("$top/tests/vm/vm.sh" abi)-amd64
	case $line in
	6.1 | 6.12) tarball=/usr/src/linux-source-$line.tar.xz ;;
	*) tarball=$("$newest" source) ;;
	esac

	scripts=$cache/checkpatch-$line
	if [ ! -x "$scripts/scripts/checkpatch.pl" ]; then
		mkdir -p "$scripts"
		tar -xf "$tarball" -C "$scripts" --strip-components=1 \
			"linux-source-$line/scripts/checkpatch.pl" \
			"linux-source-$line/scripts/spelling.txt" \
			"linux-source-$line/scripts/const_structs.checkpatch"
	fi
	out=$(cd "$top" && "$scripts/scripts/checkpatch.pl" --no-tree --strict --terse \
		--show-types -f module/*.c module/*.h 2>&1 | grep -v '^total:' || true)
	if [ -z "$out" ]; then echo "ok - $line-checkpatch-strict"; else echo "$out"; echo "not ok - $line-checkpatch-strict"; fi

	case $line in
	6.1 | 6.12)
		make -s -C "$kdir" M="$top" clean >/dev/null 2>&1
		out=$(make -s -C "$kdir" M="$top" C=1 modules 2>&1 | grep -E 'warning|error' || true)
		make -s -C "$kdir" M="$top" clean >/dev/null 2>&1 ;;
	*)
		out=$("$newest" make "$kdir" C=1 modules 2>&1 | grep -E 'warning|error' || true)
		rm -f "$top/ephport.ko" ;;
	esac
	if [ -z "$out" ]; then echo "ok - $line-build-and-sparse"; else echo "$out"; echo "not ok - $line-build-and-sparse"; fi
done
