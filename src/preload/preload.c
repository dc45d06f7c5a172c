/* preload.c - libmemstats-preload.so: the allocator functions of code not
 * built with the header, counted by return address. LD_PRELOADed (memstats
 * run does it), it interposes malloc & co., the memalign family and every
 * standard form of C++ operator new and delete, calls the next definition
 * (libc's, libstdc++'s, or another allocator's: dlsym(RTLD_NEXT)), and has
 * libmemstats count the call at its caller: caller rows.
 *
 * What it must not count: the runtime's own calls (its tables, its report,
 * symbolisation through libdw: calls from libmemstats itself, or while it
 * marks itself busy), calls a macro site counts already (instrumented code
 * runs out of line under this library, through libmemstats), and the calls
 * the next functions make themselves (libstdc++'s new calling malloc, the
 * C library's strdup calling malloc): those run with the busy mark set.
 *
 * glibc's dlsym allocates while it looks the next functions up: those
 * calls are served from a static arena, never freed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Present when this library is loaded: the runtime then counts no call
 * inline (see init.c). */
__attribute__((visibility("default"))) const int memstats__preloaded = 1;

/* ---- the next definitions -------------------------------------------------- */

#define NEXT_FUNCTIONS(X)                                                                               \
	X(malloc, void *, (size_t)) X(calloc, void *, (size_t, size_t)) X(realloc, void *, (void *, size_t)) \
	X(free, void, (void *)) X(posix_memalign, int, (void **, size_t, size_t))                          \
	X(aligned_alloc, void *, (size_t, size_t)) X(memalign, void *, (size_t, size_t))                   \
	X(valloc, void *, (size_t)) X(pvalloc, void *, (size_t)) X(dlclose, int, (void *))

static struct {
#define FIELD_(name, ret, args) ret(*name) args;
	NEXT_FUNCTIONS(FIELD_)
#undef FIELD_
} next;

static int ready;                /* the next functions are known, and this library's ranges */
static __thread int resolving __attribute__((tls_model("initial-exec"))); /* looking them up: serve the arena */

static char arena[1 << 16] __attribute__((aligned(64)));
static size_t arena_used;

static void *arena_alloc(size_t n)
{
	size_t at = __atomic_fetch_add(&arena_used, (n + 63) & ~(size_t)63, __ATOMIC_RELAXED);

	return at + n <= sizeof(arena) ? arena + at : NULL;
}

static int in_arena(const void *p)
{
	return (uintptr_t)p - (uintptr_t)arena < sizeof(arena); /* below arena: wraps around */
}

/* The code of libmemstats and of this library: calls from there are the
 * runtime's own (and from what libmemstats loaded for itself: it knows). */
static uintptr_t own_lo[2], own_hi[2];

static int find_own(struct dl_phdr_info *info, size_t size, void *arg)
{
	const uintptr_t *anchors = arg;

	(void)size;
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < info->dlpi_phnum; i++) {
			const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
			uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;

			if (ph->p_type == PT_LOAD && anchors[k] >= lo && anchors[k] < hi) {
				own_lo[k] = info->dlpi_addr;
				own_hi[k] = hi > own_hi[k] ? hi : own_hi[k];
			}
		}
	}
	return 0;
}

static int own(const void *ra)
{
	uintptr_t a = (uintptr_t)ra;

	return (a >= own_lo[0] && a < own_hi[0]) || (a >= own_lo[1] && a < own_hi[1]) || memstats__preload_own(ra);
}

/* A sanitizer's runtime (ASan, TSan, MSan) replaces malloc itself and calls
 * it while it starts, before its interceptors work: under one this library
 * only passes calls on, counts nothing, and says so once. */
static int forwarding;

static int sanitized(void)
{
	static const char *const inits[] = { "__asan_init", "__tsan_init", "__msan_init", "__hwasan_init" };

	for (size_t i = 0; i < sizeof(inits) / sizeof(inits[0]); i++)
		if (dlsym(RTLD_DEFAULT, inits[i]))
			return 1;
	return 0;
}

