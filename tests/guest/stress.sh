# SPDX-License-Identifier: GPL-2.0
# Stress job (4 vCPUs): tests/guest/stress.c for EPHPORT_STRESS_SECONDS
# (default 40), then the module's memory must be gone: its vmalloc'd ring,
# and on a kmemleak kernel every unreferenced object.
. /lib.sh

check insmod insmod /modules/ephport.ko
secs=${EPHPORT_STRESS_SECONDS:-40}
# should it hang, say where before the host's timeout ends the VM
( sleep $((secs + 90)); echo "# stress still running: blocked tasks and stacks"
  echo w > /proc/sysrq-trigger
  for p in /proc/[0-9]*; do
	grep -q stress "$p/comm" 2>/dev/null && { echo "== $p $(cut -d' ' -f3 "$p/stat")"; cat "$p/stack"; }
  done ) &
dog=$!
stress "$secs" /modules/ephport.ko || failed=1
kill $dog
check rmmod rmmod ephport
check ring-freed sh -c '! grep -q ephport /proc/vmallocinfo'
if [ -e /sys/kernel/debug/kmemleak ]; then
	echo scan > /sys/kernel/debug/kmemleak
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	check kmemleak-clean sh -c '! grep -A12 unreferenced /sys/kernel/debug/kmemleak | grep -q .'
	head -n 40 /sys/kernel/debug/kmemleak
fi
exit $failed
