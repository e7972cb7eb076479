#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The module against the kernel's own style checks: checkpatch.pl --strict
# from Debian's linux-source-6.1, and sparse (make C=1) against the headers
# of the test kernel.  Prints "ok - NAME" or "not ok - NAME" for each.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${EPHPORT_CACHE:-/var/cache/ephport}
abi=$("$top/tests/vm/vm.sh" abi)
kdir=/usr/src/linux-headers-$abi-amd64

"$top/tests/vm/vm.sh" setup

scripts=$cache/checkpatch
if [ ! -x "$scripts/scripts/checkpatch.pl" ]; then
	mkdir -p "$scripts"
	tar -xf /usr/src/linux-source-6.1.tar.xz -C "$scripts" --strip-components=1 \
		linux-source-6.1/scripts/checkpatch.pl linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
fi

out=$(cd "$top" && "$scripts/scripts/checkpatch.pl" --no-tree --strict --terse \
	--show-types -f module/*.c module/*.h 2>&1 | grep -v '^total:' || true)
if [ -z "$out" ]; then echo "ok - checkpatch-strict"; else echo "$out"; echo "not ok - checkpatch-strict"; fi

make -s -C "$kdir" M="$top" clean >/dev/null 2>&1
out=$(make -s -C "$kdir" M="$top" C=1 modules 2>&1 | grep -E 'warning|error' || true)
if [ -z "$out" ]; then echo "ok - sparse"; else echo "$out"; echo "not ok - sparse"; fi
