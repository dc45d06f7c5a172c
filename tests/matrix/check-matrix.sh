#!/bin/sh
# check-matrix.sh - the toolchains, flags, sanitizers and build systems real
# projects use, against an installed memstats, as a user would: each row
# builds a self-checking program (hot.c, hot.cc) with pkg-config and
# -include memstats.h and runs it. Usage, from the project root:
#   tests/matrix/check-matrix.sh        (make check-matrix)
set -u
ROOT=$(pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/memstats-matrix.XXXXXX")
trap 'rm -rf "$T"' EXIT
passed=0 failed=0 skipped=0

ok() { passed=$((passed + 1)); echo "ok   - $1"; }
ko() { failed=$((failed + 1)); echo "FAIL - $1"; sed 's/^/       /' "$T/log" | tail -n 12; }
skip() { skipped=$((skipped + 1)); echo "skip - $1"; }
have() { command -v "$1" >/dev/null 2>&1; }

make -s install PREFIX="$T/prefix" >"$T/log" 2>&1 || { ko "make install"; exit 1; }
export PKG_CONFIG_PATH="$T/prefix/lib/pkgconfig"
CFL=$(pkg-config --cflags memstats)
LIBS=$(pkg-config --libs memstats)
STATIC_LIBS=$(pkg-config --static --libs memstats)
STRICT="-Wall -Wextra -Werror"

# row NAME COMPILER SRC [flags...]: build with the instrumentation, run, and
# let the program check its own counts.
row() {
	name=$1 cc=$2 src=$3; shift 3
	exe="$T/$(echo "$name" | tr -c 'a-zA-Z0-9\n' _)"
	if ! have "$cc"; then
		skip "$name ($cc not installed)"
		return
	fi
	# shellcheck disable=SC2086
	if ! $cc $CFL -include memstats.h $STRICT -pthread "$@" "$src" -o "$exe" $LIBS >"$T/log" 2>&1; then
		ko "$name: build"
		return
	fi
	# shellcheck disable=SC2086
	if env ${ROW_ENV:-} MEMSTATS_OUTPUT=off ASAN_OPTIONS=detect_leaks=0 TSAN_OPTIONS=halt_on_error=1 "$exe" >"$T/log" 2>&1; then
		ok "$name"
	else
		ko "$name: run"
	fi
}

for cc in gcc clang; do
	for opt in -O0 -O1 -O2 -O3; do
		row "$cc $opt" $cc tests/matrix/hot.c $opt -g
	done
	row "$cc -O2 -flto" $cc tests/matrix/hot.c -O2 -flto
	row "$cc -O2 sections + --gc-sections" $cc tests/matrix/hot.c -O2 -ffunction-sections -fdata-sections -Wl,--gc-sections
	row "$cc -O2 -fPIE -pie" $cc tests/matrix/hot.c -O2 -fPIE -pie
	row "$cc -O2 -fno-pie -no-pie" $cc tests/matrix/hot.c -O2 -fno-pie -no-pie
	for std in c99 c11 c17 gnu11; do
		row "$cc -std=$std -pedantic" $cc tests/matrix/hot.c -O2 -std=$std -pedantic -D_GNU_SOURCE
	done
	row "$cc -Wshadow -Wconversion" $cc tests/matrix/hot.c -O2 -Wshadow -Wconversion -Wno-sign-conversion
	row "$cc ASan+UBSan" $cc tests/matrix/hot.c -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all
	row "$cc TSan" $cc tests/matrix/hot.c -O1 -g -fsanitize=thread
	# shellcheck disable=SC2086
	if $cc $CFL -include memstats.h $STRICT -O2 -pthread tests/matrix/hot.c -static $STATIC_LIBS \
		-o "$T/static-$cc" >"$T/log" 2>&1 && MEMSTATS_OUTPUT=off "$T/static-$cc" >"$T/log" 2>&1; then
		ok "$cc -static"
	else
		ko "$cc -static"
	fi
done

# A static program with an allocator of its own: no glibc header to read.
# shellcheck disable=SC2086
if gcc -O2 -fno-builtin -c tests/matrix/own-malloc.c -o "$T/own-malloc.o" >"$T/log" 2>&1 &&
	gcc $CFL -include memstats.h $STRICT -O2 tests/matrix/own-main.c "$T/own-malloc.o" -static $STATIC_LIBS \
		-o "$T/own" >>"$T/log" 2>&1 && MEMSTATS_OUTPUT=off "$T/own" >>"$T/log" 2>&1; then
	ok "static, with the program's own malloc: counted through it"
else
	ko "static, with the program's own malloc: counted through it"
fi

# Declared wrappers (MEMSTATS_WRAPPERS): wrapped.c checks that each call is
# counted at the line that called its wrapper (-g: an inlined wrapper's
# caller comes from the inline frames).
WRAPPERS_ENV=MEMSTATS_WRAPPERS=xmalloc,xstrdup,ymalloc,xfree
for cc in gcc clang; do
	for opt in -O0 -O2 -O3 "-O2 -flto" "-O2 -fPIE -pie" "-O2 -fno-pie -no-pie"; do
		# shellcheck disable=SC2086
		ROW_ENV=$WRAPPERS_ENV row "$cc $opt, wrappers" $cc tests/matrix/wrapped.c $opt -g
	done
	ROW_ENV=$WRAPPERS_ENV row "$cc ASan+UBSan, wrappers" $cc tests/matrix/wrapped.c -O1 -g \
		-fsanitize=address,undefined -fno-sanitize-recover=all
	ROW_ENV=$WRAPPERS_ENV row "$cc TSan, wrappers" $cc tests/matrix/wrapped.c -O1 -g -fsanitize=thread
	ROW_ENV="$WRAPPERS_ENV MEMSTATS_TRACK=1" row "$cc -O2, wrappers, tracking" $cc tests/matrix/wrapped.c -O2 -g
done

# C++ built without the header, run under the installed preload library:
# plain.cc finds the runtime with dlsym and checks its own rows. Under a
# sanitizer the library counts nothing and says so (ASan refuses to start
# after another malloc unless told not to check).
PRELOADED="$T/prefix/lib/libmemstats-preload.so"
prow() {
	name=$1 cxx=$2; shift 2
	exe="$T/$(echo "$name" | tr -c 'a-zA-Z0-9\n' _)"
	if ! have "$cxx"; then
		skip "$name ($cxx not installed)"
		return
	fi
	# shellcheck disable=SC2086
	if ! $cxx $CFL -Wall -Wextra -Werror "$@" tests/matrix/plain.cc -o "$exe" -ldl >"$T/log" 2>&1; then
		ko "$name: build"
		return
	fi
	# shellcheck disable=SC2086
	if env ${ROW_ENV:-} LD_PRELOAD="$PRELOADED" MEMSTATS_OUTPUT=off "$exe" >"$T/log" 2>&1 &&
		{ [ -z "${ROW_EXPECT:-}" ] || grep -q "$ROW_EXPECT" "$T/log"; }; then
		ok "$name"
	else
		ko "$name: run"
	fi
}
for cxx in g++ clang++; do
	for opt in -O0 -O2 -O3 "-O2 -flto" "-O2 -fPIE -pie" "-O2 -fno-pie -no-pie"; do
		# shellcheck disable=SC2086
		prow "$cxx $opt, no header, preloaded" $cxx $opt -g
	done
	ROW_ENV=PLAIN_NOTHING=1 ROW_EXPECT="counts nothing under a sanitizer" \
		prow "$cxx TSan, preloaded: nothing counted, said so" $cxx -O1 -g -fsanitize=thread
	ROW_ENV="PLAIN_NOTHING=1 ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0" \
		ROW_EXPECT="counts nothing under a sanitizer" \
		prow "$cxx ASan, preloaded: nothing counted, said so" $cxx -O1 -g -fsanitize=address
done

# Live tracking on (MEMSTATS_TRACK=1): hot.c then checks live blocks too.
for cc in gcc clang; do
	ROW_ENV=MEMSTATS_TRACK=1 row "$cc -O2, tracking" $cc tests/matrix/hot.c -O2
	ROW_ENV=MEMSTATS_TRACK=1 row "$cc -O3 -flto, tracking" $cc tests/matrix/hot.c -O3 -flto
	ROW_ENV=MEMSTATS_TRACK=1 row "$cc TSan, tracking" $cc tests/matrix/hot.c -O1 -g -fsanitize=thread
done

# Forks of a process with a reporter thread, under TSan and its default
# die_after_fork=1: the children go on, count and report.
for cc in gcc clang; do
	# shellcheck disable=SC2086
	if $cc $CFL -include memstats.h $STRICT -O1 -g -fsanitize=thread -pthread tests/matrix/forks.c \
		-o "$T/forks-$cc" $LIBS >"$T/log" 2>&1 &&
		MEMSTATS_INTERVAL=1 MEMSTATS_SIGNAL=USR2 MEMSTATS_FORMAT=json MEMSTATS_OUTPUT="$T/forks-$cc.%p.%n.json" \
			TSAN_OPTIONS=halt_on_error=1 timeout 60 "$T/forks-$cc" >>"$T/log" 2>&1; then
		ok "$cc TSan, forks with a reporter thread: every child goes on and reports"
	else
		ko "$cc TSan, forks with a reporter thread: every child goes on and reports"
	fi
done

for cxx in g++ clang++; do
	for std in c++11 c++17 c++20; do
		row "$cxx -std=$std -O2" $cxx tests/matrix/hot.cc -O2 -std=$std -Wold-style-cast
	done
	row "$cxx -O0 -g" $cxx tests/matrix/hot.cc -O0 -g
	row "$cxx -O2 -flto" $cxx tests/matrix/hot.cc -O2 -flto
	row "$cxx ASan+UBSan" $cxx tests/matrix/hot.cc -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all
done

# valgrind memcheck: no error in the instrumented program or the runtime.
if have valgrind; then
	# shellcheck disable=SC2086
	gcc $CFL -include memstats.h -O2 -g -pthread tests/matrix/hot.c -o "$T/vg" $LIBS >"$T/log" 2>&1
	if MEMSTATS_OUTPUT="$T/vg.json" MEMSTATS_FORMAT=json valgrind -q --error-exitcode=99 "$T/vg" >"$T/log" 2>&1 &&
		python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$T/vg.json" >>"$T/log" 2>&1; then
		ok "valgrind memcheck: no error, report written"
	else
		ko "valgrind memcheck: no error, report written"
	fi
	if MEMSTATS_TRACK=1 MEMSTATS_OUTPUT="$T/vgt.json" MEMSTATS_FORMAT=json valgrind -q --error-exitcode=99 "$T/vg" \
		>"$T/log" 2>&1 && python3 -c "import json,sys; assert json.load(open(sys.argv[1]))['totals']['live_blocks'] == 1" \
		"$T/vgt.json" >>"$T/log" 2>&1; then
		ok "valgrind memcheck, tracking: no error, the one live block reported"
	else
		ko "valgrind memcheck, tracking: no error, the one live block reported"
	fi
else
	skip "valgrind not installed"
fi

# exit() from one thread while another allocates: a whole, valid report.
# shellcheck disable=SC2086
gcc $CFL -include memstats.h -O2 -pthread tests/matrix/texit.c -o "$T/texit" $LIBS >"$T/log" 2>&1
if MEMSTATS_OUTPUT="$T/texit.json" MEMSTATS_FORMAT=json timeout 30 "$T/texit" >>"$T/log" 2>&1 &&
	python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
assert sum(s['calls'] for s in j['sites'] if s['api'] == 'malloc') > 0, j" "$T/texit.json" >>"$T/log" 2>&1; then
	ok "exit() from a thread while another allocates: whole report"
else
	ko "exit() from a thread while another allocates: whole report"
fi

# The build systems of contrib/, each against the installed memstats.
example() {
	name=$1 dir=$2; shift 2
	rm -rf "$T/$name" && cp -r "$dir" "$T/$name"
	if (cd "$T/$name" && "$@") >"$T/log" 2>&1 &&
		MEMSTATS_OUTPUT="$T/$name.json" MEMSTATS_FORMAT=json "$T/$name/$EXAMPLE_EXE" >>"$T/log" 2>&1 &&
		python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
assert [s for s in j['sites'] if s['file'].endswith('greet.c') and s['api'] == 'strdup' and s['calls'] == 3], j" \
			"$T/$name.json" >>"$T/log" 2>&1; then
		ok "contrib example: $name"
	else
		ko "contrib example: $name"
	fi
}
EXAMPLE_EXE=greet example makefile contrib/makefile-example make
if have cmake; then
	EXAMPLE_EXE=build/greet example cmake contrib/cmake-example \
		sh -c 'cmake -S . -B build >/dev/null && cmake --build build'
else
	skip "cmake not installed"
fi

# An autoconf project: ./configure with the instrumentation in CFLAGS finds
# what it finds without it (same config.h), and the program is counted.
if have autoconf && have autoheader; then
	rm -rf "$T/ac" && cp -r contrib/autoconf-example "$T/ac"
	if (cd "$T/ac" && autoconf && autoheader &&
		./configure CFLAGS="-O2" && mv config.h plain.h &&
		./configure CFLAGS="-O2 $CFL -include memstats.h" LIBS="$LIBS" && make) >"$T/log" 2>&1 &&
		diff "$T/ac/plain.h" "$T/ac/config.h" >>"$T/log" 2>&1 &&
		MEMSTATS_OUTPUT="$T/ac.json" MEMSTATS_FORMAT=json "$T/ac/greet" >>"$T/log" 2>&1 &&
		python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
assert [s for s in j['sites'] if s['api'] == 'strndup' and s['calls'] == 3], j" "$T/ac.json" >>"$T/log" 2>&1; then
		ok "contrib example: autoconf (same config.h with and without memstats)"
	else
		ko "contrib example: autoconf (same config.h with and without memstats)"
	fi
else
	skip "autoconf not installed"
fi

# One variable: contrib/cc-example, whose build files know nothing of
# memstats, built by each build system with CC=memstats-cc only; its
# library's and program's lines counted exactly.
MCC=$T/prefix/bin/memstats-cc
ccrow() {
	name=$1 exe=$2; shift 2
	rm -rf "$T/cc-$name" && cp -r contrib/cc-example "$T/cc-$name"
	if (cd "$T/cc-$name" && "$@") >"$T/log" 2>&1 &&
		(cd "$T/cc-$name" && MEMSTATS_OUTPUT="$T/cc-$name.json" MEMSTATS_FORMAT=json "./$exe") >>"$T/log" 2>&1 &&
		python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
def calls(f, line, op):
    return sum(s['calls'] for s in j['sites'] if (s['file'] or '').endswith(f) and s['line'] == line and s['op'] == op)
assert calls('words.c', 9, 'strdup') == 5 and calls('app.c', 12, 'free') == 5, j" \
			"$T/cc-$name.json" >>"$T/log" 2>&1; then
		ok "CC=memstats-cc: $name"
	else
		ko "CC=memstats-cc: $name"
	fi
}
ccrow "make (no LIBS, link flags first, --as-needed)" app make CC="$MCC"
if have cmake; then
	ccrow cmake build/app sh -c "cmake -S . -B build -DCMAKE_C_COMPILER='$MCC' && cmake --build build"
else
	skip "CC=memstats-cc: cmake (not installed)"
fi
if have meson && have ninja; then
	ccrow meson build/app sh -c "CC='$MCC' meson setup build && meson compile -C build"
else
	skip "CC=memstats-cc: meson (meson or ninja not installed)"
fi
if have autoreconf && have libtoolize && have automake; then
	ccrow "autoconf, automake, libtool shared library" app \
		sh -c "autoreconf -fi && ./configure CC='$MCC' CFLAGS='-O2 -g' && make -f auto.mk"
	# and configure finds what it finds without memstats
	rm -rf "$T/acc" && cp -r contrib/autoconf-example "$T/acc"
	if (cd "$T/acc" && autoconf && autoheader && ./configure CFLAGS=-O2 && mv config.h plain.h &&
		./configure CC="$MCC" CFLAGS=-O2 && diff plain.h config.h) >"$T/log" 2>&1; then
		ok "CC=memstats-cc: ./configure finds what it finds without memstats (same config.h)"
	else
		ko "CC=memstats-cc: ./configure finds what it finds without memstats (same config.h)"
	fi
else
	skip "CC=memstats-cc: autotools (autoconf, automake or libtool not installed)"
fi

# contrib/pool-example: a pool counted as p_alloc/p_free, its leak found.
rm -rf "$T/pool" && cp -r contrib/pool-example "$T/pool"
if (cd "$T/pool" && make CC="$MCC" && MEMSTATS_TRACK=1 MEMSTATS_FORMAT=json MEMSTATS_OUTPUT="$T/pool.json" ./server) \
	>"$T/log" 2>&1 && python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
s = [r for r in j['sites'] if r['op'] == 'p_alloc' and r['type'] == 'session']
assert len(s) == 1 and s[0]['calls'] == 1000 and s[0]['live_blocks'] == 1 and s[0]['live_bytes'] == 1024, j
assert j['totals']['pool_live_blocks'] == 1, j" "$T/pool.json" >>"$T/log" 2>&1; then
	ok "contrib/pool-example: p_alloc rows per pool, the leaked session live"
else
	ko "contrib/pool-example: p_alloc rows per pool, the leaked session live"
fi

# contrib/check-example: Check tests that guard memory (allocations per
# run, a scope, each failure injected in turn), built with memstats-cc.
rm -rf "$T/check-example" && cp -r contrib/check-example "$T/check-example"
if (cd "$T/check-example" && make CC="$MCC" check) >"$T/log" 2>&1; then
	ok "contrib/check-example: Check tests with scopes, allocs_per_run and memstats_fail_set"
else
	ko "contrib/check-example: Check tests with scopes, allocs_per_run and memstats_fail_set"
fi
# contrib/torture-example: kv's unhandled failures found (a crash: exit 1)
rm -rf "$T/kv" && cp -r contrib/torture-example "$T/kv"
(cd "$T/kv" && make CC="$MCC" && "$T/prefix/bin/memstats" torture -j 2 -- ./kv a=1 b=2) >"$T/log" 2>&1
if [ $? -eq 1 ] && grep -q "main  malloc" "$T/log" && grep -q "crash: SIGSEGV" "$T/log"; then
	ok "contrib/torture-example: memstats torture finds kv's crash and leaks"
else
	ko "contrib/torture-example: memstats torture finds kv's crash and leaks"
fi

# Many machines: the program's periodic OpenMetrics report read by a real
# node_exporter, scraped by a real Prometheus, queried with PromQL.
tests/fleet/check-fleet.sh "$T/prefix" >"$T/log" 2>&1
case $? in
0) sed -n 's/^ok   - /       /p' "$T/log"; ok "fleet: node_exporter textfile + Prometheus + PromQL give the report's numbers" ;;
77) skip "fleet: $(tail -n 1 "$T/log")" ;;
*) ko "fleet: node_exporter textfile + Prometheus + PromQL give the report's numbers" ;;
esac

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
