/* memstats/sites.h - how memstats.h counts a call: one static record per
 * call site, the one macro that makes it (MEMSTATS_SITE_), and the per-call
 * fast path, inlined in the caller. Included by memstats.h; not for direct
 * use.
 *
 * A macro expansion owns one record (struct memstats_site). In C it sits in
 * the ELF section "memstats", and a constructor emitted by this header
 * registers the object's __start_memstats..__stop_memstats range with the
 * runtime, which walks it to report. A call is counted inline in the caller
 * (the memstats_fast_* functions below) once its site has a number; the
 * runtime's wrappers (memstats_malloc & co.) take the first call, every
 * call under a sanitizer or another allocator, with fault injection or in
 * an open scope; with live tracking the inline path calls the runtime for
 * the tracked blocks only (memstats__sampled, memstats__untrack).
 */
#ifndef MEMSTATS_SITES_H
#define MEMSTATS_SITES_H

#pragma GCC system_header

/* Casts and null pointers that draw no C++ warning; noexcept for inline
 * functions in C++ (in C the compiler sees their bodies). */
#if defined(__cplusplus) && __cplusplus >= 201103L
#define MEMSTATS_NOEXCEPT_ noexcept
#define MEMSTATS_NULL_ nullptr
#define MEMSTATS_NULLPTR_ nullptr
#elif defined(__cplusplus)
#define MEMSTATS_NOEXCEPT_ throw()
#define MEMSTATS_NULL_ __null
#define MEMSTATS_NULLPTR_ __null
#else
#define MEMSTATS_NOEXCEPT_
#define MEMSTATS_NULL_ ((const char *)0)
#define MEMSTATS_NULLPTR_ ((void *)0)
#endif
#ifdef __cplusplus
#define MEMSTATS_CAST_(type, x) static_cast<type>(x)
#else
#define MEMSTATS_CAST_(type, x) ((type)(x))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* What a call site does: "op" in the report. */
enum memstats_op {
	MEMSTATS_OP_MALLOC,
	MEMSTATS_OP_CALLOC,
	MEMSTATS_OP_REALLOC,
	MEMSTATS_OP_FREE,
	MEMSTATS_OP_STRDUP,
	MEMSTATS_OP_STRNDUP,
	MEMSTATS_OP_P_ALLOC,  /* a project's own allocator: memstats_pool_alloc() */
	MEMSTATS_OP_P_FREE,   /* memstats_pool_free() */
	MEMSTATS_OP_COUNT_
};

/* One call site. The runtime walks the section by this record's size: the
 * variable's alignment is fixed (MEMSTATS_SITE_ALIGN, the type's own, on the
 * variable so that the compiler does not raise a large static's alignment on
 * its own) and the size is a multiple of it, so records pack at their size.
 * The magic lets the walker step over any padding a tool puts between them.
 */
#define MEMSTATS_SITE_ALIGN 8
#define MEMSTATS_SITE_MAGIC 0x4d535434u /* "MST4": layout version 4 (six counters) */

#define MEMSTATS_SITE_IN_SECTION 1u /* flags: in a section the runtime walks (C) */
#define MEMSTATS_SITE_KEPT 2u       /* flags: the runtime's copy of a record of an unloaded object */
#define MEMSTATS_SITE_WRAPPED 4u    /* flags: in a declared wrapper: counted at its callers (runtime's) */
#define MEMSTATS_SITE_CALLER 8u     /* flags: the runtime's record of calls by return address */
#define MEMSTATS_SITE_TAKEN 16u     /* flags: a kept copy a site of a later life took back */
#define MEMSTATS_SITE_LOST 32u      /* flags: a site the runtime could not register: never numbered */
#define MEMSTATS_SITE_NAMED 64u     /* flags: the runtime's row of a pool site for one pool name */
#define MEMSTATS_SITE_GONE 128u     /* flags: such a row whose object was unloaded: found no more */

