#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Debian's newest kernel line (trixie-backports' linux-headers-amd64, 7.3
# on 2026-12-05), built the way a Debian 13 user builds it: in a trixie
# chroot made with debootstrap from the Debian archive, with the line's own
# gcc, kbuild and pahole.  The host's apt configuration is left untouched:
# the chroot has its own.  Cached in $EPHPORT_CACHE/trixie.
#
#   newest.sh root              make the chroot (idempotent); prints its path
#   newest.sh abi               the ABI linux-headers-amd64 points to, e.g. 7.3.4+deb13
#   newest.sh line              that ABI's line, e.g. 7.3
#   newest.sh setup FLAVOUR     headers in the chroot, the kernel image under
#                               the cache; prints the kernel's folder
#   newest.sh make KDIR ARGS    make -C KDIR ARGS in the chroot, on a copy of
#                               the tree's module sources; copies ephport.ko back
#   newest.sh tree              copies what DKMS builds from into the chroot;
#                               prints its path there
#   newest.sh source            the line's linux-source tarball in the chroot;
#                               prints its path on the host
#   newest.sh chroot CMD...     CMD in the chroot, /proc mounted
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${EPHPORT_CACHE:-/var/cache/ephport}
root=$cache/trixie
mirror=${EPHPORT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# what the chroot builds with; the line's headers bring its gcc and kbuild
base=(make libelf-dev dwarves bc kmod sparse xz-utils)

die() { echo "newest.sh: $*" >&2; exit 2; }

# Each call mounts a proc of its own over the chroot's and takes one off
# after: mounts stack, so calls that overlap (a lint beside a VM job) never
# pull /proc from under each other.
in_root() {
	local rc=0
	mount -t proc proc "$root/proc" || die "cannot mount proc in $root"
	chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@" || rc=$?
	umount "$root/proc" 2>/dev/null || true
	return $rc
}

make_root() {
	[ -f "$root/.ephport-ready" ] && return 0
	command -v debootstrap >/dev/null ||
		{ apt-get update -q >/dev/null; DEBIAN_FRONTEND=noninteractive \
		  apt-get install -y -q --no-install-recommends debootstrap >/dev/null; } ||
		die "cannot install debootstrap"
	umount "$root.tmp/proc" 2>/dev/null || true
	rm -rf "$root.tmp"
	debootstrap --variant=minbase trixie "$root.tmp" "$mirror" > "$cache/trixie-debootstrap.log" 2>&1 ||
		{ tail -n 20 "$cache/trixie-debootstrap.log" >&2; die "debootstrap trixie from $mirror failed"; }
	cat > "$root.tmp/etc/apt/sources.list" <<EOF
deb $mirror trixie main
deb $mirror trixie-backports main
EOF
	# no pseudo-terminal in the chroot: dpkg's progress would complain
	echo 'Dpkg::Use-Pty "0";' > "$root.tmp/etc/apt/apt.conf.d/90ephport"
	# a run killed inside the chroot leaves its proc mounted: never rm -rf into it
	while mountpoint -q "$root/proc"; do umount "$root/proc" || break; done
	rm -rf "$root" && mv "$root.tmp" "$root"
	in_root apt-get update -q >/dev/null || die "apt-get update in the trixie chroot failed"
	in_root apt-get install -y -q --no-install-recommends "${base[@]}" >/dev/null ||
		die "cannot install ${base[*]} in the trixie chroot"
	touch "$root/.ephport-ready"
}

# trixie-backports' meta package names the line's newest ABI
abi() {
	local dep
	make_root
	dep=$(in_root apt-cache depends -t trixie-backports linux-headers-amd64 2>/dev/null |
	      sed -n 's/.*Depends: linux-headers-\(.*\)-amd64$/\1/p' | head -n 1)
	if [ -z "$dep" ]; then
		in_root apt-get update -q >/dev/null
		dep=$(in_root apt-cache depends -t trixie-backports linux-headers-amd64 |
		      sed -n 's/.*Depends: linux-headers-\(.*\)-amd64$/\1/p' | head -n 1)
	fi
	[ -n "$dep" ] || die "trixie-backports has no linux-headers-amd64 pointing to a kernel"
	echo "$dep"
}

setup() {
	local flavour=$1 v dir deb pkg img f mods
	v=$(abi)-$flavour
	dir=$cache/kernel-$v
	if [ ! -d "$root/usr/src/linux-headers-$v" ]; then
		in_root apt-get install -y -q --no-install-recommends -t trixie-backports \
			"linux-headers-$v" >/dev/null || die "cannot install linux-headers-$v in the trixie chroot"
	fi
	if [ ! -f "$dir/vmlinuz" ] || [ ! -d "$dir/modules" ]; then
		rm -rf "$dir.tmp" && mkdir -p "$root/tmp/dl" "$dir.tmp"
		rm -f "$root/tmp/dl/"*.deb
		# 7.x: linux-image-KVER is empty and depends on linux-binary-KVER
		for pkg in "linux-binary-unsigned-$v" "linux-binary-$v" "linux-image-$v-unsigned" "linux-image-$v"; do
			in_root sh -c "cd /tmp/dl && apt-get download -q -t trixie-backports $pkg" >/dev/null 2>&1 && break
			pkg=
		done
		[ -n "$pkg" ] || die "cannot download the kernel of $v (linux-binary-unsigned-$v, linux-binary-$v, linux-image-$v)"
		deb=$(ls "$root/tmp/dl/"*.deb)
		dpkg-deb -x "$deb" "$dir.tmp/x" || die "cannot unpack $deb"
		# the unsigned package names its image vmlinuz.unsigned
		img=
		for f in "usr/lib/modules/$v/vmlinuz" "usr/lib/modules/$v/vmlinuz.unsigned" "boot/vmlinuz-$v"; do
			[ -f "$dir.tmp/x/$f" ] && { img=$dir.tmp/x/$f; break; }
		done
		[ -n "$img" ] || die "$pkg has no kernel at usr/lib/modules/$v/vmlinuz{,.unsigned} or boot/vmlinuz-$v"
		cp "$img" "$dir.tmp/vmlinuz"
		# 7.x ships the modules apart, in linux-modules-KVER
		mods=$(ls -d "$dir.tmp/x/usr/lib/modules/$v/kernel" "$dir.tmp/x/lib/modules/$v/kernel" 2>/dev/null | head -n 1 || true)
		if [ -z "$mods" ]; then
			rm -f "$root/tmp/dl/"*.deb
			in_root sh -c "cd /tmp/dl && apt-get download -q -t trixie-backports linux-modules-$v" \
				>/dev/null 2>&1 || die "cannot download linux-modules-$v"
			dpkg-deb -x "$root/tmp/dl/linux-modules-"*.deb "$dir.tmp/x" ||
				die "cannot unpack linux-modules-$v"
			mods=$dir.tmp/x/usr/lib/modules/$v/kernel
		fi
		"$top/tests/vm/modules.sh" "$mods" "$dir.tmp/modules" ||
			die "cannot copy the guest's modules of $v"
		rm -rf "$dir.tmp/x" "$root/tmp/dl/"*.deb
		rm -rf "$dir" && mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

# The module's sources, copied in: the chroot sees nothing of the host.
# copy_tree [DIR]: into DIR of the chroot (default $src, DKMS's).
src=/build/ephport
copy_tree() {
	local dir=${1:-$src}
	make_root
	rm -rf "${root:?}$dir" && mkdir -p "$root$dir"
	(cd "$top" && cp --parents Kbuild Makefile VERSION dkms.conf module/*.[ch] "$root$dir/")
}

# Each make in a directory of its own, removed after: makes that overlap
# (a bench beside a VM job, from two trees) must not delete each other's
# files.
chroot_make() {
	local kdir=$1 rc=0 dir
	shift
	make_root
	mkdir -p "$root/build" && dir=$(mktemp -d "$root/build/make.XXXXXX") ||
		die "cannot make a build directory in $root/build"
	dir=${dir#"$root"}
	copy_tree "$dir"
	in_root make -C "$kdir" M="$dir" "$@" || rc=$?
	[ ! -f "$root$dir/ephport.ko" ] || cp "$root$dir/ephport.ko" "$top/ephport.ko"
	rm -rf "${root:?}$dir"
	return $rc
}

# linux-source-LINE, for checkpatch: installed in the chroot once
source_tarball() {
	local line tarball
	line=$(abi | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
	tarball=$root/usr/src/linux-source-$line.tar.xz
	[ -f "$tarball" ] || in_root apt-get install -y -q --no-install-recommends -t trixie-backports \
		"linux-source-$line" >/dev/null || die "cannot install linux-source-$line in the trixie chroot"
	echo "$tarball"
}

case ${1:-} in
root) make_root; echo "$root" ;;
abi) abi ;;
line) abi | sed -E 's/^([0-9]+\.[0-9]+).*/\1/' ;;
setup) setup "${2:?usage: newest.sh setup FLAVOUR}" ;;
make) shift; chroot_make "$@" ;;
tree) copy_tree; echo "$src" ;;
source) source_tarball ;;
chroot) shift; make_root; in_root "$@" ;;
*) die "usage: newest.sh root | abi | line | setup FLAVOUR | make KDIR ARGS | tree | source | chroot CMD" ;;
esac
