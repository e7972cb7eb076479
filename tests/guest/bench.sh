# SPDX-License-Identifier: GPL-2.0
# Benchmark job: every configuration in the same boot, interleaved (the
# order flips every round) so that drift cancels.  Prints BENCH, LOSS and
# MEM lines for tests/bench/report.py.
D=/sys/kernel/debug/ephport
T=/sys/kernel/tracing
mount -t tracefs tracefs $T
# No comm recording: toggling it re-patches sched_switch with int3 on every
# enable/disable, and under TCG that once left a CPU spinning in __schedule.
echo 0 > $T/options/record-cmd
ROUNDS=${EPHPORT_BENCH_ROUNDS:-7}
N=1000
SWEEP_N=300
SWEEP_ROUNDS=5
configs="none searches passes candidates candidates+reader ftrace-searches ftrace-passes ftrace-candidates"
# virtual time repeats to the nanosecond: a few rounds show the same
if [ "${EPHPORT_ICOUNT:-0}" = 1 ]; then
	ROUNDS=3
	SWEEP_ROUNDS=2
fi

# The peer: ftrace kprobe events on the same probe points, one set per detail.
ftrace_probes() {
	echo "p:eb/get_port inet_csk_get_port snum=%si:u16"
	echo "r:eb/get_port_ret inet_csk_get_port ret=\$retval:s32"
	echo "p:eb/draw __get_random_u32_below ceil=%di:u32"
	echo "r:eb/draw_ret __get_random_u32_below ret=\$retval:u32"
	case $1 in passes|candidates)
		echo "p:eb/range inet_sk_get_local_port_range low=%si:x64 high=%dx:x64"
		echo "r:eb/range_ret inet_sk_get_local_port_range" ;;
	esac
	if [ "$1" = candidates ]; then
		echo "p:eb/lookup inet_bind2_bucket_find port=%dx:u16"
	fi
}

setup() {
	case $1 in
	none) ;;
	ftrace-*)
		ftrace_probes ${1#ftrace-} > $T/kprobe_events
		[ -d $T/events/eb ] || echo "ftrace setup failed"
		echo 1 > $T/events/eb/enable
		echo 1 > $T/tracing_on
		cat $T/trace_pipe > /dev/null &
		reader=$! ;;
	*)
		insmod /modules/ephport.ko
		echo "detail=${1%+reader}" > $D/control
		case $1 in *+reader) cat $D/events_pipe > /dev/null & reader=$! ;; esac ;;
	esac
}

teardown() {
	[ -n "$reader" ] && kill $reader && wait $reader 2>/dev/null
	reader=
	case $1 in
	none) ;;
	ftrace-*) echo 0 > $T/events/eb/enable; echo > $T/kprobe_events ;;
	*) rmmod ephport ;;
	esac
}

measure() { # config round occupancy iterations low high
	setup $1
	bench "$@"
	teardown $1
}

reverse() { for w in "$@"; do r="$w $r"; done; echo $r; r=; }

round=0
while [ $round -lt $ROUNDS ]; do
	order=$configs
	[ $((round % 2)) -eq 1 ] && order=$(reverse $configs)
	for c in $order; do measure $c $round 0 $N 32768 60999; done
	round=$((round + 1))
done

round=0
while [ $round -lt $SWEEP_ROUNDS ]; do
	for occupancy in 0 50 90 99; do
		order="none passes candidates+reader"
		[ $((round % 2)) -eq 1 ] && order=$(reverse $order)
		for c in $order; do
			measure $c $round $occupancy $SWEEP_N 40000 41999
		done
	done
	round=$((round + 1))
done

if [ "${EPHPORT_ICOUNT:-0}" != 1 ]; then
	# loss with the reader stopped: a ring of 64 overflows
	insmod /modules/ephport.ko ring_size=64 detail=passes
	bench loss 32768 60999 200
	rmmod ephport

	for size in 64 8192 65536 1048576; do
		insmod /modules/ephport.ko ring_size=$size
		echo "MEM,$size,$(awk '$1 == "ephport" {print $2}' /proc/modules),$(awk '$1 == "ring_bytes" {print $2}' $D/stats)"
		rmmod ephport
	done
fi
echo "BENCH-DONE"
