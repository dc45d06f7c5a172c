#!/bin/sh
# check-header.sh - what the force-included header does to code at compile
# time: it includes no C library header, leaves feature-test macros to the
# file, compiles warning-free under strict flags, and its escape hatches work.
# Usage: tests/header/check-header.sh   (from the project root; CC may be set)
set -u
CC=${CC:-cc}
B=${B:-build}
INC="-Iinclude -isystem include/memstats/wrap"
T=$(mktemp -d "${TMPDIR:-/tmp}/memstats-header.XXXXXX")
trap 'rm -rf "$T"' EXIT
passed=0 failed=0

ok() { passed=$((passed + 1)); echo "ok   - $1"; }
ko() { failed=$((failed + 1)); echo "FAIL - $1"; sed 's/^/       /' "$T/log" | head -n 10; }
# expect_ok "what" file flags...: compiles (and links) with no diagnostics
expect_ok() {
	what=$1 src=$2; shift 2
	if $CC $INC -include memstats.h "$@" "$src" -o "$T/a.out" -L"$B" -lmemstats >"$T/log" 2>&1 && [ ! -s "$T/log" ]; then
		ok "$what"
	else
		ko "$what"
	fi
}

# 1. The header pulls in no header but its own memstats/sites.h and
#    memstats-define.h (gcc itself
#    pre-includes stdc-predef.h, which sets no feature macro): nothing can
#    lock the feature macros.
: >"$T/empty.c"
$CC $INC -include memstats.h -E "$T/empty.c" >"$T/pp" 2>"$T/log"
if grep '^# [0-9]* "' "$T/pp" | grep -v -e 'memstats\.h"' -e 'include/memstats/sites\.h"' -e '"<' -e 'empty\.c"' -e 'stdc-predef\.h"' \
	-e 'wrap/memstats-define\.h"' >"$T/log"; then
	ko "memstats.h includes no other header"
else
	ok "memstats.h includes no other header"
fi

# 2. A file asking for GNU extensions before its first include gets them.
cat >"$T/gnu.c" <<'EOF'
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
int main(void)
{
	pthread_setname_np(pthread_self(), "x");
	char *p = strdup("a");
	free(p);
	return accept4(-1, NULL, NULL, SOCK_CLOEXEC) == -1 ? 0 : 1;
}
EOF
expect_ok "_GNU_SOURCE in the file: GNU declarations visible" "$T/gnu.c" -Werror=implicit-function-declaration -pthread

# 3. ...and one asking for strict POSIX gets the XSI strerror_r.
cat >"$T/xsi.c" <<'EOF'
#define _POSIX_C_SOURCE 200112L
#include <string.h>
#include <stdlib.h>
int main(void)
{
	char buf[64];
	int rc = strerror_r(2, buf, sizeof buf);
	free(malloc(4));
	return rc;
}
EOF
expect_ok "_POSIX_C_SOURCE in the file: XSI strerror_r returns int" "$T/xsi.c" -Wall -Werror

# 4. Every wrapped function, nested, under the strictest flags.
cat >"$T/strict.c" <<'EOF'
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
int main(void)
{
	void *p = NULL;
	char *s = strndup(strdup("abc"), 2);
	free(malloc(3));
	free(realloc(calloc(2, 3), 10));
	if (posix_memalign(&p, 64, 10) == 0)
		free(p);
	free(aligned_alloc(64, 64));
	free(memalign(64, 10));
	free(valloc(10));
	free(s);
	return 0;
}
EOF
for std in c99 c11 c17 gnu11; do
	expect_ok "-std=$std -pedantic -Wall -Wextra -Wshadow -Wconversion -Werror" "$T/strict.c" \
		-std=$std -pedantic -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wconversion -Werror
done

# 4b. A function the file's mode does not declare stays undeclared, exactly as
#     without memstats: the compiler's diagnostic, and autoconf's probe.
cat >"$T/c99.c" <<'EOF'
#include <stdlib.h>
#include <string.h>
char *copy(const char *s) { return strdup(s); }
EOF
if $CC $INC -include memstats.h -std=c99 -Werror=implicit-function-declaration -c "$T/c99.c" -o "$T/c.o" >"$T/log" 2>&1; then
	ko "-std=c99: strdup undeclared, as without memstats"
