# SPDX-License-Identifier: GPL-2.0
# Test job: the module's life cycle around the guest scenarios.  Every
# check prints "ok - NAME" or "not ok - NAME"; the host counts them.
. /lib.sh

# detail=candidates at load attaches the lookup probe that checks the model
check insmod insmod /modules/ephport.ko detail=candidates
cat $D/probes
check probes-attached grep -q "inet_csk_get_port kretprobe attached" $D/probes
check lookup-probe-attached grep -q "inet_bind2_bucket_find kprobe attached" $D/probes
# where udp_lib_get_port() receives its draw, learned at load
check udp-draw-site-learned grep -q "udp_lib_get_port:get_random_u32 kprobe attached" $D/probes
check connect-probes-attached sh -c "grep -q '__inet_hash_connect kretprobe attached' $D/probes &&
	grep -q '__inet_check_established kretprobe attached' $D/probes &&
	grep -q '__inet6_check_established kretprobe attached' $D/probes"
# connect()'s load of its slot's value, found in GCC's code of Debian's kernels
case $(uname -r) in
*-amd64) check connect-slot-load-found grep -q "__inet_hash_connect:table_perturb kprobe attached" $D/probes ;;
esac
# where get_port receives each draw, with its bound (and 7.x's connect() its
# stride): no probe on the random functions themselves, which the whole
# kernel calls
grep -qw inet_csk_find_open_port /proc/kallsyms && draws_in=inet_csk_find_open_port || draws_in=inet_csk_get_port
check draw-sites-learned sh -c "grep -q '$draws_in:__get_random_u32_below kprobe attached' $D/probes &&
	if [ -e /proc/sys/net/ipv4/ip_local_port_step_width ]; then
		grep -q '__inet_hash_connect:__get_random_u32_below kprobe attached' $D/probes
	else
		grep -q '__inet_hash_connect:__get_random_u32_below kprobe not attached (connect() draws no stride here)' $D/probes
	fi"
check no-probe-on-random-functions sh -c '! grep -E " (__get_random_u32_below|get_random_u32)\+" /sys/kernel/debug/kprobes/list'
# get_port's calls creating its buckets: a failed allocation is not a range run dry
check bucket-sites-found sh -c "grep -q 'inet_csk_get_port:inet_bind_bucket_create ftrace attached' $D/probes &&
	grep -q 'inet_csk_get_port:inet_bind2_bucket_create ftrace attached' $D/probes"
if grep -qw inet_csk_find_open_port /proc/kallsyms; then
	check find-open-port-probed grep -q "inet_csk_find_open_port kretprobe attached" $D/probes
else
	check probes-inlined-reported grep -q "inet_csk_find_open_port kretprobe missing" $D/probes
fi
# connect()'s table, found in __inet_hash_connect()'s code at load, as its slot's load
case $(uname -r) in
*-amd64) check perturb-table-found-at-load grep -q perturb_table=set $D/control ;;
esac
# one the module does not know, the reader tells it from kallsyms
check reader-sets-perturb-table sh -c 'echo perturb_table=0 > $D/control &&
	grep -q perturb_table=unset $D/control &&
	ephport show > /dev/null && grep -q "perturb_table=set" $D/control'
scenarios all || failed=1
cat $D/stats
check no-untracked grep -q "^untracked 0$" $D/stats
check no-model-mismatch grep -q "^model_mismatch 0$" $D/stats
if grep -qw inet_csk_find_open_port /proc/kallsyms; then
	check find-open-port-hits sh -c '! grep -q "^probe inet_csk_find_open_port hits 0 " $D/stats'
fi
echo detail=passes > $D/control
check reader-duration sh -c 'ephport watch --duration 1 --json > /dev/null'
check reader-sigint-restores-detail sh -c 'ephport watch --candidates > /dev/null & p=$!
	sleep 1; grep -q detail=candidates $D/control && kill -INT $p && wait $p &&
	grep -q detail=passes $D/control'
echo "32768 32768" > /proc/sys/net/ipv4/ip_local_port_range
two-servers > /dev/null
echo "32768 60999" > /proc/sys/net/ipv4/ip_local_port_range
check reader-explain-failed sh -c 'ephport explain --failed | grep -q "failed with EADDRINUSE"'
# the README's five minutes, the reader's side: one program's bind() shown and
# explained, then a connect() explained with its slot's value known
check readme-five-minutes sh -c 'two-servers > /dev/null &&
	ephport show --comm two-servers --no-color | grep -q "=> port" &&
	ephport explain | grep -q "picked a port in inet_csk_get_port()" && parity 1 > /dev/null &&
	ephport explain > /tmp/explain && grep -q "picked one in __inet_hash_connect()" /tmp/explain &&
	! grep -q "unknown" /tmp/explain'
check reader-stats sh -c 'ephport stats | grep -q "ports chosen in"'
check rmmod rmmod ephport
check reader-no-module sh -c 'ephport show; [ $? -eq 3 ]'
# ephport capacity needs no module: its forecasts against the searches made
capacity-forecast || failed=1
umount /sys/kernel/debug
check reader-no-debugfs sh -c 'ephport show; [ $? -eq 4 ]'
mount -t debugfs debugfs /sys/kernel/debug
check insmod-small-ring insmod /modules/ephport.ko ring_size=64 detail=searches
scenarios ring-overflow search-larger-than-ring end-pushes-out-begin || failed=1
check rmmod-again rmmod ephport
# ring_size is rounded up to a power of two
check insmod-ring-rounded sh -c 'insmod /modules/ephport.ko ring_size=100 &&
	grep -q "^ring_size 128$" $D/stats && rmmod ephport'
# where connect()'s load of its slot is not found: the slot read around it
check insmod-no-slot-load sh -c 'insmod /modules/ephport.ko slot_load=0 &&
	grep -q "table_perturb kprobe not attached (loaded with slot_load=0)" $D/probes'
# the slot read through the table the module found (connect-perturb-unknown forgets it)
scenarios connect-concurrent connect-perturb-unknown || failed=1
check rmmod-no-slot-load rmmod ephport
check insmod-bad-detail not insmod /modules/ephport.ko detail=bogus
check insmod-bad-ring not insmod /modules/ephport.ko ring_size=1
check insmod-again insmod /modules/ephport.ko
scenarios connect-first-after-load || failed=1
# a sysctl call already running at load: searches unsure until it ends (reloads)
scenarios sysctl-in-flight-at-load || failed=1
# lockdown is one-way, so it comes last: read-only files stay open, control closes
echo integrity > /sys/kernel/security/lockdown
check lockdown-reads sh -c 'two-servers >/dev/null && ephport show --no-color | grep -q "=> port"'
check lockdown-control-closed sh -c 'test -e $D/control && ! cat $D/control'
check lockdown-reader-exit-6 sh -c 'ephport watch --candidates --count 1; [ $? -eq 6 ]'
# confidentiality, raised with the module loaded: connect()'s secrets stay in
check lockdown-not-yet-withheld sh -c '! grep -q withheld $D/probes'
echo confidentiality > /sys/kernel/security/lockdown
scenarios lockdown-secrets || failed=1
check lockdown-withheld-logged sh -c 'dmesg | grep -q "Lockdown: .*kprobes is restricted"'
check rmmod-last rmmod ephport
exit $failed
