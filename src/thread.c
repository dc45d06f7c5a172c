/* thread.c - one state per thread, shared by counting and tracking: its
 * counter slots (counters.c) and its tracker (track.c). It is made at the
 * thread's first counted call, listed in the registry (where reports read
 * every thread's part), and when the thread exits, or is not there any more
 * in a forked child, its counts go into its sites and its live blocks to
 * the orphans: one TLS pointer, one key, one exit path.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

__thread struct thread *thread_mine __attribute__((tls_model("initial-exec")));

static pthread_key_t exit_key;
static int have_key; /* 0: the program took every key before memstats */
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

/* t's thread is gone: what it counted and holds goes to the sites and the
 * orphans, and t with it. Registry held. */
static void thread_gone(struct thread *t)
{
	counters_fold(&t->slots);
	track_thread_gone(&t->tracker);
	registry_remove_thread(t);
	free(t->callers);
	free(t->pools);
	live_free(&t->scope.blocks);
	free(t);
}

/* The key's destructor: the thread is exiting. A later counted call of the
 * same thread (another destructor's) starts a new state. */
static void thread_exit(void *arg)
{
	registry_lock();
	thread_gone(arg);
	registry_unlock();
	thread_mine = NULL;
	counters_publish(NULL);
}

/* Without a key an exiting thread's state stays listed: its counts are read
 * there, and only its memory is not given back. Any other key would be the
 * program's, and setting it would lose the program's value. */
static void make_key(void)
{
	if (pthread_key_create(&exit_key, thread_exit) == 0)
		have_key = 1;
	else
		warnf_fd(2, "memstats: no thread key left; an exited thread's counts are kept in its state, never freed\n");
}

struct thread *thread_new(void)
{
	struct thread *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	pthread_once(&key_once, make_key);
	registry_lock();
	registry_add_thread(t);
	registry_unlock();
	thread_mine = t;
	if (have_key)
		pthread_setspecific(exit_key, t);
	return t;
}

/* The forked child has one thread: the others' states are gone. */
void thread_after_fork_child(void)
{
	struct thread *t = registry_threads, *next;

	for (; t; t = next) {
		next = t->next;
		if (t != thread_mine)
			thread_gone(t);
	}
}

void thread_route_out(void)
{
	counters_publish(NULL);
}

void thread_route_in(void)
{
	counters_publish(thread_mine ? &thread_mine->slots : NULL);
}
