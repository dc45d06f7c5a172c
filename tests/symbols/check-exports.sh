#!/bin/sh
# check-exports.sh - libmemstats.a and libmemstats.so define no global name
# but the public API (memstats_*, ha_aligned_*) and what the macros need
# (memstats__*, memstats_tls_): a program's own names never clash with the
# runtime's internals, in a static link as in a dynamic one.
# Usage: tests/symbols/check-exports.sh BUILD_DIR
set -u
B=${1:-build}
NM=${NM:-nm}
failed=0
check() { # check WHAT: reads the names on stdin
	bad=$(grep -v -E '^(memstats_|ha_aligned_)' | sort -u)
	if [ -n "$bad" ]; then
		echo "FAIL - $1 defines internal names globally:"
		echo "$bad" | sed 's/^/       /' | head -n 20
		failed=1
	else
		echo "ok   - $1 defines only public names globally"
	fi
}
$NM -g --defined-only "$B/libmemstats.a" | awk 'NF == 3 { print $3 }' | check libmemstats.a
$NM -D --defined-only "$B/libmemstats.so" | awk 'NF == 3 { print $3 }' | check libmemstats.so
exit $failed