/* The first definition of name in the process, unless it is this
 * library's own: then the next one, dflt. */
static void *first_of(const char *name, void *dflt)
{
	void *f = dlsym(RTLD_DEFAULT, name);
	Dl_info in_f, in_us;

	if (!f || !dladdr(f, &in_f) || !dladdr((void *)first_of, &in_us) || in_f.dli_fbase == in_us.dli_fbase)
		return dflt;
	return f;
}

static void resolve_next(void)
{
	uintptr_t anchors[2] = { (uintptr_t)memstats_dump, (uintptr_t)resolve_next };

	resolving = 1;
#define LOAD_(name, ret, args) next.name = (ret(*) args)dlsym(RTLD_NEXT, #name);
	NEXT_FUNCTIONS(LOAD_)
#undef LOAD_
	forwarding = sanitized();
	if (forwarding) { /* every caller is "ours": nothing counted */
		own_hi[0] = UINTPTR_MAX;
		/* a sanitizer linked into the program comes before this library:
		 * its functions are the ones the program's frees go to */
#define FIRST_(name, ret, args) next.name = (ret(*) args)first_of(#name, (void *)next.name);
		NEXT_FUNCTIONS(FIRST_)
#undef FIRST_
	} else {
		dl_iterate_phdr(find_own, anchors);
	}
	resolving = 0;
	__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
}

/* 0 when the next functions are there; -1 while they are being looked up
 * (the caller serves the arena). */
static int want_next(void)
{
	if (__builtin_expect(__atomic_load_n(&ready, __ATOMIC_ACQUIRE), 1))
		return 0;
	if (resolving)
		return -1;
	resolve_next();
	return 0;
}

/* Start the runtime at a known point, before the program's own code (not in
 * whichever call of ld.so's happens to allocate first). */
__attribute__((constructor(101))) static void preload_start(void)
{
	static const char why[] = "memstats: libmemstats-preload.so counts nothing under a sanitizer, which "
				  "replaces malloc itself; build the program with memstats.h instead\n";

	want_next();
	if (forwarding)
		(void)!write(2, why, sizeof(why) - 1);
	else
		memstats__preload_start(next.malloc);
}

/* ---- counting ------------------------------------------------------------ */

/* A call from an address this thread has seen before is counted here, at
 * the record libmemstats named for it then, in this thread's slot of it
 * (memstats__callers_tls): a few loads and adds, as a macro site's inline
 * path. The first call from an address, and every call while that is not
 * possible (tracking, a new thread, a call that walks the stack), goes to
 * libmemstats. The cache is this thread's, emptied after an object was
 * unloaded (its addresses may be another's next). */
#define SEEN 128
struct seen {
	uintptr_t key;                    /* the caller's address, the api in the top byte */
	unsigned int id;                  /* its record's number */
};
static __thread struct {
	unsigned int unloads;             /* the value of unloads when the entries were made */
	struct seen e[SEEN];
} seen __attribute__((tls_model("initial-exec")));

static unsigned int unloads;              /* objects dlclose()d so far */

static inline uintptr_t seen_key(unsigned int api, const void *ra)
{
	return (uintptr_t)ra | (uintptr_t)api << 56;
}

static inline struct seen *seen_at(const void *ra)
{
	uintptr_t a = (uintptr_t)ra;

	return &seen.e[(a ^ (a >> 7)) & (SEEN - 1)];
}

/* The record of a call of api from ra this thread has seen before, 0 if
 * none (or the runtime is at work: nothing is counted). Looked up before
 * the next function is called, while it runs. */
static inline unsigned int seen_id(unsigned int api, const void *ra)
{
	const struct seen *e = seen_at(ra);

	if (__builtin_expect(e->key != seen_key(api, ra) || seen.unloads != __atomic_load_n(&unloads, __ATOMIC_RELAXED) ||
			     memstats__busy, 0))
		return 0;
	return e->id;
}

/* This thread's counters for record id, or NULL: go slow. Read after the
 * next function returned (the slots may have moved meanwhile). */
