/* memstats-define.h - defines the macro of each wrapped C library function,
 * unless the function's declaring header has been included and did not
 * declare it in this file's feature mode (strdup under -std=c99, say): then
 * the name stays as it would be without memstats, for the compiler's
 * diagnostics and autoconf's "#ifndef strdup" probes alike. Before any
 * declaring header, the macros of posix_memalign, aligned_alloc, valloc,
 * strdup and strndup are defined: a call with no declaration in sight is
 * still counted. malloc, calloc, realloc, free, memalign and pvalloc wait
 * for their header (see below why).
 *
 * No include guard: memstats.h includes it at its end and every wrapper
 * header after its real header, outside any suspension (a wrapped header
 * that includes another, like mm_malloc.h, must see no macro). A declaring
 * header is known by its include guard (the same in glibc and musl); glibc's
 * own feature gates (__USE_*) say what it declared.
 */
#if defined(MEMSTATS_H) && !defined(MEMSTATS_DISABLE) && !defined(MEMSTATS_SUSPENDED_)


/* The C89 four wait for their header: old code and autoconf's own C99/C11
 * probes declare them by hand (extern void *malloc (size_t);), which a
 * function-like macro would turn into garbage. */
#if !defined(malloc) && (defined(_STDLIB_H) || defined(_MALLOC_H))
#define malloc(...) memstats_fast_malloc(MEMSTATS_AT_(MALLOC, "malloc"), __VA_ARGS__)
#define MEMSTATS_OWN_malloc_ 1
#elif defined(MEMSTATS_OWN_malloc_) && !(defined(_STDLIB_H) || defined(_MALLOC_H))
#undef malloc
#undef MEMSTATS_OWN_malloc_
#endif

#if !defined(calloc) && (defined(_STDLIB_H) || defined(_MALLOC_H))
#define calloc(...) memstats_fast_calloc(MEMSTATS_AT_(CALLOC, "calloc"), __VA_ARGS__)
#define MEMSTATS_OWN_calloc_ 1
#elif defined(MEMSTATS_OWN_calloc_) && !(defined(_STDLIB_H) || defined(_MALLOC_H))
#undef calloc
#undef MEMSTATS_OWN_calloc_
#endif

#if !defined(realloc) && (defined(_STDLIB_H) || defined(_MALLOC_H))
#define realloc(...) memstats_fast_realloc(MEMSTATS_AT_(REALLOC, "realloc"), __VA_ARGS__)
#define MEMSTATS_OWN_realloc_ 1
#elif defined(MEMSTATS_OWN_realloc_) && !(defined(_STDLIB_H) || defined(_MALLOC_H))
#undef realloc
#undef MEMSTATS_OWN_realloc_
#endif

#ifndef MEMSTATS_NO_FREE
#if !defined(free) && (defined(_STDLIB_H) || defined(_MALLOC_H))
#define free(...) memstats_fast_free(MEMSTATS_AT_(FREE, "free"), __VA_ARGS__)
#define MEMSTATS_OWN_free_ 1
#elif defined(MEMSTATS_OWN_free_) && !(defined(_STDLIB_H) || defined(_MALLOC_H))
#undef free
#undef MEMSTATS_OWN_free_
#endif
#endif

/* gcc's and clang's <mm_malloc.h> declare posix_memalign too */
#if !defined(posix_memalign) && (!defined(_STDLIB_H) || defined(_MM_MALLOC_H_INCLUDED) || defined(__MM_MALLOC_H) || \
	!defined(__GLIBC__) || defined(__USE_XOPEN2K))
#define posix_memalign(...) memstats_posix_memalign(MEMSTATS_AT_(MALLOC, "posix_memalign"), __VA_ARGS__, MEMSTATS_RA_)
#define MEMSTATS_OWN_posix_memalign_ 1
#elif defined(MEMSTATS_OWN_posix_memalign_) && !(!defined(_STDLIB_H) || defined(_MM_MALLOC_H_INCLUDED) || defined(__MM_MALLOC_H) || \
	!defined(__GLIBC__) || defined(__USE_XOPEN2K))
