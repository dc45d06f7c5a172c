/* init.c - start-up, once: the settings, the usable-size check, tracking,
 * the fork handlers and the periodic thread. Run by the first entry into
 * the runtime (runtime_enter(): a constructor's registration, or an
 * allocation from a C++ static initializer that comes before it), never
 * hidden in a lock; the settings never change afterwards.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

int runtime_ready;

/* Defined by libmemstats-preload.so: present when it is preloaded. */
extern const int memstats__preloaded __attribute__((weak));
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void start_once(void)
{
	memstats__busy++; /* what start-up allocates is the runtime's */
	/* secure_getenv: a setuid program must not be steered into writing
	 * files by its caller's environment */
	config_parse(&config, secure_getenv, 2);
	usable_init();
	if (config.track)
		track_init(config.track == 2 ? (config.sample ? config.sample : 524288) : 0);
	wrappers_init(config.wrappers);
	/* before any thread publishes its slots: with a spec, none goes inline */
	fail_init(config.fail, secure_getenv("MEMSTATS_FAIL_LOG"));
	config.callers = wrappers_count() || &memstats__preloaded;
	if (config.callers)
		symbols_init();
	/* tracking: the inline path calls the runtime for each block it must
	 * track, and before each free of one; under the preload library, the
	 * runtime's calls are the ones it must not count again */
	counters_inline_ok = usable_from_header && !&memstats__preloaded;
	counters_callers_ok = usable_from_header && !track_on;
	/* the inline path counts down, and its frees read the map */
	counters_sample_map = track_sample_map();
	periodic_start(&config);
	memstats__busy--;
	__atomic_store_n(&runtime_ready, 1, __ATOMIC_RELEASE);
}

void runtime_start(void)
{
	pthread_once(&once, start_once);
}