static inline struct memstats_counters *counters_of(unsigned int id)
{
	const struct callers_tls *v = &memstats__callers_tls;

	return __builtin_expect(id - 1u < v->limit, 1) ? v->slot + id : NULL;
}

static __attribute__((noinline)) void remember(unsigned int api, const void *ra, unsigned int id)
{
	unsigned int now = __atomic_load_n(&unloads, __ATOMIC_ACQUIRE);

	if (seen.unloads != now) {
		memset(seen.e, 0, sizeof(seen.e));
		seen.unloads = now;
	}
	if (id)
		*seen_at(ra) = (struct seen){ seen_key(api, ra), id };
}

/* Whether a call from ra is one to count (the paths not cached above). */
static int counting(const void *ra)
{
	return !memstats__busy && !own(ra);
}

/* An allocation of api from ra that asked for req bytes and got p; id: what
 * seen_id() said before. */
static inline __attribute__((always_inline)) void tally_alloc(unsigned int id, unsigned int api, const void *ra,
							      size_t req, void *p, unsigned int flags)
{
	struct memstats_counters *c = counters_of(id);

	if (c)
		memstats_count_(c, req, p, (flags & COUNT_NULL_FAILS) != 0);
	else if (counting(ra))
		remember(api, ra, memstats__preload_alloc(api, ra, req, p, flags));
}

/* A free of api from ra of block ptr (not NULL), before it is freed. */
static inline __attribute__((always_inline)) void tally_free(unsigned int api, const void *ra, void *ptr)
{
	struct memstats_counters *c = counters_of(seen_id(api, ra));

	if (c) {
		memstats_add_(&c->calls, 1);
		memstats_add_(&c->free_bytes, memstats_usable_(ptr));
	} else if (counting(ra)) {
		remember(api, ra, memstats__preload_free(api, ra, ptr));
	}
}


/* ---- the C library's functions ----------------------------------------------- */

#define RA __builtin_return_address(0)

void *malloc(size_t n)
{
	unsigned int id;
	void *p;

	if (want_next() < 0)
		return arena_alloc(n);
	id = seen_id(PRELOAD_MALLOC, RA);
	p = next.malloc(n);
	tally_alloc(id, PRELOAD_MALLOC, RA, n, p, n ? COUNT_NULL_FAILS : 0);
	return p;
}

void *calloc(size_t n, size_t size)
{
	size_t total;
	int overflow = __builtin_mul_overflow(n, size, &total);
	unsigned int id;
	void *p;

	if (want_next() < 0)
		return overflow ? NULL : arena_alloc(total); /* static: already zero */
	id = seen_id(PRELOAD_CALLOC, RA);
	p = next.calloc(n, size);
	tally_alloc(id, PRELOAD_CALLOC, RA, overflow ? 0 : total, p, overflow || total ? COUNT_NULL_FAILS : 0);
	return p;
}

void free(void *ptr)
{
	if (!ptr || in_arena(ptr))
		return; /* free(NULL) is not a call; the arena is never freed */
	if (want_next() < 0)
		return;
	tally_free(PRELOAD_FREE, RA, ptr);
	next.free(ptr);
}

void *realloc(void *ptr, size_t n)
{
	struct realloc_count rc;
	int count;
	void *p;

	if (want_next() < 0 || in_arena(ptr)) {
		/* a block of the arena moves: its size is not kept, so what
		 * follows it in the arena is copied too, n bytes at most */
		size_t room = in_arena(ptr) ? (size_t)(arena + sizeof(arena) - (char *)ptr) : 0;

		p = ready ? next.malloc(n) : arena_alloc(n);
		if (p && ptr)
			memcpy(p, ptr, n < room ? n : room);
		return p;
	}
	count = counting(RA);
	if (count)
		memstats__preload_realloc_begin(&rc, ptr);
	p = next.realloc(ptr, n);
	if (count)
		memstats__preload_realloc_end(RA, &rc, n, p);
	return p;
}

/* strdup and strndup make their own block: the C library's would call
 * malloc, a second call. */
