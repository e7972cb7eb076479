#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make deb, then apt-get install both packages on this machine: DKMS must
# build the module for every flavour of both kernel lines, and the reader and
# man page must be in place; then remove them again.  Prints ok/not ok lines.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
version=$(cat "$top/VERSION")
log=${EPHPORT_RESULTS:-$top/results}
mkdir -p "$log"

result() { if [ "$2" -eq 0 ]; then echo "ok - $1"; else echo "not ok - $1"; tail -n 20 "$log/deb.out"; fi; }

make -s -C "$top" deb > "$log/deb.out" 2>&1
result make-deb $?
DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	"$top/build/ephport-dkms_${version}_all.deb" \
	"$top/build/ephport_${version}_$(dpkg --print-architecture).deb" >> "$log/deb.out" 2>&1
result deb-install $?
for line in $("$top/tests/vm/vm.sh" lines); do
	abi=$(EPHPORT_LINE=$line "$top/tests/vm/vm.sh" abi)
	for flavour in amd64 cloud-amd64 rt-amd64; do
		kver=$abi-$flavour
		dkms status -m ephport -v "$version" -k "$kver" 2>&1 | grep -q ": installed" &&
			ls "/lib/modules/$kver/updates/dkms/"ephport.ko* >/dev/null 2>&1
		result "deb-dkms-built-$kver" $?
	done
done
/usr/sbin/ephport --help | grep -q "Exit status" && [ -f /usr/share/man/man8/ephport.8.gz ]
result deb-reader-and-man-page $?
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q ephport ephport-dkms >> "$log/deb.out" 2>&1
result deb-remove $?
! dkms status -m ephport 2>/dev/null | grep -q . && [ ! -e /usr/src/ephport-$version ]
result deb-remove-cleans-dkms $?