struct memstats_site {
	unsigned int magic;
	unsigned int line;         /* __LINE__: the first line of a multi-line call with gcc, the last with clang */
	unsigned int op;           /* enum memstats_op */
	unsigned int flags;        /* MEMSTATS_SITE_* */
	unsigned int id;           /* the runtime's number for the site, from its first call; 0 before */
	unsigned int reserved;
	const char *file;          /* __FILE__ as the compiler saw it */
	const char *func;          /* __func__ */
	const char *api;           /* the exact function named at the site */
	const char *type;          /* C type name for typed APIs, else NULL */
	struct memstats_counters c; /* the runtime's (most counts are kept per thread) */
};

/* ---- the runtime's entry points for the macros ------------------------ */

/* ra, the last argument of each wrapper: the return address of the function
 * making the call (MEMSTATS_RA_, taken there). A call inside a declared
 * wrapper function (MEMSTATS_WRAPPERS) is counted at that function's caller,
 * which ra names; every other call ignores it. */
#define MEMSTATS_RA_ __builtin_return_address(0)

/* anchor: any address inside the calling object, to know the object by */
MEMSTATS_API_ void memstats__register(struct memstats_site *start, struct memstats_site *stop,
				      const void *anchor) MEMSTATS_NOTHROW_;
MEMSTATS_API_ void memstats__unregister(const void *anchor) MEMSTATS_NOTHROW_;
/* C++: fills in a record made without its description (see MEMSTATS_SITE_) */
MEMSTATS_API_ void memstats__describe(struct memstats_site *site, const char *file, unsigned int line,
				      const char *func, unsigned int op, const char *api,
				      const char *type) MEMSTATS_NOTHROW_;

MEMSTATS_API_ void *memstats_malloc(struct memstats_site *site, memstats_size_t size, const void *ra)
	MEMSTATS_NOTHROW_ __attribute__((malloc, alloc_size(2)));
MEMSTATS_API_ void *memstats_calloc(struct memstats_site *site, memstats_size_t n, memstats_size_t size, const void *ra)
	MEMSTATS_NOTHROW_ __attribute__((malloc, alloc_size(2, 3)));
MEMSTATS_API_ void *memstats_realloc(struct memstats_site *site, void *ptr, memstats_size_t size, const void *ra)
	MEMSTATS_NOTHROW_ __attribute__((alloc_size(3)));
MEMSTATS_API_ void memstats_free(struct memstats_site *site, void *ptr, const void *ra) MEMSTATS_NOTHROW_;
MEMSTATS_API_ char *memstats_strdup(struct memstats_site *site, const char *s, const void *ra)
	MEMSTATS_NOTHROW_ __attribute__((malloc, nonnull(2)));
MEMSTATS_API_ char *memstats_strndup(struct memstats_site *site, const char *s, memstats_size_t n, const void *ra)
	MEMSTATS_NOTHROW_ __attribute__((malloc, nonnull(2)));
MEMSTATS_API_ int memstats_posix_memalign(struct memstats_site *site, void **ptr, memstats_size_t align, memstats_size_t size, const void *ra)
	MEMSTATS_NOTHROW_ __attribute__((nonnull(2)));
MEMSTATS_API_ void *memstats_aligned_alloc(struct memstats_site *site, memstats_size_t align, memstats_size_t size, const void *ra)
	MEMSTATS_NOTHROW_ __attribute__((malloc, alloc_size(3)));
MEMSTATS_API_ void *memstats_memalign(struct memstats_site *site, memstats_size_t align, memstats_size_t size, const void *ra)
	MEMSTATS_NOTHROW_ __attribute__((malloc, alloc_size(3)));
MEMSTATS_API_ void *memstats_valloc(struct memstats_site *site, memstats_size_t size, const void *ra)
	MEMSTATS_NOTHROW_ __attribute__((malloc, alloc_size(2)));
MEMSTATS_API_ void *memstats_pvalloc(struct memstats_site *site, memstats_size_t size, const void *ra)
	MEMSTATS_NOTHROW_ __attribute__((malloc));

/* memstats_pool_alloc() and memstats_pool_free(): one pool operation of
 * size bytes on object ptr, counted at site (its op says which) in the row
 * for the pool named name. */
MEMSTATS_API_ void memstats__pool(struct memstats_site *site, const char *name, memstats_size_t size, const void *ptr,
				  const void *ra) MEMSTATS_NOTHROW_;