char *strdup(const char *s)
{
	size_t len = strlen(s) + 1;
	unsigned int id;
	char *p;

	if (want_next() < 0)
		return memcpy(arena_alloc(len), s, len);
	id = seen_id(PRELOAD_STRDUP, RA);
	if ((p = next.malloc(len)))
		memcpy(p, s, len);
	tally_alloc(id, PRELOAD_STRDUP, RA, len, p, COUNT_NULL_FAILS);
	return p;
}

char *strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p;

	want_next();
	if ((p = next.malloc(len + 1))) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	tally_alloc(seen_id(PRELOAD_STRNDUP, RA), PRELOAD_STRNDUP, RA, len + 1, p, COUNT_NULL_FAILS);
	return p;
}

int posix_memalign(void **ptr, size_t align, size_t size)
{
	int rc;

	want_next();
	rc = next.posix_memalign(ptr, align, size);
	tally_alloc(seen_id(PRELOAD_POSIX_MEMALIGN, RA), PRELOAD_POSIX_MEMALIGN, RA, size, rc ? NULL : *ptr, COUNT_NULL_FAILS);
	return rc;
}

#define ALIGNED_(name, api, params, call, size)                                          \
	void *name params                                                                \
	{                                                                                \
		void *p;                                                                 \
                                                                                         \
		want_next();                                                             \
		p = next.name call;                                                      \
		tally_alloc(seen_id(api, RA), api, RA, size, p, COUNT_NULL_FAILS);       \
		return p;                                                                \
	}

ALIGNED_(aligned_alloc, PRELOAD_ALIGNED_ALLOC, (size_t align, size_t size), (align, size), size)
ALIGNED_(memalign, PRELOAD_MEMALIGN, (size_t align, size_t size), (align, size), size)
ALIGNED_(valloc, PRELOAD_VALLOC, (size_t size), (size), size)
ALIGNED_(pvalloc, PRELOAD_PVALLOC, (size_t size), (size), size)

/* An object about to be unloaded: what its callers are is worked out now,
 * while its file and memory are there (it may be deleted afterwards). */