elif grep -q 'implicit declaration of function .strdup' "$T/log"; then
	ok "-std=c99: strdup undeclared, as without memstats"
else
	ko "-std=c99: strdup undeclared, as without memstats"
fi
cat >"$T/probe.c" <<'EOF'
#include <stdlib.h>
#include <string.h>
int main(void)
{
#ifndef strdup
	(void) strdup;
#endif
#ifndef aligned_alloc
	(void) aligned_alloc;
#endif
	return 0;
}
EOF
probe() { $CC $INC "$@" -c "$T/probe.c" -o "$T/p.o" >>"$T/log" 2>&1 && echo yes || echo no; }
: >"$T/log"
for mode in "-std=c99" "-std=gnu99" "-std=c11" "-std=c99 -D_POSIX_C_SOURCE=200809L"; do
	# shellcheck disable=SC2086
	without=$(probe $mode) with=$(probe $mode -include memstats.h)
	if [ "$without" = "$with" ]; then
		ok "autoconf-style declaration probe, $mode: '$with' as without memstats"
	else
		ko "autoconf-style declaration probe, $mode: '$with', without memstats '$without'"
	fi
done

# 4d. <mm_malloc.h> declares posix_memalign in strict modes too (gcc's and
#     clang's have different include guards): counted after it.
cat >"$T/mmstrict.c" <<'EOF'
#include <mm_malloc.h>
#include <string.h>
int main(void)
{
	void *p = NULL;
	int rc = posix_memalign(&p, 32, 64);

	free(p);
	return rc;
}
EOF
case $(uname -m) in
x86_64|i?86)
	if $CC $INC -include memstats.h -std=c99 -Wall -Werror "$T/mmstrict.c" -o "$T/mm" -L"$B" -lmemstats \
		-Wl,-rpath,"$(pwd)/$B" >"$T/log" 2>&1 &&
		MEMSTATS_OUTPUT=stdout MEMSTATS_FORMAT=csv "$T/mm" >"$T/out" 2>>"$T/log" &&
		grep -q ',posix_memalign,,.*,1,0,64,' "$T/out"; then
		ok "-std=c99: posix_memalign after <mm_malloc.h> counted"
	else
		cat "$T/out" >>"$T/log" 2>/dev/null
		ko "-std=c99: posix_memalign after <mm_malloc.h> counted"
	fi ;;
esac

# 4e. A project's own macros for these names are the project's: autoconf's
#     AC_FUNC_MALLOC (#define malloc rpl_malloc in config.h, before the
#     system headers), and a debugging macro defined between includes.
cat >"$T/rpl.c" <<'EOF'
#define malloc rpl_malloc
#include <stdio.h>
#include <stdlib.h>
void *rpl_malloc(size_t n) { puts("rpl"); return calloc(1, n ? n : 1); }
#include <string.h>
int main(void) { free(malloc(0)); return 0; }
EOF
cat >"$T/dbg.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
static void *dbg(size_t n) { puts("dbg"); return (malloc)(n); }
#define malloc(n) dbg(n)
#include <string.h>
int main(void) { free(malloc(4)); return 0; }
EOF
# (dbg.c redefines memstats' malloc after <stdlib.h>: a "redefined" warning,
# as for any macro redefined; the project's definition must win, even over
# later includes)
for f in rpl dbg; do
	if $CC $INC -include memstats.h -Wall "$T/$f.c" -o "$T/$f" -L"$B" -lmemstats -Wl,-rpath,"$(pwd)/$B" \
		>"$T/log" 2>&1 && [ "$(MEMSTATS_OUTPUT=off "$T/$f")" = "$f" ]; then
		ok "the project's own #define malloc ($f) is left alone"
	else
		ko "the project's own #define malloc ($f) is left alone"
	fi
done

