#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every test: the archive's kernels, host unit tests under ASan/UBSan, lint,
# fuzzing, make install, the guest suite in the test VM and DKMS on the
# three flavours of every kernel line (6.1, 6.12 and the newest Debian
# ships), and the Debian packages.  Ends with "N passed, N failed,
# N skipped"; exits 1 if any failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
log=${EPHPORT_RESULTS:-$top/results}
mkdir -p "$log"
passed=0 failed=0 skipped=0 booted=()
: > "$log/check.out"
start=$SECONDS

tally() {
	local line
	while IFS= read -r line; do
		echo "$line"
		echo "$line" >> "$log/check.out"
		case $line in
		"ok - "*" # SKIP "*) skipped=$((skipped + 1)) ;;
		"ok - "*) passed=$((passed + 1)) ;;
		"not ok - "*) failed=$((failed + 1)) ;;
		"# "*": === job start "*) booted+=("${line##* }") ;;
		esac
	done
}

. "$top/tests/lib.sh"

read -r -a lines < <("$top/tests/vm/vm.sh" lines) ||
	{ echo "the kernel lines could not be resolved"; echo "0 passed, 1 failed"; exit 1; }
for line in "${lines[@]}"; do
	EPHPORT_LINE=$line "$top/tests/vm/vm.sh" setup ||
		{ echo "setup of the $line line failed"; echo "0 passed, 1 failed"; exit 1; }
	echo "# kernel line $line: $(EPHPORT_LINE=$line "$top/tests/vm/vm.sh" abi)"
done
tally < <("$top/tests/host/test_archive.sh" 2>&1)

# tool PACKAGE PATH: a program from a Debian package, extracted, not
# installed (prometheus and its node exporter would start servers); cached
tool() {
	local pkg=$1 path=$2 dir=${EPHPORT_CACHE:-/var/cache/ephport}/${2##*/}
	if [ ! -x "$dir/${path##*/}" ]; then
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp" &&
		(cd "$dir.tmp" && apt-get download -q "$pkg" > /dev/null 2>&1) &&
		dpkg-deb -x "$dir.tmp/${pkg}"_*.deb "$dir.tmp/x" &&
		cp "$dir.tmp/x/$path" "$dir.tmp/" &&
		rm -rf "$dir.tmp/x" "$dir.tmp"/*.deb &&
		rm -rf "$dir" && mv "$dir.tmp" "$dir"
	fi
	echo "$dir/${path##*/}"
}
# promtool checks the metrics and the rules; node_exporter reads the textfile
EPHPORT_PROMTOOL=$(tool prometheus usr/bin/promtool)
EPHPORT_NODE_EXPORTER=$(tool prometheus-node-exporter usr/bin/prometheus-node-exporter)
export EPHPORT_PROMTOOL EPHPORT_NODE_EXPORTER

make -s -C "$top/tests/host" all > "$log/host-build.out" 2>&1
rc=$?
tally < <(result host-build $rc)
[ $rc -eq 0 ] && tally < <(make -s -C "$top/tests/host" check 2>&1)
[ $rc -eq 0 ] || cat "$log/host-build.out"

tally < <("$top/tests/lint.sh" 2>&1)

# the record parser, the binary decoder and every view under libFuzzer, for a bounded time
fuzz_dir=$(mktemp -d)
cp "$top/tests/host/fixtures/events" "$fuzz_dir/"
# 'B' first: the binary decoder's seed, the 6.1 module's own records
{ printf B; cat "$top/tests/host/fixtures/binary/records"; } > "$fuzz_dir/records"
if make -s -C "$top/userspace" fuzz > "$log/fuzz.out" 2>&1 &&
   (cd "$log" && "$top/userspace/fuzz-record" -max_total_time="${EPHPORT_FUZZ_SECONDS:-30}" \
	"$fuzz_dir" >> "$log/fuzz.out" 2>&1); then
	tally < <(result fuzz-record 0)
else
	tally < <(result fuzz-record 1)
	tail -n 30 "$log/fuzz.out"
fi
rm -rf "$fuzz_dir"

