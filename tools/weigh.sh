#!/usr/bin/env bash
# weigh.sh: what a sockit process costs, beside socat, ncat and nc in the
# same run. Usage: tools/weigh.sh SOCKIT [RUNS]
#
# Prints, for the binary SOCKIT: its size; start-up (perf stat -r RUNS:
# elapsed time and page faults) of `version` and of `connect` to a closed
# port, beside `socat -V` and nc's and ncat's equivalents, interleaved
# command by command; and the resident memory (VmRSS, RssAnon, RssFile)
# of an idle `connect`, `listen` and `serve`, beside socat, ncat and nc
# doing the same. Needs perf (linux-perf), socat, ncat, netcat-openbsd.
set -euo pipefail
bin=$(realpath "$1")
runs=${2:-30}
port=$((20000 + RANDOM % 20000))
closed=$((port + 1)) # nothing listens there

size() { stat -c %s "$1"; }
startup() { # command... -> "page-faults median-ms"
	perf stat -x, -e page-faults -r "$runs" "$@" 2>&1 >/dev/null </dev/null |
		awk -F, '/page-faults/ {printf "%s", $1}'
	local t0 t1
	for _ in $(seq "$runs"); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 </dev/null || true
		t1=$(date +%s%N)
		echo $((t1 - t0))
	done | sort -n | awk '{v[NR] = $1} END {printf " %.2f", v[int((NR + 1) / 2)] / 1e6}'
}
rss() { # pid -> "VmRSS RssAnon RssFile" in kB
	awk '/^VmRSS|^RssAnon|^RssFile/ {printf "%s ", $2}' "/proc/$1/status"
}
idle() { # name command... : starts it, waits for it to settle, prints its RSS
	local name=$1
	shift
	"$@" >/dev/null 2>&1 </dev/zero &
	local pid=$!
	sleep 1 # let it reach its idle state: this measures, it does not synchronise a test
	printf '%-28s %s\n' "$name" "$(rss "$pid")"
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

echo "binary: $bin $(size "$bin") bytes"
echo
echo "start-up, $runs runs each: page faults (perf stat), median wall ms"
for round in 1 2 3; do
	printf '%-34s %s\n' "sockit version" "$(startup "$bin" version)"
	printf '%-34s %s\n' "socat -V" "$(startup socat -V)"
	printf '%-34s %s\n' "sockit connect (closed port)" "$(startup "$bin" connect 127.0.0.1:$closed)"
	printf '%-34s %s\n' "socat (closed port)" "$(startup socat - TCP:127.0.0.1:$closed)"
	printf '%-34s %s\n' "ncat (closed port)" "$(startup ncat 127.0.0.1 $closed)"
	printf '%-34s %s\n' "nc (closed port)" "$(startup nc 127.0.0.1 $closed)"
done
echo
echo "idle resident memory, kB: VmRSS RssAnon RssFile"
socat TCP-LISTEN:$port,reuseaddr,fork SYSTEM:cat >/dev/null 2>&1 &
sink=$!
sleep 0.5
idle "sockit connect" "$bin" connect 127.0.0.1:$port
idle "socat connect" socat STDIO TCP:127.0.0.1:$port
idle "ncat connect" ncat 127.0.0.1 $port
idle "nc connect" nc 127.0.0.1 $port
kill $sink
idle "sockit listen" "$bin" listen 127.0.0.1:$((port + 2))
idle "socat listen" socat STDIO TCP-LISTEN:$((port + 3)),reuseaddr
idle "ncat -l" ncat -l 127.0.0.1 $((port + 4))
idle "nc -l" nc -l 127.0.0.1 $((port + 5))
idle "sockit serve" "$bin" serve 127.0.0.1:$((port + 6))
