# SPDX-License-Identifier: GPL-2.0
# Shared by the guest jobs: each check prints "ok - NAME" or "not ok - NAME",
# which the host counts; a failed one also sets failed=1 for the job's status.
export D=/sys/kernel/debug/ephport
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

# check NAME not COMMAND...: the command must fail
not() {
	! "$@"
}