/* The calling thread's counter slots, for the inline counting below: slot[id]
 * belongs to the site numbered id, for ids 1..limit. The runtime keeps limit
 * at 0 (so every call takes the out-of-line path) until the thread has
 * slots, when the word before a block is not glibc's exact usable size,
 * with fault injection armed and in an open scope. Initial-exec: one load
 * from the thread pointer. */
struct memstats_tls {
	struct memstats_counters *slot;
	unsigned int limit;
	/* live tracking: the bytes this thread may allocate before the next
	 * tracked block (the inline path counts them down and calls
	 * memstats__sampled() at zero; always below zero when every block is
	 * tracked); and the tracked live blocks per address bucket
	 * (MEMSTATS_SAMPLE_BUCKET_; all set when exact): a block whose bucket
	 * holds one is taken out of the tables before it is freed. NULL when
	 * not tracking. */
	long long sample_left;
	const unsigned short *sample_map;
};
#ifdef __cplusplus
#define MEMSTATS_BITS_(p) reinterpret_cast<memstats_size_t>(p)
#else
#define MEMSTATS_BITS_(p) ((memstats_size_t)(p))
#endif
#define MEMSTATS_SAMPLE_BUCKET_(p) \
	(MEMSTATS_CAST_(unsigned long long, MEMSTATS_BITS_(p) >> 4) * 0x9e3779b97f4a7c15ull >> 48)
/* The block p of size bytes at site, counted inline, took this thread's
 * countdown to zero or below: it is to be tracked (sampled: the sampled
 * one; exact tracking keeps the countdown below zero, so every block). */
MEMSTATS_API_ void memstats__sampled(struct memstats_site *site, void *p, memstats_size_t size) MEMSTATS_NOTHROW_;
/* Block p, whose address's bucket is in the map, is about to be freed
 * (counted inline): out of the live tables. */
MEMSTATS_API_ void memstats__untrack(void *p) MEMSTATS_NOTHROW_;
extern __thread struct memstats_tls memstats_tls_ __attribute__((tls_model("initial-exec"), visibility("default")));

/* called by the ha_aligned_* macros below; how: MEMSTATS_ALIGNED_* */
MEMSTATS_API_ void *memstats_ha_aligned(struct memstats_site *site, memstats_size_t align, memstats_size_t size,
					int how, const void *ra) MEMSTATS_NOTHROW_;
MEMSTATS_API_ void *memstats_ha_aligned_typed(struct memstats_site *site, memstats_size_t count,
					      memstats_size_t size, memstats_size_t align, int how, const void *ra) MEMSTATS_NOTHROW_;
MEMSTATS_API_ void memstats_ha_aligned_free(struct memstats_site *site, void *ptr, memstats_size_t size, const void *ra) MEMSTATS_NOTHROW_;

#ifdef __cplusplus
} /* extern "C" */
#endif

/* glibc's malloc_usable_size(p): the one decode of its chunk header, for
 * the inline path and the runtime alike (used where start-up showed it
 * exact). The word before the block holds the chunk's size with flags in
 * its 3 low bits; bit 1 (mmapped) means the chunk has no neighbour to lend
 * its block a word. The empty asm hides where p came from, so the compiler
 * does not judge the read by the block's bounds. */
static __inline__ memstats_u64 memstats_usable_(void *p) MEMSTATS_NOEXCEPT_
{
	const memstats_size_t *w = MEMSTATS_CAST_(const memstats_size_t *, p);
	memstats_size_t head;

	__asm__("" : "+r"(w));
	head = w[-1];
	if (__builtin_expect((head & 2) != 0, 0))
		return (head & ~MEMSTATS_CAST_(memstats_size_t, 7)) - 2 * sizeof(memstats_size_t);
	return (head & ~MEMSTATS_CAST_(memstats_size_t, 7)) - sizeof(memstats_size_t);
}

/* x86-64: one add to memory, which the compiler may neither split nor merge
 * across calls; readers see whole values. Elsewhere the same through a
 * relaxed load and store (a few instructions more). */
