# SPDX-License-Identifier: GPL-2.0
# Job for a kernel booted with debugfs=off: the module refuses to load with
# one sentence saying why, and the reader says where to look.
. /lib.sh

check insmod-refused not insmod /modules/ephport.ko
check insmod-says-why sh -c 'dmesg | grep -q "ephport: debugfs is unavailable (-EPERM), so the trace has nowhere to go: is debugfs=off on the kernel command line?"'
check not-loaded sh -c '! grep -q "^ephport " /proc/modules'
check reader-exit-4 sh -c 'ephport show 2>/tmp/err; [ $? -eq 4 ]'
check reader-says-debugfs-off grep -q "debugfs is switched off on the kernel command line (debugfs=off" /tmp/err
exit $failed
