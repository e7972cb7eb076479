#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# modules.sh FROM TO: the modules the guest loads, from a kernel's module
# folder FROM (lib/modules/KVER/kernel), uncompressed into TO, where the
# kernel has them: DCCP's (gone from 6.12's later builds and 7.x) and
# inet_diag's, which ephport capacity's NETLINK_SOCK_DIAG dumps need.
# A module missing is said, not fatal; an unknown compression is (exit 2).
set -euo pipefail
from=$1 to=$2
mkdir -p "$to"
for m in net/dccp/dccp net/dccp/dccp_ipv4 net/dccp/dccp_ipv6 \
	net/ipv4/inet_diag net/ipv4/tcp_diag net/ipv4/udp_diag; do
	f=$(ls "$from/$m".ko* 2>/dev/null | head -n 1 || true)
	out=$to/${m##*/}.ko
	case $f in
	"") echo "modules.sh: $from has no module $m" >&2 ;;
	*.ko) cp "$f" "$out" ;;
	*.ko.xz) xz -dc "$f" > "$out" ;;
	*.ko.zst) zstd -qdc "$f" > "$out" ;;
	*.ko.gz) gzip -dc "$f" > "$out" ;;
	*) echo "modules.sh: $f: unknown module compression" >&2; exit 2 ;;
	esac
done
