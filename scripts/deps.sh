#!/bin/sh
# deps.sh - which file of the runtime calls (or reads) which: the graph of
# src/*.c as the linker sees it, from the symbols each object defines and
# uses (nm), and whether it has a cycle.
#
#   scripts/deps.sh [BUILD_DIR]      (from the root, after make; prints "a -> b" lines, then
#                                     the files in an order where each calls
#                                     only files after it, or the cycles)
# Exit status 1 if there is a cycle.
set -u
B=${1:-build}
NM=${NM:-nm}
objs=
for c in src/*.c; do
	o="$B/obj/$(basename "$c" .c).o"
	[ -f "$o" ] || { echo "deps.sh: no $o: run make first" >&2; exit 2; }
	objs="$objs $o"
done

edges=$(for o in $objs; do
	f=$(basename "$o" .o)
	$NM "$o" | awk -v f="$f" '$1 ~ /^[UTDBRVWdtbr]$/ && NF == 2 { print "U", f, $2 } NF == 3 && $2 ~ /^[TDBRVWGS]$/ { print "D", f, $3 }'
done | awk '
	$1 == "D" { def[$3] = $2 }
	$1 == "U" { use[++n] = $2 " " $3 }
	END {
		for (i = 1; i <= n; i++) {
			split(use[i], u, " ")
			if ((u[2] in def) && def[u[2]] != u[1])
				print u[1], def[u[2]]
		}
	}' | sort -u)

echo "$edges" | awk 'NF == 2 { print $1 " -> " $2 }'
echo
# tsort wants every node named; a node with no edge pairs with itself.
order=$( { echo "$edges"; for o in $objs; do f=$(basename "$o" .o); echo "$f $f"; done; } | tsort 2>"$B/deps.loops")
if [ -s "$B/deps.loops" ]; then
	echo "cycles:"
	sed 's/^tsort: //' "$B/deps.loops"
	exit 1
fi
echo "no cycle; callers before callees:"
echo "$order" | tr '\n' ' '
echo
