# SPDX-License-Identifier: GPL-2.0
# Profile job (make bench, under -icount): where the time that tracing adds
# to socket+bind+listen+close goes, traced (passes) and loaded but tracing
# another process (filtered).  perf samples on a clock of virtual
# time, so each sample stands for the same number of instructions; without
# call chains, whose unwinding through kprobe frames would skew the very
# paths measured.  Prints BENCH lines (the medians, without perf) and
# PROF,config,iterations,hz,dso,symbol,samples for the workload's samples
# (perf record follows the command, not the whole machine).
echo 0 > /proc/sys/kernel/kptr_restrict
echo -1 > /proc/sys/kernel/perf_event_paranoid
N=4000
HZ=10000
for c in none filtered passes; do
	[ $c = none ] || insmod /modules/ephport.ko detail=passes
	[ $c = filtered ] && echo pid=1 > /sys/kernel/debug/ephport/control
	taskset -c 0 bench $c 0 0 $N 32768 60999
	perf record -q -F $HZ -o /tmp/p.data -- taskset -c 0 bench $c 0 0 $N 32768 60999 > /dev/null
	# " ADDRESS SYMBOL (DSO)" per sample, of the workload alone
	perf script -i /tmp/p.data -F ip,sym,dso 2>/dev/null | awk -v c=$c -v n=$N -v hz=$HZ '
		NF >= 3 { gsub(/[()]/, "", $NF); count[$NF "," $(NF - 1)]++ }
		END { for (k in count) printf "PROF,%s,%d,%d,%s,%d\n", c, n, hz, k, count[k] }'
	# MODSYM,symbol: the module's own functions, for the report to group
	[ $c = none ] || { awk '$4 == "[ephport]" { print "MODSYM," $3 }' /proc/kallsyms; rmmod ephport; }
done
echo "BENCH-DONE"
