#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The Kbuild checks: on each line's real headers they detect what
# module/compat.h expects, and on headers of a kernel ephport does not
# support the build stops with one sentence saying what is missing.
# Prints "ok - NAME" or "not ok - NAME" for each.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT

# ccflags-y as Kbuild computes it for the headers under $1, for x86_64 (or
# arm64 with $2 = arm64)
flags() {
	local x86_64=y
	[ "$2" = x86 ] || x86_64=
	printf 'print:\n\t@echo $(ccflags-y)\n' |
		make -s --no-print-directory -f "$top/Kbuild" -f - src="$top" \
			srctree="$1" SRCARCH="$2" CONFIG_X86_64=$x86_64 print 2>&1
}

expect() {
	local name=$1 got=$2 want=$3
	if [ "$got" = "$want" ]; then echo "ok - kbuild-$name"
	else echo "not ok - kbuild-$name: got '$got', want '$want'"; fi
}

detected() { flags "$1" x86 | grep -o -- '-DEPHPORT_[A-Z_]*' | grep -v VERSION | sort | tr '\n' ' '; }

for line in $("$top/tests/vm/vm.sh" lines); do
	common=/usr/src/linux-headers-$(EPHPORT_LINE=$line "$top/tests/vm/vm.sh" abi)-common
	case $line in
	6.1) want="-DEPHPORT_HAVE_NO_LLSEEK -DEPHPORT_HAVE_PROTO_UDP_TABLE -DEPHPORT_HAVE_SOCK_RANGE " ;;
	6.12) want="-DEPHPORT_CONNECT_ONE_SWEEP -DEPHPORT_CONST_CTL_TABLE -DEPHPORT_HAVE_NETNS_UDP_TABLE -DEPHPORT_HAVE_PROTO_UDP_TABLE -DEPHPORT_HAVE_SOCK_RANGE -DEPHPORT_HAVE_SYSTEM_PERCPU_WQ -DEPHPORT_NET_RANGE_PACKED -DEPHPORT_SOCK_RANGE_PACKED " ;;
	# the newest line, from its chroot
	*) common=$("$top/tests/vm/newest.sh" root)$common
	   want="-DEPHPORT_CONNECT_ONE_SWEEP -DEPHPORT_CONNECT_RCU_CHECK -DEPHPORT_CONST_CTL_TABLE -DEPHPORT_HAVE_NETNS_UDP_TABLE -DEPHPORT_HAVE_PORT_STEP_WIDTH -DEPHPORT_HAVE_SOCK_RANGE -DEPHPORT_HAVE_SYSTEM_PERCPU_WQ -DEPHPORT_NET_RANGE_PACKED -DEPHPORT_SOCK_RANGE_PACKED " ;;
	esac
	expect "$line-detects" "$(detected "$common")" "$want"
	# every line's layouts are known: nothing refused
	expect "$line-layouts-known" "$(flags "$common" x86 | grep -c 'ephport:')" 0
done

out=$(flags "$fake/nothing" x86)
expect no-headers-refused "$(echo "$out" | grep -c 'ephport: no kernel headers under')" 1

# a 5.x-like tree: prandom_u32() draws, no bind2 buckets
mkdir -p "$fake/include/linux" "$fake/include/net"
echo "u32 prandom_u32(void);" > "$fake/include/linux/random.h"
echo "struct inet_bind_bucket {" > "$fake/include/net/inet_hashtables.h"
out=$(flags "$fake" x86)
expect 5x-refused "$(echo "$out" | grep -c 'ephport: this kernel has no __get_random_u32_below() .*supports Debian.s 6.1, 6.12 and 7.x lines')" 1
echo "u32 __get_random_u32_below(u32 ceil);" > "$fake/include/linux/random.h"
out=$(flags "$fake" x86)
expect no-bind2-refused "$(echo "$out" | grep -c 'ephport: this kernel has no bind2 buckets')" 1
echo "struct inet_bind2_bucket {" >> "$fake/include/net/inet_hashtables.h"
out=$(flags "$fake" arm64)
expect other-arch-refused "$(echo "$out" | grep -c 'ephport: built for arm64 without CONFIG_X86_64.*x86_64 only')" 1

# a tree with every probed function as 6.12 declares it, then one changed:
# the build stops with one line naming it
real=/usr/src/linux-headers-$(EPHPORT_LINE=6.12 "$top/tests/vm/vm.sh" abi)-common/include
rm -rf "$fake/include" && mkdir -p "$fake/include/linux" "$fake/include/net"
for h in linux/random.h linux/sysctl.h net/inet_connection_sock.h net/udp.h net/inet_hashtables.h; do
	cp "$real/$h" "$fake/include/$h"
done
expect layouts-accepted "$(flags "$fake" x86 | grep -c 'ephport:')" 0
sed -i 's/u64 port_offset,/u64 port_offset, u32 cookie,/' "$fake/include/net/inet_hashtables.h"
out=$(flags "$fake" x86)
expect layout-refused "$(echo "$out" | grep -c 'ephport: __inet_hash_connect() in include/net/inet_hashtables.h has an argument layout this module was not written for; ephport supports')" 1