static __inline__ void memstats_add_(memstats_u64 *counter, memstats_u64 v) MEMSTATS_NOEXCEPT_
{
#if defined(__x86_64__)
	__asm__ __volatile__("addq %1, %0" : "+m"(*counter) : "er"(v));
#else
	__atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
#endif
}

/* One allocation call counted in c (the inline path's and the preload
 * library's): req bytes asked, p got, a NULL p a failure if failed. */
static __inline__ void memstats_count_(struct memstats_counters *c, memstats_u64 req, void *p, int failed) MEMSTATS_NOEXCEPT_
{
	memstats_add_(&c->calls, 1);
	memstats_add_(&c->bytes, req);
	if (__builtin_expect(p != MEMSTATS_NULLPTR_, 1))
		memstats_add_(&c->alloc_bytes, memstats_usable_(p));
	else if (failed)
		memstats_add_(&c->failed, 1);
}

/* A project's own allocator (a pool, an arena, a slab) calls these in its
 * allocation and release paths, never at its callers: a site like the
 * others at that line (or at its callers' lines when its function is a
 * declared wrapper), one row per pool name (evaluated at each call, copied
 * by memstats, in "type"); bytes, alloc_bytes and free_bytes are the size
 * given; a NULL ptr from p_alloc is a failure, a NULL one to p_free no
 * call. With MEMSTATS_DISABLE they count nothing and still evaluate each
 * argument once. */
#ifdef MEMSTATS_DISABLE
#define memstats_pool_alloc(name, size, ptr) ((void)(name), (void)(size), (void)(ptr))
#define memstats_pool_free(name, size, ptr) ((void)(name), (void)(size), (void)(ptr))
#else
#define memstats_pool_alloc(name, size, ptr)                                                         \
	memstats__pool(MEMSTATS_SITE_(MEMSTATS_OP_P_ALLOC, "memstats_pool_alloc", MEMSTATS_NULL_), (name), \
		       MEMSTATS_CAST_(memstats_size_t, size), (ptr), MEMSTATS_RA_)
#define memstats_pool_free(name, size, ptr)                                                          \
	memstats__pool(MEMSTATS_SITE_(MEMSTATS_OP_P_FREE, "memstats_pool_free", MEMSTATS_NULL_), (name),   \
		       MEMSTATS_CAST_(memstats_size_t, size), (ptr), MEMSTATS_RA_)
#endif

#ifdef MEMSTATS_DISABLE
#define ha_aligned_alloc_typed(n, type) MEMSTATS_CAST_(type *, \
	memstats_aligned_array(MEMSTATS_CAST_(memstats_size_t, n), sizeof(type), __alignof__(type), 0))
#define ha_aligned_zalloc_typed(n, type) MEMSTATS_CAST_(type *, \
	memstats_aligned_array(MEMSTATS_CAST_(memstats_size_t, n), sizeof(type), __alignof__(type), \
			       MEMSTATS_ALIGNED_ZERO))
#else /* !MEMSTATS_DISABLE */

#if defined(__has_include)
#if !__has_include(<memstats-define.h>)
#error "memstats.h: the wrapper headers are not on the include path; compile with $(pkg-config --cflags memstats)"
#endif
#endif

#ifdef __cplusplus
/* std::malloc(n) must still be valid after expansion: the macros expand to
 * function names, so they must exist in namespace std too.
 */
namespace std {
using ::memstats_malloc; using ::memstats_calloc; using ::memstats_realloc;
using ::memstats_free; using ::memstats_strdup; using ::memstats_strndup;
using ::memstats_posix_memalign; using ::memstats_aligned_alloc;
using ::memstats_memalign; using ::memstats_valloc; using ::memstats_pvalloc;
}
#endif

/* Registers this object's section with the runtime. Emitted in every file
 * that includes the header: the runtime dedupes by start address. The
 * destructor lets the runtime copy the sites out before a dlclose unmaps
 * them; its priority makes it run after the object's other destructors, so
 * their frees are counted first.
 *
 * Both references are weak: an object that makes no counted call (a
 * configure or libtool probe, a helper program) links without libmemstats,
 * and registers nothing then; a counted call's strong references bring the
 * runtime in (out of libmemstats.a too: its entry points number a site at
 * its first call, through the registry, which defines these two).
 */
