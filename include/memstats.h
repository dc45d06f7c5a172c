/* memstats.h - per-line allocation statistics from one force-included header.
 *
 * Compile with   $(pkg-config --cflags memstats) -include memstats.h
 * link with      $(pkg-config --libs memstats)
 * and every malloc, calloc, realloc, free, strdup, strndup, posix_memalign,
 * aligned_alloc, memalign, valloc, pvalloc and ha_aligned_* call in that code
 * is counted per source line. The report is written at exit (see README.md for
 * the MEMSTATS_* environment variables) or whenever memstats_dump() is called.
 *
 * This file is the public interface: the counters, the report's rows and
 * the functions a program may call. How a call is counted (a static record
 * per call site, the macros, the inline counting) is in memstats/sites.h,
 * included at the end.
 *
 * Escape hatches:
 *   -DMEMSTATS_DISABLE  no macros in this file; the API below is still declared
 *   -DMEMSTATS_NO_FREE  leave free() alone (for struct members called "free")
 *   (free)(p)           one uncounted call: a parenthesised name is not a macro call
 *
 * This header includes no C library header on purpose: a file that defines
 * _GNU_SOURCE or _POSIX_C_SOURCE before its first #include must get exactly
 * the declarations it would get without memstats. The system headers that
 * declare the wrapped functions are reached through the wrapper headers in
 * memstats/wrap/ (on the pkg-config include path), which suspend the macros
 * around the real header, then leave undefined the macro of a function it
 * did not declare in the file's feature mode (memstats-define.h): a function
 * the file's mode does not declare stays undeclared.
 */
/* An assembly source preprocessed with -include memstats.h (a project's
 * CFLAGS on its .S files) sees nothing of it. */
#ifndef __ASSEMBLER__
#ifndef MEMSTATS_H
#define MEMSTATS_H

/* The macros' own casts, statement expressions and variadic forms are
 * memstats' business, not the compiling project's: no -Wuseless-cast or
 * -pedantic warning of theirs in user code, whatever the include path. */
#pragma GCC system_header

#define MEMSTATS_VERSION_MAJOR 0
#define MEMSTATS_VERSION_MINOR 1

#define MEMSTATS_API_ __attribute__((visibility("default")))

/* C++ sees these functions as noexcept, like the C library functions the
 * wrappers stand for. */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define MEMSTATS_NOTHROW_ noexcept
#elif defined(__cplusplus)
#define MEMSTATS_NOTHROW_ throw()
#else
#define MEMSTATS_NOTHROW_ __attribute__((nothrow))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* No <stddef.h>/<stdint.h> needed: the compiler names these types itself.
 * Counters are 8-byte aligned everywhere (i386 aligns a 64-bit integer in a
 * struct on 4): their loads and stores must stay single instructions. */
typedef __SIZE_TYPE__ memstats_size_t;
typedef __UINT64_TYPE__ memstats_u64 __attribute__((aligned(8)));

/* The counters every row has, listed once: X(name, meaning). The runtime
 * expands this list for every use (adding, resetting, each format's
 * columns); README.md "What the counters mean" has the exact rules. */
#define MEMSTATS_COUNTERS(X)                                                     \
	X(calls, "calls made (free(NULL) is not a call)")                        \
	X(failed, "calls that asked for memory and got none")                    \
	X(bytes, "bytes requested")                                              \
	X(alloc_bytes, "usable bytes obtained")                                  \
	X(free_bytes, "usable bytes released")                                   \
	X(injected, "failures MEMSTATS_FAIL made (also in failed)")

#define MEMSTATS_COUNTER_FIELD_(name, meaning) memstats_u64 name;
struct memstats_counters {
	MEMSTATS_COUNTERS(MEMSTATS_COUNTER_FIELD_)
};
#undef MEMSTATS_COUNTER_FIELD_

/* ---- reports ------------------------------------------------------------ */

enum memstats_format { MEMSTATS_FORMAT_TEXT, MEMSTATS_FORMAT_JSON, MEMSTATS_FORMAT_CSV, MEMSTATS_FORMAT_OPENMETRICS };
enum memstats_sort { MEMSTATS_SORT_BYTES, MEMSTATS_SORT_CALLS, MEMSTATS_SORT_SITE };

