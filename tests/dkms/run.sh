#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# DKMS for real (Debian 6.12 kernels get ephport.ko.xz): builds and
# installs the module with dkms for the generic, cloud and PREEMPT_RT
# flavours of every kernel line (the kernels bookworm's linux-headers-amd64
# and linux-headers-6.12-amd64 point to here; trixie-backports'
# linux-headers-amd64 in the newest line's trixie chroot, as a Debian 13
# user's dkms builds it), then boots each with the installed module and
# loads it with modprobe.  Leaves DKMS as it found it.  Prints ok/not ok
# lines, each named LINE-FLAVOUR-...
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
version=$(cat "$top/VERSION")
log=${EPHPORT_RESULTS:-$top/results}
mkdir -p "$log"

. "$top/tests/lib.sh"

dpkg-query -W -f='${Status}' dkms 2>/dev/null | grep -q "ok installed" ||
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends dkms >/dev/null

newest=$top/tests/vm/newest.sh
newest_line=$("$newest" line)
# the newest line's dkms, in its chroot, on a copy of the tree
in_chroot() { "$newest" chroot "$@"; }
in_chroot sh -c 'command -v dkms >/dev/null || apt-get install -y -q --no-install-recommends dkms' \
	> "$log/dkms.out" 2>&1
chroot_tree=$("$newest" tree)
in_chroot make -C "$chroot_tree" dkms-uninstall >> "$log/dkms.out" 2>&1
make -s -C "$top" dkms-uninstall >> "$log/dkms.out" 2>&1
for line in $("$top/tests/vm/vm.sh" lines); do
	abi=$(EPHPORT_LINE=$line "$top/tests/vm/vm.sh" abi)
	first=1 root=
	[ "$line" != "$newest_line" ] || root=$("$newest" root)
	for flavour in amd64 cloud-amd64 rt-amd64; do
		kver=$abi-$flavour name=$line-$flavour
		echo "# dkms: $kver"
		export EPHPORT_LINE=$line EPHPORT_FLAVOUR=$flavour
		"$top/tests/vm/vm.sh" setup >> "$log/dkms.out" 2>&1
		if [ -n "$root" ] && [ $first = 1 ]; then
			in_chroot make -C "$chroot_tree" dkms-install KERNELRELEASE="$kver" >> "$log/dkms.out" 2>&1
		elif [ -n "$root" ]; then
			in_chroot dkms install -m ephport -v "$version" -k "$kver" >> "$log/dkms.out" 2>&1
		elif [ $first = 1 ] && [ "$line" = 6.1 ]; then	# the user's way in, once
			make -C "$top" dkms-install KERNELRELEASE="$kver" >> "$log/dkms.out" 2>&1
		else
			dkms install -m ephport -v "$version" -k "$kver" >> "$log/dkms.out" 2>&1
		fi
		rc=$?
		first=0
		[ $rc -eq 0 ] && ls "$root/lib/modules/$kver/updates/dkms/"ephport.ko* >/dev/null 2>&1 || rc=1
		result "$name-dkms-install" $rc
		[ $rc -eq 0 ] || { tail -n 20 "$log/dkms.out"; continue; }
		EPHPORT_MODULES=dkms vm_job "$name-dkms" dkms
	done
done

# a kernel dkms.conf excludes: skipped (status 77) with a message, not failed
fake=$(mktemp -d)
out=$(dkms build -m ephport -v "$version" -k 5.10.0-99-amd64 --kernelsourcedir "$fake" 2>&1)
rc=$?
rm -rf "$fake"
[ $rc -eq 77 ] && echo "$out" | grep -q "BUILD_EXCLUSIVE directive which does not match"
result dkms-skips-5.10 $?

make -C "$top" dkms-uninstall >> "$log/dkms.out" 2>&1 &&
	! dkms status -m ephport | grep -q . && [ ! -e "/usr/src/ephport-$version" ]
result dkms-uninstall $?
in_chroot make -C "$chroot_tree" dkms-uninstall >> "$log/dkms.out" 2>&1 &&
	! in_chroot dkms status -m ephport | grep -q . &&
	[ ! -e "$("$newest" root)/usr/src/ephport-$version" ]
result "$newest_line-dkms-uninstall" $?
