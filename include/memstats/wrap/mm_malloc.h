/* memstats wrapper: the real <mm_malloc.h> declares functions memstats.h turns into
 * macros, so include it with the macros suspended. */
#include <memstats-suspend.h>
#include_next <mm_malloc.h>
#include <memstats-resume.h>
