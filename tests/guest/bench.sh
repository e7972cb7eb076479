# SPDX-License-Identifier: GPL-2.0
# Benchmark job: every configuration in the same boot, interleaved (the
# order flips every round) so that drift cancels.  Prints BENCH, READER,
# READ, LOSS and MEM lines for tests/bench/report.py.
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
configs="none floor filtered searches passes passes+reader passes+record passes+watch candidates candidates+reader candidates+record ftrace-searches ftrace-passes ftrace-candidates bindsnoop bpftrace"
sweep_configs="none passes passes+reader passes+record candidates+reader candidates+record ftrace-passes bindsnoop"
# The workload runs on CPU 0; a reader on the other CPU when there is one
# (TCG -smp 2), else beside it (icount -smp 1), where it shares its cost.
READER_CPU=$(($(grep -c ^processor /proc/cpuinfo) > 1 ? 1 : 0))
OUT=/tmp/reader.out
BPFTRACE='kprobe:inet_csk_get_port /arg1 == 0/ { @start[tid] = nsecs; }
kretprobe:inet_csk_get_port /@start[tid]/ {
	printf("%d %s %d %d\n", pid, comm, retval, nsecs - @start[tid]);
	delete(@start[tid]);
}'

without() { # WORD LIST...: the list without WORD
	local word=$1 w out=
	shift
	for w in "$@"; do [ "$w" = "$word" ] || out="$out $w"; done
	echo $out
}

# bpftrace says "Attaching N probes..." once it has attached: up to 60 s
# under TCG, where it compiles its program with LLVM.
attached() {
	local i=0
	while [ $i -lt 60 ] && kill -0 $reader 2>/dev/null; do
		grep -q Attaching $OUT && return 0
		sleep 1
		i=$((i + 1))
	done
	return 1
}
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

# Every reader writes what it reads to a file, as a user would.
setup() {
	case $1 in
	none) ;;
	ftrace-*)
		ftrace_probes ${1#ftrace-} > $T/kprobe_events
		[ -d $T/events/eb ] || echo "ftrace setup failed"
		echo 1 > $T/events/eb/enable
		echo 1 > $T/tracing_on
		taskset -c $READER_CPU cat $T/trace_pipe > $OUT &
		reader=$! ;;
	bindsnoop)
		taskset -c $READER_CPU bindsnoop > $OUT 2>&1 &
		reader=$!
		# attached once it has loaded its programs: no output says when
		sleep 3 ;;
	bpftrace)
		taskset -c $READER_CPU bpftrace -e "$BPFTRACE" > $OUT 2>&1 &
		reader=$!
		attached ;;
	floor)
		# an empty kretprobe on the walk's function: no tracer costs less
		insmod /modules/floor.ko symbol=inet_csk_get_port ;;
	filtered)
		# loaded, tracing another process: what its probes cost outside a search
		insmod /modules/ephport.ko
		echo "detail=passes pid=1" > $D/control ;;
	*)
		# passes+reader: cat of the text; +record: ephport record, the
		# binary records; +watch: ephport watch, which decodes them into
		# its human view
		insmod /modules/ephport.ko
		echo "detail=${1%+*}" > $D/control
		case $1 in
		*+reader) taskset -c $READER_CPU cat $D/events_pipe > $OUT & ;;
		*+record) taskset -c $READER_CPU ephport record -o $OUT 2>/dev/null & ;;
		*+watch) taskset -c $READER_CPU ephport watch --no-color > $OUT & ;;
		esac
		case $1 in *+*) reader=$! ;; esac ;;
	esac
}

teardown() {
	[ -n "$reader" ] && kill $reader && wait $reader 2>/dev/null
	reader=
	rm -f $OUT
	case $1 in
	none) ;;
	ftrace-*) echo 0 > $T/events/eb/enable; echo > $T/kprobe_events ;;
	floor) rmmod floor ;;
	*) rmmod ephport ;;
	esac
}

reader_ns() { cut -d' ' -f1 /proc/$reader/schedstat; }

