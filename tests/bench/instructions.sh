#!/bin/sh
# instructions.sh - instructions per iteration of a workload (callgrind: a
# count, not a time, the same on a loaded machine): the run with 2N
# iterations minus the run with N, over N, so start-up and exit cancel out.
# The wrapped workload runs with its wrappers declared; with PRELOAD set
# (libmemstats-preload.so), the plain build is counted under it too.
# Usage: [PRELOAD=lib] tests/bench/instructions.sh DIR [WORKLOAD] [N]   (DIR from make bench)
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
wrappers=MEMSTATS_WRAPPERS=
[ "$w" = wrapped ] && wrappers=MEMSTATS_WRAPPERS=bench_xmalloc,bench_xfree
per() { # per NAME BINARY [ENV...]: one line
	name=$1 bin=$2
	shift 2
	one=$(count "$bin" "$n" "$wrappers" "$@") two=$(count "$bin" $((2 * n)) "$wrappers" "$@")
	echo "$w $name $(( (two - one) / n )) instructions an iteration"
}
for b in ${KINDS:-plain memstats atomic}; do per "$b" "$dir/$b"; done
per memstats-tracking "$dir/memstats" MEMSTATS_TRACK=1
[ -z "${PRELOAD:-}" ] || per plain-preloaded "$dir/plain" LD_PRELOAD="$PRELOAD"