/* How a report is shaped. All zero means: text, sorted by bytes, every row
 * with a non-zero counter, no filter.
 */
struct memstats_options {
	enum memstats_format format;
	enum memstats_sort sort;
	memstats_size_t top;       /* at most this many rows; 0: all (totals always cover every matching site) */
	const char *match;         /* keep sites whose file, func, api or type contains this; NULL or "": all */
	int all;                   /* non-zero: also rows whose counters are all zero */
};

/* Live tracking (MEMSTATS_TRACK=1): the blocks a site allocated that are not
 * freed yet, and how old they are, by age buckets that start at these many
 * seconds: X(seconds), listed once. All zero when tracking is off. */
#define MEMSTATS_AGES(X) X(0) X(1) X(10) X(100) X(1000)
#define MEMSTATS_ONE_(x) +1
enum { MEMSTATS_AGE_BUCKETS = 0 MEMSTATS_AGES(MEMSTATS_ONE_) };
#undef MEMSTATS_ONE_

struct memstats_live {
	memstats_u64 blocks;       /* live blocks */
	memstats_u64 bytes;        /* their requested bytes */
	memstats_u64 peak_bytes;   /* the most requested bytes live at once */
	memstats_u64 age_blocks[MEMSTATS_AGE_BUCKETS]; /* live blocks by age bucket */
	memstats_u64 age_bytes[MEMSTATS_AGE_BUCKETS];  /* and their requested bytes */
};

/* One row of a report, as memstats_foreach_site() sees it: a snapshot.
 * kind "site": a macro call site, its file, line and function from the
 * compiler. kind "caller": calls attributed by return address (calls
 * inside a declared wrapper, by the wrapper's caller; calls of code built
 * without the header, under the preload library); file and line from
 * debug information (NULL and 0 without it), func from it or the symbol
 * table. */
#define MEMSTATS_VIA_MAX 8

struct memstats_row {
	const char *file;          /* NULL: not known (a caller without debug information) */
	unsigned int line;         /* 0 when file is NULL */
	const char *func;
	const char *op;            /* "malloc", "calloc", "realloc", "free", "strdup" or "strndup" */
	const char *api;
	const char *type;          /* NULL when the call names no type */
	const char *object;        /* path of the executable or shared object holding the call */
	struct memstats_counters c;
	struct memstats_live live; /* with MEMSTATS_TRACK=1 */
	const char *kind;          /* "site" or "caller" (NULL: "site") */
	memstats_u64 offset;       /* caller rows: the call's return address, an offset in object */
	memstats_u64 func_offset;  /* caller rows: the same from the start of func */
	const char *via[MEMSTATS_VIA_MAX]; /* the wrappers the call went through, outermost first; NULL after the last */
};

/* Writes a report where the report at exit goes (MEMSTATS_OUTPUT), shaped by
 * the MEMSTATS_* environment as read at start-up. Returns 0, or -1 with errno
 * set when the report could not be written. MEMSTATS_OUTPUT=off: returns 0.
 */
MEMSTATS_API_ int memstats_dump(void);

/* Writes a report to the file descriptor fd, shaped by *opts (NULL: the
 * environment's settings). Returns 0, or -1 with errno set on a write error.
 */
MEMSTATS_API_ int memstats_dump_fd(int fd, const struct memstats_options *opts);

/* Fills *opts with the settings read from the environment at start-up. */
MEMSTATS_API_ void memstats_get_options(struct memstats_options *opts);

/* Sets every counter of every site to zero. */
MEMSTATS_API_ void memstats_reset(void);

/* Calls fn once per known site (zero counters included), in no particular
 * order, until fn returns non-zero. Returns the number of calls made to fn.
 * The row and its strings are valid during the call only: copy what you
 * keep. fn may allocate, and runs with no lock of memstats held.
 */
MEMSTATS_API_ memstats_size_t memstats_foreach_site(int (*fn)(const struct memstats_row *row, void *arg), void *arg);

/* ---- tests that guard memory, and fault injection -----------------------
 *
 * The exact counts of a region of code in the calling thread, without
 * MEMSTATS_TRACK: begin, run the code, end; the fields are then this
 * thread's counted calls in between (as the counters of the same names),
 * and live_blocks/live_bytes the blocks allocated in between and not freed
 * by the end (requested bytes). Scopes nest. While one is open the thread's
 * calls are counted out of line; other threads are not affected.
 */
