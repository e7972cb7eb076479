#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: the benchmark job in the test VM under TCG, then the same
# with -icount shift=3 (one CPU, 8 ns of virtual time per guest
# instruction: repeatable to the nanosecond; shift=auto tracks the host's
# speed and is as noisy as plain TCG), a perf profile, then the fprobe
# variants on 6.12.  Prints the tables and writes
# results/bench{,-icount,-fprobe}.{txt,csv,svg} and results/profile.txt.
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

# bench_run NAME TITLE: the bench job, with the caller's environment, into
# console-NAME.log; its tables into NAME.txt and NAME.csv (and NAME.svg).
bench_run() {
	local name=$1 title=$2
	if "$top/tests/vm/vm.sh" run bench "$log/console-$name.log" > "$log/vm-$name.out" 2>&1 ||
		grep -q BENCH-DONE "$log/console-$name.log"; then
		python3 "$top/tests/bench/report.py" "$log/console-$name.log" "$log/$name.csv" \
			"$title" | tee "$log/$name.txt"
	else
		echo "bench: the $name run did not finish; see $log/vm-$name.out"
		return 1
	fi
}

EPHPORT_VM_TIMEOUT=900 bench_run bench "TCG, -smp 2, $(nproc)-core host" || exit 1
EPHPORT_VM_ICOUNT=${EPHPORT_ICOUNT_SHIFT:-3} EPHPORT_VM_TIMEOUT=${EPHPORT_ICOUNT_TIMEOUT:-900} \
	bench_run bench-icount "TCG -icount shift=${EPHPORT_ICOUNT_SHIFT:-3}, -smp 1"

# Where the time tracing adds goes: perf in the guest, -icount, on the
# kernel line Debian's linux-perf is built for.
if EPHPORT_VM_ICOUNT=${EPHPORT_ICOUNT_SHIFT:-3} EPHPORT_VM_TIMEOUT=${EPHPORT_ICOUNT_TIMEOUT:-900} \
	"$top/tests/vm/vm.sh" run profile "$log/console-profile.log" > "$log/vm-profile.out" 2>&1; then
	python3 "$top/tests/bench/profile.py" "$log/console-profile.log" | tee "$log/profile.txt"
else
	echo "bench: the profile run did not finish; see $log/vm-profile.out"
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
EPHPORT_LINE=6.12 EPHPORT_EXTRA_MODULES=$extra EPHPORT_VM_ICOUNT=${EPHPORT_ICOUNT_SHIFT:-3} \
	EPHPORT_VM_APPEND="EPHPORT_BENCH_ONLY=fprobe" EPHPORT_VM_TIMEOUT=${EPHPORT_ICOUNT_TIMEOUT:-900} \
	bench_run bench-fprobe "6.12, kretprobes against fprobes, -icount shift=${EPHPORT_ICOUNT_SHIFT:-3}"