# 4c. Code that declares malloc itself, as autoconf 2.71's C99/C11 probes do.
cat >"$T/owndecl.c" <<'EOF'
#include <stddef.h>
extern void *malloc (size_t);
extern void free (void *);
int main(void) { void *p = malloc(4); free(p); return 0; }
EOF
expect_ok "a file declaring malloc and free by hand (autoconf's C11 probe)" "$T/owndecl.c" -std=c11 -Wall -Werror

# 5. Escape hatches.
cat >"$T/members.c" <<'EOF'
#include <stdlib.h>
struct alloc { void *(*malloc)(size_t); void (*free)(void *); };
int main(void) { struct alloc a = { malloc, free }; void *p = a.malloc(8); a.free(p); return 0; }
EOF
expect_ok "MEMSTATS_DISABLE: members named malloc and free" "$T/members.c" -DMEMSTATS_DISABLE -Wall -Werror
cat >"$T/nofree.c" <<'EOF'
#include <stdlib.h>
struct pool { void (*free)(void *); };
static void drop(void *p) { free(p); }
int main(void) { struct pool pl = { drop }; pl.free(malloc(8)); return 0; }
EOF
expect_ok "MEMSTATS_NO_FREE: a member named free" "$T/nofree.c" -DMEMSTATS_NO_FREE -Wall -Werror

# 6. GCC's <mm_malloc.h> declares posix_memalign itself.
cat >"$T/simd.c" <<'EOF'
#include <immintrin.h>
#include <stdlib.h>
int main(void)
{
	float *q = _mm_malloc(64, 32);
	void *p = NULL;
	_mm_free(q);
	if (posix_memalign(&p, 32, 64))
		return 1;
	free(p);
	return 0;
}
EOF
case $(uname -m) in
x86_64|i?86) expect_ok "<immintrin.h> (mm_malloc.h) compiles" "$T/simd.c" -Wall -Werror ;;
esac

# A file that defines its own allocator: MEMSTATS_DISABLE leaves it alone,
# and the rest of the program still counts its calls.
cat >"$T/myalloc.c" <<'EOF'
#include <stddef.h>
#include <stdlib.h>
static char arena[1 << 12];
static size_t used;
void *my_alloc(size_t n) { void *p = arena + used; used += (n + 15) & ~(size_t)15; return p; }
void *xmalloc(size_t n) { void *p = malloc(n); if (!p) abort(); return p; }
EOF
cat >"$T/usealloc.c" <<'EOF'
#include <stddef.h>
#include <stdlib.h>
void *my_alloc(size_t n);
void *xmalloc(size_t n);
int main(void) { free(xmalloc(8)); return my_alloc(4) == NULL; }
EOF
if $CC $INC -include memstats.h -DMEMSTATS_DISABLE -Wall -Werror -c "$T/myalloc.c" -o "$T/myalloc.o" >"$T/log" 2>&1 &&
	$CC $INC -include memstats.h -Wall -Werror "$T/usealloc.c" "$T/myalloc.o" -o "$T/usealloc" -L"$B" -lmemstats \
		-Wl,-rpath,"$(pwd)/$B" >>"$T/log" 2>&1 &&
	MEMSTATS_OUTPUT=stdout MEMSTATS_FORMAT=csv "$T/usealloc" >"$T/out" 2>>"$T/log" &&
	grep -q 'usealloc.c,5,main,free,free,,.*,1,0,0,' "$T/out" && ! grep -q 'myalloc.c' "$T/out"; then
	ok "own allocator file with MEMSTATS_DISABLE; its callers counted"
else
	ko "own allocator file with MEMSTATS_DISABLE; its callers counted"
fi

# 7. ha_aligned_*_typed returns a type *: another pointer type is an error.
cat >"$T/typed.c" <<'EOF'
struct a { int x; }; struct b { long y; };
int main(void) { struct a *p = ha_aligned_alloc_typed(1, struct a); ha_aligned_free(p); return 0; }
EOF
sed 's/struct a \*p/struct b *p/' "$T/typed.c" >"$T/typed-bad.c"
expect_ok "typed result in its own pointer type" "$T/typed.c" -Wall -Werror=incompatible-pointer-types
if $CC $INC -include memstats.h -Werror=incompatible-pointer-types -c "$T/typed-bad.c" -o "$T/t.o" >"$T/log" 2>&1; then
	ko "typed result in another pointer type: incompatible-pointer-types"
