/* memstats-suspend.h - hide the memstats macros while a system header
 * declares the functions they wrap. No include guard: every wrapper includes
 * it once before its #include_next, then memstats-resume.h. push/pop keeps
 * nesting right (stdlib.h -> cstdlib -> stdlib.h in C++). Only the macros
 * memstats defined (MEMSTATS_OWN_name_) are hidden: a project's own (say
 * autoconf's #define malloc rpl_malloc) act on the header as without
 * memstats. */
#ifdef MEMSTATS_OWN_malloc_
#pragma push_macro("malloc")
#undef malloc
#endif
#ifdef MEMSTATS_OWN_calloc_
#pragma push_macro("calloc")
#undef calloc
#endif
#ifdef MEMSTATS_OWN_realloc_
#pragma push_macro("realloc")
#undef realloc
#endif
#ifdef MEMSTATS_OWN_free_
#pragma push_macro("free")
#undef free
#endif
#ifdef MEMSTATS_OWN_strdup_
#pragma push_macro("strdup")
#undef strdup
#endif
#ifdef MEMSTATS_OWN_strndup_
#pragma push_macro("strndup")
#undef strndup
#endif
#ifdef MEMSTATS_OWN_posix_memalign_
#pragma push_macro("posix_memalign")
#undef posix_memalign
#endif
#ifdef MEMSTATS_OWN_aligned_alloc_
#pragma push_macro("aligned_alloc")
#undef aligned_alloc
#endif
#ifdef MEMSTATS_OWN_memalign_
#pragma push_macro("memalign")
#undef memalign
#endif
#ifdef MEMSTATS_OWN_valloc_
#pragma push_macro("valloc")
#undef valloc
#endif
#ifdef MEMSTATS_OWN_pvalloc_
#pragma push_macro("pvalloc")
#undef pvalloc
#endif
/* inside a suspension: memstats-define.h waits for the outermost resume */
#pragma push_macro("MEMSTATS_SUSPENDED_")
#undef MEMSTATS_SUSPENDED_
#define MEMSTATS_SUSPENDED_ 1
