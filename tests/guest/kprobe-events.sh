# SPDX-License-Identifier: GPL-2.0
# Not run by ./check: shows that the crash the stress test once met is not
# ephport's.  Without the module, six bind() loops run while kprobe_events
# adds and removes probes on inet_csk_get_port, __get_random_u32_below and
# inet_bind2_bucket_find every 2 s.  Under qemu TCG with 4 vCPUs, Debian's
# 6.1.0-56 and 6.12.117 both oops within seconds with RIP 0 in bind().
#   EPHPORT_VM_CPUS=4 tests/vm/vm.sh run kprobe-events
. /lib.sh
T=/sys/kernel/debug/tracing
for i in 1 2 3 4 5 6; do
	( while :; do bench x 0 0 2000 32768 60999 >/dev/null 2>&1; done ) &
done
n=0
end=$(($(date +%s) + 40))
while [ "$(date +%s)" -lt $end ]; do
	echo 'r:gp inet_csk_get_port $retval' > $T/kprobe_events
	echo 'r:dr __get_random_u32_below $retval' >> $T/kprobe_events
	echo 'p:lk inet_bind2_bucket_find' >> $T/kprobe_events
	echo 1 > $T/events/kprobes/enable
	sleep 2
	echo 0 > $T/events/kprobes/enable
	echo > $T/kprobe_events
	n=$((n + 1))
done
echo "# $n cycles of kprobe_events under bind() load"
check survived true
exit $failed
