#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The test VM: Debian's own kernel under qemu (TCG), an initramfs with
# busybox, the module and statically linked guest programs.
#
#   tests/vm/vm.sh setup            install packages, fetch the kernel (idempotent)
#   tests/vm/vm.sh lines            the kernel lines tested: 6.1, 6.12 and the
#                                   newest Debian ships (7.3 on 2026-12-05)
#   tests/vm/vm.sh abi              the kernel ABI the line's meta package points to
#   tests/vm/vm.sh run JOB [OUT]    boot with tests/guest/JOB.sh as the job;
#                                   the console goes to OUT (default: stdout only)
#
# Environment: EPHPORT_CACHE (default /var/cache/ephport) holds the kernel
# (outside the tree: kbuild's clean deletes every .ko below M=);
# EPHPORT_LINE picks the kernel line: 6.1 (bookworm's linux-headers-amd64,
# the default), 6.12 (bookworm's linux-headers-6.12-amd64) or the newest
# (trixie-backports' linux-headers-amd64, built in a trixie chroot by
# tests/vm/newest.sh), at whatever version the meta package points to today;
# EPHPORT_FLAVOUR picks amd64 (default), cloud-amd64 or rt-amd64;
# EPHPORT_VM_TIMEOUT bounds one boot in seconds (default 900);
# EPHPORT_MODULES=dkms boots with the module DKMS installed for that kernel
# (/lib/modules/VERSION/updates/dkms) instead of one built from the tree;
# EPHPORT_DEBUG=1 boots the line's debug kernel (tests/debug/build.sh builds
# it once) with panic_on_warn=1 instead of Debian's;
# EPHPORT_VM_APPEND adds words to the kernel command line;
# EPHPORT_VM_CPUS sets the vCPUs (default 2);
# EPHPORT_VM_ICOUNT=SHIFT boots one CPU with -icount shift=SHIFT (auto, or
# N: each guest instruction advances virtual time by 2^N ns) and tells the
# job so with EPHPORT_ICOUNT=1.
# Exit status of run: 0 when the job passed and the console shows no
# Oops, BUG, WARNING or lockdep report; 1 otherwise; 2 on a setup error.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${EPHPORT_CACHE:-/var/cache/ephport}
flavour=${EPHPORT_FLAVOUR:-amd64}
line=${EPHPORT_LINE:-6.1}
newest=$top/tests/vm/newest.sh
timeout=${EPHPORT_VM_TIMEOUT:-900}
# the VM's, and the host tests' (JSON and SVG checks, libFuzzer, lint)
packages=(qemu-system-x86 busybox-static cpio gcc make libc6-dev kmod python3 xz-utils zstd
	  clang libclang-rt-14-dev sparse linux-source-6.1 linux-source-6.12)

die() { echo "vm.sh: $*" >&2; exit 2; }

lines() { echo 6.1 6.12 "$("$newest" line)"; }

# The newest line is whichever trixie-backports serves today.
is_newest() {
	case $line in
	6.1 | 6.12) return 1 ;;
	"$("$newest" line)") return 0 ;;
	*) die "EPHPORT_LINE=$line: expected one of $(lines)" ;;
	esac
}

meta_package() {
	case $line in
	6.1) echo linux-headers-amd64 ;;
	6.12) echo linux-headers-6.12-amd64 ;;
	esac
}

# The ABI the line's meta package points to today, e.g. 6.1.0-57,
# 6.12.118+deb12 or 7.3.4+deb13.
kernel_abi() {
	local dep meta
	if is_newest; then "$newest" abi; return; fi
	meta=$(meta_package)
	dep=$(apt-cache depends "$meta" 2>/dev/null |
	      sed -n 's/.*Depends: linux-headers-\(.*\)-amd64$/\1/p' | head -n 1)
	if [ -z "$dep" ]; then
		apt-get update -q >/dev/null
		dep=$(apt-cache depends "$meta" |
		      sed -n 's/.*Depends: linux-headers-\(.*\)-amd64$/\1/p' | head -n 1)
	fi
	[ -n "$dep" ] || die "cannot find the kernel behind $meta"
	echo "$dep"
}

kver() { echo "$(kernel_abi)-$flavour"; }

install_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "vm.sh: installing ${missing[*]}"
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >/dev/null || die "cannot install ${missing[*]} from the archive"
}

