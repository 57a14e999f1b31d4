#!/usr/bin/env bash
# weigh.sh: what a sockit process costs, beside socat, ncat and nc in the
# same run. Usage: tools/weigh.sh [-r RUNS] [-n ROUNDS] SOCKIT [SOCKIT...]
#
# For each sockit binary (several compare builds: before and after a
# change, static and cgo) it prints its size; the start-up of `version`
# and of `connect` to a closed port beside `socat -V` and the peers'
# equivalents (hyperfine -N, RUNS runs per command per round, the rounds
# interleaving every command; the figure is the median of the rounds'
# medians) and page faults (perf stat, median of the rounds); and the
# resident memory (VmRSS, RssAnon, RssFile) of an idle `connect`, `listen`
# and `serve` beside socat, ncat and nc doing the same.
# Needs hyperfine, perf (linux-perf), socat, ncat, netcat-openbsd.
set -euo pipefail
runs=100
rounds=5
while getopts r:n: opt; do
	case $opt in
	r) runs=$OPTARG ;;
	n) rounds=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || {
	echo "usage: $0 [-r RUNS] [-n ROUNDS] SOCKIT [SOCKIT...]" >&2
	exit 2
}
bins=()
for b in "$@"; do bins+=("$(realpath "$b")"); done
port=$((20000 + RANDOM % 20000))
closed=$((port + 1)) # nothing listens there
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { # [printf format] : the median of the numbers on standard input
	sort -n | awk -v f="${1:-%.2f}" '{v[NR] = $1} END {if (NR) printf f, (v[int((NR + 1) / 2)] + v[int(NR / 2) + 1]) / 2}'
}

# The commands timed, one per line: a label, a tab, the command.
cmds=()
for b in "${bins[@]}"; do
	cmds+=("$b version" "$b connect 127.0.0.1:$closed")
done
cmds+=("socat -V" "socat - TCP:127.0.0.1:$closed" "ncat 127.0.0.1 $closed" "nc 127.0.0.1 $closed")

for b in "${bins[@]}"; do echo "binary: $b $(stat -c %s "$b") bytes"; done
echo
for round in $(seq "$rounds"); do
	for i in "${!cmds[@]}"; do
		hyperfine -N -i -w 10 -r "$runs" --export-csv "$tmp/t" "${cmds[$i]}" >/dev/null 2>&1
		awk -F, 'NR == 2 {print $4 * 1000}' "$tmp/t" >>"$tmp/ms.$i"
		# shellcheck disable=SC2086 # the command is split into words on purpose
		perf stat -x, -e page-faults -r 20 ${cmds[$i]} 2>&1 >/dev/null </dev/null |
			awk -F, '/page-faults/ {print $1}' >>"$tmp/pf.$i" || true # connect to a closed port fails
	done
done
echo "start-up: median ms of $rounds rounds of $runs runs (hyperfine -N), page faults (perf stat)"
for i in "${!cmds[@]}"; do
	printf '%-60s %6s ms %5s faults\n' "${cmds[$i]}" "$(median <"$tmp/ms.$i")" "$(median %.0f <"$tmp/pf.$i")"
done

rss() { # pid -> "VmRSS RssAnon RssFile" in kB
	awk '/^VmRSS|^RssAnon|^RssFile/ {printf "%s ", $2}' "/proc/$1/status"
}
idle() { # name command... : starts it, waits for it to settle, prints its RSS
	local name=$1
	shift
	"$@" >/dev/null 2>&1 </dev/zero &
	local pid=$!
	sleep 1 # let it reach its idle state: this measures, it does not synchronise a test
	if [ -r "/proc/$pid/status" ]; then
		printf '%-40s %s\n' "$name" "$(rss "$pid")"
	else
		printf '%-40s %s\n' "$name" "(exited)"
	fi
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

echo
echo "idle resident memory, kB: VmRSS RssAnon RssFile"
socat TCP-LISTEN:$port,reuseaddr,fork SYSTEM:cat >/dev/null 2>&1 &
sink=$!
sleep 0.5
p=$((port + 2))
for b in "${bins[@]}"; do
	idle "$(basename "$b") connect" "$b" connect 127.0.0.1:$port
	idle "$(basename "$b") listen" "$b" listen 127.0.0.1:$((p++))
	idle "$(basename "$b") serve" "$b" serve 127.0.0.1:$((p++))
done
idle "socat connect" socat STDIO TCP:127.0.0.1:$port
idle "ncat connect" ncat 127.0.0.1 $port
idle "nc connect" nc 127.0.0.1 $port
idle "socat listen" socat STDIO TCP-LISTEN:$((p++)),reuseaddr
idle "ncat -l" ncat -l 127.0.0.1 $((p++))
idle "nc -l" nc -l 127.0.0.1 $((p++))
kill $sink
