# SPDX-License-Identifier: GPL-2.0
# DKMS job: the module as DKMS installed it, loaded the way users load it.
. /lib.sh

check depmod depmod
check modprobe-with-parameters modprobe ephport ring_size=128 detail=searches
check parameter-ring-size grep -qx 128 /sys/module/ephport/parameters/ring_size
check parameter-detail grep -q "detail=searches" $D/control
# the preempted writer runs on PREEMPT_RT kernels (SKIP elsewhere)
scenarios seed-ipv6 seed-ipv4 preempted-writer || failed=1
check modprobe-r modprobe -r ephport
check unloaded sh -c '! grep -q "^ephport " /proc/modules'
# connect() under contention on PREEMPT_RT, whose lock has another name
# (the walk comes from the slot's value alone there)
case $(uname -r) in
*-rt-*)
	check modprobe-rt modprobe ephport
	scenarios connect-concurrent || failed=1
	check modprobe-r-rt modprobe -r ephport ;;
esac
exit $failed
