#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The reader on the host, built with ASan/UBSan, against a fixture folder
# that stands in for /sys/kernel/debug/ephport.  Prints one ok/not ok each.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/ephport-asan
fix=$here/fixtures
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=exitcode=99 UBSAN_OPTIONS=exitcode=99

t() {
	local name=$1
	shift
	if "$@" >"$work/why" 2>&1; then echo "ok - reader-$name"; else
		echo "not ok - reader-$name: $(head -c 400 "$work/why")"; fi
}

run() { # expected-exit, args...: output in $work/out, stderr in $work/err
	local want=$1 rc
	shift
	"$bin" "$@" >"$work/out" 2>"$work/err"
	rc=$?
	[ "$rc" -eq "$want" ] || { echo "exit $rc, expected $want: $(cat "$work/err")"; return 1; }
}

has() { grep -q -- "$1" "$work/out" || { echo "no '$1' in:"; cat "$work/out"; return 1; }; }
has_err() { grep -q -- "$1" "$work/err" || { echo "no '$1' in stderr:"; cat "$work/err"; return 1; }; }

human() {
	run 7 show --dir "$fix" --no-color &&
	has '#5 node\[120\] bind inet6 tcp \[::\]:0  SO_REUSEADDR' &&
	has 'range 32768-60999 (net.ipv4.ip_local_port_range)' &&
	has 'pass 1  lower odd  32768-46883  start 37289  tried 2' &&
	has '37289:inuse 37291:free' && has '=> port 37291 (2 tried, 48.2 us)' &&
	has '=> EADDRINUSE after 2 passes, 2 ports tried' &&
	has '!! 3 records lost before seq 22' &&
	has '!! 4 records lost before seq 30' && ! grep -q 'before seq 40' "$work/out" &&
	has_err '1 records could not be parsed' &&
	# a legend once; the bar marks the 2 ports tried, not the half; S and P in one column: *
	[ "$(grep -c "^(bar: '=' tried" "$work/out")" -eq 1 ] &&
	has '32768 \[\.\.\.\.\.\.\.\.\*\.\.\.*|\.*\] 60999' &&
	# an incomplete search does not know how many it tried
	run 0 show --dir "$fix/binary" --no-color && has '=> port 40000 (? tried' &&
	# -T: when the search returned (the end's ts), local time; ? when a module gives none
	{ TZ=UTC "$bin" show --dir "$fix" --no-color -T > "$work/out" 2>/dev/null; [ $? -eq 7 ]; } &&
	has '^08:00:00\.123456 #5 node\[120\]' && has '^?  *#6 node\[121\]' &&
	run 7 show --dir "$fix" --json && has '"ts":1764921600123456789' && has '"ts":null' &&
	# one line per search
	run 7 show --dir "$fix" --oneline &&
	has '^#5 *node *120 bind() *inet6 tcp *port 37291 *2 tried 48.2 us$' &&
	has '^#8 .*EADDRINUSE *2 tried' && run 2 show --oneline --json &&
	# candidates past 48: the first 32, a count by verdict, the last 16, 8 a line
	mkdir -p "$work/many" && { printf 'seq=1 search=1 type=begin pid=1 tid=1 comm=x netns=1 family=inet proto=tcp addr=0.0.0.0 reuse=0 reuseport=0 range=1000-1199 sockrange=none op=bind\nseq=2 search=1 type=pass pass=1 half=whole low=1000 high=1200 relax=0 parity=odd offset=1 start=1001 examined=100\n'
	  for i in $(seq 0 98); do printf 'seq=%d search=1 type=cand pass=1 port=%d verdict=inuse\n' $((i + 3)) $((1001 + 2 * i)); done
	  printf 'seq=102 search=1 type=cand pass=1 port=1199 verdict=free\nseq=103 search=1 type=end port=1199 err=0 passes=1 examined=100 ns=1 incomplete=0\n'; } > "$work/many/events" &&
	run 0 show --text --dir "$work/many" --no-color && has '\.\.\. 52 more: 52 inuse \.\.\.' &&
	[ "$(awk 'length > 120' "$work/out" | wc -l)" -eq 0 ]
}

json() {
	run 7 show --dir "$fix" --json &&
	python3 - "$work/out" <<'PY'
import json, sys
objs = [json.loads(line) for line in open(sys.argv[1])]
searches = [o for o in objs if "search" in o]
lost = [o for o in objs if "lost" in o]
assert [s["search"] for s in searches] == [5, 6, 8], searches
# seq 40 is a clear of 30-39: only 26-29 are lost
assert lost == [{"lost": 3, "before_seq": 22}, {"lost": 4, "before_seq": 30}], lost
s = searches[0]
for key, kind in [("pid", int), ("tid", int), ("comm", str), ("netns", int), ("family", str),
                  ("proto", str), ("addr", str), ("reuse", bool), ("reuseport", bool),
                  ("range", list), ("passes", list), ("port", int), ("err", int),
                  ("examined", int), ("ns", int), ("incomplete", bool), ("complete", bool)]:
    assert isinstance(s[key], kind), (key, s[key])
assert s["sockrange"] is None and s["error"] is None and s["port"] == 37291
p = s["passes"][0]
assert (p["half"], p["parity"], p["low"], p["high"], p["start"], p["offset"]) == \
    ("lower", "odd", 32768, 46884, 37289, 4521), p
assert p["candidates"] == [{"port": 37289, "verdict": "inuse"}, {"port": 37291, "verdict": "free"}]
f = searches[2]
assert f["error"] == "EADDRINUSE" and f["err"] == -98 and len(f["passes"]) == 2
PY
}

raw() {
	run 7 show --dir "$fix" --raw &&
	[ "$(grep -c . "$work/out")" -eq 13 ] &&
	grep -q '^seq=40 search=0 type=clear cleared=10$' "$work/out" &&
	grep -q '^seq=13 search=5 type=cand pass=1 port=37289 verdict=inuse$' "$work/out"
}

filters() {
	run 7 show --dir "$fix" --json --errors && [ "$(grep -c '"search"' "$work/out")" -eq 1 ] &&
	has '"search":8' &&
	run 7 show --dir "$fix" --json --family inet && has '"search":6' &&
	! grep -q '"search":5' "$work/out" &&
	run 7 show --dir "$fix" --json --port 37000-38000 && has '"search":5' &&
	! grep -q '"search":6' "$work/out" &&
	run 7 show --dir "$fix" --json --pid 130 && has '"search":8' &&
	run 7 show --dir "$fix" --json --comm two-servers && has '"search":8'
}

explain() {
	run 7 explain --dir "$fix" 5 &&
	has 'SO_REUSEADDR, so the kernel scanned only the lower half of the range first, 32768-46883' &&
	has 'made it odd (4521), so the first port tried was 37289; from there it walked odd ports' &&
	has '1 in use, 0 skipped as ip_local_reserved_ports' && has 'Port 37291 was free' &&
	run 7 explain --dir "$fix" --failed &&
	has 'never split' && has '32769 wrapped around past the end' &&
	has 'in a range this small lead to the same port again' &&
	has 'failed with EADDRINUSE' && has 'ip_autobind_reuse is off' &&
	run 1 explain --dir "$fix" 99 && has_err 'no such search'
}

stats() {
	run 7 stats --dir "$fix" --svg "$work/h.svg" &&
	has 'records_dropped 3' && has 'ports chosen in 3 searches over 32768-60999' &&
	has "'|' marks the half point 46884" && has 'bind()    odd       2 #' &&
	has 'bind()    even      0' &&
	# the complete searches' effort: examined 2, 1, 2 and 48211, 30500, 20100 ns
	has 'bind(): 3 complete searches, ports examined p50 2 p99 2 max 2; time p50 30.5 us p99 48.2 us max 48.2 us' &&
	python3 -c "import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); assert len(d.getElementsByTagName('rect')) == 65" "$work/h.svg"
}

simulate() {
	run 0 simulate --range 32768-60999 --reuse --offset 4520 &&
	has 'type=pass pass=1 half=lower low=32768 high=46884 relax=0 parity=odd offset=4521 start=37289 examined=1' &&
	has 'type=end port=37289 err=0' &&
	run 0 simulate --range 40000-40003 --reuse --used 40000-40001 --offset 0,1 &&
	has 'pass=3 half=upper low=40002 high=40004' && has 'type=end port=40003' &&
	run 0 simulate --range 32768-32768 --used 32768 --autobind-reuse &&
	has 'passes=4' && has 'err=-98' && has 'pass=4 half=whole low=32768 high=32769 relax=1' &&
	# 7.x's random stride: 40004, then 6 on each time, past 40014 taken
	run 0 simulate --range 40000-40019 --connect --stride 3 --offset 4 --used 40000-40014 --candidates &&
	has 'start=40004 examined=3 step=2 stride=3' && has 'port=40010 verdict=inuse' &&
	has 'type=end port=40016 err=0' &&
	run 0 simulate --range 40000-40019 --connect --stride 3 --offset 4 --used 40000-40014 --human --no-color &&
	has 'tried 3  stride 3' &&
	run 0 simulate --range 40000-40019 --connect --stride 3 --offset 4 --used 40000-40014 --json &&
	has '"stride":3' &&
	# a stride sharing a factor with the 10 ports of a sweep is no kernel's
	run 2 simulate --range 40000-40019 --connect --stride 5 && has_err 'has 10 ports' &&
	run 2 simulate --range 40000-40019 --stride 3 && has_err 'another walk'
}

# connect() and UDP searches, in their own fixture
walks() {
	run 0 show --dir "$fix/walks" --no-color &&
	has '#31 curl\[200\] connect inet tcp 0.0.0.0:0 -> 127.0.0.1:5000' &&
	has 'perturbation slot 0 = 3, hash 21474836480' &&
	has 'pass 2  whole odd  40000-40001  start 40001  tried 1' &&
	has '=> EADDRNOTAVAIL after 2 passes' && has 'perturbation slot 7 unknown' &&
	has '#34 dig\[202\] bind inet udp' && has '256 hash slots, stride 256' &&
	run 0 show --dir "$fix/walks" --json &&
	python3 - "$work/out" <<'PY' &&
import json, sys
s = {o["search"]: o for o in map(json.loads, open(sys.argv[1]))}
assert s[31]["op"] == "connect" and s[31]["perturb"] == 3 and s[31]["dport"] == 5000, s[31]
assert s[31]["hash"] == 21474836480 and s[31]["passes"][0]["step"] == 2
assert s[32]["error"] == "EADDRNOTAVAIL" and s[33]["perturb"] is None
assert s[34]["op"] == "bind" and s[34]["proto"] == "udp" and s[34]["passes"][0]["slots"] == 256
assert "daddr" not in s[34]
PY
	run 0 show --dir "$fix/walks" --json --walk udp && [ "$(grep -c . "$work/out")" -eq 2 ] &&
	has '"search":34' && run 0 show --dir "$fix/walks" --json --walk connect &&
	[ "$(grep -c . "$work/out")" -eq 4 ] && run 2 show --dir "$fix/walks" --walk listen &&
	run 0 explain --dir "$fix/walks" 31 &&
	has 'in __inet_hash_connect()' && has 'perturbation slot 0, which held 3' &&
	has 'connect() tries even ports first, the opposite of bind()' &&
	has '0 held by bind() users, 1 already connected to 127.0.0.1 port 5000' &&
	has 'which it took over (net.ipv4.tcp_tw_reuse)' &&
	run 0 explain --dir "$fix/walks" 32 &&
	has 'No even port was free, so it tried the odd ones' &&
	has '1 held by bind() users, 0 already connected to ::1 port 5000' &&
	has '1 held by bind() users or already connected to ::1 port 5000' &&
	has 'failed with EADDRNOTAVAIL' &&
	run 0 explain --dir "$fix/walks" 33 && has 'as the kernel read it is unknown here' &&
	! grep -q 'No pass was recorded' "$work/out" &&
	run 0 explain --dir "$fix/walks" 36 && has 'their number fixes where it started: offset 0' &&
	has 'No even port was free, so it tried the odd ones' && ! grep -q 'which ports were tried is not known' "$work/out" &&
	run 0 explain --dir "$fix/walks" 34 && has 'in udp_lib_get_port()' &&
	has 'made 40005 the first port tried' && has '(256 slots)' &&
	run 0 explain --dir "$fix/walks" 35 && has 'report EAGAIN' &&
	run 0 stats --dir "$fix/walks" && has 'connect() even      1' &&
	has 'connect(): 3 complete searches (1 incomplete left out), ports examined p50 2 p99 8 max 8' &&
	has 'UDP: 2 complete searches, ports examined p50 1 p99 2 max 2; time p50 3000 ns' &&
	has 'UDP       even      1'
}

simulate_walks() {
	run 0 simulate --range 40000-40009 --connect --offset 8 --used 40008 &&
	has 'op=connect' && has 'parity=even offset=8 start=40008 examined=2 step=2' &&
	has 'type=end port=40000 err=0' &&
	run 0 simulate --range 40000-40001 --connect --used 40000-40001 && has 'err=-99' &&
	has 'passes=2' &&
	run 0 simulate --range 40000-40009 --connect --one-sweep --offset 5 && has 'step=1' &&
	has 'type=end port=40005' &&
	run 0 simulate --range 40000-40009 --udp --rand 2147483648 --slots 256 --used 40005 &&
	has 'proto=udp' && has 'offset=5 start=40005 examined=2 step=256 slots=256' &&
	has 'type=end port=40006' &&
	run 2 simulate --range 1-2 --udp --slots 3 && has_err 'power of 2' &&
	run 2 simulate --range 1-2 --udp --offset 3 && has_err 'another walk' &&
	run 2 simulate --range 1-2 --one-sweep && run 2 simulate --range 1-2 --rand 4 &&
	run 2 simulate --range 1-2 --connect --reuse
}

# global options before the command, --version, errors as JSON under --json
globals() {
	run 7 --dir "$fix" --json show --walk bind && has '"search":5' &&
	run 0 --dir "$fix" --version && has "ephport $(cat "$here/../../VERSION"), record format 1" &&
	has "module in $fix: record format 1" &&
	run 3 --json show --dir "$work/none" &&
	python3 -c 'import json, sys; e = json.loads(open(sys.argv[1]).read()); assert "No such file" in e["error"], e' "$work/out" &&
	[ ! -s "$work/err" ] &&
	run 2 --json show --walk listen && has '{"error":"--walk wants bind, connect or udp' &&
	run 2 --json show --bogus && has '"error"' &&
	run 2 --json frobnicate && has "unknown command 'frobnicate'" &&
	run 0 help && has 'Commands:' && has 'metrics' &&
	NO_COLOR=1 "$bin" show --dir "$fix" > "$work/out" 2>/dev/null; ! grep -q $'\033' "$work/out"
}

usage() {
	run 2 simulate && has_err 'needs --range' &&
	run 2 simulate --range 5-4 && run 2 simulate --range 1-2 --offset x &&
	run 2 simulate --range 1-2 --used 1,,2 && run 2 --bogus && run 2 frobnicate &&
	run 2 show --raw --pid 3 && run 2 show --passes && run 2 show --duration 3 && run 2 watch --port 9 &&
	run 2 watch --family ipx && run 2 explain 1 2 && run 0 --help && has 'Exit status' &&
	run 0 explain --help && run 0 stats --help && run 0 simulate --help && run 0 watch --help &&
	run 2 stats extra && has_err 'Too many arguments' && run 2 metrics --proc x y &&
	# bpftool's habits: a bare ephport is its usage, -h is --help, help COMMAND
	run 0 && has 'Commands:' && run 0 -h && has 'Exit status' &&
	run 0 help show && has 'Usage: ephport show' && run 0 show -h && has 'Usage: ephport show' &&
	run 2 --no-color && has_err "which command" &&
	run 2 capacity --to 10.0.0.1 && has_err "ADDR:PORT or \[ADDR6\]:PORT" &&
	run 2 capacity --to '::1:80' && has_err "'::1:80' wants" &&
	run 2 capacity --top -1 && has_err "wants a count" && run 0 capacity --help &&
	has 'NETLINK_SOCK_DIAG' &&
	run 2 who --to 127.0.0.1:80 && has_err "goes with --port" &&
	run 2 who --port 0 && has_err "from 1 to 65535" && run 0 who --help && has '/proc/PID/fd' &&
	# show takes --count (the first N), not watch's detail or --duration, and says so
	run 0 show --dir "$fix" --count 1 --oneline && [ "$(grep -c '^#' "$work/out")" -eq 1 ] &&
	! "$bin" show --help | grep -q -- '--candidates\|--duration' &&
	# under -j an option error is JSON that names the option
	run 2 -j explain --bogus && has '"error":"ephport explain takes no option --bogus' &&
	run 2 show -j -Z && has 'takes no option -Z' && run 0 -j explain --help && has 'Usage: ephport explain'
}

errors() {
	run 3 show --dir "$work/none" && has_err "No such file" &&
	EPHPORT_DIR="$fix" "$bin" show --json >/dev/null 2>&1; [ $? -eq 7 ]
}

watch_file() {
	# a regular file as events_pipe: watch reads to its end
	mkdir -p "$work/d" && cp "$fix/events" "$work/d/events_pipe" &&
	run 7 watch --dir "$work/d" --json && [ "$(grep -c '"search"' "$work/out")" -eq 3 ] &&
	run 0 watch --dir "$work/d" --json --count 1 && [ "$(grep -c . "$work/out")" -eq 1 ]
}

# the man page: its sections, every command in SYNOPSIS, the module's files
man_page() {
	local page=$here/../../userspace/ephport.8 c
	for c in SYNOPSIS DESCRIPTION COMMANDS OPTIONS ENVIRONMENT '"EXIT STATUS"' FILES; do
		grep -q "^\.SH $c\$" "$page" || { echo "no $c section"; return 1; }
	done
	for c in $("$bin" --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p'); do
		sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$page" | grep -q "ephport\( \|\]\)*$c\|\[ $c \]" ||
			{ echo "SYNOPSIS lacks $c"; return 1; }
	done
	for c in events events_pipe records stats; do
		sed -n '/^\.SH FILES/,/^\.SH EXAMPLES/p' "$page" | grep -q "ephport/$c" ||
			{ echo "FILES lacks $c"; return 1; }
	done
	sed -n '/^\.SH FILES/,/^\.SH EXAMPLES/p' "$page" | grep -q 'records_pipe'
}

# one meaning per short option, across every command's --help
short_options() {
	local c
	for c in watch show record stats explain simulate metrics capacity who; do
		"$bin" "$c" --help | sed -n 's/^  \(-[a-zA-Z]\), \(--[a-z-]*\).*/\1 \2/p'
	done | sort -u > "$work/short" &&
	[ "$(cut -d' ' -f1 "$work/short" | uniq -d)" = "" ] ||
	{ echo "a short option with two meanings:"; cut -d' ' -f1 "$work/short" | uniq -d; return 1; }
}

# -j on every command: JSON, one object per line, or a refusal that says so
json_everywhere() {
	local py='import json, sys; d = [json.loads(l) for l in open(sys.argv[1])]; '
	run 7 stats -j --dir "$fix" &&
	python3 -c "$py"'s = d[0]; assert s["module"]["searches"] == 8 and s["probes"][0]["name"] == "inet_csk_get_port", s; w = s["walks"]["bind"]; assert w["examined"] == {"p50": 2, "p99": 2, "max": 2} and w["ns"]["max"] == 48211 and s["chosen"]["searches"] == 3, s; assert "error" in d[1]' "$work/out" &&
	run 7 explain -j 5 --dir "$fix" &&
	python3 -c "$py"'assert d[0]["search"] == 5 and "inet_csk_get_port()" in d[0]["explanation"], d' "$work/out" &&
	run 0 --version -j && python3 -c "$py"'assert d[0]["record_format"] == 1 and "version" in d[0], d' "$work/out" &&
	run 2 metrics -j && python3 -c "$py"'assert "does not apply" in d[0]["error"], d' "$work/out" &&
	run 2 record -j -o "$work/x" && python3 -c "$py"'assert "--json" in d[0]["error"], d' "$work/out" &&
	run 0 simulate -j --range 1-10 && python3 -c "$py"'assert d[0]["port"] > 0, d' "$work/out"
}

metrics() {
	# the fixture's range is 40000-40009, split 40000-40003 / 40004-40009
	run 0 metrics --dir "$fix" --proc "$fix/proc" &&
	has 'ephport_port_range_low 40000' && has 'ephport_port_range_high 40009' &&
	has 'ephport_ports{half="lower"} 4' && has 'ephport_ports{half="upper"} 6' &&
	has 'ephport_ports_in_use{proto="tcp",half="lower"} 2' &&
	has 'ephport_ports_in_use{proto="tcp",half="upper"} 1' &&
	has 'ephport_ports_in_use{proto="udp",half="lower"} 0' &&
	has 'ephport_ports_in_use{proto="udp",half="upper"} 1' &&
	! has 'ephport_searches_total' && has 'ephport_module_loaded 1' &&
	has 'ephport_build_info{version="' && has 'ephport_searches_incomplete_total 0' &&
	! has 'le="65536"' && has 'le="32768"' &&
	has 'ephport_walk_searches_total{netns="4026531840",walk="bind"} 8' &&
	has 'ephport_walk_failures_total{netns="4026531840",walk="connect",errno="EADDRNOTAVAIL"} 1' &&
	has 'ephport_examined_ports_bucket{netns="4026531840",walk="bind",le="2"} 7' &&
	has 'ephport_examined_ports_bucket{netns="4026531840",walk="bind",le="+Inf"} 8' &&
	has 'ephport_examined_ports_sum{netns="4026531840",walk="connect"} 43' &&
	has 'ephport_examined_ports_count{netns="4026531840",walk="connect"} 2' &&
	has 'ephport_walk_searches_total{netns="other",walk="udp"} 2' &&
	# search times, where the module gives them (the udp row is an older module's)
	has 'ephport_search_duration_seconds_bucket{netns="4026531840",walk="bind",le="1e-06"} 2' &&
	has 'ephport_search_duration_seconds_bucket{netns="4026531840",walk="bind",le="3.2e-05"} 7' &&
	has 'ephport_search_duration_seconds_bucket{netns="4026531840",walk="bind",le="0.016384"} 7' &&
	has 'ephport_search_duration_seconds_bucket{netns="4026531840",walk="bind",le="+Inf"} 8' &&
	has 'ephport_search_duration_seconds_sum{netns="4026531840",walk="bind"} 0.020500000' &&
	has 'ephport_search_duration_seconds_count{netns="4026531840",walk="connect"} 3' &&
	! has 'ephport_search_duration_seconds_count{netns="other"' &&
	{ [ -x "$promtool" ] || { echo "no promtool: set EPHPORT_PROMTOOL"; return 1; }; } &&
	"$promtool" check metrics < "$work/out" &&
	run 0 metrics --dir "$work/none" --proc "$fix/proc" && has 'module is not loaded' &&
	has 'ephport_module_loaded 0' &&
	# a failed write (a full disk) is an error, not a cut file and exit 0
	{ "$bin" metrics --dir "$fix" --proc "$fix/proc" > /dev/full 2> "$work/err"; [ $? -eq 1 ]; } &&
	has_err 'cannot write the output' &&
	{ "$bin" simulate --range 1-9 > /dev/full 2> "$work/err"; [ $? -eq 1 ]; } &&
	has_err 'cannot write the output' &&
	"$promtool" check metrics < "$work/out" &&
	run 1 metrics --proc "$work/none" && has_err "ip_local_port_range"
}
binary() {
	# a folder with records reads them; --text its events instead
	mkdir -p "$work/b" && cp "$fix/events" "$work/b/events" &&
	# one record header (ephport_record.h): size 120 at byte 16, version 9 at 18
	python3 -c 'import sys; r = bytearray(120); r[16] = 120; r[18] = 9; sys.stdout.buffer.write(r)' \
		> "$work/b/records" &&
	run 7 show --dir "$work/b" && has_err 'cannot decode (version 9, type 0, 120 bytes' &&
	run 7 show --dir "$work/b" --text && has '=> port 37291' &&
	# a module that says so in stats is read as text: its pipe stays unread
	printf 'record_version 9\nrecord_bytes 120\n' > "$work/b/stats" &&
	run 7 show --dir "$work/b" && has '=> port 37291' && rm "$work/b/stats" &&
	# a copy cut short in its first record
	head -c 100 "$fix/binary/records" > "$work/b/records" && run 7 show --dir "$work/b" &&
	has_err "the module's records: cut short: its last record is not whole" && [ ! -s "$work/out" ]
}

capture() {
	local bfix=$fix/binary
	# the real module's binary records say what its lines say (6.1, detail=candidates)
	run 0 show --dir "$bfix" --json && cp "$work/out" "$work/bin.json" &&
	[ "$(grep -c '"search"' "$work/out")" -eq 12 ] &&
	run 0 show --dir "$bfix" --json --text && cmp "$work/out" "$work/bin.json" &&
	# record consumes records_pipe into a file that --input reads back
	mkdir -p "$work/r" && cp "$bfix/records" "$work/r/records_pipe" && cp "$fix/control" "$work/r/" &&
	run 0 record --dir "$work/r" -o "$work/cap" && has_err '50 records written' &&
	# a header (magic, versions, kernel, host), then the records unchanged
	[ "$(head -c 16 "$work/cap")" = "ephport-capture" ] &&
	head -c 512 "$work/cap" | tr -d '\0' | grep -q '^record_version 1$' &&
	head -c 512 "$work/cap" | tr -d '\0' | grep -q "^kernel $(uname -r)$" &&
	tail -c +513 "$work/cap" | cmp - "$bfix/records" &&
	run 0 --input "$work/cap" show --json && cmp "$work/out" "$work/bin.json" &&
	run 0 --input "$work/cap" show --raw && cmp "$work/out" "$bfix/events" &&
	run 0 --input "$work/cap" stats && has 'ports chosen in 12 searches' &&
	run 0 --input "$work/cap" explain 11 && has 'tried 5 ports from 40007: 4 in use' &&
	run 2 record --dir "$work/r" --text && run 2 --input "$work/cap" watch --passes &&
	# a newer module's record type in the middle is skipped (header: size at 16, type at 19)
	python3 -c 'import sys; r = bytearray(32); r[16] = 32; r[18] = 1; r[19] = 200; sys.stdout.buffer.write(r)' \
		> "$work/new" && cat "$work/cap" "$work/new" "$bfix/records" > "$work/cap2" &&
	run 0 --input "$work/cap2" show --json && [ "$(grep -c '"search"' "$work/out")" -eq 24 ] &&
	# a closed pipe ends record quietly, and the detail it set is restored
	cp "$bfix/records" "$work/r/records_pipe" &&
	{ "$bin" record --dir "$work/r" --candidates | head -c 1 > /dev/null; } 2>/dev/null &&
	grep -q 'detail=passes' "$work/r/control" &&
	run 1 --input "$work/none" show && has_err 'No such file' &&
	# an older reader's capture (no header) and a text trace read the same
	run 0 --input "$bfix/records" show --json && cmp "$work/out" "$work/bin.json" &&
	run 0 --input "$bfix/events" show --json && cmp "$work/out" "$work/bin.json" &&
	# what is not a capture, a cut one, one of another version: said, naming the file
	run 1 --input /dev/zero show && has_err '/dev/zero: not an ephport capture' &&
	head -c 1000 "$work/cap" > "$work/cut" && run 7 --input "$work/cut" show &&
	has_err "$work/cut: cut short: its last record is not whole" &&
	head -c 200 "$work/cap" > "$work/cuthead" && run 1 --input "$work/cuthead" show &&
	has_err 'cut short in its header' &&
	sed 's/^record_version 1$/record_version 2/' "$work/cap" > "$work/v2" &&
	run 1 --input "$work/v2" show && has_err 'records of version 2; this reader reads'
}

# loss is told only by a gap in seq: a record of a type this reader does
# not know, or one it cannot parse, still counts as arrived
loss() {
	mkdir -p "$work/l" &&
	printf '%s\n' \
		'seq=1 search=1 type=begin pid=1 tid=1 comm=a netns=1 family=inet proto=tcp addr=0.0.0.0 reuse=0 reuseport=0 range=40000-40009 sockrange=none op=bind' \
		'seq=2 search=1 type=hint words=from-a-newer-module' \
		'seq=3 search=1 type=end port=40001 err=0 passes=1 examined=1 ns=5 incomplete=0' \
		'seq=4 search=2 type=begin this line is cut' \
		'seq=5 search=3 type=end port=40003 err=0 passes=1 examined=1 ns=5 incomplete=0' \
		'seq=7 search=4 type=end port=40005 err=0 passes=1 examined=1 ns=5 incomplete=0' \
		> "$work/l/events" &&
	run 7 show --dir "$work/l" --text --no-color &&
	has '=> port 40001' && has '1 records lost before seq 7' &&
	! has 'lost before seq 3' && ! has 'lost before seq 5' &&
	has_err '1 records could not be parsed' &&
	# the same in binary: a type past the reader's (200) with seq 2 between seqs 1 and 3
	python3 - "$work/l/records" <<'PY' &&
import struct, sys
def rec(seq, type_, body, size):
    return struct.pack('<QQHBBI', seq, 1, size, 1, type_, 0) + body + bytes(size - 24 - len(body))
begin = struct.pack('<iiIBBBBHHHH', 1, 1, 1, 0, 0, 0, 0, 40000, 40009, 0, 0) + bytes(16) + b'a'

end = struct.pack('<HBBiII', 40001, 1, 0, 0, 1, 0)
open(sys.argv[1], 'wb').write(rec(1, 0, begin, 120) + rec(2, 200, b'', 32) + rec(3, 3, end, 56))
PY
	run 0 show --dir "$work/l" --no-color && has '=> port 40001' && ! has 'lost'
}

promtool=${EPHPORT_PROMTOOL:-$(command -v promtool)}

for test in human json raw filters explain stats simulate walks simulate_walks globals usage errors watch_file binary capture metrics loss json_everywhere short_options man_page; do
	t "$test" "$test"
done
