#!/bin/sh
# cli-bench.sh - the memstats command on a report of 100,000 rows (tracked,
# written here the way the runtime writes one): wall time and peak memory
# (GNU time's %e and %M) of each report command, median of 3.
# Usage: tests/bench/cli-bench.sh [MEMSTATS] [ROWS]   (default build/memstats, 100000)
set -eu
ms=${1:-build/memstats} rows=${2:-100000}
T=$(mktemp -d "${TMPDIR:-/tmp}/memstats-clibench.XXXXXX")
trap 'rm -rf "$T"' EXIT
python3 - "$rows" >"$T/r.json" <<'PY'
import sys
n = int(sys.argv[1])
ages = lambda b: ', "age_histogram": [' + ", ".join('{"min_age_s": %d, "blocks": %d, "bytes": %d}' % (m, b if m == 1 else 0, 64 * b if m == 1 else 0) for m in (0, 1, 10, 100, 1000)) + "]"
print('{"version": 2, "pid": 4242, "program": "big",\n "sites": [')
for i in range(n):
    sep = "," if i + 1 < n else ""
    print('  {"kind": "site", "file": "src/file%d.c", "line": %d, "func": "function_%d", "op": "malloc", "api": "malloc", "type": null, "object": "/usr/bin/big", "offset": null, "via": null, "calls": %d, "failed": 0, "bytes": %d, "alloc_bytes": %d, "free_bytes": 0, "live_blocks": %d, "live_bytes": %d, "peak_live_bytes": %d%s}%s'
          % (i % 1000, i % 5000 + 1, i % 20000, i + 1, 64 * (i + 1), 72 * (i + 1), i % 7, 64 * (i % 7), 64 * (i % 7), ages(i % 7), sep))
c = n * (n + 1) // 2
print(' ],\n "totals": {"calls": %d, "failed": 0, "bytes": %d, "alloc_bytes": %d, "free_bytes": 0, "balance": %d, "foreign_frees": 0, "live_blocks": 0, "live_bytes": 0, "peak_live_bytes": 0}}' % (c, 64 * c, 72 * c, 72 * c))
PY
cp "$T/r.json" "$T/r2.json"
echo "report: $rows rows, $(($(wc -c <"$T/r.json") / 1024 / 1024)) MiB"
median() { sort -g | sed -n 2p; }
for cmd in "top r.json" "top r.json --by func" "diff r.json r2.json" "merge r.json r2.json -o m.json" \
	"pprof r.json -o p.pb.gz" "folded r.json" "html r.json -o r.html" "metrics r.json"; do
	: >"$T/times"
	for i in 1 2 3; do
		(cd "$T" && /usr/bin/time -f "%e %M" "$OLDPWD/$ms" $cmd >/dev/null 2>>"$T/times") || true
	done
	s=$(awk '{ print $1 }' "$T/times" | median) kb=$(awk '{ print $2 }' "$T/times" | median)
	echo "cli $cmd: ${s} s, $((kb / 1024)) MiB"
done
