#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The debug kernels: for each line given (6.1, 6.12), builds it once
# (tests/debug/build.sh), then boots it with panic_on_warn=1 for the whole
# guest suite and for the stress job (4 vCPUs, then kmemleak after unload).
# Prints ok/not ok lines, each named debug-LINE-...
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
log=${EPHPORT_RESULTS:-$top/results}
mkdir -p "$log"

. "$top/tests/lib.sh"

for line in "$@"; do
	name=debug-$line
	start=$SECONDS
	"$top/tests/debug/build.sh" "$line" > "$log/$name-build.out" 2>&1
	rc=$?
	result "$name-kernel-built" $rc
	[ $rc -eq 0 ] || { tail -n 20 "$log/$name-build.out"; continue; }
	dir=$(tail -n 1 "$log/$name-build.out")
	echo "# $name: $(make -s -C "$dir" kernelrelease), built in $(head -n 1 "$dir/.ephport-built") s (cached after)"
	EPHPORT_LINE=$line EPHPORT_DEBUG=1 EPHPORT_VM_TIMEOUT=${EPHPORT_VM_TIMEOUT:-900} \
		vm_job "$name" tests
	EPHPORT_LINE=$line EPHPORT_DEBUG=1 EPHPORT_VM_TIMEOUT=${EPHPORT_VM_TIMEOUT:-900} \
		EPHPORT_VM_CPUS=4 vm_job "$name-stress" stress
	echo "# $name: $((SECONDS - start)) s"
done
