#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: the benchmark job in the test VM under TCG, then the same
# with -icount shift=3 (one CPU, 8 ns of virtual time per guest
# instruction: repeatable to the nanosecond; shift=auto tracks the host's
# speed and is as noisy as plain TCG), then timerlat on each line's rt
# kernel (the longest stretch the handlers hold off preemption), then a
# perf profile.  Prints the tables and writes
# results/bench{,-icount}.{txt,csv,svg}, results/costs.txt (from the
# -icount run), results/latency.txt and results/profile.txt.
# PART=tcg, icount, latency or profile runs that part alone.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
part=${PART:-all}
case $part in
all | tcg | icount | latency | profile) ;;
*) echo "bench: PART=$part: expected tcg, icount, latency or profile"; exit 2 ;;
esac
want() { [ "$part" = all ] || [ "$part" = "$1" ]; }
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

# The floor: an empty kretprobe on each walk's function (tests/bench/floor),
# what any kprobe tracer adds to a call before its handlers do anything.
floor=$tmp/floor && mkdir -p "$floor"
cp "$top/tests/bench/floor/floor.c" "$top/tests/bench/floor/Kbuild" "$floor/"
make -s -C "/usr/src/linux-headers-$("$top/tests/vm/vm.sh" abi)-amd64" M="$floor" modules \
	> "$log/floor-build.out" 2>&1 ||
	{ echo "bench: the floor module does not build: $log/floor-build.out"; exit 2; }
export EPHPORT_EXTRA_MODULES="${EPHPORT_EXTRA_MODULES:-} $floor/floor.ko"

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

if want tcg; then
	EPHPORT_VM_TIMEOUT=900 bench_run bench "TCG, -smp 2, $(nproc)-core host" || exit 1
fi
if want icount; then
	EPHPORT_VM_ICOUNT=${EPHPORT_ICOUNT_SHIFT:-3} EPHPORT_VM_TIMEOUT=${EPHPORT_ICOUNT_TIMEOUT:-900} \
		bench_run bench-icount "TCG -icount shift=${EPHPORT_ICOUNT_SHIFT:-3}, -smp 1" &&
		# the noise-free costs, for README.md's "What it costs"
		grep -q '^costs:' "$log/bench-icount.txt" && {
			is=${EPHPORT_ICOUNT_SHIFT:-3}
			echo "make bench PART=icount, $(date +%F), guest $("$top/tests/vm/vm.sh" abi)-amd64 under TCG -icount shift=$is ($((1 << is)) ns per instruction)"
			sed -n '/^costs:/,/^$/p' "$log/bench-icount.txt"
		} > "$log/costs.txt"
fi

# The longest stretch the handlers keep a CPU from preempting: timerlat on
# each line's rt kernel, -icount, the worst searches of each walk at each
# detail level (tests/guest/latency.sh), against the same searches untraced.
want latency && {
	echo "longest timerlat thread latency on CPU 0 (us, -icount shift=${EPHPORT_ICOUNT_SHIFT:-3}), worst searches (range held but its last port: 1000 ports)"
	printf '%-26s %-11s %8s %8s %8s\n' kernel config udp bind connect
	for line in $("$top/tests/vm/vm.sh" lines); do
		name=latency-$line
		if EPHPORT_LINE=$line EPHPORT_FLAVOUR=rt-amd64 EPHPORT_VM_ICOUNT=${EPHPORT_ICOUNT_SHIFT:-3} \
			EPHPORT_VM_TIMEOUT=${EPHPORT_ICOUNT_TIMEOUT:-900} \
			"$top/tests/vm/vm.sh" run latency "$log/console-$name.log" > "$log/vm-$name.out" 2>&1 &&
			grep -q LATENCY-DONE "$log/console-$name.log"; then
			kver=$(EPHPORT_LINE=$line "$top/tests/vm/vm.sh" abi)-rt-amd64
			for config in untraced searches passes candidates; do
				printf '%-26s %-11s' "$kver" "$config"
				for kind in udp bind connect; do
					sed -n "s/^LATENCY $config $kind max_ns=\([0-9]*\) .*/\1/p" \
						"$log/console-$name.log" | awk '{ printf " %8.1f", $1 / 1000 }'
				done
				echo
			done
			tr -d '\r' < "$log/console-$name.log" |
				sed -n "s/^LATENCY-STATS \(.*[^ ]\) *$/  then the module's stats: \1/p"
		else
			echo "bench: the $name run did not finish; see $log/vm-$name.out"
		fi
	done
} | tee "$log/latency.txt"

# Where the time tracing adds goes: perf in the guest, -icount, on the
# kernel line Debian's linux-perf is built for.
profile() {
	if EPHPORT_VM_ICOUNT=${EPHPORT_ICOUNT_SHIFT:-3} EPHPORT_VM_TIMEOUT=${EPHPORT_ICOUNT_TIMEOUT:-900} \
		"$top/tests/vm/vm.sh" run profile "$log/console-profile.log" > "$log/vm-profile.out" 2>&1; then
		python3 "$top/tests/bench/profile.py" "$log/console-profile.log" | tee "$log/profile.txt"
	else
		echo "bench: the profile run did not finish; see $log/vm-profile.out"
	fi
}
if want profile; then
	profile
fi

