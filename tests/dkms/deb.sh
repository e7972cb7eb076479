#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make deb, then apt-get install both packages on this machine: DKMS must
# build the module for every flavour of both of its kernel lines, and the
# reader and man page must be in place; then remove them again.  The same
# on Debian 13 (the newest line's trixie chroot) for that line's kernels.
# Prints ok/not ok lines.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
version=$(cat "$top/VERSION")
log=${EPHPORT_RESULTS:-$top/results}
mkdir -p "$log"

result() { if [ "$2" -eq 0 ]; then echo "ok - $1"; else echo "not ok - $1"; tail -n 20 "$log/deb.out"; fi; }

# recover(RUN): a run stopped mid-install (Ctrl-C, a killed job) leaves our
# packages half-installed and apt refusing all work until dpkg is rerun;
# dpkg takes back its own journal when it removes them
recover() {
	local run=$1 p st
	for p in ephport ephport-dkms; do
		st=$($run dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)
		case $st in "" | "un "* | "ii "* | "rc "*) ;;
		*) echo "# $p was left half-installed ($st): purging it"
		   $run dpkg --purge --force-remove-reinstreq "$p" >> "$log/deb.out" 2>&1 ;;
		esac
	done
}

make -s -C "$top" deb > "$log/deb.out" 2>&1
result make-deb $?
recover env
DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	"$top/build/ephport-dkms_${version}_all.deb" \
	"$top/build/ephport_${version}_$(dpkg --print-architecture).deb" >> "$log/deb.out" 2>&1
result deb-install $?
newest=$top/tests/vm/newest.sh
newest_line=$("$newest" line)
# built(RUN KVER): RUN's dkms (the host's, or the chroot's) installed it for KVER
built() {
	local run=$1 kver=$2
	$run dkms status -m ephport -v "$version" -k "$kver" 2>&1 | grep -q ": installed" &&
		$run sh -c "ls /lib/modules/$kver/updates/dkms/ephport.ko*" >/dev/null 2>&1
}
for line in $("$top/tests/vm/vm.sh" lines); do
	[ "$line" != "$newest_line" ] || continue
	abi=$(EPHPORT_LINE=$line "$top/tests/vm/vm.sh" abi)
	for flavour in amd64 cloud-amd64 rt-amd64; do
		built env "$abi-$flavour"
		result "deb-dkms-built-$abi-$flavour" $?
	done
done
/usr/sbin/ephport --help | grep -q "Exit status" && [ -f /usr/share/man/man8/ephport.8.gz ] &&
	[ -f /lib/systemd/system/ephport-metrics.timer ] &&
	[ -f /lib/systemd/system/ephport-metrics.service ] && [ -f /usr/share/ephport/ephport-rules.yml ]
result deb-reader-and-man-page $?
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q ephport ephport-dkms >> "$log/deb.out" 2>&1
result deb-remove $?
! dkms status -m ephport 2>/dev/null | grep -q . && [ ! -e /usr/src/ephport-$version ]
result deb-remove-cleans-dkms $?

# Debian 13 with the newest line's kernels (their headers are in the chroot)
root=$("$newest" root)
cp "$top/build/ephport-dkms_${version}_all.deb" "$top/build/ephport_${version}_$(dpkg --print-architecture).deb" \
	"$root/tmp/"
recover "$newest chroot"
"$newest" chroot apt-get install -y -q "/tmp/ephport-dkms_${version}_all.deb" \
	"/tmp/ephport_${version}_$(dpkg --print-architecture).deb" >> "$log/deb.out" 2>&1
result "deb-install-$newest_line" $?
abi=$("$newest" abi)
for flavour in amd64 cloud-amd64 rt-amd64; do
	built "$newest chroot" "$abi-$flavour"
	result "deb-dkms-built-$abi-$flavour" $?
done
"$newest" chroot /usr/sbin/ephport --help 2>&1 | grep -q "Exit status"
result "deb-reader-$newest_line" $?
"$newest" chroot apt-get purge -y -q ephport ephport-dkms >> "$log/deb.out" 2>&1 &&
	! "$newest" chroot dkms status -m ephport 2>/dev/null | grep -q . &&
	[ ! -e "$root/usr/src/ephport-$version" ]
result "deb-remove-$newest_line" $?
rm -f "$root/tmp/"ephport*.deb
