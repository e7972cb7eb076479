# SPDX-License-Identifier: GPL-2.0
# Test job: the module's life cycle around the guest scenarios.  Every
# check prints "ok - NAME" or "not ok - NAME"; the host counts them.
D=/sys/kernel/debug/ephport
failed=0

check() {
	local name=$1
	shift
	if "$@" >/tmp/out 2>&1; then
		echo "ok - $name"
	else
		echo "not ok - $name: $(head -c 300 /tmp/out)"
		failed=1
	fi
}

refuse() {
	local name=$1
	shift
	if "$@" >/tmp/out 2>&1; then
		echo "not ok - $name: accepted"
		failed=1
	else
		echo "ok - $name"
	fi
}

check insmod insmod /modules/ephport.ko
cat $D/probes
check probes-attached grep -q "inet_csk_get_port kretprobe attached" $D/probes
check probes-inlined-reported grep -q "inet_csk_find_open_port kretprobe missing" $D/probes
scenarios all || failed=1
cat $D/stats
check no-untracked grep -q "^untracked 0$" $D/stats
check no-model-mismatch grep -q "^model_mismatch 0$" $D/stats
check rmmod rmmod ephport
check insmod-small-ring insmod /modules/ephport.ko ring_size=64 detail=searches
scenarios ring-overflow || failed=1
check rmmod-again rmmod ephport
refuse insmod-bad-detail insmod /modules/ephport.ko detail=bogus
refuse insmod-bad-ring insmod /modules/ephport.ko ring_size=1
check insmod-again insmod /modules/ephport.ko
check rmmod-last rmmod ephport
exit $failed