prefix=$(mktemp -d)
make -s -C "$top" install PREFIX=/usr DESTDIR="$prefix" > "$log/install.out" 2>&1 &&
	[ -x "$prefix/usr/sbin/ephport" ] && [ -f "$prefix/usr/share/man/man8/ephport.8" ]
tally < <(result make-install $?)
rm -rf "$prefix"

# the whole guest suite on the generic kernel of each line (cloud and rt
# boot in the DKMS job below: seeds, the PREEMPT_RT writer, a clean console)
for line in "${lines[@]}"; do
	tally < <(EPHPORT_LINE=$line vm_job "$line-amd64" tests)
done

# stress, 4 vCPUs, on the generic kernel of each line
for line in "${lines[@]}"; do
	tally < <(EPHPORT_LINE=$line EPHPORT_VM_CPUS=4 vm_job "$line-stress" stress)
done

# the 6.12 debug kernel (KASAN, lockdep, kmemleak; make check-debug does 6.1 too)
tally < <("$top/tests/debug/run.sh" 6.12 2>&1)

# booted with debugfs=off: a clear refusal from the module and the reader
for line in "${lines[@]}"; do
	tally < <(EPHPORT_LINE=$line EPHPORT_VM_APPEND=debugfs=off vm_job "$line-debugfs-off" nodebugfs)
done

# DKMS for the three flavours of each line, each booted with its installed
# module; then the packages, which DKMS builds for every installed kernel
tally < <("$top/tests/dkms/run.sh" 2>&1)
tally < <("$top/tests/dkms/deb.sh" 2>&1)

# build outputs are ignored, never tracked: the tree is as it was
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	dirty=$(git -C "$top" status --porcelain)
	[ -z "$dirty" ] || echo "$dirty" | sed 's/^/    /'
	tally < <(result git-status-clean "$([ -z "$dirty" ]; echo $?)")
fi

echo "# kernels booted: $(printf '%s\n' "${booted[@]}" | sort -u | tr '\n' ' ')"
# What ran on which kernel, as a table for docs/kernels.md
{
	echo "| job | kernel | passed | failed | skipped |"
	echo "|---|---|---|---|---|"
	sed -n 's/^# \([^:]*\): === job start \(.*\)$/\1 \2/p' "$log/check.out" |
	while read -r name kver; do
		awk -v p="$name-" -v name="$name" -v kver="$kver" '
			index($0, "ok - " p) == 1 { if (/ # SKIP /) s++; else o++ }
			index($0, "not ok - " p) == 1 { f++ }
			END { printf "| %s | %s | %d | %d | %d |\n", name, kver, o, f, s }' "$log/check.out"
	done
} > "$log/kernels.md"
# ephport capacity's answer in the first line's guest test, for docs/capacity.txt
{
	echo "# ephport capacity, in tests/guest/capacity.c's setup on $(grep -m1 -o '=== job start .*' \
		"$log/vm-${lines[0]}-amd64.out" | cut -d' ' -f4)"
	sed -n 's/^# capacity| //p' "$log/vm-${lines[0]}-amd64.out"
} > "$log/capacity.txt"
# the reliability figures the guest tests print, for docs/reliability.md
figures() {
	local f job
	for f in "$log"/vm-*.out; do
		job=$(basename "$f" .out)
		sed -n "s/^# $1: /${job#vm-}: /p" "$f"
	done
}
{
	echo "# connect() under contention: 8 processes x 50 connect()s to one destination (connect-concurrent)"
	figures connect-concurrent
	echo "# bind(0) over an empty range shifted by 2 and back, width kept (bind-range-same-width)"
	figures bind-range-same-width
} > "$log/reliability.txt"
echo "$(date -u +%F): $passed passed, $failed failed, $skipped skipped in $((SECONDS - start)) s; lines: $(for l in "${lines[@]}"; do printf '%s (%s) ' "$l" "$(EPHPORT_LINE=$l "$top/tests/vm/vm.sh" abi)"; done)" \
	> "$log/summary.txt"
echo "# $((SECONDS - start)) s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
