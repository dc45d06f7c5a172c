#!/bin/sh
# fake-cc.sh - a stand-in compiler for test_cc, to see exactly what
# memstats-cc runs: appends its arguments to $FAKE_LOG, one a line, then a
# line "--"; succeeds when one argument is $FAKE_OK_WITH; otherwise prints
# $FAKE_STDERR on stderr and exits with $FAKE_RC (0 if unset).
{
	for a in "$@"; do printf '%s\n' "$a"; done
	echo "--"
} >>"$FAKE_LOG"
for a in "$@"; do
	[ -n "${FAKE_OK_WITH:-}" ] && [ "$a" = "$FAKE_OK_WITH" ] && exit 0
done
[ -z "${FAKE_STDERR:-}" ] || printf '%s\n' "$FAKE_STDERR" >&2
exit "${FAKE_RC:-0}"
