#!/bin/sh
# run.sh - runs each workload plain, with memstats, with the atomic
# baseline, with memstats tracking live blocks (MEMSTATS_TRACK=1) and, when
# PRELOAD names libmemstats-preload.so, the plain build under it,
# interleaved (a warm-up round, then RUNS rounds), and prints one line per
# workload with the medians and the ratios to plain (sampled: the memstats
# build with MEMSTATS_TRACK=sample), and one with the range of the rounds'
# ratios (each round's run over that round's plain run). The wrapped workload
# (pairs through bench_xmalloc and bench_xfree) runs with those declared
# in MEMSTATS_WRAPPERS (under the preload library on a hundredth of its
# pairs, scaled: each call there walks the stack).
# Usage: [PRELOAD=lib] tests/bench/run.sh DIR [RUNS] [WORKLOAD...]   (DIR holds
# plain, memstats and atomic, built by make bench)
set -eu
dir=$1 runs=${2:-5}
shift $(( $# >= 2 ? 2 : 1 ))
workloads=${*:-tight wrapped ring threads realistic realloc pool}
preload=${PRELOAD:-}
export MEMSTATS_OUTPUT=off

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# range WORKLOAD KIND: the lowest and highest of the rounds' ratios to
# plain (each round's run of KIND over the same round's plain run)
range() { paste "$dir/$1.plain" "$dir/$1.$2" | awk '{ r = $2 / $1; if (NR == 1 || r < lo) lo = r; if (NR == 1 || r > hi) hi = r }
	END { printf "%.2f-%.2f", lo, hi }'; }

# run KIND WORKLOAD: one timing of the binary for KIND
run() {
	case $1 in
	plain | atomic) "$dir/$1" "$2" ;;
	memstats) if [ "$2" = wrapped ]; then MEMSTATS_WRAPPERS=bench_xmalloc,bench_xfree "$dir/memstats" "$2"
		else "$dir/memstats" "$2"; fi ;;
	tracked) MEMSTATS_TRACK=1 run memstats "$2" ;;
	sampled) MEMSTATS_TRACK=sample run memstats "$2" ;;
	# under the preload library a call inside a declared wrapper walks
	# the stack (about a microsecond): a hundredth of the pairs, the time
	# scaled back up
	preload) if [ "$2" = wrapped ]; then
			MEMSTATS_WRAPPERS=bench_xmalloc,bench_xfree LD_PRELOAD=$preload "$dir/plain" "$2" 600000 |
				awk '{ printf "%.4f\n", $1 * 100 }'
		else LD_PRELOAD=$preload "$dir/plain" "$2"; fi ;;
	esac
}

kinds="plain memstats atomic tracked sampled"
[ -n "$preload" ] && kinds="$kinds preload"
for w in $workloads; do
	for k in $kinds; do run "$k" "$w" >/dev/null; : >"$dir/$w.$k"; done # warm-up
	i=0
	while [ $i -lt "$runs" ]; do
		for k in $kinds; do run "$k" "$w" >>"$dir/$w.$k"; done
		i=$((i + 1))
	done
	p=$(median <"$dir/$w.plain") m=$(median <"$dir/$w.memstats") a=$(median <"$dir/$w.atomic")
	t=$(median <"$dir/$w.tracked") sm=$(median <"$dir/$w.sampled") l=0
	[ -n "$preload" ] && l=$(median <"$dir/$w.preload")
	awk -v w="$w" -v p="$p" -v m="$m" -v a="$a" -v t="$t" -v sm="$sm" -v l="$l" 'BEGIN {
		printf "bench %s plain=%.4f memstats=%.4f ratio=%.2f atomic_baseline_ratio=%.2f tracked=%.4f tracked_ratio=%.2f sampled=%.4f sampled_ratio=%.2f",
			w, p, m, m / p, a / p, t, t / p, sm, sm / p
		if (l > 0)
			printf " preload=%.4f preload_ratio=%.2f", l, l / p
		printf "\n" }'
	line="range $w"
	for k in $kinds; do [ "$k" = plain ] || line="$line $k=$(range "$w" "$k")"; done
	echo "$line"
done
