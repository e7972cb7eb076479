#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The setup steps against the archive as it is today: every line's meta
# package resolves to a kernel whose images and headers are there for the
# three flavours, point-release differences are handled (DCCP's modules
# plain, xz, zstd or absent), and what cannot be had is named.  Prints
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

# DCCP's modules as a point release may ship them
mkdir -p "$work/kernel"
printf 'plain' > "$work/kernel/dccp.ko"
printf 'xz' | xz > "$work/kernel/dccp_ipv4.ko.xz"
printf 'zstd' | zstd -q > "$work/kernel/dccp_ipv6.ko.zst"
"$vm" dccp "$work/kernel" "$work/out" &&
	[ "$(cat "$work/out/dccp.ko" "$work/out/dccp_ipv4.ko" "$work/out/dccp_ipv6.ko")" = plainxzzstd ]
result dccp-any-compression $?
rm -rf "$work/out"
out=$("$vm" dccp "$work/none" "$work/out" 2>&1)
[ $? -eq 0 ] && [ -z "$(ls -A "$work/out")" ] && echo "$out" | grep -q 'has no DCCP module dccp'
result dccp-absent-not-fatal $?
printf 'x' > "$work/kernel/dccp.ko.lz4" && rm "$work/kernel/dccp.ko"
out=$("$vm" dccp "$work/kernel" "$work/out" 2>&1)
[ $? -eq 2 ] && echo "$out" | grep -q 'dccp.ko.lz4: unknown module compression'
result dccp-unknown-compression-named $?

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
