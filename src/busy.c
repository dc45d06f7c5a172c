/* busy.c - the calling thread's mark that the runtime is at work on its own
 * account (a report, a copy of an object's sites, symbolisation, start-up):
 * what is allocated meanwhile is the runtime's, through whatever library it
 * called (libc's qsort, pthread_create, libdw), and the preload library
 * counts none of it. Exported for that library; initial-exec, as both are
 * loaded at start-up. */
#include "internal.h"

__thread int memstats__busy __attribute__((tls_model("initial-exec"), visibility("default")));
