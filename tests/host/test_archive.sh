#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The setup steps against the archive as it is today: every line's meta
# package resolves to a kernel whose images and headers are there for the
# three flavours, point-release differences are handled (the guest's modules
# plain, xz, zstd, gzip or absent), and what cannot be had is named.  Prints
# "ok - NAME" or "not ok - NAME" for each.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
vm=$top/tests/vm/vm.sh
cache=${EPHPORT_CACHE:-/var/cache/ephport}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

result() { if [ "$2" -eq 0 ]; then echo "ok - archive-$1"; else echo "not ok - archive-$1${3:+: $3}"; fi; }

for line in $("$vm" lines); do
	abi=$(EPHPORT_LINE=$line "$vm" abi 2>&1)
	case $line in
	6.1) pattern='^6\.1\.0-[0-9]+$' ;;
	6.12) pattern='^6\.12\.[0-9]+\+deb12$' ;;
	*) pattern="^${line//./\\.}\\.[0-9]+\\+deb1[3-9]\$" ;;
	esac
	[[ $abi =~ $pattern ]]
	result "$line-abi-resolves" $? "'$abi'"
	for flavour in amd64 cloud-amd64 rt-amd64; do
		EPHPORT_LINE=$line EPHPORT_FLAVOUR=$flavour "$vm" setup > "$work/setup.out" 2>&1
		dir=$cache/kernel-$abi-$flavour
		file -L "$dir/vmlinuz" 2>/dev/null | grep -q 'Linux kernel x86 boot executable'
		result "$line-$flavour-kernel" $? "no kernel in $dir"
	done
done

# the guest's modules as a point release may ship them
mods=$top/tests/vm/modules.sh
mkdir -p "$work/kernel/net/dccp" "$work/kernel/net/ipv4"
printf 'plain' > "$work/kernel/net/dccp/dccp.ko"
printf 'xz' | xz > "$work/kernel/net/dccp/dccp_ipv4.ko.xz"
printf 'zstd' | zstd -q > "$work/kernel/net/dccp/dccp_ipv6.ko.zst"
printf 'gz' | gzip > "$work/kernel/net/ipv4/inet_diag.ko.gz"
"$mods" "$work/kernel" "$work/out" 2>/dev/null &&
	[ "$(cat "$work/out/dccp.ko" "$work/out/dccp_ipv4.ko" "$work/out/dccp_ipv6.ko" \
		"$work/out/inet_diag.ko")" = plainxzzstdgz ]
result modules-any-compression $?
rm -rf "$work/out"
out=$("$mods" "$work/none" "$work/out" 2>&1)
[ $? -eq 0 ] && [ -z "$(ls -A "$work/out")" ] && echo "$out" | grep -q 'has no module net/dccp/dccp$'
result modules-absent-not-fatal $?
printf 'x' > "$work/kernel/net/dccp/dccp.ko.lz4" && rm "$work/kernel/net/dccp/dccp.ko"
out=$("$mods" "$work/kernel" "$work/out" 2>&1)
[ $? -eq 2 ] && echo "$out" | grep -q 'dccp.ko.lz4: unknown module compression'
result modules-unknown-compression-named $?
# what the archive's kernels ship today: inet_diag's, for ephport capacity
for line in $("$vm" lines); do
	abi=$(EPHPORT_LINE=$line "$vm" abi)
	ls "$cache/kernel-$abi-amd64/modules/tcp_diag.ko" > /dev/null 2>&1
	result "$line-guest-has-sock-diag" $?
done

# a kernel the archive does not have: the package and version are named
abi=$(EPHPORT_LINE=6.1 "$vm" abi)
out=$(EPHPORT_LINE=6.1 EPHPORT_FLAVOUR=nosuch-amd64 "$vm" setup 2>&1)
[ $? -eq 2 ] && echo "$out" | grep -q "cannot install .*linux-headers-$abi-nosuch-amd64"
result missing-package-named $? "$out"
out=$(EPHPORT_FLAVOUR=nosuch-amd64 "$top/tests/vm/newest.sh" setup nosuch-amd64 2>&1)
[ $? -eq 2 ] && echo "$out" | grep -q "linux-headers-$("$top/tests/vm/newest.sh" abi)-nosuch-amd64"
result newest-missing-package-named $? "$out"
out=$(EPHPORT_LINE=5.10 "$vm" abi 2>&1)
[ $? -eq 2 ] && echo "$out" | grep -q "EPHPORT_LINE=5.10: expected one of 6.1 6.12 "
result unknown-line-refused $? "$out"
