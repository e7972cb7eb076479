#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: the benchmark job in the test VM under TCG, then the same
# with -icount shift=3 (one CPU, 8 ns of virtual time per guest
# instruction: repeatable to the nanosecond; shift=auto tracks the host's
# speed and is as noisy as plain TCG).  Prints the tables and writes
# results/bench.csv and results/bench-icount.csv.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
log=${EPHPORT_RESULTS:-$top/results}
mkdir -p "$log"
"$top/tests/vm/vm.sh" setup || exit 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# BASELINE=REV: the module of git revision REV is read from in the same
# boots, to compare the read path.
if [ -n "${BASELINE:-}" ]; then
	base=$tmp/baseline && mkdir -p "$base"
	git -C "$top" archive "$BASELINE" | tar -x -C "$base" ||
		{ echo "bench: BASELINE=$BASELINE is not a revision of this repository"; exit 2; }
	make -s -C "$base" module KDIR="/usr/src/linux-headers-$("$top/tests/vm/vm.sh" abi)-amd64" \
		> "$log/baseline-build.out" 2>&1 ||
		{ echo "bench: BASELINE=$BASELINE does not build: $log/baseline-build.out"; exit 2; }
	mv "$base/ephport.ko" "$base/baseline.ko"
	export EPHPORT_EXTRA_MODULES=$base/baseline.ko
fi

EPHPORT_VM_TIMEOUT=900 "$top/tests/vm/vm.sh" run bench "$log/console-bench.log" \
	> "$log/vm-bench.out" 2>&1
grep -q BENCH-DONE "$log/console-bench.log" || { echo "bench: the VM run did not finish"; tail -n 30 "$log/vm-bench.out"; exit 1; }
python3 "$top/tests/bench/report.py" "$log/console-bench.log" "$log/bench.csv" \
	"TCG, -smp 2, $(nproc)-core host" | tee "$log/bench.txt"

if EPHPORT_VM_ICOUNT=${EPHPORT_ICOUNT_SHIFT:-3} EPHPORT_VM_TIMEOUT=${EPHPORT_ICOUNT_TIMEOUT:-900} \
	"$top/tests/vm/vm.sh" run bench "$log/console-bench-icount.log" > "$log/vm-bench-icount.out" 2>&1 ||
	grep -q BENCH-DONE "$log/console-bench-icount.log"; then
	python3 "$top/tests/bench/report.py" "$log/console-bench-icount.log" \
		"$log/bench-icount.csv" "TCG -icount shift=${EPHPORT_ICOUNT_SHIFT:-3}, -smp 1" |
		tee "$log/bench-icount.txt"
else
	echo "bench: the -icount run did not finish; see $log/vm-bench-icount.out"
fi

# The fprobe variants, probe by probe, against the kretprobe build: 6.12
# (6.1 has no CONFIG_FPROBE), -icount, one boot.
variants=$tmp/variants && mkdir -p "$variants"
kdir=/usr/src/linux-headers-$(EPHPORT_LINE=6.12 "$top/tests/vm/vm.sh" abi)-amd64
EPHPORT_LINE=6.12 "$top/tests/vm/vm.sh" setup || exit 2
extra=
for probes in get_port draw get_port,draw; do
	rm -rf "$variants/tree" && mkdir -p "$variants/tree"
	cp -r "$top/module" "$top/Kbuild" "$top/Makefile" "$top/VERSION" "$variants/tree/"
	make -s -C "$variants/tree" module KDIR="$kdir" EPHPORT_FPROBE=$probes \
		> "$log/fprobe-build.out" 2>&1 ||
		{ echo "bench: the EPHPORT_FPROBE=$probes build failed: $log/fprobe-build.out"; exit 1; }
	cp "$variants/tree/ephport.ko" "$variants/ephport-fprobe-${probes/,/+}.ko"
	extra="$extra $variants/ephport-fprobe-${probes/,/+}.ko"
done
if EPHPORT_LINE=6.12 EPHPORT_EXTRA_MODULES=$extra EPHPORT_VM_ICOUNT=${EPHPORT_ICOUNT_SHIFT:-3} \
	EPHPORT_VM_APPEND="EPHPORT_BENCH_ONLY=fprobe" EPHPORT_VM_TIMEOUT=${EPHPORT_ICOUNT_TIMEOUT:-900} \
	"$top/tests/vm/vm.sh" run bench "$log/console-bench-fprobe.log" > "$log/vm-bench-fprobe.out" 2>&1 ||
	grep -q BENCH-DONE "$log/console-bench-fprobe.log"; then
	python3 "$top/tests/bench/report.py" "$log/console-bench-fprobe.log" \
		"$log/bench-fprobe.csv" "6.12, kretprobes against fprobes, -icount shift=${EPHPORT_ICOUNT_SHIFT:-3}" |
		tee "$log/bench-fprobe.txt"
else
	echo "bench: the fprobe run did not finish; see $log/vm-bench-fprobe.out"
fi
