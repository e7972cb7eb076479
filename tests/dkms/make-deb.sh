#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make deb: build/ephport-dkms_VERSION_all.deb (module source, built by DKMS
# for every installed kernel with headers) and build/ephport_VERSION_ARCH.deb
# (the reader and its man page), with plain dpkg-deb.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
version=$(cat "$top/VERSION")
arch=$(dpkg --print-architecture)
out=$top/build
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$out"

# ephport-dkms
pkg=$stage/dkms
make -s -C "$top" dkms-source DESTDIR="$pkg" >/dev/null
mkdir -p "$pkg/DEBIAN"
cat > "$pkg/DEBIAN/control" <<CONTROL
Package: ephport-dkms
Version: $version
Architecture: all
Maintainer: ephport developers <ephport@localhost>
Depends: dkms (>= 2.1), make, gcc
Section: kernel
Priority: optional
Description: trace how Linux picks ephemeral ports (DKMS module source)
 The ephport kernel module traces every port-0 search of bind() and
 listen() into /sys/kernel/debug/ephport/. DKMS builds it for each
 installed kernel that has its headers.
CONTROL
cat > "$pkg/DEBIAN/postinst" <<POSTINST
#!/bin/sh
set -e
if [ "\$1" = configure ]; then
	dkms status -m ephport -v $version | grep -q . || dkms add -m ephport -v $version
	for build in /lib/modules/*/build; do
		[ -d "\$build" ] || continue
		kver=\$(basename "\$(dirname "\$build")")
		dkms install -m ephport -v $version -k "\$kver" ||
			echo "ephport-dkms: could not build for \$kver" >&2
	done
fi
POSTINST
cat > "$pkg/DEBIAN/prerm" <<PRERM
#!/bin/sh
set -e
dkms remove -m ephport -v $version --all >/dev/null 2>&1 || true
PRERM
chmod 0755 "$pkg/DEBIAN/postinst" "$pkg/DEBIAN/prerm"
dpkg-deb --root-owner-group --build "$pkg" "$out/ephport-dkms_${version}_all.deb" >/dev/null

# ephport (the reader)
pkg=$stage/reader
# the reader, its man page, the metrics service and timer, the Prometheus rules
make -s -C "$top/userspace" install PREFIX=/usr DESTDIR="$pkg" UNITDIR=/lib/systemd/system >/dev/null
gzip -9n "$pkg/usr/share/man/man8/ephport.8"
mkdir -p "$pkg/DEBIAN"
cat > "$pkg/DEBIAN/control" <<CONTROL
Package: ephport
Version: $version
Architecture: $arch
Maintainer: ephport developers <ephport@localhost>
Depends: libc6
Recommends: ephport-dkms
Section: net
Priority: optional
Description: watch, explain and simulate Linux ephemeral port searches
 Reads the ephport module's trace: a view per search, JSON, a histogram
 of the ports chosen and plain-language explanations; simulates the
 kernel's search without the module. Says how many ports are left to each
 destination and who holds them, and writes Prometheus metrics for
 node_exporter's textfile collector (ephport-metrics.timer; alerting rules
 in /usr/share/ephport).
CONTROL
dpkg-deb --root-owner-group --build "$pkg" "$out/ephport_${version}_${arch}.deb" >/dev/null
ls "$out"/*.deb
