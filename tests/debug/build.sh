#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds the debug kernel of a line (6.1 or 6.12) from Debian's
# linux-source-LINE, once, into $EPHPORT_CACHE/debug-LINE: a small config
# for the test VM plus KASAN, lockdep (PROVE_LOCKING, PROVE_RCU),
# DEBUG_ATOMIC_SLEEP, kmemleak, DEBUG_OBJECTS (timers, work items, and
# objects freed while active) and DEBUG_LIST, with full
# preemption, failslab for the allocation failures a search can meet, and
# userfaultfd, which holds a sysctl call across a load.
# inet_csk_find_open_port() is made noinline (this kernel only), so that
# the module's direct probe on it runs too.  Prints the build
# folder (its arch/x86/boot/bzImage is the kernel, and it is the KDIR).
set -euo pipefail
line=${1:?usage: build.sh 6.1|6.12}
cache=${EPHPORT_CACHE:-/var/cache/ephport}
dir=$cache/debug-$line
# built by this very script (a changed config is built again)
stamp=$(sha256sum "$0" | cut -d' ' -f1)
[ -f "$dir/.ephport-built" ] && [ "$(sed -n 2p "$dir/.ephport-built")" = "$stamp" ] &&
	{ echo "$dir"; exit 0; }

need=(bc flex bison libelf-dev libssl-dev gcc make "linux-source-$line")
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >/dev/null
fi

start=$SECONDS
rm -rf "$dir" && mkdir -p "$dir"
tar -xf "/usr/src/linux-source-$line.tar.xz" -C "$dir" --strip-components=1
cd "$dir"
# a function of its own, not a clone with another name
n=$(grep -n '^inet_csk_find_open_port(const struct sock' net/ipv4/inet_connection_sock.c | cut -d: -f1)
sed -i "$((n - 1))s/^static /static noinline __attribute__((__noclone__)) /" \
	net/ipv4/inet_connection_sock.c
grep -q '^static noinline __attribute__((__noclone__)) struct inet_bind_hashbucket \*$' \
	net/ipv4/inet_connection_sock.c ||
	{ echo "build.sh: could not make inet_csk_find_open_port noinline" >&2; exit 1; }

make -s tinyconfig >/dev/null
options=(
	64BIT SMP PRINTK BUG TTY SERIAL_8250 SERIAL_8250_CONSOLE BLK_DEV_INITRD
	RD_GZIP BINFMT_ELF BINFMT_SCRIPT PROC_FS PROC_SYSCTL SYSFS DEVTMPFS
	MULTIUSER FUTEX EPOLL POSIX_TIMERS FILE_LOCKING SHMEM SIGNALFD TIMERFD
	EVENTFD ACPI PCI NET INET IPV6 UNIX PACKET NAMESPACES NET_NS UTS_NS
	MODULES MODULE_UNLOAD SYSCTL KALLSYMS KALLSYMS_ALL KPROBES KRETPROBES
	FTRACE FUNCTION_TRACER DYNAMIC_FTRACE DEBUG_FS DEBUG_FS_ALLOW_ALL
	SECURITY SECURITYFS SECURITY_LOCKDOWN_LSM SECURITY_LOCKDOWN_LSM_EARLY
	SLUB SLAB_FREELIST_RANDOM SLUB_DEBUG SYSFS PREEMPT
	CC_OPTIMIZE_FOR_PERFORMANCE STACKTRACE
	KASAN KASAN_GENERIC KASAN_INLINE PROVE_LOCKING PROVE_RCU
	DEBUG_ATOMIC_SLEEP DEBUG_KMEMLEAK DEBUG_OBJECTS DEBUG_LIST
	DEBUG_OBJECTS_TIMERS DEBUG_OBJECTS_WORK DEBUG_OBJECTS_FREE
	DEBUG_KERNEL DEBUG_INFO_NONE
	FAULT_INJECTION FAILSLAB FAULT_INJECTION_DEBUG_FS USERFAULTFD
)
for o in "${options[@]}"; do scripts/config --enable "$o"; done
scripts/config --disable SLUB_TINY --disable SLOB --disable CC_OPTIMIZE_FOR_SIZE \
	--disable MODULE_SIG --disable DEBUG_KMEMLEAK_DEFAULT_OFF \
	--set-str LSM "lockdown"
make -s olddefconfig >/dev/null
for o in KASAN PROVE_LOCKING PROVE_RCU DEBUG_ATOMIC_SLEEP DEBUG_KMEMLEAK DEBUG_OBJECTS \
	 DEBUG_OBJECTS_TIMERS DEBUG_OBJECTS_WORK DEBUG_OBJECTS_FREE \
	 DEBUG_LIST KPROBES KRETPROBES FTRACE DEBUG_FS PREEMPT NET_NS MODULE_UNLOAD \
	 SLAB_FREELIST_RANDOM SECURITY_LOCKDOWN_LSM FAILSLAB FAULT_INJECTION_DEBUG_FS \
	 USERFAULTFD; do
	grep -q "^CONFIG_$o=y" .config || { echo "build.sh: CONFIG_$o did not stick" >&2; exit 1; }
done
make -s -j"$(nproc)" >/dev/null 2> build.err || { tail -n 30 build.err >&2; exit 1; }
printf '%s\n%s\n' "$((SECONDS - start))" "$stamp" > .ephport-built
echo "$dir"