#ifdef __cplusplus
extern "C" {
#endif
extern struct memstats_site __start_memstats[] __attribute__((weak, visibility("hidden")));
extern struct memstats_site __stop_memstats[] __attribute__((weak, visibility("hidden")));
MEMSTATS_API_ void memstats__register(struct memstats_site *start, struct memstats_site *stop,
				      const void *anchor) MEMSTATS_NOTHROW_ __attribute__((weak));
MEMSTATS_API_ void memstats__unregister(const void *anchor) MEMSTATS_NOTHROW_ __attribute__((weak));
#ifdef __cplusplus
}
#endif
__attribute__((constructor, used)) static void memstats__register_this_object(void)
{
	if (memstats__register)
		memstats__register(__start_memstats, __stop_memstats, __func__);
}
__attribute__((destructor(101), used)) static void memstats__unregister_this_object(void)
{
	if (memstats__unregister)
		memstats__unregister(__func__);
}

/* The one macro that makes a site record: an expression yielding its address.
 *
 * In C the record is a static of a statement expression of its own (so the
 * caller's arguments are never evaluated inside it and no name of theirs can
 * clash), placed in the section, where the runtime finds it.
 *
 * In C++ a static inside an inline function or a template has vague linkage:
 * g++ makes it a unique symbol (STB_GNU_UNIQUE), and ld.so never unloads an
 * object that defines one, so an instrumented plugin could no longer be
 * dlclosed. The record is instead a member of a class template in an unnamed
 * namespace, one per expansion (__COUNTER__): internal linkage wherever the
 * call is. It cannot be initialized with the call's file, line and function,
 * so the first call describes it to the runtime (memstats__describe), which
 * lists it then; it is in no section.
 */
#ifdef __cplusplus
namespace {
template <unsigned N> struct memstats_record_ { static struct memstats_site site; };
template <unsigned N> struct memstats_site memstats_record_<N>::site;
}
static __inline__ struct memstats_site *memstats_described_(struct memstats_site *s, const char *file,
							  unsigned int line, const char *func, unsigned int op,
							  const char *api, const char *type) MEMSTATS_NOEXCEPT_
{
	if (__builtin_expect(__atomic_load_n(&s->magic, __ATOMIC_ACQUIRE) == 0, 0))
		memstats__describe(s, file, line, func, op, api, type);
	return s;
}
#define MEMSTATS_SITE_(op, api, type) \
	memstats_described_(&memstats_record_<__COUNTER__>::site, __FILE__, __LINE__, __func__, (op), (api), (type))
#else
#define MEMSTATS_SITE_(op, api, type)                                                                  \
	(__extension__({                                                                               \
		static struct memstats_site memstats_site_                                             \
			__attribute__((section("memstats"), aligned(MEMSTATS_SITE_ALIGN), used)) = {   \
				MEMSTATS_SITE_MAGIC, __LINE__, (op), MEMSTATS_SITE_IN_SECTION, 0, 0,   \
				__FILE__, __func__, (api), (type), { 0 } };                            \
		&memstats_site_;                                                                       \
	}))
#endif

#define MEMSTATS_AT_(op, api) MEMSTATS_SITE_(MEMSTATS_OP_##op, api, MEMSTATS_NULL_)

/* The per-call fast path, inlined into the caller: the C library call, then
 * adds to this thread's slot of the site, the usable size read from the
 * word before the block. Whenever that is not possible (first call of a
 * site, new thread, another allocator, fault injection, a scope), the
 * out-of-line function does the whole call. A slot is written by its thread only: no lock
 * prefix, no cache line shared with another thread. */
static __inline__ struct memstats_counters *memstats_slot_(struct memstats_site *site) MEMSTATS_NOEXCEPT_
{
	unsigned int id = __atomic_load_n(&site->id, __ATOMIC_RELAXED);
	struct memstats_tls *t = &memstats_tls_;

	/* id 0 (not numbered yet) wraps around and fails the test; limit is
	 * read relaxed: fault injection empties it from another thread */
	return __builtin_expect(id - 1u < __atomic_load_n(&t->limit, __ATOMIC_RELAXED), 1) ? t->slot + id
											   : MEMSTATS_NULLPTR_;
}