#undef posix_memalign
#undef MEMSTATS_OWN_posix_memalign_
#endif

#if !defined(aligned_alloc) && (!defined(_STDLIB_H) || !defined(__GLIBC__) || defined(__USE_ISOC11))
#define aligned_alloc(...) memstats_aligned_alloc(MEMSTATS_AT_(MALLOC, "aligned_alloc"), __VA_ARGS__, MEMSTATS_RA_)
#define MEMSTATS_OWN_aligned_alloc_ 1
#elif defined(MEMSTATS_OWN_aligned_alloc_) && !(!defined(_STDLIB_H) || !defined(__GLIBC__) || defined(__USE_ISOC11))
#undef aligned_alloc
#undef MEMSTATS_OWN_aligned_alloc_
#endif

#if !defined(valloc) && (!defined(_STDLIB_H) || defined(_MALLOC_H) || !defined(__GLIBC__) || defined(__USE_MISC) || \
	(defined(__USE_XOPEN_EXTENDED) && !defined(__USE_XOPEN2K)))
#define valloc(...) memstats_valloc(MEMSTATS_AT_(MALLOC, "valloc"), __VA_ARGS__, MEMSTATS_RA_)
#define MEMSTATS_OWN_valloc_ 1
#elif defined(MEMSTATS_OWN_valloc_) && !(!defined(_STDLIB_H) || defined(_MALLOC_H) || !defined(__GLIBC__) || defined(__USE_MISC) || \
	(defined(__USE_XOPEN_EXTENDED) && !defined(__USE_XOPEN2K)))
#undef valloc
#undef MEMSTATS_OWN_valloc_
#endif

/* Only <malloc.h> declares these, which autoconf's default includes lack:
 * they wait for it, or its declaration probes would find them declared. */
#if !defined(memalign) && (defined(_MALLOC_H))
#define memalign(...) memstats_memalign(MEMSTATS_AT_(MALLOC, "memalign"), __VA_ARGS__, MEMSTATS_RA_)
#define MEMSTATS_OWN_memalign_ 1
#elif defined(MEMSTATS_OWN_memalign_) && !(defined(_MALLOC_H))
#undef memalign
#undef MEMSTATS_OWN_memalign_
#endif

#if !defined(pvalloc) && (defined(_MALLOC_H))
#define pvalloc(...) memstats_pvalloc(MEMSTATS_AT_(MALLOC, "pvalloc"), __VA_ARGS__, MEMSTATS_RA_)
#define MEMSTATS_OWN_pvalloc_ 1
#elif defined(MEMSTATS_OWN_pvalloc_) && !(defined(_MALLOC_H))
#undef pvalloc
#undef MEMSTATS_OWN_pvalloc_
#endif

#if !defined(strdup) && (!defined(_STRING_H) || !defined(__GLIBC__) || defined(__USE_XOPEN_EXTENDED) || defined(__USE_XOPEN2K8))
#define strdup(...) memstats_fast_strdup(MEMSTATS_AT_(STRDUP, "strdup"), __VA_ARGS__)
#define MEMSTATS_OWN_strdup_ 1
#elif defined(MEMSTATS_OWN_strdup_) && !(!defined(_STRING_H) || !defined(__GLIBC__) || defined(__USE_XOPEN_EXTENDED) || defined(__USE_XOPEN2K8))
#undef strdup
#undef MEMSTATS_OWN_strdup_
#endif

#if !defined(strndup) && (!defined(_STRING_H) || !defined(__GLIBC__) || defined(__USE_XOPEN2K8))
#define strndup(...) memstats_strndup(MEMSTATS_AT_(STRNDUP, "strndup"), __VA_ARGS__, MEMSTATS_RA_)
#define MEMSTATS_OWN_strndup_ 1
#elif defined(MEMSTATS_OWN_strndup_) && !(!defined(_STRING_H) || !defined(__GLIBC__) || defined(__USE_XOPEN2K8))
#undef strndup
#undef MEMSTATS_OWN_strndup_
#endif


#endif
