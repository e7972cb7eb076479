# SPDX-License-Identifier: GPL-2.0
# Shared by the host-side test scripts, which print "ok - NAME" or
# "not ok - NAME" lines for tests/run-all.sh to count.  Callers set $top
# (the tree) and $log (the results folder).

result() { if [ "$2" -eq 0 ]; then echo "ok - $1"; else echo "not ok - $1"; fi; }

# vm_job NAME JOB: boots tests/guest/JOB.sh with the EPHPORT_* settings of
# the environment; prints the kernel it ran, the job's checks as NAME-CHECK
# and NAME-console-clean, and on failure the end of its output.
vm_job() {
	local name=$1 job=$2 out=$log/vm-$1.out rc
	EPHPORT_VM_TIMEOUT=${EPHPORT_VM_TIMEOUT:-300} "$top/tests/vm/vm.sh" run "$job" \
		"$log/console-$name.log" > "$out" 2>&1
	rc=$?
	echo "# $name: $(grep -m1 '^=== job start' "$out")"
	grep -E '^# stress' "$out"
	grep -E '^(not )?ok - ' "$out" | sed -E "s/^((not )?ok - )/\1$name-/"
	result "$name-console-clean" $rc
	[ $rc -eq 0 ] || tail -n 40 "$out" | sed 's/^/    /'
}