/* Sampled tracking's part of the inline path: the countdown after an
 * allocation, and, before a free, whether the block may be a sampled one. */
static __inline__ __attribute__((always_inline)) void memstats_sample_(struct memstats_site *site, void *p,
									memstats_size_t size) MEMSTATS_NOEXCEPT_
{
#if defined(__x86_64__) && defined(__GCC_ASM_FLAG_OUTPUTS__)
	/* one sub to memory and its flags: two instructions, not five */
	int due;

	__asm__("subq %2, %0" : "+m"(memstats_tls_.sample_left), "=@ccle"(due) : "er"(MEMSTATS_CAST_(long long, size)));
	if (__builtin_expect(due, 0))
		memstats__sampled(site, p, size);
#else
	/* an overflow (a huge failed request) goes out of line too, to be reset */
	long long left;

	if (__builtin_expect(__builtin_sub_overflow(memstats_tls_.sample_left, MEMSTATS_CAST_(long long, size), &left) |
				     ((memstats_tls_.sample_left = left) <= 0),
			     0))
		memstats__sampled(site, p, size);
#endif
}

static __inline__ __attribute__((always_inline)) int memstats_sampled_(const void *p) MEMSTATS_NOEXCEPT_
{
	const unsigned short *m = memstats_tls_.sample_map;

	/* relaxed: another thread's sample, published before its block could
	 * reach this one, is seen; a plain load on x86-64 and aarch64 */
	return __builtin_expect(m != MEMSTATS_NULLPTR_, 0) &&
	       __atomic_load_n(&m[MEMSTATS_SAMPLE_BUCKET_(p)], __ATOMIC_RELAXED) != 0;
}

static __inline__ __attribute__((always_inline, malloc, alloc_size(2))) void *
memstats_fast_malloc(struct memstats_site *site, memstats_size_t size) MEMSTATS_NOEXCEPT_
{
	struct memstats_counters *c = memstats_slot_(site);
	void *p;

	if (!c)
		return memstats_malloc(site, size, MEMSTATS_RA_);
	p = __builtin_malloc(size);
	memstats_count_(c, size, p, size != 0);
	memstats_sample_(site, p, size);
	return p;
}

static __inline__ __attribute__((always_inline, malloc, alloc_size(2, 3))) void *
memstats_fast_calloc(struct memstats_site *site, memstats_size_t n, memstats_size_t size) MEMSTATS_NOEXCEPT_
{
	struct memstats_counters *c = memstats_slot_(site);
	memstats_size_t total;
	int overflow;
	void *p;

	if (!c)
		return memstats_calloc(site, n, size, MEMSTATS_RA_);
	overflow = __builtin_mul_overflow(n, size, &total);
	p = __builtin_calloc(n, size);
	/* an overflowing request has no byte count to record honestly */
	memstats_count_(c, overflow ? 0 : total, p, overflow || total != 0);
	memstats_sample_(site, p, overflow ? 0 : total);
	return p;
}

static __inline__ __attribute__((always_inline, alloc_size(3))) void *
memstats_fast_realloc(struct memstats_site *site, void *ptr, memstats_size_t size) MEMSTATS_NOEXCEPT_
{
	struct memstats_counters *c = memstats_slot_(site);
	memstats_u64 old;
	void *p;

	if (!c || (ptr && memstats_sampled_(ptr)))
		return memstats_realloc(site, ptr, size, MEMSTATS_RA_);
	old = ptr ? memstats_usable_(ptr) : 0;
	p = __builtin_realloc(ptr, size);
	memstats_count_(c, size, p, size != 0);
	/* the old block is gone when realloc succeeded, or freed it for a
	 * size of 0 (glibc returns NULL then); on failure it stays */
	if (p || size == 0)
		memstats_add_(&c->free_bytes, old);
	memstats_sample_(site, p, size);
	return p;
}