measure() { # config round occupancy iterations low high
	setup $1
	[ -z "$reader" ] || reader_start=$(reader_ns)
	taskset -c 0 bench "$@"
	# READER,config,ports,occupancy,round,iterations,ns: the reader's own CPU
	# time while the workload ran (not loading its programs)
	[ -z "$reader" ] ||
		echo "READER,$1,$(($6 - $5 + 1)),$3,$2,$4,$(($(reader_ns) - reader_start))"
	teardown $1
}

# bindsnoop 0.26 (Debian 12) cannot load on kernels whose struct inet_sock
# lost its freebind bit field (6.12): say so and leave it out.
bindsnoop > $OUT 2>&1 &
sleep 3
if ! kill $! 2>/dev/null; then
	echo "PEER,bindsnoop,unavailable,$(grep -m1 -o 'failed to resolve CO-RE relocation.*' $OUT)"
	configs=$(without bindsnoop $configs)
	sweep_configs=$(without bindsnoop $sweep_configs)
fi
wait
# bpftrace's one-liner: each search's pid, comm, result and time, as
# bindsnoop prints for every bind.
bpftrace -e "$BPFTRACE" > $OUT 2>&1 &
reader=$!
if attached; then
	kill $reader
else
	echo "PEER,bpftrace,unavailable,$(head -c 200 $OUT | tr '\n,' '  ')"
	configs=$(without bpftrace $configs)
	sweep_configs=$(without bpftrace $sweep_configs)
	kill $reader 2>/dev/null
fi
wait
reader=
rm -f $OUT

reverse() { for w in "$@"; do r="$w $r"; done; echo $r; r=; }

# EPHPORT_BENCH_ONLY: a comma-separated list of configurations, at an
# empty range.
case ${EPHPORT_BENCH_ONLY:-} in
'') ;;
*)
	configs=$(echo "$EPHPORT_BENCH_ONLY" | tr , ' ')
	sweep_configs= ;;
esac

round=0
while [ $round -lt $ROUNDS ]; do
	order=$configs
	[ $((round % 2)) -eq 1 ] && order=$(reverse $configs)
	for c in $order; do measure $c $round 0 $N 32768 60999; done
	round=$((round + 1))
done

# connect() and UDP, untraced, traced at detail=passes, with the module
# loaded but tracing another process (pid=1): what its probes cost outside
# a search, and with the floor module's empty kretprobe on the walk's
# function instead.
walk_function() { # udp|connect: the function its walk starts in
	case $1 in udp) echo udp_lib_get_port ;; connect) echo __inet_hash_connect ;; esac
}

walks() {
	local round=0 c kind
	while [ $round -lt $ROUNDS ]; do
		order="none floor filtered passes"
		[ $((round % 2)) -eq 1 ] && order=$(reverse $order)
		for c in $order; do
			case $c in
			none | floor) ;;
			*)
				insmod /modules/ephport.ko detail=passes
				[ $c = filtered ] && echo pid=1 > $D/control ;;
			esac
			for kind in udp connect; do
				[ $c = floor ] && insmod /modules/floor.ko symbol=$(walk_function $kind)
				taskset -c 0 bench walk $kind $c $round $N
				[ $c = floor ] && rmmod floor
			done
			case $c in none | floor) ;; *) rmmod ephport ;; esac
		done
		round=$((round + 1))
	done
}
walks

# Reading 3000 records (750 searches at detail=passes), text and binary,
# and the same with the baseline module when make bench was given one.
for ko in ephport baseline; do
	[ -f /modules/$ko.ko ] || continue
	for f in events events_pipe records records_pipe; do
		# the baseline has no binary files
		[ $ko = ephport ] || [ "${f#records}" = "$f" ] || continue
		insmod /modules/$ko.ko detail=passes
		taskset -c 0 bench read $ko-$f $D/$f 750
		rmmod ephport
	done
done

[ -n "$sweep_configs" ] || { echo "BENCH-DONE"; exit 0; }

round=0
while [ $round -lt $SWEEP_ROUNDS ]; do
	for occupancy in 0 50 90 99; do
		order=$sweep_configs
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
