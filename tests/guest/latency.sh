# SPDX-License-Identifier: GPL-2.0
# Latency job (the bench's, on an rt kernel, -icount -smp 1): how long the
# module's handlers keep CPU 0 from preempting, seen by the kernel's own
# timerlat tracer, whose thread on CPU 0 wakes every millisecond and
# records how late it ran.  The worst searches of each walk (the range
# held but its last port, see latency.c) run on CPU 0 untraced (module not
# loaded) and at each detail level; the largest thread latency of each is
# printed as a LATENCY line for tests/bench/run.sh.
. /lib.sh
T=/sys/kernel/tracing
mount -t tracefs tracefs $T 2>/dev/null
SECS=${EPHPORT_LATENCY_SECONDS:-5}
WIDTH=1000

grep -qw timerlat $T/available_tracers || { echo "not ok - latency: no timerlat tracer"; exit 1; }
echo 40000 $((40000 + WIDTH - 1)) > /proc/sys/net/ipv4/ip_local_port_range
echo 0 > $T/osnoise/cpus
echo 1000 > $T/osnoise/timerlat_period_us
echo 8192 > $T/buffer_size_kb

# measure CONFIG KIND: one run of KIND's searches under timerlat
measure() {
	local config=$1 kind=$2 out max samples
	echo 0 > $T/tracing_on
	echo timerlat > $T/current_tracer
	echo > $T/trace
	echo 1 > $T/tracing_on
	out=$(latency "$kind" "$SECS" 2>&1) || { echo "not ok - latency-$config-$kind: $out"; failed=1; }
	echo 0 > $T/tracing_on
	# "... #N context thread timer_latency  12345 ns"
	max=$(awk '/context +thread/ { for (i = 1; i < NF; i++) if ($(i + 1) == "ns") print $i }' \
		$T/trace | sort -n | tail -n 1)
	samples=$(grep -c 'context *thread' $T/trace)
	echo nop > $T/current_tracer
	echo "LATENCY $config $kind max_ns=${max:-0} samples=$samples $out"
}

for kind in udp bind connect; do
	measure untraced $kind
done
check insmod insmod /modules/ephport.ko
for detail in searches passes candidates; do
	echo "clear detail=$detail" > $D/control
	for kind in udp bind connect; do
		measure $detail $kind
	done
done
# every search traced (none untracked: no slot free), and how many capped
echo "LATENCY-STATS $(grep -E '^(searches|untracked|capped) ' $D/stats | tr '\n' ' ')"
check rmmod rmmod ephport
echo LATENCY-DONE
exit $failed