static __inline__ __attribute__((always_inline)) void memstats_fast_free(struct memstats_site *site, void *ptr) MEMSTATS_NOEXCEPT_
{
	struct memstats_counters *c;

	if (!ptr)
		return; /* free(NULL) does nothing, so it is not a call */
	c = memstats_slot_(site);
	if (!c) {
		memstats_free(site, ptr, MEMSTATS_RA_);
		return;
	}
	memstats_add_(&c->calls, 1);
	memstats_add_(&c->free_bytes, memstats_usable_(ptr));
	if (memstats_sampled_(ptr))
		memstats__untrack(ptr); /* before the free: its address may be another's next */
	__builtin_free(ptr);
}

static __inline__ __attribute__((always_inline, malloc, nonnull(2))) char *
memstats_fast_strdup(struct memstats_site *site, const char *s) MEMSTATS_NOEXCEPT_
{
	struct memstats_counters *c = memstats_slot_(site);
	memstats_size_t len;
	char *p;

	if (!c)
		return memstats_strdup(site, s, MEMSTATS_RA_);
	len = __builtin_strlen(s) + 1;
	p = MEMSTATS_CAST_(char *, __builtin_malloc(len));
	if (p)
		__builtin_memcpy(p, s, len);
	memstats_count_(c, len, p, 1);
	memstats_sample_(site, p, len);
	return p;
}

#ifdef __cplusplus
namespace std {
using ::memstats_fast_malloc; using ::memstats_fast_calloc; using ::memstats_fast_realloc;
using ::memstats_fast_free; using ::memstats_fast_strdup;
}
#endif

/* The C library's functions become macros in memstats-define.h, included at
 * the end of this file and again after each system header that declares
 * them. Ours are declared above: */
#define ha_aligned_alloc(...)       memstats_ha_aligned(MEMSTATS_AT_(MALLOC, "ha_aligned_alloc"), __VA_ARGS__, 0, MEMSTATS_RA_)
#define ha_aligned_zalloc(...)      memstats_ha_aligned(MEMSTATS_AT_(CALLOC, "ha_aligned_zalloc"), __VA_ARGS__, \
						    MEMSTATS_ALIGNED_ZERO, MEMSTATS_RA_)
#define ha_aligned_alloc_safe(...)  memstats_ha_aligned(MEMSTATS_AT_(MALLOC, "ha_aligned_alloc_safe"), __VA_ARGS__, \
						    MEMSTATS_ALIGNED_SAFE, MEMSTATS_RA_)
#define ha_aligned_zalloc_safe(...) memstats_ha_aligned(MEMSTATS_AT_(CALLOC, "ha_aligned_zalloc_safe"), __VA_ARGS__, \
						    MEMSTATS_ALIGNED_ZERO | MEMSTATS_ALIGNED_SAFE, MEMSTATS_RA_)
#define ha_aligned_alloc_typed(n, type) MEMSTATS_CAST_(type *, memstats_ha_aligned_typed(                  \
	MEMSTATS_SITE_(MEMSTATS_OP_MALLOC, "ha_aligned_alloc_typed", #type),                           \
	MEMSTATS_CAST_(memstats_size_t, n), sizeof(type), __alignof__(type), 0, MEMSTATS_RA_))
#define ha_aligned_zalloc_typed(n, type) MEMSTATS_CAST_(type *, memstats_ha_aligned_typed(                 \
	MEMSTATS_SITE_(MEMSTATS_OP_CALLOC, "ha_aligned_zalloc_typed", #type),                          \
	MEMSTATS_CAST_(memstats_size_t, n), sizeof(type), __alignof__(type), MEMSTATS_ALIGNED_ZERO, MEMSTATS_RA_))
#define ha_aligned_free(p)          memstats_ha_aligned_free(MEMSTATS_AT_(FREE, "ha_aligned_free"), p, 0, MEMSTATS_RA_)
#define ha_aligned_free_size(...)   memstats_ha_aligned_free(MEMSTATS_AT_(FREE, "ha_aligned_free_size"), __VA_ARGS__, \
						     MEMSTATS_RA_)

#endif /* !MEMSTATS_DISABLE */
#endif /* MEMSTATS_SITES_H */
