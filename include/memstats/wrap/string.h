/* memstats wrapper: the real <string.h> declares functions memstats.h turns into
 * macros, so include it with the macros suspended. */
#include <memstats-suspend.h>
#include_next <string.h>
#include <memstats-resume.h>
