/* memstats-resume.h - restore what memstats-suspend.h hid. */
#pragma pop_macro("malloc")
#pragma pop_macro("calloc")
#pragma pop_macro("realloc")
#pragma pop_macro("free")
#pragma pop_macro("strdup")
#pragma pop_macro("strndup")
#pragma pop_macro("posix_memalign")
#pragma pop_macro("aligned_alloc")
#pragma pop_macro("memalign")
#pragma pop_macro("valloc")
#pragma pop_macro("pvalloc")
#pragma pop_macro("MEMSTATS_SUSPENDED_")
/* then the macros of the functions the header just declared */
#include <memstats-define.h>