elif grep -q 'incompatible' "$T/log"; then
	ok "typed result in another pointer type: incompatible-pointer-types"
else
	ko "typed result in another pointer type: incompatible-pointer-types"
fi

# 8. With MEMSTATS_DISABLE the ha_aligned_* API still works, uncounted.
cat >"$T/plain.c" <<'EOF'
#include <stdint.h>
#include <memstats.h>
struct s { char c[3]; } __attribute__((aligned(32)));
int main(void)
{
	void *p = ha_aligned_alloc(64, 10);
	struct s *t = ha_aligned_zalloc_typed(4, struct s);
	int ok = p && !((uintptr_t)p % 64) && t && !((uintptr_t)t % 32) && !t[3].c[2];
	ha_aligned_free(p);
	ha_aligned_free_size(t, 4 * sizeof(*t));
	return !ok;
}
EOF
if $CC -DMEMSTATS_DISABLE $INC -Wall -Werror "$T/plain.c" -o "$T/plain" -L"$B" -lmemstats -Wl,-rpath,"$(pwd)/$B" >"$T/log" 2>&1 &&
	MEMSTATS_OUTPUT=off "$T/plain" >>"$T/log" 2>&1; then
	ok "MEMSTATS_DISABLE: ha_aligned_* still works"
else
	ko "MEMSTATS_DISABLE: ha_aligned_* still works"
fi

# 9. Without the wrapper directory the error says what to do.
if $CC -Iinclude -include memstats.h -c "$T/xsi.c" -o "$T/x.o" >"$T/log" 2>&1; then
	ko "missing wrapper headers: a clear error"
elif grep -q 'pkg-config --cflags memstats' "$T/log"; then
	ok "missing wrapper headers: a clear error"
else
	ko "missing wrapper headers: a clear error"
fi

# An assembly source preprocessed with the header (a project's CFLAGS on
# its .S files) sees nothing of it.
printf '#define RET ret\n\t.text\n\t.globl f\nf:\tRET\n' >"$T/f.S"
if $CC $INC -include memstats.h -c "$T/f.S" -o "$T/f.o" >"$T/log" 2>&1; then
	ok "an assembly source compiles with -include memstats.h"
else
	ko "an assembly source compiles with -include memstats.h"
fi

# An object compiled with the header that makes no counted call (a
# configure probe) links without libmemstats: the registration is weak.
printf 'int probe_var = 1;\nint main(void) { return probe_var - 1; }\n' >"$T/probe.c"
if $CC $INC -include memstats.h -O2 -c "$T/probe.c" -o "$T/probe.o" >"$T/log" 2>&1 &&
	$CC "$T/probe.o" -o "$T/probe" >>"$T/log" 2>&1 && "$T/probe" >>"$T/log" 2>&1; then
	ok "an object that allocates nothing links and runs without libmemstats"
else
	ko "an object that allocates nothing links and runs without libmemstats"
fi

# -DMEMSTATS_DISABLE: the pool calls compile, count nothing and evaluate
# each argument once (no library needed: they call nothing).
cat >"$T/pooloff.c" <<'EOF'
static int n;
static const char *name(void) { n++; return "p"; }
int main(void)
{
	int x, size = 8;
	memstats_pool_alloc(name(), size++, (n++, &x));
	memstats_pool_free(name(), size++, (n++, &x));
	return n == 4 && size == 10 ? 0 : 1;
}
EOF
if $CC $INC -include memstats.h -DMEMSTATS_DISABLE -Wall -Wextra -Werror "$T/pooloff.c" -o "$T/pooloff" >"$T/log" 2>&1 &&
	"$T/pooloff" >>"$T/log" 2>&1; then
	ok "MEMSTATS_DISABLE: pool calls evaluate each argument once, need no library"
else
	ko "MEMSTATS_DISABLE: pool calls evaluate each argument once, need no library"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
