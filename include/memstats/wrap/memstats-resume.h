/* memstats-resume.h - restore what memstats-suspend.h hid. */
#ifdef MEMSTATS_OWN_malloc_
#pragma pop_macro("malloc")
#endif
#ifdef MEMSTATS_OWN_calloc_
#pragma pop_macro("calloc")
#endif
#ifdef MEMSTATS_OWN_realloc_
#pragma pop_macro("realloc")
#endif
#ifdef MEMSTATS_OWN_free_
#pragma pop_macro("free")
#endif
#ifdef MEMSTATS_OWN_strdup_
#pragma pop_macro("strdup")
#endif
#ifdef MEMSTATS_OWN_strndup_
#pragma pop_macro("strndup")
#endif
#ifdef MEMSTATS_OWN_posix_memalign_
#pragma pop_macro("posix_memalign")
#endif
#ifdef MEMSTATS_OWN_aligned_alloc_
#pragma pop_macro("aligned_alloc")
#endif
#ifdef MEMSTATS_OWN_memalign_
#pragma pop_macro("memalign")
#endif
#ifdef MEMSTATS_OWN_valloc_
#pragma pop_macro("valloc")
#endif
#ifdef MEMSTATS_OWN_pvalloc_
#pragma pop_macro("pvalloc")
#endif
#pragma pop_macro("MEMSTATS_SUSPENDED_")
/* then the macros of the functions the header just declared */
#include <memstats-define.h>
