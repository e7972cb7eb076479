#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The fleet path, end to end on this machine: the metrics service and timer
# pass systemd-analyze verify; the service's own ExecStart (pointed at a
# scratch folder) writes a file that node_exporter's textfile collector
# reads without error and serves; the Prometheus rules pass promtool's
# checks and unit tests (tests/host/rules.test.yml).
# Needs EPHPORT_PROMTOOL and EPHPORT_NODE_EXPORTER (tests/run-all.sh fetches
# both from Debian's packages).  Prints ok/not ok lines.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=$here/ephport-asan
work=$(mktemp -d)
trap 'kill "$exporter" 2>/dev/null; rm -rf "$work"' EXIT
exporter=

result() { if [ "$2" -eq 0 ]; then echo "ok - textfile-$1"; else echo "not ok - textfile-$1${3:+: $3}"; fi; }

# the units as installed, with the reader where this tree built it
mkdir -p "$work/units" "$work/collector"
for u in service timer; do
	sed -e "s|/usr/sbin/ephport|$bin|" \
	    -e "s|/var/lib/prometheus/node-exporter|$work/collector|g" \
	    "$top/userspace/ephport-metrics.$u" > "$work/units/ephport-metrics.$u"
done
# the man page is not installed here: the deb test checks it
out=$(systemd-analyze verify --man=no "$work/units/ephport-metrics.service" \
	"$work/units/ephport-metrics.timer" 2>&1)
# a setting systemd cannot parse is only warned about: any word is a failure
[ $? -eq 0 ] && [ -z "$out" ]
result units-verify $? "$out"

# what the timer starts: the service's ExecStart, run as systemd would
cmd=$(sed -n 's/^ExecStart=//p' "$work/units/ephport-metrics.service")
ASAN_OPTIONS=detect_leaks=0 $cmd > "$work/exec.out" 2>&1
[ $? -eq 0 ] && [ -s "$work/collector/ephport.prom" ] && ! ls "$work/collector/"*.tmp.* >/dev/null 2>&1
result service-writes-file $? "$(cat "$work/exec.out")"
"$EPHPORT_PROMTOOL" check metrics < "$work/collector/ephport.prom" > "$work/promtool.out" 2>&1
result promtool-metrics $? "$(cat "$work/promtool.out")"

# a failed write leaves neither a cut file nor a temporary one
ASAN_OPTIONS=detect_leaks=0 "$bin" metrics --output "$work/none/ephport.prom" 2>/dev/null
[ $? -eq 1 ] && [ ! -e "$work/none" ]
result failed-write-leaves-nothing $?

# node_exporter's textfile collector reads it: no scrape error, our series served
port=$((20000 + RANDOM % 20000))
"$EPHPORT_NODE_EXPORTER" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$work/collector" \
	> "$work/exporter.out" 2>&1 &
exporter=$!
for _ in $(seq 50); do
	curl -sf "http://127.0.0.1:$port/metrics" > "$work/scrape" 2>/dev/null && break
	sleep 0.1
done
grep -q '^node_textfile_scrape_error 0$' "$work/scrape" &&
	grep -q '^ephport_ports_left{search="bind"} [0-9]' "$work/scrape" &&
	grep -q '^ephport_port_range_low ' "$work/scrape"
result node-exporter-serves $? "$(grep -E 'textfile|error' "$work/scrape" "$work/exporter.out" | head -5)"

"$EPHPORT_PROMTOOL" check rules "$top/userspace/ephport-rules.yml" > "$work/rules.out" 2>&1
result rules-check $? "$(cat "$work/rules.out")"
(cd "$here" && "$EPHPORT_PROMTOOL" test rules rules.test.yml) > "$work/rules-test.out" 2>&1
result rules-unit-tests $? "$(cat "$work/rules-test.out")"