struct memstats_scope {
	memstats_u64 calls, failed, bytes, alloc_bytes, free_bytes, live_blocks, live_bytes;
	memstats_u64 alloc_calls;  /* the allocation calls among calls (frees are not) */
	memstats_u64 start_[6], seq_; /* the runtime's */
};
MEMSTATS_API_ void memstats_scope_begin(struct memstats_scope *s) MEMSTATS_NOTHROW_;
MEMSTATS_API_ void memstats_scope_end(struct memstats_scope *s) MEMSTATS_NOTHROW_;

/* Calls fn(arg) once to warm it up, then runs times; returns the average
 * number of allocation calls one call made (as Go's testing.AllocsPerRun). */
MEMSTATS_API_ double memstats_allocs_per_run(void (*fn)(void *), void *arg, unsigned long runs);

/* Fault injection from code: spec as MEMSTATS_FAIL's (README), replacing
 * the one in force; NULL or "" stops injecting. Returns 0, or -1 (errno
 * EINVAL, one warning) for a bad spec, which then injects nothing. */
MEMSTATS_API_ int memstats_fail_set(const char *spec) MEMSTATS_NOTHROW_;

/* ---- the ha_aligned_* family ------------------------------------------
 *
 * Aligned allocations in the HAProxy 3.3 style, usable with or without the
 * macros (then uncounted):
 *
 *   ha_aligned_alloc(align, size)        align: a power of two >= sizeof(void *),
 *   ha_aligned_zalloc(align, size)         else NULL with errno EINVAL
 *   ha_aligned_alloc_safe(align, size)   align rounded up to such a power of two
 *   ha_aligned_zalloc_safe(align, size)
 *   ha_aligned_alloc_typed(count, type)  count objects of type, aligned for it,
 *   ha_aligned_zalloc_typed(count, type)   as a type *; NULL with ENOMEM if
 *                                          count * sizeof(type) overflows
 *   ha_aligned_free(ptr)                 NULL: does nothing
 *   ha_aligned_free_size(ptr, size)      size: what was asked for
 *
 * The zalloc variants zero the area. Release these blocks with
 * ha_aligned_free*() only, never free(): where the C library has no aligned
 * allocator, an aligned block is carved out of a bigger one and only the
 * matching release knows where that one starts; the _size variant serves
 * allocators that want the size back. Here both end in free(), but code
 * written against the family must not rely on it. The _typed variants are
 * macros (memstats/sites.h).
 */
MEMSTATS_API_ void *ha_aligned_alloc(memstats_size_t align, memstats_size_t size) MEMSTATS_NOTHROW_;
MEMSTATS_API_ void *ha_aligned_zalloc(memstats_size_t align, memstats_size_t size) MEMSTATS_NOTHROW_;
MEMSTATS_API_ void *ha_aligned_alloc_safe(memstats_size_t align, memstats_size_t size) MEMSTATS_NOTHROW_;
MEMSTATS_API_ void *ha_aligned_zalloc_safe(memstats_size_t align, memstats_size_t size) MEMSTATS_NOTHROW_;
MEMSTATS_API_ void ha_aligned_free(void *ptr) MEMSTATS_NOTHROW_;
MEMSTATS_API_ void ha_aligned_free_size(void *ptr, memstats_size_t size) MEMSTATS_NOTHROW_;
/* The typed variants' engine: count objects of size bytes aligned on align;
 * how: MEMSTATS_ALIGNED_ZERO to zero them. */
#define MEMSTATS_ALIGNED_ZERO 1   /* zero the area */
#define MEMSTATS_ALIGNED_SAFE 2   /* round the alignment up */
MEMSTATS_API_ void *memstats_aligned_array(memstats_size_t count, memstats_size_t size, memstats_size_t align,
					    int how) MEMSTATS_NOTHROW_;

#ifdef __cplusplus
} /* extern "C" */
#endif

#include "memstats/sites.h"

#endif /* MEMSTATS_H */

/* Outside the include guard: an explicit #include <memstats.h> after the
 * system headers defines the macros their declarations allow. */
#ifndef MEMSTATS_DISABLE
#include <memstats-define.h>
#endif
#endif /* !__ASSEMBLER__ */
