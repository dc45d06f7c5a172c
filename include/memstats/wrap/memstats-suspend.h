/* memstats-suspend.h - hide the memstats macros while a system header
 * declares the functions they wrap. No include guard: every wrapper includes
 * it once before its #include_next, then memstats-resume.h. push/pop keeps
 * nesting right (stdlib.h -> cstdlib -> stdlib.h in C++) and restores a
 * macro only if it was defined. */
#pragma push_macro("malloc")
#undef malloc
#pragma push_macro("calloc")
#undef calloc
#pragma push_macro("realloc")
#undef realloc
#pragma push_macro("free")
#undef free
#pragma push_macro("strdup")
#undef strdup
#pragma push_macro("strndup")
#undef strndup
#pragma push_macro("posix_memalign")
#undef posix_memalign
#pragma push_macro("aligned_alloc")
#undef aligned_alloc
#pragma push_macro("memalign")
#undef memalign
#pragma push_macro("valloc")
#undef valloc
#pragma push_macro("pvalloc")
#undef pvalloc
/* inside a suspension: memstats-define.h waits for the outermost resume */
#pragma push_macro("MEMSTATS_SUSPENDED_")
#undef MEMSTATS_SUSPENDED_
#define MEMSTATS_SUSPENDED_ 1
