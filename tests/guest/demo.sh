# SPDX-License-Identifier: GPL-2.0
# Demo job: the blog post's experiments with ephport loaded.
D=/sys/kernel/debug/ephport
say() { printf '\n\033[1m# %s\033[0m\n' "$*"; }

insmod /modules/ephport.ko detail=passes || exit 1
say "sysctl net.ipv4.ip_local_port_range = $(cat /proc/sys/net/ipv4/ip_local_port_range)"
say "two-servers: two IPv6 servers listen on port 0 with SO_REUSEADDR, as Node.js does"
two-servers
two-servers
if [ -x /bin/ephport ]; then
	ephport show
else
	cat $D/events
fi
echo "Every port is odd and below 46884: the lower half of 32768-60999, odd ports first."

echo "32768 32768" > /proc/sys/net/ipv4/ip_local_port_range
echo clear > $D/control
say "sysctl --write net.ipv4.ip_local_port_range=\"32768 32768\""
two-servers
if [ -x /bin/ephport ]; then
	ephport show
	say "ephport explain (the failing search)"
	ephport explain --failed
else
	cat $D/events
fi
rmmod ephport
