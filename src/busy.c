/* busy.c - the calling thread's mark that the runtime is at work on its own
 * account (a report, a copy of an object's sites, symbolisation, start-up):
 * what is allocated meanwhile is the runtime's, through whatever library it
 * called (libc's qsort, pthread_create, libdw), and the preload library
 * counts none of it. The mark is a field of memstats__callers_tls, the one
 * place that library reads on every call. */
#include "internal.h"

__thread struct callers_tls memstats__callers_tls __attribute__((tls_model("initial-exec"), visibility("default")));