# DCCP's modules, uncompressed for busybox's insmod: a point release may
# ship them as .ko, .ko.xz or .ko.zst, or drop DCCP altogether (7.x).
setup() {
	local v dir deb
	v=$(kver)
	if is_newest; then
		install_packages "${packages[@]}"
		"$newest" setup "$flavour"
		return
	fi
	install_packages "${packages[@]}" "linux-headers-$v"
	dir=$cache/kernel-$v
	if [ ! -f "$dir/vmlinuz" ] || [ ! -d "$dir/modules" ]; then
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
		(cd "$dir.tmp" && apt-get download -q "linux-image-$v-unsigned" >/dev/null 2>&1 ||
		 apt-get download -q "linux-image-$v" >/dev/null) ||
			die "cannot download linux-image-$v-unsigned or linux-image-$v"
		deb=$(ls "$dir.tmp"/linux-image-*.deb)
		dpkg-deb -x "$deb" "$dir.tmp/x" || die "cannot unpack $deb"
		[ -f "$dir.tmp/x/boot/vmlinuz-$v" ] || die "$deb has no boot/vmlinuz-$v"
		cp "$dir.tmp/x/boot/vmlinuz-$v" "$dir.tmp/vmlinuz"
		"$top/tests/vm/modules.sh" "$dir.tmp/x/lib/modules/$v/kernel" "$dir.tmp/modules" ||
			die "cannot copy the guest's modules of $v"
		rm -rf "$dir.tmp/x" "$deb"
		rm -rf "$dir" && mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

# Guest programs: static, so the initramfs needs no libc.
build_guest() {
	local out=$1
	mkdir -p "$out"
	gcc -std=c11 -O2 -Wall -Wextra -Werror -static -o "$out/scenarios" \
		"$top"/tests/guest/scenario*.c "$top/tests/guest/util.c" "$top/userspace/record.c" \
		"$top/userspace/search.c"
	gcc -std=c11 -O2 -Wall -Wextra -Werror -static -o "$out/two-servers" \
		"$top/tests/guest/two_servers.c"
	gcc -std=c11 -O2 -Wall -Wextra -Werror -static -o "$out/parity" \
		"$top/tests/guest/parity.c"
	gcc -std=c11 -O2 -Wall -Wextra -Werror -static -o "$out/latency" \
		"$top/tests/guest/latency.c" "$top/tests/guest/util.c"
	gcc -std=c11 -O2 -Wall -Wextra -Werror -static -o "$out/capacity-forecast" \
		"$top/tests/guest/capacity.c"
	gcc -std=c11 -O2 -Wall -Wextra -Werror -static -o "$out/stress" \
		"$top/tests/guest/stress.c" "$top/tests/guest/util.c" "$top/userspace/record.c" \
		"$top/userspace/search.c"
	gcc -std=c11 -O2 -Wall -Wextra -Werror -static -o "$out/bench" \
		"$top/tests/guest/bench.c" "$top/tests/guest/util.c" "$top/userspace/record.c"
	if [ -f "$top/userspace/Makefile" ]; then
		make -s -C "$top/userspace" static >/dev/null
		cp "$top/userspace/ephport-static" "$out/ephport"
	fi
}

# Host programs for the guest, with the shared libraries they link.
add_programs() {
	local root=$1 bin lib
	shift
	cp "$@" "$root/bin/"
	for lib in $(for bin in "$@"; do ldd "$bin"; done | grep -o '/[^ ]*' | sort -u); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

# The benchmark's peers: bindsnoop from Debian's libbpf-tools, and
# bpftrace.
add_peers() {
	local root=$1 dir=$cache/peers
	install_packages bpftrace
	if [ ! -x "$dir/bindsnoop" ]; then
		install_packages libelf1 zlib1g
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
		(cd "$dir.tmp" && apt-get download -q libbpf-tools >/dev/null 2>&1)
		dpkg-deb -x "$dir.tmp"/libbpf-tools_*.deb "$dir.tmp/x"
		cp "$dir.tmp/x/usr/sbin/bindsnoop" "$dir.tmp/"
		rm -rf "$dir.tmp/x" "$dir.tmp"/*.deb
		rm -rf "$dir" && mv "$dir.tmp" "$dir"
	fi
	add_programs "$root" "$dir/bindsnoop" /usr/bin/bpftrace
}

run() {
	local job=$1 out=${2:-} v dir work rc kernel kdir mem=512
	local append="console=ttyS0 panic=-1 oops=panic loglevel=5 ${EPHPORT_VM_APPEND:-}"
	[ -f "$top/tests/guest/$job.sh" ] || die "no job tests/guest/$job.sh"
	if [ -n "${EPHPORT_DEBUG:-}" ]; then
		dir=$("$top/tests/debug/build.sh" "$line" | tail -n 1) ||
			die "the $line debug kernel did not build"
		v=$(make -s -C "$dir" kernelrelease)
		kernel=$dir/arch/x86/boot/bzImage kdir=$dir mem=1024
		append+=" panic_on_warn=1"
	else
		v=$(kver)
		dir=$(setup | tail -n 1)
		kernel=$dir/vmlinuz kdir=/usr/src/linux-headers-$v
	fi
	[ -f "$kernel" ] || die "no kernel at $kernel for $v"
	work=$(mktemp -d)
	trap 'rm -rf "$work"' RETURN

	mkdir -p "$work/root"/{bin,dev,proc,sys,tmp,modules}
	if [ "${EPHPORT_MODULES:-tree}" = dkms ]; then
		# the newest line's DKMS runs in its chroot
		local from=/lib/modules/$v/updates/dkms
		is_newest && from=$("$newest" root)$from
		mkdir -p "$work/root/lib/modules/$v/updates"
		cp -r "$from" "$work/root/lib/modules/$v/updates/"
	elif [ -z "${EPHPORT_DEBUG:-}" ] && is_newest; then
		"$newest" make "$kdir" modules >/dev/null || die "the module did not build for $v"
		mv "$top/ephport.ko" "$work/root/modules/"
	else
		# kbuild does not notice a change of KDIR: start clean each time
		make -s -C "$kdir" M="$top" clean >/dev/null 2>&1
		make -s -C "$top" module KDIR="$kdir" >/dev/null
		cp "$top/ephport.ko" "$work/root/modules/"
	fi
	cp /bin/busybox "$work/root/bin/busybox"
	cp "$dir/modules/"*.ko "$work/root/modules/" 2>/dev/null || true
	build_guest "$work/root/bin"
	# bpftrace's LLVM and clang libraries take 200 MB of the initramfs
	[ "$job" != bench ] || { add_peers "$work/root"; mem=1536; }
	# the profile: perf from Debian's linux-perf, the host's
	if [ "$job" = profile ]; then
		install_packages linux-perf
		add_programs "$work/root" "$(command -v perf)"
		mem=1024
	fi
	# EPHPORT_EXTRA_MODULES: more builds of the module, for the bench
	for ko in ${EPHPORT_EXTRA_MODULES:-}; do cp "$ko" "$work/root/modules/"; done
	cp "$top/tests/guest/init" "$work/root/init"
	cp "$top/tests/guest/$job.sh" "$work/root/job.sh"
	cp "$top/tests/guest/lib.sh" "$work/root/lib.sh"
	chmod +x "$work/root/init"
	(cd "$work/root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initrd.gz"

	: "${out:=$work/console.log}"
	local cpus=(-smp "${EPHPORT_VM_CPUS:-2}")
	if [ -n "${EPHPORT_VM_ICOUNT:-}" ]; then
		cpus=(-smp 1 -icount "shift=$EPHPORT_VM_ICOUNT,sleep=off")
		append+=" EPHPORT_ICOUNT=1"
	else
		# TCG's TSC drifts against its HPET: the kernel gives it up a few
		# seconds into the job, switching clocksource (stop_machine, and
		# static keys patched on every CPU) in the middle of a test.  A
		# 7.3-rt guest once reset itself there with no message.  As the
		# kernel advises, the TSC is unstable from the start.
		append+=" tsc=unstable"
	fi
	local boot
	for boot in 1 2; do
		rc=0
		timeout "$timeout" qemu-system-x86_64 -accel tcg -cpu max "${cpus[@]}" -m "$mem" \
			-kernel "$kernel" -initrd "$work/initrd.gz" \
			-append "$append" \
			-d cpu_reset,guest_errors -D "$work/qemu.log" \
			-nographic -no-reboot -monitor none -serial stdio </dev/null |
			stdbuf -oL tr -d '\r' | tee "$out" || rc=$?
		[ $rc -eq 0 ] || echo "vm.sh: qemu ended with status $rc (timeout: $timeout s)"
		guest_reset "$work/qemu.log" "$out"
		# a panic before the job began is the emulated boot's (seen once: TCG
		# and int3 text patching), with no module loaded: one more boot, its
		# console kept beside
		grep -q '^=== job start' "$out" || ! grep -q 'Kernel panic' "$out" || [ $boot -eq 2 ] &&
			break
		cp "$out" "$out.first-boot"
		echo "vm.sh: the kernel panicked while booting, before the job began (no module loaded; $out.first-boot): booting again"
	done
	check_console "$out"
}

# A guest that reset itself before its job ended: -no-reboot makes qemu exit
# with 0, and a triple fault prints nothing in the guest.  qemu logged each
# reset with the registers of the CPU that made it (zeros at power-on).
guest_reset() {
	local qlog=$1 out=$2 state
	! grep -q '^=== job status' "$out" || return 0
	state=$(awk '/^CPU Reset/ { n = NR } { line[NR] = $0 }
		     END { for (i = n; i < n + 8 && i <= NR; i++) print line[i] }' "$qlog")
	grep -q 'RIP=[0-9a-f]*[1-9a-f]' <<< "$state" || return 0
	echo "vm.sh: the guest reset itself before its job ended$(grep -q 'Triple fault' "$qlog" &&
		echo ' (qemu: triple fault)'); the CPU at the reset:"
	echo "$state"
}

# A job passes when it printed its end marker with status 0 and the kernel
# complained about nothing.
check_console() {
	local log=$1 bad
	bad=$(grep -E 'Oops|BUG:|WARNING:|Kernel panic|lockdep|possible recursive locking|circular locking|Call Trace' "$log" || true)
	if [ -n "$bad" ]; then
		echo "vm.sh: the kernel complained:"
		echo "$bad" | head -n 20
		return 1
	fi
	grep -q '^=== job status 0$' "$log"
}

case ${1:-} in
setup) setup >/dev/null ;;
lines) lines ;;
abi) kernel_abi ;;
run) shift; run "$@" ;;
*) die "usage: vm.sh setup | lines | abi | run JOB [CONSOLE_LOG]" ;;
esac
