#!/bin/sh
# instructions.sh - instructions per iteration of a workload (callgrind: a
# count, not a time, the same on a loaded machine): the run with 2N
# iterations minus the run with N, over N, so start-up and exit cancel out.
# Usage: tests/bench/instructions.sh DIR [WORKLOAD] [N]   (DIR from make bench)
set -eu
dir=$1 w=${2:-tight} n=${3:-100000}
command -v valgrind >/dev/null 2>&1 || { echo "instructions.sh: needs valgrind" >&2; exit 2; }
count() { # count BINARY ITERATIONS [ENV...]: total instructions
	bin=$1 it=$2; shift 2
	out=$(mktemp)
	env MEMSTATS_OUTPUT=off "$@" valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$w" "$it" >/dev/null 2>&1
	awk '/^summary:/ { print $2 }' "$out"
	rm -f "$out"
}
for b in plain memstats atomic; do
	one=$(count "$dir/$b" "$n") two=$(count "$dir/$b" $((2 * n)))
	echo "$w $b $(( (two - one) / n )) instructions an iteration"
done
one=$(count "$dir/memstats" "$n" MEMSTATS_TRACK=1) two=$(count "$dir/memstats" $((2 * n)) MEMSTATS_TRACK=1)
echo "$w memstats-tracking $(( (two - one) / n )) instructions an iteration"
