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

echo "32768 60999" > /proc/sys/net/ipv4/ip_local_port_range
# the first connect() after boot fills that table: one before the count
parity 1 > /dev/null
echo clear > $D/control
say "parity: 20 servers listen on port 0 while 20 clients connect() to 127.0.0.1:5000"
parity 20
if [ -x /bin/ephport ]; then
	say "ephport show --walk connect (the first client's search)"
	ephport show --walk connect | sed -n '1,/^$/p'
	say "ephport stats: the ports each side chose"
	ephport stats | sed -n '/^ports chosen/,$p'
	say "ephport explain (the last connect)"
	ephport explain "$(ephport show --walk connect --json | tail -n 1 | sed 's/^{"search":\([0-9]*\).*/\1/')"
fi
echo "bind() takes odd ports, connect() the even ones (for an even low): each starts where the other ends."
rmmod ephport
