/* fork.c - the one place that knows fork(): every lock of the runtime taken
 * before it, in one written order, released after it in the reverse order,
 * and each module's step in the child.
 *
 * Order: the periodic thread is stopped first (it takes the locks below,
 * and no thread of ours may cross fork()), then the dump lock (a report
 * being written finishes), the symbols lock (no session half read), the
 * callers lock (no record half added), then the registry lock (no site,
 * number or thread state half changed). The child is one thread: it releases what
 * the forking thread took, after the other threads' states are folded.
 *
 * The handlers are registered by the runtime's own constructor, before any
 * of the program's: glibc runs prepare handlers last registered first, so
 * every other prepare handler runs before these take the locks (one that
 * allocates must not find them held), and every parent and child handler
 * after these released them.
 */
#include <pthread.h>

#include "internal.h"

static void fork_prepare(void)
{
	periodic_fork_prepare();
	dump_fork_prepare();
	symbols_fork_prepare();
	callers_fork_prepare();
	pool_fork_prepare();
	registry_lock();
}

static void fork_parent(void)
{
	registry_unlock();
	pool_fork_after();
	callers_fork_after();
	symbols_fork_after();
	dump_fork_parent();
	periodic_fork_parent();
}

static void fork_child(void)
{
	thread_after_fork_child();
	registry_unlock();
	pool_fork_after();
	callers_fork_after();
	symbols_fork_after();
	dump_fork_child();
	periodic_fork_child();
}

__attribute__((constructor(101))) static void fork_register(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}
