/* memstats wrapper: the real <stdlib.h> declares functions memstats.h turns into
 * macros, so include it with the macros suspended. */
#include <memstats-suspend.h>
#include_next <stdlib.h>
#include <memstats-resume.h>