int dlclose(void *handle)
{
	struct link_map *lm = NULL;
	int rc;

	want_next();
	if (!forwarding && dlinfo(handle, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_addr) /* handle: never NULL */
		memstats__preload_unloading(lm->l_addr);
	rc = next.dlclose(handle);
	/* its addresses may be another object's next: every thread's cache
	 * of them goes (libmemstats forgot them already) */
	__atomic_fetch_add(&unloads, 1, __ATOMIC_RELEASE);
	return rc;
}

/* ---- C++ operator new and delete --------------------------------------------- */

/* The next definition's own calls (libstdc++'s new calling malloc, a sized
 * delete calling the plain one) are not calls of the program: they run
 * with the busy mark, taken back even when new throws (the library is
 * built with -fexceptions, so an exception unwinds through it). */
static void unmark(int *unused)
{
	(void)unused;
	memstats__busy--;
}
#define BUSY_ int busy_ __attribute__((cleanup(unmark))) = ++memstats__busy

/* X(symbol, api, new or delete, parameters after the first, arguments after it) */
#define NEW_FORMS(X)                                                                                            \
	X(_Znwm, NEW, (size_t n), (n))                                                                          \
	X(_Znam, NEW_ARRAY, (size_t n), (n))                                                                    \
	X(_ZnwmRKSt9nothrow_t, NEW_NOTHROW, (size_t n, const void *nt), (n, nt))                                \
	X(_ZnamRKSt9nothrow_t, NEW_ARRAY_NOTHROW, (size_t n, const void *nt), (n, nt))                          \
	X(_ZnwmSt11align_val_t, NEW_ALIGN, (size_t n, size_t al), (n, al))                                      \
	X(_ZnamSt11align_val_t, NEW_ARRAY_ALIGN, (size_t n, size_t al), (n, al))                                \
	X(_ZnwmSt11align_val_tRKSt9nothrow_t, NEW_ALIGN_NOTHROW, (size_t n, size_t al, const void *nt), (n, al, nt)) \
	X(_ZnamSt11align_val_tRKSt9nothrow_t, NEW_ARRAY_ALIGN_NOTHROW, (size_t n, size_t al, const void *nt), (n, al, nt))

#define DELETE_FORMS(X)                                                                                         \
	X(_ZdlPv, DELETE, (void *p), (p))                                                                        \
	X(_ZdaPv, DELETE_ARRAY, (void *p), (p))                                                                  \
	X(_ZdlPvm, DELETE_SIZE, (void *p, size_t n), (p, n))                                                     \
	X(_ZdaPvm, DELETE_ARRAY_SIZE, (void *p, size_t n), (p, n))                                               \
	X(_ZdlPvSt11align_val_t, DELETE_ALIGN, (void *p, size_t al), (p, al))                                    \
	X(_ZdaPvSt11align_val_t, DELETE_ARRAY_ALIGN, (void *p, size_t al), (p, al))                              \
	X(_ZdlPvmSt11align_val_t, DELETE_SIZE_ALIGN, (void *p, size_t n, size_t al), (p, n, al))                 \
	X(_ZdaPvmSt11align_val_t, DELETE_ARRAY_SIZE_ALIGN, (void *p, size_t n, size_t al), (p, n, al))           \
	X(_ZdlPvRKSt9nothrow_t, DELETE_NOTHROW, (void *p, const void *nt), (p, nt))                              \
	X(_ZdaPvRKSt9nothrow_t, DELETE_ARRAY_NOTHROW, (void *p, const void *nt), (p, nt))                        \
	X(_ZdlPvSt11align_val_tRKSt9nothrow_t, DELETE_ALIGN_NOTHROW, (void *p, size_t al, const void *nt), (p, al, nt)) \
	X(_ZdaPvSt11align_val_tRKSt9nothrow_t, DELETE_ARRAY_ALIGN_NOTHROW, (void *p, size_t al, const void *nt), (p, al, nt))

/* The next definition of symbol, found at its first call. */
static void *next_of(void **cache, const char *symbol)
{
	void *f = __atomic_load_n(cache, __ATOMIC_ACQUIRE);

	if (!f) {
		f = dlsym(RTLD_NEXT, symbol);
		__atomic_store_n(cache, f, __ATOMIC_RELEASE);
	}
	return f;
}

#define NEW_(sym, api, params, args)                                                             \
	static void *real_##sym params                                                           \
	{                                                                                        \
		static void *cache;                                                              \
		void *(*f) params = (void *(*) params)next_of(&cache, #sym);                     \
		BUSY_;                                                                           \
                                                                                                 \
		(void)busy_;                                                                     \
		return f ? f args : next.malloc(n);                                              \
	}                                                                                        \
	__attribute__((visibility("default"))) void *sym params                                  \
	{                                                                                        \
		unsigned int id;                                                                 \
		void *p;                                                                         \
                                                                                                 \
		want_next();                                                                     \
		id = seen_id(PRELOAD_##api, RA);                                                 \
		p = real_##sym args;                                                             \
		tally_alloc(id, PRELOAD_##api, RA, n, p, COUNT_NULL_FAILS);                      \
		return p;                                                                        \
	}

#define DELETE_(sym, api, params, args)                                                          \
	static void real_##sym params                                                            \
	{                                                                                        \
		static void *cache;                                                              \
		void (*f) params = (void (*) params)next_of(&cache, #sym);                       \
		BUSY_;                                                                           \
                                                                                                 \
		(void)busy_;                                                                     \
		if (f)                                                                           \
			f args;                                                                  \
		else                                                                             \
			next.free(p);                                                            \
	}                                                                                        \
	__attribute__((visibility("default"))) void sym params                                   \
	{                                                                                        \
		if (!p)                                                                          \
			return;                                                                  \
		want_next();                                                                     \
		tally_free(PRELOAD_##api, RA, p);                                                \
		real_##sym args;                                                                 \
	}

NEW_FORMS(NEW_)
DELETE_FORMS(DELETE_)
