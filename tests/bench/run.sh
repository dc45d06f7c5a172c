#!/bin/sh
# run.sh - runs each workload plain, with memstats, with the atomic
# baseline and with memstats tracking live blocks (MEMSTATS_TRACK=1),
# interleaved (a warm-up round, then RUNS rounds), and prints one line per
# workload with the medians and the ratios to plain.
# Usage: tests/bench/run.sh DIR [RUNS] [WORKLOAD...]   (DIR holds plain,
# memstats and atomic, built by make bench)
set -eu
dir=$1 runs=${2:-5}
shift $(( $# >= 2 ? 2 : 1 ))
workloads=${*:-tight ring threads realistic realloc}
export MEMSTATS_OUTPUT=off

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for w in $workloads; do
	for b in plain memstats atomic; do "$dir/$b" "$w" >/dev/null; done # warm-up
	: >"$dir/$w.plain"; : >"$dir/$w.memstats"; : >"$dir/$w.atomic"; : >"$dir/$w.tracked"
	i=0
	while [ $i -lt "$runs" ]; do
		for b in plain memstats atomic; do "$dir/$b" "$w" >>"$dir/$w.$b"; done
		MEMSTATS_TRACK=1 "$dir/memstats" "$w" >>"$dir/$w.tracked"
		i=$((i + 1))
	done
	p=$(median <"$dir/$w.plain") m=$(median <"$dir/$w.memstats") a=$(median <"$dir/$w.atomic")
	t=$(median <"$dir/$w.tracked")
	awk -v w="$w" -v p="$p" -v m="$m" -v a="$a" -v t="$t" 'BEGIN {
		printf "bench %s plain=%.4f memstats=%.4f ratio=%.2f atomic_baseline_ratio=%.2f tracked=%.4f tracked_ratio=%.2f\n",
			w, p, m, m / p, a / p, t, t / p }'
done
